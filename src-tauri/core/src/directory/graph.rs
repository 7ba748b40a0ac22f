//! Microsoft Graph's applications, page after page, with their secrets and certificates.

use super::*;

/// Graph's application, as much of it as is asked for.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GraphApplication {
    id: String,
    app_id: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    password_credentials: Vec<GraphCredential>,
    #[serde(default)]
    key_credentials: Vec<GraphCredential>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GraphCredential {
    key_id: Option<String>,
    display_name: Option<String>,
    /// Secrets: the first characters of the value.
    hint: Option<String>,
    /// Certificates: the thumbprint.
    custom_key_identifier: Option<String>,
    start_date_time: Option<String>,
    end_date_time: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct GraphPage {
    pub(super) value: Vec<GraphApplication>,
    #[serde(rename = "@odata.nextLink")]
    pub(super) next_link: Option<String>,
}

pub(super) fn date(text: Option<&str>) -> Option<OffsetDateTime> {
    text.and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
}

pub(super) fn credential(kind: CredentialKind, c: GraphCredential) -> Credential {
    let starts = date(c.start_date_time.as_deref());
    let expires = date(c.end_date_time.as_deref());
    let hint = match kind {
        CredentialKind::Secret => c.hint,
        CredentialKind::Certificate => c.custom_key_identifier,
    };
    Credential {
        kind,
        key_id: c
            .key_id
            .unwrap_or_else(|| format!("unnamed-{}", expires.map_or(0, OffsetDateTime::unix_timestamp))),
        label: c.display_name.filter(|n| !n.trim().is_empty()),
        hint: hint.filter(|h| !h.is_empty()),
        starts,
        expires,
    }
}

impl From<GraphApplication> for DirectoryApp {
    fn from(app: GraphApplication) -> Self {
        let secrets = app
            .password_credentials
            .into_iter()
            .map(|c| credential(CredentialKind::Secret, c));
        let certificates = app
            .key_credentials
            .into_iter()
            .map(|c| credential(CredentialKind::Certificate, c));
        DirectoryApp {
            display_name: app.display_name.unwrap_or_else(|| app.app_id.clone()),
            object_id: app.id,
            app_id: app.app_id,
            credentials: secrets.chain(certificates).collect(),
        }
    }
}

/// Every app registration the token may read, page after page (`@odata.nextLink`), with their secrets and
/// certificates. The token is only ever sent to `graph`'s own origin.
pub async fn list_applications(
    http: &reqwest::Client,
    graph: &str,
    access_token: &SecretString,
) -> Result<Vec<DirectoryApp>, DirectoryError> {
    let origin = url::Url::parse(graph)
        .map_err(|e| DirectoryError::BadAnswer(format!("{graph} is not a Graph address ({e})")))?
        .origin();
    let mut next = Some(format!(
        "{graph}/v1.0/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials&$top={PAGE_SIZE}"
    ));
    let mut apps = Vec::new();
    let mut pages = 0;
    while let Some(url) = next.take() {
        pages += 1;
        if pages > MAX_PAGES {
            return Err(DirectoryError::BadAnswer(format!(
                "it kept linking to more pages after {MAX_PAGES}"
            )));
        }
        let same_origin = url::Url::parse(&url).is_ok_and(|u| u.origin() == origin);
        if !same_origin {
            return Err(DirectoryError::BadAnswer(format!(
                "its next page is at another address ({}), which Mailgrant does not send the token to",
                host_of(&url)
            )));
        }
        let page = page(http, &url, access_token).await?;
        apps.extend(page.value.into_iter().map(DirectoryApp::from));
        next = page.next_link;
    }
    apps.sort_by_cached_key(|a| a.display_name.to_lowercase());
    Ok(apps)
}

/// One page, asked again after `Retry-After` when Graph throttles.
pub(super) async fn page(
    http: &reqwest::Client,
    url: &str,
    access_token: &SecretString,
) -> Result<GraphPage, DirectoryError> {
    let mut attempt = 0;
    loop {
        let request = http
            .get(url)
            .bearer_auth(access_token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(PAGE_TIMEOUT);
        let answer = crate::signin::http::exchange(url, request)
            .await
            .map_err(|d| *d)?;
        let (status, retry_after, body) = (answer.status, answer.retry_after, answer.body);
        if status == 429 && attempt < THROTTLE_RETRIES {
            let wait = retry_after
                .as_deref()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map_or(Duration::from_secs(2), Duration::from_secs);
            if wait <= THROTTLE_MAX_WAIT {
                attempt += 1;
                tokio::time::sleep(wait).await;
                continue;
            }
        }
        if !(200..300).contains(&status) {
            return Err(Diagnosis::from_graph_response(status, retry_after.as_deref(), &body).into());
        }
        return serde_json::from_str(&body).map_err(|e| {
            if serde_json::from_str::<serde_json::Value>(&body).is_ok() {
                DirectoryError::BadAnswer(format!("the JSON is not shaped as Graph's ({e})"))
            } else {
                Diagnosis::from_graph_response(status, None, &body).into()
            }
        });
    }
}
