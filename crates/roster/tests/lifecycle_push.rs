//! Lifecycle pushes and group assignments end to end (issue #5): a spoke `roster serve` pushes
//! profile updates, deactivation, reactivation and password changes to a hub `roster serve`
//! over Org2Org, and `active=false` to another Roster's `/scim/v2`; assigned groups provision
//! their members.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

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

    async fn delete(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    async fn create_user(&self, login: &str, password: &str) -> String {
        let body = json!({
            "profile": {"login": login, "email": login, "firstName": "Pat", "lastName": "Example"},
            "credentials": {"password": {"value": password}},
        });
        let (status, user) = self.post("/api/v1/users?activate=true", body).await;
        assert_eq!(status, 200, "{user}");
        user["id"].as_str().unwrap().to_owned()
    }

    async fn lifecycle(&self, user_id: &str, op: &str) {
        let (status, body) = self
            .post(
                &format!("/api/v1/users/{user_id}/lifecycle/{op}?sendEmail=false"),
                json!({}),
            )
            .await;
        assert_eq!(status, 200, "{op}: {body}");
    }

    /// Primary authentication: `SUCCESS` when the password is right, else the HTTP status.
    async fn authn(&self, login: &str, password: &str) -> String {
        let resp = self
            .http
            .post(format!("{}/api/v1/authn", self.url))
            .json(&json!({ "username": login, "password": password }))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        match body["status"].as_str() {
            Some(s) if status == 200 => s.to_owned(),
            _ => status.to_string(),
        }
    }

    /// Poll `GET path` until `ok` holds for its answer (status, body).
    async fn wait_for(&self, path: &str, what: &str, ok: impl Fn(u16, &Value) -> bool) -> Value {
        let mut last = (0, Value::Null);
        for _ in 0..300 {
            last = self.get(path).await;
            if ok(last.0, &last.1) {
                return last.1;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{what}: still not there after 30s: {} {}", last.0, last.1);
    }

    async fn wait_status(&self, login: &str, status: &str) -> Value {
        self.wait_for(
            &format!("/api/v1/users/{login}"),
            &format!("{login} {status}"),
            |code, u| code == 200 && u["status"] == status,
        )
        .await
    }

    /// Poll the app user until its syncState leaves SYNCING.
    async fn settled(&self, app_id: &str, user_id: &str) -> Value {
        self.wait_for(
            &format!("/api/v1/apps/{app_id}/users/{user_id}"),
            "app user settled",
            |code, au| code == 200 && au["syncState"] != "SYNCING",
        )
        .await
    }

    async fn events(&self, event_type: &str) -> Vec<Value> {
        let filter = format!("eventType eq \"{event_type}\"");
        let (status, events) = self
            .get(&format!(
                "/api/v1/logs?limit=200&filter={}",
                urlencode(&filter)
            ))
            .await;
        assert_eq!(status, 200, "{events}");
        events.as_array().unwrap().clone()
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A provisioning app on `spoke` pushing to `base_url` with `token`.
async fn app(spoke: &Api, name: &str, base_url: &str, token: &str, password: Value) -> String {
    let (status, app) = spoke
        .post(
            "/api/v1/apps",
            json!({"name": name, "label": "Target", "settings": {"app": {"baseUrl": base_url}}}),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["settings"]["app"]["deprovisionAction"], "DEACTIVATE");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (status, conn) = spoke
        .post(
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            json!({"profile": {"authScheme": "TOKEN", "token": token}}),
        )
        .await;
    assert_eq!(status, 200, "{conn}");
    let (status, feature) = spoke
        .put(
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                   "update": {"profile": {"status": "ENABLED"},
                              "lifecycleDeactivate": {"status": "ENABLED"},
                              "password": password}}),
        )
        .await;
    assert_eq!(status, 200, "{feature}");
    app_id
}

async fn assign(spoke: &Api, app_id: &str, user_id: &str) -> Value {
    let (status, au) = spoke
        .post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({"id": user_id, "scope": "USER"}),
        )
        .await;
    assert_eq!(status, 200, "{au}");
    let au = spoke.settled(app_id, user_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    au
}

async fn set_password(api: &Api, user_id: &str, password: &str) {
    let (status, body) = api
        .post(
            &format!("/api/v1/users/{user_id}"),
            json!({"credentials": {"password": {"value": password}}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn org2org_pushes_profile_deactivation_reactivation_passwords_and_group_members() {
    let hub_token = random_token();
    let spoke_token = random_token();
    let hub = Server::start(Options {
        bootstrap_token: Some(hub_token.clone()),
        ..Options::default()
    });
    let spoke = Server::start(Options {
        bootstrap_token: Some(spoke_token.clone()),
        ..Options::default()
    });
    let hub_api = Api::new(&hub, &hub_token);
    let spoke_api = Api::new(&spoke, &spoke_token);
    let app_id = app(
        &spoke_api,
        "okta_org2org",
        &hub.url,
        &hub_token,
        json!({"status": "ENABLED", "seed": "OKTA", "change": "CHANGE"}),
    )
    .await;

    // Assigned: created on the hub with the spoke's password.
    let ann_login = "ann.lifecycle@example.com";
    let p1 = "Spoke-Passw0rd!one";
    let ann = spoke_api.create_user(ann_login, p1).await;
    let au = assign(&spoke_api, &app_id, &ann).await;
    assert_eq!(au["scope"], "USER");
    hub_api.wait_status(ann_login, "ACTIVE").await;
    assert_eq!(hub_api.authn(ann_login, p1).await, "SUCCESS");

    // A profile update reaches the hub.
    let (status, body) = spoke_api
        .post(
            &format!("/api/v1/users/{ann}"),
            json!({"profile": {"firstName": "Annie", "title": "Engineer"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    hub_api
        .wait_for(
            &format!("/api/v1/users/{ann_login}"),
            "profile update on the hub",
            |code, u| code == 200 && u["profile"]["firstName"] == "Annie",
        )
        .await;

    spoke_api.settled(&app_id, &ann).await;

    // A changed password (change: CHANGE) reaches the hub and authenticates there.
    let p2 = "Spoke-Passw0rd!two";
    set_password(&spoke_api, &ann, p2).await;
    // (Polled on the spoke: failed sign-ins on the hub would lock the user out.)
    let au = spoke_api.settled(&app_id, &ann).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(hub_api.authn(ann_login, p2).await, "SUCCESS");
    assert_eq!(hub_api.authn(ann_login, p1).await, "401");

    // Deactivating the spoke user deactivates the hub user; activating it reactivates it.
    spoke_api.lifecycle(&ann, "deactivate").await;
    hub_api.wait_status(ann_login, "DEPROVISIONED").await;
    let au = spoke_api
        .wait_for(
            &format!("/api/v1/apps/{app_id}/users/{ann}"),
            "app user DEPROVISIONED",
            |code, au| code == 200 && au["status"] == "DEPROVISIONED",
        )
        .await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    let deactivations = spoke_api
        .events("application.provision.user.deactivate")
        .await;
    assert!(
        deactivations
            .iter()
            .any(|e| e["outcome"]["result"] == "SUCCESS"),
        "{deactivations:?}"
    );

    // Deactivation deleted the password on both sides (as in Okta): activated again, the user
    // is PROVISIONED until a password is set, and so is the hub user; the new password then
    // reaches the hub and makes it ACTIVE.
    spoke_api.lifecycle(&ann, "activate").await;
    hub_api.wait_status(ann_login, "PROVISIONED").await;
    let au = spoke_api.settled(&app_id, &ann).await;
    assert_eq!(au["status"], "PROVISIONED", "{au}");
    let reactivations = spoke_api
        .events("application.provision.user.reactivate")
        .await;
    assert!(
        reactivations
            .iter()
            .any(|e| e["outcome"]["result"] == "SUCCESS"
                && e["debugContext"]["debugData"]["targetStatus"] == "DEPROVISIONED"),
        "{reactivations:?}"
    );
    let p3 = "Spoke-Passw0rd!three";
    set_password(&spoke_api, &ann, p3).await;
    hub_api.wait_status(ann_login, "ACTIVE").await;
    assert_eq!(hub_api.authn(ann_login, p3).await, "SUCCESS");

    // Unassigning deactivates the hub user.
    let (status, body) = spoke_api
        .delete(&format!("/api/v1/apps/{app_id}/users/{ann}"))
        .await;
    assert_eq!(status, 204, "{body}");
    hub_api.wait_status(ann_login, "DEPROVISIONED").await;

    // A group assignment provisions the members.
    let bob_login = "bob.group@example.com";
    let bob = spoke_api.create_user(bob_login, "Spoke-Passw0rd!b1").await;
    let (status, group) = spoke_api
        .post(
            "/api/v1/groups",
            json!({"profile": {"name": "Hub users", "description": "pushed to the hub"}}),
        )
        .await;
    assert_eq!(status, 200, "{group}");
    let group_id = group["id"].as_str().unwrap().to_owned();
    let (status, body) = spoke_api
        .put(&format!("/api/v1/groups/{group_id}/users/{bob}"), json!({}))
        .await;
    assert!(status == 204 || status == 200, "{status} {body}");

    let (status, bad) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}/groups/{group_id}"),
            json!({"priority": -1}),
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(
        bad["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("priority:"),
        "{bad}"
    );
    let (status, missing) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}/groups/00gNoSuchGroup"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "{missing}");

    let (status, assignment) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}/groups/{group_id}"),
            json!({"priority": 0, "profile": {}}),
        )
        .await;
    assert_eq!(status, 200, "{assignment}");
    assert_eq!(assignment["id"], group_id.as_str());
    assert_eq!(assignment["priority"], 0);
    assert!(assignment["_links"]["group"]["href"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/api/v1/groups/{group_id}")));
    let (status, listed) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/groups"))
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let (status, got) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/groups/{group_id}"))
        .await;
    assert_eq!(status, 200, "{got}");
    assert_eq!(got["id"], group_id.as_str());

    let au = spoke_api.settled(&app_id, &bob).await;
    assert_eq!(au["scope"], "GROUP", "{au}");
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    hub_api.wait_status(bob_login, "ACTIVE").await;

    // A group-scoped user cannot be unassigned directly.
    let (status, refused) = spoke_api
        .delete(&format!("/api/v1/apps/{app_id}/users/{bob}"))
        .await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("scope:"),
        "{refused}"
    );
    assert!(
        refused["remediation"].as_str().unwrap().contains("groups"),
        "{refused}"
    );

    // A member added later is provisioned.
    let carl_login = "carl.group@example.com";
    let carl = spoke_api.create_user(carl_login, "Spoke-Passw0rd!c1").await;
    let (status, body) = spoke_api
        .put(
            &format!("/api/v1/groups/{group_id}/users/{carl}"),
            json!({}),
        )
        .await;
    assert!(status == 204 || status == 200, "{status} {body}");
    let au = spoke_api
        .wait_for(
            &format!("/api/v1/apps/{app_id}/users/{carl}"),
            "carl assigned through the group",
            |code, au| code == 200 && au["syncState"] == "SYNCHRONIZED",
        )
        .await;
    assert_eq!(au["scope"], "GROUP", "{au}");
    hub_api.wait_status(carl_login, "ACTIVE").await;

    // A removed member is unassigned and deactivated on the hub.
    let (status, body) = spoke_api
        .delete(&format!("/api/v1/groups/{group_id}/users/{bob}"))
        .await;
    assert!(status == 204 || status == 200, "{status} {body}");
    hub_api.wait_status(bob_login, "DEPROVISIONED").await;
    let (status, _) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/users/{bob}"))
        .await;
    assert_eq!(status, 404);

    // Carl assigned directly too: unassigning the group keeps him (scope USER).
    assign(&spoke_api, &app_id, &carl).await;
    let (_, au) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/users/{carl}"))
        .await;
    assert_eq!(au["scope"], "USER", "{au}");
    let (status, body) = spoke_api
        .delete(&format!("/api/v1/apps/{app_id}/groups/{group_id}"))
        .await;
    assert_eq!(status, 204, "{body}");
    let (status, au) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/users/{carl}"))
        .await;
    assert_eq!(status, 200, "{au}");
    assert_eq!(au["scope"], "USER", "{au}");
    let (status, _) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/groups/{group_id}"))
        .await;
    assert_eq!(status, 404);

    // KEEP_EXISTING: a changed password is not pushed (a later profile push carries none).
    let (status, feature) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                   "update": {"profile": {"status": "ENABLED"},
                              "lifecycleDeactivate": {"status": "ENABLED"},
                              "password": {"status": "ENABLED", "seed": "OKTA", "change": "KEEP_EXISTING"}}}),
        )
        .await;
    assert_eq!(status, 200, "{feature}");
    let carl_new = "Spoke-Passw0rd!c2";
    set_password(&spoke_api, &carl, carl_new).await;
    let (status, body) = spoke_api
        .post(
            &format!("/api/v1/users/{carl}"),
            json!({"profile": {"firstName": "Carlos"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    hub_api
        .wait_for(
            &format!("/api/v1/users/{carl_login}"),
            "carl's profile on the hub",
            |code, u| code == 200 && u["profile"]["firstName"] == "Carlos",
        )
        .await;
    spoke_api.settled(&app_id, &carl).await;
    assert_eq!(hub_api.authn(carl_login, carl_new).await, "401");
    assert_eq!(
        hub_api.authn(carl_login, "Spoke-Passw0rd!c1").await,
        "SUCCESS"
    );

    // The System Log tells the group assignment and its memberships.
    let adds = spoke_api.events("application.user_membership.add").await;
    assert!(
        adds.iter()
            .any(|e| e["debugContext"]["debugData"]["scope"] == "GROUP"
                && e["target"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t["id"] == carl.as_str())),
        "{adds:?}"
    );
    let removes = spoke_api.events("application.user_membership.remove").await;
    assert!(
        removes.iter().any(|e| e["target"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == bob.as_str())),
        "{removes:?}"
    );
    assert_eq!(
        spoke_api
            .events("group.application_assignment.add")
            .await
            .len(),
        1
    );
    assert_eq!(
        spoke_api
            .events("group.application_assignment.remove")
            .await
            .len(),
        1
    );
    let logs = spoke.stderr();
    assert!(
        !logs.contains(p2) && !logs.contains(&hub_token),
        "a secret leaked into the logs"
    );
}

#[tokio::test]
async fn scim_target_users_become_inactive_and_stay_unless_the_app_deletes() {
    let target_token = random_token();
    let spoke_token = random_token();
    let target = Server::start(Options {
        bootstrap_token: Some(target_token.clone()),
        ..Options::default()
    });
    let spoke = Server::start(Options {
        bootstrap_token: Some(spoke_token.clone()),
        ..Options::default()
    });
    let target_api = Api {
        url: target.url.clone(),
        auth: format!("Bearer {target_token}"),
        http: reqwest::Client::new(),
    };
    let spoke_api = Api::new(&spoke, &spoke_token);
    let scim_base = format!("{}/scim/v2", target.url);
    let app_id = app(
        &spoke_api,
        "scim2",
        &scim_base,
        &target_token,
        json!({"status": "DISABLED"}),
    )
    .await;

    let login = "sue.scim@example.com";
    let sue = spoke_api.create_user(login, "Spoke-Passw0rd!s1").await;
    let au = assign(&spoke_api, &app_id, &sue).await;
    let scim_id = au["externalId"].as_str().unwrap().to_owned();
    let scim_user = |active: bool| {
        let path = format!("/scim/v2/Users/{scim_id}");
        let api = &target_api;
        async move {
            api.wait_for(&path, &format!("SCIM active={active}"), |code, u| {
                code == 200 && u["active"] == active
            })
            .await
        }
    };
    scim_user(true).await;

    // Deactivated in the spoke: active=false on the target, and the user is still there.
    spoke_api.lifecycle(&sue, "deactivate").await;
    let u = scim_user(false).await;
    assert_eq!(u["userName"], login);

    // Activated again: active=true.
    spoke_api.lifecycle(&sue, "activate").await;
    scim_user(true).await;
    spoke_api.settled(&app_id, &sue).await;

    // Unassigned: active=false, not deleted.
    let (status, body) = spoke_api
        .delete(&format!("/api/v1/apps/{app_id}/users/{sue}"))
        .await;
    assert_eq!(status, 204, "{body}");
    scim_user(false).await;

    // deprovisionAction DELETE: a bad value is refused, DELETE deletes at the next unassignment.
    let (status, bad) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}"),
            json!({"settings": {"app": {"deprovisionAction": "SHRED"}}}),
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(
        bad["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("settings.app.deprovisionAction:"),
        "{bad}"
    );
    let (status, app) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}"),
            json!({"settings": {"app": {"deprovisionAction": "DELETE"}}}),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["settings"]["app"]["deprovisionAction"], "DELETE");

    // Assigned again: the inactive target user is reactivated and linked.
    let au = assign(&spoke_api, &app_id, &sue).await;
    assert_eq!(au["externalId"], scim_id.as_str());
    scim_user(true).await;
    let (status, body) = spoke_api
        .delete(&format!("/api/v1/apps/{app_id}/users/{sue}"))
        .await;
    assert_eq!(status, 204, "{body}");
    target_api
        .wait_for(
            &format!("/scim/v2/Users/{scim_id}"),
            "SCIM user deleted",
            |code, _| code == 404,
        )
        .await;
}
