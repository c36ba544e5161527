//! Wiring push provisioning into `roster serve`: the master key, the concrete connectors, the
//! password escrow observer on the directory, and the worker task.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use roster_provisioning::{
    spawn_sweeper, spawn_worker, KeyRing, Provisioning, Settings, StandardConnectors,
};
use roster_server::AppState;

use crate::cli::DbArgs;

/// Give `state` a provisioning engine and start its worker. The master key comes from
/// `ROSTER_MASTER_KEY`, or from `master.key` next to the SQLite database (the data directory
/// by default), created the first time a secret is sealed.
pub fn attach(mut state: AppState, db: &DbArgs) -> anyhow::Result<AppState> {
    let env_key = std::env::var("ROSTER_MASTER_KEY").ok();
    let keys = KeyRing::from_env_or_dir(env_key.as_deref(), &key_dir(db))
        .context("reading ROSTER_MASTER_KEY, the key that seals provisioning secrets")?;
    if keys.is_fixed() {
        tracing::info!("provisioning secrets are sealed with the key from ROSTER_MASTER_KEY");
    }
    let timeout = match env_number("ROSTER_TARGET_TIMEOUT_SECONDS")? {
        Some(secs) => {
            anyhow::ensure!(
                (1..=600).contains(&secs),
                "ROSTER_TARGET_TIMEOUT_SECONDS must be between 1 and 600, not {secs}"
            );
            std::time::Duration::from_secs(secs)
        }
        None => roster_provisioning::DEFAULT_TARGET_TIMEOUT,
    };
    let connectors =
        StandardConnectors::with_timeout(timeout).context("preparing the connectors")?;
    let provisioning = Provisioning::new(
        state.directory.clone(),
        keys,
        Arc::new(connectors),
        settings_from_env()?,
    );
    state.directory = state
        .directory
        .clone()
        .with_observer(provisioning.observer());
    spawn_worker(provisioning.clone());
    spawn_sweeper(provisioning.clone());
    let imports = roster_imports::Imports::new(
        provisioning.clone(),
        state.directory.clone(),
        import_settings_from_env()?,
    );
    roster_imports::spawn_scheduler(imports.clone());
    state.provisioning = Some(provisioning);
    state.imports = Some(imports);
    let mut config = (*state.config).clone();
    config.upload_dir = upload_dir(db);
    if let Some(max) = env_number("ROSTER_IMPORT_MAX_BYTES")? {
        config.import_max_bytes = usize::try_from(max).unwrap_or(usize::MAX);
    }
    state.config = std::sync::Arc::new(config);
    Ok(state)
}

/// The import runner's settings: `ROSTER_IMPORT_BATCH_SIZE` (records per transaction, default
/// 1000).
fn import_settings_from_env() -> anyhow::Result<roster_imports::ImportSettings> {
    let mut settings = roster_imports::ImportSettings::default();
    if let Some(n) = env_number("ROSTER_IMPORT_BATCH_SIZE")? {
        anyhow::ensure!(
            (1..=20_000).contains(&n),
            "ROSTER_IMPORT_BATCH_SIZE must be between 1 and 20000, not {n}"
        );
        settings.batch_size = usize::try_from(n).unwrap_or(1000);
    }
    Ok(settings)
}

/// Uploaded CSV files wait in `uploads/` of the data directory (next to the SQLite database),
/// or of the system's temporary directory when the database is PostgreSQL.
fn upload_dir(db: &DbArgs) -> PathBuf {
    match db.database_url.as_deref() {
        Some(url) if url.starts_with("postgres") => std::env::temp_dir().join("roster-uploads"),
        _ => key_dir(db).join("uploads"),
    }
}

/// The worker's settings, with two operator knobs from the environment:
/// `ROSTER_PROVISIONING_WORKERS` (claim loops in this process, default 4; 0 runs none, for a
/// server that only queues jobs for the workers of others sharing its PostgreSQL database) and
/// `ROSTER_PROVISIONING_LEASE_SECONDS` (how long a claimed job stays leased before another
/// worker may take it over, default 120; a dead server's jobs wait this long),
/// `ROSTER_PROVISIONING_MAX_ATTEMPTS` (claims before a retryable failure opens a task, default
/// 8), `ROSTER_PROVISIONING_BACKOFF_MS` (the first retry's delay, doubled each time, default
/// 2000), `ROSTER_PROVISIONING_POLL_SECONDS` (how often idle workers look for due jobs, default 2;
/// a job queued by this server or, on PostgreSQL, by any server wakes them at once), and
/// `ROSTER_OUTBOX_LEASE_SECONDS` (how long a change's outbox entry waits for the request that
/// wrote it before a sweeper acts on it, default 30: after a crash, a change's pushes are
/// queued this long after the restart at the latest).
fn settings_from_env() -> anyhow::Result<Settings> {
    let mut settings = Settings::default();
    if let Some(n) = env_number("ROSTER_PROVISIONING_WORKERS")? {
        anyhow::ensure!(
            n <= 256,
            "ROSTER_PROVISIONING_WORKERS must be between 0 and 256, not {n}"
        );
        settings.workers = usize::try_from(n).unwrap_or(1);
    }
    if let Some(secs) = env_number("ROSTER_PROVISIONING_LEASE_SECONDS")? {
        anyhow::ensure!(
            secs >= 1,
            "ROSTER_PROVISIONING_LEASE_SECONDS must be at least 1"
        );
        settings.lease = std::time::Duration::from_secs(secs);
    }
    if let Some(n) = env_number("ROSTER_PROVISIONING_MAX_ATTEMPTS")? {
        anyhow::ensure!(
            (1..=100).contains(&n),
            "ROSTER_PROVISIONING_MAX_ATTEMPTS must be between 1 and 100, not {n}"
        );
        settings.max_attempts = i64::try_from(n).unwrap_or(8);
    }
    if let Some(ms) = env_number("ROSTER_PROVISIONING_BACKOFF_MS")? {
        anyhow::ensure!(
            (10..=600_000).contains(&ms),
            "ROSTER_PROVISIONING_BACKOFF_MS must be between 10 and 600000, not {ms}"
        );
        settings.base_backoff = std::time::Duration::from_millis(ms);
    }
    if let Some(secs) = env_number("ROSTER_PROVISIONING_POLL_SECONDS")? {
        anyhow::ensure!(
            (1..=3600).contains(&secs),
            "ROSTER_PROVISIONING_POLL_SECONDS must be between 1 and 3600, not {secs}"
        );
        settings.poll = std::time::Duration::from_secs(secs);
    }
    if let Some(secs) = env_number("ROSTER_OUTBOX_LEASE_SECONDS")? {
        anyhow::ensure!(
            (1..=3600).contains(&secs),
            "ROSTER_OUTBOX_LEASE_SECONDS must be between 1 and 3600, not {secs}"
        );
        settings.outbox_lease = std::time::Duration::from_secs(secs);
    }
    tracing::info!(
        workers = settings.workers,
        lease_seconds = settings.lease.as_secs(),
        "provisioning worker settings"
    );
    Ok(settings)
}

fn env_number(name: &str) -> anyhow::Result<Option<u64>> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<u64>()
            .map(Some)
            .with_context(|| format!("{name} must be a whole number, not {v:?}")),
        _ => Ok(None),
    }
}

/// The directory of the key file: the SQLite database's own directory for `sqlite://PATH`,
/// else the data directory.
fn key_dir(db: &DbArgs) -> PathBuf {
    if let Some(path) = db
        .database_url
        .as_deref()
        .and_then(|u| {
            u.strip_prefix("sqlite://")
                .or_else(|| u.strip_prefix("sqlite:"))
        })
        .map(|p| p.split('?').next().unwrap_or(p))
        .filter(|p| !p.contains(":memory:") && !p.is_empty())
    {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                return parent.to_path_buf();
            }
        }
    }
    db.data_dir.clone()
}
