//! `roster import`: start an import on a running server and follow it with a progress bar,
//! then print a summary table; `roster import status JOB` shows (or follows) a job.
//!
//! These are client commands: they reach the server at `--url` (env `ROSTER_URL`) with the API
//! token from `--token` (env `ROSTER_TOKEN`), over the Management API.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

/// Where the server is.
#[derive(Args, Debug, Clone)]
pub struct ClientArgs {
    /// The server's base URL.
    #[arg(long, env = "ROSTER_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// An API token (prefer the environment variable: a flag shows in process listings).
    #[arg(long, env = "ROSTER_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub command: Option<ImportCommand>,
    #[command(flatten)]
    pub client: ClientArgs,
    /// The id of the app to import from.
    #[arg(long)]
    pub app: Option<String>,
    /// The CSV file to upload (CSV apps).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Read everything; users gone from the source are removed (the default).
    #[arg(long, conflicts_with = "incremental")]
    pub full: bool,
    /// Read only what changed since the last import; nothing is removed.
    #[arg(long)]
    pub incremental: bool,
    /// Re-apply the profile source's values to every linked user without reading the source.
    #[arg(long, conflicts_with = "file")]
    pub force_sync: bool,
    /// Follow the job with a progress bar until it ends, then print its summary.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Show an import job; with --wait, follow it until it ends.
    Status {
        /// The job id (`0im...`).
        job: String,
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        wait: bool,
    },
}

struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    fn new(args: &ClientArgs) -> anyhow::Result<Client> {
        let Some(token) = args.token.clone().filter(|t| !t.trim().is_empty()) else {
            bail!("no API token: set ROSTER_TOKEN (or pass --token)");
        };
        Ok(Client {
            base: args.url.trim_end_matches('/').to_owned(),
            token,
            http: reqwest::Client::builder()
                .user_agent(concat!("roster-cli/", env!("CARGO_PKG_VERSION")))
                .build()
                .context("building the HTTP client")?,
        })
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let response = request
            .header("Authorization", format!("SSWS {}", self.token))
            .header("Accept", "application/json")
            .send()
            .await
            .with_context(|| format!("reaching Roster at {}", self.base))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let summary = body["errorSummary"]
                .as_str()
                .unwrap_or("the server refused the request");
            let mut message = format!("{status}: {summary}");
            for cause in body["errorCauses"].as_array().into_iter().flatten() {
                if let Some(s) = cause["errorSummary"].as_str() {
                    message.push_str(&format!("\n  - {s}"));
                }
            }
            if let Some(c) = body["cause"].as_str().filter(|c| !c.is_empty()) {
                message.push_str(&format!("\ncause: {c}"));
            }
            if let Some(r) = body["remediation"].as_str().filter(|r| !r.is_empty()) {
                message.push_str(&format!("\nwhat to do: {r}"));
            }
            bail!(message);
        }
        Ok(body)
    }

    async fn job(&self, id: &str) -> anyhow::Result<Value> {
        self.send(self.http.get(format!("{}/api/v1/imports/{id}", self.base)))
            .await
    }
}

pub async fn run(args: ImportArgs) -> anyhow::Result<()> {
    if let Some(ImportCommand::Status { job, client, wait }) = args.command {
        let client = Client::new(&client)?;
        let job = if wait {
            follow(&client, &job).await?
        } else {
            client.job(&job).await?
        };
        print_summary(&job, None);
        return exit_for(&job);
    }
    let Some(app) = args.app.as_deref() else {
        bail!("name the app to import from: roster import --app APP_ID [--file users.csv]");
    };
    let client = Client::new(&args.client)?;
    let kind = if args.incremental {
        "INCREMENTAL"
    } else {
        "FULL"
    };
    let url = format!("{}/api/v1/apps/{app}/imports", client.base);
    let request = match &args.file {
        Some(path) => {
            let bytes = tokio::fs::read(path)
                .await
                .with_context(|| format!("reading {}", path.display()))?;
            eprintln!(
                "uploading {} ({:.1} MB)",
                path.display(),
                bytes.len() as f64 / 1e6
            );
            client
                .http
                .post(format!("{url}?type={kind}"))
                .header("Content-Type", "text/csv")
                .body(bytes)
        }
        None => client
            .http
            .post(&url)
            .json(&json!({ "type": kind, "forceSync": args.force_sync })),
    };
    let started = Instant::now();
    let job = client.send(request).await?;
    let id = job["id"].as_str().unwrap_or_default().to_owned();
    if !args.wait {
        println!("{id}");
        eprintln!(
            "import {id} is {}; follow it with: roster import status {id} --wait",
            job["status"].as_str().unwrap_or("RUNNING")
        );
        return Ok(());
    }
    let job = follow(&client, &id).await?;
    print_summary(&job, Some(started.elapsed()));
    exit_for(&job)
}

fn live(job: &Value) -> bool {
    job["status"] == "RUNNING"
}

/// Poll the job, drawing a bar (records read of those the file holds) or a spinner, until it
/// is no longer RUNNING.
async fn follow(client: &Client, id: &str) -> anyhow::Result<Value> {
    let mut job = client.job(id).await?;
    let expected = job["progress"]["expected"].as_u64();
    let bar = match expected {
        Some(n) => {
            let bar = ProgressBar::new(n);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} records ({per_sec}, eta {eta}) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {pos} records ({per_sec}) {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        }
    };
    while live(&job) {
        bar.set_position(job["counts"]["scanned"].as_u64().unwrap_or(0));
        bar.set_message(format!(
            "{} · new {} · updated {} · errors {}",
            job["phase"].as_str().unwrap_or(""),
            job["counts"]["new"],
            job["counts"]["updated"],
            job["counts"]["errors"]
        ));
        bar.tick();
        tokio::time::sleep(Duration::from_millis(300)).await;
        job = client.job(id).await?;
    }
    bar.set_position(job["counts"]["scanned"].as_u64().unwrap_or(0));
    bar.finish_and_clear();
    Ok(job)
}

fn exit_for(job: &Value) -> anyhow::Result<()> {
    match job["status"].as_str() {
        Some("COMPLETED") | Some("RUNNING") => Ok(()),
        Some("PAUSED") => bail!(
            "the import safeguard paused import {}: resume it with POST /api/v1/apps/{}/imports/{}/resume, or cancel it",
            job["id"].as_str().unwrap_or_default(),
            job["appId"].as_str().unwrap_or_default(),
            job["id"].as_str().unwrap_or_default()
        ),
        Some(other) => bail!(
            "import {} is {other}: {}",
            job["id"].as_str().unwrap_or_default(),
            job["error"]["summary"].as_str().unwrap_or("see the job for the reason")
        ),
        None => bail!("the server answered no job"),
    }
}

fn number(v: &Value) -> String {
    let n = v.as_u64().unwrap_or(0).to_string();
    let mut out = String::new();
    for (i, c) in n.chars().enumerate() {
        if i > 0 && (n.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The summary table: status, counts, then the first errors, warnings and subjobs.
fn print_summary(job: &Value, took: Option<Duration>) {
    let took = took
        .map(|d| format!(" in {:.1} s", d.as_secs_f64()))
        .unwrap_or_default();
    println!(
        "Import {} of {} ({}): {}{took}",
        job["id"].as_str().unwrap_or_default(),
        job["appLabel"].as_str().unwrap_or_default(),
        job["source"].as_str().unwrap_or_default(),
        job["status"].as_str().unwrap_or_default()
    );
    let c = &job["counts"];
    let rows = [
        ("scanned", "scanned"),
        ("new users", "new"),
        ("updated", "updated"),
        ("unchanged", "unchanged"),
        ("matched (exact)", "matchedExact"),
        ("matched (partial)", "matchedPartial"),
        ("waiting for confirmation", "pendingConfirmation"),
        ("removed", "removed"),
        ("activated", "activated"),
        ("deactivated", "deactivated"),
        ("groups", "groupsScanned"),
        ("memberships added", "membershipsAdded"),
        ("memberships removed", "membershipsRemoved"),
        ("errors", "errors"),
        ("warnings", "warnings"),
    ];
    println!("  {:<26} {:>12}", "", "count");
    for (label, key) in rows {
        println!("  {label:<26} {:>12}", number(&c[key]));
    }
    let list = |title: &str, items: &Value| {
        let items = items.as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            return;
        }
        println!("{title} (first {}):", items.len().min(10));
        for i in items.iter().take(10) {
            println!(
                "  {:<24} {:<12} {:<10} {}",
                i["externalId"].as_str().unwrap_or("-"),
                i["field"].as_str().unwrap_or("-"),
                i["code"].as_str().unwrap_or("-"),
                i["message"].as_str().unwrap_or_default()
            );
        }
    };
    list("Errors", &job["errors"]);
    list("Warnings", &job["warnings"]);
    for s in job["subjobs"].as_array().into_iter().flatten() {
        println!(
            "Group Push of {:?} by app {} (mapping {}): {}{}",
            s["groupName"].as_str().unwrap_or_default(),
            s["appLabel"].as_str().unwrap_or_default(),
            s["mappingId"].as_str().unwrap_or_default(),
            s["status"].as_str().unwrap_or_default(),
            s["taskId"]
                .as_str()
                .map(|t| format!(" (task {t})"))
                .unwrap_or_default()
        );
    }
    if let Some(e) = job["error"].as_object() {
        println!(
            "Failed: {}\n  cause: {}\n  what to do: {}",
            e.get("summary").and_then(Value::as_str).unwrap_or_default(),
            e.get("cause").and_then(Value::as_str).unwrap_or_default(),
            e.get("remediation")
                .and_then(Value::as_str)
                .unwrap_or_default()
        );
    }
}
