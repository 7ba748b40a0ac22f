//! The organisation's app registrations from Microsoft Graph, for the expiry board: the imports, which
//! registrations can read them, refresh and forget. Importing is a sign-in (`commands::sign_in`).

use mailgrant_core::api::directory::{self, ImportSource, ImportView};
use mailgrant_core::api::ApiError;
use tauri::State;

use crate::AppState;

/// The imports, in the order they were made.
#[tauri::command]
pub async fn list_imports(state: State<'_, AppState>) -> Result<Vec<ImportView>, ApiError> {
    directory::list(&state)
}

/// The app registrations an import can read through, and how.
#[tauri::command]
pub async fn import_sources(state: State<'_, AppState>) -> Result<Vec<ImportSource>, ApiError> {
    directory::sources(&state)
}

/// Reads an import again without signing in.
#[tauri::command]
pub async fn refresh_import(state: State<'_, AppState>, id: String) -> Result<ImportView, ApiError> {
    directory::refresh(&state, &id).await
}

/// Forgets an import: its refresh token and its list.
#[tauri::command]
pub async fn remove_import(state: State<'_, AppState>, id: String) -> Result<(), ApiError> {
    directory::remove(&state, &id).await.map(drop)
}
