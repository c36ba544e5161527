//! End-to-end: primary authentication under concurrency.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{json, Value};
use support::{Options, Server};

/// Regression: concurrent sign-ins of one user raced on the user's version, and all but one
/// answered 412 (found by `scripts/bench-api.sh`, 329 of 377 authn requests failed).
#[tokio::test]
async fn concurrent_sign_ins_of_one_user_all_succeed() {
    let token = support::random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        ..Options::default()
    });
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/api/v1/users?activate=true", server.url))
        .header("Authorization", format!("SSWS {token}"))
        .json(&json!({
            "profile": {"login": "race@example.com", "email": "race@example.com", "firstName": "Race", "lastName": "Condition"},
            "credentials": {"password": {"value": "Quartz-Falcon-7391!"}}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200, "{}", created.text().await.unwrap());

    let attempts = (0..8).map(|_| {
        let client = client.clone();
        let url = format!("{}/api/v1/authn", server.url);
        tokio::spawn(async move {
            let resp = client
                .post(url)
                .json(&json!({"username": "race@example.com", "password": "Quartz-Falcon-7391!"}))
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        })
    });
    for attempt in attempts.collect::<Vec<_>>() {
        let (status, body) = attempt.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "SUCCESS", "{body}");
    }
    assert!(!server.stderr().contains("Quartz-Falcon-7391!"));
}
