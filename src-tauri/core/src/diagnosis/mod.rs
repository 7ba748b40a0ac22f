//! Every failure Mailgrant meets becomes one [`Diagnosis`]: a code, a plain title and explanation, who fixes it,
//! the steps in order, the right portal links, whether waiting may help, and Microsoft's raw detail (AADSTS code,
//! trace and correlation id) for the "details" disclosure.
//!
//! The texts are data, in one place, so the CLI (`mailgrant explain`), the wizard and the dashboard say the same
//! thing:
//! - [`aadsts`]: the identity platform's AADSTS codes, and a generic answer per OAuth `error` for the rest;
//! - [`mail`]: what IMAP, POP and SMTP servers reply (Exchange Online's texts, and Dovecot's and Postfix's);
//! - [`graph`]: Microsoft Graph's JSON errors;
//! - [`transport`]: DNS, TCP, TLS and timeouts, including the classification of a `reqwest::Error`;
//! - [`identity`]: reading the identity platform's error JSON and error redirects (and what is not JSON).

pub mod aadsts;
pub mod graph;
pub mod identity;
mod links;
pub mod mail;
pub mod transport;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use mail::{MailContext, MailProtocol};

/// One failure, explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Diagnosis {
    /// A stable code: `AADSTS7000215`, `SMTP 5.7.139`, `IMAP_NOT_CONNECTED`, `TIMEOUT`, `TLS_CERTIFICATE`, `DNS`,
    /// `HTML_INSTEAD_OF_JSON`, `AADSTS_UNKNOWN`, a Graph error code, …
    pub code: String,
    /// Short and plain: "The client secret is wrong".
    pub title: String,
    /// What happened, in plain words for someone who is not technical.
    pub explanation: String,
    /// Who can fix it.
    pub fixer: Fixer,
    /// What to do, in order.
    pub steps: Vec<String>,
    /// The portal pages that go with the steps.
    pub links: Vec<Link>,
    /// Whether trying again later may succeed by itself.
    pub retryable: bool,
    /// What the server actually said.
    pub raw: RawDetail,
    /// What fixes it, as the wizard offers it next to the diagnosis.
    #[serde(default)]
    pub remedy: Remedy,
}

/// What fixes a failure: signing in again (with consent), correcting a value pasted from Entra, changing the app
/// registration, the organisation's admin, or trying again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Remedy {
    /// Consent is missing, was refused or revoked: sign in again (an admin may have to approve first).
    SignInAgain,
    /// A value copied from Entra is wrong: the client ID, the tenant, or the secret's Value.
    CorrectPastedValue,
    /// The app registration needs a change in Entra.
    ReviewRegistration,
    /// The organisation's Microsoft 365 administrator must act.
    AskAdmin,
    /// Nothing to change here: try again (later).
    #[default]
    TryAgain,
}

impl Remedy {
    /// Consent: no consent yet, refused, an admin's needed, or not assigned to the user.
    const CONSENT: [&'static str; 5] = [
        "AADSTS65001",
        "AADSTS65004",
        "AADSTS50105",
        "AADSTS90094",
        "AADSTS70000",
    ];
    /// Values pasted into the wizard: the Secret ID instead of its Value, an expired secret, no secret for a Web
    /// app, no app with this client ID, no such tenant, a single-tenant app signed in through "common".
    const PASTED: [&'static str; 6] = [
        "AADSTS7000215",
        "AADSTS7000222",
        "AADSTS7000218",
        "AADSTS700016",
        "AADSTS90002",
        "AADSTS50194",
    ];

    /// The remedy for a diagnosis with `code`, fixed by `fixer`, whose OAuth error was `error`.
    pub fn of(code: &str, fixer: Fixer, error: Option<&str>) -> Remedy {
        if Self::CONSENT.contains(&code) || error == Some("consent_required") {
            Remedy::SignInAgain
        } else if Self::PASTED.contains(&code) {
            Remedy::CorrectPastedValue
        } else {
            match fixer {
                Fixer::AppOwner => Remedy::ReviewRegistration,
                Fixer::ItAdmin => Remedy::AskAdmin,
                Fixer::You | Fixer::Microsoft => Remedy::TryAgain,
            }
        }
    }
}

/// Who fixes a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Fixer {
    /// The person using Mailgrant.
    You,
    /// The organisation's Microsoft 365 / Entra administrator.
    ItAdmin,
    /// Whoever manages the app registration in Entra (often the same person as the user or the IT admin).
    AppOwner,
    /// Nobody here: the service is having trouble; try again later.
    Microsoft,
}

impl Fixer {
    /// Who, as the end of a sentence ("fix: …").
    pub fn label(self) -> &'static str {
        match self {
            Fixer::You => "you",
            Fixer::ItAdmin => "your IT admin",
            Fixer::AppOwner => "the app registration's owner",
            Fixer::Microsoft => "Microsoft (try again later)",
        }
    }

    /// Who, spelled out for a sentence of its own.
    pub fn description(self) -> &'static str {
        match self {
            Fixer::You => "You can fix this yourself.",
            Fixer::ItAdmin => {
                "Your IT admin (whoever manages Microsoft 365 for your organisation) has to fix this."
            }
            Fixer::AppOwner => "Whoever manages the app registration in Microsoft Entra has to fix this.",
            Fixer::Microsoft => {
                "The problem is on the service's side: nobody here can fix it, but it usually \
                                 passes. Try again later."
            }
        }
    }
}

impl fmt::Display for Fixer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A page to open: a portal blade, a settings page, a help article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// What the server said, kept as data for the "details" disclosure and for support requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RawDetail {
    /// The AADSTS number (`error_codes[0]`, or the `AADSTSnnnn:` prefix of the description).
    pub aadsts: Option<u32>,
    /// OAuth's `error` (`invalid_client`, …) or Graph's `error.code`.
    pub error: Option<String>,
    /// OAuth's `error_description` or Graph's `error.message`, unchanged.
    pub error_description: Option<String>,
    /// The identity platform's `trace_id`, or Graph's `request-id`.
    pub trace_id: Option<String>,
    /// The identity platform's `correlation_id`, or Graph's `client-request-id`.
    pub correlation_id: Option<String>,
    /// As the server wrote it (`2016-01-09 02:02:12Z`, or Graph's ISO 8601 `date`).
    pub timestamp: Option<String>,
    pub http_status: Option<u16>,
    /// A mail server's reply, a short excerpt of a body that was not what was expected, or a network error's
    /// text.
    pub server_reply: Option<String>,
}

impl Diagnosis {
    /// A diagnosis of your own (for failures this module has no catalogue entry for). Add steps, links and raw
    /// detail with the `with_*` methods.
    pub fn new(
        code: impl Into<String>,
        title: impl Into<String>,
        explanation: impl Into<String>,
        fixer: Fixer,
    ) -> Self {
        let code = code.into();
        Self {
            remedy: Remedy::of(&code, fixer, None),
            code,
            title: title.into(),
            explanation: explanation.into(),
            fixer,
            steps: Vec::new(),
            links: Vec::new(),
            retryable: false,
            raw: RawDetail::default(),
        }
    }

    pub fn with_step(mut self, step: impl Into<String>) -> Self {
        self.steps.push(step.into());
        self
    }

    pub fn with_link(mut self, label: impl Into<String>, url: impl Into<String>) -> Self {
        self.links.push(Link {
            label: label.into(),
            url: url.into(),
        });
        self
    }

    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }

    /// The server's answer; consent it says is required makes the remedy signing in again.
    pub fn with_raw(mut self, raw: RawDetail) -> Self {
        self.remedy = Remedy::of(&self.code, self.fixer, raw.error.as_deref());
        self.raw = raw;
        self
    }

    /// One line for logs and the CLI: `AADSTS7000215: The client secret is wrong (fix: the app registration's
    /// owner)`.
    pub fn summary(&self) -> String {
        format!("{}: {} (fix: {})", self.code, self.title, self.fixer.label())
    }
}

/// `{}` is [`Diagnosis::summary`]; `{:#}` is the whole report (explanation, who fixes it, steps, links and the
/// raw detail), as `mailgrant explain` prints it.
impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !f.alternate() {
            return f.write_str(&self.summary());
        }
        writeln!(f, "{}: {}", self.code, self.title)?;
        writeln!(f)?;
        writeln!(f, "{}", self.explanation)?;
        writeln!(f)?;
        writeln!(f, "{}", self.fixer.description())?;
        if !self.steps.is_empty() {
            writeln!(f)?;
            writeln!(f, "What to do:")?;
            for (n, step) in self.steps.iter().enumerate() {
                writeln!(f, "  {}. {step}", n + 1)?;
            }
        }
        if !self.links.is_empty() {
            writeln!(f)?;
            writeln!(f, "Links:")?;
            for link in &self.links {
                writeln!(f, "  - {}: {}", link.label, link.url)?;
            }
        }
        if self.retryable {
            writeln!(f)?;
            writeln!(f, "Trying again later may work without changing anything.")?;
        }
        let details = self.raw.lines();
        if !details.is_empty() {
            writeln!(f)?;
            writeln!(f, "Details:")?;
            for (label, value) in details {
                writeln!(f, "  {label}: {value}")?;
            }
        }
        Ok(())
    }
}

impl RawDetail {
    /// The fields that are set, labelled, in a fixed order (for the CLI and for "copy details").
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(code) = self.aadsts {
            out.push(("AADSTS code", code.to_string()));
        }
        if let Some(status) = self.http_status {
            out.push(("HTTP status", status.to_string()));
        }
        let texts = [
            ("Error", &self.error),
            ("Description", &self.error_description),
            ("Trace ID", &self.trace_id),
            ("Correlation ID", &self.correlation_id),
            ("Timestamp", &self.timestamp),
            ("Server said", &self.server_reply),
        ];
        for (label, value) in texts {
            if let Some(value) = value {
                out.push((label, value.clone()));
            }
        }
        out
    }
}

/// The plain-language meaning of a code, for `mailgrant explain`. Accepts `AADSTS7000215`, `aadsts7000215:`,
/// `7000215`, `5.7.139`, `535 5.7.139`, `SMTP 5.7.139`, the named codes (`IMAP_NOT_CONNECTED`, `TIMEOUT`, `DNS`,
/// `HTML_INSTEAD_OF_JSON`, …) and Graph's error codes (`ErrorAccessDenied`), case-insensitively. `None` when the
/// code is not in the catalogue.
pub fn explain(code: &str) -> Option<Diagnosis> {
    let trimmed = code.trim().trim_end_matches([':', '.']).trim();
    if trimmed.is_empty() {
        return None;
    }
    let upper = trimmed.to_ascii_uppercase();
    let bare = upper.strip_prefix("AADSTS").map(str::trim).unwrap_or(&upper);
    if !bare.is_empty() && bare.chars().all(|c| c.is_ascii_digit()) {
        return bare.parse().ok().and_then(aadsts::explain);
    }
    if let Some(enhanced) = mail::enhanced_status(&upper) {
        return mail::explain_smtp(&enhanced);
    }
    mail::explain_named(&upper)
        .or_else(|| transport::explain(&upper))
        .or_else(|| identity::explain(&upper))
        .or_else(|| graph::explain(trimmed))
}

/// A catalogue entry's fixed texts. `{name}` placeholders in the title, explanation and steps are filled in by
/// [`Text::render`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text {
    pub title: &'static str,
    pub explanation: &'static str,
    pub fixer: Fixer,
    pub steps: &'static [&'static str],
    pub links: &'static [links::L],
    pub retryable: bool,
}

/// The first step for trouble on Microsoft's side.
pub(crate) const WAIT_A_FEW_MINUTES: &str = "Wait a few minutes and try again.";
/// The second, when the trouble lasts.
pub(crate) const CHECK_SERVICE_STATUS: &str = "If it lasts, check Microsoft's service status page.";

impl Text {
    /// Trouble on Microsoft's side that usually passes by itself: Microsoft fixes it, trying again later may
    /// work, and Microsoft's service status page may say more.
    pub(crate) const fn microsoft_trouble(
        title: &'static str,
        explanation: &'static str,
        steps: &'static [&'static str],
    ) -> Text {
        Text {
            title,
            explanation,
            fixer: Fixer::Microsoft,
            steps,
            links: &[links::SERVICE_STATUS],
            retryable: true,
        }
    }

    /// The diagnosis with `code`, its placeholders replaced by `vars` (`("mailbox", "anna@contoso.com")` fills
    /// `{mailbox}`).
    pub(crate) fn render(&self, code: impl Into<String>, vars: &[(&str, &str)]) -> Diagnosis {
        let code = code.into();
        Diagnosis {
            remedy: Remedy::of(&code, self.fixer, None),
            code,
            title: fill(self.title, vars),
            explanation: fill(self.explanation, vars),
            fixer: self.fixer,
            steps: self.steps.iter().map(|s| fill(s, vars)).collect(),
            links: self.links.iter().map(|l| l.to_link()).collect(),
            retryable: self.retryable,
            raw: RawDetail::default(),
        }
    }
}

/// Replaces each `{name}` of `vars` in `template`.
pub(crate) fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// At most `max` characters of `text` (on a character boundary), with `…` when cut.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_owned(),
    }
}

/// `text` with runs of whitespace (newlines included) made single spaces.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_display() {
        let d = explain("AADSTS7000215").expect("catalogued");
        assert_eq!(
            d.summary(),
            "AADSTS7000215: The client secret is wrong (fix: the app registration's owner)"
        );
        assert_eq!(d.to_string(), d.summary());
        let full = format!("{d:#}");
        assert!(
            full.starts_with("AADSTS7000215: The client secret is wrong\n"),
            "{full}"
        );
        assert!(full.contains("What to do:\n  1. "), "{full}");
        assert!(full.contains("https://entra.microsoft.com"), "{full}");
        assert!(full.contains("AADSTS code: 7000215"), "{full}");
    }

    #[test]
    fn serde_round_trip_uses_camel_case_and_kebab_case() {
        let mut d = explain("7000215").expect("catalogued");
        d.raw.trace_id = Some("t-1".into());
        d.raw.correlation_id = Some("c-1".into());
        d.raw.http_status = Some(401);
        d.raw.error_description = Some("AADSTS7000215: Invalid client secret provided.".into());
        d.raw.server_reply = Some("x".into());
        let json = serde_json::to_value(&d).expect("serializes");
        assert_eq!(json["fixer"], "app-owner");
        assert_eq!(json["raw"]["traceId"], "t-1");
        assert_eq!(json["raw"]["correlationId"], "c-1");
        assert_eq!(json["raw"]["httpStatus"], 401);
        assert_eq!(
            json["raw"]["errorDescription"],
            "AADSTS7000215: Invalid client secret provided."
        );
        assert_eq!(json["raw"]["serverReply"], "x");
        assert_eq!(json["raw"]["aadsts"], 7000215);
        assert_eq!(json["retryable"], false);
        assert!(json["links"][0]["label"].is_string() && json["links"][0]["url"].is_string());
        let back: Diagnosis = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, d);

        for (fixer, name) in [
            (Fixer::You, "you"),
            (Fixer::ItAdmin, "it-admin"),
            (Fixer::AppOwner, "app-owner"),
            (Fixer::Microsoft, "microsoft"),
        ] {
            assert_eq!(serde_json::to_value(fixer).expect("serializes"), name);
        }
        // A raw detail missing fields (an older or newer shape) still reads.
        let partial: RawDetail = serde_json::from_str(r#"{"aadsts":50011}"#).expect("deserializes");
        assert_eq!(partial.aadsts, Some(50011));
    }

    #[test]
    fn explain_accepts_every_spelling() {
        for spelling in [
            "AADSTS7000215",
            "aadsts7000215",
            "AADSTS7000215:",
            "7000215",
            " 7000215 ",
        ] {
            assert_eq!(
                explain(spelling).map(|d| d.code),
                Some("AADSTS7000215".into()),
                "{spelling}"
            );
        }
        for spelling in ["5.7.139", "535 5.7.139", "SMTP 5.7.139", "smtp 5.7.139"] {
            assert_eq!(
                explain(spelling).map(|d| d.code),
                Some("SMTP 5.7.139".into()),
                "{spelling}"
            );
        }
        for named in [
            "IMAP_NOT_CONNECTED",
            "imap_not_connected",
            "POP_NOT_CONNECTED",
            "TIMEOUT",
            "DNS",
        ] {
            assert_eq!(
                explain(named).map(|d| d.code),
                Some(named.to_ascii_uppercase()),
                "{named}"
            );
        }
        for named in [
            "TLS_CERTIFICATE",
            "HTML_INSTEAD_OF_JSON",
            "EMPTY_RESPONSE",
            "CONNECTION_REFUSED",
        ] {
            assert_eq!(explain(named).map(|d| d.code), Some(named.into()), "{named}");
        }
        assert_eq!(
            explain("erroraccessdenied").map(|d| d.code),
            Some("ErrorAccessDenied".into())
        );
        assert_eq!(explain("5.2.252").map(|d| d.fixer), Some(Fixer::You));
        assert!(explain("AADSTS1").is_none());
        assert!(explain("").is_none());
        assert!(explain("not a code").is_none());
    }

    #[test]
    fn excerpts_cut_on_character_boundaries() {
        assert_eq!(excerpt("ééééé", 3), "ééé…");
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(one_line(" a \r\n b\tc "), "a b c");
        assert_eq!(
            fill("Set-CASMailbox -Identity {mailbox}", &[("mailbox", "a@b.c")]),
            "Set-CASMailbox -Identity a@b.c"
        );
    }
}
