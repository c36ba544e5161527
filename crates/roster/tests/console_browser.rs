//! The admin console in Debian's Chromium (through playwright-core): the seeds' fixes done the
//! way an administrator would, against real `roster serve` processes. The scene is set over the
//! API, the browser scripts in `tests/browser/` click through the console, and the outcome is
//! checked over the API again. Screenshots land in `target/console-screenshots/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{json, Value};
use support::api::{serve, Api};
use support::console::create_admin;
use support::{browser, Options, Server};

const ADMIN: &str = "ada.admin@example.com";
const ADMIN_PW: &str = "Correct-Horse-42!";

#[tokio::test]
async fn an_xss_payload_in_a_profile_is_text_in_chromium_and_pages_fit_a_phone() {
    let (server, api) = serve(Options::default());
    create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    let payload = "<img src=x onerror=alert(1)>";
    let user = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/users?activate=false",
            Some(
                json!({"profile": {"login": "xss@example.com", "email": "xss@example.com",
                                    "firstName": payload, "lastName": "Example"}}),
            ),
        )
        .await;
    let id = user["id"].as_str().unwrap();
    let out = browser::run(
        "xss_and_layout.mjs",
        &[
            ("ROSTER_URL", &server.url),
            ("ADMIN_LOGIN", ADMIN),
            ("ADMIN_PASSWORD", ADMIN_PW),
            ("USER_ID", id),
            ("PAYLOAD", payload),
        ],
    );
    assert_eq!(out["seen"]["user-desktop"], true, "{out}");
    drop(server);
}

/// An Org2Org spoke pushing to a hub with a strict policy; the spoke's `okta_org2org` app syncs
/// passwords. Both have a console admin.
struct Orgs {
    hub: Server,
    spoke: Server,
    hub_api: Api,
    spoke_api: Api,
    app_id: String,
}

async fn orgs() -> Orgs {
    let (hub, hub_api) = serve(Options::default());
    let (spoke, spoke_api) = serve(Options::default());
    create_admin(&hub, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    create_admin(&spoke, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    let app = spoke_api
        .ok(
            reqwest::Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "okta_org2org", "label": "Hub org",
                        "settings": {"app": {"baseUrl": hub.url}}})),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    spoke_api
        .ok(
            reqwest::Method::POST,
            &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
            Some(json!({"profile": {"authScheme": "TOKEN", "token": hub_api.token()}})),
        )
        .await;
    spoke_api
        .ok(
            reqwest::Method::PUT,
            &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
            Some(json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                        "update": {"profile": {"status": "ENABLED"},
                                   "lifecycleDeactivate": {"status": "ENABLED"},
                                   "password": {"status": "ENABLED", "seed": "OKTA", "change": "CHANGE"}}})),
        )
        .await;
    Orgs {
        hub,
        spoke,
        hub_api,
        spoke_api,
        app_id,
    }
}

async fn settled(api: &Api, app_id: &str, user_id: &str) -> Value {
    api.until(
        &format!("/api/v1/apps/{app_id}/users/{user_id}"),
        "the push to settle",
        |au| au["syncState"] != "SYNCING",
    )
    .await
}

#[tokio::test]
async fn seed_001_fixed_in_the_consoles_of_the_hub_and_the_spoke() {
    let o = orgs().await;
    // The hub user came from an identity provider (FEDERATION); the spoke's push fails.
    let hub_carol = o
        .hub_api
        .ok(
            reqwest::Method::POST,
            "/api/v1/users?provider=true&activate=true",
            Some(json!({"profile": {"login": "carol.fed@example.com", "email": "carol.fed@example.com",
                                    "firstName": "Carol", "lastName": "Example"}})),
        )
        .await;
    let hub_carol_id = hub_carol["id"].as_str().unwrap();
    let carol_pw = "Sp0ke-Sings!tonight";
    let carol = o
        .spoke_api
        .ok(
            reqwest::Method::POST,
            "/api/v1/users?activate=true",
            Some(json!({"profile": {"login": "carol.fed@example.com", "email": "carol.fed@example.com",
                                    "firstName": "Carol", "lastName": "Example"},
                        "credentials": {"password": {"value": carol_pw}}})),
        )
        .await;
    let carol_id = carol["id"].as_str().unwrap();
    o.spoke_api
        .ok(
            reqwest::Method::POST,
            &format!("/api/v1/apps/{}/users", o.app_id),
            Some(json!({"id": carol_id, "scope": "USER"})),
        )
        .await;
    let au = settled(&o.spoke_api, &o.app_id, carol_id).await;
    assert_eq!(au["syncState"], "ERROR", "{au}");
    let (_, tasks) = o
        .spoke_api
        .get(&format!("/api/v1/tasks?appId={}&status=OPEN", o.app_id))
        .await;
    let task_id = tasks[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(tasks[0]["lastError"]["code"], "provisioning.federated_user");

    // The hub's admin resets the password, converting the user to OKTA, and copies the link.
    let out = browser::run(
        "seed001_hub.mjs",
        &[
            ("ROSTER_URL", &o.hub.url),
            ("ADMIN_LOGIN", ADMIN),
            ("ADMIN_PASSWORD", ADMIN_PW),
            ("LOGIN", "carol.fed@example.com"),
        ],
    );
    let link = out["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/reset_password/", o.hub.url)),
        "{out}"
    );
    let (_, user) = o
        .hub_api
        .get(&format!("/api/v1/users/{hub_carol_id}"))
        .await;
    assert_eq!(user["credentials"]["provider"]["type"], "OKTA", "{user}");
    assert_eq!(user["status"], "RECOVERY", "{user}");
    let reset_events = o
        .hub_api
        .events("eventType eq \"user.account.reset_password\"")
        .await;
    assert_eq!(reset_events[0]["actor"]["type"], "User", "{reset_events:?}");
    assert_eq!(reset_events[0]["actor"]["alternateId"], ADMIN);

    // The spoke's admin retries the task in the console; it turns DONE.
    browser::run(
        "seed001_spoke.mjs",
        &[
            ("ROSTER_URL", &o.spoke.url),
            ("ADMIN_LOGIN", ADMIN),
            ("ADMIN_PASSWORD", ADMIN_PW),
            ("APP_ID", &o.app_id),
            ("TASK_ID", &task_id),
        ],
    );
    let au = settled(&o.spoke_api, &o.app_id, carol_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    assert_eq!(au["externalId"], hub_carol_id, "{au}");
    // The synced password now works on the hub.
    let authn = reqwest::Client::new()
        .post(format!("{}/api/v1/authn", o.hub.url))
        .json(&json!({"username": "carol.fed@example.com", "password": carol_pw}))
        .send()
        .await
        .unwrap();
    assert_eq!(authn.status(), 200);
    // No one-time token in either server's log.
    let token = link.rsplit('/').next().unwrap();
    assert!(!o.hub.stderr().contains(token));
    assert!(!o.spoke.stderr().contains(token));
}

/// SAP Identity Authentication's minimum password policy, in Okta's complexity shape.
fn ias_complexity() -> Value {
    json!({"minLength": 8, "maxLength": 255, "minCharacterGroups": 3,
           "minLowerCase": 0, "minUpperCase": 0, "minNumber": 0, "minSymbol": 0,
           "excludeUsername": false, "dictionary": {"common": {"exclude": false}}})
}

#[tokio::test]
async fn seed_002_previewed_fixed_and_retried_in_the_console() {
    let (target, target_api) = serve(Options::default());
    let (source, api) = serve(Options::default());
    create_admin(&source, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    let (_, policies) = target_api.get("/api/v1/policies?type=PASSWORD").await;
    let mut default = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["system"] == true)
        .cloned()
        .unwrap();
    default["settings"]["password"]["complexity"] = ias_complexity();
    let default_id = default["id"].as_str().unwrap().to_owned();
    target_api
        .ok(
            reqwest::Method::PUT,
            &format!("/api/v1/policies/{default_id}"),
            Some(default),
        )
        .await;
    let app = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/apps",
            Some(
                json!({"name": "scim2", "label": "IAS", "settings": {"app": {
                "baseUrl": format!("{}/scim/v2", target.url),
                "targetPasswordPolicy": {"complexity": ias_complexity()}}}}),
            ),
        )
        .await;
    let app_id = app["id"].as_str().unwrap().to_owned();
    api.ok(
        reqwest::Method::POST,
        &format!("/api/v1/apps/{app_id}/connections/default?activate=TRUE"),
        Some(json!({"profile": {"authScheme": "TOKEN", "token": target_api.token()}})),
    )
    .await;
    api.ok(
        reqwest::Method::PUT,
        &format!("/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
        Some(json!({"create": {"lifecycleCreate": {"status": "ENABLED"}},
                    "update": {"profile": {"status": "ENABLED"}}})),
    )
    .await;
    api.ok(
        reqwest::Method::PUT,
        &format!("/api/v1/apps/{app_id}/transformations"),
        Some(json!({"user": {"mappings": [
            {"constant": "urn:ietf:params:scim:schemas:core:2.0:User", "targetPath": "$.schemas[0]"},
            {"sourcePath": "$.profile.login", "targetPath": "$.userName"},
            {"sourcePath": "$.profile.firstName", "targetPath": "$.name.givenName"},
            {"sourcePath": "$.profile.lastName", "targetPath": "$.name.familyName"},
            {"sourcePath": "$.profile.email", "targetPath": "$.emails[0].value"},
            {"constant": true, "targetPath": "$.active"},
            {"sourcePath": "$.profile.firstName", "targetPath": "$.password", "scope": "createEntity"}
        ]}})),
    )
    .await;
    let john = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/users?activate=false",
            Some(
                json!({"profile": {"login": "john.doe@example.com", "email": "john.doe@example.com",
                                    "firstName": "John", "lastName": "Doe"}}),
            ),
        )
        .await;
    let john_id = john["id"].as_str().unwrap();
    api.ok(
        reqwest::Method::POST,
        &format!("/api/v1/apps/{app_id}/users"),
        Some(json!({"id": john_id})),
    )
    .await;
    assert_eq!(settled(&api, &app_id, john_id).await["syncState"], "ERROR");

    browser::run(
        "seed002.mjs",
        &[
            ("ROSTER_URL", &source.url),
            ("ADMIN_LOGIN", ADMIN),
            ("ADMIN_PASSWORD", ADMIN_PW),
            ("APP_ID", &app_id),
        ],
    );
    let au = settled(&api, &app_id, john_id).await;
    assert_eq!(au["syncState"], "SYNCHRONIZED", "{au}");
    let authn = reqwest::Client::new()
        .post(format!("{}/api/v1/authn", target.url))
        .json(&json!({"username": "john.doe@example.com", "password": "John7811!"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        authn.status(),
        200,
        "John signs in on the target with John7811!"
    );
    let saved = api
        .ok(
            reqwest::Method::GET,
            &format!("/api/v1/apps/{app_id}/transformations"),
            None,
        )
        .await;
    assert!(saved.to_string().contains("concatString"), "{saved}");
    for text in [source.stderr(), target.stderr()] {
        assert!(!text.contains("John7811!"), "the password reached a log");
    }
}

#[tokio::test]
async fn seed_003_turning_provisioning_off_is_refused_then_done_with_the_mappings() {
    let o = orgs().await;
    let group = o
        .spoke_api
        .ok(
            reqwest::Method::POST,
            "/api/v1/groups",
            Some(json!({"profile": {"name": "Sales", "description": "pushed to the hub"}})),
        )
        .await;
    let group_id = group["id"].as_str().unwrap();
    let mappings = format!("/api/v1/apps/{}/group-push/mappings", o.app_id);
    let m = o
        .spoke_api
        .ok(
            reqwest::Method::POST,
            &mappings,
            Some(json!({"sourceGroupId": group_id, "targetGroupName": "Sales Hub"})),
        )
        .await;
    assert_eq!(m["status"], "ACTIVE", "{m}");
    let mapping_id = m["mappingId"]
        .as_str()
        .or(m["id"].as_str())
        .unwrap()
        .to_owned();

    browser::run(
        "seed003.mjs",
        &[
            ("ROSTER_URL", &o.spoke.url),
            ("ADMIN_LOGIN", ADMIN),
            ("ADMIN_PASSWORD", ADMIN_PW),
            ("APP_ID", &o.app_id),
            ("GROUP_NAME", "Sales"),
        ],
    );
    let feature = o
        .spoke_api
        .ok(
            reqwest::Method::GET,
            &format!("/api/v1/apps/{}/features/USER_PROVISIONING", o.app_id),
            None,
        )
        .await;
    assert_eq!(feature["status"], "DISABLED", "{feature}");
    let m = o
        .spoke_api
        .ok(
            reqwest::Method::GET,
            &format!("{mappings}/{mapping_id}"),
            None,
        )
        .await;
    assert_eq!(m["status"], "INACTIVE", "{m}");
    drop(o.hub);
}

#[tokio::test]
async fn seed_004_the_log_query_shows_error_code_and_field_in_the_console() {
    let (server, api) = serve(Options::default());
    create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    let app = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "csv", "label": "HR file"})),
        )
        .await;
    let id = app["id"].as_str().unwrap();
    api.ok(
        reqwest::Method::PUT,
        &format!("/api/v1/apps/{id}/features/INBOUND_PROVISIONING"),
        Some(
            json!({"status": "ENABLED", "capabilities": {"importRules": {"userCreateAndMatch": {
            "exactMatchCriteria": "USERNAME", "autoConfirmExactMatch": true,
            "autoConfirmNewUsers": true, "autoActivateNewUsers": true}}}}),
        ),
    )
    .await;
    api.ok(
        reqwest::Method::PUT,
        &format!("/api/v1/apps/{id}/features/PROFILE_MASTERING"),
        Some(json!({"status": "ENABLED", "priority": 1, "onDeactivate": "DEACTIVATE"})),
    )
    .await;
    let first = "externalId,login,email,firstName,lastName,timezone,locale\n\
                 e1,eve@example.com,eve@example.com,Eve,Eden,,\n\
                 e2,fay@example.com,fay@example.com,Fay,Frost,,\n";
    api.import_csv(id, first).await;
    let second = "externalId,login,email,firstName,lastName,timezone,locale\n\
                  e1,eve@example.com,eve@example.com,Eve,Eden,Mars/Olympus,\n\
                  e2,fay@example.com,fay@example.com,Fay,Frost,,english\n";
    api.import_csv(id, second).await;

    let out = browser::run(
        "seed004.mjs",
        &[
            ("ROSTER_URL", &server.url),
            ("ADMIN_LOGIN", ADMIN),
            ("ADMIN_PASSWORD", ADMIN_PW),
        ],
    );
    assert_eq!(out["count"], 2, "{out}");
    let mut codes: Vec<String> = out["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "platform.cvd.profile.property.constraint.violation.localeFormat",
            "platform.cvd.profile.property.constraint.violation.timezone"
        ],
        "{out}"
    );
}

#[tokio::test]
async fn read_only_csrf_and_sign_out_hold_in_chromium() {
    let (server, api) = serve(Options::default());
    create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    create_admin(
        &server,
        "rita.readonly@example.com",
        ADMIN_PW,
        "READ_ONLY_ADMIN",
    );
    let user = api.create_user("tom@example.com", true).await;
    let id = user["id"].as_str().unwrap();
    browser::run(
        "access.mjs",
        &[
            ("ROSTER_URL", &server.url),
            ("ADMIN_LOGIN", ADMIN),
            ("ADMIN_PASSWORD", ADMIN_PW),
            ("RO_LOGIN", "rita.readonly@example.com"),
            ("RO_PASSWORD", ADMIN_PW),
            ("USER_ID", id),
        ],
    );
    let (_, after) = api.get(&format!("/api/v1/users/{id}")).await;
    assert_eq!(
        after["status"], user["status"],
        "no forged write went through"
    );
    assert_eq!(after["lastUpdated"], user["lastUpdated"]);
}
