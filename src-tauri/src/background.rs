//! While the app runs: access tokens refreshed before they expire, idle refresh tokens kept alive, the UI told
//! (`accounts-changed`) whenever an account's tokens or health changed, and a desktop notification when a client
//! secret or certificate crosses 30, 14 or 7 days before expiry, or expires (once per threshold). The
//! organisation's app registrations imported from Graph are read again once a day.

use std::time::Duration;

use mailgrant_core::identity::permissions;
use mailgrant_core::model::Flow;
use mailgrant_core::tokens::{now_unix, REFRESH_MARGIN_SECS};
use mailgrant_core::{directory, health};
use tauri::{Emitter, Runtime};

use crate::AppState;

/// The event the dashboard listens to.
pub const ACCOUNTS_CHANGED_EVENT: &str = "accounts-changed";

/// How often the accounts are looked at.
const TICK: Duration = Duration::from_secs(60);

/// Starts the loop; it ends with the app.
pub fn start<R: Runtime>(app: tauri::AppHandle<R>, state: AppState) {
    tauri::async_runtime::spawn(async move {
        let mut ticks: u64 = 0;
        loop {
            if tick(&state, ticks % 60 == 0).await {
                let _ = app.emit(ACCOUNTS_CHANGED_EVENT, ());
            }
            announce_expiries(&app, &state);
            ticks += 1;
            tokio::time::sleep(TICK).await;
        }
    });
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

/// One pass; true when something changed. `keep_alive`: also refresh refresh tokens idle for two weeks.
async fn tick(state: &AppState, keep_alive: bool) -> bool {
    let Ok(config) = state.tokens.store().load() else {
        return false;
    };
    let now = now_unix();
    let mut changed = false;
    for account in &config.accounts {
        // Accounts that need a sign-in wait for the user; the others get fresh tokens ahead of expiry.
        let failing = account
            .tokens
            .last_failure
            .as_ref()
            .is_some_and(|f| f.sign_in_again);
        let signed_in = account.flow == Flow::ClientCredentials || account.tokens.refresh_issued_at.is_some();
        if failing || !signed_in {
            continue;
        }
        for resource in permissions::resources(&account.services) {
            let due = account
                .tokens
                .access_expires
                .get(&resource)
                .is_some_and(|at| *at - now <= REFRESH_MARGIN_SECS);
            if due {
                let result = state.tokens.access_token(&account.name, resource).await;
                if let Err(error) = &result {
                    tracing::warn!(account = %account.name, %error, "background refresh failed");
                }
                changed = true;
            }
        }
    }
    if keep_alive {
        if let Ok(done) = state.tokens.keep_alive().await {
            changed |= !done.is_empty();
        }
        changed |= refresh_directory(state, now).await;
    }
    changed
}

/// Reads again the imports of the organisation's app registrations that are a day old; true when one was tried
/// (its list or its failure changed).
async fn refresh_directory(state: &AppState, now: i64) -> bool {
    let Ok(imports) = directory::Directory::beside(state.tokens.store()).load() else {
        return false;
    };
    let mut tried = false;
    for import in imports.iter().filter(|i| i.refresh_due(now)) {
        tried = true;
        if let Err(error) = directory::refresh(&state.tokens, &state.http, &import.id).await {
            tracing::warn!(import = %import.id, %error, "background directory refresh failed");
        }
    }
    tried
}
