//! `mailgrant-core`: everything Mailgrant knows about Microsoft identity, tokens, the keychain vault and the
//! mailbox probes. It has no Tauri dependency: the desktop shell and the CLI in `src-tauri` are thin adapters
//! over this crate, and CI checks `cargo tree -p mailgrant-core -e normal` to keep it that way.

pub mod accounts;
pub mod api;
pub mod bridge;
pub mod browser;
pub mod connect;
pub mod desktop;
pub mod diagnosis;
pub mod directory;
pub mod handoff;
pub mod health;
pub mod home;
pub mod identity;
pub mod model;
pub mod probe;
pub mod product;
pub mod sensitive;
pub mod signin;
pub mod store;
pub mod token_lifecycle;
pub mod vault;
pub mod wizard;

#[cfg(test)]
mod parser_properties;

pub use home::{DataHome, HomeError, HomeSource};
pub use sensitive::{SecretString, Sensitive};

/// The product's name as users see it.
pub const PRODUCT_NAME: &str = "Mailgrant";

/// The version of this build (the workspace version).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
