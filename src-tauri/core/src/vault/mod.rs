//! The vault: secrets (client secrets, certificate private keys, refresh and access tokens) in the OS keychain
//! and nowhere else.
//!
//! Three layers:
//! - [`SecretStore`]: a flat `key → secret string` store. [`KeyringStore`] is the OS keychain (macOS Keychain,
//!   Windows Credential Manager, the Secret Service on Linux) under one service name; [`MemoryStore`] is for
//!   pure-logic unit tests.
//! - [`ChunkedStore`]: splits values too large for one keychain entry (Windows caps an entry at 2,560 bytes of
//!   UTF-16, and Microsoft refresh tokens can be longer) across several entries, consistently.
//! - [`TokenVault`]: typed keys for what Mailgrant keeps.
//!
//! There is no plaintext fallback: when the keychain is locked or missing, every operation fails with
//! [`VaultError::KeychainUnavailable`], which says how to fix it. Error messages never contain a secret.

mod chunked;
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
mod keychain;
mod memory;
#[cfg(target_os = "linux")]
mod secret_service;
mod token_vault;

use std::sync::Arc;

use crate::sensitive::SecretString;

pub use chunked::{ChunkedStore, EntrySize, MAX_ENTRY_UTF16_BYTES, MAX_ENTRY_UTF8_BYTES, MAX_PARTS};
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
pub use keychain::KeyringStore;
pub use memory::{EntryLimit, MemoryStore};
pub use token_vault::{AccessToken, TokenVault, VaultKey};

/// What to do when the keychain cannot be used, for this platform.
pub const KEYCHAIN_FIX: &str = if cfg!(target_os = "macos") {
    "unlock your login keychain (Keychain Access → File → Unlock Keychain \"login\") and allow Mailgrant \
     when macOS asks"
} else if cfg!(target_os = "windows") {
    "sign in to Windows with your own user account (Credential Manager keeps secrets per user) and check that \
     the Credential Manager service is running"
} else {
    "unlock your keyring (GNOME Keyring / KWallet) or start a Secret Service provider; over SSH run inside \
     `dbus-run-session`"
};

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The keychain is locked, missing, or unreachable (no Secret Service, no D-Bus session).
    #[error("cannot use the keychain ({detail}): {fix}")]
    KeychainUnavailable { detail: String, fix: &'static str },
    /// An entry is not what Mailgrant wrote (a part of a split value is missing, or the parts do not match).
    #[error("cannot read {key} from the keychain: {detail}; store it again (sign in again, or re-enter the secret)")]
    Corrupt { key: String, detail: String },
    /// A value or a key is longer than the keychain accepts.
    #[error("cannot store {key} in the keychain: {detail}")]
    TooLong { key: String, detail: String },
    /// Several keychain items match one key (another program created a duplicate).
    #[error(
        "cannot use {key} in the keychain: {count} items match it; remove the duplicates (e.g. with your \
         keychain's manager) and try again"
    )]
    Ambiguous { key: String, count: usize },
    /// The keychain refused the key's name.
    #[error("cannot use {key} in the keychain: {detail}")]
    Invalid { key: String, detail: String },
    /// Any other keychain failure.
    #[error("cannot use {key} in the keychain: {detail}")]
    Keychain { key: String, detail: String },
}

/// A flat secret store: one string per key. Implementations lock inside themselves.
pub trait SecretStore: Send + Sync {
    /// The secret under `key`, or `None` when there is none.
    fn get(&self, key: &str) -> Result<Option<SecretString>, VaultError>;
    /// Stores `value` under `key`, replacing any previous one.
    fn set(&self, key: &str, value: &SecretString) -> Result<(), VaultError>;
    /// Deletes the secret under `key`; `false` when there was none.
    fn delete(&self, key: &str) -> Result<bool, VaultError>;
}

impl<S: SecretStore + ?Sized> SecretStore for Arc<S> {
    fn get(&self, key: &str) -> Result<Option<SecretString>, VaultError> {
        (**self).get(key)
    }
    fn set(&self, key: &str, value: &SecretString) -> Result<(), VaultError> {
        (**self).set(key, value)
    }
    fn delete(&self, key: &str) -> Result<bool, VaultError> {
        (**self).delete(key)
    }
}
