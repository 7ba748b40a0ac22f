//! The mail bridge page ("Use it with a program that only knows passwords"): the account's user name and whether
//! it has a bridge password, a new password (shown once: a stored one never goes to the webview), revoking it,
//! and the bridge that runs while the app runs (started, stopped, its status). Translation only, over
//! `mailgrant_core::api::bridge`.

use mailgrant_core::api::bridge::{self as use_case, BridgeAccount, LanOptions, RunOptions};
use mailgrant_core::api::{ApiError, ErrorCode};
use tauri::State;

use crate::dto::{BridgeStartOptions, BridgeView, NewBridgePassword};
use crate::AppState;

#[tauri::command]
pub async fn bridge_account(state: State<'_, AppState>, name: String) -> Result<BridgeAccount, ApiError> {
    use_case::account(&state, &name).await
}

/// A new bridge password for the account (the old one stops working at once), to show once.
#[tauri::command]
pub async fn new_bridge_password(
    state: State<'_, AppState>,
    name: String,
) -> Result<NewBridgePassword, ApiError> {
    let made = use_case::password(&state, &name, true).await?;
    Ok(NewBridgePassword {
        account: made.account,
        user: made.user,
        password: made.password.expose().clone(),
    })
}

/// Revokes the account's bridge password; false when it had none.
#[tauri::command]
pub async fn revoke_bridge_password(state: State<'_, AppState>, name: String) -> Result<bool, ApiError> {
    use_case::revoke(&state, &name).await
}

fn view(running: &use_case::Running) -> BridgeView {
    BridgeView {
        status: running.status(),
        fingerprint: running.fingerprint.clone(),
        certificate_file: running.certificate_file.as_ref().map(|p| p.display().to_string()),
        lan_exposure: running
            .fingerprint
            .as_ref()
            .map(|_| use_case::LAN_EXPOSURE.to_owned()),
    }
}

/// Starts the bridge (stopping one already running first).
#[tauri::command]
pub async fn start_bridge(
    state: State<'_, AppState>,
    options: BridgeStartOptions,
) -> Result<BridgeView, ApiError> {
    let lan = match options.lan_address.as_deref() {
        Some(address) => Some(LanOptions {
            address: address.parse().map_err(|_| {
                ApiError::new(ErrorCode::BadAnswer, format!("{address:?} is not an IP address"))
            })?,
            names: Vec::new(),
            imaps: Some(mailgrant_core::bridge::DEFAULT_IMAPS_PORT),
            pop3s: Some(mailgrant_core::bridge::DEFAULT_POP3S_PORT),
            smtps: Some(mailgrant_core::bridge::DEFAULT_SMTPS_PORT),
        }),
        None => None,
    };
    let run = RunOptions {
        imap: options.imap_port,
        pop: options.pop_port,
        smtp: options.smtp_port,
        lan,
    };
    let mut slot = state.bridge.lock().await;
    if let Some(old) = slot.take() {
        old.bridge.stop();
    }
    let running = use_case::run(&state, &run).await?;
    let shown = view(&running);
    *slot = Some(running);
    Ok(shown)
}

#[tauri::command]
pub async fn stop_bridge(state: State<'_, AppState>) -> Result<(), ApiError> {
    if let Some(running) = state.bridge.lock().await.take() {
        running.bridge.stop();
    }
    Ok(())
}

/// The running bridge's listeners, sessions and last errors; null when it is off.
#[tauri::command]
pub async fn bridge_status(state: State<'_, AppState>) -> Result<Option<BridgeView>, ApiError> {
    Ok(state.bridge.lock().await.as_ref().map(view))
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::invoke;

    #[test]
    fn the_bridge_is_off_until_started_and_an_unknown_account_is_a_structured_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            invoke(dir.path(), "bridge_status", serde_json::json!({})).unwrap(),
            serde_json::Value::Null
        );
        for command in ["bridge_account", "new_bridge_password", "revoke_bridge_password"] {
            let err = invoke(dir.path(), command, serde_json::json!({ "name": "nobody" })).unwrap_err();
            assert_eq!(err["code"], "unknown-account", "{command}: {err}");
        }
        let err = invoke(
            dir.path(),
            "start_bridge",
            serde_json::json!({ "options": { "imapPort": 0, "popPort": null, "smtpPort": null, "lanAddress": "not an address" } }),
        )
        .unwrap_err();
        assert_eq!(err["code"], "bad-answer", "{err}");
    }
}
