//! The admin API under `/_emulator/admin/…` (JSON), and the same operations for the Rust handle.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::faults::Fault;
use super::issue::{access_token, app_audience, AccessSpec};
use super::scopes::{Resource, Scope};
use super::seed::{AppRegistration, Mailbox, Message, Seed, Tenant, User};
use super::state::{App, Revocation, RevokeReason, Shared, State as EmulatorState};

/// `POST /_emulator/admin/tokens`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    /// UPN or mailbox address; absent for an app-only token (then give `roles`).
    #[serde(default)]
    pub user: Option<String>,
    /// Defaults to the seed's first app registration.
    #[serde(default)]
    pub client_id: Option<String>,
    /// `outlook` or `graph` (or a resource URI).
    pub resource: String,
    /// Delegated permission names, short (`IMAP.AccessAsUser.All`) or full URIs.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Application permission names (`IMAP.AccessAsApp`).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Seconds from now; negative means already expired.
    #[serde(default = "default_expires_in")]
    pub expires_in: i64,
}

fn default_expires_in() -> i64 {
    3600
}

/// The minted token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Minted {
    pub access_token: String,
    /// Unix seconds (emulator clock).
    pub expires_on: i64,
}

/// `POST /_emulator/admin/revoke`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    pub user: String,
    #[serde(default)]
    pub client_id: Option<String>,
    /// `consent`, `password`, `inactive` or `signin_frequency`.
    pub reason: String,
}

/// `POST /_emulator/admin/clock`: set the offset, or advance it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClockRequest {
    pub offset_secs: Option<i64>,
    pub advance_secs: Option<i64>,
}

/// A refused admin request.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AdminError(pub String);

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({"error": self.0}))).into_response()
    }
}

impl Shared {
    /// Mints an access token directly (no sign-in), and records it like any other.
    pub(crate) fn mint(&self, request: &MintRequest) -> Result<Minted, AdminError> {
        let resource = Resource::parse(&request.resource).ok_or_else(|| {
            AdminError(format!(
                "unknown resource {:?}: use \"outlook\" or \"graph\"",
                request.resource
            ))
        })?;
        if request.user.is_none() && request.roles.is_empty() {
            return Err(AdminError("give a user, or roles for an app-only token".into()));
        }
        Ok(self.mint_for(resource, request))
    }

    /// [`Shared::mint`] once the resource is known.
    pub(crate) fn mint_for(&self, resource: Resource, request: &MintRequest) -> Minted {
        let mut state = self.lock();
        let app = match &request.client_id {
            Some(id) => state.seed.app(id).cloned(),
            None => state.seed.apps.first().cloned(),
        }
        .unwrap_or_else(|| {
            let id = request
                .client_id
                .clone()
                .unwrap_or_else(|| "00000000-0000-0000-0000-000000000001".into());
            AppRegistration::new(&id, "emulator", "", Default::default())
        });
        let user = request.user.as_ref().map(|upn| {
            state
                .seed
                .user(upn)
                .cloned()
                .unwrap_or_else(|| User::new(upn, upn))
        });
        let tid = match &user {
            Some(user) => state.seed.user_tenant_id(user),
            None => state.seed.app_tenant_id(&app),
        }
        .or_else(|| state.seed.tenants.first().map(|tenant| tenant.id))
        .unwrap_or_default();
        let names = |list: &[String]| {
            list.iter()
                .map(|s| Scope::parse(s).name().to_string())
                .collect::<Vec<_>>()
        };
        let audience = match (resource, &user) {
            (Resource::Outlook, Some(_)) => resource.default_uri(),
            _ => app_audience(resource),
        };
        let (access_token, expires_on) = access_token(
            self,
            &mut state,
            &AccessSpec {
                client_id: &app.client_id,
                app_name: &app.display_name,
                user: user.as_ref(),
                tid,
                resource,
                audience: audience.to_string(),
                scopes: names(&request.scopes),
                roles: names(&request.roles),
                azpacr: 0,
                lifetime_secs: request.expires_in,
            },
        );
        Minted {
            access_token,
            expires_on,
        }
    }

    /// Revokes a user's grants (to one client, or all): refreshes then fail with the reason's AADSTS code and
    /// introspection of the user's access tokens turns inactive. `consent` also withdraws the user's consent.
    pub(crate) fn revoke_grants(&self, user: &str, client_id: Option<&str>, reason: RevokeReason) {
        let mut state = self.lock();
        let seq = state.next_seq();
        let at = state.unix();
        if reason == RevokeReason::Consent {
            for app in state.seed.apps.iter_mut() {
                if client_id.is_none_or(|id| id.eq_ignore_ascii_case(&app.client_id)) {
                    app.user_consents.retain(|upn, _| !upn.eq_ignore_ascii_case(user));
                }
            }
        }
        state.revocations.push(Revocation {
            user: user.to_string(),
            client_id: client_id.map(str::to_string),
            reason,
            at,
            seq,
        });
    }
}

impl EmulatorState {
    fn set_clock(&mut self, request: &ClockRequest) {
        if let Some(offset) = request.offset_secs {
            self.clock_offset_secs = offset;
        }
        if let Some(advance) = request.advance_secs {
            self.clock_offset_secs += advance;
        }
    }

    fn clock_json(&self) -> Value {
        json!({
            "offset_secs": self.clock_offset_secs,
            "now": super::seed::iso8601(self.now()),
            "now_unix": self.unix(),
        })
    }
}

/// Upserts: replace the entry with the same key, or add it.
pub(crate) fn upsert_user(seed: &mut Seed, user: User) {
    seed.users.retain(|u| !u.upn.eq_ignore_ascii_case(&user.upn));
    seed.users.push(user);
}

pub(crate) fn upsert_app(seed: &mut Seed, app: AppRegistration) {
    seed.apps
        .retain(|a| !a.client_id.eq_ignore_ascii_case(&app.client_id));
    seed.apps.push(app);
}

pub(crate) fn upsert_mailbox(seed: &mut Seed, mailbox: Mailbox) {
    seed.mailboxes
        .retain(|m| !m.address.eq_ignore_ascii_case(&mailbox.address));
    seed.mailboxes.push(mailbox);
}

pub(crate) fn upsert_tenant(seed: &mut Seed, tenant: Tenant) {
    seed.tenants.retain(|t| t.id != tenant.id);
    seed.tenants.push(tenant);
}

/// The admin routes.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/_emulator/admin/tokens", post(mint))
        .route("/_emulator/admin/revoke", post(revoke))
        .route("/_emulator/admin/clock", get(clock).post(set_clock))
        .route("/_emulator/admin/seed", get(seed).put(replace_seed))
        .route("/_emulator/admin/reset", post(reset))
        .route("/_emulator/admin/tenants", post(put_tenant))
        .route("/_emulator/admin/users", post(put_user))
        .route("/_emulator/admin/users/{upn}", delete(delete_user))
        .route("/_emulator/admin/apps", post(put_app))
        .route("/_emulator/admin/apps/{client_id}", delete(delete_app))
        .route("/_emulator/admin/mailboxes", post(put_mailbox))
        .route("/_emulator/admin/mailboxes/{address}", delete(delete_mailbox))
        .route(
            "/_emulator/admin/mailboxes/{address}/messages",
            get(messages).post(add_message),
        )
        .route(
            "/_emulator/admin/faults",
            get(faults).post(add_faults).delete(clear_faults),
        )
}

async fn mint(State(app): State<App>, Json(request): Json<MintRequest>) -> Result<Json<Minted>, AdminError> {
    app.mint(&request).map(Json)
}

async fn revoke(
    State(app): State<App>,
    Json(request): Json<RevokeRequest>,
) -> Result<Json<Value>, AdminError> {
    let reason = RevokeReason::parse(&request.reason).ok_or_else(|| {
        AdminError(format!(
            "unknown reason {:?}: use consent, password, inactive or signin_frequency",
            request.reason
        ))
    })?;
    app.revoke_grants(&request.user, request.client_id.as_deref(), reason);
    Ok(Json(json!({"revoked": true})))
}

async fn clock(State(app): State<App>) -> Json<Value> {
    Json(app.lock().clock_json())
}

async fn set_clock(State(app): State<App>, Json(request): Json<ClockRequest>) -> Json<Value> {
    let mut state = app.lock();
    state.set_clock(&request);
    Json(state.clock_json())
}

async fn seed(State(app): State<App>) -> Json<Seed> {
    Json(app.lock().seed.clone())
}

async fn replace_seed(State(app): State<App>, Json(seed): Json<Seed>) -> Result<Json<Value>, AdminError> {
    seed.validate().map_err(|e| AdminError(e.to_string()))?;
    app.lock().seed = seed;
    Ok(Json(json!({"replaced": true})))
}

/// Applies a change to a copy of the live seed and keeps it only if the result is still a valid seed.
fn edit_seed(app: &App, change: impl FnOnce(&mut Seed)) -> Result<Json<Value>, AdminError> {
    let mut state = app.lock();
    let mut edited = state.seed.clone();
    change(&mut edited);
    edited.validate().map_err(|e| AdminError(e.to_string()))?;
    state.seed = edited;
    Ok(Json(json!({"saved": true})))
}

async fn reset(State(app): State<App>) -> Json<Value> {
    app.reset();
    Json(json!({"reset": true}))
}

async fn put_tenant(State(app): State<App>, Json(tenant): Json<Tenant>) -> Result<Json<Value>, AdminError> {
    edit_seed(&app, |seed| upsert_tenant(seed, tenant))
}

async fn put_user(State(app): State<App>, Json(user): Json<User>) -> Result<Json<Value>, AdminError> {
    edit_seed(&app, |seed| upsert_user(seed, user))
}

async fn delete_user(State(app): State<App>, Path(upn): Path<String>) -> Json<Value> {
    app.lock()
        .seed
        .users
        .retain(|u| !u.upn.eq_ignore_ascii_case(&upn));
    Json(json!({"deleted": true}))
}

async fn put_app(
    State(app): State<App>,
    Json(registration): Json<AppRegistration>,
) -> Result<Json<Value>, AdminError> {
    edit_seed(&app, |seed| upsert_app(seed, registration))
}

async fn delete_app(State(app): State<App>, Path(client_id): Path<String>) -> Json<Value> {
    app.lock()
        .seed
        .apps
        .retain(|a| !a.client_id.eq_ignore_ascii_case(&client_id));
    Json(json!({"deleted": true}))
}

async fn put_mailbox(
    State(app): State<App>,
    Json(mailbox): Json<Mailbox>,
) -> Result<Json<Value>, AdminError> {
    edit_seed(&app, |seed| upsert_mailbox(seed, mailbox))
}

async fn delete_mailbox(State(app): State<App>, Path(address): Path<String>) -> Json<Value> {
    app.lock()
        .seed
        .mailboxes
        .retain(|m| !m.address.eq_ignore_ascii_case(&address));
    Json(json!({"deleted": true}))
}

async fn messages(
    State(app): State<App>,
    Path(address): Path<String>,
) -> Result<Json<Vec<Message>>, AdminError> {
    let state = app.lock();
    let mailbox = state
        .seed
        .mailbox(&address)
        .ok_or_else(|| AdminError(format!("no mailbox {address}")))?;
    Ok(Json(mailbox.messages.clone()))
}

async fn add_message(
    State(app): State<App>,
    Path(address): Path<String>,
    Json(message): Json<Message>,
) -> Result<Json<Value>, AdminError> {
    let mut state = app.lock();
    let mailbox = state
        .seed
        .mailbox_mut(&address)
        .ok_or_else(|| AdminError(format!("no mailbox {address}")))?;
    mailbox.messages.push(message);
    Ok(Json(json!({"saved": true})))
}

async fn faults(State(app): State<App>) -> Json<Vec<Fault>> {
    Json(app.lock().faults.clone())
}

/// One fault or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(Box<Fault>),
    Many(Vec<Fault>),
}

async fn add_faults(State(app): State<App>, Json(faults): Json<OneOrMany>) -> Json<Value> {
    let faults = match faults {
        OneOrMany::One(fault) => vec![*fault],
        OneOrMany::Many(faults) => faults,
    };
    let mut state = app.lock();
    let added = faults.len();
    for fault in faults {
        state.add_fault(fault);
    }
    Json(json!({"added": added}))
}

async fn clear_faults(State(app): State<App>) -> Json<Value> {
    app.lock().faults.clear();
    Json(json!({"cleared": true}))
}
