//! Values too large for one keychain entry, split across several.
//!
//! Windows' Credential Manager stores a password as UTF-16 and caps it at 2,560 bytes (1,280 UTF-16 units), and
//! Microsoft refresh tokens can be longer. So every entry is kept within both [`MAX_ENTRY_UTF8_BYTES`] and
//! [`MAX_ENTRY_UTF16_BYTES`], on every platform (the layout is the same everywhere, and Linux tests exercise
//! what Windows needs).
//!
//! A value that fits is stored as it is under `key`. A larger one is split on character boundaries into parts:
//! `key` holds a header and the first part, `key#1`, `key#2`, … the rest. The header names the number of parts
//! and a digest of the whole value:
//!
//! ```text
//! mailgrant-chunked:v1:006:0123456789abcdef\n<first part>
//! ```
//!
//! Writes store the new parts first and the head last, then delete parts the new value no longer uses. A read
//! checks the digest, so it never returns parts of two different writes: a mismatch or a missing part (a
//! concurrent writer) is retried, and then reported as [`VaultError::Corrupt`].

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
/// `MAGIC` + `NNN:` + 16 hex digits + `\n`, all ASCII.
const HEADER_LEN: usize = MAGIC.len() + 4 + 16 + 1;
const READ_ATTEMPTS: u32 = 4;

/// A [`SecretStore`] that splits large values across entries of `inner`.
#[derive(Debug)]
pub struct ChunkedStore<S> {
    inner: S,
    /// Writers in this process take turns; across processes the digest keeps reads consistent.
    writes: Mutex<()>,
}

impl<S: SecretStore> ChunkedStore<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            writes: Mutex::new(()),
        }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Deletes `key#from`, `key#(from+1)`, … up to the first that does not exist.
    fn delete_parts_from(&self, key: &str, from: usize) -> Result<(), VaultError> {
        let mut i = from;
        while i <= MAX_PARTS && self.inner.delete(&part_key(key, i))? {
            i += 1;
        }
        Ok(())
    }
}

fn part_key(key: &str, i: usize) -> String {
    format!("{key}#{i}")
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
fn split(value: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut utf8, mut utf16) = (0, 0, 0);
    for (i, c) in value.char_indices() {
        let (max8, max16) = if pieces.is_empty() {
            (
                MAX_ENTRY_UTF8_BYTES - HEADER_LEN,
                MAX_ENTRY_UTF16_BYTES - 2 * HEADER_LEN,
            )
        } else {
            (MAX_ENTRY_UTF8_BYTES, MAX_ENTRY_UTF16_BYTES)
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

fn fits_one_entry(value: &str) -> bool {
    value.len() <= MAX_ENTRY_UTF8_BYTES && value.encode_utf16().count() * 2 <= MAX_ENTRY_UTF16_BYTES
}

/// `NNN:digest\n<first part>` (after the magic) → (parts, digest, first part).
fn parse_header(rest: &str) -> Option<(usize, &str, &str)> {
    let (count, rest) = rest.split_once(':')?;
    let (digest, first) = rest.split_once('\n')?;
    let parts: usize = count.parse().ok()?;
    let valid = (1..=MAX_PARTS).contains(&parts)
        && digest.len() == 16
        && digest.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then_some((parts, digest, first))
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
            let (parts, expected, first) = parse_header(rest).ok_or_else(|| VaultError::Corrupt {
                key: key.to_owned(),
                detail: "the header of its split value is unreadable".into(),
            })?;
            let mut value = SecretString::new(first.to_owned());
            for i in 1..parts {
                match self.inner.get(&part_key(key, i))? {
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
        let used_parts = if fits_one_entry(text) && !text.starts_with(MAGIC) {
            self.inner.set(key, value)?;
            1
        } else {
            let pieces = split(text);
            if pieces.len() > MAX_PARTS {
                return Err(VaultError::TooLong {
                    key: key.to_owned(),
                    detail: format!(
                        "the value needs {} entries, at most {MAX_PARTS} are allowed",
                        pieces.len()
                    ),
                });
            }
            for (i, piece) in pieces.iter().enumerate().skip(1) {
                self.inner
                    .set(&part_key(key, i), &SecretString::new((*piece).to_owned()))?;
            }
            let head = format!(
                "{MAGIC}{:03}:{}\n{}",
                pieces.len(),
                digest(text),
                pieces.first().copied().unwrap_or_default()
            );
            self.inner.set(key, &SecretString::new(head))?;
            pieces.len()
        };
        self.delete_parts_from(key, used_parts)
    }

    fn delete(&self, key: &str) -> Result<bool, VaultError> {
        let _turn = self.writes.lock().unwrap_or_else(PoisonError::into_inner);
        // The parts the head declares are deleted even if one in the middle is already gone (a damaged value).
        let declared = self
            .inner
            .get(key)?
            .and_then(|head| {
                let rest = head.expose().strip_prefix(MAGIC)?;
                parse_header(rest).map(|(parts, _, _)| parts)
            })
            .unwrap_or(1);
        // The head first: from then on readers see no value rather than a broken one.
        let existed = self.inner.delete(key)?;
        for i in 1..declared {
            self.inner.delete(&part_key(key, i))?;
        }
        self.delete_parts_from(key, declared)?;
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
                "account/adele/refresh-token#1",
                "account/adele/refresh-token#2",
                "account/adele/refresh-token#3",
                "account/adele/refresh-token#4",
                "account/adele/refresh-token#5",
            ]
        );
        for key in &keys {
            let entry = store.inner().get(key).unwrap().unwrap();
            assert!(entry.expose().encode_utf16().count() * 2 <= 2_560, "{key}");
            assert!(entry.expose().len() <= MAX_ENTRY_UTF8_BYTES, "{key}");
        }
        let head = store.inner().get("account/adele/refresh-token").unwrap().unwrap();
        assert!(head.expose().starts_with("mailgrant-chunked:v1:006:"));
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
        let tricky = format!("{MAGIC}002:0123456789abcdef\nnot really");
        store.set("k", &secret(&tricky)).unwrap();
        assert_eq!(store.get("k").unwrap().unwrap().expose(), &tricky);
    }

    #[test]
    fn shrinking_a_value_deletes_the_parts_it_no_longer_uses() {
        let store = windows_like();
        store.set("k", &secret(&token(7_000, 1))).unwrap();
        store.set("k", &secret(&token(3_000, 2))).unwrap();
        assert_eq!(store.inner().keys(), vec!["k", "k#1", "k#2"]);
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
        store.inner().delete("k#3").unwrap();
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
        let stale = store.inner().get("k#2").unwrap().unwrap();
        store.set("k", &secret(&token(7_000, 2))).unwrap();
        // A writer in another process got as far as one part of its value.
        store.inner().set("k#2", &stale).unwrap();
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

    #[test]
    fn split_keeps_every_character() {
        for value in [
            String::new(),
            "x".into(),
            token(1_958, 0),
            token(1_959, 0),
            "é".repeat(3_000),
        ] {
            let pieces = split(&value);
            assert_eq!(pieces.concat(), value);
            assert!(pieces.iter().skip(1).all(|p| !p.is_empty()));
        }
    }
}
