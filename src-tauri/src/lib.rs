//! The Mailgrant desktop shell: a thin adapter over `mailgrant-core`, built as `mailgrant-desktop`.
//!
//! The `mailgrant` command (mailgrant-cli's binary, no webview stack) starts it when given no subcommand. Given
//! one, this binary runs it as `mailgrant` would (the same crate), so both accept the same arguments.

use std::process::ExitCode;

use mailgrant_core::desktop::START_HIDDEN_FLAG;
use tauri::{Manager, Runtime};

pub mod background;
pub mod commands;
pub mod desktop;
pub mod dto;
mod ipc_table;
pub mod state;

pub use state::AppState;

/// The label of the one main window.
pub const MAIN_WINDOW: &str = "main";

/// Entry point of the `mailgrant-desktop` binary.
pub fn run() -> ExitCode {
    let args = mailgrant_cli::Cli::parse_args();
    match args.command {
        Some(command) => mailgrant_cli::execute(command, args.global),
        None => {
            // `mailgrant --ca-file PEM` opens the app trusting it too: the app reads the same variable.
            if let Some(ca_file) = &args.global.ca_file {
                std::env::set_var(mailgrant_core::api::CA_FILE_ENV, ca_file);
            }
            run_desktop(args.open_url, args.hidden)
        }
    }
}

/// Wires state and IPC commands into a builder of any runtime, so tests can drive the command layer through
/// `tauri::test::mock_builder()` without a window.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder.manage(state).invoke_handler(tauri::generate_handler![
        commands::app::app_info,
        commands::accounts::list_accounts,
        commands::accounts::test_account,
        commands::accounts::account_views,
        commands::accounts::refresh_account,
        commands::accounts::remove_account,
        commands::accounts::mail_settings,
        commands::accounts::product_presets,
        commands::accounts::hand_over,
        commands::accounts::replace_client_secret,
        commands::accounts::list_credentials,
        commands::accounts::credentials_csv,
        commands::directory::list_imports,
        commands::directory::import_sources,
        commands::sign_in::import_directory,
        commands::directory::refresh_import,
        commands::directory::remove_import,
        commands::app::explain_code,
        commands::wizard::check_field,
        commands::wizard::setup_guide,
        commands::wizard::check_cloud,
        commands::wizard::discover_tenant,
        commands::wizard::save_account,
        commands::sign_in::sign_in,
        commands::sign_in::cancel_sign_in,
        commands::sign_in::submit_sign_in_address,
        commands::settings::desktop_settings,
        commands::settings::set_keep_running,
        commands::settings::set_start_at_login,
        commands::settings::quit_app,
        commands::bridge::bridge_account,
        commands::bridge::new_bridge_password,
        commands::bridge::revoke_bridge_password,
        commands::bridge::start_bridge,
        commands::bridge::stop_bridge,
        commands::bridge::bridge_status,
    ])
}

fn run_desktop(open_url: Option<String>, hidden: bool) -> ExitCode {
    // GTK would panic with a backtrace; say what is wrong instead (e.g. over SSH, or from cron).
    #[cfg(target_os = "linux")]
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "mailgrant: there is no display to open the desktop app on; the command line works without one \
             (mailgrant --help)"
        );
        return ExitCode::from(mailgrant_cli::EXIT_USAGE);
    }
    let state = match AppState::from_env() {
        Ok(state) => state,
        Err(err) => {
            eprintln!("mailgrant: {err}");
            return ExitCode::from(mailgrant_cli::EXIT_USAGE);
        }
    };
    let webview_dir = state.home.webview_dir();

    let builder = tauri::Builder::default()
        // First: a second launch (e.g. the browser handing back a mailgrant:// link) reaches this instance.
        // A second launch from the menu (or at login) shows the window of the one already running.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            if !argv.iter().any(|a| a == START_HIDDEN_FLAG) {
                desktop::show_main_window(app);
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            Some(vec![START_HIDDEN_FLAG]),
        ))
        .on_window_event(desktop::on_window_event);

    let result = configure(builder, state)
        .setup(move |app| {
            tauri::WebviewWindowBuilder::new(app, MAIN_WINDOW, tauri::WebviewUrl::App("index.html".into()))
                .title("Mailgrant")
                .inner_size(1000.0, 720.0)
                .min_inner_size(800.0, 600.0)
                .data_directory(webview_dir.clone())
                .visible(!hidden)
                .build()?;
            desktop::detect_tray(app.handle());
            if let Err(err) = desktop::add_tray(app.handle()) {
                eprintln!("mailgrant: cannot add the tray icon: {err}");
            }
            register_deep_links(app.handle());
            background::start(app.handle().clone(), app.state::<AppState>().inner().clone());
            if let Some(url) = &open_url {
                commands::links::forward(app.handle(), url);
            }
            Ok(())
        })
        .run(tauri::generate_context!());

    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mailgrant: cannot start the desktop app: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Makes `mailgrant://` links open this app and hands each link to the UI.
fn register_deep_links<R: Runtime>(app: &tauri::AppHandle<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;

    // macOS reads the scheme from the bundle's Info.plist; Linux and Windows register it at run time.
    // An installed package registers it through its desktop file: registering again would make a copy under
    // ~/.local/share the default and hide the package's.
    #[cfg(target_os = "linux")]
    let registered = desktop::packaged_handler().is_some();
    #[cfg(target_os = "windows")]
    let registered = false;
    #[cfg(any(target_os = "linux", target_os = "windows"))]
    if !registered {
        if let Err(err) = app.deep_link().register_all() {
            eprintln!("mailgrant: cannot register the mailgrant:// link handler: {err}");
        }
    }
    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            commands::links::forward(&handle, url.as_str());
        }
        desktop::show_main_window(&handle);
    });
}
