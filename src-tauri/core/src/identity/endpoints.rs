//! Hosts and URLs per cloud. Source: Microsoft's national-cloud documentation; the mail hosts of the sovereign
//! clouds are observed values (see shared/reference/microsoft-identity.md §1).

use crate::model::{Cloud, HostPort, RedirectMode, Tenant};

/// Every address Mailgrant talks to for one cloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Login base URL without a trailing slash, e.g. `https://login.microsoftonline.com`.
    pub authority: String,
    /// Graph base URL without a trailing slash.
    pub graph: String,
    /// The resource Graph scopes are named under (the same as `graph` in every Microsoft cloud).
    pub graph_resource: String,
    /// The resource delegated mail scopes are named under, e.g. `https://outlook.office.com`.
    pub outlook_resource: String,
    /// The resource app-only mail tokens are for (`{this}/.default`).
    pub outlook_app_resource: String,
    pub imap: HostPort,
    pub pop: HostPort,
    pub smtp: HostPort,
    /// The Entra admin center for this cloud.
    pub portal: String,
}

fn hp(host: &str, port: u16) -> HostPort {
    HostPort {
        host: host.to_owned(),
        port,
    }
}

impl Endpoints {
    pub fn for_cloud(cloud: &Cloud) -> Self {
        match cloud {
            Cloud::Global => Self {
                authority: "https://login.microsoftonline.com".into(),
                graph: "https://graph.microsoft.com".into(),
                graph_resource: "https://graph.microsoft.com".into(),
                outlook_resource: "https://outlook.office.com".into(),
                outlook_app_resource: "https://outlook.office365.com".into(),
                imap: hp("outlook.office365.com", 993),
                pop: hp("outlook.office365.com", 995),
                smtp: hp("smtp.office365.com", 587),
                portal: "https://entra.microsoft.com".into(),
            },
            Cloud::UsGov => Self {
                authority: "https://login.microsoftonline.us".into(),
                graph: "https://graph.microsoft.us".into(),
                graph_resource: "https://graph.microsoft.us".into(),
                outlook_resource: "https://outlook.office365.us".into(),
                outlook_app_resource: "https://outlook.office365.us".into(),
                imap: hp("outlook.office365.us", 993),
                pop: hp("outlook.office365.us", 995),
                smtp: hp("smtp.office365.us", 587),
                portal: "https://entra.microsoft.us".into(),
            },
            Cloud::UsGovDod => Self {
                authority: "https://login.microsoftonline.us".into(),
                graph: "https://dod-graph.microsoft.us".into(),
                graph_resource: "https://dod-graph.microsoft.us".into(),
                outlook_resource: "https://outlook-dod.office365.us".into(),
                outlook_app_resource: "https://outlook-dod.office365.us".into(),
                imap: hp("outlook-dod.office365.us", 993),
                pop: hp("outlook-dod.office365.us", 995),
                smtp: hp("outlook-dod.office365.us", 587),
                portal: "https://entra.microsoft.us".into(),
            },
            Cloud::China => Self {
                authority: "https://login.partner.microsoftonline.cn".into(),
                graph: "https://microsoftgraph.chinacloudapi.cn".into(),
                graph_resource: "https://microsoftgraph.chinacloudapi.cn".into(),
                outlook_resource: "https://partner.outlook.cn".into(),
                outlook_app_resource: "https://partner.outlook.cn".into(),
                imap: hp("partner.outlook.cn", 993),
                pop: hp("partner.outlook.cn", 995),
                smtp: hp("partner.outlook.cn", 587),
                portal: "https://portal.azure.cn".into(),
            },
            Cloud::Custom(c) => Self {
                authority: c.authority.trim_end_matches('/').to_owned(),
                graph: c.graph.trim_end_matches('/').to_owned(),
                graph_resource: c
                    .graph_resource
                    .as_deref()
                    .unwrap_or(&c.graph)
                    .trim_end_matches('/')
                    .to_owned(),
                outlook_resource: c.outlook_resource.trim_end_matches('/').to_owned(),
                // As in the global cloud, app-only mail tokens are for outlook.office365.com.
                outlook_app_resource: match c.outlook_resource.trim_end_matches('/') {
                    "https://outlook.office.com" => "https://outlook.office365.com".to_owned(),
                    other => other.to_owned(),
                },
                imap: c.imap.clone(),
                pop: c.pop.clone(),
                smtp: c.smtp.clone(),
                portal: "https://entra.microsoft.com".into(),
            },
        }
    }

    pub fn authorize_url(&self, tenant: &Tenant) -> String {
        format!("{}/{}/oauth2/v2.0/authorize", self.authority, tenant)
    }

    pub fn token_url(&self, tenant: &Tenant) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.authority, tenant)
    }

    pub fn device_code_url(&self, tenant: &Tenant) -> String {
        format!("{}/{}/oauth2/v2.0/devicecode", self.authority, tenant)
    }

    pub fn openid_configuration_url(&self, tenant: &Tenant) -> String {
        format!(
            "{}/{}/v2.0/.well-known/openid-configuration",
            self.authority, tenant
        )
    }

    pub fn admin_consent_url(&self, tenant: &Tenant) -> String {
        format!("{}/{}/v2.0/adminconsent", self.authority, tenant)
    }

    /// The redirect URI to register in Entra for a redirect mode. For loopback Entra ignores the port, so the
    /// registered value has none; the sign-in adds the port it listens on.
    pub fn redirect_uri_to_register(&self, mode: RedirectMode) -> String {
        match mode {
            RedirectMode::Loopback => "http://localhost".into(),
            RedirectMode::DeepLink => "mailgrant://auth".into(),
            RedirectMode::Paste => format!("{}/common/oauth2/nativeclient", self.authority),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CustomCloud;

    #[test]
    fn global_endpoints_match_microsofts() {
        let e = Endpoints::for_cloud(&Cloud::Global);
        let t: Tenant = "contoso.onmicrosoft.com".parse().unwrap();
        assert_eq!(
            e.token_url(&t),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert_eq!(
            e.openid_configuration_url(&Tenant::Common),
            "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
        );
        assert_eq!(e.imap.to_string(), "outlook.office365.com:993");
        assert_eq!(e.smtp.to_string(), "smtp.office365.com:587");
        assert_eq!(
            e.redirect_uri_to_register(RedirectMode::Paste),
            "https://login.microsoftonline.com/common/oauth2/nativeclient"
        );
        assert_eq!(
            e.redirect_uri_to_register(RedirectMode::Loopback),
            "http://localhost"
        );
    }

    #[test]
    fn sovereign_clouds_use_their_own_hosts() {
        assert_eq!(
            Endpoints::for_cloud(&Cloud::UsGov).graph,
            "https://graph.microsoft.us"
        );
        assert_eq!(
            Endpoints::for_cloud(&Cloud::UsGovDod).graph,
            "https://dod-graph.microsoft.us"
        );
        assert_eq!(
            Endpoints::for_cloud(&Cloud::China).authority,
            "https://login.partner.microsoftonline.cn"
        );
    }

    #[test]
    fn custom_cloud_is_taken_as_given_without_trailing_slashes() {
        let c = Cloud::Custom(CustomCloud {
            authority: "http://127.0.0.1:8080/".into(),
            graph: "http://127.0.0.1:8080".into(),
            graph_resource: None,
            outlook_resource: "https://outlook.office.com".into(),
            imap: "127.0.0.1:1993".parse().unwrap(),
            pop: "127.0.0.1:1995".parse().unwrap(),
            smtp: "127.0.0.1:1587".parse().unwrap(),
        });
        let e = Endpoints::for_cloud(&c);
        assert_eq!(
            e.device_code_url(&Tenant::Organizations),
            "http://127.0.0.1:8080/organizations/oauth2/v2.0/devicecode"
        );
    }
}
