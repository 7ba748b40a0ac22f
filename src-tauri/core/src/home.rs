//! Where Mailgrant keeps its data, and which keychain namespace it uses.
//!
//! All non-secret state lives under one directory: `MAILGRANT_HOME` when set (tests, portable use), otherwise the
//! platform config directory (`~/.config/mailgrant`, `~/Library/Application Support/Mailgrant`,
//! `%APPDATA%\Mailgrant`). Secrets go to the OS keychain under a service name derived from that directory, so a
//! test run with its own `MAILGRANT_HOME` can never read or overwrite a user's real entries.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

/// The environment variable that redirects all of Mailgrant's data.
pub const HOME_ENV: &str = "MAILGRANT_HOME";

/// The keychain service name of the default (non-redirected) home.
pub const KEYCHAIN_SERVICE: &str = "app.mailgrant";

/// Why the data home is where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeSource {
    /// `MAILGRANT_HOME` was set.
    Environment,
    /// The platform's per-user config directory.
    Platform,
}

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error("cannot use MAILGRANT_HOME: it must be an absolute path, got {0:?}")]
    RelativeOverride(PathBuf),
    #[error("cannot find a config directory for this user: set MAILGRANT_HOME to choose one")]
    NoPlatformDir,
    #[error("cannot create the data directory {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The directory that holds Mailgrant's non-secret state, and the keychain namespace that goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataHome {
    dir: PathBuf,
    source: HomeSource,
}

impl DataHome {
    /// Resolves the home from the process environment.
    pub fn from_env() -> Result<Self, HomeError> {
        Self::resolve(std::env::var_os(HOME_ENV).map(PathBuf::from), dirs::config_dir())
    }

    /// Resolves the home from an optional override and the platform config directory. An empty override counts
    /// as unset, as shells make it easy to export one by accident.
    pub fn resolve(overridden: Option<PathBuf>, platform_config: Option<PathBuf>) -> Result<Self, HomeError> {
        match overridden.filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) if dir.is_absolute() => Ok(Self {
                dir,
                source: HomeSource::Environment,
            }),
            Some(dir) => Err(HomeError::RelativeOverride(dir)),
            None => {
                let base = platform_config.ok_or(HomeError::NoPlatformDir)?;
                let name = if cfg!(any(target_os = "macos", target_os = "windows")) {
                    "Mailgrant"
                } else {
                    "mailgrant"
                };
                Ok(Self {
                    dir: base.join(name),
                    source: HomeSource::Platform,
                })
            }
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn source(&self) -> HomeSource {
        self.source
    }

    /// The JSON file with accounts and app registrations (never secrets).
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("config.json")
    }

    /// The webview's own storage (cache, local storage), kept under the home so a redirected home redirects it.
    pub fn webview_dir(&self) -> PathBuf {
        self.dir.join("webview")
    }

    /// Creates the directory (and its parents, 0700) if it does not exist yet; refuses one that another user
    /// owns or anyone may write in.
    pub fn ensure(&self) -> Result<&Path, HomeError> {
        crate::store::create_private_dir(&self.dir).map_err(|e| HomeError::Create {
            path: self.dir.clone(),
            source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, e.to_string()),
        })?;
        Ok(&self.dir)
    }

    /// The keychain service name. The default home uses [`KEYCHAIN_SERVICE`]; a redirected home gets its own
    /// namespace, derived from its path, so tests and portable installs never share entries with the user's.
    pub fn keychain_service(&self) -> String {
        match self.source {
            HomeSource::Platform => KEYCHAIN_SERVICE.to_owned(),
            HomeSource::Environment => {
                let mut hasher = Fnv1a::default();
                hasher.write(self.dir.as_os_str().as_encoded_bytes());
                format!("{KEYCHAIN_SERVICE}.home-{:016x}", hasher.finish())
            }
        }
    }
}

/// FNV-1a: a hash that is stable across Rust releases and runs (std's `DefaultHasher` promises neither), so the
/// keychain namespace of a given home never changes under the user's feet.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform() -> Option<PathBuf> {
        Some(PathBuf::from("/home/ada/.config"))
    }

    #[test]
    fn override_wins_over_platform_dir() {
        let home = DataHome::resolve(Some("/tmp/mg-test".into()), platform()).unwrap();
        assert_eq!(home.dir(), Path::new("/tmp/mg-test"));
        assert_eq!(home.source(), HomeSource::Environment);
        assert_eq!(home.config_file(), Path::new("/tmp/mg-test/config.json"));
        assert_eq!(home.webview_dir(), Path::new("/tmp/mg-test/webview"));
    }

    #[test]
    fn empty_override_falls_back_to_platform_dir() {
        let home = DataHome::resolve(Some(PathBuf::new()), platform()).unwrap();
        assert_eq!(home.source(), HomeSource::Platform);
        assert!(home.dir().starts_with("/home/ada/.config"));
    }

    #[test]
    fn relative_override_is_refused() {
        let err = DataHome::resolve(Some("relative/dir".into()), platform()).unwrap_err();
        assert!(matches!(err, HomeError::RelativeOverride(_)));
        assert!(err.to_string().contains("absolute"));
    }

    #[test]
    fn no_platform_dir_is_a_clear_error() {
        let err = DataHome::resolve(None, None).unwrap_err();
        assert!(err.to_string().contains("MAILGRANT_HOME"));
    }

    #[test]
    fn redirected_homes_get_their_own_stable_keychain_namespace() {
        let real = DataHome::resolve(None, platform()).unwrap();
        let a = DataHome::resolve(Some("/tmp/a".into()), platform()).unwrap();
        let a_again = DataHome::resolve(Some("/tmp/a".into()), platform()).unwrap();
        let b = DataHome::resolve(Some("/tmp/b".into()), platform()).unwrap();
        assert_eq!(real.keychain_service(), KEYCHAIN_SERVICE);
        assert_ne!(a.keychain_service(), KEYCHAIN_SERVICE);
        assert!(a.keychain_service().starts_with("app.mailgrant.home-"));
        assert_eq!(a.keychain_service(), a_again.keychain_service());
        assert_ne!(a.keychain_service(), b.keychain_service());
    }

    #[test]
    fn ensure_creates_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let home = DataHome::resolve(Some(tmp.path().join("nested/home")), None).unwrap();
        assert!(!home.dir().exists());
        home.ensure().unwrap();
        assert!(home.dir().is_dir());
    }
}
