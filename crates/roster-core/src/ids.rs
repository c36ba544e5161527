//! Opaque ids in Okta's style: a three-character kind prefix and 17 base62 characters.
//! The first characters encode the creation time, so ids sort roughly by creation and B-tree
//! inserts stay local. Entropy comes in as an argument: the core reads no clock and no RNG.

use crate::time::Timestamp;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Kinds of object and their id prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    User,
    Group,
    Policy,
    ApiToken,
    App,
    Task,
    Role,
    Other,
}

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::User => "00u",
            IdKind::Group => "00g",
            IdKind::Policy => "00p",
            IdKind::ApiToken => "00T",
            IdKind::App => "0oa",
            IdKind::Task => "0tk",
            IdKind::Role => "ra1",
            IdKind::Other => "0xx",
        }
    }
}

/// Make an id: prefix + 8 base62 characters of milliseconds + 9 of `random`.
pub fn make_id(kind: IdKind, now: Timestamp, random: u64) -> String {
    let mut out = String::with_capacity(20);
    out.push_str(kind.prefix());
    push_base62(&mut out, now.as_millis().max(0) as u64, 8);
    push_base62(&mut out, random, 9);
    out
}

fn push_base62(out: &mut String, mut n: u64, width: usize) {
    let mut buf = vec![b'0'; width];
    for slot in buf.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    out.extend(buf.iter().map(|&b| b as char));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_okta_length_and_sort_by_time() {
        let a = make_id(IdKind::User, Timestamp::from_millis(1_700_000_000_000), 99);
        let b = make_id(IdKind::User, Timestamp::from_millis(1_700_000_000_001), 1);
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("00u"));
        assert!(a < b);
    }
}
