//! The installed package, end to end: `scripts/test-package.sh` installs the .deb, then runs this against the
//! installed command (`MAILGRANT_INSTALLED`, default /usr/bin/mailgrant), the desktop app beside it
//! (`mailgrant-desktop`) and the package's desktop file as the
//! system's `mailgrant://` handler. A sign-in waits in deep-link mode in the installed app; the user's browser
//! (`fake-browser`) signs in at the emulator and hands the `mailgrant://auth?…` redirect to `xdg-open`, which
//! starts the desktop file's `Exec` — a second `mailgrant-desktop` — whose single-instance hand-over reaches the waiting
//! sign-in (a forged link that arrives first is ignored). Built only with the `installed-package` feature (the package must be installed first).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use mailgrant_tests::desktop::{connect, screenshot, start_driver};
use mailgrant_tests::emulator::demo::ADELE;
use mailgrant_tests::emulator::demo::PUBLIC_CLIENT_ID;
use mailgrant_tests::emulator::Seed;
use mailgrant_tests::fixtures::{self, cli_add_args};

const FAKE_BROWSER: &str = env!("CARGO_BIN_EXE_fake-browser");

fn installed() -> PathBuf {
    PathBuf::from(std::env::var("MAILGRANT_INSTALLED").unwrap_or_else(|_| "/usr/bin/mailgrant".to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_through_the_os_completes_the_sign_in_waiting_in_the_installed_app() {
    let app = installed();
    assert!(
        app.is_file(),
        "{} is not installed: run scripts/test-package.sh",
        app.display()
    );
    // The script keeps the home to check that removing the package leaves it.
    let (_tmp, root) = match std::env::var_os("MAILGRANT_PACKAGE_TEST_HOME") {
        Some(dir) => (None, PathBuf::from(dir)),
        None => {
            let tmp = tempfile::tempdir().unwrap();
            let root = tmp.path().to_path_buf();
            (Some(tmp), root)
        }
    };
    let home = root.join("mailgrant");
    // Microsoft over HTTPS, trusted through MAILGRANT_CA_FILE by the command line, the app and the browser.
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;

    // The account, added with the installed command line: a public client that signs in through mailgrant://.
    let add = Command::new(&app)
        .args(cli_add_args(
            &emulator,
            "work",
            PUBLIC_CLIENT_ID,
            &["--redirect", "deep-link", "--services", "imap"],
        ))
        .env("MAILGRANT_HOME", &home)
        .env("MAILGRANT_CA_FILE", ca.path())
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "add: {}",
        String::from_utf8_lossy(&add.stderr)
    );

    let log = root.join("browser.log");
    let driver = start_driver(
        &root,
        &[
            ("BROWSER", FAKE_BROWSER),
            ("FAKE_BROWSER_LOG", log.to_str().unwrap()),
            // A web page hands the OS a forged mailgrant://auth link first: the sign-in ignores it and waits.
            ("FAKE_BROWSER_FORGE_FIRST", "1"),
            ("MAILGRANT_CA_FILE", ca.as_str()),
        ],
    );
    let desktop = app.with_file_name("mailgrant-desktop");
    let client = connect(&driver, &desktop).await;
    let sign_in = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::XPath("//button[normalize-space()='Sign in again']"))
        .await
        .expect("the dashboard shows the account, not signed in yet");
    sign_in.click().await.unwrap();

    // The refresh token is in the keychain once the link came through the OS to the waiting sign-in.
    let config = home.join("config.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    let signed_in = loop {
        let account = std::fs::read(&config)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|c| c["accounts"].as_array().and_then(|a| a.first().cloned()));
        if account
            .as_ref()
            .is_some_and(|a| !a["tokens"]["refresh_issued_at"].is_null())
        {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let browser = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(signed_in, "the sign-in never completed; the browser: {browser}");
    assert!(
        browser.contains("handed to the OS with xdg-open"),
        "the redirect went through the OS: {browser}"
    );
    let who = client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("[data-testid='signed-in-as']"))
        .await
        .unwrap();
    assert!(who.text().await.unwrap().contains(ADELE));
    eprintln!("browser log: {browser}");
    screenshot("package-deep-link-signed-in.png", None).await;

    client.close().await.unwrap();
    drop(driver);
}
