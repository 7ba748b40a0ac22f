//! What each subcommand does. Errors end as one line on stderr (`mailgrant: …`), followed, when Microsoft or a
//! mail server said no, by the diagnosis: what it means, who fixes it, and how. Never a panic or a backtrace.

use std::collections::BTreeSet;
use std::io::{BufRead as _, Read as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use mailgrant_core::connect::{self, AddError, ConnectError, NewAccount, SignInPlan};
use mailgrant_core::diagnosis::Diagnosis;
use mailgrant_core::health::{self, AccountState, ExpiryState};
use mailgrant_core::identity::endpoints::Endpoints;
use mailgrant_core::identity::setup::{self, FieldCheck};
use mailgrant_core::model::{Cloud, CustomCloud, Flow, HostPort, RedirectMode, Resource, Service};
use mailgrant_core::probe::{self, LayerStatus, ProbeOptions, ProbeTarget};
use mailgrant_core::signin::http::{self, HttpOptions};
use mailgrant_core::signin::loopback::{self, LoopbackRedirect};
use mailgrant_core::store::StoreError;
use mailgrant_core::tokens::{self, now_unix, TokenError, TokenService};
use mailgrant_core::vault::{TokenVault, VaultError};
use mailgrant_core::{DataHome, SecretString};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::out::{self, note, note_raw, say, say_raw, Table, Tone};

mod accounts;
mod add;
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
    EXIT_KEYCHAIN, EXIT_OK, EXIT_SIGN_IN, EXIT_USAGE,
};
use accounts::accounts;
use add::add;
use info::{explain, where_is};
use remove::remove;
use secrets::secrets;
use sign_in::{browser_sign_in, cancel_on_ctrl_c, sign_in, BrowserFailure};
use status::status;
use test::{test, TestOptions};
use token::token;

/// A failure: the exit code, one line, and Microsoft's answer explained when there is one.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
    diagnosis: Option<Box<Diagnosis>>,
}

type Outcome = Result<u8, Failure>;

impl Failure {
    /// On stderr: `PREFIX message`, then Microsoft's or the mail server's answer explained, when there is one.
    fn report(&self, prefix: &str) {
        note!("{prefix} {}", self.message);
        if let Some(d) = &self.diagnosis {
            note!();
            note_raw!("{d:#}");
        }
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: EXIT_USAGE,
        message: message.into(),
        diagnosis: None,
    }
}

fn attention(message: impl Into<String>) -> Failure {
    Failure {
        code: EXIT_ATTENTION,
        message: message.into(),
        diagnosis: None,
    }
}

impl From<VaultError> for Failure {
    fn from(e: VaultError) -> Self {
        let code = match e {
            VaultError::KeychainUnavailable { .. } => EXIT_KEYCHAIN,
            _ => EXIT_ATTENTION,
        };
        Failure {
            code,
            message: e.to_string(),
            diagnosis: None,
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let code = match e {
            StoreError::NotFound { .. } | StoreError::Duplicate { .. } => EXIT_USAGE,
            _ => EXIT_ATTENTION,
        };
        Failure {
            code,
            message: e.to_string(),
            diagnosis: None,
        }
    }
}

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        let diagnosis = e.diagnosis().cloned().map(Box::new);
        match e {
            TokenError::Vault(v) => v.into(),
            TokenError::Store(s) => s.into(),
            TokenError::UnknownAccount(name) => usage(format!(
                "there is no account called {name:?} (`mailgrant accounts` lists them)"
            )),
            TokenError::SignInAgain { account, .. } | TokenError::NoRefreshToken { account } => Failure {
                code: EXIT_SIGN_IN,
                message: format!("{account:?} must sign in again: run `mailgrant sign-in {account}`"),
                diagnosis,
            },
            other => Failure {
                code: EXIT_ATTENTION,
                message: other.to_string(),
                diagnosis,
            },
        }
    }
}

impl From<ConnectError> for Failure {
    fn from(e: ConnectError) -> Self {
        let diagnosis = e.diagnosis().cloned().map(Box::new);
        match e {
            ConnectError::Token(t) => t.into(),
            ConnectError::Account(mailgrant_core::accounts::AccountError::Vault(v)) => v.into(),
            ConnectError::Account(mailgrant_core::accounts::AccountError::Store(s)) => s.into(),
            ConnectError::WrongFlow { .. } | ConnectError::NoServices(_) => usage(e.to_string()),
            ConnectError::SignIn(s) => Failure {
                code: EXIT_ATTENTION,
                message: match &diagnosis {
                    Some(d) => format!("the sign-in did not finish: {}", d.summary()),
                    None => format!("the sign-in did not finish: {s}"),
                },
                diagnosis,
            },
            other => Failure {
                code: EXIT_ATTENTION,
                message: other.to_string(),
                diagnosis,
            },
        }
    }
}

impl From<AddError> for Failure {
    fn from(e: AddError) -> Self {
        match e {
            AddError::Invalid(m) => usage(m),
            AddError::Store(s) => s.into(),
            AddError::Vault(v) => v.into(),
        }
    }
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
        Err(failure) => {
            failure.report(&out::paint("mailgrant:", Tone::Bad, out::colour_stderr()));
            failure.code
        }
    }
}

/// What every account-related subcommand works with.
struct Context {
    home: DataHome,
    http: reqwest::Client,
    tokens: TokenService,
    ca_file: Option<std::path::PathBuf>,
}

impl Context {
    fn open(global: &Global) -> Result<Self, Failure> {
        let home = DataHome::from_env().map_err(|e| usage(e.to_string()))?;
        // --ca-file, else MAILGRANT_CA_FILE as the app reads it.
        let ca_file = global.ca_file.clone().or_else(|| {
            std::env::var_os(crate::state::CA_FILE_ENV)
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from)
        });
        let http = http::client(&HttpOptions {
            ca_file: ca_file.clone(),
            request_timeout: None,
        })
        .map_err(|e| usage(error_chain(&e)))?;
        let vault = Arc::new(TokenVault::keychain(&home));
        let tokens = TokenService::new(&home, vault, http.clone());
        Ok(Self {
            home,
            http,
            tokens,
            ca_file,
        })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn dispatch(command: Command, global: &Global) -> Outcome {
    match command {
        Command::Add(args) => add(*args, global).await,
        Command::Accounts { json } => accounts(&Context::open(global)?, json),
        Command::SignIn { name, no_browser } => sign_in(&Context::open(global)?, &name, no_browser).await,
        Command::Token { name, resource } => token(&Context::open(global)?, &name, resource).await,
        Command::Status { json } => status(&Context::open(global)?, json),
        Command::KeepAlive { json, quiet } => keep_alive::run(&Context::open(global)?, json, quiet).await,
        Command::Secrets {
            expiring_within,
            json,
            csv,
        } => secrets(&Context::open(global)?, expiring_within, json, csv),
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
            test(&Context::open(global)?, &name, &options).await
        }
        Command::Remove { name } => remove(&Context::open(global)?, &name),
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
