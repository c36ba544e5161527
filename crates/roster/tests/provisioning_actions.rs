//! The console's three provisioning actions through the Management API, against a real hub (a
//! second Roster, pushed to over Org2Org): previewing an unsaved transformation (validated, not
//! stored), testing the saved connection again (OK, then the 400 of a refused token once the
//! hub revoked it, changing nothing), and provisioning an assigned user now (refused before the
//! assignment; afterwards its profile is pushed again over a change made on the hub).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::json;
use support::api::Api;
use support::{random_token, Options, Server};

#[tokio::test]
async fn preview_unsaved_test_connection_and_provision_now_over_the_api() {
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
    let connection_token = hub.create_token("spoke-connection", "SUPER_ADMIN");

    let (status, app) = spoke_api.post("/api/v1/apps",
        json!({"name": "okta_org2org", "label": "Hub", "settings": {"app": {"baseUrl": hub.url}}}),
    )
    .await;
    assert_eq!(status, 200, "{app}");
    let app_id = app["id"].as_str().unwrap().to_owned();
    let (status, conn) = spoke_api
        .post(
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            json!({"profile": {"authScheme": "TOKEN", "token": connection_token}}),
        )
        .await;
    assert_eq!(status, 200, "{conn}");
    let (status, feature) = spoke_api
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            Some(json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                    "update": {"profile": {"status": "ENABLED"}}})),
        )
        .await;
    assert_eq!(status, 200, "{feature}");
    let (status, ann) = spoke_api
        .post(
            "/api/v1/users?activate=true",
            json!({"profile": {"login": "ann@example.com", "email": "ann@example.com",
                            "firstName": "Ann", "lastName": "Lee"}}),
        )
        .await;
    assert_eq!(status, 200, "{ann}");
    let ann_id = ann["id"].as_str().unwrap().to_owned();

    // 1. An unsaved document is previewed as sent, and not stored.
    let preview_path = format!("/api/v1/apps/{app_id}/transformations/preview");
    let unsaved = json!({"user": {"mappings": [
        {"sourcePath": "$.profile.login", "targetPath": "$.profile.login"},
        {"sourcePath": "$.profile.firstName", "targetPath": "$.profile.nickName"}
    ]}});
    let (status, preview) = spoke_api
        .post(
            &preview_path,
            json!({"userIds": [ann_id], "transformation": unsaved}),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["transformation"], "CUSTOM", "{preview}");
    assert_eq!(preview["transformationSource"], "REQUEST", "{preview}");
    let payload = &preview["users"][0]["payload"];
    assert_eq!(payload["profile"]["nickName"], "Ann", "{preview}");
    assert!(payload["profile"].get("lastName").is_none(), "{preview}");
    let (status, _) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/transformations"))
        .await;
    assert_eq!(status, 404, "a previewed document is not saved");
    // Without one, the saved (here: built-in) mapping is previewed.
    let (status, preview) = spoke_api
        .post(&preview_path, json!({"userIds": [ann_id]}))
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(preview["transformation"], "DEFAULT", "{preview}");
    assert_eq!(preview["transformationSource"], "SAVED", "{preview}");
    assert_eq!(
        preview["users"][0]["payload"]["profile"]["lastName"], "Lee",
        "{preview}"
    );
    // An invalid document is refused as a save refuses it: every problem by mapping and key.
    let (status, err) = spoke_api
        .post(
            &preview_path,
            json!({"userIds": [ann_id], "transformation": {"user": {"mappings": [
                {"sourcePath": "$.profile.login", "targetPath": "$.profile.login"},
                {"sourcePath": "$.profile.firstName", "targetPath": "$.profile.nickName",
                 "functions": [{"type": "concatStrin"}]}
            ]}}}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["errorSummary"], "Api validation failed: transformation");
    assert!(
        err["errorCauses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["location"] == "user.mappings[1].functions[0].type"),
        "{err}"
    );
    let (status, err) = spoke_api
        .post(
            &preview_path,
            json!({"userIds": [ann_id], "transformation": "not a document"}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["errorCauses"][0]["location"], "transformation", "{err}");

    // 2. The saved connection tests OK.
    let test_path = format!("/api/v1/apps/{app_id}/connections/default/test");
    let (status, ok) = spoke_api.post(&test_path, json!({})).await;
    assert_eq!(status, 200, "{ok}");
    assert_eq!(ok, json!({"status": "OK"}));

    // 3. Provision now: refused for a user not assigned; an assigned user is pushed again.
    let provision_path = format!("/api/v1/apps/{app_id}/users/{ann_id}/lifecycle/provision");
    let (status, err) = spoke_api.post(&provision_path, json!({})).await;
    assert_eq!(status, 400, "{err}");
    assert!(err.to_string().contains("not assigned"), "{err}");
    let (status, au) = spoke_api
        .post(
            &format!("/api/v1/apps/{app_id}/users"),
            json!({"id": ann_id, "scope": "USER"}),
        )
        .await;
    assert_eq!(status, 200, "{au}");
    let au = spoke_api.settled_app_user(&app_id, &ann_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    let hub_id = au["externalId"].as_str().unwrap().to_owned();
    // Someone changes Ann on the hub; provisioning her now writes Roster's profile back.
    let (status, changed) = hub_api
        .post(
            &format!("/api/v1/users/{hub_id}"),
            json!({"profile": {"firstName": "Changed"}}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["profile"]["firstName"], "Changed");
    let (status, queued) = spoke_api.post(&provision_path, json!({})).await;
    assert_eq!(status, 200, "{queued}");
    assert_eq!(queued["syncState"], "SYNCING", "{queued}");
    let au = spoke_api.settled_app_user(&app_id, &ann_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(au["externalId"], hub_id.as_str(), "linked, not duplicated");
    let (status, on_hub) = hub_api.get(&format!("/api/v1/users/{hub_id}")).await;
    assert_eq!(status, 200, "{on_hub}");
    assert_eq!(on_hub["profile"]["firstName"], "Ann", "{on_hub}");

    // 2, again: the hub revokes the token; the test answers set_connection's 400 and changes
    // nothing, and never shows the token.
    let revoke = reqwest::Client::new()
        .delete(format!("{}/api/v1/api-tokens/current", hub.url))
        .header("Authorization", format!("SSWS {connection_token}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert!(revoke == 204 || revoke == 200, "revoke: {revoke}");
    let (status, err) = spoke_api.post(&test_path, json!({})).await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["errorCode"], "E0000001", "{err}");
    assert!(
        err.to_string().contains("the target refused the API token"),
        "{err}"
    );
    assert!(!err.to_string().contains(&connection_token), "{err}");
    let (status, conn) = spoke_api
        .get(&format!("/api/v1/apps/{app_id}/connections/default"))
        .await;
    assert_eq!(status, 200, "{conn}");
    assert_eq!(conn["status"], "ENABLED", "{conn}");
    assert!(!spoke.stderr().contains(&connection_token));
}
