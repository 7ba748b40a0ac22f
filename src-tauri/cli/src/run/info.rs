//! `mailgrant where` and `mailgrant explain CODE`.

use super::*;

pub(super) fn where_is() -> Outcome {
    let home = DataHome::from_env().map_err(|e| usage(e.to_string()))?;
    say!("data directory    {}", home.dir().display());
    say!("keychain service  {}", home.keychain_service());
    Ok(EXIT_OK)
}

pub(super) fn explain(code: &str) -> Outcome {
    match mailgrant_core::diagnosis::explain(code) {
        Some(d) => {
            say_raw!("{d:#}");
            Ok(EXIT_OK)
        }
        None => Err(usage(format!(
            "no explanation for {code:?}: give an AADSTS code (AADSTS7000215), an SMTP status (5.7.139) or a \
             Graph error code (ErrorAccessDenied)"
        ))),
    }
}
