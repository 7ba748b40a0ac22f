//! Microsoft's error vocabulary: the AADSTS table (one place for every text) and the three ways the identity
//! platform shows an error (token-endpoint JSON, a redirect to the app, an error page), plus Graph's JSON errors.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

/// `(code, OAuth error, text)`. `{0}`, `{1}`, … are filled in by [`AadError::new`]. Texts follow Microsoft's
/// published messages and recorded responses (shared/reference/microsoft-identity.md).
pub const AADSTS: &[(u32, &str, &str)] = &[
    (28000, "invalid_scope", "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope {0} is not valid."),
    (50011, "invalid_request", "The redirect URI '{0}' specified in the request does not match the redirect URIs configured for the application '{1}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."),
    (50020, "invalid_request", "User account '{0}' from identity provider '{1}' does not exist in tenant '{2}' and cannot access the application '{3}'({4}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account."),
    (50034, "invalid_request", "The user account {0} does not exist in the {1} directory. To sign into this application, the account must be added to the directory."),
    (50053, "invalid_grant", "You've tried to sign in too many times with an incorrect user ID or password."),
    (50057, "invalid_grant", "The user account is disabled."),
    (50058, "login_required", "A silent sign-in request was sent but no user is signed in."),
    (50059, "invalid_request", "No tenant-identifying information found in either the request or implied by any provided credentials."),
    (50076, "invalid_grant", "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{0}'."),
    (50173, "invalid_grant", "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '{0}' and the TokensValidFrom date (before which tokens are not valid) for this user is '{1}'."),
    (50194, "invalid_request", "Application '{0}'({1}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant."),
    (54005, "invalid_grant", "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token."),
    (65001, "invalid_grant", "The user or administrator has not consented to use the application with ID '{0}' named '{1}'. Send an interactive authorization request for this user and resource."),
    (65004, "access_denied", "User declined to consent to access the app."),
    (70000, "invalid_grant", "Provided grant is invalid or malformed."),
    (70003, "unsupported_grant_type", "The app requested an unsupported grant type '{0}'."),
    (70005, "unsupported_response_type", "response_type '{0}' is not enabled for the application."),
    (70008, "invalid_grant", "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource."),
    (70011, "invalid_scope", "The provided value for the input parameter '{0}' is not valid. {1}"),
    (70016, "authorization_pending", "OAuth 2.0 device flow error. Authorization is pending. Continue polling."),
    (70018, "bad_verification_code", "Invalid verification code."),
    (70019, "expired_token", "Verification code expired."),
    (70043, "invalid_grant", "The refresh token has expired or is invalid due to sign-in frequency checks by conditional access. The token was issued on {0} and the maximum allowed lifetime for this request is {1}."),
    (90002, "invalid_request", "Tenant '{0}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
    (90094, "access_denied", "The grant requires admin permission."),
    (500011, "invalid_resource", "The resource principal named {0} was not found in the tenant named {1}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."),
    (500112, "invalid_grant", "The reply address '{0}' does not match the reply address '{1}' provided when requesting Authorization code."),
    (500113, "invalid_request", "No reply address is registered for the application."),
    (501481, "invalid_grant", "The Code_Verifier does not match the code_challenge supplied in the authorization request."),
    (501491, "invalid_request", "Invalid size of Code_Challenge parameter."),
    (700016, "unauthorized_client", "Application with identifier '{0}' was not found in the directory '{1}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."),
    (700025, "invalid_client", "Client is public so neither 'client_assertion' nor 'client_secret' should be presented."),
    (700027, "invalid_client", "Client assertion failed signature validation."),
    (700082, "invalid_grant", "The refresh token has expired due to inactivity. The token was issued on {0} and was inactive for {1}."),
    (900144, "invalid_request", "The request body must contain the following parameter: '{0}'."),
    (1002012, "invalid_scope", "The provided value for scope {0} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."),
    (7000215, "invalid_client", "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{0}'."),
    (7000218, "invalid_client", "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
    (7000222, "invalid_client", "The provided client secret keys for app '{0}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."),
    (9002313, "invalid_grant", "Invalid request. Request is malformed or invalid."),
    (9002331, "invalid_request", "Application '{0}'({1}) is configured for use by Microsoft Account users only. Please use the /consumers endpoint to serve this request."),
    (9002332, "invalid_request", "Application '{0}'({1}) is configured for use by Azure Active Directory users only. Please do not use the /consumers endpoint to serve this request."),
];

/// The table entry for a code: `(OAuth error, text template)`.
pub fn lookup(code: u32) -> Option<(&'static str, &'static str)> {
    AADSTS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, error, text)| (*error, *text))
}

/// One identity-platform error: an AADSTS code, its OAuth `error` and its text (without the `AADSTSnnn: `).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AadError {
    pub code: u32,
    pub error: String,
    pub message: String,
    /// Microsoft's `suberror` (e.g. `basic_action` for MFA), when it sends one.
    pub suberror: Option<String>,
}

impl AadError {
    /// The table's error and text for `code`, with `{0}`, `{1}`, … replaced by `args`. A code missing from the
    /// table becomes `invalid_request` with a generic text, so fault injection can use any code.
    pub fn new(code: u32, args: &[&str]) -> Self {
        let (error, template) = lookup(code).unwrap_or(("invalid_request", "Error code {0}."));
        let mut message = template.to_string();
        if lookup(code).is_none() {
            message = message.replace("{0}", &code.to_string());
        }
        for (index, arg) in args.iter().enumerate() {
            message = message.replace(&format!("{{{index}}}"), arg);
        }
        Self {
            code,
            error: error.to_string(),
            message,
            suberror: None,
        }
    }

    /// The same code under another OAuth `error` (the authorize endpoint and the device flow use their own).
    pub fn with_error(mut self, error: &str) -> Self {
        self.error = error.to_string();
        self
    }

    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }

    pub fn with_suberror(mut self, suberror: &str) -> Self {
        self.suberror = Some(suberror.to_string());
        self
    }

    /// HTTP status at the token endpoint: 401 for `invalid_client`, else 400.
    pub fn status(&self) -> StatusCode {
        if self.error == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        }
    }

    /// `AADSTSnnn: text`.
    pub fn headline(&self) -> String {
        format!("AADSTS{}: {}", self.code, self.message)
    }

    /// The full `error_description`: headline, trace id, correlation id, timestamp, CRLF-separated.
    pub fn description(&self, trace: &Trace) -> String {
        format!(
            "{}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
            self.headline(),
            trace.trace_id,
            trace.correlation_id,
            trace.timestamp
        )
    }

    /// The token-endpoint JSON body.
    pub fn json(&self, base: &str, trace: &Trace) -> serde_json::Value {
        let mut body = json!({
            "error": self.error,
            "error_description": self.description(trace),
            "error_codes": [self.code],
            "timestamp": trace.timestamp,
            "trace_id": trace.trace_id,
            "correlation_id": trace.correlation_id,
            "error_uri": format!("{base}/error?code={}", self.code),
        });
        if let (Some(suberror), Some(map)) = (&self.suberror, body.as_object_mut()) {
            map.insert("suberror".into(), json!(suberror));
        }
        body
    }

    /// A token-endpoint error response (status, JSON, no-store headers).
    pub fn token_response(&self, base: &str, trace: &Trace) -> Response {
        let mut response = (self.status(), axum::Json(self.json(base, trace))).into_response();
        no_store(response.headers_mut());
        response
    }

    /// The query (or fragment) parameters of an error redirect to the app, state last.
    pub fn redirect_params(&self, trace: &Trace, state: Option<&str>) -> Vec<(String, String)> {
        let mut params = vec![
            ("error".to_string(), self.error.clone()),
            ("error_description".to_string(), self.description(trace)),
        ];
        if let Some(state) = state {
            params.push(("state".into(), state.into()));
        }
        params
    }
}

impl std::fmt::Display for AadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.headline())
    }
}

/// `Cache-Control: no-store, no-cache` and `Pragma: no-cache`, as on every Microsoft token response.
pub fn no_store(headers: &mut HeaderMap) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The ids and time stamped on one error.
#[derive(Clone, Debug)]
pub struct Trace {
    pub trace_id: String,
    pub correlation_id: String,
    /// `YYYY-MM-DD hh:mm:ssZ`.
    pub timestamp: String,
}

impl Trace {
    /// A fresh trace; the correlation id is the client's `client-request-id` when it sent one.
    pub fn new(now: OffsetDateTime, headers: Option<&HeaderMap>) -> Self {
        let correlation_id = headers
            .and_then(|headers| headers.get("client-request-id"))
            .and_then(|value| value.to_str().ok())
            .and_then(|value| Uuid::parse_str(value).ok())
            .unwrap_or_else(Uuid::new_v4);
        Self {
            trace_id: Uuid::new_v4().to_string(),
            correlation_id: correlation_id.to_string(),
            timestamp: aad_timestamp(now),
        }
    }
}

/// `2016-01-09 02:02:12Z`.
pub fn aad_timestamp(now: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    now.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// A Microsoft Graph error: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
#[derive(Clone, Debug)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// `error_description` of the `WWW-Authenticate` challenge on a 401.
    pub challenge: Option<String>,
    pub retry_after: Option<u64>,
}

impl GraphError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            challenge: None,
            retry_after: None,
        }
    }

    /// 401 InvalidAuthenticationToken with a Bearer challenge.
    pub fn invalid_token(message: &str) -> Self {
        Self {
            challenge: Some(message.to_string()),
            ..Self::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message)
        }
    }

    /// 403 ErrorAccessDenied.
    pub fn access_denied() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        )
    }

    /// 429 with `Retry-After`.
    pub fn throttled(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Please try again later.",
            )
        }
    }

    /// The response, stamped with `now` and the client's `client-request-id`.
    pub fn response(&self, base: &str, now: OffsetDateTime, request_headers: &HeaderMap) -> Response {
        let request_id = Uuid::new_v4().to_string();
        let client_request_id = request_headers
            .get("client-request-id")
            .and_then(|value| value.to_str().ok())
            .map(str::to_string)
            .unwrap_or_else(|| request_id.clone());
        let date = super::seed::iso8601(now);
        let body = json!({"error": {
            "code": self.code,
            "message": self.message,
            "innerError": {"date": date, "request-id": request_id, "client-request-id": client_request_id},
        }});
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert("request-id", value.clone());
        }
        if let Ok(value) = HeaderValue::from_str(&client_request_id) {
            headers.insert("client-request-id", value);
        }
        if let Some(message) = &self.challenge {
            let challenge = format!(
                "Bearer realm=\"\", authorization_uri=\"{base}/common/oauth2/authorize\", client_id=\"{}\", \
                 error=\"invalid_token\", error_description=\"{}\"",
                super::scopes::GRAPH_APP_ID,
                message.replace('"', "'")
            );
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                headers.insert(header::WWW_AUTHENTICATE, value);
            }
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_the_product_diagnoses_has_a_text() {
        for code in [
            7000215, 7000222, 50011, 700016, 50194, 65001, 700082, 70016, 70019, 28000, 54005, 501481, 90002,
            700025, 7000218, 50076, 50053, 50057, 65004, 700027, 70008, 50173, 70043,
        ] {
            assert!(lookup(code).is_some(), "AADSTS{code} is missing from the table");
        }
        let mut codes: Vec<u32> = AADSTS.iter().map(|(code, _, _)| *code).collect();
        codes.dedup();
        assert_eq!(codes.len(), AADSTS.len(), "the table lists a code twice");
    }

    #[test]
    fn placeholders_are_filled() {
        let error = AadError::new(7000215, &["abc"]);
        assert_eq!(error.error, "invalid_client");
        assert!(error.message.ends_with("for a secret added to app 'abc'."));
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
        let unknown = AadError::new(123456, &[]);
        assert_eq!(unknown.headline(), "AADSTS123456: Error code 123456.");
    }

    #[test]
    fn description_has_microsofts_layout() {
        let trace = Trace::new(OffsetDateTime::UNIX_EPOCH, None);
        let text = AadError::new(70016, &[]).description(&trace);
        assert!(text.starts_with("AADSTS70016: OAuth 2.0 device flow error."));
        assert!(text.contains("\r\nTrace ID: "));
        assert!(text.ends_with("\r\nTimestamp: 1970-01-01 00:00:00Z"));
    }
}
