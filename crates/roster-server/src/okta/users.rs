//! `/api/v1/users`: create, read, list and search, update, delete, lifecycle, credentials.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use roster_core::lifecycle::LifecycleOp;
use roster_core::{Provider, ProviderType};
use roster_directory::{NewUser, PasswordInput, ProfileChange, UserListQuery};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ctx;
use super::wire::{CredentialsIn, GroupOut, ProviderIn, UserIn, UserOut};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::{parse_json, ApiJson, QueryPairs};
use crate::logs::{list_error, parse_filter};
use crate::paging::link_headers;
use crate::AppState;

const DEFAULT_LIMIT: u32 = 200;
const MAX_LIMIT: u32 = 200;

#[utoipa::path(
    get,
    path = "/api/v1/users",
    operation_id = "listUsers",
    tag = "User",
    params(("q" = Option<String>, Query, description = "Prefix search"), ("filter" = Option<String>, Query, description = "Okta filter expression"), ("search" = Option<String>, Query, description = "Okta search expression"), ("limit" = Option<u32>, Query, description = "Largest number of results in a page"), ("after" = Option<String>, Query, description = "The cursor of the next page, from a `next` Link header")),
    responses((status = 200, description = "A page of users; `Link` headers carry `self` and `next`", body = [crate::okta::wire::UserOut]), crate::openapi::ApiErrors),
)]
pub async fn list(
    State(state): State<AppState>,
    params: QueryPairs,
) -> Result<(HeaderMap, Json<Vec<UserOut>>), ApiError> {
    let limit = params.limit(DEFAULT_LIMIT, MAX_LIMIT)?;
    let page = search_users(&state, &params, limit).await?;
    let base = &state.config.public_url;
    let headers = link_headers(base, "/api/v1/users", &params, page.next_after.as_deref());
    Ok((
        headers,
        Json(
            page.items
                .iter()
                .map(|u| UserOut::from_user(u, base))
                .collect(),
        ),
    ))
}

/// List users with Okta's parameters (`search` or `filter` in the shared filter language, `q`,
/// `after`): what `GET /api/v1/users` and the console's user list both run.
pub async fn search_users(
    state: &AppState,
    params: &QueryPairs,
    limit: u32,
) -> Result<roster_directory::UserPage, ApiError> {
    let (param, filter) = match (
        params.get("search").filter(|s| !s.trim().is_empty()),
        params.get("filter").filter(|s| !s.trim().is_empty()),
    ) {
        (Some(_), Some(_)) => {
            return Err(
                ApiError::validation("search", "send either search or filter, not both")
                    .with_remediation("combine the conditions into one search expression with and"),
            )
        }
        (Some(s), None) => ("search", Some(parse_filter("search", s)?)),
        (None, Some(f)) => ("filter", Some(parse_filter("filter", f)?)),
        (None, None) => ("search", None),
    };
    let shown = filter.clone();
    let query = UserListQuery {
        filter,
        q: params.get("q").filter(|q| !q.is_empty()).map(str::to_owned),
        after: params
            .get("after")
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
        limit,
    };
    state
        .directory
        .list_users(&query)
        .await
        .map_err(|e| list_error(param, shown.as_ref(), e))
}

fn parse_provider(p: &ProviderIn) -> Result<Provider, ApiError> {
    let kind = ProviderType::parse(&p.kind).ok_or_else(|| {
        ApiError::validation(
            "credentials.provider.type",
            format!("{:?} is not a credentials provider; use OKTA, FEDERATION, SOCIAL, ACTIVE_DIRECTORY, LDAP or IMPORT", p.kind),
        )
        .with_remediation("send credentials.provider.type as one of OKTA, FEDERATION, SOCIAL, ACTIVE_DIRECTORY, LDAP, IMPORT")
    })?;
    Ok(Provider {
        kind,
        name: p.name.clone().unwrap_or_else(|| kind.as_str().to_owned()),
    })
}

fn password_input(creds: &Option<CredentialsIn>) -> Result<Option<PasswordInput>, ApiError> {
    let Some(password) = creds.as_ref().and_then(|c| c.password.as_ref()) else {
        return Ok(None);
    };
    match (&password.value, &password.hash) {
        (Some(_), Some(_)) => Err(ApiError::validation("credentials.password", "send either value or hash, not both")
            .with_remediation("send credentials.password.value for a clear password, or credentials.password.hash to import a hash")),
        (Some(v), None) => Ok(Some(PasswordInput::Value(SecretString::from(v.clone())))),
        (None, Some(h)) => Ok(Some(PasswordInput::Hash(h.clone()))),
        (None, None) => Ok(None),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    operation_id = "createUser",
    tag = "User",
    params(("activate" = Option<bool>, Query, description = "Activate the user (default true)"), ("provider" = Option<bool>, Query, description = "Create with a federated/social provider"), ("nextLogin" = Option<String>, Query, description = "`changePassword` to expire the password at once")),
    request_body = crate::okta::wire::UserIn,
    responses((status = 200, description = "The user", body = crate::okta::wire::UserOut), crate::openapi::ApiErrors),
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    params: QueryPairs,
    ApiJson(body): ApiJson<UserIn>,
) -> Result<Json<UserOut>, ApiError> {
    principal.require_write()?;
    let activate = params.bool("activate", true)?;
    let provider_flag = params.bool("provider", false)?;
    let next_login = match params.get("nextLogin") {
        None | Some("") => false,
        Some("changePassword") => true,
        Some(other) => {
            return Err(ApiError::validation(
                "nextLogin",
                format!("nextLogin must be changePassword, not {other:?}"),
            )
            .with_remediation("leave nextLogin out, or send nextLogin=changePassword"))
        }
    };
    let Some(profile) = body.profile else {
        return Err(ApiError::validation(
            "profile",
            "a user needs a profile with at least login, email, firstName and lastName",
        )
        .with_remediation(
            "send {\"profile\":{\"login\":...,\"email\":...,\"firstName\":...,\"lastName\":...}}",
        ));
    };
    let mut provider = match body.credentials.as_ref().and_then(|c| c.provider.as_ref()) {
        Some(p) => Some(parse_provider(p)?),
        None => None,
    };
    if provider_flag && provider.is_none() {
        provider = Some(Provider::federation());
    }
    let new = NewUser {
        profile,
        password: password_input(&body.credentials)?,
        provider,
        activate,
        next_login_change_password: next_login,
        group_ids: body.group_ids,
    };
    let (user, _link) = state
        .directory
        .create_user(&ctx(&state, &principal), new)
        .await?;
    Ok(Json(UserOut::from_user(&user, &state.config.public_url)))
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}",
    operation_id = "getUser",
    tag = "User",
    params(("id" = String, Path, description = "User id or login")),
    responses((status = 200, description = "The user", body = crate::okta::wire::UserOut), crate::openapi::ApiErrors),
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<UserOut>, ApiError> {
    let user = state.directory.get_user(&id).await?;
    Ok(Json(UserOut::from_user(&user, &state.config.public_url)))
}

async fn update(
    state: AppState,
    principal: Principal,
    id: String,
    body: UserIn,
    replace: bool,
) -> Result<Json<UserOut>, ApiError> {
    principal.require_write()?;
    if replace && body.profile.is_none() {
        return Err(
            ApiError::validation("profile", "a full update (PUT) needs the whole profile")
                .with_remediation(
                    "send the whole profile with PUT, or use POST for a partial update",
                ),
        );
    }
    let password = match password_input(&body.credentials)? {
        Some(PasswordInput::Value(v)) => Some(v),
        Some(PasswordInput::Hash(_)) => return Err(ApiError::validation(
            "credentials.password.hash",
            "a hash can be imported only when the user is created",
        )
        .with_remediation(
            "send credentials.password.value to set a password, or create the user with the hash",
        )),
        None => None,
    };
    let provider = match body.credentials.as_ref().and_then(|c| c.provider.as_ref()) {
        Some(p) => Some(parse_provider(p)?),
        None => None,
    };
    let change = ProfileChange {
        profile: body.profile,
        replace,
        password,
        provider,
        expected_version: None,
    };
    let user = state
        .directory
        .update_user(&ctx(&state, &principal), &id, change)
        .await?;
    Ok(Json(UserOut::from_user(&user, &state.config.public_url)))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}",
    operation_id = "updateUser",
    tag = "User",
    params(("id" = String, Path, description = "User id or login")),
    request_body = crate::okta::wire::UserIn,
    responses((status = 200, description = "The user", body = crate::okta::wire::UserOut), crate::openapi::ApiErrors),
)]
pub async fn update_partial(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UserIn>,
) -> Result<Json<UserOut>, ApiError> {
    update(state, principal, id, body, false).await
}

#[utoipa::path(
    put,
    path = "/api/v1/users/{id}",
    operation_id = "replaceUser",
    tag = "User",
    params(("id" = String, Path, description = "User id or login")),
    request_body = crate::okta::wire::UserIn,
    responses((status = 200, description = "The user", body = crate::okta::wire::UserOut), crate::openapi::ApiErrors),
)]
pub async fn update_full(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UserIn>,
) -> Result<Json<UserOut>, ApiError> {
    update(state, principal, id, body, true).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}",
    operation_id = "deleteUser",
    tag = "User",
    params(("id" = String, Path, description = "User id or login")),
    responses((status = 204, description = "Done"), crate::openapi::ApiErrors),
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    state
        .directory
        .delete_user(&ctx(&state, &principal), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Body of `reset_password`: the seed's provider conversion.
#[derive(Debug, Default, Deserialize)]
struct ResetBody {
    #[serde(default)]
    credentials: Option<CredentialsIn>,
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/lifecycle/{op}",
    operation_id = "userLifecycle",
    tag = "User",
    params(("id" = String, Path, description = "User id or login"), ("op" = String, Path, description = "activate, reactivate, deactivate, suspend, unsuspend, unlock, reset_password, expire_password or expire_password_with_temp_password"), ("sendEmail" = Option<bool>, Query, description = "false returns the activation or reset link; true on expire_password mails a PasswordExpired notice"), ("tempPassword" = Option<bool>, Query, description = "expire_password: also set a temporary password")),
    responses((status = 200, description = "`{}`, a link, or the user", body = crate::openapi::LifecycleResult), crate::openapi::ApiErrors),
)]
pub async fn lifecycle(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((id, op)): Path<(String, String)>,
    params: QueryPairs,
    body: Bytes,
) -> Result<Response, ApiError> {
    principal.require_write()?;
    let lifecycle_op = match op.as_str() {
        "activate" => LifecycleOp::Activate,
        "reactivate" => LifecycleOp::Reactivate,
        "deactivate" => LifecycleOp::Deactivate,
        "suspend" => LifecycleOp::Suspend,
        "unsuspend" => LifecycleOp::Unsuspend,
        "unlock" => LifecycleOp::Unlock,
        "reset_password" => LifecycleOp::ResetPassword,
        "expire_password" | "expire_password_with_temp_password" => LifecycleOp::ExpirePassword,
        other => {
            return Err(ApiError::not_found("lifecycle operation", other).with_remediation(
                "use one of activate, reactivate, deactivate, suspend, unsuspend, unlock, reset_password, expire_password",
            ))
        }
    };
    // Okta sends mail by default on activation; a reset answers its link unless asked, and an
    // expired password is announced only when asked (`sendEmail=true`).
    let send_email = params.bool(
        "sendEmail",
        !matches!(
            lifecycle_op,
            LifecycleOp::ResetPassword | LifecycleOp::ExpirePassword
        ),
    )?;
    let temp_password = params.bool("tempPassword", op == "expire_password_with_temp_password")?;
    if lifecycle_op == LifecycleOp::ResetPassword {
        let reset: ResetBody = parse_json(&body)?;
        if let Some(p) = reset.credentials.as_ref().and_then(|c| c.provider.as_ref()) {
            let provider = parse_provider(p)?;
            if provider.kind != ProviderType::Okta {
                return Err(ApiError::validation(
                    "credentials.provider.type",
                    format!("reset_password can convert a user only to the OKTA provider, not {}", provider.kind.as_str()),
                )
                .with_remediation("send {\"credentials\":{\"provider\":{\"type\":\"OKTA\",\"name\":\"OKTA\"}}} or no body"));
            }
        }
    }
    let ctx = ctx(&state, &principal);
    let result = state
        .directory
        .lifecycle(&ctx, &id, lifecycle_op, temp_password)
        .await?;
    if send_email {
        if let (Some(user), Some(link)) = (&result.user, &result.link) {
            let template = match lifecycle_op {
                LifecycleOp::ResetPassword => super::mail::TemplateName::PasswordResetByAdmin,
                _ => super::mail::TemplateName::UserActivation,
            };
            super::mail::queue(&state, &ctx, user, template, Some(link)).await?;
        }
        if let (LifecycleOp::ExpirePassword, Some(user)) = (lifecycle_op, &result.user) {
            // The notice carries no link and never the temporary password.
            super::mail::queue(
                &state,
                &ctx,
                user,
                super::mail::TemplateName::PasswordExpired,
                None,
            )
            .await?;
        }
    }
    let base = &state.config.public_url;
    if let Some(secret) = result.temp_password {
        // The SDKs type this answer as the User (PASSWORD_EXPIRED); older clients read
        // `tempPassword` from it. Give both: the user, with the temporary password beside it.
        use secrecy::ExposeSecret;
        let mut body = match &result.user {
            Some(user) => serde_json::to_value(UserOut::from_user(user, base))
                .map_err(|e| ApiError::internal(&e))?,
            None => json!({}),
        };
        if let Some(obj) = body.as_object_mut() {
            obj.insert(
                "tempPassword".into(),
                Value::String(secret.expose_secret().to_owned()),
            );
        }
        return Ok(Json(body).into_response());
    }
    let body = match (lifecycle_op, &result.link) {
        (LifecycleOp::Activate | LifecycleOp::Reactivate, Some(link)) if !send_email => {
            json!({ "activationUrl": format!("{base}{}", link.path()), "activationToken": link.token })
        }
        (LifecycleOp::ResetPassword, Some(link)) if !send_email => {
            json!({ "summary": "Reset password without sending email", "resetPasswordUrl": format!("{base}{}", link.path()) })
        }
        (LifecycleOp::ExpirePassword, _) => match &result.user {
            Some(user) => {
                serde_json::to_value(UserOut::from_user(user, base)).unwrap_or(Value::Null)
            }
            None => json!({}),
        },
        _ => json!({}),
    };
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordIn {
    old_password: SecretValue,
    new_password: SecretValue,
}

#[derive(Deserialize)]
pub struct SecretValue {
    value: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/credentials/change_password",
    operation_id = "changePassword",
    tag = "User",
    params(("id" = String, Path, description = "User id or login")),
    request_body = crate::openapi::ChangePasswordRequest,
    responses((status = 200, description = "The user's credentials", body = crate::openapi::UserCredentials), crate::openapi::ApiErrors),
)]
pub async fn change_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ChangePasswordIn>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let old = SecretString::from(body.old_password.value);
    let new = SecretString::from(body.new_password.value);
    let ctx = ctx(&state, &principal);
    let user = state
        .directory
        .change_password(&ctx, &id, &old, &new)
        .await?;
    super::mail::queue(
        &state,
        &ctx,
        &user,
        super::mail::TemplateName::PasswordChanged,
        None,
    )
    .await?;
    Ok(Json(credentials_json(&user)))
}

#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/credentials/forgot_password",
    operation_id = "forgotPassword",
    tag = "User",
    params(("id" = String, Path, description = "User id or login"), ("sendEmail" = Option<bool>, Query, description = "false returns the reset link")),
    responses((status = 200, description = "`{}` or the reset link", body = crate::openapi::ForgotPasswordResult), crate::openapi::ApiErrors),
)]
pub async fn forgot_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    params: QueryPairs,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    let send_email = params.bool("sendEmail", true)?;
    let ctx = ctx(&state, &principal);
    let link = state.directory.forgot_password(&ctx, &id).await?;
    if send_email {
        let user = state.directory.get_user(&link.user_id).await?;
        super::mail::queue(
            &state,
            &ctx,
            &user,
            super::mail::TemplateName::ForgotPassword,
            Some(&link),
        )
        .await?;
        return Ok(Json(json!({})));
    }
    Ok(Json(
        json!({ "resetPasswordUrl": format!("{}{}", state.config.public_url, link.path()) }),
    ))
}

fn credentials_json(user: &roster_core::User) -> Value {
    json!({
        "password": {},
        "provider": { "type": user.credentials.provider.kind.as_str(), "name": user.credentials.provider.name },
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/groups",
    operation_id = "listUserGroups",
    tag = "User",
    params(("id" = String, Path, description = "User id or login")),
    responses((status = 200, description = "The groups of the user", body = [crate::okta::wire::GroupOut]), crate::openapi::ApiErrors),
)]
pub async fn groups_of_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<GroupOut>>, ApiError> {
    let groups = state.directory.user_groups(&id).await?;
    Ok(Json(
        groups
            .iter()
            .map(|g| GroupOut::from_group(g, &state.config.public_url))
            .collect(),
    ))
}

/// `POST /reset_password/{token}` and `/welcome/{token}`: the holder of a one-time link sets a
/// password (`{"newPassword": "..."}` or a form field `newPassword`).
pub async fn redeem_link(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        new_password: String,
    }
    let body: Body = parse_json(&body)?;
    let password = SecretString::from(body.new_password);
    let ctx = roster_directory::Ctx::new(roster_core::event::Actor::system(), state.now());
    let user = state.directory.redeem_link(&ctx, &token, &password).await?;
    Ok(Json(
        json!({ "status": user.status.as_str(), "userId": user.id }),
    ))
}
