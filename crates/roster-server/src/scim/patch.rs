//! The PATCH engine (RFC 7644 section 3.5.2), as a pure function over the SCIM JSON document of
//! a resource: `apply` runs every operation on a copy, and the handler converts the result back
//! to Roster (checking it whole) and writes it once. A PATCH that fails anywhere changes nothing.
//!
//! Paths: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, each optionally prefixed with
//! a schema URN (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`), or
//! a bare extension URN for the whole extension. Names are case-insensitive. The filter inside
//! brackets is Roster's one filter language, evaluated on each element.
//!
//! Semantics, per operation:
//! - `add`: a single-valued attribute is set, a complex one merged, a multi-valued one gets the
//!   new values appended (values already present are not repeated). With a filter, matching
//!   elements are merged; when nothing matches and the filter only tests equality
//!   (`emails[type eq "work"].value`), the element is created, as clients such as Entra ID
//!   expect. Without a path, the value is an object of attributes to add.
//! - `replace`: like `add`, except that a multi-valued attribute without a filter is replaced
//!   whole, a bare extension URN replaces the whole extension, and a filter that matches nothing
//!   is `noTarget`.
//! - `remove`: the path is required (`noTarget` otherwise). Removing a multi-valued attribute
//!   with a `value` (a list of elements, as Entra ID sends for members) removes those elements;
//!   a filter that matches nothing is `noTarget`.
//!
//! Errors: a malformed path or an unknown attribute is `invalidPath`, a read-only target is
//! `mutability`, a value of the wrong type is `invalidValue`.

use roster_filter::{CompareOp, Filter, Value as FilterValue};
use serde_json::{Map, Value};

use super::body::read_value;
use super::error::ScimError;
use super::schema::{Attr, Mutability, ResourceSchema, Type};
use super::wire::PatchOperation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
}

impl Op {
    fn parse(s: &str) -> Result<Op, ScimError> {
        match s.to_ascii_lowercase().as_str() {
            "add" => Ok(Op::Add),
            "remove" => Ok(Op::Remove),
            "replace" => Ok(Op::Replace),
            _ => Err(ScimError::invalid_syntax(format!(
                "PATCH op {s:?} is not add, remove or replace"
            ))),
        }
    }
}

/// A parsed PATCH path.
#[derive(Debug, Clone)]
pub struct PatchPath {
    /// The extension URN the attribute lives under; `None` for the core schema.
    pub extension: Option<String>,
    /// The attribute; `None` when the path is a bare extension URN.
    pub attr: Option<String>,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

/// Parse `text` against `resource`'s schemas.
pub fn parse_path(text: &str, resource: &ResourceSchema) -> Result<PatchPath, ScimError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ScimError::invalid_path("the PATCH path is empty"));
    }
    let mut extension = None;
    let mut rest = text;
    if text.len() >= 4 && text[..4].eq_ignore_ascii_case("urn:") {
        let bracket = text.find('[').unwrap_or(text.len());
        let head = &text[..bracket];
        let mut found = None;
        for schema in
            std::iter::once(&resource.core).chain(resource.extensions.iter().map(|(s, _)| s))
        {
            if head.eq_ignore_ascii_case(schema.id) {
                if schema.id == resource.core.id {
                    return Err(ScimError::invalid_path(format!(
                        "{text:?} names the core schema, not an attribute"
                    )));
                }
                return Ok(PatchPath {
                    extension: Some(schema.id.to_owned()),
                    attr: None,
                    filter: None,
                    sub: None,
                });
            }
            let prefix_len = schema.id.len() + 1;
            if head.len() > prefix_len
                && head[..schema.id.len()].eq_ignore_ascii_case(schema.id)
                && head.as_bytes().get(schema.id.len()) == Some(&b':')
            {
                found = Some((schema.id, prefix_len));
            }
        }
        let Some((urn, prefix_len)) = found else {
            return Err(ScimError::invalid_path(format!(
                "{text:?} does not start with a schema of the {} resource",
                resource.name
            )));
        };
        if urn != resource.core.id {
            extension = Some(urn.to_owned());
        }
        rest = &text[prefix_len..];
    }
    let name_end = rest.find(['[', '.']).unwrap_or(rest.len());
    let attr_name = &rest[..name_end];
    let mut after = &rest[name_end..];
    let mut filter = None;
    if let Some(inner_and_more) = after.strip_prefix('[') {
        let close = closing_bracket(inner_and_more).ok_or_else(|| {
            ScimError::invalid_path(format!("the filter in {text:?} has no closing ]"))
        })?;
        let inner = &inner_and_more[..close];
        filter = Some(roster_filter::parse(inner).map_err(|e| {
            ScimError::invalid_path(format!(
                "the filter in the path {text:?} is not valid: {e} (at character {})",
                e.position() + 1
            ))
        })?);
        after = &inner_and_more[close + 1..];
    }
    let sub = match after.strip_prefix('.') {
        Some(s)
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '-') =>
        {
            Some(s)
        }
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "{text:?} has no valid sub-attribute after the dot"
            )))
        }
        None if after.is_empty() => None,
        None => {
            return Err(ScimError::invalid_path(format!(
                "{text:?} is not a valid path: unexpected {after:?}"
            )))
        }
    };
    if attr_name.is_empty() {
        return Err(ScimError::invalid_path(format!(
            "{text:?} names no attribute"
        )));
    }
    if extension.is_none()
        && ["id", "meta", "schemas"]
            .iter()
            .any(|r| r.eq_ignore_ascii_case(attr_name))
    {
        return Err(ScimError::mutability(format!("{attr_name} is read-only")));
    }
    if extension.is_none() && attr_name.eq_ignore_ascii_case("externalId") {
        if filter.is_some() || sub.is_some() {
            return Err(ScimError::invalid_path(
                "externalId is a simple attribute: it has no sub-attributes or values to filter",
            ));
        }
        return Ok(PatchPath {
            extension: None,
            attr: Some("externalId".into()),
            filter: None,
            sub: None,
        });
    }
    let schema = match &extension {
        Some(urn) => resource.extension(urn),
        None => Some(&resource.core),
    };
    let attr = schema.and_then(|s| s.attr(attr_name)).ok_or_else(|| {
        ScimError::invalid_path(format!(
            "{text:?}: {attr_name} is not an attribute of the {}",
            resource.name
        ))
    })?;
    if attr.mutability == Mutability::ReadOnly {
        return Err(ScimError::mutability(format!("{} is read-only", attr.name)));
    }
    if filter.is_some() && !(attr.multi && attr.kind == Type::Complex) {
        return Err(ScimError::invalid_path(format!(
            "{text:?}: only multi-valued complex attributes can be filtered, and {} is not one",
            attr.name
        )));
    }
    let sub = match sub {
        None => None,
        Some(s) => {
            let sub_attr = attr.sub_attr(s).ok_or_else(|| {
                ScimError::invalid_path(format!(
                    "{text:?}: {s} is not a sub-attribute of {}",
                    attr.name
                ))
            })?;
            if sub_attr.mutability == Mutability::ReadOnly {
                return Err(ScimError::mutability(format!(
                    "{}.{} is read-only",
                    attr.name, sub_attr.name
                )));
            }
            if attr.multi && filter.is_none() {
                return Err(ScimError::invalid_path(format!(
                    "{text:?}: {} has several values; select them with a filter, e.g. {}[type eq \"work\"].{}",
                    attr.name, attr.name, sub_attr.name
                )));
            }
            Some(sub_attr.name.clone())
        }
    };
    Ok(PatchPath {
        extension,
        attr: Some(attr.name.clone()),
        filter,
        sub,
    })
}

/// The index of the `]` closing a filter, skipping brackets inside quoted strings.
fn closing_bracket(s: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if in_string {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => in_string = false,
                _ => escaped = false,
            }
        } else if c == '"' {
            in_string = true;
        } else if c == ']' {
            return Some(i);
        }
    }
    None
}

/// Apply every operation to `doc`, in order.
pub fn apply(
    doc: &mut Map<String, Value>,
    ops: &[PatchOperation],
    resource: &ResourceSchema,
) -> Result<(), ScimError> {
    if ops.is_empty() {
        return Err(ScimError::invalid_value("the PatchOp has no Operations"));
    }
    for (i, operation) in ops.iter().enumerate() {
        apply_one(doc, operation, resource).map_err(|mut e| {
            e.detail = format!(
                "Operations[{i}] ({} {}): {}",
                operation.op,
                operation.path.as_deref().unwrap_or("(no path)"),
                e.detail
            );
            e
        })?;
    }
    Ok(())
}

fn apply_one(
    doc: &mut Map<String, Value>,
    operation: &PatchOperation,
    resource: &ResourceSchema,
) -> Result<(), ScimError> {
    let op = Op::parse(&operation.op)?;
    match (&operation.path, op) {
        (None, Op::Remove) => Err(ScimError::no_target(
            "remove needs a path naming what to remove",
        )),
        (None, _) => {
            let Some(Value::Object(values)) = &operation.value else {
                return Err(ScimError::invalid_value(format!(
                    "{} without a path needs an object of attributes as its value",
                    operation.op
                )));
            };
            for (key, value) in values {
                if ["schemas", "id", "meta"]
                    .iter()
                    .any(|r| r.eq_ignore_ascii_case(key))
                {
                    continue;
                }
                let path = parse_path(key, resource)?;
                apply_at(doc, &path, op, Some(value), resource)?;
            }
            Ok(())
        }
        (Some(text), _) => {
            let path = parse_path(text, resource)?;
            if op != Op::Remove && operation.value.is_none() {
                return Err(ScimError::invalid_value(format!(
                    "{} needs a value",
                    operation.op
                )));
            }
            apply_at(doc, &path, op, operation.value.as_ref(), resource)
        }
    }
}

/// The attribute definition a path targets (`None` for externalId and bare extensions).
fn attr_of<'r>(path: &PatchPath, resource: &'r ResourceSchema) -> Option<&'r Attr> {
    let name = path.attr.as_deref()?;
    match &path.extension {
        Some(urn) => resource.extension(urn)?.attr(name),
        None => resource.core.attr(name),
    }
}

/// Check and canonicalise `value` for `attr`.
fn checked(attr: &Attr, value: &Value, label: &str) -> Result<Value, ScimError> {
    let mut problems = Vec::new();
    let out = read_value(attr, value, label, &mut problems);
    if !problems.is_empty() {
        return Err(ScimError::invalid_value(problems.join("; ")));
    }
    out.ok_or_else(|| ScimError::mutability(format!("{label} is read-only")))
}

fn apply_at(
    doc: &mut Map<String, Value>,
    path: &PatchPath,
    op: Op,
    value: Option<&Value>,
    resource: &ResourceSchema,
) -> Result<(), ScimError> {
    // The whole extension.
    let Some(attr_name) = path.attr.clone() else {
        let urn = path.extension.clone().unwrap_or_default();
        return match op {
            Op::Remove => {
                doc.remove(&urn);
                Ok(())
            }
            Op::Add | Op::Replace => {
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::invalid_value(format!(
                        "the value for {urn} must be an object of its attributes"
                    )));
                };
                if op == Op::Replace {
                    doc.insert(urn.clone(), Value::Object(Map::new()));
                }
                for (key, v) in values {
                    if key.eq_ignore_ascii_case("schemas") {
                        continue;
                    }
                    let sub_path = parse_path(&format!("{urn}:{key}"), resource)?;
                    apply_at(doc, &sub_path, Op::Add, Some(v), resource)?;
                }
                Ok(())
            }
        };
    };
    // The container the attribute lives in: the document, or the extension object.
    let container: &mut Map<String, Value> = match &path.extension {
        None => doc,
        Some(urn) => {
            let entry = doc
                .entry(urn.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            match entry.as_object_mut() {
                Some(m) => m,
                None => return Err(ScimError::internal(&"extension container is not an object")),
            }
        }
    };
    let Some(attr) = attr_of(path, resource) else {
        // externalId
        match op {
            Op::Remove => {
                container.remove(&attr_name);
            }
            Op::Add | Op::Replace => match value {
                Some(Value::String(s)) => {
                    container.insert(attr_name, Value::String(s.clone()));
                }
                Some(Value::Null) => {
                    container.remove(&attr_name);
                }
                other => {
                    return Err(ScimError::invalid_value(format!(
                        "externalId must be a string, not {}",
                        other.cloned().unwrap_or(Value::Null)
                    )))
                }
            },
        }
        return Ok(());
    };

    match (&path.filter, &path.sub) {
        (None, None) => on_attribute(container, attr, op, value),
        (None, Some(sub)) => {
            // A sub-attribute of a single-valued complex attribute.
            let sub_attr = attr.sub_attr(sub).ok_or_else(|| {
                ScimError::invalid_path(format!("{sub} is not a sub-attribute of {}", attr.name))
            })?;
            match op {
                Op::Remove => {
                    if let Some(Value::Object(m)) = container.get_mut(&attr.name) {
                        m.remove(&sub_attr.name);
                    }
                }
                Op::Add | Op::Replace => {
                    let v = checked(
                        sub_attr,
                        value.unwrap_or(&Value::Null),
                        &format!("{}.{}", attr.name, sub_attr.name),
                    )?;
                    let entry = container
                        .entry(attr.name.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !entry.is_object() {
                        *entry = Value::Object(Map::new());
                    }
                    if let Some(m) = entry.as_object_mut() {
                        m.insert(sub_attr.name.clone(), v);
                    }
                }
            }
            Ok(())
        }
        (Some(filter), sub) => on_filtered(container, attr, filter, sub.as_deref(), op, value),
    }
}

fn on_attribute(
    container: &mut Map<String, Value>,
    attr: &Attr,
    op: Op,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match op {
        Op::Remove if attr.required && value.is_none() => Err(ScimError::invalid_value(format!(
            "{} is required and cannot be removed; replace it instead",
            attr.name
        ))),
        Op::Remove => {
            match value {
                // Remove the listed elements (Entra ID: {"op":"remove","path":"members","value":[{"value":"id"}]}).
                Some(v) if attr.multi && !v.is_null() => {
                    let remove = match checked(attr, v, &attr.name)? {
                        Value::Array(items) => items,
                        other => vec![other],
                    };
                    if let Some(Value::Array(items)) = container.get_mut(&attr.name) {
                        items.retain(|item| !remove.iter().any(|r| same_element(item, r)));
                    }
                }
                _ => {
                    container.remove(&attr.name);
                }
            }
            Ok(())
        }
        Op::Add | Op::Replace => {
            let v = checked(attr, value.unwrap_or(&Value::Null), &attr.name)?;
            if attr.multi {
                if op == Op::Replace || v.is_null() {
                    container.insert(attr.name.clone(), v);
                    return Ok(());
                }
                let entry = container
                    .entry(attr.name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if !entry.is_array() {
                    *entry = Value::Array(Vec::new());
                }
                if let (Some(items), Value::Array(new)) = (entry.as_array_mut(), v) {
                    for item in new {
                        if !items.iter().any(|existing| same_element(existing, &item)) {
                            items.push(item);
                        }
                    }
                }
                return Ok(());
            }
            match (attr.kind, v) {
                (Type::Complex, Value::Object(new)) => {
                    let entry = container
                        .entry(attr.name.clone())
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !entry.is_object() {
                        *entry = Value::Object(Map::new());
                    }
                    if let Some(existing) = entry.as_object_mut() {
                        for (k, sub) in new {
                            existing.insert(k, sub);
                        }
                    }
                }
                (_, v) => {
                    container.insert(attr.name.clone(), v);
                }
            }
            Ok(())
        }
    }
}

/// Elements are the same when they have the same `value` (compared without case), or, without
/// `value`s, when they are equal.
fn same_element(a: &Value, b: &Value) -> bool {
    match (
        a.get("value").and_then(Value::as_str),
        b.get("value").and_then(Value::as_str),
    ) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

fn on_filtered(
    container: &mut Map<String, Value>,
    attr: &Attr,
    filter: &Filter,
    sub: Option<&str>,
    op: Op,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let label = match sub {
        Some(s) => format!("{}[{filter}].{s}", attr.name),
        None => format!("{}[{filter}]", attr.name),
    };
    // The value to merge or set, checked before anything changes.
    let new_value = match op {
        Op::Remove => None,
        Op::Add | Op::Replace => Some(match sub {
            Some(s) => {
                let sub_attr = attr.sub_attr(s).ok_or_else(|| {
                    ScimError::invalid_path(format!("{s} is not a sub-attribute of {}", attr.name))
                })?;
                checked(sub_attr, value.unwrap_or(&Value::Null), &label)?
            }
            None => {
                let element_attr = Attr {
                    multi: false,
                    ..attr.clone()
                };
                checked(&element_attr, value.unwrap_or(&Value::Null), &label)?
            }
        }),
    };
    let items = container
        .entry(attr.name.clone())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !items.is_array() {
        *items = Value::Array(Vec::new());
    }
    let Some(items) = items.as_array_mut() else {
        return Err(ScimError::internal(
            &"multi-valued attribute is not an array",
        ));
    };
    let matching: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| filter.matches(item))
        .map(|(i, _)| i)
        .collect();
    if matching.is_empty() {
        if op == Op::Add {
            if let Some(mut element) = equality_element(filter, attr) {
                if let Some(new_value) = new_value {
                    merge_into(&mut element, sub, new_value);
                }
                items.push(Value::Object(element));
                return Ok(());
            }
        }
        return Err(ScimError::no_target(format!(
            "no value of {} matches {filter}",
            attr.name
        )));
    }
    match op {
        Op::Remove => match sub {
            None => {
                let mut i = 0;
                items.retain(|_| {
                    let keep = !matching.contains(&i);
                    i += 1;
                    keep
                });
            }
            Some(s) => {
                for &i in &matching {
                    if let Some(Value::Object(m)) = items.get_mut(i) {
                        m.remove(s);
                    }
                }
            }
        },
        Op::Add | Op::Replace => {
            for &i in &matching {
                if let (Some(Value::Object(m)), Some(v)) = (items.get_mut(i), new_value.clone()) {
                    merge_into(m, sub, v);
                }
            }
        }
    }
    Ok(())
}

fn merge_into(element: &mut Map<String, Value>, sub: Option<&str>, value: Value) {
    match (sub, value) {
        (Some(s), v) => {
            element.insert(s.to_owned(), v);
        }
        (None, Value::Object(values)) => {
            for (k, v) in values {
                element.insert(k, v);
            }
        }
        (None, _) => {}
    }
}

/// When `filter` is a conjunction of `sub eq value` tests, the element it describes.
fn equality_element(filter: &Filter, attr: &Attr) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    collect_equalities(filter, attr, &mut out).then_some(out)
}

fn collect_equalities(filter: &Filter, attr: &Attr, out: &mut Map<String, Value>) -> bool {
    match filter {
        Filter::And(a, b) => collect_equalities(a, attr, out) && collect_equalities(b, attr, out),
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
            ..
        } if path.schema.is_none() && path.segments.len() == 1 => {
            let Some(sub) = path.segments.first().and_then(|s| attr.sub_attr(s)) else {
                return false;
            };
            let v = match value {
                FilterValue::String(s) => Value::String(s.clone()),
                FilterValue::Bool(b) => Value::Bool(*b),
                FilterValue::Number(n) => Value::Number(n.clone()),
                FilterValue::Null => return false,
            };
            out.insert(sub.name.clone(), v);
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::schema::{group_resource, user_resource};

    fn run(doc: Value, ops: Value) -> Result<Value, ScimError> {
        run_on(
            doc,
            ops,
            &user_resource(&roster_core::ProfileSchema::okta_default()),
        )
    }

    fn run_on(doc: Value, ops: Value, resource: &ResourceSchema) -> Result<Value, ScimError> {
        let mut doc = doc.as_object().cloned().unwrap_or_default();
        let ops: Vec<PatchOperation> = serde_json::from_value(ops).unwrap();
        apply(&mut doc, &ops, resource)?;
        Ok(Value::Object(doc))
    }

    fn user() -> Value {
        json!({
            "userName": "ann@example.com",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@example.com", "type": "work"}],
        })
    }

    fn check(ops: Value, expect: expect_test::Expect) {
        let out = match run(user(), ops) {
            Ok(v) => serde_json::to_string(&v).unwrap(),
            Err(e) => format!(
                "{} {}: {}",
                e.status.as_u16(),
                e.scim_type.unwrap_or("-"),
                e.detail
            ),
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn value_paths_set_merge_and_create() {
        check(
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"}]),
            expect_test::expect![[
                r#"{"userName":"ann@example.com","name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"new@example.com","type":"work"}]}"#
            ]],
        );
        check(
            json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"}]),
            expect_test::expect![[
                r#"{"userName":"ann@example.com","name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@example.com","type":"work"}],"phoneNumbers":[{"type":"mobile","value":"+1 555"}]}"#
            ]],
        );
        check(
            json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x@example.com"}]),
            expect_test::expect![[
                r#"400 noTarget: Operations[0] (replace emails[type eq "home"].value): no value of emails matches type eq "home""#
            ]],
        );
        check(
            json!([{"op": "remove", "path": "emails[value ew \"example.com\"]"}]),
            expect_test::expect![[
                r#"{"userName":"ann@example.com","name":{"givenName":"Ann","familyName":"Lee"},"emails":[]}"#
            ]],
        );
    }

    #[test]
    fn no_path_operations_take_an_object() {
        check(
            json!([{"op": "replace", "value": {"NAME": {"givenName": "Anna"}, "active": "False",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D"}}]),
            expect_test::expect![[
                r#"{"userName":"ann@example.com","name":{"givenName":"Anna","familyName":"Lee"},"emails":[{"value":"ann@example.com","type":"work"}],"active":false,"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R&D"}}"#
            ]],
        );
        check(
            json!([{"op": "add", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "00u2", "costCenter": "7"}}}]),
            expect_test::expect![[
                r#"{"userName":"ann@example.com","name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@example.com","type":"work"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"00u2"},"costCenter":"7"}}"#
            ]],
        );
        check(
            json!([{"op": "remove"}]),
            expect_test::expect![[
                r#"400 noTarget: Operations[0] (remove (no path)): remove needs a path naming what to remove"#
            ]],
        );
    }

    #[test]
    fn bad_paths_and_values_are_refused_with_their_scim_type() {
        check(
            json!([{"op": "replace", "path": "emails[type eq]", "value": "x"}]),
            expect_test::expect![[
                r#"400 invalidPath: Operations[0] (replace emails[type eq]): the filter in the path "emails[type eq]" is not valid: expected a value (a "string", a number, true, false or null) after "eq" but found the end of the filter (at character 8)"#
            ]],
        );
        check(
            json!([{"op": "replace", "path": "nosuch", "value": "x"}]),
            expect_test::expect![[
                r#"400 invalidPath: Operations[0] (replace nosuch): "nosuch": nosuch is not an attribute of the User"#
            ]],
        );
        check(
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            expect_test::expect![[
                r#"400 mutability: Operations[0] (replace id): id is read-only"#
            ]],
        );
        check(
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            expect_test::expect![[
                r#"400 mutability: Operations[0] (add groups): groups is read-only"#
            ]],
        );
        check(
            json!([{"op": "replace", "path": "name.givenName", "value": 5}]),
            expect_test::expect![[
                r#"400 invalidValue: Operations[0] (replace name.givenName): name.givenName must be a string, not 5"#
            ]],
        );
        check(
            json!([{"op": "replace", "path": "emails.value", "value": "x"}]),
            expect_test::expect![[
                r#"400 invalidPath: Operations[0] (replace emails.value): "emails.value": emails has several values; select them with a filter, e.g. emails[type eq "work"].value"#
            ]],
        );
        check(
            json!([{"op": "move", "path": "title", "value": "x"}]),
            expect_test::expect![[
                r#"400 invalidSyntax: Operations[0] (move title): PATCH op "move" is not add, remove or replace"#
            ]],
        );
    }

    #[test]
    fn extension_paths_and_bare_urns() {
        check(
            json!([
                {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "value": {"employeeNumber": "1"}},
                {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "00u9"},
            ]),
            expect_test::expect![[
                r#"{"userName":"ann@example.com","name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@example.com","type":"work"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1","manager":{"value":"00u9"}}}"#
            ]],
        );
        check(
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]),
            expect_test::expect![[
                r#"{"userName":"ann@example.com","name":{"givenName":"Ann","familyName":"Lee"},"emails":[{"value":"ann@example.com","type":"work"}]}"#
            ]],
        );
    }

    #[test]
    fn group_members_add_and_remove() {
        let resource = group_resource();
        let doc = json!({"displayName": "G", "members": [{"value": "u1"}, {"value": "u2"}]});
        let out = run_on(
            doc.clone(),
            json!([
                {"op": "add", "path": "members", "value": [{"value": "u3"}, {"value": "U1"}]},
                {"op": "remove", "path": "members[value eq \"u2\"]"},
            ]),
            &resource,
        )
        .unwrap();
        assert_eq!(out["members"], json!([{"value": "u1"}, {"value": "u3"}]));
        let out = run_on(
            doc.clone(),
            json!([{"op": "remove", "path": "members", "value": [{"value": "u1"}]}]),
            &resource,
        )
        .unwrap();
        assert_eq!(out["members"], json!([{"value": "u2"}]));
        let err = run_on(
            doc,
            json!([{"op": "remove", "path": "members[value eq \"zz\"]"}]),
            &resource,
        )
        .unwrap_err();
        assert_eq!(err.scim_type, Some("noTarget"));
    }
}
