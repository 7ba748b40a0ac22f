//! The one way Mailgrant builds HTTP clients for Microsoft's endpoints: rustls, timeouts everywhere, no
//! redirects followed (a token endpoint that redirects is an error, and following redirects invites SSRF), and
//! optional extra trusted roots for corporate TLS inspection.

use std::time::Duration;

/// Time allowed to connect (DNS + TCP + TLS).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Time allowed for a whole request, answer included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("cannot read the CA file {path}")]
    ReadCa {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use the CA file {path}: it holds no PEM certificate")]
    BadCa {
        path: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("cannot set up HTTPS")]
    Build(#[source] reqwest::Error),
}

/// Extra trusted roots (PEM bundle path), for networks that inspect TLS, and for tests.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    pub ca_file: Option<std::path::PathBuf>,
    pub request_timeout: Option<Duration>,
}

pub fn client(options: &HttpOptions) -> Result<reqwest::Client, HttpSetupError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .https_only(false)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(options.request_timeout.unwrap_or(REQUEST_TIMEOUT))
        .user_agent(concat!("Mailgrant/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &options.ca_file {
        let pem = std::fs::read(path).map_err(|source| HttpSetupError::ReadCa {
            path: path.display().to_string(),
            source,
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| HttpSetupError::BadCa {
            path: path.display().to_string(),
            source,
        })?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(HttpSetupError::Build)
}

/// The host of a URL, for diagnoses.
pub fn host_of(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| url.to_owned())
}
