//! Listing and searching (RFC 7644 sections 3.4.2 and 3.4.3): `filter`, `sortBy`/`sortOrder`,
//! `startIndex`/`count` (1-based), `attributes`/`excludedAttributes`, `GET` and `POST .search`.
//!
//! The store lists by id, keyset-paged, with no offset and no count of a filtered set, so:
//! - without `sortBy`, results are in id order. An unfiltered user list counts with
//!   `count_users` and reaches `startIndex` from a cursor kept for the previous page (a client
//!   paging through everything costs one page read per page), or by reading past the earlier
//!   users. A filtered list reads its matches page by page to count them, keeping only the
//!   requested window; past [`MAX_SCANNED`] matches it is 400 `tooMany`.
//! - with `sortBy`, at most [`MAX_SORTED`] matches are read and sorted in memory; past that it is
//!   400 `tooMany` (narrow the filter).

use roster_core::{Group, User};
use roster_directory::UserListQuery;
use roster_filter::Filter;
use serde_json::Value;

use super::attrs::{compare_values, sort_value, AttrRef, Projection};
use super::error::ScimError;
use super::filter::{self, Lookups, Needs, Tri};
use super::groups::{all_member_ids, group_json};
use super::schema::{group_resource, user_resource, ResourceSchema};
use super::users::user_json;
use super::wire::{ListResponse, SearchRequest, SEARCH_REQUEST_URN};
use super::Call;
use crate::extract::QueryPairs;

/// Most resources one list response carries (`filter.maxResults`).
pub const MAX_COUNT: usize = 1000;
/// `count` when none is given.
pub const DEFAULT_COUNT: usize = 100;
/// Most matches `sortBy` sorts.
pub const MAX_SORTED: usize = 10_000;
/// Most matches a filtered list reads to count them.
pub const MAX_SCANNED: usize = 100_000;

const STORE_PAGE: u32 = roster_store::MAX_PAGE_SIZE;

/// A list or search request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: Option<String>,
    pub sort_by: Option<String>,
    pub descending: bool,
    pub start_index: usize,
    pub count: usize,
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

fn split(list: Option<&str>) -> Vec<String> {
    list.map(|l| {
        l.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

fn descending(order: Option<&str>) -> Result<bool, ScimError> {
    match order.map(str::trim) {
        None | Some("") => Ok(false),
        Some(o) if o.eq_ignore_ascii_case("ascending") => Ok(false),
        Some(o) if o.eq_ignore_ascii_case("descending") => Ok(true),
        Some(o) => Err(ScimError::invalid_value(format!(
            "sortOrder must be ascending or descending, not {o:?}"
        ))),
    }
}

fn start_index(raw: Option<i64>) -> usize {
    raw.map(|n| n.max(1)).unwrap_or(1) as usize
}

fn count(raw: Option<i64>) -> usize {
    raw.map(|n| n.clamp(0, MAX_COUNT as i64) as usize)
        .unwrap_or(DEFAULT_COUNT)
}

fn integer(params: &QueryPairs, name: &str) -> Result<Option<i64>, ScimError> {
    match params.get(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => raw.parse::<i64>().map(Some).map_err(|_| {
            ScimError::invalid_value(format!("{name} must be a whole number, not {raw:?}"))
        }),
    }
}

impl ListQuery {
    pub fn from_params(params: &QueryPairs) -> Result<ListQuery, ScimError> {
        Ok(ListQuery {
            filter: params
                .get("filter")
                .filter(|f| !f.trim().is_empty())
                .map(str::to_owned),
            sort_by: params
                .get("sortBy")
                .filter(|s| !s.trim().is_empty())
                .map(str::to_owned),
            descending: descending(params.get("sortOrder"))?,
            start_index: start_index(integer(params, "startIndex")?),
            count: count(integer(params, "count")?),
            attributes: split(params.get("attributes")),
            excluded: split(params.get("excludedAttributes")),
        })
    }

    pub fn from_search_body(body: &Value) -> Result<ListQuery, ScimError> {
        if !body.is_object() {
            return Err(ScimError::invalid_syntax(
                "The body must be a SearchRequest object",
            ));
        }
        let request: SearchRequest = serde_json::from_value(body.clone()).map_err(|e| {
            ScimError::invalid_value(format!(
                "The SearchRequest is not valid: {}",
                e.to_string().trim_end_matches('.')
            ))
        })?;
        if !request.schemas.is_empty()
            && !request
                .schemas
                .iter()
                .any(|s| s.eq_ignore_ascii_case(SEARCH_REQUEST_URN))
        {
            return Err(ScimError::invalid_value(format!(
                "A search body must have schemas [\"{SEARCH_REQUEST_URN}\"]"
            )));
        }
        Ok(ListQuery {
            filter: request.filter.filter(|f| !f.trim().is_empty()),
            sort_by: request.sort_by.filter(|s| !s.trim().is_empty()),
            descending: descending(request.sort_order.as_deref())?,
            start_index: start_index(request.start_index),
            count: count(request.count),
            attributes: request.attributes.unwrap_or_default(),
            excluded: request.excluded_attributes.unwrap_or_default(),
        })
    }
}

fn list_response(total: usize, start: usize, resources: Vec<Value>) -> Result<Value, ScimError> {
    serde_json::to_value(ListResponse::new(total, start, resources))
        .map_err(|e| ScimError::internal(&e))
}

fn sort_ref(q: &ListQuery, resource: &ResourceSchema) -> Result<Option<AttrRef>, ScimError> {
    match &q.sort_by {
        None => Ok(None),
        Some(text) => match AttrRef::parse(text, resource) {
            Some(r) if r.attr == "groups" || r.attr == "members" || r.attr == "password" => {
                Err(ScimError::invalid_value(format!(
                    "sortBy cannot be {text}: choose a single-valued attribute such as userName"
                )))
            }
            Some(r) => Ok(Some(r)),
            None => Err(ScimError::invalid_value(format!(
                "sortBy names no attribute of the {}: {text:?}",
                resource.name
            ))),
        },
    }
}

/// Look up what a filter needs (group members, a user's groups, groups' external ids).
async fn lookups(call: &Call, needs: &Needs) -> Result<Lookups, ScimError> {
    let mut out = Lookups::default();
    for gid in &needs.members_of {
        let ids = match call.directory().get_group(gid).await {
            Ok(_) => all_member_ids(call, gid).await?,
            Err(roster_directory::DirectoryError::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        if ids.len() > MAX_SCANNED {
            return Err(ScimError::too_many(format!("the group {gid} has more than {MAX_SCANNED} members; list them with GET /Groups/{gid}")));
        }
        out.members_of.insert(gid.clone(), ids);
    }
    for uid in &needs.groups_of {
        let ids = match call.directory().user_groups(uid).await {
            Ok(groups) => groups.into_iter().map(|g| g.id).collect(),
            Err(roster_directory::DirectoryError::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        out.groups_of.insert(uid.clone(), ids);
    }
    if needs.group_external_ids {
        out.group_external_ids = call.directory().group_external_ids().await?;
    }
    Ok(out)
}

async fn user_filter(
    call: &Call,
    text: Option<&str>,
    schema: &roster_core::ProfileSchema,
) -> Result<Tri, ScimError> {
    let Some(text) = text else {
        return Ok(Tri::True);
    };
    let parsed = filter::parse(text)?;
    let found = lookups(call, &filter::needs(&parsed, false)).await?;
    filter::translate_user(&parsed, schema, &found)
}

async fn group_filter(call: &Call, text: Option<&str>) -> Result<Tri, ScimError> {
    let Some(text) = text else {
        return Ok(Tri::True);
    };
    let parsed = filter::parse(text)?;
    let found = lookups(call, &filter::needs(&parsed, true)).await?;
    filter::translate_group(&parsed, &found)
}

fn where_of(tri: &Tri) -> Option<Filter> {
    match tri {
        Tri::Where(f) => Some(f.clone()),
        _ => None,
    }
}

async fn user_page(
    call: &Call,
    filter: Option<Filter>,
    after: Option<String>,
    limit: u32,
) -> Result<roster_directory::UserPage, ScimError> {
    Ok(call
        .directory()
        .list_users(&UserListQuery {
            filter,
            q: None,
            after,
            limit,
        })
        .await?)
}

/// Read matching users in id order from `after`, counting them, keeping `[skip, skip + keep)`.
/// Fails with `tooMany` past `max`.
async fn scan_users(
    call: &Call,
    filter: Option<Filter>,
    skip: usize,
    keep: usize,
    max: usize,
) -> Result<(usize, Vec<User>), ScimError> {
    let mut total = 0usize;
    let mut kept = Vec::new();
    let mut after = None;
    loop {
        let page = user_page(call, filter.clone(), after, STORE_PAGE).await?;
        for user in page.items {
            if total >= skip && kept.len() < keep {
                kept.push(user);
            }
            total += 1;
        }
        if total > max {
            return Err(ScimError::too_many(format!(
                "the filter matches more than {max} users; narrow it (for example with userName, externalId or meta.lastModified)"
            )));
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok((total, kept)),
        }
    }
}

pub async fn list_users(call: &Call, q: &ListQuery) -> Result<Value, ScimError> {
    let schema = call.directory().profile_schema().await?;
    let resource = user_resource(&schema);
    let projection = Projection::new(&q.attributes, &q.excluded, &resource)?;
    let sort = sort_ref(q, &resource)?;
    let tri = user_filter(call, q.filter.as_deref(), &schema).await?;
    if tri == Tri::False {
        return list_response(0, q.start_index, Vec::new());
    }
    let filter = where_of(&tri);
    let skip = q.start_index - 1;

    let (total, users) = if let Some(sort) = sort {
        let (total, mut all) = scan_users(call, filter, 0, MAX_SORTED, MAX_SORTED).await.map_err(|e| {
            if e.scim_type == Some(super::error::scim_type::TOO_MANY) {
                ScimError::too_many(format!("sortBy sorts at most {MAX_SORTED} users and the filter matches more; narrow the filter"))
            } else {
                e
            }
        })?;
        let no_groups = Projection::from_query(None, Some("groups"), &resource)?;
        let mut keyed = Vec::with_capacity(all.len());
        for user in all.drain(..) {
            let doc = match user_json(call, &user, &schema, &no_groups).await? {
                Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            let key = sort_value(&doc, &sort, &resource).cloned();
            keyed.push((key, user));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            let order = compare_values(a.as_ref(), b.as_ref());
            let both = a.as_ref().is_some_and(|v| !v.is_null())
                && b.as_ref().is_some_and(|v| !v.is_null());
            if q.descending && both {
                order.reverse()
            } else {
                order
            }
        });
        (
            total,
            keyed
                .into_iter()
                .skip(skip)
                .take(q.count)
                .map(|(_, u)| u)
                .collect::<Vec<_>>(),
        )
    } else if filter.is_none() {
        let total = usize::try_from(call.directory().store().count_users().await?).unwrap_or(0);
        let users = if q.count == 0 || skip >= total {
            Vec::new()
        } else {
            unfiltered_window(call, skip, q.count).await?
        };
        (total, users)
    } else {
        scan_users(call, filter, skip, q.count, MAX_SCANNED).await?
    };
    let mut resources = Vec::with_capacity(users.len());
    for user in &users {
        resources.push(user_json(call, user, &schema, &projection).await?);
    }
    list_response(total, q.start_index, resources)
}

/// The `[skip, skip + count)` window of all users in id order, starting from a cursor when the
/// previous page left one.
async fn unfiltered_window(call: &Call, skip: usize, count: usize) -> Result<Vec<User>, ScimError> {
    const KEY: &str = "users";
    let cached = if skip == 0 {
        None
    } else {
        call.st
            .cursors
            .lock()
            .ok()
            .and_then(|c| c.get(KEY, skip + 1))
    };
    let after = match cached {
        Some(after) => Some(after),
        None if skip == 0 => None,
        None => {
            // Read past the first `skip` users.
            let mut after: Option<String> = None;
            let mut left = skip;
            while left > 0 {
                let limit = left.min(STORE_PAGE as usize) as u32;
                let page = user_page(call, None, after.clone(), limit).await?;
                let Some(last) = page.items.last() else {
                    return Ok(Vec::new());
                };
                after = Some(last.id.clone());
                left -= page.items.len();
                if page.next_after.is_none() && left > 0 {
                    return Ok(Vec::new());
                }
            }
            after
        }
    };
    let page = user_page(call, None, after, count.min(STORE_PAGE as usize) as u32).await?;
    if let (Some(last), true) = (page.items.last(), page.items.len() == count) {
        if let Ok(mut cursors) = call.st.cursors.lock() {
            cursors.put(KEY, skip + count + 1, last.id.clone());
        }
    }
    Ok(page.items)
}

/// Read matching groups in id order, counting them, keeping `[skip, skip + keep)`.
async fn scan_groups(
    call: &Call,
    filter: Option<Filter>,
    skip: usize,
    keep: usize,
    max: usize,
) -> Result<(usize, Vec<Group>), ScimError> {
    let mut total = 0usize;
    let mut kept = Vec::new();
    let mut after = None;
    loop {
        let page = call
            .directory()
            .list_groups(filter.clone(), None, after, STORE_PAGE)
            .await?;
        for group in page.items {
            if total >= skip && kept.len() < keep {
                kept.push(group);
            }
            total += 1;
        }
        if total > max {
            return Err(ScimError::too_many(format!(
                "the filter matches more than {max} groups; narrow it"
            )));
        }
        match page.next_after {
            Some(next) => after = Some(next),
            None => return Ok((total, kept)),
        }
    }
}

pub async fn list_groups(call: &Call, q: &ListQuery) -> Result<Value, ScimError> {
    let resource = group_resource();
    let projection = Projection::new(&q.attributes, &q.excluded, &resource)?;
    let sort = sort_ref(q, &resource)?;
    let tri = group_filter(call, q.filter.as_deref()).await?;
    if tri == Tri::False {
        return list_response(0, q.start_index, Vec::new());
    }
    let filter = where_of(&tri);
    let skip = q.start_index - 1;
    let (total, groups) = match sort {
        Some(sort) => {
            let (total, all) = scan_groups(call, filter, 0, MAX_SORTED, MAX_SORTED).await?;
            let plain = Projection::from_query(None, Some("members"), &resource)?;
            let mut keyed = Vec::with_capacity(all.len());
            for group in all {
                let doc = match group_json(call, &group, &plain).await? {
                    Value::Object(m) => m,
                    _ => serde_json::Map::new(),
                };
                keyed.push((sort_value(&doc, &sort, &resource).cloned(), group));
            }
            keyed.sort_by(|(a, _), (b, _)| {
                let order = compare_values(a.as_ref(), b.as_ref());
                if q.descending {
                    order.reverse()
                } else {
                    order
                }
            });
            (
                total,
                keyed
                    .into_iter()
                    .skip(skip)
                    .take(q.count)
                    .map(|(_, g)| g)
                    .collect(),
            )
        }
        None => scan_groups(call, filter, skip, q.count, MAX_SCANNED).await?,
    };
    let mut resources = Vec::with_capacity(groups.len());
    for group in &groups {
        resources.push(group_json(call, group, &projection).await?);
    }
    list_response(total, q.start_index, resources)
}

/// `POST /.search`: users and groups at once (users first, each in id order). A filter that
/// names attributes of only one resource type matches nothing of the other.
pub async fn root_search(
    axum::extract::State(st): axum::extract::State<super::ScimState>,
    axum::Extension(principal): axum::Extension<crate::auth::Principal>,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<super::ScimReply, ScimError> {
    let call = Call { st, principal };
    let q = ListQuery::from_search_body(&super::body::parse_json(&super::body_bytes(body)?)?)?;
    let schema = call.directory().profile_schema().await?;
    let user_tri = user_filter(&call, q.filter.as_deref(), &schema).await;
    let group_tri = group_filter(&call, q.filter.as_deref()).await;
    let (user_tri, group_tri) = match (user_tri, group_tri) {
        (Err(e), Err(_)) => return Err(e),
        (u, g) => (u.unwrap_or(Tri::False), g.unwrap_or(Tri::False)),
    };
    let (user_total, users) = match &user_tri {
        Tri::False => (0, Vec::new()),
        t => scan_users(&call, where_of(t), 0, MAX_SCANNED, MAX_SCANNED).await?,
    };
    let (group_total, groups) = match &group_tri {
        Tri::False => (0, Vec::new()),
        t => scan_groups(&call, where_of(t), 0, MAX_SCANNED, MAX_SCANNED).await?,
    };
    let user_projection = Projection::new(&q.attributes, &q.excluded, &user_resource(&schema))?;
    let group_projection = Projection::new(&q.attributes, &q.excluded, &group_resource())?;
    let skip = q.start_index - 1;
    let mut resources = Vec::new();
    for user in users.iter().skip(skip).take(q.count) {
        resources.push(user_json(&call, user, &schema, &user_projection).await?);
    }
    let left = q.count - resources.len();
    for group in groups
        .iter()
        .skip(skip.saturating_sub(users.len()))
        .take(left)
    {
        resources.push(group_json(&call, group, &group_projection).await?);
    }
    Ok(super::ScimReply::ok(list_response(
        user_total + group_total,
        q.start_index,
        resources,
    )?))
}
