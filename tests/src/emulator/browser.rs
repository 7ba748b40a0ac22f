//! A scripted user at a browser, for tests: opens an authorize (or admin-consent) URL, fills the emulator's
//! sign-in form, and reports where the browser would land; enters device codes on /devicelogin.

use std::collections::BTreeMap;

use url::Url;

/// Why the scripted user could not finish.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("cannot reach the emulator")]
    Http(#[from] reqwest::Error),
    #[error("unexpected answer (status {status}): {body}")]
    Unexpected { status: u16, body: String },
}

/// Accept or Cancel on a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
        }
    }
}

/// How the answer reached the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Query,
    Fragment,
    FormPost,
}

/// Where the browser lands: the redirect URI and the parameters the app receives.
#[derive(Clone, Debug)]
pub struct Landing {
    /// The full `Location` (or the form_post action).
    pub location: String,
    pub delivery: Delivery,
    pub params: BTreeMap<String, String>,
}

impl Landing {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The location without query and fragment.
    pub fn target(&self) -> &str {
        let end = self.location.find(['?', '#']).unwrap_or(self.location.len());
        &self.location[..end]
    }
}

/// What a GET of an emulator page gave.
#[derive(Clone, Debug)]
pub enum Page {
    /// Back to the app (302, or a form_post page).
    Landed(Landing),
    /// A page with a form (sign-in, consent, device code): status, HTML, and its fields.
    Form {
        status: u16,
        html: String,
        action: String,
        fields: Vec<(String, String)>,
    },
    /// Any other page (errors): status and HTML.
    Other { status: u16, html: String },
}

/// A browser without cookies that does not follow redirects, so every hop can be checked.
#[derive(Clone, Debug)]
pub struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    /// `base` is the emulator's base URL (form actions are relative to it).
    /// A browser for the emulator at `base`. Over HTTPS it trusts the test bed's CA: the one in `MAILGRANT_CA_FILE`
    /// (what an emulator in another process wrote, as Mailgrant is given it too), else this process's.
    pub fn new(base: &str) -> Result<Self, BrowserError> {
        let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if base.starts_with("https://") {
            let from_file = std::env::var_os("MAILGRANT_CA_FILE").and_then(|path| std::fs::read(path).ok());
            if let Some(pem) = from_file.or_else(|| super::Emulator::ca_pem().ok()) {
                for certificate in reqwest::Certificate::from_pem_bundle(&pem)? {
                    builder = builder.add_root_certificate(certificate);
                }
            }
        }
        let http = builder.build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// GETs a URL and classifies the answer.
    pub async fn open(&self, url: &str) -> Result<Page, BrowserError> {
        let response = self.http.get(url).send().await?;
        Self::classify(response).await
    }

    async fn classify(response: reqwest::Response) -> Result<Page, BrowserError> {
        let status = response.status().as_u16();
        if let Some(location) = response.headers().get(reqwest::header::LOCATION) {
            let location = location.to_str().unwrap_or_default().to_string();
            return Ok(Page::Landed(landing_from_location(&location)));
        }
        let html = response.text().await?;
        let Some(action) = form_action(&html) else {
            return Ok(Page::Other { status, html });
        };
        let fields = form_fields(&html);
        if html.contains("name=\"hiddenform\"") {
            let params = fields.into_iter().collect();
            return Ok(Page::Landed(Landing {
                location: action,
                delivery: Delivery::FormPost,
                params,
            }));
        }
        Ok(Page::Form {
            status,
            html,
            action,
            fields,
        })
    }

    /// Opens an authorize or admin-consent URL and, if the sign-in page shows, signs in as `username` and
    /// decides. Returns where the browser lands.
    pub async fn sign_in(
        &self,
        url: &str,
        username: &str,
        decision: Decision,
    ) -> Result<Landing, BrowserError> {
        match self.open(url).await? {
            Page::Landed(landing) => Ok(landing),
            Page::Form { action, fields, .. } => {
                match self.submit(&action, &fields, username, decision).await? {
                    Page::Landed(landing) => Ok(landing),
                    Page::Form { status, html, .. } | Page::Other { status, html } => {
                        Err(BrowserError::Unexpected { status, body: html })
                    }
                }
            }
            Page::Other { status, html } => Err(BrowserError::Unexpected { status, body: html }),
        }
    }

    /// Posts a form with `username` and the decision button, keeping its hidden fields.
    pub async fn submit(
        &self,
        action: &str,
        fields: &[(String, String)],
        username: &str,
        decision: Decision,
    ) -> Result<Page, BrowserError> {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .filter(|(name, _)| name != "username")
            .cloned()
            .collect();
        form.push(("username".into(), username.into()));
        form.push(("action".into(), decision.as_str().into()));
        let url = if action.starts_with('/') {
            format!("{}{action}", self.base)
        } else {
            action.to_string()
        };
        let response = self.http.post(url).form(&form).send().await?;
        Self::classify(response).await
    }

    /// Enters a device code on /devicelogin as `username`; returns the resulting page (status, HTML).
    pub async fn enter_device_code(
        &self,
        user_code: &str,
        username: &str,
        decision: Decision,
    ) -> Result<(u16, String), BrowserError> {
        let form = [
            ("otc", user_code),
            ("username", username),
            ("action", decision.as_str()),
        ];
        let response = self
            .http
            .post(format!("{}/devicelogin", self.base))
            .form(&form)
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }
}

fn landing_from_location(location: &str) -> Landing {
    let (delivery, params) = match Url::parse(location) {
        Ok(url) => match url.fragment().filter(|fragment| fragment.contains('=')) {
            Some(fragment) => (
                Delivery::Fragment,
                url::form_urlencoded::parse(fragment.as_bytes())
                    .into_owned()
                    .collect(),
            ),
            None => (Delivery::Query, url.query_pairs().into_owned().collect()),
        },
        Err(_) => (Delivery::Query, BTreeMap::new()),
    };
    Landing {
        location: location.to_string(),
        delivery,
        params,
    }
}

/// Decodes the five entities the emulator's pages use.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The value of `name="…"` inside one tag.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')? + start;
    Some(unescape(&tag[start..end]))
}

/// The `action` of the first form of a page.
pub fn form_action(html: &str) -> Option<String> {
    let start = html.find("<form")?;
    let end = html[start..].find('>')? + start;
    attribute(&html[start..end], "action")
}

/// `(name, value)` of every `<input>` of a page, in order.
pub fn form_fields(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<input") {
        let Some(end) = rest[start..].find('>').map(|end| end + start) else {
            break;
        };
        let tag = &rest[start..end];
        if let Some(name) = attribute(tag, "name") {
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
        rest = &rest[end..];
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_locations_are_read() {
        let html = "<form method=\"post\" action=\"/common/login\">\
                    <input type=\"hidden\" name=\"request\" value=\"a&amp;b\">\
                    <input id=\"username\" name=\"username\" value=\"\"></form>";
        assert_eq!(form_action(html).as_deref(), Some("/common/login"));
        assert_eq!(
            form_fields(html),
            vec![
                ("request".into(), "a&b".into()),
                ("username".into(), String::new())
            ]
        );
        let landing = landing_from_location("http://localhost:1234/?code=abc&state=xyz");
        assert_eq!(landing.get("code"), Some("abc"));
        assert_eq!(landing.target(), "http://localhost:1234/");
        let fragment = landing_from_location("mailgrant://auth#code=1&state=2");
        assert_eq!(fragment.delivery, Delivery::Fragment);
        assert_eq!(fragment.get("state"), Some("2"));
    }
}
