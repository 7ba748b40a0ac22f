//! IMAP through async-imap over tokio-rustls: implicit TLS or STARTTLS, `AUTHENTICATE XOAUTH2` (with SASL-IR when
//! offered: the initial response on the command line) or `OAUTHBEARER`, the error-challenge answer, then `LIST`
//! and `EXAMINE INBOX` (the read-only `SELECT`: a probe changes nothing, not even `\Recent`). Exchange Online can
//! accept the token and then answer every command with `BAD User is authenticated but not connected.`, which is why
//! the mailbox layer exists.

use std::time::{Duration, Instant};

use async_imap::error::Error as ImapError;
use async_imap::imap_proto::{Capability, Response, ResponseCode, Status};
use async_imap::Authenticator;
use futures::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::ClientConfig;

use super::failure::{Failure, Step};
use super::net::{self, Heard, Wire};
use super::sasl::{Mechanism, MechanismChoice};
use super::{counted, done, Done, Layer, LayerReport, MailServer, Plain, Probe, Protocol, Security, Stop};
use crate::sensitive::Sensitive;

type Tls = TlsStream<TcpStream>;
type Client<S> = async_imap::Client<Wire<S>>;
pub(crate) type Session = async_imap::Session<Wire<Tls>>;

trait Stream: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + std::fmt::Debug + Send> Stream for T {}

fn io_failure(step: Step, error: impl Into<std::io::Error>) -> Failure {
    Failure::broken(step, error.into())
}

/// Maps async-imap's error: a tagged NO or BAD becomes a refusal quoted from what the server said.
fn imap_failure(step: Step, error: ImapError, heard: &Heard, mark: usize) -> Failure {
    match error {
        ImapError::No(_) | ImapError::Bad(_) => match tagged_reply(heard, mark) {
            Some(reply) => Failure::refused(Protocol::Imap, step, reply),
            None => Failure::unexpected(step, &error.to_string()),
        },
        ImapError::Io(error) => io_failure(step, error),
        ImapError::ConnectionLost => io_failure(
            step,
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ),
        ),
        other => Failure::unexpected(step, &other.to_string()),
    }
}

/// The last tagged line the server sent since `mark`, without its tag (`NO [AUTHENTICATIONFAILED] …`).
fn tagged_reply(heard: &Heard, mark: usize) -> Option<String> {
    heard
        .since(mark)
        .into_iter()
        .rev()
        .find(|line| !line.starts_with('*') && !line.starts_with('+'))
        .map(|line| match line.split_once(' ') {
            Some((_, rest)) => rest.to_owned(),
            None => line,
        })
}

fn capability_name(capability: &Capability<'_>) -> String {
    match capability {
        Capability::Imap4rev1 => "IMAP4rev1".to_owned(),
        Capability::Auth(mechanism) => format!("AUTH={mechanism}"),
        Capability::Atom(atom) => atom.to_string(),
    }
}

/// Reads the greeting: its text and the capabilities it carries, if any. `* BYE` is a refusal.
async fn greeting<S: Stream>(
    client: &mut Client<S>,
    heard: &Heard,
) -> Result<(String, Vec<String>), Failure> {
    let response = client
        .read_response()
        .await
        .map_err(|error| io_failure(Step::Greeting, error))?
        .ok_or_else(|| {
            io_failure(
                Step::Greeting,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ),
            )
        })?;
    let line = heard.last_line().unwrap_or_default();
    match response.parsed() {
        Response::Data {
            status: Status::Ok | Status::PreAuth,
            code,
            ..
        } => {
            let capabilities = match code {
                Some(ResponseCode::Capabilities(list)) => list.iter().map(capability_name).collect(),
                _ => Vec::new(),
            };
            Ok((line, capabilities))
        }
        Response::Data { .. } => Err(Failure::refused(
            Protocol::Imap,
            Step::Greeting,
            line.trim_start_matches("* ").to_owned(),
        )),
        _ => Err(Failure::unexpected(Step::Greeting, &line)),
    }
}

/// `CAPABILITY` before logging in (async-imap has it only on a session): the untagged answer is read from what
/// was heard.
async fn capabilities<S: Stream>(client: &mut Client<S>, heard: &Heard) -> Result<Vec<String>, Failure> {
    let mark = heard.mark();
    client
        .run_command_and_check_ok("CAPABILITY", None)
        .await
        .map_err(|error| imap_failure(Step::Capabilities, error, heard, mark))?;
    Ok(heard
        .since(mark)
        .iter()
        .filter_map(|line| {
            let rest = line.strip_prefix("* ")?;
            let (word, list) = rest.split_once(' ')?;
            word.eq_ignore_ascii_case("CAPABILITY").then_some(list)
        })
        .flat_map(|list| list.split_whitespace().map(str::to_owned))
        .collect())
}

/// `OK [CAPABILITY …] Logged in` → `OK Logged in`: the list is long and says nothing here.
fn without_capabilities(reply: &str) -> String {
    match (reply.find("[CAPABILITY "), reply.find(']')) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{}", &reply[..start], reply[end + 1..].trim_start())
        }
        _ => reply.to_owned(),
    }
}

fn has(capabilities: &[String], name: &str) -> bool {
    capabilities.iter().any(|c| c.eq_ignore_ascii_case(name))
}

fn auth_mechanisms(capabilities: &[String]) -> Vec<String> {
    capabilities
        .iter()
        .filter_map(|c| {
            c.get(..5)
                .filter(|p| p.eq_ignore_ascii_case("AUTH="))
                .map(|_| c[5..].to_owned())
        })
        .collect()
}

/// `STARTTLS` on a plain connection, then the handshake. Returns the TLS stream and the session's description.
async fn start_tls(
    mut client: Client<TcpStream>,
    capabilities: &[String],
    config: &std::sync::Arc<ClientConfig>,
    host: &str,
    heard: &Heard,
) -> Result<(Tls, String), Failure> {
    let mark = heard.mark();
    if let Err(error) = client.run_command_and_check_ok("STARTTLS", None).await {
        let offered = (!capabilities.is_empty()).then(|| has(capabilities, "STARTTLS"));
        return Err(Failure::no_starttls(
            imap_failure(Step::StartTls, error, heard, mark),
            offered,
        ));
    }
    net::secure(config, host, client.into_inner().into_inner()).await
}

/// Answers the server's challenges: the initial response first (unless it went with the command, SASL-IR), then
/// the mechanism's answer to an error challenge, keeping the challenge to quote.
struct Sasl {
    mechanism: Mechanism,
    initial: Option<Sensitive<Vec<u8>>>,
    challenge: Option<String>,
}

impl Authenticator for &mut Sasl {
    type Response = Vec<u8>;

    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        match self.initial.take() {
            Some(initial) => initial.into_inner(),
            None => {
                self.challenge = Some(String::from_utf8_lossy(challenge).into_owned());
                self.mechanism.error_answer().to_vec()
            }
        }
    }
}

/// How a login went.
pub(crate) enum Login {
    Accepted {
        session: Box<Session>,
        reply: String,
    },
    Refused {
        reply: String,
        challenge: Option<String>,
    },
}

/// `AUTHENTICATE` with the mechanism (SASL-IR when the server offers it).
pub(crate) async fn authenticate(
    client: Client<Tls>,
    capabilities: &[String],
    mechanism: Mechanism,
    user: &str,
    token: &str,
    heard: &Heard,
) -> Result<Login, Failure> {
    let mark = heard.mark();
    let sasl_ir = has(capabilities, "SASL-IR");
    let mut sasl = Sasl {
        mechanism,
        initial: None,
        challenge: None,
    };
    let command = if sasl_ir {
        Sensitive::new(format!(
            "{} {}",
            mechanism.name(),
            mechanism.initial_response_base64(user, token).expose()
        ))
    } else {
        sasl.initial = Some(mechanism.initial_response(user, token));
        Sensitive::new(mechanism.name().to_owned())
    };
    match client.authenticate(command.expose(), &mut sasl).await {
        Ok(session) => Ok(Login::Accepted {
            session: Box::new(session),
            reply: tagged_reply(heard, mark).unwrap_or_default(),
        }),
        Err((error @ (ImapError::No(_) | ImapError::Bad(_)), _)) => match tagged_reply(heard, mark) {
            Some(reply) => Ok(Login::Refused {
                reply,
                challenge: sasl.challenge,
            }),
            None => Err(Failure::unexpected(Step::Auth, &error.to_string())),
        },
        Err((error, _)) => Err(imap_failure(Step::Auth, error, heard, mark)),
    }
}

/// `LIST "" "*"` (async-imap drops a tagged NO/BAD of LIST silently: the status comes from what was heard) and
/// `EXAMINE INBOX`. Returns the folder count and the INBOX's message count.
pub(crate) async fn open_inbox(session: &mut Session, heard: &Heard) -> Result<(usize, u32), Failure> {
    let mark = heard.mark();
    let folders = {
        let names = session
            .list(Some(""), Some("*"))
            .await
            .map_err(|error| imap_failure(Step::List, error, heard, mark))?;
        let names: Vec<_> = names
            .try_collect()
            .await
            .map_err(|error| imap_failure(Step::List, error, heard, mark))?;
        names.len()
    };
    match tagged_reply(heard, mark) {
        Some(reply) if reply.starts_with("OK") => {}
        Some(reply) => return Err(Failure::refused(Protocol::Imap, Step::List, reply)),
        None => {
            return Err(io_failure(
                Step::List,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ),
            ))
        }
    }
    let mark = heard.mark();
    let inbox = session
        .examine("INBOX")
        .await
        .map_err(|error| imap_failure(Step::Examine, error, heard, mark))?;
    Ok((folders, inbox.exists))
}

/// Waits until a message with `message_id` is in the INBOX (EXAMINEd), polling with NOOP; `None` if it did not
/// come within `wait`.
pub(crate) async fn wait_for(
    session: &mut Session,
    heard: &Heard,
    message_id: &str,
    wait: Duration,
) -> Result<Option<Duration>, Failure> {
    let began = Instant::now();
    loop {
        let mark = heard.mark();
        let found = session
            .search(format!("HEADER Message-ID \"{message_id}\""))
            .await
            .map_err(|error| imap_failure(Step::Confirm, error, heard, mark))?;
        if !found.is_empty() {
            return Ok(Some(began.elapsed()));
        }
        if began.elapsed() >= wait {
            return Ok(None);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mark = heard.mark();
        session
            .noop()
            .await
            .map_err(|error| imap_failure(Step::Confirm, error, heard, mark))?;
    }
}

/// Everything up to a logged-in session in one go (no layers): the SMTP probe watches the INBOX with it.
pub(crate) async fn log_in(
    server: &MailServer,
    config: &std::sync::Arc<ClientConfig>,
    mechanism: MechanismChoice,
    user: &str,
    token: &str,
) -> Result<(Session, Heard), Failure> {
    let addresses = net::resolve(&server.host, server.port)
        .await
        .map_err(|error| Failure::Dns {
            host: server.host.clone(),
            error,
        })?;
    let tcp = net::connect(&addresses).await.map_err(|error| Failure::Connect {
        server: format!("{}:{}", server.host, server.port),
        error,
    })?;
    let heard = Heard::default();
    let tls = match server.security {
        Security::ImplicitTls => net::secure(config, &server.host, tcp).await?.0,
        Security::StartTls => {
            let mut client = async_imap::Client::new(Wire::new(tcp, heard.clone()));
            let (_, capabilities) = greeting(&mut client, &heard).await?;
            start_tls(client, &capabilities, config, &server.host, &heard)
                .await?
                .0
        }
    };
    let mut client = async_imap::Client::new(Wire::new(tls, heard.clone()));
    let greeted = server.security == Security::ImplicitTls;
    let mut capabilities = Vec::new();
    if greeted {
        capabilities = greeting(&mut client, &heard).await?.1;
    }
    if capabilities.is_empty() || !greeted {
        capabilities = self::capabilities(&mut client, &heard).await?;
    }
    let mechanism = mechanism.pick(&auth_mechanisms(&capabilities));
    match authenticate(client, &capabilities, mechanism, user, token, &heard).await? {
        Login::Accepted { mut session, .. } => {
            let mark = heard.mark();
            session
                .examine("INBOX")
                .await
                .map_err(|error| imap_failure(Step::Examine, error, &heard, mark))?;
            Ok((*session, heard))
        }
        Login::Refused { reply, challenge } => Err(Failure::login_refused(Protocol::Imap, reply, challenge)),
    }
}

/// The IMAP probe: TCP (+ greeting for STARTTLS) → TLS (+ greeting for IMAPS) and CAPABILITY → token →
/// AUTHENTICATE → LIST + EXAMINE INBOX → LOGOUT.
pub(crate) async fn probe<F: FnMut(LayerReport)>(p: &mut Probe<'_, F>) -> Result<(), Stop> {
    let target = p.target;
    let heard = Heard::default();
    let plain = p
        .connect(async |tcp| {
            let mut client = async_imap::Client::new(Wire::new(tcp, heard.clone()));
            let (line, capabilities) = greeting(&mut client, &heard).await?;
            Ok(((Box::new(client), capabilities), format!("{line:?}")))
        })
        .await?;
    let stage = p.rec.stage();

    let config = p.tls_config();
    let (client, capabilities) = p
        .rec
        .layer(Layer::Tls, async {
            let config = config?;
            let (tls, mut detail, greeted) = match plain {
                Plain::Tcp(tcp) => {
                    let (tls, described) = net::secure(&config, &target.host, tcp).await?;
                    (tls, described, false)
                }
                Plain::Greeted((client, capabilities)) => {
                    stage.set("the answer to STARTTLS and the TLS handshake");
                    let (tls, described) =
                        start_tls(*client, &capabilities, &config, &target.host, &heard).await?;
                    (tls, format!("STARTTLS, {described}"), true)
                }
            };
            let mut client = async_imap::Client::new(Wire::new(tls, heard.clone()));
            let mut capabilities = Vec::new();
            if !greeted {
                stage.set("the server's greeting");
                let (line, listed) = greeting(&mut client, &heard).await?;
                detail.push_str(&format!("; the server says {line:?}"));
                capabilities = listed;
            }
            // After STARTTLS the capabilities must be asked again (RFC 3501 §6.2.1).
            if capabilities.is_empty() || greeted {
                stage.set("the answer to CAPABILITY");
                capabilities = self::capabilities(&mut client, &heard).await?;
            }
            Ok(Done::new((Box::new(client), capabilities), detail))
        })
        .await?;

    p.token_layer(false).await?;

    let mechanism = target.mechanism.pick(&auth_mechanisms(&capabilities));
    p.mechanism = Some(mechanism);
    let token = p.token;
    let user = target.mailbox();
    let mut session = p
        .rec
        .layer(Layer::Auth, async {
            let sasl_ir = if has(&capabilities, "SASL-IR") {
                " (SASL-IR)"
            } else {
                ""
            };
            // Boxed: async-imap's futures are large.
            match Box::pin(authenticate(
                *client,
                &capabilities,
                mechanism,
                user,
                token.expose(),
                &heard,
            ))
            .await?
            {
                Login::Accepted { session, reply } => Ok(Done::new(
                    session,
                    format!(
                        "{mechanism}{sasl_ir} as {user}: {:?}",
                        without_capabilities(&reply)
                    ),
                )),
                Login::Refused { reply, challenge } => {
                    Err(Failure::login_refused(Protocol::Imap, reply, challenge))
                }
            }
        })
        .await?;

    p.rec
        .layer(Layer::Mailbox, async {
            stage.set("the answers to LIST and EXAMINE INBOX");
            let (folders, messages) = open_inbox(&mut session, &heard).await?;
            Ok(done(format!(
                "LIST: {}; INBOX: {}",
                counted(folders, "folder"),
                counted(messages, "message")
            )))
        })
        .await?;
    let _ = tokio::time::timeout(p.options.timeout, session.logout()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tagged_replies_lose_their_tag() {
        let heard = Heard::default();
        heard_record(
            &heard,
            b"* OK ready\r\n+ eyJzdGF0dXMiOiI0MDEifQ==\r\nA0001 NO AUTHENTICATE failed.\r\n",
        );
        assert_eq!(
            tagged_reply(&heard, 0).as_deref(),
            Some("NO AUTHENTICATE failed.")
        );
        let mark = heard.mark();
        heard_record(&heard, b"* LIST () \"/\" INBOX\r\n");
        assert_eq!(tagged_reply(&heard, mark), None);
    }

    fn heard_record(heard: &Heard, bytes: &[u8]) {
        // Through a Wire, as on a connection.
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (client, mut server) = tokio::io::duplex(1024);
            server.write_all(bytes).await.unwrap();
            drop(server);
            let mut wire = Wire::new(client, heard.clone());
            let mut sink = Vec::new();
            wire.read_to_end(&mut sink).await.unwrap();
        });
    }

    #[test]
    fn auth_mechanisms_come_from_the_capabilities() {
        let caps: Vec<String> = [
            "IMAP4rev1",
            "AUTH=PLAIN",
            "auth=XOAUTH2",
            "SASL-IR",
            "AUTH=OAUTHBEARER",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(auth_mechanisms(&caps), vec!["PLAIN", "XOAUTH2", "OAUTHBEARER"]);
        assert!(has(&caps, "sasl-ir"));
    }

    #[test]
    fn the_capability_list_is_left_out_of_the_login_reply() {
        assert_eq!(
            without_capabilities("OK [CAPABILITY IMAP4rev1 SASL-IR] Logged in"),
            "OK Logged in"
        );
        assert_eq!(
            without_capabilities("OK AUTHENTICATE completed."),
            "OK AUTHENTICATE completed."
        );
    }
}
