//! A separate process asking `mailgrant-core` for tokens, as the CLI and other Mailgrant processes do; used by
//! the multi-process suites (one refresh for 20 processes, processes killed mid-refresh).
//!
//! `token-worker HOME ACCOUNT outlook|graph once`: prints `SOURCE TOKEN` for one access token.
//! `token-worker HOME ACCOUNT outlook|graph loop`: refreshes until killed, printing `refreshed` after each.
//! Logs at debug level to `HOME/logs/worker-PID.log` (the leak scan reads it).

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use mailgrant_core::model::Resource;
use mailgrant_core::token_lifecycle::TokenService;
use mailgrant_core::vault::TokenVault;
use mailgrant_core::DataHome;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [home, account, resource, mode] = args.as_slice() else {
        eprintln!("usage: token-worker HOME ACCOUNT outlook|graph once|loop");
        return ExitCode::from(2);
    };
    let resource = if resource == "graph" {
        Resource::Graph
    } else {
        Resource::Outlook
    };
    let home = match DataHome::resolve(Some(home.into()), None) {
        Ok(home) => home,
        Err(e) => {
            eprintln!("token-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let logs = home.dir().join("logs");
    let _ = std::fs::create_dir_all(&logs);
    if let Ok(file) = std::fs::File::create(logs.join(format!("worker-{}.log", std::process::id()))) {
        tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .with_env_filter("debug")
            .init();
    }
    let service = TokenService::new(
        &home,
        Arc::new(TokenVault::keychain(&home)),
        mailgrant_tests::fixtures::http_client(),
    );
    match mode.as_str() {
        "once" => match service.access_token(account, resource).await {
            Ok(token) => {
                println!("{:?} {}", token.source, token.token.expose());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("token-worker: {e}");
                ExitCode::FAILURE
            }
        },
        _ => loop {
            if let Err(e) = service.refresh_now(account, resource).await {
                eprintln!("token-worker: {e}");
                return ExitCode::FAILURE;
            }
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "refreshed");
            let _ = out.flush();
        },
    }
}
