//! Okta's email templates: names, default texts and `${...}` variables.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::MailError;

/// The variables a template may use, as Okta names them.
pub const VARIABLES: &[&str] = &[
    "user.profile.firstName",
    "user.profile.lastName",
    "user.profile.login",
    "user.profile.email",
    "org.name",
    "baseURL",
    "activationLink",
    "resetPasswordLink",
];

/// Okta's template names (the ones Roster sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TemplateName {
    /// An administrator activated a user who has no password yet: `${activationLink}`.
    UserActivation,
    /// An administrator reset the user's password: `${resetPasswordLink}`.
    PasswordResetByAdmin,
    /// The user asked for a reset (`/forgot-password`): `${resetPasswordLink}`.
    ForgotPassword,
    /// The user asked for a reset but Roster does not hold their password (a FEDERATION user).
    ForgotPasswordDenied,
    /// The user changed their own password.
    PasswordChanged,
    /// An administrator expired the user's password (`expire_password?sendEmail=true`): they
    /// choose a new one at their next sign-in. Okta lists no template for this notice; the name
    /// is Roster's.
    PasswordExpired,
}

impl TemplateName {
    pub const ALL: [TemplateName; 6] = [
        TemplateName::UserActivation,
        TemplateName::PasswordResetByAdmin,
        TemplateName::ForgotPassword,
        TemplateName::ForgotPasswordDenied,
        TemplateName::PasswordChanged,
        TemplateName::PasswordExpired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TemplateName::UserActivation => "UserActivation",
            TemplateName::PasswordResetByAdmin => "PasswordResetByAdmin",
            TemplateName::ForgotPassword => "ForgotPassword",
            TemplateName::ForgotPasswordDenied => "ForgotPasswordDenied",
            TemplateName::PasswordChanged => "PasswordChanged",
            TemplateName::PasswordExpired => "PasswordExpired",
        }
    }

    /// The variable that carries this template's one-time link, if it has one. A customized
    /// body must use it, or the mail could not do its job (Okta refuses such a body too).
    pub fn link_variable(self) -> Option<&'static str> {
        match self {
            TemplateName::UserActivation => Some("activationLink"),
            TemplateName::PasswordResetByAdmin | TemplateName::ForgotPassword => {
                Some("resetPasswordLink")
            }
            TemplateName::ForgotPasswordDenied
            | TemplateName::PasswordChanged
            | TemplateName::PasswordExpired => None,
        }
    }

    /// Roster's default subject and bodies for this template.
    pub fn default_template(self) -> Template {
        let (subject, intro, action, outro) = match self {
            TemplateName::UserActivation => (
                "Welcome to ${org.name}: activate your account",
                "An account has been created for you at ${org.name}. Your username is ${user.profile.login}.",
                Some(("Activate your account", "${activationLink}")),
                "The link works once and expires in 7 days. If it has expired, ask your administrator for a new one.",
            ),
            TemplateName::PasswordResetByAdmin => (
                "${org.name}: set a new password",
                "Your administrator has reset the password of your account ${user.profile.login}.",
                Some(("Set a new password", "${resetPasswordLink}")),
                "The link works once and expires in 1 hour. If it has expired, ask your administrator for a new one.",
            ),
            TemplateName::ForgotPassword => (
                "${org.name}: reset your password",
                "Someone asked to reset the password of your account ${user.profile.login}.",
                Some(("Reset your password", "${resetPasswordLink}")),
                "The link works once and expires in 1 hour. If you did not ask for this, ignore this message: your password stays as it is.",
            ),
            TemplateName::ForgotPasswordDenied => (
                "${org.name}: your password is managed elsewhere",
                "Someone asked to reset the password of your account ${user.profile.login}. ${org.name} does not hold this password: it is managed by your identity provider, which you sign in through.",
                None,
                "Reset it where your organisation manages it, or ask your administrator. If you did not ask for this, ignore this message.",
            ),
            TemplateName::PasswordChanged => (
                "${org.name}: your password was changed",
                "The password of your account ${user.profile.login} was just changed.",
                None,
                "If you did this, there is nothing to do. If you did not, contact your administrator at once.",
            ),
            TemplateName::PasswordExpired => (
                "${org.name}: choose a new password at your next sign-in",
                "Your administrator has expired the password of your account ${user.profile.login}. The next time you sign in at ${baseURL}/login, you will be asked to choose a new one.",
                None,
                "Sign in with your current password, or with the temporary one your administrator gives you. If you did not expect this, contact your administrator.",
            ),
        };
        let mut text = format!("Hello ${{user.profile.firstName}},\n\n{intro}\n\n");
        let mut html = format!(
            "<!doctype html>\n<html><body style=\"font-family: sans-serif; line-height: 1.5\">\n<p>Hello ${{user.profile.firstName}},</p>\n<p>{intro}</p>\n"
        );
        if let Some((label, link)) = action {
            text.push_str(&format!("{label}:\n{link}\n\n"));
            html.push_str(&format!(
                "<p><a href=\"{link}\" style=\"display: inline-block; padding: 8px 16px; background: #1d4ed8; color: #fff; text-decoration: none; border-radius: 4px\">{label}</a></p>\n<p>Or open this address: {link}</p>\n"
            ));
        }
        text.push_str(&format!("{outro}\n\n-- \n${{org.name}}\n"));
        html.push_str(&format!(
            "<p>{outro}</p>\n<p style=\"color: #555\">${{org.name}}</p>\n</body></html>\n"
        ));
        Template {
            name: self.as_str().to_owned(),
            subject: subject.to_owned(),
            text,
            html,
        }
    }
}

impl fmt::Display for TemplateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TemplateName {
    type Err = MailError;
    fn from_str(s: &str) -> Result<Self, MailError> {
        TemplateName::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| MailError::UnknownTemplate(s.to_owned()))
    }
}

/// A template: subject, plain text and HTML, each with `${...}` variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The values of a mail's variables. Link values are secrets: `Debug` shows the names only.
#[derive(Clone, Default)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    pub fn new() -> Self {
        Vars::default()
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) -> &mut Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// A rendered mail. The bodies may carry a one-time link: `Debug` shows the subject only.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// A template from an HTML body (an Okta customization has a subject and an HTML `body`):
    /// the plain-text alternative is derived from the HTML, links written out.
    pub fn from_html(name: &str, subject: &str, html: &str) -> Template {
        Template {
            name: name.to_owned(),
            subject: subject.to_owned(),
            text: html_to_text(html),
            html: html.to_owned(),
        }
    }

    /// Every problem of the template's three parts (unknown variables, unclosed `${`), so a
    /// template that could not render is refused when it is saved.
    pub fn check(&self) -> Result<(), Vec<MailError>> {
        let problems: Vec<MailError> = [
            ("subject", &self.subject),
            ("text", &self.text),
            ("html", &self.html),
        ]
        .into_iter()
        .filter_map(|(part, source)| {
            substitute(&format!("{}.{part}", self.name), source, &|_| String::new()).err()
        })
        .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The template with `vars` put in: plain in the subject and the text, HTML-escaped in the
    /// HTML. A variable without a value renders empty.
    pub fn render(&self, vars: &Vars) -> Result<Rendered, MailError> {
        let subject = substitute(&format!("{}.subject", self.name), &self.subject, &|n| {
            vars.get(n).to_owned()
        })?;
        let text = substitute(&format!("{}.text", self.name), &self.text, &|n| {
            vars.get(n).to_owned()
        })?;
        let html = substitute(&format!("{}.html", self.name), &self.html, &|n| {
            escape_html(vars.get(n))
        })?;
        Ok(Rendered {
            subject: crate::message::sanitize_header_text(&subject),
            text,
            html,
        })
    }
}

/// Check one template part (`part` names it in the error) for unknown variables and an
/// unclosed `${`, without rendering it.
pub fn check_source(part: &str, source: &str) -> Result<(), MailError> {
    substitute(part, source, &|_| String::new()).map(|_| ())
}

/// The variables `source` uses, in order, each once (unknown names included).
pub fn variables_in(source: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = after[..end].trim().to_owned();
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 1..];
    }
    out
}

/// A plain-text rendering of an HTML body: tags dropped, block ends as line breaks, a link
/// written as `label: href` so the plain part still carries it, and the common entities
/// decoded. `${...}` variables pass through untouched.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut pending_href: Option<String> = None;
    while let Some(open) = rest.find('<') {
        out.push_str(&decode_entities(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&decode_entities(&rest[open..]));
            rest = "";
            break;
        };
        let tag = &rest[open + 1..open + close];
        rest = &rest[open + close + 1..];
        let lower = tag.trim().to_ascii_lowercase();
        let name: String = lower
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let closing = lower.starts_with('/');
        match (name.as_str(), closing) {
            ("style" | "script" | "head" | "title", false) => {
                // Skip their content.
                let end = format!("</{name}");
                match rest.to_ascii_lowercase().find(&end) {
                    Some(at) => {
                        rest = &rest[at..];
                        if let Some(gt) = rest.find('>') {
                            rest = &rest[gt + 1..];
                        }
                    }
                    None => rest = "",
                }
            }
            ("a", false) => pending_href = attribute(tag, "href"),
            ("a", true) => {
                if let Some(href) = pending_href.take() {
                    let label = out.trim_end();
                    if !label.ends_with(href.as_str()) {
                        out.push_str(&format!(": {href}"));
                    }
                }
            }
            ("br", _) => out.push('\n'),
            ("p" | "div" | "tr" | "h1" | "h2" | "h3" | "h4" | "li" | "table", true) => {
                out.push_str("\n\n")
            }
            _ => {}
        }
    }
    out.push_str(&decode_entities(rest));
    // Collapse runs of spaces and of blank lines.
    let mut text = String::new();
    let mut blank = 0;
    for line in out.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank += 1;
            if blank == 1 && !text.is_empty() {
                text.push('\n');
            }
        } else {
            blank = 0;
            text.push_str(&line);
            text.push('\n');
        }
    }
    text.trim_end().to_owned() + "\n"
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let at = lower.find(&format!("{name}="))?;
    let value = &tag[at + name.len() + 1..];
    let value = value.trim_start();
    let (quote, body) = match value.chars().next()? {
        q @ ('"' | '\'') => (Some(q), &value[1..]),
        _ => (None, value),
    };
    let end = match quote {
        Some(q) => body.find(q)?,
        None => body.find(char::is_whitespace).unwrap_or(body.len()),
    };
    Some(decode_entities(&body[..end]))
}

fn decode_entities(s: &str) -> String {
    s.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn substitute(
    template: &str,
    source: &str,
    value: &dyn Fn(&str) -> String,
) -> Result<String, MailError> {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err(MailError::Unclosed {
                template: template.to_owned(),
            });
        };
        let name = after[..end].trim();
        if !VARIABLES.contains(&name) {
            return Err(MailError::UnknownVariable {
                template: template.to_owned(),
                name: name.to_owned(),
            });
        }
        out.push_str(&value(name));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Escape text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        let mut v = Vars::new();
        v.set("user.profile.firstName", "<Ada & \"Co\">")
            .set("user.profile.login", "ada@example.com")
            .set("org.name", "Example")
            .set("activationLink", "https://id.example.com/welcome/TOKEN")
            .set(
                "resetPasswordLink",
                "https://id.example.com/reset_password/TOKEN",
            );
        v
    }

    #[test]
    fn every_default_template_checks_and_renders() {
        for name in TemplateName::ALL {
            let t = name.default_template();
            assert_eq!(t.check(), Ok(()), "{name}");
            let r = t.render(&vars()).unwrap();
            assert!(r.text.contains("Hello <Ada & \"Co\">"), "{name}");
            assert!(
                r.html.contains("Hello &lt;Ada &amp; &quot;Co&quot;&gt;"),
                "{name}"
            );
            assert!(!r.html.contains("<Ada"), "{name}");
            assert!(r.subject.contains("Example"), "{name}");
            assert_eq!(name.as_str().parse::<TemplateName>(), Ok(name));
        }
        let reset = TemplateName::PasswordResetByAdmin
            .default_template()
            .render(&vars())
            .unwrap();
        assert!(reset
            .text
            .contains("https://id.example.com/reset_password/TOKEN"));
        assert!(reset
            .html
            .contains("href=\"https://id.example.com/reset_password/TOKEN\""));
        let welcome = TemplateName::UserActivation
            .default_template()
            .render(&vars())
            .unwrap();
        assert!(welcome
            .text
            .contains("https://id.example.com/welcome/TOKEN"));
    }

    #[test]
    fn unknown_variables_and_unclosed_braces_are_refused_when_checked() {
        let t = Template {
            name: "Custom".into(),
            subject: "Hi ${user.profile.nickName}".into(),
            text: "ok ${org.name}".into(),
            html: "<p>${resetPasswordLink</p>".into(),
        };
        let problems = t.check().unwrap_err();
        assert_eq!(
            problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "Custom.subject: unknown variable ${user.profile.nickName}",
                "Custom.html: a ${ is not closed by }",
            ]
        );
        assert!("Nope".parse::<TemplateName>().is_err());
    }

    #[test]
    fn an_html_body_gives_a_plain_text_part_that_keeps_its_links() {
        let t = Template::from_html(
            "ForgotPassword",
            "Reset at ${org.name}",
            "<html><head><style>p { color: red }</style></head><body><p>Hi ${user.profile.firstName} &amp; co,</p><p><a href=\"${resetPasswordLink}\">Reset it</a><br>Thanks</p></body></html>",
        );
        assert_eq!(t.check(), Ok(()));
        assert_eq!(
            t.text,
            "Hi ${user.profile.firstName} & co,\n\nReset it: ${resetPasswordLink}\nThanks\n"
        );
        let r = t.render(&vars()).unwrap();
        assert!(r
            .text
            .contains("Reset it: https://id.example.com/reset_password/TOKEN"));
        assert_eq!(
            variables_in(&t.html),
            ["user.profile.firstName", "resetPasswordLink"]
        );
        assert_eq!(
            TemplateName::ForgotPassword.link_variable(),
            Some("resetPasswordLink")
        );
        assert!(check_source("body", "${nope").is_err());
    }

    #[test]
    fn debug_never_shows_values() {
        let v = vars();
        assert!(!format!("{v:?}").contains("TOKEN"));
        let r = TemplateName::ForgotPassword
            .default_template()
            .render(&v)
            .unwrap();
        assert!(!format!("{r:?}").contains("TOKEN"));
    }
}
