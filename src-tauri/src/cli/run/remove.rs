//! `mailgrant remove`: an account's keychain entries and config.

use super::*;

pub(super) fn remove(context: &Context, name: &str) -> Outcome {
    let config = context.tokens.store().load()?;
    let Some(account) = config.account(name).cloned() else {
        return Err(TokenError::UnknownAccount(name.to_owned()).into());
    };
    let revocation = health::consent_revocation(&account, config.registration(&account.registration));
    let removed = mailgrant_core::accounts::remove(context.tokens.store(), context.tokens.vault(), name)
        .map_err(|e| match e {
            mailgrant_core::accounts::AccountError::Vault(v) => Failure::from(v),
            mailgrant_core::accounts::AccountError::Store(s) => Failure::from(s),
            other => attention(other.to_string()),
        })?;
    say!(
        "Removed {:?}: its tokens are gone from the keychain and it is gone from {}.",
        removed.account.name,
        context.home.dir().display()
    );
    if let Some(registration) = &removed.registration {
        say!(
            "No other account used the app registration {:?}, so its secrets are gone from the keychain too.",
            registration.name
        );
    }
    say!();
    say!("The consent given to the app stays with Microsoft until it is revoked:");
    say!("  {}: {}", revocation.user.label, revocation.user.url);
    if let Some(admin) = &revocation.admin {
        say!("  {}: {}", admin.label, admin.url);
    }
    say!("{}", revocation.effect);
    Ok(EXIT_OK)
}
