//! `GET /api/v1/logs`: the System Log, with Okta's parameters (`since`, `until`, `after`,
//! `filter`, `q`, `sortOrder`, `limit`) and Okta's two paging modes: a bounded request (with
//! `until`, or sorted DESCENDING) ends with no `next` link; a polling request (no `until`,
//! ASCENDING) always carries `next`, so a client can keep polling for new events.

use axum::extract::State;
use axum::http::header::LINK;
use axum::http::HeaderMap;
use axum::Json;
use roster_core::{LogEvent, Timestamp};
use roster_filter::{AttrPath, CompareOp, Filter, Span, Value};
use roster_store::{EventQuery, Order};

use crate::error::ApiError;
use crate::extract::QueryPairs;
use crate::paging::link_header;
use crate::AppState;

const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

pub async fn list_logs(
    State(state): State<AppState>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<LogEvent>>), ApiError> {
    let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let since = parse_time(&params, "since")?;
    let until = parse_time(&params, "until")?;
    let order = match params.get("sortOrder") {
        None | Some("") | Some("ASCENDING") => Order::Asc,
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
    let page = state.store.list_events(&query).await?;

    // Bounded requests end without `next`; a polling request always gets one, pointing past
    // the last event it has seen, so the client can ask again for newer events.
    let polling = until.is_none() && order == Order::Asc;
    let next = match page.next_after.clone() {
        Some(next) => Some(next),
        None if polling => page.end_cursor.clone().or(after),
        None => None,
    };
    let mut headers = HeaderMap::new();
    for link in link_header(
        &state.config.public_url,
        "/api/v1/logs",
        &params.without_after(),
        next.as_deref(),
    ) {
        headers.append(LINK, link);
    }
    Ok((headers, Json(page.items)))
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

/// Parse a filter parameter, turning a syntax error into E0000031 with the position.
pub fn parse_filter(param: &str, text: &str) -> Result<Filter, ApiError> {
    roster_filter::parse(text).map_err(|e| {
        ApiError::invalid_search(param, format!("{e} (at character {})", e.position() + 1))
    })
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
