//! `/{tenant}/oauth2/v2.0/authorize`, the sign-in + consent form it shows (posted to `/{tenant}/login`), and
//! admin consent (`/{tenant}/v2.0/adminconsent` and the legacy `/{tenant}/adminconsent`).
//!
//! Errors found before the redirect URI is trusted (unknown tenant or app, unregistered redirect URI) are shown
//! as an error page, as Entra does; later ones go back to the app as `error` + `error_description`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use url::Url;
use uuid::Uuid;

use super::errors::{AadError, Trace};
use super::html::{self, SignInPage};
use super::scopes::{self, Scope};
use super::seed::{AppRegistration, User, CONSUMERS_TENANT_ID};
use super::state::{
    account_block, random_token, App, AuthCode, Authority, PendingKind, PendingSignIn, Pkce, ResponseMode,
    State as EmulatorState,
};

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/{tenant}/oauth2/v2.0/authorize", get(authorize))
        .route("/{tenant}/login", post(login))
        .route("/{tenant}/v2.0/adminconsent", get(admin_consent))
        .route("/{tenant}/adminconsent", get(legacy_admin_consent))
        .route("/common/oauth2/nativeclient", get(native_client))
}

/// `GET /common/oauth2/nativeclient`: the blank page Microsoft shows; the code is in the address bar.
async fn native_client() -> axum::response::Html<&'static str> {
    axum::response::Html("<!DOCTYPE html><html><head><title>nativeclient</title></head><body></body></html>")
}

type Params = HashMap<String, String>;

/// Where and how the answer goes back to the app.
struct Target<'a> {
    redirect_uri: &'a str,
    mode: ResponseMode,
}

/// Sends `params` to the app: 302 with a query or fragment, or a self-posting form.
fn send_back(target: &Target<'_>, params: &[(String, String)]) -> Response {
    if target.mode == ResponseMode::FormPost {
        return html::form_post(target.redirect_uri, params);
    }
    let location = match Url::parse(target.redirect_uri) {
        Ok(mut url) => {
            match target.mode {
                ResponseMode::Fragment => {
                    let fragment = url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(params)
                        .finish();
                    url.set_fragment(Some(&fragment));
                }
                _ => {
                    url.query_pairs_mut().extend_pairs(params);
                }
            }
            url.to_string()
        }
        Err(_) => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            format!("{}?{query}", target.redirect_uri)
        }
    };
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn send_error(target: &Target<'_>, error: &AadError, trace: &Trace, state: Option<&str>) -> Response {
    send_back(target, &error.redirect_params(trace, state))
}

/// Microsoft's "paste the address" redirect; the emulator serves it under its own base URL too.
const NATIVE_CLIENT: &str = "https://login.microsoftonline.com/common/oauth2/nativeclient";

/// Exact match, except that the port is ignored for `http://localhost` and `http://127.0.0.1`, and that the
/// emulator's own `{base}/common/oauth2/nativeclient` stands for Microsoft's (the emulator plays that host).
pub(crate) fn redirect_registered(registered: &[String], requested: &str, base: &str) -> bool {
    if registered.iter().any(|uri| uri == requested) {
        return true;
    }
    if requested.strip_prefix(base.trim_end_matches('/')) == Some("/common/oauth2/nativeclient") {
        return registered.iter().any(|uri| uri == NATIVE_CLIENT);
    }
    let Ok(wanted) = Url::parse(requested) else {
        return false;
    };
    let loopback =
        |url: &Url| url.scheme() == "http" && matches!(url.host_str(), Some("localhost") | Some("127.0.0.1"));
    if !loopback(&wanted) {
        return false;
    }
    registered
        .iter()
        .filter_map(|uri| Url::parse(uri).ok())
        .any(|uri| {
            loopback(&uri)
                && uri.host_str() == wanted.host_str()
                && uri.path() == wanted.path()
                && uri.query() == wanted.query()
        })
}

/// Replaces `…/.default` by the app's configured delegated permissions of that resource.
pub(crate) fn expand_default(app: &AppRegistration, requested: Vec<Scope>) -> Vec<Scope> {
    let mut out: Vec<Scope> = Vec::new();
    for scope in requested {
        let additions = match &scope {
            Scope::Api { resource, uri, name } if name == ".default" => app
                .delegated_permissions
                .iter()
                .map(|permission| Scope::parse(permission))
                .filter(|permission| permission.resource() == Some(*resource))
                .map(|permission| Scope::Api {
                    resource: *resource,
                    uri: uri.clone(),
                    name: permission.name().to_string(),
                })
                .collect(),
            _ => vec![scope],
        };
        for addition in additions {
            if !out.iter().any(|seen| seen.same_as(&addition)) {
                out.push(addition);
            }
        }
    }
    out
}

/// `GET /{tenant}/oauth2/v2.0/authorize`.
async fn authorize(
    State(app): State<App>,
    Path(tenant): Path<String>,
    Query(query): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let mut state = app.lock();
    let trace = Trace::new(state.now(), Some(&headers));
    let authority = match state.authority(&tenant) {
        Ok(authority) => authority,
        Err(error) => return html::error_page(&error, &trace),
    };
    let Some(client_id) = query.get("client_id").filter(|id| !id.is_empty()) else {
        return html::error_page(&AadError::new(900144, &["client_id"]), &trace);
    };
    let Some(registration) = state.seed.app(client_id).cloned() else {
        return html::error_page(&AadError::new(700016, &[client_id, &tenant]), &trace);
    };
    let Some(first_uri) = registration.redirect_uris.first() else {
        return html::error_page(&AadError::new(500113, &[]), &trace);
    };
    let redirect_uri = query
        .get("redirect_uri")
        .cloned()
        .unwrap_or_else(|| first_uri.clone());
    if !redirect_registered(&registration.redirect_uris, &redirect_uri, &app.base) {
        return html::error_page(
            &AadError::new(50011, &[&redirect_uri, &registration.client_id]),
            &trace,
        );
    }
    if let Err(error) = authority.admits_app(&state.seed, &registration, &tenant) {
        if error.code == 700016 {
            return html::error_page(&error, &trace);
        }
        let target = Target {
            redirect_uri: &redirect_uri,
            mode: ResponseMode::Query,
        };
        return send_error(&target, &error, &trace, query.get("state").map(String::as_str));
    }
    let mode = match query.get("response_mode").map(String::as_str) {
        Some("fragment") => ResponseMode::Fragment,
        Some("form_post") => ResponseMode::FormPost,
        _ => ResponseMode::Query,
    };
    let target = Target {
        redirect_uri: &redirect_uri,
        mode,
    };
    let app_state = query.get("state").map(String::as_str);
    let fail = |error: AadError| send_error(&target, &error, &trace, app_state);
    match query.get("response_type").map(String::as_str) {
        Some("code") | Some("code id_token") => {}
        None | Some("") => return fail(AadError::new(900144, &["response_type"])),
        Some(other) => return fail(AadError::new(70005, &[other])),
    }
    let Some(scope) = query.get("scope").filter(|scope| !scope.trim().is_empty()) else {
        return fail(AadError::new(900144, &["scope"]));
    };
    let requested = scopes::parse_list(scope);
    if let Some(foreign) = requested.iter().find(|scope| matches!(scope, Scope::Foreign(_))) {
        return fail(AadError::new(500011, &[foreign.name(), &tenant]));
    }
    let pkce = match query.get("code_challenge") {
        None => None,
        Some(challenge) => {
            let s256 = match query.get("code_challenge_method").map(String::as_str) {
                Some("S256") => true,
                Some("plain") | None => false,
                Some(other) => {
                    let detail =
                        format!("'{other}' is not a supported code_challenge_method: use S256 or plain.");
                    return fail(
                        AadError::new(70011, &["code_challenge_method", &detail])
                            .with_error("invalid_request"),
                    );
                }
            };
            if !(43..=128).contains(&challenge.len()) {
                return fail(AadError::new(501491, &[]));
            }
            Some(Pkce {
                challenge: challenge.clone(),
                s256,
            })
        }
    };
    let pending = PendingSignIn {
        tenant_path: tenant.clone(),
        authority,
        client_id: registration.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        scopes: expand_default(&registration, requested),
        state: query.get("state").cloned(),
        nonce: query.get("nonce").cloned(),
        pkce,
        response_mode: mode,
        login_hint: query.get("login_hint").cloned(),
        kind: PendingKind::SignIn,
    };
    let hinted = query
        .get("login_hint")
        .and_then(|hint| state.seed.user(hint))
        .cloned();
    let prompt = query.get("prompt").map(String::as_str);
    if prompt == Some("none") {
        return match hinted.filter(|user| user.auto_approve) {
            Some(user) => complete_sign_in(&mut state, &pending, &user, Approval::Silent, &trace),
            None => fail(AadError::new(50058, &[])),
        };
    }
    if let Some(user) = hinted.filter(|user| user.auto_approve && prompt != Some("select_account")) {
        return complete_sign_in(&mut state, &pending, &user, Approval::Automatic, &trace);
    }
    show_page(&mut state, pending, &registration, None)
}

/// Stores the request and shows the sign-in page.
fn show_page(
    state: &mut EmulatorState,
    pending: PendingSignIn,
    registration: &AppRegistration,
    problem: Option<&AadError>,
) -> Response {
    let request_id = random_token("", 24);
    let username = pending.login_hint.clone().unwrap_or_default();
    let permissions: Vec<String> = match &pending.kind {
        PendingKind::SignIn => pending
            .scopes
            .iter()
            .filter(|scope| scope.resource().is_some())
            .filter(|scope| {
                match pending
                    .login_hint
                    .as_deref()
                    .and_then(|hint| state.seed.user(hint))
                {
                    Some(user) => !state.consented(registration, &user.upn, scope),
                    None => true,
                }
            })
            .map(ToString::to_string)
            .collect(),
        PendingKind::AdminConsent { .. } => registration
            .delegated_permissions
            .iter()
            .chain(&registration.application_permissions)
            .cloned()
            .collect(),
    };
    let action = format!("/{}/login", pending.tenant_path);
    let admin_consent = matches!(pending.kind, PendingKind::AdminConsent { .. });
    state.pending.insert(request_id.clone(), pending);
    html::sign_in(&SignInPage {
        action: &action,
        request_id: &request_id,
        app_name: &registration.display_name,
        username: &username,
        permissions: &permissions,
        admin_consent,
        problem,
    })
}

/// How the user agreed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Approval {
    /// Clicked Accept on the page (consents to what is asked).
    Form,
    /// `login_hint` named an auto-approve user.
    Automatic,
    /// `prompt=none`: no page may be shown, so missing consent is an error.
    Silent,
}

/// Signs `user` in for a pending authorize request: checks, consent, code, redirect.
fn complete_sign_in(
    state: &mut EmulatorState,
    pending: &PendingSignIn,
    user: &User,
    approval: Approval,
    trace: &Trace,
) -> Response {
    let target = Target {
        redirect_uri: &pending.redirect_uri,
        mode: pending.response_mode,
    };
    let app_state = pending.state.as_deref();
    let Some(registration) = state.seed.app(&pending.client_id).cloned() else {
        return html::error_page(
            &AadError::new(700016, &[&pending.client_id, &pending.tenant_path]),
            trace,
        );
    };
    let tid = match pending
        .authority
        .admits_user(&state.seed, &registration, user, &pending.tenant_path)
    {
        Ok(tid) => tid,
        Err(error) if approval == Approval::Silent => {
            return send_error(
                &target,
                &error.with_error("interaction_required"),
                trace,
                app_state,
            );
        }
        Err(error) => {
            let retry = PendingSignIn {
                login_hint: None,
                ..pending.clone()
            };
            return show_page(state, retry, &registration, Some(&error));
        }
    };
    let resource = scopes::resources(&pending.scopes)
        .first()
        .map(|resource| resource.default_uri())
        .unwrap_or(scopes::GRAPH_URI);
    if let Some(block) = account_block(user, resource) {
        let error = if block.code == 50076 {
            "interaction_required"
        } else {
            "access_denied"
        };
        return send_error(&target, &block.with_error(error), trace, app_state);
    }
    let missing: Vec<Scope> = pending
        .scopes
        .iter()
        .filter(|scope| scope.resource().is_some() && !state.consented(&registration, &user.upn, scope))
        .cloned()
        .collect();
    if !missing.is_empty() {
        if approval == Approval::Silent {
            let error = AadError::new(65001, &[&registration.client_id, &registration.display_name]);
            return send_error(&target, &error.with_error("consent_required"), trace, app_state);
        }
        let consent_blocked = tid != CONSUMERS_TENANT_ID
            && state
                .seed
                .tenants
                .iter()
                .any(|tenant| tenant.id == tid && !tenant.user_consent_allowed);
        // Users may not consent to directory-wide permissions: only an admin can ("Need admin approval").
        let needs_admin = !user.admin && missing.iter().any(Scope::needs_admin);
        if consent_blocked || needs_admin {
            return send_error(&target, &AadError::new(90094, &[]), trace, app_state);
        }
        if let Some(registration) = state.seed.app_mut(&pending.client_id) {
            let granted = registration.user_consents.entry(user.upn.clone()).or_default();
            granted.extend(missing.iter().map(ToString::to_string));
        }
    }
    let seq = state.next_seq();
    let code = random_token(
        if tid == CONSUMERS_TENANT_ID {
            "M.C5_BAY."
        } else {
            "1.AXoA"
        },
        300,
    );
    state.codes.insert(
        code.clone(),
        AuthCode {
            client_id: registration.client_id.clone(),
            redirect_uri: pending.redirect_uri.clone(),
            user: user.upn.clone(),
            tid,
            scopes: pending.scopes.clone(),
            nonce: pending.nonce.clone(),
            pkce: pending.pkce.clone(),
            issued_at: state.unix(),
            redeemed: false,
            seq,
        },
    );
    let mut params = vec![("code".to_string(), code)];
    if let Some(value) = app_state {
        params.push(("state".into(), value.into()));
    }
    if tid != CONSUMERS_TENANT_ID {
        let session = Uuid::new_v5(
            &Uuid::NAMESPACE_OID,
            format!("session:{}", user.object_id()).as_bytes(),
        );
        params.push(("session_state".into(), session.to_string()));
    }
    send_back(&target, &params)
}

/// `POST /{tenant}/login`: the sign-in form (`request`, `username`, `action` = approve | deny).
async fn login(
    State(app): State<App>,
    Path(_tenant): Path<String>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    let mut state = app.lock();
    let trace = Trace::new(state.now(), Some(&headers));
    let Some(pending) = form.get("request").and_then(|id| state.pending.remove(id)) else {
        return html::error_page(&AadError::new(9002313, &[]), &trace);
    };
    let target = Target {
        redirect_uri: &pending.redirect_uri,
        mode: pending.response_mode,
    };
    let Some(registration) = state.seed.app(&pending.client_id).cloned() else {
        return html::error_page(
            &AadError::new(700016, &[&pending.client_id, &pending.tenant_path]),
            &trace,
        );
    };
    let approve = form
        .get("action")
        .is_some_and(|action| action.eq_ignore_ascii_case("approve"));
    if !approve {
        return match &pending.kind {
            PendingKind::SignIn => send_error(
                &target,
                &AadError::new(65004, &[]),
                &trace,
                pending.state.as_deref(),
            ),
            PendingKind::AdminConsent { scope } => {
                admin_consent_refused(&target, scope.is_none(), &trace, pending.state.as_deref())
            }
        };
    }
    let username = form.get("username").map(|name| name.trim()).unwrap_or_default();
    let Some(user) = state.seed.user(username).cloned() else {
        let directory = match pending.authority {
            Authority::Tenant(id) => state
                .seed
                .tenants
                .iter()
                .find(|tenant| tenant.id == id)
                .map(|tenant| tenant.display_name.clone())
                .unwrap_or_default(),
            _ => "Microsoft Services".into(),
        };
        let problem = AadError::new(50034, &[username, &directory]);
        return show_page(&mut state, pending, &registration, Some(&problem));
    };
    match pending.kind.clone() {
        PendingKind::SignIn => complete_sign_in(&mut state, &pending, &user, Approval::Form, &trace),
        PendingKind::AdminConsent { scope } => {
            let tid = match pending.authority {
                Authority::Tenant(id) => id,
                _ => state.seed.user_tenant_id(&user).unwrap_or_default(),
            };
            grant_admin_consent(&mut state, &pending, tid, scope.as_deref(), &trace)
        }
    }
}

/// `GET /{tenant}/v2.0/adminconsent?client_id&redirect_uri&state&scope`.
///
/// Decided on the page (Accept / Cancel), immediately by `login_hint` naming an auto-approve user, or by the
/// emulator-only query parameter `emulator_decision=approve|deny`.
async fn admin_consent(
    State(app): State<App>,
    Path(tenant): Path<String>,
    Query(query): Query<Params>,
    headers: HeaderMap,
) -> Response {
    admin_consent_request(&app, &tenant, &query, &headers, false)
}

/// `GET /{tenant}/adminconsent?client_id&state&redirect_uri` (no scope).
async fn legacy_admin_consent(
    State(app): State<App>,
    Path(tenant): Path<String>,
    Query(query): Query<Params>,
    headers: HeaderMap,
) -> Response {
    admin_consent_request(&app, &tenant, &query, &headers, true)
}

fn admin_consent_request(
    app: &App,
    tenant: &str,
    query: &Params,
    headers: &HeaderMap,
    legacy: bool,
) -> Response {
    let mut state = app.lock();
    let trace = Trace::new(state.now(), Some(headers));
    let authority = match state.authority(tenant) {
        Ok(authority) => authority,
        Err(error) => return html::error_page(&error, &trace),
    };
    let Some(client_id) = query.get("client_id").filter(|id| !id.is_empty()) else {
        return html::error_page(&AadError::new(900144, &["client_id"]), &trace);
    };
    let Some(registration) = state.seed.app(client_id).cloned() else {
        return html::error_page(&AadError::new(700016, &[client_id, tenant]), &trace);
    };
    let Some(first_uri) = registration.redirect_uris.first() else {
        return html::error_page(&AadError::new(500113, &[]), &trace);
    };
    let redirect_uri = query
        .get("redirect_uri")
        .cloned()
        .unwrap_or_else(|| first_uri.clone());
    if !redirect_registered(&registration.redirect_uris, &redirect_uri, &app.base) {
        return html::error_page(
            &AadError::new(50011, &[&redirect_uri, &registration.client_id]),
            &trace,
        );
    }
    let target = Target {
        redirect_uri: &redirect_uri,
        mode: ResponseMode::Query,
    };
    let app_state = query.get("state").map(String::as_str);
    let scope = if legacy {
        None
    } else {
        match query.get("scope").filter(|scope| !scope.trim().is_empty()) {
            Some(scope) => Some(scope.clone()),
            None => return send_error(&target, &AadError::new(900144, &["scope"]), &trace, app_state),
        }
    };
    let pending = PendingSignIn {
        tenant_path: tenant.to_string(),
        authority,
        client_id: registration.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        scopes: Vec::new(),
        state: query.get("state").cloned(),
        nonce: None,
        pkce: None,
        response_mode: ResponseMode::Query,
        login_hint: query.get("login_hint").cloned(),
        kind: PendingKind::AdminConsent { scope: scope.clone() },
    };
    let home = state.seed.app_tenant_id(&registration).unwrap_or_default();
    let tid_of = |state: &EmulatorState, user: Option<&User>| match authority {
        Authority::Tenant(id) => id,
        _ => user
            .and_then(|user| state.seed.user_tenant_id(user))
            .unwrap_or(home),
    };
    match query.get("emulator_decision").map(String::as_str) {
        Some("approve") => {
            let tid = tid_of(&state, None);
            return grant_admin_consent(&mut state, &pending, tid, scope.as_deref(), &trace);
        }
        Some("deny") => return admin_consent_refused(&target, legacy, &trace, app_state),
        _ => {}
    }
    let hinted = query
        .get("login_hint")
        .and_then(|hint| state.seed.user(hint))
        .filter(|user| user.auto_approve)
        .cloned();
    if let Some(user) = hinted {
        let tid = tid_of(&state, Some(&user));
        return grant_admin_consent(&mut state, &pending, tid, scope.as_deref(), &trace);
    }
    show_page(&mut state, pending, &registration, None)
}

/// Grants every configured permission (plus dynamic scopes) tenant-wide and redirects with success.
fn grant_admin_consent(
    state: &mut EmulatorState,
    pending: &PendingSignIn,
    tid: Uuid,
    scope: Option<&str>,
    trace: &Trace,
) -> Response {
    let target = Target {
        redirect_uri: &pending.redirect_uri,
        mode: ResponseMode::Query,
    };
    let Some(registration) = state.seed.app_mut(&pending.client_id) else {
        return html::error_page(
            &AadError::new(700016, &[&pending.client_id, &pending.tenant_path]),
            trace,
        );
    };
    registration.admin_consented = true;
    for dynamic in scopes::parse_list(scope.unwrap_or_default()) {
        if dynamic.resource().is_some() && !dynamic.is_default() {
            let listed = registration
                .delegated_permissions
                .iter()
                .any(|p| Scope::parse(p).same_as(&dynamic));
            if !listed {
                registration.delegated_permissions.push(dynamic.to_string());
            }
        }
    }
    let app_state = pending.state.clone().unwrap_or_default();
    let params: Vec<(String, String)> = match scope {
        Some(scope) => vec![
            ("admin_consent".into(), "True".into()),
            ("tenant".into(), tid.to_string()),
            ("scope".into(), scope.to_string()),
            ("state".into(), app_state),
        ],
        None => vec![
            ("tenant".into(), tid.to_string()),
            ("state".into(), app_state),
            ("admin_consent".into(), "True".into()),
        ],
    };
    send_back(&target, &params)
}

fn admin_consent_refused(target: &Target<'_>, legacy: bool, trace: &Trace, state: Option<&str>) -> Response {
    let mut params: Vec<(String, String)> = if legacy {
        vec![
            ("error".into(), "permission_denied".into()),
            (
                "error_description".into(),
                "The admin canceled the request".into(),
            ),
        ]
    } else {
        let error = AadError::new(65004, &[]).with_error("consent_required");
        let mut params = vec![("admin_consent".to_string(), "True".to_string())];
        params.extend(error.redirect_params(trace, None));
        params
    };
    params.push(("state".into(), state.unwrap_or_default().to_string()));
    send_back(target, &params)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "http://127.0.0.1:7000";

    #[test]
    fn the_emulators_nativeclient_stands_for_microsofts() {
        let registered = vec![NATIVE_CLIENT.to_string()];
        assert!(redirect_registered(&registered, NATIVE_CLIENT, BASE));
        assert!(redirect_registered(
            &registered,
            "http://127.0.0.1:7000/common/oauth2/nativeclient",
            BASE
        ));
        assert!(!redirect_registered(
            &registered,
            "http://127.0.0.1:7001/common/oauth2/nativeclient",
            BASE
        ));
        assert!(!redirect_registered(
            &[],
            "http://127.0.0.1:7000/common/oauth2/nativeclient",
            BASE
        ));
    }

    #[test]
    fn loopback_redirects_ignore_the_port_only() {
        let registered = vec!["http://localhost".to_string(), "mailgrant://auth".to_string()];
        assert!(redirect_registered(&registered, "http://localhost", BASE));
        assert!(redirect_registered(&registered, "http://localhost:53123", BASE));
        assert!(redirect_registered(&registered, "http://localhost:53123/", BASE));
        assert!(!redirect_registered(
            &registered,
            "http://localhost:53123/callback",
            BASE
        ));
        assert!(
            !redirect_registered(&registered, "http://127.0.0.1:53123", BASE),
            "localhost ≠ 127.0.0.1"
        );
        assert!(redirect_registered(&registered, "mailgrant://auth", BASE));
        assert!(
            !redirect_registered(&registered, "mailgrant://Auth", BASE),
            "case-sensitive"
        );
        assert!(!redirect_registered(&registered, "https://localhost:8443", BASE));
    }
}
