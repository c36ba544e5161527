//! Hiding secrets in documents before they reach a log, an event, a task or an error.

use serde_json::Value;

/// What a hidden value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// Whether a key names a secret: it contains `password`, `secret`, `token`, `apikey` or
/// `api_key`, or is `credentials` (case-insensitive).
fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k == "credentials"
        || ["password", "secret", "token", "apikey", "api_key"]
            .iter()
            .any(|s| k.contains(s))
}

/// `credentials.provider` (Okta's `{"type": "OKTA", "name": "OKTA"}`) says where credentials
/// come from and is no secret; hiding it would also scrub the word OKTA from target answers.
fn is_public_credential(parent: &str, key: &str) -> bool {
    parent.eq_ignore_ascii_case("credentials") && key.eq_ignore_ascii_case("provider")
}

fn hide_all(value: &mut Value) {
    match value {
        Value::Null => {}
        Value::Array(items) => items.iter_mut().for_each(hide_all),
        Value::Object(m) => m.values_mut().for_each(hide_all),
        other => *other = Value::String(REDACTED.to_string()),
    }
}

/// Replaces every value under a secret-like key (see above; everything below `credentials`)
/// with `"[REDACTED]"`, keeping the shape (objects and arrays stay, their leaves are hidden;
/// `null` stays `null`).
pub fn redact(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                if k.eq_ignore_ascii_case("credentials") {
                    if let Value::Object(inner) = v {
                        for (k2, v2) in inner.iter_mut() {
                            if is_public_credential(k, k2) {
                                redact(v2);
                            } else {
                                hide_all(v2);
                            }
                        }
                        continue;
                    }
                }
                if is_secret_key(k) {
                    hide_all(v);
                } else {
                    redact(v);
                }
            }
        }
        _ => {}
    }
}

fn collect_all(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            if !s.is_empty() && !out.iter().any(|o| o == s) {
                out.push(s.clone());
            }
        }
        Value::Number(n) => {
            let s = n.to_string();
            if !out.contains(&s) {
                out.push(s);
            }
        }
        Value::Bool(_) | Value::Null => {}
        Value::Array(items) => items.iter().for_each(|v| collect_all(v, out)),
        Value::Object(m) => m.values().for_each(|v| collect_all(v, out)),
    }
}

fn collect(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
        Value::Object(m) => {
            for (k, v) in m {
                if k.eq_ignore_ascii_case("credentials") {
                    if let Value::Object(inner) = v {
                        for (k2, v2) in inner {
                            if is_public_credential(k, k2) {
                                collect(v2, out);
                            } else {
                                collect_all(v2, out);
                            }
                        }
                        continue;
                    }
                }
                if is_secret_key(k) {
                    collect_all(v, out);
                } else {
                    collect(v, out);
                }
            }
        }
        _ => {}
    }
}

/// The non-empty string (and number) values [`redact`] would hide, each once, in document
/// order, so a caller can also scrub them from text such as a target's error body.
pub fn secret_leaves(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect(value, &mut out);
    out
}
