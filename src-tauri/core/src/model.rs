//! Mailgrant's domain: app registrations, accounts, clouds and the values that identify them.
//!
//! Everything here is non-secret and is what the config file stores. Secrets (client secret values, private
//! keys, refresh and access tokens) live in the keychain (`vault`) and never in these types.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A GUID as Entra shows it: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, case-insensitive, stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Guid(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("cannot read {value:?} as {what}: {hint}")]
    Invalid {
        what: &'static str,
        value: String,
        hint: &'static str,
    },
}

impl Guid {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Guid {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_start_matches('{').trim_end_matches('}');
        let groups: Vec<&str> = t.split('-').collect();
        let shape_ok = groups.len() == 5
            && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n)
            && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
        if shape_ok {
            Ok(Self(t.to_ascii_lowercase()))
        } else {
            Err(ParseError::Invalid {
                what: "an ID",
                value: s.to_owned(),
                hint: "Entra IDs look like 00000000-0000-0000-0000-000000000000 (32 hex digits in 5 groups)",
            })
        }
    }
}

impl TryFrom<String> for Guid {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Guid> for String {
    fn from(g: Guid) -> Self {
        g.0
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Application (client) ID of an app registration.
pub type ClientId = Guid;

/// The `{tenant}` segment of Microsoft's endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Tenant {
    /// Work, school and personal accounts.
    Common,
    /// Work and school accounts of any organisation.
    Organizations,
    /// Personal Microsoft accounts only.
    Consumers,
    /// One organisation, by its Directory (tenant) ID.
    Id(Guid),
    /// One organisation, by one of its domains (e.g. `contoso.onmicrosoft.com`).
    Domain(String),
}

/// The tenant ID Microsoft uses for all personal accounts.
pub const CONSUMERS_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

impl Tenant {
    pub fn as_segment(&self) -> &str {
        match self {
            Tenant::Common => "common",
            Tenant::Organizations => "organizations",
            Tenant::Consumers => "consumers",
            Tenant::Id(g) => g.as_str(),
            Tenant::Domain(d) => d,
        }
    }

    /// True for `common`, `organizations` and `consumers`, which name no single organisation.
    pub fn is_multi(&self) -> bool {
        matches!(self, Tenant::Common | Tenant::Organizations | Tenant::Consumers)
    }
}

impl FromStr for Tenant {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "common" => return Ok(Tenant::Common),
            "organizations" | "organisations" => return Ok(Tenant::Organizations),
            "consumers" => return Ok(Tenant::Consumers),
            _ => {}
        }
        if let Ok(g) = t.parse::<Guid>() {
            return Ok(Tenant::Id(g));
        }
        let domain_ok = t.contains('.')
            && !t.starts_with('.')
            && !t.ends_with('.')
            && t.len() <= 253
            && t.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if domain_ok {
            Ok(Tenant::Domain(t.to_ascii_lowercase()))
        } else {
            Err(ParseError::Invalid {
                what: "a tenant",
                value: s.to_owned(),
                hint: "use the Directory (tenant) ID, a domain such as contoso.onmicrosoft.com, or common, \
                       organizations or consumers",
            })
        }
    }
}

impl TryFrom<String> for Tenant {
    type Error = ParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Tenant> for String {
    fn from(t: Tenant) -> Self {
        t.as_segment().to_owned()
    }
}

impl fmt::Display for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_segment())
    }
}

/// A host and port, e.g. `outlook.office365.com:993`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HostPort {
    pub host: String,
    pub port: u16,
}

impl FromStr for HostPort {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ParseError::Invalid {
            what: "a host:port",
            value: s.to_owned(),
            hint: "e.g. outlook.office365.com:993",
        };
        let (host, port) = s.trim().rsplit_once(':').ok_or_else(bad)?;
        // An IPv6 host goes in brackets ("[::1]:993"); anything else has no colon, slash or space in it.
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) if v6.parse::<std::net::Ipv6Addr>().is_ok() => v6,
            Some(_) => return Err(bad()),
            None if host.contains([':', '/', '[', ']']) => return Err(bad()),
            None => host,
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(bad());
        }
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let port = match port.parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => {
                return Err(ParseError::Invalid {
                    what: "a port",
                    value: port.to_owned(),
                    hint: "a number from 1 to 65535",
                })
            }
        };
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// Which Microsoft cloud an app registration lives in. Tokens are not interchangeable between clouds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Cloud {
    Global,
    /// US Government GCC High.
    UsGov,
    /// US Government DoD.
    UsGovDod,
    /// China, operated by 21Vianet.
    China,
    /// Everything given explicitly (also how tests point Mailgrant at the emulator).
    Custom(CustomCloud),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CustomCloud {
    /// The login host's base URL, e.g. `https://login.microsoftonline.com` (no tenant, no trailing slash).
    pub authority: String,
    /// Graph's base URL, e.g. `https://graph.microsoft.com`.
    pub graph: String,
    /// The resource URI Graph tokens are for, when it differs from `graph` (a test bed or proxy serving Graph
    /// under another address); `None` means `graph`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph_resource: Option<String>,
    /// The resource URI Outlook tokens are for, e.g. `https://outlook.office.com`.
    pub outlook_resource: String,
    pub imap: HostPort,
    pub pop: HostPort,
    pub smtp: HostPort,
}

/// Public: no secret ("Mobile and desktop applications" platform). Confidential: a secret or a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientKind {
    Public,
    Confidential,
}

/// How the browser hands the authorization code back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum RedirectMode {
    /// `http://localhost` on an ephemeral port.
    Loopback,
    /// `mailgrant://auth`.
    DeepLink,
    /// `https://login.microsoftonline.com/common/oauth2/nativeclient`, pasted back by the user.
    Paste,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum CredentialKind {
    Secret,
    Certificate,
}

/// A client secret or certificate of an app registration: its metadata only. A secret's value and a
/// certificate's private key are in the keychain under `key_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credential {
    pub kind: CredentialKind,
    /// Entra's keyId (the "Secret ID"), or a local id when unknown.
    pub key_id: String,
    pub label: Option<String>,
    /// The first characters Entra shows of a secret, or a certificate's thumbprint.
    pub hint: Option<String>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub starts: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub expires: Option<OffsetDateTime>,
}

/// What the user created in Entra ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRegistration {
    /// Mailgrant's own id for this registration.
    pub id: String,
    pub name: String,
    pub client_id: ClientId,
    pub tenant: Tenant,
    pub cloud: Cloud,
    pub client_kind: ClientKind,
    pub redirect_mode: RedirectMode,
    #[serde(default)]
    pub credentials: Vec<Credential>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    AuthCode,
    DeviceCode,
    ClientCredentials,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    Imap,
    Pop,
    Smtp,
    GraphRead,
    GraphSend,
}

/// The two resources Microsoft issues mail tokens for; an access token is for exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Resource {
    /// IMAP, POP and SMTP.
    Outlook,
    Graph,
}

/// Who signed in, from the id_token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInIdentity {
    pub name: Option<String>,
    pub username: Option<String>,
    pub tenant_id: Option<String>,
    pub object_id: Option<String>,
}

/// Non-secret facts about the tokens of an account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenMetadata {
    #[serde(default)]
    pub scopes_granted: BTreeSet<String>,
    /// When each resource's cached access token expires.
    #[serde(default)]
    pub access_expires: BTreeMap<Resource, i64>,
    /// When the current refresh token was issued (unix seconds); it rotates on every use.
    pub refresh_issued_at: Option<i64>,
    /// When a refresh token was last redeemed: Microsoft revokes one unused for 90 days.
    pub refresh_last_used_at: Option<i64>,
    /// The last refresh that failed, until one succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<RefreshFailure>,
}

/// Why the last token refresh failed (non-secret: the diagnosis code and title).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshFailure {
    /// The diagnosis code (`AADSTS70008`, `TIMEOUT`, …).
    pub code: String,
    pub title: String,
    /// Unix seconds.
    pub at: i64,
    /// True when only a new sign-in can fix it (the refresh token is expired, revoked or needs interaction).
    pub sign_in_again: bool,
}

/// One mailbox connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The handle scripts use (`mailgrant token NAME`).
    pub name: String,
    pub address: String,
    /// The [`AppRegistration::id`] it signs in through.
    pub registration: String,
    pub flow: Flow,
    pub services: BTreeSet<Service>,
    pub shared_mailbox: Option<String>,
    pub identity: Option<SignedInIdentity>,
    #[serde(default)]
    pub tokens: TokenMetadata,
    #[serde(default)]
    pub imap: Option<HostPort>,
    #[serde(default)]
    pub pop: Option<HostPort>,
    #[serde(default)]
    pub smtp: Option<HostPort>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_checked_and_normalised() {
        let g: Guid = " {6731DE76-14A6-49AE-97BC-6EBA6914391E} ".parse().unwrap();
        assert_eq!(g.as_str(), "6731de76-14a6-49ae-97bc-6eba6914391e");
        for bad in [
            "",
            "6731de76-14a6-49ae-97bc",
            "6731de7614a649ae97bc6eba6914391e",
            "zzzzzzzz-14a6-49ae-97bc-6eba6914391e",
        ] {
            let err = bad.parse::<Guid>().unwrap_err();
            assert!(err.to_string().contains("32 hex digits"), "{bad}: {err}");
        }
    }

    #[test]
    fn tenants_parse_every_form_entra_accepts() {
        assert_eq!("common".parse::<Tenant>().unwrap(), Tenant::Common);
        assert_eq!("Organizations".parse::<Tenant>().unwrap(), Tenant::Organizations);
        assert_eq!("consumers".parse::<Tenant>().unwrap(), Tenant::Consumers);
        assert!(matches!(
            "72f988bf-86f1-41af-91ab-2d7cd011db47".parse::<Tenant>().unwrap(),
            Tenant::Id(_)
        ));
        assert_eq!(
            "Contoso.onmicrosoft.com".parse::<Tenant>().unwrap(),
            Tenant::Domain("contoso.onmicrosoft.com".into())
        );
        for bad in [
            "",
            "contoso",
            "https://login.microsoftonline.com/contoso.com",
            "contoso..com",
            "-a.com",
        ] {
            assert!(bad.parse::<Tenant>().is_err(), "{bad}");
        }
    }

    #[test]
    fn config_round_trips_through_json() {
        let mut reg = examples::confidential(
            "r1",
            &[(
                "0b6f7e1a-7a5f-4d2b-9c1e-2f3a4b5c6d7e",
                Some(time::macros::datetime!(2027-01-31 00:00 UTC)),
            )],
        );
        reg.tenant = "contoso.onmicrosoft.com".parse().unwrap();
        reg.credentials[0].label = Some("mailgrant".into());
        reg.credentials[0].hint = Some("Abc".into());
        let json = serde_json::to_string(&reg).unwrap();
        assert!(json.contains("\"tenant\":\"contoso.onmicrosoft.com\""), "{json}");
        assert!(json.contains("2027-01-31T00:00:00Z"), "{json}");
        let back: AppRegistration = serde_json::from_str(&json).unwrap();
        assert_eq!(back, reg);
        let bad = json.replace("6731de76-14a6-49ae-97bc-6eba6914391e", "not-a-guid");
        assert!(serde_json::from_str::<AppRegistration>(&bad).is_err());
    }

    #[test]
    fn host_ports_parse_and_print() {
        let hp: HostPort = "outlook.office365.com:993".parse().unwrap();
        assert_eq!(
            hp,
            HostPort {
                host: "outlook.office365.com".into(),
                port: 993
            }
        );
        assert_eq!(
            "[::1]:1143".parse::<HostPort>().unwrap().to_string(),
            "[::1]:1143"
        );
        assert!("outlook.office365.com".parse::<HostPort>().is_err());
        assert!("host:99999".parse::<HostPort>().is_err());
        for bad in [
            "",
            ":993",
            "host:",
            "host:abc",
            "host:70000",
            "host:0",
            "::1:993",
            "a b:25",
            "https://x:443",
            "[nope]:25",
        ] {
            assert!(bad.parse::<HostPort>().is_err(), "{bad}");
        }
        assert_eq!("  127.0.0.1:1143 ".parse::<HostPort>().unwrap().port, 1143);
    }
}

/// Registrations and accounts for the unit tests of every module.
#[cfg(test)]
pub(crate) mod examples {
    use super::*;

    /// A public registration `id` of contoso.com in the global cloud.
    pub fn registration(id: &str) -> AppRegistration {
        AppRegistration {
            id: id.into(),
            name: format!("registration {id}"),
            client_id: "6731de76-14a6-49ae-97bc-6eba6914391e".parse().unwrap(),
            tenant: "contoso.com".parse().unwrap(),
            cloud: Cloud::Global,
            client_kind: ClientKind::Public,
            redirect_mode: RedirectMode::Loopback,
            credentials: Vec::new(),
        }
    }

    /// A confidential registration `id` with client secrets: one a key id, expiring when given.
    pub fn confidential(id: &str, secrets: &[(&str, Option<OffsetDateTime>)]) -> AppRegistration {
        let credential = |(key_id, expires): &(&str, Option<OffsetDateTime>)| Credential {
            kind: CredentialKind::Secret,
            key_id: (*key_id).into(),
            label: None,
            hint: None,
            starts: None,
            expires: *expires,
        };
        AppRegistration {
            client_kind: ClientKind::Confidential,
            credentials: secrets.iter().map(credential).collect(),
            ..registration(id)
        }
    }

    /// An account `name` for `address` through `registration`, signing in with the browser, using `services`.
    pub fn account(name: &str, address: &str, registration: &str, services: &[Service]) -> Account {
        Account {
            name: name.into(),
            address: address.into(),
            registration: registration.into(),
            flow: Flow::AuthCode,
            services: services.iter().copied().collect(),
            shared_mailbox: None,
            identity: None,
            tokens: TokenMetadata::default(),
            imap: None,
            pop: None,
            smtp: None,
        }
    }
}
