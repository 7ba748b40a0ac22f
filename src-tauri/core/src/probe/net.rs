//! The network layers every mail probe shares: name lookup, TCP, TLS (rustls, ring, the Mozilla roots plus any
//! extra CA), and [`Wire`], a stream wrapper that keeps what the server said so a refusal can be quoted word for
//! word.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// Looks `host` up (an IP address needs no lookup). Never empty on success.
pub(crate) async fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
    if addresses.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("{host} has no address"),
        ));
    }
    Ok(addresses)
}

/// Connects to the first address that answers, in the order the lookup gave them.
pub(crate) async fn connect(addresses: &[SocketAddr]) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address to connect to");
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(error) => last = error,
        }
    }
    Err(last)
}

/// The probe's TCP layer: a connection to the first of `addresses` that answers, and whom it reached.
pub(crate) async fn open(
    target: &super::ProbeTarget,
    addresses: &[SocketAddr],
) -> Result<(TcpStream, String), super::failure::Failure> {
    let tcp = connect(addresses)
        .await
        .map_err(|error| super::failure::Failure::connect(target, error))?;
    let peer = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    Ok((tcp, peer))
}

/// The client TLS configuration: ring as the crypto provider (named explicitly, the workspace may link more than
/// one), TLS 1.2 and 1.3, the Mozilla roots unless turned off, and the extra roots.
pub(crate) fn client_config(
    public_roots: bool,
    extra: &[CertificateDer<'static>],
) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    if public_roots {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    for cert in extra {
        roots
            .add(cert.clone())
            .map_err(|error| format!("cannot trust an extra CA certificate: {error}"))?;
    }
    let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("cannot set up TLS: {error}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The name the certificate must be valid for.
pub(crate) fn server_name(host: &str) -> io::Result<ServerName<'static>> {
    ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']').to_owned())
        .map_err(|error| io::Error::new(io::ErrorKind::InvalidInput, format!("{host}: {error}")))
}

/// A TLS handshake over `tcp` for `host`.
pub(crate) async fn handshake(
    config: &Arc<ClientConfig>,
    host: &str,
    tcp: TcpStream,
) -> io::Result<TlsStream<TcpStream>> {
    TlsConnector::from(config.clone())
        .connect(server_name(host)?, tcp)
        .await
}

/// The handshake as the probes' TLS layer makes it: a failure names `host`, a success comes with the session
/// described for the layer's report.
pub(crate) async fn secure(
    config: &Arc<ClientConfig>,
    host: &str,
    tcp: TcpStream,
) -> Result<(TlsStream<TcpStream>, String), super::failure::Failure> {
    let tls = handshake(config, host, tcp)
        .await
        .map_err(|error| super::failure::Failure::tls(host, error))?;
    let described = describe_session(&tls);
    Ok((tls, described))
}

/// "TLS 1.3, TLS13_AES_256_GCM_SHA384" for the layer report.
pub(crate) fn describe_session(tls: &TlsStream<TcpStream>) -> String {
    let (_, session) = tls.get_ref();
    let version = session
        .protocol_version()
        .and_then(|v| v.as_str())
        .map(|v| v.replace("TLSv1_", "TLS 1."))
        .unwrap_or_else(|| "TLS".to_owned());
    match session.negotiated_cipher_suite() {
        Some(suite) => format!("{version}, {:?}", suite.suite()),
        None => version,
    }
}

/// What the server has said on a connection (not what the client sent: that holds the token). Shared by the
/// plain and the TLS stage of a STARTTLS connection. Keeps the last 64 KiB.
#[derive(Clone, Default)]
pub(crate) struct Heard(Arc<Mutex<HeardInner>>);

#[derive(Default)]
struct HeardInner {
    bytes: Vec<u8>,
    /// How many bytes were dropped from the front.
    dropped: usize,
}

const HEARD_LIMIT: usize = 64 * 1024;

impl Heard {
    fn record(&self, bytes: &[u8]) {
        let mut inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        inner.bytes.extend_from_slice(bytes);
        if inner.bytes.len() > HEARD_LIMIT {
            let excess = inner.bytes.len() - HEARD_LIMIT;
            inner.bytes.drain(..excess);
            inner.dropped += excess;
        }
    }

    /// A position to read from later with [`since`](Self::since).
    pub(crate) fn mark(&self) -> usize {
        let inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        inner.dropped + inner.bytes.len()
    }

    /// The complete lines heard since `mark`, without line ends.
    pub(crate) fn since(&self, mark: usize) -> Vec<String> {
        let inner = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let start = mark.saturating_sub(inner.dropped).min(inner.bytes.len());
        let text = String::from_utf8_lossy(&inner.bytes[start..]);
        let complete = text.rfind('\n').map(|end| &text[..end]).unwrap_or("");
        complete
            .split('\n')
            .map(|line| line.trim_end_matches('\r').to_owned())
            .filter(|line| !line.is_empty())
            .collect()
    }

    /// The last complete line the server sent.
    pub(crate) fn last_line(&self) -> Option<String> {
        self.since(0).pop()
    }
}

impl fmt::Debug for Heard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Heard")
    }
}

/// A stream that records what it reads into [`Heard`], and can first hand out bytes of its own (lettre reads a
/// greeting when it takes over a connection; after STARTTLS there is none, so it gets a stand-in).
pub(crate) struct Wire<S> {
    inner: S,
    heard: Heard,
    prelude: Vec<u8>,
}

impl<S> Wire<S> {
    pub(crate) fn new(inner: S, heard: Heard) -> Self {
        Self {
            inner,
            heard,
            prelude: Vec::new(),
        }
    }

    /// Bytes to read before anything from the network (never recorded).
    pub(crate) fn with_prelude(mut self, prelude: &[u8]) -> Self {
        self.prelude = prelude.to_vec();
        self
    }

    pub(crate) fn into_inner(self) -> S {
        self.inner
    }
}

impl<S> fmt::Debug for Wire<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Wire")
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Wire<S> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.prelude.is_empty() {
            let n = this.prelude.len().min(buf.remaining());
            buf.put_slice(&this.prelude[..n]);
            this.prelude.drain(..n);
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            this.heard.record(&buf.filled()[before..]);
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Wire<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, data)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl lettre::transport::smtp::client::AsyncTokioStream for Wire<TlsStream<TcpStream>> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().0.peer_addr()
    }
}

/// The longest line a text protocol may send us.
const MAX_LINE: u64 = 64 * 1024;
/// The most lines of one multi-line reply (an SMTP EHLO answer, a POP CAPA list): real servers send a dozen.
pub(crate) const MAX_REPLY_LINES: usize = 512;

/// Refuses a reply that goes on past [`MAX_REPLY_LINES`] lines.
pub(crate) fn check_reply_length(lines: usize) -> io::Result<()> {
    if lines >= MAX_REPLY_LINES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the server's reply went on for more than {MAX_REPLY_LINES} lines"),
        ));
    }
    Ok(())
}

/// A CRLF line connection for POP3 and the plain-text start of SMTP.
pub(crate) struct Lines<S> {
    stream: BufReader<Wire<S>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Lines<S> {
    pub(crate) fn new(stream: Wire<S>) -> Self {
        Self {
            stream: BufReader::new(stream),
        }
    }

    /// Sends one line (CRLF added).
    pub(crate) async fn send(&mut self, line: &str) -> io::Result<()> {
        let stream = self.stream.get_mut();
        stream.write_all(format!("{line}\r\n").as_bytes()).await?;
        stream.flush().await
    }

    /// Sends bytes as they are (the mail bridge passing a message through).
    pub(crate) async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        let stream = self.stream.get_mut();
        stream.write_all(bytes).await?;
        stream.flush().await
    }

    /// Reads one line, without its line end. A closed connection is an error.
    pub(crate) async fn read_line(&mut self) -> io::Result<String> {
        let mut line = Vec::new();
        let read = (&mut self.stream)
            .take(MAX_LINE)
            .read_until(b'\n', &mut line)
            .await?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        if !line.ends_with(b"\n") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the server sent an overlong line",
            ));
        }
        Ok(String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned())
    }

    /// Reads an SMTP reply (all lines of a multi-line one): the code and the joined text.
    pub(crate) async fn read_smtp_reply(&mut self) -> io::Result<SmtpReply> {
        let mut lines = Vec::new();
        loop {
            check_reply_length(lines.len())?;
            let line = self.read_line().await?;
            let code = line
                .get(..3)
                .and_then(|code| code.parse::<u16>().ok())
                .ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, format!("not an SMTP reply: {line:?}"))
                })?;
            let more = line.as_bytes().get(3) == Some(&b'-');
            lines.push(line.get(4..).unwrap_or_default().to_owned());
            if !more {
                return Ok(SmtpReply { code, lines });
            }
        }
    }

    /// The stream and what was read ahead of the last line (the mail bridge hands both over when it starts
    /// passing bytes through).
    pub(crate) fn into_parts(self) -> (Wire<S>, Vec<u8>) {
        let buffered = self.stream.buffer().to_vec();
        (self.stream.into_inner(), buffered)
    }

    /// The stream, for the switch to TLS. Fails if the server sent more than it was asked for (a plain-text
    /// command injected ahead of the TLS handshake).
    pub(crate) fn into_wire(self) -> io::Result<Wire<S>> {
        if !self.stream.buffer().is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the server sent data after agreeing to start TLS",
            ));
        }
        Ok(self.stream.into_inner())
    }
}

/// An SMTP reply read by [`Lines`].
#[derive(Debug, Clone)]
pub(crate) struct SmtpReply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl fmt::Display for SmtpReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heard_keeps_complete_lines_and_the_latest_bytes() {
        let heard = Heard::default();
        heard.record(b"* OK ready\r\n");
        let mark = heard.mark();
        heard.record(b"A1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n* partial");
        assert_eq!(
            heard.since(mark),
            vec!["A1 NO [AUTHENTICATIONFAILED] Authentication failed.".to_owned()]
        );
        assert_eq!(
            heard.last_line().as_deref(),
            Some("A1 NO [AUTHENTICATIONFAILED] Authentication failed.")
        );
        heard.record(&vec![b'x'; HEARD_LIMIT]);
        heard.record(b"\r\nlast\r\n");
        assert_eq!(heard.last_line().as_deref(), Some("last"));
        assert_eq!(heard.since(mark).len(), 2);
    }

    #[tokio::test]
    async fn a_wire_hands_out_its_prelude_first_and_records_only_the_network() {
        let (client, mut server) = tokio::io::duplex(256);
        let heard = Heard::default();
        let mut lines = Lines::new(Wire::new(client, heard.clone()).with_prelude(b"220 stand-in\r\n"));
        server.write_all(b"250-first\r\n250 second\r\n").await.unwrap();
        assert_eq!(lines.read_line().await.unwrap(), "220 stand-in");
        let reply = lines.read_smtp_reply().await.unwrap();
        assert_eq!(reply.code, 250);
        assert_eq!(reply.lines, vec!["first", "second"]);
        assert_eq!(heard.since(0), vec!["250-first", "250 second"]);
        drop(server);
        assert_eq!(
            lines.read_line().await.unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
    }

    #[tokio::test]
    async fn a_reply_that_never_ends_is_refused_without_holding_it_all() {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        let mut lines = Lines::new(Wire::new(client, Heard::default()));
        tokio::spawn(async move {
            // An endless EHLO answer.
            while server.write_all(b"250-PIPELINING\r\n").await.is_ok() {}
        });
        let err = lines.read_smtp_reply().await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("more than 512 lines"), "{err}");
    }
}
