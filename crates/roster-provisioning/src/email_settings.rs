//! Mail settings made through the API, stored as documents: Okta's custom SMTP servers
//! (`/api/v1/email-servers`) and per-template customizations
//! (`/api/v1/brands/{brandId}/templates/email/{templateName}/customizations`); and the choice of
//! the server and the text a mail goes out with.
//!
//! A server's password is sealed with the master key under `email-server:{id}` and opened only
//! to hand it to the SMTP client: no answer, event, task or log line carries it. Input is
//! validated by the HTTP surface (it names the fields); these use cases trust it.
//!
//! **Which server:** an enabled server made through the API takes precedence over
//! `ROSTER_SMTP_URL`; enabling one disables the others, so one is enabled. (Two enabled at the
//! same moment by concurrent requests may both stay enabled; the oldest is then used, and the
//! list shows both.) Without an enabled one, the operator's `ROSTER_SMTP_URL` is used.

use roster_core::ids::{make_id, IdKind};
use roster_core::{LogEvent, Timestamp};
use roster_directory::Ctx;
use roster_mail::{Mailbox, Mailer, SendError, SmtpSettings, Template, TemplateName, TlsMode};
use roster_store::Document;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::engine::{Provisioning, Result};
use crate::error::ProvisioningError;

/// The document kind of a custom SMTP server.
pub const EMAIL_SERVER_KIND: &str = "email_server";
/// The document kind of a template customization.
pub const EMAIL_CUSTOMIZATION_KIND: &str = "email_customization";

/// The seal purpose of a server's password.
pub fn email_server_purpose(id: &str) -> String {
    format!("email-server:{id}")
}

/// A custom SMTP server, as stored. `Debug` leaves out the sealed password.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailServer {
    pub id: String,
    pub alias: String,
    pub host: String,
    pub port: u16,
    pub username: String,
    pub enabled: bool,
    /// `REQUIRED` (STARTTLS or nothing), `IMPLICIT` (TLS from the first byte), `OPPORTUNISTIC`
    /// or `NONE` (a relay on the same machine).
    pub tls: String,
    password_sealed: String,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

impl std::fmt::Debug for EmailServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmailServer")
            .field("id", &self.id)
            .field("alias", &self.alias)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("enabled", &self.enabled)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// The TLS modes a server may name, as the API spells them.
pub const TLS_MODES: [&str; 4] = ["REQUIRED", "IMPLICIT", "OPPORTUNISTIC", "NONE"];

/// The TLS mode by its API name.
pub fn tls_mode(name: &str) -> Option<TlsMode> {
    match name {
        "REQUIRED" => Some(TlsMode::Required),
        "IMPLICIT" => Some(TlsMode::Implicit),
        "OPPORTUNISTIC" => Some(TlsMode::Opportunistic),
        "NONE" => Some(TlsMode::None),
        _ => None,
    }
}

/// The default TLS mode for a port: implicit TLS on 465, STARTTLS required elsewhere (a
/// password never travels in clear unless the administrator says so).
pub fn default_tls(port: u16) -> &'static str {
    if port == 465 {
        "IMPLICIT"
    } else {
        "REQUIRED"
    }
}

/// A change to a server: what is `Some` is set. A new server needs alias, host, port, username
/// and password.
#[derive(Default)]
pub struct EmailServerChange {
    pub alias: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub enabled: Option<bool>,
    pub tls: Option<String>,
}

/// Why a test mail did not go out.
#[derive(Debug)]
pub enum TestSendError {
    /// The sender or recipient is not an address.
    Address(String),
    /// The server was asked and refused, or could not be reached.
    Send(SendError),
    Other(ProvisioningError),
}

impl From<ProvisioningError> for TestSendError {
    fn from(e: ProvisioningError) -> Self {
        TestSendError::Other(e)
    }
}

/// A customization of one template for one language, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailCustomization {
    pub id: String,
    pub template_name: String,
    pub language: String,
    pub is_default: bool,
    pub subject: String,
    /// The HTML body; the plain-text part is derived from it when the mail is made.
    pub body: String,
    pub created: Timestamp,
    pub last_updated: Timestamp,
}

impl EmailCustomization {
    /// The template a mail is rendered from.
    pub fn template(&self) -> Template {
        Template::from_html(&self.template_name, &self.subject, &self.body)
    }
}

/// A customization asked for: `is_default` `None` means "the first is the default".
pub struct CustomizationInput {
    pub language: String,
    pub is_default: Option<bool>,
    pub subject: String,
    pub body: String,
}

/// Why a customization change was refused (Okta answers these with 409).
#[derive(Debug)]
pub enum CustomizationConflict {
    LanguageTaken(String),
    DefaultExists,
    DefaultCannotBeUnset,
    DefaultHasOthers,
}

fn to_doc<T: Serialize>(kind: &str, id: &str, value: &T, now: Timestamp) -> Result<Document> {
    Ok(Document {
        kind: kind.into(),
        id: id.into(),
        priority: 0,
        body: serde_json::to_value(value)
            .map_err(|e| ProvisioningError::Crypto(format!("encoding a {kind}: {e}")))?,
        version: 0,
        updated: now,
    })
}

fn from_doc<T: for<'de> Deserialize<'de>>(doc: &Document) -> Result<T> {
    serde_json::from_value(doc.body.clone()).map_err(|_| {
        ProvisioningError::Store(roster_store::StoreError::CorruptData {
            what: "an email settings document".into(),
        })
    })
}

fn server_event(ctx: &Ctx, event_type: &str, message: &str, server: &EmailServer) -> LogEvent {
    ctx.event(event_type, message)
        .with_target(&server.id, "EmailServer", Some(&server.alias), None)
        .with_debug("host", server.host.as_str())
        .with_debug("port", server.port)
        .with_debug("username", server.username.as_str())
        .with_debug("enabled", server.enabled)
        .with_debug("tls", server.tls.as_str())
}

impl Provisioning {
    /// Every custom SMTP server, oldest first.
    pub async fn list_email_servers(&self) -> Result<Vec<EmailServer>> {
        let docs = self.store().list_documents(EMAIL_SERVER_KIND).await?;
        let mut servers = docs
            .iter()
            .map(from_doc::<EmailServer>)
            .collect::<Result<Vec<_>>>()?;
        servers.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(servers)
    }

    pub async fn get_email_server(&self, id: &str) -> Result<EmailServer> {
        match self.store().get_document(EMAIL_SERVER_KIND, id).await? {
            Some(doc) => from_doc(&doc),
            None => Err(ProvisioningError::NotFound {
                kind: "email server",
                id: id.to_owned(),
            }),
        }
    }

    /// Create a server (the caller has checked that alias, host, port, username and password are
    /// given). An enabled one disables the others.
    pub async fn create_email_server(
        &self,
        ctx: &Ctx,
        change: EmailServerChange,
    ) -> Result<EmailServer> {
        let id = make_id(IdKind::Other, ctx.now, rand::random());
        let port = change.port.unwrap_or(587);
        let sealed = match &change.password {
            Some(p) => self.inner.keys.key()?.seal(&email_server_purpose(&id), p)?,
            None => String::new(),
        };
        let server = EmailServer {
            id: id.clone(),
            alias: change.alias.unwrap_or_default(),
            host: change.host.unwrap_or_default(),
            port,
            username: change.username.unwrap_or_default(),
            enabled: change.enabled.unwrap_or(true),
            tls: change.tls.unwrap_or_else(|| default_tls(port).to_owned()),
            password_sealed: sealed,
            created: ctx.now,
            last_updated: ctx.now,
        };
        let event = server_event(
            ctx,
            "system.email.server.create",
            "Create a custom SMTP server",
            &server,
        );
        self.store()
            .put_document(
                &to_doc(EMAIL_SERVER_KIND, &id, &server, ctx.now)?,
                Some(0),
                &[event],
            )
            .await?;
        if server.enabled {
            self.disable_other_servers(ctx, &id).await?;
        }
        Ok(server)
    }

    /// Change a server: the fields given are set, the others kept (a new password is sealed
    /// anew). Enabling it disables the others.
    pub async fn update_email_server(
        &self,
        ctx: &Ctx,
        id: &str,
        change: EmailServerChange,
    ) -> Result<EmailServer> {
        let Some(doc) = self.store().get_document(EMAIL_SERVER_KIND, id).await? else {
            return Err(ProvisioningError::NotFound {
                kind: "email server",
                id: id.to_owned(),
            });
        };
        let mut server: EmailServer = from_doc(&doc)?;
        let mut changed: Vec<&str> = Vec::new();
        if let Some(alias) = change.alias {
            server.alias = alias;
            changed.push("alias");
        }
        if let Some(host) = change.host {
            server.host = host;
            changed.push("host");
        }
        if let Some(port) = change.port {
            server.port = port;
            changed.push("port");
        }
        if let Some(username) = change.username {
            server.username = username;
            changed.push("username");
        }
        if let Some(tls) = change.tls {
            server.tls = tls;
            changed.push("tls");
        }
        if let Some(enabled) = change.enabled {
            server.enabled = enabled;
            changed.push("enabled");
        }
        if let Some(password) = &change.password {
            server.password_sealed = self
                .inner
                .keys
                .key()?
                .seal(&email_server_purpose(id), password)?;
            // The event says the password changed, never what it is.
            changed.push("password");
        }
        server.last_updated = ctx.now;
        let event = server_event(
            ctx,
            "system.email.server.update",
            "Update a custom SMTP server",
            &server,
        )
        .with_debug("changed", changed.join(","));
        self.store()
            .put_document(
                &to_doc(EMAIL_SERVER_KIND, id, &server, ctx.now)?,
                Some(doc.version),
                &[event],
            )
            .await?;
        if server.enabled {
            self.disable_other_servers(ctx, id).await?;
        }
        Ok(server)
    }

    pub async fn delete_email_server(&self, ctx: &Ctx, id: &str) -> Result<()> {
        let server = self.get_email_server(id).await?;
        let event = server_event(
            ctx,
            "system.email.server.delete",
            "Delete a custom SMTP server",
            &server,
        );
        self.store()
            .delete_document(EMAIL_SERVER_KIND, id, &[event])
            .await?;
        Ok(())
    }

    async fn disable_other_servers(&self, ctx: &Ctx, keep: &str) -> Result<()> {
        for doc in self.store().list_documents(EMAIL_SERVER_KIND).await? {
            if doc.id == keep {
                continue;
            }
            let mut other: EmailServer = from_doc(&doc)?;
            if !other.enabled {
                continue;
            }
            other.enabled = false;
            other.last_updated = ctx.now;
            let event = server_event(
                ctx,
                "system.email.server.update",
                "Disable a custom SMTP server: another was enabled",
                &other,
            )
            .with_debug("changed", "enabled");
            self.store()
                .put_document(
                    &to_doc(EMAIL_SERVER_KIND, &other.id, &other, ctx.now)?,
                    Some(doc.version),
                    &[event],
                )
                .await?;
        }
        Ok(())
    }

    /// The SMTP settings of a stored server, its password opened.
    fn server_settings(&self, server: &EmailServer) -> Result<SmtpSettings> {
        let password = if server.password_sealed.is_empty() {
            None
        } else {
            Some(
                self.inner
                    .keys
                    .key()?
                    .open(&email_server_purpose(&server.id), &server.password_sealed)?,
            )
        };
        Ok(SmtpSettings {
            host: server.host.clone(),
            port: server.port,
            tls: tls_mode(&server.tls).unwrap_or(TlsMode::Required),
            username: (!server.username.is_empty()).then(|| server.username.clone()),
            password,
        })
    }

    /// The sender of mail: `ROSTER_EMAIL_FROM` when set, else `noreply@` the public URL's host
    /// (`noreply@localhost` when that host is no mail domain, an IP address for one), named after
    /// the organisation.
    pub(crate) fn default_sender(&self) -> Result<Mailbox> {
        let config = self.inner.mail.get();
        if let Some(from) = config.and_then(|c| c.from.clone()) {
            return Ok(from);
        }
        let host = config
            .and_then(|c| url_host(&c.public_url))
            .unwrap_or_else(|| "localhost".to_owned());
        let name = config.map(|c| roster_mail::sanitize_header_text(&c.org_name));
        roster_mail::message::parse_mailbox("the sender", &format!("noreply@{host}"))
            .or_else(|_| roster_mail::message::parse_mailbox("the sender", "noreply@localhost"))
            .map(|m| Mailbox::new(name.filter(|n| !n.is_empty()), m.email))
            .map_err(|e| ProvisioningError::Invalid {
                field: "ROSTER_EMAIL_FROM".into(),
                message: e.to_string(),
                remediation:
                    "set ROSTER_EMAIL_FROM to the sender, e.g. 'Roster <noreply@example.com>'"
                        .into(),
            })
    }

    /// The mailer a mail goes through now, and a description of where it is configured (for
    /// task remediations): the enabled API server, else `ROSTER_SMTP_URL`, else none.
    pub(crate) async fn current_mailer(&self) -> Result<Option<(Mailer, MailerSource)>> {
        for server in self.list_email_servers().await? {
            if server.enabled {
                let settings = self.server_settings(&server)?;
                let mailer = Mailer::with_sender(&settings, self.default_sender()?)
                    .map_err(|e| ProvisioningError::Crypto(e.to_string()))?;
                return Ok(Some((
                    mailer,
                    MailerSource::Api {
                        id: server.id,
                        alias: server.alias,
                    },
                )));
            }
        }
        Ok(self
            .inner
            .mail
            .get()
            .and_then(|c| c.mailer.clone())
            .map(|m| (m, MailerSource::Environment)))
    }

    /// Send a test mail through `id` (the administrator's explicit request: this one waits for
    /// the server, and says what it answered).
    pub async fn test_email_server(
        &self,
        ctx: &Ctx,
        id: &str,
        from: Option<&str>,
        to: &str,
    ) -> std::result::Result<(), TestSendError> {
        let server = self.get_email_server(id).await?;
        let settings = self.server_settings(&server)?;
        let sender = match from {
            Some(f) => roster_mail::message::parse_mailbox("fromAddress", f)
                .map_err(|e| TestSendError::Address(e.to_string()))?,
            None => self.default_sender()?,
        };
        let mailer = Mailer::with_sender(&settings, sender)
            .map_err(|e| TestSendError::Address(e.to_string()))?;
        let org = self
            .inner
            .mail
            .get()
            .map(|c| c.org_name.clone())
            .unwrap_or_else(|| "Roster".into());
        let mail = roster_mail::Rendered {
            subject: format!("{org}: test email from {}", server.alias),
            text: format!(
                "This is a test email from {org}, sent through the SMTP server {} ({}:{}).\n\nIf you can read it, the server works.\n",
                server.alias, server.host, server.port
            ),
            html: format!(
                "<!doctype html>\n<html><body><p>This is a test email from {}, sent through the SMTP server {} ({}:{}).</p><p>If you can read it, the server works.</p></body></html>\n",
                roster_mail::template::escape_html(&org),
                roster_mail::template::escape_html(&server.alias),
                roster_mail::template::escape_html(&server.host),
                server.port
            ),
        };
        let message = roster_mail::compose(mailer.from(), "", to, &mail)
            .map_err(|e| TestSendError::Address(e.to_string()))?;
        let outcome = mailer.send(message).await;
        let mut event = server_event(
            ctx,
            "system.email.server.test",
            "Send a test email through a custom SMTP server",
            &server,
        )
        .with_debug("recipient", to);
        if let Err(e) = &outcome {
            event = event.failure(e.message.clone());
            if let Some(code) = e.code {
                event = event.with_debug("TargetStatus", code);
            }
        }
        self.store()
            .append_events(&[event])
            .await
            .map_err(|e| TestSendError::Other(e.into()))?;
        outcome.map_err(TestSendError::Send)
    }

    // --- template customizations ---

    /// The customizations of `template`, the default first, then by language.
    pub async fn list_customizations(
        &self,
        template: TemplateName,
    ) -> Result<Vec<EmailCustomization>> {
        let docs = self
            .store()
            .list_documents(EMAIL_CUSTOMIZATION_KIND)
            .await?;
        let mut out = Vec::new();
        for doc in &docs {
            let c: EmailCustomization = from_doc(doc)?;
            if c.template_name == template.as_str() {
                out.push(c);
            }
        }
        out.sort_by(|a, b| {
            b.is_default
                .cmp(&a.is_default)
                .then(a.language.cmp(&b.language))
        });
        Ok(out)
    }

    pub async fn get_customization(
        &self,
        template: TemplateName,
        id: &str,
    ) -> Result<EmailCustomization> {
        let found = match self
            .store()
            .get_document(EMAIL_CUSTOMIZATION_KIND, id)
            .await?
        {
            Some(doc) => Some(from_doc::<EmailCustomization>(&doc)?),
            None => None,
        };
        found
            .filter(|c| c.template_name == template.as_str())
            .ok_or_else(|| ProvisioningError::NotFound {
                kind: "email customization",
                id: id.to_owned(),
            })
    }

    /// Create a customization (already checked by the caller: variables, link, language).
    pub async fn create_customization(
        &self,
        ctx: &Ctx,
        template: TemplateName,
        input: CustomizationInput,
    ) -> Result<std::result::Result<EmailCustomization, CustomizationConflict>> {
        let existing = self.list_customizations(template).await?;
        if existing.iter().any(|c| c.language == input.language) {
            return Ok(Err(CustomizationConflict::LanguageTaken(input.language)));
        }
        let has_default = existing.iter().any(|c| c.is_default);
        let is_default = match input.is_default {
            Some(true) if has_default => return Ok(Err(CustomizationConflict::DefaultExists)),
            Some(d) => d || !has_default,
            None => !has_default,
        };
        let c = EmailCustomization {
            id: make_id(IdKind::Other, ctx.now, rand::random()),
            template_name: template.as_str().to_owned(),
            language: input.language,
            is_default,
            subject: input.subject,
            body: input.body,
            created: ctx.now,
            last_updated: ctx.now,
        };
        let event = customization_event(ctx, "create", &c);
        self.store()
            .put_document(
                &to_doc(EMAIL_CUSTOMIZATION_KIND, &c.id, &c, ctx.now)?,
                Some(0),
                &[event],
            )
            .await?;
        Ok(Ok(c))
    }

    /// Replace a customization. Making it the default takes that from the previous one.
    pub async fn update_customization(
        &self,
        ctx: &Ctx,
        template: TemplateName,
        id: &str,
        input: CustomizationInput,
    ) -> Result<std::result::Result<EmailCustomization, CustomizationConflict>> {
        let mut c = self.get_customization(template, id).await?;
        let existing = self.list_customizations(template).await?;
        if existing
            .iter()
            .any(|o| o.id != c.id && o.language == input.language)
        {
            return Ok(Err(CustomizationConflict::LanguageTaken(input.language)));
        }
        let is_default = input.is_default.unwrap_or(c.is_default);
        if c.is_default && !is_default {
            return Ok(Err(CustomizationConflict::DefaultCannotBeUnset));
        }
        if is_default && !c.is_default {
            for mut other in existing.into_iter().filter(|o| o.is_default) {
                other.is_default = false;
                other.last_updated = ctx.now;
                let event = customization_event(ctx, "update", &other);
                self.store()
                    .put_document(
                        &to_doc(EMAIL_CUSTOMIZATION_KIND, &other.id, &other, ctx.now)?,
                        None,
                        &[event],
                    )
                    .await?;
            }
        }
        c.language = input.language;
        c.is_default = is_default;
        c.subject = input.subject;
        c.body = input.body;
        c.last_updated = ctx.now;
        let event = customization_event(ctx, "update", &c);
        self.store()
            .put_document(
                &to_doc(EMAIL_CUSTOMIZATION_KIND, &c.id, &c, ctx.now)?,
                None,
                &[event],
            )
            .await?;
        Ok(Ok(c))
    }

    /// Delete one customization; the default only when it is the last.
    pub async fn delete_customization(
        &self,
        ctx: &Ctx,
        template: TemplateName,
        id: &str,
    ) -> Result<std::result::Result<(), CustomizationConflict>> {
        let c = self.get_customization(template, id).await?;
        if c.is_default && self.list_customizations(template).await?.len() > 1 {
            return Ok(Err(CustomizationConflict::DefaultHasOthers));
        }
        let event = customization_event(ctx, "delete", &c);
        self.store()
            .delete_document(EMAIL_CUSTOMIZATION_KIND, &c.id, &[event])
            .await?;
        Ok(Ok(()))
    }

    /// Delete every customization of `template`: its mails go back to Roster's default text.
    pub async fn delete_all_customizations(&self, ctx: &Ctx, template: TemplateName) -> Result<()> {
        for c in self.list_customizations(template).await? {
            let event = customization_event(ctx, "delete", &c);
            self.store()
                .delete_document(EMAIL_CUSTOMIZATION_KIND, &c.id, &[event])
                .await?;
        }
        Ok(())
    }

    /// The template a mail to a user with `language` (their `preferredLanguage`, if any) is
    /// rendered from: the customization in that language, else the default customization, else
    /// Roster's default text.
    pub(crate) async fn template_for(
        &self,
        name: TemplateName,
        language: Option<&str>,
    ) -> Result<Template> {
        let customizations = self.list_customizations(name).await?;
        let chosen = language
            .and_then(|l| {
                customizations
                    .iter()
                    .find(|c| c.language.eq_ignore_ascii_case(l))
            })
            .or_else(|| customizations.iter().find(|c| c.is_default));
        Ok(match chosen {
            Some(c) => c.template(),
            None => name.default_template(),
        })
    }
}

fn customization_event(ctx: &Ctx, verb: &str, c: &EmailCustomization) -> LogEvent {
    let message = match verb {
        "create" => "Create an email template customization",
        "update" => "Update an email template customization",
        _ => "Delete an email template customization",
    };
    ctx.event(
        &format!("system.email.template.customization.{verb}"),
        message,
    )
    .with_target(&c.id, "EmailCustomization", Some(&c.template_name), None)
    .with_debug("template", c.template_name.as_str())
    .with_debug("language", c.language.as_str())
    .with_debug("isDefault", c.is_default)
}

/// Where the server a mail goes through is configured.
#[derive(Debug, Clone)]
pub enum MailerSource {
    Environment,
    Api { id: String, alias: String },
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map(|(_, h)| h).unwrap_or(host);
    let host = if host.starts_with('[') {
        host.split(']').next().map(|h| format!("{h}]"))?
    } else {
        host.split(':').next()?.to_owned()
    };
    (!host.is_empty()).then_some(host)
}
