//! The Microsoft Graph subset: /me, mail folders, messages, sendMail (own and shared mailboxes), applications,
//! and Graph's error shapes; the expiry board's import (`directory::list_applications`) through Graph's pages.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use base64::Engine;
use mailgrant_tests::emulator::demo::{
    ADELE, CONFIDENTIAL_CLIENT_ID, MEGAN, PUBLIC_CLIENT_ID, SECRET_ID, SECRET_VALUE, SHARED_MAILBOX,
    TENANT_ID,
};
use mailgrant_tests::emulator::{
    AppRegistration, ClientKind, Emulator, MintRequest, Seed, SignInAudience, TestCertificate,
};
use serde_json::{json, Value};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

async fn get(emulator: &Emulator, path: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = http()
        .get(format!("{}{path}", emulator.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap_or(Value::Null))
}

async fn send(emulator: &Emulator, path: &str, token: &str, body: Value) -> (u16, String) {
    let response = http()
        .post(format!("{}{path}", emulator.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("Graph answers");
    (response.status().as_u16(), response.text().await.expect("a body"))
}

fn assert_graph_error(body: &Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string());
    let inner = &body["error"]["innerError"];
    for key in ["date", "request-id", "client-request-id"] {
        assert!(inner[key].is_string(), "innerError.{key} in {body}");
    }
}

fn mail(to: &str, subject: &str) -> Value {
    json!({
        "message": {
            "subject": subject,
            "body": {"contentType": "Text", "content": "Hello from the test."},
            "toRecipients": [{"emailAddress": {"address": to}}],
        },
        "saveToSentItems": true,
    })
}

#[tokio::test]
async fn me_returns_the_profile_and_errors_are_graph_shaped() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "graph", &["User.Read"], 3600);
    let (status, _, me) = get(&emulator, "/v1.0/me", &token).await;
    assert_eq!(status, 200);
    for key in [
        "businessPhones",
        "displayName",
        "givenName",
        "id",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
    ] {
        assert!(me.get(key).is_some(), "{key} missing from {me}");
    }
    assert_eq!(me["displayName"], "Adele Vance");
    assert_eq!(me["userPrincipalName"], ADELE);
    assert_eq!(me["surname"], "Vance");

    // No token: 401 with a Bearer challenge.
    let response = http()
        .get(format!("{}/v1.0/me", emulator.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let body: Value = response.json().await.unwrap();
    assert_graph_error(&body, "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token is empty.");

    // An Outlook token at Graph: invalid audience.
    let outlook = emulator.mint_access_token(ADELE, "outlook", &["IMAP.AccessAsUser.All"], 3600);
    let (status, headers, body) = get(&emulator, "/v1.0/me", &outlook).await;
    assert_eq!(status, 401);
    assert!(headers.contains_key("www-authenticate"));
    assert_eq!(
        body["error"]["message"],
        "Access token validation failure. Invalid audience."
    );

    // Expired, revoked, garbage.
    let expired = emulator.mint_access_token(ADELE, "graph", &["User.Read"], -1);
    let (status, _, body) = get(&emulator, "/v1.0/me", &expired).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"]["message"],
        "Lifetime validation failed, the token is expired."
    );
    let (status, _, body) = get(&emulator, "/v1.0/me", "garbage").await;
    assert_eq!(status, 401);
    assert!(body["error"]["message"].as_str().unwrap().starts_with("IDX14100"));
    emulator.revoke(ADELE, "password");
    let (status, _, _) = get(&emulator, "/v1.0/me", &token).await;
    assert_eq!(status, 401);

    // Wrong permission: 403; app-only: /me is delegated only.
    let mail_only = emulator.mint_access_token(MEGAN, "graph", &["Mail.Read"], 3600);
    let (status, _, body) = get(&emulator, "/v1.0/me", &mail_only).await;
    assert_eq!(status, 403);
    assert_graph_error(&body, "Authorization_RequestDenied");
    let app_only = emulator
        .mint(&MintRequest {
            user: None,
            client_id: Some(CONFIDENTIAL_CLIENT_ID.into()),
            resource: "graph".into(),
            scopes: vec![],
            roles: vec!["Mail.Read".into()],
            expires_in: 600,
        })
        .unwrap()
        .access_token;
    let (status, _, body) = get(&emulator, "/v1.0/me", &app_only).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "/me request is only valid with delegated authentication flow."
    );
}

#[tokio::test]
async fn inbox_and_messages() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "graph", &["Mail.ReadWrite"], 3600);
    let (status, _, inbox) = get(&emulator, "/v1.0/me/mailFolders/inbox", &token).await;
    assert_eq!(status, 200);
    assert_eq!(inbox["displayName"], "Inbox");
    assert_eq!(inbox["totalItemCount"], 2);
    assert_eq!(inbox["unreadItemCount"], 1);
    for key in [
        "id",
        "parentFolderId",
        "childFolderCount",
        "sizeInBytes",
        "isHidden",
    ] {
        assert!(inbox.get(key).is_some(), "{key}");
    }

    let (status, _, page) = get(&emulator, "/v1.0/me/messages?$top=1", &token).await;
    assert_eq!(status, 200);
    assert!(page["@odata.context"].is_string());
    let value = page["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    let first = &value[0];
    assert!(first["@odata.etag"].is_string() && first["id"].is_string());
    assert!(first["subject"].is_string());
    assert!(first["sender"]["emailAddress"]["address"].is_string());
    assert!(first["sender"]["emailAddress"]["name"].is_string());
    let next = page["@odata.nextLink"].as_str().expect("more than one message");
    assert_eq!(
        next,
        format!("{}/v1.0/me/messages?%24top=1&%24skip=1", emulator.base_url())
    );
    let second = http()
        .get(next)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(second["value"].as_array().unwrap().len(), 1);
    assert_ne!(second["value"][0]["id"], first["id"]);
    assert!(second.get("@odata.nextLink").is_none());

    let (_, _, selected) = get(&emulator, "/v1.0/me/messages?$select=subject", &token).await;
    let keys: Vec<&String> = selected["value"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["@odata.etag", "subject"]);

    let (status, _, body) = get(&emulator, "/v1.0/me/messages?$top=0", &token).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "ErrorInvalidUrlQuery");

    // Without a mail permission: ErrorAccessDenied.
    let profile_only = emulator.mint_access_token(ADELE, "graph", &["User.Read"], 3600);
    let (status, _, body) = get(&emulator, "/v1.0/me/messages", &profile_only).await;
    assert_eq!(status, 403);
    assert_graph_error(&body, "ErrorAccessDenied");
    assert_eq!(
        body["error"]["message"],
        "Access is denied. Check credentials and try again."
    );
}

#[tokio::test]
async fn send_mail_delivers_to_seeded_mailboxes() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let adele = emulator.mint_access_token(ADELE, "graph", &["Mail.Send", "Mail.Read"], 3600);
    let megan = emulator.mint_access_token(MEGAN, "graph", &["Mail.Read"], 3600);
    let (_, _, before) = get(&emulator, "/v1.0/me/mailFolders/inbox", &megan).await;
    assert_eq!(before["totalItemCount"], 0);

    let (status, body) = send(&emulator, "/v1.0/me/sendMail", &adele, mail(MEGAN, "Lunch?")).await;
    assert_eq!(status, 202);
    assert!(body.is_empty());
    let delivered = emulator.messages(MEGAN);
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].subject, "Lunch?");
    assert_eq!(delivered[0].from, ADELE);
    let (_, _, after) = get(&emulator, "/v1.0/me/mailFolders/inbox", &megan).await;
    assert_eq!(after["totalItemCount"], 1);
    assert_eq!(after["unreadItemCount"], 1);
    let (_, _, sent) = get(&emulator, "/v1.0/me/mailFolders/sentitems", &adele).await;
    assert_eq!(sent["totalItemCount"], 1, "saved to Sent Items");

    // Mail to an outside address is accepted and goes nowhere.
    let (status, _) = send(
        &emulator,
        "/v1.0/me/sendMail",
        &adele,
        mail("someone@fabrikam.example", "Hi"),
    )
    .await;
    assert_eq!(status, 202);
    // No recipients; no Mail.Send.
    let (status, body) = send(
        &emulator,
        "/v1.0/me/sendMail",
        &adele,
        json!({"message": {"subject": "x"}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_graph_error(&serde_json::from_str(&body).unwrap(), "ErrorInvalidRecipients");
    let (status, body) = send(&emulator, "/v1.0/me/sendMail", &megan, mail(ADELE, "x")).await;
    assert_eq!(status, 403);
    assert_graph_error(&serde_json::from_str(&body).unwrap(), "ErrorAccessDenied");
}

#[tokio::test]
async fn send_mail_as_mime() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let adele = emulator.mint_access_token(ADELE, "graph", &["Mail.Send"], 3600);
    let mime =
        format!("From: {ADELE}\r\nTo: Megan Bowen <{MEGAN}>\r\nSubject: MIME hello\r\n\r\nBody text\r\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(mime);
    let response = http()
        .post(format!("{}/v1.0/me/sendMail", emulator.base_url()))
        .bearer_auth(&adele)
        .header("content-type", "text/plain")
        .body(encoded)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(emulator.messages(MEGAN)[0].subject, "MIME hello");
    let broken = http()
        .post(format!("{}/v1.0/me/sendMail", emulator.base_url()))
        .bearer_auth(&adele)
        .header("content-type", "text/plain")
        .body("not base64 at all!")
        .send()
        .await
        .unwrap();
    assert_eq!(broken.status(), 400);
    assert_graph_error(
        &broken.json().await.unwrap(),
        "ErrorMimeContentInvalidBase64String",
    );
}

#[tokio::test]
async fn shared_mailboxes_under_users() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let adele = emulator.mint_access_token(ADELE, "graph", &["Mail.Read.Shared", "Mail.Send.Shared"], 3600);
    let megan = emulator.mint_access_token(MEGAN, "graph", &["Mail.Read.Shared", "Mail.Send.Shared"], 3600);
    let (status, _, messages) = get(
        &emulator,
        &format!("/v1.0/users/{SHARED_MAILBOX}/messages"),
        &adele,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(messages["value"][0]["subject"], "Order 1042");
    let (status, _, folder) = get(
        &emulator,
        &format!("/v1.0/users/{SHARED_MAILBOX}/mailFolders/Inbox"),
        &adele,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(folder["totalItemCount"], 1);

    let (status, _, body) = get(
        &emulator,
        &format!("/v1.0/users/{SHARED_MAILBOX}/messages"),
        &megan,
    )
    .await;
    assert_eq!(status, 403, "Megan has no rights on the shared mailbox");
    assert_graph_error(&body, "ErrorAccessDenied");
    let (status, _, body) = get(&emulator, "/v1.0/users/nobody@contoso.example/messages", &adele).await;
    assert_eq!(status, 404);
    assert_graph_error(&body, "ErrorInvalidUser");

    let (status, _) = send(
        &emulator,
        &format!("/v1.0/users/{SHARED_MAILBOX}/sendMail"),
        &adele,
        mail(MEGAN, "From sales"),
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(emulator.messages(MEGAN)[0].from, SHARED_MAILBOX);
    let (status, _) = send(
        &emulator,
        &format!("/v1.0/users/{SHARED_MAILBOX}/sendMail"),
        &megan,
        mail(ADELE, "Not allowed"),
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn applications_with_their_credentials() {
    let certificate = TestCertificate::generate("graph").unwrap();
    let mut seed = Seed::demo();
    let cert_app = "6e6e6e6e-aaaa-4bbb-8ccc-dddddddddddd";
    seed.apps.push(AppRegistration {
        certificates: vec![certificate.credential("signing cert")],
        sign_in_audience: SignInAudience::AzureAdMyOrg,
        ..AppRegistration::new(cert_app, "Cert App", "contoso.example", ClientKind::Confidential)
    });
    let emulator = Emulator::start(seed).await.unwrap();
    // An app-only Graph token through client credentials (the confidential app has Application.Read.All).
    let response = http()
        .post(format!("{}/{TENANT_ID}/oauth2/v2.0/token", emulator.base_url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", SECRET_VALUE),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    let token: Value = response.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();

    let (status, _, list) = get(&emulator, "/v1.0/applications", &token).await;
    assert_eq!(status, 200);
    let apps = list["value"].as_array().unwrap();
    assert_eq!(apps.len(), 5);
    let service = apps
        .iter()
        .find(|app| app["appId"] == CONFIDENTIAL_CLIENT_ID)
        .unwrap();
    let secrets = service["passwordCredentials"].as_array().unwrap();
    assert_eq!(secrets.len(), 2);
    let valid = secrets
        .iter()
        .find(|secret| secret["keyId"] == SECRET_ID.to_string())
        .unwrap();
    let mut keys: Vec<&String> = valid.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "customKeyIdentifier",
            "displayName",
            "endDateTime",
            "hint",
            "keyId",
            "secretText",
            "startDateTime"
        ]
    );
    assert_eq!(valid["hint"], &SECRET_VALUE[..3]);
    assert_eq!(valid["secretText"], Value::Null);
    assert_eq!(valid["customKeyIdentifier"], Value::Null);
    let end = time::OffsetDateTime::parse(
        valid["endDateTime"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(end > time::OffsetDateTime::now_utc());

    let (status, _, single) = get(
        &emulator,
        &format!("/v1.0/applications(appId='{cert_app}')"),
        &token,
    )
    .await;
    assert_eq!(status, 200);
    let credential = &single["keyCredentials"][0];
    assert_eq!(credential["customKeyIdentifier"], certificate.thumbprint());
    assert_eq!(credential["type"], "AsymmetricX509Cert");
    assert_eq!(credential["usage"], "Verify");
    assert_eq!(credential["displayName"], "signing cert");
    assert_eq!(credential["key"], Value::Null, "key only with $select");
    let (_, _, selected) = get(
        &emulator,
        &format!("/v1.0/applications(appId='{cert_app}')?$select=id,appId,displayName,keyCredentials"),
        &token,
    )
    .await;
    assert!(selected["keyCredentials"][0]["key"]
        .as_str()
        .unwrap()
        .starts_with("MII"));
    assert!(selected.get("passwordCredentials").is_none());
    let by_object_id = single["id"].as_str().unwrap();
    let (status, _, again) = get(&emulator, &format!("/v1.0/applications/{by_object_id}"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(again["appId"], cert_app);

    let (status, _, body) = get(
        &emulator,
        "/v1.0/applications(appId='99999999-9999-4999-8999-999999999999')",
        &token,
    )
    .await;
    assert_eq!(status, 404);
    assert_graph_error(&body, "Request_ResourceNotFound");
    let delegated = emulator.mint_access_token(ADELE, "graph", &["User.Read"], 3600);
    let (status, _, body) = get(&emulator, "/v1.0/applications", &delegated).await;
    assert_eq!(status, 403);
    assert_graph_error(&body, "Authorization_RequestDenied");
    let reader = emulator.mint_access_token(ADELE, "graph", &["Application.Read.All"], 3600);
    let (status, _, _) = get(
        &emulator,
        &format!("/v1.0/applications(appId='{PUBLIC_CLIENT_ID}')"),
        &reader,
    )
    .await;
    assert_eq!(status, 200, "delegated Application.Read.All works too");
}

#[tokio::test]
async fn the_application_list_comes_in_pages_linked_by_next_link() {
    let mut seed = Seed::demo();
    for n in 0..246 {
        seed.apps.push(AppRegistration::new(
            &format!("00000000-0000-4000-8000-{n:012}"),
            &format!("Generated {n}"),
            "contoso.example",
            ClientKind::Confidential,
        ));
    }
    let emulator = Emulator::start(seed).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "graph", &["Application.Read.All"], 3600);
    let mut next = Some(format!(
        "{}/v1.0/applications?$select=appId,displayName&$top=100",
        emulator.base_url()
    ));
    let (mut pages, mut ids) = (0, std::collections::BTreeSet::new());
    while let Some(url) = next.take() {
        let page: Value = http()
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        pages += 1;
        for app in page["value"].as_array().unwrap() {
            assert!(
                app.get("passwordCredentials").is_none(),
                "the $select is kept across pages"
            );
            ids.insert(app["appId"].as_str().unwrap().to_string());
        }
        next = page["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(
        (pages, ids.len()),
        (3, 250),
        "4 demo apps and 246 more, 100 a page, none twice"
    );

    let (status, _, body) = get(&emulator, "/v1.0/applications?$top=0", &token).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "Request_UnsupportedQuery");
    let (status, _, body) = get(&emulator, "/v1.0/applications?$skiptoken=forged", &token).await;
    assert_eq!(status, 400);
    assert_graph_error(&body, "Directory_ExpiredPageToken");
}

/// A listener for a host the token must never reach: it records every request it gets (request line and
/// headers) and answers with an empty page of applications.
struct RecordingListener {
    port: u16,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingListener {
    async fn start() -> Self {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let body = r#"{"value":[]}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            }
        });
        Self { port, requests, task }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for RecordingListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The expiry board's import, `directory::list_applications`, against the emulator's Graph: the demo tenant's
/// four registrations by name.
async fn list_applications(
    emulator: &Emulator,
    token: &str,
) -> Result<Vec<String>, mailgrant_core::directory::DirectoryError> {
    let apps = mailgrant_core::directory::list_applications(
        &http(),
        emulator.base_url(),
        &mailgrant_core::SecretString::new(token.to_owned()),
    )
    .await?;
    Ok(apps.into_iter().map(|a| a.app_id).collect())
}

fn demo_app_ids() -> Vec<String> {
    let mut ids: Vec<String> = Seed::demo().apps.iter().map(|a| a.client_id.clone()).collect();
    ids.sort();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

#[tokio::test]
async fn the_import_waits_out_graph_throttling_three_times_and_no_longer() {
    use mailgrant_tests::emulator::Fault;
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "graph", &["Application.Read.All"], 3600);
    let throttle = |count: u32, retry_after: u64| Fault {
        status: Some(429),
        retry_after: Some(retry_after),
        count,
        ..Fault::at("/v1.0/applications")
    };

    // A 429 with Retry-After: 1 is asked again after it, and the list is whole.
    emulator.inject(throttle(1, 1));
    let ids = list_applications(&emulator, &token).await.unwrap();
    assert_eq!(sorted(ids), demo_app_ids());

    // Three throttled answers in a row are waited out (the fourth request gets the page)…
    emulator.inject(throttle(3, 0));
    let ids = list_applications(&emulator, &token).await.unwrap();
    assert_eq!(sorted(ids), demo_app_ids());

    // …a fourth is Graph's throttling error, explained (no fifth request: the fault would have been spent).
    emulator.inject(throttle(4, 0));
    let err = list_applications(&emulator, &token).await.unwrap_err();
    let d = err.diagnosis().cloned().expect("Graph's answer, diagnosed");
    assert_eq!(
        (
            d.code.as_str(),
            d.raw.http_status,
            d.raw.error.as_deref(),
            d.retryable
        ),
        ("GRAPH_THROTTLED", Some(429), Some("TooManyRequests"), true),
        "{d:?}"
    );
    assert_eq!(
        mailgrant_core::api::ApiError::from(err).code,
        mailgrant_core::api::ErrorCode::Directory
    );
    let ids = list_applications(&emulator, &token).await.unwrap();
    assert_eq!(
        sorted(ids),
        demo_app_ids(),
        "all four throttled answers were used"
    );

    // A Retry-After longer than Mailgrant waits (30 s) is not waited for: the error at once.
    emulator.inject(throttle(1, 31));
    let err = list_applications(&emulator, &token).await.unwrap_err();
    assert_eq!(err.diagnosis().map(|d| d.code.as_str()), Some("GRAPH_THROTTLED"));
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_and_gets_no_token() {
    use mailgrant_tests::emulator::Fault;
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "graph", &["Application.Read.All"], 3600);
    let elsewhere = RecordingListener::start().await;

    for next in [
        format!(
            "http://127.0.0.1:{}/v1.0/applications?$skiptoken=x",
            elsewhere.port
        ),
        format!(
            "http://localhost:{}/v1.0/applications?$skiptoken=x",
            elsewhere.port
        ),
    ] {
        emulator.inject(Fault {
            body: Some(json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications",
                "value": [{"id": "o1", "appId": PUBLIC_CLIENT_ID, "displayName": "First page"}],
                "@odata.nextLink": next,
            })),
            ..Fault::at("/v1.0/applications")
        });
        let listed = list_applications(&emulator, &token).await;
        // Not a request, so no token: the other host never heard from Mailgrant.
        assert_eq!(elsewhere.requests(), Vec::<String>::new(), "{next}");
        let err = listed.unwrap_err();
        let host = url::Url::parse(&next).unwrap().host_str().unwrap().to_owned();
        assert!(
            matches!(&err, mailgrant_core::directory::DirectoryError::BadAnswer(why)
            if *why == format!(
                "its next page is at another address ({host}), which Mailgrant does not send the token to"
            )),
            "{next}: {err:?}"
        );
        assert_eq!(
            mailgrant_core::api::ApiError::from(err).code,
            mailgrant_core::api::ErrorCode::Directory
        );
    }
}

#[tokio::test]
async fn a_graph_that_links_pages_forever_is_left_after_1000() {
    use mailgrant_tests::emulator::Fault;
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = emulator.mint_access_token(ADELE, "graph", &["Application.Read.All"], 3600);
    // 1000 pages, each linking to the next; a 1001st request would get the emulator's real (last) page.
    emulator.inject(Fault {
        body: Some(json!({
            "value": [],
            "@odata.nextLink": format!("{}/v1.0/applications?$top=999", emulator.base_url()),
        })),
        count: 1000,
        ..Fault::at("/v1.0/applications")
    });
    let err = list_applications(&emulator, &token).await.unwrap_err();
    assert!(
        matches!(&err, mailgrant_core::directory::DirectoryError::BadAnswer(why)
            if why == "it kept linking to more pages after 1000"),
        "{err:?}"
    );
    // Exactly 1000 were read: the fault is spent, and the next list is the real one.
    let ids = list_applications(&emulator, &token).await.unwrap();
    assert_eq!(sorted(ids), demo_app_ids());
}
