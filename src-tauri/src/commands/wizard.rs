//! The "Connect a mailbox" wizard over IPC: field checks, the Entra guide, tenant discovery, and saving the
//! account (the secret goes straight to the keychain). Nothing secret comes back.

use mailgrant_core::api::{self, ApiError};
use mailgrant_core::health::AccountHealth;
use mailgrant_core::identity::setup::FieldCheck;
use mailgrant_core::wizard::{self, CloudCheck, CustomCloudFields, SetupGuide, WizardDraft};
use tauri::State;

use crate::AppState;

/// Checks one pasted value as it is typed: `clientId`, `tenant` or `clientSecret`.
#[tauri::command]
pub fn check_field(field: String, value: String) -> Result<FieldCheck, ApiError> {
    api::wizard::check_field(&field, &value)
}

/// What to do in Entra for the answers so far.
#[tauri::command]
pub fn setup_guide(draft: WizardDraft) -> SetupGuide {
    wizard::guide(&draft)
}

/// Checks a custom cloud's addresses: each problem by field, or the cloud.
#[tauri::command]
pub fn check_cloud(fields: CustomCloudFields) -> CloudCheck {
    wizard::check_custom_cloud(&fields)
}

/// Looks the tenant up at the identity platform (its OpenID configuration): does it exist, which cloud.
#[tauri::command]
pub async fn discover_tenant(
    state: State<'_, AppState>,
    draft: WizardDraft,
) -> Result<api::wizard::TenantFound, ApiError> {
    api::wizard::discover_tenant(&state, &draft).await
}

/// Saves the account (and its app registration; a client secret to the keychain first). `replace`: the wizard
/// saves again after the user went back and changed an answer.
#[tauri::command]
pub async fn save_account(
    state: State<'_, AppState>,
    draft: WizardDraft,
    secret: Option<String>,
    secret_expires: Option<String>,
    replace: bool,
) -> Result<AccountHealth, ApiError> {
    api::accounts::add_from_wizard(
        &state,
        &draft,
        secret.as_deref(),
        secret_expires.as_deref(),
        replace,
    )
    .await
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::invoke;

    #[test]
    fn the_custom_cloud_is_checked_by_core_over_ipc() {
        let dir = tempfile::tempdir().unwrap();
        let fields = serde_json::json!({
            "authority": "http://login.example.net", "graph": "https://graph.example.net",
            "graphResource": "", "outlookResource": "",
            "imap": "imap.example.net:993", "pop": "pop.example.net", "smtp": "smtp.example.net:587"
        });
        let checked = invoke(dir.path(), "check_cloud", serde_json::json!({ "fields": fields })).unwrap();
        assert_eq!(checked["cloud"], serde_json::Value::Null);
        let problems = checked["problems"].as_object().unwrap();
        assert_eq!(problems.keys().collect::<Vec<_>>(), ["authority", "pop"]);
        let err = invoke(
            dir.path(),
            "check_field",
            serde_json::json!({ "field": "nope", "value": "" }),
        )
        .unwrap_err();
        assert_eq!(err["code"], "bad-field");
    }
}
