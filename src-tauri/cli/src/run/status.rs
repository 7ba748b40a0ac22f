//! `mailgrant status`: token and refresh-token health of every account and app credential.

use super::*;

pub(super) fn status(context: &Context, json: bool) -> Outcome {
    let config = context.tokens.store().load()?;
    let now = now_unix();
    let accounts = health::accounts(&config, now);
    let credentials = health::board(context.tokens.store(), now)?;
    let trouble = accounts.iter().any(|a| a.state.needs_attention())
        || credentials.iter().any(|c| c.state.needs_attention());
    if json {
        let value = json!({
            "generatedAt": now,
            "attentionNeeded": trouble,
            "accounts": accounts,
            "credentials": credentials,
        });
        say!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else if accounts.is_empty() {
        say!("No accounts yet.");
    } else {
        let colour = out::colour_stdout();
        let mut table = Table::new(&["ACCOUNT", "STATE", "ACCESS TOKEN", "REFRESH TOKEN", "WHY"]);
        for a in &accounts {
            let access = a
                .access_expires
                .iter()
                .map(|(r, at)| {
                    let label = if *r == Resource::Graph { "graph" } else { "outlook" };
                    if *at > now {
                        format!("{label} {}", out::relative(*at, now))
                    } else {
                        format!("{label} expired")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let refresh = match (a.refresh_last_used_at, a.refresh_inactive_days_left) {
                (Some(used), Some(left)) => {
                    format!("used {}, {left} days to spare", out::relative(used, now))
                }
                _ => "-".into(),
            };
            table.row(vec![
                (a.name.clone(), Tone::Plain),
                (a.state.label().to_owned(), state_tone(a.state)),
                (if access.is_empty() { "-".into() } else { access }, Tone::Plain),
                (refresh, Tone::Plain),
                (a.reason.clone(), Tone::Plain),
            ]);
        }
        say_raw!("{}", table.render(colour));
        let due: Vec<_> = credentials.iter().filter(|c| c.state.needs_attention()).collect();
        if !due.is_empty() {
            say!();
            for c in due {
                say!(
                    "{} the {} {} of {} ({})",
                    out::paint("Secret:", Tone::Warn, colour),
                    kind_word(c.kind),
                    c.hint.as_deref().unwrap_or(&c.key_id),
                    c.registration_name,
                    expiry_words(c.expires_at, c.days_left)
                );
            }
        }
    }
    Ok(if trouble { EXIT_ATTENTION } else { EXIT_OK })
}
