//! One app registration asking Microsoft for tokens as a user: the browser's authorize request and its code
//! redeemed, or a device code approved. An account's sign-in ([`crate::connect::SignInPlan`]) and a directory
//! import ([`crate::directory::ImportPlan`]) are both [`Delegated`] sign-ins: they differ only in their scopes
//! and in what they keep, and their browser and device-code steps are written once, here.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::authcode::{AuthParams, AuthRequest};
use super::device::{self, DeviceAuthorization};
use super::token_endpoint::{TokenEndpoint, TokenResponse};
use super::SignInError;
use crate::accounts::{self, AccountError};
use crate::identity::endpoints::Endpoints;
use crate::model::{AppRegistration, SignedInIdentity};
use crate::token_lifecycle::{TokenError, TokenService};
use crate::SecretString;

/// A registration, its cloud's endpoints, and the scopes its tokens are asked for (one resource).
#[derive(Debug, Clone, Copy)]
pub struct Grant<'a> {
    pub registration: &'a AppRegistration,
    pub endpoints: &'a Endpoints,
    pub scopes: &'a [String],
}

/// What a user's sign-in got: the token endpoint's answer and, from its id_token, who signed in.
pub type Granted = (TokenResponse, Option<SignedInIdentity>);

impl Grant<'_> {
    /// The authorize request to open in the system browser: consent to `consent` (every resource at once), the
    /// account suggested by `login_hint`, `prompt` as Microsoft takes it (`select_account`).
    pub fn authorize(
        &self,
        redirect_uri: &str,
        consent: &[String],
        login_hint: Option<&str>,
        prompt: Option<&str>,
    ) -> Result<AuthRequest, SignInError> {
        AuthRequest::new(&AuthParams {
            authorize_url: &self.endpoints.authorize_url(&self.registration.tenant),
            client_id: &self.registration.client_id,
            redirect_uri,
            scopes: consent,
            login_hint,
            prompt,
        })
    }

    fn token_endpoint(&self, http: &reqwest::Client) -> TokenEndpoint {
        TokenEndpoint::new(http.clone(), self.endpoints.token_url(&self.registration.tenant))
    }

    /// Redeems the code of the browser's answer (with the registration's secret or certificate when it has one)
    /// and reads who signed in, checking the request's nonce.
    pub async fn redeem<E>(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
        request: AuthRequest,
        code: SecretString,
    ) -> Result<Granted, E>
    where
        E: From<SignInError> + From<TokenError> + From<AccountError>,
    {
        let endpoint = self.token_endpoint(http);
        let auth = service.client_auth(self.registration, endpoint.url()).await?;
        let nonce = request.nonce().to_owned();
        let answer = request
            .redeem(&endpoint, &self.registration.client_id, &code, self.scopes, &auth)
            .await?;
        let identity = identity(&answer, Some(&nonce))?;
        Ok((answer, identity))
    }

    /// Starts the device code flow: show `prompt.user_code` and `prompt.verification_uri` to the user.
    pub async fn start_device_code(
        &self,
        http: &reqwest::Client,
    ) -> Result<DeviceAuthorization, SignInError> {
        let url = self.endpoints.device_code_url(&self.registration.tenant);
        device::start(http, &url, &self.registration.client_id, self.scopes).await
    }

    /// Waits for the user to approve the device code (or `cancel`), and reads who signed in.
    pub async fn finish_device_code<E>(
        &self,
        http: &reqwest::Client,
        authorization: &DeviceAuthorization,
        cancel: &CancellationToken,
    ) -> Result<Granted, E>
    where
        E: From<SignInError> + From<AccountError>,
    {
        let answer = authorization
            .poll(&self.token_endpoint(http), &self.registration.client_id, cancel)
            .await?;
        let identity = identity(&answer, None)?;
        Ok((answer, identity))
    }
}

/// A user's sign-in for one purpose: an account ([`crate::connect::SignInPlan`]) or a directory import
/// ([`crate::directory::ImportPlan`]).
pub trait Delegated: Sync {
    /// What a finished sign-in kept.
    type Done;
    type Error: From<SignInError> + From<TokenError> + From<AccountError> + Send;

    fn registration(&self) -> &AppRegistration;
    fn endpoints(&self) -> &Endpoints;
    /// The scopes the first token is asked for (one resource: Microsoft refuses two in one token request).
    fn token_scopes(&self) -> Vec<String>;
    /// The authorize request to open in the system browser.
    fn authorize(&self, redirect_uri: &str) -> Result<AuthRequest, Self::Error>;
    /// Keeps what the sign-in got: the refresh token in the keychain first.
    fn keep(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
        granted: Granted,
    ) -> impl Future<Output = Result<Self::Done, Self::Error>> + Send;

    /// Redeems the code taken from the browser's answer and keeps the result.
    fn redeem(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
        request: AuthRequest,
        code: SecretString,
    ) -> impl Future<Output = Result<Self::Done, Self::Error>> + Send {
        async move {
            let scopes = self.token_scopes();
            let granted = grant(self, &scopes)
                .redeem::<Self::Error>(service, http, request, code)
                .await?;
            self.keep(service, http, granted).await
        }
    }

    /// Starts the device code flow: show `prompt.user_code` and `prompt.verification_uri` to the user.
    fn start_device_code(
        &self,
        http: &reqwest::Client,
    ) -> impl Future<Output = Result<DeviceAuthorization, Self::Error>> + Send {
        async move {
            let scopes = self.token_scopes();
            Ok(grant(self, &scopes).start_device_code(http).await?)
        }
    }

    /// Waits for the user to approve the device code (or `cancel`), then keeps the result.
    fn finish_device_code(
        &self,
        service: &TokenService,
        http: &reqwest::Client,
        authorization: &DeviceAuthorization,
        cancel: &CancellationToken,
    ) -> impl Future<Output = Result<Self::Done, Self::Error>> + Send {
        async move {
            let scopes = self.token_scopes();
            let granted = grant(self, &scopes)
                .finish_device_code::<Self::Error>(http, authorization, cancel)
                .await?;
            self.keep(service, http, granted).await
        }
    }
}

/// The plan's registration and endpoints asking for `scopes`.
pub fn grant<'a, P: Delegated + ?Sized>(plan: &'a P, scopes: &'a [String]) -> Grant<'a> {
    Grant {
        registration: plan.registration(),
        endpoints: plan.endpoints(),
        scopes,
    }
}

fn identity(answer: &TokenResponse, nonce: Option<&str>) -> Result<Option<SignedInIdentity>, AccountError> {
    answer
        .id_token
        .as_ref()
        .map(|t| accounts::identity_from_id_token(t, nonce))
        .transpose()
}
