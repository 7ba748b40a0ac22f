//! The types that cross IPC. TypeScript bindings are generated from them by ts-rs (`cargo test` writes
//! `ui/src/lib/ipc/bindings/`) and CI fails when the committed bindings drift.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What the UI shows about this build and where it keeps its data.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// Where accounts and app registrations are stored (never secrets: those are in the OS keychain).
    pub data_dir: String,
    /// True when `MAILGRANT_HOME` redirects the data (tests, portable use).
    pub data_dir_overridden: bool,
    /// `linux`, `macos` or `windows`: the UI names the keychain and menus accordingly.
    pub platform: String,
}

/// The desktop settings the app shows: what closing the window does, starting at login, and whether the desktop
/// shows Mailgrant's tray icon (where it doesn't, the app is opened again from the applications menu).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DesktopSettingsView {
    pub keep_running_when_closed: bool,
    pub start_at_login: bool,
    pub tray_shown: bool,
}

/// What an IPC error is about: the UI branches on it (never on the message), and TypeScript gets every value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ErrorCode {
    /// No account of that name.
    UnknownAccount,
    /// No directory import of that id or tenant.
    UnknownImport,
    /// No app registration of that id, client id or name.
    UnknownRegistration,
    /// Only a new interactive sign-in helps.
    SignInRequired,
    /// The OS keychain is locked or missing.
    KeychainUnavailable,
    /// The keychain refused or failed otherwise.
    Keychain,
    /// The config file could not be read or written.
    Config,
    /// Getting a token failed (Microsoft or the network; see the diagnosis).
    Token,
    /// The sign-in failed (see the diagnosis).
    SignIn,
    /// The user cancelled (or started over).
    Cancelled,
    /// The sign-in was not finished in time.
    TimedOut,
    /// The browser's answer was not this sign-in's.
    BadCallback,
    /// An answer in the wizard is not acceptable (the message says why).
    BadAnswer,
    /// A date that can't be read, or a secret's expiry Entra never issues.
    BadDate,
    /// A field name the wizard does not check.
    BadField,
    /// The client secret pasted is not one.
    BadSecret,
    /// The tenant is not one.
    BadTenant,
    /// Saving or removing the account failed.
    Account,
    /// Reading the organisation's app registrations failed (see the diagnosis).
    Directory,
    /// App-only access needs a credential or the organisation's tenant.
    AppOnly,
    /// The account does not use the protocols asked for.
    NoSuchService,
    /// No sign-in is waiting for an address.
    NoSignIn,
    /// Starting at login could not be changed.
    Autostart,
    /// A bug in Mailgrant (a task that stopped).
    Internal,
    /// Not Mailgrant's error object at all (the UI makes this one for anything else that went wrong).
    Unexpected,
}

/// What every command rejects with: `code` to branch on, `message` to show, and Microsoft's or the mail server's
/// answer explained when that is the reason.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub diagnosis: Option<Box<mailgrant_core::diagnosis::Diagnosis>>,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            diagnosis: None,
        }
    }

    pub fn from_store(e: mailgrant_core::store::StoreError) -> Self {
        Self::new(ErrorCode::Config, e.to_string())
    }

    pub fn from_token(e: mailgrant_core::tokens::TokenError) -> Self {
        use mailgrant_core::tokens::TokenError;
        let code = match &e {
            TokenError::UnknownAccount(_) => ErrorCode::UnknownAccount,
            TokenError::SignInAgain { .. } | TokenError::NoRefreshToken { .. } => ErrorCode::SignInRequired,
            TokenError::Vault(mailgrant_core::vault::VaultError::KeychainUnavailable { .. }) => {
                ErrorCode::KeychainUnavailable
            }
            TokenError::Store(_) => ErrorCode::Config,
            _ => ErrorCode::Token,
        };
        Self {
            code,
            message: e.to_string(),
            diagnosis: e.diagnosis().cloned().map(Box::new),
        }
    }

    pub fn from_connect(e: mailgrant_core::connect::ConnectError) -> Self {
        use mailgrant_core::connect::ConnectError;
        match e {
            ConnectError::Token(t) => Self::from_token(t),
            ConnectError::SignIn(s) => Self::from_sign_in(s),
            other => Self {
                code: ErrorCode::SignIn,
                message: other.to_string(),
                diagnosis: other.diagnosis().cloned().map(Box::new),
            },
        }
    }
}

/// One probe layer, as it completes (`test_account`'s channel).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProbeProgress {
    pub protocol: mailgrant_core::probe::Protocol,
    pub server: String,
    pub layer: mailgrant_core::probe::LayerReport,
}

/// What a sign-in in progress tells the UI (`sign_in`'s channel).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[ts(export)]
pub enum SignInEvent {
    /// The authorize page is open in the system browser (`opened` false: show the address to open by hand).
    /// `paste`: the user pastes the address the browser ends on.
    #[serde(rename_all = "camelCase")]
    Browser { url: String, opened: bool, paste: bool },
    /// Show the code large; the user enters it at `verification_uri`.
    #[serde(rename_all = "camelCase")]
    DeviceCode {
        user_code: String,
        verification_uri: String,
        #[ts(type = "number")]
        expires_in_secs: u64,
    },
}

impl SignInEvent {
    /// The code to show, from the device authorization's prompt.
    pub fn device_code(prompt: &mailgrant_core::signin::device::DeviceCodePrompt) -> Self {
        SignInEvent::DeviceCode {
            user_code: prompt.user_code.clone(),
            verification_uri: prompt.verification_uri.clone(),
            expires_in_secs: prompt.expires_in.as_secs(),
        }
    }
}

/// What tenant discovery found.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TenantFound {
    /// The Directory (tenant) ID, when the tenant is a specific one.
    pub tenant_id: Option<String>,
    /// `microsoftonline.com`, `microsoftonline.us`, `partner.microsoftonline.cn`.
    pub cloud_instance: Option<String>,
    pub region_scope: Option<String>,
}

impl IpcError {
    pub fn from_sign_in(e: mailgrant_core::signin::SignInError) -> Self {
        use mailgrant_core::signin::SignInError;
        let code = match &e {
            SignInError::Cancelled => ErrorCode::Cancelled,
            SignInError::TimedOut(_) => ErrorCode::TimedOut,
            SignInError::StateMismatch | SignInError::InvalidCallback(_) => ErrorCode::BadCallback,
            _ => ErrorCode::SignIn,
        };
        Self {
            code,
            message: e.to_string(),
            diagnosis: e.diagnosis().cloned().map(Box::new),
        }
    }

    pub fn from_account(e: mailgrant_core::accounts::AccountError) -> Self {
        Self::new(ErrorCode::Account, e.to_string())
    }

    pub fn from_add(e: mailgrant_core::connect::AddError) -> Self {
        use mailgrant_core::connect::AddError;
        let code = match &e {
            AddError::Invalid(_) => ErrorCode::BadAnswer,
            AddError::Store(_) => ErrorCode::Config,
            AddError::Vault(mailgrant_core::vault::VaultError::KeychainUnavailable { .. }) => {
                ErrorCode::KeychainUnavailable
            }
            AddError::Vault(_) => ErrorCode::Keychain,
        };
        Self::new(code, e.to_string())
    }
}

/// An account as the dashboard shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AccountView {
    pub health: mailgrant_core::health::AccountHealth,
    /// `auth-code`, `device-code` or `client-credentials`.
    pub flow: String,
    #[ts(type = "Array<\"imap\" | \"pop\" | \"smtp\" | \"graph-read\" | \"graph-send\">")]
    pub services: Vec<mailgrant_core::model::Service>,
    pub shared_mailbox: Option<String>,
    /// The permissions Microsoft granted, as the token endpoint listed them.
    pub scopes: Vec<String>,
    pub registration_name: String,
    pub client_id: String,
    /// The last refresh that failed, until one succeeds.
    pub last_failure: Option<FailureView>,
    /// Where to revoke consent, and what that does.
    pub revocation: mailgrant_core::health::ConsentRevocation,
}

/// Why the last refresh failed.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FailureView {
    /// The diagnosis code (`AADSTS70008`, …): `explain_code` gives the whole explanation.
    pub code: String,
    pub title: String,
    #[ts(type = "number")]
    pub at: i64,
    pub sign_in_again: bool,
}

/// How an import reads the organisation's app registrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum ImportMethod {
    /// An admin signs in in the system browser.
    Browser,
    /// An admin enters a code in a browser anywhere.
    DeviceCode,
    /// The registration reads as itself (its secret or certificate, the Application.Read.All app permission).
    AppOnly,
}

/// An app registration an import can read through.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportSource {
    pub registration: String,
    pub name: String,
    pub client_id: String,
    pub tenant: String,
    /// Confidential, for one tenant, with a credential in Mailgrant: it can read as itself.
    pub app_only: bool,
}

/// One import of an organisation's app registrations, as the expiry board shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ImportView {
    pub id: String,
    pub registration: String,
    pub registration_name: String,
    /// The tenant's domain (or ID).
    pub tenant: String,
    pub signed_in_as: Option<String>,
    pub app_only: bool,
    /// When the list was last read in full (unix seconds).
    #[ts(type = "number | null")]
    pub imported_at: Option<i64>,
    pub applications: u32,
    pub credentials: u32,
    /// Why the last refresh failed, until one succeeds.
    pub last_failure: Option<FailureView>,
}
