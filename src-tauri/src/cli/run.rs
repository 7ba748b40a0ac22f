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

mod directory;
mod keep_alive;
use super::{
    AddArgs, CloudArg, Command, FlowArg, Global, RedirectArg, ResourceArg, ServiceArg, EXIT_ATTENTION,
    EXIT_KEYCHAIN, EXIT_OK, EXIT_SIGN_IN, EXIT_USAGE,
};

/// A failure: the exit code, one line, and Microsoft's answer explained when there is one.
#[derive(Debug)]
struct Failure {
    code: u8,
    message: String,
    diagnosis: Option<Box<Diagnosis>>,
}

type Outcome = Result<u8, Failure>;

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
            let colour = out::colour_stderr();
            note!(
                "{} {}",
                out::paint("mailgrant:", Tone::Bad, colour),
                failure.message
            );
            if let Some(d) = &failure.diagnosis {
                note!();
                note_raw!("{d:#}");
            }
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
        Command::Where | Command::Explain { .. } => unreachable!("handled without a runtime"),
    }
}

fn where_is() -> Outcome {
    let home = DataHome::from_env().map_err(|e| usage(e.to_string()))?;
    say!("data directory    {}", home.dir().display());
    say!("keychain service  {}", home.keychain_service());
    Ok(EXIT_OK)
}

fn explain(code: &str) -> Outcome {
    match mailgrant_core::diagnosis::explain(code) {
        Some(d) => {
            say_raw!("{d:#}");
            Ok(EXIT_OK)
        }
        None => Err(usage(format!(
            "no explanation for {code:?}: give an AADSTS code (AADSTS7000215), an SMTP status (5.7.139) or a \
             Graph error code (ErrorAccessDenied)"
        ))),
    }
}

fn checked(check: FieldCheck, what: &str) -> Result<String, Failure> {
    match check {
        FieldCheck::Ok { value } => Ok(value),
        FieldCheck::Warning { message, .. } | FieldCheck::Problem { message } => {
            Err(usage(format!("{what}: {message}")))
        }
    }
}

fn host_port(text: Option<&str>, what: &str) -> Result<Option<HostPort>, Failure> {
    text.map(|t| {
        t.parse::<HostPort>()
            .map_err(|e| usage(format!("--{what} {t:?}: {e}")))
    })
    .transpose()
}

fn base_url(text: &str, what: &str) -> Result<String, Failure> {
    let url =
        url::Url::parse(text).map_err(|e| usage(format!("--{what} {text:?} is not an address ({e})")))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(usage(format!("--{what} {text:?} must be an https:// address")));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

fn cloud_of(args: &AddArgs) -> Result<Cloud, Failure> {
    let custom_given = args.authority.is_some() || args.graph_url.is_some();
    let kind = match args.cloud {
        Some(kind) if kind != CloudArg::Custom && custom_given => return Err(usage(
            "--authority and --graph-url are for a custom cloud: leave out --cloud, or use --cloud custom",
        )),
        Some(kind) => kind,
        None if custom_given => CloudArg::Custom,
        None => CloudArg::Global,
    };
    let cloud = match kind {
        CloudArg::Global => Cloud::Global,
        CloudArg::Usgov => Cloud::UsGov,
        CloudArg::UsgovDod => Cloud::UsGovDod,
        CloudArg::China => Cloud::China,
        CloudArg::Custom => {
            let authority = base_url(
                args.authority
                    .as_deref()
                    .ok_or_else(|| usage("--cloud custom needs --authority URL (the login host)"))?,
                "authority",
            )?;
            let graph = base_url(
                args.graph_url
                    .as_deref()
                    .ok_or_else(|| usage("--cloud custom needs --graph-url URL"))?,
                "graph-url",
            )?;
            let host = url::Url::parse(&authority)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            let or_default = |given: Option<HostPort>, port| {
                given.unwrap_or(HostPort {
                    host: host.clone(),
                    port,
                })
            };
            Cloud::Custom(CustomCloud {
                authority,
                graph,
                graph_resource: args.graph_resource.clone(),
                outlook_resource: args.outlook_resource.clone(),
                imap: or_default(host_port(args.imap.as_deref(), "imap")?, 993),
                pop: or_default(host_port(args.pop.as_deref(), "pop")?, 995),
                smtp: or_default(host_port(args.smtp.as_deref(), "smtp")?, 587),
            })
        }
    };
    Ok(cloud)
}

fn read_file(path: &std::path::Path, what: &str) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read the {what} {}: {e}", path.display())))
}

fn expiry_date(text: &str) -> Result<time::OffsetDateTime, Failure> {
    let date = time::Date::parse(text, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| usage(format!("--secret-expires {text:?}: give the date as YYYY-MM-DD")))?;
    let at = date
        .with_hms(23, 59, 59)
        .map_err(|e| usage(e.to_string()))?
        .assume_utc();
    // Entra offers at most 24 months.
    let latest = time::OffsetDateTime::now_utc() + time::Duration::days(2 * 366);
    if at > latest {
        return Err(usage(format!(
            "--secret-expires {text}: Entra does not issue secrets valid for more than 24 months; check the Expires column"
        )));
    }
    Ok(at)
}

async fn add(args: AddArgs, global: &Global) -> Outcome {
    let context = Context::open(global)?;
    let client_id = checked(setup::check_client_id(&args.client_id), "--client-id")?;
    let tenant = checked(setup::check_tenant(&args.tenant), "--tenant")?;
    let cloud = cloud_of(&args)?;
    let custom = matches!(cloud, Cloud::Custom(_));
    let secret = if args.client_secret_stdin {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| usage(format!("cannot read the client secret from stdin: {e}")))?;
        let value = text.lines().next().unwrap_or_default().trim().to_owned();
        let checked_value = checked(setup::check_client_secret(&value), "the client secret")?;
        let expires = args.secret_expires.as_deref().map(expiry_date).transpose()?;
        Some((SecretString::new(checked_value), expires))
    } else {
        None
    };
    let certificate = match (&args.certificate, &args.private_key) {
        (Some(cert), Some(key)) => Some((
            read_file(cert, "certificate")?,
            SecretString::new(read_file(key, "private key")?),
        )),
        _ => None,
    };
    let services: BTreeSet<Service> = args
        .services
        .iter()
        .map(|s| match s {
            ServiceArg::Imap => Service::Imap,
            ServiceArg::Smtp => Service::Smtp,
            ServiceArg::Pop => Service::Pop,
            ServiceArg::GraphRead => Service::GraphRead,
            ServiceArg::GraphSend => Service::GraphSend,
        })
        .collect();
    let new = NewAccount {
        name: args.name.clone(),
        address: args.email.trim().to_owned(),
        app_name: args.app_name.clone(),
        client_id: client_id
            .parse()
            .map_err(|e| usage(format!("--client-id: {e}")))?,
        tenant: tenant.parse().map_err(|e| usage(format!("--tenant: {e}")))?,
        cloud,
        flow: match args.flow {
            FlowArg::AuthCode => Flow::AuthCode,
            FlowArg::DeviceCode => Flow::DeviceCode,
            FlowArg::ClientCredentials => Flow::ClientCredentials,
        },
        redirect: match args.redirect {
            RedirectArg::Loopback => RedirectMode::Loopback,
            RedirectArg::DeepLink => RedirectMode::DeepLink,
            RedirectArg::Paste => RedirectMode::Paste,
        },
        services,
        shared_mailbox: args.shared_mailbox.clone(),
        // A custom cloud carries its own hosts; elsewhere they override the cloud's.
        imap: if custom {
            None
        } else {
            host_port(args.imap.as_deref(), "imap")?
        },
        pop: if custom {
            None
        } else {
            host_port(args.pop.as_deref(), "pop")?
        },
        smtp: if custom {
            None
        } else {
            host_port(args.smtp.as_deref(), "smtp")?
        },
        secret,
        certificate,
    };
    let store = context.tokens.store().clone();
    let vault = Arc::clone(context.tokens.vault());
    let account = tokio::task::spawn_blocking(move || connect::add_account(&store, &vault, new))
        .await
        .map_err(|e| attention(format!("the task adding the account failed: {e}")))??;
    say!("Added {:?} ({}).", account.name, account.address);
    let next = match account.flow {
        Flow::ClientCredentials => "fetch its first token",
        _ => "sign in",
    };
    say!("Next: `mailgrant sign-in {}` to {next}.", account.name);
    Ok(EXIT_OK)
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

fn accounts(context: &Context, json: bool) -> Outcome {
    let config = context.tokens.store().load()?;
    let now = now_unix();
    if json {
        let list: Vec<_> = config
            .accounts
            .iter()
            .map(|a| {
                let registration = config.registration(&a.registration);
                let health = health::account_health(a, registration, now);
                json!({
                    "name": a.name,
                    "address": a.address,
                    "registration": a.registration,
                    "clientId": registration.map(|r| r.client_id.to_string()),
                    "tenant": registration.map(|r| r.tenant.to_string()),
                    "flow": flow_words(a.flow),
                    "services": a.services,
                    "sharedMailbox": a.shared_mailbox,
                    "signedInAs": health.signed_in_as,
                    "state": health.state,
                })
            })
            .collect();
        say!("{}", serde_json::to_string_pretty(&list).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    if config.accounts.is_empty() {
        say!("No accounts yet. Add one with `mailgrant add` (see `mailgrant add --help`) or in the app.");
        return Ok(EXIT_OK);
    }
    let mut table = Table::new(&["NAME", "ADDRESS", "FLOW", "SERVICES", "SIGNED IN AS", "STATE"]);
    for a in &config.accounts {
        let h = health::account_health(a, config.registration(&a.registration), now);
        table.row(vec![
            (a.name.clone(), Tone::Plain),
            (a.address.clone(), Tone::Plain),
            (flow_words(a.flow).to_owned(), Tone::Plain),
            (service_words(&a.services), Tone::Plain),
            (h.signed_in_as.unwrap_or_else(|| "-".into()), Tone::Plain),
            (h.state.label().to_owned(), state_tone(h.state)),
        ]);
    }
    say_raw!("{}", table.render(out::colour_stdout()));
    Ok(EXIT_OK)
}

/// A cancellation token fired by Ctrl+C.
fn cancel_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let fire = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            fire.cancel();
        }
    });
    cancel
}

async fn sign_in(context: &Context, name: &str, no_browser: bool) -> Outcome {
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
enum BrowserFailure {
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
async fn browser_sign_in(
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

fn show_authorize_url(url: &str, no_browser: bool) {
    note!("Sign in at:\n  {url}");
    if !no_browser {
        if let Err(e) = crate::browser::open(url) {
            note!("(cannot open a browser: {e}; open the address above yourself)");
        }
    }
}

async fn token(context: &Context, name: &str, resource: Option<ResourceArg>) -> Outcome {
    let resource = match resource {
        Some(ResourceArg::Outlook) => Resource::Outlook,
        Some(ResourceArg::Graph) => Resource::Graph,
        None => {
            let account = context
                .tokens
                .store()
                .account(name)?
                .ok_or_else(|| Failure::from(TokenError::UnknownAccount(name.to_owned())))?;
            tokens::primary_resource(&account).ok_or_else(|| usage(format!("{name:?} has no services")))?
        }
    };
    let issued = context.tokens.access_token(name, resource).await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", issued.token.expose())
        .and_then(|()| stdout.flush())
        .map_err(|e| attention(format!("cannot write the token: {e}")))?;
    Ok(EXIT_OK)
}

fn status(context: &Context, json: bool) -> Outcome {
    let config = context.tokens.store().load()?;
    let now = now_unix();
    let accounts = health::accounts(&config, now);
    let credentials = health::board(context.tokens.store(), now)?;
    let trouble = accounts.iter().any(|a| a.state.needs_attention())
        || credentials.iter().any(|c| c.state.needs_attention());
    if json {
        let value = json!({
            "generatedAt": now,
            "attentionNeeded": trouble,
            "accounts": accounts,
            "credentials": credentials,
        });
        say!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else if accounts.is_empty() {
        say!("No accounts yet.");
    } else {
        let colour = out::colour_stdout();
        let mut table = Table::new(&["ACCOUNT", "STATE", "ACCESS TOKEN", "REFRESH TOKEN", "WHY"]);
        for a in &accounts {
            let access = a
                .access_expires
                .iter()
                .map(|(r, at)| {
                    let label = if *r == Resource::Graph { "graph" } else { "outlook" };
                    if *at > now {
                        format!("{label} {}", out::relative(*at, now))
                    } else {
                        format!("{label} expired")
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            let refresh = match (a.refresh_last_used_at, a.refresh_inactive_days_left) {
                (Some(used), Some(left)) => {
                    format!("used {}, {left} days to spare", out::relative(used, now))
                }
                _ => "-".into(),
            };
            table.row(vec![
                (a.name.clone(), Tone::Plain),
                (a.state.label().to_owned(), state_tone(a.state)),
                (if access.is_empty() { "-".into() } else { access }, Tone::Plain),
                (refresh, Tone::Plain),
                (a.reason.clone(), Tone::Plain),
            ]);
        }
        say_raw!("{}", table.render(colour));
        let due: Vec<_> = credentials.iter().filter(|c| c.state.needs_attention()).collect();
        if !due.is_empty() {
            say!();
            for c in due {
                say!(
                    "{} the {} {} of {} ({})",
                    out::paint("Secret:", Tone::Warn, colour),
                    kind_word(c.kind),
                    c.hint.as_deref().unwrap_or(&c.key_id),
                    c.registration_name,
                    expiry_words(c.expires_at, c.days_left)
                );
            }
        }
    }
    Ok(if trouble { EXIT_ATTENTION } else { EXIT_OK })
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

fn secrets(context: &Context, within: Option<i64>, json: bool, csv: bool) -> Outcome {
    if within.is_some_and(|d| d < 0) {
        return Err(usage("--expiring-within takes a number of days, 0 or more"));
    }
    let now = now_unix();
    let rows: Vec<_> = health::board(context.tokens.store(), now)?
        .into_iter()
        .filter(|c| within.is_none_or(|days| c.days_left.is_some_and(|left| left <= days)))
        .collect();
    let trouble = rows.iter().any(|c| c.state.needs_attention());
    if json {
        say!("{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
    } else if csv {
        say!("registration,client_id,kind,key_id,hint,expires,days_left,state,accounts,source,tenant");
        for c in &rows {
            let fields = [
                c.registration_name.clone(),
                c.client_id.clone(),
                kind_word(c.kind).to_owned(),
                c.key_id.clone(),
                c.hint.clone().unwrap_or_default(),
                c.expires_at.map(out::date).unwrap_or_default(),
                c.days_left.map(|d| d.to_string()).unwrap_or_default(),
                c.state.label().to_owned(),
                c.accounts.join(" "),
                serde_word(&c.source),
                c.tenant.clone().unwrap_or_default(),
            ];
            let line: Vec<String> = fields.iter().map(|f| out::csv_field(f)).collect();
            say!("{}", line.join(","));
        }
    } else if rows.is_empty() {
        say!(
            "{}",
            if within.is_some() {
                "No client secret or certificate expires in that time."
            } else {
                "No client secrets or certificates: every app registration here is a public client."
            }
        );
    } else {
        let mut table = Table::new(&[
            "APP REGISTRATION",
            "KIND",
            "SECRET",
            "EXPIRES",
            "DAYS LEFT",
            "STATE",
            "USED BY",
        ]);
        for c in &rows {
            table.row(vec![
                (c.registration_name.clone(), Tone::Plain),
                (kind_word(c.kind).to_owned(), Tone::Plain),
                (c.hint.clone().unwrap_or_else(|| c.key_id.clone()), Tone::Plain),
                (c.expires_at.map_or_else(|| "-".into(), out::date), Tone::Plain),
                (
                    c.days_left.map_or_else(|| "-".into(), |d| d.to_string()),
                    Tone::Plain,
                ),
                (c.state.label().to_owned(), expiry_tone(c.state)),
                used_by(c),
            ]);
        }
        say_raw!("{}", table.render(out::colour_stdout()));
    }
    Ok(if trouble { EXIT_ATTENTION } else { EXIT_OK })
}

/// Who uses a credential, and what the directory said about it.
fn used_by(c: &health::CredentialExpiry) -> (String, Tone) {
    let users = if c.accounts.is_empty() {
        "-".to_owned()
    } else {
        c.accounts.join(", ")
    };
    if c.missing_in_directory {
        return (format!("{users} (not in Entra's list: deleted?)"), Tone::Warn);
    }
    match (&c.source, &c.tenant) {
        (health::CredentialSource::Directory, Some(tenant)) => {
            (format!("{users} (from Graph, {tenant})"), Tone::Plain)
        }
        _ => (users, Tone::Plain),
    }
}

struct TestOptions {
    only: BTreeSet<probe::Protocol>,
    send_to_self: bool,
    timeout: Duration,
    json: bool,
}

async fn test(context: &Context, name: &str, options: &TestOptions) -> Outcome {
    let plan = SignInPlan::load(&context.tokens, name)?;
    let endpoints = Endpoints::for_cloud(&plan.registration.cloud);
    let mut services: Vec<Service> = Vec::new();
    for service in &plan.account.services {
        // GraphRead and GraphSend are one probe.
        if matches!(service, Service::GraphSend) && plan.account.services.contains(&Service::GraphRead) {
            continue;
        }
        let target = ProbeTarget::for_account(&plan.account, &endpoints, *service);
        if options.only.is_empty() || options.only.contains(&target.protocol) {
            services.push(*service);
        }
    }
    if services.is_empty() {
        return Err(usage(format!(
            "{name:?} does not use the services asked for (it has {})",
            service_words(&plan.account.services)
        )));
    }
    let probe_options = ProbeOptions {
        timeout: options.timeout,
        ca_file: context.ca_file.clone(),
        send_to_self: options.send_to_self,
        ..ProbeOptions::default()
    };
    let colour = out::colour_stderr();
    let mut reports = Vec::new();
    for service in services {
        let target = ProbeTarget::for_account(&plan.account, &endpoints, service);
        let resource = mailgrant_core::identity::permissions::resource_of(service);
        let token = context.tokens.access_token(name, resource).await?;
        if !options.json {
            note!("{} {}", target.protocol.name(), target.server());
        }
        let json = options.json;
        let report = probe::run(&target, &token.token, &probe_options, |layer| {
            if json || layer.status == LayerStatus::Skipped {
                return;
            }
            let (word, tone) = match layer.status {
                LayerStatus::Passed => ("ok", Tone::Good),
                LayerStatus::Warning => ("warning", Tone::Warn),
                LayerStatus::Failed => ("failed", Tone::Bad),
                LayerStatus::Skipped => ("skipped", Tone::Plain),
            };
            note!(
                "  {:<8} {:<8} {:>7.0} ms  {}",
                layer.layer.name(),
                out::paint(word, tone, colour),
                layer.elapsed.as_secs_f64() * 1000.0,
                layer.detail
            );
        })
        .await;
        reports.push(report);
    }
    let failed = reports.iter().filter(|r| !r.outcome.is_ok()).count();
    if options.json {
        say!("{}", serde_json::to_string_pretty(&reports).unwrap_or_default());
    } else {
        for report in &reports {
            if let Some(d) = report.outcome.diagnosis() {
                say!();
                say!("{} {} failed.", report.protocol.name(), report.server);
                say_raw!("{d:#}");
            }
        }
        say!();
        if failed == 0 {
            say!(
                "{} every test passed for {}.",
                out::paint("Working:", Tone::Good, out::colour_stdout()),
                plan.account.address
            );
        } else {
            say!("{failed} of {} tests failed.", reports.len());
        }
    }
    Ok(if failed == 0 { EXIT_OK } else { EXIT_ATTENTION })
}

fn remove(context: &Context, name: &str) -> Outcome {
    let config = context.tokens.store().load()?;
    let Some(account) = config.account(name).cloned() else {
        return Err(TokenError::UnknownAccount(name.to_owned()).into());
    };
    let revocation = health::consent_revocation(&account, config.registration(&account.registration));
    let removed = mailgrant_core::accounts::remove(context.tokens.store(), context.tokens.vault(), name)
        .map_err(|e| match e {
            mailgrant_core::accounts::AccountError::Vault(v) => Failure::from(v),
            mailgrant_core::accounts::AccountError::Store(s) => Failure::from(s),
            other => attention(other.to_string()),
        })?;
    say!(
        "Removed {:?}: its tokens are gone from the keychain and it is gone from {}.",
        removed.account.name,
        context.home.dir().display()
    );
    if let Some(registration) = &removed.registration {
        say!(
            "No other account used the app registration {:?}, so its secrets are gone from the keychain too.",
            registration.name
        );
    }
    say!();
    say!("The consent given to the app stays with Microsoft until it is revoked:");
    say!("  {}: {}", revocation.user.label, revocation.user.url);
    if let Some(admin) = &revocation.admin {
        say!("  {}: {}", admin.label, admin.url);
    }
    say!("{}", revocation.effect);
    Ok(EXIT_OK)
}
