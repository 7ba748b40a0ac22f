//! Expiry notifications: each threshold announced once per credential.

use super::*;

/// Which expiry thresholds the user has already been told about, per credential, so each one is announced once
/// (a desktop notification at 30, 14 and 7 days and at expiry). Kept in `notified.json` in the data home.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ExpiryNotices {
    /// `registration/key_id` → the last state announced.
    announced: std::collections::BTreeMap<String, ExpiryState>,
}

impl ExpiryNotices {
    /// The record in `home`, or an empty one (a missing or unreadable record only means notices may repeat).
    pub fn load(home: &crate::DataHome) -> Self {
        std::fs::read(Self::path(home))
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, home: &crate::DataHome) -> Result<(), crate::store::StoreError> {
        let bytes = serde_json::to_vec_pretty(self).map_err(crate::store::StoreError::rejected)?;
        crate::store::create_private_dir(home.dir())?;
        crate::store::write_atomically(&Self::path(home), &bytes)
    }

    fn path(home: &crate::DataHome) -> std::path::PathBuf {
        home.dir().join("notified.json")
    }

    /// The credentials that crossed a threshold not yet announced; marks them announced. A renewed credential
    /// (back to `ok`) starts over.
    pub fn due<'a>(&mut self, rows: &'a [CredentialExpiry]) -> Vec<&'a CredentialExpiry> {
        let mut due = Vec::new();
        for row in rows {
            let key = format!("{}/{}", row.registration, row.key_id);
            if !row.state.needs_attention() {
                self.announced.remove(&key);
                continue;
            }
            if self.announced.get(&key).is_none_or(|before| row.state < *before) {
                self.announced.insert(key, row.state);
                due.push(row);
            }
        }
        // Forget credentials that are gone.
        let present: std::collections::BTreeSet<String> = rows
            .iter()
            .map(|r| format!("{}/{}", r.registration, r.key_id))
            .collect();
        self.announced.retain(|key, _| present.contains(key));
        due
    }
}

/// The words of a notification for a credential that crossed a threshold.
pub fn expiry_notice(row: &CredentialExpiry) -> (String, String) {
    let what = match row.kind {
        CredentialKind::Secret => "client secret",
        CredentialKind::Certificate => "certificate",
    };
    let title = match (row.state, row.days_left) {
        (ExpiryState::Expired, _) => format!("The {what} of {} has expired", row.registration_name),
        (_, Some(days)) => format!("The {what} of {} expires in {days} days", row.registration_name),
        _ => format!("The {what} of {} expires soon", row.registration_name),
    };
    let users = if row.accounts.is_empty() {
        "No account here uses it.".to_owned()
    } else {
        format!(
            "Mailboxes that stop working with it: {}.",
            row.accounts.join(", ")
        )
    };
    let fix = if row.source == CredentialSource::Directory {
        "Create a new one in Entra (Certificates & secrets) and give it to whatever uses this app."
    } else {
        "Create a new one in Entra (Certificates & secrets) and add it to Mailgrant."
    };
    (title, format!("{users} {fix}"))
}

/// At most this many credentials get a notification each; more at once (a directory import) get one summary.
pub const NOTICES_AT_ONCE: usize = 3;

/// The notifications for the credentials that crossed a threshold: one each, or one summary when there are
/// more than [`NOTICES_AT_ONCE`].
pub fn expiry_notices(due: &[&CredentialExpiry]) -> Vec<(String, String)> {
    if due.len() <= NOTICES_AT_ONCE {
        return due.iter().map(|row| expiry_notice(row)).collect();
    }
    let expired = due.iter().filter(|r| r.state == ExpiryState::Expired).count();
    let title = if expired > 0 {
        format!(
            "{} client secrets and certificates need attention ({expired} expired)",
            due.len()
        )
    } else {
        format!("{} client secrets and certificates expire soon", due.len())
    };
    let mut names: Vec<&str> = due.iter().map(|r| r.registration_name.as_str()).collect();
    names.dedup();
    let shown = names
        .iter()
        .take(NOTICES_AT_ONCE)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = names.len().saturating_sub(NOTICES_AT_ONCE);
    let body = if more > 0 {
        format!("{shown} and {more} more. Open Mailgrant's expiry board to see them all, soonest first.")
    } else {
        format!("{shown}. Open Mailgrant's expiry board to see them all, soonest first.")
    };
    vec![(title, body)]
}
