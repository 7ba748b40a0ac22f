//! The bridge's POP3 side before login: CAPA, USER/PASS, AUTH PLAIN (with or without an initial response), STLS
//! (with a certificate), NOOP, QUIT. After the login the mail server's `+OK` goes to the program and the session
//! is passed through unchanged.

use std::io;
use std::sync::Arc;

use super::session::{self, Client, StartTls, Wording};
use super::{upstream, BridgeProtocol, ConnectingGuard, Shared};
use crate::sensitive::SecretString;

/// A POP3 command before login.
pub(crate) enum Command {
    Capa,
    User(String),
    Pass(SecretString),
    /// `AUTH` alone lists the mechanisms.
    Auth {
        mechanism: Option<String>,
        initial: Option<String>,
    },
    Stls,
    Noop,
    Quit,
    Other,
    Empty,
}

/// Parses one command line (without its line end). Pure: the fuzz target.
pub(crate) fn parse(line: &[u8]) -> Command {
    let text = String::from_utf8_lossy(line);
    let (verb, rest) = match text.split_once(' ') {
        Some((verb, rest)) => (verb, Some(rest)),
        None => (text.as_ref(), None),
    };
    match verb.to_ascii_uppercase().as_str() {
        "" => Command::Empty,
        "CAPA" => Command::Capa,
        "USER" => Command::User(rest.unwrap_or_default().trim().to_owned()),
        // The password is the rest of the line, spaces and all (RFC 1939 §7).
        "PASS" => Command::Pass(SecretString::new(rest.unwrap_or_default().to_owned())),
        "AUTH" => {
            let mut words = rest.unwrap_or_default().split_whitespace();
            Command::Auth {
                mechanism: words.next().map(str::to_ascii_uppercase),
                initial: words.next().map(str::to_owned),
            }
        }
        "STLS" => Command::Stls,
        "NOOP" => Command::Noop,
        "QUIT" => Command::Quit,
        _ => Command::Other,
    }
}

fn capabilities(client: &Client) -> String {
    let mut lines = vec![
        "+OK Capability list follows",
        "TOP",
        "UIDL",
        "RESP-CODES",
        "AUTH-RESP-CODE",
        "PIPELINING",
    ];
    if client.login_allowed() {
        lines.push("USER");
        lines.push("SASL PLAIN");
    }
    if client.can_start_tls() {
        lines.push("STLS");
    }
    lines.push(".");
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}

pub(crate) async fn serve(
    shared: &Arc<Shared>,
    mut client: Client,
    connecting: ConnectingGuard,
) -> io::Result<()> {
    client.send(b"+OK Mailgrant bridge ready\r\n").await?;
    let mut user: Option<String> = None;
    loop {
        let line = match client.read_line().await {
            Ok(line) => line,
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                client.send(b"-ERR Line too long\r\n").await?;
                return Ok(());
            }
            Err(error) => return Err(error),
        };
        let (name, password) = match parse(&line) {
            Command::Capa => {
                client.send(capabilities(&client).as_bytes()).await?;
                continue;
            }
            Command::Noop => {
                client.send(b"+OK\r\n").await?;
                continue;
            }
            Command::Quit => {
                client.send(b"+OK Bye\r\n").await?;
                return Ok(());
            }
            Command::Empty | Command::Other => {
                client.send(b"-ERR Unknown command, or log in first\r\n").await?;
                continue;
            }
            Command::Stls => {
                let answer = client.answer_start_tls(
                    b"-ERR STLS is not available\r\n",
                    b"-ERR Nothing may follow STLS\r\n",
                    b"+OK Begin TLS negotiation\r\n",
                );
                match answer.await? {
                    StartTls::Started => user = None,
                    StartTls::Unavailable => {}
                    StartTls::End => return Ok(()),
                }
                continue;
            }
            Command::User(name) => {
                if !client.login_allowed() {
                    client.send(b"-ERR [AUTH] Start TLS first (STLS)\r\n").await?;
                    continue;
                }
                user = Some(name);
                client.send(b"+OK\r\n").await?;
                continue;
            }
            Command::Pass(password) => {
                let Some(name) = user.take() else {
                    client.send(b"-ERR USER first\r\n").await?;
                    continue;
                };
                if !client.login_allowed() {
                    client.send(b"-ERR [AUTH] Start TLS first (STLS)\r\n").await?;
                    continue;
                }
                (name, password)
            }
            Command::Auth { mechanism: None, .. } => {
                client.send(b"+OK\r\nPLAIN\r\n.\r\n").await?;
                continue;
            }
            Command::Auth {
                mechanism: Some(mechanism),
                initial,
            } => {
                if !client.login_allowed() {
                    client.send(b"-ERR [AUTH] Start TLS first (STLS)\r\n").await?;
                    continue;
                }
                if mechanism != "PLAIN" {
                    session::small_delay().await;
                    client.send(b"-ERR The bridge offers AUTH PLAIN only\r\n").await?;
                    continue;
                }
                let response = match initial {
                    Some(initial) => initial.into_bytes(),
                    None => {
                        client.send(b"+ \r\n").await?;
                        let line = client.read_line().await?;
                        if line == b"*" {
                            client.send(b"-ERR AUTH cancelled\r\n").await?;
                            continue;
                        }
                        line
                    }
                };
                let credentials = session::decode_base64(&response)
                    .and_then(|decoded| session::plain_credentials(&decoded));
                let Some((name, password)) = credentials else {
                    client.send(b"-ERR [AUTH] Authentication failed.\r\n").await?;
                    continue;
                };
                (name, password)
            }
        };
        let protocol = BridgeProtocol::Pop;
        if let Some(done) = shared
            .login(
                protocol,
                &mut client,
                (&name, password),
                upstream::pop,
                &wording(),
            )
            .await?
        {
            drop(connecting);
            return session::pass(shared, protocol, client, done).await;
        }
    }
}

/// How POP ends a login.
fn wording() -> Wording {
    Wording {
        refused: "-ERR [AUTH]".to_owned(),
        credentials: "Authentication failed.",
        unavailable: "-ERR [SYS/TEMP]".to_owned(),
        accepted: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn any_line_parses_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&bytes);
        }
    }

    #[test]
    fn commands_any_case_password_with_spaces() {
        assert!(matches!(parse(b"capa"), Command::Capa));
        assert!(matches!(parse(b"USER adele@contoso.com"), Command::User(ref u) if u == "adele@contoso.com"));
        assert!(matches!(parse(b"PASS a b "), Command::Pass(ref p) if p.expose() == "a b "));
        assert!(matches!(
            parse(b"AUTH plain AGFAYgBj"),
            Command::Auth { mechanism: Some(ref m), initial: Some(_) } if m == "PLAIN"
        ));
        assert!(matches!(parse(b"AUTH"), Command::Auth { mechanism: None, .. }));
        assert!(matches!(parse(b"RETR 1"), Command::Other));
        assert!(matches!(parse(b""), Command::Empty));
        assert!(matches!(parse(b"\xff\xfe"), Command::Other));
    }
}
