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
