//! The token lifecycle (`mailgrant_core::token_lifecycle`) against the emulator and the real keychain: cached tokens,
//! refresh with rotation, what a revoked grant does, client credentials, keep-alive, one refresh for 20
//! processes, processes killed mid-refresh, and a scan for leaked secrets afterwards.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailgrant_core::model::{Flow, Resource, Service};
use mailgrant_core::token_lifecycle::{
    now_unix, TokenError, TokenService, TokenSource, KEEP_ALIVE_AFTER_SECS,
};
use mailgrant_tests::emulator::demo::{ADELE, MEGAN};
use mailgrant_tests::emulator::{RevokeReason, Seed};
use mailgrant_tests::fixtures::{self, TestHome};
use rand::Rng as _;

const WORKER: &str = env!("CARGO_BIN_EXE_token-worker");

fn service(home: &TestHome) -> TokenService {
    TokenService::new(&home.home, home.vault.clone(), fixtures::http_client())
}

fn forget(home: &TestHome, accounts: &[&str]) {
    for account in accounts {
        let _ = home.vault.forget_account(account);
    }
}

#[tokio::test]
async fn a_fresh_token_comes_from_the_keychain_an_expiring_one_is_refreshed_and_rotated_first() {
    let (emulator, _ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("lifecycle");
    let registration = fixtures::public_registration(&emulator);
    let saved = fixtures::sign_in(
        &emulator,
        &home,
        &registration,
        "adele",
        ADELE,
        &[Service::Imap, Service::GraphRead],
    )
    .await;
    assert_eq!(
        saved.identity.as_ref().and_then(|i| i.username.as_deref()),
        Some(ADELE)
    );
    let tokens = service(&home);

    let cached = tokens.access_token("adele", Resource::Outlook).await.unwrap();
    assert_eq!(cached.source, TokenSource::Cache);
    assert_eq!(emulator.refreshes(), 0);
    assert!(emulator.access_token_is_live(cached.token.expose()));

    // Within five minutes of expiry it is refreshed, and the rotated refresh token is in the keychain.
    let before = home.vault.refresh_token("adele").unwrap().unwrap();
    let mut almost = home
        .vault
        .access_token("adele", Resource::Outlook)
        .unwrap()
        .unwrap();
    almost.expires_at = now_unix() + 240;
    home.vault
        .set_access_token("adele", Resource::Outlook, &almost)
        .unwrap();
    let refreshed = tokens.access_token("adele", Resource::Outlook).await.unwrap();
    assert_eq!(refreshed.source, TokenSource::Refreshed);
    assert_ne!(refreshed.token.expose(), cached.token.expose());
    assert!(emulator.access_token_is_live(refreshed.token.expose()));
    assert!(refreshed.expires_at > now_unix() + 3000);
    let after = home.vault.refresh_token("adele").unwrap().unwrap();
    assert_ne!(
        after.expose(),
        before.expose(),
        "the rotated refresh token was stored"
    );
    assert_eq!(emulator.refreshes(), 1);

    // Graph has no cached token yet: one more refresh, for the other resource.
    let graph = tokens.access_token("adele", Resource::Graph).await.unwrap();
    assert_eq!(graph.source, TokenSource::Refreshed);
    let claims = mailgrant_tests::emulator::decode_claims(graph.token.expose()).unwrap();
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(
        tokens
            .access_token("adele", Resource::Graph)
            .await
            .unwrap()
            .source,
        TokenSource::Cache
    );
    assert_eq!(emulator.refreshes(), 2);

    let meta = home.store.account("adele").unwrap().unwrap().tokens;
    assert!(meta.access_expires.contains_key(&Resource::Graph));
    assert!(meta.refresh_last_used_at.unwrap() >= now_unix() - 60);
    assert!(meta.last_failure.is_none());
    forget(&home, &["adele"]);
}

#[tokio::test]
async fn a_revoked_grant_asks_for_a_new_sign_in_and_is_recorded() {
    let (emulator, _ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("revoked");
    let registration = fixtures::public_registration(&emulator);
    fixtures::sign_in(&emulator, &home, &registration, "megan", MEGAN, &[Service::Smtp]).await;
    let tokens = service(&home);
    emulator.revoke_for_client(MEGAN, registration.client_id.as_str(), RevokeReason::Password);
    fixtures::expire_access_token(&home, "megan", Resource::Outlook);

    let err = tokens.access_token("megan", Resource::Outlook).await.unwrap_err();
    let TokenError::SignInAgain { diagnosis, .. } = &err else {
        panic!("expected SignInAgain, got {err:?}");
    };
    // The password changed after the refresh token was issued: AADSTS50173, invalid_grant.
    assert_eq!(
        (
            diagnosis.code.as_str(),
            diagnosis.raw.aadsts,
            diagnosis.raw.error.as_deref(),
            diagnosis.raw.http_status
        ),
        ("AADSTS50173", Some(50173), Some("invalid_grant"), Some(400)),
        "{diagnosis:?}"
    );
    let failure = home
        .store
        .account("megan")
        .unwrap()
        .unwrap()
        .tokens
        .last_failure
        .unwrap();
    assert_eq!(
        (failure.code.as_str(), failure.sign_in_again),
        ("AADSTS50173", true)
    );
    // The refresh token is kept (an admin may undo the revocation; the user decides to sign in again).
    assert!(home.vault.refresh_token("megan").unwrap().is_some());

    // A resource the account was not set up for is refused before any request.
    let err = tokens.access_token("megan", Resource::Graph).await.unwrap_err();
    assert!(matches!(err, TokenError::NotConfigured { .. }), "{err:?}");
    let err = tokens
        .access_token("nobody", Resource::Outlook)
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::UnknownAccount(_)), "{err:?}");
    forget(&home, &["megan"]);
}

#[tokio::test]
async fn app_only_accounts_fetch_with_the_secret_from_the_keychain() {
    let (emulator, _ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("app-only");
    let registration = fixtures::confidential_registration(&emulator);
    let account = fixtures::account(
        "daemon",
        ADELE,
        &registration,
        Flow::ClientCredentials,
        &[Service::Imap],
    );
    home.store
        .add_registration_and_account(registration.clone(), account)
        .unwrap();
    let tokens = service(&home);

    let err = tokens
        .access_token("daemon", Resource::Outlook)
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::NoCredential { .. }), "{err:?}");

    fixtures::store_demo_secret(&home, &registration);
    let first = tokens.access_token("daemon", Resource::Outlook).await.unwrap();
    assert_eq!(first.source, TokenSource::Refreshed);
    let claims = mailgrant_tests::emulator::decode_claims(first.token.expose()).unwrap();
    assert_eq!(claims["aud"], "https://outlook.office365.com");
    assert!(
        claims["roles"].to_string().contains("IMAP.AccessAsApp"),
        "{claims}"
    );
    assert_eq!(
        tokens
            .access_token("daemon", Resource::Outlook)
            .await
            .unwrap()
            .source,
        TokenSource::Cache
    );
    assert!(
        home.vault.refresh_token("daemon").unwrap().is_none(),
        "client credentials have no refresh token"
    );
    let _ = home.vault.forget_registration(&registration);
    forget(&home, &["daemon"]);
}

#[tokio::test]
async fn keep_alive_refreshes_only_refresh_tokens_idle_for_two_weeks() {
    let (emulator, _ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("keep-alive");
    let registration = fixtures::public_registration(&emulator);
    fixtures::sign_in(&emulator, &home, &registration, "adele", ADELE, &[Service::Imap]).await;
    fixtures::sign_in(&emulator, &home, &registration, "megan", MEGAN, &[Service::Pop]).await;
    home.store
        .update_token_metadata("megan", |m| {
            m.refresh_last_used_at = Some(now_unix() - KEEP_ALIVE_AFTER_SECS - 60);
        })
        .unwrap();
    let tokens = service(&home);

    let done = tokens.keep_alive().await.unwrap();
    assert_eq!(done.len(), 1, "{done:?}");
    assert_eq!(done[0].0, "megan");
    assert!(done[0].1.is_ok());
    assert_eq!(emulator.refreshes(), 1);
    let megan = home.store.account("megan").unwrap().unwrap().tokens;
    assert!(megan.refresh_last_used_at.unwrap() >= now_unix() - 60);
    assert!(
        tokens.keep_alive().await.unwrap().is_empty(),
        "nothing is due any more"
    );
    forget(&home, &["adele", "megan"]);
}

/// 20 processes ask at once for a token whose access token has expired: one refresh at the emulator, and all
/// 20 get the same valid token. Under strict rotation, so a second refresh with the same refresh token would be
/// refused, not just counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_processes_cause_exactly_one_refresh() {
    let (emulator, ca) = fixtures::emulator_https(
        Seed {
            strict_rotation: true,
            ..Seed::demo()
        },
        &[],
    )
    .await;
    let home = TestHome::new("twenty");
    let registration = fixtures::public_registration(&emulator);
    fixtures::sign_in(&emulator, &home, &registration, "adele", ADELE, &[Service::Imap]).await;
    fixtures::expire_access_token(&home, "adele", Resource::Outlook);
    let before = emulator.refreshes();

    let children: Vec<_> = (0..20)
        .map(|_| {
            Command::new(WORKER)
                .env("MAILGRANT_CA_FILE", ca.path())
                .args([home.path().to_str().unwrap(), "adele", "outlook", "once"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();

    let mut tokens = Vec::new();
    let mut sources = Vec::new();
    for out in &outputs {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let line = String::from_utf8(out.stdout.clone()).unwrap();
        let (source, token) = line.trim().split_once(' ').unwrap();
        sources.push(source.to_owned());
        tokens.push(token.to_owned());
    }
    assert_eq!(emulator.refreshes() - before, 1, "sources: {sources:?}");
    assert_eq!(
        sources.iter().filter(|s| *s == "Refreshed").count(),
        1,
        "{sources:?}"
    );
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "all 20 got the one new token"
    );
    assert!(emulator.access_token_is_live(&tokens[0]));
    forget(&home, &["adele"]);
}

/// Redeems `refresh` for an IMAP token at the emulator, past Mailgrant's token service (whatever it would store).
async fn redeem_directly(
    registration: &mailgrant_core::model::AppRegistration,
    refresh: &mailgrant_core::SecretString,
) -> Result<mailgrant_core::signin::TokenResponse, mailgrant_core::signin::SignInError> {
    let endpoints = mailgrant_core::identity::endpoints::Endpoints::for_cloud(&registration.cloud);
    let endpoint = mailgrant_core::signin::TokenEndpoint::new(
        fixtures::http_client(),
        endpoints.token_url(&registration.tenant),
    );
    let scopes = mailgrant_core::identity::permissions::token_scopes(
        &endpoints,
        &[Service::Imap].into_iter().collect(),
        Flow::AuthCode,
        Resource::Outlook,
    );
    mailgrant_core::signin::token_endpoint::refresh(
        &endpoint,
        &registration.client_id,
        refresh,
        &scopes,
        &mailgrant_core::signin::token_endpoint::ClientAuth::None,
    )
    .await
}

/// Where a redeemed refresh token is refused (strict rotation), refresh after refresh keeps working, each by a
/// new token service as a new process would be: every refresh stored the rotated refresh token it got, and read
/// the one the last refresh stored. The token the sign-in gave is refused by then (the emulator is strict).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_strict_rotation_every_refresh_uses_the_refresh_token_the_last_one_stored() {
    let (emulator, _ca) = fixtures::emulator_https(
        Seed {
            strict_rotation: true,
            ..Seed::demo()
        },
        &[],
    )
    .await;
    let home = TestHome::new("strict");
    let registration = fixtures::public_registration(&emulator);
    fixtures::sign_in(&emulator, &home, &registration, "adele", ADELE, &[Service::Imap]).await;
    let first = home.vault.refresh_token("adele").unwrap().unwrap();
    let mut seen = std::collections::HashSet::new();
    for round in 0..10 {
        let service = TokenService::new(&home.home, home.vault.clone(), fixtures::http_client());
        let issued = service
            .refresh_now("adele", Resource::Outlook)
            .await
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(emulator.access_token_is_live(issued.token.expose()));
        let stored = home.vault.refresh_token("adele").unwrap().unwrap();
        assert!(
            seen.insert(stored.expose().to_owned()),
            "round {round}: the refresh token did not rotate"
        );
    }
    let reused = redeem_directly(&registration, &first)
        .await
        .expect_err("a redeemed refresh token is refused under strict rotation");
    assert_eq!(
        reused.diagnosis().map(|d| d.code.as_str()),
        Some("AADSTS70000"),
        "{reused:?}"
    );
    forget(&home, &["adele"]);
}

/// A process refreshing in a loop is killed at a random moment, 200 times; after each kill the account's refresh
/// token in the keychain is whole and still accepted by the emulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_a_process_mid_refresh_never_loses_the_refresh_token() {
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("kill");
    let registration = fixtures::public_registration(&emulator);
    fixtures::sign_in(&emulator, &home, &registration, "adele", ADELE, &[Service::Imap]).await;
    // How long a worker takes to start and to refresh, so the kills land across whole refreshes on any machine.
    let (startup, per_refresh) = calibrate(home.path(), &ca).await;
    eprintln!("worker start-up {startup:?}, one refresh {per_refresh:?}");
    let mut rng = rand::thread_rng();
    let started = Instant::now();
    let refreshes_before = emulator.refreshes();
    let mut distinct = std::collections::HashSet::new();
    for iteration in 0..200 {
        let mut child = Command::new(WORKER)
            .env("MAILGRANT_CA_FILE", ca.path())
            .args([home.path().to_str().unwrap(), "adele", "outlook", "loop"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let delay = startup.mul_f64(0.8) + per_refresh.mul_f64(rng.gen_range(0.0..3.0));
        tokio::time::sleep(delay).await;
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "iteration {iteration}: the worker stopped by itself"
        );

        let vault = home.vault.clone();
        let stored = tokio::task::spawn_blocking(move || vault.refresh_token("adele"))
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("iteration {iteration}: the refresh token is unreadable: {e}"))
            .unwrap_or_else(|| panic!("iteration {iteration}: the refresh token is gone"));
        distinct.insert(stored.expose().to_owned());
        // Still accepted (Microsoft does not revoke a refresh token when it rotates it).
        redeem_directly(&registration, &stored)
            .await
            .unwrap_or_else(|e| panic!("iteration {iteration}: the stored refresh token was refused: {e}"));
    }
    // The kills landed while refreshes were under way: the stored token changed many times.
    assert!(
        distinct.len() > 20,
        "only {} distinct refresh tokens over 200 kills",
        distinct.len()
    );
    eprintln!(
        "200 kills in {:.1} s; {} refreshes by the workers; {} distinct stored refresh tokens",
        started.elapsed().as_secs_f64(),
        emulator.refreshes() - refreshes_before - 200,
        distinct.len()
    );
    forget(&home, &["adele"]);
}

/// After sign-ins, refreshes in this process and in others, app-only tokens and a keep-alive, nothing the
/// emulator issued (codes, refresh and access tokens, client secrets) is in any file of the data home (config,
/// backups, locks, debug logs) or in the temp files of the processes involved.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_data_home_logs_or_temp_files() {
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("leaks");
    let temp = tempfile::tempdir_in(home.path().parent().unwrap()).unwrap();
    let public = fixtures::public_registration(&emulator);
    fixtures::sign_in(
        &emulator,
        &home,
        &public,
        "adele",
        ADELE,
        &[Service::Imap, Service::GraphSend],
    )
    .await;
    let confidential = fixtures::confidential_registration(&emulator);
    fixtures::store_demo_secret(&home, &confidential);
    let daemon = fixtures::account(
        "daemon",
        MEGAN,
        &confidential,
        Flow::ClientCredentials,
        &[Service::Smtp],
    );
    home.store
        .add_registration_and_account(confidential.clone(), daemon)
        .unwrap();

    let tokens = service(&home);
    tokens.access_token("daemon", Resource::Outlook).await.unwrap();
    tokens.refresh_now("adele", Resource::Graph).await.unwrap();
    fixtures::expire_access_token(&home, "adele", Resource::Outlook);
    for _ in 0..3 {
        let out = Command::new(WORKER)
            .env("MAILGRANT_CA_FILE", ca.path())
            .args([home.path().to_str().unwrap(), "adele", "outlook", "once"])
            .env("TMPDIR", temp.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    home.store
        .update_token_metadata("adele", |m| {
            m.refresh_last_used_at = Some(now_unix() - KEEP_ALIVE_AFTER_SECS);
        })
        .unwrap();
    assert_eq!(tokens.keep_alive().await.unwrap().len(), 1);

    let secrets = emulator.issued_secrets();
    assert!(
        secrets.len() > 10,
        "the scan has something to look for: {}",
        secrets.len()
    );
    let mut scanned = 0;
    let mut logs = 0;
    for dir in [home.path(), temp.path()] {
        for entry in walk(dir) {
            let bytes = std::fs::read(&entry).unwrap();
            scanned += 1;
            logs += usize::from(entry.extension().is_some_and(|e| e == "log") && !bytes.is_empty());
            let text = String::from_utf8_lossy(&bytes);
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "a secret issued by the emulator is in {}",
                    entry.display()
                );
            }
        }
    }
    assert!(
        scanned >= 4,
        "config, lock files and logs were scanned ({scanned})"
    );
    assert!(logs >= 1, "the worker that refreshed wrote a debug log ({logs})");
    let _ = home.vault.forget_registration(&confidential);
    forget(&home, &["adele", "daemon"]);
}

/// Starts a looping worker and times its start-up (to the first refresh) and its refreshes.
async fn calibrate(home: &std::path::Path, ca: &fixtures::CaFile) -> (Duration, Duration) {
    use std::io::BufRead as _;
    let home = home.to_path_buf();
    let ca = ca.path().to_path_buf();
    tokio::task::spawn_blocking(move || {
        let began = Instant::now();
        let mut child = Command::new(WORKER)
            .env("MAILGRANT_CA_FILE", &ca)
            .args([home.to_str().unwrap(), "adele", "outlook", "loop"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut at = Vec::new();
        for _ in 0..5 {
            lines.next().unwrap().unwrap();
            at.push(began.elapsed());
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let per_refresh = (at[4] - at[0]) / 4;
        (at[0].saturating_sub(per_refresh), per_refresh)
    })
    .await
    .unwrap()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_an_account_mid_refresh_waits_for_it_and_leaves_nothing_in_the_keychain() {
    let (emulator, ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("remove-mid-refresh");
    let registration = fixtures::public_registration(&emulator);
    fixtures::sign_in(&emulator, &home, &registration, "adele", ADELE, &[Service::Imap]).await;
    let api = mailgrant_core::api::Api::with_vault(
        home.home.clone(),
        home.vault.clone(),
        Some(ca.path().to_path_buf()),
    )
    .unwrap();

    // The token endpoint takes a while: the refresh is in flight (it holds the account's lock) when the user
    // removes the account.
    emulator.inject(mailgrant_tests::emulator::Fault {
        delay_ms: 1500,
        ..mailgrant_tests::emulator::Fault::at(&format!("/{}/oauth2/v2.0/token", registration.tenant))
    });
    let refreshing = {
        let tokens = api.tokens.clone();
        tokio::spawn(async move { tokens.refresh_now("adele", Resource::Outlook).await })
    };
    tokio::time::sleep(Duration::from_millis(400)).await;
    let removed = mailgrant_core::api::accounts::remove(&api, "adele")
        .await
        .unwrap();
    assert_eq!(removed.removed.account.name, "adele");
    let refreshed = refreshing.await.unwrap();
    assert!(
        refreshed.is_ok(),
        "the refresh that began first finishes: {refreshed:?}"
    );
    assert_eq!(emulator.refreshes(), 1);

    // The removal came after the refresh's writes: the rotated refresh token did not outlive the account.
    assert!(home.vault.refresh_token("adele").unwrap().is_none());
    assert!(home
        .vault
        .access_token("adele", Resource::Outlook)
        .unwrap()
        .is_none());
    assert!(home.store.account("adele").unwrap().is_none());

    // A refresh asked for afterwards finds no account and writes nothing.
    let late = api.tokens.refresh_now("adele", Resource::Outlook).await;
    assert!(matches!(late, Err(TokenError::UnknownAccount(_))), "{late:?}");
    assert!(home.vault.refresh_token("adele").unwrap().is_none());
}

/// Each keychain write: its key, and the refresh token's "issued at" in the config at that moment.
type WriteLog = std::sync::Arc<std::sync::Mutex<Vec<(String, Option<i64>)>>>;

/// The real keychain, with a log of every write and what the config said at that moment.
struct Recording {
    keychain: mailgrant_core::vault::KeyringStore,
    config: std::path::PathBuf,
    log: WriteLog,
}

impl mailgrant_core::vault::SecretStore for Recording {
    fn get(
        &self,
        key: &str,
    ) -> Result<Option<mailgrant_core::SecretString>, mailgrant_core::vault::VaultError> {
        self.keychain.get(key)
    }

    fn set(
        &self,
        key: &str,
        value: &mailgrant_core::SecretString,
    ) -> Result<(), mailgrant_core::vault::VaultError> {
        // The refresh token's "issued at" in the config when this write happens.
        let config: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&self.config).unwrap()).unwrap();
        let issued = config["accounts"][0]["tokens"]["refresh_issued_at"].as_i64();
        self.log.lock().unwrap().push((key.to_owned(), issued));
        self.keychain.set(key, value)
    }

    fn delete(&self, key: &str) -> Result<bool, mailgrant_core::vault::VaultError> {
        self.keychain.delete(key)
    }
}

#[tokio::test]
async fn a_refresh_stores_the_rotated_refresh_token_before_the_access_token_and_the_config() {
    let (emulator, _ca) = fixtures::emulator_https(Seed::demo(), &[]).await;
    let home = TestHome::new("write-order");
    let registration = fixtures::public_registration(&emulator);
    fixtures::sign_in(&emulator, &home, &registration, "adele", ADELE, &[Service::Imap]).await;
    fixtures::expire_access_token(&home, "adele", Resource::Outlook);
    let before = home.vault.refresh_token("adele").unwrap().unwrap();
    // Issued-at is in whole seconds: the refresh must land in a later one to be told apart.
    let issued_before = home
        .store
        .account("adele")
        .unwrap()
        .unwrap()
        .tokens
        .refresh_issued_at;
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let log = WriteLog::default();
    let recording = Recording {
        keychain: mailgrant_core::vault::KeyringStore::new(home.home.keychain_service()),
        config: home.path().join("config.json"),
        log: std::sync::Arc::clone(&log),
    };
    let vault = std::sync::Arc::new(mailgrant_core::vault::TokenVault::new(recording));
    let tokens = TokenService::new(&home.home, vault, fixtures::http_client());
    let issued = tokens.access_token("adele", Resource::Outlook).await.unwrap();
    assert_eq!(issued.source, TokenSource::Refreshed);

    let writes = log.lock().unwrap().clone();
    let keys: Vec<&str> = writes.iter().map(|(k, _)| k.as_str()).collect();
    let refresh = keys
        .iter()
        .position(|k| k.ends_with("/refresh-token"))
        .expect("the rotated token stored");
    let access = keys
        .iter()
        .position(|k| k.contains("/access-token/"))
        .expect("the access token stored");
    assert!(refresh < access, "the refresh token first: {keys:?}");
    // Both keychain writes happened before the config said anything new about the refresh token.
    assert!(
        writes.iter().all(|(_, issued)| *issued == issued_before),
        "{writes:?}"
    );
    let after = home
        .store
        .account("adele")
        .unwrap()
        .unwrap()
        .tokens
        .refresh_issued_at;
    assert!(
        after > issued_before,
        "then the config: {issued_before:?} → {after:?}"
    );
    assert_ne!(
        home.vault.refresh_token("adele").unwrap().unwrap().expose(),
        before.expose()
    );
    forget(&home, &["adele"]);
}
