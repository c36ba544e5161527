//! Roster's storage: one repository layer over SQLite (embedded, the default) and PostgreSQL.
//!
//! # Layout
//! - [`Store`] (`store.rs`): opening a database (`sqlite://PATH`, a data directory holding
//!   `roster.db`, or `postgres://...`), applying the migrations, and helpers shared by the
//!   repositories. It is cheap to clone; clones share one connection pool.
//! - One module per kind of object, each an `impl Store` block: `users.rs`, `groups.rs`
//!   (groups and memberships), `tokens.rs` (API tokens), `documents.rs` (password policies,
//!   the profile schema and other JSON documents) and `events.rs` (the System Log).
//! - [`compile`]: the filter compiler, the only place where a [`roster_filter::Filter`]
//!   becomes SQL.
//! - `sql.rs`: a statement builder that numbers placeholders per [`Dialect`], and enums over
//!   the two backends' pools, transactions and rows, so every query is written once.
//! - `migrations/sqlite` and `migrations/postgres`: the schema per dialect, embedded with
//!   `sqlx::migrate!` and applied when a store is opened.
//!
//! # Invariants
//! - **Architecture Invariant:** SQL exists only in this crate. Callers pass Roster types and
//!   filter ASTs; they never see a row, a statement or a driver error.
//! - **Architecture Invariant:** no value is ever pasted into SQL text: values are bound, and
//!   attribute names reach SQL only through the compiler's fixed mappings or as bound JSON
//!   paths of plain attribute names.
//! - Every mutating method takes the System Log events that record it and writes them in the
//!   same database transaction as the change: both are written or neither is.
//! - Timestamps are stored as TEXT in Roster's fixed-width UTC form
//!   (`2026-11-22T22:37:46.123Z`, [`roster_core::Timestamp`]'s `Display`), so they compare and
//!   sort correctly as text on both databases. PostgreSQL text columns use the "C" collation so
//!   ordering is byte order there too, as in SQLite.
//! - Writes use optimistic concurrency: `update_*` takes the version the caller read and fails
//!   with [`StoreError::VersionConflict`] when it is stale. Unique violations surface as
//!   [`StoreError::Conflict`] naming the Roster field (`login`, `name`, ...), never as a
//!   database error.
//! - Bulk writes (`insert_users_batch`, `append_events_batch`) run in one transaction per
//!   call: multi-row `INSERT ... VALUES` in SQLite (up to 32,766 parameters a statement),
//!   `INSERT ... SELECT FROM UNNEST(arrays)` in PostgreSQL; statement texts repeat, so they
//!   stay in the driver's prepared-statement cache.
//! - Lists are keyset-paged by id (by insertion sequence for the System Log): `after` is the
//!   previous page's [`Page::next_after`]; there is no OFFSET.
//!
//! # Example
//! ```no_run
//! # async fn example() -> Result<(), roster_store::StoreError> {
//! use roster_store::{Store, UserQuery};
//!
//! let store = Store::open_data_dir(std::path::Path::new("./roster-data")).await?;
//! let page = store.list_users(&UserQuery { limit: 200, ..UserQuery::default() }).await?;
//! println!("{} users on the first page", page.items.len());
//! store.close().await;
//! # Ok(())
//! # }
//! ```

pub mod compile;
mod documents;
mod error;
mod events;
mod groups;
mod imports;
mod jobs;
mod model;
mod outbox;
mod sql;
mod store;
mod tokens;
mod users;

pub use compile::{CompiledFilter, Entity};
pub use error::{StoreError, Unavailable};
pub use events::EVENT_BATCH_HINT;
pub use imports::{ImportRecord, ImportRecordQuery, ImportWrite};
pub use jobs::{DocMark, Job, NewJob, TaskQuery, TaskRecord};
pub use model::{Document, EventQuery, GroupQuery, Order, Page, UserQuery, MAX_PAGE_SIZE};
pub use outbox::OutboxEntry;
pub use sql::{Dialect, SqlParam};
pub use store::{Store, SQLITE_FILE_NAME};
