//! `Link` headers for cursor paging, carrying the public URL as Okta's SDKs expect: they follow
//! the absolute `rel="next"` URL as given, and stop when it is absent.

use axum::http::header::LINK;
use axum::http::{HeaderMap, HeaderValue};

use crate::extract::QueryPairs;

/// Percent-encode a query parameter value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Build `<url>; rel="self"` and, when there is a next page, `<url&after=..>; rel="next"`.
/// `params` are the request's own parameters minus `after`, already in `name=value` form.
pub fn link_header(
    public_url: &str,
    path: &str,
    params: &[(String, String)],
    after: Option<&str>,
) -> Vec<HeaderValue> {
    page_links(public_url, path, params, None, after)
}

/// The `Link` headers of a page listed with the request's own `params`: `self` names the
/// request's page (its `after` cursor included, as Okta's does) and `next`, when there is a
/// next page, repeats the parameters with the `next` cursor.
pub fn link_headers(
    public_url: &str,
    path: &str,
    params: &QueryPairs,
    next: Option<&str>,
) -> HeaderMap {
    let current = params.get("after").filter(|a| !a.is_empty());
    let mut headers = HeaderMap::new();
    for link in page_links(public_url, path, &params.without_after(), current, next) {
        headers.append(LINK, link);
    }
    headers
}

/// As [`link_header`], with the `self` link naming the page itself as Okta's does: the
/// request's own cursor (`current`) included.
pub fn page_links(
    public_url: &str,
    path: &str,
    params: &[(String, String)],
    current: Option<&str>,
    after: Option<&str>,
) -> Vec<HeaderValue> {
    let query = |extra: Option<&str>| {
        let mut parts: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        if let Some(after) = extra {
            parts.push(format!("after={}", encode(after)));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    };
    let mut links = Vec::new();
    let self_link = format!("<{public_url}{path}{}>; rel=\"self\"", query(current));
    if let Ok(v) = HeaderValue::from_str(&self_link) {
        links.push(v);
    }
    if let Some(after) = after {
        let next = format!("<{public_url}{path}{}>; rel=\"next\"", query(Some(after)));
        if let Ok(v) = HeaderValue::from_str(&next) {
            links.push(v);
        }
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_link_names_the_current_page() {
        let links = page_links(
            "http://roster.example",
            "/api/v1/users",
            &[("limit".into(), "2".into())],
            Some("00u1"),
            None,
        );
        assert_eq!(links.len(), 1, "no next on the last page");
        assert_eq!(
            links[0].to_str().unwrap(),
            "<http://roster.example/api/v1/users?limit=2&after=00u1>; rel=\"self\""
        );
    }

    #[test]
    fn next_link_carries_public_url_and_encoded_params() {
        let links = link_header(
            "http://roster.example",
            "/api/v1/logs",
            &[("filter".into(), "eventType eq \"a\"".into())],
            Some("42"),
        );
        assert_eq!(links.len(), 2);
        assert_eq!(
            links[1].to_str().unwrap(),
            "<http://roster.example/api/v1/logs?filter=eventType%20eq%20%22a%22&after=42>; rel=\"next\""
        );
    }
}
