//! Signing an account in, start to finish, for the desktop app and the CLI alike: which scopes to ask for, the
//! authorize request, redeeming the answer, and keeping the result (see [`crate::accounts::save_signed_in`]).
//!
//! A [`SignInPlan`] is made from an account already in the config (added by the wizard or `mailgrant add`, and
//! not yet signed in, or signed in before). Every flow ends in the same place: the refresh token in the keychain
//! first, then the account's identity and token metadata in the config.

use std::sync::Arc;

use crate::accounts::{self, AccountError};
use crate::identity::endpoints::Endpoints;
use crate::identity::permissions;
use crate::model::{Account, AppRegistration, Flow, Resource};
use crate::signin::authcode::AuthRequest;
use crate::signin::grant::{grant, Delegated, Granted};
use crate::signin::SignInError;
use crate::token_lifecycle::{self, IssuedToken, TokenError, TokenService};

/// Why signing in did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("the account {0:?} has no services: add IMAP, SMTP, POP or Graph to it")]
    NoServices(String),
    #[error("the account {account:?} uses the {flow} flow, not this one: {hint}")]
    WrongFlow {
        account: String,
        flow: &'static str,
        hint: &'static str,
    },
}

impl ConnectError {
    /// Microsoft's (or the network's) answer explained, when that is why the sign-in stopped.
    pub fn diagnosis(&self) -> Option<&crate::diagnosis::Diagnosis> {
        match self {
            ConnectError::SignIn(e) => e.diagnosis(),
            ConnectError::Token(e) => e.diagnosis(),
            _ => None,
        }
    }
}

pub fn flow_label(flow: Flow) -> &'static str {
    match flow {
        Flow::AuthCode => "auth-code",
        Flow::DeviceCode => "device-code",
        Flow::ClientCredentials => "client-credentials",
    }
}

/// Everything needed to sign one account in.
#[derive(Debug, Clone)]
pub struct SignInPlan {
    pub account: Account,
    pub registration: AppRegistration,
    pub endpoints: Endpoints,
    /// The resource the first token is for (Outlook when any mail protocol is used).
    pub resource: Resource,
}

impl SignInPlan {
    /// The plan for the account `name` of the service's config.
    pub fn load(service: &TokenService, name: &str) -> Result<Self, ConnectError> {
        let (account, registration) = service.account(name)?;
        let resource = token_lifecycle::primary_resource(&account)
            .ok_or_else(|| ConnectError::NoServices(account.name.clone()))?;
        Ok(Self {
            endpoints: Endpoints::for_cloud(&registration.cloud),
            account,
            registration,
            resource,
        })
    }

    fn require(&self, flow: Flow, hint: &'static str) -> Result<(), ConnectError> {
        if self.account.flow == flow {
            Ok(())
        } else {
            Err(ConnectError::WrongFlow {
                account: self.account.name.clone(),
                flow: flow_label(self.account.flow),
                hint,
            })
        }
    }

    /// App-only accounts have nothing to sign in: this fetches a token with the app's own credential.
    pub async fn client_credentials(&self, service: &TokenService) -> Result<IssuedToken, ConnectError> {
        self.require(Flow::ClientCredentials, "it signs in as a user")?;
        Ok(service.refresh_now(&self.account.name, self.resource).await?)
    }
}

impl Delegated for SignInPlan {
    type Done = Account;
    type Error = ConnectError;

    fn registration(&self) -> &AppRegistration {
        &self.registration
    }

    fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    fn token_scopes(&self) -> Vec<String> {
        permissions::token_scopes(
            &self.endpoints,
            &self.account.services,
            self.account.flow,
            self.resource,
        )
    }

    /// Consent covers every service of the account at once (Outlook and Graph), so one sign-in serves both
    /// resources.
    fn authorize(&self, redirect_uri: &str) -> Result<AuthRequest, ConnectError> {
        self.require(Flow::AuthCode, "it signs in with a device code")?;
        let consent = permissions::consent_scopes(&self.endpoints, &self.account.services);
        Ok(grant(self, &[]).authorize(redirect_uri, &consent, Some(&self.account.address), None)?)
    }

    async fn keep(
        &self,
        service: &TokenService,
        _http: &reqwest::Client,
        (answer, identity): Granted,
    ) -> Result<Account, ConnectError> {
        let (store, vault) = (service.store().clone(), Arc::clone(service.vault()));
        let (account, resource) = (self.account.clone(), self.resource);
        // Under the account's lock: a refresh still running for the old sign-in finishes first.
        service
            .with_account_lock(&self.account.name, move || {
                accounts::save_signed_in(&store, &vault, None, account, resource, &answer, identity)
            })
            .await?
            .map_err(ConnectError::from)
    }
}

/// What `mailgrant add` and the wizard know about a new account before it signs in.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub name: String,
    pub address: String,
    /// The app registration's display name (defaults to one made from the client id).
    pub app_name: Option<String>,
    pub client_id: crate::model::ClientId,
    pub tenant: crate::model::Tenant,
    pub cloud: crate::model::Cloud,
    pub flow: Flow,
    pub redirect: crate::model::RedirectMode,
    pub services: std::collections::BTreeSet<crate::model::Service>,
    pub shared_mailbox: Option<String>,
    pub imap: Option<crate::model::HostPort>,
    pub pop: Option<crate::model::HostPort>,
    pub smtp: Option<crate::model::HostPort>,
    /// A client secret's Value, and when it expires.
    pub secret: Option<(crate::SecretString, Option<time::OffsetDateTime>)>,
    /// A certificate and its private key, both PEM.
    pub certificate: Option<(String, crate::SecretString)>,
}

#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Vault(#[from] crate::vault::VaultError),
}

/// A certificate's SHA-1 thumbprint (what Entra shows) and its end date, from PEM.
pub fn read_certificate(pem_text: &str) -> Result<(Vec<u8>, String, time::OffsetDateTime), String> {
    use sha1::Digest as _;
    use x509_cert::der::Decode as _;
    let block = pem::parse_many(pem_text.as_bytes())
        .map_err(|e| format!("the certificate is not PEM ({e})"))?
        .into_iter()
        .find(|b| b.tag() == "CERTIFICATE")
        .ok_or("the file holds no CERTIFICATE block")?;
    let der = block.contents().to_vec();
    let cert = x509_cert::Certificate::from_der(&der)
        .map_err(|e| format!("the certificate cannot be read ({e})"))?;
    let not_after = cert.tbs_certificate.validity.not_after.to_unix_duration();
    let expires =
        time::OffsetDateTime::from_unix_timestamp(i64::try_from(not_after.as_secs()).unwrap_or(i64::MAX))
            .map_err(|e| format!("the certificate's end date is out of range ({e})"))?;
    let thumbprint = sha1::Sha1::digest(&der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<String>();
    Ok((der, thumbprint, expires))
}

/// Adds the account (and its app registration, or a credential to the registration of the same client id)
/// to the config, secrets to the keychain first. The account then needs a sign-in.
pub fn add_account(
    store: &crate::store::Store,
    vault: &crate::vault::TokenVault,
    new: NewAccount,
) -> Result<Account, AddError> {
    use crate::model::{ClientKind, Credential, CredentialKind};
    let invalid = |m: &str| Err(AddError::Invalid(m.to_owned()));
    if new.name.trim().is_empty() || new.name.chars().any(char::is_control) {
        return invalid("the account name is empty or has control characters");
    }
    if !new.address.contains('@') || new.address.trim() != new.address {
        return invalid("the email address must look like someone@example.com");
    }
    if new.services.is_empty() {
        return invalid("choose at least one service: imap, smtp, pop, graph-read or graph-send");
    }
    if let crate::model::Cloud::Custom(custom) = &new.cloud {
        for (what, url) in [
            ("sign-in address", &custom.authority),
            ("Microsoft Graph address", &custom.graph),
        ] {
            if crate::diagnosis::transport::check_secure(url).is_err() {
                return Err(AddError::Invalid(format!(
                    "the {what} {url:?} must start with https://: client secrets and tokens would cross the \
                     network unencrypted (only an address on this computer may use http://)"
                )));
            }
        }
    }
    let confidential = new.secret.is_some() || new.certificate.is_some();
    if new.flow == Flow::ClientCredentials && !confidential {
        let config = store.load()?;
        let has_credential = config
            .registrations
            .iter()
            .any(|r| r.client_id == new.client_id && r.cloud == new.cloud && !r.credentials.is_empty());
        if !has_credential {
            return invalid(
                "app-only access (client credentials) needs the app's client secret (--client-secret-stdin) or \
                 certificate (--certificate and --private-key)",
            );
        }
    }
    if new.flow == Flow::ClientCredentials && new.tenant.is_multi() {
        return invalid("app-only access needs your organisation's tenant (its domain or Directory ID), not a multi-tenant value");
    }
    let config = store.load()?;
    if config.account(&new.name).is_some() {
        return Err(AddError::Invalid(format!(
            "there is already an account called {:?}: pick another name, or remove it first",
            new.name
        )));
    }
    let existing = config
        .registrations
        .iter()
        .find(|r| r.client_id == new.client_id && r.cloud == new.cloud && r.tenant == new.tenant)
        .cloned();
    let mut registration = existing.clone().unwrap_or_else(|| {
        let short = &new.client_id.as_str()[..8];
        let mut id = format!("app-{short}");
        let mut n = 2;
        while config.registration(&id).is_some() {
            id = format!("app-{short}-{n}");
            n += 1;
        }
        AppRegistration {
            id,
            name: new.app_name.clone().unwrap_or_else(|| format!("App {short}")),
            client_id: new.client_id.clone(),
            tenant: new.tenant.clone(),
            cloud: new.cloud.clone(),
            client_kind: ClientKind::Public,
            redirect_mode: new.redirect,
            credentials: Vec::new(),
        }
    });
    if confidential {
        registration.client_kind = ClientKind::Confidential;
    }
    // Secrets first: a config that names a credential always has it in the keychain.
    if let Some((value, expires)) = &new.secret {
        let key_id = format!("local-{}", uuid::Uuid::new_v4());
        vault.set_client_secret(&registration.id, &key_id, value)?;
        registration.credentials.push(Credential {
            kind: CredentialKind::Secret,
            key_id,
            label: Some("added with mailgrant".into()),
            hint: Some(value.expose().chars().take(3).collect()),
            starts: Some(time::OffsetDateTime::now_utc()),
            expires: *expires,
        });
    }
    if let Some((certificate, key)) = &new.certificate {
        let (_, thumbprint, expires) = read_certificate(certificate).map_err(AddError::Invalid)?;
        if !key.expose().contains("PRIVATE KEY") {
            return invalid("the private key file holds no PEM PRIVATE KEY block");
        }
        let bundle = crate::SecretString::new(format!("{}\n{}", certificate.trim(), key.expose().trim()));
        vault.set_certificate_key(&registration.id, &thumbprint, &bundle)?;
        registration.credentials.retain(|c| c.key_id != thumbprint);
        registration.credentials.push(Credential {
            kind: CredentialKind::Certificate,
            key_id: thumbprint.clone(),
            label: Some("added with mailgrant".into()),
            hint: Some(thumbprint),
            starts: None,
            expires: Some(expires),
        });
    }
    let account = Account {
        name: new.name.trim().to_owned(),
        address: new.address,
        registration: registration.id.clone(),
        flow: new.flow,
        services: new.services,
        shared_mailbox: new.shared_mailbox,
        identity: None,
        tokens: crate::model::TokenMetadata::default(),
        imap: new.imap,
        pop: new.pop,
        smtp: new.smtp,
    };
    let saved = account.clone();
    store.update(|config| {
        match config.registration_mut(&registration.id) {
            Some(slot) => *slot = registration,
            None => config.add_registration(registration)?,
        }
        config.add_account(account)
    })?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cloud, CustomCloud, RedirectMode, Service};

    #[test]
    fn a_custom_cloud_over_plain_http_to_another_computer_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let home = crate::DataHome::resolve(Some(dir.path().join("home")), None).unwrap();
        let store = crate::store::Store::open(&home);
        // Refused before the keychain is touched.
        let vault = crate::vault::TokenVault::keychain(&home);
        let custom = |authority: &str, graph: &str| {
            Cloud::Custom(CustomCloud {
                authority: authority.into(),
                graph: graph.into(),
                graph_resource: None,
                outlook_resource: "https://outlook.office.com".into(),
                imap: crate::model::HostPort {
                    host: "imap.example.net".into(),
                    port: 993,
                },
                pop: crate::model::HostPort {
                    host: "pop.example.net".into(),
                    port: 995,
                },
                smtp: crate::model::HostPort {
                    host: "smtp.example.net".into(),
                    port: 587,
                },
            })
        };
        for (cloud, what) in [
            (
                custom("http://login.example.net", "https://graph.example.net"),
                "sign-in address",
            ),
            (
                custom("https://login.example.net", "http://graph.example.net"),
                "Microsoft Graph address",
            ),
        ] {
            let new = NewAccount {
                name: "work".into(),
                address: "adele@contoso.example".into(),
                app_name: None,
                client_id: "8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e".parse().unwrap(),
                tenant: "contoso.example".parse().unwrap(),
                cloud,
                flow: Flow::AuthCode,
                redirect: RedirectMode::Loopback,
                services: [Service::Imap].into(),
                shared_mailbox: None,
                imap: None,
                pop: None,
                smtp: None,
                secret: None,
                certificate: None,
            };
            let Err(AddError::Invalid(message)) = add_account(&store, &vault, new) else {
                panic!("accepted a plain http:// {what}");
            };
            assert!(message.starts_with(&format!("the {what} ")), "{message}");
            assert!(message.contains("must start with https://"), "{message}");
        }
        assert!(!home.config_file().exists(), "nothing was written");
    }
}
