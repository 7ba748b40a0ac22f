//! An in-memory [`SecretStore`] for pure-logic unit tests. It is never a fallback for the keychain: nothing in
//! Mailgrant constructs one outside tests.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::{SecretStore, VaultError, KEYCHAIN_FIX};
use crate::sensitive::SecretString;

/// A per-entry size cap, to simulate a keychain that has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EntryLimit {
    #[default]
    None,
    /// At most this many bytes of UTF-8.
    Utf8Bytes(usize),
    /// At most this many bytes once encoded as UTF-16, as Windows' Credential Manager stores passwords
    /// (`CRED_MAX_CREDENTIAL_BLOB_SIZE` = 2,560).
    Utf16Bytes(usize),
}

impl EntryLimit {
    /// Windows Credential Manager's cap.
    pub const WINDOWS: Self = Self::Utf16Bytes(2_560);

    fn admits(self, value: &str) -> bool {
        match self {
            Self::None => true,
            Self::Utf8Bytes(max) => value.len() <= max,
            Self::Utf16Bytes(max) => value.encode_utf16().count() * 2 <= max,
        }
    }
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<BTreeMap<String, String>>,
    limit: EntryLimit,
    unavailable: AtomicBool,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store that refuses entries over `limit`, as [`VaultError::TooLong`].
    pub fn with_entry_limit(limit: EntryLimit) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Makes every operation fail with [`VaultError::KeychainUnavailable`] (a locked keychain), or stop failing.
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// The keys present, sorted.
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, String>> {
        // The map stays consistent even if a test thread panicked while holding it.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn check_available(&self) -> Result<(), VaultError> {
        if self.unavailable.load(Ordering::SeqCst) {
            Err(VaultError::KeychainUnavailable {
                detail: "the test keychain is locked".into(),
                fix: KEYCHAIN_FIX,
            })
        } else {
            Ok(())
        }
    }
}

impl SecretStore for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<SecretString>, VaultError> {
        self.check_available()?;
        Ok(self.lock().get(key).cloned().map(SecretString::new))
    }

    fn set(&self, key: &str, value: &SecretString) -> Result<(), VaultError> {
        self.check_available()?;
        if !self.limit.admits(value.expose()) {
            return Err(VaultError::TooLong {
                key: key.to_owned(),
                detail: format!("an entry holds at most {:?}", self.limit),
            });
        }
        self.lock().insert(key.to_owned(), value.expose().clone());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<bool, VaultError> {
        self.check_available()?;
        Ok(self.lock().remove(key).is_some())
    }
}
