//! Roster's directory core.
//!
//! Users, their lifecycle, the profile schema and its validation, groups, password policies and
//! System Log events. This crate is pure: it does no I/O and reads no clock. Time and ids come in
//! as arguments, so every rule here can be tested as a plain function.

pub mod event;
pub mod group;
pub mod ids;
pub mod lifecycle;
pub mod policy;
pub mod profile;
pub mod time;
pub mod token;
pub mod user;

pub use event::LogEvent;
pub use group::{Group, GroupKind};
pub use lifecycle::{LifecycleError, LifecycleOp};
pub use policy::{PasswordContext, PasswordPolicy, PasswordRejection, PolicyStatus, Requirement};
pub use profile::{ProfileSchema, Violation};
pub use time::Timestamp;
pub use token::{ApiToken, Role};
pub use user::{Credentials, Provider, ProviderType, User, UserStatus};
