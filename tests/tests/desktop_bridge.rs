//! The mail bridge page in the real app (WebKitGTK under Xvfb, through tauri-driver): a password made and shown
//! once, the bridge turned on at Rust's default ports, the network mode turned on and off again on the same ports
//! (Rust keeps them; the bridge starts again each time), a program's connection greeted on the port the page
//! shows, the bridge off again and forgotten; then the account forgotten, and its bridge password with it. (That a
//! stopped bridge's listeners are gone before the new ones bind is `api::bridge`'s unit test: on the app's
//! multi-threaded runtime the race is rarely lost.)

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::collections::BTreeMap;
use std::time::Duration;

use fantoccini::{Client, Locator};
use mailgrant_core::model::{Flow, Service};
use mailgrant_core::store::Store;
use mailgrant_tests::desktop::{app_binary, click, connect, screenshot, start_driver, wait_for};
use mailgrant_tests::fixtures;
use tokio::io::AsyncBufReadExt as _;

const ADDRESS: &str = "scans@contoso.example";

/// Waits until the page says the bridge is `state` ("Off", "On, for this computer", …).
async fn bridge_state(client: &Client, state: &str) {
    let xpath = format!("//*[@data-testid='bridge-state'][normalize-space()='{state}']");
    wait_for(client, &xpath, Duration::from_secs(20)).await;
}

/// The ports the page shows, by protocol and kind: `{"imap/plain": 1143, …}`.
async fn ports(client: &Client) -> BTreeMap<String, u16> {
    let mut shown = BTreeMap::new();
    for row in client
        .find_all(Locator::Css("[data-testid='bridge-port']"))
        .await
        .unwrap()
    {
        let protocol = row.attr("data-protocol").await.unwrap().unwrap();
        let tls = row.attr("data-tls").await.unwrap().unwrap();
        let port = row
            .find(Locator::Css("code"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        shown.insert(format!("{protocol}/{tls}"), port.trim().parse().unwrap());
    }
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: run the README's test command"]
async fn the_bridge_page_turns_the_network_mode_on_and_off_on_the_same_ports() {
    let dir = tempfile::tempdir().unwrap();
    let home = mailgrant_core::DataHome::resolve(Some(dir.path().join("mailgrant")), None).unwrap();
    // A scanner's mailbox: IMAP and SMTP, not signed in (the bridge page needs no sign-in to set up).
    let registration = mailgrant_core::model::AppRegistration {
        id: "scanner".into(),
        name: "Scanner".into(),
        client_id: "6731de76-14a6-49ae-97bc-6eba6914391e".parse().unwrap(),
        tenant: "contoso.example".parse().unwrap(),
        cloud: mailgrant_core::model::Cloud::Global,
        client_kind: mailgrant_core::model::ClientKind::Public,
        redirect_mode: mailgrant_core::model::RedirectMode::Loopback,
        credentials: Vec::new(),
    };
    let account = fixtures::account(
        "scans",
        ADDRESS,
        &registration,
        Flow::AuthCode,
        &[Service::Imap, Service::Smtp],
    );
    Store::open(&home)
        .add_registration_and_account(registration, account)
        .unwrap();

    let driver = start_driver(dir.path(), &[]);
    let client = connect(&driver, &app_binary()).await;
    click(
        &client,
        "//*[@data-testid='account-card' and @data-account='scans']//button[normalize-space()='Password-only programs…']",
    )
    .await;
    bridge_state(&client, "Off").await;

    // A password, shown once.
    click(&client, "//button[normalize-space()='Make a password']").await;
    let shown = wait_for(
        &client,
        "//*[@data-testid='bridge-password-value']",
        Duration::from_secs(10),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(shown.len() >= 16, "a long password: {shown:?}");

    // On: Rust's default ports, for the account's protocols.
    click(&client, "//input[@data-testid='bridge-switch']").await;
    bridge_state(&client, "On, for this computer").await;
    let local = ports(&client).await;
    assert_eq!(
        local,
        BTreeMap::from([("imap/plain".to_owned(), 1143), ("smtp/plain".to_owned(), 1587)])
    );

    // The network mode: the bridge starts again, on the same ports, plus the TLS ones.
    let address = client.find(Locator::Css("#bridge-lan-address")).await.unwrap();
    address.send_keys("127.0.0.1").await.unwrap();
    click(
        &client,
        "//button[normalize-space()='Let devices on my network use it']",
    )
    .await;
    bridge_state(&client, "On, for this computer and your network").await;
    let lan = ports(&client).await;
    assert_eq!(lan["imap/plain"], local["imap/plain"], "{lan:?}");
    assert_eq!(lan["smtp/plain"], local["smtp/plain"], "{lan:?}");
    assert!(lan.contains_key("imap/implicit"), "{lan:?}");
    screenshot("app-bridge-network.png", None).await;

    // Back to this computer only: the same ports again.
    click(&client, "//button[normalize-space()='Only this computer again']").await;
    bridge_state(&client, "On, for this computer").await;
    assert_eq!(ports(&client).await, local);

    // A program connecting to the port the page shows is greeted by the bridge.
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", local["imap/plain"]))
        .await
        .unwrap();
    let mut greeting = String::new();
    tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::BufReader::new(tcp).read_line(&mut greeting),
    )
    .await
    .expect("a greeting")
    .unwrap();
    assert!(greeting.starts_with("* OK"), "{greeting:?}");

    // Off, and not started again at the next launch.
    click(&client, "//input[@data-testid='bridge-switch']").await;
    bridge_state(&client, "Off").await;
    let settings = mailgrant_core::desktop::DesktopSettings::load(&home).unwrap();
    assert_eq!(
        settings.bridge, None,
        "forgotten: the next launch does not start it"
    );

    // Forgetting the account takes its bridge password out of the keychain with its config.
    let vault = mailgrant_core::vault::TokenVault::keychain(&home);
    assert!(
        vault.bridge_password("scans").unwrap().is_some(),
        "kept in the keychain"
    );
    click(&client, "//button[normalize-space()='Back']").await;
    click(
        &client,
        "//*[@data-testid='account-card' and @data-account='scans']//button[normalize-space()='Forget']",
    )
    .await;
    click(
        &client,
        "//*[@data-testid='forget-dialog']//button[normalize-space()='Forget this account']",
    )
    .await;
    wait_for(
        &client,
        "//*[@data-testid='forgotten-notice' and @data-account='scans']",
        Duration::from_secs(10),
    )
    .await;
    assert!(
        vault.bridge_password("scans").unwrap().is_none(),
        "gone from the keychain"
    );
    assert!(Store::open(&home).load().unwrap().accounts.is_empty());

    client.close().await.unwrap();
    drop(driver);
}
