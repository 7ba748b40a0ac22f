//! Minting: access tokens (RS256 JWTs for work accounts, opaque `EwB…` for personal ones), id_tokens, refresh
//! tokens, and the success body of the token endpoint.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::errors::{no_store, AadError};
use super::scopes::{self, Resource, Scope, OUTLOOK_APP_AUDIENCE};
use super::seed::{User, CONSUMERS_TENANT_ID};
use super::state::{random_token, AccessGrant, RefreshGrant, Shared, State};

/// What goes into one access token.
pub(crate) struct AccessSpec<'a> {
    pub client_id: &'a str,
    pub app_name: &'a str,
    /// None for app-only tokens.
    pub user: Option<&'a User>,
    pub tid: Uuid,
    pub resource: Resource,
    /// `aud`: `https://outlook.office.com`, `https://outlook.office365.com` or `https://graph.microsoft.com`.
    pub audience: String,
    /// Delegated permission names (`scp`).
    pub scopes: Vec<String>,
    /// Application permission names (`roles`).
    pub roles: Vec<String>,
    /// 0 public client, 1 secret, 2 certificate.
    pub azpacr: u8,
    pub lifetime_secs: i64,
}

/// Mints an access token and records it; returns the token and its expiry (unix seconds).
pub(crate) fn access_token(shared: &Shared, state: &mut State, spec: &AccessSpec<'_>) -> (String, i64) {
    let now = state.unix();
    let expires_at = now + spec.lifetime_secs;
    let seq = state.next_seq();
    let personal = spec.user.is_some() && spec.tid == CONSUMERS_TENANT_ID;
    let token = if personal {
        // MSA access tokens are opaque compact tickets, ~1.5 KB.
        random_token("EwB", 1_100)
    } else {
        shared
            .key
            .sign(&Value::Object(access_claims(shared, spec, now, expires_at)))
    };
    state.access_tokens.insert(
        token.clone(),
        AccessGrant {
            client_id: spec.client_id.to_string(),
            user: spec.user.map(|user| user.upn.clone()),
            tid: spec.tid,
            resource: spec.resource,
            scopes: spec.scopes.clone(),
            roles: spec.roles.clone(),
            expires_at,
            seq,
        },
    );
    (token, expires_at)
}

fn access_claims(shared: &Shared, spec: &AccessSpec<'_>, now: i64, expires_at: i64) -> Map<String, Value> {
    let mut claims = Map::new();
    let mut put = |name: &str, value: Value| {
        claims.insert(name.to_string(), value);
    };
    put("aud", json!(spec.audience));
    put("iss", json!(format!("{}/{}/v2.0", shared.base, spec.tid)));
    put("iat", json!(now));
    put("nbf", json!(now));
    put("exp", json!(expires_at));
    put("aio", json!(random_token("", 48)));
    put("app_displayname", json!(spec.app_name));
    put("appid", json!(spec.client_id));
    put("appidacr", json!(spec.azpacr.to_string()));
    put("azp", json!(spec.client_id));
    put("azpacr", json!(spec.azpacr.to_string()));
    put("idtyp", json!(if spec.user.is_some() { "user" } else { "app" }));
    put("ipaddr", json!("127.0.0.1"));
    match spec.user {
        Some(user) => {
            let oid = user.object_id();
            put("oid", json!(oid));
            put("sub", json!(pairwise_subject(&oid, spec.client_id)));
            put("name", json!(user.display_name));
            put("given_name", json!(user.given_name()));
            put("family_name", json!(user.surname()));
            put("upn", json!(user.upn));
            put("unique_name", json!(user.upn));
            put("preferred_username", json!(user.upn));
            put("amr", json!(["pwd"]));
            put("acr", json!("1"));
        }
        None => {
            let oid = Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("sp:{}", spec.client_id).as_bytes());
            put("oid", json!(oid));
            put("sub", json!(oid));
        }
    }
    if !spec.scopes.is_empty() {
        put("scp", json!(spec.scopes.join(" ")));
    }
    if !spec.roles.is_empty() {
        put("roles", json!(spec.roles));
    }
    put("tid", json!(spec.tid));
    put("uti", json!(random_token("", 16)));
    put("ver", json!("2.0"));
    claims
}

/// A stable pairwise `sub` for (user, app), as Microsoft's id_tokens carry.
pub(crate) fn pairwise_subject(oid: &Uuid, client_id: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{oid}:{}", client_id.to_ascii_lowercase()));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..32])
}

/// What goes into an id_token.
pub(crate) struct IdSpec<'a> {
    pub client_id: &'a str,
    pub user: &'a User,
    pub tid: Uuid,
    pub sign_in_scopes: &'a [Scope],
    pub nonce: Option<&'a str>,
}

pub(crate) fn id_token(shared: &Shared, now: i64, spec: &IdSpec<'_>) -> String {
    let oid = spec.user.object_id();
    let mut claims = json!({
        "aud": spec.client_id,
        "iss": format!("{}/{}/v2.0", shared.base, spec.tid),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "sub": pairwise_subject(&oid, spec.client_id),
        "tid": spec.tid,
        "oid": oid,
        "sid": Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("sid:{oid}").as_bytes()),
        "uti": random_token("", 16),
        "ver": "2.0",
    });
    if let Some(map) = claims.as_object_mut() {
        if scopes::has_oidc(spec.sign_in_scopes, "profile") {
            map.insert("name".into(), json!(spec.user.display_name));
            map.insert("preferred_username".into(), json!(spec.user.upn));
        }
        if scopes::has_oidc(spec.sign_in_scopes, "email") {
            map.insert("email".into(), json!(spec.user.upn));
        }
        if let Some(nonce) = spec.nonce {
            map.insert("nonce".into(), json!(nonce));
        }
    }
    shared.key.sign(&claims)
}

/// A delegated token request after its grant (code, refresh token or device code) has been checked.
pub(crate) struct UserTokenRequest<'a> {
    pub client_id: &'a str,
    pub user: &'a User,
    pub tid: Uuid,
    /// The scopes of the sign-in (authorize or devicecode request, or the refresh token's).
    pub granted: &'a [Scope],
    /// The token request's own `scope`, if it sent one.
    pub requested: Option<&'a [Scope]>,
    pub nonce: Option<&'a str>,
    pub azpacr: u8,
}

/// Issues access token (+ refresh token with offline_access, + id_token with openid) for one resource.
pub(crate) fn user_tokens(
    shared: &Shared,
    state: &mut State,
    request: &UserTokenRequest<'_>,
    scope_param: Option<&str>,
) -> Result<Value, AadError> {
    let app = state
        .seed
        .app(request.client_id)
        .cloned()
        .ok_or_else(|| AadError::new(700016, &[request.client_id, "common"]))?;
    let resource_scopes: Vec<Scope> = match request.requested {
        Some(requested) => {
            if scopes::resources(requested).len() > 1 {
                return Err(AadError::new(28000, &[scope_param.unwrap_or_default()]));
            }
            if let Some(foreign) = requested.iter().find(|scope| matches!(scope, Scope::Foreign(_))) {
                return Err(AadError::new(500011, &[foreign.name(), &request.tid.to_string()]));
            }
            let mut chosen = Vec::new();
            for scope in requested.iter().filter(|scope| scope.resource().is_some()) {
                if scope.is_default() {
                    chosen.extend(consented_for(state, &app, &request.user.upn, scope));
                } else if state.consented(&app, &request.user.upn, scope) {
                    chosen.push(scope.clone());
                } else {
                    return Err(AadError::new(65001, &[&app.client_id, &app.display_name]));
                }
            }
            chosen
        }
        None => {
            let first = scopes::resources(request.granted).first().copied();
            let chosen: Vec<Scope> = request
                .granted
                .iter()
                .filter(|scope| scope.resource().is_some() && scope.resource() == first)
                .cloned()
                .collect();
            if chosen
                .iter()
                .any(|scope| !state.consented(&app, &request.user.upn, scope))
            {
                return Err(AadError::new(65001, &[&app.client_id, &app.display_name]));
            }
            chosen
        }
    };
    let resource = resource_scopes
        .first()
        .and_then(Scope::resource)
        .unwrap_or(Resource::Graph);
    let audience = match resource_scopes.first() {
        Some(Scope::Api {
            uri,
            resource: Resource::Outlook,
            ..
        }) => uri.clone(),
        _ => resource.default_uri().to_string(),
    };
    let everything: Vec<Scope> = request
        .granted
        .iter()
        .chain(request.requested.unwrap_or_default())
        .cloned()
        .collect();
    let mut scope_names: Vec<String> = resource_scopes
        .iter()
        .map(|scope| scope.name().to_string())
        .collect();
    let mut shown: Vec<Scope> = resource_scopes.clone();
    if resource == Resource::Graph {
        for oidc in ["openid", "profile", "email"] {
            if scopes::has_oidc(&everything, oidc) {
                scope_names.push(oidc.to_string());
                shown.push(Scope::Oidc(oidc.to_string()));
            }
        }
    }
    let lifetime = state.seed.lifetimes.access_token_secs;
    let (access, _) = access_token(
        shared,
        state,
        &AccessSpec {
            client_id: &app.client_id,
            app_name: &app.display_name,
            user: Some(request.user),
            tid: request.tid,
            resource,
            audience,
            scopes: scope_names,
            roles: Vec::new(),
            azpacr: request.azpacr,
            lifetime_secs: lifetime,
        },
    );
    let mut body = json!({
        "token_type": "Bearer",
        "scope": scopes::join(&shown),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    });
    let now = state.unix();
    if scopes::has_oidc(&everything, "offline_access") {
        let seq = state.next_seq();
        let token = random_token(
            if request.tid == CONSUMERS_TENANT_ID {
                "M.C5"
            } else {
                "1.AX"
            },
            600,
        );
        state.refresh_tokens.insert(
            token.clone(),
            RefreshGrant {
                client_id: app.client_id.clone(),
                user: request.user.upn.clone(),
                tid: request.tid,
                scopes: request.granted.to_vec(),
                issued_at: now,
                last_used_at: now,
                seq,
                rotated_at: None,
            },
        );
        insert(&mut body, "refresh_token", json!(token));
    }
    if scopes::has_oidc(request.granted, "openid") {
        let id = id_token(
            shared,
            now,
            &IdSpec {
                client_id: &app.client_id,
                user: request.user,
                tid: request.tid,
                sign_in_scopes: &everything,
                nonce: request.nonce,
            },
        );
        insert(&mut body, "id_token", json!(id));
    }
    Ok(body)
}

/// Every consented delegated permission of the app for the resource of `default_scope` (`…/.default`).
fn consented_for(
    state: &State,
    app: &super::seed::AppRegistration,
    upn: &str,
    default_scope: &Scope,
) -> Vec<Scope> {
    let Scope::Api { resource, uri, .. } = default_scope else {
        return Vec::new();
    };
    let mut names: Vec<String> = Vec::new();
    let candidates = app.delegated_permissions.iter().chain(
        app.user_consents
            .iter()
            .filter(|(user, _)| user.eq_ignore_ascii_case(upn))
            .flat_map(|(_, s)| s),
    );
    for candidate in candidates {
        let scope = Scope::parse(candidate);
        if scope.resource() == Some(*resource)
            && state.consented(app, upn, &scope)
            && !names.iter().any(|name| name.eq_ignore_ascii_case(scope.name()))
        {
            names.push(scope.name().to_string());
        }
    }
    names
        .into_iter()
        .map(|name| Scope::Api {
            resource: *resource,
            uri: uri.clone(),
            name,
        })
        .collect()
}

fn insert(body: &mut Value, key: &str, value: Value) {
    if let Some(map) = body.as_object_mut() {
        map.insert(key.to_string(), value);
    }
}

/// The app-only audience for a resource.
pub(crate) fn app_audience(resource: Resource) -> &'static str {
    match resource {
        Resource::Outlook => OUTLOOK_APP_AUDIENCE,
        Resource::Graph => scopes::GRAPH_URI,
    }
}

/// 200 with the token JSON and no-store headers.
pub(crate) fn success(body: Value) -> Response {
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    no_store(response.headers_mut());
    response
}
