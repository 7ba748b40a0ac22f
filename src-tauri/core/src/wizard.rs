//! The "Connect a mailbox" wizard's knowledge: from the user's answers (what the mailbox should do, whose
//! accounts, which cloud) to the exact Entra steps (platform, redirect URI, permissions, public client flows,
//! the admin-consent link, the Exchange PowerShell) and, once the ids are pasted, to the account to add.
//! No I/O here: the shell calls it, and [`crate::connect`] does the rest.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::connect::NewAccount;
use crate::identity::endpoints::Endpoints;
use crate::identity::permissions::{self, PermissionKind};
use crate::identity::setup::{self, AppOnlyMailbox, FieldCheck};
use crate::model::{ClientId, Cloud, Flow, HostPort, RedirectMode, Service, Tenant};

/// Whose accounts may sign in: Entra's "Supported account types".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "AccountAudience"))]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    /// Accounts in this organizational directory only (single tenant).
    MyOrganisation,
    /// Accounts in any organizational directory (multitenant).
    AnyOrganisation,
    /// Any organizational directory and personal Microsoft accounts.
    AnyOrganisationAndPersonal,
    /// Personal Microsoft accounts only.
    Personal,
}

impl Audience {
    /// The option to pick in Entra, word for word.
    pub fn entra_label(self) -> &'static str {
        match self {
            Audience::MyOrganisation => "Accounts in this organizational directory only (Single tenant)",
            Audience::AnyOrganisation => "Accounts in any organizational directory (Any Microsoft Entra ID tenant - Multitenant)",
            Audience::AnyOrganisationAndPersonal => {
                "Accounts in any organizational directory (Any Microsoft Entra ID tenant - Multitenant) and personal Microsoft accounts (e.g. Skype, Xbox)"
            }
            Audience::Personal => "Personal Microsoft accounts only",
        }
    }

    /// The tenant value to sign in with, when the audience fixes it (`None`: the user's own tenant).
    pub fn tenant(self) -> Option<Tenant> {
        match self {
            Audience::MyOrganisation => None,
            Audience::AnyOrganisation => Some(Tenant::Organizations),
            Audience::AnyOrganisationAndPersonal => Some(Tenant::Common),
            Audience::Personal => Some(Tenant::Consumers),
        }
    }
}

/// The answers so far. Non-secret: the UI keeps it to resume after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct WizardDraft {
    /// What scripts call the account (`mailgrant token NAME`).
    pub name: String,
    pub address: String,
    pub services: Vec<Service>,
    /// Runs unattended as a background service (client credentials, no user).
    pub app_only: bool,
    /// A delegated app registered as "Web" with a client secret (organisations that require confidential
    /// clients). App-only always has a secret.
    pub with_secret: bool,
    pub audience: Audience,
    pub cloud: Cloud,
    /// `auth-code` or `device-code` (ignored when `app_only`).
    pub flow: Flow,
    pub redirect: RedirectMode,
    /// The Directory (tenant) ID or domain (single-tenant and app-only apps).
    pub tenant: String,
    pub client_id: String,
    pub shared_mailbox: Option<String>,
    /// App-only: the Object ID of the app's Enterprise application (not the App registration's), which the
    /// Exchange Online PowerShell names; empty until the user pastes it.
    #[serde(default)]
    pub enterprise_object_id: String,
}

impl WizardDraft {
    pub fn flow(&self) -> Flow {
        if self.app_only {
            Flow::ClientCredentials
        } else {
            self.flow
        }
    }

    /// Confidential apps have a secret: app-only always; a delegated app only when it is registered as "Web".
    pub fn confidential(&self) -> bool {
        self.app_only || self.with_secret
    }

    pub fn services(&self) -> BTreeSet<Service> {
        self.services.iter().copied().collect()
    }

    /// The tenant to sign in with: the audience's, or the one the user gave.
    pub fn tenant_value(&self) -> Result<Tenant, String> {
        match (self.app_only, self.audience.tenant()) {
            (false, Some(tenant)) => Ok(tenant),
            _ => match setup::check_tenant(&self.tenant) {
                FieldCheck::Ok { value } | FieldCheck::Warning { value, .. } => {
                    value.parse().map_err(|e: crate::model::ParseError| e.to_string())
                }
                FieldCheck::Problem { message } => Err(message),
            },
        }
    }
}

/// One permission to add under "API permissions".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct GuidePermission {
    /// "Microsoft Graph" or "Office 365 Exchange Online" (under "APIs my organization uses").
    pub api: String,
    pub name: String,
    /// "Delegated permissions" or "Application permissions".
    pub kind: String,
    pub admin_consent_required: bool,
    pub plain: String,
}

/// Everything the user does in Entra for these answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct SetupGuide {
    /// The Entra admin center of the cloud.
    pub portal_url: String,
    /// Its "New registration" page.
    pub new_registration_url: String,
    /// Its "App registrations" list.
    pub app_registrations_url: String,
    /// The "Supported account types" option to pick.
    pub account_type: String,
    /// The platform to select under "Redirect URI" on the New registration page, as the portal words it:
    /// "Public client/native (mobile & desktop)", or "Web" for a confidential app; `None` for app-only.
    pub platform: Option<String>,
    pub redirect_uri: Option<String>,
    pub permissions: Vec<GuidePermission>,
    /// Some permission needs an admin's consent.
    pub admin_consent_needed: bool,
    /// Authentication › "Allow public client flows" must be Yes (device code).
    pub allow_public_client_flows: bool,
    /// A client secret must be made (Certificates & secrets › New client secret).
    pub needs_secret: bool,
    /// Filled in once the client id and tenant are known.
    pub admin_consent_url: Option<String>,
    /// App-only with IMAP/POP/SMTP: what an Exchange admin runs, complete (once the client id, the tenant and the
    /// Enterprise application's Object ID are known; never with a placeholder).
    pub exchange_powershell: Option<String>,
    /// App-only with IMAP/POP/SMTP: the Exchange PowerShell needs the Enterprise application's Object ID.
    pub needs_enterprise_object_id: bool,
    /// What is wrong with the Object ID as typed (`None`: nothing, or nothing typed yet).
    pub enterprise_object_id_problem: Option<String>,
    /// For the IT admin: "please approve it / enable it" (consent, licence, IMAP/SMTP AUTH, the commands), leading
    /// with the problem.
    pub admin_message: String,
    /// For the IT admin when the user may not register apps: "please register it for me", leading with the
    /// problem, with every value of the registration.
    pub register_message: String,
}

/// Where the Enterprise application's Object ID is, in the portal's words.
const OBJECT_ID_WHERE: &str = "Entra admin center › Enterprise applications › the app › Overview › Object ID";

/// The Enterprise application's Object ID as typed: `Ok(None)` while empty, the GUID, or what is wrong with it.
fn enterprise_object_id(draft: &WizardDraft) -> Result<Option<String>, String> {
    let text = draft.enterprise_object_id.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let id = uuid::Uuid::parse_str(text)
        .map_err(|_| format!("An Object ID is a GUID like 1b4f…-…-…: copy it from {OBJECT_ID_WHERE}."))?
        .hyphenated()
        .to_string();
    if id == draft.client_id.trim().to_lowercase() {
        return Err(format!(
            "This is the Application (client) ID. The Object ID is another GUID, on {OBJECT_ID_WHERE}."
        ));
    }
    Ok(Some(id))
}

fn kind_label(kind: PermissionKind) -> &'static str {
    match kind {
        PermissionKind::Delegated => "Delegated permissions",
        PermissionKind::Application => "Application permissions",
    }
}

/// The Entra steps for `draft`.
pub fn guide(draft: &WizardDraft) -> SetupGuide {
    let endpoints = Endpoints::for_cloud(&draft.cloud);
    let flow = draft.flow();
    let services = draft.services();
    let permissions: Vec<GuidePermission> = permissions::required(&services, flow)
        .into_iter()
        .map(|p| GuidePermission {
            api: p.api.to_owned(),
            name: p.name.to_owned(),
            kind: kind_label(p.kind).to_owned(),
            admin_consent_required: p.admin_consent_required,
            plain: p.plain.to_owned(),
        })
        .collect();
    let admin_consent_needed = permissions.iter().any(|p| p.admin_consent_required);
    let (platform, redirect_uri) = if draft.app_only {
        (None, None)
    } else if draft.confidential() {
        (
            Some("Web".to_owned()),
            Some(endpoints.redirect_uri_to_register(RedirectMode::Loopback)),
        )
    } else {
        (
            Some("Public client/native (mobile & desktop)".to_owned()),
            Some(endpoints.redirect_uri_to_register(draft.redirect)),
        )
    };
    let client_id: Option<ClientId> = draft.client_id.trim().parse().ok();
    let tenant = draft.tenant_value().ok();
    let consent_tenant = tenant.clone().filter(|t| !t.is_multi());
    let admin_consent_url = match (&client_id, &consent_tenant) {
        (Some(id), Some(tenant)) => {
            let scopes = if draft.app_only {
                vec![format!("{}/.default", endpoints.graph_resource)]
            } else {
                permissions::consent_scopes(&endpoints, &services)
            };
            Some(setup::admin_consent_url(
                &endpoints,
                tenant,
                id,
                redirect_uri
                    .as_deref()
                    .unwrap_or("https://login.microsoftonline.com/common/oauth2/nativeclient"),
                &scopes,
                "mailgrant-admin-consent",
            ))
        }
        _ => None,
    };
    let mail = services
        .iter()
        .any(|s| matches!(s, Service::Imap | Service::Pop | Service::Smtp));
    // Complete once the client id, the tenant and the Enterprise application's Object ID are known (the commands
    // name them); the IT admin's message has the commands with a pointer to the Object ID until then.
    let needs_enterprise_object_id = draft.app_only && mail;
    let object_id = enterprise_object_id(draft);
    let app_only_commands = |object_id: Option<&str>| match (&client_id, &consent_tenant) {
        (Some(id), Some(tenant)) if needs_enterprise_object_id => {
            let mailboxes = vec![draft
                .shared_mailbox
                .clone()
                .filter(|s| !s.trim().is_empty())
                .unwrap_or_else(|| draft.address.clone())];
            Some(setup::exchange_powershell(&AppOnlyMailbox {
                tenant,
                client_id: id,
                enterprise_object_id: object_id,
                display_name: "Mailgrant",
                mailboxes: &mailboxes,
                services: &services,
            }))
        }
        _ => None,
    };
    let exchange_powershell = match &object_id {
        Ok(Some(object_id)) => app_only_commands(Some(object_id)),
        _ => None,
    };
    let admin_commands = exchange_powershell.clone().or_else(|| app_only_commands(None));
    let smtp_mailbox = (!draft.app_only && services.contains(&Service::Smtp)).then(|| {
        format!(
            "Set-CASMailbox -Identity '{}' -SmtpClientAuthenticationDisabled $false",
            draft.address.replace('\'', "''")
        )
    });
    let admin_message = admin_message(
        draft,
        &permissions,
        admin_consent_url.as_deref(),
        admin_commands.as_deref().or(smtp_mailbox.as_deref()),
    );
    let account_type = draft.audience.entra_label().to_owned();
    let register_message = register_message(
        draft,
        &account_type,
        platform.as_deref().zip(redirect_uri.as_deref()),
        &permissions,
        draft.confidential(),
    );
    SetupGuide {
        new_registration_url: format!(
            "{}/#view/Microsoft_AAD_RegisteredApps/CreateApplicationBlade/quickStartType~/null/isMSAApp~/false",
            endpoints.portal
        ),
        app_registrations_url: format!(
            "{}/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
            endpoints.portal
        ),
        portal_url: endpoints.portal.clone(),
        account_type,
        platform,
        redirect_uri,
        permissions,
        admin_consent_needed,
        allow_public_client_flows: !draft.app_only && draft.flow == Flow::DeviceCode,
        needs_secret: draft.confidential(),
        admin_consent_url,
        exchange_powershell,
        needs_enterprise_object_id,
        enterprise_object_id_problem: object_id.err().filter(|_| needs_enterprise_object_id),
        admin_message,
        register_message,
    }
}

/// What the mailbox is for, in a few words ("read mail over IMAP and send over SMTP").
fn uses(services: &BTreeSet<Service>) -> String {
    let words: Vec<&str> = services
        .iter()
        .map(|s| match s {
            Service::Imap => "read mail over IMAP",
            Service::Pop => "read mail over POP",
            Service::Smtp => "send mail over SMTP",
            Service::GraphRead => "read mail through Microsoft Graph",
            Service::GraphSend => "send mail through Microsoft Graph",
        })
        .collect();
    match words.as_slice() {
        [] => "open the mailbox".to_owned(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "please approve it / enable it": the problem first, then each thing only an admin can do.
fn admin_message(
    draft: &WizardDraft,
    permissions: &[GuidePermission],
    consent_url: Option<&str>,
    powershell: Option<&str>,
) -> String {
    let address = draft.address.trim();
    let services = draft.services();
    let mut text = format!(
        "Hello,\n\nThe mailbox {address} can't {} yet: Microsoft 365 turned off passwords for mail programs, and the \
         sign-in that replaces them (OAuth2, through Mailgrant) needs an administrator to approve or turn on a few \
         things. Could you please do these steps?\n\n",
        uses(&services)
    );
    let mut step = 1;
    if permissions.iter().any(|p| p.admin_consent_required) || draft.app_only {
        text.push_str(&format!(
            "{step}. Grant admin consent to the app{}, for these permissions:\n",
            if draft.client_id.trim().is_empty() {
                String::new()
            } else {
                format!(" (Application ID {})", draft.client_id.trim())
            }
        ));
        for p in permissions {
            text.push_str(&format!(
                "   - {} › {} ({}): {}\n",
                p.api,
                p.name,
                p.kind.to_lowercase(),
                p.plain
            ));
        }
        match consent_url {
            Some(url) => text.push_str(&format!("   One click does it: {url}\n")),
            None => text.push_str(
                "   In Entra admin center › App registrations › the app › API permissions › Grant admin consent for \
                 <your organisation>.\n",
            ),
        }
    } else {
        text.push_str(&format!(
            "{step}. Allow users to consent to these permissions for the app, or grant consent for the organisation:\n"
        ));
        for p in permissions {
            text.push_str(&format!("   - {} › {}: {}\n", p.api, p.name, p.plain));
        }
        if let Some(url) = consent_url {
            text.push_str(&format!("   Admin consent link: {url}\n"));
        }
    }
    step += 1;
    text.push_str(&format!(
        "{step}. Make sure {address} has an Exchange Online licence (Microsoft 365 admin center › Users › Active users \
         › Licenses and apps).\n"
    ));
    step += 1;
    let mail: Vec<&str> = services
        .iter()
        .filter_map(|s| match s {
            Service::Imap => Some("IMAP"),
            Service::Pop => Some("POP"),
            Service::Smtp => Some("Authenticated SMTP"),
            _ => None,
        })
        .collect();
    if !mail.is_empty() {
        text.push_str(&format!(
            "{step}. Turn on {} for the mailbox (Microsoft 365 admin center › Users › Active users › {address} › Mail › \
             Manage email apps). Security defaults turn Authenticated SMTP off for the whole organisation.\n",
            mail.join(", ")
        ));
        step += 1;
    }
    if let Some(commands) = powershell {
        let what = if draft.app_only {
            "Let the app open the mailbox (Exchange Online PowerShell):"
        } else {
            "Or in Exchange Online PowerShell, allow authenticated SMTP for the mailbox:"
        };
        text.push_str(&format!("{step}. {what}\n\n{commands}\n"));
    }
    text.push_str("\nThank you!\n");
    text
}

/// "please register it for me": the problem first, then every value of the app registration to create.
fn register_message(
    draft: &WizardDraft,
    account_type: &str,
    redirect: Option<(&str, &str)>,
    permissions: &[GuidePermission],
    secret: bool,
) -> String {
    let address = draft.address.trim();
    let mut text = format!(
        "Hello,\n\nThe mailbox {address} can't {} yet: Microsoft 365 turned off passwords for mail programs, and the \
         sign-in that replaces them (OAuth2, through Mailgrant) needs an app registration in our Microsoft Entra \
         directory. I may not create app registrations. Could you please create one for me?\n\n",
        uses(&draft.services())
    );
    text.push_str(&format!(
        "1. Entra admin center › App registrations › New registration. Name: Mailgrant ({address}).\n\
         2. Supported account types: {account_type}.\n"
    ));
    let mut step = 3;
    if let Some((platform, uri)) = redirect {
        text.push_str(&format!(
            "{step}. Redirect URI: platform \"{platform}\", {uri}. Then Register.\n"
        ));
    } else {
        text.push_str(&format!(
            "{step}. No redirect URI (the app signs in as itself). Register.\n"
        ));
    }
    step += 1;
    text.push_str(&format!("{step}. API permissions › Add a permission, and add:\n"));
    for p in permissions {
        text.push_str(&format!("   - {} › {} › {}\n", p.api, p.kind, p.name));
    }
    if permissions.iter().any(|p| p.admin_consent_required) {
        text.push_str("   Then Grant admin consent for <your organisation>.\n");
    }
    step += 1;
    if secret {
        text.push_str(&format!(
            "{step}. Certificates & secrets › New client secret. Please send me its Value (not the Secret ID) and \
             its expiry date, safely.\n"
        ));
        step += 1;
    }
    if draft.app_only {
        text.push_str(&format!(
            "{step}. Let the app open the mailbox in Exchange Online (New-ServicePrincipal and Add-MailboxPermission \
             with the Enterprise application's Object ID).\n"
        ));
        step += 1;
    }
    text.push_str(&format!(
        "{step}. Send me the Application (client) ID and the Directory (tenant) ID from the app's Overview page.\n\
         \nThank you!\n"
    ));
    text
}

/// The account to add from the finished answers; `secret` is the client secret's Value (app-only).
pub fn new_account(
    draft: &WizardDraft,
    secret: Option<(crate::SecretString, Option<time::OffsetDateTime>)>,
) -> Result<NewAccount, String> {
    let client_id = match setup::check_client_id(&draft.client_id) {
        FieldCheck::Ok { value } => value
            .parse()
            .map_err(|e: crate::model::ParseError| e.to_string())?,
        FieldCheck::Warning { message, .. } | FieldCheck::Problem { message } => return Err(message),
    };
    if draft.services.is_empty() {
        return Err("Choose what the mailbox should do first.".into());
    }
    if draft.confidential() && secret.is_none() {
        return Err("This app signs in with its client secret: paste the secret's Value.".into());
    }
    Ok(NewAccount {
        name: draft.name.trim().to_owned(),
        address: draft.address.trim().to_owned(),
        app_name: Some(format!("Mailgrant ({})", draft.address.trim())),
        client_id,
        tenant: draft.tenant_value()?,
        cloud: draft.cloud.clone(),
        flow: draft.flow(),
        redirect: if draft.confidential() {
            RedirectMode::Loopback
        } else {
            draft.redirect
        },
        services: draft.services(),
        shared_mailbox: draft.shared_mailbox.clone().filter(|s| !s.trim().is_empty()),
        imap: None,
        pop: None,
        smtp: None,
        secret,
        certificate: None,
    })
}

/// The Outlook resource a custom cloud's mail tokens are for when none is given.
pub const DEFAULT_OUTLOOK_RESOURCE: &str = "https://outlook.office.com";

/// A custom cloud's addresses as typed (in the wizard, or as the CLI's flags).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct CustomCloudFields {
    pub authority: String,
    pub graph: String,
    /// Optional: Graph's resource URI when it differs from its address.
    pub graph_resource: String,
    /// Optional: [`DEFAULT_OUTLOOK_RESOURCE`] when empty.
    pub outlook_resource: String,
    pub imap: String,
    pub pop: String,
    pub smtp: String,
}

/// What is wrong with a custom cloud's fields (by field name), and the cloud when nothing is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct CloudCheck {
    pub cloud: Option<Cloud>,
    pub problems: std::collections::BTreeMap<String, String>,
}

/// An https:// base address without a trailing slash. Secrets never go over plain http:// to another computer
/// (only an address on this computer, a local test bed, may use it).
pub fn check_base_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let whole = "Write the whole address, starting with https://.";
    let url = url::Url::parse(text).map_err(|_| whole.to_owned())?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(whole.to_owned());
    }
    if crate::diagnosis::transport::check_secure(text).is_err() {
        return Err(
            "Use an https:// address: client secrets and tokens would cross the network unencrypted \
                    (only an address on this computer may use http://)."
                .to_owned(),
        );
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// A mail server's `host:port` (IPv6 in brackets).
pub fn check_host_port(text: &str) -> Result<HostPort, String> {
    text.trim().parse::<HostPort>().map_err(|e| match e {
        crate::model::ParseError::Invalid { what: "a port", .. } => {
            "The port is a number from 1 to 65535.".to_owned()
        }
        _ => "Write it as host:port, e.g. outlook.office365.com:993.".to_owned(),
    })
}

/// Checks a custom cloud's fields: every problem by field, or the cloud.
pub fn check_custom_cloud(fields: &CustomCloudFields) -> CloudCheck {
    let mut problems = Problems::default();
    let authority = problems.required("authority", &fields.authority, "Required.", check_base_url);
    let graph = problems.required("graph", &fields.graph, "Required.", check_base_url);
    let graph_resource = problems.optional("graphResource", &fields.graph_resource, check_base_url);
    let outlook_resource = problems.optional("outlookResource", &fields.outlook_resource, check_base_url);
    let [imap, pop, smtp] = [
        ("imap", &fields.imap),
        ("pop", &fields.pop),
        ("smtp", &fields.smtp),
    ]
    .map(|(name, text)| problems.required(name, text, "Required: host:port.", check_host_port));
    let cloud = match (
        authority,
        graph,
        graph_resource,
        outlook_resource,
        imap,
        pop,
        smtp,
    ) {
        (
            Some(authority),
            Some(graph),
            Some(graph_resource),
            Some(outlook_resource),
            Some(imap),
            Some(pop),
            Some(smtp),
        ) => Some(Cloud::Custom(crate::model::CustomCloud {
            authority,
            graph,
            graph_resource,
            outlook_resource: outlook_resource.unwrap_or_else(|| DEFAULT_OUTLOOK_RESOURCE.to_owned()),
            imap,
            pop,
            smtp,
        })),
        _ => None,
    };
    CloudCheck {
        cloud,
        problems: problems.0,
    }
}

/// A form's problems, by field.
#[derive(Default)]
struct Problems(std::collections::BTreeMap<String, String>);

impl Problems {
    /// A field's value as `check` reads it, or its problem noted (`if_empty` when nothing was written).
    fn required<T>(
        &mut self,
        name: &str,
        text: &str,
        if_empty: &str,
        check: fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        if text.trim().is_empty() {
            self.0.insert(name.to_owned(), if_empty.to_owned());
            return None;
        }
        self.checked(name, check(text))
    }

    /// Like [`Problems::required`], but a field left empty is no value (`Some(None)`).
    fn optional<T>(
        &mut self,
        name: &str,
        text: &str,
        check: fn(&str) -> Result<T, String>,
    ) -> Option<Option<T>> {
        if text.trim().is_empty() {
            return Some(None);
        }
        self.checked(name, check(text)).map(Some)
    }

    fn checked<T>(&mut self, name: &str, result: Result<T, String>) -> Option<T> {
        result
            .map_err(|problem| self.0.insert(name.to_owned(), problem))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> WizardDraft {
        WizardDraft {
            name: "work".into(),
            address: "adele@contoso.com".into(),
            services: vec![Service::Imap, Service::Smtp],
            app_only: false,
            with_secret: false,
            audience: Audience::MyOrganisation,
            cloud: Cloud::Global,
            flow: Flow::AuthCode,
            redirect: RedirectMode::Loopback,
            tenant: "contoso.com".into(),
            client_id: "8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e".into(),
            shared_mailbox: None,
            enterprise_object_id: String::new(),
        }
    }

    #[test]
    fn a_desktop_app_registers_localhost_and_delegated_exchange_permissions() {
        let g = guide(&draft());
        assert_eq!(
            g.platform.as_deref(),
            Some("Public client/native (mobile & desktop)")
        );
        assert_eq!(g.redirect_uri.as_deref(), Some("http://localhost"));
        assert!(g
            .new_registration_url
            .starts_with("https://entra.microsoft.com/#view/"));
        let names: Vec<&str> = g.permissions.iter().map(|p| p.name.as_str()).collect();
        assert!(names.contains(&"IMAP.AccessAsUser.All"), "{names:?}");
        assert!(names.contains(&"SMTP.Send"), "{names:?}");
        assert!(!g.allow_public_client_flows);
        assert!(!g.needs_secret);
        assert!(g.exchange_powershell.is_none());
        let url = g.admin_consent_url.unwrap();
        assert!(
            url.starts_with("https://login.microsoftonline.com/contoso.com/v2.0/adminconsent?client_id=8c1b")
        );
        assert!(g
            .admin_message
            .contains("Set-CASMailbox -Identity 'adele@contoso.com'"));
        assert!(
            g.admin_message.starts_with("Hello,\n\nThe mailbox adele@contoso.com can't read mail over IMAP and send mail over SMTP yet"),
            "leads with the problem: {}",
            g.admin_message
        );
        assert!(g.admin_message.contains("Exchange Online licence"));
        assert!(g.register_message.contains("I may not create app registrations"));
        assert!(g
            .register_message
            .contains("platform \"Public client/native (mobile & desktop)\", http://localhost"));
        assert!(g
            .register_message
            .contains("Microsoft Graph › Delegated permissions › IMAP.AccessAsUser.All"));
    }

    #[test]
    fn device_code_needs_public_client_flows_and_multi_tenant_uses_organizations() {
        let mut d = draft();
        d.flow = Flow::DeviceCode;
        d.audience = Audience::AnyOrganisation;
        let g = guide(&d);
        assert!(g.allow_public_client_flows);
        assert_eq!(d.tenant_value().unwrap(), Tenant::Organizations);
        assert!(g.account_type.contains("Multitenant"));
        assert!(
            g.admin_consent_url.is_none(),
            "no admin consent link for a multi-tenant value"
        );
    }

    #[test]
    fn app_only_needs_a_secret_application_permissions_and_the_powershell() {
        let mut d = draft();
        d.app_only = true;
        let g = guide(&d);
        assert!(g.needs_secret);
        assert!(g.platform.is_none() && g.redirect_uri.is_none());
        assert!(g.permissions.iter().all(|p| p.kind == "Application permissions"));
        assert!(g.admin_consent_needed);
        assert!(g.needs_enterprise_object_id);
        assert_eq!(g.exchange_powershell, None, "no commands with a placeholder");
        assert!(g.admin_message.contains("New-ServicePrincipal"));
        d.enterprise_object_id = d.client_id.clone();
        let wrong = guide(&d).enterprise_object_id_problem.unwrap();
        assert!(wrong.contains("Application (client) ID"), "{wrong}");
        d.enterprise_object_id = "not a guid".into();
        assert!(guide(&d)
            .enterprise_object_id_problem
            .unwrap()
            .contains("Enterprise applications"));
        d.enterprise_object_id = " 1B4F2C3D-5E6F-4A7B-8C9D-0E1F2A3B4C5D ".into();
        let g = guide(&d);
        assert_eq!(g.enterprise_object_id_problem, None);
        let ps = g.exchange_powershell.unwrap();
        assert!(
            ps.contains("New-ServicePrincipal -AppId '8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e' -ObjectId '1b4f2c3d-5e6f-4a7b-8c9d-0e1f2a3b4c5d'"),
            "{ps}"
        );
        assert!(!ps.contains('<'), "complete: {ps}");
        assert!(ps.contains("Add-MailboxPermission -Identity 'adele@contoso.com' -User '1b4f2c3d-"));
        assert!(g.admin_message.contains(&ps));
        assert!(g
            .register_message
            .contains("Application permissions › IMAP.AccessAsApp"));
        assert!(new_account(&d, None).unwrap_err().contains("client secret"));
        assert!(d.confidential());
    }

    #[test]
    fn a_confidential_desktop_sign_in_is_a_web_app_with_a_secret() {
        let mut d = draft();
        d.with_secret = true;
        let g = guide(&d);
        assert_eq!(g.platform.as_deref(), Some("Web"));
        assert_eq!(g.redirect_uri.as_deref(), Some("http://localhost"));
        assert!(g.needs_secret);
        assert!(g.permissions.iter().all(|p| p.kind == "Delegated permissions"));
        assert_eq!(
            new_account(&d, None).unwrap_err(),
            "This app signs in with its client secret: paste the secret's Value."
        );
        let with = new_account(&d, Some((crate::SecretString::new("Xk58Q~x".into()), None))).unwrap();
        assert_eq!(with.redirect, RedirectMode::Loopback);
    }

    #[test]
    fn a_sovereign_cloud_gets_its_own_portal() {
        let mut d = draft();
        d.cloud = Cloud::UsGov;
        let g = guide(&d);
        assert!(g.portal_url.contains("microsoft.us"), "{}", g.portal_url);
        assert!(g
            .admin_consent_url
            .unwrap()
            .starts_with("https://login.microsoftonline.us/"));
    }

    #[test]
    fn the_new_account_follows_the_answers() {
        let account = new_account(&draft(), None).unwrap();
        assert_eq!(account.flow, Flow::AuthCode);
        assert_eq!(account.tenant.to_string(), "contoso.com");
        let mut bad = draft();
        bad.client_id = "Abc8Q~secret-looking".into();
        assert!(new_account(&bad, None).unwrap_err().contains("client secret"));
    }

    #[test]
    fn a_custom_cloud_is_built_from_its_fields_or_each_problem_is_named() {
        let fields = CustomCloudFields {
            authority: "https://login.example.net/".into(),
            graph: "https://graph.example.net".into(),
            imap: "imap.example.net:993".into(),
            pop: "pop.example.net:995".into(),
            smtp: "[::1]:587".into(),
            ..CustomCloudFields::default()
        };
        let checked = check_custom_cloud(&fields);
        assert!(checked.problems.is_empty(), "{:?}", checked.problems);
        let Some(Cloud::Custom(cloud)) = checked.cloud else {
            panic!("a custom cloud")
        };
        assert_eq!(cloud.authority, "https://login.example.net");
        assert_eq!(cloud.outlook_resource, DEFAULT_OUTLOOK_RESOURCE);
        assert_eq!(cloud.graph_resource, None);
        assert_eq!(cloud.smtp.host, "::1");

        let broken = CustomCloudFields {
            authority: String::new(),
            graph: "http://graph.example.net".into(),
            smtp: "smtp.example.net".into(),
            pop: "pop.example.net:0".into(),
            outlook_resource: "not a url".into(),
            ..fields
        };
        let checked = check_custom_cloud(&broken);
        assert_eq!(checked.cloud, None);
        assert_eq!(
            checked.problems.keys().map(String::as_str).collect::<Vec<_>>(),
            ["authority", "graph", "outlookResource", "pop", "smtp"]
        );
        assert_eq!(checked.problems["authority"], "Required.");
        assert!(
            checked.problems["graph"].contains("https://"),
            "plain http to another computer"
        );
        assert!(checked.problems["pop"].contains("1 to 65535"));
        assert!(
            check_base_url("http://127.0.0.1:8080/").is_ok(),
            "a local test bed may use http"
        );
    }
}
