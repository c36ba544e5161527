//! Two inputs in one target, chosen by the first byte:
//! - a whole transformation document (JSON text): parsing never panics, a refused document
//!   names at least one problem, an accepted one applies to a fixed user in every scope
//!   without panicking;
//! - a string used as sourcePath, targetPath, condition and regex: the same, and when a
//!   constant was written at that target path, the path reads it back as a JSONPath query.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use rand::rngs::mock::StepRng;
use roster_transform::{Entity, Scope, Transformation};
use serde_json::{json, Value};

static USER: LazyLock<Value> = LazyLock::new(|| {
    json!({
        "id": "00u1",
        "status": "ACTIVE",
        "profile": {"login": "bjensen@example.com", "firstName": "Barbara", "lastName": "Jensen",
                    "locale": "de_DE", "timezone": "AST", "title": "", "nickName": null,
                    "addresses": [{"street": "Main 1"}, {"type": "home"}]},
        "emails": [{"value": "bjensen@example.com", "primary": true}, {"value": "b@j.org"}],
        "credentials": {"password": {"value": "x"}},
        "groups": ["g1", "g2", 7, null, []]
    })
});

fn run(doc: &Value) -> Option<Transformation> {
    match Transformation::parse(doc) {
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused document names a problem");
            for e in &errors {
                let _ = e.to_string();
            }
            None
        }
        Ok(t) => {
            let mut rng = StepRng::new(1, 0x9E37_79B9_7F4A_7C15);
            for entity in [Entity::User, Entity::Group] {
                for scope in [Scope::Create, Scope::Patch, Scope::Delete] {
                    if let Err(e) = t.apply(entity, scope, &USER, &mut rng) {
                        let _ = e.to_string();
                    }
                }
            }
            Some(t)
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if mode % 2 == 0 {
        if let Ok(doc) = serde_json::from_str::<Value>(text) {
            run(&doc);
        }
        return;
    }
    run(&json!({"user": {"mappings": [
        {"sourcePath": text, "targetPath": "$.a", "optional": true},
        {"constant": "x", "targetPath": "$.b", "condition": text},
        {"sourcePath": "$.profile.firstName", "targetPath": "$.c",
         "functions": [{"type": "replaceAllString", "regex": text, "replacement": "$1"}]},
    ]}}));
    let doc = json!({"user": {"mappings": [{"constant": "v", "targetPath": text}]}});
    if let Ok(t) = Transformation::parse(&doc) {
        let mut rng = StepRng::new(0, 1);
        if let Ok(out) = t.apply(Entity::User, Scope::Create, &json!({}), &mut rng) {
            let path =
                serde_json_path::JsonPath::parse(text).expect("an accepted target path parses");
            assert_eq!(path.query(&out).all(), vec![&json!("v")], "{text}");
        }
    }
});
