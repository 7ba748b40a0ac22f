//! The accounts dashboard in the real app (WebKitGTK under Xvfb, through tauri-driver): an account signed in
//! through the emulator shows as working; Microsoft then revokes the consent, and a refresh turns it to "needs
//! sign-in" with the explanation; signing in again (a `BROWSER` program plays the browser) restores it.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::sync::Arc;
use std::time::Duration;

use fantoccini::{Client, Locator};
use mailgrant_core::model::{Flow, RedirectMode, Service};
use mailgrant_core::store::Store;
use mailgrant_core::vault::TokenVault;
use mailgrant_core::{DataHome, SecretString};
use mailgrant_tests::desktop::{app_binary, click, connect, screenshot, start_driver, wait_for};
use mailgrant_tests::emulator::demo::{ADELE, CONFIDENTIAL_CLIENT_ID, IT_ADMIN, SECRET_VALUE, TENANT_DOMAIN};
use mailgrant_tests::emulator::Seed;
use mailgrant_tests::fixtures::{self, TestHome};

const FAKE_BROWSER: &str = env!("CARGO_BIN_EXE_fake-browser");

async fn card_state(client: &Client, account: &str, state: &str, within: Duration) {
    let xpath = format!(
        "//*[@data-testid='account-card' and @data-account='{account}']//*[@data-testid='account-state' and @data-state='{state}']"
    );
    wait_for(client, &xpath, within).await;
}

async fn click_in_card(client: &Client, account: &str, button: &str) {
    let xpath =
        format!("//*[@data-testid='account-card' and @data-account='{account}']//button[normalize-space()='{button}']");
    click(client, &xpath).await;
}

async fn click_button(client: &Client, label: &str) {
    click(client, &format!("//button[normalize-space()='{label}']")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: run the README's test command"]
async fn a_revoked_consent_turns_the_account_to_needs_sign_in_and_signing_in_again_restores_it() {
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let dir = tempfile::tempdir().unwrap();
    let data = DataHome::resolve(Some(dir.path().join("mailgrant")), None).unwrap();
    let home = TestHome {
        store: Store::open(&data),
        vault: Arc::new(TokenVault::keychain(&data)),
        home: data,
        dir,
    };
    let mut registration = fixtures::public_registration(&emulator);
    registration.redirect_mode = RedirectMode::Loopback;
    fixtures::sign_in(&emulator, &home, &registration, "adele", ADELE, &[Service::Imap]).await;
    // A background service whose client secret runs out in 10 days, for the expiry board.
    let daemon = mailgrant_core::connect::add_account(
        &home.store,
        &home.vault,
        mailgrant_core::connect::NewAccount {
            name: "daemon".into(),
            address: ADELE.into(),
            app_name: Some("Mail daemon".into()),
            client_id: CONFIDENTIAL_CLIENT_ID.parse().unwrap(),
            tenant: TENANT_DOMAIN.parse().unwrap(),
            cloud: fixtures::emulator_cloud(&emulator),
            flow: Flow::ClientCredentials,
            redirect: RedirectMode::Loopback,
            services: [Service::GraphRead].into_iter().collect(),
            shared_mailbox: None,
            imap: None,
            pop: None,
            smtp: None,
            secret: Some((
                SecretString::new(SECRET_VALUE.into()),
                Some(time::OffsetDateTime::now_utc() + time::Duration::days(10)),
            )),
            certificate: None,
        },
    )
    .unwrap();

    let log = home.path().join("browser.log");
    let driver = start_driver(
        home.path(),
        &[
            ("BROWSER", FAKE_BROWSER),
            ("FAKE_BROWSER_LOG", log.to_str().unwrap()),
            ("FAKE_BROWSER_ADMIN", IT_ADMIN),
            ("MAILGRANT_CA_FILE", ca.as_str()),
        ],
    );
    let client = connect(&driver, &app_binary()).await;
    card_state(&client, "adele", "working", Duration::from_secs(20)).await;
    // WebKitGTK paints after the DOM is ready.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let shot = screenshot("app-dashboard.png", None).await;

    // Microsoft withdraws the consent: the next refresh fails, and the card says what to do.
    emulator.revoke(ADELE, "consent");
    click_in_card(&client, "adele", "Refresh now").await;
    card_state(&client, "adele", "needs-sign-in", Duration::from_secs(20)).await;
    let reason = client
        .find(Locator::Css(
            "[data-testid='account-card'][data-account='adele'] [data-testid='account-reason']",
        ))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Microsoft's code in the headline, and its answer in the details: AADSTS65001, invalid_grant, 400.
    assert!(
        reason.starts_with("The app hasn't been given permission yet (AADSTS65001). Since just now ("),
        "{reason}"
    );
    assert!(
        reason.contains("Code AADSTS65001AADSTS 65001Error invalid_grant")
            && reason.contains("HTTP status 400"),
        "{reason}"
    );
    let needs = screenshot("app-dashboard-needs-sign-in.png", Some(&shot)).await;

    // Signing in again (the browser program plays the user) makes it work again.
    click_in_card(&client, "adele", "Sign in again").await;
    card_state(&client, "adele", "working", Duration::from_secs(30)).await;
    let browsed = std::fs::read_to_string(&log).unwrap();
    assert!(browsed.contains("loopback answered: 200"), "{browsed}");
    let restored = screenshot("app-dashboard-restored.png", Some(&needs)).await;

    // The background service has nobody to sign in: no "Sign in again"; Refresh now gets its first token with the
    // app's secret from the keychain (its secret runs out in 10 days: expiring soon, not failing).
    let sign_in = client
        .find_all(Locator::XPath(
            "//*[@data-testid='account-card' and @data-account='daemon']//button[normalize-space()='Sign in again']",
        ))
        .await
        .unwrap();
    assert!(sign_in.is_empty(), "an app-only account offers no sign-in");
    click_in_card(&client, "daemon", "Refresh now").await;
    card_state(&client, "daemon", "expiring-soon", Duration::from_secs(20)).await;

    // The expiry board lists the daemon's secret with its threshold.
    client
        .find(Locator::XPath(
            "//button[normalize-space()='Check client-secret expiry']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let row = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid='credential-row']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(row.contains(&SECRET_VALUE[..3]), "the secret's hint: {row}");
    assert!(
        row.to_lowercase().contains("14 days"),
        "the 14-day threshold: {row}"
    );
    let board = screenshot("app-secrets-board.png", Some(&restored)).await;

    // An admin imports the organisation's app registrations from Graph through the desktop registration.
    click_button(&client, "Import from Microsoft Graph…").await;
    client
        .wait()
        .at_most(Duration::from_secs(5))
        .for_element(Locator::Css("[data-testid='import-dialog'][open]"))
        .await
        .unwrap();
    click_button(&client, "Import").await;
    let done = client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-testid='import-done']"))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "the import did not finish: {e}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        })
        .text()
        .await
        .unwrap();
    assert!(
        done.contains("Read 4 app registrations") && done.contains("contoso.example"),
        "{done}"
    );
    client
        .find(Locator::Css("[data-testid='import-dialog'] footer button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let import = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid='directory-import']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(import.contains("signed in as it@contoso.example"), "{import}");
    // The organisation's secrets join the board, soonest first: Intranet Portal's expired one leads, marked as
    // listed by Graph.
    let first = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(
            "//*[@data-testid='credential-row'][1][contains(., 'Intranet Portal') and contains(., 'From Graph')]",
        ))
        .await;
    screenshot("app-secrets-board-imported.png", Some(&board)).await;
    first.unwrap();

    client.close().await.unwrap();
    drop(driver);
    let _ = home.vault.forget_account("adele");
    let _ = home.vault.forget_registration(&registration);
    let _ = home.vault.forget_account(&daemon.name);
    for import in mailgrant_core::directory::Directory::beside(&home.store)
        .load()
        .unwrap_or_default()
    {
        let _ = home.vault.delete_directory_refresh_token(&import.id);
    }
    if let Ok(config) = home.store.load() {
        for registration in &config.registrations {
            let _ = home.vault.forget_registration(registration);
        }
    }
}
