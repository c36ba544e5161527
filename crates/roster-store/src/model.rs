//! Query and result types of the store's API.

use roster_core::Timestamp;
use roster_filter::Filter;
use serde_json::Value;

/// The largest page a list call returns, whatever limit is asked for.
pub const MAX_PAGE_SIZE: u32 = 10_000;

/// One page of a keyset-paged listing. Pass `next_after` as the next query's `after` to
/// continue; it is `None` on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor for the next page, when there are more items.
    pub next_after: Option<String>,
    /// The cursor just past the last item of this page, whenever the page is not empty, even
    /// on the last page (the System Log's polling clients keep asking from there).
    pub end_cursor: Option<String>,
}

/// `list_users`: users ordered by id, after the `after` id.
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    pub filter: Option<Filter>,
    /// Okta's `q=`: a case-insensitive prefix of login, email, first name or last name.
    pub q: Option<String>,
    /// Only users with an id greater than this (the previous page's `next_after`).
    pub after: Option<String>,
    /// Page size, clamped to 1..=[`MAX_PAGE_SIZE`].
    pub limit: u32,
}

/// `list_groups`: groups ordered by id, after the `after` id.
#[derive(Debug, Clone, Default)]
pub struct GroupQuery {
    pub filter: Option<Filter>,
    /// Okta's `q=`: a case-insensitive prefix of the group name.
    pub q: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

/// Order of System Log events: by insertion, oldest first or newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Asc,
    Desc,
}

/// `list_events`: System Log events in insertion order.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub filter: Option<Filter>,
    /// Only events published at or after this time.
    pub since: Option<Timestamp>,
    /// Only events published before this time.
    pub until: Option<Timestamp>,
    /// A cursor from a previous page's `next_after`.
    pub after: Option<String>,
    pub limit: u32,
    pub order: Order,
}

/// A JSON document of some `kind` (a password policy, the profile schema, ...), stored whole.
/// The core types are serialised elsewhere; the store keeps the JSON, an ordering priority
/// and a version for optimistic concurrency.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub kind: String,
    pub id: String,
    /// Documents of a kind list by priority, then id.
    pub priority: i64,
    pub body: Value,
    /// Set by the store: 1 when created, bumped on every write.
    pub version: i64,
    pub updated: Timestamp,
}

pub(crate) fn clamp_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE_SIZE))
}
