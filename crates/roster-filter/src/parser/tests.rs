use std::fmt::Write;

use expect_test::{expect, Expect};
use proptest::prelude::*;

use crate::ast::{AttrPath, CompareOp, Filter, Span, Value};
use crate::{parse, FilterErrorKind, MAX_FILTER_LEN, MAX_NESTING_DEPTH};

/// The tree as an indented outline, one node a line with its span.
fn outline(filter: &Filter) -> String {
    fn path(p: &AttrPath) -> String {
        match &p.schema {
            Some(schema) => format!("<{schema}> {}", p.segments.join(".")),
            None => p.segments.join("."),
        }
    }
    fn walk(filter: &Filter, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        let s = filter.span();
        let at = format!("@{}..{}", s.start, s.end);
        let _ = match filter {
            Filter::Compare {
                path: p, op, value, ..
            } => writeln!(out, "{pad}{op} {} {value}  {at}", path(p)),
            Filter::Present { path: p, .. } => writeln!(out, "{pad}pr {}  {at}", path(p)),
            Filter::And(l, r) | Filter::Or(l, r) => {
                let word = if matches!(filter, Filter::And(..)) {
                    "and"
                } else {
                    "or"
                };
                let _ = writeln!(out, "{pad}{word}  {at}");
                walk(l, indent + 2, out);
                walk(r, indent + 2, out);
                Ok(())
            }
            Filter::Not(inner, _) => {
                let _ = writeln!(out, "{pad}not  {at}");
                walk(inner, indent + 2, out);
                Ok(())
            }
            Filter::ValuePath {
                path: p, filter, ..
            } => {
                let _ = writeln!(out, "{pad}{}[...]  {at}", path(p));
                walk(filter, indent + 2, out);
                Ok(())
            }
        };
    }
    let mut out = String::new();
    walk(filter, 0, &mut out);
    out
}

fn check(input: &str, expect: Expect) {
    let filter = parse(input).unwrap_or_else(|e| panic!("{input}: {e}\n{}", e.caret(input)));
    let again = parse(&filter.to_string()).unwrap();
    assert!(again.same_as(&filter), "display roundtrip of {input}");
    expect.assert_eq(&outline(&filter));
}

fn check_error(input: &str, expect: Expect) {
    let err = match parse(input) {
        Ok(filter) => panic!("{input} parsed as {filter}"),
        Err(err) => err,
    };
    expect.assert_eq(&format!(
        "{} @{}: {}\n{}",
        err.code(),
        err.position(),
        err,
        err.caret(input)
    ));
}

#[test]
fn rfc7644_examples() {
    check(
        r#"userName eq "bjensen""#,
        expect![[r#"
            eq userName "bjensen"  @0..21
        "#]],
    );
    check(
        r#"name.familyName co "O'Malley""#,
        expect![[r#"
            co name.familyName "O'Malley"  @0..29
        "#]],
    );
    check(
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
        expect![[r#"
            sw <urn:ietf:params:scim:schemas:core:2.0:User> userName "J"  @0..58
        "#]],
    );
    check(
        "title pr",
        expect![[r#"
            pr title  @0..8
        "#]],
    );
    check(
        r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
        expect![[r#"
            gt meta.lastModified "2011-05-13T04:42:34Z"  @0..43
        "#]],
    );
    check(
        r#"title pr and userType eq "Employee""#,
        expect![[r#"
            and  @0..35
              pr title  @0..8
              eq userType "Employee"  @13..35
        "#]],
    );
    check(
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        expect![[r#"
            eq schemas "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"  @0..71
        "#]],
    );
    check(
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        expect![[r#"
            and  @0..84
              eq userType "Employee"  @0..22
              or  @28..84
                co emails "example.com"  @28..51
                co emails.value "example.org"  @55..84
        "#]],
    );
    check(
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        expect![[r#"
            and  @0..89
              ne userType "Employee"  @0..22
              not  @27..89
                or  @32..88
                  co emails "example.com"  @32..55
                  co emails.value "example.org"  @59..88
        "#]],
    );
    check(
        r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
        expect![[r#"
            and  @0..77
              eq userType "Employee"  @0..22
              emails[...]  @27..77
                and  @34..76
                  eq type "work"  @34..48
                  co value "@example.com"  @53..76
        "#]],
    );
    check(
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        expect![[r#"
            or  @0..97
              emails[...]  @0..50
                and  @7..49
                  eq type "work"  @7..21
                  co value "@example.com"  @26..49
              ims[...]  @54..97
                and  @58..96
                  eq type "xmpp"  @58..72
                  co value "@foo.com"  @77..96
        "#]],
    );
    check(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
        expect![[r#"
            eq <urn:ietf:params:scim:schemas:extension:enterprise:2.0:User> manager.value "26118915-6090-4610-87e4-49d8ca9f808d"  @0..114
        "#]],
    );
    check(
        r#"members[$ref sw "https://example.com/scim/v2/Users/"] and meta.resourceType eq "Group""#,
        expect![[r#"
            and  @0..86
              members[...]  @0..53
                sw $ref "https://example.com/scim/v2/Users/"  @8..52
              eq meta.resourceType "Group"  @58..86
        "#]],
    );
}

#[test]
fn okta_management_api_examples() {
    check(
        r#"profile.lastName eq "Smith" and status eq "ACTIVE""#,
        expect![[r#"
            and  @0..50
              eq profile.lastName "Smith"  @0..27
              eq status "ACTIVE"  @32..50
        "#]],
    );
    check(
        r#"lastUpdated gt "2026-01-01T00:00:00.000Z""#,
        expect![[r#"
            gt lastUpdated "2026-01-01T00:00:00.000Z"  @0..41
        "#]],
    );
    check(
        r#"profile.department eq "Engineering" and (status eq "ACTIVE" or status eq "STAGED")"#,
        expect![[r#"
            and  @0..81
              eq profile.department "Engineering"  @0..35
              or  @41..81
                eq status "ACTIVE"  @41..59
                eq status "STAGED"  @63..81
        "#]],
    );
    check(
        r#"status eq "LOCKED_OUT" or status eq "RECOVERY" or status eq "PASSWORD_EXPIRED""#,
        expect![[r#"
            or  @0..78
              or  @0..46
                eq status "LOCKED_OUT"  @0..22
                eq status "RECOVERY"  @26..46
              eq status "PASSWORD_EXPIRED"  @50..78
        "#]],
    );
    check(
        r#"lastUpdated gt "2026-01-01T00:00:00.000Z" and lastUpdated lt "2026-02-01T00:00:00.000Z""#,
        expect![[r#"
            and  @0..87
              gt lastUpdated "2026-01-01T00:00:00.000Z"  @0..41
              lt lastUpdated "2026-02-01T00:00:00.000Z"  @46..87
        "#]],
    );
    check(
        r#"profile.employeeNumber ge 1000 and profile.score lt -2.5e-1 and profile.isContractor eq false"#,
        expect![[r#"
            and  @0..93
              and  @0..59
                ge profile.employeeNumber 1000  @0..30
                lt profile.score -0.25  @35..59
              eq profile.isContractor false  @64..93
        "#]],
    );
    check(
        r#"credentials.provider.type eq "FEDERATION" and profile.manager eq null"#,
        expect![[r#"
            and  @0..69
              eq credentials.provider.type "FEDERATION"  @0..41
              eq profile.manager null  @46..69
        "#]],
    );
}

#[test]
fn system_log_examples() {
    check(
        r#"eventType eq "app.user_management.update_from_master_failed""#,
        expect![[r#"
            eq eventType "app.user_management.update_from_master_failed"  @0..60
        "#]],
    );
    check(
        r#"debugContext.debugData.ErrorCode eq "notUniqueWithinOrg""#,
        expect![[r#"
            eq debugContext.debugData.ErrorCode "notUniqueWithinOrg"  @0..56
        "#]],
    );
    check(
        r#"eventType eq "user.session.start" and outcome.result eq "FAILURE" and published gt "2026-03-01T00:00:00.000Z""#,
        expect![[r#"
            and  @0..109
              and  @0..65
                eq eventType "user.session.start"  @0..33
                eq outcome.result "FAILURE"  @38..65
              gt published "2026-03-01T00:00:00.000Z"  @70..109
        "#]],
    );
    check(
        r#"target.id eq "00u1ero7vZFVEIYLWPBN" and actor.alternateId sw "admin@""#,
        expect![[r#"
            and  @0..69
              eq target.id "00u1ero7vZFVEIYLWPBN"  @0..35
              sw actor.alternateId "admin@"  @40..69
        "#]],
    );
}

#[test]
fn keywords_and_literals_are_case_insensitive() {
    check(
        r#"userName EQ "x" AND NOT (active Eq TRUE) Or title PR and x eq Null"#,
        expect![[r#"
            or  @0..66
              and  @0..40
                eq userName "x"  @0..15
                not  @20..40
                  eq active true  @25..39
              and  @44..66
                pr title  @44..52
                eq x null  @57..66
        "#]],
    );
}

#[test]
fn precedence_is_not_then_and_then_or() {
    check(
        "a pr or b pr and not (c pr) or d pr",
        expect![[r#"
            or  @0..35
              or  @0..27
                pr a  @0..4
                and  @8..27
                  pr b  @8..12
                  not  @17..27
                    pr c  @22..26
              pr d  @31..35
        "#]],
    );
}

#[test]
fn keyword_names_can_be_attributes() {
    check(
        r#"not eq "x" and and pr or or[pr pr]"#,
        expect![[r#"
            or  @0..34
              and  @0..21
                eq not "x"  @0..10
                pr and  @15..21
              or[...]  @25..34
                pr pr  @28..33
        "#]],
    );
}

#[test]
fn whitespace_is_flexible() {
    check(
        "\t( a pr )and(b eq\n1)or not(c pr)",
        expect![[r#"
            or  @3..32
              and  @3..19
                pr a  @3..7
                eq b 1  @13..19
              not  @23..32
                pr c  @27..31
        "#]],
    );
}

#[test]
fn spans_cover_paths_and_nodes() {
    let input = r#"urn:x:y:User:name.givenName eq "é" and emails[type pr]"#;
    let filter = parse(input).unwrap();
    let Filter::And(left, right) = &filter else {
        panic!("{filter:?}")
    };
    let Filter::Compare { path, span, .. } = left.as_ref() else {
        panic!("{left:?}")
    };
    assert_eq!(
        &input[path.span.start..path.span.end],
        "urn:x:y:User:name.givenName"
    );
    assert_eq!(
        &input[span.start..span.end],
        r#"urn:x:y:User:name.givenName eq "é""#
    );
    assert_eq!(path.schema.as_deref(), Some("urn:x:y:User"));
    assert_eq!(path.segments, ["name", "givenName"]);
    assert_eq!(
        &input[right.span().start..right.span().end],
        "emails[type pr]"
    );
    assert_eq!(filter.span(), Span::new(0, input.len()));
}

#[test]
fn syntax_errors() {
    check_error(
        r#"profile.login equals "x""#,
        expect![[r#"
            invalidFilter @14: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "profile.login" but found "equals"
            profile.login equals "x"
                          ^"#]],
    );
    check_error(
        r#"userName eq "bjensen"#,
        expect![[r#"
            invalidFilter @12: expected a closing double quote (") for the string that starts here but found the end of the filter
            userName eq "bjensen
                        ^"#]],
    );
    check_error(
        "title pr and",
        expect![[r#"
            invalidFilter @12: expected an attribute path, "not (" or "(" after "and" but found the end of the filter
            title pr and
                        ^"#]],
    );
    check_error(
        "title pr and or x pr",
        expect![[r#"
            invalidFilter @13: expected an attribute path, "not (" or "(" after "and" but found "or"
            title pr and or x pr
                         ^"#]],
    );
    check_error(
        "",
        expect![[r#"
            invalidFilter @0: expected an attribute path, "not (" or "(" at the start of the filter but found the end of the filter

            ^"#]],
    );
    check_error(
        r#"status eq ACTIVE"#,
        expect![[r#"
            invalidFilter @10: expected a value (a "string", a number, true, false or null) after "eq" but found "ACTIVE" (strings must be in double quotes)
            status eq ACTIVE
                      ^"#]],
    );
    check_error(
        r#"status eq 'ACTIVE'"#,
        expect![[r#"
            invalidFilter @10: expected a value (a "string", a number, true, false or null) after "eq" but found "'" (strings must be in double quotes)
            status eq 'ACTIVE'
                      ^"#]],
    );
    check_error(
        "title eq",
        expect![[r#"
            invalidFilter @8: expected a value (a "string", a number, true, false or null) after "eq" but found the end of the filter
            title eq
                    ^"#]],
    );
    check_error(
        r#"a eq "x" b eq "y""#,
        expect![[r#"
            invalidFilter @9: expected "and", "or" or the end of the filter after "x" but found "b"
            a eq "x" b eq "y"
                     ^"#]],
    );
    check_error(
        r#"a eq 1 && b eq 2"#,
        expect![[r#"
            invalidFilter @7: expected "and", "or" or the end of the filter after "1" but found "&"
            a eq 1 && b eq 2
                   ^"#]],
    );
    check_error(
        r#""bjensen" eq userName"#,
        expect![[r#"
            invalidFilter @0: expected an attribute path, "not (" or "(" at the start of the filter but found "bjensen" (a filter starts with the attribute, e.g. userName eq "bjensen")
            "bjensen" eq userName
            ^"#]],
    );
    check_error(
        "not title pr",
        expect![[r#"
            invalidFilter @4: expected "(" after "not" but found "title"
            not title pr
                ^"#]],
    );
    check_error(
        "age gt 12abc",
        expect![[r#"
            invalidFilter @7: expected a number (like 42, -7, 3.14 or 1e-3) but found "12abc"
            age gt 12abc
                   ^"#]],
    );
    check_error(
        "age gt 1e999",
        expect![[r#"
            invalidFilter @7: expected a number that fits a 64-bit float but found "1e999"
            age gt 1e999
                   ^"#]],
    );
    check_error(
        r#"name eq "a\qb""#,
        expect![[r#"
            invalidFilter @10: expected an escape sequence (\" \\ \/ \b \f \n \r \t or \uXXXX) but found "\q"
            name eq "a\qb"
                      ^"#]],
    );
    check_error(
        r#"name eq "\ud800""#,
        expect![[r#"
            invalidFilter @9: expected a complete UTF-16 surrogate pair but found a lone surrogate \ud800
            name eq "\ud800"
                     ^"#]],
    );
    check_error(
        "name eq \"a\tb\"",
        expect![[r#"
            invalidFilter @10: expected an escape sequence (such as \n, \t or \u0009) for a control character in a string but found the raw character U+0009
            name eq "a b"
                      ^"#]],
    );
}

#[test]
fn attribute_path_errors() {
    check_error(
        "name..familyName pr",
        expect![[r#"
            invalidFilter @5: expected an attribute name (a letter, then letters, digits, "-" or "_") in "name..familyName" but found an empty name
            name..familyName pr
                 ^"#]],
    );
    check_error(
        "name.1st pr",
        expect![[r#"
            invalidFilter @5: expected an attribute name (a letter, then letters, digits, "-" or "_") in "name.1st" but found "1st"
            name.1st pr
                 ^"#]],
    );
    check_error(
        "profile.prénom pr",
        expect![[r#"
            invalidFilter @8: expected an attribute name (a letter, then letters, digits, "-" or "_") in "profile.prénom" but found "prénom"
            profile.prénom pr
                    ^"#]],
    );
    check_error(
        "foo:bar eq 1",
        expect![[r#"
            invalidFilter @0: expected an attribute path or a schema URN starting with "urn:" but found "foo:bar"
            foo:bar eq 1
            ^"#]],
    );
    check_error(
        "urn:ietf:params:scim:schemas:core:2.0:User: pr",
        expect![[r#"
            invalidFilter @43: expected an attribute name (a letter, then letters, digits, "-" or "_") in "urn:ietf:params:scim:schemas:core:2.0:User:" but found an empty name
            urn:ietf:params:scim:schemas:core:2.0:User: pr
                                                       ^"#]],
    );
}

#[test]
fn parenthesis_errors() {
    check_error(
        "(title pr",
        expect![[r#"
            invalidFilter @9: expected "and", "or" or ")" after "pr" but found the end of the filter (the "(" at byte 0 is not closed)
            (title pr
                     ^"#]],
    );
    check_error(
        "title pr)",
        expect![[r#"
            invalidFilter @8: expected "and", "or" or the end of the filter after "pr" but found ")" without a matching "("
            title pr)
                    ^"#]],
    );
    check_error(
        "((a pr) or b pr",
        expect![[r#"
            invalidFilter @15: expected "and", "or" or ")" after "pr" but found the end of the filter (the "(" at byte 0 is not closed)
            ((a pr) or b pr
                           ^"#]],
    );
    check_error(
        "()",
        expect![[r#"
            invalidFilter @1: expected an attribute path, "not (" or "(" after "(" but found ")"
            ()
             ^"#]],
    );
    check_error(
        "not (a pr]",
        expect![[r#"
            invalidFilter @9: expected "and", "or" or ")" after "pr" but found "]" without a matching "["
            not (a pr]
                     ^"#]],
    );
}

#[test]
fn value_path_errors() {
    check_error(
        r#"emails[type eq "work""#,
        expect![[r#"
            invalidFilter @21: expected "and", "or" or "]" after "work" but found the end of the filter ("emails[" is not closed)
            emails[type eq "work"
                                 ^"#]],
    );
    check_error(
        "emails[]",
        expect![[r#"
            invalidFilter @7: expected an attribute path, "not (" or "(" after "[" but found "]"
            emails[]
                   ^"#]],
    );
    check_error(
        "emails[type]",
        expect![[r#"
            invalidFilter @11: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "type" but found "]"
            emails[type]
                       ^"#]],
    );
    check_error(
        r#"emails[type eq "work"].value pr"#,
        expect![[r#"
            invalidFilter @22: expected "and", "or" or the end of the filter after "]" but found "."
            emails[type eq "work"].value pr
                                  ^"#]],
    );
    check_error(
        r#"groups[members[value eq "x"]]"#,
        expect![[r#"
            invalidFilter @14: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "members" but found "[" (value paths cannot be nested inside "groups[...]")
            groups[members[value eq "x"]]
                          ^"#]],
    );
    check_error(
        r#"groups[not (members[value eq "x"])]"#,
        expect![[r#"
            invalidFilter @19: expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "members" but found "[" (value paths cannot be nested inside "groups[...]")
            groups[not (members[value eq "x"])]
                               ^"#]],
    );
}

fn nested(depth: usize) -> String {
    format!("{}a pr{}", "(".repeat(depth), ")".repeat(depth))
}

#[test]
fn limits() {
    assert!(parse(&nested(MAX_NESTING_DEPTH)).is_ok());
    check_error(
        &nested(MAX_NESTING_DEPTH + 1),
        expect![[r#"
            filterTooDeep @64: expected at most 64 levels of parentheses, not (...) and value paths but found 65 here
            ...(((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((a pr)))))))))))))))))))))))))))))))))))))))))))))))))))))))...
                                                                           ^"#]],
    );
    let mixed = format!(
        "{}a[b pr]{}",
        "not (".repeat(MAX_NESTING_DEPTH - 1),
        ")".repeat(MAX_NESTING_DEPTH - 1)
    );
    assert!(parse(&mixed).is_ok());
    let err = parse(&format!("not ({mixed})")).unwrap_err();
    assert_eq!(err.kind(), FilterErrorKind::TooDeep);
    assert_eq!(err.position(), MAX_NESTING_DEPTH * 5 + 1);

    let padding = MAX_FILTER_LEN - "a eq \"\"".len();
    let longest = format!("a eq \"{}\"", "x".repeat(padding));
    assert_eq!(longest.len(), MAX_FILTER_LEN);
    assert!(parse(&longest).is_ok());
    let too_long = format!("a eq \"{}\"", "x".repeat(padding + 1));
    let err = parse(&too_long).unwrap_err();
    assert_eq!(err.code(), "filterTooLong");
    assert_eq!(err.position(), MAX_FILTER_LEN);
    expect![[r#"expected a filter of at most 8192 bytes but found one of 8193 bytes"#]]
        .assert_eq(&err.to_string());
    // Cut inside a multi-byte char: the position stays on a char boundary.
    let err = parse(&"é".repeat(MAX_FILTER_LEN)).unwrap_err();
    assert!(err.position() <= MAX_FILTER_LEN);
    assert!("é".repeat(MAX_FILTER_LEN).is_char_boundary(err.position()));
}

/// The deepest tree a filter within the length limit can make: a long left-nested `or` chain.
/// Displaying, evaluating, comparing and dropping it must not overflow a test thread's stack.
#[test]
fn longest_chain_is_safe_for_recursive_walkers() {
    let term = "a pr or ";
    let chain = format!("{}a pr", term.repeat((MAX_FILTER_LEN - 4) / term.len()));
    assert!(chain.len() <= MAX_FILTER_LEN);
    let filter = parse(&chain).unwrap();
    let text = filter.to_string();
    assert_eq!(text, chain);
    assert!(parse(&text).unwrap().same_as(&filter));
    assert!(!filter.matches(&serde_json::json!({})));
    assert!(filter.matches(&serde_json::json!({"a": 1})));
    let _ = format!("{filter:?}");
    drop(filter);
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\$?[a-zA-Z][a-zA-Z0-9_-]{0,6}",
        Just("not".to_owned()),
        Just("and".to_owned()),
        Just("or".to_owned()),
        Just("pr".to_owned()),
        Just("eq".to_owned()),
        Just("true".to_owned()),
    ]
}

fn schema() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("urn:ietf:params:scim:schemas:core:2.0:User".to_owned()),
        Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_owned()),
        "[uU][rR][nN](:[a-zA-Z0-9.$_-]{1,6}){1,3}",
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (
        proptest::option::weighted(0.2, schema()),
        proptest::collection::vec(segment(), 1..4),
    )
        .prop_map(|(schema, segments)| AttrPath {
            schema,
            segments,
            span: Span::default(),
        })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::String),
        "[ -~]{0,8}".prop_map(Value::String),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop_oneof![
        Just(CompareOp::Eq),
        Just(CompareOp::Ne),
        Just(CompareOp::Gt),
        Just(CompareOp::Ge),
        Just(CompareOp::Lt),
        Just(CompareOp::Le),
        Just(CompareOp::Sw),
        Just(CompareOp::Ew),
        Just(CompareOp::Co),
    ]
}

fn attr_expr() -> impl Strategy<Value = Filter> {
    prop_oneof![
        3 => (attr_path(), compare_op(), value()).prop_map(|(path, op, value)| Filter::Compare {
            path,
            op,
            value,
            span: Span::default(),
        }),
        1 => attr_path().prop_map(|path| Filter::Present {
            path,
            span: Span::default(),
        }),
    ]
}

fn logical(leaf: BoxedStrategy<Filter>, depth: u32) -> BoxedStrategy<Filter> {
    leaf.prop_recursive(depth, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| Filter::Or(Box::new(l), Box::new(r))),
            inner.prop_map(|f| Filter::Not(Box::new(f), Span::default())),
        ]
    })
    .boxed()
}

fn filter() -> impl Strategy<Value = Filter> {
    let value_path = (attr_path(), logical(attr_expr().boxed(), 2)).prop_map(|(path, inner)| {
        Filter::ValuePath {
            path,
            filter: Box::new(inner),
            span: Span::default(),
        }
    });
    logical(prop_oneof![3 => attr_expr(), 1 => value_path].boxed(), 4)
}

/// Token soup: likely to get deep into the parser, unlike uniformly random text.
fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just("not"),
        Just("and"),
        Just("OR"),
        Just("pr"),
        Just("eq"),
        Just("co"),
        Just("a"),
        Just("b.c"),
        Just("urn:x:y:z"),
        Just("urn:"),
        Just("$ref"),
        Just("\"s\""),
        Just("\"\\u00e9\""),
        Just("\"\\ud83d"),
        Just("\""),
        Just("\\"),
        Just("1"),
        Just("-1.5e3"),
        Just("1e999"),
        Just("true"),
        Just("null"),
        Just("é"),
        Just("."),
        Just(":"),
        Just("'"),
    ];
    proptest::collection::vec((piece, prop_oneof![Just(""), Just(" ")]), 0..24).prop_map(|v| {
        v.into_iter()
            .map(|(piece, space)| format!("{piece}{space}"))
            .collect()
    })
}

/// Every node span, re-parsed alone, gives the same node (value paths excepted, whose inner
/// spans are relative to nothing special: they re-parse too, as standalone filters).
fn check_spans(input: &str, filter: &Filter) {
    let span = filter.span();
    assert!(span.start <= span.end && span.end <= input.len());
    let text = &input[span.start..span.end];
    if !matches!(filter, Filter::And(..) | Filter::Or(..)) {
        let again = parse(text).unwrap_or_else(|e| panic!("span text {text:?}: {e}"));
        assert!(again.same_as(filter), "span text {text:?}");
    }
    match filter {
        Filter::And(l, r) | Filter::Or(l, r) => {
            check_spans(input, l);
            check_spans(input, r);
        }
        Filter::Not(inner, _) | Filter::ValuePath { filter: inner, .. } => {
            check_spans(input, inner)
        }
        Filter::Compare { .. } | Filter::Present { .. } => {}
    }
}

/// What must hold for any input.
fn check_any_input(input: &str) {
    match parse(input) {
        Ok(filter) => {
            let text = filter.to_string();
            let again = parse(&text).unwrap_or_else(|e| panic!("{input:?} -> {text:?}: {e}"));
            assert!(again.same_as(&filter), "{input:?} -> {text:?}");
            assert_eq!(again.to_string(), text);
            check_spans(input, &filter);
            let _ = filter.matches(&serde_json::json!({"a": [1, "s"], "b": {"c": null}}));
        }
        Err(err) => {
            assert!(err.position() <= input.len());
            assert!(input.is_char_boundary(err.position()));
            assert!(!err.message().is_empty());
            assert!(!err.message().ends_with('.'));
            let caret = err.caret(input);
            assert!(caret.ends_with('^'));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn display_roundtrips(filter in filter()) {
        let text = filter.to_string();
        let parsed = parse(&text);
        prop_assert!(parsed.is_ok(), "{text:?}: {:?}", parsed);
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.without_spans(), filter.without_spans(), "{}", text);
        prop_assert_eq!(parsed.to_string(), text.clone());
        check_spans(&text, &parsed);
    }

    #[test]
    fn arbitrary_text_never_panics(input in any::<String>()) {
        check_any_input(&input);
    }

    #[test]
    fn token_soup_never_panics(input in soup()) {
        check_any_input(&input);
    }

    #[test]
    fn printable_ascii_never_panics(input in "[ -~]{0,40}") {
        check_any_input(&input);
    }
}
