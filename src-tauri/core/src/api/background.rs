//! What the desktop app does while it runs, window closed or not: access tokens refreshed before they expire,
//! idle refresh tokens kept alive, the organisation's app registrations imported from Graph read again once a
//! day, and "Refresh all now". The app's loop calls [`tick`] and sleeps as long as it says.

use std::time::Duration;

use super::Api;
use crate::directory;
use crate::identity::permissions;
use crate::model::{Account, Flow};
use crate::store::ConfigFile;
use crate::token_lifecycle::{now_unix, REFRESH_MARGIN_SECS};

/// How often the accounts are looked at, at most; sooner when an access token comes due before.
pub const TICK: Duration = Duration::from_secs(60);
/// How often idle refresh tokens are looked for and the imports of app registrations are checked.
pub const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(3600);

/// One pass: whether something changed (the UI is to be told), and how long to sleep before the next one.
/// `keep_alive`: also refresh refresh tokens idle for two weeks, and the imports a day old.
pub async fn tick(api: &Api, keep_alive: bool) -> (bool, Duration) {
    let Ok(config) = api.store().load() else {
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
                if let Err(error) = api.tokens.access_token(&account.name, resource).await {
                    tracing::warn!(account = %account.name, %error, "background refresh failed");
                }
                changed = true;
            }
        }
    }
    if keep_alive {
        if let Ok(done) = api.tokens.keep_alive().await {
            changed |= !done.is_empty();
        }
        changed |= refresh_directory(api, now).await;
    }
    (changed, next_wake(&config, now))
}

/// "Refresh all now": new tokens for every account that can have them.
pub async fn refresh_all(api: &Api) {
    let Ok(config) = api.store().load() else {
        return;
    };
    for account in config.accounts.iter().filter(|a| refreshable(a)) {
        for resource in permissions::resources(&account.services) {
            if let Err(error) = api.tokens.refresh_now(&account.name, resource).await {
                tracing::warn!(account = %account.name, %error, "refresh failed");
            }
        }
    }
}

/// Until the next access token comes due (its expiry less the refresh margin), at most [`TICK`], from the config
/// as the tick read it. One already due was just tried by that tick (refreshed, or failed): it doesn't count, so a
/// dead server is asked once a [`TICK`], not every second.
fn next_wake(config: &ConfigFile, now: i64) -> Duration {
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
fn refreshable(account: &Account) -> bool {
    let failing = account
        .tokens
        .last_failure
        .as_ref()
        .is_some_and(|f| f.sign_in_again);
    let signed_in = account.flow == Flow::ClientCredentials || account.tokens.refresh_issued_at.is_some();
    signed_in && !failing
}

/// Reads again the imports of the organisation's app registrations that are a day old; true when one was tried
/// (its list or its failure changed).
async fn refresh_directory(api: &Api, now: i64) -> bool {
    let Ok(imports) = directory::Directory::beside(api.store()).load() else {
        return false;
    };
    let mut tried = false;
    for import in imports.iter().filter(|i| i.refresh_due(now)) {
        tried = true;
        if let Err(error) = directory::refresh(&api.tokens, &api.http, &import.id).await {
            tracing::warn!(import = %import.id, %error, "background directory refresh failed");
        }
    }
    tried
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::examples;
    use crate::model::{RefreshFailure, Resource, Service};

    fn signed_in(name: &str, outlook_expires: i64) -> Account {
        let mut account = examples::account(name, "adele@contoso.com", "r", &[Service::Imap]);
        account.tokens.refresh_issued_at = Some(0);
        account
            .tokens
            .access_expires
            .insert(Resource::Outlook, outlook_expires);
        account
    }

    #[test]
    fn the_loop_wakes_for_the_next_token_due_and_only_for_accounts_it_may_refresh() {
        let now = 1_000_000;
        let mut config = ConfigFile::default();
        assert_eq!(next_wake(&config, now), TICK, "nothing to do: once a minute");

        // Due in 5 min 20 s: woken 20 s from now, when the refresh margin starts.
        config
            .accounts
            .push(signed_in("soon", now + REFRESH_MARGIN_SECS + 20));
        assert_eq!(next_wake(&config, now), Duration::from_secs(20));

        // Already due (just tried by this tick): not every second, at the next minute.
        config.accounts[0]
            .tokens
            .access_expires
            .insert(Resource::Outlook, now + 10);
        assert_eq!(next_wake(&config, now), TICK);

        // An account waiting for a sign-in, or never signed in, is left alone.
        let mut failing = signed_in("failing", now + REFRESH_MARGIN_SECS + 5);
        failing.tokens.last_failure = Some(RefreshFailure {
            code: "AADSTS70008".into(),
            title: "expired".into(),
            at: now,
            sign_in_again: true,
        });
        let mut never = signed_in("never", now + REFRESH_MARGIN_SECS + 5);
        never.tokens.refresh_issued_at = None;
        assert!(!refreshable(&failing) && !refreshable(&never));
        config.accounts.extend([failing, never]);
        assert_eq!(next_wake(&config, now), TICK);

        // A background service (client credentials) has no refresh token and is refreshed all the same.
        let mut service = signed_in("service", now + REFRESH_MARGIN_SECS + 7);
        service.flow = Flow::ClientCredentials;
        service.tokens.refresh_issued_at = None;
        config.accounts.push(service);
        assert_eq!(next_wake(&config, now), Duration::from_secs(7));
    }
}
