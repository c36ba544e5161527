//! The store's conformance suite: every case runs against SQLite and against PostgreSQL
//! (`ROSTER_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`; each
//! case gets its own database). PostgreSQL being unreachable fails the PostgreSQL cases.

// Test code: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

use harness::{event, federated, group, ids, ts, user, uuid};
use roster_core::token::{ApiToken, Role};
use roster_core::{LogEvent, UserStatus};
use roster_filter::{AttrPath, CompareOp, Filter, Span, Value as FValue};
use roster_store::{
    Document, EventQuery, GroupQuery, Order, OutboxEntry, Store, StoreError, UserQuery,
};
use serde_json::json;

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::harness::run(crate::harness::Backend::Sqlite, crate::cases::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    crate::harness::run(crate::harness::Backend::Postgres, crate::cases::$name).await;
                }
            )*
        }
    };
}

conformance!(
    users_crud,
    login_conflicts_ignore_case,
    stale_versions_are_refused,
    failed_changes_write_no_events,
    outbox_entries_commit_with_their_change,
    outbox_claims_lease_and_defer,
    users_page_with_after,
    users_batch_insert,
    users_batch_insert_is_all_or_nothing,
    users_q_prefix_search,
    filter_operators_on_columns,
    filter_and_or_not,
    filter_json_profile_attributes,
    filter_timestamps,
    filter_paging_with_filter,
    invalid_filters_are_explained,
    groups_crud,
    groups_list_filter_q_and_paging,
    memberships,
    deleting_users_and_groups_removes_memberships,
    api_tokens,
    documents,
    events_filters,
    events_paging_and_time_bounds,
    events_batch_append,
    concurrent_writers,
    parity_user_filters,
    parity_event_filters,
    parity_group_filters,
);

// ---- filter builders --------------------------------------------------------------------

fn path(dotted: &str) -> AttrPath {
    AttrPath {
        schema: None,
        segments: dotted.split('.').map(String::from).collect(),
        span: Span::default(),
    }
}

fn cmp(dotted: &str, op: CompareOp, value: impl Into<Val>) -> Filter {
    Filter::Compare {
        path: path(dotted),
        op,
        value: value.into().0,
        span: Span::default(),
    }
}

fn pr(dotted: &str) -> Filter {
    Filter::Present {
        path: path(dotted),
        span: Span::default(),
    }
}

fn and(a: Filter, b: Filter) -> Filter {
    Filter::And(Box::new(a), Box::new(b))
}

fn or(a: Filter, b: Filter) -> Filter {
    Filter::Or(Box::new(a), Box::new(b))
}

fn not(a: Filter) -> Filter {
    Filter::Not(Box::new(a), Span::default())
}

fn value_path(dotted: &str, inner: Filter) -> Filter {
    Filter::ValuePath {
        path: path(dotted),
        filter: Box::new(inner),
        span: Span::default(),
    }
}

struct Val(FValue);

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val(FValue::String(s.into()))
    }
}

impl From<i64> for Val {
    fn from(n: i64) -> Self {
        Val(FValue::Number(n.into()))
    }
}

impl From<f64> for Val {
    fn from(n: f64) -> Self {
        Val(FValue::Number(
            serde_json::Number::from_f64(n).expect("finite"),
        ))
    }
}

impl From<bool> for Val {
    fn from(b: bool) -> Self {
        Val(FValue::Bool(b))
    }
}

impl From<()> for Val {
    fn from(_: ()) -> Self {
        Val(FValue::Null)
    }
}

use CompareOp::{Co, Eq, Ew, Ge, Gt, Le, Lt, Ne, Sw};

async fn user_ids(store: &Store, filter: Filter) -> Vec<String> {
    let page = store
        .list_users(&UserQuery {
            filter: Some(filter.clone()),
            limit: 1000,
            ..UserQuery::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{filter:?}: {e} ({:?})", std::error::Error::source(&e)));
    ids(&page.items, |u| &u.id)
}

async fn event_types(store: &Store, filter: Filter) -> Vec<String> {
    let page = store
        .list_events(&EventQuery {
            filter: Some(filter.clone()),
            limit: 1000,
            ..EventQuery::default()
        })
        .await
        .unwrap_or_else(|e| panic!("{filter:?}: {e} ({:?})", std::error::Error::source(&e)));
    page.items.iter().map(|e| e.event_type.clone()).collect()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// A user as the Management API shows it: the document the in-memory evaluator sees.
fn user_json(u: &roster_core::User) -> serde_json::Value {
    let t = |t: Option<roster_core::Timestamp>| t.map(|t| t.to_string());
    json!({
        "id": u.id,
        "status": u.status.as_str(),
        "created": u.created.to_string(),
        "activated": t(u.activated),
        "statusChanged": t(u.status_changed),
        "lastLogin": t(u.last_login),
        "lastUpdated": u.last_updated.to_string(),
        "passwordChanged": t(u.password_changed),
        "profile": u.profile,
        "credentials": {"provider": {"type": u.credentials.provider.kind.as_str(), "name": u.credentials.provider.name}},
    })
}

fn group_json(g: &roster_core::Group) -> serde_json::Value {
    json!({
        "id": g.id,
        "type": g.kind.as_str(),
        "profile": {"name": g.name, "description": g.description},
        "created": g.created.to_string(),
        "lastUpdated": g.last_updated.to_string(),
        "lastMembershipUpdated": g.last_membership_updated.to_string(),
    })
}

/// For each filter text: the ids the store returns equal the ids `Filter::matches` selects.
fn parity_failures(
    filters: &[String],
    sql_results: &[Vec<String>],
    docs: &[(String, serde_json::Value)],
) -> Vec<String> {
    let mut failures = Vec::new();
    for (text, got) in filters.iter().zip(sql_results) {
        let filter = roster_filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let expected: Vec<String> = docs
            .iter()
            .filter(|(_, doc)| filter.matches(doc))
            .map(|(id, _)| id.clone())
            .collect();
        if &expected != got {
            failures.push(format!(
                "{text}\n  in memory {expected:?}\n  store     {got:?}"
            ));
        }
    }
    failures
}

mod cases {
    use super::*;

    pub async fn users_crud(store: Store) {
        let mut ann = user(
            "00u0000000000000ann",
            "Ann.Smith@Example.com",
            UserStatus::Active,
            json!({"department": "Sales"}),
        );
        ann.credentials.password_history = vec!["old-hash".into()];
        ann.last_login = Some(ts(5));
        store.insert_user(&ann, &[]).await.unwrap();
        assert_eq!(store.count_users().await.unwrap(), 1);

        let read = store
            .get_user(&ann.id)
            .await
            .unwrap()
            .expect("inserted user");
        assert_eq!(read, ann);
        let by_login = store
            .get_user_by_login("ann.smith@EXAMPLE.COM")
            .await
            .unwrap()
            .expect("by login");
        assert_eq!(by_login.id, ann.id);
        assert!(store
            .get_user_by_login("nobody@example.com")
            .await
            .unwrap()
            .is_none());
        assert!(store.get_user("00u_missing").await.unwrap().is_none());

        let mut changed = read.clone();
        changed.status = UserStatus::Suspended;
        changed.status_changed = Some(ts(10));
        changed.last_updated = ts(10);
        changed
            .profile
            .insert("login".into(), json!("ann@example.com"));
        changed
            .profile
            .insert("email".into(), json!("ann@example.com"));
        changed.failed_logins = 3;
        changed = federated(changed);
        let version = store.update_user(&changed, 1, &[]).await.unwrap();
        assert_eq!(version, 2);
        let read = store
            .get_user(&ann.id)
            .await
            .unwrap()
            .expect("updated user");
        assert_eq!(read.version, 2);
        assert_eq!(read.status, UserStatus::Suspended);
        assert_eq!(read.login(), "ann@example.com");
        assert_eq!(read.credentials, changed.credentials);
        assert_eq!(read.failed_logins, 3);
        assert!(store
            .get_user_by_login("Ann.Smith@Example.com")
            .await
            .unwrap()
            .is_none());
        assert!(store
            .get_user_by_login("ANN@example.com")
            .await
            .unwrap()
            .is_some());

        store.delete_user(&ann.id, &[]).await.unwrap();
        assert!(store.get_user(&ann.id).await.unwrap().is_none());
        assert!(matches!(
            store.delete_user(&ann.id, &[]).await,
            Err(StoreError::NotFound { kind: "user", .. })
        ));
        assert!(matches!(
            store.update_user(&changed, 2, &[]).await,
            Err(StoreError::NotFound { kind: "user", .. })
        ));
        assert_eq!(store.count_users().await.unwrap(), 0);
    }

    pub async fn login_conflicts_ignore_case(store: Store) {
        let a = user(
            "00u00000000000000a1",
            "Ann@Example.com",
            UserStatus::Active,
            json!({}),
        );
        store.insert_user(&a, &[]).await.unwrap();
        let clash = user(
            "00u00000000000000a2",
            "ann@EXAMPLE.COM",
            UserStatus::Active,
            json!({}),
        );
        match store.insert_user(&clash, &[]).await {
            Err(StoreError::Conflict {
                field: "login",
                value,
            }) => assert_eq!(value.as_deref(), Some("ann@EXAMPLE.COM")),
            other => panic!("expected a login conflict, got {other:?}"),
        }
        let same_id = user(
            "00u00000000000000a1",
            "other@example.com",
            UserStatus::Active,
            json!({}),
        );
        assert!(matches!(
            store.insert_user(&same_id, &[]).await,
            Err(StoreError::Conflict { field: "id", .. })
        ));

        let b = user(
            "00u00000000000000b1",
            "bob@example.com",
            UserStatus::Active,
            json!({}),
        );
        store.insert_user(&b, &[]).await.unwrap();
        let mut b2 = b.clone();
        b2.profile.insert("login".into(), json!("ANN@example.com"));
        let err = store.update_user(&b2, 1, &[]).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { field: "login", .. }),
            "{err:?}"
        );
        assert_eq!(err.code(), "conflict");
        assert_eq!(
            store.get_user(&b.id).await.unwrap().expect("b").login(),
            "bob@example.com"
        );
    }

    pub async fn stale_versions_are_refused(store: Store) {
        let u = user(
            "00u00000000000000v1",
            "v@example.com",
            UserStatus::Staged,
            json!({}),
        );
        store.insert_user(&u, &[]).await.unwrap();
        assert_eq!(store.update_user(&u, 1, &[]).await.unwrap(), 2);
        let err = store.update_user(&u, 1, &[]).await.unwrap_err();
        match err {
            StoreError::VersionConflict {
                kind: "user",
                expected: 1,
                actual: 2,
                ..
            } => {}
            other => panic!("expected a version conflict, got {other:?}"),
        }
        assert_eq!(store.update_user(&u, 2, &[]).await.unwrap(), 3);

        let g = group("00g00000000000000v1", "Versioned");
        store.insert_group(&g, &[]).await.unwrap();
        assert_eq!(store.update_group(&g, 1, &[]).await.unwrap(), 2);
        assert!(matches!(
            store.update_group(&g, 1, &[]).await,
            Err(StoreError::VersionConflict {
                kind: "group",
                expected: 1,
                actual: 2,
                ..
            })
        ));
    }

    pub async fn failed_changes_write_no_events(store: Store) {
        let a = user(
            "00u00000000000000e1",
            "a@example.com",
            UserStatus::Active,
            json!({}),
        );
        let created = event(&uuid(), "user.lifecycle.create", 0);
        store
            .insert_user(&a, std::slice::from_ref(&created))
            .await
            .unwrap();
        assert_eq!(store.count_events().await.unwrap(), 1);

        // A conflicting insert with events: no user, no event.
        let clash = user(
            "00u00000000000000e2",
            "A@example.com",
            UserStatus::Active,
            json!({}),
        );
        assert!(store
            .insert_user(&clash, &[event(&uuid(), "user.lifecycle.create", 1)])
            .await
            .is_err());
        // A stale update with events.
        assert!(store
            .update_user(&a, 7, &[event(&uuid(), "user.account.update_profile", 1)])
            .await
            .is_err());
        // Deleting something that is not there.
        assert!(store
            .delete_user(
                "00u_missing",
                &[event(&uuid(), "user.lifecycle.delete.completed", 1)]
            )
            .await
            .is_err());
        // A group whose name clashes.
        store
            .insert_group(&group("00g00000000000000e1", "Sales"), &[])
            .await
            .unwrap();
        assert!(store
            .insert_group(
                &group("00g00000000000000e2", "SALES"),
                &[event(&uuid(), "group.lifecycle.create", 1)]
            )
            .await
            .is_err());
        assert_eq!(store.count_events().await.unwrap(), 1);

        // An event that cannot be written (its uuid is taken) undoes the change it records.
        let b = user(
            "00u00000000000000e3",
            "b@example.com",
            UserStatus::Active,
            json!({}),
        );
        let err = store
            .insert_user(&b, &[event(&uuid(), "x.ok", 2), created.clone()])
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { field: "uuid", .. }),
            "{err:?}"
        );
        assert!(store.get_user(&b.id).await.unwrap().is_none());
        assert_eq!(store.count_events().await.unwrap(), 1);

        // And a successful change writes all of its events.
        store
            .insert_user(
                &b,
                &[
                    event(&uuid(), "user.lifecycle.create", 3),
                    event(&uuid(), "user.lifecycle.activate", 3),
                ],
            )
            .await
            .unwrap();
        assert_eq!(store.count_events().await.unwrap(), 3);
    }

    pub async fn users_page_with_after(store: Store) {
        let users: Vec<_> = (0..25)
            .map(|i| {
                user(
                    &format!("00u{i:017}"),
                    &format!("p{i}@example.com"),
                    UserStatus::Active,
                    json!({}),
                )
            })
            .collect();
        store.insert_users_batch(&users, &[]).await.unwrap();
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let page = store
                .list_users(&UserQuery {
                    after: after.clone(),
                    limit: 10,
                    ..UserQuery::default()
                })
                .await
                .unwrap();
            pages += 1;
            assert!(page.items.len() <= 10);
            seen.extend(ids(&page.items, |u| &u.id));
            match page.next_after {
                Some(next) => {
                    assert_eq!(Some(&next), seen.last());
                    after = Some(next);
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        let expected: Vec<_> = users.iter().map(|u| u.id.clone()).collect();
        assert_eq!(seen, expected);
        // An exact multiple of the page size ends without an empty extra page.
        let page = store
            .list_users(&UserQuery {
                limit: 25,
                ..UserQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items.len(), 25);
        assert_eq!(page.next_after, None);
        assert_eq!(page.end_cursor.as_deref(), Some("00u00000000000000024"));
    }

    pub async fn users_batch_insert(store: Store) {
        let users: Vec<_> = (0..1_234)
            .map(|i| {
                user(
                    &format!("00u{i:017}"),
                    &format!("bulk{i}@example.com"),
                    UserStatus::Staged,
                    json!({"employeeNumber": i}),
                )
            })
            .collect();
        let events: Vec<LogEvent> = (0..1_500)
            .map(|i| event(&uuid(), "user.import.create", i))
            .collect();
        assert_eq!(
            store.insert_users_batch(&users, &events).await.unwrap(),
            1_234
        );
        assert_eq!(store.count_users().await.unwrap(), 1_234);
        assert_eq!(store.count_events().await.unwrap(), 1_500);
        let read = store
            .get_user("00u00000000000001233")
            .await
            .unwrap()
            .expect("last user");
        assert_eq!(read, users[1_233]);
        assert_eq!(store.insert_users_batch(&[], &[]).await.unwrap(), 0);
    }

    pub async fn users_batch_insert_is_all_or_nothing(store: Store) {
        store
            .insert_user(
                &user(
                    "00u00000000000000x0",
                    "taken@example.com",
                    UserStatus::Active,
                    json!({}),
                ),
                &[],
            )
            .await
            .unwrap();
        let mut users: Vec<_> = (1..700)
            .map(|i| {
                user(
                    &format!("00u{i:017}"),
                    &format!("b{i}@example.com"),
                    UserStatus::Active,
                    json!({}),
                )
            })
            .collect();
        users.push(user(
            "00u00000000000009999",
            "TAKEN@example.com",
            UserStatus::Active,
            json!({}),
        ));
        let err = store
            .insert_users_batch(&users, &[event(&uuid(), "user.import", 0)])
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { field: "login", .. }),
            "{err:?}"
        );
        assert_eq!(store.count_users().await.unwrap(), 1);
        assert_eq!(store.count_events().await.unwrap(), 0);
    }

    pub async fn users_q_prefix_search(store: Store) {
        let mut a = user(
            "00u00000000000000q1",
            "zed@example.com",
            UserStatus::Active,
            json!({}),
        );
        a.profile.insert("firstName".into(), json!("Ångström"));
        a.profile.insert("lastName".into(), json!("Smith"));
        let b = user(
            "00u00000000000000q2",
            "smithy@example.com",
            UserStatus::Active,
            json!({}),
        );
        let c = user(
            "00u00000000000000q3",
            "other@example.com",
            UserStatus::Active,
            json!({}),
        );
        store.insert_users_batch(&[a, b, c], &[]).await.unwrap();
        let q = |q: &str| UserQuery {
            q: Some(q.into()),
            limit: 10,
            ..UserQuery::default()
        };
        let found = store.list_users(&q("SMITH")).await.unwrap();
        assert_eq!(
            ids(&found.items, |u| &u.id),
            strs(&["00u00000000000000q1", "00u00000000000000q2"])
        );
        let found = store.list_users(&q("ångs")).await.unwrap();
        assert_eq!(ids(&found.items, |u| &u.id), strs(&["00u00000000000000q1"]));
        let found = store.list_users(&q("%")).await.unwrap();
        assert!(found.items.is_empty());
    }

    async fn filter_fixture(store: &Store) -> Vec<roster_core::User> {
        let mut u1 = user(
            "00u00000000000000f1",
            "ann.lee@example.com",
            UserStatus::Active,
            json!({"department": "Sales", "employeeNumber": 100, "isManager": true, "costCenter": "50%_off"}),
        );
        u1.last_updated = ts(10);
        u1.last_login = Some(ts(20));
        let mut u2 = user(
            "00u00000000000000f2",
            "Bob.Ray@Example.com",
            UserStatus::Suspended,
            json!({"department": "sales ops", "employeeNumber": 250.5, "isManager": false}),
        );
        u2.last_updated = ts(20);
        let mut u3 = federated(user(
            "00u00000000000000f3",
            "cy@corp.example.org",
            UserStatus::Staged,
            json!({"department": "", "employeeNumber": "300", "tags": ["a", "b"]}),
        ));
        u3.last_updated = ts(30);
        u3.profile.remove("email");
        let mut u4 = user(
            "00u00000000000000f4",
            "dee_x@example.com",
            UserStatus::Active,
            json!({"department": null, "costCenter": "50-off"}),
        );
        u4.last_updated = ts(40);
        u4.activated = None;
        let users = vec![u1, u2, u3, u4];
        store.insert_users_batch(&users, &[]).await.unwrap();
        users
    }

    pub async fn filter_operators_on_columns(store: Store) {
        filter_fixture(&store).await;
        let cases: Vec<(Filter, Vec<&str>)> = vec![
            (cmp("status", Eq, "active"), vec!["f1", "f4"]),
            (cmp("status", Ne, "ACTIVE"), vec!["f2", "f3"]),
            (cmp("id", Eq, "00u00000000000000f2"), vec!["f2"]),
            (cmp("id", Gt, "00u00000000000000f2"), vec!["f3", "f4"]),
            (cmp("id", Ge, "00u00000000000000f2"), vec!["f2", "f3", "f4"]),
            (cmp("id", Lt, "00u00000000000000f2"), vec!["f1"]),
            (cmp("id", Le, "00u00000000000000f2"), vec!["f1", "f2"]),
            (cmp("id", Ew, "F3"), vec!["f3"]),
            (cmp("profile.login", Eq, "BOB.RAY@example.com"), vec!["f2"]),
            (cmp("profile.login", Sw, "Bob"), vec!["f2"]),
            (
                cmp("profile.login", Ew, "@EXAMPLE.COM"),
                vec!["f1", "f2", "f4"],
            ),
            (cmp("profile.login", Co, "_x"), vec!["f4"]),
            (cmp("profile.login", Co, "%"), vec![]),
            (cmp("profile.email", Eq, "ann.lee@example.com"), vec!["f1"]),
            (
                cmp("profile.email", Ne, "ann.lee@example.com"),
                vec!["f2", "f3", "f4"],
            ),
            (pr("profile.email"), vec!["f1", "f2", "f4"]),
            (cmp("profile.email", Eq, ()), vec!["f3"]),
            (cmp("profile.firstName", Sw, "firstann"), vec!["f1"]),
            (cmp("profile.lastName", Gt, "lastc"), vec!["f3", "f4"]),
            (
                cmp("credentials.provider.type", Eq, "federation"),
                vec!["f3"],
            ),
            (pr("activated"), vec!["f1"]),
            (cmp("activated", Eq, ()), vec!["f2", "f3", "f4"]),
            (pr("lastLogin"), vec!["f1"]),
            (cmp("STATUS", Eq, "staged"), vec!["f3"]),
        ];
        check_user_filters(&store, cases).await;
    }

    pub async fn filter_and_or_not(store: Store) {
        filter_fixture(&store).await;
        let cases: Vec<(Filter, Vec<&str>)> = vec![
            (
                and(cmp("status", Eq, "ACTIVE"), cmp("profile.login", Sw, "ann")),
                vec!["f1"],
            ),
            (
                or(cmp("status", Eq, "STAGED"), cmp("profile.login", Sw, "dee")),
                vec!["f3", "f4"],
            ),
            (not(cmp("status", Eq, "ACTIVE")), vec!["f2", "f3"]),
            // not() over a missing value is true: f3 has no email.
            (not(cmp("profile.email", Sw, "ann")), vec!["f2", "f3", "f4"]),
            (
                not(cmp("profile.department", Eq, "sales")),
                vec!["f2", "f3", "f4"],
            ),
            (not(not(cmp("profile.department", Eq, "sales"))), vec!["f1"]),
            (
                and(
                    or(cmp("status", Eq, "ACTIVE"), cmp("status", Eq, "SUSPENDED")),
                    not(cmp("profile.isManager", Eq, true)),
                ),
                vec!["f2", "f4"],
            ),
            (
                or(
                    and(cmp("status", Eq, "ACTIVE"), pr("profile.costCenter")),
                    cmp("profile.employeeNumber", Gt, 200),
                ),
                vec!["f1", "f2", "f4"],
            ),
        ];
        check_user_filters(&store, cases).await;
    }

    pub async fn filter_json_profile_attributes(store: Store) {
        filter_fixture(&store).await;
        let cases: Vec<(Filter, Vec<&str>)> = vec![
            (cmp("profile.department", Eq, "SALES"), vec!["f1"]),
            (
                cmp("profile.department", Ne, "sales"),
                vec!["f2", "f3", "f4"],
            ),
            (cmp("profile.department", Sw, "sales"), vec!["f1", "f2"]),
            (cmp("profile.department", Ew, "OPS"), vec!["f2"]),
            (cmp("profile.department", Co, "LES"), vec!["f1", "f2"]),
            (cmp("profile.department", Gt, "sales"), vec!["f2"]),
            (cmp("profile.department", Lt, "sales"), vec!["f3"]),
            (pr("profile.department"), vec!["f1", "f2"]),
            (cmp("profile.department", Eq, ()), vec!["f3", "f4"]),
            (cmp("profile.department", Ne, ()), vec!["f1", "f2"]),
            (cmp("profile.costCenter", Co, "%_"), vec!["f1"]),
            (cmp("profile.costCenter", Co, "_O"), vec!["f1"]),
            (cmp("profile.employeeNumber", Eq, 100), vec!["f1"]),
            (cmp("profile.employeeNumber", Gt, 100), vec!["f2"]),
            (cmp("profile.employeeNumber", Ge, 100), vec!["f1", "f2"]),
            (cmp("profile.employeeNumber", Lt, 250.6), vec!["f1", "f2"]),
            (cmp("profile.employeeNumber", Le, 250.5), vec!["f1", "f2"]),
            // A string "300" is not the number 300, and vice versa.
            (cmp("profile.employeeNumber", Eq, 300), vec![]),
            (cmp("profile.employeeNumber", Eq, "300"), vec!["f3"]),
            (
                cmp("profile.employeeNumber", Ne, 100),
                vec!["f2", "f3", "f4"],
            ),
            (cmp("profile.isManager", Eq, true), vec!["f1"]),
            (cmp("profile.isManager", Eq, false), vec!["f2"]),
            (cmp("profile.isManager", Ne, true), vec!["f2", "f3", "f4"]),
            (pr("profile.isManager"), vec!["f1", "f2"]),
            (pr("profile.tags"), vec!["f3"]),
            (cmp("profile.nickname", Eq, "x"), vec![]),
            (pr("profile.nickname"), vec![]),
        ];
        check_user_filters(&store, cases).await;
    }

    pub async fn filter_timestamps(store: Store) {
        filter_fixture(&store).await;
        let at = |m: i64| ts(m).to_string();
        let whole_second = ts(20).to_string().replace(".000Z", "Z");
        let cases: Vec<(Filter, Vec<&str>)> = vec![
            (cmp("lastUpdated", Gt, at(20).as_str()), vec!["f3", "f4"]),
            (
                cmp("lastUpdated", Ge, at(20).as_str()),
                vec!["f2", "f3", "f4"],
            ),
            (cmp("lastUpdated", Lt, at(20).as_str()), vec!["f1"]),
            (
                cmp("lastUpdated", Le, whole_second.as_str()),
                vec!["f1", "f2"],
            ),
            (cmp("lastUpdated", Eq, whole_second.as_str()), vec!["f2"]),
            (
                cmp("lastUpdated", Ne, at(20).as_str()),
                vec!["f1", "f3", "f4"],
            ),
            (
                cmp("lastUpdated", Sw, &at(20)[..10]),
                vec!["f1", "f2", "f3", "f4"],
            ),
            (
                cmp("created", Eq, at(0).as_str()),
                vec!["f1", "f2", "f3", "f4"],
            ),
            (cmp("lastLogin", Gt, at(0).as_str()), vec!["f1"]),
            (
                cmp("lastLogin", Ne, at(20).as_str()),
                vec!["f2", "f3", "f4"],
            ),
            (
                and(
                    cmp("lastUpdated", Gt, at(10).as_str()),
                    cmp("lastUpdated", Lt, at(40).as_str()),
                ),
                vec!["f2", "f3"],
            ),
        ];
        check_user_filters(&store, cases).await;
    }

    async fn check_user_filters(store: &Store, cases: Vec<(Filter, Vec<&str>)>) {
        let mut failures = Vec::new();
        for (filter, expected) in cases {
            let got = user_ids(store, filter.clone()).await;
            let expected: Vec<String> = expected
                .iter()
                .map(|s| format!("00u00000000000000{s}"))
                .collect();
            if got != expected {
                failures.push(format!(
                    "{filter:?}\n  expected {expected:?}\n  got      {got:?}"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} filter(s) gave wrong results:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    pub async fn filter_paging_with_filter(store: Store) {
        let users: Vec<_> = (0..30)
            .map(|i| {
                let status = if i % 3 == 0 {
                    UserStatus::Suspended
                } else {
                    UserStatus::Active
                };
                user(
                    &format!("00u{i:017}"),
                    &format!("f{i}@example.com"),
                    status,
                    json!({"n": i}),
                )
            })
            .collect();
        store.insert_users_batch(&users, &[]).await.unwrap();
        let filter = and(cmp("status", Eq, "ACTIVE"), cmp("profile.n", Ge, 5));
        let mut after = None;
        let mut seen = Vec::new();
        loop {
            let page = store
                .list_users(&UserQuery {
                    filter: Some(filter.clone()),
                    after,
                    limit: 7,
                    ..UserQuery::default()
                })
                .await
                .unwrap();
            seen.extend(ids(&page.items, |u| &u.id));
            after = page.next_after;
            if after.is_none() {
                break;
            }
        }
        let expected: Vec<String> = (5..30)
            .filter(|i| i % 3 != 0)
            .map(|i| format!("00u{i:017}"))
            .collect();
        assert_eq!(seen, expected);
    }

    pub async fn invalid_filters_are_explained(store: Store) {
        let bad: Vec<(Filter, &str)> = vec![
            (cmp("nickname", Eq, "x"), "nickname"),
            (cmp("status", Eq, 3), "status"),
            (cmp("lastUpdated", Gt, "last tuesday"), "lastUpdated"),
            (cmp("profile.a b", Eq, "x"), "profile.a b"),
            (cmp("profile.n", Sw, 3), "profile.n"),
            (cmp("profile.flag", Gt, true), "profile.flag"),
            (cmp("status", Gt, ()), "status"),
            (value_path("status", cmp("x", Eq, "y")), "status"),
        ];
        for (filter, field) in bad {
            match store
                .list_users(&UserQuery {
                    filter: Some(filter.clone()),
                    limit: 10,
                    ..UserQuery::default()
                })
                .await
            {
                Err(StoreError::InvalidFilter { field: f, message }) => {
                    assert_eq!(f, field, "{filter:?}: {message}");
                }
                other => panic!("{filter:?}: expected InvalidFilter, got {other:?}"),
            }
        }
        let err = store
            .list_users(&UserQuery {
                filter: Some(cmp("nickname", Eq, "x")),
                limit: 1,
                ..UserQuery::default()
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("profile.<attribute>"), "{err}");
        let err = store
            .list_groups(&GroupQuery {
                filter: Some(cmp("profile.color", Eq, "x")),
                limit: 1,
                ..GroupQuery::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_filter");
        let err = store
            .list_events(&EventQuery {
                after: Some("nope".into()),
                limit: 1,
                ..EventQuery::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), "invalid_filter");
    }

    pub async fn groups_crud(store: Store) {
        let g = group("00g00000000000000g1", "Engineering");
        store
            .insert_group(&g, &[event(&uuid(), "group.lifecycle.create", 0)])
            .await
            .unwrap();
        assert_eq!(store.get_group(&g.id).await.unwrap().as_ref(), Some(&g));
        assert_eq!(
            store
                .get_group_by_name("ENGINEERING")
                .await
                .unwrap()
                .map(|g| g.id),
            Some(g.id.clone())
        );
        assert!(store.get_group_by_name("nope").await.unwrap().is_none());

        match store
            .insert_group(&group("00g00000000000000g2", "engineering"), &[])
            .await
        {
            Err(StoreError::Conflict {
                field: "name",
                value,
            }) => assert_eq!(value.as_deref(), Some("engineering")),
            other => panic!("expected a name conflict, got {other:?}"),
        }

        let mut changed = g.clone();
        changed.name = "Platform Engineering".into();
        changed.description = None;
        changed.last_updated = ts(5);
        changed.last_membership_updated = ts(99);
        assert_eq!(store.update_group(&changed, 1, &[]).await.unwrap(), 2);
        let read = store.get_group(&g.id).await.unwrap().expect("group");
        assert_eq!(read.name, "Platform Engineering");
        assert_eq!(read.description, None);
        assert_eq!(read.last_updated, ts(5));
        assert_eq!(
            read.last_membership_updated, g.last_membership_updated,
            "memberships own lastMembershipUpdated"
        );
        assert_eq!(read.version, 2);

        let other = group("00g00000000000000g3", "Sales");
        store.insert_group(&other, &[]).await.unwrap();
        let mut rename = other.clone();
        rename.name = "PLATFORM engineering".into();
        assert!(matches!(
            store.update_group(&rename, 1, &[]).await,
            Err(StoreError::Conflict { field: "name", .. })
        ));

        store.delete_group(&g.id, &[]).await.unwrap();
        assert!(store.get_group(&g.id).await.unwrap().is_none());
        assert!(matches!(
            store.delete_group(&g.id, &[]).await,
            Err(StoreError::NotFound { kind: "group", .. })
        ));
        assert!(matches!(
            store.update_group(&changed, 2, &[]).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.count_events().await.unwrap(), 1);
    }

    pub async fn groups_list_filter_q_and_paging(store: Store) {
        for i in 0..12 {
            let mut g = group(&format!("00g{i:017}"), &format!("Team {i:02}"));
            g.last_updated = ts(i);
            if i % 4 == 0 {
                g.kind = roster_core::GroupKind::AppGroup;
            }
            store.insert_group(&g, &[]).await.unwrap();
        }
        let mut after = None;
        let mut seen = Vec::new();
        loop {
            let page = store
                .list_groups(&GroupQuery {
                    after,
                    limit: 5,
                    ..GroupQuery::default()
                })
                .await
                .unwrap();
            seen.extend(ids(&page.items, |g| &g.id));
            after = page.next_after;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(seen.len(), 12);
        let list = |filter: Option<Filter>, q: Option<&str>| {
            let store = store.clone();
            let query = GroupQuery {
                filter,
                q: q.map(String::from),
                limit: 100,
                ..GroupQuery::default()
            };
            async move {
                store
                    .list_groups(&query)
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|g| g.name)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            list(Some(cmp("type", Eq, "APP_GROUP")), None).await,
            strs(&["Team 00", "Team 04", "Team 08"])
        );
        assert_eq!(
            list(Some(cmp("profile.name", Eq, "team 07")), None).await,
            strs(&["Team 07"])
        );
        assert_eq!(
            list(Some(cmp("name", Sw, "TEAM 1")), None).await,
            strs(&["Team 10", "Team 11"])
        );
        assert_eq!(
            list(
                Some(cmp("lastUpdated", Ge, ts(10).to_string().as_str())),
                None
            )
            .await,
            strs(&["Team 10", "Team 11"])
        );
        assert_eq!(
            list(Some(cmp("description", Co, "team 03")), None).await,
            strs(&["Team 03"])
        );
        assert_eq!(list(None, Some("team 0")).await.len(), 10);
        assert_eq!(
            list(Some(cmp("type", Eq, "APP_GROUP")), Some("team 0")).await,
            strs(&["Team 00", "Team 04", "Team 08"])
        );
    }

    pub async fn memberships(store: Store) {
        let g = group("00g00000000000000m1", "Members");
        store.insert_group(&g, &[]).await.unwrap();
        let users: Vec<_> = (0..7)
            .map(|i| {
                user(
                    &format!("00u{i:017}"),
                    &format!("m{i}@example.com"),
                    UserStatus::Active,
                    json!({}),
                )
            })
            .collect();
        store.insert_users_batch(&users, &[]).await.unwrap();

        for (i, u) in users.iter().enumerate() {
            let added = store
                .add_member(
                    &g.id,
                    &u.id,
                    ts(10 + i as i64),
                    &[event(&uuid(), "group.user_membership.add", 0)],
                )
                .await
                .unwrap();
            assert!(added);
        }
        assert_eq!(store.count_events().await.unwrap(), 7);
        // Idempotent: no second row, no event, no change of lastMembershipUpdated.
        assert!(!store
            .add_member(
                &g.id,
                &users[0].id,
                ts(50),
                &[event(&uuid(), "group.user_membership.add", 0)]
            )
            .await
            .unwrap());
        assert_eq!(store.count_events().await.unwrap(), 7);
        assert_eq!(
            store
                .get_group(&g.id)
                .await
                .unwrap()
                .expect("group")
                .last_membership_updated,
            ts(16)
        );

        let mut after = None;
        let mut seen = Vec::new();
        loop {
            let page = store
                .list_members(&g.id, after.as_deref(), 3)
                .await
                .unwrap();
            seen.extend(ids(&page.items, |u| &u.id));
            after = page.next_after;
            if after.is_none() {
                break;
            }
        }
        assert_eq!(seen, ids(&users, |u| &u.id));

        let g2 = group("00g00000000000000m2", "Others");
        store.insert_group(&g2, &[]).await.unwrap();
        store
            .add_member(&g2.id, &users[0].id, ts(60), &[])
            .await
            .unwrap();
        assert_eq!(
            store.user_group_ids(&users[0].id).await.unwrap(),
            strs(&["00g00000000000000m1", "00g00000000000000m2"])
        );
        let groups = store.list_user_groups(&users[0].id).await.unwrap();
        assert_eq!(
            ids(&groups, |g| &g.id),
            strs(&["00g00000000000000m1", "00g00000000000000m2"])
        );
        assert_eq!(
            store.user_group_ids(&users[1].id).await.unwrap(),
            strs(&["00g00000000000000m1"])
        );

        assert!(store
            .remove_member(
                &g.id,
                &users[1].id,
                ts(70),
                &[event(&uuid(), "group.user_membership.remove", 0)]
            )
            .await
            .unwrap());
        assert!(!store
            .remove_member(
                &g.id,
                &users[1].id,
                ts(71),
                &[event(&uuid(), "group.user_membership.remove", 0)]
            )
            .await
            .unwrap());
        assert_eq!(store.count_events().await.unwrap(), 8);
        assert!(store.user_group_ids(&users[1].id).await.unwrap().is_empty());
        assert_eq!(
            store
                .get_group(&g.id)
                .await
                .unwrap()
                .expect("group")
                .last_membership_updated,
            ts(70)
        );

        assert!(matches!(
            store.add_member(&g.id, "00u_missing", ts(0), &[]).await,
            Err(StoreError::NotFound { kind: "user", .. })
        ));
        assert!(matches!(
            store
                .add_member("00g_missing", &users[0].id, ts(0), &[])
                .await,
            Err(StoreError::NotFound { kind: "group", .. })
        ));
        assert!(matches!(
            store.list_members("00g_missing", None, 10).await,
            Err(StoreError::NotFound { kind: "group", .. })
        ));
        assert!(matches!(
            store.list_user_groups("00u_missing").await,
            Err(StoreError::NotFound { kind: "user", .. })
        ));
    }

    pub async fn deleting_users_and_groups_removes_memberships(store: Store) {
        let g = group("00g00000000000000d1", "Doomed");
        let g2 = group("00g00000000000000d2", "Kept");
        store.insert_group(&g, &[]).await.unwrap();
        store.insert_group(&g2, &[]).await.unwrap();
        let a = user(
            "00u00000000000000d1",
            "a@example.com",
            UserStatus::Active,
            json!({}),
        );
        let b = user(
            "00u00000000000000d2",
            "b@example.com",
            UserStatus::Active,
            json!({}),
        );
        store
            .insert_users_batch(&[a.clone(), b.clone()], &[])
            .await
            .unwrap();
        for gid in [&g.id, &g2.id] {
            for uid in [&a.id, &b.id] {
                store.add_member(gid, uid, ts(1), &[]).await.unwrap();
            }
        }
        store.delete_user(&a.id, &[]).await.unwrap();
        assert_eq!(
            ids(
                &store.list_members(&g2.id, None, 10).await.unwrap().items,
                |u| &u.id
            ),
            vec![b.id.clone()]
        );
        store.delete_group(&g.id, &[]).await.unwrap();
        assert_eq!(
            store.user_group_ids(&b.id).await.unwrap(),
            vec![g2.id.clone()]
        );
        // The user can be created again with the same login and joins nothing.
        store.insert_user(&a, &[]).await.unwrap();
        assert!(store.user_group_ids(&a.id).await.unwrap().is_empty());
    }

    pub async fn api_tokens(store: Store) {
        let token = |id: &str, hash: &str, minutes: i64| ApiToken {
            id: id.into(),
            name: format!("token {id}"),
            role: Role::SuperAdmin,
            token_hash: hash.into(),
            token_prefix: "00abc".into(),
            created: ts(minutes),
            last_used: None,
            revoked: false,
        };
        let t1 = token("00T00000000000000t1", "aa11", 0);
        let mut t2 = token("00T00000000000000t2", "bb22", 1);
        t2.role = Role::ReadOnlyAdmin;
        store
            .insert_token(&t1, &[event(&uuid(), "system.api_token.create", 0)])
            .await
            .unwrap();
        store.insert_token(&t2, &[]).await.unwrap();
        match store
            .insert_token(
                &token("00T00000000000000t3", "aa11", 2),
                &[event(&uuid(), "system.api_token.create", 0)],
            )
            .await
        {
            Err(StoreError::Conflict {
                field: "token_hash",
                value: None,
            }) => {}
            other => panic!("expected a token_hash conflict without the hash, got {other:?}"),
        }
        assert_eq!(store.count_events().await.unwrap(), 1);
        assert_eq!(
            store.find_token_by_hash("bb22").await.unwrap(),
            Some(t2.clone())
        );
        assert!(store.find_token_by_hash("cc33").await.unwrap().is_none());
        assert_eq!(
            ids(&store.list_tokens().await.unwrap(), |t| &t.id),
            strs(&["00T00000000000000t1", "00T00000000000000t2"])
        );

        store.touch_token(&t1.id, ts(30)).await.unwrap();
        assert_eq!(
            store
                .get_token(&t1.id)
                .await
                .unwrap()
                .and_then(|t| t.last_used),
            Some(ts(30))
        );
        store
            .revoke_token(&t1.id, &[event(&uuid(), "system.api_token.revoke", 0)])
            .await
            .unwrap();
        assert!(
            store
                .find_token_by_hash("aa11")
                .await
                .unwrap()
                .expect("still findable")
                .revoked
        );
        assert!(matches!(
            store.revoke_token("00T_missing", &[]).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.touch_token("00T_missing", ts(0)).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.count_events().await.unwrap(), 2);
    }

    pub async fn documents(store: Store) {
        let doc = |id: &str, priority: i64, body: serde_json::Value| Document {
            kind: "password_policy".into(),
            id: id.into(),
            priority,
            body,
            version: 0,
            updated: ts(0),
        };
        let p1 = doc(
            "00p1",
            2,
            json!({"minLength": 10, "name": "Strict", "nested": {"a": [1, 2]}}),
        );
        assert_eq!(
            store
                .put_document(&p1, None, &[event(&uuid(), "policy.lifecycle.create", 0)])
                .await
                .unwrap(),
            1
        );
        assert_eq!(store.put_document(&p1, None, &[]).await.unwrap(), 2);
        let mut p1b = p1.clone();
        p1b.body = json!({"minLength": 12});
        p1b.updated = ts(5);
        assert_eq!(store.put_document(&p1b, Some(2), &[]).await.unwrap(), 3);
        assert!(matches!(
            store
                .put_document(&p1b, Some(2), &[event(&uuid(), "x", 0)])
                .await,
            Err(StoreError::VersionConflict {
                expected: 2,
                actual: 3,
                ..
            })
        ));
        assert!(matches!(
            store
                .put_document(&p1b, Some(0), &[event(&uuid(), "x", 0)])
                .await,
            Err(StoreError::Conflict { field: "id", .. })
        ));
        assert!(matches!(
            store
                .put_document(&doc("00p_missing", 1, json!({})), Some(4), &[])
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let read = store
            .get_document("password_policy", "00p1")
            .await
            .unwrap()
            .expect("document");
        assert_eq!(
            (read.body.clone(), read.version, read.updated, read.priority),
            (json!({"minLength": 12}), 3, ts(5), 2)
        );

        assert_eq!(
            store
                .put_document(&doc("00p3", 1, json!({"n": 3})), Some(0), &[])
                .await
                .unwrap(),
            1
        );
        store
            .put_document(&doc("00p2", 1, json!({"n": 2})), None, &[])
            .await
            .unwrap();
        let mut schema = doc("default", 0, json!({"properties": {}}));
        schema.kind = "profile_schema".into();
        store.put_document(&schema, None, &[]).await.unwrap();
        let listed = store.list_documents("password_policy").await.unwrap();
        assert_eq!(
            listed.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(),
            vec!["00p2", "00p3", "00p1"]
        );
        assert_eq!(
            store.list_documents("profile_schema").await.unwrap().len(),
            1
        );

        store
            .delete_document(
                "password_policy",
                "00p1",
                &[event(&uuid(), "policy.lifecycle.delete", 0)],
            )
            .await
            .unwrap();
        assert!(store
            .get_document("password_policy", "00p1")
            .await
            .unwrap()
            .is_none());
        assert!(matches!(
            store
                .delete_document("password_policy", "00p1", &[event(&uuid(), "x", 0)])
                .await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.count_events().await.unwrap(), 2);
    }

    async fn event_fixture(store: &Store) {
        let failed = |field: &str, code: &str, user: &str, minutes: i64| {
            event(
                &uuid(),
                "app.user_management.update_from_master_failed",
                minutes,
            )
            .failure("validation failed")
            .with_target(
                user,
                "User",
                Some(&format!("{user}@example.com")),
                Some("A User"),
            )
            .with_target("0oaAPP", "AppInstance", Some("ad"), None)
            .with_debug("ErrorCode", code)
            .with_debug("ErrorField", field)
        };
        let events = vec![
            event(&uuid(), "user.lifecycle.create", 0).with_target(
                "00uANN",
                "User",
                Some("ann@example.com"),
                None,
            ),
            failed("login", "notUniqueWithinOrg", "00uANN", 1),
            failed("email", "invalidLoginEmail", "00uBOB", 2),
            event(&uuid(), "user.session.start", 3).with_debug("attempt", 3),
            failed(
                "timezone",
                "platform.cvd.profile.property.constraint.violation.timezone",
                "00uCY",
                4,
            ),
        ];
        store.append_events(&events).await.unwrap();
    }

    pub async fn events_filters(store: Store) {
        event_fixture(&store).await;
        let fail = "app.user_management.update_from_master_failed";
        let cases: Vec<(Filter, Vec<&str>)> = vec![
            (cmp("eventType", Eq, fail), vec![fail, fail, fail]),
            (
                cmp("eventType", Eq, "USER.LIFECYCLE.CREATE"),
                vec!["user.lifecycle.create"],
            ),
            (
                cmp("eventType", Sw, "user."),
                vec!["user.lifecycle.create", "user.session.start"],
            ),
            (
                cmp("debugContext.debugData.ErrorCode", Eq, "invalidLoginEmail"),
                vec![fail],
            ),
            (
                cmp("debugContext.debugData.ErrorCode", Sw, "platform.cvd."),
                vec![fail],
            ),
            (
                cmp("debugContext.debugData.attempt", Ge, 3),
                vec!["user.session.start"],
            ),
            (
                pr("debugContext.debugData.ErrorField"),
                vec![fail, fail, fail],
            ),
            (cmp("outcome.result", Eq, "failure"), vec![fail, fail, fail]),
            (
                cmp("outcome.reason", Co, "VALIDATION"),
                vec![fail, fail, fail],
            ),
            (
                cmp("severity", Eq, "info"),
                vec!["user.lifecycle.create", "user.session.start"],
            ),
            (
                cmp("actor.id", Eq, "system"),
                vec![
                    "user.lifecycle.create",
                    fail,
                    fail,
                    "user.session.start",
                    fail,
                ],
            ),
            (
                cmp("actor.alternateId", Eq, "SYSTEM@roster"),
                vec![
                    "user.lifecycle.create",
                    fail,
                    fail,
                    "user.session.start",
                    fail,
                ],
            ),
            (
                cmp("target.id", Eq, "00uANN"),
                vec!["user.lifecycle.create", fail],
            ),
            (
                cmp("target.id", Ne, "00uANN"),
                vec![fail, "user.session.start", fail],
            ),
            (
                cmp("target.type", Eq, "appinstance"),
                vec![fail, fail, fail],
            ),
            (cmp("target.alternateId", Co, "BOB@"), vec![fail]),
            (pr("target.displayName"), vec![fail, fail, fail]),
            (
                value_path(
                    "target",
                    and(
                        cmp("type", Eq, "User"),
                        cmp("alternateId", Ew, "@example.com"),
                    ),
                ),
                vec!["user.lifecycle.create", fail, fail, fail],
            ),
            (
                value_path(
                    "target",
                    and(
                        cmp("type", Eq, "AppInstance"),
                        cmp("alternateId", Eq, "ann@example.com"),
                    ),
                ),
                vec![],
            ),
            (
                and(cmp("eventType", Eq, fail), cmp("target.id", Eq, "00uCY")),
                vec![fail],
            ),
            (
                and(
                    cmp("eventType", Eq, fail),
                    not(cmp("debugContext.debugData.ErrorField", Eq, "login")),
                ),
                vec![fail, fail],
            ),
        ];
        let mut failures = Vec::new();
        for (filter, expected) in cases {
            let got = event_types(&store, filter.clone()).await;
            if got != strs(&expected) {
                failures.push(format!(
                    "{filter:?}\n  expected {expected:?}\n  got      {got:?}"
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} filter(s) gave wrong results:\n{}",
            failures.len(),
            failures.join("\n")
        );

        let by_code = store
            .list_events(&EventQuery {
                filter: Some(cmp(
                    "debugContext.debugData.ErrorCode",
                    Eq,
                    "notUniqueWithinOrg",
                )),
                limit: 10,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        let e = &by_code.items[0];
        assert_eq!(
            e.debug_context.debug_data.get("ErrorField"),
            Some(&json!("login"))
        );
        assert_eq!(e.target[0].id, "00uANN");
    }

    pub async fn events_paging_and_time_bounds(store: Store) {
        let events: Vec<_> = (0..23)
            .map(|i| event(&format!("ev-{i:03}"), &format!("t.{i:03}"), i))
            .collect();
        store.append_events(&events).await.unwrap();
        let all = |order: Order| {
            let store = store.clone();
            async move {
                let mut after = None;
                let mut seen = Vec::new();
                loop {
                    let page = store
                        .list_events(&EventQuery {
                            after,
                            limit: 10,
                            order,
                            ..EventQuery::default()
                        })
                        .await
                        .unwrap();
                    seen.extend(page.items.iter().map(|e| e.uuid.clone()));
                    if page.next_after.is_none() {
                        assert!(page.end_cursor.is_some());
                        break;
                    }
                    after = page.next_after;
                }
                seen
            }
        };
        let asc = all(Order::Asc).await;
        let expected: Vec<String> = (0..23).map(|i| format!("ev-{i:03}")).collect();
        assert_eq!(asc, expected);
        let mut desc = all(Order::Desc).await;
        desc.reverse();
        assert_eq!(desc, expected);

        let bounded = store
            .list_events(&EventQuery {
                since: Some(ts(5)),
                until: Some(ts(8)),
                limit: 100,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            bounded
                .items
                .iter()
                .map(|e| e.uuid.as_str())
                .collect::<Vec<_>>(),
            vec!["ev-005", "ev-006", "ev-007"]
        );
        let bounded = store
            .list_events(&EventQuery {
                filter: Some(cmp("published", Ge, ts(20).to_string().as_str())),
                limit: 100,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(bounded.items.len(), 3);
        assert_eq!(bounded.items[0], events[20]);

        // Polling: the end cursor of the last page picks up what is appended later.
        let last = store
            .list_events(&EventQuery {
                limit: 100,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        store
            .append_events(&[event("ev-new", "t.new", 30)])
            .await
            .unwrap();
        let newer = store
            .list_events(&EventQuery {
                after: last.end_cursor,
                limit: 100,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(
            newer
                .items
                .iter()
                .map(|e| e.uuid.as_str())
                .collect::<Vec<_>>(),
            vec!["ev-new"]
        );
    }

    pub async fn events_batch_append(store: Store) {
        let events: Vec<_> = (0..5_000)
            .map(|i| event(&uuid(), if i % 2 == 0 { "even" } else { "odd" }, i % 60))
            .collect();
        assert_eq!(store.append_events_batch(&events).await.unwrap(), 5_000);
        assert_eq!(store.count_events().await.unwrap(), 5_000);
        let odd = store
            .list_events(&EventQuery {
                filter: Some(cmp("eventType", Eq, "odd")),
                limit: 10_000,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        assert_eq!(odd.items.len(), 2_500);
        assert_eq!(odd.items[0], events[1]);
        // A duplicate uuid anywhere in the batch writes nothing.
        let mut dup: Vec<_> = (0..1_500).map(|i| event(&uuid(), "dup", i)).collect();
        dup.push(events[0].clone());
        assert!(matches!(
            store.append_events_batch(&dup).await,
            Err(StoreError::Conflict { field: "uuid", .. })
        ));
        assert_eq!(store.count_events().await.unwrap(), 5_000);
    }

    pub async fn parity_user_filters(store: Store) {
        let mut users = filter_fixture(&store).await;
        let mut u5 = user(
            "00u00000000000000f5",
            "eve@example.com",
            UserStatus::Recovery,
            json!({
                "tags": ["Admin", "ops", ""],
                "address": {"city": "Paris", "zip": "75001"},
                "emails": [{"type": "home", "value": "eve@home.example"}, {"type": "work", "value": "Eve@Example.com"}],
                "scores": [1, 5, 9],
                "empty": [],
                "blank": {},
            }),
        );
        u5.last_updated = ts(50);
        u5.password_changed = Some(ts(45));
        store.insert_user(&u5, &[]).await.unwrap();
        users.push(u5);
        let docs: Vec<_> = users.iter().map(|u| (u.id.clone(), user_json(u))).collect();
        let at = |m: i64| ts(m).to_string();
        let filters: Vec<String> = vec![
            r#"status eq "ACTIVE""#.into(),
            r#"status ne "active""#.into(),
            r#"status sw "ACT" or status ew "ERY""#.into(),
            r#"id eq "00u00000000000000f2""#.into(),
            r#"id ge "00u00000000000000f2" and id lt "00u00000000000000f5""#.into(),
            r#"id co "F4""#.into(),
            r#"profile.login eq "BOB.RAY@example.com""#.into(),
            r#"profile.login sw "bob""#.into(),
            r#"profile.login ew "@example.com""#.into(),
            r#"profile.login co "_x""#.into(),
            r#"profile.login co "%""#.into(),
            r#"profile.login gt "c""#.into(),
            r#"profile.email pr"#.into(),
            r#"profile.email eq null"#.into(),
            r#"profile.email ne "ann.lee@example.com""#.into(),
            r#"not (profile.email sw "ann")"#.into(),
            r#"profile.firstName sw "firstann""#.into(),
            r#"profile.lastName gt "lastc""#.into(),
            r#"profile.department eq "sales""#.into(),
            r#"profile.department ne "sales""#.into(),
            r#"profile.department sw "sales""#.into(),
            r#"profile.department ew "OPS""#.into(),
            r#"profile.department lt "sales""#.into(),
            r#"profile.department pr"#.into(),
            r#"profile.department eq null"#.into(),
            r#"profile.department ne null"#.into(),
            r#"profile.costCenter co "%_""#.into(),
            r#"profile.costCenter co "_o""#.into(),
            r#"profile.employeeNumber eq 100"#.into(),
            r#"profile.employeeNumber gt 100"#.into(),
            r#"profile.employeeNumber le 250.5"#.into(),
            r#"profile.employeeNumber eq 300"#.into(),
            r#"profile.employeeNumber eq "300""#.into(),
            r#"profile.employeeNumber ne 100"#.into(),
            r#"profile.isManager eq true"#.into(),
            r#"profile.isManager eq false"#.into(),
            r#"profile.isManager ne true"#.into(),
            r#"profile.isManager pr"#.into(),
            r#"profile.tags eq "admin""#.into(),
            r#"profile.tags ne "admin""#.into(),
            r#"profile.tags sw "o""#.into(),
            r#"profile.tags pr"#.into(),
            r#"profile.tags eq null"#.into(),
            r#"profile.address.city eq "PARIS""#.into(),
            r#"profile.address pr"#.into(),
            r#"profile.empty pr"#.into(),
            r#"profile.blank pr"#.into(),
            r#"profile.scores gt 8"#.into(),
            r#"profile.scores eq 5 and profile.scores eq 1"#.into(),
            r#"profile.emails.value co "home""#.into(),
            r#"profile.emails[type eq "work" and value ew "@example.com"]"#.into(),
            r#"profile.emails[type eq "home" and value ew "@example.com"]"#.into(),
            r#"not (profile.emails[type eq "work"])"#.into(),
            r#"profile.nickname eq "x""#.into(),
            r#"profile.nickname ne "x""#.into(),
            r#"credentials.provider.type eq "FEDERATION""#.into(),
            r#"activated pr"#.into(),
            r#"activated eq null"#.into(),
            r#"lastLogin pr"#.into(),
            format!(r#"lastUpdated gt "{}""#, at(20)),
            format!(
                r#"lastUpdated ge "{}" and lastUpdated lt "{}""#,
                at(20),
                at(50)
            ),
            format!(r#"lastUpdated ne "{}""#, at(20)),
            format!(r#"passwordChanged le "{}""#, at(45)),
            format!(r#"created eq "{}""#, at(0)),
            r#"(status eq "ACTIVE" or status eq "SUSPENDED") and not (profile.isManager eq true)"#
                .into(),
            r#"status eq "ACTIVE" and profile.costCenter pr or profile.employeeNumber gt 200"#
                .into(),
            r#"not (not (profile.department eq "sales"))"#.into(),
        ];
        let mut results = Vec::new();
        for text in &filters {
            let filter = roster_filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            results.push(user_ids(&store, filter).await);
        }
        let failures = parity_failures(&filters, &results, &docs);
        assert!(
            failures.is_empty(),
            "{} filter(s) differ from Filter::matches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    pub async fn parity_event_filters(store: Store) {
        event_fixture(&store).await;
        let all = store
            .list_events(&EventQuery {
                limit: 100,
                ..EventQuery::default()
            })
            .await
            .unwrap()
            .items;
        let docs: Vec<_> = all
            .iter()
            .map(|e| (e.uuid.clone(), serde_json::to_value(e).unwrap()))
            .collect();
        let filters: Vec<String> = vec![
            r#"eventType eq "app.user_management.update_from_master_failed""#.into(),
            r#"eventType eq "USER.LIFECYCLE.CREATE""#.into(),
            r#"eventType sw "user.""#.into(),
            r#"eventType ne "user.session.start""#.into(),
            r#"debugContext.debugData.ErrorCode eq "invalidLoginEmail""#.into(),
            r#"debugContext.debugData.ErrorCode sw "platform.cvd.""#.into(),
            r#"debugContext.debugData.ErrorCode pr"#.into(),
            r#"debugContext.debugData.attempt ge 3"#.into(),
            r#"outcome.result eq "FAILURE""#.into(),
            r#"outcome.result ne "success""#.into(),
            r#"outcome.reason co "VALIDATION""#.into(),
            r#"outcome.reason eq null"#.into(),
            r#"severity eq "warn""#.into(),
            r#"actor.id eq "system""#.into(),
            r#"actor.alternateId eq "SYSTEM@roster""#.into(),
            r#"target.id eq "00uANN""#.into(),
            r#"target.id ne "00uANN""#.into(),
            r#"target.type eq "appinstance""#.into(),
            r#"target.alternateId co "BOB@""#.into(),
            r#"target.displayName pr"#.into(),
            r#"target pr"#.into(),
            r#"target[type eq "User" and alternateId ew "@example.com"]"#.into(),
            r#"target[type eq "AppInstance" and alternateId eq "ann@example.com"]"#.into(),
            r#"eventType eq "app.user_management.update_from_master_failed" and target.id eq "00uCY""#.into(),
            r#"eventType eq "app.user_management.update_from_master_failed" and not (debugContext.debugData.ErrorField eq "login")"#.into(),
            format!(r#"published gt "{}""#, ts(2)),
            format!(r#"published le "{}" or severity eq "INFO""#, ts(1)),
            r#"transaction.id eq "tx-1""#.into(),
            r#"client.ipAddress pr"#.into(),
        ];
        let mut results = Vec::new();
        for text in &filters {
            let filter = roster_filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let page = store
                .list_events(&EventQuery {
                    filter: Some(filter),
                    limit: 100,
                    ..EventQuery::default()
                })
                .await
                .unwrap();
            results.push(page.items.iter().map(|e| e.uuid.clone()).collect());
        }
        let failures = parity_failures(&filters, &results, &docs);
        assert!(
            failures.is_empty(),
            "{} filter(s) differ from Filter::matches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    pub async fn parity_group_filters(store: Store) {
        let mut groups = Vec::new();
        for i in 0..12 {
            let mut g = group(&format!("00g{i:017}"), &format!("Team {i:02}"));
            g.last_updated = ts(i);
            if i % 4 == 0 {
                g.kind = roster_core::GroupKind::AppGroup;
                g.description = None;
            }
            store.insert_group(&g, &[]).await.unwrap();
            groups.push(g);
        }
        let docs: Vec<_> = groups
            .iter()
            .map(|g| (g.id.clone(), group_json(g)))
            .collect();
        let filters: Vec<String> = vec![
            r#"type eq "APP_GROUP""#.into(),
            r#"type ne "okta_group""#.into(),
            r#"profile.name eq "team 07""#.into(),
            r#"profile.name sw "TEAM 1""#.into(),
            r#"profile.name ew "1""#.into(),
            r#"profile.description co "team 03""#.into(),
            r#"profile.description pr"#.into(),
            r#"profile.description eq null"#.into(),
            r#"profile.description ne "the team 01 group""#.into(),
            format!(r#"lastUpdated ge "{}""#, ts(10)),
            format!(r#"lastMembershipUpdated eq "{}""#, ts(0)),
            r#"id gt "00g00000000000000009" or type eq "APP_GROUP""#.into(),
        ];
        let mut results = Vec::new();
        for text in &filters {
            let filter = roster_filter::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let page = store
                .list_groups(&GroupQuery {
                    filter: Some(filter),
                    limit: 100,
                    ..GroupQuery::default()
                })
                .await
                .unwrap();
            results.push(ids(&page.items, |g| &g.id));
        }
        let failures = parity_failures(&filters, &results, &docs);
        assert!(
            failures.is_empty(),
            "{} filter(s) differ from Filter::matches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    fn entry(id: &str, n: i64) -> OutboxEntry {
        OutboxEntry {
            id: id.to_owned(),
            body: json!({ "change": "profileUpdated", "n": n }),
            attempts: 0,
        }
    }

    /// Entries staged on a handle are written by its next mutation, in its transaction: a
    /// mutation that fails writes none, and the plain store writes none.
    pub async fn outbox_entries_commit_with_their_change(store: Store) {
        let a = user(
            "00u00000000000000o1",
            "o@example.com",
            UserStatus::Active,
            json!({}),
        );
        let staged = store.with_outbox(vec![entry("chg1", 1), entry("chg2", 2)], ts(0), ts(1));
        staged
            .insert_user(&a, &[event(&uuid(), "user.lifecycle.create", 0)])
            .await
            .unwrap();
        assert_eq!(store.outbox_len().await.unwrap(), 2);

        // A stale update through a staged handle: no change, no event, no entry.
        let failing = store.with_outbox(vec![entry("chg3", 3)], ts(0), ts(1));
        assert!(matches!(
            failing
                .update_user(&a, 99, &[event(&uuid(), "user.account.update_profile", 1)])
                .await,
            Err(StoreError::VersionConflict { .. })
        ));
        // A clashing login: nothing either.
        let clash = user(
            "00u00000000000000o2",
            "O@example.com",
            UserStatus::Active,
            json!({}),
        );
        assert!(failing.insert_user(&clash, &[]).await.is_err());
        assert_eq!(store.outbox_len().await.unwrap(), 2);
        assert_eq!(store.count_events().await.unwrap(), 1);

        // The plain store stages nothing.
        store
            .update_user(&a, 1, &[event(&uuid(), "user.account.update_profile", 2)])
            .await
            .unwrap();
        assert_eq!(store.outbox_len().await.unwrap(), 2);
    }

    /// Only entries whose lease ran out are claimed, each by one claim until its new lease
    /// runs out; a deferred entry waits for its retry time; a finished one is gone.
    pub async fn outbox_claims_lease_and_defer(store: Store) {
        let a = user(
            "00u00000000000000o3",
            "p@example.com",
            UserStatus::Active,
            json!({}),
        );
        store
            .with_outbox(vec![entry("chgA", 1), entry("chgB", 2)], ts(0), ts(1))
            .insert_user(&a, &[])
            .await
            .unwrap();
        // Still leased to the writer.
        assert!(store
            .claim_outbox(ts(0), ts(5), 10)
            .await
            .unwrap()
            .is_empty());
        // The writer died: after the lease both are claimable, once.
        let claimed = store.claim_outbox(ts(2), ts(5), 10).await.unwrap();
        let ids: Vec<&str> = claimed.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["chgA", "chgB"]);
        assert!(claimed.iter().all(|e| e.attempts == 1));
        assert_eq!(claimed[1].body["n"], 2);
        assert!(store
            .claim_outbox(ts(3), ts(6), 10)
            .await
            .unwrap()
            .is_empty());
        // One is done, the other failed and waits until ts(20).
        store.finish_outbox("chgA").await.unwrap();
        store.finish_outbox("chgA").await.unwrap();
        store
            .defer_outbox("chgB", ts(20), "the target was down")
            .await
            .unwrap();
        assert!(store
            .claim_outbox(ts(10), ts(30), 10)
            .await
            .unwrap()
            .is_empty());
        let again = store.claim_outbox(ts(20), ts(30), 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        store.finish_outbox("chgB").await.unwrap();
        assert_eq!(store.outbox_len().await.unwrap(), 0);
    }

    pub async fn concurrent_writers(store: Store) {
        let mut tasks = Vec::new();
        for t in 0..8 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..20 {
                    let u = user(
                        &format!("00u{t:02}{i:015}"),
                        &format!("c{t}-{i}@example.com"),
                        UserStatus::Active,
                        json!({}),
                    );
                    store
                        .insert_user(&u, &[event(&uuid(), "user.lifecycle.create", 0)])
                        .await
                        .expect("concurrent insert");
                    store
                        .update_user(&u, 1, &[])
                        .await
                        .expect("concurrent update");
                }
            }));
        }
        for task in tasks {
            task.await.expect("task");
        }
        assert_eq!(store.count_users().await.unwrap(), 160);
        assert_eq!(store.count_events().await.unwrap(), 160);
    }
}
