//! Profile sourcing: which source decides each attribute of a user's profile.
//!
//! A user linked to several apps with `PROFILE_MASTERING` has several sources. For every
//! attribute that any of them maps, the source with the lowest priority for that attribute
//! wins (its `attributeOverrides` may give the attribute another priority, or leave it to the
//! others with `mastered: false`); equal priorities fall to the lower app id, so the outcome
//! never depends on read order. The winner's value replaces the user's; a `null` removes it.
//! Attributes no source maps are left as they are (administrators own them).

use roster_provisioning::ProfileMastering;
use serde_json::{Map, Value};

/// One source of a user's profile: a linked, ACTIVE record of an app that masters profiles.
#[derive(Debug, Clone, Copy)]
pub struct ProfileSource<'a> {
    pub app_id: &'a str,
    pub mastering: &'a ProfileMastering,
    /// The Roster values the source maps (`null` means no value).
    pub values: &'a Map<String, Value>,
}

/// The profile `current` becomes when `sources` are applied.
pub fn mastered_profile(
    current: &Map<String, Value>,
    sources: &[ProfileSource<'_>],
) -> Map<String, Value> {
    let mut next = current.clone();
    let mut attributes: Vec<&str> = sources
        .iter()
        .flat_map(|s| s.values.keys().map(String::as_str))
        .collect();
    attributes.sort_unstable();
    attributes.dedup();
    for attribute in attributes {
        let winner = sources
            .iter()
            .filter(|s| s.values.contains_key(attribute))
            .filter_map(|s| {
                s.mastering
                    .priority_for(attribute)
                    .map(|p| (p, s.app_id, s))
            })
            .min_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        let Some((_, _, source)) = winner else {
            continue;
        };
        match source.values.get(attribute) {
            Some(Value::Null) | None => {
                next.remove(attribute);
            }
            Some(v) => {
                next.insert(attribute.to_owned(), v.clone());
            }
        }
    }
    next
}

/// The attributes that differ between two profiles, sorted.
pub fn changed_attributes(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let mut keys: Vec<String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(old.keys().filter(|k| !new.contains_key(*k)).cloned())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Of the apps a user's sources belong to, the one that decides its lifecycle when removed or
/// disabled in the source: the lowest priority, then the lowest app id.
pub fn lifecycle_master<'a>(sources: &[ProfileSource<'a>]) -> Option<&'a str> {
    sources
        .iter()
        .min_by(|a, b| (a.mastering.priority, a.app_id).cmp(&(b.mastering.priority, b.app_id)))
        .map(|s| s.app_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use roster_provisioning::AttributeOverride;
    use serde_json::json;

    fn mastering(priority: i64) -> ProfileMastering {
        ProfileMastering {
            enabled: true,
            priority,
            ..ProfileMastering::default()
        }
    }

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_lowest_priority_wins_each_attribute_and_unmapped_ones_stay() {
        let hr = mastering(0);
        let ad = mastering(1);
        let hr_values = map(json!({"title": "Engineer", "department": null}));
        let ad_values = map(json!({"title": "Eng", "mobilePhone": "555", "department": "IT"}));
        let current = map(
            json!({"login": "a@example.com", "title": "Old", "department": "Old", "nickName": "Al"}),
        );
        let next = mastered_profile(
            &current,
            &[
                ProfileSource {
                    app_id: "0oaAD",
                    mastering: &ad,
                    values: &ad_values,
                },
                ProfileSource {
                    app_id: "0oaHR",
                    mastering: &hr,
                    values: &hr_values,
                },
            ],
        );
        assert_eq!(
            Value::Object(next.clone()),
            json!({"login": "a@example.com", "title": "Engineer", "nickName": "Al", "mobilePhone": "555"})
        );
        assert_eq!(
            changed_attributes(&current, &next),
            vec!["department", "mobilePhone", "title"]
        );
    }

    #[test]
    fn attribute_overrides_change_the_winner_or_step_aside() {
        let mut hr = mastering(0);
        hr.attribute_overrides.insert(
            "title".into(),
            AttributeOverride {
                mastered: false,
                priority: None,
            },
        );
        hr.attribute_overrides.insert(
            "mobilePhone".into(),
            AttributeOverride {
                mastered: true,
                priority: Some(5),
            },
        );
        let ad = mastering(1);
        let hr_values = map(json!({"title": "From HR", "mobilePhone": "111"}));
        let ad_values = map(json!({"title": "From AD", "mobilePhone": "222"}));
        let next = mastered_profile(
            &Map::new(),
            &[
                ProfileSource {
                    app_id: "0oaHR",
                    mastering: &hr,
                    values: &hr_values,
                },
                ProfileSource {
                    app_id: "0oaAD",
                    mastering: &ad,
                    values: &ad_values,
                },
            ],
        );
        assert_eq!(
            Value::Object(next),
            json!({"title": "From AD", "mobilePhone": "222"})
        );
    }

    #[test]
    fn equal_priorities_fall_to_the_lower_app_id_whatever_the_order() {
        let a = mastering(3);
        let b = mastering(3);
        let av = map(json!({"title": "A"}));
        let bv = map(json!({"title": "B"}));
        let one = mastered_profile(
            &Map::new(),
            &[
                ProfileSource {
                    app_id: "0oaB",
                    mastering: &b,
                    values: &bv,
                },
                ProfileSource {
                    app_id: "0oaA",
                    mastering: &a,
                    values: &av,
                },
            ],
        );
        assert_eq!(one["title"], "A");
        assert_eq!(
            lifecycle_master(&[
                ProfileSource {
                    app_id: "0oaB",
                    mastering: &b,
                    values: &bv
                },
                ProfileSource {
                    app_id: "0oaA",
                    mastering: &a,
                    values: &av
                },
            ]),
            Some("0oaA")
        );
    }
}
