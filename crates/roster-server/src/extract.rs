//! Extractors whose rejections are Okta error objects, naming the field and the fix, instead of
//! axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body. Malformed JSON is E0000003; a well-formed body of the wrong shape is E0000001
/// naming the field path (`profile.login`, `credentials.password.value`).
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large()
            } else {
                malformed(&rejection.body_text())
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parse a JSON body the way [`ApiJson`] does (an empty body reads as `{}`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(v) => match nul_field(bytes) {
            None => Ok(v),
            Some(field) => Err(ApiError::validation(
                &field,
                "contains the NUL character (\\u0000), which is not text Roster stores",
            )
            .with_remediation(format!("remove the \\u0000 from {field}"))),
        },
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                Err(malformed(&inner.to_string()))
            } else if path.starts_with('[') {
                // serde reads a struct from an array too; every /api/v1 body is an object.
                Err(
                    ApiError::validation("body", "the body must be a JSON object, not an array")
                        .with_remediation("send a JSON object, e.g. {\"profile\": {...}}"),
                )
            } else {
                let field = if path == "." || path.is_empty() {
                    "body".to_owned()
                } else {
                    path
                };
                let mut message = clean_serde_message(&inner.to_string());
                if holds_secret(&field) {
                    message = without_echoed_value(&message);
                }
                Err(
                    ApiError::validation(&field, message).with_remediation(format!(
                        "fix the value of {field} and send the request again"
                    )),
                )
            }
        }
    }
}

/// The path of the first string (or key) holding U+0000 in a well-formed JSON body, if any. No
/// database keeps it as text (PostgreSQL refuses it), so Roster refuses it at the edge, on every
/// store alike. Bodies without the `\u0000` escape (nearly all) are not parsed a second time.
fn nul_field(bytes: &[u8]) -> Option<String> {
    if !has_nul_escape(bytes) {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut path = Vec::new();
    find_nul(&value, &mut path).then(|| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.concat().trim_start_matches('.').to_owned()
        }
    })
}

/// Whether the raw body has a `\u0000` escape (one not itself escaped as `\\u0000`).
fn has_nul_escape(bytes: &[u8]) -> bool {
    const ESCAPE: &[u8] = b"\\u0000";
    let mut from = 0;
    while let Some(at) = bytes[from..]
        .windows(ESCAPE.len())
        .position(|w| w == ESCAPE)
        .map(|p| from + p)
    {
        let backslashes = bytes[..=at]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            return true;
        }
        from = at + 1;
    }
    false
}

fn find_nul(value: &serde_json::Value, path: &mut Vec<String>) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, v)| {
            path.push(format!("[{i}]"));
            let found = find_nul(v, path);
            if !found {
                path.pop();
            }
            found
        }),
        Value::Object(map) => map.iter().any(|(k, v)| {
            path.push(format!(".{k}"));
            let found = k.contains('\0') || find_nul(v, path);
            if !found {
                path.pop();
            }
            found
        }),
        _ => false,
    }
}

fn malformed(detail: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "E0000003",
        "The request body was not well-formed.",
    )
    .with_error_cause(format!("body: {}", clean_serde_message(detail)))
    .with_cause(format!(
        "the body is not valid JSON: {}",
        clean_serde_message(detail)
    ))
    .with_remediation("send a JSON object with Content-Type: application/json")
}

/// Whether a body field holds a secret (a password, a hash, a token), whose value an error must
/// not repeat.
fn holds_secret(field: &str) -> bool {
    let field = field.to_ascii_lowercase();
    ["password", "token", "secret", "hash"]
        .iter()
        .any(|word| field.contains(word))
}

/// serde's "invalid type: integer `5`, expected a string" without the value sent:
/// "invalid type: integer, expected a string".
fn without_echoed_value(message: &str) -> String {
    let Some((head, tail)) = message.split_once(", expected") else {
        return message.to_owned();
    };
    let kind = head.split(['`', '"']).next().unwrap_or(head).trim_end();
    format!("{kind}, expected{tail}")
}

/// serde's messages end with " at line 1 column 17"; keep the position but drop the noise.
fn clean_serde_message(msg: &str) -> String {
    msg.trim_end_matches('.').to_owned()
}

/// Query parameters as ordered pairs, without axum's plain-text rejection.
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter (`true`/`false`, any case); a bad value is E0000001.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ApiError> {
        match self.get(name) {
            None | Some("") => Ok(default),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(ApiError::validation(
                name,
                format!("{name} must be true or false, not {v:?}"),
            )
            .with_remediation(format!("send {name}=true or {name}=false"))),
        }
    }

    /// A `limit` parameter within 1..=max.
    pub fn limit(&self, default: u32, max: u32) -> Result<u32, ApiError> {
        match self.get("limit") {
            None | Some("") => Ok(default),
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(ApiError::validation(
                    "limit",
                    format!("limit must be a whole number from 1 to {max}, not {raw:?}"),
                )
                .with_remediation(format!(
                    "send limit between 1 and {max}; page on with the `next` link"
                ))),
            },
        }
    }

    /// The pairs to repeat in a `next` link: all but `after`.
    pub fn without_after(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, _)| k != "after")
            .cloned()
            .collect()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("");
        let pairs = decode_query(raw).map_err(|e| {
            ApiError::validation("query", e)
                .with_remediation("percent-encode query parameter values")
        })?;
        Ok(QueryPairs(pairs))
    }
}

fn decode_query(raw: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        out.push((percent_decode(k)?, percent_decode(v)?));
    }
    Ok(out)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad percent-escape in {s:?}"))?;
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    if out.contains(&0) {
        return Err(format!(
            "query parameter {s:?} contains the NUL character (%00), which is not text"
        ));
    }
    String::from_utf8(out).map_err(|_| format!("query parameter {s:?} is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_type_names_the_field_path() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            profile: Profile,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Profile {
            login: String,
        }
        let err = parse_json::<Body>(br#"{"profile":{"login":5}}"#).unwrap_err();
        assert_eq!(err.code, "E0000001");
        assert_eq!(err.summary, "Api validation failed: profile.login");
        let err = parse_json::<Body>(br#"{"profile":"#).unwrap_err();
        assert_eq!(err.code, "E0000003");
    }

    #[test]
    fn secrets_of_the_wrong_type_are_not_repeated() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Password {
            value: String,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            password: Password,
        }
        let err = parse_json::<Body>(br#"{"password":{"value":918273645}}"#).unwrap_err();
        assert_eq!(err.summary, "Api validation failed: password.value");
        assert!(!format!("{err:?}").contains("918273645"), "{err:?}");
        assert!(err
            .cause
            .contains("invalid type: integer, expected a string"));
    }

    #[test]
    fn nul_characters_are_refused_with_their_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            profile: serde_json::Map<String, serde_json::Value>,
        }
        let err = parse_json::<Body>(br#"{"profile":{"tags":["a","b\u0000c"]}}"#).unwrap_err();
        assert_eq!(err.code, "E0000001");
        assert_eq!(err.summary, "Api validation failed: profile.tags[1]");
        // An escaped backslash before u0000 is the text "\u0000", not a NUL.
        assert!(parse_json::<Body>(br#"{"profile":{"x":"a\\u0000"}}"#).is_ok());
        assert!(parse_json::<Body>(br#"{"profile":{"x":"a\\\u0000"}}"#).is_err());
        assert!(decode_query("q=a%00b").is_err());
    }

    #[test]
    fn decodes_plus_and_percent_escapes() {
        assert_eq!(
            decode_query("filter=eventType+eq+%22a%22&limit=2").unwrap(),
            vec![
                ("filter".into(), "eventType eq \"a\"".into()),
                ("limit".into(), "2".into())
            ]
        );
        assert!(decode_query("q=%zz").is_err());
    }
}
