//! The two SASL mechanisms that carry an OAuth2 bearer token, as mail clients send them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

/// XOAUTH2 (Google's, the one Exchange Online speaks) or OAUTHBEARER (RFC 7628).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    XOAuth2,
    OAuthBearer,
}

impl Mechanism {
    pub const ALL: [Mechanism; 2] = [Mechanism::XOAuth2, Mechanism::OAuthBearer];

    /// The name in `AUTHENTICATE <name>` / `AUTH <name>`.
    pub fn name(self) -> &'static str {
        match self {
            Self::XOAuth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The client's first message (before base64): `user=U\x01auth=Bearer T\x01\x01`, or with the GS2 header
    /// `n,a=U,` for OAUTHBEARER. For a shared mailbox, `user` is the shared address.
    pub fn initial_response(self, user: &str, token: &str) -> Vec<u8> {
        match self {
            Self::XOAuth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
            Self::OAuthBearer => format!("n,a={user},\x01auth=Bearer {token}\x01\x01"),
        }
        .into_bytes()
    }

    /// [`initial_response`](Self::initial_response), base64-encoded as it goes on the wire.
    pub fn initial_response_base64(self, user: &str, token: &str) -> String {
        STANDARD.encode(self.initial_response(user, token))
    }

    /// What the client answers to the server's error challenge (the JSON a server sends before refusing a token):
    /// nothing for XOAUTH2, a single `\x01` for OAUTHBEARER (RFC 7628 §3.2.3). Only then does the server send its
    /// final refusal.
    pub fn error_answer(self) -> &'static [u8] {
        match self {
            Self::XOAuth2 => b"",
            Self::OAuthBearer => b"\x01",
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

/// Decodes a base64 server challenge into text (lossy); `None` when it is not base64.
pub fn decode_challenge(challenge: &str) -> Option<String> {
    STANDARD
        .decode(challenge.trim())
        .ok()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xoauth2_initial_response_is_googles_format() {
        assert_eq!(
            Mechanism::XOAuth2.initial_response("a@b.example", "T"),
            b"user=a@b.example\x01auth=Bearer T\x01\x01"
        );
    }

    #[test]
    fn oauthbearer_initial_response_has_the_gs2_header() {
        assert_eq!(
            Mechanism::OAuthBearer.initial_response("a@b.example", "T"),
            b"n,a=a@b.example,\x01auth=Bearer T\x01\x01"
        );
    }

    #[test]
    fn error_answers_are_empty_and_ctrl_a() {
        assert_eq!(Mechanism::XOAuth2.error_answer_base64(), "");
        assert_eq!(Mechanism::OAuthBearer.error_answer_base64(), "AQ==");
    }
}
