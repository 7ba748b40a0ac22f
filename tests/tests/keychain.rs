//! The real keychain on Linux: the vault's Secret Service store (`KeyringStore`, one session per process) and the
//! `keyring` crate (its backend before, whose entries must stay readable) against a real Secret Service
//! (gnome-keyring), cross-checked with libsecret's `secret-tool`. Run under
//! `dbus-run-session -- scripts/with-keyring.sh cargo test -p mailgrant-tests --test keychain`: the script gives the
//! session a throwaway, unlocked keyring, so nothing here can touch the user's. Without a Secret Service the tests
//! fail (they never pass vacuously), and they never fall back to keyring's in-memory mock.
#![cfg(target_os = "linux")]

use std::collections::HashMap;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use keyring::Entry;

/// How to run these tests, for every failure that comes from the environment.
const HOW_TO_RUN: &str = "run the keychain tests under \
    `dbus-run-session -- scripts/with-keyring.sh cargo test -p mailgrant-tests --test keychain`";

/// A service name of this test (and run) only: the tests never see, or clear, anybody else's entries.
fn service(test: &str) -> String {
    format!("app.mailgrant.test-{}-{test}", std::process::id())
}

/// Fails unless a Secret Service already runs on the session bus. Checked first, without calling the service:
/// a call would make D-Bus start gnome-keyring on the user's own keyrings.
/// The tests of this file talk to gnome-keyring one at a time (it aborts on some overlaps of short-lived clients,
/// see src-tauri/core/src/vault/keychain.rs); the caller holds the returned turn for the whole test.
fn require_secret_service() -> std::sync::MutexGuard<'static, ()> {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
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
    let answer = String::from_utf8_lossy(&owned.stdout);
    if !(owned.status.success() && answer.contains("boolean true")) {
        let detail = String::from_utf8_lossy(&owned.stderr).trim().to_string();
        let detail = if detail.is_empty() {
            detail
        } else {
            format!(" ({detail})")
        };
        panic!("no Secret Service on the session bus{detail}: {HOW_TO_RUN}");
    }
    turn
}

fn secret_tool(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new("secret-tool")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot run secret-tool ({error}): install libsecret-tools"));
    if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(input.as_bytes()).expect("secret-tool's stdin");
    }
    child.wait_with_output().expect("secret-tool")
}

/// `secret-tool lookup service S username U`: the secret, or `None` when there is no such item.
fn lookup(service: &str, user: &str) -> Option<String> {
    let output = secret_tool(&["lookup", "service", service, "username", user], None);
    if output.status.success() {
        Some(String::from_utf8(output.stdout).expect("a UTF-8 secret"))
    } else {
        assert!(
            output.stderr.is_empty(),
            "secret-tool lookup failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        None
    }
}

/// The attributes of every item `secret-tool search --all` finds for `service` and `user`.
fn search(service: &str, user: &str) -> Vec<HashMap<String, String>> {
    let output = secret_tool(&["search", "--all", "service", service, "username", user], None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let mut items: Vec<HashMap<String, String>> = Vec::new();
    for line in text.lines() {
        if line.starts_with('[') {
            items.push(HashMap::new());
        } else if let (Some(item), Some((key, value))) = (items.last_mut(), line.split_once(" = ")) {
            if let Some(attribute) = key.strip_prefix("attribute.") {
                item.insert(attribute.to_string(), value.to_string());
            }
        }
    }
    items
}

/// Clears this run's items however the test ends.
struct ClearOnDrop(String);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        let _ = secret_tool(&["clear", "service", &self.0], None);
    }
}

fn entry(service: &str, user: &str) -> Entry {
    let entry = Entry::new(service, user).expect("a keyring entry");
    // The real store, never the mock a misconfigured build would fall back to.
    assert!(
        entry
            .get_credential()
            .downcast_ref::<keyring::secret_service::SsCredential>()
            .is_some(),
        "keyring does not use the Secret Service"
    );
    entry
}

#[test]
fn what_keyring_writes_secret_tool_reads_and_keyring_deletes() {
    let _turn = require_secret_service();
    let service = service("keyring-writes");
    let _clear = ClearOnDrop(service.clone());
    let user = "adele@contoso.example";
    let secret = format!("refresh-token ✓ {}", std::process::id());

    let entry = entry(&service, user);
    entry.set_password(&secret).expect("keyring stores the secret");
    assert_eq!(lookup(&service, user).as_deref(), Some(secret.as_str()));

    // keyring 3's attributes: service and username (what secret-tool looks up by), plus its own.
    let items = search(&service, user);
    assert_eq!(items.len(), 1, "items for {service}/{user}: {items:?}");
    let attributes = &items[0];
    assert_eq!(attributes.get("service"), Some(&service), "{attributes:?}");
    assert_eq!(
        attributes.get("username").map(String::as_str),
        Some(user),
        "{attributes:?}"
    );
    assert_eq!(
        attributes.get("target").map(String::as_str),
        Some("default"),
        "{attributes:?}"
    );
    assert_eq!(
        attributes.get("application").map(String::as_str),
        Some("rust-keyring"),
        "{attributes:?}"
    );

    // A second write replaces the item.
    entry
        .set_password("rotated")
        .expect("keyring replaces the secret");
    assert_eq!(lookup(&service, user).as_deref(), Some("rotated"));
    assert_eq!(search(&service, user).len(), 1);

    entry.delete_credential().expect("keyring deletes the secret");
    assert_eq!(lookup(&service, user), None);
    assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
}

#[test]
fn what_secret_tool_writes_keyring_reads() {
    let _turn = require_secret_service();
    let service = service("secret-tool-writes");
    let _clear = ClearOnDrop(service.clone());
    let user = "megan@contoso.example";
    let secret = format!("written by secret-tool {}", std::process::id());

    // Only the two attributes a person (or an older keyring) would set: no target.
    let stored = secret_tool(
        &[
            "store",
            "--label=Mailgrant test",
            "service",
            &service,
            "username",
            user,
        ],
        Some(&secret),
    );
    assert!(
        stored.status.success(),
        "secret-tool store: {}",
        String::from_utf8_lossy(&stored.stderr)
    );

    let entry = entry(&service, user);
    assert_eq!(entry.get_password().expect("keyring finds the item"), secret);
    entry.delete_credential().expect("keyring deletes the item");
    assert_eq!(lookup(&service, user), None);
}

#[test]
fn keyring_misses_are_no_entry() {
    let _turn = require_secret_service();
    let service = service("keyring-misses");
    let entry = entry(&service, "nobody@contoso.example");
    assert!(matches!(entry.get_password(), Err(keyring::Error::NoEntry)));
    assert!(matches!(entry.delete_credential(), Err(keyring::Error::NoEntry)));
}

/// The vault's own Secret Service client writes items as `keyring` did, so entries from either read with the
/// other, and secret-tool sees them too; duplicates (two writers at once) are replaced by one item on a write.
#[test]
fn the_vault_and_keyring_read_each_other_s_items() {
    use mailgrant_core::vault::{KeyringStore, SecretStore};
    use mailgrant_core::SecretString;
    let _turn = require_secret_service();
    let service = service("vault-and-keyring");
    let _clear = ClearOnDrop(service.clone());
    let store = KeyringStore::new(service.clone());

    entry(&service, "written-by-keyring")
        .set_password("from keyring")
        .unwrap();
    assert_eq!(
        store
            .get("written-by-keyring")
            .unwrap()
            .map(|s| s.expose().to_owned())
            .as_deref(),
        Some("from keyring")
    );

    store
        .set(
            "written-by-the-vault",
            &SecretString::new("from the vault".into()),
        )
        .unwrap();
    assert_eq!(
        entry(&service, "written-by-the-vault").get_password().unwrap(),
        "from the vault"
    );
    assert_eq!(
        lookup(&service, "written-by-the-vault").as_deref(),
        Some("from the vault")
    );
    let items = search(&service, "written-by-the-vault");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].get("target").map(String::as_str), Some("default"));
    assert_eq!(
        items[0].get("application").map(String::as_str),
        Some("rust-keyring")
    );

    // Two items with the same attributes: a read says so, a write leaves one.
    secret_tool(
        &[
            "store", "--label", "dup", "service", &service, "username", "twice", "target", "default",
        ],
        Some("one"),
    );
    secret_tool(
        &[
            "store", "--label", "dup 2", "service", &service, "username", "twice", "target", "default", "x",
            "y",
        ],
        Some("two"),
    );
    assert!(matches!(
        store.get("twice"),
        Err(mailgrant_core::vault::VaultError::Ambiguous { count: 2, .. })
    ));
    store.set("twice", &SecretString::new("three".into())).unwrap();
    assert_eq!(search(&service, "twice").len(), 1);
    assert_eq!(
        store
            .get("twice")
            .unwrap()
            .map(|s| s.expose().to_owned())
            .as_deref(),
        Some("three")
    );

    assert!(store.delete("written-by-keyring").unwrap());
    assert!(!store.delete("written-by-keyring").unwrap());
    assert!(matches!(
        entry(&service, "written-by-keyring").get_password(),
        Err(keyring::Error::NoEntry)
    ));
}
