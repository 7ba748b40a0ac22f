//! Every sign-in flow of mailgrant-core, end to end against the identity-platform emulator: the test plays the
//! browser (follows the authorize URL, submits the emulator's page, follows the redirect into the listener).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine as _;
use mailgrant_core::identity::{permissions, Endpoints};
use mailgrant_core::model::{Cloud, CustomCloud, Flow, Resource, Service, Tenant};
use mailgrant_core::signin::authcode::{parse_callback, AuthParams, AuthRequest};
use mailgrant_core::signin::loopback::LoopbackRedirect;
use mailgrant_core::signin::token_endpoint::{refresh, ClientAuth};
use mailgrant_core::signin::{client_credentials, device, discovery, http, SignInError, TokenEndpoint};
use mailgrant_core::SecretString;
use mailgrant_tests::emulator::browser::{Browser, Decision};
use mailgrant_tests::emulator::demo::{
    ADELE, CONFIDENTIAL_CLIENT_ID, EXPIRED_SECRET_VALUE, PUBLIC_CLIENT_ID, SECRET_ID, SECRET_VALUE,
    TENANT_DOMAIN, TENANT_ID,
};
use mailgrant_tests::emulator::{decode_claims, Emulator, Fault, Seed, TestCertificate};
use mailgrant_tests::fixtures;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_util::sync::CancellationToken;

fn endpoints(emulator: &Emulator) -> Endpoints {
    Endpoints::for_cloud(&Cloud::Custom(CustomCloud {
        authority: emulator.base_url().into(),
        graph: emulator.base_url().into(),
        graph_resource: Some("https://graph.microsoft.com".into()),
        outlook_resource: "https://outlook.office.com".into(),
        imap: "127.0.0.1:993".parse().unwrap(),
        pop: "127.0.0.1:995".parse().unwrap(),
        smtp: "127.0.0.1:587".parse().unwrap(),
    }))
}

fn tenant() -> Tenant {
    TENANT_DOMAIN.parse().unwrap()
}

fn services(list: &[Service]) -> BTreeSet<Service> {
    list.iter().copied().collect()
}

/// The emulator's CA certificates (DER): the only roots a client of these tests trusts besides the public ones.
fn emulator_roots() -> Vec<Vec<u8>> {
    let pem = Emulator::ca_pem().expect("the emulator's CA");
    CertificateDer::pem_slice_iter(&pem)
        .map(|cert| cert.expect("a PEM certificate").as_ref().to_vec())
        .collect()
}

/// Core's HTTP client, as the product builds it, trusting the emulator's HTTPS certificate.
fn client() -> reqwest::Client {
    http::client(&http::HttpOptions {
        ca_file: None,
        extra_roots: emulator_roots(),
        request_timeout: Some(Duration::from_secs(3)),
        ..http::HttpOptions::default()
    })
    .unwrap()
}

#[tokio::test]
async fn loopback_sign_in_then_refresh_rotates_and_reaches_the_second_resource() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let e = endpoints(&emulator);
    let client_id = PUBLIC_CLIENT_ID.parse().unwrap();
    let services = services(&[Service::Imap, Service::Smtp, Service::GraphRead]);
    let loopback = LoopbackRedirect::bind().await.unwrap();
    let redirect_uri = loopback.redirect_uri();
    let consent = permissions::consent_scopes(&e, &services);
    let request = AuthRequest::new(&AuthParams {
        authorize_url: &e.authorize_url(&tenant()),
        client_id: &client_id,
        redirect_uri: &redirect_uri,
        scopes: &consent,
        login_hint: None,
        prompt: Some("select_account"),
    })
    .expect("an authorize request");
    let state = request.state().to_owned();
    let waiting = tokio::spawn(loopback.wait(state, Duration::from_secs(20), CancellationToken::new()));

    // The browser: the emulator's sign-in page, then the redirect into Mailgrant's listener.
    let browser = Browser::new(emulator.base_url()).unwrap();
    let landing = browser
        .sign_in(&request.url, ADELE, Decision::Approve)
        .await
        .unwrap();
    assert!(
        landing.location.starts_with(&redirect_uri),
        "{}",
        landing.location
    );
    let page = reqwest::get(&landing.location).await.unwrap();
    assert_eq!(page.status(), 200);
    let text = page.text().await.unwrap();
    assert!(text.contains("close this tab"), "{text}");
    let code = waiting.await.unwrap().unwrap();

    let endpoint = TokenEndpoint::new(client(), e.token_url(&tenant()));
    let nonce = request.nonce().to_owned();
    let outlook_scopes = permissions::token_scopes(&e, &services, Flow::AuthCode, Resource::Outlook);
    let tokens = request
        .redeem(&endpoint, &client_id, &code, &outlook_scopes, &ClientAuth::None)
        .await
        .unwrap();
    assert!(
        tokens
            .scope
            .contains("https://outlook.office.com/IMAP.AccessAsUser.All"),
        "{}",
        tokens.scope
    );
    let id_claims = decode_claims(tokens.id_token.as_ref().unwrap().expose()).unwrap();
    assert_eq!(id_claims["nonce"], nonce.as_str());
    assert_eq!(id_claims["preferred_username"], ADELE);
    let first_refresh = tokens
        .refresh_token
        .clone()
        .expect("offline_access gives a refresh token");

    // A code is single-use.
    let again = AuthRequest::new(&AuthParams {
        authorize_url: &e.authorize_url(&tenant()),
        client_id: &client_id,
        redirect_uri: &redirect_uri,
        scopes: &consent,
        login_hint: None,
        prompt: None,
    })
    .expect("an authorize request");
    let reused = again
        .redeem(&endpoint, &client_id, &code, &outlook_scopes, &ClientAuth::None)
        .await
        .unwrap_err();
    assert!(
        reused.diagnosis().and_then(|d| d.raw.aadsts).is_some(),
        "{reused}"
    );

    // Refresh for Graph: a token for the other resource and a NEW refresh token (rotation).
    let graph_scopes = permissions::token_scopes(&e, &services, Flow::AuthCode, Resource::Graph);
    let graph = refresh(
        &endpoint,
        &client_id,
        &first_refresh,
        &graph_scopes,
        &ClientAuth::None,
    )
    .await
    .unwrap();
    let rotated = graph.refresh_token.clone().unwrap();
    assert_ne!(
        rotated.expose(),
        first_refresh.expose(),
        "refresh tokens rotate on every use"
    );
    assert_eq!(
        decode_claims(graph.access_token.expose()).unwrap()["aud"],
        "https://graph.microsoft.com"
    );

    // Outlook and Graph in one token request is refused with AADSTS28000.
    let mixed: Vec<String> = outlook_scopes.iter().chain(&graph_scopes).cloned().collect();
    let err = refresh(&endpoint, &client_id, &rotated, &mixed, &ClientAuth::None)
        .await
        .unwrap_err();
    assert_eq!(err.diagnosis().and_then(|d| d.raw.aadsts), Some(28000), "{err}");
}

#[tokio::test]
async fn deep_link_and_pasted_address_callbacks_complete_the_sign_in() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let e = endpoints(&emulator);
    let client_id = PUBLIC_CLIENT_ID.parse().unwrap();
    let services = services(&[Service::Imap]);
    let scopes = permissions::token_scopes(&e, &services, Flow::AuthCode, Resource::Outlook);
    let endpoint = TokenEndpoint::new(client(), e.token_url(&tenant()));
    let browser = Browser::new(emulator.base_url()).unwrap();
    for redirect in [
        "mailgrant://auth",
        &e.redirect_uri_to_register(mailgrant_core::model::RedirectMode::Paste),
    ] {
        let request = AuthRequest::new(&AuthParams {
            authorize_url: &e.authorize_url(&tenant()),
            client_id: &client_id,
            redirect_uri: redirect,
            scopes: &scopes,
            login_hint: Some(ADELE),
            prompt: None,
        })
        .expect("an authorize request");
        let landing = browser
            .sign_in(&request.url, ADELE, Decision::Approve)
            .await
            .unwrap();
        assert!(landing.location.starts_with(redirect), "{}", landing.location);
        let code = request.code_from_callback(&landing.location).unwrap();
        let tokens = request
            .redeem(&endpoint, &client_id, &code, &scopes, &ClientAuth::None)
            .await
            .unwrap();
        assert!(tokens.refresh_token.is_some());
    }
}

#[tokio::test]
async fn declining_consent_comes_back_as_a_diagnosis() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let e = endpoints(&emulator);
    let client_id = PUBLIC_CLIENT_ID.parse().unwrap();
    let scopes =
        permissions::token_scopes(&e, &services(&[Service::Imap]), Flow::AuthCode, Resource::Outlook);
    let request = AuthRequest::new(&AuthParams {
        authorize_url: &e.authorize_url(&tenant()),
        client_id: &client_id,
        redirect_uri: "mailgrant://auth",
        scopes: &scopes,
        login_hint: None,
        prompt: Some("select_account"),
    })
    .expect("an authorize request");
    let browser = Browser::new(emulator.base_url()).unwrap();
    let landing = browser
        .sign_in(&request.url, ADELE, Decision::Deny)
        .await
        .unwrap();
    let err = parse_callback(&landing.location, request.state()).unwrap_err();
    let d = err.diagnosis().expect("a diagnosis");
    assert_eq!(d.raw.error.as_deref(), Some("access_denied"));
}

#[tokio::test]
async fn device_code_flow_polls_until_the_user_approves() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    emulator.update_seed(|seed| seed.device_code_interval_secs = 1);
    let e = endpoints(&emulator);
    let client_id = PUBLIC_CLIENT_ID.parse().unwrap();
    let scopes = permissions::token_scopes(
        &e,
        &services(&[Service::Pop]),
        Flow::DeviceCode,
        Resource::Outlook,
    );
    let http = client();
    let authorization = device::start(&http, &e.device_code_url(&tenant()), &client_id, &scopes)
        .await
        .unwrap();
    assert_eq!(authorization.prompt.user_code.len(), 9);
    assert!(authorization
        .prompt
        .message
        .contains(&authorization.prompt.user_code));

    let browser = Browser::new(emulator.base_url()).unwrap();
    let code = authorization.prompt.user_code.clone();
    let device_polls = || {
        emulator
            .token_requests()
            .into_iter()
            .filter(|r| r.grant_type.ends_with("device_code"))
            .collect::<Vec<_>>()
    };
    // The user approves once the app has polled and been told to wait.
    let approve = async {
        fixtures::wait_until(Duration::from_secs(20), "a first poll", || {
            !device_polls().is_empty()
        })
        .await;
        browser
            .enter_device_code(&code, ADELE, Decision::Approve)
            .await
            .unwrap()
    };
    let endpoint = TokenEndpoint::new(http, e.token_url(&tenant()));
    let cancel = CancellationToken::new();
    let (tokens, (status, _)) = tokio::join!(authorization.poll(&endpoint, &client_id, &cancel), approve);
    assert_eq!(status, 200);
    let tokens = tokens.unwrap();
    assert!(tokens.scope.contains("POP.AccessAsUser.All"), "{}", tokens.scope);
    // Told to wait (AADSTS70016, authorization_pending) until the approval, then the tokens.
    let polls = device_polls();
    let (last, pending) = polls.split_last().expect("polls");
    assert_eq!(last.error, None, "{polls:?}");
    assert!(!pending.is_empty(), "{polls:?}");
    assert!(pending.iter().all(|p| p.error == Some(70016)), "{polls:?}");
}

#[tokio::test]
async fn device_code_flow_stops_when_declined_or_cancelled() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    emulator.update_seed(|seed| seed.device_code_interval_secs = 1);
    let e = endpoints(&emulator);
    let client_id = PUBLIC_CLIENT_ID.parse().unwrap();
    let scopes = permissions::token_scopes(
        &e,
        &services(&[Service::Imap]),
        Flow::DeviceCode,
        Resource::Outlook,
    );
    let http = client();
    let endpoint = TokenEndpoint::new(http.clone(), e.token_url(&tenant()));

    let declined = device::start(&http, &e.device_code_url(&tenant()), &client_id, &scopes)
        .await
        .unwrap();
    let browser = Browser::new(emulator.base_url()).unwrap();
    browser
        .enter_device_code(&declined.prompt.user_code, ADELE, Decision::Deny)
        .await
        .unwrap();
    let err = declined
        .poll(&endpoint, &client_id, &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(
        err.diagnosis().and_then(|d| d.raw.error.clone()).as_deref(),
        Some("authorization_declined")
    );

    let cancelled = device::start(&http, &e.device_code_url(&tenant()), &client_id, &scopes)
        .await
        .unwrap();
    let cancel = CancellationToken::new();
    cancel.cancel();
    assert!(matches!(
        cancelled.poll(&endpoint, &client_id, &cancel).await,
        Err(SignInError::Cancelled)
    ));
}

/// The emulator on a runtime and threads of its own, on the real clock, for a test whose own clock is paused (a
/// paused clock would stop the emulator's timers too). Requests to it from the paused runtime are plain I/O.
struct EmulatorElsewhere {
    emulator: Emulator,
    runtime: Option<tokio::runtime::Runtime>,
}

impl EmulatorElsewhere {
    fn start(seed: Seed) -> Self {
        let (runtime, emulator) = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            let emulator = runtime.block_on(Emulator::start_tls(seed)).unwrap();
            (runtime, emulator)
        })
        .join()
        .unwrap();
        Self {
            emulator,
            runtime: Some(runtime),
        }
    }

    /// Runs `work` on the emulator's runtime (its HTTP clients keep real-time timeouts there).
    async fn run<T: Send + 'static>(&self, work: impl std::future::Future<Output = T> + Send + 'static) -> T {
        let runtime = self.runtime.as_ref().unwrap();
        runtime.spawn(work).await.unwrap()
    }
}

impl Drop for EmulatorElsewhere {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A client with no timer of its own (no timeouts, no idle pool): under a paused clock, a pending timer would be
/// advanced to (and fire) while a request waits for the emulator.
fn timerless_client() -> reqwest::Client {
    let mut builder = reqwest::Client::builder();
    for der in emulator_roots() {
        builder = builder.add_root_certificate(reqwest::Certificate::from_der(&der).unwrap());
    }
    builder
        .no_proxy()
        .pool_max_idle_per_host(0)
        .pool_idle_timeout(None)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A device code for IMAP from `emulator`, and its token endpoint (path and client).
async fn device_code_for_imap(emulator: &Emulator) -> (device::DeviceAuthorization, TokenEndpoint, String) {
    let e = endpoints(emulator);
    let client_id = PUBLIC_CLIENT_ID.parse().unwrap();
    let scopes = permissions::token_scopes(
        &e,
        &services(&[Service::Imap]),
        Flow::DeviceCode,
        Resource::Outlook,
    );
    let http = timerless_client();
    let authorization = device::start(&http, &e.device_code_url(&tenant()), &client_id, &scopes)
        .await
        .unwrap();
    let token_url = e.token_url(&tenant());
    let path = url::Url::parse(&token_url).unwrap().path().to_owned();
    (authorization, TokenEndpoint::new(http, token_url), path)
}

/// RFC 8628 §3.5: every `slow_down` adds 5 s to the polling interval, for the rest of the wait. On a paused clock:
/// Microsoft's interval of 5 s, two `slow_down` answers, then the approved code's tokens come at 5 + 10 + 15 s.
#[tokio::test(start_paused = true)]
async fn device_code_polling_slows_down_by_5_seconds_per_slow_down() {
    let bed = EmulatorElsewhere::start(Seed::demo());
    let emulator = &bed.emulator;
    assert_eq!(emulator.seed().device_code_interval_secs, 5);
    let (authorization, endpoint, token_path) = device_code_for_imap(emulator).await;
    assert_eq!(authorization.prompt.interval, Duration::from_secs(5));

    // The user has already approved; the token endpoint still says slow_down to the first two polls, in
    // Microsoft's shape (AADSTS70016 under the error `slow_down`).
    let browser = Browser::new(emulator.base_url()).unwrap();
    let code = authorization.prompt.user_code.clone();
    let (status, _) = bed
        .run(async move { browser.enter_device_code(&code, ADELE, Decision::Approve).await })
        .await
        .unwrap();
    assert_eq!(status, 200);
    emulator.inject(Fault {
        aadsts: Some(70016),
        error: Some("slow_down".into()),
        message: Some("OAuth 2.0 device flow error. Polling too frequently.".into()),
        count: 2,
        ..Fault::at(&token_path)
    });

    let started = tokio::time::Instant::now();
    let tokens = authorization
        .poll(
            &endpoint,
            &PUBLIC_CLIENT_ID.parse().unwrap(),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(started.elapsed(), Duration::from_secs(5 + 10 + 15));
    assert!(tokens.scope.contains("IMAP.AccessAsUser.All"), "{}", tokens.scope);
    // Both slow_down answers were used (the fault is spent) and the third poll was the one that redeemed the code.
    let polls: Vec<_> = emulator
        .token_requests()
        .into_iter()
        .map(|r| (r.grant_type, r.error))
        .collect();
    assert_eq!(polls, vec![(device::GRANT_TYPE.to_owned(), None)]);
}

/// A device code that expires while the user has not finished ends the wait: with Microsoft's `expired_token`
/// (AADSTS70019) when the server says so first, and as a sign-in that timed out when the code's own lifetime
/// (`expires_in`) runs out while Microsoft still says `authorization_pending`.
#[tokio::test(start_paused = true)]
async fn an_expired_device_code_ends_the_sign_in_with_expired_token_or_timed_out() {
    let mut seed = Seed::demo();
    seed.lifetimes.device_code_secs = 60;
    let bed = EmulatorElsewhere::start(seed);
    let emulator = &bed.emulator;
    let client_id = PUBLIC_CLIENT_ID.parse().unwrap();

    // Microsoft's clock is past the code's life at the first poll.
    let (authorization, endpoint, _) = device_code_for_imap(emulator).await;
    assert_eq!(authorization.prompt.expires_in, Duration::from_secs(60));
    emulator.advance_clock(61);
    let started = tokio::time::Instant::now();
    let err = authorization
        .poll(&endpoint, &client_id, &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(
        started.elapsed(),
        Duration::from_secs(5),
        "one poll, then it stopped"
    );
    let d = err.diagnosis().cloned().expect("Microsoft's answer, diagnosed");
    assert_eq!(
        (
            d.code.as_str(),
            d.raw.error.as_deref(),
            d.raw.aadsts,
            d.raw.http_status
        ),
        ("AADSTS70019", Some("expired_token"), Some(70019), Some(400))
    );
    let api = mailgrant_core::api::ApiError::from(err);
    assert_eq!(api.code, mailgrant_core::api::ErrorCode::SignIn);
    emulator.advance_clock(-61);

    // Microsoft keeps saying authorization_pending: the poller stops itself when expires_in has passed.
    let (authorization, endpoint, token_path) = device_code_for_imap(emulator).await;
    emulator.inject(Fault {
        aadsts: Some(70016),
        count: 100,
        ..Fault::at(&token_path)
    });
    let started = tokio::time::Instant::now();
    let err = authorization
        .poll(&endpoint, &client_id, &CancellationToken::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, SignInError::TimedOut(after) if after == Duration::from_secs(60)),
        "{err:?}"
    );
    // A poll every 5 s; the twelfth, at 60 s, is at the code's end.
    assert_eq!(started.elapsed(), Duration::from_secs(60));
    let api = mailgrant_core::api::ApiError::from(err);
    assert_eq!(api.code, mailgrant_core::api::ErrorCode::TimedOut);
}

#[tokio::test]
async fn client_credentials_with_a_secret_and_its_mistakes() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let e = endpoints(&emulator);
    let client_id = CONFIDENTIAL_CLIENT_ID.parse().unwrap();
    let scope = permissions::token_scopes(
        &e,
        &services(&[Service::Imap]),
        Flow::ClientCredentials,
        Resource::Outlook,
    );
    let endpoint = TokenEndpoint::new(client(), e.token_url(&tenant()));
    let secret = |s: &str| ClientAuth::Secret(SecretString::new(s.to_owned()));

    let ok = client_credentials::fetch(&endpoint, &client_id, &scope[0], &secret(SECRET_VALUE))
        .await
        .unwrap();
    assert!(
        ok.refresh_token.is_none(),
        "client credentials never issue a refresh token"
    );

    let cases = [
        (secret("wrong-value"), 7000215),
        (secret(&SECRET_ID.to_string()), 7000215),
        (secret(EXPIRED_SECRET_VALUE), 7000222),
        (ClientAuth::None, 7000218),
    ];
    for (auth, expected) in cases {
        let err = client_credentials::fetch(&endpoint, &client_id, &scope[0], &auth)
            .await
            .unwrap_err();
        let d = err.diagnosis().expect("a diagnosis");
        assert_eq!(d.raw.aadsts, Some(expected), "{auth:?}: {d:?}");
        assert!(d.raw.trace_id.is_some() && d.raw.correlation_id.is_some());
    }
}

#[tokio::test]
async fn client_credentials_with_a_certificate_assertion() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let cert = TestCertificate::generate("mailgrant-test").unwrap();
    let credential = cert.credential("mailgrant");
    let pem = credential.pem.clone();
    emulator.update_seed(|seed| {
        let app = seed
            .apps
            .iter_mut()
            .find(|a| a.client_id == CONFIDENTIAL_CLIENT_ID)
            .unwrap();
        app.certificates.push(credential);
    });
    let e = endpoints(&emulator);
    let client_id = CONFIDENTIAL_CLIENT_ID.parse().unwrap();
    let token_url = e.token_url(&Tenant::Id(TENANT_ID.to_string().parse().unwrap()));
    let der = pem_to_der(&pem);
    let key = SecretString::new(cert.private_key_pem().unwrap());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let assertion = client_credentials::client_assertion(
        &client_credentials::CertificateCredential {
            certificate_der: &der,
            private_key_pem: &key,
        },
        &client_id,
        &token_url,
        now,
    )
    .unwrap();
    let endpoint = TokenEndpoint::new(client(), token_url.clone());
    let scope = "https://outlook.office365.com/.default";
    let ok = client_credentials::fetch(&endpoint, &client_id, scope, &ClientAuth::Assertion(assertion))
        .await
        .unwrap();
    let claims = decode_claims(ok.access_token.expose()).unwrap();
    assert_eq!(claims["azpacr"], "2", "a certificate-authenticated client");

    // Signed by a key Entra doesn't know: AADSTS700027.
    let stranger = TestCertificate::generate("stranger").unwrap();
    let stranger_key = SecretString::new(stranger.private_key_pem().unwrap());
    let bad = client_credentials::client_assertion(
        &client_credentials::CertificateCredential {
            certificate_der: &der,
            private_key_pem: &stranger_key,
        },
        &client_id,
        &token_url,
        now,
    )
    .unwrap();
    let err = client_credentials::fetch(&endpoint, &client_id, scope, &ClientAuth::Assertion(bad))
        .await
        .unwrap_err();
    assert_eq!(err.diagnosis().and_then(|d| d.raw.aadsts), Some(700027));
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

#[tokio::test]
async fn each_emulator_fault_yields_the_right_diagnosis() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let e = endpoints(&emulator);
    let client_id = CONFIDENTIAL_CLIENT_ID.parse().unwrap();
    let path = format!("/{TENANT_DOMAIN}/oauth2/v2.0/token");
    let endpoint = TokenEndpoint::new(client(), e.token_url(&tenant()));
    let auth = ClientAuth::Secret(SecretString::new(SECRET_VALUE.to_owned()));
    let fetch = || {
        client_credentials::fetch(
            &endpoint,
            &client_id,
            "https://outlook.office365.com/.default",
            &auth,
        )
    };

    for code in [50011, 700016, 50194, 65001, 700082, 50076, 53003, 90002] {
        emulator.inject(Fault {
            aadsts: Some(code),
            ..Fault::at(&path)
        });
        let d = fetch()
            .await
            .unwrap_err()
            .diagnosis()
            .cloned()
            .expect("a diagnosis");
        assert_eq!(d.raw.aadsts, Some(code));
        assert_eq!(d.code, format!("AADSTS{code}"));
        assert!(!d.steps.is_empty(), "AADSTS{code} has steps");
    }

    emulator.inject(Fault {
        html: Some("<html><title>Captive portal</title></html>".into()),
        ..Fault::at(&path)
    });
    assert_eq!(
        fetch()
            .await
            .unwrap_err()
            .diagnosis()
            .map(|d| d.code.clone())
            .as_deref(),
        Some("HTML_INSTEAD_OF_JSON")
    );

    emulator.inject(Fault {
        status: Some(503),
        body: Some(serde_json::json!({"error": "temporarily_unavailable"})),
        ..Fault::at(&path)
    });
    let d = fetch().await.unwrap_err().diagnosis().cloned().unwrap();
    assert!(d.retryable, "{d:?}");

    emulator.inject(Fault {
        delay_ms: 5_000,
        ..Fault::at(&path)
    });
    let d = fetch().await.unwrap_err().diagnosis().cloned().unwrap();
    assert_eq!(d.code, "TIMEOUT", "{d:?}");

    emulator.inject(Fault {
        drop: true,
        ..Fault::at(&path)
    });
    let d = fetch().await.unwrap_err().diagnosis().cloned().unwrap();
    assert!(d.retryable, "a dropped connection may work next time: {d:?}");

    // And the next request, with no fault left, works.
    assert!(fetch().await.is_ok());
}

#[tokio::test]
async fn tenant_discovery_validates_before_sign_in() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let e = endpoints(&emulator);
    let http = client();
    let info = discovery::discover(&http, &e, &tenant()).await.unwrap();
    assert_eq!(info.tenant_id.as_deref(), Some(TENANT_ID.to_string().as_str()));
    let common = discovery::discover(&http, &e, &Tenant::Common).await.unwrap();
    assert_eq!(common.tenant_id, None);
    let unknown = discovery::discover(&http, &e, &"nosuchtenant.example".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(unknown.diagnosis().and_then(|d| d.raw.aadsts), Some(90002));
}
