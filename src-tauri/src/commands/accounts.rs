//! Accounts over IPC: their health, refresh, removal, the board, and the mailbox probes with live progress.
//! Access tokens never cross IPC: core's probes fetch and use them, and only what was learned (layers, decoded
//! claims, the diagnosis) comes here.

use mailgrant_core::api::accounts::{self, AccountView, ProbeProgress, TestEvent, TestRequest};
use mailgrant_core::api::ApiError;
use mailgrant_core::handoff::MailSettings;
use mailgrant_core::health::{AccountHealth, ConsentRevocation, CredentialExpiry};
use mailgrant_core::probe::{ProbeReport, Protocol};
use tauri::ipc::Channel;
use tauri::State;

use crate::AppState;

/// Every account with its health (state in words, token expiry, refresh-token inactivity, credential expiry).
#[tauri::command]
pub async fn list_accounts(state: State<'_, AppState>) -> Result<Vec<AccountHealth>, ApiError> {
    accounts::list(&state)
}

/// Every account as the dashboard shows it: health, how it signs in, scopes granted, where to revoke consent.
#[tauri::command]
pub async fn account_views(state: State<'_, AppState>) -> Result<Vec<AccountView>, ApiError> {
    accounts::views(&state)
}

/// Refreshes the account's access tokens now (every resource it uses). A failure is recorded on the account
/// (the dashboard then shows it) and comes back with its diagnosis.
#[tauri::command]
pub async fn refresh_account(state: State<'_, AppState>, name: String) -> Result<AccountHealth, ApiError> {
    accounts::refresh(&state, &name).await
}

/// Forgets the account: its keychain entries (and its registration's, when no other account uses it) and its
/// config. Returns where to revoke the consent, which stays with Microsoft.
#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, name: String) -> Result<ConsentRevocation, ApiError> {
    Ok(accounts::remove(&state, &name).await?.revocation)
}

/// Replaces a registration's client secret with a new Value (checked by Microsoft first). The value goes to the
/// keychain; nothing secret comes back.
#[tauri::command]
pub async fn replace_client_secret(
    state: State<'_, AppState>,
    registration: String,
    value: String,
    expires: Option<String>,
) -> Result<accounts::SecretReplaced, ApiError> {
    accounts::replace_secret(&state, &registration, &value, expires.as_deref()).await
}

/// The products the "another product" path knows, and "another product".
#[tauri::command]
pub fn product_presets() -> Vec<mailgrant_core::product::ProductPreset> {
    mailgrant_core::product::presets()
}

/// Every value a product asks for, from the account that verified its registration (never the secret's Value).
#[tauri::command]
pub async fn hand_over(
    state: State<'_, AppState>,
    name: String,
    product: String,
    redirect_uri: Option<String>,
) -> Result<mailgrant_core::product::HandOver, ApiError> {
    accounts::hand_over(&state, &name, &product, redirect_uri.as_deref())
}

/// "Use this mailbox": the account's servers, user name and the recipes for mail programs.
#[tauri::command]
pub async fn mail_settings(state: State<'_, AppState>, name: String) -> Result<MailSettings, ApiError> {
    accounts::mail_settings(&state, &name)
}

/// Every client secret and certificate of every app registration, soonest expiry first.
#[tauri::command]
pub async fn list_credentials(state: State<'_, AppState>) -> Result<Vec<CredentialExpiry>, ApiError> {
    accounts::board(&state)
}

/// The board's rows (as the UI shows them, filtered) as CSV, with the columns of `mailgrant secrets --csv`.
#[tauri::command]
pub fn credentials_csv(rows: Vec<CredentialExpiry>) -> String {
    mailgrant_core::health::credentials_csv(&rows)
}

/// Probes the account's mailbox, one protocol after another (`protocols` empty: all the account uses), sending
/// each layer to `on_layer` as it completes. Returns every report.
#[tauri::command]
pub async fn test_account(
    state: State<'_, AppState>,
    name: String,
    protocols: Vec<Protocol>,
    send_to_self: bool,
    on_layer: Channel<ProbeProgress>,
) -> Result<Vec<ProbeReport>, ApiError> {
    let request = TestRequest {
        only: protocols.into_iter().collect(),
        send_to_self,
        timeout: None,
    };
    accounts::test(&state, &name, &request, |event| {
        if let TestEvent::Layer(progress) = event {
            // The UI may have gone (window closed): the probe carries on regardless.
            let _ = on_layer.send(progress);
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::invoke;

    #[test]
    fn accounts_come_with_their_health() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            serde_json::json!({
                "schema_version": 1,
                "registrations": [{
                    "id": "reg", "name": "Reg", "client_id": "6731de76-14a6-49ae-97bc-6eba6914391e",
                    "tenant": "contoso.example", "cloud": {"kind": "global"}, "client_kind": "public",
                    "redirect_mode": "loopback"
                }],
                "accounts": [{
                    "name": "adele", "address": "adele@contoso.example", "registration": "reg",
                    "flow": "auth-code", "services": ["imap"], "shared_mailbox": null, "identity": null
                }]
            })
            .to_string(),
        )
        .unwrap();
        let list = invoke(dir.path(), "list_accounts", serde_json::json!({})).unwrap();
        assert_eq!(list[0]["name"], "adele");
        assert_eq!(list[0]["state"], "not-signed-in");
    }

    #[test]
    fn testing_an_unknown_account_is_a_structured_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = invoke(
            dir.path(),
            "test_account",
            serde_json::json!({
                "name": "nobody",
                "protocols": [],
                "sendToSelf": false,
                "onLayer": "__CHANNEL__:1"
            }),
        )
        .unwrap_err();
        assert_eq!(err["code"], "unknown-account", "{err}");
        assert!(err["message"].as_str().unwrap().contains("nobody"));
    }
}
