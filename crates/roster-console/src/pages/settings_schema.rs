//! `/admin/schema`: the Profile Editor. The user profile schema's attributes with their
//! constraints (the ones imports from a profile source must meet, seed 004), and a form that
//! adds or changes a custom attribute through the same use case as
//! `POST /api/v1/meta/schemas/user/default` (`Directory::update_profile_schema`), with the
//! definition in Okta's shape.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use roster_core::profile::{AttributeDef, AttributeType, ProfileSchema, Uniqueness};
use roster_server::error::ApiError;
use roster_server::AppState;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::{ErrorView, PageError};
use crate::session::{urlencode, Admin, AdminForm, Fields};
use crate::view::{self, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/schema", get(show))
        .route("/admin/schema/attributes", post(save))
        .route("/admin/schema/attributes/{name}/remove", post(remove))
}

const TYPES: [&str; 5] = ["string", "integer", "number", "boolean", "array"];
const ITEM_TYPES: [&str; 3] = ["string", "integer", "number"];
const FORMATS: [(&str, &str); 7] = [
    ("", "none"),
    ("email", "email"),
    ("uri", "uri"),
    ("country-code", "country code (US)"),
    ("language-code", "language code (en-US)"),
    ("locale", "locale (en_US)"),
    ("timezone", "time zone (America/Denver)"),
];

/// One attribute as the table shows it.
pub struct AttrRow {
    pub name: String,
    pub title: String,
    pub kind: String,
    pub required: bool,
    pub min_length: String,
    pub max_length: String,
    pub unique: bool,
    pub enum_values: String,
    pub format: String,
    pub pattern: String,
    pub description: String,
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn joined(values: Option<&Vec<Value>>) -> String {
    values
        .map(|vs| vs.iter().map(scalar).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

fn format_name(def: &AttributeDef) -> String {
    def.format
        .and_then(|f| serde_json::to_value(f).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl AttrRow {
    fn of(name: &str, def: &AttributeDef) -> Self {
        let kind = match &def.items {
            Some(items) if def.kind == AttributeType::Array => {
                format!("array of {}", items.kind.as_str())
            }
            _ => def.kind.as_str().to_owned(),
        };
        let enum_values = def
            .enum_values
            .as_ref()
            .or_else(|| def.items.as_ref().and_then(|i| i.enum_values.as_ref()));
        AttrRow {
            name: name.to_owned(),
            title: def.title.clone(),
            kind,
            required: def.required,
            min_length: def.min_length.map(|n| n.to_string()).unwrap_or_default(),
            max_length: def.max_length.map(|n| n.to_string()).unwrap_or_default(),
            unique: def.unique == Some(Uniqueness::UniqueValidated),
            enum_values: joined(enum_values),
            format: format_name(def),
            pattern: def.pattern.clone().unwrap_or_default(),
            description: def.description.clone().unwrap_or_default(),
        }
    }
}

/// The custom attribute form's values.
#[derive(Default)]
pub struct AttrForm {
    pub name: String,
    pub title: String,
    pub kind: String,
    pub items: String,
    pub description: String,
    pub required: bool,
    pub min_length: String,
    pub max_length: String,
    pub unique: bool,
    pub enum_values: String,
    pub format: String,
    pub pattern: String,
    /// Changing an existing attribute (its name is fixed).
    pub editing: bool,
}

impl AttrForm {
    fn new_attribute() -> Self {
        AttrForm {
            kind: "string".into(),
            items: "string".into(),
            ..AttrForm::default()
        }
    }

    fn of_def(name: &str, def: &AttributeDef) -> Self {
        let enum_values = def
            .enum_values
            .as_ref()
            .or_else(|| def.items.as_ref().and_then(|i| i.enum_values.as_ref()));
        AttrForm {
            name: name.to_owned(),
            title: def.title.clone(),
            kind: def.kind.as_str().to_owned(),
            items: def
                .items
                .as_ref()
                .map(|i| i.kind.as_str().to_owned())
                .unwrap_or_else(|| "string".into()),
            description: def.description.clone().unwrap_or_default(),
            required: def.required,
            min_length: def.min_length.map(|n| n.to_string()).unwrap_or_default(),
            max_length: def.max_length.map(|n| n.to_string()).unwrap_or_default(),
            unique: def.unique == Some(Uniqueness::UniqueValidated),
            enum_values: joined(enum_values),
            format: format_name(def),
            pattern: def.pattern.clone().unwrap_or_default(),
            editing: true,
        }
    }

    fn of_fields(fields: &Fields) -> Self {
        let text = |k: &str| fields.get(k).unwrap_or_default().to_owned();
        AttrForm {
            name: text("name").trim().to_owned(),
            title: text("title"),
            kind: text("type"),
            items: text("itemsType"),
            description: text("description"),
            required: fields.checked("required"),
            min_length: text("minLength"),
            max_length: text("maxLength"),
            unique: fields.checked("unique"),
            enum_values: text("enum"),
            format: text("format"),
            pattern: text("pattern"),
            editing: fields.checked("editing"),
        }
    }

    /// The attribute's definition in Okta's shape, as `POST /api/v1/meta/schemas/user/default`
    /// takes it. Values that are not numbers where numbers belong go in as text, so the use case
    /// refuses them and says why.
    fn definition(&self) -> Value {
        let number = |raw: &str| -> Value {
            let raw = raw.trim();
            raw.parse::<i64>()
                .map(Value::from)
                .or_else(|_| raw.parse::<f64>().map(Value::from))
                .unwrap_or_else(|_| Value::String(raw.to_owned()))
        };
        let kind = self.kind.trim();
        let item_kind = self.items.trim();
        let mut def = Map::new();
        def.insert("title".into(), Value::String(self.title.trim().to_owned()));
        def.insert("type".into(), Value::String(kind.to_owned()));
        if !self.description.trim().is_empty() {
            def.insert(
                "description".into(),
                Value::String(self.description.trim().to_owned()),
            );
        }
        def.insert("required".into(), Value::Bool(self.required));
        if !self.min_length.trim().is_empty() {
            def.insert("minLength".into(), number(&self.min_length));
        }
        if !self.max_length.trim().is_empty() {
            def.insert("maxLength".into(), number(&self.max_length));
        }
        if self.unique {
            def.insert("unique".into(), Value::String("UNIQUE_VALIDATED".into()));
        }
        if !self.format.trim().is_empty() {
            def.insert(
                "format".into(),
                Value::String(self.format.trim().to_owned()),
            );
        }
        if !self.pattern.is_empty() {
            def.insert("pattern".into(), Value::String(self.pattern.clone()));
        }
        let values_kind = if kind == "array" { item_kind } else { kind };
        let values: Vec<Value> = self
            .enum_values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| match values_kind {
                "integer" | "number" => number(v),
                _ => Value::String(v.to_owned()),
            })
            .collect();
        if kind == "array" {
            let mut items = json!({ "type": item_kind });
            if !values.is_empty() {
                items["enum"] = Value::Array(values);
            }
            def.insert("items".into(), items);
        } else if !values.is_empty() {
            def.insert("enum".into(), Value::Array(values));
        }
        Value::Object(def)
    }
}

#[derive(Template)]
#[template(path = "schema.html")]
struct SchemaPage {
    chrome: Chrome,
    base: Vec<AttrRow>,
    custom: Vec<AttrRow>,
    form: AttrForm,
    error: Option<ErrorView>,
}

impl SchemaPage {
    fn types(&self) -> [&'static str; 5] {
        TYPES
    }
    fn item_types(&self) -> [&'static str; 3] {
        ITEM_TYPES
    }
    fn formats(&self) -> [(&'static str, &'static str); 7] {
        FORMATS
    }
    fn is_kind(&self, k: &str) -> bool {
        self.form.kind == k
    }
    fn is_items(&self, k: &str) -> bool {
        self.form.items == k
    }
    fn is_format(&self, f: &str) -> bool {
        self.form.format == f
    }
    fn edit_href(&self, name: &str) -> String {
        format!("/admin/schema?edit={}#attribute", urlencode(name))
    }
    fn events_href(&self) -> String {
        format!(
            "/admin/logs?filter={}",
            urlencode("eventType eq \"user.schema.update\"")
        )
    }
}

#[derive(Deserialize, Default)]
pub struct SchemaQuery {
    #[serde(default)]
    edit: String,
}

fn rows(schema: &ProfileSchema) -> (Vec<AttrRow>, Vec<AttrRow>) {
    (
        schema
            .base_attributes()
            .map(|(n, d)| AttrRow::of(n, d))
            .collect(),
        schema
            .custom_attributes()
            .map(|(n, d)| AttrRow::of(n, d))
            .collect(),
    )
}

async fn render(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    form: AttrForm,
    error: Option<ApiError>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "schema", headers);
    let schema = state.directory.profile_schema().await?;
    let (base, custom) = rows(&schema);
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = SchemaPage {
        chrome: chrome.clone(),
        base,
        custom,
        form,
        error: error.as_ref().map(ErrorView::from_api),
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

/// `GET /admin/schema?edit=NAME`: the schema; with `edit`, the form holds that custom attribute.
pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Query(query): Query<SchemaQuery>,
) -> Result<Response, PageError> {
    let form = if query.edit.is_empty() {
        AttrForm::new_attribute()
    } else {
        let schema = state.directory.profile_schema().await?;
        let def = schema
            .custom_attributes()
            .find(|(n, _)| *n == query.edit)
            .map(|(n, d)| AttrForm::of_def(n, d));
        match def {
            Some(form) => form,
            None => {
                return Err(PageError::from_api(
                    ApiError::not_found("custom attribute", &query.edit)
                        .with_remediation("pick a custom attribute from the Profile Editor's list"),
                ))
            }
        }
    };
    render(&state, &admin, &headers, form, None).await
}

/// `POST /admin/schema/attributes`: add or replace one custom attribute.
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let input = AttrForm::of_fields(&form.fields);
    if input.name.is_empty() {
        let err = ApiError::validation("name", "the attribute needs a variable name")
            .with_remediation(
                "give the attribute a name such as employeeType (letters, digits and _)",
            );
        return render(&state, &admin, &headers, input, Some(err)).await;
    }
    let mut properties = Map::new();
    properties.insert(input.name.clone(), input.definition());
    let body = json!({ "definitions": { "custom": { "properties": properties } } });
    match state
        .directory
        .update_profile_schema(&admin.ctx(&state), &body)
        .await
    {
        Ok(_) => Ok(view::redirect_with(
            &state,
            "/admin/schema",
            &format!(
                "Attribute {} {}. Profiles are validated against it from now on.",
                input.name,
                if input.editing { "saved" } else { "added" }
            ),
        )),
        Err(e) => render(&state, &admin, &headers, input, Some(ApiError::from(e))).await,
    }
}

/// `POST /admin/schema/attributes/{name}/remove`: the property set to `null`.
pub async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let schema = state.directory.profile_schema().await?;
    if !schema.custom_attributes().any(|(n, _)| n == name) {
        return Err(PageError::from_api(ApiError::not_found(
            "custom attribute",
            &name,
        )));
    }
    let mut properties = Map::new();
    properties.insert(name.clone(), Value::Null);
    let body = json!({ "definitions": { "custom": { "properties": properties } } });
    match state
        .directory
        .update_profile_schema(&admin.ctx(&state), &body)
        .await
    {
        Ok(_) => Ok(view::redirect_with(
            &state,
            "/admin/schema",
            &format!("Attribute {name} removed from the schema."),
        )),
        Err(e) => {
            render(
                &state,
                &admin,
                &headers,
                AttrForm::new_attribute(),
                Some(ApiError::from(e)),
            )
            .await
        }
    }
}
