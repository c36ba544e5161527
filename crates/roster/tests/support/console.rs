//! The admin console without a browser: a cookie-keeping HTTP client that signs in through
//! `/admin/login` like a person's browser would, reads the CSRF token from pages and submits
//! forms. Browser tests (Chromium) are in `browser.rs`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::process::Command;

use super::{Server, BIN};

/// Make a console administrator with `roster admin create` against the server's database.
pub fn create_admin(server: &Server, login: &str, password: &str, role: &str) -> String {
    let mut cmd = Command::new(BIN);
    cmd.arg("admin")
        .arg("create")
        .arg("--data-dir")
        .arg(&server.data_dir)
        .arg("--login")
        .arg(login)
        .arg("--role")
        .arg(role)
        .env("ROSTER_ADMIN_PASSWORD", password)
        .env_remove("ROSTER_DATABASE_URL")
        .env_remove("ROSTER_DATA_DIR");
    if let Some(url) = &server.database_url {
        cmd.arg("--database-url").arg(url);
    }
    let out = cmd.output().expect("run roster admin create");
    assert!(
        out.status.success(),
        "roster admin create failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub html: String,
}

impl Page {
    /// The value of the first `<input ... name="NAME" ... value="...">` of the page.
    pub fn input(&self, name: &str) -> Option<String> {
        let needle = format!("name=\"{name}\"");
        let at = self.html.find(&needle)?;
        let start = self.html[..at].rfind('<')?;
        let end = at + self.html[at..].find('>')?;
        let tag = &self.html[start..end];
        let v = tag.find("value=\"")? + 7;
        let rest = &tag[v..];
        Some(rest[..rest.find('"')?].to_owned())
    }

    pub fn csrf(&self) -> String {
        self.input("_csrf").expect("the page has a CSRF token")
    }
}

/// A browser-like client: follows no redirects by itself, keeps cookies.
pub struct Console {
    pub url: String,
    http: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

impl Console {
    pub fn new(server: &Server) -> Console {
        Console {
            url: server.url.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &reqwest::header::HeaderMap) {
        for v in headers.get_all(reqwest::header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let pair = v.split(';').next().unwrap();
            let (k, val) = pair.split_once('=').unwrap();
            if val.is_empty() || v.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
    }

    async fn finish(&mut self, resp: reqwest::Response) -> Page {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        self.keep_cookies(&headers);
        let location = headers
            .get(reqwest::header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let html = resp.text().await.unwrap();
        Page {
            status,
            location,
            headers,
            html,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .header("Cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .header("Cookie", self.cookie_header())
            .form(fields)
            .send()
            .await
            .unwrap();
        self.finish(resp).await
    }

    /// Sign in through the form; the answer to the POST (a 303 on success).
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/admin/login").await;
        assert_eq!(form.status, 200, "{}", form.html);
        let csrf = form.csrf();
        self.post(
            "/admin/login",
            &[
                ("username", username),
                ("password", password),
                ("_csrf", &csrf),
                ("next", "/admin"),
            ],
        )
        .await
    }

    /// Sign in and insist it worked.
    pub async fn signed_in(server: &Server, username: &str, password: &str) -> Console {
        let mut c = Console::new(server);
        let answer = c.sign_in(username, password).await;
        assert_eq!(answer.status, 303, "sign-in failed: {}", answer.html);
        assert_eq!(answer.location.as_deref(), Some("/admin"));
        c
    }
}
