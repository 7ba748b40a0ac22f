//! While the app runs: access tokens refreshed before they expire, idle refresh tokens kept alive, the UI told
//! (`accounts-changed`) whenever an account's tokens or health changed, and a desktop notification when a client
//! secret or certificate crosses 30, 14 or 7 days before expiry, or expires (once per threshold). The
//! organisation's app registrations imported from Graph are read again once a day. The mail bridge starts again
//! if it was on.

use mailgrant_core::api::background::{self as use_case, KEEP_ALIVE_EVERY};
use mailgrant_core::health;
use mailgrant_core::token_lifecycle::now_unix;
use tauri::{Emitter, Runtime};

use crate::AppState;

/// The event the dashboard listens to.
pub const ACCOUNTS_CHANGED_EVENT: &str = "accounts-changed";

/// Starts the loop; it ends with the app (it goes on while the window is hidden). The app starts it once its first
/// screen has shown (`start_the_rest` in lib.rs): a bridge resumed or a token refreshed can wait that long.
pub fn start<R: Runtime>(app: tauri::AppHandle<R>, state: AppState) {
    tauri::async_runtime::spawn(async move {
        // The mail bridge, if it was on when the app last ran: a scanner's settings keep working after a restart.
        if let Err(error) = mailgrant_core::api::bridge::resume(&state, &state.bridge).await {
            tracing::warn!(error = %error.message, "the mail bridge did not start again");
        }
        let mut kept_alive: Option<tokio::time::Instant> = None;
        loop {
            let keep_alive = kept_alive.is_none_or(|at| at.elapsed() >= KEEP_ALIVE_EVERY);
            if keep_alive {
                kept_alive = Some(tokio::time::Instant::now());
            }
            let (changed, wake) = use_case::tick(&state, keep_alive).await;
            if changed {
                let _ = app.emit(ACCOUNTS_CHANGED_EVENT, ());
            }
            announce_expiries(&app, &state);
            tokio::time::sleep(wake).await;
        }
    });
}

/// "Refresh all now" (the tray): new tokens for every account that can have them, then the UI is told.
pub async fn refresh_all<R: Runtime>(app: &tauri::AppHandle<R>, state: &AppState) {
    use_case::refresh_all(state).await;
    let _ = app.emit(ACCOUNTS_CHANGED_EVENT, ());
}

/// Notifies each credential that crossed a threshold since it was last announced.
fn announce_expiries<R: Runtime>(app: &tauri::AppHandle<R>, state: &AppState) {
    use tauri_plugin_notification::NotificationExt;
    let Ok(rows) = health::board(state.tokens.store(), now_unix()) else {
        return;
    };
    let mut notices = health::ExpiryNotices::load(&state.home);
    let due = notices.due(&rows);
    if due.is_empty() {
        return;
    }
    for (title, body) in health::expiry_notices(&due) {
        if let Err(error) = app.notification().builder().title(title).body(body).show() {
            tracing::warn!(%error, "cannot show a desktop notification");
        }
    }
    if let Err(error) = notices.save(&state.home) {
        tracing::warn!(%error, "cannot record the expiry notifications");
    }
}
