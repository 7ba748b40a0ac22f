//! Driving the real `mailgrant` binary in WebKitGTK under Xvfb through tauri-driver and WebKitWebDriver: the
//! driver process, the WebDriver session, and screenshots of the real window.
#![allow(clippy::unwrap_used)] // test plumbing: a failed unwrap is a failed test, with its location

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::workspace;

pub const NEEDS: &str = "needs Xvfb, a D-Bus session and tauri-driver: run the README's test command";

/// tauri-driver in a process group of its own, so that WebKitWebDriver and the app it starts are stopped with
/// it when the test ends, pass or fail (killing tauri-driver alone leaves WebKitWebDriver running), and are gone
/// before the next test starts an app (which is single-instance).
pub struct Driver {
    child: Child,
    /// tauri-driver's port, where the WebDriver session is opened.
    pub port: u16,
    /// WebKitWebDriver's port, where tauri-driver forwards every request.
    pub native_port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.stop();
    }
}

/// How many times [`start_driver`] starts tauri-driver before it gives up.
pub const DRIVER_ATTEMPTS: usize = 5;

/// A port number nobody listened on a moment ago (bound, then closed). Only for a program that binds the number
/// itself, as tauri-driver and WebKitWebDriver do (they take numbers, not sockets): anything may take it in
/// between, so whoever starts that program must check that the program holds it (see [`start_driver`]).
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
///
/// tauri-driver binds its `--port` itself and starts WebKitWebDriver, which binds `--native-port`; both get
/// numbers found free a moment before ([`free_port`]), so something else may have taken either in between. What
/// tauri-driver 2.1.0 then does (src/main.rs, src/server.rs): when its own port was taken, it exits, leaving
/// WebKitWebDriver running; when WebKitWebDriver's was, WebKitWebDriver exits ("Unable to listen for HTTP
/// server") but tauri-driver, which never watches it, keeps running and forwards the session to whatever holds
/// that port: a request that never gets an answer, or another test's WebKitWebDriver. So the driver counts as
/// started only once a process of its own group listens on each port (something merely answering there is not
/// enough); when either exits first, its group is stopped and it is started again on fresh ports (up to
/// [`DRIVER_ATTEMPTS`] times).
pub fn start_driver(home: &Path, env: &[(&str, &str)]) -> Driver {
    assert!(std::env::var_os("DISPLAY").is_some(), "no DISPLAY: {NEEDS}");
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: {NEEDS}"
    );
    start_driver_on(home, env, || (free_port(), free_port()))
}

/// [`start_driver`] on the ports `ports` gives, `(port, native port)`, asked again before each attempt.
pub fn start_driver_on(home: &Path, env: &[(&str, &str)], mut ports: impl FnMut() -> (u16, u16)) -> Driver {
    let mut failures = Vec::new();
    for _ in 0..DRIVER_ATTEMPTS {
        let (port, native_port) = ports();
        let child = Command::new("tauri-driver")
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
        let mut driver = Driver {
            child,
            port,
            native_port,
        };
        match driver.wait_listening(Duration::from_secs(20)) {
            Ok(()) => return driver,
            Err(why) => {
                eprintln!("tauri-driver on ports {port} and {native_port}: {why}; trying other ports");
                failures.push(why);
                // Stops the group, and so whatever of it holds the other port.
                drop(driver);
            }
        }
    }
    panic!("tauri-driver did not start on any of {DRIVER_ATTEMPTS} pairs of ports ({failures:?}): {NEEDS}");
}

impl Driver {
    /// Until tauri-driver listens on its port and its WebKitWebDriver on the native port; an error when either
    /// exits first (its port was taken) or `limit` passes.
    ///
    /// # Panics
    /// When tauri-driver fails (exits non-zero: no WebKitWebDriver, bad arguments): other ports won't help. On a
    /// port it can't bind it says "can not listen to address" and exits with 0.
    fn wait_listening(&mut self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        let group = self.child.id();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "tauri-driver failed ({status}): {NEEDS}");
                return Err(format!("tauri-driver exited: port {} was taken", self.port));
            }
            let members = group_members(group);
            // WebKitWebDriver, unreaped: tauri-driver never waits for it.
            if members.iter().any(|&(pid, state)| pid != group && state == 'Z') {
                return Err(format!(
                    "WebKitWebDriver exited before listening: port {} was taken",
                    self.native_port
                ));
            }
            let pids: Vec<u32> = members.iter().map(|&(pid, _)| pid).collect();
            if held_by(self.port, &pids) && held_by(self.native_port, &pids) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "not listening on ports {} and {} within {limit:?}",
                    self.port, self.native_port
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the whole group (SIGTERM; SIGKILL after five seconds) and waits until none of it is left running:
    /// nothing of it holds a port or outlives the test. Signals only a group that still has live members, so
    /// never a number the system has given to someone else since.
    fn stop(&mut self) {
        let group = self.child.id();
        let live = || group_members(group).iter().any(|&(_, state)| state != 'Z');
        let signal = |name: &str| {
            let _ = Command::new("kill")
                .args([name, "--", &format!("-{group}")])
                .status();
        };
        if live() {
            signal("-TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while live() {
                if Instant::now() > deadline {
                    signal("-KILL");
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.wait();
    }
}

/// The processes of process group `group`, with their state (`Z`: exited, not yet reaped), from /proc.
fn group_members(group: u32) -> Vec<(u32, char)> {
    crate::procs::all()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.group == group)
        .map(|p| (p.pid, p.state))
        .collect()
}

/// Whether one of `pids` holds a socket listening on TCP port `port` (from /proc/net/tcp, tcp6 and the
/// processes' file descriptors): not merely whether something answers there.
fn held_by(port: u16, pids: &[u32]) -> bool {
    let inodes = listening_inodes(port);
    !inodes.is_empty()
        && pids.iter().any(|pid| {
            std::fs::read_dir(format!("/proc/{pid}/fd"))
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                .any(|target| {
                    let target = target.to_string_lossy();
                    inodes.iter().any(|inode| target == format!("socket:[{inode}]"))
                })
        })
}

/// The inodes of the sockets listening on TCP port `port`, any address.
fn listening_inodes(port: u16) -> Vec<String> {
    let port = format!("{port:04X}");
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        // "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …"; 0A is LISTEN.
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            if *state == "0A" && local.rsplit_once(':').is_some_and(|(_, p)| p == port) {
                inodes.push((*inode).to_owned());
            }
        }
    }
    inodes
}

/// How long one WebDriver session request may take: the app's start on a loaded machine is seconds, not minutes.
const SESSION_LIMIT: Duration = Duration::from_secs(120);

pub async fn connect(driver: &Driver, app: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "wry".into());
    caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
    let url = format!("http://127.0.0.1:{}", driver.port);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // The session request starts the app and waits for its window; one that never answers (a driver that
        // lost its WebKitWebDriver) fails the test instead of hanging it.
        let mut builder = ClientBuilder::new(HttpConnector::new());
        builder.capabilities(caps.clone());
        let Ok(answer) = tokio::time::timeout(SESSION_LIMIT, builder.connect(&url)).await else {
            panic!("tauri-driver did not answer the session request within {SESSION_LIMIT:?}");
        };
        match answer {
            Ok(client) => return live_ui(client).await,
            Err(err) if Instant::now() < deadline => {
                let _ = err;
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
            Err(err) => panic!("cannot open a WebDriver session on tauri-driver: {err}"),
        }
    }
}

/// `client`, once the app's own code has replaced the static first screen index.html draws (`#shell`): an element
/// found on that screen goes stale when it does (a click there before is carried out by the app, but a WebDriver
/// reference to its button is gone).
async fn live_ui(client: Client) -> Client {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let gone = client
            .execute("return document.getElementById('shell') === null", vec![])
            .await
            .ok()
            .and_then(|v| v.as_bool());
        if gone == Some(true) {
            return client;
        }
        assert!(
            Instant::now() < deadline,
            "the app's code did not replace the static first screen within 20 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A screenshot of the app's window taken at X level: WebKitWebDriver's own can be stale, and the DOM is ready
/// before WebKitGTK has painted, so retry until the picture has the colours of a painted screen and differs from
/// the `previous` screen's, and is the same twice running (or, for a screen that never stops changing, such as a
/// countdown, after a few seconds).
/// Waits up to `within` until the page has something at `xpath`; else fails with the page's source.
pub async fn wait_for(client: &Client, xpath: &str, within: Duration) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(within)
        .for_element(Locator::XPath(xpath))
        .await
    {
        Ok(element) => element,
        Err(e) => {
            let page = client.source().await.unwrap_or_default();
            panic!("nothing at {xpath} within {within:?}: {e}\n{page}");
        }
    }
}

/// Clicks what is at `xpath`, once it is there (10 s at the most).
pub async fn click(client: &Client, xpath: &str) {
    let element = wait_for(client, xpath, Duration::from_secs(10)).await;
    element
        .click()
        .await
        .unwrap_or_else(|e| panic!("cannot click {xpath}: {e}"));
}

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
