//! The desktop app's binary, `mailgrant-desktop`, given a subcommand: it runs it as the `mailgrant` command does
//! (the same crate). (Also makes `cargo test` build the binary that the WebDriver suite then drives, with the same
//! features: one build, not two.)

use std::process::Command;

fn mailgrant() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mailgrant-desktop"))
}

#[test]
fn version_flag_prints_the_workspace_version() {
    let out = mailgrant().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("mailgrant {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn where_reports_the_redirected_home_and_its_own_keychain_namespace() {
    let home = tempfile::tempdir().unwrap();
    let out = mailgrant()
        .arg("where")
        .env("MAILGRANT_HOME", home.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&home.path().display().to_string()), "{text}");
    assert!(
        text.contains("app.mailgrant.home-"),
        "a redirected home never uses the real keychain service: {text}"
    );
}

#[test]
fn a_relative_home_is_a_usage_error() {
    let out = mailgrant()
        .arg("where")
        .env("MAILGRANT_HOME", "relative/dir")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("absolute"));
}

#[test]
fn unknown_flags_exit_with_the_usage_code() {
    let out = mailgrant().arg("--no-such-flag").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
