//! Opening stores: URLs, data directories, reopening, configuration errors.

// Test code: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

use harness::{user, PgDatabase};
use roster_core::UserStatus;
use roster_store::{Dialect, Store, StoreError};
use serde_json::json;

#[tokio::test]
async fn data_dir_is_created_and_reopened() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("roster-data");
    let store = Store::open_data_dir(&data).await.unwrap();
    assert_eq!(store.dialect(), Dialect::Sqlite);
    store
        .insert_user(
            &user(
                "00u00000000000000o1",
                "o@example.com",
                UserStatus::Active,
                json!({}),
            ),
            &[],
        )
        .await
        .unwrap();
    assert!(data.join("roster.db").exists());
    assert!(
        data.join("roster.db-wal").exists(),
        "the database runs in WAL mode"
    );
    store.close().await;

    // Reopening applies no migration twice and keeps the data.
    let store = Store::open_data_dir(&data).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 1);
    store.close().await;
}

#[tokio::test]
async fn sqlite_urls_create_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("by-url.db");
    let store = Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(path.exists());
    assert_eq!(store.count_users().await.unwrap(), 0);
    store.close().await;
}

#[tokio::test]
async fn in_memory_sqlite_keeps_its_data_across_calls() {
    let store = Store::connect("sqlite::memory:").await.unwrap();
    store
        .insert_user(
            &user(
                "00u00000000000000m1",
                "m@example.com",
                UserStatus::Active,
                json!({}),
            ),
            &[],
        )
        .await
        .unwrap();
    for _ in 0..5 {
        assert_eq!(store.count_users().await.unwrap(), 1);
    }
    store.close().await;
}

#[tokio::test]
async fn unusable_urls_are_configuration_errors_without_secrets() {
    for url in ["mysql://root:hunter2@localhost/db", "roster.db", ""] {
        match Store::connect(url).await {
            Err(e @ StoreError::Config { .. }) => {
                assert_eq!(e.code(), "config");
                assert!(!e.to_string().contains("hunter2"), "{e}");
            }
            other => panic!("{url}: expected a configuration error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn postgres_migrations_apply_once() {
    let db = PgDatabase::create().await;
    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(store.dialect(), Dialect::Postgres);
    store
        .insert_user(
            &user(
                "00u00000000000000p1",
                "p@example.com",
                UserStatus::Active,
                json!({}),
            ),
            &[],
        )
        .await
        .unwrap();
    store.close().await;
    let store = Store::connect(&db.url).await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 1);
    store.close().await;
    db.drop().await;
}

#[tokio::test]
async fn postgres_errors_do_not_echo_the_password() {
    let err = Store::connect("postgres://roster:s3cret-pw@127.0.0.1:1/none")
        .await
        .unwrap_err();
    // Nothing listens there: the database is unavailable (a 503 to an API client), and the
    // message never repeats the URL's password.
    assert_eq!(err.code(), "unavailable");
    assert!(!err.to_string().contains("s3cret-pw"), "{err}");
}
