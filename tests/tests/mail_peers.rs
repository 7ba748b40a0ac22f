//! Real Dovecot and Postfix checking the identity-platform emulator's tokens (`mailgrant_tests::peers`).
//!
//! IMAP goes through async-imap and submission through lettre, as in the app; POP3 and OAUTHBEARER over SMTP
//! through the fixture's small clients. Every client trusts only the peers' throwaway CA. One emulator and one
//! pair of servers serve the whole file; tests that need their own (an unreachable identity provider, the stop)
//! start them. A test that logs in to a mailbox or sends mail does so as a user of its own (`mail_user`), so what
//! it finds in the Maildir is exactly what it put there; the demo's users stay for refusals and for what is about
//! them (Adele as the shared mailbox's delegate, Megan without rights). Needs root and `scripts/install-deps.sh
//! test`.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_imap::Authenticator;
use futures::future::join_all;
use futures::TryStreamExt;
use lettre::message::header::ContentType;
use lettre::message::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism as SmtpMechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mailgrant_tests::emulator::demo::{ADELE, CONFIDENTIAL_CLIENT_ID, MEGAN, SHARED_MAILBOX};
use mailgrant_tests::emulator::{Emulator, MintRequest, Seed};
use mailgrant_tests::peers::{tls_handshake, Login, MailPeers, Mechanism, Pop3, Smtp, Transport};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::ClientConfig;

const IMAP_SCOPE: &str = "IMAP.AccessAsUser.All";
const POP_SCOPE: &str = "POP.AccessAsUser.All";
const SMTP_SCOPE: &str = "SMTP.Send";
const ALL_SCOPES: [&str; 3] = [IMAP_SCOPE, POP_SCOPE, SMTP_SCOPE];

/// What Dovecot sends before refusing a token, per mechanism (decoded).
const XOAUTH2_CHALLENGE: &str = r#"{"status":"401","schemes":"bearer","scope":"mail"}"#;
const OAUTHBEARER_CHALLENGE: &str = r#"{"status":"invalid_token"}"#;

/// The emulator and the servers shared by the tests of this file. The emulator runs on a runtime of its own (each
/// test has its own); the servers stop when the test process ends (see `mailgrant_tests::peers`).
struct Bed {
    emulator: Emulator,
    peers: MailPeers,
    tls: Arc<ClientConfig>,
    _runtime: tokio::runtime::Runtime,
}

fn bed() -> &'static Bed {
    static BED: OnceLock<Result<Bed, String>> = OnceLock::new();
    let bed = BED.get_or_init(|| {
        // Not on a test's runtime: that one ends with its test.
        std::thread::spawn(|| -> Result<Bed, String> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|error| format!("cannot build the emulator's runtime: {error}"))?;
            let emulator = runtime
                .block_on(Emulator::start(Seed::demo()))
                .map_err(|error| format!("cannot start the emulator: {error}"))?;
            let peers = MailPeers::start_with_shared(emulator.base_url(), &[SHARED_MAILBOX])
                .map_err(|error| error.to_string())?;
            let tls = peers.tls_config().map_err(|error| error.to_string())?;
            eprintln!("mail peers started in {:?}: {peers:?}", peers.started_in());
            Ok(Bed {
                emulator,
                peers,
                tls,
                _runtime: runtime,
            })
        })
        .join()
        .unwrap_or_else(|_| Err("starting the emulator and the mail peers panicked".into()))
    });
    match bed {
        Ok(bed) => bed,
        Err(error) => panic!("{error}"),
    }
}

fn token(user: &str, scopes: &[&str]) -> String {
    bed().emulator.mint_access_token(user, "outlook", scopes, 3600)
}

/// A user with a mailbox (and Maildir) of its own: what the test finds there is what it put there.
fn mail_user(label: &str) -> String {
    bed().emulator.add_mail_user(label)
}

/// A string no other test (or earlier run) uses: for what still goes to the one shared mailbox.
fn unique(label: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("{label}-{}-{nanos}", std::process::id())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Imap,
    Pop,
    Smtp,
}

const PROTOCOLS: [Protocol; 3] = [Protocol::Imap, Protocol::Pop, Protocol::Smtp];

/// Every protocol, transport and mechanism.
fn every_way() -> Vec<(Protocol, Transport, Mechanism)> {
    let mut ways = Vec::new();
    for protocol in PROTOCOLS {
        for transport in Transport::ALL {
            for mechanism in Mechanism::ALL {
                ways.push((protocol, transport, mechanism));
            }
        }
    }
    ways
}

/// Each protocol with both mechanisms, the transports alternating: the refusals' matrix.
fn both_mechanisms() -> Vec<(Protocol, Transport, Mechanism)> {
    PROTOCOLS
        .into_iter()
        .flat_map(|protocol| {
            [
                (protocol, Transport::ImplicitTls, Mechanism::XOAuth2),
                (protocol, Transport::StartTls, Mechanism::OAuthBearer),
            ]
        })
        .collect()
}

// ---- IMAP through async-imap -------------------------------------------------------------------------------

type ImapStream = TlsStream<TcpStream>;

/// Answers the server's challenges: the initial response first, then the mechanism's answer to an error
/// challenge (which it keeps for the assertions).
struct Sasl {
    mechanism: Mechanism,
    initial: Option<Vec<u8>>,
    error_challenge: Option<String>,
}

impl Authenticator for &mut Sasl {
    type Response = Vec<u8>;

    fn process(&mut self, challenge: &[u8]) -> Vec<u8> {
        match self.initial.take() {
            Some(initial) => initial,
            None => {
                self.error_challenge = Some(String::from_utf8_lossy(challenge).into_owned());
                self.mechanism.error_answer().to_vec()
            }
        }
    }
}

async fn imap_connect(
    address: SocketAddr,
    transport: Transport,
    tls: &Arc<ClientConfig>,
) -> io::Result<async_imap::Client<ImapStream>> {
    let tcp = TcpStream::connect(address).await?;
    match transport {
        Transport::ImplicitTls => {
            let mut client = async_imap::Client::new(tls_handshake(tls, tcp).await?);
            greeting(&mut client).await?;
            Ok(client)
        }
        Transport::StartTls => {
            let mut client = async_imap::Client::new(tcp);
            greeting(&mut client).await?;
            client
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(io::Error::other)?;
            Ok(async_imap::Client::new(
                tls_handshake(tls, client.into_inner()).await?,
            ))
        }
    }
}

async fn greeting<T>(client: &mut async_imap::Client<T>) -> io::Result<()>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::fmt::Debug + Send,
{
    client
        .read_response()
        .await?
        .map(drop)
        .ok_or_else(|| io::Error::other("no IMAP greeting"))
}

enum ImapLogin {
    Accepted(Box<async_imap::Session<ImapStream>>),
    Refused {
        challenge: Option<String>,
        reply: String,
    },
}

async fn imap_login(
    (address, tls): (SocketAddr, &Arc<ClientConfig>),
    transport: Transport,
    mechanism: Mechanism,
    user: &str,
    token: &str,
) -> io::Result<ImapLogin> {
    let client = imap_connect(address, transport, tls).await?;
    let mut sasl = Sasl {
        mechanism,
        initial: Some(mechanism.initial_response(user, token)),
        error_challenge: None,
    };
    match client.authenticate(mechanism.name(), &mut sasl).await {
        Ok(session) => Ok(ImapLogin::Accepted(Box::new(session))),
        Err((async_imap::error::Error::No(reply), _)) => Ok(ImapLogin::Refused {
            challenge: sasl.error_challenge,
            reply,
        }),
        Err((error, _)) => Err(io::Error::other(error)),
    }
}

/// Logs in, opens INBOX, logs out.
async fn imap_check(
    transport: Transport,
    mechanism: Mechanism,
    user: &str,
    token: &str,
) -> io::Result<Login> {
    let server = (bed().peers.imap(transport), &bed().tls);
    match imap_login(server, transport, mechanism, user, token).await? {
        ImapLogin::Accepted(mut session) => {
            let inbox = session.select("INBOX").await.map_err(io::Error::other)?;
            session.logout().await.map_err(io::Error::other)?;
            Ok(Login::Accepted {
                reply: format!("INBOX has {} messages", inbox.exists),
            })
        }
        ImapLogin::Refused { challenge, reply } => Ok(Login::Refused { challenge, reply }),
    }
}

/// Waits until a message with `subject` is in the INBOX of `mailbox` (logging in as `user` with `token`), and
/// returns its raw text.
async fn imap_fetch_by_subject(user: &str, token: &str, subject: &str) -> io::Result<String> {
    let server = (bed().peers.imap(Transport::ImplicitTls), &bed().tls);
    let ImapLogin::Accepted(mut session) =
        imap_login(server, Transport::ImplicitTls, Mechanism::XOAuth2, user, token).await?
    else {
        return Err(io::Error::other(format!("IMAP login as {user} refused")));
    };
    session.select("INBOX").await.map_err(io::Error::other)?;
    let deadline = Instant::now() + Duration::from_secs(15);
    let found = loop {
        session.noop().await.map_err(io::Error::other)?;
        let found = session
            .search(format!("SUBJECT \"{subject}\""))
            .await
            .map_err(io::Error::other)?;
        if let Some(sequence) = found.into_iter().max() {
            break sequence;
        }
        if Instant::now() > deadline {
            return Err(io::Error::other(format!(
                "no message {subject:?} in {user}'s INBOX"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let messages: Vec<_> = session
        .fetch(found.to_string(), "BODY.PEEK[]")
        .await
        .map_err(io::Error::other)?
        .try_collect()
        .await
        .map_err(io::Error::other)?;
    session.logout().await.map_err(io::Error::other)?;
    let body = messages
        .iter()
        .find_map(|message| message.body())
        .ok_or_else(|| io::Error::other("FETCH returned no body"))?;
    Ok(String::from_utf8_lossy(body).into_owned())
}

// ---- POP3 and SMTP through the fixture's clients -------------------------------------------------------------

async fn pop_check(transport: Transport, mechanism: Mechanism, user: &str, token: &str) -> io::Result<Login> {
    let bed = bed();
    let mut pop = Pop3::connect(bed.peers.pop(transport), transport, &bed.tls).await?;
    let login = pop.authenticate(mechanism, user, token).await?;
    if login.is_accepted() {
        let stat = pop.command("STAT").await?;
        assert!(stat.starts_with("+OK "), "POP3 STAT after login: {stat}");
        pop.quit().await?;
    }
    Ok(login)
}

async fn smtp_check(
    transport: Transport,
    mechanism: Mechanism,
    user: &str,
    token: &str,
) -> io::Result<Login> {
    let bed = bed();
    let mut smtp = Smtp::connect(bed.peers.smtp(transport), transport, &bed.tls).await?;
    assert!(
        smtp.extensions()
            .iter()
            .any(|extension| extension == "AUTH XOAUTH2 OAUTHBEARER"),
        "Postfix does not offer both mechanisms over TLS: {:?}",
        smtp.extensions()
    );
    let login = smtp.authenticate(mechanism, user, token).await?;
    if login.is_accepted() {
        smtp.quit().await?;
    }
    Ok(login)
}

async fn check(
    protocol: Protocol,
    transport: Transport,
    mechanism: Mechanism,
    user: &str,
    token: &str,
) -> Login {
    let result = match protocol {
        Protocol::Imap => imap_check(transport, mechanism, user, token).await,
        Protocol::Pop => pop_check(transport, mechanism, user, token).await,
        Protocol::Smtp => smtp_check(transport, mechanism, user, token).await,
    };
    result.unwrap_or_else(|error| panic!("{protocol:?} over {transport} with {mechanism} as {user}: {error}"))
}

/// Runs `check` for every way concurrently, as `user` with `token`; returns each way with its outcome.
async fn check_all(
    ways: Vec<(Protocol, Transport, Mechanism)>,
    user: &str,
    token: &str,
) -> Vec<((Protocol, Transport, Mechanism), Login)> {
    let outcomes = join_all(
        ways.iter()
            .map(|&(protocol, transport, mechanism)| check(protocol, transport, mechanism, user, token)),
    )
    .await;
    ways.into_iter().zip(outcomes).collect()
}

fn assert_accepted(outcomes: &[((Protocol, Transport, Mechanism), Login)], what: &str) {
    for ((protocol, transport, mechanism), login) in outcomes {
        assert!(
            login.is_accepted(),
            "{what}: {protocol:?} over {transport} with {mechanism} was refused: {login:?}"
        );
    }
}

/// Refused the way Dovecot and Postfix refuse a bad token: the mechanism's error challenge, answered by the client,
/// then the protocol's refusal.
fn assert_refused(outcomes: &[((Protocol, Transport, Mechanism), Login)], what: &str) {
    for ((protocol, transport, mechanism), login) in outcomes {
        let context = format!("{what}: {protocol:?} over {transport} with {mechanism}");
        let Login::Refused { challenge, reply } = login else {
            panic!("{context} was accepted: {login:?}");
        };
        let expected_challenge = match mechanism {
            Mechanism::XOAuth2 => XOAUTH2_CHALLENGE,
            Mechanism::OAuthBearer => OAUTHBEARER_CHALLENGE,
        };
        assert_eq!(
            challenge.as_deref(),
            Some(expected_challenge),
            "{context}: error challenge"
        );
        // async-imap words a NO as `code: None, info: Some("<text>")`.
        let refused = match protocol {
            Protocol::Imap => reply.contains("[AUTHENTICATIONFAILED] Authentication failed."),
            Protocol::Pop => reply.starts_with("-ERR [AUTH] Authentication failed."),
            Protocol::Smtp => reply.starts_with("535 5.7.8 Error: authentication failed"),
        };
        assert!(refused, "{context}: refusal {reply:?}");
    }
}

// ---- Logging in ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_protocol_logs_in_with_both_mechanisms_over_both_transports() {
    let user = mail_user("every-way");
    let token = token(&user, &ALL_SCOPES);
    let outcomes = check_all(every_way(), &user, &token).await;
    assert_eq!(outcomes.len(), 12);
    assert_accepted(&outcomes, "a valid token");
    // The IMAP logins opened an INBOX nobody else writes to.
    for ((protocol, transport, mechanism), login) in &outcomes {
        if *protocol == Protocol::Imap {
            assert_eq!(
                *login,
                Login::Accepted {
                    reply: "INBOX has 0 messages".into()
                },
                "IMAP over {transport} with {mechanism}"
            );
        }
    }
}

#[tokio::test]
async fn postfix_takes_an_auth_line_longer_than_its_default_limit() {
    // Postfix refuses command lines over 2,048 bytes unless line_length_limit is raised, and Microsoft's tokens
    // make `AUTH XOAUTH2 <initial response>` that long. A long scope list makes the emulator's token as long.
    let padding: Vec<String> = (0..100).map(|n| format!("Padding{n}.Read")).collect();
    let scopes: Vec<&str> = ALL_SCOPES
        .into_iter()
        .chain(padding.iter().map(String::as_str))
        .collect();
    let user = mail_user("long-auth");
    let token = bed().emulator.mint_access_token(&user, "outlook", &scopes, 3600);
    let line = format!(
        "AUTH XOAUTH2 {}",
        Mechanism::XOAuth2.initial_response_base64(&user, &token)
    );
    assert!(line.len() > 4096, "the AUTH line is only {} bytes", line.len());
    let outcomes = check_all(
        vec![
            (Protocol::Smtp, Transport::StartTls, Mechanism::XOAuth2),
            (Protocol::Smtp, Transport::ImplicitTls, Mechanism::OAuthBearer),
        ],
        &user,
        &token,
    )
    .await;
    assert_accepted(&outcomes, "a 4 KB AUTH line");
}

fn lettre_transport(transport: Transport, user: &str, token: &str) -> AsyncSmtpTransport<Tokio1Executor> {
    let peers = &bed().peers;
    let ca = peers.ca_pem().expect("the peers' CA");
    let tls = TlsParameters::builder(mailgrant_tests::peers::SERVER_NAME.to_string())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(Certificate::from_pem(ca.as_bytes()).expect("the CA is PEM"))
        .build_rustls()
        .expect("lettre's TLS parameters");
    let address = peers.smtp(transport);
    let tls = match transport {
        Transport::ImplicitTls => Tls::Wrapper(tls),
        Transport::StartTls => Tls::Required(tls),
    };
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(address.ip().to_string())
        .port(address.port())
        .tls(tls)
        .credentials(Credentials::new(user.to_string(), token.to_string()))
        .authentication(vec![SmtpMechanism::Xoauth2])
        .timeout(Some(Duration::from_secs(15)))
        .build()
}

fn message(from: &str, to: &str, subject: &str, body: &str) -> Message {
    Message::builder()
        .from(from.parse().expect("sender address"))
        .to(to.parse().expect("recipient address"))
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .expect("a message")
}

#[tokio::test]
async fn mail_sent_through_postfix_with_lettre_is_delivered_and_readable_over_imap() {
    let user = mail_user("delivery");
    let token = token(&user, &ALL_SCOPES);
    for transport in Transport::ALL {
        let subject = format!("Over {transport}");
        let body = format!("Sent over {transport} with XOAUTH2.");
        lettre_transport(transport, &user, &token)
            .send(message(&user, &user, &subject, &body))
            .await
            .unwrap_or_else(|error| panic!("sending over {transport}: {error}"));
        let text = imap_fetch_by_subject(&user, &token, &subject)
            .await
            .unwrap_or_else(|error| panic!("reading the message sent over {transport}: {error}"));
        assert!(text.contains(&body), "the message read back: {text}");
        assert!(
            text.contains(&format!("Subject: {subject}")),
            "the message read back: {text}"
        );
    }
    // Exactly the two messages sent.
    let delivered = bed().peers.delivered(&user).expect("the user's Maildir");
    assert_eq!(delivered.len(), 2, "Maildir files: {delivered:?}");
}

#[tokio::test]
async fn lettre_fails_on_a_refused_token_and_nothing_is_sent() {
    // lettre 0.11 does not answer XOAUTH2's error challenge: on `334 <json>` it gives up with a client error
    // ("This mechanism does not expect a challenge") and never sees Postfix's 535. Exchange Online sends no
    // challenge (535 5.7.3 at once), so this only bites against Dovecot-backed servers; a probe that wants the
    // server's refusal text must speak SMTP itself.
    let user = mail_user("refused-send");
    let expired = bed()
        .emulator
        .mint_access_token(&user, "outlook", &ALL_SCOPES, -60);
    let error = lettre_transport(Transport::StartTls, &user, &expired)
        .send(message(&user, &user, "Refused", "must not arrive"))
        .await
        .expect_err("an expired token must not send mail");
    assert!(
        error.is_client() && error.status().is_none(),
        "lettre's error for the refused token: {error:?}"
    );
    assert!(error.to_string().contains("challenge"), "{error}");
    // Nothing was queued: the user's Maildir stays empty.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delivered = bed().peers.delivered(&user).expect("the user's Maildir");
    assert!(delivered.is_empty(), "delivered anyway: {delivered:?}");
}

// ---- Refusals ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_expired_token_is_refused() {
    let expired = bed()
        .emulator
        .mint_access_token(ADELE, "outlook", &ALL_SCOPES, -60);
    assert_refused(
        &check_all(both_mechanisms(), ADELE, &expired).await,
        "an expired token",
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_the_next_login() {
    // A user of its own, so the revocation touches no other test.
    let user = mail_user("revoked");
    let emulator = &bed().emulator;
    let token = token(&user, &ALL_SCOPES);

    let before = check_all(
        vec![(Protocol::Imap, Transport::ImplicitTls, Mechanism::XOAuth2)],
        &user,
        &token,
    )
    .await;
    assert_accepted(&before, "before the revocation");

    emulator.revoke(&user, "consent");
    assert_refused(
        &check_all(both_mechanisms(), &user, &token).await,
        "a revoked token",
    );
}

#[tokio::test]
async fn a_token_without_the_protocols_scope_is_refused_there() {
    let user = mail_user("scopes");
    let imap_only = token(&user, &[IMAP_SCOPE]);
    let ways = |protocol| {
        both_mechanisms()
            .into_iter()
            .filter(move |(p, _, _)| *p == protocol)
            .collect::<Vec<_>>()
    };
    assert_accepted(
        &check_all(ways(Protocol::Imap), &user, &imap_only).await,
        "an IMAP token over IMAP",
    );
    assert_refused(
        &check_all(ways(Protocol::Pop), &user, &imap_only).await,
        "an IMAP-only token over POP3",
    );
    assert_refused(
        &check_all(ways(Protocol::Smtp), &user, &imap_only).await,
        "an IMAP-only token over SMTP",
    );

    let smtp_only = token(&user, &[SMTP_SCOPE]);
    let mut not_smtp = ways(Protocol::Imap);
    not_smtp.extend(ways(Protocol::Pop));
    assert_refused(
        &check_all(not_smtp, &user, &smtp_only).await,
        "an SMTP-only token over IMAP and POP3",
    );
}

#[tokio::test]
async fn a_graph_token_is_refused() {
    let graph = bed()
        .emulator
        .mint_access_token(ADELE, "graph", &["Mail.ReadWrite", "Mail.Send"], 3600);
    assert_refused(
        &check_all(both_mechanisms(), ADELE, &graph).await,
        "a Graph token",
    );
}

#[tokio::test]
async fn a_token_for_another_mailbox_is_refused() {
    // Adele's token naming Megan's mailbox; Megan's naming the shared mailbox she has no rights on.
    let adele = token(ADELE, &ALL_SCOPES);
    assert_refused(
        &check_all(both_mechanisms(), MEGAN, &adele).await,
        "Adele's token as Megan",
    );
    let megan = token(MEGAN, &ALL_SCOPES);
    assert_refused(
        &check_all(both_mechanisms(), SHARED_MAILBOX, &megan).await,
        "Megan's token for the shared mailbox",
    );
}

#[tokio::test]
async fn garbage_is_refused() {
    assert_refused(
        &check_all(both_mechanisms(), ADELE, "not-a-token").await,
        "a made-up token",
    );
}

// ---- Shared mailboxes and app-only access --------------------------------------------------------------------

#[tokio::test]
async fn a_delegate_opens_the_shared_mailbox_with_its_own_token() {
    // `user=sales@…` with Adele's token, as Exchange accepts for a mailbox she has FullAccess on.
    let token = token(ADELE, &ALL_SCOPES);
    assert_accepted(
        &check_all(every_way(), SHARED_MAILBOX, &token).await,
        "Adele's token for the shared mailbox",
    );

    // Sent as the shared mailbox, delivered to it, read from its own INBOX (not Adele's).
    let subject = unique("shared");
    lettre_transport(Transport::StartTls, SHARED_MAILBOX, &token)
        .send(message(
            SHARED_MAILBOX,
            SHARED_MAILBOX,
            &subject,
            "For the sales team.",
        ))
        .await
        .expect("sending as the shared mailbox");
    let text = imap_fetch_by_subject(SHARED_MAILBOX, &token, &subject)
        .await
        .expect("reading the shared mailbox");
    assert!(text.contains("For the sales team."), "{text}");
    let in_adeles = bed().peers.delivered(ADELE).expect("adele's Maildir");
    assert!(
        in_adeles.iter().all(|file| !std::fs::read_to_string(file)
            .unwrap_or_default()
            .contains(&subject)),
        "the shared mailbox's message landed in Adele's"
    );
}

#[tokio::test]
async fn an_app_only_token_opens_the_mailboxes_its_app_was_granted() {
    // Client credentials: roles instead of scopes, no user in the token; the SASL user names the mailbox.
    let minted = bed()
        .emulator
        .mint(&MintRequest {
            user: None,
            client_id: Some(CONFIDENTIAL_CLIENT_ID.to_string()),
            resource: "outlook".to_string(),
            scopes: Vec::new(),
            roles: vec![
                "IMAP.AccessAsApp".to_string(),
                "POP.AccessAsApp".to_string(),
                "SMTP.SendAsApp".to_string(),
            ],
            expires_in: 3600,
        })
        .expect("an app-only token");
    let token = minted.access_token;
    assert_accepted(
        &check_all(both_mechanisms(), SHARED_MAILBOX, &token).await,
        "the app's token for the mailbox its service principal has FullAccess on",
    );
    assert_refused(
        &check_all(both_mechanisms(), ADELE, &token).await,
        "the app's token for a mailbox it has no rights on",
    );
}

// ---- The servers themselves ----------------------------------------------------------------------------------

#[tokio::test]
async fn an_unreachable_identity_provider_is_a_temporary_failure() {
    // Servers of their own, whose introspection endpoint is a port nobody listens on (so any token will do).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let peers = MailPeers::start(&format!("http://{closed}")).expect("mail peers");
    let tls = peers.tls_config().expect("TLS configuration");
    let token = "a-token-nobody-can-check";

    // Dovecot's HTTP client takes about a second to give up on the endpoint: the three go at once.
    let imap = async {
        let server = (peers.imap_tls(), &tls);
        match imap_login(server, Transport::ImplicitTls, Mechanism::XOAuth2, ADELE, token).await {
            Ok(ImapLogin::Refused { challenge, reply }) => (challenge, reply),
            Ok(ImapLogin::Accepted(_)) => panic!("IMAP logged in without an identity provider"),
            Err(error) => panic!("IMAP: {error}"),
        }
    };
    let pop = async {
        let mut pop = Pop3::connect(peers.pop_tls(), Transport::ImplicitTls, &tls)
            .await
            .expect("POP3 connection");
        pop.authenticate(Mechanism::XOAuth2, ADELE, token)
            .await
            .expect("POP3 AUTH")
    };
    let smtp = async {
        let mut smtp = Smtp::connect(peers.smtps(), Transport::ImplicitTls, &tls)
            .await
            .expect("SMTP connection");
        smtp.authenticate(Mechanism::XOAuth2, ADELE, token)
            .await
            .expect("SMTP AUTH")
    };
    let ((imap_challenge, imap), pop, smtp) = tokio::join!(imap, pop, smtp);

    // No error challenge: the token was never judged.
    assert_eq!(imap_challenge, None, "IMAP");
    assert!(
        imap.contains("[UNAVAILABLE] Temporary authentication failure."),
        "IMAP: {imap}"
    );
    assert!(
        matches!(&pop, Login::Refused { challenge: None, reply } if reply.starts_with("-ERR [SYS/TEMP] Temporary authentication failure.")),
        "POP3: {pop:?}"
    );
    // Postfix 3.7 words the outage as a plain refusal (no 454 4.7.0): only IMAP and POP3 tell a client to try
    // again later.
    assert_eq!(
        smtp,
        Login::Refused {
            challenge: None,
            reply: "535 5.7.8 Error: authentication failed: (reason unavailable)".to_string()
        },
        "SMTP"
    );

    peers.stop().expect("a clean stop");
}

#[tokio::test]
async fn the_servers_start_and_stop_without_leftovers() {
    // How quickly is a figure (printed below), not an assertion: a loaded machine is slower, not broken.
    let peers = MailPeers::start(bed().emulator.base_url()).expect("mail peers");
    let started_in = peers.started_in();

    // Both answer, over TLS that verifies against the throwaway CA only.
    let tls = peers.tls_config().expect("TLS configuration");
    Pop3::connect(peers.pop_starttls(), Transport::StartTls, &tls)
        .await
        .expect("POP3 over STARTTLS")
        .quit()
        .await
        .expect("POP3 QUIT");
    Smtp::connect(peers.smtps(), Transport::ImplicitTls, &tls)
        .await
        .expect("SMTPS")
        .quit()
        .await
        .expect("SMTP QUIT");

    let masters = peers.master_pids();
    for master in masters {
        let members = mailgrant_tests::peers::session_members(master).expect("/proc");
        assert!(
            members.contains(&master),
            "master {master} is not running: {members:?}"
        );
    }
    let dir = peers.dir().to_path_buf();
    let stopped_in = peers.stop().expect("a clean stop");
    for master in masters {
        let left = mailgrant_tests::peers::session_members(master).expect("/proc");
        assert!(left.is_empty(), "left over from {master}: {left:?}");
    }
    assert!(!dir.exists(), "{} was not removed", dir.display());
    eprintln!("mail peers: started in {started_in:?}, stopped in {stopped_in:?}");
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_throwaway_ca_refuses_the_servers() {
    // The servers' certificate verifies only against the throwaway CA; a client with other roots (here none)
    // refuses the handshake.
    let untrusting = Arc::new(
        ClientConfig::builder_with_provider(Arc::new(tokio_rustls::rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(tokio_rustls::rustls::RootCertStore::empty())
            .with_no_client_auth(),
    );
    let error = imap_connect(bed().peers.imap_tls(), Transport::ImplicitTls, &untrusting)
        .await
        .expect_err("the handshake must fail");
    assert!(error.to_string().contains("UnknownIssuer"), "{error}");
}
