//! Documents: password policies, the profile schema and other core types kept as JSON.

use roster_core::LogEvent;

use crate::error::StoreError;
use crate::model::Document;
use crate::sql::{DbRow, Dialect, Sql, SqlParam, Tx};
use crate::store::{parse_ts, Store};

fn document_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "kind, id, priority, body, version, updated",
        Dialect::Postgres => "kind, id, priority, body::text AS body, version, updated",
    }
}

fn decode_document(row: &DbRow) -> Result<Document, StoreError> {
    Ok(Document {
        kind: row.text("kind")?,
        id: row.text("id")?,
        priority: row.int("priority")?,
        body: serde_json::from_str(&row.text("body")?)
            .map_err(|_| StoreError::corrupt("document body"))?,
        version: row.int("version")?,
        updated: parse_ts(&row.text("updated")?, "updated")?,
    })
}

impl Store {
    /// Write a document and return its new version. `expected_version`:
    /// - `None`: create it (version 1) or replace it unconditionally;
    /// - `Some(0)`: create it; a [`StoreError::Conflict`] on `id` when it exists;
    /// - `Some(v)`: replace it only if its version is still `v`.
    ///
    /// `doc.version` is ignored: versions are the store's.
    pub async fn put_document(
        &self,
        doc: &Document,
        expected_version: Option<i64>,
        events: &[LogEvent],
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let version = self.put_document_in(&mut tx, doc, expected_version).await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(version)
    }

    /// Replace a document only if it exists (any version), inside a caller's transaction.
    /// Returns whether it did.
    pub(crate) async fn replace_document_in(
        &self,
        tx: &mut Tx,
        doc: &Document,
    ) -> Result<bool, StoreError> {
        let body =
            serde_json::to_string(&doc.body).map_err(|_| StoreError::corrupt("document body"))?;
        let mut sql = self.sql();
        sql.push("UPDATE documents SET priority = ");
        sql.bind(doc.priority);
        sql.push(", body = ");
        sql.bind_json(body);
        sql.push(", updated = ");
        sql.bind(doc.updated.to_string());
        sql.push(", version = version + 1 WHERE kind = ");
        sql.bind(doc.kind.as_str());
        sql.push(" AND id = ");
        sql.bind(doc.id.as_str());
        Ok(tx.execute(&sql, "replace a document").await? > 0)
    }

    /// [`Store::put_document`] inside a caller's transaction, without events.
    pub(crate) async fn put_document_in(
        &self,
        tx: &mut Tx,
        doc: &Document,
        expected_version: Option<i64>,
    ) -> Result<i64, StoreError> {
        let body =
            serde_json::to_string(&doc.body).map_err(|_| StoreError::corrupt("document body"))?;
        let version = match expected_version {
            Some(v) if v > 0 => {
                let mut sql = self.sql();
                sql.push("UPDATE documents SET priority = ");
                sql.bind(doc.priority);
                sql.push(", body = ");
                sql.bind_json(body);
                sql.push(", updated = ");
                sql.bind(doc.updated.to_string());
                sql.push(", version = ");
                sql.bind(v + 1);
                sql.push(" WHERE kind = ");
                sql.bind(doc.kind.as_str());
                sql.push(" AND id = ");
                sql.bind(doc.id.as_str());
                sql.push(" AND version = ");
                sql.bind(v);
                if tx.execute(&sql, "update a document").await? == 0 {
                    let mut check = self.sql();
                    check.push("SELECT version FROM documents WHERE kind = ");
                    check.bind(doc.kind.as_str());
                    check.push(" AND id = ");
                    check.bind(doc.id.as_str());
                    return Err(
                        match tx.fetch_optional(&check, "read a document version").await? {
                            Some(row) => StoreError::VersionConflict {
                                kind: "document",
                                id: doc.id.clone(),
                                expected: v,
                                actual: row.int("version")?,
                            },
                            None => StoreError::NotFound {
                                kind: "document",
                                id: doc.id.clone(),
                            },
                        },
                    );
                }
                v + 1
            }
            create_only => {
                let mut sql = self.sql();
                sql.push(
                    "INSERT INTO documents (kind, id, priority, body, version, updated) VALUES (",
                );
                push_values(&mut sql, doc, body);
                if create_only.is_some() {
                    sql.push(")");
                    tx.execute(&sql, "create a document").await.map_err(|e| {
                        e.with_conflict_value(|_| Some(format!("{}/{}", doc.kind, doc.id)))
                    })?;
                    1
                } else {
                    sql.push(
                        ") ON CONFLICT (kind, id) DO UPDATE SET priority = excluded.priority, body = excluded.body, \
                         updated = excluded.updated, version = documents.version + 1 RETURNING version",
                    );
                    match tx.fetch_optional(&sql, "write a document").await? {
                        Some(row) => row.int("version")?,
                        None => return Err(StoreError::corrupt("document version")),
                    }
                }
            }
        };
        Ok(version)
    }

    pub async fn get_document(&self, kind: &str, id: &str) -> Result<Option<Document>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(document_columns(self.dialect()))
            .push(" FROM documents WHERE kind = ");
        sql.bind(kind);
        sql.push(" AND id = ");
        sql.bind(id);
        self.pool
            .fetch_optional(&sql, "read a document")
            .await?
            .as_ref()
            .map(decode_document)
            .transpose()
    }

    /// Documents of `kind`, ordered by priority, then id.
    pub async fn list_documents(&self, kind: &str) -> Result<Vec<Document>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(document_columns(self.dialect()))
            .push(" FROM documents WHERE kind = ");
        sql.bind(kind);
        sql.push(" ORDER BY priority, id");
        let rows = self.pool.fetch_all(&sql, "list documents").await?;
        rows.iter().map(decode_document).collect()
    }

    pub async fn delete_document(
        &self,
        kind: &str,
        id: &str,
        events: &[LogEvent],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        self.delete_document_in(&mut tx, kind, id).await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    /// Delete a document only if its version is still `version`. Returns whether it did (a
    /// document replaced or deleted meanwhile is left as it is).
    pub async fn delete_document_version(
        &self,
        kind: &str,
        id: &str,
        version: i64,
    ) -> Result<bool, StoreError> {
        let mut sql = self.sql();
        sql.push("DELETE FROM documents WHERE kind = ");
        sql.bind(kind);
        sql.push(" AND id = ");
        sql.bind(id);
        sql.push(" AND version = ");
        sql.bind(version);
        Ok(self.pool.execute(&sql, "delete a document").await? > 0)
    }

    /// [`Store::delete_document`] inside a caller's transaction, without events.
    pub(crate) async fn delete_document_in(
        &self,
        tx: &mut Tx,
        kind: &str,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("DELETE FROM documents WHERE kind = ");
        sql.bind(kind);
        sql.push(" AND id = ");
        sql.bind(id);
        if tx.execute(&sql, "delete a document").await? == 0 {
            return Err(StoreError::NotFound {
                kind: "document",
                id: id.to_string(),
            });
        }
        Ok(())
    }
}

fn push_values(sql: &mut Sql, doc: &Document, body: String) {
    sql.bind_list([
        SqlParam::Text(doc.kind.clone()),
        SqlParam::Text(doc.id.clone()),
        SqlParam::Int(doc.priority),
    ]);
    sql.push(", ");
    sql.bind_json(body);
    sql.push(", ");
    sql.bind_list([SqlParam::Int(1), SqlParam::Text(doc.updated.to_string())]);
}
