//! What every HTTP connector shares: sending with a deadline, turning transport failures into
//! transient errors, reading a JSON answer, the status classes every API agrees on, and
//! percent-encoding. Each connector keeps only what its target's error format needs.

use std::time::Duration;

use reqwest::header::{HeaderMap, AUTHORIZATION, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::connector::ConnectorResult;
use crate::error::{ConnectorError, ErrorKind};

/// How long one request to a target may take, unless the operator says otherwise
/// (`ROSTER_TARGET_TIMEOUT_SECONDS`, given to [`crate::StandardConnectors::with_timeout`], which
/// sets it on the connectors' HTTP client).
pub const DEFAULT_TARGET_TIMEOUT: Duration = Duration::from_secs(30);

/// Where a connector sends its requests: a base URL and a token presented with an
/// `Authorization` scheme (`SSWS` for Okta-style APIs, `Bearer` for SCIM). `Debug` never shows
/// the token.
pub(crate) struct Target {
    pub base_url: String,
    token: SecretString,
    scheme: &'static str,
    http: reqwest::Client,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base_url", &self.base_url)
            .field("scheme", &self.scheme)
            .field("token", &"[REDACTED]")
            .finish()
    }
}

impl Target {
    pub(crate) fn new(
        base_url: &str,
        token: SecretString,
        scheme: &'static str,
        http: reqwest::Client,
    ) -> Self {
        Target {
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
            scheme,
            http,
        }
    }

    /// A request to `base_url + path` carrying the token.
    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .header(
                AUTHORIZATION,
                format!("{} {}", self.scheme, self.token.expose_secret()),
            )
    }

    /// The token, to scrub it from anything a target answers.
    pub(crate) fn token(&self) -> &str {
        self.token.expose_secret()
    }
}

/// A target's answer, read whole.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Answer {
    /// The JSON body of a 2xx answer (`null` when empty), or `None` when it is not JSON.
    pub(crate) fn json(&self) -> Option<Value> {
        if self.text.trim().is_empty() {
            return Some(Value::Null);
        }
        serde_json::from_str(&self.text).ok()
    }

    /// The (transient) error for a 2xx answer whose body is not JSON.
    pub(crate) fn not_json(&self, tried: &str) -> ConnectorError {
        ConnectorError::new(
            ErrorKind::Transient,
            tried,
            format!("HTTP {} with a body that is not JSON", self.status.as_u16()),
        )
    }
}

/// Send `request` (the client's timeout applies); a failure before the whole answer arrived —
/// no connection, no answer in time, a connection that broke while the body was read — is a
/// transient error.
pub(crate) async fn send(request: RequestBuilder, tried: &str) -> ConnectorResult<Answer> {
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => {
            let said = if e.is_timeout() {
                "no answer within the target timeout (ROSTER_TARGET_TIMEOUT_SECONDS)".to_owned()
            } else if e.is_connect() {
                "the connection was refused or could not be made".to_owned()
            } else {
                "the request failed before an answer arrived".to_owned()
            };
            return Err(ConnectorError::new(ErrorKind::Transient, tried, said));
        }
    };
    let status = response.status();
    let headers = response.headers().clone();
    let text = match response.text().await {
        Ok(text) => text,
        Err(e) => {
            let said = if e.is_timeout() {
                format!(
                    "HTTP {}, then the rest of the answer did not arrive within the target timeout",
                    status.as_u16()
                )
            } else {
                format!(
                    "HTTP {}, then the connection broke before the answer was read",
                    status.as_u16()
                )
            };
            return Err(ConnectorError::new(ErrorKind::Transient, tried, said));
        }
    };
    Ok(Answer {
        status,
        headers,
        text,
    })
}

/// The class of a non-2xx answer. `conflict` is the target's own sign of a uniqueness clash
/// (Okta: "already exists" in a cause; SCIM: `scimType: uniqueness`).
pub(crate) fn status_kind(status: StatusCode, headers: &HeaderMap, conflict: bool) -> ErrorKind {
    match status.as_u16() {
        401 | 403 => ErrorKind::Unauthorized,
        429 => ErrorKind::RateLimited {
            retry_after: retry_after(headers),
        },
        // 412: the target object changed between read and write (Okta's E0000020, an ETag
        // mismatch): a concurrency conflict that a retry, which reads again, resolves.
        408 | 412 | 500..=599 => ErrorKind::Transient,
        409 => ErrorKind::Conflict,
        _ if conflict => ErrorKind::Conflict,
        _ => ErrorKind::Permanent,
    }
}

/// `Retry-After` in seconds, or Okta's `X-Rate-Limit-Reset` (epoch seconds) turned into a delay.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(secs) = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(secs));
    }
    let reset = headers
        .get("x-rate-limit-reset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
}

/// Percent-encode a path segment (`@` and `+` stay, as RFC 3986 allows in a segment).
pub(crate) fn encode_segment(s: &str) -> String {
    encode_except(s, b"-._~@+")
}

/// Percent-encode a query value (only RFC 3986 unreserved characters stay).
pub(crate) fn encode_query(s: &str) -> String {
    encode_except(s, b"-._~")
}

fn encode_except(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
