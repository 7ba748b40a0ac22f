//! Microsoft Graph: `GET /me` (who the token is for), the inbox folder and its count, and optionally `sendMail` to
//! self, watched for by the inbox count. A shared mailbox is `/users/{address}/…`; an app-only token has no `/me`
//! and goes straight to `/users/{address}/…`.
//!
//! reqwest makes its own connections, so the DNS, TCP and TLS layers check the way there first with the same
//! trust settings: a certificate problem is named before any request is made.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use url::Url;

use super::failure::{Failure, Step};
use super::net;
use super::{counted, done, Done, Layer, LayerReport, Probe, Stop};

/// Graph's API version.
const VERSION: &str = "v1.0";

fn http_client(
    options: &super::ProbeOptions,
    roots: &[tokio_rustls::rustls::pki_types::CertificateDer<'static>],
) -> Result<reqwest::Client, Failure> {
    crate::signin::http::client(&crate::signin::http::HttpOptions {
        ca_file: None,
        request_timeout: Some(options.timeout),
        connect_timeout: Some(options.timeout),
        extra_roots: roots.iter().map(|r| r.as_ref().to_vec()).collect(),
        only_extra_roots: !options.public_roots,
    })
    .map_err(|error| Failure::Setup(crate::api::error_chain(&error)))
}

/// One Graph call; a non-2xx answer is a failure with Graph's error body.
async fn call(request: reqwest::RequestBuilder, step: Step, url: &str) -> Result<(u16, Value), Failure> {
    let answer = crate::signin::http::exchange(url, request)
        .await
        .map_err(Failure::Diagnosed)?;
    let success = answer.is_success();
    let (status, body) = (answer.status, answer.body);
    if !success {
        return Err(Failure::Graph {
            step,
            status,
            body,
            retry_after: answer.retry_after,
        });
    }
    let value = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).unwrap_or(Value::Null)
    };
    Ok((status, value))
}

/// The Graph probe.
pub(crate) async fn probe<F: FnMut(LayerReport)>(p: &mut Probe<'_, F>) -> Result<(), Stop> {
    let target = p.target;
    let options = p.options;
    let base = match Url::parse(&target.host) {
        Ok(url) if url.host_str().is_some() && matches!(url.scheme(), "https" | "http") => url,
        _ => {
            let failure = Failure::Setup(format!("{} is not a Graph base URL (https://…)", target.host));
            return p
                .rec
                .layer(Layer::Dns, async { Err::<Done<()>, _>(failure) })
                .await;
        }
    };
    // The token is a bearer secret: never over plain http:// to another computer.
    if let Err(d) = crate::diagnosis::transport::check_secure(base.as_str()) {
        let failure = Failure::Diagnosed(d);
        return p
            .rec
            .layer(Layer::Dns, async { Err::<Done<()>, _>(failure) })
            .await;
    }
    let host = base.host_str().unwrap_or_default().to_owned();
    let port = base.port_or_known_default().unwrap_or(443);
    let https = base.scheme() == "https";

    let addresses = p.dns(&host, port).await?;
    let stage = p.rec.stage();
    let tcp = p
        .rec
        .layer(Layer::Tcp, async {
            let tcp = net::connect(&addresses).await.map_err(|error| Failure::Connect {
                server: format!("{host}:{port}"),
                error,
            })?;
            let peer = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            Ok(Done::new(tcp, format!("connected to {peer}")))
        })
        .await?;
    if https {
        let config = p.tls_config();
        p.rec
            .layer(Layer::Tls, async {
                Ok(done(net::secure(&config?, &host, tcp).await?.1))
            })
            .await?;
    } else {
        drop(tcp);
        p.rec.skip(
            Layer::Tls,
            "plain HTTP (a local or test endpoint): no TLS to check",
        );
    }

    let sends = options.send_to_self;
    p.token_layer(sends).await?;
    let app_only = p.insight.as_ref().is_some_and(|insight| insight.app_only);

    let client = match options.roots().and_then(|roots| http_client(options, &roots)) {
        Ok(client) => client,
        Err(failure) => {
            return p
                .rec
                .layer(Layer::Auth, async { Err::<Done<()>, _>(failure) })
                .await
        }
    };
    let api = format!("{}/{VERSION}", target.host.trim_end_matches('/'));
    let mailbox_path = match (&target.shared_mailbox, app_only) {
        (None, false) => format!("{api}/me"),
        (Some(_), _) | (None, true) => format!("{api}/users/{}", target.mailbox()),
    };
    let bearer = format!("Bearer {}", p.token.expose());
    let get = |url: &str| client.get(url).header(reqwest::header::AUTHORIZATION, &bearer);

    if app_only {
        p.rec.skip(
            Layer::Auth,
            "app-only token: there is no /me; Graph checks the token with the mailbox request",
        );
    } else {
        p.rec
            .layer(Layer::Auth, async {
                stage.set("Graph's answer to GET /me");
                let me_url = format!("{api}/me");
                let (_, me) = call(get(&me_url), Step::Me, &me_url).await?;
                let name = me.get("userPrincipalName").and_then(Value::as_str).unwrap_or("?");
                let mail = me
                    .get("mail")
                    .and_then(Value::as_str)
                    .unwrap_or("no mail address");
                Ok(done(format!("GET /me: {name} ({mail})")))
            })
            .await?;
    }

    let inbox_url = format!("{mailbox_path}/mailFolders/inbox");
    let before = p
        .rec
        .layer(Layer::Mailbox, async {
            stage.set("Graph's answer about the inbox");
            let (_, inbox) = call(get(&inbox_url), Step::Inbox, &inbox_url).await?;
            let total = inbox.get("totalItemCount").and_then(Value::as_u64);
            let unread = inbox.get("unreadItemCount").and_then(Value::as_u64);
            let detail = match (total, unread) {
                (Some(total), Some(unread)) => format!(
                    "{}: inbox holds {} ({unread} unread)",
                    target.mailbox(),
                    counted(total, "message")
                ),
                _ => format!("{}: inbox opened (no count given)", target.mailbox()),
            };
            Ok(Done::new(total, detail))
        })
        .await?;

    if !sends {
        return Ok(());
    }
    p.rec
        .layer_within(Layer::Send, options.timeout * 2, async {
            stage.set("Graph's answer to sendMail");
            let mailbox = target.mailbox();
            let body = json!({
                "message": {
                    "subject": "Mailgrant test message",
                    "body": {"contentType": "Text", "content": format!("Mailgrant sent this message to {mailbox} to check that sending works. You can delete it.")},
                    "toRecipients": [{"emailAddress": {"address": mailbox}}],
                },
                "saveToSentItems": false,
            });
            let send_url = format!("{mailbox_path}/sendMail");
            let (status, _) = call(
                client
                    .post(&send_url)
                    .header(reqwest::header::AUTHORIZATION, &bearer)
                    .json(&body),
                Step::SendMail,
                &send_url,
            )
            .await?;
            let mut detail = format!("POST sendMail: {status} (accepted)");
            if let Some(before) = before {
                stage.set("the message to reach the inbox");
                let began = Instant::now();
                loop {
                    let (_, inbox) = call(get(&inbox_url), Step::Confirm, &inbox_url).await?;
                    let now = inbox.get("totalItemCount").and_then(Value::as_u64).unwrap_or(before);
                    if now > before {
                        detail.push_str(&format!(
                            "; the inbox went from {before} to {now} after {} ms",
                            began.elapsed().as_millis()
                        ));
                        break;
                    }
                    if began.elapsed() >= options.timeout {
                        return Err(Failure::NotDelivered {
                            message_id: "(Graph sendMail)".to_owned(),
                            waited: options.timeout,
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            Ok(done(detail))
        })
        .await
}
