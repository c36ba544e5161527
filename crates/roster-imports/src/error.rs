//! The errors of the import use cases; each has a stable code, the field, the cause and the
//! remediation, which `roster-server` turns into Okta's error object.

use roster_directory::DirectoryError;
use roster_provisioning::ProvisioningError;
use roster_sources::{SettingsError, SourceError};
use roster_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{kind} {id} not found")]
    NotFound { kind: &'static str, id: String },
    /// A request value is wrong.
    #[error("{field}: {message}")]
    Invalid {
        field: String,
        message: String,
        remediation: String,
    },
    /// Several settings are wrong at once (each named by its field).
    #[error("the source settings are not valid")]
    Settings(SettingsError),
    /// The app already runs an import.
    #[error("the app already runs import {job_id}")]
    Busy { job_id: String },
    /// The source refused or failed a check made before anything was saved.
    #[error("{0}")]
    Source(SourceError),
    #[error(transparent)]
    Provisioning(#[from] ProvisioningError),
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    pub fn invalid(field: &str, message: impl Into<String>, remediation: &str) -> Self {
        ImportError::Invalid {
            field: field.to_owned(),
            message: message.into(),
            remediation: remediation.to_owned(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ImportError::NotFound { .. } => "not_found",
            ImportError::Invalid { .. } | ImportError::Settings(_) => "invalid",
            ImportError::Busy { .. } => "import_running",
            ImportError::Source(e) => e.code(),
            ImportError::Provisioning(e) => e.code(),
            ImportError::Directory(e) => e.code(),
            ImportError::Store(e) => e.code(),
        }
    }
}

impl From<SettingsError> for ImportError {
    fn from(e: SettingsError) -> Self {
        ImportError::Settings(e)
    }
}

pub type Result<T, E = ImportError> = std::result::Result<T, E>;
