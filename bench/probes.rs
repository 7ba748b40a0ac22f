//! Prints the IMAP probe's time per layer next to a plain async-imap client doing the same steps (connect, TLS,
//! greeting, AUTHENTICATE XOAUTH2, LIST, SELECT INBOX, LOGOUT) against the same Dovecot, plus the other probes'
//! totals. A benchmark, not a test: it asserts nothing but that the logins work.
//!
//!   cargo bench -p mailgrant-tests --bench probes            # 50 runs each (MAILGRANT_BENCH_RUNS to change)
//!
//! Needs root and the packages of `scripts/install-deps.sh test` (real Dovecot and Postfix).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::Authenticator;
use futures::TryStreamExt;
use mailgrant_core::model::HostPort;
use mailgrant_core::probe::{self, Layer, ProbeOptions, ProbeTarget, Protocol, Security};
use mailgrant_core::SecretString;
use mailgrant_tests::emulator::demo::ADELE;
use mailgrant_tests::emulator::{Emulator, Seed};
use mailgrant_tests::peers::{MailPeers, Mechanism, SERVER_NAME};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::TlsConnector;

const SCOPES: [&str; 3] = ["IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send"];

fn main() {
    let runs: usize = std::env::var("MAILGRANT_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(50);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(bench(runs));
}

/// Samples per row, in the order rows are first seen.
#[derive(Default)]
struct Table {
    order: Vec<String>,
    rows: BTreeMap<String, Vec<Duration>>,
}

impl Table {
    fn add(&mut self, row: &str, took: Duration) {
        if !self.rows.contains_key(row) {
            self.order.push(row.to_owned());
        }
        self.rows.entry(row.to_owned()).or_default().push(took);
    }

    fn stats(&self, row: &str) -> Option<(Duration, Duration)> {
        let mut samples = self.rows.get(row)?.clone();
        samples.sort();
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Some((at(0.5), at(0.9)))
    }
}

fn ms(duration: Duration) -> String {
    format!("{:8.2}", duration.as_secs_f64() * 1e3)
}

async fn bench(runs: usize) {
    let emulator = Emulator::start(Seed::demo()).await.expect("the emulator");
    let base = emulator.base_url().to_owned();
    let peers = tokio::task::spawn_blocking(move || MailPeers::start(&base))
        .await
        .expect("the start thread")
        .expect("the mail peers (needs root and scripts/install-deps.sh test)");
    let token = emulator.mint_access_token(ADELE, "outlook", &SCOPES, 3600);
    let secret = SecretString::new(token.clone());
    let tls = peers.tls_config().expect("the peers' CA");
    let options = ProbeOptions {
        public_roots: false,
        ca_file: Some(peers.ca_path().to_path_buf()),
        ..ProbeOptions::default()
    };
    let server = |port: u16| HostPort {
        host: SERVER_NAME.to_owned(),
        port,
    };
    let imap = ProbeTarget::imap(&server(peers.imap_tls().port()), Security::ImplicitTls, ADELE);

    // Warm up both (first TLS sessions, Dovecot's processes).
    for _ in 0..3 {
        probe::run(&imap, &secret, &options, |_| {}).await;
        plain_imap(peers.imap_tls().port(), &tls, &token).await;
    }

    let mut probe_table = Table::default();
    let mut plain_table = Table::default();
    for _ in 0..runs {
        let report = probe::run(&imap, &secret, &options, |_| {}).await;
        assert!(
            report.outcome.is_ok(),
            "the IMAP probe failed: {:?}",
            report.outcome
        );
        for layer in &report.layers {
            if layer.layer != Layer::Send {
                probe_table.add(layer.layer.name(), layer.elapsed);
            }
        }
        probe_table.add("total", report.elapsed);
        for (step, took) in plain_imap(peers.imap_tls().port(), &tls, &token).await {
            plain_table.add(step, took);
        }
    }

    println!();
    println!("IMAPS (implicit TLS, XOAUTH2) against Dovecot on 127.0.0.1, {runs} runs each; milliseconds");
    println!(
        "{:<10} {:>9} {:>9}   {:>9} {:>9}   plain client's steps",
        "layer", "probe p50", "p90", "plain p50", "p90"
    );
    for layer in &probe_table.order {
        let (p50, p90) = probe_table.stats(layer).unwrap_or_default();
        let plain = plain_table.stats(layer);
        let (q50, q90) = plain.map_or(("       -".to_owned(), "       -".to_owned()), |(a, b)| {
            (ms(a), ms(b))
        });
        println!(
            "{:<10} {} {}   {} {}   {}",
            layer,
            ms(p50),
            ms(p90),
            q50,
            q90,
            PLAIN_STEPS
                .iter()
                .find(|(row, _)| row == layer)
                .map_or("", |(_, what)| what)
        );
    }
    println!("(the probe's total includes LOGOUT, which belongs to no layer; the plain client's total too)");

    // The other probes, for scale.
    println!();
    println!("Other probes' totals (p50 / p90 over {runs} runs):");
    let others = [
        (
            "IMAP STARTTLS",
            ProbeTarget::imap(&server(peers.imap_starttls().port()), Security::StartTls, ADELE),
        ),
        (
            "POP3S",
            ProbeTarget::pop(&server(peers.pop_tls().port()), Security::ImplicitTls, ADELE),
        ),
        (
            "POP3 STLS",
            ProbeTarget::pop(&server(peers.pop_starttls().port()), Security::StartTls, ADELE),
        ),
        (
            "SMTPS",
            ProbeTarget::smtp(&server(peers.smtps().port()), Security::ImplicitTls, ADELE),
        ),
        (
            "SMTP STARTTLS",
            ProbeTarget::smtp(
                &server(peers.submission_starttls().port()),
                Security::StartTls,
                ADELE,
            ),
        ),
    ];
    for (name, target) in others {
        let mut table = Table::default();
        for _ in 0..runs {
            let report = probe::run(&target, &secret, &options, |_| {}).await;
            assert!(report.outcome.is_ok(), "{name}: {:?}", report.outcome);
            table.add("total", report.elapsed);
        }
        let (p50, p90) = table.stats("total").unwrap_or_default();
        println!("  {name:<14} {} {}", ms(p50), ms(p90));
    }
    let graph = ProbeTarget::graph(emulator.base_url(), ADELE);
    let graph_token =
        SecretString::new(emulator.mint_access_token(ADELE, "graph", &["User.Read", "Mail.ReadWrite"], 3600));
    let mut table = Table::default();
    for _ in 0..runs {
        let report = probe::run(&graph, &graph_token, &options, |_| {}).await;
        assert!(report.outcome.is_ok(), "Graph: {:?}", report.outcome);
        table.add("total", report.elapsed);
    }
    let (p50, p90) = table.stats("total").unwrap_or_default();
    println!(
        "  {:<14} {} {}   (the emulator over plain HTTP)",
        "Graph",
        ms(p50),
        ms(p90)
    );
    assert_eq!(Protocol::Graph, graph.protocol);
}

/// What the plain client does in each row.
const PLAIN_STEPS: [(&str, &str); 7] = [
    ("DNS", "lookup_host"),
    ("TCP", "TcpStream::connect"),
    ("TLS", "rustls handshake + greeting"),
    ("token", "(none)"),
    ("AUTH", "AUTHENTICATE XOAUTH2 (no SASL-IR)"),
    ("mailbox", "LIST \"\" * + SELECT INBOX"),
    ("total", "everything + LOGOUT"),
];

struct XOAuth2(Option<Vec<u8>>);

impl Authenticator for &mut XOAuth2 {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        self.0.take().unwrap_or_default()
    }
}

/// The same steps with async-imap as a mail client would write them, timed.
async fn plain_imap(port: u16, tls: &Arc<ClientConfig>, token: &str) -> Vec<(&'static str, Duration)> {
    let mut times = Vec::new();
    let began = Instant::now();
    let mut step = Instant::now();
    let mut lap = |name: &'static str, times: &mut Vec<(&'static str, Duration)>| {
        times.push((name, step.elapsed()));
        step = Instant::now();
    };
    let address = tokio::net::lookup_host((SERVER_NAME, port))
        .await
        .expect("localhost")
        .next()
        .expect("an address");
    lap("DNS", &mut times);
    let tcp = TcpStream::connect(address).await.expect("a connection");
    lap("TCP", &mut times);
    let name = ServerName::try_from(SERVER_NAME).expect("a server name");
    let stream = TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await
        .expect("a TLS handshake");
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .expect("a greeting")
        .expect("a greeting");
    lap("TLS", &mut times);
    let mut auth = XOAuth2(Some(Mechanism::XOAuth2.initial_response(ADELE, token)));
    let mut session = client
        .authenticate("XOAUTH2", &mut auth)
        .await
        .map_err(|(error, _)| error)
        .expect("logged in");
    lap("AUTH", &mut times);
    let names: Vec<_> = session
        .list(Some(""), Some("*"))
        .await
        .expect("LIST")
        .try_collect()
        .await
        .expect("LIST");
    assert!(!names.is_empty());
    session.select("INBOX").await.expect("SELECT INBOX");
    lap("mailbox", &mut times);
    session.logout().await.expect("LOGOUT");
    times.push(("total", began.elapsed()));
    times
}
