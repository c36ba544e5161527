//! The settings sections: password policies (`/admin/policies`), the Profile Editor
//! (`/admin/schema`), profile sources (`/admin/profile-sources`) and API tokens
//! (`/admin/tokens`), one file each.

#[path = "settings_policies.rs"]
mod policies;
#[path = "settings_schema.rs"]
mod schema;
#[path = "settings_sources.rs"]
mod sources;
#[path = "settings_tokens.rs"]
mod tokens;

use axum::Router;
use roster_server::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(policies::routes())
        .merge(schema::routes())
        .merge(sources::routes())
        .merge(tokens::routes())
}
