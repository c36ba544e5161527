//! SCIM compliance with real third-party clients: PyPI `scim2-tester` (RFC 7643/7644 checks)
//! and `scim2-client` (a SCIM client library) against a fresh `roster serve`.
//!
//! The Python interpreter is `ROSTER_TEST_PYTHON`, or `target/test-venv/bin/python` in the
//! workspace (`scripts/test-tools.sh` makes it and installs the packages).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value};
use support::{Options, Server};

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn python() -> PathBuf {
    let path = match std::env::var_os("ROSTER_TEST_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => workspace_root().join("target/test-venv/bin/python"),
    };
    if !path.exists() {
        panic!(
            "the SCIM compliance tests need a Python with scim2-tester and scim2-client, and {} does not exist; \
             run `eval \"$(bash scripts/test-tools.sh)\"` (it installs them into target/test-venv and exports ROSTER_TEST_PYTHON)",
            path.display()
        );
    }
    path
}

/// Run a script under `tests/scim/` against the server; returns (success, stdout + stderr).
fn run_script(script: &str, server: &Server, token: &str) -> (bool, String) {
    let output = Command::new(python())
        .arg(workspace_root().join("tests/scim").join(script))
        .arg(format!("{}/scim/v2", server.url))
        .arg(token)
        .output()
        .expect("run the Python script");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn post(server: &Server, token: &str, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", server.url))
        .header("Authorization", format!("SSWS {token}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "POST {path}: {status} {body}");
    body
}

#[tokio::test]
async fn scim2_tester_reports_no_failures() {
    let token = support::random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        ..Options::default()
    });

    // The tester fills every writable attribute /Schemas publishes with random values. Roster
    // publishes the values it accepts for formats with a closed set (time zones, languages,
    // countries, locales) as canonicalValues, and the tester uses those. Two things cannot be
    // published that way, so this org is configured through the Management API as an
    // administrator would for a client that sends such values:
    // - userName is a random UUID, not an email address: the profile schema gets a login
    //   pattern (Okta's documented way to allow non-email logins);
    // - passwords are random UUIDs (lower case and digits): a password policy for everyone that
    //   does not require upper case or symbols.
    // Custom attributes make the tester exercise the Roster extension too. (No array attribute:
    // the tester expects `add` on a multi-valued attribute that already has values to leave only
    // the added one, where RFC 7644 section 3.5.2.1 appends; tests/scim.rs covers arrays.)
    post(
        &server,
        &token,
        "/api/v1/meta/schemas/user/default",
        json!({"definitions": {
            "base": {"properties": {"login": {"title": "Username", "type": "string", "required": true,
                "minLength": 5, "maxLength": 100, "pattern": ".+"}}},
            "custom": {"properties": {
                "costCode": {"title": "Cost code", "type": "string", "maxLength": 64},
                "badge": {"title": "Badge number", "type": "integer"},
                "contractor": {"title": "Contractor", "type": "boolean"},
                "tier": {"title": "Tier", "type": "string", "enum": ["gold", "silver", "bronze"]},
            }},
        }}),
    )
    .await;
    post(
        &server,
        &token,
        "/api/v1/policies",
        json!({"type": "PASSWORD", "name": "SCIM clients", "priority": 1,
            "conditions": {"people": {"groups": {"include": []}}},
            "settings": {"password": {
                "complexity": {"minLength": 8, "minLowerCase": 1, "minUpperCase": 0, "minNumber": 1, "minSymbol": 0, "excludeUsername": false},
                "age": {"historyCount": 0}}}}),
    )
    .await;

    let (ok, output) = tokio::task::spawn_blocking({
        let token = token.clone();
        move || {
            let result = run_script("compliance.py", &server, &token);
            drop(server);
            result
        }
    })
    .await
    .unwrap();
    println!("{output}");
    let summary = output
        .lines()
        .find(|l| l.ends_with(" skipped") && l.contains(" passed, "))
        .unwrap_or_default();
    assert!(
        ok && summary.contains(" 0 failed"),
        "scim2-tester found failures: {summary}\n{output}"
    );
}

#[tokio::test]
async fn scim2_client_library_drives_every_operation() {
    let token = support::random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        ..Options::default()
    });
    let (ok, output) =
        tokio::task::spawn_blocking(move || run_script("client_e2e.py", &server, &token))
            .await
            .unwrap();
    println!("{output}");
    assert!(
        ok && output.contains("all scim2-client checks passed"),
        "scim2-client run failed:\n{output}"
    );
}
