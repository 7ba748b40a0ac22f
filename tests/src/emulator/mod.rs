//! An emulator of the Microsoft identity platform (login.microsoftonline.com) and the part of Microsoft Graph
//! Mailgrant uses, served under one base URL, plus a token-introspection endpoint for real mail servers and an
//! admin API for tests. See tests/README.md for the seed format and the admin API.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use mailgrant_tests::emulator::{Emulator, Seed};
//! let emulator = Emulator::start(Seed::demo()).await?;
//! let token = emulator.mint_access_token("adele@contoso.example", "outlook", &["IMAP.AccessAsUser.All"], 3600);
//! let url = emulator.introspection_url("imap"); // give this to Dovecot
//! # let _ = (token, url); Ok(()) }
//! ```

mod admin;
mod authorize;
pub mod browser;
pub mod certs;
mod client_auth;
pub mod demo;
mod devicecode;
pub mod errors;
mod faults;
mod graph;
mod html;
mod introspect;
mod issue;
mod jwt;
mod oidc;
pub mod scopes;
pub mod seed;
mod server;
mod state;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use admin::{AdminError, MintRequest, Minted};
pub use certs::{AssertionAlg, TestCertificate};
pub use faults::Fault;
pub use introspect::Protocol;
pub use seed::{
    AppRegistration, ClientCertificate, ClientKind, ClientSecret, Lifetimes, Mailbox, Message, Seed,
    SeedError, SignInAudience, Tenant, Timestamp, User,
};
pub use state::{RevokeReason, TokenRequestRecord};

use state::{App, Shared};

/// A running emulator. It serves on the tokio runtime that started it and stops when dropped.
pub struct Emulator {
    shared: App,
    address: SocketAddr,
    server: JoinHandle<()>,
    /// Over HTTPS: the same emulator also on plain HTTP, for the mail peers' introspection only.
    plain: Option<(String, JoinHandle<()>)>,
}

impl Emulator {
    /// Starts on 127.0.0.1 with an ephemeral port.
    pub async fn start(seed: Seed) -> std::io::Result<Emulator> {
        Self::bind(seed, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on 127.0.0.1 with an ephemeral port, over HTTPS (as Microsoft's servers are) with a certificate for
    /// 127.0.0.1 and localhost from the test bed's throwaway CA ([`Emulator::ca_pem`]).
    pub async fn start_tls(seed: Seed) -> std::io::Result<Emulator> {
        Self::bind_tls(seed, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on the given address (port 0: ephemeral).
    pub async fn bind(seed: Seed, address: SocketAddr) -> std::io::Result<Emulator> {
        Self::serve(seed, address, None).await
    }

    /// Starts on the given address over HTTPS (see [`Emulator::start_tls`]).
    pub async fn bind_tls(seed: Seed, address: SocketAddr) -> std::io::Result<Emulator> {
        let acceptor = crate::responder::localhost_acceptor()?;
        Self::serve(seed, address, Some(acceptor)).await
    }

    /// The PEM of the CA that signed the HTTPS certificate (for `MAILGRANT_CA_FILE` / `--ca-file`).
    pub fn ca_pem() -> std::io::Result<Vec<u8>> {
        crate::responder::Responder::ca_pem()
    }

    async fn serve(
        seed: Seed,
        address: SocketAddr,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> std::io::Result<Emulator> {
        seed.validate().map_err(std::io::Error::other)?;
        let key = tokio::task::spawn_blocking(jwt::signing_key)
            .await
            .map_err(std::io::Error::other)??;
        let listener = TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let shared = Arc::new(Shared::new(format!("{scheme}://{address}"), key, seed));
        let plain = if tls.is_some() {
            let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
            let base = format!("http://{}", listener.local_addr()?);
            let server = tokio::spawn(server::serve(
                listener,
                None,
                shared.clone(),
                router(shared.clone()),
            ));
            Some((base, server))
        } else {
            None
        };
        let server = tokio::spawn(server::serve(
            listener,
            tls,
            shared.clone(),
            router(shared.clone()),
        ));
        Ok(Emulator {
            shared,
            address,
            server,
            plain,
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` from [`Emulator::start_tls`]), no trailing slash. Stands for both https://login.microsoftonline.com and
    /// https://graph.microsoft.com.
    pub fn base_url(&self) -> &str {
        &self.shared.base
    }

    /// The base URL the mail peers (Dovecot's oauth2 passdb, given no CA) introspect tokens at: [`Emulator::base_url`]
    /// over HTTP; over HTTPS, the same emulator on a plain-HTTP port of its own (the product never uses it).
    pub fn introspection_base(&self) -> &str {
        self.plain.as_ref().map_or(&self.shared.base, |(base, _)| base)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The introspection endpoint for Dovecot's oauth2 passdb: `{introspection_base}/_emulator/introspect/{protocol}` with
    /// protocol `imap`, `pop` or `smtp`.
    pub fn introspection_url(&self, protocol: &str) -> String {
        format!("{}/_emulator/introspect/{protocol}", self.introspection_base())
    }

    /// Mints an access token without a sign-in (synchronous). `resource` is `outlook` or `graph` (anything else
    /// that is not a Graph URI means Outlook); scopes are delegated permission names (`IMAP.AccessAsUser.All`);
    /// a negative lifetime gives an already expired token. Users missing from the seed are allowed (their
    /// tenant is guessed from the domain).
    pub fn mint_access_token(
        &self,
        user: &str,
        resource: &str,
        scopes: &[&str],
        expires_in_secs: i64,
    ) -> String {
        let resource = if resource.to_ascii_lowercase().contains("graph") {
            scopes::Resource::Graph
        } else {
            scopes::Resource::Outlook
        };
        let request = MintRequest {
            user: Some(user.to_string()),
            client_id: None,
            resource: format!("{resource:?}"),
            scopes: scopes.iter().map(|scope| scope.to_string()).collect(),
            roles: Vec::new(),
            expires_in: expires_in_secs,
        };
        self.shared.mint_for(resource, &request).access_token
    }

    /// Mints with every option (client, roles for app-only tokens); also returns the expiry.
    pub fn mint(&self, request: &MintRequest) -> Result<Minted, AdminError> {
        self.shared.mint(request)
    }

    /// Revokes all of a user's grants. `reason`: `consent` (later refresh: AADSTS65001), `password` (50173),
    /// `inactive` (700082) or `signin_frequency` (70043). Introspection of the user's tokens turns inactive.
    ///
    /// # Panics
    /// On any other reason: a typo in a test must not pass silently.
    pub fn revoke(&self, user: &str, reason: &str) {
        let Some(reason) = RevokeReason::parse(reason) else {
            panic!("unknown revoke reason {reason:?}: use consent, password, inactive or signin_frequency");
        };
        self.shared.revoke_grants(user, None, reason);
    }

    /// Revokes a user's grants to one client only.
    pub fn revoke_for_client(&self, user: &str, client_id: &str, reason: RevokeReason) {
        self.shared.revoke_grants(user, Some(client_id), reason);
    }

    /// Sets the clock offset (seconds added to real time).
    pub fn set_clock_offset(&self, seconds: i64) {
        self.shared.lock().clock_offset_secs = seconds;
    }

    /// Moves the clock forward (or back, negative).
    pub fn advance_clock(&self, seconds: i64) {
        self.shared.lock().clock_offset_secs += seconds;
    }

    /// The emulator's current time, unix seconds.
    pub fn now_unix(&self) -> i64 {
        self.shared.now().unix_timestamp()
    }

    /// A copy of the live scenario.
    pub fn seed(&self) -> Seed {
        self.shared.lock().seed.clone()
    }

    /// Changes the live scenario: `emulator.update_seed(|seed| seed.users[0].locked = true)`. Unlike the admin
    /// API, changes made from Rust are not validated.
    pub fn update_seed(&self, change: impl FnOnce(&mut Seed)) {
        change(&mut self.shared.lock().seed);
    }

    pub fn upsert_user(&self, user: User) {
        admin::upsert_user(&mut self.shared.lock().seed, user);
    }

    pub fn upsert_app(&self, app: AppRegistration) {
        admin::upsert_app(&mut self.shared.lock().seed, app);
    }

    pub fn upsert_mailbox(&self, mailbox: Mailbox) {
        admin::upsert_mailbox(&mut self.shared.lock().seed, mailbox);
    }

    /// Adds a user with an empty mailbox of its own, at an address no other caller in this process gets:
    /// `<label>-<n>@<the first tenant's domain>` (contoso.example in the demo), `n` counting up. Like Adele, the
    /// user signs in without a page when named in `login_hint`. For tests that share an emulator and the mail
    /// peers (whose Maildirs are per address): what such a test sends, counts, expunges or reads is its own.
    ///
    /// # Panics
    /// When `label` is empty or holds anything but `a-z`, `0-9` and `-`, or the seed has no tenant with a domain.
    pub fn add_mail_user(&self, label: &str) -> String {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        assert!(
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "a mail user's label is a-z, 0-9 and -: {label:?}"
        );
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut state = self.shared.lock();
        let domain = state
            .seed
            .tenants
            .iter()
            .find_map(|tenant| tenant.domains.first())
            .unwrap_or_else(|| panic!("the seed has no tenant with a domain for {label}-{n}"))
            .clone();
        let address = format!("{label}-{n}@{domain}");
        admin::upsert_user(
            &mut state.seed,
            User {
                auto_approve: true,
                ..User::new(&address, &format!("Test User {label} {n}"))
            },
        );
        admin::upsert_mailbox(&mut state.seed, Mailbox::owned_by(&address));
        address
    }

    /// Injects a fault for the next `fault.count` requests to `fault.path`.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().add_fault(fault);
    }

    /// The messages in a mailbox (all folders); empty when there is no such mailbox.
    /// Every token-endpoint request so far, in order (grant type, client, AADSTS code if refused).
    pub fn token_requests(&self) -> Vec<TokenRequestRecord> {
        self.shared.lock().token_log.clone()
    }

    /// Whether `token` is an access token the emulator issued that is still live (unexpired, unrevoked).
    pub fn access_token_is_live(&self, token: &str) -> bool {
        self.shared.lock().live_access_token(token).is_ok()
    }

    /// Every secret the emulator has handed out so far (authorization codes, refresh and access tokens, device
    /// codes) plus the seed's client-secret values: what a leak scan looks for.
    pub fn issued_secrets(&self) -> Vec<String> {
        let state = self.shared.lock();
        let mut out: Vec<String> = state
            .codes
            .keys()
            .chain(state.refresh_tokens.keys())
            .chain(state.access_tokens.keys())
            .chain(state.device_codes.keys())
            .cloned()
            .collect();
        out.extend(
            state
                .seed
                .apps
                .iter()
                .flat_map(|app| app.secrets.iter().map(|s| s.value.clone())),
        );
        out
    }

    /// How many `refresh_token` grants succeeded so far.
    pub fn refreshes(&self) -> usize {
        self.token_requests()
            .iter()
            .filter(|r| r.grant_type == "refresh_token" && r.error.is_none())
            .count()
    }

    pub fn messages(&self, address: &str) -> Vec<Message> {
        self.shared
            .lock()
            .seed
            .mailbox(address)
            .map(|mailbox| mailbox.messages.clone())
            .unwrap_or_default()
    }

    /// Back to the starting seed; every code, token, revocation and fault is forgotten.
    pub fn reset(&self) {
        self.shared.reset();
    }
}

/// The claims of a JWT (an id_token or a work-account access token), unverified; `None` for opaque tokens.
pub fn decode_claims(token: &str) -> Option<serde_json::Value> {
    jwt::claims_unverified(token)
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
        if let Some((_, plain)) = &self.plain {
            plain.abort();
        }
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.base)
            .finish_non_exhaustive()
    }
}

fn router(shared: App) -> Router {
    Router::new()
        .merge(oidc::routes())
        .merge(authorize::routes())
        .merge(token::routes())
        .merge(devicecode::routes())
        .merge(graph::routes())
        .merge(admin::routes())
        .route(
            "/_emulator/introspect/{protocol}",
            axum::routing::any(introspect::introspect),
        )
        .with_state(shared)
}
