//! `/admin/apps`: the applications, and the tabs of one app — General, Provisioning (To App:
//! connection and `USER_PROVISIONING`; To Roster: `INBOUND_PROVISIONING`, `PROFILE_MASTERING`
//! and Force Sync), Assignments and Push Groups. (Import and Transformations are
//! `apps_import.rs` and `apps_transform.rs`.)
//!
//! Every write calls the same use case as its `/api/v1` handler, and reads a form into the same
//! JSON body the API takes, converted by the API's own wire functions (`feature_in`,
//! `connection_in`, `inbound_in`, `mastering_in`), so the console accepts and refuses exactly
//! what the API does.
//!
//! Seed 003: turning provisioning off (the feature, the connection or the app) while Group Push
//! mappings are live is refused by the engine; the page then lists the live mappings and offers
//! the same change with `deactivateGroupPush`, which sets them INACTIVE in the same step.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use roster_core::Group;
use roster_imports::StartImport;
use roster_provisioning::{
    App, GroupPushMapping, MatchCriteria, Provisioning, ProvisioningError, TargetGroup, TaskQuery,
};
use roster_server::apps::{import_wire, wire};
use roster_server::error::ApiError;
use roster_server::AppState;
use serde_json::{json, Value};

use super::app_common::{self, AppHeader};
use crate::error::{ErrorView, PageError};
use crate::session::{Admin, AdminForm, Fields};
use crate::view::{self, tone, when, when_opt, Chrome};

/// The most groups a picker lists (the rest are reached by id).
const GROUP_PICKER_LIMIT: u32 = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps", get(list).post(create))
        .route("/admin/apps/{id}", get(general))
        .route("/admin/apps/{id}/settings", post(update_settings))
        .route("/admin/apps/{id}/lifecycle/{op}", post(lifecycle))
        .route("/admin/apps/{id}/delete", post(delete))
        .route("/admin/apps/{id}/provisioning", get(provisioning))
        .route(
            "/admin/apps/{id}/provisioning/connection",
            post(set_connection),
        )
        .route(
            "/admin/apps/{id}/provisioning/connection/test",
            post(test_connection),
        )
        .route(
            "/admin/apps/{id}/provisioning/connection/{op}",
            post(connection_lifecycle),
        )
        .route("/admin/apps/{id}/provisioning/features", post(put_feature))
        .route("/admin/apps/{id}/provisioning/inbound", post(put_inbound))
        .route(
            "/admin/apps/{id}/provisioning/mastering",
            post(put_mastering),
        )
        .route("/admin/apps/{id}/provisioning/force-sync", post(force_sync))
        .route(
            "/admin/apps/{id}/assignments",
            get(assignments).post(assign_user),
        )
        .route("/admin/apps/{id}/assignments/retry-all", post(retry_all))
        .route(
            "/admin/apps/{id}/assignments/users/{user_id}/{op}",
            post(user_op),
        )
        .route("/admin/apps/{id}/assignments/groups", post(assign_group))
        .route(
            "/admin/apps/{id}/assignments/groups/{group_id}/unassign",
            post(unassign_group),
        )
        .route(
            "/admin/apps/{id}/push-groups",
            get(push_groups).post(create_mapping),
        )
        .route(
            "/admin/apps/{id}/push-groups/{mapping_id}/{op}",
            post(mapping_op),
        )
}

// ---- shared ---------------------------------------------------------------------------------

/// What a page shows after a refused change: the API's error and, when the engine refused to
/// orphan Group Push mappings, the way out.
struct Problem {
    error: Option<ErrorView>,
    refusal: Option<Refusal>,
    status: StatusCode,
}

impl Problem {
    fn none() -> Self {
        Problem {
            error: None,
            refusal: None,
            status: StatusCode::OK,
        }
    }

    fn api(err: &ApiError) -> Self {
        Problem {
            error: Some(ErrorView::from_api(err)),
            refusal: None,
            status: err.status,
        }
    }
}

/// Seed 003: a change that would turn provisioning off under live Group Push mappings, refused;
/// the same change again, with `deactivateGroupPush=true`, is one button away.
pub struct Refusal {
    /// "Turning USER_PROVISIONING off".
    pub what: String,
    /// Where the second button posts.
    pub action: String,
    /// The fields of the refused form, sent again (with `deactivateGroupPush=true`).
    pub fields: Vec<(String, String)>,
    pub button: String,
    pub mappings: Vec<MappingRow>,
}

/// A Group Push mapping as the pages show it.
pub struct MappingRow {
    pub id: String,
    pub source_group_id: String,
    pub source_group_name: String,
    pub target_group_name: String,
    pub target_group_id: String,
    pub status: String,
    pub last_push: String,
    pub error_summary: String,
    pub task_id: Option<String>,
    pub live: bool,
}

impl MappingRow {
    fn of(m: &GroupPushMapping) -> Self {
        MappingRow {
            id: m.id.clone(),
            source_group_id: m.source_group_id.clone(),
            source_group_name: m.source_group_name.clone(),
            target_group_name: m.target_group_name.clone(),
            target_group_id: m.target_group_id.clone().unwrap_or_default(),
            status: m.status.clone(),
            last_push: when_opt(&m.last_push),
            error_summary: m.error_summary.clone().unwrap_or_default(),
            task_id: m.task_id.clone(),
            live: m.is_live(),
        }
    }
}

/// Whether the engine refused because live Group Push mappings would be orphaned.
fn orphans_mappings(err: &ProvisioningError) -> bool {
    matches!(err, ProvisioningError::Invalid { field, .. } if field == "deactivateGroupPush")
}

/// The problem of a refused provisioning change: the error, and for a seed-003 refusal the
/// live mappings with the button that deactivates them too.
async fn problem_of(
    engine: &Provisioning,
    app_id: &str,
    err: ProvisioningError,
    retry: impl FnOnce() -> (String, String, Vec<(String, String)>, String),
) -> Problem {
    let refused = orphans_mappings(&err);
    let mut problem = Problem::api(&ApiError::from(err));
    if refused {
        let mappings = engine
            .list_group_push_mappings(app_id)
            .await
            .unwrap_or_default()
            .iter()
            .filter(|m| m.is_live())
            .map(MappingRow::of)
            .collect();
        let (what, action, mut fields, button) = retry();
        fields.retain(|(k, _)| k != "_csrf" && k != "deactivateGroupPush");
        fields.push(("deactivateGroupPush".into(), "true".into()));
        problem.refusal = Some(Refusal {
            what,
            action,
            fields,
            button,
            mappings,
        });
    }
    problem
}

/// The Assignments and Push Groups tabs exist only for apps Roster pushes to.
fn push_only(app: &AppHeader) -> Option<PageError> {
    if app.pushes {
        return None;
    }
    let mut err = PageError::not_found("page", &format!("/admin/apps/{}/{}", app.id, app.tab));
    err.error.remediation = format!(
        "{} is an import source ({}): Roster pushes nothing to it; see its Provisioning and Import tabs",
        app.label, app.name
    );
    Some(err)
}

fn direction(app: &AppHeader) -> &'static str {
    match (app.pushes, app.imports) {
        (true, true) => "To App and To Roster",
        (true, false) => "To App (push)",
        (false, true) => "To Roster (import)",
        (false, false) => "—",
    }
}

/// The OPEN tasks of every app, counted (one query of up to 1000; `more` when there are more).
async fn open_tasks(
    engine: &Provisioning,
    app_id: Option<&str>,
) -> Result<(BTreeMap<String, usize>, bool), PageError> {
    let page = engine
        .list_tasks(&TaskQuery {
            app_id: app_id.map(str::to_owned),
            status: Some("OPEN".into()),
            limit: 1000,
            ..Default::default()
        })
        .await?;
    let mut by_app: BTreeMap<String, usize> = BTreeMap::new();
    for t in &page.items {
        *by_app.entry(t.app_id.clone()).or_default() += 1;
    }
    Ok((by_app, page.next_after.is_some()))
}

fn flag(on: bool) -> &'static str {
    if on {
        "ENABLED"
    } else {
        "DISABLED"
    }
}

/// A form's number as JSON: a number when it is one, `null` when empty, else the text itself
/// (so the API's converter names the field and refuses it, as it would over the API).
fn number_or_text(fields: &Fields, name: &str) -> Value {
    match fields.get(name).map(str::trim) {
        None | Some("") => Value::Null,
        Some(s) => s
            .parse::<u64>()
            .map(Value::from)
            .or_else(|_| s.parse::<i64>().map(Value::from))
            .unwrap_or_else(|_| Value::from(s)),
    }
}

/// The groups a picker offers (by name, up to [`GROUP_PICKER_LIMIT`]).
async fn group_choices(state: &AppState) -> Result<(Vec<Group>, bool), PageError> {
    let page = state
        .directory
        .list_groups(None, None, None, GROUP_PICKER_LIMIT)
        .await?;
    let mut groups = page.items;
    groups.sort_by_key(|g| g.name.to_lowercase());
    Ok((groups, page.next_after.is_some()))
}

// ---- the list -------------------------------------------------------------------------------

pub struct AppRow {
    pub id: String,
    pub label: String,
    pub name: String,
    pub direction: &'static str,
    pub status: String,
    /// "ON"/"OFF" of USER_PROVISIONING (push apps) and of imports (sources).
    pub push: Option<bool>,
    pub import: Option<bool>,
    pub open_tasks: usize,
}

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage {
    chrome: Chrome,
    rows: Vec<AppRow>,
    more_tasks: bool,
    error: Option<ErrorView>,
    form: Vec<(String, String)>,
}

impl AppsPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn value(&self, name: &str) -> &str {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
}

async fn render_list(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    error: Option<&ApiError>,
    form: Vec<(String, String)>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "apps", headers);
    let engine = app_common::engine(state)?;
    let mut apps = engine.list_apps().await?;
    apps.sort_by_key(|a| a.label.to_lowercase());
    let (tasks, more_tasks) = open_tasks(engine, None).await?;
    let rows = apps
        .iter()
        .map(|a| {
            let header = AppHeader::of(a, "general");
            AppRow {
                id: a.id.clone(),
                label: a.label.clone(),
                name: a.name.as_str().to_owned(),
                direction: direction(&header),
                status: a.status.clone(),
                push: header.pushes.then_some(a.provisioning.enabled),
                import: header.imports.then_some(a.inbound.enabled),
                open_tasks: tasks.get(&a.id).copied().unwrap_or(0),
            }
        })
        .collect();
    let page = AppsPage {
        chrome: chrome.clone(),
        rows,
        more_tasks,
        error: error.map(ErrorView::from_api),
        form,
    };
    let status = error.map(|e| e.status).unwrap_or(StatusCode::OK);
    Ok(view::render_status(state, &chrome, status, &page))
}

/// `GET /admin/apps`.
async fn list(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    render_list(&state, &admin, &headers, None, Vec::new()).await
}

/// `POST /admin/apps`: a new push target or CSV source, as `POST /api/v1/apps` creates it
/// (LDAP and Active Directory sources need their connection settings: use the API or the CLI).
async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    let name = form.fields.text("name").unwrap_or("");
    let label = form.fields.text("label").unwrap_or("");
    let base_url = form.fields.text("baseUrl").unwrap_or("");
    let activate = form.fields.checked("activate");
    let kept: Vec<(String, String)> = form
        .fields
        .0
        .iter()
        .filter(|(k, _)| k != "_csrf")
        .cloned()
        .collect();
    match engine
        .create_app(&admin.ctx(&state), name, label, base_url, activate)
        .await
    {
        Ok(app) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{}/provisioning", app.id),
            &format!("Application {} created.", app.label),
        )),
        Err(e) => render_list(&state, &admin, &headers, Some(&ApiError::from(e)), kept).await,
    }
}

// ---- General ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "app_general.html")]
struct GeneralPage {
    chrome: Chrome,
    app: AppHeader,
    direction: &'static str,
    created: String,
    updated: String,
    connection: String,
    provisioning_on: bool,
    inbound_on: bool,
    mastering: Option<i64>,
    deprovision_action: String,
    open_tasks: usize,
    more_tasks: bool,
    live_mappings: usize,
    error: Option<ErrorView>,
    refusal: Option<Refusal>,
}

impl GeneralPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
}

async fn render_general(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    problem: Problem,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "apps", headers);
    let (app, header) = app_common::load(state, id, "general").await?;
    let engine = app_common::engine(state)?;
    let (tasks, more_tasks) = open_tasks(engine, Some(&app.id)).await?;
    let live_mappings = if header.pushes {
        engine
            .list_group_push_mappings(&app.id)
            .await?
            .iter()
            .filter(|m| m.is_live())
            .count()
    } else {
        0
    };
    let page = GeneralPage {
        chrome: chrome.clone(),
        direction: direction(&header),
        created: when(&app.created),
        updated: when(&app.last_updated),
        connection: connection_status(&app),
        provisioning_on: app.provisioning.enabled,
        inbound_on: app.inbound.enabled,
        mastering: app.mastering.enabled.then_some(app.mastering.priority),
        deprovision_action: app.deprovision_action.clone(),
        open_tasks: tasks.get(&app.id).copied().unwrap_or(0),
        more_tasks,
        live_mappings,
        app: header,
        error: problem.error,
        refusal: problem.refusal,
    };
    Ok(view::render_status(state, &chrome, problem.status, &page))
}

fn connection_status(app: &App) -> String {
    match &app.connection {
        Some(c) => c.status.clone(),
        None => "NOT SET".into(),
    }
}

/// `GET /admin/apps/{id}`.
async fn general(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_general(&state, &admin, &headers, &id, Problem::none()).await
}

/// `POST /admin/apps/{id}/settings`: label, base URL and deprovisioning action, as
/// `PUT /api/v1/apps/{id}` changes them.
async fn update_settings(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    let (app, _) = app_common::load(&state, &id, "general").await?;
    let ctx = admin.ctx(&state);
    let label = form.fields.text("label");
    let outcome = async {
        if app.name.pushes() {
            engine
                .update_app(&ctx, &id, label, form.fields.text("baseUrl"))
                .await?;
            if let Some(action) = form.fields.text("deprovisionAction") {
                engine.set_deprovision_action(&ctx, &id, action).await?;
            }
        } else {
            engine.update_app(&ctx, &id, label, None).await?;
        }
        Ok::<_, ProvisioningError>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}"),
            "Settings saved.",
        )),
        Err(e) => {
            let problem = Problem::api(&ApiError::from(e));
            render_general(&state, &admin, &headers, &id, problem).await
        }
    }
}

/// `POST /admin/apps/{id}/lifecycle/{activate|deactivate}` (`deactivateGroupPush=true` in the
/// form sets live Group Push mappings INACTIVE in the same change).
async fn lifecycle(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, op)): Path<(String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let active = match op.as_str() {
        "activate" => true,
        "deactivate" => false,
        other => return Err(PageError::not_found("lifecycle operation", other)),
    };
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "general").await?;
    let deactivate_group_push = form.fields.checked("deactivateGroupPush");
    match engine
        .set_app_active_checked(&admin.ctx(&state), &id, active, deactivate_group_push)
        .await
    {
        Ok(app) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}"),
            &if deactivate_group_push {
                format!(
                    "The app is now {}; its Group Push mappings are INACTIVE.",
                    app.status
                )
            } else {
                format!("The app is now {}.", app.status)
            },
        )),
        Err(e) => {
            let action = format!("/admin/apps/{id}/lifecycle/{op}");
            let problem = problem_of(engine, &id, e, || {
                (
                    "Deactivating the app".into(),
                    action,
                    Vec::new(),
                    "Deactivate the app and these mappings too".into(),
                )
            })
            .await;
            render_general(&state, &admin, &headers, &id, problem).await
        }
    }
}

/// `POST /admin/apps/{id}/delete`: only an INACTIVE app, as `DELETE /api/v1/apps/{id}`.
async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    let (app, _) = app_common::load(&state, &id, "general").await?;
    match engine.delete_app(&admin.ctx(&state), &id).await {
        Ok(()) => Ok(view::redirect_with(
            &state,
            "/admin/apps",
            &format!("Application {} deleted.", app.label),
        )),
        Err(e) => {
            let problem = Problem::api(&ApiError::from(e));
            render_general(&state, &admin, &headers, &id, problem).await
        }
    }
}

// ---- Provisioning ---------------------------------------------------------------------------

pub struct ConnectionView {
    /// `ENABLED`, `DISABLED`, or `NOT SET`.
    pub status: String,
    pub token_set: bool,
    pub updated: String,
}

pub struct FeatureView {
    pub enabled: bool,
    pub create: bool,
    pub update_profile: bool,
    pub deactivate: bool,
    pub password_sync: bool,
    pub seed: String,
    pub change: String,
}

pub struct InboundView {
    pub enabled: bool,
    pub username_format: String,
    pub username_domain: String,
    pub schedule_enabled: bool,
    pub full_minutes: String,
    pub incremental_minutes: String,
    pub safeguard_enabled: bool,
    pub safeguard_percent: u32,
    /// `USERNAME`, `EMAIL` or `ATTRIBUTES`.
    pub match_kind: &'static str,
    pub match_attributes: String,
    pub allow_partial_match: bool,
    pub auto_confirm_exact_match: bool,
    pub auto_confirm_partial_match: bool,
    pub auto_confirm_new_users: bool,
    pub auto_activate_new_users: bool,
    pub case_sensitive: bool,
}

pub struct MasteringView {
    pub enabled: bool,
    pub priority: i64,
    pub on_deactivate: String,
    /// Per-attribute overrides, as text ("not mastered", "priority 0").
    pub overrides: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "app_provisioning.html")]
struct ProvisioningPage {
    chrome: Chrome,
    app: AppHeader,
    connection: ConnectionView,
    features: FeatureView,
    live_mappings: usize,
    inbound: InboundView,
    mastering: MasteringView,
    /// Other profile sources and their priorities, for comparison.
    sources: Vec<(String, String, i64)>,
    error: Option<ErrorView>,
    refusal: Option<Refusal>,
}

impl ProvisioningPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
}

async fn render_provisioning(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    problem: Problem,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "apps", headers);
    let (app, header) = app_common::load(state, id, "provisioning").await?;
    let engine = app_common::engine(state)?;
    let live_mappings = if header.pushes {
        engine
            .list_group_push_mappings(&app.id)
            .await?
            .iter()
            .filter(|m| m.is_live())
            .count()
    } else {
        0
    };
    let sources = if header.imports {
        let mut s: Vec<(String, String, i64)> = engine
            .list_apps()
            .await?
            .into_iter()
            .filter(|a| a.id != app.id && a.mastering.enabled)
            .map(|a| (a.id, a.label, a.mastering.priority))
            .collect();
        s.sort_by_key(|(_, _, p)| *p);
        s
    } else {
        Vec::new()
    };
    let p = &app.provisioning;
    let i = &app.inbound;
    let m = &app.mastering;
    let (match_kind, match_attributes) = match &i.exact_match {
        MatchCriteria::Username => ("USERNAME", String::new()),
        MatchCriteria::Email => ("EMAIL", String::new()),
        MatchCriteria::Attributes(names) => ("ATTRIBUTES", names.join(", ")),
    };
    let page = ProvisioningPage {
        chrome: chrome.clone(),
        connection: ConnectionView {
            status: connection_status(&app),
            token_set: app.connection.is_some(),
            updated: app
                .connection
                .as_ref()
                .map(|c| when(&c.updated))
                .unwrap_or_else(|| "—".into()),
        },
        features: FeatureView {
            enabled: p.enabled,
            create: p.create,
            update_profile: p.update_profile,
            deactivate: p.deactivate,
            password_sync: p.password_sync,
            seed: p.password_seed.clone(),
            change: p.password_change.clone(),
        },
        live_mappings,
        inbound: InboundView {
            enabled: i.enabled,
            username_format: i.username_format.clone(),
            username_domain: i.username_domain.clone().unwrap_or_default(),
            schedule_enabled: i.schedule_enabled,
            full_minutes: i
                .full_import_minutes
                .map(|n| n.to_string())
                .unwrap_or_default(),
            incremental_minutes: i
                .incremental_import_minutes
                .map(|n| n.to_string())
                .unwrap_or_default(),
            safeguard_enabled: i.safeguard_enabled,
            safeguard_percent: i.safeguard_percent,
            match_kind,
            match_attributes,
            allow_partial_match: i.allow_partial_match,
            auto_confirm_exact_match: i.auto_confirm_exact_match,
            auto_confirm_partial_match: i.auto_confirm_partial_match,
            auto_confirm_new_users: i.auto_confirm_new_users,
            auto_activate_new_users: i.auto_activate_new_users,
            case_sensitive: i.case_sensitive,
        },
        mastering: MasteringView {
            enabled: m.enabled,
            priority: m.priority,
            on_deactivate: m.on_deactivate.clone(),
            overrides: m
                .attribute_overrides
                .iter()
                .map(|(name, o)| {
                    let text = if !o.mastered {
                        "not mastered by this source".to_owned()
                    } else if let Some(p) = o.priority {
                        format!("priority {p}")
                    } else {
                        "the source's priority".to_owned()
                    };
                    (name.clone(), text)
                })
                .collect(),
        },
        sources,
        app: header,
        error: problem.error,
        refusal: problem.refusal,
    };
    Ok(view::render_status(state, &chrome, problem.status, &page))
}

/// `GET /admin/apps/{id}/provisioning`.
async fn provisioning(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_provisioning(&state, &admin, &headers, &id, Problem::none()).await
}

/// `POST /admin/apps/{id}/provisioning/connection`: a new API token, tested against the target
/// before it is saved (`POST /api/v1/apps/{id}/connections/default`). The token is never shown
/// again, nor kept in the page that answers a refusal.
async fn set_connection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "provisioning").await?;
    let body = json!({
        "profile": {
            "authScheme": "TOKEN",
            "token": form.fields.get("token").unwrap_or(""),
        }
    });
    let activate = !form.fields.checked("keepDisabled");
    let outcome = match wire::connection_in(&body) {
        Ok(token) => engine
            .set_connection(&admin.ctx(&state), &id, token, activate)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(app) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}/provisioning"),
            &format!(
                "The target accepted the token; the connection is saved and {}.",
                connection_status(&app)
            ),
        )),
        Err(e) => render_provisioning(&state, &admin, &headers, &id, Problem::api(&e)).await,
    }
}

/// `POST /admin/apps/{id}/provisioning/connection/test`: test the saved token against the
/// target again, changing nothing (`POST /api/v1/apps/{id}/connections/default/test`). The
/// token is opened only inside the engine: neither the page nor the flash shows it.
async fn test_connection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    let (app, _) = app_common::load(&state, &id, "provisioning").await?;
    match engine.test_connection(&id).await.map_err(ApiError::from) {
        Ok(()) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}/provisioning"),
            &format!(
                "Connection test passed: {} accepted the saved token. Nothing was changed.",
                app.base_url
            ),
        )),
        Err(e) => render_provisioning(&state, &admin, &headers, &id, Problem::api(&e)).await,
    }
}

/// `POST /admin/apps/{id}/provisioning/connection/{activate|deactivate}`.
async fn connection_lifecycle(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, op)): Path<(String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let active = match op.as_str() {
        "activate" => true,
        "deactivate" => false,
        other => return Err(PageError::not_found("lifecycle operation", other)),
    };
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "provisioning").await?;
    let deactivate_group_push = form.fields.checked("deactivateGroupPush");
    match engine
        .set_connection_active(&admin.ctx(&state), &id, active, deactivate_group_push)
        .await
    {
        Ok(app) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}/provisioning"),
            &format!(
                "The provisioning connection is {}{}.",
                connection_status(&app),
                if deactivate_group_push {
                    "; its Group Push mappings are INACTIVE"
                } else {
                    ""
                }
            ),
        )),
        Err(e) => {
            let action = format!("/admin/apps/{id}/provisioning/connection/{op}");
            let problem = problem_of(engine, &id, e, || {
                (
                    "Deactivating the provisioning connection".into(),
                    action,
                    Vec::new(),
                    "Deactivate the connection and these mappings too".into(),
                )
            })
            .await;
            render_provisioning(&state, &admin, &headers, &id, problem).await
        }
    }
}

/// The `USER_PROVISIONING` body the API takes, from the form.
fn feature_body(fields: &Fields) -> Value {
    json!({
        "capabilities": {
            "create": { "lifecycleCreate": { "status": flag(fields.checked("create")) } },
            "update": {
                "profile": { "status": flag(fields.checked("updateProfile")) },
                "lifecycleDeactivate": { "status": flag(fields.checked("deactivate")) },
                "password": {
                    "status": flag(fields.checked("password")),
                    "seed": fields.get("seed").unwrap_or("RANDOM"),
                    "change": fields.get("change").unwrap_or("KEEP_EXISTING"),
                }
            }
        }
    })
}

/// `POST /admin/apps/{id}/provisioning/features`: `PUT /api/v1/apps/{id}/features/USER_PROVISIONING`
/// (with every capability off, provisioning is off).
async fn put_feature(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "provisioning").await?;
    let deactivate_group_push = form.fields.checked("deactivateGroupPush");
    let features = match wire::feature_in(&feature_body(&form.fields)) {
        Ok(f) => f,
        Err(e) => {
            return render_provisioning(&state, &admin, &headers, &id, Problem::api(&e)).await
        }
    };
    let turning_off = !features.enabled;
    match engine
        .set_user_provisioning_checked(&admin.ctx(&state), &id, features, deactivate_group_push)
        .await
    {
        Ok(app) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}/provisioning"),
            &match (app.provisioning.enabled, deactivate_group_push) {
                (true, _) => "USER_PROVISIONING saved: provisioning is on.".to_owned(),
                (false, true) => {
                    "Provisioning is off; the app's Group Push mappings are INACTIVE.".to_owned()
                }
                (false, false) => "USER_PROVISIONING saved: provisioning is off.".to_owned(),
            },
        )),
        Err(e) => {
            let action = format!("/admin/apps/{id}/provisioning/features");
            let fields = form.fields.0.clone();
            let problem = problem_of(engine, &id, e, || {
                (
                    if turning_off {
                        "Turning provisioning off".into()
                    } else {
                        "This change".into()
                    },
                    action,
                    fields,
                    "Turn provisioning off and deactivate these mappings too".into(),
                )
            })
            .await;
            render_provisioning(&state, &admin, &headers, &id, problem).await
        }
    }
}

/// The `INBOUND_PROVISIONING` body the API takes, from the form.
fn inbound_body(fields: &Fields) -> Value {
    let criteria = match fields.get("matchKind").unwrap_or("USERNAME") {
        "ATTRIBUTES" => Value::Array(
            fields
                .get("matchAttributes")
                .unwrap_or("")
                .split(',')
                .map(|s| Value::from(s.trim()))
                .collect(),
        ),
        other => Value::from(other),
    };
    let domain = match fields.text("usernameDomain") {
        Some(d) => Value::from(d),
        None => Value::Null,
    };
    json!({
        "status": flag(fields.checked("enabled")),
        "capabilities": {
            "importSettings": {
                "username": {
                    "userNameFormat": fields.get("userNameFormat").unwrap_or("MAPPED"),
                    "usernameDomain": domain,
                },
                "schedule": {
                    "status": flag(fields.checked("scheduleEnabled")),
                    "fullImport": { "intervalMinutes": number_or_text(fields, "fullMinutes") },
                    "incrementalImport": { "intervalMinutes": number_or_text(fields, "incrementalMinutes") },
                },
                "safeguard": {
                    "status": flag(fields.checked("safeguardEnabled")),
                    "percent": number_or_text(fields, "safeguardPercent"),
                },
            },
            "importRules": {
                "userCreateAndMatch": {
                    "exactMatchCriteria": criteria,
                    "allowPartialMatch": fields.checked("allowPartialMatch"),
                    "autoConfirmPartialMatch": fields.checked("autoConfirmPartialMatch"),
                    "autoConfirmExactMatch": fields.checked("autoConfirmExactMatch"),
                    "autoConfirmNewUsers": fields.checked("autoConfirmNewUsers"),
                    "autoActivateNewUsers": fields.checked("autoActivateNewUsers"),
                    "caseSensitive": fields.checked("caseSensitive"),
                }
            }
        }
    })
}

/// `POST /admin/apps/{id}/provisioning/inbound`: `PUT .../features/INBOUND_PROVISIONING`.
async fn put_inbound(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let (app, _) = app_common::load(&state, &id, "provisioning").await?;
    let outcome = async {
        let imports = roster_server::apps::imports::imports(&state)?;
        let inbound = import_wire::inbound_in(&inbound_body(&form.fields), &app.inbound)?;
        imports
            .set_inbound(&admin.ctx(&state), &id, inbound)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match outcome {
        Ok(_) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}/provisioning"),
            "INBOUND_PROVISIONING saved.",
        )),
        Err(e) => render_provisioning(&state, &admin, &headers, &id, Problem::api(&e)).await,
    }
}

/// `POST /admin/apps/{id}/provisioning/mastering`: `PUT .../features/PROFILE_MASTERING`
/// (per-attribute overrides are kept as they are).
async fn put_mastering(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let (app, _) = app_common::load(&state, &id, "provisioning").await?;
    let body = json!({
        "status": flag(form.fields.checked("enabled")),
        "priority": number_or_text(&form.fields, "priority"),
        "onDeactivate": form.fields.get("onDeactivate").unwrap_or("DEACTIVATE"),
    });
    let outcome = async {
        let imports = roster_server::apps::imports::imports(&state)?;
        let mastering = import_wire::mastering_in(&body, &app.mastering)?;
        imports
            .set_mastering(&admin.ctx(&state), &id, mastering)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match outcome {
        Ok(_) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}/provisioning"),
            "PROFILE_MASTERING saved.",
        )),
        Err(e) => render_provisioning(&state, &admin, &headers, &id, Problem::api(&e)).await,
    }
}

/// `POST /admin/apps/{id}/provisioning/force-sync`: `POST /api/v1/apps/{id}/imports` with
/// `{"type":"FULL","forceSync":true}`: the source's values applied again to every linked user.
async fn force_sync(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    app_common::load(&state, &id, "provisioning").await?;
    let outcome = async {
        let imports = roster_server::apps::imports::imports(&state)?;
        // The API's start request without a type: FULL.
        let start = StartImport {
            kind: roster_server::apps::imports::kind(None)?,
            force_sync: true,
            csv: None,
        };
        imports
            .start(&admin.ctx(&state), &id, start)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match outcome {
        Ok(job) => Ok(view::redirect_with(
            &state,
            &format!("/admin/apps/{id}/import"),
            &format!("Force Sync started (import {}).", job.id),
        )),
        Err(e) => render_provisioning(&state, &admin, &headers, &id, Problem::api(&e)).await,
    }
}

// ---- Assignments ----------------------------------------------------------------------------

pub struct AppUserRow {
    pub user_id: String,
    pub user_name: String,
    pub status: String,
    pub sync_state: String,
    pub scope: String,
    pub direct: bool,
    pub external_id: String,
    pub last_sync: String,
    pub task_id: Option<String>,
    pub task_summary: String,
}

pub struct AppGroupRow {
    pub group_id: String,
    pub name: String,
    pub priority: i64,
    pub assigned: String,
}

#[derive(Template)]
#[template(path = "app_assignments.html")]
struct AssignmentsPage {
    chrome: Chrome,
    app: AppHeader,
    pushing: bool,
    users: Vec<AppUserRow>,
    groups: Vec<AppGroupRow>,
    choices: Vec<Group>,
    more_groups: bool,
    open_tasks: usize,
    error: Option<ErrorView>,
}

impl AssignmentsPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
}

async fn render_assignments(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    problem: Problem,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "apps", headers);
    let (app, header) = app_common::load(state, id, "assignments").await?;
    if let Some(err) = push_only(&header) {
        return Err(err);
    }
    let engine = app_common::engine(state)?;
    let tasks = engine
        .list_tasks(&TaskQuery {
            app_id: Some(app.id.clone()),
            status: Some("OPEN".into()),
            limit: 1000,
            ..Default::default()
        })
        .await?
        .items;
    let summaries: BTreeMap<&str, String> = tasks
        .iter()
        .map(|t| {
            let summary = t
                .last_error
                .as_ref()
                .and_then(|e| e.get("summary"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            (t.id.as_str(), summary)
        })
        .collect();
    let mut users: Vec<AppUserRow> = engine
        .list_app_users(&app.id)
        .await?
        .into_iter()
        .map(|au| AppUserRow {
            task_summary: au
                .task_id
                .as_deref()
                .and_then(|t| summaries.get(t).cloned())
                .unwrap_or_default(),
            user_id: au.user_id,
            user_name: au.user_name,
            status: au.status,
            sync_state: au.sync_state,
            scope: au.scope,
            direct: au.direct,
            external_id: au.external_id.unwrap_or_default(),
            last_sync: when_opt(&au.last_sync),
            task_id: au.task_id,
        })
        .collect();
    users.sort_by_key(|u| u.user_name.to_lowercase());
    let mut groups = Vec::new();
    let mut assigned = BTreeSet::new();
    for g in engine.list_app_groups(&app.id).await? {
        let name = match state.directory.get_group(&g.group_id).await {
            Ok(group) => group.name,
            Err(_) => g.group_id.clone(),
        };
        assigned.insert(g.group_id.clone());
        groups.push(AppGroupRow {
            group_id: g.group_id,
            name,
            priority: g.priority,
            assigned: when(&g.created),
        });
    }
    groups.sort_by_key(|g| g.name.to_lowercase());
    let (mut choices, more_groups) = group_choices(state).await?;
    choices.retain(|g| !assigned.contains(&g.id));
    let page = AssignmentsPage {
        chrome: chrome.clone(),
        pushing: app.status == "ACTIVE" && app.provisioning.enabled,
        app: header,
        users,
        groups,
        choices,
        more_groups,
        open_tasks: tasks.len(),
        error: problem.error,
    };
    Ok(view::render_status(state, &chrome, problem.status, &page))
}

/// `GET /admin/apps/{id}/assignments`.
async fn assignments(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_assignments(&state, &admin, &headers, &id, Problem::none()).await
}

/// Answer a write of the Assignments tab: back to the tab with `message`, or the tab again with
/// the API's error.
async fn assignments_outcome<T>(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    outcome: Result<T, ApiError>,
    message: impl FnOnce(T) -> String,
) -> Result<Response, PageError> {
    match outcome {
        Ok(v) => Ok(view::redirect_with(
            state,
            &format!("/admin/apps/{id}/assignments"),
            &message(v),
        )),
        Err(e) => render_assignments(state, admin, headers, id, Problem::api(&e)).await,
    }
}

/// `POST /admin/apps/{id}/assignments` with `user` (a login or an id):
/// `POST /api/v1/apps/{id}/users`. With provisioning on, the user is pushed at once.
async fn assign_user(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "assignments").await?;
    let outcome = match form.fields.text("user") {
        None => Err(ApiError::validation("id", "an assignment needs the user")
            .with_remediation("type the user's login (or id) and assign again")),
        Some(user) => engine
            .assign_user(&admin.ctx(&state), &id, user)
            .await
            .map_err(ApiError::from),
    };
    assignments_outcome(&state, &admin, &headers, &id, outcome, |au| {
        format!(
            "{} is assigned ({}, sync state {}).",
            au.user_name, au.scope, au.sync_state
        )
    })
    .await
}

/// `POST /admin/apps/{id}/assignments/users/{userId}/{unassign|provision}`.
///
/// `unassign` is `DELETE /api/v1/apps/{id}/users/{userId}`; `provision` is
/// `POST /api/v1/apps/{id}/users/{userId}/lifecycle/provision`: the assigned user's push is
/// queued now, or its failed push's task retried.
async fn user_op(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, user_id, op)): Path<(String, String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "assignments").await?;
    let ctx = admin.ctx(&state);
    match op.as_str() {
        "unassign" => {
            let outcome = engine
                .unassign_user(&ctx, &id, &user_id)
                .await
                .map_err(ApiError::from);
            assignments_outcome(&state, &admin, &headers, &id, outcome, |()| {
                "Unassigned. With update.lifecycleDeactivate on, the user is deprovisioned on the target.".into()
            })
            .await
        }
        "provision" => {
            let outcome = engine
                .push_user_now(&ctx, &id, &user_id)
                .await
                .map_err(ApiError::from);
            assignments_outcome(&state, &admin, &headers, &id, outcome, |au| {
                format!(
                    "The push of {} is queued (sync state {}).",
                    au.user_name, au.sync_state
                )
            })
            .await
        }
        other => Err(PageError::not_found("assignment operation", other)),
    }
}

/// `POST /admin/apps/{id}/assignments/retry-all`: `POST /api/v1/tasks/retry?appId=`.
async fn retry_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "assignments").await?;
    let outcome = engine
        .retry_app_tasks(&admin.ctx(&state), &id)
        .await
        .map_err(ApiError::from);
    assignments_outcome(&state, &admin, &headers, &id, outcome, |tasks| {
        format!("{} open task(s) queued again.", tasks.len())
    })
    .await
}

/// `POST /admin/apps/{id}/assignments/groups` with `group` (an id):
/// `PUT /api/v1/apps/{id}/groups/{groupId}`; its members become app users (scope GROUP).
async fn assign_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "assignments").await?;
    let outcome = match form.fields.text("group") {
        None => Err(
            ApiError::validation("groupId", "choose the group to assign")
                .with_remediation("pick a group, or type its id, and assign again"),
        ),
        Some(group) => match wire::app_group_in(&json!({})) {
            Ok((priority, profile)) => engine
                .assign_group(&admin.ctx(&state), &id, group, priority, profile)
                .await
                .map_err(ApiError::from),
            Err(e) => Err(e),
        },
    };
    assignments_outcome(&state, &admin, &headers, &id, outcome, |_| {
        "Group assigned: its members are assigned (scope GROUP) and pushed.".into()
    })
    .await
}

/// `POST /admin/apps/{id}/assignments/groups/{groupId}/unassign`:
/// `DELETE /api/v1/apps/{id}/groups/{groupId}`.
async fn unassign_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, group_id)): Path<(String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "assignments").await?;
    let outcome = engine
        .unassign_group(&admin.ctx(&state), &id, &group_id)
        .await
        .map_err(ApiError::from);
    assignments_outcome(&state, &admin, &headers, &id, outcome, |()| {
        "Group unassigned: members kept by nothing else are unassigned.".into()
    })
    .await
}

// ---- Push Groups ----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "app_push_groups.html")]
struct PushGroupsPage {
    chrome: Chrome,
    app: AppHeader,
    /// Why provisioning cannot run now, if it cannot (mappings cannot be activated then).
    off: Option<&'static str>,
    mappings: Vec<MappingRow>,
    choices: Vec<Group>,
    more_groups: bool,
    error: Option<ErrorView>,
}

impl PushGroupsPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
}

async fn render_push_groups(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    problem: Problem,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "apps", headers);
    let (app, header) = app_common::load(state, id, "push-groups").await?;
    if let Some(err) = push_only(&header) {
        return Err(err);
    }
    let engine = app_common::engine(state)?;
    let mappings = engine
        .list_group_push_mappings(&app.id)
        .await?
        .iter()
        .map(MappingRow::of)
        .collect();
    let off = if app.status != "ACTIVE" {
        Some("the app is INACTIVE")
    } else if !app.provisioning.enabled {
        Some("USER_PROVISIONING is off")
    } else if app
        .connection
        .as_ref()
        .is_none_or(|c| c.status != "ENABLED")
    {
        Some("the app has no enabled provisioning connection")
    } else {
        None
    };
    let (choices, more_groups) = group_choices(state).await?;
    let page = PushGroupsPage {
        chrome: chrome.clone(),
        app: header,
        off,
        mappings,
        choices,
        more_groups,
        error: problem.error,
    };
    Ok(view::render_status(state, &chrome, problem.status, &page))
}

/// `GET /admin/apps/{id}/push-groups`.
async fn push_groups(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    render_push_groups(&state, &admin, &headers, &id, Problem::none()).await
}

async fn push_groups_outcome<T>(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    outcome: Result<T, ApiError>,
    message: impl FnOnce(T) -> String,
) -> Result<Response, PageError> {
    match outcome {
        Ok(v) => Ok(view::redirect_with(
            state,
            &format!("/admin/apps/{id}/push-groups"),
            &message(v),
        )),
        Err(e) => render_push_groups(state, admin, headers, id, Problem::api(&e)).await,
    }
}

/// `POST /admin/apps/{id}/push-groups` with `sourceGroupId`, optional `targetGroupName` and
/// `status`: `POST /api/v1/apps/{id}/group-push/mappings`.
async fn create_mapping(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "push-groups").await?;
    let outcome = match form.fields.text("sourceGroupId") {
        None => Err(ApiError::validation(
            "sourceGroupId",
            "a Group Push mapping needs the group to push",
        )
        .with_remediation("pick the source group and create the mapping again")),
        Some(source) => {
            let target = form
                .fields
                .text("targetGroupName")
                .map(|n| TargetGroup::Name(n.to_owned()));
            engine
                .create_group_push_mapping(
                    &admin.ctx(&state),
                    &id,
                    source,
                    target,
                    form.fields.text("status"),
                )
                .await
                .map_err(ApiError::from)
        }
    };
    push_groups_outcome(&state, &admin, &headers, &id, outcome, |m| {
        format!(
            "Mapping created: {} → {} ({}).",
            m.source_group_name, m.target_group_name, m.status
        )
    })
    .await
}

/// `POST /admin/apps/{id}/push-groups/{mappingId}/{activate|deactivate|delete|retry}`.
///
/// `activate`/`deactivate` are `PATCH .../group-push/mappings/{mappingId}`; `delete` is its
/// `DELETE` (with `deleteTargetGroup`); `retry` retries the task of the mapping's failed push
/// (`POST /api/v1/tasks/{taskId}/retry`).
async fn mapping_op(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, mapping_id, op)): Path<(String, String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    if !matches!(op.as_str(), "activate" | "deactivate" | "delete" | "retry") {
        return Err(PageError::not_found("mapping operation", &op));
    }
    let engine = app_common::engine(&state)?;
    app_common::load(&state, &id, "push-groups").await?;
    let ctx = admin.ctx(&state);
    let outcome: Result<String, ApiError> = async {
        match op.as_str() {
            "activate" | "deactivate" => {
                let status = if op == "activate" {
                    "ACTIVE"
                } else {
                    "INACTIVE"
                };
                let m = engine
                    .set_group_push_status(&ctx, &id, &mapping_id, status)
                    .await?;
                Ok(format!(
                    "Mapping {} → {} is {}.",
                    m.source_group_name, m.target_group_name, m.status
                ))
            }
            "delete" => {
                let delete_target = form.fields.checked("deleteTargetGroup");
                engine
                    .delete_group_push_mapping(&ctx, &id, &mapping_id, delete_target)
                    .await?;
                Ok(if delete_target {
                    "Mapping deleted, with its group on the target.".to_owned()
                } else {
                    "Mapping deleted; its group on the target is left as it is.".to_owned()
                })
            }
            _ => {
                let m = engine.get_group_push_mapping(&id, &mapping_id).await?;
                let Some(task) = m.task_id.clone() else {
                    return Err(ApiError::validation(
                        "taskId",
                        format!(
                            "the mapping {} → {} has no failed push to retry",
                            m.source_group_name, m.target_group_name
                        ),
                    )
                    .with_remediation(
                        "a mapping's push runs on every change of its group; a failed one opens a task, which Retry queues again",
                    ));
                };
                engine.retry_task(&ctx, &task).await?;
                Ok(format!(
                    "The push of {} → {} is queued again.",
                    m.source_group_name, m.target_group_name
                ))
            }
        }
    }
    .await;
    push_groups_outcome(&state, &admin, &headers, &id, outcome, |m| m).await
}
