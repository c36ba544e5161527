//! A small Management API client for end-to-end tests: JSON requests with an SSWS token, and
//! polling until a condition holds.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};

use super::{Options, Server};

/// Start a server and a client that holds its bootstrap token.
pub fn serve(opts: Options) -> (Server, Api) {
    let token = opts
        .bootstrap_token
        .clone()
        .expect("serve() needs Options with a bootstrap token");
    let server = Server::start(opts);
    let api = Api::new(&server, &token);
    (server, api)
}

pub struct Api {
    pub url: String,
    token: String,
    auth: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(server: &Server, token: &str) -> Api {
        Api {
            url: server.url.clone(),
            token: token.to_owned(),
            auth: format!("SSWS {token}"),
            http: reqwest::Client::new(),
        }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("Authorization", &self.auth)
            .header("Accept", "application/json");
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// POST a CSV body (a CSV app's import).
    pub async fn post_csv(&self, path: &str, csv: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .header("Authorization", &self.auth)
            .header("Content-Type", "text/csv")
            .body(csv.to_owned())
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(Method::PUT, path, Some(body)).await
    }

    /// The request must succeed (2xx); its body.
    pub async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, v) = self.send(method.clone(), path, body).await;
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {v}"
        );
        v
    }

    /// GET `path` until `done` holds (20 s at most).
    pub async fn until(&self, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let mut last = Value::Null;
        for _ in 0..400 {
            let (status, v) = self.get(path).await;
            if status == 200 && done(&v) {
                return v;
            }
            last = v;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what} never happened; last answer of {path}: {last}");
    }

    /// Wait until an import job is no longer RUNNING (10 minutes at most); returns it.
    pub async fn import_done(&self, app_id: &str, job_id: &str) -> Value {
        let path = format!("/api/v1/apps/{app_id}/imports/{job_id}");
        let mut last = Value::Null;
        for _ in 0..6000 {
            last = self.ok(Method::GET, &path, None).await;
            if last["status"] != "RUNNING" {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the import never ended: {last}");
    }

    /// Start an import (JSON body) and wait for its end.
    pub async fn import(&self, app_id: &str, kind: &str) -> Value {
        let job = self
            .ok(
                Method::POST,
                &format!("/api/v1/apps/{app_id}/imports"),
                Some(json!({ "type": kind })),
            )
            .await;
        self.import_done(app_id, job["id"].as_str().unwrap()).await
    }

    /// Upload a CSV import and wait for its end.
    pub async fn import_csv(&self, app_id: &str, csv: &str) -> Value {
        let (status, job) = self
            .post_csv(&format!("/api/v1/apps/{app_id}/imports"), csv)
            .await;
        assert_eq!(status, 202, "{job}");
        self.import_done(app_id, job["id"].as_str().unwrap()).await
    }

    pub async fn create_user(&self, login: &str, activate: bool) -> Value {
        let body = json!({ "profile": {
            "login": login, "email": login,
            "firstName": login.split('@').next().unwrap(), "lastName": "Example"
        }});
        self.ok(
            Method::POST,
            &format!("/api/v1/users?activate={activate}"),
            Some(body),
        )
        .await
    }

    /// `POST /api/v1/authn`, without the API token (as a browser or an SDK signs in).
    pub async fn authn(&self, login: &str, password: &str) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/api/v1/authn", self.url))
            .json(&json!({ "username": login, "password": password }))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Poll the app user until its syncState leaves SYNCING (20 s at most).
    pub async fn settled_app_user(&self, app_id: &str, user_id: &str) -> Value {
        self.until(
            &format!("/api/v1/apps/{app_id}/users/{user_id}"),
            "the app user to leave SYNCING",
            |au| au["syncState"] != "SYNCING",
        )
        .await
    }

    /// The System Log events of one type.
    pub async fn events_of_type(&self, event_type: &str) -> Vec<Value> {
        self.events(&format!("eventType eq \"{event_type}\"")).await
    }

    /// Every System Log event matching `filter`.
    pub async fn events(&self, filter: &str) -> Vec<Value> {
        let (status, v) = self
            .get(&format!(
                "/api/v1/logs?limit=1000&filter={}",
                urlencode(filter)
            ))
            .await;
        assert_eq!(status, 200, "{v}");
        v.as_array().cloned().unwrap_or_default()
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
