//! Wiring mail into `roster serve`: `--smtp-url` / `ROSTER_SMTP_URL` and `--email-from` /
//! `ROSTER_EMAIL_FROM` become the provisioning worker's [`MailConfig`]. The password in the URL
//! is never logged: only [`roster_mail::SmtpSettings::redacted`] is.

use anyhow::Context;
use roster_mail::{Mailer, SmtpSettings};
use roster_provisioning::MailConfig;
use secrecy::SecretString;

use crate::cli::ServeArgs;

/// The mail settings of `args`. Always `Some`: without `ROSTER_SMTP_URL` there is no operator's
/// server, but a server made through `/api/v1/email-servers` may still send (with the public URL,
/// the organisation's name and the sender given here).
pub fn configure(args: &ServeArgs, public_url: &str) -> anyhow::Result<Option<MailConfig>> {
    let from = match args.email_from.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(from) => Some(
            roster_mail::message::parse_mailbox("the sender (ROSTER_EMAIL_FROM)", from)
                .context("reading --email-from / ROSTER_EMAIL_FROM")?,
        ),
        None => None,
    };
    let mut config = MailConfig {
        mailer: None,
        from: from.clone(),
        public_url: public_url.to_owned(),
        org_name: args.org_name.clone(),
    };
    let Some(url) = args.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        tracing::info!(
            "ROSTER_SMTP_URL is not set: mail goes out only through an email server enabled in /api/v1/email-servers"
        );
        return Ok(Some(config));
    };
    // The error never repeats the URL: it may carry the password.
    let settings = SmtpSettings::parse(url)
        .context("reading --smtp-url / ROSTER_SMTP_URL")?
        .with_credentials(
            args.smtp_username.clone(),
            args.smtp_password.clone().map(SecretString::from),
        );
    let from = from.context(
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
    let mailer = Mailer::with_sender(&settings, from).context("preparing the SMTP client")?;
    tracing::info!(server = %settings.redacted(), from = %mailer.from(), "mail is sent through this server, unless an email server is enabled in /api/v1/email-servers");
    config.mailer = Some(mailer);
    Ok(Some(config))
}
