//! Group Push end to end (issue #5, seed 003): two real `roster serve` processes, a hub and a
//! spoke whose `okta_org2org` app provisions users to it and pushes a group: the hub group is
//! created with exactly the provisioned members, follows membership changes and renames, a
//! failure becomes a Task naming the mapping, and provisioning cannot be turned off under live
//! mappings unless they are deactivated in the same change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use support::{random_token, Options, Server};

struct Api {
    url: String,
    auth: String,
    http: reqwest::Client,
}

impl Api {
    fn new(server: &Server, token: &str) -> Api {
        Api {
            url: server.url.clone(),
            auth: format!("SSWS {token}"),
            http: reqwest::Client::new(),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("Authorization", &self.auth)
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.send(method.clone(), path, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }

    async fn create_user(&self, login: &str) -> String {
        let body = json!({ "profile": {
            "login": login, "email": login, "firstName": login.split('@').next().unwrap(), "lastName": "Example"
        }});
        let user = self
            .ok(Method::POST, "/api/v1/users?activate=true", Some(body))
            .await;
        user["id"].as_str().unwrap().to_owned()
    }

    async fn create_group(&self, name: &str) -> String {
        let g = self
            .ok(
                Method::POST,
                "/api/v1/groups",
                Some(json!({ "profile": { "name": name } })),
            )
            .await;
        g["id"].as_str().unwrap().to_owned()
    }

    /// Assign and wait until the user is provisioned; returns its hub id (the externalId).
    async fn provision(&self, app_id: &str, user_id: &str) -> String {
        self.ok(
            Method::POST,
            &format!("/api/v1/apps/{app_id}/users"),
            Some(json!({ "id": user_id, "scope": "USER" })),
        )
        .await;
        for _ in 0..200 {
            let au = self
                .ok(
                    Method::GET,
                    &format!("/api/v1/apps/{app_id}/users/{user_id}"),
                    None,
                )
                .await;
            if au["syncState"] == "SYNCHRONIZED" {
                return au["externalId"].as_str().unwrap().to_owned();
            }
            assert_ne!(au["syncState"], "ERROR", "{au}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("user {user_id} was not provisioned within 20s");
    }

    /// Poll a mapping until `done` holds for it.
    async fn mapping_until(&self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..200 {
            last = self.ok(Method::GET, path, None).await;
            if done(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("mapping never {what}: {last}");
    }
}

/// The hub group's members' ids, or `None` when the group does not exist.
async fn hub_members(hub: &Api, group_id: &str) -> Option<BTreeSet<String>> {
    let (status, users) = hub
        .get(&format!("/api/v1/groups/{group_id}/users?limit=200"))
        .await;
    if status == 404 {
        return None;
    }
    assert_eq!(status, 200, "{users}");
    Some(
        users
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect(),
    )
}

async fn hub_members_until(hub: &Api, group_id: &str, want: &[&str]) {
    let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
    let mut last = None;
    for _ in 0..200 {
        last = hub_members(hub, group_id).await;
        if last.as_ref() == Some(&want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("hub group {group_id} members {last:?}, want {want:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_push_to_a_hub_follows_members_renames_failures_and_prevention() {
    let hub_admin = random_token();
    let spoke_admin = random_token();
    let hub = Server::start(Options {
        bootstrap_token: Some(hub_admin.clone()),
        ..Options::default()
    });
    let spoke = Server::start(Options {
        bootstrap_token: Some(spoke_admin.clone()),
        ..Options::default()
    });
    let hub_api = Api::new(&hub, &hub_admin);
    let spoke_api = Api::new(&spoke, &spoke_admin);

    // The spoke's app, with a revocable hub token as its connection.
    let connection_token = hub.create_token("spoke-connection", "SUPER_ADMIN");
    let app = spoke_api
        .ok(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "okta_org2org", "label": "Hub org",
                        "settings": {"app": {"baseUrl": hub.url}}})),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    spoke_api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            Some(json!({"profile": {"authScheme": "TOKEN", "token": connection_token}})),
        )
        .await;
    let features = json!({"capabilities": {
        "create": {"lifecycleCreate": {"status": "ENABLED"}},
        "update": {"profile": {"status": "ENABLED"}, "password": {"status": "DISABLED"}}
    }});
    let features_path = format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING");
    spoke_api
        .ok(Method::PUT, &features_path, Some(features.clone()))
        .await;

    // Alice and Bob are assigned and provisioned; Carol is in the group but not assigned.
    let alice = spoke_api.create_user("alice@example.com").await;
    let bob = spoke_api.create_user("bob@example.com").await;
    let carol = spoke_api.create_user("carol@example.com").await;
    let alice_hub = spoke_api.provision(&app_id, &alice).await;
    let bob_hub = spoke_api.provision(&app_id, &bob).await;
    let eng = spoke_api.create_group("Engineering").await;
    for u in [&alice, &carol] {
        spoke_api
            .ok(
                Method::PUT,
                &format!("/api/v1/groups/{eng}/users/{u}"),
                None,
            )
            .await;
    }

    // A mapping by name creates the hub group with exactly the provisioned members.
    let mappings = format!("/api/v1/apps/{app_id}/group-push/mappings");
    let (status, err) = spoke_api
        .post(&mappings, json!({"targetGroupName": "Engineering"}))
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(
        err["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("sourceGroupId"),
        "{err}"
    );
    assert!(
        !err["remediation"].as_str().unwrap_or_default().is_empty(),
        "{err}"
    );
    let m = spoke_api
        .ok(
            Method::POST,
            &mappings,
            Some(json!({"sourceGroupId": eng, "targetGroupName": "Engineering"})),
        )
        .await;
    assert_eq!(m["status"], "ACTIVE", "{m}");
    assert_eq!(m["sourceGroupId"], eng.as_str());
    let mapping_id = m["id"].as_str().unwrap().to_owned();
    let mapping_path = format!("{mappings}/{mapping_id}");
    let m = spoke_api
        .mapping_until(&mapping_path, "pushed", |m| !m["lastPush"].is_null())
        .await;
    assert!(m["errorSummary"].is_null(), "{m}");
    let hub_group = m["targetGroupId"].as_str().unwrap().to_owned();
    let g = hub_api
        .ok(Method::GET, &format!("/api/v1/groups/{hub_group}"), None)
        .await;
    assert_eq!(g["profile"]["name"], "Engineering");
    hub_members_until(&hub_api, &hub_group, &[&alice_hub]).await;
    let listed = spoke_api.ok(Method::GET, &mappings, None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], mapping_id.as_str());

    // Membership changes follow.
    spoke_api
        .ok(
            Method::PUT,
            &format!("/api/v1/groups/{eng}/users/{bob}"),
            None,
        )
        .await;
    hub_members_until(&hub_api, &hub_group, &[&alice_hub, &bob_hub]).await;
    spoke_api
        .ok(
            Method::DELETE,
            &format!("/api/v1/groups/{eng}/users/{alice}"),
            None,
        )
        .await;
    hub_members_until(&hub_api, &hub_group, &[&bob_hub]).await;

    // A rename follows.
    spoke_api
        .ok(
            Method::PUT,
            &format!("/api/v1/groups/{eng}"),
            Some(json!({"profile": {"name": "Engineering Team"}})),
        )
        .await;
    let mut renamed = Value::Null;
    for _ in 0..200 {
        renamed = hub_api
            .ok(Method::GET, &format!("/api/v1/groups/{hub_group}"), None)
            .await;
        if renamed["profile"]["name"] == "Engineering Team" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(renamed["profile"]["name"], "Engineering Team", "{renamed}");

    // Subjob: provisioning Carol (already a member of the source group) pushes the group.
    let carol_hub = spoke_api.provision(&app_id, &carol).await;
    hub_members_until(&hub_api, &hub_group, &[&bob_hub, &carol_hub]).await;

    // An ACTIVE mapping cannot be deleted.
    let (status, err) = spoke_api
        .send(
            Method::DELETE,
            &format!("{mapping_path}?deleteTargetGroup=true"),
            None,
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert!(err.to_string().contains("INACTIVE"), "{err}");

    // A revoked hub token: the push fails into a task that names the app, the mapping, the
    // source group and the 401; the mapping shows the error.
    let (status, _) = reqwest::Client::new()
        .delete(format!("{}/api/v1/api-tokens/current", hub.url))
        .header("Authorization", format!("SSWS {connection_token}"))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert!(status == 204 || status == 200, "revoke: {status}");
    spoke_api
        .ok(
            Method::PUT,
            &format!("/api/v1/groups/{eng}/users/{alice}"),
            None,
        )
        .await;
    let m = spoke_api
        .mapping_until(&mapping_path, "in ERROR", |m| m["status"] == "ERROR")
        .await;
    assert!(
        m["errorSummary"]
            .as_str()
            .unwrap()
            .contains("Engineering Team"),
        "{m}"
    );
    let task_href = m["_links"]["task"]["href"].as_str().unwrap();
    let task_id = task_href.rsplit('/').next().unwrap().to_owned();
    let tasks = spoke_api
        .ok(
            Method::GET,
            &format!("/api/v1/tasks?appId={app_id}&status=OPEN"),
            None,
        )
        .await;
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task_id.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("no open task {task_id} in {tasks}"));
    assert_eq!(task["operation"], "group.push", "{task}");
    assert_eq!(task["appId"], app_id.as_str());
    assert_eq!(task["mappingId"], mapping_id.as_str());
    assert_eq!(task["groupPush"]["sourceGroupId"], eng.as_str());
    assert_eq!(task["groupPush"]["sourceGroupName"], "Engineering Team");
    assert_eq!(task["lastError"]["targetStatus"], 401, "{task}");
    assert_eq!(task["lastError"]["code"], "provisioning.unauthorized");
    assert!(!task.to_string().contains(&connection_token), "{task}");
    // The user pushes are unaffected by the failed Group Push.
    let au = spoke_api
        .ok(
            Method::GET,
            &format!("/api/v1/apps/{app_id}/users/{alice}"),
            None,
        )
        .await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");

    // A new connection token, then retrying the task puts Alice in the hub group.
    let new_token = hub.create_token("spoke-connection-2", "SUPER_ADMIN");
    spoke_api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            Some(json!({"profile": {"authScheme": "TOKEN", "token": new_token}})),
        )
        .await;
    spoke_api
        .ok(
            Method::POST,
            &format!("/api/v1/tasks/{task_id}/retry"),
            None,
        )
        .await;
    hub_members_until(&hub_api, &hub_group, &[&alice_hub, &bob_hub, &carol_hub]).await;
    let m = spoke_api
        .mapping_until(&mapping_path, "ACTIVE again", |m| m["status"] == "ACTIVE")
        .await;
    assert!(m["errorSummary"].is_null(), "{m}");
    let task = spoke_api
        .ok(Method::GET, &format!("/api/v1/tasks/{task_id}"), None)
        .await;
    assert_eq!(task["status"], "DONE", "{task}");

    // INACTIVE, then DELETE with deleteTargetGroup=true removes the hub group.
    let m = spoke_api
        .ok(
            Method::PATCH,
            &mapping_path,
            Some(json!({"status": "INACTIVE"})),
        )
        .await;
    assert_eq!(m["status"], "INACTIVE");
    let (status, body) = spoke_api
        .send(
            Method::DELETE,
            &format!("{mapping_path}?deleteTargetGroup=true"),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = hub_api.get(&format!("/api/v1/groups/{hub_group}")).await;
    assert_eq!(status, 404);
    let (status, _) = spoke_api.get(&mapping_path).await;
    assert_eq!(status, 404);

    // Prevention (seed 003): a live mapping blocks turning provisioning off.
    let sales = spoke_api.create_group("Sales").await;
    spoke_api
        .ok(
            Method::PUT,
            &format!("/api/v1/groups/{sales}/users/{bob}"),
            None,
        )
        .await;
    let m = spoke_api
        .ok(
            Method::POST,
            &mappings,
            Some(json!({"sourceGroupId": sales, "targetGroupName": "Sales Hub"})),
        )
        .await;
    let sales_mapping = m["id"].as_str().unwrap().to_owned();
    let sales_path = format!("{mappings}/{sales_mapping}");
    let m = spoke_api
        .mapping_until(&sales_path, "pushed", |m| !m["lastPush"].is_null())
        .await;
    hub_members_until(&hub_api, m["targetGroupId"].as_str().unwrap(), &[&bob_hub]).await;

    let disabled = json!({"capabilities": {
        "create": {"lifecycleCreate": {"status": "DISABLED"}},
        "update": {"profile": {"status": "DISABLED"}, "lifecycleDeactivate": {"status": "DISABLED"},
                   "password": {"status": "DISABLED"}}
    }});
    let refusals = [
        (Method::PUT, features_path.clone(), Some(disabled.clone())),
        (
            Method::POST,
            format!("/api/v1/apps/{app_id}/connections/default/lifecycle/deactivate"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/apps/{app_id}/lifecycle/deactivate"),
            None,
        ),
    ];
    for (method, path, body) in refusals {
        let (status, err) = spoke_api.send(method.clone(), &path, body).await;
        assert_eq!(status, 400, "{method} {path}: {err}");
        let text = err.to_string();
        for needle in [
            sales_mapping.as_str(),
            "\\\"Sales\\\"",
            "\\\"Sales Hub\\\"",
            "deactivateGroupPush=true",
        ] {
            assert!(text.contains(needle), "{needle} missing in {text}");
        }
    }
    let m = spoke_api.ok(Method::GET, &sales_path, None).await;
    assert_eq!(
        m["status"], "ACTIVE",
        "a refused change changed nothing: {m}"
    );
    let f = spoke_api.ok(Method::GET, &features_path, None).await;
    assert_eq!(f["status"], "ENABLED", "{f}");

    // With deactivateGroupPush=true the change goes through and the mapping is INACTIVE.
    let f = spoke_api
        .ok(
            Method::PUT,
            &format!("{features_path}?deactivateGroupPush=true"),
            Some(disabled),
        )
        .await;
    assert_eq!(f["status"], "DISABLED", "{f}");
    let m = spoke_api.ok(Method::GET, &sales_path, None).await;
    assert_eq!(m["status"], "INACTIVE", "{m}");
    // ... and it cannot be activated while provisioning is off.
    let (status, err) = spoke_api
        .send(
            Method::PATCH,
            &sales_path,
            Some(json!({"status": "ACTIVE"})),
        )
        .await;
    assert_eq!(status, 400, "{err}");

    // The System Log has every attempt and outcome.
    let logs = spoke_api
        .ok(Method::GET, "/api/v1/logs?limit=1000", None)
        .await;
    let events = logs.as_array().unwrap();
    let of = |t: &str| -> Vec<&Value> { events.iter().filter(|e| e["eventType"] == t).collect() };
    assert!(!of("application.provision.group_push.mapping.created").is_empty());
    assert!(of("application.provision.group_push.updated").len() >= 5);
    assert!(!of("application.provision.group_push.deactivate_mapping").is_empty());
    assert!(!of("application.provision.group_push.delete_appgroup").is_empty());
    assert!(!of("application.provision.group_push.mapping.deleted").is_empty());
    let failed = of("application.provision.group_push.mapping.update.or.delete.failed.with.error");
    let failure = failed.first().unwrap_or_else(|| panic!("no failure event"));
    assert_eq!(failure["outcome"]["result"], "FAILURE", "{failure}");
    assert!(
        failure["outcome"]["reason"]
            .as_str()
            .unwrap()
            .contains("Engineering Team"),
        "{failure}"
    );
    assert_eq!(
        failure["debugContext"]["debugData"]["ErrorCode"],
        "provisioning.unauthorized"
    );
    assert_eq!(failure["debugContext"]["debugData"]["TargetStatus"], 401);
    assert!(!logs.to_string().contains(&connection_token));
    assert!(!logs.to_string().contains(&new_token));
}

/// Group Push to a SCIM 2.0 target (another Roster's `/scim/v2`): the target group is created
/// by `POST /Groups`, its members follow by `PATCH`, and a rename follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_push_to_a_scim_target_creates_the_group_and_follows_members() {
    let target_admin = random_token();
    let spoke_admin = random_token();
    let target = Server::start(Options {
        bootstrap_token: Some(target_admin.clone()),
        ..Options::default()
    });
    let spoke = Server::start(Options {
        bootstrap_token: Some(spoke_admin.clone()),
        ..Options::default()
    });
    let target_api = Api::new(&target, &target_admin);
    let spoke_api = Api::new(&spoke, &spoke_admin);
    let app = spoke_api
        .ok(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "scim2", "label": "SCIM target",
                        "settings": {"app": {"baseUrl": format!("{}/scim/v2", target.url)}}})),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    spoke_api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            Some(json!({"profile": {"authScheme": "TOKEN", "token": target_admin}})),
        )
        .await;
    spoke_api
        .ok(
            Method::PUT,
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            Some(json!({"capabilities": {
                "create": {"lifecycleCreate": {"status": "ENABLED"}},
                "update": {"profile": {"status": "ENABLED"}}
            }})),
        )
        .await;
    let dana = spoke_api.create_user("dana@example.com").await;
    let eve = spoke_api.create_user("eve@example.com").await;
    let dana_t = spoke_api.provision(&app_id, &dana).await;
    let eve_t = spoke_api.provision(&app_id, &eve).await;
    let ops = spoke_api.create_group("Ops").await;
    spoke_api
        .ok(
            Method::PUT,
            &format!("/api/v1/groups/{ops}/users/{dana}"),
            None,
        )
        .await;

    let mappings = format!("/api/v1/apps/{app_id}/group-push/mappings");
    let m = spoke_api
        .ok(Method::POST, &mappings, Some(json!({"sourceGroupId": ops})))
        .await;
    let path = format!("{mappings}/{}", m["id"].as_str().unwrap());
    let m = spoke_api
        .mapping_until(&path, "pushed", |m| !m["lastPush"].is_null())
        .await;
    assert_eq!(m["targetGroupName"], "Ops", "{m}");
    let group = m["targetGroupId"].as_str().unwrap().to_owned();
    hub_members_until(&target_api, &group, &[&dana_t]).await;

    spoke_api
        .ok(
            Method::PUT,
            &format!("/api/v1/groups/{ops}/users/{eve}"),
            None,
        )
        .await;
    spoke_api
        .ok(
            Method::DELETE,
            &format!("/api/v1/groups/{ops}/users/{dana}"),
            None,
        )
        .await;
    hub_members_until(&target_api, &group, &[&eve_t]).await;

    spoke_api
        .ok(
            Method::PUT,
            &format!("/api/v1/groups/{ops}"),
            Some(json!({"profile": {"name": "Operations"}})),
        )
        .await;
    let mut g = Value::Null;
    for _ in 0..200 {
        g = target_api
            .ok(Method::GET, &format!("/api/v1/groups/{group}"), None)
            .await;
        if g["profile"]["name"] == "Operations" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(g["profile"]["name"], "Operations", "{g}");
}
