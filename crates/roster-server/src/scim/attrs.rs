//! `attributes` and `excludedAttributes` (RFC 7644 section 3.9), and reading one attribute's
//! value for `sortBy`, over the SCIM JSON of a resource.
//!
//! Names are resolved against the published schemas without regard to case and may be
//! qualified with a schema URN. `id` and `schemas` are always returned. Names the resource does
//! not have are ignored, as RFC 7644 allows.

use serde_json::{Map, Value};

use super::error::ScimError;
use super::schema::{ResourceSchema, Type};

/// One attribute named in `attributes`, `excludedAttributes` or `sortBy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrRef {
    /// The extension URN, `None` for the core schema.
    pub extension: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrRef {
    /// Resolve `text` (`name.givenName`, `urn:...:enterprise:2.0:User:manager.value`, `meta.created`).
    pub fn parse(text: &str, resource: &ResourceSchema) -> Option<AttrRef> {
        let text = text.trim();
        let (extension, rest) = split_urn(text, resource)?;
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        if extension.is_none() {
            for common in ["id", "externalId", "meta", "schemas"] {
                if name.eq_ignore_ascii_case(common) {
                    return Some(AttrRef {
                        extension: None,
                        attr: common.to_owned(),
                        sub: sub.map(str::to_owned),
                    });
                }
            }
        }
        // An unqualified name not in the core schema is looked up in the extensions.
        let (extension, attr) = match &extension {
            Some(urn) => (extension.clone(), resource.extension(urn)?.attr(name)?),
            None => match resource.core.attr(name) {
                Some(a) => (None, a),
                None => resource
                    .extensions
                    .iter()
                    .find_map(|(s, _)| s.attr(name).map(|a| (Some(s.id.to_owned()), a)))?,
            },
        };
        let sub = match sub {
            Some(s) => Some(attr.sub_attr(s)?.name.clone()),
            None => None,
        };
        Some(AttrRef {
            extension,
            attr: attr.name.clone(),
            sub,
        })
    }

    fn is_always(&self) -> bool {
        self.extension.is_none() && (self.attr == "id" || self.attr == "schemas")
    }
}

/// Split a leading schema URN off `text`: `(Some(extension urn) | None for core, rest)`.
fn split_urn<'t>(text: &'t str, resource: &ResourceSchema) -> Option<(Option<String>, &'t str)> {
    if !(text.len() >= 4 && text[..4].eq_ignore_ascii_case("urn:")) {
        return Some((None, text));
    }
    for schema in std::iter::once(&resource.core).chain(resource.extensions.iter().map(|(s, _)| s))
    {
        let n = schema.id.len();
        if text.len() > n + 1
            && text[..n].eq_ignore_ascii_case(schema.id)
            && text.as_bytes().get(n) == Some(&b':')
        {
            let ext = (schema.id != resource.core.id).then(|| schema.id.to_owned());
            return Some((ext, &text[n + 1..]));
        }
    }
    None
}

/// Which attributes a response carries.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    include: Option<Vec<AttrRef>>,
    exclude: Vec<AttrRef>,
    /// Whole extensions named in `excludedAttributes`.
    exclude_extensions: Vec<String>,
    include_extensions: Vec<String>,
}

fn split_list(list: Option<&str>) -> Vec<String> {
    list.map(|l| {
        l.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

impl Projection {
    /// From the comma-separated query parameters (or a SearchRequest's lists).
    pub fn new(
        attributes: &[String],
        excluded: &[String],
        resource: &ResourceSchema,
    ) -> Result<Projection, ScimError> {
        let mut p = Projection::default();
        let bare_extension = |name: &str| resource.extension(name).map(|s| s.id.to_owned());
        if !attributes.is_empty() {
            let mut include = Vec::new();
            for a in attributes {
                if let Some(urn) = bare_extension(a) {
                    p.include_extensions.push(urn);
                } else if let Some(r) = AttrRef::parse(a, resource) {
                    include.push(r);
                }
            }
            p.include = Some(include);
        }
        for e in excluded {
            if let Some(urn) = bare_extension(e) {
                p.exclude_extensions.push(urn);
            } else if let Some(r) = AttrRef::parse(e, resource) {
                if !r.is_always() {
                    p.exclude.push(r);
                }
            }
        }
        Ok(p)
    }

    pub fn from_query(
        attributes: Option<&str>,
        excluded: Option<&str>,
        resource: &ResourceSchema,
    ) -> Result<Projection, ScimError> {
        Projection::new(&split_list(attributes), &split_list(excluded), resource)
    }

    /// Whether the core attribute `name` is returned (to skip reading `groups` or `members`).
    pub fn returns(&self, name: &str) -> bool {
        let named = |refs: &[AttrRef]| {
            refs.iter()
                .any(|r| r.extension.is_none() && r.attr.eq_ignore_ascii_case(name))
        };
        if named(
            &self
                .exclude
                .iter()
                .filter(|r| r.sub.is_none())
                .cloned()
                .collect::<Vec<_>>(),
        ) {
            return false;
        }
        match &self.include {
            Some(include) => named(include),
            None => true,
        }
    }

    /// Apply to a resource's JSON.
    pub fn apply(&self, doc: &mut Map<String, Value>) {
        if let Some(include) = &self.include {
            let mut out = Map::new();
            for key in ["schemas", "id"] {
                if let Some(v) = doc.get(key) {
                    out.insert(key.to_owned(), v.clone());
                }
            }
            for urn in &self.include_extensions {
                if let Some(v) = doc.get(urn) {
                    out.insert(urn.clone(), v.clone());
                }
            }
            for r in include {
                copy_ref(doc, &mut out, r);
            }
            *doc = out;
        }
        for urn in &self.exclude_extensions {
            doc.remove(urn);
        }
        for r in &self.exclude {
            remove_ref(doc, r);
        }
        // An extension left empty is dropped, and with it its URN in `schemas`.
        let empty: Vec<String> = doc
            .iter()
            .filter(|(k, v)| k.starts_with("urn:") && v.as_object().is_some_and(Map::is_empty))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &empty {
            doc.remove(k);
        }
        let present: Vec<String> = doc
            .keys()
            .filter(|k| k.starts_with("urn:"))
            .cloned()
            .collect();
        if let Some(Value::Array(schemas)) = doc.get_mut("schemas") {
            let mut first = true;
            schemas.retain(|s| {
                let keep = first || s.as_str().is_some_and(|s| present.iter().any(|p| p == s));
                first = false;
                keep
            });
        }
    }
}

fn container<'d>(doc: &'d Map<String, Value>, r: &AttrRef) -> Option<&'d Map<String, Value>> {
    match &r.extension {
        None => Some(doc),
        Some(urn) => doc.get(urn)?.as_object(),
    }
}

fn copy_ref(doc: &Map<String, Value>, out: &mut Map<String, Value>, r: &AttrRef) {
    let Some(from) = container(doc, r) else {
        return;
    };
    let Some(value) = from.get(&r.attr) else {
        return;
    };
    let picked = match &r.sub {
        None => value.clone(),
        Some(sub) => match value {
            Value::Object(m) => match m.get(sub) {
                Some(v) => {
                    let mut only = match out_container(out, r)
                        .and_then(|c| c.get(&r.attr))
                        .and_then(Value::as_object)
                    {
                        Some(existing) => existing.clone(),
                        None => Map::new(),
                    };
                    only.insert(sub.clone(), v.clone());
                    Value::Object(only)
                }
                None => return,
            },
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .filter_map(|item| {
                        item.get(sub).map(|v| {
                            Value::Object(std::iter::once((sub.clone(), v.clone())).collect())
                        })
                    })
                    .collect(),
            ),
            _ => return,
        },
    };
    let target = match &r.extension {
        None => out,
        Some(urn) => {
            let entry = out
                .entry(urn.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            match entry.as_object_mut() {
                Some(m) => m,
                None => return,
            }
        }
    };
    target.insert(r.attr.clone(), picked);
}

fn out_container<'o>(out: &'o Map<String, Value>, r: &AttrRef) -> Option<&'o Map<String, Value>> {
    container(out, r)
}

fn remove_ref(doc: &mut Map<String, Value>, r: &AttrRef) {
    let target = match &r.extension {
        None => Some(doc),
        Some(urn) => doc.get_mut(urn).and_then(Value::as_object_mut),
    };
    let Some(target) = target else { return };
    match &r.sub {
        None => {
            target.remove(&r.attr);
        }
        Some(sub) => match target.get_mut(&r.attr) {
            Some(Value::Object(m)) => {
                m.remove(sub);
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut() {
                    if let Value::Object(m) = item {
                        m.remove(sub);
                    }
                }
            }
            _ => {}
        },
    }
}

/// The value `sortBy` orders on: for a multi-valued attribute, the primary (first) element's
/// `value` (or the named sub-attribute).
pub fn sort_value<'d>(
    doc: &'d Map<String, Value>,
    r: &AttrRef,
    resource: &ResourceSchema,
) -> Option<&'d Value> {
    let from = container(doc, r)?;
    let value = from.get(&r.attr)?;
    let multi_complex = resource
        .schema(r.extension.as_deref().unwrap_or(resource.core.id))
        .and_then(|s| s.attr(&r.attr))
        .is_some_and(|a| a.multi && a.kind == Type::Complex);
    let element = match value {
        Value::Array(items) => items.first()?,
        v => v,
    };
    match (&r.sub, multi_complex) {
        (Some(sub), _) => element.get(sub),
        (None, true) => element.get("value"),
        (None, false) => Some(element),
    }
}

/// Order two sort values: strings without case, numbers numerically, missing values last.
pub fn compare_values(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
        (None | Some(Value::Null), _) => Ordering::Greater,
        (_, None | Some(Value::Null)) => Ordering::Less,
        (Some(Value::String(x)), Some(Value::String(y))) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .unwrap_or(0.0)
            .partial_cmp(&y.as_f64().unwrap_or(0.0))
            .unwrap_or(Ordering::Equal),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (Some(x), Some(y)) => x.to_string().cmp(&y.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::schema::user_resource;

    fn doc() -> Map<String, Value> {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "00u1",
            "userName": "a@x.test",
            "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x.test", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D", "costCenter": "C"},
            "meta": {"resourceType": "User"},
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    #[test]
    fn attributes_keep_only_what_is_asked_and_the_always_returned() {
        let resource = user_resource(&roster_core::ProfileSchema::okta_default());
        let p = Projection::from_query(Some("NAME.givenName,emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), None, &resource)
            .unwrap();
        let mut d = doc();
        p.apply(&mut d);
        assert_eq!(
            Value::Object(d),
            json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "00u1",
                "name": {"givenName": "A"},
                "emails": [{"value": "a@x.test"}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D"},
            })
        );
        assert!(!p.returns("groups"));
    }

    #[test]
    fn excluded_attributes_drop_them_and_empty_extensions() {
        let resource = user_resource(&roster_core::ProfileSchema::okta_default());
        let p = Projection::from_query(
            None,
            Some("id,name,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department,costCenter,groups"),
            &resource,
        )
        .unwrap();
        let mut d = doc();
        p.apply(&mut d);
        assert!(d.contains_key("id"));
        assert!(!d.contains_key("name"));
        assert!(!d.contains_key("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert_eq!(
            d["schemas"],
            json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
        );
        assert!(!p.returns("groups"));
    }
}
