//! Client authentication at the token endpoint: public vs confidential, secrets (body or HTTP Basic) and
//! certificate assertions (`private_key_jwt`).

use std::collections::HashMap;

use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;

use super::certs::{hex_upper, ParsedCertificate};
use super::errors::AadError;
use super::jwt::{verify_assertion, AssertionCheck, AssertionRejected};
use super::seed::{AppRegistration, ClientKind, Seed};
use super::state::Authority;

pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `client_id:client_secret` from an `Authorization: Basic` header (each part form-urlencoded, RFC 6749 §2.3.1).
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |text: &str| {
        url::form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Some((unescape(id), unescape(secret)))
}

/// What the client presented.
enum Credential<'a> {
    None,
    Secret(&'a str),
    Assertion {
        kind: Option<&'a str>,
        assertion: &'a str,
    },
}

/// The request's view of client authentication.
pub(crate) struct ClientRequest<'a> {
    pub form: &'a HashMap<String, String>,
    pub basic: Option<&'a (String, String)>,
    pub grant_type: &'a str,
    pub tenant_path: &'a str,
    pub authority: Authority,
    pub base: &'a str,
    pub now: i64,
}

/// Authenticates the client; returns `azpacr`: 0 public, 1 secret, 2 certificate.
pub(crate) fn authenticate(
    seed: &Seed,
    registration: &AppRegistration,
    request: &ClientRequest<'_>,
) -> Result<u8, AadError> {
    let credential = if let Some(assertion) = request.form.get("client_assertion") {
        Credential::Assertion {
            kind: request.form.get("client_assertion_type").map(String::as_str),
            assertion,
        }
    } else if let Some(secret) = request.form.get("client_secret") {
        Credential::Secret(secret)
    } else if let Some((_, secret)) = request.basic {
        Credential::Secret(secret)
    } else {
        Credential::None
    };
    let device_code = request.grant_type == DEVICE_CODE_GRANT;
    let client_credentials = request.grant_type == "client_credentials";
    match (registration.kind, credential) {
        (ClientKind::Public, Credential::None) => {
            if (device_code && !registration.allow_public_client_flows) || client_credentials {
                Err(AadError::new(7000218, &[]))
            } else {
                Ok(0)
            }
        }
        (ClientKind::Public, _) => Err(AadError::new(700025, &[])),
        (ClientKind::Confidential, Credential::None) => {
            if device_code && registration.allow_public_client_flows {
                Ok(0)
            } else {
                Err(AadError::new(7000218, &[]))
            }
        }
        (ClientKind::Confidential, Credential::Secret(secret)) => {
            check_secret(registration, secret, request.now).map(|()| 1)
        }
        (ClientKind::Confidential, Credential::Assertion { kind, assertion }) => {
            if kind != Some(JWT_BEARER) {
                return Err(AadError::new(700027, &[]).with_message(format!(
                    "Client assertion type is not supported: client_assertion_type must be '{JWT_BEARER}'."
                )));
            }
            check_assertion(seed, registration, request, assertion).map(|()| 2)
        }
    }
}

/// The secret must be the value of a current secret. Its "Secret ID" (key id) gets 7000215 like any wrong value.
fn check_secret(registration: &AppRegistration, value: &str, now: i64) -> Result<(), AadError> {
    let wrong = || AadError::new(7000215, &[&registration.client_id]);
    let secret = registration
        .secrets
        .iter()
        .find(|secret| secret.value == value)
        .ok_or_else(wrong)?;
    if secret.end.unix() <= now {
        return Err(AadError::new(7000222, &[&registration.client_id]));
    }
    if secret.start.unix() > now {
        return Err(wrong());
    }
    Ok(())
}

/// Token-endpoint addresses a client assertion's `aud` may name.
fn audiences(seed: &Seed, request: &ClientRequest<'_>) -> Vec<String> {
    let mut tenants = vec![request.tenant_path.to_string()];
    if let Authority::Tenant(id) = request.authority {
        tenants.push(id.to_string());
        if let Some(tenant) = seed.tenants.iter().find(|tenant| tenant.id == id) {
            tenants.extend(tenant.domains.iter().cloned());
        }
    }
    tenants
        .iter()
        .flat_map(|tenant| {
            [
                format!("{}/{tenant}/oauth2/v2.0/token", request.base),
                format!("{}/{tenant}/oauth2/token", request.base),
                format!("{}/{tenant}/v2.0", request.base),
            ]
        })
        .collect()
}

fn check_assertion(
    seed: &Seed,
    registration: &AppRegistration,
    request: &ClientRequest<'_>,
    assertion: &str,
) -> Result<(), AadError> {
    let rejected = |text: String| AadError::new(700027, &[]).with_message(text);
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|e| rejected(format!("Client assertion is not a valid JWT ({e}).")))?;
    let certificates: Vec<(ParsedCertificate, Option<i64>)> = registration
        .certificates
        .iter()
        .filter_map(|credential| {
            ParsedCertificate::from_pem(&credential.pem)
                .ok()
                .map(|parsed| (parsed, credential.end.map(|end| end.unix())))
        })
        .collect();
    let thumbprint = header.x5t_s256.as_ref().or(header.x5t.as_ref());
    let candidates: Vec<&(ParsedCertificate, Option<i64>)> = certificates
        .iter()
        .filter(|(parsed, _)| match (&header.x5t_s256, &header.x5t) {
            (Some(s256), _) => *s256 == parsed.x5t_s256(),
            (None, Some(x5t)) => *x5t == parsed.x5t(),
            (None, None) => true,
        })
        .collect();
    if candidates.is_empty() {
        let used = thumbprint
            .and_then(|thumbprint| URL_SAFE_NO_PAD.decode(thumbprint).ok())
            .map(|bytes| hex_upper(&bytes))
            .unwrap_or_default();
        return Err(rejected(format!(
            "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key \
             used by client: '{used}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to \
             see configured keys for app Id '{}'.]",
            registration.client_id
        )));
    }
    let audiences = audiences(seed, request);
    let check = AssertionCheck {
        client_id: &registration.client_id,
        audiences: &audiences,
        now: request.now,
    };
    let mut last = AssertionRejected("Client assertion failed signature validation.".into());
    for (certificate, end) in candidates {
        let end = end.unwrap_or_else(|| certificate.not_after.unix_timestamp());
        match verify_assertion(assertion, &certificate.public_key, &check) {
            Ok(_) if end <= request.now => {
                last = AssertionRejected(
                    "The certificate with identifier used to sign the client assertion is expired on application."
                        .into(),
                );
            }
            Ok(_) => return Ok(()),
            Err(rejection) => last = rejection,
        }
    }
    Err(rejected(last.0))
}
