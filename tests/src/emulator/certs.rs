//! X.509 certificates: the emulator's own signing certificate (JWKS `x5c`), certificates registered on app
//! registrations, and [`TestCertificate`], a throwaway client certificate that signs client assertions.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{Decode, DecodePem, Encode, EncodePem};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use super::seed::{ClientCertificate, Timestamp};

/// Why a certificate or an assertion could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("cannot generate an RSA key")]
    Key(#[source] rsa::Error),
    #[error("cannot build the certificate: {0}")]
    Build(String),
    #[error("cannot read the certificate: {0}")]
    Parse(String),
    #[error("cannot sign the client assertion")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// Generates a 2048-bit RSA key (fast in debug builds thanks to the opt-level overrides in Cargo.toml).
pub(crate) fn generate_key() -> Result<RsaPrivateKey, CertError> {
    RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).map_err(CertError::Key)
}

/// A self-signed leaf certificate for `key`, DER.
pub(crate) fn self_signed(
    key: &RsaPrivateKey,
    common_name: &str,
    not_before: SystemTime,
    not_after: SystemTime,
) -> Result<Vec<u8>, CertError> {
    let build = |e: &dyn std::fmt::Display| CertError::Build(e.to_string());
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
    let subject = Name::from_str(&format!("CN={common_name}")).map_err(|e| build(&e))?;
    let spki = SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).map_err(|e| build(&e))?;
    let validity = Validity {
        not_before: Time::try_from(not_before).map_err(|e| build(&e))?,
        not_after: Time::try_from(not_after).map_err(|e| build(&e))?,
    };
    let serial: [u8; 16] = rand::random();
    let serial = SerialNumber::new(&[&[0x01], &serial[..15]].concat()).map_err(|e| build(&e))?;
    let profile = Profile::Leaf {
        issuer: subject.clone(),
        enable_key_agreement: false,
        enable_key_encipherment: false,
    };
    let builder =
        CertificateBuilder::new(profile, serial, validity, subject, spki, &signer).map_err(|e| build(&e))?;
    let certificate = builder
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| build(&e))?;
    certificate.to_der().map_err(|e| build(&e))
}

/// A registered certificate, read.
#[derive(Clone, Debug)]
pub(crate) struct ParsedCertificate {
    pub public_key: RsaPublicKey,
    pub der: Vec<u8>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl ParsedCertificate {
    pub fn from_pem(pem: &str) -> Result<Self, CertError> {
        let parse = |e: &dyn std::fmt::Display| CertError::Parse(e.to_string());
        let certificate = Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| parse(&e))?;
        let der = certificate.to_der().map_err(|e| parse(&e))?;
        let spki = certificate
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| parse(&e))?;
        let public_key = RsaPublicKey::from_public_key_der(&spki).map_err(|e| parse(&e))?;
        let validity = &certificate.tbs_certificate.validity;
        let to_time = |time: &Time| {
            OffsetDateTime::from_unix_timestamp(time.to_unix_duration().as_secs() as i64)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        };
        Ok(Self {
            public_key,
            not_before: to_time(&validity.not_before),
            not_after: to_time(&validity.not_after),
            der,
        })
    }

    /// `x5t`: base64url SHA-1 of the DER.
    pub fn x5t(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha1::digest(&self.der))
    }

    /// `x5t#S256`: base64url SHA-256 of the DER.
    pub fn x5t_s256(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(&self.der))
    }

    /// The thumbprint Entra shows (`customKeyIdentifier`): upper-case hex SHA-1.
    pub fn thumbprint(&self) -> String {
        hex_upper(&Sha1::digest(&self.der))
    }
}

pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02X}")).collect()
}

/// Signature algorithm of a client assertion: Microsoft documents PS256; older guidance used RS256.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssertionAlg {
    Ps256,
    Rs256,
}

/// A throwaway client certificate with its private key, to register on an app and sign client assertions.
#[derive(Clone)]
pub struct TestCertificate {
    key: RsaPrivateKey,
    parsed: ParsedCertificate,
    /// `-----BEGIN CERTIFICATE-----` …
    pub cert_pem: String,
}

impl std::fmt::Debug for TestCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCertificate")
            .field("thumbprint", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl TestCertificate {
    /// A certificate valid from a day ago for a year.
    pub fn generate(common_name: &str) -> Result<Self, CertError> {
        let now = SystemTime::now();
        Self::generate_valid(
            common_name,
            now - Duration::from_secs(86_400),
            now + Duration::from_secs(365 * 86_400),
        )
    }

    /// A certificate valid between the two times.
    pub fn generate_valid(
        common_name: &str,
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Result<Self, CertError> {
        let key = generate_key()?;
        let der = self_signed(&key, common_name, not_before, not_after)?;
        let certificate = Certificate::from_der(&der).map_err(|e| CertError::Parse(e.to_string()))?;
        let cert_pem = certificate
            .to_pem(LineEnding::LF)
            .map_err(|e| CertError::Build(e.to_string()))?;
        let parsed = ParsedCertificate::from_pem(&cert_pem)?;
        Ok(Self {
            key,
            parsed,
            cert_pem,
        })
    }

    /// The private key, PKCS#8 PEM (what a product would load from disk).
    pub fn private_key_pem(&self) -> Result<String, CertError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| CertError::Build(e.to_string()))
    }

    /// The public key, SPKI PEM.
    pub fn public_key_pem(&self) -> Result<String, CertError> {
        self.key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| CertError::Build(e.to_string()))
    }

    /// Upper-case hex SHA-1 thumbprint, as the Entra portal shows it.
    pub fn thumbprint(&self) -> String {
        self.parsed.thumbprint()
    }

    pub fn x5t(&self) -> String {
        self.parsed.x5t()
    }

    pub fn x5t_s256(&self) -> String {
        self.parsed.x5t_s256()
    }

    /// The credential to put in an app registration's `certificates`.
    pub fn credential(&self, display_name: &str) -> ClientCertificate {
        ClientCertificate {
            key_id: Uuid::new_v4(),
            display_name: display_name.into(),
            pem: self.cert_pem.clone(),
            start: None,
            end: None,
        }
    }

    /// A client assertion (`private_key_jwt`) valid for ten minutes from now.
    pub fn client_assertion(
        &self,
        client_id: &str,
        audience: &str,
        alg: AssertionAlg,
    ) -> Result<String, CertError> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        self.client_assertion_at(client_id, audience, alg, now, 600)
    }

    /// A client assertion with `nbf = iat = issued_at` and `exp = issued_at + lifetime_secs`.
    pub fn client_assertion_at(
        &self,
        client_id: &str,
        audience: &str,
        alg: AssertionAlg,
        issued_at: i64,
        lifetime_secs: i64,
    ) -> Result<String, CertError> {
        let mut header = jsonwebtoken::Header::new(match alg {
            AssertionAlg::Ps256 => jsonwebtoken::Algorithm::PS256,
            AssertionAlg::Rs256 => jsonwebtoken::Algorithm::RS256,
        });
        header.typ = Some("JWT".into());
        match alg {
            AssertionAlg::Ps256 => header.x5t_s256 = Some(self.x5t_s256()),
            AssertionAlg::Rs256 => header.x5t = Some(self.x5t()),
        }
        let claims = serde_json::json!({
            "aud": audience,
            "iss": client_id,
            "sub": client_id,
            "jti": Uuid::new_v4().to_string(),
            "nbf": issued_at,
            "iat": issued_at,
            "exp": issued_at + lifetime_secs,
        });
        let der = self
            .key
            .to_pkcs1_der()
            .map_err(|e| CertError::Build(e.to_string()))?;
        let key = jsonwebtoken::EncodingKey::from_rsa_der(der.as_bytes());
        jsonwebtoken::encode(&header, &claims, &key).map_err(CertError::Sign)
    }

    /// When the certificate starts and stops being valid.
    pub fn validity(&self) -> (Timestamp, Timestamp) {
        (
            Timestamp(self.parsed.not_before),
            Timestamp(self.parsed.not_after),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_certificate_reads_back() {
        let certificate = TestCertificate::generate("unit").unwrap();
        let parsed = ParsedCertificate::from_pem(&certificate.cert_pem).unwrap();
        assert_eq!(parsed.public_key, certificate.key.to_public_key());
        assert_eq!(parsed.thumbprint().len(), 40);
        assert!(parsed.not_before < parsed.not_after);
        let assertion = certificate
            .client_assertion("client", "aud", AssertionAlg::Ps256)
            .unwrap();
        let header = jsonwebtoken::decode_header(&assertion).unwrap();
        assert_eq!(header.alg, jsonwebtoken::Algorithm::PS256);
        assert_eq!(header.x5t_s256.as_deref(), Some(parsed.x5t_s256().as_str()));
    }
}
