//! Signing in: every OAuth2 flow Mailgrant supports, against Microsoft's identity platform (or anything that
//! speaks the same protocol, such as the test bed's emulator).
//!
//! - [`authcode`]: authorization code + PKCE (S256) + state + nonce, in the system browser, with the three
//!   redirect modes: [`loopback`], deep link and paste (both parsed by [`authcode::parse_callback`]).
//! - [`device`]: device code, for machines without a browser.
//! - [`client_credentials`]: app-only, with a client secret or a certificate (`private_key_jwt`).
//! - [`token`]: the token endpoint itself, shared by all of them and by refresh.
//! - [`discovery`]: tenant discovery through the OpenID configuration.

pub mod authcode;
pub mod client_credentials;
pub mod device;
pub mod discovery;
pub mod grant;
pub mod http;
pub mod loopback;
pub mod token_endpoint;

use std::time::Duration;

use crate::diagnosis::Diagnosis;

pub use token_endpoint::{TokenEndpoint, TokenResponse};

/// Why a sign-in did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Microsoft (or the network on the way) said no; the diagnosis says what, who fixes it and how.
    #[error("{0}")]
    Failed(Box<Diagnosis>),
    #[error(
        "cannot accept the sign-in answer: its state does not match the request (a stale or forged link)"
    )]
    StateMismatch,
    #[error("cannot read the sign-in answer: {0}")]
    InvalidCallback(String),
    #[error("cannot sign in at {0:?}: it is not a web address (check the custom cloud's login address)")]
    BadAuthority(String),
    #[error("the sign-in was not finished within {} minutes", .0.as_secs() / 60)]
    TimedOut(Duration),
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("cannot listen for the browser's answer on this computer")]
    Listen(#[source] std::io::Error),
    #[error("cannot build the client assertion from the certificate: {0}")]
    Certificate(String),
}

impl SignInError {
    pub fn diagnosis(&self) -> Option<&Diagnosis> {
        match self {
            SignInError::Failed(d) => Some(d),
            _ => None,
        }
    }
}

impl From<Diagnosis> for SignInError {
    fn from(d: Diagnosis) -> Self {
        SignInError::Failed(Box::new(d))
    }
}
