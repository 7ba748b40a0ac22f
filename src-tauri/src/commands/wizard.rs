//! The "Connect a mailbox" wizard over IPC: field checks, the Entra guide, tenant discovery, and saving the
//! account (the secret goes straight to the keychain). Nothing secret comes back.

use mailgrant_core::api::{self, ApiError};
use mailgrant_core::health::AccountHealth;
use mailgrant_core::identity::setup::FieldCheck;
use mailgrant_core::wizard::{self, SetupGuide, WizardDraft};
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
