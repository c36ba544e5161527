//! Timestamps: Roster's fixed-width UTC text (`2026-11-22T22:37:46.123Z`) and LDAP's
//! GeneralizedTime (`20261122223746Z`, AD: `20261122223746.0Z`).

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Check that `ts` is `YYYY-MM-DDTHH:MM:SS[.fff...]Z`; the message says what is wrong.
pub fn validate_timestamp(ts: &str) -> Result<(), String> {
    let bad = || format!("'{ts}' is not a UTC timestamp like 2026-11-22T22:37:46.123Z");
    let b = ts.as_bytes();
    // ASCII first: the byte slices below must fall on character boundaries.
    if !ts.is_ascii() || b.len() < 20 || !ts.ends_with('Z') {
        return Err(bad());
    }
    let ok = digits(&ts[0..4])
        && b[4] == b'-'
        && digits(&ts[5..7])
        && b[7] == b'-'
        && digits(&ts[8..10])
        && b[10] == b'T'
        && digits(&ts[11..13])
        && b[13] == b':'
        && digits(&ts[14..16])
        && b[16] == b':'
        && digits(&ts[17..19]);
    let rest = &ts[19..ts.len() - 1];
    let frac_ok = rest.is_empty() || (rest.starts_with('.') && digits(&rest[1..]));
    if ok && frac_ok {
        Ok(())
    } else {
        Err(bad())
    }
}

/// `2026-11-22T22:37:46.123Z` → `20261122223746Z` (LDAP GeneralizedTime, whole seconds, rounded
/// down so a `>=` filter never misses an entry changed in the same second).
pub fn to_generalized_time(ts: &str) -> Result<String, String> {
    validate_timestamp(ts)?;
    Ok(format!(
        "{}{}{}{}{}{}Z",
        &ts[0..4],
        &ts[5..7],
        &ts[8..10],
        &ts[11..13],
        &ts[14..16],
        &ts[17..19]
    ))
}

/// `20261122223746Z` or `20261122223746.0Z` → `2026-11-22T22:37:46.000Z`; `None` when the value
/// is not a UTC GeneralizedTime with seconds.
pub fn from_generalized_time(gt: &str) -> Option<String> {
    let body = gt.strip_suffix('Z')?;
    let (whole, frac) = match body.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (body, ""),
    };
    if whole.len() != 14 || !digits(whole) || !(frac.is_empty() || digits(frac)) {
        return None;
    }
    let mut millis: String = frac.chars().take(3).collect();
    while millis.len() < 3 {
        millis.push('0');
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}.{}Z",
        &whole[0..4],
        &whole[4..6],
        &whole[6..8],
        &whole[8..10],
        &whole[10..12],
        &whole[12..14],
        millis
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways() {
        assert_eq!(
            to_generalized_time("2026-11-22T22:37:46.123Z").as_deref(),
            Ok("20261122223746Z")
        );
        assert_eq!(
            from_generalized_time("20261122223746Z").as_deref(),
            Some("2026-11-22T22:37:46.000Z")
        );
        assert_eq!(
            from_generalized_time("20261122223746.5Z").as_deref(),
            Some("2026-11-22T22:37:46.500Z")
        );
        assert_eq!(from_generalized_time("2026112222Z"), None);
        assert!(to_generalized_time("2026-11-22 22:37:46Z").is_err());
        assert!(validate_timestamp("2026-11-22T22:37:46Z").is_ok());
    }

    #[test]
    fn non_ascii_timestamps_are_refused_not_panicked_on() {
        // Two-byte characters put byte 4 inside a character: slicing there would panic.
        assert!(validate_timestamp("2éé6-11-22T22:37:46.1Z").is_err());
        assert!(to_generalized_time("2éé6-11-22T22:37:46.1Z").is_err());
    }
}
