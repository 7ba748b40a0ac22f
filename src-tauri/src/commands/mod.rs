//! IPC commands: a few lines each over `mailgrant-core`.

pub mod accounts;
pub mod app;
pub mod directory;
pub mod links;
pub mod settings;
pub mod sign_in;
pub mod wizard;
