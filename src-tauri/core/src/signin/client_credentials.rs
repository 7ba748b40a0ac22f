//! Client credentials (app-only, for background services): a client secret, or a certificate whose private key
//! signs a client assertion (`private_key_jwt`, PS256 with an `x5t#S256` thumbprint as Microsoft documents).

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::token_endpoint::{ClientAuth, TokenEndpoint, TokenResponse};
use super::SignInError;
use crate::model::ClientId;
use crate::sensitive::SecretString;

/// Fetches an app-only token for `scope` (`{resource}/.default`).
pub async fn fetch(
    endpoint: &TokenEndpoint,
    client_id: &ClientId,
    scope: &str,
    auth: &ClientAuth,
) -> Result<TokenResponse, SignInError> {
    endpoint
        .request(
            &[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("scope", scope),
            ],
            auth,
        )
        .await
}

/// A certificate credential: the certificate (DER) Entra knows and its private key (PEM, from the keychain).
pub struct CertificateCredential<'a> {
    pub certificate_der: &'a [u8],
    pub private_key_pem: &'a SecretString,
}

#[derive(serde::Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

/// Builds the signed client assertion for `token_url` (its `aud`), valid for 10 minutes.
pub fn client_assertion(
    cert: &CertificateCredential<'_>,
    client_id: &ClientId,
    token_url: &str,
    now_unix: i64,
) -> Result<SecretString, SignInError> {
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(cert.private_key_pem.expose().as_bytes()).map_err(|e| {
            SignInError::Certificate(format!("the private key is not an RSA key in PEM form ({e})"))
        })?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
    header.typ = Some("JWT".into());
    header.x5t_s256 =
        Some(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(cert.certificate_der)));
    let claims = AssertionClaims {
        aud: token_url,
        iss: client_id.as_str(),
        sub: client_id.as_str(),
        jti: uuid::Uuid::new_v4().to_string(),
        nbf: now_unix,
        iat: now_unix,
        exp: now_unix + 600,
    };
    jsonwebtoken::encode(&header, &claims, &key)
        .map(SecretString::new)
        .map_err(|e| SignInError::Certificate(format!("signing failed ({e})")))
}
