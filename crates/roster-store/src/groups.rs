//! Groups and memberships.

use roster_core::{Group, GroupKind, LogEvent, Timestamp, User};

use crate::compile::{compile_into, Entity};
use crate::error::StoreError;
use crate::model::{clamp_limit, GroupQuery, Page};
use crate::sql::{DbRow, SqlParam, Tx};
use crate::store::{into_page, parse_ts, push_prefix, Store};
use crate::users::{decode_user, stale_or_missing, user_columns};

const GROUP_COLUMNS: &str =
    "groups.id, groups.kind, groups.name, groups.description, groups.app_id, groups.created, \
                             groups.last_updated, groups.last_membership_updated, groups.version";

fn decode_group(row: &DbRow) -> Result<Group, StoreError> {
    let kind = row.text("kind")?;
    Ok(Group {
        id: row.text("id")?,
        kind: GroupKind::parse(&kind).ok_or_else(|| StoreError::corrupt("group type"))?,
        name: row.text("name")?,
        description: row.opt_text("description")?,
        app_id: row.opt_text("app_id")?,
        created: parse_ts(&row.text("created")?, "created")?,
        last_updated: parse_ts(&row.text("last_updated")?, "lastUpdated")?,
        last_membership_updated: parse_ts(
            &row.text("last_membership_updated")?,
            "lastMembershipUpdated",
        )?,
        version: row.int("version")?,
    })
}

fn conflict_value(group: &Group) -> impl FnOnce(&str) -> Option<String> + '_ {
    move |field| match field {
        "name" => Some(group.name.clone()),
        "id" => Some(group.id.clone()),
        _ => None,
    }
}

impl Store {
    /// Create a group. A name that differs from an existing one only by case is a
    /// [`StoreError::Conflict`] on `name`.
    pub async fn insert_group(&self, group: &Group, events: &[LogEvent]) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push(
            "INSERT INTO groups (id, kind, name, name_lower, description, description_lower, app_id, created, \
             last_updated, last_membership_updated, version) VALUES (",
        );
        sql.bind_list([
            SqlParam::Text(group.id.clone()),
            SqlParam::Text(group.kind.as_str().into()),
            SqlParam::Text(group.name.clone()),
            SqlParam::Text(group.name.to_lowercase()),
            group.description.clone().into(),
            group.description.as_ref().map(|d| d.to_lowercase()).into(),
            group.app_id.clone().into(),
            SqlParam::Text(group.created.to_string()),
            SqlParam::Text(group.last_updated.to_string()),
            SqlParam::Text(group.last_membership_updated.to_string()),
            SqlParam::Int(group.version.max(1)),
        ]);
        sql.push(")");
        let mut tx = self.begin().await?;
        tx.execute(&sql, "create a group")
            .await
            .map_err(|e| e.with_conflict_value(conflict_value(group)))?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    pub async fn get_group(&self, id: &str) -> Result<Option<Group>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(GROUP_COLUMNS)
            .push(" FROM groups WHERE groups.id = ");
        sql.bind(id);
        self.pool
            .fetch_optional(&sql, "read a group")
            .await?
            .as_ref()
            .map(decode_group)
            .transpose()
    }

    /// The group whose name equals `name`, ignoring case.
    pub async fn get_group_by_name(&self, name: &str) -> Result<Option<Group>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(GROUP_COLUMNS)
            .push(" FROM groups WHERE groups.name_lower = ");
        sql.bind(name.to_lowercase());
        self.pool
            .fetch_optional(&sql, "read a group")
            .await?
            .as_ref()
            .map(decode_group)
            .transpose()
    }

    /// Replace a group's type, name, description, app and `lastUpdated` if its version is
    /// still `expected_version`; returns the new version. `created` and
    /// `lastMembershipUpdated` are kept: memberships move them, not profile edits.
    pub async fn update_group(
        &self,
        group: &Group,
        expected_version: i64,
        events: &[LogEvent],
    ) -> Result<i64, StoreError> {
        let new_version = expected_version + 1;
        let mut sql = self.sql();
        sql.push("UPDATE groups SET kind = ");
        sql.bind(group.kind.as_str());
        sql.push(", name = ");
        sql.bind(group.name.as_str());
        sql.push(", name_lower = ");
        sql.bind(group.name.to_lowercase());
        sql.push(", description = ");
        sql.bind(group.description.clone());
        sql.push(", description_lower = ");
        sql.bind(group.description.as_ref().map(|d| d.to_lowercase()));
        sql.push(", app_id = ");
        sql.bind(group.app_id.clone());
        sql.push(", last_updated = ");
        sql.bind(group.last_updated.to_string());
        sql.push(", version = ");
        sql.bind(new_version);
        sql.push(" WHERE id = ");
        sql.bind(group.id.as_str());
        sql.push(" AND version = ");
        sql.bind(expected_version);
        let mut tx = self.begin().await?;
        let changed = tx
            .execute(&sql, "update a group")
            .await
            .map_err(|e| e.with_conflict_value(conflict_value(group)))?;
        if changed == 0 {
            return Err(stale_or_missing(
                &mut tx,
                self.dialect(),
                "groups",
                "group",
                &group.id,
                expected_version,
            )
            .await);
        }
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(new_version)
    }

    /// Delete a group and its memberships.
    pub async fn delete_group(&self, id: &str, events: &[LogEvent]) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let mut sql = self.sql();
        sql.push("DELETE FROM memberships WHERE group_id = ");
        sql.bind(id);
        tx.execute(&sql, "delete a group's memberships").await?;
        let mut sql = self.sql();
        sql.push("DELETE FROM groups WHERE id = ");
        sql.bind(id);
        if tx.execute(&sql, "delete a group").await? == 0 {
            return Err(StoreError::NotFound {
                kind: "group",
                id: id.to_string(),
            });
        }
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    /// Groups ordered by id, filtered, one page after `query.after`.
    pub async fn list_groups(&self, query: &GroupQuery) -> Result<Page<Group>, StoreError> {
        let limit = clamp_limit(query.limit);
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(GROUP_COLUMNS)
            .push(" FROM groups WHERE TRUE");
        if let Some(filter) = &query.filter {
            sql.push(" AND (");
            compile_into(&mut sql, filter, Entity::Groups)?;
            sql.push(")");
        }
        if let Some(q) = &query.q {
            sql.push(" AND ");
            push_prefix(&mut sql, "groups.name_lower", &q.to_lowercase());
        }
        if let Some(after) = &query.after {
            sql.push(" AND groups.id > ");
            sql.bind(after.as_str());
        }
        sql.push(" ORDER BY groups.id LIMIT ");
        sql.bind(limit + 1);
        let rows = self.pool.fetch_all(&sql, "list groups").await?;
        let groups = rows
            .iter()
            .map(decode_group)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(groups, limit, |g| g.id.clone()))
    }

    /// Make `user_id` a member of `group_id`. Idempotent: returns `false`, and writes no
    /// events, when the user already was a member. A new membership sets the group's
    /// `lastMembershipUpdated` to `now`.
    pub async fn add_member(
        &self,
        group_id: &str,
        user_id: &str,
        now: Timestamp,
        events: &[LogEvent],
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        if !self.add_member_in(&mut tx, group_id, user_id, now).await? {
            return Ok(false);
        }
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// [`Store::add_member`] inside a caller's transaction, without events.
    pub(crate) async fn add_member_in(
        &self,
        tx: &mut Tx,
        group_id: &str,
        user_id: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.require_member_ends(tx, group_id, user_id).await?;
        let mut sql = self.sql();
        sql.push("INSERT INTO memberships (group_id, user_id, created) VALUES (");
        sql.bind_list([
            SqlParam::from(group_id),
            SqlParam::from(user_id),
            SqlParam::Text(now.to_string()),
        ]);
        sql.push(") ON CONFLICT (group_id, user_id) DO NOTHING");
        if tx.execute(&sql, "add a group member").await? == 0 {
            return Ok(false);
        }
        self.touch_membership(tx, group_id, now).await?;
        Ok(true)
    }

    /// Remove `user_id` from `group_id`. Returns `false`, and writes no events, when the user
    /// was not a member.
    pub async fn remove_member(
        &self,
        group_id: &str,
        user_id: &str,
        now: Timestamp,
        events: &[LogEvent],
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        self.require_member_ends(&mut tx, group_id, user_id).await?;
        let mut sql = self.sql();
        sql.push("DELETE FROM memberships WHERE group_id = ");
        sql.bind(group_id);
        sql.push(" AND user_id = ");
        sql.bind(user_id);
        if tx.execute(&sql, "remove a group member").await? == 0 {
            return Ok(false);
        }
        self.touch_membership(&mut tx, group_id, now).await?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn require_member_ends(
        &self,
        tx: &mut Tx,
        group_id: &str,
        user_id: &str,
    ) -> Result<(), StoreError> {
        for (table, kind, id) in [("groups", "group", group_id), ("users", "user", user_id)] {
            let mut sql = self.sql();
            sql.push("SELECT 1 AS one FROM ")
                .push(table)
                .push(" WHERE id = ");
            sql.bind(id);
            if tx
                .fetch_optional(&sql, "check a membership")
                .await?
                .is_none()
            {
                return Err(StoreError::NotFound {
                    kind,
                    id: id.to_string(),
                });
            }
        }
        Ok(())
    }

    async fn touch_membership(
        &self,
        tx: &mut Tx,
        group_id: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("UPDATE groups SET last_membership_updated = ");
        sql.bind(now.to_string());
        sql.push(" WHERE id = ");
        sql.bind(group_id);
        tx.execute(&sql, "update a group's membership time").await?;
        Ok(())
    }

    /// Members of a group ordered by user id, one page after `after`.
    pub async fn list_members(
        &self,
        group_id: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Page<User>, StoreError> {
        self.require_exists("groups", "group", group_id).await?;
        let limit = clamp_limit(limit);
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(user_columns(self.dialect()))
            .push(" FROM memberships JOIN users ON users.id = memberships.user_id WHERE memberships.group_id = ");
        sql.bind(group_id);
        if let Some(after) = after {
            sql.push(" AND memberships.user_id > ");
            sql.bind(after);
        }
        sql.push(" ORDER BY memberships.user_id LIMIT ");
        sql.bind(limit + 1);
        let rows = self.pool.fetch_all(&sql, "list group members").await?;
        let users = rows
            .iter()
            .map(decode_user)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(users, limit, |u| u.id.clone()))
    }

    /// The groups a user belongs to, ordered by id.
    pub async fn list_user_groups(&self, user_id: &str) -> Result<Vec<Group>, StoreError> {
        self.require_exists("users", "user", user_id).await?;
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(GROUP_COLUMNS)
            .push(" FROM memberships JOIN groups ON groups.id = memberships.group_id WHERE memberships.user_id = ");
        sql.bind(user_id);
        sql.push(" ORDER BY groups.id");
        let rows = self.pool.fetch_all(&sql, "list a user's groups").await?;
        rows.iter().map(decode_group).collect()
    }

    /// The ids of the groups a user belongs to, ordered; empty for an unknown user.
    pub async fn user_group_ids(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT group_id FROM memberships WHERE user_id = ");
        sql.bind(user_id);
        sql.push(" ORDER BY group_id");
        let rows = self.pool.fetch_all(&sql, "list a user's groups").await?;
        rows.iter().map(|row| row.text("group_id")).collect()
    }

    async fn require_exists(
        &self,
        table: &'static str,
        kind: &'static str,
        id: &str,
    ) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT 1 AS one FROM ")
            .push(table)
            .push(" WHERE id = ");
        sql.bind(id);
        match self
            .pool
            .fetch_optional(&sql, "check that an object exists")
            .await?
        {
            Some(_) => Ok(()),
            None => Err(StoreError::NotFound {
                kind,
                id: id.to_string(),
            }),
        }
    }
}
