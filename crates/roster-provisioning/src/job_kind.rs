//! What a job does: a closed set, stored by name in `provisioning_jobs.operation`. The worker
//! dispatches with a `match` on it, so a new kind cannot be queued without a step that runs it.

/// The kinds of provisioning jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    /// Create or link a user on the target, with its profile and password (`push_user.rs`).
    PushUser,
    /// Reactivate an inactive target user, then push it (`push_user.rs`).
    ReactivateUser,
    /// Deactivate or delete the target user (`lifecycle.rs`).
    DeactivateUser,
    /// Make a target group's members equal to a source group's (`group_push.rs`).
    PushGroup,
    /// Deliver one mail (`mail.rs`).
    SendEmail,
}

impl JobKind {
    pub const ALL: [JobKind; 5] = [
        JobKind::PushUser,
        JobKind::ReactivateUser,
        JobKind::DeactivateUser,
        JobKind::PushGroup,
        JobKind::SendEmail,
    ];

    /// The name stored in the queue and shown on tasks.
    pub const fn as_str(self) -> &'static str {
        match self {
            JobKind::PushUser => "user.push",
            JobKind::ReactivateUser => "user.reactivate",
            JobKind::DeactivateUser => "user.deactivate",
            JobKind::PushGroup => "group.push",
            JobKind::SendEmail => "email.send",
        }
    }

    /// The kind stored as `name`; `None` for a name this version does not know (a job queued by
    /// a newer server sharing the database).
    pub fn parse(name: &str) -> Option<JobKind> {
        JobKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(JobKind::parse("user.teleport"), None);
    }
}
