#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Properties: generated passwords meet the policy their arguments promise; a value written
//! at a target path reads back through the same path as a JSONPath query; parsing arbitrary
//! conditions and paths never panics.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use roster_transform::password::{CharacterPolicy, PasswordSpec, DEFAULT_SPECIAL_SYMBOLS};
use roster_transform::{Entity, Scope, Transformation};
use serde_json::{json, Value};

proptest! {
    #[test]
    fn random_password_meets_the_ias_policy(
        seed in any::<u64>(),
        length in 8usize..64,
        lower in 1usize..3,
        upper in 1usize..3,
        digits in 1usize..3,
        special in 0usize..3,
    ) {
        let spec = PasswordSpec {
            length,
            min_lowercase: lower,
            min_uppercase: upper,
            min_digits: digits,
            min_special: special,
            special_symbols: DEFAULT_SPECIAL_SYMBOLS.chars().collect(),
        };
        prop_assert!(spec.problems().is_empty());
        let mut rng = StdRng::seed_from_u64(seed);
        let pw = spec.generate(&mut rng);
        prop_assert_eq!(pw.chars().count(), length);
        prop_assert!(pw.chars().filter(|c| c.is_ascii_lowercase()).count() >= lower);
        prop_assert!(pw.chars().filter(|c| c.is_ascii_uppercase()).count() >= upper);
        prop_assert!(pw.chars().filter(|c| c.is_ascii_digit()).count() >= digits);
        prop_assert!(pw.chars().filter(|c| !c.is_ascii_alphanumeric()).count() >= special);
        let ias = CharacterPolicy { min_length: 8, max_length: 255, min_groups: 3 };
        prop_assert_eq!(ias.check(&pw), Vec::<String>::new());
    }

    #[test]
    fn written_value_reads_back_through_the_same_path(
        segments in prop::collection::vec(
            prop_oneof![
                "[a-zA-Z_][a-zA-Z0-9_]{0,6}".prop_map(|n| format!(".{n}")),
                "[a-z :.'-]{1,6}".prop_map(|n| format!("['{}']", n.replace('\'', "\\'"))),
                (0usize..4).prop_map(|i| format!("[{i}]")),
            ],
            1..5,
        ),
        value in "[a-z]{0,8}",
    ) {
        // the target starts as an object, so the first segment is a name
        let path = format!("$.first{}", segments.concat());
        let doc = json!({"user": {"mappings": [{"constant": value, "targetPath": path}]}});
        let t = Transformation::parse(&doc).unwrap();
        let mut rng = StdRng::seed_from_u64(0);
        let out = t.apply(Entity::User, Scope::Create, &json!({}), &mut rng).unwrap();
        let query = serde_json_path::JsonPath::parse(&path).unwrap();
        let expected = Value::String(value.clone());
        prop_assert_eq!(query.query(&out).all(), vec![&expected]);
    }

    #[test]
    fn parsing_never_panics(text in "\\PC{0,40}") {
        let doc = json!({"user": {"mappings": [
            {"sourcePath": text, "targetPath": text, "condition": text},
            {"constant": 1, "targetPath": "$.x", "condition": text},
        ]}});
        if let Ok(t) = Transformation::parse(&doc) {
            let mut rng = StdRng::seed_from_u64(0);
            let _ = t.apply(Entity::User, Scope::Create, &json!({"a": [1, {"b": "c"}]}), &mut rng);
        }
    }
}
