//! The built-in inbound mappings: from a source record to an app user (its user name and
//! profile) and to the Roster profile values the source provides.
//!
//! - **LDAP and Active Directory**: `mail` is the login and the email, `givenName` the first
//!   name, `sn` the last name, `uid` (AD: `sAMAccountName`) the app user's user name; a few more
//!   common attributes follow Okta's LDAP mapping (`displayName`, `title`, `telephoneNumber`,
//!   `mobile`, `employeeNumber`, `departmentNumber`/`department`, `o`/`company`, `l`, `st`,
//!   `postalCode`, `street`, `c`). A mapped attribute the entry lacks maps to `null`: the source
//!   says the user has no value. AD's `userAccountControl` bit 2 (ACCOUNTDISABLE) and OpenLDAP's
//!   `pwdAccountLockedTime` mark the account disabled.
//! - **CSV**: every column whose name is a profile attribute (as the schema spells it) is
//!   copied; the user name is the `userName` column, else `login`; an `active` column
//!   (`false`/`0`/`no`) or a `status` column (`INACTIVE`, `DEPROVISIONED`, `DISABLED`,
//!   `SUSPENDED`) marks the account disabled.
//! - **SCIM**: `userName` is the login, the primary (else first) `emails[].value` the email,
//!   `name.givenName`/`familyName`, `displayName`, `title`, phone numbers, the enterprise
//!   extension's `employeeNumber`, `department`, `organization` and `costCenter`, and Roster's
//!   own extension's attributes; `active: false` marks the account disabled.
//!
//! [`login_for`] then applies `importSettings.username.userNameFormat`. Everything here is a
//! pure function of the record and the settings.

use roster_core::ProfileSchema;
use roster_provisioning::{AppType, InboundProvisioning};
use roster_sources::SourceRecord;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A source record after the built-in mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub external_id: String,
    /// The app user's user name in the source.
    pub user_name: String,
    /// The app user profile: the record's attributes by their source names.
    pub app_profile: Map<String, Value>,
    /// The Roster profile values the source provides; `null` means "no value".
    pub values: Map<String, Value>,
    /// The login the user gets, after the username format.
    pub login: Option<String>,
    /// Whether the source says the account is enabled.
    pub active: bool,
    pub digest: String,
    pub modified: Option<String>,
}

/// LDAP attribute → Roster attribute, after `mail`, `givenName` and `sn`.
const LDAP_EXTRA: [(&str, &str); 13] = [
    ("displayName", "displayName"),
    ("title", "title"),
    ("telephoneNumber", "primaryPhone"),
    ("mobile", "mobilePhone"),
    ("employeeNumber", "employeeNumber"),
    ("departmentNumber", "department"),
    ("o", "organization"),
    ("l", "city"),
    ("st", "state"),
    ("postalCode", "zipCode"),
    ("street", "streetAddress"),
    ("c", "countryCode"),
    ("manager", "manager"),
];

/// AD attributes that replace the LDAP ones above.
const AD_EXTRA: [(&str, &str); 3] = [
    ("department", "department"),
    ("company", "organization"),
    ("employeeID", "employeeNumber"),
];

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ROSTER_EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";

/// Whether a source attribute holds a secret (LDAP `userPassword`, AD `unicodePwd`, a CSV
/// `password` column, tokens): such attributes are dropped as they are read, so no secret is
/// kept on the app user, shown by the API or written to the store.
pub fn is_secret_attribute(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "credentials"
        || [
            "password", "pwd", "passwd", "secret", "token", "apikey", "api_key",
        ]
        .iter()
        .any(|s| n.contains(s))
}

/// Map one record with the built-in mapping of `kind` and the app's username format.
pub fn map_record(
    kind: AppType,
    schema: &ProfileSchema,
    inbound: &InboundProvisioning,
    record: SourceRecord,
) -> Mapped {
    let SourceRecord {
        external_id,
        mut attributes,
        modified,
    } = record;
    attributes.retain(|name, _| !is_secret_attribute(name));
    let (user_name, values, active) = match kind {
        AppType::Ldap | AppType::ActiveDirectory => ldap(kind, &attributes, &external_id),
        AppType::Scim2 => scim(&attributes, &external_id),
        AppType::Csv | AppType::OktaOrg2Org => csv(schema, &attributes, &external_id),
    };
    let digest = digest(&attributes, active);
    let login = login_for(inbound, &values, &user_name);
    Mapped {
        external_id,
        user_name,
        app_profile: attributes,
        values,
        login,
        active,
        digest,
        modified,
    }
}

/// The login an imported user gets under `importSettings.username.userNameFormat`.
pub fn login_for(
    inbound: &InboundProvisioning,
    values: &Map<String, Value>,
    user_name: &str,
) -> Option<String> {
    let text = |key: &str| {
        values
            .get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let user_name = Some(user_name.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    match inbound.username_format.as_str() {
        "EMAIL" => text("email"),
        "USERNAME" => user_name,
        "USERNAME_DOMAIN" => {
            let domain = inbound.username_domain.as_deref().unwrap_or("").trim();
            user_name.map(|u| {
                if u.contains('@') || domain.is_empty() {
                    u
                } else {
                    format!("{u}@{domain}")
                }
            })
        }
        _ => text("login"),
    }
}

/// The first value of an attribute (LDAP attributes may be multi-valued), as text.
fn first(attributes: &Map<String, Value>, name: &str) -> Option<String> {
    let value = attributes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)?;
    let text = match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => items.first().and_then(Value::as_str).map(str::to_owned),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }?;
    Some(text).filter(|s| !s.is_empty())
}

fn put(values: &mut Map<String, Value>, key: &str, value: Option<String>) {
    values.insert(
        key.to_owned(),
        value.map(Value::String).unwrap_or(Value::Null),
    );
}

fn ldap(
    kind: AppType,
    attributes: &Map<String, Value>,
    external_id: &str,
) -> (String, Map<String, Value>, bool) {
    let mut values = Map::new();
    let mail = first(attributes, "mail");
    put(&mut values, "login", mail.clone());
    put(&mut values, "email", mail);
    put(&mut values, "firstName", first(attributes, "givenName"));
    put(&mut values, "lastName", first(attributes, "sn"));
    let ad = kind == AppType::ActiveDirectory;
    for (from, to) in LDAP_EXTRA {
        if ad && AD_EXTRA.iter().any(|(_, t)| *t == to) {
            continue;
        }
        put(&mut values, to, first(attributes, from));
    }
    if ad {
        for (from, to) in AD_EXTRA {
            put(&mut values, to, first(attributes, from));
        }
    }
    let user_name = if ad {
        first(attributes, "sAMAccountName")
    } else {
        first(attributes, "uid")
    }
    .or_else(|| first(attributes, "mail"))
    .unwrap_or_else(|| external_id.to_owned());
    let disabled = if ad {
        first(attributes, "userAccountControl")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .is_some_and(|flags| flags & 2 != 0)
    } else {
        first(attributes, "pwdAccountLockedTime").is_some()
    };
    (user_name, values, !disabled)
}

fn csv(
    schema: &ProfileSchema,
    attributes: &Map<String, Value>,
    external_id: &str,
) -> (String, Map<String, Value>, bool) {
    let mut values = Map::new();
    for (name, value) in attributes {
        if schema.attribute(name).is_some() {
            values.insert(name.clone(), value.clone());
        }
    }
    let user_name = first(attributes, "userName")
        .or_else(|| first(attributes, "login"))
        .unwrap_or_else(|| external_id.to_owned());
    let inactive_flag = first(attributes, "active").is_some_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "false" | "0" | "no" | "n"
        )
    });
    let inactive_status = first(attributes, "status").is_some_and(|v| {
        matches!(
            v.trim().to_ascii_uppercase().as_str(),
            "INACTIVE" | "DEPROVISIONED" | "DISABLED" | "SUSPENDED"
        )
    });
    (user_name, values, !(inactive_flag || inactive_status))
}

fn scim(attributes: &Map<String, Value>, external_id: &str) -> (String, Map<String, Value>, bool) {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    let mut values = Map::new();
    let user_name = text(attributes.get("userName"));
    put(&mut values, "login", user_name.clone());
    let emails = attributes
        .get("emails")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let email = emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| emails.first())
        .and_then(|e| text(e.get("value")));
    put(&mut values, "email", email);
    let name = attributes.get("name");
    put(
        &mut values,
        "firstName",
        text(name.and_then(|n| n.get("givenName"))),
    );
    put(
        &mut values,
        "lastName",
        text(name.and_then(|n| n.get("familyName"))),
    );
    put(
        &mut values,
        "displayName",
        text(attributes.get("displayName")),
    );
    put(&mut values, "title", text(attributes.get("title")));
    let phones = attributes
        .get("phoneNumbers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let phone = |kind: &str| {
        phones
            .iter()
            .find(|p| p.get("type").and_then(Value::as_str) == Some(kind))
            .and_then(|p| text(p.get("value")))
    };
    put(&mut values, "mobilePhone", phone("mobile"));
    put(&mut values, "primaryPhone", phone("work"));
    if let Some(ent) = attributes.get(ENTERPRISE) {
        for key in ["employeeNumber", "department", "organization", "costCenter"] {
            put(&mut values, key, text(ent.get(key)));
        }
    }
    if let Some(Value::Object(ext)) = attributes.get(ROSTER_EXTENSION) {
        for (k, v) in ext {
            values.insert(k.clone(), v.clone());
        }
    }
    let active = attributes.get("active").and_then(Value::as_bool) != Some(false);
    (
        user_name.unwrap_or_else(|| external_id.to_owned()),
        values,
        active,
    )
}

/// A hash of what the source holds for the record, so an unchanged record is skipped.
fn digest(attributes: &Map<String, Value>, active: bool) -> String {
    let mut hasher = Sha256::new();
    for (k, v) in attributes {
        hasher.update(k.as_bytes());
        hasher.update([0u8]);
        hasher.update(v.to_string().as_bytes());
        hasher.update([1u8]);
    }
    hasher.update([u8::from(active)]);
    hex::encode(&hasher.finalize()[..16])
}

/// The Roster profile a new user gets from mapped values: `null`s are left out.
pub fn new_profile(mapped: &Mapped) -> Map<String, Value> {
    let mut profile: Map<String, Value> = mapped
        .values
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    match &mapped.login {
        Some(login) => {
            profile.insert("login".into(), Value::String(login.clone()));
        }
        None => {
            profile.remove("login");
        }
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;
    use serde_json::json;

    fn record(attrs: Value) -> SourceRecord {
        SourceRecord {
            external_id: "id-1".into(),
            attributes: attrs.as_object().cloned().unwrap_or_default(),
            modified: None,
        }
    }

    fn show(m: &Mapped) -> String {
        format!(
            "user_name={} login={:?} active={}\n{}",
            m.user_name,
            m.login,
            m.active,
            serde_json::to_string_pretty(&m.values).unwrap_or_default()
        )
    }

    #[test]
    fn ldap_maps_mail_names_and_uid_and_nulls_what_is_missing() {
        let m = map_record(
            AppType::Ldap,
            &ProfileSchema::okta_default(),
            &InboundProvisioning::default(),
            record(
                json!({"dn": "uid=ada,ou=people,dc=example,dc=com", "uid": "ada",
                "mail": ["ada@example.com", "ada.l@example.com"], "givenName": "Ada", "sn": "Lovelace",
                "title": "Countess"}),
            ),
        );
        expect![[r#"
            user_name=ada login=Some("ada@example.com") active=true
            {
              "login": "ada@example.com",
              "email": "ada@example.com",
              "firstName": "Ada",
              "lastName": "Lovelace",
              "displayName": null,
              "title": "Countess",
              "primaryPhone": null,
              "mobilePhone": null,
              "employeeNumber": null,
              "department": null,
              "organization": null,
              "city": null,
              "state": null,
              "zipCode": null,
              "streetAddress": null,
              "countryCode": null,
              "manager": null
            }"#]]
        .assert_eq(&show(&m));
    }

    #[test]
    fn active_directory_uses_sam_account_name_and_account_control() {
        let m = map_record(
            AppType::ActiveDirectory,
            &ProfileSchema::okta_default(),
            &InboundProvisioning {
                username_format: "USERNAME_DOMAIN".into(),
                username_domain: Some("corp.example.com".into()),
                ..InboundProvisioning::default()
            },
            record(
                json!({"sAMAccountName": "grace", "mail": "grace@example.com",
                "givenName": "Grace", "sn": "Hopper", "department": "Navy", "userAccountControl": "514"}),
            ),
        );
        assert_eq!(m.user_name, "grace");
        assert_eq!(m.login.as_deref(), Some("grace@corp.example.com"));
        assert!(!m.active, "514 has ACCOUNTDISABLE set");
        assert_eq!(m.values["department"], "Navy");
    }

    #[test]
    fn csv_copies_profile_columns_only_and_reads_the_status_column() {
        let m = map_record(
            AppType::Csv,
            &ProfileSchema::okta_default(),
            &InboundProvisioning::default(),
            record(
                json!({"externalId": "e1", "login": "kim@example.com", "email": "kim@example.com",
                "firstName": "Kim", "lastName": null, "shoeSize": "42", "status": "INACTIVE"}),
            ),
        );
        expect![[r#"
            user_name=kim@example.com login=Some("kim@example.com") active=false
            {
              "login": "kim@example.com",
              "email": "kim@example.com",
              "firstName": "Kim",
              "lastName": null
            }"#]]
        .assert_eq(&show(&m));
        assert!(!new_profile(&m).contains_key("lastName"));
    }

    #[test]
    fn scim_maps_core_and_enterprise_attributes() {
        let m = map_record(
            AppType::Scim2,
            &ProfileSchema::okta_default(),
            &InboundProvisioning {
                username_format: "EMAIL".into(),
                ..InboundProvisioning::default()
            },
            record(json!({"id": "s1", "userName": "lin", "active": true,
                "emails": [{"value": "other@example.com"}, {"value": "lin@example.com", "primary": true}],
                "name": {"givenName": "Lin", "familyName": "Chen"},
                ENTERPRISE: {"department": "R&D"}})),
        );
        assert_eq!(m.login.as_deref(), Some("lin@example.com"));
        assert_eq!(m.values["department"], "R&D");
        assert_eq!(m.values["firstName"], "Lin");
        assert!(m.active);
    }

    #[test]
    fn secret_attributes_are_dropped_as_they_are_read() {
        let m = map_record(
            AppType::Ldap,
            &ProfileSchema::okta_default(),
            &InboundProvisioning::default(),
            record(
                json!({"uid": "ada", "mail": "ada@example.com", "userPassword": "{SSHA}abc",
                "unicodePwd": "x", "apiToken": "t"}),
            ),
        );
        assert_eq!(
            m.app_profile.keys().collect::<Vec<_>>(),
            ["uid", "mail"],
            "{:?}",
            m.app_profile
        );
        let csv = map_record(
            AppType::Csv,
            &ProfileSchema::okta_default(),
            &InboundProvisioning::default(),
            record(json!({"login": "a@example.com", "password": "Hunter2!"})),
        );
        assert!(!csv.app_profile.contains_key("password"));
    }

    #[test]
    fn the_digest_changes_with_the_record_and_its_status() {
        let schema = ProfileSchema::okta_default();
        let rules = InboundProvisioning::default();
        let a = map_record(
            AppType::Csv,
            &schema,
            &rules,
            record(json!({"login": "a@example.com", "title": "x"})),
        );
        let b = map_record(
            AppType::Csv,
            &schema,
            &rules,
            record(json!({"login": "a@example.com", "title": "y"})),
        );
        let c = map_record(
            AppType::Csv,
            &schema,
            &rules,
            record(json!({"login": "a@example.com", "title": "x", "active": "false"})),
        );
        assert_ne!(a.digest, b.digest);
        assert_ne!(a.digest, c.digest);
        assert_eq!(
            a.digest,
            map_record(
                AppType::Csv,
                &schema,
                &rules,
                record(json!({"login": "a@example.com", "title": "x"}))
            )
            .digest
        );
    }
}
