//! The one managed state of the app: `Arc` services that lock inside themselves.

use std::sync::Arc;

use mailgrant_core::signin::http::{self, HttpOptions};
use mailgrant_core::tokens::TokenService;
use mailgrant_core::vault::TokenVault;
use mailgrant_core::{DataHome, HomeError};

#[derive(Debug, Clone)]
pub struct AppState {
    pub home: DataHome,
    /// Tokens for every account of this home: from the keychain, refreshed once across threads and processes.
    pub tokens: Arc<TokenService>,
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
        let client = http::client(&HttpOptions::default())?;
        let vault = Arc::new(TokenVault::keychain(&home));
        let tokens = Arc::new(TokenService::new(&home, vault, client));
        Ok(Self { home, tokens })
    }

    /// State for the process: `MAILGRANT_HOME` or the platform config dir.
    pub fn from_env() -> Result<Self, StateError> {
        Self::new(DataHome::from_env()?)
    }
}
