//! The config store: Mailgrant's non-secret state (app registrations and accounts) in one JSON file,
//! `DataHome::config_file()`.
//!
//! - Readers ([`Store::load`]) never see a half-written file: every write goes to a temporary file in the same
//!   directory, is flushed to disk and renamed over the config.
//! - Writers ([`Store::update`]) take a cross-process lock (`config.json.lock`), re-read the file, apply a change
//!   and write it back, so the desktop app and any number of CLI runs never lose each other's updates.
//! - A file Mailgrant cannot read is never replaced: it stays in place, a copy is kept as
//!   `config.json.corrupt-<time>`, and reads and writes fail with [`StoreError::Corrupt`] until someone repairs or
//!   removes it. A file from a newer Mailgrant fails with [`StoreError::NewerSchema`].
//! - The directory is created 0700 and the file written 0600 on unix. Secrets are never here (see `vault`).
//!
//! Forward compatibility without `#[serde(flatten)]`: every field but `schema_version` has a default, unknown
//! fields are ignored when reading, and unknown top-level fields are carried over when writing, so a field added
//! by a newer Mailgrant at the same schema version survives an update made by this one.

mod file;
pub(crate) use file::{back_up_corrupt, create_private_dir, write_atomically, LockGuard};

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::home::DataHome;
use crate::model::{Account, AppRegistration, TokenMetadata};

/// The config layout this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// How long [`Store::update`] waits for another process to release the config lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use the data directory {path}: {reason}")]
    UnsafeDir { path: PathBuf, reason: String },
    #[error("cannot create the data directory {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot lock {path}")]
    Lock {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot lock {path}: another Mailgrant process (the app or a CLI run) has held it for {} s; let it finish \
         or close it, then try again",
        waited.as_secs()
    )]
    LockTimeout { path: PathBuf, waited: Duration },
    #[error(
        "cannot read {path}: it is not a valid Mailgrant config. It was left as it is and copied to {backup}; \
         repair or remove it, then try again"
    )]
    Corrupt {
        path: PathBuf,
        backup: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot back up the unreadable config {path} to {backup}")]
    Backup {
        path: PathBuf,
        backup: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot read {path}: a newer Mailgrant wrote it (config schema {found}, this version knows up to \
         {supported}); update Mailgrant"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("cannot encode the config as JSON")]
    Encode {
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot add {kind} {name:?}: there is one with that name already")]
    Duplicate { kind: &'static str, name: String },
    #[error("cannot find {kind} {name:?}")]
    NotFound { kind: &'static str, name: String },
    #[error("cannot add account {account:?}: its app registration {registration:?} is not in the config")]
    MissingRegistration { account: String, registration: String },
    #[error("cannot change the config")]
    Rejected {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl StoreError {
    /// Wraps an error of an [`Store::update`] closure: the update is abandoned and nothing is written.
    pub fn rejected(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Rejected {
            source: source.into(),
        }
    }
}

impl From<Infallible> for StoreError {
    fn from(never: Infallible) -> Self {
        match never {}
    }
}

/// What `config.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigFile {
    pub schema_version: u32,
    #[serde(default)]
    pub registrations: Vec<AppRegistration>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Top-level fields this version does not know, written back unchanged.
    #[serde(skip)]
    unknown: Map<String, Value>,
}

impl Default for ConfigFile {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            registrations: Vec::new(),
            accounts: Vec::new(),
            unknown: Map::new(),
        }
    }
}

/// What [`ConfigFile::remove_account`] took out: the caller forgets their secrets in the vault.
#[derive(Debug, Clone, PartialEq)]
pub struct RemovedAccount {
    pub account: Account,
    /// The account's app registration, when no other account used it.
    pub registration: Option<AppRegistration>,
}

/// Account names are compared as users type them: without regard to case.
fn same_name(a: &str, b: &str) -> bool {
    a == b || a.to_lowercase() == b.to_lowercase()
}

impl ConfigFile {
    /// The account called `name`, ignoring case.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| same_name(&a.name, name))
    }

    pub fn account_mut(&mut self, name: &str) -> Option<&mut Account> {
        self.accounts.iter_mut().find(|a| same_name(&a.name, name))
    }

    pub fn registration(&self, id: &str) -> Option<&AppRegistration> {
        self.registrations.iter().find(|r| r.id == id)
    }

    pub fn registration_mut(&mut self, id: &str) -> Option<&mut AppRegistration> {
        self.registrations.iter_mut().find(|r| r.id == id)
    }

    /// The accounts that sign in through registration `id`.
    pub fn accounts_of(&self, registration_id: &str) -> impl Iterator<Item = &Account> + '_ {
        let id = registration_id.to_owned();
        self.accounts.iter().filter(move |a| a.registration == id)
    }

    /// Adds a registration; its id must be new.
    pub fn add_registration(&mut self, registration: AppRegistration) -> Result<(), StoreError> {
        if self.registration(&registration.id).is_some() {
            return Err(StoreError::Duplicate {
                kind: "app registration",
                name: registration.id,
            });
        }
        self.registrations.push(registration);
        Ok(())
    }

    /// Adds an account; its name must be new (ignoring case) and its registration must be in the config.
    pub fn add_account(&mut self, account: Account) -> Result<(), StoreError> {
        if self.account(&account.name).is_some() {
            return Err(StoreError::Duplicate {
                kind: "account",
                name: account.name,
            });
        }
        if self.registration(&account.registration).is_none() {
            return Err(StoreError::MissingRegistration {
                account: account.name,
                registration: account.registration,
            });
        }
        self.accounts.push(account);
        Ok(())
    }

    /// Removes an account, and its registration when no other account uses it.
    pub fn remove_account(&mut self, name: &str) -> Result<RemovedAccount, StoreError> {
        let index = self
            .accounts
            .iter()
            .position(|a| same_name(&a.name, name))
            .ok_or_else(|| StoreError::NotFound {
                kind: "account",
                name: name.to_owned(),
            })?;
        let account = self.accounts.remove(index);
        let registration = if self.accounts_of(&account.registration).next().is_none() {
            self.registrations
                .iter()
                .position(|r| r.id == account.registration)
                .map(|i| self.registrations.remove(i))
        } else {
            None
        };
        Ok(RemovedAccount {
            account,
            registration,
        })
    }

    /// Changes an account's token metadata in place.
    pub fn update_token_metadata<F>(&mut self, name: &str, change: F) -> Result<TokenMetadata, StoreError>
    where
        F: FnOnce(&mut TokenMetadata),
    {
        let account = self.account_mut(name).ok_or_else(|| StoreError::NotFound {
            kind: "account",
            name: name.to_owned(),
        })?;
        change(&mut account.tokens);
        Ok(account.tokens.clone())
    }

    /// The file's bytes: pretty JSON with a final newline, unknown top-level fields carried over.
    fn to_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let encode = |source| StoreError::Encode { source };
        let mut value = serde_json::to_value(self).map_err(encode)?;
        if let Value::Object(object) = &mut value {
            for (key, extra) in &self.unknown {
                if !object.contains_key(key) {
                    object.insert(key.clone(), extra.clone());
                }
            }
        }
        let mut bytes = serde_json::to_vec_pretty(&value).map_err(encode)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}

/// Why a file's bytes are not a config this build can use.
pub(crate) enum Unreadable {
    Corrupt(serde_json::Error),
    Newer(u32),
}

pub(crate) fn parse(bytes: &[u8]) -> Result<ConfigFile, Unreadable> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: u32,
    }
    let value: Value = serde_json::from_slice(bytes).map_err(Unreadable::Corrupt)?;
    let Version { schema_version } = Version::deserialize(&value).map_err(Unreadable::Corrupt)?;
    if schema_version > SCHEMA_VERSION {
        return Err(Unreadable::Newer(schema_version));
    }
    if schema_version == 0 {
        return Err(Unreadable::Corrupt(serde::de::Error::custom(
            "schema_version 0 was never written by Mailgrant",
        )));
    }
    let mut config = ConfigFile::deserialize(&value).map_err(Unreadable::Corrupt)?;
    if let Value::Object(mut object) = value {
        for known in ["schema_version", "registrations", "accounts"] {
            object.remove(known);
        }
        config.unknown = object;
    }
    Ok(config)
}

/// The config file of one data home.
#[derive(Debug, Clone)]
pub struct Store {
    path: PathBuf,
    lock_path: PathBuf,
    lock_timeout: Duration,
}

impl Store {
    /// The store of `home`. Nothing is read or created until used.
    pub fn open(home: &DataHome) -> Self {
        Self::at(home.config_file())
    }

    /// A store at an explicit path (its directory holds the lock file and backups too).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut lock_name = path.file_name().unwrap_or_default().to_os_string();
        lock_name.push(".lock");
        Self {
            lock_path: path.with_file_name(lock_name),
            path,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
        }
    }

    /// How long [`Store::update`] waits for the lock before failing with [`StoreError::LockTimeout`].
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// The current config; a missing file is an empty config. Takes no lock: writes are atomic renames.
    pub fn load(&self) -> Result<ConfigFile, StoreError> {
        self.read().map(|(config, _)| config)
    }

    /// The config and the bytes it was read from (`None` when there is no file yet).
    fn read(&self) -> Result<(ConfigFile, Option<Vec<u8>>), StoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((ConfigFile::default(), None)),
            Err(source) => {
                return Err(StoreError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        match parse(&bytes) {
            Ok(config) => Ok((config, Some(bytes))),
            Err(Unreadable::Newer(found)) => Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            }),
            Err(Unreadable::Corrupt(source)) => {
                let backup = back_up_corrupt(&self.path, &bytes)?;
                tracing::warn!(path = %self.path.display(), backup = %backup.display(), "config file is corrupt");
                Err(StoreError::Corrupt {
                    path: self.path.clone(),
                    backup,
                    source,
                })
            }
        }
    }

    /// Changes the config under the cross-process lock: re-reads the file, applies `change`, and writes the
    /// result atomically when it differs. If `change` fails, nothing is written. A corrupt or newer file is
    /// never written over.
    pub fn update<T, E, F>(&self, change: F) -> Result<T, StoreError>
    where
        F: FnOnce(&mut ConfigFile) -> Result<T, E>,
        E: Into<StoreError>,
    {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)?;
        }
        let _lock = LockGuard::acquire(&self.lock_path, self.lock_timeout)?;
        let (mut config, _) = self.read()?;
        let before = config.to_bytes()?;
        let out = change(&mut config).map_err(Into::into)?;
        config.schema_version = SCHEMA_VERSION;
        let after = config.to_bytes()?;
        if after != before {
            write_atomically(&self.path, &after)?;
        }
        Ok(out)
    }

    /// The account called `name` (ignoring case).
    pub fn account(&self, name: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.load()?.account(name).cloned())
    }

    pub fn add_registration(&self, registration: AppRegistration) -> Result<(), StoreError> {
        self.update(|config| config.add_registration(registration))
    }

    pub fn add_account(&self, account: Account) -> Result<(), StoreError> {
        self.update(|config| config.add_account(account))
    }

    /// Adds a registration and an account that uses it, both or neither.
    pub fn add_registration_and_account(
        &self,
        registration: AppRegistration,
        account: Account,
    ) -> Result<(), StoreError> {
        self.update(|config| {
            config.add_registration(registration)?;
            config.add_account(account)
        })
    }

    /// Removes an account (and its registration when no other account uses it); forget their secrets next.
    pub fn remove_account(&self, name: &str) -> Result<RemovedAccount, StoreError> {
        self.update(|config| config.remove_account(name))
    }

    /// Changes an account's token metadata under the lock and returns the new metadata.
    pub fn update_token_metadata<F>(&self, name: &str, change: F) -> Result<TokenMetadata, StoreError>
    where
        F: FnOnce(&mut TokenMetadata),
    {
        self.update(|config| config.update_token_metadata(name, change))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{Resource, Service};

    fn registration(id: &str) -> AppRegistration {
        let mut registration = crate::model::examples::registration(id);
        registration.tenant = "contoso.onmicrosoft.com".parse().unwrap();
        registration
    }

    fn account(name: &str, registration: &str) -> Account {
        let address = format!("{}@contoso.example", name.to_lowercase());
        crate::model::examples::account(name, &address, registration, &[Service::Imap, Service::Smtp])
    }

    fn store() -> (tempfile::TempDir, Store) {
        let tmp = tempfile::tempdir().unwrap();
        let home = DataHome::resolve(Some(tmp.path().join("home")), None).unwrap();
        (tmp, Store::open(&home))
    }

    /// A store with registration `r1` and an account of it for each name.
    fn store_with(names: &[&str]) -> (tempfile::TempDir, Store) {
        let (tmp, store) = store();
        let (first, rest) = names.split_first().expect("one account at least");
        store
            .add_registration_and_account(registration("r1"), account(first, "r1"))
            .unwrap();
        for name in rest {
            store.add_account(account(name, "r1")).unwrap();
        }
        (tmp, store)
    }

    fn dir_names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn missing_file_is_an_empty_config() {
        let (_tmp, store) = store();
        let config = store.load().unwrap();
        assert_eq!(config, ConfigFile::default());
        assert_eq!(config.schema_version, SCHEMA_VERSION);
        assert!(!store.path().exists());
    }

    #[test]
    fn round_trip() {
        let (_tmp, store) = store_with(&["Adele", "Megan"]);
        let config = store.load().unwrap();
        assert_eq!(config.registrations, vec![registration("r1")]);
        assert_eq!(
            config.accounts,
            vec![account("Adele", "r1"), account("Megan", "r1")]
        );
        let text = std::fs::read_to_string(store.path()).unwrap();
        assert!(text.contains("\"schema_version\": 1"), "{text}");
        assert!(text.ends_with("}\n"));
    }

    #[test]
    fn nothing_is_written_when_nothing_changes() {
        let (_tmp, store) = store();
        store.update(|_| Ok::<_, Infallible>(())).unwrap();
        assert!(!store.path().exists());
        store.add_registration(registration("r1")).unwrap();
        let modified = std::fs::metadata(store.path()).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        store.update(|c| Ok::<_, Infallible>(c.accounts.len())).unwrap();
        assert_eq!(
            std::fs::metadata(store.path()).unwrap().modified().unwrap(),
            modified
        );
    }

    #[test]
    fn a_failing_change_writes_nothing() {
        let (_tmp, store) = store();
        store.add_registration(registration("r1")).unwrap();
        let before = std::fs::read(store.path()).unwrap();
        let err = store
            .update(|config| {
                config.registrations.clear();
                Err::<(), _>(StoreError::rejected("no, thanks"))
            })
            .unwrap_err();
        assert!(matches!(err, StoreError::Rejected { .. }));
        assert_eq!(std::fs::read(store.path()).unwrap(), before);
    }

    #[test]
    fn atomic_writes_leave_no_temporary_files() {
        let (_tmp, store) = store();
        for i in 0..5 {
            store.add_registration(registration(&format!("r{i}"))).unwrap();
        }
        let dir = store.path().parent().unwrap();
        assert_eq!(dir_names(dir), vec!["config.json", "config.json.lock"]);
    }

    #[cfg(unix)]
    #[test]
    fn directory_and_file_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let (_tmp, store) = store();
        store.add_registration(registration("r1")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path().parent().unwrap()), 0o700);
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(store.lock_path()), 0o600);
    }

    #[test]
    fn corrupt_file_is_backed_up_reported_and_never_overwritten() {
        let (_tmp, store) = store();
        let dir = store.path().parent().unwrap().to_path_buf();
        std::fs::create_dir_all(&dir).unwrap();
        for (case, text) in [
            ("invalid JSON", "{\"schema_version\": 1, \"accounts\": ["),
            ("wrong shape", "{\"schema_version\": 1, \"accounts\": {\"a\": 1}}"),
            ("no version", "{\"accounts\": []}"),
            ("version zero", "{\"schema_version\": 0}"),
            ("not an object", "[1, 2, 3]"),
        ] {
            for old in std::fs::read_dir(&dir).unwrap() {
                std::fs::remove_file(old.unwrap().path()).unwrap();
            }
            std::fs::write(store.path(), text).unwrap();

            let err = store.load().unwrap_err();
            let StoreError::Corrupt { path, backup, .. } = &err else {
                panic!("{case}: {err:?}");
            };
            assert_eq!(path, store.path(), "{case}");
            assert_eq!(std::fs::read_to_string(backup).unwrap(), text, "{case}");
            assert!(
                backup
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("config.json.corrupt-"),
                "{case}: {backup:?}"
            );
            let message = err.to_string();
            assert!(message.starts_with("cannot read"), "{case}: {message}");
            assert!(message.contains(&backup.display().to_string()), "{message}");

            // A second read reuses the backup; an update refuses and writes nothing.
            let again = store.load().unwrap_err();
            assert!(matches!(&again, StoreError::Corrupt { backup: b, .. } if b == backup));
            let refused = store.add_registration(registration("r1")).unwrap_err();
            assert!(matches!(refused, StoreError::Corrupt { .. }), "{case}");
            assert_eq!(std::fs::read_to_string(store.path()).unwrap(), text, "{case}");
            let backups = dir_names(&dir)
                .into_iter()
                .filter(|n| n.contains(".corrupt-"))
                .count();
            assert_eq!(backups, 1, "{case}: {:?}", dir_names(&dir));
        }
    }

    #[test]
    fn newer_schema_is_refused_with_update_advice() {
        let (_tmp, store) = store();
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        let text = "{\"schema_version\": 2, \"registrations\": [], \"accounts\": [], \"profiles\": []}";
        std::fs::write(store.path(), text).unwrap();
        let err = store.load().unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NewerSchema {
                    found: 2,
                    supported: 1,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("update Mailgrant"), "{err}");
        let refused = store.add_registration(registration("r1")).unwrap_err();
        assert!(
            matches!(refused, StoreError::NewerSchema { found: 2, .. }),
            "{refused:?}"
        );
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), text);
        let names = dir_names(store.path().parent().unwrap());
        assert!(!names.iter().any(|n| n.contains("corrupt")), "{names:?}");
    }

    #[test]
    fn unknown_top_level_fields_survive_an_update() {
        let (_tmp, store) = store();
        std::fs::create_dir_all(store.path().parent().unwrap()).unwrap();
        std::fs::write(
            store.path(),
            "{\"schema_version\": 1, \"accounts\": [], \"window\": {\"width\": 900}}",
        )
        .unwrap();
        store.add_registration(registration("r1")).unwrap();
        let value: Value = serde_json::from_slice(&std::fs::read(store.path()).unwrap()).unwrap();
        assert_eq!(value["window"]["width"], 900);
        assert_eq!(value["registrations"][0]["id"], "r1");
    }

    #[test]
    fn accounts_are_found_ignoring_case_and_names_are_unique() {
        let (_tmp, store) = store_with(&["Adele"]);
        assert_eq!(store.account("ADELE").unwrap().unwrap().name, "Adele");
        assert!(store.account("megan").unwrap().is_none());
        let err = store.add_account(account("adele", "r1")).unwrap_err();
        assert!(
            matches!(&err, StoreError::Duplicate { kind: "account", name } if name == "adele"),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("cannot add account"), "{err}");
        let err = store.add_registration(registration("r1")).unwrap_err();
        assert!(matches!(
            err,
            StoreError::Duplicate {
                kind: "app registration",
                ..
            }
        ));
        let err = store.add_account(account("Megan", "r9")).unwrap_err();
        assert!(matches!(err, StoreError::MissingRegistration { .. }), "{err:?}");
        // Both or neither: the duplicate account leaves the new registration out too.
        let err = store
            .add_registration_and_account(registration("r2"), account("ADELE", "r2"))
            .unwrap_err();
        assert!(matches!(err, StoreError::Duplicate { .. }));
        assert!(store.load().unwrap().registration("r2").is_none());
    }

    #[test]
    fn removing_the_last_account_of_a_registration_removes_it() {
        let (_tmp, store) = store_with(&["Adele", "Megan"]);
        let removed = store.remove_account("adele").unwrap();
        assert_eq!(removed.account.name, "Adele");
        assert_eq!(removed.registration, None);
        let removed = store.remove_account("Megan").unwrap();
        assert_eq!(removed.registration, Some(registration("r1")));
        let config = store.load().unwrap();
        assert!(config.accounts.is_empty() && config.registrations.is_empty());
        let err = store.remove_account("Megan").unwrap_err();
        assert!(matches!(err, StoreError::NotFound { kind: "account", .. }));
        assert_eq!(err.to_string(), "cannot find account \"Megan\"");
    }

    #[test]
    fn token_metadata_is_updated_in_place() {
        let (_tmp, store) = store_with(&["Adele"]);
        let meta = store
            .update_token_metadata("adele", |m| {
                m.refresh_issued_at = Some(1_700_000_000);
                m.access_expires.insert(Resource::Outlook, 1_700_003_600);
            })
            .unwrap();
        assert_eq!(meta.refresh_issued_at, Some(1_700_000_000));
        let stored = store.account("Adele").unwrap().unwrap().tokens;
        assert_eq!(stored, meta);
        assert!(matches!(
            store.update_token_metadata("nobody", |_| {}),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn concurrent_updates_from_threads_all_land() {
        let (_tmp, store) = store();
        store.add_registration(registration("r1")).unwrap();
        let store = Arc::new(store);
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let store = Arc::clone(&store);
                std::thread::spawn(move || {
                    for i in 0..5 {
                        store.add_account(account(&format!("t{t}-{i}"), "r1")).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let config = store.load().unwrap();
        assert_eq!(config.accounts.len(), 40);
        for t in 0..8 {
            for i in 0..5 {
                assert!(config.account(&format!("t{t}-{i}")).is_some());
            }
        }
    }

    #[test]
    fn a_held_lock_times_out_with_a_clear_error() {
        let (_tmp, store) = store();
        store.add_registration(registration("r1")).unwrap();
        let held = LockGuard::acquire(store.lock_path(), Duration::from_secs(1)).unwrap();
        let impatient = store.clone().with_lock_timeout(Duration::from_millis(100));
        let err = impatient.add_registration(registration("r2")).unwrap_err();
        assert!(matches!(err, StoreError::LockTimeout { .. }), "{err:?}");
        assert!(err.to_string().contains("another Mailgrant process"), "{err}");
        drop(held);
        impatient.add_registration(registration("r2")).unwrap();
    }
}
