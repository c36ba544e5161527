//! Roster's imports: users and groups read from a source application (LDAP or Active
//! Directory, a CSV file, a SCIM 2.0 service provider), matched to the directory's users,
//! created and activated by the app's import rules, and — when the app is a profile source —
//! kept in line with the source, every invalid value refused and logged without touching the
//! user.
//!
//! # Layout
//! - [`mapping`]: the built-in inbound mappings (source record → app user → profile values)
//!   and the username format. Pure.
//! - [`matching`]: exact and partial matching and the import rules' decision. Pure.
//! - [`mastering`]: which profile source decides each attribute (priority, per-attribute
//!   overrides). Pure.
//! - [`sources`]: source apps' settings (validated, the secret sealed) and opening a read.
//! - [`engine`]: [`Imports`], the use cases and the job runner; `users.rs` handles one batch
//!   of records, `groups.rs` the imported groups.
//! - [`job`]: [`ImportJob`] as stored, with its counts, warnings, errors and subjobs.
//!
//! # Invariants
//! - **Architecture Invariant:** a batch of records is written in one transaction with its
//!   events (`roster-store`'s `write_import`): a failed batch writes nothing, finished batches
//!   stand, and running the import again continues (records are keyed by the source's ids).
//! - **Architecture Invariant:** a profile value the validator refuses never reaches the user:
//!   the update is dropped whole and `app.user_management.update_from_master_failed` records
//!   it with `debugData.ErrorCode` and `ErrorField` (seed 004).
//! - **Architecture Invariant:** activation does not depend on other apps: the pushes an
//!   import sets off (Group Push, seed 003) run on the provisioning queue, and their failures
//!   are tasks of the pushing app, listed on the job as subjobs.
//! - Only a FULL import that read the whole source removes anything, and the import safeguard
//!   pauses it first when it would unassign more than its share of the app's users.

mod engine;
mod error;
mod groups;
pub mod job;
pub mod mapping;
pub mod mastering;
pub mod matching;
pub mod sources;
mod users;

pub use engine::{
    spawn_scheduler, Confirm, ConfirmAction, CsvUpload, ImportSettings, Imports, StartImport,
    SubjobState,
};
pub use error::{ImportError, Result};
pub use job::{ImportCounts, ImportIssue, ImportJob, ImportKind, JobStatus};
pub use users::{IMPORT_USER_FAILED, UPDATE_FROM_MASTER_FAILED};
