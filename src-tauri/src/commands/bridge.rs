//! The mail bridge page ("Use it with a program that only knows passwords"): the account's user name and whether
//! it has a bridge password, a new password (shown once: a stored one never goes to the webview), revoking it,
//! and the bridge that runs while the app runs (started, stopped, its status; remembered for the next launch).
//! Translation only, over `mailgrant_core::api::bridge`.

use mailgrant_core::api::bridge::{self as use_case, BridgeAccount, BridgeView};
use mailgrant_core::api::ApiError;
use tauri::State;

use crate::dto::NewBridgePassword;
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

/// Starts the bridge, or starts it again on the ports it has, for this computer only or (`lan_address`) also for
/// the devices on the network; the app starts it again at its next launch.
#[tauri::command]
pub async fn start_bridge(
    state: State<'_, AppState>,
    lan_address: Option<String>,
) -> Result<BridgeView, ApiError> {
    use_case::restart(&state, &state.bridge, lan_address).await
}

/// Stops the bridge; the next launch does not start it.
#[tauri::command]
pub async fn stop_bridge(state: State<'_, AppState>) -> Result<(), ApiError> {
    use_case::stop(&state, &state.bridge).await
}

/// The running bridge's listeners, sessions and last errors; null when it is off.
#[tauri::command]
pub async fn bridge_status(state: State<'_, AppState>) -> Result<Option<BridgeView>, ApiError> {
    Ok(use_case::status(&state.bridge).await)
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
            serde_json::json!({ "lanAddress": "not an address" }),
        )
        .unwrap_err();
        assert_eq!(err["code"], "bad-answer", "{err}");
    }
}
