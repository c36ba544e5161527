//! Explicit conversions between Roster's users and groups and the SCIM wire types.
//!
//! A user's SCIM attributes are its profile attributes (see `schema::SIMPLE_USER_MAPPING` and
//! `schema::TYPED_USER_MAPPING`), its status (`active`), its groups (read-only) and its
//! `externalId`, kept in the custom profile attribute `externalId`. The multi-valued attributes
//! map by `type`:
//!
//! | SCIM | Roster profile |
//! |---|---|
//! | `emails[type eq "work"]` (or the `primary` one, or the only one) | `email` |
//! | `emails[type eq "other"]` (any second address) | `secondEmail` |
//! | `phoneNumbers[type eq "mobile"]` | `mobilePhone` |
//! | `phoneNumbers` of any other type | `primaryPhone` |
//! | `addresses` (one, returned as type `work`) | `streetAddress`, `city`, `state`, `zipCode`, `countryCode`, `postalAddress` |
//!
//! Converting a user to SCIM and back gives the same profile, which is what PATCH relies on.

use roster_core::{Group, ProfileSchema, User};
use secrecy::SecretString;
use serde_json::{Map, Value};

use super::error::ScimError;
use super::schema::{
    is_mapped_base_attribute, CORE_GROUP_URN, CORE_USER_URN, ENTERPRISE_PROFILE_ATTRIBUTES,
    ENTERPRISE_USER_URN, EXTERNAL_ID_ATTRIBUTE, ROSTER_USER_URN, SIMPLE_USER_MAPPING,
    TYPED_USER_MAPPING,
};
use super::wire::{
    Address, EnterpriseUser, GroupRef, Manager, Member, Meta, MultiValue, Name, ScimGroup, ScimUser,
};
use roster_directory::scim_ops::scim_active;

pub fn user_location(base: &str, id: &str) -> String {
    format!("{base}/scim/v2/Users/{id}")
}

pub fn group_location(base: &str, id: &str) -> String {
    format!("{base}/scim/v2/Groups/{id}")
}

/// A user's entity tag: its version, which every write bumps.
pub fn user_etag(user: &User) -> String {
    format!("W/\"{}\"", user.version)
}

/// A group's entity tag: its version (bumped by renames) and the time of its last membership
/// change, because adding or removing members does not bump the version.
pub fn group_etag(group: &Group) -> String {
    format!(
        "W/\"{}.{}\"",
        group.version,
        group.last_membership_updated.as_millis()
    )
}

/// The SCIM attribute path of a Roster profile attribute, for error messages.
pub fn scim_name_of_profile_attribute(field: &str) -> String {
    if field == EXTERNAL_ID_ATTRIBUTE {
        return "externalId".into();
    }
    if let Some((scim, _)) = SIMPLE_USER_MAPPING.iter().find(|(_, p)| *p == field) {
        return if ENTERPRISE_PROFILE_ATTRIBUTES.contains(&field) {
            format!("{ENTERPRISE_USER_URN}:{scim}")
        } else {
            (*scim).to_owned()
        };
    }
    if let Some((attr, kind, sub, _)) = TYPED_USER_MAPPING.iter().find(|(_, _, _, p)| *p == field) {
        return format!("{attr}[type eq \"{kind}\"].{sub}");
    }
    if matches!(
        field,
        "password" | "credentials.password" | "members" | "profile.name" | "name"
    ) {
        return field.to_owned();
    }
    format!("{ROSTER_USER_URN}:{field}")
}

fn text(profile: &Map<String, Value>, key: &str) -> Option<String> {
    match profile.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

/// A Roster user as a SCIM User. `groups` is `None` when they were not read.
pub fn user_to_wire(
    user: &User,
    groups: Option<&[Group]>,
    schema: &ProfileSchema,
    base: &str,
) -> ScimUser {
    let p = &user.profile;
    let name = Name {
        given_name: text(p, "firstName"),
        family_name: text(p, "lastName"),
        middle_name: text(p, "middleName"),
        honorific_prefix: text(p, "honorificPrefix"),
        honorific_suffix: text(p, "honorificSuffix"),
    };
    let typed = |key: &str, kind: &str| {
        text(p, key).map(|v| MultiValue {
            value: Some(v),
            kind: Some(kind.into()),
            primary: None,
        })
    };
    let emails: Vec<MultiValue> = [typed("email", "work"), typed("secondEmail", "other")]
        .into_iter()
        .flatten()
        .collect();
    let phone_numbers: Vec<MultiValue> = [
        typed("primaryPhone", "work"),
        typed("mobilePhone", "mobile"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let address = Address {
        formatted: text(p, "postalAddress"),
        street_address: text(p, "streetAddress"),
        locality: text(p, "city"),
        region: text(p, "state"),
        postal_code: text(p, "zipCode"),
        country: text(p, "countryCode"),
        kind: None,
        primary: None,
    };
    let addresses = if address == Address::default() {
        Vec::new()
    } else {
        vec![Address {
            kind: Some("work".into()),
            ..address
        }]
    };
    let manager_id = text(p, "managerId");
    let manager = Manager {
        reference: manager_id.as_ref().map(|id| user_location(base, id)),
        value: manager_id,
        display_name: text(p, "manager"),
    };
    let enterprise = EnterpriseUser {
        employee_number: text(p, "employeeNumber"),
        cost_center: text(p, "costCenter"),
        organization: text(p, "organization"),
        division: text(p, "division"),
        department: text(p, "department"),
        manager: (manager != Manager::default()).then_some(manager),
    };
    let mut custom = Map::new();
    for (key, _) in schema.custom_attributes() {
        if key == EXTERNAL_ID_ATTRIBUTE {
            continue;
        }
        if let Some(v) = p.get(key).filter(|v| !is_empty(v)) {
            custom.insert(key.to_owned(), v.clone());
        }
    }
    let mut schemas = vec![CORE_USER_URN.to_owned()];
    if !enterprise.is_empty() {
        schemas.push(ENTERPRISE_USER_URN.to_owned());
    }
    if !custom.is_empty() {
        schemas.push(ROSTER_USER_URN.to_owned());
    }
    ScimUser {
        schemas,
        id: Some(user.id.clone()),
        external_id: text(p, EXTERNAL_ID_ATTRIBUTE),
        user_name: Some(user.login().to_owned()),
        name: (name != Name::default()).then_some(name),
        display_name: text(p, "displayName"),
        nick_name: text(p, "nickName"),
        profile_url: text(p, "profileUrl"),
        title: text(p, "title"),
        user_type: text(p, "userType"),
        preferred_language: text(p, "preferredLanguage"),
        locale: text(p, "locale"),
        timezone: text(p, "timezone"),
        active: Some(scim_active(user.status)),
        password: None,
        emails,
        phone_numbers,
        addresses,
        groups: groups
            .unwrap_or_default()
            .iter()
            .map(|g| GroupRef {
                value: g.id.clone(),
                reference: group_location(base, &g.id),
                display: g.name.clone(),
                kind: "direct",
            })
            .collect(),
        enterprise: (!enterprise.is_empty()).then_some(enterprise),
        roster: (!custom.is_empty()).then_some(custom),
        meta: Some(Meta {
            resource_type: "User".into(),
            created: Some(user.created.to_string()),
            last_modified: Some(user.last_updated.to_string()),
            location: user_location(base, &user.id),
            version: Some(user_etag(user)),
        }),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// What a SCIM User asks of Roster.
#[derive(Debug, Clone)]
pub struct UserParts {
    pub profile: Map<String, Value>,
    pub password: Option<SecretString>,
    pub active: Option<bool>,
}

/// A SCIM User (already read by `body::read_resource`) as a whole Roster profile, with the
/// password and `active` it carries. `old` is the current profile when the user exists: the
/// attributes SCIM cannot write (`manager.displayName`) keep their values from it.
pub fn user_from_wire(
    wire: ScimUser,
    old: Option<&Map<String, Value>>,
) -> Result<UserParts, ScimError> {
    let mut problems = Vec::new();
    let mut profile = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            profile.insert(key.to_owned(), Value::String(v));
        }
    };
    put("login", wire.user_name);
    if let Some(name) = wire.name {
        put("firstName", name.given_name);
        put("lastName", name.family_name);
        put("middleName", name.middle_name);
        put("honorificPrefix", name.honorific_prefix);
        put("honorificSuffix", name.honorific_suffix);
    }
    put("displayName", wire.display_name);
    put("nickName", wire.nick_name);
    put("profileUrl", wire.profile_url);
    put("title", wire.title);
    put("userType", wire.user_type);
    put("preferredLanguage", wire.preferred_language);
    put("locale", wire.locale);
    put("timezone", wire.timezone);
    put(EXTERNAL_ID_ATTRIBUTE, wire.external_id);

    let (email, second) = pick_emails(&wire.emails, &mut problems);
    put("email", email);
    put("secondEmail", second);
    let (work, mobile) = pick_phones(&wire.phone_numbers, &mut problems);
    put("primaryPhone", work);
    put("mobilePhone", mobile);
    let addresses: Vec<&Address> = wire
        .addresses
        .iter()
        .filter(|a| **a != Address::default())
        .collect();
    if addresses.len() > 1 {
        problems.push(format!(
            "addresses: Roster keeps one address, and {} were sent",
            addresses.len()
        ));
    }
    if let Some(a) = addresses.first() {
        put("postalAddress", a.formatted.clone());
        put("streetAddress", a.street_address.clone());
        put("city", a.locality.clone());
        put("state", a.region.clone());
        put("zipCode", a.postal_code.clone());
        put("countryCode", a.country.clone());
    }
    if let Some(e) = wire.enterprise {
        put("employeeNumber", e.employee_number);
        put("costCenter", e.cost_center);
        put("organization", e.organization);
        put("division", e.division);
        put("department", e.department);
        if let Some(m) = e.manager {
            let id = m.value.or_else(|| {
                m.reference
                    .as_deref()
                    .and_then(|r| r.rsplit('/').next())
                    .map(str::to_owned)
            });
            put("managerId", id);
        }
    }
    // Read-only in SCIM: kept as it was.
    if let Some(manager) = old.and_then(|o| o.get("manager")) {
        profile.insert("manager".into(), manager.clone());
    }
    if let Some(custom) = wire.roster {
        for (key, value) in custom {
            if !is_empty(&value) {
                profile.insert(key, value);
            }
        }
    }
    if !problems.is_empty() {
        return Err(ScimError::invalid_value(format!(
            "The User is not valid: {}",
            problems.join("; ")
        )));
    }
    Ok(UserParts {
        profile,
        password: wire.password.map(|p| SecretString::from(p.0)),
        active: wire.active,
    })
}

fn type_is(v: &MultiValue, kind: &str) -> bool {
    v.kind
        .as_deref()
        .is_some_and(|k| k.eq_ignore_ascii_case(kind))
}

/// `email` is the primary address, else the `work` one, else the first; `secondEmail` is the
/// other one. Duplicates of the same address count once.
fn pick_emails(
    emails: &[MultiValue],
    problems: &mut Vec<String>,
) -> (Option<String>, Option<String>) {
    let mut values: Vec<&MultiValue> = Vec::new();
    for e in emails
        .iter()
        .filter(|e| e.value.as_deref().is_some_and(|v| !v.is_empty()))
    {
        if !values.iter().any(|v| {
            v.value.as_deref().map(str::to_lowercase) == e.value.as_deref().map(str::to_lowercase)
        }) {
            values.push(e);
        }
    }
    if values.len() > 2 {
        problems.push(format!(
            "emails: Roster keeps two email addresses (type work: email, type other: secondEmail), and {} were sent",
            values.len()
        ));
        return (None, None);
    }
    let primary = values
        .iter()
        .position(|e| e.primary == Some(true))
        .or_else(|| values.iter().position(|e| type_is(e, "work")))
        .unwrap_or(0);
    let first = values.get(primary).and_then(|e| e.value.clone());
    let second = values
        .iter()
        .enumerate()
        .find(|(i, _)| *i != primary)
        .and_then(|(_, e)| e.value.clone());
    (first, second)
}

/// `mobile` numbers are `mobilePhone`, every other type `primaryPhone`; one of each.
fn pick_phones(
    phones: &[MultiValue],
    problems: &mut Vec<String>,
) -> (Option<String>, Option<String>) {
    let mut work = None;
    let mut mobile = None;
    for p in phones
        .iter()
        .filter(|p| p.value.as_deref().is_some_and(|v| !v.is_empty()))
    {
        let slot = if type_is(p, "mobile") {
            &mut mobile
        } else {
            &mut work
        };
        if slot.is_some() && *slot != p.value {
            problems.push(format!(
                "phoneNumbers: Roster keeps one mobile number (type mobile: mobilePhone) and one other (type work: primaryPhone); two of type {} were sent",
                p.kind.as_deref().unwrap_or("work")
            ));
        }
        *slot = p.value.clone();
    }
    (work, mobile)
}

/// A Roster group as a SCIM Group. `members` is `None` when they were not read.
pub fn group_to_wire(
    group: &Group,
    external_id: Option<String>,
    members: Option<&[String]>,
    base: &str,
) -> ScimGroup {
    ScimGroup {
        schemas: vec![CORE_GROUP_URN.to_owned()],
        id: Some(group.id.clone()),
        external_id,
        display_name: Some(group.name.clone()),
        members: members.map(|ids| {
            ids.iter()
                .map(|id| Member {
                    value: Some(id.clone()),
                    reference: Some(user_location(base, id)),
                    kind: Some("User".into()),
                })
                .collect()
        }),
        meta: Some(Meta {
            resource_type: "Group".into(),
            created: Some(group.created.to_string()),
            last_modified: Some(
                group
                    .last_updated
                    .max(group.last_membership_updated)
                    .to_string(),
            ),
            location: group_location(base, &group.id),
            version: Some(group_etag(group)),
        }),
    }
}

/// The member ids a SCIM Group names (`value`, else the last segment of `$ref`), without
/// duplicates, in order.
pub fn member_ids(members: &[Member]) -> Result<Vec<String>, ScimError> {
    let mut out: Vec<String> = Vec::new();
    for (i, m) in members.iter().enumerate() {
        if let Some(kind) = m.kind.as_deref() {
            if !kind.eq_ignore_ascii_case("User") {
                return Err(ScimError::invalid_value(format!(
                    "members[{i}].type is {kind:?}: Roster groups hold users only, so members must be of type User"
                )));
            }
        }
        let id = m.value.clone().or_else(|| {
            m.reference
                .as_deref()
                .and_then(|r| r.rsplit('/').next())
                .map(str::to_owned)
        });
        match id.filter(|id| !id.is_empty()) {
            Some(id) => {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            None => {
                return Err(ScimError::invalid_value(format!(
                    "members[{i}] has no value: send the member User's id as value"
                )))
            }
        }
    }
    Ok(out)
}

/// Whether `name` is a profile attribute that SCIM reaches: every mapped base attribute, every
/// custom one, and `externalId`.
pub fn profile_attribute_is_mapped(schema: &ProfileSchema, name: &str) -> bool {
    is_mapped_base_attribute(name)
        || name == EXTERNAL_ID_ATTRIBUTE
        || schema.custom_attributes().any(|(n, _)| n == name)
}

#[cfg(test)]
mod tests {
    use roster_core::{Credentials, Timestamp, UserStatus};
    use serde_json::json;

    use super::*;
    use crate::scim::body::read_resource;
    use crate::scim::schema::user_resource;

    fn user(profile: Value) -> User {
        User::new(
            "00u1".into(),
            UserStatus::Active,
            profile.as_object().cloned().unwrap_or_default(),
            Credentials::okta(),
            Timestamp::from_millis(1_700_000_000_000),
        )
    }

    #[test]
    fn a_full_profile_round_trips_through_scim() {
        let profile = json!({
            "login": "ann@example.com", "email": "ann@example.com", "secondEmail": "ann@home.test",
            "firstName": "Ann", "lastName": "Lee", "middleName": "M", "honorificPrefix": "Dr", "honorificSuffix": "III",
            "displayName": "Ann Lee", "nickName": "A", "profileUrl": "https://x.test/ann", "title": "CTO", "userType": "Employee",
            "preferredLanguage": "en-US", "locale": "en_US", "timezone": "Europe/Paris",
            "primaryPhone": "+1 555", "mobilePhone": "+1 666",
            "streetAddress": "1 Main St", "city": "Springfield", "state": "IL", "zipCode": "62701", "countryCode": "US", "postalAddress": "1 Main St, Springfield",
            "employeeNumber": "42", "costCenter": "CC", "organization": "Org", "division": "Div", "department": "Dep",
            "managerId": "00u2", "manager": "Bob", "externalId": "ext-1", "badge": 7,
        });
        let mut schema = ProfileSchema::okta_default();
        schema
            .add_custom(
                "badge",
                roster_core::profile::AttributeDef::new(
                    "Badge",
                    roster_core::profile::AttributeType::Integer,
                ),
            )
            .unwrap();
        schema
            .add_custom(
                "externalId",
                roster_core::profile::AttributeDef::string("External id"),
            )
            .unwrap();
        let u = user(profile.clone());
        let wire = user_to_wire(&u, None, &schema, "http://r");
        let json = serde_json::to_value(&wire).unwrap();
        expect_test::expect![[r#"
            {
              "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "urn:ietf:params:scim:schemas:extension:roster:2.0:User"
              ],
              "id": "00u1",
              "externalId": "ext-1",
              "userName": "ann@example.com",
              "name": {
                "givenName": "Ann",
                "familyName": "Lee",
                "middleName": "M",
                "honorificPrefix": "Dr",
                "honorificSuffix": "III"
              },
              "displayName": "Ann Lee",
              "nickName": "A",
              "profileUrl": "https://x.test/ann",
              "title": "CTO",
              "userType": "Employee",
              "preferredLanguage": "en-US",
              "locale": "en_US",
              "timezone": "Europe/Paris",
              "active": true,
              "emails": [
                {
                  "value": "ann@example.com",
                  "type": "work"
                },
                {
                  "value": "ann@home.test",
                  "type": "other"
                }
              ],
              "phoneNumbers": [
                {
                  "value": "+1 555",
                  "type": "work"
                },
                {
                  "value": "+1 666",
                  "type": "mobile"
                }
              ],
              "addresses": [
                {
                  "formatted": "1 Main St, Springfield",
                  "streetAddress": "1 Main St",
                  "locality": "Springfield",
                  "region": "IL",
                  "postalCode": "62701",
                  "country": "US",
                  "type": "work"
                }
              ],
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "42",
                "costCenter": "CC",
                "organization": "Org",
                "division": "Div",
                "department": "Dep",
                "manager": {
                  "value": "00u2",
                  "$ref": "http://r/scim/v2/Users/00u2",
                  "displayName": "Bob"
                }
              },
              "urn:ietf:params:scim:schemas:extension:roster:2.0:User": {
                "badge": 7
              },
              "meta": {
                "resourceType": "User",
                "created": "2023-11-14T22:13:20.000Z",
                "lastModified": "2023-11-14T22:13:20.000Z",
                "location": "http://r/scim/v2/Users/00u1",
                "version": "W/\"1\""
              }
            }"#]]
        .assert_eq(&serde_json::to_string_pretty(&json).unwrap());

        let read = read_resource(&json, &user_resource(&schema)).unwrap();
        let wire: ScimUser = serde_json::from_value(Value::Object(read)).unwrap();
        let parts = user_from_wire(wire, Some(&u.profile)).unwrap();
        assert_eq!(Value::Object(parts.profile), profile);
        assert_eq!(parts.active, Some(true));
    }

    #[test]
    fn emails_pick_the_primary_then_work_then_first() {
        let mv = |v: &str, t: Option<&str>, p: Option<bool>| MultiValue {
            value: Some(v.into()),
            kind: t.map(Into::into),
            primary: p,
        };
        let mut problems = Vec::new();
        assert_eq!(
            pick_emails(
                &[
                    mv("a@x.test", Some("home"), None),
                    mv("b@x.test", Some("work"), None)
                ],
                &mut problems
            ),
            (Some("b@x.test".into()), Some("a@x.test".into()))
        );
        assert_eq!(
            pick_emails(
                &[
                    mv("a@x.test", Some("work"), None),
                    mv("b@x.test", Some("home"), Some(true))
                ],
                &mut problems
            ),
            (Some("b@x.test".into()), Some("a@x.test".into()))
        );
        assert_eq!(
            pick_emails(&[mv("a@x.test", Some("other"), None)], &mut problems),
            (Some("a@x.test".into()), None)
        );
        assert!(problems.is_empty());
        pick_emails(
            &[
                mv("a@x.test", None, None),
                mv("b@x.test", None, None),
                mv("c@x.test", None, None),
            ],
            &mut problems,
        );
        assert_eq!(problems.len(), 1);
    }
}
