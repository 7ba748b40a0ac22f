//! The local mail bridge: IMAP, POP3 and SMTP-submission listeners for programs that only know passwords (the
//! scanner that mails its scans, the old mail program, the script with a password in it).
//!
//! A program logs in to the bridge with the account's address (or its name in Mailgrant) and the account's
//! **bridge password**, a random password Mailgrant generates and keeps in the keychain beside the account's
//! tokens. The bridge then connects to the account's own mail server (TLS or STARTTLS, as the probes do),
//! authenticates with SASL XOAUTH2 and a fresh access token from the [`TokenService`], and from then on passes the
//! session through unchanged. SMTP stays in the command loop after AUTH: every `MAIL FROM` must be the account's
//! own address (or its shared mailbox), so the bridge is never an open relay; the message itself (`DATA`) is
//! passed through as it is.
//!
//! Safe by default: it listens on 127.0.0.1. The LAN mode ("let devices on my network use it") binds a chosen
//! address and requires TLS (implicit, or STARTTLS before any login) with a certificate from [`tls`]. Wrong
//! passwords slow down the peer that sent them (a per-address backoff) and are logged without the password; a
//! revoked bridge password is refused from the next login on (it is read from the keychain at every login); an
//! upstream failure reaches the program as its protocol's authentication failure and the app as a
//! [`Diagnosis`] in [`BridgeStatus::last_errors`].

mod imap;
mod pop;
mod session;
mod smtp;
pub mod tls;
mod upstream;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::rustls::{ClientConfig, ServerConfig};
use tokio_util::sync::CancellationToken;

use crate::diagnosis::mail::MailProtocol;
use crate::diagnosis::Diagnosis;
use crate::model::Service;
use crate::token_lifecycle::{now_unix, TokenService};

pub use session::generate_password;

/// Which mail protocol a listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum BridgeProtocol {
    Imap,
    Pop,
    Smtp,
}

impl BridgeProtocol {
    pub const ALL: [BridgeProtocol; 3] = [BridgeProtocol::Imap, BridgeProtocol::Pop, BridgeProtocol::Smtp];

    pub fn name(self) -> &'static str {
        match self {
            BridgeProtocol::Imap => "IMAP",
            BridgeProtocol::Pop => "POP",
            BridgeProtocol::Smtp => "SMTP",
        }
    }

    /// The account's service the protocol needs.
    pub fn service(self) -> Service {
        match self {
            BridgeProtocol::Imap => Service::Imap,
            BridgeProtocol::Pop => Service::Pop,
            BridgeProtocol::Smtp => Service::Smtp,
        }
    }

    fn mail_protocol(self) -> MailProtocol {
        match self {
            BridgeProtocol::Imap => MailProtocol::Imap,
            BridgeProtocol::Pop => MailProtocol::Pop,
            BridgeProtocol::Smtp => MailProtocol::Smtp,
        }
    }
}

/// One listener to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerSpec {
    pub protocol: BridgeProtocol,
    /// 0: any free port (tests).
    pub port: u16,
    /// TLS from the first byte (IMAPS, POP3S, SMTPS); needs the LAN certificate.
    pub implicit_tls: bool,
}

/// The ports the bridge uses unless told otherwise: the standard ones plus 1000, so no root is needed and no
/// real mail server on the machine is in the way.
pub const DEFAULT_IMAP_PORT: u16 = 1143;
pub const DEFAULT_POP_PORT: u16 = 1110;
pub const DEFAULT_SMTP_PORT: u16 = 1587;
/// The LAN mode's implicit-TLS ports.
pub const DEFAULT_IMAPS_PORT: u16 = 1993;
pub const DEFAULT_POP3S_PORT: u16 = 1995;
pub const DEFAULT_SMTPS_PORT: u16 = 1465;

/// Where and how the bridge listens.
#[derive(Clone)]
pub struct BridgeConfig {
    /// 127.0.0.1 unless the LAN mode is on.
    pub address: IpAddr,
    pub listeners: Vec<ListenerSpec>,
    /// The certificate the bridge presents (STARTTLS and implicit TLS). Required off loopback.
    pub tls: Option<Arc<ServerConfig>>,
    /// Refuse a login before TLS. Always on off loopback.
    pub require_tls: bool,
    pub timeouts: BridgeTimeouts,
    /// The most connections at once; more wait for a free place.
    pub max_connections: usize,
}

impl std::fmt::Debug for BridgeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeConfig")
            .field("address", &self.address)
            .field("listeners", &self.listeners)
            .field("tls", &self.tls.is_some())
            .field("require_tls", &self.require_tls)
            .finish_non_exhaustive()
    }
}

impl BridgeConfig {
    /// IMAP, POP and SMTP on 127.0.0.1 at these ports (0: any free port); a protocol whose port is `None` is off.
    pub fn loopback(imap: Option<u16>, pop: Option<u16>, smtp: Option<u16>) -> Self {
        let listeners = [
            (BridgeProtocol::Imap, imap),
            (BridgeProtocol::Pop, pop),
            (BridgeProtocol::Smtp, smtp),
        ]
        .into_iter()
        .filter_map(|(protocol, port)| {
            port.map(|port| ListenerSpec {
                protocol,
                port,
                implicit_tls: false,
            })
        })
        .collect();
        Self {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            listeners,
            tls: None,
            require_tls: false,
            timeouts: BridgeTimeouts::default(),
            max_connections: 512,
        }
    }

    /// The LAN mode on `address`: TLS required, the same protocols also offered with implicit TLS at
    /// `implicit` ports (IMAP, POP, SMTP; `None`: not offered).
    pub fn lan(mut self, address: IpAddr, tls: Arc<ServerConfig>, implicit: [Option<u16>; 3]) -> Self {
        self.address = address;
        self.tls = Some(tls);
        self.require_tls = true;
        for (protocol, port) in BridgeProtocol::ALL.into_iter().zip(implicit) {
            if let Some(port) = port {
                self.listeners.push(ListenerSpec {
                    protocol,
                    port,
                    implicit_tls: true,
                });
            }
        }
        self
    }
}

/// The time limits of a session.
#[derive(Debug, Clone, Copy)]
pub struct BridgeTimeouts {
    /// How long the bridge waits for the program's next line before it logs in.
    pub pre_auth: Duration,
    /// Connecting and authenticating to the mail server, and each SMTP reply from it.
    pub upstream: Duration,
    /// An SMTP session's wait for the program's next command after AUTH.
    pub smtp_idle: Duration,
}

impl Default for BridgeTimeouts {
    fn default() -> Self {
        Self {
            pre_auth: Duration::from_secs(120),
            upstream: Duration::from_secs(30),
            smtp_idle: Duration::from_secs(600),
        }
    }
}

/// A listener that is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BoundListener {
    pub protocol: BridgeProtocol,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub address: SocketAddr,
    /// The address's IP as a program's settings want it (no brackets), and its port.
    pub host: String,
    pub port: u16,
    pub implicit_tls: bool,
}

/// A session that has logged in and is passed through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OpenSession {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: u64,
    pub protocol: BridgeProtocol,
    pub account: String,
    /// The program's address and port.
    pub peer: String,
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub since: i64,
}

/// Something that went wrong: a refused login, a refused sender, the mail server refusing the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BridgeEvent {
    /// Unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    pub protocol: BridgeProtocol,
    /// The account, when the login named one that exists.
    pub account: Option<String>,
    pub peer: String,
    /// In plain words, never with a password or token.
    pub message: String,
    /// The explanation, when Microsoft or the mail server said no.
    pub diagnosis: Option<Diagnosis>,
}

/// What the app and `mailgrant bridge run` show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct BridgeStatus {
    pub listeners: Vec<BoundListener>,
    /// Connections not yet logged in.
    pub connecting: u32,
    pub sessions: Vec<OpenSession>,
    /// The latest first, at most [`MAX_EVENTS`].
    pub last_errors: Vec<BridgeEvent>,
    /// Logins that reached the mail server since the bridge started.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub logins: u64,
}

/// How many events the status keeps.
pub const MAX_EVENTS: usize = 50;

/// A wrong password costs its peer this long, doubling per further failure up to [`MAX_PENALTY`].
const FIRST_PENALTY: Duration = Duration::from_millis(500);
const MAX_PENALTY: Duration = Duration::from_secs(16);
/// Failures older than this are forgotten.
const PENALTY_MEMORY: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<u64, OpenSession>,
    connecting: u32,
    events: VecDeque<BridgeEvent>,
    failures: HashMap<IpAddr, Failures>,
    listeners: Vec<BoundListener>,
    logins: u64,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// The bridge's shared state: the token service, the upstream TLS configuration, sessions and events.
pub(crate) struct Shared {
    tokens: Arc<TokenService>,
    upstream_tls: Arc<ClientConfig>,
    timeouts: BridgeTimeouts,
    state: Mutex<State>,
    next_id: AtomicU64,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn record(&self, event: BridgeEvent) {
        let mut state = self.state();
        state.events.push_front(event);
        state.events.truncate(MAX_EVENTS);
    }

    /// How long a peer waits before its login is checked: nothing until it has failed.
    fn penalty(&self, peer: IpAddr) -> Duration {
        let mut state = self.state();
        match state.failures.get(&peer).copied() {
            Some(f) if f.last.elapsed() > PENALTY_MEMORY => {
                state.failures.remove(&peer);
                Duration::ZERO
            }
            Some(f) => penalty_for(f.count),
            None => Duration::ZERO,
        }
    }

    fn failed(&self, peer: IpAddr) -> Duration {
        let mut state = self.state();
        let entry = state.failures.entry(peer).or_insert(Failures {
            count: 0,
            last: Instant::now(),
        });
        entry.count = entry.count.saturating_add(1);
        entry.last = Instant::now();
        let count = entry.count;
        // Bounded: forget the oldest peers when too many are remembered.
        if state.failures.len() > 4096 {
            state.failures.retain(|_, f| f.last.elapsed() < PENALTY_MEMORY);
        }
        penalty_for(count)
    }

    fn succeeded(&self, peer: IpAddr) {
        self.state().failures.remove(&peer);
    }

    /// Registers an open session; it is removed when the guard drops.
    pub(crate) fn open_session(
        self: &Arc<Self>,
        protocol: BridgeProtocol,
        account: &str,
        peer: SocketAddr,
    ) -> SessionGuard {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut state = self.state();
        state.logins += 1;
        state.sessions.insert(
            id,
            OpenSession {
                id,
                protocol,
                account: account.to_owned(),
                peer: peer.to_string(),
                since: now_unix(),
            },
        );
        SessionGuard {
            shared: self.clone(),
            id,
        }
    }
}

fn penalty_for(count: u32) -> Duration {
    if count == 0 {
        return Duration::ZERO;
    }
    let factor = 1u32 << count.saturating_sub(1).min(6);
    (FIRST_PENALTY * factor).min(MAX_PENALTY)
}

/// Removes its session from the status when dropped.
pub(crate) struct SessionGuard {
    shared: Arc<Shared>,
    id: u64,
}

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.shared.state().sessions.remove(&self.id);
    }
}

/// Counts a connection that has not logged in yet.
struct ConnectingGuard(Arc<Shared>);

impl ConnectingGuard {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.state().connecting += 1;
        Self(shared.clone())
    }
}

impl Drop for ConnectingGuard {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.connecting = state.connecting.saturating_sub(1);
    }
}

/// The bridge for the accounts of one data home.
#[derive(Clone)]
pub struct Bridge {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bridge")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("cannot listen for {protocol} on {address}")]
    Bind {
        protocol: &'static str,
        address: SocketAddr,
        #[source]
        source: io::Error,
    },
    #[error("cannot listen on {0} without TLS: the LAN mode needs its certificate")]
    NeedsTls(IpAddr),
    #[error("cannot offer implicit TLS for {0} without a certificate")]
    ImplicitTlsWithoutCertificate(&'static str),
    #[error("cannot set up TLS for the mail servers: {0}")]
    UpstreamTls(String),
}

impl Bridge {
    /// A bridge handing out `tokens`' access tokens to the mail servers, trusting the public roots and `extra`
    /// CA certificates.
    pub fn new(
        tokens: Arc<TokenService>,
        extra_roots: &[tokio_rustls::rustls::pki_types::CertificateDer<'static>],
        timeouts: BridgeTimeouts,
    ) -> Result<Self, BridgeError> {
        let upstream_tls =
            crate::probe::net::client_config(true, extra_roots).map_err(BridgeError::UpstreamTls)?;
        Ok(Self {
            shared: Arc::new(Shared {
                tokens,
                upstream_tls,
                timeouts,
                state: Mutex::new(State::default()),
                next_id: AtomicU64::new(1),
            }),
        })
    }

    /// Opens the listeners and serves them until the returned bridge is stopped or dropped.
    pub async fn start(&self, config: &BridgeConfig) -> Result<RunningBridge, BridgeError> {
        if !config.address.is_loopback() && config.tls.is_none() {
            return Err(BridgeError::NeedsTls(config.address));
        }
        let require_tls = config.require_tls || !config.address.is_loopback();
        let stop = CancellationToken::new();
        let limit = Arc::new(Semaphore::new(config.max_connections.max(1)));
        let mut bound = Vec::new();
        let mut sockets = Vec::new();
        for spec in &config.listeners {
            if spec.implicit_tls && config.tls.is_none() {
                return Err(BridgeError::ImplicitTlsWithoutCertificate(spec.protocol.name()));
            }
            let address = SocketAddr::new(config.address, spec.port);
            let listener = TcpListener::bind(address)
                .await
                .map_err(|source| BridgeError::Bind {
                    protocol: spec.protocol.name(),
                    address,
                    source,
                })?;
            let address = listener.local_addr().map_err(|source| BridgeError::Bind {
                protocol: spec.protocol.name(),
                address,
                source,
            })?;
            bound.push(BoundListener {
                protocol: spec.protocol,
                address,
                host: address.ip().to_string(),
                port: address.port(),
                implicit_tls: spec.implicit_tls,
            });
            sockets.push((listener, *spec));
        }
        self.shared.state().listeners = bound.clone();
        let mut accept_loops = Vec::with_capacity(sockets.len());
        for (listener, spec) in sockets {
            let settings = Arc::new(session::Settings {
                protocol: spec.protocol,
                implicit_tls: spec.implicit_tls,
                tls: config.tls.clone(),
                require_tls,
                timeouts: config.timeouts,
            });
            accept_loops.push(tokio::spawn(accept_loop(
                listener,
                self.shared.clone(),
                settings,
                stop.clone(),
                limit.clone(),
            )));
        }
        tracing::info!(listeners = ?bound, "mail bridge listening");
        Ok(RunningBridge {
            bridge: self.clone(),
            listeners: bound,
            stop,
            accept_loops,
        })
    }

    /// Sessions open, connections logging in, the last errors.
    pub fn status(&self) -> BridgeStatus {
        let state = self.shared.state();
        let mut sessions: Vec<OpenSession> = state.sessions.values().cloned().collect();
        sessions.sort_by_key(|s| s.id);
        BridgeStatus {
            listeners: state.listeners.clone(),
            connecting: state.connecting,
            sessions,
            last_errors: state.events.iter().cloned().collect(),
            logins: state.logins,
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    settings: Arc<session::Settings>,
    stop: CancellationToken,
    limit: Arc<Semaphore>,
) {
    loop {
        let permit = tokio::select! {
            () = stop.cancelled() => return,
            permit = limit.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                tracing::warn!(%error, "the bridge cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let settings = settings.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = permit;
            tokio::select! {
                () = stop.cancelled() => {}
                () = session::serve(shared, settings, tcp, peer) => {}
            }
        });
    }
}

/// A bridge that is listening. Dropping it stops the listeners and closes every session.
#[derive(Debug)]
pub struct RunningBridge {
    bridge: Bridge,
    pub listeners: Vec<BoundListener>,
    stop: CancellationToken,
    /// Each holds a listening socket until it ends.
    accept_loops: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningBridge {
    /// Where `protocol` listens (the first such listener; `implicit_tls` picks which).
    pub fn address(&self, protocol: BridgeProtocol, implicit_tls: bool) -> Option<SocketAddr> {
        self.listeners
            .iter()
            .find(|l| l.protocol == protocol && l.implicit_tls == implicit_tls)
            .map(|l| l.address)
    }

    pub fn bridge(&self) -> &Bridge {
        &self.bridge
    }

    pub fn status(&self) -> BridgeStatus {
        self.bridge.status()
    }

    /// Stops listening and closes every session. Returns once every listening socket is closed: the same ports
    /// can be listened on again at once (turning the network mode on or off starts the bridge again on them).
    pub async fn stop(mut self) {
        self.stop.cancel();
        for accept_loop in std::mem::take(&mut self.accept_loops) {
            let _ = accept_loop.await;
        }
    }
}

impl Drop for RunningBridge {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_double_and_stop_at_the_cap() {
        assert_eq!(penalty_for(0), Duration::ZERO);
        assert_eq!(penalty_for(1), Duration::from_millis(500));
        assert_eq!(penalty_for(2), Duration::from_secs(1));
        assert_eq!(penalty_for(4), Duration::from_secs(4));
        assert_eq!(penalty_for(10), MAX_PENALTY);
        assert_eq!(penalty_for(u32::MAX), MAX_PENALTY);
    }
}
