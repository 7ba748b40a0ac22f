//! The scenario: tenants, users, app registrations, mailboxes, lifetimes. Loaded from JSON (see tests/README.md),
//! built in Rust (`Seed::demo()` plus a few pushes), or changed at run time through the admin API.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The tenant id Microsoft uses for every personal (MSA) account: `/consumers` is an alias of it.
pub const CONSUMERS_TENANT_ID: Uuid = uuid::uuid!("9188040d-6c67-4c5b-b112-36a304b66dad");

/// Why a seed cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("cannot read the seed file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot parse the seed")]
    Parse(#[source] serde_json::Error),
    #[error("invalid seed: {0}")]
    Invalid(String),
}

/// A whole scenario. Every field has a default, so a seed file only names what it needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Seed {
    pub tenants: Vec<Tenant>,
    pub users: Vec<User>,
    pub apps: Vec<AppRegistration>,
    pub mailboxes: Vec<Mailbox>,
    pub lifetimes: Lifetimes,
    /// The `interval` the device-code endpoint hands out, in seconds (Microsoft: 5). Tests use 1 or 0.
    pub device_code_interval_secs: u64,
    /// Shifts the emulator's clock, in seconds (codes, tokens, secrets and assertions all use it).
    pub clock_offset_secs: i64,
    /// A refresh token that was exchanged for a new one is refused when used again (AADSTS70000, invalid_grant),
    /// as rotation with reuse detection does. Microsoft's default (false) keeps it valid until it expires, which
    /// would hide a client that never stores the rotated token.
    pub strict_rotation: bool,
    /// With `strict_rotation`: how long after its first redemption a refresh token is still accepted (reuse
    /// detection with a grace period, as identity providers that rotate strictly allow for a client that died
    /// between the answer and storing it). 0: refused at once.
    pub rotation_grace_secs: i64,
}

impl Default for Seed {
    fn default() -> Self {
        Self {
            tenants: Vec::new(),
            users: Vec::new(),
            apps: Vec::new(),
            mailboxes: Vec::new(),
            lifetimes: Lifetimes::default(),
            device_code_interval_secs: 5,
            clock_offset_secs: 0,
            strict_rotation: false,
            rotation_grace_secs: 0,
        }
    }
}

impl Seed {
    /// The built-in demo scenario (tenant contoso.example, see [`super::demo`]).
    pub fn demo() -> Seed {
        super::demo::seed()
    }

    /// Parses a JSON seed and checks it.
    pub fn from_json(text: &str) -> Result<Seed, SeedError> {
        let seed: Seed = serde_json::from_str(text).map_err(SeedError::Parse)?;
        seed.validate()?;
        Ok(seed)
    }

    /// Reads and parses a JSON seed file.
    pub fn load(path: &Path) -> Result<Seed, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Seed::from_json(&text)
    }

    /// Checks what serde cannot: unique keys and references that resolve.
    pub fn validate(&self) -> Result<(), SeedError> {
        let mut seen = std::collections::HashSet::new();
        for user in &self.users {
            if !seen.insert(user.upn.to_ascii_lowercase()) {
                return Err(SeedError::Invalid(format!("user {} is listed twice", user.upn)));
            }
            if self.user_tenant_id(user).is_none() {
                return Err(SeedError::Invalid(format!(
                    "user {} belongs to no tenant of the seed (set \"tenant\" or add its domain to a tenant)",
                    user.upn
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for app in &self.apps {
            if !seen.insert(app.client_id.to_ascii_lowercase()) {
                return Err(SeedError::Invalid(format!(
                    "app {} is listed twice",
                    app.client_id
                )));
            }
            if self.tenant(&app.tenant).is_none() && !is_consumers(&app.tenant) {
                return Err(SeedError::Invalid(format!(
                    "app {} names an unknown home tenant {}",
                    app.client_id, app.tenant
                )));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for mailbox in &self.mailboxes {
            if !seen.insert(mailbox.address.to_ascii_lowercase()) {
                return Err(SeedError::Invalid(format!(
                    "mailbox {} is listed twice",
                    mailbox.address
                )));
            }
        }
        Ok(())
    }

    /// The tenant with this GUID or domain (case-insensitive).
    pub fn tenant(&self, id_or_domain: &str) -> Option<&Tenant> {
        self.tenants.iter().find(|tenant| tenant.matches(id_or_domain))
    }

    /// The user with this UPN (case-insensitive).
    pub fn user(&self, upn: &str) -> Option<&User> {
        self.users.iter().find(|user| user.upn.eq_ignore_ascii_case(upn))
    }

    /// The app registration with this client id (case-insensitive).
    pub fn app(&self, client_id: &str) -> Option<&AppRegistration> {
        self.apps
            .iter()
            .find(|app| app.client_id.eq_ignore_ascii_case(client_id))
    }

    pub(crate) fn app_mut(&mut self, client_id: &str) -> Option<&mut AppRegistration> {
        self.apps
            .iter_mut()
            .find(|app| app.client_id.eq_ignore_ascii_case(client_id))
    }

    /// The mailbox with this address (case-insensitive).
    pub fn mailbox(&self, address: &str) -> Option<&Mailbox> {
        self.mailboxes
            .iter()
            .find(|mailbox| mailbox.address.eq_ignore_ascii_case(address))
    }

    pub(crate) fn mailbox_mut(&mut self, address: &str) -> Option<&mut Mailbox> {
        self.mailboxes
            .iter_mut()
            .find(|mailbox| mailbox.address.eq_ignore_ascii_case(address))
    }

    /// The user's own mailbox: the one whose owner is the user, else the one at the user's UPN.
    pub fn own_mailbox(&self, upn: &str) -> Option<&Mailbox> {
        self.mailboxes
            .iter()
            .find(|mailbox| {
                mailbox
                    .owner
                    .as_deref()
                    .is_some_and(|owner| owner.eq_ignore_ascii_case(upn))
            })
            .or_else(|| self.mailbox(upn).filter(|mailbox| mailbox.owner.is_none()))
    }

    /// The tenant id a user signs in to: consumers for personal accounts, else its `tenant` or UPN domain.
    pub fn user_tenant_id(&self, user: &User) -> Option<Uuid> {
        if user.consumer || user.tenant.as_deref().is_some_and(is_consumers) {
            return Some(CONSUMERS_TENANT_ID);
        }
        match &user.tenant {
            Some(tenant) => self.tenant(tenant).map(|tenant| tenant.id),
            None => {
                let domain = user.upn.rsplit_once('@').map(|(_, domain)| domain)?;
                self.tenant(domain).map(|tenant| tenant.id)
            }
        }
    }

    /// The home tenant id of an app registration.
    pub fn app_tenant_id(&self, app: &AppRegistration) -> Option<Uuid> {
        if is_consumers(&app.tenant) {
            return Some(CONSUMERS_TENANT_ID);
        }
        self.tenant(&app.tenant).map(|tenant| tenant.id)
    }
}

/// `consumers` or the MSA tenant GUID.
pub fn is_consumers(tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case("consumers")
        || Uuid::parse_str(tenant).is_ok_and(|id| id == CONSUMERS_TENANT_ID)
}

/// An Entra tenant (directory).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tenant {
    pub id: Uuid,
    pub display_name: String,
    /// Verified domains; the first is the default one.
    pub domains: Vec<String>,
    /// `cloud_instance_name` in discovery: microsoftonline.com, microsoftonline.us, partner.microsoftonline.cn.
    pub cloud: String,
    /// `tenant_region_scope` in discovery (NA, EU, AS, …).
    pub region_scope: String,
    /// When false, users cannot consent themselves: the sign-in page answers AADSTS90094.
    pub user_consent_allowed: bool,
}

impl Default for Tenant {
    fn default() -> Self {
        Self {
            id: Uuid::nil(),
            display_name: String::new(),
            domains: Vec::new(),
            cloud: "microsoftonline.com".into(),
            region_scope: "NA".into(),
            user_consent_allowed: true,
        }
    }
}

impl Tenant {
    pub fn new(id: Uuid, display_name: &str, domain: &str) -> Self {
        Self {
            id,
            display_name: display_name.into(),
            domains: vec![domain.into()],
            ..Self::default()
        }
    }

    /// Whether `id_or_domain` names this tenant.
    pub fn matches(&self, id_or_domain: &str) -> bool {
        Uuid::parse_str(id_or_domain).is_ok_and(|id| id == self.id)
            || self
                .domains
                .iter()
                .any(|domain| domain.eq_ignore_ascii_case(id_or_domain))
    }
}

/// A user account. There are no passwords: a user signs in by submitting the sign-in form.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct User {
    pub upn: String,
    pub display_name: String,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    /// The object id (`oid`); derived from the UPN when absent.
    pub id: Option<Uuid>,
    /// Tenant GUID or domain; derived from the UPN's domain when absent.
    pub tenant: Option<String>,
    /// A personal Microsoft account (Outlook.com): tenant `consumers`, opaque `EwB…` access tokens.
    pub consumer: bool,
    /// Conditional Access demands MFA: sign-in and refresh fail with AADSTS50076.
    pub mfa_required: bool,
    /// AADSTS50053.
    pub locked: bool,
    /// AADSTS50057.
    pub disabled: bool,
    /// Signs in and consents without showing the page when the authorize request's `login_hint` names them.
    pub auto_approve: bool,
    /// Holds an admin role (Global or Application Administrator): may consent to permissions that need an
    /// admin, such as Graph `Application.Read.All`.
    pub admin: bool,
}

impl User {
    pub fn new(upn: &str, display_name: &str) -> Self {
        Self {
            upn: upn.into(),
            display_name: display_name.into(),
            ..Self::default()
        }
    }

    /// The object id (`oid`).
    pub fn object_id(&self) -> Uuid {
        self.id
            .unwrap_or_else(|| Uuid::new_v5(&Uuid::NAMESPACE_OID, self.upn.to_ascii_lowercase().as_bytes()))
    }

    pub fn given_name(&self) -> String {
        self.given_name.clone().unwrap_or_else(|| {
            self.display_name
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string()
        })
    }

    pub fn surname(&self) -> String {
        self.surname.clone().unwrap_or_else(|| {
            self.display_name
                .split_whitespace()
                .skip(1)
                .collect::<Vec<_>>()
                .join(" ")
        })
    }
}

/// Public ("Mobile and desktop applications") or confidential ("Web", with credentials).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    #[default]
    Public,
    Confidential,
}

/// Who may sign in (`signInAudience`). Short aliases: single, multi, multi+personal, personal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInAudience {
    #[serde(rename = "AzureADMyOrg", alias = "single")]
    AzureAdMyOrg,
    #[serde(rename = "AzureADMultipleOrgs", alias = "multi")]
    AzureAdMultipleOrgs,
    #[default]
    #[serde(rename = "AzureADandPersonalMicrosoftAccount", alias = "multi+personal")]
    AzureAdAndPersonalMicrosoftAccount,
    #[serde(rename = "PersonalMicrosoftAccount", alias = "personal")]
    PersonalMicrosoftAccount,
}

impl SignInAudience {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AzureAdMyOrg => "AzureADMyOrg",
            Self::AzureAdMultipleOrgs => "AzureADMultipleOrgs",
            Self::AzureAdAndPersonalMicrosoftAccount => "AzureADandPersonalMicrosoftAccount",
            Self::PersonalMicrosoftAccount => "PersonalMicrosoftAccount",
        }
    }

    pub fn allows_work_accounts(self) -> bool {
        self != Self::PersonalMicrosoftAccount
    }

    pub fn allows_personal_accounts(self) -> bool {
        matches!(
            self,
            Self::AzureAdAndPersonalMicrosoftAccount | Self::PersonalMicrosoftAccount
        )
    }
}

/// An app registration.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppRegistration {
    /// The application (client) id.
    pub client_id: String,
    /// The application object id (Graph `id`); derived from the client id when absent.
    pub object_id: Option<Uuid>,
    pub display_name: String,
    /// Home tenant: GUID or domain.
    pub tenant: String,
    pub kind: ClientKind,
    pub redirect_uris: Vec<String>,
    pub secrets: Vec<ClientSecret>,
    pub certificates: Vec<ClientCertificate>,
    /// "Allow public client flows" (`isFallbackPublicClient`): needed for the device-code flow.
    pub allow_public_client_flows: bool,
    pub sign_in_audience: SignInAudience,
    /// Configured delegated permissions ("API permissions"): what `/.default` means for a user.
    /// Outlook ones as full URIs (`https://outlook.office.com/IMAP.AccessAsUser.All`), Graph ones short.
    pub delegated_permissions: Vec<String>,
    /// Configured application permissions (app roles), e.g. `https://outlook.office365.com/IMAP.AccessAsApp`.
    pub application_permissions: Vec<String>,
    /// "Grant admin consent": every configured permission is consented for every user, and the
    /// application permissions are granted (client-credentials tokens carry them as `roles`).
    pub admin_consented: bool,
    /// Delegated consent given by individual users: UPN → scopes.
    pub user_consents: BTreeMap<String, Vec<String>>,
    /// Registration time (Graph `createdDateTime`).
    pub created: Option<Timestamp>,
}

impl AppRegistration {
    pub fn new(client_id: &str, display_name: &str, tenant: &str, kind: ClientKind) -> Self {
        Self {
            client_id: client_id.into(),
            display_name: display_name.into(),
            tenant: tenant.into(),
            kind,
            ..Self::default()
        }
    }

    pub fn object_id(&self) -> Uuid {
        self.object_id.unwrap_or_else(|| {
            Uuid::new_v5(
                &Uuid::NAMESPACE_URL,
                self.client_id.to_ascii_lowercase().as_bytes(),
            )
        })
    }
}

/// A client secret as Entra stores it. `value` is what a client sends; `key_id` is the "Secret ID".
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSecret {
    pub key_id: Uuid,
    pub value: String,
    #[serde(default)]
    pub display_name: String,
    /// First three characters of the value unless given.
    #[serde(default)]
    pub hint: Option<String>,
    #[serde(default = "Timestamp::long_ago")]
    pub start: Timestamp,
    pub end: Timestamp,
}

impl ClientSecret {
    pub fn hint(&self) -> String {
        self.hint
            .clone()
            .unwrap_or_else(|| self.value.chars().take(3).collect())
    }
}

/// A certificate credential (public part only, PEM).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCertificate {
    pub key_id: Uuid,
    #[serde(default)]
    pub display_name: String,
    /// `-----BEGIN CERTIFICATE-----` … (X.509, RSA key).
    pub pem: String,
    /// Defaults to the certificate's notBefore.
    #[serde(default)]
    pub start: Option<Timestamp>,
    /// Defaults to the certificate's notAfter.
    #[serde(default)]
    pub end: Option<Timestamp>,
}

/// An Exchange mailbox: a user's own (`owner`) or a shared one (no owner, `delegates` with FullAccess).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mailbox {
    pub address: String,
    pub display_name: Option<String>,
    /// UPN of the user whose mailbox this is; none for a shared mailbox.
    pub owner: Option<String>,
    /// Users with FullAccess and Send As (`Add-MailboxPermission`, `Add-RecipientPermission`).
    pub delegates: Vec<String>,
    /// Client ids of apps whose service principal has FullAccess (app-only IMAP/POP/SMTP).
    pub apps: Vec<String>,
    /// `Set-CASMailbox -ImapEnabled`.
    pub imap: bool,
    /// `Set-CASMailbox -PopEnabled`.
    pub pop: bool,
    /// Authenticated SMTP (`-SmtpClientAuthenticationDisabled $false`).
    pub smtp_auth: bool,
    pub messages: Vec<Message>,
}

impl Default for Mailbox {
    fn default() -> Self {
        Self {
            address: String::new(),
            display_name: None,
            owner: None,
            delegates: Vec::new(),
            apps: Vec::new(),
            imap: true,
            pop: true,
            smtp_auth: true,
            messages: Vec::new(),
        }
    }
}

impl Mailbox {
    /// A user's own mailbox at the user's UPN.
    pub fn owned_by(upn: &str) -> Self {
        Self {
            address: upn.into(),
            owner: Some(upn.into()),
            ..Self::default()
        }
    }

    /// A shared mailbox with FullAccess delegates.
    pub fn shared(address: &str, delegates: &[&str]) -> Self {
        Self {
            address: address.into(),
            delegates: delegates.iter().map(|d| d.to_string()).collect(),
            ..Self::default()
        }
    }

    /// Whether `upn` may open this mailbox (its owner or a delegate).
    pub fn grants(&self, upn: &str) -> bool {
        self.owner
            .as_deref()
            .is_some_and(|owner| owner.eq_ignore_ascii_case(upn))
            || (self.owner.is_none() && self.address.eq_ignore_ascii_case(upn))
            || self
                .delegates
                .iter()
                .any(|delegate| delegate.eq_ignore_ascii_case(upn))
    }

    /// Whether the app's service principal has FullAccess.
    pub fn grants_app(&self, client_id: &str) -> bool {
        self.apps.iter().any(|app| app.eq_ignore_ascii_case(client_id))
    }

    pub fn display_name(&self) -> String {
        self.display_name.clone().unwrap_or_else(|| self.address.clone())
    }
}

/// A message in a mailbox folder.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Message {
    /// Graph id; generated when absent.
    pub id: Option<String>,
    /// `inbox` or `sentitems`.
    pub folder: String,
    pub subject: String,
    pub from: String,
    pub from_name: Option<String>,
    pub to: Vec<String>,
    pub body: String,
    /// `text` or `html`.
    pub content_type: String,
    pub received: Option<Timestamp>,
    pub read: bool,
}

impl Default for Message {
    fn default() -> Self {
        Self {
            id: None,
            folder: "inbox".into(),
            subject: String::new(),
            from: String::new(),
            from_name: None,
            to: Vec::new(),
            body: String::new(),
            content_type: "text".into(),
            received: None,
            read: false,
        }
    }
}

impl Message {
    pub fn new(from: &str, to: &str, subject: &str, body: &str) -> Self {
        Self {
            subject: subject.into(),
            from: from.into(),
            to: vec![to.into()],
            body: body.into(),
            ..Self::default()
        }
    }
}

/// Lifetimes, in seconds.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Lifetimes {
    /// `expires_in` of access tokens (Microsoft: 60–90 minutes; responses commonly say 3599).
    pub access_token_secs: i64,
    /// A refresh token unused this long fails with AADSTS700082 (Microsoft: 90 days).
    pub refresh_token_inactive_secs: i64,
    /// Authorization codes (Microsoft: about 10 minutes), then AADSTS70008.
    pub authorization_code_secs: i64,
    /// Device codes (`expires_in`: 900), then AADSTS70019.
    pub device_code_secs: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token_secs: 3599,
            refresh_token_inactive_secs: 90 * 24 * 3600,
            authorization_code_secs: 600,
            device_code_secs: 900,
        }
    }
}

/// A point in time. In JSON: RFC 3339 (`2030-01-31T00:00:00Z`), `now`, or relative to when the seed is read:
/// `+90d`, `-1d`, `+2h`, `-30m`, `+10s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub OffsetDateTime);

impl Timestamp {
    pub fn now() -> Self {
        Self(OffsetDateTime::now_utc())
    }

    /// Now plus `days` (negative: in the past).
    pub fn in_days(days: i64) -> Self {
        Self(OffsetDateTime::now_utc() + Duration::days(days))
    }

    fn long_ago() -> Self {
        Self::in_days(-365)
    }

    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Parses RFC 3339, `now` or a relative offset.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("now") {
            return Ok(Self::now());
        }
        if let Some(sign) = text.chars().next().filter(|c| *c == '+' || *c == '-') {
            let body = &text[1..];
            let split = body.len().saturating_sub(1);
            let (number, unit) = body.split_at(split);
            let number: i64 = number
                .parse()
                .map_err(|_| format!("bad relative time {text:?}"))?;
            let seconds = match unit {
                "d" => number * 86_400,
                "h" => number * 3_600,
                "m" => number * 60,
                "s" => number,
                _ => return Err(format!("bad relative time {text:?}: use d, h, m or s")),
            };
            let seconds = if sign == '-' { -seconds } else { seconds };
            return Ok(Self(OffsetDateTime::now_utc() + Duration::seconds(seconds)));
        }
        OffsetDateTime::parse(text, &Rfc3339)
            .map(Self)
            .map_err(|e| format!("bad time {text:?}: {e}"))
    }

    /// ISO 8601 / RFC 3339 in UTC, as Graph writes dates.
    pub fn to_rfc3339(self) -> String {
        iso8601(self.0)
    }
}

/// RFC 3339 in UTC with a `Z`, whole seconds.
pub(crate) fn iso8601(at: OffsetDateTime) -> String {
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    at.format(&Rfc3339).unwrap_or_default()
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_and_absolute_times_parse() {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let later = Timestamp::parse("+2d").unwrap().unix();
        assert!((later - now - 2 * 86_400).abs() < 5);
        let earlier = Timestamp::parse("-30m").unwrap().unix();
        assert!((now - earlier - 1_800).abs() < 5);
        assert_eq!(
            Timestamp::parse("2030-01-31T00:00:00Z").unwrap().unix(),
            1_896_048_000
        );
        assert!(Timestamp::parse("+2w").is_err());
    }

    #[test]
    fn demo_seed_is_valid_and_round_trips() {
        let seed = Seed::demo();
        seed.validate().unwrap();
        let json = serde_json::to_string(&seed).unwrap();
        let again = Seed::from_json(&json).unwrap();
        assert_eq!(again.users.len(), seed.users.len());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = Seed::from_json(r#"{"users":[{"upn":"a@b.c","colour":"red"}]}"#).unwrap_err();
        assert!(matches!(err, SeedError::Parse(_)));
    }

    #[test]
    fn a_user_outside_every_tenant_is_refused() {
        let err = Seed::from_json(r#"{"users":[{"upn":"a@nowhere.example"}]}"#).unwrap_err();
        assert!(err.to_string().contains("no tenant"), "{err}");
    }
}
