//! Microsoft Graph's errors: `{"error":{"code","message","innerError":{"date","request-id",
//! "client-request-id"}}}`, with throttling (429 + `Retry-After`) and service trouble (5xx) by status.

use serde_json::Value;

use super::links;
use super::{excerpt, identity, one_line, Diagnosis, Fixer, RawDetail, Text, CHECK_SERVICE_STATUS};

/// One catalogued Graph error: its codes (compared case-insensitively) and, optionally, a word its message must
/// contain (for codes whose meaning depends on the message).
struct Entry {
    codes: &'static [&'static str],
    message_contains: Option<&'static str>,
    text: Text,
}

const MAIL_PERMISSIONS: &str = "In the Microsoft Entra admin center open App registrations › your app › API \
    permissions › Add a permission › Microsoft Graph. For an account that signs in: Delegated permissions › \
    Mail.ReadWrite and Mail.Send. For app-only access: Application permissions › Mail.ReadWrite and Mail.Send, then \
    Grant admin consent.";

static CATALOGUE: &[Entry] = &[
    Entry {
        codes: &["InvalidAuthenticationToken"],
        message_contains: Some("audience"),
        text: Text {
            title: "Microsoft Graph got a token meant for another service",
            explanation: "Microsoft issues a separate token for each service. Graph received one made for another \
                          service (for example the Outlook token used for IMAP, POP and SMTP), so it refused it.",
            fixer: Fixer::You,
            steps: &[
                "In Mailgrant, make sure the account has a Graph service turned on (Graph read or Graph send), so \
                 Mailgrant fetches a Graph token, and sign in again if it asks.",
                "If a script of yours passes the token on, ask Mailgrant for the Graph token, not the Outlook one.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &["InvalidAuthenticationToken"],
        message_contains: Some("expired"),
        text: Text {
            title: "The access token has expired",
            explanation: "Access tokens last about an hour. Graph received one that is past its time, or not valid \
                          yet according to Microsoft's clock.",
            fixer: Fixer::You,
            steps: &[
                "Try again: Mailgrant fetches a fresh token when the old one runs out.",
                "If it keeps happening, check that this computer sets its date and time automatically.",
                "If it still fails, sign the account in again.",
            ],
            links: &[],
            retryable: true,
        },
    },
    Entry {
        codes: &["InvalidAuthenticationToken"],
        message_contains: None,
        text: Text {
            title: "Microsoft Graph didn't accept the access token",
            explanation: "Graph refused the token Mailgrant sent: it was missing, damaged, expired, or made for \
                          another service.",
            fixer: Fixer::You,
            steps: &[
                "Try again: Mailgrant fetches a fresh token when needed.",
                "In Mailgrant, make sure the account has a Graph service turned on (Graph read or Graph send).",
                "If it still fails, sign the account in again.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &["ErrorAccessDenied", "AccessDenied", "ErrorAccessDeniedForUser"],
        message_contains: None,
        text: Text {
            title: "Microsoft Graph refused access to the mailbox",
            explanation: "The token is valid, but it doesn't allow this. Usually the app registration lacks the mail \
                          permissions (or they weren't in the token because you signed in before they were \
                          added), the mailbox is someone else's or a shared one the account has no rights to, or \
                          the organisation limits which mailboxes an app-only app may open.",
            fixer: Fixer::AppOwner,
            steps: &[
                MAIL_PERMISSIONS,
                "Sign the account in again, so the new permissions are part of its token.",
                "For a shared or other person's mailbox, your IT admin gives the account Full Access (to read) or \
                 Send As (to send) on that mailbox.",
                "For app-only access, your IT admin checks any application access policy or RBAC for Applications \
                 scope set up in Exchange Online.",
            ],
            links: &[links::APP_REGISTRATIONS, links::EXCHANGE_ADMIN],
            retryable: false,
        },
    },
    Entry {
        codes: &["Authorization_RequestDenied"],
        message_contains: None,
        text: Text {
            title: "Not enough rights in the directory",
            explanation: "Graph refused a directory request (such as reading the app registration's secrets and \
                          certificates to check when they expire) because the account or app lacks the right to \
                          read applications.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Your IT admin gives the app the Application.Read.All permission (App registrations › your app › \
                 API permissions › Microsoft Graph) and grants admin consent, or makes you an owner of the app \
                 registration.",
                "Sign the account in again.",
            ],
            links: &[links::APP_REGISTRATIONS],
            retryable: false,
        },
    },
    Entry {
        codes: &["MailboxNotEnabledForRESTAPI", "MailboxNotSupportedForRESTAPI"],
        message_contains: None,
        text: Text {
            title: "This mailbox can't be used through Microsoft Graph",
            explanation: "Graph only works with mailboxes hosted in Exchange Online. This one is not reachable that \
                          way: it may be on an on-premises Exchange server, have no Exchange Online licence, be \
                          inactive or deleted, or be so new that it isn't ready yet.",
            fixer: Fixer::ItAdmin,
            steps: &[
                "Your IT admin checks the user in Microsoft 365 admin center › Active users › Licenses and apps: a \
                 licence with Exchange Online must be assigned.",
                "If the mailbox was just created or licensed, wait an hour and try again.",
                "If the mailbox is on an on-premises Exchange server, use IMAP and SMTP instead of Graph for this \
                 account.",
            ],
            links: &[links::ACTIVE_USERS],
            retryable: false,
        },
    },
    Entry {
        codes: &["ErrorMimeContentInvalidBase64String"],
        message_contains: None,
        text: Text {
            title: "The message to send wasn't encoded correctly",
            explanation: "A message sent to Graph as a complete MIME message must be base64-encoded as a whole. \
                          What was sent was not valid base64, so Graph couldn't read it.",
            fixer: Fixer::You,
            steps: &[
                "If your own script sends the message: base64-encode the entire MIME message and send it with \
                 'Content-Type: text/plain'.",
                "If this happened in Mailgrant's own send test, report it as a bug with the details below.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &["ErrorSendAsDenied"],
        message_contains: None,
        text: Text {
            title: "Not allowed to send from that address",
            explanation: "The message's From address is not the signed-in mailbox, and the account has no \
                          permission to send as that address.",
            fixer: Fixer::You,
            steps: &[
                "Send from the account's own address instead.",
                "Or your IT admin gives the account 'Send As' permission on the other address (Exchange admin \
                 center › Recipients › Mailboxes › that mailbox › Delegation).",
            ],
            links: &[links::EXCHANGE_ADMIN],
            retryable: false,
        },
    },
    Entry {
        codes: &["ErrorMessageSizeExceeded"],
        message_contains: None,
        text: Text {
            title: "The message is too big",
            explanation: "The message, with its attachments, is larger than the mailbox is allowed to send.",
            fixer: Fixer::You,
            steps: &["Send smaller attachments, or share large files as links instead."],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &["ErrorQuotaExceeded"],
        message_contains: None,
        text: Text {
            title: "The mailbox is full",
            explanation: "The mailbox has reached its storage limit, so nothing more can be saved in it.",
            fixer: Fixer::You,
            steps: &[
                "Delete or archive old mail (and empty Deleted Items) to make room.",
                "Or ask your IT admin about a larger mailbox or archiving.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &["ErrorInvalidUser"],
        message_contains: None,
        text: Text {
            title: "Microsoft Graph doesn't know that mailbox",
            explanation: "The mailbox address Mailgrant asked Graph about doesn't match any mailbox the account can \
                          see.",
            fixer: Fixer::You,
            steps: &[
                "Check the spelling of the mailbox (and of the shared mailbox, if the account uses one) in \
                 Mailgrant.",
                "Use the mailbox's primary address, as shown in Outlook.",
            ],
            links: &[],
            retryable: false,
        },
    },
    Entry {
        codes: &["ResourceNotFound", "ErrorItemNotFound", "Request_ResourceNotFound"],
        message_contains: None,
        text: Text {
            title: "Microsoft Graph couldn't find what was asked for",
            explanation: "The mailbox, folder or item Mailgrant asked for doesn't exist, or the account can't see \
                          it.",
            fixer: Fixer::You,
            steps: &[
                "Check the mailbox address configured for the account in Mailgrant.",
                "If the mailbox was just created, wait a while and try again.",
            ],
            links: &[],
            retryable: false,
        },
    },
];

const THROTTLED: Text = Text {
    title: "Microsoft Graph asked Mailgrant to slow down",
    explanation:
        "Too many requests reached Graph for this mailbox or app in a short time, so Graph is holding \
                  requests back for now. Graph asked to wait {wait} before trying again.",
    fixer: Fixer::Microsoft,
    steps: &[
        "Wait {wait}, then try again.",
        "If it happens often, reduce how often scripts or programs using this account poll the mailbox.",
    ],
    links: &[links::GRAPH_THROTTLING],
    retryable: true,
};

const UNAVAILABLE: Text = Text::microsoft_trouble(
    "Microsoft Graph is having trouble",
    "Graph couldn't handle the request right now. This is on Microsoft's side and usually passes by \
                  itself.",
    &["Wait {wait} and try again.", CHECK_SERVICE_STATUS],
);

const UNAUTHORIZED: Text = Text {
    title: "Microsoft Graph didn't accept the sign-in",
    explanation: "Graph refused the request because the token was missing or not acceptable.",
    fixer: Fixer::You,
    steps: &["Try again.", "If it still fails, sign the account in again."],
    links: &[],
    retryable: false,
};

const FORBIDDEN: Text = Text {
    title: "Microsoft Graph refused the request",
    explanation: "The token is valid but doesn't allow this request.",
    fixer: Fixer::AppOwner,
    steps: &[
        MAIL_PERMISSIONS,
        "Sign the account in again, so the new permissions are part of its token.",
    ],
    links: &[links::APP_REGISTRATIONS],
    retryable: false,
};

const NOT_FOUND: Text = Text {
    title: "Microsoft Graph couldn't find what was asked for",
    explanation: "Graph says what Mailgrant asked for doesn't exist.",
    fixer: Fixer::You,
    steps: &["Check the mailbox address configured for the account in Mailgrant."],
    links: &[],
    retryable: false,
};

const OTHER: Text = Text {
    title: "Microsoft Graph refused the request",
    explanation: "Graph couldn't carry out the request.",
    fixer: Fixer::You,
    steps: &[
        "Try again.",
        "If it keeps failing, report it with the details below (they include Graph's request ID).",
    ],
    links: &[],
    retryable: false,
};

impl Diagnosis {
    /// The diagnosis of a Graph answer that is not a success. `retry_after` is the `Retry-After` header (seconds,
    /// or an HTTP date), if any.
    pub fn from_graph_response(status: u16, retry_after: Option<&str>, body: &str) -> Diagnosis {
        let wait = wait_phrase(retry_after);
        let vars = [("wait", wait.as_str())];
        let parsed: Option<Value> = serde_json::from_str(body.trim()).ok();
        let error = parsed
            .as_ref()
            .and_then(|v| v.get("error"))
            .filter(|e| e.is_object());
        if error.is_none() && !body.trim().is_empty() && parsed.is_none() {
            let mut d = identity::not_json(status, None, body);
            if status == 429 {
                return with_status(
                    THROTTLED.render("GRAPH_THROTTLED", &vars),
                    status,
                    d.raw.server_reply,
                );
            }
            d.explanation = d
                .explanation
                .replace("Microsoft's sign-in service", "Microsoft Graph");
            d.steps = d
                .steps
                .iter()
                .map(|s| s.replace("login.microsoftonline.com", "graph.microsoft.com"))
                .collect();
            return d;
        }
        let text = |key: &str| {
            error
                .and_then(|e| e.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let inner = error.and_then(|e| e.get("innerError").or_else(|| e.get("innererror")));
        let inner_text = |key: &str| {
            inner
                .and_then(|i| i.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let code = text("code").filter(|c| !c.is_empty());
        let message = text("message");
        let raw = RawDetail {
            aadsts: message.as_deref().and_then(super::aadsts::code_in),
            error: code.clone(),
            error_description: message.clone(),
            trace_id: inner_text("request-id"),
            correlation_id: inner_text("client-request-id"),
            timestamp: inner_text("date"),
            http_status: Some(status),
            server_reply: (error.is_none() && !body.trim().is_empty()).then(|| excerpt(&one_line(body), 300)),
        };

        let catalogued = code.as_deref().and_then(|c| find(c, message.as_deref()));
        let mut d = if status == 429 {
            THROTTLED.render("GRAPH_THROTTLED", &vars)
        } else if let Some(entry) = catalogued {
            entry.text.render(canonical(entry, code.as_deref()), &vars)
        } else if status >= 500 {
            UNAVAILABLE.render("GRAPH_UNAVAILABLE", &vars)
        } else {
            let text = match status {
                401 => UNAUTHORIZED,
                403 => FORBIDDEN,
                404 => NOT_FOUND,
                _ => OTHER,
            };
            let mut d = text.render(code.clone().unwrap_or_else(|| "GRAPH_ERROR".to_owned()), &vars);
            if let Some(message) = message.as_deref().filter(|m| !m.is_empty()) {
                d.explanation = format!("{} Graph's message: \"{}\"", d.explanation, excerpt(message, 300));
            }
            d
        };
        if status >= 500 {
            d.retryable = true;
        }
        d.with_raw(raw)
    }
}

fn with_status(mut d: Diagnosis, status: u16, server_reply: Option<String>) -> Diagnosis {
    d.raw.http_status = Some(status);
    d.raw.server_reply = server_reply;
    d
}

/// The first entry for `code` whose message condition holds.
fn find(code: &str, message: Option<&str>) -> Option<&'static Entry> {
    let message = message.unwrap_or_default().to_ascii_lowercase();
    CATALOGUE.iter().find(|e| {
        e.codes.iter().any(|c| c.eq_ignore_ascii_case(code))
            && e.message_contains.is_none_or(|w| message.contains(w))
    })
}

/// Graph's code as the entry spells it (so `accessdenied` and `AccessDenied` give the same code).
fn canonical(entry: &Entry, code: Option<&str>) -> String {
    let code = code.unwrap_or_default();
    entry
        .codes
        .iter()
        .find(|c| c.eq_ignore_ascii_case(code))
        .or_else(|| entry.codes.first())
        .map(|c| (*c).to_owned())
        .unwrap_or_default()
}

/// "about 30 seconds", "until Wed, 21 Oct 2026 07:28:00 GMT", or "a little while".
fn wait_phrase(retry_after: Option<&str>) -> String {
    match retry_after.map(str::trim).filter(|r| !r.is_empty()) {
        Some(value) => match value.parse::<u64>() {
            Ok(1) => "about 1 second".to_owned(),
            Ok(seconds) if seconds < 120 => format!("about {seconds} seconds"),
            Ok(seconds) => format!("about {} minutes", seconds.div_ceil(60)),
            Err(_) => format!("until {value}"),
        },
        None => "a little while".to_owned(),
    }
}

/// Graph's codes (and `GRAPH_THROTTLED`, `GRAPH_UNAVAILABLE`), case-insensitively, for `mailgrant explain`.
pub(crate) fn explain(code: &str) -> Option<Diagnosis> {
    let vars = [("wait", "a little while")];
    if code.eq_ignore_ascii_case("GRAPH_THROTTLED") {
        return Some(THROTTLED.render("GRAPH_THROTTLED", &vars));
    }
    if code.eq_ignore_ascii_case("GRAPH_UNAVAILABLE") {
        return Some(UNAVAILABLE.render("GRAPH_UNAVAILABLE", &vars));
    }
    // The general entry of a code is its last one.
    let entry = CATALOGUE
        .iter()
        .rev()
        .find(|e| e.codes.iter().any(|c| c.eq_ignore_ascii_case(code)))?;
    Some(entry.text.render(canonical(entry, Some(code)), &vars))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph_error(code: &str, message: &str) -> String {
        serde_json::json!({"error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": "2026-11-23T10:00:00",
                "request-id": "9f1c2d3e-0000-4000-8000-00000000aaaa",
                "client-request-id": "9f1c2d3e-0000-4000-8000-00000000bbbb",
            },
        }})
        .to_string()
    }

    #[test]
    fn invalid_tokens_by_message() {
        let d = Diagnosis::from_graph_response(
            401,
            None,
            &graph_error("InvalidAuthenticationToken", "Access token is empty."),
        );
        assert_eq!(d.code, "InvalidAuthenticationToken");
        assert_eq!(d.title, "Microsoft Graph didn't accept the access token");
        assert_eq!(d.fixer, Fixer::You);
        assert_eq!(
            d.raw.trace_id.as_deref(),
            Some("9f1c2d3e-0000-4000-8000-00000000aaaa")
        );
        assert_eq!(
            d.raw.correlation_id.as_deref(),
            Some("9f1c2d3e-0000-4000-8000-00000000bbbb")
        );
        assert_eq!(d.raw.timestamp.as_deref(), Some("2026-11-23T10:00:00"));
        assert_eq!(d.raw.error_description.as_deref(), Some("Access token is empty."));
        assert_eq!(d.raw.http_status, Some(401));

        let d = Diagnosis::from_graph_response(
            401,
            None,
            &graph_error("InvalidAuthenticationToken", "Invalid audience."),
        );
        assert_eq!(d.title, "Microsoft Graph got a token meant for another service");

        let d = Diagnosis::from_graph_response(
            401,
            None,
            &graph_error(
                "InvalidAuthenticationToken",
                "Lifetime validation failed, the token is expired.",
            ),
        );
        assert_eq!(d.title, "The access token has expired");
        assert!(d.retryable);
    }

    #[test]
    fn access_denied_and_mailbox_errors() {
        let d = Diagnosis::from_graph_response(
            403,
            None,
            &graph_error(
                "ErrorAccessDenied",
                "Access is denied. Check credentials and try again.",
            ),
        );
        assert_eq!(d.code, "ErrorAccessDenied");
        assert_eq!(d.fixer, Fixer::AppOwner);
        assert!(d.steps.iter().any(|s| s.contains("Mail.ReadWrite")));

        let d = Diagnosis::from_graph_response(403, None, &graph_error("accessDenied", "Nope."));
        assert_eq!(d.code, "AccessDenied");

        let d = Diagnosis::from_graph_response(
            404,
            None,
            &graph_error(
                "MailboxNotEnabledForRESTAPI",
                "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
            ),
        );
        assert_eq!(d.code, "MailboxNotEnabledForRESTAPI");
        assert_eq!(d.fixer, Fixer::ItAdmin);

        let d = Diagnosis::from_graph_response(
            400,
            None,
            &graph_error(
                "ErrorMimeContentInvalidBase64String",
                "Invalid base64 string for MIME content.",
            ),
        );
        assert_eq!(d.code, "ErrorMimeContentInvalidBase64String");
        assert_eq!(d.fixer, Fixer::You);
        assert!(d
            .steps
            .iter()
            .any(|s| s.contains("base64-encode the entire MIME message")));
    }

    #[test]
    fn throttling_and_outages_are_retryable() {
        let d = Diagnosis::from_graph_response(
            429,
            Some("30"),
            &graph_error("TooManyRequests", "Too many requests. Please try again later."),
        );
        assert_eq!(d.code, "GRAPH_THROTTLED");
        assert_eq!(d.fixer, Fixer::Microsoft);
        assert!(d.retryable);
        assert!(d.explanation.contains("about 30 seconds"), "{}", d.explanation);
        assert_eq!(d.steps[0], "Wait about 30 seconds, then try again.");
        assert_eq!(d.raw.error.as_deref(), Some("TooManyRequests"));

        let d = Diagnosis::from_graph_response(429, Some("600"), "");
        assert!(d.explanation.contains("about 10 minutes"));
        let d = Diagnosis::from_graph_response(429, Some("Wed, 21 Oct 2026 07:28:00 GMT"), "");
        assert!(d.explanation.contains("until Wed, 21 Oct 2026 07:28:00 GMT"));

        let d = Diagnosis::from_graph_response(
            503,
            Some("5"),
            &graph_error("ServiceNotAvailable", "Service unavailable."),
        );
        assert_eq!(d.code, "GRAPH_UNAVAILABLE");
        assert!(d.retryable);
        assert_eq!(d.steps[0], "Wait about 5 seconds and try again.");
        let d = Diagnosis::from_graph_response(503, None, "");
        assert_eq!(d.code, "GRAPH_UNAVAILABLE");
        assert_eq!(d.steps[0], "Wait a little while and try again.");
    }

    #[test]
    fn unknown_codes_keep_graphs_code_and_message() {
        let d = Diagnosis::from_graph_response(
            400,
            None,
            &graph_error("ErrorSomethingNew", "A new thing went wrong."),
        );
        assert_eq!(d.code, "ErrorSomethingNew");
        assert!(d.explanation.contains("\"A new thing went wrong.\""));
        let d = Diagnosis::from_graph_response(403, None, &graph_error("SomethingForbidden", "No."));
        assert_eq!(d.fixer, Fixer::AppOwner);
        let d = Diagnosis::from_graph_response(400, None, r#"{"unexpected":true}"#);
        assert_eq!(d.code, "GRAPH_ERROR");
        assert_eq!(d.raw.server_reply.as_deref(), Some(r#"{"unexpected":true}"#));
    }

    #[test]
    fn html_from_graph_names_graph() {
        let d = Diagnosis::from_graph_response(
            403,
            None,
            "<html><title>Blocked</title><body>Blocked by proxy</body></html>",
        );
        assert_eq!(d.code, "HTML_INSTEAD_OF_JSON");
        assert!(d.explanation.contains("Microsoft Graph"), "{}", d.explanation);
        assert!(d.steps.iter().any(|s| s.contains("graph.microsoft.com")));
    }

    #[test]
    fn explain_knows_graph_codes() {
        assert_eq!(
            explain("invalidauthenticationtoken").map(|d| d.title),
            Some("Microsoft Graph didn't accept the access token".into())
        );
        assert_eq!(
            explain("GRAPH_THROTTLED").map(|d| d.fixer),
            Some(Fixer::Microsoft)
        );
        assert!(explain("NoSuchGraphCode").is_none());
    }
}
