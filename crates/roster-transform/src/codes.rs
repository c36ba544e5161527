//! Code tables for `convertLocaleCode` and `convertTimezoneCode`.

/// Language (ISO 639-1, lower case) and the region its BCP 47 form gets when none is given.
const LANGUAGES: &[(&str, &str)] = &[
    ("ar", "SA"),
    ("bg", "BG"),
    ("ca", "ES"),
    ("cs", "CZ"),
    ("da", "DK"),
    ("de", "DE"),
    ("el", "GR"),
    ("en", "US"),
    ("es", "ES"),
    ("et", "EE"),
    ("fi", "FI"),
    ("fr", "FR"),
    ("he", "IL"),
    ("hi", "IN"),
    ("hr", "HR"),
    ("hu", "HU"),
    ("id", "ID"),
    ("it", "IT"),
    ("ja", "JP"),
    ("kk", "KZ"),
    ("ko", "KR"),
    ("lt", "LT"),
    ("lv", "LV"),
    ("ms", "MY"),
    ("nb", "NO"),
    ("nl", "NL"),
    ("no", "NO"),
    ("pl", "PL"),
    ("pt", "BR"),
    ("ro", "RO"),
    ("ru", "RU"),
    ("sk", "SK"),
    ("sl", "SI"),
    ("sr", "RS"),
    ("sv", "SE"),
    ("th", "TH"),
    ("tr", "TR"),
    ("uk", "UA"),
    ("vi", "VN"),
    ("zh", "CN"),
];

fn split_locale(input: &str) -> (String, Option<String>) {
    let mut parts = input.trim().split(['-', '_']);
    let lang = parts.next().unwrap_or("").to_ascii_lowercase();
    let region = parts
        .find(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()))
        .map(|p| p.to_ascii_uppercase());
    (lang, region)
}

/// `en_US`, `en-us`, `EN` → `en-US`. A language outside the table becomes `en-US`
/// (IPS maps languages without a mapping to English).
pub(crate) fn to_bcp47(input: &str) -> String {
    let (lang, region) = split_locale(input);
    match LANGUAGES.iter().find(|(l, _)| *l == lang) {
        Some((l, default_region)) => {
            format!("{l}-{}", region.as_deref().unwrap_or(default_region))
        }
        None => "en-US".to_string(),
    }
}

/// `en-US`, `de_DE`, `fr` → `EN`, `DE`, `FR` (the upper-case ISO 639 codes Identity
/// Authentication uses). A language outside the table becomes `EN`.
pub(crate) fn to_iso639(input: &str) -> String {
    let (lang, _) = split_locale(input);
    match LANGUAGES.iter().find(|(l, _)| *l == lang) {
        Some((l, _)) => l.to_ascii_uppercase(),
        None => "EN".to_string(),
    }
}

/// SAP time zone codes and IANA zones; the first row of a code is its default zone.
const TIMEZONES: &[(&str, &str)] = &[
    ("CET", "Europe/Berlin"),
    ("CET", "Europe/Amsterdam"),
    ("CET", "Europe/Brussels"),
    ("CET", "Europe/Madrid"),
    ("CET", "Europe/Paris"),
    ("CET", "Europe/Rome"),
    ("CET", "Europe/Vienna"),
    ("CET", "Europe/Warsaw"),
    ("CET", "Europe/Zurich"),
    ("EET", "Europe/Athens"),
    ("EET", "Europe/Bucharest"),
    ("EET", "Europe/Helsinki"),
    ("EET", "Europe/Kiev"),
    ("EET", "Europe/Sofia"),
    ("WET", "Europe/Lisbon"),
    ("WET", "Atlantic/Canary"),
    ("WET", "Atlantic/Faroe"),
    ("WET", "Atlantic/Madeira"),
    ("GMTUK", "Europe/London"),
    ("GMTUK", "Europe/Dublin"),
    ("WAT", "Africa/Lagos"),
    ("WAT", "Africa/Algiers"),
    ("WAT", "Africa/Kinshasa"),
    ("ART", "America/Argentina/Buenos_Aires"),
    ("ART", "America/Argentina/Cordoba"),
    ("EST", "America/New_York"),
    ("EST", "America/Detroit"),
    ("EST", "America/Toronto"),
    ("CST", "America/Chicago"),
    ("CST", "America/Winnipeg"),
    ("MST", "America/Denver"),
    ("MST", "America/Edmonton"),
    ("MSTNO", "America/Phoenix"),
    ("PST", "America/Los_Angeles"),
    ("PST", "America/Tijuana"),
    ("PST", "America/Vancouver"),
    ("ALA", "America/Anchorage"),
    ("ALA", "America/Juneau"),
    ("AST", "America/Halifax"),
    ("AST", "Atlantic/Bermuda"),
    ("NST", "America/St_Johns"),
    ("PKT", "Asia/Karachi"),
    ("TURKEY", "Europe/Istanbul"),
    ("RUS03", "Europe/Moscow"),
    ("RUS03", "Europe/Kirov"),
    ("NEPAL", "Asia/Kathmandu"),
    ("AFGHAN", "Asia/Kabul"),
    ("INDIA", "Asia/Kolkata"),
    ("JAPAN", "Asia/Tokyo"),
    ("NZST", "Pacific/Auckland"),
    ("AUSNSW", "Australia/Sydney"),
    ("AUSQLD", "Australia/Brisbane"),
    ("AUSNT", "Australia/Darwin"),
    ("UTC+8", "Asia/Shanghai"),
    ("UTC+8", "Asia/Singapore"),
    ("UTC+8", "Asia/Hong_Kong"),
    ("UTC+9", "Asia/Seoul"),
    ("UTC+7", "Asia/Bangkok"),
    ("UTC+7", "Asia/Jakarta"),
    ("UTC+4", "Asia/Dubai"),
    ("UTC+3", "Asia/Riyadh"),
    ("UTC+3", "Africa/Nairobi"),
    ("UTC-5", "America/Bogota"),
    ("UTC-5", "America/Lima"),
    ("UTC-4", "America/Caracas"),
    ("UTC-3", "America/Cayenne"),
    ("UTC", "Etc/UTC"),
    ("UTC", "Etc/GMT"),
    ("UTC", "Africa/Abidjan"),
    ("UTC", "Atlantic/Reykjavik"),
];

const DEFAULT_IANA: &str = "Europe/Berlin";
const DEFAULT_SAP: &str = "CET";

fn sap_code_of(input: &str) -> Option<&'static str> {
    let t = input.trim();
    TIMEZONES
        .iter()
        .find(|(sap, iana)| sap.eq_ignore_ascii_case(t) || iana.eq_ignore_ascii_case(t))
        .map(|(sap, _)| *sap)
}

/// The IANA zone for an SAP code or an IANA zone: the default zone of its SAP code
/// (`Atlantic/Canary` → `Europe/Lisbon`, as in IPS); `Europe/Berlin` when unknown.
pub(crate) fn to_iana(input: &str) -> String {
    sap_code_of(input)
        .and_then(|code| TIMEZONES.iter().find(|(sap, _)| *sap == code))
        .map_or(DEFAULT_IANA, |(_, iana)| *iana)
        .to_string()
}

/// The SAP code for an IANA zone or an SAP code; `CET` when unknown.
pub(crate) fn to_sap(input: &str) -> String {
    sap_code_of(input).unwrap_or(DEFAULT_SAP).to_string()
}
