//! Wiring mail into `roster serve`: `--smtp-url` / `ROSTER_SMTP_URL` and `--email-from` /
//! `ROSTER_EMAIL_FROM` become the provisioning worker's [`MailConfig`]. The password in the URL
//! is never logged: only [`roster_mail::SmtpSettings::redacted`] is.

use anyhow::Context;
use roster_mail::{Mailer, SmtpSettings};
use roster_provisioning::MailConfig;
use secrecy::SecretString;

use crate::cli::ServeArgs;

/// The mail settings of `args`, or `None` when no SMTP server is configured.
pub fn configure(args: &ServeArgs, public_url: &str) -> anyhow::Result<Option<MailConfig>> {
    let Some(url) = args.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        if args.email_from.is_some() {
            tracing::warn!("ROSTER_EMAIL_FROM is set but ROSTER_SMTP_URL is not: no mail is sent");
        }
        return Ok(None);
    };
    // The error never repeats the URL: it may carry the password.
    let settings = SmtpSettings::parse(url)
        .context("reading --smtp-url / ROSTER_SMTP_URL")?
        .with_credentials(
            args.smtp_username.clone(),
            args.smtp_password.clone().map(SecretString::from),
        );
    let from = args
        .email_from
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .context(
            "ROSTER_SMTP_URL is set but ROSTER_EMAIL_FROM is not: say who mail comes from, \
             e.g. ROSTER_EMAIL_FROM='Roster <noreply@example.com>'",
        )?;
    if settings.username.is_some()
        && settings.tls == roster_mail::TlsMode::Opportunistic
        && !matches!(settings.host.as_str(), "localhost" | "127.0.0.1" | "::1")
    {
        tracing::warn!(
            server = %settings.redacted(),
            "the SMTP password is sent in clear text if the server offers no STARTTLS: add ?tls=required to insist on TLS"
        );
    }
    let mailer = Mailer::new(&settings, from).context("preparing the SMTP client")?;
    tracing::info!(server = %settings.redacted(), from = %mailer.from(), "mail is sent through this server");
    Ok(Some(MailConfig {
        mailer,
        public_url: public_url.to_owned(),
        org_name: args.org_name.clone(),
    }))
}
