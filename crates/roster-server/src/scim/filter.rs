//! SCIM `filter=` to Roster's filters: the SCIM text parses with Roster's one filter language
//! (`roster_filter::parse`), and this module rewrites the SCIM attribute paths into the paths
//! the store's user and group filters know, so the store runs the query in SQL.
//!
//! Users:
//!
//! | SCIM | Roster |
//! |---|---|
//! | `id` | `id` |
//! | `userName` | `profile.login` |
//! | `name.givenName`, `name.familyName`, ... | `profile.firstName`, `profile.lastName`, ... |
//! | `displayName`, `title`, `locale`, ... (simple core attributes) | `profile.<same name>` |
//! | `externalId` | `profile.externalId` |
//! | `emails`, `emails.value` | `profile.email` or `profile.secondEmail` |
//! | `emails[type eq "work"].value` | `profile.email` (the filter is evaluated per typed slot) |
//! | `phoneNumbers[type eq "mobile"].value` | `profile.mobilePhone` |
//! | `addresses.locality`, ... | `profile.city`, ... |
//! | `active eq true` | `status` in the active statuses (see `roster_directory::scim_ops::scim_active`) |
//! | `meta.lastModified`, `meta.created` | `lastUpdated`, `created` |
//! | `meta.resourceType eq "User"` | always true |
//! | `urn:...:enterprise:2.0:User:department`, `manager.value` | `profile.department`, `profile.managerId` |
//! | `urn:...:roster:2.0:User:<attr>` | `profile.<attr>` |
//! | `groups.value eq "g"`, `groups[value eq "g"]` | `id` in the members of group `g` (looked up first) |
//!
//! Groups: `id`, `displayName` (`name`), `meta.created`, `meta.lastModified`, `externalId`
//! (matched in memory against the stored external ids, then `id` in the matches) and
//! `members.value eq "u"` / `members[value eq "u"]` (`id` in the groups of user `u`).
//!
//! Constant parts fold away: `emails[type eq "work"]` is true for the `email` slot and false for
//! `secondEmail`. A `ne` on a multi-valued attribute means "no value is equal", as in
//! `roster_filter::eval`.

use std::collections::HashMap;

use roster_core::{ProfileSchema, UserStatus};
use roster_directory::scim_ops::scim_active;
use roster_filter::{AttrPath, CompareOp, Filter, Span, Value};

use super::error::ScimError;
use super::schema::{
    CORE_GROUP_URN, CORE_USER_URN, ENTERPRISE_USER_URN, EXTERNAL_ID_ATTRIBUTE, ROSTER_USER_URN,
};

/// A translated filter: everything, nothing, or a Roster filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Tri {
    True,
    False,
    Where(Filter),
}

impl Tri {
    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::False, _) | (_, Tri::False) => Tri::False,
            (Tri::True, x) | (x, Tri::True) => x,
            (Tri::Where(a), Tri::Where(b)) => Tri::Where(Filter::And(Box::new(a), Box::new(b))),
        }
    }

    fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::True, _) | (_, Tri::True) => Tri::True,
            (Tri::False, x) | (x, Tri::False) => x,
            (Tri::Where(a), Tri::Where(b)) => Tri::Where(Filter::Or(Box::new(a), Box::new(b))),
        }
    }

    fn not(self) -> Tri {
        match self {
            Tri::True => Tri::False,
            Tri::False => Tri::True,
            Tri::Where(f) => Tri::Where(Filter::Not(Box::new(f), Span::default())),
        }
    }

    fn any(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::False, Tri::or)
    }
}

/// What a filter needs looked up before it can be translated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Needs {
    /// Groups whose member ids are needed (`groups.value eq "g"` on users).
    pub members_of: Vec<String>,
    /// Users whose group ids are needed (`members.value eq "u"` on groups).
    pub groups_of: Vec<String>,
    /// Whether the groups' external ids are needed.
    pub group_external_ids: bool,
}

/// The answers to [`Needs`].
#[derive(Debug, Clone, Default)]
pub struct Lookups {
    pub members_of: HashMap<String, Vec<String>>,
    pub groups_of: HashMap<String, Vec<String>>,
    /// `(group id, externalId)` of every group that has one.
    pub group_external_ids: Vec<(String, String)>,
}

fn roster_path(segments: &[&str]) -> AttrPath {
    AttrPath {
        schema: None,
        segments: segments.iter().map(|s| (*s).to_owned()).collect(),
        span: Span::default(),
    }
}

fn compare(segments: &[&str], op: CompareOp, value: &Value) -> Tri {
    Tri::Where(Filter::Compare {
        path: roster_path(segments),
        op,
        value: value.clone(),
        span: Span::default(),
    })
}

fn present(segments: &[&str]) -> Tri {
    Tri::Where(Filter::Present {
        path: roster_path(segments),
        span: Span::default(),
    })
}

fn id_in(ids: &[String]) -> Tri {
    Tri::any(
        ids.iter()
            .map(|id| compare(&["id"], CompareOp::Eq, &Value::String(id.clone()))),
    )
}

fn unsupported(path: &AttrPath, why: &str) -> ScimError {
    let name = match &path.schema {
        Some(s) => format!("{s}:{}", path.dotted()),
        None => path.dotted(),
    };
    ScimError::invalid_filter(format!(
        "{name} cannot be searched (at character {}): {why}",
        path.span.start + 1
    ))
}

/// Compare a constant with a filter value, as `roster_filter::eval` would (strings without case).
fn constant(actual: &serde_json::Value, op: CompareOp, value: &Value) -> bool {
    let doc = serde_json::json!({ "v": actual });
    Filter::Compare {
        path: roster_path(&["v"]),
        op,
        value: value.clone(),
        span: Span::default(),
    }
    .matches(&doc)
}

/// One typed value of a multi-valued user attribute: `emails` of type `work` is `email`.
#[derive(Debug, Clone, Copy)]
struct Slot {
    kind: &'static str,
    primary: bool,
    /// `(SCIM sub-attribute, profile attribute)`.
    subs: &'static [(&'static str, &'static str)],
}

impl Slot {
    fn profile_of(&self, sub: &str) -> Option<&'static str> {
        self.subs
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(sub))
            .map(|(_, p)| *p)
    }

    /// True when the slot has a value.
    fn exists(&self) -> Tri {
        Tri::any(self.subs.iter().map(|(_, p)| present(&["profile", p])))
    }
}

const EMAIL_SLOTS: &[Slot] = &[
    Slot {
        kind: "work",
        primary: true,
        subs: &[("value", "email")],
    },
    Slot {
        kind: "other",
        primary: false,
        subs: &[("value", "secondEmail")],
    },
];
const PHONE_SLOTS: &[Slot] = &[
    Slot {
        kind: "work",
        primary: true,
        subs: &[("value", "primaryPhone")],
    },
    Slot {
        kind: "mobile",
        primary: false,
        subs: &[("value", "mobilePhone")],
    },
];
const ADDRESS_SLOTS: &[Slot] = &[Slot {
    kind: "work",
    primary: true,
    subs: &[
        ("formatted", "postalAddress"),
        ("streetAddress", "streetAddress"),
        ("locality", "city"),
        ("region", "state"),
        ("postalCode", "zipCode"),
        ("country", "countryCode"),
    ],
}];

/// What a SCIM user attribute path stands for.
#[derive(Debug, Clone)]
enum UserTarget {
    /// A Roster path such as `profile.login` or `lastUpdated`.
    Roster(Vec<&'static str>),
    /// A custom profile attribute.
    Custom(String),
    Active,
    /// A sub-attribute of a multi-valued attribute, over its slots.
    Slots(&'static [Slot], String),
    /// `groups.value`.
    Groups,
    ResourceType(&'static str),
}

const SIMPLE_CORE: &[(&str, &str)] = &[
    ("displayname", "displayName"),
    ("nickname", "nickName"),
    ("profileurl", "profileUrl"),
    ("title", "title"),
    ("usertype", "userType"),
    ("preferredlanguage", "preferredLanguage"),
    ("locale", "locale"),
    ("timezone", "timezone"),
];
const NAME_PARTS: &[(&str, &str)] = &[
    ("givenname", "firstName"),
    ("familyname", "lastName"),
    ("middlename", "middleName"),
    ("honorificprefix", "honorificPrefix"),
    ("honorificsuffix", "honorificSuffix"),
];
const ENTERPRISE: &[(&str, &str)] = &[
    ("employeenumber", "employeeNumber"),
    ("costcenter", "costCenter"),
    ("organization", "organization"),
    ("division", "division"),
    ("department", "department"),
];

fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn resolve_user(path: &AttrPath, schema: &ProfileSchema) -> Result<UserTarget, ScimError> {
    let segs: Vec<String> = path
        .segments
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let urn = path.schema.as_deref().map(str::to_ascii_lowercase);
    let core = urn
        .as_deref()
        .is_none_or(|u| u == CORE_USER_URN.to_ascii_lowercase());
    let enterprise = urn
        .as_deref()
        .is_none_or(|u| u == ENTERPRISE_USER_URN.to_ascii_lowercase());
    let custom = urn
        .as_deref()
        .is_none_or(|u| u == ROSTER_USER_URN.to_ascii_lowercase());
    if !(core || enterprise || custom) {
        return Err(unsupported(
            path,
            "the schema is not one of the User resource",
        ));
    }
    let p = |attr: &'static str| Ok(UserTarget::Roster(vec!["profile", attr]));
    if core {
        match segs.as_slice() {
            ["id"] => return Ok(UserTarget::Roster(vec!["id"])),
            ["externalid"] => return p(EXTERNAL_ID_ATTRIBUTE),
            ["username"] => return p("login"),
            ["active"] => return Ok(UserTarget::Active),
            ["name", part] => {
                if let Some(attr) = lookup(NAME_PARTS, part) {
                    return p(attr);
                }
            }
            [simple] if lookup(SIMPLE_CORE, simple).is_some() => {
                if let Some(attr) = lookup(SIMPLE_CORE, simple) {
                    return p(attr);
                }
            }
            ["emails"] => return Ok(UserTarget::Slots(EMAIL_SLOTS, "value".into())),
            ["emails", sub] => return Ok(UserTarget::Slots(EMAIL_SLOTS, (*sub).to_owned())),
            ["phonenumbers"] => return Ok(UserTarget::Slots(PHONE_SLOTS, "value".into())),
            ["phonenumbers", sub] => return Ok(UserTarget::Slots(PHONE_SLOTS, (*sub).to_owned())),
            ["addresses", sub] => return Ok(UserTarget::Slots(ADDRESS_SLOTS, (*sub).to_owned())),
            ["groups"] | ["groups", "value"] => return Ok(UserTarget::Groups),
            ["meta", "lastmodified"] => return Ok(UserTarget::Roster(vec!["lastUpdated"])),
            ["meta", "created"] => return Ok(UserTarget::Roster(vec!["created"])),
            ["meta", "resourcetype"] => return Ok(UserTarget::ResourceType("User")),
            ["password"] => return Err(unsupported(path, "passwords are never searchable")),
            _ => {}
        }
    }
    if enterprise {
        match segs.as_slice() {
            [simple] if lookup(ENTERPRISE, simple).is_some() => {
                if let Some(attr) = lookup(ENTERPRISE, simple) {
                    return p(attr);
                }
            }
            ["manager"] | ["manager", "value"] => return p("managerId"),
            ["manager", "displayname"] => return p("manager"),
            _ => {}
        }
    }
    if custom {
        if let [name] = path.segments.as_slice() {
            if let Some((defined, _)) = schema
                .custom_attributes()
                .find(|(n, _)| n.eq_ignore_ascii_case(name) && *n != EXTERNAL_ID_ATTRIBUTE)
            {
                return Ok(UserTarget::Custom(defined.to_owned()));
            }
        }
    }
    Err(unsupported(
        path,
        "it is not a searchable attribute of the User (id, externalId, userName, name.*, displayName, emails, phoneNumbers, addresses, active, \
         groups, meta.created, meta.lastModified, the enterprise attributes and Roster's custom attributes)",
    ))
}

const ALL_STATUSES: [UserStatus; 8] = UserStatus::ALL;

fn active_is(active: bool) -> Tri {
    Tri::any(
        ALL_STATUSES
            .iter()
            .filter(|s| scim_active(**s) == active)
            .map(|s| {
                compare(
                    &["status"],
                    CompareOp::Eq,
                    &Value::String(s.as_str().to_owned()),
                )
            }),
    )
}

/// Translate a SCIM user filter.
pub fn translate_user(
    filter: &Filter,
    schema: &ProfileSchema,
    lookups: &Lookups,
) -> Result<Tri, ScimError> {
    match filter {
        Filter::And(a, b) => {
            Ok(translate_user(a, schema, lookups)?.and(translate_user(b, schema, lookups)?))
        }
        Filter::Or(a, b) => {
            Ok(translate_user(a, schema, lookups)?.or(translate_user(b, schema, lookups)?))
        }
        Filter::Not(inner, _) => Ok(translate_user(inner, schema, lookups)?.not()),
        Filter::Present { path, .. } => match resolve_user(path, schema)? {
            UserTarget::Roster(segs) => Ok(present(&segs)),
            UserTarget::Custom(name) => Ok(present(&["profile", &name])),
            UserTarget::Active | UserTarget::ResourceType(_) => Ok(Tri::True),
            UserTarget::Slots(slots, sub) => {
                slot_any(slots, path, |slot| slot_present(slot, &sub, path))
            }
            UserTarget::Groups => Err(unsupported(path, "use groups.value eq \"<group id>\"")),
        },
        Filter::Compare {
            path, op, value, ..
        } => {
            let target = resolve_user(path, schema)?;
            if *op == CompareOp::Ne
                && matches!(
                    target,
                    UserTarget::Slots(..) | UserTarget::Groups | UserTarget::Active
                )
            {
                let eq = Filter::Compare {
                    path: path.clone(),
                    op: CompareOp::Eq,
                    value: value.clone(),
                    span: Span::default(),
                };
                return Ok(translate_user(&eq, schema, lookups)?.not());
            }
            match target {
                UserTarget::Roster(segs) => Ok(compare(&segs, *op, value)),
                UserTarget::Custom(name) => Ok(compare(&["profile", &name], *op, value)),
                UserTarget::Active => match (op, value) {
                    (CompareOp::Eq, Value::Bool(b)) => Ok(active_is(*b)),
                    (CompareOp::Eq, Value::String(s))
                        if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
                    {
                        Ok(active_is(s.eq_ignore_ascii_case("true")))
                    }
                    _ => Err(unsupported(
                        path,
                        "active is a boolean: use active eq true or active eq false",
                    )),
                },
                UserTarget::ResourceType(kind) => {
                    Ok(if constant(&serde_json::json!(kind), *op, value) {
                        Tri::True
                    } else {
                        Tri::False
                    })
                }
                UserTarget::Slots(slots, sub) => slot_any(slots, path, |slot| {
                    slot_compare(slot, &sub, *op, value, path, false)
                }),
                UserTarget::Groups => match (op, value) {
                    (CompareOp::Eq, Value::String(gid)) => Ok(id_in(
                        lookups
                            .members_of
                            .get(gid)
                            .map(Vec::as_slice)
                            .unwrap_or_default(),
                    )),
                    _ => Err(unsupported(
                        path,
                        "groups can only be matched with groups.value eq \"<group id>\"",
                    )),
                },
            }
        }
        Filter::ValuePath {
            path,
            filter: inner,
            ..
        } => match resolve_user(path, schema)? {
            UserTarget::Slots(slots, _) => slot_any(slots, path, |slot| {
                Ok(slot_filter(slot, inner)?.and(slot.exists()))
            }),
            UserTarget::Groups => match group_id_of_value_filter(inner) {
                Some(gid) => Ok(id_in(
                    lookups
                        .members_of
                        .get(gid)
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                )),
                None => Err(unsupported(
                    path,
                    "groups can only be matched with groups[value eq \"<group id>\"]",
                )),
            },
            _ => Err(unsupported(
                path,
                "only emails, phoneNumbers, addresses and groups take a [filter]",
            )),
        },
    }
}

fn slot_any(
    slots: &'static [Slot],
    _path: &AttrPath,
    f: impl Fn(&Slot) -> Result<Tri, ScimError>,
) -> Result<Tri, ScimError> {
    let mut out = Tri::False;
    for slot in slots {
        out = out.or(f(slot)?);
    }
    Ok(out)
}

fn slot_present(slot: &Slot, sub: &str, path: &AttrPath) -> Result<Tri, ScimError> {
    if sub.eq_ignore_ascii_case("type") || sub.eq_ignore_ascii_case("primary") {
        return Ok(slot.exists());
    }
    match slot.profile_of(sub) {
        Some(attr) => Ok(present(&["profile", attr])),
        None => Err(unsupported(
            path,
            &format!("{sub} is not a sub-attribute Roster stores"),
        )),
    }
}

/// `in_element`: inside `attr[...]`, where the element's existence is required once outside.
fn slot_compare(
    slot: &Slot,
    sub: &str,
    op: CompareOp,
    value: &Value,
    path: &AttrPath,
    in_element: bool,
) -> Result<Tri, ScimError> {
    let exists = || if in_element { Tri::True } else { slot.exists() };
    if sub.eq_ignore_ascii_case("type") {
        return Ok(if constant(&serde_json::json!(slot.kind), op, value) {
            exists()
        } else {
            Tri::False
        });
    }
    if sub.eq_ignore_ascii_case("primary") {
        return Ok(if constant(&serde_json::json!(slot.primary), op, value) {
            exists()
        } else {
            Tri::False
        });
    }
    match slot.profile_of(sub) {
        Some(attr) => Ok(compare(&["profile", attr], op, value)),
        None => Err(unsupported(
            path,
            &format!("{sub} is not a sub-attribute Roster stores"),
        )),
    }
}

/// The filter inside `emails[...]`, for one slot: paths are sub-attributes of the element.
fn slot_filter(slot: &Slot, filter: &Filter) -> Result<Tri, ScimError> {
    match filter {
        Filter::And(a, b) => Ok(slot_filter(slot, a)?.and(slot_filter(slot, b)?)),
        Filter::Or(a, b) => Ok(slot_filter(slot, a)?.or(slot_filter(slot, b)?)),
        Filter::Not(inner, _) => Ok(slot_filter(slot, inner)?.not()),
        Filter::Present { path, .. }
            if ["type", "primary"]
                .iter()
                .any(|s| path.dotted().eq_ignore_ascii_case(s)) =>
        {
            Ok(Tri::True)
        }
        Filter::Present { path, .. } => slot_present(slot, &path.dotted(), path),
        Filter::Compare {
            path, op, value, ..
        } => slot_compare(slot, &path.dotted(), *op, value, path, true),
        Filter::ValuePath { path, .. } => Err(unsupported(path, "value filters cannot be nested")),
    }
}

/// `value eq "x"` inside `groups[...]` or `members[...]`: the id.
fn group_id_of_value_filter(filter: &Filter) -> Option<&str> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(id),
            ..
        } if path.segments.len() == 1
            && path
                .segments
                .first()
                .is_some_and(|s| s.eq_ignore_ascii_case("value")) =>
        {
            Some(id)
        }
        _ => None,
    }
}

/// What a user or group filter needs looked up (group members, user groups, external ids).
pub fn needs(filter: &Filter, groups: bool) -> Needs {
    let mut out = Needs::default();
    collect_needs(filter, groups, &mut out);
    out
}

fn collect_needs(filter: &Filter, groups: bool, out: &mut Needs) {
    let multi_name = if groups { "members" } else { "groups" };
    let is = |path: &AttrPath, names: &[&str]| {
        path.segments.len() == names.len()
            && path
                .segments
                .iter()
                .zip(names)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    };
    let list = |out: &mut Needs, id: &str| {
        let target = if groups {
            &mut out.groups_of
        } else {
            &mut out.members_of
        };
        if !target.iter().any(|x| x == id) {
            target.push(id.to_owned());
        }
    };
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            collect_needs(a, groups, out);
            collect_needs(b, groups, out);
        }
        Filter::Not(inner, _) => collect_needs(inner, groups, out),
        Filter::Compare {
            path,
            value: Value::String(id),
            ..
        } if is(path, &[multi_name, "value"]) || is(path, &[multi_name]) => list(out, id),
        Filter::ValuePath {
            path,
            filter: inner,
            ..
        } if is(path, &[multi_name]) => {
            if let Some(id) = group_id_of_value_filter(inner) {
                list(out, id);
            }
        }
        Filter::Compare { path, .. } | Filter::Present { path, .. }
            if groups && is(path, &["externalId"]) =>
        {
            out.group_external_ids = true;
        }
        _ => {}
    }
}

/// Translate a SCIM group filter.
pub fn translate_group(filter: &Filter, lookups: &Lookups) -> Result<Tri, ScimError> {
    let is = |path: &AttrPath, names: &[&str]| {
        path.segments.len() == names.len()
            && path
                .segments
                .iter()
                .zip(names)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    };
    let check_schema = |path: &AttrPath| match &path.schema {
        Some(s) if !s.eq_ignore_ascii_case(CORE_GROUP_URN) => {
            Err(unsupported(path, "the schema is not the Group schema"))
        }
        _ => Ok(()),
    };
    match filter {
        Filter::And(a, b) => Ok(translate_group(a, lookups)?.and(translate_group(b, lookups)?)),
        Filter::Or(a, b) => Ok(translate_group(a, lookups)?.or(translate_group(b, lookups)?)),
        Filter::Not(inner, _) => Ok(translate_group(inner, lookups)?.not()),
        Filter::Present { path, .. } => {
            check_schema(path)?;
            if is(path, &["id"])
                || is(path, &["displayName"])
                || is(path, &["meta", "created"])
                || is(path, &["meta", "lastModified"])
            {
                Ok(Tri::True)
            } else if is(path, &["externalId"]) {
                Ok(id_in(
                    &lookups
                        .group_external_ids
                        .iter()
                        .map(|(g, _)| g.clone())
                        .collect::<Vec<_>>(),
                ))
            } else if is(path, &["members"]) || is(path, &["members", "value"]) {
                Err(unsupported(path, "use members.value eq \"<user id>\""))
            } else {
                Err(unsupported(path, "groups can be searched by id, displayName, externalId, members.value, meta.created and meta.lastModified"))
            }
        }
        Filter::Compare {
            path, op, value, ..
        } => {
            check_schema(path)?;
            if is(path, &["id"]) {
                Ok(compare(&["id"], *op, value))
            } else if is(path, &["displayName"]) {
                Ok(compare(&["name"], *op, value))
            } else if is(path, &["meta", "created"]) {
                Ok(compare(&["created"], *op, value))
            } else if is(path, &["meta", "lastModified"]) {
                // lastModified is the later of the profile and the membership change times.
                let a = compare(&["lastUpdated"], *op, value);
                let b = compare(&["lastMembershipUpdated"], *op, value);
                Ok(match op {
                    CompareOp::Lt | CompareOp::Le => a.and(b),
                    _ => a.or(b),
                })
            } else if is(path, &["meta", "resourceType"]) {
                Ok(if constant(&serde_json::json!("Group"), *op, value) {
                    Tri::True
                } else {
                    Tri::False
                })
            } else if is(path, &["externalId"]) {
                let test = Filter::Compare {
                    path: roster_path(&["externalId"]),
                    op: *op,
                    value: value.clone(),
                    span: Span::default(),
                };
                let ids: Vec<String> = lookups
                    .group_external_ids
                    .iter()
                    .filter(|(_, ext)| test.matches(&serde_json::json!({ "externalId": ext })))
                    .map(|(g, _)| g.clone())
                    .collect();
                if *op == CompareOp::Ne {
                    // Groups without an externalId are "not equal" too.
                    let eq = Filter::Compare {
                        path: path.clone(),
                        op: CompareOp::Eq,
                        value: value.clone(),
                        span: Span::default(),
                    };
                    return Ok(translate_group(&eq, lookups)?.not());
                }
                Ok(id_in(&ids))
            } else if is(path, &["members", "value"]) || is(path, &["members"]) {
                match (op, value) {
                    (CompareOp::Eq, Value::String(uid)) => Ok(id_in(
                        lookups
                            .groups_of
                            .get(uid)
                            .map(Vec::as_slice)
                            .unwrap_or_default(),
                    )),
                    (CompareOp::Ne, Value::String(uid)) => Ok(id_in(
                        lookups
                            .groups_of
                            .get(uid)
                            .map(Vec::as_slice)
                            .unwrap_or_default(),
                    )
                    .not()),
                    _ => Err(unsupported(
                        path,
                        "members can only be matched with members.value eq \"<user id>\"",
                    )),
                }
            } else {
                Err(unsupported(path, "groups can be searched by id, displayName, externalId, members.value, meta.created and meta.lastModified"))
            }
        }
        Filter::ValuePath {
            path,
            filter: inner,
            ..
        } => {
            check_schema(path)?;
            if is(path, &["members"]) {
                match group_id_of_value_filter(inner) {
                    Some(uid) => Ok(id_in(
                        lookups
                            .groups_of
                            .get(uid)
                            .map(Vec::as_slice)
                            .unwrap_or_default(),
                    )),
                    None => Err(unsupported(
                        path,
                        "members can only be matched with members[value eq \"<user id>\"]",
                    )),
                }
            } else {
                Err(unsupported(path, "only members takes a [filter] on groups"))
            }
        }
    }
}

/// Parse a SCIM filter text; errors are `invalidFilter` with the position.
///
/// Clients also write a sub-attribute after a value filter, `emails[type eq "work"].value eq
/// "x"`, which RFC 7644's filter grammar lacks; it is read as `emails[type eq "work" and value
/// eq "x"]`, which means the same.
pub fn parse(text: &str) -> Result<Filter, ScimError> {
    let rewritten = rewrite_sub_attribute_after_value_filter(text);
    let source = rewritten.as_deref().unwrap_or(text);
    roster_filter::parse(source).map_err(|e| {
        ScimError::invalid_filter(format!(
            "{e} (at character {})\n{}",
            e.position() + 1,
            e.caret(source)
        ))
    })
}

/// `a[f].s op v` to `a[(f) and s op v]`, outside strings; `None` when there is nothing to do.
fn rewrite_sub_attribute_after_value_filter(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 16);
    let mut changed = false;
    let mut i = 0;
    let mut in_string = false;
    let mut open: Option<usize> = None; // index in `out` just after '['
    while i < chars.len() {
        let c = chars[i];
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(&next) = chars.get(i + 1) {
                    out.push(next);
                    i += 1;
                }
            } else if c == '"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '[' => {
                out.push(c);
                open = Some(out.len());
            }
            ']' if open.is_some() && chars.get(i + 1) == Some(&'.') => {
                // The sub-attribute name.
                let mut j = i + 2;
                let start = j;
                while j < chars.len()
                    && (chars[j].is_ascii_alphanumeric() || chars[j] == '_' || chars[j] == '$')
                {
                    j += 1;
                }
                let sub: String = chars[start..j].iter().collect();
                // The operator and, unless `pr`, the value.
                let mut k = j;
                while k < chars.len() && chars[k].is_whitespace() {
                    k += 1;
                }
                let op_start = k;
                while k < chars.len() && chars[k].is_ascii_alphabetic() {
                    k += 1;
                }
                let op: String = chars[op_start..k].iter().collect();
                if sub.is_empty() || op.is_empty() {
                    out.push(c);
                    open = None;
                    i += 1;
                    continue;
                }
                let mut value = String::new();
                if !op.eq_ignore_ascii_case("pr") {
                    while k < chars.len() && chars[k].is_whitespace() {
                        k += 1;
                    }
                    if chars.get(k) == Some(&'"') {
                        value.push('"');
                        k += 1;
                        while k < chars.len() {
                            value.push(chars[k]);
                            if chars[k] == '\\' {
                                if let Some(&next) = chars.get(k + 1) {
                                    value.push(next);
                                    k += 1;
                                }
                            } else if chars[k] == '"' {
                                k += 1;
                                break;
                            }
                            k += 1;
                        }
                    } else {
                        while k < chars.len() && !chars[k].is_whitespace() && chars[k] != ')' {
                            value.push(chars[k]);
                            k += 1;
                        }
                    }
                }
                if let Some(pos) = open.take() {
                    let inner = out.split_off(pos);
                    out.push_str(&format!("({inner}) and {sub} {op}"));
                    if !value.is_empty() {
                        out.push(' ');
                        out.push_str(&value);
                    }
                    out.push(']');
                    changed = true;
                }
                i = k;
                continue;
            }
            ']' => {
                out.push(c);
                open = None;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> String {
        let mut lookups = Lookups::default();
        lookups
            .members_of
            .insert("00g1".into(), vec!["00u1".into(), "00u2".into()]);
        let filter = parse(text).unwrap();
        match translate_user(&filter, &ProfileSchema::okta_default(), &lookups) {
            Ok(Tri::True) => "TRUE".into(),
            Ok(Tri::False) => "FALSE".into(),
            Ok(Tri::Where(f)) => f.to_string(),
            Err(e) => format!("{}: {}", e.scim_type.unwrap_or("-"), e.detail),
        }
    }

    #[test]
    fn user_paths_translate_to_roster_paths() {
        expect_test::expect![[r#"
            userName eq "bjensen" => profile.login eq "bjensen"
            name.familyName sw "J" and title pr => profile.lastName sw "J" and profile.title pr
            urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a" => profile.login eq "a"
            emails.value co "@example.com" => profile.email co "@example.com" or profile.secondEmail co "@example.com"
            emails[type eq "work"].value eq "a@x.test" => profile.email eq "a@x.test" and profile.email pr
            emails[type eq "work" and value ew "x.test"] => profile.email ew "x.test" and profile.email pr
            emails[type eq "home"] => FALSE
            emails ne "a@x.test" => not (profile.email eq "a@x.test" or profile.secondEmail eq "a@x.test")
            phoneNumbers[type eq "mobile"].value eq "1" => profile.mobilePhone eq "1" and profile.mobilePhone pr
            addresses.locality eq "Paris" => profile.city eq "Paris"
            active eq true => status eq "PROVISIONED" or status eq "ACTIVE" or status eq "RECOVERY" or status eq "LOCKED_OUT" or status eq "PASSWORD_EXPIRED"
            active eq false => status eq "STAGED" or status eq "SUSPENDED" or status eq "DEPROVISIONED"
            meta.lastModified gt "2026-01-01T00:00:00Z" => lastUpdated gt "2026-01-01T00:00:00Z"
            meta.resourceType eq "User" and externalId eq "e1" => profile.externalId eq "e1"
            urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "00u9" => profile.managerId eq "00u9"
            department eq "R&D" => profile.department eq "R&D"
            groups.value eq "00g1" => id eq "00u1" or id eq "00u2"
            groups[value eq "00g2"] => FALSE
            password eq "x" => invalidFilter: password cannot be searched (at character 1): passwords are never searchable
            name.formatted eq "x" => invalidFilter: name.formatted cannot be searched (at character 1): it is not a searchable attribute of the User (id, externalId, userName, name.*, displayName, emails, phoneNumbers, addresses, active, groups, meta.created, meta.lastModified, the enterprise attributes and Roster's custom attributes)
            active gt true => invalidFilter: active cannot be searched (at character 1): active is a boolean: use active eq true or active eq false
        "#]]
        .assert_eq(
            &[
                r#"userName eq "bjensen""#,
                r#"name.familyName sw "J" and title pr"#,
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#,
                r#"emails.value co "@example.com""#,
                r#"emails[type eq "work"].value eq "a@x.test""#,
                r#"emails[type eq "work" and value ew "x.test"]"#,
                r#"emails[type eq "home"]"#,
                r#"emails ne "a@x.test""#,
                r#"phoneNumbers[type eq "mobile"].value eq "1""#,
                r#"addresses.locality eq "Paris""#,
                "active eq true",
                "active eq false",
                r#"meta.lastModified gt "2026-01-01T00:00:00Z""#,
                r#"meta.resourceType eq "User" and externalId eq "e1""#,
                r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "00u9""#,
                r#"department eq "R&D""#,
                r#"groups.value eq "00g1""#,
                r#"groups[value eq "00g2"]"#,
                r#"password eq "x""#,
                r#"name.formatted eq "x""#,
                "active gt true",
            ]
            .iter()
            .map(|t| format!("{t} => {}\n", user(t)))
            .collect::<String>(),
        );
    }

    #[test]
    fn group_filters_use_lookups() {
        let mut lookups = Lookups::default();
        lookups.groups_of.insert("00u1".into(), vec!["00g1".into()]);
        lookups.group_external_ids =
            vec![("00g1".into(), "E1".into()), ("00g2".into(), "E2".into())];
        let show = |text: &str| match translate_group(&parse(text).unwrap(), &lookups).unwrap() {
            Tri::True => "TRUE".to_owned(),
            Tri::False => "FALSE".to_owned(),
            Tri::Where(f) => f.to_string(),
        };
        assert_eq!(show(r#"displayName eq "Eng""#), r#"name eq "Eng""#);
        assert_eq!(
            show(r#"id eq "00g1" and members[value eq "00u1"]"#),
            r#"id eq "00g1" and id eq "00g1""#
        );
        assert_eq!(show(r#"members.value eq "00u9""#), "FALSE");
        assert_eq!(show(r#"externalId eq "e2""#), r#"id eq "00g2""#);
        assert_eq!(
            needs(
                &parse(r#"externalId eq "x" or members[value eq "00u1"]"#).unwrap(),
                true
            ),
            Needs {
                members_of: vec![],
                groups_of: vec!["00u1".into()],
                group_external_ids: true
            }
        );
    }

    #[test]
    fn a_sub_attribute_after_a_value_filter_is_folded_into_it() {
        let rw = |t: &str| rewrite_sub_attribute_after_value_filter(t);
        assert_eq!(
            rw(r#"emails[type eq "work"].value eq "a]b""#).as_deref(),
            Some(r#"emails[(type eq "work") and value eq "a]b"]"#)
        );
        assert_eq!(
            rw(r#"(emails[type eq "w\"x"].value pr) and userName eq "u""#).as_deref(),
            Some(r#"(emails[(type eq "w\"x") and value pr]) and userName eq "u""#)
        );
        assert_eq!(rw(r#"emails[type eq "work"] and x eq "[y].z""#), None);
    }

    #[test]
    fn bad_filters_say_where() {
        let err = parse(r#"userName eq"#).unwrap_err();
        assert_eq!(err.scim_type, Some("invalidFilter"));
        assert!(err.detail.contains("at character"), "{}", err.detail);
    }
}
