//! The connector trait: what the engine needs from a target system, and nothing more.
//!
//! Each method is one request-sized step that either succeeds or returns a classified
//! [`ConnectorError`]; the engine, not the connector, decides whether to retry. Passwords and
//! tokens come in as [`SecretString`]s and never appear in an error.

use futures::future::BoxFuture;
use secrecy::SecretString;
use serde_json::{Map, Value};

use crate::error::ConnectorError;

/// A user on the target, as much of it as the engine needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteUser {
    /// The target's id (the app user's `externalId`).
    pub id: String,
    pub login: String,
    pub status: Option<String>,
    /// `credentials.provider.type` on Okta-style targets (`OKTA`, `FEDERATION`, ...).
    pub provider_type: Option<String>,
}

/// The user as Roster pushes it: the login it is found by and the profile to write.
#[derive(Debug, Clone, PartialEq)]
pub struct PushUser {
    pub login: String,
    pub profile: Map<String, Value>,
}

pub type ConnectorResult<T> = Result<T, ConnectorError>;

/// A target system that users are pushed to.
pub trait Connector: Send + Sync {
    /// The target, for messages (`http://hub.example.com`).
    fn target(&self) -> &str;

    /// Check that the target answers and accepts the credentials.
    fn check_connection(&self) -> BoxFuture<'_, ConnectorResult<()>>;

    /// Find a user by its login (Org2Org) or userName (SCIM).
    fn find_user<'a>(
        &'a self,
        login: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<Option<RemoteUser>>>;

    /// Create (and activate) a user, with a password when one is given.
    fn create_user<'a>(
        &'a self,
        user: &'a PushUser,
        password: Option<&'a SecretString>,
    ) -> BoxFuture<'a, ConnectorResult<RemoteUser>>;

    /// Write the profile of an existing user.
    fn update_profile<'a>(
        &'a self,
        remote: &'a RemoteUser,
        user: &'a PushUser,
    ) -> BoxFuture<'a, ConnectorResult<()>>;

    /// Set the password of an existing user.
    fn set_password<'a>(
        &'a self,
        remote: &'a RemoteUser,
        password: &'a SecretString,
    ) -> BoxFuture<'a, ConnectorResult<()>>;

    /// Deactivate a user (never delete it).
    fn deactivate<'a>(&'a self, remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>>;
}
