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
        .request("client_credentials", client_id, &[("scope", scope)], auth)
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

/// Builds the signed client assertion for `token_url` (its `aud`), valid for 10 minutes: a JWT signed with
/// RSASSA-PSS and SHA-256 (PS256) by ring, the RSA that TLS already uses here (constant-time, unlike the `rsa`
/// crate: RUSTSEC-2023-0071).
pub fn client_assertion(
    cert: &CertificateCredential<'_>,
    client_id: &ClientId,
    token_url: &str,
    now_unix: i64,
) -> Result<SecretString, SignInError> {
    let key = rsa_key(cert.private_key_pem)?;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = serde_json::json!({
        "typ": "JWT",
        "alg": "PS256",
        "x5t#S256": b64.encode(Sha256::digest(cert.certificate_der)),
    });
    let claims = AssertionClaims {
        aud: token_url,
        iss: client_id.as_str(),
        sub: client_id.as_str(),
        jti: uuid::Uuid::new_v4().to_string(),
        nbf: now_unix,
        iat: now_unix,
        exp: now_unix + 600,
    };
    let claims = serde_json::to_vec(&claims).map_err(|e| SignInError::Certificate(e.to_string()))?;
    let signing_input = format!("{}.{}", b64.encode(header.to_string()), b64.encode(claims));
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PSS_SHA256,
        &ring::rand::SystemRandom::new(),
        signing_input.as_bytes(),
        &mut signature,
    )
    .map_err(|_| SignInError::Certificate("signing failed".into()))?;
    Ok(SecretString::new(format!(
        "{signing_input}.{}",
        b64.encode(signature)
    )))
}

/// The certificate's RSA private key from its PEM block: PKCS#8 (tag "PRIVATE KEY") or PKCS#1 (tag "RSA" +
/// "PRIVATE KEY"), 2048 to 8192 bits.
fn rsa_key(private_key_pem: &SecretString) -> Result<ring::rsa::KeyPair, SignInError> {
    let not_rsa = |why: String| {
        SignInError::Certificate(format!("the private key is not an RSA key in PEM form ({why})"))
    };
    let block = pem::parse(private_key_pem.expose().as_bytes()).map_err(|e| not_rsa(e.to_string()))?;
    let parsed = match block.tag() {
        "PRIVATE KEY" => ring::rsa::KeyPair::from_pkcs8(block.contents()),
        "RSA PRIVATE KEY" => ring::rsa::KeyPair::from_der(block.contents()),
        other => return Err(not_rsa(format!("a {other:?} block"))),
    };
    parsed.map_err(|e| not_rsa(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(pem: &str) -> String {
        let cert = CertificateCredential {
            certificate_der: b"not looked at",
            private_key_pem: &SecretString::new(pem.to_owned()),
        };
        let client_id: ClientId = "6731de76-14a6-49ae-97bc-6eba6914391e".parse().unwrap();
        match client_assertion(&cert, &client_id, "https://login.example/token", 0) {
            Err(SignInError::Certificate(why)) => why,
            other => panic!("not refused as a certificate problem: {other:?}"),
        }
    }

    #[test]
    fn a_key_that_is_not_rsa_in_pem_is_refused_in_words() {
        // An EC key (what rcgen makes): PKCS#8, but not RSA.
        let ec = rcgen::KeyPair::generate().unwrap().serialize_pem();
        assert!(
            refused(&ec).starts_with("the private key is not an RSA key in PEM form"),
            "{}",
            refused(&ec)
        );
        assert!(refused("no PEM here").starts_with("the private key is not an RSA key in PEM form"));
        let certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(
            refused(certificate),
            "the private key is not an RSA key in PEM form (a \"CERTIFICATE\" block)"
        );
    }
}
