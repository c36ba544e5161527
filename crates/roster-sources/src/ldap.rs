//! The LDAP / Active Directory source: paged subtree searches with `ldap3` over rustls.
//!
//! Users are the entries of `userObjectClass` under `userBaseDn` (narrowed by `userFilter`),
//! groups those of `groupObjectClass` under `groupBaseDn`. The unique id (`entryUUID`, or AD's
//! binary `objectGUID` as canonical GUID text) and `modifyTimestamp` are operational attributes,
//! so they are requested by name next to `*`. Every search uses the Paged Results control
//! (500 entries a page), which keeps each page under slapd's and AD's default size limits.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{ErrorKind, Problems, SettingsError, SourceError};
use crate::time::{from_generalized_time, to_generalized_time};
use crate::{ReadMode, Source, SourceGroup, SourceRead, SourceRecord, SourceResult, SourceWarning};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const OPERATION_TIMEOUT: Duration = Duration::from_secs(120);
const DEFAULT_PAGE_SIZE: u32 = 500;

/// An LDAP application's `settings.app`, in Okta's camelCase. Missing required fields
/// deserialize as empty so that [`LdapSettings::validate`] reports all of them at once.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LdapSettings {
    /// `ldap://host[:port]` or `ldaps://host[:port]`.
    #[serde(default)]
    pub url: String,
    /// The service account; empty for an anonymous bind.
    #[serde(default)]
    pub bind_dn: String,
    #[serde(default)]
    pub bind_password: Option<SecretString>,
    #[serde(default)]
    pub user_base_dn: String,
    #[serde(default)]
    pub group_base_dn: String,
    /// `inetOrgPerson` (OpenLDAP) or `user` (Active Directory).
    #[serde(default = "default_user_object_class")]
    pub user_object_class: String,
    /// `groupOfNames` (OpenLDAP) or `group` (Active Directory).
    #[serde(default = "default_group_object_class")]
    pub group_object_class: String,
    /// An extra filter users must match, e.g. `(!(pwdAccountLockedTime=*))`.
    #[serde(default)]
    pub user_filter: Option<String>,
    /// An extra filter groups must match.
    #[serde(default)]
    pub group_filter: Option<String>,
    /// `entryUUID` (OpenLDAP) or `objectGUID` (Active Directory).
    #[serde(default = "default_unique_id_attribute")]
    pub unique_id_attribute: String,
    /// The group attribute holding member DNs.
    #[serde(default = "default_member_attribute")]
    pub member_attribute: String,
    /// Upgrade an `ldap://` connection with StartTLS.
    #[serde(default)]
    pub start_tls: bool,
    /// PEM certificates trusted for TLS instead of the system's roots (a private CA).
    #[serde(default)]
    pub ca_certificate: Option<String>,
    /// Entries a page (default 500).
    #[serde(default)]
    pub page_size: Option<u32>,
}

fn default_user_object_class() -> String {
    "inetOrgPerson".to_string()
}
fn default_group_object_class() -> String {
    "groupOfNames".to_string()
}
fn default_unique_id_attribute() -> String {
    "entryUUID".to_string()
}
fn default_member_attribute() -> String {
    "member".to_string()
}

impl LdapSettings {
    /// Settings with the OpenLDAP defaults.
    pub fn new(url: &str, user_base_dn: &str, group_base_dn: &str) -> Self {
        LdapSettings {
            url: url.to_string(),
            bind_dn: String::new(),
            bind_password: None,
            user_base_dn: user_base_dn.to_string(),
            group_base_dn: group_base_dn.to_string(),
            user_object_class: default_user_object_class(),
            group_object_class: default_group_object_class(),
            user_filter: None,
            group_filter: None,
            unique_id_attribute: default_unique_id_attribute(),
            member_attribute: default_member_attribute(),
            start_tls: false,
            ca_certificate: None,
            page_size: None,
        }
    }

    /// Every problem with the settings, each named by its field (`settings.app.userBaseDn`).
    pub fn validate(&self) -> Result<(), SettingsError> {
        let mut p = Problems::default();
        let f = |name: &str| format!("settings.app.{name}");
        let url = self.url.trim();
        let rest = url
            .strip_prefix("ldap://")
            .or_else(|| url.strip_prefix("ldaps://"));
        match rest {
            None => p.push(
                &f("url"),
                format!("'{url}' must start with ldap:// or ldaps://"),
            ),
            Some(r) if r.split('/').next().unwrap_or("").is_empty() => {
                p.push(&f("url"), format!("'{url}' names no host"))
            }
            Some(_) => {}
        }
        if self.start_tls && url.starts_with("ldaps://") {
            p.push(
                &f("startTls"),
                "StartTLS upgrades an ldap:// connection; an ldaps:// URL is already encrypted, turn startTls off",
            );
        }
        let has_password = self
            .bind_password
            .as_ref()
            .is_some_and(|s| !s.expose_secret().is_empty());
        if self.bind_dn.trim().is_empty() && has_password {
            p.push(&f("bindDn"), "a bind password is set but no bind DN");
        }
        if !self.bind_dn.trim().is_empty() {
            if !looks_like_dn(&self.bind_dn) && !self.bind_dn.contains('@') {
                p.push(
                    &f("bindDn"),
                    format!(
                        "'{}' is neither a DN (cn=reader,dc=example,dc=com) nor a user principal name (reader@example.com)",
                        self.bind_dn
                    ),
                );
            }
            if !has_password {
                p.push(&f("bindPassword"), "required when bindDn is set");
            }
        }
        for (name, dn) in [
            ("userBaseDn", &self.user_base_dn),
            ("groupBaseDn", &self.group_base_dn),
        ] {
            if dn.trim().is_empty() {
                p.push(&f(name), "required");
            } else if !looks_like_dn(dn) {
                p.push(
                    &f(name),
                    format!("'{dn}' is not a DN like ou=people,dc=example,dc=com"),
                );
            }
        }
        for (name, attr) in [
            ("userObjectClass", &self.user_object_class),
            ("groupObjectClass", &self.group_object_class),
            ("uniqueIdAttribute", &self.unique_id_attribute),
            ("memberAttribute", &self.member_attribute),
        ] {
            if !is_attribute_name(attr) {
                p.push(
                    &f(name),
                    format!("'{attr}' is not an attribute or object class name (letters, digits and hyphens, starting with a letter)"),
                );
            }
        }
        for (name, filter) in [
            ("userFilter", &self.user_filter),
            ("groupFilter", &self.group_filter),
        ] {
            if let Some(filter) = filter.as_deref().filter(|s| !s.trim().is_empty()) {
                if ldap3::parse_filter(parenthesized(filter)).is_err() {
                    p.push(
                        &f(name),
                        format!("'{filter}' is not a valid LDAP filter (RFC 4515), e.g. (department=Sales)"),
                    );
                }
            }
        }
        if let Some(pem) = &self.ca_certificate {
            match parse_pem_certificates(pem) {
                Ok(certs) if certs.is_empty() => p.push(
                    &f("caCertificate"),
                    "holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                ),
                Ok(_) => {}
                Err(e) => p.push(&f("caCertificate"), format!("is not valid PEM: {e}")),
            }
        }
        if let Some(size) = self.page_size {
            if !(1..=10_000).contains(&size) {
                p.push(&f("pageSize"), format!("{size} is not between 1 and 10000"));
            }
        }
        p.finish()
    }
}

fn looks_like_dn(dn: &str) -> bool {
    dn.split(',').all(|rdn| {
        rdn.split_once('=')
            .is_some_and(|(a, v)| !a.trim().is_empty() && !v.trim().is_empty())
    })
}

fn is_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn parenthesized(filter: &str) -> String {
    let f = filter.trim();
    if f.starts_with('(') {
        f.to_string()
    } else {
        format!("({f})")
    }
}

fn parse_pem_certificates(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// Reads users and groups from an LDAP directory or Active Directory.
#[derive(Clone)]
pub struct LdapSource {
    settings: LdapSettings,
    name: String,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for LdapSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdapSource")
            .field("settings", &self.settings)
            .finish()
    }
}

impl LdapSource {
    /// Validate the settings and prepare the TLS trust (the system's roots, or `caCertificate`).
    pub fn new(settings: LdapSettings) -> Result<Self, SettingsError> {
        settings.validate()?;
        let url = settings.url.trim().trim_end_matches('/').to_string();
        let needs_tls = settings.start_tls || url.starts_with("ldaps://");
        let tls = if needs_tls {
            Some(Arc::new(tls_config(&settings)?))
        } else {
            None
        };
        Ok(LdapSource {
            name: url,
            settings,
            tls,
        })
    }

    pub fn settings(&self) -> &LdapSettings {
        &self.settings
    }

    fn page_size(&self) -> i32 {
        i32::try_from(self.settings.page_size.unwrap_or(DEFAULT_PAGE_SIZE)).unwrap_or(500)
    }

    fn error(&self, tried: impl Into<String>, e: LdapError) -> SourceError {
        let (kind, said) = classify(e, self.settings.start_tls);
        SourceError::new(kind, &self.name, tried, said)
    }

    /// Open a connection and bind with the service account.
    pub async fn connect(&self) -> SourceResult<Ldap> {
        let mut conn_settings = LdapConnSettings::new()
            .set_conn_timeout(CONNECT_TIMEOUT)
            .set_starttls(self.settings.start_tls);
        if let Some(tls) = &self.tls {
            conn_settings = conn_settings.set_config(tls.clone());
        }
        let tried = if self.settings.start_tls {
            "connect with StartTLS"
        } else {
            "connect"
        };
        let (conn, mut ldap) = LdapConnAsync::with_settings(conn_settings, &self.name)
            .await
            .map_err(|e| self.error(tried, e))?;
        tokio::spawn(async move {
            if let Err(e) = conn.drive().await {
                tracing::debug!(error = %e, "ldap connection ended");
            }
        });
        let bind_dn = self.settings.bind_dn.trim();
        if !bind_dn.is_empty() {
            let password = self
                .settings
                .bind_password
                .as_ref()
                .map(|s| s.expose_secret())
                .unwrap_or("");
            let tried = format!("bind as {bind_dn}");
            ldap.with_timeout(OPERATION_TIMEOUT)
                .simple_bind(bind_dn, password)
                .await
                .and_then(|r| r.success())
                .map_err(|e| self.error(tried, e))?;
        }
        Ok(ldap)
    }

    /// Run one paged subtree search and hand every entry to `each`.
    async fn paged_search(
        &self,
        ldap: &mut Ldap,
        base: &str,
        filter: &str,
        attrs: Vec<String>,
        mut each: impl FnMut(SearchEntry),
    ) -> SourceResult<()> {
        let tried = format!("search {base} for {filter}");
        let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(self.page_size())),
        ];
        let mut stream = ldap
            .with_timeout(OPERATION_TIMEOUT)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs)
            .await
            .map_err(|e| self.error(tried.clone(), e))?;
        loop {
            match stream.next().await {
                Ok(Some(entry)) => each(SearchEntry::construct(entry)),
                Ok(None) => break,
                Err(e) => {
                    let _ = stream.finish().await;
                    return Err(self.error(tried, e));
                }
            }
        }
        stream
            .finish()
            .await
            .success()
            .map_err(|e| self.error(tried, e))?;
        Ok(())
    }

    fn filter(
        &self,
        object_class: &str,
        extra: Option<&str>,
        mode: &ReadMode,
    ) -> SourceResult<String> {
        let mut filter = format!("(&(objectClass={object_class})");
        if let Some(extra) = extra.filter(|s| !s.trim().is_empty()) {
            filter.push_str(&parenthesized(extra));
        }
        if let ReadMode::Incremental { since } = mode {
            let gt = to_generalized_time(since).map_err(|e| {
                SourceError::new(
                    ErrorKind::Configuration,
                    &self.name,
                    "start an incremental read",
                    e,
                )
            })?;
            filter.push_str(&format!("(modifyTimestamp>={gt})"));
        }
        filter.push(')');
        Ok(filter)
    }

    fn user_filter(&self, mode: &ReadMode) -> SourceResult<String> {
        self.filter(
            &self.settings.user_object_class,
            self.settings.user_filter.as_deref(),
            mode,
        )
    }

    /// The unique id of an entry, as text; `None` when the entry has none.
    fn unique_id(&self, entry: &SearchEntry) -> Option<String> {
        let attr = &self.settings.unique_id_attribute;
        let binary = attr.eq_ignore_ascii_case("objectGUID");
        if let Some(values) = get_ci(&entry.bin_attrs, attr) {
            let bytes = values.first()?;
            return Some(if binary {
                guid_text(bytes)?
            } else {
                String::from_utf8_lossy(bytes).into_owned()
            });
        }
        let value = get_ci(&entry.attrs, attr)?.first()?;
        if binary {
            // 16 bytes that happen to be valid UTF-8 arrive as text.
            guid_text(value.as_bytes())
        } else {
            Some(value.clone())
        }
    }

    fn record(&self, entry: SearchEntry) -> Result<SourceRecord, SourceWarning> {
        let Some(external_id) = self.unique_id(&entry) else {
            return Err(SourceWarning {
                line: None,
                subject: Some(entry.dn),
                message: format!(
                    "the entry has no {} and was skipped",
                    self.settings.unique_id_attribute
                ),
            });
        };
        let modified = get_ci(&entry.attrs, "modifyTimestamp")
            .and_then(|v| v.first())
            .and_then(|v| from_generalized_time(v));
        let id_attr = &self.settings.unique_id_attribute;
        let sorted: BTreeMap<String, Vec<String>> = entry
            .attrs
            .into_iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(id_attr))
            .collect();
        let mut attributes = Map::new();
        attributes.insert("dn".to_string(), Value::String(entry.dn));
        for (name, mut values) in sorted {
            let value = if values.len() == 1 {
                Value::String(values.remove(0))
            } else {
                Value::Array(values.into_iter().map(Value::String).collect())
            };
            attributes.insert(name, value);
        }
        Ok(SourceRecord {
            external_id,
            attributes,
            modified,
        })
    }

    /// Read the users and hand each to `each` as it arrives (for reads too large to hold).
    pub async fn for_each_user(
        &self,
        mode: &ReadMode,
        mut each: impl FnMut(Result<SourceRecord, SourceWarning>),
    ) -> SourceResult<()> {
        let filter = self.user_filter(mode)?;
        let mut ldap = self.connect().await?;
        let attrs = vec![
            "*".to_string(),
            self.settings.unique_id_attribute.clone(),
            "modifyTimestamp".to_string(),
        ];
        let base = self.settings.user_base_dn.clone();
        self.paged_search(&mut ldap, &base, &filter, attrs, |e| each(self.record(e)))
            .await?;
        let _ = ldap.unbind().await;
        Ok(())
    }

    async fn users(&self, mode: &ReadMode) -> SourceResult<SourceRead<SourceRecord>> {
        let mut read = SourceRead::default();
        self.for_each_user(mode, |r| match r {
            Ok(record) => read.items.push(record),
            Err(warning) => read.warnings.push(warning),
        })
        .await?;
        Ok(read)
    }

    async fn groups(&self, mode: &ReadMode) -> SourceResult<SourceRead<SourceGroup>> {
        let group_filter = self.filter(
            &self.settings.group_object_class,
            self.settings.group_filter.as_deref(),
            mode,
        )?;
        let mut ldap = self.connect().await?;

        // Member DNs resolve to users' unique ids: every user under the base, not only the
        // changed ones, since an unchanged user can join a changed group.
        let mut ids_by_dn: HashMap<String, String> = HashMap::new();
        let user_filter = self.user_filter(&ReadMode::Full)?;
        let user_base = self.settings.user_base_dn.clone();
        self.paged_search(
            &mut ldap,
            &user_base,
            &user_filter,
            vec![self.settings.unique_id_attribute.clone()],
            |e| {
                if let Some(id) = self.unique_id(&e) {
                    ids_by_dn.insert(normalize_dn(&e.dn), id);
                }
            },
        )
        .await?;

        let member_attr = self.settings.member_attribute.clone();
        let attrs = vec![
            "cn".to_string(),
            "description".to_string(),
            member_attr.clone(),
            self.settings.unique_id_attribute.clone(),
            "modifyTimestamp".to_string(),
        ];
        let mut read = SourceRead::default();
        let group_base = self.settings.group_base_dn.clone();
        self.paged_search(&mut ldap, &group_base, &group_filter, attrs, |e| {
            let Some(external_id) = self.unique_id(&e) else {
                read.warnings.push(SourceWarning {
                    line: None,
                    subject: Some(e.dn.clone()),
                    message: format!(
                        "the group has no {} and was skipped",
                        self.settings.unique_id_attribute
                    ),
                });
                return;
            };
            let first = |name: &str| get_ci(&e.attrs, name).and_then(|v| v.first()).cloned();
            let name = first("cn").unwrap_or_else(|| e.dn.clone());
            let mut member_external_ids = Vec::new();
            let mut unresolved = 0usize;
            for dn in get_ci(&e.attrs, &member_attr).into_iter().flatten() {
                match ids_by_dn.get(&normalize_dn(dn)) {
                    Some(id) => member_external_ids.push(id.clone()),
                    None => unresolved += 1,
                }
            }
            if unresolved > 0 {
                read.warnings.push(SourceWarning {
                    line: None,
                    subject: Some(e.dn.clone()),
                    message: format!(
                        "{unresolved} {member_attr} value(s) are not users under {} (nested groups, placeholders or users outside the base) and were left out",
                        self.settings.user_base_dn
                    ),
                });
            }
            read.items.push(SourceGroup {
                external_id,
                name,
                description: first("description"),
                member_external_ids,
                modified: first("modifyTimestamp").and_then(|v| from_generalized_time(&v)),
            });
        })
        .await?;
        let _ = ldap.unbind().await;
        Ok(read)
    }
}

impl Source for LdapSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn read_users<'a>(
        &'a self,
        mode: &'a ReadMode,
    ) -> BoxFuture<'a, SourceResult<SourceRead<SourceRecord>>> {
        Box::pin(self.users(mode))
    }

    fn read_groups<'a>(
        &'a self,
        mode: &'a ReadMode,
    ) -> BoxFuture<'a, SourceResult<SourceRead<SourceGroup>>> {
        Box::pin(self.groups(mode))
    }
}

fn get_ci<'a, V>(map: &'a HashMap<String, V>, name: &str) -> Option<&'a V> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// A DN for comparison: lower case, no spaces around `,` and `=`.
fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| match rdn.split_once('=') {
            Some((a, v)) => format!("{}={}", a.trim(), v.trim()),
            None => rdn.trim().to_string(),
        })
        .collect::<Vec<_>>()
        .join(",")
        .to_lowercase()
}

/// AD's `objectGUID` (16 bytes, the first three fields little-endian) as
/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
pub(crate) fn guid_text(b: &[u8]) -> Option<String> {
    let b: &[u8; 16] = b.try_into().ok()?;
    Some(format!(
        "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
    ))
}

fn tls_config(settings: &LdapSettings) -> Result<rustls::ClientConfig, SettingsError> {
    let field = "settings.app.caCertificate";
    let problem = |message: String| SettingsError {
        problems: vec![crate::error::SettingsProblem {
            field: field.to_string(),
            message,
        }],
    };
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = &settings.ca_certificate {
        for cert in parse_pem_certificates(pem).map_err(problem)? {
            roots
                .add(cert)
                .map_err(|e| problem(format!("is not a usable CA certificate: {e}")))?;
        }
    } else {
        let native = rustls_native_certs::load_native_certs();
        for cert in native.certs {
            let _ = roots.add(cert);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| problem(format!("TLS cannot be set up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// The name of an LDAP result code (RFC 4511 appendix A).
fn result_code_name(rc: u32) -> &'static str {
    match rc {
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        4 => "sizeLimitExceeded",
        7 => "authMethodNotSupported",
        8 => "strongerAuthRequired",
        11 => "adminLimitExceeded",
        12 => "unavailableCriticalExtension",
        13 => "confidentialityRequired",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        48 => "inappropriateAuthentication",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        80 => "other",
        _ => "error",
    }
}

/// AD explains invalidCredentials with `data <hex>` in the diagnostic text.
fn ad_bind_reason(text: &str) -> Option<&'static str> {
    let code = text.split("data ").nth(1)?.split([',', ' ']).next()?;
    Some(match code {
        "525" => "the account does not exist",
        "52e" => "the password is wrong",
        "530" => "the account may not sign in at this time",
        "531" => "the account may not sign in from this workstation",
        "532" => "the password has expired",
        "533" => "the account is disabled",
        "701" => "the account has expired",
        "773" => "the password must be changed before the account can sign in",
        "775" => "the account is locked out",
        _ => return None,
    })
}

fn classify(e: LdapError, start_tls: bool) -> (ErrorKind, String) {
    match e {
        LdapError::LdapResult { result } => {
            let name = result_code_name(result.rc);
            let mut said = format!("{name} ({})", result.rc);
            let text = result.text.trim();
            if !text.is_empty() {
                said.push_str(": ");
                said.push_str(text);
            }
            if let Some(reason) = ad_bind_reason(text) {
                said.push_str(&format!(" ({reason})"));
            }
            if result.rc == 4 {
                said.push_str(
                    " (the server caps how many entries this account may read, even page by page; \
                     let the bind account read every entry, e.g. OpenLDAP: \
                     limits dn.exact=\"<bindDn>\" size.prtotal=unlimited)",
                );
            }
            let kind = match result.rc {
                48..=50 => ErrorKind::Unauthorized,
                3 | 51 | 52 | 80 => ErrorKind::Transient,
                _ => ErrorKind::Configuration,
            };
            (kind, said)
        }
        LdapError::Io { source } => {
            let tls = source
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some());
            if tls {
                (
                    ErrorKind::Configuration,
                    format!("the TLS handshake failed: {source} (check the server certificate and caCertificate)"),
                )
            } else if start_tls && source.kind() == std::io::ErrorKind::UnexpectedEof {
                (
                    ErrorKind::Configuration,
                    format!("{source} (does the server offer StartTLS?)"),
                )
            } else {
                (ErrorKind::Transient, source.to_string())
            }
        }
        e @ (LdapError::Rustls { .. }
        | LdapError::DNSName { .. }
        | LdapError::FilterParsing
        | LdapError::UrlParsing { .. }
        | LdapError::UnknownScheme(_)) => (ErrorKind::Configuration, e.to_string()),
        e => (ErrorKind::Transient, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_is_canonical_text() {
        let bytes = [
            0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
            0xee, 0xff,
        ];
        assert_eq!(
            guid_text(&bytes).as_deref(),
            Some("00112233-4455-6677-8899-aabbccddeeff")
        );
        assert_eq!(guid_text(&bytes[..15]), None);
    }

    #[test]
    fn validation_names_every_field() {
        let mut s = LdapSettings::new("http://x", "people", "");
        s.bind_dn = "reader".into();
        s.user_object_class = "1bad".into();
        s.user_filter = Some("(cn=a".into());
        s.start_tls = true;
        let err = s.validate().unwrap_err();
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "settings.app.url",
                "settings.app.bindDn",
                "settings.app.bindPassword",
                "settings.app.userBaseDn",
                "settings.app.groupBaseDn",
                "settings.app.userObjectClass",
                "settings.app.userFilter",
            ]
        );
    }

    #[test]
    fn settings_read_okta_camel_case_and_hide_the_password() {
        let s: LdapSettings = serde_json::from_value(serde_json::json!({
            "url": "ldaps://dc1.example.com",
            "bindDn": "reader@example.com",
            "bindPassword": "hunter2-secret",
            "userBaseDn": "ou=people,dc=example,dc=com",
            "groupBaseDn": "ou=groups,dc=example,dc=com",
            "userObjectClass": "user",
            "uniqueIdAttribute": "objectGUID",
            "userFilter": "!(userAccountControl:1.2.840.113556.1.4.803:=2)"
        }))
        .unwrap();
        assert!(s.validate().is_ok(), "{:?}", s.validate());
        assert_eq!(s.group_object_class, "groupOfNames");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn missing_fields_are_all_reported() {
        let s: LdapSettings = serde_json::from_value(serde_json::json!({})).unwrap();
        let err = s.validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid source settings: settings.app.url: '' must start with ldap:// or ldaps://; \
             settings.app.userBaseDn: required; settings.app.groupBaseDn: required"
        );
    }

    #[test]
    fn dns_compare_without_case_and_spaces() {
        assert_eq!(
            normalize_dn("UID=Ann, ou=People,dc=Example,dc=com"),
            "uid=ann,ou=people,dc=example,dc=com"
        );
    }

    #[test]
    fn ad_bind_reasons_are_explained() {
        assert_eq!(
            ad_bind_reason("80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 775, v4563"),
            Some("the account is locked out")
        );
    }
}
