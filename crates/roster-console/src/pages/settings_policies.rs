//! `/admin/policies` (the password policies in evaluation order) and `/admin/policies/{id}`
//! (complexity, age and lockout). The form is turned into the policy's Okta JSON and converted by
//! the API's own converter (`roster_server::okta::policies::parse_policy`), then saved by the
//! same use case as `PUT /api/v1/policies/{id}`. The requirement sentence is the policy's own
//! (`PasswordPolicy::requirements_summary`), fetched live from `/admin/policies/{id}/requirements`
//! as the form changes: no sentence is made in the browser.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use roster_core::policy::PasswordPolicy;
use roster_server::error::ApiError;
use roster_server::AppState;
use serde_json::{Map, Value};

use crate::error::{ErrorView, PageError};
use crate::session::{urlencode, Admin, AdminForm, Fields};
use crate::view::{self, tone, when_opt, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/policies", get(list))
        .route("/admin/policies/{id}", get(show).post(save))
        .route("/admin/policies/{id}/requirements", get(requirements))
}

const COMPLEXITY: &str = "settings.password.complexity";
const AGE: &str = "settings.password.age";
const LOCKOUT: &str = "settings.password.lockout";

/// The numeric inputs: form name, the JSON object it belongs to, its label and its hint.
const NUMBERS: [(&str, &str, &str, &str); 11] = [
    ("minLength", COMPLEXITY, "Minimum length", "characters"),
    (
        "minLowerCase",
        COMPLEXITY,
        "Lowercase letters",
        "at least this many (0: not required)",
    ),
    (
        "minUpperCase",
        COMPLEXITY,
        "Uppercase letters",
        "at least this many (0: not required)",
    ),
    (
        "minNumber",
        COMPLEXITY,
        "Numbers",
        "at least this many (0: not required)",
    ),
    (
        "minSymbol",
        COMPLEXITY,
        "Symbols",
        "at least this many (0: not required)",
    ),
    (
        "minAgeMinutes",
        AGE,
        "Minimum age",
        "minutes before a user may change the password again (0: none)",
    ),
    (
        "maxAgeDays",
        AGE,
        "Maximum age",
        "days before the password expires (0: never)",
    ),
    (
        "expireWarnDays",
        AGE,
        "Expiry warning",
        "days before expiry to warn (0: none)",
    ),
    (
        "historyCount",
        AGE,
        "History",
        "the last N passwords cannot be reused (0: none)",
    ),
    (
        "maxAttempts",
        LOCKOUT,
        "Lock out after",
        "failed sign-ins (0: never)",
    ),
    (
        "autoUnlockMinutes",
        LOCKOUT,
        "Unlock automatically after",
        "minutes (0: an admin unlocks)",
    ),
];

/// One numeric input as the form shows it.
pub struct NumberInput {
    pub name: &'static str,
    pub path: String,
    pub label: &'static str,
    pub hint: &'static str,
    pub value: String,
}

/// The form's values (the policy's, or what was sent).
pub struct PolicyForm {
    pub name: String,
    pub description: String,
    pub complexity: Vec<NumberInput>,
    pub age: Vec<NumberInput>,
    pub lockout: Vec<NumberInput>,
    pub max_length: String,
    pub min_character_groups: String,
    pub exclude_username: bool,
    pub exclude_first_name: bool,
    pub exclude_last_name: bool,
    pub common_exclude: bool,
}

impl PolicyForm {
    fn of_policy(p: &PasswordPolicy) -> Self {
        let c = &p.settings.password.complexity;
        let a = &p.settings.password.age;
        let l = &p.settings.password.lockout;
        let value = |name: &str| -> String {
            match name {
                "minLength" => c.min_length,
                "minLowerCase" => c.min_lower_case,
                "minUpperCase" => c.min_upper_case,
                "minNumber" => c.min_number,
                "minSymbol" => c.min_symbol,
                "minAgeMinutes" => a.min_age_minutes,
                "maxAgeDays" => a.max_age_days,
                "expireWarnDays" => a.expire_warn_days,
                "historyCount" => a.history_count,
                "maxAttempts" => l.max_attempts,
                _ => l.auto_unlock_minutes,
            }
            .to_string()
        };
        let mut form = PolicyForm::with(|name| value(name));
        form.name = p.name.clone();
        form.description = p.description.clone().unwrap_or_default();
        form.max_length = c.max_length.map(|m| m.to_string()).unwrap_or_default();
        form.min_character_groups = c.min_character_groups.to_string();
        form.exclude_username = c.exclude_username;
        form.exclude_first_name = c.exclude_attributes.iter().any(|a| a == "firstName");
        form.exclude_last_name = c.exclude_attributes.iter().any(|a| a == "lastName");
        form.common_exclude = c.dictionary.common.exclude;
        form
    }

    fn of_fields(fields: &Fields) -> Self {
        let mut form = PolicyForm::with(|name| fields.get(name).unwrap_or_default().to_owned());
        form.name = fields.get("name").unwrap_or_default().to_owned();
        form.description = fields.get("description").unwrap_or_default().to_owned();
        form.max_length = fields.get("maxLength").unwrap_or_default().to_owned();
        form.min_character_groups = fields
            .get("minCharacterGroups")
            .unwrap_or_default()
            .to_owned();
        form.exclude_username = fields.checked("excludeUsername");
        let excluded = fields.all("excludeAttributes");
        form.exclude_first_name = excluded.contains(&"firstName");
        form.exclude_last_name = excluded.contains(&"lastName");
        form.common_exclude = fields.checked("commonExclude");
        form
    }

    fn with(value: impl Fn(&str) -> String) -> Self {
        let inputs = |section: &str| {
            NUMBERS
                .iter()
                .filter(|(_, s, _, _)| *s == section)
                .map(|(name, s, label, hint)| NumberInput {
                    name,
                    path: format!("{s}.{name}"),
                    label,
                    hint,
                    value: value(name),
                })
                .collect()
        };
        PolicyForm {
            name: String::new(),
            description: String::new(),
            complexity: inputs(COMPLEXITY),
            age: inputs(AGE),
            lockout: inputs(LOCKOUT),
            max_length: String::new(),
            min_character_groups: String::new(),
            exclude_username: false,
            exclude_first_name: false,
            exclude_last_name: false,
            common_exclude: false,
        }
    }

    /// The policy's Okta JSON with this form's settings: the current policy's document (its
    /// conditions, status, priority and the settings the form does not show are kept), the
    /// form's values put in as the API would receive them. A number that is not one goes in as
    /// text, so the converter refuses it and names the field.
    fn to_json(&self, current: &PasswordPolicy) -> Value {
        let mut body = serde_json::to_value(current).unwrap_or(Value::Null);
        let number = |raw: &str| -> Value {
            let raw = raw.trim();
            if let Ok(n) = raw.parse::<i64>() {
                Value::from(n)
            } else if let Ok(f) = raw.parse::<f64>() {
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(raw.to_owned()))
            } else {
                Value::String(raw.to_owned())
            }
        };
        if let Some(obj) = body.as_object_mut() {
            obj.insert("name".into(), Value::String(self.name.trim().to_owned()));
            let description = self.description.trim();
            obj.insert(
                "description".into(),
                if description.is_empty() {
                    Value::Null
                } else {
                    Value::String(description.to_owned())
                },
            );
        }
        let mut put = |section: &str, key: &str, value: Value| {
            let pointer = format!("/{}", section.replace('.', "/"));
            if body.pointer(&pointer).is_none() {
                let mut at = &mut body;
                for part in section.split('.') {
                    let Some(obj) = at.as_object_mut() else {
                        return;
                    };
                    at = obj
                        .entry(part.to_owned())
                        .or_insert_with(|| Value::Object(Map::new()));
                }
            }
            if let Some(obj) = body.pointer_mut(&pointer).and_then(Value::as_object_mut) {
                obj.insert(key.to_owned(), value);
            }
        };
        for input in self.complexity.iter().chain(&self.age).chain(&self.lockout) {
            let section = input.path.rsplit_once('.').map(|(s, _)| s).unwrap_or("");
            put(section, input.name, number(&input.value));
        }
        put(
            COMPLEXITY,
            "maxLength",
            if self.max_length.trim().is_empty() {
                Value::Null
            } else {
                number(&self.max_length)
            },
        );
        put(
            COMPLEXITY,
            "minCharacterGroups",
            if self.min_character_groups.trim().is_empty() {
                Value::from(0)
            } else {
                number(&self.min_character_groups)
            },
        );
        put(
            COMPLEXITY,
            "excludeUsername",
            Value::Bool(self.exclude_username),
        );
        let mut excluded = Vec::new();
        if self.exclude_first_name {
            excluded.push(Value::String("firstName".into()));
        }
        if self.exclude_last_name {
            excluded.push(Value::String("lastName".into()));
        }
        put(COMPLEXITY, "excludeAttributes", Value::Array(excluded));
        put(
            &format!("{COMPLEXITY}.dictionary"),
            "common",
            serde_json::json!({ "exclude": self.common_exclude }),
        );
        body
    }
}

/// The form converted as the API converts a body, and every problem with it: the converter's
/// error (one field), or the policy's own validation (every field).
struct Checked {
    policy: Option<PasswordPolicy>,
    error: Option<ApiError>,
    problems: Vec<(String, String)>,
}

fn check(form: &PolicyForm, current: &PasswordPolicy) -> Checked {
    match roster_server::okta::policies::parse_policy(form.to_json(current)) {
        Err(e) => Checked {
            problems: problems_of(&e),
            policy: None,
            error: Some(e),
        },
        Ok(policy) => {
            let problems = policy
                .validate()
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|p| (p.field.to_owned(), p.message))
                .collect();
            Checked {
                policy: Some(policy),
                error: None,
                problems,
            }
        }
    }
}

fn problems_of(e: &ApiError) -> Vec<(String, String)> {
    e.causes
        .iter()
        .filter_map(|c| {
            // The converter names the field in `location`; the use case writes `field: message`.
            let field = c.location.clone().or_else(|| {
                c.error_summary
                    .split_once(": ")
                    .map(|(f, _)| f.to_owned())
                    .filter(|f| !f.is_empty() && !f.contains(' '))
            })?;
            let prefix = format!("{field}: ");
            let text = c
                .error_summary
                .strip_prefix(&prefix)
                .unwrap_or(&c.error_summary);
            Some((field, without_position(text).to_owned()))
        })
        .collect()
}

/// serde's "... at line 1 column 281" points into JSON the console made, not into anything the
/// administrator typed: the field already says where.
fn without_position(text: &str) -> &str {
    match text.rfind(" at line ") {
        Some(at)
            if text[at + 9..].split_once(" column ").is_some_and(|(l, c)| {
                !l.is_empty()
                    && !c.is_empty()
                    && l.chars().all(|ch| ch.is_ascii_digit())
                    && c.chars().all(|ch| ch.is_ascii_digit())
            }) =>
        {
            &text[..at]
        }
        _ => text,
    }
}

// ---- the list ---------------------------------------------------------------------------------

pub struct PolicyRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub status: &'static str,
    pub priority: u32,
    pub system: bool,
    pub groups: Vec<(String, String)>,
    pub sentence: String,
    pub updated: String,
}

#[derive(Template)]
#[template(path = "policies.html")]
struct PoliciesPage {
    chrome: Chrome,
    rows: Vec<PolicyRow>,
}

impl PoliciesPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
}

/// Group ids with their names (a deleted group shows its id).
async fn group_names(state: &AppState, ids: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for id in ids {
        let name = match state.directory.get_group(id).await {
            Ok(g) => g.name,
            Err(_) => id.clone(),
        };
        out.push((id.clone(), name));
    }
    out
}

/// `GET /admin/policies`: `GET /api/v1/policies?type=PASSWORD`.
pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&admin, "policies", &headers);
    let mut rows = Vec::new();
    for p in state.directory.list_password_policies().await? {
        rows.push(PolicyRow {
            id: p.id.clone(),
            name: p.name.clone(),
            description: p.description.clone().unwrap_or_default(),
            status: p.status.as_str(),
            priority: p.priority,
            system: p.system,
            groups: group_names(&state, &p.conditions.people.groups.include).await,
            sentence: p.requirements_summary(),
            updated: when_opt(&p.last_updated),
        });
    }
    Ok(view::page(
        &state,
        &chrome.clone(),
        &PoliciesPage { chrome, rows },
    ))
}

// ---- one policy -------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    chrome: Chrome,
    id: String,
    title: String,
    status: &'static str,
    system: bool,
    priority: u32,
    groups: Vec<(String, String)>,
    updated: String,
    form: PolicyForm,
    sentence: Option<String>,
    problems: Vec<(String, String)>,
    error: Option<ErrorView>,
}

impl PolicyPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn problem(&self, path: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|(f, _)| f == path)
            .map(|(_, m)| m.as_str())
    }
    fn live_href(&self) -> String {
        format!("/admin/policies/{}/requirements", urlencode(&self.id))
    }
}

#[derive(Template)]
#[template(path = "policy_requirements.html")]
struct RequirementsFragment {
    sentence: Option<String>,
    problems: Vec<(String, String)>,
    error: Option<ErrorView>,
}

/// A save that failed: the error, every problem by field, and the sentence of the form's policy
/// when it could be read.
struct Failure {
    error: ApiError,
    problems: Vec<(String, String)>,
    sentence: Option<String>,
}

async fn render_policy(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    policy: &PasswordPolicy,
    form: PolicyForm,
    failure: Option<Failure>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "policies", headers);
    let (status, error, problems, sentence) = match failure {
        None => (
            StatusCode::OK,
            None,
            Vec::new(),
            Some(policy.requirements_summary()),
        ),
        Some(Failure {
            error,
            problems,
            sentence,
        }) => (
            error.status,
            Some(ErrorView::from_api(&error)),
            problems,
            sentence,
        ),
    };
    let page = PolicyPage {
        chrome: chrome.clone(),
        id: policy.id.clone(),
        title: policy.name.clone(),
        status: policy.status.as_str(),
        system: policy.system,
        priority: policy.priority,
        groups: group_names(state, &policy.conditions.people.groups.include).await,
        updated: when_opt(&policy.last_updated),
        form,
        sentence,
        problems,
        error,
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

/// `GET /admin/policies/{id}`.
pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let policy = state.directory.get_password_policy(&id).await?;
    let form = PolicyForm::of_policy(&policy);
    render_policy(&state, &admin, &headers, &policy, form, None).await
}

/// `GET /admin/policies/{id}/requirements?minLength=...`: the requirement sentence of the policy
/// the form describes, and what is wrong with it.
pub async fn requirements(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let current = state.directory.get_password_policy(&id).await?;
    let form = PolicyForm::of_fields(&Fields(pairs));
    let checked = check(&form, &current);
    Ok(view::fragment(&RequirementsFragment {
        sentence: checked
            .policy
            .as_ref()
            .map(PasswordPolicy::requirements_summary),
        problems: checked.problems,
        error: checked.error.as_ref().map(ErrorView::from_api),
    }))
}

/// `POST /admin/policies/{id}`: `PUT /api/v1/policies/{id}` with the form's policy.
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let current = state.directory.get_password_policy(&id).await?;
    let input = PolicyForm::of_fields(&form.fields);
    let checked = check(&input, &current);
    let sentence = checked
        .policy
        .as_ref()
        .map(PasswordPolicy::requirements_summary);
    let outcome = match (checked.policy, checked.error) {
        (Some(policy), None) => state
            .directory
            .update_password_policy(&admin.ctx(&state), &id, policy)
            .await
            .map_err(ApiError::from),
        (_, Some(e)) => Err(e),
        (None, None) => Err(ApiError::validation("body", "the policy could not be read")),
    };
    match outcome {
        Ok(saved) => Ok(view::redirect_with(
            &state,
            &format!("/admin/policies/{}", urlencode(&saved.id)),
            &format!("{} saved. {}", saved.name, saved.requirements_summary()),
        )),
        Err(e) => {
            let mut problems = checked.problems;
            for p in problems_of(&e) {
                if !problems.iter().any(|(f, _)| *f == p.0) {
                    problems.push(p);
                }
            }
            render_policy(
                &state,
                &admin,
                &headers,
                &current,
                input,
                Some(Failure {
                    error: e,
                    problems,
                    sentence,
                }),
            )
            .await
        }
    }
}
