//! Start-up: make sure a super-admin API token exists.

use rand::Rng;
use roster_core::event::Actor;
use roster_core::ids::{make_id, IdKind};
use roster_core::{ApiToken, LogEvent, Role, Timestamp};
use roster_store::{Store, StoreError};

use crate::auth::{generate_token, hash_token, token_prefix};

/// What start-up did about the super-admin token.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// `ROSTER_BOOTSTRAP_TOKEN` was given and a token with that value already existed.
    AlreadyPresent,
    /// `ROSTER_BOOTSTRAP_TOKEN` was given and is now stored (hashed).
    Stored,
    /// No token was given and none existed: this new token must be shown to the operator once.
    Created(String),
    /// No token was given and tokens already exist: nothing to do.
    NothingToDo,
}

/// Store a new API token and return its value (shown once, never stored in clear).
pub async fn create_token(
    store: &Store,
    name: &str,
    role: Role,
    now: Timestamp,
) -> Result<(String, ApiToken), StoreError> {
    let value = generate_token();
    let record = new_token_record(&value, name, role, now);
    store
        .insert_token(&record, &[token_created_event(&record, now)])
        .await?;
    Ok((value, record))
}

/// Store a new API token made by someone (a console administrator), recorded with them as the
/// actor, and return its value (shown once, never stored in clear, never logged).
pub async fn create_token_as(
    store: &Store,
    ctx: &roster_directory::Ctx,
    name: &str,
    role: Role,
) -> Result<(String, ApiToken), StoreError> {
    let value = generate_token();
    let record = new_token_record(&value, name, role, ctx.now);
    let event = ctx
        .event("system.api_token.create", "Create API token")
        .with_target(&record.id, "Token", Some(&record.name), Some(&record.name))
        .with_debug("role", record.role.as_str());
    store.insert_token(&record, &[event]).await?;
    Ok((value, record))
}

fn new_token_record(value: &str, name: &str, role: Role, now: Timestamp) -> ApiToken {
    ApiToken {
        id: make_id(IdKind::ApiToken, now, rand::rngs::OsRng.gen()),
        name: name.to_owned(),
        role,
        token_hash: hash_token(value),
        token_prefix: token_prefix(value),
        created: now,
        last_used: None,
        revoked: false,
    }
}

fn token_created_event(token: &ApiToken, now: Timestamp) -> LogEvent {
    LogEvent::new(
        uuid::Uuid::new_v4().to_string(),
        now,
        "system.api_token.create",
        "Create API token",
        Actor::system(),
        &uuid::Uuid::new_v4().simple().to_string(),
    )
    .with_target(&token.id, "Token", Some(&token.name), Some(&token.name))
    .with_debug("role", token.role.as_str())
}

/// Make sure a super-admin token exists, as PRODUCT.md fixes: with `bootstrap_token`, that
/// value is stored (hashed) unless already present; without it, a first start makes one.
pub async fn ensure_super_admin(
    store: &Store,
    bootstrap_token: Option<&str>,
    now: Timestamp,
) -> Result<Bootstrap, StoreError> {
    match bootstrap_token {
        Some(value) => {
            if store
                .find_token_by_hash(&hash_token(value))
                .await?
                .is_some()
            {
                return Ok(Bootstrap::AlreadyPresent);
            }
            let record = new_token_record(value, "bootstrap", Role::SuperAdmin, now);
            store
                .insert_token(&record, &[token_created_event(&record, now)])
                .await?;
            Ok(Bootstrap::Stored)
        }
        None => {
            if !store.list_tokens().await?.is_empty() {
                return Ok(Bootstrap::NothingToDo);
            }
            let (value, _) =
                create_token(store, "initial super admin", Role::SuperAdmin, now).await?;
            Ok(Bootstrap::Created(value))
        }
    }
}
