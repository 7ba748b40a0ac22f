//! `mailgrant sign-in`: the browser (loopback or pasted address), a device code, or the app's own credential.

use super::*;

/// A cancellation token fired by Ctrl+C.
pub(super) fn cancel_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let fire = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            fire.cancel();
        }
    });
    cancel
}

pub(super) async fn sign_in(context: &Context, name: &str, no_browser: bool) -> Outcome {
    let plan = SignInPlan::load(&context.tokens, name)?;
    let colour = out::colour_stderr();
    let account = match plan.account.flow {
        Flow::ClientCredentials => {
            let issued = plan.client_credentials(&context.tokens).await?;
            say!(
                "{} {:?} has an app-only token (valid until {}).",
                out::paint("Ready:", Tone::Good, out::colour_stdout()),
                plan.account.name,
                out::datetime(issued.expires_at)
            );
            return Ok(EXIT_OK);
        }
        Flow::DeviceCode => {
            let authorization = plan.start_device_code(&context.http).await?;
            let prompt = &authorization.prompt;
            note!("To sign in, open {}", prompt.verification_uri);
            note!(
                "and enter the code  {}",
                out::paint(&prompt.user_code, Tone::Warn, colour)
            );
            note!(
                "Waiting for you to finish (the code works for {} minutes; Ctrl+C cancels)…",
                prompt.expires_in.as_secs() / 60
            );
            plan.finish_device_code(
                &context.tokens,
                &context.http,
                &authorization,
                &cancel_on_ctrl_c(),
            )
            .await?
        }
        Flow::AuthCode => {
            let (request, code) = browser_sign_in(plan.registration.redirect_mode, &plan.endpoints, no_browser, |uri| {
                Ok(plan.authorize(uri)?)
            })
            .await
            .map_err(|failure| match failure {
                BrowserFailure::DeepLink => usage(format!(
                    "{name:?} hands the sign-in back through mailgrant:// links, which the desktop app receives: \
                     sign in from the app, or add the redirect URI http://localhost to the app registration and \
                     add the account again with --redirect loopback"
                )),
                BrowserFailure::Failed(failure) => failure,
            })?;
            plan.redeem(&context.tokens, &context.http, request, code).await?
        }
    };
    let who = account
        .identity
        .as_ref()
        .and_then(|i| i.username.clone())
        .unwrap_or_else(|| account.address.clone());
    say!(
        "{} signed in as {who}; the tokens are in the keychain.",
        out::paint("Done:", Tone::Good, out::colour_stdout())
    );
    if account.shared_mailbox.is_none() && !who.eq_ignore_ascii_case(&account.address) {
        note!(
            "Note: {who} signed in, but the account is for {}. Mail servers will refuse that mailbox unless {who} \
             has access to it (then set it as a shared mailbox).",
            account.address
        );
    }
    Ok(EXIT_OK)
}

/// Why a browser sign-in could not run in the terminal.
pub(super) enum BrowserFailure {
    /// The registration answers through mailgrant:// links, which only the desktop app receives.
    DeepLink,
    Failed(Failure),
}

impl From<Failure> for BrowserFailure {
    fn from(failure: Failure) -> Self {
        BrowserFailure::Failed(failure)
    }
}

/// A sign-in in the system browser, answered on a loopback port or by pasting the final address: the request
/// (`authorize` makes it for the redirect URI) and the authorization code to redeem.
pub(super) async fn browser_sign_in(
    mode: RedirectMode,
    endpoints: &Endpoints,
    no_browser: bool,
    authorize: impl FnOnce(&str) -> Result<mailgrant_core::signin::authcode::AuthRequest, Failure>,
) -> Result<(mailgrant_core::signin::authcode::AuthRequest, SecretString), BrowserFailure> {
    match mode {
        RedirectMode::Loopback => {
            let listener = LoopbackRedirect::bind()
                .await
                .map_err(|e| Failure::from(ConnectError::from(e)))?;
            let request = authorize(&listener.redirect_uri())?;
            show_authorize_url(&request.url, no_browser);
            note!("Waiting for the browser (up to 5 minutes; Ctrl+C cancels)…");
            let code = listener
                .wait(request.state(), loopback::DEFAULT_TIMEOUT, cancel_on_ctrl_c())
                .await
                .map_err(|e| Failure::from(ConnectError::from(e)))?;
            Ok((request, code))
        }
        RedirectMode::Paste => {
            let request = authorize(&endpoints.redirect_uri_to_register(RedirectMode::Paste))?;
            show_authorize_url(&request.url, no_browser);
            note!(
                "After you sign in, the browser shows an empty page. Copy its whole address from the address \
                 bar and paste it here, then press Enter:"
            );
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| usage(format!("cannot read the address: {e}")))?;
            let code = request
                .code_from_callback(line.trim())
                .map_err(|e| Failure::from(ConnectError::from(e)))?;
            Ok((request, code))
        }
        RedirectMode::DeepLink => Err(BrowserFailure::DeepLink),
    }
}

pub(super) fn show_authorize_url(url: &str, no_browser: bool) {
    note!("Sign in at:\n  {url}");
    if !no_browser {
        if let Err(e) = crate::browser::open(url) {
            note!("(cannot open a browser: {e}; open the address above yourself)");
        }
    }
}
