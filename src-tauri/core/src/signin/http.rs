//! The one way Mailgrant builds HTTP clients for Microsoft's endpoints: rustls, timeouts everywhere, no
//! redirects followed (a token endpoint that redirects is an error, and following redirects invites SSRF), and
//! optional extra trusted roots for corporate TLS inspection.

use std::time::Duration;

use crate::diagnosis::Diagnosis;

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

/// Extra trusted roots (a PEM bundle's path, or DER certificates), for networks that inspect TLS, and for tests;
/// other time limits than the defaults.
#[derive(Debug, Clone, Default)]
pub struct HttpOptions {
    pub ca_file: Option<std::path::PathBuf>,
    pub request_timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    pub extra_roots: Vec<Vec<u8>>,
    /// Trust only the extra roots, not the public (Mozilla) ones.
    pub only_extra_roots: bool,
}

/// The one HTTP client builder: for the identity platform, Graph and the Graph probe alike.
pub fn client(options: &HttpOptions) -> Result<reqwest::Client, HttpSetupError> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(!options.only_extra_roots)
        .https_only(false)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(options.connect_timeout.unwrap_or(CONNECT_TIMEOUT))
        .timeout(options.request_timeout.unwrap_or(REQUEST_TIMEOUT))
        .user_agent(concat!("Mailgrant/", env!("CARGO_PKG_VERSION")));
    for der in &options.extra_roots {
        let certificate = reqwest::Certificate::from_der(der).map_err(HttpSetupError::Build)?;
        builder = builder.add_root_certificate(certificate);
    }
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

/// The most of an answer Mailgrant reads: Graph's largest page of applications is a few MiB; anything past this
/// is not an identity platform's or Graph's answer, and is not held in memory.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// What an HTTP exchange gave back: the status, the headers Mailgrant reads, and the body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    /// `Retry-After`, as sent (seconds or a date).
    pub retry_after: Option<String>,
    pub body: String,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends `request` (to `url`) and reads the answer: the status, content type, `Retry-After` and the body (at most
/// [`MAX_BODY_BYTES`]), or why not as a diagnosis. Nothing that may carry a secret goes over plain http:// to
/// another computer: such a `url` is refused before a byte is sent. The one way Mailgrant talks HTTP: the token
/// endpoint, discovery, the device code, Graph (directory imports and the probe).
pub async fn exchange(url: &str, request: reqwest::RequestBuilder) -> Result<Answer, Box<Diagnosis>> {
    crate::diagnosis::transport::check_secure(url)?;
    let host = host_of(url);
    let failed = |e: &reqwest::Error| Box::new(Diagnosis::from_reqwest(e, &host));
    let mut response = request.send().await.map_err(|e| failed(&e))?;
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (content_type, retry_after) = (
        header(reqwest::header::CONTENT_TYPE),
        header(reqwest::header::RETRY_AFTER),
    );
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(&e))? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(Box::new(Diagnosis::response_too_large(&host, MAX_BODY_BYTES)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        content_type,
        retry_after,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}
