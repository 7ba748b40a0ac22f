//! IPC commands: a few lines each over `mailgrant-core`.

pub mod accounts;
pub mod app;
pub mod bridge;
pub mod directory;
pub mod links;
pub mod settings;
pub mod sign_in;
pub mod wizard;

/// Calling the commands through Tauri's IPC layer with a mock runtime: the wiring, the argument names and the
/// error objects as the webview sees them.
#[cfg(test)]
pub(crate) mod testing {
    use mailgrant_core::DataHome;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    use crate::{configure, AppState};

    /// Invokes `cmd` with `body` in an app whose data home is `home`: its answer, or the error it rejects with.
    pub fn invoke(
        home: &std::path::Path,
        cmd: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, serde_json::Value> {
        let home = DataHome::resolve(Some(home.to_path_buf()), None).unwrap();
        let app = configure(mock_builder(), AppState::new(home).unwrap())
            .build(mock_context(noop_assets()))
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: cmd.into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::Json(body),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .map(|r| r.deserialize::<serde_json::Value>().unwrap())
    }
}
