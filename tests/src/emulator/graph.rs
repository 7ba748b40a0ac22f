//! The Microsoft Graph v1.0 subset Mailgrant uses: `/me`, mail folders, messages, sendMail (also under
//! `/users/{address}` for shared mailboxes), and `/applications` with their credentials.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use url::Url;

use super::certs::ParsedCertificate;
use super::errors::GraphError;
use super::scopes::Resource;
use super::seed::{iso8601, AppRegistration, Mailbox, Message, Timestamp};
use super::state::{AccessGrant, AccessProblem, App, State as EmulatorState};

pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/v1.0/me", get(me))
        .route("/v1.0/me/mailFolders/{folder}", get(my_folder))
        .route("/v1.0/me/messages", get(my_messages))
        .route("/v1.0/me/sendMail", post(my_send))
        .route("/v1.0/users/{user}", get(user_profile))
        .route("/v1.0/users/{user}/mailFolders/{folder}", get(user_folder))
        .route("/v1.0/users/{user}/messages", get(user_messages))
        .route("/v1.0/users/{user}/sendMail", post(user_send))
        .route("/v1.0/applications", get(applications))
        .route("/v1.0/applications/{id}", get(application_by_object_id))
        .route("/v1.0/{segment}", get(application_by_app_id))
}

type Params = HashMap<String, String>;

/// A Graph request's context: the emulator, its headers, and the time.
struct Call<'a> {
    app: &'a App,
    headers: &'a HeaderMap,
    now: OffsetDateTime,
}

impl Call<'_> {
    fn fail(&self, error: &GraphError) -> Response {
        error.response(&self.app.base, self.now, self.headers)
    }
}

/// Checks the bearer token: known, unexpired, unrevoked, for Graph.
fn bearer(state: &EmulatorState, headers: &HeaderMap) -> Result<AccessGrant, GraphError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
        })
        .map(str::trim)
        .unwrap_or_default();
    if token.is_empty() {
        return Err(GraphError::invalid_token("Access token is empty."));
    }
    let grant = state.live_access_token(token).map_err(|problem| match problem {
        AccessProblem::Expired => GraphError::invalid_token("Lifetime validation failed, the token is expired."),
        AccessProblem::Revoked => GraphError::invalid_token(
            "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: \
             TokenIssuedBeforeRevocationTimestamp",
        ),
        AccessProblem::Unknown if !token.contains('.') && !token.starts_with("EwB") => GraphError::invalid_token(
            "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE \
             Compact Serialization Format. (JWS): 'EncodedHeader.EndcodedPayload.EncodedSignature'. (JWE): \
             'EncodedProtectedHeader.EncodedEncryptedKey.EncodedInitializationVector.EncodedCiphertext.\
             EncodedAuthenticationTag'.",
        ),
        AccessProblem::Unknown => GraphError::invalid_token("Access token validation failure. Invalid signature."),
    })?;
    if grant.resource != Resource::Graph {
        return Err(GraphError::invalid_token(
            "Access token validation failure. Invalid audience.",
        ));
    }
    Ok(grant.clone())
}

/// Which mailbox a request names.
#[derive(Clone, Copy)]
enum Owner<'a> {
    Me,
    User(&'a str),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum MailAccess {
    Read,
    Send,
}

fn forbidden_directory() -> GraphError {
    GraphError::new(
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
}

/// The mailbox address the token may use for this request, after the permission and rights checks.
fn mailbox_for(
    state: &EmulatorState,
    grant: &AccessGrant,
    owner: Owner<'_>,
    access: MailAccess,
) -> Result<String, GraphError> {
    let permitted = match (access, &grant.user) {
        (MailAccess::Read, Some(_)) => grant.has_scope(&[
            "Mail.ReadBasic",
            "Mail.Read",
            "Mail.ReadWrite",
            "Mail.Read.Shared",
            "Mail.ReadWrite.Shared",
        ]),
        (MailAccess::Read, None) => grant.has_role(&["Mail.ReadBasic.All", "Mail.Read", "Mail.ReadWrite"]),
        (MailAccess::Send, Some(_)) => grant.has_scope(&["Mail.Send", "Mail.Send.Shared"]),
        (MailAccess::Send, None) => grant.has_role(&["Mail.Send"]),
    };
    if !permitted {
        return Err(GraphError::access_denied());
    }
    let seed = &state.seed;
    let not_enabled = || {
        GraphError::new(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )
    };
    let mailbox: &Mailbox = match owner {
        Owner::Me => {
            let upn = grant.user.as_deref().ok_or_else(me_needs_user)?;
            seed.own_mailbox(upn).ok_or_else(not_enabled)?
        }
        Owner::User(address) => match seed.mailbox(address) {
            Some(mailbox) => mailbox,
            None if seed.user(address).is_some() => seed.own_mailbox(address).ok_or_else(not_enabled)?,
            None => {
                return Err(GraphError::new(
                    StatusCode::NOT_FOUND,
                    "ErrorInvalidUser",
                    format!("The requested user '{address}' is invalid."),
                ))
            }
        },
    };
    if let Some(upn) = &grant.user {
        if !mailbox.grants(upn) {
            return Err(GraphError::access_denied());
        }
    }
    Ok(mailbox.address.clone())
}

fn me_needs_user() -> GraphError {
    GraphError::new(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
    )
}

fn user_json(base: &str, user: &super::seed::User) -> Value {
    json!({
        "@odata.context": format!("{base}/v1.0/$metadata#users/$entity"),
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": user.given_name(),
        "jobTitle": user.job_title,
        "mail": user.upn,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": null,
        "surname": user.surname(),
        "userPrincipalName": user.upn,
        "id": user.object_id(),
    })
}

async fn me(State(app): State<App>, headers: HeaderMap) -> Response {
    let state = app.lock();
    let call = Call {
        app: &app,
        headers: &headers,
        now: state.now(),
    };
    let grant = match bearer(&state, &headers) {
        Ok(grant) => grant,
        Err(error) => return call.fail(&error),
    };
    let Some(upn) = grant.user.as_deref() else {
        return call.fail(&me_needs_user());
    };
    if !grant.has_scope(&[
        "User.Read",
        "User.ReadWrite",
        "User.ReadBasic.All",
        "User.Read.All",
        "Directory.Read.All",
    ]) {
        return call.fail(&forbidden_directory());
    }
    match state.seed.user(upn) {
        Some(user) => Json(user_json(&app.base, user)).into_response(),
        None => call.fail(&GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{upn}' does not exist or one of its queried reference-property objects are not present."),
        )),
    }
}

async fn user_profile(State(app): State<App>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let state = app.lock();
    let call = Call {
        app: &app,
        headers: &headers,
        now: state.now(),
    };
    let grant = match bearer(&state, &headers) {
        Ok(grant) => grant,
        Err(error) => return call.fail(&error),
    };
    let user = state.seed.users.iter().find(|user| {
        user.upn.eq_ignore_ascii_case(&id) || user.object_id().to_string().eq_ignore_ascii_case(&id)
    });
    let own = user.is_some_and(|user| {
        grant
            .user
            .as_deref()
            .is_some_and(|upn| upn.eq_ignore_ascii_case(&user.upn))
    });
    let allowed = (own && grant.has_scope(&["User.Read"]))
        || grant.has_scope(&["User.ReadBasic.All", "User.Read.All", "Directory.Read.All"])
        || grant.has_role(&["User.Read.All", "Directory.Read.All"]);
    if !allowed {
        return call.fail(&forbidden_directory());
    }
    match user {
        Some(user) => Json(user_json(&app.base, user)).into_response(),
        None => call.fail(&GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        )),
    }
}

/// A stable Graph-looking id.
fn graph_id(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\u{1}").as_bytes());
    format!("AAMkAG{}", URL_SAFE_NO_PAD.encode(&digest[..24]))
}

fn folder_id(address: &str, folder: &str) -> String {
    graph_id(&[address, "folder", folder])
}

/// Well-known folder names Graph accepts in place of ids.
const FOLDERS: [(&str, &str); 6] = [
    ("inbox", "Inbox"),
    ("sentitems", "Sent Items"),
    ("drafts", "Drafts"),
    ("deleteditems", "Deleted Items"),
    ("junkemail", "Junk Email"),
    ("archive", "Archive"),
];

async fn my_folder(State(app): State<App>, Path(folder): Path<String>, headers: HeaderMap) -> Response {
    folder_response(&app, &headers, Owner::Me, &folder)
}

async fn user_folder(
    State(app): State<App>,
    Path((user, folder)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    folder_response(&app, &headers, Owner::User(&user), &folder)
}

fn folder_response(app: &App, headers: &HeaderMap, owner: Owner<'_>, folder: &str) -> Response {
    let state = app.lock();
    let call = Call {
        app,
        headers,
        now: state.now(),
    };
    let address = match bearer(&state, headers)
        .and_then(|grant| mailbox_for(&state, &grant, owner, MailAccess::Read))
    {
        Ok(address) => address,
        Err(error) => return call.fail(&error),
    };
    let Some((key, name)) = FOLDERS.iter().find(|(key, _)| key.eq_ignore_ascii_case(folder)) else {
        return call.fail(&GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidIdMalformed",
            "Id is malformed.",
        ));
    };
    let messages: Vec<&Message> = state
        .seed
        .mailbox(&address)
        .map(|mailbox| {
            mailbox
                .messages
                .iter()
                .filter(|m| m.folder.eq_ignore_ascii_case(key))
                .collect()
        })
        .unwrap_or_default();
    let size: usize = messages
        .iter()
        .map(|message| message.body.len() + message.subject.len() + 512)
        .sum();
    Json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#users('{address}')/mailFolders/$entity", app.base),
        "id": folder_id(&address, key),
        "displayName": name,
        "parentFolderId": folder_id(&address, "msgfolderroot"),
        "childFolderCount": 0,
        "unreadItemCount": messages.iter().filter(|message| !message.read).count(),
        "totalItemCount": messages.len(),
        "sizeInBytes": size,
        "isHidden": false,
    }))
    .into_response()
}

async fn my_messages(State(app): State<App>, Query(query): Query<Params>, headers: HeaderMap) -> Response {
    messages_response(&app, &headers, Owner::Me, &query)
}

async fn user_messages(
    State(app): State<App>,
    Path(user): Path<String>,
    Query(query): Query<Params>,
    headers: HeaderMap,
) -> Response {
    messages_response(&app, &headers, Owner::User(&user), &query)
}

fn recipient(address: &str, name: Option<&str>) -> Value {
    json!({"emailAddress": {"name": name.unwrap_or(address), "address": address}})
}

fn message_json(address: &str, index: usize, message: &Message, received: OffsetDateTime) -> Value {
    let id = message
        .id
        .clone()
        .unwrap_or_else(|| graph_id(&[address, &index.to_string(), &message.subject]));
    let preview: String = message.body.chars().take(255).collect();
    let when = iso8601(received);
    let from = recipient(&message.from, message.from_name.as_deref());
    json!({
        "@odata.etag": format!("W/\"{}\"", graph_id(&[&id, "etag"])),
        "id": id,
        "createdDateTime": when,
        "lastModifiedDateTime": when,
        "receivedDateTime": when,
        "sentDateTime": when,
        "hasAttachments": false,
        "internetMessageId": format!("<{}@emulator.local>", graph_id(&[&id, "mid"])),
        "subject": message.subject,
        "bodyPreview": preview,
        "importance": "normal",
        "parentFolderId": folder_id(address, &message.folder.to_ascii_lowercase()),
        "conversationId": graph_id(&[&message.subject, "conversation"]),
        "isRead": message.read,
        "isDraft": false,
        "body": {
            "contentType": if message.content_type.eq_ignore_ascii_case("html") { "html" } else { "text" },
            "content": message.body,
        },
        "sender": from,
        "from": from,
        "toRecipients": message.to.iter().map(|to| recipient(to, None)).collect::<Vec<_>>(),
        "ccRecipients": [],
        "bccRecipients": [],
        "replyTo": [],
    })
}

/// Keeps only the `$select`ed properties (plus the etag Graph always sends for messages).
fn select(value: Value, fields: Option<&str>) -> Value {
    let (Some(fields), Value::Object(map)) = (fields, &value) else {
        return value;
    };
    let wanted: Vec<&str> = fields
        .split(',')
        .map(str::trim)
        .filter(|field| !field.is_empty())
        .collect();
    let kept: Map<String, Value> = map
        .iter()
        .filter(|(key, _)| key.starts_with('@') || wanted.iter().any(|field| field.eq_ignore_ascii_case(key)))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Value::Object(kept)
}

fn messages_response(app: &App, headers: &HeaderMap, owner: Owner<'_>, query: &Params) -> Response {
    let state = app.lock();
    let now = state.now();
    let call = Call { app, headers, now };
    let address = match bearer(&state, headers)
        .and_then(|grant| mailbox_for(&state, &grant, owner, MailAccess::Read))
    {
        Ok(address) => address,
        Err(error) => return call.fail(&error),
    };
    let top = match query.get("$top").map(|top| top.parse::<usize>()) {
        None => 10,
        Some(Ok(top)) if (1..=1000).contains(&top) => top,
        Some(_) => {
            return call.fail(&GraphError::new(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidUrlQuery",
                "The value of '$top' must be an integer between 1 and 1000.",
            ))
        }
    };
    let skip = query
        .get("$skip")
        .and_then(|skip| skip.parse::<usize>().ok())
        .unwrap_or(0);
    let messages = state
        .seed
        .mailbox(&address)
        .map(|mailbox| mailbox.messages.clone())
        .unwrap_or_default();
    let count = messages.len();
    let mut dated: Vec<(usize, Message, OffsetDateTime)> = messages
        .into_iter()
        .enumerate()
        .map(|(index, message)| {
            let received = message
                .received
                .map(|at| at.0)
                .unwrap_or_else(|| now - Duration::hours((count - index) as i64));
            (index, message, received)
        })
        .collect();
    dated.sort_by_key(|(_, _, received)| std::cmp::Reverse(*received));
    let value: Vec<Value> = dated
        .iter()
        .skip(skip)
        .take(top)
        .map(|(index, message, received)| {
            select(
                message_json(&address, *index, message, *received),
                query.get("$select").map(String::as_str),
            )
        })
        .collect();
    let path = match owner {
        Owner::Me => "me".to_string(),
        Owner::User(user) => format!("users/{user}"),
    };
    let mut body = json!({
        "@odata.context": format!("{}/v1.0/$metadata#users('{address}')/messages", app.base),
        "value": value,
    });
    if skip + top < count {
        if let Some(map) = body.as_object_mut() {
            map.insert(
                "@odata.nextLink".into(),
                json!(format!(
                    "{}/v1.0/{path}/messages?%24top={top}&%24skip={}",
                    app.base,
                    skip + top
                )),
            );
        }
    }
    Json(body).into_response()
}

async fn my_send(State(app): State<App>, headers: HeaderMap, body: Bytes) -> Response {
    send_response(&app, &headers, Owner::Me, &body)
}

async fn user_send(
    State(app): State<App>,
    Path(user): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    send_response(&app, &headers, Owner::User(&user), &body)
}

/// A message to send, from JSON or from base64 MIME.
struct Outgoing {
    subject: String,
    body: String,
    content_type: String,
    to: Vec<String>,
    others: Vec<String>,
    save: bool,
}

fn bad_request(code: &str, message: &str) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, code, message)
}

fn parse_json_message(body: &[u8]) -> Result<Outgoing, GraphError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| bad_request("BadRequest", "Empty Payload. JSON content expected."))?;
    let message = value
        .get("message")
        .filter(|message| message.is_object())
        .ok_or_else(|| bad_request("ErrorInvalidRequest", "The message is missing from the request."))?;
    let addresses = |field: &str| -> Vec<String> {
        message
            .get(field)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|entry| entry.pointer("/emailAddress/address").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let text = |pointer: &str| {
        message
            .pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Ok(Outgoing {
        subject: text("/subject"),
        body: text("/body/content"),
        content_type: if text("/body/contentType").eq_ignore_ascii_case("html") {
            "html"
        } else {
            "text"
        }
        .into(),
        to: addresses("toRecipients"),
        others: [addresses("ccRecipients"), addresses("bccRecipients")].concat(),
        save: value
            .get("saveToSentItems")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    })
}

/// `Content-Type: text/plain` body: base64 of an RFC 5322 message.
fn parse_mime_message(body: &[u8]) -> Result<Outgoing, GraphError> {
    let invalid = || {
        bad_request(
            "ErrorMimeContentInvalidBase64String",
            "Invalid base64 string for MIME content.",
        )
    };
    let compact: Vec<u8> = body
        .iter()
        .copied()
        .filter(|byte| !byte.is_ascii_whitespace())
        .collect();
    let decoded = STANDARD.decode(compact).map_err(|_| invalid())?;
    let text = String::from_utf8_lossy(&decoded).replace("\r\n", "\n");
    let (head, content) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
    };
    let addresses = |name: &str| -> Vec<String> {
        header(name)
            .map(|value| {
                value
                    .split(',')
                    .map(|part| match (part.find('<'), part.find('>')) {
                        (Some(start), Some(end)) if start < end => part[start + 1..end].trim().to_string(),
                        _ => part.trim().to_string(),
                    })
                    .filter(|address| address.contains('@'))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Outgoing {
        subject: header("subject").unwrap_or_default(),
        body: content.to_string(),
        content_type: "text".into(),
        to: addresses("to"),
        others: [addresses("cc"), addresses("bcc")].concat(),
        save: true,
    })
}

fn send_response(app: &App, headers: &HeaderMap, owner: Owner<'_>, body: &[u8]) -> Response {
    let mut state = app.lock();
    let now = state.now();
    let call = Call { app, headers, now };
    let address = match bearer(&state, headers)
        .and_then(|grant| mailbox_for(&state, &grant, owner, MailAccess::Send))
    {
        Ok(address) => address,
        Err(error) => return call.fail(&error),
    };
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/plain"));
    let outgoing = match if mime {
        parse_mime_message(body)
    } else {
        parse_json_message(body)
    } {
        Ok(outgoing) => outgoing,
        Err(error) => return call.fail(&error),
    };
    if outgoing.to.is_empty() && outgoing.others.is_empty() {
        return call.fail(&bad_request(
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid.",
        ));
    }
    let sender_name = state.seed.mailbox(&address).map(Mailbox::display_name);
    let message = Message {
        id: None,
        folder: "inbox".into(),
        subject: outgoing.subject.clone(),
        from: address.clone(),
        from_name: sender_name,
        to: outgoing.to.clone(),
        body: outgoing.body.clone(),
        content_type: outgoing.content_type.clone(),
        received: Some(Timestamp(now)),
        read: false,
    };
    for recipient in outgoing.to.iter().chain(&outgoing.others) {
        if let Some(mailbox) = state.seed.mailbox_mut(recipient) {
            let id = graph_id(&[
                &mailbox.address,
                &mailbox.messages.len().to_string(),
                &message.subject,
                "in",
            ]);
            mailbox.messages.push(Message {
                id: Some(id),
                ..message.clone()
            });
        }
    }
    if outgoing.save {
        if let Some(mailbox) = state.seed.mailbox_mut(&address) {
            let id = graph_id(&[
                &mailbox.address,
                &mailbox.messages.len().to_string(),
                &message.subject,
                "sent",
            ]);
            mailbox.messages.push(Message {
                id: Some(id),
                folder: "sentitems".into(),
                read: true,
                ..message.clone()
            });
        }
    }
    StatusCode::ACCEPTED.into_response()
}

fn may_read_applications(grant: &AccessGrant) -> bool {
    let names = [
        "Application.Read.All",
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ];
    grant.has_scope(&names) || grant.has_role(&names)
}

fn application_json(state: &EmulatorState, registration: &AppRegistration, with_key: bool) -> Value {
    let passwords: Vec<Value> = registration
        .secrets
        .iter()
        .map(|secret| {
            json!({
                "customKeyIdentifier": null,
                "displayName": secret.display_name,
                "endDateTime": secret.end.to_rfc3339(),
                "hint": secret.hint(),
                "keyId": secret.key_id,
                "secretText": null,
                "startDateTime": secret.start.to_rfc3339(),
            })
        })
        .collect();
    let keys: Vec<Value> = registration
        .certificates
        .iter()
        .map(|credential| {
            let parsed = ParsedCertificate::from_pem(&credential.pem).ok();
            let start = credential
                .start
                .map(|start| start.0)
                .or(parsed.as_ref().map(|p| p.not_before));
            let end = credential
                .end
                .map(|end| end.0)
                .or(parsed.as_ref().map(|p| p.not_after));
            json!({
                "customKeyIdentifier": parsed.as_ref().map(ParsedCertificate::thumbprint),
                "displayName": credential.display_name,
                "endDateTime": end.map(iso8601),
                "key": if with_key { parsed.as_ref().map(|p| STANDARD.encode(&p.der)) } else { None },
                "keyId": credential.key_id,
                "startDateTime": start.map(iso8601),
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
            })
        })
        .collect();
    let created = registration
        .created
        .map(|at| at.to_rfc3339())
        .unwrap_or_else(|| "2024-01-15T09:30:00Z".into());
    let publisher = state
        .seed
        .tenant(&registration.tenant)
        .and_then(|tenant| tenant.domains.first().cloned())
        .unwrap_or_else(|| registration.tenant.clone());
    let redirects = json!({"redirectUris": registration.redirect_uris});
    let empty = json!({"redirectUris": []});
    let public = registration.kind == super::seed::ClientKind::Public;
    json!({
        "id": registration.object_id(),
        "appId": registration.client_id,
        "displayName": registration.display_name,
        "createdDateTime": created,
        "signInAudience": registration.sign_in_audience.as_str(),
        "publisherDomain": publisher,
        "isFallbackPublicClient": registration.allow_public_client_flows,
        "passwordCredentials": passwords,
        "keyCredentials": keys,
        "publicClient": if public { redirects.clone() } else { empty.clone() },
        "web": if public { empty } else { redirects },
        "requiredResourceAccess": [],
    })
}

async fn applications(State(app): State<App>, Query(query): Query<Params>, headers: HeaderMap) -> Response {
    let state = app.lock();
    let call = Call {
        app: &app,
        headers: &headers,
        now: state.now(),
    };
    let grant = match bearer(&state, &headers) {
        Ok(grant) => grant,
        Err(error) => return call.fail(&error),
    };
    if !may_read_applications(&grant) {
        return call.fail(&forbidden_directory());
    }
    // Graph pages lists: `$top` (1–999, default 100) per page, and `@odata.nextLink` with an opaque
    // `$skiptoken` for the rest, to be followed as given.
    let top = match query.get("$top").map(|top| top.parse::<usize>()) {
        None => 100,
        Some(Ok(top @ 1..=999)) => top,
        Some(_) => {
            return call.fail(&bad_request(
                "Request_UnsupportedQuery",
                "Invalid page size specified: the value of $top must be between 1 and 999.",
            ))
        }
    };
    let skip =
        match query.get("$skiptoken").map(|token| skip_from_token(token)) {
            None => 0,
            Some(Some(skip)) => skip,
            Some(None) => return call.fail(&bad_request(
                "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            )),
        };
    let all: Vec<&AppRegistration> = state
        .seed
        .apps
        .iter()
        .filter(|registration| state.seed.app_tenant_id(registration) == Some(grant.tid))
        .collect();
    let value: Vec<Value> = all
        .iter()
        .skip(skip)
        .take(top)
        .map(|registration| {
            select(
                application_json(&state, registration, false),
                query.get("$select").map(String::as_str),
            )
        })
        .collect();
    let mut body =
        json!({"@odata.context": format!("{}/v1.0/$metadata#applications", app.base), "value": value});
    if skip + top < all.len() {
        let mut next = Url::parse(&format!("{}/v1.0/applications", app.base)).expect("the base URL is valid");
        {
            let mut pairs = next.query_pairs_mut();
            if let Some(fields) = query.get("$select") {
                pairs.append_pair("$select", fields);
            }
            pairs.append_pair("$top", &top.to_string());
            pairs.append_pair("$skiptoken", &skip_token(skip + top));
        }
        body["@odata.nextLink"] = json!(next.to_string());
    }
    Json(body).into_response()
}

/// An opaque-looking page token for an offset into the list (Graph's are opaque; clients follow nextLink).
fn skip_token(offset: usize) -> String {
    format!(
        "RFNwdAIAAQAAAB{}",
        URL_SAFE_NO_PAD.encode(format!("offset:{offset}"))
    )
}

fn skip_from_token(token: &str) -> Option<usize> {
    let encoded = token.strip_prefix("RFNwdAIAAQAAAB")?;
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()?;
    text.strip_prefix("offset:")?.parse().ok()
}

async fn application_by_object_id(
    State(app): State<App>,
    Path(id): Path<String>,
    Query(query): Query<Params>,
    headers: HeaderMap,
) -> Response {
    single_application(&app, &headers, &query, &id, |registration, id| {
        registration.object_id().to_string().eq_ignore_ascii_case(id)
    })
}

/// `/v1.0/applications(appId='…')` (one path segment, so matched here).
async fn application_by_app_id(
    State(app): State<App>,
    Path(segment): Path<String>,
    Query(query): Query<Params>,
    headers: HeaderMap,
) -> Response {
    let app_id = segment
        .strip_prefix("applications(appId=")
        .and_then(|rest| rest.strip_suffix(')'))
        .map(|quoted| quoted.trim_matches(|c| c == '\'' || c == '"').to_string());
    match app_id {
        Some(app_id) => single_application(&app, &headers, &query, &app_id, |registration, id| {
            registration.client_id.eq_ignore_ascii_case(id)
        }),
        None => {
            let state = app.lock();
            GraphError::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Resource not found for the segment '{segment}'."),
            )
            .response(&app.base, state.now(), &headers)
        }
    }
}

fn single_application(
    app: &App,
    headers: &HeaderMap,
    query: &Params,
    id: &str,
    matches: impl Fn(&AppRegistration, &str) -> bool,
) -> Response {
    let state = app.lock();
    let call = Call {
        app,
        headers,
        now: state.now(),
    };
    let grant = match bearer(&state, headers) {
        Ok(grant) => grant,
        Err(error) => return call.fail(&error),
    };
    if !may_read_applications(&grant) {
        return call.fail(&forbidden_directory());
    }
    let found = state.seed.apps.iter().find(|registration| {
        matches(registration, id) && state.seed.app_tenant_id(registration) == Some(grant.tid)
    });
    let Some(registration) = found else {
        return call.fail(&GraphError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        ));
    };
    let selection = query.get("$select").map(String::as_str);
    let with_key = selection.is_some_and(|fields| fields.to_ascii_lowercase().contains("keycredentials"));
    let mut body = select(application_json(&state, registration, with_key), selection);
    if let Some(map) = body.as_object_mut() {
        map.insert(
            "@odata.context".into(),
            json!(format!("{}/v1.0/$metadata#applications/$entity", app.base)),
        );
    }
    Json(body).into_response()
}
