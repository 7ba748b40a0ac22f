//! Real mail servers for the tests: Dovecot (IMAP, POP3, LMTP) and Postfix (submission, smtps), started on free
//! loopback ports, checking every OAuth2 bearer token (XOAUTH2 and OAUTHBEARER) with the identity-platform
//! emulator's introspection endpoint, `{base}/_emulator/introspect/{imap|pop|smtp}`.
//!
//! The servers are started by `scripts/peers/start.sh --hold` (the one place that knows how: the configuration
//! templates, the throwaway CA, the directories, the start and stop). It stays in the foreground as a supervisor
//! and stops everything once its stdin closes, which happens when [`MailPeers`] is dropped or stopped, and also
//! when the test process ends in any way (so a `static` instance shared by a test binary leaves nothing behind).
//! Needs root (Postfix) and the packages of `scripts/install-deps.sh test`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mailgrant_tests::emulator::{Emulator, Seed};
//! use mailgrant_tests::peers::{MailPeers, Mechanism, Pop3, Transport};
//! let emulator = Emulator::start(Seed::demo()).await?;
//! let peers = MailPeers::start_with_shared(emulator.base_url(), &["sales@contoso.example"])?;
//! let token = emulator.mint_access_token("adele@contoso.example", "outlook", &["POP.AccessAsUser.All"], 3600);
//! let mut pop = Pop3::connect(peers.pop_tls(), Transport::ImplicitTls, &peers.tls_config()?).await?;
//! assert!(pop.authenticate(Mechanism::XOAuth2, "adele@contoso.example", &token).await?.is_accepted());
//! # Ok(()) }
//! ```

mod client;
mod sasl;

pub use client::{tls_config, tls_handshake, Login, Pop3, Reply, Smtp, Transport, IO_TIMEOUT, SERVER_NAME};
pub use sasl::{decode_challenge, Mechanism};

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use tokio_rustls::rustls::ClientConfig;

/// How long the servers may take to start (they take about 0.3 s).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long they may take to stop (about 0.1 s).
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A running Dovecot + Postfix pair. Stops on drop.
pub struct MailPeers {
    dir: PathBuf,
    ca: PathBuf,
    imap_tls: SocketAddr,
    imap_starttls: SocketAddr,
    pop_tls: SocketAddr,
    pop_starttls: SocketAddr,
    submission: SocketAddr,
    smtps: SocketAddr,
    mail: PathBuf,
    masters: [u32; 2],
    started_in: Duration,
    supervisor: Option<Supervisor>,
}

struct Supervisor {
    child: Child,
    /// The supervisor stops the servers when this closes.
    lifeline: Option<ChildStdin>,
}

impl MailPeers {
    /// Starts both servers (about 0.3 s; blocks the calling thread meanwhile). `introspection_base` is the
    /// emulator's base URL, `http://127.0.0.1:PORT`; the servers post each token to
    /// `{introspection_base}/_emulator/introspect/{imap|pop|smtp}`.
    pub fn start(introspection_base: &str) -> io::Result<MailPeers> {
        Self::start_with_shared(introspection_base, &[])
    }

    /// [`start`](Self::start), and `shared` mailboxes open with a delegate's or an app's token (SASL user = the
    /// shared address): their logins are introspected with `?user=<address>`. Dovecot 2.3 can't put the SASL
    /// user into the introspection URL, so each shared mailbox gets passdbs of its own (see
    /// scripts/peers/dovecot.conf.in).
    pub fn start_with_shared(introspection_base: &str, shared: &[&str]) -> io::Result<MailPeers> {
        let script = crate::workspace::root().join("scripts/peers/start.sh");
        Self::start_with(&script, introspection_base, shared)
    }

    fn start_with(script: &Path, introspection_base: &str, shared: &[&str]) -> io::Result<MailPeers> {
        let began = Instant::now();
        let mut command = Command::new("bash");
        command.arg(script).arg("--hold");
        for address in shared {
            command.arg("--shared").arg(address);
        }
        let mut child = command
            .arg(introspection_base)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| {
                io::Error::new(error.kind(), format!("cannot run {}: {error}", script.display()))
            })?;
        let lifeline = child.stdin.take();
        let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(io::Error::other("the supervisor's output is missing"));
        };

        // The supervisor prints KEY=VALUE lines, then READY; a thread reads them so the wait can time out. It
        // keeps draining stdout until the supervisor exits.
        let (lines_tx, lines_rx) = mpsc::channel();
        thread::Builder::new()
            .name("mail-peers-stdout".into())
            .spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    // The receiver is gone after READY; keep draining.
                    let _ = lines_tx.send(line);
                }
            })?;
        // Its diagnostics, for the error message if the start fails.
        let (errors_tx, errors_rx) = mpsc::channel();
        thread::Builder::new()
            .name("mail-peers-stderr".into())
            .spawn(move || {
                let mut text = String::new();
                let _ = stderr.read_to_string(&mut text);
                let _ = errors_tx.send(text);
            })?;

        let mut supervisor = Supervisor { child, lifeline };
        let mut values = HashMap::new();
        let deadline = began + START_TIMEOUT;
        let ready = loop {
            match lines_rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line == "READY" => break Ok(()),
                Ok(line) => {
                    if let Some((key, value)) = line.split_once('=') {
                        values.insert(key.to_string(), value.to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    break Err(format!("not ready after {}s", START_TIMEOUT.as_secs()))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break Err("the start script ended".to_string()),
            }
        };
        if let Err(why) = ready {
            // Ending the supervisor also stops whatever it had started.
            let _ = supervisor.finish();
            let output = errors_rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
            return Err(io::Error::other(format!(
                "the mail peers did not start ({why}): {}",
                output.trim()
            )));
        }

        let value = |key: &str| {
            values
                .get(&format!("MAILGRANT_PEERS_{key}"))
                .cloned()
                .ok_or_else(|| io::Error::other(format!("start.sh did not print MAILGRANT_PEERS_{key}")))
        };
        let address = |key: &str| -> io::Result<SocketAddr> {
            value(key)?
                .parse()
                .map_err(|error| io::Error::other(format!("MAILGRANT_PEERS_{key}: {error}")))
        };
        let pid = |key: &str| -> io::Result<u32> {
            value(key)?
                .parse()
                .map_err(|error| io::Error::other(format!("MAILGRANT_PEERS_{key}: {error}")))
        };
        let peers = MailPeers {
            dir: value("DIR")?.into(),
            ca: value("CA")?.into(),
            imap_tls: address("IMAP_TLS")?,
            imap_starttls: address("IMAP_STARTTLS")?,
            pop_tls: address("POP_TLS")?,
            pop_starttls: address("POP_STARTTLS")?,
            submission: address("SUBMISSION")?,
            smtps: address("SMTPS")?,
            mail: value("MAIL")?.into(),
            masters: [pid("DOVECOT_PID")?, pid("POSTFIX_PID")?],
            started_in: began.elapsed(),
            supervisor: Some(supervisor),
        };
        Ok(peers)
    }

    /// IMAP with implicit TLS (IMAPS).
    pub fn imap_tls(&self) -> SocketAddr {
        self.imap_tls
    }

    /// IMAP in plain text until STARTTLS.
    pub fn imap_starttls(&self) -> SocketAddr {
        self.imap_starttls
    }

    /// IMAP for the transport.
    pub fn imap(&self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::ImplicitTls => self.imap_tls,
            Transport::StartTls => self.imap_starttls,
        }
    }

    /// POP3 with implicit TLS (POP3S).
    pub fn pop_tls(&self) -> SocketAddr {
        self.pop_tls
    }

    /// POP3 in plain text until STLS.
    pub fn pop_starttls(&self) -> SocketAddr {
        self.pop_starttls
    }

    /// POP3 for the transport.
    pub fn pop(&self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::ImplicitTls => self.pop_tls,
            Transport::StartTls => self.pop_starttls,
        }
    }

    /// Postfix's submission port: STARTTLS required before AUTH.
    pub fn submission_starttls(&self) -> SocketAddr {
        self.submission
    }

    /// Postfix's SMTPS port (implicit TLS).
    pub fn smtps(&self) -> SocketAddr {
        self.smtps
    }

    /// SMTP for the transport: SMTPS or submission.
    pub fn smtp(&self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::ImplicitTls => self.smtps,
            Transport::StartTls => self.submission,
        }
    }

    /// The throwaway CA's certificate (PEM file): the only certificate a client should trust.
    pub fn ca_path(&self) -> &Path {
        &self.ca
    }

    /// The CA's certificate, PEM.
    pub fn ca_pem(&self) -> io::Result<String> {
        fs::read_to_string(&self.ca)
    }

    /// A rustls client configuration trusting only the CA; connect with server name [`SERVER_NAME`].
    pub fn tls_config(&self) -> io::Result<Arc<ClientConfig>> {
        tls_config(&self.ca)
    }

    /// The Maildir of `address` (exists once something was delivered to it or it logged in over IMAP/POP3).
    pub fn maildir(&self, address: &str) -> PathBuf {
        self.mail.join(address.to_lowercase()).join("Maildir")
    }

    /// The messages delivered to the inbox of `address` (Maildir files, new and seen).
    pub fn delivered(&self, address: &str) -> io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            match fs::read_dir(self.maildir(address).join(sub)) {
                Ok(entries) => {
                    for entry in entries {
                        files.push(entry?.path());
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        files.sort();
        Ok(files)
    }

    /// The instance's directory (configurations, logs, mail); removed when the servers stop.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Dovecot's log (every login and refusal, with the reason).
    pub fn dovecot_log(&self) -> String {
        fs::read_to_string(self.dir.join("dovecot/dovecot.log")).unwrap_or_default()
    }

    /// Postfix's log.
    pub fn postfix_log(&self) -> String {
        fs::read_to_string(self.dir.join("postfix/maillog")).unwrap_or_default()
    }

    /// The process ids of Dovecot's and Postfix's masters; each leads a session that all its children stay in.
    pub fn master_pids(&self) -> [u32; 2] {
        self.masters
    }

    /// How long the start took.
    pub fn started_in(&self) -> Duration {
        self.started_in
    }

    /// Stops both servers and waits until none of their processes is left. Returns how long it took; fails if a
    /// process survived or the supervisor did not end.
    pub fn stop(mut self) -> io::Result<Duration> {
        self.stop_now()
    }

    fn stop_now(&mut self) -> io::Result<Duration> {
        let began = Instant::now();
        let Some(mut supervisor) = self.supervisor.take() else {
            return Ok(Duration::ZERO);
        };
        let finished = supervisor.finish();
        let mut leftovers = Vec::new();
        for master in self.masters {
            leftovers.extend(session_members(master)?);
        }
        if !leftovers.is_empty() {
            return Err(io::Error::other(format!(
                "mail server processes left over after stopping: {leftovers:?}"
            )));
        }
        finished?;
        Ok(began.elapsed())
    }
}

impl Supervisor {
    /// Closes the lifeline and waits for the supervisor to stop the servers and exit; kills it after
    /// [`STOP_TIMEOUT`].
    fn finish(&mut self) -> io::Result<()> {
        drop(self.lifeline.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(io::Error::other(format!(
                        "the mail peers' supervisor ended with {status}"
                    )))
                };
            }
            if Instant::now() >= deadline {
                self.child.kill()?;
                self.child.wait()?;
                return Err(io::Error::other("the mail peers did not stop in time"));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for MailPeers {
    fn drop(&mut self) {
        if let Err(error) = self.stop_now() {
            eprintln!("mail peers: {error}");
        }
    }
}

impl std::fmt::Debug for MailPeers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailPeers")
            .field("dir", &self.dir)
            .field("imap_tls", &self.imap_tls)
            .field("imap_starttls", &self.imap_starttls)
            .field("pop_tls", &self.pop_tls)
            .field("pop_starttls", &self.pop_starttls)
            .field("submission", &self.submission)
            .field("smtps", &self.smtps)
            .finish_non_exhaustive()
    }
}

/// The live (not zombie) processes of session `session`, from /proc.
pub fn session_members(session: u32) -> io::Result<Vec<u32>> {
    Ok(crate::procs::all()?
        .into_iter()
        .filter(|p| p.live() && p.session == session)
        .map(|p| p.pid)
        .collect())
}
