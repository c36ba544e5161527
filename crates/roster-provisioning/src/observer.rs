//! How directory changes reach push provisioning: the directory tells its
//! [`DirectoryObserver`] after each commit, and the engine turns the change into jobs.
//!
//! - a password set from a clear value is escrowed for the apps that sync passwords
//!   ([`Provisioning::capture_password`], in `engine`);
//! - a password proven by a successful sign-in is escrowed and pushed only to the apps whose
//!   app user still waits for it (its password predates the sync;
//!   [`Provisioning::capture_at_sign_in`]); for every other sign-in it reads and writes nothing
//!   else;
//! - user changes (created, profile, status, deleted) queue user pushes ([`crate::lifecycle`]);
//! - membership changes of a group assigned to an app assign or unassign its members
//!   ([`crate::assignments`]);
//! - group changes (members, name, deletion) queue Group Push ([`crate::group_push`]).
//!
//! The observer runs after the change is committed and cannot fail it: an error is logged
//! (never with a secret) and the change stands. A crash between the commit and the enqueue
//! loses that push; `POST /api/v1/tasks/retry?appId=` and re-assignment recover it.

use std::future::Future;
use std::pin::Pin;

use roster_directory::{DirectoryChange, DirectoryObserver};

use crate::engine::Provisioning;

pub(crate) struct ProvisioningObserver(pub(crate) Provisioning);

impl DirectoryObserver for ProvisioningObserver {
    fn changed<'a>(
        &'a self,
        change: DirectoryChange<'a>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            let engine = &self.0;
            match change {
                DirectoryChange::PasswordSet { user, password } => {
                    if let Err(e) = engine.capture_password(user, password).await {
                        tracing::warn!(user = %user.id, error = %e, "could not escrow a password for password sync");
                    }
                }
                DirectoryChange::PasswordVerified { user, password } => {
                    if let Err(e) = engine.capture_at_sign_in(user, password).await {
                        tracing::warn!(user = %user.id, error = %e, "could not capture a password at sign-in for password sync");
                    }
                }
                DirectoryChange::UserCreated { .. }
                | DirectoryChange::ProfileUpdated { .. }
                | DirectoryChange::StatusChanged { .. }
                | DirectoryChange::UserDeleted { .. } => {
                    if let Err(e) = engine.on_user_change(change).await {
                        tracing::warn!(error = %e, "could not queue the pushes of a user change");
                    }
                }
                DirectoryChange::MemberAdded { .. }
                | DirectoryChange::MemberRemoved { .. }
                | DirectoryChange::MembersChanged { .. }
                | DirectoryChange::GroupUpdated { .. }
                | DirectoryChange::GroupDeleted { .. } => {
                    if let Err(e) = engine.on_membership_change(change).await {
                        tracing::warn!(error = %e, "could not follow a membership change of an assigned group");
                    }
                    if let Err(e) = engine.on_group_change(change).await {
                        tracing::warn!(error = %e, "could not queue the Group Push of a group change");
                    }
                }
            }
        })
    }
}
