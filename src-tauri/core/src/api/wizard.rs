//! The wizard's checks that need more than the answers themselves: a pasted value, and the tenant looked up at
//! the identity platform.

use serde::Serialize;

use super::{Api, ApiError, ErrorCode};
use crate::identity::endpoints::Endpoints;
use crate::identity::setup::{self, FieldCheck};
use crate::signin::discovery;
use crate::wizard::WizardDraft;

/// Checks one pasted value as it is typed: `clientId`, `tenant` or `clientSecret`.
pub fn check_field(field: &str, value: &str) -> Result<FieldCheck, ApiError> {
    match field {
        "clientId" => Ok(setup::check_client_id(value)),
        "tenant" => Ok(setup::check_tenant(value)),
        "clientSecret" => Ok(setup::check_client_secret(value)),
        other => Err(ApiError::new(
            ErrorCode::BadField,
            format!("no check for {other:?}"),
        )),
    }
}

/// What tenant discovery found.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct TenantFound {
    /// The Directory (tenant) ID, when the tenant is a specific one.
    pub tenant_id: Option<String>,
    /// `microsoftonline.com`, `microsoftonline.us`, `partner.microsoftonline.cn`.
    pub cloud_instance: Option<String>,
    pub region_scope: Option<String>,
}

/// Looks the tenant up at the identity platform (its OpenID configuration): does it exist, which cloud.
pub async fn discover_tenant(api: &Api, draft: &WizardDraft) -> Result<TenantFound, ApiError> {
    let tenant = draft
        .tenant_value()
        .map_err(|m| ApiError::new(ErrorCode::BadTenant, m))?;
    let endpoints = Endpoints::for_cloud(&draft.cloud);
    let info = discovery::discover(&api.http, &endpoints, &tenant).await?;
    Ok(TenantFound {
        tenant_id: info.tenant_id,
        cloud_instance: info.cloud_instance_name,
        region_scope: info.region_scope,
    })
}
