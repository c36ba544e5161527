//! Timestamps as Roster writes them: UTC, millisecond precision, `2026-11-22T22:37:46.123Z`.
//! The fixed width makes them order correctly as text, in SQL and in filters.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time. The core never reads the clock: callers pass `Timestamp`s in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(jiff::Timestamp);

impl Timestamp {
    /// From milliseconds since the Unix epoch (clamped to jiff's supported range).
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH))
    }

    pub fn as_millis(&self) -> i64 {
        self.0.as_millisecond()
    }

    pub fn parse(s: &str) -> Option<Self> {
        s.parse::<jiff::Timestamp>()
            .ok()
            .map(|t| Self::from_millis(t.as_millisecond()))
    }

    pub fn plus_minutes(&self, minutes: i64) -> Self {
        Self::from_millis(
            self.as_millis()
                .saturating_add(minutes.saturating_mul(60_000)),
        )
    }

    pub fn plus_days(&self, days: i64) -> Self {
        self.plus_minutes(days.saturating_mul(24 * 60))
    }

    pub fn inner(&self) -> jiff::Timestamp {
        self.0
    }
}

impl From<jiff::Timestamp> for Timestamp {
    fn from(t: jiff::Timestamp) -> Self {
        Self::from_millis(t.as_millisecond())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.strftime("%Y-%m-%dT%H:%M:%S.%3fZ"))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not an ISO-8601 timestamp: {s}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_fixed_millisecond_width() {
        let t = Timestamp::from_millis(1_700_000_000_000);
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.000Z");
        assert_eq!(Timestamp::parse(&t.to_string()), Some(t));
    }
}
