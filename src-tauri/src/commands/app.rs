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
        let info = crate::commands::testing::invoke(
            std::path::Path::new("/tmp/mailgrant-ipc-test"),
            "app_info",
            serde_json::json!({}),
        )
        .expect("app_info answers");
        assert_eq!(info["name"], "Mailgrant");
        assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(info["dataDir"], "/tmp/mailgrant-ipc-test");
        assert_eq!(info["dataDirOverridden"], true);
        assert_eq!(info["platform"], std::env::consts::OS);
    }
}
