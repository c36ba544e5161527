//! The SCIM 2.0 connector (RFC 7643/7644): `Users` on a SCIM service provider with a bearer
//! token. Found by `filter=userName eq "..."`, created with `POST /Users` (with `password` when
//! synced), profiles replaced with `PUT /Users/{id}`, passwords and deactivation with `PATCH`.

use futures::future::BoxFuture;
use futures::FutureExt as _;
use reqwest::header::{HeaderMap, ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};

use crate::connector::{
    Connector, ConnectorResult, MemberChanges, PushUser, RemoteGroup, RemoteUser,
};
use crate::error::{redact_body, scrub, ConnectorError};
use crate::http::{self, Target};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SCIM_JSON: &str = "application/scim+json";

/// A connection to a SCIM 2.0 service provider.
#[derive(Debug)]
pub struct ScimConnector {
    target: Target,
}

impl ScimConnector {
    pub fn new(base_url: &str, token: SecretString, http: reqwest::Client) -> Self {
        ScimConnector {
            target: Target::new(base_url, token, "Bearer", http),
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        tried: String,
        secrets: &[&str],
    ) -> ConnectorResult<Value> {
        let mut request = self.target.request(method, path).header(ACCEPT, SCIM_JSON);
        if let Some(body) = &body {
            request = request
                .header(CONTENT_TYPE, SCIM_JSON)
                .body(body.to_string());
        }
        let answer = http::send(request, &tried).await?;
        if answer.status.is_success() {
            return answer.json().ok_or_else(|| answer.not_json(&tried));
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

/// Turn a non-2xx SCIM answer (RFC 7644 §3.12 error schema) into a classified error.
pub fn classify(
    tried: String,
    status: StatusCode,
    headers: &HeaderMap,
    text: &str,
    secrets: &[&str],
) -> ConnectorError {
    let body = redact_body(text, secrets);
    let detail = body
        .get("detail")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let scim_type = body
        .get("scimType")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let said = match (&detail, &scim_type) {
        (Some(d), Some(t)) => format!("HTTP {} {t}: {d}", status.as_u16()),
        (Some(d), None) => format!("HTTP {}: {d}", status.as_u16()),
        _ => format!("HTTP {}", status.as_u16()),
    };
    let said = scrub(&said, secrets);
    let field = detail
        .as_deref()
        .filter(|d| d.to_ascii_lowercase().contains("password"))
        .map(|_| "password".to_owned());
    let uniqueness = scim_type.as_deref() == Some("uniqueness");
    let kind = http::status_kind(status, headers, uniqueness);
    ConnectorError {
        kind,
        tried,
        said,
        status: Some(status.as_u16()),
        target_code: scim_type,
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
            .get("userName")
            .and_then(Value::as_str)
            .unwrap_or(fallback_login)
            .to_owned(),
        status: v.get("active").and_then(Value::as_bool).map(|a| {
            if a {
                "ACTIVE".to_owned()
            } else {
                "INACTIVE".to_owned()
            }
        }),
        provider_type: None,
    }
}

fn remote_group(v: &Value, fallback_name: &str) -> RemoteGroup {
    RemoteGroup {
        id: v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        name: v
            .get("displayName")
            .and_then(Value::as_str)
            .unwrap_or(fallback_name)
            .to_owned(),
    }
}

/// The PATCH operations that make a group's members `wanted` from `current`.
fn member_operations(current: &[String], wanted: &[String]) -> (Vec<Value>, MemberChanges) {
    let add: Vec<Value> = wanted
        .iter()
        .filter(|w| !current.contains(w))
        .map(|w| json!({ "value": w }))
        .collect();
    let remove: Vec<&String> = current.iter().filter(|c| !wanted.contains(c)).collect();
    let changes = MemberChanges {
        added: add.len(),
        removed: remove.len(),
    };
    let mut ops = Vec::new();
    if !add.is_empty() {
        ops.push(json!({ "op": "add", "path": "members", "value": add }));
    }
    for id in remove {
        ops.push(json!({
            "op": "remove",
            "path": format!("members[value eq \"{}\"]", id.replace('"', "\\\"")),
        }));
    }
    (ops, changes)
}

/// The SCIM core User for a Roster profile (the standard attributes; mappings come later).
pub fn scim_user(user: &PushUser) -> Value {
    let p = &user.profile;
    let s = |k: &str| p.get(k).and_then(Value::as_str);
    let mut out = Map::new();
    out.insert("schemas".into(), json!([USER_SCHEMA]));
    out.insert("userName".into(), json!(user.login));
    let mut name = Map::new();
    if let Some(v) = s("firstName") {
        name.insert("givenName".into(), json!(v));
    }
    if let Some(v) = s("lastName") {
        name.insert("familyName".into(), json!(v));
    }
    if !name.is_empty() {
        out.insert("name".into(), Value::Object(name));
    }
    if let Some(v) = s("displayName") {
        out.insert("displayName".into(), json!(v));
    }
    if let Some(v) = s("email") {
        out.insert(
            "emails".into(),
            json!([{ "value": v, "type": "work", "primary": true }]),
        );
    }
    out.insert("active".into(), json!(true));
    Value::Object(out)
}

impl Connector for ScimConnector {
    fn target(&self) -> &str {
        &self.target.base_url
    }

    fn check_connection(&self) -> BoxFuture<'_, ConnectorResult<()>> {
        async move {
            let tried = format!(
                "test the bearer token against {}/Users",
                self.target.base_url
            );
            self.call(Method::GET, "/Users?count=1", None, tried, &[])
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
            let tried = format!("look up userName {login} on {}", self.target.base_url);
            let filter = format!("userName eq \"{}\"", login.replace('"', "\\\""));
            let path = format!("/Users?filter={}", http::encode_query(&filter));
            let list = self.call(Method::GET, &path, None, tried, &[]).await?;
            Ok(list
                .get("Resources")
                .and_then(Value::as_array)
                .and_then(|r| r.first())
                .map(|u| remote_user(u, login)))
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
                let mut body = payload.0.clone();
                if let Some(obj) = body.as_object_mut() {
                    obj.entry("schemas").or_insert_with(|| json!([USER_SCHEMA]));
                }
                let owned = payload.secrets();
                let secrets: Vec<&str> = owned.iter().map(String::as_str).collect();
                let tried = format!(
                    "create user {} from the app's transformation on {}",
                    user.login, self.target.base_url
                );
                let created = self
                    .call(Method::POST, "/Users", Some(body), tried, &secrets)
                    .await
                    .map_err(|e| e.with_sent(payload))?;
                return Ok(remote_user(&created, &user.login));
            }
            let mut body = scim_user(user);
            let mut secrets = Vec::new();
            let tried = match password {
                Some(p) => {
                    body["password"] = json!(p.expose_secret());
                    secrets.push(p.expose_secret());
                    format!(
                        "create user {} with a password on {}",
                        user.login, self.target.base_url
                    )
                }
                None => format!("create user {} on {}", user.login, self.target.base_url),
            };
            let created = self
                .call(Method::POST, "/Users", Some(body), tried, &secrets)
                .await?;
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
                "replace user {} ({}) on {}",
                remote.login, remote.id, self.target.base_url
            );
            let path = format!("/Users/{}", http::encode_query(&remote.id));
            if let Some(payload) = &user.payload {
                // The transformation's patch-scope payload: replaced attribute by attribute, so
                // what it does not map (the password set at create) stays as it is.
                let mut value = payload.0.clone();
                if let Some(obj) = value.as_object_mut() {
                    obj.remove("schemas");
                    if obj.is_empty() {
                        return Ok(());
                    }
                }
                let owned = payload.secrets();
                let secrets: Vec<&str> = owned.iter().map(String::as_str).collect();
                let tried = format!(
                    "patch user {} ({}) from the app's transformation on {}",
                    remote.login, remote.id, self.target.base_url
                );
                let body = json!({
                    "schemas": [PATCH_SCHEMA],
                    "Operations": [{ "op": "replace", "value": value }]
                });
                return self
                    .call(Method::PATCH, &path, Some(body), tried, &secrets)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.with_sent(payload));
            }
            self.call(Method::PUT, &path, Some(scim_user(user)), tried, &[])
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
            let path = format!("/Users/{}", http::encode_query(&remote.id));
            let body = json!({
                "schemas": [PATCH_SCHEMA],
                "Operations": [{ "op": "replace", "path": "password", "value": password.expose_secret() }]
            });
            self.call(
                Method::PATCH,
                &path,
                Some(body),
                tried,
                &[password.expose_secret()],
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
            let path = format!("/Users/{}", http::encode_query(&remote.id));
            let body = json!({
                "schemas": [PATCH_SCHEMA],
                "Operations": [{ "op": "replace", "path": "active", "value": false }]
            });
            self.call(Method::PATCH, &path, Some(body), tried, &[])
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn reactivate<'a>(&'a self, remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let tried = format!(
                "reactivate user {} ({}) on {}",
                remote.login, remote.id, self.target.base_url
            );
            let path = format!("/Users/{}", http::encode_query(&remote.id));
            let body = json!({
                "schemas": [PATCH_SCHEMA],
                "Operations": [{ "op": "replace", "path": "active", "value": true }]
            });
            self.call(Method::PATCH, &path, Some(body), tried, &[])
                .await
                .map(|_| ())
        }
        .boxed()
    }

    fn delete_user<'a>(&'a self, remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let tried = format!(
                "delete user {} ({}) on {}",
                remote.login, remote.id, self.target.base_url
            );
            let path = format!("/Users/{}", http::encode_query(&remote.id));
            match self.call(Method::DELETE, &path, None, tried, &[]).await {
                Ok(_) => Ok(()),
                // Already gone: the deletion is done.
                Err(e) if e.status == Some(404) => Ok(()),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }

    fn find_group<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<Option<RemoteGroup>>> {
        async move {
            let tried = format!(
                "look up group displayName {name} on {}",
                self.target.base_url
            );
            let filter = format!("displayName eq \"{}\"", name.replace('"', "\\\""));
            let path = format!(
                "/Groups?filter={}&excludedAttributes=members",
                http::encode_query(&filter)
            );
            let list = self.call(Method::GET, &path, None, tried, &[]).await?;
            Ok(list
                .get("Resources")
                .and_then(Value::as_array)
                .and_then(|r| r.first())
                .map(|g| remote_group(g, name)))
        }
        .boxed()
    }

    fn create_group<'a>(&'a self, name: &'a str) -> BoxFuture<'a, ConnectorResult<RemoteGroup>> {
        async move {
            let tried = format!("create group {name} on {}", self.target.base_url);
            let body = json!({ "schemas": [GROUP_SCHEMA], "displayName": name, "members": [] });
            let created = self
                .call(Method::POST, "/Groups", Some(body), tried, &[])
                .await?;
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
            let path = format!("/Groups/{}", http::encode_query(group_id));
            let body = json!({
                "schemas": [PATCH_SCHEMA],
                "Operations": [{ "op": "replace", "path": "displayName", "value": name }]
            });
            self.call(Method::PATCH, &path, Some(body), tried, &[])
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
            let path = format!("/Groups/{}", http::encode_query(group_id));
            let tried = format!(
                "read the members of group {group_id} on {}",
                self.target.base_url
            );
            let group = self
                .call(
                    Method::GET,
                    &format!("{path}?attributes=members"),
                    None,
                    tried,
                    &[],
                )
                .await?;
            let current: Vec<String> = group
                .get("members")
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter_map(|v| v.get("value").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            let (ops, changes) = member_operations(&current, members);
            if ops.is_empty() {
                return Ok(changes);
            }
            let tried = format!(
                "update the members of group {group_id} on {} (+{} -{})",
                self.target.base_url, changes.added, changes.removed
            );
            let body = json!({ "schemas": [PATCH_SCHEMA], "Operations": ops });
            self.call(Method::PATCH, &path, Some(body), tried, &[])
                .await?;
            Ok(changes)
        }
        .boxed()
    }

    fn delete_group<'a>(&'a self, group_id: &'a str) -> BoxFuture<'a, ConnectorResult<()>> {
        async move {
            let tried = format!("delete group {group_id} on {}", self.target.base_url);
            let path = format!("/Groups/{}", http::encode_query(group_id));
            match self.call(Method::DELETE, &path, None, tried, &[]).await {
                Ok(_) => Ok(()),
                Err(e) if e.status == Some(404) => Ok(()),
                Err(e) => Err(e),
            }
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn scim_password_rejections_are_permanent_and_redacted() {
        let body = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"400","scimType":"invalidValue","detail":"password: Insufficient password John"}"#;
        let e = classify(
            "create user john on http://t".into(),
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            body,
            &["John"],
        );
        assert_eq!(e.kind, ErrorKind::Permanent);
        assert_eq!(e.field.as_deref(), Some("password"));
        assert_eq!(e.target_code.as_deref(), Some("invalidValue"));
        assert!(!e.summary().contains("John"), "{}", e.summary());
        let uniq = classify(
            "t".into(),
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            r#"{"scimType":"uniqueness","detail":"userName taken"}"#,
            &[],
        );
        assert_eq!(uniq.kind, ErrorKind::Conflict);
    }

    #[test]
    fn group_members_become_add_and_remove_operations() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (ops, changes) = member_operations(&ids(&["a", "b"]), &ids(&["b", "c"]));
        assert_eq!(
            changes,
            MemberChanges {
                added: 1,
                removed: 1
            }
        );
        assert_eq!(
            Value::Array(ops),
            json!([
                {"op": "add", "path": "members", "value": [{"value": "c"}]},
                {"op": "remove", "path": "members[value eq \"a\"]"}
            ])
        );
        let (ops, changes) = member_operations(&ids(&["a"]), &ids(&["a"]));
        assert!(ops.is_empty());
        assert_eq!(changes, MemberChanges::default());
    }

    #[test]
    fn profiles_become_core_users() {
        let user = PushUser {
            login: "ann@example.com".into(),
            profile: json!({"firstName": "Ann", "lastName": "Lee", "email": "ann@example.com"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            payload: None,
        };
        let v = scim_user(&user);
        assert_eq!(v["userName"], "ann@example.com");
        assert_eq!(v["name"]["familyName"], "Lee");
        assert_eq!(v["emails"][0]["value"], "ann@example.com");
    }
}
