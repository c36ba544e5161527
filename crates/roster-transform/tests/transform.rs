#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Snapshot tests of the mapping engine through one data-driven helper: every key, every
//! function, validation errors and apply errors.

use expect_test::{expect, Expect};
use rand::rngs::StdRng;
use rand::SeedableRng;
use roster_transform::{Entity, Scope, Transformation};
use serde_json::{json, Value};

fn user() -> Value {
    json!({
        "id": "00u1abcd",
        "status": "ACTIVE",
        "profile": {
            "login": "John.Doe@Example.com",
            "firstName": "John",
            "lastName": "Doe",
            "email": "john.doe@example.com",
            "secondEmail": null,
            "locale": "de_DE",
            "timezone": "America/Phoenix",
            "employeeNumber": 4711,
            "title": "National Sales Manager",
            "countries": "Serbia,Germany,Spain",
            "dn": "CN=test10,OU=subUsers,OU=testUsers",
            "addresses": [{"street": "Main 1"}, {"street": "Side 2", "type": "other"}],
            "emails": [
                {"value": "john.doe@example.com", "primary": true},
                {"value": "jd@example.org", "primary": false}
            ]
        },
        "credentials": {"password": {"value": "S3cret!pw"}},
        "groups": ["Everyone"]
    })
}

/// Parses `doc`, applies it to `source` for the user entity in `scope`, and renders the
/// outcome: the target JSON, the apply error, or every document error.
fn check(doc: Value, source: Value, scope: Scope, expected: Expect) {
    let actual = match Transformation::parse(&doc) {
        Err(errors) => {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            format!("document errors:\n{}", lines.join("\n"))
        }
        Ok(t) => {
            let mut rng = StdRng::seed_from_u64(7);
            match t.apply(Entity::User, scope, &source, &mut rng) {
                Ok(v) => serde_json::to_string_pretty(&v).unwrap(),
                Err(e) => format!("apply error: {e}"),
            }
        }
    };
    expected.assert_eq(&actual);
}

fn mappings(m: Value) -> Value {
    json!({"user": {"mappings": m}})
}

#[test]
fn seed_002_password_from_first_name_fails_policy_without_suffix() {
    let path = "$['urn:sap:cloud:scim:schemas:extension:sfsf:2.0:User']['firstName']";
    let source =
        json!({"urn:sap:cloud:scim:schemas:extension:sfsf:2.0:User": {"firstName": "John"}});
    check(
        mappings(
            json!([{"sourcePath": path, "targetPath": "$.password", "scope": "createEntity"}]),
        ),
        source.clone(),
        Scope::Create,
        expect![[r#"
            {
              "password": "John"
            }"#]],
    );
    check(
        mappings(
            json!([{"sourcePath": path, "targetPath": "$.password", "scope": "createEntity",
            "functions": [{"type": "concatString", "suffix": "7811!"}]}]),
        ),
        source.clone(),
        Scope::Create,
        expect![[r#"
            {
              "password": "John7811!"
            }"#]],
    );
    // createEntity only: a patch does not send the password again.
    check(
        mappings(
            json!([{"sourcePath": path, "targetPath": "$.password", "scope": "createEntity",
            "functions": [{"type": "concatString", "suffix": "7811!"}]}]),
        ),
        source,
        Scope::Patch,
        expect!["{}"],
    );
    // and the policy check tells the two apart
    let ias = roster_transform::password::CharacterPolicy {
        min_length: 8,
        max_length: 255,
        min_groups: 3,
    };
    expect![[r#"
        [
            "shorter than 8 characters",
            "characters from 2 of the 4 groups, fewer than 3",
        ]
    "#]]
    .assert_debug_eq(&ias.check("John"));
    expect![[r#"
        []
    "#]]
    .assert_debug_eq(&ias.check("John7811!"));
}

#[test]
fn typical_scim_user() {
    check(
        mappings(json!([
            {"sourcePath": "$.profile.login", "targetPath": "$.userName",
             "functions": [{"type": "toLowerCaseString"}]},
            {"sourcePath": "$.profile.firstName", "targetPath": "$.name.givenName"},
            {"sourcePath": "$.profile.lastName", "targetPath": "$.name.familyName"},
            {"sourcePath": "$.profile.email", "targetPath": "$.emails[0].value"},
            {"constant": true, "targetPath": "$.emails[0].primary"},
            {"type": "valueMapping", "sourcePaths": ["$.status"], "targetPath": "$.active",
             "defaultValue": false,
             "valueMappings": [{"key": ["ACTIVE"], "mappedValue": true}]},
            {"sourcePath": "$.profile.locale", "targetPath": "$.locale",
             "functions": [{"type": "convertLocaleCode", "outputFormat": "bcp47"}]},
            {"sourcePath": "$.profile.timezone", "targetPath": "$.timezone",
             "functions": [{"type": "convertTimezoneCode", "outputFormat": "sap"}]},
            {"constant": ["urn:ietf:params:scim:schemas:core:2.0:User"], "targetPath": "$.schemas",
             "preserveArrayWithSingleElement": true},
            {"sourcePath": "$.profile.employeeNumber",
             "targetPath": "$['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'].employeeNumber",
             "functions": [{"type": "toString"}]},
        ])),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "userName": "john.doe@example.com",
              "name": {
                "givenName": "John",
                "familyName": "Doe"
              },
              "emails": [
                {
                  "value": "john.doe@example.com",
                  "primary": true
                }
              ],
              "active": true,
              "locale": "de-DE",
              "timezone": "MSTNO",
              "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User"
              ],
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "4711"
              }
            }"#]],
    );
}

#[test]
fn keys() {
    // missing source: error, optional, defaultValue
    check(
        mappings(json!([{"sourcePath": "$.profile.nickName", "targetPath": "$.nickName"}])),
        user(),
        Scope::Create,
        expect!["apply error: user.mappings[0].sourcePath: no value at $.profile.nickName (mark the mapping optional or give it a defaultValue)"],
    );
    check(
        mappings(
            json!([{"sourcePath": "$.profile.nickName", "targetPath": "$.nickName", "optional": true},
                        {"sourcePath": "$.profile.secondEmail", "targetPath": "$.second", "optional": true}]),
        ),
        user(),
        Scope::Create,
        expect!["{}"],
    );
    check(
        mappings(
            json!([{"sourcePath": "$.profile.nickName", "targetPath": "$.nickName", "defaultValue": "none",
                         "functions": [{"type": "toUpperCaseString"}]}]),
        ),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "nickName": "none"
            }"#]],
    );
    // ignore, scope lists, condition
    check(
        mappings(json!([
            {"sourcePath": "$.id", "targetPath": "$.ignored", "ignore": true},
            {"sourcePath": "$.id", "targetPath": "$.onPatchOrDelete", "scope": ["patchEntity", "deleteEntity"]},
            {"sourcePath": "$.id", "targetPath": "$.onCreate", "scope": "createEntity"},
            {"sourcePath": "$.id", "targetPath": "$.whenActive", "condition": "$.status == 'ACTIVE'"},
            {"sourcePath": "$.id", "targetPath": "$.whenSuspended", "condition": "$.status == 'SUSPENDED'"},
        ])),
        user(),
        Scope::Patch,
        expect![[r#"
            {
              "onPatchOrDelete": "00u1abcd",
              "whenActive": "00u1abcd"
            }"#]],
    );
    // arrays: several nodes, one node unwrapped, preserveArrayWithSingleElement
    check(
        mappings(json!([
            {"sourcePath": "$.profile.emails[*].value", "targetPath": "$.all"},
            {"sourcePath": "$.profile.emails[?@.primary == true].value", "targetPath": "$.primary"},
            {"sourcePath": "$.profile.emails[?@.primary == true].value", "targetPath": "$.primaryList",
             "preserveArrayWithSingleElement": true},
            {"sourcePath": "$.groups", "targetPath": "$.groupUnwrapped"},
            {"sourcePath": "$.groups", "targetPath": "$.groups", "preserveArrayWithSingleElement": true},
            {"sourcePath": "$.profile.emails[*].value", "targetPath": "$.multi[?(@.value)]"},
            {"constant": "work", "targetPath": "$.multi[1].type"},
            {"constant": "x", "targetPath": "$.padded[2]"},
        ])),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "all": [
                "john.doe@example.com",
                "jd@example.org"
              ],
              "primary": "john.doe@example.com",
              "primaryList": [
                "john.doe@example.com"
              ],
              "groupUnwrapped": "Everyone",
              "groups": [
                "Everyone"
              ],
              "multi": [
                {
                  "value": "john.doe@example.com"
                },
                {
                  "value": "jd@example.org",
                  "type": "work"
                }
              ],
              "padded": [
                null,
                null,
                "x"
              ]
            }"#]],
    );
    // remove and rename work on the target built so far
    check(
        mappings(json!([
            {"sourcePath": "$.profile", "targetPath": "$.p"},
            {"type": "remove", "targetPath": "$.p.emails"},
            {"type": "remove", "targetPath": "$.p.addresses[0]"},
            {"type": "rename", "sourcePath": "$.p.login", "targetPath": "$.userName"},
            {"type": "remove", "targetPath": "$.p.countries"},
            {"type": "remove", "targetPath": "$.p.dn"},
            {"type": "remove", "targetPath": "$.p.title"},
            {"type": "rename", "sourcePath": "$.p.nothing", "targetPath": "$.x", "optional": true},
        ])),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "p": {
                "firstName": "John",
                "lastName": "Doe",
                "email": "john.doe@example.com",
                "secondEmail": null,
                "locale": "de_DE",
                "timezone": "America/Phoenix",
                "employeeNumber": 4711,
                "addresses": [
                  {
                    "street": "Side 2",
                    "type": "other"
                  }
                ]
              },
              "userName": "John.Doe@Example.com"
            }"#]],
    );
    check(
        mappings(json!([{"type": "rename", "sourcePath": "$.nothing", "targetPath": "$.x"}])),
        user(),
        Scope::Create,
        expect!["apply error: user.mappings[0].sourcePath: nothing at $.nothing to rename (mark the mapping optional or give it a defaultValue)"],
    );
    // valueMapping with two source paths and no match: default, or nothing
    check(
        mappings(json!([
            {"type": "valueMapping", "sourcePaths": ["$.status", "$.profile.locale"], "targetPath": "$.a",
             "valueMappings": [{"key": ["ACTIVE", "de_DE"], "mappedValue": "aktiv"}]},
            {"type": "valueMapping", "sourcePath": "$.status", "targetPath": "$.b",
             "valueMappings": [{"key": "SUSPENDED", "mappedValue": 1}]},
            {"type": "valueMapping", "sourcePath": "$.status", "targetPath": "$.c", "defaultValue": 0,
             "valueMappings": [{"key": "SUSPENDED", "mappedValue": 1}]},
        ])),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "a": "aktiv",
              "c": 0
            }"#]],
    );
    // writing through a string fails for the entity
    check(
        mappings(json!([
            {"sourcePath": "$.id", "targetPath": "$.name"},
            {"sourcePath": "$.id", "targetPath": "$.name.givenName"},
        ])),
        user(),
        Scope::Create,
        expect![[
            r#"apply error: user.mappings[1].targetPath: cannot write $.name.givenName: a string is where an object with "givenName" should be"#
        ]],
    );
}

#[test]
fn conditions() {
    let cases = [
        "$.status == 'ACTIVE' && $.profile.locale != \"en_US\"",
        "$.status == 'SUSPENDED' || ($.profile.firstName =~ 'J.*' && !empty($.profile.email))",
        "empty($.profile.secondEmail) && not empty($.profile.lastName)",
        "$.profile.nickName EMPTY true && $.profile.email EMPTY false",
        "isValidEmail($.profile.emails[*].value)",
        "isValidEmail($.profile.login) && !isValidEmail($.profile.firstName)",
        "$.profile.employeeNumber == 4711.0",
        "$.status IN ['ACTIVE', 'STAGED'] && $.status NIN ['DEPROVISIONED']",
        "$.profile.emails[?(@.primary == false)].value != []",
        "$.profile.emails[?(@.value == 'none')].value != []",
        "$.profile.firstName =~ 'Jo'",
    ];
    let m: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"constant": c, "targetPath": format!("$.c{i}"), "condition": c}))
        .collect();
    check(
        mappings(Value::Array(m)),
        user(),
        Scope::Create,
        expect![[r#"
        {
          "c0": "$.status == 'ACTIVE' && $.profile.locale != \"en_US\"",
          "c1": "$.status == 'SUSPENDED' || ($.profile.firstName =~ 'J.*' && !empty($.profile.email))",
          "c2": "empty($.profile.secondEmail) && not empty($.profile.lastName)",
          "c3": "$.profile.nickName EMPTY true && $.profile.email EMPTY false",
          "c4": "isValidEmail($.profile.emails[*].value)",
          "c5": "isValidEmail($.profile.login) && !isValidEmail($.profile.firstName)",
          "c6": "$.profile.employeeNumber == 4711.0",
          "c7": "$.status IN ['ACTIVE', 'STAGED'] && $.status NIN ['DEPROVISIONED']",
          "c8": "$.profile.emails[?(@.primary == false)].value != []"
        }"#]],
    );
}

#[test]
fn entity_condition_selects() {
    let t = Transformation::parse(
        &json!({"user": {"condition": "isValidEmail($.profile.email)",
        "mappings": [{"sourcePath": "$.id", "targetPath": "$.id"}]}}),
    )
    .unwrap();
    let mut rng = StdRng::seed_from_u64(1);
    assert!(t.has_entity(Entity::User));
    assert!(!t.has_entity(Entity::Group));
    assert!(t.selects(Entity::User, &user()));
    let bad = json!({"id": "x", "profile": {"email": "not-an-email"}});
    assert_eq!(
        t.apply_selected(Entity::User, Scope::Create, &bad, &mut rng)
            .unwrap(),
        None
    );
    assert_eq!(
        t.apply(Entity::Group, Scope::Create, &bad, &mut rng)
            .unwrap(),
        json!({})
    );
}

#[test]
fn string_functions() {
    let f = |src: &str, target: &str, functions: Value| json!({"sourcePath": src, "targetPath": target, "functions": functions});
    check(
        mappings(json!([
            f(
                "$.profile.firstName",
                "$.concat",
                json!([{"type": "concatString", "prefix": "ips_", "suffix": 123}])
            ),
            f(
                "$.profile.firstName",
                "$.upper",
                json!([{"type": "toUpperCaseString", "locale": "de_DE"}])
            ),
            f(
                "$.profile.login",
                "$.lower",
                json!([{"function": "toLowerCaseString"}])
            ),
            f(
                "$.profile.title",
                "$.replace",
                json!([{"type": "replaceString", "target": "a", "replacement": "4"}])
            ),
            f(
                "$.profile.title",
                "$.first",
                json!([{"type": "replaceFirstString", "regex": "[aeiou]", "replacement": "_"}])
            ),
            f(
                "$.profile.title",
                "$.last",
                json!([{"type": "replaceLastString", "regex": "([aeiou])", "replacement": "<$1>"}])
            ),
            f(
                "$.profile.title",
                "$.all",
                json!([{"type": "replaceAllString", "regex": "(\\w+) (\\w+)", "replacement": "$2-$1"}])
            ),
            f(
                "$.profile.title",
                "$.sub",
                json!([{"type": "substring", "beginIndex": 9, "endIndex": 14}])
            ),
            f(
                "$.profile.title",
                "$.subToEnd",
                json!([{"type": "substring", "beginIndex": 15}])
            ),
            f(
                "$.profile.countries",
                "$.split",
                json!([{"type": "splitStringToArray", "separator": ","}])
            ),
            f(
                "$.profile.countries",
                "$.countryList[?(@.name)]",
                json!([{"type": "splitStringToArray", "separator": ","}])
            ),
            f(
                "$.profile.countries",
                "$.second",
                json!([{"type": "splitStringToArray", "separator": ","}, {"type": "elementAt", "index": 1}])
            ),
            f(
                "$.profile.email",
                "$.isExample",
                json!([{"type": "matchRegex", "regex": ".*@example\\.com"}])
            ),
            f(
                "$.profile.email",
                "$.isPartial",
                json!([{"type": "matchRegex", "regex": "example"}])
            ),
            f(
                "$.profile.dn",
                "$.nested",
                json!([{"type": "getMatchedRegexGroup", "regex": "(?i)cn=.*?,(.*?),OU=testUsers", "groupIndex": 1}])
            ),
            f(
                "$.id",
                "$.composite",
                json!([{"type": "compositeId", "separator": ":", "subId": "e0123456"}])
            ),
            f(
                "$.id",
                "$.compositeFromPath",
                json!([{"type": "compositeId", "separator": "-", "subId": "$.profile.lastName"}])
            ),
            f(
                "$.profile.employeeNumber",
                "$.string",
                json!([{"type": "toString"}])
            ),
            f(
                "$.profile.emails[*].value",
                "$.upperEach",
                json!([{"type": "toUpperCaseString"}])
            ),
            f(
                "$.profile.emails[*].value",
                "$.upperWhenPrimary",
                json!([{"type": "toUpperCaseString", "condition": "@ =~ 'john.*'"}])
            ),
        ])),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "concat": "ips_John123",
              "upper": "JOHN",
              "lower": "john.doe@example.com",
              "replace": "N4tion4l S4les M4n4ger",
              "first": "N_tional Sales Manager",
              "last": "National Sales Manag<e>r",
              "all": "Sales-National Manager",
              "sub": "Sales",
              "subToEnd": "Manager",
              "split": [
                "Serbia",
                "Germany",
                "Spain"
              ],
              "countryList": [
                {
                  "name": "Serbia"
                },
                {
                  "name": "Germany"
                },
                {
                  "name": "Spain"
                }
              ],
              "second": "Germany",
              "isExample": true,
              "isPartial": false,
              "nested": "OU=subUsers",
              "composite": "00u1abcd:e0123456",
              "compositeFromPath": "00u1abcd-Doe",
              "string": "4711",
              "upperEach": [
                "JOHN.DOE@EXAMPLE.COM",
                "JD@EXAMPLE.ORG"
              ],
              "upperWhenPrimary": [
                "JOHN.DOE@EXAMPLE.COM",
                "jd@example.org"
              ]
            }"#]],
    );
}

#[test]
fn code_conversions() {
    let cases = json!(["de_DE", "en-us", "FR", "pt", "eo", "", "zh_TW"]);
    let zones = json!([
        "America/Phoenix",
        "AST",
        "Atlantic/Canary",
        "Mars/Olympus",
        "UTC",
        "Europe/London"
    ]);
    check(
        mappings(json!([
            {"constant": cases, "targetPath": "$.bcp47", "functions": [{"type": "convertLocaleCode", "outputFormat": "bcp47"}]},
            {"constant": cases, "targetPath": "$.iso639", "functions": [{"type": "convertLocaleCode", "outputFormat": "iso639"}]},
            {"constant": zones, "targetPath": "$.sap", "functions": [{"type": "convertTimezoneCode", "outputFormat": "sap"}]},
            {"constant": zones, "targetPath": "$.iana", "functions": [{"type": "convertTimezoneCode", "outputFormat": "iana"}]},
        ])),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "bcp47": [
                "de-DE",
                "en-US",
                "fr-FR",
                "pt-BR",
                "en-US",
                "en-US",
                "zh-TW"
              ],
              "iso639": [
                "DE",
                "EN",
                "FR",
                "PT",
                "EN",
                "EN",
                "ZH"
              ],
              "sap": [
                "MSTNO",
                "AST",
                "WET",
                "CET",
                "UTC",
                "GMTUK"
              ],
              "iana": [
                "America/Phoenix",
                "America/Halifax",
                "Europe/Lisbon",
                "Europe/Berlin",
                "Etc/UTC",
                "Europe/London"
              ]
            }"#]],
    );
}

#[test]
fn object_functions() {
    check(
        mappings(json!([
            {"sourcePath": "$.profile.addresses", "targetPath": "$.absent", "preserveArrayWithSingleElement": true,
             "functions": [{"function": "putIfAbsent", "key": "type", "defaultValue": "work"}]},
            {"sourcePath": "$.profile.addresses", "targetPath": "$.present", "preserveArrayWithSingleElement": true,
             "functions": [{"function": "putIfPresent", "key": "type", "defaultValue": "work",
                            "condition": "(@.type NIN ['work', 'home'])"}]},
            {"sourcePath": "$.profile.emails", "targetPath": "$.flags",
             "functions": [{"function": "matchRegex", "regex": ".*@example\\.com",
                            "applyOnAttribute": "value", "assignToAttribute": "corporate"}]},
            {"sourcePath": "$.profile.emails", "targetPath": "$.firstEmail",
             "functions": [{"function": "elementAt", "index": 0}]},
            {"sourcePath": "$.profile.emails", "targetPath": "$.tenth", "optional": true,
             "functions": [{"function": "elementAt", "index": 9}]},
        ])),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "absent": [
                {
                  "street": "Main 1",
                  "type": "work"
                },
                {
                  "street": "Side 2",
                  "type": "other"
                }
              ],
              "present": [
                {
                  "street": "Main 1"
                },
                {
                  "street": "Side 2",
                  "type": "work"
                }
              ],
              "flags": [
                {
                  "value": "john.doe@example.com",
                  "primary": true,
                  "corporate": true
                },
                {
                  "value": "jd@example.org",
                  "primary": false,
                  "corporate": false
                }
              ],
              "firstEmail": {
                "value": "john.doe@example.com",
                "primary": true
              }
            }"#]],
    );
}

#[test]
fn random_password() {
    check(
        mappings(json!([
            {"targetPath": "$.password", "functions": [{"function": "randomPassword", "passwordLength": 16,
              "minimumNumberOfLowercaseLetters": 4, "minimumNumberOfUppercaseLetters": 4,
              "minimumNumberOfDigits": 4, "minimumNumberOfSpecialSymbols": 4, "specialSymbols": ",.<>/?~`!@#"}]},
            {"targetPath": "$.digitsOnly", "functions": [{"function": "randomPassword", "passwordLength": 6,
              "minimumNumberOfLowercaseLetters": 0, "minimumNumberOfUppercaseLetters": 0,
              "minimumNumberOfDigits": 1, "minimumNumberOfSpecialSymbols": 0}]},
        ])),
        user(),
        Scope::Create,
        expect![[r#"
            {
              "password": "2?/71Qb9THd/O`da",
              "digitsOnly": "810312"
            }"#]],
    );
}

#[test]
fn apply_errors() {
    check(
        mappings(json!([{"sourcePath": "$.profile.firstName", "targetPath": "$.x",
            "functions": [{"type": "substring", "beginIndex": 2, "endIndex": 10}]}])),
        user(),
        Scope::Create,
        expect!["apply error: user.mappings[0].functions[0]: substring: 2..10 is out of range for a value of 4 characters"],
    );
    check(
        mappings(json!([{"sourcePath": "$.profile", "targetPath": "$.x",
            "functions": [{"type": "concatString", "suffix": "!"}]}])),
        user(),
        Scope::Create,
        expect!["apply error: user.mappings[0].functions[0]: concatString: expects a string, got an object"],
    );
    check(
        mappings(json!([{"sourcePath": "$.profile.dn", "targetPath": "$.x",
            "functions": [{"type": "getMatchedRegexGroup", "regex": "^OU=(.*)", "groupIndex": 1}]}])),
        user(),
        Scope::Create,
        expect!["apply error: user.mappings[0].sourcePath: no value at $.profile.dn after the functions (mark the mapping optional or give it a defaultValue)"],
    );
    check(
        mappings(json!([{"sourcePath": "$.profile.firstName", "targetPath": "$.x",
            "functions": [{"type": "putIfAbsent", "key": "type", "defaultValue": "work"}]}])),
        user(),
        Scope::Create,
        expect!["apply error: user.mappings[0].functions[0]: putIfAbsent: expects an object, got a string"],
    );
}

#[test]
fn validation_errors_are_all_reported() {
    check(
        json!({
            "user": {"mappings": [
                {"sourcePath": "$.a", "targetPath": "$.b"},
                {"sourcePath": "$[", "targetPath": "$.b[*]"},
                {"sourcePath": "$.a", "targetPath": "$.b", "functions": [
                    {"type": "concatStrin", "suffix": "x"},
                    {"type": "replaceAllString", "regex": "(", "replacement": 1},
                    {"type": "substring", "beginIndex": -1},
                    {"type": "substring", "beginIndex": 4, "endIndex": 2},
                    {"type": "randomPassword", "passwordLength": 4, "minimumNumberOfLowercaseLetters": 2,
                     "minimumNumberOfUppercaseLetters": 2, "minimumNumberOfDigits": 2},
                    {"type": "getMatchedRegexGroup", "regex": "(a)", "groupIndex": 2},
                    {"type": "convertTimezoneCode", "outputFormat": "olson"},
                    {"type": "concatString"},
                    {"type": "elementAt", "index": 0, "indx": 1},
                    {"function": "isValidEmail"},
                    {"suffix": "x"},
                    "concatString"
                ]},
                {"sourcePath": "$.a", "targetPath": "$.b", "condition": "$.a == ", "scope": "updateEntity",
                 "optional": "yes", "sourceVariable": "x", "targetpath": "$.c"},
                {"targetPath": "$.b"},
                {"type": "valueMapping", "sourcePaths": ["$.a", "$.b"], "targetPath": "$.c",
                 "valueMappings": [{"key": ["x"], "mappedValue": 1}, {"mapped": 2}]},
                {"type": "merge", "targetPath": "$.c"},
                {"sourcePath": "$.a", "constant": 1, "targetPath": "$..c"},
                {"sourcePath": "$.a", "targetPath": "$.b", "condition": "$.a =~ '('"},
                {"sourcePath": "$.a", "targetPath": "$.b", "condition": "($.a == 'x'"},
            ]},
            "group": {"mapping": []},
            "role": {"mappings": []}
        }),
        user(),
        Scope::Create,
        expect![[r#"
            document errors:
            user.mappings[1].sourcePath: bad JSONPath "$[": at position 1, parser error
            user.mappings[1].targetPath: cannot write to "$.b[*]": a wildcard names no single place
            user.mappings[2].functions[0].type: unknown function "concatStrin"
            user.mappings[2].functions[1].regex: bad regex "(": unclosed group
            user.mappings[2].functions[2].beginIndex: expected a non-negative integer
            user.mappings[2].functions[3].endIndex: 2 is before beginIndex 4
            user.mappings[2].functions[4].minimumNumberOfSpecialSymbols: missing required argument
            user.mappings[2].functions[5].groupIndex: the regex has 1 capture group(s), so there is no group 2
            user.mappings[2].functions[6].outputFormat: "olson" is not one of iana, sap
            user.mappings[2].functions[7].suffix: give a prefix, a suffix or both
            user.mappings[2].functions[8].indx: unknown argument for this function
            user.mappings[2].functions[9].function: isValidEmail is a conditional function: use it in a condition
            user.mappings[2].functions[10].type: missing: name the function in "type" (or "function")
            user.mappings[2].functions[11]: expected an object
            user.mappings[3].sourceVariable: not supported by Roster
            user.mappings[3].targetpath: unknown key
            user.mappings[3].optional: expected true or false
            user.mappings[3].scope: unknown scope "updateEntity": expected createEntity, patchEntity or deleteEntity (or a list of them)
            user.mappings[3].condition: expected a path, a literal or ( at the end of the condition
            user.mappings[4].sourcePath: missing: give sourcePath, constant, defaultValue or a function that makes a value (randomPassword)
            user.mappings[5].valueMappings[0].key: needs one value per source path
            user.mappings[5].valueMappings[1]: expected {"key": [...], "mappedValue": ...}
            user.mappings[6].type: unknown type "merge": expected set, remove, rename or valueMapping
            user.mappings[7].constant: give either sourcePath or constant, not both
            user.mappings[7].targetPath: cannot write to "$..c": a descendant segment (..) names no single place
            user.mappings[8].condition: bad regex "(": unclosed group
            user.mappings[9].condition: expected ) at the end of the condition
            group.mapping: unknown key
            group.mappings: missing
            role: unknown entity: expected user or group"#]],
    );
    check(
        json!([]),
        user(),
        Scope::Create,
        expect![[r#"
        document errors:
        a transformation is an object with "user" and/or "group""#]],
    );
}

#[test]
fn redaction() {
    let mut doc = json!({
        "id": "u1",
        "profile": {"login": "a@b.c", "apiKey": "k-123", "nested": {"clientSecret": "s-456"}},
        "credentials": {"password": {"value": "pw-789"}, "provider": {"type": "OKTA"},
                        "recovery_question": {"answer": "blue"}},
        "Password": null,
        "accessTokens": ["t-1", "t-2"],
        "count": 3
    });
    let leaves = roster_transform::secret_leaves(&doc);
    roster_transform::redact(&mut doc);
    expect![[r#"
        [
            "k-123",
            "s-456",
            "pw-789",
            "blue",
            "t-1",
            "t-2",
        ]
    "#]]
    .assert_debug_eq(&leaves);
    expect![[r#"
        {
          "id": "u1",
          "profile": {
            "login": "a@b.c",
            "apiKey": "[REDACTED]",
            "nested": {
              "clientSecret": "[REDACTED]"
            }
          },
          "credentials": {
            "password": {
              "value": "[REDACTED]"
            },
            "provider": {
              "type": "OKTA"
            },
            "recovery_question": {
              "answer": "[REDACTED]"
            }
          },
          "Password": null,
          "accessTokens": [
            "[REDACTED]",
            "[REDACTED]"
          ],
          "count": 3
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&doc).unwrap());
}

#[test]
fn group_entity_and_document_round_trip() {
    fn shareable<T: Send + Sync + Clone>(_: &T) {}
    let doc = json!({"group": {"mappings": [
        {"sourcePath": "$.profile.name", "targetPath": "$.displayName"},
        {"sourcePath": "$.members[*].id", "targetPath": "$.members[?(@.value)]",
         "preserveArrayWithSingleElement": true, "optional": true}
    ]}});
    let t = Transformation::parse(&doc).unwrap();
    shareable(&t);
    assert_eq!(t.document(), &doc);
    assert!(t.has_entity(Entity::Group) && !t.has_entity(Entity::User));
    let mut rng = StdRng::seed_from_u64(1);
    let out = t
        .apply(
            Entity::Group,
            Scope::Patch,
            &json!({"profile": {"name": "Sales"}, "members": [{"id": "00u1"}]}),
            &mut rng,
        )
        .unwrap();
    expect![[r#"{"displayName":"Sales","members":[{"value":"00u1"}]}"#]]
        .assert_eq(&out.to_string());
}
