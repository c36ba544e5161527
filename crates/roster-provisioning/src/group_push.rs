//! Group Push: mappings from a source group to a group on the target, kept equal to the
//! source group's members who are assigned to the app.

use roster_directory::DirectoryChange;

use crate::engine::{Provisioning, Result};

impl Provisioning {
    /// Queue the Group Push of every active mapping a group change touches.
    pub(crate) async fn on_group_change(&self, change: DirectoryChange<'_>) -> Result<()> {
        let _ = change;
        Ok(())
    }
}
