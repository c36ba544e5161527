//! `/admin/logs`: the System Log, newest first, searched with the shared filter language
//! (`filter`), keywords (`q`) and a time window (`since`, `until`); each event expands to its
//! targets, its `debugContext.debugData` and its raw JSON. The same search as `GET /api/v1/logs`
//! (`roster_server::logs::search_logs`).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use roster_core::{LogEvent, Timestamp};
use roster_server::extract::QueryPairs;
use roster_server::AppState;
use roster_store::Order;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{ErrorView, PageError};
use crate::session::{urlencode, Admin};
use crate::view::{self, pretty, tone, when, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/logs", get(list))
}

const PAGE_SIZE: u32 = 50;

/// Queries an administrator runs often, one click away.
const SAVED: [(&str, &str); 5] = [
    ("Failures", "outcome.result eq \"FAILURE\""),
    (
        "Profile source updates rejected (seed 004)",
        "eventType eq \"app.user_management.update_from_master_failed\"",
    ),
    (
        "Push failures",
        "eventType sw \"application.provision\" and outcome.result eq \"FAILURE\"",
    ),
    ("All provisioning", "eventType sw \"application.provision\""),
    (
        "Admin sign-ins",
        "eventType eq \"user.session.access_admin_app\"",
    ),
];

#[derive(Deserialize, Default)]
pub struct LogQuery {
    #[serde(default)]
    filter: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    after: String,
}

/// One target of an event, with a link to its console page when there is one.
pub struct TargetView {
    pub kind: String,
    pub label: String,
    pub id: String,
    pub href: Option<String>,
}

/// One event as the page shows it.
pub struct EventView {
    pub when: String,
    pub published: String,
    pub event_type: String,
    pub message: String,
    pub outcome: String,
    pub reason: String,
    pub severity: String,
    pub actor: String,
    pub actor_kind: String,
    pub ip: String,
    pub transaction: String,
    pub targets: Vec<TargetView>,
    pub debug: Vec<(String, String)>,
    pub raw: String,
}

fn target_href(kind: &str, id: &str) -> Option<String> {
    let id = urlencode(id);
    match kind {
        "User" => Some(format!("/admin/users/{id}")),
        "UserGroup" => Some(format!("/admin/groups/{id}")),
        "Task" => Some(format!("/admin/tasks/{id}")),
        "AppInstance" => Some(format!("/admin/apps/{id}")),
        "PasswordPolicy" => Some(format!("/admin/policies/{id}")),
        _ => None,
    }
}

impl EventView {
    fn of(e: &LogEvent) -> Self {
        let actor = e
            .actor
            .alternate_id
            .clone()
            .or_else(|| e.actor.display_name.clone())
            .unwrap_or_else(|| e.actor.id.clone());
        let targets = e
            .target
            .iter()
            .map(|t| TargetView {
                kind: t.kind.clone(),
                label: match (&t.alternate_id, &t.display_name) {
                    (Some(a), Some(d)) if t.kind != "User" && a != d => format!("{d} ({a})"),
                    (Some(a), _) => a.clone(),
                    (None, Some(d)) => d.clone(),
                    (None, None) => t.id.clone(),
                },
                id: t.id.clone(),
                href: target_href(&t.kind, &t.id),
            })
            .collect();
        let debug = e
            .debug_context
            .debug_data
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => pretty(other),
                };
                (k.clone(), text)
            })
            .collect();
        let severity = serde_json::to_value(e.severity)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        EventView {
            when: when(&e.published),
            published: e.published.to_string(),
            event_type: e.event_type.clone(),
            message: e.display_message.clone(),
            outcome: e.outcome.result.clone(),
            reason: e.outcome.reason.clone().unwrap_or_default(),
            severity,
            actor,
            actor_kind: e.actor.kind.clone(),
            ip: e.client.ip_address.clone().unwrap_or_default(),
            transaction: e.transaction.id.clone(),
            targets,
            debug,
            raw: serde_json::to_string_pretty(e).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "logs.html")]
struct LogsPage {
    chrome: Chrome,
    filter: String,
    q: String,
    /// The time window as the `datetime-local` inputs show it (UTC).
    since: String,
    until: String,
    events: Vec<EventView>,
    next: Option<String>,
    /// Whether this is a later page (offer the way back to the newest events).
    paged: bool,
    error: Option<ErrorView>,
    /// The filter with a marker under the character the error points at.
    caret: Option<(String, String)>,
}

impl LogsPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn saved(&self) -> Vec<(&'static str, &'static str, String)> {
        SAVED
            .iter()
            .map(|(label, filter)| {
                (
                    *label,
                    *filter,
                    format!("/admin/logs?filter={}", urlencode(filter)),
                )
            })
            .collect()
    }
    fn is_current(&self, filter: &str) -> bool {
        self.filter.trim() == filter && self.q.trim().is_empty()
    }
    fn first_href(&self) -> String {
        format!(
            "/admin/logs?filter={}&q={}&since={}&until={}",
            urlencode(&self.filter),
            urlencode(&self.q),
            urlencode(&self.since),
            urlencode(&self.until)
        )
    }
    fn next_href(&self, after: &str) -> String {
        format!("{}&after={}", self.first_href(), urlencode(after))
    }
    /// `datetime-local` for a value it can show, `text` otherwise (the admin's text is kept).
    fn time_type(&self, value: &str) -> &'static str {
        let ok = value.is_empty()
            || (value.len() == 19 && Timestamp::parse(&format!("{value}Z")).is_some());
        if ok {
            "datetime-local"
        } else {
            "text"
        }
    }
    /// Whether the error is about this input (`filter`, `since`, `until`, `q`).
    fn invalid(&self, field: &str) -> bool {
        match &self.error {
            Some(e) if field == "filter" && e.code == "E0000031" => true,
            Some(e) => crate::pages::groups::field_message(Some(e), field).is_some(),
            None => false,
        }
    }
    fn filtered(&self) -> bool {
        !(self.filter.trim().is_empty()
            && self.q.trim().is_empty()
            && self.since.is_empty()
            && self.until.is_empty())
    }
}

/// A time the form sent, as the API takes it: ISO-8601 with a zone. A `datetime-local` value
/// (`2026-11-22T10:00`, no zone) is read as UTC; anything else goes to the API as typed, so a
/// bad value gets the API's own error.
fn iso_time(raw: &str) -> String {
    let raw = raw.trim();
    if raw.is_empty() || Timestamp::parse(raw).is_some() {
        return raw.to_owned();
    }
    let local = match raw.len() {
        16 => format!("{raw}:00Z"),
        _ => format!("{raw}Z"),
    };
    if Timestamp::parse(&local).is_some() {
        local
    } else {
        raw.to_owned()
    }
}

/// A time for a `datetime-local` input (UTC, to the second), or the text as given.
fn local_input(iso: &str) -> String {
    match Timestamp::parse(iso) {
        Some(t) => t.to_string().chars().take(19).collect(),
        None => iso.to_owned(),
    }
}

/// The filter text and a line with `^` under the character an E0000031 names
/// (`... (at character N)`).
fn caret_for(filter: &str, error: &ErrorView) -> Option<(String, String)> {
    let text = [error.cause.as_str()]
        .into_iter()
        .chain(error.causes.iter().map(|c| c.text.as_str()))
        .find(|t| t.contains("(at character "))?;
    let at = text.rsplit("(at character ").next()?;
    let n: usize = at
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()?;
    // The position counts bytes from 1; the marker line counts characters.
    let byte = n.checked_sub(1)?;
    let prefix = filter.get(..byte.min(filter.len()))?;
    let pad: String = prefix
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    Some((filter.to_owned(), format!("{pad}^")))
}

/// `GET /admin/logs?filter=&q=&since=&until=&after=`.
pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<LogQuery>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&admin, "logs", &headers);
    let since = iso_time(&query.since);
    let until = iso_time(&query.until);
    let mut pairs = Vec::new();
    if !query.filter.trim().is_empty() {
        pairs.push(("filter".to_owned(), query.filter.clone()));
    }
    if !query.q.trim().is_empty() {
        pairs.push(("q".to_owned(), query.q.trim().to_owned()));
    }
    if !since.is_empty() {
        pairs.push(("since".to_owned(), since.clone()));
    }
    if !until.is_empty() {
        pairs.push(("until".to_owned(), until.clone()));
    }
    if !query.after.is_empty() {
        pairs.push(("after".to_owned(), query.after.clone()));
    }
    let (events, next, error, status) =
        match roster_server::logs::search_logs(&state, &QueryPairs(pairs), PAGE_SIZE, Order::Desc)
            .await
        {
            Ok(found) => (
                found.page.items.iter().map(EventView::of).collect(),
                found.page.next_after,
                None,
                StatusCode::OK,
            ),
            Err(e) => (Vec::new(), None, Some(ErrorView::from_api(&e)), e.status),
        };
    let caret = error
        .as_ref()
        .filter(|e| e.code == "E0000031")
        .and_then(|e| caret_for(&query.filter, e));
    let page = LogsPage {
        chrome: chrome.clone(),
        filter: query.filter,
        q: query.q,
        since: local_input(&since),
        until: local_input(&until),
        events,
        next,
        paged: !query.after.is_empty(),
        error,
        caret,
    };
    Ok(view::render_status(&state, &chrome, status, &page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_local_values_are_read_as_utc() {
        assert_eq!(iso_time("2026-11-22T10:00"), "2026-11-22T10:00:00Z");
        assert_eq!(iso_time("2026-11-22T10:00:30"), "2026-11-22T10:00:30Z");
        assert_eq!(
            iso_time("2026-11-22T10:00:00.000Z"),
            "2026-11-22T10:00:00.000Z"
        );
        assert_eq!(iso_time("yesterday"), "yesterday");
        assert_eq!(local_input("2026-11-22T10:00:00Z"), "2026-11-22T10:00:00");
    }

    #[test]
    fn the_caret_points_at_the_reported_character() {
        let error = ErrorView {
            code: "E0000031".into(),
            summary: String::new(),
            causes: Vec::new(),
            cause: "expected an operator (at character 11)".into(),
            remediation: String::new(),
        };
        let (text, caret) = caret_for("eventType eqq \"x\"", &error).unwrap_or_default();
        assert_eq!(text, "eventType eqq \"x\"");
        assert_eq!(caret, "          ^");
    }
}
