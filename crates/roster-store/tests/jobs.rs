//! The push-provisioning job queue and its tasks, on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod harness;

use std::collections::HashSet;

use harness::{ts, Backend};
use roster_store::{NewJob, Store, StoreError, TaskQuery, TaskRecord};
use serde_json::json;

fn job(id: &str, user: &str, due_minutes: i64) -> NewJob {
    NewJob {
        id: id.into(),
        app_id: "0oaAPP".into(),
        user_id: user.into(),
        operation: "user.push".into(),
        payload: json!({}),
        max_attempts: 3,
        due: ts(due_minutes),
    }
}

async fn queue_lifecycle(store: Store) {
    store
        .enqueue_job(&job("0xx1", "00u1", 0), ts(0), None, &[])
        .await
        .unwrap();
    store
        .enqueue_job(&job("0xx2", "00u2", 10), ts(0), None, &[])
        .await
        .unwrap();

    // Only the due job is claimed, with its attempt counted and a lease.
    let claimed = store.claim_job(ts(1), ts(3)).await.unwrap().unwrap();
    assert_eq!(claimed.id, "0xx1");
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.status, "RUNNING");
    assert!(store.claim_job(ts(2), ts(4)).await.unwrap().is_none());

    // A lease that expired (the worker died) makes the job claimable again.
    let again = store.claim_job(ts(3), ts(5)).await.unwrap().unwrap();
    assert_eq!((again.id.as_str(), again.attempts), ("0xx1", 2));

    // Rescheduled with backoff: not due before its time.
    store
        .reschedule_job("0xx1", ts(6), ts(3), &json!({"code": "x"}), None, &[])
        .await
        .unwrap();
    assert!(store.claim_job(ts(5), ts(7)).await.unwrap().is_none());
    let third = store.claim_job(ts(6), ts(8)).await.unwrap().unwrap();
    assert_eq!(third.attempts, 3);
    assert_eq!(third.last_error, Some(json!({"code": "x"})));

    // Failed for good: a task opens; retry requeues the job with a fresh budget.
    let task = TaskRecord {
        id: "0tk1".into(),
        job_id: "0xx1".into(),
        app_id: "0oaAPP".into(),
        user_id: "00u1".into(),
        operation: "user.push".into(),
        status: "OPEN".into(),
        attempts: 3,
        last_error: Some(json!({"code": "provisioning.password_rejected"})),
        created: ts(6),
        updated: ts(6),
    };
    assert_eq!(store.fail_job(&task, None, &[]).await.unwrap(), "0tk1");
    assert!(store.claim_job(ts(7), ts(9)).await.unwrap().is_none());
    let open = store
        .list_tasks(&TaskQuery {
            app_id: Some("0oaAPP".into()),
            status: Some("OPEN".into()),
            limit: 10,
            ..TaskQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(open.items.len(), 1);
    assert_eq!(store.count_jobs_for_user("00u1").await.unwrap(), 1);

    let retried = store.retry_task("0tk1", ts(8), None, &[]).await.unwrap();
    assert_eq!(retried.status, "RETRYING");
    let fourth = store.claim_job(ts(8), ts(10)).await.unwrap().unwrap();
    assert_eq!((fourth.id.as_str(), fourth.attempts), ("0xx1", 1));

    // Failing again reopens the same task, with the attempts added up.
    assert_eq!(
        store
            .fail_job(
                &TaskRecord {
                    id: "0tkOTHER".into(),
                    attempts: 1,
                    ..task.clone()
                },
                None,
                &[]
            )
            .await
            .unwrap(),
        "0tk1"
    );
    let reopened = store.get_task("0tk1").await.unwrap().unwrap();
    assert_eq!((reopened.status.as_str(), reopened.attempts), ("OPEN", 4));

    // Success closes the task and deletes the job.
    store.retry_task("0tk1", ts(9), None, &[]).await.unwrap();
    store.claim_job(ts(9), ts(11)).await.unwrap().unwrap();
    store.complete_job("0xx1", ts(10), None, &[]).await.unwrap();
    assert_eq!(
        store.get_task("0tk1").await.unwrap().unwrap().status,
        "DONE"
    );
    assert!(store.get_job("0xx1").await.unwrap().is_none());
    assert_eq!(store.count_jobs_for_user("00u1").await.unwrap(), 0);

    // Dismissing drops the job.
    store.claim_job(ts(20), ts(22)).await.unwrap().unwrap();
    store
        .fail_job(
            &TaskRecord {
                id: "0tk2".into(),
                job_id: "0xx2".into(),
                user_id: "00u2".into(),
                ..task
            },
            None,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .dismiss_task("0tk2", ts(21), &[])
            .await
            .unwrap()
            .status,
        "DISMISSED"
    );
    assert!(store.get_job("0xx2").await.unwrap().is_none());
    assert!(matches!(
        store.retry_task("0tk2", ts(22), None, &[]).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Several claimers drain one queue and no job is claimed twice.
async fn concurrent_claims_never_share_a_job(store: Store) {
    for i in 0..40 {
        store
            .enqueue_job(
                &job(&format!("0xx{i:03}"), &format!("00u{}", i % 20), 0),
                ts(0),
                None,
                &[],
            )
            .await
            .unwrap();
    }
    let mut workers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(j) = store.claim_job(ts(1), ts(100)).await.unwrap() {
                mine.push(j.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().collect();
    // Each user's second job waits while its first one runs (the claims never complete here).
    assert_eq!(all.len(), 20, "one running job per user: {all:?}");
    assert_eq!(unique.len(), 20);
    let users: HashSet<_> = all
        .iter()
        .map(|id| {
            let n: usize = id[3..].parse().unwrap();
            n % 20
        })
        .collect();
    assert_eq!(users.len(), 20, "one job of every user was claimed");
    // Once a user's job is done, its next job is claimable.
    store.complete_job(&all[0], ts(2), None, &[]).await.unwrap();
    let next = store.claim_job(ts(3), ts(100)).await.unwrap().unwrap();
    let n: usize = all[0][3..].parse().unwrap();
    assert_eq!(next.user_id, format!("00u{}", n % 20));
}

#[tokio::test]
async fn sqlite_queue_lifecycle() {
    harness::run(Backend::Sqlite, queue_lifecycle).await;
}

#[tokio::test]
async fn postgres_queue_lifecycle() {
    harness::run(Backend::Postgres, queue_lifecycle).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_claims_never_share_a_job() {
    harness::run(Backend::Sqlite, concurrent_claims_never_share_a_job).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_claims_never_share_a_job() {
    harness::run(Backend::Postgres, concurrent_claims_never_share_a_job).await;
}
