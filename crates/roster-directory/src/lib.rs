//! Roster's directory services: the use cases behind every surface.
//!
//! The Management API (`/api/v1`) and SCIM (`/scim/v2`) are two wire formats over the same
//! operations: create a user, change its profile, move it through its lifecycle, set or change
//! its password under the password policy that applies, authenticate it, manage groups, password
//! policies and the profile schema. [`Directory`] implements those operations once, on top of the
//! pure rules of `roster-core` and the `roster-store` repository, and records each change with
//! its System Log events in the same transaction.
//!
//! Passwords reach this crate as [`secrecy::SecretString`]s and leave it only as hashes. Hashing
//! runs on tokio's blocking pool, bounded by a semaphore, never on the async workers.

mod authn;
mod error;
mod groups;
mod passwords;
mod policies;
mod schema;
pub mod scim_ops;
mod tokens;
mod users;

use std::sync::Arc;

use roster_core::event::{Actor, Client};
use roster_core::ids::{make_id, IdKind};
use roster_core::{LogEvent, Timestamp};
use roster_store::Store;
use tokio::sync::Semaphore;

pub use authn::{AuthnOutcome, AuthnStatus};
pub use error::DirectoryError;
pub use groups::GroupPage;
pub use passwords::{PasswordInput, SetPasswordMode};
pub use tokens::OneTimeLink;
pub use users::{LifecycleResult, NewUser, ProfileChange, UserListQuery, UserPage};

pub type Result<T, E = DirectoryError> = std::result::Result<T, E>;

/// Who does a change, when, and from where: every event a change writes carries this.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub actor: Actor,
    pub now: Timestamp,
    pub transaction_id: String,
    pub client: Client,
}

impl Ctx {
    pub fn new(actor: Actor, now: Timestamp) -> Self {
        Ctx {
            actor,
            now,
            transaction_id: uuid::Uuid::new_v4().simple().to_string(),
            client: Client::default(),
        }
    }

    /// A SUCCESS event of `event_type` for this change.
    pub fn event(&self, event_type: &str, display_message: &str) -> LogEvent {
        let mut event = LogEvent::new(
            uuid::Uuid::new_v4().to_string(),
            self.now,
            event_type,
            display_message,
            self.actor.clone(),
            &self.transaction_id,
        );
        event.client = self.client.clone();
        event
    }
}

/// Told, after the change is stored, that a user's password was set from a clear value
/// (create, administrator set, own change). Push provisioning uses it to escrow the password
/// for the apps that sync it; an observer must not log the password and cannot fail the change.
pub trait PasswordObserver: Send + Sync {
    fn password_set<'a>(
        &'a self,
        user: &'a roster_core::User,
        password: &'a secrecy::SecretString,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
}

/// The directory's operations over one store.
#[derive(Clone)]
pub struct Directory {
    store: Store,
    /// Bounds concurrent password hashes (each takes ~19 MiB and tens of ms of CPU).
    hashing: Arc<Semaphore>,
    /// Told when a password is set (see [`PasswordObserver`]).
    password_observer: Option<Arc<dyn PasswordObserver>>,
}

impl Directory {
    pub fn new(store: Store) -> Self {
        let permits = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .max(2);
        Directory {
            store,
            hashing: Arc::new(Semaphore::new(permits)),
            password_observer: None,
        }
    }

    /// This directory, telling `observer` about every password set from a clear value.
    pub fn with_password_observer(mut self, observer: Arc<dyn PasswordObserver>) -> Self {
        self.password_observer = Some(observer);
        self
    }

    /// Tell the observer, if any, that `user`'s password is now `password`.
    pub(crate) async fn password_was_set(
        &self,
        user: &roster_core::User,
        password: &secrecy::SecretString,
    ) {
        if let Some(observer) = &self.password_observer {
            observer.password_set(user, password).await;
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Make sure the defaults exist: the default password policy and the profile schema.
    pub async fn ensure_defaults(&self, now: Timestamp) -> Result<()> {
        policies::ensure_default_policy(self, now).await?;
        Ok(())
    }

    /// Whether an id or name from a request can name a stored object at all. Text with U+0000
    /// never can (no store keeps it; PostgreSQL refuses it in a query), so lookups of such values
    /// answer "not found" without asking the store.
    pub(crate) fn storable(value: &str) -> bool {
        !value.contains('\0')
    }

    pub(crate) fn new_id(kind: IdKind, now: Timestamp) -> String {
        make_id(kind, now, rand::random())
    }
}
