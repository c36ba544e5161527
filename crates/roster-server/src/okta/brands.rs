//! A small, honest subset of Okta's Brands API: the one brand (`/api/v1/brands`), its email
//! templates (the names Roster sends) and their customizations (subject and HTML body per
//! language). A customization is checked when it is saved — an unknown `${variable}`, an
//! unclosed `${`, or a body without the template's link variable is a 400 naming the field —
//! so a mail never fails to render when it is due. Delivery uses the customization in the
//! user's `preferredLanguage`, else the default one, else Roster's text.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use roster_mail::{check_source, variables_in, TemplateName};
use roster_provisioning::email_settings::{
    CustomizationConflict, CustomizationInput, EmailCustomization,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::email_servers::{engine, invalid};
use crate::auth::Principal;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

/// The id of the one brand.
pub const BRAND_ID: &str = "bnd000000000default0";

/// Okta's limits: a subject of at most 128 characters, a body of at most 64 KB.
const MAX_SUBJECT: usize = 128;
const MAX_BODY: usize = 64 * 1024;

fn brand_json(base: &str) -> Value {
    json!({
        "id": BRAND_ID,
        "name": "Default brand",
        "isDefault": true,
        "locale": "en",
        "removePoweredByOkta": false,
        "customPrivacyPolicyUrl": null,
        "agreeToCustomPrivacyPolicy": false,
        "emailDomainId": null,
        "_links": {
            "self": { "href": format!("{base}/api/v1/brands/{BRAND_ID}") },
            "templates": { "href": format!("{base}/api/v1/brands/{BRAND_ID}/templates/email") },
        },
    })
}

fn check_brand(brand_id: &str) -> Result<(), ApiError> {
    if brand_id == BRAND_ID {
        Ok(())
    } else {
        Err(
            ApiError::not_found("brand", brand_id).with_remediation(format!(
                "Roster has one brand: {BRAND_ID} (GET /api/v1/brands)"
            )),
        )
    }
}

fn template_name(name: &str) -> Result<TemplateName, ApiError> {
    name.parse::<TemplateName>().map_err(|_| {
        ApiError::not_found("email template", name).with_remediation(format!(
            "use one of {}",
            TemplateName::ALL.map(TemplateName::as_str).join(", ")
        ))
    })
}

fn template_href(base: &str, name: TemplateName) -> String {
    format!("{base}/api/v1/brands/{BRAND_ID}/templates/email/{name}")
}

fn template_json(base: &str, name: TemplateName) -> Value {
    let href = template_href(base, name);
    json!({
        "name": name.as_str(),
        "_links": {
            "self": { "href": href, "hints": { "allow": ["GET"] } },
            "customizations": { "href": format!("{href}/customizations"), "hints": { "allow": ["GET", "POST", "DELETE"] } },
            "defaultContent": { "href": format!("{href}/default-content"), "hints": { "allow": ["GET"] } },
        },
    })
}

fn customization_json(base: &str, name: TemplateName, c: &EmailCustomization) -> Value {
    let template = template_href(base, name);
    json!({
        "id": c.id,
        "language": c.language,
        "isDefault": c.is_default,
        "subject": c.subject,
        "body": c.body,
        "created": c.created,
        "lastUpdated": c.last_updated,
        "_links": {
            "self": { "href": format!("{template}/customizations/{}", c.id), "hints": { "allow": ["GET", "PUT", "DELETE"] } },
            "template": { "href": template, "hints": { "allow": ["GET"] } },
        },
    })
}

fn conflict(c: CustomizationConflict) -> ApiError {
    let (summary, cause, remediation) = match c {
        CustomizationConflict::LanguageTaken(language) => (
            format!("A customization for the language {language:?} already exists"),
            "each template has at most one customization per language".to_owned(),
            "change that customization (PUT), or pick another language".to_owned(),
        ),
        CustomizationConflict::DefaultExists => (
            "A default email customization already exists".to_owned(),
            "each template has exactly one default customization".to_owned(),
            "create this one with isDefault false, or make it the default with PUT afterwards".to_owned(),
        ),
        CustomizationConflict::DefaultCannotBeUnset => (
            "The default email customization cannot stop being the default".to_owned(),
            "each template has exactly one default customization".to_owned(),
            "make another customization the default (PUT with isDefault true)".to_owned(),
        ),
        CustomizationConflict::DefaultHasOthers => (
            "The default email customization cannot be deleted while others exist".to_owned(),
            "each customized template has exactly one default customization".to_owned(),
            "make another customization the default first, or delete all customizations (DELETE .../customizations)".to_owned(),
        ),
    };
    ApiError::new(StatusCode::CONFLICT, "E0000182", summary)
        .with_cause(cause)
        .with_remediation(remediation)
}

/// The body of a customization (create and replace).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct CustomizationIn {
    language: Option<String>,
    is_default: Option<bool>,
    subject: Option<String>,
    body: Option<String>,
}

fn language_ok(l: &str) -> bool {
    let mut parts = l.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Every problem of a customization, each naming its field; the template is checked with
/// `roster-mail`'s checker, so what is saved renders.
fn validate(name: TemplateName, input: CustomizationIn) -> Result<CustomizationInput, ApiError> {
    let mut problems: Vec<(String, String)> = Vec::new();
    match input.language.as_deref() {
        None => problems.push(("language".into(), "is required".into())),
        Some(l) if !language_ok(l) => problems.push((
            "language".into(),
            format!("{l:?} is not a BCP 47 language tag such as en, fr or pt-BR"),
        )),
        Some(_) => {}
    }
    match input.subject.as_deref() {
        None => problems.push(("subject".into(), "is required".into())),
        Some(s) if s.trim().is_empty() => {
            problems.push(("subject".into(), "must not be empty".into()))
        }
        Some(s) if s.chars().count() > MAX_SUBJECT => problems.push((
            "subject".into(),
            format!("must be at most {MAX_SUBJECT} characters"),
        )),
        Some(s) => {
            if let Err(e) = check_source("subject", s) {
                problems.push(("subject".into(), e.to_string()));
            }
        }
    }
    match input.body.as_deref() {
        None => problems.push(("body".into(), "is required".into())),
        Some(b) if b.trim().is_empty() => {
            problems.push(("body".into(), "must not be empty".into()))
        }
        Some(b) if b.len() > MAX_BODY => {
            problems.push(("body".into(), format!("must be at most {MAX_BODY} bytes")))
        }
        Some(b) => {
            if let Err(e) = check_source("body", b) {
                problems.push(("body".into(), e.to_string()));
            } else if let Some(link) = name.link_variable() {
                if !variables_in(b).iter().any(|v| v == link) {
                    problems.push((
                        "body".into(),
                        format!(
                            "must contain ${{{link}}}: the {name} email exists to carry that link"
                        ),
                    ));
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems).with_remediation(format!(
            "fix the fields named; a template may use {}",
            roster_mail::VARIABLES
                .iter()
                .map(|v| format!("${{{v}}}"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(CustomizationInput {
        language: input.language.unwrap_or_default(),
        is_default: input.is_default,
        subject: input.subject.unwrap_or_default(),
        body: input.body.unwrap_or_default(),
    })
}

#[utoipa::path(get, path = "/api/v1/brands", operation_id = "listBrands", tag = "Brand",
    responses((status = 200, description = "The one brand", body = [crate::openapi::JsonObject]), crate::openapi::ApiErrors))]
pub async fn list_brands(State(state): State<AppState>) -> Json<Value> {
    Json(json!([brand_json(&state.config.public_url)]))
}

#[utoipa::path(get, path = "/api/v1/brands/{brandId}", operation_id = "getBrand", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id")),
    responses((status = 200, description = "The brand", body = crate::openapi::JsonObject), crate::openapi::ApiErrors))]
pub async fn get_brand(
    State(state): State<AppState>,
    Path(brand_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_brand(&brand_id)?;
    Ok(Json(brand_json(&state.config.public_url)))
}

#[utoipa::path(get, path = "/api/v1/brands/{brandId}/templates/email", operation_id = "listEmailTemplates", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id")),
    responses((status = 200, description = "The email templates Roster sends", body = [crate::openapi::JsonObject]), crate::openapi::ApiErrors))]
pub async fn list_templates(
    State(state): State<AppState>,
    Path(brand_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_brand(&brand_id)?;
    let base = &state.config.public_url;
    Ok(Json(Value::Array(
        TemplateName::ALL
            .iter()
            .map(|n| template_json(base, *n))
            .collect(),
    )))
}

#[utoipa::path(get, path = "/api/v1/brands/{brandId}/templates/email/{templateName}", operation_id = "getEmailTemplate", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id"), ("templateName" = String, Path, description = "Template name")),
    responses((status = 200, description = "The template", body = crate::openapi::JsonObject), crate::openapi::ApiErrors))]
pub async fn get_template(
    State(state): State<AppState>,
    Path((brand_id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_brand(&brand_id)?;
    let name = template_name(&name)?;
    Ok(Json(template_json(&state.config.public_url, name)))
}

#[utoipa::path(get, path = "/api/v1/brands/{brandId}/templates/email/{templateName}/default-content", operation_id = "getEmailDefaultContent", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id"), ("templateName" = String, Path, description = "Template name")),
    responses((status = 200, description = "Roster's default subject and HTML body", body = crate::openapi::JsonObject), crate::openapi::ApiErrors))]
pub async fn default_content(
    State(state): State<AppState>,
    Path((brand_id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_brand(&brand_id)?;
    let name = template_name(&name)?;
    let t = name.default_template();
    let href = template_href(&state.config.public_url, name);
    Ok(Json(json!({
        "subject": t.subject,
        "body": t.html,
        "_links": {
            "self": { "href": format!("{href}/default-content") },
            "template": { "href": href },
        },
    })))
}

#[utoipa::path(get, path = "/api/v1/brands/{brandId}/templates/email/{templateName}/customizations", operation_id = "listEmailCustomizations", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id"), ("templateName" = String, Path, description = "Template name")),
    responses((status = 200, description = "The customizations, the default first", body = [crate::openapi::JsonObject]), crate::openapi::ApiErrors))]
pub async fn list_customizations(
    State(state): State<AppState>,
    Path((brand_id, name)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_brand(&brand_id)?;
    let name = template_name(&name)?;
    let list = engine(&state)?.list_customizations(name).await?;
    let base = &state.config.public_url;
    Ok(Json(Value::Array(
        list.iter()
            .map(|c| customization_json(base, name, c))
            .collect(),
    )))
}

#[utoipa::path(post, path = "/api/v1/brands/{brandId}/templates/email/{templateName}/customizations", operation_id = "createEmailCustomization", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id"), ("templateName" = String, Path, description = "Template name")),
    request_body = crate::openapi::JsonObject,
    responses((status = 201, description = "The customization", body = crate::openapi::JsonObject), (status = 409, description = "A default or this language exists (E0000182)", body = crate::openapi::ErrorSchema), crate::openapi::ApiErrors))]
pub async fn create_customization(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((brand_id, name)): Path<(String, String)>,
    ApiJson(input): ApiJson<CustomizationIn>,
) -> Result<Response, ApiError> {
    principal.require_write()?;
    check_brand(&brand_id)?;
    let name = template_name(&name)?;
    let input = validate(name, input)?;
    let ctx = super::ctx(&state, &principal);
    let c = engine(&state)?
        .create_customization(&ctx, name, input)
        .await?
        .map_err(conflict)?;
    Ok((
        StatusCode::CREATED,
        Json(customization_json(&state.config.public_url, name, &c)),
    )
        .into_response())
}

#[utoipa::path(delete, path = "/api/v1/brands/{brandId}/templates/email/{templateName}/customizations", operation_id = "deleteAllEmailCustomizations", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id"), ("templateName" = String, Path, description = "Template name")),
    responses((status = 204, description = "Deleted: the template's mails use Roster's text again"), crate::openapi::ApiErrors))]
pub async fn delete_all_customizations(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((brand_id, name)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    check_brand(&brand_id)?;
    let name = template_name(&name)?;
    let ctx = super::ctx(&state, &principal);
    engine(&state)?
        .delete_all_customizations(&ctx, name)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/brands/{brandId}/templates/email/{templateName}/customizations/{customizationId}", operation_id = "getEmailCustomization", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id"), ("templateName" = String, Path, description = "Template name"), ("customizationId" = String, Path, description = "Customization id")),
    responses((status = 200, description = "The customization", body = crate::openapi::JsonObject), crate::openapi::ApiErrors))]
pub async fn get_customization(
    State(state): State<AppState>,
    Path((brand_id, name, id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_brand(&brand_id)?;
    let name = template_name(&name)?;
    let c = engine(&state)?.get_customization(name, &id).await?;
    Ok(Json(customization_json(&state.config.public_url, name, &c)))
}

#[utoipa::path(put, path = "/api/v1/brands/{brandId}/templates/email/{templateName}/customizations/{customizationId}", operation_id = "replaceEmailCustomization", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id"), ("templateName" = String, Path, description = "Template name"), ("customizationId" = String, Path, description = "Customization id")),
    request_body = crate::openapi::JsonObject,
    responses((status = 200, description = "The customization", body = crate::openapi::JsonObject), (status = 409, description = "This language exists, or the default would be unset (E0000182)", body = crate::openapi::ErrorSchema), crate::openapi::ApiErrors))]
pub async fn replace_customization(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((brand_id, name, id)): Path<(String, String, String)>,
    ApiJson(input): ApiJson<CustomizationIn>,
) -> Result<Json<Value>, ApiError> {
    principal.require_write()?;
    check_brand(&brand_id)?;
    let name = template_name(&name)?;
    let engine = engine(&state)?;
    engine.get_customization(name, &id).await?;
    let input = validate(name, input)?;
    let ctx = super::ctx(&state, &principal);
    let c = engine
        .update_customization(&ctx, name, &id, input)
        .await?
        .map_err(conflict)?;
    Ok(Json(customization_json(&state.config.public_url, name, &c)))
}

#[utoipa::path(delete, path = "/api/v1/brands/{brandId}/templates/email/{templateName}/customizations/{customizationId}", operation_id = "deleteEmailCustomization", tag = "Brand",
    params(("brandId" = String, Path, description = "Brand id"), ("templateName" = String, Path, description = "Template name"), ("customizationId" = String, Path, description = "Customization id")),
    responses((status = 204, description = "Deleted"), (status = 409, description = "The default, while others exist (E0000182)", body = crate::openapi::ErrorSchema), crate::openapi::ApiErrors))]
pub async fn delete_customization(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((brand_id, name, id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require_write()?;
    check_brand(&brand_id)?;
    let name = template_name(&name)?;
    let ctx = super::ctx(&state, &principal);
    engine(&state)?
        .delete_customization(&ctx, name, &id)
        .await?
        .map_err(conflict)?;
    Ok(StatusCode::NO_CONTENT)
}
