//! The one managed state of the app: `Arc` services that lock inside themselves.

use std::sync::{Arc, Mutex, PoisonError};

use mailgrant_core::signin::http::{self, HttpOptions};
use mailgrant_core::tokens::TokenService;
use mailgrant_core::vault::TokenVault;
use mailgrant_core::{DataHome, HomeError};
use tokio_util::sync::CancellationToken;

use crate::dto::IpcError;

/// The environment variable naming extra trusted CA certificates (PEM) for HTTPS and mail: networks that
/// inspect TLS, and the test bed's throwaway CA. The CLI's `--ca-file` does the same.
pub const CA_FILE_ENV: &str = "MAILGRANT_CA_FILE";

/// The sign-in in progress: how to stop it, and where an address pasted back (or a deep link) goes.
#[derive(Debug)]
pub struct PendingSignIn {
    pub cancel: CancellationToken,
    pub callback: Option<tokio::sync::oneshot::Sender<String>>,
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub home: DataHome,
    pub http: reqwest::Client,
    pub ca_file: Option<std::path::PathBuf>,
    /// Tokens for every account of this home: from the keychain, refreshed once across threads and processes.
    pub tokens: Arc<TokenService>,
    pending: Arc<Mutex<Option<PendingSignIn>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Home(#[from] HomeError),
    #[error(transparent)]
    Http(#[from] http::HttpSetupError),
}

impl AppState {
    pub fn new(home: DataHome) -> Result<Self, StateError> {
        let ca_file = std::env::var_os(CA_FILE_ENV)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from);
        let client = http::client(&HttpOptions {
            ca_file: ca_file.clone(),
            request_timeout: None,
        })?;
        let vault = Arc::new(TokenVault::keychain(&home));
        let tokens = Arc::new(TokenService::new(&home, vault, client.clone()));
        Ok(Self {
            home,
            http: client,
            ca_file,
            tokens,
            pending: Arc::new(Mutex::new(None)),
        })
    }

    /// State for the process: `MAILGRANT_HOME` or the platform config dir.
    pub fn from_env() -> Result<Self, StateError> {
        Self::new(DataHome::from_env()?)
    }

    /// The account's health as the config says now.
    pub fn health_of(&self, name: &str) -> Result<mailgrant_core::health::AccountHealth, IpcError> {
        let config = self.tokens.store().load().map_err(IpcError::from_store)?;
        let account = config.account(name).ok_or_else(|| {
            IpcError::new("unknown-account", format!("there is no account called {name:?}"))
        })?;
        Ok(mailgrant_core::health::account_health(
            account,
            config.registration(&account.registration),
            mailgrant_core::tokens::now_unix(),
        ))
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<PendingSignIn>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a sign-in as the one in progress: `run` gets its cancellation and the receiver of an address pasted
    /// back or a deep link (`cancel_sign_in` and `submit_sign_in_address` reach it). One that was still running
    /// is cancelled first.
    pub async fn tracked_sign_in<T, F, Fut>(&self, run: F) -> T
    where
        F: FnOnce(CancellationToken, tokio::sync::oneshot::Receiver<String>) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let cancel = CancellationToken::new();
        let (callback_tx, callback_rx) = tokio::sync::oneshot::channel::<String>();
        self.begin_sign_in(PendingSignIn {
            cancel: cancel.clone(),
            callback: Some(callback_tx),
        });
        let result = run(cancel, callback_rx).await;
        self.end_sign_in();
        result
    }

    /// Starts tracking a sign-in; one that was still running is cancelled (the wizard started over).
    pub fn begin_sign_in(&self, sign_in: PendingSignIn) {
        if let Some(old) = self.pending().replace(sign_in) {
            old.cancel.cancel();
        }
    }

    pub fn end_sign_in(&self) {
        self.pending().take();
    }

    /// Cancels the sign-in in progress; false when there is none.
    pub fn cancel_sign_in(&self) -> bool {
        match self.pending().take() {
            Some(sign_in) => {
                sign_in.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Hands an address (pasted, or a mailgrant:// link) to the waiting sign-in; false when none waits.
    pub fn deliver_callback(&self, address: String) -> bool {
        self.pending()
            .as_mut()
            .and_then(|p| p.callback.take())
            .is_some_and(|tx| tx.send(address).is_ok())
    }
}
