//! `mailgrant directory …`: the organisation's app registrations from Microsoft Graph.

use mailgrant_core::api::directory::{self, ImportView};
use mailgrant_core::api::sign_in::{self, ImportMethod};
use mailgrant_core::api::{Api, ApiError, ErrorCode};

use super::super::{DirectoryAction, Global};
use super::{note, open, out, say, say_raw, usage, Outcome, Table, TerminalHost, Tone, EXIT_OK};

pub(super) async fn run(action: DirectoryAction, global: &Global) -> Outcome {
    match action {
        DirectoryAction::Import {
            registration,
            app_only,
            device_code,
            no_browser,
        } => import(&open(global)?, &registration, app_only, device_code, no_browser).await,
        DirectoryAction::List { json } => list(&open(global)?, json),
        DirectoryAction::Refresh { ids } => refresh(&open(global)?, ids).await,
        DirectoryAction::Remove { id } => {
            let removed = directory::remove(&open(global)?, &id).await.map_err(cli_words)?;
            say!(
                "Forgot the import {:?} ({} app registrations) and its refresh token.",
                removed.id,
                removed.applications.len()
            );
            Ok(EXIT_OK)
        }
    }
}

/// An import's error in the CLI's words: which command signs it in again.
fn cli_words(error: ApiError) -> ApiError {
    match (error.code, &error.subject) {
        (ErrorCode::SignInRequired, Some(what)) => ApiError {
            message: format!(
                "the import {what:?} must sign in again: run `mailgrant directory import` with its registration"
            ),
            subject: None,
            ..error
        },
        _ => error,
    }
}

async fn import(
    api: &Api,
    registration: &str,
    app_only: bool,
    device_code: bool,
    no_browser: bool,
) -> Outcome {
    let method = if app_only {
        ImportMethod::AppOnly
    } else if device_code {
        ImportMethod::DeviceCode
    } else {
        ImportMethod::Browser
    };
    let import = sign_in::import(api, registration, method, &mut TerminalHost::new(no_browser))
        .await
        .map_err(cli_words)?;
    say!(
        "{} read {} app registrations with {} secrets and certificates from {}{}.",
        out::paint("Done:", Tone::Good, out::colour_stdout()),
        import.applications.len(),
        import.credential_count(),
        import.tenant_name,
        match &import.signed_in_as {
            Some(who) => format!(" (signed in as {who})"),
            None => " (as the app itself)".to_owned(),
        }
    );
    say!(
        "Import {:?}: `mailgrant secrets` lists them; `mailgrant directory refresh` reads them again.",
        import.id
    );
    Ok(EXIT_OK)
}

fn state_words(import: &ImportView) -> (String, Tone) {
    match &import.last_failure {
        Some(f) if f.sign_in_again => (format!("needs sign-in: {}", f.title), Tone::Bad),
        Some(f) => (format!("failing: {}", f.title), Tone::Warn),
        None if import.imported_at.is_none() => ("not read yet".to_owned(), Tone::Warn),
        None => ("ok".to_owned(), Tone::Good),
    }
}

fn list(api: &Api, json: bool) -> Outcome {
    let imports = directory::list(api)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&imports).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    if imports.is_empty() {
        say!("No imports yet: `mailgrant directory import REGISTRATION` reads an organisation's app registrations.");
        return Ok(EXIT_OK);
    }
    let now = mailgrant_core::token_lifecycle::now_unix();
    let mut table = Table::new(&["ID", "TENANT", "READ AS", "READ", "APPS", "CREDENTIALS", "STATE"]);
    for i in &imports {
        table.row(vec![
            (i.id.clone(), Tone::Plain),
            (i.tenant.clone(), Tone::Plain),
            (
                i.signed_in_as.clone().unwrap_or_else(|| "the app itself".into()),
                Tone::Plain,
            ),
            (
                i.imported_at
                    .map_or_else(|| "-".into(), |at| out::relative(at, now)),
                Tone::Plain,
            ),
            (i.applications.to_string(), Tone::Plain),
            (i.credentials.to_string(), Tone::Plain),
            state_words(i),
        ]);
    }
    say_raw!("{}", table.render(out::colour_stdout()));
    Ok(EXIT_OK)
}

async fn refresh(api: &Api, ids: Vec<String>) -> Outcome {
    let ids = if ids.is_empty() {
        let all = directory::ids(api)?;
        if all.is_empty() {
            return Err(usage(
                "there are no imports to refresh: `mailgrant directory import REGISTRATION` makes one",
            ));
        }
        all
    } else {
        ids
    };
    let mut worst: Option<ApiError> = None;
    for id in &ids {
        match directory::refresh(api, id).await {
            Ok(import) => say!(
                "{}: {} app registrations, {} secrets and certificates.",
                import.id,
                import.applications,
                import.credentials
            ),
            Err(error) => {
                let failure = cli_words(error);
                note!("{id}: {}", failure.message);
                if worst
                    .as_ref()
                    .is_none_or(|w| failure.code.exit_code() > w.code.exit_code())
                {
                    worst = Some(failure);
                }
            }
        }
    }
    match worst {
        None => Ok(EXIT_OK),
        Some(failure) if ids.len() == 1 => Err(failure),
        Some(failure) => Err(ApiError {
            message: "not every import could be read again (see above)".into(),
            ..failure
        }),
    }
}
