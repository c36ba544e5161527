//! Password policies in Okta's `PASSWORD` policy shape, and the check a new password must pass.
//!
//! A [`PasswordPolicy`] serialises like an object of Okta's `GET /api/v1/policies?type=PASSWORD`
//! (`settings.password.complexity / age / lockout`, `conditions.people.groups.include`), plus two
//! complexity settings that Okta lacks and that targets such as SAP Identity Authentication need:
//! `maxLength` and `minCharacterGroups` ("characters from at least N of: lowercase, uppercase,
//! digit, symbol").
//!
//! [`select`] picks the policy that governs a user; [`PasswordPolicy::check`] returns *every*
//! requirement a password misses, and a [`PasswordRejection`] renders them in the words Okta uses,
//! so admins who know Okta's message recognise Roster's:
//!
//! ```text
//! Password requirements were not met. Password requirements: at least 10 characters, a lowercase
//! letter, an uppercase letter, a number, a symbol, no parts of your username. At least 1 day(s)
//! must have elapsed since you last changed your password.
//! ```
//!
//! Like Okta, the sentence lists all of the policy's requirements, not only the unmet ones; the
//! unmet ones are in [`PasswordRejection::unmet`], each with a stable [`Requirement::code`].
//!
//! The module is pure: the clock comes in as [`PasswordContext::now`], and password history is a
//! callback ([`PasswordContext::in_history`]) so that hash verification stays with the caller.
//!
//! # How characters are counted
//! - Length is counted in Unicode scalar values (`char`s), not bytes.
//! - A lowercase / uppercase letter is any `char` Unicode calls lowercase / uppercase (`é` counts as
//!   lowercase); a number is any numeric `char`; a symbol is any other visible `char` that is not a
//!   letter or a number (`!`, `#`, `€`, ...). Whitespace and control characters are not symbols.
//!
//! # The username and name rules
//! `excludeUsername` follows the rule Okta documents for its default policy: the password must
//! not contain the user's login, nor any part of it when split on `,` `.` `_` `#` `@` `-`. Only
//! parts of at least [`MIN_USERNAME_PART_CHARS`] (4) characters count, and the top-level domain of
//! an email login (the `com` of `isaac.brock@example.com`) never does. So `isaac.brock@example.com`
//! forbids `isaac.brock@example.com`, `isaac`, `brock` and `example`.
//!
//! `excludeAttributes: ["firstName", "lastName"]` forbids the whole first / last name. Roster only
//! applies it to names of at least [`MIN_NAME_CHARS`] (3) characters: a rule against containing
//! `"A"` or `"Li"` would refuse most passwords and protect nothing. All comparisons ignore case.
//!
//! # The common-password dictionary
//! `dictionary.common.exclude` refuses a password that is, ignoring case, one of the 19,640 entries
//! of `data/common-passwords.txt` (Django's common-password list, BSD-3-Clause; see
//! `data/README.md`).

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::Timestamp;
use crate::user::User;

/// Login parts shorter than this many characters are not checked by `excludeUsername` (Okta's rule).
pub const MIN_USERNAME_PART_CHARS: usize = 4;

/// First and last names shorter than this many characters are not checked by `excludeAttributes`.
pub const MIN_NAME_CHARS: usize = 3;

/// The separators `excludeUsername` splits a login on (Okta's list).
pub const USERNAME_SEPARATORS: [char; 6] = [',', '.', '_', '#', '@', '-'];

/// The profile attributes `excludeAttributes` supports (as in Okta).
pub const EXCLUDABLE_ATTRIBUTES: [&str; 2] = ["firstName", "lastName"];

/// The common-password list, one lowercase entry per line (see `data/README.md`).
pub const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

/// Okta's description of the default policy.
const DEFAULT_POLICY_DESCRIPTION: &str =
    "The default policy applies in all situations if no other policy applies.";

/// Okta's separate message for a password found in the common-password dictionary.
pub const COMMON_PASSWORD_MESSAGE: &str =
    "This password was found in a list of commonly used passwords. Please try another password.";

/// The first sentence of a rejection, as Okta writes it.
pub const REQUIREMENTS_NOT_MET: &str = "Password requirements were not met.";

// ---------------------------------------------------------------------------------------------
// The policy object
// ---------------------------------------------------------------------------------------------

/// The policy `type`. Only `PASSWORD` policies live here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyType {
    #[default]
    Password,
}

/// A policy's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PolicyStatus {
    #[default]
    Active,
    Inactive,
}

impl PolicyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyStatus::Active => "ACTIVE",
            PolicyStatus::Inactive => "INACTIVE",
        }
    }
}

/// A password policy, serialised in Okta's shape.
///
/// Fields a client leaves out take Okta's defaults (see [`Complexity::default`] and friends), so a
/// body posted to `/api/v1/policies` deserialises directly; the server then assigns `id`,
/// `priority`, `created` and `lastUpdated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicy {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: PolicyType,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: PolicyStatus,
    /// 1 is evaluated first. The default (`system`) policy always comes last.
    #[serde(default)]
    pub priority: u32,
    /// `true` only for the default policy, which cannot be deleted.
    #[serde(default)]
    pub system: bool,
    #[serde(default)]
    pub conditions: PolicyConditions,
    #[serde(default)]
    pub settings: PasswordPolicySettings,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<Timestamp>,
}

/// `conditions`: who the policy applies to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyConditions {
    #[serde(default)]
    pub people: PeopleCondition,
    /// Okta's authentication provider condition (`{"provider": "OKTA"}`). Kept for the shape;
    /// [`select`] does not look at it, since Roster only holds passwords of `OKTA` users.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_provider: Option<AuthProviderCondition>,
}

/// `conditions.people`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PeopleCondition {
    #[serde(default)]
    pub groups: GroupCondition,
}

/// `conditions.people.groups`: group ids. An empty `include` means everyone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct GroupCondition {
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
}

/// `conditions.authProvider`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthProviderCondition {
    pub provider: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
}

/// `settings`. Okta's `recovery` and `delegation` settings are kept as sent, in `other`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PasswordPolicySettings {
    #[serde(default)]
    pub password: PasswordSettings,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `settings.password`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PasswordSettings {
    #[serde(default)]
    pub complexity: Complexity,
    #[serde(default)]
    pub age: Age,
    #[serde(default)]
    pub lockout: Lockout,
}

/// `settings.password.complexity`. Defaults are Okta's API defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Complexity {
    pub min_length: u32,
    /// Okta documents these four as `0` / `1`; Roster also honours larger counts.
    pub min_lower_case: u32,
    pub min_upper_case: u32,
    pub min_number: u32,
    pub min_symbol: u32,
    pub exclude_username: bool,
    pub dictionary: PasswordDictionary,
    /// Only `firstName` and `lastName` are supported (see [`EXCLUDABLE_ATTRIBUTES`]).
    pub exclude_attributes: Vec<String>,
    /// Roster extension: at most this many characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Roster extension: characters from at least this many of the four groups lowercase,
    /// uppercase, number, symbol (`0` = no such rule).
    #[serde(skip_serializing_if = "is_zero")]
    pub min_character_groups: u32,
}

impl Default for Complexity {
    fn default() -> Self {
        Complexity {
            min_length: 8,
            min_lower_case: 1,
            min_upper_case: 1,
            min_number: 1,
            min_symbol: 1,
            exclude_username: true,
            dictionary: PasswordDictionary::default(),
            exclude_attributes: Vec::new(),
            max_length: None,
            min_character_groups: 0,
        }
    }
}

/// `settings.password.complexity.dictionary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PasswordDictionary {
    #[serde(default)]
    pub common: CommonPasswordDictionary,
}

/// `settings.password.complexity.dictionary.common`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CommonPasswordDictionary {
    /// Refuse passwords found in the common-password list.
    #[serde(default)]
    pub exclude: bool,
}

/// `settings.password.age`. `0` means "no limit" everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Age {
    pub max_age_days: u32,
    pub expire_warn_days: u32,
    pub min_age_minutes: u32,
    pub history_count: u32,
}

/// `settings.password.lockout`. `0` means "no limit".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Lockout {
    pub max_attempts: u32,
    pub auto_unlock_minutes: u32,
    pub show_lockout_failures: bool,
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout {
            max_attempts: 10,
            auto_unlock_minutes: 0,
            show_lockout_failures: false,
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl PasswordPolicy {
    /// A new, active, non-system policy with Okta's default settings, for everyone.
    pub fn new(id: String, name: String, priority: u32, now: Timestamp) -> Self {
        PasswordPolicy {
            id,
            kind: PolicyType::Password,
            name,
            description: None,
            status: PolicyStatus::Active,
            priority,
            system: false,
            conditions: PolicyConditions::default(),
            settings: PasswordPolicySettings::default(),
            created: Some(now),
            last_updated: Some(now),
        }
    }

    /// The default policy every Roster instance starts with, as Okta's "Default Policy": at least
    /// 8 characters, a lowercase letter, an uppercase letter, a number, no parts of the username,
    /// none of the last 4 passwords, locked after 10 failed sign-ins.
    ///
    /// Unlike Okta's API default, the common-password check is on (NIST SP 800-63B asks for it).
    pub fn okta_default(id: String, now: Timestamp) -> Self {
        let mut policy = PasswordPolicy::new(id, "Default Policy".into(), 1, now);
        policy.description = Some(DEFAULT_POLICY_DESCRIPTION.into());
        policy.system = true;
        policy.conditions.auth_provider = Some(AuthProviderCondition {
            provider: "OKTA".into(),
            include: Vec::new(),
        });
        policy.settings.password = PasswordSettings {
            complexity: Complexity {
                min_length: 8,
                min_lower_case: 1,
                min_upper_case: 1,
                min_number: 1,
                min_symbol: 0,
                exclude_username: true,
                dictionary: PasswordDictionary {
                    common: CommonPasswordDictionary { exclude: true },
                },
                exclude_attributes: Vec::new(),
                max_length: None,
                min_character_groups: 0,
            },
            age: Age {
                max_age_days: 0,
                expire_warn_days: 0,
                min_age_minutes: 0,
                history_count: 4,
            },
            lockout: Lockout {
                max_attempts: 10,
                auto_unlock_minutes: 0,
                show_lockout_failures: false,
            },
        };
        policy
    }

    /// SAP Identity Authentication's minimum policy (seed 002): 8 to 255 characters from at least
    /// three of the groups lowercase, uppercase, digit, symbol. Handy for a Roster that stands in
    /// for an IAS target.
    pub fn sap_ias(id: String, name: String, priority: u32, now: Timestamp) -> Self {
        let mut policy = PasswordPolicy::new(id, name, priority, now);
        policy.settings.password.complexity = Complexity {
            min_length: 8,
            min_lower_case: 0,
            min_upper_case: 0,
            min_number: 0,
            min_symbol: 0,
            exclude_username: false,
            dictionary: PasswordDictionary::default(),
            exclude_attributes: Vec::new(),
            max_length: Some(255),
            min_character_groups: 3,
        };
        policy
    }

    fn complexity(&self) -> &Complexity {
        &self.settings.password.complexity
    }

    fn age(&self) -> &Age {
        &self.settings.password.age
    }

    fn lockout(&self) -> &Lockout {
        &self.settings.password.lockout
    }

    /// Whether the policy's group condition matches a user in these groups (empty include =
    /// everyone; a user in an excluded group never matches).
    pub fn applies_to(&self, user_group_ids: &[String]) -> bool {
        let groups = &self.conditions.people.groups;
        let included =
            groups.include.is_empty() || groups.include.iter().any(|g| user_group_ids.contains(g));
        let excluded = groups.exclude.iter().any(|g| user_group_ids.contains(g));
        included && !excluded
    }

    /// Every requirement of the policy, in the order Okta lists them.
    pub fn requirements(&self) -> Vec<Requirement> {
        let c = self.complexity();
        let age = self.age();
        let mut out = Vec::new();
        if c.min_length > 0 {
            out.push(Requirement::MinLength { min: c.min_length });
        }
        if let Some(max) = c.max_length {
            out.push(Requirement::MaxLength { max });
        }
        if c.min_lower_case > 0 {
            out.push(Requirement::MinLowerCase {
                min: c.min_lower_case,
            });
        }
        if c.min_upper_case > 0 {
            out.push(Requirement::MinUpperCase {
                min: c.min_upper_case,
            });
        }
        if c.min_number > 0 {
            out.push(Requirement::MinNumber { min: c.min_number });
        }
        if c.min_symbol > 0 {
            out.push(Requirement::MinSymbol { min: c.min_symbol });
        }
        if c.min_character_groups > 0 {
            out.push(Requirement::MinCharacterGroups {
                min: c.min_character_groups,
            });
        }
        if c.exclude_username {
            out.push(Requirement::ExcludeUsername);
        }
        if c.exclude_attributes.iter().any(|a| a == "firstName") {
            out.push(Requirement::ExcludeFirstName);
        }
        if c.exclude_attributes.iter().any(|a| a == "lastName") {
            out.push(Requirement::ExcludeLastName);
        }
        if c.dictionary.common.exclude {
            out.push(Requirement::CommonPassword);
        }
        if age.history_count > 0 {
            out.push(Requirement::History {
                count: age.history_count,
            });
        }
        if age.min_age_minutes > 0 {
            out.push(Requirement::MinAge {
                minutes: age.min_age_minutes,
            });
        }
        out
    }

    /// The policy's requirements in Okta's words, for previews, SCIM error details and the
    /// console: `Password requirements: at least 8 characters, a lowercase letter, .... Your
    /// password cannot be any of your last 4 passwords.` Empty for a policy without requirements.
    pub fn requirements_summary(&self) -> String {
        render_requirements(&self.requirements())
    }

    /// Checks a new password. `Err` lists every unmet requirement, not only the first.
    pub fn check(
        &self,
        password: &str,
        ctx: &PasswordContext<'_>,
    ) -> Result<(), PasswordRejection> {
        let requirements = self.requirements();
        let stats = CharStats::of(password);
        let lowered = password.to_lowercase();
        let unmet: Vec<Requirement> = requirements
            .iter()
            .copied()
            .filter(|req| !self.is_met(*req, password, &lowered, &stats, ctx))
            .collect();
        if unmet.is_empty() {
            Ok(())
        } else {
            Err(PasswordRejection {
                unmet,
                requirements,
            })
        }
    }

    fn is_met(
        &self,
        req: Requirement,
        password: &str,
        lowered: &str,
        stats: &CharStats,
        ctx: &PasswordContext<'_>,
    ) -> bool {
        match req {
            Requirement::MinLength { min } => stats.chars >= u64::from(min),
            Requirement::MaxLength { max } => stats.chars <= u64::from(max),
            Requirement::MinLowerCase { min } => stats.lower >= u64::from(min),
            Requirement::MinUpperCase { min } => stats.upper >= u64::from(min),
            Requirement::MinNumber { min } => stats.number >= u64::from(min),
            Requirement::MinSymbol { min } => stats.symbol >= u64::from(min),
            Requirement::MinCharacterGroups { min } => stats.groups() >= min,
            Requirement::ExcludeUsername => !username_fragments(ctx.login)
                .iter()
                .any(|part| lowered.contains(part.as_str())),
            Requirement::ExcludeFirstName => !contains_name(lowered, ctx.first_name),
            Requirement::ExcludeLastName => !contains_name(lowered, ctx.last_name),
            Requirement::CommonPassword => !is_common_password(password),
            Requirement::History { .. } => !(ctx.in_history)(password),
            Requirement::MinAge { minutes } => match (ctx.min_age_applies, ctx.password_changed) {
                (true, Some(changed)) => ctx.now >= changed.plus_minutes(i64::from(minutes)),
                _ => true,
            },
        }
    }

    /// After how many consecutive failed sign-ins the user is locked out (`None`: never).
    pub fn lockout_after(&self) -> Option<u32> {
        let n = self.lockout().max_attempts;
        (n > 0).then_some(n)
    }

    /// When a user locked out at `locked_at` is unlocked automatically (`None`: only by an admin).
    pub fn auto_unlock_at(&self, locked_at: Timestamp) -> Option<Timestamp> {
        let minutes = self.lockout().auto_unlock_minutes;
        (minutes > 0).then(|| locked_at.plus_minutes(i64::from(minutes)))
    }

    /// When a password set at `password_changed` expires (`None`: never).
    pub fn expires_at(&self, password_changed: Timestamp) -> Option<Timestamp> {
        let days = self.age().max_age_days;
        (days > 0).then(|| password_changed.plus_days(i64::from(days)))
    }

    /// From when the user is warned that the password set at `password_changed` will expire.
    pub fn expiry_warning_from(&self, password_changed: Timestamp) -> Option<Timestamp> {
        let warn = self.age().expire_warn_days;
        let expires = self.expires_at(password_changed)?;
        (warn > 0).then(|| expires.plus_days(-i64::from(warn)))
    }

    /// The earliest time the user may change a password set at `password_changed` themselves
    /// (`None`: any time).
    pub fn next_change_allowed_at(&self, password_changed: Timestamp) -> Option<Timestamp> {
        let minutes = self.age().min_age_minutes;
        (minutes > 0).then(|| password_changed.plus_minutes(i64::from(minutes)))
    }

    /// Checks the policy's own settings and returns every problem: lengths that contradict each
    /// other, unsupported `excludeAttributes`, `minCharacterGroups` above 4, an empty name.
    pub fn validate(&self) -> Result<(), Vec<PolicyProblem>> {
        let c = self.complexity();
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push(PolicyProblem::new("name", "the policy needs a name"));
        }
        if c.min_character_groups > 4 {
            problems.push(PolicyProblem::new(
                "settings.password.complexity.minCharacterGroups",
                format!(
                    "must be between 0 and 4 (there are four groups), got {}",
                    c.min_character_groups
                ),
            ));
        }
        if let Some(max) = c.max_length {
            if max == 0 {
                problems.push(PolicyProblem::new(
                    "settings.password.complexity.maxLength",
                    "must be at least 1",
                ));
            }
            if max < c.min_length {
                problems.push(PolicyProblem::new(
                    "settings.password.complexity.maxLength",
                    format!(
                        "is {max}, below minLength {}: no password could satisfy the policy",
                        c.min_length
                    ),
                ));
            }
            let required = u64::from(c.min_lower_case)
                + u64::from(c.min_upper_case)
                + u64::from(c.min_number)
                + u64::from(c.min_symbol);
            if u64::from(max) < required {
                problems.push(PolicyProblem::new(
                    "settings.password.complexity.maxLength",
                    format!("is {max}, but the minimum counts of each character kind add up to {required}"),
                ));
            }
        }
        for attribute in &c.exclude_attributes {
            if !EXCLUDABLE_ATTRIBUTES.contains(&attribute.as_str()) {
                problems.push(PolicyProblem::new(
                    "settings.password.complexity.excludeAttributes",
                    format!("{attribute:?} is not supported; use firstName and/or lastName"),
                ));
            }
        }
        if self.age().expire_warn_days > 0 && self.age().max_age_days == 0 {
            problems.push(PolicyProblem::new(
                "settings.password.age.expireWarnDays",
                "has no effect while maxAgeDays is 0 (passwords never expire)",
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// One problem with a policy's settings, found by [`PasswordPolicy::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyProblem {
    /// The JSON path of the offending setting, e.g. `settings.password.complexity.maxLength`.
    pub field: &'static str,
    /// Lowercase, no trailing period.
    pub message: String,
}

impl PolicyProblem {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        PolicyProblem {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for PolicyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Picks the policy that governs a user in `user_group_ids`: the `ACTIVE` non-system policy with
/// the lowest `priority` whose group condition matches, or else the default (`system`) policy.
pub fn select<'a>(
    policies: &'a [PasswordPolicy],
    user_group_ids: &[String],
) -> Option<&'a PasswordPolicy> {
    policies
        .iter()
        .filter(|p| !p.system && p.status == PolicyStatus::Active && p.applies_to(user_group_ids))
        .min_by_key(|p| p.priority)
        .or_else(|| policies.iter().find(|p| p.system))
}

// ---------------------------------------------------------------------------------------------
// Requirements and their words
// ---------------------------------------------------------------------------------------------

/// One requirement of a policy, with its data. Serialises as `{"code": "minLength", "min": 10}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "code", rename_all = "camelCase")]
pub enum Requirement {
    /// At least `min` characters.
    MinLength {
        min: u32,
    },
    /// At most `max` characters (Roster extension).
    MaxLength {
        max: u32,
    },
    MinLowerCase {
        min: u32,
    },
    MinUpperCase {
        min: u32,
    },
    MinNumber {
        min: u32,
    },
    MinSymbol {
        min: u32,
    },
    /// Characters from at least `min` of lowercase, uppercase, number, symbol (Roster extension).
    MinCharacterGroups {
        min: u32,
    },
    /// No parts of the username (login).
    ExcludeUsername,
    ExcludeFirstName,
    ExcludeLastName,
    /// Not in the common-password dictionary.
    CommonPassword,
    /// Not one of the last `count` passwords.
    History {
        count: u32,
    },
    /// At least `minutes` since the last change (only for a user's own change).
    MinAge {
        minutes: u32,
    },
}

impl Requirement {
    /// A stable machine code, for API error causes: `minLength`, `maxLength`, `minLowerCase`,
    /// `minUpperCase`, `minNumber`, `minSymbol`, `minCharacterGroups`, `excludeUsername`,
    /// `excludeFirstName`, `excludeLastName`, `commonPassword`, `history`, `minAge`.
    pub fn code(&self) -> &'static str {
        match self {
            Requirement::MinLength { .. } => "minLength",
            Requirement::MaxLength { .. } => "maxLength",
            Requirement::MinLowerCase { .. } => "minLowerCase",
            Requirement::MinUpperCase { .. } => "minUpperCase",
            Requirement::MinNumber { .. } => "minNumber",
            Requirement::MinSymbol { .. } => "minSymbol",
            Requirement::MinCharacterGroups { .. } => "minCharacterGroups",
            Requirement::ExcludeUsername => "excludeUsername",
            Requirement::ExcludeFirstName => "excludeFirstName",
            Requirement::ExcludeLastName => "excludeLastName",
            Requirement::CommonPassword => "commonPassword",
            Requirement::History { .. } => "history",
            Requirement::MinAge { .. } => "minAge",
        }
    }

    /// The number the requirement counts (`minLength`'s minimum, ...), if it counts one.
    pub fn bound(&self) -> Option<u32> {
        match *self {
            Requirement::MinLength { min }
            | Requirement::MinLowerCase { min }
            | Requirement::MinUpperCase { min }
            | Requirement::MinNumber { min }
            | Requirement::MinSymbol { min }
            | Requirement::MinCharacterGroups { min } => Some(min),
            Requirement::MaxLength { max } => Some(max),
            Requirement::History { count } => Some(count),
            Requirement::MinAge { minutes } => Some(minutes),
            _ => None,
        }
    }

    /// For the exclusion rules, the lowercase strings a password must not contain for this user
    /// (the parts of the login, the first or last name when long enough); empty otherwise. A
    /// page uses them to check the rule as the user types; [`PasswordPolicy::check`] decides.
    pub fn forbidden_parts(
        &self,
        login: &str,
        first_name: Option<&str>,
        last_name: Option<&str>,
    ) -> Vec<String> {
        let name = |n: Option<&str>| {
            n.map(|n| n.trim().to_lowercase())
                .filter(|n| n.chars().count() >= MIN_NAME_CHARS)
                .into_iter()
                .collect()
        };
        match self {
            Requirement::ExcludeUsername => username_fragments(login),
            Requirement::ExcludeFirstName => name(first_name),
            Requirement::ExcludeLastName => name(last_name),
            _ => Vec::new(),
        }
    }

    /// The requirement in a few words, as in Okta's list (`at least 10 characters`, `a symbol`),
    /// or as a whole sentence for history and minimum age.
    pub fn describe(&self) -> String {
        match self.list_item() {
            Some(item) => item,
            None => self
                .sentence()
                .unwrap_or_else(|| COMMON_PASSWORD_MESSAGE.to_string()),
        }
    }

    /// The phrase in the comma-separated "Password requirements: ..." list, if it goes there.
    fn list_item(&self) -> Option<String> {
        let counted = |min: u32, one: &str, many: &str| {
            if min == 1 {
                one.to_string()
            } else {
                format!("at least {min} {many}")
            }
        };
        Some(match *self {
            Requirement::MinLength { min } => format!("at least {min} characters"),
            Requirement::MaxLength { max } => format!("maximum {max} characters"),
            Requirement::MinLowerCase { min } => {
                counted(min, "a lowercase letter", "lowercase letters")
            }
            Requirement::MinUpperCase { min } => {
                counted(min, "an uppercase letter", "uppercase letters")
            }
            Requirement::MinNumber { min } => counted(min, "a number", "numbers"),
            Requirement::MinSymbol { min } => counted(min, "a symbol", "symbols"),
            Requirement::MinCharacterGroups { min } => {
                format!("at least {min} of the following: lowercase letter, uppercase letter, number, symbol")
            }
            Requirement::ExcludeUsername => "no parts of your username".to_string(),
            Requirement::ExcludeFirstName => "does not include your first name".to_string(),
            Requirement::ExcludeLastName => "does not include your last name".to_string(),
            Requirement::CommonPassword
            | Requirement::History { .. }
            | Requirement::MinAge { .. } => return None,
        })
    }

    /// The sentence that follows the list, for history and minimum age.
    fn sentence(&self) -> Option<String> {
        match *self {
            Requirement::History { count } => Some(format!(
                "Your password cannot be any of your last {count} passwords."
            )),
            Requirement::MinAge { minutes } => Some(format!(
                "At least {} must have elapsed since you last changed your password.",
                age_in_highest_unit(minutes)
            )),
            _ => None,
        }
    }
}

/// `1440` -> `1 day(s)`, `120` -> `2 hour(s)`, `90` -> `90 minute(s)`: the largest unit that divides
/// the duration exactly, as Okta shows `minAgeMinutes`.
fn age_in_highest_unit(minutes: u32) -> String {
    const DAY: u32 = 24 * 60;
    match (minutes % DAY, minutes % 60) {
        (0, _) if minutes > 0 => format!("{} day(s)", minutes / DAY),
        (_, 0) if minutes > 0 => format!("{} hour(s)", minutes / 60),
        _ => format!("{minutes} minute(s)"),
    }
}

/// "Password requirements: a, b, c. <history sentence> <min age sentence>"
fn render_requirements(requirements: &[Requirement]) -> String {
    let items: Vec<String> = requirements
        .iter()
        .filter_map(Requirement::list_item)
        .collect();
    let mut sentences = Vec::new();
    if !items.is_empty() {
        sentences.push(format!("Password requirements: {}.", items.join(", ")));
    }
    sentences.extend(requirements.iter().filter_map(Requirement::sentence));
    sentences.join(" ")
}

// ---------------------------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------------------------

fn never_in_history(_: &str) -> bool {
    false
}

static NO_HISTORY: fn(&str) -> bool = never_in_history;

/// What [`PasswordPolicy::check`] needs to know besides the password.
#[derive(Clone, Copy)]
pub struct PasswordContext<'a> {
    /// The user's login (`profile.login`), for `excludeUsername`.
    pub login: &'a str,
    /// `profile.firstName`, for `excludeAttributes`.
    pub first_name: Option<&'a str>,
    /// `profile.lastName`, for `excludeAttributes`.
    pub last_name: Option<&'a str>,
    /// When the current password was set, for the minimum age.
    pub password_changed: Option<Timestamp>,
    pub now: Timestamp,
    /// "Is this password one of the user's last `historyCount` passwords?" The caller verifies the
    /// candidate against the stored hashes (newest first, at most `historyCount` of them, the
    /// current one included), so this module never sees a hash.
    pub in_history: &'a dyn Fn(&str) -> bool,
    /// Whether `minAgeMinutes` applies: `true` for a user's own change, `false` for an admin's
    /// reset or a password set by provisioning.
    pub min_age_applies: bool,
}

impl<'a> PasswordContext<'a> {
    /// A context for `login` at `now`: no names, no history, no minimum age.
    pub fn new(login: &'a str, now: Timestamp) -> Self {
        PasswordContext {
            login,
            first_name: None,
            last_name: None,
            password_changed: None,
            now,
            in_history: &NO_HISTORY,
            min_age_applies: false,
        }
    }

    /// A context filled from a user: login, first and last name, and when the password changed.
    /// History and the minimum age still need [`Self::with_history`] / [`Self::with_min_age`].
    pub fn for_user(user: &'a User, now: Timestamp) -> Self {
        PasswordContext {
            login: user.login(),
            first_name: user.profile_str("firstName"),
            last_name: user.profile_str("lastName"),
            password_changed: user.password_changed,
            ..PasswordContext::new("", now)
        }
    }

    pub fn with_names(mut self, first_name: Option<&'a str>, last_name: Option<&'a str>) -> Self {
        self.first_name = first_name;
        self.last_name = last_name;
        self
    }

    pub fn with_password_changed(mut self, password_changed: Option<Timestamp>) -> Self {
        self.password_changed = password_changed;
        self
    }

    pub fn with_history(mut self, in_history: &'a dyn Fn(&str) -> bool) -> Self {
        self.in_history = in_history;
        self
    }

    /// `true` for a user changing their own password; `false` (the default) for admin resets.
    pub fn with_min_age(mut self, applies: bool) -> Self {
        self.min_age_applies = applies;
        self
    }
}

impl fmt::Debug for PasswordContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordContext")
            .field("login", &self.login)
            .field("first_name", &self.first_name)
            .field("last_name", &self.last_name)
            .field("password_changed", &self.password_changed)
            .field("now", &self.now)
            .field("min_age_applies", &self.min_age_applies)
            .finish_non_exhaustive()
    }
}

/// Why a password was refused: every unmet requirement, and the policy's full list for the text.
///
/// `Display` is Okta's message, word for word (it starts with a capital and ends with a period on
/// purpose: admins and the Okta sign-in widget match on it). It never contains the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRejection {
    unmet: Vec<Requirement>,
    requirements: Vec<Requirement>,
}

impl PasswordRejection {
    /// The unmet requirements, in the policy's order. Never empty.
    pub fn unmet(&self) -> &[Requirement] {
        &self.unmet
    }

    /// The codes of the unmet requirements (see [`Requirement::code`]).
    pub fn codes(&self) -> Vec<&'static str> {
        self.unmet.iter().map(Requirement::code).collect()
    }

    /// Whether the requirement with this code is among the unmet ones.
    pub fn is_unmet(&self, code: &str) -> bool {
        self.unmet.iter().any(|r| r.code() == code)
    }

    /// The rejection in Okta's words, listing all of `policy`'s requirements: `Password
    /// requirements were not met. Password requirements: at least 10 characters, .... At least 1
    /// day(s) must have elapsed since you last changed your password.` A password found in the
    /// common-password list adds Okta's sentence for that.
    pub fn requirements_text(&self, policy: &PasswordPolicy) -> String {
        self.render(&policy.requirements())
    }

    fn render(&self, requirements: &[Requirement]) -> String {
        let common = self.unmet.contains(&Requirement::CommonPassword);
        let others = self.unmet.iter().any(|r| *r != Requirement::CommonPassword);
        let mut parts: Vec<String> = Vec::new();
        if others {
            parts.push(REQUIREMENTS_NOT_MET.to_string());
            let listed = render_requirements(requirements);
            if !listed.is_empty() {
                parts.push(listed);
            }
        }
        if common {
            parts.push(COMMON_PASSWORD_MESSAGE.to_string());
        }
        parts.join(" ")
    }
}

impl fmt::Display for PasswordRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&self.requirements))
    }
}

impl std::error::Error for PasswordRejection {}

/// Counts of each kind of character in a password.
struct CharStats {
    chars: u64,
    lower: u64,
    upper: u64,
    number: u64,
    symbol: u64,
}

impl CharStats {
    fn of(password: &str) -> Self {
        let mut stats = CharStats {
            chars: 0,
            lower: 0,
            upper: 0,
            number: 0,
            symbol: 0,
        };
        for c in password.chars() {
            stats.chars += 1;
            if c.is_lowercase() {
                stats.lower += 1;
            } else if c.is_uppercase() {
                stats.upper += 1;
            } else if c.is_numeric() {
                stats.number += 1;
            } else if is_symbol(c) {
                stats.symbol += 1;
            }
        }
        stats
    }

    fn groups(&self) -> u32 {
        [self.lower, self.upper, self.number, self.symbol]
            .iter()
            .map(|&n| u32::from(n > 0))
            .sum()
    }
}

/// A visible character that is neither a letter nor a number.
fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
}

/// The lowercase strings `excludeUsername` forbids for `login` (see the module docs).
pub fn username_fragments(login: &str) -> Vec<String> {
    let login = login.trim().to_lowercase();
    let long_enough = |s: &str| s.chars().count() >= MIN_USERNAME_PART_CHARS;
    let mut fragments: Vec<String> = Vec::new();
    if long_enough(&login) {
        fragments.push(login.clone());
    }
    // The top-level domain of an email login is not a part ("com", "info", "online"...).
    let tld_start = login
        .rfind('@')
        .and_then(|at| login[at..].rfind('.').map(|dot| at + dot + 1))
        .unwrap_or(login.len());
    for part in login[..tld_start].split(USERNAME_SEPARATORS) {
        if long_enough(part) && !fragments.iter().any(|f| f == part) {
            fragments.push(part.to_string());
        }
    }
    fragments
}

fn contains_name(lowered_password: &str, name: Option<&str>) -> bool {
    match name.map(|n| n.trim().to_lowercase()) {
        Some(name) if name.chars().count() >= MIN_NAME_CHARS => lowered_password.contains(&name),
        _ => false,
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Whether `password` is, ignoring case, in the common-password dictionary.
pub fn is_common_password(password: &str) -> bool {
    common_passwords().contains(password.to_lowercase().as_str())
}

/// The number of entries in the common-password dictionary.
pub fn common_password_count() -> usize {
    common_passwords().len()
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};
    use proptest::prelude::*;

    use super::*;

    const SEED_000: &str = "Password requirements were not met. Password requirements: at least 10 characters, a lowercase letter, an uppercase letter, a number, a symbol, no parts of your username. At least 1 day(s) must have elapsed since you last changed your password.";

    fn t0() -> Timestamp {
        Timestamp::from_millis(1_700_000_000_000)
    }

    /// The hub's policy in seed 000.
    fn hub_policy() -> PasswordPolicy {
        let mut p = PasswordPolicy::new("00phub".into(), "Hub".into(), 1, t0());
        p.settings.password.complexity = Complexity {
            min_length: 10,
            min_lower_case: 1,
            min_upper_case: 1,
            min_number: 1,
            min_symbol: 1,
            exclude_username: true,
            ..Complexity::default()
        };
        p.settings.password.age.min_age_minutes = 24 * 60;
        p
    }

    fn ias_policy() -> PasswordPolicy {
        PasswordPolicy::sap_ias("00pias".into(), "IAS".into(), 1, t0())
    }

    fn check_text(
        policy: &PasswordPolicy,
        password: &str,
        ctx: &PasswordContext<'_>,
        expect: Expect,
    ) {
        let actual = match policy.check(password, ctx) {
            Ok(()) => "ok".to_string(),
            Err(rejection) => format!("{}\n{}", rejection.codes().join(","), rejection),
        };
        expect.assert_eq(&actual);
    }

    #[test]
    fn seed_000_text_matches_okta_character_for_character() {
        let policy = hub_policy();
        let ctx = PasswordContext::new("test.test@okta.com", t0());
        let rejection = policy.check("short", &ctx).unwrap_err();
        assert_eq!(rejection.to_string(), SEED_000);
        assert_eq!(rejection.requirements_text(&policy), SEED_000);
        expect![[r#"Password requirements: at least 10 characters, a lowercase letter, an uppercase letter, a number, a symbol, no parts of your username. At least 1 day(s) must have elapsed since you last changed your password."#]]
            .assert_eq(&policy.requirements_summary());
    }

    #[test]
    fn sap_ias_policy_text_and_the_seed_002_passwords() {
        let policy = ias_policy();
        let ctx = PasswordContext::new("john.doe@sap-test.de", t0())
            .with_names(Some("John"), Some("Doe"));
        expect![[r#"Password requirements: at least 8 characters, maximum 255 characters, at least 3 of the following: lowercase letter, uppercase letter, number, symbol."#]]
            .assert_eq(&policy.requirements_summary());
        check_text(
            &policy,
            "John",
            &ctx,
            expect![[r#"
                minLength,minCharacterGroups
                Password requirements were not met. Password requirements: at least 8 characters, maximum 255 characters, at least 3 of the following: lowercase letter, uppercase letter, number, symbol."#]],
        );
        assert_eq!(policy.check("John7811!", &ctx), Ok(()));
        let too_long = format!("Aa1!{}", "x".repeat(252));
        assert_eq!(
            policy.check(&too_long, &ctx).unwrap_err().codes(),
            vec!["maxLength"]
        );
    }

    #[test]
    fn okta_default_policy_text_and_json() {
        let policy = PasswordPolicy::okta_default("00pdefault".into(), t0());
        expect![[r#"Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username. Your password cannot be any of your last 4 passwords."#]]
            .assert_eq(&policy.requirements_summary());
        let json = serde_json::to_string_pretty(&policy).unwrap();
        expect![[r#"
            {
              "id": "00pdefault",
              "type": "PASSWORD",
              "name": "Default Policy",
              "description": "The default policy applies in all situations if no other policy applies.",
              "status": "ACTIVE",
              "priority": 1,
              "system": true,
              "conditions": {
                "people": {
                  "groups": {
                    "include": []
                  }
                },
                "authProvider": {
                  "provider": "OKTA"
                }
              },
              "settings": {
                "password": {
                  "complexity": {
                    "minLength": 8,
                    "minLowerCase": 1,
                    "minUpperCase": 1,
                    "minNumber": 1,
                    "minSymbol": 0,
                    "excludeUsername": true,
                    "dictionary": {
                      "common": {
                        "exclude": true
                      }
                    },
                    "excludeAttributes": []
                  },
                  "age": {
                    "maxAgeDays": 0,
                    "expireWarnDays": 0,
                    "minAgeMinutes": 0,
                    "historyCount": 4
                  },
                  "lockout": {
                    "maxAttempts": 10,
                    "autoUnlockMinutes": 0,
                    "showLockoutFailures": false
                  }
                }
              },
              "created": "2023-11-14T22:13:20.000Z",
              "lastUpdated": "2023-11-14T22:13:20.000Z"
            }"#]]
        .assert_eq(&json);
        let back: PasswordPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, policy);
    }

    #[test]
    fn okta_json_with_recovery_settings_round_trips_and_missing_fields_take_okta_defaults() {
        let json = r#"{
            "type": "PASSWORD",
            "name": "Sales",
            "conditions": {"people": {"groups": {"include": ["00gsales"]}}},
            "settings": {
                "password": {"complexity": {"minLength": 12}, "age": {"historyCount": 2}},
                "recovery": {"factors": {"okta_email": {"status": "ACTIVE"}}},
                "delegation": {"options": {"skipUnlock": false}}
            }
        }"#;
        let policy: PasswordPolicy = serde_json::from_str(json).unwrap();
        assert_eq!(policy.status, PolicyStatus::Active);
        let c = &policy.settings.password.complexity;
        assert_eq!(
            (
                c.min_length,
                c.min_lower_case,
                c.min_symbol,
                c.exclude_username
            ),
            (12, 1, 1, true)
        );
        assert_eq!(policy.settings.password.lockout.max_attempts, 10);
        let out = serde_json::to_value(&policy).unwrap();
        assert_eq!(
            out["settings"]["recovery"]["factors"]["okta_email"]["status"],
            "ACTIVE"
        );
        assert_eq!(
            out["settings"]["delegation"]["options"]["skipUnlock"],
            false
        );
    }

    #[test]
    fn check_returns_every_unmet_requirement() {
        let mut policy = hub_policy();
        policy.settings.password.complexity.exclude_attributes =
            vec!["firstName".into(), "lastName".into()];
        policy
            .settings
            .password
            .complexity
            .dictionary
            .common
            .exclude = true;
        policy.settings.password.age.history_count = 4;
        let changed = t0();
        let in_history = |p: &str| p == "Recycled#Pass1";
        let base = PasswordContext::new("isaac.brock@example.com", changed.plus_minutes(60))
            .with_names(Some("Isaac"), Some("Brock"))
            .with_password_changed(Some(changed))
            .with_history(&in_history);
        let own = base.with_min_age(true);

        let cases: &[(&str, &PasswordContext<'_>, &str)] = &[
            (
                "abc",
                &base,
                "minLength,minUpperCase,minNumber,minSymbol,commonPassword",
            ),
            (
                "",
                &base,
                "minLength,minLowerCase,minUpperCase,minNumber,minSymbol",
            ),
            ("ALLCAPS-AND-1", &base, "minLowerCase"),
            ("brockR0cks!!", &base, "excludeUsername,excludeLastName"),
            ("Example!2345", &base, "excludeUsername"),
            ("iSaAc-Rules-99", &base, "excludeUsername,excludeFirstName"),
            ("Password1!", &base, "commonPassword"),
            ("Tr0ub4dor&3x", &base, ""),
            (
                "password",
                &base,
                "minLength,minUpperCase,minNumber,minSymbol,commonPassword",
            ),
            ("Recycled#Pass1", &base, "history"),
            ("Recycled#Pass1", &own, "history,minAge"),
            ("Fresh#Passw0rd", &own, "minAge"),
            ("Fresh#Passw0rd", &base, ""),
        ];
        for (password, ctx, want) in cases {
            let got = match policy.check(password, ctx) {
                Ok(()) => String::new(),
                Err(r) => r.codes().join(","),
            };
            assert_eq!(&got, want, "password {password:?}");
        }
    }

    #[test]
    fn min_age_is_over_at_exactly_min_age_and_admin_resets_skip_it() {
        let policy = hub_policy();
        let changed = t0();
        let at = |minutes: i64| {
            PasswordContext::new("u@example.com", changed.plus_minutes(minutes))
                .with_password_changed(Some(changed))
                .with_min_age(true)
        };
        assert!(policy
            .check("Good#Passw0rd", &at(24 * 60 - 1))
            .unwrap_err()
            .is_unmet("minAge"));
        assert_eq!(policy.check("Good#Passw0rd", &at(24 * 60)), Ok(()));
        assert_eq!(
            policy.check("Good#Passw0rd", &at(5).with_min_age(false)),
            Ok(())
        );
        // A user who never had a password may set one at once.
        assert_eq!(
            policy.check("Good#Passw0rd", &at(5).with_password_changed(None)),
            Ok(())
        );
    }

    #[test]
    fn rendering_of_counts_history_names_and_min_age_units() {
        let mut policy = PasswordPolicy::new("p".into(), "p".into(), 1, t0());
        let c = &mut policy.settings.password.complexity;
        c.min_length = 12;
        c.min_lower_case = 2;
        c.min_upper_case = 3;
        c.min_number = 1;
        c.min_symbol = 2;
        c.exclude_attributes = vec!["firstName".into(), "lastName".into()];
        policy.settings.password.age.history_count = 24;
        policy.settings.password.age.min_age_minutes = 120;
        expect![[r#"Password requirements: at least 12 characters, at least 2 lowercase letters, at least 3 uppercase letters, a number, at least 2 symbols, no parts of your username, does not include your first name, does not include your last name. Your password cannot be any of your last 24 passwords. At least 2 hour(s) must have elapsed since you last changed your password."#]]
            .assert_eq(&policy.requirements_summary());
        assert_eq!(age_in_highest_unit(90), "90 minute(s)");
        assert_eq!(age_in_highest_unit(60), "1 hour(s)");
        assert_eq!(age_in_highest_unit(2 * 1440), "2 day(s)");
        assert_eq!(age_in_highest_unit(1500), "25 hour(s)");
    }

    #[test]
    fn common_password_alone_gets_oktas_own_message() {
        let mut policy = PasswordPolicy::new("p".into(), "p".into(), 1, t0());
        policy.settings.password.complexity = Complexity {
            min_length: 8,
            min_lower_case: 0,
            min_upper_case: 0,
            min_number: 0,
            min_symbol: 0,
            exclude_username: false,
            dictionary: PasswordDictionary {
                common: CommonPasswordDictionary { exclude: true },
            },
            ..Complexity::default()
        };
        let ctx = PasswordContext::new("someone@example.com", t0());
        check_text(
            &policy,
            "PassWord1",
            &ctx,
            expect![[r#"
                commonPassword
                This password was found in a list of commonly used passwords. Please try another password."#]],
        );
        check_text(
            &policy,
            "qwerty",
            &ctx,
            expect![[r#"
                minLength,commonPassword
                Password requirements were not met. Password requirements: at least 8 characters. This password was found in a list of commonly used passwords. Please try another password."#]],
        );
    }

    #[test]
    fn common_password_dictionary_is_bundled() {
        assert!(common_password_count() > 19_000);
        for p in [
            "123456", "password", "Password", "QWERTY", "iloveyou", "letmein",
        ] {
            assert!(is_common_password(p), "{p}");
        }
        assert!(!is_common_password("John7811!-correct-horse"));
    }

    #[test]
    fn username_fragments_follow_oktas_rule() {
        assert_eq!(
            username_fragments("Isaac.Brock@Example.com"),
            vec!["isaac.brock@example.com", "isaac", "brock", "example"]
        );
        // Parts under four characters and the top-level domain never count.
        assert_eq!(
            username_fragments("abcd@okta.com"),
            vec!["abcd@okta.com", "abcd", "okta"]
        );
        assert_eq!(username_fragments("jo_li#x-y,zed"), vec!["jo_li#x-y,zed"]);
        assert_eq!(
            username_fragments("mary-jane_o.neil@mail.example.info"),
            vec![
                "mary-jane_o.neil@mail.example.info",
                "mary",
                "jane",
                "neil",
                "mail",
                "example"
            ]
        );
        assert!(username_fragments("bob").is_empty());
        assert!(username_fragments("").is_empty());
    }

    #[test]
    fn short_names_are_not_excluded() {
        let mut policy = PasswordPolicy::new("p".into(), "p".into(), 1, t0());
        policy.settings.password.complexity.exclude_attributes =
            vec!["firstName".into(), "lastName".into()];
        let ctx = PasswordContext::new("x", t0()).with_names(Some("Li"), Some("Ng"));
        assert_eq!(policy.check("Lithium#Ng7", &ctx), Ok(()));
    }

    #[test]
    fn character_classes_count_unicode_and_not_whitespace_as_symbols() {
        let s = CharStats::of("Éé1 \t€");
        assert_eq!(
            (s.chars, s.lower, s.upper, s.number, s.symbol),
            (6, 1, 1, 1, 1)
        );
        assert_eq!(s.groups(), 4);
    }

    #[test]
    fn select_prefers_the_lowest_priority_matching_active_policy_then_the_default() {
        let default = PasswordPolicy::okta_default("00pdefault".into(), t0());
        let mut admins = PasswordPolicy::new("00padmins".into(), "Admins".into(), 1, t0());
        admins.conditions.people.groups.include = vec!["00gadmins".into()];
        let mut sales = PasswordPolicy::new("00psales".into(), "Sales".into(), 2, t0());
        sales.conditions.people.groups.include = vec!["00gsales".into()];
        let mut everyone = PasswordPolicy::new("00peveryone".into(), "Everyone".into(), 3, t0());
        everyone.status = PolicyStatus::Inactive;
        let mut excluded =
            PasswordPolicy::new("00pcontractors".into(), "Not contractors".into(), 4, t0());
        excluded.conditions.people.groups.exclude = vec!["00gcontractors".into()];
        let policies = vec![default, sales, admins, everyone, excluded];
        let pick = |groups: &[&str]| {
            let groups: Vec<String> = groups.iter().map(|g| g.to_string()).collect();
            select(&policies, &groups).map(|p| p.id.as_str())
        };
        assert_eq!(pick(&["00gsales", "00gadmins"]), Some("00padmins"));
        assert_eq!(pick(&["00gsales"]), Some("00psales"));
        assert_eq!(pick(&[]), Some("00pcontractors"));
        assert_eq!(pick(&["00gcontractors"]), Some("00pdefault"));
        assert_eq!(select(&[], &[]), None);
    }

    #[test]
    fn lockout_expiry_and_min_age_helpers() {
        let mut policy = PasswordPolicy::okta_default("d".into(), t0());
        assert_eq!(policy.lockout_after(), Some(10));
        assert_eq!(policy.auto_unlock_at(t0()), None);
        assert_eq!(policy.expires_at(t0()), None);
        assert_eq!(policy.next_change_allowed_at(t0()), None);
        policy.settings.password.lockout = Lockout {
            max_attempts: 0,
            auto_unlock_minutes: 30,
            show_lockout_failures: true,
        };
        policy.settings.password.age = Age {
            max_age_days: 90,
            expire_warn_days: 7,
            min_age_minutes: 60,
            history_count: 0,
        };
        assert_eq!(policy.lockout_after(), None);
        assert_eq!(policy.auto_unlock_at(t0()), Some(t0().plus_minutes(30)));
        assert_eq!(policy.expires_at(t0()), Some(t0().plus_days(90)));
        assert_eq!(policy.expiry_warning_from(t0()), Some(t0().plus_days(83)));
        assert_eq!(
            policy.next_change_allowed_at(t0()),
            Some(t0().plus_minutes(60))
        );
    }

    #[test]
    fn validate_reports_every_problem() {
        let mut policy = PasswordPolicy::new("p".into(), " ".into(), 1, t0());
        let c = &mut policy.settings.password.complexity;
        c.min_length = 10;
        c.max_length = Some(3);
        c.min_character_groups = 5;
        c.exclude_attributes = vec!["email".into()];
        policy.settings.password.age.expire_warn_days = 3;
        let problems: Vec<String> = policy
            .validate()
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        expect![[r#"
            [
                "name: the policy needs a name",
                "settings.password.complexity.minCharacterGroups: must be between 0 and 4 (there are four groups), got 5",
                "settings.password.complexity.maxLength: is 3, below minLength 10: no password could satisfy the policy",
                "settings.password.complexity.maxLength: is 3, but the minimum counts of each character kind add up to 4",
                "settings.password.complexity.excludeAttributes: \"email\" is not supported; use firstName and/or lastName",
                "settings.password.age.expireWarnDays: has no effect while maxAgeDays is 0 (passwords never expire)",
            ]
        "#]]
        .assert_debug_eq(&problems);
        assert_eq!(
            PasswordPolicy::okta_default("d".into(), t0()).validate(),
            Ok(())
        );
        assert_eq!(ias_policy().validate(), Ok(()));
    }

    #[test]
    fn requirements_serialise_with_their_code() {
        let json = serde_json::to_string(&hub_policy().requirements()).unwrap();
        expect![[r#"[{"code":"minLength","min":10},{"code":"minLowerCase","min":1},{"code":"minUpperCase","min":1},{"code":"minNumber","min":1},{"code":"minSymbol","min":1},{"code":"excludeUsername"},{"code":"minAge","minutes":1440}]"#]]
            .assert_eq(&json);
    }

    fn arb_policy() -> impl Strategy<Value = PasswordPolicy> {
        (
            (
                0u32..40,
                proptest::option::of(0u32..300),
                0u32..4,
                0u32..4,
                0u32..4,
                0u32..4,
                0u32..6,
            ),
            (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
            (0u32..30, 0u32..5000),
        )
            .prop_map(
                |(
                    (min, max, lo, up, num, sym, groups),
                    (user, first, last, common),
                    (hist, age),
                )| {
                    let mut p =
                        PasswordPolicy::new("p".into(), "p".into(), 1, Timestamp::from_millis(0));
                    p.settings.password.complexity = Complexity {
                        min_length: min,
                        max_length: max,
                        min_lower_case: lo,
                        min_upper_case: up,
                        min_number: num,
                        min_symbol: sym,
                        min_character_groups: groups,
                        exclude_username: user,
                        exclude_attributes: [
                            first.then(|| "firstName".to_string()),
                            last.then(|| "lastName".to_string()),
                        ]
                        .into_iter()
                        .flatten()
                        .collect(),
                        dictionary: PasswordDictionary {
                            common: CommonPasswordDictionary { exclude: common },
                        },
                    };
                    p.settings.password.age.history_count = hist;
                    p.settings.password.age.min_age_minutes = age;
                    p
                },
            )
    }

    proptest! {
        #[test]
        fn check_never_panics_and_only_reports_the_policys_requirements(
            policy in arb_policy(),
            password in any::<String>(),
            login in any::<String>(),
            first in proptest::option::of(any::<String>()),
            last in proptest::option::of(any::<String>()),
            changed in proptest::option::of(-10_000_000_000i64..10_000_000_000),
            now in -10_000_000_000i64..10_000_000_000,
            own in any::<bool>(),
            reused in any::<bool>(),
        ) {
            let history = move |_: &str| reused;
            let ctx = PasswordContext::new(&login, Timestamp::from_millis(now))
                .with_names(first.as_deref(), last.as_deref())
                .with_password_changed(changed.map(Timestamp::from_millis))
                .with_history(&history)
                .with_min_age(own);
            match policy.check(&password, &ctx) {
                Ok(()) => {}
                Err(rejection) => {
                    prop_assert!(!rejection.unmet().is_empty());
                    let all = policy.requirements();
                    prop_assert!(rejection.unmet().iter().all(|r| all.contains(r)));
                    let text = rejection.to_string();
                    prop_assert!(!text.is_empty());
                }
            }
            let _ = policy.requirements_summary();
        }
    }
}
