//! POP3 (RFC 1939) with STLS (RFC 2595), CAPA (RFC 2449) and AUTH (RFC 5034): just what a probe needs. No crate
//! does POP3 with SASL bearer tokens over tokio, and the protocol is small.
//!
//! Exchange Online: `+OK The Microsoft Exchange POP3 service is ready.`, `AUTH XOAUTH2` → `+` → the initial
//! response → `+OK User successfully authenticated.` or `-ERR Authentication failure: unknown user name or bad
//! password.` Dovecot first sends an error challenge (`+ <base64 JSON>`), which the client must answer.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::failure::{Failure, Step};
use super::net::{self, Heard, Lines, Wire};
use super::sasl::{self, decode_challenge, Mechanism};
use super::{counted, done, Done, Layer, LayerReport, Plain, Probe, Protocol, Stop};

/// A POP3 connection.
pub(crate) struct Pop3<S> {
    lines: Lines<S>,
}

/// How a login went.
pub(crate) enum Login {
    Accepted(String),
    Refused {
        reply: String,
        challenge: Option<String>,
    },
}

impl<S: AsyncRead + AsyncWrite + Unpin> Pop3<S> {
    pub(crate) fn new(stream: Wire<S>) -> Self {
        Self {
            lines: Lines::new(stream),
        }
    }

    async fn read(&mut self, step: Step) -> Result<String, Failure> {
        self.lines
            .read_line()
            .await
            .map_err(|error| Failure::broken(step, error))
    }

    async fn send(&mut self, step: Step, line: &str) -> Result<(), Failure> {
        self.lines
            .send(line)
            .await
            .map_err(|error| Failure::broken(step, error))
    }

    /// A command answered by one `+OK` / `-ERR` line; `-ERR` is a refusal.
    async fn command(&mut self, step: Step, line: &str) -> Result<String, Failure> {
        self.send(step, line).await?;
        let reply = self.read(step).await?;
        ok(step, reply)
    }

    /// The greeting.
    pub(crate) async fn greeting(&mut self) -> Result<String, Failure> {
        let reply = self.read(Step::Greeting).await?;
        ok(Step::Greeting, reply)
    }

    /// CAPA's list; empty when the server does not know CAPA.
    pub(crate) async fn capabilities(&mut self) -> Result<Vec<String>, Failure> {
        self.send(Step::Capabilities, "CAPA").await?;
        let first = self.read(Step::Capabilities).await?;
        if !first.starts_with("+OK") {
            return Ok(Vec::new());
        }
        let mut capabilities = Vec::new();
        loop {
            net::check_reply_length(capabilities.len())
                .map_err(|error| Failure::broken(Step::Capabilities, error))?;
            let line = self.read(Step::Capabilities).await?;
            if line == "." {
                return Ok(capabilities);
            }
            capabilities.push(line.strip_prefix('.').unwrap_or(&line).to_owned());
        }
    }

    /// `STLS`: the server agrees (then the caller switches to TLS) or refuses.
    pub(crate) async fn stls(&mut self) -> Result<(), Failure> {
        self.command(Step::StartTls, "STLS").await.map(drop)
    }

    /// `AUTH <mechanism>`, the initial response at the server's `+`, and the mechanism's answer to an error
    /// challenge.
    pub(crate) async fn authenticate(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        token: &str,
    ) -> Result<Login, Failure> {
        self.send(Step::Auth, &format!("AUTH {}", mechanism.name()))
            .await?;
        let mut reply = self.read(Step::Auth).await?;
        let mut challenge = None;
        let mut sent_initial = false;
        // At most: the prompt for the initial response, one error challenge.
        for _ in 0..3 {
            if reply.starts_with("+OK") {
                return Ok(Login::Accepted(reply));
            }
            if reply.starts_with("-ERR") {
                return Ok(Login::Refused { reply, challenge });
            }
            let Some(data) = reply.strip_prefix('+') else {
                return Err(Failure::unexpected(Step::Auth, &reply));
            };
            if sent_initial {
                challenge = Some(decode_challenge(data));
                self.send(Step::Auth, &mechanism.error_answer_base64()).await?;
            } else {
                sent_initial = true;
                let initial = mechanism.initial_response_base64(user, token);
                self.send(Step::Auth, initial.expose()).await?;
            }
            reply = self.read(Step::Auth).await?;
        }
        Err(Failure::unexpected(Step::Auth, &reply))
    }

    /// `STAT`: message count and size.
    pub(crate) async fn stat(&mut self) -> Result<(u64, u64), Failure> {
        let reply = self.command(Step::Stat, "STAT").await?;
        let mut numbers = reply.split_whitespace().skip(1).map(|n| n.parse::<u64>());
        match (numbers.next(), numbers.next()) {
            (Some(Ok(count)), Some(Ok(size))) => Ok((count, size)),
            _ => Err(Failure::unexpected(Step::Stat, &reply)),
        }
    }

    pub(crate) async fn quit(&mut self) {
        let _ = self.command(Step::Logout, "QUIT").await;
    }

    pub(crate) fn into_wire(self) -> Result<Wire<S>, Failure> {
        self.lines
            .into_wire()
            .map_err(|error| Failure::broken(Step::StartTls, error))
    }
}

fn ok(step: Step, reply: String) -> Result<String, Failure> {
    if reply.starts_with("+OK") {
        Ok(reply)
    } else if reply.starts_with("-ERR") {
        Err(Failure::refused(Protocol::Pop, step, reply))
    } else {
        Err(Failure::unexpected(step, &reply))
    }
}

/// The SASL mechanisms of CAPA's `SASL` line.
fn sasl_mechanisms(capabilities: &[String]) -> Vec<String> {
    sasl::listed_after(capabilities.iter().map(String::as_str), "SASL")
}

type Tls = TlsStream<TcpStream>;

/// The POP probe: TCP (+ greeting for STLS) → TLS (+ greeting for POP3S) and CAPA → token → AUTH → STAT.
pub(crate) async fn probe<F: FnMut(LayerReport)>(p: &mut Probe<'_, F>) -> Result<(), Stop> {
    let target = p.target;
    let heard = Heard::default();
    let plain = p
        .connect(async |tcp| {
            let mut pop = Pop3::new(Wire::new(tcp, heard.clone()));
            let greeting = pop.greeting().await?;
            Ok((pop.into_wire()?.into_inner(), format!("{greeting:?}")))
        })
        .await?;
    let stage = p.rec.stage();

    let config = p.tls_config();
    let pop: (Pop3<Tls>, Vec<String>) = {
        let heard = heard.clone();
        let stage = stage.clone();
        p.rec
            .layer(Layer::Tls, async move {
                let config = config?;
                let (tcp, greeted) = match plain {
                    Plain::Greeted(tcp) => {
                        stage.set("the answer to STLS");
                        let mut pop = Pop3::new(Wire::new(tcp, heard.clone()));
                        pop.stls()
                            .await
                            .map_err(|failure| Failure::no_starttls(failure, None))?;
                        (pop.into_wire()?.into_inner(), true)
                    }
                    Plain::Tcp(tcp) => (tcp, false),
                };
                stage.set("the TLS handshake");
                let (tls, session) = net::secure(&config, &target.host, tcp).await?;
                let mut pop = Pop3::new(Wire::new(tls, heard));
                let detail = if greeted {
                    format!("STLS, {session}")
                } else {
                    stage.set("the server's greeting");
                    let greeting = pop.greeting().await?;
                    format!("{session}; the server says {greeting:?}")
                };
                stage.set("the answer to CAPA");
                let capabilities = pop.capabilities().await?;
                Ok(Done::new((pop, capabilities), detail))
            })
            .await?
    };
    let (mut pop, capabilities) = pop;
    p.token_layer(false).await?;

    let mechanism = target.mechanism.pick(&sasl_mechanisms(&capabilities));
    p.mechanism = Some(mechanism);
    let token = p.token;
    let user = target.mailbox();
    p.rec
        .layer(Layer::Auth, async {
            match pop.authenticate(mechanism, user, token.expose()).await? {
                Login::Accepted(reply) => Ok(done(format!("{mechanism} as {user}: {reply:?}"))),
                Login::Refused { reply, challenge } => {
                    Err(Failure::login_refused(Protocol::Pop, reply, challenge))
                }
            }
        })
        .await?;

    p.rec
        .layer(Layer::Mailbox, async {
            stage.set("the answer to STAT");
            let (count, size) = pop.stat().await?;
            Ok(done(format!(
                "STAT: {} ({size} bytes) in {user}",
                counted(count, "message")
            )))
        })
        .await?;
    let _ = tokio::time::timeout(p.options.timeout, pop.quit()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_mechanisms_come_from_the_sasl_line() {
        let capa: Vec<String> = ["TOP", "UIDL", "SASL XOAUTH2 OAUTHBEARER", "USER"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(sasl_mechanisms(&capa), vec!["XOAUTH2", "OAUTHBEARER"]);
        assert!(sasl_mechanisms(&[]).is_empty());
    }
}
