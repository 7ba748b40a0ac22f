//! The config store across processes: copies of this test binary (re-executed with `STORE_CHILD` naming their
//! role) update one config file at the same time, as the desktop app and CLI runs do. Every update lands, and a
//! reader watching the file meanwhile only ever sees complete, valid JSON.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailgrant_core::model::{
    Account, AppRegistration, ClientKind, Cloud, Flow, RedirectMode, Service, TokenMetadata,
};
use mailgrant_core::store::{Store, StoreError};

/// Set in a child process: `<role>|<config path>|<argument>`.
const CHILD_ENV: &str = "MAILGRANT_STORE_CHILD";
const CHILDREN: usize = 6;
const UPDATES_PER_CHILD: usize = 12;

fn registration() -> AppRegistration {
    AppRegistration {
        id: "r1".into(),
        name: "Contoso mail".into(),
        client_id: "6731de76-14a6-49ae-97bc-6eba6914391e".parse().expect("a GUID"),
        tenant: "contoso.onmicrosoft.com".parse().expect("a tenant"),
        cloud: Cloud::Global,
        client_kind: ClientKind::Public,
        redirect_mode: RedirectMode::Loopback,
        credentials: Vec::new(),
    }
}

fn account(name: &str) -> Account {
    Account {
        name: name.into(),
        address: format!("{name}@contoso.example"),
        registration: "r1".into(),
        flow: Flow::AuthCode,
        services: BTreeSet::from([Service::Imap]),
        shared_mailbox: None,
        identity: None,
        tokens: TokenMetadata::default(),
        imap: None,
        pop: None,
        smtp: None,
    }
}

/// Starts this test binary again, running only the `child` test in the given role.
fn spawn_child(role: &str, config: &Path, argument: &str) -> Child {
    Command::new(std::env::current_exe().expect("the test binary's path"))
        .args(["child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{role}|{}|{argument}", config.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a child test process")
}

fn wait_ok(child: Child, what: &str) {
    let output = child.wait_with_output().expect("the child's exit");
    assert!(
        output.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The child really ran its role (not zero tests because of a renamed function).
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "{what}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
}

/// The role of a re-executed copy of this binary; does nothing in a normal test run.
#[test]
fn child() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut fields = spec.splitn(3, '|');
    let (role, config, argument) = (
        fields.next().unwrap_or_default(),
        PathBuf::from(fields.next().unwrap_or_default()),
        fields.next().unwrap_or_default().to_owned(),
    );
    let store = Store::at(config).with_lock_timeout(Duration::from_secs(60));
    match role {
        "append" => {
            for k in 0..UPDATES_PER_CHILD {
                store
                    .add_account(account(&format!("{argument}-{k}")))
                    .expect("an update from a child process");
            }
        }
        "hold" => {
            // Holds the lock until the parent removes the marker file (or 30 s pass).
            let marker = PathBuf::from(argument);
            store
                .update(|_| {
                    std::fs::write(&marker, b"locked").map_err(StoreError::rejected)?;
                    let started = Instant::now();
                    while marker.exists() && started.elapsed() < Duration::from_secs(30) {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Ok::<_, StoreError>(())
                })
                .expect("the lock");
        }
        other => panic!("unknown child role {other:?}"),
    }
}

#[test]
fn updates_from_many_processes_all_land_and_the_file_stays_valid() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let config = tmp.path().join("home").join("config.json");
    let store = Store::at(&config);
    store.add_registration(registration()).expect("the registration");

    let started = Instant::now();
    let children: Vec<Child> = (0..CHILDREN)
        .map(|i| spawn_child("append", &config, &format!("p{i}")))
        .collect();

    // Watch the file while the children write: every read is a whole, valid config.
    let mut children = children;
    let mut reads = 0;
    let mut finished = Vec::new();
    while !children.is_empty() {
        let bytes = std::fs::read(&config).expect("the config file");
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "read {reads}: not valid JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        assert_eq!(value["schema_version"], 1);
        store.load().expect("a readable config");
        reads += 1;
        let mut running = Vec::new();
        for mut child in children {
            match child.try_wait().expect("a child's status") {
                Some(_) => finished.push(child),
                None => running.push(child),
            }
        }
        children = running;
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "children still running"
        );
    }
    for (i, child) in finished.into_iter().enumerate() {
        wait_ok(child, &format!("child {i}"));
    }

    let accounts = store.load().expect("the final config").accounts;
    let names: BTreeSet<String> = accounts.iter().map(|a| a.name.clone()).collect();
    assert_eq!(accounts.len(), CHILDREN * UPDATES_PER_CHILD, "lost updates");
    for i in 0..CHILDREN {
        for k in 0..UPDATES_PER_CHILD {
            assert!(names.contains(&format!("p{i}-{k}")), "p{i}-{k} is missing");
        }
    }
    let mut left: Vec<String> = std::fs::read_dir(config.parent().expect("a dir"))
        .expect("the home dir")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["config.json", "config.json.lock"], "temporary files left");
    eprintln!(
        "{} processes × {UPDATES_PER_CHILD} updates in {:?}; {reads} reads, all valid",
        CHILDREN,
        started.elapsed()
    );
}

#[test]
fn a_lock_held_by_another_process_times_out_then_frees() {
    let tmp = tempfile::tempdir().expect("a temp dir");
    let config = tmp.path().join("config.json");
    let marker = tmp.path().join("holding");
    Store::at(&config)
        .add_registration(registration())
        .expect("the registration");

    let holder = spawn_child("hold", &config, &marker.display().to_string());
    let started = Instant::now();
    while !marker.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the child never took the lock"
        );
        std::thread::sleep(Duration::from_millis(10));
    }

    let impatient = Store::at(&config).with_lock_timeout(Duration::from_millis(200));
    let err = impatient
        .add_account(account("adele"))
        .expect_err("the lock is held");
    assert!(matches!(err, StoreError::LockTimeout { .. }), "{err:?}");
    assert!(err.to_string().contains("another Mailgrant process"), "{err}");
    // Reading needs no lock.
    assert_eq!(impatient.load().expect("a read").registrations.len(), 1);

    std::fs::remove_file(&marker).expect("the marker");
    wait_ok(holder, "the lock holder");
    Store::at(&config)
        .with_lock_timeout(Duration::from_secs(5))
        .add_account(account("adele"))
        .expect("the lock is free again");
}
