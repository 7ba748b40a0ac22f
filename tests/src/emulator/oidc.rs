//! OpenID Connect discovery, the JWKS, userinfo, logout, and the `error_uri` page.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::errors::{lookup, AadError, GraphError, Trace};
use super::html;
use super::state::{App, Authority};

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/{tenant}/v2.0/.well-known/openid-configuration", get(discovery))
        .route("/{tenant}/discovery/v2.0/keys", get(keys))
        .route("/{tenant}/oauth2/v2.0/logout", get(logout).post(logout))
        .route("/oidc/userinfo", get(userinfo).post(userinfo))
        .route("/error", get(error_page))
}

/// `/{tenant}/v2.0/.well-known/openid-configuration`; an unknown tenant gets AADSTS90002 (400).
async fn discovery(State(app): State<App>, Path(tenant): Path<String>, headers: HeaderMap) -> Response {
    let state = app.lock();
    let authority = match state.authority(&tenant) {
        Ok(authority) => authority,
        Err(error) => return error.token_response(&app.base, &Trace::new(state.now(), Some(&headers))),
    };
    let base = &app.base;
    let path = authority.path_segment();
    let issuer = format!("{base}/{}/v2.0", authority.issuer_segment());
    let (cloud, region) = match authority {
        Authority::Tenant(id) => state
            .seed
            .tenants
            .iter()
            .find(|t| t.id == id)
            .map(|t| (t.cloud.clone(), Value::from(t.region_scope.clone())))
            .unwrap_or(("microsoftonline.com".into(), Value::Null)),
        _ => ("microsoftonline.com".into(), Value::Null),
    };
    let host = base.trim_start_matches("http://").trim_start_matches("https://");
    Json(json!({
        "token_endpoint": format!("{base}/{path}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/{path}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/{path}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/{path}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/{path}/oauth2/v2.0/logout"),
        "claims_supported": [
            "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name",
            "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name",
            "tid", "ver", "at_hash", "c_hash", "email"
        ],
        "kerberos_endpoint": format!("{base}/{path}/kerberos"),
        "tenant_region_scope": region,
        "cloud_instance_name": cloud,
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": host,
        "rbac_url": "https://pas.windows.net",
    }))
    .into_response()
}

/// `/{tenant}/discovery/v2.0/keys`.
async fn keys(State(app): State<App>, Path(tenant): Path<String>, headers: HeaderMap) -> Response {
    let state = app.lock();
    match state.authority(&tenant) {
        Ok(authority) => {
            let issuer = format!("{}/{}/v2.0", app.base, authority.issuer_segment());
            Json(json!({"keys": [app.key.jwk(&issuer)]})).into_response()
        }
        Err(error) => error.token_response(&app.base, &Trace::new(state.now(), Some(&headers))),
    }
}

/// Logout: redirects to `post_logout_redirect_uri` when the app (`client_id`) registered it, else a page.
async fn logout(
    State(app): State<App>,
    Path(tenant): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state = app.lock();
    if let Err(error) = state.authority(&tenant) {
        return html::error_page(&error, &Trace::new(state.now(), None));
    }
    if let Some(target) = query.get("post_logout_redirect_uri") {
        let registered = state.seed.apps.iter().any(|registration| {
            query
                .get("client_id")
                .is_none_or(|id| id.eq_ignore_ascii_case(&registration.client_id))
                && registration.redirect_uris.iter().any(|uri| uri == target)
        });
        if registered {
            let mut url = target.clone();
            if let Some(value) = query.get("state") {
                let separator = if url.contains('?') { '&' } else { '?' };
                url = format!(
                    "{url}{separator}state={}",
                    url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>()
                );
            }
            return Redirect::to(&url).into_response();
        }
    }
    html::message_page(
        "Sign out",
        "You signed out of your account. It's a good idea to close all browser windows.",
    )
}

/// `GET /oidc/userinfo` with a Graph access token.
async fn userinfo(State(app): State<App>, headers: HeaderMap) -> Response {
    let state = app.lock();
    let now = state.now();
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let grant = match state.live_access_token(token) {
        Ok(grant) => grant,
        Err(_) => {
            return GraphError::invalid_token("Access token validation failure.")
                .response(&app.base, now, &headers)
        }
    };
    let Some(user) = grant.user.as_deref().and_then(|upn| state.seed.user(upn)) else {
        return GraphError::invalid_token("Access token validation failure.")
            .response(&app.base, now, &headers);
    };
    Json(json!({
        "sub": super::issue::pairwise_subject(&user.object_id(), &grant.client_id),
        "name": user.display_name,
        "family_name": user.surname(),
        "given_name": user.given_name(),
        "picture": format!("{}/v1.0/me/photo/$value", app.base),
        "email": user.upn,
    }))
    .into_response()
}

/// The page `error_uri` points at: the code and its text.
async fn error_page(Query(query): Query<HashMap<String, String>>) -> Response {
    let code = query.get("code").and_then(|code| code.parse::<u32>().ok());
    match code.filter(|code| lookup(*code).is_some()) {
        Some(code) => {
            let error = AadError::new(code, &[]);
            html::message_page(&format!("AADSTS{code}"), &error.headline())
        }
        None => (StatusCode::NOT_FOUND, "Error code lookup: unknown code").into_response(),
    }
}
