//! Roster's mail: what a message says and how it leaves.
//!
//! - [`template`]: Okta's template names (`UserActivation`, `PasswordResetByAdmin`,
//!   `ForgotPassword`, `ForgotPasswordDenied`, `PasswordChanged`, and Roster's own
//!   `PasswordExpired`) with default subjects, plain
//!   text and HTML bodies, and Okta's `${...}` variables (`${user.profile.firstName}`,
//!   `${activationLink}`, `${resetPasswordLink}`, `${org.name}`). A template that names an
//!   unknown variable is refused by [`Template::check`], before any mail is due.
//! - [`message`]: a rendered template and a recipient composed into a MIME message (plain text
//!   and HTML alternatives). Addresses are validated; a name or subject with CR, LF or other
//!   control characters cannot add a header.
//! - [`smtp`]: the operator's SMTP server (`smtp://`, `smtps://`, STARTTLS opportunistic by
//!   default, `?tls=required` to insist), and [`Mailer::send`], whose failures are classified as
//!   transient (retry later) or permanent (a person must fix something).
//!
//! This crate knows nothing about the store, the job queue or users: callers hand it strings.
//! The values of link variables are secrets; [`Vars`] and [`Rendered`] never print them in
//! `Debug`.
//!
//! ```
//! use roster_mail::{TemplateName, Vars};
//! let mut vars = Vars::new();
//! vars.set("user.profile.firstName", "Ada");
//! vars.set("org.name", "Example");
//! vars.set("resetPasswordLink", "https://id.example.com/reset_password/abc");
//! let mail = TemplateName::PasswordResetByAdmin.default_template().render(&vars).unwrap();
//! assert!(mail.text.contains("Hello Ada"));
//! assert!(mail.html.contains("https://id.example.com/reset_password/abc"));
//! ```

pub mod message;
pub mod smtp;
pub mod template;

pub use message::{compose, sanitize_header_text};
pub use smtp::{Mailer, SendError, SendErrorKind, SmtpSettings, TlsMode};
pub use template::{
    check_source, html_to_text, variables_in, Rendered, Template, TemplateName, Vars, VARIABLES,
};

pub use lettre::message::Mailbox;
pub use lettre::{Address, Message};

/// What can go wrong before a mail is handed to the server.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MailError {
    #[error("{template}: unknown variable ${{{name}}}")]
    UnknownVariable { template: String, name: String },
    #[error("{template}: a ${{ is not closed by }}")]
    Unclosed { template: String },
    #[error("{what} {value:?} is not an email address")]
    InvalidAddress { what: &'static str, value: String },
    #[error("the SMTP URL is not usable: {0}")]
    InvalidUrl(String),
    #[error("the message cannot be built: {0}")]
    Build(String),
    #[error("unknown email template {0:?}")]
    UnknownTemplate(String),
}
