//! Story 1 end to end: Org2Org password sync between two real `roster serve` processes, a hub
//! with a strict password policy and a spoke whose `okta_org2org` app pushes users and their
//! passwords to it (seeds 000 and 001).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{all_bytes_under, contains, random_token, Options, PgDatabase, Server};

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

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
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
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Change the default password policy's complexity and age.
    async fn set_default_policy(&self, complexity: Value, min_age_minutes: u32) {
        let (status, policies) = self.get("/api/v1/policies?type=PASSWORD").await;
        assert_eq!(status, 200, "{policies}");
        let mut policy = policies
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["system"] == true || p["name"] == "Default Policy")
            .cloned()
            .unwrap_or_else(|| policies[0].clone());
        let id = policy["id"].as_str().unwrap().to_owned();
        for (k, v) in complexity.as_object().unwrap() {
            policy["settings"]["password"]["complexity"][k] = v.clone();
        }
        policy["settings"]["password"]["age"]["minAgeMinutes"] = json!(min_age_minutes);
        if let Some(obj) = policy.as_object_mut() {
            obj.remove("_links");
        }
        let (status, body) = self.put(&format!("/api/v1/policies/{id}"), policy).await;
        assert_eq!(status, 200, "{body}");
    }

    async fn create_user(&self, login: &str, first: &str, password: Option<&str>) -> Value {
        let mut body = json!({
            "profile": {
                "login": login,
                "email": login,
                "firstName": first,
                "lastName": "Example",
            }
        });
        if let Some(p) = password {
            body["credentials"] = json!({ "password": { "value": p } });
        }
        let (status, user) = self.post("/api/v1/users?activate=true", body).await;
        assert_eq!(status, 200, "{user}");
        user
    }

    async fn authn(&self, login: &str, password: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/api/v1/authn", self.url))
            .json(&json!({ "username": login, "password": password }))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Poll the app user until its syncState leaves SYNCING.
    async fn settled_app_user(&self, app_id: &str, user_id: &str) -> Value {
        for _ in 0..200 {
            let (status, au) = self
                .get(&format!("/api/v1/apps/{app_id}/users/{user_id}"))
                .await;
            assert_eq!(status, 200, "{au}");
            if au["syncState"] != "SYNCING" {
                return au;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("app user {user_id} still SYNCING after 20s");
    }
}

struct Story {
    hub: Server,
    spoke: Server,
    hub_api: Api,
    spoke_api: Api,
    hub_token: String,
    app_id: String,
}

/// A 32-byte master key, base64, for a spoke that takes it from `ROSTER_MASTER_KEY`.
const MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

async fn story(spoke_database_url: Option<String>) -> Story {
    let hub_token = random_token();
    let spoke_token = random_token();
    let hub = Server::start(Options {
        bootstrap_token: Some(hub_token.clone()),
        ..Options::default()
    });
    let env = match &spoke_database_url {
        Some(_) => vec![("ROSTER_MASTER_KEY".to_owned(), MASTER_KEY.to_owned())],
        None => Vec::new(),
    };
    let spoke = Server::start(Options {
        bootstrap_token: Some(spoke_token.clone()),
        database_url: spoke_database_url,
        env,
        ..Options::default()
    });
    let hub_api = Api::new(&hub, &hub_token);
    let spoke_api = Api::new(&spoke, &spoke_token);

    // The hub's strict policy (seed 000); the spoke's lenient one.
    hub_api
        .set_default_policy(
            json!({"minLength": 10, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 1, "excludeUsername": true}),
            1440,
        )
        .await;
    spoke_api
        .set_default_policy(
            json!({"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": 1, "minSymbol": 0, "excludeUsername": true}),
            0,
        )
        .await;

    let (status, app) = spoke_api
        .post(
            "/api/v1/apps",
            json!({"name": "okta_org2org", "label": "Hub org", "signOnMode": "SAML_2_0",
                   "settings": {"app": {"baseUrl": hub.url}}}),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["status"], "ACTIVE");
    let app_id = app["id"].as_str().unwrap().to_owned();

    // A token the hub refuses is refused here, and not saved.
    let bad = "00badTokenThatTheHubDoesNotKnow";
    let (status, err) = spoke_api
        .post(
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            json!({"profile": {"authScheme": "TOKEN", "token": bad}}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["errorCode"], "E0000001");
    assert!(
        err["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .contains("the target refused the API token"),
        "{err}"
    );
    assert!(!err.to_string().contains(bad), "{err}");
    let (_, conn) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/connections/default"))
        .await;
    assert_eq!(conn["status"], "DISABLED", "{conn}");

    let (status, conn) = spoke_api
        .post(
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            json!({"profile": {"authScheme": "TOKEN", "token": hub_token}}),
        )
        .await;
    assert_eq!(status, 200, "{conn}");
    assert_eq!(conn["status"], "ENABLED");
    assert!(!conn.to_string().contains(&hub_token));

    let (status, feature) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                   "update": {"profile": {"status": "ENABLED"},
                              "lifecycleDeactivate": {"status": "ENABLED"},
                              "password": {"status": "ENABLED", "seed": "OKTA", "change": "CHANGE"}}}),
        )
        .await;
    assert_eq!(status, 200, "{feature}");
    assert_eq!(feature["status"], "ENABLED");
    assert_eq!(
        feature["capabilities"]["update"]["password"]["seed"],
        "OKTA"
    );

    Story {
        hub,
        spoke,
        hub_api,
        spoke_api,
        hub_token,
        app_id,
    }
}

async fn assign(s: &Story, user_id: &str) -> Value {
    let (status, au) = s
        .spoke_api
        .post(
            &format!("/api/v1/apps/{}/users", s.app_id),
            json!({"id": user_id, "scope": "USER"}),
        )
        .await;
    assert_eq!(status, 200, "{au}");
    s.spoke_api.settled_app_user(&s.app_id, user_id).await
}

async fn open_task(s: &Story, user_id: &str) -> Value {
    let (status, tasks) = s
        .spoke_api
        .get(&format!(
            "/api/v1/tasks?appId={}&userId={user_id}&status=OPEN",
            s.app_id
        ))
        .await;
    assert_eq!(status, 200, "{tasks}");
    assert_eq!(tasks.as_array().unwrap().len(), 1, "{tasks}");
    tasks[0].clone()
}

#[tokio::test]
async fn org2org_password_sync_story() {
    run_story(story(None).await, true).await;
}

#[tokio::test]
async fn org2org_password_sync_story_with_the_spoke_on_postgresql() {
    let db = PgDatabase::create().await;
    run_story(story(Some(db.url.clone())).await, false).await;
    db.drop_db().await;
}

/// The story; `key_file`: the spoke keeps its master key in a file in its data dir (else it
/// has it from `ROSTER_MASTER_KEY` and writes nothing there).
async fn run_story(s: Story, key_file: bool) {
    let mut passwords = Vec::new();

    // 1. A good password syncs at assignment and works on the hub.
    let good = "Tr1cky-Horse!staple";
    passwords.push(good);
    let ann = s
        .spoke_api
        .create_user("ann.good@example.com", "Ann", Some(good))
        .await;
    let ann_id = ann["id"].as_str().unwrap();
    let au = assign(&s, ann_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(au["status"], "PROVISIONED", "{au}");
    assert!(au["externalId"].is_string(), "{au}");
    let (status, authn) = s.hub_api.authn("ann.good@example.com", good).await;
    assert_eq!(status, 200, "{authn}");
    assert_eq!(authn["status"], "SUCCESS", "{authn}");

    // 2. A password the hub's policy refuses fails with the hub's requirements.
    let weak = "Weakpass12";
    passwords.push(weak);
    let bob = s
        .spoke_api
        .create_user("bob.smith@example.com", "Bob", Some(weak))
        .await;
    let bob_id = bob["id"].as_str().unwrap();
    let au = assign(&s, bob_id).await;
    assert_eq!(au["syncState"], "ERROR", "{au}");
    let task = open_task(&s, bob_id).await;
    let err = &task["lastError"];
    assert_eq!(err["code"], "provisioning.password_rejected", "{task}");
    assert_eq!(err["targetStatus"], 400, "{task}");
    assert_eq!(err["targetErrorCode"], "E0000001", "{task}");
    let summary = err["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("create user bob.smith@example.com with a password on http://"),
        "{summary}"
    );
    assert!(
        summary.contains(
            ": Api validation failed: password (password: Password requirements were not met. Password requirements: at least 10 characters,"
        ),
        "{summary}"
    );
    assert!(summary.contains("a symbol"), "{summary}");
    assert!(au["_links"]["task"]["href"]
        .as_str()
        .unwrap()
        .ends_with(task["id"].as_str().unwrap()));
    let (status, logs) = s
        .spoke_api
        .get("/api/v1/logs?filter=eventType%20eq%20%22application.provision.user.push_password%22%20and%20outcome.result%20eq%20%22FAILURE%22")
        .await;
    assert_eq!(status, 200, "{logs}");
    let event = logs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["debugContext"]["debugData"]["ErrorCode"] == "provisioning.password_rejected")
        .unwrap_or_else(|| panic!("no failure event for bob: {logs}"));
    assert_eq!(
        event["debugContext"]["debugData"]["TargetErrorCode"],
        "E0000001"
    );
    assert_eq!(event["debugContext"]["debugData"]["ErrorField"], "password");
    assert!(event["outcome"]["reason"]
        .as_str()
        .unwrap()
        .contains("Password requirements were not met"));

    // Retrying the app's open tasks in bulk pushes again; the hub still refuses, the task reopens.
    let (status, retried) = s
        .spoke_api
        .post(
            &format!("/api/v1/tasks/retry?appId={}", s.app_id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried.as_array().unwrap().len(), 1, "{retried}");
    assert_eq!(retried[0]["status"], "RETRYING", "{retried}");
    assert_eq!(
        s.spoke_api.settled_app_user(&s.app_id, bob_id).await["syncState"],
        "ERROR"
    );
    let again = open_task(&s, bob_id).await;
    assert_eq!(again["id"], task["id"], "the same task reopens");
    assert_eq!(again["attempts"], 2, "{again}");

    // 3. A pre-existing FEDERATION hub user cannot receive a password (seed 001).
    let (status, hub_carol) = s
        .hub_api
        .post(
            "/api/v1/users?provider=true&activate=true",
            json!({"profile": {"login": "carol.fed@example.com", "email": "carol.fed@example.com",
                               "firstName": "Carol", "lastName": "Example"}}),
        )
        .await;
    assert_eq!(status, 200, "{hub_carol}");
    assert_eq!(hub_carol["credentials"]["provider"]["type"], "FEDERATION");
    let hub_carol_id = hub_carol["id"].as_str().unwrap();
    let carol_pw = "Sp0ke-Sings!tonight";
    passwords.push(carol_pw);
    let carol = s
        .spoke_api
        .create_user("carol.fed@example.com", "Carol", Some(carol_pw))
        .await;
    let carol_id = carol["id"].as_str().unwrap();
    let au = assign(&s, carol_id).await;
    assert_eq!(au["syncState"], "ERROR", "{au}");
    let task = open_task(&s, carol_id).await;
    let err = &task["lastError"];
    assert_eq!(err["code"], "provisioning.federated_user", "{task}");
    assert!(
        err["cause"]
            .as_str()
            .unwrap()
            .contains("the hub user's credentials come from an identity provider"),
        "{task}"
    );
    let remediation = err["remediation"].as_str().unwrap();
    assert!(
        remediation.contains(&format!(
            "POST /api/v1/users/{hub_carol_id}/lifecycle/reset_password"
        )),
        "{remediation}"
    );
    assert!(remediation.contains("re-provision"), "{remediation}");
    assert!(remediation.contains("password sync off"), "{remediation}");
    let (status, logs) = s
        .spoke_api
        .get("/api/v1/logs?filter=eventType%20eq%20%22application.provision.user.push_password%22")
        .await;
    assert_eq!(status, 200, "{logs}");
    assert!(
        logs.as_array()
            .unwrap()
            .iter()
            .any(|e| e["outcome"]["result"] == "FAILURE"
                && e["debugContext"]["debugData"]["ErrorCode"] == "provisioning.federated_user"),
        "{logs}"
    );

    // The fix from the seed: reset_password with provider OKTA on the hub, retry on the spoke.
    let (status, reset) = s
        .hub_api
        .post(
            &format!("/api/v1/users/{hub_carol_id}/lifecycle/reset_password?sendEmail=false"),
            json!({"credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}}),
        )
        .await;
    assert_eq!(status, 200, "{reset}");
    assert!(reset["resetPasswordUrl"].is_string(), "{reset}");
    let task_id = task["id"].as_str().unwrap();
    let (status, retried) = s
        .spoke_api
        .post(&format!("/api/v1/tasks/{task_id}/retry"), json!({}))
        .await;
    assert_eq!(status, 200, "{retried}");
    let au = s.spoke_api.settled_app_user(&s.app_id, carol_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(au["externalId"], hub_carol_id, "{au}");
    let (_, task) = s.spoke_api.get(&format!("/api/v1/tasks/{task_id}")).await;
    assert_eq!(task["status"], "DONE", "{task}");
    let (status, authn) = s.hub_api.authn("carol.fed@example.com", carol_pw).await;
    assert_eq!(status, 200, "{authn}");
    assert_eq!(authn["status"], "SUCCESS", "{authn}");

    // The other fix from the seeds: re-provisioning (unassign, delete the hub user, assign again).
    let (status, hub_dan) = s
        .hub_api
        .post(
            "/api/v1/users?provider=true&activate=true",
            json!({"profile": {"login": "dan.fed@example.com", "email": "dan.fed@example.com",
                               "firstName": "Dan", "lastName": "Example"}}),
        )
        .await;
    assert_eq!(status, 200, "{hub_dan}");
    let hub_dan_id = hub_dan["id"].as_str().unwrap();
    let dan_pw = "Rivers-Run!d33p";
    passwords.push(dan_pw);
    let dan = s
        .spoke_api
        .create_user("dan.fed@example.com", "Dan", Some(dan_pw))
        .await;
    let dan_id = dan["id"].as_str().unwrap();
    assert_eq!(assign(&s, dan_id).await["syncState"], "ERROR");
    let dan_task = open_task(&s, dan_id).await;
    let (status, _) = s
        .spoke_api
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/apps/{}/users/{dan_id}", s.app_id),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, dismissed) = s
        .spoke_api
        .get(&format!(
            "/api/v1/tasks/{}",
            dan_task["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(dismissed["status"], "DISMISSED", "{dismissed}");
    // The unassignment deactivates the hub user (the app deactivates on unassignment, and the
    // failed push had reached the hub); the administrator then deletes it.
    let mut hub_dan = Value::Null;
    for _ in 0..400 {
        hub_dan = s
            .hub_api
            .get(&format!("/api/v1/users/{hub_dan_id}"))
            .await
            .1;
        if hub_dan["status"] == "DEPROVISIONED" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        hub_dan["status"], "DEPROVISIONED",
        "the unassignment deactivates the hub user: {hub_dan}"
    );
    let (status, body) = s
        .hub_api
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{hub_dan_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = s.hub_api.get(&format!("/api/v1/users/{hub_dan_id}")).await;
    assert_eq!(status, 404, "the hub user is deleted");
    let au = assign(&s, dan_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_ne!(au["externalId"], hub_dan_id, "a new hub user: {au}");
    let (status, authn) = s.hub_api.authn("dan.fed@example.com", dan_pw).await;
    assert_eq!(status, 200, "{authn}");
    assert_eq!(authn["status"], "SUCCESS", "{authn}");

    // No secret anywhere: not in either server's log, nor in any task or event, nor in clear
    // in the spoke's database.
    let (_, all_tasks) = s.spoke_api.get("/api/v1/tasks").await;
    let (_, spoke_logs) = s.spoke_api.get("/api/v1/logs?limit=1000").await;
    let (_, hub_logs) = s.hub_api.get("/api/v1/logs?limit=1000").await;
    let spoke_bytes = all_bytes_under(&s.spoke.data_dir);
    let key_path = s.spoke.data_dir.join("master.key");
    assert_eq!(
        key_path.exists(),
        key_file,
        "where the spoke keeps its master key"
    );
    #[cfg(unix)]
    if key_file {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is private");
    }
    for secret in passwords
        .iter()
        .copied()
        .chain([s.hub_token.as_str(), MASTER_KEY])
    {
        assert!(
            !s.spoke.stderr().contains(secret),
            "spoke log holds a secret"
        );
        assert!(!s.hub.stderr().contains(secret), "hub log holds a secret");
        assert!(
            !all_tasks.to_string().contains(secret),
            "a task holds a secret"
        );
        assert!(
            !spoke_logs.to_string().contains(secret),
            "a spoke event holds a secret"
        );
        assert!(
            !hub_logs.to_string().contains(secret),
            "a hub event holds a secret"
        );
        assert!(
            !contains(&spoke_bytes, secret),
            "the spoke's data dir holds a secret in clear"
        );
    }
}
