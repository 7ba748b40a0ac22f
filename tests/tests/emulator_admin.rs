//! The emulator's Rust handle, admin API, mail-server introspection and fault injection.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailgrant_tests::emulator::browser::{Browser, Page};
use mailgrant_tests::emulator::demo::{self, ADELE, CONFIDENTIAL_CLIENT_ID, CONSUMER, MEGAN, SHARED_MAILBOX};
use mailgrant_tests::emulator::{Emulator, Fault, Mailbox, MintRequest, Seed, User};
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

async fn introspect(emulator: &Emulator, protocol: &str, token: &str, user: Option<&str>) -> Value {
    let mut url = emulator.introspection_url(protocol);
    if let Some(user) = user {
        url = format!("{url}?user={user}");
    }
    let response = client()
        .post(url)
        .form(&[("token", token)])
        .send()
        .await
        .expect("introspection answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("introspection JSON")
}

#[tokio::test]
async fn base_url_and_introspection_url_have_the_fixed_shape() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    assert!(!base.ends_with('/'));
    assert_eq!(
        emulator.introspection_url("imap"),
        format!("{base}/_emulator/introspect/imap")
    );
}

#[tokio::test]
async fn a_minted_outlook_token_opens_the_users_mailbox_for_its_protocol_only() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    let imap = introspect(&emulator, "imap", &token, None).await;
    assert_eq!(imap["active"], true, "{imap}");
    assert_eq!(imap["email"], ADELE);
    assert_eq!(imap["scope"], "IMAP.AccessAsUser.All");
    assert!(imap["sub"].as_str().is_some_and(|sub| !sub.is_empty()));
    // The token carries no POP or SMTP scope.
    assert_eq!(
        introspect(&emulator, "pop", &token, None).await,
        json!({"active": false})
    );
    assert_eq!(
        introspect(&emulator, "smtp", &token, None).await,
        json!({"active": false})
    );
    // Unknown protocol, garbage token.
    assert_eq!(introspect(&emulator, "ftp", &token, None).await["active"], false);
    assert_eq!(
        introspect(&emulator, "imap", "garbage", None).await["active"],
        false
    );
}

#[tokio::test]
async fn introspection_accepts_get_and_bearer_too() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "outlook", &["SMTP.Send"], 3600);
    let url = emulator.introspection_url("smtp");
    let by_get: Value = client()
        .get(format!("{url}?token={token}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_get["active"], true);
    let by_bearer: Value = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_bearer["email"], ADELE);
}

#[tokio::test]
async fn expired_graph_and_revoked_tokens_are_inactive() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let expired = emulator.mint_access_token(ADELE, "outlook", &["IMAP.AccessAsUser.All"], -10);
    assert_eq!(
        introspect(&emulator, "imap", &expired, None).await["active"],
        false
    );
    let graph = emulator.mint_access_token(ADELE, "graph", &["IMAP.AccessAsUser.All"], 3600);
    assert_eq!(
        introspect(&emulator, "imap", &graph, None).await["active"],
        false,
        "Graph audience"
    );

    let live = emulator.mint_access_token(ADELE, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    let megans = emulator.mint_access_token(MEGAN, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    emulator.revoke(ADELE, "password");
    assert_eq!(introspect(&emulator, "imap", &live, None).await["active"], false);
    assert_eq!(
        introspect(&emulator, "imap", &megans, None).await["active"],
        true,
        "other users unaffected"
    );
    // A token minted after the revocation works again.
    let fresh = emulator.mint_access_token(ADELE, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    assert_eq!(introspect(&emulator, "imap", &fresh, None).await["active"], true);
}

#[tokio::test]
async fn the_clock_offset_expires_tokens() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "outlook", &["POP.AccessAsUser.All"], 600);
    assert_eq!(introspect(&emulator, "pop", &token, None).await["active"], true);
    emulator.advance_clock(601);
    assert_eq!(introspect(&emulator, "pop", &token, None).await["active"], false);
}

#[tokio::test]
async fn shared_mailboxes_need_rights_and_case_does_not_matter() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let adele = emulator.mint_access_token(ADELE, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    let megan = emulator.mint_access_token(MEGAN, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    let shared = introspect(&emulator, "imap", &adele, Some("Sales@Contoso.example")).await;
    assert_eq!(shared["active"], true);
    assert_eq!(shared["email"], "Sales@Contoso.example");
    assert_eq!(
        introspect(&emulator, "imap", &adele, Some(ADELE)).await["email"],
        ADELE
    );
    assert_eq!(
        introspect(&emulator, "imap", &megan, Some(SHARED_MAILBOX)).await["active"],
        false
    );
    assert_eq!(
        introspect(&emulator, "imap", &megan, Some(ADELE)).await["active"],
        false
    );
    assert_eq!(
        introspect(&emulator, "imap", &adele, Some("nobody@contoso.example")).await["active"],
        false
    );
}

#[tokio::test]
async fn a_protocol_disabled_on_the_mailbox_is_refused() {
    let mut seed = Seed::demo();
    seed.mailboxes.retain(|mailbox| mailbox.address != MEGAN);
    seed.mailboxes.push(Mailbox {
        smtp_auth: false,
        imap: false,
        ..Mailbox::owned_by(MEGAN)
    });
    let emulator = Emulator::start(seed).await.unwrap();
    let token = emulator.mint_access_token(
        MEGAN,
        "outlook",
        &["IMAP.AccessAsUser.All", "POP.AccessAsUser.All", "SMTP.Send"],
        3600,
    );
    assert_eq!(introspect(&emulator, "imap", &token, None).await["active"], false);
    assert_eq!(introspect(&emulator, "smtp", &token, None).await["active"], false);
    assert_eq!(introspect(&emulator, "pop", &token, None).await["active"], true);
    // Turned back on at run time.
    emulator.update_seed(|seed| {
        if let Some(mailbox) = seed.mailboxes.iter_mut().find(|m| m.address == MEGAN) {
            mailbox.imap = true;
        }
    });
    assert_eq!(introspect(&emulator, "imap", &token, None).await["active"], true);
}

#[tokio::test]
async fn a_mail_user_gets_an_address_and_an_empty_mailbox_nobody_else_has() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let first = emulator.add_mail_user("delivery");
    let second = emulator.add_mail_user("delivery");
    assert_ne!(first, second, "the same label twice gives two users");
    for address in [&first, &second] {
        let (local, domain) = address.split_once('@').unwrap();
        assert!(local.starts_with("delivery-"), "{address}");
        assert_eq!(domain, demo::TENANT_DOMAIN);
        assert!(emulator.messages(address).is_empty(), "{address}");
    }
    let seed = emulator.seed();
    assert_eq!(seed.own_mailbox(&first).unwrap().address, first);

    // Its token opens its own mailbox and nobody else's (nor is anyone else's token good for it).
    let token = emulator.mint_access_token(&first, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    let own = introspect(&emulator, "imap", &token, None).await;
    assert_eq!(
        (own["active"].clone(), own["email"].clone()),
        (json!(true), json!(first)),
        "{own}"
    );
    assert_eq!(
        introspect(&emulator, "imap", &token, Some(&second)).await["active"],
        false
    );
    let adele = emulator.mint_access_token(ADELE, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    assert_eq!(
        introspect(&emulator, "imap", &adele, Some(&first)).await["active"],
        false
    );

    // Named in login_hint, it signs in without a page, as Adele does.
    let authorize = format!(
        "{}/{}/oauth2/v2.0/authorize?client_id={}&response_type=code&redirect_uri=http%3A%2F%2Flocalhost\
         &scope=https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All&login_hint={first}",
        emulator.base_url(),
        demo::TENANT_DOMAIN,
        demo::PUBLIC_CLIENT_ID
    );
    let browser = Browser::new(emulator.base_url()).unwrap();
    match browser.open(&authorize).await.unwrap() {
        Page::Landed(landing) => {
            assert!(landing.get("code").is_some(), "{landing:?}");
        }
        other => panic!("a page instead of the redirect: {other:?}"),
    }
}

#[tokio::test]
async fn app_only_tokens_open_mailboxes_the_service_principal_was_granted() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let minted = emulator
        .mint(&MintRequest {
            user: None,
            client_id: Some(CONFIDENTIAL_CLIENT_ID.into()),
            resource: "outlook".into(),
            scopes: vec![],
            roles: vec!["IMAP.AccessAsApp".into()],
            expires_in: 3600,
        })
        .unwrap();
    let token = minted.access_token;
    assert!(minted.expires_on > emulator.now_unix());
    let shared = introspect(&emulator, "imap", &token, Some(SHARED_MAILBOX)).await;
    assert_eq!(shared["active"], true, "{shared}");
    assert_eq!(shared["sub"], CONFIDENTIAL_CLIENT_ID);
    assert_eq!(
        introspect(&emulator, "imap", &token, None).await["active"],
        false,
        "needs ?user="
    );
    assert_eq!(
        introspect(&emulator, "imap", &token, Some(ADELE)).await["active"],
        false,
        "no FullAccess"
    );
    assert_eq!(
        introspect(&emulator, "smtp", &token, Some(SHARED_MAILBOX)).await["active"],
        false,
        "no role"
    );
}

#[tokio::test]
async fn the_admin_api_mints_with_the_fixed_contract() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let http = client();
    let minted: Value = http
        .post(format!("{}/_emulator/admin/tokens", emulator.base_url()))
        .json(&json!({"user": ADELE, "resource": "outlook", "scopes": ["IMAP.AccessAsUser.All"], "expires_in": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = minted["access_token"].as_str().unwrap();
    let expires_on = minted["expires_on"].as_i64().unwrap();
    assert!((expires_on - emulator.now_unix() - 3600).abs() <= 2);
    assert_eq!(introspect(&emulator, "imap", token, None).await["active"], true);
    // Work-account tokens are JWTs with Outlook's audience.
    let claims = jwt_claims(token);
    assert_eq!(claims["aud"], "https://outlook.office.com");
    assert_eq!(claims["scp"], "IMAP.AccessAsUser.All");
    assert_eq!(claims["upn"], ADELE);
    assert_eq!(claims["tid"], demo::TENANT_ID.to_string());

    let expired: Value = http
        .post(format!("{}/_emulator/admin/tokens", emulator.base_url()))
        .json(&json!({"user": ADELE, "resource": "outlook", "scopes": ["IMAP.AccessAsUser.All"], "expires_in": -5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        introspect(&emulator, "imap", expired["access_token"].as_str().unwrap(), None).await["active"],
        false
    );

    let refused = http
        .post(format!("{}/_emulator/admin/tokens", emulator.base_url()))
        .json(&json!({"user": ADELE, "resource": "sharepoint", "scopes": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn consumer_tokens_are_opaque() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(CONSUMER, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    assert!(token.starts_with("EwB"), "{token}");
    assert!(!token.contains('.'));
    assert!(token.len() > 1400, "realistically large: {}", token.len());
    assert_eq!(
        introspect(&emulator, "imap", &token, None).await["email"],
        CONSUMER
    );
}

#[tokio::test]
async fn the_admin_api_revokes_sets_the_clock_and_edits_the_seed() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let http = client();
    let base = emulator.base_url();
    let token = emulator.mint_access_token(ADELE, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    let revoked = http
        .post(format!("{base}/_emulator/admin/revoke"))
        .json(&json!({"user": ADELE, "reason": "signin_frequency"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(introspect(&emulator, "imap", &token, None).await["active"], false);
    let bad = http
        .post(format!("{base}/_emulator/admin/revoke"))
        .json(&json!({"user": ADELE, "reason": "boredom"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let clock: Value = http
        .post(format!("{base}/_emulator/admin/clock"))
        .json(&json!({"offset_secs": 3600}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["offset_secs"], 3600);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((emulator.now_unix() - now - 3600).abs() <= 2);

    let user = User {
        locked: true,
        ..User::new("lee@contoso.example", "Lee Gu")
    };
    let saved = http
        .post(format!("{base}/_emulator/admin/users"))
        .json(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 200);
    assert!(emulator
        .seed()
        .user("LEE@contoso.example")
        .is_some_and(|user| user.locked));
    let orphan = User::new("x@nowhere.example", "No Tenant");
    let refused = http
        .post(format!("{base}/_emulator/admin/users"))
        .json(&orphan)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400, "a user outside every tenant is refused");
    assert!(emulator.seed().user("x@nowhere.example").is_none());
    let seed: Value = http
        .get(format!("{base}/_emulator/admin/seed"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(seed["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["upn"] == "lee@contoso.example"));
    http.delete(format!("{base}/_emulator/admin/users/lee@contoso.example"))
        .send()
        .await
        .unwrap();
    assert!(emulator.seed().user("lee@contoso.example").is_none());

    http.post(format!("{base}/_emulator/admin/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(emulator.seed().users.len(), Seed::demo().users.len());
    assert!((emulator.now_unix() - now).abs() <= 2, "reset restores the clock");
}

#[tokio::test]
async fn faults_answer_the_next_requests_then_go_away() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let http = client();
    let base = emulator.base_url();
    let discovery = format!("{base}/common/v2.0/.well-known/openid-configuration");
    let added: Value = http
        .post(format!("{base}/_emulator/admin/faults"))
        .json(&json!([
            {"path": "/common/v2.0/.well-known/openid-configuration", "status": 503, "count": 2},
            {"path": "/common/oauth2/v2.0/token", "aadsts": 50076},
            {"path": "/organizations/*", "html": "<html><body>Proxy says no</body></html>", "status": 200},
        ]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(added["added"], 3);
    assert_eq!(http.get(&discovery).send().await.unwrap().status(), 503);
    assert_eq!(http.get(&discovery).send().await.unwrap().status(), 503);
    assert_eq!(
        http.get(&discovery).send().await.unwrap().status(),
        200,
        "count exhausted"
    );

    let token = http
        .post(format!("{base}/common/oauth2/v2.0/token"))
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 400);
    assert_eq!(token.headers()["cache-control"], "no-store, no-cache");
    let body: Value = token.json().await.unwrap();
    assert_eq!(body["error_codes"], json!([50076]));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS50076: Due to a configuration change"));

    let html = http
        .get(format!(
            "{base}/organizations/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(html.headers()["content-type"], "text/html; charset=utf-8");
    assert!(html.text().await.unwrap().contains("Proxy says no"));
}

#[tokio::test]
async fn faults_delay_and_drop_connections() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let http = client();
    let path = "/common/discovery/v2.0/keys";
    emulator.inject(Fault {
        delay_ms: 300,
        ..Fault::at(path)
    });
    let started = Instant::now();
    let response = http
        .get(format!("{}{path}", emulator.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "a delay alone still answers normally");
    assert!(started.elapsed() >= Duration::from_millis(300));

    emulator.inject(Fault {
        drop: true,
        ..Fault::at(path)
    });
    let dropped = http.get(format!("{}{path}", emulator.base_url())).send().await;
    assert!(
        dropped.is_err(),
        "connection should have been dropped: {dropped:?}"
    );
    assert_eq!(
        http.get(format!("{}{path}", emulator.base_url()))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn graph_faults_are_graph_shaped_with_retry_after() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    emulator.inject(Fault {
        status: Some(429),
        retry_after: Some(7),
        ..Fault::at("/v1.0/me/messages")
    });
    let token = emulator.mint_access_token(ADELE, "graph", &["Mail.Read"], 3600);
    let response = client()
        .get(format!("{}/v1.0/me/messages", emulator.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "TooManyRequests");
    assert!(body["error"]["innerError"]["request-id"].is_string());
}

fn jwt_claims(token: &str) -> Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT");
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url claims");
    serde_json::from_slice(&json).expect("JSON claims")
}

/// The seed example in tests/README.md.
fn readme_seed() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("the README");
    let start = readme.find("```json\n").expect("a JSON example") + "```json\n".len();
    let end = readme[start..].find("```").expect("a closing fence") + start;
    readme[start..end].to_string()
}

#[test]
fn the_readme_seed_example_is_valid() {
    let seed = Seed::from_json(&readme_seed()).unwrap();
    assert_eq!(seed.users.len(), 5);
    assert_eq!(seed.device_code_interval_secs, 1);
    let daemon = seed.app("6c6c6c6c-1111-4222-8333-444444444444").unwrap();
    assert_eq!(daemon.secrets.len(), 2);
    assert!(
        daemon.secrets[1].end.unix() < time::OffsetDateTime::now_utc().unix_timestamp(),
        "relative -1d"
    );
    assert_eq!(
        seed.user_tenant_id(seed.user("sam@outlook.example").unwrap())
            .unwrap()
            .to_string(),
        "9188040d-6c67-4c5b-b112-36a304b66dad"
    );
}

/// Kills the child process when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_base_url_and_serves_a_seed_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, readme_seed()).unwrap();
    let mut child = Running(
        Command::new(env!("CARGO_BIN_EXE_msid-emulator"))
            .arg("--seed")
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let base = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line.trim().to_string())
    })
    .await
    .unwrap()
    .unwrap();
    assert!(base.starts_with("http://127.0.0.1:"), "{base:?}");
    let discovery: Value = client()
        .get(format!(
            "{base}/fabrikam.example/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["issuer"],
        format!("{base}/4a4a4a4a-1111-4222-8333-444444444444/v2.0")
    );
    assert_eq!(discovery["tenant_region_scope"], "EU");
    drop(child);

    // A broken seed file is reported, and the process fails.
    std::fs::write(&path, r#"{"users": [{"upn": 1}]}"#).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_msid-emulator"))
        .arg("--seed")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot parse the seed"));
}
