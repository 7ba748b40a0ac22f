//! Property tests for every parser of outside input: whatever Microsoft, a mail server, a web page or a damaged
//! file sends, the parser returns (never panics), and what it rejects comes back as an error or a diagnosis with
//! a code, never as a value. They run in the test command with `MAILGRANT_FUZZ_CASES` cases each (default 2,000);
//! `bench/fuzz-long.sh` runs them with 100,000.

use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::diagnosis::mail::{MailContext, MailProtocol};
use crate::diagnosis::{self, Diagnosis};
use crate::signin::authcode::parse_callback;
use crate::signin::device::{authorization_from, MAX_DEVICE_CODE_SECS, MAX_INTERVAL_SECS};
use crate::signin::token_endpoint::{parse_token_answer, MAX_EXPIRES_IN_SECS};
use crate::signin::SignInError;

fn config() -> Config {
    let cases = std::env::var("MAILGRANT_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    Config {
        cases,
        // Shrinking a failure is the slow part; the case that failed is printed either way.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

/// JSON values a server might send for one field: the right type, the wrong one, huge or negative numbers.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)),
        ".{0,40}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({})),
    ]
}

/// A JSON object made of the fields the identity platform and Graph use, with values of any shape.
fn json_object(fields: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec((proptest::sample::select(fields), json_value()), 0..8).prop_map(|pairs| {
        let map: serde_json::Map<String, serde_json::Value> =
            pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        serde_json::Value::Object(map).to_string()
    })
}

/// A body as a server may send it: JSON of the expected fields, any text, HTML, or raw bytes made text.
fn body(fields: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        json_object(fields),
        any::<String>(),
        "<html><body>.{0,80}</body></html>",
        proptest::collection::vec(any::<u8>(), 0..200).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

const TOKEN_FIELDS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "token_type",
    "expires_in",
    "ext_expires_in",
    "scope",
    "error",
    "error_description",
    "error_codes",
    "trace_id",
    "correlation_id",
    "timestamp",
];
const DEVICE_FIELDS: &[&str] = &[
    "device_code",
    "user_code",
    "verification_uri",
    "expires_in",
    "interval",
    "message",
    "error",
    "error_description",
    "error_codes",
];
const GRAPH_FIELDS: &[&str] = &[
    "error",
    "code",
    "message",
    "innerError",
    "request-id",
    "date",
    "value",
];

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        Just(200u16),
        Just(400),
        Just(401),
        Just(429),
        Just(500),
        100u16..600
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        Just("application/json; charset=utf-8".to_owned()),
        Just("text/html".to_owned()),
        ".{0,30}",
    ])
}

fn assert_explained(diagnosis: &Diagnosis) -> Result<(), TestCaseError> {
    prop_assert!(!diagnosis.code.is_empty(), "a diagnosis without a code");
    prop_assert!(!diagnosis.title.is_empty(), "{} has no title", diagnosis.code);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// A token answer is a token only on 200 with an access token; the lifetime is clamped before any clock
    /// arithmetic; everything else is a diagnosis.
    #[test]
    fn token_answers(status in status(), content_type in content_type(), body in body(TOKEN_FIELDS)) {
        match parse_token_answer(status, content_type.as_deref(), &body) {
            Ok(token) => {
                prop_assert_eq!(status, 200);
                prop_assert!((0..=MAX_EXPIRES_IN_SECS).contains(&token.expires_in));
                let clock = std::time::Instant::now().checked_add(std::time::Duration::from_secs(token.expires_in.unsigned_abs()));
                prop_assert!(clock.is_some());
            }
            Err(error) => match error.diagnosis() {
                Some(diagnosis) => assert_explained(diagnosis)?,
                None => prop_assert!(matches!(error, SignInError::InvalidCallback(_)), "{error:?}"),
            },
        }
    }

    /// The device-code answer: lifetimes clamped, or a diagnosis.
    #[test]
    fn device_code_answers(status in status(), content_type in content_type(), body in body(DEVICE_FIELDS)) {
        match authorization_from(status, content_type.as_deref(), &body) {
            Ok(authorization) => {
                prop_assert_eq!(status, 200);
                prop_assert!(authorization.prompt.expires_in.as_secs() <= MAX_DEVICE_CODE_SECS);
                prop_assert!(authorization.prompt.interval.as_secs() <= MAX_INTERVAL_SECS);
                prop_assert!(std::time::Instant::now().checked_add(authorization.prompt.expires_in).is_some());
            }
            Err(error) => {
                if let Some(diagnosis) = error.diagnosis() {
                    assert_explained(diagnosis)?;
                }
            }
        }
    }

    /// A pasted address or a `mailgrant://` link: a code only with this sign-in's state and a code in it.
    #[test]
    fn redirect_addresses(
        prefix in prop_oneof![
            Just("http://localhost:53682/?".to_owned()),
            Just("mailgrant://auth?".to_owned()),
            Just("https://x/?".to_owned()),
            ".{0,20}",
        ],
        pairs in proptest::collection::vec(
            (
                prop_oneof![
                    Just("code".to_owned()),
                    Just("state".to_owned()),
                    Just("error".to_owned()),
                    Just("error_description".to_owned()),
                    "[a-z_]{1,8}",
                ],
                ".{0,30}",
            ),
            0..5,
        ),
        fragment in proptest::option::of(".{0,20}"),
    ) {
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()))
            .collect();
        let mut address = format!("{prefix}{}", query.join("&"));
        if let Some(fragment) = fragment {
            address.push('#');
            address.push_str(&fragment);
        }
        let expected = "st4te-of-this-sign-in";
        if let Ok(code) = parse_callback(&address, expected) {
            prop_assert!(!code.expose().is_empty());
            prop_assert!(address.contains(expected), "a code without this sign-in's state: {address}");
        }
        if let Ok(code) = parse_callback(&format!("{address}&state={expected}&code=c0de"), expected) {
            prop_assert!(!code.expose().is_empty());
        }
    }

    /// The identity platform's and Graph's error bodies, whatever their shape, become explained diagnoses.
    #[test]
    fn error_bodies(status in status(), content_type in content_type(), body in body(TOKEN_FIELDS), graph in body(GRAPH_FIELDS), retry_after in proptest::option::of(".{0,12}")) {
        assert_explained(&Diagnosis::from_identity_response(status, content_type.as_deref(), &body))?;
        assert_explained(&Diagnosis::from_graph_response(status, retry_after.as_deref(), &graph))?;
    }

    /// AADSTS codes and descriptions typed in or sent back: any text is either explained or not, never a panic.
    #[test]
    fn aadsts_texts(text in prop_oneof![any::<String>(), "AADSTS[0-9]{0,12}(: .{0,40})?", "[0-9]{1,12}"], error in proptest::option::of(".{0,20}")) {
        if let Some(diagnosis) = diagnosis::explain(&text) {
            assert_explained(&diagnosis)?;
        }
        let _ = diagnosis::aadsts::code_in(&text);
        let _ = diagnosis::aadsts::headline(&text);
        assert_explained(&Diagnosis::from_redirect_error(error.as_deref().unwrap_or("invalid_request"), Some(&text)))?;
    }

    /// SMTP, IMAP and POP replies and SASL challenges: any line is explained.
    #[test]
    fn mail_replies(
        reply in prop_oneof![
            any::<String>(),
            "[2-5][0-9]{2}[ -][245]\\.[0-9]{1,3}\\.[0-9]{1,3} .{0,60}",
            "(\\* |a[0-9] )?(OK|NO|BAD|BYE) (\\[[A-Z-]{1,20}\\] )?.{0,60}",
            "(\\+OK|-ERR)( \\[[A-Z/-]{1,20}\\])? .{0,60}",
            "\\+ [A-Za-z0-9+/=]{0,80}",
        ],
        protocol in prop_oneof![Just(MailProtocol::Imap), Just(MailProtocol::Pop), Just(MailProtocol::Smtp)],
        app_only in any::<bool>(),
    ) {
        let context = MailContext { mailbox: Some("adele@contoso.com"), app_only, client_id: None };
        assert_explained(&Diagnosis::from_mail_reply(protocol, &reply, &context))?;
        let _ = diagnosis::mail::decode_challenge(&reply);
        let _ = diagnosis::mail::enhanced_status(&reply);
    }

    /// Capability lines (POP3's CAPA, SMTP's EHLO after its reply code): the mechanisms read are words of the
    /// lines that start with the keyword, and nothing panics.
    #[test]
    fn capability_lines(
        lines in proptest::collection::vec(
            prop_oneof![any::<String>(), "(SASL|AUTH|auth|Sasl)( [A-Za-z0-9_-]{0,12}){0,4} ?"],
            0..8,
        ),
        keyword in prop_oneof![Just("SASL"), Just("AUTH")],
    ) {
        let found = crate::probe::sasl::listed_after(lines.iter().map(String::as_str), keyword);
        for mechanism in &found {
            prop_assert!(
                lines.iter().any(|line| {
                    let mut words = line.split_whitespace();
                    words.next().is_some_and(|w| w.eq_ignore_ascii_case(keyword)) && words.any(|w| w == mechanism)
                }),
                "{mechanism:?} is not a word after {keyword} in {lines:?}"
            );
        }
    }

    /// config.json as a crash, a disk or another version may leave it: read, or refused as unreadable.
    #[test]
    fn config_files(bytes in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        json_object(&["schema_version", "accounts", "registrations", "settings"]).prop_map(String::into_bytes),
        (0u32..5).prop_map(|v| format!("{{\"schema_version\":{v},\"accounts\":[{{}}],\"registrations\":{{}}}}").into_bytes()),
    ]) {
        let _ = crate::store::parse(&bytes);
    }
}
