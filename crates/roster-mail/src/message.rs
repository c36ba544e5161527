//! A rendered template and a recipient, composed into one MIME message.

use std::str::FromStr;

use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};

use crate::{MailError, Rendered};

/// Text for a header (a display name, a subject) with every control character, CR and LF
/// included, turned into a space, so no value can end a header line and start another.
pub fn sanitize_header_text(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Parse a sender such as `Roster <noreply@example.com>` or `noreply@example.com`.
pub fn parse_mailbox(what: &'static str, value: &str) -> Result<Mailbox, MailError> {
    let invalid = || MailError::InvalidAddress {
        what,
        value: value.to_owned(),
    };
    if value.chars().any(|c| c.is_control()) {
        return Err(invalid());
    }
    Mailbox::from_str(value.trim()).map_err(|_| invalid())
}

/// The message from `from` to `name <address>` with `mail`'s subject and its plain text and
/// HTML bodies as alternatives. The address is validated; the name is sanitized.
pub fn compose(
    from: &Mailbox,
    name: &str,
    address: &str,
    mail: &Rendered,
) -> Result<Message, MailError> {
    let invalid = || MailError::InvalidAddress {
        what: "the recipient",
        value: address.to_owned(),
    };
    if address.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid());
    }
    let address = Address::from_str(address).map_err(|_| invalid())?;
    let name = sanitize_header_text(name);
    let to = Mailbox::new((!name.is_empty()).then_some(name), address);
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(sanitize_header_text(&mail.subject))
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .map_err(|e| MailError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(subject: &str) -> Rendered {
        Rendered {
            subject: subject.into(),
            text: "plain".into(),
            html: "<p>html</p>".into(),
        }
    }

    fn headers(message: &Message) -> String {
        let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
        raw.split("\r\n\r\n").next().unwrap_or("").to_owned()
    }

    #[test]
    fn a_name_with_cr_lf_cannot_add_a_header() {
        let from = parse_mailbox("the sender", "Roster <noreply@example.com>").unwrap();
        let message = compose(
            &from,
            "Ada\r\nBcc: victim@evil.example\r\nX-Injected: yes",
            "ada@example.com",
            &rendered("Hello\r\nX-Subject-Injected: yes"),
        )
        .unwrap();
        let head = headers(&message);
        for line in head.split("\r\n") {
            let lower = line.to_ascii_lowercase();
            assert!(!lower.starts_with("bcc:"), "{head}");
            assert!(!lower.starts_with("x-injected:"), "{head}");
            assert!(!lower.starts_with("x-subject-injected:"), "{head}");
        }
        assert!(head.contains("ada@example.com"), "{head}");
    }

    #[test]
    fn addresses_are_validated() {
        let from = parse_mailbox("the sender", "noreply@example.com").unwrap();
        for bad in [
            "not an address",
            "ada@example.com\r\nBcc: x@y.z",
            "",
            "@example.com",
            "ada@",
        ] {
            assert!(
                matches!(
                    compose(&from, "Ada", bad, &rendered("s")),
                    Err(MailError::InvalidAddress { .. })
                ),
                "{bad:?}"
            );
        }
        assert!(parse_mailbox("the sender", "Roster <noreply@example.com>\nBcc: x@y.z").is_err());
        assert!(parse_mailbox("the sender", "nobody").is_err());
    }

    #[test]
    fn the_message_has_plain_text_and_html() {
        let from = parse_mailbox("the sender", "noreply@example.com").unwrap();
        let message = compose(&from, "Ada Lovelace", "ada@example.com", &rendered("Hi")).unwrap();
        let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(raw.contains("text/plain"), "{raw}");
        assert!(raw.contains("text/html"), "{raw}");
        assert!(raw.contains("Subject: Hi"), "{raw}");
    }
}
