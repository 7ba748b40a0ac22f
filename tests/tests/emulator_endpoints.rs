//! Discovery, JWKS, the token endpoint's client authentication and error shapes, client credentials (secret
//! and certificate, through the `oauth2` crate), and admin consent.

use mailgrant_tests::emulator::browser::{Browser, Decision, Page};
use mailgrant_tests::emulator::demo::{
    ADELE, CONFIDENTIAL_CLIENT_ID, EXPIRED_SECRET_VALUE, PUBLIC_CLIENT_ID, SECRET_ID, SECRET_VALUE,
    TENANT_DOMAIN, TENANT_ID,
};
use mailgrant_tests::emulator::{
    decode_claims, AppRegistration, AssertionAlg, ClientKind, Emulator, Seed, SignInAudience, TestCertificate,
};
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, RequestTokenError, Scope, TokenResponse, TokenUrl};
use serde_json::{json, Value};

const CERT_CLIENT_ID: &str = "7d2c9e14-8f3b-4a61-9c0d-5e4f3a2b1c0d";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

async fn get_json(url: String) -> (u16, Value) {
    let response = http().get(url).send().await.expect("the emulator answers");
    (response.status().as_u16(), response.json().await.expect("JSON"))
}

async fn token(
    emulator: &Emulator,
    tenant: &str,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = http()
        .post(format!("{}/{tenant}/oauth2/v2.0/token", emulator.base_url()))
        .form(form)
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON"))
}

/// The exact error layout Microsoft uses, for any code.
fn assert_error_shape(base: &str, body: &Value, error: &str, code: u32) {
    let keys: Vec<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
        "error_uri",
    ] {
        assert!(keys.contains(&key), "missing {key} in {body}");
    }
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"], json!([code]));
    assert_eq!(body["error_uri"], format!("{base}/error?code={code}"));
    let timestamp = body["timestamp"].as_str().expect("timestamp");
    assert_eq!(timestamp.len(), "2016-01-09 02:02:12Z".len(), "{timestamp}");
    assert!(timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b' ');
    let description = body["error_description"].as_str().expect("error_description");
    let lines: Vec<&str> = description.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{description:?}");
    assert!(lines[0].starts_with(&format!("AADSTS{code}: ")));
    assert_eq!(
        lines[1],
        format!("Trace ID: {}", body["trace_id"].as_str().expect("trace_id"))
    );
    assert_eq!(
        lines[2],
        format!(
            "Correlation ID: {}",
            body["correlation_id"].as_str().expect("correlation_id")
        )
    );
    assert_eq!(lines[3], format!("Timestamp: {timestamp}"));
}

#[tokio::test]
async fn discovery_documents_for_every_kind_of_tenant() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url();
    let (status, common) = get_json(format!("{base}/common/v2.0/.well-known/openid-configuration")).await;
    assert_eq!(status, 200);
    assert_eq!(common["issuer"], format!("{base}/{{tenantid}}/v2.0"));
    for (key, value) in [
        (
            "authorization_endpoint",
            format!("{base}/common/oauth2/v2.0/authorize"),
        ),
        ("token_endpoint", format!("{base}/common/oauth2/v2.0/token")),
        (
            "device_authorization_endpoint",
            format!("{base}/common/oauth2/v2.0/devicecode"),
        ),
        (
            "end_session_endpoint",
            format!("{base}/common/oauth2/v2.0/logout"),
        ),
        ("jwks_uri", format!("{base}/common/discovery/v2.0/keys")),
        ("userinfo_endpoint", format!("{base}/oidc/userinfo")),
    ] {
        assert_eq!(common[key], value, "{key}");
    }
    assert_eq!(
        common["token_endpoint_auth_methods_supported"],
        json!(["client_secret_post", "private_key_jwt", "client_secret_basic"])
    );
    assert_eq!(
        common["response_modes_supported"],
        json!(["query", "fragment", "form_post"])
    );
    assert_eq!(
        common["response_types_supported"],
        json!(["code", "id_token", "code id_token", "id_token token"])
    );
    assert_eq!(
        common["scopes_supported"],
        json!(["openid", "profile", "email", "offline_access"])
    );
    assert_eq!(common["subject_types_supported"], json!(["pairwise"]));
    assert_eq!(common["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(common["request_uri_parameter_supported"], false);
    assert_eq!(common["http_logout_supported"], true);
    assert_eq!(common["frontchannel_logout_supported"], true);
    assert_eq!(common["cloud_instance_name"], "microsoftonline.com");
    for key in [
        "claims_supported",
        "tenant_region_scope",
        "cloud_graph_host_name",
        "msgraph_host",
        "rbac_url",
        "kerberos_endpoint",
    ] {
        assert!(common.get(key).is_some(), "{key}");
    }

    let (_, by_domain) = get_json(format!(
        "{base}/{TENANT_DOMAIN}/v2.0/.well-known/openid-configuration"
    ))
    .await;
    let (_, by_guid) = get_json(format!(
        "{base}/{TENANT_ID}/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(by_domain["issuer"], format!("{base}/{TENANT_ID}/v2.0"));
    assert_eq!(by_guid["issuer"], by_domain["issuer"]);
    assert_eq!(
        by_guid["token_endpoint"],
        format!("{base}/{TENANT_ID}/oauth2/v2.0/token")
    );
    let (_, organizations) = get_json(format!(
        "{base}/organizations/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(organizations["issuer"], format!("{base}/{{tenantid}}/v2.0"));
    for consumers in ["consumers", "9188040d-6c67-4c5b-b112-36a304b66dad"] {
        let (_, document) = get_json(format!(
            "{base}/{consumers}/v2.0/.well-known/openid-configuration"
        ))
        .await;
        assert_eq!(
            document["issuer"],
            format!("{base}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0")
        );
    }

    let (status, unknown) = get_json(format!(
        "{base}/nowhere.example/v2.0/.well-known/openid-configuration"
    ))
    .await;
    assert_eq!(status, 400);
    assert_error_shape(base, &unknown, "invalid_request", 90002);
    assert!(unknown["error_description"].as_str().unwrap().starts_with(
        "AADSTS90002: Tenant 'nowhere.example' not found. Check to make sure you have the correct tenant ID and are \
         signing into the correct cloud."
    ));
}

#[tokio::test]
async fn the_jwks_has_microsofts_key_shape() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let (status, jwks) = get_json(format!("{}/{TENANT_ID}/discovery/v2.0/keys", emulator.base_url())).await;
    assert_eq!(status, 200);
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["kid"], key["x5t"]);
    assert_eq!(key["e"], "AQAB");
    assert!(key["n"].as_str().unwrap().len() > 300);
    assert!(key["x5c"][0].as_str().unwrap().starts_with("MII"));
    assert_eq!(key["issuer"], format!("{}/{TENANT_ID}/v2.0", emulator.base_url()));
    let (status, _) = get_json(format!("{}/nowhere/discovery/v2.0/keys", emulator.base_url())).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn client_credentials_with_a_secret_in_basic_auth_and_in_the_body() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token_url = TokenUrl::new(format!(
        "{}/{TENANT_DOMAIN}/oauth2/v2.0/token",
        emulator.base_url()
    ))
    .unwrap();
    for auth_type in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client = BasicClient::new(ClientId::new(CONFIDENTIAL_CLIENT_ID.into()))
            .set_client_secret(ClientSecret::new(SECRET_VALUE.into()))
            .set_auth_type(auth_type.clone())
            .set_token_uri(token_url.clone());
        let token = client
            .exchange_client_credentials()
            .add_scope(Scope::new("https://outlook.office365.com/.default".into()))
            .request_async(&http())
            .await
            .unwrap_or_else(|e| panic!("{auth_type:?}: {e:?}"));
        assert!(token.refresh_token().is_none());
        let claims = decode_claims(token.access_token().secret()).unwrap();
        assert_eq!(claims["aud"], "https://outlook.office365.com");
        assert_eq!(
            claims["roles"],
            json!(["IMAP.AccessAsApp", "POP.AccessAsApp", "SMTP.SendAsApp"])
        );
        assert!(claims.get("scp").is_none());
        assert_eq!(claims["azpacr"], "1");
        assert_eq!(claims["tid"], TENANT_ID.to_string());
        assert_eq!(claims["idtyp"], "app");
    }
    // The raw answer has no scope and no refresh token.
    let (status, headers, body) = token(
        &emulator,
        &TENANT_ID.to_string(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", SECRET_VALUE),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store, no-cache");
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["access_token", "expires_in", "ext_expires_in", "token_type"]
    );
    assert_eq!(body["token_type"], "Bearer");
    let claims = decode_claims(body["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(
        claims["roles"],
        json!(["Application.Read.All", "Mail.Read", "Mail.Send"])
    );
}

/// A client-credentials request with this secret.
fn credentials(secret: &str) -> [(&str, &str); 4] {
    [
        ("grant_type", "client_credentials"),
        ("client_id", CONFIDENTIAL_CLIENT_ID),
        ("client_secret", secret),
        ("scope", "https://outlook.office365.com/.default"),
    ]
}

#[tokio::test]
async fn client_secret_errors_have_microsofts_codes_and_texts() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url();
    let wrong_text = format!(
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client \
         secret value, not the client secret ID, for a secret added to app '{CONFIDENTIAL_CLIENT_ID}'."
    );
    let (status, headers, body) = token(&emulator, TENANT_DOMAIN, &credentials("not-the-secret")).await;
    assert_eq!(status, 401);
    assert_eq!(headers["cache-control"], "no-store, no-cache");
    assert_error_shape(base, &body, "invalid_client", 7000215);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with(&wrong_text));

    // The secret's ID pasted instead of its value.
    let id = SECRET_ID.to_string();
    let (status, _, body) = token(&emulator, TENANT_DOMAIN, &credentials(&id)).await;
    assert_eq!(status, 401);
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with(&wrong_text));

    let (status, _, body) = token(&emulator, TENANT_DOMAIN, &credentials(EXPIRED_SECRET_VALUE)).await;
    assert_eq!(status, 401);
    assert_error_shape(base, &body, "invalid_client", 7000222);
    assert!(body["error_description"].as_str().unwrap().starts_with(&format!(
        "AADSTS7000222: The provided client secret keys for app '{CONFIDENTIAL_CLIENT_ID}' are expired. Visit the \
         Azure portal to create new keys for your app: https://aka.ms/NewClientSecret"
    )));

    // Confidential without a secret; public with one.
    let (status, _, body) = token(
        &emulator,
        TENANT_DOMAIN,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("scope", "https://outlook.office365.com/.default"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_error_shape(base, &body, "invalid_client", 7000218);
    assert!(body["error_description"].as_str().unwrap().starts_with(
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
    ));
    let (status, _, body) = token(
        &emulator,
        "organizations",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("client_secret", "anything"),
            ("refresh_token", "x"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_error_shape(base, &body, "invalid_client", 700025);
    assert!(body["error_description"].as_str().unwrap().starts_with(
        "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented."
    ));

    // Unknown app; client credentials through /common; a delegated scope in client credentials.
    let (status, _, body) = token(
        &emulator,
        TENANT_DOMAIN,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "00000000-1111-2222-3333-444444444444"),
            ("scope", "x"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_error_shape(base, &body, "unauthorized_client", 700016);
    assert!(body["error_description"].as_str().unwrap().starts_with(&format!(
        "AADSTS700016: Application with identifier '00000000-1111-2222-3333-444444444444' was not found in the \
         directory '{TENANT_DOMAIN}'."
    )));
    let (_, _, body) = token(&emulator, "common", &credentials(SECRET_VALUE)).await;
    assert_eq!(body["error_codes"], json!([50059]));
    let (_, _, body) = token(
        &emulator,
        TENANT_DOMAIN,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", SECRET_VALUE),
            ("scope", "https://outlook.office365.com/IMAP.AccessAsApp"),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_scope");
    assert_eq!(body["error_codes"], json!([1002012]));
    // Missing parameters, unknown grant types.
    let (_, _, body) = token(&emulator, TENANT_DOMAIN, &[("client_id", CONFIDENTIAL_CLIENT_ID)]).await;
    assert_eq!(body["error_codes"], json!([900144]));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS900144: The request body must contain the following parameter: 'grant_type'."));
    let (_, _, body) = token(
        &emulator,
        TENANT_DOMAIN,
        &[("grant_type", "password"), ("client_id", PUBLIC_CLIENT_ID)],
    )
    .await;
    assert_eq!(body["error"], "unsupported_grant_type");

    // The correlation id is the client's client-request-id when given.
    let response = http()
        .post(format!("{base}/{TENANT_DOMAIN}/oauth2/v2.0/token"))
        .header("client-request-id", "0f0e0d0c-0b0a-4908-8706-050403020100")
        .form(&credentials("wrong"))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["correlation_id"], "0f0e0d0c-0b0a-4908-8706-050403020100");
}

#[tokio::test]
async fn a_single_tenant_app_through_common_gets_50194_at_the_token_endpoint() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let (status, _, body) = token(
        &emulator,
        "common",
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", SECRET_VALUE),
            ("refresh_token", "x"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_error_shape(emulator.base_url(), &body, "invalid_request", 50194);
    assert!(body["error_description"].as_str().unwrap().starts_with(&format!(
        "AADSTS50194: Application '{CONFIDENTIAL_CLIENT_ID}'(Mailgrant Service) is not configured as a multi-tenant \
         application. Usage of the /common endpoint is not supported for such applications created after \
         '10/15/2018'."
    )));
}

fn seed_with_certificate(certificate: &TestCertificate) -> Seed {
    let mut seed = Seed::demo();
    seed.apps.push(AppRegistration {
        certificates: vec![certificate.credential("daemon cert")],
        sign_in_audience: SignInAudience::AzureAdMyOrg,
        application_permissions: vec!["https://outlook.office365.com/IMAP.AccessAsApp".into()],
        admin_consented: true,
        ..AppRegistration::new(
            CERT_CLIENT_ID,
            "Certificate Daemon",
            TENANT_DOMAIN,
            ClientKind::Confidential,
        )
    });
    seed
}

#[tokio::test]
async fn client_credentials_with_a_certificate_ps256_and_rs256() {
    let certificate = TestCertificate::generate("daemon").unwrap();
    let emulator = Emulator::start(seed_with_certificate(&certificate))
        .await
        .unwrap();
    let token_endpoint = format!("{}/{TENANT_ID}/oauth2/v2.0/token", emulator.base_url());
    let client = BasicClient::new(ClientId::new(CERT_CLIENT_ID.into()))
        .set_token_uri(TokenUrl::new(token_endpoint.clone()).unwrap());
    for alg in [AssertionAlg::Ps256, AssertionAlg::Rs256] {
        let assertion = certificate
            .client_assertion(CERT_CLIENT_ID, &token_endpoint, alg)
            .unwrap();
        let token = client
            .exchange_client_credentials()
            .add_scope(Scope::new("https://outlook.office365.com/.default".into()))
            .add_extra_param(
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            )
            .add_extra_param("client_assertion", assertion)
            .request_async(&http())
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: {e:?}"));
        let claims = decode_claims(token.access_token().secret()).unwrap();
        assert_eq!(claims["azpacr"], "2", "certificate");
        assert_eq!(claims["roles"], json!(["IMAP.AccessAsApp"]));
    }
}

#[tokio::test]
async fn bad_client_assertions_get_700027() {
    let certificate = TestCertificate::generate("daemon").unwrap();
    let stranger = TestCertificate::generate("stranger").unwrap();
    let emulator = Emulator::start(seed_with_certificate(&certificate))
        .await
        .unwrap();
    let endpoint = format!("{}/{TENANT_ID}/oauth2/v2.0/token", emulator.base_url());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases = [
        (
            "wrong audience",
            certificate
                .client_assertion(
                    CERT_CLIENT_ID,
                    "https://elsewhere.example/token",
                    AssertionAlg::Ps256,
                )
                .unwrap(),
            "audience",
        ),
        (
            "expired",
            certificate
                .client_assertion_at(CERT_CLIENT_ID, &endpoint, AssertionAlg::Ps256, now - 7200, 600)
                .unwrap(),
            "valid time range",
        ),
        (
            "wrong issuer",
            certificate
                .client_assertion(PUBLIC_CLIENT_ID, &endpoint, AssertionAlg::Ps256)
                .unwrap(),
            "issuer and subject",
        ),
        (
            "unregistered certificate",
            stranger
                .client_assertion(CERT_CLIENT_ID, &endpoint, AssertionAlg::Ps256)
                .unwrap(),
            "The key was not found",
        ),
    ];
    for (case, assertion, text) in cases {
        let (status, _, body) = token(
            &emulator,
            &TENANT_ID.to_string(),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", CERT_CLIENT_ID),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
                ("scope", "https://outlook.office365.com/.default"),
            ],
        )
        .await;
        assert_eq!(status, 401, "{case}");
        assert_error_shape(emulator.base_url(), &body, "invalid_client", 700027);
        assert!(
            body["error_description"].as_str().unwrap().contains(text),
            "{case}: {body}"
        );
    }
    // A forged signature: the registered certificate's thumbprint, someone else's key.
    let genuine = certificate
        .client_assertion(CERT_CLIENT_ID, &endpoint, AssertionAlg::Rs256)
        .unwrap();
    let forged = stranger
        .client_assertion(CERT_CLIENT_ID, &endpoint, AssertionAlg::Rs256)
        .unwrap();
    let tampered = format!(
        "{}.{}",
        genuine.rsplit_once('.').unwrap().0,
        forged.rsplit_once('.').unwrap().1
    );
    let (_, _, body) = token(
        &emulator,
        &TENANT_ID.to_string(),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CERT_CLIENT_ID),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &tampered),
            ("scope", "https://outlook.office365.com/.default"),
        ],
    )
    .await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS700027: Client assertion failed signature validation."),
        "{body}"
    );
}

#[tokio::test]
async fn the_oauth2_crate_reads_microsoft_errors() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let client = BasicClient::new(ClientId::new(CONFIDENTIAL_CLIENT_ID.into()))
        .set_client_secret(ClientSecret::new(EXPIRED_SECRET_VALUE.into()))
        .set_token_uri(
            TokenUrl::new(format!("{}/{TENANT_ID}/oauth2/v2.0/token", emulator.base_url())).unwrap(),
        );
    let Err(RequestTokenError::ServerResponse(error)) = client
        .exchange_client_credentials()
        .add_scope(Scope::new("https://outlook.office365.com/.default".into()))
        .request_async(&http())
        .await
    else {
        panic!("expected a server error");
    };
    assert_eq!(
        error.error(),
        &oauth2::basic::BasicErrorResponseType::InvalidClient
    );
    assert!(error.error_description().unwrap().starts_with("AADSTS7000222: "));
    assert_eq!(
        error.error_uri().unwrap(),
        &format!("{}/error?code=7000222", emulator.base_url())
    );
    // The error_uri page explains the code.
    let page = http()
        .get(error.error_uri().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("AADSTS7000222"));
}

#[tokio::test]
async fn admin_consent_success_and_refusal() {
    let mut seed = Seed::demo();
    seed.apps.push(AppRegistration {
        redirect_uris: vec!["https://admin.contoso.example/consented".into()],
        sign_in_audience: SignInAudience::AzureAdMultipleOrgs,
        application_permissions: vec!["https://outlook.office365.com/IMAP.AccessAsApp".into()],
        ..AppRegistration::new(
            "3c3c3c3c-1111-4222-8333-444455556666",
            "Needs Consent",
            TENANT_DOMAIN,
            ClientKind::Confidential,
        )
    });
    let emulator = Emulator::start(seed).await.unwrap();
    let base = emulator.base_url();
    let browser = Browser::new(base).unwrap();
    let url = |extra: &str| {
        format!(
            "{base}/{TENANT_DOMAIN}/v2.0/adminconsent?client_id=3c3c3c3c-1111-4222-8333-444455556666\
             &redirect_uri=https%3A%2F%2Fadmin.contoso.example%2Fconsented&state=12345\
             &scope=https%3A%2F%2Fps.outlook.com%2F.default{extra}"
        )
    };
    // Refused on the page.
    let refused = browser.sign_in(&url(""), ADELE, Decision::Deny).await.unwrap();
    assert_eq!(refused.target(), "https://admin.contoso.example/consented");
    assert_eq!(refused.get("admin_consent"), Some("True"));
    assert_eq!(refused.get("error"), Some("consent_required"));
    assert!(refused
        .get("error_description")
        .unwrap()
        .starts_with("AADSTS65004"));
    assert_eq!(refused.get("state"), Some("12345"));
    let keys: Vec<&String> = refused.params.keys().collect();
    assert_eq!(keys.len(), 4, "{keys:?}");

    // Before consent, client credentials carry no roles.
    let secretless = emulator
        .seed()
        .app("3c3c3c3c-1111-4222-8333-444455556666")
        .unwrap()
        .admin_consented;
    assert!(!secretless);

    // Accepted on the page.
    let Page::Form {
        html, action, fields, ..
    } = browser.open(&url("")).await.unwrap()
    else {
        panic!("the consent page")
    };
    assert!(html.contains("on behalf of your organization"));
    assert!(html.contains("IMAP.AccessAsApp"));
    let Page::Landed(granted) = browser
        .submit(&action, &fields, ADELE, Decision::Approve)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        granted.location,
        format!(
            "https://admin.contoso.example/consented?admin_consent=True&tenant={TENANT_ID}\
             &scope=https%3A%2F%2Fps.outlook.com%2F.default&state=12345"
        )
    );
    assert!(
        emulator
            .seed()
            .app("3c3c3c3c-1111-4222-8333-444455556666")
            .unwrap()
            .admin_consented
    );

    // The emulator-only shortcut, and the legacy endpoint.
    let Page::Landed(quick) = browser.open(&url("&emulator_decision=deny")).await.unwrap() else {
        panic!()
    };
    assert_eq!(quick.get("error"), Some("consent_required"));
    let legacy = format!(
        "{base}/{TENANT_DOMAIN}/adminconsent?client_id=3c3c3c3c-1111-4222-8333-444455556666\
         &redirect_uri=https%3A%2F%2Fadmin.contoso.example%2Fconsented&state=9&emulator_decision=deny"
    );
    let Page::Landed(old) = browser.open(&legacy).await.unwrap() else {
        panic!()
    };
    assert_eq!(old.get("error"), Some("permission_denied"));
    assert_eq!(
        old.get("error_description"),
        Some("The admin canceled the request")
    );
    let Page::Landed(old) = browser.open(&legacy.replace("deny", "approve")).await.unwrap() else {
        panic!()
    };
    assert_eq!(
        old.location,
        format!("https://admin.contoso.example/consented?tenant={TENANT_ID}&state=9&admin_consent=True")
    );

    // An unregistered redirect is an error page here too.
    let Page::Other { status, html } = browser
        .open(&format!(
            "{base}/{TENANT_DOMAIN}/v2.0/adminconsent?client_id={CONFIDENTIAL_CLIENT_ID}\
             &redirect_uri=https%3A%2F%2Fevil.example&scope=.default"
        ))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(status, 400);
    assert!(html.contains("AADSTS50011"));
}

#[tokio::test]
async fn logout_redirects_only_to_registered_uris() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url();
    let registered = http()
        .get(format!(
            "{base}/common/oauth2/v2.0/logout?post_logout_redirect_uri=http%3A%2F%2Flocalhost&state=a"
        ))
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_redirection());
    assert_eq!(registered.headers()["location"], "http://localhost?state=a");
    let elsewhere = http()
        .get(format!(
            "{base}/common/oauth2/v2.0/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 200);
}
