//! Device code flow: the user signs in on another device with a short code. Needs "Allow public client flows".
//! Polling honours `interval`, backs off by 5 s on `slow_down`, keeps going on `authorization_pending`, and stops
//! on `authorization_declined`, `expired_token`, a timeout or cancellation.

use std::time::Duration;

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::token_endpoint::{ClientAuth, TokenEndpoint, TokenResponse};
use super::SignInError;
use crate::diagnosis::Diagnosis;
use crate::model::ClientId;

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// What the user must do: open `verification_uri` and enter `user_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    /// Microsoft's own sentence, localised with `?mkt=`.
    pub message: String,
    pub expires_in: Duration,
    pub interval: Duration,
}

#[derive(Deserialize)]
struct RawDeviceCode {
    device_code: String,
    user_code: String,
    verification_uri: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default = "default_expiry")]
    expires_in: u64,
    #[serde(default = "default_interval")]
    interval: u64,
}

/// The longest device-code life believed (Microsoft: 900 s).
pub const MAX_DEVICE_CODE_SECS: u64 = 3600;
/// The longest wait between polls (Microsoft: 5 s, plus 5 s per `slow_down`).
pub const MAX_INTERVAL_SECS: u64 = 60;

fn default_expiry() -> u64 {
    900
}
fn default_interval() -> u64 {
    5
}

/// A device code issued and waiting for the user.
pub struct DeviceAuthorization {
    pub prompt: DeviceCodePrompt,
    device_code: String,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("prompt", &self.prompt)
            .finish_non_exhaustive()
    }
}

/// Asks for a device code for `scopes` (one resource).
pub async fn start(
    http: &reqwest::Client,
    device_code_url: &str,
    client_id: &ClientId,
    scopes: &[String],
) -> Result<DeviceAuthorization, SignInError> {
    let scope = scopes.join(" ");
    let request = http
        .post(device_code_url)
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[("client_id", client_id.as_str()), ("scope", scope.as_str())]);
    let answer = super::http::exchange(device_code_url, request)
        .await
        .map_err(SignInError::Failed)?;
    let (status, content_type, body) = (answer.status, answer.content_type, answer.body);
    authorization_from(status, content_type.as_deref(), &body)
}

/// Reads the device-code endpoint's answer.
pub(crate) fn authorization_from(
    status: u16,
    content_type: Option<&str>,
    body: &str,
) -> Result<DeviceAuthorization, SignInError> {
    match serde_json::from_str::<RawDeviceCode>(body) {
        Ok(raw) if status == 200 => Ok(DeviceAuthorization {
            prompt: DeviceCodePrompt {
                message: raw.message.unwrap_or_else(|| {
                    format!(
                        "To sign in, open {} and enter the code {}.",
                        raw.verification_uri, raw.user_code
                    )
                }),
                user_code: raw.user_code,
                verification_uri: raw.verification_uri,
                // Clamped before `Instant::now() + expires_in`, which panics on a huge value.
                expires_in: Duration::from_secs(raw.expires_in.clamp(1, MAX_DEVICE_CODE_SECS)),
                interval: Duration::from_secs(raw.interval.clamp(1, MAX_INTERVAL_SECS)),
            },
            device_code: raw.device_code,
        }),
        _ => Err(Diagnosis::from_identity_response(status, content_type, body).into()),
    }
}

impl DeviceAuthorization {
    /// Polls until the user approves (tokens), declines, the code expires, or `cancel` fires.
    pub async fn poll(
        &self,
        endpoint: &TokenEndpoint,
        client_id: &ClientId,
        cancel: &CancellationToken,
    ) -> Result<TokenResponse, SignInError> {
        let deadline = tokio::time::Instant::now() + self.prompt.expires_in;
        let mut interval = self.prompt.interval;
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = cancel.cancelled() => return Err(SignInError::Cancelled),
            }
            let params = [("device_code", self.device_code.as_str())];
            match endpoint
                .request(GRANT_TYPE, client_id, &params, &ClientAuth::None)
                .await
            {
                Ok(tokens) => return Ok(tokens),
                Err(SignInError::Failed(d)) => match d.raw.error.as_deref() {
                    Some("authorization_pending") => {}
                    Some("slow_down") => {
                        interval =
                            (interval + Duration::from_secs(5)).min(Duration::from_secs(MAX_INTERVAL_SECS));
                    }
                    _ => return Err(SignInError::Failed(d)),
                },
                Err(other) => return Err(other),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(SignInError::TimedOut(self.prompt.expires_in));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_supplied_lifetimes_are_clamped_before_any_clock_arithmetic() {
        let body = r#"{"device_code":"d","user_code":"ABC","verification_uri":"https://microsoft.com/devicelogin",
            "expires_in":18446744073709551615,"interval":18446744073709551615}"#;
        let a = authorization_from(200, Some("application/json"), body).unwrap();
        assert_eq!(a.prompt.expires_in, Duration::from_secs(MAX_DEVICE_CODE_SECS));
        assert_eq!(a.prompt.interval, Duration::from_secs(MAX_INTERVAL_SECS));
        // `Instant::now() + expires_in` is what poll does: it must not panic.
        let _deadline = tokio::time::Instant::now() + a.prompt.expires_in;

        let zero = r#"{"device_code":"d","user_code":"ABC","verification_uri":"https://microsoft.com/devicelogin",
            "expires_in":0,"interval":0}"#;
        let a = authorization_from(200, Some("application/json"), zero).unwrap();
        assert_eq!(
            (a.prompt.expires_in, a.prompt.interval),
            (Duration::from_secs(1), Duration::from_secs(1))
        );
    }
}
