//! The throwaway keyring of `scripts/with-keyring.sh`, locked and unlocked as a user's would be, and a test run in
//! a D-Bus session and keyring of its own (so locking it cannot fail the tests running beside it).
//!
//! Locking is the Secret Service's own `Lock` call on the login collection; gnome-keyring unlocks only through a
//! prompt (none can be shown here, so an unlock request is dismissed, as when the user cancels) or with the
//! keyring's password over its `UnlockWithMasterPassword` call, which is how [`unlock`] puts it back.
#![cfg(target_os = "linux")]

use std::process::{Command, Output};

use zbus::blocking::Connection;
use zbus::zvariant::{ObjectPath, OwnedObjectPath, OwnedValue, Value};
use zbus4 as zbus;

/// The login keyring's password in `scripts/with-keyring.sh`.
pub const TEST_KEYRING_PASSWORD: &str = "mailgrant-test-keyring";
/// The collection `with-keyring.sh` makes, the default one, which the vault writes to.
pub const LOGIN_COLLECTION: &str = "/org/freedesktop/secrets/collection/login";

const SECRETS: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";

/// Runs blocking D-Bus calls on a thread of their own: zbus's blocking API starts a runtime, which must not be
/// inside the caller's (a `#[tokio::test]`).
fn on_own_thread<T: Send + 'static>(
    work: impl FnOnce() -> zbus::Result<T> + Send + 'static,
) -> zbus::Result<T> {
    std::thread::spawn(work).join().expect("the D-Bus thread")
}

/// `org.freedesktop.Secret.Service.Lock` on the login collection: no prompt, as the Secret Service specifies.
pub fn lock() -> zbus::Result<()> {
    on_own_thread(|| {
        let bus = Connection::session()?;
        let collection = ObjectPath::try_from(LOGIN_COLLECTION)?;
        let reply = bus.call_method(
            Some(SECRETS),
            SERVICE_PATH,
            Some("org.freedesktop.Secret.Service"),
            "Lock",
            &(vec![collection],),
        )?;
        let (locked, _prompt): (Vec<OwnedObjectPath>, OwnedObjectPath) = reply.body().deserialize()?;
        if locked.iter().any(|p| p.as_str() == LOGIN_COLLECTION) {
            Ok(())
        } else {
            Err(zbus::Error::Failure(format!(
                "the login collection was not locked: {locked:?}"
            )))
        }
    })
}

/// Unlocks the login collection with its password, without a prompt (gnome-keyring's
/// `InternalUnsupportedGuiltRiddenInterface`, the call its own tools use), over a plain session.
pub fn unlock() -> zbus::Result<()> {
    on_own_thread(|| {
        let bus = Connection::session()?;
        let reply = bus.call_method(
            Some(SECRETS),
            SERVICE_PATH,
            Some("org.freedesktop.Secret.Service"),
            "OpenSession",
            &("plain", Value::from("")),
        )?;
        let (_, session): (OwnedValue, OwnedObjectPath) = reply.body().deserialize()?;
        let secret = (
            session.as_ref(),
            Vec::<u8>::new(),
            TEST_KEYRING_PASSWORD.as_bytes().to_vec(),
            "text/plain",
        );
        bus.call_method(
            Some(SECRETS),
            SERVICE_PATH,
            Some("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface"),
            "UnlockWithMasterPassword",
            &(ObjectPath::try_from(LOGIN_COLLECTION)?, secret),
        )?;
        Ok(())
    })
}

/// Whether the login collection is locked (its `Locked` property).
pub fn is_locked() -> zbus::Result<bool> {
    on_own_thread(|| {
        let bus = Connection::session()?;
        let reply = bus.call_method(
            Some(SECRETS),
            LOGIN_COLLECTION,
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &("org.freedesktop.Secret.Collection", "Locked"),
        )?;
        let value: OwnedValue = reply.body().deserialize()?;
        bool::try_from(value).map_err(zbus::Error::from)
    })
}

/// Runs `test` of the current test binary, alone, with `role_env` set, in a new D-Bus session whose Secret
/// Service is a throwaway keyring of its own (`dbus-run-session -- scripts/with-keyring.sh`). The child's output.
pub fn run_in_own_keyring_session(test: &str, role_env: &str) -> Output {
    Command::new("dbus-run-session")
        .arg("--")
        .arg("bash")
        .arg(crate::workspace::root().join("scripts/with-keyring.sh"))
        .arg(std::env::current_exe().expect("the test binary"))
        .args([
            test,
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(role_env, "1")
        // No screen: gnome-keyring asks a person to unlock a locked keyring in a prompt window (gcr-prompter) and
        // would wait there for ever under Xvfb; without a display the prompt is dismissed at once, as over SSH.
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("dbus-run-session (install dbus and gnome-keyring: scripts/install-deps.sh test)")
}
