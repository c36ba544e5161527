//! Reading SCIM request bodies against the published schemas.
//!
//! SCIM attribute names are case-insensitive (RFC 7643 section 2.1), so a body is first rewritten
//! with the published spelling of every name, and every value is checked against its attribute's
//! type. Everything wrong is reported at once, as one `invalidValue` (wrong types, unknown
//! attributes) or `invalidSyntax` (not a JSON object). Read-only attributes (`id`, `meta`,
//! `groups`, `manager.displayName`) are dropped, as RFC 7644 section 3.5.1 says to ignore them.
//! Booleans sent as the strings `"True"`/`"False"` (as Entra ID does) are read as booleans.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::schema::{Attr, Mutability, ResourceSchema, Schema, Type};

/// Parse a request body as JSON; malformed JSON is `invalidSyntax` with serde's position.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ScimError::invalid_syntax(format!(
            "The request body is not valid JSON: {}",
            e.to_string().trim_end_matches('.')
        ))
    })
}

/// A resource body, canonicalised and type-checked for `resource`.
pub fn read_resource(
    body: &Value,
    resource: &ResourceSchema,
) -> Result<Map<String, Value>, ScimError> {
    let Some(object) = body.as_object() else {
        return Err(ScimError::invalid_syntax(format!(
            "The body must be a JSON object holding a {}",
            resource.name
        )));
    };
    let mut problems = Vec::new();
    let mut out = Map::new();
    let mut schemas_out = vec![Value::String(resource.core.id.to_owned())];
    for (key, value) in object {
        if key.eq_ignore_ascii_case("schemas") {
            match value.as_array() {
                Some(items) => {
                    for item in items {
                        match item.as_str().and_then(|urn| resource.schema(urn)) {
                            Some(s) if s.id != resource.core.id => {
                                schemas_out.push(Value::String(s.id.to_owned()))
                            }
                            Some(_) => {}
                            None => problems.push(format!(
                                "schemas: {item} is not a schema of the {} resource; use {}",
                                resource.name,
                                std::iter::once(resource.core.id)
                                    .chain(resource.extensions.iter().map(|(s, _)| s.id))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )),
                        }
                    }
                }
                None => problems.push("schemas must be an array of schema URNs".to_owned()),
            }
        } else if key.eq_ignore_ascii_case("id") || key.eq_ignore_ascii_case("meta") {
            // Read-only: ignored.
        } else if key.eq_ignore_ascii_case("externalId") {
            match value {
                Value::String(_) | Value::Null => {
                    out.insert("externalId".into(), value.clone());
                }
                other => problems.push(format!("externalId must be a string, not {other}")),
            }
        } else if let Some(extension) = resource.extension(key) {
            match value {
                Value::Object(inner) => {
                    let ext = read_attributes(inner, extension, extension.id, &mut problems);
                    out.insert(extension.id.to_owned(), Value::Object(ext));
                }
                Value::Null => {
                    out.insert(extension.id.to_owned(), Value::Null);
                }
                other => problems.push(format!(
                    "{key} must be an object of the extension's attributes, not {other}"
                )),
            }
        } else if let Some(attr) = resource.core.attr(key) {
            if let Some(v) = read_value(attr, value, &attr.name, &mut problems) {
                out.insert(attr.name.clone(), v);
            }
        } else {
            problems.push(unknown(key, &resource.core));
        }
    }
    out.insert("schemas".into(), Value::Array(schemas_out));
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(ScimError::invalid_value(format!(
            "The {} is not valid: {}",
            resource.name,
            problems.join("; ")
        )))
    }
}

fn unknown(key: &str, schema: &Schema) -> String {
    format!(
        "{key} is not an attribute Roster stores for a {} (GET /scim/v2/Schemas/{} lists them)",
        schema.name, schema.id
    )
}

fn read_attributes(
    object: &Map<String, Value>,
    schema: &Schema,
    prefix: &str,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in object {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        match schema.attr(key) {
            Some(attr) => {
                if let Some(v) =
                    read_value(attr, value, &format!("{prefix}:{}", attr.name), problems)
                {
                    out.insert(attr.name.clone(), v);
                }
            }
            None => problems.push(unknown(key, schema)),
        }
    }
    out
}

/// The canonical form of `value` for `attr`, or `None` when it is dropped (read-only).
/// Problems are pushed with the attribute's path.
pub fn read_value(
    attr: &Attr,
    value: &Value,
    path: &str,
    problems: &mut Vec<String>,
) -> Option<Value> {
    if attr.mutability == Mutability::ReadOnly {
        return None;
    }
    if value.is_null() {
        return Some(Value::Null);
    }
    if attr.multi {
        let items: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        let mut out = Vec::new();
        for item in items {
            if let Some(v) = read_single(attr, item, path, problems) {
                out.push(v);
            }
        }
        return Some(Value::Array(out));
    }
    if value.is_array() {
        problems.push(format!("{path} takes a single value, not an array"));
        return None;
    }
    read_single(attr, value, path, problems)
}

fn read_single(
    attr: &Attr,
    value: &Value,
    path: &str,
    problems: &mut Vec<String>,
) -> Option<Value> {
    let wrong = |problems: &mut Vec<String>, what: &str| {
        problems.push(format!("{path} must be {what}, not {value}"));
        None
    };
    match attr.kind {
        Type::String | Type::Reference => match value {
            Value::String(_) => Some(value.clone()),
            _ => wrong(problems, "a string"),
        },
        Type::DateTime => match value.as_str() {
            Some(s) if roster_core::Timestamp::parse(s).is_some() => Some(value.clone()),
            _ => wrong(problems, "a date-time such as 2026-01-31T12:00:00Z"),
        },
        Type::Boolean => match value {
            Value::Bool(_) => Some(value.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
            _ => wrong(problems, "true or false"),
        },
        Type::Integer => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Some(value.clone()),
            _ => wrong(problems, "an integer"),
        },
        Type::Decimal => match value {
            Value::Number(_) => Some(value.clone()),
            _ => wrong(problems, "a number"),
        },
        Type::Complex => match value {
            Value::Object(object) => {
                let mut out = Map::new();
                for (key, sub_value) in object {
                    match attr.sub_attr(key) {
                        Some(sub) => {
                            if let Some(v) = read_value(
                                sub,
                                sub_value,
                                &format!("{path}.{}", sub.name),
                                problems,
                            ) {
                                out.insert(sub.name.clone(), v);
                            }
                        }
                        None => problems.push(format!(
                            "{path}.{key} is not a sub-attribute of {path}; it has {}",
                            attr.sub
                                .iter()
                                .filter(|s| !s.hidden)
                                .map(|s| s.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    }
                }
                Some(Value::Object(out))
            }
            // A bare value for a complex attribute that has a `value` (e.g. Entra ID's
            // `manager`) means that value.
            Value::String(_) if attr.sub_attr("value").is_some() => {
                let mut out = Map::new();
                out.insert("value".into(), value.clone());
                Some(Value::Object(out))
            }
            _ => wrong(problems, "an object"),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::schema::user_resource;

    #[test]
    fn names_are_canonicalised_and_types_checked() {
        let resource = user_resource(&roster_core::ProfileSchema::okta_default());
        let body = json!({
            "SCHEMAS": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "USERNAME": "a@example.com",
            "Name": {"GIVENNAME": "A", "formatted": "A B"},
            "active": "False",
            "id": "ignored",
            "groups": [{"value": "ignored"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Department": "R&D"},
        });
        let out = read_resource(&body, &resource).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({
                "userName": "a@example.com",
                "name": {"givenName": "A", "formatted": "A B"},
                "active": false,
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            })
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let resource = user_resource(&roster_core::ProfileSchema::okta_default());
        let body = json!({
            "schemas": ["urn:example:unknown"],
            "userName": 5,
            "x509Certificates": [],
            "name": {"givenName": true, "nick": "x"},
        });
        let err = read_resource(&body, &resource).unwrap_err();
        assert_eq!(err.scim_type, Some("invalidValue"));
        expect_test::expect![[r#"The User is not valid: schemas: "urn:example:unknown" is not a schema of the User resource; use urn:ietf:params:scim:schemas:core:2.0:User, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User; userName must be a string, not 5; x509Certificates is not an attribute Roster stores for a User (GET /scim/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:User lists them); name.givenName must be a string, not true; name.nick is not a sub-attribute of name; it has givenName, familyName, middleName, honorificPrefix, honorificSuffix"#]].assert_eq(&err.detail);
        assert_eq!(
            read_resource(&json!([1]), &resource).unwrap_err().scim_type,
            Some("invalidSyntax")
        );
    }
}
