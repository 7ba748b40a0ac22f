//! A probe's failure as a [`Diagnosis`], through the diagnosis module's catalogue (mail replies, Graph errors,
//! the network). What the token layer found is added to the explanation of a refusal: it is often the reason.

use std::io;

use tokio_rustls::rustls::Error as TlsError;

use super::failure::{tls_problem, Failure, Step};
use super::{ProbeTarget, Protocol, TokenFinding, TokenInsight};
use crate::diagnosis::{Diagnosis, Fixer, MailContext, MailProtocol};

/// What a diagnosis needs to know about the probe.
pub(crate) struct Context {
    protocol: Protocol,
    host: String,
    port: Option<u16>,
    mailbox: String,
    app_only: bool,
    client_id: Option<String>,
    findings: Vec<TokenFinding>,
}

impl Context {
    pub(crate) fn new(target: &ProbeTarget) -> Self {
        let (host, port) = match target.protocol {
            Protocol::Graph => match url::Url::parse(&target.host) {
                Ok(url) => (
                    url.host_str().unwrap_or(&target.host).to_owned(),
                    url.port_or_known_default(),
                ),
                Err(_) => (target.host.clone(), None),
            },
            _ => (target.host.clone(), Some(target.port)),
        };
        Self {
            protocol: target.protocol,
            host,
            port,
            mailbox: target.mailbox().to_owned(),
            app_only: false,
            client_id: None,
            findings: Vec::new(),
        }
    }

    /// What the token layer read.
    pub(crate) fn learn(&mut self, insight: &TokenInsight) {
        self.app_only = insight.app_only;
        self.client_id = insight.app_id.clone();
        self.findings = insight.findings.clone();
    }

    fn mail_protocol(&self) -> Option<MailProtocol> {
        match self.protocol {
            Protocol::Imap => Some(MailProtocol::Imap),
            Protocol::Pop => Some(MailProtocol::Pop),
            Protocol::Smtp => Some(MailProtocol::Smtp),
            Protocol::Graph => None,
        }
    }

    /// Adds what the token layer found to a refusal's explanation.
    fn with_findings(&self, mut diagnosis: Diagnosis) -> Diagnosis {
        if !self.findings.is_empty() {
            let found: Vec<String> = self.findings.iter().map(TokenFinding::describe).collect();
            diagnosis.explanation = format!(
                "{} Mailgrant's check of the token found a likely cause: {}.",
                diagnosis.explanation,
                found.join("; ")
            );
        }
        diagnosis
    }
}

pub(crate) fn diagnose(failure: &Failure, ctx: &Context) -> Diagnosis {
    let host = ctx.host.as_str();
    match failure {
        Failure::Dns { host, error } => Diagnosis::dns(host, &error.to_string()),
        Failure::Connect { error, .. } => {
            let d = Diagnosis::from_io_error(error, host, ctx.port);
            if d.code == "NETWORK" {
                Diagnosis::connect_failed(host, &error.to_string())
            } else {
                d
            }
        }
        Failure::Tls { host, error } => tls(host, ctx.port, error),
        Failure::NoStartTls { reply, .. } => {
            let mut d = Diagnosis::tls_handshake(
                host,
                &format!("the server would not start TLS on this port; it answered \"{reply}\""),
            );
            d.raw.server_reply = Some(reply.clone());
            d
        }
        Failure::Refused {
            protocol,
            step,
            reply,
            challenge,
        } => {
            let text = match challenge {
                Some(challenge) => format!("+ {challenge}\n{reply}"),
                None => reply.clone(),
            };
            let context = MailContext {
                mailbox: Some(&ctx.mailbox),
                app_only: ctx.app_only,
                client_id: ctx.client_id.as_deref(),
            };
            let protocol = ctx.mail_protocol().unwrap_or(match protocol {
                Protocol::Pop => MailProtocol::Pop,
                Protocol::Smtp => MailProtocol::Smtp,
                _ => MailProtocol::Imap,
            });
            let d = Diagnosis::from_mail_reply(protocol, &text, &context);
            if matches!(step, Step::Greeting | Step::Capabilities | Step::StartTls) {
                d
            } else {
                ctx.with_findings(d)
            }
        }
        Failure::Broken { error, .. } => match error.kind() {
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => {
                let mut d = Diagnosis::connection_reset(host, ctx.port.unwrap_or_default());
                d.raw.server_reply = Some(error.to_string());
                d
            }
            _ => Diagnosis::from_io_error(error, host, ctx.port),
        },
        Failure::Graph {
            status,
            body,
            retry_after,
            ..
        } => {
            let d = Diagnosis::from_graph_response(*status, retry_after.as_deref(), body);
            if matches!(status, 401 | 403) {
                ctx.with_findings(d)
            } else {
                d
            }
        }
        Failure::NotDelivered { message_id, waited } => Diagnosis::new(
            "SEND_NOT_DELIVERED",
            "The test message didn't arrive",
            format!(
                "The server accepted the message Mailgrant sent to {} but it wasn't in the inbox within {} seconds. \
                 Delivery may just be slow, or a rule or filter moved it (look in Junk Email), or the server \
                 quietly dropped it.",
                ctx.mailbox,
                waited.as_secs()
            ),
            Fixer::You,
        )
        .with_step("Look for a message with the subject \"Mailgrant test message\" in every folder, Junk Email too.")
        .with_step("Run the test again: a slow delivery usually passes.")
        .with_step("If it never arrives, your IT admin checks the message trace in the Exchange admin center.")
        .with_retryable(true)
        .with_raw(crate::diagnosis::RawDetail {
            server_reply: Some(format!("Message-ID {message_id}")),
            ..Default::default()
        }),
        Failure::Timeout {
            after, waiting_for, ..
        } => Diagnosis::timeout(waiting_for, *after, host),
        Failure::Diagnosed(d) => (**d).clone(),
        Failure::Setup(text) => Diagnosis::new(
            "PROBE_SETUP",
            "Mailgrant couldn't set up the check",
            format!("Something on this computer stopped the check before it started: {text}."),
            Fixer::You,
        )
        .with_step("Check the file or the address named above, then run the test again."),
    }
}

/// A failed handshake: the certificate named, or the handshake's problem.
fn tls(host: &str, port: Option<u16>, error: &io::Error) -> Diagnosis {
    let rustls_error = error.get_ref().and_then(|e| e.downcast_ref::<TlsError>());
    let problem = tls_problem(error);
    match rustls_error {
        Some(TlsError::InvalidCertificate(_)) => Diagnosis::tls_certificate(host, &problem),
        _ if matches!(
            error.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionRefused | io::ErrorKind::TimedOut
        ) =>
        {
            Diagnosis::from_io_error(error, host, port)
        }
        _ => Diagnosis::tls_handshake(host, &problem),
    }
}
