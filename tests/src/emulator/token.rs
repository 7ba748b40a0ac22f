//! `POST /{tenant}/oauth2/v2.0/token`: authorization_code (PKCE, single use, 10 minutes), refresh_token
//! (rotation, revocation, inactivity), client_credentials (secret or certificate) and the device-code grant.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::client_auth::{authenticate, basic_credentials, ClientRequest, DEVICE_CODE_GRANT};
use super::errors::{AadError, Trace};
use super::issue::{self, access_token, AccessSpec, UserTokenRequest};
use super::scopes::{self, Scope};
use super::seed::AppRegistration;
use super::state::{
    account_block, App, Authority, Revocation, RevokeReason, Shared, State as EmulatorState,
    TokenRequestRecord,
};

pub(crate) fn routes() -> Router<App> {
    Router::new().route("/{tenant}/oauth2/v2.0/token", post(token))
}

type Form = HashMap<String, String>;

async fn token(
    State(app): State<App>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: Form = url::form_urlencoded::parse(&body).into_owned().collect();
    let mut state = app.lock();
    let trace = Trace::new(state.now(), Some(&headers));
    let outcome = handle(&app, &mut state, &tenant, &headers, &form);
    state.token_log.push(TokenRequestRecord {
        grant_type: form.get("grant_type").cloned().unwrap_or_default(),
        client_id: form.get("client_id").cloned(),
        error: outcome.as_ref().err().map(|e| e.code),
    });
    match outcome {
        Ok(body) => issue::success(body),
        Err(error) => error.token_response(&app.base, &trace),
    }
}

/// A required form parameter, or AADSTS900144.
pub(crate) fn required<'a>(form: &'a Form, name: &str) -> Result<&'a str, AadError> {
    form.get(name)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| AadError::new(900144, &[name]))
}

fn handle(
    app: &Shared,
    state: &mut EmulatorState,
    tenant: &str,
    headers: &HeaderMap,
    form: &Form,
) -> Result<Value, AadError> {
    let authority = state.authority(tenant)?;
    let grant_type = required(form, "grant_type")?;
    let basic = basic_credentials(headers);
    let client_id = form
        .get("client_id")
        .filter(|id| !id.is_empty())
        .or(basic.as_ref().map(|(id, _)| id))
        .ok_or_else(|| AadError::new(900144, &["client_id"]))?;
    let registration = state
        .seed
        .app(client_id)
        .cloned()
        .ok_or_else(|| AadError::new(700016, &[client_id, tenant]))?;
    let known = [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        DEVICE_CODE_GRANT,
    ];
    if !known.contains(&grant_type) {
        return Err(AadError::new(70003, &[grant_type]));
    }
    let tenantless = matches!(
        authority,
        Authority::Common | Authority::Organizations | Authority::Consumers
    );
    if grant_type == "client_credentials" && tenantless {
        return Err(AadError::new(50059, &[]));
    }
    authority.admits_app(&state.seed, &registration, tenant)?;
    let azpacr = authenticate(
        &state.seed,
        &registration,
        &ClientRequest {
            form,
            basic: basic.as_ref(),
            grant_type,
            tenant_path: tenant,
            authority,
            base: &app.base,
            now: state.unix(),
        },
    )?;
    match grant_type {
        "authorization_code" => authorization_code(app, state, &registration, form, azpacr),
        "refresh_token" => refresh_token(app, state, &registration, form, azpacr),
        "client_credentials" => {
            client_credentials(app, state, &registration, authority, tenant, form, azpacr)
        }
        _ => super::devicecode::redeem(app, state, &registration, form, azpacr),
    }
}

/// `2021-05-17T20:49:15.0000000Z`, as AADSTS texts write instants.
fn aad_instant(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(super::seed::iso8601)
        .map(|text| text.replace('Z', ".0000000Z"))
        .unwrap_or_default()
}

/// The error a refresh (or a code redemption) gets after a revocation.
pub(crate) fn revoked(revocation: &Revocation, issued_at: i64, registration: &AppRegistration) -> AadError {
    match revocation.reason {
        RevokeReason::Consent => AadError::new(65001, &[&registration.client_id, &registration.display_name]),
        RevokeReason::Password => {
            AadError::new(50173, &[&aad_instant(issued_at), &aad_instant(revocation.at)])
        }
        RevokeReason::Inactive => AadError::new(700082, &[&aad_instant(issued_at), "90.00:00:00"]),
        RevokeReason::SigninFrequency => AadError::new(70043, &[&aad_instant(issued_at), "86400"]),
    }
}

fn requested_scopes(form: &Form) -> Option<Vec<Scope>> {
    form.get("scope")
        .filter(|scope| !scope.trim().is_empty())
        .map(|scope| scopes::parse_list(scope))
}

fn authorization_code(
    app: &Shared,
    state: &mut EmulatorState,
    registration: &AppRegistration,
    form: &Form,
    azpacr: u8,
) -> Result<Value, AadError> {
    let value = required(form, "code")?;
    let code = state
        .codes
        .get(value)
        .cloned()
        .ok_or_else(|| AadError::new(9002313, &[]))?;
    if !code.client_id.eq_ignore_ascii_case(&registration.client_id) {
        return Err(AadError::new(70000, &[]));
    }
    if code.redeemed {
        return Err(AadError::new(54005, &[]));
    }
    if state.unix() > code.issued_at + state.seed.lifetimes.authorization_code_secs {
        return Err(AadError::new(70008, &[]));
    }
    let redirect_uri = required(form, "redirect_uri")?;
    if redirect_uri != code.redirect_uri {
        return Err(AadError::new(500112, &[redirect_uri, &code.redirect_uri]));
    }
    if let Some(pkce) = &code.pkce {
        let verifier = form.get("code_verifier").map(String::as_str).unwrap_or_default();
        let computed = if pkce.s256 {
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        } else {
            verifier.to_string()
        };
        if verifier.is_empty() || computed != pkce.challenge {
            return Err(AadError::new(501481, &[]));
        }
    }
    let user = state
        .seed
        .user(&code.user)
        .cloned()
        .ok_or_else(|| AadError::new(70000, &[]))?;
    if let Some(revocation) = state.revocation(&code.user, &code.client_id, code.seq) {
        return Err(revoked(revocation, code.issued_at, registration));
    }
    let requested = requested_scopes(form);
    let body = issue::user_tokens(
        app,
        state,
        &UserTokenRequest {
            client_id: &registration.client_id,
            user: &user,
            tid: code.tid,
            granted: &code.scopes,
            requested: requested.as_deref(),
            nonce: code.nonce.as_deref(),
            azpacr,
        },
        form.get("scope").map(String::as_str),
    )?;
    if let Some(stored) = state.codes.get_mut(value) {
        stored.redeemed = true;
    }
    Ok(body)
}

fn refresh_token(
    app: &Shared,
    state: &mut EmulatorState,
    registration: &AppRegistration,
    form: &Form,
    azpacr: u8,
) -> Result<Value, AadError> {
    let value = required(form, "refresh_token")?;
    let grant = state
        .refresh_tokens
        .get(value)
        .cloned()
        .ok_or_else(|| AadError::new(9002313, &[]))?;
    if !grant.client_id.eq_ignore_ascii_case(&registration.client_id) {
        return Err(AadError::new(70000, &[]));
    }
    let now = state.unix();
    let past_grace = grant
        .rotated_at
        .is_some_and(|at| now - at >= state.seed.rotation_grace_secs);
    if past_grace && state.seed.strict_rotation {
        return Err(AadError::new(70000, &[]).with_message(
            "Provided grant is invalid or malformed. The refresh token was already redeemed for a new one."
                .to_owned(),
        ));
    }
    let idle = now - grant.last_used_at;
    if idle > state.seed.lifetimes.refresh_token_inactive_secs {
        let days = idle / 86_400;
        let rest = idle % 86_400;
        let inactive = format!(
            "{days}.{:02}:{:02}:{:02}",
            rest / 3600,
            rest % 3600 / 60,
            rest % 60
        );
        return Err(AadError::new(700082, &[&aad_instant(grant.issued_at), &inactive]));
    }
    if let Some(revocation) = state.revocation(&grant.user, &grant.client_id, grant.seq) {
        return Err(revoked(revocation, grant.issued_at, registration));
    }
    let user = state.seed.user(&grant.user).cloned().ok_or_else(|| {
        AadError::new(50034, &[&grant.user, &grant.tid.to_string()]).with_error("invalid_grant")
    })?;
    let requested = requested_scopes(form);
    let resource = requested
        .as_deref()
        .and_then(|list| scopes::resources(list).first().copied())
        .or_else(|| scopes::resources(&grant.scopes).first().copied())
        .map(|resource| resource.default_uri())
        .unwrap_or(scopes::GRAPH_URI);
    if let Some(block) = account_block(&user, resource) {
        return Err(block);
    }
    let body = issue::user_tokens(
        app,
        state,
        &UserTokenRequest {
            client_id: &registration.client_id,
            user: &user,
            tid: grant.tid,
            granted: &grant.scopes,
            requested: requested.as_deref(),
            nonce: None,
            azpacr,
        },
        form.get("scope").map(String::as_str),
    )?;
    // The old refresh token keeps working (Microsoft does not revoke it on rotation) unless the seed asks for
    // strict rotation; it was just used.
    if let Some(old) = state.refresh_tokens.get_mut(value) {
        old.last_used_at = now;
        old.rotated_at.get_or_insert(now);
    }
    Ok(body)
}

fn client_credentials(
    app: &Shared,
    state: &mut EmulatorState,
    registration: &AppRegistration,
    authority: Authority,
    tenant: &str,
    form: &Form,
    azpacr: u8,
) -> Result<Value, AadError> {
    let Authority::Tenant(tid) = authority else {
        return Err(AadError::new(50059, &[]));
    };
    let scope = required(form, "scope")?;
    let requested = scopes::parse_list(scope);
    if let Some(foreign) = requested.iter().find(|scope| matches!(scope, Scope::Foreign(_))) {
        return Err(AadError::new(500011, &[foreign.name(), tenant]));
    }
    if scopes::resources(&requested).len() > 1 {
        return Err(AadError::new(28000, &[scope]));
    }
    let default = match requested.as_slice() {
        [only] if only.is_default() => only,
        _ => return Err(AadError::new(1002012, &[scope])),
    };
    let (Some(resource), Scope::Api { uri, .. }) = (default.resource(), default) else {
        return Err(AadError::new(1002012, &[scope]));
    };
    let roles: Vec<String> = if registration.admin_consented {
        registration
            .application_permissions
            .iter()
            .map(|permission| Scope::parse(permission))
            .filter(|permission| permission.resource() == Some(resource))
            .map(|permission| permission.name().to_string())
            .collect()
    } else {
        Vec::new()
    };
    let audience = match resource {
        scopes::Resource::Outlook => uri.clone(),
        scopes::Resource::Graph => issue::app_audience(resource).to_string(),
    };
    let lifetime = state.seed.lifetimes.access_token_secs;
    let (token, _) = access_token(
        app,
        state,
        &AccessSpec {
            client_id: &registration.client_id,
            app_name: &registration.display_name,
            user: None,
            tid,
            resource,
            audience,
            scopes: Vec::new(),
            roles,
            azpacr,
            lifetime_secs: lifetime,
        },
    );
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    }))
}
