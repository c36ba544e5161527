//! How directory changes reach push provisioning: through the change outbox.
//!
//! The directory writes an outbox entry with every change, in the change's own transaction
//! (`roster-directory`'s `changes.rs`), leased to the request that made it. Right after the
//! commit that request hands the entries here ([`DirectoryObserver::committed`]) and the engine
//! acts on each ([`crate::outbox`]) and deletes it. An entry left behind — the server died
//! between the commit and acting, or acting failed and was deferred with backoff — is taken up
//! by the outbox sweeper ([`crate::outbox::spawn_sweeper`]) of any server on the database once
//! its lease runs out. A committed change therefore always gets its pushes, at least once; the
//! steps are idempotent (a user found on the target is linked, a queued push is queued again
//! harmlessly).
//!
//! - a password set from a clear value is sealed into its entry here ([`DirectoryObserver::seal`],
//!   with the escrow's purpose, so the sealed value becomes the escrow as it is);
//! - user changes (created, profile, status, deleted) queue user pushes ([`crate::lifecycle`]);
//! - membership changes of a group assigned to an app assign or unassign its members
//!   ([`crate::assignments`]);
//! - group changes (members, name, deletion) queue Group Push ([`crate::group_push`]);
//! - a password proven by a successful sign-in is not kept (the next sign-in proves it again):
//!   it is escrowed and pushed at once only to the apps whose app user still waits for it
//!   ([`Provisioning::capture_at_sign_in`]); for every other sign-in nothing is written.

use std::future::Future;
use std::pin::Pin;

use roster_directory::{DirectoryChange, DirectoryObserver};
use roster_store::OutboxEntry;
use secrecy::SecretString;

use crate::engine::{escrow_purpose, Provisioning};

pub(crate) struct ProvisioningObserver(pub(crate) Provisioning);

impl DirectoryObserver for ProvisioningObserver {
    fn seal(&self, user_id: &str, password: &SecretString) -> Option<String> {
        let sealed = self
            .0
            .inner
            .keys
            .key()
            .and_then(|key| key.seal(&escrow_purpose(user_id), password));
        match sealed {
            Ok(sealed) => Some(sealed),
            Err(e) => {
                tracing::warn!(user = %user_id, error = %e, "could not seal a password for password sync; it will not be synced");
                None
            }
        }
    }

    fn lease_seconds(&self) -> i64 {
        i64::try_from(self.0.inner.settings.outbox_lease.as_secs()).unwrap_or(30)
    }

    fn committed<'a>(
        &'a self,
        entries: Vec<OutboxEntry>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            for entry in entries {
                self.0.act_on_entry(&entry).await;
            }
        })
    }

    fn changed<'a>(
        &'a self,
        change: DirectoryChange<'a>,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            if let DirectoryChange::PasswordVerified { user, password } = change {
                if let Err(e) = self.0.capture_at_sign_in(user, password).await {
                    tracing::warn!(user = %user.id, error = %e, "could not capture a password at sign-in for password sync");
                }
            }
        })
    }
}
