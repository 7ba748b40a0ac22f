//! While the app runs: access tokens refreshed before they expire, idle refresh tokens kept alive, the UI told
//! (`accounts-changed`) whenever an account's tokens or health changed, and a desktop notification when a client
//! secret or certificate crosses 30, 14 or 7 days before expiry, or expires (once per threshold). The
//! organisation's app registrations imported from Graph are read again once a day. The mail bridge starts again
//! if it was on.

use std::time::Duration;

use mailgrant_core::identity::permissions;
use mailgrant_core::model::Flow;
use mailgrant_core::token_lifecycle::{now_unix, REFRESH_MARGIN_SECS};
use mailgrant_core::{directory, health};
use tauri::{Emitter, Runtime};

use crate::AppState;

/// The event the dashboard listens to.
pub const ACCOUNTS_CHANGED_EVENT: &str = "accounts-changed";

/// How often the accounts are looked at, at most; sooner when an access token comes due before.
const TICK: Duration = Duration::from_secs(60);
/// How often idle refresh tokens are looked for and the imports of app registrations are checked.
const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(3600);

/// Starts the loop; it ends with the app (it goes on while the window is hidden).
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
            let (changed, wake) = tick(&state, keep_alive).await;
            if changed {
                let _ = app.emit(ACCOUNTS_CHANGED_EVENT, ());
            }
            announce_expiries(&app, &state);
            tokio::time::sleep(wake).await;
        }
    });
}

/// Until the next access token comes due (its expiry less the refresh margin), at most [`TICK`], from the config
/// as the tick read it. One already due was just tried by that tick (refreshed, or failed): it doesn't count, so a
/// dead server is asked once a [`TICK`], not every second.
fn next_wake(config: &mailgrant_core::store::ConfigFile, now: i64) -> Duration {
    config
        .accounts
        .iter()
        .filter(|a| refreshable(a))
        .flat_map(|a| a.tokens.access_expires.values().copied())
        .map(|at| at - REFRESH_MARGIN_SECS - now)
        .filter(|secs| *secs > 0)
        .min()
        .map_or(TICK, |secs| TICK.min(Duration::from_secs(secs.unsigned_abs())))
}

/// Whether the background may refresh the account's tokens: signed in, and not waiting for a new sign-in.
fn refreshable(account: &mailgrant_core::model::Account) -> bool {
    let failing = account
        .tokens
        .last_failure
        .as_ref()
        .is_some_and(|f| f.sign_in_again);
    let signed_in = account.flow == Flow::ClientCredentials || account.tokens.refresh_issued_at.is_some();
    signed_in && !failing
}

/// "Refresh all now" (the tray): new tokens for every account that can have them, then the UI is told.
pub async fn refresh_all<R: Runtime>(app: &tauri::AppHandle<R>, state: &AppState) {
    let Ok(config) = state.tokens.store().load() else {
        return;
    };
    for account in config.accounts.iter().filter(|a| refreshable(a)) {
        for resource in permissions::resources(&account.services) {
            if let Err(error) = state.tokens.refresh_now(&account.name, resource).await {
                tracing::warn!(account = %account.name, %error, "refresh failed");
            }
        }
    }
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

/// One pass: whether something changed, and how long to sleep before the next one. `keep_alive`: also refresh
/// refresh tokens idle for two weeks.
async fn tick(state: &AppState, keep_alive: bool) -> (bool, Duration) {
    let Ok(config) = state.tokens.store().load() else {
        return (false, TICK);
    };
    let now = now_unix();
    let mut changed = false;
    for account in config.accounts.iter().filter(|a| refreshable(a)) {
        // Accounts that need a sign-in wait for the user; the others get fresh tokens ahead of expiry.
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
    (changed, next_wake(&config, now))
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
