//! `Sensitive<T>`: a value that must never be printed, logged, serialized or sent to the webview.
//!
//! `Debug` and `Display` print `[redacted]`; there is no `Serialize`, so a secret headed for JSON or IPC is a
//! compile error; the value is reachable only through [`Sensitive::expose`], which makes every use greppable. Its
//! memory is overwritten when it is dropped (`zeroize`), and two secrets compare in constant time (`subtle`).

use std::fmt;

use subtle::ConstantTimeEq as _;
use zeroize::Zeroize;

#[derive(Clone, Default)]
pub struct Sensitive<T: Zeroize + Default>(T);

impl<T: Zeroize + Default> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Call it only where the value leaves for its destination (an HTTP form, the keychain).
    pub fn expose(&self) -> &T {
        &self.0
    }

    /// The value, for a consumer that takes ownership (nothing is left behind to overwrite).
    pub fn into_inner(mut self) -> T {
        std::mem::take(&mut self.0)
    }
}

impl<T: Zeroize + Default> Drop for Sensitive<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize + Default + AsRef<[u8]>> PartialEq for Sensitive<T> {
    /// In constant time: how long a comparison takes says nothing about where two secrets differ.
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ref().ct_eq(other.0.as_ref()).into()
    }
}

impl<T: Zeroize + Default + AsRef<[u8]>> Eq for Sensitive<T> {}

impl<T: Zeroize + Default> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

/// Two secret strings (a state, a token) compared in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

impl<T: Zeroize + Default> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T: Zeroize + Default> fmt::Display for Sensitive<T> {
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

    #[test]
    fn secrets_compare_by_value_and_give_up_their_value_once() {
        let a = SecretString::new("token-1".into());
        assert_eq!(a, SecretString::new("token-1".into()));
        assert_ne!(a, SecretString::new("token-2".into()));
        assert_ne!(a, SecretString::new("token-10".into()));
        assert!(same_secret("state", "state") && !same_secret("state", "stat3"));
        assert_eq!(a.into_inner(), "token-1");
    }
}
