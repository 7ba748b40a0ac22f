//! The token lifecycle: an access token for an account and a resource, from the keychain while it is fresh,
//! otherwise refreshed (delegated flows) or fetched again (client credentials).
//!
//! - An access token is used until [`REFRESH_MARGIN_SECS`] before it expires.
//! - One refresh per account at a time, across threads (an async mutex per account) AND processes (an OS file
//!   lock per account under `MAILGRANT_HOME/locks`): whoever waits re-reads the keychain after getting the lock
//!   and finds the token the first one stored, so 20 processes asking at once cause one refresh.
//! - Microsoft rotates the refresh token on every use. The new one is written to the keychain before anything
//!   else is done with the answer (the access token is stored and returned only after), and the keychain write
//!   itself is all-or-nothing (see [`crate::vault::ChunkedStore`]), so a process killed at any point never
//!   loses the account's refresh token.
//! - [`TokenService::keep_alive`] refreshes accounts whose refresh token has not been used for
//!   [`KEEP_ALIVE_AFTER_SECS`]: Microsoft revokes one left unused for 90 days.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::diagnosis::Diagnosis;
use crate::home::DataHome;
use crate::identity::endpoints::Endpoints;
use crate::identity::permissions;
use crate::model::{
    Account, AppRegistration, ClientKind, CredentialKind, Flow, RefreshFailure, Resource, Service,
};
use crate::sensitive::SecretString;
use crate::signin::client_credentials::{self, CertificateCredential};
use crate::signin::token_endpoint::{self, ClientAuth, TokenEndpoint, TokenResponse};
use crate::signin::SignInError;
use crate::store::{LockGuard, Store, StoreError};
use crate::vault::{AccessToken, TokenVault, VaultError};

/// An access token is refreshed this long before it expires.
pub const REFRESH_MARGIN_SECS: i64 = 5 * 60;
/// Microsoft revokes a refresh token unused for this long.
pub const REFRESH_TOKEN_INACTIVITY_SECS: i64 = 90 * 24 * 3600;
/// A refresh token unused this long gets a keep-alive refresh.
pub const KEEP_ALIVE_AFTER_SECS: i64 = 14 * 24 * 3600;
/// How long a caller waits for another process's refresh of the same account.
pub const REFRESH_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// The keychain: still fresh.
    Cache,
    /// A refresh (or, app-only, a new client-credentials request) by this call.
    Refreshed,
    /// Another thread or process refreshed it while this call waited for the lock.
    RefreshedByAnother,
}

/// An access token ready to use. `Debug` shows no secret.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: SecretString,
    /// Unix seconds.
    pub expires_at: i64,
    pub resource: Resource,
    pub source: TokenSource,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("there is no account called {0:?}")]
    UnknownAccount(String),
    #[error("the account {account:?} uses the app registration {registration:?}, which is missing from the config")]
    UnknownRegistration { account: String, registration: String },
    #[error("the account {account:?} is not set up for {resource}: add the service to it first")]
    NotConfigured { account: String, resource: &'static str },
    #[error("the account {account:?} has no refresh token in the keychain: sign in again")]
    NoRefreshToken { account: String },
    #[error("the app registration {registration:?} is confidential but has no client secret or certificate in the keychain: add one")]
    NoCredential { registration: String },
    #[error("the account {account:?} must sign in again: {diagnosis}")]
    SignInAgain {
        account: String,
        diagnosis: Box<Diagnosis>,
    },
    #[error("{0}")]
    Failed(Box<Diagnosis>),
    #[error("{0}")]
    SignIn(#[source] SignInError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl TokenError {
    /// The diagnosis to show, when Microsoft or the network said no.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            TokenError::SignInAgain { diagnosis, .. } => Some(diagnosis),
            TokenError::Failed(d) => Some(d),
            TokenError::SignIn(e) => e.diagnosis(),
            _ => None,
        }
    }

    /// What a failed refresh says about the account's refresh token (recorded in its metadata, reported by the
    /// keep-alive): `None` when the keychain or the config failed, which says nothing about the token.
    pub fn refresh_failure(&self, at: i64) -> Option<RefreshFailure> {
        let (code, title, sign_in_again) = match self {
            TokenError::SignInAgain { diagnosis, .. } => {
                (diagnosis.code.clone(), diagnosis.title.clone(), true)
            }
            TokenError::NoRefreshToken { .. } => ("NO_REFRESH_TOKEN".into(), self.to_string(), true),
            TokenError::Failed(d) => (d.code.clone(), d.title.clone(), false),
            TokenError::SignIn(e) => match e.diagnosis() {
                Some(d) => (d.code.clone(), d.title.clone(), false),
                None => ("SIGN_IN".into(), e.to_string(), false),
            },
            TokenError::NoCredential { .. } => ("NO_CREDENTIAL".into(), self.to_string(), false),
            _ => return None,
        };
        Some(RefreshFailure {
            code,
            title,
            at,
            sign_in_again,
        })
    }
}

/// The OAuth error values after which only a new interactive sign-in helps.
const SIGN_IN_AGAIN_ERRORS: &[&str] = &[
    "invalid_grant",
    "interaction_required",
    "consent_required",
    "login_required",
];

/// Hands out access tokens for the accounts of one data home.
pub struct TokenService {
    store: Store,
    vault: Arc<TokenVault>,
    http: reqwest::Client,
    lock_dir: PathBuf,
    in_process: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("store", &self.store.path())
            .field("lock_dir", &self.lock_dir)
            .finish_non_exhaustive()
    }
}

pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl TokenService {
    pub fn new(home: &DataHome, vault: Arc<TokenVault>, http: reqwest::Client) -> Self {
        Self {
            store: Store::open(home),
            vault,
            http,
            lock_dir: home.dir().join("locks"),
            in_process: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn vault(&self) -> &Arc<TokenVault> {
        &self.vault
    }

    /// A fresh access token of `account` for `resource`: from the keychain, or refreshed (once, whoever else
    /// asks at the same time).
    pub async fn access_token(&self, account: &str, resource: Resource) -> Result<IssuedToken, TokenError> {
        self.token(account, resource, false).await
    }

    /// A new access token whatever the cached one's state (the keep-alive, and "refresh now" in the UI).
    pub async fn refresh_now(&self, account: &str, resource: Resource) -> Result<IssuedToken, TokenError> {
        self.token(account, resource, true).await
    }

    async fn token(&self, name: &str, resource: Resource, force: bool) -> Result<IssuedToken, TokenError> {
        let (account, _) = self.account(name)?;
        if !account
            .services
            .iter()
            .any(|s| permissions::resource_of(*s) == resource)
        {
            return Err(TokenError::NotConfigured {
                account: account.name.clone(),
                resource: resource_label(resource),
            });
        }
        // What the cache held before queueing: a different token after the wait means another caller refreshed.
        let before = self.cached(&account.name, resource).await?;
        if !force {
            if let Some(cached) = before {
                return Ok(cached.with_source(TokenSource::Cache));
            }
        }
        // One refresh per account: threads of this process queue on the mutex, other processes on the file.
        let turn = self.account_mutex(&account.name);
        let _in_process = turn.lock().await;
        let _across_processes = self.lock_account(&account.name).await?;
        if let Some(cached) = self.cached(&account.name, resource).await? {
            // For `force`, only a token issued while this call waited will do, not the one it was asked to replace.
            let refreshed_meanwhile = before.as_ref().is_none_or(|b| b.token != cached.token);
            if !force || refreshed_meanwhile {
                return Ok(cached.with_source(TokenSource::RefreshedByAnother));
            }
        }
        // The config may have changed while waiting: a new sign-in replaced the account, or it was removed (then
        // nothing is fetched, and nothing written back to the keychain).
        let (account, registration) = self.account(&account.name)?;
        match self.fetch(&account, &registration, resource).await {
            Ok(issued) => Ok(issued),
            Err(error) => {
                self.record_failure(&account.name, &error);
                Err(error)
            }
        }
    }

    /// Runs `work` (blocking: the config, the keychain) holding the account's refresh lock, in this process and
    /// across processes: removing an account or saving a new sign-in never interleaves with a refresh, whose
    /// rotated refresh token would otherwise land after (or be overwritten by) the change.
    pub async fn with_account_lock<T: Send + 'static>(
        &self,
        name: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, TokenError> {
        let turn = self.account_mutex(name);
        let _in_process = turn.lock().await;
        let _across_processes = self.lock_account(name).await?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| TokenError::Store(StoreError::rejected(format!("the task stopped: {e}"))))
    }

    /// The account `name` and its app registration, from the config as it is now.
    pub fn account(&self, name: &str) -> Result<(Account, AppRegistration), TokenError> {
        let config = self.store.load()?;
        let account = config
            .account(name)
            .cloned()
            .ok_or_else(|| TokenError::UnknownAccount(name.to_owned()))?;
        let registration = config
            .registration(&account.registration)
            .cloned()
            .ok_or_else(|| TokenError::UnknownRegistration {
                account: account.name.clone(),
                registration: account.registration.clone(),
            })?;
        Ok((account, registration))
    }

    async fn cached(&self, account: &str, resource: Resource) -> Result<Option<IssuedToken>, TokenError> {
        let vault = self.vault.clone();
        let name = account.to_owned();
        let found = blocking(move || vault.access_token(&name, resource)).await?;
        Ok(found
            .filter(|t| t.is_fresh(now_unix(), REFRESH_MARGIN_SECS))
            .map(|t| IssuedToken {
                token: t.token,
                expires_at: t.expires_at,
                resource,
                source: TokenSource::Cache,
            }))
    }

    fn account_mutex(&self, account: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.in_process.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(account.to_lowercase()).or_default().clone()
    }

    async fn lock_account(&self, account: &str) -> Result<LockGuard, TokenError> {
        self.lock_named("account", &account.to_lowercase()).await
    }

    /// A cross-process lock of this data home for one `kind` of thing called `name` (refreshes that rotate a
    /// refresh token take one, so two processes never redeem the same token at once).
    pub(crate) async fn lock_named(&self, kind: &str, name: &str) -> Result<LockGuard, TokenError> {
        let dir = self.lock_dir.clone();
        let path = dir.join(format!("{kind}-{:016x}.lock", fnv1a(name)));
        tokio::task::spawn_blocking(move || {
            crate::store::create_private_dir(&dir)?;
            LockGuard::acquire(&path, REFRESH_LOCK_TIMEOUT)
        })
        .await
        .map_err(|e| TokenError::Store(StoreError::rejected(format!("the lock task failed: {e}"))))?
        .map_err(TokenError::Store)
    }

    async fn fetch(
        &self,
        account: &Account,
        registration: &AppRegistration,
        resource: Resource,
    ) -> Result<IssuedToken, TokenError> {
        let endpoints = Endpoints::for_cloud(&registration.cloud);
        let endpoint = TokenEndpoint::new(self.http.clone(), endpoints.token_url(&registration.tenant));
        let scopes = permissions::token_scopes(&endpoints, &account.services, account.flow, resource);
        let auth = self.client_auth(registration, endpoint.url()).await?;
        let name = account.name.clone();
        let answer = match account.flow {
            Flow::ClientCredentials => {
                client_credentials::fetch(&endpoint, &registration.client_id, &scopes.join(" "), &auth).await
            }
            Flow::AuthCode | Flow::DeviceCode => {
                let vault = self.vault.clone();
                let refresh_token = blocking(move || vault.refresh_token(&name))
                    .await?
                    .ok_or_else(|| TokenError::NoRefreshToken {
                        account: account.name.clone(),
                    })?;
                token_endpoint::refresh(&endpoint, &registration.client_id, &refresh_token, &scopes, &auth)
                    .await
            }
        };
        let answer = answer.map_err(|e| classify(&account.name, e))?;
        self.keep(account, resource, answer).await
    }

    /// Stores what the token endpoint answered: the rotated refresh token FIRST, then the access token, then
    /// the non-secret metadata.
    async fn keep(
        &self,
        account: &Account,
        resource: Resource,
        answer: TokenResponse,
    ) -> Result<IssuedToken, TokenError> {
        let now = now_unix();
        let expires_at = now + answer.expires_in.max(0);
        let access = AccessToken {
            token: answer.access_token.clone(),
            expires_at,
        };
        let vault = self.vault.clone();
        let name = account.name.clone();
        let rotated = answer.refresh_token.clone();
        blocking(move || {
            if let Some(refresh_token) = &rotated {
                vault.set_refresh_token(&name, refresh_token)?;
            }
            vault.set_access_token(&name, resource, &access)
        })
        .await?;
        let delegated = account.flow != Flow::ClientCredentials;
        let granted: Vec<String> = answer.scope.split_whitespace().map(str::to_owned).collect();
        self.store.update_token_metadata(&account.name, |meta| {
            meta.access_expires.insert(resource, expires_at);
            meta.scopes_granted.extend(granted);
            if delegated {
                meta.refresh_last_used_at = Some(now);
                if answer.refresh_token.is_some() {
                    meta.refresh_issued_at = Some(now);
                }
            }
            meta.last_failure = None;
        })?;
        tracing::info!(account = %account.name, resource = resource_label(resource), expires_at, "token refreshed");
        Ok(IssuedToken {
            token: answer.access_token,
            expires_at,
            resource,
            source: TokenSource::Refreshed,
        })
    }

    /// How this registration proves who it is at the token endpoint.
    pub async fn client_auth(
        &self,
        registration: &AppRegistration,
        token_url: &str,
    ) -> Result<ClientAuth, TokenError> {
        if registration.client_kind == ClientKind::Public {
            return Ok(ClientAuth::None);
        }
        let now = time::OffsetDateTime::now_utc();
        // Unexpired credentials first, secrets before certificates, the one expiring last first.
        let mut credentials: Vec<_> = registration.credentials.iter().collect();
        credentials.sort_by_key(|c| {
            (
                c.expires.is_some_and(|e| e <= now),
                c.kind != CredentialKind::Secret,
                std::cmp::Reverse(c.expires),
            )
        });
        for credential in credentials {
            let vault = self.vault.clone();
            let (id, key) = (registration.id.clone(), credential.key_id.clone());
            match credential.kind {
                CredentialKind::Secret => {
                    if let Some(secret) = blocking(move || vault.client_secret(&id, &key)).await? {
                        return Ok(ClientAuth::Secret(secret));
                    }
                }
                CredentialKind::Certificate => {
                    if let Some(bundle) = blocking(move || vault.certificate_key(&id, &key)).await? {
                        let (der, key_pem) = split_certificate_bundle(&bundle)
                            .map_err(|detail| TokenError::SignIn(SignInError::Certificate(detail)))?;
                        let assertion = client_credentials::client_assertion(
                            &CertificateCredential {
                                certificate_der: &der,
                                private_key_pem: &key_pem,
                            },
                            &registration.client_id,
                            token_url,
                            now.unix_timestamp(),
                        )
                        .map_err(TokenError::SignIn)?;
                        return Ok(ClientAuth::Assertion(assertion));
                    }
                }
            }
        }
        Err(TokenError::NoCredential {
            registration: registration.name.clone(),
        })
    }

    fn record_failure(&self, account: &str, error: &TokenError) {
        // The keychain or config failing is not the refresh token's health.
        let Some(failure) = error.refresh_failure(now_unix()) else {
            return;
        };
        if let Err(e) = self
            .store
            .update_token_metadata(account, |meta| meta.last_failure = Some(failure))
        {
            tracing::warn!(account, error = %e, "cannot record the failed refresh");
        }
    }

    /// Refreshes every delegated account whose refresh token has not been used for [`KEEP_ALIVE_AFTER_SECS`],
    /// so Microsoft's 90-day inactivity limit never revokes it. Returns what happened per account refreshed.
    pub async fn keep_alive(&self) -> Result<Vec<(String, Result<IssuedToken, TokenError>)>, TokenError> {
        let now = now_unix();
        let due: Vec<(String, Resource)> = self
            .store
            .load()?
            .accounts
            .iter()
            .filter(|a| a.flow != Flow::ClientCredentials)
            .filter(|a| keep_alive_due(a, now))
            .filter_map(|a| primary_resource(a).map(|r| (a.name.clone(), r)))
            .collect();
        let mut out = Vec::new();
        for (name, resource) in due {
            let result = self.refresh_now(&name, resource).await;
            out.push((name, result));
        }
        Ok(out)
    }
}

impl IssuedToken {
    fn with_source(mut self, source: TokenSource) -> Self {
        self.source = source;
        self
    }
}

/// Whether an account's refresh token has been idle long enough for a keep-alive refresh.
pub fn keep_alive_due(account: &Account, now: i64) -> bool {
    keep_alive_due_at(account).is_some_and(|at| now >= at)
}

/// When an account's refresh token becomes due for a keep-alive refresh (unix seconds): [`KEEP_ALIVE_AFTER_SECS`]
/// after it was last used. `None` without one (app-only, or never signed in).
pub fn keep_alive_due_at(account: &Account) -> Option<i64> {
    if account.flow == Flow::ClientCredentials {
        return None;
    }
    refresh_token_last_active(account).map(|at| at + KEEP_ALIVE_AFTER_SECS)
}

/// When Microsoft will revoke the refresh token for inactivity if it is not used before (unix seconds).
pub fn refresh_token_inactive_at(account: &Account) -> Option<i64> {
    refresh_token_last_active(account).map(|at| at + REFRESH_TOKEN_INACTIVITY_SECS)
}

/// When the refresh token was last used, or else issued: where Microsoft's inactivity clock starts.
fn refresh_token_last_active(account: &Account) -> Option<i64> {
    let tokens = &account.tokens;
    tokens.refresh_last_used_at.or(tokens.refresh_issued_at)
}

/// The resource an account uses first: Outlook for mail protocols, else Graph.
pub fn primary_resource(account: &Account) -> Option<Resource> {
    let mut resources = account.services.iter().map(|s| permissions::resource_of(*s));
    let first = resources.next()?;
    Some(
        if account
            .services
            .iter()
            .any(|s| matches!(s, Service::Imap | Service::Pop | Service::Smtp))
        {
            Resource::Outlook
        } else {
            first
        },
    )
}

pub fn resource_label(resource: Resource) -> &'static str {
    match resource {
        Resource::Outlook => "Outlook (IMAP, POP, SMTP)",
        Resource::Graph => "Microsoft Graph",
    }
}

pub(crate) fn classify(account: &str, error: SignInError) -> TokenError {
    match error {
        SignInError::Failed(diagnosis) => {
            let sign_in_again = diagnosis
                .raw
                .error
                .as_deref()
                .is_some_and(|e| SIGN_IN_AGAIN_ERRORS.contains(&e));
            if sign_in_again {
                TokenError::SignInAgain {
                    account: account.to_owned(),
                    diagnosis,
                }
            } else {
                TokenError::Failed(diagnosis)
            }
        }
        other => TokenError::SignIn(other),
    }
}

/// A certificate credential as kept in the keychain: one PEM bundle with the certificate and its private key.
pub fn split_certificate_bundle(bundle: &SecretString) -> Result<(Vec<u8>, SecretString), String> {
    let blocks = pem::parse_many(bundle.expose().as_bytes())
        .map_err(|e| format!("the certificate bundle is not PEM ({e})"))?;
    let certificate = blocks
        .iter()
        .find(|b| b.tag() == "CERTIFICATE")
        .ok_or("the certificate bundle holds no CERTIFICATE block")?;
    let key = blocks
        .iter()
        .find(|b| b.tag().ends_with("PRIVATE KEY"))
        .ok_or("the certificate bundle holds no PRIVATE KEY block")?;
    Ok((
        certificate.contents().to_vec(),
        SecretString::new(pem::encode(key)),
    ))
}

/// Runs a blocking keychain operation off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    op: impl FnOnce() -> Result<T, VaultError> + Send + 'static,
) -> Result<T, TokenError> {
    tokio::task::spawn_blocking(op)
        .await
        .map_err(|e| {
            TokenError::Vault(VaultError::KeychainUnavailable {
                detail: format!("the keychain task failed: {e}"),
                fix: crate::vault::KEYCHAIN_FIX,
            })
        })?
        .map_err(TokenError::Vault)
}

/// FNV-1a, for lock-file names that do not reveal account names.
pub(crate) fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::TokenMetadata;

    fn account(services: &[Service], last_used: Option<i64>) -> Account {
        Account {
            name: "adele".into(),
            address: "adele@contoso.example".into(),
            registration: "r1".into(),
            flow: Flow::AuthCode,
            services: services.iter().copied().collect::<BTreeSet<_>>(),
            shared_mailbox: None,
            identity: None,
            tokens: TokenMetadata {
                refresh_last_used_at: last_used,
                ..TokenMetadata::default()
            },
            imap: None,
            pop: None,
            smtp: None,
        }
    }

    #[test]
    fn keep_alive_is_due_after_two_weeks_idle_only() {
        let now = 1_800_000_000;
        assert!(!keep_alive_due(&account(&[Service::Imap], Some(now - 3600)), now));
        assert!(keep_alive_due(
            &account(&[Service::Imap], Some(now - KEEP_ALIVE_AFTER_SECS)),
            now
        ));
        assert!(!keep_alive_due(&account(&[Service::Imap], None), now));
        assert_eq!(
            keep_alive_due_at(&account(&[Service::Imap], Some(now))),
            Some(now + 14 * 86_400)
        );
        let mut app_only = account(&[Service::Imap], Some(now - KEEP_ALIVE_AFTER_SECS));
        app_only.flow = Flow::ClientCredentials;
        assert_eq!(keep_alive_due_at(&app_only), None);
        assert_eq!(
            refresh_token_inactive_at(&account(&[Service::Imap], Some(now))),
            Some(now + 90 * 86_400)
        );
    }

    #[test]
    fn mail_accounts_keep_alive_through_outlook_and_graph_only_ones_through_graph() {
        assert_eq!(
            primary_resource(&account(&[Service::GraphRead, Service::Smtp], None)),
            Some(Resource::Outlook)
        );
        assert_eq!(
            primary_resource(&account(&[Service::GraphSend], None)),
            Some(Resource::Graph)
        );
        assert_eq!(primary_resource(&account(&[], None)), None);
    }

    #[test]
    fn a_certificate_bundle_splits_into_der_and_key() {
        let cert = pem::Pem::new("CERTIFICATE", vec![1, 2, 3]);
        let key = pem::Pem::new("PRIVATE KEY", vec![9, 9]);
        let bundle = SecretString::new(format!("{}{}", pem::encode(&cert), pem::encode(&key)));
        let (der, key_pem) = split_certificate_bundle(&bundle).unwrap();
        assert_eq!(der, vec![1, 2, 3]);
        assert!(key_pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
        let only_key = SecretString::new(pem::encode(&key));
        assert!(split_certificate_bundle(&only_key)
            .unwrap_err()
            .contains("CERTIFICATE"));
        assert!(split_certificate_bundle(&SecretString::new("not pem".into())).is_err());
    }

    #[tokio::test]
    async fn lock_names_do_not_reveal_the_account_and_ignore_case() {
        // FNV-1a (64-bit)'s published test vectors.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a("adele"), fnv1a("alex"));

        // Whatever the case it is written in, an account's refreshes take one lock file, named by the hash alone.
        let dir = tempfile::tempdir().unwrap();
        let home = DataHome::resolve(Some(dir.path().to_path_buf()), None).unwrap();
        let vault = Arc::new(TokenVault::new(crate::vault::MemoryStore::new()));
        let service = TokenService::new(&home, vault, reqwest::Client::new());
        let expected = vec![format!("account-{:016x}.lock", fnv1a("adele"))];
        for name in ["adele", "ADELE", "Adele"] {
            let _held = service.lock_account(name).await.unwrap();
            let files: Vec<String> = std::fs::read_dir(home.dir().join("locks"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert_eq!(files, expected, "{name}");
        }
    }
}
