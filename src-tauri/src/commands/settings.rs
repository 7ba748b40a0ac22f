//! The desktop settings: what closing the window does, "Start at login", and Quit.

use mailgrant_core::desktop::DesktopSettings;
use tauri::{AppHandle, Runtime, State};

use crate::desktop::{login, TrayShown};
use crate::dto::DesktopSettingsView;
use crate::AppState;
use mailgrant_core::api::ApiError as IpcError;

fn view<R: Runtime>(app: &AppHandle<R>, settings: &DesktopSettings) -> Result<DesktopSettingsView, IpcError> {
    use tauri::Manager;
    Ok(DesktopSettingsView {
        keep_running_when_closed: settings.keep_running_when_closed,
        start_at_login: login::enabled(app)?,
        tray_shown: app.try_state::<TrayShown>().is_some_and(|t| t.get()),
    })
}

#[tauri::command]
pub fn desktop_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<DesktopSettingsView, IpcError> {
    view(&app, &DesktopSettings::load(&state.home)?)
}

/// Closing the window keeps Mailgrant running (true) or quits it (false).
#[tauri::command]
pub fn set_keep_running<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    on: bool,
) -> Result<DesktopSettingsView, IpcError> {
    let settings = DesktopSettings::update(&state.home, |s| {
        s.keep_running_when_closed = on;
        // Whoever chose this knows where Mailgrant goes on close.
        s.close_explained = true;
    })?;
    view(&app, &settings)
}

/// Starts Mailgrant hidden at login (true), or no longer (false).
#[tauri::command]
pub fn set_start_at_login<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    on: bool,
) -> Result<DesktopSettingsView, IpcError> {
    login::set(&app, on)?;
    view(&app, &DesktopSettings::load(&state.home)?)
}

/// Quits Mailgrant: the window and the background work.
#[tauri::command]
pub fn quit_app<R: Runtime>(app: AppHandle<R>) {
    app.exit(0);
}
