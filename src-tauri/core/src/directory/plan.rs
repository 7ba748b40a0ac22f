//! Importing: sign in (or read as the app itself), list, keep; refresh and forget an import.

use super::*;

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
            .map_err(|e| DirectoryError::Token(token_lifecycle::classify(&registration.name, e)))
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
}

impl Delegated for ImportPlan {
    type Done = DirectoryImport;
    type Error = DirectoryError;

    fn registration(&self) -> &AppRegistration {
        &self.registration
    }

    fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Graph's Application.Read.All, a refresh token, and who signed in.
    fn token_scopes(&self) -> Vec<String> {
        vec![
            read_permission(&self.endpoints),
            "offline_access".into(),
            "openid".into(),
            "profile".into(),
        ]
    }

    /// The admin picks the account to use.
    fn authorize(&self, redirect_uri: &str) -> Result<AuthRequest, DirectoryError> {
        let scopes = self.token_scopes();
        Ok(grant(self, &scopes).authorize(redirect_uri, &scopes, None, Some("select_account"))?)
    }

    /// Keeps the refresh token (first), then lists the registrations and keeps the list.
    async fn keep(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
        (answer, identity): Granted,
    ) -> Result<DirectoryImport, DirectoryError> {
        let identity = identity.unwrap_or_default();
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
            token_lifecycle::blocking(move || vault.set_directory_refresh_token(&id, &refresh_token)).await?;
        }
        list_and_keep(service, http, &self.endpoints, import, &answer.access_token).await
    }
}

/// Lists the registrations with `access_token` and keeps the result (or, when listing fails, the failure next to
/// the list read before).
pub(super) async fn list_and_keep(
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

pub(super) fn failure_of(error: &DirectoryError) -> RefreshFailure {
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

pub(super) async fn refresh_delegated(
    service: &TokenService,
    http: &reqwest::Client,
    plan: &ImportPlan,
    import: &DirectoryImport,
) -> Result<TokenResponse, DirectoryError> {
    let (vault, id) = (Arc::clone(service.vault()), import.id.clone());
    let refresh_token = token_lifecycle::blocking(move || vault.directory_refresh_token(&id))
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
    .map_err(|e| token_lifecycle::classify(&import.id, e))?;
    if let Some(rotated) = answer.refresh_token.clone() {
        let (vault, id) = (Arc::clone(service.vault()), import.id.clone());
        token_lifecycle::blocking(move || vault.set_directory_refresh_token(&id, &rotated)).await?;
    }
    Ok(answer)
}

/// Forgets the import `id`: its refresh token, then its list.
pub async fn remove(service: &TokenService, id: &str) -> Result<DirectoryImport, DirectoryError> {
    let directory = Directory::beside(service.store());
    let import = directory.get(id)?;
    let (vault, key) = (Arc::clone(service.vault()), import.id.clone());
    token_lifecycle::blocking(move || vault.delete_directory_refresh_token(&key)).await?;
    directory.update(|imports| imports.retain(|i| i.id != import.id))?;
    Ok(import)
}
