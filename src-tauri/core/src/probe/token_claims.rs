//! The token layer: what an access token says about itself, read WITHOUT validating it (Microsoft's access tokens
//! are for the resource to check, and Graph's are not even meant to be read: microsoft-identity.md §5). A JWT's
//! middle part is base64url JSON; personal-account tokens (`EwB…`) are opaque and can't be inspected.
//!
//! The findings predict a refusal (wrong resource, missing permission, another user, expired) but the server has
//! the last word, so the probe goes on to AUTH and uses a finding only to explain a refusal.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;

use super::Protocol;

/// The resource a token is for, from its `aud`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Audience {
    /// Exchange Online (`https://outlook.office.com`, `https://outlook.office365.com`, …): IMAP, POP, SMTP.
    Outlook,
    /// Microsoft Graph.
    Graph,
    /// Something else (an API of the app's own, a custom cloud).
    Other,
}

/// Exchange Online's and Graph's application ids, which some tokens carry as `aud` instead of a URI.
const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";
const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";

impl Audience {
    fn classify(aud: &str) -> Audience {
        let aud = aud.to_ascii_lowercase();
        if aud == GRAPH_APP_ID || aud.contains("graph.") || aud.contains("microsoftgraph.") {
            Audience::Graph
        } else if aud == EXCHANGE_APP_ID || aud.contains("outlook") {
            Audience::Outlook
        } else {
            Audience::Other
        }
    }

    fn label(self) -> &'static str {
        match self {
            Audience::Outlook => "Outlook (Exchange Online)",
            Audience::Graph => "Microsoft Graph",
            Audience::Other => "another resource",
        }
    }
}

/// Something about the token that will likely make the server refuse it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum TokenFinding {
    /// `exp` is in the past.
    #[serde(rename_all = "camelCase")]
    Expired {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        expired_at: i64,
    },
    /// The token is for another resource than the protocol needs (a Graph token used for IMAP…).
    #[serde(rename_all = "camelCase")]
    WrongAudience {
        audience: String,
        is_for: Audience,
        needed: Audience,
    },
    /// None of the permissions the protocol accepts is in `scp` (delegated) or `roles` (app-only).
    #[serde(rename_all = "camelCase")]
    MissingPermission { needed: Vec<String>, app_only: bool },
    /// The token's user is not the mailbox (nor, for a shared mailbox, the account acting on it).
    #[serde(rename_all = "camelCase")]
    OtherUser { token_user: String, mailbox: String },
}

impl TokenFinding {
    /// The finding in plain words.
    pub fn describe(&self) -> String {
        match self {
            TokenFinding::Expired { expired_at } => {
                let ago = now_unix().saturating_sub(*expired_at);
                format!("it expired {} ago", human_duration(ago))
            }
            TokenFinding::WrongAudience {
                audience, is_for, needed, ..
            } => format!(
                "it is for {} (aud {audience}), but this check needs a token for {}",
                is_for.label(),
                needed.label()
            ),
            TokenFinding::MissingPermission { needed, app_only } => format!(
                "it carries none of the {} this needs: {}",
                if *app_only { "application permissions (roles)" } else { "permissions (scopes)" },
                needed.join(" or ")
            ),
            TokenFinding::OtherUser { token_user, mailbox } => format!(
                "it belongs to {token_user}, not to {mailbox} (fine only if {mailbox} is an alias of {token_user})"
            ),
        }
    }
}

/// What the token layer learned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TokenInsight {
    /// False for opaque tokens (personal Microsoft accounts' `EwB…`), which can't be inspected.
    pub inspectable: bool,
    pub audience: Option<String>,
    pub audience_kind: Option<Audience>,
    /// Delegated permissions (`scp`), short names.
    pub scopes: Vec<String>,
    /// Application permissions (`roles`).
    pub roles: Vec<String>,
    /// `upn`, `preferred_username`, `unique_name` or `email`, whichever comes first.
    pub user: Option<String>,
    /// The app the token was issued to (`appid` / `azp`).
    pub app_id: Option<String>,
    pub tenant_id: Option<String>,
    /// `exp`, unix seconds.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub expires_at: Option<i64>,
    /// An app-only token (client credentials): roles and no user.
    pub app_only: bool,
    pub findings: Vec<TokenFinding>,
}

impl TokenInsight {
    /// One line for the layer report.
    pub fn summary(&self) -> String {
        if !self.inspectable {
            return "opaque token (a personal Microsoft account's): it can't be inspected, the server will judge it"
                .to_owned();
        }
        let mut parts = Vec::new();
        match (&self.audience_kind, &self.audience) {
            (Some(kind), Some(aud)) => parts.push(format!("for {} ({aud})", kind.label())),
            _ => parts.push("no audience".to_owned()),
        }
        if self.app_only {
            parts.push(format!(
                "app-only, app {}",
                self.app_id.as_deref().unwrap_or("unknown")
            ));
        } else if let Some(user) = &self.user {
            parts.push(format!("user {user}"));
        }
        if !self.scopes.is_empty() {
            parts.push(format!("scopes {}", self.scopes.join(" ")));
        }
        if !self.roles.is_empty() {
            parts.push(format!("roles {}", self.roles.join(" ")));
        }
        if let Some(exp) = self.expires_at {
            let left = exp - now_unix();
            if left >= 0 {
                parts.push(format!("expires in {}", human_duration(left)));
            }
        }
        let mut line = parts.join(", ");
        for finding in &self.findings {
            line.push_str("; ");
            line.push_str(&finding.describe());
        }
        line
    }
}

/// What the probe needs from the token.
pub(crate) struct Expectation<'a> {
    pub protocol: Protocol,
    /// The account that signed in (whose token this should be).
    pub account: &'a str,
    /// The shared mailbox it acts on, if any.
    pub shared_mailbox: Option<&'a str>,
    /// Whether the probe will also send (Graph: Mail.Send).
    pub sends: bool,
}

impl Expectation<'_> {
    fn audience(&self) -> Audience {
        match self.protocol {
            Protocol::Graph => Audience::Graph,
            Protocol::Imap | Protocol::Pop | Protocol::Smtp => Audience::Outlook,
        }
    }

    /// Each group: the permissions any one of which is enough.
    fn needed(&self, app_only: bool) -> Vec<Vec<&'static str>> {
        let shared = self.shared_mailbox.is_some();
        match (self.protocol, app_only) {
            (Protocol::Imap, false) => vec![vec!["IMAP.AccessAsUser.All"]],
            (Protocol::Imap, true) => vec![vec!["IMAP.AccessAsApp"]],
            (Protocol::Pop, false) => vec![vec!["POP.AccessAsUser.All"]],
            (Protocol::Pop, true) => vec![vec!["POP.AccessAsApp"]],
            (Protocol::Smtp, false) => vec![vec!["SMTP.Send"]],
            (Protocol::Smtp, true) => vec![vec!["SMTP.SendAsApp"]],
            (Protocol::Graph, false) => {
                let mut groups = vec![vec![
                    "User.Read",
                    "User.ReadWrite",
                    "User.ReadBasic.All",
                    "User.Read.All",
                ]];
                // Microsoft wants the `.Shared` forms for another user's mailbox; the plain ones are accepted here
                // too, so a delegate's ordinary token is not flagged before Graph has had its say.
                let mut read = vec!["Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite"];
                let mut send = vec!["Mail.Send"];
                if shared {
                    read.extend(["Mail.Read.Shared", "Mail.ReadWrite.Shared"]);
                    send.push("Mail.Send.Shared");
                }
                groups.push(read);
                if self.sends {
                    groups.push(send);
                }
                groups
            }
            (Protocol::Graph, true) => {
                let mut groups = vec![vec!["Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"]];
                if self.sends {
                    groups.push(vec!["Mail.Send"]);
                }
                groups
            }
        }
    }
}

/// Reads `token` and checks it against what the probe needs.
pub(crate) fn inspect(token: &str, expect: &Expectation<'_>) -> TokenInsight {
    let Some(claims) = claims(token) else {
        return TokenInsight {
            inspectable: false,
            audience: None,
            audience_kind: None,
            scopes: Vec::new(),
            roles: Vec::new(),
            user: None,
            app_id: None,
            tenant_id: None,
            expires_at: None,
            app_only: false,
            findings: Vec::new(),
        };
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let audience = match claims.get("aud") {
        Some(Value::String(aud)) => Some(aud.clone()),
        Some(Value::Array(list)) => list.iter().find_map(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let scopes: Vec<String> = text("scp")
        .map(|scp| scp.split_whitespace().map(short_name).collect())
        .unwrap_or_default();
    let roles: Vec<String> = match claims.get("roles") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(short_name).collect(),
        Some(Value::String(role)) => vec![short_name(role)],
        _ => Vec::new(),
    };
    let user = ["upn", "preferred_username", "unique_name", "email"]
        .iter()
        .find_map(|name| text(name));
    let app_only = user.is_none() && scopes.is_empty() && !roles.is_empty();
    let expires_at = claims.get("exp").and_then(Value::as_i64);
    let audience_kind = audience.as_deref().map(Audience::classify);

    let mut findings = Vec::new();
    if let Some(expired_at) = expires_at.filter(|exp| *exp <= now_unix()) {
        findings.push(TokenFinding::Expired { expired_at });
    }
    let needed_audience = expect.audience();
    let right_resource = match (&audience, audience_kind) {
        (Some(aud), Some(kind)) if kind != needed_audience && kind != Audience::Other => {
            findings.push(TokenFinding::WrongAudience {
                audience: aud.clone(),
                is_for: kind,
                needed: needed_audience,
            });
            false
        }
        _ => true,
    };
    // Permissions only make sense to check on a token for the right resource.
    if right_resource {
        let held = if app_only { &roles } else { &scopes };
        for group in expect.needed(app_only) {
            let has = group
                .iter()
                .any(|needed| held.iter().any(|h| h.eq_ignore_ascii_case(needed)));
            if !has {
                findings.push(TokenFinding::MissingPermission {
                    needed: group.iter().map(|s| (*s).to_owned()).collect(),
                    app_only,
                });
            }
        }
    }
    if let Some(token_user) = &user {
        let mailbox = expect.shared_mailbox.unwrap_or(expect.account);
        let same = |a: &str| a.eq_ignore_ascii_case(token_user);
        let fits = same(expect.account) || expect.shared_mailbox.is_some_and(same);
        if !fits {
            findings.push(TokenFinding::OtherUser {
                token_user: token_user.clone(),
                mailbox: if expect.shared_mailbox.is_some() {
                    expect.account.to_owned()
                } else {
                    mailbox.to_owned()
                },
            });
        }
    }
    TokenInsight {
        inspectable: true,
        audience,
        audience_kind,
        scopes,
        roles,
        user,
        app_id: text("appid").or_else(|| text("azp")),
        tenant_id: text("tid"),
        expires_at,
        app_only,
        findings,
    }
}

/// The payload of a JWS compact token, or `None` for anything else (opaque tokens, JWE).
fn claims(token: &str) -> Option<serde_json::Map<String, Value>> {
    let mut parts = token.trim().split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(payload))
        .ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// `https://outlook.office.com/IMAP.AccessAsUser.All` → `IMAP.AccessAsUser.All`.
fn short_name(scope: &str) -> String {
    scope.rsplit('/').next().unwrap_or(scope).to_owned()
}

pub(crate) fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn human_duration(seconds: i64) -> String {
    match seconds {
        s if s < 120 => format!("{s} s"),
        s if s < 7200 => format!("{} min", s / 60),
        s if s < 172_800 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &Value) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        format!("{header}.{payload}.c2lnbmF0dXJl")
    }

    fn expect(protocol: Protocol) -> Expectation<'static> {
        Expectation {
            protocol,
            account: "adele@contoso.example",
            shared_mailbox: None,
            sends: false,
        }
    }

    fn outlook(user: &str, scp: &str, exp_in: i64) -> String {
        jwt(&serde_json::json!({
            "aud": "https://outlook.office.com", "upn": user, "scp": scp,
            "appid": "8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e", "tid": "t", "exp": now_unix() + exp_in,
        }))
    }

    #[test]
    fn a_right_token_has_no_findings_and_is_summarised() {
        let insight = inspect(
            &outlook("Adele@contoso.example", "IMAP.AccessAsUser.All SMTP.Send", 3600),
            &expect(Protocol::Imap),
        );
        assert!(insight.inspectable);
        assert_eq!(insight.findings, vec![]);
        assert_eq!(insight.audience_kind, Some(Audience::Outlook));
        assert_eq!(insight.user.as_deref(), Some("Adele@contoso.example"));
        let summary = insight.summary();
        assert!(summary.contains("user Adele@contoso.example"), "{summary}");
        assert!(
            summary.contains("scopes IMAP.AccessAsUser.All SMTP.Send"),
            "{summary}"
        );
        assert!(
            summary.contains("expires in 59 min") || summary.contains("expires in 60 min"),
            "{summary}"
        );
    }

    #[test]
    fn each_problem_is_found() {
        let expired = inspect(
            &outlook("adele@contoso.example", "IMAP.AccessAsUser.All", -60),
            &expect(Protocol::Imap),
        );
        assert!(
            matches!(expired.findings[..], [TokenFinding::Expired { .. }]),
            "{expired:?}"
        );
        assert!(expired.summary().contains("expired"), "{}", expired.summary());

        let scope = inspect(
            &outlook("adele@contoso.example", "IMAP.AccessAsUser.All", 60),
            &expect(Protocol::Pop),
        );
        assert_eq!(
            scope.findings,
            vec![TokenFinding::MissingPermission {
                needed: vec!["POP.AccessAsUser.All".into()],
                app_only: false
            }]
        );

        let graph = jwt(
            &serde_json::json!({"aud": GRAPH_APP_ID, "upn": "adele@contoso.example", "scp": "Mail.Read User.Read", "exp": now_unix() + 60}),
        );
        let wrong = inspect(&graph, &expect(Protocol::Smtp));
        assert!(
            matches!(
                &wrong.findings[..],
                [TokenFinding::WrongAudience {
                    is_for: Audience::Graph,
                    needed: Audience::Outlook,
                    ..
                }]
            ),
            "{wrong:?}"
        );
        assert!(wrong.findings[0].describe().contains("Microsoft Graph"));
        assert_eq!(inspect(&graph, &expect(Protocol::Graph)).findings, vec![]);

        let megan = inspect(
            &outlook("megan@contoso.example", "SMTP.Send", 60),
            &expect(Protocol::Smtp),
        );
        assert_eq!(
            megan.findings,
            vec![TokenFinding::OtherUser {
                token_user: "megan@contoso.example".into(),
                mailbox: "adele@contoso.example".into()
            }]
        );
    }

    #[test]
    fn a_delegate_may_open_a_shared_mailbox_and_an_app_only_token_has_no_user() {
        let shared = Expectation {
            protocol: Protocol::Imap,
            account: "adele@contoso.example",
            shared_mailbox: Some("sales@contoso.example"),
            sends: false,
        };
        let delegate = inspect(
            &outlook("adele@contoso.example", "IMAP.AccessAsUser.All", 60),
            &shared,
        );
        assert_eq!(delegate.findings, vec![]);
        let stranger = inspect(
            &outlook("megan@contoso.example", "IMAP.AccessAsUser.All", 60),
            &shared,
        );
        assert!(matches!(&stranger.findings[..], [TokenFinding::OtherUser { .. }]));

        let app = jwt(
            &serde_json::json!({"aud": "https://outlook.office365.com", "roles": ["IMAP.AccessAsApp"], "appid": "app", "exp": now_unix() + 60}),
        );
        let insight = inspect(&app, &shared);
        assert!(insight.app_only);
        assert_eq!(insight.findings, vec![]);
        assert!(
            insight.summary().contains("app-only, app app"),
            "{}",
            insight.summary()
        );
        let pop = inspect(
            &app,
            &Expectation {
                protocol: Protocol::Pop,
                ..shared
            },
        );
        assert_eq!(
            pop.findings,
            vec![TokenFinding::MissingPermission {
                needed: vec!["POP.AccessAsApp".into()],
                app_only: true
            }]
        );
    }

    #[test]
    fn opaque_tokens_are_not_failed() {
        for token in [
            "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA",
            "a.b.c.d.e",
            "x.!!!.y",
            "not-a-token",
        ] {
            let insight = inspect(token, &expect(Protocol::Imap));
            assert!(!insight.inspectable, "{token}");
            assert!(insight.findings.is_empty());
            assert!(insight.summary().starts_with("opaque"), "{}", insight.summary());
        }
    }

    #[test]
    fn graph_needs_mail_and_profile_permissions() {
        let token = jwt(
            &serde_json::json!({"aud": "https://graph.microsoft.com", "upn": "adele@contoso.example", "scp": "Mail.ReadWrite", "exp": now_unix() + 60}),
        );
        let sends = Expectation {
            sends: true,
            ..expect(Protocol::Graph)
        };
        let found = inspect(&token, &sends).findings;
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            matches!(&found[0], TokenFinding::MissingPermission { needed, .. } if needed[0] == "User.Read")
        );
        assert!(
            matches!(&found[1], TokenFinding::MissingPermission { needed, .. } if needed == &["Mail.Send"])
        );
    }
}
