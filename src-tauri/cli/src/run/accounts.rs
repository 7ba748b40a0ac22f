//! `mailgrant accounts`: the accounts, as a table or JSON.

use super::*;

pub(super) fn accounts(context: &Context, json: bool) -> Outcome {
    let config = context.tokens.store().load()?;
    let now = now_unix();
    if json {
        let list: Vec<_> = config
            .accounts
            .iter()
            .map(|a| {
                let registration = config.registration(&a.registration);
                let health = health::account_health(a, registration, now);
                json!({
                    "name": a.name,
                    "address": a.address,
                    "registration": a.registration,
                    "clientId": registration.map(|r| r.client_id.to_string()),
                    "tenant": registration.map(|r| r.tenant.to_string()),
                    "flow": flow_words(a.flow),
                    "services": a.services,
                    "sharedMailbox": a.shared_mailbox,
                    "signedInAs": health.signed_in_as,
                    "state": health.state,
                })
            })
            .collect();
        say!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    if config.accounts.is_empty() {
        say!("No accounts yet. Add one with `mailgrant add` (see `mailgrant add --help`) or in the app.");
        return Ok(EXIT_OK);
    }
    let mut table = Table::new(&["NAME", "ADDRESS", "FLOW", "SERVICES", "SIGNED IN AS", "STATE"]);
    for a in &config.accounts {
        let h = health::account_health(a, config.registration(&a.registration), now);
        table.row(vec![
            (a.name.clone(), Tone::Plain),
            (a.address.clone(), Tone::Plain),
            (flow_words(a.flow).to_owned(), Tone::Plain),
            (service_words(&a.services), Tone::Plain),
            (h.signed_in_as.unwrap_or_else(|| "-".into()), Tone::Plain),
            (h.state.label().to_owned(), state_tone(h.state)),
        ]);
    }
    say_raw!("{}", table.render(out::colour_stdout()));
    Ok(EXIT_OK)
}
