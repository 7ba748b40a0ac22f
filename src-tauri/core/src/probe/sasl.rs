//! The two SASL mechanisms that carry an OAuth2 bearer token: XOAUTH2 (Google's, the one Exchange Online speaks)
//! and OAUTHBEARER (RFC 7628), with the answer each expects to a server's error challenge.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::sensitive::Sensitive;

/// A SASL mechanism that carries a bearer token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Mechanism {
    #[serde(rename = "xoauth2")]
    XOAuth2,
    #[serde(rename = "oauthbearer")]
    OAuthBearer,
}

impl Mechanism {
    pub const ALL: [Mechanism; 2] = [Mechanism::XOAuth2, Mechanism::OAuthBearer];

    /// The name in `AUTHENTICATE <name>` / `AUTH <name>` and in capability lists.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The client's first message, before base64: `user=U\x01auth=Bearer T\x01\x01` for XOAUTH2, with the GS2
    /// header `n,a=U,` for OAUTHBEARER. For a shared mailbox, `user` is the shared address.
    pub fn initial_response(self, user: &str, token: &str) -> Sensitive<Vec<u8>> {
        let text = match self {
            Mechanism::XOAuth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
            Mechanism::OAuthBearer => format!("n,a={},\x01auth=Bearer {token}\x01\x01", gs2_escape(user)),
        };
        Sensitive::new(text.into_bytes())
    }

    /// [`initial_response`](Self::initial_response) as it goes on the wire.
    pub fn initial_response_base64(self, user: &str, token: &str) -> Sensitive<String> {
        Sensitive::new(STANDARD.encode(self.initial_response(user, token).expose()))
    }

    /// The client's answer to the server's error challenge (the JSON a server sends before refusing a token):
    /// an empty response for XOAUTH2, a single `\x01` for OAUTHBEARER (RFC 7628 §3.2.3). Only then does the server
    /// send its final refusal.
    pub fn error_answer(self) -> &'static [u8] {
        match self {
            Mechanism::XOAuth2 => b"",
            Mechanism::OAuthBearer => b"\x01",
        }
    }

    /// [`error_answer`](Self::error_answer), base64-encoded (an empty line for XOAUTH2).
    pub fn error_answer_base64(self) -> String {
        STANDARD.encode(self.error_answer())
    }
}

impl std::fmt::Display for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Which mechanism to use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MechanismChoice {
    /// XOAUTH2 when the server offers it (Exchange Online offers only this one), else OAUTHBEARER when offered,
    /// else XOAUTH2 anyway.
    #[default]
    Auto,
    /// This one, whether or not the server lists it.
    Only(Mechanism),
}

impl MechanismChoice {
    /// The mechanism to use given what the server advertises (names, any case).
    pub fn pick(self, offered: &[String]) -> Mechanism {
        let offers = |m: Mechanism| offered.iter().any(|o| o.eq_ignore_ascii_case(m.name()));
        match self {
            MechanismChoice::Only(m) => m,
            MechanismChoice::Auto if offers(Mechanism::XOAuth2) => Mechanism::XOAuth2,
            MechanismChoice::Auto if offers(Mechanism::OAuthBearer) => Mechanism::OAuthBearer,
            MechanismChoice::Auto => Mechanism::XOAuth2,
        }
    }
}

/// RFC 5801's escaping of the authorization identity in the GS2 header (`,` → `=2C`, `=` → `=3D`).
fn gs2_escape(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// Decodes a base64 challenge into text (lossy); the text itself when it is not base64.
pub(crate) fn decode_challenge(challenge: &str) -> String {
    let trimmed = challenge.trim();
    STANDARD
        .decode(trimmed)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_else(|_| trimmed.to_owned())
}

/// The mechanisms a capability line lists after its keyword: POP3 CAPA's `SASL PLAIN XOAUTH2`, SMTP EHLO's
/// `AUTH LOGIN XOAUTH2` (without its reply code).
pub(crate) fn listed_after<'a>(lines: impl IntoIterator<Item = &'a str>, keyword: &str) -> Vec<String> {
    lines
        .into_iter()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            words
                .next()
                .filter(|word| word.eq_ignore_ascii_case(keyword))
                .map(|_| words.map(str::to_owned).collect::<Vec<_>>())
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_responses_have_the_documented_shapes() {
        assert_eq!(
            Mechanism::XOAuth2.initial_response("a@b.example", "T").expose(),
            b"user=a@b.example\x01auth=Bearer T\x01\x01"
        );
        assert_eq!(
            Mechanism::OAuthBearer
                .initial_response("a@b.example", "T")
                .expose(),
            b"n,a=a@b.example,\x01auth=Bearer T\x01\x01"
        );
        assert_eq!(
            Mechanism::OAuthBearer
                .initial_response("o=dd,x@b.example", "T")
                .expose(),
            b"n,a=o=3Ddd=2Cx@b.example,\x01auth=Bearer T\x01\x01"
        );
        // Microsoft's documented example.
        assert_eq!(
            Mechanism::XOAuth2.initial_response_base64("test@contoso.onmicrosoft.com", "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA").expose(),
            "dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVyIEV3QkFBbDNCQUFVRkZwVUFvN0ozVmUwYmpMQldaV0NjbFJDM0VvQUEBAQ=="
        );
    }

    #[test]
    fn error_answers_are_empty_and_ctrl_a() {
        assert_eq!(Mechanism::XOAuth2.error_answer_base64(), "");
        assert_eq!(Mechanism::OAuthBearer.error_answer_base64(), "AQ==");
    }

    #[test]
    fn auto_prefers_what_exchange_speaks() {
        let both = vec!["OAUTHBEARER".to_owned(), "xoauth2".to_owned()];
        assert_eq!(MechanismChoice::Auto.pick(&both), Mechanism::XOAuth2);
        assert_eq!(
            MechanismChoice::Auto.pick(&["OAUTHBEARER".to_owned()]),
            Mechanism::OAuthBearer
        );
        assert_eq!(MechanismChoice::Auto.pick(&[]), Mechanism::XOAuth2);
        assert_eq!(
            MechanismChoice::Only(Mechanism::OAuthBearer).pick(&["XOAUTH2".to_owned()]),
            Mechanism::OAuthBearer
        );
    }

    #[test]
    fn challenges_decode_or_stay_as_they_are() {
        assert_eq!(
            decode_challenge("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIn0="),
            r#"{"status":"invalid_token"}"#
        );
        assert_eq!(decode_challenge(" not base64! "), "not base64!");
    }
}
