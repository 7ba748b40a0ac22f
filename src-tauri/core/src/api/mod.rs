//! The API layer: every use case of Mailgrant written once — sign in (every flow and redirect mode, for an
//! account or a directory import), add, remove, refresh and test an account, the board, directory imports, the
//! wizard's checks. The desktop app's IPC commands and the CLI's subcommands only translate: their arguments into
//! one call here, the result into a view, an event or an exit code. What differs per surface (opening a browser,
//! showing progress, waiting for the answer, cancelling) is the [`sign_in::SignInHost`] each one implements.
//!
//! Errors are one [`ApiError`] with an [`ErrorCode`] that TypeScript receives and the CLI maps to exit codes.

use std::path::PathBuf;
use std::sync::Arc;

use crate::signin::http::{self, HttpOptions};
use crate::token_lifecycle::TokenService;
use crate::vault::TokenVault;
use crate::DataHome;

pub mod accounts;
pub mod background;
pub mod bridge;
pub mod directory;
pub mod error;
pub mod sign_in;
pub mod wizard;

pub use error::{exit, ApiError, ErrorCode};

/// The environment variable naming extra trusted CA certificates (PEM) for HTTPS and mail: networks that
/// inspect TLS, and the test bed's throwaway CA. The CLI's `--ca-file` does the same.
pub const CA_FILE_ENV: &str = "MAILGRANT_CA_FILE";

/// What every use case works with: the data home, the HTTP client and the token service over the keychain.
#[derive(Debug, Clone)]
pub struct Api {
    pub home: DataHome,
    pub http: reqwest::Client,
    /// Extra trusted roots (PEM), for HTTPS and the mail probes.
    pub ca_file: Option<PathBuf>,
    /// Tokens for every account of this home: from the keychain, refreshed once across threads and processes.
    pub tokens: Arc<TokenService>,
}

impl Api {
    /// The API over `home` and the OS keychain; `ca_file`, else `MAILGRANT_CA_FILE`, adds trusted roots.
    pub fn open(home: DataHome, ca_file: Option<PathBuf>) -> Result<Self, ApiError> {
        let vault = Arc::new(TokenVault::keychain(&home));
        Self::with_vault(home, vault, ca_file)
    }

    /// The API over `home` with the given vault (tests use the keychain under a namespace of their own).
    pub fn with_vault(
        home: DataHome,
        vault: Arc<TokenVault>,
        ca_file: Option<PathBuf>,
    ) -> Result<Self, ApiError> {
        let ca_file = ca_file.or_else(|| {
            std::env::var_os(CA_FILE_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        });
        let http = http::client(&HttpOptions {
            ca_file: ca_file.clone(),
            ..HttpOptions::default()
        })
        .map_err(|e| ApiError::new(ErrorCode::BadAnswer, error_chain(&e)))?;
        let tokens = Arc::new(TokenService::new(&home, vault, http.clone()));
        Ok(Self {
            home,
            http,
            ca_file,
            tokens,
        })
    }

    /// The API for this process: `MAILGRANT_HOME` or the platform's config directory.
    pub fn from_env(ca_file: Option<PathBuf>) -> Result<Self, ApiError> {
        let home = DataHome::from_env().map_err(|e| ApiError::new(ErrorCode::Config, e.to_string()))?;
        Self::open(home, ca_file)
    }

    /// The config store of this home.
    pub fn store(&self) -> &crate::store::Store {
        self.tokens.store()
    }

    /// The account called `name`, as the config says now; an unknown name is [`ErrorCode::UnknownAccount`].
    pub fn account(&self, name: &str) -> Result<crate::model::Account, ApiError> {
        self.store()
            .account(name)?
            .ok_or_else(|| ApiError::unknown_account(name))
    }
}

/// An error with its causes, `a: b: c`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Runs blocking work (the keychain, config files) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
}
