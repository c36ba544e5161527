//! The `roster` binary: `roster serve`, `roster token create`, `roster import`, `roster bench ...`.
//!
//! Only this crate sees every other crate; it parses flags, opens the store and wires the HTTP
//! application from `roster-server`.

mod admin_cli;
mod bench;
mod cli;
mod import_cli;
mod mail;
mod provisioning;

use std::io::Write;

use anyhow::Context;
use clap::Parser;
use roster_core::Role;
use roster_server::bootstrap::{ensure_super_admin, Bootstrap};
use roster_server::{AppState, Clock, ServerConfig};
use tokio::net::TcpListener;

use crate::cli::{Cli, Command, DbArgs, TokenCommand};

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(cli))
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ROSTER_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("ROSTER_LOG_FORMAT")
        .map(|f| f.eq_ignore_ascii_case("json"))
        .unwrap_or(false);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Token {
            command: TokenCommand::Create { db, name, role },
        } => {
            let role = Role::parse(&role).with_context(|| {
                format!("unknown role {role:?}: use SUPER_ADMIN or READ_ONLY_ADMIN")
            })?;
            let store = db.open().await?;
            let (value, record) =
                roster_server::bootstrap::create_token(&store, &name, role, Clock::System.now())
                    .await?;
            println!("{value}");
            eprintln!(
                "created API token {} ({}, {}); it is shown only this once",
                record.id,
                record.name,
                record.role.as_str()
            );
            store.close().await;
            Ok(())
        }
        Command::Bench(bench) => bench::run(bench).await,
        Command::Import(args) => import_cli::run(args).await,
        Command::Admin { command } => admin_cli::run(command).await,
    }
}

async fn serve(args: cli::ServeArgs) -> anyhow::Result<()> {
    let store = args.db.open().await?;
    let bootstrap = std::env::var("ROSTER_BOOTSTRAP_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    match ensure_super_admin(&store, bootstrap.as_deref(), Clock::System.now()).await? {
        Bootstrap::Created(token) => {
            // Shown once on stdout, never logged: the operator must keep it now.
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "Initial super-admin API token (shown only once; keep it now): {token}"
            )?;
            out.flush()?;
        }
        Bootstrap::Stored => {
            tracing::info!("stored the super-admin token from ROSTER_BOOTSTRAP_TOKEN")
        }
        Bootstrap::AlreadyPresent | Bootstrap::NothingToDo => {}
    }

    let listener = TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr().context("reading the bound address")?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"))
        .trim_end_matches('/')
        .to_owned();
    let mut config = ServerConfig::new(public_url.clone());
    if let Some(limit) = args.rate_limit_per_minute {
        config.rate_limit_per_minute = limit;
    }
    let state = AppState::new(store.clone(), config);
    let mail = mail::configure(&args, &public_url)?;
    let state = provisioning::attach(state, &args.db)?;
    if let (Some(engine), Some(mail)) = (&state.provisioning, mail) {
        engine.set_mail(mail);
    }
    state
        .directory
        .ensure_defaults(Clock::System.now())
        .await
        .map_err(|e| anyhow::anyhow!("preparing the default policy: {e}"))?;
    let engine = state.provisioning.clone();
    let grace = shutdown_grace()?;
    let console = roster_console::router(state.clone());
    let app = roster_server::app_with(state, console);

    tracing::info!(listen = %local, public_url = %public_url, database = %store.dialect(), "roster is serving");
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "Roster listening on http://{local}")?;
        out.flush()?;
    }
    // SIGTERM (or Ctrl-C): the workers take no new job at once, HTTP stops accepting and
    // drains its requests, then the running steps get `grace` to finish; the leases of those
    // still running are given back, so no job waits for its lease to run out.
    let stopping = engine.clone();
    axum_serve(listener, app, async move {
        shutdown_signal().await;
        if let Some(engine) = &stopping {
            engine.stop_taking_work();
        }
    })
    .await?;
    if let Some(engine) = &engine {
        let (finished, released) = engine.finish_running_steps(grace).await;
        tracing::info!(
            finished,
            released,
            grace_seconds = grace.as_secs(),
            "provisioning steps finished or given back"
        );
    }
    tracing::info!("shutting down: connections drained, closing the database");
    store.close().await;
    Ok(())
}

/// `ROSTER_SHUTDOWN_GRACE_SECONDS` (default 20): how long running provisioning steps may take
/// to finish after SIGTERM before their jobs are given back to the queue.
fn shutdown_grace() -> anyhow::Result<std::time::Duration> {
    let secs = match std::env::var("ROSTER_SHUTDOWN_GRACE_SECONDS") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse::<u64>().with_context(|| {
            format!("ROSTER_SHUTDOWN_GRACE_SECONDS must be a whole number of seconds, not {v:?}")
        })?,
        _ => 20,
    };
    anyhow::ensure!(
        secs <= 600,
        "ROSTER_SHUTDOWN_GRACE_SECONDS must be at most 600, not {secs}"
    );
    Ok(std::time::Duration::from_secs(secs))
}

async fn axum_serve(
    listener: TcpListener,
    app: axum::Router,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let service = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(signal)
        .await
        .context("serving HTTP")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received");
}

impl DbArgs {
    pub async fn open(&self) -> anyhow::Result<roster_store::Store> {
        match &self.database_url {
            Some(url) => roster_store::Store::connect(url).await.with_context(|| {
                "opening the database given by --database-url / ROSTER_DATABASE_URL".to_string()
            }),
            None => roster_store::Store::open_data_dir(&self.data_dir)
                .await
                .with_context(|| {
                    format!(
                        "opening the embedded database in {}",
                        self.data_dir.display()
                    )
                }),
        }
    }
}
