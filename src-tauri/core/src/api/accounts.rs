//! Accounts: add (the wizard's answers or the CLI's flags), list with their health, refresh, remove, and test
//! the mailbox. Access tokens are fetched and used here; only what was learned goes back to a surface.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use super::{blocking, Api, ApiError, ErrorCode};
use crate::connect::{self, NewAccount, SignInPlan};
use crate::health::{self, AccountHealth, ConsentRevocation, CredentialExpiry};
use crate::identity::endpoints::Endpoints;
use crate::identity::permissions;
use crate::identity::setup::{self, FieldCheck};
use crate::model::{Account, AppRegistration, RefreshFailure, Service};
use crate::probe::{self, LayerReport, ProbeOptions, ProbeReport, ProbeTarget, Protocol};
use crate::store::RemovedAccount;
use crate::token_lifecycle::now_unix;
use crate::wizard::{self, WizardDraft};
use crate::SecretString;

/// Entra offers client secrets valid for at most 24 months; a later date is a typo.
const LONGEST_SECRET_DAYS: i64 = 2 * 366;

/// A client secret's expiry as Entra shows it (`YYYY-MM-DD`): the end of that day, UTC. `what` names the field
/// in the message (`--secret-expires` in the CLI).
pub fn secret_expiry(text: &str, what: &str) -> Result<OffsetDateTime, ApiError> {
    let text = text.trim();
    let bad = |message: String| ApiError::new(ErrorCode::BadDate, message);
    let date =
        time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).map_err(|_| {
            bad(format!(
                "{what} {text:?}: give the date as shown in Entra (YYYY-MM-DD)"
            ))
        })?;
    let at = date
        .with_hms(23, 59, 59)
        .map_err(|e| bad(e.to_string()))?
        .assume_utc();
    if at > OffsetDateTime::now_utc() + time::Duration::days(LONGEST_SECRET_DAYS) {
        return Err(bad(format!(
            "{what} {text}: Entra does not issue secrets valid for more than 24 months; check the Expires column"
        )));
    }
    Ok(at)
}

/// A pasted client secret, checked (the Value, not the Secret ID), with its expiry when given.
pub fn client_secret(
    value: &str,
    expires: Option<&str>,
    what: &str,
) -> Result<(SecretString, Option<OffsetDateTime>), ApiError> {
    let value = match setup::check_client_secret(value) {
        FieldCheck::Ok { value } => value,
        FieldCheck::Warning { message, .. } | FieldCheck::Problem { message } => {
            return Err(ApiError::new(ErrorCode::BadSecret, format!("{what}: {message}")))
        }
    };
    let expires = expires
        .filter(|t| !t.trim().is_empty())
        .map(|t| secret_expiry(t, "the expiry date"))
        .transpose()?;
    Ok((SecretString::new(value), expires))
}

/// Adds the account and its app registration (a secret to the keychain first). `replace`: an account of that
/// name goes first (the wizard saves again after the user went back and changed an answer).
pub async fn add(api: &Api, new: NewAccount, replace: bool) -> Result<Account, ApiError> {
    if replace && api.store().account(&new.name)?.is_some() {
        remove(api, &new.name).await?;
    }
    let (store, vault) = (api.store().clone(), Arc::clone(api.tokens.vault()));
    blocking(move || connect::add_account(&store, &vault, new).map_err(ApiError::from)).await
}

/// The wizard's answers saved as an account; returns its health.
pub async fn add_from_wizard(
    api: &Api,
    draft: &WizardDraft,
    secret: Option<&str>,
    secret_expires: Option<&str>,
    replace: bool,
) -> Result<AccountHealth, ApiError> {
    let secret = secret
        .filter(|s| !s.trim().is_empty())
        .map(|s| client_secret(s, secret_expires, "the client secret"))
        .transpose()?;
    let new = wizard::new_account(draft, secret).map_err(|m| ApiError::new(ErrorCode::BadAnswer, m))?;
    let account = add(api, new, replace).await?;
    health_of(api, &account.name)
}

/// The account's health as the config says now.
pub fn health_of(api: &Api, name: &str) -> Result<AccountHealth, ApiError> {
    let config = api.store().load()?;
    let account = config
        .account(name)
        .ok_or_else(|| ApiError::unknown_account(name))?;
    Ok(health::account_health(
        account,
        config.registration(&account.registration),
        now_unix(),
    ))
}

/// Every account with its health.
pub fn list(api: &Api) -> Result<Vec<AccountHealth>, ApiError> {
    Ok(health::accounts(&api.store().load()?, now_unix()))
}

/// Why the last refresh failed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct FailureView {
    /// The diagnosis code (`AADSTS70008`, …): `explain_code` gives the whole explanation.
    pub code: String,
    pub title: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
    pub sign_in_again: bool,
    /// What fixes it (the catalogue's remedy for the code; trying again when the code is not in it).
    pub remedy: crate::diagnosis::Remedy,
}

impl From<&RefreshFailure> for FailureView {
    fn from(f: &RefreshFailure) -> Self {
        Self {
            code: f.code.clone(),
            title: f.title.clone(),
            at: f.at,
            sign_in_again: f.sign_in_again,
            remedy: crate::diagnosis::explain(&f.code)
                .map(|d| d.remedy)
                .unwrap_or_default(),
        }
    }
}

/// An account as the dashboard shows it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub health: AccountHealth,
    /// `auth-code`, `device-code` or `client-credentials`.
    pub flow: String,
    pub services: Vec<Service>,
    pub shared_mailbox: Option<String>,
    /// The permissions Microsoft granted, as the token endpoint listed them.
    pub scopes: Vec<String>,
    pub registration_name: String,
    pub client_id: String,
    /// The last refresh that failed, until one succeeds.
    pub last_failure: Option<FailureView>,
    /// Where to revoke consent, and what that does.
    pub revocation: ConsentRevocation,
}

/// Every account as the dashboard shows it: health, how it signs in, scopes granted, where to revoke consent.
pub fn views(api: &Api) -> Result<Vec<AccountView>, ApiError> {
    let config = api.store().load()?;
    let now = now_unix();
    Ok(config
        .accounts
        .iter()
        .map(|a| {
            let registration = config.registration(&a.registration);
            AccountView {
                health: health::account_health(a, registration, now),
                flow: connect::flow_label(a.flow).to_owned(),
                services: a.services.iter().copied().collect(),
                shared_mailbox: a.shared_mailbox.clone(),
                scopes: a.tokens.scopes_granted.iter().cloned().collect(),
                registration_name: registration.map(|r| r.name.clone()).unwrap_or_default(),
                client_id: registration.map(|r| r.client_id.to_string()).unwrap_or_default(),
                last_failure: a.tokens.last_failure.as_ref().map(FailureView::from),
                revocation: health::consent_revocation(a, registration),
            }
        })
        .collect())
}

/// Refreshes the account's access tokens now, one per resource it uses. A failure is recorded on the account
/// and comes back with its diagnosis.
pub async fn refresh(api: &Api, name: &str) -> Result<AccountHealth, ApiError> {
    let account = api.account(name)?;
    for resource in permissions::resources(&account.services) {
        api.tokens.refresh_now(name, resource).await?;
    }
    health_of(api, name)
}

/// What removing an account took away, and where to revoke the consent, which stays with Microsoft.
#[derive(Debug)]
pub struct Removed {
    pub removed: RemovedAccount,
    pub revocation: ConsentRevocation,
}

/// Forgets the account: its config, then its keychain entries (and its registration's, when no other account
/// uses it). Under the account's lock: a refresh in flight finishes first, and one that waited finds nothing.
pub async fn remove(api: &Api, name: &str) -> Result<Removed, ApiError> {
    let (store, vault) = (api.store().clone(), Arc::clone(api.tokens.vault()));
    let owned = name.to_owned();
    api.tokens
        .with_account_lock(name, move || {
            let config = store.load()?;
            let account = config
                .account(&owned)
                .cloned()
                .ok_or_else(|| ApiError::unknown_account(&owned))?;
            let revocation = health::consent_revocation(&account, config.registration(&account.registration));
            let removed = crate::accounts::remove(&store, &vault, &owned)?;
            Ok(Removed { removed, revocation })
        })
        .await?
}

/// What replacing a client secret did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct SecretReplaced {
    pub registration: String,
    pub registration_name: String,
    /// Microsoft issued a token with the new secret before it was kept (false: the registration is for any
    /// organisation, so there is no one tenant to ask; the next sign-in uses it).
    pub verified: bool,
    /// The secrets it replaced (their hints), gone from the keychain and the board.
    pub replaced: Vec<String>,
}

/// Asks Microsoft whether `auth` (a registration's client secret or certificate) is good, before anyone relies
/// on it: a client-credentials token request for Graph's `.default`, which Entra answers for any registration
/// with a valid credential, application permissions or not (the token is dropped). Only a registration that
/// names one tenant can be asked (`common`/`organizations`/`consumers` have no app-only tokens): false then.
/// Refused: [`ErrorCode::BadSecret`] with Microsoft's answer explained.
pub async fn verify_credential(
    api: &Api,
    registration: &AppRegistration,
    auth: &crate::signin::token_endpoint::ClientAuth,
    what: &str,
) -> Result<bool, ApiError> {
    if registration.tenant.is_multi() {
        return Ok(false);
    }
    let endpoints = Endpoints::for_cloud(&registration.cloud);
    let endpoint = crate::signin::token_endpoint::TokenEndpoint::new(
        api.http.clone(),
        endpoints.token_url(&registration.tenant),
    );
    let scope = format!("{}/.default", endpoints.graph_resource);
    crate::signin::client_credentials::fetch(&endpoint, &registration.client_id, &scope, auth)
        .await
        .map_err(|e| {
            let refused = ApiError::from(e);
            ApiError {
                code: ErrorCode::BadSecret,
                message: match &refused.diagnosis {
                    Some(d) => format!("Microsoft did not accept {what}: {}", d.summary()),
                    None => format!("cannot check {what} with Microsoft: {}", refused.message),
                },
                ..refused
            }
            .about(registration.name.clone())
        })?;
    Ok(true)
}

/// Replaces a registration's client secret (`registration`: its id, client id or name, or an account that uses
/// it) with a new Value from Entra, after Microsoft has accepted it: a client-credentials token request with the
/// new secret, when the registration names one tenant. The new secret goes to the keychain first; then the config
/// lists it in place of the old ones, whose keychain entries go last. A wrong Value changes nothing.
pub async fn replace_secret(
    api: &Api,
    registration: &str,
    value: &str,
    expires: Option<&str>,
) -> Result<SecretReplaced, ApiError> {
    let (secret, expires) = client_secret(value, expires, "the new client secret")?;
    let found = crate::directory::ImportPlan::load(&api.tokens, registration)
        .map_err(|e| ApiError::from(e).about(registration))?
        .registration;
    if found.client_kind == crate::model::ClientKind::Public {
        return Err(ApiError::new(
            ErrorCode::BadAnswer,
            format!(
                "{:?} is a public client: it has no client secret to replace (it signs in without one)",
                found.name
            ),
        ));
    }
    let auth = crate::signin::token_endpoint::ClientAuth::Secret(secret.clone());
    let verified = verify_credential(api, &found, &auth, "the new secret").await?;
    let (store, vault) = (api.store().clone(), Arc::clone(api.tokens.vault()));
    blocking(move || {
        let key_id = format!("local-{}", uuid::Uuid::new_v4());
        // The new secret first: a config that names a credential always has it in the keychain.
        vault.set_client_secret(&found.id, &key_id, &secret)?;
        let old = store.update(|config| {
            let Some(registration) = config.registration_mut(&found.id) else {
                return Err(crate::store::StoreError::NotFound {
                    kind: "registration",
                    name: found.id.clone(),
                });
            };
            let (old, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut registration.credentials)
                .into_iter()
                .partition(|c| c.kind == crate::model::CredentialKind::Secret);
            registration.credentials = kept;
            registration.credentials.push(crate::model::Credential {
                kind: crate::model::CredentialKind::Secret,
                key_id: key_id.clone(),
                label: Some("replaced with mailgrant".into()),
                hint: Some(secret.expose().chars().take(3).collect()),
                starts: Some(OffsetDateTime::now_utc()),
                expires,
            });
            Ok::<_, crate::store::StoreError>(old)
        })?;
        for credential in &old {
            vault.delete_client_secret(&found.id, &credential.key_id)?;
        }
        Ok(SecretReplaced {
            registration: found.id.clone(),
            registration_name: found.name.clone(),
            verified,
            replaced: old.iter().filter_map(|c| c.hint.clone()).collect(),
        })
    })
    .await
}

/// The values a product asks for (client ID, tenant, authority, URLs, scopes, servers), from the account that
/// verified its registration; `preset` names the product ([`crate::product::presets`]).
pub fn hand_over(
    api: &Api,
    name: &str,
    preset: &str,
    redirect_uri: Option<&str>,
) -> Result<crate::product::HandOver, ApiError> {
    let (account, registration) = api.tokens.account(name)?;
    Ok(crate::product::hand_over(
        &account,
        &registration,
        preset,
        redirect_uri,
    ))
}

/// The client secret a product is to be given, from the keychain: only for a surface that shows it on purpose
/// (`mailgrant handover --show-secret`); never sent to the webview.
pub async fn product_secret(api: &Api, name: &str) -> Result<Option<SecretString>, ApiError> {
    let (_, registration) = api.tokens.account(name)?;
    let Some(key_id) = registration
        .credentials
        .iter()
        .rev()
        .find(|c| c.kind == crate::model::CredentialKind::Secret)
        .map(|c| c.key_id.clone())
    else {
        return Ok(None);
    };
    let vault = Arc::clone(api.tokens.vault());
    blocking(move || Ok(vault.client_secret(&registration.id, &key_id)?)).await
}

/// "Use this mailbox": the account's servers, user name and the recipes for mail programs.
pub fn mail_settings(api: &Api, name: &str) -> Result<crate::handoff::MailSettings, ApiError> {
    let (account, registration) = api.tokens.account(name)?;
    Ok(crate::handoff::mail_settings(&account, &registration))
}

/// Every client secret and certificate of every app registration (and directory import), soonest expiry first.
pub fn board(api: &Api) -> Result<Vec<CredentialExpiry>, ApiError> {
    Ok(health::board(api.store(), now_unix())?)
}

/// What to test and how.
#[derive(Debug, Clone, Default)]
pub struct TestRequest {
    /// Only these protocols (empty: every one the account uses).
    pub only: BTreeSet<Protocol>,
    /// Send a message to the mailbox itself (SMTP and Graph).
    pub send_to_self: bool,
    /// The time limit of each layer (None: the probes' default).
    pub timeout: Option<Duration>,
}

/// One probe layer, as it completes.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ProbeProgress {
    pub protocol: Protocol,
    pub server: String,
    pub layer: LayerReport,
}

/// What a test reports as it goes.
#[derive(Debug, Clone)]
pub enum TestEvent {
    /// The probe of `server` starts.
    Started { protocol: Protocol, server: String },
    /// A layer of it completed.
    Layer(ProbeProgress),
}

/// The probes an account's test runs: one per protocol it uses (Graph read and send are one), limited to `only`.
pub fn probe_targets(
    account: &Account,
    registration: &AppRegistration,
    only: &BTreeSet<Protocol>,
) -> Vec<(Service, ProbeTarget)> {
    let endpoints = Endpoints::for_cloud(&registration.cloud);
    let mut seen = BTreeSet::new();
    account
        .services
        .iter()
        .map(|service| {
            let target = ProbeTarget::for_account(account, &endpoints, &registration.cloud, *service);
            (*service, target)
        })
        .filter(|(_, target)| {
            (only.is_empty() || only.contains(&target.protocol)) && seen.insert(target.protocol)
        })
        .collect()
}

/// Probes the account's mailbox, one protocol after another, telling `progress` as each starts and each layer
/// completes. Returns every report.
pub async fn test(
    api: &Api,
    name: &str,
    request: &TestRequest,
    mut progress: impl FnMut(TestEvent),
) -> Result<Vec<ProbeReport>, ApiError> {
    let plan = SignInPlan::load(&api.tokens, name)?;
    let targets = probe_targets(&plan.account, &plan.registration, &request.only);
    if targets.is_empty() {
        let uses: Vec<String> = plan
            .account
            .services
            .iter()
            .map(|s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        return Err(ApiError::new(
            ErrorCode::NoSuchService,
            format!(
                "{name:?} does not use the services asked for (it has {})",
                uses.join(",")
            ),
        )
        .about(name));
    }
    let mut options = ProbeOptions {
        ca_file: api.ca_file.clone(),
        send_to_self: request.send_to_self,
        ..ProbeOptions::default()
    };
    if let Some(timeout) = request.timeout {
        options.timeout = timeout;
    }
    let mut reports = Vec::new();
    for (service, target) in targets {
        let token = api
            .tokens
            .access_token(name, permissions::resource_of(service))
            .await?;
        let (protocol, server) = (target.protocol, target.server());
        progress(TestEvent::Started {
            protocol,
            server: server.clone(),
        });
        let report = probe::run(&target, &token.token, &options, |layer| {
            progress(TestEvent::Layer(ProbeProgress {
                protocol,
                server: server.clone(),
                layer,
            }));
        })
        .await;
        reports.push(report);
    }
    Ok(reports)
}
