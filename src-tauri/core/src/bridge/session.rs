//! What every bridge session shares: the program's connection (plain, STARTTLS or implicit TLS, read line by
//! line with bounds and time limits), the bridge-password check with its backoff, and the login to the mail
//! server with a fresh token, whose failures become events with a diagnosis.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rand::Rng as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use super::upstream::{self, Login};
use super::{BridgeEvent, BridgeProtocol, BridgeTimeouts, ConnectingGuard, Shared};
use crate::diagnosis::mail::MailContext;
use crate::diagnosis::{Diagnosis, Fixer};
use crate::identity::Endpoints;
use crate::model::{Account, Flow, HostPort, Resource};
use crate::sensitive::{same_secret, SecretString};
use crate::token_lifecycle::{now_unix, TokenError};

/// How one listener's sessions run.
pub(crate) struct Settings {
    pub protocol: BridgeProtocol,
    pub implicit_tls: bool,
    pub tls: Option<Arc<ServerConfig>>,
    pub require_tls: bool,
    pub timeouts: BridgeTimeouts,
}

/// The longest command line before login (a PLAIN response with a long password fits many times over).
pub(crate) const MAX_LINE: usize = 8 * 1024;

/// What came of a program's STARTTLS.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StartTls {
    Started,
    Unavailable,
    /// Refused because plain text followed it: the session ends.
    End,
}

/// The program's connection: plain, or TLS (implicit or after STARTTLS).
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
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

/// The program's side of a session before login.
pub(crate) struct Client {
    stream: Option<Stream>,
    /// Read but not yet used.
    pub buf: Vec<u8>,
    pub peer: SocketAddr,
    pub settings: Arc<Settings>,
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "the program closed the connection")
}

impl Client {
    fn stream(&mut self) -> io::Result<&mut Stream> {
        self.stream.as_mut().ok_or_else(closed)
    }

    /// Reads more into the buffer, within the pre-login time limit.
    pub async fn fill(&mut self) -> io::Result<()> {
        self.fill_within(self.settings.timeouts.pre_auth).await
    }

    async fn fill_within(&mut self, limit: Duration) -> io::Result<()> {
        let Some(stream) = self.stream.as_mut() else {
            return Err(closed());
        };
        self.buf.reserve(16 * 1024);
        let n = tokio::time::timeout(limit, stream.read_buf(&mut self.buf))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the program said nothing in time"))??;
        if n == 0 {
            return Err(closed());
        }
        Ok(())
    }

    /// One line with its line end, at most `max` bytes, waiting at most `limit` for each read.
    pub async fn read_raw_line(&mut self, max: usize, limit: Duration) -> io::Result<Vec<u8>> {
        let mut searched = 0;
        loop {
            if let Some(end) = self.buf[searched..].iter().position(|&b| b == b'\n') {
                return Ok(self.buf.drain(..=searched + end).collect());
            }
            searched = self.buf.len();
            if self.buf.len() > max {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "overlong line"));
            }
            self.fill_within(limit).await?;
        }
    }

    /// One line without its line end; an overlong line is an error.
    pub async fn read_line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            if self.buf.len() > MAX_LINE {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "overlong line"));
            }
            self.fill().await?;
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        let stream = self.stream()?;
        stream.write_all(bytes).await?;
        stream.flush().await
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Some(Stream::Tls(_)))
    }

    /// Whether STARTTLS can be offered now.
    pub fn can_start_tls(&self) -> bool {
        self.settings.tls.is_some() && !self.is_tls()
    }

    /// Whether a password may be sent now (the LAN mode wants TLS first).
    pub fn login_allowed(&self) -> bool {
        !self.settings.require_tls || self.is_tls()
    }

    /// The program's STARTTLS (POP's STLS), answered in its protocol's words: `unavailable` when this listener
    /// has no certificate or TLS is on already; `followed` when something came after the command in plain text
    /// (the session ends); else `ready`, then the handshake.
    pub async fn answer_start_tls(
        &mut self,
        unavailable: &[u8],
        followed: &[u8],
        ready: &[u8],
    ) -> io::Result<StartTls> {
        if !self.can_start_tls() {
            self.send(unavailable).await?;
            return Ok(StartTls::Unavailable);
        }
        if !self.buf.is_empty() {
            self.send(followed).await?;
            return Ok(StartTls::End);
        }
        self.send(ready).await?;
        self.start_tls().await?;
        Ok(StartTls::Started)
    }

    /// The TLS handshake after the program's STARTTLS was agreed to. Whatever the program sent ahead of the
    /// handshake is refused (a command injected in plain text must not end up inside TLS).
    pub async fn start_tls(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the program sent data after STARTTLS before the TLS handshake",
            ));
        }
        let Some(config) = self.settings.tls.clone() else {
            return Err(io::Error::other("no certificate for TLS"));
        };
        let Some(Stream::Plain(tcp)) = self.stream.take() else {
            return Err(io::Error::other("TLS has already started"));
        };
        let tls = tokio::time::timeout(
            self.settings.timeouts.pre_auth,
            TlsAcceptor::from(config).accept(tcp),
        )
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the TLS handshake took too long"))??;
        self.stream = Some(Stream::Tls(Box::new(tls)));
        Ok(())
    }

    pub fn into_parts(mut self) -> io::Result<(Stream, Vec<u8>)> {
        let stream = self.stream.take().ok_or_else(closed)?;
        Ok((stream, std::mem::take(&mut self.buf)))
    }
}

/// Serves one connection to the end.
pub(crate) async fn serve(shared: Arc<Shared>, settings: Arc<Settings>, tcp: TcpStream, peer: SocketAddr) {
    let connecting = ConnectingGuard::new(&shared);
    let stream = if settings.implicit_tls {
        let Some(config) = settings.tls.clone() else {
            return;
        };
        match tokio::time::timeout(settings.timeouts.pre_auth, TlsAcceptor::from(config).accept(tcp)).await {
            Ok(Ok(tls)) => Stream::Tls(Box::new(tls)),
            Ok(Err(error)) => {
                tracing::debug!(%peer, %error, "TLS handshake with a program failed");
                return;
            }
            Err(_) => return,
        }
    } else {
        Stream::Plain(tcp)
    };
    let client = Client {
        stream: Some(stream),
        buf: Vec::new(),
        peer,
        settings: settings.clone(),
    };
    let result = match settings.protocol {
        BridgeProtocol::Imap => super::imap::serve(&shared, client, connecting).await,
        BridgeProtocol::Pop => super::pop::serve(&shared, client, connecting).await,
        BridgeProtocol::Smtp => super::smtp::serve(&shared, client, connecting).await,
    };
    if let Err(error) = result {
        tracing::debug!(%peer, protocol = settings.protocol.name(), %error, "bridge session ended");
    }
}

/// A new bridge password: 20 characters from 32 that can't be mistaken for one another, in groups of four
/// (100 bits).
pub fn generate_password() -> SecretString {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let mut out = String::with_capacity(24);
    for i in 0..20 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]));
    }
    SecretString::new(out)
}

/// The account a program logged in as.
pub(crate) struct Authorized {
    pub account: Account,
    pub server: HostPort,
    /// The SASL user upstream: the shared mailbox when the account acts on one, else its address.
    pub mailbox: String,
    pub app_only: bool,
    pub client_id: String,
}

/// Why a login was refused.
pub(crate) enum Refusal {
    /// Wrong user name or password (or none set, or revoked): the program's ordinary "authentication failed".
    Credentials,
    /// The mail server, or Microsoft, refused the account (the event has the diagnosis).
    Upstream(String),
    /// The mail server or Microsoft could not be reached: try again later.
    Unavailable(String),
}

/// How a protocol words the end of a login: the start of a refusal (`a1 NO [AUTHENTICATIONFAILED]`, `-ERR [AUTH]`,
/// `535 5.7.8`) and its text for wrong credentials, the start of a "try again later", and what goes before the
/// mail server's own acceptance (IMAP's tag).
pub(crate) struct Wording {
    pub refused: String,
    pub credentials: &'static str,
    pub unavailable: String,
    pub accepted: String,
}

impl Wording {
    fn answer(&self, refusal: Refusal) -> String {
        match refusal {
            Refusal::Credentials => format!("{} {}\r\n", self.refused, self.credentials),
            Refusal::Upstream(why) => format!("{} {}\r\n", self.refused, one_line(&why)),
            Refusal::Unavailable(why) => format!("{} {}\r\n", self.unavailable, one_line(&why)),
        }
    }
}

/// Text safe for the end of a reply line: no control characters, at most 300 characters.
pub(crate) fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
}

/// A login the mail server accepted (and the program was told so): who, and the connection.
pub(crate) struct LoggedIn<T> {
    pub who: Authorized,
    pub conn: T,
}

/// The session after an IMAP or POP login, passed through unchanged both ways; counted while it lasts.
pub(crate) async fn pass(
    shared: &Arc<Shared>,
    protocol: BridgeProtocol,
    client: Client,
    done: LoggedIn<(upstream::Tls, Vec<u8>)>,
) -> io::Result<()> {
    let _session = shared.open_session(protocol, &done.who.account.name, client.peer);
    let (stream, client_ahead) = client.into_parts()?;
    let (upstream, upstream_ahead) = done.conn;
    pass_through(stream, client_ahead, upstream, upstream_ahead).await
}

impl Shared {
    /// A program's login: the bridge password checked, then the mail server logged in to with the account's
    /// token, and the program answered in its protocol's `wording`: with the mail server's acceptance (and the
    /// untagged lines before it), or a refusal, which is `None`.
    pub(crate) async fn login<T>(
        &self,
        protocol: BridgeProtocol,
        client: &mut Client,
        (user, password): (&str, SecretString),
        connect: impl AsyncFnOnce(
            &HostPort,
            &Arc<tokio_rustls::rustls::ClientConfig>,
            &str,
            &str,
        ) -> io::Result<Login<T>>,
        wording: &Wording,
    ) -> io::Result<Option<LoggedIn<T>>> {
        let peer = client.peer;
        let outcome = async {
            let who = self.check_password(protocol, peer, user, password).await?;
            let token = self.upstream_token(protocol, peer, &who).await?;
            let attempt = tokio::time::timeout(
                self.timeouts.upstream,
                connect(&who.server, &self.upstream_tls, &who.mailbox, token.expose()),
            )
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the mail server did not answer in time",
                ))
            });
            let (conn, reply, untagged) = self.judge_login(protocol, peer, &who, attempt)?;
            Ok::<_, Refusal>((LoggedIn { who, conn }, reply, untagged))
        }
        .await;
        match outcome {
            Ok((done, reply, untagged)) => {
                let mut out = String::new();
                for line in untagged {
                    out.push_str(&line);
                    out.push_str("\r\n");
                }
                out.push_str(&format!("{}{reply}\r\n", wording.accepted));
                client.send(out.as_bytes()).await?;
                Ok(Some(done))
            }
            Err(refusal) => {
                client.send(wording.answer(refusal).as_bytes()).await?;
                Ok(None)
            }
        }
    }

    /// Checks `user` and `password` (constant-time, with the peer's backoff first), finds the account's mail
    /// server for `protocol`.
    async fn check_password(
        &self,
        protocol: BridgeProtocol,
        peer: SocketAddr,
        user: &str,
        password: SecretString,
    ) -> Result<Authorized, Refusal> {
        let wait = self.penalty(peer.ip());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        let store = self.tokens.store().clone();
        let vault = self.tokens.vault().clone();
        let wanted = user.trim().to_owned();
        let found = tokio::task::spawn_blocking(move || -> Result<_, String> {
            let config = store.load().map_err(|e| e.to_string())?;
            let by_name = config
                .accounts
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(&wanted));
            let by_address: Vec<&Account> = config
                .accounts
                .iter()
                .filter(|a| a.address.eq_ignore_ascii_case(&wanted))
                .collect();
            let account = match (by_name, by_address.as_slice()) {
                (Some(account), _) => account.clone(),
                (None, [account]) => (*account).clone(),
                _ => return Ok(None),
            };
            let registration = config.registration(&account.registration).cloned();
            let stored = vault.bridge_password(&account.name).map_err(|e| e.to_string())?;
            Ok(Some((account, registration, stored)))
        })
        .await
        .map_err(|e| Refusal::Unavailable(format!("the account lookup stopped: {e}")))?
        .map_err(|e| {
            tracing::warn!(error = %e, "the bridge cannot read the config or the keychain");
            Refusal::Unavailable("Mailgrant cannot read its config or the keychain".to_owned())
        })?;
        let matches = match &found {
            Some((_, _, Some(stored))) => same_secret(stored.expose(), password.expose()),
            _ => {
                // As long as a real comparison, so timing doesn't tell which user names exist.
                let _ = same_secret("not-a-bridge-password", password.expose());
                false
            }
        };
        let account_name = found.as_ref().map(|(a, ..)| a.name.clone());
        if !matches {
            let penalty = self.failed(peer.ip());
            tracing::warn!(%peer, protocol = protocol.name(), user, "wrong bridge password");
            self.record(BridgeEvent {
                at: now_unix(),
                protocol,
                account: account_name,
                peer: peer.to_string(),
                message: format!(
                    "a program at {} logged in as {user:?} with a wrong or revoked bridge password",
                    peer.ip()
                ),
                diagnosis: None,
            });
            tokio::time::sleep(penalty).await;
            return Err(Refusal::Credentials);
        }
        self.succeeded(peer.ip());
        let Some((account, Some(registration), _)) = found else {
            return Err(Refusal::Unavailable(
                "the account's app registration is missing".to_owned(),
            ));
        };
        if !account.services.contains(&protocol.service()) {
            let message = format!(
                "the account {:?} is not set up for {}: add it in Mailgrant",
                account.name,
                protocol.name()
            );
            self.record(BridgeEvent {
                at: now_unix(),
                protocol,
                account: Some(account.name.clone()),
                peer: peer.to_string(),
                message: message.clone(),
                diagnosis: None,
            });
            return Err(Refusal::Upstream(message));
        }
        let endpoints = Endpoints::for_cloud(&registration.cloud);
        let Some(server) =
            crate::handoff::server_of(&account, &endpoints, &registration.cloud, protocol.service())
        else {
            return Err(Refusal::Unavailable("the account has no mail server".to_owned()));
        };
        Ok(Authorized {
            mailbox: account
                .shared_mailbox
                .clone()
                .unwrap_or_else(|| account.address.clone()),
            app_only: account.flow == Flow::ClientCredentials,
            client_id: registration.client_id.to_string(),
            server,
            account,
        })
    }

    /// What happened to a program's login at Microsoft or the mail server, for the bridge page.
    fn login_event(
        protocol: BridgeProtocol,
        peer: SocketAddr,
        who: &Authorized,
        message: String,
        diagnosis: Option<Diagnosis>,
    ) -> BridgeEvent {
        BridgeEvent {
            at: now_unix(),
            protocol,
            account: Some(who.account.name.clone()),
            peer: peer.to_string(),
            message,
            diagnosis,
        }
    }

    /// A fresh access token for the account's mail server. A failure is recorded with its diagnosis.
    async fn upstream_token(
        &self,
        protocol: BridgeProtocol,
        peer: SocketAddr,
        who: &Authorized,
    ) -> Result<SecretString, Refusal> {
        let event = |message, diagnosis| Self::login_event(protocol, peer, who, message, diagnosis);
        match self
            .tokens
            .access_token(&who.account.name, Resource::Outlook)
            .await
        {
            Ok(issued) => Ok(issued.token),
            Err(error) => {
                let sign_in = matches!(
                    error,
                    TokenError::SignInAgain { .. } | TokenError::NoRefreshToken { .. }
                );
                let message = format!("cannot get a token for {}: {error}", who.account.name);
                tracing::warn!(account = %who.account.name, error = %error, "the bridge cannot get a token");
                self.record(event(message.clone(), error.diagnosis().cloned()));
                Err(if sign_in {
                    Refusal::Upstream(format!(
                        "the account {} must sign in again in Mailgrant",
                        who.account.name
                    ))
                } else {
                    Refusal::Unavailable("Mailgrant cannot get a token from Microsoft".to_owned())
                })
            }
        }
    }

    /// The mail server's answer to the bridge's login. A failure is recorded with its diagnosis.
    fn judge_login<T>(
        &self,
        protocol: BridgeProtocol,
        peer: SocketAddr,
        who: &Authorized,
        attempt: io::Result<Login<T>>,
    ) -> Result<(T, String, Vec<String>), Refusal> {
        let event = |message, diagnosis| Self::login_event(protocol, peer, who, message, diagnosis);
        match attempt {
            Ok(Login::Accepted {
                conn,
                reply,
                untagged,
            }) => Ok((conn, reply, untagged)),
            Ok(Login::Refused { reply, challenge }) => {
                let said = match &challenge {
                    Some(challenge) => format!("{challenge}\n{reply}"),
                    None => reply.clone(),
                };
                let context = MailContext {
                    mailbox: Some(&who.mailbox),
                    app_only: who.app_only,
                    client_id: Some(&who.client_id),
                };
                let diagnosis = Diagnosis::from_mail_reply(protocol.mail_protocol(), &said, &context);
                tracing::warn!(account = %who.account.name, server = %who.server, reply = %reply, "the mail server refused the bridge's token");
                self.record(event(
                    format!(
                        "{} refused the token of {}: {reply}",
                        who.server, who.account.name
                    ),
                    Some(diagnosis.clone()),
                ));
                Err(Refusal::Upstream(diagnosis.title))
            }
            Err(error) => {
                let diagnosis = Diagnosis::new(
                    "BRIDGE_UPSTREAM",
                    "The mail server could not be reached",
                    format!(
                        "Mailgrant's bridge could not connect and log in to {}: {error}.",
                        who.server
                    ),
                    Fixer::You,
                )
                .with_step("Check the network connection, then run Test on the account in Mailgrant.")
                .with_retryable(true);
                tracing::warn!(account = %who.account.name, server = %who.server, %error, "the bridge cannot reach the mail server");
                self.record(event(
                    format!("cannot reach {}: {error}", who.server),
                    Some(diagnosis),
                ));
                Err(Refusal::Unavailable(format!("cannot reach {}", who.server)))
            }
        }
    }
}

/// Copies both ways until both sides have closed: the session after login.
pub(crate) async fn pass_through(
    client: Stream,
    client_ahead: Vec<u8>,
    upstream: upstream::Tls,
    upstream_ahead: Vec<u8>,
) -> io::Result<()> {
    let mut client = client;
    let mut upstream = upstream;
    if !client_ahead.is_empty() {
        upstream.write_all(&client_ahead).await?;
        upstream.flush().await?;
    }
    if !upstream_ahead.is_empty() {
        client.write_all(&upstream_ahead).await?;
        client.flush().await?;
    }
    let (client_read, client_write) = tokio::io::split(client);
    let (upstream_read, upstream_write) = tokio::io::split(upstream);
    tokio::try_join!(
        pump(client_read, upstream_write),
        pump(upstream_read, client_write)
    )
    .map(drop)
}

/// The most one write carries.
const PUMP_BUFFER: usize = 256 * 1024;

/// Copies `from` to `to` until `from` ends, then shuts `to` down. After each read it also takes whatever else is
/// already waiting (a mail server sends a FETCH as many small TLS records), so the program gets one write for
/// many records instead of a wake-up per record.
async fn pump<R, W>(mut from: R, mut to: W) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    use futures::FutureExt as _;
    let mut buf = vec![0u8; PUMP_BUFFER];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            let _ = to.shutdown().await;
            return Ok(());
        }
        let mut filled = n;
        let mut ended = false;
        while filled < buf.len() {
            match from.read(&mut buf[filled..]).now_or_never() {
                Some(Ok(0)) => {
                    ended = true;
                    break;
                }
                Some(Ok(more)) => filled += more,
                Some(Err(error)) => return Err(error),
                None => break,
            }
        }
        to.write_all(&buf[..filled]).await?;
        to.flush().await?;
        if ended {
            let _ = to.shutdown().await;
            return Ok(());
        }
    }
}

/// The user name and password of a SASL PLAIN response (`authzid NUL authcid NUL password`); an authzid other
/// than the authcid is refused.
pub(crate) fn plain_credentials(response: &[u8]) -> Option<(String, SecretString)> {
    let mut parts = response.splitn(3, |&b| b == 0);
    let authzid = parts.next()?;
    let authcid = parts.next()?;
    let password = parts.next()?;
    let authcid = std::str::from_utf8(authcid).ok()?;
    if !authzid.is_empty() && authzid != authcid.as_bytes() {
        return None;
    }
    let password = std::str::from_utf8(password).ok()?;
    if authcid.is_empty() {
        return None;
    }
    Some((authcid.to_owned(), SecretString::new(password.to_owned())))
}

/// Base64 of a SASL line (`=` is an empty response).
pub(crate) fn decode_base64(line: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let text = std::str::from_utf8(line).ok()?.trim();
    if text == "=" {
        return Some(Vec::new());
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Sleeps a little after a refused login of a kind the backoff does not cover (an unknown mechanism).
pub(crate) async fn small_delay() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_long_random_and_readable() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.expose().len(), 24);
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().chars().all(|c| c == '-' || c.is_ascii_alphanumeric()));
        assert_eq!(a.expose().matches('-').count(), 4);
    }

    #[test]
    fn plain_responses_name_the_user_and_the_password() {
        let (user, password) = plain_credentials(b"\0adele@contoso.com\0pw 1").unwrap();
        assert_eq!(user, "adele@contoso.com");
        assert_eq!(password.expose(), "pw 1");
        assert!(plain_credentials(b"adele@contoso.com\0adele@contoso.com\0pw").is_some());
        assert!(plain_credentials(b"megan@contoso.com\0adele@contoso.com\0pw").is_none());
        assert!(plain_credentials(b"\0\0pw").is_none());
        assert!(plain_credentials(b"no nul").is_none());
    }
}
