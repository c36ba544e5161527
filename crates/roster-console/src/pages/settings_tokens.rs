//! `/admin/tokens`: the API tokens (name, prefix, role, created, last used), creating one (its
//! value is shown once, on the page that answers the form: never in a redirect, a cookie or a
//! log line) and revoking one (the same use case as `DELETE /api/v1/api-tokens/{id}`).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use roster_core::{ApiToken, Role};
use roster_server::error::ApiError;
use roster_server::AppState;

use crate::error::{ErrorView, PageError};
use crate::session::{Admin, AdminForm};
use crate::view::{self, when, when_opt, Chrome};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tokens", get(list).post(create))
        .route("/admin/tokens/{id}/revoke", post(revoke))
}

const MAX_NAME: usize = 255;

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub role: &'static str,
    pub created: String,
    pub last_used: String,
}

impl TokenRow {
    fn of(t: &ApiToken) -> Self {
        TokenRow {
            id: t.id.clone(),
            name: t.name.clone(),
            prefix: t.token_prefix.clone(),
            role: t.role.as_str(),
            created: when(&t.created),
            last_used: when_opt(&t.last_used),
        }
    }
}

/// A token just made: its value, shown on this one answer.
pub struct NewToken {
    pub name: String,
    pub role: &'static str,
    pub value: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    rows: Vec<TokenRow>,
    created: Option<NewToken>,
    name: String,
    role: String,
    error: Option<ErrorView>,
}

impl TokensPage {
    fn role_badge(&self, role: &str) -> &'static str {
        if role == "SUPER_ADMIN" {
            "warn"
        } else {
            "neutral"
        }
    }
    fn field_error(&self, field: &str) -> Option<&str> {
        crate::pages::groups::field_message(self.error.as_ref(), field)
    }
    fn is_role(&self, role: &str) -> bool {
        self.role == role
    }
}

async fn render(
    state: &AppState,
    admin: &Admin,
    headers: &HeaderMap,
    created: Option<NewToken>,
    form: (String, String),
    error: Option<ApiError>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(admin, "tokens", headers);
    // The same list as `GET /api/v1/api-tokens`: revoked tokens are gone.
    let rows = state
        .store
        .list_tokens()
        .await?
        .iter()
        .filter(|t| !t.revoked)
        .map(TokenRow::of)
        .collect();
    let status = error.as_ref().map(|e| e.status).unwrap_or(StatusCode::OK);
    let page = TokensPage {
        chrome: chrome.clone(),
        rows,
        created,
        name: form.0,
        role: form.1,
        error: error.as_ref().map(ErrorView::from_api),
    };
    Ok(view::render_status(state, &chrome, status, &page))
}

/// `GET /admin/tokens`.
pub async fn list(
    State(state): State<AppState>,
    admin: Admin,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let form = (String::new(), "READ_ONLY_ADMIN".to_owned());
    render(&state, &admin, &headers, None, form, None).await
}

/// `POST /admin/tokens` (`name`, `role`): what `roster token create` does, with the admin as the
/// event's actor. The answer is the page itself, carrying the value once.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let name = form.fields.text("name").unwrap_or_default().to_owned();
    let role_text = form.fields.get("role").unwrap_or_default().to_owned();
    let kept = (name.clone(), role_text.clone());
    let role = match Role::parse(&role_text) {
        Some(role) => role,
        None => {
            let err = ApiError::validation("role", format!("{role_text:?} is not a role"))
                .with_remediation("choose SUPER_ADMIN or READ_ONLY_ADMIN");
            return render(&state, &admin, &headers, None, kept, Some(err)).await;
        }
    };
    if name.is_empty() || name.chars().count() > MAX_NAME {
        let err = ApiError::validation(
            "name",
            if name.is_empty() {
                "the token needs a name".to_owned()
            } else {
                format!("the name is longer than {MAX_NAME} characters")
            },
        )
        .with_remediation("name the token after what uses it, e.g. \"spoke-connection\" or \"CI\"");
        return render(&state, &admin, &headers, None, kept, Some(err)).await;
    }
    let (value, record) =
        roster_server::bootstrap::create_token_as(&state.store, &admin.ctx(&state), &name, role)
            .await?;
    let created = NewToken {
        name: record.name.clone(),
        role: record.role.as_str(),
        value,
    };
    let fresh = (String::new(), "READ_ONLY_ADMIN".to_owned());
    render(&state, &admin, &headers, Some(created), fresh, None).await
}

/// `POST /admin/tokens/{id}/revoke`: `DELETE /api/v1/api-tokens/{id}`.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: AdminForm,
) -> Result<Response, PageError> {
    let admin = form.admin;
    admin.require_write()?;
    let token = roster_server::okta::tokens::revoke_token(&state, &admin.ctx(&state), &id).await?;
    Ok(view::redirect_with(
        &state,
        "/admin/tokens",
        &format!(
            "Token {} ({}…) revoked: requests with it are refused from now on.",
            token.name, token.token_prefix
        ),
    ))
}
