//! The bridge's IMAP side before login, parsed with `imap-codec`: CAPABILITY, NOOP, LOGOUT, STARTTLS (with a
//! certificate), LOGIN (quoted strings and literals) and AUTHENTICATE PLAIN (with or without SASL-IR). After the
//! login the mail server's own tagged OK goes to the program under the program's tag, and the session is passed
//! through unchanged.

use std::io;
use std::sync::Arc;

use imap_codec::decode::{CommandDecodeError, Decoder as _};
use imap_codec::imap_types::auth::AuthMechanism;
use imap_codec::imap_types::command::CommandBody;
use imap_codec::imap_types::core::LiteralMode;
use imap_codec::CommandCodec;

use super::session::{self, Client, StartTls, Wording, MAX_LINE};
use super::{upstream, BridgeProtocol, ConnectingGuard, Shared};
use crate::sensitive::SecretString;

/// The longest literal accepted before login (a user name or a password).
const MAX_LITERAL: u32 = 4096;

/// A command before login.
pub(crate) enum Command {
    Capability,
    Noop,
    Logout,
    StartTls,
    Login {
        user: String,
        password: SecretString,
    },
    /// `initial`: the SASL-IR response, decoded (empty for `=`).
    Authenticate {
        mechanism: String,
        initial: Option<SecretBytes>,
    },
    /// Anything else (needs a login first).
    Other(&'static str),
}

/// Bytes overwritten when dropped.
pub(crate) struct SecretBytes(pub Vec<u8>);

impl Drop for SecretBytes {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// What the buffer holds.
pub(crate) enum Parsed {
    /// Not a whole command yet.
    Incomplete,
    /// The program waits for `+` before sending a literal.
    Continue,
    /// A literal too long to accept before login.
    TooLong { tag: String },
    /// A command, `consumed` bytes long.
    Command {
        consumed: usize,
        tag: String,
        command: Command,
    },
    /// A line that is not a command; `tag` when its first word is one.
    Bad { consumed: usize, tag: Option<String> },
}

/// Parses the next command in `buf` (pure: the fuzz target).
pub(crate) fn parse(buf: &[u8]) -> Parsed {
    match CommandCodec::default().decode(buf) {
        Ok((rest, command)) => {
            let consumed = buf.len() - rest.len();
            let tag = command.tag.inner().to_owned();
            let command = match command.body {
                CommandBody::Capability => Command::Capability,
                CommandBody::Noop => Command::Noop,
                CommandBody::Logout => Command::Logout,
                CommandBody::StartTLS => Command::StartTls,
                CommandBody::Login { username, password } => Command::Login {
                    user: String::from_utf8_lossy(username.as_ref()).into_owned(),
                    password: SecretString::new(
                        String::from_utf8_lossy(password.declassify().as_ref()).into_owned(),
                    ),
                },
                CommandBody::Authenticate {
                    mechanism,
                    initial_response,
                } => Command::Authenticate {
                    mechanism: match mechanism {
                        AuthMechanism::Plain => "PLAIN".to_owned(),
                        other => other.to_string().to_ascii_uppercase(),
                    },
                    initial: initial_response.map(|r| SecretBytes(r.declassify().to_vec())),
                },
                other => Command::Other(other.name()),
            };
            Parsed::Command {
                consumed,
                tag,
                command,
            }
        }
        Err(CommandDecodeError::Incomplete) => Parsed::Incomplete,
        Err(CommandDecodeError::LiteralFound { tag, length, mode }) => {
            if length > MAX_LITERAL {
                Parsed::TooLong {
                    tag: tag.inner().to_owned(),
                }
            } else if mode == LiteralMode::Sync {
                Parsed::Continue
            } else {
                // A non-synchronizing literal ({n+}) needs no "+": wait for its bytes.
                Parsed::Incomplete
            }
        }
        Err(CommandDecodeError::Failed) => match buf.iter().position(|&b| b == b'\n') {
            Some(end) => Parsed::Bad {
                consumed: end + 1,
                tag: first_word_tag(&buf[..end]),
            },
            None => Parsed::Incomplete,
        },
    }
}

/// The first word of a line when it is a valid tag.
fn first_word_tag(line: &[u8]) -> Option<String> {
    let word = line.split(|&b| b == b' ').next()?;
    let word = std::str::from_utf8(word).ok()?.trim_end_matches('\r');
    let valid = !word.is_empty()
        && word.len() <= 64
        && word
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]+".contains(&b));
    valid.then(|| word.to_owned())
}

fn capabilities(client: &Client) -> String {
    let mut caps = vec!["IMAP4rev1", "SASL-IR", "LITERAL+", "ID"];
    if client.can_start_tls() {
        caps.push("STARTTLS");
    }
    if client.login_allowed() {
        caps.push("AUTH=PLAIN");
    } else {
        caps.push("LOGINDISABLED");
    }
    caps.join(" ")
}

pub(crate) async fn serve(
    shared: &Arc<Shared>,
    mut client: Client,
    connecting: ConnectingGuard,
) -> io::Result<()> {
    let greeting = format!(
        "* OK [CAPABILITY {}] Mailgrant bridge ready\r\n",
        capabilities(&client)
    );
    client.send(greeting.as_bytes()).await?;
    loop {
        let (tag, command) = loop {
            match parse(&client.buf) {
                Parsed::Incomplete => {
                    if client.buf.len() > MAX_LINE + MAX_LITERAL as usize {
                        client.send(b"* BYE Command too long\r\n").await?;
                        return Ok(());
                    }
                    client.fill().await?;
                }
                Parsed::Continue => {
                    client.send(b"+ Ready for the literal\r\n").await?;
                    client.fill().await?;
                }
                Parsed::TooLong { tag } => {
                    client
                        .send(format!("{tag} BAD Literal too long\r\n* BYE Command too long\r\n").as_bytes())
                        .await?;
                    return Ok(());
                }
                Parsed::Bad { consumed, tag } => {
                    client.buf.drain(..consumed);
                    let reply = match tag {
                        Some(tag) => format!("{tag} BAD Unknown command or wrong arguments\r\n"),
                        None => "* BAD Not an IMAP command\r\n".to_owned(),
                    };
                    client.send(reply.as_bytes()).await?;
                }
                Parsed::Command {
                    consumed,
                    tag,
                    command,
                } => {
                    client.buf.drain(..consumed);
                    break (tag, command);
                }
            }
        };
        if matches!(command, Command::Login { .. } | Command::Authenticate { .. }) && !client.login_allowed()
        {
            client
                .send(format!("{tag} NO [PRIVACYREQUIRED] Start TLS first (STARTTLS)\r\n").as_bytes())
                .await?;
            continue;
        }
        let (user, password) = match command {
            Command::Capability => {
                let reply = format!(
                    "* CAPABILITY {}\r\n{tag} OK CAPABILITY completed\r\n",
                    capabilities(&client)
                );
                client.send(reply.as_bytes()).await?;
                continue;
            }
            Command::Noop => {
                client
                    .send(format!("{tag} OK NOOP completed\r\n").as_bytes())
                    .await?;
                continue;
            }
            Command::Logout => {
                client
                    .send(format!("* BYE Logging out\r\n{tag} OK LOGOUT completed\r\n").as_bytes())
                    .await?;
                return Ok(());
            }
            Command::StartTls => {
                let answer = client
                    .answer_start_tls(
                        format!("{tag} BAD STARTTLS is not available\r\n").as_bytes(),
                        format!("{tag} BAD Nothing may follow STARTTLS\r\n").as_bytes(),
                        format!("{tag} OK Begin TLS negotiation now\r\n").as_bytes(),
                    )
                    .await?;
                if answer == StartTls::End {
                    return Ok(());
                }
                continue;
            }
            Command::Other("ID") => {
                client
                    .send(
                        format!("* ID (\"name\" \"Mailgrant bridge\")\r\n{tag} OK ID completed\r\n")
                            .as_bytes(),
                    )
                    .await?;
                continue;
            }
            Command::Other(name) => {
                client
                    .send(
                        format!("{tag} BAD {name} needs a login first (LOGIN or AUTHENTICATE PLAIN)\r\n")
                            .as_bytes(),
                    )
                    .await?;
                continue;
            }
            Command::Login { user, password } => (user, password),
            Command::Authenticate { mechanism, initial } => {
                if mechanism != "PLAIN" {
                    session::small_delay().await;
                    client
                        .send(
                            format!("{tag} NO [CANNOT] The bridge offers AUTHENTICATE PLAIN only\r\n")
                                .as_bytes(),
                        )
                        .await?;
                    continue;
                }
                let response = match initial {
                    Some(initial) => initial,
                    None => {
                        client.send(b"+ \r\n").await?;
                        let line = client.read_line().await?;
                        if line == b"*" {
                            client
                                .send(format!("{tag} BAD AUTHENTICATE cancelled\r\n").as_bytes())
                                .await?;
                            continue;
                        }
                        match session::decode_base64(&line) {
                            Some(bytes) => SecretBytes(bytes),
                            None => {
                                client
                                    .send(format!("{tag} BAD Not base64\r\n").as_bytes())
                                    .await?;
                                continue;
                            }
                        }
                    }
                };
                let Some((user, password)) = session::plain_credentials(&response.0) else {
                    client
                        .send(
                            format!("{tag} NO [AUTHENTICATIONFAILED] Authentication failed.\r\n").as_bytes(),
                        )
                        .await?;
                    continue;
                };
                (user, password)
            }
        };
        let protocol = BridgeProtocol::Imap;
        if let Some(done) = shared
            .login(
                protocol,
                &mut client,
                (&user, password),
                upstream::imap,
                &wording(&tag),
            )
            .await?
        {
            drop(connecting);
            return session::pass(shared, protocol, client, done).await;
        }
    }
}

/// How IMAP ends a login with `tag`.
fn wording(tag: &str) -> Wording {
    Wording {
        refused: format!("{tag} NO [AUTHENTICATIONFAILED]"),
        credentials: "Authentication failed.",
        unavailable: format!("{tag} NO [UNAVAILABLE]"),
        accepted: format!("{tag} "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Random bytes, and random bytes after a valid start: never a panic, and a command is never longer
        /// than the input.
        #[test]
        fn any_bytes_parse_without_panicking(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            if let Parsed::Command { consumed, .. } | Parsed::Bad { consumed, .. } = parse(&bytes) {
                proptest::prop_assert!(consumed <= bytes.len());
            }
            let mut login = b"a1 LOGIN ".to_vec();
            login.extend_from_slice(&bytes);
            let _ = parse(&login);
            let mut auth = b"a1 AUTHENTICATE PLAIN ".to_vec();
            auth.extend_from_slice(&bytes);
            let _ = parse(&auth);
        }
    }

    fn command(input: &[u8]) -> (usize, String, Command) {
        match parse(input) {
            Parsed::Command {
                consumed,
                tag,
                command,
            } => (consumed, tag, command),
            _ => panic!("not a command: {:?}", String::from_utf8_lossy(input)),
        }
    }

    #[test]
    fn logins_in_quoted_strings_atoms_and_literals() {
        let (consumed, tag, cmd) = command(b"a1 LOGIN adele@contoso.com \"pa ss\"\r\nrest");
        assert_eq!(consumed, 36);
        assert_eq!(tag, "a1");
        let Command::Login { user, password } = cmd else {
            panic!("not LOGIN")
        };
        assert_eq!(user, "adele@contoso.com");
        assert_eq!(password.expose(), "pa ss");

        assert!(matches!(parse(b"a2 LOGIN {5}\r\n"), Parsed::Continue));
        assert!(matches!(parse(b"a2 LOGIN {5}\r\nadele"), Parsed::Incomplete));
        let (_, _, cmd) = command(b"a2 LOGIN {5}\r\nadele {2}\r\npw\r\n");
        assert!(matches!(cmd, Command::Login { ref user, .. } if user == "adele"));
        assert!(matches!(parse(b"a3 LOGIN {99999}\r\n"), Parsed::TooLong { .. }));
    }

    #[test]
    fn authenticate_plain_with_and_without_an_initial_response() {
        let (_, _, cmd) = command(b"a AUTHENTICATE PLAIN AGFkZWxlAHB3\r\n");
        let Command::Authenticate { mechanism, initial } = cmd else {
            panic!("not AUTHENTICATE")
        };
        assert_eq!(mechanism, "PLAIN");
        assert_eq!(initial.unwrap().0, b"\0adele\0pw");
        let (_, _, cmd) = command(b"a authenticate plain\r\n");
        assert!(matches!(cmd, Command::Authenticate { initial: None, .. }));
        let (_, _, cmd) = command(b"a AUTHENTICATE XOAUTH2\r\n");
        assert!(matches!(cmd, Command::Authenticate { ref mechanism, .. } if mechanism == "XOAUTH2"));
    }

    #[test]
    fn other_commands_and_garbage() {
        assert!(matches!(
            command(b"x SELECT INBOX\r\n").2,
            Command::Other("SELECT")
        ));
        assert!(matches!(command(b"x capability\r\n").2, Command::Capability));
        assert!(matches!(command(b"x STARTTLS\r\n").2, Command::StartTls));
        assert!(matches!(parse(b"x FROB\r\n"), Parsed::Bad { consumed: 8, tag: Some(ref t) } if t == "x"));
        assert!(matches!(parse(b"\x00\xff\r\n"), Parsed::Bad { tag: None, .. }));
        assert!(matches!(parse(b"x LOGIN"), Parsed::Incomplete));
    }
}
