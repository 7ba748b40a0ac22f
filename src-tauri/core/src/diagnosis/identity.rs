//! Reading what the identity platform answers when something fails: its error JSON (token, device-code and
//! discovery endpoints), the `?error=…&error_description=…` redirect back to the app, and the things that come
//! back instead of JSON (a Wi-Fi login page, a proxy's error page, nothing at all).

use serde_json::Value;

use super::links;
use super::{
    aadsts, excerpt, one_line, Diagnosis, Fixer, RawDetail, Text, CHECK_SERVICE_STATUS, WAIT_A_FEW_MINUTES,
};

impl Diagnosis {
    /// The diagnosis of an identity-platform answer that is not a success: Microsoft's error JSON (`error`,
    /// `error_description`, `error_codes`, `trace_id`, `correlation_id`, `timestamp`) mapped to the AADSTS
    /// catalogue; HTML or other text where JSON was expected (`HTML_INSTEAD_OF_JSON`); an empty body
    /// (`EMPTY_RESPONSE`); JSON without an error (`UNEXPECTED_RESPONSE`).
    pub fn from_identity_response(status: u16, content_type: Option<&str>, body: &str) -> Diagnosis {
        if body.trim().is_empty() {
            return empty_response(status);
        }
        let parsed: Option<Value> = serde_json::from_str(body.trim()).ok();
        let Some(Value::Object(map)) = parsed else {
            return not_json(status, content_type, body);
        };
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
        match map.get("error") {
            // Graph's shape ({"error":{"code","message"}}) at an identity endpoint: read it as Graph's.
            Some(Value::Object(_)) => Diagnosis::from_graph_response(status, None, body),
            Some(Value::String(error)) => {
                let description = text("error_description");
                let code_from_list = map
                    .get("error_codes")
                    .and_then(Value::as_array)
                    .and_then(|codes| codes.first())
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok());
                let raw = RawDetail {
                    aadsts: code_from_list.or_else(|| description.as_deref().and_then(aadsts::code_in)),
                    error: Some(error.clone()),
                    trace_id: text("trace_id")
                        .or_else(|| description.as_deref().and_then(|d| field(d, "Trace ID"))),
                    correlation_id: text("correlation_id")
                        .or_else(|| description.as_deref().and_then(|d| field(d, "Correlation ID"))),
                    timestamp: text("timestamp")
                        .or_else(|| description.as_deref().and_then(|d| field(d, "Timestamp"))),
                    error_description: description,
                    http_status: Some(status),
                    server_reply: None,
                };
                aadsts::diagnose(raw)
            }
            _ => unexpected_json(status, body),
        }
    }

    /// The diagnosis of an error redirect (`?error=access_denied&error_description=AADSTS65004: …`), already
    /// URL-decoded.
    pub fn from_redirect_error(error: &str, error_description: Option<&str>) -> Diagnosis {
        let description = error_description.map(str::trim).filter(|d| !d.is_empty());
        let raw = RawDetail {
            aadsts: description.and_then(aadsts::code_in),
            error: Some(error.trim().to_owned()).filter(|e| !e.is_empty()),
            error_description: description.map(str::to_owned),
            trace_id: description.and_then(|d| field(d, "Trace ID")),
            correlation_id: description.and_then(|d| field(d, "Correlation ID")),
            timestamp: description.and_then(|d| field(d, "Timestamp")),
            http_status: None,
            server_reply: None,
        };
        aadsts::diagnose(raw)
    }
}

/// `Trace ID: …` and friends, from the lines Microsoft appends to an `error_description`.
fn field(description: &str, name: &str) -> Option<String> {
    description.lines().find_map(|line| {
        let (key, value) = line.trim().split_once(':')?;
        (key.trim().eq_ignore_ascii_case(name) && !value.trim().is_empty()).then(|| value.trim().to_owned())
    })
}

const HTML: Text = Text {
    title: "A web page came back instead of Microsoft's answer",
    explanation: "Mailgrant asked Microsoft's sign-in service for data and got a web page back. Usually something \
                  between this computer and Microsoft answered instead: a Wi-Fi login page (hotel, train, café), \
                  a company proxy or firewall, or a filter. It also happens when the login address (authority) \
                  Mailgrant was given is wrong.",
    fixer: Fixer::You,
    steps: &[
        "Open https://login.microsoftonline.com in a browser on this computer. If a Wi-Fi or network login page \
         appears instead, sign in to the network there.",
        "On a company network or VPN, ask your IT department whether login.microsoftonline.com is blocked or \
         needs a proxy setting.",
        "If the app registration uses a custom cloud in Mailgrant, check its login address: it should look like \
         https://login.microsoftonline.com, with no path after it.",
        "Try again.",
    ],
    links: &[links::LOGIN],
    retryable: false,
};

const HTML_SERVER: Text = Text::microsoft_trouble(
    "Microsoft's sign-in service answered with an error page",
    "Instead of its usual answer, Microsoft's sign-in service (or a gateway in front of it) sent an \
                  error page saying it couldn't handle the request. This is usually temporary.",
    &[
        WAIT_A_FEW_MINUTES,
        "If it lasts, check Microsoft's service status page, and whether a proxy on your network is failing.",
    ],
);

const EMPTY: Text = Text {
    title: "Microsoft's sign-in service sent an empty answer",
    explanation:
        "The answer from the sign-in service had nothing in it. Something on the network (a proxy, a \
                  firewall or a filter) may have cut it off, or the login address Mailgrant was given points \
                  to the wrong place.",
    fixer: Fixer::You,
    steps: &[
        "Try again.",
        "On a company network or VPN, try another network, or ask your IT department whether \
         login.microsoftonline.com is allowed.",
        "If the app registration uses a custom cloud in Mailgrant, check its login address.",
    ],
    links: &[links::LOGIN],
    retryable: false,
};

const EMPTY_SERVER: Text = Text::microsoft_trouble(
    "Microsoft's sign-in service is having trouble",
    "The sign-in service answered with a server error and nothing else. This is on the service's \
                  side and usually passes by itself.",
    &[WAIT_A_FEW_MINUTES, CHECK_SERVICE_STATUS],
);

const UNEXPECTED: Text = Text {
    title: "Microsoft's sign-in service answered something unexpected",
    explanation:
        "The answer was valid data but not what Mailgrant expected: neither a result nor an error. The \
                  login address Mailgrant was given may point to something that is not Microsoft's sign-in \
                  service.",
    fixer: Fixer::You,
    steps: &[
        "If the app registration uses a custom cloud in Mailgrant, check its login address (for example \
         https://login.microsoftonline.com).",
        "Try again; if it keeps happening, report it with the details below.",
    ],
    links: &[],
    retryable: false,
};

fn empty_response(status: u16) -> Diagnosis {
    let text = if status >= 500 || status == 429 {
        EMPTY_SERVER
    } else {
        EMPTY
    };
    let mut d = text.render("EMPTY_RESPONSE", &[]);
    d.raw.http_status = Some(status);
    d
}

fn unexpected_json(status: u16, body: &str) -> Diagnosis {
    let server = status >= 500 || status == 429;
    let mut d = if server { EMPTY_SERVER } else { UNEXPECTED }.render("UNEXPECTED_RESPONSE", &[]);
    d.raw.http_status = Some(status);
    d.raw.server_reply = Some(excerpt(&one_line(body), 300));
    d
}

/// HTML, or any other text, where JSON was expected. Shared with Graph.
pub(crate) fn not_json(status: u16, content_type: Option<&str>, body: &str) -> Diagnosis {
    let looks_html = content_type.is_some_and(|c| c.to_ascii_lowercase().contains("html"))
        || body.trim_start().starts_with('<');
    let title = page_title(body);
    let text = if status >= 500 { HTML_SERVER } else { HTML };
    let mut d = text.render("HTML_INSTEAD_OF_JSON", &[]);
    match (&title, looks_html) {
        (Some(page), _) => {
            d.title = format!(
                "A web page (\"{}\") came back instead of Microsoft's answer",
                excerpt(page, 60)
            );
        }
        (None, false) => {
            d.title = "Something other than Microsoft's answer came back".to_owned();
            d.explanation = d
                .explanation
                .replace("got a web page back", "got something it can't read back");
        }
        (None, true) => {}
    }
    let visible = visible_text(body);
    let reply = match title {
        Some(page) if !visible.starts_with(&page) => format!("{page}: {visible}"),
        _ => visible,
    };
    d.raw.http_status = Some(status);
    d.raw.server_reply = Some(excerpt(&reply, 300)).filter(|r| !r.is_empty());
    d
}

/// The text of a page's `<title>`, whitespace tidied.
fn page_title(body: &str) -> Option<String> {
    let lower = body.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = one_line(&decode_entities(body.get(start..end)?));
    (!title.is_empty()).then_some(title)
}

/// A page's text without tags, scripts and styles, whitespace tidied.
fn visible_text(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        out.push(' ');
        let tag = rest[lt..].to_ascii_lowercase();
        let skip_to = ["script", "style"]
            .iter()
            .find(|name| tag.starts_with(&format!("<{name}")))
            .and_then(|name| tag.find(&format!("</{name}")));
        let from = lt + skip_to.unwrap_or(0);
        match rest[from..].find('>') {
            Some(gt) => rest = &rest[from + gt + 1..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    one_line(&decode_entities(&out))
}

fn decode_entities(text: &str) -> String {
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The named identity-platform codes, for `mailgrant explain`.
pub(crate) fn explain(upper: &str) -> Option<Diagnosis> {
    let named: &[(&str, Text)] = &[
        ("HTML_INSTEAD_OF_JSON", HTML),
        ("EMPTY_RESPONSE", EMPTY),
        ("UNEXPECTED_RESPONSE", UNEXPECTED),
    ];
    named
        .iter()
        .find(|(code, _)| *code == upper)
        .map(|(code, text)| text.render(*code, &[]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token-endpoint error shaped like Microsoft's (and like the test bed's emulator).
    fn microsoft_error(error: &str, code: u32, message: &str) -> String {
        serde_json::json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {message}\r\nTrace ID: 0b3a7c1e-58f2-4d10-9a1e-6f2d8c4b1a00\r\n\
                 Correlation ID: 5e0c2f7a-9d14-4b8e-a3c1-2f6d7e8a9b10\r\nTimestamp: 2026-11-23 10:00:00Z"
            ),
            "error_codes": [code],
            "timestamp": "2026-11-23 10:00:00Z",
            "trace_id": "0b3a7c1e-58f2-4d10-9a1e-6f2d8c4b1a00",
            "correlation_id": "5e0c2f7a-9d14-4b8e-a3c1-2f6d7e8a9b10",
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        })
        .to_string()
    }

    #[test]
    fn a_wrong_secret_is_diagnosed_with_its_ids() {
        let body = microsoft_error(
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret \
             value, not the client secret ID, for a secret added to app 'f0a1b2c3-0000-4000-8000-000000000001'.",
        );
        let d = Diagnosis::from_identity_response(401, Some("application/json; charset=utf-8"), &body);
        assert_eq!(d.code, "AADSTS7000215");
        assert_eq!(d.fixer, Fixer::AppOwner);
        assert_eq!(d.title, "The client secret is wrong");
        assert_eq!(d.raw.aadsts, Some(7000215));
        assert_eq!(d.raw.error.as_deref(), Some("invalid_client"));
        assert_eq!(
            d.raw.trace_id.as_deref(),
            Some("0b3a7c1e-58f2-4d10-9a1e-6f2d8c4b1a00")
        );
        assert_eq!(
            d.raw.correlation_id.as_deref(),
            Some("5e0c2f7a-9d14-4b8e-a3c1-2f6d7e8a9b10")
        );
        assert_eq!(d.raw.timestamp.as_deref(), Some("2026-11-23 10:00:00Z"));
        assert_eq!(d.raw.http_status, Some(401));
        assert!(d
            .raw
            .error_description
            .as_deref()
            .is_some_and(|t| t.starts_with("AADSTS7000215: Invalid")));
        assert!(!d.retryable);
    }

    #[test]
    fn real_shaped_errors_map_to_their_entries() {
        for (error, code, message, fixer) in [
            ("invalid_request", 50011, "The redirect URI 'http://localhost:5000/' specified in the request does not match the redirect URIs configured for the application 'x'.", Fixer::AppOwner),
            ("invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued on 2026-01-01 and was inactive for 90.00:00:00.", Fixer::You),
            ("invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", Fixer::AppOwner),
            ("invalid_grant", 65001, "The user or administrator has not consented to use the application.", Fixer::You),
            ("invalid_request", 90002, "Tenant 'contoso.example' not found.", Fixer::You),
            ("invalid_grant", 53003, "Access has been blocked by Conditional Access policies.", Fixer::ItAdmin),
            ("invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource.", Fixer::You),
        ] {
            let d = Diagnosis::from_identity_response(400, Some("application/json"), &microsoft_error(error, code, message));
            assert_eq!(d.code, format!("AADSTS{code}"));
            assert_eq!(d.fixer, fixer, "AADSTS{code}");
            assert_eq!(d.raw.aadsts, Some(code));
            assert_eq!(d.raw.trace_id.as_deref(), Some("0b3a7c1e-58f2-4d10-9a1e-6f2d8c4b1a00"));
            assert!(!d.explanation.contains("Microsoft's message"), "catalogued entries use their own words");
        }
    }

    #[test]
    fn the_code_is_read_from_the_description_when_error_codes_is_missing() {
        let body = r#"{"error":"invalid_grant","error_description":"AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.\r\nTrace ID: t-9\r\nCorrelation ID: c-9\r\nTimestamp: 2026-11-23 10:00:00Z"}"#;
        let d = Diagnosis::from_identity_response(400, None, body);
        assert_eq!(d.code, "AADSTS70008");
        assert_eq!(d.raw.trace_id.as_deref(), Some("t-9"));
        assert_eq!(d.raw.correlation_id.as_deref(), Some("c-9"));
        assert_eq!(d.raw.timestamp.as_deref(), Some("2026-11-23 10:00:00Z"));
    }

    #[test]
    fn an_unknown_code_gets_a_generic_answer_that_keeps_it() {
        let body = microsoft_error("invalid_client", 7000999, "Something new about the client.");
        let d = Diagnosis::from_identity_response(401, Some("application/json"), &body);
        assert_eq!(d.code, "AADSTS7000999");
        assert_eq!(d.raw.aadsts, Some(7000999));
        assert_eq!(d.fixer, Fixer::AppOwner);
        assert_eq!(d.title, "Microsoft didn't accept the app's settings");
        assert!(
            d.explanation.contains("\"Something new about the client.\""),
            "{}",
            d.explanation
        );
        assert!(!d.explanation.contains("Trace ID"), "{}", d.explanation);
        assert!(d
            .links
            .iter()
            .any(|l| l.url == "https://login.microsoftonline.com/error?code=7000999"));
        assert!(!d.steps.is_empty());

        let busy = Diagnosis::from_identity_response(
            503,
            Some("application/json"),
            &microsoft_error(
                "temporarily_unavailable",
                90033,
                "A transient error has occurred.",
            ),
        );
        assert_eq!(busy.fixer, Fixer::Microsoft);
        assert!(busy.retryable);

        let consent = Diagnosis::from_identity_response(
            400,
            None,
            &microsoft_error("consent_required", 65999, "Consent is needed."),
        );
        assert_eq!(consent.fixer, Fixer::ItAdmin);

        let interaction = Diagnosis::from_identity_response(
            400,
            None,
            &microsoft_error("interaction_required", 50999, "Something interactive."),
        );
        assert_eq!(interaction.fixer, Fixer::You);
    }

    #[test]
    fn an_error_without_a_code_is_aadsts_unknown() {
        let d = Diagnosis::from_identity_response(
            400,
            None,
            r#"{"error":"invalid_request","error_description":"Bad thing."}"#,
        );
        assert_eq!(d.code, "AADSTS_UNKNOWN");
        assert_eq!(d.raw.aadsts, None);
        assert_eq!(d.raw.error.as_deref(), Some("invalid_request"));
        assert!(d.explanation.contains("\"Bad thing.\""));
    }

    #[test]
    fn html_where_json_was_expected() {
        let page = "<!DOCTYPE html><html><head><title>Sign in to  Wi-Fi</title><style>body{color:red}</style>\
                    <script>var x = '<b>';</script></head><body><h1>Welcome aboard</h1><p>Accept the terms &amp; \
                    connect.</p></body></html>";
        let d = Diagnosis::from_identity_response(200, Some("text/html; charset=utf-8"), page);
        assert_eq!(d.code, "HTML_INSTEAD_OF_JSON");
        assert_eq!(
            d.title,
            "A web page (\"Sign in to Wi-Fi\") came back instead of Microsoft's answer"
        );
        assert!(d.explanation.contains("Wi-Fi login page") && d.explanation.contains("proxy"));
        assert!(d.explanation.contains("login address"));
        assert_eq!(
            d.raw.server_reply.as_deref(),
            Some("Sign in to Wi-Fi Welcome aboard Accept the terms & connect.")
        );
        assert_eq!(d.fixer, Fixer::You);

        let proxy = Diagnosis::from_identity_response(502, None, "<html><body>Bad gateway</body></html>");
        assert_eq!(proxy.code, "HTML_INSTEAD_OF_JSON");
        assert_eq!(proxy.fixer, Fixer::Microsoft);
        assert!(proxy.retryable);
        assert_eq!(proxy.raw.server_reply.as_deref(), Some("Bad gateway"));

        let text = Diagnosis::from_identity_response(403, Some("text/plain"), "Forbidden by policy");
        assert_eq!(text.code, "HTML_INSTEAD_OF_JSON");
        assert_eq!(text.title, "Something other than Microsoft's answer came back");
        assert_eq!(text.raw.server_reply.as_deref(), Some("Forbidden by policy"));

        let long = format!(
            "<html><title>T</title><body>{}</body></html>",
            "word ".repeat(200)
        );
        let d = Diagnosis::from_identity_response(200, None, &long);
        assert!(d
            .raw
            .server_reply
            .as_deref()
            .is_some_and(|r| r.chars().count() <= 301 && r.ends_with('…')));
    }

    #[test]
    fn empty_and_unexpected_bodies() {
        let d = Diagnosis::from_identity_response(400, Some("application/json"), "  ");
        assert_eq!(d.code, "EMPTY_RESPONSE");
        assert_eq!(d.fixer, Fixer::You);
        assert_eq!(d.raw.http_status, Some(400));
        let d = Diagnosis::from_identity_response(503, None, "");
        assert_eq!(d.code, "EMPTY_RESPONSE");
        assert_eq!(d.fixer, Fixer::Microsoft);
        assert!(d.retryable);
        let d = Diagnosis::from_identity_response(404, Some("application/json"), r#"{"hello":"world"}"#);
        assert_eq!(d.code, "UNEXPECTED_RESPONSE");
        assert_eq!(d.raw.server_reply.as_deref(), Some(r#"{"hello":"world"}"#));
    }

    #[test]
    fn redirect_errors() {
        let d = Diagnosis::from_redirect_error(
            "access_denied",
            Some("AADSTS65004: User declined to consent to access the app.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2026-11-23 10:00:00Z"),
        );
        assert_eq!(d.code, "AADSTS65004");
        assert_eq!(d.title, "The permission request was declined");
        assert_eq!(d.fixer, Fixer::You);
        assert_eq!(d.raw.error.as_deref(), Some("access_denied"));
        assert_eq!(d.raw.trace_id.as_deref(), Some("t"));
        assert_eq!(d.raw.correlation_id.as_deref(), Some("c"));

        let admin =
            Diagnosis::from_redirect_error("consent_required", Some("AADSTS65004: User declined to consent"));
        assert_eq!(admin.raw.aadsts, Some(65004));

        let cancelled =
            Diagnosis::from_redirect_error("access_denied", Some("the user canceled the authentication"));
        assert_eq!(cancelled.code, "AADSTS_UNKNOWN");
        assert_eq!(cancelled.title, "The sign-in was cancelled or refused");
        assert!(cancelled
            .explanation
            .contains("the user canceled the authentication"));

        let legacy =
            Diagnosis::from_redirect_error("permission_denied", Some("The admin canceled the request"));
        assert_eq!(legacy.fixer, Fixer::ItAdmin);

        let bare = Diagnosis::from_redirect_error("interaction_required", None);
        assert_eq!(bare.fixer, Fixer::You);
        assert_eq!(bare.raw.error_description, None);
    }

    #[test]
    fn graph_shaped_json_at_an_identity_endpoint_is_read_as_graph() {
        let body = r#"{"error":{"code":"InvalidAuthenticationToken","message":"Access token is empty.","innerError":{"request-id":"r"}}}"#;
        let d = Diagnosis::from_identity_response(401, Some("application/json"), body);
        assert_eq!(d.code, "InvalidAuthenticationToken");
    }
}
