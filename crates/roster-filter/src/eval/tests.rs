use serde_json::{json, Value as Json};

use crate::{parse, MatchOptions};

fn user() -> Json {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "00u1ero7vZFVEIYLWPBN",
        "userName": "bjensen@example.com",
        "name": {"familyName": "O'Malley", "givenName": "Barbara", "middleName": ""},
        "title": "",
        "nickName": null,
        "active": true,
        "loginCount": 42,
        "score": 2.5,
        "status": "ACTIVE",
        "lastUpdated": "2026-02-03T10:00:00.000Z",
        "emails": [
            {"type": "home", "value": "babs@jensen.org", "primary": false},
            {"type": "work", "value": "bjensen@example.com", "primary": true}
        ],
        "phoneNumbers": [],
        "roles": ["Admin", "auditor"],
        "profile": {"lastName": "Smith", "department": "Engineering", "manager": null},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "manager": {"value": "26118915", "displayName": "John Smith"}
        },
        "debugContext": {"debugData": {"ErrorCode": "notUniqueWithinOrg", "ErrorField": "login"}}
    })
}

#[track_caller]
fn check(filter: &str, expected: bool) {
    let parsed = parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    assert_eq!(parsed.matches(&user()), expected, "{filter}");
}

#[track_caller]
fn check_exact(filter: &str, expected: bool) {
    let parsed = parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    let options = MatchOptions { case_exact: true };
    assert_eq!(parsed.matches_with(&user(), &options), expected, "{filter}");
}

#[test]
fn string_operators_ignore_case_by_default() {
    check(r#"userName eq "BJensen@Example.com""#, true);
    check(r#"status eq "active""#, true);
    check(r#"userName sw "BJ""#, true);
    check(r#"userName ew "EXAMPLE.COM""#, true);
    check(r#"name.familyName co "o'm""#, true);
    check(r#"name.familyName co "x""#, false);
    check(r#"status ne "ACTIVE""#, false);
    check(r#"status ne "STAGED""#, true);
}

#[test]
fn case_exact_compares_strings_exactly() {
    check_exact(r#"status eq "ACTIVE""#, true);
    check_exact(r#"status eq "active""#, false);
    check_exact(r#"userName sw "BJ""#, false);
    check_exact(r#"userName sw "bj""#, true);
    check_exact(r#"status ne "active""#, true);
    check_exact(r#"status gt "ACTIVE""#, false);
    check_exact(r#"status gt "A""#, true);
    // Attribute names stay case-insensitive.
    check_exact(r#"STATUS eq "ACTIVE""#, true);
}

#[test]
fn attribute_names_resolve_case_insensitively() {
    check(r#"USERNAME eq "bjensen@example.com""#, true);
    check(r#"Name.FamilyName eq "o'malley""#, true);
    check(
        r#"debugcontext.debugdata.errorcode eq "notUniqueWithinOrg""#,
        true,
    );
    check(r#"debugContext.debugData.ErrorField eq "login""#, true);
}

#[test]
fn exact_key_wins_over_case_insensitive_match() {
    let doc = json!({"Status": "A", "status": "B"});
    assert!(parse(r#"status eq "b""#).unwrap().matches(&doc));
    assert!(parse(r#"Status eq "a""#).unwrap().matches(&doc));
    assert!(parse(r#"STATUS eq "a""#).unwrap().matches(&doc));
}

#[test]
fn schema_urn_is_tried_as_a_top_level_key_then_ignored() {
    check(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
        true,
    );
    check(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName sw "john""#,
        true,
    );
    // The core schema is not a key: the URN is ignored.
    check(
        r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bjensen""#,
        true,
    );
    // A key match is case-insensitive too.
    check(
        r#"URN:IETF:params:scim:schemas:extension:enterprise:2.0:user:employeeNumber pr"#,
        true,
    );
    // Extension attributes are not found at the top level through the extension URN ...
    check(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName pr"#,
        false,
    );
    // ... nor without it.
    check("employeeNumber pr", false);
}

#[test]
fn multi_valued_attributes_match_when_any_element_does() {
    check(r#"emails.value co "example.com""#, true);
    check(r#"emails.type eq "work""#, true);
    check(r#"emails.type eq "other""#, false);
    check(r#"roles eq "admin""#, true);
    check(r#"roles sw "aud""#, true);
    check(
        r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
        true,
    );
    // The RFC 7644 examples: "emails co" compares complex values, which never equal a string.
    check(r#"emails co "example.com""#, false);
    check(
        r#"title pr or (emails co "example.com" or emails.value co "example.org")"#,
        false,
    );
}

#[test]
fn ne_is_the_negation_of_eq() {
    // Multi-valued: ne is true only when no element is equal.
    check(r#"roles ne "admin""#, false);
    check(r#"roles ne "owner""#, true);
    check(r#"emails.type ne "work""#, false);
    // Absent attributes are "not equal" to anything.
    check(r#"missing ne "x""#, true);
    check(r#"profile.missing.deeper ne 1"#, true);
    // Mismatched types are not equal.
    check(r#"loginCount ne "42""#, true);
    check("loginCount ne 42", false);
}

#[test]
fn null_and_presence() {
    check("userName pr", true);
    check("title pr", false); // ""
    check("nickName pr", false); // null
    check("phoneNumbers pr", false); // []
    check("missing pr", false);
    check("name pr", true); // complex with values
    check("profile.manager pr", false);
    check("emails pr", true);
    check("emails.primary pr", true); // false is a value
    assert!(!parse("a pr")
        .unwrap()
        .matches(&json!({"a": {"b": null, "c": ""}})));
    assert!(!parse("a pr")
        .unwrap()
        .matches(&json!({"a": [null, "", []]})));

    check("nickName eq null", true);
    check("missing eq null", true);
    check("title eq null", true);
    check("phoneNumbers eq null", true);
    check("userName eq null", false);
    check("userName ne null", true);
    check("nickName ne null", false);
    check("profile.manager eq null", true);
    // Ordering and substring operators never match null.
    check("nickName gt null", false);
    check("userName co null", false);
}

#[test]
fn numbers_compare_numerically() {
    check("loginCount eq 42", true);
    check("loginCount eq 42.0", true);
    check("loginCount gt 41.5", true);
    check("loginCount ge 42", true);
    check("loginCount lt 42", false);
    check("loginCount le 4.2e1", true);
    check("score gt 2", true);
    check("score lt 3", true);
    check("score eq 2.5", true);
    check("loginCount gt -1", true);
    // Large integers compare exactly.
    let doc = json!({"n": u64::MAX, "m": i64::MIN});
    assert!(parse("n gt 18446744073709551614").unwrap().matches(&doc));
    assert!(parse("n eq 18446744073709551615").unwrap().matches(&doc));
    assert!(parse("m lt -9223372036854775807").unwrap().matches(&doc));
    assert!(parse("n gt -1").unwrap().matches(&doc));
    assert!(parse("m lt 1").unwrap().matches(&doc));
    // Substring operators do not apply to numbers.
    check("loginCount co 4", false);
    check("loginCount sw 4", false);
}

#[test]
fn strings_order_lexicographically() {
    check(r#"lastUpdated gt "2026-01-01T00:00:00.000Z""#, true);
    check(r#"lastUpdated lt "2026-02-03T10:00:00.001Z""#, true);
    check(r#"lastUpdated le "2026-02-03T10:00:00.000Z""#, true);
    check(r#"lastUpdated ge "2026-02-03T10:00:00.001Z""#, false);
    check(r#"status gt "a""#, true);
    check(r#"status lt "b""#, true);
}

#[test]
fn mismatched_types_are_false() {
    check(r#"loginCount eq "42""#, false);
    check(r#"loginCount gt "1""#, false);
    check("userName gt 1", false);
    check(r#"active eq "true""#, false);
    check("active eq true", true);
    check("active eq false", false);
    check("active gt false", false);
    check("name eq 1", false);
    check(r#"name eq "Barbara""#, false);
}

#[test]
fn logical_operators() {
    check(
        r#"status eq "ACTIVE" and profile.lastName eq "Smith""#,
        true,
    );
    check(
        r#"status eq "ACTIVE" and profile.lastName eq "Jones""#,
        false,
    );
    check(r#"status eq "STAGED" or profile.lastName eq "Smith""#, true);
    check(r#"not (status eq "STAGED")"#, true);
    check(r#"not (status eq "ACTIVE") or title pr"#, false);
    check(
        r#"profile.department eq "Engineering" and (status eq "STAGED" or status eq "ACTIVE")"#,
        true,
    );
}

#[test]
fn value_paths_match_within_one_element() {
    check(
        r#"emails[type eq "work" and value co "@example.com"]"#,
        true,
    );
    check(
        r#"emails[type eq "home" and value co "@example.com"]"#,
        false,
    );
    check(r#"emails[type eq "WORK" and primary eq true]"#, true);
    check(r#"emails[not (type eq "work")]"#, true);
    check(r#"emails[type eq "other"]"#, false);
    check(r#"phoneNumbers[type pr]"#, false);
    check(r#"missing[type pr]"#, false);
    // A single complex value is one element.
    check(
        r#"name[givenName eq "barbara" and familyName sw "O'"]"#,
        true,
    );
    check(
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager[value eq "26118915"]"#,
        true,
    );
    // Across elements the any-semantics of a plain path differ from a value path.
    check(r#"emails.type eq "home" and emails.primary eq true"#, true);
    check(r#"emails[type eq "home" and primary eq true]"#, false);
}

#[test]
fn okta_and_system_log_examples() {
    check(
        r#"profile.lastName eq "Smith" and status eq "ACTIVE""#,
        true,
    );
    check(r#"lastUpdated gt "2026-01-01T00:00:00.000Z""#, true);
    let event = json!({
        "eventType": "app.user_management.update_from_master_failed",
        "published": "2026-03-04T05:06:07.890Z",
        "outcome": {"result": "FAILURE", "reason": "validation"},
        "target": [
            {"id": "00u1", "type": "User"},
            {"id": "0oa1", "type": "AppInstance"}
        ],
        "debugContext": {"debugData": {"ErrorCode": "notUniqueWithinOrg", "ErrorField": "login"}}
    });
    let matches = |f: &str| parse(f).unwrap().matches(&event);
    assert!(matches(
        r#"eventType eq "app.user_management.update_from_master_failed""#
    ));
    assert!(matches(
        r#"debugContext.debugData.ErrorCode eq "notUniqueWithinOrg""#
    ));
    assert!(matches(
        r#"target.id eq "0oa1" and outcome.result eq "FAILURE""#
    ));
    assert!(matches(r#"target[type eq "User" and id eq "00u1"]"#));
    assert!(!matches(r#"target[type eq "User" and id eq "0oa1"]"#));
    assert!(!matches(r#"published lt "2026-03-01T00:00:00.000Z""#));
}

#[test]
fn documents_that_are_not_objects_match_nothing_but_absence() {
    for doc in [json!(null), json!(1), json!("x"), json!([])] {
        assert!(!parse("a pr").unwrap().matches(&doc));
        assert!(!parse(r#"a eq "x""#).unwrap().matches(&doc));
        assert!(parse(r#"a ne "x""#).unwrap().matches(&doc));
        assert!(parse("a eq null").unwrap().matches(&doc));
    }
}

#[test]
fn unicode_case_folding() {
    let doc = json!({"Prénom": "ÉLODIE"});
    assert!(parse(r#"prénom eq "élodie""#).is_err()); // names are ASCII per RFC 7643
    assert!(parse(r#"x eq "a""#).unwrap().matches(&json!({"X": "A"})));
    assert!(!parse(r#"x eq "é""#).unwrap().matches(&doc));
    let doc = json!({"name": "ÉLODIE"});
    assert!(parse(r#"name eq "élodie""#).unwrap().matches(&doc));
    assert!(parse(r#"name sw "éL""#).unwrap().matches(&doc));
}
