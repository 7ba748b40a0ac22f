//! `fake-browser URL`: plays the user's browser for `mailgrant sign-in` in tests (set `BROWSER` to it). Opens
//! the emulator's authorize page, signs in as `FAKE_BROWSER_USER` (default adele@contoso.example), approves or
//! (`FAKE_BROWSER_DECISION=decline`) declines, then follows the redirect to Mailgrant's loopback listener, as a
//! browser does; a `mailgrant://` redirect it hands to the OS with `xdg-open` (or `FAKE_BROWSER_OPENER`), as a
//! browser does with a link for another program (`FAKE_BROWSER_FORGE_FIRST`: a forged link first, as any web page
//! can open one). A request for a directory-wide permission (`Application.Read.All`, an import of the organisation's
//! app registrations) signs in as `FAKE_BROWSER_ADMIN` when set, as a user picks their admin account. Writes what
//! happened to `FAKE_BROWSER_LOG` when set.

use std::io::Write as _;
use std::process::ExitCode;

use mailgrant_tests::emulator::browser::{Browser, Decision};
use mailgrant_tests::emulator::demo::ADELE;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: fake-browser URL");
        return ExitCode::from(2);
    };
    let result = run(&url).await;
    if let Some(path) = std::env::var_os("FAKE_BROWSER_LOG") {
        if let Ok(mut log) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(log, "opened {url}");
            let _ = match &result {
                Ok(page) if page.starts_with("handed") => writeln!(log, "{page}"),
                Ok(page) => writeln!(log, "loopback answered: {page}"),
                Err(e) => writeln!(log, "failed: {e}"),
            };
        }
    }
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-browser: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let base = parsed.origin().ascii_serialization();
    let scope = parsed
        .query_pairs()
        .find(|(key, _)| key == "scope")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    let admin = std::env::var("FAKE_BROWSER_ADMIN")
        .ok()
        .filter(|_| scope.contains("Application.Read.All"));
    let user = admin
        .or_else(|| std::env::var("FAKE_BROWSER_USER").ok())
        .unwrap_or_else(|| ADELE.to_owned());
    let decision = match std::env::var("FAKE_BROWSER_DECISION").as_deref() {
        Ok("decline") => Decision::Deny,
        _ => Decision::Approve,
    };
    let browser = Browser::new(&base).map_err(|e| e.to_string())?;
    let landing = browser
        .sign_in(url, &user, decision)
        .await
        .map_err(|e| e.to_string())?;
    // A mailgrant:// redirect (deep-link mode) is not the browser's to load: it hands the link to the operating
    // system, which starts the registered handler (`xdg-open`, or FAKE_BROWSER_OPENER).
    if landing.location.starts_with("mailgrant://") {
        let opener = std::env::var("FAKE_BROWSER_OPENER").unwrap_or_else(|_| "xdg-open".to_owned());
        // FAKE_BROWSER_FORGE_FIRST: a web page opened a forged link just before (any page can).
        if std::env::var_os("FAKE_BROWSER_FORGE_FIRST").is_some() {
            let forged = std::process::Command::new(&opener)
                .arg("mailgrant://auth?code=forged-by-a-web-page&state=forged")
                .env_remove("BROWSER")
                .status()
                .map_err(|e| format!("cannot run {opener}: {e}"))?;
            if !forged.success() {
                return Err(format!("{opener} failed on the forged link: {forged}"));
            }
            // The handler may start in the background: let the forged link arrive first.
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        let status = std::process::Command::new(&opener)
            .arg(&landing.location)
            .env_remove("BROWSER")
            .status()
            .map_err(|e| format!("cannot run {opener}: {e}"))?;
        return if status.success() {
            Ok(format!("handed to the OS with {opener}"))
        } else {
            Err(format!("{opener} {} failed: {status}", landing.location))
        };
    }
    // The redirect goes to http://localhost:PORT/?code=…: a browser follows it.
    let answer = reqwest::Client::new()
        .get(&landing.location)
        .send()
        .await
        .map_err(|e| format!("cannot reach {}: {e}", landing.location))?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    let title = body
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or("")
        .to_owned();
    Ok(format!("{status} {title}"))
}
