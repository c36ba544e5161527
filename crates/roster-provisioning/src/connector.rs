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

/// The user as Roster pushes it: the login it is found by and the profile to write, or the
/// payload the app's transformation made.
#[derive(Debug, Clone, PartialEq)]
pub struct PushUser {
    pub login: String,
    pub profile: Map<String, Value>,
    /// Set when the app has a transformation: the connector sends this (a SCIM resource, or an
    /// Okta user body) instead of its built-in mapping.
    pub payload: Option<Payload>,
}

/// A target payload made by an app's transformation. It may carry a password, so its `Debug`
/// output is redacted.
#[derive(Clone, PartialEq)]
pub struct Payload(pub Value);

impl Payload {
    /// The secret values in the payload, to scrub from the target's answers.
    pub fn secrets(&self) -> Vec<String> {
        roster_transform::secret_leaves(&self.0)
    }

    /// The payload with its secrets replaced, for tasks, events and logs.
    pub fn redacted(&self) -> Value {
        let mut v = self.0.clone();
        roster_transform::redact(&mut v);
        v
    }
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Payload").field(&self.redacted()).finish()
    }
}

pub type ConnectorResult<T> = Result<T, ConnectorError>;

/// A group on the target (Group Push).
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteGroup {
    pub id: String,
    pub name: String,
}

/// What [`Connector::set_group_members`] changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberChanges {
    pub added: usize,
    pub removed: usize,
}

fn no_groups(target: &str, what: &str) -> ConnectorError {
    ConnectorError::new(
        crate::error::ErrorKind::Configuration,
        format!("push group {what} to {target}"),
        "this connector does not support Group Push",
    )
}

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

    /// Make a deactivated (or suspended) user active again: Org2Org `lifecycle/activate` or
    /// `lifecycle/unsuspend` as `remote.status` needs, SCIM `active=true`.
    fn reactivate<'a>(&'a self, remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        unsupported(self.target(), "reactivate", remote)
    }

    /// Delete a user, only when the app's `deprovisionAction` is `DELETE`.
    fn delete_user<'a>(&'a self, remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        unsupported(self.target(), "delete", remote)
    }

    // ---- Group Push ---------------------------------------------------------------------
    // Connectors without groups keep the defaults, which refuse with a configuration error.

    /// Find a group by its exact name (Org2Org `profile.name`, SCIM `displayName`).
    fn find_group<'a>(
        &'a self,
        name: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<Option<RemoteGroup>>> {
        Box::pin(std::future::ready(Err(no_groups(self.target(), name))))
    }

    /// Create a group with no members.
    fn create_group<'a>(&'a self, name: &'a str) -> BoxFuture<'a, ConnectorResult<RemoteGroup>> {
        Box::pin(std::future::ready(Err(no_groups(self.target(), name))))
    }

    /// Rename a group.
    fn rename_group<'a>(
        &'a self,
        group_id: &'a str,
        name: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        let _ = group_id;
        Box::pin(std::future::ready(Err(no_groups(self.target(), name))))
    }

    /// Make the group's members exactly `members` (target user ids): add the missing, remove
    /// the others. Idempotent.
    fn set_group_members<'a>(
        &'a self,
        group_id: &'a str,
        members: &'a [String],
    ) -> BoxFuture<'a, ConnectorResult<MemberChanges>> {
        let _ = members;
        Box::pin(std::future::ready(Err(no_groups(self.target(), group_id))))
    }

    /// Delete a group; one already gone is not an error.
    fn delete_group<'a>(&'a self, group_id: &'a str) -> BoxFuture<'a, ConnectorResult<()>> {
        Box::pin(std::future::ready(Err(no_groups(self.target(), group_id))))
    }

    /// The password policy a new user's password must meet on the target, when the target
    /// publishes one (Org2Org: the other org's policy API). Used by transformation previews.
    fn password_policy(
        &self,
    ) -> BoxFuture<'_, ConnectorResult<Option<roster_core::policy::PasswordPolicy>>> {
        Box::pin(async { Ok(None) })
    }
}

fn unsupported<'a>(
    target: &str,
    what: &str,
    remote: &RemoteUser,
) -> BoxFuture<'a, ConnectorResult<()>> {
    let e = ConnectorError::new(
        crate::error::ErrorKind::Configuration,
        format!("{what} user {} ({}) on {target}", remote.login, remote.id),
        format!("this connector cannot {what} users"),
    );
    Box::pin(async move { Err(e) })
}

/// The connector of an app Roster only imports from: every push is refused as a configuration
/// error naming the app (such apps cannot enable USER_PROVISIONING, so none should be asked).
pub struct NoPush(pub String);

impl NoPush {
    fn refuse<T: Send + 'static>(&self, what: &str) -> BoxFuture<'static, ConnectorResult<T>> {
        let e = ConnectorError::new(
            crate::error::ErrorKind::Configuration,
            format!("{what} on {}", self.0),
            "the app is an import source and Roster pushes nothing to it",
        );
        Box::pin(async move { Err(e) })
    }
}

impl Connector for NoPush {
    fn target(&self) -> &str {
        &self.0
    }

    fn check_connection(&self) -> BoxFuture<'_, ConnectorResult<()>> {
        self.refuse("check the provisioning connection")
    }

    fn find_user<'a>(
        &'a self,
        _login: &'a str,
    ) -> BoxFuture<'a, ConnectorResult<Option<RemoteUser>>> {
        self.refuse("find a user")
    }

    fn create_user<'a>(
        &'a self,
        _user: &'a PushUser,
        _password: Option<&'a SecretString>,
    ) -> BoxFuture<'a, ConnectorResult<RemoteUser>> {
        self.refuse("create a user")
    }

    fn update_profile<'a>(
        &'a self,
        _remote: &'a RemoteUser,
        _user: &'a PushUser,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        self.refuse("update a profile")
    }

    fn set_password<'a>(
        &'a self,
        _remote: &'a RemoteUser,
        _password: &'a SecretString,
    ) -> BoxFuture<'a, ConnectorResult<()>> {
        self.refuse("set a password")
    }

    fn deactivate<'a>(&'a self, _remote: &'a RemoteUser) -> BoxFuture<'a, ConnectorResult<()>> {
        self.refuse("deactivate a user")
    }
}
