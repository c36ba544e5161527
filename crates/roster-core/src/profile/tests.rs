use std::fmt::Write as _;

use expect_test::{expect, Expect};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;

fn valid() -> Map<String, Value> {
    let v = json!({
        "login": "john.smith@example.com",
        "email": "john.smith@example.com",
        "firstName": "John",
        "lastName": "Smith",
    });
    v.as_object().cloned().unwrap_or_default()
}

/// `valid()` with `changes` merged in.
fn profile(changes: Value) -> Map<String, Value> {
    let mut p = valid();
    if let Value::Object(changes) = changes {
        for (k, v) in changes {
            if v == json!("<remove>") {
                p.remove(&k);
            } else {
                p.insert(k, v);
            }
        }
    }
    p
}

/// A schema with a custom attribute of each kind.
fn org_schema() -> ProfileSchema {
    let mut s = ProfileSchema::okta_default();
    let adds = [
        (
            "employeeCode",
            AttributeDef::string("Employee code")
                .length(Some(3), Some(8))
                .pattern(r"[A-Z]{2}-\d{1,5}")
                .unique(),
        ),
        (
            "shirtSize",
            AttributeDef::string("Shirt size").one_of(vec![json!("S"), json!("M"), json!("L")]),
        ),
        ("floor", AttributeDef::new("Floor", AttributeType::Integer)),
        (
            "contractor",
            AttributeDef::new("Contractor", AttributeType::Boolean),
        ),
        ("badgeColor", AttributeDef::string("Badge color").required()),
        ("skills", {
            let mut d = AttributeDef::array_of("Skills", AttributeType::String);
            d.items = Some(ArrayItems {
                kind: AttributeType::String,
                enum_values: Some(vec![json!("rust"), json!("sql")]),
            });
            d
        }),
    ];
    for (name, def) in adds {
        s.add_custom(name, def).unwrap();
    }
    s
}

fn render(result: &Result<(), Vec<Violation>>) -> String {
    match result {
        Ok(()) => "ok\n".into(),
        Err(vs) => vs.iter().fold(String::new(), |mut out, v| {
            let _ = writeln!(
                out,
                "{} [{}] {}\n    cause: {}\n    fix: {}",
                v.code,
                v.field,
                v.message,
                v.cause(),
                v.remediation()
            );
            out
        }),
    }
}

fn check(schema: &ProfileSchema, cases: &[(&str, Value)], expect: Expect) {
    let mut out = String::new();
    for (name, changes) in cases {
        let _ = write!(
            out,
            "== {name}\n{}",
            render(&schema.validate(&profile(changes.clone())))
        );
    }
    expect.assert_eq(&out);
}

#[test]
fn seed_004_codes() {
    check(
        &ProfileSchema::okta_default(),
        &[
            ("a valid profile", json!({})),
            (
                "invalidLoginEmail: a space in the login",
                json!({"login": "john smith@example.com"}),
            ),
            ("invalidLoginEmail: no domain", json!({"login": "jsmith"})),
            (
                "required: missing, null and empty",
                json!({"firstName": "<remove>", "lastName": null, "email": ""}),
            ),
            ("maxLength", json!({"firstName": "J".repeat(51)})),
            (
                "minLength and invalidLoginEmail together",
                json!({"login": "ab"}),
            ),
            (
                "timezone: a display name",
                json!({"timezone": "Mountain Time"}),
            ),
            (
                "timezone: wrong case",
                json!({"timezone": "america/denver"}),
            ),
            (
                "timezone: a good one",
                json!({"timezone": "America/Denver"}),
            ),
            ("localeFormat: hyphen", json!({"locale": "en-US"})),
            ("localeFormat: unknown language", json!({"locale": "xx_US"})),
            ("localeFormat: a good one", json!({"locale": "en_US"})),
            (
                "other formats",
                json!({"secondEmail": "john at example", "countryCode": "USA", "profileUrl": "example.com", "preferredLanguage": "english"}),
            ),
            ("type: a number for a string", json!({"title": 42})),
            (
                "not defined",
                json!({"FirstName": "John", "favoriteColor": "blue"}),
            ),
        ],
        expect![[r#"
            == a valid profile
            ok
            == invalidLoginEmail: a space in the login
            invalidLoginEmail [login] login must be an email address
                cause: the login 'john smith@example.com' is not an email address: it contains a space
                fix: map an email address to login, such as the user's work email; if logins in this org are not email addresses, set a login pattern in the profile schema
            == invalidLoginEmail: no domain
            invalidLoginEmail [login] login must be an email address
                cause: the login 'jsmith' is not an email address: it has no @
                fix: map an email address to login, such as the user's work email; if logins in this org are not email addresses, set a login pattern in the profile schema
            == required: missing, null and empty
            platform.cvd.profile.property.constraint.violation.required [firstName] firstName is required
                cause: the profile has no value for firstName (it is missing, null or empty), and the schema requires one
                fix: map a non-empty value to firstName at the profile source or in the mapping, or make firstName optional in the profile schema
            platform.cvd.profile.property.constraint.violation.required [lastName] lastName is required
                cause: the profile has no value for lastName (it is missing, null or empty), and the schema requires one
                fix: map a non-empty value to lastName at the profile source or in the mapping, or make lastName optional in the profile schema
            platform.cvd.profile.property.constraint.violation.required [email] email is required
                cause: the profile has no value for email (it is missing, null or empty), and the schema requires one
                fix: map a non-empty value to email at the profile source or in the mapping
            == maxLength
            platform.cvd.profile.property.constraint.violation.maxLength [firstName] firstName must be at most 50 characters
                cause: firstName is 51 characters long; the schema allows at most 50
                fix: shorten the value at the profile source or in the mapping (for example with substring())
            == minLength and invalidLoginEmail together
            platform.cvd.profile.property.constraint.violation.minLength [login] login must be at least 5 characters
                cause: login is 2 characters long; the schema needs at least 5
                fix: map a longer value at the profile source or in the mapping
            invalidLoginEmail [login] login must be an email address
                cause: the login 'ab' is not an email address: it has no @
                fix: map an email address to login, such as the user's work email; if logins in this org are not email addresses, set a login pattern in the profile schema
            == timezone: a display name
            platform.cvd.profile.property.constraint.violation.timezone [timezone] timezone must be an IANA time zone name such as America/Denver
                cause: the timezone value 'Mountain Time' is not accepted: it is not a name in the IANA time zone database
                fix: map a name from the IANA time zone database (Region/City, case-sensitive), such as America/Denver; display names such as 'Mountain Time' and offsets are not accepted
            == timezone: wrong case
            platform.cvd.profile.property.constraint.violation.timezone [timezone] timezone must be an IANA time zone name such as America/Denver
                cause: the timezone value 'america/denver' is not accepted: time zone names are case-sensitive, and the database spells it 'America/Denver'
                fix: map a name from the IANA time zone database (Region/City, case-sensitive), such as America/Denver; display names such as 'Mountain Time' and offsets are not accepted
            == timezone: a good one
            ok
            == localeFormat: hyphen
            platform.cvd.profile.property.constraint.violation.localeFormat [locale] locale must be a locale such as en_US
                cause: the locale value 'en-US' is not accepted: the separator is '_', not '-': 'en_US'
                fix: map the ISO 639-1 language code, an underscore and the ISO 3166-1 alpha-2 country code, such as en_US or de_CH
            == localeFormat: unknown language
            platform.cvd.profile.property.constraint.violation.localeFormat [locale] locale must be a locale such as en_US
                cause: the locale value 'xx_US' is not accepted: 'xx' is not an ISO 639-1 language code
                fix: map the ISO 639-1 language code, an underscore and the ISO 3166-1 alpha-2 country code, such as en_US or de_CH
            == localeFormat: a good one
            ok
            == other formats
            platform.cvd.profile.property.constraint.violation.uri [profileUrl] profileUrl must be an absolute URI such as https://example.com/me
                cause: the profileUrl value 'example.com' is not accepted: it has no scheme such as https:
                fix: map an absolute URI with its scheme, such as https://example.com/me
            platform.cvd.profile.property.constraint.violation.email [secondEmail] secondEmail must be an email address such as user@example.com
                cause: the secondEmail value 'john at example' is not accepted: it contains a space
                fix: map an email address such as user@example.com to it
            platform.cvd.profile.property.constraint.violation.countryCode [countryCode] countryCode must be an ISO 3166-1 alpha-2 country code such as US
                cause: the countryCode value 'USA' is not accepted: it is not an ISO 3166-1 alpha-2 country code
                fix: map the two-letter ISO 3166-1 code in upper case, such as US or DE
            platform.cvd.profile.property.constraint.violation.languageCode [preferredLanguage] preferredLanguage must be a language tag such as en or en-US
                cause: the preferredLanguage value 'english' is not accepted: 'english' is not a two- or three-letter language code
                fix: map a language tag such as en, en-US or de-CH
            == type: a number for a string
            platform.cvd.profile.property.constraint.violation.type [title] title must be a string
                cause: title is a number, but the schema declares it as a string
                fix: send a string as JSON (for example "42" rather than 42), or convert the value in the mapping
            == not defined
            platform.cvd.profile.property.not.defined [FirstName] property name FirstName is not defined in the profile schema
                cause: the profile has an attribute FirstName that the schema does not define; attribute names are case-sensitive and the schema has firstName
                fix: use the attribute name firstName instead of FirstName
            platform.cvd.profile.property.not.defined [favoriteColor] property name favoriteColor is not defined in the profile schema
                cause: the profile has an attribute favoriteColor that neither the base nor the custom schema defines
                fix: remove favoriteColor from the profile or the mapping, or add favoriteColor as a custom attribute in the profile schema
        "#]],
    );
}

#[test]
fn custom_attribute_constraints() {
    check(
        &org_schema(),
        &[
            (
                "a valid profile",
                json!({"badgeColor": "red", "employeeCode": "AB-123", "shirtSize": "M", "floor": 3, "contractor": false, "skills": ["rust"]}),
            ),
            ("required custom", json!({})),
            ("enum", json!({"badgeColor": "red", "shirtSize": "XXL"})),
            (
                "pattern and minLength",
                json!({"badgeColor": "red", "employeeCode": "ab"}),
            ),
            (
                "pattern must match the whole value",
                json!({"badgeColor": "red", "employeeCode": "AB-1x"}),
            ),
            (
                "type: string for integer, string for boolean",
                json!({"badgeColor": "red", "floor": "3", "contractor": "true"}),
            ),
            (
                "type: integral float is an integer, a fraction is not",
                json!({"badgeColor": "red", "floor": 3.5}),
            ),
            (
                "array: a string for an array, then bad items",
                json!({"badgeColor": "red", "skills": "rust"}),
            ),
            (
                "array items",
                json!({"badgeColor": "red", "skills": ["rust", 7, "cobol"]}),
            ),
        ],
        expect![[r#"
            == a valid profile
            ok
            == required custom
            platform.cvd.profile.property.constraint.violation.required [badgeColor] badgeColor is required
                cause: the profile has no value for badgeColor (it is missing, null or empty), and the schema requires one
                fix: map a non-empty value to badgeColor at the profile source or in the mapping, or make badgeColor optional in the profile schema
            == enum
            platform.cvd.profile.property.constraint.violation.enum [shirtSize] shirtSize must be one of the allowed values
                cause: 'XXL' is not one of the values the schema allows for shirtSize: 'S', 'M', 'L'
                fix: map one of the allowed values, or add the value to the enum of shirtSize in the profile schema
            == pattern and minLength
            platform.cvd.profile.property.constraint.violation.minLength [employeeCode] employeeCode must be at least 3 characters
                cause: employeeCode is 2 characters long; the schema needs at least 3
                fix: map a longer value at the profile source or in the mapping, or lower minLength of employeeCode in the profile schema
            platform.cvd.profile.property.constraint.violation.pattern [employeeCode] employeeCode must match the pattern [A-Z]{2}-\d{1,5}
                cause: 'ab' does not match the pattern [A-Z]{2}-\d{1,5} of employeeCode as a whole
                fix: change the value at the profile source or in the mapping so that all of it matches, or change the pattern in the profile schema
            == pattern must match the whole value
            platform.cvd.profile.property.constraint.violation.pattern [employeeCode] employeeCode must match the pattern [A-Z]{2}-\d{1,5}
                cause: 'AB-1x' does not match the pattern [A-Z]{2}-\d{1,5} of employeeCode as a whole
                fix: change the value at the profile source or in the mapping so that all of it matches, or change the pattern in the profile schema
            == type: string for integer, string for boolean
            platform.cvd.profile.property.constraint.violation.type [floor] floor must be an integer
                cause: floor is a string, but the schema declares it as an integer
                fix: send an integer as JSON (for example 42 rather than "42"), or convert the value in the mapping
            platform.cvd.profile.property.constraint.violation.type [contractor] contractor must be a boolean
                cause: contractor is a string, but the schema declares it as a boolean
                fix: send a boolean as JSON (for example true rather than "true"), or convert the value in the mapping
            == type: integral float is an integer, a fraction is not
            platform.cvd.profile.property.constraint.violation.type [floor] floor must be an integer
                cause: floor is a number with a fraction, but the schema declares it as an integer
                fix: send an integer as JSON (for example 42 rather than "42"), or convert the value in the mapping
            == array: a string for an array, then bad items
            platform.cvd.profile.property.constraint.violation.type [skills] skills must be an array of strings
                cause: skills is a string, but the schema declares it as an array of strings
                fix: send an array of strings as JSON (for example ["a", "b"] rather than "a,b"), or convert the value in the mapping
            == array items
            platform.cvd.profile.property.constraint.violation.type [skills] skills must be an array of strings
                cause: item 1 of skills is a number, but the schema declares skills as an array of strings
                fix: send an array of strings as JSON (for example "42" rather than 42), or convert the value in the mapping
            platform.cvd.profile.property.constraint.violation.enum [skills] skills must be one of the allowed values
                cause: item 2 of skills is 'cobol', which is not one of the values the schema allows: 'rust', 'sql'
                fix: map one of the allowed values, or add the value to the enum of skills in the profile schema
        "#]],
    );
}

#[test]
fn multiple_violations_are_all_reported() {
    check(
        &org_schema(),
        &[(
            "an import row with many problems",
            json!({
                "login": "john smith@example",
                "lastName": null,
                "firstName": "J".repeat(60),
                "locale": "EN_us",
                "timezone": "Mountain Time",
                "floor": "three",
                "Department": "Sales",
            }),
        )],
        expect![[r#"
            == an import row with many problems
            invalidLoginEmail [login] login must be an email address
                cause: the login 'john smith@example' is not an email address: it contains a space
                fix: map an email address to login, such as the user's work email; if logins in this org are not email addresses, set a login pattern in the profile schema
            platform.cvd.profile.property.constraint.violation.maxLength [firstName] firstName must be at most 50 characters
                cause: firstName is 60 characters long; the schema allows at most 50
                fix: shorten the value at the profile source or in the mapping (for example with substring())
            platform.cvd.profile.property.constraint.violation.required [lastName] lastName is required
                cause: the profile has no value for lastName (it is missing, null or empty), and the schema requires one
                fix: map a non-empty value to lastName at the profile source or in the mapping, or make lastName optional in the profile schema
            platform.cvd.profile.property.constraint.violation.localeFormat [locale] locale must be a locale such as en_US
                cause: the locale value 'EN_us' is not accepted: the language is lower case and the country upper case: 'en_US'
                fix: map the ISO 639-1 language code, an underscore and the ISO 3166-1 alpha-2 country code, such as en_US or de_CH
            platform.cvd.profile.property.constraint.violation.timezone [timezone] timezone must be an IANA time zone name such as America/Denver
                cause: the timezone value 'Mountain Time' is not accepted: it is not a name in the IANA time zone database
                fix: map a name from the IANA time zone database (Region/City, case-sensitive), such as America/Denver; display names such as 'Mountain Time' and offsets are not accepted
            platform.cvd.profile.property.constraint.violation.type [floor] floor must be an integer
                cause: floor is a string, but the schema declares it as an integer
                fix: send an integer as JSON (for example 42 rather than "42"), or convert the value in the mapping
            platform.cvd.profile.property.constraint.violation.required [badgeColor] badgeColor is required
                cause: the profile has no value for badgeColor (it is missing, null or empty), and the schema requires one
                fix: map a non-empty value to badgeColor at the profile source or in the mapping, or make badgeColor optional in the profile schema
            platform.cvd.profile.property.not.defined [Department] property name Department is not defined in the profile schema
                cause: the profile has an attribute Department that the schema does not define; attribute names are case-sensitive and the schema has department
                fix: use the attribute name department instead of Department
        "#]],
    );
}

#[test]
fn login_pattern_replaces_the_email_check() {
    let mut schema = ProfileSchema::okta_default();
    schema.set_login_pattern(Some("[a-z0-9.]+")).unwrap();
    let mut any = ProfileSchema::okta_default();
    any.set_login_pattern(Some(".+")).unwrap();
    let mut out = String::new();
    for (label, s, login) in [
        ("[a-z0-9.]+ accepts jsmith", &schema, "jsmith"),
        ("[a-z0-9.]+ refuses JSmith", &schema, "JSmith"),
        (".+ lifts the 5-character minimum", &any, "js"),
    ] {
        let _ = write!(
            out,
            "== {label}\n{}",
            render(&s.validate(&profile(json!({ "login": login }))))
        );
    }
    expect![[r#"
        == [a-z0-9.]+ accepts jsmith
        ok
        == [a-z0-9.]+ refuses JSmith
        platform.cvd.profile.property.constraint.violation.pattern [login] login must match the pattern [a-z0-9.]+
            cause: 'JSmith' does not match the pattern [a-z0-9.]+ of login as a whole
            fix: change the value at the profile source or in the mapping so that all of it matches, or change the login pattern in the profile schema
        == .+ lifts the 5-character minimum
        ok
    "#]]
    .assert_eq(&out);
}

#[test]
fn not_unique_within_org_comes_from_the_store() {
    let v = Violation::not_unique_within_org("login");
    let other = Violation::not_unique_within_org("employeeCode");
    expect![[r#"
        notUniqueWithinOrg [login] login must be unique within the org
            cause: another user already has this login (logins are compared without regard to case)
            fix: give this user a different login, or, if the other user is stale, deactivate and delete it first; search with filter=login eq "..." to find it
        notUniqueWithinOrg [employeeCode] employeeCode must be unique within the org
            cause: another user already has this employeeCode, and the schema marks employeeCode unique
            fix: give this user a different employeeCode, or, if the other user is stale, deactivate and delete it first; search with filter=employeeCode eq "..." to find it
    "#]]
    .assert_eq(&render(&Err(vec![v, other])));
    assert_eq!(
        normalize_login("John.Smith@Example.COM"),
        "john.smith@example.com"
    );
    let schema = org_schema();
    let unique: Vec<&str> = schema.unique_attributes().collect();
    assert_eq!(unique, ["login", "employeeCode"]);
}

#[test]
fn firstname_can_be_made_optional_but_email_cannot() {
    let mut schema = ProfileSchema::okta_default();
    schema.set_base_required("firstName", false).unwrap();
    assert_eq!(
        schema.validate(&profile(json!({"firstName": null}))),
        Ok(())
    );
    assert_eq!(
        schema.set_base_required("email", false),
        Err(SchemaError::BaseNotModifiable {
            name: "email".into()
        })
    );
}

#[test]
fn bad_attribute_definitions_are_refused() {
    let s = AttributeDef::string;
    let cases: Vec<(&str, AttributeDef)> = vec![
        ("2fast", s("Two")),
        ("status", s("Status")),
        ("FirstName", s("First")),
        ("employeeCode", s("Duplicate")),
        ("EmployeeCODE", s("Duplicate in another case")),
        ("nickname2", s("   ")),
        (
            "count",
            AttributeDef::new("Count", AttributeType::Integer).length(Some(1), None),
        ),
        (
            "flag",
            AttributeDef::new("Flag", AttributeType::Boolean).unique(),
        ),
        ("tags", AttributeDef::new("Tags", AttributeType::Array)),
        (
            "flags",
            AttributeDef::array_of("Flags", AttributeType::Boolean),
        ),
        ("code2", s("Code").length(Some(10), Some(2))),
        ("code3", s("Code").pattern("([a-z]")),
        ("code4", s("Code").pattern(r"(?=a)b")),
        ("size2", s("Size").one_of(vec![])),
        (
            "level",
            AttributeDef::new("Level", AttributeType::Integer).one_of(vec![json!(1), json!("two")]),
        ),
        (
            "when",
            AttributeDef::new("When", AttributeType::Number).format(Format::Timezone),
        ),
    ];
    let mut schema = org_schema();
    let mut out = String::new();
    for (name, def) in cases {
        match schema.add_custom(name, def) {
            Ok(()) => {
                let _ = writeln!(out, "{name}: accepted");
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "{name}: {} {e}\n    cause: {}\n    fix: {}",
                    e.code(),
                    e.cause(),
                    e.remediation()
                );
            }
        }
    }
    expect![[r#"
        2fast: E0000001 attribute name "2fast" is not valid
            cause: "2fast" does not start with a letter followed by letters, digits and underscores
            fix: use a name such as employeeType or cost_center_2
        status: E0000001 attribute name "status" is reserved
            cause: "status" is a property of the user object or a word the API reserves
            fix: choose another name than "status", for example with a prefix such as orgStatus
        FirstName: E0000001 custom attribute "FirstName" collides with base attribute "firstName"
            cause: "FirstName" is the base attribute "firstName" (names are compared without case)
            fix: choose another name than "FirstName", for example with a prefix such as orgFirstName
        employeeCode: E0000001 custom attribute "employeeCode" collides with custom attribute "employeeCode"
            cause: the custom attribute "employeeCode" exists already, and "employeeCode" differs from it at most in case
            fix: update "employeeCode" instead of adding a second attribute, or choose a clearly different name
        EmployeeCODE: E0000001 custom attribute "EmployeeCODE" collides with custom attribute "employeeCode"
            cause: the custom attribute "employeeCode" exists already, and "EmployeeCODE" differs from it at most in case
            fix: update "employeeCode" instead of adding a second attribute, or choose a clearly different name
        nickname2: E0000001 attribute "nickname2" has an empty title
            cause: attribute "nickname2" has no title to show to people
            fix: give the attribute a title such as "Employee type"
        count: E0000001 minLength does not apply to integer attribute "count"
            cause: minLength applies to strings, and "count" is an integer
            fix: remove minLength, or change the attribute's type
        flag: E0000001 unique does not apply to boolean attribute "flag"
            cause: unique applies to strings, integers and numbers, and "flag" is a boolean
            fix: remove unique, or change the attribute's type
        tags: E0000001 array attribute "tags" has no items type
            cause: "tags" is an array but says nothing about its items
            fix: add "items": {"type": "string"} (or integer, number)
        flags: E0000001 array attribute "flags" has items of type boolean
            cause: the items of "flags" are boolean, but arrays hold strings, integers or numbers
            fix: use items of type string, integer or number
        code2: E0000001 attribute "code2" has minLength 10 greater than maxLength 2
            cause: no value can be at least 10 and at most 2 characters long, so "code2" could never be set
            fix: make minLength at most maxLength
        code3: E0000001 attribute "code3" has a pattern that does not compile: unclosed group
            cause: the pattern "([a-z]" is not a regular expression roster understands: unclosed group
            fix: fix the regular expression; look-around and back-references are not supported, and the pattern must match the whole value
        code4: E0000001 attribute "code4" has a pattern that does not compile: look-around, including look-ahead and look-behind, is not supported
            cause: the pattern "(?=a)b" is not a regular expression roster understands: look-around, including look-ahead and look-behind, is not supported
            fix: fix the regular expression; look-around and back-references are not supported, and the pattern must match the whole value
        size2: E0000001 attribute "size2" has a bad enum: the enum of "size2" is empty, so no value could ever be set
            cause: the enum of "size2" is empty, so no value could ever be set
            fix: list at least one allowed value, each of the attribute's type (for arrays, put the enum under items)
        level: E0000001 attribute "level" has a bad enum: the enum of "level" lists 'two', which is not an integer
            cause: the enum of "level" lists 'two', which is not an integer
            fix: list at least one allowed value, each of the attribute's type (for arrays, put the enum under items)
        when: E0000001 format does not apply to number attribute "when"
            cause: format applies to strings, and "when" is a number
            fix: remove format, or change the attribute's type
    "#]]
    .assert_eq(&out);
}

#[test]
fn custom_attributes_can_be_changed_and_removed() {
    let mut schema = org_schema();
    let old = schema
        .update_custom(
            "shirtSize",
            AttributeDef::string("Shirt size").one_of(vec![json!("S"), json!("XXL")]),
        )
        .unwrap();
    assert_eq!(old.enum_values.map(|v| v.len()), Some(3));
    let p = profile(json!({"badgeColor": "red", "shirtSize": "XXL"}));
    assert_eq!(schema.validate(&p), Ok(()));

    schema.remove_custom("shirtSize").unwrap();
    let codes: Vec<&str> = schema
        .validate(&p)
        .unwrap_err()
        .iter()
        .map(|v| v.code)
        .collect();
    assert_eq!(codes, [codes::NOT_DEFINED]);

    // A new pattern takes effect, and the old compiled one is gone.
    schema
        .update_custom(
            "employeeCode",
            AttributeDef::string("Employee code").pattern("[0-9]+"),
        )
        .unwrap();
    assert_eq!(
        schema.validate(&profile(
            json!({"badgeColor": "red", "employeeCode": "123"})
        )),
        Ok(())
    );

    assert_eq!(
        schema.remove_custom("login"),
        Err(SchemaError::BaseNotModifiable {
            name: "login".into()
        })
    );
    assert_eq!(
        schema.remove_custom("nope"),
        Err(SchemaError::NotDefined {
            name: "nope".into()
        })
    );
    assert!(matches!(
        schema.update_custom("email", AttributeDef::string("E")),
        Err(SchemaError::BaseNotModifiable { .. })
    ));
}

#[test]
fn okta_default_has_okta_s_31_base_attributes() {
    let schema = ProfileSchema::okta_default();
    let names: Vec<&str> = schema.base_attributes().map(|(n, _)| n).collect();
    assert_eq!(names.len(), 31);
    let json = serde_json::to_value(&schema).unwrap();
    let required = &json["definitions"]["base"]["required"];
    assert_eq!(
        required,
        &json!(["login", "firstName", "lastName", "email"])
    );
    let mut out = String::new();
    for (name, def) in schema.base_attributes() {
        let _ = writeln!(out, "{name}: {}", serde_json::to_string(def).unwrap());
    }
    expect![[r#"
        login: {"title":"Username","type":"string","required":true,"minLength":5,"maxLength":100,"unique":"UNIQUE_VALIDATED"}
        firstName: {"title":"First name","type":"string","required":true,"minLength":1,"maxLength":50}
        lastName: {"title":"Last name","type":"string","required":true,"minLength":1,"maxLength":50}
        middleName: {"title":"Middle name","type":"string"}
        honorificPrefix: {"title":"Honorific prefix","type":"string"}
        honorificSuffix: {"title":"Honorific suffix","type":"string"}
        email: {"title":"Primary email","type":"string","required":true,"format":"email"}
        title: {"title":"Title","type":"string"}
        displayName: {"title":"Display name","type":"string"}
        nickName: {"title":"Nickname","type":"string"}
        profileUrl: {"title":"Profile Url","type":"string","format":"uri"}
        secondEmail: {"title":"Secondary email","type":"string","format":"email"}
        mobilePhone: {"title":"Mobile phone","type":"string","maxLength":100}
        primaryPhone: {"title":"Primary phone","type":"string","maxLength":100}
        streetAddress: {"title":"Street address","type":"string"}
        city: {"title":"City","type":"string"}
        state: {"title":"State","type":"string"}
        zipCode: {"title":"Zip code","type":"string"}
        countryCode: {"title":"Country code","type":"string","format":"country-code"}
        postalAddress: {"title":"Postal Address","type":"string"}
        preferredLanguage: {"title":"Preferred language","type":"string","format":"language-code"}
        locale: {"title":"Locale","type":"string","format":"locale"}
        timezone: {"title":"Time zone","type":"string","format":"timezone"}
        userType: {"title":"User type","type":"string"}
        employeeNumber: {"title":"Employee number","type":"string"}
        costCenter: {"title":"Cost center","type":"string"}
        organization: {"title":"Organization","type":"string"}
        division: {"title":"Division","type":"string"}
        department: {"title":"Department","type":"string"}
        managerId: {"title":"ManagerId","type":"string"}
        manager: {"title":"Manager","type":"string"}
    "#]]
    .assert_eq(&out);
}

#[test]
fn schema_serialises_in_okta_shape_and_round_trips() {
    let mut schema = ProfileSchema::okta_default();
    schema
        .add_custom(
            "costCode",
            AttributeDef::string("Cost code")
                .required()
                .pattern("[0-9]{4}")
                .unique(),
        )
        .unwrap();
    schema.set_base_required("lastName", false).unwrap();
    schema.set_login_pattern(Some("[a-z]+")).unwrap();
    let json = serde_json::to_value(&schema).unwrap();
    let mut outline = json.clone();
    outline["definitions"]["base"]["properties"] = json!("...");
    expect![[r##"
        {
          "id": "/meta/schemas/user/default",
          "$schema": "http://json-schema.org/draft-04/schema#",
          "name": "user",
          "title": "User",
          "type": "object",
          "definitions": {
            "custom": {
              "id": "#custom",
              "type": "object",
              "properties": {
                "costCode": {
                  "title": "Cost code",
                  "type": "string",
                  "required": true,
                  "pattern": "[0-9]{4}",
                  "unique": "UNIQUE_VALIDATED"
                }
              },
              "required": [
                "costCode"
              ]
            },
            "base": {
              "id": "#base",
              "type": "object",
              "properties": "...",
              "required": [
                "login",
                "firstName",
                "email"
              ]
            }
          },
          "properties": {
            "profile": {
              "allOf": [
                {
                  "$ref": "#/definitions/custom"
                },
                {
                  "$ref": "#/definitions/base"
                }
              ]
            }
          }
        }"##]]
    .assert_eq(&serde_json::to_string_pretty(&outline).unwrap());
    let back: ProfileSchema = serde_json::from_value(json).unwrap();
    assert_eq!(back, schema);
    assert!(back
        .validate(&profile(json!({"login": "jsmith", "costCode": "12"})))
        .is_err());
}

#[test]
fn changed_base_attributes_are_refused_on_read() {
    let mut json = serde_json::to_value(ProfileSchema::okta_default()).unwrap();
    json["definitions"]["base"]["properties"]["email"]["maxLength"] = json!(10);
    let err = ProfileSchema::from_okta_json(json).unwrap_err();
    assert_eq!(
        err,
        SchemaError::BaseNotModifiable {
            name: "email".into()
        }
    );
}

#[test]
fn okta_properties_we_ignore_are_accepted_on_input() {
    let json = json!({"definitions": {"custom": {"properties": {"nick": {
        "title": "Nick", "type": "string", "mutability": "READ_WRITE", "scope": "NONE",
        "permissions": [{"principal": "SELF", "action": "READ_ONLY"}], "master": {"type": "PROFILE_MASTER"}
    }}, "required": ["nick"]}}});
    let schema = ProfileSchema::from_okta_json(json).unwrap();
    assert_eq!(schema.attribute("nick").map(|d| d.required), Some(true));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,120}".prop_map(Value::String),
        "[a-z]{1,8}[@ ][a-z]{0,8}(\\.[a-z]{0,3})?".prop_map(Value::String),
        prop::sample::select(vec![
            "America/Denver",
            "en_US",
            "en-US",
            "US",
            "M",
            "XXL",
            "AB-12",
            "rust"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_key() -> impl Strategy<Value = String> {
    let schema = org_schema();
    let known: Vec<String> = schema
        .base_attributes()
        .chain(schema.custom_attributes())
        .map(|(n, _)| n.to_string())
        .collect();
    prop_oneof![prop::sample::select(known), ".{0,12}"]
}

proptest! {
    #[test]
    fn validate_never_panics(entries in prop::collection::vec((arb_key(), arb_json()), 0..24)) {
        let profile: Map<String, Value> = entries.into_iter().collect();
        let schema = org_schema();
        if let Err(violations) = schema.validate(&profile) {
            prop_assert!(!violations.is_empty());
            for v in &violations {
                prop_assert!(!v.cause().is_empty() && !v.remediation().is_empty());
            }
        }
    }
}

#[test]
fn okta_s_own_base_login_without_unique_is_accepted() {
    let json = json!({"definitions": {"base": {"properties": {"login": {
        "title": "Username", "type": "string", "required": true, "minLength": 5, "maxLength": 100,
        "pattern": "[a-z.]+", "permissions": [{"principal": "SELF", "action": "READ_ONLY"}]
    }}}}});
    let schema = ProfileSchema::from_okta_json(json).unwrap();
    assert_eq!(
        schema.attribute("login").and_then(|d| d.pattern.as_deref()),
        Some("[a-z.]+")
    );
    assert_eq!(schema.unique_attributes().next(), Some("login"));
}
