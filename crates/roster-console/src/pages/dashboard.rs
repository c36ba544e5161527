//! `/admin`: what needs attention — open tasks by app, recent failures, running imports, and
//! users by status.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use roster_core::LogEvent;
use roster_server::extract::QueryPairs;
use roster_server::AppState;
use roster_store::Order;

use crate::error::PageError;
use crate::session::Admin;
use crate::view::{self, tone, when, Chrome};

pub struct AppTasks {
    pub app_id: String,
    pub label: String,
    pub open: usize,
}

pub struct RunningImport {
    pub app_id: String,
    pub app_label: String,
    pub job_id: String,
    pub status: String,
    pub scanned: u64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    tasks: Vec<AppTasks>,
    open_total: usize,
    /// More open tasks than the dashboard reads (it reads the first 1,000).
    open_more: bool,
    failures: Vec<LogEvent>,
    imports: Vec<RunningImport>,
    statuses: Vec<(String, i64)>,
    users_total: i64,
}

pub async fn show(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&admin, "dashboard", &headers);
    let statuses = state.store.count_users_by_status().await?;
    let users_total = statuses.iter().map(|(_, n)| n).sum();
    let mut tasks = Vec::new();
    let mut imports = Vec::new();
    let mut open_total = 0;
    let mut open_more = false;
    if let Some(engine) = &state.provisioning {
        let apps = engine.list_apps().await?;
        let mut labels: BTreeMap<String, String> = apps
            .iter()
            .map(|a| (a.id.clone(), a.label.clone()))
            .collect();
        labels.insert(
            roster_provisioning::MAIL_QUEUE.into(),
            super::tasks::MAIL_LABEL.into(),
        );
        let open = engine
            .list_tasks(&roster_provisioning::TaskQuery {
                status: Some("OPEN".into()),
                limit: 1000,
                ..Default::default()
            })
            .await?;
        open_total = open.items.len();
        open_more = open.next_after.is_some();
        let mut by_app: BTreeMap<String, usize> = BTreeMap::new();
        for t in &open.items {
            *by_app.entry(t.app_id.clone()).or_default() += 1;
        }
        tasks = by_app
            .into_iter()
            .map(|(app_id, open)| AppTasks {
                label: labels
                    .get(&app_id)
                    .cloned()
                    .unwrap_or_else(|| app_id.clone()),
                app_id,
                open,
            })
            .collect();
        tasks.sort_by_key(|t| std::cmp::Reverse(t.open));
        if let Some(importer) = &state.imports {
            for app in apps.iter().filter(|a| a.name.imports()) {
                for job in importer.list_jobs(&app.id).await?.into_iter().take(3) {
                    if job.status.is_live() {
                        imports.push(RunningImport {
                            app_id: app.id.clone(),
                            app_label: app.label.clone(),
                            job_id: job.id.clone(),
                            status: job.status.as_str().to_owned(),
                            scanned: job.counts.scanned,
                        });
                    }
                }
            }
        }
    }
    let params = QueryPairs(vec![(
        "filter".into(),
        "outcome.result eq \"FAILURE\"".into(),
    )]);
    let failures = roster_server::logs::search_logs(&state, &params, 8, Order::Desc)
        .await?
        .page
        .items;
    Ok(view::page(
        &state,
        &chrome.clone(),
        &DashboardPage {
            chrome,
            tasks,
            open_total,
            open_more,
            failures,
            imports,
            statuses,
            users_total,
        },
    ))
}

impl DashboardPage {
    fn tone(&self, s: &str) -> &'static str {
        tone(s)
    }
    fn when(&self, e: &LogEvent) -> String {
        when(&e.published)
    }
    fn outcome_reason(&self, e: &LogEvent) -> String {
        e.outcome.reason.clone().unwrap_or_default()
    }
}
