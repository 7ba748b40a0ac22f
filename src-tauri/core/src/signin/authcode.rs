//! Authorization code + PKCE (S256) + state + nonce (RFC 8252: in the system browser, never an embedded page).

use oauth2::{CsrfToken, PkceCodeChallenge, PkceCodeVerifier};

use super::token_endpoint::{ClientAuth, TokenEndpoint, TokenResponse};
use super::SignInError;
use crate::diagnosis::Diagnosis;
use crate::model::ClientId;
use crate::sensitive::SecretString;

/// A sign-in in progress: the address to open in the browser and what is needed to finish it.
pub struct AuthRequest {
    /// The authorize URL to open in the system browser.
    pub url: String,
    pub redirect_uri: String,
    state: String,
    nonce: String,
    verifier: PkceCodeVerifier,
}

impl std::fmt::Debug for AuthRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthRequest")
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

/// What to put in the authorize request.
#[derive(Debug, Clone)]
pub struct AuthParams<'a> {
    pub authorize_url: &'a str,
    pub client_id: &'a ClientId,
    pub redirect_uri: &'a str,
    pub scopes: &'a [String],
    pub login_hint: Option<&'a str>,
    /// `select_account`, `login`, `consent` or `none`.
    pub prompt: Option<&'a str>,
}

impl AuthRequest {
    /// A fresh request with a new PKCE verifier, state and nonce. An authorize address that is not a URL is an
    /// error: never a sign-in somewhere else than the cloud the account belongs to.
    pub fn new(params: &AuthParams<'_>) -> Result<Self, SignInError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let state = CsrfToken::new_random().secret().clone();
        let nonce = CsrfToken::new_random().secret().clone();
        let mut url = url::Url::parse(params.authorize_url)
            .map_err(|_| SignInError::BadAuthority(params.authorize_url.to_owned()))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", params.client_id.as_str())
                .append_pair("response_type", "code")
                .append_pair("redirect_uri", params.redirect_uri)
                .append_pair("response_mode", "query")
                .append_pair("scope", &params.scopes.join(" "))
                .append_pair("state", &state)
                .append_pair("nonce", &nonce)
                .append_pair("code_challenge", challenge.as_str())
                .append_pair("code_challenge_method", "S256");
            // Microsoft refuses login_hint together with prompt=select_account.
            match (params.login_hint, params.prompt) {
                (Some(hint), Some("select_account")) | (Some(hint), None) => {
                    q.append_pair("login_hint", hint);
                }
                (Some(hint), Some(prompt)) => {
                    q.append_pair("login_hint", hint).append_pair("prompt", prompt);
                }
                (None, Some(prompt)) => {
                    q.append_pair("prompt", prompt);
                }
                (None, None) => {}
            }
        }
        Ok(Self {
            url: url.into(),
            redirect_uri: params.redirect_uri.to_owned(),
            state,
            nonce,
            verifier,
        })
    }

    pub fn state(&self) -> &str {
        &self.state
    }

    /// The nonce the id_token must carry back.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// Reads the browser's answer (a full URL, or just its query) and returns the authorization code.
    pub fn code_from_callback(&self, callback: &str) -> Result<SecretString, SignInError> {
        parse_callback(callback, &self.state)
    }

    /// Reads a `mailgrant://` link the OS handed over. Any web page can make the browser open such a link, so one
    /// that is not this request's answer (no code or error, or another state) is `None`: the sign-in ignores it and
    /// keeps waiting, instead of failing on it. With the right state it is the answer, a code or Microsoft's no.
    pub fn answer_from_link(&self, link: &str) -> Option<Result<SecretString, SignInError>> {
        match parse_callback(link, &self.state) {
            Err(SignInError::StateMismatch | SignInError::InvalidCallback(_)) => None,
            answer => Some(answer),
        }
    }

    /// Redeems the code at the token endpoint for `scopes` (ONE resource: Microsoft refuses more).
    pub async fn redeem(
        self,
        endpoint: &TokenEndpoint,
        client_id: &ClientId,
        code: &SecretString,
        scopes: &[String],
        auth: &ClientAuth,
    ) -> Result<TokenResponse, SignInError> {
        let scope = scopes.join(" ");
        let params = [
            ("code", code.expose().as_str()),
            ("redirect_uri", &self.redirect_uri),
            ("code_verifier", self.verifier.secret()),
            ("scope", &scope),
        ];
        endpoint
            .request("authorization_code", client_id, &params, auth)
            .await
    }
}

/// Parses a redirect back from the authorize endpoint: `?code=…&state=…` or `?error=…&error_description=…`.
/// Accepts a full URL (loopback, deep link, pasted address) or a bare query string. The state must match.
pub fn parse_callback(callback: &str, expected_state: &str) -> Result<SecretString, SignInError> {
    let text = callback.trim();
    if text.is_empty() {
        return Err(SignInError::InvalidCallback("the address is empty".into()));
    }
    let query = match url::Url::parse(text) {
        Ok(url) => url
            .query()
            .map(str::to_owned)
            .or_else(|| url.fragment().map(str::to_owned))
            .unwrap_or_default(),
        Err(_) => text.trim_start_matches('?').to_owned(),
    };
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            "error_description" => description = Some(v.into_owned()),
            _ => {}
        }
    }
    if code.is_none() && error.is_none() {
        return Err(SignInError::InvalidCallback(
            "it holds neither a code nor an error: copy the whole address from the browser's address bar"
                .into(),
        ));
    }
    // Compare the state first, so a forged error can't be shown either.
    if !state.is_some_and(|s| crate::sensitive::same_secret(&s, expected_state)) {
        return Err(SignInError::StateMismatch);
    }
    if let Some(error) = error {
        return Err(Diagnosis::from_redirect_error(&error, description.as_deref()).into());
    }
    Ok(SecretString::new(code.unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> AuthRequest {
        let client: ClientId = "6731de76-14a6-49ae-97bc-6eba6914391e".parse().unwrap();
        AuthRequest::new(&AuthParams {
            authorize_url: "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize",
            client_id: &client,
            redirect_uri: "http://localhost:53682",
            scopes: &[
                "offline_access".into(),
                "https://outlook.office.com/IMAP.AccessAsUser.All".into(),
            ],
            login_hint: Some("adele@contoso.com"),
            prompt: Some("select_account"),
        })
        .unwrap()
    }

    #[test]
    fn an_authority_that_is_not_a_url_is_an_error_not_the_global_cloud() {
        let client: ClientId = "6731de76-14a6-49ae-97bc-6eba6914391e".parse().unwrap();
        let made = AuthRequest::new(&AuthParams {
            authorize_url: "login.contoso-sovereign.example/tenant/oauth2/v2.0/authorize",
            client_id: &client,
            redirect_uri: "http://localhost:53682",
            scopes: &[],
            login_hint: None,
            prompt: None,
        });
        assert!(matches!(made, Err(SignInError::BadAuthority(_))), "{made:?}");
    }

    #[test]
    fn authorize_url_carries_pkce_s256_state_nonce_and_no_select_account_with_hint() {
        let r = request();
        let url = url::Url::parse(&r.url).unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"].len(), 43);
        assert_eq!(q["state"], r.state());
        assert_eq!(q["nonce"], r.nonce());
        assert_eq!(q["redirect_uri"], "http://localhost:53682");
        assert_eq!(
            q["scope"],
            "offline_access https://outlook.office.com/IMAP.AccessAsUser.All"
        );
        assert_eq!(q["login_hint"], "adele@contoso.com");
        assert!(!q.contains_key("prompt"));
        assert_ne!(request().state(), r.state(), "each sign-in gets a fresh state");
    }

    #[test]
    fn callback_code_is_returned_only_with_the_right_state() {
        let r = request();
        let ok = format!(
            "http://localhost:53682/?code=M.abc&state={}&session_state=x",
            r.state()
        );
        assert_eq!(r.code_from_callback(&ok).unwrap().expose(), "M.abc");
        let deep = format!("mailgrant://auth?code=M.def&state={}", r.state());
        assert_eq!(r.code_from_callback(&deep).unwrap().expose(), "M.def");
        assert!(matches!(
            r.code_from_callback("http://localhost/?code=M.abc&state=forged"),
            Err(SignInError::StateMismatch)
        ));
        assert!(matches!(
            r.code_from_callback("http://localhost/?code=M.abc"),
            Err(SignInError::StateMismatch)
        ));
        assert!(matches!(
            r.code_from_callback("https://example.com/"),
            Err(SignInError::InvalidCallback(_))
        ));
        assert!(matches!(
            r.code_from_callback("   "),
            Err(SignInError::InvalidCallback(_))
        ));
    }

    #[test]
    fn a_link_that_is_not_this_sign_ins_answer_is_ignored_not_an_error() {
        let r = request();
        let state = r.state().to_owned();
        for stray in [
            "mailgrant://auth?code=M.abc&state=forged".to_owned(),
            "mailgrant://auth?code=M.abc".to_owned(),
            "mailgrant://auth?error=access_denied&state=x".to_owned(),
            "mailgrant://auth".to_owned(),
            "mailgrant://auth?state=".to_owned() + &state,
        ] {
            assert!(r.answer_from_link(&stray).is_none(), "{stray} ends the sign-in");
        }
        let code = r.answer_from_link(&format!("mailgrant://auth?code=M.def&state={state}"));
        assert_eq!(code.unwrap().unwrap().expose(), "M.def");
        let refused = r.answer_from_link(&format!(
            "mailgrant://auth?error=access_denied&error_description=AADSTS65004&state={state}"
        ));
        assert!(
            matches!(refused, Some(Err(SignInError::Failed(_)))),
            "{refused:?}"
        );
    }

    #[test]
    fn callback_error_becomes_a_diagnosis() {
        let r = request();
        let url = format!(
            "https://login.microsoftonline.com/common/oauth2/nativeclient?error=access_denied&error_description=AADSTS65004%3a+User+declined+to+consent&state={}",
            r.state()
        );
        let err = r.code_from_callback(&url).unwrap_err();
        assert_eq!(err.diagnosis().and_then(|d| d.raw.aadsts), Some(65004));
    }
}
