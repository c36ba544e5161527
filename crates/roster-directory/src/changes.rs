//! What a directory change sets off, kept in the change's own transaction (the change outbox,
//! `roster-store`'s `outbox.rs`).
//!
//! A use case stages its changes before it writes ([`Directory::stage`]): each becomes a
//! [`ChangeRecord`] in an outbox entry, and the write made through [`Staged::store`] stores the
//! entries with the change and its events. After the commit the use case hands the entries to
//! the observer ([`Directory::committed`]), which acts on them and deletes them. An entry the
//! observer never finished — the server died in between, or acting failed — is taken up again
//! by the observer's sweeper once its lease runs out. So a committed change always gets its
//! consequences, at least once; the consumers are idempotent (a push found on the target is
//! linked, not created twice).
//!
//! A password for password sync is kept sealed by the observer ([`DirectoryObserver::seal`]),
//! never in clear.

use roster_core::ids::IdKind;
use roster_core::Timestamp;
use roster_store::{OutboxEntry, Store};
use serde::{Deserialize, Serialize};

use crate::{Directory, DirectoryChange};

/// The durable form of a [`DirectoryChange`]: ids and statuses, read again when acted on.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "change",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ChangeRecord {
    UserCreated {
        user_id: String,
    },
    ProfileUpdated {
        user_id: String,
    },
    StatusChanged {
        user_id: String,
        from: String,
        to: String,
    },
    UserDeleted {
        user_id: String,
    },
    /// A password set from a clear value, sealed by the observer.
    PasswordSet {
        user_id: String,
        sealed: String,
        captured: Timestamp,
    },
    MemberAdded {
        group_id: String,
        user_id: String,
    },
    MemberRemoved {
        group_id: String,
        user_id: String,
    },
    MembersChanged {
        group_id: String,
        added: Vec<String>,
        removed: Vec<String>,
    },
    GroupUpdated {
        group_id: String,
    },
    GroupDeleted {
        group_id: String,
    },
}

impl ChangeRecord {
    /// The record of `change`; `None` for what is not kept (a sign-in's proof of a password,
    /// a password the observer could not seal).
    fn of(change: &DirectoryChange<'_>, seal: impl Fn(&str) -> Option<String>) -> Option<Self> {
        Some(match change {
            DirectoryChange::PasswordSet { user, .. } => ChangeRecord::PasswordSet {
                user_id: user.id.clone(),
                sealed: seal(&user.id)?,
                captured: user.last_updated,
            },
            DirectoryChange::PasswordVerified { .. } => return None,
            DirectoryChange::UserCreated { user } => ChangeRecord::UserCreated {
                user_id: user.id.clone(),
            },
            DirectoryChange::ProfileUpdated { user } => ChangeRecord::ProfileUpdated {
                user_id: user.id.clone(),
            },
            DirectoryChange::StatusChanged { user, from } => ChangeRecord::StatusChanged {
                user_id: user.id.clone(),
                from: from.as_str().to_owned(),
                to: user.status.as_str().to_owned(),
            },
            DirectoryChange::UserDeleted { user_id } => ChangeRecord::UserDeleted {
                user_id: (*user_id).to_owned(),
            },
            DirectoryChange::MemberAdded { group_id, user_id } => ChangeRecord::MemberAdded {
                group_id: (*group_id).to_owned(),
                user_id: (*user_id).to_owned(),
            },
            DirectoryChange::MemberRemoved { group_id, user_id } => ChangeRecord::MemberRemoved {
                group_id: (*group_id).to_owned(),
                user_id: (*user_id).to_owned(),
            },
            DirectoryChange::MembersChanged {
                group_id,
                added,
                removed,
            } => ChangeRecord::MembersChanged {
                group_id: (*group_id).to_owned(),
                added: added.to_vec(),
                removed: removed.to_vec(),
            },
            DirectoryChange::GroupUpdated { group } => ChangeRecord::GroupUpdated {
                group_id: group.id.clone(),
            },
            DirectoryChange::GroupDeleted { group_id } => ChangeRecord::GroupDeleted {
                group_id: (*group_id).to_owned(),
            },
        })
    }

    /// Read back an outbox entry's body; `None` for a body this version cannot read.
    pub fn from_entry(entry: &OutboxEntry) -> Option<Self> {
        serde_json::from_value(entry.body.clone()).ok()
    }

    /// The change's name as stored (`userCreated`, `passwordSet`, ...), for logs.
    pub fn name(&self) -> &'static str {
        match self {
            ChangeRecord::UserCreated { .. } => "userCreated",
            ChangeRecord::ProfileUpdated { .. } => "profileUpdated",
            ChangeRecord::StatusChanged { .. } => "statusChanged",
            ChangeRecord::UserDeleted { .. } => "userDeleted",
            ChangeRecord::PasswordSet { .. } => "passwordSet",
            ChangeRecord::MemberAdded { .. } => "memberAdded",
            ChangeRecord::MemberRemoved { .. } => "memberRemoved",
            ChangeRecord::MembersChanged { .. } => "membersChanged",
            ChangeRecord::GroupUpdated { .. } => "groupUpdated",
            ChangeRecord::GroupDeleted { .. } => "groupDeleted",
        }
    }
}

/// Changes staged for one write: the store handle that writes their outbox entries with it,
/// and the entries to hand to the observer once it committed.
pub struct Staged {
    store: Store,
    entries: Vec<OutboxEntry>,
}

impl Staged {
    /// The handle whose next mutation writes the entries (in that mutation's transaction).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl Directory {
    /// Stage `changes` for the next write (see the module docs). Without an observer nothing
    /// is staged and [`Staged::store`] is the directory's store.
    pub fn stage(&self, changes: &[DirectoryChange<'_>], now: Timestamp) -> Staged {
        let Some(observer) = &self.observer else {
            return Staged {
                store: self.store.clone(),
                entries: Vec::new(),
            };
        };
        // A password first: its escrow is stored before the pushes the other changes queue
        // read it (a create with a password pushes it at once). Ids keep that order for a
        // sweeper, which acts on entries by id.
        let base = Directory::new_id(IdKind::Other, now);
        let ordered = changes
            .iter()
            .filter(|c| matches!(c, DirectoryChange::PasswordSet { .. }))
            .chain(
                changes
                    .iter()
                    .filter(|c| !matches!(c, DirectoryChange::PasswordSet { .. })),
            );
        let entries: Vec<OutboxEntry> = ordered
            .enumerate()
            .filter_map(|(n, change)| {
                let record = ChangeRecord::of(change, |user_id| match change {
                    DirectoryChange::PasswordSet { password, .. } => {
                        observer.seal(user_id, password)
                    }
                    _ => None,
                })?;
                let body = serde_json::to_value(&record).ok()?;
                Some(OutboxEntry {
                    id: format!("{base}{n:03}"),
                    body,
                    attempts: 0,
                })
            })
            .collect();
        let lease_until = Timestamp::from_millis(
            now.as_millis()
                .saturating_add(observer.lease_seconds().saturating_mul(1000)),
        );
        Staged {
            store: self.store.with_outbox(entries.clone(), now, lease_until),
            entries,
        }
    }

    /// The write through `staged` committed: let the observer act on its entries now.
    pub async fn committed(&self, staged: Staged) {
        if staged.entries.is_empty() {
            return;
        }
        if let Some(observer) = &self.observer {
            observer.committed(staged.entries).await;
        }
    }
}
