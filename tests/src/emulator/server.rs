//! The HTTP/1.1 accept loop. Hand-rolled over hyper (instead of `axum::serve`) so that fault injection can
//! delay a request or drop its connection before the router sees it.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use super::faults::{inject, Injected};
use super::state::App;

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for DropConnection {}

/// Serves until the task is aborted; aborting drops every open connection too.
/// With `tls`, every connection is HTTPS.
pub(crate) async fn serve(listener: TcpListener, tls: Option<TlsAcceptor>, app: App, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off briefly instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                // As HTTP servers in production do: a response's last TLS record waits for no ACK (Nagle with
                // the client's delayed ACK held some answers back by 40 ms).
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let router = router.clone();
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    handle(app.clone(), router.clone(), request)
                });
                let tls = tls.clone();
                connections.spawn(async move {
                    // A client that goes away mid-request (or mid-handshake) is not the emulator's problem.
                    let mut http = hyper::server::conn::http1::Builder::new();
                    http.keep_alive(true);
                    let _ = match tls {
                        None => http.serve_connection(TokioIo::new(stream), service).await,
                        Some(tls) => match tls.accept(stream).await {
                            Ok(stream) => http.serve_connection(TokioIo::new(stream), service).await,
                            Err(_) => return,
                        },
                    };
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn handle(app: App, router: Router, request: Request<Incoming>) -> Result<Response, DropConnection> {
    let injected = {
        let mut state = app.lock();
        inject(
            &app.base,
            &mut state,
            request.method(),
            request.uri().path(),
            request.headers(),
        )
    };
    match injected {
        Injected::None => {}
        Injected::Drop(delay) => {
            tokio::time::sleep(delay).await;
            return Err(DropConnection);
        }
        Injected::Delay(delay, answer) => {
            tokio::time::sleep(delay).await;
            if let Some(answer) = answer {
                return Ok(answer);
            }
        }
    }
    let result: Result<Response, Infallible> = router.oneshot(request.map(Body::new)).await;
    let Ok(response) = result;
    Ok(response)
}
