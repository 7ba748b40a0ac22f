//! "Use this mailbox": what a mail program needs once the mailbox works — its servers, the user name, OAuth2 —
//! and short recipes for the programs people have. Three kinds: programs that sign in to Microsoft by themselves
//! (Thunderbird, Apple Mail, Outlook: they need no Mailgrant), programs that ask Mailgrant for a token on every
//! connection (neomutt, msmtp, mbsync, git send-email, fetchmail: the credential helper), and programs and devices
//! that only know a password. The desktop app and `mailgrant settings` show the same.

use serde::Serialize;

use crate::identity::endpoints::Endpoints;
use crate::model::{Account, AppRegistration, Cloud, HostPort, Service};
use crate::probe::{Protocol, Security};

/// How the connection to a server is encrypted, in the words mail programs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum Encryption {
    /// TLS from the first byte ("SSL/TLS"): ports 993 and 995.
    SslTls,
    /// A plain connection upgraded with STARTTLS: port 587.
    StartTls,
}

/// One server a mail program connects to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct MailServer {
    pub protocol: Protocol,
    /// "Incoming mail (IMAP)", "Outgoing mail (SMTP)".
    pub role: String,
    pub host: String,
    pub port: u16,
    pub encryption: Encryption,
    /// "SSL/TLS" or "STARTTLS", as mail programs label it.
    pub encryption_label: String,
}

/// Which kind of program a recipe is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum RecipeKind {
    /// The program signs in to Microsoft by itself: Mailgrant is not needed.
    OwnSignIn,
    /// The program runs `mailgrant token` for its password.
    CredentialHelper,
    /// The program or device only knows a password.
    PasswordOnly,
}

/// A file to put lines in, and the lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Snippet {
    pub file: String,
    pub text: String,
}

/// How to use the mailbox in one program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Recipe {
    /// Stable: `thunderbird`, `apple-mail`, `outlook`, `neomutt`, `msmtp`, `mbsync`, `git-send-email`,
    /// `fetchmail`, `password-only`.
    pub id: String,
    pub program: String,
    pub kind: RecipeKind,
    /// One sentence: what it takes.
    pub summary: String,
    pub steps: Vec<String>,
    pub snippet: Option<Snippet>,
}

/// Everything a mail program needs for the account, and the recipes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct MailSettings {
    /// The account's name in Mailgrant (`mailgrant token NAME`).
    pub account: String,
    pub address: String,
    /// What mail programs call the user name: the mailbox opened (a shared mailbox's address when acting on one).
    pub user_name: String,
    /// Always "OAuth2": Microsoft takes no password for these servers.
    pub authentication: String,
    /// The servers of the protocols the account uses (IMAP, POP, SMTP), incoming first.
    pub servers: Vec<MailServer>,
    /// The account reads or sends through Microsoft Graph (programs use Graph's API, not a server setting).
    pub graph: bool,
    /// An Outlook.com, Hotmail or Live address: a personal Microsoft account.
    pub personal: bool,
    /// The account signs in as the app itself (client credentials): only programs that can be given the app's
    /// credentials can use it, not a mail program.
    pub app_only: bool,
    pub recipes: Vec<Recipe>,
}

/// An Outlook.com / Hotmail / Live / MSN address: a personal Microsoft account rather than an organisation's.
pub fn is_personal_address(address: &str) -> bool {
    let Some((_, domain)) = address.trim().rsplit_once('@') else {
        return false;
    };
    let domain = domain.to_ascii_lowercase();
    let labels: Vec<&str> = domain.split('.').collect();
    let brand = ["outlook", "hotmail", "live", "msn", "windowslive", "passport"].contains(&labels[0]);
    // outlook.com, hotmail.co.uk, live.com.au: the brand and a public suffix, nothing more.
    let suffix_only = match labels.len() {
        2 => true,
        3 => labels[1].len() <= 3,
        _ => false,
    };
    brand && suffix_only
}

/// Outlook.com's own submission server (Microsoft 365's is smtp.office365.com).
const OUTLOOK_COM_SMTP: (&str, u16) = ("smtp-mail.outlook.com", 587);

/// The server the account uses for `service`: its own when it has one, else its cloud's (Outlook.com's SMTP
/// server for a personal address in the global cloud).
pub fn server_of(
    account: &Account,
    endpoints: &Endpoints,
    cloud: &Cloud,
    service: Service,
) -> Option<HostPort> {
    let (own, default) = match service {
        Service::Imap => (&account.imap, &endpoints.imap),
        Service::Pop => (&account.pop, &endpoints.pop),
        Service::Smtp => (&account.smtp, &endpoints.smtp),
        Service::GraphRead | Service::GraphSend => return None,
    };
    if let Some(own) = own {
        return Some(own.clone());
    }
    if service == Service::Smtp && matches!(cloud, Cloud::Global) && is_personal_address(&account.address) {
        return Some(HostPort {
            host: OUTLOOK_COM_SMTP.0.to_owned(),
            port: OUTLOOK_COM_SMTP.1,
        });
    }
    Some(default.clone())
}

/// A word safe to put in a shell command as it is, else quoted.
fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@._+-=:/,".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The settings and recipes for `account` (of `registration`).
pub fn mail_settings(account: &Account, registration: &AppRegistration) -> MailSettings {
    let endpoints = Endpoints::for_cloud(&registration.cloud);
    let user = account
        .shared_mailbox
        .clone()
        .unwrap_or_else(|| account.address.clone());
    let servers: Vec<MailServer> = [
        (Service::Imap, Protocol::Imap, "Incoming mail (IMAP)"),
        (Service::Pop, Protocol::Pop, "Incoming mail (POP)"),
        (Service::Smtp, Protocol::Smtp, "Outgoing mail (SMTP)"),
    ]
    .into_iter()
    .filter(|(service, ..)| account.services.contains(service))
    .filter_map(|(service, protocol, role)| {
        let server = server_of(account, &endpoints, &registration.cloud, service)?;
        let encryption = match Security::for_port(server.port) {
            Security::ImplicitTls => Encryption::SslTls,
            Security::StartTls => Encryption::StartTls,
        };
        Some(MailServer {
            protocol,
            role: role.to_owned(),
            host: server.host,
            port: server.port,
            encryption,
            encryption_label: match encryption {
                Encryption::SslTls => "SSL/TLS",
                Encryption::StartTls => "STARTTLS",
            }
            .to_owned(),
        })
    })
    .collect();
    let personal = is_personal_address(&account.address);
    let app_only = account.flow == crate::model::Flow::ClientCredentials;
    let graph = account
        .services
        .iter()
        .any(|s| matches!(s, Service::GraphRead | Service::GraphSend));
    let mut settings = MailSettings {
        account: account.name.clone(),
        address: account.address.clone(),
        user_name: user,
        authentication: "OAuth2".to_owned(),
        servers,
        graph,
        personal,
        app_only,
        recipes: Vec::new(),
    };
    settings.recipes = recipes(&settings);
    settings
}

fn server(settings: &MailSettings, protocol: Protocol) -> Option<&MailServer> {
    settings.servers.iter().find(|s| s.protocol == protocol)
}

fn recipes(s: &MailSettings) -> Vec<Recipe> {
    let mut out = Vec::new();
    let (imap, pop, smtp) = (
        server(s, Protocol::Imap),
        server(s, Protocol::Pop),
        server(s, Protocol::Smtp),
    );
    let token = format!("mailgrant token {}", shell_word(&s.account));
    let user = &s.user_name;
    let mail_program = !s.app_only && (imap.is_some() || pop.is_some() || smtp.is_some());

    if mail_program {
        let incoming = imap.or(pop);
        let mut steps = vec![format!(
            "Add a mail account (Account Settings › Account Actions › Add Mail Account): your name, {}, no \
             password. Click Continue.",
            s.address
        )];
        let mut manual = Vec::new();
        if let Some(i) = incoming {
            manual.push(format!(
                "incoming {} {}, port {}, {}",
                if i.protocol == Protocol::Imap {
                    "IMAP"
                } else {
                    "POP3"
                },
                i.host,
                i.port,
                i.encryption_label
            ));
        }
        if let Some(o) = smtp {
            manual.push(format!(
                "outgoing SMTP {}, port {}, {}",
                o.host, o.port, o.encryption_label
            ));
        }
        steps.push(format!(
            "If Thunderbird does not find the settings by itself, choose Configure manually: {}; Authentication \
             method OAuth2 for both; user name {user}.",
            manual.join("; ")
        ));
        steps.push(format!(
            "Click Done: Microsoft's sign-in window opens. Sign in as {}.",
            s.address
        ));
        if !s.personal {
            steps.push(
                "If Microsoft says an administrator must approve \"Mozilla Thunderbird\", your IT admin approves it \
                 once for the organisation."
                    .to_owned(),
            );
        }
        out.push(Recipe {
            id: "thunderbird".into(),
            program: "Thunderbird".into(),
            kind: RecipeKind::OwnSignIn,
            summary: "Thunderbird signs in to Microsoft by itself (OAuth2): it needs no Mailgrant.".into(),
            steps,
            snippet: None,
        });
        out.push(Recipe {
            id: "apple-mail".into(),
            program: "Apple Mail (Mac, iPhone, iPad)".into(),
            kind: RecipeKind::OwnSignIn,
            summary: "Apple Mail signs in to Microsoft by itself: it needs no Mailgrant.".into(),
            steps: vec![
                format!(
                    "Mac: System Settings › Internet Accounts › Add Account › {}. iPhone and iPad: Settings › Apps › \
                     Mail › Mail Accounts › Add Account › {}.",
                    if s.personal { "Outlook.com" } else { "Microsoft Exchange" },
                    if s.personal { "Outlook.com" } else { "Microsoft Exchange" }
                ),
                format!(
                    "Enter {} and choose Sign In: Microsoft's sign-in page opens. Sign in and allow access.",
                    s.address
                ),
            ],
            snippet: None,
        });
        out.push(Recipe {
            id: "outlook".into(),
            program: "Outlook (classic and new)".into(),
            kind: RecipeKind::OwnSignIn,
            summary: "Outlook signs in to Microsoft by itself and talks to the mailbox directly: it needs no \
                      Mailgrant, and no IMAP settings."
                .into(),
            steps: vec![
                format!(
                    "Classic Outlook: File › Add Account. New Outlook: Settings › Accounts › Add account. Enter {} \
                     and sign in at Microsoft's page.",
                    s.address
                ),
                "Don't choose IMAP or POP in Outlook's advanced options: with a Microsoft mailbox Outlook connects \
                 as Exchange, which keeps calendar and contacts too."
                    .into(),
            ],
            snippet: None,
        });
    }

    if let Some(i) = imap {
        let mut text = format!(
            "set imap_user = \"{user}\"\nset imap_authenticators = \"xoauth2\"\nset imap_oauth_refresh_command = \
             \"{token}\"\nset folder = \"imaps://{}:{}/\"\n",
            i.host, i.port
        );
        if let Some(o) = smtp {
            text.push_str(&format!(
                "set smtp_url = \"smtp://{user}@{}:{}/\"\nset smtp_authenticators = \"xoauth2\"\n\
                 set smtp_oauth_refresh_command = \"{token}\"\n",
                o.host, o.port
            ));
        }
        out.push(helper("neomutt", "neomutt", "~/.neomuttrc", text, &token));
        out.push(helper(
            "mbsync",
            "isync (mbsync)",
            "~/.mbsyncrc",
            format!(
                "IMAPAccount {}\nHost {}\nPort {}\nUser {user}\nPassCmd \"{token}\"\nAuthMechs XOAUTH2\nTLSType IMAPS\n",
                s.account, i.host, i.port
            ),
            &token,
        ));
    }
    if let Some(o) = smtp {
        out.push(helper(
            "msmtp",
            "msmtp",
            "~/.msmtprc",
            format!(
                "account {}\nhost {}\nport {}\ntls on\ntls_starttls {}\nauth xoauth2\nuser {user}\nfrom {}\n\
                 passwordeval \"{token}\"\n",
                s.account,
                o.host,
                o.port,
                if o.encryption == Encryption::StartTls {
                    "on"
                } else {
                    "off"
                },
                s.address
            ),
            &token,
        ));
        out.push(helper(
            "git-send-email",
            "git send-email",
            "~/.gitconfig",
            format!(
                "[sendemail]\n    smtpServer = {host}\n    smtpServerPort = {port}\n    smtpEncryption = {enc}\n    \
                 smtpUser = {user}\n    smtpAuth = XOAUTH2\n[credential \"smtp://{host}:{port}\"]\n    helper = \
                 \"!f() {{ test \\\"$1\\\" = get && echo password=$({token}); }}; f\"\n",
                host = o.host,
                port = o.port,
                enc = if o.encryption == Encryption::StartTls { "tls" } else { "ssl" },
            ),
            &token,
        ));
    }

    out.push(password_only(s));
    out
}

fn helper(id: &str, program: &str, file: &str, text: String, token: &str) -> Recipe {
    Recipe {
        id: id.to_owned(),
        program: program.to_owned(),
        kind: RecipeKind::CredentialHelper,
        summary: format!(
            "{program} asks Mailgrant for a fresh token each time it connects (`{token}`): Mailgrant must be \
             installed on the same computer, with this account."
        ),
        steps: vec![format!(
            "Put these lines in {file} (or merge them with what is there):"
        )],
        snippet: Some(Snippet {
            file: file.to_owned(),
            text,
        }),
    }
}

fn password_only(s: &MailSettings) -> Recipe {
    let mut steps = vec![
        "First look for a \"Microsoft 365\", \"Exchange Online\" or \"OAuth2\" choice in the program or device \
         (many recent scanners and copiers have one): it then signs in by itself and keeps working."
            .to_owned(),
    ];
    if s.personal {
        steps.push(
            "Outlook.com takes no password from mail programs: IMAP, POP and SMTP need OAuth2. A program without it \
             can't use an Outlook.com mailbox directly."
                .to_owned(),
        );
    } else {
        steps.push(
            "Reading mail (IMAP, POP) with a password stopped working in Microsoft 365 in 2022. Sending (SMTP AUTH) \
             with a password is switched off by default from the end of December 2026; your IT admin can turn it \
             back on for a while, and Microsoft will announce the final date in 2027."
                .to_owned(),
        );
        steps.push(
            "A scanner that only sends to people in your organisation can use Exchange's Direct Send or an SMTP \
             relay through a connector instead: your IT admin sets it up, no password needed."
                .to_owned(),
        );
    }
    steps.push(
        "Otherwise, use Mailgrant's mail bridge: the program logs in to Mailgrant on this computer (or, for a \
         scanner, over your network with TLS) with a password Mailgrant makes for this mailbox, and Mailgrant signs \
         in to Microsoft with OAuth2 for it. It works while Mailgrant runs."
            .to_owned(),
    );
    Recipe {
        id: "password-only".into(),
        program: "Programs and devices that only know a password".into(),
        kind: RecipeKind::PasswordOnly,
        summary:
            "A scanner, an old mail program or a script with a password in it: Microsoft no longer takes \
                  passwords for this mailbox, so it needs another way in."
                .into(),
        steps,
        snippet: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(address: &str, services: &[Service]) -> (Account, AppRegistration) {
        let mut registration = crate::model::examples::registration("reg");
        registration.tenant = "common".parse().unwrap();
        (
            crate::model::examples::account("work", address, "reg", services),
            registration,
        )
    }

    #[test]
    fn microsoft_365_settings_and_recipes_with_the_account_filled_in() {
        let (a, r) = account("adele@contoso.com", &[Service::Imap, Service::Smtp]);
        let s = mail_settings(&a, &r);
        assert_eq!(s.user_name, "adele@contoso.com");
        assert_eq!(s.authentication, "OAuth2");
        let servers: Vec<_> = s
            .servers
            .iter()
            .map(|m| (m.host.as_str(), m.port, m.encryption_label.as_str()))
            .collect();
        assert_eq!(
            servers,
            [
                ("outlook.office365.com", 993, "SSL/TLS"),
                ("smtp.office365.com", 587, "STARTTLS")
            ]
        );
        let ids: Vec<_> = s.recipes.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "thunderbird",
                "apple-mail",
                "outlook",
                "neomutt",
                "mbsync",
                "msmtp",
                "git-send-email",
                "password-only"
            ]
        );
        let msmtp = s.recipes.iter().find(|r| r.id == "msmtp").unwrap();
        let text = &msmtp.snippet.as_ref().unwrap().text;
        assert!(
            text.contains("passwordeval \"mailgrant token work\"")
                && text.contains("host smtp.office365.com")
        );
        assert!(s.recipes[0].kind == RecipeKind::OwnSignIn && s.recipes[0].summary.contains("no Mailgrant"));
    }

    #[test]
    fn outlook_com_sends_through_its_own_server_and_pop_only_accounts_get_no_imap_recipes() {
        let (a, r) = account("pat@outlook.com", &[Service::Pop, Service::Smtp]);
        let s = mail_settings(&a, &r);
        assert!(s.personal);
        assert_eq!(s.servers[1].host, "smtp-mail.outlook.com");
        assert!(!s.recipes.iter().any(|r| r.id == "neomutt" || r.id == "mbsync"));
        let password = s.recipes.last().unwrap();
        assert!(password
            .steps
            .iter()
            .any(|t| t.contains("Outlook.com takes no password")));
        assert!(is_personal_address("someone@hotmail.co.uk"));
        assert!(!is_personal_address("someone@outlook.contoso.com"));
    }

    #[test]
    fn names_with_spaces_are_quoted_in_commands() {
        let (mut a, r) = account("adele@contoso.com", &[Service::Smtp]);
        a.name = "Adele's mail".into();
        let s = mail_settings(&a, &r);
        let msmtp = s.recipes.iter().find(|r| r.id == "msmtp").unwrap();
        assert!(
            msmtp.summary.contains(r"mailgrant token 'Adele'\''s mail'"),
            "{}",
            msmtp.summary
        );
    }
}
