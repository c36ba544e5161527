//! End-to-end: the real `roster serve` over HTTP, on the embedded SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::Value;
use support::{all_bytes_under, contains, Options, PgDatabase, Server};

async fn get(url: &str, auth: Option<&str>) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = reqwest::Client::new().get(url);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn health_answers_200_once_serving() {
    let server = Server::start(Options::default());
    let (status, _, body) = get(&format!("{}/health", server.url), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "UP");
}

#[tokio::test]
async fn bootstrap_token_authenticates_both_ssws_forms_and_is_stored_hashed() {
    let token = support::random_token();
    let mut server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        ..Options::default()
    });
    let logs = format!("{}/api/v1/logs", server.url);
    let (status, _, _) = get(&logs, Some(&format!("SSWS {token}"))).await;
    assert_eq!(status, 200);
    // The Python Okta SDK sends no space after SSWS.
    let (status, _, _) = get(&logs, Some(&format!("SSWS{token}"))).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&logs, Some(&format!("Bearer {token}"))).await;
    assert_eq!(status, 200);

    let status = server.terminate();
    assert!(
        status.success(),
        "graceful shutdown exits 0, got {status:?}"
    );
    let bytes = all_bytes_under(&server.data_dir);
    assert!(!bytes.is_empty(), "the data dir holds the database");
    assert!(
        !contains(&bytes, &token),
        "the token value must not be stored in clear"
    );
    assert!(
        !server.stderr().contains(&token),
        "the token value must not be logged"
    );
}

#[tokio::test]
async fn wrong_or_missing_token_gets_e0000011_with_cause_and_remediation() {
    let server = Server::start(Options::default());
    let logs = format!("{}/api/v1/logs", server.url);
    for auth in [None, Some("SSWS not-a-token"), Some("Basic dXNlcjpwYXNz")] {
        let (status, headers, body) = get(&logs, auth).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(body["errorCode"], "E0000011");
        assert_eq!(body["errorSummary"], "Invalid token provided");
        assert!(body["errorId"].as_str().unwrap().len() > 8);
        assert!(!body["cause"].as_str().unwrap().is_empty());
        assert!(body["remediation"]
            .as_str()
            .unwrap()
            .contains("roster token create"));
        assert!(headers.get("www-authenticate").is_some());
    }
}

#[tokio::test]
async fn first_start_without_bootstrap_prints_a_working_token_once() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut first = Server::start(Options {
        data_dir: Some(data_dir.clone()),
        bootstrap_token: None,
        ..Options::default()
    });
    let line = first
        .stdout_lines
        .iter()
        .find(|l| l.starts_with("Initial super-admin API token"))
        .cloned()
        .expect("the first start prints the new token");
    let token = line.rsplit(' ').next().unwrap().to_owned();
    let (status, _, _) = get(
        &format!("{}/api/v1/logs", first.url),
        Some(&format!("SSWS {token}")),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        !first.stderr().contains(&token),
        "printed on stdout once, never logged"
    );
    first.terminate();

    let second = Server::start(Options {
        data_dir: Some(data_dir),
        bootstrap_token: None,
        ..Options::default()
    });
    assert!(
        !second
            .stdout_lines
            .iter()
            .any(|l| l.contains("Initial super-admin")),
        "only the first start prints a token"
    );
    let (status, _, _) = get(
        &format!("{}/api/v1/logs", second.url),
        Some(&format!("SSWS {token}")),
    )
    .await;
    assert_eq!(status, 200, "the token survives a restart");
}

#[tokio::test]
async fn system_log_filters_by_event_type_and_points_at_bad_filters() {
    let token = support::random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        public_url: Some("http://roster.test:9".into()),
        ..Options::default()
    });
    let auth = format!("SSWS {token}");
    let url = format!(
        "{}/api/v1/logs?filter=eventType%20eq%20%22system.api_token.create%22",
        server.url
    );
    let (status, headers, body) = get(&url, Some(&auth)).await;
    assert_eq!(status, 200);
    let events = body.as_array().unwrap();
    assert_eq!(
        events.len(),
        1,
        "the bootstrap token's creation is logged: {body}"
    );
    assert_eq!(events[0]["eventType"], "system.api_token.create");
    assert_eq!(events[0]["outcome"]["result"], "SUCCESS");
    assert!(!body.to_string().contains(&token));
    let links: Vec<&str> = headers
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("<http://roster.test:9/api/v1/logs?")
                && l.ends_with("rel=\"self\"")),
        "{links:?}"
    );

    let (status, _, _) = get(
        &format!(
            "{}/api/v1/logs?filter=eventType%20eq%20%22nothing.like.this%22",
            server.url
        ),
        Some(&auth),
    )
    .await;
    assert_eq!(status, 200);

    let bad = format!(
        "{}/api/v1/logs?filter=eventType%20equals%20%22x%22",
        server.url
    );
    let (status, _, body) = get(&bad, Some(&auth)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorCode"], "E0000031");
    let cause = body["errorCauses"][0]["errorSummary"].as_str().unwrap();
    assert!(
        cause.contains("at character 11"),
        "the error points at `equals`: {cause}"
    );

    let (status, _, body) = get(
        &format!("{}/api/v1/logs?limit=5000", server.url),
        Some(&auth),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "E0000001");
    assert_eq!(body["errorSummary"], "Api validation failed: limit");
}

#[tokio::test]
async fn unknown_paths_get_an_okta_error_not_a_bare_404() {
    let server = Server::start(Options::default());
    let (status, _, body) = get(&format!("{}/api/v1/nothing-here", server.url), None).await;
    assert!(status == 404 || status == 401, "{status}");
    assert!(body["errorCode"].is_string(), "{body}");
}

#[tokio::test]
async fn serves_on_postgresql_with_database_url() {
    let db = PgDatabase::create().await;
    let token = support::random_token();
    {
        let mut server = Server::start(Options {
            database_url: Some(db.url.clone()),
            bootstrap_token: Some(token.clone()),
            ..Options::default()
        });
        let (status, _, _) = get(&format!("{}/health", server.url), None).await;
        assert_eq!(status, 200);
        let url = format!(
            "{}/api/v1/logs?filter=eventType%20eq%20%22system.api_token.create%22",
            server.url
        );
        let (status, _, body) = get(&url, Some(&format!("SSWS {token}"))).await;
        assert_eq!(status, 200);
        assert_eq!(body.as_array().unwrap().len(), 1, "{body}");
        assert!(server.terminate().success());
        assert!(
            all_bytes_under(&server.data_dir).is_empty(),
            "with --database-url nothing is written to the data dir"
        );
    }
    db.drop_db().await;
}
