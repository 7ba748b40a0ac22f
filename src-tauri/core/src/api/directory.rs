//! The organisation's app registrations from Microsoft Graph, for the expiry board: the imports as the board and
//! `mailgrant directory list` show them, which registrations can read them, refresh and forget. Importing is a
//! sign-in: see [`super::sign_in`].

use serde::Serialize;

use super::accounts::FailureView;
use super::{Api, ApiError};
use crate::directory::{self, Directory, DirectoryImport};
use crate::model::ClientKind;

/// One import of an organisation's app registrations, as the board and the CLI's JSON show it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ImportView {
    pub id: String,
    pub registration: String,
    pub registration_name: String,
    /// The tenant's GUID (or, app-only, the tenant as configured).
    pub tenant_id: String,
    /// The tenant's domain (or ID).
    pub tenant: String,
    pub signed_in_as: Option<String>,
    pub app_only: bool,
    /// When the list was last read in full (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub imported_at: Option<i64>,
    pub applications: u32,
    pub credentials: u32,
    /// Why the last refresh failed, until one succeeds.
    pub last_failure: Option<FailureView>,
}

impl ImportView {
    pub fn new(import: &DirectoryImport, registration_name: Option<&str>) -> Self {
        ImportView {
            id: import.id.clone(),
            registration: import.registration.clone(),
            registration_name: registration_name.unwrap_or(&import.registration).to_owned(),
            tenant_id: import.tenant_id.clone(),
            tenant: import.tenant_name.clone(),
            signed_in_as: import.signed_in_as.clone(),
            app_only: import.app_only,
            imported_at: import.imported_at,
            applications: u32::try_from(import.applications.len()).unwrap_or(u32::MAX),
            credentials: u32::try_from(import.credential_count()).unwrap_or(u32::MAX),
            last_failure: import.last_failure.as_ref().map(FailureView::from),
        }
    }
}

/// An app registration an import can read through.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ImportSource {
    pub registration: String,
    pub name: String,
    pub client_id: String,
    pub tenant: String,
    /// Confidential, for one tenant, with a credential in Mailgrant: it can read as itself.
    pub app_only: bool,
}

fn views(api: &Api, imports: &[DirectoryImport]) -> Result<Vec<ImportView>, ApiError> {
    let config = api.store().load()?;
    Ok(imports
        .iter()
        .map(|i| ImportView::new(i, config.registration(&i.registration).map(|r| r.name.as_str())))
        .collect())
}

/// The imports, in the order they were made.
pub fn list(api: &Api) -> Result<Vec<ImportView>, ApiError> {
    let imports = Directory::beside(api.store()).load()?;
    views(api, &imports)
}

/// The app registrations an import can read through, and how.
pub fn sources(api: &Api) -> Result<Vec<ImportSource>, ApiError> {
    let config = api.store().load()?;
    Ok(config
        .registrations
        .iter()
        .map(|r| ImportSource {
            registration: r.id.clone(),
            name: r.name.clone(),
            client_id: r.client_id.to_string(),
            tenant: r.tenant.to_string(),
            app_only: r.client_kind == ClientKind::Confidential
                && !r.tenant.is_multi()
                && !r.credentials.is_empty(),
        })
        .collect())
}

/// Reads an import again without signing in.
pub async fn refresh(api: &Api, id: &str) -> Result<ImportView, ApiError> {
    let import = directory::refresh(&api.tokens, &api.http, id)
        .await
        .map_err(|e| ApiError::from(e).about(id))?;
    Ok(views(api, std::slice::from_ref(&import))?.remove(0))
}

/// The ids of every import.
pub fn ids(api: &Api) -> Result<Vec<String>, ApiError> {
    Ok(Directory::beside(api.store())
        .load()?
        .into_iter()
        .map(|i| i.id)
        .collect())
}

/// Forgets an import: its refresh token and its list.
pub async fn remove(api: &Api, id: &str) -> Result<DirectoryImport, ApiError> {
    directory::remove(&api.tokens, id)
        .await
        .map_err(|e| ApiError::from(e).about(id))
}
