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

/// The desktop settings the app shows: what closing the window does, starting at login, and whether the desktop
/// shows Mailgrant's tray icon (where it doesn't, the app is opened again from the applications menu).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DesktopSettingsView {
    pub keep_running_when_closed: bool,
    pub start_at_login: bool,
    pub tray_shown: bool,
}

pub use mailgrant_core::api::{ApiError as IpcError, ErrorCode};

/// A bridge password just made, shown once on the bridge page (with a copy button). A stored one is never sent.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NewBridgePassword {
    pub account: String,
    /// The user name to type into the program.
    pub user: String,
    pub password: String,
}
