//! The `mailgrant` command line. Without a subcommand the desktop app opens; subcommands run headless over
//! `mailgrant-core` (the account, token and probe subcommands arrive with the sign-in engine).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a usage error (clap uses the same).
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "mailgrant",
    version,
    about = "Connect a Microsoft 365 or Outlook.com mailbox over OAuth2 and keep it connected.",
    long_about = "Connect a Microsoft 365 or Outlook.com mailbox over OAuth2 (IMAP, SMTP, POP, Microsoft Graph) \
                  and keep it connected.\n\nWithout a subcommand, opens the desktop app.",
    args_conflicts_with_subcommands = true,
    after_help = "Environment:\n  MAILGRANT_HOME  keep all data (and a separate keychain namespace) in this directory"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// A mailgrant:// link to hand to the app (the browser passes one back after sign-in).
    #[arg(value_name = "LINK", hide = true)]
    pub open_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show where Mailgrant keeps its data and which keychain namespace it uses.
    Where,
}

impl Cli {
    pub fn parse_args() -> Self {
        Self::parse()
    }
}

pub fn execute(command: Command) -> ExitCode {
    match command {
        Command::Where => match mailgrant_core::DataHome::from_env() {
            Ok(home) => {
                println!("data directory    {}", home.dir().display());
                println!("keychain service  {}", home.keychain_service());
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("mailgrant: {err}");
                ExitCode::from(EXIT_USAGE)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_opens_the_app() {
        let cli = Cli::try_parse_from(["mailgrant"]).unwrap();
        assert!(cli.command.is_none());
        assert!(cli.open_url.is_none());
    }

    #[test]
    fn a_deep_link_argument_is_accepted_for_the_app() {
        let cli = Cli::try_parse_from(["mailgrant", "mailgrant://auth?code=x&state=y"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.open_url.as_deref(), Some("mailgrant://auth?code=x&state=y"));
    }

    #[test]
    fn unknown_flags_are_usage_errors() {
        let err = Cli::try_parse_from(["mailgrant", "--frobnicate"]).unwrap_err();
        assert_eq!(err.exit_code(), i32::from(EXIT_USAGE));
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
