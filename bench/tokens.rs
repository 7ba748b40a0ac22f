//! Prints how long `TokenService::access_token` takes to return a cached valid token (one keychain read) and to
//! refresh one (keychain reads, the token request to the emulator, the rotated refresh token and the access
//! token written to the keychain, the config updated under its lock). A benchmark, not a test.
//!
//!   dbus-run-session -- bash scripts/with-keyring.sh cargo bench -p mailgrant-tests --bench tokens
//!
//! Needs a Secret Service (the wrapper starts gnome-keyring in a private D-Bus session).

use std::time::{Duration, Instant};

use mailgrant_core::model::{Resource, Service};
use mailgrant_core::token_lifecycle::{TokenService, TokenSource};
use mailgrant_tests::emulator::demo::ADELE;
use mailgrant_tests::emulator::{Emulator, Seed};
use mailgrant_tests::fixtures::{self, TestHome};

fn main() {
    let runs: usize = std::env::var("MAILGRANT_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(100);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(bench(runs));
}

async fn bench(runs: usize) {
    let emulator = Emulator::start(Seed::demo()).await.expect("emulator");
    let home = TestHome::new("bench-tokens");
    let registration = fixtures::public_registration(&emulator);
    fixtures::sign_in(&emulator, &home, &registration, "adele", ADELE, &[Service::Imap]).await;
    let service = TokenService::new(&home.home, home.vault.clone(), fixtures::http_client());

    let mut cached = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let token = service
            .access_token("adele", Resource::Outlook)
            .await
            .expect("a token");
        cached.push(started.elapsed());
        assert_eq!(token.source, TokenSource::Cache);
    }
    let refresh_runs = runs.min(50);
    let mut refreshed = Vec::with_capacity(refresh_runs);
    for _ in 0..refresh_runs {
        let started = Instant::now();
        let token = service
            .refresh_now("adele", Resource::Outlook)
            .await
            .expect("a token");
        refreshed.push(started.elapsed());
        assert_eq!(token.source, TokenSource::Refreshed);
    }
    println!("token service, real keychain (Secret Service), emulator on loopback");
    report("cached valid token", &mut cached);
    report("refresh (rotate + store)", &mut refreshed);
    let _ = home.vault.forget_account("adele");
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "  {what:<26} n={:<4} median {:>8.2} ms   p95 {:>8.2} ms   min {:>8.2} ms",
        samples.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        samples[0].as_secs_f64() * 1e3
    );
}
