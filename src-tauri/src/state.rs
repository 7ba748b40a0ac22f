//! The one managed state of the app: `Arc` services that lock inside themselves.

use mailgrant_core::{DataHome, HomeError};

#[derive(Debug, Clone)]
pub struct AppState {
    pub home: DataHome,
}

impl AppState {
    pub fn new(home: DataHome) -> Self {
        Self { home }
    }

    /// State for the process: `MAILGRANT_HOME` or the platform config dir.
    pub fn from_env() -> Result<Self, HomeError> {
        Ok(Self::new(DataHome::from_env()?))
    }
}
