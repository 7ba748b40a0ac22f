//! Tenant discovery through `/{tenant}/v2.0/.well-known/openid-configuration`: a wrong tenant is caught here,
//! before the user signs in, and the answer tells which cloud the tenant lives in.

use serde::Deserialize;

use super::SignInError;
use crate::diagnosis::Diagnosis;
use crate::identity::Endpoints;
use crate::model::Tenant;

/// What discovery learned about a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    /// The tenant's GUID, from the issuer (absent for `common`/`organizations`, whose issuer is a template).
    pub tenant_id: Option<String>,
    pub issuer: String,
    pub token_endpoint: String,
    pub authorization_endpoint: String,
    pub device_authorization_endpoint: Option<String>,
    /// `microsoftonline.com`, `microsoftonline.us`, `partner.microsoftonline.cn`.
    pub cloud_instance_name: Option<String>,
    pub graph_host: Option<String>,
    /// e.g. `NA`, `EU`, `USGov`.
    pub region_scope: Option<String>,
}

#[derive(Deserialize)]
struct RawConfiguration {
    issuer: String,
    token_endpoint: String,
    authorization_endpoint: String,
    #[serde(default)]
    device_authorization_endpoint: Option<String>,
    #[serde(default)]
    cloud_instance_name: Option<String>,
    #[serde(default)]
    msgraph_host: Option<String>,
    #[serde(default)]
    tenant_region_scope: Option<String>,
}

/// Looks the tenant up. Unknown tenants come back as Microsoft's AADSTS90002 diagnosis.
pub async fn discover(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    tenant: &Tenant,
) -> Result<TenantInfo, SignInError> {
    let url = endpoints.openid_configuration_url(tenant);
    let answer = super::http::exchange(&url, http.get(&url))
        .await
        .map_err(SignInError::Failed)?;
    let (status, content_type, body) = (answer.status, answer.content_type, answer.body);
    let raw = match serde_json::from_str::<RawConfiguration>(&body) {
        Ok(raw) if status == 200 => raw,
        _ => return Err(Diagnosis::from_identity_response(status, content_type.as_deref(), &body).into()),
    };
    Ok(TenantInfo {
        tenant_id: tenant_id_from_issuer(&raw.issuer),
        issuer: raw.issuer,
        token_endpoint: raw.token_endpoint,
        authorization_endpoint: raw.authorization_endpoint,
        device_authorization_endpoint: raw.device_authorization_endpoint,
        cloud_instance_name: raw.cloud_instance_name,
        graph_host: raw.msgraph_host,
        region_scope: raw.tenant_region_scope,
    })
}

/// `https://login.microsoftonline.com/{guid}/v2.0` → the GUID; the `{tenantid}` template → None.
pub fn tenant_id_from_issuer(issuer: &str) -> Option<String> {
    let segment = issuer
        .trim_end_matches('/')
        .trim_end_matches("/v2.0")
        .rsplit('/')
        .next()?;
    segment.parse::<crate::model::Guid>().ok().map(|g| g.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_id_comes_from_the_issuer() {
        assert_eq!(
            tenant_id_from_issuer(
                "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"
            )
            .as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(
            tenant_id_from_issuer("https://login.microsoftonline.com/{tenantid}/v2.0"),
            None
        );
    }
}
