//! The local mail bridge (`mailgrant_core::bridge`, `mailgrant bridge`) with real clients and real servers:
//! Python's imaplib, poplib and smtplib (LOGIN and PLAIN), curl's IMAP and SMTP, and swaks talk to the bridge,
//! which logs in to the test bed's Dovecot and Postfix with XOAUTH2 and the emulator's tokens. Mail sent through
//! the bridge is delivered by Postfix into Dovecot and read back through the bridge over IMAP and POP.
//!
//! Also: a token expiring mid-session is refreshed for the next login; a consent revoked in the emulator becomes
//! the client's authentication failure, a diagnosed event, and the account's "needs sign-in"; a wrong bridge
//! password, a revoked one, a forged sender, a plain-text login on the LAN listener and garbage are refused.
//!
//! Each test signs in as a user of its own (`Emulator::add_mail_user`), so the mail it reads is exactly what it
//! sent, and a consent it revokes is nobody else's.
//!
//! Needs the real keychain (a D-Bus session with gnome-keyring), root for Postfix, python3, curl and swaks:
//! `scripts/install-deps.sh test`, then the README's test command.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;

use mailgrant_core::api::bridge::{self as bridge_api, LanOptions, RunOptions, Running};
use mailgrant_core::api::{Api, ErrorCode};
use mailgrant_core::bridge::BridgeProtocol;
use mailgrant_core::health::{self, AccountState};
use mailgrant_core::model::{HostPort, Resource, Service};
use mailgrant_core::token_lifecycle::now_unix;
use mailgrant_tests::emulator::demo::MEGAN;
use mailgrant_tests::emulator::{Emulator, RevokeReason, Seed};
use mailgrant_tests::fixtures::{self, CaFile, TestHome};
use mailgrant_tests::peers::{MailPeers, SERVER_NAME};
use serde_json::{json, Value};

const CLIENTS: &str = include_str!("bridge_clients.py");

struct Bed {
    emulator: Emulator,
    peers: MailPeers,
    /// The emulator's CA and the peers' in one file.
    ca: CaFile,
    _runtime: tokio::runtime::Runtime,
}

fn bed() -> &'static Bed {
    static BED: OnceLock<Result<Bed, String>> = OnceLock::new();
    let bed = BED.get_or_init(|| {
        std::thread::spawn(|| -> Result<Bed, String> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|error| format!("cannot build the emulator's runtime: {error}"))?;
            let emulator = runtime
                .block_on(Emulator::start_tls(Seed::demo()))
                .map_err(|error| format!("cannot start the emulator: {error}"))?;
            let peers = MailPeers::start(emulator.introspection_base()).map_err(|error| error.to_string())?;
            let ca = CaFile::new(&[peers.ca_pem().map_err(|error| error.to_string())?.as_bytes()]);
            Ok(Bed {
                emulator,
                peers,
                ca,
                _runtime: runtime,
            })
        })
        .join()
        .unwrap_or_else(|_| Err("starting the emulator and the mail peers panicked".into()))
    });
    match bed {
        Ok(bed) => bed,
        Err(error) => panic!("{error}"),
    }
}

fn unique(label: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("{label}-{}-{nanos}", std::process::id())
}

/// An account of a user of its own (`<label>-<n>@contoso.example`, with an empty mailbox), signed in through the
/// emulator, its servers the peers' STARTTLS ports, and its bridge password.
struct Setup {
    home: TestHome,
    api: Api,
    name: String,
    address: String,
    password: String,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = self.home.vault.forget_account(&self.name);
    }
}

async fn setup(label: &str) -> Setup {
    let bed = bed();
    let address = bed.emulator.add_mail_user(label);
    let user = address.as_str();
    let name = unique(label);
    let name = name.as_str();
    let home = TestHome::new(name);
    let registration = fixtures::public_registration(&bed.emulator);
    fixtures::sign_in(
        &bed.emulator,
        &home,
        &registration,
        name,
        user,
        &[Service::Imap, Service::Pop, Service::Smtp],
    )
    .await;
    let server = |port: u16| {
        Some(HostPort {
            host: SERVER_NAME.to_owned(),
            port,
        })
    };
    let (imap, pop, smtp) = (
        bed.peers.imap_starttls().port(),
        bed.peers.pop_starttls().port(),
        bed.peers.submission_starttls().port(),
    );
    home.store
        .update(|config| {
            let account = config.account_mut(name).unwrap();
            account.imap = server(imap);
            account.pop = server(pop);
            account.smtp = server(smtp);
            Ok::<_, mailgrant_core::store::StoreError>(())
        })
        .unwrap();
    let api = Api::with_vault(
        home.home.clone(),
        home.vault.clone(),
        Some(bed.ca.path().to_path_buf()),
    )
    .unwrap();
    let made = bridge_api::password(&api, name, false).await.unwrap();
    assert!(made.created);
    assert_eq!(made.user, user);
    Setup {
        password: made.password.expose().clone(),
        name: name.to_owned(),
        address: user.to_owned(),
        home,
        api,
    }
}

async fn run_loopback(api: &Api) -> Running {
    bridge_api::run(
        api,
        &RunOptions {
            imap: Some(0),
            pop: Some(0),
            smtp: Some(0),
            lan: None,
        },
    )
    .await
    .unwrap()
}

fn port(running: &Running, protocol: BridgeProtocol, implicit_tls: bool) -> u16 {
    running.bridge.address(protocol, implicit_tls).unwrap().port()
}

/// Runs the Python clients with `args`; their JSON answer.
async fn python(args: Value) -> Value {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(CLIENTS)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(args.to_string().as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(stdout.trim()).unwrap_or_else(|_| {
            panic!(
                "python said {stdout:?}, stderr {:?}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    })
    .await
    .unwrap()
}

/// A program run to the end (`curl`, `swaks`): exit status, stdout and stderr.
async fn program(name: &str, args: Vec<String>, stdin: Option<String>) -> (i32, String, String) {
    let name = name.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(&name);
        command
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("{name} runs: {e}"));
        let input = stdin.unwrap_or_default();
        {
            use std::io::Write as _;
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

fn imap_args(port: u16, user: &str, password: &str) -> Value {
    json!({"client": "imap", "host": "127.0.0.1", "port": port, "user": user, "password": password})
}

fn with(mut base: Value, more: Value) -> Value {
    for (k, v) in more.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session with a keyring and the mail peers: run the README's test command"]
async fn python_clients_send_read_and_fetch_through_the_bridge() {
    let s = setup("py").await;
    let running = run_loopback(&s.api).await;
    let (imap, pop, smtp) = (
        port(&running, BridgeProtocol::Imap, false),
        port(&running, BridgeProtocol::Pop, false),
        port(&running, BridgeProtocol::Smtp, false),
    );

    // smtplib with AUTH PLAIN, then AUTH LOGIN: two messages to the account itself, through Postfix.
    let subjects = ["Sent with AUTH PLAIN", "Sent with AUTH LOGIN"];
    for (method, subject) in ["PLAIN", "LOGIN"].iter().zip(&subjects) {
        let sent = python(json!({
            "client": "smtp", "host": "127.0.0.1", "port": smtp, "user": s.address, "password": s.password,
            "method": method, "from": s.address, "to": s.address, "subject": subject,
        }))
        .await;
        assert_eq!(sent["ok"], true, "{method}: {sent}");
        assert_eq!(sent["auth"], 235, "{sent}");
    }

    // imaplib LOGIN (by address) finds both in the INBOX Dovecot holds; AUTHENTICATE PLAIN (by account name)
    // too.
    let read = python(with(
        imap_args(imap, &s.address, &s.password),
        json!({"subject": subjects[0]}),
    ))
    .await;
    assert_eq!(read["ok"], true, "{read}");
    assert_eq!(read["found"], 1, "{read}");
    assert!(
        read["message"]
            .as_str()
            .unwrap()
            .contains("Sent through the Mailgrant bridge."),
        "{read}"
    );
    assert!(
        read["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "AUTH=PLAIN"),
        "{read}"
    );
    // The mail server's own OK (its capabilities) reached the program.
    assert!(
        read["login"][1][0].as_str().unwrap().contains("Logged in"),
        "{read}"
    );
    let plain = python(with(
        imap_args(imap, &s.name, &s.password),
        json!({"method": "plain", "subject": subjects[1]}),
    ))
    .await;
    assert_eq!(plain["ok"], true, "{plain}");
    assert_eq!(plain["found"], 1, "{plain}");

    // poplib USER/PASS fetches them: exactly the two.
    let fetched = python(json!({
        "client": "pop", "host": "127.0.0.1", "port": pop, "user": s.address, "password": s.password,
    }))
    .await;
    assert_eq!(fetched["ok"], true, "{fetched}");
    assert_eq!(fetched["count"], 2, "{fetched}");
    let mut got: Vec<&str> = fetched["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    got.sort_unstable();
    let mut sent = subjects.to_vec();
    sent.sort_unstable();
    assert_eq!(got, sent);

    let status = running.status();
    assert!(status.logins >= 5, "{status:?}");
    assert!(status.last_errors.is_empty(), "{:?}", status.last_errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session with a keyring and the mail peers: run the README's test command"]
async fn curl_and_swaks_send_and_read_through_the_bridge() {
    let s = setup("curl").await;
    let running = run_loopback(&s.api).await;
    let (imap, smtp) = (
        port(&running, BridgeProtocol::Imap, false),
        port(&running, BridgeProtocol::Smtp, false),
    );
    let userpass = format!("{}:{}", s.address, s.password);

    // curl SMTP (AUTH PLAIN).
    let subject = "Sent by curl";
    let message = format!(
        "From: {a}\r\nTo: {a}\r\nSubject: {subject}\r\n\r\nSent by curl through the bridge.\r\n",
        a = s.address
    );
    let (code, _, err) = program(
        "curl",
        vec![
            "--silent".into(),
            "--show-error".into(),
            "--max-time".into(),
            "30".into(),
            format!("smtp://127.0.0.1:{smtp}"),
            "--mail-from".into(),
            s.address.clone(),
            "--mail-rcpt".into(),
            s.address.clone(),
            "--user".into(),
            userpass.clone(),
            "--upload-file".into(),
            "-".into(),
        ],
        Some(message),
    )
    .await;
    assert_eq!(code, 0, "curl smtp: {err}");

    // swaks (AUTH LOGIN), a real mail program in batch mode.
    let swaks_subject = "Sent by swaks";
    let (code, out, err) = program(
        "swaks",
        vec![
            "--server".into(),
            "127.0.0.1".into(),
            "--port".into(),
            smtp.to_string(),
            "--auth".into(),
            "LOGIN".into(),
            "--auth-user".into(),
            s.address.clone(),
            "--auth-password".into(),
            s.password.clone(),
            "--from".into(),
            s.address.clone(),
            "--to".into(),
            s.address.clone(),
            "--header".into(),
            format!("Subject: {swaks_subject}"),
            "--timeout".into(),
            "30".into(),
        ],
        None,
    )
    .await;
    assert_eq!(code, 0, "swaks: {out}\n{err}");
    assert!(out.contains("235"), "{out}");

    // Both arrive; curl IMAP finds and fetches curl's message.
    let both = python(with(
        imap_args(imap, &s.address, &s.password),
        json!({"subject": swaks_subject}),
    ))
    .await;
    assert_eq!(both["found"], 1, "{both}");
    let mut uid = String::new();
    for _ in 0..50 {
        let (code, out, err) = program(
            "curl",
            vec![
                "--silent".into(),
                "--show-error".into(),
                "--max-time".into(),
                "30".into(),
                format!("imap://127.0.0.1:{imap}/INBOX"),
                "--user".into(),
                userpass.clone(),
                "--request".into(),
                format!("UID SEARCH SUBJECT \"{subject}\""),
            ],
            None,
        )
        .await;
        assert_eq!(code, 0, "curl imap search: {err}");
        uid = out
            .split_whitespace()
            .skip_while(|w| *w != "SEARCH")
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        if !uid.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(!uid.is_empty(), "curl's message arrived");
    let (code, out, err) = program(
        "curl",
        vec![
            "--silent".into(),
            "--show-error".into(),
            "--max-time".into(),
            "30".into(),
            format!("imap://127.0.0.1:{imap}/INBOX;UID={uid}"),
            "--user".into(),
            userpass,
        ],
        None,
    )
    .await;
    assert_eq!(code, 0, "curl imap fetch: {err}");
    assert!(out.contains("Sent by curl through the bridge."), "{out}");
    // And nothing else is there.
    let inbox = python(imap_args(imap, &s.address, &s.password)).await;
    assert_eq!(inbox["exists"], 2, "{inbox}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session with a keyring and the mail peers: run the README's test command"]
async fn wrong_revoked_and_forged_are_refused_and_recorded_without_the_password() {
    let s = setup("refuse").await;
    let running = run_loopback(&s.api).await;
    let (imap, pop, smtp) = (
        port(&running, BridgeProtocol::Imap, false),
        port(&running, BridgeProtocol::Pop, false),
        port(&running, BridgeProtocol::Smtp, false),
    );
    let wrong = "not-the-bridge-password";

    let refused = python(imap_args(imap, &s.address, wrong)).await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("AUTHENTICATIONFAILED"),
        "{refused}"
    );
    // An unknown user is refused the same way.
    let unknown = python(imap_args(imap, "nobody@contoso.example", &s.password)).await;
    assert!(
        unknown["error"]
            .as_str()
            .unwrap()
            .contains("AUTHENTICATIONFAILED"),
        "{unknown}"
    );
    let pop_refused = python(json!({
        "client": "pop", "host": "127.0.0.1", "port": pop, "user": s.address, "password": wrong,
    }))
    .await;
    assert_eq!(pop_refused["ok"], false, "{pop_refused}");
    let smtp_refused = python(json!({
        "client": "smtp", "host": "127.0.0.1", "port": smtp, "user": s.address, "password": wrong,
        "from": s.address, "to": s.address, "subject": "x",
    }))
    .await;
    assert_eq!(smtp_refused["code"], 535, "{smtp_refused}");

    // Failures slow their sender down: the fifth wrong password in a row takes seconds.
    let started = std::time::Instant::now();
    let slow = python(imap_args(imap, &s.address, wrong)).await;
    assert_eq!(slow["ok"], false);
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    // The right password still works (and ends the backoff).
    let fine = python(imap_args(imap, &s.address, &s.password)).await;
    assert_eq!(fine["ok"], true, "{fine}");

    // Never an open relay: a sender other than the account is refused, and nothing reaches Postfix's queue.
    let forged = python(json!({
        "client": "smtp", "host": "127.0.0.1", "port": smtp, "user": s.address, "password": s.password,
        "from": MEGAN, "to": s.address, "subject": "Forged",
    }))
    .await;
    assert_eq!(forged["ok"], false, "{forged}");
    assert_eq!(forged["code"], 550, "{forged}");
    // Nor a way to speak for another client or to probe addresses: after AUTH only submission's commands reach
    // Postfix, and its EHLO offers no others.
    let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0{}\0{}", s.address, s.password));
    let session = format!(
        "EHLO scanner\r\nAUTH PLAIN {plain}\r\nEHLO scanner\r\nXCLIENT ADDR=203.0.113.9\r\n\
         XFORWARD NAME=spoofed.example\r\nVRFY {MEGAN}\r\nETRN contoso.example\r\nQUIT\r\n"
    );
    let reply = python(json!({
        "client": "raw", "host": "127.0.0.1", "port": smtp, "hex": hex(session.as_bytes()), "quiet": 20,
    }))
    .await;
    let text = reply["reply"].as_str().unwrap();
    let (_, after_auth) = text
        .split_once("\r\n235 ")
        .unwrap_or_else(|| panic!("no 235: {text}"));
    assert_eq!(
        after_auth.matches("502 5.5.1 Not offered by the bridge").count(),
        4,
        "{text}"
    );
    assert!(after_auth.contains("\r\n221 "), "{text}");
    for keyword in [
        "XCLIENT", "XFORWARD", "ETRN", "VRFY", "AUTH", "STARTTLS", "CHUNKING",
    ] {
        assert!(
            !after_auth.contains(&format!("250-{keyword}")),
            "{keyword}: {text}"
        );
        assert!(
            !after_auth.contains(&format!("250 {keyword}")),
            "{keyword}: {text}"
        );
    }
    // Nor before AUTH.
    let (_, out, _) = program(
        "swaks",
        vec![
            "--server".into(),
            "127.0.0.1".into(),
            "--port".into(),
            smtp.to_string(),
            "--from".into(),
            s.address.clone(),
            "--to".into(),
            s.address.clone(),
            "--timeout".into(),
            "10".into(),
        ],
        None,
    )
    .await;
    assert!(out.contains("530 5.7.0 Authentication required"), "{out}");

    let status = running.status();
    let messages: Vec<&str> = status.last_errors.iter().map(|e| e.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("wrong or revoked bridge password")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("tried to send as")),
        "{messages:?}"
    );
    let serialized = serde_json::to_string(&status).unwrap();
    assert!(
        !serialized.contains(&s.password),
        "the status never holds the password"
    );

    // Revoked: new sessions are refused at once; a new password works.
    assert!(bridge_api::revoke(&s.api, &s.name).await.unwrap());
    let after = python(imap_args(imap, &s.address, &s.password)).await;
    assert_eq!(after["ok"], false, "{after}");
    let new = bridge_api::password(&s.api, &s.name, true).await.unwrap();
    assert!(new.created);
    assert_ne!(new.password.expose(), &s.password);
    let again = python(imap_args(imap, &s.address, new.password.expose())).await;
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(again["exists"], 0, "nothing refused reached the mailbox: {again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session with a keyring and the mail peers: run the README's test command"]
async fn an_expired_token_is_refreshed_for_the_next_login_and_a_revoked_consent_asks_for_sign_in() {
    let bed = bed();
    let s = setup("token").await;
    let running = run_loopback(&s.api).await;
    let imap = port(&running, BridgeProtocol::Imap, false);

    // A session that logged in stays open while its token expires; the next login gets a refreshed one.
    let holding = tokio::spawn(python(with(
        imap_args(imap, &s.address, &s.password),
        json!({"hold_seconds": 2}),
    )));
    fixtures::wait_until(Duration::from_secs(20), "the held session logged in", || {
        running.status().sessions.len() == 1
    })
    .await;
    let refreshes = bed.emulator.refreshes();
    fixtures::expire_access_token(&s.home, &s.name, Resource::Outlook);
    let next = python(imap_args(imap, &s.address, &s.password)).await;
    assert_eq!(next["ok"], true, "{next}");
    assert!(
        bed.emulator.refreshes() > refreshes,
        "the next login refreshed the token"
    );
    let held = holding.await.unwrap();
    assert_eq!(held["ok"], true, "{held}");
    assert_eq!(held["noop_after_hold"], "OK", "{held}");

    // The user withdraws consent: the refresh fails with an AADSTS code, the program gets IMAP's
    // authentication failure, the app a diagnosis and the account's "needs sign-in".
    let registration = fixtures::public_registration(&bed.emulator);
    bed.emulator
        .revoke_for_client(&s.address, registration.client_id.as_str(), RevokeReason::Consent);
    fixtures::expire_access_token(&s.home, &s.name, Resource::Outlook);
    let refused = python(imap_args(imap, &s.address, &s.password)).await;
    assert_eq!(refused["ok"], false, "{refused}");
    let error = refused["error"].as_str().unwrap();
    assert!(error.contains("AUTHENTICATIONFAILED"), "{error}");
    assert!(error.contains("sign in again"), "{error}");
    let status = running.status();
    let event = status
        .last_errors
        .iter()
        .find(|e| e.diagnosis.is_some())
        .unwrap_or_else(|| panic!("a diagnosed event: {:?}", status.last_errors));
    let diagnosis = event.diagnosis.as_ref().unwrap();
    // The consent withdrawn: Microsoft's AADSTS65001 (invalid_grant), as the refresh got it.
    assert_eq!(
        (
            diagnosis.code.as_str(),
            diagnosis.raw.aadsts,
            diagnosis.raw.error.as_deref(),
            diagnosis.raw.http_status
        ),
        ("AADSTS65001", Some(65001), Some("invalid_grant"), Some(400)),
        "{diagnosis:?}"
    );
    let config = s.home.store.load().unwrap();
    let account = config.account(&s.name).unwrap();
    let health = health::account_health(account, config.registration(&account.registration), now_unix());
    assert_eq!(health.state, AccountState::NeedsSignIn, "{health:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session with a keyring and the mail peers: run the README's test command"]
async fn the_lan_listener_requires_tls_and_shows_its_fingerprint() {
    let s = setup("lan").await;
    // One interface, never all of them.
    for everywhere in ["0.0.0.0", "::"] {
        let lan = LanOptions {
            address: everywhere.parse().unwrap(),
            names: Vec::new(),
            imaps: Some(0),
            pop3s: None,
            smtps: None,
        };
        let options = RunOptions {
            lan: Some(lan),
            ..RunOptions::default()
        };
        let refused = bridge_api::run(&s.api, &options).await.unwrap_err();
        assert_eq!(refused.code, ErrorCode::BadAnswer, "{everywhere}: {refused:?}");
        assert!(refused.message.contains("never on all of them"), "{refused:?}");
    }
    let running = bridge_api::run(
        &s.api,
        &RunOptions {
            imap: Some(0),
            pop: Some(0),
            smtp: Some(0),
            lan: Some(LanOptions {
                address: "127.0.0.1".parse().unwrap(),
                names: vec!["localhost".into()],
                imaps: Some(0),
                pop3s: Some(0),
                smtps: Some(0),
            }),
        },
    )
    .await
    .unwrap();
    let fingerprint = running.fingerprint.clone().unwrap();
    assert_eq!(fingerprint.len(), 95);
    let pem = std::fs::read_to_string(running.certificate_file.as_ref().unwrap()).unwrap();
    assert!(
        pem.contains("BEGIN CERTIFICATE") && !pem.contains("PRIVATE"),
        "{pem}"
    );
    let (imap, pop, smtp) = (
        port(&running, BridgeProtocol::Imap, false),
        port(&running, BridgeProtocol::Pop, false),
        port(&running, BridgeProtocol::Smtp, false),
    );
    let (imaps, pop3s, smtps) = (
        port(&running, BridgeProtocol::Imap, true),
        port(&running, BridgeProtocol::Pop, true),
        port(&running, BridgeProtocol::Smtp, true),
    );

    // Plain text: refused before a password crosses the network.
    let plain = python(imap_args(imap, &s.address, &s.password)).await;
    assert_eq!(plain["ok"], false, "{plain}");
    assert!(
        plain["error"].as_str().unwrap().contains("PRIVACYREQUIRED"),
        "{plain}"
    );
    assert!(
        plain["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "LOGINDISABLED"),
        "{plain}"
    );
    let pop_plain = python(json!({
        "client": "pop", "host": "127.0.0.1", "port": pop, "user": s.address, "password": s.password,
    }))
    .await;
    assert_eq!(pop_plain["ok"], false, "{pop_plain}");
    let smtp_plain = python(json!({
        "client": "smtp", "host": "127.0.0.1", "port": smtp, "user": s.address, "password": s.password,
        "from": s.address, "to": s.address, "subject": "x",
    }))
    .await;
    assert_eq!(smtp_plain["ok"], false, "{smtp_plain}");
    assert_eq!(smtp_plain["auth_offered"], false, "{smtp_plain}");

    // STARTTLS and implicit TLS, the certificate pinned by the fingerprint shown.
    let pin = json!({"fingerprint": fingerprint});
    let subject = "Over STARTTLS";
    let sent = python(with(
        json!({
            "client": "smtp", "host": "127.0.0.1", "port": smtp, "user": s.address, "password": s.password,
            "from": s.address, "to": s.address, "subject": subject, "starttls": true,
        }),
        pin.clone(),
    ))
    .await;
    assert_eq!(sent["ok"], true, "{sent}");
    let sent_tls = python(with(
        json!({
            "client": "smtp", "host": "127.0.0.1", "port": smtps, "user": s.address, "password": s.password,
            "from": s.address, "to": s.address, "subject": "Over implicit TLS", "ssl": true,
        }),
        pin.clone(),
    ))
    .await;
    assert_eq!(sent_tls["ok"], true, "{sent_tls}");
    let read = python(with(
        imap_args(imap, &s.address, &s.password),
        with(json!({"starttls": true, "subject": subject}), pin.clone()),
    ))
    .await;
    assert_eq!(read["ok"], true, "{read}");
    assert_eq!(read["found"], 1, "{read}");
    let read_tls = python(with(
        imap_args(imaps, &s.address, &s.password),
        with(json!({"ssl": true}), pin.clone()),
    ))
    .await;
    assert_eq!(read_tls["ok"], true, "{read_tls}");
    for (port, starttls, ssl) in [(pop, true, false), (pop3s, false, true)] {
        let fetched = python(with(
            json!({
                "client": "pop", "host": "127.0.0.1", "port": port, "user": s.address,
                "password": s.password, "starttls": starttls, "ssl": ssl,
            }),
            pin.clone(),
        ))
        .await;
        assert_eq!(fetched["ok"], true, "{fetched}");
    }

    // The same certificate next time (its key in the keychain).
    running.bridge.stop().await;
    let again = bridge_api::lan_certificate(&s.api, &["localhost".into(), "127.0.0.1".into()])
        .await
        .unwrap();
    assert_eq!(again.fingerprint().unwrap(), fingerprint);
    let _ = s.home.vault.delete_bridge_password(&s.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session with a keyring and the mail peers: run the README's test command"]
async fn garbage_is_refused_and_the_bridge_keeps_working() {
    let s = setup("garbage").await;
    let running = run_loopback(&s.api).await;
    let mut inputs: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\xff\xfe\r\n".to_vec(),
        b"a1 LOGIN {99999999}\r\n".to_vec(),
        vec![b'A'; 100_000],
        b"* * * *\r\n\r\n\r\n".to_vec(),
        b"MAIL FROM:<x@y>\r\nRCPT TO:<x@y>\r\nDATA\r\n".to_vec(),
        b"AUTH PLAIN !!!notbase64\r\nAUTH LOGIN\r\n*\r\n".to_vec(),
        b"USER\r\nPASS\r\nAUTH PLAIN =\r\n".to_vec(),
        b"a STARTTLS\r\n".to_vec(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(),
    ];
    // And some random bytes.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..6 {
        let bytes: Vec<u8> = (0..2048)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed & 0xff) as u8
            })
            .collect();
        inputs.push(bytes);
    }
    for protocol in BridgeProtocol::ALL {
        let port = port(&running, protocol, false);
        for input in &inputs {
            let reply = python(json!({
                "client": "raw", "host": "127.0.0.1", "port": port, "hex": hex(input),
            }))
            .await;
            let text = reply["reply"].as_str().unwrap_or_default();
            assert!(!text.contains("Logged in"), "{protocol:?}: {text}");
            assert!(!text.contains("235"), "{protocol:?}: {text}");
        }
    }
    let fine = python(imap_args(
        port(&running, BridgeProtocol::Imap, false),
        &s.address,
        &s.password,
    ))
    .await;
    assert_eq!(fine["ok"], true, "{fine}");
    // Each session leaves the list when its task ends, a moment after the program hangs up.
    fixtures::wait_until(Duration::from_secs(20), "every session ended", || {
        running.status().sessions.is_empty()
    })
    .await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session with a keyring and the mail peers: run the README's test command"]
async fn the_cli_makes_a_password_runs_the_bridge_and_revokes() {
    let s = setup("cli").await;
    let ca = bed().ca.path().to_path_buf();
    let home = s.home.path().to_path_buf();
    let cli = |args: &[&str]| mailgrant(&home, &ca, args);

    let shown = cli(&["bridge", "password", &s.name, "--json"]);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["password"], s.password.as_str());
    assert_eq!(shown["created"], false);
    let renewed = cli(&["bridge", "password", &s.name, "--new"]);
    assert!(renewed.status.success());
    let text = String::from_utf8_lossy(&renewed.stdout).into_owned();
    let password = text
        .lines()
        .find_map(|l| l.strip_prefix("password:"))
        .unwrap()
        .trim()
        .to_owned();
    assert_ne!(password, s.password);

    let mut child = Command::new(mailgrant_tests::workspace::mailgrant_binary())
        .args([
            "bridge",
            "run",
            "--imap-port",
            "0",
            "--pop-port",
            "0",
            "--smtp-port",
            "0",
            "--json",
        ])
        .env("MAILGRANT_HOME", &home)
        .env("MAILGRANT_CA_FILE", &ca)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (first, lines) = tokio::task::spawn_blocking(move || {
        use std::io::BufRead as _;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let first = lines.next().unwrap().unwrap();
        (first, lines)
    })
    .await
    .unwrap();
    let listening: Value = serde_json::from_str(&first).unwrap();
    let imap = listening["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["protocol"] == "imap")
        .unwrap()["address"]
        .as_str()
        .unwrap()
        .rsplit_once(':')
        .unwrap()
        .1
        .parse::<u16>()
        .unwrap();
    let read = python(imap_args(imap, &s.address, &password)).await;
    assert_eq!(read["ok"], true, "{read}");

    let revoked = cli(&["bridge", "revoke", &s.name]);
    assert!(revoked.status.success());
    let refused = python(imap_args(imap, &s.address, &password)).await;
    assert_eq!(refused["ok"], false, "{refused}");
    // The running bridge reports it, as one JSON line per event.
    let event = tokio::task::spawn_blocking(move || {
        let mut lines = lines;
        lines.next().unwrap().unwrap()
    })
    .await
    .unwrap();
    let event: Value = serde_json::from_str(&event).unwrap();
    assert!(
        event["message"].as_str().unwrap().contains("bridge password"),
        "{event}"
    );

    // SIGTERM (systemd stopping the unit) ends it cleanly.
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

fn mailgrant(home: &Path, ca: &Path, args: &[&str]) -> std::process::Output {
    Command::new(mailgrant_tests::workspace::mailgrant_binary())
        .args(args)
        .env("MAILGRANT_HOME", home)
        .env("MAILGRANT_CA_FILE", ca)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}
