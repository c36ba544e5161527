//! Matching: which existing user an unlinked source record belongs to, and what the import
//! rules (`importRules.userCreateAndMatch`) do with the answer.
//!
//! The store finds candidates without case (a login, an email, attribute values); this module
//! keeps those that really match under the rules — compared without case unless
//! `caseSensitive` is set, since a case-sensitive match surprises administrators used to Okta —
//! and turns the proposal into a decision: link now, create now, or wait for an
//! administrator's confirmation.

use roster_core::User;
use roster_provisioning::{InboundProvisioning, MatchCriteria};
use serde_json::Value;

use crate::mapping::Mapped;

/// What matching found for a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proposal {
    /// Exactly one user matches the exact criteria.
    Exact(String),
    /// No exact match, and exactly one user has the same first and last name.
    Partial(String),
    /// Several users match: an administrator chooses.
    Ambiguous(Vec<String>),
    /// No user matches.
    New,
}

/// What the import does with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Link {
        user_id: String,
        kind: MatchKind,
    },
    Create,
    /// Wait for confirmation (`GET .../imports/{jobId}/users`).
    Pending {
        kind: MatchKind,
        candidates: Vec<String>,
    },
}

/// How a record matched, as the confirmation list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    Exact,
    Partial,
    Ambiguous,
    New,
}

impl MatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchKind::Exact => "EXACT",
            MatchKind::Partial => "PARTIAL",
            MatchKind::Ambiguous => "AMBIGUOUS",
            MatchKind::New => "NEW",
        }
    }

    pub fn parse(s: &str) -> Option<MatchKind> {
        [
            MatchKind::Exact,
            MatchKind::Partial,
            MatchKind::Ambiguous,
            MatchKind::New,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

fn text(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn same(a: &str, b: &str, case_sensitive: bool) -> bool {
    if case_sensitive {
        a == b
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// The values the exact criteria compare, in the criteria's order; `None` when the record has
/// no value for one of them (it cannot match exactly).
pub fn exact_values(rules: &InboundProvisioning, mapped: &Mapped) -> Option<Vec<(String, String)>> {
    match &rules.exact_match {
        MatchCriteria::Username => mapped.login.clone().map(|l| vec![("login".to_owned(), l)]),
        MatchCriteria::Email => {
            text(mapped.values.get("email")).map(|e| vec![("email".to_owned(), e.to_owned())])
        }
        MatchCriteria::Attributes(names) => names
            .iter()
            .map(|n| {
                let value = if n == "login" {
                    mapped.login.clone()
                } else {
                    text(mapped.values.get(n)).map(str::to_owned)
                };
                value.map(|v| (n.clone(), v))
            })
            .collect(),
    }
}

fn matches_all(user: &User, wanted: &[(String, String)], case_sensitive: bool) -> bool {
    wanted.iter().all(|(attr, value)| {
        text(user.profile.get(attr)).is_some_and(|have| same(have, value, case_sensitive))
    })
}

/// The proposal for `mapped` given the store's candidates: `exact` found by the exact
/// criteria's values, `partial` by first and last name (both may hold users that do not match
/// under the rules' case sensitivity; they are filtered here). Users in `taken` are linked to
/// another record of the app and cannot match.
pub fn propose(
    rules: &InboundProvisioning,
    mapped: &Mapped,
    exact: &[&User],
    partial: &[&User],
    taken: &dyn Fn(&str) -> bool,
) -> Proposal {
    let case = rules.case_sensitive;
    if let Some(wanted) = exact_values(rules, mapped) {
        let mut ids: Vec<String> = exact
            .iter()
            .filter(|u| !taken(&u.id) && matches_all(u, &wanted, case))
            .map(|u| u.id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        match ids.len() {
            0 => {}
            1 => return Proposal::Exact(ids.remove(0)),
            _ => return Proposal::Ambiguous(ids),
        }
    }
    if rules.allow_partial_match {
        let first = text(mapped.values.get("firstName"));
        let last = text(mapped.values.get("lastName"));
        if let (Some(first), Some(last)) = (first, last) {
            let wanted = [
                ("firstName".to_owned(), first.to_owned()),
                ("lastName".to_owned(), last.to_owned()),
            ];
            let mut ids: Vec<String> = partial
                .iter()
                .filter(|u| !taken(&u.id) && matches_all(u, &wanted, case))
                .map(|u| u.id.clone())
                .collect();
            ids.sort();
            ids.dedup();
            match ids.len() {
                0 => {}
                1 => return Proposal::Partial(ids.remove(0)),
                _ => return Proposal::Ambiguous(ids),
            }
        }
    }
    Proposal::New
}

/// What the rules do with a proposal.
pub fn decide(rules: &InboundProvisioning, proposal: Proposal) -> Decision {
    match proposal {
        Proposal::Exact(user_id) if rules.auto_confirm_exact_match => Decision::Link {
            user_id,
            kind: MatchKind::Exact,
        },
        Proposal::Exact(user_id) => Decision::Pending {
            kind: MatchKind::Exact,
            candidates: vec![user_id],
        },
        Proposal::Partial(user_id) if rules.auto_confirm_partial_match => Decision::Link {
            user_id,
            kind: MatchKind::Partial,
        },
        Proposal::Partial(user_id) => Decision::Pending {
            kind: MatchKind::Partial,
            candidates: vec![user_id],
        },
        Proposal::Ambiguous(candidates) => Decision::Pending {
            kind: MatchKind::Ambiguous,
            candidates,
        },
        Proposal::New if rules.auto_confirm_new_users => Decision::Create,
        Proposal::New => Decision::Pending {
            kind: MatchKind::New,
            candidates: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_core::{Credentials, Timestamp, UserStatus};
    use serde_json::{json, Map};

    fn user(id: &str, profile: Value) -> User {
        User::new(
            id.into(),
            UserStatus::Staged,
            profile.as_object().cloned().unwrap_or_default(),
            Credentials::okta(),
            Timestamp::from_millis(0),
        )
    }

    fn mapped(login: &str, values: Value) -> Mapped {
        Mapped {
            external_id: "x".into(),
            user_name: login.into(),
            app_profile: Map::new(),
            values: values.as_object().cloned().unwrap_or_default(),
            login: Some(login.into()),
            active: true,
            digest: String::new(),
            modified: None,
        }
    }

    fn none(_: &str) -> bool {
        false
    }

    #[test]
    fn username_matches_without_case_unless_asked() {
        let ada = user("00u1", json!({"login": "Ada@Example.com"}));
        let m = mapped("ada@example.com", json!({}));
        let mut rules = InboundProvisioning::default();
        assert_eq!(
            propose(&rules, &m, &[&ada], &[], &none),
            Proposal::Exact("00u1".into())
        );
        rules.case_sensitive = true;
        assert_eq!(propose(&rules, &m, &[&ada], &[], &none), Proposal::New);
    }

    #[test]
    fn email_and_attribute_criteria_and_ambiguity() {
        let a = user(
            "00uA",
            json!({"login": "a@x.com", "email": "pat@example.com", "employeeNumber": "7", "lastName": "Lee"}),
        );
        let b = user(
            "00uB",
            json!({"login": "b@x.com", "email": "pat@example.com", "employeeNumber": "8", "lastName": "Lee"}),
        );
        let m = mapped(
            "pat@corp.com",
            json!({"email": "pat@example.com", "employeeNumber": "8", "lastName": "lee"}),
        );
        let mut rules = InboundProvisioning {
            exact_match: MatchCriteria::Email,
            ..InboundProvisioning::default()
        };
        assert_eq!(
            propose(&rules, &m, &[&a, &b], &[], &none),
            Proposal::Ambiguous(vec!["00uA".into(), "00uB".into()])
        );
        rules.exact_match =
            MatchCriteria::Attributes(vec!["employeeNumber".into(), "lastName".into()]);
        assert_eq!(
            propose(&rules, &m, &[&a, &b], &[], &none),
            Proposal::Exact("00uB".into())
        );
        // A user linked to another record of the app is not a candidate.
        let taken = |id: &str| id == "00uB";
        assert_eq!(propose(&rules, &m, &[&a, &b], &[], &taken), Proposal::New);
    }

    #[test]
    fn partial_match_on_first_and_last_name_only_when_allowed() {
        let kim = user(
            "00uK",
            json!({"login": "kim@old.com", "firstName": "Kim", "lastName": "Park"}),
        );
        let m = mapped(
            "kim@new.com",
            json!({"firstName": "KIM", "lastName": "park"}),
        );
        let mut rules = InboundProvisioning::default();
        assert_eq!(propose(&rules, &m, &[], &[&kim], &none), Proposal::New);
        rules.allow_partial_match = true;
        assert_eq!(
            propose(&rules, &m, &[], &[&kim], &none),
            Proposal::Partial("00uK".into())
        );
    }

    #[test]
    fn the_rules_link_create_or_wait() {
        let mut rules = InboundProvisioning::default();
        assert_eq!(
            decide(&rules, Proposal::Exact("00u1".into())),
            Decision::Pending {
                kind: MatchKind::Exact,
                candidates: vec!["00u1".into()]
            }
        );
        assert_eq!(
            decide(&rules, Proposal::New),
            Decision::Pending {
                kind: MatchKind::New,
                candidates: vec![]
            }
        );
        rules.auto_confirm_exact_match = true;
        rules.auto_confirm_new_users = true;
        assert_eq!(
            decide(&rules, Proposal::Exact("00u1".into())),
            Decision::Link {
                user_id: "00u1".into(),
                kind: MatchKind::Exact
            }
        );
        assert_eq!(decide(&rules, Proposal::New), Decision::Create);
        // Ambiguity always waits for an administrator.
        assert!(matches!(
            decide(&rules, Proposal::Ambiguous(vec!["a".into(), "b".into()])),
            Decision::Pending {
                kind: MatchKind::Ambiguous,
                ..
            }
        ));
    }
}
