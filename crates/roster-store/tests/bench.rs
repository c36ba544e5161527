//! Rough throughput figures, ignored by default. Run with
//! `cargo test -p roster-store --release --test bench -- --ignored --nocapture --test-threads 1`
//! (`ROSTER_BENCH_USERS`, default 100000; `ROSTER_BENCH_EVENTS`, default 200000).

// Test code: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

use std::time::Instant;

use harness::{event, ts, user, Backend};
use roster_core::UserStatus;
use roster_store::{EventQuery, Store, UserQuery};
use serde_json::json;

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn bench_users(store: Store, label: &str) {
    let total = env_count("ROSTER_BENCH_USERS", 100_000);
    let per_call = 10_000;
    let users: Vec<_> = (0..total)
        .map(|i| {
            let mut u = user(
                &format!("00u{i:017}"),
                &format!("user{i}@example.com"),
                UserStatus::Active,
                json!({"department": format!("dept{}", i % 50), "employeeNumber": i}),
            );
            u.last_updated = ts((i % 1000) as i64);
            u
        })
        .collect();
    let start = Instant::now();
    for chunk in users.chunks(per_call) {
        store.insert_users_batch(chunk, &[]).await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: insert_users_batch {total} users ({per_call} per call): {secs:.2}s, {:.0} users/s",
        total as f64 / secs
    );
    assert_eq!(store.count_users().await.unwrap(), total as i64);

    let start = Instant::now();
    for i in (0..total).step_by(total / 1000 + 1) {
        let found = store
            .get_user_by_login(&format!("USER{i}@example.com"))
            .await
            .unwrap();
        assert!(found.is_some());
    }
    println!(
        "{label}: get_user_by_login: {:.3} ms each",
        start.elapsed().as_secs_f64() * 1000.0 / 1000.0
    );

    let filter = roster_filter::parse(
        r#"profile.department eq "dept7" and profile.employeeNumber ge 50000"#,
    )
    .unwrap();
    let start = Instant::now();
    let page = store
        .list_users(&UserQuery {
            filter: Some(filter),
            limit: 200,
            ..UserQuery::default()
        })
        .await
        .unwrap();
    println!(
        "{label}: JSON-attribute filter, first page of {}: {:.1} ms",
        page.items.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    let filter =
        roster_filter::parse(r#"status eq "ACTIVE" and profile.lastName sw "lastuser99""#).unwrap();
    let start = Instant::now();
    let page = store
        .list_users(&UserQuery {
            filter: Some(filter),
            limit: 200,
            ..UserQuery::default()
        })
        .await
        .unwrap();
    println!(
        "{label}: column filter, first page of {}: {:.1} ms",
        page.items.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
}

async fn bench_events(store: Store, label: &str) {
    let total = env_count("ROSTER_BENCH_EVENTS", 200_000);
    let per_call = 50_000;
    let start = Instant::now();
    let mut written = 0;
    while written < total {
        let n = per_call.min(total - written);
        let events: Vec<_> = (written..written + n)
            .map(|i| {
                let kind = if i % 1000 == 0 {
                    "app.user_management.update_from_master_failed"
                } else {
                    "user.session.start"
                };
                event(&uuid::Uuid::new_v4().to_string(), kind, (i / 1000) as i64)
                    .with_target(&format!("00u{i:017}"), "User", None, None)
                    .with_debug(
                        "ErrorCode",
                        if i % 1000 == 0 {
                            "notUniqueWithinOrg"
                        } else {
                            "none"
                        },
                    )
            })
            .collect();
        store.append_events_batch(&events).await.unwrap();
        written += n;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label}: append_events_batch {total} events: {secs:.2}s, {:.0} events/s",
        total as f64 / secs
    );
    for text in [
        r#"eventType eq "app.user_management.update_from_master_failed""#,
        r#"debugContext.debugData.ErrorCode eq "notUniqueWithinOrg""#,
        r#"target.id eq "00u00000000000012000""#,
    ] {
        let filter = roster_filter::parse(text).unwrap();
        let start = Instant::now();
        let page = store
            .list_events(&EventQuery {
                filter: Some(filter),
                limit: 100,
                ..EventQuery::default()
            })
            .await
            .unwrap();
        println!(
            "{label}: {text}: first page of {} in {:.1} ms",
            page.items.len(),
            start.elapsed().as_secs_f64() * 1000.0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run with --ignored --nocapture in release mode"]
async fn bench_sqlite() {
    harness::run(Backend::Sqlite, |store| async move {
        bench_users(store.clone(), "sqlite").await;
        bench_events(store, "sqlite").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark; run with --ignored --nocapture in release mode"]
async fn bench_postgres() {
    harness::run(Backend::Postgres, |store| async move {
        bench_users(store.clone(), "postgres").await;
        bench_events(store, "postgres").await;
    })
    .await;
}
