//! End-to-end: bad input on `/api/v1` against the real `roster serve`. Every refusal is a 4xx
//! with Okta's error object (errorCode, errorSummary, errorLink, errorId, errorCauses) plus
//! Roster's cause and remediation; nothing is half-written; nothing answers 5xx, on SQLite and
//! on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use support::{Options, PgDatabase, Server};

struct Api {
    base: String,
    auth: String,
    http: reqwest::Client,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
    text: String,
}

impl Api {
    fn new(server: &Server, token: &str) -> Api {
        Api {
            base: server.url.clone(),
            auth: format!("SSWS {token}"),
            http: reqwest::Client::new(),
        }
    }

    fn with_token(&self, token: &str) -> Api {
        Api {
            base: self.base.clone(),
            auth: format!("SSWS {token}"),
            http: self.http.clone(),
        }
    }

    /// `path` is sent as given (already percent-encoded where it needs to be).
    async fn raw(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.auth)
            .header("Accept", "application/json");
        if let Some(body) = body {
            req = req.header("Content-Type", "application/json").body(body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    async fn send(&self, method: Method, path: &str, body: &str) -> Answer {
        self.raw(method, path, Some(body.as_bytes().to_vec())).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.raw(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, &body.to_string()).await
    }
}

fn start() -> (Server, String) {
    let token = support::random_token();
    let server = Server::start(Options {
        bootstrap_token: Some(token.clone()),
        ..Options::default()
    });
    (server, token)
}

/// Okta's error object, with Roster's cause and remediation, and the expected status and code.
#[track_caller]
fn assert_okta_error(answer: &Answer, status: u16, code: &str) {
    let b = &answer.body;
    assert_eq!(answer.status, status, "{}", answer.text);
    assert_eq!(b["errorCode"], code, "{}", answer.text);
    assert!(
        b["errorSummary"].as_str().is_some_and(|s| !s.is_empty()),
        "{}",
        answer.text
    );
    assert_eq!(b["errorLink"], code, "{}", answer.text);
    assert!(
        b["errorId"].as_str().is_some_and(|s| s.len() > 8),
        "{}",
        answer.text
    );
    assert!(b["errorCauses"].is_array(), "{}", answer.text);
    assert!(
        b["cause"].as_str().is_some_and(|s| !s.is_empty()),
        "a cause: {}",
        answer.text
    );
    assert!(
        b["remediation"].as_str().is_some_and(|s| !s.is_empty()),
        "a remediation: {}",
        answer.text
    );
    assert!(
        answer
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json")),
        "JSON: {:?}",
        answer.headers
    );
}

fn first_cause(answer: &Answer) -> String {
    answer.body["errorCauses"][0]["errorSummary"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn user_body(login: &str) -> Value {
    json!({ "profile": {
        "login": login, "email": login, "firstName": "Ada", "lastName": "Lovelace"
    }})
}

async fn create_user(api: &Api, login: &str) -> String {
    let answer = api
        .post("/api/v1/users?activate=false", user_body(login))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn malformed_json_is_e0000003() {
    let (server, token) = start();
    let api = Api::new(&server, &token);
    let user = create_user(&api, "mal@example.com").await;
    for (method, path, body) in [
        (Method::POST, "/api/v1/users".to_owned(), r#"{"profile":"#),
        (Method::POST, "/api/v1/groups".to_owned(), "not json"),
        (
            Method::PUT,
            format!("/api/v1/users/{user}"),
            "{\"profile\": {,}}",
        ),
        (
            Method::POST,
            format!("/api/v1/users/{user}/lifecycle/reset_password?sendEmail=false"),
            "{\"credentials\":",
        ),
        (
            Method::POST,
            "/api/v1/authn".to_owned(),
            "{\"username\": \"a\",",
        ),
        (
            Method::POST,
            "/api/v1/policies".to_owned(),
            "{'single':'quotes'}",
        ),
    ] {
        let answer = api.send(method.clone(), &path, body).await;
        assert_okta_error(&answer, 400, "E0000003");
        assert!(
            first_cause(&answer).contains("line 1 column"),
            "{method} {path}: the cause says where: {}",
            answer.text
        );
    }
    // Nothing changed: the user is still STAGED with its profile.
    let answer = api.get(&format!("/api/v1/users/{user}")).await;
    assert_eq!(answer.body["status"], "STAGED");
}

#[tokio::test]
async fn wrong_types_are_e0000001_naming_the_field_path() {
    let (server, token) = start();
    let api = Api::new(&server, &token);
    let mut body = user_body("types@example.com");
    body["credentials"] = json!({ "password": { "value": 5 } });
    let cases = [
        ("/api/v1/users", body, "credentials.password.value"),
        ("/api/v1/users", json!({ "profile": "ada" }), "profile"),
        (
            "/api/v1/users",
            json!({ "profile": { "login": "t2@example.com" }, "groupIds": "00g1" }),
            "groupIds",
        ),
        (
            "/api/v1/groups",
            json!({ "profile": { "name": 5 } }),
            "profile.name",
        ),
        (
            "/api/v1/policies?type=PASSWORD",
            json!({ "type": "PASSWORD", "name": "p", "settings": { "password": { "complexity": { "minLength": "ten" } } } }),
            "settings.password.complexity.minLength",
        ),
        (
            "/api/v1/authn",
            json!({ "username": ["a"], "password": "x" }),
            "username",
        ),
        (
            "/api/v1/users",
            json!({ "profile": { "login": "nul@example.com", "email": "nul@example.com", "firstName": "A\u{0}b", "lastName": "L" } }),
            "profile.firstName",
        ),
    ];
    for (path, body, field) in cases {
        let answer = api.post(path, body).await;
        assert_okta_error(&answer, 400, "E0000001");
        assert_eq!(
            answer.body["errorSummary"],
            format!("Api validation failed: {field}"),
            "{}",
            answer.text
        );
        assert!(
            first_cause(&answer).starts_with(&format!("{field}: ")),
            "{}",
            answer.text
        );
    }
    // An array where the body must be an object.
    let answer = api.send(Method::POST, "/api/v1/authn", "[1, 2]").await;
    assert_okta_error(&answer, 400, "E0000001");
    assert_eq!(answer.body["errorSummary"], "Api validation failed: body");
    // A profile value of the wrong type is a schema violation naming the attribute.
    let answer = api
        .post(
            "/api/v1/users",
            json!({ "profile": { "login": "t3@example.com", "email": "t3@example.com", "firstName": 7, "lastName": "L" } }),
        )
        .await;
    assert_okta_error(&answer, 400, "E0000001");
    assert!(
        first_cause(&answer).starts_with("firstName: "),
        "{}",
        answer.text
    );
    // Nothing was created by any of them.
    let answer = api.get("/api/v1/users").await;
    assert_eq!(answer.body.as_array().unwrap().len(), 0, "{}", answer.text);
}

#[tokio::test]
async fn unknown_ids_are_404_e0000007() {
    let (server, token) = start();
    let api = Api::new(&server, &token);
    let user = create_user(&api, "known@example.com").await;
    let group = api
        .post("/api/v1/groups", json!({ "profile": { "name": "known" } }))
        .await;
    let group = group.body["id"].as_str().unwrap().to_owned();
    let cases: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/users/00unknownuser00000".into(), None),
        (Method::GET, "/api/v1/users/nobody@example.com".into(), None),
        (
            Method::POST,
            "/api/v1/users/00unknownuser00000".into(),
            Some(json!({ "profile": { "title": "x" } })),
        ),
        (
            Method::DELETE,
            "/api/v1/users/00unknownuser00000".into(),
            None,
        ),
        (
            Method::POST,
            "/api/v1/users/00unknownuser00000/lifecycle/suspend".into(),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/users/{user}/lifecycle/explode"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/users/00unknownuser00000/credentials/change_password".into(),
            Some(json!({ "oldPassword": { "value": "a" }, "newPassword": { "value": "b" } })),
        ),
        (
            Method::GET,
            "/api/v1/users/00unknownuser00000/groups".into(),
            None,
        ),
        (Method::GET, "/api/v1/groups/00gunknown".into(), None),
        (Method::GET, "/api/v1/groups/00gunknown/users".into(), None),
        (
            Method::PUT,
            format!("/api/v1/groups/{group}/users/00unknownuser00000"),
            None,
        ),
        (
            Method::PUT,
            format!("/api/v1/groups/00gunknown/users/{user}"),
            None,
        ),
        (Method::DELETE, "/api/v1/groups/00gunknown".into(), None),
        (Method::GET, "/api/v1/policies/00punknown".into(), None),
        (
            Method::PUT,
            "/api/v1/policies/00punknown".into(),
            Some(json!({ "type": "PASSWORD", "name": "x" })),
        ),
        (Method::DELETE, "/api/v1/policies/00punknown".into(), None),
        (Method::GET, "/api/v1/api-tokens/00tunknown".into(), None),
        (Method::GET, "/api/v1/users/ab%00cd".into(), None),
        (Method::GET, "/api/v1/groups/ab%00cd".into(), None),
    ];
    for (method, path, body) in cases {
        let answer = api
            .raw(
                method.clone(),
                &path,
                body.map(|b| b.to_string().into_bytes()),
            )
            .await;
        assert_okta_error(&answer, 404, "E0000007");
        assert!(
            answer.body["errorSummary"]
                .as_str()
                .unwrap()
                .starts_with("Not found: Resource not found: "),
            "{method} {path}: {}",
            answer.text
        );
    }
}

#[tokio::test]
async fn bad_filters_are_e0000031_with_the_position() {
    let (server, token) = start();
    let api = Api::new(&server, &token);
    let cases = [
        // (path, the parameter named in the cause, the character the error points at)
        ("/api/v1/users?search=profile.lastName%20eq", "search", 20),
        (
            "/api/v1/users?search=profile.lastName%20equals%20%22x%22",
            "search",
            18,
        ),
        (
            "/api/v1/users?filter=status%20eq%20%22ACTIVE%22%20and%20nope.attr%20eq%20%22x%22",
            "filter",
            24,
        ),
        (
            "/api/v1/users?search=profile.lastName%20eq%20%22a%5Cu0000b%22",
            "search",
            1,
        ),
        (
            "/api/v1/groups?search=profile.nope%20eq%20%22x%22",
            "search",
            1,
        ),
        (
            "/api/v1/logs?filter=eventType%20eq%20%22unterminated",
            "filter",
            14,
        ),
        ("/api/v1/logs?filter=(eventType%20pr", "filter", 14),
    ];
    for (path, param, at) in cases {
        let answer = api.get(path).await;
        assert_okta_error(&answer, 400, "E0000031");
        assert_eq!(answer.body["errorSummary"], "Invalid search criteria.");
        let cause = first_cause(&answer);
        assert!(
            cause.starts_with(&format!("{param}: ")),
            "{path}: names {param}: {cause}"
        );
        assert!(
            cause.ends_with(&format!("(at character {at})")),
            "{path}: points at character {at}: {cause}"
        );
    }
}

/// POST a body of `len` bytes over a plain TCP connection, with a Content-Length or chunked
/// (then the limit is hit while the handler reads the body), and return the raw response. The
/// server may answer and close before the whole body is sent; an HTTP client library may report
/// that as a failed send, so the response is read whatever happened to the writes.
fn big_post(method: &str, base: &str, path: &str, auth: &str, len: usize, chunked: bool) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let framing = if chunked {
        "Transfer-Encoding: chunked".to_owned()
    } else {
        format!("Content-Length: {len}")
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: {auth}\r\nContent-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes());
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < len {
        let wrote = if chunked {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .and_then(|_| stream.write_all(&chunk))
                .and_then(|_| stream.write_all(b"\r\n"))
        } else {
            stream.write_all(&chunk[..chunk.len().min(len - sent)])
        };
        if wrote.is_err() {
            break;
        }
        sent += chunk.len();
    }
    if chunked {
        let _ = stream.write_all(b"0\r\n\r\n");
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

#[tokio::test]
async fn oversized_bodies_are_413_with_the_error_object() {
    let (server, token) = start();
    let api = Api::new(&server, &token);
    let user = create_user(&api, "big@example.com").await;
    let two_mib = 2 * 1024 * 1024;
    for (method, path) in [
        ("POST", "/api/v1/users".to_owned()),
        ("PUT", format!("/api/v1/users/{user}")),
        (
            "POST",
            format!("/api/v1/users/{user}/lifecycle/reset_password"),
        ),
        ("POST", "/api/v1/authn".to_owned()),
    ] {
        // With a Content-Length the limit answers before the body is read; without one
        // (chunked) it is hit while the handler reads the body: the same answer.
        for chunked in [false, true] {
            let raw = big_post(method, &server.url, &path, &api.auth, two_mib, chunked);
            let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
            assert!(
                head.starts_with("HTTP/1.1 413"),
                "{method} {path} chunked={chunked}: {raw}"
            );
            assert!(
                head.to_ascii_lowercase()
                    .contains("content-type: application/json"),
                "{raw}"
            );
            let body: Value = serde_json::from_str(body.trim()).unwrap_or(Value::Null);
            assert_eq!(body["errorCode"], "E0000003", "{raw}");
            assert_eq!(body["errorSummary"], "The request body was too large.");
            assert!(body["cause"].as_str().unwrap().contains("1048576"), "{raw}");
            assert!(!body["remediation"].as_str().unwrap().is_empty());
        }
    }
    let answer = api.get(&format!("/api/v1/users/{user}")).await;
    assert_eq!(answer.body["status"], "STAGED", "nothing changed");
    let answer = api.get("/api/v1/users/big2@example.com").await;
    assert_eq!(answer.status, 404, "nothing created");
}

#[tokio::test]
async fn read_only_tokens_get_403_e0000006_on_every_write() {
    let (server, token) = start();
    let api = Api::new(&server, &token);
    let user = create_user(&api, "ro@example.com").await;
    let group = api
        .post("/api/v1/groups", json!({ "profile": { "name": "ro" } }))
        .await;
    let group = group.body["id"].as_str().unwrap().to_owned();
    let policies = api.get("/api/v1/policies?type=PASSWORD").await;
    let policy = policies.body[0]["id"].as_str().unwrap().to_owned();

    // Made through the binary, against the same data dir, while the server runs.
    let read_only = server.create_token("auditor", "READ_ONLY_ADMIN");
    let ro = api.with_token(&read_only);
    for path in [
        "/api/v1/users".to_owned(),
        format!("/api/v1/users/{user}"),
        format!("/api/v1/groups/{group}/users"),
        "/api/v1/policies?type=PASSWORD".to_owned(),
        "/api/v1/logs".to_owned(),
        "/api/v1/meta/schemas/user/default".to_owned(),
    ] {
        let answer = ro.get(&path).await;
        assert_eq!(answer.status, 200, "reads work: {path}: {}", answer.text);
    }
    let writes: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            "/api/v1/users".into(),
            user_body("ro2@example.com"),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{user}"),
            json!({ "profile": { "title": "changed" } }),
        ),
        (
            Method::PUT,
            format!("/api/v1/users/{user}"),
            user_body("ro@example.com"),
        ),
        (Method::DELETE, format!("/api/v1/users/{user}"), json!({})),
        (
            Method::POST,
            format!("/api/v1/users/{user}/lifecycle/activate?sendEmail=false"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{user}/lifecycle/reset_password?sendEmail=false"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{user}/credentials/change_password"),
            json!({ "oldPassword": { "value": "a" }, "newPassword": { "value": "b" } }),
        ),
        (
            Method::POST,
            "/api/v1/groups".into(),
            json!({ "profile": { "name": "ro2" } }),
        ),
        (
            Method::PUT,
            format!("/api/v1/groups/{group}"),
            json!({ "profile": { "name": "ro3" } }),
        ),
        (
            Method::PUT,
            format!("/api/v1/groups/{group}/users/{user}"),
            json!({}),
        ),
        (Method::DELETE, format!("/api/v1/groups/{group}"), json!({})),
        (
            Method::POST,
            "/api/v1/policies".into(),
            json!({ "type": "PASSWORD", "name": "ro" }),
        ),
        (
            Method::PUT,
            format!("/api/v1/policies/{policy}"),
            json!({ "type": "PASSWORD", "name": "ro" }),
        ),
        (
            Method::DELETE,
            format!("/api/v1/policies/{policy}"),
            json!({}),
        ),
        (
            Method::POST,
            "/api/v1/meta/schemas/user/default".into(),
            json!({ "definitions": { "custom": { "properties": { "ro": { "title": "ro", "type": "string" } } } } }),
        ),
        (
            Method::DELETE,
            "/api/v1/api-tokens/current".into(),
            json!({}),
        ),
    ];
    for (method, path, body) in writes {
        let answer = ro.send(method.clone(), &path, &body.to_string()).await;
        assert_okta_error(&answer, 403, "E0000006");
        assert!(
            answer.body["cause"]
                .as_str()
                .unwrap()
                .contains("READ_ONLY_ADMIN"),
            "{method} {path}: {}",
            answer.text
        );
    }
    // Nothing changed.
    let answer = api.get(&format!("/api/v1/users/{user}")).await;
    assert_eq!(answer.body["status"], "STAGED");
    assert!(answer.body["profile"].get("title").is_none());
    assert_eq!(
        api.get(&format!("/api/v1/groups/{group}")).await.status,
        200
    );
    assert_eq!(ro.get("/api/v1/users").await.status, 200, "still valid");
    assert!(!server.stderr().contains(&read_only), "never logged");
}

#[tokio::test]
async fn a_federation_user_cannot_get_a_password() {
    let (server, token) = start();
    let api = Api::new(&server, &token);
    let password = "Basalt-Wren-77!";
    let check = |answer: &Answer| {
        assert_okta_error(answer, 400, "E0000001");
        assert_eq!(
            answer.body["errorSummary"],
            "Api validation failed: password"
        );
        let cause = first_cause(answer);
        assert!(cause.starts_with("password: "), "{cause}");
        assert!(cause.contains("FEDERATION"), "{cause}");
        assert!(
            answer.body["cause"]
                .as_str()
                .unwrap()
                .contains("FEDERATION"),
            "{}",
            answer.text
        );
        assert!(
            answer.body["remediation"]
                .as_str()
                .unwrap()
                .contains("reset_password"),
            "the remediation names the conversion: {}",
            answer.text
        );
        assert!(!answer.text.contains(password), "no password in errors");
    };

    // Created with one: refused, and no user is left behind.
    let mut body = user_body("fed1@example.com");
    body["credentials"] = json!({
        "password": { "value": password },
        "provider": { "type": "FEDERATION", "name": "FEDERATION" }
    });
    check(&api.post("/api/v1/users?provider=true", body).await);
    assert_eq!(api.get("/api/v1/users/fed1@example.com").await.status, 404);

    // Given one later: refused, and the user keeps no password.
    let mut body = user_body("fed2@example.com");
    body["credentials"] = json!({ "provider": { "type": "FEDERATION", "name": "FEDERATION" } });
    let created = api.post("/api/v1/users?provider=true", body).await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(
        created.body["credentials"]["provider"]["type"],
        "FEDERATION"
    );
    let id = created.body["id"].as_str().unwrap().to_owned();
    check(
        &api.post(
            &format!("/api/v1/users/{id}"),
            json!({ "credentials": { "password": { "value": password } } }),
        )
        .await,
    );
    let after = api.get(&format!("/api/v1/users/{id}")).await;
    assert!(after.body["credentials"].get("password").is_none());
    assert!(after.body["passwordChanged"].is_null());
    assert!(!server.stderr().contains(password), "never logged");
}

#[tokio::test]
async fn unsupported_methods_and_paths_get_okta_errors() {
    let (server, token) = start();
    let api = Api::new(&server, &token);
    let answer = api.send(Method::PATCH, "/api/v1/users", "{}").await;
    assert_okta_error(&answer, 405, "E0000022");
    assert!(answer.headers.get("allow").is_some());
    let answer = api.get("/api/v1/users/%FF").await;
    assert_okta_error(&answer, 400, "E0000001");
    let answer = api.get("/api/v1/no-such-thing").await;
    assert!(answer.status == 404, "{}", answer.text);
    assert!(answer.body["errorCode"].is_string());
}

/// A battery of bad requests: none may answer 5xx, and every 4xx is Okta's error object.
async fn no_bad_input_gets_a_5xx(server: &Server, token: &str) {
    let api = Api::new(server, token);
    let user = create_user(&api, "battery@example.com").await;
    let nul_profile = r#"{"profile":{"login":"n@example.com","email":"n@example.com","firstName":"a\u0000b","lastName":"b"}}"#;
    let deep = format!(
        "{{\"profile\":{{\"login\":\"d@example.com\",\"x\":{}{}}}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let long_login = format!("{}@example.com", "a".repeat(100_000));
    let cases: Vec<(Method, String, Option<String>)> = vec![
        (Method::GET, "/api/v1/users?limit=0".into(), None),
        (Method::GET, "/api/v1/users?limit=-1".into(), None),
        (Method::GET, "/api/v1/users?limit=99999999999999999999".into(), None),
        (Method::GET, "/api/v1/users?after=%00".into(), None),
        (Method::GET, "/api/v1/users?after=not-a-cursor".into(), None),
        (Method::GET, "/api/v1/users?q=%00".into(), None),
        (Method::GET, "/api/v1/users?q=%zz".into(), None),
        (Method::GET, "/api/v1/users?q=%FF".into(), None),
        (Method::GET, "/api/v1/users?search=%22".into(), None),
        (Method::GET, "/api/v1/users?search=profile.login%20gt%20true".into(), None),
        (Method::GET, "/api/v1/users?search=lastUpdated%20gt%20%22yesterday%22".into(), None),
        (Method::GET, "/api/v1/users?search=status%20eq%20%22a%5Cu0000%22".into(), None),
        (Method::GET, "/api/v1/users?search=a&filter=b".into(), None),
        (Method::GET, "/api/v1/users/%00".into(), None),
        (Method::GET, "/api/v1/users/%FF%FE".into(), None),
        (Method::GET, format!("/api/v1/users/{}", "x".repeat(10_000)), None),
        (Method::GET, "/api/v1/groups?q=%00".into(), None),
        (Method::GET, "/api/v1/groups?limit=abc".into(), None),
        (Method::GET, "/api/v1/groups?after=%00".into(), None),
        (Method::GET, "/api/v1/groups/%00/users".into(), None),
        (Method::GET, "/api/v1/logs?since=yesterday".into(), None),
        (Method::GET, "/api/v1/logs?until=2026-13-45T99:99:99Z".into(), None),
        (Method::GET, "/api/v1/logs?after=%00".into(), None),
        (Method::GET, "/api/v1/logs?after=garbage".into(), None),
        (Method::GET, "/api/v1/logs?q=%00".into(), None),
        (Method::GET, "/api/v1/logs?sortOrder=SIDEWAYS".into(), None),
        (Method::GET, "/api/v1/logs?filter=published%20gt%20%22x%22".into(), None),
        (Method::GET, "/api/v1/logs?filter=nested.deep.attr%20eq%2042".into(), None),
        (Method::GET, "/api/v1/policies".into(), None),
        (Method::GET, "/api/v1/policies?type=OKTA_SIGN_ON".into(), None),
        (Method::GET, "/api/v1/policies/%00".into(), None),
        (Method::GET, "/api/v1/api-tokens/%00".into(), None),
        (Method::DELETE, "/api/v1/api-tokens/%00".into(), None),
        (Method::POST, "/api/v1/users".into(), Some(nul_profile.into())),
        (Method::POST, "/api/v1/users".into(), Some(deep)),
        (Method::POST, "/api/v1/users".into(), Some(user_body(&long_login).to_string())),
        (Method::POST, "/api/v1/users".into(), Some("null".into())),
        (Method::POST, "/api/v1/users".into(), Some("\"x\"".into())),
        (Method::POST, "/api/v1/users".into(), Some("[]".into())),
        (Method::POST, "/api/v1/users?activate=maybe".into(), Some(user_body("m@example.com").to_string())),
        (Method::POST, "/api/v1/users?nextLogin=now".into(), Some(user_body("m@example.com").to_string())),
        (Method::POST, "/api/v1/users".into(), Some(json!({ "profile": { "login": "g@example.com", "email": "g@example.com", "firstName": "a", "lastName": "b" }, "groupIds": ["00gnope"] }).to_string())),
        (Method::POST, "/api/v1/users".into(), Some(json!({ "profile": { "login": "h@example.com", "email": "h@example.com", "firstName": "a", "lastName": "b" }, "credentials": { "password": { "hash": { "algorithm": "MD5000", "value": "x" } } } }).to_string())),
        (Method::POST, "/api/v1/users".into(), Some(json!({ "profile": { "login": "i@example.com", "email": "i@example.com", "firstName": "a", "lastName": "b" }, "credentials": { "provider": { "type": "MARTIAN" } } }).to_string())),
        (Method::POST, "/api/v1/users".into(), Some(json!({ "profile": { "login": "j@example.com", "email": "j@example.com", "firstName": "a", "lastName": "b" }, "credentials": { "password": { "value": "short" } } }).to_string())),
        (Method::POST, format!("/api/v1/users/{user}"), Some(json!({ "profile": { "login": null } }).to_string())),
        (Method::POST, format!("/api/v1/users/{user}"), Some(json!({ "credentials": { "provider": { "type": "FEDERATION" } } }).to_string())),
        (Method::PUT, format!("/api/v1/users/{user}"), Some("{}".into())),
        (Method::POST, format!("/api/v1/users/{user}/lifecycle/unlock"), None),
        (Method::POST, format!("/api/v1/users/{user}/lifecycle/unsuspend"), None),
        (Method::POST, format!("/api/v1/users/{user}/lifecycle/reactivate"), None),
        (Method::POST, format!("/api/v1/users/{user}/lifecycle/expire_password"), None),
        (Method::POST, format!("/api/v1/users/{user}/lifecycle/reset_password?sendEmail=false"), Some(json!({ "credentials": { "provider": { "type": "LDAP" } } }).to_string())),
        (Method::POST, format!("/api/v1/users/{user}/lifecycle/suspend?sendEmail=perhaps"), None),
        (Method::POST, format!("/api/v1/users/{user}/credentials/change_password"), Some("{}".into())),
        (Method::POST, format!("/api/v1/users/{user}/credentials/change_password"), Some(json!({ "oldPassword": { "value": "x" }, "newPassword": { "value": "y" } }).to_string())),
        (Method::POST, format!("/api/v1/users/{user}/credentials/forgot_password?sendEmail=false"), None),
        (Method::POST, "/api/v1/groups".into(), Some("{}".into())),
        (Method::POST, "/api/v1/groups".into(), Some(json!({ "profile": { "name": "" } }).to_string())),
        (Method::POST, "/api/v1/groups".into(), Some(json!({ "profile": { "name": "x".repeat(100_000) } }).to_string())),
        (Method::POST, "/api/v1/policies".into(), Some(json!({ "type": "OKTA_SIGN_ON", "name": "x" }).to_string())),
        (Method::POST, "/api/v1/policies".into(), Some(json!({ "type": "PASSWORD" }).to_string())),
        (Method::POST, "/api/v1/policies".into(), Some(json!({ "type": "PASSWORD", "name": "x", "priority": -3 }).to_string())),
        (Method::POST, "/api/v1/policies".into(), Some(json!({ "type": "PASSWORD", "name": "x", "conditions": { "people": { "groups": { "include": ["00gnope"] } } } }).to_string())),
        (Method::POST, "/api/v1/policies".into(), Some(json!({ "type": "PASSWORD", "name": "x", "settings": { "password": { "complexity": { "minLength": 4000000000u64 } } } }).to_string())),
        (Method::POST, "/api/v1/policies/00pnope/lifecycle/explode".into(), None),
        (Method::POST, "/api/v1/meta/schemas/user/default".into(), Some(json!({ "definitions": { "custom": { "properties": { "x y": { "type": "wat" } } } } }).to_string())),
        (Method::POST, "/api/v1/meta/schemas/user/default".into(), Some(json!({ "definitions": { "custom": "nope" } }).to_string())),
        (Method::POST, "/api/v1/meta/schemas/user/default".into(), Some(json!({ "definitions": { "base": { "properties": { "login": null } } } }).to_string())),
        (Method::POST, "/api/v1/meta/schemas/user/default".into(), Some(json!({ "definitions": { "custom": { "properties": { "z": { "title": "z", "type": "string", "pattern": "((" } } } } }).to_string())),
        (Method::POST, "/api/v1/authn".into(), Some("{}".into())),
        (Method::POST, "/api/v1/authn".into(), Some(json!({ "username": "a\u{0}b", "password": "x" }).to_string())),
        (Method::POST, "/api/v1/authn".into(), Some(json!({ "username": "x".repeat(100_000), "password": "x" }).to_string())),
        (Method::POST, "/reset_password/nope".into(), Some(json!({ "newPassword": "x" }).to_string())),
        (Method::POST, "/reset_password/%00".into(), Some(json!({ "newPassword": "x" }).to_string())),
        (Method::POST, "/reset_password/nope".into(), Some("{".into())),
        (Method::DELETE, "/api/v1/logs".into(), None),
        (Method::PUT, "/api/v1/users".into(), Some("{}".into())),
    ];
    let mut problems = Vec::new();
    for (method, path, body) in cases {
        let answer = api
            .raw(method.clone(), &path, body.map(String::into_bytes))
            .await;
        let short: String = path.chars().take(80).collect();
        if answer.status >= 500 {
            problems.push(format!(
                "{method} {short}: {} {}",
                answer.status, answer.text
            ));
        } else if answer.status >= 400 {
            let b = &answer.body;
            if !(b["errorCode"].is_string()
                && b["errorId"].is_string()
                && b["errorCauses"].is_array()
                && b["cause"].as_str().is_some_and(|s| !s.is_empty())
                && b["remediation"].as_str().is_some_and(|s| !s.is_empty()))
            {
                problems.push(format!(
                    "{method} {short}: {} without Okta's error object, cause and remediation: {}",
                    answer.status,
                    answer.text.chars().take(300).collect::<String>()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let log = server.stderr();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.is_empty(),
        "no internal error was logged:\n{}",
        errors.join("\n")
    );
}

#[tokio::test]
async fn no_bad_input_gets_a_5xx_on_sqlite() {
    let (server, token) = start();
    no_bad_input_gets_a_5xx(&server, &token).await;
}

#[tokio::test]
async fn no_bad_input_gets_a_5xx_on_postgresql() {
    let db = PgDatabase::create().await;
    let token = support::random_token();
    {
        let server = Server::start(Options {
            bootstrap_token: Some(token.clone()),
            database_url: Some(db.url.clone()),
            ..Options::default()
        });
        no_bad_input_gets_a_5xx(&server, &token).await;
    }
    db.drop_db().await;
}
