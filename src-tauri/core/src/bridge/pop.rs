//! The bridge's POP3 side before login: CAPA, USER/PASS, AUTH PLAIN (with or without an initial response), STLS
//! (with a certificate), NOOP, QUIT. After the login the mail server's `+OK` goes to the program and the session
//! is passed through unchanged.

use std::io;
use std::sync::Arc;

use super::session::{self, Client, Refusal};
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
        match parse(&line) {
            Command::Capa => client.send(capabilities(&client).as_bytes()).await?,
            Command::Noop => client.send(b"+OK\r\n").await?,
            Command::Quit => {
                client.send(b"+OK Bye\r\n").await?;
                return Ok(());
            }
            Command::Empty | Command::Other => {
                client.send(b"-ERR Unknown command, or log in first\r\n").await?;
            }
            Command::Stls => {
                if !client.can_start_tls() {
                    client.send(b"-ERR STLS is not available\r\n").await?;
                    continue;
                }
                if !client.buf.is_empty() {
                    client.send(b"-ERR Nothing may follow STLS\r\n").await?;
                    return Ok(());
                }
                client.send(b"+OK Begin TLS negotiation\r\n").await?;
                client.start_tls().await?;
                user = None;
            }
            Command::User(name) => {
                if !client.login_allowed() {
                    client.send(b"-ERR [AUTH] Start TLS first (STLS)\r\n").await?;
                    continue;
                }
                user = Some(name);
                client.send(b"+OK\r\n").await?;
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
                if let Some(done) = login(shared, &mut client, &name, password).await? {
                    drop(connecting);
                    return pass(shared, client, done).await;
                }
            }
            Command::Auth { mechanism: None, .. } => {
                client.send(b"+OK\r\nPLAIN\r\n.\r\n").await?;
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
                if let Some(done) = login(shared, &mut client, &name, password).await? {
                    drop(connecting);
                    return pass(shared, client, done).await;
                }
            }
        }
    }
}

struct LoggedIn {
    account: String,
    upstream: upstream::Tls,
    ahead: Vec<u8>,
}

async fn login(
    shared: &Arc<Shared>,
    client: &mut Client,
    user: &str,
    password: SecretString,
) -> io::Result<Option<LoggedIn>> {
    let protocol = BridgeProtocol::Pop;
    let refused = |refusal: Refusal| match refusal {
        Refusal::Credentials => "-ERR [AUTH] Authentication failed.\r\n".to_owned(),
        Refusal::Upstream(why) => format!("-ERR [AUTH] {}\r\n", one_line(&why)),
        Refusal::Unavailable(why) => format!("-ERR [SYS/TEMP] {}\r\n", one_line(&why)),
    };
    let who = match shared.check_password(protocol, client.peer, user, password).await {
        Ok(who) => who,
        Err(refusal) => {
            client.send(refused(refusal).as_bytes()).await?;
            return Ok(None);
        }
    };
    match shared
        .login_upstream(protocol, client.peer, &who, upstream::pop)
        .await
    {
        Ok(((upstream, ahead), reply, _)) => {
            client.send(format!("{reply}\r\n").as_bytes()).await?;
            Ok(Some(LoggedIn {
                account: who.account.name,
                upstream,
                ahead,
            }))
        }
        Err(refusal) => {
            client.send(refused(refusal).as_bytes()).await?;
            Ok(None)
        }
    }
}

async fn pass(shared: &Arc<Shared>, client: Client, done: LoggedIn) -> io::Result<()> {
    let _session = shared.open_session(BridgeProtocol::Pop, &done.account, client.peer);
    let (stream, client_ahead) = client.into_parts()?;
    session::pass_through(stream, client_ahead, done.upstream, done.ahead).await
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect()
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
