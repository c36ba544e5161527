//! The SCIM 2.0 source: paged `GET /Users` and `GET /Groups` (`startIndex`/`count`) with a
//! bearer token; incremental reads filter on `meta.lastModified gt`.

use std::time::Duration;

use futures::future::BoxFuture;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{ErrorKind, Problems, SettingsError, SourceError};
use crate::time::validate_timestamp;
use crate::{ReadMode, Source, SourceGroup, SourceRead, SourceRecord, SourceResult, SourceWarning};

const DEFAULT_PAGE_SIZE: u32 = 200;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A SCIM source's settings, in Okta's camelCase.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimSettings {
    /// The service provider's base URL, e.g. `https://hr.example.com/scim/v2`.
    pub base_url: String,
    /// The bearer token.
    pub token: SecretString,
    /// Resources a page (default 200).
    #[serde(default)]
    pub page_size: Option<u32>,
}

impl ScimSettings {
    pub fn new(base_url: &str, token: SecretString) -> Self {
        ScimSettings {
            base_url: base_url.to_string(),
            token,
            page_size: None,
        }
    }

    /// Every problem with the settings, each named by its field.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let mut p = Problems::default();
        let url = self.base_url.trim();
        match reqwest::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
            _ => p.push(
                "settings.app.baseUrl",
                format!("'{url}' is not an http:// or https:// URL"),
            ),
        }
        if self.token.expose_secret().trim().is_empty() {
            p.push("settings.app.token", "required");
        }
        if let Some(size) = self.page_size {
            if !(1..=1000).contains(&size) {
                p.push(
                    "settings.app.pageSize",
                    format!("{size} is not between 1 and 1000"),
                );
            }
        }
        p.finish()
    }
}

/// Reads users and groups from a SCIM 2.0 service provider.
#[derive(Debug, Clone)]
pub struct ScimSource {
    settings: ScimSettings,
    base: String,
    client: reqwest::Client,
}

impl ScimSource {
    pub fn new(settings: ScimSettings) -> Result<Self, SettingsError> {
        settings.validate()?;
        let client = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| SettingsError {
                problems: vec![crate::error::SettingsProblem {
                    field: "settings.app.baseUrl".to_string(),
                    message: format!("no HTTP client: {e}"),
                }],
            })?;
        let base = settings.base_url.trim().trim_end_matches('/').to_string();
        Ok(ScimSource {
            settings,
            base,
            client,
        })
    }

    fn error(&self, kind: ErrorKind, tried: &str, said: impl Into<String>) -> SourceError {
        SourceError::new(kind, &self.base, tried, said)
    }

    /// Every resource of `/{resource}`, page by page.
    async fn list(&self, resource: &str, mode: &ReadMode) -> SourceResult<Vec<Map<String, Value>>> {
        let count = self.settings.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        let filter = match mode {
            ReadMode::Full => None,
            ReadMode::Incremental { since } => {
                validate_timestamp(since).map_err(|e| {
                    self.error(ErrorKind::Configuration, "start an incremental read", e)
                })?;
                Some(format!("meta.lastModified gt \"{since}\""))
            }
        };
        let url = format!("{}/{resource}", self.base);
        let mut out = Vec::new();
        let mut start_index: u64 = 1;
        loop {
            let tried = format!("GET {url}?startIndex={start_index}&count={count}");
            let mut query = vec![
                ("startIndex", start_index.to_string()),
                ("count", count.to_string()),
            ];
            if let Some(f) = &filter {
                query.push(("filter", f.clone()));
            }
            let response = self
                .client
                .get(&url)
                .query(&query)
                .bearer_auth(self.settings.token.expose_secret())
                .header("Accept", "application/scim+json, application/json")
                .send()
                .await
                .map_err(|e| self.error(ErrorKind::Transient, &tried, without_url(&e)))?;
            let status = response.status();
            let body = response
                .bytes()
                .await
                .map_err(|e| self.error(ErrorKind::Transient, &tried, without_url(&e)))?;
            if !status.is_success() {
                let detail = serde_json::from_slice::<Value>(&body)
                    .ok()
                    .and_then(|v| {
                        let detail = v.get("detail").and_then(Value::as_str)?.to_string();
                        Some(match v.get("scimType").and_then(Value::as_str) {
                            Some(t) => format!("{detail} (scimType {t})"),
                            None => detail,
                        })
                    })
                    .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect());
                let kind = match status.as_u16() {
                    401 | 403 => ErrorKind::Unauthorized,
                    408 | 429 | 500..=599 => ErrorKind::Transient,
                    _ => ErrorKind::Configuration,
                };
                return Err(self.error(kind, &tried, format!("HTTP {status}: {detail}")));
            }
            let page: ListResponse = serde_json::from_slice(&body).map_err(|e| {
                self.error(
                    ErrorKind::InvalidData,
                    &tried,
                    format!("not a SCIM ListResponse: {e}"),
                )
            })?;
            let got = page.resources.len() as u64;
            out.extend(page.resources);
            let done = match page.total_results {
                Some(total) => out.len() as u64 >= total,
                None => got < u64::from(count),
            };
            if got == 0 || done {
                break;
            }
            start_index += got;
        }
        Ok(out)
    }

    async fn users(&self, mode: &ReadMode) -> SourceResult<SourceRead<SourceRecord>> {
        let mut read = SourceRead::default();
        for resource in self.list("Users", mode).await? {
            match resource.get("id").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => read.items.push(SourceRecord {
                    external_id: id.to_string(),
                    modified: last_modified(&resource),
                    attributes: resource,
                }),
                _ => read.warnings.push(SourceWarning {
                    line: None,
                    subject: resource
                        .get("userName")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    message: "the user has no id and was skipped".to_string(),
                }),
            }
        }
        Ok(read)
    }

    async fn groups(&self, mode: &ReadMode) -> SourceResult<SourceRead<SourceGroup>> {
        let mut read = SourceRead::default();
        for resource in self.list("Groups", mode).await? {
            let name = resource
                .get("displayName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let Some(id) = resource.get("id").and_then(Value::as_str) else {
                read.warnings.push(SourceWarning {
                    line: None,
                    subject: Some(name),
                    message: "the group has no id and was skipped".to_string(),
                });
                continue;
            };
            let members = resource
                .get("members")
                .and_then(Value::as_array)
                .map(|m| {
                    m.iter()
                        .filter(|m| {
                            m.get("type")
                                .and_then(Value::as_str)
                                .is_none_or(|t| t.eq_ignore_ascii_case("User"))
                        })
                        .filter_map(|m| m.get("value").and_then(Value::as_str))
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            read.items.push(SourceGroup {
                external_id: id.to_string(),
                name,
                description: resource
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                member_external_ids: members,
                modified: last_modified(&resource),
            });
        }
        Ok(read)
    }
}

fn last_modified(resource: &Map<String, Value>) -> Option<String> {
    resource
        .get("meta")?
        .get("lastModified")?
        .as_str()
        .map(str::to_string)
}

/// reqwest's message without the URL (already in `tried`).
fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(url) = e.url() {
        s = s
            .replace(&format!(" ({url})"), "")
            .replace(url.as_str(), "");
    }
    s
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListResponse {
    total_results: Option<u64>,
    #[serde(rename = "Resources", default)]
    resources: Vec<Map<String, Value>>,
}

impl Source for ScimSource {
    fn name(&self) -> &str {
        &self.base
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
