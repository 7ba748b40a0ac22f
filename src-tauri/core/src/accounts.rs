//! Accounts: what happens after a sign-in succeeds (who signed in, storing the tokens and the account), and
//! removing one with its secrets.
//!
//! Order matters: the refresh token goes to the keychain before the account is written to the config, so a
//! config that names an account always has its refresh token (a crash in between leaves an unused keychain
//! entry that the next sign-in overwrites, never an account without a token).

use std::sync::Arc;

use base64::Engine as _;

use crate::model::{Account, AppRegistration, Resource, SignedInIdentity};
use crate::sensitive::SecretString;
use crate::signin::TokenResponse;
use crate::store::{RemovedAccount, Store, StoreError};
use crate::token_lifecycle::now_unix;
use crate::vault::{AccessToken, TokenVault, VaultError};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("the sign-in answer has no refresh token: add the offline_access permission and sign in again")]
    NoRefreshToken,
    #[error("the id_token does not carry the nonce of this sign-in (a replayed or mixed-up answer): sign in again")]
    NonceMismatch,
    #[error("the id_token cannot be read: {0}")]
    BadIdToken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// The claims of an id_token Mailgrant reads. The token comes straight from the token endpoint over TLS, which
/// OpenID Connect accepts in place of checking its signature (Core §3.1.3.7); the nonce is checked.
#[derive(Debug, serde::Deserialize)]
struct IdClaims {
    name: Option<String>,
    preferred_username: Option<String>,
    email: Option<String>,
    tid: Option<String>,
    oid: Option<String>,
    nonce: Option<String>,
}

/// Who signed in, from the id_token; `expected_nonce` is the sign-in request's (None for flows without one,
/// such as the device code flow).
pub fn identity_from_id_token(
    id_token: &SecretString,
    expected_nonce: Option<&str>,
) -> Result<SignedInIdentity, AccountError> {
    let payload = id_token
        .expose()
        .split('.')
        .nth(1)
        .ok_or_else(|| AccountError::BadIdToken("it is not a JWT".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| AccountError::BadIdToken("its payload is not base64url".into()))?;
    let claims: IdClaims = serde_json::from_slice(&bytes).map_err(|e| {
        AccountError::BadIdToken(format!(
            "its payload is not the expected JSON ({:?})",
            e.classify()
        ))
    })?;
    if let Some(expected) = expected_nonce {
        if claims.nonce.as_deref() != Some(expected) {
            return Err(AccountError::NonceMismatch);
        }
    }
    Ok(SignedInIdentity {
        name: claims.name,
        username: claims.preferred_username.or(claims.email),
        tenant_id: claims.tid,
        object_id: claims.oid,
    })
}

/// Saves a completed delegated sign-in: the refresh token (first), the access token for `resource`, then the
/// registration (if new) and the account, with its identity and token metadata.
pub fn save_signed_in(
    store: &Store,
    vault: &Arc<TokenVault>,
    registration: Option<AppRegistration>,
    mut account: Account,
    resource: Resource,
    tokens: &TokenResponse,
    identity: Option<SignedInIdentity>,
) -> Result<Account, AccountError> {
    let refresh_token = tokens
        .refresh_token
        .as_ref()
        .ok_or(AccountError::NoRefreshToken)?;
    vault.set_refresh_token(&account.name, refresh_token)?;
    let now = now_unix();
    let expires_at = now + tokens.expires_in.max(0);
    vault.set_access_token(
        &account.name,
        resource,
        &AccessToken {
            token: tokens.access_token.clone(),
            expires_at,
        },
    )?;
    account.identity = identity.or(account.identity);
    account.tokens.access_expires.insert(resource, expires_at);
    account
        .tokens
        .scopes_granted
        .extend(tokens.scope.split_whitespace().map(str::to_owned));
    account.tokens.refresh_issued_at = Some(now);
    account.tokens.refresh_last_used_at = Some(now);
    account.tokens.last_failure = None;
    let saved = account.clone();
    store.update(|config| {
        if let Some(registration) = registration {
            if config.registration(&registration.id).is_none() {
                config.add_registration(registration)?;
            }
        }
        // Signing in again replaces the account of the same name.
        if config.account(&account.name).is_some() {
            // Its registration stays (the new account may use it).
            if let Some(kept) = config.remove_account(&account.name)?.registration {
                config.add_registration(kept)?;
            }
        }
        config.add_account(account)
    })?;
    Ok(saved)
}

/// Removes an account from the config, then its secrets (and, when no other account uses its registration,
/// the registration's) from the keychain.
pub fn remove(store: &Store, vault: &TokenVault, name: &str) -> Result<RemovedAccount, AccountError> {
    let removed = store.remove_account(name)?;
    vault.forget_account(&removed.account.name)?;
    if let Some(registration) = &removed.registration {
        vault.forget_registration(registration)?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &serde_json::Value) -> SecretString {
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        SecretString::new(format!(
            "{}.{}.sig",
            b64(br#"{"alg":"RS256"}"#),
            b64(payload.to_string().as_bytes())
        ))
    }

    #[test]
    fn identity_comes_from_the_id_token_and_the_nonce_must_match() {
        let token = jwt(&serde_json::json!({
            "name": "Adele Vance", "preferred_username": "adele@contoso.example",
            "tid": "t-1", "oid": "o-1", "nonce": "n-1"
        }));
        let id = identity_from_id_token(&token, Some("n-1")).unwrap();
        assert_eq!(id.name.as_deref(), Some("Adele Vance"));
        assert_eq!(id.username.as_deref(), Some("adele@contoso.example"));
        assert_eq!(id.tenant_id.as_deref(), Some("t-1"));
        assert!(matches!(
            identity_from_id_token(&token, Some("other")),
            Err(AccountError::NonceMismatch)
        ));
        assert!(identity_from_id_token(&token, None).is_ok());
        assert!(matches!(
            identity_from_id_token(&SecretString::new("garbage".into()), None),
            Err(AccountError::BadIdToken(_))
        ));
    }
}
