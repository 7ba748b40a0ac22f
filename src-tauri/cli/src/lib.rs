//! The `mailgrant` command line. Without a subcommand the desktop app opens ([`desktop`]); subcommands run headless over
//! `mailgrant-core`: for IT staff, for scripts, and as an OAuth2 credential helper for mail clients
//! (`mailgrant token NAME` prints an access token alone on stdout).
//!
//! Exit codes: 0 fine; 1 attention needed (or a failure that is not the caller's input); 2 usage error; 3 sign-in
//! required; 4 keychain unavailable; 130 cancelled (one mapping: `mailgrant_core::api::ErrorCode::exit_code`).
//! The `--json` shapes are documented in docs/cli.md.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub mod desktop;
mod out;
mod run;

use mailgrant_core::api::exit;

/// Everything is fine.
pub const EXIT_OK: u8 = exit::OK;
/// Status, secrets or test found a problem; or something failed that is not the caller's input.
pub const EXIT_ATTENTION: u8 = exit::ATTENTION;
/// A usage error (clap uses the same).
pub const EXIT_USAGE: u8 = exit::USAGE;

#[derive(Debug, Parser)]
#[command(
    name = "mailgrant",
    version,
    about = "Connect a Microsoft 365 or Outlook.com mailbox over OAuth2 and keep it connected.",
    long_about = "Connect a Microsoft 365 or Outlook.com mailbox over OAuth2 (IMAP, SMTP, POP, Microsoft Graph) \
                  and keep it connected.\n\nWithout a subcommand, opens the desktop app.",
    after_help = "Exit codes: 0 fine, 1 attention needed, 2 usage error, 3 sign-in required, 4 keychain unavailable, 130 cancelled.\n\n\
                  Environment:\n  MAILGRANT_HOME  keep all data (and a separate keychain namespace) in this directory\n  \
                  BROWSER         the browser `sign-in` opens (else the system's default)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Start the desktop app without showing its window (as it does at login); it keeps the mailboxes
    /// connected in the background. Opening Mailgrant again shows the window.
    #[arg(long)]
    pub hidden: bool,

    #[command(flatten)]
    pub global: Global,

    /// A mailgrant:// link to hand to the app (the browser passes one back after sign-in).
    #[arg(value_name = "LINK", hide = true, value_parser = mailgrant_link)]
    pub open_url: Option<String>,
}

/// Options every subcommand takes.
#[derive(Debug, Clone, Default, Args)]
pub struct Global {
    /// Also trust the CA certificates in this PEM file, for HTTPS and mail (networks that inspect TLS). Before or
    /// after the subcommand.
    /// MAILGRANT_CA_FILE does the same (for the app too).
    #[arg(long, value_name = "PEM", global = true)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add an account (and its app registration); then `mailgrant sign-in NAME`.
    Add(Box<AddArgs>),
    /// List the accounts.
    Accounts {
        #[arg(long)]
        json: bool,
    },
    /// Sign an account in: the browser (auth code), a code to enter (device code), or the app's own credential.
    SignIn {
        name: String,
        /// Print the address to open instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Print a fresh access token alone on stdout (for passwordeval, PassCmd, and the like).
    Token {
        name: String,
        /// Which resource the token is for: outlook (IMAP, POP, SMTP) or graph. Defaults to the account's first.
        #[arg(long, value_enum)]
        resource: Option<ResourceArg>,
    },
    /// The health of every account and app credential; exit code 1 when something needs attention.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Use every refresh token idle for 14 days, as the desktop app does in the background, so Microsoft's
    /// 90-day inactivity limit never revokes one: for machines where the app does not run (a daily systemd
    /// timer or cron job). Exit code 3 when an account must sign in again.
    KeepAlive {
        /// One JSON object per account that was due (docs/cli.md).
        #[arg(long, conflicts_with = "quiet")]
        json: bool,
        /// Print nothing when every due account was kept alive (for timers and cron); failures still go to stderr.
        #[arg(long)]
        quiet: bool,
    },
    /// Every client secret and certificate, soonest expiry first; exit code 1 when one expires within 30 days.
    Secrets {
        /// Only those expiring within this many days (and the expired ones).
        #[arg(long, value_name = "DAYS")]
        expiring_within: Option<i64>,
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        #[arg(long)]
        csv: bool,
    },
    /// Your organisation's app registrations from Microsoft Graph: their secrets and certificates join
    /// `secrets`, `status` and the app's expiry board.
    Directory {
        #[command(subcommand)]
        action: DirectoryAction,
    },
    /// Prove the mailbox works: IMAP, SMTP, POP and Graph, layer by layer (all of the account's by default).
    Test {
        name: String,
        #[arg(long)]
        imap: bool,
        #[arg(long)]
        smtp: bool,
        #[arg(long)]
        pop: bool,
        #[arg(long)]
        graph: bool,
        /// Send a message to the mailbox itself (SMTP, Graph) and check it arrives.
        #[arg(long)]
        send_to_self: bool,
        /// Seconds allowed for each layer.
        #[arg(long, value_name = "SECONDS", default_value_t = 15)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// Explain an error code: AADSTS7000215, 5.7.139, ErrorAccessDenied, …
    Explain { code: String },
    /// Replace an app registration's client secret with a new one from Entra (its Value, read from stdin): Microsoft
    /// checks it first, then it goes to the keychain in place of the old one. REGISTRATION: its id, client id or
    /// name, or an account that uses it.
    ReplaceSecret {
        registration: String,
        /// The new secret's expiry as Entra shows it (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: Option<String>,
    },
    /// Every value a product asks for (client ID, tenant, authority, authorize and token URLs, scopes, servers),
    /// from the account NAME that proved its app registration works (added with the product's client ID and
    /// secret, signed in). The secret's Value only with --show-secret.
    Handover {
        name: String,
        /// The product: email-this-issue, emailengine, background-service or generic.
        #[arg(long, default_value = "generic")]
        product: String,
        /// The product's redirect (callback) URI, to list with the values.
        #[arg(long, value_name = "URL")]
        redirect_uri: Option<String>,
        /// Print the client secret's Value too (from the keychain).
        #[arg(long)]
        show_secret: bool,
        #[arg(long)]
        json: bool,
    },
    /// How to use the mailbox in a mail program: the servers, the user name, and recipes (Thunderbird, Apple
    /// Mail, Outlook, neomutt, msmtp, mbsync, git send-email, and devices that only know a password).
    Settings {
        name: String,
        /// The settings and recipes as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The local mail bridge, for programs and devices that only know a password (a scanner, an old mail
    /// program, a script): they log in to the bridge with the account's bridge password, the bridge logs in to
    /// the mail server with OAuth2.
    Bridge {
        #[command(subcommand)]
        action: BridgeAction,
    },
    /// Remove an account: its keychain entries and its config.
    Remove { name: String },
    /// Show where Mailgrant keeps its data and which keychain namespace it uses.
    Where,
}

#[derive(Debug, Subcommand)]
pub enum BridgeAction {
    /// Print the account's bridge password (made now if it has none), with the user name to type in.
    Password {
        name: String,
        /// Make a new one; the old one stops working at once.
        #[arg(long)]
        new: bool,
        #[arg(long)]
        json: bool,
    },
    /// Revoke the account's bridge password: no program can start a bridge session with it any more.
    Revoke { name: String },
    /// Run the bridge in the foreground for every account (headless machines; a systemd user unit, see
    /// docs/cli.md). Prints the addresses it listens on, then what goes wrong, until stopped.
    Run {
        /// IMAP port (0: any free port).
        #[arg(long, value_name = "PORT", default_value_t = 1143)]
        imap_port: u16,
        /// POP3 port (0: any free port).
        #[arg(long, value_name = "PORT", default_value_t = 1110)]
        pop_port: u16,
        /// SMTP submission port (0: any free port).
        #[arg(long, value_name = "PORT", default_value_t = 1587)]
        smtp_port: u16,
        /// Protocols to leave off.
        #[arg(long, value_enum, value_name = "PROTOCOL")]
        without: Vec<BridgeProtocolArg>,
        /// Let devices on the network use it: listen on this address of one interface (not 0.0.0.0) with TLS
        /// required (STARTTLS on the ports above, implicit TLS on the --imaps/--pop3s/--smtps ports).
        #[arg(long, value_name = "ADDRESS")]
        lan: Option<std::net::IpAddr>,
        /// Another name devices use for this machine, for the LAN certificate (repeatable).
        #[arg(long, value_name = "NAME", requires = "lan")]
        lan_name: Vec<String>,
        #[arg(long, value_name = "PORT", default_value_t = 1993, requires = "lan")]
        imaps_port: u16,
        #[arg(long, value_name = "PORT", default_value_t = 1995, requires = "lan")]
        pop3s_port: u16,
        #[arg(long, value_name = "PORT", default_value_t = 1465, requires = "lan")]
        smtps_port: u16,
        /// One JSON line with the listeners (and the certificate's fingerprint), then one per error.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BridgeProtocolArg {
    Imap,
    Pop,
    Smtp,
}

#[derive(Debug, Subcommand)]
pub enum DirectoryAction {
    /// Read every app registration of a tenant with its secrets and certificates (names and dates, never values).
    /// An admin signs in through one of Mailgrant's app registrations and consents to Graph's
    /// Application.Read.All; or, with --app-only, the registration reads as itself.
    Import {
        /// The app registration to read through: an account's name (its registration is used), or the
        /// registration's Mailgrant id, client id or name (`mailgrant accounts --json`).
        registration: String,
        /// Read as the app itself, with its secret or certificate (needs the Application.Read.All application
        /// permission with admin consent).
        #[arg(long, conflicts_with = "device_code")]
        app_only: bool,
        /// Sign in with a code entered in a browser anywhere (the registration must allow public client flows).
        #[arg(long)]
        device_code: bool,
        /// Print the address to open instead of opening the browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// The imports: tenant, who signed in, when, how many registrations and credentials.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Read the imports again without signing in (all of them, or those given by ID or tenant).
    Refresh { ids: Vec<String> },
    /// Forget an import (by ID or tenant): its list and its refresh token.
    Remove { id: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResourceArg {
    Outlook,
    Graph,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CloudArg {
    Global,
    Usgov,
    UsgovDod,
    China,
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FlowArg {
    AuthCode,
    DeviceCode,
    ClientCredentials,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RedirectArg {
    Loopback,
    DeepLink,
    Paste,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServiceArg {
    Imap,
    Smtp,
    Pop,
    GraphRead,
    GraphSend,
}

#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    /// The name scripts use for this account (`mailgrant token NAME`).
    #[arg(long)]
    pub name: String,
    /// The mailbox's address.
    #[arg(long, value_name = "ADDRESS")]
    pub email: String,
    /// The Application (client) ID from the app registration's Overview page.
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// Directory (tenant) ID or domain, or organizations / common / consumers.
    #[arg(long, default_value = "organizations")]
    pub tenant: String,
    /// Which Microsoft cloud (default: global; custom when --authority or --graph-url is given).
    #[arg(long, value_enum)]
    pub cloud: Option<CloudArg>,
    /// The login host, for --cloud custom (e.g. https://login.example.net).
    #[arg(long, value_name = "URL")]
    pub authority: Option<String>,
    /// Microsoft Graph's address, for --cloud custom.
    #[arg(long, value_name = "URL")]
    pub graph_url: Option<String>,
    /// The audience of Graph tokens when it is not --graph-url (custom clouds behind a proxy).
    #[arg(long, value_name = "URL", hide = true)]
    pub graph_resource: Option<String>,
    /// The audience of mail tokens, for --cloud custom.
    #[arg(
        long,
        value_name = "URL",
        hide = true,
        default_value = "https://outlook.office.com"
    )]
    pub outlook_resource: String,
    #[arg(long, value_name = "HOST:PORT")]
    pub imap: Option<String>,
    #[arg(long, value_name = "HOST:PORT")]
    pub smtp: Option<String>,
    #[arg(long, value_name = "HOST:PORT")]
    pub pop: Option<String>,
    #[arg(long, value_enum, default_value = "auth-code")]
    pub flow: FlowArg,
    #[arg(long, value_enum, default_value = "loopback")]
    pub redirect: RedirectArg,
    #[arg(long, value_enum, value_delimiter = ',', default_value = "imap,smtp")]
    pub services: Vec<ServiceArg>,
    /// Open this shared mailbox with the account's sign-in.
    #[arg(long, value_name = "ADDRESS")]
    pub shared_mailbox: Option<String>,
    /// Read the client secret's Value from stdin (a confidential app).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// When the client secret expires (Entra shows it next to the secret).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "client_secret_stdin")]
    pub secret_expires: Option<String>,
    /// The certificate uploaded to the app registration (PEM).
    #[arg(long, value_name = "PEM", requires = "private_key")]
    pub certificate: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "PEM", requires = "certificate")]
    pub private_key: Option<PathBuf>,
    /// The app registration's display name.
    #[arg(long, value_name = "NAME")]
    pub app_name: Option<String>,
}

impl Cli {
    /// The arguments; `--hidden` or a link with a subcommand is a usage error (exit 2).
    pub fn parse_args() -> Self {
        let cli = Self::parse();
        if cli.command.is_some() && (cli.hidden || cli.open_url.is_some()) {
            use clap::CommandFactory;
            Self::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    "--hidden and a mailgrant:// link are for the desktop app, not for a subcommand",
                )
                .exit();
        }
        cli
    }
}

/// The app's only positional argument: a mailgrant:// link (a mistyped subcommand is an error, not a link).
fn mailgrant_link(text: &str) -> Result<String, String> {
    if text
        .get(..12)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("mailgrant://"))
    {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is neither a subcommand nor a mailgrant:// link (see --help)"
        ))
    }
}

pub fn execute(command: Command, global: Global) -> ExitCode {
    ExitCode::from(run::execute(command, &global))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_opens_the_app() {
        let cli = Cli::try_parse_from(["mailgrant"]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.open_url.is_none());
        assert!(!cli.hidden);
    }

    #[test]
    fn the_app_starts_hidden_at_login() {
        let cli = Cli::try_parse_from(["mailgrant", mailgrant_core::desktop::START_HIDDEN_FLAG]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.hidden);
    }

    #[test]
    fn a_deep_link_argument_is_accepted_for_the_app() {
        let cli = Cli::try_parse_from(["mailgrant", "mailgrant://auth?code=x&state=y"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.open_url.as_deref(), Some("mailgrant://auth?code=x&state=y"));
    }

    #[test]
    fn a_mistyped_subcommand_is_a_usage_error_not_a_link() {
        let err = Cli::try_parse_from(["mailgrant", "tokn"]).unwrap_err();
        assert_eq!(err.exit_code(), i32::from(EXIT_USAGE));
    }

    #[test]
    fn unknown_flags_are_usage_errors() {
        let err = Cli::try_parse_from(["mailgrant", "--frobnicate"]).unwrap_err();
        assert_eq!(err.exit_code(), i32::from(EXIT_USAGE));
    }

    #[test]
    fn services_are_a_comma_separated_list() {
        let cli = Cli::try_parse_from([
            "mailgrant",
            "add",
            "--name",
            "a",
            "--email",
            "a@b.c",
            "--client-id",
            "x",
            "--services",
            "imap,graph-send",
        ])
        .unwrap();
        let Some(Command::Add(args)) = cli.command else {
            panic!("add")
        };
        assert_eq!(args.services, [ServiceArg::Imap, ServiceArg::GraphSend]);
    }

    #[test]
    fn json_and_csv_exclude_each_other() {
        let err = Cli::try_parse_from(["mailgrant", "secrets", "--json", "--csv"]).unwrap_err();
        assert_eq!(err.exit_code(), i32::from(EXIT_USAGE));
    }

    #[test]
    fn keep_alive_takes_quiet_or_json_but_not_both() {
        let cli = Cli::try_parse_from(["mailgrant", "keep-alive", "--quiet"]).unwrap();
        assert!(cli.global.ca_file.is_none());
        let Some(Command::KeepAlive { json, quiet }) = cli.command else {
            panic!("keep-alive")
        };
        assert!(quiet && !json);
        let cli =
            Cli::try_parse_from(["mailgrant", "keep-alive", "--json", "--ca-file", "/etc/ca.pem"]).unwrap();
        assert_eq!(cli.global.ca_file, Some(PathBuf::from("/etc/ca.pem")));
        let Some(Command::KeepAlive { json, quiet }) = cli.command else {
            panic!("keep-alive")
        };
        assert!(json && !quiet);
        let err = Cli::try_parse_from(["mailgrant", "keep-alive", "--json", "--quiet"]).unwrap_err();
        assert_eq!(err.exit_code(), i32::from(EXIT_USAGE));
        let err = Cli::try_parse_from(["mailgrant", "keep-alive", "work"]).unwrap_err();
        assert_eq!(err.exit_code(), i32::from(EXIT_USAGE));
    }

    #[test]
    fn the_ca_file_goes_before_or_after_the_subcommand() {
        for args in [
            ["mailgrant", "--ca-file", "corp.pem", "token", "work"],
            ["mailgrant", "token", "work", "--ca-file", "corp.pem"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert!(matches!(cli.command, Some(Command::Token { .. })), "{args:?}");
            assert_eq!(
                cli.global.ca_file.as_deref(),
                Some(std::path::Path::new("corp.pem")),
                "{args:?}"
            );
        }
        let cli = Cli::try_parse_from(["mailgrant", "directory", "list", "--ca-file", "corp.pem"]).unwrap();
        assert_eq!(
            cli.global.ca_file.as_deref(),
            Some(std::path::Path::new("corp.pem"))
        );
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
