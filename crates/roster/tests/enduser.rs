//! The end-user pages over HTTP, as a browser would use them but without one: `/login` and its
//! identical refusals, `/app` (profile, assigned apps, change password, sign out), and the pages
//! behind one-time links (`/reset_password/{token}`, `/welcome/{token}`), whose JSON `POST` keeps
//! answering as the API did. No token reaches the server's log.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{json, Value};
use support::api::{serve, Api};
use support::console::{Console, Page};
use support::Options;

const PW: &str = "Lantern-Fish-77";

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

async fn sign_in(c: &mut Console, username: &str, password: &str) -> Page {
    let form = c.get("/login").await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(form.html.contains("name=\"username\""), "{}", form.html);
    assert!(form.html.contains("name=\"password\""), "{}", form.html);
    let csrf = form.csrf();
    c.post(
        "/login",
        &[
            ("username", username),
            ("password", password),
            ("_csrf", &csrf),
        ],
    )
    .await
}

/// A page without what differs between two answers of the same form (its CSRF token and the
/// username it shows again).
fn normalised(page: &Page, username: &str) -> String {
    page.html
        .replace(&page.csrf(), "CSRF")
        .replace(username, "USERNAME")
}

fn assert_page_headers(page: &Page) {
    let h = |n: &str| {
        page.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(h("referrer-policy"), "no-referrer");
    assert_eq!(h("cache-control"), "no-store");
    assert!(
        h("content-security-policy").contains("script-src 'self'")
            && h("content-security-policy").contains("frame-ancestors 'none'"),
        "{}",
        h("content-security-policy")
    );
}

#[tokio::test]
async fn sign_in_refuses_an_unknown_user_and_a_wrong_password_alike_and_opens_app() {
    let (server, api) = serve(Options::default());
    user_with_password(&api, "nina@example.com", "Nina", PW).await;

    let mut c = Console::new(&server);
    let wrong = sign_in(&mut c, "nina@example.com", "Not-Her-Password-1").await;
    let unknown = sign_in(&mut c, "nobody@example.com", "Not-Her-Password-1").await;
    assert_eq!(wrong.status, 401, "{}", wrong.html);
    assert_eq!(unknown.status, wrong.status);
    assert!(wrong.html.contains("the username or password is not right"));
    assert_eq!(
        normalised(&wrong, "nina@example.com"),
        normalised(&unknown, "nobody@example.com"),
        "an unknown user and a wrong password get the same page"
    );
    assert!(!c.cookies.contains_key("roster_session"));
    assert_page_headers(&wrong);

    // Without the form's token, nothing is checked.
    let forged = c
        .post(
            "/login",
            &[
                ("username", "nina@example.com"),
                ("password", PW),
                ("_csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.html);
    assert!(!c.cookies.contains_key("roster_session"));

    // /app sends a stranger to /login.
    let away = c.get("/app").await;
    assert_eq!(away.status, 303);
    assert_eq!(away.location.as_deref(), Some("/login"));

    let ok = sign_in(&mut c, "nina@example.com", PW).await;
    assert_eq!(ok.status, 303, "{}", ok.html);
    assert_eq!(ok.location.as_deref(), Some("/app"));
    let set_cookie: Vec<String> = ok
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = set_cookie
        .iter()
        .find(|v| v.starts_with("roster_session="))
        .expect("a session cookie");
    assert!(
        session.contains("Path=/;")
            && session.contains("HttpOnly")
            && session.contains("SameSite=Lax"),
        "{session}"
    );
    let app = c.get("/app").await;
    assert_eq!(app.status, 200, "{}", app.html);
    assert!(app.html.contains("nina@example.com"));
    // The end-user session does not open the console, and /login now goes to /app.
    let admin = c.get("/admin").await;
    assert_eq!(admin.status, 303, "{}", admin.html);
    assert!(admin.location.unwrap().starts_with("/admin/login"));
    let again = c.get("/login").await;
    assert_eq!(again.location.as_deref(), Some("/app"));
}

#[tokio::test]
async fn app_shows_the_profile_and_assigned_apps_changes_the_password_and_signs_out() {
    let (server, api) = serve(Options::default());
    let user = user_with_password(&api, "omar@example.com", "Omar<b>", PW).await;
    let user_id = user["id"].as_str().unwrap();
    let app = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/apps",
            Some(json!({"name": "okta_org2org", "label": "Payroll <Hub>",
                        "settings": {"app": {"baseUrl": "http://127.0.0.1:9"}}})),
        )
        .await;
    let app_id = app["id"].as_str().unwrap();
    api.ok(
        reqwest::Method::POST,
        &format!("/api/v1/apps/{app_id}/users"),
        Some(json!({"id": user_id})),
    )
    .await;

    let mut c = Console::new(&server);
    assert_eq!(sign_in(&mut c, "omar@example.com", PW).await.status, 303);
    let page = c.get("/app").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_page_headers(&page);
    assert!(
        page.html.contains("Omar&#60;b&#62; Example"),
        "escaped name: {}",
        page.html
    );
    assert!(!page.html.contains("Omar<b>"), "never unescaped");
    assert!(page.html.contains("omar@example.com"));
    assert!(
        page.html.contains("Payroll &#60;Hub&#62;"),
        "the assigned app"
    );
    assert!(
        page.html.contains("Password requirements:")
            && page.html.contains(">at least 8 characters</li>"),
        "{}",
        page.html
    );

    // Refused: the policy's words, inline; then two different new passwords.
    let csrf = page.csrf();
    let weak = c
        .post(
            "/app/password",
            &[
                ("_csrf", &csrf),
                ("oldPassword", PW),
                ("newPassword", "abc"),
                ("confirmPassword", "abc"),
            ],
        )
        .await;
    assert_eq!(weak.status, 400, "{}", weak.html);
    assert!(
        weak.html.contains("Password requirements were not met"),
        "{}",
        weak.html
    );
    let differ = c
        .post(
            "/app/password",
            &[
                ("_csrf", &csrf),
                ("oldPassword", PW),
                ("newPassword", "Harbour-Seal-88"),
                ("confirmPassword", "Harbour-Seal-89"),
            ],
        )
        .await;
    assert_eq!(differ.status, 400);
    assert!(differ
        .html
        .contains("the two new passwords are not the same"));
    let wrong_old = c
        .post(
            "/app/password",
            &[
                ("_csrf", &csrf),
                ("oldPassword", "Not-The-Old-1"),
                ("newPassword", "Harbour-Seal-88"),
                ("confirmPassword", "Harbour-Seal-88"),
            ],
        )
        .await;
    assert!(wrong_old.status >= 400, "{}", wrong_old.html);
    let forged = c
        .post(
            "/app/password",
            &[
                ("_csrf", "forged"),
                ("oldPassword", PW),
                ("newPassword", "Harbour-Seal-88"),
                ("confirmPassword", "Harbour-Seal-88"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);

    // Accepted: the session is renewed and the new password signs in over the API.
    let changed = c
        .post(
            "/app/password",
            &[
                ("_csrf", &csrf),
                ("oldPassword", PW),
                ("newPassword", "Harbour-Seal-88"),
                ("confirmPassword", "Harbour-Seal-88"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.html);
    let after = c.get(changed.location.as_deref().unwrap()).await;
    assert_eq!(after.status, 200, "{}", after.html);
    assert!(after.html.contains("Your password is changed"));
    let (status, authn) = api
        .post(
            "/api/v1/authn",
            json!({"username": "omar@example.com", "password": "Harbour-Seal-88"}),
        )
        .await;
    assert_eq!(status, 200, "{authn}");

    // Sign out ends the session: the old cookie no longer opens /app.
    let cookie = c.cookies.get("roster_session").cloned().unwrap();
    let out = c.post("/logout", &[("_csrf", &after.csrf())]).await;
    assert_eq!(out.status, 200, "{}", out.html);
    assert!(out.html.contains("You are signed out"));
    assert!(!c.cookies.contains_key("roster_session"));
    c.cookies.insert("roster_session".into(), cookie);
    let gone = c.get("/app").await;
    assert_eq!(gone.status, 303);
    assert_eq!(gone.location.as_deref(), Some("/login"));
    let events = api.events("eventType eq \"user.session.end\"").await;
    assert_eq!(events.len(), 1, "{events:?}");
}

async fn reset_link(api: &Api, user_id: &str) -> String {
    let reset = api
        .ok(
            reqwest::Method::POST,
            &format!("/api/v1/users/{user_id}/lifecycle/reset_password?sendEmail=false"),
            None,
        )
        .await;
    let url = reset["resetPasswordUrl"].as_str().unwrap();
    let at = url.find("/reset_password/").unwrap();
    url[at..].to_owned()
}

#[tokio::test]
async fn reset_link_page_shows_requirements_refuses_weak_sets_once_and_keeps_json() {
    let (server, api) = serve(Options::default());
    let user = user_with_password(&api, "pia@example.com", "Pia", PW).await;
    let user_id = user["id"].as_str().unwrap();
    let path = reset_link(&api, user_id).await;
    let token = path.trim_start_matches("/reset_password/").to_owned();

    let mut c = Console::new(&server);
    let form = c.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert_page_headers(&form);
    assert!(form.html.contains("Reset your password"));
    assert!(form.html.contains("pia@example.com"));
    assert!(form.html.contains(">at least 8 characters</li>"));
    // The page can check the length, the classes and the username as the user types.
    assert!(form
        .html
        .contains(r#"data-rule="minLength" data-bound="8""#));
    assert!(form.html.contains("name=\"newPassword\""));

    // Looking does not use the link up; a weak password is refused with the requirements.
    let csrf = form.csrf();
    let weak = c
        .post(
            &path,
            &[
                ("_csrf", &csrf),
                ("newPassword", "abc"),
                ("confirmPassword", "abc"),
            ],
        )
        .await;
    assert_eq!(weak.status, 400, "{}", weak.html);
    assert!(weak.html.contains("Password requirements were not met"));
    assert!(weak.html.contains(">at least 8 characters</li>"));
    assert!(weak.html.contains("name=\"newPassword\""), "the form again");

    // A form without its page's token sets nothing.
    let forged = c
        .post(
            &path,
            &[
                ("_csrf", "forged"),
                ("newPassword", "Harbour-Seal-88"),
                ("confirmPassword", "Harbour-Seal-88"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.html);

    let csrf = forged.csrf();
    let done = c
        .post(
            &path,
            &[
                ("_csrf", &csrf),
                ("newPassword", "Harbour-Seal-88"),
                ("confirmPassword", "Harbour-Seal-88"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("Your password is set"));
    assert!(done.html.contains("href=\"/login\""));
    assert_page_headers(&done);
    let (status, authn) = api
        .post(
            "/api/v1/authn",
            json!({"username": "pia@example.com", "password": "Harbour-Seal-88"}),
        )
        .await;
    assert_eq!(status, 200, "{authn}");

    // The link was used: it says so, on GET and on a second POST.
    let used = c.get(&path).await;
    assert_eq!(used.status, 410, "{}", used.html);
    assert!(used.html.contains("no longer works"));
    assert!(used.html.contains("administrator"));
    let twice = c
        .post(
            &path,
            &[
                ("_csrf", &csrf),
                ("newPassword", "Harbour-Seal-99"),
                ("confirmPassword", "Harbour-Seal-99"),
            ],
        )
        .await;
    assert_eq!(twice.status, 410, "{}", twice.html);

    // An unknown welcome link explains itself too.
    let welcome = c.get("/welcome/not-a-real-token").await;
    assert_eq!(welcome.status, 410);
    assert!(welcome.html.contains("activation link"));

    // The JSON POST answers as the API always did.
    let path2 = reset_link(&api, user_id).await;
    let token2 = path2.trim_start_matches("/reset_password/").to_owned();
    let http = reqwest::Client::new();
    let answer = http
        .post(format!("{}{path2}", server.url))
        .json(&json!({"newPassword": "Otter-Pond-4242"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["status"], "ACTIVE", "{body}");
    assert_eq!(body["userId"], user_id);
    let again = http
        .post(format!("{}{path2}", server.url))
        .json(&json!({"newPassword": "Otter-Pond-4343"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 403);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000011", "{body}");

    // No token in the server's log.
    let log = server.stderr();
    assert!(!log.contains("Harbour-Seal-88"), "a password is in the log");
    for t in [&token, &token2] {
        assert!(!log.contains(t.as_str()), "a link token is in the log");
    }
}

#[tokio::test]
async fn welcome_link_page_activates_a_user() {
    let (server, api) = serve(Options::default());
    let user = api
        .ok(
            reqwest::Method::POST,
            "/api/v1/users?activate=false",
            Some(
                json!({"profile": {"login": "quinn@example.com", "email": "quinn@example.com",
                                    "firstName": "Quinn", "lastName": "Example"}}),
            ),
        )
        .await;
    let user_id = user["id"].as_str().unwrap();
    let activation = api
        .ok(
            reqwest::Method::POST,
            &format!("/api/v1/users/{user_id}/lifecycle/activate?sendEmail=false"),
            None,
        )
        .await;
    let url = activation["activationUrl"].as_str().unwrap();
    let path = url[url.find("/welcome/").unwrap()..].to_owned();
    let mut c = Console::new(&server);
    let form = c.get(&path).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(form.html.contains("Welcome"));
    let done = c
        .post(
            &path,
            &[
                ("_csrf", &form.csrf()),
                ("newPassword", "Harbour-Seal-88"),
                ("confirmPassword", "Harbour-Seal-88"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("Your password is set"));
    assert_eq!(
        sign_in(&mut c, "quinn@example.com", "Harbour-Seal-88")
            .await
            .status,
        303
    );
    let token = path.trim_start_matches("/welcome/");
    assert!(!server.stderr().contains(token));
}
