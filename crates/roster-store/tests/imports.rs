//! Import records and the one-transaction import write, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

use harness::{event, group, ts, user, uuid, Backend};
use roster_core::UserStatus;
use roster_store::{ImportRecord, ImportRecordQuery, ImportWrite, Store, StoreError};
use serde_json::json;

fn record(ext: &str, user_id: Option<&str>, state: &str, seen: &str) -> ImportRecord {
    ImportRecord {
        app_id: "0oaSRC".into(),
        external_id: ext.into(),
        user_id: user_id.map(str::to_owned),
        user_name: format!("{ext}-name"),
        status: "ACTIVE".into(),
        match_state: state.into(),
        pending_job: (state == "PENDING").then(|| seen.to_owned()),
        pending: (state == "PENDING").then(|| json!({"match": "NEW", "candidates": []})),
        profile: json!({"mail": format!("{ext}@example.com")})
            .as_object()
            .cloned()
            .unwrap(),
        digest: format!("d-{ext}"),
        modified: Some("2026-12-01T10:00:00.000Z".into()),
        seen_job: seen.into(),
        created: ts(0),
        updated: ts(0),
    }
}

async fn a_batch_writes_users_records_and_events_together(store: Store) {
    let write = ImportWrite {
        new_users: vec![
            user("00uA", "Ada@Example.com", UserStatus::Active, json!({})),
            user("00uB", "bob@example.com", UserStatus::Staged, json!({})),
        ],
        records: vec![
            record("eA", Some("00uA"), "LINKED", "0im1"),
            record("eB", Some("00uB"), "LINKED", "0im1"),
            record("eC", None, "PENDING", "0im1"),
        ],
        events: vec![event(&uuid(), "user.lifecycle.create", 0)],
        ..ImportWrite::default()
    };
    store.write_import(&write, ts(1)).await.unwrap();

    let found = store
        .import_records("0oaSRC", &["eA".into(), "eC".into(), "missing".into()])
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    let ea = found.iter().find(|r| r.external_id == "eA").unwrap();
    assert_eq!(ea, &record("eA", Some("00uA"), "LINKED", "0im1"));
    // Logins and emails match without case, in batches.
    let by_login = store
        .users_by_logins(&["ada@EXAMPLE.com".into(), "nobody@example.com".into()])
        .await
        .unwrap();
    assert_eq!(
        by_login.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(),
        ["00uA"]
    );
    let by_email = store
        .users_by_emails(&["BOB@example.com".into()])
        .await
        .unwrap();
    assert_eq!(by_email[0].id, "00uB");
    let by_id = store
        .users_by_ids(&["00uB".into(), "00uX".into()])
        .await
        .unwrap();
    assert_eq!(by_id.len(), 1);
    let of_users = store
        .import_records_of_users(&["00uB".into()])
        .await
        .unwrap();
    assert_eq!(of_users.len(), 1);
    assert_eq!(of_users[0].external_id, "eB");
    assert_eq!(store.count_events().await.unwrap(), 1);
    assert_eq!(
        store.count_linked_import_records("0oaSRC").await.unwrap(),
        2
    );
}

async fn a_conflicting_batch_writes_nothing(store: Store) {
    store
        .insert_user(
            &user("00uA", "ada@example.com", UserStatus::Active, json!({})),
            &[],
        )
        .await
        .unwrap();
    let write = ImportWrite {
        new_users: vec![
            user("00uB", "bob@example.com", UserStatus::Active, json!({})),
            user("00uC", "ADA@example.com", UserStatus::Active, json!({})),
        ],
        records: vec![record("eB", Some("00uB"), "LINKED", "0im1")],
        events: vec![event(&uuid(), "user.lifecycle.create", 0)],
        ..ImportWrite::default()
    };
    let err = store.write_import(&write, ts(1)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { field: "login", .. }),
        "{err:?}"
    );
    assert!(store.get_user("00uB").await.unwrap().is_none());
    assert!(store
        .import_records("0oaSRC", &["eB".into()])
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.count_events().await.unwrap(), 0);

    // A user changed since it was read: the whole batch is refused too.
    let mut ada = store.get_user("00uA").await.unwrap().unwrap();
    ada.profile.insert("title".into(), json!("Countess"));
    let stale = ImportWrite {
        updated_users: vec![(ada, 7)],
        records: vec![record("eA", Some("00uA"), "LINKED", "0im1")],
        ..ImportWrite::default()
    };
    let err = store.write_import(&stale, ts(2)).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict { .. }), "{err:?}");
    assert!(store
        .import_records("0oaSRC", &["eA".into()])
        .await
        .unwrap()
        .is_empty());
}

async fn records_upsert_list_and_find_removals(store: Store) {
    let first = ImportWrite {
        records: (0..5)
            .map(|i| record(&format!("e{i}"), Some(&format!("00u{i}")), "LINKED", "0im1"))
            .chain([record("eP", None, "PENDING", "0im1")])
            .collect(),
        ..ImportWrite::default()
    };
    store.write_import(&first, ts(1)).await.unwrap();
    // The second import sees e0..e2 again (one of them changed) and not e3, e4 or eP.
    let mut changed = record("e1", Some("00u1"), "LINKED", "0im2");
    changed.digest = "d-new".into();
    changed.updated = ts(5);
    changed.created = ts(5); // created is kept from the first write
    let second = ImportWrite {
        records: vec![
            record("e0", Some("00u0"), "LINKED", "0im2"),
            changed,
            record("e2", Some("00u2"), "LINKED", "0im2"),
        ],
        ..ImportWrite::default()
    };
    store.write_import(&second, ts(5)).await.unwrap();
    let e1 = store
        .import_records("0oaSRC", &["e1".into()])
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        (e1.digest.as_str(), e1.seen_job.as_str(), e1.created),
        ("d-new", "0im2", ts(0))
    );
    assert_eq!(e1.updated, ts(5));

    let unseen = store
        .list_import_records(
            "0oaSRC",
            &ImportRecordQuery {
                unseen_by: Some("0im2".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let ids: Vec<&str> = unseen
        .items
        .iter()
        .map(|r| r.external_id.as_str())
        .collect();
    assert_eq!(ids, ["e3", "e4", "eP"]);
    let pending = store
        .list_import_records(
            "0oaSRC",
            &ImportRecordQuery {
                pending_job: Some("0im1".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(pending.items.len(), 1);
    assert_eq!(
        pending.items[0].pending,
        Some(json!({"match": "NEW", "candidates": []}))
    );
    // Keyset paging over the linked ones.
    let page1 = store
        .list_import_records(
            "0oaSRC",
            &ImportRecordQuery {
                linked_only: true,
                limit: 3,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page1.items.len(), 3);
    let page2 = store
        .list_import_records(
            "0oaSRC",
            &ImportRecordQuery {
                linked_only: true,
                limit: 3,
                after: page1.next_after.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page2
            .items
            .iter()
            .map(|r| r.external_id.as_str())
            .collect::<Vec<_>>(),
        ["e3", "e4"]
    );
    assert!(page2.next_after.is_none());
    assert_eq!(store.delete_import_records("0oaSRC").await.unwrap(), 6);
}

async fn memberships_in_a_batch(store: Store) {
    let g = group("00gE", "Engineering");
    store.insert_group(&g, &[]).await.unwrap();
    for (id, login) in [
        ("00u1", "a@example.com"),
        ("00u2", "b@example.com"),
        ("00u3", "c@example.com"),
    ] {
        store
            .insert_user(&user(id, login, UserStatus::Active, json!({})), &[])
            .await
            .unwrap();
    }
    store.add_member("00gE", "00u3", ts(0), &[]).await.unwrap();
    let write = ImportWrite {
        members_added: vec![
            ("00gE".into(), "00u1".into()),
            ("00gE".into(), "00u2".into()),
            ("00gE".into(), "00u3".into()),
        ],
        members_removed: vec![],
        events: vec![event(&uuid(), "group.user_membership.add", 1)],
        ..ImportWrite::default()
    };
    store.write_import(&write, ts(3)).await.unwrap();
    assert_eq!(
        store.member_ids("00gE").await.unwrap(),
        ["00u1", "00u2", "00u3"]
    );
    assert_eq!(
        store
            .get_group("00gE")
            .await
            .unwrap()
            .unwrap()
            .last_membership_updated,
        ts(3)
    );
    let write = ImportWrite {
        members_removed: vec![
            ("00gE".into(), "00u1".into()),
            ("00gE".into(), "00u3".into()),
        ],
        ..ImportWrite::default()
    };
    store.write_import(&write, ts(4)).await.unwrap();
    assert_eq!(store.member_ids("00gE").await.unwrap(), ["00u2"]);
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test] async fn $name() { crate::harness::run(crate::Backend::Sqlite, crate::$name).await; } )* }
        mod postgres { $( #[tokio::test] async fn $name() { crate::harness::run(crate::Backend::Postgres, crate::$name).await; } )* }
    };
}

both!(
    a_batch_writes_users_records_and_events_together,
    a_conflicting_batch_writes_nothing,
    records_upsert_list_and_find_removals,
    memberships_in_a_batch,
);
