//! `mailgrant remove`: an account's keychain entries and config.

use super::*;

pub(super) async fn remove(api: &Api, name: &str) -> Outcome {
    let mailgrant_core::api::accounts::Removed { removed, revocation } =
        mailgrant_core::api::accounts::remove(api, name).await?;
    say!(
        "Removed {:?}: its tokens are gone from the keychain and it is gone from {}.",
        removed.account.name,
        api.home.dir().display()
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
