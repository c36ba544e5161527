//! Tests for the crate's public surface. Argon2 at OWASP's parameters is slow in debug builds, so
//! only a handful of full-cost hashes are made here.

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::*;

const PASSWORD: &str = "Corr3ct-Horse!";

fn import(json: &str) -> ImportedHash {
    serde_json::from_str(json).unwrap()
}

#[test]
fn argon2id_roundtrip_mismatch_and_fresh_salts() {
    let first = hash_password(PASSWORD).unwrap();
    assert!(
        first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{first}"
    );
    assert_eq!(
        verify_password(PASSWORD, &first),
        Ok(Verified::Match {
            needs_upgrade: false
        })
    );
    assert_eq!(
        verify_password("corr3ct-horse!", &first),
        Ok(Verified::Mismatch)
    );
    assert!(!needs_upgrade(&first));
    let second = hash_password(PASSWORD).unwrap();
    assert_ne!(first, second, "each hash gets its own salt");
}

#[test]
fn argon2_parameters_are_owasps() {
    // OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1 (also argon2's default).
    assert_eq!(ARGON2_M_COST_KIB, 19 * 1024);
    assert_eq!(
        (ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST),
        (
            Params::DEFAULT_M_COST,
            Params::DEFAULT_T_COST,
            Params::DEFAULT_P_COST
        )
    );
}

fn cheap_argon2(algorithm: Algorithm, m: u32, t: u32) -> String {
    let params = Params::new(m, t, 1, None).unwrap();
    let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
    Argon2::new(algorithm, Version::V0x13, params)
        .hash_password(PASSWORD.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

#[test]
fn weaker_argon2_hashes_match_but_need_upgrade() {
    for (algorithm, m, t) in [
        (Algorithm::Argon2id, 8 * 1024, 2),
        (Algorithm::Argon2id, ARGON2_M_COST_KIB, 1),
        (Algorithm::Argon2i, 1024, 2),
        (Algorithm::Argon2d, 1024, 2),
    ] {
        let encoded = cheap_argon2(algorithm, m, t);
        assert_eq!(
            verify_password(PASSWORD, &encoded),
            Ok(Verified::Match {
                needs_upgrade: true
            }),
            "{encoded}"
        );
        assert_eq!(verify_password("nope", &encoded), Ok(Verified::Mismatch));
        assert!(needs_upgrade(&encoded));
    }
}

/// Known answers computed with Python's hashlib (cross-checked with `openssl dgst` and
/// `openssl kdf PBKDF2`) and the Python `bcrypt` package, for the password `Corr3ct-Horse!` and
/// the salt bytes 0x01..=0x10.
const KNOWN_ANSWERS: &[(&str, &str)] = &[
    (
        r#"{"algorithm":"MD5","value":"PhBRMxU+OAUrxYKDmxZswg=="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"MD5","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"PREFIX","value":"M2ILLWtDlq+hvn355jOJcw=="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"MD5","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"POSTFIX","value":"bbWrIumS8wbVWM3MFcss/w=="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-1","value":"EjeZTyRywWxnpnGz8xc3ISs3JFM="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-1","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"PREFIX","value":"aQXj6d7gllb2ijur5AiPFGJzZow="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-1","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"POSTFIX","value":"RqU51i6GEaF7UwdcBfGPhCSMhKk="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-256","value":"7Tc4CnpUtR6cqCi6criZ4XzN3it3SQaPxvuqIeAJgro="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-256","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"PREFIX","value":"ux/fQYKsVYJUcDcYzJIeuN4tSY56ukDFATEOZTtAUy4="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-256","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"POSTFIX","value":"SJHUloIaazkuPVz85EQ4mi8n76tM1M0NHrt/KJdm6Oo="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-512","value":"wh1bNGdvi1nw5b5RBnJXQQAPWwOdnkSHtaM9qOs0sOfB2yuEDxTF8btroCPP+zEkyE4zfFRxEU15uPKoenp+7A=="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-512","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"PREFIX","value":"xD0U63+Xly9kpgwoz50CpLlgsWl/JwofxqaHp6HU30WXCFYzTXyFXlGLEbLQ99vT23QQ+uh4aZD4rD9OOesqTA=="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"SHA-512","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"POSTFIX","value":"Jv/Pu1KyzUJEBxlY0DxryrPN1fWEY7igztUeOb22PmC2A0tjK6EktpA+PuHSZQ1TfxAr8dsAeha13TlWOMNvyg=="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"PBKDF2","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","iterationCount":4096,"keySize":32,"digestAlgorithm":"SHA256_HMAC","value":"qze6lPB+1q9bZf3X6+YhVB45ZK3vSsEJtuPD/xZyBjA="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"PBKDF2","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","iterationCount":4096,"keySize":64,"digestAlgorithm":"SHA512_HMAC","value":"KT79y5aJwiY/eGB7AKRqDH4nIOmyWyE3i2Db2lo0UaXOWjQ44ixuoDP0vHCnax18D+M3LO+NY2FbBJUql9Z/LA=="}"#,
        PASSWORD,
    ),
    (
        r#"{"algorithm":"BCRYPT","workFactor":10,"salt":"ba.JAtrhEUpwoXr7ax1vve","value":"/lMsSeWnAlWHc.TclC4lsNGLXVRHgli"}"#,
        PASSWORD,
    ),
    // A non-ASCII password, hashed as UTF-8.
    (
        r#"{"algorithm":"SHA-256","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","saltOrder":"POSTFIX","value":"RFS5NeiWKh74RLFBJZ7eWhbpekcj9zJIfBJtZgcUooM="}"#,
        "Pässwörd€1",
    ),
    // The worked examples of Okta's "Ultimate Guide to Password Hashing in Okta".
    (
        r#"{"algorithm":"MD5","value":"KqqDNf0DDgVKmOOyxYUrNA=="}"#,
        "test password",
    ),
    (
        r#"{"algorithm":"SHA-1","value":"LOsCqF9tTebCiy5Z/aiG1Sba+w0="}"#,
        "test password",
    ),
    (
        r#"{"algorithm":"SHA-256","value":"C0fGmxAzSY1fM/X32Xu2oxJhNHUWKfTQGFwRXbRMCU4="}"#,
        "test password",
    ),
    (
        r#"{"algorithm":"MD5","salt":"R0lGODlhAQABAAAAADs=","saltOrder":"POSTFIX","value":"pqTUVToGARL1yM3/jthCHA=="}"#,
        "test password",
    ),
    (
        r#"{"algorithm":"SHA-256","salt":"R0lGODlhAQABAAAAADs=","saltOrder":"POSTFIX","value":"6ONMDzdYZltRuM8j0EaG0eUgY0ooPj/m09MqlnGJ3AQ="}"#,
        "test password",
    ),
];

#[test]
fn imported_hashes_verify_against_known_answers() {
    for (json, password) in KNOWN_ANSWERS {
        let hash = import(json);
        assert_eq!(hash.validate(), Ok(()), "{json}");
        let stored = hash.encode().unwrap();
        assert!(stored.starts_with(IMPORT_PREFIX), "{stored}");
        assert_eq!(
            verify_password(password, &stored),
            Ok(Verified::Match {
                needs_upgrade: true
            }),
            "{json}"
        );
        assert_eq!(
            verify_password("Corr3ct-Horse?", &stored),
            Ok(Verified::Mismatch),
            "{json}"
        );
        assert!(needs_upgrade(&stored));
    }
}

#[test]
fn plain_bcrypt_strings_verify_and_need_upgrade() {
    // From Python's bcrypt.hashpw(b"Corr3ct-Horse!", bcrypt.gensalt(4, b"2a")).
    let stored = "$2a$04$LSniSr9xn7hadD35RpuRDu6ae0OmgSFmSr.gby1xViYvoNDGT0MO2";
    assert_eq!(
        verify_password(PASSWORD, stored),
        Ok(Verified::Match {
            needs_upgrade: true
        })
    );
    assert_eq!(verify_password("wrong", stored), Ok(Verified::Mismatch));
}

#[test]
fn stored_forms_are_self_describing() {
    let cases = [
        (
            r#"{"algorithm":"bcrypt","workFactor":10,"salt":"ba.JAtrhEUpwoXr7ax1vve","value":"/lMsSeWnAlWHc.TclC4lsNGLXVRHgli"}"#,
            "$roster-import$bcrypt$cost=10$ba.JAtrhEUpwoXr7ax1vve$/lMsSeWnAlWHc.TclC4lsNGLXVRHgli",
        ),
        (
            r#"{"algorithm":"MD5","value":"PhBRMxU+OAUrxYKDmxZswg","saltOrder":"PREFIX"}"#,
            "$roster-import$md5$order=none$$PhBRMxU+OAUrxYKDmxZswg==",
        ),
        (
            r#"{"algorithm":"SHA-256","salt":"AQIDBAUGBwgJCgsMDQ4PEA","saltOrder":"postfix","value":"SJHUloIaazkuPVz85EQ4mi8n76tM1M0NHrt/KJdm6Oo="}"#,
            "$roster-import$sha-256$order=postfix$AQIDBAUGBwgJCgsMDQ4PEA==$SJHUloIaazkuPVz85EQ4mi8n76tM1M0NHrt/KJdm6Oo=",
        ),
        (
            r#"{"algorithm":"PBKDF2","salt":"AQIDBAUGBwgJCgsMDQ4PEA==","iterationCount":4096,"keySize":32,"digestAlgorithm":"SHA256_HMAC","value":"qze6lPB+1q9bZf3X6+YhVB45ZK3vSsEJtuPD/xZyBjA="}"#,
            "$roster-import$pbkdf2$digest=sha256,i=4096$AQIDBAUGBwgJCgsMDQ4PEA==$qze6lPB+1q9bZf3X6+YhVB45ZK3vSsEJtuPD/xZyBjA=",
        ),
    ];
    for (json, want) in cases {
        assert_eq!(import(json).encode().unwrap(), want);
    }
}

/// `code field: message` for each problem `validate` reports.
fn problems(json: &str) -> Vec<String> {
    match import(json).validate() {
        Ok(()) => vec!["ok".into()],
        Err(errors) => errors
            .iter()
            .map(|e| format!("{} {}: {}", e.code(), e.field().unwrap_or("-"), e))
            .collect(),
    }
}

#[test]
fn validate_names_the_field_and_reports_every_problem() {
    let cases: &[(&str, &[&str])] = &[
        (r#"{"value":"x"}"#, &["missingField algorithm: algorithm is required for a hashed password"]),
        (
            r#"{"algorithm":"ARGON9","value":"x"}"#,
            &["unknownAlgorithm algorithm: unknown hash algorithm \"ARGON9\": use one of BCRYPT, SHA-512, SHA-256, SHA-1, MD5, PBKDF2"],
        ),
        (
            r#"{"algorithm":"BCRYPT","value":"/lMsSeWnAlWHc.TclC4lsNGLXVRHgli"}"#,
            &["missingField workFactor: workFactor is required for BCRYPT", "missingField salt: salt is required for BCRYPT"],
        ),
        (
            r#"{"algorithm":"BCRYPT","workFactor":3,"salt":"short","value":"$2b$10$ba.JAtrhEUpwoXr7ax1vve/lMsSeWnAlWHc.TclC4lsNGLXVRHgli"}"#,
            &[
                "invalidField workFactor: workFactor must be between 4 and 20 (the bcrypt cost), got 3",
                "invalidField salt: salt must be the 22-character bcrypt salt (radix-64), got 5 characters",
                "invalidField value: value must be only the 31-character hash that ends a bcrypt string, without the $2a$/$2b$ prefix, the cost and the salt",
            ],
        ),
        (
            r#"{"algorithm":"BCRYPT","workFactor":10,"salt":"ba.JAtrhEUpwoXr7ax1vv!","value":"/lMsSeWnAlWHc.TclC4lsNGLXVRHgli"}"#,
            &["invalidEncoding salt: salt is not valid bcrypt radix-64"],
        ),
        (
            r#"{"algorithm":"SHA-256","salt":"not base64!","value":"PhBRMxU+OAUrxYKDmxZswg=="}"#,
            &[
                "invalidField value: value must decode to the 32-byte SHA-256 digest, got 16 bytes",
                "invalidEncoding salt: salt is not valid base64",
                "missingField saltOrder: saltOrder is required for SHA-256",
            ],
        ),
        (
            r#"{"algorithm":"SHA-1","salt":"AQID","saltOrder":"MIDDLE","value":"%%%"}"#,
            &["invalidEncoding value: value is not valid base64", "invalidField saltOrder: saltOrder must be PREFIX or POSTFIX"],
        ),
        (
            r#"{"algorithm":"PBKDF2","value":"qze6lPB+1q9bZf3X6+YhVB45ZK3vSsEJtuPD/xZyBjA="}"#,
            &[
                "missingField salt: salt is required for PBKDF2",
                "missingField iterationCount: iterationCount is required for PBKDF2",
                "missingField digestAlgorithm: digestAlgorithm is required for PBKDF2",
                "missingField keySize: keySize is required for PBKDF2",
            ],
        ),
        (
            r#"{"algorithm":"PBKDF2","salt":"AQID","iterationCount":1000,"keySize":64,"digestAlgorithm":"MD5_HMAC","value":"qze6lPB+1q9bZf3X6+YhVB45ZK3vSsEJtuPD/xZyBjA="}"#,
            &[
                "invalidField iterationCount: iterationCount must be between 4096 and 10000000, got 1000",
                "invalidField digestAlgorithm: digestAlgorithm must be SHA256_HMAC or SHA512_HMAC",
                "invalidField value: value decodes to 32 bytes, but keySize is 64",
            ],
        ),
        (r#"{"algorithm":"md5","value":"PhBRMxU+OAUrxYKDmxZswg=="}"#, &["ok"]),
    ];
    for (json, want) in cases {
        assert_eq!(problems(json), *want, "{json}");
    }
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let hash = import(
        r#"{"algorithm":"SHA-256","salt":"c2VjcmV0LXNhbHQ=","saltOrder":"MIDDLE","value":"c2VjcmV0LXZhbHVl"}"#,
    );
    let debug = format!("{hash:?}");
    assert!(!debug.contains("c2VjcmV0"), "{debug}");
    assert!(debug.contains("[redacted]"));
    for error in hash.validate().unwrap_err() {
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
    }
}

#[test]
fn unusable_stored_hashes_are_errors_not_mismatches() {
    assert_eq!(
        verify_password("x", "plaintext"),
        Err(CredentialError::UnrecognizedHash)
    );
    assert_eq!(
        verify_password("x", "$pbkdf2-sha256$i=1000$abc$def"),
        Err(CredentialError::UnrecognizedHash)
    );
    for broken in [
        "$argon2id$v=19$m=19456",
        "$roster-import$sha-256$order=postfix$AQID",
        "$roster-import$sha-256$order=sideways$$7Tc4CnpUtR6cqCi6criZ4XzN3it3SQaPxvuqIeAJgro=",
        "$roster-import$sha-256$order=none$$PhBRMxU+OAUrxYKDmxZswg==",
        "$roster-import$bcrypt$cost=99$ba.JAtrhEUpwoXr7ax1vve$/lMsSeWnAlWHc.TclC4lsNGLXVRHgli",
        "$roster-import$pbkdf2$digest=sha256,i=10$AQID$qze6lPB+1q9bZf3X6+YhVB45ZK3vSsEJtuPD/xZyBjA=",
        "$roster-import$scrypt$x$y$z",
    ] {
        let error = verify_password("x", broken).unwrap_err();
        assert_eq!(error.code(), "malformedHash", "{broken}");
        assert!(needs_upgrade(broken));
    }
}

#[test]
fn error_codes_fields_and_remediations_are_stable() {
    let errors = [
        CredentialError::unknown_algorithm(&"X".repeat(100)),
        CredentialError::MissingField {
            field: "salt",
            algorithm: "BCRYPT",
        },
        CredentialError::InvalidEncoding {
            field: "value",
            encoding: "base64",
        },
        CredentialError::invalid("keySize", "must be between 16 and 128 bytes, got 4"),
        CredentialError::UnrecognizedHash,
        CredentialError::MalformedHash { reason: "x" },
        CredentialError::Hashing { reason: "x".into() },
    ];
    let codes: Vec<_> = errors
        .iter()
        .map(|e| (e.code(), e.field(), e.is_input_error()))
        .collect();
    assert_eq!(
        codes,
        vec![
            ("unknownAlgorithm", Some("algorithm"), true),
            ("missingField", Some("salt"), true),
            ("invalidEncoding", Some("value"), true),
            ("invalidField", Some("keySize"), true),
            ("unrecognizedHash", None, false),
            ("malformedHash", None, false),
            ("hashingFailed", None, false),
        ]
    );
    for e in &errors {
        let message = e.to_string();
        assert!(!message.ends_with('.'), "{message}");
        assert!(
            message.chars().next().is_some_and(|c| !c.is_uppercase()),
            "{message}"
        );
        assert!(!e.remediation().is_empty());
    }
    // Long caller input is cut in messages.
    assert!(errors[0].to_string().len() < 150);
}
