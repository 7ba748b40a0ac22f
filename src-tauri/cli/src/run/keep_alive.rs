//! `mailgrant keep-alive`: one round of the desktop app's keep-alive ([`TokenService::keep_alive`]), for machines
//! where the app does not run. Which accounts are due, and what a round does, is core's; this maps the outcome
//! to lines, JSON and an exit code.
//!
//! [`TokenService::keep_alive`]: mailgrant_core::token_lifecycle::TokenService::keep_alive

use mailgrant_core::store::ConfigFile;
use mailgrant_core::token_lifecycle::{self, now_unix, KEEP_ALIVE_AFTER_SECS};
use serde_json::{json, Map, Value};

use mailgrant_core::api::{Api, ApiError, ErrorCode};

use super::{cli_message, note, out, report, say, Outcome, Tone, EXIT_OK};

pub(super) async fn run(api: &Api, json: bool, quiet: bool) -> Outcome {
    let done = api.tokens.keep_alive().await?;
    // As the round left it: the refreshed accounts' next due times.
    let config = api.store().load()?;
    let now = now_unix();
    let (colour_out, colour_err) = (out::colour_stdout(), out::colour_stderr());
    let due = done.len();
    let mut rows = Vec::with_capacity(due);
    let mut failed = 0;
    let mut exit = EXIT_OK;
    for (name, result) in done {
        let mut row = Map::new();
        row.insert("name".into(), json!(name));
        match result {
            Ok(_) => {
                let next = config.account(&name).and_then(token_lifecycle::keep_alive_due_at);
                row.insert("outcome".into(), json!("kept-alive"));
                if let Some(at) = next {
                    row.insert("nextDueAt".into(), json!(at));
                }
                if !json && !quiet {
                    say!(
                        "{name}: {} (refresh token used; next due {})",
                        out::paint("kept alive", Tone::Good, colour_out),
                        next.map_or_else(|| "-".to_owned(), out::datetime)
                    );
                }
            }
            Err(error) => {
                let record = error.refresh_failure(now);
                let failure = ApiError::from(error);
                // Only a sign-in, or the keychain, have codes of their own here; anything else is "failed".
                let code = match failure.code {
                    ErrorCode::SignInRequired | ErrorCode::KeychainUnavailable => failure.code,
                    _ => ErrorCode::Token,
                };
                exit = exit.max(code.exit_code());
                row.insert("outcome".into(), json!("failed"));
                if let Some(record) = &record {
                    row.insert("code".into(), json!(record.code));
                }
                row.insert("signInRequired".into(), json!(code == ErrorCode::SignInRequired));
                row.insert("message".into(), json!(cli_message(&failure)));
                if failed > 0 {
                    note!();
                }
                failed += 1;
                report(
                    &failure,
                    &format!("{name}: {}:", out::paint("failed", Tone::Bad, colour_err)),
                );
            }
        }
        rows.push(Value::Object(row));
    }
    if json {
        say!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
    } else if due == 0 && !quiet {
        say!("{}", nothing_due(&config));
    }
    if failed > 0 {
        note!();
        note!(
            "{} {failed} of {due} due accounts could not be kept alive (see above)",
            out::paint("mailgrant:", Tone::Bad, colour_err)
        );
    }
    Ok(exit)
}

/// The summary when no refresh token was due: when the next one is.
fn nothing_due(config: &ConfigFile) -> String {
    let next = config
        .accounts
        .iter()
        .filter_map(|a| token_lifecycle::keep_alive_due_at(a).map(|at| (at, a.name.as_str())))
        .min();
    match next {
        Some((at, name)) => format!(
            "nothing due: every refresh token was used within {} days (next due: {name}, {})",
            KEEP_ALIVE_AFTER_SECS / 86_400,
            out::datetime(at)
        ),
        None => "nothing due: no account has a refresh token to keep alive".to_owned(),
    }
}
