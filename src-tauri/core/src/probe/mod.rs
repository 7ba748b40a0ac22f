//! Mailbox probes: prove that mail really flows over IMAP, POP, SMTP or Graph with an OAuth2 token, and when it
//! doesn't, say exactly where and why.
//!
//! A probe goes through the layers in order, DNS → TCP → TLS → token → AUTH → mailbox → send, reports each as it
//! completes (with its time) and stops at the first failure, which becomes a [`Diagnosis`]. Every layer has a
//! time limit (15 s unless [`ProbeOptions::timeout`] says otherwise), so a server that accepts a connection and
//! then says nothing ends in a diagnosis, not a hang.
//!
//! ```no_run
//! # async fn demo(token: mailgrant_core::SecretString) {
//! use mailgrant_core::model::HostPort;
//! use mailgrant_core::probe::{self, ProbeOptions, ProbeTarget, Security};
//! let server = HostPort { host: "outlook.office365.com".into(), port: 993 };
//! let target = ProbeTarget::imap(&server, Security::ImplicitTls, "adele@contoso.com");
//! let report = probe::run(&target, &token, &ProbeOptions::default(), |layer| println!("{layer:?}")).await;
//! println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
//! # }
//! ```

mod diagnose;
pub(crate) mod failure;
mod graph;
mod imap;
pub(crate) mod net;
pub(crate) mod pop;
pub(crate) mod sasl;
mod smtp;
pub mod token_claims;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::ClientConfig;

use crate::diagnosis::Diagnosis;
use crate::identity::Endpoints;
use crate::model::{Account, Cloud, HostPort, Service};
use crate::sensitive::SecretString;

pub use sasl::{Mechanism, MechanismChoice};
pub use token_claims::{Audience, TokenFinding, TokenInsight};

use failure::Failure;

/// Which way to reach the mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Protocol {
    Imap,
    Pop,
    Smtp,
    Graph,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Imap => "IMAP",
            Protocol::Pop => "POP",
            Protocol::Smtp => "SMTP",
            Protocol::Graph => "Microsoft Graph",
        }
    }
}

/// How a mail connection is secured. There is no plain-text option: a token must never cross the network in
/// the clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Security {
    /// TLS from the first byte (IMAPS 993, POP3S 995, SMTPS 465).
    ImplicitTls,
    /// Plain text until STARTTLS / STLS, then TLS before anything else (IMAP 143, POP3 110, submission 587).
    StartTls,
}

impl Security {
    /// The usual security of a well-known port: implicit TLS on 993, 995 and 465, STARTTLS elsewhere.
    pub fn for_port(port: u16) -> Security {
        match port {
            993 | 995 | 465 => Security::ImplicitTls,
            _ => Security::StartTls,
        }
    }
}

/// What to probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProbeTarget {
    pub protocol: Protocol,
    /// The mail server's host name or IP address; for Graph, its base URL (`https://graph.microsoft.com`).
    pub host: String,
    /// Ignored for Graph (the URL says).
    pub port: u16,
    /// Ignored for Graph (the URL says).
    pub security: Security,
    /// The account that signed in: whose token this is.
    pub account: String,
    /// A shared mailbox the account acts on: the SASL user for IMAP, POP and SMTP, `/users/{address}` for Graph.
    #[serde(default)]
    pub shared_mailbox: Option<String>,
    #[serde(default)]
    pub mechanism: MechanismChoice,
}

impl ProbeTarget {
    fn mail(protocol: Protocol, server: &HostPort, security: Security, account: &str) -> Self {
        Self {
            protocol,
            host: server.host.clone(),
            port: server.port,
            security,
            account: account.to_owned(),
            shared_mailbox: None,
            mechanism: MechanismChoice::Auto,
        }
    }

    pub fn imap(server: &HostPort, security: Security, account: &str) -> Self {
        Self::mail(Protocol::Imap, server, security, account)
    }

    pub fn pop(server: &HostPort, security: Security, account: &str) -> Self {
        Self::mail(Protocol::Pop, server, security, account)
    }

    pub fn smtp(server: &HostPort, security: Security, account: &str) -> Self {
        Self::mail(Protocol::Smtp, server, security, account)
    }

    /// Graph at `base_url` (`https://graph.microsoft.com`, no version, no trailing slash needed).
    pub fn graph(base_url: &str, account: &str) -> Self {
        Self {
            protocol: Protocol::Graph,
            host: base_url.trim_end_matches('/').to_owned(),
            port: 0,
            security: Security::ImplicitTls,
            account: account.to_owned(),
            shared_mailbox: None,
            mechanism: MechanismChoice::Auto,
        }
    }

    /// The same target acting on a shared mailbox.
    pub fn with_shared_mailbox(mut self, mailbox: &str) -> Self {
        self.shared_mailbox = Some(mailbox.to_owned());
        self
    }

    pub fn with_mechanism(mut self, mechanism: MechanismChoice) -> Self {
        self.mechanism = mechanism;
        self
    }

    /// The target for one of an account's services: its own server if it has one, else the cloud's (Outlook.com's
    /// for a personal address); implicit TLS or STARTTLS by port. `GraphRead` and `GraphSend` both give Graph.
    pub fn for_account(account: &Account, endpoints: &Endpoints, cloud: &Cloud, service: Service) -> Self {
        let target = match crate::handoff::server_of(account, endpoints, cloud, service) {
            Some(server) => {
                let protocol = match service {
                    Service::Imap => Protocol::Imap,
                    Service::Pop => Protocol::Pop,
                    _ => Protocol::Smtp,
                };
                Self::mail(
                    protocol,
                    &server,
                    Security::for_port(server.port),
                    &account.address,
                )
            }
            None => Self::graph(&endpoints.graph, &account.address),
        };
        match &account.shared_mailbox {
            Some(shared) => target.with_shared_mailbox(shared),
            None => target,
        }
    }

    /// The mailbox opened: the shared one, else the account's own. The SASL user.
    pub fn mailbox(&self) -> &str {
        self.shared_mailbox.as_deref().unwrap_or(&self.account)
    }

    /// `host:port`, or Graph's URL.
    pub fn server(&self) -> String {
        match self.protocol {
            Protocol::Graph => self.host.clone(),
            _ => HostPort {
                host: self.host.clone(),
                port: self.port,
            }
            .to_string(),
        }
    }
}

/// A mail server to open (used to watch for the message a send-to-self probe sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// How to probe.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProbeOptions {
    /// The time limit of each layer.
    #[serde(rename = "timeoutMs", with = "millis")]
    pub timeout: Duration,
    /// Extra trusted CA certificates, a PEM file (networks that inspect TLS; the tests' throwaway CA).
    pub ca_file: Option<PathBuf>,
    /// Extra trusted CA certificates, given directly.
    #[serde(skip)]
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Trust the public (Mozilla) roots. True unless only the extra roots should count.
    pub public_roots: bool,
    /// Send a message to the mailbox itself (SMTP and Graph) and, where possible, wait until it arrives.
    pub send_to_self: bool,
    /// SMTP: the IMAP server to watch for the message sent to self (same token and user). None: the message is
    /// only handed to the server.
    pub confirm_over_imap: Option<MailServer>,
}

#[derive(Debug, thiserror::Error)]
pub enum OptionsError {
    #[error("cannot read a CA certificate")]
    Pem(#[source] tokio_rustls::rustls::pki_types::pem::Error),
    #[error("cannot trust the CA certificates: the PEM holds none")]
    NoCertificate,
}

/// The default time limit of each layer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            ca_file: None,
            extra_roots: Vec::new(),
            public_roots: true,
            send_to_self: false,
            confirm_over_imap: None,
        }
    }
}

impl ProbeOptions {
    /// Also trust the CA certificates in `pem`.
    pub fn trust_pem(mut self, pem: &[u8]) -> Result<Self, OptionsError> {
        let before = self.extra_roots.len();
        for cert in CertificateDer::pem_slice_iter(pem) {
            self.extra_roots.push(cert.map_err(OptionsError::Pem)?);
        }
        if self.extra_roots.len() == before {
            return Err(OptionsError::NoCertificate);
        }
        Ok(self)
    }

    /// Every extra root: the file's and the ones given directly.
    fn roots(&self) -> Result<Vec<CertificateDer<'static>>, Failure> {
        let mut roots = self.extra_roots.clone();
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path).map_err(|error| {
                Failure::Setup(format!("cannot read the CA file {}: {error}", path.display()))
            })?;
            let before = roots.len();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                roots.push(cert.map_err(|error| {
                    Failure::Setup(format!("cannot read the CA file {}: {error}", path.display()))
                })?);
            }
            if roots.len() == before {
                return Err(Failure::Setup(format!(
                    "cannot use the CA file {}: it holds no PEM certificate",
                    path.display()
                )));
            }
        }
        Ok(roots)
    }
}

/// A duration as milliseconds (a float: a local layer takes well under one).
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        // Microsecond precision is plenty.
        serializer.serialize_f64((duration.as_secs_f64() * 1e6).round() / 1e3)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(deserializer)?;
        Duration::try_from_secs_f64(ms / 1e3).map_err(serde::de::Error::custom)
    }
}

/// The layers of a probe, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Layer {
    /// The server's name to addresses.
    Dns,
    /// A connection (and, for STARTTLS, the server's plain-text greeting).
    Tcp,
    /// The encrypted channel and the server's certificate.
    Tls,
    /// What the token says about itself: resource, permissions, user, expiry.
    Token,
    /// The server accepts the token for the mailbox.
    Auth,
    /// The mailbox opens (IMAP LIST + EXAMINE INBOX, POP STAT, SMTP MAIL FROM, Graph's inbox).
    Mailbox,
    /// A message to self goes out (and arrives, where that can be watched).
    Send,
}

impl Layer {
    pub const ALL: [Layer; 7] = [
        Layer::Dns,
        Layer::Tcp,
        Layer::Tls,
        Layer::Token,
        Layer::Auth,
        Layer::Mailbox,
        Layer::Send,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layer::Dns => "DNS",
            Layer::Tcp => "TCP",
            Layer::Tls => "TLS",
            Layer::Token => "token",
            Layer::Auth => "AUTH",
            Layer::Mailbox => "mailbox",
            Layer::Send => "send",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum LayerStatus {
    Passed,
    /// Passed, with something to look at (the token looks wrong for this mailbox, but the server decides).
    Warning,
    Failed,
    /// Not run: an earlier layer failed, it does not apply, or it was not asked for.
    Skipped,
}

/// One layer's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LayerReport {
    pub layer: Layer,
    pub status: LayerStatus,
    #[serde(rename = "elapsedMs", with = "millis")]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub elapsed: Duration,
    /// What was found, in a line: addresses, TLS version, the token's audience, the message count, the refusal.
    pub detail: String,
}

/// How the probe ended.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase", tag = "status", content = "diagnosis")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Outcome {
    Ok,
    Failed(Box<Diagnosis>),
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok)
    }

    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            Outcome::Ok => None,
            Outcome::Failed(diagnosis) => Some(diagnosis),
        }
    }
}

/// Everything a probe found.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ProbeReport {
    pub protocol: Protocol,
    /// `host:port`, or Graph's URL.
    pub server: String,
    pub security: Option<Security>,
    /// The mailbox opened (the SASL user).
    pub mailbox: String,
    /// The SASL mechanism used, once chosen.
    pub mechanism: Option<Mechanism>,
    /// What the token layer read from the token.
    pub token: Option<TokenInsight>,
    /// Every layer, in order; the ones not run are `Skipped`.
    pub layers: Vec<LayerReport>,
    #[serde(rename = "elapsedMs", with = "millis")]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub elapsed: Duration,
    pub outcome: Outcome,
}

impl ProbeReport {
    pub fn layer(&self, layer: Layer) -> Option<&LayerReport> {
        self.layers.iter().find(|report| report.layer == layer)
    }
}

/// Runs the probe; `progress` hears about each layer as it completes (and about the skipped ones at the end).
pub async fn run(
    target: &ProbeTarget,
    token: &SecretString,
    options: &ProbeOptions,
    progress: impl FnMut(LayerReport),
) -> ProbeReport {
    let began = Instant::now();
    let mut probe = Probe {
        target,
        token,
        options,
        tls: None,
        rec: Recorder {
            layers: Vec::new(),
            progress,
            timeout: options.timeout,
            stage: Stage::new(),
            context: diagnose::Context::new(target),
        },
        mechanism: None,
        insight: None,
    };
    let result = probe.go().await;
    let Probe {
        rec,
        mechanism,
        insight,
        ..
    } = probe;
    let layers = rec.finish(result.is_err(), options.send_to_self);
    ProbeReport {
        protocol: target.protocol,
        server: target.server(),
        security: (target.protocol != Protocol::Graph).then_some(target.security),
        mailbox: target.mailbox().to_owned(),
        mechanism,
        token: insight,
        layers,
        elapsed: began.elapsed(),
        outcome: match result {
            Ok(()) => Outcome::Ok,
            Err(Stop(diagnosis)) => Outcome::Failed(diagnosis),
        },
    }
}

/// A mail connection before TLS: bare TCP for implicit TLS, or greeted in the clear for STARTTLS.
pub(crate) enum Plain<Greeting> {
    Tcp(TcpStream),
    Greeted(Greeting),
}

/// The probe stopped at a failed layer.
pub(crate) struct Stop(Box<Diagnosis>);

/// A layer's result: what it found, and whether that deserves a look.
pub(crate) struct Done<T> {
    value: T,
    detail: String,
    warning: bool,
}

impl<T> Done<T> {
    fn new(value: T, detail: impl Into<String>) -> Self {
        Self {
            value,
            detail: detail.into(),
            warning: false,
        }
    }
}

fn done(detail: impl Into<String>) -> Done<()> {
    Done::new((), detail)
}

/// "1 message", "3 messages": a count in a layer's report.
fn counted<N: std::fmt::Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    let plural = if n == N::from(1) { "" } else { "s" };
    format!("{n} {noun}{plural}")
}

/// Runs layers under their time limit and reports them.
pub(crate) struct Recorder<F> {
    layers: Vec<LayerReport>,
    progress: F,
    timeout: Duration,
    stage: Stage,
    context: diagnose::Context,
}

/// What a layer is waiting for, to say so if it runs out of time.
#[derive(Clone)]
pub(crate) struct Stage(Arc<std::sync::Mutex<&'static str>>);

impl Stage {
    fn new() -> Self {
        Self(Arc::new(std::sync::Mutex::new("the server")))
    }

    pub(crate) fn set(&self, waiting_for: &'static str) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = waiting_for;
    }

    fn get(&self) -> &'static str {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl<F: FnMut(LayerReport)> Recorder<F> {
    /// Runs one layer within the time limit.
    async fn layer<T>(
        &mut self,
        layer: Layer,
        work: impl Future<Output = Result<Done<T>, Failure>>,
    ) -> Result<T, Stop> {
        self.layer_within(layer, self.timeout, work).await
    }

    async fn layer_within<T>(
        &mut self,
        layer: Layer,
        limit: Duration,
        work: impl Future<Output = Result<Done<T>, Failure>>,
    ) -> Result<T, Stop> {
        let began = Instant::now();
        self.stage.set(match layer {
            Layer::Dns => "the name lookup",
            Layer::Tcp => "the connection",
            Layer::Tls => "the TLS handshake",
            Layer::Token => "the token check",
            Layer::Auth => "the answer to AUTH",
            Layer::Mailbox => "the mailbox",
            Layer::Send => "the message to be accepted",
        });
        let result = match tokio::time::timeout(limit, work).await {
            Ok(result) => result,
            Err(_) => Err(Failure::Timeout {
                after: limit,
                waiting_for: self.stage.get(),
            }),
        };
        let elapsed = began.elapsed();
        match result {
            Ok(done) => {
                let status = if done.warning {
                    LayerStatus::Warning
                } else {
                    LayerStatus::Passed
                };
                self.report(layer, status, elapsed, done.detail);
                Ok(done.value)
            }
            Err(failure) => {
                self.report(layer, LayerStatus::Failed, elapsed, failure.summary());
                Err(Stop(Box::new(diagnose::diagnose(&failure, &self.context))))
            }
        }
    }

    /// The handle a layer's work tells what it is waiting for.
    fn stage(&self) -> Stage {
        self.stage.clone()
    }

    fn skip(&mut self, layer: Layer, why: &str) {
        self.report(layer, LayerStatus::Skipped, Duration::ZERO, why.to_owned());
    }

    fn report(&mut self, layer: Layer, status: LayerStatus, elapsed: Duration, detail: String) {
        let report = LayerReport {
            layer,
            status,
            elapsed,
            detail,
        };
        (self.progress)(report.clone());
        self.layers.push(report);
    }

    /// Adds the layers that did not run, and returns them all in order.
    fn finish(mut self, failed: bool, send_asked: bool) -> Vec<LayerReport> {
        for layer in Layer::ALL {
            if self.layers.iter().any(|report| report.layer == layer) {
                continue;
            }
            let why = if failed {
                "not reached: an earlier layer failed"
            } else if layer == Layer::Send && !send_asked {
                "not asked (send to self is off)"
            } else {
                "does not apply"
            };
            self.skip(layer, why);
        }
        self.layers.sort_by_key(|report| report.layer);
        self.layers
    }
}

/// One probe's state.
pub(crate) struct Probe<'a, F> {
    target: &'a ProbeTarget,
    token: &'a SecretString,
    options: &'a ProbeOptions,
    tls: Option<Arc<ClientConfig>>,
    rec: Recorder<F>,
    mechanism: Option<Mechanism>,
    insight: Option<TokenInsight>,
}

impl<F: FnMut(LayerReport)> Probe<'_, F> {
    async fn go(&mut self) -> Result<(), Stop> {
        match self.target.protocol {
            Protocol::Imap => Box::pin(imap::probe(self)).await,
            Protocol::Pop => Box::pin(pop::probe(self)).await,
            Protocol::Smtp => Box::pin(smtp::probe(self)).await,
            Protocol::Graph => Box::pin(graph::probe(self)).await,
        }
    }

    /// The TLS configuration (built once per probe; a bad CA file fails the TLS layer).
    fn tls_config(&mut self) -> Result<Arc<ClientConfig>, Failure> {
        if let Some(config) = &self.tls {
            return Ok(config.clone());
        }
        let roots = self.options.roots()?;
        let config = net::client_config(self.options.public_roots, &roots).map_err(Failure::Setup)?;
        self.tls = Some(config.clone());
        Ok(config)
    }

    /// The DNS layer for a mail server.
    async fn dns(&mut self, host: &str, port: u16) -> Result<Vec<SocketAddr>, Stop> {
        let host = host.to_owned();
        self.rec
            .layer(Layer::Dns, async move {
                let addresses = net::resolve(&host, port).await.map_err(|error| Failure::Dns {
                    host: host.clone(),
                    error,
                })?;
                let shown: Vec<String> = addresses.iter().map(|a| a.ip().to_string()).collect();
                let detail = if host.parse::<std::net::IpAddr>().is_ok() {
                    format!("{host} is an address: nothing to look up")
                } else {
                    format!("{host} → {}", shown.join(", "))
                };
                Ok(Done::new(addresses, detail))
            })
            .await
    }

    /// The name lookup and the TCP layer of a mail probe. For STARTTLS the server greets in the clear first:
    /// `greet` reads that greeting and answers what the TLS layer needs next and what the server said.
    async fn connect<G, Greeting>(&mut self, greet: G) -> Result<Plain<Greeting>, Stop>
    where
        G: AsyncFnOnce(TcpStream) -> Result<(Greeting, String), Failure>,
    {
        let target = self.target;
        let addresses = self.dns(&target.host, target.port).await?;
        let stage = self.rec.stage();
        self.rec
            .layer(Layer::Tcp, async {
                let (tcp, peer) = net::open(target, &addresses).await?;
                match target.security {
                    Security::ImplicitTls => Ok(Done::new(Plain::Tcp(tcp), format!("connected to {peer}"))),
                    Security::StartTls => {
                        stage.set("the server's greeting");
                        let (greeted, said) = greet(tcp).await?;
                        Ok(Done::new(
                            Plain::Greeted(greeted),
                            format!("connected to {peer}; the server says {said}"),
                        ))
                    }
                }
            })
            .await
    }

    /// The token layer: never fails, warns when the token looks wrong for this probe.
    async fn token_layer(&mut self, sends: bool) -> Result<(), Stop> {
        let expect = token_claims::Expectation {
            protocol: self.target.protocol,
            account: &self.target.account,
            shared_mailbox: self.target.shared_mailbox.as_deref(),
            sends,
        };
        let insight = token_claims::inspect(self.token.expose(), &expect);
        let summary = insight.summary();
        let warning = !insight.findings.is_empty();
        self.rec.context.learn(&insight);
        self.insight = Some(insight);
        self.rec
            .layer(Layer::Token, async move {
                Ok(Done {
                    value: (),
                    detail: summary,
                    warning,
                })
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::{Cloud, Flow, TokenMetadata};

    #[test]
    fn the_usual_ports_say_how_they_are_secured() {
        assert_eq!(Security::for_port(993), Security::ImplicitTls);
        assert_eq!(Security::for_port(995), Security::ImplicitTls);
        assert_eq!(Security::for_port(465), Security::ImplicitTls);
        assert_eq!(Security::for_port(587), Security::StartTls);
        assert_eq!(Security::for_port(143), Security::StartTls);
    }

    fn account(shared: Option<&str>) -> Account {
        Account {
            name: "work".into(),
            address: "adele@contoso.com".into(),
            registration: "r1".into(),
            flow: Flow::AuthCode,
            services: BTreeSet::from([Service::Imap, Service::Smtp]),
            shared_mailbox: shared.map(str::to_owned),
            identity: None,
            tokens: TokenMetadata::default(),
            imap: None,
            pop: None,
            smtp: Some(HostPort {
                host: "smtp.contoso.com".into(),
                port: 465,
            }),
        }
    }

    #[test]
    fn targets_come_from_the_account_and_its_cloud() {
        let endpoints = Endpoints::for_cloud(&Cloud::Global);
        let imap = ProbeTarget::for_account(&account(None), &endpoints, &Cloud::Global, Service::Imap);
        assert_eq!(
            (imap.protocol, imap.host.as_str(), imap.port, imap.security),
            (
                Protocol::Imap,
                "outlook.office365.com",
                993,
                Security::ImplicitTls
            )
        );
        assert_eq!(imap.mailbox(), "adele@contoso.com");
        assert_eq!(imap.server(), "outlook.office365.com:993");
        // The account's own server wins.
        let smtp = ProbeTarget::for_account(&account(None), &endpoints, &Cloud::Global, Service::Smtp);
        assert_eq!(
            (smtp.host.as_str(), smtp.port, smtp.security),
            ("smtp.contoso.com", 465, Security::ImplicitTls)
        );
        let pop = ProbeTarget::for_account(&account(None), &endpoints, &Cloud::Global, Service::Pop);
        assert_eq!((pop.port, pop.security), (995, Security::ImplicitTls));
        let graph = ProbeTarget::for_account(
            &account(Some("sales@contoso.com")),
            &endpoints,
            &Cloud::Global,
            Service::GraphSend,
        );
        assert_eq!(graph.protocol, Protocol::Graph);
        assert_eq!(graph.server(), "https://graph.microsoft.com");
        assert_eq!(graph.mailbox(), "sales@contoso.com");
        assert_eq!(graph.account, "adele@contoso.com");
        let submission = ProbeTarget::smtp(&endpoints.smtp, Security::for_port(endpoints.smtp.port), "a@b.c");
        assert_eq!(submission.security, Security::StartTls);
    }

    #[test]
    fn options_and_targets_cross_ipc_as_camel_case_json() {
        let options: ProbeOptions =
            serde_json::from_str(r#"{"timeoutMs": 1500, "sendToSelf": true}"#).expect("options");
        assert_eq!(options.timeout, Duration::from_millis(1500));
        assert!(options.send_to_self && options.public_roots);
        assert_eq!(ProbeOptions::default().timeout, Duration::from_secs(15));
        let target = ProbeTarget::imap(
            &HostPort {
                host: "outlook.office365.com".into(),
                port: 993,
            },
            Security::ImplicitTls,
            "adele@contoso.com",
        )
        .with_mechanism(MechanismChoice::Only(Mechanism::OAuthBearer));
        let json = serde_json::to_value(&target).expect("JSON");
        assert_eq!(json["security"], "implicitTls");
        assert_eq!(json["mechanism"]["only"], "oauthbearer");
        assert_eq!(json["sharedMailbox"], serde_json::Value::Null);
        let back: ProbeTarget = serde_json::from_value(json).expect("back");
        assert_eq!(back, target);
        let report = LayerReport {
            layer: Layer::Tls,
            status: LayerStatus::Warning,
            elapsed: Duration::from_micros(12_345),
            detail: "d".into(),
        };
        let json = serde_json::to_value(&report).expect("JSON");
        assert_eq!(json["elapsedMs"], 12.345);
        assert_eq!(json["status"], "warning");
        assert_eq!(serde_json::from_value::<LayerReport>(json).expect("back"), report);
    }

    #[test]
    fn a_ca_file_that_holds_no_certificate_is_a_setup_failure() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").expect("write");
        let options = ProbeOptions {
            ca_file: Some(path),
            ..ProbeOptions::default()
        };
        let Err(Failure::Setup(text)) = options.roots() else {
            panic!("an empty CA file must be refused");
        };
        assert!(text.contains("holds no PEM certificate"), "{text}");
        assert!(ProbeOptions::default()
            .trust_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n")
            .is_err());
        assert!(matches!(
            ProbeOptions::default().trust_pem(b"nothing here"),
            Err(OptionsError::NoCertificate)
        ));
    }

    #[test]
    fn a_probe_can_run_on_another_task() {
        // Tauri commands and the CLI spawn it: the future must be Send when the progress callback is.
        fn assert_send<T: Send>(_: &T) {}
        let target = ProbeTarget::graph("https://graph.microsoft.com", "a@b.c");
        let token = SecretString::new("t".into());
        let options = ProbeOptions::default();
        let (tx, _rx) = std::sync::mpsc::channel();
        let future = run(&target, &token, &options, move |layer| {
            let _ = tx.send(layer);
        });
        assert_send(&future);
    }

    #[tokio::test]
    async fn layers_not_run_are_reported_skipped_in_order() {
        let mut heard = Vec::new();
        let mut rec = Recorder {
            layers: Vec::new(),
            progress: |report: LayerReport| heard.push(report.layer),
            timeout: Duration::from_millis(50),
            stage: Stage::new(),
            context: diagnose::Context::new(&ProbeTarget::graph("http://127.0.0.1:9", "a@b.c")),
        };
        assert!(rec.layer(Layer::Dns, async { Ok(done("ok")) }).await.is_ok());
        let stop = rec
            .layer(Layer::Tcp, async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(done("never"))
            })
            .await;
        assert!(stop.is_err());
        let layers = rec.finish(true, false);
        assert_eq!(
            layers.iter().map(|l| l.layer).collect::<Vec<_>>(),
            Layer::ALL.to_vec()
        );
        assert_eq!(layers[1].status, LayerStatus::Failed);
        assert!(
            layers[1]
                .detail
                .contains("no answer within 50 ms while waiting for the connection"),
            "{}",
            layers[1].detail
        );
        assert!(layers[2..].iter().all(|l| l.status == LayerStatus::Skipped));
        assert_eq!(heard, Layer::ALL.to_vec());
    }
}
