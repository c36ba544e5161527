//! The System Log.

use roster_core::LogEvent;

use crate::compile::{compile_into, Entity};
use crate::error::StoreError;
use crate::model::{clamp_limit, EventQuery, Order, Page};
use crate::sql::Dialect;
use crate::store::{into_page, Store};

/// Events per call that [`Store::append_events_batch`] is comfortable with; larger slices
/// work but hold one transaction open for longer.
pub const EVENT_BATCH_HINT: usize = 50_000;

/// PostgreSQL: the 64-bit id of the oldest transaction of this database that holds an xid and
/// is still running (`pg_stat_activity.backend_xid`, widened with the current epoch), or the
/// largest bigint when there is none. Transactions of other databases on the server do not
/// hold back this database's System Log. Nodes must connect with one role (PostgreSQL shows
/// `backend_xid` of one's own role's sessions).
const OLDEST_RUNNING_XID: &str = "COALESCE((SELECT MIN(((n.next >> 32) - CASE WHEN a.xid > (n.next & 4294967295) THEN 1 ELSE 0 END) * 4294967296 + a.xid) \
     FROM (SELECT backend_xid::text::bigint AS xid FROM pg_stat_activity \
           WHERE datname = current_database() AND backend_xid IS NOT NULL) a, \
          (SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next) n), \
     9223372036854775807)";

impl Store {
    /// Append events on their own (changes write theirs through their own method).
    pub async fn append_events(&self, events: &[LogEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    /// The bulk path: one transaction, multi-row INSERTs of 1,000 events. Call it with slices
    /// of about [`EVENT_BATCH_HINT`] events to load millions.
    pub async fn append_events_batch(&self, events: &[LogEvent]) -> Result<u64, StoreError> {
        self.append_events(events).await?;
        Ok(events.len() as u64)
    }

    /// Events in insertion order (or the reverse), filtered, one page after `query.after`.
    pub async fn list_events(&self, query: &EventQuery) -> Result<Page<LogEvent>, StoreError> {
        let limit = clamp_limit(query.limit);
        let mut sql = self.sql();
        let body = sql.json_text("log_events.body");
        sql.push("SELECT log_events.seq, ")
            .push(&body)
            .push(" AS body FROM log_events WHERE TRUE");
        if let Some(filter) = &query.filter {
            sql.push(" AND (");
            compile_into(&mut sql, filter, Entity::Events)?;
            sql.push(")");
        }
        if let Some(since) = query.since {
            sql.push(" AND log_events.published >= ");
            sql.bind(since.to_string());
        }
        if let Some(until) = query.until {
            sql.push(" AND log_events.published < ");
            sql.bind(until.to_string());
        }
        if let Some(after) = &query.after {
            let seq: i64 = after.parse().map_err(|_| {
                StoreError::invalid_filter(
                    "after",
                    "is not a cursor from a previous page of the System Log",
                )
            })?;
            sql.push(match query.order {
                Order::Asc => " AND log_events.seq > ",
                Order::Desc => " AND log_events.seq < ",
            });
            sql.bind(seq);
        }
        if query.order == Order::Asc && self.dialect() == Dialect::Postgres {
            // Only events whose transaction is older than every write transaction still running
            // in this database: a seq taken before a later one but committed after it would
            // otherwise be skipped by a reader following `after` (migrations/postgres/0006).
            sql.push(" AND log_events.txid::text::bigint < ")
                .push(OLDEST_RUNNING_XID);
        }
        sql.push(match query.order {
            Order::Asc => " ORDER BY log_events.seq ASC LIMIT ",
            Order::Desc => " ORDER BY log_events.seq DESC LIMIT ",
        });
        sql.bind(limit + 1);
        let rows = self.pool.fetch_all(&sql, "list System Log events").await?;
        let events = rows
            .iter()
            .map(|row| {
                let event: LogEvent = serde_json::from_str(&row.text("body")?)
                    .map_err(|_| StoreError::corrupt("System Log event"))?;
                Ok((row.int("seq")?, event))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let page = into_page(events, limit, |(seq, _)| seq.to_string());
        Ok(Page {
            items: page.items.into_iter().map(|(_, e)| e).collect(),
            next_after: page.next_after,
            end_cursor: page.end_cursor,
        })
    }

    pub async fn count_events(&self) -> Result<i64, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) AS n FROM log_events");
        match self
            .pool
            .fetch_optional(&sql, "count System Log events")
            .await?
        {
            Some(row) => row.int("n"),
            None => Ok(0),
        }
    }
}
