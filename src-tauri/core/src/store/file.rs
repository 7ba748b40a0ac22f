//! The file-system side of the config store: a private directory, a cross-process lock file, atomic replacement
//! of the config file, and backups of a corrupt one.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::StoreError;

/// Creates `dir` (and missing parents) readable by the user only (0700 on unix). An existing directory is used
/// only when it is the user's own and nobody else may write in it (on unix): another user could otherwise swap
/// the config (and so where tokens are sent) under Mailgrant's feet.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), StoreError> {
    if dir.is_dir() {
        return check_private_dir(dir);
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| StoreError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Refuses a directory owned by another user or writable by everyone.
#[cfg(unix)]
fn check_private_dir(dir: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt as _;
    let meta = fs::metadata(dir).map_err(|source| StoreError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    let unsafe_dir = |reason: String| {
        Err(StoreError::UnsafeDir {
            path: dir.to_path_buf(),
            reason,
        })
    };
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return unsafe_dir(format!(
            "it belongs to another user (uid {}, you are {me}); choose a directory of your own (MAILGRANT_HOME)",
            meta.uid()
        ));
    }
    if meta.mode() & 0o002 != 0 {
        return unsafe_dir(format!(
            "anyone on this computer may write in it (mode {:o}); make it yours alone with: chmod 700 {}",
            meta.mode() & 0o7777,
            dir.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private_dir(_dir: &Path) -> Result<(), StoreError> {
    Ok(())
}

/// Opens (creating if needed) a file for writing that only the user may read (0600 on unix).
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
}

/// An exclusive lock on the lock file, held until dropped. The lock is the operating system's (`flock` on unix,
/// `LockFileEx` on Windows): it is released when the process dies, so a crashed Mailgrant never leaves the config
/// locked. The lock file itself stays: deleting it would let two processes lock two different files.
pub(crate) struct LockGuard {
    file: File,
}

impl LockGuard {
    /// Waits up to `timeout` for the lock, polling with a growing pause (the platform has no timed lock).
    pub(crate) fn acquire(path: &Path, timeout: Duration) -> Result<Self, StoreError> {
        let lock_error = |source| StoreError::Lock {
            path: path.to_path_buf(),
            source,
        };
        let file = private_options()
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(lock_error)?;
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            // Called through the trait: std's inherent `File::try_lock` (Rust 1.89) would shadow it.
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => return Ok(Self { file }),
                Err(fs4::TryLockError::WouldBlock) => {}
                Err(fs4::TryLockError::Error(source)) => return Err(lock_error(source)),
            }
            let waited = started.elapsed();
            if waited >= timeout {
                return Err(StoreError::LockTimeout {
                    path: path.to_path_buf(),
                    waited,
                });
            }
            std::thread::sleep(pause.min(timeout - waited));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; unlocking first just makes it prompt.
        let _ = fs4::FileExt::unlock(&self.file);
    }
}

/// Replaces `path` with `bytes` so that a reader sees either the old or the new file, never a mix: a temporary
/// file in the same directory is written, flushed to disk, renamed over `path`, and the directory entry is flushed
/// too (unix). The temporary file is removed if anything fails.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let write_error = |source| StoreError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let temp = temp_path(path);
    let result = (|| {
        let mut file = private_options().create_new(true).open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        rename_over(&temp, path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(write_error)
}

/// `.config.json.tmp-<pid>-<n>`: unique per process and call, hidden, and never matched by the backup names.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

#[cfg(not(windows))]
fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)
}

/// Windows refuses to replace a file another process has open without `FILE_SHARE_DELETE` (a reader, an
/// antivirus scan): such a moment passes, so try a few times.
#[cfg(windows)]
fn rename_over(from: &Path, to: &Path) -> io::Result<()> {
    let mut attempt = 0;
    loop {
        match fs::rename(from, to) {
            Err(e) if e.kind() == io::ErrorKind::PermissionDenied && attempt < 20 => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            other => return other,
        }
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows has no directory fsync; `MoveFileEx` (behind `fs::rename`) is as durable as it gets there.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Copies a corrupt config to `config.json.corrupt-<UTC time>` beside it, and leaves the original in place. A
/// backup with the same content that already exists is reused, so reading the same broken file again and again
/// does not pile up copies.
pub(crate) fn back_up_corrupt(path: &Path, bytes: &[u8]) -> Result<PathBuf, StoreError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix = format!("{name}.corrupt-");
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let is_backup = entry.file_name().to_string_lossy().starts_with(&prefix);
            let same_size = entry.metadata().is_ok_and(|m| m.len() == bytes.len() as u64);
            if is_backup && same_size && fs::read(entry.path()).is_ok_and(|b| b == bytes) {
                return Ok(entry.path());
            }
        }
    }
    let stamp = backup_stamp();
    let mut backup = dir.join(format!("{prefix}{stamp}"));
    let mut n = 1;
    loop {
        let created = private_options().create_new(true).open(&backup);
        match created {
            Ok(mut file) => {
                let written = file.write_all(bytes).and_then(|()| file.sync_all());
                return match written {
                    Ok(()) => Ok(backup),
                    Err(source) => {
                        drop(file);
                        let _ = fs::remove_file(&backup);
                        Err(StoreError::Backup {
                            path: path.to_path_buf(),
                            backup,
                            source,
                        })
                    }
                };
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => {
                n += 1;
                backup = dir.join(format!("{prefix}{stamp}-{n}"));
            }
            Err(source) => {
                return Err(StoreError::Backup {
                    path: path.to_path_buf(),
                    backup,
                    source,
                })
            }
        }
    }
}

/// `20260131T142501Z`: sorts by time and is a valid file name everywhere.
fn backup_stamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_is_the_users_alone() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b/mailgrant");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        create_private_dir(&dir).expect("its own directory is used again");
    }

    #[test]
    fn a_directory_anyone_may_write_in_is_refused_and_nothing_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("mailgrant");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let err = create_private_dir(&dir).unwrap_err();
        assert!(matches!(err, StoreError::UnsafeDir { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("anyone on this computer may write in it (mode 777)"),
            "{err}"
        );
        let store = crate::store::Store::at(dir.join("config.json"));
        let err = store
            .update(|_| Ok::<_, std::convert::Infallible>(()))
            .unwrap_err();
        assert!(matches!(err, StoreError::UnsafeDir { .. }), "{err:?}");
        assert!(!dir.join("config.json").exists());
    }

    #[test]
    fn a_directory_of_another_user_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("mailgrant");
        fs::create_dir(&dir).unwrap();
        // Only root can give a directory away; as anyone else the case can't be set up here.
        if rustix::process::geteuid().is_root() {
            std::os::unix::fs::chown(&dir, Some(65534), None).unwrap();
            let err = create_private_dir(&dir).unwrap_err();
            assert!(
                err.to_string()
                    .contains("it belongs to another user (uid 65534, you are 0)"),
                "{err}"
            );
        } else {
            assert!(create_private_dir(&dir).is_ok());
        }
    }
}
