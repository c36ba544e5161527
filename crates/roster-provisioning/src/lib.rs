//! Roster's push provisioning: applications, their connections and features, assignments,
//! the durable job queue's worker, Tasks and the password escrow.
//!
//! # Layout
//! - [`connector`]: the small [`Connector`] trait the engine knows; errors are classified
//!   ([`ErrorKind`]: transient, rate-limited with retry-after, permanent, unauthorized, conflict,
//!   federated user) so the engine decides retries in one place.
//! - [`org2org`]: the Org2Org connector, another org's `/api/v1` over HTTPS with an SSWS token.
//! - [`scim`]: the SCIM 2.0 connector, a service provider's `/Users` with a bearer token.
//! - [`engine`]: [`Provisioning`], the use cases (apps, connection, features, assignments,
//!   tasks) and [`Provisioning::run_once`], the worker's one step; [`spawn_worker`] runs it.
//! - [`crypto`]: the [`MasterKey`] that seals connection tokens and escrowed passwords.
//! - [`model`]: apps, `USER_PROVISIONING`, app users, as stored.
//!
//! # Invariants
//! - **Architecture Invariant:** no password or token appears in a log line, an event, a task,
//!   an error or a `Debug` output: they travel as `SecretString`s, are sealed at rest, and every
//!   target body is redacted (secret keys and the literal values sent) before it is kept.
//! - **Architecture Invariant:** a job step is idempotent: a retried create first looks the user
//!   up by login and links to it.
//! - The engine reads the clock (its worker is the one place that must); the store does not.

mod assignments;
pub mod connector;
pub mod crypto;
pub mod email_settings;
pub mod engine;
pub mod error;
mod escrow;
pub mod group_push;
mod http;
pub mod job_kind;
mod lifecycle;
pub mod mail;
pub mod model;
mod observer;
pub mod org2org;
mod outbox;
mod push_user;
pub mod scim;
pub mod transformations;
mod worker;

pub use connector::{Connector, MemberChanges, PushUser, RemoteGroup, RemoteUser};
pub use crypto::{KeyRing, KeySource, MasterKey};
pub use engine::{
    connection_purpose, new_app, spawn_worker, ConnectorFactory, Provisioning, Settings,
    StandardConnectors, StepOutcome, PUSH_USER,
};
pub use error::{ConnectorError, ErrorKind, ProvisioningError};
pub use group_push::{GroupPushMapping, TargetGroup, PUSH_GROUP};
pub use http::DEFAULT_TARGET_TIMEOUT;
pub use job_kind::JobKind;
pub use lifecycle::{DEACTIVATE_USER, REACTIVATE_USER};
pub use mail::{MailConfig, MAIL_QUEUE, SEND_EMAIL};
pub use model::{
    import_group_kind, App, AppGroup, AppType, AppUser, AttributeOverride, InboundProvisioning,
    MatchCriteria, ProfileMastering, SourceSettings, UserProvisioning, DEPROVISION_ACTIONS,
    ON_DEACTIVATE_ACTIONS, PASSWORD_CAPTURED, PASSWORD_WAITS_FOR_SIGN_IN,
};
pub use outbox::spawn_sweeper;
pub use roster_store::{TaskQuery, TaskRecord};
