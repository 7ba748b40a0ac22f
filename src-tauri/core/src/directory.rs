//! An organisation's app registrations, read from Microsoft Graph for the expiry board: every registration of a
//! tenant with its client secrets (`passwordCredentials`) and certificates (`keyCredentials`). Graph gives their
//! names, hints and dates, never a secret's value.
//!
//! Reading them needs Graph's `Application.Read.All`: delegated (an admin signs in through one of the app
//! registrations Mailgrant already knows, and consents), or as an application permission of a confidential
//! registration (app-only, with its own secret or certificate). A delegated import keeps its refresh token in the
//! keychain, so the list can be refreshed later without signing in again; what was listed is kept in
//! `directory.json` beside the config, metadata only.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::accounts::{self, AccountError};
use crate::diagnosis::Diagnosis;
use crate::identity::endpoints::Endpoints;
use crate::model::{
    AppRegistration, ClientKind, Credential, CredentialKind, RefreshFailure, SignedInIdentity,
};
use crate::sensitive::SecretString;
use crate::signin::authcode::{AuthParams, AuthRequest};
use crate::signin::device::{self, DeviceAuthorization};
use crate::signin::token::{self as token_endpoint, TokenEndpoint, TokenResponse};
use crate::signin::{client_credentials, http::host_of, SignInError};
use crate::store::{self, StoreError};
use crate::tokens::{self, now_unix, TokenError, TokenService};

/// The file beside `config.json` that holds the imports.
pub const FILE_NAME: &str = "directory.json";
const SCHEMA_VERSION: u32 = 1;
/// Graph's largest page of applications.
const PAGE_SIZE: u32 = 999;
/// No tenant has this many pages (999 000 registrations): a server that keeps linking is not followed forever.
const MAX_PAGES: usize = 1000;
/// How long one Graph page may take.
const PAGE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a throttled page (429) is asked again, and the longest wait Mailgrant accepts before each.
const THROTTLE_RETRIES: u32 = 3;
const THROTTLE_MAX_WAIT: Duration = Duration::from_secs(30);

/// Why an import or its refresh did not finish.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Graph(Box<Diagnosis>),
    #[error(
        "there is no app registration or account {0:?} in Mailgrant: name one of `mailgrant accounts`, or add one \
         first (the wizard or `mailgrant add`)"
    )]
    UnknownRegistration(String),
    #[error("there is no import {0:?}: `mailgrant directory list` lists them")]
    UnknownImport(String),
    #[error("{0:?} has more than one import (through different app registrations): name one by its ID")]
    AmbiguousImport(String),
    #[error(
        "the app registration {0:?} is a public client: it has no secret or certificate to read the directory as \
         itself; sign in as an admin instead"
    )]
    AppOnlyNeedsCredential(String),
    #[error(
        "the app registration {0:?} is set up for any organisation ({1}); reading one tenant's registrations as \
         the app itself needs that tenant's ID or domain: sign in as an admin instead"
    )]
    AppOnlyNeedsTenant(String, String),
    #[error("Microsoft Graph answered with something other than a list of applications: {0}")]
    BadAnswer(String),
}

impl DirectoryError {
    /// Microsoft's (or the network's) answer explained, when that is why it stopped.
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            DirectoryError::SignIn(e) => e.diagnosis(),
            DirectoryError::Token(e) => e.diagnosis(),
            DirectoryError::Graph(d) => Some(d),
            _ => None,
        }
    }

    /// True when only a new sign-in helps (the refresh token is gone, expired or revoked).
    pub fn needs_sign_in(&self) -> bool {
        matches!(
            self,
            DirectoryError::Token(TokenError::SignInAgain { .. } | TokenError::NoRefreshToken { .. })
        )
    }
}

impl From<Diagnosis> for DirectoryError {
    fn from(d: Diagnosis) -> Self {
        DirectoryError::Graph(Box::new(d))
    }
}

/// One app registration of the tenant, as Graph listed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryApp {
    /// Graph's `id` (the application object id).
    pub object_id: String,
    /// The application (client) id.
    pub app_id: String,
    pub display_name: String,
    #[serde(default)]
    pub credentials: Vec<Credential>,
}

/// One tenant's registrations, read through one of Mailgrant's app registrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryImport {
    /// `{registration}@{tenant}`: one import per registration and tenant.
    pub id: String,
    /// The Mailgrant registration it reads through.
    pub registration: String,
    /// The tenant's GUID (or, app-only, the tenant as configured).
    pub tenant_id: String,
    /// What to call the tenant: the admin's domain, or the configured tenant.
    pub tenant_name: String,
    /// Who signed in (delegated); `None` when the app reads as itself.
    pub signed_in_as: Option<String>,
    pub app_only: bool,
    /// When the list was last read in full (unix seconds); `None` until the first listing succeeds.
    pub imported_at: Option<i64>,
    #[serde(default)]
    pub applications: Vec<DirectoryApp>,
    /// Why the last refresh failed, until one succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<RefreshFailure>,
}

/// How old a list may get before the app reads it again by itself.
pub const REFRESH_AFTER_SECS: i64 = 24 * 3600;
/// How long the app waits after a failed refresh before trying again by itself.
const RETRY_AFTER_SECS: i64 = 3600;

impl DirectoryImport {
    pub fn credential_count(&self) -> usize {
        self.applications.iter().map(|a| a.credentials.len()).sum()
    }

    /// Whether the app should read it again by itself now: its list is a day old, the last attempt did not fail
    /// within the hour, and no new sign-in is needed (that waits for the user).
    pub fn refresh_due(&self, now: i64) -> bool {
        match &self.last_failure {
            Some(f) if f.sign_in_again => false,
            Some(f) if now - f.at < RETRY_AFTER_SECS => false,
            _ => self.imported_at.is_none_or(|at| now - at >= REFRESH_AFTER_SECS),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct DirectoryFile {
    schema_version: u32,
    #[serde(default)]
    imports: Vec<DirectoryImport>,
}

/// `directory.json`: read without a lock (writes are atomic renames), changed under a cross-process lock.
#[derive(Debug, Clone)]
pub struct Directory {
    path: PathBuf,
    lock_path: PathBuf,
}

impl Directory {
    /// The directory file beside a config file.
    pub fn beside(config: &store::Store) -> Self {
        Self::at(config.path().with_file_name(FILE_NAME))
    }

    pub fn at(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Self {
            lock_path: path.with_file_name(format!("{FILE_NAME}.lock")),
            path,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every import; none when there is no file yet. A corrupt file is copied aside and reported, never
    /// written over.
    pub fn load(&self) -> Result<Vec<DirectoryImport>, StoreError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Read {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        match serde_json::from_slice::<DirectoryFile>(&bytes) {
            Ok(file) if file.schema_version > SCHEMA_VERSION => Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: file.schema_version,
                supported: SCHEMA_VERSION,
            }),
            Ok(file) => Ok(file.imports),
            Err(source) => Err(StoreError::Corrupt {
                path: self.path.clone(),
                backup: store::back_up_corrupt(&self.path, &bytes)?,
                source,
            }),
        }
    }

    /// The import `id` (ignoring case), or the one import of the tenant called `id` (`contoso.com`).
    pub fn get(&self, id: &str) -> Result<DirectoryImport, DirectoryError> {
        let imports = self.load()?;
        if let Some(found) = imports.iter().find(|i| i.id.eq_ignore_ascii_case(id)) {
            return Ok(found.clone());
        }
        let mut of_tenant = imports
            .into_iter()
            .filter(|i| i.tenant_name.eq_ignore_ascii_case(id) || i.tenant_id.eq_ignore_ascii_case(id));
        match (of_tenant.next(), of_tenant.next()) {
            (Some(only), None) => Ok(only),
            (Some(_), Some(_)) => Err(DirectoryError::AmbiguousImport(id.to_owned())),
            _ => Err(DirectoryError::UnknownImport(id.to_owned())),
        }
    }

    /// Changes the imports under the lock and writes them atomically.
    pub fn update<T>(&self, change: impl FnOnce(&mut Vec<DirectoryImport>) -> T) -> Result<T, StoreError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            store::create_private_dir(dir)?;
        }
        let _lock = store::LockGuard::acquire(&self.lock_path, store::DEFAULT_LOCK_TIMEOUT)?;
        let mut imports = self.load()?;
        let out = change(&mut imports);
        let file = DirectoryFile {
            schema_version: SCHEMA_VERSION,
            imports,
        };
        let bytes = serde_json::to_vec_pretty(&file).map_err(|source| StoreError::Encode { source })?;
        store::write_atomically(&self.path, &bytes)?;
        Ok(out)
    }

    /// Puts `import` in place of the one with its id, or adds it.
    fn put(&self, import: DirectoryImport) -> Result<(), StoreError> {
        self.update(
            |imports| match imports.iter_mut().find(|i| i.id.eq_ignore_ascii_case(&import.id)) {
                Some(slot) => *slot = import,
                None => imports.push(import),
            },
        )
    }
}

/// The delegated permission an admin consents to.
pub fn read_permission(endpoints: &Endpoints) -> String {
    format!("{}/Application.Read.All", endpoints.graph_resource)
}

/// Reading one tenant's app registrations through one of Mailgrant's registrations: sign in (or use the app's
/// own credential), then list. Every way ends in [`ImportPlan::finish`].
#[derive(Debug, Clone)]
pub struct ImportPlan {
    pub registration: AppRegistration,
    pub endpoints: Endpoints,
}

impl ImportPlan {
    /// The plan for the registration `id` of the service's config (its id, client id or name, or the name of an
    /// account that signs in through it).
    pub fn load(service: &TokenService, id: &str) -> Result<Self, DirectoryError> {
        let config = service.store().load()?;
        let registration = config
            .registration(id)
            .or_else(|| {
                // Scripts may name a registration by its client id or name, or by an account that uses it.
                config
                    .registrations
                    .iter()
                    .find(|r| {
                        r.client_id.as_str().eq_ignore_ascii_case(id) || r.name.eq_ignore_ascii_case(id)
                    })
                    .or_else(|| {
                        config
                            .account(id)
                            .and_then(|a| config.registration(&a.registration))
                    })
            })
            .cloned()
            .ok_or_else(|| DirectoryError::UnknownRegistration(id.to_owned()))?;
        Ok(Self {
            endpoints: Endpoints::for_cloud(&registration.cloud),
            registration,
        })
    }

    /// What a delegated sign-in asks for: Graph's Application.Read.All, a refresh token, and who signed in.
    pub fn scopes(&self) -> Vec<String> {
        vec![
            read_permission(&self.endpoints),
            "offline_access".into(),
            "openid".into(),
            "profile".into(),
        ]
    }

    /// The authorize request to open in the system browser; the admin picks the account to use.
    pub fn authorize(&self, redirect_uri: &str) -> AuthRequest {
        AuthRequest::new(&AuthParams {
            authorize_url: &self.endpoints.authorize_url(&self.registration.tenant),
            client_id: &self.registration.client_id,
            redirect_uri,
            scopes: &self.scopes(),
            login_hint: None,
            prompt: Some("select_account"),
        })
    }

    /// Redeems the code of the browser's answer, then lists the tenant's registrations.
    pub async fn redeem(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
        request: AuthRequest,
        code: SecretString,
    ) -> Result<DirectoryImport, DirectoryError> {
        let endpoint = self.token_endpoint(http, &self.registration.tenant.to_string());
        let auth = service.client_auth(&self.registration, endpoint.url()).await?;
        let nonce = request.nonce().to_owned();
        let answer = request
            .redeem(
                &endpoint,
                &self.registration.client_id,
                &code,
                &self.scopes(),
                &auth,
            )
            .await?;
        let identity = identity_of(&answer, Some(&nonce))?;
        self.finish(service, http, answer, identity).await
    }

    /// Starts a device-code sign-in (for registrations with public client flows allowed).
    pub async fn start_device_code(
        &self,
        http: &reqwest::Client,
    ) -> Result<DeviceAuthorization, DirectoryError> {
        let url = self.endpoints.device_code_url(&self.registration.tenant);
        Ok(device::start(http, &url, &self.registration.client_id, &self.scopes()).await?)
    }

    pub async fn finish_device_code(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
        authorization: &DeviceAuthorization,
        cancel: &CancellationToken,
    ) -> Result<DirectoryImport, DirectoryError> {
        let endpoint = self.token_endpoint(http, &self.registration.tenant.to_string());
        let answer = authorization
            .poll(&endpoint, &self.registration.client_id, cancel)
            .await?;
        let identity = identity_of(&answer, None)?;
        self.finish(service, http, answer, identity).await
    }

    /// Reads the directory as the app itself (its secret or certificate, and the Application.Read.All
    /// application permission with admin consent).
    pub async fn app_only(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
    ) -> Result<DirectoryImport, DirectoryError> {
        let answer = self.app_only_token(service, http).await?;
        let import = self.record(self.registration.tenant.to_string(), None, true);
        list_and_keep(service, http, &self.endpoints, import, &answer.access_token).await
    }

    async fn app_only_token(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
    ) -> Result<TokenResponse, DirectoryError> {
        let registration = &self.registration;
        if registration.client_kind == ClientKind::Public {
            return Err(DirectoryError::AppOnlyNeedsCredential(registration.name.clone()));
        }
        if registration.tenant.is_multi() {
            return Err(DirectoryError::AppOnlyNeedsTenant(
                registration.name.clone(),
                registration.tenant.to_string(),
            ));
        }
        let endpoint = self.token_endpoint(http, &registration.tenant.to_string());
        let auth = service.client_auth(registration, endpoint.url()).await?;
        let scope = format!("{}/.default", self.endpoints.graph_resource);
        client_credentials::fetch(&endpoint, &registration.client_id, &scope, &auth)
            .await
            .map_err(|e| DirectoryError::Token(tokens::classify(&registration.name, e)))
    }

    fn token_endpoint(&self, http: &reqwest::Client, tenant: &str) -> TokenEndpoint {
        let tenant = tenant
            .parse()
            .unwrap_or_else(|_| self.registration.tenant.clone());
        TokenEndpoint::new(http.clone(), self.endpoints.token_url(&tenant))
    }

    fn record(&self, tenant_id: String, signed_in_as: Option<String>, app_only: bool) -> DirectoryImport {
        let tenant_name = signed_in_as
            .as_deref()
            .and_then(|user| user.rsplit_once('@'))
            .map(|(_, domain)| domain.to_ascii_lowercase())
            .unwrap_or_else(|| self.registration.tenant.to_string());
        DirectoryImport {
            id: format!("{}@{}", self.registration.id, tenant_id),
            registration: self.registration.id.clone(),
            tenant_id,
            tenant_name,
            signed_in_as,
            app_only,
            imported_at: None,
            applications: Vec::new(),
            last_failure: None,
        }
    }

    /// Keeps the refresh token (first), then lists the registrations and keeps the list.
    async fn finish(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
        answer: TokenResponse,
        identity: SignedInIdentity,
    ) -> Result<DirectoryImport, DirectoryError> {
        let tenant_id = identity
            .tenant_id
            .clone()
            .unwrap_or_else(|| self.registration.tenant.to_string());
        let mut import = self.record(tenant_id, identity.username.clone(), false);
        // Imported before through this registration and tenant: keep the old list until the new one is in.
        if let Ok(before) = Directory::beside(service.store()).get(&import.id) {
            import.applications = before.applications;
            import.imported_at = before.imported_at;
        }
        if let Some(refresh_token) = answer.refresh_token.clone() {
            let (vault, id) = (Arc::clone(service.vault()), import.id.clone());
            tokens::blocking(move || vault.set_directory_refresh_token(&id, &refresh_token)).await?;
        }
        list_and_keep(service, http, &self.endpoints, import, &answer.access_token).await
    }
}

fn identity_of(answer: &TokenResponse, nonce: Option<&str>) -> Result<SignedInIdentity, DirectoryError> {
    match &answer.id_token {
        Some(id_token) => Ok(accounts::identity_from_id_token(id_token, nonce)?),
        None => Ok(SignedInIdentity {
            name: None,
            username: None,
            tenant_id: None,
            object_id: None,
        }),
    }
}

/// Lists the registrations with `access_token` and keeps the result (or, when listing fails, the failure next to
/// the list read before).
async fn list_and_keep(
    service: &TokenService,
    http: &reqwest::Client,
    endpoints: &Endpoints,
    mut import: DirectoryImport,
    access_token: &SecretString,
) -> Result<DirectoryImport, DirectoryError> {
    let directory = Directory::beside(service.store());
    match list_applications(http, &endpoints.graph, access_token).await {
        Ok(applications) => {
            import.applications = applications;
            import.imported_at = Some(now_unix());
            import.last_failure = None;
            directory.put(import.clone())?;
            tracing::info!(import = %import.id, apps = import.applications.len(), "directory imported");
            Ok(import)
        }
        Err(error) => {
            import.last_failure = Some(failure_of(&error));
            directory.put(import)?;
            Err(error)
        }
    }
}

fn failure_of(error: &DirectoryError) -> RefreshFailure {
    let (code, title) = match error.diagnosis() {
        Some(d) => (d.code.clone(), d.title.clone()),
        None => ("DIRECTORY".to_owned(), error.to_string()),
    };
    RefreshFailure {
        code,
        title,
        at: now_unix(),
        sign_in_again: error.needs_sign_in(),
    }
}

/// Reads the import `id` again: with its refresh token (stored again first, as Microsoft rotates it), or as the
/// app itself. A failure is recorded on the import, whose last list stays.
pub async fn refresh(
    service: &TokenService,
    http: &reqwest::Client,
    id: &str,
) -> Result<DirectoryImport, DirectoryError> {
    let directory = Directory::beside(service.store());
    // One refresh of an import at a time across processes (the app's daily one, a CLI run): each redeems the
    // refresh token the previous one stored.
    let _turn = service
        .lock_named("directory", &directory.get(id)?.id.to_lowercase())
        .await?;
    let import = directory.get(id)?;
    let plan = ImportPlan::load(service, &import.registration)?;
    let token = if import.app_only {
        plan.app_only_token(service, http).await
    } else {
        refresh_delegated(service, http, &plan, &import).await
    };
    match token {
        Ok(answer) => list_and_keep(service, http, &plan.endpoints, import, &answer.access_token).await,
        Err(error) => {
            let failure = failure_of(&error);
            directory.update(|imports| {
                if let Some(slot) = imports.iter_mut().find(|i| i.id == import.id) {
                    slot.last_failure = Some(failure);
                }
            })?;
            Err(error)
        }
    }
}

async fn refresh_delegated(
    service: &TokenService,
    http: &reqwest::Client,
    plan: &ImportPlan,
    import: &DirectoryImport,
) -> Result<TokenResponse, DirectoryError> {
    let (vault, id) = (Arc::clone(service.vault()), import.id.clone());
    let refresh_token = tokens::blocking(move || vault.directory_refresh_token(&id))
        .await?
        .ok_or_else(|| TokenError::NoRefreshToken {
            account: import.id.clone(),
        })?;
    let endpoint = plan.token_endpoint(http, &import.tenant_id);
    let auth = service.client_auth(&plan.registration, endpoint.url()).await?;
    let scopes = [read_permission(&plan.endpoints), "offline_access".to_owned()];
    let answer = token_endpoint::refresh(
        &endpoint,
        &plan.registration.client_id,
        &refresh_token,
        &scopes,
        &auth,
    )
    .await
    .map_err(|e| tokens::classify(&import.id, e))?;
    if let Some(rotated) = answer.refresh_token.clone() {
        let (vault, id) = (Arc::clone(service.vault()), import.id.clone());
        tokens::blocking(move || vault.set_directory_refresh_token(&id, &rotated)).await?;
    }
    Ok(answer)
}

/// Forgets the import `id`: its refresh token, then its list.
pub async fn remove(service: &TokenService, id: &str) -> Result<DirectoryImport, DirectoryError> {
    let directory = Directory::beside(service.store());
    let import = directory.get(id)?;
    let (vault, key) = (Arc::clone(service.vault()), import.id.clone());
    tokens::blocking(move || vault.delete_directory_refresh_token(&key)).await?;
    directory.update(|imports| imports.retain(|i| i.id != import.id))?;
    Ok(import)
}

/// Graph's application, as much of it as is asked for.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphApplication {
    id: String,
    app_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    password_credentials: Vec<GraphCredential>,
    #[serde(default)]
    key_credentials: Vec<GraphCredential>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GraphCredential {
    key_id: Option<String>,
    display_name: Option<String>,
    /// Secrets: the first characters of the value.
    hint: Option<String>,
    /// Certificates: the thumbprint.
    custom_key_identifier: Option<String>,
    start_date_time: Option<String>,
    end_date_time: Option<String>,
}

#[derive(Deserialize)]
struct GraphPage {
    value: Vec<GraphApplication>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
}

fn date(text: Option<&str>) -> Option<OffsetDateTime> {
    text.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

fn credential(kind: CredentialKind, c: GraphCredential) -> Credential {
    let starts = date(c.start_date_time.as_deref());
    let expires = date(c.end_date_time.as_deref());
    let hint = match kind {
        CredentialKind::Secret => c.hint,
        CredentialKind::Certificate => c.custom_key_identifier,
    };
    Credential {
        kind,
        key_id: c
            .key_id
            .unwrap_or_else(|| format!("unnamed-{}", expires.map_or(0, OffsetDateTime::unix_timestamp))),
        label: c.display_name.filter(|n| !n.trim().is_empty()),
        hint: hint.filter(|h| !h.is_empty()),
        starts,
        expires,
    }
}

impl From<GraphApplication> for DirectoryApp {
    fn from(app: GraphApplication) -> Self {
        let secrets = app
            .password_credentials
            .into_iter()
            .map(|c| credential(CredentialKind::Secret, c));
        let certificates = app
            .key_credentials
            .into_iter()
            .map(|c| credential(CredentialKind::Certificate, c));
        DirectoryApp {
            display_name: app.display_name.unwrap_or_else(|| app.app_id.clone()),
            object_id: app.id,
            app_id: app.app_id,
            credentials: secrets.chain(certificates).collect(),
        }
    }
}

/// Every app registration the token may read, page after page (`@odata.nextLink`), with their secrets and
/// certificates. The token is only ever sent to `graph`'s own origin.
pub async fn list_applications(
    http: &reqwest::Client,
    graph: &str,
    access_token: &SecretString,
) -> Result<Vec<DirectoryApp>, DirectoryError> {
    let origin = url::Url::parse(graph)
        .map_err(|e| DirectoryError::BadAnswer(format!("{graph} is not a Graph address ({e})")))?
        .origin();
    let mut next = Some(format!(
        "{graph}/v1.0/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top={PAGE_SIZE}"
    ));
    let mut apps = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(DirectoryError::BadAnswer(format!(
                "it kept linking to more pages after {MAX_PAGES}"
            )));
        }
        let same_origin = url::Url::parse(&url).is_ok_and(|u| u.origin() == origin);
        if !same_origin {
            return Err(DirectoryError::BadAnswer(format!(
                "its next page is at another address ({}), which Mailgrant does not send the token to",
                host_of(&url)
            )));
        }
        let page = page(http, &url, access_token).await?;
        apps.extend(page.value.into_iter().map(DirectoryApp::from));
        next = page.next_link;
    }
    apps.sort_by_cached_key(|a| a.display_name.to_lowercase());
    Ok(apps)
}

/// One page, asked again after `Retry-After` when Graph throttles.
async fn page(
    http: &reqwest::Client,
    url: &str,
    access_token: &SecretString,
) -> Result<GraphPage, DirectoryError> {
    crate::diagnosis::transport::check_secure(url).map_err(|d| *d)?;
    let host = host_of(url);
    let mut attempt = 0;
    loop {
        let response = http
            .get(url)
            .bearer_auth(access_token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(PAGE_TIMEOUT)
            .send()
            .await
            .map_err(|e| Diagnosis::from_reqwest(&e, &host))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .text()
            .await
            .map_err(|e| Diagnosis::from_reqwest(&e, &host))?;
        if status == 429 && attempt < THROTTLE_RETRIES {
            let wait = retry_after
                .as_deref()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map_or(Duration::from_secs(2), Duration::from_secs);
            if wait <= THROTTLE_MAX_WAIT {
                attempt += 1;
                tokio::time::sleep(wait).await;
                continue;
            }
        }
        if !(200..300).contains(&status) {
            return Err(Diagnosis::from_graph_response(status, retry_after.as_deref(), &body).into());
        }
        return serde_json::from_str(&body).map_err(|e| {
            if serde_json::from_str::<serde_json::Value>(&body).is_ok() {
                DirectoryError::BadAnswer(format!("the JSON is not shaped as Graph's ({e})"))
            } else {
                Diagnosis::from_graph_response(status, None, &body).into()
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_page() -> &'static str {
        r#"{"@odata.context":"x","value":[{"id":"o1","appId":"a1","displayName":"Payroll",
            "passwordCredentials":[{"customKeyIdentifier":null,"displayName":"job","endDateTime":"2027-01-02T03:04:05Z",
              "hint":"Pr9","keyId":"k1","secretText":null,"startDateTime":"2026-01-02T03:04:05.1234567Z"}],
            "keyCredentials":[{"customKeyIdentifier":"AB12","displayName":"","endDateTime":"2026-12-31T00:00:00Z",
              "key":null,"keyId":"k2","startDateTime":null,"type":"AsymmetricX509Cert","usage":"Verify"}]}]}"#
    }

    #[test]
    fn graph_applications_become_credentials_with_dates() {
        let page: GraphPage = serde_json::from_str(sample_page()).unwrap();
        assert!(page.next_link.is_none());
        let app = DirectoryApp::from(page.value.into_iter().next().unwrap());
        assert_eq!((app.object_id.as_str(), app.app_id.as_str()), ("o1", "a1"));
        let [secret, certificate] = &app.credentials[..] else {
            panic!("one secret and one certificate: {:?}", app.credentials)
        };
        assert_eq!(secret.kind, CredentialKind::Secret);
        assert_eq!(secret.hint.as_deref(), Some("Pr9"));
        assert_eq!(secret.label.as_deref(), Some("job"));
        assert_eq!(secret.expires.unwrap().unix_timestamp(), 1_798_859_045);
        assert!(secret.starts.is_some(), "seven fraction digits parse");
        assert_eq!(certificate.kind, CredentialKind::Certificate);
        assert_eq!(certificate.hint.as_deref(), Some("AB12"));
        assert_eq!(certificate.label, None, "an empty name is no name");
    }

    #[test]
    fn a_list_is_read_again_daily_unless_a_sign_in_is_needed() {
        let now = 1_800_000_000;
        let mut import = DirectoryImport {
            id: "reg@t".into(),
            registration: "reg".into(),
            tenant_id: "t".into(),
            tenant_name: "t".into(),
            signed_in_as: None,
            app_only: true,
            imported_at: Some(now - REFRESH_AFTER_SECS + 60),
            applications: Vec::new(),
            last_failure: None,
        };
        assert!(!import.refresh_due(now), "read less than a day ago");
        assert!(import.refresh_due(now + 60));
        let failure = |at, sign_in_again| RefreshFailure {
            code: "TIMEOUT".into(),
            title: "slow".into(),
            at,
            sign_in_again,
        };
        import.last_failure = Some(failure(now + 30, false));
        assert!(!import.refresh_due(now + 60), "failed a moment ago");
        assert!(import.refresh_due(now + 30 + RETRY_AFTER_SECS));
        import.last_failure = Some(failure(now - 10 * REFRESH_AFTER_SECS, true));
        assert!(!import.refresh_due(now + 60), "waits for the user to sign in");
    }

    #[test]
    fn the_file_round_trips_and_a_corrupt_one_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let directory = Directory::at(dir.path().join(FILE_NAME));
        assert!(directory.load().unwrap().is_empty());
        let page: GraphPage = serde_json::from_str(sample_page()).unwrap();
        let import = DirectoryImport {
            id: "reg@t".into(),
            registration: "reg".into(),
            tenant_id: "t".into(),
            tenant_name: "contoso.example".into(),
            signed_in_as: Some("it@contoso.example".into()),
            app_only: false,
            imported_at: Some(1),
            applications: page.value.into_iter().map(DirectoryApp::from).collect(),
            last_failure: None,
        };
        directory.put(import.clone()).unwrap();
        directory.put(import.clone()).unwrap();
        assert_eq!(directory.load().unwrap(), vec![import.clone()]);
        assert_eq!(directory.get("REG@T").unwrap(), import);
        assert_eq!(directory.get("Contoso.Example").unwrap(), import, "by its tenant");
        assert!(matches!(
            directory.get("other"),
            Err(DirectoryError::UnknownImport(_))
        ));

        std::fs::write(directory.path(), b"{ not json").unwrap();
        let error = directory.load().unwrap_err();
        assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
        assert!(
            directory.put(import).is_err(),
            "a corrupt file is not written over"
        );
        assert_eq!(std::fs::read(directory.path()).unwrap(), b"{ not json");
    }
}
