//! The token endpoint: one form POST, Microsoft's success JSON or its error JSON, nothing else accepted.

use serde::Deserialize;

use super::SignInError;
use crate::diagnosis::Diagnosis;
use crate::model::ClientId;
use crate::sensitive::SecretString;

/// A successful token response. Secrets are wrapped; `Debug` shows none of them.
#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    pub id_token: Option<SecretString>,
    /// Space-separated scopes granted, as Microsoft lists them.
    pub scope: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<i64>,
}

/// The longest access-token lifetime believed (Microsoft's configurable maximum is a day); longer is cut to it.
pub const MAX_EXPIRES_IN_SECS: i64 = 24 * 3600;

/// Microsoft has sent `expires_in` both as a number and as a string over the years.
fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(i64),
        Str(String),
    }
    Ok(match Option::<N>::deserialize(d)? {
        Some(N::Int(n)) => Some(n),
        Some(N::Str(s)) => s.trim().parse().ok(),
        None => None,
    })
}

/// How a confidential client proves who it is.
pub enum ClientAuth {
    /// Public client: nothing (Microsoft refuses a secret from a public client with AADSTS700025).
    None,
    Secret(SecretString),
    /// A signed JWT (`private_key_jwt`).
    Assertion(SecretString),
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ClientAuth::None => "ClientAuth::None",
            ClientAuth::Secret(_) => "ClientAuth::Secret([redacted])",
            ClientAuth::Assertion(_) => "ClientAuth::Assertion([redacted])",
        })
    }
}

/// One tenant's token endpoint.
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    http: reqwest::Client,
    url: String,
}

impl TokenEndpoint {
    pub fn new(http: reqwest::Client, url: String) -> Self {
        Self { http, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs a grant (`grant_type`, the client's ID, the grant's own `params`) with the client's authentication,
    /// and reads Microsoft's answer.
    pub async fn request(
        &self,
        grant_type: &str,
        client_id: &ClientId,
        params: &[(&str, &str)],
        auth: &ClientAuth,
    ) -> Result<TokenResponse, SignInError> {
        let mut form = vec![("grant_type", grant_type), ("client_id", client_id.as_str())];
        form.extend_from_slice(params);
        match auth {
            ClientAuth::None => {}
            ClientAuth::Secret(secret) => form.push(("client_secret", secret.expose())),
            ClientAuth::Assertion(jwt) => {
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
                form.push(("client_assertion", jwt.expose()));
            }
        }
        let request = self
            .http
            .post(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form);
        let answer = super::http::exchange(&self.url, request)
            .await
            .map_err(SignInError::Failed)?;
        let (status, content_type, body) = (answer.status, answer.content_type, answer.body);
        parse_token_answer(status, content_type.as_deref(), &body)
    }
}

/// Redeems a refresh token for an access token to `scopes` (one resource). Microsoft answers with a NEW refresh
/// token (rotation): the caller must store it before doing anything else with the answer.
pub async fn refresh(
    endpoint: &TokenEndpoint,
    client_id: &ClientId,
    refresh_token: &SecretString,
    scopes: &[String],
    auth: &ClientAuth,
) -> Result<TokenResponse, SignInError> {
    let scope = scopes.join(" ");
    let params = [
        ("refresh_token", refresh_token.expose().as_str()),
        ("scope", &scope),
    ];
    endpoint.request("refresh_token", client_id, &params, auth).await
}

/// Reads a token endpoint's answer: success JSON on 200, anything else becomes a diagnosis.
pub fn parse_token_answer(
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<TokenResponse, SignInError> {
    if status == 200 {
        if let Ok(raw) = serde_json::from_str::<RawTokenResponse>(body) {
            if raw
                .token_type
                .as_deref()
                .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
            {
                return Err(SignInError::InvalidCallback(format!(
                    "the token endpoint issued a {} token; Mailgrant needs a Bearer token",
                    raw.token_type.unwrap_or_default()
                )));
            }
            return Ok(TokenResponse {
                access_token: SecretString::new(raw.access_token),
                refresh_token: raw.refresh_token.map(SecretString::new),
                id_token: raw.id_token.map(SecretString::new),
                scope: raw.scope.unwrap_or_default(),
                // Clamped before anyone adds it to a clock: a server's huge or negative number must not overflow.
                expires_in: raw.expires_in.unwrap_or(3599).clamp(0, MAX_EXPIRES_IN_SECS),
            });
        }
    }
    Err(Diagnosis::from_identity_response(status, content_type, body).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_secret_is_never_sent_over_plain_http_to_another_computer() {
        // Refused from the URL alone, before any lookup or connection (a lookup would fail as DNS, not this).
        let endpoint = TokenEndpoint::new(
            reqwest::Client::new(),
            "http://login.example.invalid/contoso/oauth2/v2.0/token".into(),
        );
        let secret = ClientAuth::Secret(SecretString::new("Abc8Q~very-secret".to_owned()));
        let err = endpoint
            .request(
                "client_credentials",
                &"6731de76-14a6-49ae-97bc-6eba6914391e".parse().unwrap(),
                &[],
                &secret,
            )
            .await
            .unwrap_err();
        let SignInError::Failed(d) = err else {
            panic!("not a diagnosis: {err:?}");
        };
        assert_eq!(d.code, "PLAIN_HTTP");
        assert_eq!(
            d.title,
            "Mailgrant won't send secrets to login.example.invalid over plain http://"
        );
    }

    #[test]
    fn a_server_supplied_lifetime_is_clamped_before_any_clock_arithmetic() {
        for (given, believed) in [
            ("9223372036854775807", 86_400),
            ("-5", 0),
            ("\"86401\"", 86_400),
            ("3599", 3599),
        ] {
            let body = format!(r#"{{"token_type":"Bearer","expires_in":{given},"access_token":"at"}}"#);
            let t = parse_token_answer(200, Some("application/json"), &body).unwrap();
            assert_eq!(t.expires_in, believed, "{given}");
        }
    }

    #[test]
    fn reads_microsofts_success_shape() {
        let body = r#"{"token_type":"Bearer","scope":"https://outlook.office.com/IMAP.AccessAsUser.All","expires_in":"3599","ext_expires_in":3599,"access_token":"at-123","refresh_token":"rt-456","id_token":"a.b.c"}"#;
        let t = parse_token_answer(200, Some("application/json; charset=utf-8"), body).unwrap();
        assert_eq!(t.access_token.expose(), "at-123");
        assert_eq!(
            t.refresh_token.as_ref().map(|r| r.expose().as_str()),
            Some("rt-456")
        );
        assert_eq!(t.expires_in, 3599);
        let shown = format!("{t:?}");
        assert!(!shown.contains("at-123") && !shown.contains("rt-456"), "{shown}");
    }

    #[test]
    fn error_json_becomes_a_diagnosis_with_the_aadsts_code() {
        let body = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t1\r\nCorrelation ID: c1\r\nTimestamp: 2026-11-23 10:00:00Z","error_codes":[7000215],"timestamp":"2026-11-23 10:00:00Z","trace_id":"t1","correlation_id":"c1"}"#;
        let err = parse_token_answer(401, Some("application/json"), body).unwrap_err();
        let d = err.diagnosis().expect("a diagnosis");
        assert_eq!(d.raw.aadsts, Some(7000215));
        assert_eq!(d.raw.trace_id.as_deref(), Some("t1"));
    }

    #[test]
    fn html_where_json_was_expected_is_diagnosed_not_parsed() {
        let err = parse_token_answer(
            200,
            Some("text/html"),
            "<html><title>Sign in to Wi-Fi</title></html>",
        )
        .unwrap_err();
        assert_eq!(
            err.diagnosis().map(|d| d.code.as_str()),
            Some("HTML_INSTEAD_OF_JSON")
        );
    }
}
