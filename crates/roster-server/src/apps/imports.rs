//! `/api/v1/apps/{id}/imports`: start an import (a CSV app's file is the request body, streamed
//! to disk), read a job and its subjobs, the records waiting for confirmation, confirm them,
//! and resume or cancel a job the import safeguard paused.

use std::io::Write as _;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::StreamExt;
use roster_imports::{
    Confirm, ConfirmAction, CsvUpload, ImportError, ImportKind, Imports, StartImport,
};
use serde_json::{json, Value};

use super::import_wire::{job_out, pending_out};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::QueryPairs;
use crate::okta::ctx;
use crate::AppState;

/// The largest JSON body of a start request (the CSV upload has its own limit).
const MAX_JSON: usize = 64 * 1024;

pub fn imports(state: &AppState) -> Result<&Imports, ApiError> {
    state.imports.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "E0000060",
            "Imports are not available on this server",
        )
        .with_cause("this server was started without the import engine")
        .with_remediation("run `roster serve`, which starts it")
    })
}

impl From<ImportError> for ApiError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::NotFound { kind, id } => ApiError::not_found(kind, &id),
            ImportError::Invalid {
                field,
                message,
                remediation,
            } => ApiError::validation(&field, message).with_remediation(remediation),
            ImportError::Settings(settings) => {
                let mut e = ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "E0000001",
                    "Api validation failed: settings.app",
                )
                .with_cause(format!(
                    "the source settings have {} problem{}; nothing was saved",
                    settings.problems.len(),
                    if settings.problems.len() == 1 { "" } else { "s" }
                ))
                .with_remediation(settings.remediation());
                for p in &settings.problems {
                    e = e
                        .with_error_cause(format!("{}: {}", p.field, p.message))
                        .with_error_code_cause(settings.code(), &p.field);
                }
                e
            }
            ImportError::Busy { job_id } => ApiError::new(
                StatusCode::CONFLICT,
                "E0000112",
                "An import of this app is already running",
            )
            .with_cause(format!("import {job_id} of this app is RUNNING or PAUSED; an app runs one import at a time"))
            .with_remediation(format!(
                "wait for it (GET /api/v1/imports/{job_id}), or resume or cancel it if the safeguard paused it"
            )),
            ImportError::Source(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "E0000001",
                "Api validation failed: the source refused the connection test",
            )
            .with_error_cause(e.to_string())
            .with_error_code_cause(e.code(), "settings.app")
            .with_cause(format!(
                "Roster tested the settings against the source before saving them; {}",
                e.cause()
            ))
            .with_remediation(format!(
                "nothing was saved: {} (or save without the test: ?testConnection=false)",
                e.remediation()
            )),
            ImportError::Provisioning(e) => e.into(),
            ImportError::Directory(e) => e.into(),
            ImportError::Store(e) => e.into(),
        }
    }
}

fn base(state: &AppState) -> &str {
    &state.config.public_url
}

async fn view(imports: &Imports, job: &roster_imports::ImportJob, base: &str) -> Value {
    let subjobs = imports.subjob_states(job).await;
    job_out(job, &subjobs, base)
}

/// The import type of a start request: `FULL` (the default) or `INCREMENTAL`.
pub fn kind(value: Option<&str>) -> Result<ImportKind, ApiError> {
    match value.map(str::to_ascii_uppercase).as_deref() {
        None | Some("FULL") => Ok(ImportKind::Full),
        Some("INCREMENTAL") => Ok(ImportKind::Incremental),
        Some(other) => Err(ApiError::validation(
            "type",
            format!("{other:?} is not an import type"),
        )
        .with_remediation(
            "send FULL (read everything; may remove what is gone) or INCREMENTAL (read changes)",
        )),
    }
}

/// Stream a CSV body into a file of the upload directory (mode 0600), counting its rows.
pub async fn receive_csv(state: &AppState, body: Body) -> Result<CsvUpload, ApiError> {
    let dir = state.config.upload_dir.clone();
    std::fs::create_dir_all(&dir).map_err(|e| ApiError::internal(&e))?;
    let path = dir.join(format!("import-{}.csv", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path).map_err(|e| ApiError::internal(&e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    let mut stream = body.into_data_stream();
    let mut newlines = 0u64;
    let mut last = b'\n';
    let mut size = 0u64;
    let failed = |path: &std::path::Path, e: ApiError| {
        let _ = std::fs::remove_file(path);
        e
    };
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(c) => c,
            Err(e) => {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                    || e.to_string().contains("length limit");
                return Err(failed(
                    &path,
                    if too_large {
                        ApiError::payload_too_large().with_remediation(format!(
                            "an uploaded CSV may be at most {} bytes (ROSTER_IMPORT_MAX_BYTES)",
                            state.config.import_max_bytes
                        ))
                    } else {
                        ApiError::validation("body", format!("the upload was cut off: {e}"))
                            .with_remediation("send the whole file again")
                    },
                ));
            }
        };
        size += chunk.len() as u64;
        newlines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        if let Some(b) = chunk.last() {
            last = *b;
        }
        out.write_all(&chunk)
            .map_err(|e| failed(&path, ApiError::internal(&e)))?;
    }
    out.flush()
        .map_err(|e| failed(&path, ApiError::internal(&e)))?;
    if size == 0 {
        return Err(failed(
            &path,
            ApiError::validation("body", "the CSV file is empty")
                .with_remediation("send the file with its header row as the body"),
        ));
    }
    let lines = newlines + u64::from(last != b'\n');
    Ok(CsvUpload {
        name: "upload.csv".into(),
        path,
        rows: Some(lines.saturating_sub(1)),
    })
}

/// `POST /apps/{id}/imports`: JSON `{"type": "FULL" | "INCREMENTAL", "forceSync": false}`, or
/// for a CSV app the file itself (`Content-Type: text/csv`, `?type=` in the query). Answers 202
/// with the RUNNING job.
pub async fn start(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: QueryPairs,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    principal.require_write()?;
    let engine = imports(&state)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_csv = content_type.starts_with("text/csv")
        || content_type.starts_with("text/plain")
        || content_type.starts_with("application/octet-stream");
    let request = if is_csv {
        let csv = receive_csv(&state, body).await?;
        StartImport {
            kind: kind(params.get("type"))?,
            force_sync: params.bool("forceSync", false)?,
            csv: Some(csv),
        }
    } else {
        let bytes = axum::body::to_bytes(body, MAX_JSON)
            .await
            .map_err(|_| ApiError::payload_too_large())?;
        let json: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, "E0000003", "The request body was not well-formed")
                    .with_cause(format!("the body is not JSON: {e}"))
                    .with_remediation("send {\"type\":\"FULL\"} or {\"type\":\"INCREMENTAL\",\"forceSync\":false}; a CSV app takes the file with Content-Type: text/csv")
            })?
        };
        let force_sync = match json.get("forceSync") {
            None | Some(Value::Null) => params.bool("forceSync", false)?,
            Some(Value::Bool(b)) => *b,
            Some(v) => {
                return Err(
                    ApiError::validation("forceSync", format!("{v} is not true or false"))
                        .with_remediation("send true or false"),
                )
            }
        };
        let type_text = match json.get("type") {
            None | Some(Value::Null) => params.get("type").map(str::to_owned),
            Some(Value::String(s)) => Some(s.clone()),
            Some(v) => {
                return Err(
                    ApiError::validation("type", format!("{v} is not an import type"))
                        .with_remediation("send \"FULL\" or \"INCREMENTAL\""),
                )
            }
        };
        StartImport {
            kind: kind(type_text.as_deref())?,
            force_sync,
            csv: None,
        }
    };
    let job = engine.start(&ctx(&state, &principal), &id, request).await?;
    let body = view(engine, &job, base(&state)).await;
    let location = format!("{}/api/v1/apps/{id}/imports/{}", base(&state), job.id);
    let mut response = (StatusCode::ACCEPTED, Json(body)).into_response();
    if let Ok(v) = location.parse() {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

pub async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    let engine = imports(&state)?;
    let app = state
        .provisioning
        .as_ref()
        .ok_or_else(|| ApiError::not_found("app", &id))?
        .get_app(&id)
        .await?;
    let mut out = Vec::new();
    for job in engine.list_jobs(&app.id).await? {
        out.push(view(engine, &job, base(&state)).await);
    }
    Ok(Json(out))
}

pub async fn get(
    State(state): State<AppState>,
    Path((id, job_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let engine = imports(&state)?;
    let job = engine.get_app_job(&id, &job_id).await?;
    Ok(Json(view(engine, &job, base(&state)).await))
}

/// `GET /api/v1/imports/{jobId}`: a job without its app's id (the CLI's `roster import status`).
pub async fn get_any(
    State(state): State<AppState>,
    Path(job_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let engine = imports(&state)?;
    let job = engine.get_job(&job_id).await?;
    Ok(Json(view(engine, &job, base(&state)).await))
}

/// `GET .../imports/{jobId}/users`: the records waiting for confirmation, paged by `after`.
pub async fn pending(
    State(state): State<AppState>,
    Path((id, job_id)): Path<(String, String)>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<Value>>), ApiError> {
    let engine = imports(&state)?;
    let limit = params.limit(200, 1000)?;
    let page = engine
        .pending(&id, &job_id, params.get("after").map(str::to_owned), limit)
        .await?;
    let headers = crate::paging::link_headers(
        base(&state),
        &format!("/api/v1/apps/{id}/imports/{job_id}/users"),
        &params,
        page.next_after.as_deref(),
    );
    Ok((headers, Json(page.items.iter().map(pending_out).collect())))
}

/// The confirmation a `POST .../confirm` body asks for:
/// `{"users": [{"externalId", "action": "LINK" | "CREATE" | "IGNORE", "userId"}], "all", "activate"}`.
pub fn confirm_in(body: &Value) -> Result<Confirm, ApiError> {
    let all = match body.get("all") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(
                ApiError::validation("all", format!("{v} is not true or false"))
                    .with_remediation("send true to confirm every waiting record as proposed"),
            )
        }
    };
    let activate = match body.get("activate") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            return Err(
                ApiError::validation("activate", format!("{v} is not true or false"))
                    .with_remediation("send true to activate the confirmed users"),
            )
        }
    };
    let mut items = Vec::new();
    match body.get("users") {
        None | Some(Value::Null) => {}
        Some(Value::Array(users)) => {
            for (i, u) in users.iter().enumerate() {
                let Some(ext) = u.get("externalId").and_then(Value::as_str) else {
                    return Err(ApiError::validation(
                        &format!("users[{i}].externalId"),
                        "each confirmed record needs its externalId",
                    )
                    .with_remediation(
                        "use the externalId values GET .../imports/{jobId}/users lists",
                    ));
                };
                let user_id = u.get("userId").and_then(Value::as_str).map(str::to_owned);
                let action = match u
                    .get("action")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_uppercase)
                    .as_deref()
                {
                    None | Some("LINK") => ConfirmAction::Link(user_id),
                    Some("CREATE") => ConfirmAction::Create,
                    Some("IGNORE") => ConfirmAction::Ignore,
                    Some(other) => {
                        return Err(ApiError::validation(
                            &format!("users[{i}].action"),
                            format!("{other:?} is not an action"),
                        )
                        .with_remediation("send LINK (with userId when there are several candidates), CREATE or IGNORE"))
                    }
                };
                items.push((ext.to_owned(), action));
            }
        }
        Some(v) => {
            return Err(ApiError::validation("users", format!("{v} is not a list"))
                .with_remediation(
                    "send users as a list of {\"externalId\", \"action\", \"userId\"}",
                ))
        }
    }
    Ok(Confirm {
        items,
        all,
        activate,
    })
}

/// `POST .../imports/{jobId}/confirm`.
pub async fn confirm(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, job_id)): Path<(String, String)>,
    crate::extract::ApiJson(body): crate::extract::ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let engine = imports(&state)?;
    let confirm = confirm_in(&body)?;
    let job = engine
        .confirm(&ctx(&state, &principal), &id, &job_id, confirm)
        .await?;
    Ok(Json(view(engine, &job, base(&state)).await))
}

/// `POST .../imports/{jobId}/{resume|cancel}`.
pub async fn lifecycle(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, job_id, op)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let engine = imports(&state)?;
    let ctx = ctx(&state, &principal);
    let job = match op.as_str() {
        "resume" => engine.resume(&ctx, &id, &job_id).await?,
        "cancel" => engine.cancel(&ctx, &id, &job_id).await?,
        other => {
            return Err(ApiError::not_found("import operation", other)
                .with_remediation("use resume or cancel"))
        }
    };
    Ok(Json(view(engine, &job, base(&state)).await))
}
