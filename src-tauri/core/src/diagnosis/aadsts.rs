//! The AADSTS catalogue: what each identity-platform code means, who fixes it and how; and, for codes not in
//! it, a generic answer chosen by the OAuth `error` value.
//!
//! Meanings follow Microsoft's published error-code reference and recorded responses
//! (shared/reference/microsoft-identity.md §8); the wording is ours.

use super::links;
use super::{Diagnosis, Fixer, RawDetail, Text, CHECK_SERVICE_STATUS, WAIT_A_FEW_MINUTES};

/// One catalogued meaning, and the codes that have it (two checks can find the same mistake).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub codes: &'static [u32],
    pub text: Text,
}

const SIGN_IN_AGAIN: &str = "In Mailgrant, sign this account in again and finish the sign-in in the browser.";
const OPEN_APP: &str = "In the Microsoft Entra admin center open App registrations › your app.";
const OPEN_AUTHENTICATION: &str = "In the Microsoft Entra admin center open App registrations › your app › \
                                   Authentication.";
const OPEN_SECRETS: &str = "In the Microsoft Entra admin center open App registrations › your app › \
                            Certificates & secrets.";
const OPEN_API_PERMISSIONS: &str = "In the Microsoft Entra admin center open App registrations › your app › \
                                    API permissions.";
const GIVE_IDS: &str =
    "Give your IT admin the Trace ID, Correlation ID and Timestamp from the details below: \
                        they find the exact sign-in with them in Entra admin center › Sign-in logs.";

const ADD_MAIL_PERMISSIONS: &str = "Add a permission › Microsoft Graph › Delegated permissions, and tick what \
    this account uses: IMAP.AccessAsUser.All, POP.AccessAsUser.All, SMTP.Send (for IMAP, POP and SMTP), \
    Mail.ReadWrite and Mail.Send (for Graph), plus offline_access. For app-only access use APIs my organization \
    uses › Office 365 Exchange Online › Application permissions › IMAP.AccessAsApp, POP.AccessAsApp or \
    SMTP.SendAsApp instead.";
const GRANT_CONSENT: &str =
    "If the Status column says consent is needed, an admin clicks Grant admin consent for \
                             the organisation.";

/// Every AADSTS code Mailgrant explains.
pub(crate) static CATALOGUE: &[Entry] = &[
    // ---------------------------------------------------------------- redirect addresses
    Entry {
        codes: &[50011],
        text: Text {
            title: "The app doesn't list the address the sign-in returns to",
            explanation: "After you sign in, Microsoft sends the result back to an address (the redirect URI). It \
                          only does that for addresses listed in the app registration, spelled exactly the same, \
                          under the right platform. The address Mailgrant used is not in that list (or differs in \
                          upper/lower case, a trailing slash, or the platform it is listed under).",
            fixer: Fixer::AppOwner,
            steps: &[
                OPEN_AUTHENTICATION,
                "Find the redirect URI Mailgrant uses in the details below (or in Mailgrant's app registration \
                 settings): http://localhost, mailgrant://auth or \
                 https://login.microsoftonline.com/common/oauth2/nativeclient.",
                "Add it exactly as shown under 'Mobile and desktop applications' for an app without a secret, or \
                 under 'Web' for an app with a client secret or certificate.",
                "Save, wait a minute for the change to spread, then sign in again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[500112],
        text: Text {
            title: "The sign-in returned to a different address than it started with",
            explanation: "The redirect address sent when the sign-in finished is not the one used when it started. \
                          This happens when a sign-in is started in one place and finished in another, for example \
                          when an answer from an older attempt is pasted into a new one.",
            fixer: Fixer::You,
            steps: &[
                "Start the sign-in again from Mailgrant and finish it in the same browser window.",
                "If you paste the final address back into Mailgrant, paste the one from this attempt only.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[500113],
        text: Text {
            title: "The app has no address to return the sign-in to",
            explanation: "The app registration has no redirect URI at all, so Microsoft has nowhere to send the \
                          result of a sign-in.",
            fixer: Fixer::AppOwner,
            steps: &[
                OPEN_AUTHENTICATION,
                "Click Add a platform › Mobile and desktop applications (for an app without a secret) or Web (for \
                 an app with a client secret or certificate).",
                "Enter the redirect URI Mailgrant's set-up guide (step 3) names, for example http://localhost, \
                 and save.",
                "Sign in again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- tenants and account types
    Entry {
        codes: &[50194],
        text: Text {
            title: "This app only accepts accounts from its own organisation",
            explanation: "The app registration is set up for one organisation only (single tenant), but Mailgrant \
                          signed in through Microsoft's shared address for all organisations ('common'). For such \
                          an app, Microsoft needs to be told which organisation it belongs to.",
            fixer: Fixer::You,
            steps: &[
                "In the Microsoft Entra admin center open App registrations › your app › Overview and copy the \
                 Directory (tenant) ID.",
                "In Mailgrant, edit the app registration and set Tenant to that ID (or to your organisation's \
                 domain, such as contoso.onmicrosoft.com) instead of 'common'.",
                "Sign in again.",
                "Alternatively, if people from other organisations must use this app, whoever manages the app \
                 registration changes Authentication › Supported account types to a multitenant option.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[9002331],
        text: Text {
            title: "This app only accepts personal Microsoft accounts",
            explanation: "The app registration is set up for personal Microsoft accounts (Outlook.com, Hotmail, \
                          Live) only, but the sign-in went to an address for work or school accounts.",
            fixer: Fixer::You,
            steps: &[
                "In Mailgrant, edit the app registration and set Tenant to 'consumers', then sign in again.",
                "If work or school accounts must use this app too, whoever manages the app registration changes \
                 Authentication › Supported account types to include organisational accounts.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[9002332],
        text: Text {
            title: "This app doesn't accept personal Microsoft accounts",
            explanation: "The app registration is set up for work or school accounts only, but the sign-in went to \
                          the address for personal Microsoft accounts (Outlook.com, Hotmail, Live).",
            fixer: Fixer::AppOwner,
            steps: &[
                "If the mailbox is a work or school one: in Mailgrant set the app registration's Tenant to your \
                 organisation's ID or 'organizations' instead of 'consumers', and sign in again.",
                "If the mailbox is a personal Outlook.com or Hotmail one: in the Microsoft Entra admin center open \
                 App registrations › your app › Authentication › Supported account types and choose 'Accounts in \
                 any organizational directory and personal Microsoft accounts' (or create a new app registration \
                 with that option), then save.",
                "Sign in again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[90002],
        text: Text {
            title: "Microsoft can't find this organisation",
            explanation: "The tenant (the organisation's ID or domain) Mailgrant is set up with is unknown to this \
                          Microsoft cloud. It may be mistyped, the organisation may have been deleted or have no \
                          active subscription, or it lives in another Microsoft cloud (US Government or China).",
            fixer: Fixer::You,
            steps: &[
                "In the Microsoft Entra admin center open App registrations › your app › Overview and copy the \
                 Directory (tenant) ID.",
                "In Mailgrant, compare it with the app registration's Tenant and correct it (a domain such as \
                 contoso.onmicrosoft.com also works).",
                "If your organisation uses a US Government or China cloud, choose that cloud when you connect the \
                 mailbox in Mailgrant.",
                "For a personal Outlook.com or Hotmail mailbox, use 'consumers' or 'common' as the tenant.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[90124],
        text: Text {
            title: "This needs your organisation's own sign-in address",
            explanation: "What Mailgrant asked for can't be done through Microsoft's shared sign-in addresses \
                          ('common' or 'consumers'); Microsoft needs to know which organisation it is for. This is \
                          typical for app-only access and admin consent.",
            fixer: Fixer::You,
            steps: &[
                "In Mailgrant, edit the app registration and set Tenant to your organisation's Directory (tenant) \
                 ID or domain (or 'organizations').",
                "Try again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[90130],
        text: Text {
            title: "This app can't be used through the shared sign-in address",
            explanation: "The app registration is not set up for personal Microsoft accounts, so Microsoft refuses \
                          to use it through the shared 'common' or 'consumers' addresses.",
            fixer: Fixer::You,
            steps: &[
                "For a work or school mailbox: in Mailgrant set the app registration's Tenant to 'organizations' \
                 or your organisation's Directory (tenant) ID, and sign in again.",
                "For a personal Outlook.com or Hotmail mailbox: whoever manages the app registration changes \
                 Authentication › Supported account types to include personal Microsoft accounts.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[50059],
        text: Text {
            title: "Microsoft needs to know which organisation this is for",
            explanation: "The request doesn't say which organisation it belongs to. App-only access (no user \
                          signing in) can't go through the shared 'common' address.",
            fixer: Fixer::You,
            steps: &[
                "In Mailgrant, set the app registration's Tenant to your organisation's Directory (tenant) ID or \
                 domain.",
                "Try again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[50128],
        text: Text {
            title: "The organisation's domain isn't valid",
            explanation: "The tenant domain Mailgrant is set up with doesn't belong to any Microsoft organisation. \
                          It may be mistyped, or the domain is not registered with Microsoft 365.",
            fixer: Fixer::You,
            steps: &[
                "In Mailgrant, check the app registration's Tenant.",
                "Use the Directory (tenant) ID from Entra admin center › App registrations › your app › Overview \
                 instead of a domain.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- the app registration itself
    Entry {
        codes: &[700016],
        text: Text {
            title: "The app wasn't found in this organisation",
            explanation: "Microsoft has no app with this Application (client) ID in the organisation the sign-in \
                          went to. The ID may be mistyped or copied from the wrong field, the app may have been \
                          deleted, or it belongs to another organisation and was never approved in yours.",
            fixer: Fixer::You,
            steps: &[
                "In the Microsoft Entra admin center open App registrations › your app › Overview.",
                "Compare 'Application (client) ID' with the client ID in Mailgrant (not the Object ID, which looks \
                 similar).",
                "Also compare 'Directory (tenant) ID' with the tenant in Mailgrant.",
                "If the app belongs to another organisation, it must be multitenant and an admin of yours must \
                 approve it first.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[7000112],
        text: Text {
            title: "The app has been turned off",
            explanation: "The app registration exists but has been disabled in your organisation, so nobody can \
                          sign in through it.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Your IT admin opens Entra admin center › Enterprise applications › the app › Properties.",
                "They set 'Enabled for users to sign-in?' to Yes and save.",
            ],
            links: &[links::ENTERPRISE_APPS],
            retryable: false,
        },
    },
    Entry {
        codes: &[700054],
        text: Text {
            title: "The app isn't set up to return ID tokens",
            explanation: "The sign-in asked for an ID token straight from the browser, which this app registration \
                          doesn't allow.",
            fixer: Fixer::AppOwner,
            steps: &[
                OPEN_AUTHENTICATION,
                "Under 'Implicit grant and hybrid flows', tick 'ID tokens' and save, or use Mailgrant's standard \
                 sign-in, which doesn't need it.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[70005],
        text: Text {
            title: "The app isn't set up for this kind of sign-in answer",
            explanation: "The sign-in asked Microsoft to answer in a way (response type) this app registration \
                          doesn't allow.",
            fixer: Fixer::AppOwner,
            steps: &[
                OPEN_AUTHENTICATION,
                "Check the platform the redirect URI is listed under and the options under 'Implicit grant and \
                 hybrid flows'.",
                "If you didn't change how Mailgrant signs in, report this as a bug with the details below.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[70003],
        text: Text {
            title: "The app isn't allowed this way of getting tokens",
            explanation: "Mailgrant asked for tokens in a way (grant type) Microsoft doesn't support for this app \
                          or account type.",
            fixer: Fixer::You,
            steps: &[
                "Check the sign-in method chosen for the account in Mailgrant (browser, device code or app-only) \
                 and pick another one.",
                "If it keeps happening, report it as a bug with the details below.",
            ],
            links: &[],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- client secrets and certificates
    Entry {
        codes: &[7000215],
        text: Text {
            title: "The client secret is wrong",
            explanation: "Microsoft rejected the client secret Mailgrant sent for this app. Almost always the wrong \
                          column was copied: copy the secret's Value, not its Secret ID (both look like random \
                          text). It can also be a secret of a different app registration, or one that lost \
                          characters when it was pasted.",
            fixer: Fixer::AppOwner,
            steps: &[
                "In the Entra admin center open App registrations › your app › Certificates & secrets.",
                "A secret's Value is shown only right after it is created. If you no longer have it, click New \
                 client secret and create one.",
                "Copy the Value column, not the Secret ID.",
                "In Mailgrant, replace the app's client secret with it (Replace client secret).",
                "Sign in again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[7000222],
        text: Text {
            title: "The client secret has expired",
            explanation: "Client secrets are only valid until the end date chosen when they were created (at most \
                          two years). This app's secret is past that date, so Microsoft no longer accepts it.",
            fixer: Fixer::AppOwner,
            steps: &[
                OPEN_SECRETS,
                "Click New client secret, choose how long it should last, and click Add.",
                "Copy the new secret's Value (not the Secret ID) right away: it is shown only once.",
                "In Mailgrant, replace the app's client secret with it (Replace client secret).",
                "Delete the expired secret. Mailgrant's expiry board warns 30, 14 and 7 days before the next one \
                 runs out.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[7000218],
        text: Text {
            title: "Microsoft expected a client secret or certificate",
            explanation: "Microsoft treats this app as one that proves itself with a secret or certificate (a 'Web' \
                          app), but none was sent. This is what happens when device-code sign-in or a desktop \
                          sign-in without a secret is used while the app registration's 'Allow public client flows' \
                          setting is off.",
            fixer: Fixer::AppOwner,
            steps: &[
                OPEN_AUTHENTICATION,
                "If the account signs in without a secret (device code, or a desktop sign-in): under Advanced \
                 settings set 'Allow public client flows' to Yes and save.",
                "Also make sure the redirect URI is listed under 'Mobile and desktop applications', not under \
                 'Web'.",
                "If the app is meant to use a secret instead: add the secret's Value to the app registration in \
                 Mailgrant.",
                "Sign in again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[700025],
        text: Text {
            title: "A secret was sent for an app that doesn't use one",
            explanation: "This app registration is a 'public' app (it lists its redirect URI under Mobile and \
                          desktop applications), and Microsoft refuses secrets or certificates from public apps. \
                          Mailgrant is set up to send one.",
            fixer: Fixer::You,
            steps: &[
                "In Mailgrant, edit the app registration: set its type to public (no secret) and remove the \
                 secret or certificate.",
                "Or, if the app is meant to use a secret, whoever manages the app registration moves the redirect \
                 URI from 'Mobile and desktop applications' to 'Web' under Authentication.",
                "Sign in again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[700027],
        text: Text {
            title: "The app's certificate wasn't accepted",
            explanation: "Mailgrant proved the app's identity with a certificate, and Microsoft couldn't verify the \
                          signature. Usually the certificate uploaded to the app registration is a different one \
                          (or was removed or has expired), or this computer's clock is wrong, so the signed \
                          request looks too old or too new.",
            fixer: Fixer::AppOwner,
            steps: &[
                "In the Entra admin center open App registrations › your app › Certificates & secrets › \
                 Certificates.",
                "Compare the thumbprint listed there with the certificate's thumbprint in Mailgrant.",
                "If it is missing or different, upload the certificate's public part (.cer, .pem or .crt file) and \
                 wait a few minutes.",
                "Check that this computer sets its date and time automatically.",
                "Try again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[700024],
        text: Text {
            title: "This computer's clock looks wrong",
            explanation: "Mailgrant's signed proof of the app's identity carries a validity time, and Microsoft \
                          says it is outside the allowed window. This computer's date, time or time zone is most \
                          likely off.",
            fixer: Fixer::You,
            steps: &[
                "Turn on 'Set time automatically' in this computer's date and time settings (or fix the time \
                 zone).",
                "Try again.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[50012],
        text: Text {
            title: "The app's credentials weren't accepted",
            explanation: "Microsoft couldn't verify the app's identity from what Mailgrant sent. With a certificate \
                          this usually means the certificate isn't uploaded to the app registration (or was \
                          replaced), has expired, or this computer's clock is wrong.",
            fixer: Fixer::AppOwner,
            steps: &[
                OPEN_SECRETS,
                "Check that the certificate (by thumbprint) or secret Mailgrant uses is listed and not expired; \
                 upload or create a new one if needed and update it in Mailgrant.",
                "Check that this computer sets its date and time automatically.",
                "Try again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- scopes, consent, permissions
    Entry {
        codes: &[70011],
        text: Text {
            title: "The permissions requested aren't valid",
            explanation: "The list of permissions (scopes) in the sign-in request isn't acceptable to Microsoft: a \
                          name is misspelled, belongs to an API that doesn't exist, or a '/.default' request was \
                          mixed with named permissions.",
            fixer: Fixer::You,
            steps: &[
                "In Mailgrant, check which services the account uses (IMAP, POP, SMTP, Graph) and any custom \
                 scopes you entered; remove the custom ones.",
                "App-only accounts must ask for 'https://outlook.office365.com/.default' or \
                 'https://graph.microsoft.com/.default' alone.",
                "Sign in again. If it keeps happening without custom scopes, report it with the details below.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[1002012],
        text: Text {
            title: "App-only access must ask for '/.default'",
            explanation: "For app-only access (no user signing in), Microsoft only accepts a request for all of the \
                          app's granted permissions at once, written as the API address followed by '/.default'.",
            fixer: Fixer::You,
            steps: &[
                "In Mailgrant, remove custom scopes from the app-only account, so it asks for \
                 'https://outlook.office365.com/.default' (IMAP, POP, SMTP) or \
                 'https://graph.microsoft.com/.default' (Graph).",
                "Try again.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[28000, 700022],
        text: Text {
            title: "One token can't cover two services",
            explanation: "A token from Microsoft is for one service at a time. The request asked for permissions of \
                          two (for example Outlook's IMAP and Microsoft Graph) in one go.",
            fixer: Fixer::You,
            steps: &[
                "Remove any custom scopes from the account in Mailgrant: Mailgrant asks for Outlook and Graph \
                 tokens separately on its own.",
                "Sign in again. If it keeps happening without custom scopes, report it with the details below.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[65001],
        text: Text {
            title: "The app hasn't been given permission yet",
            explanation: "Nobody has agreed yet to let this app use the mailbox permissions it asks for. Normally \
                          you agree on a consent screen during a browser sign-in. A background refresh or an \
                          app-only request can't show that screen, and some organisations only let admins agree.",
            fixer: Fixer::You,
            steps: &[
                SIGN_IN_AGAIN,
                "When Microsoft lists the permissions the app wants, click Accept.",
                "If Microsoft says an admin has to approve, or the account uses app-only access, ask your IT admin \
                 to grant admin consent: Entra admin center › Enterprise applications (or App registrations › your \
                 app › API permissions) › Grant admin consent.",
            ],
            links: &[links::ENTERPRISE_APPS],
            retryable: false,
        },
    },
    Entry {
        codes: &[65002],
        text: Text {
            title: "Microsoft's own apps can't be used this way",
            explanation: "The client ID Mailgrant is set up with belongs to one of Microsoft's own apps, which can't \
                          be given these permissions. Mailgrant needs an app registration of your own.",
            fixer: Fixer::AppOwner,
            steps: &[
                "Create an app registration in the Entra admin center (App registrations › New registration), or \
                 ask whoever manages Entra to create one.",
                "Put its Application (client) ID in Mailgrant and sign in again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[65004],
        text: Text {
            title: "The permission request was declined",
            explanation: "On Microsoft's consent screen, the app's request to use the mailbox was declined (the \
                          Cancel or 'No' button), so Microsoft didn't give Mailgrant access.",
            fixer: Fixer::You,
            steps: &[
                SIGN_IN_AGAIN,
                "When Microsoft lists the permissions the app wants, click Accept.",
                "If the screen says that an admin needs to approve the app, ask your IT admin instead.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[65005],
        text: Text {
            title: "The app's permission list is set up wrongly",
            explanation: "The app asks for a permission of an API it has no access to, or the permission list in \
                          the app registration is inconsistent with what Mailgrant asks for.",
            fixer: Fixer::AppOwner,
            steps: &[OPEN_API_PERMISSIONS, ADD_MAIL_PERMISSIONS, GRANT_CONSENT, "Sign in again."],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[90094],
        text: Text {
            title: "An admin has to approve this app",
            explanation: "Your organisation lets only administrators approve apps that ask for these permissions, \
                          so you can't agree to them yourself.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "In Mailgrant, use 'Ask your IT admin' to copy the admin-consent link and the message for them.",
                "Your IT admin opens the link (or Entra admin center › Enterprise applications › the app › \
                 Permissions) and clicks Grant admin consent.",
                "After that, sign in again.",
            ],
            links: &[links::ENTERPRISE_APPS],
            retryable: false,
        },
    },
    Entry {
        codes: &[650056],
        text: Text {
            title: "The app isn't set up with the permissions Mailgrant needs",
            explanation: "The app registration's list of API permissions is missing what this account asks for \
                          (for example IMAP access), or it is listed but an admin hasn't approved it.",
            fixer: Fixer::AppOwner,
            steps: &[OPEN_API_PERMISSIONS, ADD_MAIL_PERMISSIONS, GRANT_CONSENT, "Sign in again."],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[650057],
        text: Text {
            title: "The app isn't set up for the service it asks for",
            explanation: "Mailgrant asked for access to a service (such as Office 365 Exchange Online or Microsoft \
                          Graph) that is not in the app registration's list of API permissions.",
            fixer: Fixer::AppOwner,
            steps: &[OPEN_API_PERMISSIONS, ADD_MAIL_PERMISSIONS, GRANT_CONSENT, "Sign in again."],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[500011],
        text: Text {
            title: "The mail service isn't available in this organisation",
            explanation: "The service Mailgrant asked for a token for (such as Office 365 Exchange Online) isn't set \
                          up in the organisation the sign-in went to. The sign-in may have gone to the wrong \
                          organisation, the organisation may have no Exchange Online subscription, or an admin \
                          hasn't approved the app yet.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Check that the tenant in Mailgrant is the organisation that owns the mailbox.",
                "Your IT admin checks that the organisation has Exchange Online (Microsoft 365 admin center › \
                 Billing › Your products).",
                "Your IT admin grants admin consent for the app: Entra admin center › Enterprise applications › \
                 the app › Permissions.",
            ],
            links: &[links::ENTERPRISE_APPS],
            retryable: false,
        },
    },
    Entry {
        codes: &[50001],
        text: Text {
            title: "The service asked for doesn't exist or is turned off",
            explanation: "The service Mailgrant asked for a token for is unknown, or disabled, in this \
                          organisation.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Check that the account's cloud and tenant in Mailgrant are right.",
                "Your IT admin checks that Exchange Online (or Microsoft Graph) is available and enabled for the \
                 organisation.",
            ],
            links: &[links::ENTERPRISE_APPS],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- the account signing in
    Entry {
        codes: &[50020],
        text: Text {
            title: "This account can't sign in to this app",
            explanation: "The account you signed in with belongs to another organisation (or is a personal \
                          Microsoft account), and this app only accepts accounts of the organisation it is \
                          registered in.",
            fixer: Fixer::You,
            steps: &[
                "Sign in again and pick the account of the organisation the app belongs to.",
                "If the mailbox is in your own organisation, set the app registration's tenant in Mailgrant to \
                 'organizations' or to your organisation's ID (the app must then be multitenant).",
                "Or your IT admin invites your account as a guest in the app's organisation.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[90072],
        text: Text {
            title: "This account isn't a member of the organisation",
            explanation: "The account exists, but not in the organisation the sign-in went to, and it hasn't been \
                          added there as a guest.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Sign in again with an account of that organisation.",
                "Or your IT admin adds your account as a guest: Entra admin center › Users › New user › Invite \
                 external user.",
                "Or set the tenant in Mailgrant to your own organisation's ID, if the app is multitenant.",
            ],
            links: &[links::ENTRA],
            retryable: false,
        },
    },
    Entry {
        codes: &[50034],
        text: Text {
            title: "This account doesn't exist here",
            explanation: "Microsoft couldn't find the account you typed in the organisation the sign-in went to. \
                          The address may be mistyped, the account may be a personal one while the app expects a \
                          work or school one (or the other way round), or it was removed.",
            fixer: Fixer::You,
            steps: &[
                "Sign in again and check the spelling of the address.",
                "If you have both a personal and a work account with this address, pick the right one when \
                 Microsoft asks.",
                "Check the tenant set for the app registration in Mailgrant.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[50126],
        text: Text {
            title: "Wrong user name or password",
            explanation: "Microsoft didn't accept the user name and password typed during the sign-in.",
            fixer: Fixer::You,
            steps: &[
                "Sign in again and type the password carefully (check Caps Lock and the keyboard layout).",
                "If you forgot it, reset it: work or school accounts through your organisation's password reset \
                 page, personal accounts at account.live.com.",
            ],
            links: &[links::PASSWORD_RESET_WORK, links::PASSWORD_RESET_PERSONAL],
            retryable: false,
        },
    },
    Entry {
        codes: &[50056],
        text: Text {
            title: "This account has no password to sign in with",
            explanation: "The account exists but has no password set in the directory (for example it only signs in \
                          another way, or was just created).",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Your IT admin sets or resets a password for the account (Microsoft 365 admin center › Active \
                 users › the user › Reset password).",
                "Sign in again.",
            ],
            links: &[links::ACTIVE_USERS],
            retryable: false,
        },
    },
    Entry {
        codes: &[50053],
        text: Text {
            title: "The account is locked for now",
            explanation: "Microsoft temporarily locked the account after too many attempts with a wrong password, \
                          or because sign-ins came from a place it considers suspicious.",
            fixer: Fixer::You,
            steps: &[
                "Wait a few minutes before trying again, and don't retry repeatedly: every failed attempt extends \
                 the lock.",
                "Stop other programs or devices that keep trying an old password for this account.",
                "If it stays locked, reset the password or ask your IT admin to unblock the account.",
            ],
            links: &[links::PASSWORD_RESET_WORK],
            retryable: true,
        },
    },
    Entry {
        codes: &[50055],
        text: Text {
            title: "The password has expired",
            explanation: "Your organisation requires passwords to be changed regularly, and this account's password \
                          is past its date.",
            fixer: Fixer::You,
            steps: &[
                "Change the password: sign in at myaccount.microsoft.com (Microsoft will ask for a new one) or use \
                 your organisation's usual way.",
                "Sign in to Mailgrant again.",
            ],
            links: &[links::MY_ACCOUNT],
            retryable: false,
        },
    },
    Entry {
        codes: &[50057],
        text: Text {
            title: "The account is disabled",
            explanation: "The account exists but has been turned off in the directory, so it can't sign in at all.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Your IT admin opens Microsoft 365 admin center › Active users (or Entra admin center › Users), \
                 selects the account and allows it to sign in again.",
                "Then sign in to Mailgrant again.",
            ],
            links: &[links::ACTIVE_USERS],
            retryable: false,
        },
    },
    Entry {
        codes: &[50105],
        text: Text {
            title: "You haven't been given access to this app",
            explanation: "Your organisation only lets people assigned to this app sign in to it, and your account \
                          isn't one of them.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Your IT admin opens Entra admin center › Enterprise applications › the app › Users and groups.",
                "They add your account (or a group you are in), or set Properties › 'Assignment required?' to No.",
                "Sign in again.",
            ],
            links: &[links::ENTERPRISE_APPS],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- interactive sign-in needed
    Entry {
        codes: &[50058],
        text: Text {
            title: "Sign in again in the browser",
            explanation: "Mailgrant tried to sign in quietly, without showing you anything, but Microsoft has no \
                          signed-in session to use.",
            fixer: Fixer::You,
            steps: &[SIGN_IN_AGAIN],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[50076, 50074],
        text: Text {
            title: "An extra verification step is needed",
            explanation: "Your organisation requires a second check (a code, an app notification or a security key) \
                          for this sign-in, and that can't happen in the background.",
            fixer: Fixer::You,
            steps: &[SIGN_IN_AGAIN, "Complete the verification Microsoft asks for."],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[50079, 50072],
        text: Text {
            title: "Set up a second sign-in method first",
            explanation: "Your organisation requires a second way to prove it's you (such as the Microsoft \
                          Authenticator app or a phone number), and none is set up for this account yet.",
            fixer: Fixer::You,
            steps: &[
                "Open aka.ms/mfasetup, sign in, and add a method under Security info.",
                SIGN_IN_AGAIN,
            ],
            links: &[links::SECURITY_INFO],
            retryable: false,
        },
    },
    Entry {
        codes: &[500121],
        text: Text {
            title: "The extra verification step didn't succeed",
            explanation: "The second check (app notification, code or security key) was denied, timed out or \
                          failed.",
            fixer: Fixer::You,
            steps: &[
                SIGN_IN_AGAIN,
                "Approve the notification or enter the code promptly. If your phone or method changed, update it \
                 at aka.ms/mfasetup.",
            ],
            links: &[links::SECURITY_INFO],
            retryable: false,
        },
    },
    Entry {
        codes: &[50199],
        text: Text {
            title: "Microsoft wants you to confirm the sign-in",
            explanation: "For safety, Microsoft asks you to confirm that you meant to sign in to this app. That \
                          confirmation can only be given in the browser.",
            fixer: Fixer::You,
            steps: &[SIGN_IN_AGAIN, "Click Continue when Microsoft asks you to confirm."],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[50196],
        text: Text {
            title: "Too many sign-ins in a row",
            explanation: "Microsoft saw the same sign-in repeated many times in a short time and stopped it, to \
                          protect the service.",
            fixer: Fixer::You,
            steps: &[
                "Wait a few minutes.",
                "Make sure no other program keeps retrying the sign-in for this account, then sign in again once.",
            ],
            links: &[],
            retryable: true,
        },
    },
    // ---------------------------------------------------------------- devices and Conditional Access
    Entry {
        codes: &[53000],
        text: Text {
            title: "This device isn't approved by your organisation",
            explanation: "Your organisation only allows this access from devices that it manages and that meet its \
                          security rules (compliant devices). This computer doesn't count as one.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Use a computer your organisation manages, or enrol this one in the Company Portal and make it \
                 compliant.",
                "If this is unexpected, ask your IT admin; give them the Trace ID and Correlation ID from the \
                 details below.",
            ],
            links: &[links::COMPANY_PORTAL, links::SIGN_IN_LOGS],
            retryable: false,
        },
    },
    Entry {
        codes: &[530003],
        text: Text {
            title: "This device has to be managed by your organisation",
            explanation: "Your organisation only allows this access from devices it manages, and this computer \
                          isn't registered with it.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Use a computer your organisation manages, or register this one through the Company Portal.",
                "Ask your IT admin if you need an exception; give them the Trace ID and Correlation ID from the \
                 details below.",
            ],
            links: &[links::COMPANY_PORTAL, links::SIGN_IN_LOGS],
            retryable: false,
        },
    },
    Entry {
        codes: &[53001],
        text: Text {
            title: "This device has to be joined to your organisation's domain",
            explanation: "Your organisation only allows this access from computers joined to its domain, and this \
                          one isn't.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Use a domain-joined computer of your organisation.",
                "Ask your IT admin if you need an exception; give them the Trace ID and Correlation ID from the \
                 details below.",
            ],
            links: &[links::SIGN_IN_LOGS],
            retryable: false,
        },
    },
    Entry {
        codes: &[50097],
        text: Text {
            title: "This device has to prove its identity",
            explanation: "Your organisation requires the device itself to be authenticated for this sign-in, which \
                          only works on devices registered with the organisation.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Use a device registered with your organisation, or register this one through the Company Portal.",
                GIVE_IDS,
            ],
            links: &[links::COMPANY_PORTAL, links::SIGN_IN_LOGS],
            retryable: false,
        },
    },
    Entry {
        codes: &[53003],
        text: Text {
            title: "Your organisation's access rules blocked this sign-in",
            explanation: "A Conditional Access policy set by your organisation blocked this sign-in. Such policies \
                          can depend on the app, your location or network, the device or the kind of sign-in.",
            fixer: Fixer::ItAdmin,
            steps: &[
                GIVE_IDS,
                "Your IT admin opens that entry's Conditional Access tab to see which policy blocked it, and \
                 decides whether to allow this app or tells you under which conditions it works (for example \
                 from the office network or a managed device).",
            ],
            links: &[links::SIGN_IN_LOGS],
            retryable: false,
        },
    },
    Entry {
        codes: &[530032],
        text: Text {
            title: "Your organisation's security policy blocked this sign-in",
            explanation: "A security policy of your organisation blocked this sign-in.",
            fixer: Fixer::ItAdmin,
            steps: &[GIVE_IDS],
            links: &[links::SIGN_IN_LOGS],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- codes and refresh tokens
    Entry {
        codes: &[70008],
        text: Text {
            title: "The sign-in has expired",
            explanation: "The sign-in Mailgrant kept for this account has run out, either because the one-time \
                          sign-in code was used too late (it lasts about 10 minutes) or because the saved sign-in \
                          was unused for too long.",
            fixer: Fixer::You,
            steps: &[SIGN_IN_AGAIN],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[700082],
        text: Text {
            title: "The saved sign-in expired after 90 days unused",
            explanation: "Microsoft drops a saved sign-in that hasn't been used for 90 days. This account's had not \
                          been used for that long.",
            fixer: Fixer::You,
            steps: &[
                SIGN_IN_AGAIN,
                "While Mailgrant runs it uses each saved sign-in every two weeks, which keeps it alive, and warns \
                 before one runs out.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[700084],
        text: Text {
            title: "The saved sign-in only lasts 24 hours for this app",
            explanation: "The app registration lists its redirect URI as a single-page (browser) app, and Microsoft \
                          limits sign-ins of such apps to 24 hours.",
            fixer: Fixer::AppOwner,
            steps: &[
                SIGN_IN_AGAIN,
                "To stop this from recurring: in the Entra admin center open App registrations › your app › \
                 Authentication, remove the redirect URI from 'Single-page application' and add it under 'Mobile \
                 and desktop applications' instead.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &[50173],
        text: Text {
            title: "The saved sign-in was cancelled (password change?)",
            explanation: "The saved sign-in for this account was cancelled on Microsoft's side, usually because the \
                          password was changed or reset, or an admin signed the account out everywhere.",
            fixer: Fixer::You,
            steps: &[SIGN_IN_AGAIN],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[70043],
        text: Text {
            title: "Your organisation requires signing in again",
            explanation: "Your organisation's rules say how long a sign-in may last (sign-in frequency), and this \
                          one has reached that limit.",
            fixer: Fixer::You,
            steps: &[
                SIGN_IN_AGAIN,
                "This will repeat at the interval your organisation has chosen; ask your IT admin if it is too \
                 often.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[70000],
        text: Text {
            title: "The saved sign-in is no longer valid",
            explanation: "Microsoft no longer accepts the saved sign-in for this account. It may have been revoked \
                          (for example the app's access was removed), belong to a different app, or be damaged.",
            fixer: Fixer::You,
            steps: &[SIGN_IN_AGAIN],
            links: &[links::MY_APPS, links::PERSONAL_CONSENT],
            retryable: false,
        },
    },
    Entry {
        codes: &[54005],
        text: Text {
            title: "This sign-in code was already used",
            explanation: "The one-time code from the browser sign-in can be exchanged only once, and it already has \
                          been (for example a sign-in answer was submitted twice).",
            fixer: Fixer::You,
            steps: &["Start the sign-in again from Mailgrant."],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[501481],
        text: Text {
            title: "The sign-in answer doesn't belong to this attempt",
            explanation: "Each sign-in carries a secret check value, and the answer Mailgrant received was made for \
                          a different attempt (for example the address of an older sign-in was pasted).",
            fixer: Fixer::You,
            steps: &[
                "Start the sign-in again from Mailgrant.",
                "Finish it in the browser tab that opens for this attempt, and paste only its own final address \
                 if asked.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[501491],
        text: Text {
            title: "The sign-in request was malformed",
            explanation: "A security value in the sign-in request had the wrong size. This points to a fault in the \
                          program that started the sign-in.",
            fixer: Fixer::You,
            steps: &[
                "Start the sign-in again from Mailgrant.",
                "If it keeps happening, report it as a bug with the details below.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[9002313],
        text: Text {
            title: "Microsoft couldn't read the sign-in request",
            explanation: "The request was malformed. Most often the sign-in code in it was damaged, for example \
                          when a pasted address was cut short.",
            fixer: Fixer::You,
            steps: &[
                "Start the sign-in again from Mailgrant.",
                "If you paste the final address back, copy all of it.",
            ],
            links: &[],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- device code
    Entry {
        codes: &[70016],
        text: Text {
            title: "The device sign-in isn't finished yet",
            explanation: "The device-code sign-in is still waiting for someone to open the sign-in page and enter \
                          the code.",
            fixer: Fixer::You,
            steps: &[
                "Open microsoft.com/devicelogin on any device, enter the code Mailgrant shows, and sign in.",
                "Mailgrant keeps checking until you are done or the code expires (after 15 minutes).",
            ],
            links: &[links::DEVICE_LOGIN],
            retryable: true,
        },
    },
    Entry {
        codes: &[70019],
        text: Text {
            title: "The sign-in code expired",
            explanation: "The device-code sign-in wasn't finished within its time limit (15 minutes).",
            fixer: Fixer::You,
            steps: &[
                "Start the sign-in again in Mailgrant to get a new code.",
                "Enter it at microsoft.com/devicelogin and finish signing in within 15 minutes.",
            ],
            links: &[links::DEVICE_LOGIN],
            retryable: false,
        },
    },
    Entry {
        codes: &[70018],
        text: Text {
            title: "The sign-in code was entered wrongly",
            explanation: "The code typed on the device sign-in page doesn't match the one Mailgrant showed.",
            fixer: Fixer::You,
            steps: &[
                "Enter the code again exactly as Mailgrant shows it (letters and digits, no spaces).",
                "If it keeps failing, start the sign-in again to get a new code.",
            ],
            links: &[links::DEVICE_LOGIN],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- malformed requests
    Entry {
        codes: &[900144],
        text: Text {
            title: "The sign-in request was missing something",
            explanation: "Microsoft says a required part of the request was missing. Mailgrant always sends it, so \
                          this points to a fault in Mailgrant, or something on the network (a proxy) changing the \
                          request.",
            fixer: Fixer::You,
            steps: &[
                "Try again. If you are on a company network or VPN, try from another network.",
                "If it keeps happening, report it as a bug with the details below (they say which part).",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &[90014],
        text: Text {
            title: "The request was missing a required field",
            explanation: "Microsoft says a required field was missing from the request. This points to a fault in \
                          Mailgrant, or something on the network changing the request.",
            fixer: Fixer::You,
            steps: &[
                "Try again. If you are on a company network or VPN, try from another network.",
                "If it keeps happening, report it as a bug with the details below.",
            ],
            links: &[],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- unclear meaning
    Entry {
        codes: &[135010],
        text: Text {
            title: "Microsoft reported a missing key (meaning not documented)",
            explanation: "Microsoft doesn't document this code. Its internal name is 'KeyNotFound', and it is \
                          reported with device sign-in problems, but we can't say for sure what causes it.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Try once more after a few minutes.",
                "If it happens again, give your IT admin the Trace ID, Correlation ID and Timestamp from the details \
                 below: the sign-in log entry shows Microsoft's own reason.",
            ],
            links: &[links::SIGN_IN_LOGS],
            retryable: false,
        },
    },
];

/// The catalogue's entry for a code.
pub(crate) fn lookup(code: u32) -> Option<&'static Text> {
    CATALOGUE
        .iter()
        .find(|e| e.codes.contains(&code))
        .map(|e| &e.text)
}

/// Every catalogued code, in catalogue order.
pub fn codes() -> impl Iterator<Item = u32> {
    CATALOGUE.iter().flat_map(|e| e.codes.iter().copied())
}

/// The catalogue's diagnosis for a code, without any server detail (for `mailgrant explain`).
pub(crate) fn explain(code: u32) -> Option<Diagnosis> {
    lookup(code).map(|text| {
        let mut d = text.render(format!("AADSTS{code}"), &[]);
        d.raw.aadsts = Some(code);
        d
    })
}

/// The generic answers for codes the catalogue lacks, by OAuth `error` value. The last one is for any other.
static GENERIC: &[(&[&str], Text)] = &[
    (
        &["invalid_client", "unauthorized_client", "unsupported_response_type", "unsupported_grant_type"],
        Text {
            title: "Microsoft didn't accept the app's settings",
            explanation: "Microsoft refused the app itself (its ID, secret, certificate or the way it is set up) \
                          rather than your account.",
            fixer: Fixer::AppOwner,
            steps: &[
                OPEN_APP,
                "Compare the Application (client) ID and Directory (tenant) ID on the Overview page with the ones \
                 Mailgrant was given.",
                "Check Certificates & secrets (is the secret's Value current?) and Authentication (redirect URIs, \
                 'Allow public client flows').",
                "Look up the code on Microsoft's page (link below) for the exact cause.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    ),
    (
        &["invalid_grant", "interaction_required", "login_required", "expired_token"],
        Text {
            title: "You need to sign in again",
            explanation: "Microsoft no longer accepts the saved sign-in for this account, or needs you to do \
                          something that only works in the browser.",
            fixer: Fixer::You,
            steps: &[SIGN_IN_AGAIN, "If it fails again, look up the code on Microsoft's page (link below)."],
            links: &[],
            retryable: false,
        },
    ),
    (
        &["consent_required", "invalid_resource"],
        Text {
            title: "Permission for the app has to be granted",
            explanation: "The app hasn't been allowed to use what it asks for in this organisation.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Sign in again and accept the permissions if Microsoft asks.",
                "Otherwise your IT admin grants consent: Entra admin center › Enterprise applications › the app › \
                 Permissions › Grant admin consent.",
            ],
            links: &[links::ENTERPRISE_APPS],
            retryable: false,
        },
    ),
    (
        &["permission_denied"],
        Text {
            title: "The admin didn't approve the app",
            explanation: "The administrator who was asked to approve the app for the organisation cancelled or \
                          declined it.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Ask your IT admin to open the admin-consent link again and click Accept, or to grant consent in \
                 Entra admin center › Enterprise applications › the app › Permissions.",
            ],
            links: &[links::ENTERPRISE_APPS],
            retryable: false,
        },
    ),
    (
        &["invalid_scope"],
        Text {
            title: "The permissions requested weren't accepted",
            explanation: "Microsoft didn't accept the list of permissions (scopes) in the request.",
            fixer: Fixer::You,
            steps: &[
                "Remove custom scopes from the account in Mailgrant, so it asks for its standard ones.",
                "Sign in again.",
            ],
            links: &[],
            retryable: false,
        },
    ),
    (
        &["access_denied", "authorization_declined"],
        Text {
            title: "The sign-in was cancelled or refused",
            explanation: "The sign-in didn't complete: it was cancelled in the browser, or access was refused.",
            fixer: Fixer::You,
            steps: &[SIGN_IN_AGAIN, "If Microsoft shows an error page, note its code and look it up."],
            links: &[],
            retryable: false,
        },
    ),
    (
        &["authorization_pending", "slow_down"],
        Text {
            title: "Waiting for you to finish signing in",
            explanation: "The sign-in hasn't been finished on the sign-in page yet.",
            fixer: Fixer::You,
            steps: &["Finish signing in on the page Mailgrant showed; Mailgrant keeps checking."],
            links: &[links::DEVICE_LOGIN],
            retryable: true,
        },
    ),
    (
        &["bad_verification_code"],
        Text {
            title: "The device sign-in code didn't match",
            explanation: "The code typed on the sign-in page doesn't match the one Mailgrant showed.",
            fixer: Fixer::You,
            steps: &["Enter the code again, or start the sign-in again for a new code."],
            links: &[links::DEVICE_LOGIN],
            retryable: false,
        },
    ),
    (
        &["temporarily_unavailable", "server_error"],
        Text::microsoft_trouble(
            "Microsoft's sign-in service is having trouble",
            "Microsoft's sign-in service couldn't handle the request right now. This is on Microsoft's \
                          side and usually passes by itself.",
            &[
                WAIT_A_FEW_MINUTES,
                CHECK_SERVICE_STATUS,
            ],
        ),
    ),
    (
        &[],
        Text {
            title: "Microsoft refused the sign-in",
            explanation: "Microsoft's sign-in service refused the request.",
            fixer: Fixer::You,
            steps: &[
                "Try again; if it fails the same way, look up the code on Microsoft's page (link below).",
                "If it doesn't make sense to you, give the details below (they include Microsoft's Trace ID and \
                 Correlation ID) to your IT admin or whoever manages the app registration.",
            ],
            links: &[],
            retryable: false,
        },
    ),
];

/// The generic answer for an OAuth `error` value.
pub(crate) fn generic(error: Option<&str>) -> &'static Text {
    let error = error.map(str::trim).unwrap_or_default();
    GENERIC
        .iter()
        .find(|(errors, _)| errors.iter().any(|e| e.eq_ignore_ascii_case(error)))
        .or_else(|| GENERIC.last())
        .map(|(_, text)| text)
        .unwrap_or(&GENERIC_FALLBACK)
}

/// Never used while [`GENERIC`] is non-empty; keeps [`generic`] total without an `unwrap`.
static GENERIC_FALLBACK: Text = Text {
    title: "Microsoft refused the sign-in",
    explanation: "Microsoft's sign-in service refused the request.",
    fixer: Fixer::You,
    steps: &[],
    links: &[],
    retryable: false,
};

/// A diagnosis for an identity-platform error: the catalogue's entry for `raw.aadsts`, or the generic answer for
/// `raw.error` carrying the code and Microsoft's message.
pub(crate) fn diagnose(raw: RawDetail) -> Diagnosis {
    let catalogued = raw.aadsts.and_then(|code| lookup(code).map(|text| (code, text)));
    let mut d = match catalogued {
        Some((code, text)) => text.render(format!("AADSTS{code}"), &[]),
        None => {
            let text = generic(raw.error.as_deref());
            let code = raw
                .aadsts
                .map_or_else(|| "AADSTS_UNKNOWN".to_owned(), |n| format!("AADSTS{n}"));
            let mut d = text.render(code, &[]);
            if let Some(message) = raw
                .error_description
                .as_deref()
                .map(headline)
                .filter(|m| !m.is_empty())
            {
                d.explanation = format!("{} Microsoft's message: \"{message}\"", d.explanation);
            }
            if let Some(n) = raw.aadsts {
                d.links.push(links::aadsts_lookup(n));
            }
            d
        }
    };
    if matches!(raw.http_status, Some(429) | Some(500..=599)) {
        d.retryable = true;
    }
    d.with_raw(raw)
}

/// The first line of an `error_description`, without its `AADSTSnnnn: ` prefix and the trace lines.
pub(crate) fn headline(description: &str) -> String {
    let first = description.lines().next().unwrap_or_default().trim();
    let rest = match first.get(..6) {
        Some(prefix) if prefix.eq_ignore_ascii_case("AADSTS") => {
            let after = first[6..].trim_start_matches(|c: char| c.is_ascii_digit());
            after.trim_start_matches(':').trim()
        }
        _ => first,
    };
    super::excerpt(rest, 400)
}

/// The AADSTS number in a text: the digits after the first `AADSTS`.
pub(crate) fn code_in(text: &str) -> Option<u32> {
    let upper = text.to_ascii_uppercase();
    let at = upper.find("AADSTS")? + "AADSTS".len();
    let digits: String = upper[at..].chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's §8 table (shared/reference/microsoft-identity.md).
    const REFERENCE_CODES: &[u32] = &[
        50011, 500113, 50194, 9002332, 90002, 700016, 7000215, 7000222, 7000218, 700025, 700027, 50012,
        70011, 28000, 65001, 65004, 90094, 650056, 650057, 500011, 50020, 90072, 50034, 50126, 50053, 50055,
        50057, 50058, 50076, 50079, 50105, 53000, 530003, 53003, 70008, 700082, 700084, 50173, 70043, 70000,
        54005, 501481, 70016, 70019, 70018, 900144, 90014, 9002313, 90124, 90130, 135010,
    ];

    #[test]
    fn every_reference_code_has_its_own_entry() {
        let generic_titles: Vec<&str> = GENERIC.iter().map(|(_, t)| t.title).collect();
        for &code in REFERENCE_CODES {
            let text = lookup(code).unwrap_or_else(|| panic!("AADSTS{code} is not catalogued"));
            assert!(
                !generic_titles.contains(&text.title),
                "AADSTS{code} has a generic title"
            );
            assert!(
                !text.title.is_empty() && !text.explanation.is_empty(),
                "AADSTS{code}"
            );
            assert!(!text.steps.is_empty(), "AADSTS{code} has no steps");
            assert!(
                text.steps.iter().all(|s| !s.trim().is_empty()),
                "AADSTS{code} has an empty step"
            );
            let d = explain(code).expect("explained");
            assert_eq!(d.code, format!("AADSTS{code}"));
            assert_eq!(d.raw.aadsts, Some(code));
        }
    }

    #[test]
    fn the_catalogue_lists_each_code_once() {
        let mut codes: Vec<u32> = codes().collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }

    #[test]
    fn texts_are_plain_and_complete() {
        for entry in CATALOGUE {
            let t = &entry.text;
            assert!(t.title.len() <= 80, "AADSTS{}: title too long", entry.codes[0]);
            assert!(
                !t.title.ends_with('.'),
                "AADSTS{}: a title is not a sentence",
                entry.codes[0]
            );
            assert!(t.explanation.ends_with('.'), "AADSTS{}", entry.codes[0]);
            for step in t.steps {
                assert!(
                    step.ends_with('.') || step.ends_with(')'),
                    "AADSTS{}: {step}",
                    entry.codes[0]
                );
            }
            for l in t.links {
                assert!(l.1.starts_with("https://"), "AADSTS{}: {}", entry.codes[0], l.1);
            }
            assert!(
                !t.explanation.contains("  "),
                "AADSTS{}: double space",
                entry.codes[0]
            );
        }
    }

    #[test]
    fn the_secret_entry_names_value_and_secret_id() {
        let t = lookup(7000215).expect("catalogued");
        assert!(t
            .explanation
            .contains("copy the secret's Value, not its Secret ID"));
        assert!(t
            .steps
            .iter()
            .any(|s| s.contains("Copy the Value column, not the Secret ID")));
        assert_eq!(t.fixer, Fixer::AppOwner);
    }

    #[test]
    fn the_unverified_code_says_so() {
        let t = lookup(135010).expect("catalogued");
        assert!(t.explanation.contains("doesn't document") && t.explanation.contains("can't say for sure"));
    }

    #[test]
    fn generic_answers_follow_the_error_value() {
        for (error, fixer) in [
            ("invalid_client", Fixer::AppOwner),
            ("unauthorized_client", Fixer::AppOwner),
            ("invalid_grant", Fixer::You),
            ("interaction_required", Fixer::You),
            ("consent_required", Fixer::ItAdmin),
            ("temporarily_unavailable", Fixer::Microsoft),
            ("server_error", Fixer::Microsoft),
            ("something_new", Fixer::You),
        ] {
            assert_eq!(generic(Some(error)).fixer, fixer, "{error}");
        }
        assert!(generic(Some("temporarily_unavailable")).retryable);
        assert_eq!(generic(None).title, "Microsoft refused the sign-in");
    }

    #[test]
    fn finds_codes_and_headlines_in_descriptions() {
        assert_eq!(
            code_in("AADSTS7000215: Invalid client secret provided."),
            Some(7000215)
        );
        assert_eq!(code_in("xx aadsts65004: User declined"), Some(65004));
        assert_eq!(code_in("no code"), None);
        assert_eq!(
            headline("AADSTS70011: The provided value isn't valid.\r\nTrace ID: t\r\nCorrelation ID: c"),
            "The provided value isn't valid."
        );
        assert_eq!(headline("plain text"), "plain text");
    }
}
