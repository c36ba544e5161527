//! A System Log reader following `after` never skips an event on PostgreSQL, where a BIGSERIAL
//! is taken at insert time and transactions commit in any order (issue #13).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

use harness::{event, uuid, PgDatabase};
use roster_store::{EventQuery, Order, Store};
use sqlx::{Connection, Executor};

async fn ascending(store: &Store, after: Option<String>) -> (Vec<String>, Option<String>) {
    let page = store
        .list_events(&EventQuery {
            after,
            order: Order::Asc,
            limit: 100,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    (
        page.items.iter().map(|e| e.uuid.clone()).collect(),
        page.end_cursor,
    )
}

#[tokio::test]
async fn an_event_committed_after_a_later_one_is_not_skipped() {
    let db = PgDatabase::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    let first = uuid();
    store
        .append_events(&[event(&first, "user.lifecycle.create", 0)])
        .await
        .unwrap();
    let (seen, cursor) = ascending(&store, None).await;
    assert_eq!(seen, std::slice::from_ref(&first));

    // A slow transaction takes the next seq and stays open...
    let mut slow = sqlx::PgConnection::connect(&db.url).await.unwrap();
    slow.execute("BEGIN").await.unwrap();
    let late = uuid();
    sqlx::query(
        "INSERT INTO log_events (uuid, published, event_type, severity, outcome_result, actor_id, body) \
         VALUES ($1, '2026-12-03T00:00:00.000Z', 'user.account.update_profile', 'INFO', 'SUCCESS', 'system', $2::jsonb)",
    )
    .bind(&late)
    .bind(serde_json::to_string(&event(&late, "user.account.update_profile", 1)).unwrap())
    .execute(&mut slow)
    .await
    .unwrap();
    // ...while a quick one takes a later seq and commits.
    let quick = uuid();
    store
        .append_events(&[event(&quick, "user.account.update_profile", 2)])
        .await
        .unwrap();

    // A reader now sees neither: returning the quick one would move its cursor past the slow
    // one's seq, and it would never see it.
    let (seen, held) = ascending(&store, cursor.clone()).await;
    assert!(seen.is_empty(), "read past an open transaction: {seen:?}");
    let cursor = held.or(cursor);

    // Descending reads (the newest first, no cursor to follow) are not held back.
    let newest = store
        .list_events(&EventQuery {
            order: Order::Desc,
            limit: 1,
            ..EventQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(newest.items[0].uuid, quick);

    slow.execute("COMMIT").await.unwrap();
    let (seen, _) = ascending(&store, cursor).await;
    assert_eq!(seen, [late, quick], "both, in seq order");

    store.close().await;
    let _ = slow.close().await;
    db.drop().await;
}
