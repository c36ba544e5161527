//! Runs one test body against SQLite (in a temporary directory) and PostgreSQL (in a fresh
//! database created for the test and dropped after it), so both backends pass the same suite.

#![allow(dead_code)]

use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use roster_core::event::Actor;
use roster_core::{Credentials, Group, GroupKind, LogEvent, Provider, Timestamp, User, UserStatus};
use roster_store::Store;
use serde_json::{json, Map, Value};
use sqlx::{Connection, Executor, PgConnection};

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn postgres_admin_url() -> String {
    std::env::var("ROSTER_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string())
}

/// `postgres://user@host:port/db?opts` with `db` replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

async fn admin_connection() -> PgConnection {
    let url = postgres_admin_url();
    match PgConnection::connect(&url).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "PostgreSQL is not reachable at {url} ({e}). The conformance suite needs it: start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, or point \
             ROSTER_TEST_POSTGRES_URL at a server where this user may CREATE DATABASE"
        ),
    }
}

/// A fresh PostgreSQL database; call [`PgDatabase::drop`] when done.
pub struct PgDatabase {
    pub name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> PgDatabase {
        let name = format!("roster_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = admin_connection().await;
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = with_database(&postgres_admin_url(), &name);
        PgDatabase { name, url }
    }

    pub async fn drop(self) {
        let mut admin = admin_connection().await;
        admin
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await
            .expect("drop test database");
        let _ = admin.close().await;
    }
}

/// Run `body` against a fresh store of `backend`, cleaning up even when it panics.
pub async fn run<F, Fut>(backend: Backend, body: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = Store::open_data_dir(dir.path())
                .await
                .expect("open SQLite store");
            let result = AssertUnwindSafe(body(store.clone())).catch_unwind().await;
            store.close().await;
            if let Err(panic) = result {
                std::panic::resume_unwind(panic);
            }
        }
        Backend::Postgres => {
            let db = PgDatabase::create().await;
            let store = match Store::connect(&db.url).await {
                Ok(store) => store,
                Err(e) => {
                    db.drop().await;
                    panic!(
                        "open PostgreSQL store: {e} ({:?})",
                        std::error::Error::source(&e)
                    );
                }
            };
            let result = AssertUnwindSafe(body(store.clone())).catch_unwind().await;
            store.close().await;
            db.drop().await;
            if let Err(panic) = result {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

// ---- fixtures ---------------------------------------------------------------------------

pub const T0: i64 = 1_780_000_000_000;

pub fn ts(offset_minutes: i64) -> Timestamp {
    Timestamp::from_millis(T0).plus_minutes(offset_minutes)
}

pub fn profile(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("profile must be an object"),
    }
}

/// A user with login `login`, first/last name and email derived from it, plus `extra` profile attributes.
pub fn user(id: &str, login: &str, status: UserStatus, extra: Value) -> User {
    let local = login.split('@').next().unwrap_or(login);
    let mut p = profile(json!({
        "login": login,
        "email": login,
        "firstName": format!("First{local}"),
        "lastName": format!("Last{local}"),
    }));
    if let Value::Object(extra) = extra {
        p.extend(extra);
    }
    let mut u = User::new(id.into(), status, p, Credentials::okta(), ts(0));
    u.credentials.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    u
}

pub fn federated(mut u: User) -> User {
    u.credentials = Credentials {
        provider: Provider::federation(),
        password_hash: None,
        password_history: Vec::new(),
    };
    u
}

pub fn group(id: &str, name: &str) -> Group {
    Group::new(
        id.into(),
        GroupKind::OktaGroup,
        name.into(),
        Some(format!("The {name} group")),
        ts(0),
    )
}

pub fn event(uuid: &str, event_type: &str, minutes: i64) -> LogEvent {
    LogEvent::new(
        uuid.into(),
        ts(minutes),
        event_type,
        "test event",
        Actor::system(),
        "tx-1",
    )
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    items.iter().map(|i| id(i).to_string()).collect()
}
