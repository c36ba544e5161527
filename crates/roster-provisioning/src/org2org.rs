//! The Org2Org connector: another Roster's (or an Okta org's) Management API, `/api/v1`, with an
//! `SSWS` API token.

use futures::future::BoxFuture;
use futures::FutureExt as _;
use reqwest::header::{HeaderMap, ACCEPT};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::connector::{
    Connector, ConnectorResult, MemberChanges, PushUser, RemoteGroup, RemoteUser,
};
use crate::error::{redact_body, scrub, ConnectorError, ErrorKind};
use crate::http::{self, Target};

/// A connection to a hub org.
#[derive(Debug)]
pub struct Org2OrgConnector {
    target: Target,
}

impl Org2OrgConnector {
    pub fn new(base_url: &str, token: SecretString, http: reqwest::Client) -> Self {
        Org2OrgConnector {
            target: Target::new(base_url, token, "SSWS", http),
        }
    }

    /// One request; any answer other than 2xx (or `ok_missing` 404) becomes a classified error.
    /// `secrets` are scrubbed from whatever the target answers.
    /// Whether `password` is already the hub user's password: `POST /api/v1/authn` answers
    /// 200 (signed in, or the password works but must change, or a factor is next).
    async fn already_has_password(&self, remote: &RemoteUser, password: &SecretString) -> bool {
        let body = json!({ "username": remote.login, "password": password.expose_secret() });
        let request = self
            .target
            .request(Method::POST, "/api/v1/authn")
            .header(ACCEPT, "application/json")
            .json(&body);
        let tried = format!(
            "check the password of user {} on {}",
            remote.login, self.target.base_url
        );
        match http::send(request, &tried).await {
            Ok(answer) if answer.status.is_success() => answer
                .json()
                .and_then(|v| v.get("status").and_then(Value::as_str).map(str::to_owned))
                .is_some_and(|s| {
                    matches!(
                        s.as_str(),
                        "SUCCESS" | "PASSWORD_EXPIRED" | "MFA_REQUIRED" | "MFA_ENROLL"
                    )
                }),
            _ => false,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        tried: String,
        secrets: &[&str],
        ok_missing: bool,
    ) -> ConnectorResult<Option<Value>> {
        let mut request = self
            .target
            .request(method, path)
            .header(ACCEPT, "application/json");
        if let Some(body) = &body {
            request = request.json(body);
        }
        let answer = http::send(request, &tried).await?;
        if answer.status.is_success() {
            return answer
                .json()
                .ok_or_else(|| answer.not_json(&tried))
                .map(Some);
        }
        if ok_missing && answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let mut secrets = secrets.to_vec();
        secrets.push(self.target.token());
        Err(classify(
            tried,
            answer.status,
            &answer.headers,
            &answer.text,
            &secrets,
        ))
    }
}

impl Org2OrgConnector {
    /// Every item of a list, following the `next` Link headers (Group Push reads whole lists).
    async fn get_all(&self, path: &str, tried: &str) -> ConnectorResult<Vec<Value>> {
        let mut items = Vec::new();
        let mut next = Some(path.to_owned());
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            if pages > 10_000 {
                break;
            }
            let request = self
                .target
                .request(Method::GET, &path)
                .header(ACCEPT, "application/json");
            let answer = http::send(request, tried).await?;
            if !answer.status.is_success() {
                return Err(classify(
                    tried.to_owned(),
                    answer.status,
                    &answer.headers,
                    &answer.text,
                    &[self.target.token()],
                ));
            }
            match answer.json() {
                Some(Value::Array(page)) => items.extend(page),
                _ => return Err(answer.not_json(tried)),
            }
            next = next_link(&answer.headers, &self.target.base_url);
        }
        Ok(items)
    }
}

/// The path and query of the `rel="next"` Link, relative to `base_url`.
fn next_link(headers: &HeaderMap, base_url: &str) -> Option<String> {
    for value in headers.get_all(reqwest::header::LINK) {
        let Ok(text) = value.to_str() else { continue };
        for link in text.split(',') {
            if !link.contains("rel=\"next\"") {
                continue;
            }
            let url = link.split('<').nth(1)?.split('>').next()?.trim();
            if let Some(rest) = url.strip_prefix(base_url) {
                return Some(rest.to_owned());
            }
            let parsed = reqwest::Url::parse(url).ok()?;
            let mut out = parsed.path().to_owned();
            if let Some(q) = parsed.query() {
                out.push('?');
                out.push_str(q);
            }
            return Some(out);
        }
    }
    None
}

fn remote_group(v: &Value, fallback_name: &str) -> RemoteGroup {
    RemoteGroup {
        id: v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        name: v
            .pointer("/profile/name")
            .and_then(Value::as_str)
            .unwrap_or(fallback_name)
            .to_owned(),
    }
}

/// Turn a non-2xx answer of an Okta-style API into a classified error.
pub fn classify(
    tried: String,
    status: StatusCode,
    headers: &HeaderMap,
    text: &str,
    secrets: &[&str],
) -> ConnectorError {
    let body = redact_body(text, secrets);
    let summary = body
        .get("errorSummary")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let causes: Vec<String> = body
        .get("errorCauses")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get("errorSummary").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let said = match (&summary, causes.is_empty()) {
        (Some(s), true) => s.clone(),
        (Some(s), false) => format!("{s} ({})", causes.join("; ")),
        (None, _) => match &body {
            Value::String(s) if !s.is_empty() => {
                format!(
                    "HTTP {}: {}",
                    status.as_u16(),
                    s.chars().take(300).collect::<String>()
                )
            }
            _ => format!("HTTP {}", status.as_u16()),
        },
    };
    let said = scrub(&said, secrets);
    let field = causes
        .first()
        .and_then(|c| c.split_once(':'))
        .map(|(f, _)| f.trim().to_owned())
        .or_else(|| {
            summary
                .as_deref()
                .and_then(|s| s.strip_prefix("Api validation failed: "))
                .map(|f| f.trim().to_owned())
        });
    let conflict = causes.iter().any(|c| c.contains("already exists"));
    let kind = http::status_kind(status, headers, conflict);
    ConnectorError {
        kind,
        tried,
        said,
        status: Some(status.as_u16()),
        target_code: body
            .get("errorCode")
            .and_then(Value::as_str)
            .map(str::to_owned),
        field,
        body: Some(body),
        subject: None,
        sent: None,
    }
}

fn remote_user(v: &Value, fallback_login: &str) -> RemoteUser {
    RemoteUser {
        id: v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        login: v
            .pointer("/profile/login")
            .and_then(Value::as_str)
            .unwrap_or(fallback_login)
            .to_owned(),
        status: v.get("status").and_then(Value::as_str).map(str::to_owned),
        provider_type: v
            .pointer("/credentials/provider/type")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

impl Connector for Org2OrgConnector {
    fn target(&self) -> &str {
        &self.target.base_url
    }

    fn check_connection(&self) -> BoxFuture<'_, ConnectorResult<()>> {
        async move {
            let tried = format!(
                "test the API token against {}/api/v1/users",
                self.target.base_url
            );
            self.call(
                Method::GET,
                "/api/v1/users?limit=1",
                None,
                tried,
                &[],
                false,
            )
            .await
            .map(|_| ())
        }
        .boxed()
    }

    fn find_user<'a>(
        &'a self,
        login: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<Option<RemoteUser>>> {
        async move {
            let tried = format!("look up user {login} on {}", self.target.base_url);
            let path = format!("/api/v1/users/{}", http::encode_segment(login));
            Ok(self
                .call(Method::GET, &path, None, tried, &[], true)
                .await?
                .map(|v| remote_user(&v, login)))
        }
        .boxed()
    }

    fn create_user<'a>(
        &'a self,
        user: &'a PushUser,
        password: Option<&'a SecretString>,
    ) -> BoxFuture<'a, ConnectorResult<RemoteUser>> {
        async move {
            if let Some(payload) = &user.payload {
                let owned = payload.secrets();
                let secrets: Vec<&str> = owned.iter().map(String::as_str).collect();
                let tried = format!(
                    "create user {} from the app's transformation on {}",
                    user.login, self.target.base_url
                );
                let created = self
                    .call(
                        Method::POST,
                        "/api/v1/users?activate=true",
                        Some(payload.0.clone()),
                        tried,
                        &secrets,
                        false,
                    )
                    .await
                    .map_err(|e| e.with_sent(payload))?
                    .unwrap_or(Value::Null);
                return Ok(remote_user(&created, &user.login));
            }
            let mut body = json!({ "profile": user.profile });
            let mut secrets = Vec::new();
            let tried = match password {
                Some(p) => {
                    body["credentials"] = json!({ "password": { "value": p.expose_secret() } });
                    secrets.push(p.expose_secret());
                    format!(
                        "create user {} with a password on {}",
                        user.login, self.target.base_url
                    )
                }
                None => format!("create user {} on {}", user.login, self.target.base_url),
            };
            let created = self
                .call(
                    Method::POST,
                    "/api/v1/users?activate=true",
                    Some(body),
                    tried,
                    &secrets,
                    false,
                )
                .await?
                .unwrap_or(Value::Null);
            Ok(remote_user(&created, &user.login))
        }
        .boxed()
    }

    fn update_profile<'a>(
        &'a self,
        remote: &'a RemoteUser,
        user: &'a PushUser,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let tried = format!(
                "update the profile of user {} ({}) on {}",
                remote.login, remote.id, self.target.base_url
            );
            let path = format!("/api/v1/users/{}", http::encode_segment(&remote.id));
            // A transformation's payload is sent as Okta's partial update: the profile it maps.
            let profile = match &user.payload {
                Some(p) => p.0.get("profile").cloned().unwrap_or_else(|| json!({})),
                None => Value::Object(user.profile.clone()),
            };
            self.call(
                Method::POST,
                &path,
                Some(json!({ "profile": profile })),
                tried,
                &[],
                false,
            )
            .await
            .map(|_| ())
        }
        .boxed()
    }

    fn set_password<'a>(
        &'a self,
        remote: &'a RemoteUser,
        password: &'a SecretString,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let tried = format!(
                "set the password of user {} ({}) on {}",
                remote.login, remote.id, self.target.base_url
            );
            if remote
                .provider_type
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case("FEDERATION"))
            {
                let mut e = ConnectorError::new(
                    ErrorKind::FederatedUser,
                    tried,
                    "the user's credentials.provider.type is FEDERATION: its credentials come from an identity provider",
                );
                e.subject = Some(remote.id.clone());
                e.field = Some("password".into());
                return Err(e);
            }
            let path = format!("/api/v1/users/{}", http::encode_segment(&remote.id));
            let body = json!({ "credentials": { "password": { "value": password.expose_secret() } } });
            match self
                .call(
                    Method::POST,
                    &path,
                    Some(body),
                    tried,
                    &[password.expose_secret()],
                    false,
                )
                .await
            {
                Ok(_) => Ok(()),
                // A hub that keeps password history refuses the password it already has: an
                // earlier attempt of this push set it and Roster did not learn so (it was
                // killed, or the answer was lost). Signing in with it tells.
                Err(e)
                    if e.status == Some(400)
                        && e.field.as_deref() == Some("password")
                        && self.already_has_password(remote, password).await =>
                {
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn deactivate<'a>(&'a self, remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let tried = format!(
                "deactivate user {} ({}) on {}",
                remote.login, remote.id, self.target.base_url
            );
            let path = format!(
                "/api/v1/users/{}/lifecycle/deactivate",
                http::encode_segment(&remote.id)
            );
            if self.status_of(remote).await?.as_deref() == Some("DEPROVISIONED") {
                return Ok(());
            }
            self.call(Method::POST, &path, None, tried, &[], false)
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn password_policy(
        &self,
    ) -> BoxFuture<'_, ConnectorResult<Option<roster_core::policy::PasswordPolicy>>> {
        async move {
            let tried = format!("read the password policies of {}", self.target.base_url);
            let list = self
                .call(
                    Method::GET,
                    "/api/v1/policies?type=PASSWORD",
                    None,
                    tried,
                    &[],
                    false,
                )
                .await?
                .unwrap_or(Value::Null);
            Ok(new_user_policy(&list))
        }
        .boxed()
    }

    fn reactivate<'a>(&'a self, remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let id = http::encode_segment(&remote.id);
            let (op, path) = match self.status_of(remote).await?.as_deref() {
                Some("DEPROVISIONED") | Some("STAGED") => (
                    "activate",
                    format!("/api/v1/users/{id}/lifecycle/activate?sendEmail=false"),
                ),
                Some("SUSPENDED") => (
                    "unsuspend",
                    format!("/api/v1/users/{id}/lifecycle/unsuspend"),
                ),
                _ => return Ok(()),
            };
            let tried = format!(
                "{op} user {} ({}) on {}",
                remote.login, remote.id, self.target.base_url
            );
            self.call(Method::POST, &path, None, tried, &[], false)
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn delete_user<'a>(&'a self, remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            // Okta deletes only DEPROVISIONED users: deactivate first.
            self.deactivate(remote).await?;
            let tried = format!(
                "delete user {} ({}) on {}",
                remote.login, remote.id, self.target.base_url
            );
            let path = format!("/api/v1/users/{}", http::encode_segment(&remote.id));
            self.call(Method::DELETE, &path, None, tried, &[], true)
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn find_group<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<Option<RemoteGroup>>> {
        async move {
            let tried = format!("look up group {name} on {}", self.target.base_url);
            let path = format!("/api/v1/groups?q={}&limit=200", http::encode_query(name));
            let groups = self.get_all(&path, &tried).await?;
            Ok(groups
                .iter()
                .map(|g| remote_group(g, ""))
                .find(|g| g.name.eq_ignore_ascii_case(name)))
        }
        .boxed()
    }

    fn create_group<'a>(&'a self, name: &'a str) -> BoxFuture<'a, ConnectorResult<RemoteGroup>> {
        async move {
            let tried = format!("create group {name} on {}", self.target.base_url);
            let body = json!({ "profile": { "name": name, "description": "Pushed by Roster (Group Push)" } });
            let created = self
                .call(Method::POST, "/api/v1/groups", Some(body), tried, &[], false)
                .await?
                .unwrap_or(Value::Null);
            Ok(remote_group(&created, name))
        }
        .boxed()
    }

    fn rename_group<'a>(
        &'a self,
        group_id: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let tried = format!(
                "rename group {group_id} to {name} on {}",
                self.target.base_url
            );
            let path = format!("/api/v1/groups/{}", http::encode_segment(group_id));
            let body = json!({ "profile": { "name": name, "description": "Pushed by Roster (Group Push)" } });
            self.call(Method::PUT, &path, Some(body), tried, &[], false)
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn set_group_members<'a>(
        &'a self,
        group_id: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, ConnectorResult<MemberChanges>> {
        async move {
            let gid = http::encode_segment(group_id);
            let tried = format!(
                "read the members of group {group_id} on {}",
                self.target.base_url
            );
            let current: Vec<String> = self
                .get_all(&format!("/api/v1/groups/{gid}/users?limit=200"), &tried)
                .await?
                .iter()
                .filter_map(|u| u.get("id").and_then(Value::as_str).map(str::to_owned))
                .collect();
            let mut changes = MemberChanges::default();
            for id in members.iter().filter(|m| !current.contains(m)) {
                let tried = format!(
                    "add user {id} to group {group_id} on {}",
                    self.target.base_url
                );
                let path = format!("/api/v1/groups/{gid}/users/{}", http::encode_segment(id));
                self.call(Method::PUT, &path, None, tried, &[], false)
                    .await?;
                changes.added += 1;
            }
            for id in current.iter().filter(|c| !members.contains(c)) {
                let tried = format!(
                    "remove user {id} from group {group_id} on {}",
                    self.target.base_url
                );
                let path = format!("/api/v1/groups/{gid}/users/{}", http::encode_segment(id));
                self.call(Method::DELETE, &path, None, tried, &[], true)
                    .await?;
                changes.removed += 1;
            }
            Ok(changes)
        }
        .boxed()
    }

    fn delete_group<'a>(&'a self, group_id: &'a str) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let tried = format!("delete group {group_id} on {}", self.target.base_url);
            let path = format!("/api/v1/groups/{}", http::encode_segment(group_id));
            self.call(Method::DELETE, &path, None, tried, &[], true)
                .await
                .map(|_| ())
        }
        .boxed()
    }
}

impl Org2OrgConnector {
    /// The target user's status: `remote.status` when known, else read by id (`None` when the
    /// user is gone).
    async fn status_of(&self, remote: &RemoteUser) -> ConnectorResult<Option<String>> {
        if remote.status.is_some() {
            return Ok(remote.status.clone());
        }
        let tried = format!(
            "read user {} ({}) on {}",
            remote.login, remote.id, self.target.base_url
        );
        let path = format!("/api/v1/users/{}", http::encode_segment(&remote.id));
        Ok(self
            .call(Method::GET, &path, None, tried, &[], true)
            .await?
            .and_then(|v| v.get("status").and_then(Value::as_str).map(str::to_owned)))
    }
}

/// The policy a new user on the other org gets: the active password policy with the lowest
/// priority number that names no groups (a new user is in none yet), else the default one.
fn new_user_policy(list: &Value) -> Option<roster_core::policy::PasswordPolicy> {
    let policies: Vec<roster_core::policy::PasswordPolicy> = list
        .as_array()?
        .iter()
        .filter_map(|p| serde_json::from_value(p.clone()).ok())
        .filter(|p: &roster_core::policy::PasswordPolicy| {
            p.status == roster_core::policy::PolicyStatus::Active
        })
        .collect();
    policies
        .iter()
        .filter(|p| p.conditions.people.groups.include.is_empty())
        .min_by_key(|p| p.priority)
        .or_else(|| policies.iter().find(|p| p.system))
        .cloned()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn hub_password_rejections_keep_the_requirements_and_lose_the_password() {
        let body = r#"{"errorCode":"E0000001","errorSummary":"Api validation failed: password","errorCauses":[{"errorSummary":"password: Password requirements were not met. Password requirements: at least 10 characters."}]}"#;
        let e = classify(
            "create user a@example.com with a password on http://hub".into(),
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body,
            &["weakpass"],
        );
        assert_eq!(e.kind, ErrorKind::Permanent);
        assert_eq!(e.code(), "provisioning.password_rejected");
        assert_eq!(e.field.as_deref(), Some("password"));
        assert_eq!(e.target_code.as_deref(), Some("E0000001"));
        assert_eq!(
            e.summary(),
            "create user a@example.com with a password on http://hub: Api validation failed: password (password: Password requirements were not met. Password requirements: at least 10 characters.)"
        );
    }

    #[test]
    fn statuses_are_classified() {
        let kind = |status: u16, headers: HeaderMap| {
            classify(
                "t".into(),
                StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT),
                &headers,
                "",
                &[],
            )
            .kind
        };
        assert_eq!(kind(401, HeaderMap::new()), ErrorKind::Unauthorized);
        assert_eq!(kind(503, HeaderMap::new()), ErrorKind::Transient);
        assert_eq!(kind(404, HeaderMap::new()), ErrorKind::Permanent);
        let mut h = HeaderMap::new();
        h.insert(
            reqwest::header::RETRY_AFTER,
            reqwest::header::HeaderValue::from_static("7"),
        );
        assert_eq!(
            kind(429, h),
            ErrorKind::RateLimited {
                retry_after: Some(Duration::from_secs(7))
            }
        );
    }

    #[test]
    fn logins_are_encoded_as_one_path_segment() {
        assert_eq!(http::encode_segment("a.b+c@x.com"), "a.b+c@x.com");
        assert_eq!(http::encode_segment("a/b c"), "a%2Fb%20c");
    }
}
