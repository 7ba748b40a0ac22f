//! The real `mailgrant` binary in WebKitGTK under Xvfb, driven through tauri-driver and WebKitWebDriver.
//!
//! Needs a display (`xvfb-run`), a D-Bus session (`dbus-run-session`), `tauri-driver` and `WebKitWebDriver` on
//! PATH, and the binary built by the same `cargo test` run (src-tauri's own integration tests make cargo build
//! it). The README's test command provides all of that and runs it with `--include-ignored`.
//!
//! Also the harness's start of tauri-driver when the port it picked for tauri-driver, or for WebKitWebDriver, was
//! taken before the driver could bind it: such a port is held here on purpose.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use fantoccini::Locator;
use mailgrant_tests::desktop::{
    app_binary, connect, free_port, screenshot, start_driver, start_driver_on, Driver,
};

#[tokio::test]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: run the README's test command"]
async fn welcome_screen_shows_the_version_from_rust_and_opens_connect() {
    let app = app_binary();
    let home = tempfile::tempdir().unwrap();
    let driver = start_driver(home.path(), &[]);
    let client = connect(&driver, &app).await;

    // The version is read from Rust over IPC (`app_info`), not baked into the UI.
    let version = client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("[data-testid='app-version']"))
        .await
        .expect("the footer shows the version from Rust");
    assert_eq!(
        version.text().await.unwrap(),
        format!("Version {}", mailgrant_core::VERSION)
    );
    let shown_home = client
        .find(Locator::Css("footer code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        Path::new(&shown_home),
        home.path().join("mailgrant"),
        "MAILGRANT_HOME reaches the app"
    );

    let title = client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(title, "Mailgrant");
    let shot = screenshot("app-welcome.png", None).await;
    eprintln!("screenshot: {}", shot.display());

    client
        .find(Locator::XPath("//button[normalize-space()='Connect a mailbox']"))
        .await
        .expect("the primary action")
        .click()
        .await
        .unwrap();
    let heading = client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::XPath("//h1[normalize-space()='Connect a mailbox']"))
        .await
        .expect("clicking the primary action opens the connect screen");
    assert!(heading.is_displayed().await.unwrap());
    screenshot("app-connect.png", Some(&shot)).await;

    client
        .find(Locator::XPath("//button[normalize-space()='Back']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::XPath("//h1[normalize-space()='Mailgrant']"))
        .await
        .expect("Back returns to the welcome screen");

    client.close().await.unwrap();
    drop(driver);
    assert!(
        !home.path().join("config").join("mailgrant").exists(),
        "nothing bypassed MAILGRANT_HOME"
    );
}

/// The running processes whose command line holds `args` in a row (an exited one's is empty).
fn running_with(args: &[&str]) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let words: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            words
                .windows(args.len())
                .any(|window| window.iter().zip(args).all(|(word, arg)| *word == arg.as_bytes()))
                .then_some(pid)
        })
        .collect()
}

/// `GET /status` through tauri-driver, answered by the WebKitWebDriver behind it: the response, headers and all.
fn status(driver: &Driver) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", driver.port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "GET /status HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        driver.port
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

/// Starts the driver with `first` as the first pair of ports and fresh ones after; returns it and every pair tried.
fn start_with_first(home: &Path, first: (u16, u16)) -> (Driver, Vec<(u16, u16)>) {
    let mut tried = Vec::new();
    let driver = start_driver_on(home, &[], || {
        let pair = if tried.is_empty() {
            first
        } else {
            (free_port(), free_port())
        };
        tried.push(pair);
        pair
    });
    (driver, tried)
}

#[test]
#[ignore = "needs tauri-driver and WebKitWebDriver: run the README's test command"]
fn a_taken_native_port_is_noticed_and_the_driver_moves_to_fresh_ports() {
    // WebKitWebDriver can't listen where this listens; tauri-driver would keep running and forward the session
    // here, where nothing ever answers.
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let home = tempfile::tempdir().unwrap();
    let (driver, tried) = start_with_first(home.path(), (free_port(), taken));

    assert!(tried.len() >= 2, "no second start: {tried:?}");
    assert_eq!(Some(&(driver.port, driver.native_port)), tried.last());
    assert_ne!(driver.native_port, taken);
    // Nothing is left of the first start: not its tauri-driver, which was still running.
    let first_port = tried[0].0.to_string();
    assert_eq!(
        running_with(&["tauri-driver", "--port", &first_port]),
        Vec::<u32>::new()
    );
    // The driver started reaches a WebKitWebDriver of its own, which answers.
    let answer = status(&driver);
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains(r#""ready":true"#),
        "{answer}"
    );
}

#[test]
#[ignore = "needs tauri-driver and WebKitWebDriver: run the README's test command"]
fn a_taken_driver_port_is_noticed_and_nothing_of_that_start_is_left_running() {
    // tauri-driver can't listen where this listens (and exits), yet a connection there succeeds.
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = holder.local_addr().unwrap().port();
    let home = tempfile::tempdir().unwrap();
    let (driver, tried) = start_with_first(home.path(), (taken, free_port()));

    assert!(tried.len() >= 2, "no second start: {tried:?}");
    assert_eq!(Some(&(driver.port, driver.native_port)), tried.last());
    assert_ne!(driver.port, taken);
    // The exited tauri-driver left its WebKitWebDriver running, holding the other port: stopped as well.
    let first_native = format!("--port={}", tried[0].1);
    assert_eq!(running_with(&[&first_native]), Vec::<u32>::new());
    let answer = status(&driver);
    assert!(answer.contains(r#""ready":true"#), "{answer}");
}
