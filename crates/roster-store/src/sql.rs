//! The thin layer between Roster's queries and sqlx: a statement builder that numbers
//! placeholders per dialect, and enums over the two backends' transactions and rows so the
//! repository code is written once.

use std::fmt::Write as _;

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Postgres, Row as _, Sqlite, Transaction};

use crate::error::StoreError;

/// The SQL dialect of a [`crate::Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// How many bind parameters one statement may carry.
    pub(crate) fn max_params(self) -> usize {
        match self {
            Dialect::Sqlite => 32_766,
            Dialect::Postgres => 65_535,
        }
    }
}

/// A value bound to a placeholder. Values never become part of the SQL text.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A NULL of text type.
    Null,
    /// PostgreSQL arrays, for bulk inserts with `UNNEST` (never bound in SQLite).
    TextArray(Vec<Option<String>>),
    IntArray(Vec<Option<i64>>),
    BoolArray(Vec<Option<bool>>),
}

impl From<&str> for SqlParam {
    fn from(s: &str) -> Self {
        SqlParam::Text(s.to_string())
    }
}

impl From<String> for SqlParam {
    fn from(s: String) -> Self {
        SqlParam::Text(s)
    }
}

impl From<Option<String>> for SqlParam {
    fn from(s: Option<String>) -> Self {
        s.map_or(SqlParam::Null, SqlParam::Text)
    }
}

impl From<i64> for SqlParam {
    fn from(i: i64) -> Self {
        SqlParam::Int(i)
    }
}

impl From<bool> for SqlParam {
    fn from(b: bool) -> Self {
        SqlParam::Bool(b)
    }
}

/// A statement under construction: SQL text with placeholders and the values they stand for.
#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub(crate) dialect: Dialect,
    pub(crate) text: String,
    pub(crate) params: Vec<SqlParam>,
}

impl Sql {
    pub(crate) fn new(dialect: Dialect) -> Self {
        Sql {
            dialect,
            text: String::new(),
            params: Vec::new(),
        }
    }

    /// Append SQL text. Only ever called with text written in this crate.
    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Append a placeholder bound to `value`.
    pub(crate) fn bind(&mut self, value: impl Into<SqlParam>) -> &mut Self {
        self.params.push(value.into());
        match self.dialect {
            Dialect::Sqlite => self.text.push('?'),
            Dialect::Postgres => {
                let _ = write!(self.text, "${}", self.params.len());
            }
        }
        self
    }

    /// Append a placeholder for JSON text (`jsonb` in PostgreSQL, TEXT in SQLite).
    pub(crate) fn bind_json(&mut self, json: String) -> &mut Self {
        self.bind(json);
        if self.dialect == Dialect::Postgres {
            self.text.push_str("::jsonb");
        }
        self
    }

    /// Append a comma-separated list of placeholders, one per value.
    pub(crate) fn bind_list(&mut self, values: impl IntoIterator<Item = SqlParam>) -> &mut Self {
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self
    }

    /// The expression that reads a JSON column back as text.
    pub(crate) fn json_text(&self, column: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => column.to_string(),
            Dialect::Postgres => format!("{column}::text"),
        }
    }
}

fn bind_sqlite(sql: &Sql) -> Query<'_, Sqlite, SqliteArguments<'_>> {
    let mut query = sqlx::query(&sql.text);
    for param in &sql.params {
        query = match param {
            SqlParam::Text(s) => query.bind(s.as_str()),
            SqlParam::Int(i) => query.bind(*i),
            SqlParam::Float(f) => query.bind(*f),
            SqlParam::Bool(b) => query.bind(*b),
            SqlParam::Null => query.bind(None::<String>),
            // Arrays exist only in PostgreSQL statements.
            SqlParam::TextArray(_) | SqlParam::IntArray(_) | SqlParam::BoolArray(_) => {
                query.bind(None::<String>)
            }
        };
    }
    query
}

fn bind_postgres(sql: &Sql) -> Query<'_, Postgres, PgArguments> {
    let mut query = sqlx::query(&sql.text);
    for param in &sql.params {
        query = match param {
            SqlParam::Text(s) => query.bind(s.as_str()),
            SqlParam::Int(i) => query.bind(*i),
            SqlParam::Float(f) => query.bind(*f),
            SqlParam::Bool(b) => query.bind(*b),
            SqlParam::Null => query.bind(None::<String>),
            SqlParam::TextArray(values) => query.bind(values.as_slice()),
            SqlParam::IntArray(values) => query.bind(values.as_slice()),
            SqlParam::BoolArray(values) => query.bind(values.as_slice()),
        };
    }
    query
}

/// A connection pool of either backend.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Pool {
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            Pool::Sqlite(_) => Dialect::Sqlite,
            Pool::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Begin a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so
    /// concurrent writers wait on `busy_timeout` instead of failing halfway through.
    pub(crate) async fn begin(&self) -> Result<Tx, StoreError> {
        match self {
            Pool::Sqlite(pool) => pool.begin_with("BEGIN IMMEDIATE").await.map(Tx::Sqlite),
            Pool::Postgres(pool) => pool.begin().await.map(Tx::Postgres),
        }
        .map_err(StoreError::db("begin a transaction"))
    }

    pub(crate) async fn fetch_all(
        &self,
        sql: &Sql,
        operation: &'static str,
    ) -> Result<Vec<DbRow>, StoreError> {
        match self {
            Pool::Sqlite(pool) => bind_sqlite(sql)
                .fetch_all(pool)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Sqlite).collect()),
            Pool::Postgres(pool) => bind_postgres(sql)
                .fetch_all(pool)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Postgres).collect()),
        }
        .map_err(StoreError::db(operation))
    }

    pub(crate) async fn fetch_optional(
        &self,
        sql: &Sql,
        operation: &'static str,
    ) -> Result<Option<DbRow>, StoreError> {
        match self {
            Pool::Sqlite(pool) => bind_sqlite(sql)
                .fetch_optional(pool)
                .await
                .map(|row| row.map(DbRow::Sqlite)),
            Pool::Postgres(pool) => bind_postgres(sql)
                .fetch_optional(pool)
                .await
                .map(|row| row.map(DbRow::Postgres)),
        }
        .map_err(StoreError::db(operation))
    }

    pub(crate) async fn execute(
        &self,
        sql: &Sql,
        operation: &'static str,
    ) -> Result<u64, StoreError> {
        match self {
            Pool::Sqlite(pool) => bind_sqlite(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            Pool::Postgres(pool) => bind_postgres(sql)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
        }
        .map_err(StoreError::db(operation))
    }

    pub(crate) async fn close(&self) {
        match self {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// An open write transaction. Dropping it without [`Tx::commit`] rolls everything back.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn execute(
        &mut self,
        sql: &Sql,
        operation: &'static str,
    ) -> Result<u64, StoreError> {
        match self {
            Tx::Sqlite(tx) => bind_sqlite(sql)
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
            Tx::Postgres(tx) => bind_postgres(sql)
                .execute(&mut **tx)
                .await
                .map(|r| r.rows_affected()),
        }
        .map_err(StoreError::db(operation))
    }

    pub(crate) async fn fetch_optional(
        &mut self,
        sql: &Sql,
        operation: &'static str,
    ) -> Result<Option<DbRow>, StoreError> {
        match self {
            Tx::Sqlite(tx) => bind_sqlite(sql)
                .fetch_optional(&mut **tx)
                .await
                .map(|row| row.map(DbRow::Sqlite)),
            Tx::Postgres(tx) => bind_postgres(sql)
                .fetch_optional(&mut **tx)
                .await
                .map(|row| row.map(DbRow::Postgres)),
        }
        .map_err(StoreError::db(operation))
    }

    pub(crate) async fn fetch_all(
        &mut self,
        sql: &Sql,
        operation: &'static str,
    ) -> Result<Vec<DbRow>, StoreError> {
        match self {
            Tx::Sqlite(tx) => bind_sqlite(sql)
                .fetch_all(&mut **tx)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Sqlite).collect()),
            Tx::Postgres(tx) => bind_postgres(sql)
                .fetch_all(&mut **tx)
                .await
                .map(|rows| rows.into_iter().map(DbRow::Postgres).collect()),
        }
        .map_err(StoreError::db(operation))
    }

    pub(crate) async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(StoreError::db("commit a transaction"))
    }
}

/// A result row of either backend, read by column name.
pub(crate) enum DbRow {
    Sqlite(SqliteRow),
    Postgres(PgRow),
}

impl DbRow {
    pub(crate) fn text(&self, column: &str) -> Result<String, StoreError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<String, _>(column),
            DbRow::Postgres(row) => row.try_get::<String, _>(column),
        }
        .map_err(|_| StoreError::corrupt(format!("column {column}")))
    }

    pub(crate) fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<Option<String>, _>(column),
            DbRow::Postgres(row) => row.try_get::<Option<String>, _>(column),
        }
        .map_err(|_| StoreError::corrupt(format!("column {column}")))
    }

    pub(crate) fn int(&self, column: &str) -> Result<i64, StoreError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<i64, _>(column),
            DbRow::Postgres(row) => row.try_get::<i64, _>(column),
        }
        .map_err(|_| StoreError::corrupt(format!("column {column}")))
    }

    pub(crate) fn boolean(&self, column: &str) -> Result<bool, StoreError> {
        match self {
            DbRow::Sqlite(row) => row.try_get::<bool, _>(column),
            DbRow::Postgres(row) => row.try_get::<bool, _>(column),
        }
        .map_err(|_| StoreError::corrupt(format!("column {column}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_per_dialect() {
        let mut s = Sql::new(Dialect::Sqlite);
        s.push("a = ").bind("x").push(" AND b = ").bind(1i64);
        assert_eq!(s.text, "a = ? AND b = ?");
        let mut p = Sql::new(Dialect::Postgres);
        p.push("a = ")
            .bind("x")
            .push(" AND b = ")
            .bind_json("{}".into());
        assert_eq!(p.text, "a = $1 AND b = $2::jsonb");
        assert_eq!(p.params.len(), 2);
    }
}
