//! Story 2 (seed 002) end to end: a source Roster pushes users to a SCIM target (a second
//! Roster whose password policy is SAP Identity Authentication's: 8 to 255 characters from at
//! least three of four groups) through an app transformation that sets the initial password
//! from `firstName`. The preview catches John before anything is sent; the push fails with the
//! target's 400 and its requirements; no password appears in any log, event or task; after
//! `concatString` with suffix `7811!` a retry creates John, who signs in with `John7811!`; a
//! later profile change is patched without touching the password.
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

async fn put(server: &Server, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(server, token, reqwest::Method::PUT, path, Some(body)).await
}

async fn get(server: &Server, token: &str, path: &str) -> (u16, Value) {
    call(server, token, reqwest::Method::GET, path, None).await
}

async fn authn(server: &Server, login: &str, password: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{}/api/v1/authn", server.url))
        .json(&json!({"username": login, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Wait until the app user leaves SYNCING and return it.
async fn settled(server: &Server, token: &str, app_id: &str, user_id: &str) -> Value {
    for _ in 0..300 {
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

/// SAP Identity Authentication's minimum password policy, in Okta's complexity shape.
fn ias_complexity() -> Value {
    json!({
        "minLength": 8, "maxLength": 255, "minCharacterGroups": 3,
        "minLowerCase": 0, "minUpperCase": 0, "minNumber": 0, "minSymbol": 0,
        "excludeUsername": false,
        "dictionary": {"common": {"exclude": false}}
    })
}

/// The seed's transformation: the SCIM core attributes, and `password` from `firstName` on
/// create only, with `functions` when given.
fn transformation(password_functions: Option<Value>) -> Value {
    let mut password = json!({
        "sourcePath": "$.profile.firstName",
        "targetPath": "$.password",
        "scope": "createEntity"
    });
    if let Some(f) = password_functions {
        password["functions"] = f;
    }
    json!({
        "user": {
            "mappings": [
                {"constant": "urn:ietf:params:scim:schemas:core:2.0:User", "targetPath": "$.schemas[0]"},
                {"sourcePath": "$.profile.login", "targetPath": "$.userName"},
                {"sourcePath": "$.profile.firstName", "targetPath": "$.name.givenName"},
                {"sourcePath": "$.profile.lastName", "targetPath": "$.name.familyName"},
                {"sourcePath": "$.profile.email", "targetPath": "$.emails[0].value"},
                {"constant": "work", "targetPath": "$.emails[0].type"},
                {"constant": true, "targetPath": "$.active"},
                password
            ]
        }
    })
}

async fn preview_failing(spoke: &Server, token: &str, app_id: &str, user_id: &str) -> Value {
    let (status, preview) = post(
        spoke,
        token,
        &format!("/api/v1/apps/{app_id}/transformations/preview"),
        json!({"userIds": [user_id], "scope": "createEntity"}),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    preview
}

#[tokio::test]
async fn story_2_transformation_password_is_previewed_refused_fixed_and_never_logged() {
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

    // The target's default password policy becomes SAP IAS's minimum.
    let (status, policies) = get(&target, &target_token, "/api/v1/policies?type=PASSWORD").await;
    assert_eq!(status, 200, "{policies}");
    let mut default = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["system"] == true)
        .cloned()
        .unwrap();
    default["settings"]["password"]["complexity"] = ias_complexity();
    let default_id = default["id"].as_str().unwrap().to_owned();
    let (status, updated) = put(
        &target,
        &target_token,
        &format!("/api/v1/policies/{default_id}"),
        default,
    )
    .await;
    assert_eq!(status, 200, "{updated}");

    // The source's scim2 app, with the target's policy known to it.
    let (status, app) = post(
        &spoke,
        &spoke_token,
        "/api/v1/apps",
        json!({"name": "scim2", "label": "IAS", "settings": {"app": {
            "baseUrl": format!("{}/scim/v2", target.url),
            "targetPasswordPolicy": {"complexity": ias_complexity()}
        }}}),
    )
    .await;
    assert_eq!(status, 200, "{app}");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (status, conn) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
        json!({"profile": {"authScheme": "TOKEN", "token": target_token}}),
    )
    .await;
    assert_eq!(status, 200, "{conn}");
    let (status, _) = put(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
        json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
               "update": {"profile": {"status": "ENABLED"}}}),
    )
    .await;
    assert_eq!(status, 200);

    // A bad document is refused with the mapping's index and key, and nothing is saved.
    let (status, err) = put(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/transformations"),
        transformation(Some(json!([{"type": "concatStrin", "suffix": "7811!"}]))),
    )
    .await;
    assert_eq!(status, 400, "{err}");
    let causes = err["errorCauses"].as_array().unwrap();
    assert!(
        causes
            .iter()
            .any(|c| c["location"] == "user.mappings[7].functions[0].type"),
        "{err}"
    );
    let (status, _) = get(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/transformations"),
    )
    .await;
    assert_eq!(status, 404);

    // The seed's document: firstName as the initial password.
    let (status, saved) = put(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/transformations"),
        transformation(None),
    )
    .await;
    assert_eq!(status, 200, "{saved}");

    let (status, john) = post(
        &spoke,
        &spoke_token,
        "/api/v1/users?activate=false",
        json!({"profile": {"login": "john.doe@example.com", "email": "john.doe@example.com",
                            "firstName": "John", "lastName": "Doe"}}),
    )
    .await;
    assert_eq!(status, 200, "{john}");
    let john_id = john["id"].as_str().unwrap().to_owned();

    // The preview lists John before anything is sent, with the requirements he misses, and
    // shows the payload with the password redacted.
    let preview = preview_failing(&spoke, &spoke_token, &app_id, &john_id).await;
    assert_eq!(preview["failing"], json!([john_id]), "{preview}");
    let entry = &preview["users"][0];
    assert_eq!(entry["result"], "WOULD_FAIL", "{preview}");
    assert_eq!(entry["password"]["status"], "FAIL", "{preview}");
    let unmet = entry["password"]["unmet"].to_string();
    assert!(
        unmet.contains("at least 8 characters") && unmet.contains("at least 3 of"),
        "the preview names the length and groups it misses: {preview}"
    );
    assert_eq!(entry["payload"]["password"], "[REDACTED]", "{preview}");
    assert_eq!(entry["payload"]["userName"], "john.doe@example.com");

    // Pushed anyway: the target's 400 and its requirements land in a task.
    let (status, _) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/users"),
        json!({"id": john_id}),
    )
    .await;
    assert_eq!(status, 200);
    let au = settled(&spoke, &spoke_token, &app_id, &john_id).await;
    assert_eq!(au["syncState"], "ERROR", "{au}");
    let (status, tasks) = get(
        &spoke,
        &spoke_token,
        &format!("/api/v1/tasks?appId={app_id}&status=OPEN"),
    )
    .await;
    assert_eq!(status, 200, "{tasks}");
    let task = tasks.as_array().unwrap()[0].clone();
    let error = &task["lastError"];
    assert_eq!(error["targetStatus"], 400, "{task}");
    let said = error.to_string();
    assert!(
        said.contains("8") && said.to_lowercase().contains("password"),
        "the task carries the target's requirements: {task}"
    );
    let (status, target_users) = get(
        &target,
        &target_token,
        "/api/v1/users?search=profile.login%20eq%20%22john.doe%40example.com%22",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(target_users, json!([]), "nothing was created on the target");

    // The fix from the seed's resolution; the preview now lists nobody.
    let (status, saved) = put(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/transformations"),
        transformation(Some(json!([{"type": "concatString", "suffix": "7811!"}]))),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let preview = preview_failing(&spoke, &spoke_token, &app_id, &john_id).await;
    assert_eq!(preview["failing"], json!([]), "{preview}");
    assert_eq!(preview["users"][0]["password"]["status"], "PASS");
    let (status, preview) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/transformations/preview"),
        json!({"filter": "profile.lastName eq \"Doe\""}),
    )
    .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["users"].as_array().unwrap().len(), 1, "{preview}");
    assert_eq!(preview["failing"], json!([]));

    // Retry: John exists on the target and signs in with John7811!.
    let task_id = task["id"].as_str().unwrap();
    let (status, retried) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/tasks/{task_id}/retry"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{retried}");
    let au = settled(&spoke, &spoke_token, &app_id, &john_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(
        authn(&target, "john.doe@example.com", "John7811!").await,
        200
    );

    // A later profile change is patched; the password is not touched.
    let (status, _) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/users/{john_id}"),
        json!({"profile": {"lastName": "Doe-Smith"}}),
    )
    .await;
    assert_eq!(status, 200);
    let mut family = Value::Null;
    for _ in 0..100 {
        let (_, u) = get(&target, &target_token, "/api/v1/users/john.doe@example.com").await;
        family = u["profile"]["lastName"].clone();
        if family == "Doe-Smith" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(family, "Doe-Smith");
    assert_eq!(
        authn(&target, "john.doe@example.com", "John7811!").await,
        200
    );

    // The password never appears: not in either server's log, events or tasks.
    let (_, spoke_events) = get(&spoke, &spoke_token, "/api/v1/logs?limit=1000").await;
    let (_, target_events) = get(&target, &target_token, "/api/v1/logs?limit=1000").await;
    let (_, spoke_tasks) = get(&spoke, &spoke_token, "/api/v1/tasks?limit=200").await;
    for (what, text) in [
        ("spoke log", spoke.stderr()),
        ("target log", target.stderr()),
        ("spoke events", spoke_events.to_string()),
        ("target events", target_events.to_string()),
        ("spoke tasks", spoke_tasks.to_string()),
    ] {
        assert!(!text.contains("John7811!"), "{what} holds the password");
        assert!(
            !text.contains("\"password\":\"John\""),
            "{what} holds the first password"
        );
    }
}

/// For an Org2Org app the preview reads the other org's password policy through its policy API:
/// the hub's default policy (8 characters, a lowercase and an uppercase letter, a number) refuses
/// "John" and accepts "John7811!" (the login, jroe@example.com, shares no part with it).
#[tokio::test]
async fn org2org_preview_reads_the_hub_policy_through_its_api() {
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
    let (status, app) = post(
        &spoke,
        &spoke_token,
        "/api/v1/apps",
        json!({"name": "okta_org2org", "label": "Hub", "settings": {"app": {"baseUrl": hub.url}}}),
    )
    .await;
    assert_eq!(status, 200, "{app}");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (status, conn) = post(
        &spoke,
        &spoke_token,
        &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
        json!({"profile": {"authScheme": "TOKEN", "token": hub_token}}),
    )
    .await;
    assert_eq!(status, 200, "{conn}");
    let (status, john) = post(
        &spoke,
        &spoke_token,
        "/api/v1/users?activate=false",
        json!({"profile": {"login": "jroe@example.com", "email": "jroe@example.com",
                            "firstName": "John", "lastName": "Roe"}}),
    )
    .await;
    assert_eq!(status, 200, "{john}");
    let john_id = john["id"].as_str().unwrap().to_owned();

    let document = |functions: Value| {
        json!({"user": {"mappings": [
            {"sourcePath": "$.profile", "targetPath": "$.profile"},
            {"sourcePath": "$.profile.firstName", "targetPath": "$.credentials.password.value",
             "scope": "createEntity", "functions": functions}
        ]}})
    };
    for (functions, expected) in [
        (json!([]), "FAIL"),
        (json!([{"type": "concatString", "suffix": "7811!"}]), "PASS"),
    ] {
        let (status, saved) = put(
            &spoke,
            &spoke_token,
            &format!("/api/v1/apps/{app_id}/transformations"),
            document(functions),
        )
        .await;
        assert_eq!(status, 200, "{saved}");
        let preview = preview_failing(&spoke, &spoke_token, &app_id, &john_id).await;
        let source = preview["targetPasswordPolicySource"].as_str().unwrap();
        assert!(source.contains("policy API"), "{preview}");
        let entry = &preview["users"][0];
        assert_eq!(entry["password"]["status"], expected, "{preview}");
        assert_eq!(
            entry["payload"]["credentials"]["password"]["value"],
            "[REDACTED]"
        );
        assert_eq!(entry["payload"]["profile"]["login"], "jroe@example.com");
    }
}
