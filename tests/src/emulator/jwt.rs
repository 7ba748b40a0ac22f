//! The emulator's token-signing key (one per process), JWT signing, the JWKS entry, and client-assertion checks.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::certs::{self, CertError};

/// The RSA key that signs id_tokens and access tokens, with its self-signed certificate.
pub(crate) struct SigningKey {
    signer: rsa::pkcs1v15::SigningKey<Sha256>,
    public: RsaPublicKey,
    cert_der: Vec<u8>,
    /// `kid` and `x5t`: base64url SHA-1 of the certificate, as Microsoft does.
    pub kid: String,
}

static KEY: OnceLock<Result<SigningKey, String>> = OnceLock::new();

/// The process-wide signing key, generated on first use.
pub(crate) fn signing_key() -> std::io::Result<&'static SigningKey> {
    KEY.get_or_init(|| SigningKey::generate().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|message| std::io::Error::other(format!("cannot create the token-signing key: {message}")))
}

impl SigningKey {
    fn generate() -> Result<Self, CertError> {
        let key = certs::generate_key()?;
        let now = SystemTime::now();
        let cert_der = certs::self_signed(
            &key,
            "accounts.accesscontrol.windows.net",
            now - Duration::from_secs(86_400),
            now + Duration::from_secs(5 * 365 * 86_400),
        )?;
        let kid = URL_SAFE_NO_PAD.encode(Sha1::digest(&cert_der));
        Ok(Self {
            public: key.to_public_key(),
            signer: rsa::pkcs1v15::SigningKey::new(key),
            cert_der,
            kid,
        })
    }

    /// A compact RS256 JWT with header `{typ, alg, kid}`.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": self.kid});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.signer.sign(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// The JWKS entry: `{kty, use, kid, x5t, n, e, x5c, issuer}`.
    pub fn jwk(&self, issuer: &str) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.kid,
            "n": URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
            "x5c": [STANDARD.encode(&self.cert_der)],
            "issuer": issuer,
        })
    }
}

/// Reads the claims of a JWT without checking it.
pub(crate) fn claims_unverified(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// What is wrong with a client assertion (becomes AADSTS700027 with this text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AssertionRejected(pub String);

/// The claims the emulator checks in a client assertion, after the signature.
pub(crate) struct AssertionCheck<'a> {
    pub client_id: &'a str,
    pub audiences: &'a [String],
    pub now: i64,
}

/// Verifies a client assertion against one registered public key (PS256 and RS256 accepted), then its
/// `aud`, `iss` = `sub` = client id, `nbf` and `exp` (five minutes of clock skew allowed).
pub(crate) fn verify_assertion(
    assertion: &str,
    key: &RsaPublicKey,
    check: &AssertionCheck<'_>,
) -> Result<Value, AssertionRejected> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let decoding = DecodingKey::from_rsa_raw_components(&key.n().to_bytes_be(), &key.e().to_bytes_be());
    let mut validation = Validation::new(Algorithm::RS256);
    validation.algorithms = vec![Algorithm::RS256, Algorithm::PS256];
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(assertion, &decoding, &validation).map_err(|e| {
        use jsonwebtoken::errors::ErrorKind;
        match e.kind() {
            ErrorKind::InvalidSignature => {
                AssertionRejected("Client assertion failed signature validation.".into())
            }
            ErrorKind::InvalidAlgorithm => AssertionRejected(
                "Client assertion failed signature validation. The signing algorithm must be PS256 or RS256."
                    .into(),
            ),
            _ => AssertionRejected(format!("Client assertion is not a valid JWT ({e})")),
        }
    })?;
    let claims = data.claims;
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let aud = text("aud");
    if !check
        .audiences
        .iter()
        .any(|expected| expected.eq_ignore_ascii_case(&aud))
    {
        return Err(AssertionRejected(format!(
            "Client assertion audience claim does not match Realm issuer. Audience '{aud}' is not one of the \
             token endpoint addresses of this tenant. Review the documentation at https://aka.ms/certCreds ."
        )));
    }
    if !text("iss").eq_ignore_ascii_case(check.client_id)
        || !text("sub").eq_ignore_ascii_case(check.client_id)
    {
        return Err(AssertionRejected(format!(
            "The issuer and subject of the client assertion must both be the client id '{}'.",
            check.client_id
        )));
    }
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    let skew = 300;
    let (Some(exp), nbf) = (number("exp"), number("nbf")) else {
        return Err(AssertionRejected(
            "The required field 'exp' is missing from the credential. Ensure that you have all the necessary \
             parameters for the login request."
                .into(),
        ));
    };
    if exp + skew < check.now || nbf.is_some_and(|nbf| nbf - skew > check.now) {
        return Err(AssertionRejected(format!(
            "Client assertion is not within its valid time range. Current time: {}, assertion valid from {}, \
             expiry time of assertion {}. Review the documentation at https://aka.ms/certCreds .",
            format_unix(check.now),
            nbf.map(format_unix).unwrap_or_else(|| "(none)".into()),
            format_unix(exp)
        )));
    }
    Ok(claims)
}

fn format_unix(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(super::errors::aad_timestamp)
        .unwrap_or_else(|_| seconds.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::certs::{AssertionAlg, ParsedCertificate, TestCertificate};

    #[test]
    fn signed_tokens_verify_with_the_jwk() {
        let key = signing_key().unwrap();
        let token = key.sign(&json!({"aud": "x", "exp": 4_000_000_000_i64}));
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(key.jwk("iss")).unwrap();
        let decoding = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&["x"]);
        let data = jsonwebtoken::decode::<Value>(&token, &decoding, &validation).unwrap();
        assert_eq!(data.claims["aud"], "x");
        assert_eq!(claims_unverified(&token).unwrap()["aud"], "x");
    }

    #[test]
    fn assertions_are_checked() {
        let certificate = TestCertificate::generate("unit").unwrap();
        let public = ParsedCertificate::from_pem(&certificate.cert_pem)
            .unwrap()
            .public_key;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let audiences = vec!["https://e/t/oauth2/v2.0/token".to_string()];
        let check = AssertionCheck {
            client_id: "c",
            audiences: &audiences,
            now,
        };
        for alg in [AssertionAlg::Ps256, AssertionAlg::Rs256] {
            let good = certificate.client_assertion("c", &audiences[0], alg).unwrap();
            verify_assertion(&good, &public, &check).unwrap();
        }
        let wrong_aud = certificate
            .client_assertion("c", "https://elsewhere", AssertionAlg::Ps256)
            .unwrap();
        assert!(verify_assertion(&wrong_aud, &public, &check)
            .unwrap_err()
            .0
            .contains("audience"));
        let expired = certificate
            .client_assertion_at("c", &audiences[0], AssertionAlg::Ps256, now - 3600, 600)
            .unwrap();
        assert!(verify_assertion(&expired, &public, &check)
            .unwrap_err()
            .0
            .contains("time range"));
        let other = TestCertificate::generate("other").unwrap();
        let forged = other
            .client_assertion("c", &audiences[0], AssertionAlg::Ps256)
            .unwrap();
        assert!(verify_assertion(&forged, &public, &check)
            .unwrap_err()
            .0
            .contains("signature"));
    }
}
