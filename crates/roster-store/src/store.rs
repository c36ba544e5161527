//! [`Store`]: opening a database, migrations, and helpers shared by the repositories.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use roster_core::event::Severity;
use roster_core::{LogEvent, Timestamp};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::Connection as _;

use crate::error::StoreError;
use crate::model::Page;
use crate::sql::{Dialect, Pool, Sql, SqlParam, Tx};

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The file name of the embedded database inside a data directory.
pub const SQLITE_FILE_NAME: &str = "roster.db";

const SQLITE_POOL_SIZE: u32 = 4;
const POSTGRES_POOL_SIZE: u32 = 10;
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// PostgreSQL: how long a request waits for a connection. A server that is down or restarting
/// makes every connect fail, and sqlx keeps trying until this ends: short, so that requests
/// answer 503 at once instead of hanging (a saturated pool answers 503 too, "busy").
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Roster's storage over SQLite or PostgreSQL. Cheap to clone: clones share one pool.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) pool: Pool,
    /// Change outbox entries the next mutation through this handle writes (`outbox.rs`).
    pub(crate) staged: Option<std::sync::Arc<crate::outbox::Staged>>,
}

impl Store {
    /// Open `sqlite://PATH` (created when missing; `sqlite::memory:` for a private in-memory
    /// database) or `postgres://...`, and apply the migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url).map_err(|_| StoreError::Config {
                message: "the sqlite:// URL cannot be parsed".into(),
            })?;
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            Self::open_sqlite(options, in_memory).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // The URL may hold a password: never repeat it in an error.
            let options = PgConnectOptions::from_str(url).map_err(|_| StoreError::Config {
                message: "the postgres:// URL cannot be parsed".into(),
            })?;
            Self::open_postgres(options).await
        } else {
            Err(StoreError::Config {
                message: "the database URL must start with sqlite:// or postgres://".into(),
            })
        }
    }

    /// Open (creating it and the directory when missing) the embedded database `DIR/roster.db`.
    pub async fn open_data_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Config {
            message: format!("cannot create the data directory {}: {e}", dir.display()),
        })?;
        let options = SqliteConnectOptions::new().filename(dir.join(SQLITE_FILE_NAME));
        Self::open_sqlite(options, false).await
    }

    async fn open_sqlite(
        options: SqliteConnectOptions,
        in_memory: bool,
    ) -> Result<Store, StoreError> {
        let options = options
            .create_if_missing(true)
            .journal_mode(if in_memory {
                SqliteJournalMode::Memory
            } else {
                SqliteJournalMode::Wal
            })
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            // 32 MiB of page cache per connection (the default is 2 MiB): bulk imports keep
            // the indexes they update in memory.
            .pragma("cache_size", "-32768")
            .pragma("temp_store", "memory");
        let mut pool_options = SqlitePoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
        pool_options = if in_memory {
            // Every connection to `:memory:` is its own database: keep exactly one, forever.
            pool_options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            pool_options.max_connections(SQLITE_POOL_SIZE)
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(StoreError::db("open the SQLite database"))?;
        SQLITE_MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migration { source })?;
        tracing::debug!("opened SQLite store");
        Ok(Store {
            pool: Pool::Sqlite(pool),
            staged: None,
        })
    }

    async fn open_postgres(options: PgConnectOptions) -> Result<Store, StoreError> {
        // One direct connection first: an unreachable server or a refused login fails at once
        // instead of being retried by the pool until its acquire timeout.
        let probe = PgConnection::connect_with(&options)
            .await
            .map_err(StoreError::db("connect to PostgreSQL"))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_POOL_SIZE)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(StoreError::db("connect to PostgreSQL"))?;
        POSTGRES_MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migration { source })?;
        tracing::debug!("opened PostgreSQL store");
        Ok(Store {
            pool: Pool::Postgres(pool),
            staged: None,
        })
    }

    /// Which database this store talks to.
    pub fn dialect(&self) -> Dialect {
        self.pool.dialect()
    }

    /// Close every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn sql(&self) -> Sql {
        Sql::new(self.dialect())
    }

    /// Begin the transaction of one mutation: the change and its System Log events are
    /// written in it, and dropping it uncommitted after any failure writes neither.
    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        self.pool.begin().await
    }
}

// ---- shared helpers ---------------------------------------------------------------------

/// A table for multi-row inserts.
pub(crate) struct Table {
    pub(crate) name: &'static str,
    pub(crate) columns: &'static [&'static str],
    /// Columns that hold JSON (cast to jsonb in PostgreSQL).
    pub(crate) json_columns: &'static [&'static str],
}

/// Insert `rows` into `table` in one or more statements, inside the caller's transaction.
///
/// SQLite: multi-row `INSERT ... VALUES (...), (...)` of at most `max_rows` rows and never
/// more than SQLite's 32,766 parameters. PostgreSQL: `INSERT ... SELECT ... FROM UNNEST($1,
/// ..., $n)` with one array parameter per column, [`POSTGRES_ROWS_PER_STATEMENT`] rows at a
/// time, so the statement text is the same whatever the row count. Either way, statements
/// repeat their text, so the driver's prepared-statement cache reuses them.
pub(crate) async fn insert_rows(
    tx: &mut Tx,
    dialect: Dialect,
    table: &Table,
    rows: impl IntoIterator<Item = Vec<SqlParam>>,
    max_rows: usize,
    operation: &'static str,
) -> Result<u64, StoreError> {
    insert_rows_with(tx, dialect, table, rows, max_rows, operation, "").await
}

/// [`insert_rows`] with `suffix` (an `ON CONFLICT ...` clause, the same in both dialects)
/// after every statement.
pub(crate) async fn insert_rows_with(
    tx: &mut Tx,
    dialect: Dialect,
    table: &Table,
    rows: impl IntoIterator<Item = Vec<SqlParam>>,
    max_rows: usize,
    operation: &'static str,
    suffix: &str,
) -> Result<u64, StoreError> {
    let per_statement = match dialect {
        Dialect::Sqlite => max_rows.min(dialect.max_params() / table.columns.len()),
        Dialect::Postgres => POSTGRES_ROWS_PER_STATEMENT,
    }
    .max(1);
    let statement = |chunk: Vec<Vec<SqlParam>>| {
        let mut sql = match dialect {
            Dialect::Sqlite => values_statement(dialect, table, chunk),
            Dialect::Postgres => unnest_statement(table, chunk),
        };
        sql.push(suffix);
        sql
    };
    let mut chunk: Vec<Vec<SqlParam>> = Vec::with_capacity(per_statement.min(1024));
    let mut written = 0;
    for row in rows {
        chunk.push(row);
        if chunk.len() == per_statement {
            written += tx
                .execute(&statement(std::mem::take(&mut chunk)), operation)
                .await?;
        }
    }
    if !chunk.is_empty() {
        written += tx.execute(&statement(chunk), operation).await?;
    }
    Ok(written)
}

/// Rows per `INSERT ... SELECT FROM UNNEST` statement in PostgreSQL.
const POSTGRES_ROWS_PER_STATEMENT: usize = 5_000;

fn values_statement(dialect: Dialect, table: &Table, rows: Vec<Vec<SqlParam>>) -> Sql {
    let mut sql = Sql::new(dialect);
    sql.text.reserve(64 + rows.len() * table.columns.len() * 8);
    sql.params.reserve(rows.len() * table.columns.len());
    sql.push("INSERT INTO ")
        .push(table.name)
        .push(" (")
        .push(&table.columns.join(", "))
        .push(") VALUES ");
    for (i, row) in rows.into_iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        for (j, (value, column)) in row.into_iter().zip(table.columns.iter()).enumerate() {
            if j > 0 {
                sql.push(", ");
            }
            if table.json_columns.contains(column) {
                match value {
                    SqlParam::Text(json) => sql.bind_json(json),
                    other => sql.bind(other),
                };
            } else {
                sql.bind(value);
            }
        }
        sql.push(")");
    }
    sql
}

/// `INSERT INTO t (a, b) SELECT u.a, u.b::jsonb FROM UNNEST($1::text[], $2::text[]) AS u(a, b)`.
fn unnest_statement(table: &Table, rows: Vec<Vec<SqlParam>>) -> Sql {
    let width = table.columns.len();
    let mut columns: Vec<Vec<SqlParam>> =
        (0..width).map(|_| Vec::with_capacity(rows.len())).collect();
    for row in rows {
        for (column, value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
    }
    let mut sql = Sql::new(Dialect::Postgres);
    sql.push("INSERT INTO ")
        .push(table.name)
        .push(" (")
        .push(&table.columns.join(", "))
        .push(") SELECT ");
    for (i, name) in table.columns.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push("u.").push(name);
        if table.json_columns.contains(name) {
            sql.push("::jsonb");
        }
    }
    sql.push(" FROM UNNEST(");
    for (i, values) in columns.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        let (array, sql_type) = column_array(values);
        sql.bind(array);
        sql.push("::").push(sql_type);
    }
    sql.push(") AS u(")
        .push(&table.columns.join(", "))
        .push(")");
    sql
}

/// One column's values as a PostgreSQL array parameter, and its SQL array type. The type
/// follows the values: integers, booleans, or text (JSON is bound as text and cast).
fn column_array(values: Vec<SqlParam>) -> (SqlParam, &'static str) {
    if values.iter().any(|v| matches!(v, SqlParam::Int(_))) {
        let ints = values
            .into_iter()
            .map(|v| {
                if let SqlParam::Int(i) = v {
                    Some(i)
                } else {
                    None
                }
            })
            .collect();
        (SqlParam::IntArray(ints), "bigint[]")
    } else if values.iter().any(|v| matches!(v, SqlParam::Bool(_))) {
        let bools = values
            .into_iter()
            .map(|v| {
                if let SqlParam::Bool(b) = v {
                    Some(b)
                } else {
                    None
                }
            })
            .collect();
        (SqlParam::BoolArray(bools), "boolean[]")
    } else {
        let texts = values
            .into_iter()
            .map(|v| {
                if let SqlParam::Text(t) = v {
                    Some(t)
                } else {
                    None
                }
            })
            .collect();
        (SqlParam::TextArray(texts), "text[]")
    }
}

const EVENTS: Table = Table {
    name: "log_events",
    columns: &[
        "uuid",
        "published",
        "event_type",
        "severity",
        "outcome_result",
        "actor_id",
        "body",
    ],
    json_columns: &["body"],
};

/// Rows per statement for events written alongside a change, and for bulk appends.
pub(crate) const EVENT_ROWS_PER_STATEMENT: usize = 1_000;

pub(crate) fn severity_str(severity: Severity) -> &'static str {
    match severity {
        Severity::Debug => "DEBUG",
        Severity::Info => "INFO",
        Severity::Warn => "WARN",
        Severity::Error => "ERROR",
    }
}

fn event_row(event: &LogEvent) -> Result<Vec<SqlParam>, StoreError> {
    let body = serde_json::to_string(event).map_err(|_| StoreError::corrupt("log event"))?;
    Ok(vec![
        SqlParam::Text(event.uuid.clone()),
        SqlParam::Text(event.published.to_string()),
        SqlParam::Text(event.event_type.to_lowercase()),
        SqlParam::Text(severity_str(event.severity).to_string()),
        SqlParam::Text(event.outcome.result.to_uppercase()),
        SqlParam::Text(event.actor.id.clone()),
        SqlParam::Text(body),
    ])
}

impl Store {
    /// Write System Log events inside the caller's transaction, with the change outbox entries
    /// staged on this handle ([`Store::with_outbox`]): every mutation calls this, so a change,
    /// its events and what it sets off are written together or not at all.
    pub(crate) async fn write_events(
        &self,
        tx: &mut Tx,
        events: &[LogEvent],
    ) -> Result<(), StoreError> {
        self.write_outbox(tx).await?;
        if events.is_empty() {
            return Ok(());
        }
        let rows = events
            .iter()
            .map(event_row)
            .collect::<Result<Vec<_>, _>>()?;
        insert_rows(
            tx,
            self.dialect(),
            &EVENTS,
            rows,
            EVENT_ROWS_PER_STATEMENT,
            "write System Log events",
        )
        .await
        .map_err(|e| e.with_conflict_value(|_| None))?;
        Ok(())
    }
}

pub(crate) fn parse_ts(text: &str, what: &str) -> Result<Timestamp, StoreError> {
    Timestamp::parse(text).ok_or_else(|| StoreError::corrupt(format!("{what} timestamp")))
}

pub(crate) fn parse_opt_ts(
    text: Option<String>,
    what: &str,
) -> Result<Option<Timestamp>, StoreError> {
    text.map(|t| parse_ts(&t, what)).transpose()
}

pub(crate) fn opt_ts(ts: Option<Timestamp>) -> SqlParam {
    ts.map_or(SqlParam::Null, |t| SqlParam::Text(t.to_string()))
}

/// Cut a page fetched with `limit + 1` rows down to `limit`, with cursors taken by `cursor`.
pub(crate) fn into_page<T>(
    mut items: Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> String,
) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = items.len() > limit;
    items.truncate(limit);
    let end_cursor = items.last().map(&cursor);
    let next_after = if more { end_cursor.clone() } else { None };
    Page {
        items,
        next_after,
        end_cursor,
    }
}

/// A prefix search that stays on the column's index: `column >= p AND column < p || U+10FFFF`.
pub(crate) fn push_prefix(sql: &mut Sql, column: &str, prefix: &str) {
    sql.push("(").push(column).push(" >= ");
    sql.bind(prefix);
    sql.push(" AND ").push(column).push(" < ");
    sql.bind(format!("{prefix}\u{10FFFF}"));
    sql.push(")");
}
