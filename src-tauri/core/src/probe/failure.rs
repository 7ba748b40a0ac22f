//! What went wrong inside a layer, kept as data until it becomes a [`Diagnosis`] through the diagnosis module
//! (which holds every text Microsoft, Dovecot and Postfix say, and what each means).

use std::fmt;
use std::io;
use std::time::Duration;

use super::{ProbeTarget, Protocol};

/// The protocol step a failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Greeting,
    Capabilities,
    StartTls,
    Auth,
    List,
    Examine,
    Stat,
    MailFrom,
    RcptTo,
    Data,
    Confirm,
    Me,
    Inbox,
    SendMail,
    Logout,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Greeting => "the greeting",
            Step::Capabilities => "the capability list",
            Step::StartTls => "STARTTLS",
            Step::Auth => "AUTH",
            Step::List => "LIST",
            Step::Examine => "EXAMINE INBOX",
            Step::Stat => "STAT",
            Step::MailFrom => "MAIL FROM",
            Step::RcptTo => "RCPT TO",
            Step::Data => "DATA",
            Step::Confirm => "watching the INBOX",
            Step::Me => "GET /me",
            Step::Inbox => "GET mailFolders/inbox",
            Step::SendMail => "POST sendMail",
            Step::Logout => "LOGOUT",
        })
    }
}

#[derive(Debug)]
pub(crate) enum Failure {
    /// The name does not resolve.
    Dns { host: String, error: io::Error },
    /// No TCP connection.
    Connect { server: String, error: io::Error },
    /// The TLS handshake failed (a certificate problem, or the server closed or stalled).
    Tls { host: String, error: io::Error },
    /// The server would not start TLS on a plain connection.
    NoStartTls {
        reply: String,
        /// Whether the server had listed STARTTLS / STLS (None: it was not asked).
        offered: Option<bool>,
    },
    /// The server said no: a tagged `NO`/`BAD`, `-ERR`, a 4xx/5xx reply, `* BYE`. `reply` is its line without
    /// the tag; `challenge` the decoded error challenge that came before an AUTH refusal.
    Refused {
        protocol: Protocol,
        step: Step,
        reply: String,
        challenge: Option<String>,
    },
    /// The connection broke, or the server answered something that is not the protocol.
    Broken { step: Step, error: io::Error },
    /// Graph answered an error status.
    Graph {
        step: Step,
        status: u16,
        body: String,
        retry_after: Option<String>,
    },
    /// The message sent to self did not show up.
    NotDelivered { message_id: String, waited: Duration },
    /// The layer ran out of time while `waiting_for` (`the server's greeting`, `the TLS handshake`, …).
    Timeout {
        after: Duration,
        waiting_for: &'static str,
    },
    /// Something on this side (an unreadable CA file, an address that is not one).
    Setup(String),
    /// Explained already: refused before anything was sent (a plain http:// address for a bearer token), or no
    /// (readable) HTTP answer from Graph.
    Diagnosed(Box<crate::diagnosis::Diagnosis>),
}

impl Failure {
    pub(crate) fn broken(step: Step, error: io::Error) -> Failure {
        Failure::Broken { step, error }
    }

    pub(crate) fn unexpected(step: Step, got: &str) -> Failure {
        Failure::Broken {
            step,
            error: io::Error::new(io::ErrorKind::InvalidData, format!("unexpected answer: {got:?}")),
        }
    }

    pub(crate) fn refused(protocol: Protocol, step: Step, reply: String) -> Failure {
        Failure::Refused {
            protocol,
            step,
            reply,
            challenge: None,
        }
    }

    /// A refused login: its reply and the error challenge that came before it.
    pub(crate) fn login_refused(protocol: Protocol, reply: String, challenge: Option<String>) -> Failure {
        Failure::Refused {
            protocol,
            step: Step::Auth,
            reply,
            challenge,
        }
    }

    pub(crate) fn connect(target: &ProbeTarget, error: io::Error) -> Failure {
        Failure::Connect {
            server: target.server(),
            error,
        }
    }

    pub(crate) fn tls(host: &str, error: io::Error) -> Failure {
        Failure::Tls {
            host: host.to_owned(),
            error,
        }
    }

    /// A refusal of STARTTLS / STLS; other failures stay as they are.
    pub(crate) fn no_starttls(failure: Failure, offered: Option<bool>) -> Failure {
        match failure {
            Failure::Refused { reply, .. } => Failure::NoStartTls { reply, offered },
            other => other,
        }
    }

    /// One line for the layer report.
    pub(crate) fn summary(&self) -> String {
        match self {
            Failure::Dns { host, error } => format!("cannot look up {host}: {error}"),
            Failure::Connect { server, error } => format!("cannot connect to {server}: {error}"),
            Failure::Tls { host, error } => format!("TLS with {host} failed: {}", tls_problem(error)),
            Failure::NoStartTls { reply, offered } => format!(
                "the server did not start TLS: {reply:?}{}",
                if *offered == Some(false) {
                    " (it does not list STARTTLS among its capabilities)"
                } else {
                    ""
                }
            ),
            Failure::Refused {
                step,
                reply,
                challenge,
                ..
            } => match challenge {
                Some(challenge) => format!("{step} refused: {reply:?} (after the challenge {challenge})"),
                None => format!("{step} refused: {reply:?}"),
            },
            Failure::Broken { step, error, .. } => format!("{step} failed: {error}"),
            Failure::Graph {
                step, status, body, ..
            } => {
                format!("{step}: HTTP {status} {}", graph_error_text(body))
            }
            Failure::NotDelivered { waited, .. } => format!(
                "the message was accepted but did not reach the INBOX within {} s",
                waited.as_secs()
            ),
            Failure::Timeout {
                after, waiting_for, ..
            } => format!(
                "no answer within {} while waiting for {waiting_for}",
                human(*after)
            ),
            Failure::Setup(text) => text.clone(),
            Failure::Diagnosed(d) => d.summary(),
        }
    }
}

/// `code: message` of a Graph error body, or the body's start.
fn graph_error_text(body: &str) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let error = parsed.as_ref().and_then(|v| v.get("error"));
    match error {
        Some(error) => format!(
            "{}: {}",
            error.get("code").and_then(|c| c.as_str()).unwrap_or("?"),
            error.get("message").and_then(|m| m.as_str()).unwrap_or("")
        ),
        None => body.chars().take(200).collect(),
    }
}

/// The rustls error inside a handshake failure, named.
pub(crate) fn tls_problem(error: &io::Error) -> String {
    use tokio_rustls::rustls::{CertificateError, Error as TlsError};
    let inner = error.get_ref().and_then(|e| e.downcast_ref::<TlsError>());
    match inner {
        Some(TlsError::InvalidCertificate(problem)) => match problem {
            CertificateError::UnknownIssuer => {
                "the certificate is issued by an authority this computer does not trust (UnknownIssuer)"
                    .to_owned()
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                "the certificate has expired (Expired)".to_owned()
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                "the certificate is not valid yet (NotValidYet)".to_owned()
            }
            CertificateError::NotValidForNameContext { presented, .. } => format!(
                "the certificate is for {}, not for this server's name (NotValidForName)",
                presented
                    .iter()
                    .map(|name| name
                        .trim_start_matches("DnsName(\"")
                        .trim_start_matches("IpAddress(")
                        .trim_end_matches("\")")
                        .trim_end_matches(')'))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            CertificateError::NotValidForName => {
                "the certificate is for another name (NotValidForName)".to_owned()
            }
            CertificateError::Revoked => "the certificate has been revoked (Revoked)".to_owned(),
            other => format!("the certificate is not acceptable ({other:?})"),
        },
        Some(other) => format!("{other}"),
        None if error.kind() == io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake".to_owned()
        }
        None => error.to_string(),
    }
}

fn human(duration: Duration) -> String {
    if duration.as_millis() % 1000 == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}
