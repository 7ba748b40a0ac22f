//! The one managed state of the app: core's API (home, HTTP, tokens) and the sign-in in progress.

use mailgrant_core::api::bridge::SharedRunning;
use mailgrant_core::api::sign_in::Sessions;
use mailgrant_core::api::{Api, ApiError};
use mailgrant_core::DataHome;

#[derive(Debug, Clone)]
pub struct AppState {
    pub api: Api,
    /// The sign-in in progress: `cancel_sign_in`, `submit_sign_in_address` and mailgrant:// links reach it.
    pub sessions: Sessions,
    /// The mail bridge while it runs (it runs as long as the app, window closed or not).
    pub bridge: SharedRunning,
}

impl std::ops::Deref for AppState {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl AppState {
    pub fn new(home: DataHome) -> Result<Self, ApiError> {
        Ok(Self {
            api: Api::open(home, None)?,
            sessions: Sessions::default(),
            bridge: SharedRunning::default(),
        })
    }

    /// State for the process: `MAILGRANT_HOME` or the platform config dir; `MAILGRANT_CA_FILE` adds roots.
    pub fn from_env() -> Result<Self, ApiError> {
        Ok(Self {
            api: Api::from_env(None)?,
            sessions: Sessions::default(),
            bridge: SharedRunning::default(),
        })
    }
}
