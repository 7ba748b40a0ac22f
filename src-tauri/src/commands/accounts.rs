//! Accounts over IPC: their health, and the mailbox probes with live progress. Access tokens never cross IPC:
//! the probes fetch and use them here, and only what was learned (layers, decoded claims, the diagnosis) goes to
//! the UI.

use std::collections::BTreeSet;

use mailgrant_core::connect::SignInPlan;
use std::sync::Arc;

use mailgrant_core::health::{self, AccountHealth, ConsentRevocation, CredentialExpiry};
use mailgrant_core::identity::endpoints::Endpoints;
use mailgrant_core::identity::permissions;
use mailgrant_core::probe::{self, ProbeOptions, ProbeReport, ProbeTarget, Protocol};
use mailgrant_core::tokens::now_unix;
use tauri::ipc::Channel;
use tauri::State;

use crate::dto::{AccountView, ErrorCode, FailureView, IpcError, ProbeProgress};
use crate::AppState;

/// Every account with its health (state in words, token expiry, refresh-token inactivity, credential expiry).
#[tauri::command]
pub async fn list_accounts(state: State<'_, AppState>) -> Result<Vec<AccountHealth>, IpcError> {
    let config = state.tokens.store().load().map_err(IpcError::from_store)?;
    Ok(health::accounts(&config, now_unix()))
}

/// Every account as the dashboard shows it: health, how it signs in, scopes granted, where to revoke consent.
#[tauri::command]
pub async fn account_views(state: State<'_, AppState>) -> Result<Vec<AccountView>, IpcError> {
    let config = state.tokens.store().load().map_err(IpcError::from_store)?;
    let now = now_unix();
    Ok(config
        .accounts
        .iter()
        .map(|a| {
            let registration = config.registration(&a.registration);
            AccountView {
                health: health::account_health(a, registration, now),
                flow: mailgrant_core::connect::flow_label(a.flow).to_owned(),
                services: a.services.iter().copied().collect(),
                shared_mailbox: a.shared_mailbox.clone(),
                scopes: a.tokens.scopes_granted.iter().cloned().collect(),
                registration_name: registration.map(|r| r.name.clone()).unwrap_or_default(),
                client_id: registration.map(|r| r.client_id.to_string()).unwrap_or_default(),
                last_failure: a.tokens.last_failure.as_ref().map(|f| FailureView {
                    code: f.code.clone(),
                    title: f.title.clone(),
                    at: f.at,
                    sign_in_again: f.sign_in_again,
                }),
                revocation: health::consent_revocation(a, registration),
            }
        })
        .collect())
}

/// Refreshes the account's access tokens now (every resource it uses). A failure is recorded on the account
/// (the dashboard then shows it) and comes back with its diagnosis.
#[tauri::command]
pub async fn refresh_account(state: State<'_, AppState>, name: String) -> Result<AccountHealth, IpcError> {
    let account = state
        .tokens
        .store()
        .account(&name)
        .map_err(IpcError::from_store)?
        .ok_or_else(|| {
            IpcError::new(
                ErrorCode::UnknownAccount,
                format!("there is no account called {name:?}"),
            )
        })?;
    for resource in permissions::resources(&account.services) {
        state
            .tokens
            .refresh_now(&name, resource)
            .await
            .map_err(IpcError::from_token)?;
    }
    state.health_of(&name)
}

/// Forgets the account: its keychain entries (and its registration's, when no other account uses it) and its
/// config. Returns where to revoke the consent, which stays with Microsoft.
#[tauri::command]
pub async fn remove_account(state: State<'_, AppState>, name: String) -> Result<ConsentRevocation, IpcError> {
    let (store, vault) = (state.tokens.store().clone(), Arc::clone(state.tokens.vault()));
    tokio::task::spawn_blocking(move || {
        let config = store.load().map_err(IpcError::from_store)?;
        let account = config.account(&name).cloned().ok_or_else(|| {
            IpcError::new(
                ErrorCode::UnknownAccount,
                format!("there is no account called {name:?}"),
            )
        })?;
        let revocation = health::consent_revocation(&account, config.registration(&account.registration));
        mailgrant_core::accounts::remove(&store, &vault, &name).map_err(IpcError::from_account)?;
        Ok(revocation)
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))?
}

/// Every client secret and certificate of every app registration, soonest expiry first.
#[tauri::command]
pub async fn list_credentials(state: State<'_, AppState>) -> Result<Vec<CredentialExpiry>, IpcError> {
    health::board(state.tokens.store(), now_unix()).map_err(IpcError::from_store)
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
) -> Result<Vec<ProbeReport>, IpcError> {
    let tokens = &state.tokens;
    let plan = SignInPlan::load(tokens, &name).map_err(IpcError::from_connect)?;
    let endpoints = Endpoints::for_cloud(&plan.registration.cloud);
    let wanted: BTreeSet<Protocol> = protocols.into_iter().collect();
    let mut seen = BTreeSet::new();
    let options = ProbeOptions {
        ca_file: state.ca_file.clone(),
        send_to_self,
        ..ProbeOptions::default()
    };
    let mut reports = Vec::new();
    for service in &plan.account.services {
        let target = ProbeTarget::for_account(&plan.account, &endpoints, *service);
        // Graph read and send are one probe.
        if !(wanted.is_empty() || wanted.contains(&target.protocol)) || !seen.insert(target.protocol) {
            continue;
        }
        let token = tokens
            .access_token(&name, permissions::resource_of(*service))
            .await
            .map_err(IpcError::from_token)?;
        let (protocol, server) = (target.protocol, target.server());
        let report = probe::run(&target, &token.token, &options, |layer| {
            // The UI may have gone (window closed): the probe carries on regardless.
            let _ = on_layer.send(ProbeProgress {
                protocol,
                server: server.clone(),
                layer,
            });
        })
        .await;
        reports.push(report);
    }
    if reports.is_empty() {
        return Err(IpcError::new(
            ErrorCode::NoSuchService,
            format!("{name:?} does not use the protocols asked for"),
        ));
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use mailgrant_core::DataHome;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    use crate::{configure, AppState};

    fn invoke(
        home: &std::path::Path,
        cmd: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let home = DataHome::resolve(Some(home.to_path_buf()), None).unwrap();
        let app = configure(mock_builder(), AppState::new(home).unwrap())
            .build(mock_context(noop_assets()))
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(body),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|r| r.deserialize::<serde_json::Value>().unwrap())
    }

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
