//! `GET /api/v1/logs`: the System Log, with Okta's parameters (`since`, `until`, `after`,
//! `filter`, `q`, `sortOrder`, `limit`) and Okta's two paging modes: a bounded request (with
//! `until`, or sorted DESCENDING) ends with no `next` link; a polling request (no `until`,
//! ASCENDING) always carries `next`, so a client can keep polling for new events.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use roster_core::{LogEvent, Timestamp};
use roster_filter::{AttrPath, CompareOp, Filter, Span, Value};
use roster_store::{EventQuery, Order, StoreError};

use crate::error::ApiError;
use crate::extract::QueryPairs;
use crate::paging::link_headers;
use crate::AppState;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

#[utoipa::path(
    get,
    path = "/api/v1/logs",
    operation_id = "listLogEvents",
    tag = "SystemLog",
    params(("since" = Option<String>, Query, description = "ISO 8601 lower bound of `published`"), ("until" = Option<String>, Query, description = "ISO 8601 upper bound of `published`"), ("sortOrder" = Option<String>, Query, description = "ASCENDING (default) or DESCENDING"), ("filter" = Option<String>, Query, description = "Okta filter expression"), ("q" = Option<String>, Query, description = "Prefix search"), ("limit" = Option<u32>, Query, description = "Largest number of results in a page"), ("after" = Option<String>, Query, description = "The cursor of the next page, from a `next` Link header")),
    responses((status = 200, description = "A page of events; `Link` headers carry `self` and `next`", body = [crate::openapi::LogEvent]), crate::openapi::ApiErrors),
)]
pub async fn list_logs(
    State(state): State<AppState>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<LogEvent>>), ApiError> {
    let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let LogSearch {
        page,
        polling,
        after,
    } = search_logs(&state, &params, limit, Order::Asc).await?;
    // Bounded requests end without `next`; a polling request always gets one, pointing past
    // the last event it has seen, so the client can ask again for newer events.
    let next = match page.next_after.clone() {
        Some(next) => Some(next),
        None if polling => page.end_cursor.clone().or(after),
        None => None,
    };
    let headers = link_headers(
        &state.config.public_url,
        "/api/v1/logs",
        &params,
        next.as_deref(),
    );
    Ok((headers, Json(page.items)))
}

/// One search of the System Log: what `GET /api/v1/logs` and the console's log page both run.
pub struct LogSearch {
    pub page: roster_store::Page<LogEvent>,
    /// A request without `until`, oldest first: it always gets a `next` link.
    pub polling: bool,
    pub after: Option<String>,
}

/// Search the System Log with Okta's parameters (`since`, `until`, `sortOrder`, `filter`, `q`,
/// `after`); `default_order` applies when `sortOrder` is absent.
pub async fn search_logs(
    state: &AppState,
    params: &QueryPairs,
    limit: u32,
    default_order: Order,
) -> Result<LogSearch, ApiError> {
    let since = parse_time(params, "since")?;
    let until = parse_time(params, "until")?;
    let order = match params.get("sortOrder") {
        None | Some("") => default_order,
        Some("ASCENDING") => Order::Asc,
        Some("DESCENDING") => Order::Desc,
        Some(other) => {
            return Err(ApiError::validation(
                "sortOrder",
                format!("sortOrder must be ASCENDING or DESCENDING, not {other:?}"),
            )
            .with_remediation("send sortOrder=ASCENDING (the default) or sortOrder=DESCENDING"))
        }
    };
    let mut filter = match params.get("filter") {
        Some(text) if !text.trim().is_empty() => Some(parse_filter("filter", text)?),
        _ => None,
    };
    let user_filter = filter.clone();
    if let Some(q) = params.get("q").filter(|q| !q.trim().is_empty()) {
        let keywords = keyword_filter(q);
        filter = Some(match filter {
            Some(f) => Filter::And(Box::new(f), Box::new(keywords)),
            None => keywords,
        });
    }
    let after = params
        .get("after")
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let query = EventQuery {
        filter,
        since,
        until,
        after: after.clone(),
        limit,
        order,
    };
    let page = state
        .store
        .list_events(&query)
        .await
        .map_err(|err| match err {
            StoreError::InvalidFilter { field, message } if field == "after" => {
                ApiError::validation("after", message).with_remediation(
                    "send the after value of a `next` link as it is, or leave after out",
                )
            }
            StoreError::InvalidFilter { field, message } => {
                attribute_error("filter", user_filter.as_ref(), &field, &message)
            }
            other => ApiError::from(other),
        })?;

    Ok(LogSearch {
        polling: until.is_none() && order == Order::Asc,
        page,
        after,
    })
}

fn parse_time(params: &QueryPairs, name: &str) -> Result<Option<Timestamp>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(raw) => Timestamp::parse(raw).map(Some).ok_or_else(|| {
            ApiError::validation(name, format!("{name} must be an ISO-8601 timestamp such as 2026-11-22T10:00:00.000Z, not {raw:?}"))
                .with_remediation(format!("send {name} in ISO-8601 with a time zone, e.g. 2026-11-22T10:00:00.000Z"))
        }),
    }
}

/// Parse a filter parameter, turning a syntax error into E0000031 with the position. A string
/// value holding U+0000 is refused here too: no attribute can hold it, and no store takes it.
pub fn parse_filter(param: &str, text: &str) -> Result<Filter, ApiError> {
    let filter = roster_filter::parse(text).map_err(|e| {
        ApiError::invalid_search(param, format!("{e} (at character {})", e.position() + 1))
    })?;
    if let Some(at) = nul_value_at(&filter) {
        return Err(ApiError::invalid_search(
            param,
            format!(
                "a value holds the NUL character (\\u0000), which no attribute can hold (at character {})",
                at + 1
            ),
        ));
    }
    Ok(filter)
}

/// The start of the first comparison whose string value holds U+0000.
fn nul_value_at(filter: &Filter) -> Option<usize> {
    match filter {
        Filter::Compare {
            value: Value::String(s),
            span,
            ..
        } if s.contains('\0') => Some(span.start),
        Filter::Compare { .. } | Filter::Present { .. } => None,
        Filter::And(a, b) | Filter::Or(a, b) => nul_value_at(a).or_else(|| nul_value_at(b)),
        Filter::Not(f, _) | Filter::ValuePath { filter: f, .. } => nul_value_at(f),
    }
}

/// Where the filter names the attribute `field` (a byte offset), to point at an attribute the
/// store cannot search.
fn attribute_at(filter: &Filter, field: &str) -> Option<usize> {
    match filter {
        Filter::Compare { path, .. } | Filter::Present { path, .. } => {
            (path.dotted() == field).then_some(path.span.start)
        }
        Filter::ValuePath { path, filter, .. } => {
            if path.dotted() == field {
                Some(path.span.start)
            } else {
                attribute_at(filter, field)
            }
        }
        Filter::And(a, b) | Filter::Or(a, b) => {
            attribute_at(a, field).or_else(|| attribute_at(b, field))
        }
        Filter::Not(f, _) => attribute_at(f, field),
    }
}

/// E0000031 for an attribute the store refused (unknown, or not searchable), naming the
/// parameter, the attribute and where the expression names it.
pub fn attribute_error(
    param: &str,
    filter: Option<&Filter>,
    field: &str,
    message: &str,
) -> ApiError {
    let at = filter
        .and_then(|f| attribute_at(f, field))
        .map(|p| format!(" (at character {})", p + 1))
        .unwrap_or_default();
    ApiError::invalid_search(param, format!("{field}: {message}{at}"))
}

/// A directory error from a list call with a `search` or `filter`: filter problems become
/// E0000031 naming the parameter and the position; anything else maps as usual.
pub fn list_error(
    param: &str,
    filter: Option<&Filter>,
    err: roster_directory::DirectoryError,
) -> ApiError {
    match err {
        roster_directory::DirectoryError::InvalidFilter {
            field,
            message,
            position: None,
        } => attribute_error(param, filter, &field, &message),
        other => ApiError::from(other),
    }
}

/// Okta's `q`: every whitespace-separated keyword must occur in the event's message, type,
/// actor or target.
fn keyword_filter(q: &str) -> Filter {
    let fields = [
        "displayMessage",
        "eventType",
        "actor.alternateId",
        "actor.displayName",
        "target.alternateId",
        "target.displayName",
    ];
    let mut all: Option<Filter> = None;
    for word in q.split_whitespace() {
        let mut any: Option<Filter> = None;
        for field in fields {
            let cmp = Filter::Compare {
                path: AttrPath {
                    schema: None,
                    segments: field.split('.').map(String::from).collect(),
                    span: Span::default(),
                },
                op: CompareOp::Co,
                value: Value::String(word.to_owned()),
                span: Span::default(),
            };
            any = Some(match any {
                Some(f) => Filter::Or(Box::new(f), Box::new(cmp)),
                None => cmp,
            });
        }
        if let Some(any) = any {
            all = Some(match all {
                Some(f) => Filter::And(Box::new(f), Box::new(any)),
                None => any,
            });
        }
    }
    all.unwrap_or(Filter::Present {
        path: AttrPath {
            schema: None,
            segments: vec!["eventType".into()],
            span: Span::default(),
        },
        span: Span::default(),
    })
}
