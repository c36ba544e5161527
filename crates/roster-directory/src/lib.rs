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
mod changes;
mod error;
mod groups;
mod passwords;
mod policies;
mod roles;
mod schema;
pub mod scim_ops;
mod sessions;
mod tokens;
mod users;

use std::sync::Arc;

use roster_core::event::{Actor, Client};
use roster_core::ids::{make_id, IdKind};
use roster_core::{LogEvent, Timestamp};
use roster_store::Store;
use tokio::sync::Semaphore;

pub use authn::{AuthnOutcome, AuthnStatus};
pub use changes::{ChangeRecord, Staged};
pub use error::DirectoryError;
pub use groups::GroupPage;
pub use passwords::{PasswordInput, SetPasswordMode};
pub use roles::{strongest as strongest_role, AdminRole};
pub use sessions::{AdminSignIn, NewSession, Session, SessionAudience, SessionLimits, UserSignIn};
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

    /// A SUCCESS event of `event_type` for this change. Its uuid is a version 7 UUID of the
    /// change's time (random below the millisecond), so the System Log's unique uuid index grows
    /// at its end instead of splitting pages all over (imports write millions of events).
    pub fn event(&self, event_type: &str, display_message: &str) -> LogEvent {
        let ms = u64::try_from(self.now.as_millis()).unwrap_or(0);
        let at = uuid::Timestamp::from_unix(
            uuid::NoContext,
            ms / 1000,
            ((ms % 1000) * 1_000_000) as u32,
        );
        let mut event = LogEvent::new(
            uuid::Uuid::new_v7(at).to_string(),
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

/// A change the directory has stored, as told to its [`DirectoryObserver`].
#[derive(Debug, Clone, Copy)]
pub enum DirectoryChange<'a> {
    /// A password was set from a clear value (create, administrator set, own change, recovery).
    PasswordSet {
        user: &'a roster_core::User,
        password: &'a secrecy::SecretString,
    },
    /// A successful sign-in proved that `password` is the user's password. Nothing changed:
    /// this is not a password change (no `passwordChanged`, no history entry). Push
    /// provisioning uses it to capture the password for apps still waiting for it (a user whose
    /// password predates the app's password sync).
    PasswordVerified {
        user: &'a roster_core::User,
        password: &'a secrecy::SecretString,
    },
    UserCreated {
        user: &'a roster_core::User,
    },
    /// The profile changed (an update that changed nothing is not told).
    ProfileUpdated {
        user: &'a roster_core::User,
    },
    /// A lifecycle operation moved the user from `from` to `user.status`.
    StatusChanged {
        user: &'a roster_core::User,
        from: roster_core::UserStatus,
    },
    UserDeleted {
        user_id: &'a str,
    },
    MemberAdded {
        group_id: &'a str,
        user_id: &'a str,
    },
    MemberRemoved {
        group_id: &'a str,
        user_id: &'a str,
    },
    /// Several members joined and left one group in one write (an import).
    MembersChanged {
        group_id: &'a str,
        added: &'a [String],
        removed: &'a [String],
    },
    /// The group's name or description changed.
    GroupUpdated {
        group: &'a roster_core::Group,
    },
    GroupDeleted {
        group_id: &'a str,
    },
}

/// What push provisioning (or anything else acting on directory changes) plugs into the
/// directory. A change's consequences are durable: the directory stages a [`ChangeRecord`] per
/// change and writes it in the change's transaction (`changes.rs`), then hands the entries to
/// [`DirectoryObserver::committed`]. Only a sign-in's proof of a password
/// ([`DirectoryChange::PasswordVerified`]) is told without being kept
/// ([`DirectoryObserver::changed`]): the next sign-in proves it again.
pub trait DirectoryObserver: Send + Sync {
    /// Seal `password`, the new password of `user_id`, for its outbox entry; `None` when it
    /// cannot (the password is then not synced, and the observer logs why, never the password).
    fn seal(&self, user_id: &str, password: &secrecy::SecretString) -> Option<String>;

    /// How long the writer of an entry holds it before a sweeper may take it over (seconds).
    fn lease_seconds(&self) -> i64;

    /// Act on outbox entries written with a change that just committed, deleting each done one.
    fn committed<'a>(
        &'a self,
        entries: Vec<roster_store::OutboxEntry>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;

    /// Told about a change that is not kept (a sign-in proved a password). It cannot fail the
    /// sign-in and must not log the password.
    fn changed<'a>(
        &'a self,
        change: DirectoryChange<'a>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>;
}

/// The directory's operations over one store.
#[derive(Clone)]
pub struct Directory {
    store: Store,
    /// Bounds concurrent password hashes (each takes ~19 MiB and tens of ms of CPU).
    hashing: Arc<Semaphore>,
    /// Acts on every stored change (see [`DirectoryObserver`]).
    observer: Option<Arc<dyn DirectoryObserver>>,
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
            observer: None,
        }
    }

    /// This directory, telling `observer` about every change it stores.
    pub fn with_observer(mut self, observer: Arc<dyn DirectoryObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Tell the observer, if any, about a change that is not kept (see [`DirectoryObserver`]).
    pub(crate) async fn tell(&self, change: DirectoryChange<'_>) {
        if let Some(observer) = &self.observer {
            observer.changed(change).await;
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
