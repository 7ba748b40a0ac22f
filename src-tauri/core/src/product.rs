//! "Set up Microsoft 365 for another product": products that ask for a client ID, a tenant and a client secret of
//! their own (a Jira mail app, EmailEngine, a helpdesk, a WordPress SMTP plugin, a line-of-business service). What
//! each one needs registered (its redirect URI, whether a user signs in), and, once Mailgrant has proved the
//! registration works with the same client ID and secret, every value the product asks for.

use serde::Serialize;

use crate::handoff::{self, MailServer};
use crate::identity::endpoints::Endpoints;
use crate::identity::permissions;
use crate::model::{Account, AppRegistration, Flow, Service};

/// What one product needs from its app registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ProductPreset {
    /// Stable: `email-this-issue`, `emailengine`, `background-service`, `generic`.
    pub id: String,
    pub name: String,
    /// A user signs in through the product (delegated permissions, a "Web" redirect URI); false: the product
    /// runs as the app itself (application permissions, admin consent, no redirect URI).
    pub user_signs_in: bool,
    /// Where the product shows the redirect (callback) URI to register, in its own words; empty when none.
    pub redirect_uri_from: String,
    pub services: Vec<Service>,
    /// What else to know, in plain words.
    pub notes: Vec<String>,
}

/// The products Mailgrant knows, and "another product".
pub fn presets() -> Vec<ProductPreset> {
    let preset =
        |id: &str, name: &str, user: bool, from: &str, services: &[Service], notes: &[&str]| ProductPreset {
            id: id.to_owned(),
            name: name.to_owned(),
            user_signs_in: user,
            redirect_uri_from: from.to_owned(),
            services: services.to_vec(),
            notes: notes.iter().map(|n| (*n).to_owned()).collect(),
        };
    vec![
        preset(
            "email-this-issue",
            "Email This Issue (Jira)",
            true,
            "the Callback URL in the app's OAuth2 Client Credentials dialog (it is your Jira site's own: copy it \
             from there, another site's does not work)",
            &[Service::Imap, Service::Smtp],
            &["One registration can serve incoming and outgoing mail; a separate one per task works too."],
        ),
        preset(
            "emailengine",
            "EmailEngine",
            true,
            "EmailEngine's address followed by /oauth (an https:// address, or http://localhost — Microsoft \
             refuses http://127.0.0.1)",
            &[Service::Imap, Service::Smtp],
            &["In EmailEngine, the redirect URL must be exactly the one registered here."],
        ),
        preset(
            "background-service",
            "A background service (no user signs in)",
            false,
            "",
            &[Service::Imap, Service::Pop, Service::Smtp],
            &[
                "An admin grants consent for the organisation, and registers the app in Exchange Online \
                 (New-ServicePrincipal) with access to the mailboxes it may open (Add-MailboxPermission).",
            ],
        ),
        preset(
            "generic",
            "Another product",
            true,
            "the callback or redirect URL the product shows on its Microsoft 365 or OAuth2 settings page",
            &[Service::Imap, Service::Smtp],
            &[],
        ),
    ]
}

/// Every value a product asks for, for the account Mailgrant verified with the same registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct HandOver {
    pub product: String,
    /// "Application (client) ID".
    pub client_id: String,
    /// "Directory (tenant) ID" (or the domain the registration was given).
    pub tenant_id: String,
    /// The authority with the tenant: `https://login.microsoftonline.com/{tenant}`.
    pub authority: String,
    pub authorize_url: String,
    pub token_url: String,
    /// The scopes the product asks for: delegated ones with `offline_access`, or `…/.default` for the app itself.
    pub scopes: Vec<String>,
    /// The product's redirect URI, when it was given.
    pub redirect_uri: Option<String>,
    pub servers: Vec<MailServer>,
    pub user_name: String,
    /// The first characters of the client secret Mailgrant holds (its Value is handed over only when asked).
    pub secret_hint: Option<String>,
}

/// The values for `preset` (a [`presets`] id; unknown ids are the generic product) from the account Mailgrant
/// signed in with the product's registration.
pub fn hand_over(
    account: &Account,
    registration: &AppRegistration,
    preset: &str,
    redirect_uri: Option<&str>,
) -> HandOver {
    let endpoints = Endpoints::for_cloud(&registration.cloud);
    let tenant = &registration.tenant;
    let tenant_id = account
        .identity
        .as_ref()
        .and_then(|i| i.tenant_id.clone())
        .filter(|_| tenant.is_multi())
        .unwrap_or_else(|| tenant.to_string());
    let presets = presets();
    let product = presets
        .iter()
        .find(|p| p.id == preset)
        .or_else(|| presets.last())
        .map(|p| p.name.clone())
        .unwrap_or_default();
    let scopes = if account.flow == Flow::ClientCredentials {
        // The app itself: `.default` of each resource it uses (Exchange Online's app resource for mail).
        permissions::resources(&account.services)
            .into_iter()
            .flat_map(|resource| {
                permissions::token_scopes(&endpoints, &account.services, account.flow, resource)
            })
            .collect()
    } else {
        permissions::consent_scopes(&endpoints, &account.services)
    };
    let settings = handoff::mail_settings(account, registration);
    HandOver {
        product,
        client_id: registration.client_id.to_string(),
        authority: format!("{}/{tenant_id}", endpoints.authority),
        authorize_url: endpoints.authorize_url(tenant),
        token_url: endpoints.token_url(tenant),
        tenant_id,
        scopes,
        redirect_uri: redirect_uri.map(str::to_owned),
        servers: settings.servers,
        user_name: settings.user_name,
        secret_hint: registration
            .credentials
            .iter()
            .rev()
            .find(|c| c.kind == crate::model::CredentialKind::Secret)
            .and_then(|c| c.hint.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClientKind, Credential, CredentialKind};

    #[test]
    fn a_delegated_product_gets_its_urls_scopes_and_servers_and_never_the_secret_itself() {
        let mut registration = crate::model::examples::registration("reg");
        registration.name = "Jira mail".into();
        registration.client_kind = ClientKind::Confidential;
        registration.credentials = vec![Credential {
            kind: CredentialKind::Secret,
            key_id: "local-1".into(),
            label: None,
            hint: Some("Abc".into()),
            starts: None,
            expires: None,
        }];
        let account = crate::model::examples::account(
            "jira",
            "support@contoso.com",
            "reg",
            &[Service::Imap, Service::Smtp],
        );
        let h = hand_over(
            &account,
            &registration,
            "email-this-issue",
            Some("https://jira.example/cb"),
        );
        assert_eq!(h.product, "Email This Issue (Jira)");
        assert_eq!(h.authority, "https://login.microsoftonline.com/contoso.com");
        assert_eq!(
            h.token_url,
            "https://login.microsoftonline.com/contoso.com/oauth2/v2.0/token"
        );
        assert!(h.scopes.contains(&"offline_access".to_owned()));
        assert!(h.scopes.iter().any(|s| s.ends_with("/IMAP.AccessAsUser.All")));
        assert!(h.scopes.iter().any(|s| s.ends_with("/SMTP.Send")));
        assert_eq!(h.servers.len(), 2);
        assert_eq!(h.secret_hint.as_deref(), Some("Abc"));
        let json = serde_json::to_string(&h).unwrap();
        assert!(!json.contains("secretValue"), "{json}");
        assert_eq!(
            hand_over(&account, &registration, "nope", None).product,
            "Another product"
        );
        assert_eq!(presets().iter().filter(|p| !p.user_signs_in).count(), 1);
    }
}
