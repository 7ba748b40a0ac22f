//! The "Connect a mailbox" wizard over IPC: field checks, the Entra guide, tenant discovery, saving the account
//! (the secret goes straight to the keychain), and the sign-in with live events. Nothing secret comes back.

use std::sync::Arc;

use mailgrant_core::connect::{self, SignInPlan};
use mailgrant_core::health::{self, AccountHealth};
use mailgrant_core::identity::endpoints::Endpoints;
use mailgrant_core::identity::setup::{self, FieldCheck};
use mailgrant_core::model::{Flow, RedirectMode};
use mailgrant_core::signin::authcode::AuthRequest;
use mailgrant_core::signin::discovery;
use mailgrant_core::signin::loopback::{self, LoopbackRedirect};
use mailgrant_core::tokens::now_unix;
use mailgrant_core::wizard::{self, SetupGuide, WizardDraft};
use mailgrant_core::SecretString;
use tauri::ipc::Channel;
use tauri::State;
use tokio_util::sync::CancellationToken;

use crate::dto::{ErrorCode, IpcError, SignInEvent, TenantFound};
use crate::state::Callbacks;
use crate::AppState;

/// Checks one pasted value as it is typed: `clientId`, `tenant` or `clientSecret`.
#[tauri::command]
pub fn check_field(field: String, value: String) -> Result<FieldCheck, IpcError> {
    match field.as_str() {
        "clientId" => Ok(setup::check_client_id(&value)),
        "tenant" => Ok(setup::check_tenant(&value)),
        "clientSecret" => Ok(setup::check_client_secret(&value)),
        other => Err(IpcError::new(
            ErrorCode::BadField,
            format!("no check for {other:?}"),
        )),
    }
}

/// What to do in Entra for the answers so far.
#[tauri::command]
pub fn setup_guide(draft: WizardDraft) -> SetupGuide {
    wizard::guide(&draft)
}

/// Looks the tenant up at the identity platform (its OpenID configuration): does it exist, which cloud.
#[tauri::command]
pub async fn discover_tenant(
    state: State<'_, AppState>,
    draft: WizardDraft,
) -> Result<TenantFound, IpcError> {
    let tenant = draft
        .tenant_value()
        .map_err(|m| IpcError::new(ErrorCode::BadTenant, m))?;
    let endpoints = Endpoints::for_cloud(&draft.cloud);
    let info = discovery::discover(&state.http, &endpoints, &tenant)
        .await
        .map_err(IpcError::from_sign_in)?;
    Ok(TenantFound {
        tenant_id: info.tenant_id,
        cloud_instance: info.cloud_instance_name,
        region_scope: info.region_scope,
    })
}

/// Saves the account (and its app registration; a client secret to the keychain first). `replace`: the wizard
/// saves again after the user went back and changed an answer.
#[tauri::command]
pub async fn save_account(
    state: State<'_, AppState>,
    draft: WizardDraft,
    secret: Option<String>,
    secret_expires: Option<String>,
    replace: bool,
) -> Result<AccountHealth, IpcError> {
    let expires = secret_expires
        .filter(|s| !s.trim().is_empty())
        .map(|text| {
            time::Date::parse(
                text.trim(),
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map(|d| d.with_hms(23, 59, 59).map(|t| t.assume_utc()))
            .map_err(|_| {
                IpcError::new(
                    ErrorCode::BadDate,
                    "Give the expiry date as shown in Entra (YYYY-MM-DD).",
                )
            })
        })
        .transpose()?
        .transpose()
        .map_err(|e| IpcError::new(ErrorCode::BadDate, e.to_string()))?;
    if expires.is_some_and(|at| at > time::OffsetDateTime::now_utc() + time::Duration::days(2 * 366)) {
        return Err(IpcError::new(
            ErrorCode::BadDate,
            "Entra does not issue secrets valid for more than 24 months: check the Expires column.",
        ));
    }
    let secret = secret
        .filter(|s| !s.trim().is_empty())
        .map(|s| match setup::check_client_secret(&s) {
            FieldCheck::Ok { value } => Ok((SecretString::new(value), expires)),
            FieldCheck::Warning { message, .. } | FieldCheck::Problem { message } => {
                Err(IpcError::new(ErrorCode::BadSecret, message))
            }
        })
        .transpose()?;
    let new = wizard::new_account(&draft, secret).map_err(|m| IpcError::new(ErrorCode::BadAnswer, m))?;
    let (store, vault) = (state.tokens.store().clone(), Arc::clone(state.tokens.vault()));
    let name = new.name.clone();
    let account = tokio::task::spawn_blocking(move || {
        if replace && store.account(&name).ok().flatten().is_some() {
            mailgrant_core::accounts::remove(&store, &vault, &name).map_err(IpcError::from_account)?;
        }
        connect::add_account(&store, &vault, new).map_err(IpcError::from_add)
    })
    .await
    .map_err(|e| IpcError::new(ErrorCode::Internal, e.to_string()))??;
    let config = state.tokens.store().load().map_err(IpcError::from_store)?;
    Ok(health::account_health(
        &account,
        config.registration(&account.registration),
        now_unix(),
    ))
}

/// Signs the account in: opens the system browser (or shows a device code), reports on `on_event`, and resolves
/// when the tokens are in the keychain. One sign-in at a time; `cancel_sign_in` stops it.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    name: String,
    on_event: Channel<SignInEvent>,
) -> Result<AccountHealth, IpcError> {
    let plan = SignInPlan::load(&state.tokens, &name).map_err(IpcError::from_connect)?;
    state
        .tracked_sign_in(|cancel, callback| run_sign_in(&state, &plan, &on_event, cancel, callback))
        .await?;
    state.health_of(&name)
}

async fn run_sign_in(
    state: &AppState,
    plan: &SignInPlan,
    events: &Channel<SignInEvent>,
    cancel: CancellationToken,
    callback: Callbacks,
) -> Result<(), IpcError> {
    let tokens = &state.tokens;
    match plan.account.flow {
        Flow::ClientCredentials => {
            plan.client_credentials(tokens)
                .await
                .map_err(IpcError::from_connect)?;
        }
        Flow::DeviceCode => {
            let authorization = plan
                .start_device_code(&state.http)
                .await
                .map_err(IpcError::from_connect)?;
            let _ = events.send(SignInEvent::device_code(&authorization.prompt));
            plan.finish_device_code(tokens, &state.http, &authorization, &cancel)
                .await
                .map_err(IpcError::from_connect)?;
        }
        Flow::AuthCode => {
            let (request, code) = browser_code(
                plan.registration.redirect_mode,
                &plan.endpoints,
                events,
                cancel,
                callback,
                |uri| plan.authorize(uri).map_err(IpcError::from_connect),
            )
            .await?;
            plan.redeem(tokens, &state.http, request, code)
                .await
                .map_err(IpcError::from_connect)?;
        }
    }
    Ok(())
}

/// A sign-in in the system browser: opens the request `authorize` makes for the redirect URI, tells the UI on
/// `events`, and waits for the answer on a loopback port, or for the address pasted back or the mailgrant://
/// link (through `callback`). Returns the request and the code to redeem.
pub(crate) async fn browser_code(
    mode: RedirectMode,
    endpoints: &Endpoints,
    events: &Channel<SignInEvent>,
    cancel: CancellationToken,
    mut callbacks: Callbacks,
    authorize: impl FnOnce(&str) -> Result<AuthRequest, IpcError>,
) -> Result<(AuthRequest, SecretString), IpcError> {
    let announce = |request: &AuthRequest, paste: bool| {
        let opened = crate::browser::open(&request.url).is_ok();
        let _ = events.send(SignInEvent::Browser {
            url: request.url.clone(),
            opened,
            paste,
        });
    };
    if mode == RedirectMode::Loopback {
        let listener = LoopbackRedirect::bind().await.map_err(IpcError::from_sign_in)?;
        let request = authorize(&listener.redirect_uri())?;
        announce(&request, false);
        let code = listener
            .wait(request.state(), loopback::DEFAULT_TIMEOUT, cancel)
            .await
            .map_err(IpcError::from_sign_in)?;
        return Ok((request, code));
    }
    // Paste and deep link: the address comes back through `submit_sign_in_address` or a mailgrant:// link the
    // OS hands to the app.
    let request = authorize(&endpoints.redirect_uri_to_register(mode))?;
    announce(&request, mode == RedirectMode::Paste);
    let deadline = tokio::time::Instant::now() + loopback::DEFAULT_TIMEOUT;
    loop {
        let callback = tokio::select! {
            callback = callbacks.recv() => {
                callback.ok_or_else(|| IpcError::new(ErrorCode::Cancelled, "The sign-in was cancelled."))?
            }
            () = cancel.cancelled() => return Err(IpcError::new(ErrorCode::Cancelled, "The sign-in was cancelled.")),
            () = tokio::time::sleep_until(deadline) => {
                return Err(IpcError::new(ErrorCode::TimedOut, "The sign-in was not finished within 5 minutes."))
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
        let code = answer.map_err(IpcError::from_sign_in)?;
        return Ok((request, code));
    }
}

/// Stops the sign-in in progress, if any.
#[tauri::command]
pub fn cancel_sign_in(state: State<'_, AppState>) -> bool {
    state.cancel_sign_in()
}

/// Hands the address the browser ended on (paste flow) to the sign-in in progress.
#[tauri::command]
pub fn submit_sign_in_address(state: State<'_, AppState>, address: String) -> Result<(), IpcError> {
    if state.deliver_callback(address, false) {
        Ok(())
    } else {
        Err(IpcError::new(
            ErrorCode::NoSignIn,
            "No sign-in is waiting for an address: start it again.",
        ))
    }
}
