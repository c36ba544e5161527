//! Users.

use roster_core::{Credentials, LogEvent, Provider, ProviderType, Timestamp, User, UserStatus};
use serde_json::{Map, Value};

use crate::compile::{compile_into, Entity};
use crate::error::StoreError;
use crate::model::{clamp_limit, Document, Page, UserQuery};
use crate::sql::{DbRow, Dialect, Sql, SqlParam, Tx};
use crate::store::{
    insert_rows, into_page, opt_ts, parse_opt_ts, parse_ts, push_prefix, Store, Table,
};

const USERS: Table = Table {
    name: "users",
    columns: &[
        "id",
        "status",
        "created",
        "activated",
        "status_changed",
        "last_login",
        "last_updated",
        "password_changed",
        "login",
        "login_lower",
        "email_lower",
        "first_name_lower",
        "last_name_lower",
        "provider_type",
        "provider_name",
        "password_hash",
        "password_history",
        "failed_logins",
        "version",
        "profile",
    ],
    json_columns: &["profile"],
};

/// Rows per multi-row INSERT in [`Store::insert_users_batch`] (20 parameters each).
const USER_ROWS_PER_STATEMENT: usize = 1_600;

pub(crate) fn user_columns(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "users.id, users.status, users.created, users.activated, users.status_changed, users.last_login, \
             users.last_updated, users.password_changed, users.provider_type, users.provider_name, users.password_hash, \
             users.password_history, users.failed_logins, users.version, users.profile AS profile"
        }
        Dialect::Postgres => {
            "users.id, users.status, users.created, users.activated, users.status_changed, users.last_login, \
             users.last_updated, users.password_changed, users.provider_type, users.provider_name, users.password_hash, \
             users.password_history, users.failed_logins, users.version, users.profile::text AS profile"
        }
    }
}

fn lower_profile(user: &User, key: &str) -> SqlParam {
    user.profile_str(key)
        .map_or(SqlParam::Null, |s| SqlParam::Text(s.to_lowercase()))
}

/// The column values of `user`, in [`USERS`] order, with `version` as given.
fn user_row(user: &User, version: i64) -> Result<Vec<SqlParam>, StoreError> {
    let profile =
        serde_json::to_string(&user.profile).map_err(|_| StoreError::corrupt("user profile"))?;
    let history = serde_json::to_string(&user.credentials.password_history)
        .map_err(|_| StoreError::corrupt("password history"))?;
    Ok(vec![
        SqlParam::Text(user.id.clone()),
        SqlParam::Text(user.status.as_str().into()),
        SqlParam::Text(user.created.to_string()),
        opt_ts(user.activated),
        opt_ts(user.status_changed),
        opt_ts(user.last_login),
        SqlParam::Text(user.last_updated.to_string()),
        opt_ts(user.password_changed),
        SqlParam::Text(user.login().to_string()),
        SqlParam::Text(user.login().to_lowercase()),
        lower_profile(user, "email"),
        lower_profile(user, "firstName"),
        lower_profile(user, "lastName"),
        SqlParam::Text(user.credentials.provider.kind.as_str().into()),
        SqlParam::Text(user.credentials.provider.name.clone()),
        user.credentials.password_hash.clone().into(),
        SqlParam::Text(history),
        SqlParam::Int(i64::from(user.failed_logins)),
        SqlParam::Int(version),
        SqlParam::Text(profile),
    ])
}

pub(crate) fn decode_user(row: &DbRow) -> Result<User, StoreError> {
    let status = row.text("status")?;
    let provider_type = row.text("provider_type")?;
    let profile: Map<String, Value> = serde_json::from_str(&row.text("profile")?)
        .map_err(|_| StoreError::corrupt("user profile"))?;
    let password_history: Vec<String> = serde_json::from_str(&row.text("password_history")?)
        .map_err(|_| StoreError::corrupt("password history"))?;
    Ok(User {
        id: row.text("id")?,
        status: UserStatus::parse(&status).ok_or_else(|| StoreError::corrupt("user status"))?,
        created: parse_ts(&row.text("created")?, "created")?,
        activated: parse_opt_ts(row.opt_text("activated")?, "activated")?,
        status_changed: parse_opt_ts(row.opt_text("status_changed")?, "statusChanged")?,
        last_login: parse_opt_ts(row.opt_text("last_login")?, "lastLogin")?,
        last_updated: parse_ts(&row.text("last_updated")?, "lastUpdated")?,
        password_changed: parse_opt_ts(row.opt_text("password_changed")?, "passwordChanged")?,
        profile,
        credentials: Credentials {
            provider: Provider {
                kind: ProviderType::parse(&provider_type)
                    .ok_or_else(|| StoreError::corrupt("credentials provider type"))?,
                name: row.text("provider_name")?,
            },
            password_hash: row.opt_text("password_hash")?,
            password_history,
        },
        failed_logins: u32::try_from(row.int("failed_logins")?)
            .map_err(|_| StoreError::corrupt("failed login count"))?,
        version: row.int("version")?,
    })
}

fn conflict_value(user: &User) -> impl FnOnce(&str) -> Option<String> + '_ {
    move |field| match field {
        "login" => Some(user.login().to_string()),
        "id" => Some(user.id.clone()),
        _ => None,
    }
}

impl Store {
    /// Create a user, writing `events` in the same transaction. A login that differs from an
    /// existing one only by case is a [`StoreError::Conflict`] on `login`.
    pub async fn insert_user(&self, user: &User, events: &[LogEvent]) -> Result<(), StoreError> {
        let dialect = self.dialect();
        let mut tx = self.begin().await?;
        let row = user_row(user, user.version.max(1))?;
        insert_rows(&mut tx, dialect, &USERS, [row], 1, "create a user")
            .await
            .map_err(|e| e.with_conflict_value(conflict_value(user)))?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    /// Create many users in one transaction with multi-row INSERTs: the bulk path for imports
    /// and benchmarks. Either every user (and every event) is written or none is.
    pub async fn insert_users_batch(
        &self,
        users: &[User],
        events: &[LogEvent],
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let written = self.insert_users_in(&mut tx, users).await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// [`Store::insert_users_batch`] inside a caller's transaction, without events. A login
    /// already taken is a [`StoreError::Conflict`] on `login`.
    pub(crate) async fn insert_users_in(
        &self,
        tx: &mut Tx,
        users: &[User],
    ) -> Result<u64, StoreError> {
        let rows = users
            .iter()
            .map(|u| user_row(u, u.version.max(1)))
            .collect::<Result<Vec<_>, _>>()?;
        insert_rows(
            tx,
            self.dialect(),
            &USERS,
            rows,
            USER_ROWS_PER_STATEMENT,
            "create users",
        )
        .await
        .map_err(|e| e.with_conflict_value(|_| None))
    }

    pub async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(user_columns(self.dialect()))
            .push(" FROM users WHERE users.id = ");
        sql.bind(id);
        self.pool
            .fetch_optional(&sql, "read a user")
            .await?
            .as_ref()
            .map(decode_user)
            .transpose()
    }

    /// The user whose login equals `login`, ignoring case.
    pub async fn get_user_by_login(&self, login: &str) -> Result<Option<User>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(user_columns(self.dialect()))
            .push(" FROM users WHERE users.login_lower = ");
        sql.bind(login.to_lowercase());
        self.pool
            .fetch_optional(&sql, "read a user")
            .await?
            .as_ref()
            .map(decode_user)
            .transpose()
    }

    /// Replace a user if its stored version is still `expected_version`; returns the new
    /// version (`expected_version + 1`). The stored `version` is the store's, not `user.version`.
    pub async fn update_user(
        &self,
        user: &User,
        expected_version: i64,
        events: &[LogEvent],
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let new_version = self.update_user_in(&mut tx, user, expected_version).await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(new_version)
    }

    /// Create a user together with its group memberships and, optionally, a document (such as
    /// its one-time activation link), all in one transaction with `events`.
    pub async fn insert_user_with(
        &self,
        user: &User,
        group_ids: &[String],
        document: Option<&Document>,
        now: Timestamp,
        events: &[LogEvent],
    ) -> Result<(), StoreError> {
        let dialect = self.dialect();
        let mut tx = self.begin().await?;
        let row = user_row(user, user.version.max(1))?;
        insert_rows(&mut tx, dialect, &USERS, [row], 1, "create a user")
            .await
            .map_err(|e| e.with_conflict_value(conflict_value(user)))?;
        for group_id in group_ids {
            self.add_member_in(&mut tx, group_id, &user.id, now).await?;
        }
        if let Some(doc) = document {
            self.put_document_in(&mut tx, doc, None).await?;
        }
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    /// Update a user and write (create or replace) a document in one transaction.
    pub async fn update_user_with_document(
        &self,
        user: &User,
        expected_version: i64,
        document: Option<&Document>,
        events: &[LogEvent],
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        let new_version = self.update_user_in(&mut tx, user, expected_version).await?;
        if let Some(doc) = document {
            self.put_document_in(&mut tx, doc, None).await?;
        }
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(new_version)
    }

    /// Update a user and delete the document `kind`/`id` (a one-time link being redeemed) in
    /// one transaction. A document that is already gone is [`StoreError::NotFound`] and nothing
    /// is written, so a link works once even when redeemed twice at the same moment.
    pub async fn update_user_consuming_document(
        &self,
        user: &User,
        expected_version: i64,
        kind: &str,
        id: &str,
        events: &[LogEvent],
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin().await?;
        self.delete_document_in(&mut tx, kind, id).await?;
        let new_version = self.update_user_in(&mut tx, user, expected_version).await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(new_version)
    }

    pub(crate) async fn update_user_in(
        &self,
        tx: &mut Tx,
        user: &User,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let new_version = expected_version + 1;
        let row = user_row(user, new_version)?;
        let mut sql = self.sql();
        sql.push("UPDATE users SET ");
        for (i, (column, value)) in USERS.columns.iter().zip(row).enumerate().skip(1) {
            if i > 1 {
                sql.push(", ");
            }
            sql.push(column).push(" = ");
            if USERS.json_columns.contains(column) {
                if let SqlParam::Text(json) = value {
                    sql.bind_json(json);
                }
            } else {
                sql.bind(value);
            }
        }
        sql.push(" WHERE id = ");
        sql.bind(user.id.as_str());
        sql.push(" AND version = ");
        sql.bind(expected_version);
        let changed = tx
            .execute(&sql, "update a user")
            .await
            .map_err(|e| e.with_conflict_value(conflict_value(user)))?;
        if changed == 0 {
            return Err(stale_or_missing(
                tx,
                self.dialect(),
                "users",
                "user",
                &user.id,
                expected_version,
            )
            .await);
        }
        Ok(new_version)
    }

    /// Delete a user and their group memberships.
    pub async fn delete_user(&self, id: &str, events: &[LogEvent]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let mut sql = self.sql();
        sql.push("DELETE FROM memberships WHERE user_id = ");
        sql.bind(id);
        tx.execute(&sql, "delete a user's memberships").await?;
        let mut sql = self.sql();
        sql.push("DELETE FROM users WHERE id = ");
        sql.bind(id);
        if tx.execute(&sql, "delete a user").await? == 0 {
            return Err(StoreError::NotFound {
                kind: "user",
                id: id.to_string(),
            });
        }
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    /// Users ordered by id, filtered, one page after `query.after`.
    pub async fn list_users(&self, query: &UserQuery) -> Result<Page<User>, StoreError> {
        let limit = clamp_limit(query.limit);
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(user_columns(self.dialect()))
            .push(" FROM users WHERE TRUE");
        if let Some(filter) = &query.filter {
            sql.push(" AND (");
            compile_into(&mut sql, filter, Entity::Users)?;
            sql.push(")");
        }
        if let Some(q) = &query.q {
            let prefix = q.to_lowercase();
            sql.push(" AND (");
            for (i, column) in [
                "users.login_lower",
                "users.email_lower",
                "users.first_name_lower",
                "users.last_name_lower",
            ]
            .iter()
            .enumerate()
            {
                if i > 0 {
                    sql.push(" OR ");
                }
                push_prefix(&mut sql, column, &prefix);
            }
            sql.push(")");
        }
        if let Some(after) = &query.after {
            sql.push(" AND users.id > ");
            sql.bind(after.as_str());
        }
        sql.push(" ORDER BY users.id LIMIT ");
        sql.bind(limit + 1);
        let rows = self.pool.fetch_all(&sql, "list users").await?;
        let users = rows
            .iter()
            .map(decode_user)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(users, limit, |u| u.id.clone()))
    }

    /// How many users are in each status (statuses with none are left out), by status name.
    pub async fn count_users_by_status(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT status, COUNT(*) AS n FROM users GROUP BY status ORDER BY status");
        let rows = self.pool.fetch_all(&sql, "count users by status").await?;
        rows.iter()
            .map(|row| Ok((row.text("status")?, row.int("n")?)))
            .collect()
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT COUNT(*) AS n FROM users");
        match self.pool.fetch_optional(&sql, "count users").await? {
            Some(row) => row.int("n"),
            None => Ok(0),
        }
    }
}

/// After an optimistic UPDATE changed nothing: the object is gone, or its version moved on.
pub(crate) async fn stale_or_missing(
    tx: &mut crate::sql::Tx,
    dialect: Dialect,
    table: &'static str,
    kind: &'static str,
    id: &str,
    expected: i64,
) -> StoreError {
    let mut sql = Sql::new(dialect);
    sql.push("SELECT version FROM ")
        .push(table)
        .push(" WHERE id = ");
    sql.bind(id);
    match tx.fetch_optional(&sql, "read a version").await {
        Ok(Some(row)) => match row.int("version") {
            Ok(actual) => StoreError::VersionConflict {
                kind,
                id: id.to_string(),
                expected,
                actual,
            },
            Err(e) => e,
        },
        Ok(None) => StoreError::NotFound {
            kind,
            id: id.to_string(),
        },
        Err(e) => e,
    }
}
