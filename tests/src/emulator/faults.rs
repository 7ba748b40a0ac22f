//! Fault injection: the next N requests to a path get a delay, a dropped connection, an AADSTS error, any
//! status, an HTML page or a JSON body instead of (or before) the normal answer.

use std::time::Duration;

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::errors::{AadError, GraphError, Trace};
use super::state::State;

/// One injected fault. JSON example: `{"path":"/common/oauth2/v2.0/token","aadsts":50076,"count":2}`.
///
/// Precedence when several are set: `delay_ms` always applies first; then `drop`, `aadsts`, `html`, `body`,
/// `status`. A fault with only `delay_ms` delays the real answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fault {
    /// An exact path (`/common/oauth2/v2.0/token`) or a prefix ending in `*` (`/v1.0/*`).
    pub path: String,
    /// Only requests with this method (`GET`, `POST`); any when absent.
    pub method: Option<String>,
    /// How many matching requests it applies to (default 1).
    pub count: u32,
    /// Wait this long before answering.
    pub delay_ms: u64,
    /// Close the connection without answering.
    pub drop: bool,
    /// Answer with this AADSTS error as token-endpoint JSON (text from the table unless `message` is given).
    pub aadsts: Option<u32>,
    /// Overrides the OAuth `error` of `aadsts`.
    pub error: Option<String>,
    /// Overrides the text of `aadsts` (or the Graph error message).
    pub message: Option<String>,
    /// HTTP status. Alone on a Graph path (`/v1.0/…`) it comes with a Graph error body (429: TooManyRequests).
    pub status: Option<u16>,
    /// Answer with this HTML (status 200 unless `status`).
    pub html: Option<String>,
    /// Answer with this JSON (status 200 unless `status`).
    pub body: Option<serde_json::Value>,
    /// `Retry-After` seconds (429 and 503).
    pub retry_after: Option<u64>,
}

impl Fault {
    /// A fault for the next request to `path`; set the other fields with struct-update syntax.
    pub fn at(path: &str) -> Self {
        Self {
            path: path.into(),
            count: 1,
            ..Self::default()
        }
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        let method_ok = self
            .method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()));
        let path_ok = match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => self.path.trim_end_matches('/') == path.trim_end_matches('/'),
        };
        method_ok && path_ok
    }

    /// The answer this fault gives instead of the normal one, if any (`None`: delay only, or drop).
    pub(crate) fn response(
        &self,
        base: &str,
        state: &State,
        path: &str,
        headers: &HeaderMap,
    ) -> Option<Response> {
        let status = self.status.and_then(|code| StatusCode::from_u16(code).ok());
        let mut response = if let Some(code) = self.aadsts {
            let mut error = AadError::new(code, &[]);
            if let Some(name) = &self.error {
                error = error.with_error(name);
            }
            if let Some(message) = &self.message {
                error = error.with_message(message.clone());
            }
            let mut response = error.token_response(base, &Trace::new(state.now(), Some(headers)));
            if let Some(status) = status {
                *response.status_mut() = status;
            }
            response
        } else if let Some(html) = &self.html {
            (status.unwrap_or(StatusCode::OK), Html(html.clone())).into_response()
        } else if let Some(body) = &self.body {
            (status.unwrap_or(StatusCode::OK), axum::Json(body.clone())).into_response()
        } else if let Some(status) = status {
            if path.starts_with("/v1.0/") {
                let mut error = match status {
                    StatusCode::TOO_MANY_REQUESTS => GraphError::throttled(self.retry_after.unwrap_or(1)),
                    StatusCode::UNAUTHORIZED => GraphError::invalid_token("Access token validation failure."),
                    StatusCode::FORBIDDEN => GraphError::access_denied(),
                    StatusCode::SERVICE_UNAVAILABLE => GraphError {
                        retry_after: self.retry_after,
                        ..GraphError::new(status, "ServiceUnavailable", "Service Unavailable")
                    },
                    _ => GraphError::new(status, "UnknownError", ""),
                };
                if let Some(message) = &self.message {
                    error.message = message.clone();
                }
                error.response(base, state.now(), headers)
            } else {
                status.into_response()
            }
        } else {
            return None;
        };
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        Some(response)
    }
}

/// What the server does with a request before routing it.
pub(crate) enum Injected {
    None,
    Delay(Duration, Option<Response>),
    Drop(Duration),
}

impl State {
    /// Takes one use of the first fault matching the request.
    pub(crate) fn take_fault(&mut self, method: &Method, path: &str) -> Option<Fault> {
        let index = self.faults.iter().position(|fault| fault.matches(method, path))?;
        let fault = self.faults.get_mut(index)?;
        fault.count = fault.count.saturating_sub(1);
        let taken = fault.clone();
        if fault.count == 0 {
            self.faults.remove(index);
        }
        Some(taken)
    }

    /// Adds a fault (count 0 means 1).
    pub(crate) fn add_fault(&mut self, mut fault: Fault) {
        fault.count = fault.count.max(1);
        self.faults.push(fault);
    }
}

/// Decides what happens to a request: nothing, an answer after a delay, or a dropped connection.
pub(crate) fn inject(
    base: &str,
    state: &mut State,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Injected {
    let Some(fault) = state.take_fault(method, path) else {
        return Injected::None;
    };
    let delay = Duration::from_millis(fault.delay_ms);
    if fault.drop {
        return Injected::Drop(delay);
    }
    Injected::Delay(delay, fault.response(base, state, path, headers))
}
