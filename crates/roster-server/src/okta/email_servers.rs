//! `/api/v1/email-servers`: Okta's custom SMTP servers. The password is sealed with the master
//! key and never returned; bad input is a 400 naming every field at fault. An enabled server
//! takes precedence over `ROSTER_SMTP_URL` (at most one is enabled: enabling one disables the
//! others). Roster adds `tls` (`REQUIRED`, the default, or `IMPLICIT` on port 465;
//! `OPPORTUNISTIC`; `NONE` for a relay on the same machine).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use roster_provisioning::email_settings::{
    EmailServer, EmailServerChange, TestSendError, TLS_MODES,
};
use roster_provisioning::Provisioning;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

/// The body of create (`POST`) and update (`PATCH`).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct EmailServerIn {
    alias: Option<String>,
    host: Option<String>,
    port: Option<i64>,
    username: Option<String>,
    password: Option<String>,
    enabled: Option<bool>,
    tls: Option<String>,
}

/// The body of a test send.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct EmailTestIn {
    from_address: Option<String>,
    to_address: Option<String>,
}

pub(crate) fn engine(state: &AppState) -> Result<&Provisioning, ApiError> {
    state.provisioning.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "E0000060",
            "Email settings are not available on this server",
        )
        .with_cause("this server was started without the provisioning engine, which sends mail")
        .with_remediation("run `roster serve`, which starts it")
    })
}

/// One 400 naming every field at fault: `(field, what is wrong)`.
pub(crate) fn invalid(problems: Vec<(String, String)>) -> ApiError {
    let mut iter = problems.into_iter();
    let Some((field, message)) = iter.next() else {
        return ApiError::validation("body", "the request is not valid");
    };
    let mut e = ApiError::validation(&field, message);
    let mut fields = vec![field];
    for (field, message) in iter {
        e = e
            .with_error_cause(format!("{field}: {message}"))
            .with_error_code_cause("invalid", &field);
        fields.push(field);
    }
    if fields.len() > 1 {
        e.summary = format!("Api validation failed: {}", fields.join(", "));
    }
    e.with_remediation(format!(
        "fix {} and send the request again",
        fields.join(", ")
    ))
}

fn text_problem(value: &str, max: usize) -> Option<String> {
    if value.trim().is_empty() {
        Some("must not be empty".into())
    } else if value.chars().count() > max {
        Some(format!("must be at most {max} characters"))
    } else if value.chars().any(char::is_control) {
        Some("must not contain control characters (CR, LF, tab, ...)".into())
    } else {
        None
    }
}

fn host_problem(host: &str) -> Option<String> {
    if let Some(p) = text_problem(host, 253) {
        return Some(p);
    }
    let ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '[' | ']'));
    (!ok || host.starts_with('-') || host.starts_with('.')).then(|| {
        "must be a host name or an IP address (letters, digits, '.', '-'; no scheme, port or path)"
            .into()
    })
}

/// The checked change; `creating` requires Okta's required fields.
fn validate(input: EmailServerIn, creating: bool) -> Result<EmailServerChange, ApiError> {
    let mut problems: Vec<(String, String)> = Vec::new();
    let require = |field: &str, present: bool, problems: &mut Vec<(String, String)>| {
        if creating && !present {
            problems.push((field.into(), "is required".into()));
        }
    };
    require("alias", input.alias.is_some(), &mut problems);
    require("host", input.host.is_some(), &mut problems);
    require("port", input.port.is_some(), &mut problems);
    require("username", input.username.is_some(), &mut problems);
    require("password", input.password.is_some(), &mut problems);
    if let Some(p) = input.alias.as_deref().and_then(|a| text_problem(a, 100)) {
        problems.push(("alias".into(), p));
    }
    if let Some(p) = input.host.as_deref().and_then(host_problem) {
        problems.push(("host".into(), p));
    }
    let port = match input.port {
        Some(p) if (1..=65535).contains(&p) => Some(p as u16),
        Some(_) => {
            problems.push((
                "port".into(),
                "must be a port number from 1 to 65535".into(),
            ));
            None
        }
        None => None,
    };
    if let Some(p) = input.username.as_deref().and_then(|u| text_problem(u, 255)) {
        problems.push(("username".into(), p));
    }
    if let Some(password) = &input.password {
        // Never echo the value.
        if password.is_empty() {
            problems.push(("password".into(), "must not be empty".into()));
        } else if password.chars().count() > 1024 {
            problems.push(("password".into(), "must be at most 1024 characters".into()));
        }
    }
    if let Some(tls) = &input.tls {
        if !TLS_MODES.contains(&tls.as_str()) {
            problems.push((
                "tls".into(),
                format!("must be one of {}", TLS_MODES.join(", ")),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(EmailServerChange {
        alias: input.alias.map(|a| a.trim().to_owned()),
        host: input.host.map(|h| h.trim().to_owned()),
        port,
        username: input.username,
        password: input.password.map(SecretString::from),
        enabled: input.enabled,
        tls: input.tls,
    })
}

/// Okta's `EmailServerResponse`, plus Roster's `tls`. Never the password.
fn server_json(s: &EmailServer, base: &str) -> Value {
    let href = format!("{base}/api/v1/email-servers/{}", s.id);
    json!({
        "id": s.id,
        "alias": s.alias,
        "host": s.host,
        "port": s.port,
        "username": s.username,
        "enabled": s.enabled,
        "tls": s.tls,
        "created": s.created,
        "lastUpdated": s.last_updated,
        "_links": {
            "self": { "href": href, "hints": { "allow": ["GET", "PATCH", "DELETE"] } },
            "test": { "href": format!("{href}/test"), "hints": { "allow": ["POST"] } },
        },
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/email-servers",
    operation_id = "listEmailServers",
    tag = "EmailServer",
    responses((status = 200, description = "`{\"email-servers\": [...]}`; passwords are never returned", body = crate::openapi::JsonObject), crate::openapi::ApiErrors),
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let servers = engine(&state)?.list_email_servers().await?;
    let base = &state.config.public_url;
    Ok(Json(json!({
        "email-servers": servers.iter().map(|s| server_json(s, base)).collect::<Vec<_>>()
    })))
}

#[utoipa::path(
    post,
    path = "/api/v1/email-servers",
    operation_id = "createEmailServer",
    tag = "EmailServer",
    request_body = crate::openapi::JsonObject,
    responses((status = 201, description = "The server (without its password)", body = crate::openapi::JsonObject), crate::openapi::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(input): ApiJson<EmailServerIn>,
) -> Result<Response, ApiError> {
    principal.require_write()?;
    let change = validate(input, true)?;
    let ctx = super::ctx(&state, &principal);
    let server = engine(&state)?.create_email_server(&ctx, change).await?;
    Ok((
        StatusCode::CREATED,
        Json(server_json(&server, &state.config.public_url)),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/email-servers/{emailServerId}",
    operation_id = "getEmailServer",
    tag = "EmailServer",
    params(("emailServerId" = String, Path, description = "Email server id")),
    responses((status = 200, description = "`{\"email-servers\": [the server]}`, as Okta answers", body = crate::openapi::JsonObject), crate::openapi::ApiErrors),
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let server = engine(&state)?.get_email_server(&id).await?;
    Ok(Json(
        json!({ "email-servers": [server_json(&server, &state.config.public_url)] }),
    ))
}

#[utoipa::path(
    patch,
    path = "/api/v1/email-servers/{emailServerId}",
    operation_id = "updateEmailServer",
    tag = "EmailServer",
    params(("emailServerId" = String, Path, description = "Email server id")),
    request_body = crate::openapi::JsonObject,
    responses((status = 200, description = "The server (without its password)", body = crate::openapi::JsonObject), crate::openapi::ApiErrors),
)]
pub async fn update(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EmailServerIn>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let change = validate(input, false)?;
    let ctx = super::ctx(&state, &principal);
    let server = engine(&state)?
        .update_email_server(&ctx, &id, change)
        .await?;
    Ok(Json(server_json(&server, &state.config.public_url)))
}

#[utoipa::path(
    delete,
    path = "/api/v1/email-servers/{emailServerId}",
    operation_id = "deleteEmailServer",
    tag = "EmailServer",
    params(("emailServerId" = String, Path, description = "Email server id")),
    responses((status = 204, description = "Deleted"), crate::openapi::ApiErrors),
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    let ctx = super::ctx(&state, &principal);
    engine(&state)?.delete_email_server(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = "/api/v1/email-servers/{emailServerId}/test",
    operation_id = "testEmailServer",
    tag = "EmailServer",
    params(("emailServerId" = String, Path, description = "Email server id")),
    request_body = crate::openapi::JsonObject,
    responses((status = 204, description = "The server accepted the test email"), crate::openapi::ApiErrors),
)]
pub async fn test(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<EmailTestIn>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    let engine = engine(&state)?;
    // Not found before anything else, so an unknown id is a 404 whatever the body.
    engine.get_email_server(&id).await?;
    let Some(to) = input
        .to_address
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(invalid(vec![(
            "toAddress".into(),
            "is required: API tokens belong to no mailbox, so say where the test email goes".into(),
        )]));
    };
    let ctx = super::ctx(&state, &principal);
    match engine
        .test_email_server(&ctx, &id, input.from_address.as_deref(), to)
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(TestSendError::Address(message)) => {
            let field = if message.contains("fromAddress") {
                "fromAddress"
            } else {
                "toAddress"
            };
            Err(invalid(vec![(field.into(), message)]))
        }
        Err(TestSendError::Send(e)) => {
            let (field, cause) = match (e.kind, e.code) {
                (_, Some(530 | 534 | 535 | 538)) => {
                    ("password", "the server refused the username and password")
                }
                (roster_mail::SendErrorKind::Transient, _) => (
                    "host",
                    "the server could not be reached, or asked Roster to try later",
                ),
                (_, Some(550..=554)) => (
                    "toAddress",
                    "the server refused the sender or the recipient",
                ),
                _ => (
                    "tls",
                    "the server refused the mail, or the TLS asked for cannot be had",
                ),
            };
            let mut err = ApiError::validation(
                field,
                format!("the test email was not sent: {}", e.message),
            )
            .with_cause(cause.to_owned())
            .with_remediation(
                "check host, port, tls, username and password (PATCH /api/v1/email-servers/{id}), then test again",
            );
            err.summary = "The test email was not sent".into();
            Err(err)
        }
        Err(TestSendError::Other(e)) => Err(e.into()),
    }
}
