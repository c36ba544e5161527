//! The surfaces' one way to ask for a mail: hand the use case to the provisioning engine's
//! mail queue (`roster_provisioning::mail`). A server without the engine, or without a mail
//! server configured, sends nothing and says so in its log; the triggering change stands.

use roster_core::User;
use roster_directory::{Ctx, OneTimeLink};
pub use roster_mail::TemplateName;

use crate::error::ApiError;
use crate::AppState;

/// Queue `template` for `user` (with `link` when it carries one). Never waits for SMTP.
pub async fn queue(
    state: &AppState,
    ctx: &Ctx,
    user: &User,
    template: TemplateName,
    link: Option<&OneTimeLink>,
) -> Result<(), ApiError> {
    match &state.provisioning {
        Some(engine) => {
            engine.queue_mail(ctx, user, template, link).await?;
        }
        None => tracing::warn!(
            template = template.as_str(),
            "this server has no provisioning engine: the email is not sent"
        ),
    }
    Ok(())
}

/// Okta's forgot-password flow by username (`/forgot-password`,
/// `POST /api/v1/authn/recovery/password`): the same answer whether or not the user exists.
/// The use case runs after the answer, on its own task, so neither the answer nor its timing
/// depends on whether the user exists.
pub fn forgot_password(state: &AppState, ctx: &Ctx, username: &str) {
    let Some(engine) = state.provisioning.clone() else {
        tracing::warn!("this server has no provisioning engine: the email is not sent");
        return;
    };
    let ctx = ctx.clone();
    let username = username.to_owned();
    tokio::spawn(async move {
        engine.forgot_password_by_email(&ctx, &username).await;
    });
}
