//! The loopback redirect (RFC 8252 §7.3): Mailgrant listens on 127.0.0.1 and ::1 on one ephemeral port,
//! registers `http://localhost` in Entra (which ignores the port for localhost), and accepts exactly one valid
//! callback. A request with the wrong state is answered with an error page and ignored, so a stray or forged
//! request can't end the sign-in; Microsoft's own error redirect ends it with a diagnosis.

use std::convert::Infallible;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::authcode::parse_callback;
use super::SignInError;
use crate::sensitive::SecretString;

/// How long the browser has to come back.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// At most this many connections are served at once; more wait to be accepted (a local process opening
/// thousands would otherwise take the app's file descriptors for the whole wait).
pub const MAX_CONNECTIONS: usize = 32;
/// How long a connection may take to send its request line and headers (a browser sends them at once).
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How many ephemeral ports are tried for one free on both 127.0.0.1 and ::1.
const BIND_ATTEMPTS: usize = 16;

/// A bound loopback listener, ready before the browser is opened.
#[derive(Debug)]
pub struct LoopbackRedirect {
    listeners: Vec<TcpListener>,
    port: u16,
}

type Outcome = Result<SecretString, SignInError>;

impl LoopbackRedirect {
    /// Binds 127.0.0.1 on an ephemeral port, and ::1 on the same port where IPv6 is available (`localhost`
    /// may resolve to either in the browser). When another program holds that port on ::1, another port is
    /// picked for both: a browser that resolves `localhost` to ::1 must reach Mailgrant, not that program.
    pub async fn bind() -> Result<Self, SignInError> {
        let mut last = None;
        for _ in 0..BIND_ATTEMPTS {
            let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .map_err(SignInError::Listen)?;
            let port = v4.local_addr().map_err(SignInError::Listen)?.port();
            match Self::pair(v4, port).await {
                Ok(bound) => return Ok(bound),
                Err(taken) => last = Some(taken),
            }
        }
        Err(SignInError::Listen(last.unwrap_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::AddrInUse, "no port free on both loopbacks")
        })))
    }

    /// `v4` (bound to `port`) with ::1 on the same port: the pair, or why ::1's port is taken (try another).
    /// Without IPv6 on this computer, 127.0.0.1 alone.
    async fn pair(v4: TcpListener, port: u16) -> Result<Self, std::io::Error> {
        match TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
            Ok(v6) => Ok(Self {
                listeners: vec![v4, v6],
                port,
            }),
            Err(err) if err.kind() == std::io::ErrorKind::AddrInUse => Err(err),
            Err(err) => {
                tracing::debug!(%err, "no IPv6 loopback; listening on 127.0.0.1 only");
                Ok(Self {
                    listeners: vec![v4],
                    port,
                })
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The redirect URI to send in the authorize request.
    pub fn redirect_uri(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    /// Waits for the one valid callback carrying `state`, until `timeout` or `cancel`.
    pub async fn wait(
        self,
        state: impl Into<String>,
        timeout: Duration,
        cancel: CancellationToken,
    ) -> Outcome {
        let (tx, mut rx) = mpsc::channel::<Outcome>(1);
        let state: Arc<str> = Arc::from(state.into());
        let mut accept_loops = JoinSet::new();
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        for listener in self.listeners {
            let (tx, state, slots) = (tx.clone(), state.clone(), slots.clone());
            accept_loops.spawn(async move {
                let mut backoff = Duration::from_millis(10);
                loop {
                    let Ok(slot) = slots.clone().acquire_owned().await else {
                        return;
                    };
                    let stream = match listener.accept().await {
                        Ok((stream, _)) => {
                            backoff = Duration::from_millis(10);
                            stream
                        }
                        Err(err) => {
                            // Out of file descriptors, say: wait instead of spinning a core on the error.
                            tracing::debug!(%err, "loopback accept failed");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(Duration::from_secs(1));
                            continue;
                        }
                    };
                    let (tx, state) = (tx.clone(), state.clone());
                    // Detached: the answer page is still written after the wait has returned.
                    tokio::spawn(async move {
                        let _slot = slot;
                        let service = hyper::service::service_fn(move |req| {
                            let (tx, state) = (tx.clone(), state.clone());
                            async move { Ok::<_, Infallible>(answer(&req, &state, &tx).await) }
                        });
                        let conn = hyper::server::conn::http1::Builder::new()
                            .timer(hyper_util::rt::TokioTimer::new())
                            .header_read_timeout(HEADER_TIMEOUT)
                            .serve_connection(TokioIo::new(stream), service);
                        let _ = tokio::time::timeout(Duration::from_secs(30), conn).await;
                    });
                }
            });
        }
        drop(tx);
        let outcome = tokio::select! {
            Some(outcome) = rx.recv() => outcome,
            () = tokio::time::sleep(timeout) => Err(SignInError::TimedOut(timeout)),
            () = cancel.cancelled() => Err(SignInError::Cancelled),
        };
        accept_loops.abort_all();
        outcome
    }
}

async fn answer(req: &Request<Incoming>, state: &str, tx: &mpsc::Sender<Outcome>) -> Response<Full<Bytes>> {
    let query = req.uri().query().unwrap_or_default();
    let is_callback = req.uri().path() == "/"
        && url::form_urlencoded::parse(query.as_bytes()).any(|(k, _)| k == "code" || k == "error");
    if !is_callback {
        return page(
            StatusCode::NOT_FOUND,
            "Nothing here",
            "This address only receives Mailgrant's sign-in.",
        );
    }
    match parse_callback(query, state) {
        Ok(code) => {
            let _ = tx.send(Ok(code)).await;
            page(
                StatusCode::OK,
                "You're signed in",
                "Mailgrant has what it needs. You can close this tab and go back to Mailgrant.",
            )
        }
        Err(SignInError::Failed(diagnosis)) => {
            let body = format!("{} Mailgrant shows what to do next.", diagnosis.explanation);
            let title = diagnosis.title.clone();
            let _ = tx.send(Err(SignInError::Failed(diagnosis))).await;
            page(StatusCode::OK, &title, &body)
        }
        Err(SignInError::StateMismatch) => page(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not the current one",
            "It does not belong to the sign-in Mailgrant is waiting for (an old tab, or a link from elsewhere). \
             Start the sign-in again from Mailgrant.",
        ),
        Err(other) => page(StatusCode::BAD_REQUEST, "Mailgrant could not read this answer", &other.to_string()),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, text: &str) -> Response<Full<Bytes>> {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} — Mailgrant</title>\
         <meta name=\"color-scheme\" content=\"light dark\"><style>body{{font-family:system-ui,sans-serif;\
         max-width:34rem;margin:15vh auto;padding:0 1.5rem;line-height:1.5}}h1{{font-size:1.6rem}}</style></head>\
         <body><h1>{title}</h1><p>{text}</p></body></html>",
        title = escape(title),
        text = escape(text)
    );
    let mut response = Response::new(Full::new(Bytes::from(html)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        hyper::header::REFERRER_POLICY,
        hyper::header::HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str) -> (u16, String) {
        let r = reqwest::Client::new().get(url).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    #[tokio::test]
    async fn accepts_one_valid_callback_and_ignores_a_forged_one() {
        let lb = LoopbackRedirect::bind().await.unwrap();
        let base = lb.redirect_uri();
        let cancel = CancellationToken::new();
        let waiting = tokio::spawn(async move { lb.wait("s-123", Duration::from_secs(10), cancel).await });
        let (status, body) = get(&format!("{base}/favicon.ico")).await;
        assert_eq!(status, 404, "{body}");
        let (status, body) = get(&format!("{base}/?code=forged&state=other")).await;
        assert_eq!(status, 400);
        assert!(body.contains("not the current one"));
        let (status, body) = get(&format!("{base}/?code=M.real&state=s-123")).await;
        assert_eq!(status, 200);
        assert!(body.contains("close this tab"));
        let code = waiting.await.unwrap().unwrap();
        assert_eq!(code.expose(), "M.real");
    }

    #[tokio::test]
    async fn listens_on_ipv6_loopback_too_when_available() {
        let lb = LoopbackRedirect::bind().await.unwrap();
        let port = lb.port();
        let has_v6 = lb.listeners.len() == 2;
        let waiting = tokio::spawn(lb.wait("s", Duration::from_secs(10), CancellationToken::new()));
        let host = if has_v6 { "[::1]" } else { "127.0.0.1" };
        let (status, _) = get(&format!("http://{host}:{port}/?code=c&state=s")).await;
        assert_eq!(status, 200);
        assert_eq!(waiting.await.unwrap().unwrap().expose(), "c");
    }

    #[tokio::test]
    async fn a_microsoft_error_ends_the_wait_with_its_diagnosis() {
        let lb = LoopbackRedirect::bind().await.unwrap();
        let base = lb.redirect_uri();
        let waiting = tokio::spawn(lb.wait("s", Duration::from_secs(10), CancellationToken::new()));
        let (status, body) = get(&format!(
            "{base}/?error=access_denied&error_description=AADSTS65004%3A+User+declined&state=s"
        ))
        .await;
        assert_eq!(status, 200);
        assert!(body.contains("Mailgrant shows what to do next"));
        let err = waiting.await.unwrap().unwrap_err();
        assert_eq!(err.diagnosis().and_then(|d| d.raw.aadsts), Some(65004));
    }

    #[tokio::test]
    async fn a_port_another_program_holds_on_ipv6_is_not_used_for_ipv4_alone() {
        // Someone else's listener on [::1]:P; Mailgrant's pair for P must refuse, so that bind() picks another.
        let Ok(theirs) = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).await else {
            return; // no IPv6 here: nothing to collide with
        };
        let port = theirs.local_addr().unwrap().port();
        let Ok(v4) = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await else {
            return; // the port is taken on IPv4 too: the collision can't be set up
        };
        let taken = LoopbackRedirect::pair(v4, port).await.unwrap_err();
        assert_eq!(taken.kind(), std::io::ErrorKind::AddrInUse);
        let lb = LoopbackRedirect::bind().await.unwrap();
        assert_ne!(lb.port(), port);
        assert_eq!(lb.listeners.len(), 2, "both loopbacks, on a port free on both");
    }

    #[tokio::test]
    async fn idle_connections_beyond_the_cap_do_not_keep_the_answer_out() {
        let lb = LoopbackRedirect::bind().await.unwrap();
        let base = lb.redirect_uri().replace("localhost", "127.0.0.1");
        let addr = format!("127.0.0.1:{}", lb.port());
        let waiting = tokio::spawn(lb.wait("s1", Duration::from_secs(30), CancellationToken::new()));
        // A local process opens more connections than are served at once, and sends nothing.
        let mut idle = Vec::new();
        for _ in 0..MAX_CONNECTIONS + 8 {
            idle.push(tokio::net::TcpStream::connect(&addr).await.unwrap());
        }
        let began = std::time::Instant::now();
        let (status, _) = get(&format!("{base}/?code=M.real&state=s1")).await;
        assert_eq!(status, 200);
        let code = waiting.await.unwrap().unwrap();
        assert_eq!(code.expose(), "M.real");
        // The cap held: the answer waited for the idle ones to be dropped at the header timeout (without a cap it
        // would have been served at once), and then came through.
        let waited = began.elapsed();
        assert!(
            waited >= HEADER_TIMEOUT / 2,
            "{waited:?}: more than {MAX_CONNECTIONS} were served at once"
        );
        assert!(waited < HEADER_TIMEOUT * 3, "{waited:?}");
        drop(idle);
    }

    #[tokio::test]
    async fn times_out_and_can_be_cancelled() {
        let lb = LoopbackRedirect::bind().await.unwrap();
        let err = lb
            .wait("s", Duration::from_millis(50), CancellationToken::new())
            .await
            .unwrap_err();
        assert!(matches!(err, SignInError::TimedOut(_)));

        let lb = LoopbackRedirect::bind().await.unwrap();
        let port = lb.port();
        let cancel = CancellationToken::new();
        let waiting = tokio::spawn(lb.wait("s", Duration::from_secs(60), cancel.clone()));
        cancel.cancel();
        assert!(matches!(
            waiting.await.unwrap().unwrap_err(),
            SignInError::Cancelled
        ));
        // The port is released once the wait is over.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await.is_ok());
    }
}
