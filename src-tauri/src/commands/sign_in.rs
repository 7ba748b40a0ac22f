//! Signing in over IPC: an account (the wizard, "sign in again") or a directory import, through core's one
//! driver. The app's side of it: the system browser, events on a channel, answers pasted back or handed over as
//! mailgrant:// links, and cancelling.

use mailgrant_core::api::sign_in::{self, Callback, ImportMethod, Session, SignInEvent, SignInHost};
use mailgrant_core::api::{self, ApiError};
use mailgrant_core::health::AccountHealth;
use tauri::ipc::Channel;
use tauri::State;
use tokio_util::sync::CancellationToken;

use crate::AppState;

/// The desktop app as a sign-in host.
struct AppHost<'a> {
    events: &'a Channel<SignInEvent>,
    session: Session,
}

impl SignInHost for AppHost<'_> {
    fn open_browser(&mut self, url: &str) -> bool {
        mailgrant_core::browser::open(url).is_ok()
    }

    fn announce(&mut self, event: SignInEvent) {
        // The window may have gone: the sign-in carries on regardless.
        let _ = self.events.send(event);
    }

    fn receives_links(&self) -> bool {
        true
    }

    async fn callback(&mut self) -> Option<Callback> {
        self.session.answers.recv().await
    }

    fn cancellation(&self) -> CancellationToken {
        self.session.cancel.clone()
    }
}

impl AppState {
    /// The app as the host of a new sign-in, which becomes the one in progress.
    fn host<'a>(&self, events: &'a Channel<SignInEvent>) -> AppHost<'a> {
        AppHost {
            events,
            session: self.sessions.begin(),
        }
    }
}

/// Signs the account in: opens the system browser (or shows a device code), reports on `on_event`, and resolves
/// when the tokens are in the keychain. One sign-in at a time; `cancel_sign_in` stops it.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    name: String,
    on_event: Channel<SignInEvent>,
) -> Result<AccountHealth, ApiError> {
    sign_in::account(&state, &name, &mut state.host(&on_event)).await?;
    api::accounts::health_of(&state, &name)
}

/// Reads the organisation's app registrations through `registration`: an admin signs in (in the system browser,
/// or with a device code; events on `on_event`), or the app reads as itself. `cancel_sign_in` stops a sign-in.
#[tauri::command]
pub async fn import_directory(
    state: State<'_, AppState>,
    registration: String,
    method: ImportMethod,
    on_event: Channel<SignInEvent>,
) -> Result<api::directory::ImportView, ApiError> {
    let import = sign_in::import(&state, &registration, method, &mut state.host(&on_event)).await?;
    let config = state.store().load()?;
    let name = config.registration(&import.registration).map(|r| r.name.as_str());
    Ok(api::directory::ImportView::new(&import, name))
}

/// Stops the sign-in in progress, if any.
#[tauri::command]
pub fn cancel_sign_in(state: State<'_, AppState>) -> bool {
    state.sessions.cancel()
}

/// Hands the address the browser ended on (paste flow) to the sign-in in progress.
#[tauri::command]
pub fn submit_sign_in_address(state: State<'_, AppState>, address: String) -> Result<(), ApiError> {
    state.sessions.submit_address(address)
}
