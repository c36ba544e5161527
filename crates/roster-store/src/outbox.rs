//! The change outbox: what a directory change sets off elsewhere (push provisioning), written in
//! the change's own transaction so that a crash after the commit cannot lose it.
//!
//! A writer stages entries on a store handle ([`Store::with_outbox`]); the next mutation made
//! through that handle writes them with its System Log events, in its transaction. Entries are
//! written leased to the writer (`lease_until`): it acts on them right after the commit and
//! deletes each ([`Store::finish_outbox`]). An entry whose lease ran out — its server died
//! between the commit and acting on it, or acting failed and was deferred
//! ([`Store::defer_outbox`]) — is claimed by a sweeper ([`Store::claim_outbox`]). Claims lease
//! what they return (PostgreSQL with `FOR UPDATE SKIP LOCKED`), so several servers never act on
//! one entry at the same time.
//!
//! Nothing here reads a clock: callers pass `now` and lease ends.

use std::sync::Arc;

use roster_core::Timestamp;
use serde_json::Value;

use crate::error::StoreError;
use crate::sql::{Dialect, SqlParam, Tx};
use crate::store::{insert_rows, Store, Table};

/// One entry of the outbox. `body` is JSON the writer and the consumer agree on; it may hold a
/// sealed secret, never a clear one, and its `Debug` shows only the id.
#[derive(Clone, PartialEq)]
pub struct OutboxEntry {
    pub id: String,
    pub body: Value,
    /// Claims so far (0 for an entry just written).
    pub attempts: i64,
}

impl std::fmt::Debug for OutboxEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxEntry")
            .field("id", &self.id)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// Entries waiting for a handle's next mutation.
#[derive(Debug)]
pub(crate) struct Staged {
    entries: Vec<OutboxEntry>,
    now: Timestamp,
    lease_until: Timestamp,
}

const OUTBOX: Table = Table {
    name: "change_outbox",
    columns: &["id", "body", "attempts", "lease_until", "created"],
    json_columns: &[],
};

const OUTBOX_ROWS_PER_STATEMENT: usize = 500;

impl Store {
    /// A handle on this store whose next mutation also writes `entries`, leased to the caller
    /// until `lease_until`. With no entries it is this store.
    pub fn with_outbox(
        &self,
        entries: Vec<OutboxEntry>,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Store {
        let mut handle = self.clone();
        handle.staged = (!entries.is_empty()).then(|| {
            Arc::new(Staged {
                entries,
                now,
                lease_until,
            })
        });
        handle
    }

    /// Write the staged entries, if any, inside the caller's transaction.
    pub(crate) async fn write_outbox(&self, tx: &mut Tx) -> Result<(), StoreError> {
        let Some(staged) = &self.staged else {
            return Ok(());
        };
        let rows = staged
            .entries
            .iter()
            .map(|e| {
                let body = serde_json::to_string(&e.body)
                    .map_err(|_| StoreError::corrupt("outbox entry"))?;
                Ok(vec![
                    SqlParam::Text(e.id.clone()),
                    SqlParam::Text(body),
                    SqlParam::Int(0),
                    SqlParam::Text(staged.lease_until.to_string()),
                    SqlParam::Text(staged.now.to_string()),
                ])
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        insert_rows(
            tx,
            self.dialect(),
            &OUTBOX,
            rows,
            OUTBOX_ROWS_PER_STATEMENT,
            "write the change outbox",
        )
        .await?;
        Ok(())
    }

    /// Claim up to `limit` entries whose lease ran out, oldest lease first, leasing them until
    /// `lease_until` and counting the attempt.
    pub async fn claim_outbox(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut tx = self.begin().await?;
        let mut sql = self.sql();
        sql.push("SELECT id, body, attempts FROM change_outbox WHERE lease_until <= ");
        sql.bind(now.to_string());
        sql.push(" ORDER BY lease_until, id LIMIT ");
        sql.bind(i64::from(limit.max(1)));
        if self.dialect() == Dialect::Postgres {
            sql.push(" FOR UPDATE SKIP LOCKED");
        }
        let rows = tx.fetch_all(&sql, "claim change outbox entries").await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let body = serde_json::from_str(&row.text("body")?)
                .map_err(|_| StoreError::corrupt("outbox entry"))?;
            entries.push(OutboxEntry {
                id: row.text("id")?,
                body,
                attempts: row.int("attempts")? + 1,
            });
        }
        for entry in &entries {
            let mut update = self.sql();
            update.push("UPDATE change_outbox SET attempts = attempts + 1, lease_until = ");
            update.bind(lease_until.to_string());
            update.push(" WHERE id = ");
            update.bind(entry.id.as_str());
            tx.execute(&update, "lease a change outbox entry").await?;
        }
        tx.commit().await?;
        Ok(entries)
    }

    /// The entry was acted on: delete it. One already gone (another server finished it after
    /// its lease ran out) is not an error.
    pub async fn finish_outbox(&self, id: &str) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("DELETE FROM change_outbox WHERE id = ");
        sql.bind(id);
        self.pool
            .execute(&sql, "finish a change outbox entry")
            .await?;
        Ok(())
    }

    /// Acting on the entry failed: leave it for a sweeper after `retry_at`, with the error.
    pub async fn defer_outbox(
        &self,
        id: &str,
        retry_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("UPDATE change_outbox SET lease_until = ");
        sql.bind(retry_at.to_string());
        sql.push(", last_error = ");
        sql.bind(error);
        sql.push(" WHERE id = ");
        sql.bind(id);
        self.pool
            .execute(&sql, "defer a change outbox entry")
            .await?;
        Ok(())
    }

    /// How many entries wait (leased or not): 0 once every change has been acted on.
    pub async fn outbox_len(&self) -> Result<i64, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) AS n FROM change_outbox");
        match self
            .pool
            .fetch_optional(&sql, "count change outbox entries")
            .await?
        {
            Some(row) => row.int("n"),
            None => Ok(0),
        }
    }
}
