//! Values too large for one keychain entry, split across several.
//!
//! Windows' Credential Manager stores a password as UTF-16 and caps it at 2,560 bytes (1,280 UTF-16 units), and
//! Microsoft refresh tokens can be longer. So there every entry is kept within both [`MAX_ENTRY_UTF8_BYTES`] and
//! [`MAX_ENTRY_UTF16_BYTES`] ([`EntrySize::WINDOWS`]). The Secret Service and the macOS keychain have no cap a
//! token comes near: there a token is one entry, one round trip to read ([`EntrySize::PLATFORM`]). The layout is
//! the same everywhere, and the Linux suites exercise Windows' sizes on the real Secret Service
//! ([`TokenVault::new`](super::TokenVault::new) splits as Windows does).
//!
//! A value that fits is stored as it is under `key`. A larger one is split on character boundaries into parts:
//! `key` holds a header and the first part; the rest go to one of two slots, `key#a1`, `key#a2`, … or `key#b1`,
//! `key#b2`, …. The header names the slot, the number of parts and a digest of the whole value:
//!
//! ```text
//! mailgrant-chunked:v1:a:006:0123456789abcdef\n<first part>
//! ```
//!
//! A write puts the new parts in the slot the current head does NOT use, then replaces the head (one keychain
//! write, atomic), then deletes the old slot's parts. A process killed at any point leaves the head pointing at
//! a complete set of parts — the old value or the new one — which is what keeps a rotated refresh token from
//! ever being lost half-written. A read checks the digest, so it never returns parts of two different writes: a
//! mismatch or a missing part (a concurrent writer) is retried, and then reported as [`VaultError::Corrupt`].

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::{SecretStore, VaultError};
use crate::sensitive::SecretString;

/// At most this many bytes of UTF-8 in one entry.
pub const MAX_ENTRY_UTF8_BYTES: usize = 2_000;
/// At most this many bytes of UTF-16 in one entry (Windows' `CRED_MAX_CREDENTIAL_BLOB_SIZE`).
pub const MAX_ENTRY_UTF16_BYTES: usize = 2_560;
/// At most this many entries per value (about 80 KB of ASCII).
pub const MAX_PARTS: usize = 64;

const MAGIC: &str = "mailgrant-chunked:v1:";
/// `MAGIC` + `s:` + `NNN:` + 16 hex digits + `\n`, all ASCII.
const HEADER_LEN: usize = MAGIC.len() + 2 + 4 + 16 + 1;
const SLOTS: [char; 2] = ['a', 'b'];

/// How much one keychain entry may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntrySize {
    pub utf8_bytes: usize,
    pub utf16_bytes: usize,
}

impl EntrySize {
    /// Windows' Credential Manager.
    pub const WINDOWS: Self = Self {
        utf8_bytes: MAX_ENTRY_UTF8_BYTES,
        utf16_bytes: MAX_ENTRY_UTF16_BYTES,
    };
    /// A keychain without a cap of its own (Secret Service, macOS): 64 KiB, far above any token, still keeps a
    /// runaway value from being stored whole.
    pub const LARGE: Self = Self {
        utf8_bytes: 64 * 1024,
        utf16_bytes: 128 * 1024,
    };
    /// This platform's keychain.
    pub const PLATFORM: Self = if cfg!(windows) { Self::WINDOWS } else { Self::LARGE };

    fn admits(self, value: &str) -> bool {
        value.len() <= self.utf8_bytes && value.encode_utf16().count() * 2 <= self.utf16_bytes
    }
}
const READ_ATTEMPTS: u32 = 4;

/// A [`SecretStore`] that splits large values across entries of `inner`.
#[derive(Debug)]
pub struct ChunkedStore<S> {
    inner: S,
    size: EntrySize,
    /// Writers in this process take turns; across processes the digest keeps reads consistent.
    writes: Mutex<()>,
}

impl<S: SecretStore> ChunkedStore<S> {
    /// Entries as Windows allows them ([`EntrySize::WINDOWS`]).
    pub fn new(inner: S) -> Self {
        Self::with_entry_size(inner, EntrySize::WINDOWS)
    }

    pub fn with_entry_size(inner: S, size: EntrySize) -> Self {
        Self {
            inner,
            size,
            writes: Mutex::new(()),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Deletes the parts of `slot` from `from` on. A slot always holds parts `1..=m` without gaps: writes go
    /// upwards and deletes downwards, so a write or delete cut off at any point keeps it that way, and the
    /// next write or delete finds every leftover.
    fn delete_parts_from(&self, key: &str, slot: char, from: usize) -> Result<(), VaultError> {
        let mut last = from;
        while last <= MAX_PARTS && self.inner.get(&part_key(key, slot, last))?.is_some() {
            last += 1;
        }
        for i in (from..last).rev() {
            self.inner.delete(&part_key(key, slot, i))?;
        }
        Ok(())
    }

    /// The slot and part count the current head declares, if it is a split value's head.
    fn current_layout(&self, key: &str) -> Result<Option<(char, usize)>, VaultError> {
        Ok(self.inner.get(key)?.and_then(|head| {
            let rest = head.expose().strip_prefix(MAGIC)?;
            parse_header(rest).map(|(slot, parts, _, _)| (slot, parts))
        }))
    }
}

fn part_key(key: &str, slot: char, i: usize) -> String {
    format!("{key}#{slot}{i}")
}

/// The first 8 bytes of the value's SHA-256, in hex.
fn digest(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Splits `value` on character boundaries so that the first piece plus the header, and every other piece, fit
/// one entry.
fn split(value: &str, size: EntrySize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut utf8, mut utf16) = (0, 0, 0);
    for (i, c) in value.char_indices() {
        let (max8, max16) = if pieces.is_empty() {
            (size.utf8_bytes - HEADER_LEN, size.utf16_bytes - 2 * HEADER_LEN)
        } else {
            (size.utf8_bytes, size.utf16_bytes)
        };
        let (c8, c16) = (c.len_utf8(), c.len_utf16() * 2);
        if utf8 + c8 > max8 || utf16 + c16 > max16 {
            pieces.push(&value[start..i]);
            (start, utf8, utf16) = (i, 0, 0);
        }
        utf8 += c8;
        utf16 += c16;
    }
    pieces.push(&value[start..]);
    pieces
}

/// `s:NNN:digest\n<first part>` (after the magic) → (slot, parts, digest, first part).
fn parse_header(rest: &str) -> Option<(char, usize, &str, &str)> {
    let (slot, rest) = rest.split_once(':')?;
    let slot = SLOTS
        .into_iter()
        .find(|s| slot.len() == 1 && slot.starts_with(*s))?;
    let (count, rest) = rest.split_once(':')?;
    let (digest, first) = rest.split_once('\n')?;
    let parts: usize = count.parse().ok()?;
    let valid = (1..=MAX_PARTS).contains(&parts)
        && digest.len() == 16
        && digest.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then_some((slot, parts, digest, first))
}

impl<S: SecretStore> SecretStore for ChunkedStore<S> {
    fn get(&self, key: &str) -> Result<Option<SecretString>, VaultError> {
        let mut problem = String::new();
        'attempt: for attempt in 0..READ_ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(25 * u64::from(attempt)));
            }
            let Some(head) = self.inner.get(key)? else {
                return Ok(None);
            };
            let Some(rest) = head.expose().strip_prefix(MAGIC) else {
                return Ok(Some(head));
            };
            let (slot, parts, expected, first) = parse_header(rest).ok_or_else(|| VaultError::Corrupt {
                key: key.to_owned(),
                detail: "the header of its split value is unreadable".into(),
            })?;
            let mut value = SecretString::new(first.to_owned());
            for i in 1..parts {
                match self.inner.get(&part_key(key, slot, i))? {
                    Some(part) => {
                        let mut joined = value.into_inner();
                        joined.push_str(part.expose());
                        value = SecretString::new(joined);
                    }
                    None => {
                        problem = format!("part {} of {parts} of its split value is missing", i + 1);
                        continue 'attempt;
                    }
                }
            }
            if digest(value.expose()) == expected {
                return Ok(Some(value));
            }
            problem = "the parts of its split value do not belong together".into();
        }
        Err(VaultError::Corrupt {
            key: key.to_owned(),
            detail: problem,
        })
    }

    fn set(&self, key: &str, value: &SecretString) -> Result<(), VaultError> {
        let _turn = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        let text = value.expose();
        let old = self.current_layout(key)?;
        if self.size.admits(text) && !text.starts_with(MAGIC) {
            self.inner.set(key, value)?;
        } else {
            let pieces = split(text, self.size);
            if pieces.len() > MAX_PARTS {
                return Err(VaultError::TooLong {
                    key: key.to_owned(),
                    detail: format!(
                        "the value needs {} entries, at most {MAX_PARTS} are allowed",
                        pieces.len()
                    ),
                });
            }
            let slot = match old {
                Some(('a', _)) => 'b',
                _ => 'a',
            };
            for (i, piece) in pieces.iter().enumerate().skip(1) {
                self.inner
                    .set(&part_key(key, slot, i), &SecretString::new((*piece).to_owned()))?;
            }
            let head = format!(
                "{MAGIC}{slot}:{:03}:{}\n{}",
                pieces.len(),
                digest(text),
                pieces.first().copied().unwrap_or_default()
            );
            // The one write that switches from the old value to the new.
            self.inner.set(key, &SecretString::new(head))?;
            // Leftovers beyond the new value's parts (from an earlier, interrupted write) go too.
            self.delete_parts_from(key, slot, pieces.len())?;
            if let Some((old_slot, _)) = old.filter(|(old_slot, _)| *old_slot != slot) {
                self.delete_parts_from(key, old_slot, 1)?;
            }
            return Ok(());
        }
        if let Some((old_slot, _)) = old {
            self.delete_parts_from(key, old_slot, 1)?;
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<bool, VaultError> {
        let _turn = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        // The head first: from then on readers see no value rather than a broken one. Then both slots, past any
        // gap (a damaged value), so no part of any write outlives the value.
        let declared = self.current_layout(key)?;
        let existed = self.inner.delete(key)?;
        for slot in SLOTS {
            let parts = declared.filter(|(s, _)| *s == slot).map_or(1, |(_, parts)| parts);
            self.delete_parts_from(key, slot, parts.max(1))?;
            for i in (1..parts).rev() {
                self.inner.delete(&part_key(key, slot, i))?;
            }
        }
        Ok(existed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::vault::{EntryLimit, MemoryStore};

    fn windows_like() -> ChunkedStore<Arc<MemoryStore>> {
        ChunkedStore::new(Arc::new(MemoryStore::with_entry_limit(EntryLimit::WINDOWS)))
    }

    fn secret(s: &str) -> SecretString {
        SecretString::new(s.to_owned())
    }

    /// A refresh-token-like ASCII value of `len` bytes.
    fn token(len: usize, seed: u8) -> String {
        (0..len)
            .map(|i| char::from(b'A' + ((i * 7 + usize::from(seed)) % 26) as u8))
            .collect()
    }

    #[test]
    fn the_limited_store_really_refuses_large_entries() {
        let raw = MemoryStore::with_entry_limit(EntryLimit::WINDOWS);
        let err = raw.set("k", &secret(&token(1_281, 0))).unwrap_err();
        assert!(matches!(err, VaultError::TooLong { .. }));
        raw.set("k", &secret(&token(1_280, 0))).unwrap();
    }

    #[test]
    fn a_7000_byte_refresh_token_round_trips_through_windows_sized_entries() {
        let store = windows_like();
        let value = token(7_000, 1);
        store.set("account/adele/refresh-token", &secret(&value)).unwrap();
        assert_eq!(
            store
                .get("account/adele/refresh-token")
                .unwrap()
                .unwrap()
                .expose(),
            &value
        );
        let keys = store.inner().keys();
        assert_eq!(
            keys,
            vec![
                "account/adele/refresh-token",
                "account/adele/refresh-token#a1",
                "account/adele/refresh-token#a2",
                "account/adele/refresh-token#a3",
                "account/adele/refresh-token#a4",
                "account/adele/refresh-token#a5",
            ]
        );
        for key in &keys {
            let entry = store.inner().get(key).unwrap().unwrap();
            assert!(entry.expose().encode_utf16().count() * 2 <= 2_560, "{key}");
            assert!(entry.expose().len() <= MAX_ENTRY_UTF8_BYTES, "{key}");
        }
        let head = store.inner().get("account/adele/refresh-token").unwrap().unwrap();
        assert!(head.expose().starts_with("mailgrant-chunked:v1:a:006:"));
    }

    #[test]
    fn non_ascii_values_split_on_character_boundaries_within_utf16_limits() {
        let store = windows_like();
        // 3-byte (one UTF-16 unit) and 4-byte (two units) characters.
        let value: String = "€𝄞a".repeat(900);
        store.set("k", &secret(&value)).unwrap();
        assert_eq!(store.get("k").unwrap().unwrap().expose(), &value);
        for key in store.inner().keys() {
            let entry = store.inner().get(&key).unwrap().unwrap();
            assert!(entry.expose().encode_utf16().count() * 2 <= 2_560, "{key}");
            assert!(entry.expose().len() <= MAX_ENTRY_UTF8_BYTES, "{key}");
        }
    }

    #[test]
    fn small_values_take_one_plain_entry() {
        let store = windows_like();
        store.set("k", &secret("short secret")).unwrap();
        assert_eq!(store.inner().keys(), vec!["k"]);
        assert_eq!(store.inner().get("k").unwrap().unwrap().expose(), "short secret");
        assert_eq!(store.get("k").unwrap().unwrap().expose(), "short secret");
        assert!(store.get("missing").unwrap().is_none());
    }

    #[test]
    fn a_value_that_looks_like_a_header_is_stored_unambiguously() {
        let store = windows_like();
        let tricky = format!("{MAGIC}a:002:0123456789abcdef\nnot really");
        store.set("k", &secret(&tricky)).unwrap();
        assert_eq!(store.get("k").unwrap().unwrap().expose(), &tricky);
    }

    #[test]
    fn shrinking_a_value_deletes_the_parts_it_no_longer_uses() {
        let store = windows_like();
        store.set("k", &secret(&token(7_000, 1))).unwrap();
        store.set("k", &secret(&token(3_000, 2))).unwrap();
        assert_eq!(store.inner().keys(), vec!["k", "k#b1", "k#b2"]);
        assert_eq!(store.get("k").unwrap().unwrap().expose(), &token(3_000, 2));
        store.set("k", &secret("tiny")).unwrap();
        assert_eq!(store.inner().keys(), vec!["k"]);
        store.set("k", &secret(&token(7_000, 3))).unwrap();
        assert!(store.delete("k").unwrap());
        assert!(store.inner().keys().is_empty());
        assert!(!store.delete("k").unwrap());
    }

    #[test]
    fn a_missing_part_is_corrupt() {
        let store = windows_like();
        store.set("k", &secret(&token(7_000, 1))).unwrap();
        store.inner().delete("k#a3").unwrap();
        let err = store.get("k").unwrap_err();
        assert!(
            matches!(&err, VaultError::Corrupt { key, .. } if key == "k"),
            "{err:?}"
        );
        assert!(err.to_string().contains("part 4 of 6"), "{err}");
        // Deleting the damaged value removes every part, past the gap too.
        assert!(store.delete("k").unwrap());
        assert!(store.inner().keys().is_empty(), "{:?}", store.inner().keys());
    }

    #[test]
    fn parts_of_two_writes_are_never_mixed() {
        let store = windows_like();
        let old = token(7_000, 1);
        store.set("k", &secret(&old)).unwrap();
        let stale = store.inner().get("k#a2").unwrap().unwrap();
        store.set("k", &secret(&token(7_000, 2))).unwrap();
        // A writer in another process got as far as one part of its value.
        store.inner().set("k#b2", &stale).unwrap();
        let err = store.get("k").unwrap_err();
        assert!(matches!(err, VaultError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains("do not belong together"), "{err}");
        assert!(!err.to_string().contains(&old[..20]));
    }

    #[test]
    fn an_unreadable_header_is_corrupt() {
        let store = windows_like();
        store
            .inner()
            .set("k", &secret(&format!("{MAGIC}zzz:nothex\nrest")))
            .unwrap();
        assert!(matches!(store.get("k"), Err(VaultError::Corrupt { .. })));
    }

    #[test]
    fn oversized_values_are_too_long() {
        let store = windows_like();
        let err = store.set("k", &secret(&token(200_000, 1))).unwrap_err();
        assert!(matches!(err, VaultError::TooLong { .. }), "{err:?}");
        assert!(store.inner().keys().is_empty());
    }

    /// A keychain whose process dies after `budget` more writes: every later write fails.
    struct Crashing {
        inner: Arc<MemoryStore>,
        budget: std::sync::atomic::AtomicUsize,
    }

    impl SecretStore for Crashing {
        fn get(&self, key: &str) -> Result<Option<SecretString>, VaultError> {
            self.inner.get(key)
        }
        fn set(&self, key: &str, value: &SecretString) -> Result<(), VaultError> {
            self.spend()?;
            self.inner.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<bool, VaultError> {
            self.spend()?;
            self.inner.delete(key)
        }
    }

    impl Crashing {
        fn spend(&self) -> Result<(), VaultError> {
            use std::sync::atomic::Ordering;
            self.budget
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| b.checked_sub(1))
                .map(|_| ())
                .map_err(|_| VaultError::KeychainUnavailable {
                    detail: "the process died".into(),
                    fix: "",
                })
        }
    }

    #[test]
    fn a_write_cut_off_at_any_point_leaves_the_old_value_or_the_new_one() {
        // Every size change: many parts to few, few to many, split to plain and back.
        let cases = [
            (7_000, 3_000),
            (3_000, 7_000),
            (7_000, 7_000),
            (5_000, 100),
            (100, 5_000),
        ];
        for (old_len, new_len) in cases {
            for budget in 0..=20 {
                let raw = Arc::new(MemoryStore::with_entry_limit(EntryLimit::WINDOWS));
                let (old, new) = (token(old_len, 1), token(new_len, 2));
                // Two earlier writes, so both slots have been used.
                ChunkedStore::new(raw.clone())
                    .set("k", &secret(&token(6_000, 9)))
                    .unwrap();
                ChunkedStore::new(raw.clone()).set("k", &secret(&old)).unwrap();
                let dying = ChunkedStore::new(Crashing {
                    inner: raw.clone(),
                    budget: budget.into(),
                });
                let finished = dying.set("k", &secret(&new)).is_ok();
                // The next process reads what is there.
                let after = ChunkedStore::new(raw.clone());
                let read = after.get("k").unwrap().unwrap();
                assert!(
                    *read.expose() == new || (!finished && *read.expose() == old),
                    "{old_len}→{new_len}, cut after {budget} writes: neither value"
                );
                // And writes over any leftovers cleanly; a delete leaves nothing behind.
                after.set("k", &secret(&token(4_500, 3))).unwrap();
                assert_eq!(after.get("k").unwrap().unwrap().expose(), &token(4_500, 3));
                assert!(after.delete("k").unwrap());
                assert!(
                    raw.keys().is_empty(),
                    "{old_len}→{new_len}, {budget}: {:?}",
                    raw.keys()
                );
            }
        }
    }

    #[test]
    fn split_keeps_every_character() {
        for value in [
            String::new(),
            "x".into(),
            token(1_958, 0),
            token(1_959, 0),
            "é".repeat(3_000),
        ] {
            let pieces = split(&value, EntrySize::WINDOWS);
            assert_eq!(pieces.concat(), value);
            assert!(pieces.iter().skip(1).all(|p| !p.is_empty()));
        }
    }

    /// Where the keychain has no cap, a token is one entry (one round trip to read it); a value written split by
    /// a Windows-sized store still reads, and its parts go when it is written again.
    #[test]
    fn without_windows_cap_a_token_is_one_entry_and_split_values_still_read() {
        let raw = Arc::new(MemoryStore::new());
        let token = token(7_000, 3);
        ChunkedStore::new(raw.clone()).set("k", &secret(&token)).unwrap();
        assert!(raw.keys().len() > 1, "split as Windows needs: {:?}", raw.keys());

        let large = ChunkedStore::with_entry_size(raw.clone(), EntrySize::LARGE);
        assert_eq!(large.get("k").unwrap().unwrap().expose(), &token);
        let next = self::token(7_000, 4);
        large.set("k", &secret(&next)).unwrap();
        assert_eq!(raw.keys(), vec!["k".to_owned()], "one entry, the old parts gone");
        assert_eq!(raw.get("k").unwrap().unwrap().expose(), &next);
        assert_eq!(large.get("k").unwrap().unwrap().expose(), &next);
        if !cfg!(windows) {
            assert_eq!(EntrySize::PLATFORM, EntrySize::LARGE);
        }
    }
}
