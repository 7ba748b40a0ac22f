//! The one managed state of the app: `Arc` services that lock inside themselves.

use std::sync::{Arc, Mutex, PoisonError};

use mailgrant_core::signin::http::{self, HttpOptions};
use mailgrant_core::tokens::TokenService;
use mailgrant_core::vault::TokenVault;
use mailgrant_core::{DataHome, HomeError};
use tokio_util::sync::CancellationToken;

use crate::dto::{ErrorCode, IpcError};

/// The environment variable naming extra trusted CA certificates (PEM) for HTTPS and mail: networks that
/// inspect TLS, and the test bed's throwaway CA. The CLI's `--ca-file` does the same.
pub const CA_FILE_ENV: &str = "MAILGRANT_CA_FILE";

/// An answer for the waiting sign-in: an address the user pasted back, or a `mailgrant://` link the OS handed
/// to the app (which any web page can make the browser open: one that isn't the sign-in's answer is ignored).
#[derive(Debug)]
pub struct Callback {
    pub address: String,
    pub from_link: bool,
}

/// Where answers for the sign-in in progress arrive.
pub type Callbacks = tokio::sync::mpsc::UnboundedReceiver<Callback>;

/// The sign-in in progress: which one it is, how to stop it, and where answers for it go.
#[derive(Debug)]
pub struct PendingSignIn {
    id: u64,
    cancel: CancellationToken,
    callback: tokio::sync::mpsc::UnboundedSender<Callback>,
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub home: DataHome,
    pub http: reqwest::Client,
    pub ca_file: Option<std::path::PathBuf>,
    /// Tokens for every account of this home: from the keychain, refreshed once across threads and processes.
    pub tokens: Arc<TokenService>,
    pending: Arc<Mutex<Option<PendingSignIn>>>,
    sign_ins: Arc<std::sync::atomic::AtomicU64>,
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
            sign_ins: Arc::new(std::sync::atomic::AtomicU64::new(0)),
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
            IpcError::new(
                ErrorCode::UnknownAccount,
                format!("there is no account called {name:?}"),
            )
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

    /// Runs a sign-in as the one in progress: `run` gets its cancellation and the answers pasted back or handed
    /// over as links (`cancel_sign_in`, `submit_sign_in_address` and mailgrant:// links reach it). One that was
    /// still running is cancelled first; when this one ends, it clears only its own entry.
    pub async fn tracked_sign_in<T, F, Fut>(&self, run: F) -> T
    where
        F: FnOnce(CancellationToken, Callbacks) -> Fut,
        Fut: std::future::Future<Output = T>,
    {
        let (id, cancel, callbacks) = self.begin_sign_in();
        let result = run(cancel, callbacks).await;
        self.end_sign_in(id);
        result
    }

    /// Starts tracking a sign-in; one that was still running is cancelled (the wizard started over).
    fn begin_sign_in(&self) -> (u64, CancellationToken, Callbacks) {
        let id = self.sign_ins.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let cancel = CancellationToken::new();
        let (callback, callbacks) = tokio::sync::mpsc::unbounded_channel();
        let sign_in = PendingSignIn {
            id,
            cancel: cancel.clone(),
            callback,
        };
        if let Some(old) = self.pending().replace(sign_in) {
            old.cancel.cancel();
        }
        (id, cancel, callbacks)
    }

    /// Stops tracking sign-in `id`, unless another one replaced it meanwhile.
    fn end_sign_in(&self, id: u64) {
        let mut pending = self.pending();
        if pending.as_ref().is_some_and(|p| p.id == id) {
            pending.take();
        }
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
    pub fn deliver_callback(&self, address: String, from_link: bool) -> bool {
        self.pending()
            .as_ref()
            .is_some_and(|p| p.callback.send(Callback { address, from_link }).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> AppState {
        let home = DataHome::resolve(Some("/tmp/mailgrant-state-test".into()), None).unwrap();
        AppState::new(home).unwrap()
    }

    #[tokio::test]
    async fn a_sign_in_that_ends_after_another_replaced_it_leaves_the_new_one_waiting() {
        let state = state();
        let (first, first_cancel, _first_callbacks) = state.begin_sign_in();
        let (_second, second_cancel, mut second_callbacks) = state.begin_sign_in();
        assert!(first_cancel.is_cancelled(), "starting over cancels the first");
        state.end_sign_in(first);
        assert!(!second_cancel.is_cancelled());
        assert!(
            state.deliver_callback("mailgrant://auth?code=x&state=y".into(), true),
            "the second still waits for its answer"
        );
        let callback = second_callbacks.recv().await.unwrap();
        assert_eq!(callback.address, "mailgrant://auth?code=x&state=y");
        assert!(callback.from_link);
        assert!(state.cancel_sign_in());
        assert!(second_cancel.is_cancelled());
        assert!(
            !state.deliver_callback("x".into(), false),
            "nothing waits any more"
        );
    }
}
