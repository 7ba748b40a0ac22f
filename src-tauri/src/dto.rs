//! The types that cross IPC. TypeScript bindings are generated from them by ts-rs (`cargo test` writes
//! `ui/src/lib/ipc/bindings/`) and CI fails when the committed bindings drift.

use serde::Serialize;
use ts_rs::TS;

/// What the UI shows about this build and where it keeps its data.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// Where accounts and app registrations are stored (never secrets: those are in the OS keychain).
    pub data_dir: String,
    /// True when `MAILGRANT_HOME` redirects the data (tests, portable use).
    pub data_dir_overridden: bool,
    /// `linux`, `macos` or `windows`: the UI names the keychain and menus accordingly.
    pub platform: String,
}

/// A link the OS handed to the app (`mailgrant://…`), forwarded to the UI as the `deep-link` event.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DeepLinkEvent {
    pub url: String,
}
