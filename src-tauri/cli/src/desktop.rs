//! `mailgrant` without a subcommand: the desktop app, `mailgrant-desktop`, started in this process's place.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The desktop app's binary name.
pub const DESKTOP_BINARY: &str = "mailgrant-desktop";

/// Where the desktop app is: beside this binary (a package installs both in one directory; a build puts both in
/// one target directory), else on PATH.
pub fn locate(this_exe: Option<&Path>, path: Option<OsString>) -> Option<PathBuf> {
    let name = format!("{DESKTOP_BINARY}{}", std::env::consts::EXE_SUFFIX);
    let beside = this_exe
        .and_then(|exe| std::fs::canonicalize(exe).ok())
        .and_then(|exe| exe.parent().map(|dir| dir.join(&name)));
    beside
        .into_iter()
        .chain(
            path.iter()
                .flat_map(std::env::split_paths)
                .map(|dir| dir.join(&name)),
        )
        .find(|candidate| candidate.is_file())
}

/// Starts the desktop app with this process's arguments (`--hidden`, a `mailgrant://` link, `--ca-file`); on Unix
/// it replaces this process, so the app is what the caller (the menu, `xdg-open`, the login session) started.
pub fn open() -> ExitCode {
    let Some(app) = locate(std::env::current_exe().ok().as_deref(), std::env::var_os("PATH")) else {
        eprintln!(
            "mailgrant: the desktop app ({DESKTOP_BINARY}) is not installed beside this command or on PATH; the \
             command line works without it (mailgrant --help)"
        );
        return ExitCode::from(crate::EXIT_USAGE);
    };
    let mut command = Command::new(&app);
    command.args(std::env::args_os().skip(1));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        let err = command.exec();
        eprintln!("mailgrant: cannot start {}: {err}", app.display());
        ExitCode::FAILURE
    }
    #[cfg(not(unix))]
    match command.status() {
        Ok(status) => ExitCode::from(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)),
        Err(err) => {
            eprintln!("mailgrant: cannot start {}: {err}", app.display());
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_beside_the_command_wins_over_path() {
        let beside = tempfile::tempdir().unwrap();
        let on_path = tempfile::tempdir().unwrap();
        let exe = beside.path().join("mailgrant");
        std::fs::write(&exe, b"").unwrap();
        assert_eq!(
            locate(Some(&exe), Some(on_path.path().into())),
            None,
            "nowhere yet"
        );
        std::fs::write(on_path.path().join(DESKTOP_BINARY), b"").unwrap();
        assert_eq!(
            locate(Some(&exe), Some(on_path.path().into())),
            Some(on_path.path().join(DESKTOP_BINARY))
        );
        std::fs::write(beside.path().join(DESKTOP_BINARY), b"").unwrap();
        assert_eq!(
            locate(Some(&exe), Some(on_path.path().into())),
            Some(std::fs::canonicalize(beside.path()).unwrap().join(DESKTOP_BINARY))
        );
    }
}
