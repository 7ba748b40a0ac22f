//! Token introspection for the real mail servers (Dovecot's oauth2 passdb): `/_emulator/introspect/{protocol}`.
//!
//! Contract: 200 `{"active":true,"email":…,"scope":…,"sub":…}` only for a live Outlook access token that carries
//! the protocol's delegated scope (or app role) and opens a mailbox with the protocol enabled; else 200
//! `{"active":false}`. `?user=` names the SASL user (a shared mailbox, or the user themself).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::Json;
use serde_json::{json, Value};

use super::scopes::Resource;
use super::seed::Mailbox;
use super::state::App;

/// A mail protocol Exchange gates per mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Imap,
    Pop,
    Smtp,
}

impl Protocol {
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "imap" => Some(Self::Imap),
            "pop" | "pop3" => Some(Self::Pop),
            "smtp" | "submission" => Some(Self::Smtp),
            _ => None,
        }
    }

    fn delegated_scope(self) -> &'static str {
        match self {
            Self::Imap => "IMAP.AccessAsUser.All",
            Self::Pop => "POP.AccessAsUser.All",
            Self::Smtp => "SMTP.Send",
        }
    }

    fn app_role(self) -> &'static str {
        match self {
            Self::Imap => "IMAP.AccessAsApp",
            Self::Pop => "POP.AccessAsApp",
            Self::Smtp => "SMTP.SendAsApp",
        }
    }

    fn enabled(self, mailbox: &Mailbox) -> bool {
        match self {
            Self::Imap => mailbox.imap,
            Self::Pop => mailbox.pop,
            Self::Smtp => mailbox.smtp_auth,
        }
    }
}

/// `POST` (form `token=`), `GET ?token=`, or `Authorization: Bearer`.
pub(crate) async fn introspect(
    State(app): State<App>,
    Path(protocol): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Json<Value> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(|token| token.trim().to_string());
    let token = form
        .get("token")
        .or_else(|| query.get("token"))
        .filter(|token| !token.is_empty())
        .cloned()
        .or(bearer);
    let answer = match (Protocol::parse(&protocol), token) {
        (Some(protocol), Some(token)) => {
            decide(&app, protocol, &token, query.get("user").map(String::as_str))
        }
        _ => None,
    };
    Json(answer.unwrap_or_else(|| json!({"active": false})))
}

fn decide(app: &App, protocol: Protocol, token: &str, sasl_user: Option<&str>) -> Option<Value> {
    let state = app.lock();
    let grant = state.live_access_token(token).ok()?;
    if grant.resource != Resource::Outlook {
        return None;
    }
    let seed = &state.seed;
    let (address, sub) = match &grant.user {
        Some(upn) => {
            if seed.user(upn).is_some_and(|user| user.disabled || user.locked)
                || !grant.has_scope(&[protocol.delegated_scope()])
            {
                return None;
            }
            let mailbox = match sasl_user {
                Some(wanted) => seed
                    .mailbox(wanted)
                    .or_else(|| seed.user(wanted).and_then(|user| seed.own_mailbox(&user.upn)))?,
                None => seed.own_mailbox(upn).or_else(|| seed.mailbox(upn))?,
            };
            if !mailbox.grants(upn) {
                return None;
            }
            let oid = seed
                .user(upn)
                .map(|user| user.object_id().to_string())
                .unwrap_or_else(|| upn.clone());
            (mailbox, oid)
        }
        None => {
            if !grant.has_role(&[protocol.app_role()]) {
                return None;
            }
            let mailbox = seed.mailbox(sasl_user?)?;
            if !mailbox.grants_app(&grant.client_id) {
                return None;
            }
            (mailbox, grant.client_id.clone())
        }
    };
    if !protocol.enabled(address) {
        return None;
    }
    let email = sasl_user
        .map(str::to_string)
        .unwrap_or_else(|| address.address.clone());
    let scope = if grant.user.is_some() {
        grant.scopes.join(" ")
    } else {
        grant.roles.join(" ")
    };
    Some(json!({
        "active": true,
        "email": email,
        "scope": scope,
        "sub": sub,
        "client_id": grant.client_id,
        "token_type": "Bearer",
        "exp": grant.expires_at,
    }))
}
