//! Acting on the change outbox: what a directory change sets off in push provisioning (see
//! [`crate::observer`] for how entries get here).
//!
//! An entry is acted on by the request that wrote it, right after its commit, or — when that
//! did not happen or failed — by the sweeper of any server once the entry's lease ran out.
//! Acting reads the user or group again (so a later change is never undone by an older entry),
//! queues the pushes, and deletes the entry. A failure defers the entry with backoff and logs
//! why (never the entry's body: a password entry holds the sealed password).

use std::time::Duration;

use roster_core::{User, UserStatus};
use roster_directory::{ChangeRecord, DirectoryChange, DirectoryError};
use roster_store::OutboxEntry;

use crate::engine::{now, plus, Provisioning, Result};

/// Entries one sweep claims at most.
const SWEEP_BATCH: u32 = 100;
/// How often a sweeper looks for entries whose lease ran out.
const SWEEP_EVERY: Duration = Duration::from_secs(2);
/// The longest a failing entry waits for its next attempt.
const MAX_DEFER: Duration = Duration::from_secs(300);

impl Provisioning {
    /// Act on one outbox entry, then delete it; on failure defer it (backoff by attempts).
    pub(crate) async fn act_on_entry(&self, entry: &OutboxEntry) {
        let Some(record) = ChangeRecord::from_entry(entry) else {
            // Written by a newer version of Roster, or damaged: left for a server that reads it.
            tracing::warn!(entry = %entry.id, "a change outbox entry cannot be read by this version; left in place");
            self.defer(entry, "the entry cannot be read by this version of Roster")
                .await;
            return;
        };
        match self.act_on(&record).await {
            Ok(()) => {
                if let Err(e) = self.store().finish_outbox(&entry.id).await {
                    // Acted on, but still there: a sweeper will act again (idempotently).
                    tracing::warn!(entry = %entry.id, error = %e, "could not delete a change outbox entry that was acted on");
                }
            }
            Err(e) => {
                tracing::warn!(
                    entry = %entry.id,
                    change = record.name(),
                    attempts = entry.attempts,
                    error = %e,
                    "could not act on a directory change; it will be retried"
                );
                self.defer(entry, &e.to_string()).await;
            }
        }
    }

    async fn defer(&self, entry: &OutboxEntry, error: &str) {
        let exponent = u32::try_from(entry.attempts.clamp(0, 16)).unwrap_or(16);
        let wait =
            Duration::from_secs(2u64.saturating_pow(exponent).saturating_mul(2)).min(MAX_DEFER);
        if let Err(e) = self
            .store()
            .defer_outbox(&entry.id, plus(now(), wait), error)
            .await
        {
            tracing::warn!(entry = %entry.id, error = %e, "could not defer a change outbox entry; its lease still brings it back");
        }
    }

    /// Queue what `record` sets off.
    async fn act_on(&self, record: &ChangeRecord) -> Result<()> {
        match record {
            ChangeRecord::UserCreated { user_id } => {
                let Some(user) = self.current_user(user_id).await? else {
                    return Ok(());
                };
                self.on_user_change(DirectoryChange::UserCreated { user: &user })
                    .await
            }
            ChangeRecord::ProfileUpdated { user_id } => {
                let Some(user) = self.current_user(user_id).await? else {
                    return Ok(());
                };
                self.on_user_change(DirectoryChange::ProfileUpdated { user: &user })
                    .await
            }
            ChangeRecord::StatusChanged { user_id, from, to } => {
                let Some(mut user) = self.current_user(user_id).await? else {
                    return Ok(());
                };
                let (Some(from), Some(to)) = (UserStatus::parse(from), UserStatus::parse(to))
                else {
                    return Ok(());
                };
                // The transition as it was committed; a later one has its own entry.
                user.status = to;
                self.on_user_change(DirectoryChange::StatusChanged { user: &user, from })
                    .await
            }
            ChangeRecord::UserDeleted { user_id } => {
                self.on_user_change(DirectoryChange::UserDeleted { user_id })
                    .await
            }
            ChangeRecord::PasswordSet {
                user_id,
                sealed,
                captured,
            } => {
                let Some(user) = self.current_user(user_id).await? else {
                    return Ok(());
                };
                self.capture_password(&user, sealed, *captured).await
            }
            ChangeRecord::MemberAdded { group_id, user_id } => {
                self.on_group_membership(DirectoryChange::MemberAdded { group_id, user_id })
                    .await
            }
            ChangeRecord::MemberRemoved { group_id, user_id } => {
                self.on_group_membership(DirectoryChange::MemberRemoved { group_id, user_id })
                    .await
            }
            ChangeRecord::MembersChanged {
                group_id,
                added,
                removed,
            } => {
                self.on_group_membership(DirectoryChange::MembersChanged {
                    group_id,
                    added,
                    removed,
                })
                .await
            }
            ChangeRecord::GroupUpdated { group_id } => {
                let group = match self.inner.directory.get_group(group_id).await {
                    Ok(g) => g,
                    // Deleted since: its deletion has its own entry.
                    Err(DirectoryError::NotFound { .. }) => return Ok(()),
                    Err(e) => return Err(e.into()),
                };
                self.on_group_membership(DirectoryChange::GroupUpdated { group: &group })
                    .await
            }
            ChangeRecord::GroupDeleted { group_id } => {
                self.on_group_membership(DirectoryChange::GroupDeleted { group_id })
                    .await
            }
        }
    }

    /// Assignments through the group, then its Group Push.
    async fn on_group_membership(&self, change: DirectoryChange<'_>) -> Result<()> {
        self.on_membership_change(change).await?;
        self.on_group_change(change).await
    }

    /// The user as stored now; `None` when it was deleted since (its deletion has its own entry).
    async fn current_user(&self, user_id: &str) -> Result<Option<User>> {
        match self.inner.directory.get_user(user_id).await {
            Ok(u) => Ok(Some(u)),
            Err(DirectoryError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// One sweep: act on up to a batch of entries whose lease ran out. Returns how many.
    pub async fn sweep_outbox(&self) -> Result<usize> {
        let at = now();
        let entries = self
            .store()
            .claim_outbox(at, plus(at, self.inner.settings.outbox_lease), SWEEP_BATCH)
            .await?;
        for entry in &entries {
            self.act_on_entry(entry).await;
        }
        if !entries.is_empty() {
            tracing::info!(
                entries = entries.len(),
                "acted on directory changes left in the change outbox"
            );
        }
        Ok(entries.len())
    }
}

/// Run the outbox sweeper until the runtime shuts down: every couple of seconds, and again at
/// once while a sweep finds a full batch.
pub fn spawn_sweeper(provisioning: Provisioning) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !provisioning.is_stopping() {
            match provisioning.sweep_outbox().await {
                Ok(n) if n >= SWEEP_BATCH as usize => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the change outbox sweep failed"),
            }
            tokio::time::sleep(SWEEP_EVERY).await;
        }
    })
}
