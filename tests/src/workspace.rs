//! Where the suites find what the test command built.

use std::path::PathBuf;

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// The directory for test artifacts (screenshots, logs): `MAILGRANT_ARTIFACTS` or `<root>/artifacts`.
pub fn artifacts_dir() -> PathBuf {
    std::env::var_os("MAILGRANT_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("artifacts"))
}

/// The `mailgrant` command the test command built (`target/debug/mailgrant`, or under `CARGO_TARGET_DIR`): the
/// command line, without the webview stack.
pub fn mailgrant_binary() -> PathBuf {
    built_binary("mailgrant", "mailgrant-cli")
}

/// The desktop app the test command built (`target/debug/mailgrant-desktop`).
pub fn desktop_binary() -> PathBuf {
    built_binary("mailgrant-desktop", "mailgrant")
}

fn built_binary(name: &str, package: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let bin = target
        .join("debug")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p {package}` (or run the README's test command)",
        bin.display()
    );
    bin
}
