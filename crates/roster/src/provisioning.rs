//! Wiring push provisioning into `roster serve`: the master key, the concrete connectors, the
//! password escrow observer on the directory, and the worker task.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use roster_provisioning::{spawn_worker, KeyRing, Provisioning, Settings, StandardConnectors};
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
    let connectors = StandardConnectors::new().context("preparing the connectors")?;
    let provisioning = Provisioning::new(
        state.directory.clone(),
        keys,
        Arc::new(connectors),
        Settings::default(),
    );
    state.directory = state
        .directory
        .clone()
        .with_observer(provisioning.observer());
    spawn_worker(provisioning.clone());
    state.provisioning = Some(provisioning);
    Ok(state)
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
