//! The Org2Org connector: another Roster's (or an Okta org's) Management API, `/api/v1`, with an
//! `SSWS` API token.

use futures::future::BoxFuture;
use futures::FutureExt as _;
use reqwest::header::{HeaderMap, ACCEPT};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::connector::{Connector, ConnectorResult, PushUser, RemoteUser};
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
            self.call(
                Method::POST,
                &path,
                Some(json!({ "profile": user.profile })),
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
            self.call(
                Method::POST,
                &path,
                Some(body),
                tried,
                &[password.expose_secret()],
                false,
            )
            .await
            .map(|_| ())
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
            self.call(Method::POST, &path, None, tried, &[], false)
                .await
                .map(|_| ())
        }
        .boxed()
    }
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
