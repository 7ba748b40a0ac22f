//! `msid-emulator [--seed FILE] [--port N] [--tls-ca-out PEM]`: runs the Microsoft identity-platform emulator until Ctrl-C.
//! The first line on stdout is the base URL.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mailgrant_tests::emulator::{Emulator, Seed};

/// Emulates login.microsoftonline.com and graph.microsoft.com on one local base URL.
#[derive(Debug, Parser)]
#[command(name = "msid-emulator", version)]
struct Args {
    /// Scenario file (JSON, see tests/README.md); the built-in demo tenant when absent.
    #[arg(long, env = "MSID_EMULATOR_SEED")]
    seed: Option<PathBuf>,
    /// Port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Serve HTTPS with a certificate for 127.0.0.1 and localhost from a throwaway CA, whose PEM goes to this
    /// file (give it to Mailgrant as MAILGRANT_CA_FILE or --ca-file).
    #[arg(long, value_name = "CA_PEM_OUT")]
    tls_ca_out: Option<PathBuf>,
    /// Refuse a refresh token once it was exchanged for a new one (AADSTS70000), after this many seconds of
    /// grace (see the seed's strict_rotation and rotation_grace_secs).
    #[arg(long, value_name = "GRACE_SECS")]
    strict_rotation: Option<i64>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let seed = match &args.seed {
        Some(path) => match Seed::load(path) {
            Ok(seed) => seed,
            Err(error) => {
                eprintln!("msid-emulator: {}", chain(&error));
                return ExitCode::FAILURE;
            }
        },
        None => Seed::demo(),
    };
    let mut seed = seed;
    if let Some(grace) = args.strict_rotation {
        seed.strict_rotation = true;
        seed.rotation_grace_secs = grace;
    }
    let address = SocketAddr::new(args.host, args.port);
    let started = match &args.tls_ca_out {
        None => Emulator::bind(seed, address).await,
        Some(out) => match Emulator::ca_pem().and_then(|pem| std::fs::write(out, pem)) {
            Ok(()) => Emulator::bind_tls(seed, address).await,
            Err(error) => Err(error),
        },
    };
    let emulator = match started {
        Ok(emulator) => emulator,
        Err(error) => {
            eprintln!("msid-emulator: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    // Scripts read the first line, so it must be flushed at once.
    if writeln!(stdout, "{}", emulator.base_url())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    eprintln!(
        "msid-emulator: serving; discovery at {}/common/v2.0/.well-known/openid-configuration; Ctrl-C stops",
        emulator.base_url()
    );
    // Ctrl-C (SIGINT) ends the process; the emulator keeps no state worth saving.
    std::future::pending::<()>().await;
    drop(emulator);
    ExitCode::SUCCESS
}

/// An error and its sources, one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
