//! Test support: start the real `roster` binary on port 0 with a fresh database and talk to it
//! over HTTP.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod api;
pub mod browser;
pub mod console;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_roster");

/// A running `roster serve`. Killed on drop.
pub struct Server {
    pub child: Option<Child>,
    pub url: String,
    pub stdout_lines: Vec<String>,
    pub stderr_path: PathBuf,
    pub data_dir: PathBuf,
    /// `--database-url` when the server runs on PostgreSQL (or an explicit SQLite URL).
    pub database_url: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

pub struct Options {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bootstrap_token: Option<String>,
    pub public_url: Option<String>,
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            data_dir: None,
            database_url: None,
            bootstrap_token: Some(random_token()),
            public_url: None,
            env: Vec::new(),
        }
    }
}

pub fn random_token() -> String {
    format!("00test{}", uuid_like())
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}", nanos, std::process::id())
}

impl Server {
    pub fn start(opts: Options) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = opts
            .data_dir
            .clone()
            .unwrap_or_else(|| dir.path().join("data"));
        let stderr_path = dir.path().join(format!("stderr-{}.log", uuid_like()));
        let stderr_file = std::fs::File::create(&stderr_path).unwrap();
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(&data_dir);
        if let Some(url) = &opts.database_url {
            cmd.arg("--database-url").arg(url);
        }
        if let Some(url) = &opts.public_url {
            cmd.arg("--public-url").arg(url);
        }
        cmd.env_remove("ROSTER_BOOTSTRAP_TOKEN")
            .env_remove("ROSTER_DATABASE_URL")
            .env_remove("ROSTER_LISTEN");
        cmd.env("ROSTER_LOG", "info,roster=debug,roster_server=debug");
        if let Some(t) = &opts.bootstrap_token {
            cmd.env("ROSTER_BOOTSTRAP_TOKEN", t);
        }
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        cmd.stdout(Stdio::piped())
            .stderr(Stdio::from(stderr_file))
            .stdin(Stdio::null());
        let mut child = cmd.spawn().expect("spawn roster");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let url = loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix("Roster listening on ") {
                        let url = rest.trim().to_owned();
                        lines.push(line);
                        break url;
                    }
                    lines.push(line);
                }
                Err(_) => {
                    let _ = child.kill();
                    let mut err = String::new();
                    std::fs::File::open(&stderr_path)
                        .unwrap()
                        .read_to_string(&mut err)
                        .unwrap();
                    panic!("roster did not start; stdout: {lines:?}\nstderr:\n{err}");
                }
            }
        };
        Server {
            child: Some(child),
            url,
            stdout_lines: lines,
            stderr_path,
            data_dir,
            database_url: opts.database_url.clone(),
            _dir: Some(dir),
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// `roster token create --name NAME --role ROLE` against this server's database, run through
    /// the binary while the server runs; returns the new token value (printed once on stdout).
    pub fn create_token(&self, name: &str, role: &str) -> String {
        let mut cmd = Command::new(BIN);
        cmd.arg("token")
            .arg("create")
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--name")
            .arg(name)
            .arg("--role")
            .arg(role)
            .env_remove("ROSTER_DATABASE_URL")
            .env_remove("ROSTER_DATA_DIR");
        if let Some(url) = &self.database_url {
            cmd.arg("--database-url").arg(url);
        }
        let out = cmd.output().expect("run roster token create");
        assert!(
            out.status.success(),
            "roster token create failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(!token.is_empty(), "roster token create printed no token");
        token
    }

    /// Send SIGTERM and wait for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .unwrap();
        for _ in 0..200 {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        panic!("roster did not stop within 10s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every byte of every file under `dir`.
pub fn all_bytes_under(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(all_bytes_under(&p));
            } else if let Ok(b) = std::fs::read(&p) {
                out.extend(b);
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// A fresh PostgreSQL database for one test run; dropped at the end.
pub struct PgDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

pub fn postgres_admin_url() -> String {
    std::env::var("ROSTER_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        use sqlx::Connection;
        let admin_url = postgres_admin_url();
        let name = format!("roster_e2e_{}", uuid_like());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap_or_else(|e| {
            panic!(
                "PostgreSQL is not reachable at {admin_url} ({e}); start it with \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set ROSTER_TEST_POSTGRES_URL"
            )
        });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map(|(b, _)| b.to_owned())
            .unwrap();
        PgDatabase {
            url: format!("{base}/{name}"),
            admin_url,
            name,
        }
    }

    pub async fn drop_db(self) {
        use sqlx::Connection;
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await;
        }
    }
}

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the crate lives in <workspace>/crates/roster")
        .to_path_buf()
}

/// The Python with the official Okta SDK: `ROSTER_TEST_PYTHON`, else the venv that
/// `scripts/test-tools.sh` makes. Missing is a failure, never a skip.
pub fn test_python() -> PathBuf {
    let path = std::env::var_os("ROSTER_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/test-venv/bin/python"));
    assert!(
        path.exists(),
        "no Python with the Okta SDK at {} (ROSTER_TEST_PYTHON); run `bash scripts/test.sh`, \
         or `eval \"$(bash scripts/test-tools.sh)\"` before `cargo test`",
        path.display()
    );
    path
}

/// The node_modules holding `@okta/okta-sdk-nodejs`: `ROSTER_TEST_NODE_MODULES`, else the one
/// `scripts/test-tools.sh` makes. Missing is a failure, never a skip.
pub fn test_node_modules() -> PathBuf {
    let path = std::env::var_os("ROSTER_TEST_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/test-node/node_modules"));
    assert!(
        path.join("@okta/okta-sdk-nodejs").exists(),
        "no @okta/okta-sdk-nodejs under {} (ROSTER_TEST_NODE_MODULES); run `bash scripts/test.sh`, \
         or `eval \"$(bash scripts/test-tools.sh)\"` before `cargo test`",
        path.display()
    );
    path
}
