//! A real OAuth client (the `oauth2` crate) against the emulator: authorization code + PKCE through the HTML
//! sign-in page, refresh-token rotation, device code, and what goes wrong on the way.

use std::time::Duration;

use mailgrant_tests::emulator::browser::{Browser, Decision, Delivery, Page};
use mailgrant_tests::emulator::demo::{
    ADELE, CONFIDENTIAL_CLIENT_ID, CONSUMER, IT_ADMIN, MEGAN, PUBLIC_CLIENT_ID, SECRET_VALUE, TENANT_DOMAIN,
    TENANT_ID,
};
use mailgrant_tests::emulator::{
    decode_claims, AppRegistration, ClientKind, Emulator, Seed, SignInAudience, User,
};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Microsoft's extra token fields.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct MicrosoftFields {
    id_token: Option<String>,
    ext_expires_in: Option<u64>,
}

impl oauth2::ExtraTokenFields for MicrosoftFields {}

type MicrosoftToken = StandardTokenResponse<MicrosoftFields, BasicTokenType>;
type MicrosoftClient = oauth2::Client<
    BasicErrorResponse,
    MicrosoftToken,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

const IMAP: &str = "https://outlook.office.com/IMAP.AccessAsUser.All";
const SMTP: &str = "https://outlook.office.com/SMTP.Send";
const LOOPBACK: &str = "http://localhost:53123";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

fn oauth_client(emulator: &Emulator, tenant: &str, client_id: &str, redirect: &str) -> MicrosoftClient {
    let base = emulator.base_url();
    oauth2::Client::new(ClientId::new(client_id.into()))
        .set_auth_uri(AuthUrl::new(format!("{base}/{tenant}/oauth2/v2.0/authorize")).expect("auth URL"))
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(format!("{base}/{tenant}/oauth2/v2.0/devicecode"))
                .expect("device URL"),
        )
        .set_token_uri(TokenUrl::new(format!("{base}/{tenant}/oauth2/v2.0/token")).expect("token URL"))
        .set_redirect_uri(RedirectUrl::new(redirect.into()).expect("redirect URL"))
}

async fn post_form(url: String, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = http()
        .post(url)
        .form(form)
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON"))
}

/// Signs Megan in through the form and returns the code redemption's answer.
async fn megan_signs_in(emulator: &Emulator, scopes: &[&str]) -> MicrosoftToken {
    let client = oauth_client(emulator, "organizations", PUBLIC_CLIENT_ID, LOOPBACK);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .set_pkce_challenge(challenge);
    for scope in scopes {
        request = request.add_scope(Scope::new(scope.to_string()));
    }
    let (url, csrf) = request.url();
    let browser = Browser::new(emulator.base_url()).expect("a browser");
    let landing = browser
        .sign_in(url.as_str(), MEGAN, Decision::Approve)
        .await
        .expect("signed in");
    assert_eq!(landing.get("state"), Some(csrf.secret().as_str()));
    let code = landing.get("code").expect("a code").to_string();
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("the code is redeemed")
}

#[tokio::test]
async fn authorization_code_with_pkce_through_the_sign_in_page() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url().to_string();
    let client = oauth_client(&emulator, "organizations", PUBLIC_CLIENT_ID, LOOPBACK);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(
            [IMAP, SMTP, "offline_access", "openid", "profile", "email"].map(|s| Scope::new(s.into())),
        )
        .add_extra_param("nonce", "n-0S6_WzA2Mj")
        .set_pkce_challenge(challenge)
        .url();

    // The page: a form with the hidden request id, the username field, Accept/Cancel, and the permissions.
    let browser = Browser::new(&base).unwrap();
    let Page::Form {
        status,
        html,
        action,
        fields,
    } = browser.open(url.as_str()).await.unwrap()
    else {
        panic!("expected the sign-in page");
    };
    assert_eq!(status, 200);
    assert_eq!(action, "/organizations/login");
    assert!(fields
        .iter()
        .any(|(name, value)| name == "request" && !value.is_empty()));
    assert!(html.contains("Mailgrant Desktop"));
    assert!(
        html.contains(IMAP) && html.contains(SMTP),
        "consent lists the permissions: {html}"
    );
    assert!(html.contains("value=\"approve\"") && html.contains("value=\"deny\""));

    let Page::Landed(landing) = browser
        .submit(&action, &fields, MEGAN, Decision::Approve)
        .await
        .unwrap()
    else {
        panic!("expected a redirect back to the app");
    };
    assert_eq!(
        landing.target(),
        "http://localhost:53123/",
        "loopback port kept, trailing slash added"
    );
    assert_eq!(landing.delivery, Delivery::Query);
    assert_eq!(landing.get("state"), Some(csrf.secret().as_str()));
    assert!(landing.get("session_state").is_some());
    let code = landing.get("code").unwrap().to_string();

    let token = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    assert_eq!(token.token_type(), &BasicTokenType::Bearer);
    assert_eq!(
        token
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        vec![IMAP.to_string(), SMTP.to_string()],
        "Outlook scopes come back as full URIs, without the OIDC ones"
    );
    assert!(token.expires_in().unwrap() > Duration::from_secs(3000));
    assert_eq!(token.extra_fields().ext_expires_in, Some(3599));
    assert!(
        token.refresh_token().is_some(),
        "offline_access gives a refresh token"
    );

    let claims = decode_claims(token.access_token().secret()).unwrap();
    assert_eq!(claims["aud"], "https://outlook.office.com");
    assert_eq!(claims["scp"], "IMAP.AccessAsUser.All SMTP.Send");
    assert_eq!(claims["upn"], MEGAN);
    assert_eq!(claims["preferred_username"], MEGAN);
    assert_eq!(claims["tid"], TENANT_ID.to_string());
    assert_eq!(claims["azp"], PUBLIC_CLIENT_ID);
    assert_eq!(claims["azpacr"], "0");
    assert!(claims["oid"].is_string() && claims["exp"].is_i64());

    // The id_token verifies against the JWKS that discovery points to.
    let id_token = token
        .extra_fields()
        .id_token
        .clone()
        .expect("openid gives an id_token");
    let header = jsonwebtoken::decode_header(&id_token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let discovery: Value = http()
        .get(format!(
            "{base}/{TENANT_ID}/v2.0/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = http()
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid is in the JWKS");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[PUBLIC_CLIENT_ID]);
    validation.set_issuer(&[discovery["issuer"].as_str().unwrap()]);
    let verified = jsonwebtoken::decode::<Value>(
        &id_token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .expect("the id_token verifies");
    let id = verified.claims;
    assert_eq!(id["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(id["name"], "Megan Bowen");
    assert_eq!(id["preferred_username"], MEGAN);
    assert_eq!(id["email"], MEGAN);
    assert_eq!(id["ver"], "2.0");
    assert_eq!(id["tid"], TENANT_ID.to_string());
    assert_eq!(id["oid"], claims["oid"]);
    assert!(id["sub"].is_string() && id["iat"].is_i64() && id["nbf"].is_i64());

    // The access token opens Megan's mailbox at the mail servers.
    let introspected: Value = http()
        .post(emulator.introspection_url("smtp"))
        .form(&[("token", token.access_token().secret())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["email"], MEGAN);
}

#[tokio::test]
async fn without_openid_or_offline_access_there_is_no_id_token_or_refresh_token() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = megan_signs_in(&emulator, &[IMAP]).await;
    assert!(token.refresh_token().is_none());
    assert!(token.extra_fields().id_token.is_none());
    // Graph scopes come back short, with the OIDC scopes that are Graph permissions.
    let graph = megan_signs_in(&emulator, &["User.Read", "openid", "profile", "email"]).await;
    let scopes: Vec<String> = graph.scopes().unwrap().iter().map(|s| s.to_string()).collect();
    assert_eq!(scopes, ["User.Read", "openid", "profile", "email"]);
    let id = decode_claims(graph.extra_fields().id_token.as_deref().unwrap()).unwrap();
    assert_eq!(id["email"], MEGAN);
    assert_eq!(
        decode_claims(graph.access_token().secret()).unwrap()["aud"],
        "https://graph.microsoft.com"
    );
}

#[tokio::test]
async fn refresh_tokens_rotate_and_the_old_one_keeps_working() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let first = megan_signs_in(&emulator, &[IMAP, "User.Read", "offline_access"]).await;
    assert_eq!(
        decode_claims(first.access_token().secret()).unwrap()["aud"],
        "https://outlook.office.com"
    );
    let client = oauth_client(&emulator, "organizations", PUBLIC_CLIENT_ID, LOOPBACK);
    let old = first.refresh_token().unwrap().clone();

    let second = client
        .exchange_refresh_token(&old)
        .request_async(&http())
        .await
        .unwrap();
    let rotated = second
        .refresh_token()
        .expect("a new refresh token on every use")
        .clone();
    assert_ne!(rotated.secret(), old.secret());
    assert_ne!(second.access_token().secret(), first.access_token().secret());

    // One access token per resource: the same refresh token gets a Graph token.
    let graph = client
        .exchange_refresh_token(&rotated)
        .add_scope(Scope::new("User.Read".into()))
        .request_async(&http())
        .await
        .unwrap();
    assert_eq!(graph.scopes().unwrap()[0].as_str(), "User.Read");
    let claims = decode_claims(graph.access_token().secret()).unwrap();
    assert_eq!(claims["aud"], "https://graph.microsoft.com");
    assert_eq!(claims["scp"], "User.Read");

    // The old refresh token still works, as Microsoft's do.
    let again = client
        .exchange_refresh_token(&old)
        .request_async(&http())
        .await
        .unwrap();
    assert!(again.refresh_token().is_some());

    // Outlook and Graph in one token request: AADSTS28000.
    let token_url = format!("{}/organizations/oauth2/v2.0/token", emulator.base_url());
    let scope = format!("{IMAP} User.Read");
    let (status, headers, body) = post_form(
        token_url.clone(),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("refresh_token", rotated.secret()),
            ("scope", &scope),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(headers["cache-control"], "no-store, no-cache");
    assert_eq!(body["error"], "invalid_scope");
    assert_eq!(body["error_codes"], json!([28000]));
    assert!(body["error_description"].as_str().unwrap().starts_with(
        "AADSTS28000: Provided value for the input parameter scope is not valid because it contains more than one \
         resource."
    ));

    // A scope nobody consented to: AADSTS65001.
    let (_, _, body) = post_form(
        token_url,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("refresh_token", rotated.secret()),
            ("scope", "Mail.Send"),
        ],
    )
    .await;
    assert_eq!(body["error_codes"], json!([65001]));
}

#[tokio::test]
async fn revocation_and_inactivity_end_refresh_tokens_with_their_codes() {
    for (reason, code, text) in [
        (
            "consent",
            65001,
            "The user or administrator has not consented to use the application with ID",
        ),
        (
            "password",
            50173,
            "The provided grant has expired due to it being revoked",
        ),
        (
            "inactive",
            700082,
            "The refresh token has expired due to inactivity.",
        ),
        (
            "signin_frequency",
            70043,
            "sign-in frequency checks by conditional access",
        ),
    ] {
        let emulator = Emulator::start(Seed::demo()).await.unwrap();
        let token = megan_signs_in(&emulator, &[IMAP, "offline_access"]).await;
        let refresh = token.refresh_token().unwrap().secret().clone();
        emulator.revoke(MEGAN, reason);
        let (status, _, body) = post_form(
            format!("{}/organizations/oauth2/v2.0/token", emulator.base_url()),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", PUBLIC_CLIENT_ID),
                ("refresh_token", &refresh),
            ],
        )
        .await;
        assert_eq!(status, 400, "{reason}");
        assert_eq!(body["error"], "invalid_grant", "{reason}");
        assert_eq!(body["error_codes"], json!([code]), "{reason}");
        let description = body["error_description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("AADSTS{code}: ")),
            "{description}"
        );
        assert!(description.contains(text), "{description}");
    }
}

#[tokio::test]
async fn a_refresh_token_unused_for_90_days_expires() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = megan_signs_in(&emulator, &[IMAP, "offline_access"]).await;
    let client = oauth_client(&emulator, "organizations", PUBLIC_CLIENT_ID, LOOPBACK);
    emulator.advance_clock(89 * 86_400);
    let used = client
        .exchange_refresh_token(token.refresh_token().unwrap())
        .request_async(&http())
        .await;
    assert!(used.is_ok(), "89 days idle is fine");
    emulator.advance_clock(91 * 86_400);
    let Err(RequestTokenError::ServerResponse(error)) = client
        .exchange_refresh_token(token.refresh_token().unwrap())
        .request_async(&http())
        .await
    else {
        panic!("expected an error");
    };
    let description = error.error_description().unwrap();
    assert!(description.starts_with("AADSTS700082: The refresh token has expired due to inactivity."));
    assert!(
        description.contains("was inactive for 91.00:00:"),
        "{description}"
    );
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_bound_to_pkce_and_redirect() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url().to_string();
    let browser = Browser::new(&base).unwrap();
    let verifier = "a-verifier-that-is-long-enough-to-be-valid-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
    };
    let authorize = |method: &str| {
        format!(
            "{base}/common/oauth2/v2.0/authorize?client_id={PUBLIC_CLIENT_ID}&response_type=code\
             &redirect_uri=http%3A%2F%2Flocalhost%3A4000&scope=User.Read&state=s1&login_hint={ADELE}\
             &code_challenge={}{method}",
            if method.is_empty() { verifier } else { &challenge }
        )
    };
    let token_url = format!("{base}/common/oauth2/v2.0/token");
    let redeem = |code: String, verifier: &'static str, redirect: &'static str| {
        let token_url = token_url.clone();
        async move {
            post_form(
                token_url,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", PUBLIC_CLIENT_ID),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", verifier),
                ],
            )
            .await
        }
    };
    let verifier: &'static str = "a-verifier-that-is-long-enough-to-be-valid-0123456789";

    // Auto-approved (Adele), S256.
    let landing = browser
        .sign_in(
            &authorize("&code_challenge_method=S256"),
            ADELE,
            Decision::Approve,
        )
        .await
        .unwrap();
    let code = landing.get("code").unwrap().to_string();
    let (status, _, body) = redeem(
        code.clone(),
        "wrong-verifier-wrong-verifier-wrong-verifier-00",
        "http://localhost:4000",
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(body["error_codes"], json!([501481]));
    let (_, _, body) = redeem(code.clone(), verifier, "http://localhost:5000").await;
    assert_eq!(
        body["error_codes"],
        json!([500112]),
        "redirect_uri must equal the authorize one"
    );
    let (status, headers, body) = redeem(code.clone(), verifier, "http://localhost:4000").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store, no-cache");
    assert_eq!(body["scope"], "User.Read");
    let (_, _, body) = redeem(code, verifier, "http://localhost:4000").await;
    assert_eq!(body["error_codes"], json!([54005]));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS54005: OAuth2 Authorization code was already redeemed"));

    // Plain: no method means plain.
    let landing = browser
        .sign_in(&authorize(""), ADELE, Decision::Approve)
        .await
        .unwrap();
    let (status, _, _) = redeem(
        landing.get("code").unwrap().to_string(),
        verifier,
        "http://localhost:4000",
    )
    .await;
    assert_eq!(status, 200);

    // Ten minutes later the code is gone.
    let landing = browser
        .sign_in(
            &authorize("&code_challenge_method=S256"),
            ADELE,
            Decision::Approve,
        )
        .await
        .unwrap();
    emulator.advance_clock(601);
    let (_, _, body) = redeem(
        landing.get("code").unwrap().to_string(),
        verifier,
        "http://localhost:4000",
    )
    .await;
    assert_eq!(body["error_codes"], json!([70008]));
}

#[tokio::test]
async fn auto_approval_prompt_none_and_deny() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url();
    let browser = Browser::new(base).unwrap();
    let url = |extra: &str| {
        format!(
            "{base}/common/oauth2/v2.0/authorize?client_id={PUBLIC_CLIENT_ID}&response_type=code\
             &redirect_uri=mailgrant%3A%2F%2Fauth&scope=User.Read&state=xyz{extra}"
        )
    };
    // Adele is auto-approved: straight back with a 302.
    let Page::Landed(landing) = browser.open(&url(&format!("&login_hint={ADELE}"))).await.unwrap() else {
        panic!("auto-approval redirects at once");
    };
    assert!(
        landing.location.starts_with("mailgrant://auth?code="),
        "{}",
        landing.location
    );
    assert_eq!(landing.get("state"), Some("xyz"));

    // prompt=none without a signed-in user: login_required.
    let Page::Landed(silent) = browser.open(&url("&prompt=none")).await.unwrap() else {
        panic!()
    };
    assert_eq!(silent.get("error"), Some("login_required"));
    assert!(silent
        .get("error_description")
        .unwrap()
        .starts_with("AADSTS50058: "));

    // Megan cancels: access_denied with AADSTS65004, state kept.
    let denied = browser.sign_in(&url(""), MEGAN, Decision::Deny).await.unwrap();
    assert_eq!(denied.get("error"), Some("access_denied"));
    let description = denied.get("error_description").unwrap();
    assert!(description.starts_with("AADSTS65004: User declined to consent to access the app."));
    assert!(description.contains("\r\nTrace ID: ") && description.contains("\r\nCorrelation ID: "));
    assert_eq!(denied.get("state"), Some("xyz"));

    // An unknown account is asked again, on the page.
    let Page::Form { action, fields, .. } = browser.open(&url("")).await.unwrap() else {
        panic!()
    };
    let Page::Form { html, .. } = browser
        .submit(&action, &fields, "nobody@contoso.example", Decision::Approve)
        .await
        .unwrap()
    else {
        panic!("the page asks again");
    };
    assert!(html.contains("AADSTS50034"), "{html}");
}

#[tokio::test]
async fn only_an_admin_may_consent_to_directory_wide_permissions() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url();
    let browser = Browser::new(base).unwrap();
    let url = |hint: &str| {
        format!(
            "{base}/{TENANT_DOMAIN}/oauth2/v2.0/authorize?client_id={PUBLIC_CLIENT_ID}&response_type=code\
             &redirect_uri=mailgrant%3A%2F%2Fauth&scope=openid%20https%3A%2F%2Fgraph.microsoft.com%2FApplication.Read.All\
             &state=dir{hint}"
        )
    };
    // Megan is no admin: "Need admin approval" (AADSTS90094), not a consent she could give.
    let refused = browser.sign_in(&url(""), MEGAN, Decision::Approve).await.unwrap();
    assert_eq!(refused.get("error"), Some("access_denied"));
    assert!(refused
        .get("error_description")
        .unwrap()
        .starts_with("AADSTS90094: "));
    // Adele is auto-approved for what she may consent to, but not for this.
    let Page::Landed(adele) = browser.open(&url(&format!("&login_hint={ADELE}"))).await.unwrap() else {
        panic!("an auto-approved user lands at once");
    };
    assert!(adele
        .get("error_description")
        .unwrap()
        .starts_with("AADSTS90094: "));
    // The IT admin may.
    let Page::Landed(admin) = browser
        .open(&url(&format!("&login_hint={IT_ADMIN}")))
        .await
        .unwrap()
    else {
        panic!("the admin lands at once");
    };
    assert!(admin.get("code").is_some(), "{}", admin.location);
}

#[tokio::test]
async fn fragment_and_form_post_response_modes() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let base = emulator.base_url();
    let browser = Browser::new(base).unwrap();
    let url = |mode: &str| {
        format!(
            "{base}/common/oauth2/v2.0/authorize?client_id={PUBLIC_CLIENT_ID}&response_type=code\
             &redirect_uri=http%3A%2F%2Flocalhost&scope=User.Read&state=st&login_hint={ADELE}&response_mode={mode}"
        )
    };
    let fragment = browser
        .sign_in(&url("fragment"), ADELE, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(fragment.delivery, Delivery::Fragment);
    assert!(
        fragment.location.starts_with("http://localhost/#code="),
        "{}",
        fragment.location
    );
    let posted = browser
        .sign_in(&url("form_post"), ADELE, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(posted.delivery, Delivery::FormPost);
    assert_eq!(posted.location, "http://localhost");
    assert!(posted.get("code").is_some());
    assert_eq!(posted.get("state"), Some("st"));
}

#[tokio::test]
async fn errors_before_the_redirect_is_trusted_are_pages_and_later_ones_redirects() {
    let mut seed = Seed::demo();
    seed.users.push(User {
        mfa_required: true,
        ..User::new("miriam@contoso.example", "Miriam Graham")
    });
    seed.users.push(User {
        locked: true,
        ..User::new("lee@contoso.example", "Lee Gu")
    });
    seed.users.push(User {
        disabled: true,
        ..User::new("diego@contoso.example", "Diego Siciliani")
    });
    let emulator = Emulator::start(seed).await.unwrap();
    let base = emulator.base_url();
    let browser = Browser::new(base).unwrap();
    let authorize = |tenant: &str, client: &str, redirect: &str| {
        format!(
            "{base}/{tenant}/oauth2/v2.0/authorize?client_id={client}&response_type=code&redirect_uri={redirect}\
             &scope=User.Read&state=q"
        )
    };
    // 50011: shown, not redirected.
    let Page::Other { status, html } = browser
        .open(&authorize(
            "common",
            PUBLIC_CLIENT_ID,
            "https%3A%2F%2Fevil.example%2Fcb",
        ))
        .await
        .unwrap()
    else {
        panic!("50011 is an error page");
    };
    assert_eq!(status, 400);
    assert!(html.contains(
        "AADSTS50011: The redirect URI &#39;https://evil.example/cb&#39; specified in the request does not match the \
         redirect URIs configured for the application"
    ), "{html}");
    // 700016 and 90002 too.
    let unknown = "11111111-2222-3333-4444-555555555555";
    let Page::Other { html, .. } = browser
        .open(&authorize("common", unknown, "http%3A%2F%2Flocalhost"))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(html.contains(&format!(
        "AADSTS700016: Application with identifier &#39;{unknown}&#39; was not found"
    )));
    let Page::Other { html, .. } = browser
        .open(&authorize(
            "fabrikam.example",
            PUBLIC_CLIENT_ID,
            "http%3A%2F%2Flocalhost",
        ))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(html.contains("AADSTS90002: Tenant &#39;fabrikam.example&#39; not found."));

    // 50194: a single-tenant app through /common, sent back to the app.
    let Page::Landed(landing) = browser
        .open(&authorize(
            "common",
            CONFIDENTIAL_CLIENT_ID,
            "https%3A%2F%2Fapp.contoso.example%2Fauth%2Fcallback",
        ))
        .await
        .unwrap()
    else {
        panic!("50194 redirects");
    };
    assert_eq!(landing.get("error"), Some("invalid_request"));
    assert!(landing.get("error_description").unwrap().starts_with(&format!(
        "AADSTS50194: Application '{CONFIDENTIAL_CLIENT_ID}'(Mailgrant Service) is not configured as a multi-tenant \
         application."
    )));
    assert_eq!(landing.get("state"), Some("q"));

    // Account states.
    for (user, code, error) in [
        ("miriam@contoso.example", 50076, "interaction_required"),
        ("lee@contoso.example", 50053, "access_denied"),
        ("diego@contoso.example", 50057, "access_denied"),
    ] {
        let landing = browser
            .sign_in(
                &authorize(TENANT_DOMAIN, PUBLIC_CLIENT_ID, "http%3A%2F%2Flocalhost"),
                user,
                Decision::Approve,
            )
            .await
            .unwrap();
        assert_eq!(landing.get("error"), Some(error), "{user}");
        assert!(
            landing
                .get("error_description")
                .unwrap()
                .starts_with(&format!("AADSTS{code}: ")),
            "{user}"
        );
    }
}

#[tokio::test]
async fn personal_accounts_get_opaque_access_tokens() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let client = oauth_client(&emulator, "consumers", PUBLIC_CLIENT_ID, "http://localhost");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes([IMAP, "offline_access", "openid", "profile"].map(|s| Scope::new(s.into())))
        .add_extra_param("login_hint", CONSUMER)
        .set_pkce_challenge(challenge)
        .url();
    let landing = Browser::new(emulator.base_url())
        .unwrap()
        .sign_in(url.as_str(), CONSUMER, Decision::Approve)
        .await
        .unwrap();
    let token = client
        .exchange_code(AuthorizationCode::new(landing.get("code").unwrap().into()))
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    assert!(token.access_token().secret().starts_with("EwB"));
    assert!(decode_claims(token.access_token().secret()).is_none());
    let id = decode_claims(token.extra_fields().id_token.as_deref().unwrap()).unwrap();
    assert_eq!(id["tid"], "9188040d-6c67-4c5b-b112-36a304b66dad");
    assert_eq!(
        id["iss"],
        format!(
            "{}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
            emulator.base_url()
        )
    );
    // A work account cannot use /consumers.
    let url = format!(
        "{}/consumers/oauth2/v2.0/authorize?client_id={PUBLIC_CLIENT_ID}&response_type=code&scope=User.Read",
        emulator.base_url()
    );
    let Page::Form { action, fields, .. } = Browser::new(emulator.base_url())
        .unwrap()
        .open(&url)
        .await
        .unwrap()
    else {
        panic!()
    };
    let Page::Form { html, .. } = Browser::new(emulator.base_url())
        .unwrap()
        .submit(&action, &fields, MEGAN, Decision::Approve)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert!(html.contains("AADSTS50034"), "{html}");
}

#[tokio::test]
async fn device_code_with_the_oauth2_crate_approved_on_the_page() {
    let mut seed = Seed::demo();
    seed.device_code_interval_secs = 1;
    let emulator = Emulator::start(seed).await.unwrap();
    let client = oauth_client(&emulator, "organizations", PUBLIC_CLIENT_ID, LOOPBACK);
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes([IMAP, "offline_access"].map(|s| Scope::new(s.into())))
        .request_async(&http())
        .await
        .unwrap();
    let code = details.user_code().secret().clone();
    assert_eq!(code.len(), 9);
    assert_eq!(
        details.verification_uri().as_str(),
        format!("{}/devicelogin", emulator.base_url())
    );
    assert_eq!(details.expires_in(), Duration::from_secs(900));
    assert_eq!(details.interval(), Duration::from_secs(1));

    // The user approves while the client polls (first poll: pending; next, a second later: tokens).
    let browser = Browser::new(emulator.base_url()).unwrap();
    let approver = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        browser.enter_device_code(&code, ADELE, Decision::Approve).await
    });
    let token = client
        .exchange_device_access_token(&details)
        .request_async(&http(), tokio::time::sleep, Some(Duration::from_secs(10)))
        .await
        .unwrap();
    let (status, page) = approver.await.unwrap().unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("You have signed in to the Mailgrant Desktop application"),
        "{page}"
    );
    assert_eq!(token.scopes().unwrap()[0].as_str(), IMAP);
    assert!(token.refresh_token().is_some());
    assert_eq!(
        decode_claims(token.access_token().secret()).unwrap()["upn"],
        ADELE
    );
}

#[tokio::test]
async fn device_code_polling_errors() {
    let mut seed = Seed::demo();
    seed.device_code_interval_secs = 1;
    seed.apps.push(AppRegistration {
        redirect_uris: vec!["http://localhost".into()],
        allow_public_client_flows: false,
        sign_in_audience: SignInAudience::AzureAdMultipleOrgs,
        ..AppRegistration::new(
            "0b8e1f6a-0000-4000-8000-00000000dc01",
            "No Public Flows",
            TENANT_DOMAIN,
            ClientKind::Public,
        )
    });
    let emulator = Emulator::start(seed).await.unwrap();
    let base = emulator.base_url().to_string();
    let start = |tenant: &'static str, client: &'static str| {
        let base = base.clone();
        async move {
            post_form(
                format!("{base}/{tenant}/oauth2/v2.0/devicecode"),
                &[("client_id", client), ("scope", IMAP)],
            )
            .await
        }
    };
    let poll = |device_code: String, client: &'static str| {
        let base = base.clone();
        async move {
            post_form(
                format!("{base}/organizations/oauth2/v2.0/token"),
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", client),
                    ("device_code", &device_code),
                ],
            )
            .await
        }
    };
    let (status, _, started) = start("organizations", PUBLIC_CLIENT_ID).await;
    assert_eq!(status, 200);
    let message = started["message"].as_str().unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "To sign in, use a web browser to open the page {base}/devicelogin and enter the code {user_code} to \
             authenticate."
        )
    );
    let device_code = started["device_code"].as_str().unwrap().to_string();
    let (status, headers, pending) = poll(device_code.clone(), PUBLIC_CLIENT_ID).await;
    assert_eq!(status, 400);
    assert_eq!(headers["cache-control"], "no-store, no-cache");
    assert_eq!(pending["error"], "authorization_pending");
    assert_eq!(pending["error_codes"], json!([70016]));
    assert!(pending["error_description"].as_str().unwrap().starts_with(
        "AADSTS70016: OAuth 2.0 device flow error. Authorization is pending. Continue polling.\r\nTrace ID: "
    ));
    let (_, _, fast) = poll(device_code.clone(), PUBLIC_CLIENT_ID).await;
    assert_eq!(fast["error"], "slow_down", "polled again within the interval");

    // Declined on the page.
    let browser = Browser::new(&base).unwrap();
    let (status, _) = browser
        .enter_device_code(user_code, ADELE, Decision::Deny)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (_, _, declined) = poll(device_code, PUBLIC_CLIENT_ID).await;
    assert_eq!(declined["error"], "authorization_declined");

    // A wrong code on the page; a wrong device code at the token endpoint.
    let (status, page) = browser
        .enter_device_code("NOTACODE1", ADELE, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(status, 400);
    assert!(page.contains("didn"), "{page}");
    let (_, _, bad) = poll("nonsense".into(), PUBLIC_CLIENT_ID).await;
    assert_eq!(bad["error"], "bad_verification_code");

    // Expired after 15 minutes.
    let (_, _, started) = start("organizations", PUBLIC_CLIENT_ID).await;
    emulator.advance_clock(901);
    let (_, _, expired) = poll(started["device_code"].as_str().unwrap().into(), PUBLIC_CLIENT_ID).await;
    assert_eq!(expired["error"], "expired_token");
    assert_eq!(expired["error_codes"], json!([70019]));

    // Personal accounts: 8-character codes at /link.
    let (_, _, consumer) = start("consumers", PUBLIC_CLIENT_ID).await;
    assert_eq!(consumer["user_code"].as_str().unwrap().len(), 8);
    assert_eq!(consumer["verification_uri"], format!("{base}/link"));
    assert_eq!(consumer["expires_in"], 900);
    assert_eq!(consumer["interval"], 1);

    // Without "Allow public client flows" the poll fails with AADSTS7000218.
    let client = "0b8e1f6a-0000-4000-8000-00000000dc01";
    let (_, _, started) = start("organizations", client).await;
    let (status, _, refused) = poll(started["device_code"].as_str().unwrap().into(), client).await;
    assert_eq!(status, 401);
    assert_eq!(refused["error"], "invalid_client");
    assert_eq!(refused["error_codes"], json!([7000218]));
}

#[tokio::test]
async fn a_blocked_user_approving_a_device_code_fails_the_poll() {
    let mut seed = Seed::demo();
    seed.users.push(User {
        mfa_required: true,
        ..User::new("miriam@contoso.example", "Miriam Graham")
    });
    let emulator = Emulator::start(seed).await.unwrap();
    let base = emulator.base_url().to_string();
    let (_, _, started) = post_form(
        format!("{base}/organizations/oauth2/v2.0/devicecode"),
        &[("client_id", PUBLIC_CLIENT_ID), ("scope", IMAP)],
    )
    .await;
    let browser = Browser::new(&base).unwrap();
    browser
        .enter_device_code(
            started["user_code"].as_str().unwrap(),
            "miriam@contoso.example",
            Decision::Approve,
        )
        .await
        .unwrap();
    let (_, _, body) = post_form(
        format!("{base}/organizations/oauth2/v2.0/token"),
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("device_code", started["device_code"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(body["error_codes"], json!([50076]));
    assert_eq!(body["suberror"], "basic_action");
}

#[tokio::test]
async fn a_refresh_token_belongs_to_its_client() {
    let emulator = Emulator::start(Seed::demo()).await.unwrap();
    let token = megan_signs_in(&emulator, &[IMAP, "offline_access"]).await;
    let refresh = RefreshToken::new(token.refresh_token().unwrap().secret().clone());
    let (_, _, body) = post_form(
        format!("{}/{TENANT_ID}/oauth2/v2.0/token", emulator.base_url()),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", SECRET_VALUE),
            ("refresh_token", refresh.secret()),
        ],
    )
    .await;
    assert_eq!(body["error"], "invalid_grant");
}
