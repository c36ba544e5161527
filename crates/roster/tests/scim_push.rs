//! Push provisioning to a SCIM 2.0 target: a spoke's `scim2` app pushes users and their
//! passwords to another Roster's `/scim/v2` (standing in for any SCIM service provider).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{random_token, Options, Server};

async fn call(
    server: &Server,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", server.url))
        .header("Authorization", format!("SSWS {token}"));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn post(server: &Server, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(server, token, reqwest::Method::POST, path, Some(body)).await
}

async fn get(server: &Server, token: &str, path: &str) -> (u16, Value) {
    call(server, token, reqwest::Method::GET, path, None).await
}

async fn create_user(server: &Server, token: &str, login: &str, password: Option<&str>) -> Value {
    let mut body = json!({"profile": {"login": login, "email": login, "firstName": "Sam", "lastName": "Scim"}});
    if let Some(p) = password {
        body["credentials"] = json!({"password": {"value": p}});
    }
    let (status, user) = post(server, token, "/api/v1/users?activate=true", body).await;
    assert_eq!(status, 200, "{user}");
    user
}

async fn settled(server: &Server, token: &str, app_id: &str, user_id: &str) -> Value {
    for _ in 0..200 {
        let (_, au) = get(
            server,
            token,
            &format!("/api/v1/apps/{app_id}/users/{user_id}"),
        )
        .await;
        if au["syncState"] != "SYNCING" {
            return au;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still SYNCING");
}

#[tokio::test]
async fn scim2_app_pushes_users_with_passwords_and_links_existing_ones() {
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
    let scim_base = format!("{}/scim/v2", target.url);

    let (status, app) = post(
        &spoke,
        &spoke_token,
        "/api/v1/apps",
        json!({"name": "scim2", "label": "SCIM target", "settings": {"app": {"baseUrl": scim_base}}}),
    )
    .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["name"], "scim2");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (status, err) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
        json!({"profile": {"authScheme": "TOKEN", "token": "00notAToken"}}),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    let (status, conn) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
        json!({"profile": {"authScheme": "TOKEN", "token": target_token}}),
    )
    .await;
    assert_eq!(status, 200, "{conn}");
    let (status, _) = call(
        &spoke,
        &spoke_token,
        reqwest::Method::PUT,
        &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
        Some(json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                    "update": {"profile": {"status": "ENABLED"},
                               "password": {"status": "ENABLED", "seed": "OKTA", "change": "CHANGE"}}})),
    )
    .await;
    assert_eq!(status, 200);

    // Created on the target with the spoke's password.
    let pw = "Scim-Push!w0rks";
    let sam = create_user(&spoke, &spoke_token, "sam.new@example.com", Some(pw)).await;
    let sam_id = sam["id"].as_str().unwrap();
    let (status, _) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/users"),
        json!({"id": sam_id}),
    )
    .await;
    assert_eq!(status, 200);
    let au = settled(&spoke, &spoke_token, &app_id, sam_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    let (status, on_target) =
        get(&target, &target_token, "/api/v1/users/sam.new@example.com").await;
    assert_eq!(status, 200, "{on_target}");
    assert_eq!(au["externalId"], on_target["id"]);
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/authn", target.url))
        .json(&json!({"username": "sam.new@example.com", "password": pw}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    // An existing target user is linked (no duplicate) and gets the password by PATCH.
    let existing = create_user(&target, &target_token, "tia.old@example.com", None).await;
    let tia_pw = "Linked-By!userName9";
    let tia = create_user(&spoke, &spoke_token, "tia.old@example.com", Some(tia_pw)).await;
    let tia_id = tia["id"].as_str().unwrap();
    post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/users"),
        json!({"id": tia_id}),
    )
    .await;
    let au = settled(&spoke, &spoke_token, &app_id, tia_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(au["externalId"], existing["id"], "{au}");
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/authn", target.url))
        .json(&json!({"username": "tia.old@example.com", "password": tia_pw}))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 200, "{body}");

    for secret in [pw, tia_pw, target_token.as_str()] {
        assert!(
            !spoke.stderr().contains(secret),
            "the spoke logged a secret"
        );
        assert!(
            !target.stderr().contains(secret),
            "the target logged a secret"
        );
    }
}
