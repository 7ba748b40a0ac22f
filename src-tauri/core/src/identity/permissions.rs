//! Which permissions (scopes) each service needs, for delegated (a user signs in) and app-only access, and what
//! the wizard tells the user to add in Entra.

use std::collections::BTreeSet;

use serde::Serialize;

use super::Endpoints;
use crate::model::{Flow, Resource, Service};

/// Delegated permissions act on behalf of a signed-in user; application permissions act as the app itself and
/// always need an admin's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PermissionKind {
    Delegated,
    Application,
}

/// One permission as the Entra portal lists it under "API permissions".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// The API as the portal names it ("Microsoft Graph", "Office 365 Exchange Online").
    pub api: &'static str,
    /// The permission's name to search for in the portal.
    pub name: &'static str,
    pub kind: PermissionKind,
    pub admin_consent_required: bool,
    /// What it allows, in plain words.
    pub plain: &'static str,
}

const GRAPH: &str = "Microsoft Graph";
const EXCHANGE: &str = "Office 365 Exchange Online";

const fn delegated(api: &'static str, name: &'static str, plain: &'static str) -> Permission {
    Permission {
        api,
        name,
        kind: PermissionKind::Delegated,
        admin_consent_required: false,
        plain,
    }
}

const fn application(name: &'static str, plain: &'static str) -> Permission {
    Permission {
        api: EXCHANGE,
        name,
        kind: PermissionKind::Application,
        admin_consent_required: true,
        plain,
    }
}

/// The sign-in scopes every delegated account needs.
const SIGN_IN: [Permission; 5] = [
    delegated(
        GRAPH,
        "offline_access",
        "Stay signed in, so you don't have to sign in again every hour",
    ),
    delegated(GRAPH, "openid", "Sign you in"),
    delegated(GRAPH, "profile", "See your name"),
    delegated(GRAPH, "email", "See your email address"),
    delegated(GRAPH, "User.Read", "Read your basic profile"),
];

fn delegated_for(service: Service) -> Permission {
    match service {
        Service::Imap => delegated(
            GRAPH,
            "IMAP.AccessAsUser.All",
            "Read and manage your mail over IMAP",
        ),
        Service::Pop => delegated(GRAPH, "POP.AccessAsUser.All", "Read your mail over POP"),
        Service::Smtp => delegated(GRAPH, "SMTP.Send", "Send mail as you over SMTP"),
        Service::GraphRead => delegated(
            GRAPH,
            "Mail.ReadWrite",
            "Read and manage your mail through Microsoft Graph",
        ),
        Service::GraphSend => delegated(GRAPH, "Mail.Send", "Send mail as you through Microsoft Graph"),
    }
}

fn application_for(service: Service) -> Option<Permission> {
    match service {
        Service::Imap => Some(application(
            "IMAP.AccessAsApp",
            "Read and manage mailboxes over IMAP as the app",
        )),
        Service::Pop => Some(application(
            "POP.AccessAsApp",
            "Read mailboxes over POP as the app",
        )),
        Service::Smtp => Some(application("SMTP.SendAsApp", "Send mail over SMTP as the app")),
        Service::GraphRead | Service::GraphSend => None,
    }
}

/// The permissions to add in Entra for these services and flow, in the order the wizard lists them.
pub fn required(services: &BTreeSet<Service>, flow: Flow) -> Vec<Permission> {
    match flow {
        Flow::ClientCredentials => services.iter().filter_map(|s| application_for(*s)).collect(),
        Flow::AuthCode | Flow::DeviceCode => SIGN_IN
            .iter()
            .cloned()
            .chain(services.iter().map(|s| delegated_for(*s)))
            .collect(),
    }
}

/// Which resource a service's tokens are for.
pub fn resource_of(service: Service) -> Resource {
    match service {
        Service::Imap | Service::Pop | Service::Smtp => Resource::Outlook,
        Service::GraphRead | Service::GraphSend => Resource::Graph,
    }
}

/// The resources an account needs tokens for, Outlook first.
pub fn resources(services: &BTreeSet<Service>) -> Vec<Resource> {
    let set: BTreeSet<Resource> = services.iter().map(|s| resource_of(*s)).collect();
    set.into_iter().collect()
}

/// The OIDC scopes requested with every delegated token.
pub const OIDC_SCOPES: [&str; 4] = ["offline_access", "openid", "profile", "email"];

/// The scopes of ONE token request for `resource` (Microsoft issues a token for one resource at a time; mixing
/// Outlook and Graph scopes in a token request fails with AADSTS28000).
pub fn token_scopes(
    endpoints: &Endpoints,
    services: &BTreeSet<Service>,
    flow: Flow,
    resource: Resource,
) -> Vec<String> {
    let base = match resource {
        Resource::Outlook if flow == Flow::ClientCredentials => endpoints.outlook_app_resource.as_str(),
        Resource::Outlook => endpoints.outlook_resource.as_str(),
        Resource::Graph => endpoints.graph_resource.as_str(),
    };
    if flow == Flow::ClientCredentials {
        return vec![format!("{base}/.default")];
    }
    let mut scopes: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
    for service in services.iter().filter(|s| resource_of(**s) == resource) {
        scopes.push(format!("{base}/{}", delegated_for(*service).name));
    }
    if resource == Resource::Graph {
        scopes.push(format!("{base}/User.Read"));
    }
    scopes
}

/// The scopes to ask consent for at the authorize endpoint: every resource at once, so one sign-in consents to
/// all of them (allowed at /authorize, unlike at /token).
pub fn consent_scopes(endpoints: &Endpoints, services: &BTreeSet<Service>) -> Vec<String> {
    let mut all: Vec<String> = Vec::new();
    for resource in resources(services) {
        for scope in token_scopes(endpoints, services, Flow::AuthCode, resource) {
            if !all.contains(&scope) {
                all.push(scope);
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cloud;

    fn set(services: &[Service]) -> BTreeSet<Service> {
        services.iter().copied().collect()
    }

    #[test]
    fn delegated_mail_needs_sign_in_scopes_plus_one_per_service() {
        let names: Vec<&str> = required(&set(&[Service::Imap, Service::Smtp]), Flow::AuthCode)
            .iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(
            names,
            [
                "offline_access",
                "openid",
                "profile",
                "email",
                "User.Read",
                "IMAP.AccessAsUser.All",
                "SMTP.Send"
            ]
        );
    }

    #[test]
    fn app_only_uses_exchange_application_roles_that_need_admin_consent() {
        let perms = required(
            &set(&[Service::Imap, Service::Pop, Service::Smtp]),
            Flow::ClientCredentials,
        );
        let names: Vec<&str> = perms.iter().map(|p| p.name).collect();
        assert_eq!(names, ["IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"]);
        assert!(perms
            .iter()
            .all(|p| p.admin_consent_required && p.api == "Office 365 Exchange Online"));
    }

    #[test]
    fn token_requests_never_mix_resources() {
        let e = Endpoints::for_cloud(&Cloud::Global);
        let services = set(&[Service::Imap, Service::GraphSend]);
        let outlook = token_scopes(&e, &services, Flow::AuthCode, Resource::Outlook);
        assert!(outlook.contains(&"https://outlook.office.com/IMAP.AccessAsUser.All".to_owned()));
        assert!(!outlook.iter().any(|s| s.contains("graph.microsoft.com")));
        let graph = token_scopes(&e, &services, Flow::AuthCode, Resource::Graph);
        assert!(graph.contains(&"https://graph.microsoft.com/Mail.Send".to_owned()));
        assert!(!graph.iter().any(|s| s.contains("outlook")));
        let consent = consent_scopes(&e, &services);
        assert!(consent.iter().any(|s| s.contains("outlook")) && consent.iter().any(|s| s.contains("graph")));
        assert_eq!(
            token_scopes(&e, &services, Flow::ClientCredentials, Resource::Outlook),
            ["https://outlook.office365.com/.default"]
        );
    }
}
