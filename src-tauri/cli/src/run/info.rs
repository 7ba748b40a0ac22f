//! `mailgrant where`, `mailgrant explain CODE` and `mailgrant settings NAME`.

use super::*;

pub(super) fn where_is() -> Outcome {
    let home = DataHome::from_env().map_err(|e| usage(e.to_string()))?;
    say!("data directory    {}", home.dir().display());
    say!("keychain service  {}", home.keychain_service());
    Ok(EXIT_OK)
}

pub(super) fn explain(code: &str) -> Outcome {
    match mailgrant_core::diagnosis::explain(code) {
        Some(d) => {
            say_raw!("{d:#}");
            Ok(EXIT_OK)
        }
        None => Err(usage(format!(
            "no explanation for {code:?}: give an AADSTS code (AADSTS7000215), an SMTP status (5.7.139) or a \
             Graph error code (ErrorAccessDenied)"
        ))),
    }
}

pub(super) fn settings(api: &Api, name: &str, json: bool) -> Outcome {
    let s = mailgrant_core::api::accounts::mail_settings(api, name)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    say!("{} ({})", s.address, s.account);
    if s.app_only {
        say!("This account signs in as the app itself: a mail program can't use it, only a service given the app's credentials.");
    }
    let mut table = Table::new(&[
        "SERVER",
        "HOST",
        "PORT",
        "ENCRYPTION",
        "USER NAME",
        "AUTHENTICATION",
    ]);
    for server in &s.servers {
        table.row(vec![
            (server.role.clone(), Tone::Plain),
            (server.host.clone(), Tone::Plain),
            (server.port.to_string(), Tone::Plain),
            (server.encryption_label.clone(), Tone::Plain),
            (s.user_name.clone(), Tone::Plain),
            (s.authentication.clone(), Tone::Plain),
        ]);
    }
    if !s.servers.is_empty() {
        say!();
        say_raw!("{}", table.render(out::colour_stdout()));
    }
    if s.graph {
        say!("It also uses Microsoft Graph (no server setting: programs call Graph's API with a token).");
    }
    for recipe in &s.recipes {
        say!();
        say!(
            "{}",
            out::paint(&recipe.program, Tone::Good, out::colour_stdout())
        );
        say!("  {}", recipe.summary);
        for (n, step) in recipe.steps.iter().enumerate() {
            say!("  {}. {step}", n + 1);
        }
        if let Some(snippet) = &recipe.snippet {
            say!();
            for line in snippet.text.lines() {
                say!("    {line}");
            }
        }
    }
    Ok(EXIT_OK)
}
