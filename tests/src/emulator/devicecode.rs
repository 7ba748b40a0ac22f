//! The device-code flow: `POST /{tenant}/oauth2/v2.0/devicecode`, the code-entry page (`/devicelogin`, and
//! `/link` for personal accounts), and redemption at the token endpoint (called from `token`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use rand::Rng;
use serde_json::{json, Value};

use super::authorize::expand_default;
use super::errors::{AadError, Trace};
use super::html;
use super::issue::{self, UserTokenRequest};
use super::scopes::{self, Scope};
use super::seed::{AppRegistration, CONSUMERS_TENANT_ID};
use super::state::{
    account_block, random_token, App, Authority, DeviceGrant, DeviceStatus, Shared, State as EmulatorState,
};
use super::token::{required, revoked};

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route(
            "/{tenant}/oauth2/v2.0/devicecode",
            axum::routing::post(devicecode),
        )
        .route("/devicelogin", get(page).post(submit))
        .route("/link", get(page).post(submit))
}

type Params = HashMap<String, String>;

/// Upper-case letters and digits without look-alikes.
fn user_code(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..length)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

async fn devicecode(
    State(app): State<App>,
    axum::extract::Path(tenant): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: Params = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut state = app.lock();
    let trace = Trace::new(state.now(), Some(&headers));
    match start(&app, &mut state, &tenant, &form) {
        Ok(body) => issue::success(body),
        Err(error) => error.token_response(&app.base, &trace),
    }
}

fn start(app: &Shared, state: &mut EmulatorState, tenant: &str, form: &Params) -> Result<Value, AadError> {
    let authority = state.authority(tenant)?;
    let client_id = required(form, "client_id")?;
    let registration = state
        .seed
        .app(client_id)
        .cloned()
        .ok_or_else(|| AadError::new(700016, &[client_id, tenant]))?;
    authority.admits_app(&state.seed, &registration, tenant)?;
    let scope = required(form, "scope")?;
    let requested = scopes::parse_list(scope);
    if let Some(foreign) = requested.iter().find(|scope| matches!(scope, Scope::Foreign(_))) {
        return Err(AadError::new(500011, &[foreign.name(), tenant]));
    }
    let personal = authority == Authority::Consumers;
    let code = user_code(if personal { 8 } else { 9 });
    let verification_uri = format!("{}/{}", app.base, if personal { "link" } else { "devicelogin" });
    let device_code = random_token("DAQABIQEAAAD", 180);
    let lifetime = state.seed.lifetimes.device_code_secs;
    let interval = state.seed.device_code_interval_secs;
    let expires_at = state.unix() + lifetime;
    state.device_codes.insert(
        device_code.clone(),
        DeviceGrant {
            client_id: registration.client_id.clone(),
            tenant_path: tenant.to_string(),
            authority,
            user_code: code.clone(),
            scopes: expand_default(&registration, requested),
            expires_at,
            interval_secs: interval,
            last_poll: None,
            status: DeviceStatus::Pending,
        },
    );
    Ok(json!({
        "user_code": code,
        "device_code": device_code,
        "verification_uri": verification_uri,
        "expires_in": lifetime,
        "interval": interval,
        "message": format!(
            "To sign in, use a web browser to open the page {verification_uri} and enter the code {code} to authenticate."
        ),
    }))
}

/// `GET /devicelogin?otc=CODE`.
async fn page(Query(query): Query<Params>) -> Response {
    let code = query.get("otc").cloned().unwrap_or_default();
    html::device_login("/devicelogin", &code, None, None)
}

/// `POST /devicelogin`: `otc`, `username`, `action` = approve | deny.
async fn submit(State(app): State<App>, Form(form): Form<Params>) -> Response {
    let mut state = app.lock();
    let entered: String = form
        .get("otc")
        .map(|code| {
            code.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .unwrap_or_default();
    let now = state.unix();
    let found = state
        .device_codes
        .iter()
        .find(|(_, grant)| grant.user_code == entered)
        .map(|(key, _)| key.clone());
    let retry = |problem: &str| html::device_login("/devicelogin", &entered, None, Some(problem));
    let Some(key) = found else {
        return retry(&format!(
            "That code didn't work. Check the code and try again. {}",
            AadError::new(70018, &[]).headline()
        ));
    };
    let Some(grant) = state.device_codes.get(&key).cloned() else {
        return retry("That code didn't work. Check the code and try again.");
    };
    if now > grant.expires_at {
        return retry(&format!(
            "That code has expired. {}",
            AadError::new(70019, &[]).headline()
        ));
    }
    if !matches!(grant.status, DeviceStatus::Pending) {
        return retry("That code has already been used. Request a new code on your device.");
    }
    let Some(registration) = state.seed.app(&grant.client_id).cloned() else {
        return retry("The application is no longer registered.");
    };
    let approve = form
        .get("action")
        .is_some_and(|action| action.eq_ignore_ascii_case("approve"));
    if !approve {
        set_status(&mut state, &key, DeviceStatus::Declined);
        return html::message_page(
            "Sign in canceled",
            &format!(
                "You have declined to sign in to {} on your device.",
                registration.display_name
            ),
        );
    }
    let username = form.get("username").map(|name| name.trim()).unwrap_or_default();
    let Some(user) = state.seed.user(username).cloned() else {
        return retry(&AadError::new(50034, &[username, &grant.tenant_path]).headline());
    };
    let tid = match grant
        .authority
        .admits_user(&state.seed, &registration, &user, &grant.tenant_path)
    {
        Ok(tid) => tid,
        Err(error) => return retry(&error.headline()),
    };
    let resource = scopes::resources(&grant.scopes)
        .first()
        .map(|resource| resource.default_uri())
        .unwrap_or(scopes::GRAPH_URI);
    if let Some(block) = account_block(&user, resource) {
        let headline = block.headline();
        set_status(&mut state, &key, DeviceStatus::Failed(block));
        return html::message_page("Sign in failed", &headline);
    }
    if let Err(error) = consent(&mut state, &registration, &user.upn, tid, &grant.scopes) {
        let headline = error.headline();
        set_status(&mut state, &key, DeviceStatus::Failed(error));
        return html::message_page("Sign in failed", &headline);
    }
    let seq = state.next_seq();
    set_status(
        &mut state,
        &key,
        DeviceStatus::Approved {
            user: user.upn.clone(),
            tid,
            seq,
        },
    );
    html::message_page(
        "Signed in",
        &format!(
            "You have signed in to the {} application on your device. You may now close this window.",
            registration.display_name
        ),
    )
}

fn set_status(state: &mut EmulatorState, key: &str, status: DeviceStatus) {
    if let Some(grant) = state.device_codes.get_mut(key) {
        grant.status = status;
    }
}

/// Records the user's consent to what the device asked for (approving the page is consenting).
fn consent(
    state: &mut EmulatorState,
    registration: &AppRegistration,
    upn: &str,
    tid: uuid::Uuid,
    requested: &[Scope],
) -> Result<(), AadError> {
    let missing: Vec<String> = requested
        .iter()
        .filter(|scope| scope.resource().is_some() && !state.consented(registration, upn, scope))
        .map(ToString::to_string)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let blocked = tid != CONSUMERS_TENANT_ID
        && state
            .seed
            .tenants
            .iter()
            .any(|tenant| tenant.id == tid && !tenant.user_consent_allowed);
    if blocked {
        return Err(AadError::new(90094, &[]));
    }
    if let Some(app) = state.seed.app_mut(&registration.client_id) {
        app.user_consents
            .entry(upn.to_string())
            .or_default()
            .extend(missing);
    }
    Ok(())
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code` at the token endpoint.
pub(crate) fn redeem(
    app: &Shared,
    state: &mut EmulatorState,
    registration: &AppRegistration,
    form: &Params,
    azpacr: u8,
) -> Result<Value, AadError> {
    let value = required(form, "device_code")?;
    let grant = state
        .device_codes
        .get(value)
        .cloned()
        .ok_or_else(|| AadError::new(70018, &[]))?;
    if !grant.client_id.eq_ignore_ascii_case(&registration.client_id) {
        return Err(AadError::new(70018, &[]));
    }
    if state.unix() > grant.expires_at {
        return Err(AadError::new(70019, &[]));
    }
    match grant.status {
        DeviceStatus::Pending => {
            let now = Instant::now();
            let too_soon = grant
                .last_poll
                .is_some_and(|last| now.duration_since(last) < Duration::from_secs(grant.interval_secs));
            if let Some(stored) = state.device_codes.get_mut(value) {
                stored.last_poll = Some(now);
            }
            if too_soon {
                // Microsoft does not document slow_down (UNVERIFIED); RFC 8628 does.
                return Err(AadError::new(70016, &[])
                    .with_error("slow_down")
                    .with_message(format!(
                    "OAuth 2.0 device flow error. Polling too frequently: wait {} seconds between requests.",
                    grant.interval_secs
                )));
            }
            Err(AadError::new(70016, &[]))
        }
        DeviceStatus::Declined => Err(AadError::new(65004, &[]).with_error("authorization_declined")),
        DeviceStatus::Failed(error) => Err(error),
        DeviceStatus::Redeemed => Err(AadError::new(70000, &[])),
        DeviceStatus::Approved { user, tid, seq } => {
            if let Some(revocation) = state.revocation(&user, &grant.client_id, seq) {
                return Err(revoked(revocation, state.unix(), registration));
            }
            let user = state
                .seed
                .user(&user)
                .cloned()
                .ok_or_else(|| AadError::new(70000, &[]))?;
            let body = issue::user_tokens(
                app,
                state,
                &UserTokenRequest {
                    client_id: &registration.client_id,
                    user: &user,
                    tid,
                    granted: &grant.scopes,
                    requested: None,
                    nonce: None,
                    azpacr,
                },
                None,
            )?;
            set_status(state, value, DeviceStatus::Redeemed);
            Ok(body)
        }
    }
}
