//! The probes against a scripted server (`mailgrant_tests::responder`) that replays what Microsoft's servers were
//! observed to say (shared/reference/microsoft-identity.md §4), for the cases the real Dovecot and Postfix can't
//! produce, and that misbehaves on purpose: silent after accepting, gone in the middle of the TLS handshake,
//! wrong certificates. Each case must end in the right layer with the right diagnosis, within the time limit.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mailgrant_core::diagnosis::{Diagnosis, Fixer};
use mailgrant_core::model::HostPort;
use mailgrant_core::probe::{
    self, Layer, LayerReport, LayerStatus, Mechanism, MechanismChoice, ProbeOptions, ProbeReport,
    ProbeTarget, Protocol, Security,
};
use mailgrant_core::SecretString;
use mailgrant_tests::responder::{Identity, Responder, Script, Step};

const ACCOUNT: &str = "adele@contoso.com";
/// The time limit of each layer in these tests.
const LIMIT: Duration = Duration::from_secs(1);

// ---- What Microsoft's servers say (observed) ------------------------------------------------------------------

const IMAP_GREETING: &str = "* OK The Microsoft Exchange IMAP4 service is ready. \
     [TQBOADIAUABSADAAMgBDAEEAMAAwADEANAAuAGEAcABjAHAAcgBkADAAMgAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]";
const IMAP_CAPABILITY: &str = "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID \
     UNSELECT CHILDREN IDLE NAMESPACE LITERAL+";
const POP_GREETING: &str = "+OK The Microsoft Exchange POP3 service is ready. \
     [UABIADAAUABSADAAMgBDAEEAMAAwADEANwAuAGUAdQByAHAAcgBkADAAMgAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]";
const SMTP_GREETING: &str = "220 BN0PR04CA0123.outlook.office365.com Microsoft ESMTP MAIL Service ready at \
     Sun, 23 Nov 2025 10:00:00 +0000 08DE1F5A2B3C4D5E";
const EHLO_BEFORE_TLS: [&str; 10] = [
    "250-BN0PR04CA0123.outlook.office365.com Hello [203.0.113.7]",
    "250-SIZE 157286400",
    "250-PIPELINING",
    "250-DSN",
    "250-ENHANCEDSTATUSCODES",
    "250-STARTTLS",
    "250-8BITMIME",
    "250-BINARYMIME",
    "250-CHUNKING",
    "250 SMTPUTF8",
];
const EHLO_AFTER_TLS: [&str; 10] = [
    "250-BN0PR04CA0123.outlook.office365.com Hello [203.0.113.7]",
    "250-SIZE 157286400",
    "250-PIPELINING",
    "250-DSN",
    "250-ENHANCEDSTATUSCODES",
    "250-AUTH LOGIN XOAUTH2",
    "250-8BITMIME",
    "250-BINARYMIME",
    "250-CHUNKING",
    "250 SMTPUTF8",
];
const SMTP_AUTH_UNSUCCESSFUL: &str =
    "535 5.7.3 Authentication unsuccessful [BN0PR04CA0123.namprd04.prod.outlook.com 2025-11-23T10:00:00.000Z 08DE1F5A2B3C4D5E]";
const SMTP_DISABLED_TENANT: &str =
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled \
     for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. \
     [BN0PR04CA0123.namprd04.prod.outlook.com 2025-11-23T10:00:00.000Z 08DE1F5A2B3C4D5E]";
const SMTP_DISABLED_MAILBOX: &str = "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is \
     disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. \
     [BN0PR04CA0123.namprd04.prod.outlook.com 2025-11-23T10:00:00.000Z 08DE1F5A2B3C4D5E]";
const SEND_AS_DENIED: &str = "554 5.2.252 SendAsDenied; adele@contoso.com not allowed to send as \
     sales@contoso.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to \
     process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message. \
     0.35250:0A00B384, 1.36674:0A000000, 1.61250:00000000 [Hostname=BN0PR04MB1234.namprd04.prod.outlook.com]";
const BASIC_AUTH_NOT_SUPPORTED: &str =
    "550 5.7.30 Basic authentication is not supported for Client Submission.";
const POP_AUTH_FAILURE: &str = "-ERR Authentication failure: unknown user name or bad password.";

/// Up to the end of the capability list, over implicit TLS.
fn imap_ready() -> Script {
    Script::tls()
        .send(IMAP_GREETING)
        .expect("CAPABILITY")
        .send(IMAP_CAPABILITY)
        .send("{tag} OK CAPABILITY completed.")
}

/// Up to the end of EHLO after STARTTLS.
fn smtp_ready() -> Script {
    Script::plain()
        .send(SMTP_GREETING)
        .expect("EHLO ")
        .send_all(&EHLO_BEFORE_TLS)
        .expect("STARTTLS")
        .send("220 2.0.0 SMTP server ready")
        .step(Step::StartTls)
        .expect("EHLO ")
        .send_all(&EHLO_AFTER_TLS)
}

/// Up to the end of CAPA, over implicit TLS.
fn pop_ready() -> Script {
    Script::tls().send(POP_GREETING).expect("CAPA").send_all(&[
        "+OK",
        "TOP",
        "UIDL",
        "SASL PLAIN XOAUTH2",
        "USER",
        ".",
    ])
}

// ---- Running a probe -----------------------------------------------------------------------------------------

fn options() -> ProbeOptions {
    let options = ProbeOptions {
        timeout: LIMIT,
        public_roots: false,
        ..ProbeOptions::default()
    };
    options
        .trust_pem(&Responder::ca_pem().expect("the responder's CA"))
        .expect("the responder's CA is PEM")
}

struct Run {
    report: ProbeReport,
    progress: Vec<LayerReport>,
    server: Responder,
}

async fn probe_with(
    script: Script,
    protocol: Protocol,
    security: Security,
    host: &str,
    options: ProbeOptions,
) -> Run {
    let server = Responder::start(script).await.expect("the scripted server");
    let target = ProbeTarget {
        protocol,
        ..ProbeTarget::imap(
            &HostPort {
                host: host.to_owned(),
                port: server.port(),
            },
            security,
            ACCOUNT,
        )
    };
    // An opaque token: nothing for the token layer to warn about, the server's word decides.
    let token = SecretString::new("EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA".to_owned());
    let progress = Arc::new(Mutex::new(Vec::new()));
    let seen = progress.clone();
    // A probe that ignored its limit would wait for a silent server forever: ten limits is a hang, not a slow run.
    let report = tokio::time::timeout(
        LIMIT * 10,
        probe::run(&target, &token, &options, move |layer| {
            seen.lock().expect("progress").push(layer);
        }),
    )
    .await
    .expect("the probe hung: it did not keep to its time limit");
    let progress = progress.lock().expect("progress").clone();
    Run {
        report,
        progress,
        server,
    }
}

async fn probe(script: Script, protocol: Protocol, security: Security) -> Run {
    probe_with(script, protocol, security, "localhost", options()).await
}

impl Run {
    fn status(&self, layer: Layer) -> LayerStatus {
        self.report
            .layer(layer)
            .map(|l| l.status)
            .expect("every layer is reported")
    }

    /// The layer that failed, and its diagnosis.
    fn failure(&self) -> (Layer, &Diagnosis) {
        let failed: Vec<Layer> = self
            .report
            .layers
            .iter()
            .filter(|l| l.status == LayerStatus::Failed)
            .map(|l| l.layer)
            .collect();
        assert_eq!(
            failed.len(),
            1,
            "exactly one failed layer: {:#?}",
            self.report.layers
        );
        let diagnosis = self
            .report
            .outcome
            .diagnosis()
            .unwrap_or_else(|| panic!("a failed probe has a diagnosis: {:#?}", self.report));
        (failed[0], diagnosis)
    }

    /// The server got what the script expected, in order.
    fn went_to_plan(&self) {
        assert!(
            self.server.mismatches().is_empty(),
            "the client did not do what the server expected: {:?}; it sent {:?}",
            self.server.mismatches(),
            self.server.received()
        );
    }

    /// Every layer after `layer` is skipped; progress saw the same reports in order.
    fn stopped_at(&self, layer: Layer) {
        for report in &self.report.layers {
            if report.layer > layer {
                assert_eq!(report.status, LayerStatus::Skipped, "{:#?}", self.report.layers);
            }
        }
        assert_eq!(self.progress.len(), 7);
        let order: Vec<Layer> = self.progress.iter().map(|l| l.layer).collect();
        let ran: Vec<Layer> = order.iter().copied().filter(|l| *l <= layer).collect();
        assert_eq!(
            ran,
            Layer::ALL
                .iter()
                .copied()
                .filter(|l| *l <= layer)
                .collect::<Vec<_>>()
        );
        assert!(!self.report.outcome.is_ok());
    }
}

fn contains_all(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "{part:?} is missing from {text}");
    }
}

/// Everything the user reads of a diagnosis, and the raw detail.
fn words(diagnosis: &Diagnosis) -> String {
    serde_json::to_string(diagnosis).expect("a diagnosis serializes")
}

/// The diagnosis has this code, quotes the server, and says who fixes it.
fn diagnosed(diagnosis: &Diagnosis, code: &str, fixer: Fixer, server_said: &str) {
    assert_eq!(diagnosis.code, code, "{diagnosis:#}");
    assert_eq!(diagnosis.fixer, fixer, "{diagnosis:#}");
    assert!(!diagnosis.steps.is_empty(), "{diagnosis:#}");
    let raw = diagnosis.raw.server_reply.as_deref().unwrap_or_default();
    assert!(
        raw.contains(server_said),
        "the server's words {server_said:?} are missing from {raw:?}"
    );
}

// ---- Microsoft's refusals ------------------------------------------------------------------------------------

#[tokio::test]
async fn imap_no_authenticate_failed_is_an_auth_failure() {
    let run = probe(
        imap_ready()
            .expect("AUTHENTICATE XOAUTH2 ")
            .send("{tag} NO AUTHENTICATE failed."),
        Protocol::Imap,
        Security::ImplicitTls,
    )
    .await;
    run.went_to_plan();
    run.stopped_at(Layer::Auth);
    // SASL-IR: the initial response went with the command, and it is the XOAUTH2 string for the account.
    let sent = &run.server.received()[1];
    let initial = sent.rsplit(' ').next().expect("a response");
    assert_eq!(
        initial,
        Mechanism::XOAuth2
            .initial_response_base64(ACCOUNT, "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA")
            .expose()
    );
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Auth);
    diagnosed(
        diagnosis,
        "IMAP_AUTH_FAILED",
        Fixer::You,
        "NO AUTHENTICATE failed.",
    );
    contains_all(
        &words(diagnosis),
        &[
            "IMAP.AccessAsUser.All",
            "Set-CASMailbox -Identity adele@contoso.com",
        ],
    );
}

#[tokio::test]
async fn imap_authenticated_but_not_connected_is_a_mailbox_failure() {
    let run = probe(
        imap_ready()
            .expect("AUTHENTICATE XOAUTH2 ")
            .send("{tag} OK AUTHENTICATE completed.")
            .expect("LIST")
            .send("{tag} BAD User is authenticated but not connected."),
        Protocol::Imap,
        Security::ImplicitTls,
    )
    .await;
    run.went_to_plan();
    run.stopped_at(Layer::Mailbox);
    assert_eq!(run.status(Layer::Auth), LayerStatus::Passed);
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Mailbox);
    diagnosed(
        diagnosis,
        "IMAP_NOT_CONNECTED",
        Fixer::ItAdmin,
        "BAD User is authenticated but not connected.",
    );
    contains_all(
        &words(diagnosis),
        &["Set-CASMailbox -Identity adele@contoso.com -ImapEnabled $true"],
    );
}

#[tokio::test]
async fn an_xoauth2_error_challenge_is_answered_with_an_empty_line() {
    // No SASL-IR: the initial response goes at the server's `+`; the error challenge gets an empty answer.
    let run = probe(
        Script::tls()
            .send("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready")
            .expect("AUTHENTICATE XOAUTH2")
            .send("+ ")
            .expect_any()
            .send("+ eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIiwic2NvcGUiOiJtYWlsIn0=")
            .expect_exactly("")
            .send("{tag} NO [AUTHENTICATIONFAILED] Authentication failed."),
        Protocol::Imap,
        Security::ImplicitTls,
    )
    .await;
    run.went_to_plan();
    let received = run.server.received();
    assert_eq!(received[0].split(' ').nth(3), None, "no SASL-IR: {received:?}");
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Auth);
    diagnosed(
        diagnosis,
        "IMAP_AUTH_FAILED",
        Fixer::You,
        "Authentication failed.",
    );
    // The decoded challenge reaches the diagnosis too.
    contains_all(&words(diagnosis), &["status 401"]);
    let auth = run.report.layer(Layer::Auth).expect("AUTH");
    contains_all(
        &auth.detail,
        &[r#"{"status":"401","schemes":"bearer","scope":"mail"}"#],
    );
}

#[tokio::test]
async fn an_oauthbearer_error_challenge_is_answered_with_ctrl_a_over_starttls() {
    let run = probe(
        Script::plain()
            .send("* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready")
            .expect("STARTTLS")
            .send("{tag} OK Begin TLS negotiation now.")
            .step(Step::StartTls)
            .expect("CAPABILITY")
            .send("* CAPABILITY IMAP4rev1 SASL-IR AUTH=OAUTHBEARER")
            .send("{tag} OK Pre-login capabilities listed, post-login capabilities have more.")
            .expect("AUTHENTICATE OAUTHBEARER ")
            .send("+ eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0=")
            .expect_exactly("AQ==")
            .send("{tag} NO [AUTHENTICATIONFAILED] Authentication failed."),
        Protocol::Imap,
        Security::StartTls,
    )
    .await;
    run.went_to_plan();
    assert_eq!(run.report.mechanism, Some(Mechanism::OAuthBearer));
    assert!(run
        .report
        .layer(Layer::Tls)
        .expect("TLS")
        .detail
        .starts_with("STARTTLS, TLS 1.3"));
    let (layer, _) = run.failure();
    assert_eq!(layer, Layer::Auth);
    contains_all(
        &run.report.layer(Layer::Auth).expect("AUTH").detail,
        &[r#"{"status":"invalid_token"}"#],
    );
}

#[tokio::test]
async fn smtp_535_5_7_3_is_an_auth_failure() {
    let run = probe(
        smtp_ready().expect("AUTH XOAUTH2 ").send(SMTP_AUTH_UNSUCCESSFUL),
        Protocol::Smtp,
        Security::StartTls,
    )
    .await;
    run.went_to_plan();
    run.stopped_at(Layer::Auth);
    assert!(
        run.report
            .layer(Layer::Tls)
            .expect("TLS")
            .detail
            .contains("AUTH LOGIN XOAUTH2"),
        "{:?}",
        run.report.layers
    );
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Auth);
    diagnosed(
        diagnosis,
        "SMTP 5.7.3",
        Fixer::You,
        "535 5.7.3 Authentication unsuccessful",
    );
}

#[tokio::test]
async fn smtp_auth_disabled_for_the_tenant_and_for_the_mailbox_name_the_admin_fix() {
    let tenant = probe(
        smtp_ready().expect("AUTH XOAUTH2 ").send(SMTP_DISABLED_TENANT),
        Protocol::Smtp,
        Security::StartTls,
    );
    let mailbox = probe(
        smtp_ready().expect("AUTH XOAUTH2 ").send(SMTP_DISABLED_MAILBOX),
        Protocol::Smtp,
        Security::StartTls,
    );
    let (tenant, mailbox) = tokio::join!(tenant, mailbox);
    for run in [&tenant, &mailbox] {
        run.went_to_plan();
        run.stopped_at(Layer::Auth);
    }
    let (layer, tenant) = tenant.failure();
    assert_eq!(layer, Layer::Auth);
    diagnosed(tenant, "SMTP 5.7.139", Fixer::ItAdmin, "disabled for the Tenant");
    contains_all(
        &tenant.steps[0],
        &["Set-TransportConfig -SmtpClientAuthenticationDisabled $false"],
    );
    let (layer, mailbox) = mailbox.failure();
    assert_eq!(layer, Layer::Auth);
    diagnosed(
        mailbox,
        "SMTP 5.7.139",
        Fixer::ItAdmin,
        "disabled for the Mailbox",
    );
    contains_all(
        &mailbox.steps[0],
        &["Set-CASMailbox -Identity adele@contoso.com -SmtpClientAuthenticationDisabled $false"],
    );
    assert_ne!(tenant.title, mailbox.title);
}

#[tokio::test]
async fn smtp_550_5_7_30_is_explained() {
    let run = probe(
        smtp_ready()
            .expect("AUTH XOAUTH2 ")
            .send(BASIC_AUTH_NOT_SUPPORTED),
        Protocol::Smtp,
        Security::StartTls,
    )
    .await;
    run.went_to_plan();
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Auth);
    diagnosed(diagnosis, "SMTP 5.7.30", Fixer::You, BASIC_AUTH_NOT_SUPPORTED);
}

#[tokio::test]
async fn send_as_denied_fails_the_send_layer_over_implicit_tls() {
    let mut options = options();
    options.send_to_self = true;
    let run = probe_with(
        Script::tls()
            .send(SMTP_GREETING)
            .expect("EHLO ")
            .send_all(&EHLO_AFTER_TLS)
            .expect("AUTH XOAUTH2 ")
            .send("235 2.7.0 Authentication successful")
            .expect("MAIL FROM:<adele@contoso.com>")
            .send("250 2.1.0 Sender OK")
            .expect("RCPT TO:<adele@contoso.com>")
            .send("250 2.1.5 Recipient OK")
            .expect("DATA")
            .send("354 Start mail input; end with <CRLF>.<CRLF>")
            .step(Step::ExpectMessage)
            .send(SEND_AS_DENIED),
        Protocol::Smtp,
        Security::ImplicitTls,
        "localhost",
        options,
    )
    .await;
    run.went_to_plan();
    for layer in [Layer::Auth, Layer::Mailbox] {
        assert_eq!(run.status(layer), LayerStatus::Passed, "{:#?}", run.report.layers);
    }
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Send);
    diagnosed(diagnosis, "SMTP 5.2.252", Fixer::You, "SendAsDenied");
    contains_all(
        &words(diagnosis),
        &["Add-RecipientPermission -Identity sales@contoso.com -Trustee adele@contoso.com"],
    );
    // The message went out whole: headers, the blank line, the text.
    let received = run.server.received();
    assert!(
        received.iter().any(|l| l == "Subject: Mailgrant test message"),
        "{received:?}"
    );
    assert!(
        received
            .iter()
            .any(|l| l.starts_with("Message-ID: <mailgrant-probe-")),
        "{received:?}"
    );
}

#[tokio::test]
async fn pop_authentication_failure_is_an_auth_failure() {
    let run = probe(
        pop_ready()
            .expect("AUTH XOAUTH2")
            .send("+ ")
            .expect_any()
            .send(POP_AUTH_FAILURE),
        Protocol::Pop,
        Security::ImplicitTls,
    )
    .await;
    run.went_to_plan();
    run.stopped_at(Layer::Auth);
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Auth);
    diagnosed(diagnosis, "POP_AUTH_FAILED", Fixer::You, POP_AUTH_FAILURE);
    contains_all(&words(diagnosis), &["POP.AccessAsUser.All", "-PopEnabled $true"]);
}

#[tokio::test]
async fn pop_over_stls_reaches_stat() {
    let run = probe(
        Script::plain()
            .send(POP_GREETING)
            .expect("STLS")
            .send("+OK Begin TLS negotiation.")
            .step(Step::StartTls)
            .expect("CAPA")
            .send_all(&["+OK", "SASL PLAIN XOAUTH2", "."])
            .expect("AUTH XOAUTH2")
            .send("+ ")
            .expect_any()
            .send("+OK User successfully authenticated.")
            .expect("STAT")
            .send("+OK 3 10240")
            .expect("QUIT")
            .send("+OK Microsoft Exchange Server POP3 server signing off."),
        Protocol::Pop,
        Security::StartTls,
    )
    .await;
    run.went_to_plan();
    assert!(run.report.outcome.is_ok(), "{:#?}", run.report);
    contains_all(
        &run.report.layer(Layer::Mailbox).expect("mailbox").detail,
        &["3 messages", "10240 bytes"],
    );
    assert_eq!(run.status(Layer::Send), LayerStatus::Skipped);
}

// ---- Servers that misbehave ----------------------------------------------------------------------------------

/// Ends in `layer` with a timeout diagnosis after waiting the limit (not a hang: see `probe_with`).
fn timed_out_in(run: &Run, layer: Layer) {
    run.stopped_at(layer);
    let (failed, diagnosis) = run.failure();
    assert_eq!(failed, layer, "{:#?}", run.report.layers);
    let report = run.report.layer(layer).expect("the layer");
    assert!(report.elapsed >= LIMIT, "{report:?}");
    contains_all(&report.detail, &["no answer within 1 s"]);
    assert_eq!(diagnosis.code, "TIMEOUT", "{diagnosis:#}");
    assert!(diagnosis.retryable);
    contains_all(&diagnosis.explanation, &["1 second", "localhost"]);
}

#[tokio::test]
async fn a_server_that_accepts_and_says_nothing_times_out_at_tcp() {
    for protocol in [Protocol::Imap, Protocol::Pop, Protocol::Smtp] {
        let run = probe(Script::plain().step(Step::Silence), protocol, Security::StartTls).await;
        timed_out_in(&run, Layer::Tcp);
        contains_all(
            &run.report.layer(Layer::Tcp).expect("TCP").detail,
            &["the server's greeting"],
        );
    }
}

#[tokio::test]
async fn a_server_that_stalls_in_the_tls_handshake_times_out_at_tls() {
    let run = probe(
        Script::tls().step(Step::StallMidTls),
        Protocol::Imap,
        Security::ImplicitTls,
    )
    .await;
    timed_out_in(&run, Layer::Tls);
    contains_all(
        &run.report.layer(Layer::Tls).expect("TLS").detail,
        &["the TLS handshake"],
    );
}

#[tokio::test]
async fn a_server_that_goes_silent_after_auth_times_out_at_auth() {
    let run = probe(
        imap_ready().expect("AUTHENTICATE XOAUTH2 ").step(Step::Silence),
        Protocol::Imap,
        Security::ImplicitTls,
    )
    .await;
    timed_out_in(&run, Layer::Auth);
}

#[tokio::test]
async fn a_server_that_drops_the_connection_mid_tls_is_a_tls_failure() {
    for (protocol, security) in [
        (Protocol::Pop, Security::ImplicitTls),
        (Protocol::Smtp, Security::ImplicitTls),
        (Protocol::Imap, Security::ImplicitTls),
    ] {
        let run = probe(Script::tls().step(Step::DropMidTls), protocol, security).await;
        run.stopped_at(Layer::Tls);
        let (layer, diagnosis) = run.failure();
        assert_eq!(layer, Layer::Tls);
        assert_eq!(diagnosis.code, "TLS", "{diagnosis:#}");
        contains_all(
            &run.report.layer(Layer::Tls).expect("TLS").detail,
            &["closed the connection during the handshake"],
        );
    }
    // After STARTTLS was agreed.
    let run = probe(
        Script::plain()
            .send(POP_GREETING)
            .expect("STLS")
            .send("+OK Begin TLS negotiation.")
            .step(Step::DropMidTls),
        Protocol::Pop,
        Security::StartTls,
    )
    .await;
    run.went_to_plan();
    let (layer, _) = run.failure();
    assert_eq!(layer, Layer::Tls);
}

#[tokio::test]
async fn certificate_problems_are_named() {
    // Issued by a CA this client does not trust.
    let untrusting = ProbeOptions {
        timeout: LIMIT,
        public_roots: true,
        ..ProbeOptions::default()
    };
    let unknown = probe_with(
        Script::tls().send(POP_GREETING),
        Protocol::Pop,
        Security::ImplicitTls,
        "localhost",
        untrusting,
    )
    .await;
    let (layer, diagnosis) = unknown.failure();
    assert_eq!(layer, Layer::Tls);
    assert_eq!(diagnosis.code, "TLS_CERTIFICATE", "{diagnosis:#}");
    contains_all(&diagnosis.explanation, &["UnknownIssuer"]);
    contains_all(
        &unknown.report.layer(Layer::Tls).expect("TLS").detail,
        &["UnknownIssuer", "does not trust"],
    );

    // Trusted, but for another name.
    let other = probe(
        Script::tls().identity(Identity::OtherName).send(POP_GREETING),
        Protocol::Pop,
        Security::ImplicitTls,
    )
    .await;
    let (layer, diagnosis) = other.failure();
    assert_eq!(layer, Layer::Tls);
    assert_eq!(diagnosis.code, "TLS_CERTIFICATE", "{diagnosis:#}");
    // The name comes first among the steps when it is the problem.
    contains_all(&diagnosis.steps[0], &["server name"]);
    contains_all(
        &other.report.layer(Layer::Tls).expect("TLS").detail,
        &["NotValidForName", "mail.other.example"],
    );

    // The same certificate is fine by IP address (its SAN has IP:127.0.0.1).
    let by_ip = probe_with(
        Script::tls()
            .send(POP_GREETING)
            .expect("CAPA")
            .send("-ERR no CAPA here")
            .expect("AUTH XOAUTH2")
            .send(POP_AUTH_FAILURE),
        Protocol::Pop,
        Security::ImplicitTls,
        "127.0.0.1",
        options(),
    )
    .await;
    assert_eq!(
        by_ip.status(Layer::Tls),
        LayerStatus::Passed,
        "{:#?}",
        by_ip.report.layers
    );
}

#[tokio::test]
async fn a_server_without_starttls_is_refused_before_any_token_is_sent() {
    let run = probe(
        Script::plain()
            .send("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] plain only")
            .expect("STARTTLS")
            .send("{tag} BAD Command unknown."),
        Protocol::Imap,
        Security::StartTls,
    )
    .await;
    run.went_to_plan();
    run.stopped_at(Layer::Tls);
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Tls);
    assert_eq!(diagnosis.code, "TLS", "{diagnosis:#}");
    assert_eq!(
        diagnosis.raw.server_reply.as_deref(),
        Some("BAD Command unknown.")
    );
    assert!(run
        .server
        .received()
        .iter()
        .all(|line| !line.contains("AUTHENTICATE")));
    contains_all(
        &run.report.layer(Layer::Tls).expect("TLS").detail,
        &["did not start TLS", "it does not list STARTTLS"],
    );
}

#[tokio::test]
async fn a_greeting_that_says_bye_is_a_refusal() {
    let run = probe(
        Script::tls().send("* BYE Connection refused: too many connections from your address."),
        Protocol::Imap,
        Security::ImplicitTls,
    )
    .await;
    let (layer, diagnosis) = run.failure();
    assert_eq!(layer, Layer::Tls);
    assert_eq!(diagnosis.code, "IMAP_REFUSED", "{diagnosis:#}");
    contains_all(&words(diagnosis), &["too many connections"]);
}

#[tokio::test]
async fn oauthbearer_is_used_only_when_asked_or_the_only_one_offered() {
    // Exchange offers only XOAUTH2; Auto picks it even when asked for nothing, and OAUTHBEARER when told to.
    let server = Responder::start(
        imap_ready()
            .expect("AUTHENTICATE OAUTHBEARER ")
            .send("{tag} NO AUTHENTICATE failed."),
    )
    .await
    .expect("the scripted server");
    let target = ProbeTarget::imap(
        &HostPort {
            host: "localhost".to_owned(),
            port: server.port(),
        },
        Security::ImplicitTls,
        ACCOUNT,
    )
    .with_mechanism(MechanismChoice::Only(Mechanism::OAuthBearer));
    let report = probe::run(&target, &SecretString::new("t".to_owned()), &options(), |_| {}).await;
    assert!(server.mismatches().is_empty(), "{:?}", server.mismatches());
    assert_eq!(report.mechanism, Some(Mechanism::OAuthBearer));
    assert_eq!(
        report.layer(Layer::Auth).map(|l| l.status),
        Some(LayerStatus::Failed)
    );
}

#[tokio::test]
async fn the_report_crosses_ipc_as_camel_case_json() {
    let run = probe(
        imap_ready()
            .expect("AUTHENTICATE XOAUTH2 ")
            .send("{tag} NO AUTHENTICATE failed."),
        Protocol::Imap,
        Security::ImplicitTls,
    )
    .await;
    let json = serde_json::to_value(&run.report).expect("JSON");
    assert_eq!(json["protocol"], "imap");
    assert_eq!(json["security"], "implicitTls");
    assert_eq!(json["mechanism"], "xoauth2");
    assert_eq!(json["layers"][4]["layer"], "auth");
    assert_eq!(json["layers"][4]["status"], "failed");
    assert!(json["layers"][4]["elapsedMs"].as_f64().is_some());
    assert_eq!(json["token"]["inspectable"], false);
    assert_eq!(json["outcome"]["status"], "failed");
    assert_eq!(json["outcome"]["diagnosis"]["code"], "IMAP_AUTH_FAILED", "{json}");
    assert_eq!(
        json["outcome"]["diagnosis"]["raw"]["serverReply"], "NO AUTHENTICATE failed.",
        "{json}"
    );
    // The token never appears.
    assert!(!json
        .to_string()
        .contains("EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA"));
}

#[tokio::test]
async fn a_name_that_does_not_resolve_and_a_closed_port_fail_their_layers() {
    let token = SecretString::new("t".to_owned());
    let server = |host: &str, port: u16| HostPort {
        host: host.to_owned(),
        port,
    };
    // A label longer than DNS allows (63 octets): the resolver refuses it without asking any server, so the
    // lookup fails the same way everywhere, with or without a network.
    let unresolvable = format!("{}.invalid", "n".repeat(64));
    let nowhere = ProbeTarget::imap(&server(&unresolvable, 993), Security::ImplicitTls, ACCOUNT);
    let report = probe::run(&nowhere, &token, &options(), |_| {}).await;
    assert_eq!(
        report.layer(Layer::Dns).map(|l| l.status),
        Some(LayerStatus::Failed)
    );
    let diagnosis = report.outcome.diagnosis().expect("a diagnosis");
    assert_eq!(diagnosis.code, "DNS", "{diagnosis:#}");
    assert!(words(diagnosis).contains(&unresolvable), "{diagnosis:#}");

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let refused = ProbeTarget::smtp(&server("127.0.0.1", closed), Security::StartTls, ACCOUNT);
    let report = probe::run(&refused, &token, &options(), |_| {}).await;
    assert_eq!(
        report.layer(Layer::Dns).map(|l| l.status),
        Some(LayerStatus::Passed)
    );
    assert_eq!(
        report.layer(Layer::Tcp).map(|l| l.status),
        Some(LayerStatus::Failed)
    );
    let diagnosis = report.outcome.diagnosis().expect("a diagnosis");
    assert_eq!(diagnosis.code, "CONNECTION_REFUSED", "{diagnosis:#}");
    assert!(
        diagnosis.explanation.contains(&format!("port {closed}")),
        "{diagnosis:#}"
    );
}
