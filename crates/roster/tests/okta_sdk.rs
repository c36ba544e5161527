//! Acceptance of the Management API with the official Okta SDKs: `tests/sdk/python_sdk_test.py`
//! (PyPI `okta` 3.x) and `tests/sdk/node_sdk_test.mjs` (npm `@okta/okta-sdk-nodejs` 8.x) run
//! against the real `roster serve`, on SQLite and on PostgreSQL. `scripts/test.sh` installs the
//! SDKs (through `scripts/test-tools.sh`); a missing SDK fails these tests, it never skips them.
//!
//! The server runs with debug logging, and afterwards its log must contain none of the passwords,
//! one-time link tokens and API tokens the scripts used.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::Command;

use support::{Options, PgDatabase, Server};

#[derive(Clone, Copy, Debug)]
enum Sdk {
    Python,
    Node,
}

fn start(database_url: Option<String>) -> (Server, String) {
    let token = support::random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        database_url,
        // Everything Roster and its libraries log, so that a secret in any log line is caught.
        env: vec![("ROSTER_LOG".into(), "debug".into())],
        ..Options::default()
    });
    (server, token)
}

/// Run one SDK script against `server`; assert that every check passed and that the server's
/// log holds none of the secrets the script used. Returns the script's stdout.
fn run_sdk(sdk: Sdk, server: &Server, token: &str) -> String {
    let root = support::workspace_root();
    let scratch = tempfile::tempdir().unwrap();
    let secrets_file = scratch.path().join("secrets.txt");
    let mut cmd = match sdk {
        Sdk::Python => {
            let mut cmd = Command::new(support::test_python());
            cmd.arg(root.join("tests/sdk/python_sdk_test.py"))
                .env("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true");
            cmd
        }
        Sdk::Node => {
            let modules = support::test_node_modules();
            let mut cmd = Command::new("node");
            cmd.arg(root.join("tests/sdk/node_sdk_test.mjs"))
                .env("NODE_PATH", &modules)
                .env("ROSTER_TEST_NODE_MODULES", &modules);
            cmd
        }
    };
    cmd.arg(&server.url)
        .arg(token)
        .env("ROSTER_SDK_SECRETS_FILE", &secrets_file)
        .current_dir(&root);
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("cannot run the {sdk:?} SDK test ({e}); is `python3`/`node` installed? run `bash scripts/test.sh`")
    });
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    println!("--- {sdk:?} SDK against {} ---\n{stdout}", server.url);
    if !stderr.trim().is_empty() {
        println!("--- {sdk:?} SDK stderr ---\n{stderr}");
    }
    let summary = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_owned();
    let counts: Vec<u32> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
        .collect();
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        out.status.success()
            && summary.ends_with(" failed")
            && counts.len() == 2
            && counts[0] > 0
            && counts[1] == 0,
        "the {sdk:?} SDK test failed ({:?}): {summary:?}\n{}\nserver log tail:\n{}",
        out.status,
        failures.join("\n"),
        tail(&server.stderr(), 40)
    );

    let secrets: Vec<String> = std::fs::read_to_string(&secrets_file)
        .unwrap_or_else(|e| panic!("the {sdk:?} script wrote no secrets file: {e}"))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(
        secrets.len() >= 10,
        "the {sdk:?} script reports the passwords and link tokens it used: {}",
        secrets.len()
    );
    let log = server.stderr();
    assert!(
        !log.is_empty(),
        "the server logged something at debug level"
    );
    for (i, secret) in secrets.iter().enumerate() {
        assert!(
            !log.contains(secret.as_str()),
            "secret #{i} used by the {sdk:?} SDK test (a password or one-time token) appears in the server log"
        );
    }
    assert!(
        !log.contains(token),
        "the API token appears in the server log"
    );
    stdout
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn python_sdk_on_sqlite() {
    let (server, token) = start(None);
    run_sdk(Sdk::Python, &server, &token);
}

#[test]
fn node_sdk_on_sqlite() {
    let (server, token) = start(None);
    run_sdk(Sdk::Node, &server, &token);
}

/// Both SDKs, one after the other, against one server on PostgreSQL.
#[tokio::test]
async fn python_and_node_sdks_on_postgresql() {
    let db = PgDatabase::create().await;
    let url = db.url.clone();
    let result = tokio::task::spawn_blocking(move || {
        let (server, token) = start(Some(url));
        run_sdk(Sdk::Python, &server, &token);
        run_sdk(Sdk::Node, &server, &token);
    })
    .await;
    db.drop_db().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}
