//! The emulator's HTML pages: sign-in + consent, device-code entry, error and message pages, form_post.
//! Every form is a plain `application/x-www-form-urlencoded` POST, so a test can drive it with reqwest.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use super::errors::{AadError, Trace};

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title></head>\n<body>\n{body}\n</body></html>\n",
        escape(title)
    )
}

/// What the sign-in page shows.
pub(crate) struct SignInPage<'a> {
    /// Where the form posts (`/{tenant}/login`).
    pub action: &'a str,
    /// The id of the pending request (hidden field `request`).
    pub request_id: &'a str,
    pub app_name: &'a str,
    pub username: &'a str,
    /// Permissions the user is asked to consent to (empty: sign-in only).
    pub permissions: &'a [String],
    pub admin_consent: bool,
    /// A problem with the previous attempt (unknown account, wrong tenant…).
    pub problem: Option<&'a AadError>,
}

/// Sign-in and consent in one form: fields `request`, `username`, and a button `action` = `approve` | `deny`.
pub(crate) fn sign_in(view: &SignInPage<'_>) -> Response {
    let permissions: String = view
        .permissions
        .iter()
        .map(|permission| format!("<li class=\"permission\">{}</li>", escape(permission)))
        .collect();
    let consent = if view.permissions.is_empty() {
        String::new()
    } else {
        let heading = if view.admin_consent {
            "This app would like to (on behalf of your organization):"
        } else {
            "This app would like to:"
        };
        format!(
            "<h2>Permissions requested</h2>\n<p>{heading}</p>\n<ul id=\"permissions\">{permissions}</ul>\n"
        )
    };
    let problem = view
        .problem
        .map(|error| {
            format!(
                "<p id=\"error\" role=\"alert\">{}</p>\n",
                escape(&error.headline())
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<main>\n<h1>Sign in</h1>\n<p id=\"app\">to continue to {app}</p>\n{problem}{consent}\
         <form method=\"post\" action=\"{action}\">\n\
         <input type=\"hidden\" name=\"request\" value=\"{request}\">\n\
         <label for=\"username\">Email, phone, or Skype</label>\n\
         <input id=\"username\" name=\"username\" type=\"email\" autocomplete=\"username\" value=\"{username}\">\n\
         <button type=\"submit\" name=\"action\" value=\"approve\">Accept</button>\n\
         <button type=\"submit\" name=\"action\" value=\"deny\">Cancel</button>\n\
         </form>\n</main>",
        app = escape(view.app_name),
        action = escape(view.action),
        request = escape(view.request_id),
        username = escape(view.username),
    );
    Html(page("Sign in to your account", &body)).into_response()
}

/// An error shown to the user instead of a redirect (unregistered redirect URI, unknown app…), status 400.
pub(crate) fn error_page(error: &AadError, trace: &Trace) -> Response {
    let body = format!(
        "<main>\n<h1>Sign in</h1>\n<p>Sorry, but we're having trouble signing you in.</p>\n\
         <p id=\"error\" role=\"alert\">{headline}</p>\n<dl id=\"details\">\n\
         <dt>Request Id</dt><dd id=\"request-id\">{trace_id}</dd>\n\
         <dt>Correlation Id</dt><dd id=\"correlation-id\">{correlation}</dd>\n\
         <dt>Timestamp</dt><dd id=\"timestamp\">{timestamp}</dd>\n\
         <dt>Message</dt><dd id=\"error-code\" data-code=\"{code}\" data-error=\"{name}\">{headline}</dd>\n</dl>\n</main>",
        headline = escape(&error.headline()),
        trace_id = escape(&trace.trace_id),
        correlation = escape(&trace.correlation_id),
        timestamp = escape(&trace.timestamp),
        code = error.code,
        name = escape(&error.error),
    );
    (
        StatusCode::BAD_REQUEST,
        Html(page("Sign in to your account", &body)),
    )
        .into_response()
}

/// A plain page with a heading and a paragraph, status 200.
pub(crate) fn message_page(title: &str, text: &str) -> Response {
    let body = format!(
        "<main>\n<h1>{}</h1>\n<p id=\"message\">{}</p>\n</main>",
        escape(title),
        escape(text)
    );
    Html(page(title, &body)).into_response()
}

/// `response_mode=form_post`: a self-submitting form to the redirect URI.
pub(crate) fn form_post(action: &str, params: &[(String, String)]) -> Response {
    let fields: String = params
        .iter()
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<form method=\"post\" name=\"hiddenform\" action=\"{}\">\n{fields}<noscript><p>Script is disabled. \
         Click Submit to continue.</p><input type=\"submit\" value=\"Submit\"></noscript>\n</form>\n\
         <script>document.forms[0].submit();</script>",
        escape(action)
    );
    Html(page("Working...", &body)).into_response()
}

/// The device-code page: fields `otc` (the code), `username`, and a button `action` = `approve` | `deny`.
pub(crate) fn device_login(
    action: &str,
    code: &str,
    notice: Option<&str>,
    problem: Option<&str>,
) -> Response {
    let notice = notice
        .map(|text| format!("<p id=\"message\">{}</p>\n", escape(text)))
        .unwrap_or_default();
    let problem = problem
        .map(|text| format!("<p id=\"error\" role=\"alert\">{}</p>\n", escape(text)))
        .unwrap_or_default();
    let body = format!(
        "<main>\n<h1>Enter code</h1>\n{notice}{problem}<p>Enter the code displayed on your app or device.</p>\n\
         <form method=\"post\" action=\"{action}\">\n\
         <label for=\"otc\">Code</label>\n<input id=\"otc\" name=\"otc\" value=\"{code}\">\n\
         <label for=\"username\">Email, phone, or Skype</label>\n\
         <input id=\"username\" name=\"username\" type=\"email\" autocomplete=\"username\">\n\
         <button type=\"submit\" name=\"action\" value=\"approve\">Continue</button>\n\
         <button type=\"submit\" name=\"action\" value=\"deny\">Cancel</button>\n</form>\n</main>",
        action = escape(action),
        code = escape(code),
    );
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, Html(page("Enter code", &body))).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
