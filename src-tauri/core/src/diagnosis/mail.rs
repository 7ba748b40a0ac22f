//! What IMAP, POP and SMTP servers reply when something fails, and what it means: Exchange Online's texts
//! (`NO AUTHENTICATE failed.`, `User is authenticated but not connected.`, `535 5.7.139 …`) and Dovecot's and
//! Postfix's (`NO [AUTHENTICATIONFAILED] Authentication failed.`, `535 5.7.8 …`, the base64 JSON error challenge).
//!
//! The catalogue is an ordered table: the first entry whose protocol, words and variant (app-only, personal
//! account, any) fit the reply wins. `{mailbox}` and friends in its texts are filled in from the
//! [`MailContext`], so the PowerShell steps come ready to paste.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::links;
use super::{excerpt, one_line, Diagnosis, Fixer, Text, WAIT_A_FEW_MINUTES};

/// The mail protocol a reply came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailProtocol {
    Imap,
    Pop,
    Smtp,
}

impl MailProtocol {
    /// How Exchange names the protocol: its name, `Set-CASMailbox`'s switch for it, the delegated permission a
    /// user's token needs and the application permission an app-only token needs.
    fn words(self) -> [&'static str; 4] {
        match self {
            MailProtocol::Imap => [
                "IMAP",
                "-ImapEnabled $true",
                "IMAP.AccessAsUser.All",
                "IMAP.AccessAsApp",
            ],
            MailProtocol::Pop => [
                "POP",
                "-PopEnabled $true",
                "POP.AccessAsUser.All",
                "POP.AccessAsApp",
            ],
            MailProtocol::Smtp => [
                "SMTP",
                "-SmtpClientAuthenticationDisabled $false",
                "SMTP.Send",
                "SMTP.SendAsApp",
            ],
        }
    }

    fn name(self) -> &'static str {
        self.words()[0]
    }
}

impl fmt::Display for MailProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is known about the connection a reply came from; it fills the steps in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailContext<'a> {
    /// The mailbox being opened (the `user=` of XOAUTH2: a shared mailbox's address when acting on one).
    pub mailbox: Option<&'a str>,
    /// The token is app-only (client credentials): Exchange needs a service principal and mailbox permissions.
    pub app_only: bool,
    /// The app registration's Application (client) ID, for `New-ServicePrincipal`.
    pub client_id: Option<&'a str>,
}

impl MailContext<'_> {
    /// An Outlook.com / Hotmail / Live / MSN address: a personal Microsoft account, whose owner turns IMAP and
    /// POP on in Outlook.com's settings (no admin).
    pub fn is_personal(&self) -> bool {
        self.mailbox.is_some_and(crate::handoff::is_personal_address)
    }
}

/// Which situations an entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// The token is app-only.
    AppOnly,
    /// The mailbox is a personal Microsoft account.
    Personal,
    /// Any (the general entry, and the one `explain` shows).
    Any,
}

struct Entry {
    /// `{PROTO}` becomes `IMAP`, `POP` or `SMTP`.
    code: &'static str,
    protocols: &'static [MailProtocol],
    /// Lower-case words that must all be in the reply. An SMTP enhanced code is matched exactly, written
    /// `[smtp 5.7.3]` (so `5.7.3` doesn't match `5.7.30`).
    all: &'static [&'static str],
    /// Lower-case words of which at least one must be in the reply (none: no condition).
    any: &'static [&'static str],
    variant: Variant,
    text: Text,
}

/// How IMAP and POP servers say a token was refused (Exchange, Dovecot), or the error challenge they sent first.
const TOKEN_REFUSED_WORDS: &[&str] = &[
    "authenticate failed",
    "authenticationfailed",
    "authentication failed",
    "authentication failure",
    "challenge-status:",
];

const IMAP: MailProtocol = MailProtocol::Imap;
const POP: MailProtocol = MailProtocol::Pop;
const SMTP: MailProtocol = MailProtocol::Smtp;
const ALL: &[MailProtocol] = &[IMAP, POP, SMTP];

const TEST_AGAIN: &str = "Settings like these can take up to an hour to apply; then test the account again.";
const CONNECT_EXO: &str = "Your IT admin opens Exchange Online PowerShell: Connect-ExchangeOnline.";
const NEW_SERVICE_PRINCIPAL: &str = "Register the app with Exchange Online (once per organisation): \
    New-ServicePrincipal -AppId {client_id} -ObjectId <the Object ID shown under Enterprise applications › the \
    app, not the one under App registrations>.";
const MAILBOX_PERMISSION: &str =
    "Give the app access to the mailbox: Add-MailboxPermission -Identity {mailbox} \
    -User <the service principal's ID from New-ServicePrincipal> -AccessRights FullAccess.";
const APP_PERMISSION: &str = "Check that the app registration has the {app_scope} application permission (API \
    permissions › APIs my organization uses › Office 365 Exchange Online) with admin consent granted, and that \
    Mailgrant asks for https://outlook.office365.com/.default.";
const USE_TOKEN: &str =
    "Set up the mail program to sign in with OAuth2 (XOAUTH2) and to take the token from \
                         Mailgrant (Use this mailbox shows how) instead of a password.";

const TOKEN_REFUSED: Text = Text {
    title: "The mail server refused the sign-in token",
    explanation: "The {PROTO} server didn't accept the token Mailgrant sent for {mailbox_name}. The usual reasons: \
                  the account signed in to Microsoft is not the mailbox being opened, the token doesn't carry \
                  {PROTO} permission (the app registration or the sign-in didn't include it), the token has \
                  expired, or {PROTO} is turned off for the mailbox.",
    fixer: Fixer::You,
    steps: &[
        "Test the account again: its token check shows whom the token is for and which permissions it \
         carries.",
        "Make sure the account signed in as {mailbox} (or, for a shared mailbox, as a user with Full Access to \
         it). If not, sign in again with the right account.",
        "Make sure the app registration has the {scope} delegated permission (API permissions › Microsoft Graph), \
         then sign in again so the token carries it.",
        "If all of that is right, your IT admin checks that {PROTO} is turned on for the mailbox: \
         Set-CASMailbox -Identity {mailbox} {cas_switch}.",
    ],
    links: &[links::APP_REGISTRATIONS, links::EXO_POWERSHELL],
    retryable: false,
};

const APP_TOKEN_REFUSED: Text = Text {
    title: "The mail server refused the app's token",
    explanation:
        "With app-only access, Exchange Online has to know the app (as a 'service principal') and the app \
                  needs permission on each mailbox. The {PROTO} server refused the app's token for \
                  {mailbox_name}, so one of those is missing, or the token doesn't carry {app_scope}.",
    fixer: Fixer::ItAdmin,
    steps: &[
        CONNECT_EXO,
        NEW_SERVICE_PRINCIPAL,
        MAILBOX_PERMISSION,
        APP_PERMISSION,
        TEST_AGAIN,
    ],
    links: &[links::EXO_OAUTH, links::ENTERPRISE_APPS, links::EXO_POWERSHELL],
    retryable: false,
};

const PASSWORD_USED: Text = Text {
    title: "The mail program tried a password instead of a Microsoft sign-in",
    explanation:
        "Microsoft no longer accepts passwords for {PROTO} (basic authentication). The program logged in \
                  with a user name and password instead of a sign-in token.",
    fixer: Fixer::You,
    steps: &[
        USE_TOKEN,
        "If the program can't do OAuth2, it can't use this Microsoft mailbox; pick one that can.",
    ],
    links: &[],
    retryable: false,
};

const SEND_AS_DENIED: Text = Text {
    title: "Not allowed to send from {sender_name}",
    explanation:
        "An account may only send from its own mailbox and from addresses it has been given 'Send As' \
                  permission for. The message's From address{sender_clause} is neither.",
    fixer: Fixer::You,
    steps: &[
        "Send with {mailbox} as the From address (the mailbox the account signed in as).",
        "Or your IT admin gives {mailbox} permission to send as {sender}, in Exchange Online PowerShell: \
         Add-RecipientPermission -Identity {sender} -Trustee {mailbox} -AccessRights SendAs.",
        "Permissions can take up to an hour to apply.",
    ],
    links: &[links::EXO_POWERSHELL, links::EXCHANGE_ADMIN],
    retryable: false,
};

const SENDER_BLOCKED: Text = Text {
    title: "This account has been blocked from sending mail",
    explanation: "Microsoft stopped {mailbox_name} from sending mail, usually because it sent messages that looked \
                  like spam, which can mean the account was misused.",
    fixer: Fixer::ItAdmin,
    steps: &[
        "Your IT admin opens the Microsoft Defender portal › Restricted entities and checks why the account was \
         blocked.",
        "If the account may have been misused, they reset its password and sign it out everywhere before \
         unblocking it.",
        "Then they remove the block; sending works again after a while.",
    ],
    links: &[links::RESTRICTED_ENTITIES],
    retryable: false,
};

const NOT_CONNECTED: Text = Text {
    title: "Signed in, but the mailbox can't be opened over {PROTO}",
    explanation: "The server accepted the sign-in and then refused to open {mailbox_name}. Most often {PROTO} is \
                  turned off for this mailbox. It also happens when the account opens a mailbox it has no access \
                  to, such as a shared mailbox without Full Access.",
    fixer: Fixer::ItAdmin,
    steps: &[
        "Your IT admin turns {PROTO} on for the mailbox, in Exchange Online PowerShell: Connect-ExchangeOnline, \
         then Set-CASMailbox -Identity {mailbox} {cas_switch}.",
        "Or in the Microsoft 365 admin center: Users › Active users › {mailbox} › Mail › Manage email apps › \
         tick {PROTO} › Save changes.",
        "If the account opens a shared mailbox, your IT admin gives the signed-in user Full Access: \
         Add-MailboxPermission -Identity {mailbox} -User <signed-in user> -AccessRights FullAccess.",
        "If this is a personal Outlook.com or Hotmail mailbox, turn {PROTO} on yourself instead: Outlook.com › \
         Settings › Mail › Forwarding and IMAP.",
        TEST_AGAIN,
    ],
    links: &[links::EXO_POWERSHELL, links::ACTIVE_USERS, links::OUTLOOK_COM_SETTINGS],
    retryable: false,
};

/// Every mail reply Mailgrant explains. Order matters: specific entries first.
static CATALOGUE: &[Entry] = &[
    // ---------------------------------------------------------------- the decoded error challenge
    Entry {
        code: "{PROTO}_TOKEN_SCOPE",
        protocols: ALL,
        all: &[],
        any: &["challenge-status:insufficient_scope", "challenge-status:403"],
        variant: Variant::Any,
        text: Text {
            title: "The token doesn't allow {PROTO}",
            explanation: "The server said the token is valid but lacks the permission for this kind of access.",
            fixer: Fixer::AppOwner,
            steps: &[
                "In the Entra admin center open App registrations › your app › API permissions and add {scope} \
                 (Microsoft Graph › Delegated permissions), or {app_scope} for app-only access, with admin consent \
                 if needed.",
                "Sign in again so the token carries it.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- SMTP: authenticated SMTP turned off
    Entry {
        code: "SMTP 5.7.139",
        protocols: &[SMTP],
        all: &["[smtp 5.7.139]", "disabled for the tenant"],
        any: &[],
        variant: Variant::Any,
        text: Text {
            title: "Authenticated SMTP is turned off for your organisation",
            explanation: "Exchange Online refuses to accept mail from programs that sign in over SMTP, because \
                          'SMTP AUTH' is turned off for the whole organisation. The sign-in itself was fine.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Your IT admin turns it on for the organisation, in Exchange Online PowerShell: \
                 Connect-ExchangeOnline, then Set-TransportConfig -SmtpClientAuthenticationDisabled $false.",
                "Or, to allow only this mailbox: Set-CASMailbox -Identity {mailbox} \
                 -SmtpClientAuthenticationDisabled $false (a mailbox setting wins over the organisation's).",
                "If Security defaults are on in Entra, they block authenticated SMTP too; your IT admin checks \
                 Entra admin center › Overview › Properties › Manage security defaults.",
                TEST_AGAIN,
            ],
            links: &[links::SMTP_AUTH_DISABLED, links::EXO_POWERSHELL],
            retryable: false,
        },
    },
    Entry {
        code: "SMTP 5.7.139",
        protocols: &[SMTP],
        all: &["[smtp 5.7.139]", "disabled for the mailbox"],
        any: &[],
        variant: Variant::Any,
        text: Text {
            title: "Authenticated SMTP is turned off for this mailbox",
            explanation: "Exchange Online refuses to accept mail from programs that sign in over SMTP for \
                          {mailbox_name}, because 'Authenticated SMTP' is turned off for this mailbox. The sign-in \
                          itself was fine.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Your IT admin turns it on, in Exchange Online PowerShell: Connect-ExchangeOnline, then \
                 Set-CASMailbox -Identity {mailbox} -SmtpClientAuthenticationDisabled $false.",
                "Or in the Microsoft 365 admin center: Users › Active users › {mailbox} › Mail › Manage email \
                 apps › tick Authenticated SMTP › Save changes.",
                TEST_AGAIN,
            ],
            links: &[links::SMTP_AUTH_DISABLED, links::ACTIVE_USERS, links::EXO_POWERSHELL],
            retryable: false,
        },
    },
    Entry {
        code: "SMTP 5.7.139",
        protocols: &[SMTP],
        all: &["[smtp 5.7.139]", "security defaults"],
        any: &[],
        variant: Variant::Any,
        text: Text {
            title: "Your organisation's security defaults block this sign-in",
            explanation: "Security defaults, a set of protections your organisation has turned on in Entra, block \
                          this kind of SMTP sign-in.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Make sure the mail program signs in with OAuth2 (XOAUTH2, with a token from Mailgrant), not \
                 with a password.",
                "If it already does, your IT admin reviews Entra admin center › Overview › Properties › Manage \
                 security defaults, or replaces them with Conditional Access policies that allow it.",
            ],
            links: &[links::ENTRA, links::SMTP_AUTH_DISABLED],
            retryable: false,
        },
    },
    Entry {
        code: "SMTP 5.7.139",
        protocols: &[SMTP],
        all: &["[smtp 5.7.139]", "basic authentication is disabled"],
        any: &[],
        variant: Variant::Any,
        text: PASSWORD_USED,
    },
    Entry {
        code: "SMTP 5.7.139",
        protocols: &[SMTP],
        all: &["[smtp 5.7.139]"],
        any: &[],
        variant: Variant::Any,
        text: Text {
            title: "Exchange Online refused the SMTP sign-in",
            explanation: "Exchange Online didn't let this program sign in over SMTP. Usually authenticated SMTP is \
                          turned off, for the whole organisation or for this mailbox (the server's reply says \
                          which), or an organisation policy blocks the sign-in.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "If the reply mentions the Tenant, your IT admin runs Set-TransportConfig \
                 -SmtpClientAuthenticationDisabled $false in Exchange Online PowerShell.",
                "If it mentions the Mailbox, your IT admin runs Set-CASMailbox -Identity {mailbox} \
                 -SmtpClientAuthenticationDisabled $false, or ticks Authenticated SMTP under Microsoft 365 admin \
                 center › Users › Active users › {mailbox} › Mail › Manage email apps.",
                "Otherwise your IT admin looks up the sign-in in Entra admin center › Sign-in logs to see which \
                 policy refused it.",
            ],
            links: &[links::SMTP_AUTH_DISABLED, links::ACTIVE_USERS, links::SIGN_IN_LOGS],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- SMTP: the token refused
    Entry {
        code: "SMTP 5.7.3",
        protocols: &[SMTP],
        all: &["[smtp 5.7.3]"],
        any: &[],
        variant: Variant::AppOnly,
        text: Text {
            title: "The mail server refused the app's token",
            explanation: "With app-only access, Exchange Online has to know the app (as a 'service principal') and \
                          the app needs permission on the mailbox it sends from. Exchange refused the app's token \
                          for {mailbox_name}, so one of those is missing, or the token doesn't carry \
                          SMTP.SendAsApp.",
            fixer: Fixer::ItAdmin,
            steps: &[
                CONNECT_EXO,
                NEW_SERVICE_PRINCIPAL,
                MAILBOX_PERMISSION,
                "To send as the mailbox: Add-RecipientPermission -Identity {mailbox} -Trustee <the service \
                 principal's ID> -AccessRights SendAs.",
                APP_PERMISSION,
                "Check that authenticated SMTP is on for the mailbox: Set-CASMailbox -Identity {mailbox} \
                 -SmtpClientAuthenticationDisabled $false.",
                TEST_AGAIN,
            ],
            links: &[links::EXO_OAUTH, links::ENTERPRISE_APPS, links::SMTP_AUTH_DISABLED],
            retryable: false,
        },
    },
    Entry {
        code: "SMTP 5.7.3",
        protocols: &[SMTP],
        all: &["[smtp 5.7.3]"],
        any: &[],
        variant: Variant::Any,
        text: Text {
            title: "The mail server refused the sign-in token",
            explanation: "Exchange Online didn't accept the token Mailgrant sent for {mailbox_name}. The usual \
                          reasons: the account signed in to Microsoft is not the mailbox sending the mail, the \
                          token doesn't carry the SMTP.Send permission, the token has expired, or authenticated \
                          SMTP is turned off for the mailbox.",
            fixer: Fixer::You,
            steps: &[
                "Test the account's SMTP again: its token check shows whom the token is for and which \
                 permissions it carries.",
                "Make sure the account signed in as {mailbox}. If not, sign in again with the right account.",
                "Make sure SMTP is among the account's services in Mailgrant and the app registration has the \
                 SMTP.Send delegated permission (API permissions › Microsoft Graph); then sign in again.",
                "If all of that is right, your IT admin checks that authenticated SMTP is on for the mailbox: \
                 Set-CASMailbox -Identity {mailbox} -SmtpClientAuthenticationDisabled $false.",
            ],
            links: &[links::APP_REGISTRATIONS, links::SMTP_AUTH_DISABLED],
            retryable: false,
        },
    },
    Entry {
        code: "SMTP 5.7.8",
        protocols: &[SMTP],
        all: &["[smtp 5.7.8]"],
        any: &[],
        variant: Variant::Any,
        text: Text {
            title: "The mail server refused the sign-in token",
            explanation: "The SMTP server didn't accept the token Mailgrant sent for {mailbox_name}: it is expired, \
                          was revoked, is for a different user, or isn't one this server accepts.",
            fixer: Fixer::You,
            steps: &[
                "Test the account's SMTP again: its token check shows whom the token is for.",
                "Make sure the account signed in as {mailbox}; if not, sign in again with the right account.",
                "If it still fails, ask whoever runs the mail server which tokens it accepts.",
            ],
            links: &[],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- SMTP: other refusals
    Entry {
        code: "SMTP 5.7.30",
        protocols: &[SMTP],
        all: &["[smtp 5.7.30]"],
        any: &[],
        variant: Variant::Any,
        text: PASSWORD_USED,
    },
    Entry {
        code: "SMTP 5.7.57",
        protocols: &[SMTP],
        all: &["[smtp 5.7.57]"],
        any: &[],
        variant: Variant::Any,
        text: Text {
            title: "The mail program tried to send without signing in",
            explanation: "Exchange Online only accepts mail from programs that have signed in, and this one tried \
                          to send without doing so. Often the program didn't start encryption (STARTTLS) first, \
                          which the server requires before it offers sign-in.",
            fixer: Fixer::You,
            steps: &[
                "In the mail program, use port 587 with STARTTLS, and turn authentication on.",
                USE_TOKEN,
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        code: "SMTP 5.2.252",
        protocols: &[SMTP],
        all: &["[smtp 5.2.252]"],
        any: &[],
        variant: Variant::Any,
        text: SEND_AS_DENIED,
    },
    Entry {
        code: "SMTP 5.7.60",
        protocols: &[SMTP],
        all: &["[smtp 5.7.60]"],
        any: &[],
        variant: Variant::Any,
        text: SEND_AS_DENIED,
    },
    Entry {
        code: "SMTP 5.1.8",
        protocols: &[SMTP],
        all: &["[smtp 5.1.8]"],
        any: &[],
        variant: Variant::Any,
        text: SENDER_BLOCKED,
    },
    Entry {
        code: "SMTP 5.2.0",
        protocols: &[SMTP],
        all: &["outboundspamexception"],
        any: &[],
        variant: Variant::Any,
        text: SENDER_BLOCKED,
    },
    Entry {
        code: "SMTP 5.3.4",
        protocols: &[SMTP],
        all: &["[smtp 5.3.4]"],
        any: &[],
        variant: Variant::Any,
        text: Text {
            title: "The message is too big",
            explanation: "The message, with its attachments, is larger than the server accepts.",
            fixer: Fixer::You,
            steps: &["Send smaller attachments, or share large files as links instead."],
            links: &[],
            retryable: false,
        },
    },
    // ---------------------------------------------------------------- the identity provider is down
    Entry {
        code: "{PROTO}_AUTH_UNAVAILABLE",
        protocols: ALL,
        all: &[],
        any: &["temporary authentication failure", "[unavailable]"],
        variant: Variant::Any,
        text: Text::microsoft_trouble(
            "The mail server can't check sign-ins right now",
            "The {PROTO} server couldn't check the token, because the service it asks is not \
                          answering. Nothing is wrong with the account.",
            &[
                WAIT_A_FEW_MINUTES,
                "If it lasts, tell whoever runs the mail server (for Microsoft 365, check the service status page).",
            ],
        ),
    },
    // ---------------------------------------------------------------- IMAP/POP: signed in, mailbox closed
    Entry {
        code: "{PROTO}_NOT_CONNECTED",
        protocols: &[IMAP, POP],
        all: &["authenticated but not connected"],
        any: &[],
        variant: Variant::AppOnly,
        text: Text {
            title: "The app is signed in but has no access to this mailbox",
            explanation: "With app-only access, Exchange Online has to know the app (as a 'service principal') and \
                          the app needs permission on each mailbox. The sign-in worked, but {mailbox_name} refused \
                          the app, so the mailbox permission (or the service principal) is missing, or {PROTO} is \
                          turned off for the mailbox.",
            fixer: Fixer::ItAdmin,
            steps: &[
                CONNECT_EXO,
                NEW_SERVICE_PRINCIPAL,
                MAILBOX_PERMISSION,
                "Make sure {PROTO} is on for the mailbox: Set-CASMailbox -Identity {mailbox} {cas_switch}.",
                TEST_AGAIN,
            ],
            links: &[links::EXO_OAUTH, links::ENTERPRISE_APPS, links::EXO_POWERSHELL],
            retryable: false,
        },
    },
    Entry {
        code: "{PROTO}_NOT_CONNECTED",
        protocols: &[IMAP, POP],
        all: &["authenticated but not connected"],
        any: &[],
        variant: Variant::Personal,
        text: Text {
            title: "{PROTO} is turned off for this Outlook.com mailbox",
            explanation: "The sign-in worked, but Outlook.com doesn't let programs open {mailbox_name} over {PROTO} \
                          until you turn that on. For new Outlook.com and Hotmail mailboxes it is off.",
            fixer: Fixer::You,
            steps: &[
                "Sign in at outlook.com and open Settings › Mail › Forwarding and IMAP.",
                "Turn on 'Let devices and apps use {PROTO}' and save.",
                "Test the account again.",
            ],
            links: &[links::OUTLOOK_COM_SETTINGS, links::OUTLOOK_COM_HELP],
            retryable: false,
        },
    },
    Entry {
        code: "{PROTO}_NOT_CONNECTED",
        protocols: &[IMAP, POP],
        all: &["authenticated but not connected"],
        any: &[],
        variant: Variant::Any,
        text: NOT_CONNECTED,
    },
    // ---------------------------------------------------------------- IMAP/POP: a password was used
    Entry {
        code: "{PROTO}_PASSWORD_LOGIN",
        protocols: &[IMAP, POP],
        all: &[],
        any: &["login failed", "logon failure"],
        variant: Variant::Any,
        text: PASSWORD_USED,
    },
    // ---------------------------------------------------------------- IMAP/POP: the token refused
    Entry {
        code: "{PROTO}_AUTH_FAILED",
        protocols: &[IMAP, POP],
        all: &[],
        any: TOKEN_REFUSED_WORDS,
        variant: Variant::AppOnly,
        text: APP_TOKEN_REFUSED,
    },
    Entry {
        code: "{PROTO}_AUTH_FAILED",
        protocols: &[IMAP, POP],
        all: &[],
        any: TOKEN_REFUSED_WORDS,
        variant: Variant::Any,
        text: TOKEN_REFUSED,
    },
    // SMTP with only an error challenge (the final reply not seen).
    Entry {
        code: "SMTP_AUTH_FAILED",
        protocols: &[SMTP],
        all: &["challenge-status:"],
        any: &[],
        variant: Variant::Any,
        text: TOKEN_REFUSED,
    },
];

const REFUSED: Text = Text {
    title: "The {PROTO} server said no",
    explanation: "The server refused what Mailgrant asked, with a reply this catalogue doesn't know.",
    fixer: Fixer::You,
    steps: &[
        "Try again.",
        "If it keeps failing, look up the server's reply (in the details below) or give it to whoever runs the \
         mail server.",
    ],
    links: &[],
    retryable: false,
};

const SMTP_TEMPORARY: Text = Text::microsoft_trouble(
    "The mail server is busy or having trouble",
    "The SMTP server answered with a temporary error: it can't handle the request right now, but \
                  expects to later.",
    &[WAIT_A_FEW_MINUTES],
);

impl Diagnosis {
    /// The diagnosis of a mail server's refusal. `reply` is the server's text (one line or several: an error
    /// challenge, base64 or already decoded, may come before the final line); `context` fills the steps in.
    pub fn from_mail_reply(protocol: MailProtocol, reply: &str, context: &MailContext<'_>) -> Diagnosis {
        let challenges: Vec<Challenge> = reply.lines().filter_map(Challenge::parse).collect();
        let mut haystack = reply.to_ascii_lowercase();
        for challenge in &challenges {
            haystack.push_str("\nchallenge-status:");
            haystack.push_str(&challenge.status.to_ascii_lowercase());
        }
        for code in enhanced_statuses(reply) {
            haystack.push_str(&format!("\n[smtp {code}]"));
        }
        let enhanced = enhanced_status(reply);
        let sender = send_as_pair(reply);
        let mailbox = context.mailbox.or(sender.as_ref().map(|(user, _)| user.as_str()));
        let vars = Vars::new(
            protocol,
            mailbox,
            context.client_id,
            sender.as_ref().map(|(_, s)| s.as_str()),
        );

        let entry = CATALOGUE.iter().find(|e| {
            e.protocols.contains(&protocol)
                && e.all.iter().all(|w| haystack.contains(w))
                && (e.any.is_empty() || e.any.iter().any(|w| haystack.contains(w)))
                && match e.variant {
                    Variant::AppOnly => context.app_only,
                    Variant::Personal => context.is_personal(),
                    Variant::Any => true,
                }
        });
        let mut d = match entry {
            Some(entry) => entry.text.render(vars.fill(entry.code), &vars.pairs()),
            None => fallback(protocol, reply, enhanced.as_deref(), &vars),
        };
        if let Some(challenge) = challenges.first() {
            d.explanation = format!("{} {}", d.explanation, challenge.sentence());
        }
        let mut server_reply = excerpt(reply.trim(), 500);
        for challenge in &challenges {
            if !server_reply.contains(&challenge.json) {
                server_reply = format!("{server_reply}\n(challenge decoded: {})", challenge.json);
            }
        }
        d.raw.server_reply = Some(server_reply).filter(|r| !r.is_empty());
        d
    }
}

fn fallback(protocol: MailProtocol, reply: &str, enhanced: Option<&str>, vars: &Vars<'_>) -> Diagnosis {
    let basic = (protocol == SMTP).then(|| basic_code(reply)).flatten();
    let code = match (protocol, enhanced, basic) {
        (MailProtocol::Smtp, Some(enhanced), _) => format!("SMTP {enhanced}"),
        (MailProtocol::Smtp, None, Some(basic)) => format!("SMTP {basic}"),
        _ => format!("{}_REFUSED", protocol.name()),
    };
    let temporary = enhanced.is_some_and(|e| e.starts_with('4')) || basic.is_some_and(|b| b.starts_with('4'));
    let text = if temporary { SMTP_TEMPORARY } else { REFUSED };
    let mut d = text.render(code, &vars.pairs());
    let said = excerpt(&one_line(reply), 300);
    if !said.is_empty() {
        d.explanation = format!("{} The server said: \"{said}\"", d.explanation);
    }
    d
}

/// The values `{name}` placeholders take.
struct Vars<'a> {
    protocol: MailProtocol,
    mailbox: Option<&'a str>,
    client_id: Option<&'a str>,
    sender: Option<&'a str>,
    /// `, boss@contoso.com,` or nothing.
    sender_clause: String,
}

impl<'a> Vars<'a> {
    fn new(
        protocol: MailProtocol,
        mailbox: Option<&'a str>,
        client_id: Option<&'a str>,
        sender: Option<&'a str>,
    ) -> Self {
        let present = |v: Option<&'a str>| v.map(str::trim).filter(|v| !v.is_empty());
        let sender = present(sender);
        Self {
            protocol,
            mailbox: present(mailbox),
            client_id: present(client_id),
            sender,
            sender_clause: sender.map(|s| format!(", {s},")).unwrap_or_default(),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        let [name, cas_switch, scope, app_scope] = self.protocol.words();
        vec![
            ("PROTO", name),
            ("mailbox_name", self.mailbox.unwrap_or("the mailbox")),
            ("mailbox", self.mailbox.unwrap_or("<mailbox address>")),
            ("cas_switch", cas_switch),
            ("scope", scope),
            ("app_scope", app_scope),
            ("client_id", self.client_id.unwrap_or("<Application (client) ID>")),
            ("sender_name", self.sender.unwrap_or("that address")),
            ("sender_clause", self.sender_clause.as_str()),
            ("sender", self.sender.unwrap_or("<From address>")),
        ]
    }

    fn fill(&self, template: &str) -> String {
        super::fill(template, &self.pairs())
    }
}

/// An XOAUTH2 / OAUTHBEARER error challenge: `+ eyJzdGF0dXMiOi…` (IMAP, POP), `334 eyJ…` (SMTP), or its
/// decoded JSON.
struct Challenge {
    json: String,
    status: String,
}

impl Challenge {
    fn parse(line: &str) -> Option<Challenge> {
        let json = decode_challenge(line)?;
        let value: Value = serde_json::from_str(&json).ok()?;
        let status = match value.get("status")? {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return None,
        };
        Some(Challenge { json, status })
    }

    fn sentence(&self) -> String {
        let meaning = match self.status.to_ascii_lowercase().as_str() {
            "401" | "invalid_token" => "the token is invalid, has expired, or is for a different user",
            "400" | "invalid_request" => "the sign-in request was malformed",
            "403" | "insufficient_scope" => "the token lacks the permission needed",
            _ => "see the details",
        };
        format!(
            "Before refusing, the server explained (status {}): {meaning}.",
            self.status
        )
    }
}

/// The JSON of an error challenge line (`+ <base64>`, `334 <base64>`, bare base64, or JSON as is).
pub fn decode_challenge(line: &str) -> Option<String> {
    let mut text = line.trim();
    for prefix in ["334 ", "334-", "+ ", "+"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.trim();
            break;
        }
    }
    if text.starts_with('{') {
        return serde_json::from_str::<Value>(text).ok().map(|_| text.to_owned());
    }
    if text.len() < 8
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
    {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
        .ok()?;
    let decoded = String::from_utf8(bytes).ok()?;
    let decoded = decoded.trim();
    (decoded.starts_with('{') && serde_json::from_str::<Value>(decoded).is_ok()).then(|| decoded.to_owned())
}

/// The first enhanced status code (`5.7.139`) in a text.
pub(crate) fn enhanced_status(text: &str) -> Option<String> {
    enhanced_statuses(text).into_iter().next()
}

/// Every enhanced status code (`5.7.139`) in a text, in order.
fn enhanced_statuses(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ';' | ',' | '(' | ')' | '[' | ']' | '#'))
        .map(|token| token.trim_end_matches([':', '.']))
        .filter(|token| {
            let parts: Vec<&str> = token.split('.').collect();
            parts.len() == 3
                && matches!(parts[0], "2" | "4" | "5")
                && parts[1..]
                    .iter()
                    .all(|p| (1..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_owned)
        .collect()
}

/// The reply code (`535`) of the last line that has one.
fn basic_code(reply: &str) -> Option<&str> {
    reply.lines().rev().find_map(|line| {
        let code = line.trim().get(..3)?;
        (code.chars().all(|c| c.is_ascii_digit()) && matches!(code.as_bytes()[0], b'4' | b'5'))
            .then_some(code)
    })
}

/// `(user, sender)` from Exchange's `… user@x not allowed to send as other@y; …`.
fn send_as_pair(reply: &str) -> Option<(String, String)> {
    let lower = reply.to_ascii_lowercase();
    let at = lower.find(" not allowed to send as ")?;
    let user = reply[..at]
        .split(|c: char| c.is_whitespace() || c == ';')
        .next_back()?
        .trim();
    let rest = &reply[at + " not allowed to send as ".len()..];
    let sender = rest.split(|c: char| c.is_whitespace() || c == ';').next()?.trim();
    (user.contains('@') && sender.contains('@')).then(|| (user.to_owned(), sender.to_owned()))
}

/// An SMTP enhanced code's general entry (`5.7.139`), for `mailgrant explain`.
pub(crate) fn explain_smtp(enhanced: &str) -> Option<Diagnosis> {
    explain_named(&format!("SMTP {enhanced}"))
}

/// A named mail code's general entry (`IMAP_NOT_CONNECTED`, `SMTP 5.7.3`), for `mailgrant explain`.
pub(crate) fn explain_named(upper: &str) -> Option<Diagnosis> {
    CATALOGUE
        .iter()
        .rev()
        .filter(|e| e.variant == Variant::Any)
        .find_map(|e| {
            e.protocols.iter().find_map(|&protocol| {
                let vars = Vars::new(protocol, None, None, None);
                let code = vars.fill(e.code);
                (code.eq_ignore_ascii_case(upper)).then(|| e.text.render(code, &vars.pairs()))
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work() -> MailContext<'static> {
        MailContext {
            mailbox: Some("anna@contoso.com"),
            ..MailContext::default()
        }
    }

    fn all_text(d: &Diagnosis) -> String {
        format!("{}\n{}\n{}", d.title, d.explanation, d.steps.join("\n"))
    }

    #[test]
    fn exchange_imap_refusal() {
        let d = Diagnosis::from_mail_reply(IMAP, "A01 NO AUTHENTICATE failed.", &work());
        assert_eq!(d.code, "IMAP_AUTH_FAILED");
        assert_eq!(d.fixer, Fixer::You);
        let text = all_text(&d);
        assert!(text.contains("IMAP.AccessAsUser.All"), "{text}");
        assert!(
            text.contains("Set-CASMailbox -Identity anna@contoso.com -ImapEnabled $true"),
            "{text}"
        );
        assert_eq!(d.raw.server_reply.as_deref(), Some("A01 NO AUTHENTICATE failed."));

        let app = MailContext {
            app_only: true,
            client_id: Some("11111111-2222-3333-4444-555555555555"),
            ..work()
        };
        let d = Diagnosis::from_mail_reply(IMAP, "A01 NO AUTHENTICATE failed.", &app);
        assert_eq!(d.code, "IMAP_AUTH_FAILED");
        assert_eq!(d.fixer, Fixer::ItAdmin);
        let text = all_text(&d);
        assert!(
            text.contains("New-ServicePrincipal -AppId 11111111-2222-3333-4444-555555555555"),
            "{text}"
        );
        assert!(
            text.contains("Add-MailboxPermission -Identity anna@contoso.com"),
            "{text}"
        );
        assert!(text.contains("IMAP.AccessAsApp"), "{text}");
    }

    #[test]
    fn authenticated_but_not_connected() {
        let d = Diagnosis::from_mail_reply(IMAP, "A02 NO User is authenticated but not connected.", &work());
        assert_eq!(d.code, "IMAP_NOT_CONNECTED");
        assert_eq!(d.fixer, Fixer::ItAdmin);
        let text = all_text(&d);
        assert!(
            text.contains("Set-CASMailbox -Identity anna@contoso.com -ImapEnabled $true"),
            "{text}"
        );
        assert!(
            text.contains("Active users › anna@contoso.com › Mail › Manage email apps"),
            "{text}"
        );

        let d = Diagnosis::from_mail_reply(POP, "-ERR User is authenticated but not connected.", &work());
        assert_eq!(d.code, "POP_NOT_CONNECTED");
        assert!(all_text(&d).contains("Set-CASMailbox -Identity anna@contoso.com -PopEnabled $true"));

        let personal = MailContext {
            mailbox: Some("someone@outlook.com"),
            ..MailContext::default()
        };
        let d =
            Diagnosis::from_mail_reply(IMAP, "A02 NO User is authenticated but not connected.", &personal);
        assert_eq!(d.code, "IMAP_NOT_CONNECTED");
        assert_eq!(d.fixer, Fixer::You);
        assert!(all_text(&d).contains("Settings › Mail › Forwarding and IMAP"));
        assert!(d
            .links
            .iter()
            .any(|l| l.url.starts_with("https://outlook.live.com/")));

        let app = MailContext {
            app_only: true,
            ..work()
        };
        let d = Diagnosis::from_mail_reply(IMAP, "A02 NO User is authenticated but not connected.", &app);
        assert_eq!(d.fixer, Fixer::ItAdmin);
        assert!(all_text(&d).contains("Add-MailboxPermission -Identity anna@contoso.com"));

        // No mailbox known: the commands keep a placeholder to fill in.
        let d = Diagnosis::from_mail_reply(
            IMAP,
            "NO User is authenticated but not connected.",
            &MailContext::default(),
        );
        assert!(all_text(&d).contains("Set-CASMailbox -Identity <mailbox address> -ImapEnabled $true"));
    }

    #[test]
    fn smtp_auth_disabled_for_the_tenant_or_the_mailbox() {
        let tenant = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. \
                      Visit https://aka.ms/smtp_auth_disabled for more information. [MN2PR01CA0001.prod.outlook.com]";
        let d = Diagnosis::from_mail_reply(SMTP, tenant, &work());
        assert_eq!(d.code, "SMTP 5.7.139");
        assert_eq!(d.fixer, Fixer::ItAdmin);
        assert_eq!(d.title, "Authenticated SMTP is turned off for your organisation");
        assert!(all_text(&d).contains("Set-TransportConfig -SmtpClientAuthenticationDisabled $false"));
        assert!(d
            .links
            .iter()
            .any(|l| l.url == "https://aka.ms/smtp_auth_disabled"));

        let mailbox =
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. \
                       Visit https://aka.ms/smtp_auth_disabled for more information.";
        let d = Diagnosis::from_mail_reply(SMTP, mailbox, &work());
        assert_eq!(d.code, "SMTP 5.7.139");
        assert_eq!(d.title, "Authenticated SMTP is turned off for this mailbox");
        let text = all_text(&d);
        assert!(
            text.contains(
                "Set-CASMailbox -Identity anna@contoso.com -SmtpClientAuthenticationDisabled $false"
            ),
            "{text}"
        );
        assert!(text.contains(
            "Active users › anna@contoso.com › Mail › Manage email apps › tick Authenticated SMTP"
        ));

        let basic = "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [X]";
        let d = Diagnosis::from_mail_reply(SMTP, basic, &work());
        assert_eq!(
            d.title,
            "The mail program tried a password instead of a Microsoft sign-in"
        );
    }

    #[test]
    fn other_exchange_smtp_replies() {
        let d = Diagnosis::from_mail_reply(
            SMTP,
            "535 5.7.3 Authentication unsuccessful [BN0PR04CA0001.namprd04.prod.outlook.com]",
            &work(),
        );
        assert_eq!(d.code, "SMTP 5.7.3");
        assert_eq!(d.fixer, Fixer::You);
        assert!(all_text(&d).contains("SMTP.Send"));
        assert!(all_text(&d)
            .contains("Set-CASMailbox -Identity anna@contoso.com -SmtpClientAuthenticationDisabled $false"));

        let app = MailContext {
            app_only: true,
            ..work()
        };
        let d = Diagnosis::from_mail_reply(SMTP, "535 5.7.3 Authentication unsuccessful", &app);
        assert_eq!(d.fixer, Fixer::ItAdmin);
        assert!(all_text(&d).contains("SMTP.SendAsApp"));

        let send_as = "554 5.2.252 SendAsDenied; anna@contoso.com not allowed to send as boss@contoso.com; \
                       STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied";
        let d = Diagnosis::from_mail_reply(SMTP, send_as, &MailContext::default());
        assert_eq!(d.code, "SMTP 5.2.252");
        assert_eq!(d.title, "Not allowed to send from boss@contoso.com");
        assert!(d
            .explanation
            .ends_with("The message's From address, boss@contoso.com, is neither."));
        assert!(all_text(&d)
            .contains("Add-RecipientPermission -Identity boss@contoso.com -Trustee anna@contoso.com -AccessRights SendAs"));

        let d = Diagnosis::from_mail_reply(SMTP, "554 5.2.252 SendAsDenied", &work());
        assert_eq!(d.title, "Not allowed to send from that address");
        assert!(d.explanation.ends_with("The message's From address is neither."));
        assert!(all_text(&d).contains("-Identity <From address> -Trustee anna@contoso.com"));

        let d = Diagnosis::from_mail_reply(
            SMTP,
            "550 5.7.30 Basic authentication is not supported for Client Submission.",
            &work(),
        );
        assert_eq!(d.code, "SMTP 5.7.30");
        assert!(
            all_text(&d).contains("take the token from Mailgrant"),
            "{}",
            all_text(&d)
        );

        let d =
            Diagnosis::from_mail_reply(SMTP, "530 5.7.57 Client not authenticated to send mail.", &work());
        assert_eq!(d.code, "SMTP 5.7.57");
    }

    /// Replies and the diagnosis each gets: its code, who fixes it, whether trying again may help, and phrases
    /// its title, explanation or steps must hold (for a mailbox of a work account, delegated sign-in).
    /// A reply, and its diagnosis's code, fixer, retryable and phrases.
    type Case = (
        MailProtocol,
        &'static str,
        &'static str,
        Fixer,
        bool,
        &'static [&'static str],
    );

    #[test]
    fn replies_of_exchange_dovecot_and_postfix() {
        use Fixer::{Microsoft, You};
        #[rustfmt::skip]
        let cases: &[Case] = &[
            // Exchange
            (POP, "-ERR Authentication failure: unknown user name or bad password.", "POP_AUTH_FAILED", You, false,
             &["POP.AccessAsUser.All", "Set-CASMailbox -Identity anna@contoso.com -PopEnabled $true"]),
            (POP, "-ERR Logon failure: unknown user name or bad password.", "POP_PASSWORD_LOGIN", You, false, &[]),
            (IMAP, "a1 NO LOGIN failed.", "IMAP_PASSWORD_LOGIN", You, false, &[]),
            // Dovecot and Postfix
            (IMAP, "a NO [AUTHENTICATIONFAILED] Authentication failed.", "IMAP_AUTH_FAILED", You, false, &[]),
            (POP, "-ERR [AUTH] Authentication failed.", "POP_AUTH_FAILED", You, false, &[]),
            (SMTP, "535 5.7.8 Error: authentication failed: (reason unavailable)", "SMTP 5.7.8", You, false, &[]),
            (IMAP, "a NO [UNAVAILABLE] Temporary authentication failure.", "IMAP_AUTH_UNAVAILABLE", Microsoft, true,
             &[]),
            // Unknown replies keep their text.
            (SMTP, "451 4.3.2 Please try again later", "SMTP 4.3.2", Microsoft, true, &[]),
            (SMTP, "550 Something odd", "SMTP 550", You, false, &["\"550 Something odd\""]),
            (IMAP, "a BAD Command unknown", "IMAP_REFUSED", You, false, &[]),
        ];
        for &(service, reply, code, fixer, retryable, phrases) in cases {
            let d = Diagnosis::from_mail_reply(service, reply, &work());
            let text = all_text(&d);
            assert_eq!(
                (d.code.as_str(), d.fixer, d.retryable),
                (code, fixer, retryable),
                "{reply}"
            );
            for phrase in phrases {
                assert!(text.contains(phrase), "{reply}: {phrase} not in {text}");
            }
        }
    }

    #[test]
    fn error_challenges_are_decoded() {
        let b64 = |json: &str| base64::engine::general_purpose::STANDARD.encode(json);
        let xoauth2 = r#"{"status":"401","schemes":"bearer","scope":"mail"}"#;
        let reply = format!(
            "+ {}\na NO [AUTHENTICATIONFAILED] Authentication failed.",
            b64(xoauth2)
        );
        let d = Diagnosis::from_mail_reply(IMAP, &reply, &work());
        assert_eq!(d.code, "IMAP_AUTH_FAILED");
        assert!(d.explanation.contains("status 401"), "{}", d.explanation);
        assert!(d.explanation.contains("expired"), "{}", d.explanation);
        assert!(d.raw.server_reply.as_deref().is_some_and(|r| r.contains(xoauth2)));

        let smtp = format!(
            "334 {}\n535 5.7.8 Error: authentication failed: (reason unavailable)",
            b64(xoauth2)
        );
        let d = Diagnosis::from_mail_reply(SMTP, &smtp, &work());
        assert_eq!(d.code, "SMTP 5.7.8");
        assert!(d.explanation.contains("status 401"));

        // OAUTHBEARER's challenge, alone (the final line not seen), already decoded.
        let d = Diagnosis::from_mail_reply(POP, r#"+ {"status":"invalid_token"}"#, &work());
        assert_eq!(d.code, "POP_AUTH_FAILED");
        assert!(d.explanation.contains("status invalid_token"));

        let d = Diagnosis::from_mail_reply(
            SMTP,
            &format!("334 {}", b64(r#"{"status":"invalid_token"}"#)),
            &work(),
        );
        assert_eq!(d.code, "SMTP_AUTH_FAILED");

        let scope = format!(
            "+ {}\na NO [AUTHENTICATIONFAILED] Authentication failed.",
            b64(r#"{"status":"insufficient_scope","scope":"mail"}"#)
        );
        let d = Diagnosis::from_mail_reply(IMAP, &scope, &work());
        assert_eq!(d.code, "IMAP_TOKEN_SCOPE");
        assert!(all_text(&d).contains("IMAP.AccessAsUser.All"));

        assert_eq!(
            decode_challenge(&format!("+ {}", b64(xoauth2))).as_deref(),
            Some(xoauth2)
        );
        assert_eq!(decode_challenge("+ OK"), None);
        assert_eq!(decode_challenge("334 VXNlcm5hbWU6"), None);
    }

    #[test]
    fn personal_addresses() {
        let personal = |m: &'static str| {
            MailContext {
                mailbox: Some(m),
                ..MailContext::default()
            }
            .is_personal()
        };
        assert!(personal("a@outlook.com"));
        assert!(personal("a@Hotmail.co.uk"));
        assert!(personal("a@live.com.au"));
        assert!(personal("a@msn.com"));
        assert!(!personal("a@contoso.com"));
        assert!(!personal("a@live.contoso.com"));
        assert!(!personal("a@outlook.contoso.example.com"));
        assert!(!personal("no-at-sign"));
    }

    #[test]
    fn enhanced_codes_are_found() {
        assert_eq!(
            enhanced_status("535 5.7.139 Authentication").as_deref(),
            Some("5.7.139")
        );
        assert_eq!(
            enhanced_status("554 5.2.252 SendAsDenied;").as_deref(),
            Some("5.2.252")
        );
        assert_eq!(enhanced_status("SMTP 5.7.3").as_deref(), Some("5.7.3"));
        assert_eq!(enhanced_status("version 1.2.3"), None);
        assert_eq!(enhanced_status("no code"), None);
    }
}
