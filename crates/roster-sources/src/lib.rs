//! Import sources: where Roster reads users and groups from, before matching and profile
//! sourcing decide what to do with them.
//!
//! A [`Source`] reads every user or group ([`ReadMode::Full`]) or only those changed since a
//! timestamp ([`ReadMode::Incremental`]) and returns them as plain values: a [`SourceRecord`]
//! (the source's id, its attributes as JSON, when it last changed) or a [`SourceGroup`] (with
//! its members' source ids). Three implementations:
//!
//! - [`LdapSource`]: OpenLDAP or Active Directory over `ldap://` (optionally StartTLS) or
//!   `ldaps://`, with paged searches, so directories larger than the server's size limit read
//!   whole; incremental reads use `modifyTimestamp>=`.
//! - [`CsvSource`]: a CSV file whose header names the attributes; bad rows become warnings with
//!   their line numbers, good rows are still read.
//! - [`ScimSource`]: a SCIM 2.0 service provider's `/Users` and `/Groups`, paged with
//!   `startIndex`/`count`; incremental reads use `meta.lastModified gt`.
//!
//! Failures are [`SourceError`]s classified by [`ErrorKind`] (transient, unauthorized,
//! configuration, invalid data), naming the source, what Roster tried and what the source said;
//! bind passwords and tokens are [`secrecy::SecretString`]s and never appear in an error or in
//! `Debug` output.
//!
//! This crate knows nothing about the store, matching or profile mappings: it only reads.

use futures::future::BoxFuture;
use serde_json::{Map, Value};

mod csv;
mod error;
mod ldap;
mod scim;
mod time;

pub use crate::csv::CsvSource;
pub use crate::error::{ErrorKind, SettingsError, SettingsProblem, SourceError};
pub use crate::ldap::{LdapSettings, LdapSource};
pub use crate::scim::{ScimSettings, ScimSource};
pub use crate::time::{from_generalized_time, to_generalized_time, validate_timestamp};

/// What to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadMode {
    /// Every user (or group) the source holds.
    Full,
    /// Only those changed at or after `since`, a timestamp in Roster's fixed-width UTC form
    /// (`2026-11-22T22:37:46.123Z`), typically the largest `modified` of the previous read.
    Incremental { since: String },
}

/// One user as the source holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// The source's stable id for the user (LDAP `entryUUID`, AD `objectGUID` as a GUID string,
    /// SCIM `id`, the CSV `externalId` or `userName`/`login` column).
    pub external_id: String,
    /// The attributes, by the source's names: one value as a string, several as an array
    /// (LDAP), or the resource's JSON (SCIM).
    pub attributes: Map<String, Value>,
    /// When the source last changed the user, in Roster's UTC form, when it says.
    pub modified: Option<String>,
}

/// One group as the source holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceGroup {
    pub external_id: String,
    pub name: String,
    pub description: Option<String>,
    /// The `external_id`s of the member users (members that are not users of the source are
    /// left out, with a warning).
    pub member_external_ids: Vec<String>,
    /// When the source last changed the group, in Roster's UTC form, when it says.
    pub modified: Option<String>,
}

/// Something the read skipped or could not use, without failing the whole read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceWarning {
    /// The line of the record in a file source.
    pub line: Option<u64>,
    /// The record's id or DN, when known.
    pub subject: Option<String>,
    pub message: String,
}

/// The result of one read: the items and the warnings about what was skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRead<T> {
    pub items: Vec<T>,
    pub warnings: Vec<SourceWarning>,
}

impl<T> Default for SourceRead<T> {
    fn default() -> Self {
        SourceRead {
            items: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

pub type SourceResult<T> = Result<T, SourceError>;

/// A system users and groups are imported from.
pub trait Source: Send + Sync {
    /// The source, for messages (`ldap://dc1.example.com:389`, `users.csv`).
    fn name(&self) -> &str;

    /// Read the users.
    fn read_users<'a>(
        &'a self,
        mode: &'a ReadMode,
    ) -> BoxFuture<'a, SourceResult<SourceRead<SourceRecord>>>;

    /// Read the groups, with their members resolved to the users' `external_id`s.
    fn read_groups<'a>(
        &'a self,
        mode: &'a ReadMode,
    ) -> BoxFuture<'a, SourceResult<SourceRead<SourceGroup>>>;
}
