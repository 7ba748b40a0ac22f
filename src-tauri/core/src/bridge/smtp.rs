//! The bridge's SMTP-submission side: a small state machine (fuzzed through [`parse`]). Before AUTH it answers
//! EHLO/HELO, STARTTLS (with a certificate), AUTH PLAIN and AUTH LOGIN, NOOP, RSET and QUIT, and refuses mail.
//! After AUTH it stays in the command loop: each command goes to the mail server and its reply back, except that
//! `MAIL FROM` must name the account's own address (or its shared mailbox), only the commands of plain submission
//! pass (not BDAT, nor XCLIENT/XFORWARD, which would let a program speak for another client, nor ETRN, VRFY or
//! EXPN), and the message after `DATA` is passed through as it is.

use std::io;
use std::sync::Arc;

use super::session::{self, one_line, Client, LoggedIn, StartTls, Wording, MAX_LINE};
use super::{upstream, BridgeEvent, BridgeProtocol, ConnectingGuard, Shared};
use crate::probe::net::{Lines, SmtpReply};
use crate::sensitive::SecretString;
use crate::token_lifecycle::now_unix;

/// The longest line of a message passed through after DATA.
const MAX_DATA_LINE: usize = 1024 * 1024;
/// Message bytes gathered before they are written to the mail server.
const DATA_BATCH: usize = 64 * 1024;

/// An SMTP command.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Ehlo,
    Helo,
    StartTls,
    Auth {
        mechanism: String,
        initial: Option<String>,
    },
    /// The reverse path's address, without angle brackets (empty for `<>`); `None` when it can't be read.
    Mail(Option<String>),
    Rcpt,
    Data,
    Bdat,
    Rset,
    Noop,
    Quit,
    /// Anything else (VRFY, EXPN, ETRN, XCLIENT, XFORWARD, HELP …): not part of submitting mail, never passed on.
    Other,
    Empty,
}

/// Parses one command line (without its line end). Pure: the fuzz target.
pub(crate) fn parse(line: &[u8]) -> Command {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    let (verb, rest) = match text.split_once(' ') {
        Some((verb, rest)) => (verb, rest.trim_start()),
        None => (text, ""),
    };
    match verb.to_ascii_uppercase().as_str() {
        "" => Command::Empty,
        "EHLO" => Command::Ehlo,
        "HELO" => Command::Helo,
        "STARTTLS" => Command::StartTls,
        "AUTH" => {
            let mut words = rest.split_whitespace();
            Command::Auth {
                mechanism: words.next().unwrap_or_default().to_ascii_uppercase(),
                initial: words.next().map(str::to_owned),
            }
        }
        "MAIL" => Command::Mail(reverse_path(rest)),
        "RCPT" => Command::Rcpt,
        "DATA" => Command::Data,
        "BDAT" => Command::Bdat,
        "RSET" => Command::Rset,
        "NOOP" => Command::Noop,
        "QUIT" => Command::Quit,
        _ => Command::Other,
    }
}

/// `FROM:<a@b.example> SIZE=10` → `a@b.example`; `FROM:<>` → empty.
fn reverse_path(rest: &str) -> Option<String> {
    let head = rest.get(..5)?;
    if !head.eq_ignore_ascii_case("FROM:") {
        return None;
    }
    let path = rest.get(5..)?.trim_start();
    let address = match path.strip_prefix('<') {
        Some(inner) => inner.split_once('>')?.0,
        None => path.split_whitespace().next().unwrap_or_default(),
    };
    // A source route (`<@relay:a@b>`) names the mailbox after the colon.
    let address = address.rsplit_once(':').map_or(address, |(_, a)| a);
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    Some(address.to_owned())
}

fn ehlo_reply(client: &Client) -> String {
    let mut lines = vec![
        "localhost Mailgrant bridge".to_owned(),
        "PIPELINING".to_owned(),
        "8BITMIME".to_owned(),
        "ENHANCEDSTATUSCODES".to_owned(),
    ];
    if client.can_start_tls() {
        lines.push("STARTTLS".to_owned());
    }
    if client.login_allowed() {
        lines.push("AUTH PLAIN LOGIN".to_owned());
    }
    render(250, &lines)
}

/// An SMTP reply, multi-line when it has several lines.
fn render(code: u16, lines: &[String]) -> String {
    let mut out = String::new();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let separator = if i == last { ' ' } else { '-' };
        out.push_str(&format!("{code}{separator}{line}\r\n"));
    }
    if lines.is_empty() {
        out.push_str(&format!("{code} \r\n"));
    }
    out
}

pub(crate) async fn serve(
    shared: &Arc<Shared>,
    mut client: Client,
    connecting: ConnectingGuard,
) -> io::Result<()> {
    client
        .send(b"220 localhost ESMTP Mailgrant bridge ready\r\n")
        .await?;
    loop {
        let line = match client.read_line().await {
            Ok(line) => line,
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                client.send(b"500 5.5.2 Line too long\r\n").await?;
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        match parse(&line) {
            Command::Ehlo => client.send(ehlo_reply(&client).as_bytes()).await?,
            Command::Helo => client.send(b"250 localhost Mailgrant bridge\r\n").await?,
            Command::Noop | Command::Rset => client.send(b"250 2.0.0 OK\r\n").await?,
            Command::Quit => {
                client.send(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            Command::StartTls => {
                let answer = client.answer_start_tls(
                    b"454 4.7.0 TLS not available\r\n",
                    b"501 5.5.2 Nothing may follow STARTTLS\r\n",
                    b"220 2.0.0 Ready to start TLS\r\n",
                );
                if answer.await? == StartTls::End {
                    return Ok(());
                }
            }
            Command::Mail(_) | Command::Rcpt | Command::Data | Command::Bdat => {
                client.send(b"530 5.7.0 Authentication required\r\n").await?;
            }
            Command::Empty | Command::Other => {
                client.send(b"502 5.5.2 Command not recognised\r\n").await?;
            }
            Command::Auth { mechanism, initial } => {
                if !client.login_allowed() {
                    client
                        .send(b"530 5.7.0 Must issue a STARTTLS command first\r\n")
                        .await?;
                    continue;
                }
                let credentials = match mechanism.as_str() {
                    "PLAIN" => auth_plain(&mut client, initial).await?,
                    "LOGIN" => auth_login(&mut client, initial).await?,
                    _ => {
                        session::small_delay().await;
                        client
                            .send(b"504 5.5.4 The bridge offers AUTH PLAIN and LOGIN only\r\n")
                            .await?;
                        continue;
                    }
                };
                let Some((user, password)) = credentials else {
                    continue;
                };
                let login = (user.as_str(), password);
                let protocol = BridgeProtocol::Smtp;
                if let Some(done) = shared
                    .login(protocol, &mut client, login, upstream::smtp, &wording())
                    .await?
                {
                    drop(connecting);
                    let _session = shared.open_session(protocol, &done.who.account.name, client.peer);
                    return relay(shared, client, done).await;
                }
            }
        }
    }
}

/// One answer of an SMTP AUTH exchange: the initial response when the client sent it with AUTH, or else its
/// answer to `prompt`; `None` once a cancel (`*`) is answered.
async fn sasl_answer(
    client: &mut Client,
    initial: Option<String>,
    prompt: &[u8],
) -> io::Result<Option<Vec<u8>>> {
    let answer = match initial {
        Some(initial) => initial.into_bytes(),
        None => {
            client.send(prompt).await?;
            client.read_line().await?
        }
    };
    if answer == b"*" {
        client.send(b"501 5.7.0 Authentication cancelled\r\n").await?;
        return Ok(None);
    }
    Ok(Some(answer))
}

/// Answers credentials that do not decode; `None` for the caller to return.
async fn invalid_credentials<T>(client: &mut Client) -> io::Result<Option<T>> {
    client
        .send(b"535 5.7.8 Authentication credentials invalid\r\n")
        .await?;
    Ok(None)
}

/// The credentials of AUTH PLAIN; `None` after answering a cancel or garbage.
async fn auth_plain(
    client: &mut Client,
    initial: Option<String>,
) -> io::Result<Option<(String, SecretString)>> {
    let Some(response) = sasl_answer(client, initial, b"334 \r\n").await? else {
        return Ok(None);
    };
    match session::decode_base64(&response).and_then(|decoded| session::plain_credentials(&decoded)) {
        Some(credentials) => Ok(Some(credentials)),
        None => invalid_credentials(client).await,
    }
}

/// The credentials of AUTH LOGIN (user name and password, each base64 at its prompt).
async fn auth_login(
    client: &mut Client,
    initial: Option<String>,
) -> io::Result<Option<(String, SecretString)>> {
    let Some(user) = sasl_answer(client, initial, b"334 VXNlcm5hbWU6\r\n").await? else {
        return Ok(None);
    };
    let Some(password) = sasl_answer(client, None, b"334 UGFzc3dvcmQ6\r\n").await? else {
        return Ok(None);
    };
    let text = |b64: &[u8]| session::decode_base64(b64).and_then(|bytes| String::from_utf8(bytes).ok());
    match (text(&user), text(&password)) {
        (Some(user), Some(password)) if !user.is_empty() => Ok(Some((user, SecretString::new(password)))),
        _ => invalid_credentials(client).await,
    }
}

/// How SMTP ends a login.
fn wording() -> Wording {
    Wording {
        refused: "535 5.7.8".to_owned(),
        credentials: "Authentication credentials invalid",
        unavailable: "454 4.7.0".to_owned(),
        accepted: String::new(),
    }
}

/// The EHLO keywords the program may see from the mail server after AUTH: the extensions of plain
/// submission, which add parameters to MAIL, RCPT and DATA or shape their replies (the commands the relay
/// passes on). Every other keyword is dropped, as the relay refuses its commands: AUTH and STARTTLS again,
/// CHUNKING and BINARYMIME (BDAT would carry mail past the command loop's checks), XCLIENT, XFORWARD, ETRN,
/// VRFY, BURL, an extension newer than this list.
const PASSED_EXTENSIONS: &[&str] = &[
    "PIPELINING",
    "SIZE",
    "8BITMIME",
    "SMTPUTF8",
    "DSN",
    "ENHANCEDSTATUSCODES",
    "REQUIRETLS",
    "MT-PRIORITY",
    "DELIVERBY",
    "FUTURERELEASE",
    "LIMITS",
    "RRVS",
];

fn keep_keyword(line: &str) -> bool {
    let keyword = line.split_whitespace().next().unwrap_or_default();
    PASSED_EXTENSIONS
        .iter()
        .any(|passed| passed.eq_ignore_ascii_case(keyword))
}

/// The session after AUTH.
async fn relay(
    shared: &Arc<Shared>,
    mut client: Client,
    done: LoggedIn<Lines<upstream::Tls>>,
) -> io::Result<()> {
    let LoggedIn {
        who,
        conn: mut upstream,
    } = done;
    let account = who.account.name;
    // The addresses `MAIL FROM` may name.
    let mut senders = vec![who.account.address];
    senders.extend(who.account.shared_mailbox);
    let timeouts = client.settings.timeouts;
    let peer = client.peer;
    loop {
        let raw = match client.read_raw_line(MAX_LINE, timeouts.smtp_idle).await {
            Ok(raw) => raw,
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                client.send(b"500 5.5.2 Line too long\r\n").await?;
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        let line = trim_line_end(&raw);
        let command = parse(line);
        match command {
            Command::Auth { .. } | Command::StartTls => {
                client.send(b"503 5.5.1 Already authenticated\r\n").await?;
                continue;
            }
            Command::Bdat => {
                client
                    .send(b"502 5.5.1 BDAT is not offered by the bridge: use DATA\r\n")
                    .await?;
                continue;
            }
            Command::Empty => {
                client.send(b"500 5.5.2 Syntax error\r\n").await?;
                continue;
            }
            // Only what submission needs reaches the mail server: XCLIENT or XFORWARD would let the program speak
            // for another client, and an unknown verb could be a way around the checks.
            Command::Other => {
                client.send(b"502 5.5.1 Not offered by the bridge\r\n").await?;
                continue;
            }
            Command::Mail(ref from) => {
                let allowed = from
                    .as_deref()
                    .is_some_and(|from| senders.iter().any(|s| s.eq_ignore_ascii_case(from)));
                if !allowed {
                    let named = from.as_deref().unwrap_or("(unreadable)");
                    tracing::warn!(%peer, account = %account, sender = named, "the bridge refused a sender");
                    shared.record(BridgeEvent {
                        at: now_unix(),
                        protocol: BridgeProtocol::Smtp,
                        account: Some(account.clone()),
                        peer: peer.to_string(),
                        message: format!(
                            "a program tried to send as {named:?}; the bridge sends only as {}",
                            senders.join(" or ")
                        ),
                        diagnosis: None,
                    });
                    client
                        .send(
                            format!(
                                "550 5.7.1 The bridge sends only as {}\r\n",
                                one_line(&senders.join(" or "))
                            )
                            .as_bytes(),
                        )
                        .await?;
                    continue;
                }
            }
            _ => {}
        }
        upstream.send_raw(&raw).await?;
        let reply = upstream_reply(&mut upstream, timeouts.upstream).await?;
        match command {
            Command::Ehlo => {
                let kept: Vec<String> = reply
                    .lines
                    .iter()
                    .enumerate()
                    .filter(|(i, line)| *i == 0 || keep_keyword(line))
                    .map(|(_, line)| line.clone())
                    .collect();
                client.send(render(reply.code, &kept).as_bytes()).await?;
            }
            Command::Data if reply.code == 354 => {
                client.send(render(reply.code, &reply.lines).as_bytes()).await?;
                pass_message(&mut client, &mut upstream, timeouts.smtp_idle).await?;
                let reply = upstream_reply(&mut upstream, timeouts.upstream).await?;
                client.send(render(reply.code, &reply.lines).as_bytes()).await?;
            }
            Command::Quit => {
                client.send(render(reply.code, &reply.lines).as_bytes()).await?;
                return Ok(());
            }
            _ => client.send(render(reply.code, &reply.lines).as_bytes()).await?,
        }
    }
}

async fn upstream_reply(
    upstream: &mut Lines<upstream::Tls>,
    limit: std::time::Duration,
) -> io::Result<SmtpReply> {
    tokio::time::timeout(limit, upstream.read_smtp_reply())
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the mail server did not answer in time"))?
}

/// The message after `354`, line by line as the program sent it, up to and including the lone `.`.
async fn pass_message(
    client: &mut Client,
    upstream: &mut Lines<upstream::Tls>,
    idle: std::time::Duration,
) -> io::Result<()> {
    let mut batch = Vec::with_capacity(DATA_BATCH);
    loop {
        let line = client.read_raw_line(MAX_DATA_LINE, idle).await?;
        let end = trim_line_end(&line) == b".";
        batch.extend_from_slice(&line);
        if end || batch.len() >= DATA_BATCH {
            upstream.send_raw(&batch).await?;
            batch.clear();
        }
        if end {
            return Ok(());
        }
    }
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_line_parses_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&bytes);
            let mut mail = b"MAIL FROM:".to_vec();
            mail.extend_from_slice(&bytes);
            let _ = parse(&mail);
        }

        #[test]
        fn plain_responses_parse_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = session::plain_credentials(&bytes);
            let _ = session::decode_base64(&bytes);
        }
    }

    #[test]
    fn reverse_paths() {
        assert_eq!(
            parse(b"MAIL FROM:<Adele@Contoso.com> SIZE=100"),
            Command::Mail(Some("Adele@Contoso.com".into()))
        );
        assert_eq!(
            parse(b"mail from: <a@b.example>"),
            Command::Mail(Some("a@b.example".into()))
        );
        assert_eq!(
            parse(b"MAIL FROM:a@b.example"),
            Command::Mail(Some("a@b.example".into()))
        );
        assert_eq!(parse(b"MAIL FROM:<>"), Command::Mail(Some(String::new())));
        assert_eq!(
            parse(b"MAIL FROM:<@relay:x@y.example>"),
            Command::Mail(Some("x@y.example".into()))
        );
        assert_eq!(parse(b"MAIL TO:<a@b>"), Command::Mail(None));
        assert_eq!(parse(b"MAIL FROM:<a b@c>"), Command::Mail(None));
        assert_eq!(parse(b"MAIL"), Command::Mail(None));
    }

    #[test]
    fn verbs() {
        assert_eq!(
            parse(b"auth plain AGE="),
            Command::Auth {
                mechanism: "PLAIN".into(),
                initial: Some("AGE=".into())
            }
        );
        assert_eq!(parse(b"EHLO x"), Command::Ehlo);
        assert_eq!(parse(b"BDAT 10 LAST"), Command::Bdat);
        assert_eq!(parse(b""), Command::Empty);
        assert_eq!(parse(b"\xff"), Command::Other);
        for verb in [
            "XCLIENT ADDR=10.0.0.1",
            "xforward NAME=x",
            "ETRN example.com",
            "VRFY a",
            "EXPN list",
        ] {
            assert_eq!(parse(verb.as_bytes()), Command::Other, "{verb}");
        }
    }

    #[test]
    fn the_mail_servers_ehlo_keeps_only_the_extensions_of_plain_submission() {
        assert!(keep_keyword("PIPELINING"));
        assert!(keep_keyword("SIZE 10240000"));
        assert!(!keep_keyword("AUTH XOAUTH2 OAUTHBEARER"));
        assert!(!keep_keyword("AUTH=PLAIN"));
        assert!(!keep_keyword("STARTTLS"));
        assert!(!keep_keyword("CHUNKING"));
        for not_passed in [
            "XCLIENT NAME ADDR PORT",
            "XFORWARD NAME ADDR",
            "ETRN",
            "VRFY",
            "BINARYMIME",
            "BURL imap",
            "XEXPS GSSAPI",
            "X-NEW-EXTENSION",
            "",
        ] {
            assert!(!keep_keyword(not_passed), "{not_passed}");
        }
        assert!(keep_keyword("DSN"));
        assert!(keep_keyword("8bitmime"));
        assert!(keep_keyword("SMTPUTF8"));
        assert!(keep_keyword("ENHANCEDSTATUSCODES"));
        assert_eq!(render(250, &["a".into(), "b".into()]), "250-a\r\n250 b\r\n");
    }
}
