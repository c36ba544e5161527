//! Imports from a real OpenLDAP (`slapd`, started by the test) into a real `roster serve`.
//!
//! Story 3 (seed 003): an LDAP app imports users and groups; another app (an Org2Org app to a
//! second Roster, the hub) pushes the imported group with Group Push, and its API token has been
//! revoked on the hub. Confirming and activating an imported user who joins the pushed group sets
//! off the push, which fails with the hub's 401: the import still completes, the user is ACTIVE,
//! the failure is a task on the pushing app that names the app, the mapping and the 401, and the
//! import lists it as a warning. A new token and a retry put the user in the hub group.
//!
//! Also: incremental imports read only what changed (`modifyTimestamp`), the bind password is
//! sealed and never shown, bad settings are refused before anything is saved, and removals
//! follow the profile source's `onDeactivate`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

#[path = "../../roster-sources/tests/support/slapd.rs"]
mod slapd;

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use slapd::{Slapd, SlapdOptions, GROUPS_DN, PEOPLE_DN, READER_DN, READER_PASSWORD};
use support::api::{serve, Api};
use support::{random_token, Options, Server};

fn start_slapd(ldif: &str) -> Slapd {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), ldif).unwrap();
    Slapd::start(SlapdOptions {
        tls: false,
        initial_ldif: Some(file.path().to_path_buf()),
        ad_schema: false,
    })
}

fn ldap_settings(slapd: &Slapd) -> Value {
    json!({
        "url": slapd.url,
        "bindDn": READER_DN,
        "bindPassword": READER_PASSWORD,
        "userBaseDn": PEOPLE_DN,
        "groupBaseDn": GROUPS_DN,
    })
}

async fn ldap_app(api: &Api, slapd: &Slapd, rules: Value) -> String {
    let app = api
        .ok(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "ldap", "label": "Corp LDAP", "settings": {"app": ldap_settings(slapd)}})),
        )
        .await;
    let id = app["id"].as_str().unwrap().to_owned();
    api.ok(
        Method::PUT,
        &format!("/api/v1/apps/{id}/features/INBOUND_PROVISIONING"),
        Some(json!({"capabilities": {"importRules": {"userCreateAndMatch": rules}}})),
    )
    .await;
    id
}

/// The hub group's members' ids.
async fn hub_members(hub: &Api, group_id: &str) -> BTreeSet<String> {
    let users = hub
        .ok(
            Method::GET,
            &format!("/api/v1/groups/{group_id}/users?limit=200"),
            None,
        )
        .await;
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_3_an_import_completes_while_another_apps_group_push_fails() {
    if !slapd::available_or_skip("story_3") {
        return;
    }
    let mut ldif = String::new();
    ldif.push_str(&slapd::person_ldif("bob", "Bob", "Baker"));
    ldif.push_str(&slapd::group_ldif("engineering", "Builds things", &["bob"]));
    let ldap = start_slapd(&ldif);

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
    let api = Api::new(&spoke, &spoke_admin);

    // A wrong bind password is refused before anything is saved, saying why.
    let mut wrong = ldap_settings(&ldap);
    wrong["bindPassword"] = json!("not-the-password");
    let (status, err) = api
        .post(
            "/api/v1/apps",
            json!({"name": "ldap", "label": "Corp LDAP", "settings": {"app": wrong}}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(
        err["errorCauses"][0]["reason"], "source_unauthorized",
        "{err}"
    );
    assert!(!err.to_string().contains("not-the-password"));
    // Every settings problem at once.
    let (status, err) = api
        .post("/api/v1/apps", json!({"name": "active_directory", "settings": {"app": {"url": "http://dc1", "bindDn": "reader"}}}))
        .await;
    assert_eq!(status, 400, "{err}");
    let locations: Vec<&str> = err["errorCauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["location"].as_str().unwrap())
        .collect();
    for field in [
        "settings.app.url",
        "settings.app.bindDn",
        "settings.app.bindPassword",
        "settings.app.userBaseDn",
        "settings.app.groupBaseDn",
    ] {
        assert!(locations.contains(&field), "{field} missing from {err}");
    }
    assert_eq!(api.ok(Method::GET, "/api/v1/apps", None).await, json!([]));

    // The LDAP app: every imported user waits for an administrator's confirmation.
    let app = ldap_app(
        &api,
        &ldap,
        json!({"exactMatchCriteria": "EMAIL",
        "autoConfirmNewUsers": false, "autoConfirmExactMatch": false}),
    )
    .await;
    let shown = api
        .ok(Method::GET, &format!("/api/v1/apps/{app}"), None)
        .await;
    assert_eq!(shown["settings"]["app"]["bindPasswordSet"], true);
    assert!(
        shown["settings"]["app"].get("bindPassword").is_none(),
        "{shown}"
    );
    let first = api.import(&app, "FULL").await;
    assert_eq!(first["status"], "COMPLETED", "{first}");
    assert_eq!(
        (
            first["counts"]["unmatched"].as_u64(),
            first["counts"]["groupsCreated"].as_u64()
        ),
        (Some(1), Some(1)),
        "{first}"
    );
    let job = first["id"].as_str().unwrap();
    let confirmed = api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app}/imports/{job}/confirm"),
            Some(json!({"all": true, "activate": true})),
        )
        .await;
    assert_eq!(confirmed["counts"]["confirmed"], 1, "{confirmed}");
    let bob = api
        .ok(Method::GET, "/api/v1/users/bob@example.com", None)
        .await;
    assert_eq!(bob["status"], "ACTIVE");
    assert_eq!(bob["credentials"]["provider"]["type"], "LDAP");
    let groups = api
        .ok(Method::GET, "/api/v1/groups?q=engineering", None)
        .await;
    let engineering = groups[0].clone();
    assert_eq!(engineering["type"], "APP_GROUP", "{engineering}");
    let engineering = engineering["id"].as_str().unwrap().to_owned();

    // Another app pushes the group to the hub: the group is assigned (its members are
    // provisioned) and pushed.
    let connection_token = hub.create_token("spoke-connection", "SUPER_ADMIN");
    let hub_app = api
        .ok(Method::POST, "/api/v1/apps", Some(json!({"name": "okta_org2org", "label": "Hub org", "settings": {"app": {"baseUrl": hub.url}}})))
        .await["id"].as_str().unwrap().to_owned();
    api.ok(
        Method::POST,
        &format!("/api/v1/apps/{hub_app}/connections/default?activate=TRUE"),
        Some(json!({"profile": {"authScheme": "TOKEN", "token": connection_token}})),
    )
    .await;
    api.ok(Method::PUT, &format!("/api/v1/apps/{hub_app}/features/USER_PROVISIONING"),
        Some(json!({"capabilities": {"create": {"lifecycleCreate": {"status": "ENABLED"}}, "update": {"profile": {"status": "ENABLED"}}}}))).await;
    api.ok(
        Method::PUT,
        &format!("/api/v1/apps/{hub_app}/groups/{engineering}"),
        Some(json!({})),
    )
    .await;
    let mapping = api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{hub_app}/group-push/mappings"),
            Some(json!({"sourceGroupId": engineering, "targetGroupName": "Engineering"})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pushed = api
        .until(
            &format!("/api/v1/apps/{hub_app}/group-push/mappings/{mapping}"),
            "the first Group Push",
            |m| m["targetGroupId"].is_string() && m["lastPush"].is_string(),
        )
        .await;
    let hub_group = pushed["targetGroupId"].as_str().unwrap().to_owned();
    let bob_on_hub = api
        .until(
            &format!(
                "/api/v1/apps/{hub_app}/users/{}",
                bob["id"].as_str().unwrap()
            ),
            "bob's push",
            |au| au["syncState"] == "SYNCHRONIZED",
        )
        .await["externalId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        hub_members(&hub_api, &hub_group).await,
        BTreeSet::from([bob_on_hub.clone()])
    );

    // The hub revokes the app's token: it has gone stale (seed 003).
    let tokens = hub_api.ok(Method::GET, "/api/v1/api-tokens", None).await;
    let stale = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "spoke-connection")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    hub_api
        .ok(Method::DELETE, &format!("/api/v1/api-tokens/{stale}"), None)
        .await;

    // Alice joins the company: she appears in the directory, in the pushed group.
    ldap.add(&slapd::person_ldif("alice", "Alice", "Archer"));
    ldap.modify(&format!("dn: cn=engineering,{GROUPS_DN}\nchangetype: modify\nadd: member\nmember: uid=alice,{PEOPLE_DN}\n"));
    let second = api.import(&app, "INCREMENTAL").await;
    assert_eq!(second["status"], "COMPLETED", "{second}");
    assert_eq!(second["type"], "INCREMENTAL");
    assert_eq!(second["counts"]["pendingConfirmation"], 1, "{second}");
    let job = second["id"].as_str().unwrap().to_owned();
    let pending = api
        .ok(
            Method::GET,
            &format!("/api/v1/apps/{app}/imports/{job}/users"),
            None,
        )
        .await;
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["match"], "NEW", "{pending}");
    assert_eq!(pending[0]["proposedLogin"], "alice@example.com");

    // Confirm and activate: the activation does not wait for, nor fail with, the Group Push.
    let ext = pending[0]["externalId"].as_str().unwrap();
    let confirmed = api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app}/imports/{job}/confirm"),
            Some(json!({"activate": true, "users": [{"externalId": ext, "action": "CREATE"}]})),
        )
        .await;
    assert_eq!(confirmed["status"], "COMPLETED", "{confirmed}");
    let alice_now = api
        .ok(Method::GET, "/api/v1/users/alice@example.com", None)
        .await;
    assert_eq!(alice_now["status"], "ACTIVE", "{alice_now}");
    let alice_id = alice_now["id"].as_str().unwrap().to_owned();
    let members = api
        .ok(
            Method::GET,
            &format!("/api/v1/groups/{engineering}/users"),
            None,
        )
        .await;
    assert!(
        members
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == alice_id.as_str()),
        "{members}"
    );

    // The push failed on the hub's 401: a task on the pushing app names the app, the mapping
    // and the 401, and the import lists it.
    let tasks = api
        .until(
            &format!("/api/v1/tasks?appId={hub_app}&status=OPEN"),
            "the Group Push task",
            |t| {
                t.as_array()
                    .is_some_and(|a| a.iter().any(|t| t["operation"] == "group.push"))
            },
        )
        .await;
    let task = tasks
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["operation"] == "group.push")
        .unwrap()
        .clone();
    assert_eq!(task["mappingId"], mapping.as_str(), "{task}");
    assert_eq!(task["lastError"]["targetStatus"], 401, "{task}");
    assert_eq!(task["groupPush"]["appLabel"], "Hub org");
    let summary = task["lastError"]["summary"].as_str().unwrap();
    assert!(
        summary.contains("Hub org") && summary.contains(&mapping),
        "{summary}"
    );
    let viewed = api
        .until(
            &format!("/api/v1/apps/{app}/imports/{job}"),
            "the subjob's failure on the job",
            |j| {
                j["subjobs"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["status"] == "FAILED"))
            },
        )
        .await;
    assert_eq!(viewed["status"], "COMPLETED");
    let warning = viewed["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "group_push_failed")
        .unwrap();
    assert_eq!(warning["mappingId"], mapping.as_str());
    assert_eq!(warning["taskId"], task["id"]);
    assert!(warning["message"].as_str().unwrap().contains("Hub org"));

    // The fix: a new token, then retry the app's tasks; alice joins the hub group.
    let fresh = hub.create_token("spoke-connection-2", "SUPER_ADMIN");
    api.ok(
        Method::POST,
        &format!("/api/v1/apps/{hub_app}/connections/default?activate=TRUE"),
        Some(json!({"profile": {"authScheme": "TOKEN", "token": fresh}})),
    )
    .await;
    api.ok(
        Method::POST,
        &format!("/api/v1/tasks/retry?appId={hub_app}"),
        None,
    )
    .await;
    let alice_on_hub = api
        .until(
            &format!("/api/v1/apps/{hub_app}/users/{alice_id}"),
            "alice's push",
            |au| au["syncState"] == "SYNCHRONIZED",
        )
        .await["externalId"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..200 {
        if hub_members(&hub_api, &hub_group).await
            == BTreeSet::from([bob_on_hub.clone(), alice_on_hub.clone()])
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        hub_members(&hub_api, &hub_group).await,
        BTreeSet::from([bob_on_hub, alice_on_hub])
    );

    // An incremental import with nothing changed reads nothing new.
    let quiet = api.import(&app, "INCREMENTAL").await;
    assert_eq!(quiet["status"], "COMPLETED", "{quiet}");
    assert_eq!(
        (
            quiet["counts"]["new"].as_u64(),
            quiet["counts"]["updated"].as_u64()
        ),
        (Some(0), Some(0)),
        "{quiet}"
    );
    // The bind password is in no log, event or answer of the spoke.
    let logs = api
        .ok(Method::GET, "/api/v1/logs?limit=1000", None)
        .await
        .to_string();
    assert!(!logs.contains(READER_PASSWORD));
    assert!(!spoke.stderr().contains(READER_PASSWORD));
    assert!(
        !support::contains(&support::all_bytes_under(&spoke.data_dir), READER_PASSWORD),
        "the bind password is stored in clear"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_source_updates_and_deactivates_what_the_directory_changes() {
    if !slapd::available_or_skip("ldap_profile_source") {
        return;
    }
    let mut ldif = String::new();
    for (uid, given, family) in [
        ("ann", "Ann", "Archer"),
        ("cid", "Cid", "Cooper"),
        ("dee", "Dee", "Dunn"),
        ("eli", "Eli", "Estes"),
        ("fox", "Fox", "Finch"),
    ] {
        ldif.push_str(&slapd::person_ldif(uid, given, family));
    }
    let ldap = start_slapd(&ldif);
    let (_server, api) = serve(Options::default());
    let app = ldap_app(&api, &ldap, json!({"autoConfirmNewUsers": true, "autoActivateNewUsers": true, "autoConfirmExactMatch": true})).await;
    api.ok(
        Method::PUT,
        &format!("/api/v1/apps/{app}/features/PROFILE_MASTERING"),
        Some(json!({"status": "ENABLED", "priority": 0, "onDeactivate": "SUSPEND"})),
    )
    .await;
    let first = api.import(&app, "FULL").await;
    assert_eq!(first["counts"]["new"], 5, "{first}");

    // A change in the directory reaches the profile through an incremental import, which reads
    // only the entries changed since the newest change the last import saw (modifyTimestamp,
    // at one-second resolution, compared with >=: that second is read again, unchanged).
    // slapadd gave every entry the same timestamp, so one change first moves that mark.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ldap.modify(&format!(
        "dn: uid=cid,{PEOPLE_DN}\nchangetype: modify\nadd: title\ntitle: Clerk\n"
    ));
    let warm = api.import(&app, "INCREMENTAL").await;
    assert_eq!(warm["counts"]["updated"], 1, "{warm}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    ldap.modify(&format!("dn: uid=ann,{PEOPLE_DN}\nchangetype: modify\nreplace: sn\nsn: Armstrong\n-\nadd: title\ntitle: Pilot\n"));
    let inc = api.import(&app, "INCREMENTAL").await;
    assert_eq!(inc["status"], "COMPLETED", "{inc}");
    assert_eq!(
        inc["counts"]["scanned"], 2,
        "only cid (the mark's second) and ann are read: {inc}"
    );
    assert_eq!(
        (
            inc["counts"]["updated"].as_u64(),
            inc["counts"]["unchanged"].as_u64()
        ),
        (Some(1), Some(1)),
        "{inc}"
    );
    let ann = api
        .ok(Method::GET, "/api/v1/users/ann@example.com", None)
        .await;
    assert_eq!(
        (
            ann["profile"]["lastName"].as_str(),
            ann["profile"]["title"].as_str()
        ),
        (Some("Armstrong"), Some("Pilot"))
    );

    // One of five removed (20%, not more): no safeguard; the user is suspended (onDeactivate).
    ldap.modify(&format!("dn: uid=fox,{PEOPLE_DN}\nchangetype: delete\n"));
    let full = api.import(&app, "FULL").await;
    assert_eq!(full["status"], "COMPLETED", "{full}");
    assert_eq!(
        (
            full["counts"]["removed"].as_u64(),
            full["counts"]["deactivated"].as_u64()
        ),
        (Some(1), Some(1)),
        "{full}"
    );
    let fox = api
        .ok(Method::GET, "/api/v1/users/fox@example.com", None)
        .await;
    assert_eq!(fox["status"], "SUSPENDED");
    // Back in the directory: unsuspended by the next full import.
    ldap.add(&slapd::person_ldif("fox", "Fox", "Finch"));
    let back = api.import(&app, "FULL").await;
    assert_eq!(back["counts"]["activated"], 1, "{back}");
    let fox = api
        .ok(Method::GET, "/api/v1/users/fox@example.com", None)
        .await;
    assert_eq!(fox["status"], "ACTIVE", "{fox}");
}

/// A 100,000-user directory (and 100 groups of 1,000) imports whole through paged searches,
/// with the reader account that slapd's default size limit would stop at 500 without paging;
/// importing it again changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100000_user_directory_imports_whole_and_again_unchanged() {
    if !slapd::available_or_skip("ldap_100k") {
        return;
    }
    const USERS: usize = 100_000;
    let mut ldif = slapd::people_ldif(USERS);
    for g in 0..100 {
        let members: Vec<String> = (g..USERS)
            .step_by(100)
            .map(|i| format!("user{i:06}"))
            .collect();
        let members: Vec<&str> = members.iter().map(String::as_str).collect();
        ldif.push_str(&slapd::group_ldif(
            &format!("team{g:03}"),
            "A team",
            &members,
        ));
    }
    let ldap = start_slapd(&ldif);
    let (_server, api) = serve(Options::default());
    let app = ldap_app(
        &api,
        &ldap,
        json!({"autoConfirmNewUsers": true, "autoActivateNewUsers": true}),
    )
    .await;

    let started = std::time::Instant::now();
    let done = api.import(&app, "FULL").await;
    eprintln!(
        "100,000 LDAP users imported in {:.1} s (debug build)",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let c = &done["counts"];
    assert_eq!(c["scanned"], USERS, "{done}");
    assert_eq!(c["new"], USERS, "{done}");
    assert_eq!(c["errors"], 0, "{done}");
    assert_eq!(c["groupsCreated"], 100, "{done}");
    assert_eq!(c["membershipsAdded"], USERS, "{done}");
    let last = api
        .ok(
            Method::GET,
            &format!("/api/v1/users/user{:06}@example.com", USERS - 1),
            None,
        )
        .await;
    assert_eq!(last["status"], "ACTIVE");
    assert_eq!(last["profile"]["lastName"], format!("Family{}", USERS - 1));
    let team = api.ok(Method::GET, "/api/v1/groups?q=team042", None).await;
    let members = api
        .ok(
            Method::GET,
            &format!(
                "/api/v1/groups/{}/users?limit=2000",
                team[0]["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(members.as_array().unwrap().len(), USERS / 100);

    let again = api.import(&app, "FULL").await;
    assert_eq!(again["status"], "COMPLETED", "{again}");
    assert_eq!(
        (
            again["counts"]["unchanged"].as_u64(),
            again["counts"]["new"].as_u64(),
            again["counts"]["removed"].as_u64()
        ),
        (Some(USERS as u64), Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(again["counts"]["membershipsAdded"], 0, "{again}");
}
