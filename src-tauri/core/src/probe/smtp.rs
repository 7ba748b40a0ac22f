//! SMTP submission through lettre's connection over our own TCP and TLS (so each layer is timed and a certificate
//! problem is named): STARTTLS (587) or implicit TLS (465), `AUTH XOAUTH2` or `AUTH OAUTHBEARER` with the initial
//! response, the error-challenge answer (lettre's own `auth` gives up on a challenge and has no OAUTHBEARER), then
//! `MAIL FROM` and, when asked, a message to self that can be watched for over IMAP.
//!
//! lettre reads a greeting when it takes over a connection; after STARTTLS there is none, so the TLS stream starts
//! with a stand-in `220` that never crosses the network.

use std::error::Error as _;
use std::io;

use lettre::message::header::ContentType;
use lettre::message::Mailbox as Recipient;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, Message};
use tokio::net::TcpStream;

use super::failure::{Failure, Step};
use super::net::{self, Heard, Lines, SmtpReply, Wire};
use super::sasl::{self, decode_challenge};
use super::{done, imap, Done, Layer, LayerReport, Plain, Probe, Protocol, Stop};

/// What lettre reads in place of a greeting after STARTTLS.
const STAND_IN_GREETING: &[u8] = b"220 TLS started (stand-in greeting, not from the server)\r\n";

/// The reply of a refusal as the server worded it: `535 5.7.3 Authentication unsuccessful`.
fn reply_text(error: &SmtpError) -> Option<String> {
    let code = error.status()?;
    let text = error
        .source()
        .map(|source| source.to_string())
        .unwrap_or_default();
    Some(format!("{code} {text}").trim_end().to_owned())
}

/// Maps lettre's error: a 4xx/5xx reply is a refusal, anything else a broken connection.
fn smtp_failure(step: Step, error: &SmtpError) -> Failure {
    match reply_text(error) {
        Some(reply) => Failure::refused(Protocol::Smtp, step, reply),
        None => {
            let text = error.to_string();
            let kind = if error.is_timeout() {
                io::ErrorKind::TimedOut
            } else if text.contains("incomplete response") {
                io::ErrorKind::UnexpectedEof
            } else {
                io::ErrorKind::Other
            };
            Failure::broken(step, io::Error::new(kind, text))
        }
    }
}

fn response_text(response: &Response) -> String {
    format!(
        "{} {}",
        response.code(),
        response.message().collect::<Vec<_>>().join(" ")
    )
}

/// The mechanisms of the EHLO `AUTH` line(s).
fn auth_mechanisms(lines: &[String]) -> Vec<String> {
    sasl::listed_after(lines.iter().filter_map(|line| line.get(4..)), "AUTH")
}

/// The server's reply at `step`, which must have `code`: any other is the server refusing.
async fn reply(lines: &mut Lines<TcpStream>, step: Step, code: u16) -> Result<SmtpReply, Failure> {
    let reply = lines
        .read_smtp_reply()
        .await
        .map_err(|error| Failure::broken(step, error))?;
    if reply.code != code {
        return Err(Failure::refused(Protocol::Smtp, step, reply.to_string()));
    }
    Ok(reply)
}

/// The plain-text part of STARTTLS: EHLO, STARTTLS, `220`.
async fn start_tls(mut lines: Lines<TcpStream>, hello: &ClientId) -> Result<TcpStream, Failure> {
    lines
        .send(&format!("EHLO {hello}"))
        .await
        .map_err(|error| Failure::broken(Step::Capabilities, error))?;
    let ehlo = reply(&mut lines, Step::Capabilities, 250).await?;
    let offered = ehlo
        .lines
        .iter()
        .any(|line| line.trim().eq_ignore_ascii_case("STARTTLS"));
    lines
        .send("STARTTLS")
        .await
        .map_err(|error| Failure::broken(Step::StartTls, error))?;
    reply(&mut lines, Step::StartTls, 220)
        .await
        .map_err(|failure| Failure::no_starttls(failure, Some(offered)))?;
    lines
        .into_wire()
        .map(Wire::into_inner)
        .map_err(|error| Failure::broken(Step::StartTls, error))
}

/// The SMTP probe: TCP (+ greeting for STARTTLS) → TLS (+ greeting for SMTPS) and EHLO → token → AUTH → MAIL
/// FROM → (RCPT, DATA, and watching the INBOX over IMAP).
pub(crate) async fn probe<F: FnMut(LayerReport)>(p: &mut Probe<'_, F>) -> Result<(), Stop> {
    let target = p.target;
    let options = p.options;
    let heard = Heard::default();
    let hello = ClientId::default();
    let plain = p
        .connect(async |tcp| {
            let mut lines = Lines::new(Wire::new(tcp, heard.clone()));
            let greeting = reply(&mut lines, Step::Greeting, 220).await?;
            Ok((lines, format!("\"{greeting}\"")))
        })
        .await?;
    let stage = p.rec.stage();

    let config = p.tls_config();
    let (mut conn, mechanisms) = p
        .rec
        .layer(Layer::Tls, async {
            let config = config?;
            let (tcp, starttls) = match plain {
                Plain::Tcp(tcp) => (tcp, false),
                Plain::Greeted(lines) => {
                    stage.set("the answers to EHLO and STARTTLS");
                    (start_tls(lines, &hello).await?, true)
                }
            };
            stage.set("the TLS handshake");
            let (tls, mut detail) = net::secure(&config, &target.host, tcp).await?;
            let mut wire = Wire::new(tls, heard.clone());
            if starttls {
                detail = format!("STARTTLS, {detail}");
                wire = wire.with_prelude(STAND_IN_GREETING);
            }
            let mark = heard.mark();
            stage.set(if starttls {
                "the answer to EHLO"
            } else {
                "the server's greeting and the answer to EHLO"
            });
            let conn = AsyncSmtpConnection::connect_with_transport(Box::new(wire), &hello)
                .await
                .map_err(|error| smtp_failure(Step::Greeting, &error))?;
            let said = heard.since(mark);
            if !starttls {
                if let Some(greeting) = said.first() {
                    detail.push_str(&format!("; the server says {greeting:?}"));
                }
            }
            let mechanisms = auth_mechanisms(&said);
            detail.push_str(&if mechanisms.is_empty() {
                "; EHLO lists no AUTH".to_owned()
            } else {
                format!("; AUTH {}", mechanisms.join(" "))
            });
            Ok(Done::new((Box::new(conn), mechanisms), detail))
        })
        .await?;

    p.token_layer(false).await?;

    let mechanism = target.mechanism.pick(&mechanisms);
    p.mechanism = Some(mechanism);
    let token = p.token;
    let user = target.mailbox();
    p.rec
        .layer(Layer::Auth, async {
            let refused = |reply: String, challenge: Option<String>| Failure::Refused {
                protocol: Protocol::Smtp,
                step: Step::Auth,
                reply,
                challenge,
            };
            let command = format!(
                "AUTH {} {}\r\n",
                mechanism.name(),
                mechanism.initial_response_base64(user, token.expose()).expose()
            );
            let mut challenge = None;
            let mut answer = conn.command(command).await;
            if let Ok(response) = &answer {
                if response.has_code(334) {
                    challenge = Some(decode_challenge(&response.message().collect::<String>()));
                    answer = conn
                        .command(format!("{}\r\n", mechanism.error_answer_base64()))
                        .await;
                }
            }
            match answer {
                Ok(response) if response.has_code(235) => Ok(done(format!(
                    "{mechanism} as {user}: \"{}\"",
                    response_text(&response)
                ))),
                Ok(response) => Err(Failure::unexpected(Step::Auth, &response_text(&response))),
                Err(error) => match reply_text(&error) {
                    Some(reply) => Err(refused(reply, challenge)),
                    None => Err(smtp_failure(Step::Auth, &error)),
                },
            }
        })
        .await?;

    let address: Result<Address, _> = user.parse();
    p.rec
        .layer(Layer::Mailbox, async {
            stage.set("the answer to MAIL FROM");
            let address = address.map_err(|error| {
                Failure::Setup(format!("cannot send as {user}: not an email address ({error})"))
            })?;
            let response = conn
                .command(Mail::new(Some(address), Vec::new()))
                .await
                .map_err(|error| smtp_failure(Step::MailFrom, &error))?;
            if !options.send_to_self {
                let _ = conn.command("RSET\r\n").await;
            }
            Ok(done(format!(
                "MAIL FROM:<{user}> accepted: \"{}\"",
                response_text(&response)
            )))
        })
        .await?;

    if !options.send_to_self {
        let _ = tokio::time::timeout(options.timeout, conn.quit()).await;
        return Ok(());
    }

    let message_id = format!("<mailgrant-probe-{}@mailgrant.invalid>", uuid::Uuid::new_v4());
    let config = p.tls_config();
    let mechanism_choice = target.mechanism;
    // Sending, then (if asked) waiting for the message: a limit for each.
    let limit = options.timeout * if options.confirm_over_imap.is_some() { 2 } else { 1 };
    p.rec
        .layer_within(Layer::Send, limit, async {
            let address: Address = user
                .parse()
                .map_err(|error| Failure::Setup(format!("cannot send to {user}: {error}")))?;
            let message = Message::builder()
                .from(Recipient::new(Some("Mailgrant".to_owned()), address.clone()))
                .to(Recipient::new(None, address.clone()))
                .subject("Mailgrant test message")
                .message_id(Some(message_id.clone()))
                .header(ContentType::TEXT_PLAIN)
                .body(format!(
                    "Mailgrant sent this message to {user} to check that sending works. You can delete it.\r\n"
                ))
                .map_err(|error| Failure::Setup(format!("cannot build the test message: {error}")))?;
            stage.set("the answers to RCPT TO and DATA");
            conn.command(Rcpt::new(address, Vec::new()))
                .await
                .map_err(|error| smtp_failure(Step::RcptTo, &error))?;
            conn.command(Data)
                .await
                .map_err(|error| smtp_failure(Step::Data, &error))?;
            let accepted = conn
                .message(&message.formatted())
                .await
                .map_err(|error| smtp_failure(Step::Data, &error))?;
            let _ = conn.quit().await;
            let mut detail = format!("sent to {user}: \"{}\"", response_text(&accepted));
            if let Some(server) = &options.confirm_over_imap {
                stage.set("the message to reach the INBOX");
                let config = config?;
                let (mut session, heard) =
                    Box::pin(imap::log_in(server, &config, mechanism_choice, user, token.expose())).await?;
                match imap::wait_for(&mut session, &heard, &message_id, options.timeout).await? {
                    Some(after) => detail.push_str(&format!(
                        "; in the INBOX (IMAP {}:{}) after {} ms",
                        server.host,
                        server.port,
                        after.as_millis()
                    )),
                    None => {
                        return Err(Failure::NotDelivered {
                            message_id: message_id.clone(),
                            waited: options.timeout,
                        })
                    }
                }
                let _ = session.logout().await;
            }
            Ok(done(detail))
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_mechanisms_come_from_the_ehlo_lines() {
        let lines: Vec<String> = [
            "220 mail.example ESMTP",
            "250-mail.example",
            "250-PIPELINING",
            "250-AUTH LOGIN XOAUTH2",
            "250 AUTH=LOGIN",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        assert_eq!(auth_mechanisms(&lines), vec!["LOGIN", "XOAUTH2"]);
    }
}
