//! The OS keychain: the Secret Service on Linux (through the `secret-service` crate, one session per process: see
//! [`super::secret_service`]), the Keychain on macOS and Credential Manager on Windows through `keyring` 3. Every
//! `keyring` entry is built with the platform's credential type explicitly, never through keyring's replaceable
//! default builder, so it can never land in keyring's in-memory mock.
//!
//! On Linux the Secret Service client is driven through its blocking API, which runs a private current-thread
//! tokio runtime with `block_on`; tokio panics when that happens on a thread that is already inside a runtime. So when called from within a runtime (multi-thread or current-thread, in a task or in
//! `Runtime::block_on`), each operation runs on a short-lived thread of its own; from plain sync code it runs on
//! the caller's thread. Either way the call blocks: from async code prefer `spawn_blocking`.

#[cfg(not(target_os = "linux"))]
use keyring::Entry;

#[cfg(not(target_os = "linux"))]
use super::KEYCHAIN_FIX;
use super::{SecretStore, VaultError};
use crate::sensitive::SecretString;

/// One keychain namespace: a service name (e.g. `DataHome::keychain_service()`), with keys as user names.
#[derive(Debug, Clone)]
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    pub fn new(service: String) -> Self {
        Self { service }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    #[cfg(not(target_os = "linux"))]
    fn entry(&self, key: &str) -> Result<Entry, VaultError> {
        platform_entry(&self.service, key).map_err(|e| map_error(key, e))
    }
}

#[cfg(target_os = "macos")]
fn platform_entry(service: &str, user: &str) -> keyring::Result<Entry> {
    let credential = keyring::macos::MacCredential::new_with_target(None, service, user)?;
    Ok(Entry::new_with_credential(Box::new(credential)))
}

#[cfg(target_os = "windows")]
fn platform_entry(service: &str, user: &str) -> keyring::Result<Entry> {
    let credential = keyring::windows::WinCredential::new_with_target(None, service, user)?;
    Ok(Entry::new_with_credential(Box::new(credential)))
}

/// Runs `op` where keyring can block: on this thread outside a tokio runtime, on a thread of its own inside one;
/// one conversation with the keychain at a time ([`one_at_a_time`]).
fn off_runtime<T: Send>(op: impl FnOnce() -> T + Send) -> T {
    let op = || {
        let _turn = one_at_a_time();
        op()
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return op();
    }
    std::thread::scope(|scope| match scope.spawn(op).join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// How long a keychain call waits for another Mailgrant process's turn before going ahead anyway.
const TURN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// Waits for this user's turn with the Secret Service: one conversation at a time across every Mailgrant process
/// and thread that talks to the same one (an OS file lock in `$XDG_RUNTIME_DIR`, or the temp dir, named after the
/// D-Bus session the Secret Service is found on, released when the process dies). Processes of another session
/// (another login, a test run's own `dbus-run-session`) talk to another keyring daemon and never wait for these.
/// gnome-keyring-daemon aborts — taking every stored secret offline until it restarts — when it handles a
/// session request from a client it has already dropped, which concurrent short-lived clients trigger
/// (`gkd_secret_service_get_pkcs11_session: assertion 'client' failed`; seen in this project's test suite and
/// reported against other apps, e.g. basecamp/hey-cli#352, zed-industries/zed#17460). A call takes milliseconds.
/// If the turn doesn't come within [`TURN_TIMEOUT`] (a stuck process), the call goes ahead without it. A client
/// killed while its session request is on the way triggers the same abort; no lock can prevent that one.
#[cfg(target_os = "linux")]
fn one_at_a_time() -> Option<crate::store::LockGuard> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .filter(|d| d.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let uid = rustix::process::geteuid().as_raw();
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    let path = dir.join(format!(
        "mailgrant-keychain-{uid}-{:016x}.lock",
        crate::token_lifecycle::fnv1a(&bus)
    ));
    match crate::store::LockGuard::acquire(&path, TURN_TIMEOUT) {
        Ok(guard) => Some(guard),
        Err(error) => {
            tracing::warn!(%error, "going ahead with the keychain without waiting for its turn");
            None
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn one_at_a_time() -> Option<()> {
    None
}

#[cfg(not(target_os = "linux"))]
fn map_error(key: &str, error: keyring::Error) -> VaultError {
    use keyring::Error as K;
    match error {
        K::PlatformFailure(e) | K::NoStorageAccess(e) => VaultError::KeychainUnavailable {
            detail: e.to_string(),
            fix: KEYCHAIN_FIX,
        },
        // Never the bytes themselves: they are the secret.
        K::BadEncoding(_) => VaultError::Corrupt {
            key: key.to_owned(),
            detail: "the entry is not UTF-8 text".into(),
        },
        K::TooLong(attribute, limit) => VaultError::TooLong {
            key: key.to_owned(),
            detail: format!("its {attribute} is longer than the keychain's limit of {limit}"),
        },
        K::Invalid(attribute, reason) => VaultError::Invalid {
            key: key.to_owned(),
            detail: format!("its {attribute} {reason}"),
        },
        K::Ambiguous(items) => VaultError::Ambiguous {
            key: key.to_owned(),
            count: items.len(),
        },
        other => VaultError::Keychain {
            key: key.to_owned(),
            detail: other.to_string(),
        },
    }
}

#[cfg(not(target_os = "linux"))]
fn delete_duplicates(_entry: &Entry) -> keyring::Result<()> {
    Ok(())
}

#[cfg(target_os = "linux")]
impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<SecretString>, VaultError> {
        off_runtime(|| super::secret_service::get(&self.service, key))
    }

    fn set(&self, key: &str, value: &SecretString) -> Result<(), VaultError> {
        off_runtime(|| super::secret_service::set(&self.service, key, value))
    }

    fn delete(&self, key: &str) -> Result<bool, VaultError> {
        off_runtime(|| super::secret_service::delete(&self.service, key))
    }
}

/// Several items with the same attributes (two processes that created the item at the same moment, or another
/// tool): writes and deletes clear them all instead of failing.
#[cfg(not(target_os = "linux"))]
impl SecretStore for KeyringStore {
    fn get(&self, key: &str) -> Result<Option<SecretString>, VaultError> {
        let entry = self.entry(key)?;
        match off_runtime(|| entry.get_password()) {
            Ok(value) => Ok(Some(SecretString::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_error(key, e)),
        }
    }

    fn set(&self, key: &str, value: &SecretString) -> Result<(), VaultError> {
        let entry = self.entry(key)?;
        let stored = off_runtime(|| match entry.set_password(value.expose()) {
            Err(keyring::Error::Ambiguous(_)) => {
                delete_duplicates(&entry)?;
                entry.set_password(value.expose())
            }
            other => other,
        });
        stored.map_err(|e| map_error(key, e))
    }

    fn delete(&self, key: &str) -> Result<bool, VaultError> {
        let entry = self.entry(key)?;
        let deleted = off_runtime(|| match entry.delete_credential() {
            Err(keyring::Error::Ambiguous(_)) => delete_duplicates(&entry),
            other => other,
        });
        match deleted {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_error(key, e)),
        }
    }
}

#[cfg(all(test, not(target_os = "linux")))]
mod tests {
    use super::*;

    #[test]
    fn keyring_errors_map_to_vault_errors_without_secrets() {
        let unavailable = map_error(
            "account/adele/refresh-token",
            keyring::Error::PlatformFailure("no secret service provider or dbus session found".into()),
        );
        assert!(matches!(unavailable, VaultError::KeychainUnavailable { .. }));
        let text = unavailable.to_string();
        assert!(text.starts_with("cannot use the keychain"), "{text}");
        assert!(text.contains(KEYCHAIN_FIX), "{text}");

        let locked = map_error("k", keyring::Error::NoStorageAccess("locked".into()));
        assert!(matches!(locked, VaultError::KeychainUnavailable { .. }));

        let bad = map_error("k", keyring::Error::BadEncoding(b"\xffsecret-bytes".to_vec()));
        assert!(matches!(bad, VaultError::Corrupt { .. }));
        assert!(!bad.to_string().contains("secret-bytes"), "{bad}");

        let long = map_error("k", keyring::Error::TooLong("password".into(), 2560));
        assert!(matches!(long, VaultError::TooLong { .. }));
        let ambiguous = map_error("k", keyring::Error::Ambiguous(Vec::new()));
        assert!(matches!(ambiguous, VaultError::Ambiguous { count: 0, .. }));
    }

    #[test]
    fn entries_use_the_platform_store_never_the_mock() {
        let store = KeyringStore::new("app.mailgrant.unit-test".into());
        let entry = store.entry("account/adele/refresh-token").unwrap();
        assert!(entry
            .get_credential()
            .downcast_ref::<keyring::mock::MockCredential>()
            .is_none());
    }
}
