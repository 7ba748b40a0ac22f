use mailgrant_core::{HomeSource, PRODUCT_NAME, VERSION};
use tauri::State;

use crate::dto::AppInfo;
use crate::AppState;

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        name: PRODUCT_NAME.to_owned(),
        version: VERSION.to_owned(),
        data_dir: state.home.dir().display().to_string(),
        data_dir_overridden: state.home.source() == HomeSource::Environment,
        platform: std::env::consts::OS.to_owned(),
    }
}

/// The plain-language explanation of an error code (`AADSTS70008`, `SMTP 5.7.139`, …).
#[tauri::command]
pub fn explain_code(code: String) -> Option<mailgrant_core::diagnosis::Diagnosis> {
    mailgrant_core::diagnosis::explain(&code)
}

#[cfg(test)]
mod tests {
    use mailgrant_core::DataHome;
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{get_ipc_response, mock_builder, mock_context, noop_assets, INVOKE_KEY};
    use tauri::webview::InvokeRequest;

    use crate::{configure, AppState};

    #[test]
    fn the_window_may_open_only_https_and_mailto_links() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../../capabilities/default.json")).unwrap();
        let permissions = capability["permissions"].as_array().unwrap();
        // Not `opener:default`, which also reveals any path in the file manager.
        assert!(
            permissions
                .iter()
                .all(|p| p.as_str().is_none_or(|id| !id.starts_with("opener:"))),
            "{permissions:?}"
        );
        let opener: Vec<_> = permissions
            .iter()
            .filter(|p| {
                p["identifier"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("opener:"))
            })
            .collect();
        assert_eq!(opener.len(), 1, "{opener:?}");
        assert_eq!(opener[0]["identifier"], "opener:allow-open-url");
        assert_eq!(
            opener[0]["allow"],
            serde_json::json!([{ "url": "https://*" }, { "url": "mailto:*" }])
        );
    }

    #[test]
    fn app_info_reports_version_and_redirected_home_over_ipc() {
        let home = DataHome::resolve(Some("/tmp/mailgrant-ipc-test".into()), None).unwrap();
        let app = configure(mock_builder(), AppState::new(home).unwrap())
            .build(mock_context(noop_assets()))
            .unwrap();
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();

        let response = get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: "app_info".into(),
                callback: CallbackFn(0),
                error: CallbackFn(1),
                url: "tauri://localhost".parse().unwrap(),
                body: InvokeBody::default(),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .expect("app_info answers");
        let info: serde_json::Value = response.deserialize().unwrap();
        assert_eq!(info["name"], "Mailgrant");
        assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(info["dataDir"], "/tmp/mailgrant-ipc-test");
        assert_eq!(info["dataDirOverridden"], true);
        assert_eq!(info["platform"], std::env::consts::OS);
    }
}
