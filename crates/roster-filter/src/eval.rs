//! In-memory evaluation of a [`Filter`] against a JSON document.
//!
//! The rules (a SQL compilation of the same AST has to follow them to agree with this):
//!
//! - **Names**: attribute names match object keys case-insensitively (an exact match wins when
//!   both exist). A schema URN prefix is looked up as a top-level key first (SCIM puts extension
//!   attributes under their URN); when there is no such key the URN is ignored and the path is
//!   resolved from the top.
//! - **Multi-valued**: a path that crosses arrays yields every element it reaches; a comparison,
//!   `pr` or value path is true when **any** of them matches.
//! - **Having a value** (`pr`): not absent, not `null`, not `""`, not `[]`, and for an object or
//!   array, at least one member that has a value (RFC 7643 section 2.5 treats unassigned, null and
//!   empty as the same state; RFC 7644 `pr` asks for a non-empty value).
//! - **`eq null`** is exactly `not (path pr)`; **`ne`** is always the negation of `eq` with the
//!   same value: true for absent attributes, and for a multi-valued attribute true when **no**
//!   element is equal. Ordering and substring operators against `null` are false.
//! - **Types**: strings compare with strings, numbers with numbers (numerically), booleans with
//!   booleans (`eq` only). Any other pairing is false (so `ne` is true).
//! - **Case**: unless [`MatchOptions::case_exact`], every string operator (`eq`, `ne`, `sw`, `ew`,
//!   `co` and the orderings) compares lowercased text. `gt`/`ge`/`lt`/`le` on strings are
//!   lexicographic by Unicode scalar value, which orders Roster's fixed-width UTC timestamps
//!   (`2026-01-01T00:00:00.000Z`) in time order.

use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::ast::{AttrPath, CompareOp, Filter, Value};

/// How [`Filter::matches_with`] compares strings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MatchOptions {
    /// Compare strings exactly (SCIM `caseExact: true`). Default `false`: case-insensitive.
    pub case_exact: bool,
}

impl Filter {
    /// Whether `doc` matches, comparing strings case-insensitively.
    ///
    /// ```
    /// let filter = roster_filter::parse(r#"emails[type eq "work" and value ew "@example.com"]"#)?;
    /// let doc = serde_json::json!({
    ///     "emails": [
    ///         {"type": "home", "value": "bjensen@home.test"},
    ///         {"type": "Work", "value": "bjensen@EXAMPLE.com"}
    ///     ]
    /// });
    /// assert!(filter.matches(&doc));
    /// # Ok::<(), roster_filter::FilterError>(())
    /// ```
    pub fn matches(&self, doc: &Json) -> bool {
        self.matches_with(doc, &MatchOptions::default())
    }

    /// Whether `doc` matches, with explicit [`MatchOptions`].
    pub fn matches_with(&self, doc: &Json, options: &MatchOptions) -> bool {
        match self {
            Filter::Compare {
                path, op, value, ..
            } => compare(&resolve(path, doc), *op, value, options),
            Filter::Present { path, .. } => resolve(path, doc).into_iter().any(has_value),
            Filter::And(left, right) => {
                left.matches_with(doc, options) && right.matches_with(doc, options)
            }
            Filter::Or(left, right) => {
                left.matches_with(doc, options) || right.matches_with(doc, options)
            }
            Filter::Not(inner, _) => !inner.matches_with(doc, options),
            Filter::ValuePath { path, filter, .. } => resolve(path, doc)
                .into_iter()
                .any(|element| filter.matches_with(element, options)),
        }
    }
}

/// Every value `path` reaches in `doc`, with arrays (on the way and at the end) opened up.
fn resolve<'d>(path: &AttrPath, doc: &'d Json) -> Vec<&'d Json> {
    let root = path
        .schema
        .as_deref()
        .and_then(|schema| member(doc, schema))
        .unwrap_or(doc);
    let mut current = vec![root];
    for segment in &path.segments {
        let mut next = Vec::new();
        for value in current {
            for item in elements(value) {
                if let Some(child) = member(item, segment) {
                    next.push(child);
                }
            }
        }
        if next.is_empty() {
            return next;
        }
        current = next;
    }
    current.into_iter().flat_map(elements).collect()
}

/// The elements of an array, or the value itself.
fn elements(value: &Json) -> Vec<&Json> {
    match value {
        Json::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

/// An object's member by name: the exact key, else the first key equal ignoring case.
fn member<'d>(value: &'d Json, name: &str) -> Option<&'d Json> {
    let Json::Object(map) = value else {
        return None;
    };
    map.get(name).or_else(|| {
        map.iter()
            .find(|(key, _)| eq_ignore_case(key, name))
            .map(|(_, v)| v)
    })
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
        || ((!a.is_ascii() || !b.is_ascii()) && a.to_lowercase() == b.to_lowercase())
}

/// Whether a value counts as present for `pr`.
fn has_value(value: &Json) -> bool {
    match value {
        Json::Null => false,
        Json::String(s) => !s.is_empty(),
        Json::Array(items) => items.iter().any(has_value),
        Json::Object(map) => map.values().any(has_value),
        Json::Bool(_) | Json::Number(_) => true,
    }
}

fn compare(leaves: &[&Json], op: CompareOp, value: &Value, options: &MatchOptions) -> bool {
    match (op, value) {
        (CompareOp::Ne, _) => !compare(leaves, CompareOp::Eq, value, options),
        (CompareOp::Eq, Value::Null) => !leaves.iter().any(|leaf| has_value(leaf)),
        (_, Value::Null) => false,
        _ => leaves
            .iter()
            .any(|leaf| compare_one(leaf, op, value, options)),
    }
}

fn compare_one(leaf: &Json, op: CompareOp, value: &Value, options: &MatchOptions) -> bool {
    match (leaf, value) {
        (Json::String(actual), Value::String(wanted)) => {
            if options.case_exact {
                compare_strings(actual, wanted, op)
            } else {
                compare_strings(&actual.to_lowercase(), &wanted.to_lowercase(), op)
            }
        }
        (Json::Number(actual), Value::Number(wanted)) => match op {
            CompareOp::Sw | CompareOp::Ew | CompareOp::Co => false,
            _ => compare_numbers(actual, wanted).is_some_and(|ordering| ordered(ordering, op)),
        },
        (Json::Bool(actual), Value::Bool(wanted)) => op == CompareOp::Eq && actual == wanted,
        _ => false,
    }
}

fn compare_strings(actual: &str, wanted: &str, op: CompareOp) -> bool {
    match op {
        CompareOp::Sw => actual.starts_with(wanted),
        CompareOp::Ew => actual.ends_with(wanted),
        CompareOp::Co => actual.contains(wanted),
        _ => ordered(actual.cmp(wanted), op),
    }
}

/// Whether `actual.cmp(wanted) == ordering` satisfies an equality or ordering operator.
fn ordered(ordering: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Sw | CompareOp::Ew | CompareOp::Co => false,
    }
}

/// Numeric order: exact for integers, `f64` when either side is fractional.
fn compare_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

#[cfg(test)]
mod tests;
