//! The OpenAPI 3.1 document of the Management API (`/api/v1`), generated from the handlers'
//! `#[utoipa::path]` annotations and the schema types below, served at
//! `GET /api/v1/openapi.json` (no token needed) and committed as `docs/openapi.json`.
//!
//! The schema types here describe Okta's shapes where a handler builds its answer as
//! `serde_json::Value`; they are documentation only and never (de)serialized. Okta's objects
//! are open: every schema allows properties it does not list.
//!
//! Drift check: `cargo test -p roster-server openapi` fails when `docs/openapi.json` differs
//! from the generated document; regenerate it with
//! `ROSTER_UPDATE_OPENAPI=1 cargo test -p roster-server openapi`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::{Modify, OpenApi, ToSchema};

use crate::AppState;

/// The public URL written into `docs/openapi.json` (the served document uses the server's own).
pub const COMMITTED_SERVER_URL: &str = "http://localhost:8080";

/// Okta's error object, plus Roster's `cause` and `remediation`.
#[derive(ToSchema, serde::Serialize)]
#[schema(as = Error)]
#[serde(rename_all = "camelCase")]
pub struct ErrorSchema {
    /// Okta's error code, e.g. `E0000001`.
    pub error_code: String,
    pub error_summary: String,
    pub error_link: String,
    /// Logged with the internal cause of the error, if any.
    pub error_id: String,
    pub error_causes: Vec<ErrorCauseSchema>,
    /// Why the request failed, in Roster's words.
    pub cause: String,
    /// What to do about it.
    pub remediation: String,
}

/// One entry of `errorCauses`.
#[derive(ToSchema, serde::Serialize)]
#[schema(as = ErrorCause)]
#[serde(rename_all = "camelCase")]
pub struct ErrorCauseSchema {
    pub error_summary: String,
    /// A stable machine-readable code, e.g. `invalidLoginEmail`.
    pub reason: Option<String>,
    /// The field the cause is about.
    pub location: Option<String>,
}

/// A link of `_links`.
#[derive(ToSchema, serde::Serialize)]
pub struct Link {
    pub href: String,
    pub method: Option<String>,
}

/// Okta's password policy (`type` is always `PASSWORD` in Roster). Described loosely:
/// `conditions` and `settings` follow Okta's password policy object.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicy {
    pub id: String,
    #[schema(example = "PASSWORD")]
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    pub status: String,
    pub priority: u32,
    /// `true` only for the default policy, which cannot be deleted.
    pub system: bool,
    pub conditions: JsonObject,
    pub settings: JsonObject,
    #[schema(format = DateTime)]
    pub created: Option<String>,
    #[schema(format = DateTime)]
    pub last_updated: Option<String>,
    #[serde(rename = "_links")]
    pub links: BTreeMap<String, Link>,
}

/// A body of a create or update of a password policy: Okta's policy object, `type: PASSWORD`.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicyIn {
    #[schema(example = "PASSWORD", pattern = "^PASSWORD$")]
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub description: Option<String>,
    pub status: Option<String>,
    pub priority: Option<u32>,
    pub conditions: Option<JsonObject>,
    pub settings: Option<JsonObject>,
}

/// Any JSON object.
#[derive(ToSchema, serde::Serialize)]
#[schema(as = JsonObject)]
pub struct JsonObject {}

/// One System Log event (Okta's LogEvent).
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent {
    pub uuid: String,
    #[schema(format = DateTime)]
    pub published: String,
    /// e.g. `user.lifecycle.create`.
    pub event_type: String,
    pub version: String,
    /// `DEBUG`, `INFO`, `WARN` or `ERROR`.
    pub severity: String,
    pub display_message: String,
    pub actor: JsonObject,
    pub client: JsonObject,
    pub outcome: JsonObject,
    pub target: Vec<JsonObject>,
    pub transaction: JsonObject,
    pub debug_context: JsonObject,
}

/// An API token (its value is never returned).
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub token_prefix: String,
    pub role: String,
    pub client_name: String,
    #[schema(format = DateTime)]
    pub created: String,
    #[schema(format = DateTime)]
    pub last_updated: String,
    pub revoked: bool,
    #[serde(rename = "_links")]
    pub links: BTreeMap<String, Link>,
}

/// The user profile schema (Okta's `UserSchema`): `definitions.base` and `definitions.custom`.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSchema {
    pub id: String,
    pub definitions: JsonObject,
}

/// A user's credentials after a password change.
#[derive(ToSchema, serde::Serialize)]
pub struct UserCredentials {
    pub password: Option<JsonObject>,
    pub provider: Option<JsonObject>,
}

/// `{"oldPassword": {"value": ...}, "newPassword": {"value": ...}}`.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    pub old_password: PasswordValue,
    pub new_password: PasswordValue,
}

#[derive(ToSchema, serde::Serialize)]
pub struct PasswordValue {
    pub value: String,
}

/// The answer of a lifecycle operation: `{}`, an activation or reset link (`sendEmail=false`),
/// or the user (with `tempPassword` when one was made).
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleResult {
    pub activation_url: Option<String>,
    pub activation_token: Option<String>,
    pub reset_password_url: Option<String>,
    pub summary: Option<String>,
    pub temp_password: Option<String>,
    pub id: Option<String>,
    pub status: Option<String>,
}

/// The answer of `forgot_password`: `{}`, or the link when `sendEmail=false`.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForgotPasswordResult {
    pub reset_password_url: Option<String>,
}

/// `POST /api/v1/authn/recovery/password`.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryRequest {
    #[schema(min_length = 1)]
    pub username: String,
    /// `EMAIL` (the default; the only factor Roster recovers with).
    pub factor_type: Option<String>,
}

/// The recovery transaction: `RECOVERY_CHALLENGE`, waiting for the emailed link.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryTransaction {
    pub status: String,
    pub factor_result: String,
    pub factor_type: String,
    pub recovery_type: String,
}

/// `POST /api/v1/authn`.
#[derive(ToSchema, serde::Serialize)]
pub struct AuthnRequest {
    #[schema(min_length = 1)]
    pub username: String,
    #[schema(min_length = 1)]
    pub password: String,
}

/// Okta's authentication transaction: `SUCCESS`, `PASSWORD_EXPIRED` or `LOCKED_OUT`.
#[derive(ToSchema, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthnTransaction {
    pub status: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    pub session_token: Option<String>,
    pub state_token: Option<String>,
    #[serde(rename = "_embedded")]
    pub embedded: Option<JsonObject>,
    #[serde(rename = "_links")]
    pub links: Option<JsonObject>,
}

/// The error answers every authenticated operation can give, as Okta's error object.
#[derive(utoipa::IntoResponses)]
pub enum ApiErrors {
    /// Validation failed (E0000001) or a parameter is invalid.
    #[response(status = 400)]
    BadRequest(ErrorSchema),
    /// Missing, unknown or revoked API token (E0000011).
    #[response(status = 401)]
    Unauthorized(ErrorSchema),
    /// The token's role may not do this (E0000006), or the operation is not allowed.
    #[response(status = 403)]
    Forbidden(ErrorSchema),
    /// The resource does not exist (E0000007).
    #[response(status = 404)]
    NotFound(ErrorSchema),
    /// The object changed since it was read (E0000020).
    #[response(status = 412)]
    PreconditionFailed(ErrorSchema),
    /// The request body is too large.
    #[response(status = 413)]
    PayloadTooLarge(ErrorSchema),
    /// Past the token's rate limit (E0000047); see `X-Rate-Limit-*` headers.
    #[response(status = 429)]
    TooManyRequests(ErrorSchema),
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "SSWS",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Authorization: SSWS <token>`; create a token with `roster token create --name NAME`",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Roster Management API",
        description = "Roster's Okta-compatible Management API (`/api/v1`). Errors are Okta's error object with Roster's `cause` and `remediation`. Lists page with `limit` and `after` and `Link` headers.",
        license(name = "Apache-2.0")
    ),
    modifiers(&Security),
    security(("SSWS" = [])),
    paths(
        crate::logs::list_logs,
        crate::okta::users::list,
        crate::okta::users::create,
        crate::okta::users::get,
        crate::okta::users::update_partial,
        crate::okta::users::update_full,
        crate::okta::users::delete,
        crate::okta::users::lifecycle,
        crate::okta::users::change_password,
        crate::okta::users::forgot_password,
        crate::okta::users::groups_of_user,
        crate::okta::groups::list,
        crate::okta::groups::create,
        crate::okta::groups::get,
        crate::okta::groups::update,
        crate::okta::groups::delete,
        crate::okta::groups::members,
        crate::okta::groups::add_member,
        crate::okta::groups::remove_member,
        crate::okta::policies::list,
        crate::okta::policies::create,
        crate::okta::policies::get,
        crate::okta::policies::update,
        crate::okta::policies::delete,
        crate::okta::policies::lifecycle,
        crate::okta::schemas::get,
        crate::okta::schemas::update,
        crate::okta::roles::list,
        crate::okta::roles::assign,
        crate::okta::roles::revoke,
        crate::okta::tokens::list,
        crate::okta::tokens::get,
        crate::okta::tokens::revoke,
        crate::okta::email_servers::list,
        crate::okta::email_servers::create,
        crate::okta::email_servers::get,
        crate::okta::email_servers::update,
        crate::okta::email_servers::delete,
        crate::okta::email_servers::test,
        crate::okta::brands::list_brands,
        crate::okta::brands::get_brand,
        crate::okta::brands::list_templates,
        crate::okta::brands::get_template,
        crate::okta::brands::default_content,
        crate::okta::brands::list_customizations,
        crate::okta::brands::create_customization,
        crate::okta::brands::delete_all_customizations,
        crate::okta::brands::get_customization,
        crate::okta::brands::replace_customization,
        crate::okta::brands::delete_customization,
        crate::okta::authn::authn,
        crate::okta::authn::recovery_password,
        openapi_json
    ),
    components(schemas(ErrorSchema, ErrorCauseSchema, JsonObject, Link)),
    tags(
        (name = "User", description = "Users and their lifecycle"),
        (name = "Group", description = "Groups and memberships"),
        (name = "Policy", description = "Password policies"),
        (name = "Schema", description = "The user profile schema"),
        (name = "ApiToken", description = "API tokens"),
        (name = "Role", description = "Administrator roles of users"),
        (name = "SystemLog", description = "The System Log"),
        (name = "Authentication", description = "Primary authentication"),
        (name = "EmailServer", description = "Custom SMTP servers (passwords are never returned)"),
        (name = "Brand", description = "The brand, its email templates and their customizations"),
        (name = "Meta", description = "This document")
    )
)]
pub struct ApiDoc;

/// The document, with `servers` set to `public_url`.
pub fn document(public_url: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.servers = Some(vec![Server::new(public_url.trim_end_matches('/'))]);
    doc
}

/// The document as pretty JSON with sorted keys (the form committed as `docs/openapi.json`).
pub fn document_json(public_url: &str) -> String {
    let value = serde_json::to_value(document(public_url)).unwrap_or(Value::Null);
    let mut text = serde_json::to_string_pretty(&sorted(value)).unwrap_or_default();
    text.push('\n');
    text
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// `GET /api/v1/openapi.json`: this document, served without authentication (it describes the
/// API, not the directory).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "getOpenApiDocument",
    tag = "Meta",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of /api/v1", content_type = "application/json", body = JsonObject)),
)]
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document_json(&state.config.public_url),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    /// The drift check: `docs/openapi.json` must be the generated document.
    #[test]
    fn openapi_document_matches_docs_openapi_json() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
        let generated = document_json(COMMITTED_SERVER_URL);
        if std::env::var_os("ROSTER_UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            panic!(
                "docs/openapi.json is out of date with the code; regenerate it with\n    \
                 ROSTER_UPDATE_OPENAPI=1 cargo test -p roster-server openapi\nand commit the result"
            );
        }
    }

    #[test]
    fn openapi_document_is_deterministic_and_complete() {
        assert_eq!(document_json("http://x"), document_json("http://x"));
        let doc: Value = serde_json::from_str(&document_json("http://x")).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["servers"][0]["url"], "http://x");
        assert!(doc["paths"]["/api/v1/users/{id}"]["get"].is_object());
        assert!(doc["components"]["securitySchemes"]["SSWS"].is_object());
        assert!(doc["components"]["schemas"]["Error"].is_object());
    }
}
