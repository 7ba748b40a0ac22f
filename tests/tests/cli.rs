//! The `mailgrant` command line end to end: the real binary, a data home of its own, the real keychain, the
//! emulator for Microsoft, and (for `test`) the real Dovecot and Postfix. A `BROWSER` program plays the user's
//! browser for the loopback sign-in; the test approves the device code as a user would.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test, with its location

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use mailgrant_core::model::Resource;
use mailgrant_tests::emulator::browser::{Browser, Decision};
use mailgrant_tests::emulator::demo::{
    ADELE, CONFIDENTIAL_CLIENT_ID, EXPIRED_SECRET_VALUE, IT_ADMIN, MEGAN, PAYROLL_CLIENT_ID,
    PUBLIC_CLIENT_ID, SECRET_ID, SECRET_VALUE, TENANT_DOMAIN,
};
use mailgrant_tests::emulator::{
    AppRegistration, ClientKind, ClientSecret, Emulator, Seed, TestCertificate, Timestamp,
};
use mailgrant_tests::fixtures::{cli_add_args as add_args, CaFile, TestHome};
use mailgrant_tests::peers::MailPeers;
use mailgrant_tests::workspace;

const FAKE_BROWSER: &str = env!("CARGO_BIN_EXE_fake-browser");

/// What the CLI says when there is no Secret Service on the session bus.
const NO_KEYCHAIN_LINE: &str = "mailgrant: cannot use the keychain (no secret service provider or dbus session \
                                found): unlock your keyring (GNOME Keyring / KWallet) or start a Secret Service \
                                provider; over SSH run inside `dbus-run-session`\n";

/// The emulator's CA (one for every emulator of this process), which every CLI run trusts through
/// `MAILGRANT_CA_FILE` unless `env` says otherwise.
fn emulator_ca() -> &'static CaFile {
    static CA: OnceLock<CaFile> = OnceLock::new();
    CA.get_or_init(|| CaFile::new(&[]))
}

/// `env` entry for a run that is given no CA file.
const NO_CA_FILE: (&str, &str) = ("MAILGRANT_CA_FILE", "");

/// A CLI run in `home`, with `stdin` fed in; blocking, so call it from `spawn_blocking` when the emulator shares
/// the runtime. Microsoft (the emulator, over HTTPS) is trusted through `MAILGRANT_CA_FILE` ([`emulator_ca`]);
/// `env` overrides it, and an empty value ([`NO_CA_FILE`]) removes it.
fn mailgrant(home: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(workspace::mailgrant_binary());
    command
        .args(args)
        .env("MAILGRANT_HOME", home)
        .env("NO_COLOR", "1")
        .env("MAILGRANT_CA_FILE", emulator_ca().path())
        .env_remove("BROWSER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        if *key == NO_CA_FILE.0 && value.is_empty() {
            command.env_remove(key);
        } else {
            command.env(key, value);
        }
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

async fn run(home: &Path, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let home = home.to_path_buf();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let stdin = stdin.to_owned();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        mailgrant(&home, &args, &stdin, &env)
    })
    .await
    .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(
        !text(&out.stderr).contains("panicked") && !text(&out.stderr).contains("RUST_BACKTRACE"),
        "a panic: {}",
        text(&out.stderr)
    );
}

/// A one-line error: `mailgrant: …`.
#[track_caller]
fn assert_one_line_error(out: &Output, code: i32, needle: &str) {
    assert_code(out, code);
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.starts_with("mailgrant: "), "{stderr}");
    assert!(stderr.contains(needle), "{needle:?} not in: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_sign_in_with_a_browser_program_then_token_status_and_remove() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let home = TestHome::new("cli-loopback");
    let log = home.path().join("browser.log");
    let log_text = log.to_str().unwrap();

    let add = run(
        home.path(),
        &add_args(
            &emulator,
            "work",
            PUBLIC_CLIENT_ID,
            &["--services", "imap,smtp,graph-read"],
        ),
        "",
        &[],
    )
    .await;
    assert_code(&add, 0);
    assert!(text(&add.stdout).contains("mailgrant sign-in work"));

    // "Use this mailbox": the servers of the cloud, OAuth2, and recipes with the account's name filled in.
    let settings = run(home.path(), &["settings", "work", "--json"], "", &[]).await;
    assert_code(&settings, 0);
    let settings: serde_json::Value = serde_json::from_slice(&settings.stdout).unwrap();
    assert_eq!(settings["userName"], ADELE);
    assert_eq!(settings["authentication"], "OAuth2");
    let servers: Vec<String> = settings["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}:{} {}",
                s["protocol"], s["host"], s["port"], s["encryptionLabel"]
            )
        })
        .collect();
    assert_eq!(
        servers,
        [
            "\"imap\" \"127.0.0.1\":993 \"SSL/TLS\"",
            "\"smtp\" \"127.0.0.1\":587 \"STARTTLS\""
        ]
    );
    let msmtp = settings["recipes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "msmtp")
        .unwrap();
    assert!(msmtp["snippet"]["text"]
        .as_str()
        .unwrap()
        .contains("passwordeval \"mailgrant token work\""));
    let human = text(&run(home.path(), &["settings", "work"], "", &[]).await.stdout);
    assert!(
        human.contains("Thunderbird") && human.contains("needs no Mailgrant"),
        "{human}"
    );

    // Added, not signed in: status says so (exit 1), and a token needs a sign-in (exit 3).
    let status = run(home.path(), &["status"], "", &[]).await;
    assert_code(&status, 1);
    assert!(
        text(&status.stdout).contains("not signed in"),
        "{}",
        text(&status.stdout)
    );
    let early = run(home.path(), &["token", "work"], "", &[]).await;
    assert_code(&early, 3);
    assert!(text(&early.stderr).contains("mailgrant sign-in work"));

    let sign_in = run(
        home.path(),
        &["sign-in", "work"],
        "",
        &[("BROWSER", FAKE_BROWSER), ("FAKE_BROWSER_LOG", log_text)],
    )
    .await;
    assert_code(&sign_in, 0);
    let stderr = text(&sign_in.stderr);
    assert!(
        stderr.contains("/oauth2/v2.0/authorize?"),
        "the URL goes to stderr: {stderr}"
    );
    assert!(
        stderr.contains("redirect_uri=http%3A%2F%2Flocalhost%3A"),
        "{stderr}"
    );
    assert!(text(&sign_in.stdout).contains("signed in as adele@contoso.example"));
    let browsed = std::fs::read_to_string(&log).unwrap();
    assert!(browsed.contains("loopback answered: 200"), "{browsed}");

    // The refresh token is in the keychain, and nothing secret in the config.
    assert!(home.vault.refresh_token("work").unwrap().is_some());
    let config = std::fs::read_to_string(home.path().join("config.json")).unwrap();
    let refresh = home.vault.refresh_token("work").unwrap().unwrap();
    assert!(!config.contains(refresh.expose()));

    // `token` prints the access token alone; the second call comes from the keychain.
    let first = run(home.path(), &["token", "work"], "", &[]).await;
    assert_code(&first, 0);
    let token = text(&first.stdout);
    assert_eq!(token.lines().count(), 1);
    assert!(emulator.access_token_is_live(token.trim()));
    assert!(text(&first.stderr).is_empty(), "{}", text(&first.stderr));
    let requests = emulator.token_requests().len();
    let second = run(home.path(), &["token", "work"], "", &[]).await;
    assert_eq!(text(&second.stdout), token);
    assert_eq!(
        emulator.token_requests().len(),
        requests,
        "the cached token was used"
    );

    // Graph: a refresh with the one refresh token, for the other resource.
    let graph = run(home.path(), &["token", "work", "--resource", "graph"], "", &[]).await;
    assert_code(&graph, 0);
    assert_ne!(text(&graph.stdout), token);
    assert!(home
        .vault
        .access_token("work", Resource::Graph)
        .unwrap()
        .is_some());

    let accounts = run(home.path(), &["accounts", "--json"], "", &[]).await;
    assert_code(&accounts, 0);
    let list: serde_json::Value = serde_json::from_slice(&accounts.stdout).unwrap();
    assert_eq!(list[0]["name"], "work");
    assert_eq!(list[0]["state"], "working");
    assert_eq!(list[0]["signedInAs"], ADELE);
    assert_eq!(list[0]["flow"], "auth-code");
    let human = run(home.path(), &["accounts"], "", &[]).await;
    assert!(text(&human.stdout).contains("imap,smtp,graph-read"));

    let status = run(home.path(), &["status", "--json"], "", &[]).await;
    assert_code(&status, 0);
    let value: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(value["attentionNeeded"], false);
    assert_eq!(value["accounts"][0]["state"], "working");
    // 90 days from the sign-in (89 once a second has passed).
    let left = value["accounts"][0]["refreshInactiveDaysLeft"].as_i64().unwrap();
    assert!((89..=90).contains(&left), "{left}");

    // Consent revoked at Microsoft: the next refresh needs a sign-in (exit 3), and status shows it.
    emulator.revoke(ADELE, "consent");
    let expired = home
        .vault
        .access_token("work", Resource::Outlook)
        .unwrap()
        .unwrap();
    home.vault
        .set_access_token(
            "work",
            Resource::Outlook,
            &mailgrant_core::vault::AccessToken {
                token: expired.token,
                expires_at: 0,
            },
        )
        .unwrap();
    let refused = run(home.path(), &["token", "work"], "", &[]).await;
    assert_code(&refused, 3);
    let stderr = text(&refused.stderr);
    assert!(
        stderr.starts_with("mailgrant: \"work\" must sign in again"),
        "{stderr}"
    );
    // The diagnosis follows: Microsoft's code, its title, and the raw answer's code, status and error.
    assert!(
        stderr.starts_with(
            "mailgrant: \"work\" must sign in again: run `mailgrant sign-in work`\n\nAADSTS65001: The app hasn't \
             been given permission yet\n\n"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nDetails:\n  AADSTS code: 65001\n  HTTP status: 400\n  Error: invalid_grant\n"),
        "{stderr}"
    );
    let status = run(home.path(), &["status"], "", &[]).await;
    assert_code(&status, 1);
    assert!(text(&status.stdout).contains("needs sign-in"));

    let remove = run(home.path(), &["remove", "work"], "", &[]).await;
    assert_code(&remove, 0);
    let said = text(&remove.stdout);
    assert!(said.contains("https://myapps.microsoft.com"), "{said}");
    assert!(said.contains("Enterprise applications"), "{said}");
    assert!(home.vault.refresh_token("work").unwrap().is_none());
    assert!(home
        .vault
        .access_token("work", Resource::Graph)
        .unwrap()
        .is_none());
    let gone = run(home.path(), &["token", "work"], "", &[]).await;
    assert_one_line_error(&gone, 2, "no account called \"work\"");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_consent_in_the_browser_ends_the_sign_in_with_the_diagnosis() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let home = TestHome::new("cli-decline");
    // Megan is not pre-approved: the consent page shows, and she declines.
    let args: Vec<&str> = add_args(&emulator, "work", PUBLIC_CLIENT_ID, &[])
        .into_iter()
        .map(|a| if a == ADELE { MEGAN } else { a })
        .collect();
    assert_code(&run(home.path(), &args, "", &[]).await, 0);
    let sign_in = run(
        home.path(),
        &["sign-in", "work"],
        "",
        &[
            ("BROWSER", FAKE_BROWSER),
            ("FAKE_BROWSER_USER", MEGAN),
            ("FAKE_BROWSER_DECISION", "decline"),
        ],
    )
    .await;
    assert_code(&sign_in, 1);
    let stderr = text(&sign_in.stderr);
    assert!(
        stderr.contains("mailgrant: the sign-in did not finish"),
        "{stderr}"
    );
    assert!(stderr.contains("What to do:"), "{stderr}");
    assert!(home.vault.refresh_token("work").unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_code_sign_in_approved_by_the_user() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let home = TestHome::new("cli-device");
    let add = run(
        home.path(),
        &add_args(&emulator, "tty", PUBLIC_CLIENT_ID, &["--flow", "device-code"]),
        "",
        &[],
    )
    .await;
    assert_code(&add, 0);

    let mut child = Command::new(workspace::mailgrant_binary())
        .args(["sign-in", "tty"])
        .env("MAILGRANT_HOME", home.path())
        .env("NO_COLOR", "1")
        .env("MAILGRANT_CA_FILE", emulator_ca().path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (code, url, seen, _rest) = tokio::task::spawn_blocking(move || {
        let mut seen = String::new();
        let (mut code, mut url) = (None, None);
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if let Some(rest) = line.strip_prefix("To sign in, open ") {
                url = Some(rest.trim().to_owned());
            }
            if let Some(rest) = line.strip_prefix("and enter the code") {
                code = Some(rest.trim().to_owned());
            }
            if code.is_some() && url.is_some() {
                break;
            }
        }
        // Keep reading, as a terminal would, until the process ends.
        let rest = std::thread::spawn(move || lines.for_each(drop));
        (code, url, seen, rest)
    })
    .await
    .unwrap();
    let code = code.unwrap_or_else(|| panic!("no code shown: {seen}"));
    assert!(url.unwrap().ends_with("/devicelogin"));
    let browser = Browser::new(emulator.base_url()).unwrap();
    let (status, _) = browser
        .enter_device_code(&code, ADELE, Decision::Approve)
        .await
        .unwrap();
    assert_eq!(status, 200);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_code(&out, 0);
    assert!(text(&out.stdout).contains("signed in as adele@contoso.example"));
    assert!(home.vault.refresh_token("tty").unwrap().is_some());
    let token = run(home.path(), &["token", "tty"], "", &[]).await;
    assert_code(&token, 0);
    assert!(emulator.access_token_is_live(text(&token.stdout).trim()));
    assert_code(&run(home.path(), &["remove", "tty"], "", &[]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_a_secret_from_stdin_and_the_secrets_board() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let home = TestHome::new("cli-app-only");
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(10))
        .date()
        .to_string();
    let mut args = add_args(
        &emulator,
        "daemon",
        CONFIDENTIAL_CLIENT_ID,
        &[
            "--flow",
            "client-credentials",
            "--services",
            "graph-read",
            "--client-secret-stdin",
        ],
    );
    args.extend(["--secret-expires", soon.as_str(), "--app-name", "Mail daemon"]);
    let add = run(home.path(), &args, &format!("{SECRET_VALUE}\n"), &[]).await;
    assert_code(&add, 0);
    let config = std::fs::read_to_string(home.path().join("config.json")).unwrap();
    assert!(
        !config.contains(SECRET_VALUE),
        "the secret stays out of the config"
    );

    let sign_in = run(home.path(), &["sign-in", "daemon"], "", &[]).await;
    assert_code(&sign_in, 0);
    assert!(text(&sign_in.stdout).contains("app-only token"));
    let token = run(home.path(), &["token", "daemon"], "", &[]).await;
    assert_code(&token, 0);
    let claims = mailgrant_tests::emulator::decode_claims(text(&token.stdout).trim()).unwrap();
    // Every application permission granted to the app (the demo's: Application.Read.All, Mail.Read, Mail.Send).
    assert_eq!(
        claims["roles"],
        serde_json::json!(["Application.Read.All", "Mail.Read", "Mail.Send"]),
        "{claims}"
    );
    assert_eq!(claims["idtyp"], "app", "{claims}");

    // The board: expiring within 30 days → exit 1; JSON and CSV carry the same row.
    let secrets = run(home.path(), &["secrets", "--json"], "", &[]).await;
    assert_code(&secrets, 1);
    let rows: serde_json::Value = serde_json::from_slice(&secrets.stdout).unwrap();
    assert_eq!(rows[0]["registrationName"], "Mail daemon");
    assert_eq!(rows[0]["state"], "within-14");
    assert_eq!(rows[0]["daysLeft"], 10);
    assert_eq!(rows[0]["hint"], &SECRET_VALUE[..3]);
    assert_eq!(rows[0]["accounts"][0], "daemon");
    let csv = run(home.path(), &["secrets", "--csv"], "", &[]).await;
    let csv_text = text(&csv.stdout);
    assert!(csv_text.starts_with("registration,client_id,kind"), "{csv_text}");
    assert!(
        csv_text.contains(&format!("Mail daemon,{CONFIDENTIAL_CLIENT_ID},client secret")),
        "{csv_text}"
    );
    let human = run(home.path(), &["secrets"], "", &[]).await;
    assert!(text(&human.stdout).contains("within 14 days"));
    let later = run(home.path(), &["secrets", "--expiring-within", "5"], "", &[]).await;
    assert_code(&later, 0);
    assert!(text(&later.stdout).contains("No client secret"));
    let status = run(home.path(), &["status"], "", &[]).await;
    assert_code(&status, 1);
    assert!(text(&status.stdout).contains("expires in 10 days"));

    // Replacing the secret: Microsoft refuses an expired one (nothing changes), then accepts a good one, which
    // takes the old one's place on the board and in the keychain.
    let later = (time::OffsetDateTime::now_utc() + time::Duration::days(300))
        .date()
        .to_string();
    let refused = run(
        home.path(),
        &["replace-secret", "Mail daemon", "--expires", later.as_str()],
        &format!("{EXPIRED_SECRET_VALUE}\n"),
        &[],
    )
    .await;
    assert_code(&refused, 2);
    assert!(
        text(&refused.stderr).contains("Microsoft did not accept the new secret: AADSTS7000222"),
        "{}",
        text(&refused.stderr)
    );
    let unchanged: serde_json::Value =
        serde_json::from_slice(&run(home.path(), &["secrets", "--json"], "", &[]).await.stdout).unwrap();
    assert_eq!(unchanged[0]["daysLeft"], 10);
    let replaced = run(
        home.path(),
        &["replace-secret", "daemon", "--expires", later.as_str()],
        &format!("{SECRET_VALUE}\n"),
        &[],
    )
    .await;
    assert_code(&replaced, 0);
    assert!(
        text(&replaced.stdout).contains("(Microsoft accepted it)"),
        "{}",
        text(&replaced.stdout)
    );
    let board: serde_json::Value =
        serde_json::from_slice(&run(home.path(), &["secrets", "--json"], "", &[]).await.stdout).unwrap();
    assert_eq!(
        board.as_array().unwrap().len(),
        1,
        "the old secret is gone: {board}"
    );
    assert_eq!(board[0]["daysLeft"], 300);
    assert_code(&run(home.path(), &["token", "daemon"], "", &[]).await, 0);

    // The values a background service is given: the client ID, the tenant, the token URL, `.default`; the secret's
    // Value only when asked for.
    let values = run(
        home.path(),
        &["handover", "daemon", "--product", "background-service", "--json"],
        "",
        &[],
    )
    .await;
    assert_code(&values, 0);
    let values: serde_json::Value = serde_json::from_slice(&values.stdout).unwrap();
    assert_eq!(values["clientId"], CONFIDENTIAL_CLIENT_ID);
    assert_eq!(values["tenantId"], TENANT_DOMAIN);
    assert_eq!(
        values["tokenUrl"],
        format!("{}/{TENANT_DOMAIN}/oauth2/v2.0/token", emulator.base_url())
    );
    assert_eq!(
        values["scopes"][0], "https://graph.microsoft.com/.default",
        "the daemon reads through Graph"
    );
    assert_eq!(values["secretHint"], &SECRET_VALUE[..3]);
    assert!(values.get("clientSecret").is_none(), "{values}");
    let shown = run(
        home.path(),
        &[
            "handover",
            "daemon",
            "--product",
            "background-service",
            "--show-secret",
        ],
        "",
        &[],
    )
    .await;
    assert_code(&shown, 0);
    assert!(
        text(&shown.stdout).contains(SECRET_VALUE),
        "{}",
        text(&shown.stdout)
    );
    assert_code(
        &run(home.path(), &["handover", "daemon", "--product", "nope"], "", &[]).await,
        2,
    );

    // The Secret ID pasted as the value is caught before anything is stored.
    let mut wrong = add_args(
        &emulator,
        "daemon2",
        CONFIDENTIAL_CLIENT_ID,
        &["--flow", "client-credentials", "--client-secret-stdin"],
    );
    wrong.push("--services");
    wrong.push("graph-read");
    let out = run(home.path(), &wrong, &SECRET_ID.to_string(), &[]).await;
    assert_one_line_error(&out, 2, "Secret ID");

    assert_code(&run(home.path(), &["remove", "daemon"], "", &[]).await, 0);
    let after = std::fs::read_to_string(home.path().join("config.json")).unwrap();
    assert!(
        !after.contains("Mail daemon"),
        "the registration went with its last account"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_one_line_and_the_right_exit_code() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let home = TestHome::new("cli-bad");
    let h = home.path();

    let unknown = run(h, &["token", "nobody"], "", &[]).await;
    assert_one_line_error(&unknown, 2, "no account called \"nobody\"");
    let unknown = run(h, &["sign-in", "nobody"], "", &[]).await;
    assert_one_line_error(&unknown, 2, "no account called");

    let guid = run(h, &add_args(&emulator, "x", "not-a-guid", &[]), "", &[]).await;
    assert_one_line_error(&guid, 2, "--client-id");

    let no_secret = run(
        h,
        &add_args(
            &emulator,
            "x",
            CONFIDENTIAL_CLIENT_ID,
            &["--flow", "client-credentials"],
        ),
        "",
        &[],
    )
    .await;
    assert_one_line_error(&no_secret, 2, "client secret");

    let bad_url = run(
        h,
        &[
            "add",
            "--name",
            "x",
            "--email",
            ADELE,
            "--client-id",
            PUBLIC_CLIENT_ID,
            "--cloud",
            "custom",
            "--authority",
            "not a url",
            "--graph-url",
            "https://g.example",
        ],
        "",
        &[],
    )
    .await;
    assert_one_line_error(&bad_url, 2, "--authority");

    // A custom cloud over plain http:// to another computer would send secrets in clear: refused.
    let plain = run(
        h,
        &[
            "add",
            "--name",
            "x",
            "--email",
            ADELE,
            "--client-id",
            PUBLIC_CLIENT_ID,
            "--authority",
            "http://login.example.net",
            "--graph-url",
            "https://graph.example.net",
        ],
        "",
        &[],
    )
    .await;
    assert_one_line_error(
        &plain,
        2,
        "--authority \"http://login.example.net\": Use an https:// address",
    );

    // --authority with another cloud is a usage error that says what to do; without --cloud it means custom.
    let both = run(
        h,
        &[
            "add",
            "--name",
            "x",
            "--email",
            ADELE,
            "--client-id",
            PUBLIC_CLIENT_ID,
            "--cloud",
            "usgov",
        ]
        .into_iter()
        .chain([
            "--authority",
            emulator.base_url(),
            "--graph-url",
            emulator.base_url(),
        ])
        .collect::<Vec<_>>(),
        "",
        &[],
    )
    .await;
    assert_one_line_error(&both, 2, "leave out --cloud, or use --cloud custom");
    let implied = run(
        h,
        &[
            "add",
            "--name",
            "implied",
            "--email",
            ADELE,
            "--client-id",
            PUBLIC_CLIENT_ID,
            "--tenant",
            TENANT_DOMAIN,
            "--authority",
            emulator.base_url(),
            "--graph-url",
            emulator.base_url(),
        ],
        "",
        &[],
    )
    .await;
    assert_code(&implied, 0);
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(h.join("config.json")).unwrap()).unwrap();
    let account = config["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "implied")
        .unwrap();
    let registration = config["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == account["registration"])
        .unwrap();
    assert_eq!(registration["cloud"]["kind"], "custom", "{registration}");
    assert_eq!(
        registration["cloud"]["authority"],
        emulator.base_url(),
        "{registration}"
    );
    assert_code(&run(h, &["remove", "implied"], "", &[]).await, 0);

    // MAILGRANT_CA_FILE reaches the command line as --ca-file does, before or after the subcommand.
    for (args, env) in [
        (
            vec!["status"],
            vec![("MAILGRANT_CA_FILE", "/nonexistent/corp-ca.pem")],
        ),
        (vec!["--ca-file", "/nonexistent/corp-ca.pem", "status"], vec![]),
        (vec!["status", "--ca-file", "/nonexistent/corp-ca.pem"], vec![]),
    ] {
        let out = run(h, &args, "", &env).await;
        assert_one_line_error(&out, 2, "/nonexistent/corp-ca.pem");
    }

    let late = run(
        h,
        &add_args(
            &emulator,
            "x",
            CONFIDENTIAL_CLIENT_ID,
            &["--client-secret-stdin", "--secret-expires", "2099-01-01"],
        ),
        &format!("Xk58Q~{}", "c".repeat(34)),
        &[],
    )
    .await;
    assert_one_line_error(&late, 2, "24 months");

    // An authority nobody answers at: the sign-in fails with the network diagnosis, not a hang or a panic.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://127.0.0.1:{}", dead.local_addr().unwrap().port());
    drop(dead);
    let add = run(
        h,
        &[
            "add",
            "--name",
            "dead",
            "--email",
            ADELE,
            "--client-id",
            PUBLIC_CLIENT_ID,
            "--tenant",
            TENANT_DOMAIN,
            "--cloud",
            "custom",
            "--authority",
            &dead_url,
            "--graph-url",
            &dead_url,
            "--flow",
            "device-code",
        ],
        "",
        &[],
    )
    .await;
    assert_code(&add, 0);
    let unreachable = run(h, &["sign-in", "dead"], "", &[]).await;
    assert_code(&unreachable, 1);
    let stderr = text(&unreachable.stderr);
    assert!(
        stderr
            .lines()
            .next()
            .unwrap()
            .starts_with("mailgrant: the sign-in did not finish"),
        "{stderr}"
    );
    assert!(stderr.contains("127.0.0.1"), "{stderr}");

    // No keychain (no Secret Service on the bus): exit 4 with the fix.
    let locked = run(
        h,
        &["token", "dead"],
        "",
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    )
    .await;
    assert_code(&locked, 4);
    assert_eq!(text(&locked.stderr), NO_KEYCHAIN_LINE);

    let explain = run(h, &["explain", "AADSTS7000215"], "", &[]).await;
    assert_code(&explain, 0);
    let said = text(&explain.stdout);
    assert!(
        said.contains("What to do:") && said.to_lowercase().contains("secret"),
        "{said}"
    );
    let smtp = run(h, &["explain", "5.7.139"], "", &[]).await;
    assert_code(&smtp, 0);
    assert!(text(&smtp.stdout).contains("SMTP"));
    let nonsense = run(h, &["explain", "NOPE123"], "", &[]).await;
    assert_one_line_error(&nonsense, 2, "no explanation");

    let usage = run(h, &["secrets", "--json", "--csv"], "", &[]).await;
    assert_code(&usage, 2);
    let _ = home.vault.forget_account("dead");
}

/// Set in the child that runs in a keyring session of its own, and locks that keyring.
const LOCKED_CHILD_ENV: &str = "MAILGRANT_CLI_LOCKED_CHILD";

/// `mailgrant add` of an app-only account with its client secret on stdin.
fn add_with_secret_args<'a>(emulator: &'a Emulator, name: &'a str) -> Vec<&'a str> {
    add_args(
        emulator,
        name,
        CONFIDENTIAL_CLIENT_ID,
        &[
            "--flow",
            "client-credentials",
            "--services",
            "graph-read",
            "--client-secret-stdin",
        ],
    )
}

/// The role of the child process started by the next test; does nothing in a normal test run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_with_a_locked_keychain() {
    if std::env::var_os(LOCKED_CHILD_ENV).is_none() {
        return;
    }
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let home = TestHome::new("cli-locked");
    let h = home.path();
    let config = home.home.config_file();
    let secret = format!("{SECRET_VALUE}\n");
    // An app-only account whose client secret is in the keychain, and its first token.
    assert_code(
        &run(h, &add_with_secret_args(&emulator, "daemon"), &secret, &[]).await,
        0,
    );
    let token = run(h, &["token", "daemon"], "", &[]).await;
    assert_code(&token, 0);
    let before = std::fs::read_to_string(&config).unwrap();
    let locked_line = "mailgrant: cannot use the keychain (the keyring is locked and its unlock prompt was \
                       dismissed): unlock your keyring (GNOME Keyring / KWallet) or start a Secret Service \
                       provider; over SSH run inside `dbus-run-session`\n";

    mailgrant_tests::keyring::lock().unwrap();
    // The secret goes to the keychain first: refused there, the config is not touched.
    let add = run(h, &add_with_secret_args(&emulator, "daemon2"), &secret, &[]).await;
    assert_code(&add, 4);
    assert_eq!(
        (text(&add.stdout), text(&add.stderr)),
        (String::new(), locked_line.to_owned())
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        before,
        "config.json changed"
    );
    // Nor can a new token be had with the stored secret (the cached one is in the keychain as well).
    let token = run(h, &["token", "daemon"], "", &[]).await;
    assert_code(&token, 4);
    assert_eq!(
        (text(&token.stdout), text(&token.stderr)),
        (String::new(), locked_line.to_owned())
    );
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        before,
        "config.json changed"
    );
    mailgrant_tests::keyring::unlock().unwrap();

    // No Secret Service at all: the same, with the reason.
    let add = run(
        h,
        &add_with_secret_args(&emulator, "daemon2"),
        &secret,
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    )
    .await;
    assert_code(&add, 4);
    assert_eq!(text(&add.stderr), NO_KEYCHAIN_LINE);
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        before,
        "config.json changed"
    );

    // With the keychain back, nothing was lost (the stored secret still gets tokens), and the same add
    // succeeds: it was the keychain that stopped it.
    assert_code(&run(h, &["token", "daemon"], "", &[]).await, 0);
    let add = run(h, &add_with_secret_args(&emulator, "daemon2"), &secret, &[]).await;
    assert_code(&add, 0);
    assert_ne!(std::fs::read_to_string(&config).unwrap(), before);
    assert_code(&run(h, &["remove", "daemon2"], "", &[]).await, 0);
    assert_code(&run(h, &["remove", "daemon"], "", &[]).await, 0);
    println!("child: the locked keychain stopped the CLI and left config.json alone");
}

/// A genuinely locked keychain (its login collection locked over D-Bus, in a keyring session of its own so the
/// tests beside it keep theirs), then none at all: `mailgrant add --client-secret-stdin` exits 4 with the fix in
/// one line and leaves config.json byte for byte as it was; `token` exits 4 too, and once unlocked the stored
/// secret still works.
#[test]
fn a_locked_or_missing_keychain_exits_4_and_add_leaves_the_config_as_it_was() {
    let output = mailgrant_tests::keyring::run_in_own_keyring_session(
        "child_with_a_locked_keychain",
        LOCKED_CHILD_ENV,
    );
    let stdout = text(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{}",
        text(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "the child ran no test: {stdout}");
    assert!(
        stdout.contains("child: the locked keychain stopped the CLI and left config.json alone"),
        "{stdout}"
    );
}

/// A config.json that is not Mailgrant's (a hand edit gone wrong): every command says so in one line, naming the
/// copy it made beside it (`config.json.corrupt-<UTC time>`, one however often it is read), exits 1, and writes
/// nothing: the file stays byte for byte as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_config_is_backed_up_reported_and_never_overwritten() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let home = TestHome::new("cli-corrupt");
    let h = home.path();
    let config = home.home.config_file();
    let corrupt = b"{\"schema_version\": 1, \"accounts\": [{\"name\": \"mail\",";
    std::fs::write(&config, corrupt).unwrap();

    let add = add_args(&emulator, "other", PUBLIC_CLIENT_ID, &[]);
    let commands: [&[&str]; 5] = [
        &["status"],
        &["status", "--json"],
        &add,
        &["remove", "mail"],
        &["keep-alive"],
    ];
    for args in commands {
        let out = run(h, args, "", &[]).await;
        assert_code(&out, 1);
        let backups: Vec<_> = std::fs::read_dir(h)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("config.json.corrupt-"))
            .collect();
        assert_eq!(backups.len(), 1, "{args:?}: {backups:?}");
        let backup = h.join(&backups[0]);
        assert_eq!(
            (text(&out.stdout), text(&out.stderr)),
            (
                String::new(),
                format!(
                    "mailgrant: cannot read {}: it is not a valid Mailgrant config. It was left as it is and \
                     copied to {}; repair or remove it, then try again\n",
                    config.display(),
                    backup.display()
                )
            ),
            "{args:?}"
        );
        assert_eq!(std::fs::read(&backup).unwrap(), corrupt, "{args:?}");
        assert_eq!(
            std::fs::read(&config).unwrap(),
            corrupt,
            "{args:?}: config.json was written"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_proves_imap_smtp_and_pop_on_the_real_servers() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let base = emulator.introspection_base().to_owned();
    let peers = tokio::task::spawn_blocking(move || MailPeers::start(&base))
        .await
        .unwrap()
        .unwrap();
    let home = TestHome::new("cli-test");
    let (imap, smtp, pop) = (
        peers.imap_starttls().to_string(),
        peers.submission_starttls().to_string(),
        peers.pop_starttls().to_string(),
    );
    let mut args = add_args(
        &emulator,
        "mail",
        PUBLIC_CLIENT_ID,
        &["--services", "imap,smtp,pop"],
    );
    args.extend([
        "--imap",
        imap.as_str(),
        "--smtp",
        smtp.as_str(),
        "--pop",
        pop.as_str(),
    ]);
    assert_code(&run(home.path(), &args, "", &[]).await, 0);
    let sign_in = run(
        home.path(),
        &["sign-in", "mail"],
        "",
        &[("BROWSER", FAKE_BROWSER)],
    )
    .await;
    assert_code(&sign_in, 0);

    // The peers' CA and the emulator's, in one file.
    let ca = CaFile::new(&[peers.ca_pem().unwrap().as_bytes()]);
    let test = run(
        home.path(),
        &["test", "mail", "--json", "--ca-file", ca.as_str()],
        "",
        &[],
    )
    .await;
    assert_code(&test, 0);
    let reports: serde_json::Value = serde_json::from_slice(&test.stdout).unwrap();
    let protocols: Vec<&str> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["protocol"].as_str().unwrap())
        .collect();
    assert_eq!(protocols, ["imap", "pop", "smtp"]);
    for report in reports.as_array().unwrap() {
        assert_eq!(report["outcome"]["status"], "ok", "{report}");
    }

    // Human output: each layer as it completes, on stderr.
    let human = run(
        home.path(),
        &["test", "mail", "--imap", "--ca-file", ca.as_str()],
        "",
        &[],
    )
    .await;
    assert_code(&human, 0);
    let progress = text(&human.stderr);
    for layer in ["dns", "tcp", "tls", "token", "auth"] {
        assert!(
            progress.to_lowercase().contains(layer),
            "{layer} missing: {progress}"
        );
    }
    assert!(text(&human.stdout).contains("every test passed"));

    // Without the CA the TLS layer fails and says why; exit 1.
    let untrusted = run(home.path(), &["test", "mail", "--imap"], "", &[]).await;
    assert_code(&untrusted, 1);
    assert!(
        text(&untrusted.stdout).contains("What to do:"),
        "{}",
        text(&untrusted.stdout)
    );
    assert_code(&run(home.path(), &["remove", "mail"], "", &[]).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_import_by_an_admin_then_refresh_revocation_app_only_and_remove() {
    // Contoso with a certificate app and enough registrations for Graph to answer in two pages of 999.
    let certificate = TestCertificate::generate("intranet signing").unwrap();
    let mut seed = Seed::demo();
    seed.apps.push(AppRegistration {
        certificates: vec![certificate.credential("signing")],
        ..AppRegistration::new(
            "6e6e6e6e-aaaa-4bbb-8ccc-dddddddddddd",
            "Cert App",
            TENANT_DOMAIN,
            ClientKind::Confidential,
        )
    });
    for n in 0..1000 {
        seed.apps.push(AppRegistration::new(
            &format!("00000000-0000-4000-8000-{n:012}"),
            &format!("Generated {n}"),
            TENANT_DOMAIN,
            ClientKind::Public,
        ));
    }
    let emulator = Emulator::start_tls(seed).await.unwrap();
    let home = TestHome::new("cli-directory");
    assert_code(
        &run(
            home.path(),
            &add_args(&emulator, "work", PUBLIC_CLIENT_ID, &[]),
            "",
            &[],
        )
        .await,
        0,
    );
    let browser = |user: &'static str| [("BROWSER", FAKE_BROWSER), ("FAKE_BROWSER_USER", user)];

    // Megan is no admin: Microsoft's answer, explained, and nothing imported.
    let refused = run(
        home.path(),
        &["directory", "import", PUBLIC_CLIENT_ID],
        "",
        &browser(MEGAN),
    )
    .await;
    assert_code(&refused, 1);
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("mailgrant: the sign-in did not finish: AADSTS90094"),
        "{stderr}"
    );
    assert!(stderr.contains("An admin has to approve this app"), "{stderr}");
    assert!(text(&run(home.path(), &["directory", "list"], "", &[]).await.stdout).contains("No imports yet"));

    // The IT admin signs in through the same registration: every registration, both pages.
    let imported = run(
        home.path(),
        &["directory", "import", PUBLIC_CLIENT_ID],
        "",
        &browser(IT_ADMIN),
    )
    .await;
    assert_code(&imported, 0);
    let said = text(&imported.stdout);
    assert!(
        said.contains("read 1005 app registrations") && said.contains("signed in as it@contoso.example"),
        "{said}"
    );
    let list = run(home.path(), &["directory", "list", "--json"], "", &[]).await;
    let imports: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let id = imports[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(imports[0]["tenant"], TENANT_DOMAIN);
    assert_eq!(imports[0]["applications"], 1005);
    let refresh_token = home
        .vault
        .directory_refresh_token(&id)
        .unwrap()
        .expect("kept in the keychain");
    let on_disk = std::fs::read_to_string(home.path().join("directory.json")).unwrap();
    assert!(!on_disk.contains(refresh_token.expose()), "no token on disk");

    // The board: Payroll's secret (5 days), Intranet's expired one, the certificate with its thumbprint.
    let secrets = run(home.path(), &["secrets", "--json"], "", &[]).await;
    assert_code(&secrets, 1);
    let rows: serde_json::Value = serde_json::from_slice(&secrets.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["registrationName"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(rows[0]["registrationName"], "Intranet Portal");
    assert_eq!(rows[0]["state"], "expired");
    assert_eq!(row("Payroll Sync")["state"], "within-7");
    assert_eq!(row("Payroll Sync")["source"], "directory");
    assert_eq!(row("Payroll Sync")["tenant"], TENANT_DOMAIN);
    assert_eq!(row("Cert App")["kind"], "certificate");
    assert_eq!(row("Cert App")["hint"], certificate.thumbprint());

    // A new secret in Entra shows after a refresh, which needs no sign-in and rotates the refresh token.
    emulator.update_seed(|seed| {
        let payroll = seed
            .apps
            .iter_mut()
            .find(|a| a.client_id == PAYROLL_CLIENT_ID)
            .unwrap();
        payroll.secrets.push(ClientSecret {
            key_id: uuid::Uuid::new_v4(),
            value: uuid::Uuid::new_v4().to_string(),
            display_name: "renewed".into(),
            hint: None,
            start: Timestamp::now(),
            end: Timestamp::in_days(365),
        });
    });
    let refreshed = run(home.path(), &["directory", "refresh"], "", &[]).await;
    assert_code(&refreshed, 0);
    let rotated = home.vault.directory_refresh_token(&id).unwrap().unwrap();
    assert_ne!(
        rotated.expose(),
        refresh_token.expose(),
        "the rotated refresh token was kept"
    );
    let csv = text(&run(home.path(), &["secrets", "--csv"], "", &[]).await.stdout);
    assert_eq!(csv.matches("Payroll Sync,").count(), 2, "{csv}");
    assert!(csv.lines().next().unwrap().ends_with(",source,tenant"), "{csv}");
    assert!(csv.contains(",directory,contoso.example\r\n"), "{csv}");

    // App-only through the confidential registration: the same tenant, so the same rows, not twice.
    let mut daemon = add_args(
        &emulator,
        "daemon",
        CONFIDENTIAL_CLIENT_ID,
        &[
            "--flow",
            "client-credentials",
            "--services",
            "graph-read",
            "--client-secret-stdin",
        ],
    );
    daemon.extend(["--app-name", "Mail daemon"]);
    assert_code(
        &run(home.path(), &daemon, &format!("{SECRET_VALUE}\n"), &[]).await,
        0,
    );
    let app_only = run(
        home.path(),
        &["directory", "import", "Mail daemon", "--app-only"],
        "",
        &[],
    )
    .await;
    assert_code(&app_only, 0);
    assert!(text(&app_only.stdout).contains("as the app itself"));
    let csv = text(&run(home.path(), &["secrets", "--csv"], "", &[]).await.stdout);
    assert_eq!(csv.matches("Payroll Sync,").count(), 2, "{csv}");
    let public_only = run(
        home.path(),
        &["directory", "import", "work", "--app-only"],
        "",
        &[],
    )
    .await;
    assert_code(&public_only, 2);

    // The app-only import goes (forgetting it keeps the other's rows), then the daemon's secret is deleted in
    // Entra: after a refresh, the board says Graph no longer lists it.
    let imports: serde_json::Value = serde_json::from_slice(
        &run(home.path(), &["directory", "list", "--json"], "", &[])
            .await
            .stdout,
    )
    .unwrap();
    let app_only_id = imports
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["appOnly"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_code(
        &run(home.path(), &["directory", "remove", &app_only_id], "", &[]).await,
        0,
    );
    let csv = text(&run(home.path(), &["secrets", "--csv"], "", &[]).await.stdout);
    assert_eq!(csv.matches("Payroll Sync,").count(), 2, "{csv}");
    emulator.update_seed(|seed| {
        let service = seed
            .apps
            .iter_mut()
            .find(|a| a.client_id == CONFIDENTIAL_CLIENT_ID)
            .unwrap();
        service.secrets.retain(|s| s.key_id != SECRET_ID);
    });
    // (An import can be named by its tenant.)
    assert_code(
        &run(home.path(), &["directory", "refresh", TENANT_DOMAIN], "", &[]).await,
        0,
    );
    let rows: serde_json::Value =
        serde_json::from_slice(&run(home.path(), &["secrets", "--json"], "", &[]).await.stdout).unwrap();
    let daemon: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["accounts"][0] == "daemon")
        .collect();
    assert!(
        daemon
            .iter()
            .any(|r| r["missingInDirectory"] == true && r["source"] == "mailgrant"),
        "{daemon:?}"
    );

    // The admin's consent is revoked: the refresh says to sign in again (exit 3), and the last list stays.
    emulator.revoke(IT_ADMIN, "consent");
    let revoked = run(home.path(), &["directory", "refresh", &id], "", &[]).await;
    assert_code(&revoked, 3);
    assert!(
        text(&revoked.stderr).contains("must sign in again"),
        "{}",
        text(&revoked.stderr)
    );
    let list = text(&run(home.path(), &["directory", "list"], "", &[]).await.stdout);
    assert!(list.contains("needs sign-in"), "{list}");
    let listed: serde_json::Value = serde_json::from_slice(
        &run(home.path(), &["directory", "list", "--json"], "", &[])
            .await
            .stdout,
    )
    .unwrap();
    let failing = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .unwrap();
    assert_eq!(failing["lastFailure"]["signInAgain"], true, "{failing}");
    assert!(text(&run(home.path(), &["secrets"], "", &[]).await.stdout).contains("Payroll Sync"));

    // Forgetting the import takes its rows and the refresh token.
    assert_code(&run(home.path(), &["directory", "remove", &id], "", &[]).await, 0);
    assert!(home.vault.directory_refresh_token(&id).unwrap().is_none());
    let after = text(&run(home.path(), &["secrets"], "", &[]).await.stdout);
    assert!(!after.contains("Payroll Sync"), "{after}");
    for name in ["work", "daemon"] {
        assert_code(&run(home.path(), &["remove", name], "", &[]).await, 0);
    }
}

/// `2026-12-03 10:15 UTC`, as the CLI writes times.
fn utc_minute(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap()
}

/// What `keep-alive` must leave alone: an account's refresh token, its cached access token and its metadata.
#[derive(Debug, PartialEq)]
struct Untouched {
    refresh_token: String,
    access_token: Option<(String, i64)>,
    metadata: mailgrant_core::model::TokenMetadata,
}

fn untouched(home: &TestHome, name: &str) -> Untouched {
    Untouched {
        refresh_token: home
            .vault
            .refresh_token(name)
            .unwrap()
            .unwrap()
            .expose()
            .to_owned(),
        access_token: home
            .vault
            .access_token(name, Resource::Outlook)
            .unwrap()
            .map(|t| (t.token.expose().to_owned(), t.expires_at)),
        metadata: home.store.account(name).unwrap().unwrap().tokens,
    }
}

/// Makes an account's refresh token look unused for 15 days, past the keep-alive point (14 days).
fn make_idle(home: &TestHome, name: &str) -> i64 {
    let idle = mailgrant_core::token_lifecycle::now_unix() - 15 * 86_400;
    home.store
        .update_token_metadata(name, |m| {
            m.refresh_last_used_at = Some(idle);
            m.refresh_issued_at = Some(idle);
        })
        .unwrap();
    idle
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_uses_only_idle_refresh_tokens_and_exits_3_when_one_must_sign_in_again() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    let home = TestHome::new("cli-keep-alive");
    let h = home.path();
    // Two delegated accounts, two users: "work" (Adele) stays fresh, "home" (Megan) goes idle.
    for (name, user) in [("work", ADELE), ("home", MEGAN)] {
        let args: Vec<&str> = add_args(&emulator, name, PUBLIC_CLIENT_ID, &[])
            .into_iter()
            .map(|a| if a == ADELE { user } else { a })
            .collect();
        assert_code(&run(h, &args, "", &[]).await, 0);
        let sign_in = run(
            h,
            &["sign-in", name],
            "",
            &[("BROWSER", FAKE_BROWSER), ("FAKE_BROWSER_USER", user)],
        )
        .await;
        assert_code(&sign_in, 0);
    }
    let work = untouched(&home, "work");
    let keep_alive = mailgrant_core::token_lifecycle::KEEP_ALIVE_AFTER_SECS;

    // Right after the sign-ins nothing is due: no token request, no change, and the next due time.
    let config = std::fs::read(h.join("config.json")).unwrap();
    let requests = emulator.token_requests().len();
    let next = ["work", "home"]
        .into_iter()
        .map(|name| {
            let used = home
                .store
                .account(name)
                .unwrap()
                .unwrap()
                .tokens
                .refresh_last_used_at;
            (used.unwrap() + keep_alive, name)
        })
        .min()
        .unwrap();
    let nothing = run(h, &["keep-alive"], "", &[]).await;
    assert_code(&nothing, 0);
    assert_eq!(
        text(&nothing.stdout),
        format!(
            "nothing due: every refresh token was used within 14 days (next due: {}, {})\n",
            next.1,
            utc_minute(next.0)
        )
    );
    assert_eq!(text(&nothing.stderr), "");
    let quiet = run(h, &["keep-alive", "--quiet"], "", &[]).await;
    assert_code(&quiet, 0);
    assert_eq!(
        (text(&quiet.stdout), text(&quiet.stderr)),
        (String::new(), String::new())
    );
    let listed = run(h, &["keep-alive", "--json"], "", &[]).await;
    assert_code(&listed, 0);
    assert_eq!(text(&listed.stdout), "[]\n");
    assert_eq!(emulator.token_requests().len(), requests);
    assert_eq!(std::fs::read(h.join("config.json")).unwrap(), config);

    // "home" idle for 15 days: its refresh token is used (the emulator rotates it), "work" is not touched.
    make_idle(&home, "home");
    let old_refresh = home.vault.refresh_token("home").unwrap().unwrap();
    let (refreshes, requests) = (emulator.refreshes(), emulator.token_requests().len());
    let before = mailgrant_core::token_lifecycle::now_unix();
    let kept = run(h, &["keep-alive"], "", &[]).await;
    let after = mailgrant_core::token_lifecycle::now_unix();
    assert_code(&kept, 0);
    let meta = home.store.account("home").unwrap().unwrap().tokens;
    let used = meta.refresh_last_used_at.unwrap();
    assert!((before..=after).contains(&used), "{before} <= {used} <= {after}");
    assert_eq!(meta.refresh_issued_at, Some(used));
    assert_eq!(meta.last_failure, None);
    assert_eq!(
        text(&kept.stdout),
        format!(
            "home: kept alive (refresh token used; next due {})\n",
            utc_minute(used + keep_alive)
        )
    );
    assert_eq!(text(&kept.stderr), "");
    assert_eq!(emulator.refreshes(), refreshes + 1);
    let grants: Vec<(String, Option<String>, Option<u32>)> = emulator.token_requests()[requests..]
        .iter()
        .map(|r| (r.grant_type.clone(), r.client_id.clone(), r.error))
        .collect();
    assert_eq!(
        grants,
        [(
            "refresh_token".to_owned(),
            Some(PUBLIC_CLIENT_ID.to_owned()),
            None
        )]
    );
    let new_refresh = home.vault.refresh_token("home").unwrap().unwrap();
    assert_ne!(
        new_refresh.expose(),
        old_refresh.expose(),
        "the rotated refresh token was kept"
    );
    assert_eq!(untouched(&home, "work"), work);

    // --json: the same round, machine-readable; --quiet: silent when it worked.
    make_idle(&home, "home");
    let listed = run(h, &["keep-alive", "--json"], "", &[]).await;
    assert_code(&listed, 0);
    let used = home
        .store
        .account("home")
        .unwrap()
        .unwrap()
        .tokens
        .refresh_last_used_at
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{ "name": "home", "outcome": "kept-alive", "nextDueAt": used + keep_alive }])
    );
    assert_eq!(text(&listed.stderr), "");
    make_idle(&home, "home");
    let refreshes = emulator.refreshes();
    let quiet = run(h, &["keep-alive", "--quiet"], "", &[]).await;
    assert_code(&quiet, 0);
    assert_eq!(
        (text(&quiet.stdout), text(&quiet.stderr)),
        (String::new(), String::new())
    );
    assert_eq!(emulator.refreshes(), refreshes + 1);
    assert_eq!(untouched(&home, "work"), work);

    // No Secret Service on the bus: exit 4, and nothing changed.
    let idle = make_idle(&home, "home");
    let requests = emulator.token_requests().len();
    let locked = run(
        h,
        &["keep-alive", "--quiet"],
        "",
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    )
    .await;
    assert_code(&locked, 4);
    let stderr = text(&locked.stderr);
    assert!(
        stderr.starts_with("home: failed: cannot use the keychain ("),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("\n\nmailgrant: 1 of 1 due accounts could not be kept alive (see above)\n"),
        "{stderr}"
    );
    assert_eq!(text(&locked.stdout), "");
    assert_eq!(emulator.token_requests().len(), requests);
    let meta = home.store.account("home").unwrap().unwrap().tokens;
    assert_eq!((meta.refresh_last_used_at, meta.last_failure), (Some(idle), None));

    // Megan's consent is revoked at Microsoft (the emulator's admin API): only a sign-in helps, exit 3, with
    // Microsoft's answer explained; "work" is still not touched.
    let revoked = mailgrant_tests::fixtures::http_client()
        .post(format!("{}/_emulator/admin/revoke", emulator.base_url()))
        .json(&serde_json::json!({ "user": MEGAN, "reason": "consent" }))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let requests = emulator.token_requests().len();
    let refused = run(h, &["keep-alive"], "", &[]).await;
    assert_code(&refused, 3);
    assert_eq!(text(&refused.stdout), "");
    // The account's line, Microsoft's answer explained as `mailgrant explain AADSTS65001` does, followed by
    // the raw detail (trace and correlation IDs vary), and the summary.
    let stderr = text(&refused.stderr);
    let explained = mailgrant_core::diagnosis::explain("AADSTS65001").unwrap();
    let explained = format!("{explained:#}");
    let catalogue = explained.strip_suffix("  AADSTS code: 65001\n").unwrap();
    let expected = format!(
        "home: failed: \"home\" must sign in again: run `mailgrant sign-in home`\n\n{catalogue}  \
         AADSTS code: 65001\n  HTTP status: 400\n  Error: invalid_grant\n  Description: AADSTS65001: The user or \
         administrator has not consented to use the application with ID '{PUBLIC_CLIENT_ID}' named 'Mailgrant \
         Desktop'. Send an interactive authorization request for this user and resource.\r\nTrace ID: "
    );
    assert!(
        stderr.starts_with(&expected),
        "expected:\n{expected}\ngot:\n{stderr}"
    );
    assert!(
        stderr.ends_with("\n\nmailgrant: 1 of 1 due accounts could not be kept alive (see above)\n"),
        "{stderr}"
    );
    let grants: Vec<(String, Option<u32>)> = emulator.token_requests()[requests..]
        .iter()
        .map(|r| (r.grant_type.clone(), r.error))
        .collect();
    assert_eq!(grants, [("refresh_token".to_owned(), Some(65001))]);
    let meta = home.store.account("home").unwrap().unwrap().tokens;
    assert_eq!(meta.refresh_last_used_at, Some(idle), "not used: still due");
    let failure = meta.last_failure.unwrap();
    assert_eq!(
        (failure.code.as_str(), failure.sign_in_again),
        ("AADSTS65001", true)
    );
    assert_eq!(untouched(&home, "work"), work);

    let listed = run(h, &["keep-alive", "--json"], "", &[]).await;
    assert_code(&listed, 3);
    let rows: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([{
            "name": "home",
            "outcome": "failed",
            "code": "AADSTS65001",
            "signInRequired": true,
            "message": "\"home\" must sign in again: run `mailgrant sign-in home`",
        }])
    );
    assert_eq!(untouched(&home, "work"), work);

    for name in ["work", "home"] {
        assert_code(&run(h, &["remove", name], "", &[]).await, 0);
    }
}

/// Microsoft is reached over HTTPS: against the emulator serving HTTPS with a throwaway CA, the sign-in, the
/// token endpoint and the refresh go through rustls with the CA given as `MAILGRANT_CA_FILE` or `--ca-file`;
/// without it, the refresh stops at the certificate, explained, and the keychain keeps the refresh token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_is_reached_over_https_trusting_only_the_given_ca() {
    let emulator = Emulator::start_tls(Seed::demo()).await.unwrap();
    assert!(emulator.base_url().starts_with("https://127.0.0.1:"));
    let home = TestHome::new("cli-https");
    let ca = home.path().join("emulator-ca.pem");
    std::fs::write(&ca, Emulator::ca_pem().unwrap()).unwrap();
    let ca = ca.to_str().unwrap();
    let added = run(
        home.path(),
        &add_args(
            &emulator,
            "work",
            PUBLIC_CLIENT_ID,
            &["--services", "imap,graph-read"],
        ),
        "",
        &[],
    )
    .await;
    assert_code(&added, 0);
    let sign_in = run(
        home.path(),
        &["sign-in", "work"],
        "",
        &[("BROWSER", FAKE_BROWSER), ("MAILGRANT_CA_FILE", ca)],
    )
    .await;
    assert_code(&sign_in, 0);
    let outlook = run(home.path(), &["token", "work"], "", &[]).await;
    assert_code(&outlook, 0);
    assert!(emulator.access_token_is_live(text(&outlook.stdout).trim()));

    // Graph's token needs the token endpoint: refused without the CA, whatever the system trusts.
    let refused = run(
        home.path(),
        &["token", "work", "--resource", "graph"],
        "",
        &[NO_CA_FILE],
    )
    .await;
    assert_code(&refused, 1);
    assert!(
        text(&refused.stderr).contains("TLS_CERTIFICATE"),
        "{}",
        text(&refused.stderr)
    );
    assert!(home.vault.refresh_token("work").unwrap().is_some());
    let graph = run(
        home.path(),
        &["--ca-file", ca, "token", "work", "--resource", "graph"],
        "",
        &[NO_CA_FILE],
    )
    .await;
    assert_code(&graph, 0);
    assert!(emulator.access_token_is_live(text(&graph.stdout).trim()));
}
