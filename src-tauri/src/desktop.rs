//! Living on the desktop with the window closed: the close button hides the window (the background loop goes on),
//! a tray icon (Open, Refresh all, Quit) where the desktop shows one, the one-time explanation at the first
//! close, and starting at login (hidden). The choices themselves are core's ([`mailgrant_core::desktop`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use mailgrant_core::desktop::{CloseAction, DesktopSettings};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{Manager, Runtime, WindowEvent};

use crate::AppState;

/// The tray icon's id.
const TRAY: &str = "main";

/// Whether the desktop shows tray icons: set once at start-up, read on every close.
#[derive(Debug, Clone, Default)]
pub struct TrayShown(Arc<AtomicBool>);

impl TrayShown {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Shows the main window (and un-minimises and focuses it).
pub fn show_main_window<R: Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(window) = app.get_webview_window(crate::MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// The close button: hide (and explain the first time) or quit, as the user chose.
pub fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    if window.label() != crate::MAIN_WINDOW {
        return;
    }
    let app = window.app_handle();
    let Some(state) = app.try_state::<AppState>() else {
        return;
    };
    // A settings file that can't be read keeps the safe default: stay running (tokens keep being refreshed).
    let settings = DesktopSettings::load(&state.home).unwrap_or_else(|error| {
        tracing::warn!(%error, "cannot read settings.json; keeping Mailgrant running on close");
        DesktopSettings {
            close_explained: true,
            ..DesktopSettings::default()
        }
    });
    let tray = app.try_state::<TrayShown>().is_some_and(|t| t.get());
    match settings.on_close(tray) {
        CloseAction::Quit => app.exit(0),
        CloseAction::Hide { explain } => {
            api.prevent_close();
            let _ = window.hide();
            if let Some(notice) = explain {
                use tauri_plugin_notification::NotificationExt;
                if let Err(error) = app
                    .notification()
                    .builder()
                    .title(notice.title)
                    .body(notice.body)
                    .show()
                {
                    tracing::warn!(%error, "cannot show the notification about running in the background");
                }
                if let Err(error) = DesktopSettings::update(&state.home, |s| s.close_explained = true) {
                    tracing::warn!(%error, "cannot record that closing was explained");
                }
            }
        }
    }
}

/// The tray icon with its menu. Where the desktop has no tray host (stock GNOME), the icon is still made (a host
/// may appear later) but [`TrayShown`] says false, so the first close explains the applications menu instead.
pub fn add_tray<R: Runtime>(app: &tauri::AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Mailgrant", true, None::<&str>)?;
    let refresh = MenuItem::with_id(app, "refresh-all", "Refresh all now", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit Mailgrant", true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[&open, &refresh, &PredefinedMenuItem::separator(app)?, &quit],
    )?;
    let mut tray = TrayIconBuilder::with_id(TRAY)
        .tooltip("Mailgrant")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => show_main_window(app),
            "refresh-all" => {
                let (app, state) = (app.clone(), app.state::<AppState>().inner().clone());
                tauri::async_runtime::spawn(async move {
                    crate::background::refresh_all(&app, &state).await;
                });
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_main_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Looks up whether the session has a tray host (a StatusNotifierWatcher on D-Bus, as KDE, XFCE, Cinnamon and
/// GNOME with the AppIndicator extension provide) and records it.
pub fn detect_tray<R: Runtime>(app: &tauri::AppHandle<R>) {
    let shown = TrayShown::default();
    app.manage(shown.clone());
    #[cfg(target_os = "linux")]
    tauri::async_runtime::spawn(async move {
        let found = async {
            let connection = zbus::Connection::session().await?;
            let bus = zbus::fdo::DBusProxy::new(&connection).await?;
            let name = zbus::names::BusName::try_from("org.kde.StatusNotifierWatcher")?;
            bus.name_has_owner(name).await.map_err(zbus::Error::from)
        }
        .await;
        shown.0.store(found.unwrap_or(false), Ordering::Relaxed);
    });
    // Windows and macOS always show tray (menu bar) icons.
    #[cfg(not(target_os = "linux"))]
    shown.0.store(true, Ordering::Relaxed);
}

/// "Start at login": an autostart entry that starts the app hidden.
pub mod login {
    use tauri::Runtime;
    use tauri_plugin_autostart::ManagerExt;

    use mailgrant_core::api::{ApiError as IpcError, ErrorCode};

    pub fn enabled<R: Runtime>(app: &tauri::AppHandle<R>) -> Result<bool, IpcError> {
        app.autolaunch().is_enabled().map_err(error)
    }

    pub fn set<R: Runtime>(app: &tauri::AppHandle<R>, on: bool) -> Result<(), IpcError> {
        let launcher = app.autolaunch();
        if on {
            launcher.enable().map_err(error)?;
        } else if launcher.is_enabled().map_err(error)? {
            launcher.disable().map_err(error)?;
        }
        Ok(())
    }

    fn error(e: tauri_plugin_autostart::Error) -> IpcError {
        IpcError::new(
            ErrorCode::Autostart,
            format!("cannot change starting at login: {e}"),
        )
    }
}

/// The desktop file of an installed package that hands `mailgrant://` links to this very binary, if there is one
/// (in `$XDG_DATA_DIRS/applications`).
#[cfg(target_os = "linux")]
pub fn packaged_handler() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?.canonicalize().ok()?;
    let dirs = std::env::var("XDG_DATA_DIRS")
        .ok()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/local/share:/usr/share".to_owned());
    std::env::split_paths(&dirs)
        .filter_map(|dir| std::fs::read_dir(dir.join("applications")).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "desktop"))
        .find(|path| std::fs::read_to_string(path).is_ok_and(|text| handles_links_with(&text, &exe)))
}

/// Whether a desktop entry registers `x-scheme-handler/mailgrant` and its `Exec` runs `exe`.
#[cfg(target_os = "linux")]
fn handles_links_with(entry: &str, exe: &std::path::Path) -> bool {
    let value = |key: &str| entry.lines().find_map(|l| l.strip_prefix(key).map(str::trim));
    let handles = value("MimeType=").is_some_and(|m| m.split(';').any(|t| t == "x-scheme-handler/mailgrant"));
    let program = value("Exec=").and_then(|e| e.split_whitespace().next());
    let runs_exe = program.is_some_and(|p| {
        let path = if p.contains('/') {
            Some(std::path::PathBuf::from(p))
        } else {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(p))
                    .find(|candidate| candidate.is_file())
            })
        };
        path.and_then(|p| p.canonicalize().ok()).as_deref() == Some(exe)
    });
    handles && runs_exe
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::handles_links_with;

    #[test]
    fn a_desktop_entry_counts_only_when_it_handles_the_scheme_with_this_binary() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("mailgrant");
        std::fs::write(&exe, b"").unwrap();
        let exe = exe.canonicalize().unwrap();
        let entry = |mime: &str, exec: &str| format!("[Desktop Entry]\nExec={exec} %u\nMimeType={mime}\n");
        let ours = entry("x-scheme-handler/mailgrant;", &exe.display().to_string());
        assert!(handles_links_with(&ours, &exe));
        assert!(!handles_links_with(
            &entry("x-scheme-handler/mailto;", &exe.display().to_string()),
            &exe
        ));
        assert!(!handles_links_with(
            &entry("x-scheme-handler/mailgrant;", "/opt/other/mailgrant"),
            &exe
        ));
        assert!(!handles_links_with("[Desktop Entry]\nName=Mailgrant\n", &exe));
    }
}
