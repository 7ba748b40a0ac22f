//! [`TokenVault`]: what Mailgrant keeps in the keychain, under typed keys.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{ChunkedStore, SecretStore, VaultError};
use crate::model::{AppRegistration, Resource};
use crate::sensitive::SecretString;

/// A keychain entry of Mailgrant's. Its [`Display`](fmt::Display) is the entry's name (the keychain's "user" or
/// "account" field), e.g. `account/adele/refresh-token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VaultKey<'a> {
    /// A client secret's value, by registration id and the secret's key id.
    ClientSecret { registration: &'a str, key_id: &'a str },
    /// A certificate's private key (PEM), by registration id and the certificate's key id.
    CertificateKey { registration: &'a str, key_id: &'a str },
    /// An account's refresh token. Account names are matched without regard to case, so the key is lower-case.
    RefreshToken { account: &'a str },
    /// An account's access token for one resource, with its expiry.
    AccessToken { account: &'a str, resource: Resource },
    /// The refresh token of a directory import (an admin's Graph sign-in), by import id.
    DirectoryRefreshToken { import: &'a str },
    /// The password a program types into the local mail bridge for this account (see `crate::bridge`).
    BridgePassword { account: &'a str },
    /// The private key of the bridge's LAN certificate (PEM).
    BridgeCertificateKey,
}

/// Escapes the characters that structure entry names, so that no id can make one key look like another (or
/// like a part `#N` of a split value).
fn component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '%' => out.push_str("%25"),
            '/' => out.push_str("%2F"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
    out
}

fn resource_name(resource: Resource) -> &'static str {
    match resource {
        Resource::Outlook => "outlook",
        Resource::Graph => "graph",
    }
}

impl fmt::Display for VaultKey<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClientSecret { registration, key_id } => write!(
                f,
                "registration/{}/client-secret/{}",
                component(registration),
                component(key_id)
            ),
            Self::CertificateKey { registration, key_id } => write!(
                f,
                "registration/{}/certificate-key/{}",
                component(registration),
                component(key_id)
            ),
            Self::RefreshToken { account } => {
                write!(f, "account/{}/refresh-token", component(&account.to_lowercase()))
            }
            Self::AccessToken { account, resource } => write!(
                f,
                "account/{}/access-token/{}",
                component(&account.to_lowercase()),
                resource_name(*resource)
            ),
            Self::DirectoryRefreshToken { import } => {
                write!(f, "directory/{}/refresh-token", component(&import.to_lowercase()))
            }
            Self::BridgePassword { account } => {
                write!(
                    f,
                    "account/{}/bridge-password",
                    component(&account.to_lowercase())
                )
            }
            Self::BridgeCertificateKey => f.write_str("bridge/certificate-key"),
        }
    }
}

/// An access token and when it expires (unix seconds), kept together in one keychain entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: SecretString,
    pub expires_at: i64,
}

impl AccessToken {
    /// True when the token is still valid `margin_secs` from `now_unix`.
    pub fn is_fresh(&self, now_unix: i64, margin_secs: i64) -> bool {
        self.expires_at > now_unix.saturating_add(margin_secs)
    }
}

/// The access token's record inside the keychain entry, and only there.
#[derive(Serialize)]
struct AccessTokenOut<'a> {
    token: &'a str,
    expires_at: i64,
}

#[derive(Deserialize)]
struct AccessTokenIn {
    token: String,
    expires_at: i64,
}

/// Mailgrant's secrets, by what they are. All in one keychain namespace; values too large for one entry are
/// split (see [`ChunkedStore`]).
pub struct TokenVault {
    store: ChunkedStore<Arc<dyn SecretStore>>,
}

impl fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenVault").finish_non_exhaustive()
    }
}

impl TokenVault {
    /// A vault over any raw store, with entries as Windows allows them: a
    /// [`MemoryStore`](super::MemoryStore) in unit tests, or the real keychain in the suites that exercise
    /// Windows' layout on it.
    pub fn new(raw: impl SecretStore + 'static) -> Self {
        Self {
            store: ChunkedStore::new(Arc::new(raw)),
        }
    }

    /// The OS keychain, in the namespace of `home`, with entries as large as it allows
    /// ([`EntrySize::PLATFORM`](super::EntrySize::PLATFORM)).
    #[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
    pub fn keychain(home: &crate::home::DataHome) -> Self {
        Self {
            store: ChunkedStore::with_entry_size(
                Arc::new(super::KeyringStore::new(home.keychain_service())),
                super::EntrySize::PLATFORM,
            ),
        }
    }

    fn get(&self, key: VaultKey<'_>) -> Result<Option<SecretString>, VaultError> {
        self.store.get(&key.to_string())
    }

    fn set(&self, key: VaultKey<'_>, value: &SecretString) -> Result<(), VaultError> {
        self.store.set(&key.to_string(), value)
    }

    fn delete(&self, key: VaultKey<'_>) -> Result<bool, VaultError> {
        self.store.delete(&key.to_string())
    }

    pub fn client_secret(
        &self,
        registration: &str,
        key_id: &str,
    ) -> Result<Option<SecretString>, VaultError> {
        self.get(VaultKey::ClientSecret { registration, key_id })
    }

    pub fn set_client_secret(
        &self,
        registration: &str,
        key_id: &str,
        value: &SecretString,
    ) -> Result<(), VaultError> {
        self.set(VaultKey::ClientSecret { registration, key_id }, value)
    }

    pub fn delete_client_secret(&self, registration: &str, key_id: &str) -> Result<bool, VaultError> {
        self.delete(VaultKey::ClientSecret { registration, key_id })
    }

    /// A certificate's private key, PEM.
    pub fn certificate_key(
        &self,
        registration: &str,
        key_id: &str,
    ) -> Result<Option<SecretString>, VaultError> {
        self.get(VaultKey::CertificateKey { registration, key_id })
    }

    pub fn set_certificate_key(
        &self,
        registration: &str,
        key_id: &str,
        pem: &SecretString,
    ) -> Result<(), VaultError> {
        self.set(VaultKey::CertificateKey { registration, key_id }, pem)
    }

    pub fn delete_certificate_key(&self, registration: &str, key_id: &str) -> Result<bool, VaultError> {
        self.delete(VaultKey::CertificateKey { registration, key_id })
    }

    pub fn refresh_token(&self, account: &str) -> Result<Option<SecretString>, VaultError> {
        self.get(VaultKey::RefreshToken { account })
    }

    pub fn set_refresh_token(&self, account: &str, token: &SecretString) -> Result<(), VaultError> {
        self.set(VaultKey::RefreshToken { account }, token)
    }

    pub fn delete_refresh_token(&self, account: &str) -> Result<bool, VaultError> {
        self.delete(VaultKey::RefreshToken { account })
    }

    /// The account's bridge password (`crate::bridge`): what a password-only program logs in to the bridge with.
    pub fn bridge_password(&self, account: &str) -> Result<Option<SecretString>, VaultError> {
        self.get(VaultKey::BridgePassword { account })
    }

    pub fn set_bridge_password(&self, account: &str, password: &SecretString) -> Result<(), VaultError> {
        self.set(VaultKey::BridgePassword { account }, password)
    }

    /// The private key of the bridge's LAN certificate.
    pub fn bridge_certificate_key(&self) -> Result<Option<SecretString>, VaultError> {
        self.get(VaultKey::BridgeCertificateKey)
    }

    pub fn set_bridge_certificate_key(&self, pem: &SecretString) -> Result<(), VaultError> {
        self.set(VaultKey::BridgeCertificateKey, pem)
    }

    /// Revokes the bridge password: the bridge refuses it from the next login on.
    pub fn delete_bridge_password(&self, account: &str) -> Result<bool, VaultError> {
        self.delete(VaultKey::BridgePassword { account })
    }

    pub fn directory_refresh_token(&self, import: &str) -> Result<Option<SecretString>, VaultError> {
        self.get(VaultKey::DirectoryRefreshToken { import })
    }

    pub fn set_directory_refresh_token(&self, import: &str, token: &SecretString) -> Result<(), VaultError> {
        self.set(VaultKey::DirectoryRefreshToken { import }, token)
    }

    pub fn delete_directory_refresh_token(&self, import: &str) -> Result<bool, VaultError> {
        self.delete(VaultKey::DirectoryRefreshToken { import })
    }

    pub fn access_token(&self, account: &str, resource: Resource) -> Result<Option<AccessToken>, VaultError> {
        let key = VaultKey::AccessToken { account, resource };
        let Some(record) = self.get(key)? else {
            return Ok(None);
        };
        // serde's messages can quote the input; report only where it broke.
        let parsed: AccessTokenIn =
            serde_json::from_str(record.expose()).map_err(|e| VaultError::Corrupt {
                key: key.to_string(),
                detail: format!(
                    "its access-token record is not what Mailgrant writes ({:?} error at line {}, column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                ),
            })?;
        Ok(Some(AccessToken {
            token: SecretString::new(parsed.token),
            expires_at: parsed.expires_at,
        }))
    }

    pub fn set_access_token(
        &self,
        account: &str,
        resource: Resource,
        token: &AccessToken,
    ) -> Result<(), VaultError> {
        let key = VaultKey::AccessToken { account, resource };
        let record = serde_json::to_string(&AccessTokenOut {
            token: token.token.expose(),
            expires_at: token.expires_at,
        })
        .map_err(|e| VaultError::Invalid {
            key: key.to_string(),
            detail: format!("cannot encode the access-token record ({:?})", e.classify()),
        })?;
        self.set(key, &SecretString::new(record))
    }

    pub fn delete_access_token(&self, account: &str, resource: Resource) -> Result<bool, VaultError> {
        self.delete(VaultKey::AccessToken { account, resource })
    }

    /// Deletes every secret of an account (refresh token, access tokens). Tries them all; returns the first error.
    pub fn forget_account(&self, account: &str) -> Result<(), VaultError> {
        let keys = [
            VaultKey::RefreshToken { account },
            VaultKey::AccessToken {
                account,
                resource: Resource::Outlook,
            },
            VaultKey::AccessToken {
                account,
                resource: Resource::Graph,
            },
            VaultKey::BridgePassword { account },
        ];
        first_error(keys.into_iter().map(|key| self.delete(key)))
    }

    /// Deletes the client secrets and certificate keys of every credential of `registration`. Tries them all;
    /// returns the first error.
    pub fn forget_registration(&self, registration: &AppRegistration) -> Result<(), VaultError> {
        let id = registration.id.as_str();
        let keys = registration.credentials.iter().flat_map(|credential| {
            let key_id = credential.key_id.as_str();
            [
                VaultKey::ClientSecret {
                    registration: id,
                    key_id,
                },
                VaultKey::CertificateKey {
                    registration: id,
                    key_id,
                },
            ]
        });
        first_error(keys.map(|key| self.delete(key)))
    }
}

fn first_error(results: impl Iterator<Item = Result<bool, VaultError>>) -> Result<(), VaultError> {
    let mut first = None;
    for result in results {
        if let Err(e) = result {
            first.get_or_insert(e);
        }
    }
    first.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{EntryLimit, MemoryStore};

    fn secret(s: &str) -> SecretString {
        SecretString::new(s.to_owned())
    }

    fn vault() -> (Arc<MemoryStore>, TokenVault) {
        let raw = Arc::new(MemoryStore::with_entry_limit(EntryLimit::WINDOWS));
        (Arc::clone(&raw), TokenVault::new(raw))
    }

    fn registration(id: &str, key_ids: &[&str]) -> AppRegistration {
        let secrets: Vec<_> = key_ids.iter().map(|k| (*k, None)).collect();
        crate::model::examples::confidential(id, &secrets)
    }

    #[test]
    fn key_names_are_stable_and_escaped() {
        let names = [
            VaultKey::ClientSecret {
                registration: "r1",
                key_id: "0b6f",
            }
            .to_string(),
            VaultKey::CertificateKey {
                registration: "r/1",
                key_id: "a#1",
            }
            .to_string(),
            VaultKey::RefreshToken { account: "Adele" }.to_string(),
            VaultKey::AccessToken {
                account: "Adele",
                resource: Resource::Graph,
            }
            .to_string(),
        ];
        assert_eq!(
            names,
            [
                "registration/r1/client-secret/0b6f",
                "registration/r%2F1/certificate-key/a%231",
                "account/adele/refresh-token",
                "account/adele/access-token/graph",
            ]
        );
    }

    #[test]
    fn each_kind_sets_gets_and_deletes() {
        let (raw, vault) = vault();
        vault
            .set_client_secret("r1", "k1", &secret("Abc8Q~secret"))
            .unwrap();
        vault
            .set_certificate_key("r1", "k2", &secret("-----BEGIN PRIVATE KEY-----"))
            .unwrap();
        vault
            .set_refresh_token("Adele", &secret("0.AAAA-refresh"))
            .unwrap();
        let access = AccessToken {
            token: secret("eyJ0eXAi.access"),
            expires_at: 1_700_003_600,
        };
        vault
            .set_access_token("Adele", Resource::Outlook, &access)
            .unwrap();

        assert_eq!(
            vault.client_secret("r1", "k1").unwrap().unwrap().expose(),
            "Abc8Q~secret"
        );
        assert!(vault.client_secret("r1", "k2").unwrap().is_none());
        assert_eq!(
            vault.certificate_key("r1", "k2").unwrap().unwrap().expose(),
            "-----BEGIN PRIVATE KEY-----"
        );
        // Account names ignore case, as in the config.
        assert_eq!(
            vault.refresh_token("ADELE").unwrap().unwrap().expose(),
            "0.AAAA-refresh"
        );
        assert_eq!(
            vault.access_token("adele", Resource::Outlook).unwrap(),
            Some(access.clone())
        );
        assert_eq!(vault.access_token("adele", Resource::Graph).unwrap(), None);
        let record = raw.get("account/adele/access-token/outlook").unwrap().unwrap();
        assert_eq!(
            record.expose(),
            r#"{"token":"eyJ0eXAi.access","expires_at":1700003600}"#
        );

        assert!(vault.delete_client_secret("r1", "k1").unwrap());
        assert!(!vault.delete_client_secret("r1", "k1").unwrap());
        assert!(vault.delete_certificate_key("r1", "k2").unwrap());
        assert!(vault.delete_refresh_token("adele").unwrap());
        assert!(vault.delete_access_token("Adele", Resource::Outlook).unwrap());
        assert!(raw.keys().is_empty(), "{:?}", raw.keys());
    }

    #[test]
    fn access_tokens_know_when_they_are_fresh() {
        let token = AccessToken {
            token: secret("t"),
            expires_at: 1_000,
        };
        assert!(token.is_fresh(800, 60));
        assert!(!token.is_fresh(950, 60));
        assert!(!token.is_fresh(1_000, 0));
    }

    #[test]
    fn a_broken_access_token_record_is_corrupt_and_not_quoted() {
        let (raw, vault) = vault();
        raw.set(
            "account/adele/access-token/graph",
            &secret(r#"{"token":12,"secret-ish":"#),
        )
        .unwrap();
        let err = vault.access_token("adele", Resource::Graph).unwrap_err();
        assert!(matches!(err, VaultError::Corrupt { .. }), "{err:?}");
        assert!(!err.to_string().contains("secret-ish"), "{err}");
    }

    #[test]
    fn long_refresh_tokens_are_split_for_windows() {
        let (raw, vault) = vault();
        let long: String = (0..7_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        vault.set_refresh_token("adele", &secret(&long)).unwrap();
        assert_eq!(raw.keys().len(), 6);
        assert_eq!(vault.refresh_token("adele").unwrap().unwrap().expose(), &long);
        let access = AccessToken {
            token: SecretString::new(long.clone()),
            expires_at: 1,
        };
        vault.set_access_token("adele", Resource::Graph, &access).unwrap();
        assert_eq!(
            vault.access_token("adele", Resource::Graph).unwrap(),
            Some(access)
        );
        vault.forget_account("ADELE").unwrap();
        assert!(raw.keys().is_empty(), "{:?}", raw.keys());
    }

    #[test]
    fn forgetting_removes_only_that_account_or_registration() {
        let (raw, vault) = vault();
        vault.set_refresh_token("adele", &secret("a")).unwrap();
        vault.set_refresh_token("megan", &secret("m")).unwrap();
        let token = AccessToken {
            token: secret("x"),
            expires_at: 1,
        };
        vault
            .set_access_token("adele", Resource::Outlook, &token)
            .unwrap();
        vault.set_access_token("adele", Resource::Graph, &token).unwrap();
        vault.set_client_secret("r1", "k1", &secret("s1")).unwrap();
        vault.set_certificate_key("r1", "k2", &secret("pem")).unwrap();
        vault.set_client_secret("r2", "k1", &secret("s2")).unwrap();

        vault.forget_account("Adele").unwrap();
        vault
            .forget_registration(&registration("r1", &["k1", "k2"]))
            .unwrap();
        assert_eq!(
            raw.keys(),
            vec!["account/megan/refresh-token", "registration/r2/client-secret/k1"]
        );
    }

    #[test]
    fn a_locked_keychain_is_an_error_never_a_fallback() {
        let (raw, vault) = vault();
        raw.set_unavailable(true);
        let err = vault
            .set_refresh_token("adele", &secret("0.AAAA-secret"))
            .unwrap_err();
        assert!(matches!(err, VaultError::KeychainUnavailable { .. }));
        assert!(!err.to_string().contains("0.AAAA"));
        let err = vault.forget_account("adele").unwrap_err();
        assert!(matches!(err, VaultError::KeychainUnavailable { .. }), "{err:?}");
        raw.set_unavailable(false);
        assert!(raw.keys().is_empty());
    }
}
