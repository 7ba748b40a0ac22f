//! Links the OS hands to the app: `mailgrant://…` from the browser after sign-in.

use tauri::{Emitter, Manager, Runtime};

use crate::dto::DeepLinkEvent;

/// The event the UI listens to for deep links.
pub const DEEP_LINK_EVENT: &str = "deep-link";

/// Forwards a `mailgrant://` link to the UI. Anything else is ignored: a link is untrusted input from outside.
pub fn forward<R: Runtime>(app: &tauri::AppHandle<R>, url: &str) {
    if !is_mailgrant_link(url) {
        return;
    }
    // A sign-in waiting for its deep link takes it; the UI hears of every link.
    if let Some(state) = app.try_state::<crate::AppState>() {
        if url
            .get(..16)
            .is_some_and(|s| s.eq_ignore_ascii_case("mailgrant://auth"))
        {
            state.deliver_callback(url.to_owned());
        }
    }
    let _ = app.emit(DEEP_LINK_EVENT, DeepLinkEvent { url: url.to_owned() });
}

pub fn is_mailgrant_link(url: &str) -> bool {
    url.get(..12)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("mailgrant://"))
}

#[cfg(test)]
mod tests {
    use super::is_mailgrant_link;

    #[test]
    fn only_mailgrant_links_are_forwarded() {
        assert!(is_mailgrant_link("mailgrant://auth?code=abc&state=xyz"));
        assert!(is_mailgrant_link("MailGrant://auth"));
        assert!(!is_mailgrant_link("https://evil.example/mailgrant://auth"));
        assert!(!is_mailgrant_link("mailgrant:"));
        assert!(!is_mailgrant_link(""));
    }
}
