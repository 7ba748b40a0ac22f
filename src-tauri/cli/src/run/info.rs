//! `mailgrant where`, `mailgrant explain CODE` and `mailgrant settings NAME`.

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

pub(super) fn settings(api: &Api, name: &str, json: bool) -> Outcome {
    let s = mailgrant_core::api::accounts::mail_settings(api, name)?;
    if json {
        say!("{}", serde_json::to_string_pretty(&s).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    say!("{} ({})", s.address, s.account);
    if s.app_only {
        say!("This account signs in as the app itself: a mail program can't use it, only a service given the app's credentials.");
    }
    let mut table = Table::new(&[
        "SERVER",
        "HOST",
        "PORT",
        "ENCRYPTION",
        "USER NAME",
        "AUTHENTICATION",
    ]);
    for server in &s.servers {
        table.row(vec![
            (server.role.clone(), Tone::Plain),
            (server.host.clone(), Tone::Plain),
            (server.port.to_string(), Tone::Plain),
            (server.encryption_label.clone(), Tone::Plain),
            (s.user_name.clone(), Tone::Plain),
            (s.authentication.clone(), Tone::Plain),
        ]);
    }
    if !s.servers.is_empty() {
        say!();
        say_raw!("{}", table.render(out::colour_stdout()));
    }
    if s.graph {
        say!("It also uses Microsoft Graph (no server setting: programs call Graph's API with a token).");
    }
    for recipe in &s.recipes {
        say!();
        say!(
            "{}",
            out::paint(&recipe.program, Tone::Good, out::colour_stdout())
        );
        say!("  {}", recipe.summary);
        for (n, step) in recipe.steps.iter().enumerate() {
            say!("  {}. {step}", n + 1);
        }
        if let Some(snippet) = &recipe.snippet {
            say!();
            for line in snippet.text.lines() {
                say!("    {line}");
            }
        }
    }
    Ok(EXIT_OK)
}

pub(super) async fn handover(
    api: &Api,
    name: &str,
    product: &str,
    redirect_uri: Option<&str>,
    show_secret: bool,
    json: bool,
) -> Outcome {
    if !mailgrant_core::product::presets().iter().any(|p| p.id == product) {
        return Err(usage(format!(
            "--product {product:?}: choose email-this-issue, emailengine, background-service or generic"
        )));
    }
    let values = mailgrant_core::api::accounts::hand_over(api, name, product, redirect_uri)?;
    let secret = if show_secret {
        let secret = mailgrant_core::api::accounts::product_secret(api, name).await?;
        Some(secret.ok_or_else(|| usage(format!("{name:?} has no client secret in Mailgrant")))?)
    } else {
        None
    };
    if json {
        let mut value = serde_json::to_value(&values).unwrap_or_default();
        if let (Some(secret), Some(object)) = (&secret, value.as_object_mut()) {
            object.insert("clientSecret".into(), json!(secret.expose()));
        }
        say!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
        return Ok(EXIT_OK);
    }
    say!("For {}:", values.product);
    let mut rows = vec![
        ("Application (client) ID", values.client_id.clone()),
        ("Directory (tenant) ID", values.tenant_id.clone()),
        ("Authority", values.authority.clone()),
        ("Authorize URL", values.authorize_url.clone()),
        ("Token URL", values.token_url.clone()),
        ("Scopes", values.scopes.join(" ")),
    ];
    if let Some(uri) = &values.redirect_uri {
        rows.push(("Redirect URI", uri.clone()));
    }
    rows.push(("User name", values.user_name.clone()));
    for server in &values.servers {
        rows.push((
            server.role.as_str(),
            format!("{}:{} ({})", server.host, server.port, server.encryption_label),
        ));
    }
    match &secret {
        Some(secret) => rows.push(("Client secret (Value)", secret.expose().clone())),
        None => rows.push((
            "Client secret (Value)",
            match &values.secret_hint {
                Some(hint) => format!("{hint}… (--show-secret prints it)"),
                None => "none in Mailgrant".to_owned(),
            },
        )),
    }
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in rows {
        say!("  {key:<width$}  {value}");
    }
    Ok(EXIT_OK)
}
