//! API tokens. Only a hash of each token is stored.

use roster_core::{ApiToken, LogEvent, Role, Timestamp};

use crate::error::StoreError;
use crate::sql::{DbRow, SqlParam};
use crate::store::{opt_ts, parse_opt_ts, parse_ts, Store};

const TOKEN_COLUMNS: &str = "id, name, role, token_hash, token_prefix, created, last_used, revoked";

fn decode_token(row: &DbRow) -> Result<ApiToken, StoreError> {
    let role = row.text("role")?;
    Ok(ApiToken {
        id: row.text("id")?,
        name: row.text("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::corrupt("token role"))?,
        token_hash: row.text("token_hash")?,
        token_prefix: row.text("token_prefix")?,
        created: parse_ts(&row.text("created")?, "created")?,
        last_used: parse_opt_ts(row.opt_text("last_used")?, "lastUsed")?,
        revoked: row.boolean("revoked")?,
    })
}

impl Store {
    /// Store a new API token. A second token with the same hash is a conflict on `token_hash`.
    pub async fn insert_token(
        &self,
        token: &ApiToken,
        events: &[LogEvent],
    ) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("INSERT INTO api_tokens (")
            .push(TOKEN_COLUMNS)
            .push(") VALUES (");
        sql.bind_list([
            SqlParam::Text(token.id.clone()),
            SqlParam::Text(token.name.clone()),
            SqlParam::Text(token.role.as_str().into()),
            SqlParam::Text(token.token_hash.clone()),
            SqlParam::Text(token.token_prefix.clone()),
            SqlParam::Text(token.created.to_string()),
            opt_ts(token.last_used),
            SqlParam::Bool(token.revoked),
        ]);
        sql.push(")");
        let mut tx = self.begin().await?;
        // Never echo a token hash back in an error.
        tx.execute(&sql, "create an API token").await.map_err(|e| {
            e.with_conflict_value(|field| (field == "id").then(|| token.id.clone()))
        })?;
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    pub async fn get_token(&self, id: &str) -> Result<Option<ApiToken>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(TOKEN_COLUMNS)
            .push(" FROM api_tokens WHERE id = ");
        sql.bind(id);
        self.pool
            .fetch_optional(&sql, "read an API token")
            .await?
            .as_ref()
            .map(decode_token)
            .transpose()
    }

    /// The token with this hash, revoked or not: the caller decides what a revoked token means.
    pub async fn find_token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<ApiToken>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(TOKEN_COLUMNS)
            .push(" FROM api_tokens WHERE token_hash = ");
        sql.bind(token_hash);
        self.pool
            .fetch_optional(&sql, "find an API token")
            .await?
            .as_ref()
            .map(decode_token)
            .transpose()
    }

    /// Every token, oldest first.
    pub async fn list_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let mut sql = self.sql();
        sql.push("SELECT ")
            .push(TOKEN_COLUMNS)
            .push(" FROM api_tokens ORDER BY created, id");
        let rows = self.pool.fetch_all(&sql, "list API tokens").await?;
        rows.iter().map(decode_token).collect()
    }

    pub async fn revoke_token(&self, id: &str, events: &[LogEvent]) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("UPDATE api_tokens SET revoked = ");
        sql.bind(true);
        sql.push(" WHERE id = ");
        sql.bind(id);
        let mut tx = self.begin().await?;
        if tx.execute(&sql, "revoke an API token").await? == 0 {
            return Err(StoreError::NotFound {
                kind: "API token",
                id: id.to_string(),
            });
        }
        self.write_events(&mut tx, events).await?;
        tx.commit().await
    }

    /// Record that a token was just used. Not an audited change, so no events and no
    /// transaction of its own.
    pub async fn touch_token(&self, id: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut sql = self.sql();
        sql.push("UPDATE api_tokens SET last_used = ");
        sql.bind(now.to_string());
        sql.push(" WHERE id = ");
        sql.bind(id);
        if self.pool.execute(&sql, "record an API token's use").await? == 0 {
            return Err(StoreError::NotFound {
                kind: "API token",
                id: id.to_string(),
            });
        }
        Ok(())
    }
}
