//! The password requirements an end-user page shows next to a new-password field: one line per
//! requirement of the user's policy, with what a script needs to mark it met as the user types
//! (`assets/console.js`, `ul[data-check-password]`). The server's check stays the one that
//! decides; history, minimum age and the common-password list are only checked there.

use roster_core::policy::{PasswordPolicy, Requirement};
use roster_core::User;

/// One requirement line.
pub(crate) struct RequirementView {
    /// Okta's code (`minLength`, `excludeUsername`, ...).
    pub code: &'static str,
    pub text: String,
    /// Whether the page can check it as the user types.
    pub live: bool,
    /// The number it counts, as text ("" when none).
    pub bound: String,
    /// For exclusion rules: the lowercase strings the password must not contain, one per line.
    pub forbidden: String,
}

/// The lines of `policy` for `user`.
pub(crate) fn requirement_views(policy: &PasswordPolicy, user: &User) -> Vec<RequirementView> {
    let text = |key: &str| user.profile.get(key).and_then(|v| v.as_str());
    policy
        .requirements()
        .into_iter()
        .map(|r| RequirementView {
            code: r.code(),
            text: r.describe(),
            live: !matches!(
                r,
                Requirement::CommonPassword
                    | Requirement::History { .. }
                    | Requirement::MinAge { .. }
            ),
            bound: r.bound().map(|b| b.to_string()).unwrap_or_default(),
            forbidden: r
                .forbidden_parts(user.login(), text("firstName"), text("lastName"))
                .join("\n"),
        })
        .collect()
}
