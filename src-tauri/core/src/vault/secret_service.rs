//! The Secret Service (GNOME Keyring, KWallet, KeePassXC) over ONE session per process.
//!
//! Opening a session costs a Diffie-Hellman exchange (1024-bit, computed in Rust by the `secret-service` crate:
//! about 8 ms in a release build), and `keyring` opens a new connection and session for every call — two for a
//! write. A refresh makes about nine calls, a cached token one: the session, not the secret, was most of the time.
//! Here the first call connects and opens the session (encrypted, as before) and every later call in the process
//! reuses it; a call that fails on a dead connection (the daemon restarted) is tried once more on a new one.
//!
//! Items keep `keyring`'s layout exactly (attributes `service`, `username`, `target` = `default`, `application`
//! = `rust-keyring`, in the default collection), so entries written before read the same, and the other
//! platforms' `keyring` stores stay interchangeable in tests.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use secret_service::blocking::{Item, SecretService};
use secret_service::{EncryptionType, Error};

use super::VaultError;
use crate::sensitive::SecretString;

/// The process's session, made on first use.
static SESSION: Mutex<Option<SecretService<'static>>> = Mutex::new(None);

const TARGET: &str = "default";
const APPLICATION: &str = "rust-keyring";

/// What a failed call means for the vault.
pub(super) fn map_error(key: &str, error: Error) -> VaultError {
    match error {
        Error::Locked => VaultError::KeychainUnavailable {
            detail: "the keyring is locked".to_owned(),
            fix: super::KEYCHAIN_FIX,
        },
        Error::Prompt => VaultError::KeychainUnavailable {
            detail: "the keyring is locked and its unlock prompt was dismissed".to_owned(),
            fix: super::KEYCHAIN_FIX,
        },
        Error::Unavailable | Error::Zbus(_) | Error::ZbusFdo(_) => VaultError::KeychainUnavailable {
            detail: error.to_string(),
            fix: super::KEYCHAIN_FIX,
        },
        // Never the bytes themselves: they may be the secret. (The enum is non-exhaustive.)
        _ => VaultError::Keychain {
            key: key.to_owned(),
            detail: error.to_string(),
        },
    }
}

/// Runs `op` on the process's session, connecting first when there is none; a failure on a session that was
/// already open is tried once more on a fresh one (the daemon may have restarted since).
fn with_session<T>(op: impl Fn(&SecretService<'static>) -> Result<T, Error>) -> Result<T, Error> {
    let mut session = SESSION.lock().unwrap_or_else(PoisonError::into_inner);
    let reused = session.is_some();
    if !reused {
        *session = Some(SecretService::connect(EncryptionType::Dh)?);
    }
    let first = match session.as_ref() {
        Some(ss) => op(ss),
        None => Err(Error::Unavailable),
    };
    match first {
        Err(Error::Zbus(_) | Error::ZbusFdo(_) | Error::Unavailable) if reused => {
            *session = None;
            let ss = SecretService::connect(EncryptionType::Dh)?;
            let again = op(&ss);
            *session = Some(ss);
            again
        }
        other => other,
    }
}

fn attributes<'a>(service: &'a str, user: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([("service", service), ("username", user), ("target", TARGET)])
}

/// The items for `service`/`user`, unlocked (locked ones are unlocked first, which may prompt).
fn items<'s>(ss: &'s SecretService<'static>, service: &str, user: &str) -> Result<Vec<Item<'s>>, Error> {
    let found = ss.search_items(attributes(service, user))?;
    for item in &found.locked {
        item.unlock()?;
    }
    Ok(found.unlocked.into_iter().chain(found.locked).collect())
}

pub(super) fn get(service: &str, user: &str) -> Result<Option<SecretString>, VaultError> {
    let secret = with_session(|ss| {
        let items = items(ss, service, user)?;
        match items.as_slice() {
            [] => Ok(Ok(None)),
            [item] => Ok(Ok(Some(item.get_secret()?))),
            more => Ok(Err(more.len())),
        }
    })
    .map_err(|e| map_error(user, e))?;
    match secret {
        Ok(None) => Ok(None),
        Ok(Some(bytes)) => String::from_utf8(bytes)
            .map(|text| Some(SecretString::new(text)))
            .map_err(|_| VaultError::Corrupt {
                key: user.to_owned(),
                detail: "the entry is not UTF-8 text".into(),
            }),
        Err(count) => Err(VaultError::Ambiguous {
            key: user.to_owned(),
            count,
        }),
    }
}

/// Sets the one item's secret, or makes the item; several items with these attributes (two writers at the same
/// moment, another tool) are all replaced by one.
pub(super) fn set(service: &str, user: &str, value: &SecretString) -> Result<(), VaultError> {
    with_session(|ss| {
        let items = items(ss, service, user)?;
        if let [item] = items.as_slice() {
            return item.set_secret(value.expose().as_bytes(), "text/plain");
        }
        for item in &items {
            item.delete()?;
        }
        let collection = ss.get_default_collection()?;
        if collection.is_locked()? {
            collection.unlock()?;
        }
        let label = format!("{user}@{service}:{TARGET} (mailgrant)");
        let mut all = attributes(service, user);
        all.insert("application", APPLICATION);
        collection
            .create_item(&label, all, value.expose().as_bytes(), true, "text/plain")
            .map(drop)
    })
    .map_err(|e| map_error(user, e))
}

/// Deletes every item with these attributes; whether there was one.
pub(super) fn delete(service: &str, user: &str) -> Result<bool, VaultError> {
    with_session(|ss| {
        let items = items(ss, service, user)?;
        for item in &items {
            item.delete()?;
        }
        Ok(!items.is_empty())
    })
    .map_err(|e| map_error(user, e))
}
