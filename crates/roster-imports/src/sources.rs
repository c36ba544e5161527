//! Source apps: their connection settings (validated, the secret sealed, the connection tested
//! before anything is saved) and opening them for a read.

use std::path::PathBuf;

use roster_provisioning::{connection_purpose, App, AppType, KeyRing, SourceSettings};
use roster_sources::{
    CsvSource, LdapSettings, LdapSource, ReadMode, ScimSettings, ScimSource, Source, SourceError,
    SourceGroup, SourceRead, SourceRecord, SourceWarning,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::error::{ImportError, Result};

/// The keys of `settings.app` an LDAP or Active Directory app takes.
pub const LDAP_KEYS: [&str; 15] = [
    "url",
    "bindDn",
    "bindPassword",
    "userBaseDn",
    "groupBaseDn",
    "userObjectClass",
    "groupObjectClass",
    "userFilter",
    "groupFilter",
    "uniqueIdAttribute",
    "memberAttribute",
    "startTls",
    "caCertificate",
    "pageSize",
    "deprovisionAction",
];

/// The associated data a source's sealed secret is bound to.
pub fn secret_purpose(app_id: &str) -> String {
    format!("source:{app_id}")
}

/// Active Directory's defaults where the settings leave them out.
fn with_defaults(kind: AppType, settings: &mut Map<String, Value>) {
    if kind == AppType::ActiveDirectory {
        for (key, value) in [
            ("userObjectClass", "user"),
            ("groupObjectClass", "group"),
            ("uniqueIdAttribute", "objectGUID"),
        ] {
            settings
                .entry(key)
                .or_insert_with(|| Value::String(value.into()));
        }
    }
}

/// Parse and validate an LDAP app's `settings.app` (every problem at once).
pub fn ldap_settings(kind: AppType, settings: &Map<String, Value>) -> Result<LdapSettings> {
    let parsed = parse_ldap_settings(kind, settings)?;
    parsed.validate()?;
    Ok(parsed)
}

/// Parse an LDAP app's `settings.app` without validating it (the stored form lacks the bind
/// password until it is unsealed).
fn parse_ldap_settings(kind: AppType, settings: &Map<String, Value>) -> Result<LdapSettings> {
    let mut settings = settings.clone();
    settings.remove("deprovisionAction");
    with_defaults(kind, &mut settings);
    let unknown: Vec<&String> = settings
        .keys()
        .filter(|k| !LDAP_KEYS.contains(&k.as_str()))
        .collect();
    if let Some(key) = unknown.first() {
        return Err(ImportError::invalid(
            &format!("settings.app.{key}"),
            format!("an {} app has no setting {key:?}", kind.as_str()),
            &format!("use only {}", LDAP_KEYS.join(", ")),
        ));
    }
    let parsed: LdapSettings =
        serde_json::from_value(Value::Object(settings)).map_err(|e| {
            ImportError::invalid(
                "settings.app",
                format!("the LDAP settings cannot be read: {e}"),
                "send strings for the DNs, filters and names, true or false for startTls and a number for pageSize",
            )
        })?;
    Ok(parsed)
}

/// The stored form of LDAP settings: `settings.app` without the bind password, which is sealed.
pub fn store_ldap_settings(
    keys: &KeyRing,
    app_id: &str,
    kind: AppType,
    settings: &LdapSettings,
    raw: &Map<String, Value>,
) -> Result<SourceSettings> {
    let mut kept = raw.clone();
    kept.remove("bindPassword");
    kept.remove("deprovisionAction");
    with_defaults(kind, &mut kept);
    let sealed_secret = match &settings.bind_password {
        Some(p) if !p.expose_secret().is_empty() => {
            Some(keys.key()?.seal(&secret_purpose(app_id), p)?)
        }
        _ => None,
    };
    Ok(SourceSettings {
        settings: kept,
        sealed_secret,
    })
}

/// The LDAP settings of a stored app, with its bind password unsealed.
pub fn open_ldap_settings(keys: &KeyRing, app: &App) -> Result<LdapSettings> {
    let Some(source) = &app.source else {
        return Err(ImportError::invalid(
            "settings.app.url",
            format!("the app {} has no LDAP settings", app.label),
            "send settings.app with url, bindDn, bindPassword, userBaseDn and groupBaseDn: PUT /api/v1/apps/{id}",
        ));
    };
    let mut settings = parse_ldap_settings(app.name, &source.settings)?;
    if let Some(sealed) = &source.sealed_secret {
        settings.bind_password = Some(keys.key()?.open(&secret_purpose(&app.id), sealed)?);
    }
    settings.validate()?;
    Ok(settings)
}

/// Connect and bind with the settings, as a check before they are saved.
pub async fn test_ldap(settings: LdapSettings) -> Result<()> {
    let source = LdapSource::new(settings)?;
    let mut ldap = source.connect().await.map_err(ImportError::Source)?;
    let _ = ldap.unbind().await;
    Ok(())
}

/// What a read of an app's users goes through.
pub enum Opened {
    Ldap(Box<LdapSource>),
    Csv(CsvSource),
    Scim(ScimSource),
}

impl Opened {
    pub fn name(&self) -> String {
        match self {
            Opened::Ldap(s) => s.name().to_owned(),
            Opened::Csv(s) => s.name().to_owned(),
            Opened::Scim(s) => s.name().to_owned(),
        }
    }

    /// Whether the source can say what changed since a time (CSV files cannot).
    pub fn tracks_changes(&self) -> bool {
        !matches!(self, Opened::Csv(_))
    }
}

/// Open the app's source: its LDAP settings, the uploaded CSV file, or its SCIM connection.
pub fn open(keys: &KeyRing, app: &App, csv: Option<(String, PathBuf)>) -> Result<Opened> {
    match app.name {
        AppType::Ldap | AppType::ActiveDirectory => {
            let settings = open_ldap_settings(keys, app)?;
            Ok(Opened::Ldap(Box::new(LdapSource::new(settings)?)))
        }
        AppType::Csv => {
            let Some((name, path)) = csv else {
                return Err(ImportError::invalid(
                    "body",
                    "a CSV app's import needs the CSV file as the request body",
                    "POST /api/v1/apps/{id}/imports with Content-Type: text/csv and the file as the body (roster import --app ID --file users.csv)",
                ));
            };
            Ok(Opened::Csv(CsvSource::from_file(name, path)))
        }
        AppType::Scim2 => {
            let Some(connection) = &app.connection else {
                return Err(ImportError::invalid(
                    "connection",
                    format!("the SCIM app {} has no connection token to read with", app.label),
                    "POST /api/v1/apps/{id}/connections/default with the service provider's bearer token",
                ));
            };
            let token: SecretString = keys
                .key()?
                .open(&connection_purpose(&app.id), &connection.sealed_token)?;
            Ok(Opened::Scim(ScimSource::new(ScimSettings::new(
                &app.base_url,
                token,
            ))?))
        }
        AppType::OktaOrg2Org => Err(ImportError::invalid(
            "name",
            format!(
                "{} is an okta_org2org app: Roster pushes to it and imports nothing from it",
                app.label
            ),
            "import from an ldap, active_directory, csv or scim2 app",
        )),
    }
}

/// An item of a user read, in source order.
pub enum Item {
    Record(SourceRecord),
    Warning(SourceWarning),
}

/// Start reading the users: the items arrive on the channel as the source yields them, and the
/// task ends with the read's outcome.
pub fn read_users(
    opened: &Opened,
    mode: ReadMode,
) -> (
    mpsc::Receiver<Item>,
    tokio::task::JoinHandle<std::result::Result<(), SourceError>>,
) {
    let (tx, rx) = mpsc::channel::<Item>(4096);
    let handle = match opened {
        Opened::Csv(csv) => {
            let csv = csv.clone();
            tokio::task::spawn_blocking(move || {
                csv.for_each_user(|item| {
                    let item = match item {
                        Ok(r) => Item::Record(r),
                        Err(w) => Item::Warning(w),
                    };
                    tx.blocking_send(item).is_ok()
                })
            })
        }
        Opened::Ldap(ldap) => {
            let ldap = ldap.as_ref().clone();
            tokio::spawn(async move {
                // The LDAP reader hands entries to a plain closure: an unbounded hand-off keeps
                // it from blocking, and the bounded channel paces the consumer.
                let (utx, mut urx) = mpsc::unbounded_channel::<Item>();
                let forward = tokio::spawn(async move {
                    while let Some(item) = urx.recv().await {
                        if tx.send(item).await.is_err() {
                            break;
                        }
                    }
                });
                let read = ldap
                    .for_each_user(&mode, |item| {
                        let _ = utx.send(match item {
                            Ok(r) => Item::Record(r),
                            Err(w) => Item::Warning(w),
                        });
                    })
                    .await;
                drop(utx);
                let _ = forward.await;
                read
            })
        }
        Opened::Scim(scim) => {
            let scim = scim.clone();
            tokio::spawn(async move {
                let read: SourceRead<SourceRecord> = scim.read_users(&mode).await?;
                for w in read.warnings {
                    if tx.send(Item::Warning(w)).await.is_err() {
                        return Ok(());
                    }
                }
                for r in read.items {
                    if tx.send(Item::Record(r)).await.is_err() {
                        break;
                    }
                }
                Ok(())
            })
        }
    };
    (rx, handle)
}

/// Read the groups (CSV files have none).
pub async fn read_groups(
    opened: &Opened,
    mode: &ReadMode,
) -> std::result::Result<SourceRead<SourceGroup>, SourceError> {
    match opened {
        Opened::Ldap(s) => s.read_groups(mode).await,
        Opened::Scim(s) => s.read_groups(mode).await,
        Opened::Csv(_) => Ok(SourceRead::default()),
    }
}
