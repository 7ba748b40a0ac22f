//! `mailgrant directory …`: the organisation's app registrations from Microsoft Graph.

use mailgrant_core::directory::{self, Directory, DirectoryError, DirectoryImport, ImportPlan};

use super::super::{DirectoryAction, Global};
use super::{
    browser_sign_in, cancel_on_ctrl_c, note, out, say, say_raw, usage, BrowserFailure, Context, Failure,
    Outcome, Table, Tone, EXIT_ATTENTION, EXIT_OK, EXIT_SIGN_IN,
};

pub(super) async fn run(action: DirectoryAction, global: &Global) -> Outcome {
    match action {
        DirectoryAction::Import {
            registration,
            app_only,
            device_code,
            no_browser,
        } => {
            let context = Context::open(global)?;
            import(&context, &registration, app_only, device_code, no_browser).await
        }
        DirectoryAction::List { json } => list(&Context::open(global)?, json),
        DirectoryAction::Refresh { ids } => refresh(&Context::open(global)?, ids).await,
        DirectoryAction::Remove { id } => {
            let context = Context::open(global)?;
            let removed = directory::remove(&context.tokens, &id)
                .await
                .map_err(|e| failure(e, &id))?;
            say!(
                "Forgot the import {:?} ({} app registrations) and its refresh token.",
                removed.id,
                removed.applications.len()
            );
            Ok(EXIT_OK)
        }
    }
}

/// An import's failure as the CLI reports it; `what` names the import or registration for the next step.
fn failure(error: DirectoryError, what: &str) -> Failure {
    let diagnosis = error.diagnosis().cloned().map(Box::new);
    if error.needs_sign_in() {
        return Failure {
            code: EXIT_SIGN_IN,
            message: format!(
                "the import {what:?} must sign in again: run `mailgrant directory import` with its registration"
            ),
            diagnosis,
        };
    }
    match error {
        DirectoryError::Token(e) => e.into(),
        DirectoryError::Store(e) => e.into(),
        DirectoryError::UnknownRegistration(_)
        | DirectoryError::UnknownImport(_)
        | DirectoryError::AmbiguousImport(_)
        | DirectoryError::AppOnlyNeedsCredential(_)
        | DirectoryError::AppOnlyNeedsTenant(..) => usage(error.to_string()),
        other => Failure {
            code: EXIT_ATTENTION,
            message: match &diagnosis {
                Some(d) => format!("cannot read the app registrations: {}", d.summary()),
                None => format!("cannot read the app registrations: {other}"),
            },
            diagnosis,
        },
    }
}

async fn import(
    context: &Context,
    registration: &str,
    app_only: bool,
    device_code: bool,
    no_browser: bool,
) -> Outcome {
    let plan = ImportPlan::load(&context.tokens, registration).map_err(|e| failure(e, registration))?;
    let (tokens, http) = (&context.tokens, &context.http);
    let result = if app_only {
        plan.app_only(tokens, http).await
    } else if device_code {
        let authorization = plan
            .start_device_code(http)
            .await
            .map_err(|e| failure(e, registration))?;
        let prompt = &authorization.prompt;
        note!("To sign in as an admin, open {}", prompt.verification_uri);
        note!(
            "and enter the code  {}",
            out::paint(&prompt.user_code, Tone::Warn, out::colour_stderr())
        );
        note!("Waiting (Ctrl+C cancels)…");
        plan.finish_device_code(tokens, http, &authorization, &cancel_on_ctrl_c())
            .await
    } else {
        note!(
            "Sign in as an admin of the organisation and consent to reading its app registrations \
             (Application.Read.All)."
        );
        let (request, code) =
            browser_sign_in(plan.registration.redirect_mode, &plan.endpoints, no_browser, |uri| {
                Ok(plan.authorize(uri))
            })
            .await
            .map_err(|failure| match failure {
                BrowserFailure::DeepLink => usage(format!(
                    "{:?} hands the sign-in back through mailgrant:// links, which only the desktop app receives: \
                     import from the app's expiry board, or use --device-code",
                    plan.registration.name
                )),
                BrowserFailure::Failed(failure) => failure,
            })?;
        plan.redeem(tokens, http, request, code).await
    };
    let import = result.map_err(|e| failure(e, registration))?;
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

fn state_words(import: &DirectoryImport) -> (String, Tone) {
    match &import.last_failure {
        Some(f) if f.sign_in_again => (format!("needs sign-in: {}", f.title), Tone::Bad),
        Some(f) => (format!("failing: {}", f.title), Tone::Warn),
        None if import.imported_at.is_none() => ("not read yet".to_owned(), Tone::Warn),
        None => ("ok".to_owned(), Tone::Good),
    }
}

fn list(context: &Context, json: bool) -> Outcome {
    let imports = Directory::beside(context.tokens.store()).load()?;
    if json {
        let rows: Vec<_> = imports
            .iter()
            .map(|i| {
                serde_json::json!({
                    "id": i.id,
                    "registration": i.registration,
                    "tenantId": i.tenant_id,
                    "tenant": i.tenant_name,
                    "signedInAs": i.signed_in_as,
                    "appOnly": i.app_only,
                    "importedAt": i.imported_at,
                    "applications": i.applications.len(),
                    "credentials": i.credential_count(),
                    "lastFailure": i.last_failure.as_ref().map(|f| serde_json::json!({
                        "code": f.code,
                        "title": f.title,
                        "at": f.at,
                        "signInAgain": f.sign_in_again,
                    })),
                })
            })
            .collect();
        say!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    if imports.is_empty() {
        say!("No imports yet: `mailgrant directory import REGISTRATION` reads an organisation's app registrations.");
        return Ok(EXIT_OK);
    }
    let now = mailgrant_core::tokens::now_unix();
    let mut table = Table::new(&["ID", "TENANT", "READ AS", "READ", "APPS", "CREDENTIALS", "STATE"]);
    for i in &imports {
        table.row(vec![
            (i.id.clone(), Tone::Plain),
            (i.tenant_name.clone(), Tone::Plain),
            (
                i.signed_in_as.clone().unwrap_or_else(|| "the app itself".into()),
                Tone::Plain,
            ),
            (
                i.imported_at
                    .map_or_else(|| "-".into(), |at| out::relative(at, now)),
                Tone::Plain,
            ),
            (i.applications.len().to_string(), Tone::Plain),
            (i.credential_count().to_string(), Tone::Plain),
            state_words(i),
        ]);
    }
    say_raw!("{}", table.render(out::colour_stdout()));
    Ok(EXIT_OK)
}

async fn refresh(context: &Context, ids: Vec<String>) -> Outcome {
    let ids = if ids.is_empty() {
        let all: Vec<String> = Directory::beside(context.tokens.store())
            .load()?
            .into_iter()
            .map(|i| i.id)
            .collect();
        if all.is_empty() {
            return Err(usage(
                "there are no imports to refresh: `mailgrant directory import REGISTRATION` makes one",
            ));
        }
        all
    } else {
        ids
    };
    let mut worst: Option<Failure> = None;
    for id in &ids {
        match directory::refresh(&context.tokens, &context.http, id).await {
            Ok(import) => say!(
                "{}: {} app registrations, {} secrets and certificates.",
                import.id,
                import.applications.len(),
                import.credential_count()
            ),
            Err(error) => {
                let failure = failure(error, id);
                note!("{id}: {}", failure.message);
                if worst.as_ref().is_none_or(|w| failure.code > w.code) {
                    worst = Some(failure);
                }
            }
        }
    }
    match worst {
        None => Ok(EXIT_OK),
        Some(failure) if ids.len() == 1 => Err(failure),
        Some(failure) => Err(Failure {
            message: "not every import could be read again (see above)".into(),
            ..failure
        }),
    }
}
