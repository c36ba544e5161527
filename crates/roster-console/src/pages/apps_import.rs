//! `/admin/apps/{id}/import`: the Import tab of an import source (`ldap`, `active_directory`,
//! `csv`, or `scim2` with INBOUND_PROVISIONING). Start a FULL or INCREMENTAL import (a CSV app
//! takes pasted CSV text), follow the newest job live (a `data-poll` fragment), answer its
//! confirmation list (LINK / CREATE / IGNORE, per record or all, with activation), resume or
//! cancel a job the safeguard paused, and read its errors, warnings and Group Push subjobs.
//!
//! Every action calls the same use cases and the same request parsing as
//! `/api/v1/apps/{id}/imports` (`roster_server::apps::imports`).

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use roster_imports::{ImportIssue, ImportJob, Imports, JobStatus, StartImport, SubjobState};
use roster_provisioning::{App, MatchCriteria};
use roster_server::apps::{import_wire, imports as api};
use roster_server::error::ApiError;
use roster_server::AppState;
use serde::Deserialize;
use serde_json::{json, Value};

use super::app_common::{self, AppHeader};
use crate::error::{ErrorView, PageError};
use crate::session::{Admin, AdminForm};
use crate::view::{self, tone, when, when_opt, Chrome};

/// Records of the confirmation list shown per page.
const PENDING_PAGE: u32 = 100;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/apps/{id}/import", get(show))
        .route("/admin/apps/{id}/import/start", post(start))
        .route(
            "/admin/apps/{id}/import/jobs/{job_id}/progress",
            get(progress),
        )
        .route(
            "/admin/apps/{id}/import/jobs/{job_id}/confirm",
            post(confirm),
        )
        .route(
            "/admin/apps/{id}/import/jobs/{job_id}/{op}",
            post(lifecycle),
        )
}

// ---- view models ---------------------------------------------------------------------------

/// One row of the jobs table.
pub struct JobRow {
    pub id: String,
    pub kind: &'static str,
    pub force_sync: bool,
    pub status: &'static str,
    pub phase: String,
    pub scanned: String,
    pub new: String,
    pub updated: String,
    pub pending: String,
    pub errors: String,
    pub warnings: String,
    pub started: String,
    pub finished: String,
    pub selected: bool,
}

/// A phase of a job, for the step list above the progress bar.
pub struct PhaseStep {
    pub label: &'static str,
    /// `done`, `current` or `todo`.
    pub state: &'static str,
}

/// What the live progress fragment shows (also included in the page).
pub struct ProgressView {
    pub job_id: String,
    pub status: &'static str,
    pub phase: String,
    pub steps: Vec<PhaseStep>,
    /// Whether the job still runs: the page polls while it does.
    pub live: bool,
    /// 0..=100 when the number of records is known.
    pub percent: Option<u64>,
    /// A running job of unknown size: the bar moves without a value.
    pub indeterminate: bool,
    /// "1,234 of 5,000 records read" or "1,234 records read".
    pub text: String,
    pub counts: Vec<(&'static str, String)>,
    pub updated: String,
}

pub struct IssueView {
    pub code: String,
    pub message: String,
    pub record: String,
    pub user_id: String,
    pub field: String,
    pub line: String,
    pub remediation: String,
}

pub struct SubjobView {
    pub app_id: String,
    pub app_label: String,
    pub mapping_id: String,
    pub group_id: String,
    pub group_name: String,
    pub status: String,
    pub task_id: Option<String>,
    pub error_summary: String,
    pub triggered: String,
}

/// The selected job in detail.
pub struct JobView {
    pub id: String,
    pub kind: &'static str,
    pub force_sync: bool,
    pub status: &'static str,
    pub source: String,
    pub requested_by: String,
    pub started: String,
    pub finished: String,
    pub paused: bool,
    pub running: bool,
    /// The safeguard's numbers, while PAUSED: (removals, assigned, percent).
    pub safeguard: Option<(u64, u64, u32)>,
    /// Why the job stopped, when it failed: (code, summary, cause, remediation).
    pub failure: Option<(String, String, String, String)>,
    pub errors: Vec<IssueView>,
    pub errors_total: u64,
    pub warnings: Vec<IssueView>,
    pub warnings_total: u64,
    pub subjobs: Vec<SubjobView>,
    pub pending_total: u64,
    pub confirmed: u64,
}

pub struct CandidateView {
    pub id: String,
    pub login: String,
    pub name: String,
    pub email: String,
    pub status: String,
}

/// A record waiting for an administrator.
pub struct PendingView {
    pub external_id: String,
    pub user_name: String,
    /// `EXACT`, `PARTIAL` or `NEW`.
    pub kind: String,
    pub proposed_login: String,
    pub candidates: Vec<CandidateView>,
    pub profile: Vec<(String, String)>,
    /// The form field of the record's decision.
    pub field: String,
}

/// The import rules, as a sentence per rule.
pub struct RulesView {
    pub enabled: bool,
    pub exact_match: String,
    pub partial: &'static str,
    pub auto_confirm: String,
    pub activate_new: &'static str,
    pub safeguard: String,
    pub schedule: String,
    pub profile_source: String,
}

/// What the start form showed (kept after a refusal).
#[derive(Default)]
pub struct StartForm {
    pub kind: String,
    pub force_sync: bool,
    pub csv: String,
}

#[derive(Template)]
#[template(path = "app_import.html")]
struct ImportPage {
    chrome: Chrome,
    app: AppHeader,
    /// Whether the app is an import source at all.
    source: bool,
    is_csv: bool,
    /// Whether the app is a profile source (Force Sync applies only then).
    mastering: bool,
    /// Why an import cannot start now (INACTIVE app, INBOUND_PROVISIONING disabled).
    blocked: Option<String>,
    rules: RulesView,
    cli: String,
    form: StartForm,
    jobs: Vec<JobRow>,
    job: Option<JobView>,
    progress: Option<ProgressView>,
    pending: Vec<PendingView>,
    pending_next: Option<String>,
    pending_after: bool,
    error: Option<ErrorView>,
}

impl ImportPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn more_href(&self, job: &str, after: &str) -> String {
        format!(
            "/admin/apps/{}/import?job={}&after={}#confirm",
            self.app.id,
            crate::session::urlencode(job),
            crate::session::urlencode(after)
        )
    }
}

#[derive(Template)]
#[template(path = "app_import_progress.html")]
struct ProgressFragment {
    p: ProgressView,
}

impl ProgressFragment {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
}

// ---- building the views ----------------------------------------------------------------------

fn n(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn rules_of(app: &App) -> RulesView {
    let i = &app.inbound;
    let exact_match = match &i.exact_match {
        MatchCriteria::Username => "USERNAME (the login)".to_owned(),
        MatchCriteria::Email => "EMAIL".to_owned(),
        MatchCriteria::Attributes(names) => format!("attributes {}", names.join(" + ")),
    };
    let mut auto = Vec::new();
    if i.auto_confirm_exact_match {
        auto.push("exact matches");
    }
    if i.auto_confirm_partial_match {
        auto.push("partial matches");
    }
    if i.auto_confirm_new_users {
        auto.push("new users");
    }
    let auto_confirm = if auto.is_empty() {
        "nothing: every match and new user waits for you below".to_owned()
    } else {
        auto.join(", ")
    };
    let schedule = if i.schedule_enabled {
        let full = i
            .full_import_minutes
            .map_or("no full imports".to_owned(), |m| {
                format!("full every {m} min")
            });
        let inc = i
            .incremental_import_minutes
            .map_or("no incremental imports".to_owned(), |m| {
                format!("incremental every {m} min")
            });
        format!("{full}, {inc}")
    } else {
        "off (imports start only by hand or from the API)".to_owned()
    };
    let safeguard = if i.safeguard_enabled {
        format!(
            "pause a full import that would unassign more than {} % of the app's users",
            i.safeguard_percent
        )
    } else {
        "off".to_owned()
    };
    let m = &app.mastering;
    let profile_source = if m.enabled {
        format!(
            "yes, priority {} (lower wins); when the source removes a user: {}",
            m.priority, m.on_deactivate
        )
    } else {
        "no: imports link users but do not update their profiles".to_owned()
    };
    RulesView {
        enabled: i.enabled,
        exact_match,
        partial: if i.allow_partial_match {
            "on first and last name"
        } else {
            "off"
        },
        auto_confirm,
        activate_new: yes_no(i.auto_activate_new_users),
        safeguard,
        schedule,
        profile_source,
    }
}

fn job_row(job: &ImportJob, selected: bool) -> JobRow {
    let c = &job.counts;
    JobRow {
        id: job.id.clone(),
        kind: job.kind.as_str(),
        force_sync: job.force_sync,
        status: job.status.as_str(),
        phase: job.phase.clone(),
        scanned: n(c.scanned),
        new: n(c.new),
        updated: n(c.updated),
        pending: n(c.pending_confirmation),
        errors: n(c.errors),
        warnings: n(c.warnings),
        started: when(&job.created),
        finished: when_opt(&job.finished),
        selected,
    }
}

const PHASES: [(&str, &str); 4] = [
    ("USERS", "Users"),
    ("GROUPS", "Groups"),
    ("REMOVALS", "Removals"),
    ("DONE", "Done"),
];

fn progress_of(job: &ImportJob) -> ProgressView {
    let c = &job.counts;
    let live = job.status == JobStatus::Running;
    let current = PHASES
        .iter()
        .position(|(p, _)| *p == job.phase)
        .unwrap_or(0);
    let finished = !job.status.is_live();
    let steps = PHASES
        .iter()
        .enumerate()
        .map(|(i, (_, label))| PhaseStep {
            label,
            state: if finished || i < current {
                "done"
            } else if i == current {
                "current"
            } else {
                "todo"
            },
        })
        .collect();
    let percent = if job.status == JobStatus::Completed {
        Some(100)
    } else if !live || job.phase != "USERS" {
        // The users are read; groups and removals have no known size.
        None
    } else {
        job.expected_records
            .filter(|e| *e > 0)
            .map(|e| (c.scanned.saturating_mul(100) / e).min(99))
    };
    let text = match (job.expected_records, finished) {
        (Some(e), false) if job.phase == "USERS" => {
            format!("{} of {} records read", n(c.scanned), n(e))
        }
        _ => format!(
            "{} record{} read",
            n(c.scanned),
            if c.scanned == 1 { "" } else { "s" }
        ),
    };
    let mut counts = vec![
        ("Read", n(c.scanned)),
        ("Created", n(c.new)),
        ("Updated", n(c.updated)),
        ("Unchanged", n(c.unchanged)),
        ("Exact matches", n(c.matched_exact)),
        ("Partial matches", n(c.matched_partial)),
        ("Waiting for you", n(c.pending_confirmation)),
        ("Errors", n(c.errors)),
        ("Warnings", n(c.warnings)),
    ];
    for (label, value) in [
        ("Confirmed", c.confirmed),
        ("Activated", c.activated),
        ("Removed", c.removed),
        ("Deactivated", c.deactivated),
        ("Groups read", c.groups_scanned),
        ("Groups created", c.groups_created),
        ("Groups updated", c.groups_updated),
        ("Groups removed", c.groups_removed),
        ("Members added", c.memberships_added),
        ("Members removed", c.memberships_removed),
    ] {
        if value > 0 {
            counts.push((label, n(value)));
        }
    }
    ProgressView {
        job_id: job.id.clone(),
        status: job.status.as_str(),
        phase: job.phase.clone(),
        steps,
        live,
        indeterminate: live && percent.is_none(),
        percent,
        text,
        counts,
        updated: when(&job.last_updated),
    }
}

fn issue_view(i: &ImportIssue) -> IssueView {
    IssueView {
        code: i.code.clone(),
        message: i.message.clone(),
        record: i.external_id.clone().unwrap_or_default(),
        user_id: i.user_id.clone().unwrap_or_default(),
        field: i.field.clone().unwrap_or_default(),
        line: i.line.map(|l| l.to_string()).unwrap_or_default(),
        remediation: i.remediation.clone().unwrap_or_default(),
    }
}

fn subjob_view(s: &SubjobState) -> SubjobView {
    SubjobView {
        app_id: s.subjob.app_id.clone(),
        app_label: s.subjob.app_label.clone(),
        mapping_id: s.subjob.mapping_id.clone(),
        group_id: s.subjob.group_id.clone(),
        group_name: s.subjob.group_name.clone(),
        status: s.status.clone(),
        task_id: s.task_id.clone(),
        error_summary: s.error_summary.clone().unwrap_or_default(),
        triggered: when(&s.subjob.triggered),
    }
}

async fn job_view(engine: &Imports, job: &ImportJob) -> JobView {
    let subjobs = engine.subjob_states(job).await;
    JobView {
        id: job.id.clone(),
        kind: job.kind.as_str(),
        force_sync: job.force_sync,
        status: job.status.as_str(),
        source: job.source.clone(),
        requested_by: job.requested_by.clone(),
        started: when(&job.created),
        finished: when_opt(&job.finished),
        paused: job.status == JobStatus::Paused,
        running: job.status == JobStatus::Running,
        safeguard: job
            .safeguard
            .as_ref()
            .filter(|_| job.status == JobStatus::Paused)
            .map(|s| (s.removals, s.assigned, s.percent)),
        failure: job.error.as_ref().map(|e| {
            (
                e.code.clone(),
                e.summary.clone(),
                e.cause.clone(),
                e.remediation.clone(),
            )
        }),
        errors: job.errors.iter().map(issue_view).collect(),
        errors_total: job.counts.errors,
        warnings: job.warnings.iter().map(issue_view).collect(),
        warnings_total: job.counts.warnings,
        subjobs: subjobs.iter().map(subjob_view).collect(),
        pending_total: job.counts.pending_confirmation,
        confirmed: job.counts.confirmed,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => view::pretty(other),
    }
}

/// A waiting record, read through the API's own wire shape (`pending_out`).
fn pending_view(record: &roster_store::ImportRecord) -> PendingView {
    let out = import_wire::pending_out(record);
    let candidates = out
        .get("candidates")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| {
                    let name = format!(
                        "{} {}",
                        text(c.get("firstName").unwrap_or(&Value::Null)),
                        text(c.get("lastName").unwrap_or(&Value::Null))
                    );
                    CandidateView {
                        id: view::text_of(c, "id").to_owned(),
                        login: view::text_of(c, "login").to_owned(),
                        name: name.trim().to_owned(),
                        email: text(c.get("email").unwrap_or(&Value::Null)),
                        status: view::text_of(c, "status").to_owned(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let mut profile: Vec<(String, String)> = record
        .profile
        .iter()
        .map(|(k, v)| (k.clone(), text(v)))
        .collect();
    profile.sort_by(|a, b| a.0.cmp(&b.0));
    PendingView {
        external_id: record.external_id.clone(),
        user_name: record.user_name.clone(),
        kind: view::text_of(&out, "match").to_owned(),
        proposed_login: text(out.get("proposedLogin").unwrap_or(&Value::Null)),
        candidates,
        profile,
        field: format!("decide:{}", record.external_id),
    }
}

fn cli_command(state: &AppState, app: &App) -> String {
    format!(
        "ROSTER_URL={} ROSTER_TOKEN=<an API token> roster import --app {} --file users.csv --wait",
        state.config.public_url, app.id
    )
}

/// What to show besides the page's own state.
struct Extra {
    job: Option<String>,
    after: Option<String>,
    error: Option<ApiError>,
    form: StartForm,
}

impl Extra {
    fn job(job: Option<String>) -> Self {
        Extra {
            job,
            after: None,
            error: None,
            form: StartForm::default(),
        }
    }

    fn failed(job: Option<String>, error: ApiError) -> Self {
        Extra {
            error: Some(error),
            ..Extra::job(job)
        }
    }
}

async fn render(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    id: &str,
    extra: Extra,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "apps", headers);
    let (app, header) = app_common::load(state, id, "import").await?;
    let source = app.name.imports();
    let status = extra.error.as_ref().map_or(StatusCode::OK, |e| e.status);
    let error = extra.error.as_ref().map(ErrorView::from_api);
    let blocked = if app.status != "ACTIVE" {
        Some(format!(
            "{} is INACTIVE: activate it on the General tab before importing.",
            app.label
        ))
    } else if !app.inbound.enabled {
        Some(
            "Imports are disabled for this app: enable INBOUND_PROVISIONING (To Roster) on the Provisioning tab."
                .to_owned(),
        )
    } else {
        None
    };
    let mut page = ImportPage {
        chrome: chrome.clone(),
        source,
        is_csv: app.name == roster_provisioning::AppType::Csv,
        mastering: app.mastering.enabled,
        blocked,
        rules: rules_of(&app),
        cli: cli_command(state, &app),
        form: StartForm {
            kind: if extra.form.kind.is_empty() {
                "FULL".into()
            } else {
                extra.form.kind
            },
            ..extra.form
        },
        app: header,
        jobs: Vec::new(),
        job: None,
        progress: None,
        pending: Vec::new(),
        pending_next: None,
        pending_after: extra.after.is_some(),
        error,
    };
    if source {
        let engine = api::imports(state)?;
        let jobs = engine.list_jobs(&app.id).await?;
        let selected = match extra.job.as_deref().filter(|j| !j.is_empty()) {
            Some(job_id) => Some(engine.get_app_job(&app.id, job_id).await?),
            None => jobs.first().cloned(),
        };
        page.jobs = jobs
            .iter()
            .map(|j| job_row(j, selected.as_ref().is_some_and(|s| s.id == j.id)))
            .collect();
        if let Some(job) = &selected {
            page.progress = Some(progress_of(job));
            page.job = Some(job_view(engine, job).await);
            if job.counts.pending_confirmation > 0 || extra.after.is_some() {
                let records = engine
                    .pending(&app.id, &job.id, extra.after.clone(), PENDING_PAGE)
                    .await?;
                page.pending = records.items.iter().map(pending_view).collect();
                page.pending_next = records.next_after;
            }
        }
    }
    Ok(view::render_status(state, &chrome, status, &page))
}

// ---- handlers --------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    job: String,
    #[serde(default)]
    after: String,
}

/// `GET /admin/apps/{id}/import?job=&after=`: the newest job unless `job` names another.
async fn show(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let extra = Extra {
        after: Some(query.after).filter(|a| !a.is_empty()),
        ..Extra::job(Some(query.job))
    };
    render(&state, &admin, &headers, &id, extra).await
}

/// `GET .../import/jobs/{jobId}/progress`: the live part of the page, for `data-poll`.
async fn progress(
    State(state): State<AppState>,
    _admin: Admin,
    Path((id, job_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let job = api::imports(&state)?.get_app_job(&id, &job_id).await?;
    Ok(view::fragment(&ProgressFragment {
        p: progress_of(&job),
    }))
}

fn page_of(id: &str, job: &str) -> String {
    format!(
        "/admin/apps/{id}/import?job={}",
        crate::session::urlencode(job)
    )
}

/// `POST /admin/apps/{id}/import/start`: `type` FULL | INCREMENTAL, `forceSync`, and for a CSV
/// app the pasted file (`csv`), stored like an uploaded body of `POST /api/v1/apps/{id}/imports`.
async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let fields = form.fields;
    let kept = StartForm {
        kind: fields.text("type").unwrap_or("FULL").to_ascii_uppercase(),
        force_sync: fields.checked("forceSync"),
        csv: fields.get("csv").unwrap_or("").to_owned(),
    };
    let outcome = async {
        let engine = api::imports(&state)?;
        let kind = api::kind(Some(kept.kind.as_str()))?;
        let csv = if kept.csv.trim().is_empty() {
            None
        } else {
            Some(api::receive_csv(&state, Body::from(kept.csv.clone())).await?)
        };
        let request = StartImport {
            kind,
            force_sync: kept.force_sync,
            csv,
        };
        engine
            .start(&admin.ctx(&state), &id, request)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match outcome {
        Ok(job) => Ok(view::redirect_with(
            &state,
            &page_of(&id, &job.id),
            &format!(
                "{} import {} started{}.",
                job.kind.as_str(),
                job.id,
                if job.force_sync { " (Force Sync)" } else { "" }
            ),
        )),
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(PageError::from_api(e)),
        Err(e) => {
            let extra = Extra {
                form: kept,
                ..Extra::failed(None, e)
            };
            render(&state, &admin, &headers, &id, extra).await
        }
    }
}

/// `POST .../import/jobs/{jobId}/confirm`: the decisions `decide:{externalId}` =
/// `LINK:{userId}` | `CREATE` | `IGNORE` (empty leaves the record waiting), `mode` `chosen` or
/// `all` (every waiting record as proposed, the decisions overriding), and `activate`. The body
/// the API takes is built from them and read by the API's own parser.
async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, job_id)): Path<(String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let fields = form.fields;
    let mut users = Vec::new();
    for (name, value) in &fields.0 {
        let Some(external_id) = name.strip_prefix("decide:") else {
            continue;
        };
        let decision = match value.split_once(':') {
            Some(("LINK", user_id)) => {
                json!({ "externalId": external_id, "action": "LINK", "userId": user_id })
            }
            None if value == "LINK" => json!({ "externalId": external_id, "action": "LINK" }),
            None if value == "CREATE" || value == "IGNORE" => {
                json!({ "externalId": external_id, "action": value })
            }
            _ => continue,
        };
        users.push(decision);
    }
    let all = fields.get("mode") == Some("all");
    let body = json!({ "users": users, "all": all, "activate": fields.checked("activate") });
    let decided = users.len();
    let outcome = async {
        let engine = api::imports(&state)?;
        let request = api::confirm_in(&body)?;
        engine
            .confirm(&admin.ctx(&state), &id, &job_id, request)
            .await
            .map_err(ApiError::from)
    }
    .await;
    match outcome {
        Ok(job) => {
            let message = if all {
                format!(
                    "Confirmed every waiting record{}. {} still wait.",
                    if decided > 0 {
                        format!(" ({decided} with your choice, the rest as proposed)")
                    } else {
                        " as proposed".to_owned()
                    },
                    job.counts.pending_confirmation
                )
            } else {
                format!(
                    "Confirmed {decided} record{}. {} still wait.",
                    if decided == 1 { "" } else { "s" },
                    job.counts.pending_confirmation
                )
            };
            Ok(view::redirect_with(
                &state,
                &format!("{}#confirm", page_of(&id, &job.id)),
                &message,
            ))
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(PageError::from_api(e)),
        Err(e) => {
            render(
                &state,
                &admin,
                &headers,
                &id,
                Extra::failed(Some(job_id), e),
            )
            .await
        }
    }
}

/// `POST .../import/jobs/{jobId}/{resume|cancel}`.
async fn lifecycle(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, job_id, op)): Path<(String, String, String)>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let engine = api::imports(&state)?;
    let ctx = admin.ctx(&state);
    let outcome = match op.as_str() {
        "resume" => engine.resume(&ctx, &id, &job_id).await,
        "cancel" => engine.cancel(&ctx, &id, &job_id).await,
        other => return Err(PageError::not_found("import operation", other)),
    };
    match outcome.map_err(ApiError::from) {
        Ok(job) => {
            let message = match (op.as_str(), job.status) {
                ("resume", _) => "Import resumed past the safeguard: its removals run now.".to_owned(),
                (_, JobStatus::Running) => {
                    "Cancel requested: the import stops after its current batch, and removes nothing."
                        .to_owned()
                }
                _ => "Import cancelled: nothing was removed.".to_owned(),
            };
            Ok(view::redirect_with(
                &state,
                &page_of(&id, &job.id),
                &message,
            ))
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => Err(PageError::from_api(e)),
        Err(e) => {
            render(
                &state,
                &admin,
                &headers,
                &id,
                Extra::failed(Some(job_id), e),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome(can_write: bool) -> Chrome {
        Chrome {
            name: "Ada".into(),
            login: "ada@example.com".into(),
            role: "Super admin",
            csrf: "tok".into(),
            can_write,
            section: "apps",
            flash: None,
        }
    }

    fn page(can_write: bool) -> ImportPage {
        let issue = IssueView {
            code: "platform.cvd.profile.property.constraint.violation.timezone".into(),
            message: "the timezone value '<b>Mars</b>' is not accepted".into(),
            record: "e2".into(),
            user_id: String::new(),
            field: "timezone".into(),
            line: "3".into(),
            remediation: "map an IANA name".into(),
        };
        ImportPage {
            chrome: chrome(can_write),
            app: AppHeader {
                id: "0oa1".into(),
                label: "AD <corp>".into(),
                name: "active_directory".into(),
                status: "ACTIVE".into(),
                base_url: String::new(),
                pushes: false,
                imports: true,
                tab: "import",
            },
            source: true,
            is_csv: false,
            mastering: true,
            blocked: None,
            rules: RulesView {
                enabled: true,
                exact_match: "EMAIL".into(),
                partial: "off",
                auto_confirm: "exact matches".into(),
                activate_new: "yes",
                safeguard: "off".into(),
                schedule: "off".into(),
                profile_source: "yes".into(),
            },
            cli: String::new(),
            form: StartForm::default(),
            jobs: Vec::new(),
            job: Some(JobView {
                id: "0im1".into(),
                kind: "FULL",
                force_sync: false,
                status: "COMPLETED",
                source: "ldap://dc.example.com".into(),
                requested_by: "00u1".into(),
                started: "2026-12-03 15:42 UTC".into(),
                finished: "2026-12-03 15:43 UTC".into(),
                paused: false,
                running: false,
                safeguard: None,
                failure: None,
                errors: vec![issue],
                errors_total: 1,
                warnings: Vec::new(),
                warnings_total: 0,
                subjobs: vec![SubjobView {
                    app_id: "0oa2".into(),
                    app_label: "Spoke".into(),
                    mapping_id: "0gp1".into(),
                    group_id: "00g1".into(),
                    group_name: "Engineering".into(),
                    status: "FAILED".into(),
                    task_id: Some("0tk1".into()),
                    error_summary: "push group Engineering: invalid credentials (401)".into(),
                    triggered: "2026-12-03 15:43 UTC".into(),
                }],
                pending_total: 1,
                confirmed: 0,
            }),
            progress: None,
            pending: vec![PendingView {
                external_id: "cn=John".into(),
                user_name: "jdoe".into(),
                kind: "PARTIAL".into(),
                proposed_login: "jdoe@example.com".into(),
                candidates: vec![CandidateView {
                    id: "00u9".into(),
                    login: "john@example.com".into(),
                    name: "John Doe".into(),
                    email: "john@example.com".into(),
                    status: "ACTIVE".into(),
                }],
                profile: Vec::new(),
                field: "decide:cn=John".into(),
            }],
            pending_next: None,
            pending_after: false,
            error: None,
        }
    }

    #[test]
    fn the_import_page_shows_subjobs_errors_and_decisions_escaped() {
        let html = page(true).render().unwrap();
        assert!(html.contains("AD &#60;corp&#62;"));
        assert!(!html.contains("<b>Mars</b>"));
        assert!(html.contains("invalid credentials (401)"));
        assert!(html.contains("/admin/tasks/0tk1"));
        assert!(html.contains(r#"name="decide:cn=John" value="LINK:00u9""#));
        assert!(html.contains("Confirm my decisions"));
        assert!(html.contains("Force Sync"));
    }

    #[test]
    fn a_read_only_admin_sees_no_write_controls() {
        let html = page(false).render().unwrap();
        assert!(!html.contains("Start import"));
        assert!(!html.contains("Confirm my decisions"));
        assert!(!html.contains("decide:cn=John"));
        assert!(html.contains("READ_ONLY_ADMIN"));
    }

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(n(0), "0");
        assert_eq!(n(999), "999");
        assert_eq!(n(1000), "1,000");
        assert_eq!(n(1234567), "1,234,567");
    }
}
