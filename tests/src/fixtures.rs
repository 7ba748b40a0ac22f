//! Ready-made homes, registrations and signed-in accounts for the suites: a private data home (its own config
//! file and keychain namespace) per test, and real sign-ins through the emulator's pages.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use mailgrant_core::accounts::{self, identity_from_id_token};
use mailgrant_core::identity::endpoints::Endpoints;
use mailgrant_core::identity::permissions;
use mailgrant_core::model::{
    Account, AppRegistration, ClientKind, Cloud, Credential, CredentialKind, CustomCloud, Flow, RedirectMode,
    Resource, Service, TokenMetadata,
};
use mailgrant_core::signin::authcode::{AuthParams, AuthRequest};
use mailgrant_core::signin::http;
use mailgrant_core::signin::token_endpoint::{ClientAuth, TokenEndpoint};
use mailgrant_core::store::Store;
use mailgrant_core::vault::TokenVault;
use mailgrant_core::{DataHome, SecretString};

use crate::emulator::browser::{Browser, Decision};
use crate::emulator::demo::{
    ADELE, CONFIDENTIAL_CLIENT_ID, PUBLIC_CLIENT_ID, SECRET_ID, SECRET_VALUE, TENANT_DOMAIN,
};
use crate::emulator::{Emulator, Seed};
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// A data home of its own: config, locks and keychain namespace, removed (with its keychain entries, by the
/// test) when dropped.
pub struct TestHome {
    pub dir: tempfile::TempDir,
    pub home: DataHome,
    pub store: Store,
    pub vault: Arc<TokenVault>,
}

impl TestHome {
    /// Under `MAILGRANT_HOME` when set (the test command points it into `target/`), else the system temp dir.
    pub fn new(label: &str) -> TestHome {
        let parent = std::env::var_os("MAILGRANT_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&parent).expect("test home parent");
        let dir = tempfile::Builder::new()
            .prefix(&format!("{label}-"))
            .tempdir_in(parent)
            .expect("test home");
        let home = DataHome::resolve(Some(dir.path().to_path_buf()), None).expect("data home");
        TestHome {
            store: Store::open(&home),
            vault: Arc::new(TokenVault::keychain(&home)),
            home,
            dir,
        }
    }

    pub fn path(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// The emulator as a custom cloud: login and Graph at its base URL, Microsoft's resource names.
/// `mailgrant add` for adele's mailbox through the app registration `client_id` (the demo's public or
/// confidential client), with the emulator as a custom cloud: the arguments, `more` appended (`--services imap`,
/// `--redirect deep-link`, …).
pub fn cli_add_args<'a>(
    emulator: &'a Emulator,
    name: &'a str,
    client_id: &'a str,
    more: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "add",
        "--name",
        name,
        "--email",
        ADELE,
        "--client-id",
        client_id,
        "--tenant",
        TENANT_DOMAIN,
        "--cloud",
        "custom",
        "--authority",
        emulator.base_url(),
        "--graph-url",
        emulator.base_url(),
        "--graph-resource",
        "https://graph.microsoft.com",
    ];
    args.extend_from_slice(more);
    args
}

pub fn emulator_cloud(emulator: &Emulator) -> Cloud {
    Cloud::Custom(CustomCloud {
        authority: emulator.base_url().into(),
        graph: emulator.base_url().into(),
        graph_resource: Some("https://graph.microsoft.com".into()),
        outlook_resource: "https://outlook.office.com".into(),
        imap: "127.0.0.1:993".parse().expect("host:port"),
        pop: "127.0.0.1:995".parse().expect("host:port"),
        smtp: "127.0.0.1:587".parse().expect("host:port"),
    })
}

/// The demo seed's public client ("Mobile and desktop applications").
pub fn public_registration(emulator: &Emulator) -> AppRegistration {
    AppRegistration {
        id: "demo-public".into(),
        name: "Mailgrant (demo, public)".into(),
        client_id: PUBLIC_CLIENT_ID.parse().expect("client id"),
        tenant: TENANT_DOMAIN.parse().expect("tenant"),
        cloud: emulator_cloud(emulator),
        client_kind: ClientKind::Public,
        redirect_mode: RedirectMode::Paste,
        credentials: Vec::new(),
    }
}

/// The demo seed's confidential client with its valid secret's metadata (the value goes to the keychain with
/// [`store_demo_secret`]).
pub fn confidential_registration(emulator: &Emulator) -> AppRegistration {
    AppRegistration {
        id: "demo-confidential".into(),
        name: "Mailgrant (demo, confidential)".into(),
        client_id: CONFIDENTIAL_CLIENT_ID.parse().expect("client id"),
        tenant: TENANT_DOMAIN.parse().expect("tenant"),
        cloud: emulator_cloud(emulator),
        client_kind: ClientKind::Confidential,
        redirect_mode: RedirectMode::Loopback,
        credentials: vec![Credential {
            kind: CredentialKind::Secret,
            key_id: SECRET_ID.to_string(),
            label: Some("demo".into()),
            hint: Some(SECRET_VALUE[..3].into()),
            starts: None,
            expires: None,
        }],
    }
}

pub fn store_demo_secret(home: &TestHome, registration: &AppRegistration) {
    home.vault
        .set_client_secret(
            &registration.id,
            &SECRET_ID.to_string(),
            &SecretString::new(SECRET_VALUE.into()),
        )
        .expect("secret stored");
}

pub fn account(
    name: &str,
    address: &str,
    registration: &AppRegistration,
    flow: Flow,
    services: &[Service],
) -> Account {
    Account {
        name: name.into(),
        address: address.into(),
        registration: registration.id.clone(),
        flow,
        services: services.iter().copied().collect::<BTreeSet<_>>(),
        shared_mailbox: None,
        identity: None,
        tokens: TokenMetadata::default(),
        imap: None,
        pop: None,
        smtp: None,
    }
}

/// An HTTP client as the product builds one, trusting the test bed's CA: the file in `MAILGRANT_CA_FILE` when set
/// (a process other than the emulator's, as Mailgrant is given it), else this process's emulator CA.
pub fn http_client() -> reqwest::Client {
    let ca_file = std::env::var_os("MAILGRANT_CA_FILE").map(PathBuf::from);
    let extra_roots = if ca_file.is_some() {
        Vec::new()
    } else {
        let pem = Emulator::ca_pem().expect("the emulator's CA");
        CertificateDer::pem_slice_iter(&pem)
            .map(|cert| cert.expect("a PEM certificate").as_ref().to_vec())
            .collect()
    };
    http::client(&http::HttpOptions {
        ca_file,
        extra_roots,
        request_timeout: Some(Duration::from_secs(10)),
        ..http::HttpOptions::default()
    })
    .expect("http client")
}

/// A CA file for Mailgrant (`MAILGRANT_CA_FILE`, `--ca-file`, a probe's or the API's `ca_file`): the emulator's
/// throwaway CA and any other PEMs (the mail peers' CA), in one file in a temp dir removed when dropped.
pub struct CaFile {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl CaFile {
    /// The emulator's CA followed by `others`.
    pub fn new(others: &[&[u8]]) -> CaFile {
        // Beside the test homes (see TestHome::new).
        let parent = std::env::var_os("MAILGRANT_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&parent).expect("CA file parent");
        let dir = tempfile::Builder::new()
            .prefix("ca-")
            .tempdir_in(parent)
            .expect("a temp dir for the CA file");
        let path = dir.path().join("ca.pem");
        let mut pem = Emulator::ca_pem().expect("the emulator's CA");
        for other in others {
            if !pem.ends_with(b"\n") {
                pem.push(b'\n');
            }
            pem.extend_from_slice(other);
        }
        std::fs::write(&path, pem).expect("the CA file written");
        CaFile { _dir: dir, path }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn as_str(&self) -> &str {
        self.path.to_str().expect("a UTF-8 temp path")
    }
}

/// The emulator over HTTPS (its certificate from the test bed's throwaway CA) and a CA file trusting it, plus the
/// PEMs in `others` (the mail peers' CA where a suite needs both).
pub async fn emulator_https(seed: Seed, others: &[&[u8]]) -> (Emulator, CaFile) {
    let emulator = Emulator::start_tls(seed).await.expect("the emulator over HTTPS");
    (emulator, CaFile::new(others))
}

/// Signs `user` in through the emulator's real pages (the paste-the-address redirect), and saves the account
/// with its tokens as the product does. Returns the saved account.
pub async fn sign_in(
    emulator: &Emulator,
    home: &TestHome,
    registration: &AppRegistration,
    name: &str,
    user: &str,
    services: &[Service],
) -> Account {
    let endpoints = Endpoints::for_cloud(&registration.cloud);
    let draft = account(name, user, registration, Flow::AuthCode, services);
    let resource = mailgrant_core::token_lifecycle::primary_resource(&draft).expect("a service");
    // Consent to everything the account needs at once; the code redeems for one resource.
    let consent = permissions::consent_scopes(&endpoints, &draft.services);
    let scopes = permissions::token_scopes(&endpoints, &draft.services, Flow::AuthCode, resource);
    let redirect = endpoints.redirect_uri_to_register(RedirectMode::Paste);
    let request = AuthRequest::new(&AuthParams {
        authorize_url: &endpoints.authorize_url(&registration.tenant),
        client_id: &registration.client_id,
        redirect_uri: &redirect,
        scopes: &consent,
        login_hint: Some(user),
        prompt: None,
    })
    .expect("an authorize request");
    let browser = Browser::new(emulator.base_url()).expect("browser");
    let landing = browser
        .sign_in(&request.url, user, Decision::Approve)
        .await
        .expect("the emulator's sign-in page");
    let code = request.code_from_callback(&landing.location).expect("a code");
    let nonce = request.nonce().to_owned();
    let endpoint = TokenEndpoint::new(http_client(), endpoints.token_url(&registration.tenant));
    let tokens = request
        .redeem(
            &endpoint,
            &registration.client_id,
            &code,
            &scopes,
            &ClientAuth::None,
        )
        .await
        .expect("the code redeems");
    let identity = tokens
        .id_token
        .as_ref()
        .map(|t| identity_from_id_token(t, Some(&nonce)).expect("id_token"));
    accounts::save_signed_in(
        &home.store,
        &home.vault,
        Some(registration.clone()),
        draft,
        resource,
        &tokens,
        identity,
    )
    .expect("account saved")
}

/// Makes the cached access token of `account` for `resource` look expired (the refresh token stays).
pub fn expire_access_token(home: &TestHome, account: &str, resource: Resource) {
    let mut token = home
        .vault
        .access_token(account, resource)
        .expect("keychain")
        .expect("an access token");
    token.expires_at = mailgrant_core::token_lifecycle::now_unix() - 10;
    home.vault
        .set_access_token(account, resource, &token)
        .expect("keychain");
}

/// Waits until `done` holds, looking every 20 ms, for at most `limit` (then fails naming `what`): a condition,
/// not a guess at how long something takes.
pub async fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
