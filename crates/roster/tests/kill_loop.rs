//! No change lost between the directory and provisioning (issue #13): a spoke on SQLite is
//! SIGKILLed again and again while writers create users in a group assigned to an Org2Org app,
//! change their profiles and passwords, and remove some from the group. At the end every user
//! the spoke holds in the group exists exactly once on the hub, with the spoke's latest profile
//! and password; every user removed from the group is deactivated there (or was never pushed);
//! and no task is open. Every process is a real `roster serve`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{random_token, Options, Server};

/// A 32-byte master key, base64: the spoke keeps it across restarts.
const MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const KILLS: usize = 22;
const WRITERS: usize = 4;

/// A client that tolerates a server that dies under it: `None` when the request did not get
/// an answer.
#[derive(Clone)]
struct Client {
    url: String,
    auth: String,
    http: reqwest::Client,
}

impl Client {
    fn new(url: &str, token: &str) -> Client {
        Client {
            url: url.to_owned(),
            auth: format!("SSWS {token}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    async fn try_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Option<(u16, Value)> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("Authorization", &self.auth)
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.ok()?;
        let status = resp.status().as_u16();
        let text = resp.text().await.ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.try_send(method, path, body)
            .await
            .unwrap_or_else(|| panic!("no answer to {path}"))
    }

    async fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.send(method, path, body).await;
        assert!((200..300).contains(&status), "{path}: {status} {v}");
        v
    }

    /// Every item of a list, following `after` cursors by id.
    async fn list_all(&self, path: &str) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let page_path = match out.last() {
                Some(last) => format!(
                    "{path}{sep}limit=200&after={}",
                    last["id"].as_str().unwrap()
                ),
                None => format!("{path}{sep}limit=200"),
            };
            let page = self.ok(reqwest::Method::GET, &page_path, None).await;
            let items = page.as_array().unwrap().clone();
            let done = items.len() < 200;
            out.extend(items);
            if done {
                return out;
            }
        }
    }

    async fn authn(&self, login: &str, password: &str) -> String {
        let resp = self
            .http
            .post(format!("{}/api/v1/authn", self.url))
            .json(&json!({ "username": login, "password": password }))
            .send()
            .await
            .unwrap();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        v["status"].as_str().unwrap_or("FAILED").to_owned()
    }
}

/// A small deterministic generator (xorshift), seeded per run and printed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// What the writers tried, shared between them. A request killed mid-flight may or may not
/// have committed, so the end state is read from the spoke; this only says what to look at.
#[derive(Default)]
struct Tried {
    /// user id -> login, for every user whose create was answered.
    users: HashMap<String, String>,
    /// user id -> every password sent for it, oldest first.
    passwords: HashMap<String, Vec<String>>,
    /// users a removal from the group was sent for.
    removed: HashSet<String>,
}

fn quiet_env() -> Vec<(String, String)> {
    [
        ("ROSTER_LOG", "warn"),
        ("ROSTER_RATE_LIMIT_PER_MINUTE", "1000000000"),
        ("ROSTER_MASTER_KEY", MASTER_KEY),
        ("ROSTER_OUTBOX_LEASE_SECONDS", "3"),
        ("ROSTER_PROVISIONING_LEASE_SECONDS", "5"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

async fn sqlite_rows(data_dir: &Path, sql: &str) -> Vec<String> {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", data_dir.join("roster.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
    rows.into_iter().map(|(r,)| r).collect()
}

async fn sqlite_count(data_dir: &Path, sql: &str) -> i64 {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", data_dir.join("roster.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
    n
}

/// One writer: until `stop`, create a user in the group, and now and then change a profile,
/// set a password or remove a user from the group. Requests that get no answer (the spoke was
/// killed) are simply dropped.
async fn writer(
    spoke: Client,
    group_id: String,
    tried: Arc<Mutex<Tried>>,
    stop: Arc<AtomicBool>,
    round: usize,
    w: usize,
    seed: u64,
) {
    let mut rng = Rng(seed | 1);
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let login = format!("k{round}w{w}n{i}@example.com");
        let password = format!("Kill-Loop-{round}-{w}-{i}-Aa9!");
        let body = json!({
            "profile": {"login": login, "email": login, "firstName": "Kill", "lastName": "Loop",
                        "title": "t0"},
            "credentials": {"password": {"value": password}},
            "groupIds": [group_id],
        });
        let created = spoke
            .try_send(
                reqwest::Method::POST,
                "/api/v1/users?activate=true",
                Some(body),
            )
            .await;
        let Some((200, user)) = created else { continue };
        let id = user["id"].as_str().unwrap().to_owned();
        {
            let mut t = tried.lock().unwrap();
            t.users.insert(id.clone(), login.clone());
            t.passwords.entry(id.clone()).or_default().push(password);
        }
        // Act on an earlier user of this run.
        let target = {
            let t = tried.lock().unwrap();
            let ids: Vec<&String> = t.users.keys().collect();
            ids[rng.below(ids.len() as u64) as usize].clone()
        };
        match rng.below(10) {
            0..=3 => {
                let title = format!("t{}", rng.below(1_000_000));
                let _ = spoke
                    .try_send(
                        reqwest::Method::POST,
                        &format!("/api/v1/users/{target}"),
                        Some(json!({"profile": {"title": title}})),
                    )
                    .await;
            }
            4..=5 => {
                let password = format!("Kill-Again-{}-Aa9!", rng.below(1_000_000));
                tried
                    .lock()
                    .unwrap()
                    .passwords
                    .entry(target.clone())
                    .or_default()
                    .push(password.clone());
                let _ = spoke
                    .try_send(
                        reqwest::Method::POST,
                        &format!("/api/v1/users/{target}"),
                        Some(json!({"credentials": {"password": {"value": password}}})),
                    )
                    .await;
            }
            6 => {
                tried.lock().unwrap().removed.insert(target.clone());
                let _ = spoke
                    .try_send(
                        reqwest::Method::DELETE,
                        &format!("/api/v1/groups/{group_id}/users/{target}"),
                        None,
                    )
                    .await;
            }
            _ => {}
        }
    }
}

/// On the spoke behind `api`: an active Org2Org app pushing to `hub_url` (creates, profiles,
/// passwords with CHANGE, deactivations) and a group assigned to it. Returns (app id, group id).
async fn org2org_with_group(api: &Client, hub_url: &str, hub_token: &str) -> (String, String) {
    let app = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/apps",
            Some(
                json!({"name": "okta_org2org", "label": "Hub org", "signOnMode": "SAML_2_0",
                        "settings": {"app": {"baseUrl": hub_url}}}),
            ),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    api.ok(
        reqwest::Method::POST,
        &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
        Some(json!({"profile": {"authScheme": "TOKEN", "token": hub_token}})),
    )
    .await;
    api.ok(
        reqwest::Method::PUT,
        &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
        Some(json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                    "update": {"profile": {"status": "ENABLED"},
                               "lifecycleDeactivate": {"status": "ENABLED"},
                               "password": {"status": "ENABLED", "seed": "OKTA", "change": "CHANGE"}}})),
    )
    .await;
    let group = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Kill loop"}})),
        )
        .await;
    let group_id = group["id"].as_str().unwrap().to_owned();
    api.ok(
        reqwest::Method::PUT,
        &format!("/api/v1/apps/{app_id}/groups/{group_id}"),
        Some(json!({})),
    )
    .await;
    (app_id, group_id)
}

/// Where the spokes keep their data: one SQLite file, or one PostgreSQL database shared by two.
enum SpokeDb {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl SpokeDb {
    async fn rows(&self, sql: &str) -> Vec<String> {
        match self {
            SpokeDb::Sqlite(dir) => sqlite_rows(dir, sql).await,
            SpokeDb::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                let rows: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut conn).await.unwrap();
                let _ = conn.close().await;
                rows.into_iter().map(|(r,)| r).collect()
            }
        }
    }

    async fn count(&self, sql: &str) -> i64 {
        match self {
            SpokeDb::Sqlite(dir) => sqlite_count(dir, sql).await,
            SpokeDb::Postgres(url) => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut conn).await.unwrap();
                let _ = conn.close().await;
                n
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spoke_killed_again_and_again_loses_no_change() {
    let dir = tempfile::tempdir().unwrap();
    kill_loop(SpokeDb::Sqlite(dir.path().join("data")), 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_spokes_on_one_postgres_killed_in_turn_lose_no_change() {
    let pg = support::PgDatabase::create().await;
    kill_loop(SpokeDb::Postgres(pg.url.clone()), 2).await;
    pg.drop_db().await;
}

/// The kill loop against `nodes` spokes sharing `db`: each round starts the missing spokes,
/// runs the writers against them for 0.3-1.5 s, and SIGKILLs one of them.
async fn kill_loop(db: SpokeDb, nodes: usize) {
    let t0 = Instant::now();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill loop seed {seed}");
    let mut rng = Rng(seed | 1);

    let hub_token = random_token();
    let hub = Server::start(Options {
        bootstrap_token: Some(hub_token.clone()),
        env: quiet_env(),
        ..Options::default()
    });
    let hub_api = Client::new(&hub.url, &hub_token);

    let spoke_token = random_token();
    let spoke_opts = || Options {
        data_dir: match &db {
            SpokeDb::Sqlite(dir) => Some(dir.clone()),
            SpokeDb::Postgres(_) => None,
        },
        database_url: match &db {
            SpokeDb::Sqlite(_) => None,
            SpokeDb::Postgres(url) => Some(url.clone()),
        },
        bootstrap_token: Some(spoke_token.clone()),
        env: quiet_env(),
        ..Options::default()
    };

    // The spoke: an Org2Org app pushing creates, profiles, passwords and deactivations, with
    // a group assigned to it.
    let spoke = Server::start(spoke_opts());
    let api = Client::new(&spoke.url, &spoke_token);
    let (_app_id, group_id) = org2org_with_group(&api, &hub.url, &hub_token).await;
    drop(spoke);

    // Kill loop: start the missing spokes, let the writers run for 0.3-1.5 s, SIGKILL one.
    let tried = Arc::new(Mutex::new(Tried::default()));
    let mut spokes: Vec<Option<Server>> = (0..nodes).map(|_| None).collect();
    for round in 0..KILLS {
        for slot in spokes.iter_mut() {
            if slot.is_none() {
                *slot = Some(Server::start(spoke_opts()));
            }
        }
        let clients: Vec<Client> = spokes
            .iter()
            .map(|s| Client::new(&s.as_ref().unwrap().url, &spoke_token))
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            writers.push(tokio::spawn(writer(
                clients[w % nodes].clone(),
                group_id.clone(),
                tried.clone(),
                stop.clone(),
                round,
                w,
                rng.next(),
            )));
        }
        tokio::time::sleep(Duration::from_millis(300 + rng.below(1_200))).await;
        let victim = rng.below(nodes as u64) as usize;
        let mut child = spokes[victim].as_mut().unwrap().child.take().unwrap();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        spokes[victim] = None;
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.await.unwrap();
        }
    }
    drop(spokes);
    let outbox_left = db.count("SELECT COUNT(*) FROM change_outbox").await;
    eprintln!(
        "{KILLS} kills of {nodes} spoke(s) in {:.1}s; {} users answered as created; {outbox_left} changes left in the outbox at the end",
        t0.elapsed().as_secs_f64(),
        tried.lock().unwrap().users.len()
    );

    // A last start: the sweeper acts on what the kills left, the workers drain the queue.
    let spoke = Server::start(spoke_opts());
    let api = Client::new(&spoke.url, &spoke_token);
    let settle = Instant::now();
    loop {
        let outbox = db.count("SELECT COUNT(*) FROM change_outbox").await;
        let jobs = db
            .count("SELECT COUNT(*) FROM provisioning_jobs WHERE status <> 'FAILED'")
            .await;
        if outbox == 0 && jobs == 0 {
            break;
        }
        if settle.elapsed() > Duration::from_secs(120) {
            let left = db
                .rows(
                    "SELECT 'outbox ' || id || ' attempts ' || attempts || ' lease ' || lease_until || ' error ' || COALESCE(last_error, '-') FROM change_outbox \
                     UNION ALL SELECT 'job ' || operation || ' ' || user_id || ' ' || status || ' due ' || due || ' locked ' || COALESCE(locked_until, '-') || ' attempts ' || attempts || ' ' || substr(COALESCE(last_error, '-'), 1, 400) FROM provisioning_jobs WHERE status <> 'FAILED'",
                )
                .await;
            panic!(
                "{outbox} outbox entries and {jobs} jobs left after 120 s: {:?}\nspoke log:\n{}\nhub log:\n{}",
                &left[..left.len().min(3)],
                spoke.stderr().lines().rev().take(20).collect::<Vec<_>>().join("\n"),
                hub.stderr().lines().rev().take(20).collect::<Vec<_>>().join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("settled in {:.1}s", settle.elapsed().as_secs_f64());

    // The truth is the spoke: who is in the group now, with which profile and password.
    let members: Vec<Value> = api
        .list_all(&format!("/api/v1/groups/{group_id}/users"))
        .await;
    let member_ids: HashSet<String> = members
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect();
    let spoke_users = api.list_all("/api/v1/users").await;
    let hub_users = hub_api.list_all("/api/v1/users").await;
    let mut hub_by_login: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for u in &hub_users {
        hub_by_login
            .entry(u["profile"]["login"].as_str().unwrap().to_ascii_lowercase())
            .or_default()
            .push(u);
    }

    let (mut lost, mut duplicated, mut stale, mut not_deactivated) = (0, 0, 0, 0);
    let mut examples = Vec::new();
    for u in &spoke_users {
        let id = u["id"].as_str().unwrap();
        let login = u["profile"]["login"].as_str().unwrap().to_ascii_lowercase();
        let on_hub = hub_by_login.get(&login).cloned().unwrap_or_default();
        if on_hub.len() > 1 {
            duplicated += 1;
            examples.push(format!("{login}: {} times on the hub", on_hub.len()));
        }
        if member_ids.contains(id) {
            let Some(h) = on_hub.first() else {
                lost += 1;
                examples.push(format!("{login}: in the group, not on the hub"));
                continue;
            };
            if h["status"] != "ACTIVE" || h["profile"]["title"] != u["profile"]["title"] {
                stale += 1;
                examples.push(format!(
                    "{login}: hub {} {}, spoke title {}",
                    h["status"], h["profile"]["title"], u["profile"]["title"]
                ));
            }
        } else if let Some(h) = on_hub.first() {
            if h["status"] != "DEPROVISIONED" {
                not_deactivated += 1;
                examples.push(format!("{login}: left the group, hub says {}", h["status"]));
            }
        }
    }
    let hub_extra = hub_by_login
        .keys()
        .filter(|l| {
            !spoke_users.iter().any(|u| {
                u["profile"]["login"]
                    .as_str()
                    .unwrap()
                    .eq_ignore_ascii_case(l)
            })
        })
        .count();
    eprintln!(
        "kill loop, {nodes} spoke(s): {} spoke users ({} in the group), {KILLS} kills: lost {lost}, duplicated {duplicated}, stale {stale}, not deactivated {not_deactivated}, unknown on the hub {hub_extra}",
        spoke_users.len(),
        member_ids.len()
    );
    assert!(
        member_ids.len() >= 20,
        "too few users got in to mean anything: {}",
        member_ids.len()
    );
    assert_eq!(
        (lost, duplicated, stale, not_deactivated, hub_extra),
        (0, 0, 0, 0, 0),
        "{examples:?}"
    );

    // Passwords: for a sample of members whose password was set more than once, the password
    // the spoke has now (found by signing in on the spoke) also works on the hub.
    let sample: Vec<(String, String, Vec<String>)> = {
        let t = tried.lock().unwrap();
        let mut s: Vec<_> = t
            .passwords
            .iter()
            .filter(|(id, p)| p.len() > 1 && member_ids.contains(*id))
            .map(|(id, p)| (id.clone(), t.users[id].clone(), p.clone()))
            .collect();
        s.sort();
        s.truncate(8);
        s
    };
    for (_, login, candidates) in &sample {
        let mut current = None;
        for p in candidates.iter().rev() {
            if api.authn(login, p).await == "SUCCESS" {
                current = Some(p.clone());
                break;
            }
        }
        let current =
            current.unwrap_or_else(|| panic!("none of {login}'s passwords works on the spoke"));
        assert_eq!(
            hub_api.authn(login, &current).await,
            "SUCCESS",
            "{login}'s latest password does not work on the hub"
        );
    }
    eprintln!("{} members' latest passwords work on the hub", sample.len());

    let (status, tasks) = api
        .send(reqwest::Method::GET, "/api/v1/tasks?status=OPEN", None)
        .await;
    assert_eq!(status, 200, "{tasks}");
    let open: Vec<String> = tasks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            format!(
                "{} {} after {} attempts: {}",
                t["operation"], t["userId"], t["attempts"], t["lastError"]["summary"]
            )
        })
        .collect();
    assert!(
        open.is_empty(),
        "{} open tasks, e.g. {:?}",
        open.len(),
        &open[..open.len().min(3)]
    );
    eprintln!("total {:.1}s", t0.elapsed().as_secs_f64());
}

/// Clients that hang up in the middle of their requests (a killed spoke, a client timeout) do
/// not break the server: hundreds of writes abandoned after 1-40 ms, many while waiting for
/// SQLite's write lock, then every write still succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_hanging_up_mid_write_leave_the_server_working() {
    let token = random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        env: quiet_env(),
        ..Options::default()
    });
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    for wave in 0..24 {
        let mut tasks = Vec::new();
        for i in 0..150 {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_millis(1 + rng.below(40)))
                .build()
                .unwrap();
            let url = format!("{}/api/v1/groups", server.url);
            let auth = format!("SSWS {token}");
            tasks.push(tokio::spawn(async move {
                let _ = http
                    .post(url)
                    .header("Authorization", auth)
                    .json(&json!({"profile": {"name": format!("abandoned {wave}-{i}")}}))
                    .send()
                    .await;
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    }
    let api = Client::new(&server.url, &token);
    for i in 0..20 {
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                "/api/v1/groups",
                Some(json!({"profile": {"name": format!("after {i}")}})),
            )
            .await;
        assert_eq!(status, 200, "write {i} after the hang-ups: {body}");
    }
}

/// SIGTERM in the middle of pushing: the spoke takes no new job, lets its running steps finish
/// (or gives their leases back), and exits 0 with work still queued; restarted with a lease of
/// ten minutes, it finishes the rest at once — no job was left RUNNING under a dead lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_mid_push_finishes_running_steps_and_leaves_no_lease_behind() {
    const USERS: usize = 120;
    let hub_token = random_token();
    let hub = Server::start(Options {
        bootstrap_token: Some(hub_token.clone()),
        env: quiet_env(),
        ..Options::default()
    });
    let spoke_dir = tempfile::tempdir().unwrap();
    let spoke_data = spoke_dir.path().join("data");
    let spoke_token = random_token();
    let spoke_opts = |workers: &str| {
        let mut env = quiet_env();
        env.push(("ROSTER_PROVISIONING_WORKERS".into(), workers.into()));
        env.push(("ROSTER_PROVISIONING_LEASE_SECONDS".into(), "600".into()));
        env.push(("ROSTER_SHUTDOWN_GRACE_SECONDS".into(), "5".into()));
        Options {
            data_dir: Some(spoke_data.clone()),
            bootstrap_token: Some(spoke_token.clone()),
            env,
            ..Options::default()
        }
    };
    // Intake without workers: the pushes of USERS new users wait in the queue.
    let mut intake = Server::start(spoke_opts("0"));
    let api = Client::new(&intake.url, &spoke_token);
    let (_, group_id) = org2org_with_group(&api, &hub.url, &hub_token).await;

    let mut creates = Vec::new();
    for w in 0..8 {
        let api = api.clone();
        let group_id = group_id.clone();
        creates.push(tokio::spawn(async move {
            for i in (w..USERS).step_by(8) {
                let login = format!("term{i}@example.com");
                api.ok(
                    reqwest::Method::POST,
                    "/api/v1/users?activate=true",
                    Some(json!({
                        "profile": {"login": login, "email": login, "firstName": "Term", "lastName": "Inate"},
                        "credentials": {"password": {"value": format!("Term-{i}-Aa9!xyz")}},
                        "groupIds": [group_id],
                    })),
                )
                .await;
            }
        }));
    }
    for c in creates {
        c.await.unwrap();
    }
    assert!(intake.terminate().success());
    // Four workers push; once some users reached the hub and many are still queued, SIGTERM.
    let mut spoke = Server::start(spoke_opts("4"));
    let t = Instant::now();
    loop {
        if sqlite_count(&hub.data_dir, "SELECT COUNT(*) FROM users").await >= 6 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "nothing reached the hub"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t = Instant::now();
    let status = spoke.terminate();
    let took = t.elapsed();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    let running = sqlite_count(
        &spoke_data,
        "SELECT COUNT(*) FROM provisioning_jobs WHERE status = 'RUNNING'",
    )
    .await;
    let queued = sqlite_count(
        &spoke_data,
        "SELECT COUNT(*) FROM provisioning_jobs WHERE status = 'QUEUED'",
    )
    .await;
    eprintln!(
        "SIGTERM: exited in {:.2}s, {queued} jobs left queued, {running} running",
        took.as_secs_f64()
    );
    assert_eq!(
        running, 0,
        "a job was left RUNNING under a lease nobody holds"
    );
    assert!(queued > 0, "the spoke kept taking jobs after SIGTERM");

    let spoke = Server::start(spoke_opts("4"));
    let api = Client::new(&spoke.url, &spoke_token);
    let t = Instant::now();
    loop {
        let left = sqlite_count(
            &spoke_data,
            "SELECT COUNT(*) FROM provisioning_jobs WHERE status <> 'FAILED'",
        )
        .await;
        if left == 0 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "{left} jobs left a minute after the restart"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hub_api = Client::new(&hub.url, &hub_token);
    let hub_users = hub_api.list_all("/api/v1/users").await;
    let logins: HashSet<String> = hub_users
        .iter()
        .map(|u| u["profile"]["login"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(hub_users.len(), USERS, "users on the hub");
    assert_eq!(logins.len(), USERS, "a user reached the hub twice");
    assert!(hub_users.iter().all(|u| u["status"] == "ACTIVE"));
    let (status, tasks) = api
        .send(reqwest::Method::GET, "/api/v1/tasks?status=OPEN", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(tasks.as_array().unwrap().len(), 0, "open tasks: {tasks}");
}

/// Two servers on one PostgreSQL database: one takes the changes (no workers), the other
/// pushes — and its idle workers, which poll only every ten minutes here, start at once because
/// a job queued by the first server wakes them (LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_queued_on_one_server_wakes_the_workers_of_another() {
    let pg = support::PgDatabase::create().await;
    let hub_token = random_token();
    let hub = Server::start(Options {
        bootstrap_token: Some(hub_token.clone()),
        env: quiet_env(),
        ..Options::default()
    });
    let token = random_token();
    let node = |workers: &str| {
        let mut env = quiet_env();
        env.push(("ROSTER_PROVISIONING_WORKERS".into(), workers.into()));
        env.push(("ROSTER_PROVISIONING_POLL_SECONDS".into(), "600".into()));
        Options {
            database_url: Some(pg.url.clone()),
            bootstrap_token: Some(token.clone()),
            env,
            ..Options::default()
        }
    };
    let intake = Server::start(node("0"));
    let api = Client::new(&intake.url, &token);
    let (app_id, group_id) = org2org_with_group(&api, &hub.url, &hub_token).await;
    let _pusher = Server::start(node("2"));
    // Let the pusher's workers go idle (they looked once at start: nothing was due).
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..5 {
        let login = format!("woken{i}@example.com");
        api.ok(
            reqwest::Method::POST,
            "/api/v1/users?activate=true",
            Some(json!({
                "profile": {"login": login, "email": login, "firstName": "Wo", "lastName": "Ken"},
                "groupIds": [group_id],
            })),
        )
        .await;
    }
    let t = Instant::now();
    loop {
        let users = api
            .ok(
                reqwest::Method::GET,
                &format!("/api/v1/apps/{app_id}/users"),
                None,
            )
            .await;
        let users = users.as_array().unwrap();
        if users.len() == 5 && users.iter().all(|u| u["syncState"] == "SYNCHRONIZED") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the pushing server did not wake up: {users:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "pushed by the other server {:.2}s after the last create",
        t.elapsed().as_secs_f64()
    );
    drop(_pusher);
    drop(intake);
    pg.drop_db().await;
}

/// A tmpfs of its own, unmounted on drop (needs root, as the test command runs).
struct Tmpfs {
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fs");
        std::fs::create_dir(&path).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mount -t tmpfs failed: this test needs root (the test command runs as root)"
        );
        Tmpfs { path, _dir: dir }
    }

    fn resize(&self, size: &str) {
        let status = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// SQLite on a disk that fills up: writes answer 507 with the cause and what to do (never a
/// 500), reads keep working, the database stays intact, and writes work again once there is
/// space.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_refuses_writes_with_507_and_recovers() {
    let fs = Tmpfs::mount("3m");
    let data = fs.path.join("data");
    let token = random_token();
    let server = Server::start(Options {
        data_dir: Some(data.clone()),
        bootstrap_token: Some(token.clone()),
        env: quiet_env(),
        ..Options::default()
    });
    let api = Client::new(&server.url, &token);
    let filler = "x".repeat(900);
    let mut created = Vec::new();
    let refusal = loop {
        let login = format!("fill{}@example.com", created.len());
        let (status, body) = api
            .send(
                reqwest::Method::POST,
                "/api/v1/users?activate=false",
                Some(
                    json!({"profile": {"login": login, "email": login, "firstName": "Fill",
                                        "lastName": "Er", "title": filler}}),
                ),
            )
            .await;
        if status != 200 {
            break (status, body);
        }
        created.push(body["id"].as_str().unwrap().to_owned());
        assert!(created.len() < 50_000, "the 3 MB disk never filled");
    };
    let (status, body) = refusal;
    eprintln!(
        "the disk filled after {} users: {status} {body}",
        created.len()
    );
    assert_eq!(status, 507, "{body}");
    assert_eq!(body["errorCode"], "E0000010", "{body}");
    assert!(
        body["errorSummary"]
            .as_str()
            .unwrap()
            .contains("out of disk space"),
        "{body}"
    );
    assert!(
        body["remediation"]
            .as_str()
            .unwrap()
            .contains("free disk space"),
        "{body}"
    );
    assert!(
        created.len() > 10,
        "only {} users before the disk filled",
        created.len()
    );

    // Reads keep working.
    let first = api
        .ok(
            reqwest::Method::GET,
            &format!("/api/v1/users/{}", created[0]),
            None,
        )
        .await;
    assert_eq!(first["id"], created[0].as_str());
    let page = api
        .ok(reqwest::Method::GET, "/api/v1/users?limit=5", None)
        .await;
    assert_eq!(page.as_array().unwrap().len(), 5);

    // Space returns: writes work again, without a restart.
    fs.resize("64m");
    let mut answer = (0, Value::Null);
    for i in 0..20 {
        let login = format!("after{i}@example.com");
        answer = api
            .send(
                reqwest::Method::POST,
                "/api/v1/users?activate=false",
                Some(json!({"profile": {"login": login, "email": login, "firstName": "Af", "lastName": "Ter"}})),
            )
            .await;
        if answer.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(answer.0, 200, "no write after space returned: {}", answer.1);
    drop(server);
    let integrity = sqlite_rows(&data, "PRAGMA integrity_check").await;
    assert_eq!(integrity, ["ok"]);
}

/// A PostgreSQL server of the test's own (initdb in a temporary directory, run as the
/// `postgres` user on a free port), so it can be stopped and started without touching the
/// machine's shared one. Stopped on drop.
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl OwnPostgres {
    fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.path().join("pgdata");
        let cmd = format!(
            "/usr/local/bin/pg_ctl -D {} -w -l {}/log {}",
            data.display(),
            self.dir.path().display(),
            args.join(" ")
        );
        let status = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--", "sh", "-c", &cmd])
            .status()
            .expect("run pg_ctl");
        assert!(status.success(), "pg_ctl {args:?} failed");
    }

    fn start_new() -> OwnPostgres {
        let dir = tempfile::tempdir().unwrap();
        std::process::Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let init = format!(
            "/usr/local/bin/initdb -D {}/pgdata -U postgres --auth=trust >/dev/null",
            dir.path().display()
        );
        let status = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--", "sh", "-c", &init])
            .status()
            .expect("run initdb");
        assert!(status.success(), "initdb failed");
        let pg = OwnPostgres { dir, port };
        pg.start();
        pg
    }

    fn start(&self) {
        let opts = format!(
            "-o '-p {} -k {} -c listen_addresses=127.0.0.1'",
            self.port,
            self.dir.path().display()
        );
        self.pg_ctl(&["start", &opts]);
    }

    fn stop(&self) {
        self.pg_ctl(&["stop", "-m", "fast"]);
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("pgdata");
        let cmd = format!(
            "/usr/local/bin/pg_ctl -D {} -m immediate stop >/dev/null 2>&1",
            data.display()
        );
        let _ = std::process::Command::new("runuser")
            .args(["-u", "postgres", "--", "sh", "-c", &cmd])
            .status();
    }
}

/// PostgreSQL restarted under a spoke that is pushing: while it is down, requests fail fast
/// with a 503 that says so (never a 500, never a hang); once it is back, the spoke resumes by
/// itself, and every user reaches the hub exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_answers_503_meanwhile_and_loses_nothing() {
    const USERS: usize = 40;
    let pg = OwnPostgres::start_new();
    let hub_token = random_token();
    let hub = Server::start(Options {
        bootstrap_token: Some(hub_token.clone()),
        env: quiet_env(),
        ..Options::default()
    });
    let token = random_token();
    let mut env = quiet_env();
    env.push(("ROSTER_PROVISIONING_BACKOFF_MS".into(), "300".into()));
    let spoke = Server::start(Options {
        database_url: Some(pg.url()),
        bootstrap_token: Some(token.clone()),
        env,
        ..Options::default()
    });
    let api = Client::new(&spoke.url, &token);
    let (app_id, group_id) = org2org_with_group(&api, &hub.url, &hub_token).await;
    let create = |i: usize| {
        let login = format!("restart{i}@example.com");
        json!({
            "profile": {"login": login, "email": login, "firstName": "Re", "lastName": "Start"},
            "credentials": {"password": {"value": format!("Restart-{i}-Aa9!x")}},
            "groupIds": [group_id],
        })
    };
    for i in 0..USERS / 2 {
        api.ok(
            reqwest::Method::POST,
            "/api/v1/users?activate=true",
            Some(create(i)),
        )
        .await;
    }

    // Down in the middle of the pushes.
    pg.stop();
    let t = Instant::now();
    let (status, body) = api
        .send(
            reqwest::Method::POST,
            "/api/v1/users?activate=true",
            Some(create(999)),
        )
        .await;
    let took = t.elapsed();
    assert_eq!(status, 503, "a write while the database is down: {body}");
    assert_eq!(body["errorCode"], "E0000010", "{body}");
    assert!(
        body["errorSummary"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{body}"
    );
    let (status, body) = api.send(reqwest::Method::GET, "/api/v1/users", None).await;
    assert_eq!(status, 503, "a read while the database is down: {body}");
    eprintln!(
        "while PostgreSQL was down: 503 in {:.2}s",
        took.as_secs_f64()
    );
    assert!(took < Duration::from_secs(10), "no fast failure: {took:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Back: the spoke takes writes again by itself and finishes the pushes.
    pg.start();
    let t = Instant::now();
    for i in USERS / 2..USERS {
        loop {
            let (status, body) = api
                .send(
                    reqwest::Method::POST,
                    "/api/v1/users?activate=true",
                    Some(create(i)),
                )
                .await;
            if status == 200 {
                break;
            }
            assert_eq!(status, 503, "{body}");
            assert!(t.elapsed() < Duration::from_secs(60), "no recovery: {body}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    loop {
        let users = api
            .ok(
                reqwest::Method::GET,
                &format!("/api/v1/apps/{app_id}/users"),
                None,
            )
            .await;
        let users = users.as_array().unwrap();
        if users.len() == USERS && users.iter().all(|u| u["syncState"] == "SYNCHRONIZED") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "{} of {USERS} app users synchronized after the restart",
            users
                .iter()
                .filter(|u| u["syncState"] == "SYNCHRONIZED")
                .count()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let hub_api = Client::new(&hub.url, &hub_token);
    let on_hub = hub_api.list_all("/api/v1/users").await;
    let logins: HashSet<&str> = on_hub
        .iter()
        .map(|u| u["profile"]["login"].as_str().unwrap())
        .collect();
    assert_eq!(on_hub.len(), USERS, "users on the hub");
    assert_eq!(logins.len(), USERS, "a user reached the hub twice");
    let (_, tasks) = api
        .send(reqwest::Method::GET, "/api/v1/tasks?status=OPEN", None)
        .await;
    assert_eq!(tasks.as_array().unwrap().len(), 0, "open tasks: {tasks}");
    drop(spoke);
}
