//! `mailgrant secrets`: every client secret and certificate, soonest expiry first (table, JSON, CSV).

use super::*;

pub(super) fn secrets(context: &Context, within: Option<i64>, json: bool, csv: bool) -> Outcome {
    if within.is_some_and(|d| d < 0) {
        return Err(usage("--expiring-within takes a number of days, 0 or more"));
    }
    let now = now_unix();
    let rows: Vec<_> = health::board(context.tokens.store(), now)?
        .into_iter()
        .filter(|c| within.is_none_or(|days| c.days_left.is_some_and(|left| left <= days)))
        .collect();
    let trouble = rows.iter().any(|c| c.state.needs_attention());
    if json {
        say!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
    } else if csv {
        say_raw!("{}", health::credentials_csv(&rows));
    } else if rows.is_empty() {
        say!(
            "{}",
            if within.is_some() {
                "No client secret or certificate expires in that time."
            } else {
                "No client secrets or certificates: every app registration here is a public client."
            }
        );
    } else {
        let mut table = Table::new(&[
            "APP REGISTRATION",
            "KIND",
            "SECRET",
            "EXPIRES",
            "DAYS LEFT",
            "STATE",
            "USED BY",
        ]);
        for c in &rows {
            table.row(vec![
                (c.registration_name.clone(), Tone::Plain),
                (kind_word(c.kind).to_owned(), Tone::Plain),
                (c.hint.clone().unwrap_or_else(|| c.key_id.clone()), Tone::Plain),
                (c.expires_at.map_or_else(|| "-".into(), out::date), Tone::Plain),
                (
                    c.days_left.map_or_else(|| "-".into(), |d| d.to_string()),
                    Tone::Plain,
                ),
                (c.state.label().to_owned(), expiry_tone(c.state)),
                used_by(c),
            ]);
        }
        say_raw!("{}", table.render(out::colour_stdout()));
    }
    Ok(if trouble { EXIT_ATTENTION } else { EXIT_OK })
}

/// Who uses a credential, and what the directory said about it.
pub(super) fn used_by(c: &health::CredentialExpiry) -> (String, Tone) {
    let users = if c.accounts.is_empty() {
        "-".to_owned()
    } else {
        c.accounts.join(", ")
    };
    if c.missing_in_directory {
        return (format!("{users} (not in Entra's list: deleted?)"), Tone::Warn);
    }
    match (&c.source, &c.tenant) {
        (health::CredentialSource::Directory, Some(tenant)) => {
            (format!("{users} (from Graph, {tenant})"), Tone::Plain)
        }
        _ => (users, Tone::Plain),
    }
}

/// `mailgrant replace-secret`: the new Value from stdin, checked by Microsoft, then kept in place of the old one.
pub(super) async fn replace(api: &Api, registration: &str, expires: Option<&str>) -> Outcome {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| usage(format!("cannot read the new client secret from stdin: {e}")))?;
    let value = text.lines().next().unwrap_or_default();
    let done = mailgrant_core::api::accounts::replace_secret(api, registration, value, expires).await?;
    say!(
        "{} {:?} signs in with the new secret{}; the old one{} is gone from the keychain.",
        out::paint("Replaced:", Tone::Good, out::colour_stdout()),
        done.registration_name,
        if done.verified {
            " (Microsoft accepted it)"
        } else {
            ""
        },
        match done.replaced.as_slice() {
            [] => String::new(),
            hints => format!(
                " ({})",
                hints
                    .iter()
                    .map(|h| format!("{h}…"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    );
    Ok(EXIT_OK)
}
