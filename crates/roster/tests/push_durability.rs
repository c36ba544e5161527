//! Push provisioning that survives what happens to real servers (issue 5): a spoke killed with
//! SIGKILL in the middle of pushing 10,000 users, two servers sharing one PostgreSQL queue, and
//! a hub that answers 503, 429 and 401 through a fault-injecting proxy. Every spoke and hub is a
//! real `roster serve`; the proxy forwards to the real hub.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{random_token, Options, PgDatabase, Server, BIN};

/// A 32-byte master key, base64, shared by servers on one PostgreSQL database.
const MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[derive(Clone)]
struct Api {
    url: String,
    auth: String,
    http: reqwest::Client,
}

impl Api {
    fn new(url: &str, token: &str) -> Api {
        Api {
            url: url.to_owned(),
            auth: format!("SSWS {token}"),
            http: reqwest::Client::new(),
        }
    }

    async fn send_full(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.url)
        };
        let mut req = self
            .http
            .request(method, url)
            .header("Authorization", &self.auth)
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let (s, _, v) = self.send_full(reqwest::Method::GET, path, None).await;
        (s, v)
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, v) = self
            .send_full(reqwest::Method::POST, path, Some(body))
            .await;
        (s, v)
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, v) = self.send_full(reqwest::Method::PUT, path, Some(body)).await;
        (s, v)
    }

    /// Every item of a paged list, following `Link: <...>; rel="next"`.
    async fn list_all(&self, first: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut next = Some(first.to_owned());
        while let Some(path) = next.take() {
            let (status, headers, page) = self.send_full(reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "{path}: {page}");
            let items = page.as_array().unwrap();
            if items.is_empty() {
                // The System Log's polling mode always carries `next`: an empty page ends it.
                break;
            }
            out.extend(items.iter().cloned());
            for link in headers.get_all("link") {
                let link = link.to_str().unwrap();
                for part in link.split(',') {
                    if part.contains("rel=\"next\"") {
                        let start = part.find('<').unwrap() + 1;
                        let end = part.find('>').unwrap();
                        next = Some(part[start..end].to_owned());
                    }
                }
            }
        }
        out
    }
}

/// Servers that log little and do not rate-limit the test's own load.
fn quiet_env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = vec![
        ("ROSTER_LOG".to_owned(), "warn".to_owned()),
        (
            "ROSTER_RATE_LIMIT_PER_MINUTE".to_owned(),
            "1000000000".to_owned(),
        ),
    ];
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

fn start_hub() -> (Server, String) {
    let token = random_token();
    let hub = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        env: quiet_env(&[]),
        ..Options::default()
    });
    (hub, token)
}

/// An active `okta_org2org` app on the spoke pushing to `base_url` with `hub_token`: create
/// and profile updates, no password sync (so the hub hashes no passwords).
async fn org2org_app(spoke: &Api, base_url: &str, hub_token: &str) -> String {
    let (status, app) = spoke
        .post(
            "/api/v1/apps",
            json!({"name": "okta_org2org", "label": "Hub org", "signOnMode": "SAML_2_0",
                   "settings": {"app": {"baseUrl": base_url}}}),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (status, conn) = spoke
        .post(
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            json!({"profile": {"authScheme": "TOKEN", "token": hub_token}}),
        )
        .await;
    assert_eq!(status, 200, "{conn}");
    let (status, feature) = spoke
        .put(
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                   "update": {"profile": {"status": "ENABLED"},
                              "password": {"status": "DISABLED"}}}),
        )
        .await;
    assert_eq!(status, 200, "{feature}");
    app_id
}

/// `roster bench users`: COUNT users (user0@example.com ...) written through the store's
/// batched path, the fastest honest way to a big directory.
fn bulk_users(db_args: &[&str], count: usize) {
    let out = Command::new(BIN)
        .args(["bench", "users"])
        .args(db_args)
        .args(["--count", &count.to_string()])
        .env_remove("ROSTER_DATABASE_URL")
        .env_remove("ROSTER_DATA_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "roster bench users failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Assign every user to the app, `concurrency` requests at a time.
async fn assign_all(api: &Api, app_id: &str, user_ids: &[String], concurrency: usize) {
    let ids = Arc::new(user_ids.to_vec());
    let mut handles = Vec::new();
    for k in 0..concurrency {
        let api = api.clone();
        let ids = ids.clone();
        let app_id = app_id.to_owned();
        handles.push(tokio::spawn(async move {
            for id in ids.iter().skip(k).step_by(concurrency) {
                let (status, au) = api
                    .post(
                        &format!("/api/v1/apps/{app_id}/users"),
                        json!({"id": id, "scope": "USER"}),
                    )
                    .await;
                assert_eq!(status, 200, "{au}");
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
}

/// Poll the app's users until none is SYNCING (the queue has drained); returns them.
async fn drained(api: &Api, app_id: &str, within: Duration) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let (status, users) = api.get(&format!("/api/v1/apps/{app_id}/users")).await;
        assert_eq!(status, 200, "{users}");
        let users = users.as_array().unwrap().clone();
        let syncing = users.iter().filter(|u| u["syncState"] == "SYNCING").count();
        if syncing == 0 {
            return users;
        }
        assert!(
            start.elapsed() < within,
            "{syncing} app users still SYNCING after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// How many users the hub holds, read from its SQLite file (only to decide when to kill).
async fn hub_user_count(data_dir: &Path) -> i64 {
    use sqlx::Connection;
    let url = format!("sqlite://{}?mode=ro", data_dir.join("roster.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    n
}

/// Every hub user exists once per expected login, and the hub logged one
/// `user.lifecycle.create` per login. Returns the hub's ids by login.
async fn assert_hub_has_each_once(hub: &Api, logins: &HashSet<String>) -> HashMap<String, String> {
    let users = hub.list_all("/api/v1/users?limit=200").await;
    let mut by_login: HashMap<String, Vec<String>> = HashMap::new();
    for u in &users {
        by_login
            .entry(u["profile"]["login"].as_str().unwrap().to_ascii_lowercase())
            .or_default()
            .push(u["id"].as_str().unwrap().to_owned());
    }
    let dupes: Vec<_> = by_login.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(
        dupes.is_empty(),
        "duplicates on the hub: {:?}",
        &dupes[..dupes.len().min(5)]
    );
    let missing: Vec<_> = logins
        .iter()
        .filter(|l| !by_login.contains_key(*l))
        .collect();
    assert!(
        missing.is_empty(),
        "{} users missing on the hub, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(
        users.len(),
        logins.len(),
        "the hub holds users nobody pushed"
    );

    let filter = "filter=eventType%20eq%20%22user.lifecycle.create%22";
    let events = hub
        .list_all(&format!("/api/v1/logs?{filter}&limit=1000"))
        .await;
    let mut creates: HashMap<String, usize> = HashMap::new();
    for e in &events {
        let login = e["target"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "User")
            .and_then(|t| t["alternateId"].as_str())
            .unwrap_or_else(|| panic!("a create event without a user target: {e}"))
            .to_ascii_lowercase();
        *creates.entry(login).or_default() += 1;
    }
    let twice: Vec<_> = creates.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "user.lifecycle.create not once per login: {:?}",
        &twice[..twice.len().min(5)]
    );
    assert_eq!(
        creates.len(),
        logins.len(),
        "create events for {} logins",
        creates.len()
    );
    by_login
        .into_iter()
        .map(|(l, mut ids)| (l, ids.remove(0)))
        .collect()
}

/// Every app user is PROVISIONED and SYNCHRONIZED, linked to its hub user, and no task is open.
async fn assert_spoke_synchronized(
    spoke: &Api,
    app_users: &[Value],
    login_of: &HashMap<String, String>,
    hub_ids: &HashMap<String, String>,
) {
    for au in app_users {
        assert_eq!(au["status"], "PROVISIONED", "{au}");
        assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
        let user_id = au["id"].as_str().unwrap();
        let login = &login_of[user_id];
        assert_eq!(
            au["externalId"].as_str(),
            Some(hub_ids[login].as_str()),
            "{au}"
        );
    }
    let (status, tasks) = spoke.get("/api/v1/tasks?status=OPEN").await;
    assert_eq!(status, 200, "{tasks}");
    assert_eq!(tasks.as_array().unwrap().len(), 0, "open tasks: {tasks}");
}

/// The successful `application.provision.user.push` events of the spoke, by user id, with the
/// `debugData.worker` that ran each.
async fn push_successes(spoke: &Api) -> Vec<(String, String, String)> {
    let filter = "filter=eventType%20eq%20%22application.provision.user.push%22";
    spoke
        .list_all(&format!("/api/v1/logs?{filter}&limit=1000"))
        .await
        .into_iter()
        .filter(|e| e["outcome"]["result"] == "SUCCESS")
        .map(|e| {
            let user = e["target"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["type"] == "User")
                .and_then(|t| t["id"].as_str())
                .unwrap()
                .to_owned();
            let data = &e["debugContext"]["debugData"];
            (
                user,
                data["worker"].as_str().unwrap_or("?").to_owned(),
                data["action"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn spoke_killed_mid_push_of_10000_users_resumes_without_duplicates() {
    const N: usize = 10_000;
    let t0 = Instant::now();
    let (hub, hub_token) = start_hub();
    let hub_api = Api::new(&hub.url, &hub_token);

    let spoke_dir = tempfile::tempdir().unwrap();
    let spoke_data = spoke_dir.path().join("data");
    bulk_users(&["--data-dir", spoke_data.to_str().unwrap()], N);
    let spoke_token = random_token();
    let spoke_opts = |workers: &str| Options {
        data_dir: Some(spoke_data.clone()),
        bootstrap_token: Some(spoke_token.clone()),
        env: quiet_env(&[
            ("ROSTER_PROVISIONING_WORKERS", workers),
            ("ROSTER_PROVISIONING_LEASE_SECONDS", "5"),
        ]),
        ..Options::default()
    };

    // Intake: a spoke with no worker takes the 10,000 assignments and queues their pushes.
    let mut intake = Server::start(spoke_opts("0"));
    let api = Api::new(&intake.url, &spoke_token);
    let app_id = org2org_app(&api, &hub.url, &hub_token).await;
    let users = api.list_all("/api/v1/users?limit=200").await;
    assert_eq!(users.len(), N);
    let login_of: HashMap<String, String> = users
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_owned(),
                u["profile"]["login"].as_str().unwrap().to_ascii_lowercase(),
            )
        })
        .collect();
    let ids: Vec<String> = login_of.keys().cloned().collect();
    let t_assign = Instant::now();
    assign_all(&api, &app_id, &ids, 16).await;
    eprintln!(
        "seeded {N} users and assigned them in {:.1}s ({:.0} assignments/s)",
        t_assign.elapsed().as_secs_f64(),
        N as f64 / t_assign.elapsed().as_secs_f64()
    );
    assert_eq!(hub_user_count(&hub.data_dir).await, 0);
    intake.terminate();

    // A spoke with workers pushes; SIGKILL it once some, but not all, users reached the hub.
    let mut pusher = Server::start(spoke_opts("4"));
    let t_push = Instant::now();
    loop {
        let n = hub_user_count(&hub.data_dir).await;
        if n >= (N / 5) as i64 {
            break;
        }
        assert!(
            t_push.elapsed() < Duration::from_secs(120),
            "only {n} pushed in 120s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut child = pusher.child.take().unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let at_kill = hub_user_count(&hub.data_dir).await;
    eprintln!(
        "killed the spoke with SIGKILL after {:.1}s of pushing: {at_kill} of {N} users on the hub",
        t_push.elapsed().as_secs_f64()
    );
    assert!(at_kill > 0 && (at_kill as usize) < N, "{at_kill}");
    drop(pusher);

    // Restarted on the same database, it finishes the queue (leases of the dead one expire).
    let restarted = Server::start(spoke_opts("4"));
    let api = Api::new(&restarted.url, &spoke_token);
    let t_rest = Instant::now();
    let app_users = drained(&api, &app_id, Duration::from_secs(180)).await;
    eprintln!(
        "the restarted spoke drained the queue in {:.1}s",
        t_rest.elapsed().as_secs_f64()
    );
    assert_eq!(app_users.len(), N);

    let logins: HashSet<String> = login_of.values().cloned().collect();
    let hub_ids = assert_hub_has_each_once(&hub_api, &logins).await;
    assert_spoke_synchronized(&api, &app_users, &login_of, &hub_ids).await;

    // One successful push per user overall; the ones the dead spoke had sent but not recorded
    // were found on the hub by login and linked.
    let pushes = push_successes(&api).await;
    let mut per_user: HashMap<&str, usize> = HashMap::new();
    for (u, _, _) in &pushes {
        *per_user.entry(u.as_str()).or_default() += 1;
    }
    assert_eq!(per_user.len(), N);
    assert!(
        per_user.values().all(|n| *n == 1),
        "a user was pushed twice"
    );
    let linked = pushes.iter().filter(|(_, _, a)| a == "linked").count();
    eprintln!(
        "{linked} pushes linked a user the killed spoke had created; total wall time {:.1}s",
        t0.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_one_postgres_queue_and_run_each_job_once() {
    const N: usize = 3_000;
    let pg = PgDatabase::create().await;
    let (hub, hub_token) = start_hub();
    let hub_api = Api::new(&hub.url, &hub_token);
    bulk_users(&["--database-url", &pg.url], N);

    let token = random_token();
    let opts = || Options {
        database_url: Some(pg.url.clone()),
        bootstrap_token: Some(token.clone()),
        env: quiet_env(&[
            ("ROSTER_MASTER_KEY", MASTER_KEY),
            ("ROSTER_PROVISIONING_WORKERS", "4"),
        ]),
        ..Options::default()
    };
    let a = Server::start(opts());
    let b = Server::start(opts());
    let api_a = Api::new(&a.url, &token);
    let api_b = Api::new(&b.url, &token);
    let app_id = org2org_app(&api_a, &hub.url, &hub_token).await;

    let users = api_a.list_all("/api/v1/users?limit=200").await;
    assert_eq!(users.len(), N);
    let login_of: HashMap<String, String> = users
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_owned(),
                u["profile"]["login"].as_str().unwrap().to_ascii_lowercase(),
            )
        })
        .collect();
    let ids: Vec<String> = login_of.keys().cloned().collect();
    let t = Instant::now();
    assign_all(&api_a, &app_id, &ids, 16).await;
    let app_users = drained(&api_b, &app_id, Duration::from_secs(240)).await;
    eprintln!(
        "{N} users assigned through one server and pushed by two in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(app_users.len(), N);

    let logins: HashSet<String> = login_of.values().cloned().collect();
    let hub_ids = assert_hub_has_each_once(&hub_api, &logins).await;
    assert_spoke_synchronized(&api_b, &app_users, &login_of, &hub_ids).await;

    let pushes = push_successes(&api_b).await;
    let mut per_user: HashMap<&str, usize> = HashMap::new();
    let mut per_worker: BTreeMap<&str, usize> = BTreeMap::new();
    for (u, w, _) in &pushes {
        *per_user.entry(u.as_str()).or_default() += 1;
        *per_worker.entry(w.as_str()).or_default() += 1;
    }
    assert_eq!(per_user.len(), N);
    assert!(per_user.values().all(|n| *n == 1), "a job ran twice");
    eprintln!("successful pushes by worker (hostname:pid): {per_worker:?}");
    let pid_a = a.child.as_ref().unwrap().id();
    let pid_b = b.child.as_ref().unwrap().id();
    for pid in [pid_a, pid_b] {
        let n: usize = per_worker
            .iter()
            .filter(|(w, _)| w.ends_with(&format!(":{pid}")))
            .map(|(_, n)| *n)
            .sum();
        assert!(
            n > 0,
            "the server with pid {pid} pushed nothing: {per_worker:?}"
        );
    }
    drop(a);
    drop(b);
    pg.drop_db().await;
}

// ---- a fault-injecting proxy in front of the real hub -------------------------------------

/// What the proxy answers to the hub's user creates (`POST /api/v1/users`), in order; once the
/// script is spent it forwards.
#[derive(Clone, Copy, Debug)]
enum Fault {
    Unavailable,
    RateLimited,
    Unauthorized,
    /// 500 with an Okta error body.
    ServerError,
    /// 200 whose body is not JSON (a proxy's error page).
    Malformed,
    /// The headers, then the connection breaks before the body.
    Reset,
    /// Forwarded to the hub after 1.5 s: the spoke has given up (its timeout is shorter), but the
    /// hub makes the user.
    Slow,
}

#[derive(Clone)]
struct Proxy {
    hub: String,
    http: reqwest::Client,
    faults: Arc<Mutex<Vec<Fault>>>,
    /// Every create the proxy saw: (login, when, what it answered).
    creates: Arc<Mutex<Vec<(String, Instant, u16)>>>,
}

async fn proxy_handler(
    axum::extract::State(p): axum::extract::State<Proxy>,
    req: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let method = req.method().clone();
    let path_q = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), 1 << 20)
        .await
        .unwrap();
    if method == axum::http::Method::POST && path_q.starts_with("/api/v1/users?") {
        let login = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v["profile"]["login"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let fault = {
            let mut f = p.faults.lock().unwrap();
            (!f.is_empty()).then(|| f.remove(0))
        };
        let answer = match fault {
            Some(Fault::Unavailable) => Some(
                (
                    axum::http::StatusCode::SERVICE_UNAVAILABLE,
                    "upstream is restarting",
                )
                    .into_response(),
            ),
            Some(Fault::RateLimited) => Some(
                (
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    [("Retry-After", "1")],
                    axum::Json(json!({"errorCode": "E0000047", "errorSummary": "API call exceeded rate limit due to too many requests."})),
                )
                    .into_response(),
            ),
            Some(Fault::Unauthorized) => Some(
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"errorCode": "E0000011", "errorSummary": "Invalid token provided"})),
                )
                    .into_response(),
            ),
            Some(Fault::ServerError) => Some(
                (
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                    axum::Json(json!({"errorCode": "E0000009", "errorSummary": "Internal Server Error"})),
                )
                    .into_response(),
            ),
            Some(Fault::Malformed) => Some(
                (
                    axum::http::StatusCode::OK,
                    [("Content-Type", "application/json")],
                    "<html><body>Bad gateway</body></html>",
                )
                    .into_response(),
            ),
            Some(Fault::Reset) => Some(
                axum::response::Response::builder()
                    .status(200)
                    .header("Content-Type", "application/json")
                    .body(axum::body::Body::from_stream(futures::StreamExt::then(
                        futures::stream::iter([
                            Ok(axum::body::Bytes::from_static(b"{\"id\": \"00u")),
                            Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other(
                                "the proxy breaks the connection",
                            )),
                        ]),
                        // The headers and the first bytes go out before the break.
                        |chunk| async move {
                            if chunk.is_err() {
                                tokio::time::sleep(Duration::from_millis(200)).await;
                            }
                            chunk
                        },
                    )))
                    .unwrap(),
            ),
            Some(Fault::Slow) => {
                // The hub's work goes on after the spoke hangs up (the handler is dropped then).
                let (p, path_q, headers, body, login) =
                    (p.clone(), path_q.clone(), headers.clone(), body.clone(), login.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(1500)).await;
                    let mut fwd = p
                        .http
                        .request(axum::http::Method::POST, format!("{}{path_q}", p.hub))
                        .body(body);
                    for (k, v) in &headers {
                        if k != "host" && k != "content-length" {
                            fwd = fwd.header(k, v);
                        }
                    }
                    let status = fwd.send().await.unwrap().status().as_u16();
                    assert_eq!(status, 200, "the slow create on the hub");
                    p.creates.lock().unwrap().push((login, Instant::now(), 1));
                });
                tokio::time::sleep(Duration::from_secs(30)).await;
                Some(axum::http::StatusCode::GATEWAY_TIMEOUT.into_response())
            }
            None => None,
        };
        if matches!(fault, Some(Fault::Slow)) {
            // Recorded by the task that carries it out.
            return answer
                .unwrap_or_else(|| axum::http::StatusCode::GATEWAY_TIMEOUT.into_response());
        }
        let status = match fault {
            Some(Fault::Reset) => 0,
            _ => answer.as_ref().map(|a| a.status().as_u16()).unwrap_or(200),
        };
        p.creates
            .lock()
            .unwrap()
            .push((login, Instant::now(), status));
        if let Some(a) = answer {
            return a;
        }
    }
    let mut fwd = p
        .http
        .request(method, format!("{}{path_q}", p.hub))
        .body(body);
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            fwd = fwd.header(k, v);
        }
    }
    let resp = fwd.send().await.unwrap();
    let status = resp.status();
    let mut out = axum::response::Response::builder().status(status.as_u16());
    for (k, v) in resp.headers() {
        if k != "content-length" && k != "transfer-encoding" {
            out = out.header(k, v);
        }
    }
    out.body(axum::body::Body::from(resp.bytes().await.unwrap()))
        .unwrap()
}

async fn start_proxy(hub: &str) -> (String, Proxy) {
    let proxy = Proxy {
        hub: hub.to_owned(),
        http: reqwest::Client::new(),
        faults: Arc::new(Mutex::new(Vec::new())),
        creates: Arc::new(Mutex::new(Vec::new())),
    };
    let app = axum::Router::new()
        .fallback(proxy_handler)
        .with_state(proxy.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, proxy)
}

async fn wait_settled(api: &Api, app_id: &str, user_id: &str, within: Duration) -> Value {
    let start = Instant::now();
    loop {
        let (status, au) = api
            .get(&format!("/api/v1/apps/{app_id}/users/{user_id}"))
            .await;
        assert_eq!(status, 200, "{au}");
        if au["syncState"] != "SYNCING" {
            return au;
        }
        assert!(
            start.elapsed() < within,
            "still SYNCING after {within:?}: {au}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn user_events(api: &Api, user_id: &str) -> Vec<Value> {
    let filter =
        format!("eventType eq \"application.provision.user.push\" and target.id eq \"{user_id}\"");
    let (status, events) = api
        .get(&format!(
            "/api/v1/logs?limit=100&filter={}",
            urlencode(&filter)
        ))
        .await;
    assert_eq!(status, 200, "{events}");
    events.as_array().unwrap().clone()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_and_rate_limited_answers_are_retried_and_401_opens_a_task_at_once() {
    let (hub, hub_token) = start_hub();
    let hub_api = Api::new(&hub.url, &hub_token);
    let (proxy_url, proxy) = start_proxy(&hub.url).await;
    let spoke_token = random_token();
    let spoke = Server::start(Options {
        bootstrap_token: Some(spoke_token.clone()),
        env: quiet_env(&[]),
        ..Options::default()
    });
    let api = Api::new(&spoke.url, &spoke_token);
    let app_id = org2org_app(&api, &proxy_url, &hub_token).await;

    // 503, then 429 with Retry-After: 1, then the hub itself: pushed, no task.
    *proxy.faults.lock().unwrap() = vec![Fault::Unavailable, Fault::RateLimited];
    let (status, ren) = api
        .post(
            "/api/v1/users?activate=true",
            json!({"profile": {"login": "ren.retry@example.com", "email": "ren.retry@example.com",
                               "firstName": "Ren", "lastName": "Retry"}}),
        )
        .await;
    assert_eq!(status, 200, "{ren}");
    let ren_id = ren["id"].as_str().unwrap();
    let (status, _) = api
        .post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({"id": ren_id, "scope": "USER"}),
        )
        .await;
    assert_eq!(status, 200);
    let au = wait_settled(&api, &app_id, ren_id, Duration::from_secs(60)).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert!(au["externalId"].is_string(), "{au}");
    let (status, on_hub) = hub_api.get("/api/v1/users/ren.retry@example.com").await;
    assert_eq!(status, 200, "{on_hub}");
    assert_eq!(au["externalId"], on_hub["id"]);
    let (_, tasks) = api.get(&format!("/api/v1/tasks?userId={ren_id}")).await;
    assert_eq!(tasks.as_array().unwrap().len(), 0, "{tasks}");

    // The proxy saw three creates, spaced by the backoff (2 s, then 4 s >= Retry-After).
    let creates: Vec<_> = proxy
        .creates
        .lock()
        .unwrap()
        .iter()
        .filter(|(l, _, _)| l == "ren.retry@example.com")
        .cloned()
        .collect();
    let statuses: Vec<u16> = creates.iter().map(|c| c.2).collect();
    assert_eq!(statuses, vec![503, 429, 200]);
    let gap1 = creates[1].1 - creates[0].1;
    let gap2 = creates[2].1 - creates[1].1;
    eprintln!("retry gaps: {gap1:?} after 503, {gap2:?} after 429");
    assert!(gap1 >= Duration::from_millis(1900), "{gap1:?}");
    assert!(gap2 >= Duration::from_millis(3900), "{gap2:?}");

    // The System Log tells the same story: two failures that will retry, then the success.
    let mut events = user_events(&api, ren_id).await;
    events.sort_by(|a, b| a["published"].as_str().cmp(&b["published"].as_str()));
    let story: Vec<(String, Value, Value, Value)> = events
        .iter()
        .map(|e| {
            let d = &e["debugContext"]["debugData"];
            (
                e["outcome"]["result"].as_str().unwrap().to_owned(),
                d["TargetStatus"].clone(),
                d["attempt"].clone(),
                d["willRetry"].clone(),
            )
        })
        .collect();
    assert_eq!(
        story,
        vec![
            ("FAILURE".to_owned(), json!(503), json!(1), json!(true)),
            ("FAILURE".to_owned(), json!(429), json!(2), json!(true)),
            ("SUCCESS".to_owned(), Value::Null, Value::Null, Value::Null),
        ],
        "{events:#?}"
    );

    // 401: no retry, a task at once.
    *proxy.faults.lock().unwrap() = vec![Fault::Unauthorized];
    let (status, uma) = api
        .post(
            "/api/v1/users?activate=true",
            json!({"profile": {"login": "uma.unauth@example.com", "email": "uma.unauth@example.com",
                               "firstName": "Uma", "lastName": "Unauth"}}),
        )
        .await;
    assert_eq!(status, 200, "{uma}");
    let uma_id = uma["id"].as_str().unwrap();
    let started = Instant::now();
    let (status, _) = api
        .post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({"id": uma_id, "scope": "USER"}),
        )
        .await;
    assert_eq!(status, 200);
    let au = wait_settled(&api, &app_id, uma_id, Duration::from_secs(30)).await;
    assert_eq!(au["syncState"], "ERROR", "{au}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let (_, tasks) = api
        .get(&format!("/api/v1/tasks?userId={uma_id}&status=OPEN"))
        .await;
    let tasks = tasks.as_array().unwrap().clone();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["attempts"], 1, "{:?}", tasks[0]);
    // Nothing retries it behind the task's back.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let uma_creates = proxy
        .creates
        .lock()
        .unwrap()
        .iter()
        .filter(|(l, _, _)| l == "uma.unauth@example.com")
        .count();
    assert_eq!(uma_creates, 1);
    let events = user_events(&api, uma_id).await;
    assert_eq!(events.len(), 1, "{events:#?}");
    let d = &events[0]["debugContext"]["debugData"];
    assert_eq!(d["TargetStatus"], 401, "{d}");
    assert_eq!(d["willRetry"], false, "{d}");
    assert_eq!(d["taskId"], tasks[0]["id"], "{d}");
    let (status, _) = hub_api.get("/api/v1/users/uma.unauth@example.com").await;
    assert_eq!(status, 404);
    assert!(!spoke.stderr().contains(&hub_token));
}

/// A target that misbehaves in every way a network can: a 500, a 200 that is not JSON, a
/// connection that breaks mid-answer, an answer slower than the timeout (which the hub still
/// carries out). Each is retried with backoff, and the slow create is found and linked on the
/// next attempt, so the user exists once; a target that keeps failing past the attempt budget
/// opens one task naming the fault.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misbehaving_target_is_retried_and_its_fault_named_in_a_task() {
    let (hub, hub_token) = start_hub();
    let hub_api = Api::new(&hub.url, &hub_token);
    let (proxy_url, proxy) = start_proxy(&hub.url).await;
    let spoke_token = random_token();
    let spoke = Server::start(Options {
        bootstrap_token: Some(spoke_token.clone()),
        env: quiet_env(&[
            ("ROSTER_TARGET_TIMEOUT_SECONDS", "1"),
            ("ROSTER_PROVISIONING_BACKOFF_MS", "200"),
            ("ROSTER_PROVISIONING_MAX_ATTEMPTS", "5"),
        ]),
        ..Options::default()
    });
    let api = Api::new(&spoke.url, &spoke_token);
    let app_id = org2org_app(&api, &proxy_url, &hub_token).await;

    let assign = |login: &'static str| {
        let api = api.clone();
        let app_id = app_id.clone();
        async move {
            let (status, user) = api
                .post(
                    "/api/v1/users?activate=true",
                    json!({"profile": {"login": login, "email": login, "firstName": "Fay", "lastName": "Ult"}}),
                )
                .await;
            assert_eq!(status, 200, "{user}");
            let id = user["id"].as_str().unwrap().to_owned();
            let (status, au) = api
                .post(
                    &format!("/api/v1/apps/{app_id}/users"),
                    json!({"id": id, "scope": "USER"}),
                )
                .await;
            assert_eq!(status, 200, "{au}");
            id
        }
    };

    // Four faults, then the hub: the fourth (slow) attempt's create reached the hub after the
    // spoke gave up, so the fifth finds the user and links it.
    *proxy.faults.lock().unwrap() = vec![
        Fault::ServerError,
        Fault::Malformed,
        Fault::Reset,
        Fault::Slow,
    ];
    let fay = assign("fay.faults@example.com").await;
    let au = wait_settled(&api, &app_id, &fay, Duration::from_secs(60)).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    let (status, on_hub) = hub_api.get("/api/v1/users/fay.faults@example.com").await;
    assert_eq!(status, 200, "{on_hub}");
    assert_eq!(
        au["externalId"], on_hub["id"],
        "linked to the user the slow create made"
    );
    let (_, all) = hub_api.get("/api/v1/users?q=fay.faults").await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    let creates: Vec<u16> = proxy
        .creates
        .lock()
        .unwrap()
        .iter()
        .filter(|(l, _, _)| l == "fay.faults@example.com")
        .map(|c| c.2)
        .collect();
    assert_eq!(
        creates,
        vec![500, 200, 0, 1],
        "the fifth attempt created nothing"
    );
    let mut events = user_events(&api, &fay).await;
    events.sort_by(|a, b| a["published"].as_str().cmp(&b["published"].as_str()));
    let said: Vec<String> = events
        .iter()
        .filter(|e| e["outcome"]["result"] == "FAILURE")
        .map(|e| {
            e["outcome"]["reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(said.len(), 4, "{events:#?}");
    for (reason, what) in said.iter().zip([
        "Internal Server Error",
        "not JSON",
        "connection broke",
        "timeout",
    ]) {
        assert!(reason.contains(what), "{reason:?} should name {what:?}");
    }
    let (_, tasks) = api.get(&format!("/api/v1/tasks?userId={fay}")).await;
    assert_eq!(tasks.as_array().unwrap().len(), 0, "{tasks}");

    // A target that keeps answering 500: five attempts with backoff, then one task that says so.
    *proxy.faults.lock().unwrap() = vec![Fault::ServerError; 6];
    let gus = assign("gus.gives.up@example.com").await;
    let au = wait_settled(&api, &app_id, &gus, Duration::from_secs(60)).await;
    assert_eq!(au["syncState"], "ERROR", "{au}");
    let (_, tasks) = api
        .get(&format!("/api/v1/tasks?userId={gus}&status=OPEN"))
        .await;
    let tasks = tasks.as_array().unwrap().clone();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["attempts"], 5, "{:?}", tasks[0]);
    let error = &tasks[0]["lastError"];
    assert_eq!(error["targetStatus"], 500, "{error}");
    assert!(
        error["summary"]
            .as_str()
            .unwrap()
            .contains("Internal Server Error"),
        "{error}"
    );
    assert!(error["remediation"].is_string(), "{error}");
}
