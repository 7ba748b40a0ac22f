//! The pages the catalogue points to, named once.

use super::Link;

/// A link as catalogue data: `(label, url)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct L(pub &'static str, pub &'static str);

impl L {
    pub(crate) fn to_link(self) -> Link {
        Link {
            label: self.0.to_owned(),
            url: self.1.to_owned(),
        }
    }
}

pub(crate) const ENTRA: L = L("Microsoft Entra admin center", "https://entra.microsoft.com");
pub(crate) const APP_REGISTRATIONS: L = L(
    "Entra admin center › App registrations",
    "https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade",
);
pub(crate) const ENTERPRISE_APPS: L = L(
    "Entra admin center › Enterprise applications",
    "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview",
);
pub(crate) const SIGN_IN_LOGS: L = L(
    "Entra admin center › Sign-in logs",
    "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/SignInLogsList.ReactView",
);
pub(crate) const MY_APPS: L = L("My Apps (work or school account)", "https://myapps.microsoft.com");
pub(crate) const MY_ACCOUNT: L = L(
    "My Account (work or school account)",
    "https://myaccount.microsoft.com",
);
pub(crate) const SECURITY_INFO: L = L(
    "Set up your security info (sign-in verification)",
    "https://aka.ms/mfasetup",
);
pub(crate) const PASSWORD_RESET_WORK: L = L(
    "Reset a work or school password",
    "https://passwordreset.microsoftonline.com",
);
pub(crate) const PASSWORD_RESET_PERSONAL: L = L(
    "Reset a personal Microsoft account password",
    "https://account.live.com/password/reset",
);
pub(crate) const PERSONAL_CONSENT: L = L(
    "Apps that can use your personal Microsoft account",
    "https://account.live.com/consent/Manage",
);
pub(crate) const COMPANY_PORTAL: L = L(
    "Company Portal (register a device with your organisation)",
    "https://portal.manage.microsoft.com",
);
pub(crate) const DEVICE_LOGIN: L = L(
    "Microsoft's device sign-in page",
    "https://microsoft.com/devicelogin",
);
pub(crate) const SERVICE_STATUS: L = L("Microsoft 365 service status", "https://status.cloud.microsoft");
pub(crate) const SMTP_AUTH_DISABLED: L = L(
    "Microsoft: authenticated SMTP is turned off",
    "https://aka.ms/smtp_auth_disabled",
);
pub(crate) const EXCHANGE_ADMIN: L = L("Exchange admin center", "https://admin.exchange.microsoft.com");
pub(crate) const ACTIVE_USERS: L = L(
    "Microsoft 365 admin center › Users › Active users",
    "https://admin.microsoft.com/#/users",
);
pub(crate) const EXO_POWERSHELL: L = L(
    "Connect to Exchange Online PowerShell",
    "https://learn.microsoft.com/powershell/exchange/connect-to-exchange-online-powershell",
);
pub(crate) const EXO_OAUTH: L = L(
    "Microsoft: OAuth for IMAP, POP and SMTP (includes the app-only setup)",
    "https://learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth",
);
pub(crate) const OUTLOOK_COM_SETTINGS: L = L(
    "Outlook.com › Settings › Mail › Forwarding and IMAP",
    "https://outlook.live.com/mail/0/options/mail/forwarding",
);
pub(crate) const OUTLOOK_COM_HELP: L = L(
    "Microsoft support: POP, IMAP and SMTP settings for Outlook.com",
    "https://support.microsoft.com/office/8361e398-8af4-4e97-b147-6c6c4ac95353",
);
pub(crate) const RESTRICTED_ENTITIES: L = L(
    "Microsoft Defender portal › Restricted entities",
    "https://security.microsoft.com/restrictedentities",
);
pub(crate) const GRAPH_THROTTLING: L = L(
    "Microsoft Graph: throttling limits",
    "https://learn.microsoft.com/graph/throttling",
);
pub(crate) const LOGIN: L = L("Microsoft's sign-in page", "https://login.microsoftonline.com");

/// Microsoft's own page for one AADSTS code.
pub(crate) fn aadsts_lookup(code: u32) -> Link {
    Link {
        label: format!("Microsoft's page for AADSTS{code}"),
        url: format!("https://login.microsoftonline.com/error?code={code}"),
    }
}
