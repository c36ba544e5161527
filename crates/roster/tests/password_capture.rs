//! Issue 14, "Password sync for users whose password predates the sync": a spoke user whose
//! password was set before the spoke's `okta_org2org` app synced passwords is pushed to the hub
//! without one; its next successful sign-in on the spoke (`POST /api/v1/authn`) captures the
//! password and pushes it, once, and the hub then accepts it. Two real `roster serve` processes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::api::Api;
use support::{all_bytes_under, contains, random_token, Options, Server};

const LOGIN: &str = "erin.early@example.com";
const PASSWORD: &str = "Mossy-Stone!r0ck42";

#[tokio::test]
async fn a_sign_in_captures_a_password_that_predates_the_sync() {
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

    // The spoke's Org2Org app pushes users to the hub, without passwords for now.
    let (status, app) = spoke_api
        .post(
            "/api/v1/apps",
            json!({"name": "okta_org2org", "label": "Hub org", "signOnMode": "SAML_2_0",
                   "settings": {"app": {"baseUrl": hub.url}}}),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (status, conn) = spoke_api
        .post(
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            json!({"profile": {"authScheme": "TOKEN", "token": hub_token}}),
        )
        .await;
    assert_eq!(status, 200, "{conn}");
    let features = |password: Value| {
        json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
               "update": {"profile": {"status": "ENABLED"}, "password": password}})
    };
    let (status, feature) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            features(json!({"status": "DISABLED"})),
        )
        .await;
    assert_eq!(status, 200, "{feature}");

    // The user's password is set while no app syncs passwords: Roster keeps only its hash.
    let (status, user) = spoke_api
        .post(
            "/api/v1/users?activate=true",
            json!({"profile": {"login": LOGIN, "email": LOGIN, "firstName": "Erin", "lastName": "Early"},
                   "credentials": {"password": {"value": PASSWORD}}}),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    let user_id = user["id"].as_str().unwrap().to_owned();
    let password_changed = user["passwordChanged"].clone();
    assert!(password_changed.is_string(), "{user}");

    // Then the app starts syncing passwords, and the user is assigned.
    let (status, feature) = spoke_api
        .put(
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            features(json!({"status": "ENABLED", "seed": "OKTA", "change": "CHANGE"})),
        )
        .await;
    assert_eq!(status, 200, "{feature}");
    let (status, au) = spoke_api
        .post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({"id": user_id, "scope": "USER"}),
        )
        .await;
    assert_eq!(status, 200, "{au}");
    let au = spoke_api.settled_app_user(&app_id, &user_id).await;

    // Pushed without a password: the hub user exists but the password does not work there,
    // and the app user says its password waits for the next sign-in.
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(au["status"], "PROVISIONED", "{au}");
    assert_eq!(au["passwordState"], "WAITING_FOR_SIGN_IN", "{au}");
    assert!(au["passwordChanged"].is_null(), "{au}");
    let hub_user_id = au["externalId"].as_str().unwrap().to_owned();
    let (status, hub_user) = hub_api.get(&format!("/api/v1/users/{hub_user_id}")).await;
    assert_eq!(status, 200, "{hub_user}");
    let (status, authn) = hub_api.authn(LOGIN, PASSWORD).await;
    assert_eq!(status, 401, "{authn}");
    let skipped = spoke_api
        .events_of_type("application.provision.user.push_password")
        .await;
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["outcome"]["result"], "SKIPPED", "{skipped:?}");
    assert!(
        skipped[0]["outcome"]["reason"]
            .as_str()
            .unwrap()
            .contains("next signs in"),
        "{skipped:?}"
    );

    // A wrong password captures nothing.
    let (status, authn) = spoke_api.authn(LOGIN, "Not-The-Password1").await;
    assert_eq!(status, 401, "{authn}");
    assert!(spoke_api
        .events_of_type("application.provision.user.capture_password")
        .await
        .is_empty());

    // One sign-in on the spoke.
    let (status, authn) = spoke_api.authn(LOGIN, PASSWORD).await;
    assert_eq!(status, 200, "{authn}");
    assert_eq!(authn["status"], "SUCCESS", "{authn}");

    // The hub accepts the password once the captured password's push has run.
    let mut accepted = false;
    for _ in 0..200 {
        let (status, authn) = hub_api.authn(LOGIN, PASSWORD).await;
        if status == 200 && authn["status"] == "SUCCESS" {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(accepted, "the hub never accepted the captured password");
    let au = spoke_api.settled_app_user(&app_id, &user_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert!(au["passwordState"].is_null(), "{au}");
    assert!(au["passwordChanged"].is_string(), "{au}");
    assert_eq!(au["externalId"], hub_user_id.as_str(), "{au}");

    // The System Log says the sign-in captured it, without the password.
    let captured = spoke_api
        .events_of_type("application.provision.user.capture_password")
        .await;
    assert_eq!(captured.len(), 1, "{captured:?}");
    let text = captured[0].to_string();
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains(&user_id), "{text}");
    assert!(text.contains(&app_id), "{text}");
    let pushed = spoke_api
        .events_of_type("application.provision.user.push_password")
        .await;
    assert_eq!(pushed.len(), 2, "{pushed:?}");
    assert!(
        pushed.iter().any(|e| e["outcome"]["result"] == "SUCCESS"),
        "{pushed:?}"
    );

    // The sign-in was not a password change on the spoke.
    let (_, user) = spoke_api.get(&format!("/api/v1/users/{user_id}")).await;
    assert_eq!(user["passwordChanged"], password_changed, "{user}");
    assert!(spoke_api
        .events_of_type("user.account.update_password")
        .await
        .is_empty());

    // A second sign-in of a user whose password already synced queues nothing.
    let pushes = spoke_api
        .events_of_type("application.provision.user.push")
        .await
        .len();
    let (status, authn) = spoke_api.authn(LOGIN, PASSWORD).await;
    assert_eq!(status, 200, "{authn}");
    assert_eq!(authn["status"], "SUCCESS", "{authn}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let au = spoke_api.settled_app_user(&app_id, &user_id).await;
    assert!(au["passwordState"].is_null(), "{au}");
    assert_eq!(
        spoke_api
            .events_of_type("application.provision.user.capture_password")
            .await
            .len(),
        1
    );
    assert_eq!(
        spoke_api
            .events_of_type("application.provision.user.push_password")
            .await
            .len(),
        2
    );
    assert_eq!(
        spoke_api
            .events_of_type("application.provision.user.push")
            .await
            .len(),
        pushes
    );
    let (_, tasks) = spoke_api.get("/api/v1/tasks").await;
    assert_eq!(tasks.as_array().map(Vec::len), Some(0), "{tasks}");

    // The password is in no log line, event or task, nor in clear in the spoke's database.
    let (_, spoke_logs) = spoke_api.get("/api/v1/logs?limit=1000").await;
    assert!(!spoke_logs.to_string().contains(PASSWORD));
    assert!(!tasks.to_string().contains(PASSWORD));
    assert!(!spoke.stderr().contains(PASSWORD), "the spoke logged it");
    assert!(!hub.stderr().contains(PASSWORD), "the hub logged it");
    assert!(
        !contains(&all_bytes_under(&spoke.data_dir), PASSWORD),
        "the spoke's data dir holds the password in clear"
    );
}
