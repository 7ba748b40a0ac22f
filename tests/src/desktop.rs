//! Driving the real `mailgrant` binary in WebKitGTK under Xvfb through tauri-driver and WebKitWebDriver: the
//! driver process, the WebDriver session, and screenshots of the real window.
#![allow(clippy::unwrap_used)] // test plumbing: a failed unwrap is a failed test, with its location

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::workspace;

pub const NEEDS: &str = "needs Xvfb, a D-Bus session and tauri-driver: run the README's test command";

/// tauri-driver in a process group of its own, so that WebKitWebDriver and the app it starts are stopped with
/// it when the test ends, pass or fail (killing tauri-driver alone leaves WebKitWebDriver running).
pub struct Driver {
    child: Child,
    pub port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn app_binary() -> PathBuf {
    workspace::desktop_binary()
}

/// Starts tauri-driver with everything the app writes under `home`, and `env` for the app (BROWSER, …).
/// tauri-driver binds its port itself, so it gets a number found free a moment before: when something else took
/// it in between, tauri-driver exits, and it is started again on fresh ports (up to five times).
pub fn start_driver(home: &Path, env: &[(&str, &str)]) -> Driver {
    assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY: {NEEDS}");
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: {NEEDS}"
    );
    for _ in 0..5 {
        let (port, native_port) = (free_port(), free_port());
        let mut child = Command::new("tauri-driver")
            .process_group(0)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            // Everything the app writes goes under the test's own home.
            .env("MAILGRANT_HOME", home.join("mailgrant"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tauri-driver ({e}): {NEEDS}"));
        // Listening: ready. Exited: its port was taken; try others.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let exited = child.try_wait().unwrap().is_some();
            if !exited && std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Driver { child, port };
            }
            if exited || Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    panic!("tauri-driver did not start listening on any of five ports: {NEEDS}");
}

pub async fn connect(driver: &Driver, app: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match ClientBuilder::new(HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            Err(err) if Instant::now() < deadline => {
                let _ = err;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            Err(err) => panic!("cannot open a WebDriver session on tauri-driver: {err}"),
        }
    }
}

/// A screenshot of the app's window taken at X level: WebKitWebDriver's own can be stale, and the DOM is ready
/// before WebKitGTK has painted, so retry until the picture has the colours of a painted screen and differs from
/// the `previous` screen's, and is the same twice running (or, for a screen that never stops changing, such as a
/// countdown, after a few seconds).
pub async fn screenshot(name: &str, previous: Option<&Path>) -> PathBuf {
    let dir = workspace::artifacts_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let deadline = Instant::now() + Duration::from_secs(20);
    let live_after = Instant::now() + Duration::from_secs(6);
    let (mut last, mut stable) = (Vec::new(), 0);
    loop {
        let window = app_window_id().unwrap_or_else(|| "root".to_owned());
        let status = Command::new("import")
            .args(["-window", &window])
            .arg(&path)
            .status()
            .expect("ImageMagick import");
        assert!(status.success(), "import -window {window} failed");
        let colours = Command::new("identify")
            .args(["-format", "%k"])
            .arg(&path)
            .output()
            .expect("identify");
        let colours: u32 = String::from_utf8_lossy(&colours.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        let current = std::fs::read(&path).unwrap();
        let changed = previous.is_none_or(|p| std::fs::read(p).ok().as_ref() != Some(&current));
        stable = if current == last { stable + 1 } else { 0 };
        // A painted screen has hundreds of colours (anti-aliased text); the unpainted "Loading…" frame ~120.
        if colours > 300 && changed && (stable >= 4 || Instant::now() > live_after) {
            return path;
        }
        last = current;
        if Instant::now() >= deadline {
            // A picture is an artifact for people to look at, not what the test proves: keep the last one.
            eprintln!("screenshot {name}: the window never settled ({colours} colours, changed: {changed})");
            return path;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// The X id of the largest visible window named Mailgrant.
pub fn app_window_id() -> Option<String> {
    largest_visible(&["--name", "^Mailgrant$"])
}

/// The visible window of the app process `pid` (its `_NET_WM_PID`), the largest if several: unlike the title, it
/// can't be another instance's window, say one a WebDriver session of the test before is still closing.
pub fn app_window_of(pid: u32) -> Option<String> {
    largest_visible(&["--all", "--pid", &pid.to_string(), "--name", "^Mailgrant$"])
}

fn largest_visible(search: &[&str]) -> Option<String> {
    let out = Command::new("xdotool")
        .args(["search", "--onlyvisible"])
        .args(search)
        .output()
        .ok()?;
    String::from_utf8(out.stdout)
        .ok()?
        .lines()
        .filter_map(|id| {
            let geometry = Command::new("xdotool")
                .args(["getwindowgeometry", "--shell", id])
                .output()
                .ok()?;
            let text = String::from_utf8(geometry.stdout).ok()?;
            let field = |key: &str| -> Option<u64> {
                text.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .and_then(|v| v.parse().ok())
            };
            Some((field("WIDTH=")? * field("HEIGHT=")?, id.to_owned()))
        })
        .max()
        .map(|(_, id)| id)
}
