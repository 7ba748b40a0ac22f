//! The emulator's live state: the scenario, the clock, and every code, token and grant it has handed out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::errors::AadError;
use super::faults::Fault;
use super::jwt::SigningKey;
use super::scopes::{Resource, Scope};
use super::seed::{is_consumers, AppRegistration, Seed, SignInAudience, User, CONSUMERS_TENANT_ID};

/// What every handler gets: the base URL, the signing key and the locked state.
pub(crate) struct Shared {
    pub base: String,
    pub key: &'static SigningKey,
    state: Mutex<State>,
    initial: Seed,
}

pub(crate) type App = Arc<Shared>;

impl Shared {
    pub fn new(base: String, key: &'static SigningKey, seed: Seed) -> Self {
        Self {
            base,
            key,
            state: Mutex::new(State::new(seed.clone())),
            initial: seed,
        }
    }

    /// The state; a panic in another handler does not poison it for the rest of the test.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The emulator's time (real time plus the clock offset).
    pub fn now(&self) -> OffsetDateTime {
        self.lock().now()
    }

    /// Back to the seed the emulator started with; every code and token is forgotten.
    pub fn reset(&self) {
        *self.lock() = State::new(self.initial.clone());
    }
}

/// Mutable state, behind one mutex (requests are short; nothing awaits while holding it).
pub(crate) struct State {
    pub seed: Seed,
    pub clock_offset_secs: i64,
    seq: u64,
    pub pending: HashMap<String, PendingSignIn>,
    pub codes: HashMap<String, AuthCode>,
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    pub access_tokens: HashMap<String, AccessGrant>,
    pub device_codes: HashMap<String, DeviceGrant>,
    pub revocations: Vec<Revocation>,
    pub faults: Vec<Fault>,
    /// Every token-endpoint request, in order: what tests count ("exactly one refresh").
    pub token_log: Vec<TokenRequestRecord>,
}

/// One request to `/{tenant}/oauth2/v2.0/token`: its grant type, client and outcome (`None` on success, else
/// the AADSTS code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequestRecord {
    pub grant_type: String,
    pub client_id: Option<String>,
    pub error: Option<u32>,
}

impl State {
    pub fn new(seed: Seed) -> Self {
        Self {
            clock_offset_secs: seed.clock_offset_secs,
            seed,
            seq: 0,
            pending: HashMap::new(),
            codes: HashMap::new(),
            refresh_tokens: HashMap::new(),
            access_tokens: HashMap::new(),
            device_codes: HashMap::new(),
            revocations: Vec::new(),
            faults: Vec::new(),
            token_log: Vec::new(),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::seconds(self.clock_offset_secs)
    }

    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// A number that grows with every grant and revocation: "issued before revoked" without clock ties.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Resolves the `{tenant}` path segment.
    pub fn authority(&self, tenant: &str) -> Result<Authority, AadError> {
        if tenant.eq_ignore_ascii_case("common") {
            Ok(Authority::Common)
        } else if tenant.eq_ignore_ascii_case("organizations") {
            Ok(Authority::Organizations)
        } else if is_consumers(tenant) {
            Ok(Authority::Consumers)
        } else if let Some(found) = self.seed.tenant(tenant) {
            Ok(Authority::Tenant(found.id))
        } else {
            Err(AadError::new(90002, &[tenant]))
        }
    }

    /// The latest revocation that applies to a grant of `user` to `client_id` issued at `seq`.
    pub fn revocation(&self, user: &str, client_id: &str, seq: u64) -> Option<&Revocation> {
        self.revocations
            .iter()
            .filter(|revocation| {
                revocation.seq > seq
                    && revocation.user.eq_ignore_ascii_case(user)
                    && revocation
                        .client_id
                        .as_deref()
                        .is_none_or(|id| id.eq_ignore_ascii_case(client_id))
            })
            .max_by_key(|revocation| revocation.seq)
    }

    /// Whether an access token may still be used: known, unexpired, unrevoked.
    pub fn live_access_token(&self, token: &str) -> Result<&AccessGrant, AccessProblem> {
        let grant = self.access_tokens.get(token).ok_or(AccessProblem::Unknown)?;
        if grant.expires_at <= self.unix() {
            return Err(AccessProblem::Expired);
        }
        if let Some(user) = &grant.user {
            if self.revocation(user, &grant.client_id, grant.seq).is_some() {
                return Err(AccessProblem::Revoked);
            }
        }
        Ok(grant)
    }

    /// Whether the user (or the admin, tenant-wide) consented `scope` for the app.
    pub fn consented(&self, app: &AppRegistration, upn: &str, scope: &Scope) -> bool {
        let listed = |list: &[String]| list.iter().any(|granted| Scope::parse(granted).same_as(scope));
        (app.admin_consented && listed(&app.delegated_permissions))
            || app
                .user_consents
                .iter()
                .any(|(user, scopes)| user.eq_ignore_ascii_case(upn) && listed(scopes))
    }
}

/// Why an access token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccessProblem {
    Unknown,
    Expired,
    Revoked,
}

/// The `{tenant}` of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Authority {
    Common,
    Organizations,
    Consumers,
    Tenant(Uuid),
}

impl Authority {
    /// The tenant segment of the discovery `issuer`: literally `{tenantid}` for common and organizations.
    pub fn issuer_segment(self) -> String {
        match self {
            Authority::Common | Authority::Organizations => "{tenantid}".into(),
            Authority::Consumers => CONSUMERS_TENANT_ID.to_string(),
            Authority::Tenant(id) => id.to_string(),
        }
    }

    /// The tenant segment of endpoint URLs in discovery.
    pub fn path_segment(self) -> String {
        match self {
            Authority::Common => "common".into(),
            Authority::Organizations => "organizations".into(),
            Authority::Consumers => "consumers".into(),
            Authority::Tenant(id) => id.to_string(),
        }
    }

    /// Whether an app with this audience may be used through this authority.
    pub fn admits_app(self, seed: &Seed, app: &AppRegistration, path: &str) -> Result<(), AadError> {
        let name = app.display_name.as_str();
        let home = seed.app_tenant_id(app);
        match (app.sign_in_audience, self) {
            (SignInAudience::AzureAdMyOrg, Authority::Common | Authority::Organizations) => {
                Err(AadError::new(50194, &[&app.client_id, name]))
            }
            (SignInAudience::AzureAdMyOrg, Authority::Tenant(id)) if Some(id) != home => {
                Err(AadError::new(700016, &[&app.client_id, path]))
            }
            (SignInAudience::AzureAdMyOrg | SignInAudience::AzureAdMultipleOrgs, Authority::Consumers) => {
                Err(AadError::new(9002332, &[&app.client_id, name]))
            }
            (SignInAudience::PersonalMicrosoftAccount, Authority::Organizations | Authority::Tenant(_)) => {
                Err(AadError::new(9002331, &[&app.client_id, name]))
            }
            _ => Ok(()),
        }
    }

    /// Whether `user` may sign in to `app` through this authority; the user's tenant id when so.
    pub fn admits_user(
        self,
        seed: &Seed,
        app: &AppRegistration,
        user: &User,
        path: &str,
    ) -> Result<Uuid, AadError> {
        let tid = seed.user_tenant_id(user).unwrap_or(CONSUMERS_TENANT_ID);
        let personal = tid == CONSUMERS_TENANT_ID;
        let idp = if personal {
            "live.com".to_string()
        } else {
            format!("https://sts.windows.net/{tid}/")
        };
        let foreign = |tenant: &str| {
            AadError::new(
                50020,
                &[&user.upn, &idp, tenant, &app.client_id, &app.display_name],
            )
        };
        match self {
            Authority::Consumers if !personal => {
                return Err(AadError::new(50034, &[&user.upn, "Microsoft Services"]));
            }
            Authority::Organizations if personal => return Err(foreign(path)),
            Authority::Tenant(id) if id != tid => return Err(foreign(path)),
            _ => {}
        }
        if personal && !app.sign_in_audience.allows_personal_accounts() {
            return Err(foreign("Microsoft Services"));
        }
        if !personal && !app.sign_in_audience.allows_work_accounts() {
            return Err(foreign(path));
        }
        if app.sign_in_audience == SignInAudience::AzureAdMyOrg && seed.app_tenant_id(app) != Some(tid) {
            return Err(foreign(path));
        }
        Ok(tid)
    }
}

/// Account state that stops a sign-in or a refresh: disabled, locked, MFA required.
pub(crate) fn account_block(user: &User, resource: &str) -> Option<AadError> {
    if user.disabled {
        Some(AadError::new(50057, &[]))
    } else if user.locked {
        Some(AadError::new(50053, &[]))
    } else if user.mfa_required {
        Some(AadError::new(50076, &[resource]).with_suberror("basic_action"))
    } else {
        None
    }
}

/// `response_mode` of an authorize request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

/// PKCE challenge as sent to /authorize.
#[derive(Clone, Debug)]
pub(crate) struct Pkce {
    pub challenge: String,
    /// `S256` or `plain` (no method means plain).
    pub s256: bool,
}

/// A validated authorize request waiting for the user on the sign-in page.
#[derive(Clone, Debug)]
pub(crate) struct PendingSignIn {
    pub tenant_path: String,
    pub authority: Authority,
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Vec<Scope>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub pkce: Option<Pkce>,
    pub response_mode: ResponseMode,
    pub login_hint: Option<String>,
    pub kind: PendingKind,
}

/// What the sign-in page is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PendingKind {
    /// /authorize: sign in (and consent when needed), then a code.
    SignIn,
    /// /adminconsent: an admin grants the app's permissions for the whole tenant. `scope` as sent (v2), none for
    /// the legacy endpoint.
    AdminConsent { scope: Option<String> },
}

/// An authorization code.
#[derive(Clone, Debug)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub user: String,
    pub tid: Uuid,
    pub scopes: Vec<Scope>,
    pub nonce: Option<String>,
    pub pkce: Option<Pkce>,
    pub issued_at: i64,
    pub redeemed: bool,
    pub seq: u64,
}

/// A refresh token: bound to user + client, carrying every consented scope of the sign-in.
#[derive(Clone, Debug)]
pub(crate) struct RefreshGrant {
    pub client_id: String,
    pub user: String,
    pub tid: Uuid,
    pub scopes: Vec<Scope>,
    pub issued_at: i64,
    pub last_used_at: i64,
    pub seq: u64,
    /// When it was first exchanged for a new refresh token (only [`super::Seed::strict_rotation`] refuses it
    /// then).
    pub rotated_at: Option<i64>,
}

/// An access token the emulator issued (kept so that introspection and Graph can look it up).
#[derive(Clone, Debug)]
pub(crate) struct AccessGrant {
    pub client_id: String,
    /// UPN; none for app-only tokens.
    pub user: Option<String>,
    pub tid: Uuid,
    pub resource: Resource,
    /// Delegated permission names (`IMAP.AccessAsUser.All`, `User.Read`).
    pub scopes: Vec<String>,
    /// Application permission names (`IMAP.AccessAsApp`, `Mail.Send`).
    pub roles: Vec<String>,
    pub expires_at: i64,
    pub seq: u64,
}

impl AccessGrant {
    pub fn has_scope(&self, names: &[&str]) -> bool {
        self.scopes
            .iter()
            .any(|scope| names.iter().any(|name| scope.eq_ignore_ascii_case(name)))
    }

    pub fn has_role(&self, names: &[&str]) -> bool {
        self.roles
            .iter()
            .any(|role| names.iter().any(|name| role.eq_ignore_ascii_case(name)))
    }
}

/// A device-code sign-in.
#[derive(Clone, Debug)]
pub(crate) struct DeviceGrant {
    pub client_id: String,
    pub tenant_path: String,
    pub authority: Authority,
    pub user_code: String,
    pub scopes: Vec<Scope>,
    pub expires_at: i64,
    pub interval_secs: u64,
    pub last_poll: Option<Instant>,
    pub status: DeviceStatus,
}

#[derive(Clone, Debug)]
pub(crate) enum DeviceStatus {
    Pending,
    Approved { user: String, tid: Uuid, seq: u64 },
    Declined,
    Failed(AadError),
    Redeemed,
}

/// Why a user's grants were revoked; decides the AADSTS code a later refresh gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    /// Consent withdrawn (myapps / account.live.com): AADSTS65001.
    Consent,
    /// Password changed or reset: AADSTS50173.
    Password,
    /// Refresh token unused for 90 days: AADSTS700082.
    Inactive,
    /// Conditional Access sign-in frequency: AADSTS70043.
    SigninFrequency,
}

impl RevokeReason {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().replace('-', "_").as_str() {
            "consent" => Some(Self::Consent),
            "password" => Some(Self::Password),
            "inactive" | "inactivity" => Some(Self::Inactive),
            "signin_frequency" | "sign_in_frequency" => Some(Self::SigninFrequency),
            _ => None,
        }
    }
}

/// A revocation of a user's grants (to one client, or to all).
#[derive(Clone, Debug)]
pub(crate) struct Revocation {
    pub user: String,
    pub client_id: Option<String>,
    pub reason: RevokeReason,
    pub at: i64,
    pub seq: u64,
}

/// A random URL-safe string of `bytes` random bytes after `prefix`.
pub(crate) fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buffer);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(buffer))
}
