//! The `mailgrant` command. It links no GTK, WebKit or Tauri, so a mail client's credential helper call costs a
//! process start and the work itself. Without a subcommand it hands over to the desktop app
//! (`mailgrant-desktop`, installed beside it), with the same arguments.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args = mailgrant_cli::Cli::parse_args();
    match args.command {
        Some(command) => mailgrant_cli::execute(command, args.global),
        None => mailgrant_cli::desktop::open(),
    }
}
