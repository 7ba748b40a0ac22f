//! A scripted mail server: it plays back lines that Microsoft's servers were observed to send (greetings,
//! capabilities, refusals), checks what the client sends in between, and can misbehave on purpose: stay silent,
//! drop the connection in the middle of the TLS handshake. For what the real Dovecot and Postfix can't produce.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mailgrant_tests::responder::{Responder, Script, Step};
//! let script = Script::tls()
//!     .send("* OK The Microsoft Exchange IMAP4 service is ready.")
//!     .expect("CAPABILITY")
//!     .send("* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR")
//!     .send("{tag} OK CAPABILITY completed.")
//!     .expect("AUTHENTICATE XOAUTH2")
//!     .send("{tag} NO AUTHENTICATE failed.");
//! let server = Responder::start(script).await?;
//! // … connect to server.addr() trusting server.ca_pem() for "localhost" …
//! assert!(server.mismatches().is_empty());
//! # Ok(()) }
//! ```

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// One thing the server does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Sends a line (CRLF added). `{tag}` stands for the first word of the client's last line (an IMAP tag).
    Send(String),
    /// Reads a line that must start with this, case-insensitive, once an IMAP tag is put aside. Anything else is
    /// a mismatch: recorded, and the connection closes.
    Expect(String),
    /// Reads a line that must be exactly this (`""`: the empty answer to an XOAUTH2 error challenge).
    ExpectExactly(String),
    /// Reads any one line.
    ExpectAny,
    /// Reads a message up to the line `.` (after SMTP DATA).
    ExpectMessage,
    /// Switches to TLS with the responder's certificate (after agreeing to STARTTLS).
    StartTls,
    /// Says nothing more and keeps the connection open until the client leaves.
    Silence,
    /// Reads the start of the client's TLS handshake and closes the connection.
    DropMidTls,
    /// Reads the start of the client's TLS handshake and says nothing more.
    StallMidTls,
    /// Closes the connection.
    Close,
}

/// Which certificate the TLS server shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Identity {
    /// For `localhost` and `127.0.0.1`, issued by the responder's CA.
    Localhost,
    /// For `mail.other.example` only, issued by the same CA.
    OtherName,
}

/// What the server does on each connection, from the first byte.
#[derive(Clone, Debug)]
pub struct Script {
    tls_from_start: bool,
    identity: Identity,
    steps: Vec<Step>,
}

impl Script {
    /// A server that speaks plain text first (STARTTLS ports).
    pub fn plain() -> Self {
        Self {
            tls_from_start: false,
            identity: Identity::Localhost,
            steps: Vec::new(),
        }
    }

    /// A server with TLS from the first byte (993, 995, 465).
    pub fn tls() -> Self {
        Self {
            tls_from_start: true,
            ..Self::plain()
        }
    }

    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    pub fn step(mut self, step: Step) -> Self {
        self.steps.push(step);
        self
    }

    pub fn send(self, line: &str) -> Self {
        self.step(Step::Send(line.to_owned()))
    }

    /// Several lines, one after the other.
    pub fn send_all(mut self, lines: &[&str]) -> Self {
        for line in lines {
            self = self.send(line);
        }
        self
    }

    pub fn expect(self, start: &str) -> Self {
        self.step(Step::Expect(start.to_owned()))
    }

    pub fn expect_exactly(self, line: &str) -> Self {
        self.step(Step::ExpectExactly(line.to_owned()))
    }

    pub fn expect_any(self) -> Self {
        self.step(Step::ExpectAny)
    }
}

/// A running scripted server on 127.0.0.1; every connection gets the whole script. Stops when dropped.
pub struct Responder {
    address: SocketAddr,
    log: Arc<Mutex<Log>>,
    accept: JoinHandle<()>,
}

#[derive(Default)]
struct Log {
    received: Vec<String>,
    mismatches: Vec<String>,
    connections: usize,
}

impl Responder {
    /// Listens on an ephemeral port of 127.0.0.1 (on the current tokio runtime).
    pub async fn start(script: Script) -> io::Result<Responder> {
        let acceptor = if script.tls_from_start || script.steps.contains(&Step::StartTls) {
            Some(acceptor(script.identity)?)
        } else {
            None
        };
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Log::default()));
        let script = Arc::new(script);
        let accept = {
            let log = log.clone();
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    lock(&log).connections += 1;
                    let (script, log, acceptor) = (script.clone(), log.clone(), acceptor.clone());
                    tokio::spawn(async move {
                        if let Err(error) = play(&script, tcp, acceptor, &log).await {
                            lock(&log).mismatches.push(format!("connection error: {error}"));
                        }
                    });
                }
            })
        };
        Ok(Responder { address, log, accept })
    }

    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// The CA that issued the responder's certificates (PEM).
    pub fn ca_pem() -> io::Result<Vec<u8>> {
        Ok(certificates()?.ca.clone())
    }

    /// Every line the clients sent, in order.
    pub fn received(&self) -> Vec<String> {
        lock(&self.log).received.clone()
    }

    /// What the clients did that the script did not expect (and connection errors). Empty when all went to plan.
    pub fn mismatches(&self) -> Vec<String> {
        lock(&self.log).mismatches.clone()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        lock(&self.log).connections
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn lock(log: &Mutex<Log>) -> std::sync::MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The server side of one connection, plain or TLS.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, data),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, data),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

async fn play(
    script: &Script,
    tcp: TcpStream,
    acceptor: Option<TlsAcceptor>,
    log: &Mutex<Log>,
) -> io::Result<()> {
    let needs = || io::Error::other("the script needs TLS but has no certificate");
    let mut steps = script.steps.iter().peekable();
    // A drop or stall in the handshake happens before TLS is up.
    let stream = match (script.tls_from_start, steps.peek()) {
        (true, Some(Step::DropMidTls | Step::StallMidTls)) => Stream::Plain(tcp),
        (true, _) => Stream::Tls(Box::new(acceptor.clone().ok_or_else(needs)?.accept(tcp).await?)),
        (false, _) => Stream::Plain(tcp),
    };
    let mut conn = BufReader::new(stream);
    let mut tag = String::new();
    for step in steps {
        match step {
            Step::Send(line) => {
                let line = line.replace("{tag}", &tag);
                conn.get_mut().write_all(format!("{line}\r\n").as_bytes()).await?;
                conn.get_mut().flush().await?;
            }
            Step::Expect(_) | Step::ExpectExactly(_) | Step::ExpectAny => {
                let Some(line) = read_line(&mut conn).await? else {
                    lock(log)
                        .mismatches
                        .push(format!("expected {step:?}, the client closed the connection"));
                    return Ok(());
                };
                lock(log).received.push(line.clone());
                let (first, rest) = line.split_once(' ').unwrap_or((&line, ""));
                // Only a command has a tag: not a SASL response (base64, or empty).
                if line.contains(' ') {
                    tag = first.to_owned();
                }
                let fits = match step {
                    Step::Expect(start) => starts_with(&line, start) || starts_with(rest, start),
                    Step::ExpectExactly(exact) => line == *exact,
                    _ => true,
                };
                if !fits {
                    lock(log)
                        .mismatches
                        .push(format!("expected {step:?}, got {line:?}"));
                    return Ok(());
                }
            }
            Step::ExpectMessage => loop {
                let Some(line) = read_line(&mut conn).await? else {
                    lock(log)
                        .mismatches
                        .push("the client closed the connection in the middle of a message".to_owned());
                    return Ok(());
                };
                lock(log).received.push(line.clone());
                if line == "." {
                    break;
                }
            },
            Step::StartTls => {
                if !conn.buffer().is_empty() {
                    lock(log)
                        .mismatches
                        .push("the client sent data before the TLS handshake".to_owned());
                    return Ok(());
                }
                let Stream::Plain(tcp) = conn.into_inner() else {
                    return Err(io::Error::other("StartTls on a TLS connection"));
                };
                let tls = acceptor.clone().ok_or_else(needs)?.accept(tcp).await?;
                conn = BufReader::new(Stream::Tls(Box::new(tls)));
            }
            Step::Silence | Step::StallMidTls => {
                if matches!(step, Step::StallMidTls) {
                    let mut hello = [0u8; 5];
                    let _ = conn.read_exact(&mut hello).await;
                }
                // Until the client gives up (reads EOF) or the responder is dropped.
                let mut sink = Vec::new();
                let _ = conn.read_to_end(&mut sink).await;
                return Ok(());
            }
            Step::DropMidTls => {
                // The TLS record header and a little of the ClientHello, then goodbye.
                let mut hello = [0u8; 16];
                let _ = conn.read_exact(&mut hello).await;
                return Ok(());
            }
            Step::Close => return Ok(()),
        }
    }
    // The script is over: wait for the client to leave, so it is not cut off while reading the last line.
    let mut sink = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), conn.read_to_end(&mut sink)).await;
    Ok(())
}

fn starts_with(text: &str, start: &str) -> bool {
    text.get(..start.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(start))
}

async fn read_line<S: AsyncRead + Unpin>(conn: &mut BufReader<S>) -> io::Result<Option<String>> {
    let mut line = String::new();
    match conn.read_line(&mut line).await {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned())),
        // A client that gives up in the middle of TLS.
        Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(error) => Err(error),
    }
}

/// A TLS acceptor with the certificate for localhost and 127.0.0.1 from the test bed's throwaway CA.
pub(crate) fn localhost_acceptor() -> io::Result<TlsAcceptor> {
    acceptor(Identity::Localhost)
}

fn acceptor(identity: Identity) -> io::Result<TlsAcceptor> {
    let certs = certificates()?;
    let (cert, key) = match identity {
        Identity::Localhost => (&certs.localhost, &certs.localhost_key),
        Identity::OtherName => (&certs.other, &certs.other_key),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<_, _>>()
        .map_err(io::Error::other)?;
    let key = PrivateKeyDer::from_pem_slice(key).map_err(io::Error::other)?;
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(io::Error::other)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The responder's CA and two leaf certificates, PEM.
struct Certificates {
    ca: Vec<u8>,
    localhost: Vec<u8>,
    localhost_key: Vec<u8>,
    other: Vec<u8>,
    other_key: Vec<u8>,
}

/// Made with the openssl command once per process, in a directory removed right after.
fn certificates() -> io::Result<&'static Certificates> {
    static CERTS: OnceLock<Result<Certificates, String>> = OnceLock::new();
    CERTS
        .get_or_init(|| {
            let dir = std::env::temp_dir().join(format!("mailgrant-responder-{}", std::process::id()));
            let made = make_certificates(&dir);
            let _ = std::fs::remove_dir_all(&dir);
            made.map_err(|error| error.to_string())
        })
        .as_ref()
        .map_err(|error| io::Error::other(error.clone()))
}

fn make_certificates(dir: &Path) -> io::Result<Certificates> {
    std::fs::create_dir_all(dir)?;
    let ca_subject = format!("/CN=Mailgrant responder CA {}", std::process::id());
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &ca_subject,
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    )?;
    for (name, cn, san) in [
        (
            "localhost",
            "localhost",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ),
        (
            "other",
            "mail.other.example",
            "subjectAltName=DNS:mail.other.example",
        ),
    ] {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        openssl(
            dir,
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-subj",
                &format!("/CN={cn}"),
                "-addext",
                san,
                "-addext",
                "basicConstraints=critical,CA:FALSE",
                "-addext",
                "extendedKeyUsage=serverAuth",
                "-keyout",
                &key,
                "-out",
                &csr,
            ],
        )?;
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-copy_extensions",
                "copy",
                "-out",
                &pem,
            ],
        )?;
    }
    let read = |name: &str| std::fs::read(dir.join(name));
    Ok(Certificates {
        ca: read("ca.pem")?,
        localhost: read("localhost.pem")?,
        localhost_key: read("localhost.key")?,
        other: read("other.pem")?,
        other_key: read("other.key")?,
    })
}

fn openssl(dir: &Path, args: &[&str]) -> io::Result<()> {
    let output = Command::new("openssl").args(args).current_dir(dir).output()?;
    if output.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "openssl {}: {}",
            args.first().copied().unwrap_or_default(),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}
