//! Small POP3 and SMTP clients for the tests: implicit TLS or STARTTLS, trusting only the peers' throwaway CA,
//! logging in with XOAUTH2 or OAUTHBEARER and going through the error-challenge dance the way a mail client must.
//! (IMAP goes through async-imap and SMTP submission through lettre in the suites, as in the app.)

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

use super::sasl::{decode_challenge, Mechanism};

/// How long any single read or connect may take before the client gives up.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);

/// The name the peers' certificate is issued to (it also carries IP 127.0.0.1).
pub const SERVER_NAME: &str = "localhost";

/// How the connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transport {
    /// TLS from the first byte (IMAPS 993, POP3S 995, SMTPS 465).
    ImplicitTls,
    /// Plain text, then STARTTLS / STLS before logging in (IMAP 143, POP3 110, submission 587).
    StartTls,
}

impl Transport {
    pub const ALL: [Transport; 2] = [Transport::ImplicitTls, Transport::StartTls];
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ImplicitTls => "implicit TLS",
            Self::StartTls => "STARTTLS",
        })
    }
}

/// A rustls client configuration that trusts only the certificates in `ca_pem` (ring as crypto provider, named
/// explicitly: the workspace may link more than one).
pub fn tls_config(ca_pem: &Path) -> io::Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca_pem).map_err(io::Error::other)? {
        roots
            .add(cert.map_err(io::Error::other)?)
            .map_err(io::Error::other)?;
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Runs a TLS handshake over `io` for [`SERVER_NAME`].
pub async fn tls_handshake<IO>(
    config: &Arc<ClientConfig>,
    io: IO,
) -> io::Result<tokio_rustls::client::TlsStream<IO>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let name = ServerName::try_from(SERVER_NAME).map_err(io::Error::other)?;
    within(TlsConnector::from(config.clone()).connect(name, io)).await
}

async fn within<T>(future: impl std::future::Future<Output = io::Result<T>>) -> io::Result<T> {
    tokio::time::timeout(IO_TIMEOUT, future)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the mail server did not answer in time"))?
}

/// What a server answered to a login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    /// Logged in; the server's final line.
    Accepted { reply: String },
    /// Refused. `challenge` is the decoded error challenge sent before the refusal, if any (Dovecot sends
    /// `{"status":"401","schemes":"bearer","scope":"mail"}` for XOAUTH2, `{"status":"invalid_token"}` for
    /// OAUTHBEARER); `reply` is the final line.
    Refused {
        challenge: Option<String>,
        reply: String,
    },
}

impl Login {
    pub fn is_accepted(&self) -> bool {
        matches!(self, Self::Accepted { .. })
    }

    /// The server's final line.
    pub fn reply(&self) -> &str {
        match self {
            Self::Accepted { reply } | Self::Refused { reply, .. } => reply,
        }
    }

    /// The decoded error challenge of a refusal.
    pub fn challenge(&self) -> Option<&str> {
        match self {
            Self::Accepted { .. } => None,
            Self::Refused { challenge, .. } => challenge.as_deref(),
        }
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A line-oriented connection (CRLF), plain or TLS.
struct Conn {
    stream: BufReader<Box<dyn Io>>,
}

impl Conn {
    async fn connect(address: SocketAddr, transport: Transport, tls: &Arc<ClientConfig>) -> io::Result<Self> {
        let tcp = within(TcpStream::connect(address)).await?;
        let stream: Box<dyn Io> = match transport {
            Transport::ImplicitTls => Box::new(tls_handshake(tls, tcp).await?),
            Transport::StartTls => Box::new(tcp),
        };
        Ok(Self {
            stream: BufReader::new(stream),
        })
    }

    /// Switches to TLS; call right after the server agreed (nothing may be buffered).
    async fn start_tls(self, tls: &Arc<ClientConfig>) -> io::Result<Self> {
        if !self.stream.buffer().is_empty() {
            return Err(io::Error::other(
                "the server sent data after agreeing to STARTTLS",
            ));
        }
        let stream: Box<dyn Io> = Box::new(tls_handshake(tls, self.stream.into_inner()).await?);
        Ok(Self {
            stream: BufReader::new(stream),
        })
    }

    async fn send(&mut self, line: &str) -> io::Result<()> {
        let stream = self.stream.get_mut();
        within(async {
            stream.write_all(format!("{line}\r\n").as_bytes()).await?;
            stream.flush().await
        })
        .await
    }

    async fn read_line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        let read = within(self.stream.read_line(&mut line)).await?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the mail server closed the connection",
            ));
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// A POP3 session.
pub struct Pop3 {
    conn: Conn,
    greeting: String,
}

impl Pop3 {
    /// Connects, reads the greeting, and with [`Transport::StartTls`] switches to TLS with `STLS`.
    pub async fn connect(
        address: SocketAddr,
        transport: Transport,
        tls: &Arc<ClientConfig>,
    ) -> io::Result<Self> {
        let mut conn = Conn::connect(address, transport, tls).await?;
        let greeting = conn.read_line().await?;
        expect(greeting.starts_with("+OK"), "POP3 greeting", &greeting)?;
        if transport == Transport::StartTls {
            conn.send("STLS").await?;
            let reply = conn.read_line().await?;
            expect(reply.starts_with("+OK"), "POP3 STLS", &reply)?;
            conn = conn.start_tls(tls).await?;
        }
        Ok(Self { conn, greeting })
    }

    pub fn greeting(&self) -> &str {
        &self.greeting
    }

    /// `AUTH <mechanism> <initial response>` (RFC 5034), answering an error challenge as the mechanism requires.
    pub async fn authenticate(&mut self, mechanism: Mechanism, user: &str, token: &str) -> io::Result<Login> {
        let command = format!(
            "AUTH {} {}",
            mechanism.name(),
            mechanism.initial_response_base64(user, token)
        );
        self.conn.send(&command).await?;
        let mut reply = self.conn.read_line().await?;
        let mut challenge = None;
        if let Some(data) = reply.strip_prefix('+').filter(|_| !reply.starts_with("+OK")) {
            challenge = Some(decode_challenge(data).unwrap_or_else(|| data.trim().to_string()));
            self.conn.send(&mechanism.error_answer_base64()).await?;
            reply = self.conn.read_line().await?;
        }
        if reply.starts_with("+OK") {
            Ok(Login::Accepted { reply })
        } else if reply.starts_with("-ERR") {
            Ok(Login::Refused { challenge, reply })
        } else {
            Err(unexpected("POP3 AUTH", &reply))
        }
    }

    /// A command with a one-line answer (`STAT`, `NOOP`, `DELE 1`).
    pub async fn command(&mut self, command: &str) -> io::Result<String> {
        self.conn.send(command).await?;
        self.conn.read_line().await
    }

    pub async fn quit(mut self) -> io::Result<()> {
        let reply = self.command("QUIT").await?;
        expect(reply.starts_with("+OK"), "POP3 QUIT", &reply)
    }
}

/// An SMTP reply: the code and the text of every line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// The lines joined by newlines, without the codes.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" / "))
    }
}

/// An SMTP session (for what lettre can't do: OAUTHBEARER, and seeing the server's refusal after the error
/// challenge).
pub struct Smtp {
    conn: Conn,
    extensions: Vec<String>,
}

impl Smtp {
    /// Connects, reads the greeting, says EHLO, and with [`Transport::StartTls`] switches to TLS and says EHLO
    /// again.
    pub async fn connect(
        address: SocketAddr,
        transport: Transport,
        tls: &Arc<ClientConfig>,
    ) -> io::Result<Self> {
        let mut conn = Conn::connect(address, transport, tls).await?;
        let greeting = read_reply(&mut conn).await?;
        expect(greeting.code == 220, "SMTP greeting", &greeting.to_string())?;
        let mut smtp = Self {
            conn,
            extensions: Vec::new(),
        };
        smtp.ehlo().await?;
        if transport == Transport::StartTls {
            let reply = smtp.command("STARTTLS").await?;
            expect(reply.code == 220, "SMTP STARTTLS", &reply.to_string())?;
            smtp.conn = smtp.conn.start_tls(tls).await?;
            smtp.ehlo().await?;
        }
        Ok(smtp)
    }

    async fn ehlo(&mut self) -> io::Result<()> {
        let reply = self.command("EHLO mailgrant.test").await?;
        expect(reply.code == 250, "SMTP EHLO", &reply.to_string())?;
        self.extensions = reply.lines.into_iter().skip(1).collect();
        Ok(())
    }

    /// The EHLO keywords (`AUTH XOAUTH2 OAUTHBEARER`, `PIPELINING`, …) of the last EHLO.
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// `AUTH <mechanism> <initial response>` (RFC 4954), answering an error challenge (334) as the mechanism
    /// requires. The command line is longer than 2,048 bytes for a token of Microsoft's size.
    pub async fn authenticate(&mut self, mechanism: Mechanism, user: &str, token: &str) -> io::Result<Login> {
        let command = format!(
            "AUTH {} {}",
            mechanism.name(),
            mechanism.initial_response_base64(user, token)
        );
        let mut reply = self.command(&command).await?;
        let mut challenge = None;
        if reply.code == 334 {
            let data = reply.text();
            challenge = Some(decode_challenge(&data).unwrap_or(data));
            reply = self.command(&mechanism.error_answer_base64()).await?;
        }
        match reply.code {
            235 => Ok(Login::Accepted {
                reply: reply.to_string(),
            }),
            400..=599 => Ok(Login::Refused {
                challenge,
                reply: reply.to_string(),
            }),
            _ => Err(unexpected("SMTP AUTH", &reply.to_string())),
        }
    }

    /// Sends one command line and reads the (multi-line) reply.
    pub async fn command(&mut self, command: &str) -> io::Result<Reply> {
        self.conn.send(command).await?;
        read_reply(&mut self.conn).await
    }

    pub async fn quit(mut self) -> io::Result<()> {
        let reply = self.command("QUIT").await?;
        expect(reply.code == 221, "SMTP QUIT", &reply.to_string())
    }
}

async fn read_reply(conn: &mut Conn) -> io::Result<Reply> {
    let mut lines = Vec::new();
    loop {
        let line = conn.read_line().await?;
        let code = line
            .get(..3)
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| unexpected("SMTP reply", &line))?;
        let more = line.as_bytes().get(3) == Some(&b'-');
        lines.push(line.get(4..).unwrap_or_default().to_string());
        if !more {
            return Ok(Reply { code, lines });
        }
    }
}

fn expect(ok: bool, what: &str, got: &str) -> io::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(unexpected(what, got))
    }
}

fn unexpected(what: &str, got: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("unexpected {what}: {got:?}"))
}
