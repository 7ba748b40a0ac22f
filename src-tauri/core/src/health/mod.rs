//! How healthy each account and each client credential is: what the dashboard, `mailgrant status` and
//! `mailgrant secrets` show. Computed from the config alone (no keychain, no network), so it is cheap enough to
//! run for thousands of rows.

use serde::Serialize;
use time::OffsetDateTime;

use crate::directory::DirectoryImport;
use crate::model::{Account, AppRegistration, Credential, CredentialKind, Flow, Resource};
use crate::store::ConfigFile;
use crate::token_lifecycle::{KEEP_ALIVE_AFTER_SECS, REFRESH_TOKEN_INACTIVITY_SECS};

/// Days before a credential expires at which Mailgrant warns, most distant first.
pub const EXPIRY_THRESHOLDS_DAYS: [i64; 3] = [30, 14, 7];

/// An account's state, as a word (never colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum AccountState {
    /// Tokens are there and the last refresh worked.
    Working,
    /// Working, but the refresh token or the app's credential runs out within 30 days.
    ExpiringSoon,
    /// Added but never signed in.
    NotSignedIn,
    /// Only a new sign-in helps (the refresh token expired, was revoked, or consent was withdrawn).
    NeedsSignIn,
    /// The last refresh failed for another reason (network, the app's secret, the tenant).
    Failing,
}

impl AccountState {
    pub fn label(self) -> &'static str {
        match self {
            AccountState::Working => "working",
            AccountState::ExpiringSoon => "expiring soon",
            AccountState::NotSignedIn => "not signed in",
            AccountState::NeedsSignIn => "needs sign-in",
            AccountState::Failing => "failing",
        }
    }

    /// True when someone has to act.
    pub fn needs_attention(self) -> bool {
        self != AccountState::Working
    }
}

/// One account's health.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AccountHealth {
    pub name: String,
    pub address: String,
    pub state: AccountState,
    /// Why, in a sentence.
    pub reason: String,
    pub signed_in_as: Option<String>,
    /// Unix seconds each cached access token expires.
    #[cfg_attr(feature = "ts", ts(type = "Array<[\"outlook\" | \"graph\", number]>"))]
    pub access_expires: Vec<(Resource, i64)>,
    /// Unix seconds the refresh token was last used (it rotates on every use).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub refresh_last_used_at: Option<i64>,
    /// Days until Microsoft's inactivity limit, if nothing refreshes before then.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub refresh_inactive_days_left: Option<i64>,
    /// When Microsoft revokes the refresh token if nothing uses it before then (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub refresh_inactive_at: Option<i64>,
    /// Microsoft's inactivity limit for a refresh token, in days (90).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub refresh_inactivity_days: i64,
    /// When the keep-alive refresh is due (unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub keep_alive_due_at: Option<i64>,
    /// The soonest expiry of the app registration's credentials (confidential apps), unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub credential_expires_at: Option<i64>,
    /// That credential has expired or expires within the warning period (30 days): a new secret is due.
    pub credential_due: bool,
}

/// The health of `account` (of `registration`) at `now` (unix seconds).
pub fn account_health(account: &Account, registration: Option<&AppRegistration>, now: i64) -> AccountHealth {
    let meta = &account.tokens;
    let delegated = account.flow != Flow::ClientCredentials;
    let credential_expires_at = registration.and_then(|r| {
        r.credentials
            .iter()
            .filter_map(|c| c.expires.map(OffsetDateTime::unix_timestamp))
            .max()
    });
    let inactive_at = meta
        .refresh_last_used_at
        .filter(|_| delegated)
        .map(|used| used + REFRESH_TOKEN_INACTIVITY_SECS);
    let inactive_left = inactive_at.map(|at| (at - now).div_euclid(86_400));
    let signed_in = if delegated {
        meta.refresh_issued_at.is_some()
    } else {
        !meta.access_expires.is_empty() || meta.last_failure.is_some()
    };
    let (state, reason) = if let Some(failure) = &meta.last_failure {
        if failure.sign_in_again {
            (
                AccountState::NeedsSignIn,
                format!("{} ({})", failure.title, failure.code),
            )
        } else {
            (
                AccountState::Failing,
                format!("{} ({})", failure.title, failure.code),
            )
        }
    } else if registration
        .is_some_and(|r| !r.credentials.is_empty() && credential_expires_at.is_some_and(|at| at <= now))
    {
        (
            AccountState::Failing,
            "every client secret or certificate of the app registration has expired".to_owned(),
        )
    } else if !signed_in {
        let reason = if delegated {
            "not signed in yet"
        } else {
            "no token yet: the app gets one by itself, with its client secret or certificate, when one is first needed"
        };
        (AccountState::NotSignedIn, reason.to_owned())
    } else if inactive_left.is_some_and(|days| days < 0) {
        (
            AccountState::NeedsSignIn,
            "the refresh token was unused for 90 days, so Microsoft has revoked it".to_owned(),
        )
    } else if inactive_left.is_some_and(|days| days <= 30) {
        (
            AccountState::ExpiringSoon,
            format!(
                "the refresh token runs out in {} days unless it is used",
                inactive_left.unwrap_or_default()
            ),
        )
    } else if credential_expires_at.is_some_and(|at| at - now <= 30 * 86_400) {
        (
            AccountState::ExpiringSoon,
            format!(
                "the app's client secret expires in {} days",
                (credential_expires_at.unwrap_or(now) - now).div_euclid(86_400)
            ),
        )
    } else {
        (AccountState::Working, "tokens are fresh".to_owned())
    };
    AccountHealth {
        name: account.name.clone(),
        address: account.address.clone(),
        state,
        reason,
        signed_in_as: account.identity.as_ref().and_then(|i| i.username.clone()),
        access_expires: meta.access_expires.iter().map(|(r, at)| (*r, *at)).collect(),
        refresh_last_used_at: meta.refresh_last_used_at.filter(|_| delegated),
        refresh_inactive_days_left: inactive_left,
        refresh_inactive_at: inactive_at,
        refresh_inactivity_days: REFRESH_TOKEN_INACTIVITY_SECS / 86_400,
        keep_alive_due_at: meta
            .refresh_last_used_at
            .filter(|_| delegated)
            .map(|used| used + KEEP_ALIVE_AFTER_SECS),
        credential_expires_at,
        credential_due: credential_expires_at
            .is_some_and(|at| ExpiryState::at(Some(at), now).needs_attention()),
    }
}

/// Every account's health, in config order.
pub fn accounts(config: &ConfigFile, now: i64) -> Vec<AccountHealth> {
    config
        .accounts
        .iter()
        .map(|a| account_health(a, config.registration(&a.registration), now))
        .collect()
}

/// Where to withdraw the consent an account gave, and what that does (and does not do).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConsentRevocation {
    /// The page for the person who signed in: My Apps (work or school) or the Microsoft account's consent page.
    pub user: crate::diagnosis::Link,
    /// The tenant's Enterprise applications page, where an admin removes the app for everyone.
    pub admin: Option<crate::diagnosis::Link>,
    pub effect: String,
}

/// How to revoke what `account` consented to.
pub fn consent_revocation(account: &Account, registration: Option<&AppRegistration>) -> ConsentRevocation {
    use crate::model::{Tenant, CONSUMERS_TENANT_ID};
    let personal = account
        .identity
        .as_ref()
        .and_then(|i| i.tenant_id.as_deref())
        .is_some_and(|t| t == CONSUMERS_TENANT_ID)
        || registration.is_some_and(|r| r.tenant == Tenant::Consumers);
    let link = |label: &str, url: String| crate::diagnosis::Link {
        label: label.to_owned(),
        url,
    };
    let user = if personal {
        link(
            "Microsoft account › Apps and services you've given access",
            "https://account.live.com/consent/Manage".into(),
        )
    } else {
        link(
            "My Apps (your work or school account)",
            "https://myapps.microsoft.com".into(),
        )
    };
    let admin = (!personal).then(|| {
        let tenant = account
            .identity
            .as_ref()
            .and_then(|i| i.tenant_id.clone())
            .or_else(|| registration.map(|r| r.tenant.as_segment().to_owned()))
            .unwrap_or_default();
        link(
            "Entra admin center › Enterprise applications (admins: remove the app for everyone)",
            format!(
                "https://entra.microsoft.com/{tenant}#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview"
            ),
        )
    });
    ConsentRevocation {
        user,
        admin,
        effect: "Revoking consent stops the app from getting new tokens for this account: its refresh token stops \
                 working at once, but an access token already issued stays valid until it expires (about an hour). \
                 It does not delete the app registration or any mail."
            .to_owned(),
    }
}

mod board;
mod notices;

pub use board::*;
pub use notices::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{examples, Credential, RefreshFailure, Service};

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = 86_400;

    fn registration(expires: &[Option<i64>]) -> AppRegistration {
        let key_ids: Vec<String> = (0..expires.len()).map(|i| format!("k{i}")).collect();
        let at = |at: i64| OffsetDateTime::from_unix_timestamp(at).unwrap();
        let secrets: Vec<_> = key_ids
            .iter()
            .zip(expires)
            .map(|(k, e)| (k.as_str(), e.map(at)))
            .collect();
        let mut registration = examples::confidential("reg", &secrets);
        registration.name = "Reg".into();
        registration.tenant = "contoso.example".parse().unwrap();
        registration
    }

    fn account() -> Account {
        examples::account("adele", "adele@contoso.example", "reg", &[Service::Imap])
    }

    #[test]
    fn each_state_is_reached() {
        let reg = registration(&[Some(NOW + 200 * DAY)]);
        let mut a = account();
        let h = account_health(&a, Some(&reg), NOW);
        assert_eq!(
            (h.state, h.reason.as_str()),
            (AccountState::NotSignedIn, "not signed in yet")
        );
        // An app-only account has nobody to sign in: it has no token yet.
        let app_only = Account {
            flow: Flow::ClientCredentials,
            ..account()
        };
        let h = account_health(&app_only, Some(&reg), NOW);
        assert_eq!(h.state, AccountState::NotSignedIn);
        assert!(
            h.reason.starts_with("no token yet: the app gets one by itself"),
            "{}",
            h.reason
        );

        a.tokens.refresh_issued_at = Some(NOW - DAY);
        a.tokens.refresh_last_used_at = Some(NOW - DAY);
        let h = account_health(&a, Some(&reg), NOW);
        assert_eq!(h.state, AccountState::Working);
        assert_eq!(h.refresh_inactive_days_left, Some(89));
        assert_eq!(h.keep_alive_due_at, Some(NOW - DAY + 14 * DAY));

        a.tokens.refresh_last_used_at = Some(NOW - 70 * DAY);
        assert_eq!(
            account_health(&a, Some(&reg), NOW).state,
            AccountState::ExpiringSoon
        );
        a.tokens.refresh_last_used_at = Some(NOW - 91 * DAY);
        assert_eq!(
            account_health(&a, Some(&reg), NOW).state,
            AccountState::NeedsSignIn
        );

        a.tokens.refresh_last_used_at = Some(NOW);
        let soon = registration(&[Some(NOW + 10 * DAY)]);
        let h = account_health(&a, Some(&soon), NOW);
        assert_eq!(h.state, AccountState::ExpiringSoon);
        assert!(h.reason.contains("10 days"), "{}", h.reason);
        let gone = registration(&[Some(NOW - DAY)]);
        assert_eq!(account_health(&a, Some(&gone), NOW).state, AccountState::Failing);

        a.tokens.last_failure = Some(RefreshFailure {
            code: "AADSTS70008".into(),
            title: "The sign-in has expired".into(),
            at: NOW,
            sign_in_again: true,
        });
        let h = account_health(&a, Some(&reg), NOW);
        assert_eq!(h.state, AccountState::NeedsSignIn);
        assert!(h.reason.contains("AADSTS70008"));
        a.tokens.last_failure.as_mut().unwrap().sign_in_again = false;
        assert_eq!(account_health(&a, Some(&reg), NOW).state, AccountState::Failing);
    }

    #[test]
    fn each_threshold_is_announced_once_and_a_renewal_starts_over() {
        let mut config = ConfigFile::default();
        config
            .add_registration(registration(&[Some(NOW + 20 * DAY)]))
            .unwrap();
        let mut notices = ExpiryNotices::default();
        let at = |config: &ConfigFile, now| credentials(config, &[], now);
        assert_eq!(notices.due(&at(&config, NOW)).len(), 1, "30 days crossed");
        assert!(notices.due(&at(&config, NOW)).is_empty(), "once");
        assert!(
            notices.due(&at(&config, NOW + 5 * DAY)).is_empty(),
            "still within 30 (15 left)"
        );
        let rows = at(&config, NOW + 7 * DAY);
        let due = notices.due(&rows);
        assert_eq!(due.len(), 1, "14 days crossed");
        let (title, body) = expiry_notice(due[0]);
        assert!(title.contains("expires in 13 days"), "{title}");
        assert!(body.contains("Entra"), "{body}");
        assert_eq!(
            notices.due(&at(&config, NOW + 14 * DAY)).len(),
            1,
            "7 days crossed"
        );
        let rows = at(&config, NOW + 21 * DAY);
        let due = notices.due(&rows);
        assert!(expiry_notice(due[0]).0.contains("has expired"));
        assert!(notices.due(&at(&config, NOW + 22 * DAY)).is_empty());
        // Renewed: a new end date far away, then it nears again.
        config.registrations[0].credentials[0].expires =
            Some(OffsetDateTime::from_unix_timestamp(NOW + 100 * DAY).unwrap());
        assert!(notices.due(&at(&config, NOW + 22 * DAY)).is_empty());
        assert_eq!(notices.due(&at(&config, NOW + 75 * DAY)).len(), 1);
    }

    #[test]
    fn thresholds_are_30_14_7_and_expired() {
        let cases = [
            (None, ExpiryState::NoExpiry),
            (Some(NOW - 1), ExpiryState::Expired),
            (Some(NOW + 3 * DAY), ExpiryState::Within7),
            (Some(NOW + 7 * DAY), ExpiryState::Within7),
            (Some(NOW + 7 * DAY + 1), ExpiryState::Within14),
            (Some(NOW + 20 * DAY), ExpiryState::Within30),
            (Some(NOW + 31 * DAY), ExpiryState::Ok),
        ];
        for (expires, state) in cases {
            assert_eq!(ExpiryState::at(expires, NOW), state, "{expires:?}");
        }
    }

    #[test]
    fn credentials_are_listed_soonest_first() {
        let mut config = ConfigFile::default();
        let mut reg = registration(&[
            Some(NOW + 90 * DAY),
            None,
            Some(NOW - 2 * DAY),
            Some(NOW + 5 * DAY),
        ]);
        reg.credentials[1].kind = CredentialKind::Certificate;
        config.add_registration(reg).unwrap();
        config.add_account(account()).unwrap();
        let rows = credentials(&config, &[], NOW);
        let keys: Vec<&str> = rows.iter().map(|r| r.key_id.as_str()).collect();
        assert_eq!(keys, ["k2", "k3", "k0", "k1"]);
        assert_eq!(rows[0].days_left, Some(-2));
        assert_eq!(rows[0].state, ExpiryState::Expired);
        assert_eq!(rows[1].state, ExpiryState::Within7);
        assert_eq!(rows[3].state, ExpiryState::NoExpiry);
        assert_eq!(rows[0].accounts, ["adele"]);
    }

    #[test]
    fn directory_imports_add_rows_and_merge_the_ones_mailgrant_knows() {
        let mut config = ConfigFile::default();
        let mut reg = registration(&[Some(NOW + 90 * DAY), Some(NOW + 200 * DAY), Some(NOW + 60 * DAY)]);
        reg.credentials[1].key_id = "local-1".into();
        reg.credentials[1].hint = Some("Ab1".into());
        // Deleted in Entra: Graph does not list it.
        reg.credentials[2].key_id = "local-gone".into();
        reg.credentials[2].hint = Some("Gn0".into());
        config.add_registration(reg.clone()).unwrap();
        config.add_account(account()).unwrap();
        let mut twins = registration(&[Some(NOW + 40 * DAY)]);
        twins.id = "twins".into();
        twins.name = "Twins reg".into();
        twins.client_id = "22222222-2222-4333-8444-555555555555".parse().unwrap();
        twins.credentials[0].key_id = "local-t".into();
        twins.credentials[0].hint = Some("Tw1".into());
        config.add_registration(twins).unwrap();
        let secret = |key_id: &str, hint: &str, days: i64| Credential {
            kind: CredentialKind::Secret,
            key_id: key_id.into(),
            label: Some(format!("from Graph {key_id}")),
            hint: Some(hint.into()),
            starts: None,
            expires: Some(OffsetDateTime::from_unix_timestamp(NOW + days * DAY).unwrap()),
        };
        let import = DirectoryImport {
            id: "reg@t".into(),
            registration: "reg".into(),
            tenant_id: "t".into(),
            tenant_name: "contoso.example".into(),
            signed_in_as: None,
            app_only: true,
            imported_at: Some(NOW),
            applications: vec![
                crate::directory::DirectoryApp {
                    object_id: "o-mine".into(),
                    app_id: reg.client_id.to_string().to_uppercase(),
                    display_name: "Reg in Entra".into(),
                    // k0 by key id (Entra's date wins), local-1 by hint, and one Mailgrant lacks.
                    credentials: vec![
                        secret("K0", "Xy9", 80),
                        secret("g-77", "ab1", 200),
                        secret("g-new", "Qq3", 3),
                    ],
                },
                crate::directory::DirectoryApp {
                    object_id: "o-twins".into(),
                    app_id: "22222222-2222-4333-8444-555555555555".into(),
                    display_name: "Twins".into(),
                    // Two secrets with one hint: a hint alone cannot tell which one Mailgrant has.
                    credentials: vec![secret("t1", "Tw1", 40), secret("t2", "Tw1", 400)],
                },
                crate::directory::DirectoryApp {
                    object_id: "o-other".into(),
                    app_id: "11111111-2222-4333-8444-555555555555".into(),
                    display_name: "Payroll".into(),
                    credentials: vec![secret("p1", "Pp1", -1)],
                },
            ],
            last_failure: None,
        };
        // The same tenant read through a second registration lists it all again.
        let again = DirectoryImport {
            id: "other@t".into(),
            ..import.clone()
        };
        let rows = credentials(&config, &[import, again], NOW);
        let view: Vec<(&str, &str, CredentialSource, Option<i64>)> = rows
            .iter()
            .map(|r| (r.registration.as_str(), r.key_id.as_str(), r.source, r.days_left))
            .collect();
        assert_eq!(
            view,
            [
                ("directory:o-other", "p1", CredentialSource::Directory, Some(-1)),
                ("reg", "g-new", CredentialSource::Directory, Some(3)),
                ("twins", "t1", CredentialSource::Directory, Some(40)),
                ("twins", "local-t", CredentialSource::Mailgrant, Some(40)),
                ("reg", "local-gone", CredentialSource::Mailgrant, Some(60)),
                ("reg", "K0", CredentialSource::Both, Some(80)),
                ("reg", "g-77", CredentialSource::Both, Some(200)),
                ("twins", "t2", CredentialSource::Directory, Some(400)),
            ]
        );
        assert_eq!(rows[1].accounts, ["adele"], "Mailgrant's accounts of that app");
        assert_eq!(rows[5].accounts, ["adele"]);
        assert_eq!(rows[0].registration_name, "Payroll");
        assert_eq!(rows[0].tenant.as_deref(), Some("contoso.example"));
        assert_eq!(rows[5].label.as_deref(), Some("from Graph K0"));
        assert_eq!(
            rows[3].source,
            CredentialSource::Mailgrant,
            "Mailgrant's own, not merged on an ambiguous hint"
        );
        assert!(!rows[3].missing_in_directory, "a shared hint leaves it open");
        assert!(
            rows[4].missing_in_directory,
            "Graph's list of its app does not have it"
        );
        assert_eq!(rows[4].tenant.as_deref(), Some("contoso.example"));
        assert_eq!(rows.iter().filter(|r| r.missing_in_directory).count(), 1);
    }

    #[test]
    fn many_crossings_at_once_are_one_notification() {
        let mut config = ConfigFile::default();
        config
            .add_registration(registration(&[Some(NOW - DAY), Some(NOW + 3 * DAY)]))
            .unwrap();
        let rows = credentials(&config, &[], NOW);
        let two: Vec<&CredentialExpiry> = rows.iter().collect();
        let notices = expiry_notices(&two);
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].0, "The client secret of Reg has expired");
        assert!(notices[0].1.ends_with("add it to Mailgrant."), "{}", notices[0].1);

        let mut many = Vec::new();
        for n in 0..6 {
            let mut row = rows[n % 2].clone();
            row.registration_name = format!("App {n}");
            many.push(row);
        }
        let refs: Vec<&CredentialExpiry> = many.iter().collect();
        let notices = expiry_notices(&refs);
        assert_eq!(notices.len(), 1);
        assert_eq!(
            notices[0].0,
            "6 client secrets and certificates need attention (3 expired)"
        );
        assert!(
            notices[0].1.starts_with("App 0, App 1, App 2 and 3 more."),
            "{}",
            notices[0].1
        );
    }

    #[test]
    fn the_csv_export_defuses_formulas_and_quotes_what_needs_it() {
        assert_eq!(csv_field("Contoso mail"), "Contoso mail");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for (text, safe) in [
            ("+1+1", "'+1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tcmd", "'\tcmd"),
            ("-3e2", "'-3e2"),
        ] {
            assert_eq!(csv_field(text), safe);
        }
        for number in ["-3", "-3.5", "42"] {
            assert_eq!(csv_field(number), number);
        }
        assert_eq!(csv_field("cr\rhere"), "\"'cr\rhere\"".replace('\'', ""));
    }
}
