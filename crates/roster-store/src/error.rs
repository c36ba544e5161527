//! The store's one error type.
//!
//! Messages are safe to show to an administrator: they never contain SQL text, bound values
//! of secrets or the database's own message. The underlying database error stays reachable
//! through [`std::error::Error::source`] so the server can log it under an error id.

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist.
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },

    /// A unique field already holds this value (a login, a group name, a token hash, an id).
    #[error("{field} is already in use{}", value.as_deref().map(|v| format!(": {v}")).unwrap_or_default())]
    Conflict {
        field: &'static str,
        value: Option<String>,
    },

    /// The object changed since the caller read it (optimistic concurrency).
    #[error(
        "{kind} {id} was changed by someone else: expected version {expected}, found {actual}"
    )]
    VersionConflict {
        kind: &'static str,
        id: String,
        expected: i64,
        actual: i64,
    },

    /// A filter that this store cannot run, for example an unknown attribute.
    #[error("invalid filter on {field}: {message}")]
    InvalidFilter { field: String, message: String },

    /// The database failed or could not be reached. The cause is kept for logs only.
    #[error("database error while trying to {operation}")]
    Database {
        operation: &'static str,
        #[source]
        source: sqlx::Error,
    },

    /// The database cannot do this now, for a reason the operator can fix and that passes:
    /// it is down or unreachable, busy, or out of disk space. Nothing was written.
    #[error("the database is unavailable ({reason}) while trying to {operation}")]
    Unavailable {
        operation: &'static str,
        reason: Unavailable,
        #[source]
        source: sqlx::Error,
    },

    /// The schema migrations could not be applied.
    #[error("database migration failed")]
    Migration {
        #[source]
        source: sqlx::migrate::MigrateError,
    },

    /// A stored row could not be read back into a Roster type.
    #[error("stored {what} is not valid")]
    CorruptData { what: String },

    /// The database URL or data directory is not usable.
    #[error("invalid database configuration: {message}")]
    Config { message: String },
}

impl StoreError {
    /// A stable, machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } => "not_found",
            StoreError::Conflict { .. } => "conflict",
            StoreError::VersionConflict { .. } => "version_conflict",
            StoreError::InvalidFilter { .. } => "invalid_filter",
            StoreError::Database { .. } => "database",
            StoreError::Unavailable { .. } => "unavailable",
            StoreError::Migration { .. } => "migration",
            StoreError::CorruptData { .. } => "corrupt_data",
            StoreError::Config { .. } => "config",
        }
    }

    /// What an administrator can do about it.
    pub fn remediation(&self) -> &'static str {
        match self {
            StoreError::NotFound { .. } => "check the id; the object may have been deleted",
            StoreError::Conflict { .. } => "choose another value or update the existing object",
            StoreError::VersionConflict { .. } => "read the object again and reapply the change",
            StoreError::InvalidFilter { .. } => "correct the filter expression",
            StoreError::Database { .. } => "check that the database is reachable and has free space; the server log has the details",
            StoreError::Unavailable { reason, .. } => reason.remediation(),
            StoreError::Migration { .. } => "check the server log; the database may have been changed by a newer Roster",
            StoreError::CorruptData { .. } => "the row was changed outside Roster; restore it from a backup",
            StoreError::Config { .. } => "pass a sqlite://PATH or postgres://... URL, or a writable data directory",
        }
    }

    pub(crate) fn db(operation: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| classify(operation, source)
    }

    pub(crate) fn invalid_filter(
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> StoreError {
        StoreError::InvalidFilter {
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
        StoreError::CorruptData { what: what.into() }
    }

    /// Fill in the conflicting value once the caller knows which field clashed.
    pub(crate) fn with_conflict_value(
        self,
        value_of: impl FnOnce(&str) -> Option<String>,
    ) -> StoreError {
        match self {
            StoreError::Conflict { field, value: None } => StoreError::Conflict {
                field,
                value: value_of(field),
            },
            other => other,
        }
    }
}

/// Turn a database error into a [`StoreError`]: unique violations become
/// [`StoreError::Conflict`] naming the Roster field, everything else stays internal.
fn classify(operation: &'static str, source: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &source {
        if db.kind() == sqlx::error::ErrorKind::UniqueViolation {
            // PostgreSQL names the violated index; SQLite says "UNIQUE constraint failed: table.column".
            let name = match db.constraint() {
                Some(constraint) => constraint.to_string(),
                None => db
                    .message()
                    .rsplit(": ")
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            };
            return StoreError::Conflict {
                field: conflict_field(&name),
                value: None,
            };
        }
    }
    if let Some(reason) = unavailable(&source) {
        return StoreError::Unavailable {
            operation,
            reason,
            source,
        };
    }
    StoreError::Database { operation, source }
}

/// Why the database cannot answer now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Down, restarting or unreachable (PostgreSQL), or no connection came within the pool's
    /// wait (the server is down, or overloaded).
    Down,
    /// Busy: a lock that did not come within the timeout, a serialization failure.
    Busy,
    /// The disk (or the database's quota) is full.
    DiskFull,
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unavailable::Down => "down, unreachable or overloaded",
            Unavailable::Busy => "busy",
            Unavailable::DiskFull => "out of disk space",
        })
    }
}

impl Unavailable {
    pub fn remediation(self) -> &'static str {
        match self {
            Unavailable::Down => "retry shortly; if it lasts, check that the database server is running and reachable",
            Unavailable::Busy => "retry shortly",
            Unavailable::DiskFull => "free disk space on the database's volume (or raise its quota), then retry; reads keep working meanwhile",
        }
    }
}

/// Whether a database error means "not now" rather than "wrong": SQLite's BUSY, LOCKED and FULL;
/// PostgreSQL's connection exceptions (08), insufficient resources (53: disk full, too many
/// connections), operator intervention (57P: shutdown, cannot connect now) and transaction
/// rollbacks (40: serialization failure, deadlock); a pool without connections; I/O errors.
fn unavailable(source: &sqlx::Error) -> Option<Unavailable> {
    match source {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => Some(Unavailable::Down),
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            let code = code.as_ref();
            if code.len() == 5 {
                // A PostgreSQL SQLSTATE (SQLite's codes, extended ones included, have at most
                // four digits).
                return match code {
                    "53100" => Some(Unavailable::DiskFull),
                    c if c.starts_with("08") || c.starts_with("57P") => Some(Unavailable::Down),
                    c if c.starts_with("53") || c.starts_with("40") => Some(Unavailable::Busy),
                    _ => None,
                };
            }
            // A SQLite result code: the primary code is the low byte of an extended one.
            match code.parse::<i64>().ok()? & 0xff {
                5 | 6 => Some(Unavailable::Busy),
                13 => Some(Unavailable::DiskFull),
                _ => None,
            }
        }
        _ => None,
    }
}

fn conflict_field(name: &str) -> &'static str {
    match name {
        "users_login_lower_key" | "users.login_lower" => "login",
        "groups_name_lower_key" | "groups.name_lower" => "name",
        "api_tokens_token_hash_key" | "api_tokens.token_hash" => "token_hash",
        "log_events_uuid_key" | "log_events.uuid" => "uuid",
        _ => "id",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_message_names_field_and_value() {
        let e = StoreError::Conflict {
            field: "login",
            value: Some("a@example.com".into()),
        };
        assert_eq!(e.to_string(), "login is already in use: a@example.com");
        assert_eq!(e.code(), "conflict");
        let e = StoreError::Conflict {
            field: "name",
            value: None,
        };
        assert_eq!(e.to_string(), "name is already in use");
    }

    #[test]
    fn constraint_names_map_to_fields() {
        assert_eq!(conflict_field("users.login_lower"), "login");
        assert_eq!(conflict_field("users_login_lower_key"), "login");
        assert_eq!(conflict_field("groups.name_lower"), "name");
        assert_eq!(conflict_field("users_pkey"), "id");
        assert_eq!(conflict_field("users.id"), "id");
    }
}
