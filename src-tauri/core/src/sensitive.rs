//! `Sensitive<T>`: a value that must never be printed, logged, serialized or sent to the webview.
//!
//! `Debug` and `Display` print `[redacted]`; there is no `Serialize`, so a secret headed for JSON or IPC is a
//! compile error; the value is reachable only through [`Sensitive::expose`], which makes every use greppable.

use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Call it only where the value leaves for its destination (an HTTP form, the keychain).
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A secret string: client secret, refresh token, access token, private key.
pub type SecretString = Sensitive<String>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let secret = SecretString::new("Abc8Q~very-secret".to_owned());
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{secret}"), "[redacted]");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            token: SecretString,
        }
        let shown = format!(
            "{:?}",
            Holder {
                token: secret.clone()
            }
        );
        assert!(!shown.contains("very-secret"), "{shown}");
        assert_eq!(secret.expose(), "Abc8Q~very-secret");
    }
}
