//! `/Bulk` (RFC 7644 section 3.7): many operations in one request, each run as if it came alone
//! (its own checks, its own transaction, its own events), with `bulkId` references and
//! `failOnErrors`.
//!
//! - A value `"bulkId:<id>"` anywhere in `data`, or a path segment `bulkId:<id>`, is replaced by
//!   the id of the resource the POST with that `bulkId` created. Operations are run in request
//!   order, except that one referring to a `bulkId` created later waits for it; references that
//!   can never be resolved (circular, or to a failed or unknown operation) fail with 409.
//! - `failOnErrors: n` stops after the n-th error; the operations not run are not in the answer.
//! - Limits ([`MAX_OPERATIONS`], [`MAX_PAYLOAD`]) are published in `/ServiceProviderConfig`;
//!   past them the whole request is 413.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use serde_json::{json, Map, Value};

use super::body::parse_json;
use super::error::ScimError;
use super::wire::{BulkOperation, BulkRequest, BULK_REQUEST_URN, BULK_RESPONSE_URN};
use super::{body_bytes, groups, users, Call, ScimReply, ScimState};
use crate::auth::Principal;

/// Most operations in one Bulk request.
pub const MAX_OPERATIONS: usize = 1000;
/// Largest request body, in bytes (for every SCIM endpoint, Bulk included).
pub const MAX_PAYLOAD: usize = 1_000_000;

const BULK_PREFIX: &str = "bulkId:";

pub async fn bulk(
    State(st): State<ScimState>,
    Extension(principal): Extension<Principal>,
    body: Result<Bytes, BytesRejection>,
) -> Result<ScimReply, ScimError> {
    let call = Call { st, principal };
    let body = parse_json(&body_bytes(body)?)?;
    if !body.is_object() {
        return Err(ScimError::invalid_syntax(
            "The body must be a BulkRequest object",
        ));
    }
    let request: BulkRequest = serde_json::from_value(body).map_err(|e| {
        ScimError::invalid_syntax(format!(
            "The BulkRequest is not valid: {}",
            e.to_string().trim_end_matches('.')
        ))
    })?;
    if !request.schemas.is_empty()
        && !request
            .schemas
            .iter()
            .any(|s| s.eq_ignore_ascii_case(BULK_REQUEST_URN))
    {
        return Err(ScimError::invalid_value(format!(
            "A Bulk body must have schemas [\"{BULK_REQUEST_URN}\"]"
        )));
    }
    if request.operations.len() > MAX_OPERATIONS {
        return Err(ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!(
                "The BulkRequest has {} operations; at most {MAX_OPERATIONS} are allowed (bulk.maxOperations in /ServiceProviderConfig)",
                request.operations.len()
            ),
        ));
    }
    let results = run(
        &call,
        &request.operations,
        request
            .fail_on_errors
            .filter(|n| *n > 0)
            .map(|n| n as usize),
    )
    .await;
    Ok(ScimReply::ok(json!({
        "schemas": [BULK_RESPONSE_URN],
        "Operations": results,
    })))
}

/// Every `bulkId:` reference in an operation's path and data.
fn references(op: &BulkOperation) -> Vec<String> {
    let mut out = Vec::new();
    for segment in op.path.split('/') {
        if let Some(id) = segment.strip_prefix(BULK_PREFIX) {
            out.push(id.to_owned());
        }
    }
    if let Some(data) = &op.data {
        collect_refs(data, &mut out);
    }
    out
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_PREFIX) {
                out.push(id.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        Value::Object(m) => m.values().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn substitute(value: &Value, ids: &HashMap<String, String>) -> Value {
    match value {
        Value::String(s) => match s.strip_prefix(BULK_PREFIX).and_then(|id| ids.get(id)) {
            Some(resolved) => Value::String(resolved.clone()),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| substitute(v, ids)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), substitute(v, ids)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

fn substitute_path(path: &str, ids: &HashMap<String, String>) -> String {
    path.split('/')
        .map(
            |segment| match segment.strip_prefix(BULK_PREFIX).and_then(|id| ids.get(id)) {
                Some(resolved) => resolved.clone(),
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

fn error_result(op: &BulkOperation, err: &ScimError) -> Value {
    let mut out = json!({
        "method": op.method.to_ascii_uppercase(),
        "status": err.status.as_u16().to_string(),
        "response": err.body(),
    });
    if let (Some(id), Some(m)) = (&op.bulk_id, out.as_object_mut()) {
        m.insert("bulkId".into(), json!(id));
    }
    out
}

async fn run(call: &Call, ops: &[BulkOperation], fail_on_errors: Option<usize>) -> Vec<Value> {
    let mut results: Vec<Option<Value>> = vec![None; ops.len()];
    let mut created: HashMap<String, String> = HashMap::new();
    let mut failed_ids: Vec<String> = Vec::new();
    let mut pending: Vec<usize> = (0..ops.len()).collect();
    let mut errors = 0usize;
    'passes: while !pending.is_empty() {
        let mut progress = false;
        let mut still = Vec::new();
        for &i in &pending {
            let Some(op) = ops.get(i) else { continue };
            let refs = references(op);
            let unresolved: Vec<&String> =
                refs.iter().filter(|r| !created.contains_key(*r)).collect();
            let waiting = unresolved.iter().any(|r| {
                !failed_ids.contains(r)
                    && pending
                        .iter()
                        .any(|&j| j != i && ops.get(j).and_then(|o| o.bulk_id.as_ref()) == Some(*r))
            });
            let outcome = if unresolved.is_empty() {
                progress = true;
                execute(call, op, &created).await
            } else if waiting {
                still.push(i);
                continue;
            } else {
                progress = true;
                Err(ScimError::new(
                    StatusCode::CONFLICT,
                    Some(super::error::scim_type::INVALID_VALUE),
                    format!(
                        "bulkId:{} cannot be resolved: no operation of this request with that bulkId created a resource",
                        unresolved.first().map(|s| s.as_str()).unwrap_or_default()
                    ),
                ))
            };
            match outcome {
                Ok((result, id)) => {
                    if let (Some(bulk_id), Some(id)) = (&op.bulk_id, id) {
                        created.insert(bulk_id.clone(), id);
                    }
                    results[i] = Some(result);
                }
                Err(err) => {
                    if let Some(bulk_id) = &op.bulk_id {
                        failed_ids.push(bulk_id.clone());
                    }
                    results[i] = Some(error_result(op, &err));
                    errors += 1;
                    if fail_on_errors.is_some_and(|n| errors >= n) {
                        break 'passes;
                    }
                }
            }
        }
        if !progress {
            for &i in &still {
                if let Some(op) = ops.get(i) {
                    let err = ScimError::new(
                        StatusCode::CONFLICT,
                        Some(super::error::scim_type::INVALID_VALUE),
                        "the bulkId references of this operation are circular: each waits for the other",
                    );
                    results[i] = Some(error_result(op, &err));
                }
            }
            break;
        }
        pending = still;
    }
    results.into_iter().flatten().collect()
}

/// Run one operation; on success, its result and the id of the resource it created.
async fn execute(
    call: &Call,
    op: &BulkOperation,
    created: &HashMap<String, String>,
) -> Result<(Value, Option<String>), ScimError> {
    let method = op.method.to_ascii_uppercase();
    let path = substitute_path(&op.path, created);
    let data = op.data.as_ref().map(|d| substitute(d, created));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (kind, id) = match segments.as_slice() {
        [kind] => (*kind, None),
        [kind, id] => (*kind, Some(*id)),
        _ => {
            return Err(ScimError::invalid_path(format!(
                "{path:?} is not /Users, /Users/{{id}}, /Groups or /Groups/{{id}}"
            )))
        }
    };
    let users = kind.eq_ignore_ascii_case("Users");
    if !users && !kind.eq_ignore_ascii_case("Groups") {
        return Err(ScimError::invalid_path(format!(
            "{path:?} is not /Users, /Users/{{id}}, /Groups or /Groups/{{id}}"
        )));
    }
    let need_data = || {
        data.as_ref()
            .ok_or_else(|| ScimError::invalid_syntax(format!("{method} {path} needs data")))
    };
    let version = op.version.as_deref();
    let reply = match (method.as_str(), id) {
        ("POST", None) => {
            if users {
                users::create_op(call, need_data()?, None).await?
            } else {
                groups::create_op(call, need_data()?, None).await?
            }
        }
        ("PUT", Some(id)) => {
            if users {
                users::replace_op(call, id, need_data()?, version, None).await?
            } else {
                groups::replace_op(call, id, need_data()?, version, None).await?
            }
        }
        ("PATCH", Some(id)) => {
            if users {
                users::patch_op(call, id, need_data()?, version, None).await?
            } else {
                groups::patch_op(call, id, need_data()?, version, None).await?
            }
        }
        ("DELETE", Some(id)) => {
            let reply = if users { users::delete_op(call, id, version).await? } else { groups::delete_op(call, id, version).await? };
            let location = format!("{}/scim/v2/{}/{id}", call.base(), if users { "Users" } else { "Groups" });
            ScimReply { location: Some(location), ..reply }
        }
        _ => {
            return Err(ScimError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                None,
                format!("{method} {path} is not a Bulk operation: use POST on /Users or /Groups, PUT, PATCH or DELETE on /Users/{{id}} or /Groups/{{id}}"),
            ))
        }
    };
    let created_id = reply
        .body
        .as_ref()
        .and_then(|b| b.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut result = Map::new();
    result.insert("method".into(), json!(method));
    if let Some(bulk_id) = &op.bulk_id {
        result.insert("bulkId".into(), json!(bulk_id));
    }
    if let Some(etag) = &reply.etag {
        result.insert("version".into(), json!(etag));
    }
    if let Some(location) = &reply.location {
        result.insert("location".into(), json!(location));
    }
    result.insert("status".into(), json!(reply.status.as_u16().to_string()));
    Ok((
        Value::Object(result),
        if method == "POST" { created_id } else { None },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_and_substituted() {
        let op: BulkOperation = serde_json::from_value(json!({
            "method": "PATCH",
            "path": "/Groups/bulkId:g",
            "data": {"Operations": [{"op": "add", "path": "members", "value": [{"value": "bulkId:u1"}, {"value": "00u2"}]}]},
        }))
        .unwrap();
        assert_eq!(references(&op), ["g", "u1"]);
        let ids: HashMap<String, String> = [
            ("g".to_owned(), "00g1".to_owned()),
            ("u1".to_owned(), "00u1".to_owned()),
        ]
        .into();
        assert_eq!(substitute_path(&op.path, &ids), "/Groups/00g1");
        assert_eq!(
            substitute(op.data.as_ref().unwrap(), &ids)["Operations"][0]["value"],
            json!([{"value": "00u1"}, {"value": "00u2"}])
        );
    }
}
