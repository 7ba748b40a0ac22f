//! Core's one sign-in driver (`api::sign_in`), which the wizard, "sign in again", the directory import and
//! `mailgrant sign-in` all run, driven by a scripted host through every flow and redirect mode against the
//! identity-platform emulator, with the real keychain. The host plays the user: it opens the authorize URL in the
//! emulator's pages, follows the redirect into the loopback listener, pastes the address or hands over the
//! mailgrant:// link, enters the device code, or cancels.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use mailgrant_core::api::sign_in::{self, Callback, ImportMethod, SignInEvent, SignInHost, SignedIn};
use mailgrant_core::api::{accounts, Api, ErrorCode};
use mailgrant_core::connect::NewAccount;
use mailgrant_core::model::{Flow, RedirectMode, Service};
use mailgrant_core::SecretString;
use mailgrant_tests::emulator::browser::{Browser, Decision};
use mailgrant_tests::emulator::demo::{
    ADELE, CONFIDENTIAL_CLIENT_ID, IT_ADMIN, PUBLIC_CLIENT_ID, SECRET_VALUE, TENANT_DOMAIN,
};
use mailgrant_tests::emulator::{Emulator, Seed};
use mailgrant_tests::fixtures::{self, emulator_cloud, CaFile, TestHome};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// What the scripted user does when the sign-in asks.
#[derive(Clone, Copy, PartialEq)]
enum Script {
    /// Signs in as `user` in the browser, or enters the device code.
    Approve,
    /// Before the real answer, a web page makes the browser open a forged mailgrant:// link.
    ForgeALinkFirst,
    /// Does nothing, then cancels once the sign-in has announced itself.
    Cancel,
}

struct ScriptedHost {
    emulator_base: String,
    user: &'static str,
    script: Script,
    links: bool,
    cancel: CancellationToken,
    answers: (mpsc::UnboundedSender<Callback>, mpsc::UnboundedReceiver<Callback>),
    /// Every event announced, in order.
    events: Arc<Mutex<Vec<SignInEvent>>>,
    opened: Vec<String>,
}

impl ScriptedHost {
    fn new(emulator: &Emulator, user: &'static str, script: Script) -> Self {
        Self {
            emulator_base: emulator.base_url().to_owned(),
            user,
            script,
            links: true,
            cancel: CancellationToken::new(),
            answers: mpsc::unbounded_channel(),
            events: Arc::default(),
            opened: Vec::new(),
        }
    }

    /// A host where mailgrant:// links never arrive (a terminal).
    fn without_links(mut self) -> Self {
        self.links = false;
        self
    }
}

impl SignInHost for ScriptedHost {
    fn open_browser(&mut self, url: &str) -> bool {
        self.opened.push(url.to_owned());
        if self.script == Script::Cancel {
            return true;
        }
        let (base, user, url, answers) = (
            self.emulator_base.clone(),
            self.user,
            url.to_owned(),
            self.answers.0.clone(),
        );
        let forge = self.script == Script::ForgeALinkFirst;
        tokio::spawn(async move {
            let browser = Browser::new(&base).unwrap();
            let landing = browser.sign_in(&url, user, Decision::Approve).await.unwrap();
            let address = landing.location;
            if address.starts_with("http://localhost") {
                // The loopback listener takes it.
                reqwest::get(&address).await.unwrap();
                return;
            }
            let from_link = address.starts_with("mailgrant://");
            if forge && from_link {
                let forged = "mailgrant://auth?code=attacker&state=not-the-sign-ins".to_owned();
                answers
                    .send(Callback {
                        address: forged,
                        from_link: true,
                    })
                    .unwrap();
            }
            answers.send(Callback { address, from_link }).unwrap();
        });
        true
    }

    fn announce(&mut self, event: SignInEvent) {
        self.events.lock().unwrap().push(event.clone());
        match (self.script, event) {
            (Script::Cancel, _) => self.cancel.cancel(),
            (_, SignInEvent::DeviceCode { user_code, .. }) => {
                let (base, user) = (self.emulator_base.clone(), self.user);
                tokio::spawn(async move {
                    let browser = Browser::new(&base).unwrap();
                    let (status, _) = browser
                        .enter_device_code(&user_code, user, Decision::Approve)
                        .await
                        .unwrap();
                    assert_eq!(status, 200);
                });
            }
            (_, SignInEvent::Browser { .. }) => {}
        }
    }

    fn receives_links(&self) -> bool {
        self.links
    }

    async fn callback(&mut self) -> Option<Callback> {
        self.answers.1.recv().await
    }

    fn cancellation(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

fn api(home: &TestHome, ca: &CaFile) -> Api {
    Api::with_vault(
        home.home.clone(),
        Arc::clone(&home.vault),
        Some(ca.path().to_path_buf()),
    )
    .unwrap()
}

/// A mailbox of adele's through the demo's public client (or, app-only, its confidential one).
fn new_account(emulator: &Emulator, name: &str, flow: Flow, redirect: RedirectMode) -> NewAccount {
    let app_only = flow == Flow::ClientCredentials;
    NewAccount {
        name: name.into(),
        address: ADELE.into(),
        app_name: Some(format!("Driver test ({name})")),
        client_id: if app_only {
            CONFIDENTIAL_CLIENT_ID
        } else {
            PUBLIC_CLIENT_ID
        }
        .parse()
        .unwrap(),
        tenant: TENANT_DOMAIN.parse().unwrap(),
        cloud: emulator_cloud(emulator),
        flow,
        redirect,
        services: [Service::Imap, Service::GraphRead]
            .into_iter()
            .collect::<BTreeSet<_>>(),
        shared_mailbox: None,
        imap: None,
        pop: None,
        smtp: None,
        secret: app_only.then(|| (SecretString::new(SECRET_VALUE.into()), None)),
        certificate: None,
    }
}

fn refresh_token_kept(home: &TestHome, name: &str) -> bool {
    home.vault.refresh_token(name).unwrap().is_some()
}

#[tokio::test]
async fn every_account_flow_and_redirect_mode_signs_in_through_the_one_driver() {
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let cases = [
        (
            "loopback",
            Flow::AuthCode,
            RedirectMode::Loopback,
            Script::Approve,
        ),
        ("paste", Flow::AuthCode, RedirectMode::Paste, Script::Approve),
        (
            "link",
            Flow::AuthCode,
            RedirectMode::DeepLink,
            Script::ForgeALinkFirst,
        ),
        (
            "device",
            Flow::DeviceCode,
            RedirectMode::Loopback,
            Script::Approve,
        ),
    ];
    for (name, flow, redirect, script) in cases {
        // A home each: the accounts share the demo's app registration, whose redirect mode is the first one's.
        let home = TestHome::new(&format!("driver-{name}"));
        let api = api(&home, &ca);
        accounts::add(&api, new_account(&emulator, name, flow, redirect), false)
            .await
            .unwrap();
        let mut host = ScriptedHost::new(&emulator, ADELE, script);
        let signed_in = sign_in::account(&api, name, &mut host)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let SignedIn::User(account) = signed_in else {
            panic!("{name}: a user signs in, not the app")
        };
        let who = account.identity.as_ref().and_then(|i| i.username.as_deref());
        assert_eq!(who, Some(ADELE), "{name}");
        assert!(
            refresh_token_kept(&home, name),
            "{name}: the refresh token is in the keychain"
        );
        let events = host.events.lock().unwrap().clone();
        match flow {
            Flow::DeviceCode => {
                assert!(host.opened.is_empty(), "a device code opens no browser here");
                assert!(
                    matches!(events.as_slice(), [SignInEvent::DeviceCode { .. }]),
                    "{events:?}"
                );
            }
            _ => {
                assert_eq!(host.opened.len(), 1, "{name}: one browser, at the authorize URL");
                assert!(
                    matches!(events.as_slice(), [SignInEvent::Browser { opened: true, paste, .. }]
                        if *paste == (redirect == RedirectMode::Paste)),
                    "{name}: {events:?}"
                );
            }
        }
        assert_eq!(
            accounts::health_of(&api, name).unwrap().state,
            mailgrant_core::health::AccountState::Working,
            "{name}"
        );
        accounts::remove(&api, name).await.unwrap();
        assert!(
            !refresh_token_kept(&home, name),
            "{name}: removed from the keychain too"
        );
    }

    // App-only: no user, no browser, a token with the app's own secret.
    let home = TestHome::new("driver-daemon");
    let api = api(&home, &ca);
    accounts::add(
        &api,
        new_account(
            &emulator,
            "daemon",
            Flow::ClientCredentials,
            RedirectMode::Loopback,
        ),
        false,
    )
    .await
    .unwrap();
    let mut host = ScriptedHost::new(&emulator, ADELE, Script::Approve);
    let signed_in = sign_in::account(&api, "daemon", &mut host).await.unwrap();
    assert!(matches!(signed_in, SignedIn::AppOnly(_)), "{signed_in:?}");
    assert!(host.opened.is_empty() && host.events.lock().unwrap().is_empty());

    accounts::remove(&api, "daemon").await.unwrap();
}

/// A product's "Web" registration (a confidential client with the product's redirect URI and http://localhost):
/// its secret is proved with a client-credentials request before the browser opens, so a wrong Value is told at
/// once instead of after the user signed in; the right one signs in through the loopback.
#[tokio::test]
async fn a_confidential_client_s_secret_is_proved_before_the_browser_opens() {
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("driver-web-app");
    let api = api(&home, &ca);
    let web_app = |name: &str, secret: &str| NewAccount {
        client_id: CONFIDENTIAL_CLIENT_ID.parse().unwrap(),
        secret: Some((SecretString::new(secret.into()), None)),
        ..new_account(&emulator, name, Flow::AuthCode, RedirectMode::Loopback)
    };

    accounts::add(&api, web_app("wrong", "Xyz8Q~not-the-value-entra-made"), false)
        .await
        .unwrap();
    let mut host = ScriptedHost::new(&emulator, ADELE, Script::Approve);
    let refused = sign_in::account(&api, "wrong", &mut host).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::BadSecret, "{refused:?}");
    assert_eq!(
        refused.diagnosis.as_ref().map(|d| d.code.as_str()),
        Some("AADSTS7000215"),
        "Microsoft's own answer, explained: {refused:?}"
    );
    assert!(
        host.opened.is_empty(),
        "no browser for a secret Microsoft refuses"
    );
    assert!(host.events.lock().unwrap().is_empty());
    assert!(!refresh_token_kept(&home, "wrong"));

    // A home of its own: an account added with a client ID already known joins that registration as it is.
    let home = TestHome::new("driver-web-app-right");
    let api = self::api(&home, &ca);
    accounts::add(&api, web_app("product", SECRET_VALUE), false)
        .await
        .unwrap();
    let mut host = ScriptedHost::new(&emulator, ADELE, Script::Approve);
    let signed_in = sign_in::account(&api, "product", &mut host).await.unwrap();
    assert!(matches!(signed_in, SignedIn::User(_)), "{signed_in:?}");
    assert_eq!(host.opened.len(), 1);
    assert!(refresh_token_kept(&home, "product"));
}

#[tokio::test]
async fn a_terminal_cannot_wait_for_a_link_and_a_cancelled_sign_in_keeps_nothing() {
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("driver-refusals");
    let api = api(&home, &ca);
    accounts::add(
        &api,
        new_account(&emulator, "link", Flow::AuthCode, RedirectMode::DeepLink),
        false,
    )
    .await
    .unwrap();

    // Where no mailgrant:// link can arrive, the driver says so before any browser opens.
    let mut terminal = ScriptedHost::new(&emulator, ADELE, Script::Approve).without_links();
    let refused = sign_in::account(&api, "link", &mut terminal).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::NeedsDesktopApp);
    assert!(refused.message.contains("\"link\""), "{}", refused.message);
    assert!(terminal.opened.is_empty());

    accounts::remove(&api, "link").await.unwrap();

    // Cancelled while the browser is open, or the device code shown: an error of its own, and no token kept.
    for (name, flow, redirect) in [
        ("cancel-loopback", Flow::AuthCode, RedirectMode::Loopback),
        ("cancel-paste", Flow::AuthCode, RedirectMode::Paste),
        ("cancel-device", Flow::DeviceCode, RedirectMode::Loopback),
    ] {
        let home = TestHome::new(name);
        let api = self::api(&home, &ca);
        accounts::add(&api, new_account(&emulator, name, flow, redirect), false)
            .await
            .unwrap();
        let mut host = ScriptedHost::new(&emulator, ADELE, Script::Cancel);
        let cancelled = sign_in::account(&api, name, &mut host).await.unwrap_err();
        assert_eq!(cancelled.code, ErrorCode::Cancelled, "{name}: {cancelled:?}");
        assert_eq!(
            host.events.lock().unwrap().len(),
            1,
            "{name}: it had asked the user"
        );
        assert!(!refresh_token_kept(&home, name), "{name}");
        accounts::remove(&api, name).await.unwrap();
    }
}

#[tokio::test]
async fn every_directory_import_method_runs_through_the_same_driver() {
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("driver-imports");
    let api = api(&home, &ca);
    // The registrations the imports read through: the public client (an admin signs in) and the confidential one
    // (the app reads as itself).
    accounts::add(
        &api,
        new_account(&emulator, "work", Flow::AuthCode, RedirectMode::Loopback),
        false,
    )
    .await
    .unwrap();
    accounts::add(
        &api,
        new_account(
            &emulator,
            "daemon",
            Flow::ClientCredentials,
            RedirectMode::Loopback,
        ),
        false,
    )
    .await
    .unwrap();

    for (registration, method) in [
        ("work", ImportMethod::Browser),
        ("work", ImportMethod::DeviceCode),
        ("daemon", ImportMethod::AppOnly),
    ] {
        let mut host = ScriptedHost::new(&emulator, IT_ADMIN, Script::Approve);
        let import = sign_in::import(&api, registration, method, &mut host)
            .await
            .unwrap_or_else(|e| panic!("{method:?}: {e:?}"));
        assert!(
            !import.applications.is_empty(),
            "{method:?}: the tenant's registrations were read"
        );
        match method {
            ImportMethod::AppOnly => {
                assert!(import.app_only && import.signed_in_as.is_none());
                assert!(host.opened.is_empty() && host.events.lock().unwrap().is_empty());
            }
            _ => assert_eq!(import.signed_in_as.as_deref(), Some(IT_ADMIN), "{method:?}"),
        }
    }
    let listed = mailgrant_core::api::directory::list(&api).unwrap();
    assert_eq!(
        listed.len(),
        2,
        "one import per registration and tenant: {listed:?}"
    );

    for id in mailgrant_core::api::directory::ids(&api).unwrap() {
        mailgrant_core::api::directory::remove(&api, &id).await.unwrap();
    }
    for name in ["work", "daemon"] {
        accounts::remove(&api, name).await.unwrap();
    }
}
