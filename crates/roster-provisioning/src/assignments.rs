//! Group assignments: the members of a group assigned to an app become its app users.

use roster_directory::DirectoryChange;

use crate::engine::{Provisioning, Result};

impl Provisioning {
    /// Assign or unassign a user whose membership of an assigned group changed.
    pub(crate) async fn on_membership_change(&self, change: DirectoryChange<'_>) -> Result<()> {
        let _ = change;
        Ok(())
    }
}
