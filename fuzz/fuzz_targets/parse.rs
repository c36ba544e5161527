//! Parses arbitrary UTF-8. Whatever parses must print canonical text that parses back to the
//! same tree (and prints the same again), and must evaluate against a fixed document without
//! panicking; whatever fails must carry a usable position.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use roster_filter::{parse, MatchOptions};
use serde_json::{json, Value};

static DOC: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "id": "00u1",
        "userName": "bjensen@example.com",
        "status": "ACTIVE",
        "active": true,
        "loginCount": 42,
        "score": -2.5,
        "title": "",
        "nickName": null,
        "lastUpdated": "2026-02-03T10:00:00.000Z",
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "emails": [
            {"type": "work", "value": "bjensen@example.com", "primary": true},
            {"type": "home", "value": "babs@jensen.org"}
        ],
        "roles": ["admin", "Auditor", 7, null, []],
        "profile": {"login": "bjensen", "lastName": "Jensen"},
        "debugContext": {"debugData": {"ErrorCode": "notUniqueWithinOrg"}},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "manager": {"value": "26118915"}
        }
    })
});

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    match parse(input) {
        Ok(filter) => {
            let text = filter.to_string();
            let again = match parse(&text) {
                Ok(again) => again,
                Err(err) => panic!("canonical text {text:?} of {input:?} does not parse: {err}"),
            };
            assert!(again.same_as(&filter), "{input:?} -> {text:?}");
            assert_eq!(again.to_string(), text);
            let span = filter.span();
            assert!(span.start <= span.end && span.end <= input.len());
            let loose = filter.matches(&DOC);
            let exact = filter.matches_with(&DOC, &MatchOptions { case_exact: true });
            // The same tree evaluates the same.
            assert_eq!(again.matches(&DOC), loose);
            assert_eq!(
                again.matches_with(&DOC, &MatchOptions { case_exact: true }),
                exact
            );
        }
        Err(err) => {
            assert!(err.position() <= input.len());
            assert!(input.is_char_boundary(err.position()));
            assert!(!err.message().is_empty());
            assert!(!err.code().is_empty());
            let caret = err.caret(input);
            assert!(caret.ends_with('^'));
        }
    }
});
