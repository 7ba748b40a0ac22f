//! The one error of the API layer: a [`ErrorCode`] to branch on (TypeScript receives every value, the CLI turns it
//! into its exit code), a message to show, and Microsoft's or a mail server's answer explained when that is why.
//! Every core error becomes one here, in one place.

use serde::Serialize;

use crate::accounts::AccountError;
use crate::connect::{AddError, ConnectError};
use crate::diagnosis::Diagnosis;
use crate::directory::DirectoryError;
use crate::signin::SignInError;
use crate::store::StoreError;
use crate::token_lifecycle::TokenError;
use crate::vault::VaultError;

/// What an error is about: the UI branches on it (never on the message), the CLI maps it to an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
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
    /// An answer in the wizard (or an argument of the CLI) is not acceptable; the message says why.
    BadAnswer,
    /// A date that can't be read, or a secret's expiry Entra never issues.
    BadDate,
    /// A field name the wizard does not check.
    BadField,
    /// The client secret pasted is not one.
    BadSecret,
    /// The tenant is not one.
    BadTenant,
    /// The account signs in another way than the one asked for.
    WrongFlow,
    /// The sign-in answers through mailgrant:// links, which only the desktop app receives.
    NeedsDesktopApp,
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

/// The CLI's exit codes (docs/cli.md): 0 done, 1 something needs attention, 2 a wrong argument or name, 3 an
/// account must sign in again, 4 the keychain is locked or missing, 130 cancelled (as after Ctrl+C).
pub mod exit {
    pub const OK: u8 = 0;
    pub const ATTENTION: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const SIGN_IN: u8 = 3;
    pub const KEYCHAIN: u8 = 4;
    pub const CANCELLED: u8 = 130;
}

impl ErrorCode {
    /// The CLI's exit code for an error of this kind: the one mapping.
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorCode::UnknownAccount
            | ErrorCode::UnknownImport
            | ErrorCode::UnknownRegistration
            | ErrorCode::BadAnswer
            | ErrorCode::BadDate
            | ErrorCode::BadField
            | ErrorCode::BadSecret
            | ErrorCode::BadTenant
            | ErrorCode::WrongFlow
            | ErrorCode::NeedsDesktopApp
            | ErrorCode::AppOnly
            | ErrorCode::NoSuchService
            | ErrorCode::NoSignIn => exit::USAGE,
            ErrorCode::SignInRequired => exit::SIGN_IN,
            ErrorCode::KeychainUnavailable => exit::KEYCHAIN,
            ErrorCode::Cancelled => exit::CANCELLED,
            ErrorCode::Keychain
            | ErrorCode::Config
            | ErrorCode::Token
            | ErrorCode::SignIn
            | ErrorCode::TimedOut
            | ErrorCode::BadCallback
            | ErrorCode::Account
            | ErrorCode::Directory
            | ErrorCode::Autostart
            | ErrorCode::Internal
            | ErrorCode::Unexpected => exit::ATTENTION,
        }
    }
}

/// What every use case fails with: `code` to branch on, `message` to show, and Microsoft's or the mail server's
/// answer explained when that is the reason. `subject` names the account or import it is about, when one is.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "IpcError"))]
#[serde(rename_all = "camelCase")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub diagnosis: Option<Box<Diagnosis>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub subject: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            diagnosis: None,
            subject: None,
        }
    }

    fn with_diagnosis(mut self, diagnosis: Option<&Diagnosis>) -> Self {
        self.diagnosis = diagnosis.cloned().map(Box::new);
        self
    }

    /// Names the account or import the error is about.
    pub fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// A task that stopped (a bug, or the runtime shutting down).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, e.to_string())
    }

    pub fn unknown_account(name: &str) -> Self {
        Self::new(
            ErrorCode::UnknownAccount,
            format!("there is no account called {name:?}"),
        )
        .about(name)
    }

    pub fn cancelled() -> Self {
        Self::new(ErrorCode::Cancelled, "the sign-in was cancelled")
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NotFound { kind: "account", .. } => ErrorCode::UnknownAccount,
            StoreError::NotFound {
                kind: "registration", ..
            } => ErrorCode::UnknownRegistration,
            StoreError::NotFound { .. } | StoreError::Duplicate { .. } => ErrorCode::BadAnswer,
            _ => ErrorCode::Config,
        };
        let subject = match &e {
            StoreError::NotFound { name, .. } => Some(name.clone()),
            _ => None,
        };
        Self {
            subject,
            ..Self::new(code, e.to_string())
        }
    }
}

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        let code = match e {
            VaultError::KeychainUnavailable { .. } => ErrorCode::KeychainUnavailable,
            _ => ErrorCode::Keychain,
        };
        Self::new(code, e.to_string())
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        let diagnosis = e.diagnosis().cloned().map(Box::new);
        let error = match e {
            TokenError::Vault(v) => return v.into(),
            TokenError::Store(s) => return s.into(),
            TokenError::UnknownAccount(name) => return Self::unknown_account(&name),
            TokenError::SignInAgain { ref account, .. } | TokenError::NoRefreshToken { ref account } => {
                Self::new(
                    ErrorCode::SignInRequired,
                    format!("{account:?} must sign in again"),
                )
                .about(account.clone())
            }
            other => Self::new(ErrorCode::Token, other.to_string()),
        };
        Self { diagnosis, ..error }
    }
}

impl From<SignInError> for ApiError {
    fn from(e: SignInError) -> Self {
        let code = match &e {
            SignInError::Cancelled => ErrorCode::Cancelled,
            SignInError::TimedOut(_) => ErrorCode::TimedOut,
            SignInError::StateMismatch | SignInError::InvalidCallback(_) => ErrorCode::BadCallback,
            _ => ErrorCode::SignIn,
        };
        let message = match e.diagnosis() {
            Some(d) => format!("the sign-in did not finish: {}", d.summary()),
            None => e.to_string(),
        };
        Self::new(code, message).with_diagnosis(e.diagnosis())
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(s) => s.into(),
            AccountError::Vault(v) => v.into(),
            other => Self::new(ErrorCode::Account, other.to_string()),
        }
    }
}

impl From<ConnectError> for ApiError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Token(t) => t.into(),
            ConnectError::SignIn(s) => s.into(),
            ConnectError::Account(a) => a.into(),
            ConnectError::WrongFlow { ref account, .. } => {
                Self::new(ErrorCode::WrongFlow, e.to_string()).about(account.clone())
            }
            ConnectError::NoServices(ref account) => {
                Self::new(ErrorCode::NoSuchService, e.to_string()).about(account.clone())
            }
        }
    }
}

impl From<AddError> for ApiError {
    fn from(e: AddError) -> Self {
        match e {
            AddError::Invalid(m) => Self::new(ErrorCode::BadAnswer, m),
            AddError::Store(s) => s.into(),
            AddError::Vault(v) => v.into(),
        }
    }
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        if e.needs_sign_in() {
            return Self::new(ErrorCode::SignInRequired, "the import must sign in again")
                .with_diagnosis(e.diagnosis());
        }
        let code = match e {
            DirectoryError::SignIn(s) => return s.into(),
            DirectoryError::Token(t) => return t.into(),
            DirectoryError::Account(a) => return a.into(),
            DirectoryError::Store(s) => return s.into(),
            DirectoryError::UnknownImport(_) | DirectoryError::AmbiguousImport(_) => ErrorCode::UnknownImport,
            DirectoryError::UnknownRegistration(_) => ErrorCode::UnknownRegistration,
            DirectoryError::AppOnlyNeedsCredential(_) | DirectoryError::AppOnlyNeedsTenant(..) => {
                ErrorCode::AppOnly
            }
            DirectoryError::Graph(_) | DirectoryError::BadAnswer(_) => ErrorCode::Directory,
        };
        let message = match e.diagnosis() {
            Some(d) => format!("cannot read the app registrations: {}", d.summary()),
            None if code == ErrorCode::Directory => format!("cannot read the app registrations: {e}"),
            None => e.to_string(),
        };
        Self::new(code, message).with_diagnosis(e.diagnosis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_an_exit_code_and_only_success_is_zero() {
        for code in [
            ErrorCode::UnknownAccount,
            ErrorCode::SignInRequired,
            ErrorCode::KeychainUnavailable,
            ErrorCode::Cancelled,
            ErrorCode::Internal,
        ] {
            assert_ne!(code.exit_code(), exit::OK, "{code:?}");
        }
        assert_eq!(ErrorCode::SignInRequired.exit_code(), exit::SIGN_IN);
        assert_eq!(ErrorCode::KeychainUnavailable.exit_code(), exit::KEYCHAIN);
        assert_eq!(ErrorCode::UnknownAccount.exit_code(), exit::USAGE);
    }

    #[test]
    fn a_token_that_needs_a_new_sign_in_names_its_account() {
        let e = ApiError::from(TokenError::NoRefreshToken {
            account: "adele".into(),
        });
        assert_eq!(e.code, ErrorCode::SignInRequired);
        assert_eq!(e.subject.as_deref(), Some("adele"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "sign-in-required");
        assert_eq!(json["subject"], "adele");
    }
}
