//! The operator's SMTP server, and sending one message to it.

use std::fmt;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::MailError;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// `smtp://` (the default): STARTTLS when the server offers it, else plain text.
    Opportunistic,
    /// `smtp://...?tls=required`: STARTTLS or nothing.
    Required,
    /// `smtp://...?tls=none`: plain text only (a relay on the same machine).
    None,
    /// `smtps://`: TLS from the first byte.
    Implicit,
}

impl TlsMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TlsMode::Opportunistic => "opportunistic",
            TlsMode::Required => "required",
            TlsMode::None => "none",
            TlsMode::Implicit => "implicit",
        }
    }
}

/// Where mail goes: `smtp://[user[:password]@]host[:port][?tls=required|opportunistic|none]`
/// or `smtps://...`. `Debug` and [`SmtpSettings::redacted`] never show the password.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl SmtpSettings {
    /// Parse an SMTP URL. The error never repeats the URL (it may carry a password).
    pub fn parse(url: &str) -> Result<Self, MailError> {
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            MailError::InvalidUrl(format!(
                "{e}; write smtp://user:password@host:587 or smtps://host:465"
            ))
        })?;
        let (mut tls, default_port) = match parsed.scheme() {
            "smtp" => (TlsMode::Opportunistic, 587),
            "smtps" => (TlsMode::Implicit, 465),
            other => {
                return Err(MailError::InvalidUrl(format!(
                    "the scheme is {other:?}; use smtp:// (STARTTLS when offered) or smtps:// (implicit TLS)"
                )))
            }
        };
        let host = parsed
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| MailError::InvalidUrl("it names no host".into()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), value.as_ref(), tls) {
                ("tls", "required", TlsMode::Implicit)
                | ("tls", "opportunistic", TlsMode::Implicit) => {}
                ("tls", "required", _) => tls = TlsMode::Required,
                ("tls", "opportunistic", _) => tls = TlsMode::Opportunistic,
                ("tls", "none", TlsMode::Implicit) => {
                    return Err(MailError::InvalidUrl(
                        "smtps:// is always TLS: use smtp://...?tls=none for plain text".into(),
                    ))
                }
                ("tls", "none", _) => tls = TlsMode::None,
                (key, _, _) => {
                    return Err(MailError::InvalidUrl(format!(
                        "unknown parameter {key:?}: the only one is tls=required|opportunistic|none"
                    )))
                }
            }
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| MailError::InvalidUrl("the user or password is not UTF-8".into()))
        };
        let username = match parsed.username() {
            "" => None,
            u => Some(decode(u)?),
        };
        let password = parsed
            .password()
            .map(|p| decode(p).map(SecretString::from))
            .transpose()?;
        Ok(SmtpSettings {
            host,
            port: parsed.port().unwrap_or(default_port),
            tls,
            username,
            password,
        })
    }

    /// These settings with the user and password given apart from the URL.
    pub fn with_credentials(
        mut self,
        username: Option<String>,
        password: Option<SecretString>,
    ) -> Self {
        if let Some(u) = username.filter(|u| !u.is_empty()) {
            self.username = Some(u);
        }
        if let Some(p) = password {
            self.password = Some(p);
        }
        self
    }

    /// The server as logs may show it: scheme, user, host, port and TLS mode, never the
    /// password.
    pub fn redacted(&self) -> String {
        let scheme = if self.tls == TlsMode::Implicit {
            "smtps"
        } else {
            "smtp"
        };
        let user = match (&self.username, &self.password) {
            (Some(u), Some(_)) => format!("{u}:***@"),
            (Some(u), None) => format!("{u}@"),
            (None, Some(_)) => ":***@".to_owned(),
            (None, None) => String::new(),
        };
        format!(
            "{scheme}://{user}{}:{} (tls {})",
            self.host,
            self.port,
            self.tls.as_str()
        )
    }
}

/// Whether trying again later may help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendErrorKind {
    /// The server is unreachable, timed out, or answered 4xx: retry with backoff.
    Transient,
    /// The server refused for good (5xx: bad credentials, relay denied, unknown recipient) or
    /// the TLS the operator asked for cannot be had: a person must fix something.
    Permanent,
}

/// A failed send: its class, the server's reply code if any, and a message without secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub kind: SendErrorKind,
    pub code: Option<u16>,
    pub message: String,
}

/// Sends messages to one SMTP server from one sender. A connection per message: mail is rare.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// A mailer for `settings`, sending as `from` (`Name <address>` or an address).
    pub fn new(settings: &SmtpSettings, from: &str) -> Result<Self, MailError> {
        let from = crate::message::parse_mailbox("the sender (ROSTER_EMAIL_FROM)", from)?;
        Mailer::with_sender(settings, from)
    }

    /// A mailer for `settings`, sending as `from`.
    pub fn with_sender(settings: &SmtpSettings, from: Mailbox) -> Result<Self, MailError> {
        let params = || {
            TlsParameters::new(settings.host.clone())
                .map_err(|e| MailError::InvalidUrl(format!("TLS cannot be prepared: {e}")))
        };
        let tls = match settings.tls {
            TlsMode::None => Tls::None,
            TlsMode::Opportunistic => Tls::Opportunistic(params()?),
            TlsMode::Required => Tls::Required(params()?),
            TlsMode::Implicit => Tls::Wrapper(params()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if let Some(user) = &settings.username {
            let password = settings
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
            server: settings.redacted(),
        })
    }

    /// The sender every message carries.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The server, without its password, for logs and task messages.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Hand `message` to the server.
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) => Err(classify(&e, &self.server)),
        }
    }
}

fn classify(e: &lettre::transport::smtp::Error, server: &str) -> SendError {
    let code = e.status().map(|c| {
        let text = c.to_string();
        text.parse::<u16>().unwrap_or(0)
    });
    let kind = if e.is_permanent() || e.is_tls() {
        SendErrorKind::Permanent
    } else if e.is_client() && code.is_none() {
        // e.g. "No compatible authentication mechanism was found": no retry will change it.
        SendErrorKind::Permanent
    } else {
        SendErrorKind::Transient
    };
    SendError {
        kind,
        code,
        message: format!("{server} answered: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_never_show_the_password() {
        let s = SmtpSettings::parse("smtp://mailer:s%40cret@mail.example.com:2525").unwrap();
        assert_eq!(s.host, "mail.example.com");
        assert_eq!(s.port, 2525);
        assert_eq!(s.tls, TlsMode::Opportunistic);
        assert_eq!(s.username.as_deref(), Some("mailer"));
        assert_eq!(
            s.password.as_ref().map(|p| p.expose_secret().to_owned()),
            Some("s@cret".into())
        );
        assert_eq!(
            s.redacted(),
            "smtp://mailer:***@mail.example.com:2525 (tls opportunistic)"
        );
        assert!(!format!("{s:?}").contains("cret"));

        let s = SmtpSettings::parse("smtp://mail.example.com?tls=required").unwrap();
        assert_eq!((s.port, s.tls), (587, TlsMode::Required));
        let s = SmtpSettings::parse("smtps://mail.example.com").unwrap();
        assert_eq!((s.port, s.tls), (465, TlsMode::Implicit));
        let s = SmtpSettings::parse("smtp://127.0.0.1:8025?tls=none").unwrap();
        assert_eq!((s.port, s.tls), (8025, TlsMode::None));

        for bad in [
            "http://mail.example.com",
            "smtp://",
            "smtp://h?tls=maybe",
            "smtp://h?verify=no",
            "smtps://h?tls=none",
            "not a url with p4ssw0rd",
        ] {
            let e = SmtpSettings::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("p4ssw0rd"), "{e}");
        }
    }

    #[test]
    fn separate_credentials_override_the_url() {
        let s = SmtpSettings::parse("smtp://a:b@h")
            .unwrap()
            .with_credentials(Some("c".into()), Some(SecretString::from("d")));
        assert_eq!(s.username.as_deref(), Some("c"));
        assert_eq!(
            s.password.map(|p| p.expose_secret().to_owned()),
            Some("d".into())
        );
    }

    #[tokio::test]
    async fn a_server_that_is_not_there_is_transient() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let settings = SmtpSettings::parse(&format!("smtp://127.0.0.1:{port}")).unwrap();
        let mailer = Mailer::new(&settings, "Roster <noreply@example.com>").unwrap();
        let mail = crate::Rendered {
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
        };
        let message = crate::compose(mailer.from(), "Ada", "ada@example.com", &mail).unwrap();
        let e = mailer.send(message).await.unwrap_err();
        assert_eq!(e.kind, SendErrorKind::Transient, "{e}");
    }
}
