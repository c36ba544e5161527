//! Story 4 (seed 004), end to end: a CSV app is the profile source of its users. An import whose
//! rows carry the seed's bad values (a login already used, a login that is not an email, a
//! missing required attribute, a value over maxLength, a bad time zone, a bad locale) writes
//! exactly one `app.user_management.update_from_master_failed` event per bad row, with the
//! right `ErrorCode` and `ErrorField`, leaves those users unchanged and applies every good row;
//! the app user profiles hold what the source sent. Force Sync re-applies the source, source
//! priority decides between two sources, and the import safeguard pauses a full import that
//! would remove too many users. The CLI drives one of the imports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{json, Value};
use support::api::{serve, Api};
use support::{Options, PgDatabase, Server};

const FIRST_IMPORT: &str = "externalId,login,email,firstName,lastName,title,timezone,locale
e1,ann@example.com,ann@example.com,Ann,Archer,,,
e2,ben@example.com,ben@example.com,Ben,Baker,,,
e3,cat@example.com,cat@example.com,Cat,Cole,,,
e4,dan@example.com,dan@example.com,Dan,Dale,,,
e5,eve@example.com,eve@example.com,Eve,Eden,,,
e6,fay@example.com,fay@example.com,Fay,Frost,,,
e7,gus@example.com,gus@example.com,Gus,Gray,,,
e8,hal@example.com,hal@example.com,Hal,Hill,,,
";

/// The seed's six failures (e1..e6) and two good changes (e7, e8).
fn second_import() -> String {
    let long_name = "Bartholomew".repeat(6); // 66 characters: firstName allows 50
    format!(
        "externalId,login,email,firstName,lastName,title,timezone,locale
e1,someone.else@example.com,ann@example.com,Ann,Archer,Pilot,,
e2,ben at example.com,ben@example.com,Ben,Baker,Pilot,,
e3,cat@example.com,cat@example.com,Cat,,Pilot,,
e4,dan@example.com,dan@example.com,{long_name},Dale,Pilot,,
e5,eve@example.com,eve@example.com,Eve,Eden,Pilot,Mars/Olympus,
e6,fay@example.com,fay@example.com,Fay,Frost,Pilot,,english
e7,gus@example.com,gus@example.com,Gus,Gray,Engineer,America/Denver,en_US
e8,hal@example.com,hal@example.com,Hal,Hill,Chemist,Europe/Paris,fr_FR
"
    )
}

async fn csv_app(api: &Api, label: &str, priority: i64) -> String {
    let app = api
        .ok(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "csv", "label": label})),
        )
        .await;
    let id = app["id"].as_str().unwrap().to_owned();
    api.ok(
        Method::PUT,
        &format!("/api/v1/apps/{id}/features/INBOUND_PROVISIONING"),
        Some(
            json!({"status": "ENABLED", "capabilities": {"importRules": {"userCreateAndMatch": {
            "exactMatchCriteria": "USERNAME", "autoConfirmExactMatch": true,
            "autoConfirmNewUsers": true, "autoActivateNewUsers": true}}}}),
        ),
    )
    .await;
    api.ok(
        Method::PUT,
        &format!("/api/v1/apps/{id}/features/PROFILE_MASTERING"),
        Some(json!({"status": "ENABLED", "priority": priority, "onDeactivate": "DEACTIVATE"})),
    )
    .await;
    id
}

/// Users by the source record they are linked to (externalId -> user).
async fn users_by_record(api: &Api, app_id: &str) -> BTreeMap<String, Value> {
    let app_users = api
        .ok(
            Method::GET,
            &format!("/api/v1/apps/{app_id}/users?limit=100"),
            None,
        )
        .await;
    let mut out = BTreeMap::new();
    for au in app_users.as_array().unwrap() {
        if let Some(uid) = au["id"].as_str() {
            let user = api
                .ok(Method::GET, &format!("/api/v1/users/{uid}"), None)
                .await;
            out.insert(au["externalId"].as_str().unwrap().to_owned(), user);
        }
    }
    out
}

async fn story_4(server: &Server, api: &Api) {
    let app = csv_app(api, "HR file", 1).await;
    let first = api.import_csv(&app, FIRST_IMPORT).await;
    assert_eq!(first["status"], "COMPLETED", "{first}");
    assert_eq!(first["counts"]["new"], 8, "{first}");
    assert_eq!(first["counts"]["errors"], 0, "{first}");
    // A user the source does not know holds the login row e1 will ask for.
    api.create_user("someone.else@example.com", true).await;
    let before = users_by_record(api, &app).await;
    assert_eq!(before.len(), 8);

    // The second import goes through the CLI, with its progress bar and summary table.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), second_import()).unwrap();
    let out = std::process::Command::new(support::BIN)
        .args(["import", "--app", &app, "--file"])
        .arg(file.path())
        .args(["--wait", "--url", &server.url])
        .env("ROSTER_TOKEN", api.token())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "roster import failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains(": COMPLETED"), "{stdout}");
    let errors_row = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("errors"))
        .unwrap();
    assert!(errors_row.trim_end().ends_with(" 6"), "{stdout}");

    // Exactly one event per bad row, with the seed's code and field.
    let events = api
        .events(r#"eventType eq "app.user_management.update_from_master_failed""#)
        .await;
    let mut got: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            let d = &e["debugContext"]["debugData"];
            (
                d["externalId"].as_str().unwrap().to_owned(),
                d["ErrorCode"].as_str().unwrap().to_owned(),
                d["ErrorField"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, String)> = [
        ("e1", "notUniqueWithinOrg", "login"),
        ("e2", "invalidLoginEmail", "login"),
        (
            "e3",
            "platform.cvd.profile.property.constraint.violation.required",
            "lastName",
        ),
        (
            "e4",
            "platform.cvd.profile.property.constraint.violation.maxLength",
            "firstName",
        ),
        (
            "e5",
            "platform.cvd.profile.property.constraint.violation.timezone",
            "timezone",
        ),
        (
            "e6",
            "platform.cvd.profile.property.constraint.violation.localeFormat",
            "locale",
        ),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(got, want, "{events:#?}");
    for e in &events {
        // The event names the user that stayed as it was, and the fix.
        assert_eq!(e["target"][1]["type"], "User", "{e}");
        assert!(!e["debugContext"]["debugData"]["remediation"]
            .as_str()
            .unwrap()
            .is_empty());
        assert_eq!(e["outcome"]["result"], "FAILURE");
    }

    // The bad rows' users are unchanged, the good rows applied.
    let after = users_by_record(api, &app).await;
    for ext in ["e1", "e2", "e3", "e4", "e5", "e6"] {
        assert_eq!(
            after[ext]["profile"], before[ext]["profile"],
            "{ext} changed"
        );
        assert_eq!(
            after[ext]["lastUpdated"], before[ext]["lastUpdated"],
            "{ext} was written"
        );
    }
    assert_eq!(after["e7"]["profile"]["title"], "Engineer");
    assert_eq!(after["e7"]["profile"]["timezone"], "America/Denver");
    assert_eq!(after["e8"]["profile"]["locale"], "fr_FR");
    // The app user profile holds what the source sent, bad values included (the seed's
    // "Attributes on the AppUser profile are correct").
    let app_users = api
        .ok(
            Method::GET,
            &format!("/api/v1/apps/{app}/users?limit=100"),
            None,
        )
        .await;
    let e5 = app_users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["externalId"] == "e5")
        .unwrap();
    assert_eq!(e5["profile"]["timezone"], "Mars/Olympus");
    // A successful update is logged with its changes.
    let updates = api
        .events(&format!(
            r#"eventType eq "user.account.update_profile" and target.id eq "{}""#,
            after["e7"]["id"].as_str().unwrap()
        ))
        .await;
    let change = &updates.last().unwrap()["debugContext"]["debugData"];
    assert_eq!(change["source"], "PROFILE_MASTERING");
    assert_eq!(change["changes"]["title"]["to"], "Engineer");

    // Force Sync re-applies the source's values over an administrator's edit.
    let gus = after["e7"]["id"].as_str().unwrap();
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{gus}"),
        Some(json!({"profile": {"title": "Manager"}})),
    )
    .await;
    let sync = api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app}/imports"),
            Some(json!({"type": "FULL", "forceSync": true})),
        )
        .await;
    let sync = api.import_done(&app, sync["id"].as_str().unwrap()).await;
    assert_eq!(sync["status"], "COMPLETED", "{sync}");
    assert_eq!(sync["forceSync"], true);
    let gus_now = api
        .ok(Method::GET, &format!("/api/v1/users/{gus}"), None)
        .await;
    assert_eq!(gus_now["profile"]["title"], "Engineer");

    // Source priority: a second source with a higher priority (0) wins the title of e8's user.
    let payroll = csv_app(api, "Payroll", 0).await;
    let payroll_import = api
        .import_csv(
            &payroll,
            "externalId,login,title\np8,hal@example.com,Chief Chemist\n",
        )
        .await;
    assert_eq!(
        payroll_import["counts"]["matchedExact"], 1,
        "{payroll_import}"
    );
    let hal = after["e8"]["id"].as_str().unwrap();
    let hal_now = api
        .ok(Method::GET, &format!("/api/v1/users/{hal}"), None)
        .await;
    assert_eq!(hal_now["profile"]["title"], "Chief Chemist");
    // The HR file changes e8's title again: the higher-priority source still decides it, while
    // HR's other attributes apply.
    let hr_again =
        second_import().replace("Chemist,Europe/Paris,fr_FR", "Alchemist,Europe/Rome,it_IT");
    let job = api.import_csv(&app, &hr_again).await;
    assert_eq!(job["status"], "COMPLETED", "{job}");
    let hal_now = api
        .ok(Method::GET, &format!("/api/v1/users/{hal}"), None)
        .await;
    assert_eq!(hal_now["profile"]["title"], "Chief Chemist");
    assert_eq!(hal_now["profile"]["timezone"], "Europe/Rome");

    // The filter lists exactly the failures: six from the second import and six from Force
    // Sync (the rows are still bad); the last import skipped those rows, unchanged since.
    let failed = api
        .events(r#"eventType eq "app.user_management.update_from_master_failed""#)
        .await;
    assert_eq!(failed.len(), 12);
    let stderr = server.stderr();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_4_profile_source_updates_are_validated_row_by_row_on_sqlite() {
    let (server, api) = serve(Options::default());
    story_4(&server, &api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn story_4_profile_source_updates_are_validated_row_by_row_on_postgres() {
    let db = PgDatabase::create().await;
    let (server, api) = serve(Options {
        database_url: Some(db.url.clone()),
        ..Options::default()
    });
    story_4(&server, &api).await;
    drop(server);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_import_safeguard_pauses_a_full_import_that_would_remove_too_many_users() {
    let (_server, api) = serve(Options::default());
    let app = csv_app(&api, "Contractors", 0).await;
    let all: String = std::iter::once("externalId,login,email,firstName,lastName\n".to_owned())
        .chain((0..10).map(|i| format!("c{i},c{i}@example.com,c{i}@example.com,C{i},Contractor\n")))
        .collect();
    assert_eq!(api.import_csv(&app, &all).await["counts"]["new"], 10);
    // Three of ten gone (30% > 20%): paused before removing anyone.
    let seven: String = all.lines().take(8).map(|l| format!("{l}\n")).collect();
    let paused = api.import_csv(&app, &seven).await;
    assert_eq!(paused["status"], "PAUSED", "{paused}");
    assert_eq!(
        paused["safeguard"],
        json!({"removals": 3, "assigned": 10, "percent": 20})
    );
    assert!(paused["warnings"].to_string().contains("import_safeguard"));
    // Paused, the app runs no other import.
    let (status, busy) = api
        .post_csv(&format!("/api/v1/apps/{app}/imports"), &all)
        .await;
    assert_eq!(status, 409, "{busy}");
    assert_eq!(busy["errorCode"], "E0000112");
    // Cancelled: nobody was removed.
    let job = paused["id"].as_str().unwrap();
    let cancelled = api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app}/imports/{job}/cancel"),
            None,
        )
        .await;
    assert_eq!(cancelled["status"], "CANCELLED");
    let active = api
        .events(r#"eventType eq "user.lifecycle.deactivate""#)
        .await;
    assert!(active.is_empty());
    // An INCREMENTAL import of the same short file removes nothing at all.
    let incremental = api
        .post_csv(
            &format!("/api/v1/apps/{app}/imports?type=INCREMENTAL"),
            &seven,
        )
        .await
        .1;
    let incremental = api
        .import_done(&app, incremental["id"].as_str().unwrap())
        .await;
    assert_eq!(
        (
            incremental["status"].as_str(),
            incremental["counts"]["removed"].as_u64()
        ),
        (Some("COMPLETED"), Some(0))
    );
    // Again as FULL, paused again; resumed, the three are removed and deactivated
    // (onDeactivate DEACTIVATE).
    let paused = api.import_csv(&app, &seven).await;
    assert_eq!(paused["status"], "PAUSED");
    let job = paused["id"].as_str().unwrap();
    let resumed = api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app}/imports/{job}/resume"),
            None,
        )
        .await;
    assert_eq!(resumed["status"], "RUNNING", "{resumed}");
    let resumed = api.import_done(&app, job).await;
    assert_eq!(resumed["status"], "COMPLETED", "{resumed}");
    assert_eq!(resumed["counts"]["removed"], 3);
    assert_eq!(resumed["counts"]["deactivated"], 3);
    for i in 7..10 {
        let u = api
            .ok(
                Method::GET,
                &format!("/api/v1/users/c{i}@example.com"),
                None,
            )
            .await;
        assert_eq!(u["status"], "DEPROVISIONED", "{u}");
    }
    let u = api
        .ok(Method::GET, "/api/v1/users/c6@example.com", None)
        .await;
    assert_ne!(u["status"], "DEPROVISIONED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_rows_wait_for_confirmation_and_bad_requests_are_explained() {
    let (server, api) = serve(Options::default());
    let app = api
        .ok(
            Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "csv", "label": "Partners"})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Partial matching on, nothing auto-confirmed.
    api.ok(
        Method::PUT,
        &format!("/api/v1/apps/{app}/features/INBOUND_PROVISIONING"),
        Some(
            json!({"capabilities": {"importRules": {"userCreateAndMatch": {
            "exactMatchCriteria": "EMAIL", "allowPartialMatch": true}}}}),
        ),
    )
    .await;
    let kim = api.create_user("kim.park@example.com", false).await;
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{}", kim["id"].as_str().unwrap()),
        Some(json!({"profile": {"firstName": "Kim", "lastName": "Park"}})),
    )
    .await;
    let lee = api.create_user("LEE@Example.com", false).await;
    let csv = "externalId,login,email,firstName,lastName
p1,lee.x@partner.com,lee@example.com,Lee,Example
p2,kim@partner.com,kim@partner.com,KIM,park
p3,new@partner.com,new@partner.com,New,Person
p4,skip@partner.com,skip@partner.com,Skip,Me
";
    let job = api.import_csv(&app, csv).await;
    assert_eq!(job["status"], "COMPLETED", "{job}");
    assert_eq!(job["counts"]["pendingConfirmation"], 4, "{job}");
    assert_eq!(job["counts"]["new"], 0);
    let job_id = job["id"].as_str().unwrap();
    let pending = api
        .ok(
            Method::GET,
            &format!("/api/v1/apps/{app}/imports/{job_id}/users"),
            None,
        )
        .await;
    let by_ext: BTreeMap<String, Value> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["externalId"].as_str().unwrap().to_owned(), p.clone()))
        .collect();
    // Email matches without case; names match partially.
    assert_eq!(by_ext["p1"]["match"], "EXACT");
    assert_eq!(by_ext["p1"]["candidates"][0]["id"], lee["id"]);
    assert_eq!(by_ext["p2"]["match"], "PARTIAL");
    assert_eq!(by_ext["p2"]["candidates"][0]["id"], kim["id"]);
    assert_eq!(by_ext["p3"]["match"], "NEW");

    // Confirming a record that is not waiting is refused, naming it; nothing happens.
    let (status, err) = api
        .post(
            &format!("/api/v1/apps/{app}/imports/{job_id}/confirm"),
            json!({"users": [{"externalId": "nope", "action": "LINK"}]}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        err["errorCauses"][0]["location"], "users[0].externalId",
        "{err}"
    );
    let confirmed = api
        .ok(
            Method::POST,
            &format!("/api/v1/apps/{app}/imports/{job_id}/confirm"),
            Some(json!({"activate": true, "users": [
                {"externalId": "p1", "action": "LINK"},
                {"externalId": "p2", "action": "LINK"},
                {"externalId": "p3", "action": "CREATE"},
                {"externalId": "p4", "action": "IGNORE"}]})),
        )
        .await;
    assert_eq!(confirmed["counts"]["confirmed"], 4, "{confirmed}");
    assert_eq!(confirmed["counts"]["pendingConfirmation"], 0);
    let lee_now = api
        .ok(
            Method::GET,
            &format!("/api/v1/users/{}", lee["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(
        lee_now["status"], "PROVISIONED",
        "activated, waiting for its password: {lee_now}"
    );
    let new = api
        .ok(Method::GET, "/api/v1/users/new@partner.com", None)
        .await;
    assert_eq!(new["status"], "PROVISIONED");
    let (status, _) = api.get("/api/v1/users/skip@partner.com").await;
    assert_eq!(status, 404);
    // The waiting list is empty now, and the ignored record stays ignored on the next import.
    let pending = api
        .ok(
            Method::GET,
            &format!("/api/v1/apps/{app}/imports/{job_id}/users"),
            None,
        )
        .await;
    assert_eq!(pending, json!([]));
    let again = api.import_csv(&app, csv).await;
    assert_eq!(again["counts"]["pendingConfirmation"], 0, "{again}");
    assert_eq!(again["counts"]["unchanged"], 4, "{again}");

    // Bad requests: each a 400 naming the field, with a remediation.
    for (body, field) in [
        (
            json!({"capabilities": {"importSettings": {"username": {"userNameFormat": "SHOUTING"}}}}),
            "capabilities.importSettings.username.userNameFormat",
        ),
        (
            json!({"capabilities": {"importSettings": {"safeguard": {"percent": 0}}}}),
            "capabilities.importSettings.safeguard.percent",
        ),
        (
            json!({"capabilities": {"importRules": {"userCreateAndMatch": {"exactMatchCriteria": 7}}}}),
            "capabilities.importRules.userCreateAndMatch.exactMatchCriteria",
        ),
    ] {
        let (status, err) = api
            .put(
                &format!("/api/v1/apps/{app}/features/INBOUND_PROVISIONING"),
                body,
            )
            .await;
        assert_eq!(status, 400, "{err}");
        assert!(
            err["errorCauses"][0]["errorSummary"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{err}"
        );
        assert!(!err["remediation"].as_str().unwrap().is_empty());
    }
    let (status, err) = api
        .put(
            &format!("/api/v1/apps/{app}/features/PROFILE_MASTERING"),
            json!({"onDeactivate": "EXPLODE"}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = api
        .put(
            &format!("/api/v1/apps/{app}/features/USER_PROVISIONING"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404, "a CSV app pushes nothing: {err}");
    let (status, err) = api
        .post(
            &format!("/api/v1/apps/{app}/imports"),
            json!({"type": "SIDEWAYS"}),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = api
        .post(&format!("/api/v1/apps/{app}/imports"), json!({}))
        .await;
    assert_eq!(status, 400, "a CSV app needs its file: {err}");
    assert!(err["remediation"].as_str().unwrap().contains("text/csv"));
    let (status, err) = api
        .post_csv(&format!("/api/v1/apps/{app}/imports"), "")
        .await;
    assert_eq!(status, 400, "{err}");
    // A file without an id column fails the job with the reason; nothing is imported.
    let failed = api.import_csv(&app, "name,colour\nx,blue\n").await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["error"]["code"], "source_invalid_data");
    assert!(failed["error"]["summary"]
        .as_str()
        .unwrap()
        .contains("no id column"));
    let stderr = server.stderr();
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_over_the_limit_is_refused_and_secret_columns_are_never_kept() {
    let (server, api) = serve(Options {
        env: vec![("ROSTER_IMPORT_MAX_BYTES".into(), "2000".into())],
        ..Options::default()
    });
    let app = csv_app(&api, "Limited", 0).await;
    let big: String = std::iter::once("externalId,login\n".to_owned())
        .chain((0..200).map(|i| format!("x{i},x{i}@example.com\n")))
        .collect();
    let (status, err) = api
        .post_csv(&format!("/api/v1/apps/{app}/imports"), &big)
        .await;
    assert_eq!(status, 413, "{err}");
    assert_eq!(err["errorCode"], "E0000003", "{err}");
    assert!(api
        .ok(Method::GET, &format!("/api/v1/apps/{app}/imports"), None)
        .await
        .as_array()
        .unwrap()
        .is_empty());
    // Nothing of the refused upload is left behind in the upload directory.
    let uploads = server.data_dir.join("uploads");
    let left = std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "files left in {}", uploads.display());

    // A password column is neither a profile attribute nor kept on the app user.
    let job = api
        .import_csv(&app, "externalId,login,email,firstName,lastName,password\ns1,sam@example.com,sam@example.com,Sam,Stone,Hunter2-Secret!\n")
        .await;
    assert_eq!(job["counts"]["new"], 1, "{job}");
    let app_users = api
        .ok(Method::GET, &format!("/api/v1/apps/{app}/users"), None)
        .await;
    assert!(
        !app_users.to_string().contains("Hunter2-Secret!"),
        "{app_users}"
    );
    assert!(!support::contains(
        &support::all_bytes_under(&server.data_dir),
        "Hunter2-Secret!"
    ));
    assert_eq!(
        std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0),
        0,
        "the upload was kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unique_custom_attribute_is_unique_across_an_import_too() {
    let (_server, api) = serve(Options::default());
    api.ok(
        Method::POST,
        "/api/v1/meta/schemas/user/default",
        Some(json!({"definitions": {"custom": {"properties": {
            "badge": {"title": "Badge", "type": "string", "unique": "UNIQUE_VALIDATED"}}}}})),
    )
    .await;
    let app = csv_app(&api, "Badges", 0).await;
    let existing = api.create_user("old@example.com", true).await;
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{}", existing["id"].as_str().unwrap()),
        Some(json!({"profile": {"badge": "B-1"}})),
    )
    .await;
    let job = api
        .import_csv(
            &app,
            "externalId,login,email,firstName,lastName,badge
n1,new1@example.com,new1@example.com,New,One,B-1
n2,new2@example.com,new2@example.com,New,Two,B-2
n3,new3@example.com,new3@example.com,New,Three,B-2
",
        )
        .await;
    assert_eq!(job["counts"]["new"], 1, "{job}");
    assert_eq!(job["counts"]["errors"], 2, "{job}");
    let fields: Vec<(&str, &str, &str)> = job["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["externalId"].as_str().unwrap(),
                e["code"].as_str().unwrap(),
                e["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("n1", "notUniqueWithinOrg", "badge"),
            ("n3", "notUniqueWithinOrg", "badge")
        ]
    );
    let failed = api
        .events(r#"eventType eq "app.user_management.import_user_failed""#)
        .await;
    assert_eq!(failed.len(), 2);
}
