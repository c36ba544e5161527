//! Import jobs as stored: a document of kind [`JOB_KIND`] per job, rewritten as the job goes.

use roster_core::Timestamp;
use serde::{Deserialize, Serialize};

/// The document kind of import jobs (ids are job ids; the body names the app).
pub const JOB_KIND: &str = "import_job";
/// The document kind of the per-app lock that keeps one live import per app (id: app id).
pub const LOCK_KIND: &str = "import_lock";

/// At most this many warnings and errors are kept on a job (the counts keep counting).
pub const MAX_ISSUES: usize = 1000;

/// `FULL` reads everything and may remove what it did not see; `INCREMENTAL` reads changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportKind {
    Full,
    Incremental,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Full => "FULL",
            ImportKind::Incremental => "INCREMENTAL",
        }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum JobStatus {
    Running,
    /// Stopped by the import safeguard before its removals: resume or cancel.
    Paused,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "RUNNING",
            JobStatus::Paused => "PAUSED",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
            JobStatus::Cancelled => "CANCELLED",
        }
    }

    /// Whether the job still holds its app's import lock.
    pub fn is_live(self) -> bool {
        matches!(self, JobStatus::Running | JobStatus::Paused)
    }
}

/// What a job counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportCounts {
    /// Records read from the source (or, for Force Sync, linked records re-applied).
    pub scanned: u64,
    /// Users created.
    pub new: u64,
    /// Users whose profile changed.
    pub updated: u64,
    /// Records that changed nothing.
    pub unchanged: u64,
    pub matched_exact: u64,
    pub matched_partial: u64,
    /// New records waiting for confirmation (no user matched and new users are not
    /// auto-confirmed).
    pub unmatched: u64,
    /// Records waiting for confirmation of any kind.
    pub pending_confirmation: u64,
    /// Records confirmed by an administrator after the import.
    pub confirmed: u64,
    /// Records that a full import did not find: their app users were deactivated.
    pub removed: u64,
    /// Users deactivated or suspended because their profile source removed or disabled them.
    pub deactivated: u64,
    /// Users activated by the import or its confirmation.
    pub activated: u64,
    pub errors: u64,
    pub warnings: u64,
    pub groups_scanned: u64,
    pub groups_created: u64,
    pub groups_updated: u64,
    pub groups_removed: u64,
    pub memberships_added: u64,
    pub memberships_removed: u64,
}

/// One warning or error, naming the record and, for profile errors, the field and its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportIssue {
    /// The stable code: a profile validator code (`invalidLoginEmail`, ...), or one of
    /// Roster's (`source_warning`, `group_push_failed`, ...).
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
}

/// A Group Push the import set off on another app (a membership change of a pushed group),
/// shown with its outcome when the job is read: activation never waits for it (seed 003).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subjob {
    pub app_id: String,
    pub app_label: String,
    pub mapping_id: String,
    pub group_id: String,
    pub group_name: String,
    pub triggered: Timestamp,
}

/// Why the import safeguard paused a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Safeguard {
    /// App users the import would unassign.
    pub removals: u64,
    /// App users the app had.
    pub assigned: u64,
    pub percent: u32,
}

/// A job that stopped on an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobError {
    pub code: String,
    pub summary: String,
    pub cause: String,
    pub remediation: String,
}

/// An import job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportJob {
    pub id: String,
    pub app_id: String,
    pub app_label: String,
    pub kind: ImportKind,
    /// Re-apply the mappings to every linked user without reading the source.
    pub force_sync: bool,
    pub status: JobStatus,
    /// `USERS`, `GROUPS`, `REMOVALS` or `DONE`.
    pub phase: String,
    /// What the job read (`ldap://...`, the CSV file's name, a SCIM base URL).
    pub source: String,
    pub requested_by: String,
    pub created: Timestamp,
    pub last_updated: Timestamp,
    pub finished: Option<Timestamp>,
    /// The server running the job renews this while it runs; a RUNNING job whose heartbeat is
    /// old lost its server.
    pub heartbeat: Timestamp,
    pub counts: ImportCounts,
    /// The records an uploaded file holds, when counted: progress is `counts.scanned` of it.
    #[serde(default)]
    pub expected_records: Option<u64>,
    pub warnings: Vec<ImportIssue>,
    pub errors: Vec<ImportIssue>,
    pub subjobs: Vec<Subjob>,
    pub safeguard: Option<Safeguard>,
    /// The newest change the read saw, where the next incremental import starts.
    pub watermark: Option<String>,
    /// Whether the read went through the whole source (only then may a full import remove).
    pub read_everything: bool,
    pub error: Option<JobError>,
}

impl ImportJob {
    pub fn warn(&mut self, issue: ImportIssue) {
        self.counts.warnings += 1;
        if self.warnings.len() < MAX_ISSUES {
            self.warnings.push(issue);
        }
    }

    pub fn fail_record(&mut self, issue: ImportIssue) {
        self.counts.errors += 1;
        if self.errors.len() < MAX_ISSUES {
            self.errors.push(issue);
        }
    }

    pub fn add_subjob(&mut self, subjob: Subjob) {
        if !self
            .subjobs
            .iter()
            .any(|s| s.mapping_id == subjob.mapping_id)
        {
            self.subjobs.push(subjob);
        }
    }
}
