//! A bare Tauri 2 window: one window, one static page (dist/index.html), nothing else.

fn main() {
    if let Err(err) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("bare-window: {err}");
        std::process::exit(1);
    }
}
