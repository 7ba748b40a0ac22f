//! `mailgrant bridge`: an account's bridge password (shown, replaced, revoked) and the bridge itself in the
//! foreground, for headless machines. The use cases are core's (`mailgrant_core::api::bridge`).

use std::collections::HashSet;

use mailgrant_core::api::bridge::{self as use_case, LanOptions, RunOptions};
use mailgrant_core::bridge::{BridgeEvent, BridgeProtocol};

use super::*;
use crate::{BridgeAction, BridgeProtocolArg};

pub(super) async fn run(api: &Api, action: BridgeAction) -> Outcome {
    match action {
        BridgeAction::Password { name, new, json } => password(api, &name, new, json).await,
        BridgeAction::Revoke { name } => {
            if use_case::revoke(api, &name).await? {
                say!("{name}: bridge password revoked; programs using it can no longer log in");
            } else {
                say!("{name} had no bridge password");
            }
            Ok(EXIT_OK)
        }
        BridgeAction::Run {
            imap_port,
            pop_port,
            smtp_port,
            without,
            lan,
            lan_name,
            imaps_port,
            pop3s_port,
            smtps_port,
            json,
        } => {
            let on = |protocol: BridgeProtocolArg, port: u16| (!without.contains(&protocol)).then_some(port);
            let options = RunOptions {
                imap: on(BridgeProtocolArg::Imap, imap_port),
                pop: on(BridgeProtocolArg::Pop, pop_port),
                smtp: on(BridgeProtocolArg::Smtp, smtp_port),
                lan: lan.map(|address| LanOptions {
                    address,
                    names: lan_name,
                    imaps: on(BridgeProtocolArg::Imap, imaps_port),
                    pop3s: on(BridgeProtocolArg::Pop, pop3s_port),
                    smtps: on(BridgeProtocolArg::Smtp, smtps_port),
                }),
            };
            serve(api, &options, json).await
        }
    }
}

async fn password(api: &Api, name: &str, new: bool, json: bool) -> Outcome {
    let made = use_case::password(api, name, new).await?;
    if json {
        let made = json!({
            "account": made.account,
            "user": made.user,
            "password": made.password.expose(),
            "created": made.created,
        });
        deliver(format_args!("{made}\n"), "the password")?;
    } else {
        let (user, password) = (&made.user, made.password.expose());
        deliver(
            format_args!("user name: {user}\npassword:  {password}\n"),
            "the password",
        )?;
    }
    if !json && made.created {
        note!("Type these into the program with the bridge's host and ports (`mailgrant bridge run` prints them).");
    }
    Ok(EXIT_OK)
}

fn protocol_word(protocol: BridgeProtocol) -> &'static str {
    protocol.name()
}

async fn serve(api: &Api, options: &RunOptions, json: bool) -> Outcome {
    let running = use_case::run(api, options).await?;
    let status = running.status();
    let listening = if json {
        json!({
            "listeners": status.listeners,
            "fingerprint": running.fingerprint,
            "certificate": running.certificate_file,
        })
        .to_string()
            + "\n"
    } else {
        let mut text = String::new();
        for listener in &status.listeners {
            text.push_str(&format!(
                "{:<5} {}{}\n",
                protocol_word(listener.protocol),
                listener.address,
                if listener.implicit_tls {
                    " (TLS)"
                } else if options.lan.is_some() {
                    " (STARTTLS required)"
                } else {
                    ""
                }
            ));
        }
        if let Some(fingerprint) = &running.fingerprint {
            text.push_str(&format!("certificate SHA-256 fingerprint: {fingerprint}\n"));
            if let Some(file) = &running.certificate_file {
                text.push_str(&format!("certificate: {}\n", file.display()));
            }
            text.push_str(use_case::LAN_EXPOSURE);
            text.push('\n');
        }
        text
    };
    deliver(format_args!("{listening}"), "where the bridge listens")?;
    if !json {
        note!("The bridge is running; Ctrl-C stops it.");
    }
    let mut seen: HashSet<(i64, String, String)> = HashSet::new();
    let stopped = stop_signal();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = &mut stopped => break,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        let mut fresh: Vec<BridgeEvent> = running
            .status()
            .last_errors
            .into_iter()
            .filter(|e| seen.insert((e.at, e.peer.clone(), e.message.clone())))
            .collect();
        fresh.reverse();
        for event in fresh {
            if json {
                say!("{}", json!(event));
            } else {
                note!(
                    "{} {}: {}",
                    out::datetime(event.at),
                    protocol_word(event.protocol),
                    event.message
                );
                if let Some(diagnosis) = &event.diagnosis {
                    note!("  {}", diagnosis.summary());
                }
            }
        }
    }
    running.bridge.stop().await;
    Ok(EXIT_OK)
}

/// Ctrl-C, or SIGTERM (systemd stopping the unit).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
