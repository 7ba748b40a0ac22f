//! The vault against the real keychain on Linux: `TokenVault` over `KeyringStore` and a real Secret Service
//! (gnome-keyring). Run under
//! `dbus-run-session -- scripts/with-keyring.sh cargo test -p mailgrant-tests --test vault_keychain`: the script
//! gives the session a throwaway, unlocked keyring. Every test uses a service name of its own run, so a user's
//! entries are never touched. Without a Secret Service the tests fail; they never pass vacuously.
#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

use mailgrant_core::model::{
    AppRegistration, ClientKind, Cloud, Credential, CredentialKind, RedirectMode, Resource,
};
use mailgrant_core::vault::{AccessToken, KeyringStore, SecretStore, TokenVault, VaultError, KEYCHAIN_FIX};
use mailgrant_core::{DataHome, SecretString};
use mailgrant_tests::keyring;

const HOW_TO_RUN: &str = "run the vault tests under \
    `dbus-run-session -- scripts/with-keyring.sh cargo test -p mailgrant-tests --test vault_keychain`";

/// Set in the child process that runs without a session bus.
const NO_BUS_CHILD_ENV: &str = "MAILGRANT_VAULT_NO_BUS_CHILD";

/// A service name of this test in this run only.
fn service(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "app.mailgrant.test-vault-{}-{nanos:08x}-{}-{test}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Fails unless a Secret Service already runs on the session bus. Checked without calling the service: a call
/// would make D-Bus start gnome-keyring on the user's own keyrings.
fn require_secret_service() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        panic!("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset): {HOW_TO_RUN}");
    }
    let owned = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ])
        .output()
        .unwrap_or_else(|error| panic!("cannot run dbus-send ({error}): {HOW_TO_RUN}"));
    if !(owned.status.success() && String::from_utf8_lossy(&owned.stdout).contains("boolean true")) {
        panic!("no Secret Service on the session bus: {HOW_TO_RUN}");
    }
}

/// Clears a service's items however the test ends (best effort: the tests delete what they write anyway).
struct ClearOnDrop(String);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("secret-tool")
            .args(["clear", "service", &self.0])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn secret(s: &str) -> SecretString {
    SecretString::new(s.to_owned())
}

/// A refresh-token-like value: `len` ASCII bytes, different per `seed`.
fn long_token(len: usize, seed: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    (0..len)
        .map(|i| char::from(ALPHABET[(i * 31 + seed * 7 + i / 13) % ALPHABET.len()]))
        .collect()
}

fn vault(test: &str) -> (ClearOnDrop, Arc<KeyringStore>, TokenVault) {
    require_secret_service();
    let service = service(test);
    let raw = Arc::new(KeyringStore::new(service.clone()));
    (ClearOnDrop(service), Arc::clone(&raw), TokenVault::new(raw))
}

fn registration(id: &str, key_ids: &[&str]) -> AppRegistration {
    AppRegistration {
        id: id.into(),
        name: "Contoso".into(),
        client_id: "6731de76-14a6-49ae-97bc-6eba6914391e".parse().expect("a GUID"),
        tenant: "common".parse().expect("a tenant"),
        cloud: Cloud::Global,
        client_kind: ClientKind::Confidential,
        redirect_mode: RedirectMode::Loopback,
        credentials: key_ids
            .iter()
            .map(|k| Credential {
                kind: CredentialKind::Certificate,
                key_id: (*k).into(),
                label: None,
                hint: None,
                starts: None,
                expires: None,
            })
            .collect(),
    }
}

/// Sets, reads and deletes one secret of every kind, then forgets an account and a registration.
fn exercise_every_kind(vault: &TokenVault, raw: &KeyringStore) {
    vault
        .set_client_secret("r1", "k1", &secret("Abc8Q~client-secret"))
        .expect("set a client secret");
    vault
        .set_certificate_key(
            "r1",
            "k2",
            &secret("-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"),
        )
        .expect("set a certificate key");
    vault
        .set_refresh_token("Adele", &secret("0.AAAA-refresh ✓"))
        .expect("set a refresh token");
    let access = AccessToken {
        token: secret("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.access"),
        expires_at: 1_900_000_000,
    };
    vault
        .set_access_token("Adele", Resource::Outlook, &access)
        .expect("set an access token");
    vault
        .set_access_token("adele", Resource::Graph, &access)
        .expect("set a Graph access token");

    assert_eq!(
        vault
            .client_secret("r1", "k1")
            .expect("get")
            .expect("present")
            .expose(),
        "Abc8Q~client-secret"
    );
    assert!(vault
        .certificate_key("r1", "k2")
        .expect("get")
        .expect("present")
        .expose()
        .starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(
        vault
            .refresh_token("ADELE")
            .expect("get")
            .expect("present")
            .expose(),
        "0.AAAA-refresh ✓"
    );
    assert_eq!(
        vault.access_token("adele", Resource::Outlook).expect("get"),
        Some(access.clone())
    );
    assert_eq!(
        raw.get("account/adele/refresh-token")
            .expect("raw get")
            .map(|s| s.expose().clone()),
        Some("0.AAAA-refresh ✓".to_owned())
    );

    // Replacing a value keeps one item.
    vault
        .set_refresh_token("adele", &secret("0.BBBB-rotated"))
        .expect("rotate");
    assert_eq!(
        vault
            .refresh_token("adele")
            .expect("get")
            .expect("present")
            .expose(),
        "0.BBBB-rotated"
    );

    assert!(vault.delete_client_secret("r1", "k1").expect("delete"));
    assert!(!vault.delete_client_secret("r1", "k1").expect("delete again"));
    assert!(vault.client_secret("r1", "k1").expect("get").is_none());
    assert!(vault
        .delete_access_token("adele", Resource::Graph)
        .expect("delete"));

    vault.forget_account("ADELE").expect("forget the account");
    assert!(vault.refresh_token("adele").expect("get").is_none());
    assert!(vault
        .access_token("adele", Resource::Outlook)
        .expect("get")
        .is_none());
    vault
        .forget_registration(&registration("r1", &["k2"]))
        .expect("forget the registration");
    assert!(vault.certificate_key("r1", "k2").expect("get").is_none());
}

#[test]
fn every_kind_of_secret_sets_gets_and_deletes() {
    let (_clear, raw, vault) = vault("every-kind");
    let started = Instant::now();
    exercise_every_kind(&vault, &raw);
    eprintln!("every kind: {:?}", started.elapsed());
}

#[test]
fn a_7000_byte_refresh_token_round_trips_through_chunking() {
    let (_clear, raw, vault) = vault("chunking");
    let token = long_token(7_000, 1);
    let started = Instant::now();
    vault.set_refresh_token("adele", &secret(&token)).expect("set");
    let read = vault.refresh_token("adele").expect("get").expect("present");
    assert!(read.expose() == &token, "the token came back different");
    eprintln!("7,000-byte write + read: {:?}", started.elapsed());

    // Split across six real items (the head and slot a's five parts), each within Windows' cap.
    let head = raw
        .get("account/adele/refresh-token")
        .expect("raw")
        .expect("the head");
    assert!(head.expose().starts_with("mailgrant-chunked:v1:a:006:"));
    assert!(head.expose().encode_utf16().count() * 2 <= 2_560);
    for i in 1..6 {
        let part = raw
            .get(&format!("account/adele/refresh-token#a{i}"))
            .expect("raw")
            .unwrap_or_else(|| panic!("part {i}"));
        assert!(part.expose().encode_utf16().count() * 2 <= 2_560);
    }
    assert!(raw.get("account/adele/refresh-token#a6").expect("raw").is_none());

    // A rewrite goes to the other slot, and the old slot's parts are gone.
    let shorter = long_token(3_000, 2);
    vault
        .set_refresh_token("adele", &secret(&shorter))
        .expect("set shorter");
    assert!(
        vault
            .refresh_token("adele")
            .expect("get")
            .expect("present")
            .expose()
            == &shorter
    );
    let head = raw
        .get("account/adele/refresh-token")
        .expect("raw")
        .expect("the head");
    assert!(head.expose().starts_with("mailgrant-chunked:v1:b:003:"));
    assert!(raw.get("account/adele/refresh-token#b2").expect("raw").is_some());
    assert!(raw.get("account/adele/refresh-token#b3").expect("raw").is_none());
    for i in 1..6 {
        let key = format!("account/adele/refresh-token#a{i}");
        assert!(raw.get(&key).expect("raw").is_none(), "{key} is left");
    }

    // A missing part is reported, not papered over.
    assert!(raw.delete("account/adele/refresh-token#b1").expect("raw delete"));
    let err = vault.refresh_token("adele").expect_err("a part is missing");
    assert!(matches!(err, VaultError::Corrupt { .. }), "{err:?}");
    assert!(!err.to_string().contains(&shorter[..32]));

    assert!(vault.delete_refresh_token("adele").expect("delete"));
    for key in [
        "account/adele/refresh-token",
        "account/adele/refresh-token#b1",
        "account/adele/refresh-token#b2",
    ] {
        assert!(raw.get(key).expect("raw").is_none(), "{key} is left");
    }
}

#[test]
fn two_data_homes_do_not_see_each_other() {
    require_secret_service();
    let tmp = tempfile::tempdir().expect("a temp dir");
    let home_a = DataHome::resolve(Some(tmp.path().join("a")), None).expect("home a");
    let home_b = DataHome::resolve(Some(tmp.path().join("b")), None).expect("home b");
    assert_ne!(home_a.keychain_service(), home_b.keychain_service());
    let _clear_a = ClearOnDrop(home_a.keychain_service());
    let _clear_b = ClearOnDrop(home_b.keychain_service());
    let a = TokenVault::keychain(&home_a);
    let b = TokenVault::keychain(&home_b);

    a.set_refresh_token("adele", &secret("token of home a"))
        .expect("set in a");
    assert!(b.refresh_token("adele").expect("get in b").is_none());
    b.set_refresh_token("adele", &secret("token of home b"))
        .expect("set in b");
    assert_eq!(
        a.refresh_token("adele").expect("get").expect("a").expose(),
        "token of home a"
    );
    assert_eq!(
        b.refresh_token("adele").expect("get").expect("b").expose(),
        "token of home b"
    );
    a.forget_account("adele").expect("forget in a");
    assert_eq!(
        b.refresh_token("adele").expect("get").expect("b").expose(),
        "token of home b"
    );
    b.forget_account("adele").expect("forget in b");
}

/// One set, get and delete, under an account name of its own.
fn round_trip(vault: &TokenVault, raw: &KeyringStore, place: &str) {
    let value = format!("0.AAAA-refresh-{place}");
    vault.set_refresh_token(place, &secret(&value)).expect(place);
    let read = vault.refresh_token(place).expect(place).expect(place);
    assert!(read.expose() == &value, "{place}");
    assert!(vault.delete_refresh_token(place).expect(place));
    let key = format!("account/{place}/refresh-token");
    assert!(raw.get(&key).expect(place).is_none(), "{place}");
}

#[test]
fn works_from_sync_code_and_inside_tokio_runtimes() {
    let (_clear, raw, vault) = vault("runtimes");
    let vault = Arc::new(vault);
    round_trip(&vault, &raw, "sync");

    // Inside a multi-thread runtime: in `block_on`, in a task, and in `spawn_blocking`.
    let multi = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    multi.block_on(async {
        round_trip(&vault, &raw, "multi-block-on");
        let (v, r) = (Arc::clone(&vault), Arc::clone(&raw));
        tokio::spawn(async move { round_trip(&v, &r, "multi-task") })
            .await
            .expect("the task");
        let (v, r) = (Arc::clone(&vault), Arc::clone(&raw));
        tokio::task::spawn_blocking(move || round_trip(&v, &r, "multi-blocking"))
            .await
            .expect("the blocking task");
    });

    // Inside a current-thread runtime, where blocking in place is impossible.
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    current.block_on(async {
        round_trip(&vault, &raw, "current-block-on");
        let (v, r) = (Arc::clone(&vault), Arc::clone(&raw));
        tokio::spawn(async move { round_trip(&v, &r, "current-task") })
            .await
            .expect("the task");
    });

    // And plain sync code again, after the runtimes.
    round_trip(&vault, &raw, "sync-again");
}

#[test]
fn threads_use_the_keychain_at_the_same_time() {
    let (_clear, raw, vault) = vault("threads");
    let vault = Arc::new(vault);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let vault = Arc::clone(&vault);
            std::thread::spawn(move || {
                let account = format!("user{t}");
                for round in 0..3 {
                    let value = long_token(2_500 + 700 * t, round);
                    vault.set_refresh_token(&account, &secret(&value)).expect("set");
                    let read = vault.refresh_token(&account).expect("get").expect("present");
                    assert!(read.expose() == &value, "thread {t} round {round}");
                }
                vault.forget_account(&account).expect("forget");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("a thread");
    }
    assert!(raw.get("account/user0/refresh-token").expect("raw").is_none());
}

/// The role of the child process started by the next test; does nothing in a normal test run.
#[test]
fn child_without_a_session_bus() {
    let Some(home_dir) = std::env::var_os(NO_BUS_CHILD_ENV) else {
        return;
    };
    let home = DataHome::resolve(Some(home_dir.clone().into()), None).expect("a home");
    let vault = TokenVault::keychain(&home);
    let errors = [
        vault
            .set_refresh_token("adele", &secret("0.AAAA-must-not-leak"))
            .expect_err("set"),
        vault.refresh_token("adele").expect_err("get"),
        vault.delete_refresh_token("adele").expect_err("delete"),
        vault.forget_account("adele").expect_err("forget"),
    ];
    for err in errors {
        let VaultError::KeychainUnavailable { fix, .. } = &err else {
            panic!("expected KeychainUnavailable, got {err:?}");
        };
        assert_eq!(*fix, KEYCHAIN_FIX);
        let text = err.to_string();
        assert!(text.contains("dbus-run-session"), "{text}");
        assert!(!text.contains("must-not-leak"), "{text}");
        println!("child error: {text}");
    }
    // No plaintext fallback: nothing was written anywhere under the home.
    let dir = std::path::Path::new(&home_dir);
    assert!(
        !dir.exists() || std::fs::read_dir(dir).expect("the home").next().is_none(),
        "something was written under the home"
    );
}

#[test]
fn without_a_session_bus_operations_fail_with_the_fix() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "child_without_a_session_bus",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(NO_BUS_CHILD_ENV, tmp.path().join("home"))
        // A bus that is not there; and no runtime dir, so nothing can find the real one.
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}", tmp.path().join("no-bus").display()),
        )
        .env("XDG_RUNTIME_DIR", tmp.path().join("no-runtime-dir"))
        .output()
        .expect("the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "the child ran no test: {stdout}");
    assert!(
        stdout.contains("child error: cannot use the keychain"),
        "{stdout}"
    );
}

/// Set in the child that runs in a keyring session of its own, and locks that keyring.
const LOCKED_CHILD_ENV: &str = "MAILGRANT_VAULT_LOCKED_CHILD";

/// The role of the child process started by the next test; does nothing in a normal test run.
#[test]
fn child_with_a_locked_keychain() {
    if std::env::var_os(LOCKED_CHILD_ENV).is_none() {
        return;
    }
    let (_clear, _raw, vault) = vault("locked");
    vault
        .set_refresh_token("adele", &secret("0.AAAA-the-stored-refresh-token"))
        .unwrap();
    vault
        .set_client_secret("app-1", "key-1", &secret("the-stored-client-secret"))
        .unwrap();

    keyring::lock().unwrap();
    assert!(keyring::is_locked().unwrap());
    let errors = [
        vault
            .set_refresh_token("adele", &secret("0.AAAA-must-not-replace"))
            .expect_err("set"),
        vault.refresh_token("adele").expect_err("get"),
        vault.delete_refresh_token("adele").expect_err("delete"),
        vault.client_secret("app-1", "key-1").expect_err("get a secret"),
        vault
            .set_client_secret("app-2", "key-2", &secret("must-not-be-written"))
            .expect_err("set a new secret"),
        vault.forget_account("adele").expect_err("forget"),
    ];
    for err in errors {
        let text = err.to_string();
        let VaultError::KeychainUnavailable { detail, fix } = &err else {
            panic!("expected KeychainUnavailable, got {err:?}");
        };
        // The unlock prompt cannot be shown (no display), so gnome-keyring dismisses it, as a user cancelling.
        assert_eq!(
            (detail.as_str(), *fix),
            (
                "the keyring is locked and its unlock prompt was dismissed",
                KEYCHAIN_FIX
            ),
            "{text}"
        );
        let api = mailgrant_core::api::ApiError::from(err);
        assert_eq!(api.code, mailgrant_core::api::ErrorCode::KeychainUnavailable);
        assert_eq!(api.code.exit_code(), mailgrant_core::api::exit::KEYCHAIN);
        assert!(!text.contains("must-not"), "{text}");
    }
    assert!(
        keyring::is_locked().unwrap(),
        "still locked: nothing unlocked it behind the user's back"
    );

    // Unlocked again, everything is as it was: nothing was replaced, deleted or added while locked.
    keyring::unlock().unwrap();
    assert!(!keyring::is_locked().unwrap());
    assert_eq!(
        vault
            .refresh_token("adele")
            .unwrap()
            .map(|s| s.expose().to_owned())
            .as_deref(),
        Some("0.AAAA-the-stored-refresh-token")
    );
    assert_eq!(
        vault
            .client_secret("app-1", "key-1")
            .unwrap()
            .map(|s| s.expose().to_owned())
            .as_deref(),
        Some("the-stored-client-secret")
    );
    assert_eq!(vault.client_secret("app-2", "key-2").unwrap().map(|_| ()), None);
    vault.forget_account("adele").unwrap();
    vault.delete_client_secret("app-1", "key-1").unwrap();
    println!("child: the locked keychain was refused and lost nothing");
}

/// A genuinely locked keychain (the Secret Service's login collection locked over D-Bus), in a keyring session of
/// its own: every vault operation is `KeychainUnavailable` (the CLI's exit 4), none falls back or half-happens,
/// and once unlocked every entry is as it was.
#[test]
fn a_locked_keychain_is_unavailable_and_loses_nothing() {
    let output = keyring::run_in_own_keyring_session("child_with_a_locked_keychain", LOCKED_CHILD_ENV);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "the child ran no test: {stdout}");
    assert!(
        stdout.contains("child: the locked keychain was refused and lost nothing"),
        "{stdout}"
    );
}
