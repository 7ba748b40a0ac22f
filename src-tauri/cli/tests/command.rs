//! The `mailgrant` command as built: a process that links none of the desktop's webview stack, and without a
//! subcommand hands over to the desktop app beside it.

use std::process::Command;

const MAILGRANT: &str = env!("CARGO_BIN_EXE_mailgrant");

#[cfg(target_os = "linux")]
#[test]
fn the_command_links_no_gtk_webkit_or_javascriptcore() {
    let ldd = Command::new("ldd").arg(MAILGRANT).output().expect("ldd runs");
    assert!(ldd.status.success(), "{}", String::from_utf8_lossy(&ldd.stderr));
    let libraries = String::from_utf8_lossy(&ldd.stdout);
    for stack in ["libgtk", "libwebkit", "libjavascriptcore", "libsoup", "libgdk"] {
        assert!(
            !libraries.contains(stack),
            "mailgrant links {stack}:\n{libraries}"
        );
    }
    // A handful of system libraries, not the desktop's ~170.
    assert!(libraries.lines().count() < 20, "{libraries}");
}

#[test]
fn without_the_desktop_app_beside_it_or_on_path_no_subcommand_says_so() {
    let lonely = tempfile::tempdir().unwrap();
    let copy = lonely.path().join("mailgrant");
    std::fs::copy(MAILGRANT, &copy).unwrap();
    let out = Command::new(&copy).env("PATH", lonely.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("mailgrant-desktop") && said.contains("mailgrant --help"),
        "{said}"
    );
    let version = Command::new(&copy).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("mailgrant {}", env!("CARGO_PKG_VERSION"))
    );
}
