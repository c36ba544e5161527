//! Push provisioning to a third-party SCIM 2.0 service provider: PyPI `scim2-server`
//! (installed into target/test-venv by scripts/test-tools.sh), not another Roster. A spoke's
//! `scim2` app creates the user on assignment, pushes profile updates with PUT and deactivates
//! it with `active=false`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{random_token, test_python, Options, Server};

/// A running `scim2-server`, killed on drop.
struct Scim2Server {
    child: Child,
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Drop for Scim2Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Scim2Server {
    async fn start() -> Scim2Server {
        let bin = test_python().with_file_name("scim2-server");
        assert!(
            bin.exists(),
            "no scim2-server at {}; run `bash scripts/test-tools.sh`",
            bin.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let token = random_token();
        let child = Command::new(bin)
            .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
            .args(["--bearer-token", &token])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = Scim2Server {
            child,
            base: format!("http://127.0.0.1:{port}/v2"),
            token,
            http: reqwest::Client::new(),
        };
        let start = Instant::now();
        loop {
            let up = server
                .http
                .get(format!("{}/ServiceProviderConfig", server.base))
                .bearer_auth(&server.token)
                .send()
                .await
                .map(|r| r.status().is_success())
                .unwrap_or(false);
            if up {
                return server;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "scim2-server did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Poll `/Users/{id}` until `check` holds.
    async fn user_until(&self, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let (status, user) = self.get(&format!("/Users/{id}")).await;
            assert_eq!(status, 200, "{user}");
            if check(&user) {
                return user;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "scim2-server's user never got {what}: {user}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

struct Spoke {
    server: Server,
    token: String,
}

impl Spoke {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .request(method, format!("{}{path}", self.server.url))
            .header("Authorization", format!("SSWS {}", self.token));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, None).await
    }

    async fn settled(&self, app_id: &str, user_id: &str) -> Value {
        let start = Instant::now();
        loop {
            let (_, au) = self
                .get(&format!("/api/v1/apps/{app_id}/users/{user_id}"))
                .await;
            if au["syncState"] != "SYNCING" {
                return au;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "still SYNCING: {au}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn scim2_server_receives_created_updated_and_deactivated_users() {
    let target = Scim2Server::start().await;
    let spoke_token = random_token();
    let spoke = Spoke {
        server: Server::start(Options {
            bootstrap_token: Some(spoke_token.clone()),
            ..Options::default()
        }),
        token: spoke_token,
    };

    let (status, app) = spoke
        .post(
            "/api/v1/apps",
            json!({"name": "scim2", "label": "scim2-server", "settings": {"app": {"baseUrl": target.base}}}),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (status, conn) = spoke
        .post(
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            json!({"profile": {"authScheme": "TOKEN", "token": target.token}}),
        )
        .await;
    assert_eq!(status, 200, "{conn}");
    let (status, feature) = spoke
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            Some(json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                        "update": {"profile": {"status": "ENABLED"},
                                   "lifecycleDeactivate": {"status": "ENABLED"},
                                   "password": {"status": "DISABLED"}}})),
        )
        .await;
    assert_eq!(status, 200, "{feature}");

    // Create on assignment.
    let login = "kai.third@example.com";
    let (status, kai) = spoke
        .post(
            "/api/v1/users?activate=true",
            json!({"profile": {"login": login, "email": login, "firstName": "Kai", "lastName": "Third"}}),
        )
        .await;
    assert_eq!(status, 200, "{kai}");
    let kai_id = kai["id"].as_str().unwrap().to_owned();
    let (status, au) = spoke
        .post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({"id": kai_id, "scope": "USER"}),
        )
        .await;
    assert_eq!(status, 200, "{au}");
    let au = spoke.settled(&app_id, &kai_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(au["status"], "PROVISIONED", "{au}");
    let remote_id = au["externalId"].as_str().unwrap().to_owned();
    let (status, remote) = target.get(&format!("/Users/{remote_id}")).await;
    assert_eq!(status, 200, "{remote}");
    assert_eq!(remote["userName"], login, "{remote}");
    assert_eq!(remote["name"]["givenName"], "Kai", "{remote}");
    assert_eq!(remote["name"]["familyName"], "Third", "{remote}");
    assert_eq!(remote["active"], true, "{remote}");
    let (_, list) = target.get("/Users").await;
    assert_eq!(list["totalResults"], 1, "{list}");

    // A profile update reaches the target.
    let (status, updated) = spoke
        .post(
            &format!("/api/v1/users/{kai_id}"),
            json!({"profile": {"firstName": "Kairos", "lastName": "Third"}}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let remote = target
        .user_until(&remote_id, "the new givenName", |u| {
            u["name"]["givenName"] == "Kairos"
        })
        .await;
    assert_eq!(remote["userName"], login, "{remote}");
    let au = spoke.settled(&app_id, &kai_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");

    // Deactivating the user deactivates it on the target: active=false, not deleted.
    let (status, body) = spoke
        .post(
            &format!("/api/v1/users/{kai_id}/lifecycle/deactivate"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    target
        .user_until(&remote_id, "active=false", |u| u["active"] == false)
        .await;
    let (_, list) = target.get("/Users").await;
    assert_eq!(list["totalResults"], 1, "{list}");
    let (status, tasks) = spoke.get("/api/v1/tasks?status=OPEN").await;
    assert_eq!(status, 200, "{tasks}");
    assert_eq!(tasks.as_array().unwrap().len(), 0, "{tasks}");

    // Reactivated for the Group Push below.
    let (status, body) = spoke
        .post(
            &format!("/api/v1/users/{kai_id}/lifecycle/activate?sendEmail=false"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    target
        .user_until(&remote_id, "active=true", |u| u["active"] == true)
        .await;

    // Group Push: the group is created on scim2-server with the provisioned members, follows a
    // new member, a removed member and a rename.
    let lee_login = "lee.third@example.com";
    let (status, lee) = spoke
        .post(
            "/api/v1/users?activate=true",
            json!({"profile": {"login": lee_login, "email": lee_login, "firstName": "Lee", "lastName": "Third"}}),
        )
        .await;
    assert_eq!(status, 200, "{lee}");
    let lee_id = lee["id"].as_str().unwrap().to_owned();
    spoke
        .post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({"id": lee_id}),
        )
        .await;
    let lee_au = spoke.settled(&app_id, &lee_id).await;
    let lee_remote = lee_au["externalId"].as_str().unwrap().to_owned();
    let (status, group) = spoke
        .post(
            "/api/v1/groups",
            json!({"profile": {"name": "Thirds", "description": "pushed"}}),
        )
        .await;
    assert_eq!(status, 200, "{group}");
    let group_id = group["id"].as_str().unwrap().to_owned();
    let (status, _) = spoke
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{group_id}/users/{kai_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, mapping) = spoke
        .post(
            &format!("/api/v1/apps/{app_id}/group-push/mappings"),
            json!({"sourceGroupId": group_id, "targetGroupName": "Thirds"}),
        )
        .await;
    assert_eq!(status, 200, "{mapping}");
    let mapping_path = format!(
        "/api/v1/apps/{app_id}/group-push/mappings/{}",
        mapping["id"].as_str().unwrap()
    );
    let members = |g: &Value| -> Vec<String> {
        let mut m: Vec<String> = g["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v["value"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        m.sort();
        m
    };
    let mut target_group = String::new();
    for _ in 0..200 {
        let (_, m) = spoke.get(&mapping_path).await;
        if let Some(id) = m["targetGroupId"]
            .as_str()
            .filter(|_| !m["lastPush"].is_null())
        {
            target_group = id.to_owned();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!target_group.is_empty(), "the mapping never pushed");
    let group_until = |what: &'static str, check: Box<dyn Fn(&Value) -> bool>| {
        let target = &target;
        let path = format!("/Groups/{target_group}");
        async move {
            let mut g = Value::Null;
            for _ in 0..200 {
                let (status, body) = target.get(&path).await;
                g = body;
                if status == 200 && check(&g) {
                    return g;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("scim2-server's group never got {what}: {g}");
        }
    };
    let kai_only = vec![remote_id.clone()];
    let g = group_until(
        "Kai as its member",
        Box::new(move |g| members(g) == kai_only),
    )
    .await;
    assert_eq!(g["displayName"], "Thirds", "{g}");
    spoke
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{group_id}/users/{lee_id}"),
            None,
        )
        .await;
    spoke
        .call(
            reqwest::Method::DELETE,
            &format!("/api/v1/groups/{group_id}/users/{kai_id}"),
            None,
        )
        .await;
    let lee_only = vec![lee_remote.clone()];
    group_until("Lee alone", Box::new(move |g| members(g) == lee_only)).await;
    spoke
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{group_id}"),
            Some(json!({"profile": {"name": "Third Team"}})),
        )
        .await;
    group_until(
        "the new name",
        Box::new(|g| g["displayName"] == "Third Team"),
    )
    .await;
    // Deactivating Lee takes Lee out of the pushed group too.
    let (status, body) = spoke
        .post(
            &format!("/api/v1/users/{lee_id}/lifecycle/deactivate"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    group_until(
        "no members after Lee's deactivation",
        Box::new(move |g| members(g).is_empty()),
    )
    .await;
    let (status, tasks) = spoke.get("/api/v1/tasks?status=OPEN").await;
    assert_eq!(status, 200, "{tasks}");
    assert_eq!(tasks.as_array().unwrap().len(), 0, "{tasks}");
}
