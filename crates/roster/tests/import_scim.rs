//! A `scim2` app as an import source: another Roster's `/scim/v2` (standing in for any SCIM
//! service provider, such as an HR system) is read page by page, its users and groups imported;
//! an incremental import reads only what changed since (`meta.lastModified`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use support::api::{serve, Api};
use support::{random_token, Options, Server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scim_source_imports_users_and_groups_then_only_changes() {
    let source_token = random_token();
    let source = Server::start(Options {
        bootstrap_token: Some(source_token.clone()),
        ..Options::default()
    });
    let hr = Api::new(&source, &source_token);
    let mut ids = Vec::new();
    for login in ["ana@example.com", "raj@example.com", "zoe@example.com"] {
        ids.push(
            hr.create_user(login, true).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let group = hr
        .ok(
            Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Sales"}})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for id in &ids[..2] {
        hr.ok(
            Method::PUT,
            &format!("/api/v1/groups/{group}/users/{id}"),
            None,
        )
        .await;
    }

    let (server, api) = serve(Options::default());
    let app = api
        .ok(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "scim2", "label": "HR system",
            "settings": {"app": {"baseUrl": format!("{}/scim/v2", source.url)}}})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.ok(
        Method::POST,
        &format!("/api/v1/apps/{app}/connections/default?activate=TRUE"),
        Some(json!({"profile": {"authScheme": "TOKEN", "token": source_token}})),
    )
    .await;
    // A SCIM app pushes by default; importing from it is switched on explicitly.
    let (status, err) = api
        .post(
            &format!("/api/v1/apps/{app}/imports"),
            json!({"type": "FULL"}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(
        err["errorCauses"][0]["location"],
        "features.INBOUND_PROVISIONING"
    );
    api.ok(
        Method::PUT,
        &format!("/api/v1/apps/{app}/features/INBOUND_PROVISIONING"),
        Some(
            json!({"status": "ENABLED", "capabilities": {"importRules": {"userCreateAndMatch": {
            "autoConfirmNewUsers": true, "autoActivateNewUsers": true}}}}),
        ),
    )
    .await;
    api.ok(
        Method::PUT,
        &format!("/api/v1/apps/{app}/features/PROFILE_MASTERING"),
        Some(json!({"status": "ENABLED", "priority": 0})),
    )
    .await;
    let features = api
        .ok(Method::GET, &format!("/api/v1/apps/{app}/features"), None)
        .await;
    let names: Vec<&str> = features
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "USER_PROVISIONING",
            "INBOUND_PROVISIONING",
            "PROFILE_MASTERING"
        ]
    );

    let first = api.import(&app, "FULL").await;
    assert_eq!(first["status"], "COMPLETED", "{first}");
    assert_eq!(first["counts"]["new"], 3, "{first}");
    assert_eq!(first["counts"]["groupsCreated"], 1, "{first}");
    let sales = api.ok(Method::GET, "/api/v1/groups?q=Sales", None).await[0].clone();
    assert_eq!(sales["type"], "APP_GROUP");
    let members = api
        .ok(
            Method::GET,
            &format!("/api/v1/groups/{}/users", sales["id"].as_str().unwrap()),
            None,
        )
        .await;
    let mut logins: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["profile"]["login"].as_str().unwrap())
        .collect();
    logins.sort();
    assert_eq!(logins, ["ana@example.com", "raj@example.com"]);

    // One change at the source; the incremental import reads it and little else.
    tokio::time::sleep(Duration::from_millis(50)).await;
    hr.ok(
        Method::POST,
        &format!("/api/v1/users/{}", ids[2]),
        Some(json!({"profile": {"lastName": "Zimmer"}})),
    )
    .await;
    let inc = api.import(&app, "INCREMENTAL").await;
    assert_eq!(inc["status"], "COMPLETED", "{inc}");
    assert_eq!(inc["type"], "INCREMENTAL");
    assert_eq!(
        inc["counts"]["scanned"], 1,
        "only the changed user is read: {inc}"
    );
    assert_eq!(inc["counts"]["updated"], 1, "{inc}");
    let zoe = api
        .ok(Method::GET, "/api/v1/users/zoe@example.com", None)
        .await;
    assert_eq!(zoe["profile"]["lastName"], "Zimmer");
    assert!(
        !server.stderr().contains(&source_token),
        "the source's token was logged"
    );
}
