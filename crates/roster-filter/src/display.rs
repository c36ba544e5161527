//! Canonical filter text: `Display` for the AST.
//!
//! The output uses lowercase operators and keywords, single spaces, JSON string escapes and only
//! the parentheses the tree needs, so for any filter that [`crate::parse`] produced,
//! `parse(&filter.to_string())` gives the same tree again (spans aside).

use std::fmt::{self, Write};

use crate::ast::{AttrPath, CompareOp, Filter, Value};

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(schema) = &self.schema {
            write!(f, "{schema}:")?;
        }
        for (i, segment) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_char('.')?;
            }
            f.write_str(segment)?;
        }
        Ok(())
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write_json_string(f, s),
            Value::Number(n) => write!(f, "{n}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
        }
    }
}

fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Binding strength: `or` < `and` < everything else.
fn precedence(filter: &Filter) -> u8 {
    match filter {
        Filter::Or(..) => 1,
        Filter::And(..) => 2,
        _ => 3,
    }
}

/// Writes an operand of `and`/`or`, in parentheses when printing it bare would parse differently:
/// a weaker operand on either side, or an equally strong one on the right (both are
/// left-associative).
fn write_operand(
    f: &mut fmt::Formatter<'_>,
    operand: &Filter,
    parent: u8,
    right: bool,
) -> fmt::Result {
    let child = precedence(operand);
    if child < parent || (right && child == parent) {
        write!(f, "({operand})")
    } else {
        write!(f, "{operand}")
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare {
                path, op, value, ..
            } => write!(f, "{path} {op} {value}"),
            Filter::Present { path, .. } => write!(f, "{path} pr"),
            Filter::ValuePath { path, filter, .. } => write!(f, "{path}[{filter}]"),
            Filter::Not(inner, _) => write!(f, "not ({inner})"),
            Filter::And(left, right) | Filter::Or(left, right) => {
                let parent = precedence(self);
                let keyword = if parent == 1 { " or " } else { " and " };
                write_operand(f, left, parent, false)?;
                f.write_str(keyword)?;
                write_operand(f, right, parent, true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::parse;

    fn canonical(input: &str) -> String {
        let filter = parse(input).unwrap();
        let text = filter.to_string();
        let again = parse(&text).unwrap();
        assert!(again.same_as(&filter), "{input} -> {text}");
        text
    }

    #[test]
    fn from_str_parses() {
        let filter: crate::Filter = "title pr".parse().unwrap();
        assert_eq!(filter.to_string(), "title pr");
    }

    #[test]
    fn canonical_text_normalises_case_and_spacing() {
        assert_eq!(
            canonical(r#"  userName   EQ "bjensen"  AND  title Pr "#),
            r#"userName eq "bjensen" and title pr"#
        );
        assert_eq!(
            canonical("active eq TRUE or x eq NULL"),
            "active eq true or x eq null"
        );
    }

    #[test]
    fn canonical_text_keeps_only_needed_parentheses() {
        assert_eq!(canonical("(a pr)"), "a pr");
        assert_eq!(
            canonical("(a pr and b pr) and c pr"),
            "a pr and b pr and c pr"
        );
        assert_eq!(
            canonical("a pr and (b pr and c pr)"),
            "a pr and (b pr and c pr)"
        );
        assert_eq!(
            canonical("(a pr or b pr) and c pr"),
            "(a pr or b pr) and c pr"
        );
        assert_eq!(canonical("a pr or b pr and c pr"), "a pr or b pr and c pr");
        assert_eq!(
            canonical("a pr or (b pr or c pr)"),
            "a pr or (b pr or c pr)"
        );
        assert_eq!(canonical("not ((a pr))"), "not (a pr)");
        assert_eq!(
            canonical(r#"emails[(type eq "work") and (value co "@x")]"#),
            r#"emails[type eq "work" and value co "@x"]"#
        );
    }

    #[test]
    fn canonical_text_escapes_strings() {
        assert_eq!(
            canonical(r#"a eq "q\" b\\ s\/ \u0001 \t é \ud83d\ude00""#),
            r#"a eq "q\" b\\ s/ \u0001 \t é 😀""#
        );
    }

    #[test]
    fn canonical_text_keeps_schema_and_numbers() {
        assert_eq!(
            canonical("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq 1.50"),
            "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName eq 1.5"
        );
        assert_eq!(canonical("a eq -0"), "a eq 0");
        assert_eq!(canonical("a gt 1e3"), "a gt 1000.0");
        assert_eq!(canonical("a lt -2.5E-300"), "a lt -2.5e-300");
    }
}
