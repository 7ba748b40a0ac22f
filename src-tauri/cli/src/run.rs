//! What each subcommand does. Errors end as one line on stderr (`mailgrant: …`), followed, when Microsoft or a
//! mail server said no, by the diagnosis: what it means, who fixes it, and how. Never a panic or a backtrace.

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::time::Duration;

use mailgrant_core::api::{Api, ApiError, ErrorCode};
use mailgrant_core::connect::{self, NewAccount};
use mailgrant_core::health::{self, AccountState, ExpiryState};
use mailgrant_core::identity::setup::{self, FieldCheck};
use mailgrant_core::model::{Cloud, Flow, HostPort, RedirectMode, Resource, Service};
use mailgrant_core::probe::{self, LayerStatus};
use mailgrant_core::token_lifecycle::{self, now_unix};
use mailgrant_core::DataHome;
use serde_json::json;

use super::out::{self, note, note_raw, say, say_raw, Table, Tone};

mod accounts;
mod add;
mod bridge;
mod directory;
mod info;
mod keep_alive;
mod remove;
mod secrets;
mod sign_in;
mod status;
mod test;
mod token;

use super::{
    AddArgs, CloudArg, Command, FlowArg, Global, RedirectArg, ResourceArg, ServiceArg, EXIT_ATTENTION,
    EXIT_OK,
};
use accounts::accounts;
use add::add;
use info::{explain, where_is};
use remove::remove;
use secrets::secrets;
use sign_in::{sign_in, TerminalHost};
use status::status;
use test::{test, TestOptions};
use token::token;

type Outcome = Result<u8, ApiError>;

/// The CLI's words for an error: core's message, and the command that helps next where there is one.
fn cli_message(e: &ApiError) -> String {
    match (e.code, &e.subject) {
        (ErrorCode::SignInRequired, Some(account)) => {
            format!("{}: run `mailgrant sign-in {account}`", e.message)
        }
        (ErrorCode::UnknownAccount, Some(_)) => format!("{} (`mailgrant accounts` lists them)", e.message),
        _ => e.message.clone(),
    }
}

/// On stderr: `PREFIX message`, then Microsoft's or the mail server's answer explained, when there is one.
fn report(e: &ApiError, prefix: &str) {
    note!("{prefix} {}", cli_message(e));
    if let Some(d) = &e.diagnosis {
        note!();
        note_raw!("{d:#}");
    }
}

/// A wrong argument or name (exit code 2).
fn usage(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::BadAnswer, message)
}

/// Something failed that is not the caller's input (exit code 1).
fn attention(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::Internal, message)
}

/// Writes what the command was asked for to stdout and fails when it can't (a token or a password is not lost
/// silently, as a status line may be).
fn deliver(text: std::fmt::Arguments<'_>, what: &str) -> Result<(), ApiError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_fmt(text)
        .and_then(|()| stdout.flush())
        .map_err(|e| attention(format!("cannot write {what}: {e}")))
}

/// Runs a subcommand and returns its exit code.
pub fn execute(command: Command, global: &Global) -> u8 {
    let outcome = match command {
        Command::Where => where_is(),
        Command::Explain { code } => explain(&code),
        other => match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime.block_on(dispatch(other, global)),
            Err(e) => Err(attention(format!("cannot start: {e}"))),
        },
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            report(&e, &out::paint("mailgrant:", Tone::Bad, out::colour_stderr()));
            e.code.exit_code()
        }
    }
}

/// What every account-related subcommand works with: core's API, with `--ca-file` (else `MAILGRANT_CA_FILE`).
type Context = Api;

fn open(global: &Global) -> Result<Api, ApiError> {
    Api::from_env(global.ca_file.clone()).map_err(|e| ApiError::new(ErrorCode::BadAnswer, e.message))
}

async fn dispatch(command: Command, global: &Global) -> Outcome {
    match command {
        Command::Add(args) => add(*args, global).await,
        Command::Accounts { json } => accounts(&open(global)?, json),
        Command::SignIn { name, no_browser } => sign_in(&open(global)?, &name, no_browser).await,
        Command::Token { name, resource } => token(&open(global)?, &name, resource).await,
        Command::Status { json } => status(&open(global)?, json),
        Command::KeepAlive { json, quiet } => keep_alive::run(&open(global)?, json, quiet).await,
        Command::Secrets {
            expiring_within,
            json,
            csv,
        } => secrets(&open(global)?, expiring_within, json, csv),
        Command::Test {
            name,
            imap,
            smtp,
            pop,
            graph,
            send_to_self,
            timeout,
            json,
        } => {
            let only: BTreeSet<probe::Protocol> = [
                (imap, probe::Protocol::Imap),
                (smtp, probe::Protocol::Smtp),
                (pop, probe::Protocol::Pop),
                (graph, probe::Protocol::Graph),
            ]
            .into_iter()
            .filter_map(|(on, p)| on.then_some(p))
            .collect();
            let options = TestOptions {
                only,
                send_to_self,
                timeout: Duration::from_secs(timeout.max(1)),
                json,
            };
            test(&open(global)?, &name, &options).await
        }
        Command::Remove { name } => remove(&open(global)?, &name).await,
        Command::Bridge { action } => bridge::run(&open(global)?, action).await,
        Command::Settings { name, json } => info::settings(&open(global)?, &name, json),
        Command::Handover {
            name,
            product,
            redirect_uri,
            show_secret,
            json,
        } => {
            info::handover(
                &open(global)?,
                &name,
                &product,
                redirect_uri.as_deref(),
                show_secret,
                json,
            )
            .await
        }
        Command::ReplaceSecret {
            registration,
            expires,
        } => secrets::replace(&open(global)?, &registration, expires.as_deref()).await,
        Command::Directory { action } => directory::run(action, global).await,
        // Handled before a runtime is built; here too, so the match needs no unreachable arm.
        Command::Where => where_is(),
        Command::Explain { code } => explain(&code),
    }
}

fn flow_words(flow: Flow) -> &'static str {
    connect::flow_label(flow)
}

/// A value's serde name (`graph-read`, `directory`): the words the JSON output and the flags use.
fn serde_word(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn service_words(services: &BTreeSet<Service>) -> String {
    services.iter().map(serde_word).collect::<Vec<_>>().join(",")
}

fn state_tone(state: AccountState) -> Tone {
    match state {
        AccountState::Working => Tone::Good,
        AccountState::ExpiringSoon | AccountState::NotSignedIn => Tone::Warn,
        AccountState::NeedsSignIn | AccountState::Failing => Tone::Bad,
    }
}

fn kind_word(kind: mailgrant_core::model::CredentialKind) -> &'static str {
    match kind {
        mailgrant_core::model::CredentialKind::Secret => "client secret",
        mailgrant_core::model::CredentialKind::Certificate => "certificate",
    }
}

fn expiry_words(expires_at: Option<i64>, days_left: Option<i64>) -> String {
    match (expires_at, days_left) {
        (Some(at), Some(days)) if days < 0 => format!("expired {} days ago, on {}", -days, out::date(at)),
        (Some(at), Some(days)) => format!("expires in {days} days, on {}", out::date(at)),
        _ => "no end date known".into(),
    }
}

fn expiry_tone(state: ExpiryState) -> Tone {
    match state {
        ExpiryState::Expired | ExpiryState::Within7 => Tone::Bad,
        ExpiryState::Within14 | ExpiryState::Within30 => Tone::Warn,
        ExpiryState::Ok => Tone::Good,
        ExpiryState::NoExpiry => Tone::Plain,
    }
}
