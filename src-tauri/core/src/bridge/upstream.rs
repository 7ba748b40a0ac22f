//! The bridge's side towards the account's mail server: TCP, TLS (implicit or STARTTLS, by port, as the probes
//! do), and SASL XOAUTH2 with the access token, answering an error challenge the way the server expects. Built on
//! the probes' line connection, TLS set-up and POP3 client.

use std::io;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::ClientConfig;

use crate::model::HostPort;
use crate::probe::net::{self, Heard, Lines, SmtpReply, Wire};
use crate::probe::pop::{self as pop_client, Pop3};
use crate::probe::sasl::{decode_challenge, Mechanism};
use crate::probe::Security;

pub(crate) type Tls = TlsStream<TcpStream>;

/// How a login to the mail server went.
pub(crate) enum Login<T> {
    Accepted {
        conn: T,
        /// The server's final line (IMAP: without the tag).
        reply: String,
        /// IMAP: untagged lines the server sent during the login.
        untagged: Vec<String>,
    },
    Refused {
        reply: String,
        /// The server's error challenge, decoded.
        challenge: Option<String>,
    },
}

/// The most lines a login exchange may take.
const MAX_LOGIN_LINES: usize = 64;

async fn tcp(server: &HostPort) -> io::Result<TcpStream> {
    let addresses = net::resolve(&server.host, server.port).await?;
    let tcp = net::connect(&addresses).await?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

fn bad(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// The stream after login and what the server sent past the final line.
pub(crate) type Raw = (Tls, Vec<u8>);

/// IMAP: the greeting, STARTTLS when the port says so, `AUTHENTICATE XOAUTH2` (the initial response on the
/// command line when the greeting lists SASL-IR).
pub(crate) async fn imap(
    server: &HostPort,
    config: &Arc<ClientConfig>,
    user: &str,
    token: &str,
) -> io::Result<Login<Raw>> {
    let tcp = tcp(server).await?;
    let (tls, greeting) = match Security::for_port(server.port) {
        Security::ImplicitTls => {
            let tls = net::handshake(config, &server.host, tcp).await?;
            let mut lines = Lines::new(Wire::new(tls, Heard::default()));
            let greeting = lines.read_line().await?;
            (lines, greeting)
        }
        Security::StartTls => {
            let mut lines = Lines::new(Wire::new(tcp, Heard::default()));
            let greeting = lines.read_line().await?;
            if !greeting.starts_with("* OK") {
                return Err(bad(format!("the server's greeting: {greeting:?}")));
            }
            lines.send("B0 STARTTLS").await?;
            loop {
                let line = lines.read_line().await?;
                if let Some(rest) = line.strip_prefix("B0 ") {
                    if !rest.starts_with("OK") {
                        return Err(bad(format!("the server refused STARTTLS: {rest}")));
                    }
                    break;
                }
            }
            let tcp = lines.into_wire()?.into_inner();
            let tls = net::handshake(config, &server.host, tcp).await?;
            (Lines::new(Wire::new(tls, Heard::default())), greeting)
        }
    };
    let mut lines = tls;
    if !greeting.starts_with("* OK") {
        return Err(bad(format!("the server's greeting: {greeting:?}")));
    }
    let sasl_ir = greeting.to_ascii_uppercase().contains("SASL-IR");
    let initial = Mechanism::XOAuth2.initial_response_base64(user, token);
    if sasl_ir {
        lines
            .send(&format!("B1 AUTHENTICATE XOAUTH2 {}", initial.expose()))
            .await?;
    } else {
        lines.send("B1 AUTHENTICATE XOAUTH2").await?;
    }
    let mut sent_initial = sasl_ir;
    let mut challenge = None;
    let mut untagged = Vec::new();
    for _ in 0..MAX_LOGIN_LINES {
        let line = lines.read_line().await?;
        if let Some(rest) = line.strip_prefix("B1 ") {
            if rest.starts_with("OK") {
                let (wire, ahead) = lines.into_parts();
                return Ok(Login::Accepted {
                    conn: (wire.into_inner(), ahead),
                    reply: rest.to_owned(),
                    untagged,
                });
            }
            return Ok(Login::Refused {
                reply: rest.to_owned(),
                challenge,
            });
        } else if let Some(data) = line.strip_prefix('+') {
            if sent_initial {
                challenge = Some(decode_challenge(data));
                lines.send(&Mechanism::XOAuth2.error_answer_base64()).await?;
            } else {
                sent_initial = true;
                lines.send(initial.expose()).await?;
            }
        } else if line.starts_with('*') {
            untagged.push(line);
        } else {
            return Err(bad(format!("an unexpected answer to AUTHENTICATE: {line:?}")));
        }
    }
    Err(bad("the login went on too long"))
}

fn failure(f: crate::probe::failure::Failure) -> io::Error {
    io::Error::other(f.summary())
}

/// POP3: the probes' client: greeting, STLS when the port says so, `AUTH XOAUTH2`.
pub(crate) async fn pop(
    server: &HostPort,
    config: &Arc<ClientConfig>,
    user: &str,
    token: &str,
) -> io::Result<Login<Raw>> {
    let tcp = tcp(server).await?;
    let mut pop = match Security::for_port(server.port) {
        Security::ImplicitTls => {
            let tls = net::handshake(config, &server.host, tcp).await?;
            let mut pop = Pop3::new(Wire::new(tls, Heard::default()));
            pop.greeting().await.map_err(failure)?;
            pop
        }
        Security::StartTls => {
            let mut pop = Pop3::new(Wire::new(tcp, Heard::default()));
            pop.greeting().await.map_err(failure)?;
            pop.stls().await.map_err(failure)?;
            let tcp = pop.into_wire().map_err(failure)?.into_inner();
            let tls = net::handshake(config, &server.host, tcp).await?;
            Pop3::new(Wire::new(tls, Heard::default()))
        }
    };
    match pop
        .authenticate(Mechanism::XOAuth2, user, token)
        .await
        .map_err(failure)?
    {
        pop_client::Login::Accepted(reply) => Ok(Login::Accepted {
            conn: (pop.into_wire().map_err(failure)?.into_inner(), Vec::new()),
            reply,
            untagged: Vec::new(),
        }),
        pop_client::Login::Refused { reply, challenge } => Ok(Login::Refused { reply, challenge }),
    }
}

/// The name the bridge gives in EHLO.
const HELLO: &str = "mailgrant-bridge.localhost";

async fn smtp_reply<S>(lines: &mut Lines<S>) -> io::Result<SmtpReply>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    lines.read_smtp_reply().await
}

/// SMTP submission: greeting, EHLO, STARTTLS when the port says so (then EHLO again), `AUTH XOAUTH2` with the
/// initial response. The connection stays a line connection: the bridge goes on reading commands.
pub(crate) async fn smtp(
    server: &HostPort,
    config: &Arc<ClientConfig>,
    user: &str,
    token: &str,
) -> io::Result<Login<Lines<Tls>>> {
    let tcp = tcp(server).await?;
    let mut lines = match Security::for_port(server.port) {
        Security::ImplicitTls => {
            let tls = net::handshake(config, &server.host, tcp).await?;
            let mut lines = Lines::new(Wire::new(tls, Heard::default()));
            expect(smtp_reply(&mut lines).await?, 220, "greeting")?;
            lines
        }
        Security::StartTls => {
            let mut lines = Lines::new(Wire::new(tcp, Heard::default()));
            expect(smtp_reply(&mut lines).await?, 220, "greeting")?;
            lines.send(&format!("EHLO {HELLO}")).await?;
            expect(smtp_reply(&mut lines).await?, 250, "EHLO")?;
            lines.send("STARTTLS").await?;
            expect(smtp_reply(&mut lines).await?, 220, "STARTTLS")?;
            let tcp = lines.into_wire()?.into_inner();
            let tls = net::handshake(config, &server.host, tcp).await?;
            Lines::new(Wire::new(tls, Heard::default()))
        }
    };
    lines.send(&format!("EHLO {HELLO}")).await?;
    expect(smtp_reply(&mut lines).await?, 250, "EHLO")?;
    let initial = Mechanism::XOAuth2.initial_response_base64(user, token);
    lines.send(&format!("AUTH XOAUTH2 {}", initial.expose())).await?;
    let mut reply = smtp_reply(&mut lines).await?;
    let mut challenge = None;
    if reply.code == 334 {
        challenge = Some(decode_challenge(&reply.lines.join("")));
        lines.send(&Mechanism::XOAuth2.error_answer_base64()).await?;
        reply = smtp_reply(&mut lines).await?;
    }
    if reply.code == 235 {
        Ok(Login::Accepted {
            reply: reply.to_string(),
            conn: lines,
            untagged: Vec::new(),
        })
    } else {
        Ok(Login::Refused {
            reply: reply.to_string(),
            challenge,
        })
    }
}

fn expect(reply: SmtpReply, code: u16, what: &str) -> io::Result<SmtpReply> {
    if reply.code == code {
        Ok(reply)
    } else {
        Err(bad(format!("the server's answer to {what}: {reply}")))
    }
}
