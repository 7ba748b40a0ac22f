//! An organisation's app registrations, read from Microsoft Graph for the expiry board: every registration of a
//! tenant with its client secrets (`passwordCredentials`) and certificates (`keyCredentials`). Graph gives their
//! names, hints and dates, never a secret's value.
//!
//! Reading them needs Graph's `Application.Read.All`: delegated (an admin signs in through one of the app
//! registrations Mailgrant already knows, and consents), or as an application permission of a confidential
//! registration (app-only, with its own secret or certificate). A delegated import keeps its refresh token in the
//! keychain, so the list can be refreshed later without signing in again; what was listed is kept in
//! `directory.json` beside the config, metadata only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::accounts::AccountError;
use crate::diagnosis::Diagnosis;
use crate::identity::endpoints::Endpoints;
use crate::model::{AppRegistration, ClientKind, Credential, CredentialKind, RefreshFailure};
use crate::sensitive::SecretString;
use crate::signin::authcode::AuthRequest;
use crate::signin::grant::{grant, Delegated, Granted};
use crate::signin::token_endpoint::{self, TokenEndpoint, TokenResponse};
use crate::signin::{client_credentials, http::host_of, SignInError};
use crate::store::{self, StoreError};
use crate::token_lifecycle::{self, now_unix, TokenError, TokenService};

/// The file beside `config.json` that holds the imports.
pub const FILE_NAME: &str = "directory.json";
const SCHEMA_VERSION: u32 = 1;
/// Graph's largest page of applications.
const PAGE_SIZE: u32 = 999;
/// No tenant has this many pages (999 000 registrations): a server that keeps linking is not followed forever.
const MAX_PAGES: usize = 1000;
/// How long one Graph page may take.
const PAGE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a throttled page (429) is asked again, and the longest wait Mailgrant accepts before each.
const THROTTLE_RETRIES: u32 = 3;
const THROTTLE_MAX_WAIT: Duration = Duration::from_secs(30);

/// Why an import or its refresh did not finish.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Graph(Box<Diagnosis>),
    #[error(
        "there is no app registration or account {0:?} in Mailgrant: connect a mailbox through it first"
    )]
    UnknownRegistration(String),
    #[error("there is no import {0:?}")]
    UnknownImport(String),
    #[error("{0:?} has more than one import (through different app registrations): name one by its ID")]
    AmbiguousImport(String),
    #[error(
        "the app registration {0:?} is a public client: it has no secret or certificate to read the directory as \
         itself; sign in as an admin instead"
    )]
    AppOnlyNeedsCredential(String),
    #[error(
        "the app registration {0:?} is set up for any organisation ({1}); reading one tenant's registrations as \
         the app itself needs that tenant's ID or domain: sign in as an admin instead"
    )]
    AppOnlyNeedsTenant(String, String),
    #[error("Microsoft Graph answered with something other than a list of applications: {0}")]
    BadAnswer(String),
}

impl DirectoryError {
    /// Microsoft's (or the network's) answer explained, when that is why it stopped.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            DirectoryError::SignIn(e) => e.diagnosis(),
            DirectoryError::Token(e) => e.diagnosis(),
            DirectoryError::Graph(d) => Some(d),
            _ => None,
        }
    }

    /// True when only a new sign-in helps (the refresh token is gone, expired or revoked).
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            DirectoryError::Token(TokenError::SignInAgain { .. } | TokenError::NoRefreshToken { .. })
        )
    }
}

impl From<Diagnosis> for DirectoryError {
    fn from(d: Diagnosis) -> Self {
        DirectoryError::Graph(Box::new(d))
    }
}

/// One app registration of the tenant, as Graph listed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryApp {
    /// Graph's `id` (the application object id).
    pub object_id: String,
    /// The application (client) id.
    pub app_id: String,
    pub display_name: String,
    #[serde(default)]
    pub credentials: Vec<Credential>,
}

/// One tenant's registrations, read through one of Mailgrant's app registrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryImport {
    /// `{registration}@{tenant}`: one import per registration and tenant.
    pub id: String,
    /// The Mailgrant registration it reads through.
    pub registration: String,
    /// The tenant's GUID (or, app-only, the tenant as configured).
    pub tenant_id: String,
    /// What to call the tenant: the admin's domain, or the configured tenant.
    pub tenant_name: String,
    /// Who signed in (delegated); `None` when the app reads as itself.
    pub signed_in_as: Option<String>,
    pub app_only: bool,
    /// When the list was last read in full (unix seconds); `None` until the first listing succeeds.
    pub imported_at: Option<i64>,
    #[serde(default)]
    pub applications: Vec<DirectoryApp>,
    /// Why the last refresh failed, until one succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<RefreshFailure>,
}

/// How old a list may get before the app reads it again by itself.
pub const REFRESH_AFTER_SECS: i64 = 24 * 3600;
/// How long the app waits after a failed refresh before trying again by itself.
const RETRY_AFTER_SECS: i64 = 3600;

impl DirectoryImport {
    pub fn credential_count(&self) -> usize {
        self.applications.iter().map(|a| a.credentials.len()).sum()
    }

    /// Whether the app should read it again by itself now: its list is a day old, the last attempt did not fail
    /// within the hour, and no new sign-in is needed (that waits for the user).
    pub fn refresh_due(&self, now: i64) -> bool {
        match &self.last_failure {
            Some(f) if f.sign_in_again => false,
            Some(f) if now - f.at < RETRY_AFTER_SECS => false,
            _ => self.imported_at.is_none_or(|at| now - at >= REFRESH_AFTER_SECS),
        }
    }
}

mod file;
mod graph;
mod plan;

pub use file::*;
pub use graph::*;
pub use plan::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_page() -> &'static str {
        r#"{"@odata.context":"x","value":[{"id":"o1","appId":"a1","displayName":"Payroll",
            "passwordCredentials":[{"customKeyIdentifier":null,"displayName":"job","endDateTime":"2027-01-02T03:04:05Z",
              "hint":"Pr9","keyId":"k1","secretText":null,"startDateTime":"2026-01-02T03:04:05.1234567Z"}],
            "keyCredentials":[{"customKeyIdentifier":"AB12","displayName":"","endDateTime":"2026-12-31T00:00:00Z",
              "key":null,"keyId":"k2","startDateTime":null,"type":"AsymmetricX509Cert","usage":"Verify"}]}]}"#
    }

    #[test]
    fn graph_applications_become_credentials_with_dates() {
        let page: GraphPage = serde_json::from_str(sample_page()).unwrap();
        assert!(page.next_link.is_none());
        let app = DirectoryApp::from(page.value.into_iter().next().unwrap());
        assert_eq!((app.object_id.as_str(), app.app_id.as_str()), ("o1", "a1"));
        let [secret, certificate] = &app.credentials[..] else {
            panic!("one secret and one certificate: {:?}", app.credentials)
        };
        assert_eq!(secret.kind, CredentialKind::Secret);
        assert_eq!(secret.hint.as_deref(), Some("Pr9"));
        assert_eq!(secret.label.as_deref(), Some("job"));
        assert_eq!(secret.expires.unwrap().unix_timestamp(), 1_798_859_045);
        assert!(secret.starts.is_some(), "seven fraction digits parse");
        assert_eq!(certificate.kind, CredentialKind::Certificate);
        assert_eq!(certificate.hint.as_deref(), Some("AB12"));
        assert_eq!(certificate.label, None, "an empty name is no name");
    }

    #[test]
    fn a_list_is_read_again_daily_unless_a_sign_in_is_needed() {
        let now = 1_800_000_000;
        let mut import = DirectoryImport {
            id: "reg@t".into(),
            registration: "reg".into(),
            tenant_id: "t".into(),
            tenant_name: "t".into(),
            signed_in_as: None,
            app_only: true,
            imported_at: Some(now - REFRESH_AFTER_SECS + 60),
            applications: Vec::new(),
            last_failure: None,
        };
        assert!(!import.refresh_due(now), "read less than a day ago");
        assert!(import.refresh_due(now + 60));
        let failure = |at, sign_in_again| RefreshFailure {
            code: "TIMEOUT".into(),
            title: "slow".into(),
            at,
            sign_in_again,
        };
        import.last_failure = Some(failure(now + 30, false));
        assert!(!import.refresh_due(now + 60), "failed a moment ago");
        assert!(import.refresh_due(now + 30 + RETRY_AFTER_SECS));
        import.last_failure = Some(failure(now - 10 * REFRESH_AFTER_SECS, true));
        assert!(!import.refresh_due(now + 60), "waits for the user to sign in");
    }

    #[test]
    fn the_file_round_trips_and_a_corrupt_one_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let directory = Directory::at(dir.path().join(FILE_NAME));
        assert!(directory.load().unwrap().is_empty());
        let page: GraphPage = serde_json::from_str(sample_page()).unwrap();
        let import = DirectoryImport {
            id: "reg@t".into(),
            registration: "reg".into(),
            tenant_id: "t".into(),
            tenant_name: "contoso.example".into(),
            signed_in_as: Some("it@contoso.example".into()),
            app_only: false,
            imported_at: Some(1),
            applications: page.value.into_iter().map(DirectoryApp::from).collect(),
            last_failure: None,
        };
        directory.put(import.clone()).unwrap();
        directory.put(import.clone()).unwrap();
        assert_eq!(directory.load().unwrap(), vec![import.clone()]);
        assert_eq!(directory.get("REG@T").unwrap(), import);
        assert_eq!(directory.get("Contoso.Example").unwrap(), import, "by its tenant");
        assert!(matches!(
            directory.get("other"),
            Err(DirectoryError::UnknownImport(_))
        ));

        std::fs::write(directory.path(), b"{ not json").unwrap();
        let error = directory.load().unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        assert!(
            directory.put(import).is_err(),
            "a corrupt file is not written over"
        );
        assert_eq!(std::fs::read(directory.path()).unwrap(), b"{ not json");
    }
}
