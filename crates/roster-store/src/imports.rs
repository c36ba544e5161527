//! Imports: the records each source application holds (table `import_records`), batched user
//! lookups for matching, and the one-transaction write of an import step.
//!
//! An import reads its source in batches; for each batch the caller decides what to create,
//! update, link and add to groups, and [`Store::write_import`] writes all of it — users, their
//! import records, memberships, documents and the System Log events — in one transaction, so a
//! failed batch leaves nothing half-written.

use roster_core::{LogEvent, Timestamp, User};
use serde_json::{Map, Value};

use crate::error::StoreError;
use crate::model::{clamp_limit, Document, Page};
use crate::sql::{DbRow, SqlParam, Tx};
use crate::store::{insert_rows_with, into_page, parse_ts, Store, Table};
use crate::users::{decode_user, user_columns};

/// Ids per `IN (...)` list of a batched lookup.
const IDS_PER_LOOKUP: usize = 500;

/// One record of a source application, as the last import read it.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRecord {
    pub app_id: String,
    /// The source's stable id.
    pub external_id: String,
    /// The Roster user the record is linked to.
    pub user_id: Option<String>,
    /// The app user's user name in the source (`uid`, `sAMAccountName`, the CSV user name).
    pub user_name: String,
    /// `ACTIVE` (in the source and enabled there) or `INACTIVE` (removed or disabled).
    pub status: String,
    /// `LINKED`, `PENDING` (waiting for an administrator's confirmation), `IGNORED` or `ERROR`.
    pub match_state: String,
    /// The import whose confirmation list holds the record, while `PENDING`.
    pub pending_job: Option<String>,
    /// What matching proposed, while `PENDING`: the match kind and the candidate users.
    pub pending: Option<Value>,
    /// The app user profile: the source's attributes, by their names in the source.
    pub profile: Map<String, Value>,
    /// A hash of `profile`, to skip unchanged records cheaply.
    pub digest: String,
    /// When the source last changed the record, when it says.
    pub modified: Option<String>,
    /// The last import that read the record.
    pub seen_job: String,
    pub created: Timestamp,
    pub updated: Timestamp,
}

/// `list_import_records`: one app's records ordered by external id.
#[derive(Debug, Clone, Default)]
pub struct ImportRecordQuery {
    /// Only the records waiting for confirmation in this import.
    pub pending_job: Option<String>,
    /// Only ACTIVE records that this import did not read (a full import's removals).
    pub unseen_by: Option<String>,
    /// Only records linked to a user.
    pub linked_only: bool,
    pub after: Option<String>,
    pub limit: u32,
}

/// Everything one import step writes, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct ImportWrite {
    /// Users to create.
    pub new_users: Vec<User>,
    /// Users to replace, each with the version it was read at; a user changed since is a
    /// [`StoreError::VersionConflict`] and nothing of the step is written.
    pub updated_users: Vec<(User, i64)>,
    /// Import records to create or replace.
    pub records: Vec<ImportRecord>,
    /// `(group_id, user_id)` memberships to add (an existing one is left as it is).
    pub members_added: Vec<(String, String)>,
    /// `(group_id, user_id)` memberships to remove.
    pub members_removed: Vec<(String, String)>,
    /// Documents to create or replace.
    pub documents: Vec<Document>,
    pub events: Vec<LogEvent>,
}

impl ImportWrite {
    pub fn is_empty(&self) -> bool {
        self.new_users.is_empty()
            && self.updated_users.is_empty()
            && self.records.is_empty()
            && self.members_added.is_empty()
            && self.members_removed.is_empty()
            && self.documents.is_empty()
            && self.events.is_empty()
    }
}

const RECORDS: Table = Table {
    name: "import_records",
    columns: &[
        "app_id",
        "external_id",
        "user_id",
        "user_name",
        "status",
        "match_state",
        "pending_job",
        "pending",
        "profile",
        "digest",
        "modified",
        "seen_job",
        "created",
        "updated",
    ],
    json_columns: &[],
};

const RECORD_UPSERT: &str = " ON CONFLICT (app_id, external_id) DO UPDATE SET \
     user_id = excluded.user_id, user_name = excluded.user_name, status = excluded.status, \
     match_state = excluded.match_state, pending_job = excluded.pending_job, \
     pending = excluded.pending, profile = excluded.profile, digest = excluded.digest, \
     modified = excluded.modified, seen_job = excluded.seen_job, updated = excluded.updated";

const MEMBERSHIPS: Table = Table {
    name: "memberships",
    columns: &["group_id", "user_id", "created"],
    json_columns: &[],
};

const RECORD_COLUMNS: &str = "app_id, external_id, user_id, user_name, status, match_state, \
     pending_job, pending, profile, digest, modified, seen_job, created, updated";

fn record_row(r: &ImportRecord) -> Result<Vec<SqlParam>, StoreError> {
    let profile =
        serde_json::to_string(&r.profile).map_err(|_| StoreError::corrupt("import profile"))?;
    let pending = r
        .pending
        .as_ref()
        .map(|p| serde_json::to_string(p).map_err(|_| StoreError::corrupt("import match")))
        .transpose()?;
    Ok(vec![
        SqlParam::Text(r.app_id.clone()),
        SqlParam::Text(r.external_id.clone()),
        r.user_id.clone().into(),
        SqlParam::Text(r.user_name.clone()),
        SqlParam::Text(r.status.clone()),
        SqlParam::Text(r.match_state.clone()),
        r.pending_job.clone().into(),
        pending.into(),
        SqlParam::Text(profile),
        SqlParam::Text(r.digest.clone()),
        r.modified.clone().into(),
        SqlParam::Text(r.seen_job.clone()),
        SqlParam::Text(r.created.to_string()),
        SqlParam::Text(r.updated.to_string()),
    ])
}

fn decode_record(row: &DbRow) -> Result<ImportRecord, StoreError> {
    Ok(ImportRecord {
        app_id: row.text("app_id")?,
        external_id: row.text("external_id")?,
        user_id: row.opt_text("user_id")?,
        user_name: row.text("user_name")?,
        status: row.text("status")?,
        match_state: row.text("match_state")?,
        pending_job: row.opt_text("pending_job")?,
        pending: row
            .opt_text("pending")?
            .map(|t| serde_json::from_str(&t).map_err(|_| StoreError::corrupt("import match")))
            .transpose()?,
        profile: serde_json::from_str(&row.text("profile")?)
            .map_err(|_| StoreError::corrupt("import profile"))?,
        digest: row.text("digest")?,
        modified: row.opt_text("modified")?,
        seen_job: row.text("seen_job")?,
        created: parse_ts(&row.text("created")?, "created")?,
        updated: parse_ts(&row.text("updated")?, "updated")?,
    })
}

impl Store {
    /// The records of `app_id` with these external ids (those that exist), in no order.
    pub async fn import_records(
        &self,
        app_id: &str,
        external_ids: &[String],
    ) -> Result<Vec<ImportRecord>, StoreError> {
        let mut out = Vec::with_capacity(external_ids.len());
        for chunk in external_ids.chunks(IDS_PER_LOOKUP) {
            let mut sql = self.sql();
            sql.push("SELECT ")
                .push(RECORD_COLUMNS)
                .push(" FROM import_records WHERE app_id = ");
            sql.bind(app_id);
            sql.push(" AND external_id IN (");
            sql.bind_list(chunk.iter().map(|id| SqlParam::Text(id.clone())));
            sql.push(")");
            for row in self.pool.fetch_all(&sql, "read import records").await? {
                out.push(decode_record(&row)?);
            }
        }
        Ok(out)
    }

    /// Every record, of any app, linked to one of these users.
    pub async fn import_records_of_users(
        &self,
        user_ids: &[String],
    ) -> Result<Vec<ImportRecord>, StoreError> {
        let mut out = Vec::new();
        for chunk in user_ids.chunks(IDS_PER_LOOKUP) {
            let mut sql = self.sql();
            sql.push("SELECT ")
                .push(RECORD_COLUMNS)
                .push(" FROM import_records WHERE user_id IN (");
            sql.bind_list(chunk.iter().map(|id| SqlParam::Text(id.clone())));
            sql.push(")");
            for row in self
                .pool
                .fetch_all(&sql, "read the import records of users")
                .await?
            {
                out.push(decode_record(&row)?);
            }
        }
        Ok(out)
    }

    /// One app's records, ordered by external id, one page after `query.after`.
    pub async fn list_import_records(
        &self,
        app_id: &str,
        query: &ImportRecordQuery,
    ) -> Result<Page<ImportRecord>, StoreError> {
        let limit = clamp_limit(query.limit);
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(RECORD_COLUMNS)
            .push(" FROM import_records WHERE app_id = ");
        sql.bind(app_id);
        if let Some(job) = &query.pending_job {
            sql.push(" AND pending_job = ");
            sql.bind(job.as_str());
            sql.push(" AND match_state = 'PENDING'");
        }
        if let Some(job) = &query.unseen_by {
            sql.push(" AND status = 'ACTIVE' AND seen_job <> ");
            sql.bind(job.as_str());
        }
        if query.linked_only {
            sql.push(" AND user_id IS NOT NULL");
        }
        if let Some(after) = &query.after {
            sql.push(" AND external_id > ");
            sql.bind(after.as_str());
        }
        sql.push(" ORDER BY external_id LIMIT ");
        sql.bind(limit + 1);
        let rows = self.pool.fetch_all(&sql, "list import records").await?;
        let records = rows
            .iter()
            .map(decode_record)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(records, limit, |r| r.external_id.clone()))
    }

    /// How many of `app_id`'s records are ACTIVE and linked to a user: the base of the import
    /// safeguard's share.
    pub async fn count_linked_import_records(&self, app_id: &str) -> Result<i64, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) AS n FROM import_records WHERE app_id = ");
        sql.bind(app_id);
        sql.push(" AND status = 'ACTIVE' AND user_id IS NOT NULL");
        match self
            .pool
            .fetch_optional(&sql, "count import records")
            .await?
        {
            Some(row) => row.int("n"),
            None => Ok(0),
        }
    }

    /// Forget every record of an app (the app was deleted).
    pub async fn delete_import_records(&self, app_id: &str) -> Result<u64, StoreError> {
        let mut sql = self.sql();
        sql.push("DELETE FROM import_records WHERE app_id = ");
        sql.bind(app_id);
        self.pool.execute(&sql, "delete import records").await
    }

    /// The users with these ids (those that exist), in no order.
    pub async fn users_by_ids(&self, ids: &[String]) -> Result<Vec<User>, StoreError> {
        self.users_where_in("users.id", ids, false).await
    }

    /// The users whose login is one of `logins`, compared without case.
    pub async fn users_by_logins(&self, logins: &[String]) -> Result<Vec<User>, StoreError> {
        self.users_where_in("users.login_lower", logins, true).await
    }

    /// The users whose email is one of `emails`, compared without case.
    pub async fn users_by_emails(&self, emails: &[String]) -> Result<Vec<User>, StoreError> {
        self.users_where_in("users.email_lower", emails, true).await
    }

    async fn users_where_in(
        &self,
        column: &str,
        values: &[String],
        lower: bool,
    ) -> Result<Vec<User>, StoreError> {
        let mut out = Vec::new();
        for chunk in values.chunks(IDS_PER_LOOKUP) {
            let mut sql = self.sql();
            sql.push("SELECT ")
                .push(user_columns(self.dialect()))
                .push(" FROM users WHERE ")
                .push(column)
                .push(" IN (");
            sql.bind_list(
                chunk
                    .iter()
                    .map(|v| SqlParam::Text(if lower { v.to_lowercase() } else { v.clone() })),
            );
            sql.push(")");
            for row in self.pool.fetch_all(&sql, "look up users").await? {
                out.push(decode_user(&row)?);
            }
        }
        Ok(out)
    }

    /// The ids of a group's members, in id order.
    pub async fn member_ids(&self, group_id: &str) -> Result<Vec<String>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT user_id FROM memberships WHERE group_id = ");
        sql.bind(group_id);
        sql.push(" ORDER BY user_id");
        self.pool
            .fetch_all(&sql, "list a group's member ids")
            .await?
            .iter()
            .map(|row| row.text("user_id"))
            .collect()
    }

    /// Write one import step in one transaction (see [`ImportWrite`]) and return the new
    /// versions of the updated users, in order.
    pub async fn write_import(
        &self,
        write: &ImportWrite,
        now: Timestamp,
    ) -> Result<Vec<i64>, StoreError> {
        let dialect = self.dialect();
        let mut tx = self.begin().await?;
        if !write.new_users.is_empty() {
            self.insert_users_in(&mut tx, &write.new_users).await?;
        }
        let mut versions = Vec::with_capacity(write.updated_users.len());
        for (user, expected) in &write.updated_users {
            versions.push(self.update_user_in(&mut tx, user, *expected).await?);
        }
        if !write.records.is_empty() {
            let rows = write
                .records
                .iter()
                .map(record_row)
                .collect::<Result<Vec<_>, _>>()?;
            insert_rows_with(
                &mut tx,
                dialect,
                &RECORDS,
                rows,
                1_000,
                "write import records",
                RECORD_UPSERT,
            )
            .await?;
        }
        self.write_memberships(&mut tx, write, now).await?;
        for doc in &write.documents {
            self.put_document_in(&mut tx, doc, None).await?;
        }
        self.write_events(&mut tx, &write.events).await?;
        tx.commit().await?;
        Ok(versions)
    }

    async fn write_memberships(
        &self,
        tx: &mut Tx,
        write: &ImportWrite,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let dialect = self.dialect();
        if !write.members_added.is_empty() {
            // Collected first: an iterator borrowing `write` must not be held across the
            // statement's await (the future would not be Send).
            let rows: Vec<Vec<SqlParam>> = write
                .members_added
                .iter()
                .map(|(g, u)| {
                    vec![
                        SqlParam::Text(g.clone()),
                        SqlParam::Text(u.clone()),
                        SqlParam::Text(now.to_string()),
                    ]
                })
                .collect();
            insert_rows_with(
                tx,
                dialect,
                &MEMBERSHIPS,
                rows,
                2_000,
                "add group members",
                " ON CONFLICT (group_id, user_id) DO NOTHING",
            )
            .await?;
        }
        for (group_id, user_id) in &write.members_removed {
            let mut sql = self.sql();
            sql.push("DELETE FROM memberships WHERE group_id = ");
            sql.bind(group_id.as_str());
            sql.push(" AND user_id = ");
            sql.bind(user_id.as_str());
            tx.execute(&sql, "remove a group member").await?;
        }
        let mut touched: Vec<&str> = write
            .members_added
            .iter()
            .chain(&write.members_removed)
            .map(|(g, _)| g.as_str())
            .collect();
        touched.sort_unstable();
        touched.dedup();
        for group_id in touched {
            let mut sql = self.sql();
            sql.push("UPDATE groups SET last_membership_updated = ");
            sql.bind(now.to_string());
            sql.push(" WHERE id = ");
            sql.bind(group_id);
            tx.execute(&sql, "update a group's membership time").await?;
        }
        Ok(())
    }
}
