//! The mail bridge side by side with Dovecot itself: fetching 1,000 messages through the bridge (plain IMAP to
//! the bridge, which holds a STARTTLS + XOAUTH2 session to Dovecot) vs straight from Dovecot (IMAPS + XOAUTH2),
//! with the same async-imap client; 50 IMAP sessions through the bridge at once (none may drop); and the bridge's
//! resident memory, idle and after the sessions. The bridge runs in a process of its own (`bridge-worker`, built
//! with this bench's profile). A benchmark, not a test: it asserts only that everything logged in and arrived.
//!
//!   bash bench/bridge.sh     # = cargo bench -p mailgrant-tests --bench bridge in a D-Bus session with a keyring
//!
//! MAILGRANT_BENCH_RUNS sets the fetch rounds (15). Needs root and the packages of `scripts/install-deps.sh test`.

use std::io::BufRead as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::Authenticator;
use futures::future::join_all;
use futures::TryStreamExt;
use mailgrant_core::api::bridge as bridge_api;
use mailgrant_core::api::Api;
use mailgrant_core::model::{HostPort, Resource, Service};
use mailgrant_tests::emulator::demo::ADELE;
use mailgrant_tests::emulator::{Emulator, Seed};
use mailgrant_tests::fixtures::{self, TestHome};
use mailgrant_tests::peers::{MailPeers, Mechanism, SERVER_NAME};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::ClientConfig;
use tokio_rustls::TlsConnector;

const WORKER: &str = env!("CARGO_BIN_EXE_bridge-worker");
const MESSAGES: usize = 1000;
const SESSIONS: usize = 50;

fn main() {
    let runs: usize = std::env::var("MAILGRANT_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(15);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(bench(runs.max(1)));
}

struct XOAuth2(Option<Vec<u8>>);

impl Authenticator for &mut XOAuth2 {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        self.0.take().unwrap_or_default()
    }
}

/// A message of about 3 KB.
fn message(i: usize) -> String {
    let mut body = String::new();
    for line in 0..40 {
        body.push_str(&format!(
            "Line {line} of message {i}: the quick brown fox jumps over the lazy dog, twice over.\r\n"
        ));
    }
    format!(
        "From: {ADELE}\r\nTo: {ADELE}\r\nSubject: bench {i}\r\nMessage-ID: <bench-{i}@mailgrant.test>\r\n\r\n{body}"
    )
}

async fn direct_session(
    port: u16,
    tls: &Arc<ClientConfig>,
    token: &str,
) -> async_imap::Session<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.expect("Dovecot");
    let name = ServerName::try_from(SERVER_NAME).expect("a server name");
    let stream = TlsConnector::from(tls.clone())
        .connect(name, tcp)
        .await
        .expect("TLS");
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.expect("greeting").expect("greeting");
    let mut auth = XOAuth2(Some(Mechanism::XOAuth2.initial_response(ADELE, token)));
    client
        .authenticate("XOAUTH2", &mut auth)
        .await
        .map_err(|(error, _)| error)
        .expect("XOAUTH2 login")
}

/// Plain IMAP to the bridge. With TCP_NODELAY: async-imap writes a command in several small writes, and on a plain
/// socket with Nagle's algorithm the second waits for the ACK of the first, which the peer delays by 40 ms (over
/// TLS the writes leave as one record). Any plain-text IMAP server would see the same stall from this client.
async fn bridge_session(port: u16, password: &str) -> Result<async_imap::Session<TcpStream>, String> {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut client = async_imap::Client::new(tcp);
    client
        .read_response()
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no greeting")?;
    client
        .login(ADELE, password)
        .await
        .map_err(|(error, _)| error.to_string())
}

/// SELECT INBOX and FETCH 1:* (BODY.PEEK[]): how many messages and bytes.
async fn fetch_all<T>(session: &mut async_imap::Session<T>) -> (usize, usize)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    session.select("INBOX").await.expect("SELECT");
    let fetched: Vec<_> = session
        .fetch("1:*", "(BODY.PEEK[])")
        .await
        .expect("FETCH")
        .try_collect()
        .await
        .expect("FETCH");
    let bytes = fetched.iter().map(|f| f.body().map_or(0, <[u8]>::len)).sum();
    (fetched.len(), bytes)
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// The median of the rounds' own ratios: each round fetches both ways back to back, so a moment when the machine
/// is busy slows both sides of the same round instead of one side of the whole comparison.
fn median_ratio(bridged: &[Duration], direct: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = bridged
        .iter()
        .zip(direct)
        .map(|(b, d)| b.as_secs_f64() / d.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:9.1}", duration.as_secs_f64() * 1e3)
}

async fn bench(runs: usize) {
    let emulator = Emulator::start(Seed::demo()).await.expect("the emulator");
    let base = emulator.base_url().to_owned();
    let peers = tokio::task::spawn_blocking(move || MailPeers::start(&base))
        .await
        .expect("the start thread")
        .expect("the mail peers (needs root and scripts/install-deps.sh test)");
    let tls = peers.tls_config().expect("the peers' CA");

    // An account signed in through the emulator, its servers Dovecot's and Postfix's STARTTLS ports.
    let home = TestHome::new("bench-bridge");
    let registration = fixtures::public_registration(&emulator);
    let name = "bench";
    fixtures::sign_in(
        &emulator,
        &home,
        &registration,
        name,
        ADELE,
        &[Service::Imap, Service::Pop, Service::Smtp],
    )
    .await;
    let server = |port: u16| {
        Some(HostPort {
            host: SERVER_NAME.to_owned(),
            port,
        })
    };
    let (imap, pop, smtp) = (
        peers.imap_starttls().port(),
        peers.pop_starttls().port(),
        peers.submission_starttls().port(),
    );
    home.store
        .update(|config| {
            let account = config.account_mut(name).expect("the account");
            account.imap = server(imap);
            account.pop = server(pop);
            account.smtp = server(smtp);
            Ok::<_, mailgrant_core::store::StoreError>(())
        })
        .expect("the account's servers");
    let api = Api::with_vault(
        home.home.clone(),
        home.vault.clone(),
        Some(peers.ca_path().to_path_buf()),
    )
    .expect("the API");
    let password = bridge_api::password(&api, name, false)
        .await
        .expect("a bridge password")
        .password
        .expose()
        .clone();
    let token = api
        .tokens
        .access_token(name, Resource::Outlook)
        .await
        .expect("a token")
        .token
        .expose()
        .clone();

    // 1,000 messages in the INBOX, appended straight to Dovecot.
    let seeded = Instant::now();
    let mut session = direct_session(peers.imap_tls().port(), &tls, &token).await;
    for i in 0..MESSAGES {
        session
            .append("INBOX", None, None, message(i))
            .await
            .expect("APPEND");
    }
    session.logout().await.expect("LOGOUT");
    eprintln!("appended {MESSAGES} messages in {:?}", seeded.elapsed());

    // The bridge in a process of its own.
    let mut worker: Child = Command::new(WORKER)
        .env("MAILGRANT_HOME", home.path())
        .env("MAILGRANT_CA_FILE", peers.ca_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("bridge-worker");
    let stdout = worker.stdout.take().expect("its stdout");
    let first = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .next()
            .expect("a line")
            .expect("a line")
    })
    .await
    .expect("the worker's line");
    let listening: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    let bridge_port: u16 = listening["listeners"]
        .as_array()
        .expect("listeners")
        .iter()
        .find(|l| l["protocol"] == "imap")
        .and_then(|l| l["address"].as_str())
        .and_then(|a| a.rsplit_once(':'))
        .and_then(|(_, port)| port.parse().ok())
        .expect("the IMAP listener");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss = rss_kib(worker.id(), "VmRSS:");

    // Warm up both paths (TLS sessions, Dovecot's processes, the keychain).
    for _ in 0..2 {
        let mut direct = direct_session(peers.imap_tls().port(), &tls, &token).await;
        fetch_all(&mut direct).await;
        direct.logout().await.expect("LOGOUT");
        let mut bridged = bridge_session(bridge_port, &password)
            .await
            .expect("bridge login");
        fetch_all(&mut bridged).await;
        bridged.logout().await.expect("LOGOUT");
    }

    let (mut direct_fetch, mut direct_total, mut bridge_fetch, mut bridge_total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..runs {
        let began = Instant::now();
        let mut direct = direct_session(peers.imap_tls().port(), &tls, &token).await;
        let fetching = Instant::now();
        let (count, size) = fetch_all(&mut direct).await;
        direct_fetch.push(fetching.elapsed());
        direct.logout().await.expect("LOGOUT");
        direct_total.push(began.elapsed());
        assert_eq!(count, MESSAGES, "straight from Dovecot");
        bytes = size;

        let began = Instant::now();
        let mut bridged = bridge_session(bridge_port, &password)
            .await
            .expect("bridge login");
        let fetching = Instant::now();
        let (count, size) = fetch_all(&mut bridged).await;
        bridge_fetch.push(fetching.elapsed());
        bridged.logout().await.expect("LOGOUT");
        bridge_total.push(began.elapsed());
        assert_eq!(count, MESSAGES, "through the bridge");
        assert_eq!(size, bytes, "the same bytes both ways");
    }

    // The same with another client: Python's imaplib.
    let python_args = serde_json::json!({
        "ca": peers.ca_path(), "direct_port": peers.imap_tls().port(), "bridge_port": bridge_port,
        "user": ADELE, "token": token, "password": password, "runs": runs, "expect": MESSAGES,
    });
    let python = tokio::task::spawn_blocking(move || {
        use std::io::Write as _;
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(include_str!("bridge_fetch.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(python_args.to_string().as_bytes())
            .expect("python's arguments");
        let out = child.wait_with_output().expect("python");
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("python's figures")
    })
    .await
    .expect("python");
    let python_times = |key: &str| -> Vec<Duration> {
        python[key]
            .as_array()
            .expect("figures")
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .map(|ms| Duration::from_secs_f64(ms / 1e3))
            .collect()
    };
    let (python_direct, python_bridge) = (python_times("direct"), python_times("bridge"));
    let python_ratio = median_ratio(&python_bridge, &python_direct);
    let (python_direct, python_bridge) = (median(python_direct), median(python_bridge));

    // 50 sessions at once through the bridge: log in, SELECT, FETCH 1:50 sizes, LOGOUT.
    let began = Instant::now();
    let outcomes = join_all((0..SESSIONS).map(|_| {
        let password = password.clone();
        async move {
            let started = Instant::now();
            let mut session = bridge_session(bridge_port, &password).await?;
            session.select("INBOX").await.map_err(|e| e.to_string())?;
            let sizes: Vec<_> = session
                .fetch("1:50", "RFC822.SIZE")
                .await
                .map_err(|e| e.to_string())?
                .try_collect()
                .await
                .map_err(|e| e.to_string())?;
            if sizes.len() != 50 {
                return Err(format!("{} sizes", sizes.len()));
            }
            session.logout().await.map_err(|e| e.to_string())?;
            Ok::<Duration, String>(started.elapsed())
        }
    }))
    .await;
    let all_sessions = began.elapsed();
    let busy_rss = rss_kib(worker.id(), "VmHWM:");
    let dropped: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    let session_times: Vec<Duration> = outcomes.iter().filter_map(|o| o.as_ref().ok().copied()).collect();
    drop(worker.stdin.take());
    let _ = worker.wait();

    let (fetch_ratio, total_ratio) = (
        median_ratio(&bridge_fetch, &direct_fetch),
        median_ratio(&bridge_total, &direct_total),
    );
    let (df, dt, bf, bt) = (
        median(direct_fetch),
        median(direct_total),
        median(bridge_fetch),
        median(bridge_total),
    );
    println!();
    println!(
        "Fetching {MESSAGES} messages ({:.1} MB, FETCH 1:* BODY.PEEK[]) with async-imap; median of {runs} runs, ms",
        bytes as f64 / 1e6
    );
    println!("{:<44} {:>9} {:>9}", "", "FETCH", "total");
    println!(
        "{:<44} {} {}",
        "straight from Dovecot (IMAPS, XOAUTH2)",
        ms(df),
        ms(dt)
    );
    println!(
        "{:<44} {} {}",
        "through the bridge (LOGIN; bridge→STARTTLS)",
        ms(bf),
        ms(bt)
    );
    println!(
        "{:<44} {:>8.2}× {:>8.2}×   (goal ≤ 1.10× for the fetch; median of the rounds' ratios)",
        "bridge / direct", fetch_ratio, total_ratio
    );
    println!(
        "{:<44} {}           (Python imaplib: SELECT + FETCH)",
        "imaplib straight from Dovecot",
        ms(python_direct)
    );
    println!("{:<44} {}", "imaplib through the bridge", ms(python_bridge));
    println!("{:<44} {:>8.2}×", "bridge / direct (imaplib)", python_ratio);
    println!("(total: connect, TLS or not, login, SELECT, FETCH, LOGOUT; the bridge's login includes its own login to Dovecot)");
    println!();
    println!(
        "{SESSIONS} IMAP sessions at once through the bridge: {} completed, {} dropped, all done in {} ms; per session p50 {} ms, max {} ms",
        session_times.len(),
        dropped.len(),
        ms(all_sessions).trim(),
        ms(median(session_times.clone())).trim(),
        ms(session_times.iter().max().copied().unwrap_or_default()).trim()
    );
    for error in &dropped {
        println!("  dropped: {error}");
    }
    println!();
    println!(
        "bridge process (bridge-worker) resident memory: idle {:.1} MiB; peak after the sessions and fetches {:.1} MiB",
        idle_rss as f64 / 1024.0,
        busy_rss as f64 / 1024.0
    );
    let _ = home.vault.forget_account(name);
    assert!(dropped.is_empty(), "sessions dropped: {dropped:?}");
}
