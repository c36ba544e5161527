//! `POST /api/v1/authn`: Okta's classic primary authentication. Needs no API token.

use axum::extract::State;
use axum::Json;
use roster_directory::{AuthnStatus, Ctx};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

#[derive(Deserialize)]
pub struct AuthnIn {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecoveryIn {
    #[serde(default)]
    username: String,
    #[serde(default)]
    factor_type: Option<String>,
}

/// `POST /api/v1/authn/recovery/password`: Okta's forgot-password by email. The answer is the
/// same whether or not the user exists; a user who may reset gets a link by email.
#[utoipa::path(
    post,
    path = "/api/v1/authn/recovery/password",
    operation_id = "forgotPasswordRecovery",
    tag = "Authentication",
    security(()),
    request_body = crate::openapi::RecoveryRequest,
    responses((status = 200, description = "The recovery transaction, waiting for the emailed link", body = crate::openapi::RecoveryTransaction), crate::openapi::ApiErrors),
)]
pub async fn recovery_password(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RecoveryIn>,
) -> Result<Json<Value>, ApiError> {
    if body.username.trim().is_empty() {
        return Err(ApiError::validation("username", "the username is required")
            .with_remediation("send {\"username\": \"...\", \"factorType\": \"EMAIL\"}"));
    }
    match body.factor_type.as_deref() {
        None | Some("EMAIL") => {}
        Some(other) => {
            return Err(ApiError::validation(
                "factorType",
                format!("Roster recovers passwords by EMAIL only, not {other:?}"),
            )
            .with_remediation("send \"factorType\": \"EMAIL\""))
        }
    }
    let actor = roster_core::event::Actor {
        id: "anonymous".into(),
        kind: "User".into(),
        alternate_id: Some(body.username.clone()),
        display_name: None,
    };
    let ctx = Ctx::new(actor, state.now());
    crate::okta::mail::forgot_password(&state, &ctx, &body.username);
    Ok(Json(json!({
        "status": "RECOVERY_CHALLENGE",
        "factorResult": "WAITING",
        "factorType": "EMAIL",
        "recoveryType": "PASSWORD",
    })))
}

#[utoipa::path(
    post,
    path = "/api/v1/authn",
    operation_id = "authn",
    tag = "Authentication",
    security(()),
    request_body = crate::openapi::AuthnRequest,
    responses((status = 200, description = "The authentication transaction", body = crate::openapi::AuthnTransaction), crate::openapi::ApiErrors),
)]
pub async fn authn(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<AuthnIn>,
) -> Result<Json<Value>, ApiError> {
    if body.username.trim().is_empty() || body.password.is_empty() {
        return Err(
            ApiError::validation("username", "both username and password are required")
                .with_remediation("send {\"username\": \"...\", \"password\": \"...\"}"),
        );
    }
    let password = SecretString::from(body.password);
    let actor = roster_core::event::Actor {
        id: "anonymous".into(),
        kind: "User".into(),
        alternate_id: Some(body.username.clone()),
        display_name: None,
    };
    let ctx = Ctx::new(actor, state.now());
    let outcome = state
        .directory
        .authenticate(&ctx, &body.username, &password)
        .await?;
    let user = &outcome.user;
    let expires = state.now().plus_minutes(5);
    let embedded_user = json!({
        "id": user.id,
        "passwordChanged": user.password_changed,
        "profile": {
            "login": user.login(),
            "firstName": user.profile_str("firstName"),
            "lastName": user.profile_str("lastName"),
            "locale": user.profile_str("locale").unwrap_or("en_US"),
            "timeZone": user.profile_str("timezone").unwrap_or("America/Los_Angeles"),
        }
    });
    let body = match outcome.status {
        AuthnStatus::Success => json!({
            "expiresAt": expires,
            "status": "SUCCESS",
            "sessionToken": random_token("20111"),
            "_embedded": { "user": embedded_user },
        }),
        AuthnStatus::PasswordExpired => json!({
            "stateToken": random_token("00"),
            "expiresAt": expires,
            "status": "PASSWORD_EXPIRED",
            "_embedded": { "user": embedded_user },
        }),
        AuthnStatus::LockedOut => json!({
            "status": "LOCKED_OUT",
            "_links": { "unlock": { "name": "unlock", "href": format!("{}/api/v1/authn/recovery/unlock", state.config.public_url), "hints": { "allow": ["POST"] } } },
        }),
    };
    Ok(Json(body))
}
