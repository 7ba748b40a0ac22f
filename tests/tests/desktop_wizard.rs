//! The "Connect a mailbox" wizard in the real app (WebKitGTK under Xvfb, through tauri-driver), from nothing to
//! a connected, tested mailbox: against the emulator for Microsoft, the real keychain, and the real Dovecot and
//! Postfix checking the tokens. A `BROWSER` program plays the user's browser for the loopback sign-in; the test
//! approves the device code as the user would on another device.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use mailgrant_core::vault::TokenVault;
use mailgrant_core::DataHome;
use mailgrant_tests::desktop::{app_binary, connect, screenshot, start_driver, Driver};
use mailgrant_tests::emulator::browser::{Browser, Decision};
use mailgrant_tests::emulator::demo::{
    ADELE, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_REDIRECT, PUBLIC_CLIENT_ID, SECRET_VALUE, TENANT_DOMAIN,
};
use mailgrant_tests::emulator::{Emulator, Seed};
use mailgrant_tests::fixtures::CaFile;
use mailgrant_tests::peers::MailPeers;

const FAKE_BROWSER: &str = env!("CARGO_BIN_EXE_fake-browser");
const WAIT: Duration = Duration::from_secs(20);

/// The app is single-instance (a second launch hands over to the first and exits), and the screenshots are of
/// the one Mailgrant window: one app at a time.
static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Bed {
    emulator: Emulator,
    peers: MailPeers,
    /// The emulator's CA and the peers' in one file, the app's `MAILGRANT_CA_FILE`.
    ca: CaFile,
    home: tempfile::TempDir,
}

impl Bed {
    async fn start() -> Bed {
        let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
        let base = emulator.introspection_base().to_owned();
        let peers = tokio::task::spawn_blocking(move || MailPeers::start(&base))
            .await
            .unwrap()
            .unwrap();
        let ca = CaFile::new(&[peers.ca_pem().unwrap().as_bytes()]);
        Bed {
            emulator,
            peers,
            ca,
            home: tempfile::tempdir().unwrap(),
        }
    }

    fn data_home(&self) -> PathBuf {
        self.home.path().join("mailgrant")
    }

    fn driver(&self) -> Driver {
        let log = self.home.path().join("browser.log");
        start_driver(
            self.home.path(),
            &[
                ("BROWSER", FAKE_BROWSER),
                ("FAKE_BROWSER_LOG", log.to_str().unwrap()),
                ("MAILGRANT_CA_FILE", self.ca.as_str()),
            ],
        )
    }

    /// Removes what the app stored in the (test session's) keychain.
    fn forget(&self, account: &str) {
        let home = DataHome::resolve(Some(self.data_home()), None).unwrap();
        let vault = TokenVault::keychain(&home);
        let _ = vault.forget_account(account);
        if let Ok(config) = mailgrant_core::store::Store::open(&home).load() {
            for registration in &config.registrations {
                let _ = vault.forget_registration(registration);
            }
        }
    }
}

async fn by_label(client: &Client, label: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(&format!(
            "//*[@id=//label[normalize-space()=\"{label}\"]/@for]"
        )))
        .await
        .unwrap_or_else(|e| panic!("no field labelled {label:?}: {e}"))
}

async fn fill(client: &Client, label: &str, value: &str) {
    let field = by_label(client, label).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Ticks (or unticks) the checkbox or radio labelled `label`.
async fn choose(client: &Client, label: &str, on: bool) {
    let input = by_label(client, label).await;
    if input.is_selected().await.unwrap() != on {
        input.click().await.unwrap();
    }
}

async fn at_step(client: &Client, step: u8) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!(
            "[data-testid='wizard-step'][data-step='{step}']"
        )))
        .await
        .unwrap_or_else(|e| panic!("step {step} never showed: {e}"));
}

async fn next(client: &Client, to: u8) {
    let button = client
        .find(Locator::Css("[data-testid='wizard-next']"))
        .await
        .unwrap();
    button.click().await.unwrap();
    at_step(client, to).await;
}

async fn step_text(client: &Client) -> String {
    client
        .find(Locator::Css("[data-testid='wizard-step']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The app, with the wizard open at step 1.
async fn start_wizard(bed: &Bed) -> (Driver, Client) {
    let driver = bed.driver();
    let client = connect(&driver, &app_binary()).await;
    open_wizard(&client).await;
    (driver, client)
}

async fn open_wizard(client: &Client) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath("//button[normalize-space()='Connect a mailbox']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    at_step(client, 1).await;
}

/// Steps 1 and 2 for the test bed: IMAP, SMTP and POP of adele's mailbox, her organisation only, the emulator as
/// a custom cloud with the real mail servers.
async fn answer_steps_1_and_2(client: &Client, bed: &Bed, device_code: bool, with_secret: bool) -> PathBuf {
    fill(client, "Email address", ADELE).await;
    choose(client, "Read mail over IMAP", true).await;
    choose(client, "Read mail over POP", true).await;
    choose(client, "Send mail (SMTP)", true).await;
    let step1 = screenshot("app-wizard-1-what.png", None).await;
    next(client, 2).await;
    answer_whose_and_the_cloud(client, bed).await;
    if device_code {
        choose(client, "With a code on another device", true).await;
    } else {
        choose(client, "In the browser on this computer", true).await;
        choose(
            client,
            "My organisation requires a client secret (Web app)",
            with_secret,
        )
        .await;
    }
    step1
}

/// Step 2: an organisation's accounts, in the test bed's cloud (the emulator and the mail peers).
async fn answer_whose_and_the_cloud(client: &Client, bed: &Bed) {
    client
        .find(Locator::Css("input[type='radio'][value='my-organisation']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let cloud = by_label(client, "Microsoft cloud").await;
    cloud.select_by_value("custom").await.unwrap();
    fill(client, "Sign-in address (authority)", bed.emulator.base_url()).await;
    fill(client, "Microsoft Graph address", bed.emulator.base_url()).await;
    fill(
        client,
        "Graph token audience (optional)",
        "https://graph.microsoft.com",
    )
    .await;
    fill(client, "IMAP server", &bed.peers.imap_starttls().to_string()).await;
    fill(
        client,
        "SMTP server",
        &bed.peers.submission_starttls().to_string(),
    )
    .await;
    fill(client, "POP server", &bed.peers.pop_starttls().to_string()).await;
}

/// Waits for "connected", then checks every layer of the `protocols` probes passed (or was skipped): at least
/// five layers each.
async fn wait_connected(client: &Client) {
    wait_connected_over(client, 3).await;
}

async fn wait_connected_over(client: &Client, protocols: usize) {
    let connected = client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css("[data-testid='connected']"))
        .await;
    if connected.is_err() {
        let page = client.source().await.unwrap_or_default();
        panic!("never connected; the page:\n{page}");
    }
    let layers = client
        .find_all(Locator::Css("[data-testid='probe-layer']"))
        .await
        .unwrap();
    assert!(
        layers.len() >= 5 * protocols,
        "{protocols} protocols' layers: {}",
        layers.len()
    );
    for layer in layers {
        let status = layer.attr("data-status").await.unwrap().unwrap_or_default();
        assert!(
            status == "passed" || status == "skipped",
            "a layer {status}: {}",
            layer.text().await.unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session, tauri-driver and the mail peers: run the README's test command"]
async fn a_confidential_app_with_loopback_sign_in_ends_in_a_tested_mailbox() {
    let _one = ONE_APP.lock().await;
    let bed = Bed::start().await;
    let (driver, client) = start_wizard(&bed).await;
    let step1 = answer_steps_1_and_2(&client, &bed, false, true).await;
    let step2 = screenshot("app-wizard-2-whose.png", Some(&step1)).await;
    next(&client, 3).await;

    // The guide names the platform and the redirect URI to register.
    let guide = step_text(&client).await;
    assert!(guide.contains("http://localhost"), "{guide}");
    assert!(guide.contains("IMAP.AccessAsUser.All"), "{guide}");
    let step3 = screenshot("app-wizard-3-register.png", Some(&step2)).await;
    next(&client, 4).await;

    fill(&client, "Application (client) ID", CONFIDENTIAL_CLIENT_ID).await;
    fill(&client, "Directory (tenant) ID", TENANT_DOMAIN).await;
    fill(&client, "Client secret Value", SECRET_VALUE).await;
    let step4 = screenshot("app-wizard-4-paste.png", Some(&step3)).await;
    next(&client, 5).await;

    // The secret went to the keychain, not to the config.
    let config = std::fs::read_to_string(bed.data_home().join("config.json")).unwrap();
    assert!(!config.contains(SECRET_VALUE));

    click(&client, "[data-testid='sign-in']").await;
    at_step(&client, 6).await;
    wait_connected(&client).await;
    let step6 = screenshot("app-wizard-6-connected.png", Some(&step4)).await;
    let log = std::fs::read_to_string(bed.home.path().join("browser.log")).unwrap();
    assert!(log.contains("loopback answered: 200"), "{log}");

    // "Use this mailbox": the servers the real core computed for this account, and the recipes.
    click(&client, "[data-testid='use-mailbox']").await;
    let handoff = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='server-table']"))
        .await
        .expect("the server settings show");
    let table = handoff.text().await.unwrap();
    assert!(
        table.contains("127.0.0.1") && table.contains("OAuth2") && table.contains(ADELE),
        "{table}"
    );
    screenshot("app-use-this-mailbox.png", Some(&step6)).await;

    client.close().await.unwrap();
    drop(driver);
    bed.forget(ADELE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session, tauri-driver and the mail peers: run the README's test command"]
async fn a_device_code_sign_in_ends_in_a_tested_mailbox() {
    let _one = ONE_APP.lock().await;
    let bed = Bed::start().await;
    let (driver, client) = start_wizard(&bed).await;
    answer_steps_1_and_2(&client, &bed, true, false).await;
    next(&client, 3).await;
    let guide = step_text(&client).await;
    assert!(guide.contains("public client flows"), "{guide}");
    next(&client, 4).await;
    fill(&client, "Application (client) ID", PUBLIC_CLIENT_ID).await;
    fill(&client, "Directory (tenant) ID", TENANT_DOMAIN).await;
    next(&client, 5).await;

    click(&client, "[data-testid='sign-in']").await;
    let code = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='device-code']"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shot = screenshot("app-wizard-5-device-code.png", None).await;
    let browser = Browser::new(bed.emulator.base_url()).unwrap();
    let (status, _) = browser
        .enter_device_code(code.trim(), ADELE, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(status, 200);
    at_step(&client, 6).await;
    wait_connected(&client).await;
    screenshot("app-wizard-6-device-connected.png", Some(&shot)).await;

    client.close().await.unwrap();
    drop(driver);
    bed.forget(ADELE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session, tauri-driver and the mail peers: run the README's test command"]
async fn another_product_is_proved_with_its_own_client_id_and_secret_then_handed_over() {
    let _one = ONE_APP.lock().await;
    let bed = Bed::start().await;
    let (driver, client) = start_wizard(&bed).await;
    fill(&client, "Email address", ADELE).await;
    choose(
        &client,
        "For another product (it asks for a client ID and secret)",
        true,
    )
    .await;
    by_label(&client, "Product")
        .await
        .select_by_value("email-this-issue")
        .await
        .unwrap();
    // The demo's confidential client is a "Web" app with the product's redirect URI and http://localhost.
    fill(&client, "The product's redirect URI", CONFIDENTIAL_REDIRECT).await;
    next(&client, 2).await;
    answer_whose_and_the_cloud(&client, &bed).await;
    next(&client, 3).await;
    let guide = step_text(&client).await;
    assert!(
        guide.contains(CONFIDENTIAL_REDIRECT) && guide.contains("http://localhost"),
        "{guide}"
    );
    next(&client, 4).await;
    fill(&client, "Application (client) ID", CONFIDENTIAL_CLIENT_ID).await;
    fill(&client, "Directory (tenant) ID", TENANT_DOMAIN).await;
    fill(&client, "Client secret Value", SECRET_VALUE).await;
    next(&client, 5).await;

    // Proved with the product's own client ID and secret: a real sign-in through http://localhost, then the probes.
    click(&client, "[data-testid='sign-in']").await;
    at_step(&client, 6).await;
    wait_connected_over(&client, 2).await;
    let card = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='hand-over']"))
        .await
        .expect("the hand-over card shows");
    let values = card.text().await.unwrap();
    for expected in [
        CONFIDENTIAL_CLIENT_ID,
        TENANT_DOMAIN,
        CONFIDENTIAL_REDIRECT,
        "/oauth2/v2.0/token",
        "offline_access",
    ] {
        assert!(
            values.contains(expected),
            "{expected} missing from the card: {values}"
        );
    }
    assert!(
        values.contains(&SECRET_VALUE[..3]),
        "the secret's first characters: {values}"
    );
    let page = client.source().await.unwrap();
    assert!(
        !page.contains(SECRET_VALUE),
        "the secret's Value never reaches the webview"
    );
    client
        .execute(
            "document.querySelector(\"[data-testid='hand-over']\").scrollIntoView({ block: 'start' })",
            vec![],
        )
        .await
        .unwrap();
    screenshot("app-hand-over.png", None).await;

    // The registration's secret joins the expiry board (and its notifications) with the rest.
    click(&client, "[data-testid='wizard-done']").await;
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::XPath(
            "//button[normalize-space()='Check client-secret expiry']",
        ))
        .await
        .expect("the dashboard offers the expiry board")
        .click()
        .await
        .unwrap();
    let rows = client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css("[data-testid='credential-row']"))
        .await
        .expect("the board lists the product's secret");
    let row = rows.text().await.unwrap();
    assert!(
        row.contains(&SECRET_VALUE[..3]),
        "the product registration's secret on the board: {row}"
    );

    client.close().await.unwrap();
    drop(driver);
    bed.forget(ADELE);
}
