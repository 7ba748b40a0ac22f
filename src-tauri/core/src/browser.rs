//! Opening the user's own browser for sign-in (never an embedded page), for the CLI and the app alike:
//! `$BROWSER` first (a `:`-separated list; `%s` stands for the address), then the system's default.

/// Opens `url`; the error says why it could not (the caller then shows the address to open by hand).
pub fn open(url: &str) -> Result<(), String> {
    if let Some(browsers) = std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        let browsers = browsers.to_string_lossy().into_owned();
        for browser in browsers.split(':').filter(|b| !b.trim().is_empty()) {
            let quoted = format!("'{}'", url.replace('\'', "'\\''"));
            let command = if browser.contains("%s") {
                browser.replace("%s", &quoted)
            } else {
                format!("{browser} {quoted}")
            };
            let spawned = std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .spawn();
            if spawned.is_ok() {
                return Ok(());
            }
        }
        return Err(format!("cannot run $BROWSER ({browsers})"));
    }
    open::that_detached(url).map_err(|e| e.to_string())
}
