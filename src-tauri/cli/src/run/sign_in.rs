//! `mailgrant sign-in`: core's sign-in driver with the terminal as its host — the address printed (and the
//! browser opened unless `--no-browser`), the device code shown, the final address pasted on stdin, Ctrl+C.

use mailgrant_core::api::sign_in::{self, Callback, SignInEvent, SignInHost, SignedIn};
use tokio_util::sync::CancellationToken;

use super::*;

/// The terminal as a sign-in host.
pub(super) struct TerminalHost {
    no_browser: bool,
    cancel: CancellationToken,
    /// Lines typed on stdin, read on a thread of their own (a blocking read never holds up the exit).
    lines: Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
}

impl TerminalHost {
    pub(super) fn new(no_browser: bool) -> Self {
        let cancel = CancellationToken::new();
        let fire = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                fire.cancel();
            }
        });
        Self {
            no_browser,
            cancel,
            lines: None,
        }
    }

    fn stdin_lines() -> tokio::sync::mpsc::UnboundedReceiver<String> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        rx
    }
}

impl SignInHost for TerminalHost {
    fn open_browser(&mut self, url: &str) -> bool {
        !self.no_browser && mailgrant_core::browser::open(url).is_ok()
    }

    fn announce(&mut self, event: SignInEvent) {
        match event {
            SignInEvent::Browser { url, opened, paste } => {
                note!("Sign in at:\n  {url}");
                if !opened && !self.no_browser {
                    note!("(cannot open a browser; open the address above yourself)");
                }
                if paste {
                    note!(
                        "After you sign in, the browser shows an empty page. Copy its whole address from the \
                         address bar and paste it here, then press Enter:"
                    );
                } else {
                    note!("Waiting for the browser (up to 5 minutes; Ctrl+C cancels)…");
                }
            }
            SignInEvent::DeviceCode {
                user_code,
                verification_uri,
                expires_in_secs,
            } => {
                note!("To sign in, open {verification_uri}");
                note!(
                    "and enter the code  {}",
                    out::paint(&user_code, Tone::Warn, out::colour_stderr())
                );
                note!(
                    "Waiting for you to finish (the code works for {} minutes; Ctrl+C cancels)…",
                    expires_in_secs / 60
                );
            }
        }
    }

    fn receives_links(&self) -> bool {
        false
    }

    async fn callback(&mut self) -> Option<Callback> {
        let lines = self.lines.get_or_insert_with(Self::stdin_lines);
        loop {
            let line = lines.recv().await?;
            if !line.trim().is_empty() {
                return Some(Callback {
                    address: line.trim().to_owned(),
                    from_link: false,
                });
            }
        }
    }

    fn cancellation(&self) -> CancellationToken {
        self.cancel.clone()
    }
}

pub(super) async fn sign_in(api: &Api, name: &str, no_browser: bool) -> Outcome {
    let account = match sign_in::account(api, name, &mut TerminalHost::new(no_browser)).await? {
        SignedIn::AppOnly(issued) => {
            say!(
                "{} {name:?} has an app-only token (valid until {}).",
                out::paint("Ready:", Tone::Good, out::colour_stdout()),
                out::datetime(issued.expires_at)
            );
            return Ok(EXIT_OK);
        }
        SignedIn::User(account) => account,
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
