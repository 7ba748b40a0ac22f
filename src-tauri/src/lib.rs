//! The Mailgrant desktop shell: a thin adapter over `mailgrant-core`, built as `mailgrant-desktop`.
//!
//! The `mailgrant` command (mailgrant-cli's binary, no webview stack) starts it when given no subcommand. Given
//! one, this binary runs it as `mailgrant` would (the same crate), so both accept the same arguments.

use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use mailgrant_core::desktop::START_HIDDEN_FLAG;
use serde::Serialize;
use tauri::webview::PageLoadEvent;
use tauri::{Manager, Runtime};
use ts_rs::TS;

pub mod background;
pub mod commands;
pub mod desktop;
pub mod dto;
pub mod state;

pub use state::AppState;

/// The label of the one main window.
pub const MAIN_WINDOW: &str = "main";

/// What the page knows before it loads, without IPC: `window.__MAILGRANT_BOOT__`, set by an initialization script.
/// The static first screen in index.html shows from it, and the UI starts from it instead of asking.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BootInfo {
    pub info: dto::AppInfo,
    /// How many accounts the config lists; `None` when it could not be read in time (the UI then asks).
    pub accounts: Option<u32>,
}

impl BootInfo {
    /// The initialization script that hands it to the page.
    pub fn script(&self) -> String {
        // JSON is a JavaScript expression.
        let json = serde_json::to_string(self).unwrap_or_else(|_| "null".to_owned());
        format!("window.__MAILGRANT_BOOT__ = {json};")
    }
}

/// How long the window waits for the account count (read beside GTK's start-up) before it opens without it: the
/// first screen never waits on the config file for longer.
const ACCOUNTS_WAIT: Duration = Duration::from_millis(25);
/// After the page has loaded, what the first screen gets to itself before the rest of start-up begins.
const FIRST_SCREEN_GRACE: Duration = Duration::from_millis(500);
/// The rest of start-up begins by then even if the page never says it loaded (a window started hidden).
const REST_AT_LATEST: Duration = Duration::from_secs(3);

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
    #[cfg(target_os = "linux")]
    mailgrant_core::desktop::choose_renderer();
    let state = match AppState::from_env() {
        Ok(state) => state,
        Err(err) => {
            eprintln!("mailgrant: {err}");
            return ExitCode::from(mailgrant_cli::EXIT_USAGE);
        }
    };
    let webview_dir = state.home.webview_dir();
    // The accounts are counted on another thread while GTK starts, for the first screen (Welcome or the dashboard).
    let (counted, accounts) = mpsc::channel();
    {
        let state = state.clone();
        std::thread::spawn(move || {
            let count = state.store().load().ok().map(|config| config.accounts.len());
            let _ = counted.send(count.and_then(|n| u32::try_from(n).ok()));
        });
    }
    let (page_loaded, page_load) = mpsc::sync_channel::<()>(1);

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
            // The window first, with what its first screen needs: nothing else in start-up comes before it.
            let boot = BootInfo {
                info: commands::app::app_info(app.state()),
                accounts: accounts.recv_timeout(ACCOUNTS_WAIT).ok().flatten(),
            };
            tauri::WebviewWindowBuilder::new(app, MAIN_WINDOW, tauri::WebviewUrl::App("index.html".into()))
                .title("Mailgrant")
                .inner_size(1000.0, 720.0)
                .min_inner_size(800.0, 600.0)
                .data_directory(webview_dir.clone())
                .initialization_script(boot.script())
                .on_page_load(move |_, payload| {
                    if payload.event() == PageLoadEvent::Finished {
                        let _ = page_loaded.try_send(());
                    }
                })
                .visible(!hidden)
                .build()?;
            desktop::detect_tray(app.handle());
            listen_for_links(app.handle());
            if let Some(url) = &open_url {
                commands::links::forward(app.handle(), url);
            }
            start_the_rest(app.handle().clone(), page_load);
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

/// The start-up the first screen does not wait for, once the page has loaded and shown it (or at the latest
/// [`REST_AT_LATEST`]): the tray icon, registering the `mailgrant://` handler (on Linux it runs `xdg-mime`, some
/// 0.1 s of processes) and the background loop (the mail bridge started again, tokens refreshed ahead of expiry).
fn start_the_rest<R: Runtime>(app: tauri::AppHandle<R>, page_load: mpsc::Receiver<()>) {
    std::thread::spawn(move || {
        if page_load.recv_timeout(REST_AT_LATEST).is_ok() {
            std::thread::sleep(FIRST_SCREEN_GRACE);
        }
        let tray = app.clone();
        let added = app.run_on_main_thread(move || {
            if let Err(err) = desktop::add_tray(&tray) {
                eprintln!("mailgrant: cannot add the tray icon: {err}");
            }
        });
        if let Err(err) = added {
            eprintln!("mailgrant: cannot add the tray icon: {err}");
        }
        background::start(app.clone(), app.state::<AppState>().inner().clone());
        register_link_handler(&app);
    });
}

/// Hands each `mailgrant://` link this app is opened with to the UI, and shows the window.
fn listen_for_links<R: Runtime>(app: &tauri::AppHandle<R>) {
    use tauri_plugin_deep_link::DeepLinkExt;

    let handle = app.clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            commands::links::forward(&handle, url.as_str());
        }
        desktop::show_main_window(&handle);
    });
}

/// Makes `mailgrant://` links open this app.
fn register_link_handler<R: Runtime>(app: &tauri::AppHandle<R>) {
    // macOS reads the scheme from the bundle's Info.plist; Linux and Windows register it at run time.
    // An installed package registers it through its desktop file: registering again would make a copy under
    // ~/.local/share the default and hide the package's.
    #[cfg(target_os = "linux")]
    let registered = desktop::packaged_handler().is_some();
    #[cfg(target_os = "windows")]
    let registered = false;
    #[cfg(any(target_os = "linux", target_os = "windows"))]
    if !registered {
        use tauri_plugin_deep_link::DeepLinkExt;

        if let Err(err) = app.deep_link().register_all() {
            eprintln!("mailgrant: cannot register the mailgrant:// link handler: {err}");
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "windows")))]
    let _ = app;
}
