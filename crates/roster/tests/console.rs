//! The admin console over HTTP, as a browser would use it but without one: admin roles, sign-in
//! and its refusals, sessions and what ends them, CSRF, the READ_ONLY_ADMIN role, escaping,
//! security headers, error pages, and that console changes write the API's System Log events
//! with the admin as the actor. Chromium tests of the seeds are in `console_browser.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{json, Value};
use support::api::{serve, urlencode, Api};
use support::console::{create_admin, Console};
use support::Options;

const ADMIN: &str = "ada.admin@example.com";
const ADMIN_PW: &str = "Correct-Horse-42!";

async fn user_with_password(api: &Api, login: &str, first: &str, password: &str) -> Value {
    api.ok(
        reqwest::Method::POST,
        "/api/v1/users?activate=true",
        Some(json!({
            "profile": {"login": login, "email": login, "firstName": first, "lastName": "Example"},
            "credentials": {"password": {"value": password}}
        })),
    )
    .await
}

#[tokio::test]
async fn admin_roles_api_grants_lists_and_revokes_in_oktas_shape() {
    let (server, api) = serve(Options::default());
    let user = user_with_password(&api, "rolf@example.com", "Rolf", "Lantern-Fish-77").await;
    let id = user["id"].as_str().unwrap();
    let (status, role) = api
        .post(
            &format!("/api/v1/users/{id}/roles"),
            json!({"type": "READ_ONLY_ADMIN"}),
        )
        .await;
    assert_eq!(status, 201, "{role}");
    assert_eq!(role["type"], "READ_ONLY_ADMIN");
    assert_eq!(role["status"], "ACTIVE");
    assert_eq!(role["assignmentType"], "USER");
    assert!(role["id"].as_str().unwrap().starts_with("ra1"), "{role}");
    let (status, again) = api
        .post(
            &format!("/api/v1/users/{id}/roles"),
            json!({"type": "READ_ONLY_ADMIN"}),
        )
        .await;
    assert_eq!(status, 200, "granting a held role answers it: {again}");
    assert_eq!(again["id"], role["id"]);
    let (status, bad) = api
        .post(
            &format!("/api/v1/users/{id}/roles"),
            json!({"type": "KING"}),
        )
        .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["errorCode"], "E0000001");
    assert_eq!(bad["errorCauses"][0]["location"], "type");

    // Only a SUPER_ADMIN may grant.
    let read_only = server.create_token("auditor", "READ_ONLY_ADMIN");
    let ro = Api::new(&server, &read_only);
    let (status, denied) = ro
        .post(
            &format!("/api/v1/users/{id}/roles"),
            json!({"type": "SUPER_ADMIN"}),
        )
        .await;
    assert_eq!(status, 403, "{denied}");

    let (status, list) = api.get(&format!("/api/v1/users/{id}/roles")).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let events = api
        .events("eventType eq \"user.account.privilege.grant\"")
        .await;
    assert_eq!(events.len(), 1, "one grant, one event: {events:?}");
    assert_eq!(events[0]["target"][0]["id"], id);

    let role_id = role["id"].as_str().unwrap();
    let (status, _) = api
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{id}/roles/{role_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (_, list) = api.get(&format!("/api/v1/users/{id}/roles")).await;
    assert_eq!(list, json!([]));
    let (status, gone) = api
        .send(
            reqwest::Method::DELETE,
            &format!("/api/v1/users/{id}/roles/{role_id}"),
            None,
        )
        .await;
    assert_eq!(status, 404, "{gone}");
    assert_eq!(
        api.events("eventType eq \"user.account.privilege.revoke\"")
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn sign_in_checks_the_password_the_role_and_the_form() {
    let (server, api) = serve(Options::default());
    create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    user_with_password(&api, "nora@example.com", "Nora", "Lantern-Fish-77").await;

    // No session: the console sends the browser to sign in, and back afterwards.
    let mut anon = Console::new(&server);
    let page = anon.get("/admin/users?q=ada").await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("/admin/login?next=/admin/users%3Fq%3Dada")
    );

    // Wrong password and unknown user: the same answer.
    let wrong = anon.sign_in(ADMIN, "not-the-password").await;
    let unknown = anon.sign_in("nobody@example.com", "not-the-password").await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert!(wrong.html.contains("the username or password is not right"));
    assert!(unknown
        .html
        .contains("the username or password is not right"));
    assert!(!anon.cookies.contains_key("roster_admin"));

    // A right password without an admin role does not open the console.
    let not_admin = anon.sign_in("nora@example.com", "Lantern-Fish-77").await;
    assert_eq!(not_admin.status, 403);
    assert!(not_admin.html.contains("does not hold an admin role"));
    assert!(!anon.cookies.contains_key("roster_admin"));

    // A sign-in form posted without its CSRF cookie is refused.
    let mut forged = Console::new(&server);
    let page = forged
        .post(
            "/admin/login",
            &[("username", ADMIN), ("password", ADMIN_PW), ("_csrf", "x")],
        )
        .await;
    assert_eq!(page.status, 403);
    assert!(!forged.cookies.contains_key("roster_admin"));

    // The admin gets in; the cookie is HttpOnly and SameSite=Lax, scoped to /admin.
    let mut c = Console::new(&server);
    let ok = c.sign_in(ADMIN, ADMIN_PW).await;
    assert_eq!(ok.status, 303, "{}", ok.html);
    let cookie = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("roster_admin="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/admin"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http public URL: {cookie}"
    );
    let dash = c.get("/admin").await;
    assert_eq!(dash.status, 200);
    let csp = dash.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(dash.headers["referrer-policy"], "same-origin");
    assert!(!dash.html.contains("<script>"), "no inline script");

    // The System Log has the console sign-in.
    let events = api
        .events("eventType eq \"user.session.access_admin_app\"")
        .await;
    assert!(
        events
            .iter()
            .any(|e| e["outcome"]["result"] == "SUCCESS" && e["target"][0]["alternateId"] == ADMIN),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e["outcome"]["result"] == "FAILURE"
            && e["target"][0]["alternateId"] == "nora@example.com"),
        "{events:?}"
    );
    drop(server);
}

async fn status_of(api: &Api, id: &str) -> Value {
    api.get(&format!("/api/v1/users/{id}")).await.1["status"].clone()
}

#[tokio::test]
async fn console_changes_need_the_csrf_token_and_the_super_admin_role() {
    let (server, api) = serve(Options::default());
    let admin_id = create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    create_admin(
        &server,
        "rita.readonly@example.com",
        ADMIN_PW,
        "READ_ONLY_ADMIN",
    );
    let target = user_with_password(&api, "tom@example.com", "Tom", "Lantern-Fish-77").await;
    let tid = target["id"].as_str().unwrap();

    let mut c = Console::signed_in(&server, ADMIN, ADMIN_PW).await;
    let page = c.get(&format!("/admin/users/{tid}")).await;
    assert_eq!(page.status, 200);
    assert!(page
        .html
        .contains(&format!("/admin/users/{tid}/lifecycle/suspend")));
    let csrf = page.csrf();

    // Without the token, and with a wrong one: 403, nothing changes.
    let path = format!("/admin/users/{tid}/lifecycle/suspend");
    let none = c.post(&path, &[]).await;
    assert_eq!(none.status, 403, "{}", none.html);
    assert!(none.html.contains("CSRF"));
    let wrong = c.post(&path, &[("_csrf", "0123456789abcdef")]).await;
    assert_eq!(wrong.status, 403);
    assert_eq!(status_of(&api, tid).await, "ACTIVE");

    // With it: done, with the API's event and the admin as the actor.
    let done = c.post(&path, &[("_csrf", &csrf)]).await;
    assert_eq!(done.status, 303, "{}", done.html);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("/admin/users/{tid}").as_str())
    );
    assert_eq!(status_of(&api, tid).await, "SUSPENDED");
    let after = c.get(&format!("/admin/users/{tid}")).await;
    assert!(after.html.contains("Suspend: done"), "the flash shows once");
    let again = c.get(&format!("/admin/users/{tid}")).await;
    assert!(!again.html.contains("Suspend: done"), "and only once");
    let events = api.events("eventType eq \"user.lifecycle.suspend\"").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"]["type"], "User");
    assert_eq!(events[0]["actor"]["id"], admin_id);
    assert_eq!(events[0]["actor"]["alternateId"], ADMIN);

    // A lifecycle change the status does not allow is shown with the API's error, not a 500.
    let refused = c
        .post(
            &format!("/admin/users/{tid}/lifecycle/suspend"),
            &[("_csrf", &csrf)],
        )
        .await;
    let (api_status, api_err) = api
        .post(&format!("/api/v1/users/{tid}/lifecycle/suspend"), json!({}))
        .await;
    assert_eq!(
        refused.status, api_status,
        "the API's status: {}",
        refused.html
    );
    let code = api_err["errorCode"].as_str().unwrap();
    assert!(
        refused.html.contains(code),
        "the API's code {code}: {}",
        refused.html
    );
    assert!(refused.html.contains("SUSPENDED"));

    // READ_ONLY_ADMIN: sees the user, no write controls, and a forged write is 403.
    let mut ro = Console::signed_in(&server, "rita.readonly@example.com", ADMIN_PW).await;
    let page = ro.get(&format!("/admin/users/{tid}")).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("tom@example.com"));
    assert!(!page.html.contains("/lifecycle/"), "no write controls");
    let ro_csrf = page.csrf();
    let forged = ro
        .post(
            &format!("/admin/users/{tid}/lifecycle/unsuspend"),
            &[("_csrf", &ro_csrf)],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    assert!(forged.html.contains("READ_ONLY_ADMIN"));
    assert_eq!(status_of(&api, tid).await, "SUSPENDED");

    // Unknown ids are a 404 page.
    let missing = c.get("/admin/users/00uDoesNotExist000000").await;
    assert_eq!(missing.status, 404);
    assert!(missing.html.contains("E0000007"));
    assert!(missing.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let nowhere = c.get("/admin/no/such/page").await;
    assert_eq!(nowhere.status, 404);
    drop(server);
}

#[tokio::test]
async fn values_are_escaped_everywhere_they_are_shown() {
    let (server, api) = serve(Options::default());
    create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    let payload = "<img src=x onerror=alert(1)>";
    let user = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/users?activate=false",
            Some(
                json!({"profile": {"login": "xss@example.com", "email": "xss@example.com",
                                    "firstName": payload, "lastName": "\"quoted\" & 'single'"}}),
            ),
        )
        .await;
    let id = user["id"].as_str().unwrap();
    let mut c = Console::signed_in(&server, ADMIN, ADMIN_PW).await;
    for path in [
        "/admin/users".to_owned(),
        format!("/admin/users/{id}"),
        format!("/admin/users?q={}", urlencode(payload)),
        format!(
            "/admin/users?search={}",
            urlencode(&format!("profile.firstName eq \"{payload}\""))
        ),
        "/admin".to_owned(),
    ] {
        let page = c.get(&path).await;
        assert!(page.status == 200, "{path}: {}", page.status);
        assert!(!page.html.contains(payload), "{path} shows the raw value");
        assert!(!page.html.contains("<img"), "{path} has an img tag");
    }
    let page = c.get(&format!("/admin/users/{id}")).await;
    assert!(
        page.html.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "shown as text"
    );
    assert!(page
        .html
        .contains("&#34;quoted&#34; &#38; &#39;single&#39;"));
    drop(server);
}

#[tokio::test]
async fn sessions_end_with_logout_role_removal_deactivation_and_password_change() {
    let (server, api) = serve(Options::default());
    let admin_id = create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    let other_id = create_admin(&server, "otto@example.com", ADMIN_PW, "READ_ONLY_ADMIN");
    let third_id = create_admin(&server, "thea@example.com", ADMIN_PW, "READ_ONLY_ADMIN");

    // Logout ends the session: the old cookie no longer opens anything.
    let mut c = Console::signed_in(&server, ADMIN, ADMIN_PW).await;
    let kept = c.cookies.clone();
    let csrf = c.get("/admin").await.csrf();
    let out = c.post("/admin/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(out.status, 200);
    assert!(out.html.contains("You are signed out"));
    c.cookies = kept;
    assert_eq!(c.get("/admin").await.status, 303, "the old cookie is dead");
    assert_eq!(
        api.events("eventType eq \"user.session.end\"").await.len(),
        1
    );

    // Role removal ends the session at once.
    let mut o = Console::signed_in(&server, "otto@example.com", ADMIN_PW).await;
    assert_eq!(o.get("/admin").await.status, 200);
    let (_, roles) = api.get(&format!("/api/v1/users/{other_id}/roles")).await;
    let role_id = roles[0]["id"].as_str().unwrap();
    api.send(
        reqwest::Method::DELETE,
        &format!("/api/v1/users/{other_id}/roles/{role_id}"),
        None,
    )
    .await;
    assert_eq!(o.get("/admin").await.status, 303);

    // Deactivation (and suspension, the same rule) ends it too.
    let mut t = Console::signed_in(&server, "thea@example.com", ADMIN_PW).await;
    assert_eq!(t.get("/admin").await.status, 200);
    api.ok(
        reqwest::Method::POST,
        &format!("/api/v1/users/{third_id}/lifecycle/deactivate"),
        None,
    )
    .await;
    assert_eq!(t.get("/admin").await.status, 303);

    // A password change ends the sessions that began before it.
    let mut c = Console::signed_in(&server, ADMIN, ADMIN_PW).await;
    assert_eq!(c.get("/admin").await.status, 200);
    api.ok(
        reqwest::Method::POST,
        &format!("/api/v1/users/{admin_id}"),
        Some(json!({"credentials": {"password": {"value": "Another-Horse-43!"}}})),
    )
    .await;
    assert_eq!(c.get("/admin").await.status, 303);
    Console::signed_in(&server, ADMIN, "Another-Horse-43!").await;
    drop(server);
}

#[tokio::test]
async fn an_expired_password_is_changed_before_the_console_opens() {
    let (server, api) = serve(Options::default());
    let admin_id = create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    api.ok(
        reqwest::Method::POST,
        &format!("/api/v1/users/{admin_id}/lifecycle/expire_password"),
        None,
    )
    .await;
    let mut c = Console::new(&server);
    let answer = c.sign_in(ADMIN, ADMIN_PW).await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location.as_deref(), Some("/admin/password-expired"));
    assert!(
        !c.cookies.contains_key("roster_admin"),
        "no console session yet"
    );
    assert_eq!(c.get("/admin").await.status, 303, "the console stays shut");
    let form = c.get("/admin/password-expired").await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains("Password requirements"), "{}", form.html);
    let csrf = form.csrf();
    let weak = c
        .post(
            "/admin/password-expired",
            &[
                ("_csrf", &csrf),
                ("oldPassword", ADMIN_PW),
                ("newPassword", "short"),
                ("confirmPassword", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, 400, "{}", weak.html);
    assert!(weak.html.contains("Password requirements were not met"));
    let done = c
        .post(
            "/admin/password-expired",
            &[
                ("_csrf", &csrf),
                ("oldPassword", ADMIN_PW),
                ("newPassword", "Brand-New-Horse-44"),
                ("confirmPassword", "Brand-New-Horse-44"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("Your password is changed"));
    Console::signed_in(&server, ADMIN, "Brand-New-Horse-44").await;
    drop(server);
}

#[tokio::test]
async fn reset_password_in_the_console_converts_a_federated_user_and_shows_the_link_once() {
    let (server, api) = serve(Options::default());
    create_admin(&server, ADMIN, ADMIN_PW, "SUPER_ADMIN");
    let fed = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/users?provider=true&activate=true",
            Some(
                json!({"profile": {"login": "fed@example.com", "email": "fed@example.com",
                                    "firstName": "Fed", "lastName": "Erated"}}),
            ),
        )
        .await;
    let id = fed["id"].as_str().unwrap();
    let mut c = Console::signed_in(&server, ADMIN, ADMIN_PW).await;
    let page = c.get(&format!("/admin/users/{id}")).await;
    assert!(page
        .html
        .contains("Reset password and convert to OKTA credentials"));
    assert!(page.html.contains("FEDERATION"));
    let reset = c
        .post(
            &format!("/admin/users/{id}/lifecycle/reset_password"),
            &[("_csrf", &page.csrf())],
        )
        .await;
    assert_eq!(reset.status, 200, "{}", reset.html);
    let link = reset.input("one-time-link").or_else(|| {
        let at = reset.html.find("/reset_password/")?;
        let start = reset.html[..at].rfind('"')? + 1;
        let end = at + reset.html[at..].find('"')?;
        Some(reset.html[start..end].to_owned())
    });
    let link = link.expect("the page shows the link");
    assert!(
        link.starts_with(&format!("{}/reset_password/", server.url)),
        "{link}"
    );
    let (_, user) = api.get(&format!("/api/v1/users/{id}")).await;
    assert_eq!(user["status"], "RECOVERY");
    assert_eq!(user["credentials"]["provider"]["type"], "OKTA");
    // The link works once, and its token is nowhere in the server's log.
    let token = link.rsplit('/').next().unwrap();
    assert!(
        !server.stderr().contains(token),
        "the token reached the log"
    );
    let http = reqwest::Client::new();
    let set = http
        .post(&link)
        .json(&json!({"newPassword": "Fresh-Start-Pass-9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let (_, user) = api.get(&format!("/api/v1/users/{id}")).await;
    assert_eq!(user["status"], "ACTIVE");
    drop(server);
}
