//! Links the OS hands to the app: `mailgrant://auth?…` from the browser after sign-in.

use tauri::{Manager, Runtime};

/// Hands a `mailgrant://auth` link to the waiting sign-in, which takes it only when it is its answer (the right
/// state). Anything else is ignored: a link is untrusted input from outside. The link (it carries an
/// authorization code) never reaches the webview.
pub fn forward<R: Runtime>(app: &tauri::AppHandle<R>, url: &str) {
    if !is_mailgrant_link(url) {
        return;
    }
    if let Some(state) = app.try_state::<crate::AppState>() {
        if url
            .get(..16)
            .is_some_and(|s| s.eq_ignore_ascii_case("mailgrant://auth"))
        {
            state.sessions.deliver(url.to_owned(), true);
        }
    }
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
