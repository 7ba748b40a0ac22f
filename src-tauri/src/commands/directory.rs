//! The organisation's app registrations from Microsoft Graph, for the expiry board: which registrations can
//! read them, the import itself (an admin's sign-in with live events, or the app as itself), refresh and forget.

use mailgrant_core::directory::{self, Directory, DirectoryError, DirectoryImport, ImportPlan};
use mailgrant_core::model::ClientKind;
use tauri::ipc::Channel;
use tauri::State;
use tokio_util::sync::CancellationToken;

use super::wizard::browser_code;
use crate::dto::{ErrorCode, FailureView, ImportMethod, ImportSource, ImportView, IpcError, SignInEvent};
use crate::AppState;

impl IpcError {
    pub fn from_directory(e: DirectoryError) -> Self {
        if !e.needs_sign_in() {
            if let DirectoryError::SignIn(s) = e {
                return Self::from_sign_in(s);
            }
        }
        let code = match &e {
            _ if e.needs_sign_in() => ErrorCode::SignInRequired,
            DirectoryError::Store(_) => ErrorCode::Config,
            DirectoryError::UnknownImport(_) | DirectoryError::AmbiguousImport(_) => ErrorCode::UnknownImport,
            DirectoryError::UnknownRegistration(_) => ErrorCode::UnknownRegistration,
            DirectoryError::AppOnlyNeedsCredential(_) | DirectoryError::AppOnlyNeedsTenant(..) => {
                ErrorCode::AppOnly
            }
            _ => ErrorCode::Directory,
        };
        Self {
            code,
            message: e.to_string(),
            diagnosis: e.diagnosis().cloned().map(Box::new),
        }
    }
}

fn view(import: &DirectoryImport, registration_name: Option<&str>) -> ImportView {
    ImportView {
        id: import.id.clone(),
        registration: import.registration.clone(),
        registration_name: registration_name.unwrap_or(&import.registration).to_owned(),
        tenant: import.tenant_name.clone(),
        signed_in_as: import.signed_in_as.clone(),
        app_only: import.app_only,
        imported_at: import.imported_at,
        applications: import.applications.len() as u32,
        credentials: import.credential_count() as u32,
        last_failure: import.last_failure.as_ref().map(|f| FailureView {
            code: f.code.clone(),
            title: f.title.clone(),
            at: f.at,
            sign_in_again: f.sign_in_again,
        }),
    }
}

fn views(state: &AppState, imports: &[DirectoryImport]) -> Result<Vec<ImportView>, IpcError> {
    let config = state.tokens.store().load().map_err(IpcError::from_store)?;
    Ok(imports
        .iter()
        .map(|i| view(i, config.registration(&i.registration).map(|r| r.name.as_str())))
        .collect())
}

/// The imports, in the order they were made.
#[tauri::command]
pub async fn list_imports(state: State<'_, AppState>) -> Result<Vec<ImportView>, IpcError> {
    let imports = Directory::beside(state.tokens.store())
        .load()
        .map_err(IpcError::from_store)?;
    views(&state, &imports)
}

/// The app registrations an import can read through, and how.
#[tauri::command]
pub async fn import_sources(state: State<'_, AppState>) -> Result<Vec<ImportSource>, IpcError> {
    let config = state.tokens.store().load().map_err(IpcError::from_store)?;
    Ok(config
        .registrations
        .iter()
        .map(|r| ImportSource {
            registration: r.id.clone(),
            name: r.name.clone(),
            client_id: r.client_id.to_string(),
            tenant: r.tenant.to_string(),
            app_only: r.client_kind == ClientKind::Confidential
                && !r.tenant.is_multi()
                && !r.credentials.is_empty(),
        })
        .collect())
}

/// Reads the organisation's app registrations through `registration`: an admin signs in (in the system browser,
/// or with a device code; events on `on_event`), or the app reads as itself. `cancel_sign_in` stops a sign-in.
#[tauri::command]
pub async fn import_directory(
    state: State<'_, AppState>,
    registration: String,
    method: ImportMethod,
    on_event: Channel<SignInEvent>,
) -> Result<ImportView, IpcError> {
    let plan = ImportPlan::load(&state.tokens, &registration).map_err(IpcError::from_directory)?;
    let import = state
        .tracked_sign_in(|cancel, callback| run_import(&state, &plan, method, &on_event, cancel, callback))
        .await?;
    Ok(view(&import, Some(&plan.registration.name)))
}

async fn run_import(
    state: &AppState,
    plan: &ImportPlan,
    method: ImportMethod,
    events: &Channel<SignInEvent>,
    cancel: CancellationToken,
    callback: crate::state::Callbacks,
) -> Result<DirectoryImport, IpcError> {
    let (tokens, http) = (&state.tokens, &state.http);
    let result = match method {
        ImportMethod::AppOnly => plan.app_only(tokens, http).await,
        ImportMethod::DeviceCode => {
            let authorization = plan
                .start_device_code(http)
                .await
                .map_err(IpcError::from_directory)?;
            let _ = events.send(SignInEvent::device_code(&authorization.prompt));
            plan.finish_device_code(tokens, http, &authorization, &cancel)
                .await
        }
        ImportMethod::Browser => {
            let (request, code) = browser_code(
                plan.registration.redirect_mode,
                &plan.endpoints,
                events,
                cancel,
                callback,
                |uri| Ok(plan.authorize(uri)),
            )
            .await?;
            plan.redeem(tokens, http, request, code).await
        }
    };
    result.map_err(IpcError::from_directory)
}

/// Reads an import again without signing in.
#[tauri::command]
pub async fn refresh_import(state: State<'_, AppState>, id: String) -> Result<ImportView, IpcError> {
    let result = directory::refresh(&state.tokens, &state.http, &id).await;
    let import = result.map_err(IpcError::from_directory)?;
    Ok(views(&state, std::slice::from_ref(&import))?.remove(0))
}

/// Forgets an import: its refresh token and its list.
#[tauri::command]
pub async fn remove_import(state: State<'_, AppState>, id: String) -> Result<(), IpcError> {
    directory::remove(&state.tokens, &id)
        .await
        .map(drop)
        .map_err(IpcError::from_directory)
}
