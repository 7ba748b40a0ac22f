//! The real `mailgrant` binary in WebKitGTK under Xvfb, driven through tauri-driver and WebKitWebDriver.
//!
//! Needs a display (`xvfb-run`), a D-Bus session (`dbus-run-session`), `tauri-driver` and `WebKitWebDriver` on
//! PATH, and the binary built by the same `cargo test` run (src-tauri's own integration tests make cargo build
//! it). The README's test command provides all of that and runs it with `--include-ignored`.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::path::Path;
use std::time::Duration;

use fantoccini::Locator;
use mailgrant_tests::desktop::{app_binary, connect, screenshot, start_driver};

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
