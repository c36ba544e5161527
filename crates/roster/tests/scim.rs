//! End-to-end: SCIM 2.0 at /scim/v2 on the real `roster serve`, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};
use support::{Options, PgDatabase, Server};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ROSTER: &str = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const PASSWORD: &str = "Correct-Horse-7-Battery";

struct Scim {
    server: Server,
    token: String,
    http: reqwest::Client,
}

struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Assert an RFC 7644 error with this status and scimType (None: absent).
    fn assert_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["schemas"], json!([ERROR]), "{}", self.text);
        assert_eq!(
            self.body["status"],
            json!(status.to_string()),
            "{}",
            self.text
        );
        assert_eq!(self.body["scimType"].as_str(), scim_type, "{}", self.text);
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/scim+json")
        );
    }
}

impl Scim {
    fn start() -> Scim {
        let token = support::random_token();
        let server = Server::start(Options {
            bootstrap_token: Some(token.clone()),
            ..Options::default()
        });
        Scim {
            server,
            token,
            http: reqwest::Client::new(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let url = if path.starts_with("/api/") {
            format!("{}{path}", self.server.url)
        } else {
            format!("{}/scim/v2{path}", self.server.url)
        };
        let auth = if path.starts_with("/api/") {
            format!("SSWS {}", self.token)
        } else {
            format!("Bearer {}", self.token)
        };
        let mut req = self.http.request(method, url).header("Authorization", auth);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/scim+json")
                .body(b.to_string());
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[]).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(Method::PUT, path, Some(body), &[]).await
    }

    async fn patch(&self, path: &str, ops: Value) -> Reply {
        self.send(
            Method::PATCH,
            path,
            Some(json!({"schemas": [PATCH_OP], "Operations": ops})),
            &[],
        )
        .await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.send(Method::DELETE, path, None, &[]).await
    }

    /// Create a user; panics unless 201.
    async fn create_user(&self, login: &str, given: &str, family: &str) -> Value {
        let r = self.post("/Users", user(login, given, family)).await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    async fn events(&self, event_type: &str) -> Vec<Value> {
        let r = self
            .get(&format!(
                "/api/v1/logs?filter=eventType%20eq%20%22{event_type}%22&limit=1000"
            ))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body.as_array().unwrap().clone()
    }
}

fn user(login: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"value": login, "type": "work", "primary": true}],
        "password": PASSWORD,
    })
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn discovery_publishes_what_roster_stores_and_refuses_writes() {
    let s = Scim::start();
    let spc = s.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, 200, "{}", spc.text);
    assert_eq!(
        spc.header("content-type").as_deref(),
        Some("application/scim+json")
    );
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(spc.body["bulk"]["maxOperations"], 1000);
    assert_eq!(spc.body["bulk"]["maxPayloadSize"], 1_000_000);
    assert_eq!(spc.body["etag"]["supported"], true);
    assert_eq!(spc.body["sort"]["supported"], true);
    assert_eq!(
        spc.body["authenticationSchemes"][0]["type"],
        "oauthbearertoken"
    );

    let types = s.get("/ResourceTypes").await;
    let names: Vec<&str> = types.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["User", "Group"]);
    let user_type = s.get("/ResourceTypes/User").await;
    assert_eq!(
        user_type.body["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}])
    );

    let core = s.get(&format!("/Schemas/{USER}")).await;
    assert_eq!(core.status, 200, "{}", core.text);
    let attr = |schema: &Value, name: &str| -> Value {
        schema["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let user_name = attr(&core.body, "userName");
    assert_eq!(user_name["required"], true);
    assert_eq!(user_name["uniqueness"], "server");
    assert!(
        user_name["description"]
            .as_str()
            .unwrap()
            .contains("5 to 100 characters"),
        "{user_name}"
    );
    assert_eq!(attr(&core.body, "password")["mutability"], "writeOnly");
    assert_eq!(attr(&core.body, "password")["returned"], "never");
    assert_eq!(
        attr(&core.body, "name")["required"],
        true,
        "first and last name are required by the default profile schema"
    );
    let timezone = attr(&core.body, "timezone");
    assert!(timezone["canonicalValues"]
        .as_array()
        .unwrap()
        .contains(&json!("Europe/Paris")));
    assert_eq!(
        attr(&core.body, "x509Certificates"),
        Value::Null,
        "nothing Roster does not store is published"
    );

    // A custom profile attribute appears under the Roster extension at once.
    let r = s
        .post(
            "/api/v1/meta/schemas/user/default",
            json!({"definitions": {"custom": {"properties": {"badge": {"title": "Badge", "type": "integer", "required": true}}}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let roster = s.get(&format!("/Schemas/{ROSTER}")).await;
    assert_eq!(roster.status, 200, "{}", roster.text);
    let badge = attr(&roster.body, "badge");
    assert_eq!(
        (badge["type"].as_str(), badge["required"].as_bool()),
        (Some("integer"), Some(true))
    );
    let user_type = s.get("/ResourceTypes/User").await;
    assert_eq!(
        user_type.body["schemaExtensions"][1],
        json!({"schema": ROSTER, "required": true})
    );
    let all = s.get("/Schemas").await;
    let ids: Vec<&str> = all.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&ROSTER) && ids.contains(&GROUP) && ids.contains(&ENTERPRISE),
        "{ids:?}"
    );

    for path in [
        "/ServiceProviderConfig",
        "/Schemas",
        "/ResourceTypes",
        "/Schemas/x",
    ] {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            s.send(method.clone(), path, Some(json!({})), &[])
                .await
                .assert_error(405, None);
        }
    }
    s.get("/Schemas/urn:nope").await.assert_error(404, None);
    s.get("/ResourceTypes/Nope").await.assert_error(404, None);
    s.get("/NoSuchEndpoint").await.assert_error(404, None);
}

#[tokio::test]
async fn bearer_tokens_authenticate_and_read_only_tokens_cannot_write() {
    let s = Scim::start();
    for auth in [None, Some("Bearer wrong"), Some("Basic dXNlcjpwYXNz")] {
        let mut req = s.http.get(format!("{}/scim/v2/Users", s.server.url));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{auth:?}");
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Bearer realm=\"roster\""
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["schemas"], json!([ERROR]));
        assert_eq!(body["status"], "401");
    }
    let out = std::process::Command::new(support::BIN)
        .args([
            "token",
            "create",
            "--name",
            "auditor",
            "--role",
            "READ_ONLY_ADMIN",
            "--data-dir",
        ])
        .arg(&s.server.data_dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read_only = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let as_reader = |method: Method, path: &str| {
        s.http
            .request(method, format!("{}/scim/v2{path}", s.server.url))
            .header("Authorization", format!("Bearer {read_only}"))
    };
    assert_eq!(
        as_reader(Method::GET, "/Users")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let resp = as_reader(Method::POST, "/Users")
        .body(user("ro@example.com", "R", "O").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("READ_ONLY_ADMIN"),
        "{body}"
    );
    assert_eq!(
        s.get("/Users").await.body["totalResults"],
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn a_scim_user_is_the_management_api_user_and_writes_the_same_events() {
    let s = Scim::start();
    let body = json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "bjensen@example.com",
        "externalId": "hr-0042",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": "J"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "locale": "en_US",
        "timezone": "America/Denver",
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@home.test", "type": "home"}],
        "phoneNumbers": [{"value": "+1 555 0101", "type": "work"}, {"value": "+1 555 0102", "type": "mobile"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "US"}],
        "password": PASSWORD,
        ENTERPRISE: {"employeeNumber": "701984", "costCenter": "4130", "organization": "Universal Studios", "division": "Theme Park", "department": "Tour Operations"},
    });
    let r = s.post("/Users", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let uid = id(&r.body);
    assert_eq!(
        r.header("location").unwrap(),
        format!("{}/scim/v2/Users/{uid}", s.server.url)
    );
    assert_eq!(r.header("etag").unwrap(), "W/\"1\"");
    assert_eq!(r.body["meta"]["version"], "W/\"1\"");
    assert_eq!(r.body["meta"]["resourceType"], "User");
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body["externalId"], "hr-0042");
    assert_eq!(
        r.body["emails"],
        json!([{"value": "bjensen@example.com", "type": "work"}, {"value": "babs@home.test", "type": "other"}])
    );
    assert_eq!(r.body[ENTERPRISE]["department"], "Tour Operations");
    assert!(
        !r.text.contains(PASSWORD) && r.body.get("password").is_none(),
        "the password is never returned"
    );

    let okta = s.get(&format!("/api/v1/users/{uid}")).await;
    assert_eq!(okta.status, 200, "{}", okta.text);
    assert_eq!(
        okta.body["status"], "ACTIVE",
        "active with a password: ACTIVE"
    );
    let p = &okta.body["profile"];
    assert_eq!(
        (
            p["login"].as_str(),
            p["firstName"].as_str(),
            p["email"].as_str(),
            p["secondEmail"].as_str()
        ),
        (
            Some("bjensen@example.com"),
            Some("Barbara"),
            Some("bjensen@example.com"),
            Some("babs@home.test")
        )
    );
    assert_eq!(
        (
            p["mobilePhone"].as_str(),
            p["city"].as_str(),
            p["department"].as_str()
        ),
        (
            Some("+1 555 0102"),
            Some("Hollywood"),
            Some("Tour Operations")
        )
    );
    assert_eq!(p["externalId"], "hr-0042");
    assert!(
        okta.body["credentials"]["password"].is_object(),
        "the password was set"
    );

    let got = s.get(&format!("/Users/{uid}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body, r.body, "GET answers what POST answered");
    let created = s.events("user.lifecycle.create").await;
    assert!(
        created.iter().any(|e| e["target"][0]["id"] == uid.as_str()),
        "the Management API's create event is written"
    );
    assert!(!s.events("user.lifecycle.activate").await.is_empty());

    // A user made through the Management API is visible through SCIM.
    let okta_user = s
        .post(
            "/api/v1/users?activate=false",
            json!({"profile": {"login": "mgmt@example.com", "email": "mgmt@example.com", "firstName": "M", "lastName": "G"}}),
        )
        .await;
    assert_eq!(okta_user.status, 200, "{}", okta_user.text);
    let seen = s.get(&format!("/Users/{}", id(&okta_user.body))).await;
    assert_eq!(
        (
            seen.body["userName"].as_str(),
            seen.body["active"].as_bool()
        ),
        (Some("mgmt@example.com"), Some(false))
    );
}

#[tokio::test]
async fn a_weak_password_is_400_with_the_requirements_and_is_never_echoed() {
    let s = Scim::start();
    let mut body = user("weak@example.com", "Weak", "Password");
    body["password"] = json!("weakpass");
    let r = s.post("/Users", body).await;
    r.assert_error(400, Some("invalidValue"));
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Insufficient password. The password must comply with the requirements"),
        "{detail}"
    );
    assert!(detail.contains("Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number"), "{detail}");
    assert!(
        !r.text.contains("weakpass"),
        "the password is not echoed: {}",
        r.text
    );
    assert!(
        !s.server.stderr().contains("weakpass"),
        "the password is not logged"
    );
    assert_eq!(
        s.get("/Users").await.body["totalResults"],
        0,
        "no user was created"
    );

    // The same on PATCH, and the user is unchanged.
    let u = s
        .create_user("strong@example.com", "Strong", "Password")
        .await;
    let r = s
        .patch(
            &format!("/Users/{}", id(&u)),
            json!([{"op": "replace", "path": "password", "value": "short"}]),
        )
        .await;
    r.assert_error(400, Some("invalidValue"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Insufficient password."),
        "{}",
        r.text
    );
    assert_eq!(
        s.get(&format!("/Users/{}", id(&u))).await.body["meta"]["version"],
        u["meta"]["version"]
    );
    let ok = s
        .patch(
            &format!("/Users/{}", id(&u)),
            json!([{"op": "replace", "path": "password", "value": "An0ther-Good-One"}]),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert!(!ok.text.contains("An0ther-Good-One"));
    assert!(!s.events("user.account.update_password").await.is_empty());
}

#[tokio::test]
async fn duplicate_user_names_are_409_uniqueness_and_profile_violations_name_every_field() {
    let s = Scim::start();
    s.create_user("dup@example.com", "First", "User").await;
    let r = s
        .post("/Users", user("DUP@example.com", "Second", "User"))
        .await;
    r.assert_error(409, Some("uniqueness"));
    assert!(
        r.body["detail"].as_str().unwrap().contains("userName"),
        "{}",
        r.text
    );

    let r = s
        .post(
            "/Users",
            json!({"schemas": [USER], "userName": "not-an-email", "name": {"givenName": "A"}, "emails": [{"value": "x@example.com"}],
                   "locale": "English", "timezone": "Mountain Time"}),
        )
        .await;
    r.assert_error(400, Some("invalidValue"));
    let detail = r.body["detail"].as_str().unwrap();
    for field in [
        "userName (profile.login)",
        "name.familyName (profile.lastName)",
        "locale",
        "timezone",
    ] {
        assert!(detail.contains(field), "{field} missing from {detail}");
    }
}

#[tokio::test]
async fn lists_page_filter_sort_and_project() {
    let s = Scim::start();
    let mut ids = Vec::new();
    for (i, family) in ["Young", "Adams", "Moore", "Baker", "Clark", "Ward", "Evans"]
        .iter()
        .enumerate()
    {
        let u = s
            .create_user(
                &format!("user{i}@example.com"),
                &format!("Given{i}"),
                family,
            )
            .await;
        ids.push(id(&u));
    }
    let inactive = s.post("/Users", json!({"schemas": [USER], "userName": "staged@example.com", "active": false,
        "name": {"givenName": "S", "familyName": "Staged"}, "emails": [{"value": "staged@other.test"}]})).await;
    assert_eq!(inactive.status, 201, "{}", inactive.text);

    // Paging: 1-based startIndex, count, totalResults, in id order.
    let mut seen = Vec::new();
    for start in [1, 4, 7] {
        let page = s.get(&format!("/Users?startIndex={start}&count=3")).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(
            (
                page.body["totalResults"].as_u64(),
                page.body["startIndex"].as_u64()
            ),
            (Some(8), Some(start))
        );
        assert_eq!(
            page.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        );
        for u in page.body["Resources"].as_array().unwrap() {
            seen.push(id(u));
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((seen.len(), sorted.len()), (8, 8), "every user once");
    let zero = s.get("/Users?count=0").await;
    assert_eq!(
        (
            zero.body["totalResults"].as_u64(),
            zero.body["Resources"].as_array().map(Vec::len)
        ),
        (Some(8), Some(0))
    );

    let total = |r: &Reply| r.body["totalResults"].as_u64().unwrap();
    let q = |f: &str| format!("/Users?filter={}", support_encode(f));
    assert_eq!(
        total(&s.get(&q(r#"userName eq "USER3@example.com""#)).await),
        1,
        "userName compares without case"
    );
    assert_eq!(total(&s.get(&q(r#"name.familyName sw "M""#)).await), 1);
    assert_eq!(
        total(
            &s.get(&q(r#"emails[type eq "work"].value ew "@other.test""#))
                .await
        ),
        1
    );
    assert_eq!(
        total(
            &s.get(&q(r#"emails[type eq "work" and value co "user"]"#))
                .await
        ),
        7
    );
    assert_eq!(total(&s.get(&q("active eq false")).await), 1);
    assert_eq!(
        total(
            &s.get(&q("active eq true and not (name.familyName eq \"Ward\")"))
                .await
        ),
        6
    );
    assert_eq!(
        total(
            &s.get(&q(r#"meta.lastModified gt "2000-01-01T00:00:00Z""#))
                .await
        ),
        8
    );
    assert_eq!(
        total(&s.get(&q(&format!(r#"id eq "{}""#, ids[2]))).await),
        1
    );
    assert_eq!(
        total(&s.get(&q(r#"meta.resourceType eq "Group""#)).await),
        0
    );

    let sorted = s
        .get(&format!(
            "/Users?sortBy=name.familyName&sortOrder=descending&count=3&filter={}",
            support_encode("active eq true")
        ))
        .await;
    let families: Vec<&str> = sorted.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"]["familyName"].as_str().unwrap())
        .collect();
    assert_eq!(families, ["Young", "Ward", "Moore"]);
    assert_eq!(total(&sorted), 7);

    let projected = s
        .get(&format!(
            "/Users?attributes=userName,name.familyName&filter={}",
            support_encode(r#"userName eq "user1@example.com""#)
        ))
        .await;
    let only = &projected.body["Resources"][0];
    assert_eq!(
        only,
        &json!({"schemas": [USER], "id": ids[1], "userName": "user1@example.com", "name": {"familyName": "Adams"}})
    );
    let excluded = s
        .get(&format!(
            "/Users/{}?excludedAttributes=emails,meta,name",
            ids[1]
        ))
        .await;
    assert!(
        excluded.body.get("emails").is_none()
            && excluded.body.get("meta").is_none()
            && excluded.body.get("name").is_none()
    );
    assert_eq!(excluded.body["userName"], "user1@example.com");

    let search = s
        .post("/Users/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "name.familyName eq \"Clark\"", "attributes": ["userName"], "startIndex": 1, "count": 10}))
        .await;
    assert_eq!(search.status, 200, "{}", search.text);
    assert_eq!(search.body["Resources"][0]["userName"], "user4@example.com");
    let root = s.post("/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"user6\""})).await;
    assert_eq!(total(&root), 1, "{}", root.text);
}

fn support_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[tokio::test]
async fn put_replaces_and_patch_handles_value_paths_atomically() {
    let s = Scim::start();
    let u = s.create_user("ann@example.com", "Ann", "Lee").await;
    let path = format!("/Users/{}", id(&u));

    // PUT replaces: what is not sent is removed; the password (write-only) and status stay.
    let r = s
        .put(&path, json!({"schemas": [USER], "userName": "ann@example.com", "name": {"givenName": "Ann", "familyName": "Lee-Smith"},
            "emails": [{"value": "ann@example.com", "type": "work"}], "title": "Engineer", "id": "ignored", "meta": {"version": "x"}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (
            r.body["name"]["familyName"].as_str(),
            r.body["title"].as_str()
        ),
        (Some("Lee-Smith"), Some("Engineer"))
    );
    assert_eq!(r.body["meta"]["version"], "W/\"2\"");
    let r = s.put(&path, json!({"schemas": [USER], "userName": "ann@example.com", "name": {"givenName": "Ann", "familyName": "Lee"},
        "emails": [{"value": "ann@example.com"}]})).await;
    assert!(
        r.body.get("title").is_none(),
        "PUT removed the title: {}",
        r.text
    );
    assert_eq!(
        s.get(&format!("/api/v1/users/{}", id(&u))).await.body["status"],
        "ACTIVE"
    );

    // PATCH with value paths, no-path values, and extension paths, answered with the resource.
    let r = s
        .patch(&path, json!([
            {"op": "add", "path": "emails[type eq \"other\"].value", "value": "ann@home.test"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ann.lee@example.com"},
            {"op": "Add", "path": "phoneNumbers", "value": [{"value": "+1 555 0100", "type": "mobile"}]},
            {"op": "Replace", "value": {"displayName": "Ann L.", "nickName": "Annie", "active": "True"}},
            {"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": {"value": id(&u)}},
            {"op": "remove", "path": "nickName"},
        ]))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body["emails"],
        json!([{"value": "ann.lee@example.com", "type": "work"}, {"value": "ann@home.test", "type": "other"}])
    );
    assert_eq!(
        r.body["phoneNumbers"],
        json!([{"value": "+1 555 0100", "type": "mobile"}])
    );
    assert_eq!(
        (r.body["displayName"].as_str(), r.body.get("nickName")),
        (Some("Ann L."), None)
    );
    assert_eq!(
        r.body[ENTERPRISE]["manager"]["$ref"],
        format!("{}/scim/v2/Users/{}", s.server.url, id(&u))
    );
    let version = r.body["meta"]["version"].clone();

    // A PATCH that fails anywhere changes nothing.
    for (ops, status, scim_type) in [
        (
            json!([{"op": "replace", "path": "title", "value": "X"}, {"op": "replace", "path": "emails[type eq \"fax\"].value", "value": "y"}]),
            400,
            "noTarget",
        ),
        (
            json!([{"op": "replace", "path": "title", "value": "X"}, {"op": "replace", "path": "name.nope", "value": "y"}]),
            400,
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "title", "value": "X"}, {"op": "replace", "path": "emails[type eq]", "value": "y"}]),
            400,
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "title", "value": "X"}, {"op": "remove"}]),
            400,
            "noTarget",
        ),
        (
            json!([{"op": "replace", "path": "title", "value": "X"}, {"op": "replace", "path": "meta", "value": {}}]),
            400,
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "title", "value": "X"}, {"op": "replace", "path": "name.givenName", "value": 7}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "title", "value": "X"}, {"op": "remove", "path": "userName"}]),
            400,
            "invalidValue",
        ),
        (
            json!([{"op": "replace", "path": "title", "value": "X"}, {"op": "replace", "path": "locale", "value": "English"}]),
            400,
            "invalidValue",
        ),
    ] {
        let r = s.patch(&path, ops.clone()).await;
        r.assert_error(status, Some(scim_type));
        let now = s.get(&path).await;
        assert_eq!(
            now.body["meta"]["version"], version,
            "{ops} changed the user"
        );
        assert!(now.body.get("title").is_none());
    }
}

#[tokio::test]
async fn etags_make_writes_conditional_and_reads_cheap() {
    let s = Scim::start();
    let u = s.create_user("etag@example.com", "E", "Tag").await;
    let path = format!("/Users/{}", id(&u));
    let etag = u["meta"]["version"].as_str().unwrap().to_owned();

    let r = s
        .send(Method::GET, &path, None, &[("If-None-Match", &etag)])
        .await;
    assert_eq!(r.status, 304);
    assert!(r.text.is_empty());
    assert_eq!(r.header("etag").as_deref(), Some(etag.as_str()));

    let ops = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "T"}]});
    let r = s
        .send(
            Method::PATCH,
            &path,
            Some(ops.clone()),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let newer = r.header("etag").unwrap();
    assert_ne!(newer, etag);
    s.send(
        Method::PATCH,
        &path,
        Some(ops.clone()),
        &[("If-Match", &etag)],
    )
    .await
    .assert_error(412, None);
    s.send(
        Method::PUT,
        &path,
        Some(user("etag@example.com", "E", "Tag")),
        &[("If-Match", &etag)],
    )
    .await
    .assert_error(412, None);
    s.send(Method::DELETE, &path, None, &[("If-Match", &etag)])
        .await
        .assert_error(412, None);
    assert_eq!(
        s.send(Method::GET, &path, None, &[("If-None-Match", &etag)])
            .await
            .status,
        200,
        "changed: 200 with the new version"
    );
    assert_eq!(
        s.send(Method::PATCH, &path, Some(ops), &[("If-Match", "*")])
            .await
            .status,
        200
    );

    // A group's version changes when its members do.
    let g = s
        .post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": "Tagged"}),
        )
        .await;
    let gpath = format!("/Groups/{}", id(&g.body));
    let before = g.header("etag").unwrap();
    let r = s
        .patch(
            &gpath,
            json!([{"op": "add", "path": "members", "value": [{"value": id(&u)}]}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_ne!(r.header("etag").unwrap(), before);
    s.send(Method::DELETE, &gpath, None, &[("If-Match", &before)])
        .await
        .assert_error(412, None);
}

#[tokio::test]
async fn groups_and_members_go_through_the_directory() {
    let s = Scim::start();
    let a = id(&s.create_user("a@example.com", "A", "One").await);
    let b = id(&s.create_user("b@example.com", "B", "Two").await);
    let c = id(&s.create_user("c@example.com", "C", "Three").await);

    let r = s.post("/Groups", json!({"schemas": [GROUP], "displayName": "Engineering", "externalId": "eng-1", "members": [{"value": a, "type": "User"}]})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let gid = id(&r.body);
    assert_eq!(
        r.header("location").unwrap(),
        format!("{}/scim/v2/Groups/{gid}", s.server.url)
    );
    assert_eq!(
        r.body["members"],
        json!([{"value": a, "$ref": format!("{}/scim/v2/Users/{a}", s.server.url), "type": "User"}])
    );
    assert_eq!(r.body["externalId"], "eng-1");
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "engineering"}),
    )
    .await
    .assert_error(409, Some("uniqueness"));
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "Ghosts", "members": [{"value": "00unope"}]}),
    )
    .await
    .assert_error(400, Some("invalidValue"));

    let gpath = format!("/Groups/{gid}");
    let r = s
        .patch(
            &gpath,
            json!([
                {"op": "add", "path": "members", "value": [{"value": b}, {"value": c}]},
                {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
            ]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let members = |r: &Reply| -> Vec<String> {
        let mut m: Vec<String> = r.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_owned())
            .collect();
        m.sort();
        m
    };
    let mut bc = vec![b.clone(), c.clone()];
    bc.sort();
    assert_eq!(members(&r), bc);
    // Entra ID's form: remove with a value list.
    let r = s
        .patch(
            &gpath,
            json!([{"op": "Remove", "path": "members", "value": [{"value": c}]}]),
        )
        .await;
    assert_eq!(members(&r), vec![b.clone()]);
    let okta_members = s.get(&format!("/api/v1/groups/{gid}/users")).await;
    assert_eq!(
        okta_members.body.as_array().unwrap().len(),
        1,
        "the Management API sees the same members"
    );
    let user_b = s.get(&format!("/Users/{b}")).await;
    assert_eq!(user_b.body["groups"][0]["value"], gid.as_str());
    assert_eq!(user_b.body["groups"][0]["display"], "Engineering");

    // PUT replaces the name and the members.
    let r = s.put(&gpath, json!({"schemas": [GROUP], "displayName": "Platform", "members": [{"value": a}, {"value": c}]})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["displayName"], "Platform");
    let mut ac = vec![a.clone(), c.clone()];
    ac.sort();
    assert_eq!(members(&r), ac);
    assert!(
        r.body.get("externalId").is_none(),
        "PUT without externalId clears it"
    );

    let filter = |f: &str| {
        format!(
            "/Groups?filter={}&excludedAttributes=members",
            support_encode(f)
        )
    };
    let found = s
        .get(&filter(&format!(
            r#"displayName eq "platform" and members[value eq "{a}"]"#
        )))
        .await;
    assert_eq!(found.body["totalResults"], 1, "{}", found.text);
    assert!(found.body["Resources"][0].get("members").is_none());
    assert_eq!(
        s.get(&filter(&format!(r#"members.value eq "{b}""#)))
            .await
            .body["totalResults"],
        0
    );
    let r = s
        .patch(
            &gpath,
            json!([{"op": "add", "path": "externalId", "value": "plat-9"}]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        s.get(&filter(r#"externalId eq "plat-9""#)).await.body["totalResults"],
        1
    );

    let adds = s.events("group.user_membership.add").await;
    let removes = s.events("group.user_membership.remove").await;
    assert!(
        adds.len() >= 4 && removes.len() >= 3,
        "membership events: {} adds, {} removes",
        adds.len(),
        removes.len()
    );

    assert_eq!(s.delete(&gpath).await.status, 204);
    s.get(&gpath).await.assert_error(404, None);
    assert_eq!(s.get(&format!("/api/v1/groups/{gid}")).await.status, 404);
}

#[tokio::test]
async fn active_maps_to_the_lifecycle_and_delete_removes_the_user() {
    let s = Scim::start();
    let mut body = user("life@example.com", "Life", "Cycle");
    body["active"] = json!(false);
    let r = s.post("/Users", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let uid = id(&r.body);
    let status = || async {
        s.get(&format!("/api/v1/users/{uid}")).await.body["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        (r.body["active"].as_bool(), status().await.as_str()),
        (Some(false), "STAGED")
    );

    let path = format!("/Users/{uid}");
    let r = s
        .patch(
            &path,
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    assert_eq!(
        (r.body["active"].as_bool(), status().await.as_str()),
        (Some(true), "ACTIVE"),
        "{}",
        r.text
    );
    let r = s
        .patch(
            &path,
            json!([{"op": "replace", "value": {"active": false}}]),
        )
        .await;
    assert_eq!(
        (r.body["active"].as_bool(), status().await.as_str()),
        (Some(false), "DEPROVISIONED"),
        "{}",
        r.text
    );
    assert!(!s.events("user.lifecycle.deactivate").await.is_empty());
    // Reactivated with a new password in the same request: ACTIVE.
    let r = s
        .patch(
            &path,
            json!([{"op": "replace", "value": {"active": true, "password": "Back-Again-2-Work"}}]),
        )
        .await;
    assert_eq!(
        (r.body["active"].as_bool(), status().await.as_str()),
        (Some(true), "ACTIVE"),
        "{}",
        r.text
    );
    s.patch(&path, json!([{"op": "remove", "path": "active"}]))
        .await
        .assert_error(400, Some("invalidValue"));

    assert_eq!(s.delete(&path).await.status, 204);
    s.get(&path).await.assert_error(404, None);
    assert_eq!(s.get(&format!("/api/v1/users/{uid}")).await.status, 404);
    assert!(!s.events("user.lifecycle.delete.initiated").await.is_empty());
    s.delete(&path).await.assert_error(404, None);
}

#[tokio::test]
async fn custom_attributes_live_under_the_roster_extension() {
    let s = Scim::start();
    let r = s
        .post(
            "/api/v1/meta/schemas/user/default",
            json!({"definitions": {"custom": {"properties": {
                "badge": {"title": "Badge", "type": "integer"},
                "skills": {"title": "Skills", "type": "array", "items": {"type": "string"}},
            }}}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut body = user("custom@example.com", "Cus", "Tom");
    body["schemas"] = json!([USER, ROSTER]);
    body[ROSTER] = json!({"badge": 7, "skills": ["rust"]});
    let r = s.post("/Users", body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body[ROSTER], json!({"badge": 7, "skills": ["rust"]}));
    assert_eq!(r.body["schemas"], json!([USER, ROSTER]));
    let path = format!("/Users/{}", id(&r.body));
    let r = s
        .patch(
            &path,
            json!([{"op": "add", "path": format!("{ROSTER}:skills"), "value": ["sql"]}]),
        )
        .await;
    assert_eq!(
        r.body[ROSTER]["skills"],
        json!(["rust", "sql"]),
        "add appends to a multi-valued attribute"
    );
    let found = s
        .get(&format!(
            "/Users?filter={}",
            support_encode(&format!("{ROSTER}:badge eq 7"))
        ))
        .await;
    assert_eq!(found.body["totalResults"], 1, "{}", found.text);
    s.patch(
        &path,
        json!([{"op": "replace", "path": format!("{ROSTER}:badge"), "value": "seven"}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let okta = s.get(&format!("/api/v1/users/{}", id(&r.body))).await;
    assert_eq!(okta.body["profile"]["skills"], json!(["rust", "sql"]));
}

#[tokio::test]
async fn bulk_resolves_bulk_ids_honours_fail_on_errors_and_enforces_limits() {
    let s = Scim::start();
    // The group refers to a user created later in the same request.
    let r = s
        .post("/Bulk", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"schemas": [GROUP], "displayName": "Bulk", "members": [{"value": "bulkId:u", "type": "User"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": user("bulk@example.com", "Bulk", "User")},
            {"method": "PATCH", "path": "/Users/bulkId:u", "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "bad", "data": user("bulk@example.com", "Dup", "User")},
            {"method": "DELETE", "path": "/Users/00unope"},
        ]}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ops = r.body["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "201", "200", "409", "404"], "{}", r.text);
    assert_eq!(ops[3]["response"]["scimType"], "uniqueness");
    let uid = ops[1]["location"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let group = s
        .get(
            ops[0]["location"]
                .as_str()
                .unwrap()
                .split("/scim/v2")
                .nth(1)
                .unwrap(),
        )
        .await;
    assert_eq!(group.body["members"][0]["value"], uid.as_str());
    assert_eq!(s.get(&format!("/Users/{uid}")).await.body["title"], "Lead");

    // failOnErrors: stop after the first error.
    let r = s
        .post("/Bulk", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "failOnErrors": 1, "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "x", "data": {"schemas": [USER], "userName": "broken"}},
            {"method": "POST", "path": "/Users", "bulkId": "y", "data": user("never@example.com", "Never", "Made")},
        ]}))
        .await;
    assert_eq!(
        r.body["Operations"].as_array().unwrap().len(),
        1,
        "{}",
        r.text
    );
    assert_eq!(
        s.get(&format!(
            "/Users?filter={}",
            support_encode(r#"userName eq "never@example.com""#)
        ))
        .await
        .body["totalResults"],
        0
    );
    // A reference to an operation that failed.
    let r = s
        .post("/Bulk", json!({"Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "x", "data": {"schemas": [USER], "userName": "broken"}},
            {"method": "POST", "path": "/Groups", "data": {"schemas": [GROUP], "displayName": "G2", "members": [{"value": "bulkId:x"}]}},
        ]}))
        .await;
    assert_eq!(r.body["Operations"][1]["status"], "409", "{}", r.text);

    // Limits: maxOperations and maxPayloadSize are enforced with 413.
    let many: Vec<Value> = (0..1001)
        .map(|_| json!({"method": "DELETE", "path": "/Users/x"}))
        .collect();
    s.post("/Bulk", json!({"Operations": many}))
        .await
        .assert_error(413, None);
    let big = json!({"Operations": [{"method": "POST", "path": "/Users", "data": {"userName": "x".repeat(1_010_000)}}]});
    s.post("/Bulk", big).await.assert_error(413, None);
}

#[tokio::test]
async fn bad_input_gets_the_right_scim_type_and_never_a_500() {
    let s = Scim::start();
    let u = s.create_user("bad@example.com", "Bad", "Input").await;
    let path = format!("/Users/{}", id(&u));
    let raw = |method: Method, p: &str, text: &'static str| {
        s.http
            .request(method, format!("{}/scim/v2{p}", s.server.url))
            .header("Authorization", format!("Bearer {}", s.token))
            .header("Content-Type", "application/scim+json")
            .body(text)
    };
    for (method, p) in [
        (Method::POST, "/Users"),
        (Method::PUT, path.as_str()),
        (Method::PATCH, path.as_str()),
        (Method::POST, "/Bulk"),
        (Method::POST, "/Users/.search"),
    ] {
        let resp = raw(method.clone(), p, "{\"userName\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{method} {p}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["scimType"], "invalidSyntax", "{method} {p}: {body}");
    }
    s.post(
        "/Users",
        json!({"schemas": ["urn:example:nope"], "userName": "x@example.com"}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    s.post("/Users", json!({"schemas": [USER], "userName": ["x"]}))
        .await
        .assert_error(400, Some("invalidValue"));
    s.post(
        "/Users",
        json!({"schemas": [USER], "userName": "x@example.com", "roles": [{"value": "admin"}]}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    s.post("/Groups", json!({"schemas": [GROUP]}))
        .await
        .assert_error(400, Some("invalidValue"));
    s.patch(
        &path,
        json!([{"op": "move", "path": "title", "value": "x"}]),
    )
    .await
    .assert_error(400, Some("invalidSyntax"));
    s.send(
        Method::PATCH,
        &path,
        Some(json!({"schemas": [USER], "Operations": []})),
        &[],
    )
    .await
    .assert_error(400, Some("invalidValue"));

    let r = s
        .get(&format!("/Users?filter={}", support_encode("userName eq")))
        .await;
    r.assert_error(400, Some("invalidFilter"));
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("at character 12"),
        "{}",
        r.text
    );
    for bad in [
        "userName equals \"x\"",
        "nosuch eq 1",
        "password eq \"x\"",
        "(userName eq \"x\"",
        "groups.display eq \"g\"",
    ] {
        s.get(&format!("/Users?filter={}", support_encode(bad)))
            .await
            .assert_error(400, Some("invalidFilter"));
    }
    s.get(&format!(
        "/Groups?filter={}",
        support_encode("userName eq \"x\"")
    ))
    .await
    .assert_error(400, Some("invalidFilter"));
    s.get("/Users?startIndex=abc")
        .await
        .assert_error(400, Some("invalidValue"));
    s.get("/Users?sortBy=nosuch")
        .await
        .assert_error(400, Some("invalidValue"));
    s.get("/Users?sortOrder=sideways")
        .await
        .assert_error(400, Some("invalidValue"));
    s.get("/Users/00unope").await.assert_error(404, None);
    s.patch(
        "/Users/00unope",
        json!([{"op": "replace", "path": "title", "value": "x"}]),
    )
    .await
    .assert_error(404, None);
    s.get("/Groups/00gnope").await.assert_error(404, None);
    assert!(
        !s.server.stderr().contains("internal error"),
        "no request was an internal error"
    );
}

#[tokio::test]
async fn scim_works_the_same_on_postgresql() {
    let db = PgDatabase::create().await;
    let token = support::random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        database_url: Some(db.url.clone()),
        ..Options::default()
    });
    let s = Scim {
        server,
        token,
        http: reqwest::Client::new(),
    };
    let a = s.create_user("pg.a@example.com", "Pat", "Green").await;
    let b = s.create_user("pg.b@example.com", "Sam", "Gray").await;
    let found = s
        .get(&format!(
            "/Users?filter={}&sortBy=userName&sortOrder=descending",
            support_encode(
                r#"name.familyName sw "gr" and emails[type eq "work"].value ew "example.com""#
            )
        ))
        .await;
    assert_eq!(found.body["totalResults"], 2, "{}", found.text);
    assert_eq!(found.body["Resources"][0]["id"], b["id"]);
    let r = s.patch(&format!("/Users/{}", id(&a)), json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "pat@example.org"}])).await;
    assert_eq!(
        r.body["emails"][0]["value"], "pat@example.org",
        "{}",
        r.text
    );
    let g = s.post("/Groups", json!({"schemas": [GROUP], "displayName": "PG", "members": [{"value": id(&a)}, {"value": id(&b)}]})).await;
    assert_eq!(g.status, 201, "{}", g.text);
    let in_group = s
        .get(&format!(
            "/Users?filter={}",
            support_encode(&format!(r#"groups.value eq "{}""#, id(&g.body)))
        ))
        .await;
    assert_eq!(in_group.body["totalResults"], 2, "{}", in_group.text);
    s.post("/Users", user("PG.A@example.com", "Dup", "User"))
        .await
        .assert_error(409, Some("uniqueness"));
    drop(s);
    db.drop_db().await;
}

#[tokio::test]
async fn ids_that_no_store_can_hold_are_404_not_500() {
    let db = PgDatabase::create().await;
    let token = support::random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        database_url: Some(db.url.clone()),
        ..Options::default()
    });
    let s = Scim {
        server,
        token,
        http: reqwest::Client::new(),
    };
    s.get("/Users/a%00b").await.assert_error(404, None);
    s.get("/Groups/a%00b").await.assert_error(404, None);
    s.post(
        "/Groups",
        json!({"schemas": [GROUP], "displayName": "N", "members": [{"value": "a\u{0}b"}]}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let found = s
        .get(&format!(
            "/Users?filter={}",
            support_encode("userName eq \"a\u{0}b\"")
        ))
        .await;
    assert_ne!(found.status, 500, "{}", found.text);
    drop(s);
    db.drop_db().await;
}
