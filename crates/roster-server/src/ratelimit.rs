//! Per-token rate limits with Okta's headers: `X-Rate-Limit-Limit`, `-Remaining` and `-Reset`
//! (epoch seconds when the window resets), and 429 E0000047 past the limit. One fixed window per
//! token per minute, kept in memory: each `roster serve` process counts its own requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::AppState;

const WINDOW_SECONDS: i64 = 60;

#[derive(Clone, Default)]
pub struct RateLimiter {
    windows: Arc<Mutex<HashMap<String, (i64, u32)>>>,
}

impl RateLimiter {
    /// Count one request for `key` at `now_s`; returns (allowed, remaining, reset epoch second).
    pub fn hit(&self, key: &str, now_s: i64, limit: u32) -> (bool, u32, i64) {
        let window = now_s - now_s.rem_euclid(WINDOW_SECONDS);
        let reset = window + WINDOW_SECONDS;
        let Ok(mut map) = self.windows.lock() else {
            return (true, limit, reset);
        };
        if map.len() > 100_000 {
            map.retain(|_, (w, _)| *w == window);
        }
        let entry = map.entry(key.to_owned()).or_insert((window, 0));
        if entry.0 != window {
            *entry = (window, 0);
        }
        if entry.1 >= limit {
            return (false, 0, reset);
        }
        entry.1 += 1;
        (true, limit - entry.1, reset)
    }
}

pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.config.rate_limit_per_minute;
    let key = request
        .extensions()
        .get::<Principal>()
        .map(|p| p.token_id.clone())
        .unwrap_or_else(|| "anonymous".into());
    let now_s = state.now().as_millis() / 1000;
    let (allowed, remaining, reset) = state.rate_limiter.hit(&key, now_s, limit);
    let mut response = if allowed {
        next.run(request).await
    } else {
        let mut err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "E0000047", "API call exceeded rate limit due to too many requests.")
            .with_cause(format!("this API token made more than {limit} requests in the current minute"))
            .with_remediation("wait until the time in X-Rate-Limit-Reset, then retry; spread requests out or use more than one token");
        err.headers.push((
            HeaderName::from_static("retry-after"),
            HeaderValue::from(reset - now_s),
        ));
        err.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("x-rate-limit-limit"),
        HeaderValue::from(limit),
    );
    headers.insert(
        HeaderName::from_static("x-rate-limit-remaining"),
        HeaderValue::from(remaining),
    );
    headers.insert(
        HeaderName::from_static("x-rate-limit-reset"),
        HeaderValue::from(reset),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_window_and_resets() {
        let rl = RateLimiter::default();
        assert_eq!(rl.hit("t", 120, 2), (true, 1, 180));
        assert_eq!(rl.hit("t", 130, 2), (true, 0, 180));
        assert_eq!(rl.hit("t", 179, 2), (false, 0, 180));
        assert_eq!(rl.hit("other", 179, 2), (true, 1, 180));
        assert_eq!(rl.hit("t", 180, 2), (true, 1, 240));
    }
}
