//! API tokens: how they are made, how they are stored (SHA-256 only) and how requests present
//! them (`SSWS <token>` on `/api/v1`, also `SSWS<token>` as the Python Okta SDK sends it;
//! `Bearer <token>` on `/scim/v2`).

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::middleware::Next;
use axum::response::Response;
use rand::Rng;
use roster_core::event::{Actor, Client};
use roster_core::{ApiToken, Role};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

const TOKEN_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new random token value: `00` and 40 base62 characters (about 238 bits).
pub fn generate_token() -> String {
    let mut rng = rand::rngs::OsRng;
    let mut token = String::from("00");
    for _ in 0..40 {
        let i = rng.gen_range(0..TOKEN_ALPHABET.len());
        token.push(char::from(TOKEN_ALPHABET[i]));
    }
    token
}

/// The stored form of a token: lowercase hex SHA-256. Tokens carry far more entropy than a
/// password, so a fast hash is enough and keeps lookups to one indexed read.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The first characters of a token, kept so admins can tell tokens apart.
pub fn token_prefix(token: &str) -> String {
    token.chars().take(6).collect()
}

/// Who is calling: the token's owner, put into request extensions by [`require_token`].
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: String,
    pub name: String,
    pub role: Role,
    /// Where the request came from, for the System Log's `client`.
    pub client: Client,
}

impl Principal {
    /// The System Log actor for changes this principal makes.
    pub fn actor(&self) -> Actor {
        Actor {
            id: self.token_id.clone(),
            kind: "ApiToken".into(),
            alternate_id: Some(self.name.clone()),
            display_name: Some(self.name.clone()),
        }
    }

    pub fn require_write(&self) -> Result<(), ApiError> {
        match self.role {
            Role::SuperAdmin => Ok(()),
            Role::ReadOnlyAdmin => Err(ApiError::forbidden(format!(
                "the API token {:?} has the READ_ONLY_ADMIN role, which cannot make changes",
                self.name
            ))),
        }
    }
}

/// Pull the token value out of an `Authorization` header value.
pub fn parse_authorization(value: &str) -> Option<&str> {
    let value = value.trim();
    let rest = if value.len() >= 4 && value[..4].eq_ignore_ascii_case("SSWS") {
        &value[4..]
    } else if value.len() >= 7 && value[..7].eq_ignore_ascii_case("Bearer ") {
        &value[7..]
    } else {
        return None;
    };
    let token = rest.trim();
    (!token.is_empty()).then_some(token)
}

/// Middleware: authenticate the request's API token or answer 401 E0000011.
pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let Some(header) = header else {
        return Err(unauthorized("the request has no Authorization header"));
    };
    let Some(token) = parse_authorization(header) else {
        return Err(unauthorized(
            "the Authorization header is not `SSWS <token>` or `Bearer <token>`",
        ));
    };
    let found = state.store.find_token_by_hash(&hash_token(token)).await?;
    let token: ApiToken = match found {
        Some(t) if !t.revoked => t,
        Some(_) => return Err(unauthorized("the API token has been revoked")),
        None => return Err(unauthorized("no API token with this value exists")),
    };
    let client = request_client(&request);
    request.extensions_mut().insert(Principal {
        token_id: token.id,
        name: token.name,
        role: token.role,
        client,
    });
    Ok(next.run(request).await)
}

/// The caller's address and user agent, as the System Log records them.
pub fn request_client(request: &Request) -> Client {
    let ip_address = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    let user_agent = request
        .headers()
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| serde_json::json!({ "rawUserAgent": ua }));
    Client {
        ip_address,
        user_agent,
    }
}

fn unauthorized(cause: &str) -> ApiError {
    ApiError::invalid_token(cause).with_header(WWW_AUTHENTICATE, "SSWS realm=\"roster\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_ssws_forms_and_bearer() {
        assert_eq!(parse_authorization("SSWS abc"), Some("abc"));
        assert_eq!(parse_authorization("SSWSabc"), Some("abc"));
        assert_eq!(parse_authorization("Bearer abc"), Some("abc"));
        assert_eq!(parse_authorization("Basic abc"), None);
        assert_eq!(parse_authorization("SSWS "), None);
    }

    #[test]
    fn tokens_are_random_and_hash_to_hex() {
        let a = generate_token();
        let b = generate_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 42);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }
}
