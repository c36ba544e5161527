#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `ScimSource` against a small SCIM service provider served by axum in the test. It caps pages
//! at 50 resources whatever `count` asks, as real providers may.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use roster_sources::{ErrorKind, ReadMode, ScimSettings, ScimSource, Source};
use secrecy::SecretString;
use serde_json::{json, Value};

const TOKEN: &str = "scim-Token-0042";
const MAX_PAGE: usize = 50;

#[derive(Clone, Default)]
struct Provider {
    users: Arc<Vec<Value>>,
    groups: Arc<Vec<Value>>,
    requests: Arc<Mutex<Vec<String>>>,
}

fn list(
    p: &Provider,
    resources: &[Value],
    headers: &HeaderMap,
    q: &HashMap<String, String>,
) -> Response {
    let mut keys: Vec<_> = q.iter().map(|(k, v)| format!("{k}={v}")).collect();
    keys.sort();
    p.requests.lock().unwrap().push(keys.join("&"));
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {TOKEN}"))
    {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "401",
                "detail": "invalid bearer token"
            })),
        )
            .into_response();
    }
    let since = q.get("filter").map(|f| {
        f.strip_prefix("meta.lastModified gt \"")
            .and_then(|s| s.strip_suffix('"'))
            .unwrap()
            .to_string()
    });
    let matching: Vec<&Value> = resources
        .iter()
        .filter(|r| {
            since
                .as_deref()
                .is_none_or(|s| r["meta"]["lastModified"].as_str().unwrap() > s)
        })
        .collect();
    let start: usize = q["startIndex"].parse().unwrap();
    let count: usize = q["count"].parse::<usize>().unwrap().min(MAX_PAGE);
    let page: Vec<Value> = matching
        .iter()
        .skip(start - 1)
        .take(count)
        .map(|v| (*v).clone())
        .collect();
    Json(json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": matching.len(),
        "startIndex": start,
        "itemsPerPage": page.len(),
        "Resources": page,
    }))
    .into_response()
}

async fn list_users(
    State(p): State<Provider>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list(&p, &p.users, &headers, &q)
}

async fn list_groups(
    State(p): State<Provider>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    list(&p, &p.groups, &headers, &q)
}

async fn start(n: usize) -> (String, Provider) {
    let users: Vec<Value> = (0..n)
        .map(|i| {
            // The last 3 users changed on the 23rd, the others on the 22nd.
            let day = if i + 3 >= n { 23 } else { 22 };
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": format!("u{i}"),
                "userName": format!("user{i}@example.com"),
                "name": {"givenName": "Given", "familyName": format!("Family{i}")},
                "meta": {"resourceType": "User", "lastModified": format!("2026-11-{day}T10:00:00.000Z")}
            })
        })
        .collect();
    let groups = vec![json!({
        "id": "g1",
        "displayName": "Engineering",
        "members": [{"value": "u0", "type": "User"}, {"value": "u1"}, {"value": "g2", "type": "Group"}],
        "meta": {"lastModified": "2026-11-22T10:00:00.000Z"}
    })];
    let provider = Provider {
        users: Arc::new(users),
        groups: Arc::new(groups),
        requests: Arc::default(),
    };
    let app = Router::new()
        .route("/scim/v2/Users", get(list_users))
        .route("/scim/v2/Groups", get(list_groups))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/scim/v2", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, provider)
}

fn source(url: &str, token: &str) -> ScimSource {
    ScimSource::new(ScimSettings::new(url, SecretString::from(token))).unwrap()
}

#[tokio::test]
async fn reads_every_page_of_users_and_groups() {
    let (url, provider) = start(235).await;
    let src = source(&url, TOKEN);
    let read = src.read_users(&ReadMode::Full).await.unwrap();
    assert_eq!(read.items.len(), 235);
    assert_eq!(read.items[0].external_id, "u0");
    assert_eq!(read.items[0].attributes["userName"], "user0@example.com");
    assert_eq!(
        read.items[0].modified.as_deref(),
        Some("2026-11-22T10:00:00.000Z")
    );
    // The provider capped pages at 50: the source followed with the next startIndex.
    let requests = provider.requests.lock().unwrap().clone();
    assert_eq!(
        requests,
        [
            "count=200&startIndex=1",
            "count=200&startIndex=51",
            "count=200&startIndex=101",
            "count=200&startIndex=151",
            "count=200&startIndex=201",
        ]
    );

    let groups = src.read_groups(&ReadMode::Full).await.unwrap();
    assert_eq!(groups.items.len(), 1);
    assert_eq!(groups.items[0].name, "Engineering");
    // Only users are members; the nested group is left out.
    assert_eq!(groups.items[0].member_external_ids, ["u0", "u1"]);
}

#[tokio::test]
async fn incremental_read_filters_on_last_modified() {
    let (url, provider) = start(120).await;
    let src = source(&url, TOKEN);
    let mode = ReadMode::Incremental {
        since: "2026-11-22T10:00:00.000Z".to_string(),
    };
    let read = src.read_users(&mode).await.unwrap();
    let ids: Vec<&str> = read.items.iter().map(|r| r.external_id.as_str()).collect();
    assert_eq!(ids, ["u117", "u118", "u119"]);
    assert_eq!(
        provider.requests.lock().unwrap().as_slice(),
        ["count=200&filter=meta.lastModified gt \"2026-11-22T10:00:00.000Z\"&startIndex=1"]
    );
}

#[tokio::test]
async fn wrong_token_is_unauthorized_and_never_shown() {
    let (url, _provider) = start(3).await;
    let token = "stale-Token-9913";
    let err = source(&url, token)
        .read_users(&ReadMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    let text = format!("{err} {err:?}");
    assert!(!text.contains(token), "{text}");
    assert_eq!(
        err.to_string(),
        format!(
            "{url}: GET {url}/Users?startIndex=1&count=200: HTTP 401 Unauthorized: invalid bearer token"
        )
    );
}

#[tokio::test]
async fn unreachable_provider_is_transient_and_bad_settings_name_their_fields() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/scim/v2", listener.local_addr().unwrap());
    drop(listener);
    let err = source(&url, TOKEN)
        .read_users(&ReadMode::Full)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err}");

    let mut settings = ScimSettings::new("ftp://x", SecretString::from(" "));
    settings.page_size = Some(0);
    let err = ScimSource::new(settings).unwrap_err();
    let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "settings.app.baseUrl",
            "settings.app.token",
            "settings.app.pageSize"
        ]
    );
}
