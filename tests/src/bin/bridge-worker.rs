//! The mail bridge alone in a process of its own (for the benchmark's idle RSS and its sessions): runs
//! `mailgrant_core::api::bridge::run` for the data home in `MAILGRANT_HOME` (extra CA: `MAILGRANT_CA_FILE`) on
//! any free ports, prints one JSON line with the listeners, and stops when stdin closes.

use std::io::Read as _;

use mailgrant_core::api::bridge::{self, RunOptions};
use mailgrant_core::api::Api;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let api = Api::from_env(None).expect("the data home");
        let running = bridge::run(
            &api,
            &RunOptions {
                imap: Some(0),
                pop: Some(0),
                smtp: Some(0),
                lan: None,
            },
        )
        .await
        .expect("the bridge starts");
        println!(
            "{}",
            serde_json::json!({ "listeners": running.status().listeners })
        );
        // Until the parent closes stdin.
        tokio::task::spawn_blocking(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await
        .expect("stdin");
        running.bridge.stop().await;
    });
}
