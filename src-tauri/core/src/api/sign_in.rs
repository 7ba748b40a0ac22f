//! Sign-in, the one driver: an account (browser with a loopback, deep-link or pasted answer; device code; the
//! app's own credential) or a directory import (an admin in the browser or with a device code; the app itself).
//! The app, the CLI and the tests each implement [`SignInHost`]; everything else happens here.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::{Api, ApiError, ErrorCode};
use crate::connect::SignInPlan;
use crate::directory::{DirectoryImport, ImportPlan};
use crate::identity::endpoints::Endpoints;
use crate::model::{Account, ClientKind, Flow, RedirectMode};
use crate::signin::authcode::AuthRequest;
use crate::signin::device::DeviceCodePrompt;
use crate::signin::grant::Delegated;
use crate::signin::loopback::{self, LoopbackRedirect};
use crate::signin::token_endpoint::ClientAuth;
use crate::token_lifecycle::IssuedToken;
use crate::SecretString;

/// What a sign-in in progress tells the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum SignInEvent {
    /// The authorize page is open in the system browser (`opened` false: show the address to open by hand).
    /// `paste`: the user pastes the address the browser ends on.
    #[serde(rename_all = "camelCase")]
    Browser { url: String, opened: bool, paste: bool },
    /// Show the code large; the user enters it at `verification_uri`.
    #[serde(rename_all = "camelCase")]
    DeviceCode {
        user_code: String,
        verification_uri: String,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        expires_in_secs: u64,
    },
}

impl SignInEvent {
    fn device_code(prompt: &DeviceCodePrompt) -> Self {
        SignInEvent::DeviceCode {
            user_code: prompt.user_code.clone(),
            verification_uri: prompt.verification_uri.clone(),
            expires_in_secs: prompt.expires_in.as_secs(),
        }
    }
}

/// An answer for the waiting sign-in: the address the user pasted back, or a `mailgrant://` link the OS handed
/// to the app (which any web page can make the browser open: one that isn't the sign-in's answer is ignored).
#[derive(Debug, Clone)]
pub struct Callback {
    pub address: String,
    pub from_link: bool,
}

/// What differs between the surfaces that sign in: the desktop app, the CLI, a test.
pub trait SignInHost: Send {
    /// Opens `url` in the system browser; false when it could not (the user is then shown the address).
    fn open_browser(&mut self, url: &str) -> bool;
    /// Tells the user what to do now.
    fn announce(&mut self, event: SignInEvent);
    /// Whether `mailgrant://` links reach this surface (the desktop app registers for them; a terminal does not).
    fn receives_links(&self) -> bool;
    /// The next answer for the waiting sign-in (pasted back, or a link); `None` when no more will come.
    fn callback(&mut self) -> impl Future<Output = Option<Callback>> + Send;
    /// Fires when the user cancels.
    fn cancellation(&self) -> CancellationToken;
}

/// How an import reads the organisation's app registrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "kebab-case")]
pub enum ImportMethod {
    /// An admin signs in in the system browser.
    Browser,
    /// An admin enters a code in a browser anywhere.
    DeviceCode,
    /// The registration reads as itself (its secret or certificate, the Application.Read.All app permission).
    AppOnly,
}

/// What a finished sign-in of an account got.
#[derive(Debug)]
pub enum SignedIn {
    /// A user signed the account in: its refresh token is in the keychain.
    User(Box<Account>),
    /// An app-only account got a token with the app's own credential.
    AppOnly(IssuedToken),
}

/// Signs the account `name` in, start to finish, talking to the user through `host`: the browser (loopback,
/// deep link or pasted address), a device code, or the app's own credential, as the account is set up.
pub async fn account(api: &Api, name: &str, host: &mut impl SignInHost) -> Result<SignedIn, ApiError> {
    let tokens = &api.tokens;
    let plan = SignInPlan::load(tokens, name)?;
    let account = match plan.account.flow {
        Flow::ClientCredentials => return Ok(SignedIn::AppOnly(plan.client_credentials(tokens).await?)),
        Flow::DeviceCode => by_device_code(api, &plan, host).await?,
        Flow::AuthCode => {
            // A confidential client's secret (or certificate) is proved before the user signs in for nothing: a
            // wrong or expired Value would only fail after the browser, when the code is redeemed.
            if plan.registration.client_kind == ClientKind::Confidential {
                let token_url = plan.endpoints.token_url(&plan.registration.tenant);
                let auth = tokens.client_auth(&plan.registration, &token_url).await?;
                let what = match auth {
                    ClientAuth::Assertion(_) => "the app's certificate",
                    _ => "the app's client secret",
                };
                super::accounts::verify_credential(api, &plan.registration, &auth, what).await?;
            }
            by_browser(api, &plan, host, || {
                format!(
                    "{:?} hands the sign-in back through mailgrant:// links, which only the desktop app \
                     receives: sign in from the app, or add http://localhost as a redirect URI of the app \
                     registration and switch the account to the loopback redirect",
                    plan.account.name
                )
            })
            .await?
        }
    };
    Ok(SignedIn::User(Box::new(account)))
}

/// Reads an organisation's app registrations through one of Mailgrant's registrations (its id, client id or
/// name, or an account that signs in through it): an admin signs in (browser or device code, through `host`),
/// or the registration reads as itself.
pub async fn import(
    api: &Api,
    registration: &str,
    method: ImportMethod,
    host: &mut impl SignInHost,
) -> Result<DirectoryImport, ApiError> {
    let (tokens, http) = (&api.tokens, &api.http);
    let plan = ImportPlan::load(tokens, registration).map_err(|e| ApiError::from(e).about(registration))?;
    let import = match method {
        ImportMethod::AppOnly => plan.app_only(tokens, http).await.map_err(ApiError::from),
        ImportMethod::DeviceCode => by_device_code(api, &plan, host).await,
        ImportMethod::Browser => {
            by_browser(api, &plan, host, || {
                format!(
                    "{:?} hands the sign-in back through mailgrant:// links, which only the desktop app \
                     receives: import from the app's expiry board, or sign in with a device code",
                    plan.registration.name
                )
            })
            .await
        }
    };
    import.map_err(|e| e.about(registration))
}

/// A device code shown through `host`, then the wait for the user's approval.
async fn by_device_code<P: Delegated>(
    api: &Api,
    plan: &P,
    host: &mut impl SignInHost,
) -> Result<P::Done, ApiError>
where
    ApiError: From<P::Error>,
{
    let authorization = plan.start_device_code(&api.http).await?;
    let cancel = show_device_code(host, &authorization);
    Ok(plan
        .finish_device_code(&api.tokens, &api.http, &authorization, &cancel)
        .await?)
}

/// The system browser (a loopback, deep link or pasted answer, as the registration says), then the code
/// redeemed; `why_app`: what to tell a surface that `mailgrant://` links can't reach.
async fn by_browser<P: Delegated>(
    api: &Api,
    plan: &P,
    host: &mut impl SignInHost,
    why_app: impl FnOnce() -> String,
) -> Result<P::Done, ApiError>
where
    ApiError: From<P::Error>,
{
    let mode = plan.registration().redirect_mode;
    let (request, code) = browser_code(host, mode, plan.endpoints(), |uri| {
        plan.authorize(uri).map_err(ApiError::from)
    })
    .await
    .map_err(|e| needs_app(e, why_app))?;
    Ok(plan.redeem(&api.tokens, &api.http, request, code).await?)
}

/// Shows the user the device code to enter; the cancellation the wait for it listens to.
fn show_device_code(
    host: &mut impl SignInHost,
    authorization: &crate::signin::device::DeviceAuthorization,
) -> CancellationToken {
    host.announce(SignInEvent::device_code(&authorization.prompt));
    host.cancellation()
}

fn needs_app(e: ApiError, message: impl FnOnce() -> String) -> ApiError {
    if e.code == ErrorCode::NeedsDesktopApp {
        ApiError {
            message: message(),
            ..e
        }
    } else {
        e
    }
}

/// A sign-in in the system browser: opens the request `authorize` makes for the redirect URI, tells the user,
/// and waits for the answer on a loopback port, or for the address pasted back or the mailgrant:// link (through
/// the host). Returns the request and the code to redeem.
async fn browser_code(
    host: &mut impl SignInHost,
    mode: RedirectMode,
    endpoints: &Endpoints,
    authorize: impl FnOnce(&str) -> Result<AuthRequest, ApiError>,
) -> Result<(AuthRequest, SecretString), ApiError> {
    let cancel = host.cancellation();
    if mode == RedirectMode::Loopback {
        let listener = LoopbackRedirect::bind().await?;
        let request = authorize(&listener.redirect_uri())?;
        announce(host, &request, false);
        let code = listener
            .wait(request.state(), loopback::DEFAULT_TIMEOUT, cancel)
            .await?;
        return Ok((request, code));
    }
    if mode == RedirectMode::DeepLink && !host.receives_links() {
        return Err(ApiError::new(
            ErrorCode::NeedsDesktopApp,
            "this sign-in answers through mailgrant:// links, which only the desktop app receives",
        ));
    }
    let request = authorize(&endpoints.redirect_uri_to_register(mode))?;
    announce(host, &request, mode == RedirectMode::Paste);
    let deadline = tokio::time::Instant::now() + loopback::DEFAULT_TIMEOUT;
    loop {
        let callback = tokio::select! {
            callback = host.callback() => callback.ok_or_else(ApiError::cancelled)?,
            () = cancel.cancelled() => return Err(ApiError::cancelled()),
            () = tokio::time::sleep_until(deadline) => {
                return Err(ApiError::new(
                    ErrorCode::TimedOut,
                    "the sign-in was not finished within 5 minutes",
                ))
            }
        };
        let answer = if callback.from_link {
            match request.answer_from_link(&callback.address) {
                Some(answer) => answer,
                None => {
                    tracing::warn!("ignored a mailgrant:// link that is not the waiting sign-in's answer");
                    continue;
                }
            }
        } else {
            request.code_from_callback(&callback.address)
        };
        return Ok((request, answer?));
    }
}

fn announce(host: &mut impl SignInHost, request: &AuthRequest, paste: bool) {
    let opened = host.open_browser(&request.url);
    host.announce(SignInEvent::Browser {
        url: request.url.clone(),
        opened,
        paste,
    });
}

/// The sign-in in progress of a long-running process (the desktop app): one at a time; starting another
/// cancels the first; answers pasted back or handed over as links reach whichever is current.
#[derive(Debug, Clone, Default)]
pub struct Sessions {
    current: Arc<Mutex<Option<Pending>>>,
    next_id: Arc<AtomicU64>,
}

#[derive(Debug)]
struct Pending {
    id: u64,
    cancel: CancellationToken,
    answers: tokio::sync::mpsc::UnboundedSender<Callback>,
}

/// One tracked sign-in: its cancellation and where its answers arrive. Dropping it stops tracking it, unless
/// another sign-in replaced it meanwhile.
#[derive(Debug)]
pub struct Session {
    id: u64,
    sessions: Sessions,
    pub cancel: CancellationToken,
    pub answers: tokio::sync::mpsc::UnboundedReceiver<Callback>,
}

impl Drop for Session {
    fn drop(&mut self) {
        let mut current = self.sessions.current();
        if current.as_ref().is_some_and(|p| p.id == self.id) {
            current.take();
        }
    }
}

impl Sessions {
    fn current(&self) -> std::sync::MutexGuard<'_, Option<Pending>> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts tracking a sign-in; one that was still running is cancelled (the user started over).
    pub fn begin(&self) -> Session {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let cancel = CancellationToken::new();
        let (answers_tx, answers) = tokio::sync::mpsc::unbounded_channel();
        let pending = Pending {
            id,
            cancel: cancel.clone(),
            answers: answers_tx,
        };
        if let Some(old) = self.current().replace(pending) {
            old.cancel.cancel();
        }
        Session {
            id,
            sessions: self.clone(),
            cancel,
            answers,
        }
    }

    /// Cancels the sign-in in progress; false when there is none.
    pub fn cancel(&self) -> bool {
        match self.current().take() {
            Some(pending) => {
                pending.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Hands an address (pasted, or a mailgrant:// link) to the waiting sign-in; false when none waits.
    pub fn deliver(&self, address: String, from_link: bool) -> bool {
        self.current()
            .as_ref()
            .is_some_and(|p| p.answers.send(Callback { address, from_link }).is_ok())
    }

    /// Hands an address pasted back to the waiting sign-in, or says that none waits.
    pub fn submit_address(&self, address: String) -> Result<(), ApiError> {
        if self.deliver(address, false) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::NoSignIn,
                "No sign-in is waiting for an address: start it again.",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sign_in_that_ends_after_another_replaced_it_leaves_the_new_one_waiting() {
        let sessions = Sessions::default();
        let first = sessions.begin();
        let mut second = sessions.begin();
        assert!(first.cancel.is_cancelled(), "starting over cancels the first");
        drop(first);
        assert!(!second.cancel.is_cancelled());
        assert!(
            sessions.deliver("mailgrant://auth?code=x&state=y".into(), true),
            "the second still waits for its answer"
        );
        let callback = second.answers.recv().await.unwrap();
        assert_eq!(callback.address, "mailgrant://auth?code=x&state=y");
        assert!(callback.from_link);
        assert!(sessions.cancel());
        assert!(second.cancel.is_cancelled());
        assert!(!sessions.deliver("x".into(), false), "nothing waits any more");
        assert_eq!(
            sessions.submit_address("x".into()).unwrap_err().code,
            ErrorCode::NoSignIn
        );
    }
}
