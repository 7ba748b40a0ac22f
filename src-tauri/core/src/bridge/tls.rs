//! The LAN mode's certificate: self-signed (rcgen), for the names and addresses devices use to reach this
//! machine, with a SHA-256 fingerprint to compare on the device. Its private key belongs in the keychain.

use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;

use crate::sensitive::SecretString;

/// A certificate and its key, PEM.
pub struct LanCertificate {
    pub certificate_pem: String,
    key_pem: SecretString,
}

impl std::fmt::Debug for LanCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanCertificate")
            .field("fingerprint", &self.fingerprint().ok())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("cannot make a certificate")]
    Generate(#[source] rcgen::Error),
    #[error("cannot read the certificate or its key: {0}")]
    Pem(String),
    #[error("cannot use the certificate for TLS")]
    Tls(#[source] tokio_rustls::rustls::Error),
}

impl LanCertificate {
    /// A new self-signed certificate for `names` (host names and IP addresses).
    pub fn generate(names: &[String]) -> Result<Self, CertificateError> {
        let mut params = rcgen::CertificateParams::new(names.to_vec()).map_err(CertificateError::Generate)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Mailgrant mail bridge");
        let key = rcgen::KeyPair::generate().map_err(CertificateError::Generate)?;
        let cert = params.self_signed(&key).map_err(CertificateError::Generate)?;
        Ok(Self {
            certificate_pem: cert.pem(),
            key_pem: SecretString::new(key.serialize_pem()),
        })
    }

    /// A certificate kept earlier.
    pub fn from_pem(certificate_pem: String, key_pem: SecretString) -> Self {
        Self {
            certificate_pem,
            key_pem,
        }
    }

    /// The private key, PEM: for the keychain only.
    pub fn key_pem(&self) -> &SecretString {
        &self.key_pem
    }

    fn der(&self) -> Result<CertificateDer<'static>, CertificateError> {
        CertificateDer::from_pem_slice(self.certificate_pem.as_bytes())
            .map_err(|e| CertificateError::Pem(e.to_string()))
    }

    /// SHA-256 of the certificate, `AB:CD:…`, as devices show it.
    pub fn fingerprint(&self) -> Result<String, CertificateError> {
        let digest = Sha256::digest(self.der()?.as_ref());
        Ok(digest
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":"))
    }

    /// The server side of TLS with this certificate.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, CertificateError> {
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.expose().as_bytes())
            .map_err(|e| CertificateError::Pem(e.to_string()))?;
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(CertificateError::Tls)?
            .with_no_client_auth()
            .with_single_cert(vec![self.der()?], key)
            .map_err(CertificateError::Tls)?;
        Ok(Arc::new(config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_for_names_and_addresses_with_a_fingerprint() {
        let cert = LanCertificate::generate(&["localhost".into(), "192.168.1.20".into()]).unwrap();
        let fingerprint = cert.fingerprint().unwrap();
        assert_eq!(fingerprint.len(), 32 * 3 - 1);
        assert!(cert.server_config().is_ok());
        assert!(format!("{cert:?}").contains(&fingerprint));
        assert!(!format!("{cert:?}").contains("PRIVATE KEY"));
        let again = LanCertificate::from_pem(cert.certificate_pem.clone(), cert.key_pem().clone());
        assert_eq!(again.fingerprint().unwrap(), fingerprint);
    }
}
