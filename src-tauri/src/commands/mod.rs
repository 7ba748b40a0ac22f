//! IPC commands: a few lines each over `mailgrant-core`.

pub mod app;
pub mod links;
