//! What the set-up wizard (and `mailgrant` scripts) need beyond the sign-in itself: checks of what the user
//! pastes from the Entra admin center, the admin-consent URL, and the Exchange Online PowerShell an admin runs
//! for app-only access.

use std::collections::BTreeSet;

use serde::Serialize;

use super::endpoints::Endpoints;
use crate::model::{ClientId, Guid, Service, Tenant};

/// The verdict on one pasted value: `Ok` with the normalised value, or a plain-language problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "verdict")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum FieldCheck {
    Ok {
        value: String,
    },
    /// Usable, but probably not what the user meant.
    Warning {
        value: String,
        message: String,
    },
    Problem {
        message: String,
    },
}

impl FieldCheck {
    pub fn is_usable(&self) -> bool {
        !matches!(self, FieldCheck::Problem { .. })
    }
}

fn problem(message: &str) -> FieldCheck {
    FieldCheck::Problem {
        message: message.to_owned(),
    }
}

/// The Application (client) ID from the app's Overview page.
pub fn check_client_id(text: &str) -> FieldCheck {
    let t = text.trim();
    if t.is_empty() {
        return problem("Paste the Application (client) ID from the app's Overview page.");
    }
    if t.contains('~') {
        return problem(
            "This looks like a client secret, not the Application (client) ID. The ID is on the app's Overview \
             page and looks like 00000000-0000-0000-0000-000000000000.",
        );
    }
    match t.parse::<ClientId>() {
        Ok(id) => FieldCheck::Ok {
            value: id.as_str().to_owned(),
        },
        Err(_) => problem(
            "An Application (client) ID is 32 letters and digits in groups of 8-4-4-4-12, like \
             00000000-0000-0000-0000-000000000000. Copy it with the copy button next to it on the Overview page.",
        ),
    }
}

/// The Directory (tenant) ID, a domain, `common`, `organizations` or `consumers` — or an endpoint URL the user
/// copied from the Endpoints panel, from which the tenant is taken.
pub fn check_tenant(text: &str) -> FieldCheck {
    let t = text.trim();
    if t.is_empty() {
        return problem(
            "Paste the Directory (tenant) ID from the app's Overview page, or your organisation's domain.",
        );
    }
    let candidate = tenant_from_url(t).unwrap_or(t);
    match candidate.parse::<Tenant>() {
        Ok(tenant) => {
            let value = tenant.to_string();
            if candidate != t {
                FieldCheck::Warning {
                    value: value.clone(),
                    message: format!("That is an endpoint address; Mailgrant took the tenant from it: {value}."),
                }
            } else {
                FieldCheck::Ok { value }
            }
        }
        Err(_) => problem(
            "A tenant is the Directory (tenant) ID (like 00000000-0000-0000-0000-000000000000), your \
             organisation's domain (like contoso.com or contoso.onmicrosoft.com), or \"organizations\" for any \
             work or school account.",
        ),
    }
}

/// `https://login.microsoftonline.com/{tenant}/…` → `{tenant}`.
fn tenant_from_url(text: &str) -> Option<&str> {
    let rest = text.strip_prefix("https://")?;
    let mut parts = rest.split('/');
    let host = parts.next()?;
    if !host.starts_with("login.") {
        return None;
    }
    parts.next().filter(|t| !t.is_empty())
}

/// A client secret's Value. Entra shows two columns when a secret is created; the "Secret ID" is a GUID and is
/// useless as a secret (Microsoft answers AADSTS7000215).
pub fn check_client_secret(text: &str) -> FieldCheck {
    let t = text.trim();
    if t.is_empty() {
        return problem("Paste the secret's Value (the Value column, shown only right after you create it).");
    }
    if t.parse::<Guid>().is_ok() {
        return FieldCheck::Warning {
            value: t.to_owned(),
            message: "This looks like the Secret ID, not the secret's Value. In Certificates & secrets, copy the \
                      Value column. If the Value is hidden now, create a new secret and copy its Value right away."
                .to_owned(),
        };
    }
    if t.contains(char::is_whitespace) {
        return problem("A secret's Value has no spaces: copy it again with the copy button next to it.");
    }
    if t.len() < 16 {
        return FieldCheck::Warning {
            value: t.to_owned(),
            message:
                "This is shorter than the secrets Entra creates (40 characters): check that all of it was \
                      copied."
                    .to_owned(),
        };
    }
    FieldCheck::Ok { value: t.to_owned() }
}

/// The URL an admin opens to grant consent for the whole organisation (v2 endpoint, with the permissions).
pub fn admin_consent_url(
    endpoints: &Endpoints,
    tenant: &Tenant,
    client_id: &ClientId,
    redirect_uri: &str,
    scopes: &[String],
    state: &str,
) -> String {
    let mut url = url::Url::parse(&endpoints.admin_consent_url(tenant))
        .unwrap_or_else(|_| url::Url::parse("https://login.microsoftonline.com/").expect("static URL"));
    url.query_pairs_mut()
        .append_pair("client_id", client_id.as_str())
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .append_pair("scope", &scopes.join(" "));
    url.to_string()
}

/// The values the Exchange Online PowerShell for app-only access needs.
#[derive(Debug, Clone)]
pub struct AppOnlyMailbox<'a> {
    pub tenant: &'a Tenant,
    pub client_id: &'a ClientId,
    /// The Enterprise application's Object ID (NOT the app registration's), when known.
    pub enterprise_object_id: Option<&'a str>,
    pub display_name: &'a str,
    /// The mailboxes the app may open.
    pub mailboxes: &'a [String],
    pub services: &'a BTreeSet<Service>,
}

/// The commands an Exchange admin runs so that an app-only token opens the mailboxes (IMAP/POP/SMTP), with the
/// ids filled in; placeholders in `<…>` where Mailgrant cannot know a value.
pub fn exchange_powershell(input: &AppOnlyMailbox<'_>) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let object_id = input
        .enterprise_object_id
        .unwrap_or("<Object ID from Entra admin center › Enterprise applications › the app>");
    let mut lines = vec![
        "# Run in PowerShell as an Exchange administrator.".to_owned(),
        "Install-Module -Name ExchangeOnlineManagement -Scope CurrentUser   # once per computer".to_owned(),
        format!(
            "Connect-ExchangeOnline -Organization {}",
            quote(&input.tenant.to_string())
        ),
        "# The Object ID is the Enterprise application's, NOT the App registration's.".to_owned(),
        format!(
            "New-ServicePrincipal -AppId {} -ObjectId {} -DisplayName {}",
            quote(input.client_id.as_str()),
            quote(object_id),
            quote(input.display_name)
        ),
    ];
    let mail = input
        .services
        .iter()
        .any(|s| matches!(s, Service::Imap | Service::Pop | Service::Smtp));
    for mailbox in input.mailboxes.iter().filter(|_| mail) {
        lines.push(format!(
            "Add-MailboxPermission -Identity {} -User {} -AccessRights FullAccess",
            quote(mailbox),
            quote(object_id)
        ));
        if input.services.contains(&Service::Smtp) {
            lines.push(format!(
                "Add-RecipientPermission -Identity {} -Trustee {} -AccessRights SendAs -Confirm:$false",
                quote(mailbox),
                quote(object_id)
            ));
        }
    }
    lines.push("Get-ServicePrincipal | Format-List DisplayName,AppId,ObjectId   # check".to_owned());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Cloud;

    #[test]
    fn client_ids_are_checked_and_normalised() {
        assert_eq!(
            check_client_id(" 6731DE76-14A6-49AE-97BC-6EBA6914391E "),
            FieldCheck::Ok {
                value: "6731de76-14a6-49ae-97bc-6eba6914391e".into()
            }
        );
        assert!(!check_client_id("").is_usable());
        assert!(!check_client_id("6731de76-14a6").is_usable());
        let FieldCheck::Problem { message } = check_client_id(&format!("Xk58Q~{}", "a".repeat(36))) else {
            panic!("a secret is not a client id");
        };
        assert!(message.contains("client secret"));
    }

    #[test]
    fn tenants_accept_ids_domains_aliases_and_endpoint_urls() {
        assert!(matches!(
            check_tenant("contoso.onmicrosoft.com"),
            FieldCheck::Ok { .. }
        ));
        assert!(matches!(check_tenant("organizations"), FieldCheck::Ok { .. }));
        let FieldCheck::Warning { value, .. } = check_tenant(
            "https://login.microsoftonline.com/3f8a2c1e-5b7d-4e9f-a1c3-6d2e8b4f0a17/oauth2/v2.0/token",
        ) else {
            panic!("an endpoint URL gives its tenant, with a note");
        };
        assert_eq!(value, "3f8a2c1e-5b7d-4e9f-a1c3-6d2e8b4f0a17");
        assert!(!check_tenant("not a tenant").is_usable());
        assert!(!check_tenant("").is_usable());
    }

    #[test]
    fn a_secret_id_pasted_as_the_secret_is_flagged() {
        let FieldCheck::Warning { message, .. } = check_client_secret("0a7f6e3b-1c2d-4e5f-9a8b-7c6d5e4f3a2b")
        else {
            panic!("a GUID is the Secret ID");
        };
        assert!(message.contains("Secret ID"));
        assert!(matches!(
            check_client_secret(&format!("Xk58Q~{}", "b".repeat(34))),
            FieldCheck::Ok { .. }
        ));
        assert!(!check_client_secret("has a space in it").is_usable());
        assert!(matches!(
            check_client_secret("short~one"),
            FieldCheck::Warning { .. }
        ));
    }

    #[test]
    fn the_admin_consent_url_carries_client_redirect_state_and_scopes() {
        let e = Endpoints::for_cloud(&Cloud::Global);
        let url = admin_consent_url(
            &e,
            &"contoso.com".parse().unwrap(),
            &"6731de76-14a6-49ae-97bc-6eba6914391e".parse().unwrap(),
            "http://localhost",
            &["https://outlook.office365.com/.default".into()],
            "s1",
        );
        assert!(url.starts_with("https://login.microsoftonline.com/contoso.com/v2.0/adminconsent?"));
        assert!(url.contains("client_id=6731de76-14a6-49ae-97bc-6eba6914391e"));
        assert!(url.contains("redirect_uri=http%3A%2F%2Flocalhost"));
        assert!(url.contains("scope=https%3A%2F%2Foutlook.office365.com%2F.default"));
        assert!(url.contains("state=s1"));
    }

    #[test]
    fn powershell_fills_in_the_ids_and_grants_each_mailbox() {
        let services: BTreeSet<Service> = [Service::Imap, Service::Smtp].into_iter().collect();
        let mailboxes = vec!["sales@contoso.com".to_owned(), "o'brien@contoso.com".to_owned()];
        let script = exchange_powershell(&AppOnlyMailbox {
            tenant: &"contoso.com".parse().unwrap(),
            client_id: &"6731de76-14a6-49ae-97bc-6eba6914391e".parse().unwrap(),
            enterprise_object_id: Some("11111111-2222-3333-4444-555555555555"),
            display_name: "Mailgrant",
            mailboxes: &mailboxes,
            services: &services,
        });
        assert!(script.contains("Connect-ExchangeOnline -Organization 'contoso.com'"));
        assert!(script.contains(
            "New-ServicePrincipal -AppId '6731de76-14a6-49ae-97bc-6eba6914391e' -ObjectId \
             '11111111-2222-3333-4444-555555555555'"
        ));
        assert!(script.contains("Add-MailboxPermission -Identity 'sales@contoso.com'"));
        assert!(
            script.contains("-Identity 'o''brien@contoso.com'"),
            "quotes are escaped"
        );
        assert_eq!(
            script.matches("Add-RecipientPermission").count(),
            2,
            "SMTP sends as each mailbox"
        );
    }
}
