//! Browser tests: a Node script (`tests/browser/*.mjs`) drives Debian's Chromium through
//! playwright-core against a real `roster serve`, and prints one JSON line of what it found.
//! The Rust test sets the scene over the API, runs the script, and checks the outcome over the
//! API too. Chromium and playwright-core are installed by `scripts/test-tools.sh`; missing is
//! a failure, never a skip.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use super::workspace_root;

pub fn chromium() -> PathBuf {
    let path = std::env::var_os("ROSTER_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.exists(),
        "no Chromium at {} (ROSTER_TEST_CHROMIUM); run `bash scripts/test.sh`, or \
         `eval \"$(bash scripts/test-tools.sh)\"` before `cargo test`",
        path.display()
    );
    path
}

fn node_modules() -> PathBuf {
    let path = std::env::var_os("ROSTER_TEST_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/test-node/node_modules"));
    assert!(
        path.join("playwright-core").exists(),
        "no playwright-core under {} (ROSTER_TEST_NODE_MODULES); run `bash scripts/test.sh`",
        path.display()
    );
    path
}

/// Run `tests/browser/{script}` with `env`; its last stdout line is JSON. Fails the test with
/// the script's output when it exits non-zero (a failed assertion in the browser).
pub fn run(script: &str, env: &[(&str, &str)]) -> Value {
    let dir = workspace_root().join("crates/roster/tests/browser");
    let shots = workspace_root().join("target/console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut cmd = Command::new("node");
    cmd.arg(dir.join(script))
        .env("NODE_PATH", node_modules())
        .env("ROSTER_TEST_CHROMIUM", chromium())
        .env("ROSTER_SCREENSHOTS", &shots);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser script {script} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or("{}");
    serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {stdout}"))
}
