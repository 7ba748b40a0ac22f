//! The expiry board: every client secret and certificate, soonest expiry first.

use super::*;

/// How close a credential is to expiring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum ExpiryState {
    Expired,
    /// Within 7 days.
    #[serde(rename = "within-7")]
    Within7,
    #[serde(rename = "within-14")]
    Within14,
    #[serde(rename = "within-30")]
    Within30,
    Ok,
    /// Entra always sets an end date; an import without one says so.
    NoExpiry,
}

impl ExpiryState {
    pub fn at(expires: Option<i64>, now: i64) -> Self {
        let Some(expires) = expires else {
            return ExpiryState::NoExpiry;
        };
        let left = expires - now;
        if left <= 0 {
            ExpiryState::Expired
        } else if left <= 7 * 86_400 {
            ExpiryState::Within7
        } else if left <= 14 * 86_400 {
            ExpiryState::Within14
        } else if left <= 30 * 86_400 {
            ExpiryState::Within30
        } else {
            ExpiryState::Ok
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ExpiryState::Expired => "expired",
            ExpiryState::Within7 => "within 7 days",
            ExpiryState::Within14 => "within 14 days",
            ExpiryState::Within30 => "within 30 days",
            ExpiryState::Ok => "ok",
            ExpiryState::NoExpiry => "no expiry",
        }
    }

    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            ExpiryState::Expired | ExpiryState::Within7 | ExpiryState::Within14 | ExpiryState::Within30
        )
    }
}

/// Where Mailgrant knows a credential from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum CredentialSource {
    /// Added to Mailgrant (the wizard or `mailgrant add`), to sign in with.
    Mailgrant,
    /// Listed by Microsoft Graph in an import of the organisation's app registrations.
    Directory,
    /// Both: Mailgrant signs in with it, and Graph listed it too.
    Both,
}

/// One client secret or certificate of an app registration.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CredentialExpiry {
    /// Mailgrant's registration id, or `directory:{object id}` for one only Graph listed.
    pub registration: String,
    pub registration_name: String,
    pub client_id: String,
    pub kind: CredentialKind,
    pub key_id: String,
    pub label: Option<String>,
    pub hint: Option<String>,
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub expires_at: Option<i64>,
    /// Whole days left (negative once expired).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub days_left: Option<i64>,
    pub state: ExpiryState,
    /// The accounts that sign in with it.
    pub accounts: Vec<String>,
    pub source: CredentialSource,
    /// The tenant of the directory import that listed it.
    pub tenant: Option<String>,
    /// Mailgrant signs in with it, and a directory import lists its app without it: deleted in Entra (sign-ins
    /// with it fail with AADSTS7000215), or added to Mailgrant with another ID and hint.
    pub missing_in_directory: bool,
}

impl CredentialExpiry {
    fn new(
        registration: (&str, &str, &str),
        credential: &Credential,
        accounts: Vec<String>,
        source: CredentialSource,
        now: i64,
    ) -> Self {
        let expires_at = credential.expires.map(OffsetDateTime::unix_timestamp);
        CredentialExpiry {
            registration: registration.0.to_owned(),
            registration_name: registration.1.to_owned(),
            client_id: registration.2.to_owned(),
            kind: credential.kind,
            key_id: credential.key_id.clone(),
            label: credential.label.clone(),
            hint: credential.hint.clone(),
            expires_at,
            days_left: expires_at.map(|at| (at - now).div_euclid(86_400)),
            state: ExpiryState::at(expires_at, now),
            accounts,
            source,
            tenant: None,
            missing_in_directory: false,
        }
    }

    /// The same kind of credential with the same hint (a secret's first characters, a certificate's thumbprint).
    fn has_hint_of(&self, c: &Credential) -> bool {
        c.kind == self.kind
            && self
                .hint
                .as_deref()
                .zip(c.hint.as_deref())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
    }

    /// Whether this row and a credential Graph listed for the same app (`siblings`: all it listed for that app)
    /// are one credential: the same key id, or (when Mailgrant made its own id) the same kind and hint — a
    /// secret's first characters, a certificate's thumbprint — when no other credential of the app shares it.
    fn is(&self, listed: &Credential, siblings: &[Credential]) -> bool {
        let same_hint = |c: &Credential| self.has_hint_of(c);
        self.key_id.eq_ignore_ascii_case(&listed.key_id)
            || (same_hint(listed)
                && siblings.iter().filter(|c| same_hint(c)).count() == 1
                && !siblings
                    .iter()
                    .any(|c| c.key_id.eq_ignore_ascii_case(&self.key_id)))
    }
}

/// Every credential of every registration, soonest expiry first (those without an expiry last): Mailgrant's own
/// registrations, and those of the organisation's directory imports. A credential both know is one row; Graph's
/// dates win, as Entra's are the ones that count.
pub fn credentials(config: &ConfigFile, directory: &[DirectoryImport], now: i64) -> Vec<CredentialExpiry> {
    let mut rows: Vec<CredentialExpiry> = config
        .registrations
        .iter()
        .flat_map(|r| {
            let users: Vec<String> = config.accounts_of(&r.id).map(|a| a.name.clone()).collect();
            r.credentials.iter().map(move |c| {
                CredentialExpiry::new(
                    (&r.id, &r.name, r.client_id.as_str()),
                    c,
                    users.clone(),
                    CredentialSource::Mailgrant,
                    now,
                )
            })
        })
        .collect();
    let local = rows.len();
    // The same tenant read through two registrations lists the same credentials twice.
    let mut listed_once = std::collections::HashSet::new();
    for import in directory {
        for app in &import.applications {
            let mine = config
                .registrations
                .iter()
                .find(|r| r.client_id.as_str().eq_ignore_ascii_case(&app.app_id));
            let users: Vec<String> = mine
                .map(|r| config.accounts_of(&r.id).map(|a| a.name.clone()).collect())
                .unwrap_or_default();
            for listed in &app.credentials {
                let known = rows[..local].iter_mut().find(|row| {
                    row.client_id.eq_ignore_ascii_case(&app.app_id) && row.is(listed, &app.credentials)
                });
                if let Some(row) = known {
                    let merged = CredentialExpiry::new(
                        (&row.registration, &row.registration_name, &row.client_id),
                        listed,
                        std::mem::take(&mut row.accounts),
                        CredentialSource::Both,
                        now,
                    );
                    *row = CredentialExpiry {
                        label: listed.label.clone().or(row.label.take()),
                        hint: listed.hint.clone().or(row.hint.take()),
                        tenant: Some(import.tenant_name.clone()),
                        ..merged
                    };
                    continue;
                }
                if !listed_once.insert((app.app_id.to_lowercase(), listed.key_id.to_lowercase())) {
                    continue;
                }
                let id = mine.map_or_else(|| format!("directory:{}", app.object_id), |r| r.id.clone());
                let mut row = CredentialExpiry::new(
                    (&id, &app.display_name, &app.app_id),
                    listed,
                    users.clone(),
                    CredentialSource::Directory,
                    now,
                );
                row.tenant = Some(import.tenant_name.clone());
                rows.push(row);
            }
        }
    }
    // Mailgrant's own that an import of their app's tenant does not list.
    for row in rows[..local]
        .iter_mut()
        .filter(|r| r.source == CredentialSource::Mailgrant)
    {
        let same_hint = |c: &Credential| row.has_hint_of(c);
        // (A hint several of the app's credentials share leaves it open: not flagged.)
        let listed_app = directory.iter().find_map(|import| {
            import
                .applications
                .iter()
                .find(|app| app.app_id.eq_ignore_ascii_case(&row.client_id))
                .filter(|app| !app.credentials.iter().any(same_hint))
                .map(|_| import.tenant_name.clone())
        });
        if let Some(tenant) = listed_app {
            row.missing_in_directory = true;
            row.tenant = Some(tenant);
        }
    }
    rows.sort_by(|a, b| {
        (
            a.expires_at.is_none(),
            a.expires_at,
            &a.registration_name,
            &a.key_id,
        )
            .cmp(&(
                b.expires_at.is_none(),
                b.expires_at,
                &b.registration_name,
                &b.key_id,
            ))
    });
    rows
}

/// The expiry board of a data home: its config's registrations and its directory imports.
pub fn board(
    store: &crate::store::Store,
    now: i64,
) -> Result<Vec<CredentialExpiry>, crate::store::StoreError> {
    let config = store.load()?;
    let directory = crate::directory::Directory::beside(store).load()?;
    Ok(credentials(&config, &directory, now))
}

/// The columns of the board's CSV export, the app's and `mailgrant secrets --csv` alike.
pub const CSV_COLUMNS: [&str; 12] = [
    "registration",
    "client_id",
    "kind",
    "label",
    "hint",
    "key_id",
    "expires",
    "days_left",
    "state",
    "accounts",
    "source",
    "tenant",
];

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A leading `=`, `+`, `-`, `@`, tab
/// or carriage return gets a `'` so a spreadsheet does not run it as a formula; a negative number stays one.
pub fn csv_field(text: &str) -> String {
    // A plain decimal number (`-3`, `-3.5`) is data, not a formula.
    let digits = text.strip_prefix('-').unwrap_or(text);
    let number = !digits.is_empty()
        && !digits.starts_with('.')
        && !digits.ends_with('.')
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1;
    let text = if !number && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// The rows as CSV (RFC 4180, CRLF line ends), with [`CSV_COLUMNS`]. `expires` is ISO 8601 in UTC.
pub fn credentials_csv(rows: &[CredentialExpiry]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for c in rows {
        let expires = c
            .expires_at
            .and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok())
            .and_then(|at| at.format(&time::format_description::well_known::Rfc3339).ok())
            .unwrap_or_default();
        let fields = [
            c.registration_name.clone(),
            c.client_id.clone(),
            match c.kind {
                CredentialKind::Secret => "client secret".to_owned(),
                CredentialKind::Certificate => "certificate".to_owned(),
            },
            c.label.clone().unwrap_or_default(),
            c.hint.clone().unwrap_or_default(),
            c.key_id.clone(),
            expires,
            c.days_left.map(|d| d.to_string()).unwrap_or_default(),
            c.state.label().to_owned(),
            c.accounts.join("; "),
            match c.source {
                CredentialSource::Mailgrant => "mailgrant",
                CredentialSource::Directory => "directory",
                CredentialSource::Both => "both",
            }
            .to_owned(),
            c.tenant.clone().unwrap_or_default(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}
