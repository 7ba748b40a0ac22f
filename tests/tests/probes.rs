//! The probes (`mailgrant_core::probe`) against the real Dovecot (IMAP, POP3) and Postfix (submission, SMTPS) of
//! the test bed, which check every token with the identity-platform emulator, and against the emulator's Graph.
//! Success and refusal for expired, revoked, wrong-scope, wrong-resource and wrong-user tokens, over every
//! transport and both mechanisms; the shared mailbox; a message sent to self and seen over IMAP.
//!
//! One emulator and one pair of servers serve the whole file. A test that opens a mailbox or sends mail does so as
//! a user of its own (`mail_user`), so its counts are exact; the demo's users stay for refusals and for what is
//! about them (the consumer, Adele as the shared mailbox's delegate, Megan without rights). Needs root and
//! `scripts/install-deps.sh test`.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::future::join_all;
use mailgrant_core::diagnosis::{Diagnosis, Fixer};
use mailgrant_core::model::HostPort;
use mailgrant_core::probe::{
    self, Audience, Layer, LayerReport, LayerStatus, MailServer, Mechanism, MechanismChoice, ProbeOptions,
    ProbeReport, ProbeTarget, Protocol, Security, TokenFinding,
};
use mailgrant_core::SecretString;
use mailgrant_tests::emulator::demo::{ADELE, CONFIDENTIAL_CLIENT_ID, CONSUMER, MEGAN, SHARED_MAILBOX};
use mailgrant_tests::emulator::{Emulator, Mailbox, MintRequest, Seed};
use mailgrant_tests::fixtures::CaFile;
use mailgrant_tests::peers::{MailPeers, SERVER_NAME};

const IMAP_SCOPE: &str = "IMAP.AccessAsUser.All";
const POP_SCOPE: &str = "POP.AccessAsUser.All";
const SMTP_SCOPE: &str = "SMTP.Send";
const ALL_SCOPES: [&str; 3] = [IMAP_SCOPE, POP_SCOPE, SMTP_SCOPE];

/// The emulator and the servers shared by the tests of this file, on a runtime of their own (each test has its
/// own, which ends with it); the servers stop when the test process ends.
struct Bed {
    emulator: Emulator,
    peers: MailPeers,
    /// The emulator's CA and the peers' in one file.
    ca: CaFile,
    _runtime: tokio::runtime::Runtime,
}

fn bed() -> &'static Bed {
    static BED: OnceLock<Result<Bed, String>> = OnceLock::new();
    let bed = BED.get_or_init(|| {
        std::thread::spawn(|| -> Result<Bed, String> {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|error| format!("cannot build the emulator's runtime: {error}"))?;
            let emulator = runtime
                .block_on(Emulator::start_tls(Seed::demo()))
                .map_err(|error| format!("cannot start the emulator: {error}"))?;
            let peers = MailPeers::start_with_shared(emulator.introspection_base(), &[SHARED_MAILBOX])
                .map_err(|error| error.to_string())?;
            let ca = CaFile::new(&[peers.ca_pem().map_err(|error| error.to_string())?.as_bytes()]);
            Ok(Bed {
                emulator,
                peers,
                ca,
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

fn outlook_token(user: &str, scopes: &[&str]) -> SecretString {
    SecretString::new(bed().emulator.mint_access_token(user, "outlook", scopes, 3600))
}

fn graph_token(user: &str, scopes: &[&str], expires_in: i64) -> SecretString {
    SecretString::new(
        bed()
            .emulator
            .mint_access_token(user, "graph", scopes, expires_in),
    )
}

/// Trusting only the test bed's throwaway CAs (the peers' and the emulator's); a limit well above the servers' 0.5 s refusals.
fn options() -> ProbeOptions {
    ProbeOptions {
        timeout: Duration::from_secs(10),
        public_roots: false,
        ca_file: Some(bed().ca.path().to_path_buf()),
        ..ProbeOptions::default()
    }
}

fn port(protocol: Protocol, security: Security) -> u16 {
    let peers = &bed().peers;
    let transport = match security {
        Security::ImplicitTls => mailgrant_tests::peers::Transport::ImplicitTls,
        Security::StartTls => mailgrant_tests::peers::Transport::StartTls,
    };
    match protocol {
        Protocol::Imap => peers.imap(transport).port(),
        Protocol::Pop => peers.pop(transport).port(),
        Protocol::Smtp => peers.smtp(transport).port(),
        Protocol::Graph => unreachable!("Graph has no port of the peers"),
    }
}

/// A probe of the peers, by the name their certificate is for.
fn target(way: Way, account: &str) -> ProbeTarget {
    let (protocol, security, mechanism) = way;
    ProbeTarget {
        protocol,
        ..ProbeTarget::imap(
            &HostPort {
                host: SERVER_NAME.to_owned(),
                port: port(protocol, security),
            },
            security,
            account,
        )
    }
    .with_mechanism(MechanismChoice::Only(mechanism))
}

type Way = (Protocol, Security, Mechanism);

const MAIL: [Protocol; 3] = [Protocol::Imap, Protocol::Pop, Protocol::Smtp];
const SECURITIES: [Security; 2] = [Security::ImplicitTls, Security::StartTls];

/// Every protocol, transport and mechanism: 12 ways.
fn every_way() -> Vec<Way> {
    let mut ways = Vec::new();
    for protocol in MAIL {
        for security in SECURITIES {
            for mechanism in Mechanism::ALL {
                ways.push((protocol, security, mechanism));
            }
        }
    }
    ways
}

/// Each protocol over each transport, the mechanisms alternating (so each transport and each mechanism is seen
/// refusing for every protocol): 6 ways.
fn refusal_ways() -> Vec<Way> {
    MAIL.into_iter()
        .flat_map(|protocol| {
            [
                (protocol, Security::ImplicitTls, Mechanism::XOAuth2),
                (protocol, Security::StartTls, Mechanism::OAuthBearer),
            ]
        })
        .collect()
}

fn only(protocol: Protocol) -> Vec<Way> {
    refusal_ways()
        .into_iter()
        .filter(|way| way.0 == protocol)
        .collect()
}

/// The report and what reached the progress callback.
struct Probed {
    way: Way,
    report: ProbeReport,
    progress: Vec<LayerReport>,
}

async fn run(target: ProbeTarget, way: Way, token: &SecretString, options: &ProbeOptions) -> Probed {
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    let report = probe::run(&target, token, options, move |layer| {
        seen.lock().expect("progress").push(layer);
    })
    .await;
    let progress = progress.lock().expect("progress").clone();
    Probed {
        way,
        report,
        progress,
    }
}

/// Probes every way at once, as `account` (opening `shared` if given) with `token`.
async fn probe_all(ways: Vec<Way>, account: &str, shared: Option<&str>, token: &SecretString) -> Vec<Probed> {
    let options = options();
    join_all(ways.into_iter().map(|way| {
        let mut target = target(way, account);
        if let Some(shared) = shared {
            target = target.with_shared_mailbox(shared);
        }
        run(target, way, token, &options)
    }))
    .await
}

impl Probed {
    fn status(&self, layer: Layer) -> LayerStatus {
        self.report
            .layer(layer)
            .map(|l| l.status)
            .unwrap_or_else(|| panic!("{:?}: no {layer:?} layer", self.way))
    }

    fn detail(&self, layer: Layer) -> &str {
        self.report
            .layer(layer)
            .map(|l| l.detail.as_str())
            .unwrap_or_default()
    }

    fn diagnosis(&self) -> &Diagnosis {
        self.report
            .outcome
            .diagnosis()
            .unwrap_or_else(|| panic!("{:?}: no diagnosis: {:#?}", self.way, self.report))
    }

    fn findings(&self) -> Vec<TokenFinding> {
        self.report
            .token
            .as_ref()
            .map(|t| t.findings.clone())
            .unwrap_or_default()
    }
}

fn assert_passed(probes: &[Probed], what: &str) {
    for probed in probes {
        let (protocol, _, mechanism) = probed.way;
        assert!(
            probed.report.outcome.is_ok(),
            "{what}: {:?} failed: {:#?}",
            probed.way,
            probed.report
        );
        for layer in [
            Layer::Dns,
            Layer::Tcp,
            Layer::Tls,
            Layer::Token,
            Layer::Auth,
            Layer::Mailbox,
        ] {
            assert_eq!(
                probed.status(layer),
                LayerStatus::Passed,
                "{what}: {:?} {layer:?}",
                probed.way
            );
        }
        assert_eq!(probed.status(Layer::Send), LayerStatus::Skipped);
        assert_eq!(probed.report.mechanism, Some(mechanism));
        assert!(
            probed.detail(Layer::Auth).starts_with(mechanism.name()),
            "{}",
            probed.detail(Layer::Auth)
        );
        let mailbox = probed.detail(Layer::Mailbox);
        let opened = match protocol {
            Protocol::Imap => mailbox.starts_with("LIST: ") && mailbox.contains("INBOX: "),
            Protocol::Pop => mailbox.starts_with("STAT: "),
            Protocol::Smtp => mailbox.starts_with("MAIL FROM:<"),
            Protocol::Graph => true,
        };
        assert!(opened, "{what}: {:?} mailbox layer: {mailbox}", probed.way);
        // Progress heard every layer once, in order, the same reports as the result.
        assert_eq!(probed.progress, probed.report.layers, "{:?}", probed.way);
    }
}

/// Refused at AUTH the way Dovecot and Postfix refuse: after the mechanism's error challenge, with the protocol's
/// refusal; the later layers skipped; a diagnosis.
fn assert_refused(probes: &[Probed], what: &str) {
    for probed in probes {
        let (protocol, _, mechanism) = probed.way;
        let context = format!("{what}: {:?}", probed.way);
        assert!(
            !probed.report.outcome.is_ok(),
            "{context} passed: {:#?}",
            probed.report
        );
        for layer in [Layer::Dns, Layer::Tcp, Layer::Tls] {
            assert_eq!(probed.status(layer), LayerStatus::Passed, "{context} {layer:?}");
        }
        assert_eq!(
            probed.status(Layer::Auth),
            LayerStatus::Failed,
            "{context}: {:#?}",
            probed.report.layers
        );
        assert_eq!(probed.status(Layer::Mailbox), LayerStatus::Skipped, "{context}");
        assert_eq!(probed.status(Layer::Send), LayerStatus::Skipped, "{context}");
        let auth = probed.detail(Layer::Auth);
        let challenge = match mechanism {
            Mechanism::XOAuth2 => r#"{"status":"401","schemes":"bearer","scope":"mail"}"#,
            Mechanism::OAuthBearer => r#"{"status":"invalid_token"}"#,
        };
        assert!(
            auth.contains(challenge),
            "{context}: the challenge is missing from {auth}"
        );
        let refusal = match protocol {
            Protocol::Imap => "NO [AUTHENTICATIONFAILED] Authentication failed.",
            Protocol::Pop => "-ERR [AUTH] Authentication failed.",
            Protocol::Smtp => "535 5.7.8 Error: authentication failed",
            Protocol::Graph => unreachable!(),
        };
        assert!(auth.contains(refusal), "{context}: {auth}");
        let diagnosis = probed.diagnosis();
        let code = match protocol {
            Protocol::Imap => "IMAP_AUTH_FAILED",
            Protocol::Pop => "POP_AUTH_FAILED",
            _ => "SMTP 5.7.8",
        };
        assert_eq!(diagnosis.code, code, "{context}: {diagnosis:#}");
        let said = diagnosis.raw.server_reply.as_deref().unwrap_or_default();
        assert!(
            said.contains(refusal),
            "{context}: the server's words are missing from {said:?}"
        );
        assert!(
            said.contains(challenge),
            "{context}: the challenge is missing from {said:?}"
        );
        assert_eq!(probed.progress, probed.report.layers, "{context}");
    }
}

/// A user with a mailbox (and Maildir) of its own: what the test finds there, or changes, is its own.
fn mail_user(label: &str) -> String {
    bed().emulator.add_mail_user(label)
}

// ---- Success -------------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_protocol_passes_every_layer_over_both_transports_and_mechanisms() {
    let user = mail_user("every-way");
    let token = outlook_token(&user, &ALL_SCOPES);
    let probes = probe_all(every_way(), &user, None, &token).await;
    assert_eq!(probes.len(), 12);
    assert_passed(&probes, "a valid token");
    for probed in &probes {
        // The mailbox is the user's own, and empty.
        let mailbox = probed.detail(Layer::Mailbox);
        match probed.way.0 {
            Protocol::Imap => assert!(mailbox.ends_with("INBOX: 0 messages"), "{mailbox}"),
            Protocol::Pop => assert!(mailbox.starts_with("STAT: 0 messages (0 bytes)"), "{mailbox}"),
            _ => {}
        }
        let tls = probed.detail(Layer::Tls);
        assert!(tls.contains("TLS 1.3"), "{tls}");
        if probed.way.1 == Security::StartTls {
            assert!(
                tls.starts_with("STARTTLS, ") || tls.starts_with("STLS, "),
                "{tls}"
            );
            assert!(
                probed.detail(Layer::Tcp).contains("the server says"),
                "{:?}",
                probed.way
            );
        }
        let token = probed.report.token.as_ref().expect("the token was read");
        assert_eq!(token.audience_kind, Some(Audience::Outlook));
        assert_eq!(token.user.as_deref(), Some(user.as_str()));
        assert!(token.findings.is_empty());
    }
}

#[tokio::test]
async fn auto_picks_xoauth2_when_both_are_offered() {
    let user = mail_user("auto");
    let token = outlook_token(&user, &ALL_SCOPES);
    let options = options();
    let probes = join_all(MAIL.into_iter().map(|protocol| {
        let way = (protocol, Security::ImplicitTls, Mechanism::XOAuth2);
        run(
            target(way, &user).with_mechanism(MechanismChoice::Auto),
            way,
            &token,
            &options,
        )
    }))
    .await;
    assert_passed(&probes, "Auto");
    // Dovecot offers SASL-IR, so the IMAP login is a single command.
    assert!(
        probes[0].detail(Layer::Auth).starts_with("XOAUTH2 (SASL-IR)"),
        "{}",
        probes[0].detail(Layer::Auth)
    );
}

#[tokio::test]
async fn an_opaque_personal_account_token_is_not_held_against_it() {
    // Personal accounts get `EwB…` tokens, which can't be inspected: the token layer passes and says so.
    let token = outlook_token(CONSUMER, &ALL_SCOPES);
    assert!(token.expose().starts_with("EwB"));
    let probes = probe_all(
        vec![(Protocol::Imap, Security::ImplicitTls, Mechanism::XOAuth2)],
        CONSUMER,
        None,
        &token,
    )
    .await;
    assert_passed(&probes, "a personal account's token");
    let insight = probes[0].report.token.as_ref().expect("the token layer ran");
    assert!(!insight.inspectable);
    assert!(
        probes[0].detail(Layer::Token).starts_with("opaque"),
        "{}",
        probes[0].detail(Layer::Token)
    );
}

// ---- Refusals ------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_expired_token_is_refused_and_the_token_layer_saw_it_coming() {
    let expired = SecretString::new(
        bed()
            .emulator
            .mint_access_token(ADELE, "outlook", &ALL_SCOPES, -60),
    );
    let probes = probe_all(refusal_ways(), ADELE, None, &expired).await;
    assert_refused(&probes, "an expired token");
    for probed in &probes {
        assert_eq!(probed.status(Layer::Token), LayerStatus::Warning);
        assert!(
            matches!(probed.findings()[..], [TokenFinding::Expired { .. }]),
            "{:?}",
            probed.findings()
        );
        assert!(
            probed.detail(Layer::Token).contains("expired"),
            "{}",
            probed.detail(Layer::Token)
        );
        // The diagnosis says so too.
        let explanation = &probed.diagnosis().explanation;
        assert!(
            explanation.contains("Mailgrant's check of the token found a likely cause: it expired"),
            "{explanation}"
        );
    }
}

#[tokio::test]
async fn a_revoked_token_is_refused_at_the_next_probe() {
    let user = mail_user("revoked");
    let token = outlook_token(&user, &ALL_SCOPES);
    assert_passed(
        &probe_all(refusal_ways(), &user, None, &token).await,
        "before the revocation",
    );

    bed().emulator.revoke(&user, "password");
    let probes = probe_all(refusal_ways(), &user, None, &token).await;
    assert_refused(&probes, "a revoked token");
    // Revocation does not show in the token itself: only the server can tell.
    for probed in &probes {
        assert_eq!(probed.status(Layer::Token), LayerStatus::Passed);
    }
}

#[tokio::test]
async fn a_token_without_the_protocols_scope_is_refused_there() {
    let user = mail_user("scopes");
    let imap_only = outlook_token(&user, &[IMAP_SCOPE]);
    assert_passed(
        &probe_all(only(Protocol::Imap), &user, None, &imap_only).await,
        "IMAP with an IMAP token",
    );
    let mut elsewhere = only(Protocol::Pop);
    elsewhere.extend(only(Protocol::Smtp));
    let probes = probe_all(elsewhere, &user, None, &imap_only).await;
    assert_refused(&probes, "an IMAP-only token over POP and SMTP");
    for probed in &probes {
        let needed = match probed.way.0 {
            Protocol::Pop => POP_SCOPE,
            _ => SMTP_SCOPE,
        };
        assert_eq!(
            probed.findings(),
            vec![TokenFinding::MissingPermission {
                needed: vec![needed.to_owned()],
                app_only: false
            }]
        );
        assert!(
            probed.detail(Layer::Token).contains(needed),
            "{}",
            probed.detail(Layer::Token)
        );
    }
}

#[tokio::test]
async fn a_graph_token_is_refused_by_the_mail_servers() {
    let graph = graph_token(ADELE, &["Mail.ReadWrite", "Mail.Send"], 3600);
    let probes = probe_all(refusal_ways(), ADELE, None, &graph).await;
    assert_refused(&probes, "a Graph token");
    for probed in &probes {
        assert!(
            matches!(
                &probed.findings()[..],
                [TokenFinding::WrongAudience {
                    is_for: Audience::Graph,
                    needed: Audience::Outlook,
                    ..
                }]
            ),
            "{:?}",
            probed.findings()
        );
    }
}

#[tokio::test]
async fn another_users_token_is_refused() {
    // Megan's token, probing Adele's mailbox.
    let megan = outlook_token(MEGAN, &ALL_SCOPES);
    let probes = probe_all(refusal_ways(), ADELE, None, &megan).await;
    assert_refused(&probes, "Megan's token for Adele");
    for probed in &probes {
        assert_eq!(
            probed.findings(),
            vec![TokenFinding::OtherUser {
                token_user: MEGAN.to_owned(),
                mailbox: ADELE.to_owned()
            }]
        );
    }
}

#[tokio::test]
async fn a_mailbox_with_the_protocol_turned_off_is_refused() {
    // Set-CASMailbox -ImapEnabled $false / -PopEnabled $false, SMTP AUTH off for the mailbox.
    let user = mail_user("disabled");
    bed().emulator.upsert_mailbox(Mailbox {
        imap: false,
        pop: false,
        smtp_auth: false,
        ..Mailbox::owned_by(&user)
    });
    let token = outlook_token(&user, &ALL_SCOPES);
    let probes = probe_all(refusal_ways(), &user, None, &token).await;
    assert_refused(&probes, "protocols turned off");
    for probed in &probes {
        assert_eq!(probed.status(Layer::Token), LayerStatus::Passed);
    }
}

// ---- Shared mailboxes and app-only tokens --------------------------------------------------------------------

#[tokio::test]
async fn a_delegate_opens_the_shared_mailbox_with_its_own_token() {
    let token = outlook_token(ADELE, &ALL_SCOPES);
    let probes = probe_all(every_way(), ADELE, Some(SHARED_MAILBOX), &token).await;
    assert_passed(&probes, "Adele's token for the shared mailbox");
    for probed in &probes {
        assert_eq!(probed.report.mailbox, SHARED_MAILBOX);
        assert!(probed
            .detail(Layer::Auth)
            .contains(&format!("as {SHARED_MAILBOX}")));
        assert!(probed.findings().is_empty());
    }

    // Megan is no delegate: refused, and her token is flagged as someone else's.
    let megan = outlook_token(MEGAN, &ALL_SCOPES);
    let probes = probe_all(refusal_ways(), ADELE, Some(SHARED_MAILBOX), &megan).await;
    assert_refused(&probes, "Megan's token for the shared mailbox");
    for probed in &probes {
        assert!(
            matches!(&probed.findings()[..], [TokenFinding::OtherUser { .. }]),
            "{:?}",
            probed.findings()
        );
    }
}

#[tokio::test]
async fn an_app_only_token_opens_the_mailbox_its_app_was_granted() {
    let minted = bed()
        .emulator
        .mint(&MintRequest {
            user: None,
            client_id: Some(CONFIDENTIAL_CLIENT_ID.to_owned()),
            resource: "outlook".to_owned(),
            scopes: Vec::new(),
            roles: vec![
                "IMAP.AccessAsApp".into(),
                "POP.AccessAsApp".into(),
                "SMTP.SendAsApp".into(),
            ],
            expires_in: 3600,
        })
        .expect("an app-only token");
    let token = SecretString::new(minted.access_token);
    // The service principal has FullAccess on the shared mailbox; the account is the mailbox itself.
    let probes = probe_all(refusal_ways(), SHARED_MAILBOX, None, &token).await;
    assert_passed(&probes, "the app's token for its mailbox");
    for probed in &probes {
        let insight = probed.report.token.as_ref().expect("read");
        assert!(insight.app_only);
        assert!(probed.detail(Layer::Token).contains("app-only"));
    }
    let refused = probe_all(refusal_ways(), ADELE, None, &token).await;
    assert_refused(&refused, "the app's token for Adele");
    // IMAP and POP: the app-only entry, with the Exchange PowerShell to run.
    for probed in refused.iter().filter(|p| p.way.0 != Protocol::Smtp) {
        let diagnosis = probed.diagnosis();
        assert_eq!(diagnosis.fixer, Fixer::ItAdmin, "{diagnosis:#}");
        let steps = diagnosis.steps.join("\n");
        assert!(
            steps.contains("New-ServicePrincipal -AppId 5e0c7d41-2a9b-4f38-b6e1-c4a7f2d90b85"),
            "{steps}"
        );
        assert!(
            steps.contains(&format!("Add-MailboxPermission -Identity {ADELE}")),
            "{steps}"
        );
    }
}

// ---- Sending to self -----------------------------------------------------------------------------------------

/// The messages in the Maildir of `mailbox`, as text.
fn delivered(mailbox: &str) -> Vec<String> {
    bed()
        .peers
        .delivered(mailbox)
        .expect("the Maildir")
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap_or_default())
        .collect()
}

fn count_delivered(mailbox: &str, needle: &str) -> usize {
    delivered(mailbox)
        .iter()
        .filter(|text| text.contains(needle))
        .count()
}

#[tokio::test]
async fn a_message_sent_to_self_is_delivered_and_seen_over_imap() {
    let user = mail_user("send-to-self");
    let token = outlook_token(&user, &ALL_SCOPES);
    for (sent, (smtp, imap)) in [
        (Security::StartTls, Security::ImplicitTls),
        (Security::ImplicitTls, Security::StartTls),
    ]
    .into_iter()
    .enumerate()
    {
        let options = ProbeOptions {
            send_to_self: true,
            confirm_over_imap: Some(MailServer {
                host: SERVER_NAME.to_owned(),
                port: port(Protocol::Imap, imap),
                security: imap,
            }),
            ..options()
        };
        let way = (Protocol::Smtp, smtp, Mechanism::XOAuth2);
        let probed = run(target(way, &user), way, &token, &options).await;
        assert!(probed.report.outcome.is_ok(), "{:#?}", probed.report);
        assert_eq!(probed.status(Layer::Send), LayerStatus::Passed);
        let send = probed.detail(Layer::Send);
        assert!(send.contains("250 2.0.0 Ok: queued as"), "{send}");
        assert!(send.contains("in the INBOX (IMAP"), "{send}");
        // Exactly the probes' messages, one per round.
        let texts = delivered(&user);
        assert_eq!(texts.len(), sent + 1, "after round {}", sent + 1);
        assert!(
            texts
                .iter()
                .all(|text| text.contains("Subject: Mailgrant test message")),
            "{texts:?}"
        );
    }
}

#[tokio::test]
async fn a_message_sent_as_the_shared_mailbox_lands_in_it() {
    let token = outlook_token(ADELE, &ALL_SCOPES);
    let before = count_delivered(SHARED_MAILBOX, "Subject: Mailgrant test message");
    let options = ProbeOptions {
        send_to_self: true,
        confirm_over_imap: Some(MailServer {
            host: SERVER_NAME.to_owned(),
            port: port(Protocol::Imap, Security::ImplicitTls),
            security: Security::ImplicitTls,
        }),
        ..options()
    };
    let way = (Protocol::Smtp, Security::StartTls, Mechanism::OAuthBearer);
    let probed = run(
        target(way, ADELE).with_shared_mailbox(SHARED_MAILBOX),
        way,
        &token,
        &options,
    )
    .await;
    assert!(probed.report.outcome.is_ok(), "{:#?}", probed.report);
    assert!(probed
        .detail(Layer::Mailbox)
        .contains(&format!("MAIL FROM:<{SHARED_MAILBOX}>")));
    assert_eq!(
        count_delivered(SHARED_MAILBOX, "Subject: Mailgrant test message"),
        before + 1
    );
}

#[tokio::test]
async fn without_send_to_self_nothing_is_sent() {
    let user = mail_user("no-send");
    let token = outlook_token(&user, &ALL_SCOPES);
    let way = (Protocol::Smtp, Security::ImplicitTls, Mechanism::XOAuth2);
    let probed = run(target(way, &user), way, &token, &options()).await;
    assert!(probed.report.outcome.is_ok());
    assert_eq!(probed.status(Layer::Send), LayerStatus::Skipped);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(delivered(&user), Vec::<String>::new());
}

// ---- Graph ---------------------------------------------------------------------------------------------------

fn graph_target(account: &str) -> ProbeTarget {
    ProbeTarget::graph(bed().emulator.base_url(), account)
}

const GRAPH_WAY: Way = (Protocol::Graph, Security::ImplicitTls, Mechanism::XOAuth2);

#[tokio::test]
async fn graph_reads_the_inbox_and_sends_to_self() {
    let user = mail_user("graph");
    let token = graph_token(&user, &["User.Read", "Mail.ReadWrite", "Mail.Send"], 3600);
    let options = ProbeOptions {
        send_to_self: true,
        ..options()
    };
    let probed = run(graph_target(&user), GRAPH_WAY, &token, &options).await;
    assert!(probed.report.outcome.is_ok(), "{:#?}", probed.report);
    // HTTPS to the emulator: its certificate is checked against the test bed's CA before any request.
    for layer in [
        Layer::Dns,
        Layer::Tcp,
        Layer::Tls,
        Layer::Token,
        Layer::Auth,
        Layer::Mailbox,
        Layer::Send,
    ] {
        assert_eq!(
            probed.status(layer),
            LayerStatus::Passed,
            "{layer:?}: {:#?}",
            probed.report.layers
        );
    }
    assert!(
        probed.detail(Layer::Tls).contains("TLS 1.3"),
        "{}",
        probed.detail(Layer::Tls)
    );
    assert!(
        probed.detail(Layer::Auth).contains(&user),
        "{}",
        probed.detail(Layer::Auth)
    );
    assert_eq!(
        probed.detail(Layer::Mailbox),
        format!("{user}: inbox holds 0 messages (0 unread)")
    );
    assert!(
        probed
            .detail(Layer::Send)
            .contains("the inbox went from 0 to 1 after"),
        "{}",
        probed.detail(Layer::Send)
    );
    // Exactly the probe's message.
    let messages = bed().emulator.messages(&user);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(
        (messages[0].subject.as_str(), messages[0].folder.as_str()),
        ("Mailgrant test message", "inbox")
    );
    assert_eq!(probed.progress, probed.report.layers);
}

#[tokio::test]
async fn graph_opens_a_shared_mailbox_under_users() {
    let token = graph_token(ADELE, &["User.Read", "Mail.ReadWrite"], 3600);
    let probed = run(
        graph_target(ADELE).with_shared_mailbox(SHARED_MAILBOX),
        GRAPH_WAY,
        &token,
        &options(),
    )
    .await;
    assert!(probed.report.outcome.is_ok(), "{:#?}", probed.report);
    assert!(
        probed
            .detail(Layer::Mailbox)
            .starts_with(&format!("{SHARED_MAILBOX}: inbox holds")),
        "{}",
        probed.detail(Layer::Mailbox)
    );

    // Megan has no rights on it: Graph refuses at the mailbox.
    let megan = graph_token(MEGAN, &["User.Read", "Mail.ReadWrite"], 3600);
    let probed = run(
        graph_target(MEGAN).with_shared_mailbox(SHARED_MAILBOX),
        GRAPH_WAY,
        &megan,
        &options(),
    )
    .await;
    assert_eq!(probed.status(Layer::Auth), LayerStatus::Passed);
    assert_eq!(probed.status(Layer::Mailbox), LayerStatus::Failed);
    let diagnosis = probed.diagnosis();
    assert_eq!(diagnosis.code, "ErrorAccessDenied", "{diagnosis:#}");
    assert_eq!(diagnosis.raw.http_status, Some(403));
}

#[tokio::test]
async fn graph_with_an_app_only_token_skips_me() {
    let minted = bed()
        .emulator
        .mint(&MintRequest {
            user: None,
            client_id: Some(CONFIDENTIAL_CLIENT_ID.to_owned()),
            resource: "graph".to_owned(),
            scopes: Vec::new(),
            roles: vec!["Mail.Read".into()],
            expires_in: 3600,
        })
        .expect("an app-only Graph token");
    let token = SecretString::new(minted.access_token);
    let probed = run(graph_target(SHARED_MAILBOX), GRAPH_WAY, &token, &options()).await;
    assert!(probed.report.outcome.is_ok(), "{:#?}", probed.report);
    assert_eq!(probed.status(Layer::Auth), LayerStatus::Skipped);
    assert_eq!(probed.status(Layer::Mailbox), LayerStatus::Passed);
}

#[tokio::test]
async fn graph_refuses_expired_and_wrong_resource_tokens_with_a_diagnosis() {
    let expired = graph_token(ADELE, &["User.Read", "Mail.ReadWrite"], -60);
    let outlook = outlook_token(ADELE, &ALL_SCOPES);
    let options = options();
    let (expired, outlook) = tokio::join!(
        run(graph_target(ADELE), GRAPH_WAY, &expired, &options),
        run(graph_target(ADELE), GRAPH_WAY, &outlook, &options),
    );
    for (probed, finding) in [(&expired, "expired"), (&outlook, "Microsoft Graph")] {
        assert_eq!(
            probed.status(Layer::Token),
            LayerStatus::Warning,
            "{:#?}",
            probed.report.layers
        );
        assert!(
            probed.detail(Layer::Token).contains(finding),
            "{}",
            probed.detail(Layer::Token)
        );
        assert_eq!(
            probed.status(Layer::Auth),
            LayerStatus::Failed,
            "{:#?}",
            probed.report.layers
        );
        let diagnosis = probed.diagnosis();
        assert_eq!(diagnosis.code, "InvalidAuthenticationToken", "{diagnosis:#}");
        assert_eq!(diagnosis.raw.http_status, Some(401));
        assert!(
            diagnosis
                .explanation
                .contains("Mailgrant's check of the token found a likely cause"),
            "{diagnosis:#}"
        );
    }
    assert!(matches!(expired.findings()[..], [TokenFinding::Expired { .. }]));
    assert!(matches!(
        outlook.findings()[..],
        [TokenFinding::WrongAudience { .. }]
    ));
}
