//! The user profile schema and the validation of profiles against it.
//!
//! [`ProfileSchema`] holds Okta's 31 base attributes and the org's custom ones, and serialises in
//! the shape of Okta's `GET /api/v1/meta/schemas/user/default` (`definitions.base` and
//! `definitions.custom`). [`ProfileSchema::validate`] checks a whole profile and returns *every*
//! [`Violation`], each with the code Okta writes into `debugContext.debugData.ErrorCode` of
//! `app.user_management.update_from_master_failed` (seed 004), the field, a cause and a remediation.
//!
//! Uniqueness needs the other users, so it is not checked here: the store asks
//! [`ProfileSchema::unique_attributes`] what to check, compares logins through
//! [`normalize_login`], and reports a clash with [`Violation::not_unique_within_org`].
//!
//! ```
//! use roster_core::profile::{codes, ProfileSchema};
//! use serde_json::json;
//!
//! let schema = ProfileSchema::okta_default();
//! let profile = json!({
//!     "login": "john smith@example.com",
//!     "email": "john.smith@example.com",
//!     "firstName": "John",
//!     "timezone": "Mountain Time",
//!     "locale": "en-US",
//! });
//! let violations = schema.validate(profile.as_object().unwrap()).unwrap_err();
//! let found: Vec<(&str, &str)> = violations.iter().map(|v| (v.code, v.field.as_str())).collect();
//! assert_eq!(found, [
//!     (codes::INVALID_LOGIN_EMAIL, "login"),
//!     (codes::REQUIRED, "lastName"),
//!     (codes::LOCALE_FORMAT, "locale"),
//!     (codes::TIMEZONE, "timezone"),
//! ]);
//! ```

mod formats;

use std::collections::HashMap;
use std::fmt;

use regex::Regex;
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// The violation codes. The first seven are Okta's, from seed 004; the rest are Roster's, named in
/// the same family.
pub mod codes {
    /// Another user already has the value of a unique attribute (login: compared without case).
    pub const NOT_UNIQUE_WITHIN_ORG: &str = "notUniqueWithinOrg";
    /// `login` is not an email address and the schema has no login pattern.
    pub const INVALID_LOGIN_EMAIL: &str = "invalidLoginEmail";
    /// A required attribute is missing, null or empty.
    pub const REQUIRED: &str = "platform.cvd.profile.property.constraint.violation.required";
    /// A string is longer than `maxLength`.
    pub const MAX_LENGTH: &str = "platform.cvd.profile.property.constraint.violation.maxLength";
    /// A string is shorter than `minLength`.
    pub const MIN_LENGTH: &str = "platform.cvd.profile.property.constraint.violation.minLength";
    /// A `timezone`-format value is not an IANA time zone name.
    pub const TIMEZONE: &str = "platform.cvd.profile.property.constraint.violation.timezone";
    /// A `locale`-format value is not `ll_CC` (ISO 639-1, `_`, ISO 3166-1 alpha-2).
    pub const LOCALE_FORMAT: &str =
        "platform.cvd.profile.property.constraint.violation.localeFormat";
    /// A value is not one of the attribute's `enum`.
    pub const ENUM: &str = "platform.cvd.profile.property.constraint.violation.enum";
    /// A string does not match the attribute's `pattern` (the whole string must match).
    pub const PATTERN: &str = "platform.cvd.profile.property.constraint.violation.pattern";
    /// A value has the wrong JSON type (a string for an integer attribute, ...).
    pub const TYPE: &str = "platform.cvd.profile.property.constraint.violation.type";
    /// An `email`-format attribute other than login is not an email address.
    pub const EMAIL: &str = "platform.cvd.profile.property.constraint.violation.email";
    /// A `uri`-format value is not an absolute URI.
    pub const URI: &str = "platform.cvd.profile.property.constraint.violation.uri";
    /// A `country-code`-format value is not an ISO 3166-1 alpha-2 code.
    pub const COUNTRY_CODE: &str = "platform.cvd.profile.property.constraint.violation.countryCode";
    /// A `language-code`-format value is not a language tag such as `en-US`.
    pub const LANGUAGE_CODE: &str =
        "platform.cvd.profile.property.constraint.violation.languageCode";
    /// The profile has an attribute the schema does not define. Okta rejects these too ("Property
    /// name ... is not defined in the profile schema").
    pub const NOT_DEFINED: &str = "platform.cvd.profile.property.not.defined";
}

/// Lower-cases a login for comparisons: logins are unique without regard to case.
pub fn normalize_login(login: &str) -> String {
    login.to_lowercase()
}

/// The JSON type of an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
}

impl AttributeType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Integer => "integer",
            AttributeType::Number => "number",
            AttributeType::Boolean => "boolean",
            AttributeType::Array => "array",
        }
    }

    fn with_article(self) -> &'static str {
        match self {
            AttributeType::String => "a string",
            AttributeType::Integer => "an integer",
            AttributeType::Number => "a number",
            AttributeType::Boolean => "a boolean",
            AttributeType::Array => "an array",
        }
    }

    fn accepts(self, value: &Value) -> bool {
        match self {
            AttributeType::String => value.is_string(),
            AttributeType::Integer => {
                value.is_i64()
                    || value.is_u64()
                    || value
                        .as_f64()
                        .is_some_and(|f| f.is_finite() && f.fract() == 0.0)
            }
            AttributeType::Number => value.is_number(),
            AttributeType::Boolean => value.is_boolean(),
            AttributeType::Array => value.is_array(),
        }
    }
}

/// Whether the directory keeps an attribute's values unique (`unique` in Okta's schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Uniqueness {
    UniqueValidated,
    NotUnique,
}

/// The string formats Okta's base schema uses (`format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Email,
    Uri,
    CountryCode,
    LanguageCode,
    Locale,
    Timezone,
}

impl Format {
    fn code(self) -> &'static str {
        match self {
            Format::Email => codes::EMAIL,
            Format::Uri => codes::URI,
            Format::CountryCode => codes::COUNTRY_CODE,
            Format::LanguageCode => codes::LANGUAGE_CODE,
            Format::Locale => codes::LOCALE_FORMAT,
            Format::Timezone => codes::TIMEZONE,
        }
    }

    fn problem(self, s: &str) -> Option<String> {
        match self {
            Format::Email => formats::email_problem(s, false),
            Format::Uri => formats::uri_problem(s),
            Format::CountryCode => formats::country_code_problem(s),
            Format::LanguageCode => formats::language_code_problem(s),
            Format::Locale => formats::locale_problem(s),
            Format::Timezone => formats::timezone_problem(s),
        }
    }

    fn expectation(self) -> &'static str {
        match self {
            Format::Email => "an email address such as user@example.com",
            Format::Uri => "an absolute URI such as https://example.com/me",
            Format::CountryCode => "an ISO 3166-1 alpha-2 country code such as US",
            Format::LanguageCode => "a language tag such as en or en-US",
            Format::Locale => "a locale such as en_US",
            Format::Timezone => "an IANA time zone name such as America/Denver",
        }
    }

    fn remediation(self) -> &'static str {
        match self {
            Format::Email => "map an email address such as user@example.com to it",
            Format::Uri => "map an absolute URI with its scheme, such as https://example.com/me",
            Format::CountryCode => "map the two-letter ISO 3166-1 code in upper case, such as US or DE",
            Format::LanguageCode => "map a language tag such as en, en-US or de-CH",
            Format::Locale => {
                "map the ISO 639-1 language code, an underscore and the ISO 3166-1 alpha-2 country code, such as en_US or de_CH"
            }
            Format::Timezone => {
                "map a name from the IANA time zone database (Region/City, case-sensitive), such as America/Denver; display names such as 'Mountain Time' and offsets are not accepted"
            }
        }
    }
}

/// The type of the items of an array attribute (`items`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrayItems {
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// The allowed item values, if restricted.
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
}

/// One attribute of the profile schema, in Okta's property shape. Okta's `permissions`, `master`,
/// `mutability` and `scope` are accepted on input and ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDef {
    pub title: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// Minimum length of a string, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Maximum length of a string, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// The allowed values (strings or numbers, of the attribute's type).
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
    /// A regular expression the whole string must match. On `login` it replaces the email check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unique: Option<Uniqueness>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<ArrayItems>,
}

impl AttributeDef {
    /// An optional attribute of the given type with no constraints.
    pub fn new(title: impl Into<String>, kind: AttributeType) -> Self {
        AttributeDef {
            title: title.into(),
            kind,
            description: None,
            required: false,
            format: None,
            min_length: None,
            max_length: None,
            enum_values: None,
            pattern: None,
            unique: None,
            items: None,
        }
    }

    pub fn string(title: impl Into<String>) -> Self {
        Self::new(title, AttributeType::String)
    }

    /// An array attribute whose items have type `item`.
    pub fn array_of(title: impl Into<String>, item: AttributeType) -> Self {
        AttributeDef {
            items: Some(ArrayItems {
                kind: item,
                enum_values: None,
            }),
            ..Self::new(title, AttributeType::Array)
        }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub fn length(mut self, min: Option<u32>, max: Option<u32>) -> Self {
        self.min_length = min;
        self.max_length = max;
        self
    }

    pub fn format(mut self, format: Format) -> Self {
        self.format = Some(format);
        self
    }

    pub fn pattern(mut self, pattern: impl Into<String>) -> Self {
        self.pattern = Some(pattern.into());
        self
    }

    pub fn one_of(mut self, values: Vec<Value>) -> Self {
        self.enum_values = Some(values);
        self
    }

    pub fn unique(mut self) -> Self {
        self.unique = Some(Uniqueness::UniqueValidated);
        self
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Names a custom attribute cannot take: the top-level properties of Okta's user object and
/// words Okta reserves (compared without case).
pub const RESERVED_NAMES: [&str; 19] = [
    "id",
    "profile",
    "status",
    "transitioningToStatus",
    "created",
    "activated",
    "statusChanged",
    "lastLogin",
    "lastUpdated",
    "passwordChanged",
    "type",
    "realm",
    "realmId",
    "password",
    "credentials",
    "_links",
    "_embedded",
    "class",
    "classloader",
];

/// The base attributes whose `required` flag may change (Okta: first and last name only).
const RELAXABLE_BASE: [&str; 2] = ["firstName", "lastName"];

/// A profile schema definition refused, with Okta's E0000001 (API validation failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("attribute name {name:?} is not valid")]
    InvalidName { name: String },
    #[error("attribute name {name:?} is reserved")]
    ReservedName { name: String },
    #[error("custom attribute {name:?} collides with base attribute {base:?}")]
    CollidesWithBase { name: String, base: String },
    #[error("custom attribute {name:?} collides with custom attribute {existing:?}")]
    AlreadyDefined { name: String, existing: String },
    #[error("custom attribute {name:?} is not defined")]
    NotDefined { name: String },
    #[error("base attribute {name:?} cannot be changed that way")]
    BaseNotModifiable { name: String },
    #[error("attribute {name:?} has an empty title")]
    EmptyTitle { name: String },
    #[error("array attribute {name:?} has no items type")]
    ItemsMissing { name: String },
    #[error("attribute {name:?} has items but is not an array")]
    ItemsNotAllowed { name: String },
    #[error("array attribute {name:?} has items of type {}", kind.as_str())]
    BadItemsType { name: String, kind: AttributeType },
    #[error("{keyword} does not apply to {} attribute {name:?}", kind.as_str())]
    NotApplicable {
        name: String,
        keyword: &'static str,
        kind: AttributeType,
    },
    #[error("attribute {name:?} has minLength {min} greater than maxLength {max}")]
    MinGreaterThanMax { name: String, min: u32, max: u32 },
    #[error("attribute {name:?} has a pattern that does not compile: {reason}")]
    BadPattern {
        name: String,
        pattern: String,
        reason: String,
    },
    #[error("attribute {name:?} has a bad enum: {reason}")]
    BadEnum { name: String, reason: String },
    #[error("the schema is not in okta's shape at {name:?}: {reason}")]
    Malformed { name: String, reason: String },
}

impl SchemaError {
    /// Okta's code for a refused schema change.
    pub fn code(&self) -> &'static str {
        "E0000001"
    }

    /// Why the definition was refused, in plain words.
    pub fn cause(&self) -> String {
        match self {
            SchemaError::InvalidName { name } => {
                format!("{name:?} does not start with a letter followed by letters, digits and underscores")
            }
            SchemaError::ReservedName { name } => {
                format!("{name:?} is a property of the user object or a word the API reserves")
            }
            SchemaError::CollidesWithBase { name, base } => {
                format!("{name:?} is the base attribute {base:?} (names are compared without case)")
            }
            SchemaError::AlreadyDefined { name, existing } => {
                format!("the custom attribute {existing:?} exists already, and {name:?} differs from it at most in case")
            }
            SchemaError::NotDefined { name } => format!("there is no custom attribute named {name:?}"),
            SchemaError::BaseNotModifiable { name } => format!(
                "base attributes are fixed: only the required flag of firstName and lastName and the pattern of login can change, and {name:?} was given something else"
            ),
            SchemaError::EmptyTitle { name } => format!("attribute {name:?} has no title to show to people"),
            SchemaError::ItemsMissing { name } => format!("{name:?} is an array but says nothing about its items"),
            SchemaError::ItemsNotAllowed { name } => format!("{name:?} has an items type but is not an array"),
            SchemaError::BadItemsType { name, kind } => {
                format!("the items of {name:?} are {}, but arrays hold strings, integers or numbers", kind.as_str())
            }
            SchemaError::NotApplicable { name, keyword, kind } => {
                let applies_to = match *keyword {
                    "unique" | "enum" => "strings, integers and numbers",
                    _ => "strings",
                };
                format!("{keyword} applies to {applies_to}, and {name:?} is {}", kind.with_article())
            }
            SchemaError::MinGreaterThanMax { name, min, max } => {
                format!("no value can be at least {min} and at most {max} characters long, so {name:?} could never be set")
            }
            SchemaError::BadPattern { pattern, reason, .. } => format!("the pattern {pattern:?} is not a regular expression roster understands: {reason}"),
            SchemaError::BadEnum { reason, .. } => reason.clone(),
            SchemaError::Malformed { name, reason } => format!("{name:?} could not be read: {reason}"),
        }
    }

    /// What to do about it, in plain words.
    pub fn remediation(&self) -> String {
        match self {
            SchemaError::InvalidName { .. } => "use a name such as employeeType or cost_center_2".into(),
            SchemaError::ReservedName { name } | SchemaError::CollidesWithBase { name, .. } => {
                format!("choose another name than {name:?}, for example with a prefix such as org{}", upper_first(name))
            }
            SchemaError::AlreadyDefined { existing, .. } => {
                format!("update {existing:?} instead of adding a second attribute, or choose a clearly different name")
            }
            SchemaError::NotDefined { .. } => "list the schema to see the custom attribute names, or add the attribute first".into(),
            SchemaError::BaseNotModifiable { .. } => {
                "add a custom attribute for other needs; base attributes keep Okta's definition".into()
            }
            SchemaError::EmptyTitle { .. } => "give the attribute a title such as \"Employee type\"".into(),
            SchemaError::ItemsMissing { .. } => "add \"items\": {\"type\": \"string\"} (or integer, number)".into(),
            SchemaError::ItemsNotAllowed { .. } => "remove items, or make the attribute an array".into(),
            SchemaError::BadItemsType { .. } => "use items of type string, integer or number".into(),
            SchemaError::NotApplicable { keyword: "enum", kind: AttributeType::Array, .. } => {
                "put the enum under items: \"items\": {\"type\": \"string\", \"enum\": [...]}".into()
            }
            SchemaError::NotApplicable { keyword, .. } => format!("remove {keyword}, or change the attribute's type"),
            SchemaError::MinGreaterThanMax { .. } => "make minLength at most maxLength".into(),
            SchemaError::BadPattern { .. } => {
                "fix the regular expression; look-around and back-references are not supported, and the pattern must match the whole value".into()
            }
            SchemaError::BadEnum { .. } => {
                "list at least one allowed value, each of the attribute's type (for arrays, put the enum under items)".into()
            }
            SchemaError::Malformed { .. } => {
                "send the schema as GET /api/v1/meta/schemas/user/default returns it: definitions.base and definitions.custom, each with properties".into()
            }
        }
    }
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Where an attribute lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Base,
    Custom,
}

/// The user profile schema: Okta's base attributes and the org's custom attributes.
#[derive(Debug, Clone)]
pub struct ProfileSchema {
    base: Vec<(String, AttributeDef)>,
    custom: Vec<(String, AttributeDef)>,
    /// Every attribute name, to its section and position.
    index: HashMap<String, (Section, usize)>,
    /// Every attribute name, lower-cased, to its name: for collisions and "did you mean".
    folded: HashMap<String, String>,
    /// Compiled patterns, anchored to match whole values.
    patterns: HashMap<String, Regex>,
}

impl PartialEq for ProfileSchema {
    fn eq(&self, other: &Self) -> bool {
        self.base == other.base && self.custom == other.custom
    }
}

impl ProfileSchema {
    /// Okta's default user schema: the 31 base attributes and no custom ones.
    ///
    /// Constraints as Okta publishes them: `login` required, 5 to 100 characters, an email address
    /// unless a pattern is set, unique; `email` required, email format; `firstName` and `lastName`
    /// required, 1 to 50 characters; `mobilePhone` and `primaryPhone` at most 100 characters;
    /// `secondEmail` email, `profileUrl` uri, `countryCode` country-code, `preferredLanguage`
    /// language-code, `locale` locale and `timezone` timezone formats.
    pub fn okta_default() -> Self {
        use AttributeDef as A;
        let s = A::string;
        let base = vec![
            (
                "login",
                s("Username").required().length(Some(5), Some(100)).unique(),
            ),
            (
                "firstName",
                s("First name").required().length(Some(1), Some(50)),
            ),
            (
                "lastName",
                s("Last name").required().length(Some(1), Some(50)),
            ),
            ("middleName", s("Middle name")),
            ("honorificPrefix", s("Honorific prefix")),
            ("honorificSuffix", s("Honorific suffix")),
            ("email", s("Primary email").required().format(Format::Email)),
            ("title", s("Title")),
            ("displayName", s("Display name")),
            ("nickName", s("Nickname")),
            ("profileUrl", s("Profile Url").format(Format::Uri)),
            ("secondEmail", s("Secondary email").format(Format::Email)),
            ("mobilePhone", s("Mobile phone").length(None, Some(100))),
            ("primaryPhone", s("Primary phone").length(None, Some(100))),
            ("streetAddress", s("Street address")),
            ("city", s("City")),
            ("state", s("State")),
            ("zipCode", s("Zip code")),
            ("countryCode", s("Country code").format(Format::CountryCode)),
            ("postalAddress", s("Postal Address")),
            (
                "preferredLanguage",
                s("Preferred language").format(Format::LanguageCode),
            ),
            ("locale", s("Locale").format(Format::Locale)),
            ("timezone", s("Time zone").format(Format::Timezone)),
            ("userType", s("User type")),
            ("employeeNumber", s("Employee number")),
            ("costCenter", s("Cost center")),
            ("organization", s("Organization")),
            ("division", s("Division")),
            ("department", s("Department")),
            ("managerId", s("ManagerId")),
            ("manager", s("Manager")),
        ];
        let mut schema = ProfileSchema {
            base: base.into_iter().map(|(n, d)| (n.to_string(), d)).collect(),
            custom: Vec::new(),
            index: HashMap::new(),
            folded: HashMap::new(),
            patterns: HashMap::new(),
        };
        schema.reindex();
        schema
    }

    fn reindex(&mut self) {
        self.index.clear();
        self.folded.clear();
        for (section, attrs) in [(Section::Base, &self.base), (Section::Custom, &self.custom)] {
            for (i, (name, _)) in attrs.iter().enumerate() {
                self.index.insert(name.clone(), (section, i));
                self.folded.insert(name.to_lowercase(), name.clone());
            }
        }
    }

    /// The definition of an attribute, base or custom.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        let &(section, i) = self.index.get(name)?;
        let attrs = match section {
            Section::Base => &self.base,
            Section::Custom => &self.custom,
        };
        attrs.get(i).map(|(_, def)| def)
    }

    /// Whether `name` is a base attribute.
    pub fn is_base(&self, name: &str) -> bool {
        matches!(self.index.get(name), Some((Section::Base, _)))
    }

    pub fn base_attributes(&self) -> impl Iterator<Item = (&str, &AttributeDef)> {
        self.base.iter().map(|(n, d)| (n.as_str(), d))
    }

    pub fn custom_attributes(&self) -> impl Iterator<Item = (&str, &AttributeDef)> {
        self.custom.iter().map(|(n, d)| (n.as_str(), d))
    }

    /// The attributes whose values must be unique in the org (`unique: UNIQUE_VALIDATED`), login
    /// first. The store checks them; login values are compared through [`normalize_login`].
    pub fn unique_attributes(&self) -> impl Iterator<Item = &str> {
        self.base
            .iter()
            .chain(&self.custom)
            .filter(|(_, d)| d.unique == Some(Uniqueness::UniqueValidated))
            .map(|(n, _)| n.as_str())
    }

    /// Add a custom attribute, after checking its name and definition.
    pub fn add_custom(&mut self, name: &str, def: AttributeDef) -> Result<(), SchemaError> {
        check_custom_name(name)?;
        if let Some(existing) = self.folded.get(&name.to_lowercase()) {
            return Err(if self.is_base(existing) {
                SchemaError::CollidesWithBase {
                    name: name.into(),
                    base: existing.clone(),
                }
            } else {
                SchemaError::AlreadyDefined {
                    name: name.into(),
                    existing: existing.clone(),
                }
            });
        }
        let compiled = check_definition(name, &def)?;
        self.custom.push((name.to_string(), def));
        self.set_pattern(name, compiled);
        self.reindex();
        Ok(())
    }

    /// Replace the definition of a custom attribute; returns the old one. Existing profiles are not
    /// re-validated here: run [`validate`](Self::validate) over them to find the users it breaks.
    pub fn update_custom(
        &mut self,
        name: &str,
        def: AttributeDef,
    ) -> Result<AttributeDef, SchemaError> {
        let Some(&(Section::Custom, i)) = self.index.get(name) else {
            return Err(self.not_custom(name));
        };
        let compiled = check_definition(name, &def)?;
        let Some(slot) = self.custom.get_mut(i) else {
            return Err(SchemaError::NotDefined { name: name.into() });
        };
        let old = std::mem::replace(&mut slot.1, def);
        self.set_pattern(name, compiled);
        Ok(old)
    }

    /// Remove a custom attribute; returns its definition. Values in existing profiles then fail
    /// validation as not defined until they are removed too.
    pub fn remove_custom(&mut self, name: &str) -> Result<AttributeDef, SchemaError> {
        let Some(&(Section::Custom, i)) = self.index.get(name) else {
            return Err(self.not_custom(name));
        };
        let (_, def) = self.custom.remove(i);
        self.patterns.remove(name);
        self.reindex();
        Ok(def)
    }

    fn not_custom(&self, name: &str) -> SchemaError {
        if self.is_base(name) {
            SchemaError::BaseNotModifiable { name: name.into() }
        } else {
            SchemaError::NotDefined { name: name.into() }
        }
    }

    /// Make `firstName` or `lastName` required or optional (the only base attributes Okta lets
    /// change), for example to import users who have no last name.
    pub fn set_base_required(&mut self, name: &str, required: bool) -> Result<(), SchemaError> {
        if !RELAXABLE_BASE.contains(&name) {
            return Err(SchemaError::BaseNotModifiable { name: name.into() });
        }
        if let Some((_, def)) = self.base.iter_mut().find(|(n, _)| n == name) {
            def.required = required;
        }
        Ok(())
    }

    /// Set or clear the pattern of `login`. Without a pattern a login must be an email address
    /// (`invalidLoginEmail`); with one it must match it (`...pattern`), and the pattern `.+` also
    /// lifts the 5-character minimum, as in Okta.
    pub fn set_login_pattern(&mut self, pattern: Option<&str>) -> Result<(), SchemaError> {
        let compiled = pattern.map(|p| compile_pattern("login", p)).transpose()?;
        if let Some((_, def)) = self.base.iter_mut().find(|(n, _)| n == "login") {
            def.pattern = pattern.map(str::to_string);
        }
        self.set_pattern("login", compiled);
        Ok(())
    }

    fn set_pattern(&mut self, name: &str, compiled: Option<Regex>) {
        match compiled {
            Some(re) => self.patterns.insert(name.to_string(), re),
            None => self.patterns.remove(name),
        };
    }

    /// Check a whole profile. Returns every violation: base attributes in schema order, then
    /// custom ones, then attributes the schema does not define, in profile order.
    ///
    /// A missing attribute, `null`, `""` and `[]` all count as "no value": a violation of a required
    /// attribute, and nothing to check otherwise. The caller merges a partial update into the
    /// stored profile before validating.
    pub fn validate(&self, profile: &Map<String, Value>) -> Result<(), Vec<Violation>> {
        let mut out = Vec::new();
        for (section, attrs) in [(Section::Base, &self.base), (Section::Custom, &self.custom)] {
            for (name, def) in attrs {
                self.check_attribute(name, def, profile.get(name), section, &mut out);
            }
        }
        for name in profile.keys() {
            if !self.index.contains_key(name) {
                let suggestion = self.folded.get(&name.to_lowercase()).cloned();
                out.push(Violation::new(
                    codes::NOT_DEFINED,
                    name,
                    Detail::NotDefined { suggestion },
                ));
            }
        }
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }

    fn check_attribute(
        &self,
        name: &str,
        def: &AttributeDef,
        value: Option<&Value>,
        section: Section,
        out: &mut Vec<Violation>,
    ) {
        let custom = section == Section::Custom;
        let value = match value {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::Array(a)) if a.is_empty() => None,
            Some(v) => Some(v),
        };
        let Some(value) = value else {
            if def.required {
                let relaxable = custom || RELAXABLE_BASE.contains(&name);
                out.push(Violation::new(
                    codes::REQUIRED,
                    name,
                    Detail::Required { relaxable },
                ));
            }
            return;
        };
        if !def.kind.accepts(value) {
            out.push(type_violation(name, def, value, None));
            return;
        }
        match (def.kind, value) {
            (AttributeType::String, Value::String(s)) => {
                self.check_string(name, def, s, custom, out)
            }
            (AttributeType::Array, Value::Array(items)) => {
                let Some(item_def) = &def.items else { return };
                for (i, item) in items.iter().enumerate() {
                    if !item_def.kind.accepts(item) {
                        out.push(type_violation(name, def, item, Some(i)));
                    } else if let Some(allowed) = &item_def.enum_values {
                        check_enum(name, allowed, item, Some(i), custom, out);
                    }
                }
            }
            _ => {
                if let Some(allowed) = &def.enum_values {
                    check_enum(name, allowed, value, None, custom, out);
                }
            }
        }
    }

    fn check_string(
        &self,
        name: &str,
        def: &AttributeDef,
        s: &str,
        custom: bool,
        out: &mut Vec<Violation>,
    ) {
        let is_login = name == "login";
        let len = s.chars().count();
        if let Some(max) = def.max_length {
            if len > max as usize {
                out.push(Violation::new(
                    codes::MAX_LENGTH,
                    name,
                    Detail::MaxLength {
                        max,
                        actual: len,
                        custom,
                    },
                ));
            }
        }
        let min_lifted = is_login && def.pattern.as_deref() == Some(".+");
        if let Some(min) = def.min_length.filter(|_| !min_lifted) {
            if len < min as usize {
                out.push(Violation::new(
                    codes::MIN_LENGTH,
                    name,
                    Detail::MinLength {
                        min,
                        actual: len,
                        custom,
                    },
                ));
            }
        }
        if is_login && def.pattern.is_none() {
            if let Some(reason) = formats::email_problem(s, true) {
                out.push(Violation::new(
                    codes::INVALID_LOGIN_EMAIL,
                    name,
                    Detail::LoginEmail {
                        value: shorten(s),
                        reason,
                    },
                ));
            }
        }
        if let Some(format) = def.format {
            if let Some(reason) = format.problem(s) {
                out.push(Violation::new(
                    format.code(),
                    name,
                    Detail::Format {
                        format,
                        value: shorten(s),
                        reason,
                    },
                ));
            }
        }
        if let Some(allowed) = &def.enum_values {
            check_enum(
                name,
                allowed,
                &Value::String(s.to_string()),
                None,
                custom,
                out,
            );
        }
        if let (Some(pattern), Some(re)) = (&def.pattern, self.patterns.get(name)) {
            if !re.is_match(s) {
                out.push(Violation::new(
                    codes::PATTERN,
                    name,
                    Detail::Pattern {
                        pattern: pattern.clone(),
                        value: shorten(s),
                        custom,
                    },
                ));
            }
        }
    }
}

fn check_enum(
    name: &str,
    allowed: &[Value],
    value: &Value,
    item: Option<usize>,
    custom: bool,
    out: &mut Vec<Violation>,
) {
    let matches = allowed.iter().any(|a| match (a.as_f64(), value.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == value,
    });
    if !matches {
        let shown: Vec<String> = allowed.iter().take(10).map(show_value).collect();
        let mut list = shown.join(", ");
        if allowed.len() > 10 {
            list.push_str(&format!(" and {} more", allowed.len() - 10));
        }
        out.push(Violation::new(
            codes::ENUM,
            name,
            Detail::Enum {
                value: show_value(value),
                allowed: list,
                item,
                custom,
            },
        ));
    }
}

fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{}'", shorten(s)),
        other => shorten(&other.to_string()),
    }
}

/// At most 64 characters of a value, for messages.
fn shorten(s: &str) -> String {
    if s.chars().count() <= 64 {
        s.to_string()
    } else {
        let mut short: String = s.chars().take(61).collect();
        short.push_str("...");
        short
    }
}

fn type_violation(name: &str, def: &AttributeDef, value: &Value, item: Option<usize>) -> Violation {
    let example_kind = match (&def.kind, &def.items) {
        (AttributeType::Array, Some(items)) if item.is_some() => items.kind,
        (kind, _) => *kind,
    };
    let example = match example_kind {
        AttributeType::String => "for example \"42\" rather than 42",
        AttributeType::Integer | AttributeType::Number => "for example 42 rather than \"42\"",
        AttributeType::Boolean => "for example true rather than \"true\"",
        AttributeType::Array => "for example [\"a\", \"b\"] rather than \"a,b\"",
    };
    Violation::new(
        codes::TYPE,
        name,
        Detail::Type {
            expected: expected_type(def),
            example,
            found: json_kind(value),
            item,
        },
    )
}

fn expected_type(def: &AttributeDef) -> String {
    match (&def.kind, &def.items) {
        (AttributeType::Array, Some(items)) => format!("an array of {}s", items.kind.as_str()),
        (kind, _) => kind.with_article().to_string(),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number with a fraction",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_custom_name(name: &str) -> Result<(), SchemaError> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        return Err(SchemaError::ReservedName { name: name.into() });
    }
    if !valid {
        return Err(SchemaError::InvalidName { name: name.into() });
    }
    Ok(())
}

fn compile_pattern(name: &str, pattern: &str) -> Result<Regex, SchemaError> {
    if pattern.is_empty() {
        return Err(SchemaError::BadPattern {
            name: name.into(),
            pattern: String::new(),
            reason: "the pattern is empty".into(),
        });
    }
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| SchemaError::BadPattern {
            name: name.into(),
            pattern: pattern.into(),
            reason: one_line(&e.to_string()),
        })
}

fn one_line(s: &str) -> String {
    let last = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s);
    last.trim().trim_start_matches("error: ").to_string()
}

/// Check a definition; returns its compiled pattern.
fn check_definition(name: &str, def: &AttributeDef) -> Result<Option<Regex>, SchemaError> {
    let na = |keyword: &'static str| SchemaError::NotApplicable {
        name: name.into(),
        keyword,
        kind: def.kind,
    };
    if def.title.trim().is_empty() {
        return Err(SchemaError::EmptyTitle { name: name.into() });
    }
    let is_string = def.kind == AttributeType::String;
    match (def.kind, &def.items) {
        (AttributeType::Array, None) => {
            return Err(SchemaError::ItemsMissing { name: name.into() })
        }
        (AttributeType::Array, Some(items)) => {
            if matches!(items.kind, AttributeType::Boolean | AttributeType::Array) {
                return Err(SchemaError::BadItemsType {
                    name: name.into(),
                    kind: items.kind,
                });
            }
            if let Some(values) = &items.enum_values {
                check_enum_values(name, items.kind, values)?;
            }
        }
        (_, Some(_)) => return Err(SchemaError::ItemsNotAllowed { name: name.into() }),
        (_, None) => {}
    }
    if !is_string {
        if def.min_length.is_some() {
            return Err(na("minLength"));
        }
        if def.max_length.is_some() {
            return Err(na("maxLength"));
        }
        if def.format.is_some() {
            return Err(na("format"));
        }
        if def.pattern.is_some() {
            return Err(na("pattern"));
        }
    }
    if matches!(def.kind, AttributeType::Boolean | AttributeType::Array) {
        if def.unique == Some(Uniqueness::UniqueValidated) {
            return Err(na("unique"));
        }
        if def.enum_values.is_some() {
            return Err(na("enum"));
        }
    }
    if let (Some(min), Some(max)) = (def.min_length, def.max_length) {
        if min > max {
            return Err(SchemaError::MinGreaterThanMax {
                name: name.into(),
                min,
                max,
            });
        }
    }
    if let Some(values) = &def.enum_values {
        check_enum_values(name, def.kind, values)?;
    }
    def.pattern
        .as_deref()
        .map(|p| compile_pattern(name, p))
        .transpose()
}

fn check_enum_values(name: &str, kind: AttributeType, values: &[Value]) -> Result<(), SchemaError> {
    if values.is_empty() {
        return Err(SchemaError::BadEnum {
            name: name.into(),
            reason: format!("the enum of {name:?} is empty, so no value could ever be set"),
        });
    }
    if let Some(bad) = values.iter().find(|v| !kind.accepts(v)) {
        return Err(SchemaError::BadEnum {
            name: name.into(),
            reason: format!(
                "the enum of {name:?} lists {}, which is not {}",
                show_value(bad),
                kind.with_article()
            ),
        });
    }
    Ok(())
}

/// The details behind a violation, for its cause and remediation.
#[derive(Debug, Clone, PartialEq)]
enum Detail {
    Required {
        relaxable: bool,
    },
    LoginEmail {
        value: String,
        reason: String,
    },
    MaxLength {
        max: u32,
        actual: usize,
        custom: bool,
    },
    MinLength {
        min: u32,
        actual: usize,
        custom: bool,
    },
    Format {
        format: Format,
        value: String,
        reason: String,
    },
    Enum {
        value: String,
        allowed: String,
        item: Option<usize>,
        custom: bool,
    },
    Pattern {
        pattern: String,
        value: String,
        custom: bool,
    },
    Type {
        expected: String,
        example: &'static str,
        found: &'static str,
        item: Option<usize>,
    },
    NotDefined {
        suggestion: Option<String>,
    },
    NotUnique,
}

/// One way a profile breaks the schema.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// One of [`codes`]: Okta's `ErrorCode`.
    pub code: &'static str,
    /// The attribute: Okta's `ErrorField`.
    pub field: String,
    /// A short statement of the rule broken, for `errorCauses[].errorSummary`.
    pub message: String,
    #[serde(skip)]
    detail: Detail,
}

impl Violation {
    fn new(code: &'static str, field: &str, detail: Detail) -> Self {
        let message = match &detail {
            Detail::Required { .. } => format!("{field} is required"),
            Detail::LoginEmail { .. } => format!("{field} must be an email address"),
            Detail::MaxLength { max, .. } => format!("{field} must be at most {max} characters"),
            Detail::MinLength { min, .. } => format!("{field} must be at least {min} characters"),
            Detail::Format { format, .. } => format!("{field} must be {}", format.expectation()),
            Detail::Enum { .. } => format!("{field} must be one of the allowed values"),
            Detail::Pattern { pattern, .. } => format!("{field} must match the pattern {pattern}"),
            Detail::Type { expected, .. } => format!("{field} must be {expected}"),
            Detail::NotDefined { .. } => {
                format!("property name {field} is not defined in the profile schema")
            }
            Detail::NotUnique => format!("{field} must be unique within the org"),
        };
        Violation {
            code,
            field: field.to_string(),
            message,
            detail,
        }
    }

    /// The violation the store reports when another user already has a unique value (`login`
    /// compared through [`normalize_login`]).
    pub fn not_unique_within_org(field: &str) -> Self {
        Self::new(codes::NOT_UNIQUE_WITHIN_ORG, field, Detail::NotUnique)
    }

    /// What is wrong with the value, in plain words.
    pub fn cause(&self) -> String {
        let field = &self.field;
        match &self.detail {
            Detail::Required { .. } => {
                format!("the profile has no value for {field} (it is missing, null or empty), and the schema requires one")
            }
            Detail::LoginEmail { value, reason } => {
                format!("the login '{value}' is not an email address: {reason}")
            }
            Detail::MaxLength { max, actual, .. } => {
                format!("{field} is {actual} characters long; the schema allows at most {max}")
            }
            Detail::MinLength { min, actual, .. } => {
                format!("{field} is {actual} characters long; the schema needs at least {min}")
            }
            Detail::Format { value, reason, .. } => {
                format!("the {field} value '{value}' is not accepted: {reason}")
            }
            Detail::Enum {
                value,
                allowed,
                item: Some(i),
                ..
            } => {
                format!("item {i} of {field} is {value}, which is not one of the values the schema allows: {allowed}")
            }
            Detail::Enum {
                value,
                allowed,
                item: None,
                ..
            } => {
                format!("{value} is not one of the values the schema allows for {field}: {allowed}")
            }
            Detail::Pattern { pattern, value, .. } => {
                format!("'{value}' does not match the pattern {pattern} of {field} as a whole")
            }
            Detail::Type {
                expected,
                found,
                item,
                ..
            } => match item {
                Some(i) => format!(
                    "item {i} of {field} is {found}, but the schema declares {field} as {expected}"
                ),
                None => format!("{field} is {found}, but the schema declares it as {expected}"),
            },
            Detail::NotDefined {
                suggestion: Some(s),
            } => {
                format!("the profile has an attribute {field} that the schema does not define; attribute names are case-sensitive and the schema has {s}")
            }
            Detail::NotDefined { suggestion: None } => {
                format!("the profile has an attribute {field} that neither the base nor the custom schema defines")
            }
            Detail::NotUnique if field == "login" => {
                "another user already has this login (logins are compared without regard to case)"
                    .into()
            }
            Detail::NotUnique => format!(
                "another user already has this {field}, and the schema marks {field} unique"
            ),
        }
    }

    /// What to do about it, in plain words.
    pub fn remediation(&self) -> String {
        let field = &self.field;
        let schema_or = |custom: bool, change: &str| {
            if custom {
                format!(", or {change} in the profile schema")
            } else {
                String::new()
            }
        };
        match &self.detail {
            Detail::Required { relaxable } => format!(
                "map a non-empty value to {field} at the profile source or in the mapping{}",
                if *relaxable { format!(", or make {field} optional in the profile schema") } else { String::new() }
            ),
            Detail::LoginEmail { .. } => "map an email address to login, such as the user's work email; if logins in this org are not email addresses, set a login pattern in the profile schema".into(),
            Detail::MaxLength { custom, .. } => format!(
                "shorten the value at the profile source or in the mapping (for example with substring()){}",
                schema_or(*custom, &format!("raise maxLength of {field}"))
            ),
            Detail::MinLength { custom, .. } => format!(
                "map a longer value at the profile source or in the mapping{}",
                schema_or(*custom, &format!("lower minLength of {field}"))
            ),
            Detail::Format { format, .. } => format.remediation().to_string(),
            Detail::Enum { custom, .. } => format!(
                "map one of the allowed values{}",
                schema_or(*custom, &format!("add the value to the enum of {field}"))
            ),
            Detail::Pattern { custom, .. } => format!(
                "change the value at the profile source or in the mapping so that all of it matches{}",
                if field == "login" {
                    ", or change the login pattern in the profile schema".to_string()
                } else {
                    schema_or(*custom, "change the pattern")
                }
            ),
            Detail::Type { expected, example, .. } => {
                format!("send {expected} as JSON ({example}), or convert the value in the mapping")
            }
            Detail::NotDefined { suggestion: Some(s) } => format!("use the attribute name {s} instead of {field}"),
            Detail::NotDefined { suggestion: None } => {
                format!("remove {field} from the profile or the mapping, or add {field} as a custom attribute in the profile schema")
            }
            Detail::NotUnique => format!(
                "give this user a different {field}, or, if the other user is stale, deactivate and delete it first; search with filter={field} eq \"...\" to find it"
            ),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

// ---- Okta's wire shape ----------------------------------------------------------------------

const SCHEMA_ID: &str = "/meta/schemas/user/default";
const JSON_SCHEMA: &str = "http://json-schema.org/draft-04/schema#";

struct Properties<'a>(&'a [(String, AttributeDef)]);

impl Serialize for Properties<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (name, def) in self.0 {
            map.serialize_entry(name, def)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct SubschemaOut<'a> {
    id: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    properties: Properties<'a>,
    required: Vec<&'a str>,
}

impl<'a> SubschemaOut<'a> {
    fn new(id: &'static str, attrs: &'a [(String, AttributeDef)]) -> Self {
        let required = attrs
            .iter()
            .filter(|(_, d)| d.required)
            .map(|(n, _)| n.as_str())
            .collect();
        SubschemaOut {
            id,
            kind: "object",
            properties: Properties(attrs),
            required,
        }
    }
}

#[derive(Serialize)]
struct DefinitionsOut<'a> {
    custom: SubschemaOut<'a>,
    base: SubschemaOut<'a>,
}

#[derive(Serialize)]
struct Ref {
    #[serde(rename = "$ref")]
    target: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProfileRef {
    all_of: [Ref; 2],
}

#[derive(Serialize)]
struct TopProperties {
    profile: ProfileRef,
}

#[derive(Serialize)]
struct SchemaOut<'a> {
    id: &'static str,
    #[serde(rename = "$schema")]
    schema: &'static str,
    name: &'static str,
    title: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    definitions: DefinitionsOut<'a>,
    properties: TopProperties,
}

/// Serialises as Okta's `GET /api/v1/meta/schemas/user/default`. The `id` is the path; the server
/// may prefix its public URL.
impl Serialize for ProfileSchema {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SchemaOut {
            id: SCHEMA_ID,
            schema: JSON_SCHEMA,
            name: "user",
            title: "User",
            kind: "object",
            definitions: DefinitionsOut {
                custom: SubschemaOut::new("#custom", &self.custom),
                base: SubschemaOut::new("#base", &self.base),
            },
            properties: TopProperties {
                profile: ProfileRef {
                    all_of: [
                        Ref {
                            target: "#/definitions/custom",
                        },
                        Ref {
                            target: "#/definitions/base",
                        },
                    ],
                },
            },
        }
        .serialize(s)
    }
}

#[derive(Deserialize, Default)]
struct SubschemaIn {
    #[serde(default)]
    properties: Map<String, Value>,
    #[serde(default)]
    required: Vec<String>,
}

#[derive(Deserialize, Default)]
struct DefinitionsIn {
    #[serde(default)]
    custom: SubschemaIn,
    #[serde(default)]
    base: SubschemaIn,
}

#[derive(Deserialize)]
struct SchemaIn {
    #[serde(default)]
    definitions: DefinitionsIn,
}

impl ProfileSchema {
    /// Read a schema in Okta's shape, checking it as [`add_custom`](Self::add_custom) and friends
    /// would. Base attributes may only differ from [`okta_default`](Self::okta_default) where Okta
    /// allows it; base attributes left out keep their default.
    pub fn from_okta_json(value: Value) -> Result<Self, SchemaError> {
        let wire: SchemaIn = serde_json::from_value(value).map_err(|e| SchemaError::Malformed {
            name: "definitions".into(),
            reason: e.to_string(),
        })?;
        let mut schema = Self::okta_default();
        let parse = |name: &String, v: Value, required: &[String]| {
            serde_json::from_value::<AttributeDef>(v)
                .map(|mut d| {
                    d.required |= required.contains(name);
                    d
                })
                .map_err(|e| SchemaError::Malformed {
                    name: name.clone(),
                    reason: e.to_string(),
                })
        };
        for (name, v) in wire.definitions.base.properties {
            let def = parse(&name, v, &wire.definitions.base.required)?;
            let Some(default) = schema
                .attribute(&name)
                .filter(|_| schema.is_base(&name))
                .cloned()
            else {
                return Err(SchemaError::BaseNotModifiable { name });
            };
            let mut comparable = def.clone();
            if RELAXABLE_BASE.contains(&name.as_str()) {
                comparable.required = default.required;
            }
            if name == "login" {
                comparable.pattern = default.pattern.clone();
                // Okta's own document leaves login's uniqueness implicit.
                comparable.unique = default.unique;
            }
            // Titles and descriptions are labels, not constraints.
            comparable.title = default.title.clone();
            comparable.description = default.description.clone();
            if comparable != default {
                return Err(SchemaError::BaseNotModifiable { name });
            }
            if RELAXABLE_BASE.contains(&name.as_str()) {
                schema.set_base_required(&name, def.required)?;
            }
            if name == "login" {
                schema.set_login_pattern(def.pattern.as_deref())?;
            }
        }
        for (name, v) in wire.definitions.custom.properties {
            let def = parse(&name, v, &wire.definitions.custom.required)?;
            schema.add_custom(&name, def)?;
        }
        Ok(schema)
    }
}

impl<'de> Deserialize<'de> for ProfileSchema {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(d)?;
        ProfileSchema::from_okta_json(value).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests;
