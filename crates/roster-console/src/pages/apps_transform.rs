//! `/admin/apps/{id}/transformations`: the Transformations tab of a push app. The app's SAP
//! Identity Provisioning transformation (edit, save, delete; a refused document lists every
//! problem by mapping and key and keeps the admin's text), the target's password policy
//! (`settings.app.targetPasswordPolicy`), and the preview: what the editor's text (saved or not)
//! would send for chosen users, passwords redacted, and whose password the target would refuse
//! (seed 002).
//!
//! Saving, deleting, the policy and the preview call the same use cases as
//! `/api/v1/apps/{id}/transformations` and `PUT /api/v1/apps/{id}`; the preview request is read
//! by the API's own parser (`preview_request`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use roster_provisioning::transformations::{target_policy_from, StoredTransformation};
use roster_provisioning::{App, AppType, ProvisioningError};
use roster_server::apps::transformations::{preview_error, preview_request};
use roster_server::error::ApiError;
use roster_server::AppState;
use serde_json::{json, Map, Value};

use super::app_common::{self, AppHeader};
use crate::error::{ErrorView, PageError};
use crate::session::{Admin, AdminForm, Fields};
use crate::view::{self, pretty, when, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps/{id}/transformations", get(show))
        .route("/admin/apps/{id}/transformations/save", post(save))
        .route("/admin/apps/{id}/transformations/delete", post(delete))
        .route("/admin/apps/{id}/transformations/preview", post(preview))
        .route("/admin/apps/{id}/transformations/policy", post(policy))
        .route(
            "/admin/apps/{id}/transformations/policy-summary",
            get(policy_summary),
        )
}

// ---- view models ---------------------------------------------------------------------------

pub struct SavedView {
    pub last_updated: String,
    pub user_mappings: usize,
    pub group_mappings: usize,
}

/// One problem of a refused document: where (`user.mappings[3].functions[0].type`) and what.
pub struct ProblemView {
    pub location: String,
    pub message: String,
}

/// The target password policy form, as shown (or as the admin typed it).
pub struct PolicyForm {
    pub configured: bool,
    pub min_length: String,
    pub max_length: String,
    pub min_lower: String,
    pub min_upper: String,
    pub min_number: String,
    pub min_symbol: String,
    pub min_groups: String,
    pub exclude_username: bool,
    pub exclude_first: bool,
    pub exclude_last: bool,
    /// The saved policy in Okta's words ("Password requirements: at least 8 characters, ...").
    pub summary: String,
    /// The form's values in the same words (updated as the admin types).
    pub live: String,
}

/// What the preview form asked for.
pub struct PreviewForm {
    /// `assigned`, `active`, `filter` or `logins`.
    pub selection: String,
    pub filter: String,
    pub logins: String,
    /// `createEntity` or `patchEntity`.
    pub scope: String,
}

pub struct PreviewRow {
    pub user_id: String,
    pub login: String,
    /// `PASSING`, `FAILING`, `MAPPING ERROR`, `NO PASSWORD`, `NOT CHECKED`.
    pub verdict: &'static str,
    /// The badge tone: ok, bad, warn, neutral.
    pub verdict_tone: &'static str,
    pub unmet: Vec<String>,
    pub requirements: String,
    pub reason: String,
    /// The redacted payload, pretty-printed.
    pub payload: String,
    /// Mapping errors: (location, message).
    pub errors: Vec<(String, String)>,
}

pub struct PreviewView {
    pub scope: String,
    /// Whether a transformation ran (else the app type's built-in mapping).
    pub custom: bool,
    /// Whether it was the editor's text (else the saved transformation).
    pub from_editor: bool,
    pub policy: Option<String>,
    pub policy_source: String,
    pub total: usize,
    pub failing: usize,
    pub rows: Vec<PreviewRow>,
    /// Something the admin should know about the selection (capped, ...).
    pub note: Option<String>,
}

#[derive(Template)]
#[template(path = "app_transform.html")]
struct TransformPage {
    chrome: Chrome,
    app: AppHeader,
    pushes: bool,
    is_org2org: bool,
    saved: Option<SavedView>,
    /// The editor's text: the saved document, or what the admin sent.
    document: String,
    /// Whether the editor's text differs from the saved document.
    edited: bool,
    example: String,
    problems: Vec<ProblemView>,
    doc_error: Option<ErrorView>,
    policy: PolicyForm,
    policy_error: Option<ErrorView>,
    assigned: usize,
    form: PreviewForm,
    preview: Option<PreviewView>,
    preview_error: Option<ErrorView>,
}

#[derive(Template)]
#[template(path = "app_transform_policy_summary.html")]
struct PolicySummary {
    summary: String,
    problem: String,
}

// ---- building ------------------------------------------------------------------------------

fn mappings(document: &Value, entity: &str) -> usize {
    document
        .pointer(&format!("/{entity}/mappings"))
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

fn saved_view(t: &StoredTransformation) -> SavedView {
    SavedView {
        last_updated: when(&t.last_updated),
        user_mappings: mappings(&t.document, "user"),
        group_mappings: mappings(&t.document, "group"),
    }
}

/// A starting point for the editor, in the app type's payload shape (seed 002's mapping last).
fn example(app_type: AppType) -> String {
    let doc = match app_type {
        AppType::Scim2 => json!({"user": {"mappings": [
            {"sourcePath": "$.profile.login", "targetPath": "$.userName"},
            {"sourcePath": "$.profile.firstName", "targetPath": "$.name.givenName"},
            {"sourcePath": "$.profile.lastName", "targetPath": "$.name.familyName"},
            {"sourcePath": "$.profile.email", "targetPath": "$.emails[0].value"},
            {"sourcePath": "$.profile.firstName", "targetPath": "$.password", "scope": "createEntity",
             "functions": [{"type": "concatString", "suffix": "7811!"}]}
        ]}}),
        _ => json!({"user": {"mappings": [
            {"sourcePath": "$.profile.login", "targetPath": "$.profile.login"},
            {"sourcePath": "$.profile.email", "targetPath": "$.profile.email"},
            {"sourcePath": "$.profile.firstName", "targetPath": "$.profile.firstName"},
            {"sourcePath": "$.profile.lastName", "targetPath": "$.profile.lastName"}
        ]}}),
    };
    pretty(&doc)
}

fn num_text(n: u32) -> String {
    n.to_string()
}

fn policy_form(app: &App) -> PolicyForm {
    match &app.target_password_policy {
        Some(p) => {
            let c = &p.settings.password.complexity;
            PolicyForm {
                configured: true,
                min_length: num_text(c.min_length),
                max_length: c.max_length.map(num_text).unwrap_or_default(),
                min_lower: num_text(c.min_lower_case),
                min_upper: num_text(c.min_upper_case),
                min_number: num_text(c.min_number),
                min_symbol: num_text(c.min_symbol),
                min_groups: num_text(c.min_character_groups),
                exclude_username: c.exclude_username,
                exclude_first: c.exclude_attributes.iter().any(|a| a == "firstName"),
                exclude_last: c.exclude_attributes.iter().any(|a| a == "lastName"),
                summary: p.requirements_summary(),
                live: String::new(),
            }
        }
        // Not set: the form offers SAP Identity Authentication's minimum rules (seed 002).
        None => PolicyForm {
            configured: false,
            min_length: "8".into(),
            max_length: "255".into(),
            min_lower: "0".into(),
            min_upper: "0".into(),
            min_number: "0".into(),
            min_symbol: "0".into(),
            min_groups: "3".into(),
            exclude_username: false,
            exclude_first: false,
            exclude_last: false,
            summary: String::new(),
            live: String::new(),
        },
    }
}

fn policy_form_of(fields: &Fields, configured: bool, summary: String) -> PolicyForm {
    let get = |k: &str| fields.get(k).unwrap_or("").trim().to_owned();
    PolicyForm {
        configured,
        min_length: get("minLength"),
        max_length: get("maxLength"),
        min_lower: get("minLowerCase"),
        min_upper: get("minUpperCase"),
        min_number: get("minNumber"),
        min_symbol: get("minSymbol"),
        min_groups: get("minCharacterGroups"),
        exclude_username: fields.checked("excludeUsername"),
        exclude_first: fields.checked("excludeFirstName"),
        exclude_last: fields.checked("excludeLastName"),
        summary,
        live: String::new(),
    }
}

impl PolicyForm {
    fn fields(&self) -> Fields {
        let mut pairs: Vec<(String, String)> = [
            ("minLength", &self.min_length),
            ("maxLength", &self.max_length),
            ("minLowerCase", &self.min_lower),
            ("minUpperCase", &self.min_upper),
            ("minNumber", &self.min_number),
            ("minSymbol", &self.min_symbol),
            ("minCharacterGroups", &self.min_groups),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect();
        for (key, on) in [
            ("excludeUsername", self.exclude_username),
            ("excludeFirstName", self.exclude_first),
            ("excludeLastName", self.exclude_last),
        ] {
            if on {
                pairs.push((key.to_owned(), "on".to_owned()));
            }
        }
        Fields(pairs)
    }
}

/// The requirements sentence of a policy form's values, or what is wrong with them.
fn summary_of(fields: &Fields, now: roster_core::Timestamp) -> Result<String, String> {
    policy_value(fields, None)
        .and_then(|value| target_policy_from(&value, now).map_err(ApiError::from))
        .map(|p| p.map(|p| p.requirements_summary()).unwrap_or_default())
        .map_err(|e| {
            if e.cause.is_empty() {
                e.summary
            } else {
                e.cause.to_string()
            }
        })
}

/// `settings.app.targetPasswordPolicy` from the policy form: `{"complexity": {...}}` in Okta's
/// shape, keeping what the form does not show (the dictionary) from the current policy.
fn policy_value(fields: &Fields, app: Option<&App>) -> Result<Value, ApiError> {
    let mut complexity: Map<String, Value> = app
        .and_then(|a| a.target_password_policy.as_ref())
        .and_then(|p| serde_json::to_value(&p.settings.password.complexity).ok())
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let base = "settings.app.targetPasswordPolicy.complexity";
    for (key, required) in [
        ("minLength", true),
        ("maxLength", false),
        ("minLowerCase", true),
        ("minUpperCase", true),
        ("minNumber", true),
        ("minSymbol", true),
        ("minCharacterGroups", true),
    ] {
        let text = fields.get(key).unwrap_or("").trim();
        if text.is_empty() {
            if required {
                complexity.insert(key.into(), json!(0));
            } else {
                complexity.remove(key);
            }
            continue;
        }
        let n: u32 = text.parse().map_err(|_| {
            ApiError::validation(
                &format!("{base}.{key}"),
                format!("{text:?} is not a whole number of 0 or more"),
            )
            .with_remediation(format!("enter a whole number for {key}"))
        })?;
        complexity.insert(key.into(), json!(n));
    }
    complexity.insert(
        "excludeUsername".into(),
        json!(fields.checked("excludeUsername")),
    );
    let mut excluded = Vec::new();
    if fields.checked("excludeFirstName") {
        excluded.push("firstName");
    }
    if fields.checked("excludeLastName") {
        excluded.push("lastName");
    }
    complexity.insert("excludeAttributes".into(), json!(excluded));
    Ok(json!({ "complexity": complexity }))
}

/// The preview's answer (the API's JSON) as rows and a summary.
fn preview_view(value: &Value, note: Option<String>) -> PreviewView {
    let rows: Vec<PreviewRow> = value
        .get("users")
        .and_then(Value::as_array)
        .map(|users| users.iter().map(preview_row).collect())
        .unwrap_or_default();
    let failing = value
        .get("failing")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    PreviewView {
        scope: view::text_of(value, "scope").to_owned(),
        custom: view::text_of(value, "transformation") == "CUSTOM",
        from_editor: view::text_of(value, "transformationSource") == "REQUEST",
        policy: value
            .get("targetPasswordPolicy")
            .and_then(Value::as_str)
            .map(str::to_owned),
        policy_source: view::text_of(value, "targetPasswordPolicySource").to_owned(),
        total: rows.len(),
        failing,
        rows,
        note,
    }
}

fn preview_row(u: &Value) -> PreviewRow {
    let password = u.get("password").cloned().unwrap_or(Value::Null);
    let (verdict, verdict_tone) = match (
        view::text_of(u, "result"),
        view::text_of(&password, "status"),
    ) {
        ("MAPPING_ERROR", _) => ("MAPPING ERROR", "bad"),
        (_, "FAIL") => ("FAILING", "bad"),
        (_, "PASS") => ("PASSING", "ok"),
        (_, "NOT_SENT") => ("NO PASSWORD", "neutral"),
        _ => ("NOT CHECKED", "warn"),
    };
    let unmet = password
        .get("unmet")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let errors = u
        .get("errors")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|e| {
                    (
                        view::text_of(e, "location").to_owned(),
                        view::text_of(e, "errorSummary").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    PreviewRow {
        user_id: view::text_of(u, "userId").to_owned(),
        login: view::text_of(u, "login").to_owned(),
        verdict,
        verdict_tone,
        unmet,
        requirements: view::text_of(&password, "requirements").to_owned(),
        reason: view::text_of(&password, "reason").to_owned(),
        // The engine redacted the payload (roster_transform::redact) before answering.
        payload: u.get("payload").map(pretty).unwrap_or_default(),
        errors,
    }
}

/// A refused document's problems, each as its location and the message without it.
fn problems_of(problems: &[(String, String)]) -> Vec<ProblemView> {
    problems
        .iter()
        .map(|(full, location)| {
            let location = location.trim_end_matches('.').to_owned();
            let message = full
                .strip_prefix(&format!("{location}: "))
                .unwrap_or(full)
                .to_owned();
            ProblemView { location, message }
        })
        .collect()
}

/// What a request changes in the page besides its stored state.
#[derive(Default)]
struct Extra {
    document: Option<String>,
    problems: Vec<ProblemView>,
    doc_error: Option<ApiError>,
    policy_fields: Option<Fields>,
    policy_error: Option<ApiError>,
    form: Option<PreviewForm>,
    preview: Option<PreviewView>,
    preview_error: Option<ApiError>,
}

async fn render(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    extra: Extra,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "apps", headers);
    let (app, header) = app_common::load(state, id, "transformations").await?;
    let engine = app_common::engine(state)?;
    let stored = engine.get_transformation(&app.id).await?;
    let saved_text = stored
        .as_ref()
        .map(|t| pretty(&t.document))
        .unwrap_or_default();
    let document = extra.document.unwrap_or_else(|| saved_text.clone());
    let edited = match (&stored, document.trim().is_empty()) {
        (None, true) => false,
        (None, false) => true,
        (Some(t), _) => {
            roster_server::extract::parse_json::<Value>(document.as_bytes()).ok()
                != Some(t.document.clone())
        }
    };
    let assigned = if app.name.pushes() {
        engine.list_app_users(&app.id).await?.len()
    } else {
        0
    };
    let status = [&extra.doc_error, &extra.policy_error, &extra.preview_error]
        .into_iter()
        .flatten()
        .map(|e| e.status)
        .next()
        .unwrap_or(StatusCode::OK);
    let policy = match &extra.policy_fields {
        Some(fields) => policy_form_of(
            fields,
            app.target_password_policy.is_some(),
            app.target_password_policy
                .as_ref()
                .map(|p| p.requirements_summary())
                .unwrap_or_default(),
        ),
        None => policy_form(&app),
    };
    let mut policy = policy;
    policy.live = match summary_of(&policy.fields(), state.now()) {
        Ok(s) if s.is_empty() => "No requirement: every password passes.".to_owned(),
        Ok(s) => s,
        Err(problem) => problem,
    };
    let page = TransformPage {
        chrome: chrome.clone(),
        pushes: app.name.pushes(),
        is_org2org: app.name == AppType::OktaOrg2Org,
        saved: stored.as_ref().map(saved_view),
        document,
        edited,
        example: example(app.name),
        problems: extra.problems,
        doc_error: extra.doc_error.as_ref().map(ErrorView::from_api),
        policy,
        policy_error: extra.policy_error.as_ref().map(ErrorView::from_api),
        assigned,
        form: extra.form.unwrap_or_else(|| PreviewForm {
            selection: if assigned > 0 { "assigned" } else { "active" }.into(),
            filter: "status eq \"ACTIVE\"".into(),
            logins: String::new(),
            scope: "createEntity".into(),
        }),
        preview: extra.preview,
        preview_error: extra.preview_error.as_ref().map(ErrorView::from_api),
        app: header,
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

fn tab(id: &str) -> String {
    format!("/admin/apps/{id}/transformations")
}

// ---- handlers --------------------------------------------------------------------------------

/// `GET /admin/apps/{id}/transformations`.
async fn show(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render(&state, &admin, &headers, &id, Extra::default()).await
}

/// `POST .../transformations/save`: the editor's text, stored like
/// `PUT /api/v1/apps/{id}/transformations` (the same JSON reading, the same validation).
async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let text = form.fields.get("document").unwrap_or("").to_owned();
    let engine = app_common::engine(&state)?;
    let refused = |e: ApiError, problems: Vec<ProblemView>| Extra {
        document: Some(text.clone()),
        problems,
        doc_error: Some(e),
        ..Extra::default()
    };
    let document = match roster_server::extract::parse_json::<Value>(text.as_bytes()) {
        Ok(d) => d,
        Err(mut e) => {
            e.remediation =
                "fix the JSON where the message points (line and column), then save again".into();
            return render(&state, &admin, &headers, &id, refused(e, Vec::new())).await;
        }
    };
    match engine
        .put_transformation(&admin.ctx(&state), &id, document)
        .await
    {
        Ok(saved) => {
            Ok(view::redirect_with(
                &state,
                &tab(&id),
                &format!(
                "Transformation saved: {} user mapping{}. Run the preview to see what it sends.",
                mappings(&saved.document, "user"),
                if mappings(&saved.document, "user") == 1 { "" } else { "s" }
            ),
            ))
        }
        Err(ProvisioningError::InvalidTransformation(problems)) => {
            let shown = problems_of(&problems);
            let mut api = ApiError::from(ProvisioningError::InvalidTransformation(problems));
            api.remediation = "fix each listed mapping key (SAP Identity Provisioning's transformation format), then save again".into();
            render(&state, &admin, &headers, &id, refused(api, shown)).await
        }
        Err(e) => {
            let api = ApiError::from(e);
            if api.status == StatusCode::NOT_FOUND {
                return Err(PageError::from_api(api));
            }
            render(&state, &admin, &headers, &id, refused(api, Vec::new())).await
        }
    }
}

/// `POST .../transformations/delete`: the app's type's built-in mapping applies again.
async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    let app = engine.get_app(&id).await?;
    engine
        .delete_transformation(&admin.ctx(&state), &app.id)
        .await?;
    Ok(view::redirect_with(
        &state,
        &tab(&id),
        &format!(
            "Transformation deleted: pushes use the built-in {} mapping again.",
            app.name.as_str()
        ),
    ))
}

/// `POST .../transformations/policy`: set (`op=save`) or clear (`op=clear`)
/// `settings.app.targetPasswordPolicy`, like `PUT /api/v1/apps/{id}` with it.
async fn policy(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let fields = form.fields;
    let engine = app_common::engine(&state)?;
    let app = engine.get_app(&id).await?;
    let clear = fields.get("op") == Some("clear");
    let outcome = async {
        let value = if clear {
            Value::Null
        } else {
            policy_value(&fields, Some(&app))?
        };
        engine
            .set_target_password_policy(&admin.ctx(&state), &app.id, &value)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match outcome {
        Ok(app) => {
            let message = match &app.target_password_policy {
                Some(p) => format!("Target password policy saved. {}", p.requirements_summary()),
                None => "Target password policy cleared.".to_owned(),
            };
            Ok(view::redirect_with(
                &state,
                &format!("{}#policy", tab(&id)),
                &message,
            ))
        }
        Err(e) => {
            let extra = Extra {
                policy_fields: Some(fields),
                policy_error: Some(e),
                ..Extra::default()
            };
            render(&state, &admin, &headers, &id, extra).await
        }
    }
}

/// `GET .../transformations/policy-summary?minLength=...`: the policy form's sentence as the
/// admin types (`form[data-live]`).
async fn policy_summary(
    State(state): State<AppState>,
    _admin: Admin,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let fragment = match summary_of(&Fields(pairs), state.now()) {
        Ok(summary) => PolicySummary {
            summary,
            problem: String::new(),
        },
        Err(problem) => PolicySummary {
            summary: String::new(),
            problem,
        },
    };
    view::fragment(&fragment)
}

/// `POST .../transformations/preview`: the users (`selection` assigned | active | filter |
/// logins), `scope` and the editor's text as `transformation`, sent as the body
/// `POST /api/v1/apps/{id}/transformations/preview` takes and read by its parser: the preview
/// runs on the text in the editor, saved or not (an empty editor previews the saved
/// transformation). A document with a mistake is refused as a save is, problems at the editor.
async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    let fields = form.fields;
    let engine = app_common::engine(&state)?;
    let app = engine.get_app(&id).await?;
    let asked = PreviewForm {
        selection: fields.text("selection").unwrap_or("active").to_owned(),
        filter: fields.get("filter").unwrap_or("").trim().to_owned(),
        logins: fields.get("logins").unwrap_or("").trim().to_owned(),
        scope: fields.text("scope").unwrap_or("createEntity").to_owned(),
    };
    let text = fields.get("document").unwrap_or("").to_owned();
    // The editor's document, read as a save reads it; a JSON mistake is shown at the editor.
    let transformation = if text.trim().is_empty() {
        Value::Null
    } else {
        match roster_server::extract::parse_json::<Value>(text.as_bytes()) {
            Ok(d) => d,
            Err(mut e) => {
                e.remediation =
                    "fix the JSON where the message points (line and column), then run the preview again".into();
                let extra = Extra {
                    document: Some(text),
                    form: Some(asked),
                    doc_error: Some(e),
                    ..Extra::default()
                };
                return render(&state, &admin, &headers, &id, extra).await;
            }
        }
    };
    let mut note = None;
    let body = match asked.selection.as_str() {
        "assigned" => {
            let limit = roster_provisioning::transformations::PREVIEW_LIMIT;
            let users = engine.list_app_users(&app.id).await?;
            if users.len() > limit {
                note = Some(format!(
                    "The app has {} assigned users; the preview shows the first {limit}. Use a filter to see others.",
                    users.len()
                ));
            }
            let ids: Vec<&str> = users
                .iter()
                .take(limit)
                .map(|u| u.user_id.as_str())
                .collect();
            if ids.is_empty() {
                Err(
                    ApiError::validation("userIds", "no user is assigned to this app yet")
                        .with_remediation(
                            "preview the active users, a filter or some logins instead",
                        ),
                )
            } else {
                Ok(json!({ "userIds": ids }))
            }
        }
        "filter" => Ok(json!({ "filter": asked.filter })),
        "logins" => {
            let logins: Vec<&str> = asked
                .logins
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect();
            Ok(json!({ "userIds": logins }))
        }
        _ => Ok(json!({ "filter": "status eq \"ACTIVE\"" })),
    }
    .map(|mut body| {
        body["scope"] = json!(asked.scope);
        body["transformation"] = transformation;
        body
    });
    let outcome = async {
        let request = body
            .and_then(|b| preview_request(&b))
            .map_err(|e| (e, Vec::new()))?;
        engine
            .preview(
                &app.id,
                request.selection,
                request.scope,
                request.transformation.as_ref(),
            )
            .await
            .map_err(|e| match e {
                ProvisioningError::InvalidTransformation(problems) => {
                    let shown = problems_of(&problems);
                    (
                        preview_error(ProvisioningError::InvalidTransformation(problems)),
                        shown,
                    )
                }
                e => (preview_error(e), Vec::new()),
            })
    }
    .await;
    let document = Some(text);
    let extra = match outcome {
        Ok(value) => Extra {
            document,
            form: Some(asked),
            preview: Some(preview_view(&value, note)),
            ..Extra::default()
        },
        // An invalid document: its problems at the editor, as a refused save shows them.
        Err((e, problems)) if !problems.is_empty() => Extra {
            document,
            form: Some(asked),
            problems,
            doc_error: Some(e),
            ..Extra::default()
        },
        Err((e, _)) => Extra {
            document,
            form: Some(asked),
            preview_error: Some(e),
            ..Extra::default()
        },
    };
    render(&state, &admin, &headers, &id, extra).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_show_the_location_apart_from_the_message() {
        let shown = problems_of(&[
            (
                "user.mappings[3].functions[0].type: unknown function \"concatStrin\"".into(),
                "user.mappings[3].functions[0].type".into(),
            ),
            (
                "user.mappings[0]: needs a targetPath".into(),
                "user.mappings[0].".into(),
            ),
        ]);
        assert_eq!(shown[0].location, "user.mappings[3].functions[0].type");
        assert_eq!(shown[0].message, "unknown function \"concatStrin\"");
        assert_eq!(shown[1].location, "user.mappings[0]");
        assert_eq!(shown[1].message, "needs a targetPath");
    }

    #[test]
    fn the_policy_form_becomes_okta_complexity() {
        let fields = Fields(vec![
            ("minLength".into(), "8".into()),
            ("maxLength".into(), "255".into()),
            ("minCharacterGroups".into(), "3".into()),
            ("excludeFirstName".into(), "on".into()),
        ]);
        let v = policy_value(&fields, None).unwrap();
        assert_eq!(v["complexity"]["minLength"], 8);
        assert_eq!(v["complexity"]["maxLength"], 255);
        assert_eq!(v["complexity"]["minCharacterGroups"], 3);
        assert_eq!(v["complexity"]["minSymbol"], 0);
        assert_eq!(v["complexity"]["excludeUsername"], false);
        assert_eq!(v["complexity"]["excludeAttributes"], json!(["firstName"]));
        let bad = Fields(vec![("minLength".into(), "eight".into())]);
        let err = policy_value(&bad, None).unwrap_err();
        assert_eq!(
            err.causes[0].location.as_deref(),
            Some("settings.app.targetPasswordPolicy.complexity.minLength")
        );
    }

    #[test]
    fn a_failing_password_reads_failing_with_its_unmet_requirements() {
        let row = preview_row(&json!({
            "userId": "00u1", "login": "john@example.com", "result": "WOULD_FAIL",
            "payload": {"userName": "john@example.com", "password": "[REDACTED]"},
            "password": {"status": "FAIL", "unmet": ["at least 8 characters"], "requirements": "Password requirements were not met."}
        }));
        assert_eq!(row.verdict, "FAILING");
        assert_eq!(row.unmet, vec!["at least 8 characters".to_owned()]);
        assert!(row.payload.contains("[REDACTED]"));
    }
}
