//! Mail, end to end, with a real SMTP server (aiosmtpd, `tests/smtp_sink.py`) and the real
//! `roster serve`: `sendEmail=true` on reset_password and activate, the mail's link followed
//! with the pages' forms and the new password signed in with; `/forgot-password` and
//! `POST /api/v1/authn/recovery/password` answering the same for known and unknown users; the
//! password-changed notice; a name that tries to add a header; an SMTP server that is down
//! (the API answers at once, the mail arrives once it is up) and one that refuses Roster's
//! credentials (a Task). No link token, and no SMTP password, in the server's log, the System
//! Log, the tasks or any mail header.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use support::api::{serve, urlencode, Api};
use support::console::Console;
use support::{Options, Server};

const FROM: &str = "Roster Test <roster@example.com>";

/// The Python with aiosmtpd: `ROSTER_TEST_SMTP_PYTHON`, else Debian's `/usr/bin/python3`
/// (`python3-aiosmtpd`, installed by `scripts/test-tools.sh`). Missing is a failure.
fn smtp_python() -> PathBuf {
    let python = std::env::var_os("ROSTER_TEST_SMTP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/python3"));
    let ok = Command::new(&python)
        .args(["-c", "import aiosmtpd"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{} cannot import aiosmtpd: install Debian's python3-aiosmtpd (scripts/test-tools.sh does) \
         or set ROSTER_TEST_SMTP_PYTHON",
        python.display()
    );
    python
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running aiosmtpd that writes what it receives under `dir`. Killed on drop.
struct Smtp {
    child: Child,
    port: u16,
    dir: PathBuf,
    _tmp: tempfile::TempDir,
}

/// One received mail: envelope, headers, decoded bodies, and the raw header block.
#[derive(Debug, Clone)]
struct Mail {
    to: String,
    /// The user the sender authenticated as (a sink started with `--accept-auth`).
    auth_login: Option<String>,
    headers: Vec<(String, String)>,
    raw_head: String,
    text: String,
    html: String,
}

impl Mail {
    fn header(&self, name: &str) -> String {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// The first link of the plain text body that starts with `prefix`.
    fn link(&self, prefix: &str) -> String {
        let at = self
            .text
            .find(prefix)
            .unwrap_or_else(|| panic!("no {prefix} link in:\n{}", self.text));
        self.text[at..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }
}

impl Smtp {
    fn start(port: u16, reject_auth: bool) -> Smtp {
        Smtp::start_with(port, if reject_auth { &["--reject-auth"] } else { &[] })
    }

    /// A sink that takes only `user` with `password` (535 for anything else).
    fn start_accepting(port: u16, user: &str, password: &str) -> Smtp {
        Smtp::start_with(port, &["--accept-auth", &format!("{user}:{password}")])
    }

    fn start_with(port: u16, args: &[&str]) -> Smtp {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("mail");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut cmd = Command::new(smtp_python());
        cmd.arg(&script).arg(port.to_string()).arg(&dir).args(args);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .expect("start smtp_sink.py");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "READY", "the SMTP sink did not start");
        Smtp {
            child,
            port,
            dir,
            _tmp: tmp,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn mails(&self) -> Vec<Mail> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "json"));
        names.sort();
        names
            .iter()
            .map(|p| {
                let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
                let raw = std::fs::read_to_string(p.with_extension("eml")).unwrap();
                let raw_head = raw
                    .replace("\r\n", "\n")
                    .split("\n\n")
                    .next()
                    .unwrap()
                    .to_owned();
                Mail {
                    to: v["rcptTos"][0].as_str().unwrap_or("").to_owned(),
                    auth_login: v["authLogin"].as_str().map(str::to_owned),
                    headers: v["headers"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|h| {
                            (
                                h[0].as_str().unwrap().to_owned(),
                                h[1].as_str().unwrap().to_owned(),
                            )
                        })
                        .collect(),
                    raw_head,
                    text: v["text"].as_str().unwrap_or("").to_owned(),
                    html: v["html"].as_str().unwrap_or("").to_owned(),
                }
            })
            .collect()
    }

    /// Wait (30 s at most) until `n` mails to `to` have arrived; returns the `n`th.
    async fn nth_to(&self, to: &str, n: usize) -> Mail {
        let start = Instant::now();
        loop {
            let mails: Vec<Mail> = self.mails().into_iter().filter(|m| m.to == to).collect();
            if mails.len() >= n {
                return mails[n - 1].clone();
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "mail #{n} to {to} never arrived; got {:?}",
                self.mails()
                    .iter()
                    .map(|m| (m.to.clone(), m.header("Subject")))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn roster_with_smtp(smtp_url: &str) -> (Server, Api) {
    serve(Options {
        env: vec![
            ("ROSTER_SMTP_URL".into(), smtp_url.into()),
            ("ROSTER_EMAIL_FROM".into(), FROM.into()),
            ("ROSTER_ORG_NAME".into(), "Example Org".into()),
        ],
        ..Options::default()
    })
}

async fn user(api: &Api, login: &str, first: &str, password: Option<&str>, query: &str) -> String {
    let mut body = json!({
        "profile": {"login": login, "email": login, "firstName": first, "lastName": "Example"}
    });
    if let Some(p) = password {
        body["credentials"] = json!({"password": {"value": p}});
    }
    let u = api
        .ok(Method::POST, &format!("/api/v1/users?{query}"), Some(body))
        .await;
    u["id"].as_str().unwrap().to_owned()
}

/// Set a password through a link page's form, as a browser would.
async fn set_password_with_link(server: &Server, url: &str, password: &str) {
    let path = &url[url
        .find("/reset_password/")
        .or(url.find("/welcome/"))
        .unwrap()..];
    let mut c = Console::new(server);
    let form = c.get(path).await;
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(form.html.contains("Password requirements"), "{}", form.html);
    let csrf = form.csrf();
    let done = c
        .post(
            path,
            &[
                ("_csrf", &csrf),
                ("newPassword", password),
                ("confirmPassword", password),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("Your password is set"), "{}", done.html);
}

/// Everything a token or password must never be in: the server's log, the System Log, the
/// tasks, and the header block of every mail.
async fn assert_nowhere(server: &Server, api: &Api, smtp: &Smtp, secrets: &[String]) {
    let log = server.stderr();
    let (_, events) = api.get("/api/v1/logs?limit=1000").await;
    let (_, tasks) = api.get("/api/v1/tasks?status=&limit=1000").await;
    let (_, all_tasks) = api.get("/api/v1/tasks?limit=1000").await;
    let events = events.to_string();
    let tasks = format!("{tasks}{all_tasks}");
    let heads: String = smtp.mails().iter().map(|m| m.raw_head.clone()).collect();
    // The database (and its WAL) holds a link only hashed, and in a queued mail only sealed.
    let stored = support::all_bytes_under(&server.data_dir);
    for secret in secrets {
        assert!(
            !support::contains(&stored, secret),
            "{secret} is stored in clear"
        );
        assert!(!secret.is_empty());
        assert!(
            !log.contains(secret.as_str()),
            "{secret} is in the server's log"
        );
        assert!(
            !events.contains(secret.as_str()),
            "{secret} is in the System Log"
        );
        assert!(!tasks.contains(secret.as_str()), "{secret} is in a task");
        assert!(
            !heads.contains(secret.as_str()),
            "{secret} is in a mail header"
        );
    }
}

fn token_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test]
async fn mail_links_reset_activate_and_forgot_password_end_to_end() {
    let smtp = Smtp::start(free_port(), false);
    let (server, api) = roster_with_smtp(&smtp.url());
    let mut tokens = Vec::new();

    // reset_password with sendEmail=true: `{}` at once, then the mail with the link.
    let ada = user(
        &api,
        "ada@example.com",
        "Ada",
        Some("Lantern-Fish-77"),
        "activate=true",
    )
    .await;
    let (status, body) = api
        .post(
            &format!("/api/v1/users/{ada}/lifecycle/reset_password?sendEmail=true"),
            json!({}),
        )
        .await;
    assert_eq!((status, body.clone()), (200, json!({})), "{body}");
    let reset = smtp.nth_to("ada@example.com", 1).await;
    assert_eq!(reset.header("From"), FROM);
    assert!(
        reset.header("To").contains("ada@example.com"),
        "{:?}",
        reset.headers
    );
    assert_eq!(reset.header("Subject"), "Example Org: set a new password");
    assert!(reset.text.contains("Hello Ada,"), "{}", reset.text);
    let link = reset.link(&format!("{}/reset_password/", server.url));
    assert!(
        reset.html.contains(&format!("href=\"{link}\"")),
        "{}",
        reset.html
    );
    tokens.push(token_of(&link));
    set_password_with_link(&server, &link, "Harbour-Seal-88").await;
    let (status, authn) = api.authn("ada@example.com", "Harbour-Seal-88").await;
    assert_eq!(
        (status, authn["status"].as_str()),
        (200, Some("SUCCESS")),
        "{authn}"
    );

    // Activation by email: a STAGED user without a password gets the welcome link.
    let bob = user(&api, "bob@example.com", "Bob", None, "activate=false").await;
    let (status, body) = api
        .post(
            &format!("/api/v1/users/{bob}/lifecycle/activate?sendEmail=true"),
            json!({}),
        )
        .await;
    assert_eq!((status, body.clone()), (200, json!({})), "{body}");
    let welcome = smtp.nth_to("bob@example.com", 1).await;
    assert_eq!(
        welcome.header("Subject"),
        "Welcome to Example Org: activate your account"
    );
    let link = welcome.link(&format!("{}/welcome/", server.url));
    tokens.push(token_of(&link));
    set_password_with_link(&server, &link, "Pelican-Dune-42").await;
    let (status, _) = api.authn("bob@example.com", "Pelican-Dune-42").await;
    assert_eq!(status, 200);

    // /forgot-password answers an existing and an unknown user alike; only Ada gets mail.
    let mut c = Console::new(&server);
    let mut answers = Vec::new();
    for username in ["ada@example.com", "nobody@example.com"] {
        // A form without its page's token sends nothing.
        let forged = c
            .post(
                "/forgot-password",
                &[("_csrf", "forged"), ("username", username)],
            )
            .await;
        assert_eq!(forged.status, 403, "{}", forged.html);
        let form = c.get("/forgot-password").await;
        assert_eq!(form.status, 200, "{}", form.html);
        assert!(form.html.contains("name=\"username\""));
        let csrf = form.csrf();
        let page = c
            .post(
                "/forgot-password",
                &[("_csrf", &csrf), ("username", username)],
            )
            .await;
        assert_eq!(page.status, 200, "{}", page.html);
        assert!(page
            .html
            .contains("If an account with that username exists"));
        assert!(!page.html.contains(username));
        answers.push(page.html);
    }
    assert_eq!(answers[0], answers[1], "the two answers differ");
    let forgot = smtp.nth_to("ada@example.com", 2).await;
    assert_eq!(forgot.header("Subject"), "Example Org: reset your password");
    let link = forgot.link(&format!("{}/reset_password/", server.url));
    tokens.push(token_of(&link));

    // Okta's recovery API: the same answer for both, one more mail for Ada.
    let http = reqwest::Client::new();
    let mut bodies = Vec::new();
    for username in ["ada@example.com", "nobody@example.com"] {
        let resp = http
            .post(format!("{}/api/v1/authn/recovery/password", server.url))
            .json(&json!({"username": username, "factorType": "EMAIL"}))
            .send()
            .await
            .unwrap();
        bodies.push((resp.status().as_u16(), resp.json::<Value>().await.unwrap()));
    }
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0].0, 200);
    assert_eq!(bodies[0].1["status"], "RECOVERY_CHALLENGE");
    let resp = http
        .post(format!("{}/api/v1/authn/recovery/password", server.url))
        .json(&json!({"username": "ada@example.com", "factorType": "SMS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let recovery = smtp.nth_to("ada@example.com", 3).await;
    let link = recovery.link(&format!("{}/reset_password/", server.url));
    tokens.push(token_of(&link));
    set_password_with_link(&server, &link, "Quiet-Otter-31").await;
    let (status, _) = api.authn("ada@example.com", "Quiet-Otter-31").await;
    assert_eq!(status, 200);

    // A FEDERATION user is told by email that an identity provider manages the password.
    user(
        &api,
        "fed@example.com",
        "Fed",
        None,
        "activate=true&provider=true",
    )
    .await;
    let page = {
        let form = c.get("/forgot-password").await;
        let csrf = form.csrf();
        c.post(
            "/forgot-password",
            &[("_csrf", &csrf), ("username", "fed@example.com")],
        )
        .await
    };
    assert_eq!(page.html, answers[0]);
    let denied = smtp.nth_to("fed@example.com", 1).await;
    assert!(
        denied.text.contains("managed by your identity provider"),
        "{}",
        denied.text
    );
    assert!(!denied.text.contains("/reset_password/"));

    // Seed 001's fix by email: reset_password converts the FEDERATION user to OKTA and mails
    // the link; the password set with it signs in.
    let fed = api
        .ok(Method::GET, "/api/v1/users/fed@example.com", None)
        .await;
    let fed = fed["id"].as_str().unwrap().to_owned();
    let (status, body) = api
        .post(
            &format!("/api/v1/users/{fed}/lifecycle/reset_password?sendEmail=true"),
            json!({"credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}}),
        )
        .await;
    assert_eq!((status, body.clone()), (200, json!({})), "{body}");
    let converted = smtp.nth_to("fed@example.com", 2).await;
    let link = converted.link(&format!("{}/reset_password/", server.url));
    tokens.push(token_of(&link));
    set_password_with_link(&server, &link, "Granite-Wren-19").await;
    let (status, _) = api.authn("fed@example.com", "Granite-Wren-19").await;
    assert_eq!(status, 200);

    // A user changing their own password is told.
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{bob}/credentials/change_password"),
        Some(json!({"oldPassword": {"value": "Pelican-Dune-42"}, "newPassword": {"value": "Marble-Finch-63"}})),
    )
    .await;
    let changed = smtp.nth_to("bob@example.com", 2).await;
    assert_eq!(
        changed.header("Subject"),
        "Example Org: your password was changed"
    );

    // A name with CR/LF cannot add a header; its HTML is escaped.
    let eve = user(
        &api,
        "eve@example.com",
        "Eve\r\nBcc: m@evil.example\r\nX-Injected: <b>",
        Some("Lantern-Fish-77"),
        "activate=true",
    )
    .await;
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{eve}/lifecycle/reset_password?sendEmail=true"),
        None,
    )
    .await;
    let eve_mail = smtp.nth_to("eve@example.com", 1).await;
    for line in eve_mail.raw_head.lines() {
        let lower = line.to_ascii_lowercase();
        assert!(
            !lower.starts_with("bcc:") && !lower.starts_with("x-injected:"),
            "{}",
            eve_mail.raw_head
        );
    }
    assert!(eve_mail.html.contains("&lt;b&gt;"), "{}", eve_mail.html);
    assert!(smtp.mails().iter().all(|m| m.to != "m@evil.example"));
    tokens.push(token_of(
        &eve_mail.link(&format!("{}/reset_password/", server.url)),
    ));

    // Every delivery is in the System Log, and no token is anywhere but in the mail bodies.
    let sent = api
        .events("eventType eq \"system.email.delivery\" and outcome.result eq \"SUCCESS\"")
        .await;
    assert_eq!(sent.len(), 8, "{sent:?}");
    assert!(sent
        .iter()
        .any(|e| e["debugContext"]["debugData"]["template"] == "UserActivation"));
    assert_nowhere(&server, &api, &smtp, &tokens).await;
    assert!(!server.stderr().contains("X-Injected"));
}

#[tokio::test]
async fn smtp_down_is_retried_and_refused_credentials_open_a_task() {
    // Down: nothing listens on the port yet.
    let port = free_port();
    let (server, api) = roster_with_smtp(&format!("smtp://127.0.0.1:{port}"));
    // Refusing: every credential gets 535.
    let refusing = Smtp::start(free_port(), true);
    let (server2, api2) = roster_with_smtp(&format!(
        "smtp://roster:Wrong-Secret-9@127.0.0.1:{}",
        refusing.port
    ));

    let cy = user(
        &api,
        "cy@example.com",
        "Cy",
        Some("Lantern-Fish-77"),
        "activate=true",
    )
    .await;
    let started = Instant::now();
    let (status, body) = api
        .post(
            &format!("/api/v1/users/{cy}/lifecycle/reset_password?sendEmail=true"),
            json!({}),
        )
        .await;
    assert_eq!((status, body.clone()), (200, json!({})), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the API waited for SMTP"
    );
    // The first attempt fails and says it will retry.
    let filter =
        urlencode("eventType eq \"system.email.delivery\" and outcome.result eq \"FAILURE\"");
    let failed = api
        .until(
            &format!("/api/v1/logs?filter={filter}"),
            "a failed delivery",
            |v| v.as_array().is_some_and(|a| !a.is_empty()),
        )
        .await;
    assert_eq!(
        failed[0]["debugContext"]["debugData"]["willRetry"], true,
        "{failed}"
    );
    assert_eq!(
        failed[0]["debugContext"]["debugData"]["ErrorCode"],
        "email.server_unavailable"
    );
    // The server comes up; the retry delivers.
    let smtp = Smtp::start(port, false);
    let mail = smtp.nth_to("cy@example.com", 1).await;
    let link = mail.link(&format!("{}/reset_password/", server.url));
    set_password_with_link(&server, &link, "Harbour-Seal-88").await;
    let (status, _) = api.authn("cy@example.com", "Harbour-Seal-88").await;
    assert_eq!(status, 200);
    assert_nowhere(&server, &api, &smtp, &[token_of(&link)]).await;

    // Refused credentials: no mail, a Task that says why, and the password nowhere.
    let dee = user(
        &api2,
        "dee@example.com",
        "Dee",
        Some("Lantern-Fish-77"),
        "activate=true",
    )
    .await;
    let (status, _) = api2
        .post(
            &format!("/api/v1/users/{dee}/lifecycle/reset_password?sendEmail=true"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let tasks = api2
        .until("/api/v1/tasks?appId=email", "a mail task", |v| {
            v.as_array().is_some_and(|a| !a.is_empty())
        })
        .await;
    let task = &tasks[0];
    assert_eq!(task["operation"], "email.send", "{task}");
    assert_eq!(task["status"], "OPEN");
    assert_eq!(task["userId"], dee.as_str());
    assert_eq!(task["lastError"]["code"], "email.server_refused", "{task}");
    assert_eq!(task["lastError"]["targetStatus"], 535, "{task}");
    assert!(
        task["lastError"]["cause"]
            .as_str()
            .unwrap()
            .contains("credentials"),
        "{task}"
    );
    assert!(task["lastError"]["remediation"]
        .as_str()
        .unwrap()
        .contains("ROSTER_SMTP_URL"));
    assert!(task["_links"].get("app").is_none(), "{task}");
    assert!(refusing.mails().is_empty());
    // Retrying the task runs the mail again; the server still refuses, so it opens again.
    let id = task["id"].as_str().unwrap();
    let retried = api2
        .ok(Method::POST, &format!("/api/v1/tasks/{id}/retry"), None)
        .await;
    assert_eq!(retried["status"], "RETRYING", "{retried}");
    let again = api2
        .until(
            &format!("/api/v1/tasks/{id}"),
            "the retried task to fail again",
            |t| t["status"] == "OPEN",
        )
        .await;
    assert!(again["attempts"].as_i64().unwrap() >= 2, "{again}");
    let failed = api2
        .events("eventType eq \"system.email.delivery\" and outcome.result eq \"FAILURE\"")
        .await;
    assert_eq!(failed[0]["severity"], "ERROR", "{failed:?}");
    assert_nowhere(&server2, &api2, &refusing, &["Wrong-Secret-9".to_owned()]).await;
    // `?tls=required` insists: a server without STARTTLS gets no mail in clear text, and the
    // refusal is a task too.
    let plain = Smtp::start(free_port(), false);
    let (_server3, api3) = roster_with_smtp(&format!("{}?tls=required", plain.url()));
    let eli = user(
        &api3,
        "eli@example.com",
        "Eli",
        Some("Lantern-Fish-77"),
        "activate=true",
    )
    .await;
    api3.ok(
        Method::POST,
        &format!("/api/v1/users/{eli}/lifecycle/reset_password?sendEmail=true"),
        None,
    )
    .await;
    let tasks = api3
        .until(
            "/api/v1/tasks?appId=email",
            "a task for the missing STARTTLS",
            |v| v.as_array().is_some_and(|a| !a.is_empty()),
        )
        .await;
    assert_eq!(
        tasks[0]["lastError"]["code"], "email.server_refused",
        "{tasks}"
    );
    assert!(plain.mails().is_empty(), "a mail went out without TLS");

    // The console's task pages show it as mail, not as an application.
    let admin_pw = "Kestrel-Moss-58";
    support::console::create_admin(&server2, "admin@example.com", admin_pw, "SUPER_ADMIN");
    let mut console = Console::signed_in(&server2, "admin@example.com", admin_pw).await;
    let page = console
        .get(&format!("/admin/tasks/{}", task["id"].as_str().unwrap()))
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Email delivery"), "{}", page.html);
    assert!(page.html.contains("Send email"), "{}", page.html);
    assert!(!page.html.contains("/admin/apps/email"), "{}", page.html);
    let list = console.get("/admin/tasks").await;
    assert!(list.html.contains("Email delivery"), "{}", list.html);
    assert!(!list.html.contains("Wrong-Secret-9"));
}

/// The server may have mail settings only from the API: start it without `ROSTER_SMTP_URL`
/// (or with `env_smtp` as the operator's fallback) and with a sender.
fn roster_with_env(env_smtp: Option<&str>) -> (Server, Api) {
    let mut env = vec![
        ("ROSTER_EMAIL_FROM".to_owned(), FROM.to_owned()),
        ("ROSTER_ORG_NAME".to_owned(), "Example Org".to_owned()),
    ];
    if let Some(url) = env_smtp {
        env.push(("ROSTER_SMTP_URL".into(), url.into()));
    }
    serve(Options {
        env,
        ..Options::default()
    })
}

/// The fields named by an error's causes.
fn fields_of(error: &Value) -> Vec<String> {
    error["errorCauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["location"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn email_servers_through_the_api_take_precedence_and_never_show_their_password() {
    const PASSWORD: &str = "Sink-Secret-42x";
    const WRONG: &str = "Wrong-Sink-Pass-7";
    let api_sink = Smtp::start_accepting(free_port(), "mailer", PASSWORD);
    let env_sink = Smtp::start(free_port(), false);
    let (server, api) = roster_with_env(Some(&env_sink.url()));

    // Bad input is a 400 naming every field at fault, never a 500.
    let (status, e) = api.post("/api/v1/email-servers", json!({})).await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["errorCode"], "E0000001");
    assert_eq!(
        fields_of(&e),
        ["alias", "host", "port", "username", "password"],
        "{e}"
    );
    let (status, e) = api
        .post(
            "/api/v1/email-servers",
            json!({"alias": "Relay", "host": "smtp://mail.example.com", "port": 70000,
                   "username": "mailer", "password": PASSWORD, "tls": "MAYBE"}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(fields_of(&e), ["host", "port", "tls"], "{e}");
    let (status, e) = api
        .post(
            "/api/v1/email-servers",
            json!({"alias": "Relay", "host": "127.0.0.1", "port": "25",
                   "username": "mailer", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(fields_of(&e), ["port"], "{e}");
    let (status, e) = api
        .post(
            "/api/v1/email-servers",
            json!({"alias": "Relay", "host": "127.0.0.1", "port": 25,
                   "username": "mailer", "password": 12345}),
        )
        .await;
    assert_eq!(
        (status, fields_of(&e)),
        (400, vec!["password".to_owned()]),
        "{e}"
    );

    // Create: 201, Okta's shape, no password.
    let (status, created) = api
        .post(
            "/api/v1/email-servers",
            json!({"alias": "Sink relay", "host": "127.0.0.1", "port": api_sink.port,
                   "username": "mailer", "password": PASSWORD, "enabled": true, "tls": "NONE"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["alias"], "Sink relay");
    assert_eq!(created["port"], api_sink.port);
    assert_eq!(created["username"], "mailer");
    assert_eq!(created["enabled"], true);
    assert!(created.get("password").is_none(), "{created}");
    let listed = api.ok(Method::GET, "/api/v1/email-servers", None).await;
    assert_eq!(listed["email-servers"][0]["id"], id.as_str(), "{listed}");
    let got = api
        .ok(Method::GET, &format!("/api/v1/email-servers/{id}"), None)
        .await;
    assert_eq!(got["email-servers"][0]["host"], "127.0.0.1", "{got}");
    assert!(!listed.to_string().contains(PASSWORD) && !got.to_string().contains(PASSWORD));
    let (status, e) = api.get("/api/v1/email-servers/nope").await;
    assert_eq!((status, e["errorCode"].as_str()), (404, Some("E0000007")));

    // A test send arrives, sent as the server's user.
    let (status, e) = api
        .post(&format!("/api/v1/email-servers/{id}/test"), json!({}))
        .await;
    assert_eq!(
        (status, fields_of(&e)),
        (400, vec!["toAddress".to_owned()]),
        "{e}"
    );
    let (status, body) = api
        .post(
            &format!("/api/v1/email-servers/{id}/test"),
            json!({"toAddress": "admin@example.com"}),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let test_mail = api_sink.nth_to("admin@example.com", 1).await;
    assert_eq!(test_mail.auth_login.as_deref(), Some("mailer"));
    assert_eq!(test_mail.header("From"), FROM);
    assert!(test_mail.text.contains("Sink relay"), "{}", test_mail.text);

    // A wrong password: the test says which field, and the password is nowhere.
    api.ok(
        Method::PATCH,
        &format!("/api/v1/email-servers/{id}"),
        Some(json!({"password": WRONG})),
    )
    .await;
    let (status, e) = api
        .post(
            &format!("/api/v1/email-servers/{id}/test"),
            json!({"toAddress": "admin@example.com"}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(fields_of(&e), ["password"], "{e}");
    assert!(!e.to_string().contains(WRONG));
    let patched = api
        .ok(
            Method::PATCH,
            &format!("/api/v1/email-servers/{id}"),
            Some(json!({"password": PASSWORD, "alias": "Sink relay 2"})),
        )
        .await;
    assert_eq!(patched["alias"], "Sink relay 2");
    assert!(patched.get("password").is_none());

    // Mail goes through the enabled API server, not ROSTER_SMTP_URL.
    let ada = user(
        &api,
        "ada@example.com",
        "Ada",
        Some("Lantern-Fish-77"),
        "activate=true",
    )
    .await;
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{ada}/lifecycle/reset_password?sendEmail=true"),
        None,
    )
    .await;
    let via_api = api_sink.nth_to("ada@example.com", 1).await;
    assert_eq!(via_api.auth_login.as_deref(), Some("mailer"));
    let link = via_api.link(&format!("{}/reset_password/", server.url));
    // Disabled, it steps aside: the next mail takes ROSTER_SMTP_URL.
    let disabled = api
        .ok(
            Method::PATCH,
            &format!("/api/v1/email-servers/{id}"),
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(disabled["enabled"], false);
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{ada}/lifecycle/reset_password?sendEmail=true"),
        None,
    )
    .await;
    let via_env = env_sink.nth_to("ada@example.com", 1).await;
    assert_eq!(via_env.auth_login, None);
    assert_eq!(
        api_sink
            .mails()
            .iter()
            .filter(|m| m.to == "ada@example.com")
            .count(),
        1
    );

    // Delete: 204, then 404.
    let (status, _) = api
        .send(Method::DELETE, &format!("/api/v1/email-servers/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, _) = api.get(&format!("/api/v1/email-servers/{id}")).await;
    assert_eq!(status, 404);

    // The System Log has every change, and the passwords are nowhere.
    for kind in ["create", "update", "delete", "test"] {
        let events = api
            .events_of_type(&format!("system.email.server.{kind}"))
            .await;
        assert!(!events.is_empty(), "no system.email.server.{kind} event");
    }
    let updates = api.events_of_type("system.email.server.update").await;
    assert!(updates
        .iter()
        .any(|e| e["debugContext"]["debugData"]["changed"] == "password"));
    assert_nowhere(
        &server,
        &api,
        &api_sink,
        &[PASSWORD.to_owned(), WRONG.to_owned(), token_of(&link)],
    )
    .await;
}

#[tokio::test]
async fn customized_templates_are_checked_when_saved_and_used_for_the_next_mail() {
    let smtp = Smtp::start(free_port(), false);
    let (server, api) = roster_with_smtp(&smtp.url());
    let brands = api.ok(Method::GET, "/api/v1/brands", None).await;
    let brand = brands[0]["id"].as_str().unwrap().to_owned();
    let templates = api
        .ok(
            Method::GET,
            &format!("/api/v1/brands/{brand}/templates/email"),
            None,
        )
        .await;
    let names: Vec<&str> = templates
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for name in [
        "UserActivation",
        "PasswordResetByAdmin",
        "ForgotPassword",
        "PasswordChanged",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    let path =
        format!("/api/v1/brands/{brand}/templates/email/PasswordResetByAdmin/customizations");
    let (status, _) = api
        .get("/api/v1/brands/nope/templates/email/PasswordResetByAdmin/customizations")
        .await;
    assert_eq!(status, 404);
    let (status, _) = api
        .get(&format!(
            "/api/v1/brands/{brand}/templates/email/NoSuchTemplate/customizations"
        ))
        .await;
    assert_eq!(status, 404);

    // A rendering error is refused when the template is saved, naming the field.
    let (status, e) = api
        .post(
            &path,
            json!({"language": "en", "subject": "Hi ${user.profile.nickName}",
                   "body": "<p>Reset: ${resetPasswordLink</p>"}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(e["errorCode"], "E0000001");
    assert_eq!(fields_of(&e), ["subject", "body"], "{e}");
    assert!(e.to_string().contains("nickName"), "{e}");
    // A reset mail without its link is refused too; so is a missing language.
    let (status, e) = api
        .post(
            &path,
            json!({"subject": "Hi", "body": "<p>No link here</p>"}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(fields_of(&e), ["language", "body"], "{e}");
    assert!(e.to_string().contains("resetPasswordLink"), "{e}");
    assert!(api.get(&path).await.1.as_array().unwrap().is_empty());

    // A good one is saved (the first is the default) and used by the next mail.
    let (status, created) = api
        .post(
            &path,
            json!({"language": "en", "subject": "${org.name} says: new password for ${user.profile.firstName}",
                   "body": "<p>Dear ${user.profile.firstName},</p><p><a href=\"${resetPasswordLink}\">Choose it here</a></p>"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["isDefault"], true);
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, e) = api
        .post(
            &path,
            json!({"language": "en", "subject": "Again", "body": "${resetPasswordLink}"}),
        )
        .await;
    assert_eq!(
        (status, e["errorCode"].as_str()),
        (409, Some("E0000182")),
        "{e}"
    );
    let listed = api.ok(Method::GET, &path, None).await;
    assert_eq!(listed[0]["id"], id.as_str());

    let ada = user(
        &api,
        "ada@example.com",
        "Ada",
        Some("Lantern-Fish-77"),
        "activate=true",
    )
    .await;
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{ada}/lifecycle/reset_password?sendEmail=true"),
        None,
    )
    .await;
    let mail = smtp.nth_to("ada@example.com", 1).await;
    assert_eq!(
        mail.header("Subject"),
        "Example Org says: new password for Ada"
    );
    let link = mail.link(&format!("{}/reset_password/", server.url));
    assert!(mail.text.contains("Choose it here: "), "{}", mail.text);
    assert!(
        mail.html
            .contains(&format!("<a href=\"{link}\">Choose it here</a>")),
        "{}",
        mail.html
    );
    set_password_with_link(&server, &link, "Harbour-Seal-88").await;

    // A bad replacement is refused and the saved one stays.
    let (status, e) = api
        .put(
            &format!("{path}/{id}"),
            json!({"language": "en", "subject": "ok", "body": "${activationLink} ${resetPasswordLink} ${"}),
        )
        .await;
    assert_eq!(
        (status, fields_of(&e)),
        (400, vec!["body".to_owned()]),
        "{e}"
    );
    let got = api.ok(Method::GET, &format!("{path}/{id}"), None).await;
    assert!(got["subject"].as_str().unwrap().contains("says"), "{got}");

    // Deleted, the template's mails use Roster's text again.
    let (status, _) = api
        .send(Method::DELETE, &format!("{path}/{id}"), None)
        .await;
    assert_eq!(status, 204);
    api.ok(
        Method::POST,
        &format!("/api/v1/users/{ada}/lifecycle/reset_password?sendEmail=true"),
        None,
    )
    .await;
    let mail = smtp.nth_to("ada@example.com", 2).await;
    assert_eq!(mail.header("Subject"), "Example Org: set a new password");
    for verb in ["create", "delete"] {
        assert!(!api
            .events_of_type(&format!("system.email.template.customization.{verb}"))
            .await
            .is_empty());
    }
    assert_nowhere(&server, &api, &smtp, &[token_of(&link)]).await;
}

#[tokio::test]
async fn expire_password_with_send_email_sends_the_notice_and_no_password() {
    let smtp = Smtp::start(free_port(), false);
    let (server, api) = roster_with_smtp(&smtp.url());
    let cy = user(
        &api,
        "cy@example.com",
        "Cy",
        Some("Lantern-Fish-77"),
        "activate=true",
    )
    .await;
    // Without sendEmail, expiring sends nothing (as before).
    let expired = api
        .ok(
            Method::POST,
            &format!("/api/v1/users/{cy}/lifecycle/expire_password"),
            None,
        )
        .await;
    assert_eq!(expired["status"], "PASSWORD_EXPIRED", "{expired}");
    let with_temp = api
        .ok(
            Method::POST,
            &format!(
                "/api/v1/users/{cy}/lifecycle/expire_password?tempPassword=true&sendEmail=true"
            ),
            None,
        )
        .await;
    let temp = with_temp["tempPassword"].as_str().unwrap().to_owned();
    let mail = smtp.nth_to("cy@example.com", 1).await;
    assert_eq!(
        mail.header("Subject"),
        "Example Org: choose a new password at your next sign-in"
    );
    assert!(
        mail.text.contains(&format!("{}/login", server.url)),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains(&temp) && !mail.html.contains(&temp));
    let sent = api
        .events("eventType eq \"system.email.delivery\" and outcome.result eq \"SUCCESS\"")
        .await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        sent[0]["debugContext"]["debugData"]["template"],
        "PasswordExpired"
    );
    assert_eq!(smtp.mails().len(), 1, "the first expire_password sent mail");
}

/// Seed 001 with mail, in Chromium: the hub converts a FEDERATION user to OKTA with
/// `sendEmail=true`; the mail arrives at aiosmtpd; the browser opens its link, is refused a weak
/// password under the hub's requirements, sets a good one, and signs in at `/login`.
#[tokio::test]
async fn seed_001_reset_by_email_in_a_browser() {
    let smtp = Smtp::start(free_port(), false);
    let (server, api) = roster_with_smtp(&smtp.url());
    let (_, policies) = api.get("/api/v1/policies?type=PASSWORD").await;
    let mut policy = policies
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["system"] == true)
        .cloned()
        .unwrap();
    let policy_id = policy["id"].as_str().unwrap().to_owned();
    policy["settings"]["password"]["complexity"] = json!({"minLength": 10, "minLowerCase": 1,
        "minUpperCase": 1, "minNumber": 1, "minSymbol": 1, "excludeUsername": true});
    if let Some(obj) = policy.as_object_mut() {
        obj.remove("_links");
    }
    api.ok(
        Method::PUT,
        &format!("/api/v1/policies/{policy_id}"),
        Some(policy),
    )
    .await;
    let carol = user(
        &api,
        "carol.fed@example.com",
        "Carol",
        None,
        "activate=true&provider=true",
    )
    .await;
    let (status, body) = api
        .post(
            &format!("/api/v1/users/{carol}/lifecycle/reset_password?sendEmail=true"),
            json!({"credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}}),
        )
        .await;
    assert_eq!((status, body.clone()), (200, json!({})), "{body}");
    let mail = smtp.nth_to("carol.fed@example.com", 1).await;
    let link = mail.link(&format!("{}/reset_password/", server.url));
    let good = "Granite-Wren-19!";
    let out = support::browser::run(
        "seed001_mail.mjs",
        &[
            ("ROSTER_URL", &server.url),
            ("LINK", &link),
            ("LOGIN", "carol.fed@example.com"),
            ("WEAK", "carol12345"),
            ("GOOD", good),
        ],
    );
    assert_eq!(out["signedIn"], true, "{out}");
    let (status, authn) = api.authn("carol.fed@example.com", good).await;
    assert_eq!((status, authn["status"].as_str()), (200, Some("SUCCESS")));
    let after = api
        .ok(Method::GET, &format!("/api/v1/users/{carol}"), None)
        .await;
    assert_eq!(after["credentials"]["provider"]["type"], "OKTA", "{after}");
    assert_eq!(after["status"], "ACTIVE", "{after}");
    assert_nowhere(&server, &api, &smtp, &[token_of(&link)]).await;
}
