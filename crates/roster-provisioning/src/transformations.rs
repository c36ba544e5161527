//! App transformations: an app's mapping document in SAP Identity Provisioning's JSON format
//! (see the `roster-transform` crate), stored per app, validated when saved, applied to the
//! Roster user document when users are pushed, and previewed against the target's password
//! policy before anything is sent.
//!
//! The source document a transformation reads is [`source_document`]: `id`, `status`,
//! `profile`, `credentials` (`provider`, and `password.value` only while a push holds the
//! user's escrowed password) and `groups`. A transformation that writes a password makes the
//! payload carry a secret: payloads are redacted (`roster_transform::redact`) before they are
//! shown or kept, and the secret values are scrubbed from target answers.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::SeedableRng;
use roster_core::policy::{PasswordContext, PasswordPolicy};
use roster_core::{Group, Timestamp, User};
use roster_directory::Ctx;
use roster_store::Document;
use roster_transform::{Entity, Scope, Transformation};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Map, Value};

use crate::engine::{Provisioning, Result};
use crate::error::ProvisioningError;
use crate::model::{App, AppType};

/// The document kind of stored transformations (one per app, keyed by the app id).
pub const TRANSFORMATION_KIND: &str = "app_transformation";

/// A stored transformation.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTransformation {
    pub document: Value,
    pub last_updated: Timestamp,
}

/// Which users a preview shows.
#[derive(Debug, Clone)]
pub enum PreviewSelection {
    Users(Vec<String>),
    /// An Okta `search` expression over users, parsed.
    Filter(roster_filter::Filter),
}

/// The most users one preview shows.
pub const PREVIEW_LIMIT: usize = 200;

/// The Roster user document a transformation reads.
pub fn source_document(user: &User, groups: &[Group], password: Option<&SecretString>) -> Value {
    let mut credentials = Map::new();
    credentials.insert(
        "provider".into(),
        json!({
            "type": user.credentials.provider.kind.as_str(),
            "name": user.credentials.provider.name,
        }),
    );
    if let Some(p) = password {
        credentials.insert("password".into(), json!({ "value": p.expose_secret() }));
    }
    json!({
        "id": user.id,
        "status": user.status.as_str(),
        "profile": user.profile,
        "credentials": credentials,
        "groups": groups
            .iter()
            .map(|g| json!({ "id": g.id, "name": g.name }))
            .collect::<Vec<_>>(),
    })
}

/// Where the login is in a payload of `app`'s type.
pub fn payload_login(app_type: AppType, payload: &Value) -> Option<&str> {
    match app_type {
        AppType::Scim2 => payload.get("userName"),
        _ => payload.pointer("/profile/login"),
    }
    .and_then(Value::as_str)
}

/// Where the password is in a payload of `app`'s type.
pub fn payload_password(app_type: AppType, payload: &Value) -> Option<&str> {
    match app_type {
        AppType::Scim2 => payload.get("password"),
        _ => payload.pointer("/credentials/password/value"),
    }
    .and_then(Value::as_str)
}

/// Read `settings.app.targetPasswordPolicy`: `{"complexity": {...}}` in the shape of Okta's
/// password policy `settings.password.complexity` (`minLength`, `maxLength`,
/// `minCharacterGroups`, `minLowerCase`, ...). `null` clears it.
pub fn target_policy_from(value: &Value, now: Timestamp) -> Result<Option<PasswordPolicy>> {
    if value.is_null() {
        return Ok(None);
    }
    let complexity = value
        .get("complexity")
        .cloned()
        .ok_or_else(|| {
            ProvisioningError::invalid(
                "settings.app.targetPasswordPolicy",
                "the target password policy needs a complexity object",
                "send {\"complexity\": {\"minLength\": 8, \"maxLength\": 255, \"minCharacterGroups\": 3}}",
            )
        })
        .and_then(|c| {
            serde_json::from_value::<roster_core::policy::Complexity>(c).map_err(|e| {
                ProvisioningError::invalid(
                    "settings.app.targetPasswordPolicy.complexity",
                    format!("the complexity object is not valid: {e}"),
                    "use Okta's password complexity fields: minLength, maxLength, minLowerCase, minUpperCase, minNumber, minSymbol, minCharacterGroups, excludeUsername",
                )
            })
        })?;
    let mut policy = PasswordPolicy::new("target".into(), "Target password policy".into(), 1, now);
    policy.settings.password.complexity = complexity;
    Ok(Some(policy))
}

fn invalid_document(errors: Vec<roster_transform::DocumentError>) -> ProvisioningError {
    ProvisioningError::InvalidTransformation(
        errors
            .into_iter()
            .map(|e| {
                let location = match e.index {
                    Some(i) => format!("{}.mappings[{i}].{}", e.entity, e.key),
                    None => format!("{}.{}", e.entity, e.key),
                };
                (e.to_string(), location)
            })
            .collect(),
    )
}

impl Provisioning {
    /// Set or clear `settings.app.targetPasswordPolicy`.
    pub async fn set_target_password_policy(
        &self,
        ctx: &Ctx,
        id: &str,
        value: &Value,
    ) -> Result<App> {
        let policy = target_policy_from(value, ctx.now)?;
        let mut app = self.get_app(id).await?;
        if app.target_password_policy == policy {
            return Ok(app);
        }
        app.target_password_policy = policy;
        app.last_updated = ctx.now;
        let event = crate::engine::app_event(
            ctx,
            "application.lifecycle.update",
            "Update application",
            &app,
        )
        .with_debug(
            "targetPasswordPolicy",
            app.target_password_policy
                .as_ref()
                .map_or("none".to_owned(), PasswordPolicy::requirements_summary),
        );
        self.put_app(&app, None, &[event]).await?;
        Ok(app)
    }

    pub async fn get_transformation(&self, app_id: &str) -> Result<Option<StoredTransformation>> {
        let app = self.get_app(app_id).await?;
        Ok(self
            .store()
            .get_document(TRANSFORMATION_KIND, &app.id)
            .await?
            .map(|d| StoredTransformation {
                document: d.body,
                last_updated: d.updated,
            }))
    }

    /// Validate and store `document` as the app's transformation; an invalid document is
    /// refused with every problem and changes nothing.
    pub async fn put_transformation(
        &self,
        ctx: &Ctx,
        app_id: &str,
        document: Value,
    ) -> Result<StoredTransformation> {
        let app = self.get_app(app_id).await?;
        let parsed = Transformation::parse(&document).map_err(invalid_document)?;
        let mappings = |e: Entity| {
            let key = match e {
                Entity::User => "user",
                Entity::Group => "group",
            };
            parsed
                .document()
                .pointer(&format!("/{key}/mappings"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        };
        let event = ctx
            .event(
                "application.provision.transformation.update",
                "Update the transformation of an application",
            )
            .with_target(&app.id, "AppInstance", Some(&app.label), None)
            .with_debug("userMappings", mappings(Entity::User).to_string())
            .with_debug("groupMappings", mappings(Entity::Group).to_string());
        let doc = Document {
            kind: TRANSFORMATION_KIND.into(),
            id: app.id.clone(),
            priority: 0,
            body: document.clone(),
            version: 0,
            updated: ctx.now,
        };
        self.store().put_document(&doc, None, &[event]).await?;
        Ok(StoredTransformation {
            document,
            last_updated: ctx.now,
        })
    }

    /// Remove the app's transformation: its type's built-in mapping applies again.
    pub async fn delete_transformation(&self, ctx: &Ctx, app_id: &str) -> Result<()> {
        let app = self.get_app(app_id).await?;
        let event = ctx
            .event(
                "application.provision.transformation.delete",
                "Delete the transformation of an application",
            )
            .with_target(&app.id, "AppInstance", Some(&app.label), None);
        self.store()
            .delete_document(TRANSFORMATION_KIND, &app.id, &[event])
            .await?;
        Ok(())
    }

    /// The app's parsed transformation, if it has one that maps users. Every push calls this:
    /// the parse (regexes, paths) is cached per app and redone only when the stored document
    /// differs from the one it was parsed from, so a change on any server is seen at once.
    pub(crate) async fn user_transformation(
        &self,
        app_id: &str,
    ) -> Result<Option<Arc<Transformation>>> {
        let Some(doc) = self
            .store()
            .get_document(TRANSFORMATION_KIND, app_id)
            .await?
        else {
            return Ok(None);
        };
        let cached = self
            .inner
            .transformations
            .lock()
            .ok()
            .and_then(|c| c.get(app_id).cloned())
            .filter(|t| t.document() == &doc.body);
        let parsed = match cached {
            Some(t) => t,
            None => {
                // A stored document was valid when saved; one that no longer parses (an older
                // Roster wrote it) is reported like an invalid save.
                let t = Arc::new(Transformation::parse(&doc.body).map_err(invalid_document)?);
                if let Ok(mut c) = self.inner.transformations.lock() {
                    c.insert(app_id.to_owned(), Arc::clone(&t));
                }
                t
            }
        };
        Ok(parsed.has_entity(Entity::User).then_some(parsed))
    }

    /// What the app would send for each selected user, with secrets redacted, and whether the
    /// password in it meets the target's password policy. `document`, when given, is an unsaved
    /// transformation to preview instead of the saved one: it is validated as
    /// [`Provisioning::put_transformation`] validates (an invalid one is refused with every
    /// problem, the same [`ProvisioningError::InvalidTransformation`]) and is not stored.
    pub async fn preview(
        &self,
        app_id: &str,
        selection: PreviewSelection,
        scope: Scope,
        document: Option<&Value>,
    ) -> Result<Value> {
        let app = self.get_app(app_id).await?;
        let transformation = match document {
            Some(doc) => {
                let parsed = Transformation::parse(doc).map_err(invalid_document)?;
                parsed.has_entity(Entity::User).then(|| Arc::new(parsed))
            }
            None => self.user_transformation(&app.id).await?,
        };
        let users = self.preview_users(selection).await?;
        let (policy, policy_source) = self.target_password_policy(&app).await;
        let mut rng = StdRng::from_entropy();
        let mut entries = Vec::with_capacity(users.len());
        let mut failing = Vec::new();
        for user in &users {
            let groups = self.inner.directory.user_groups(&user.id).await?;
            let source = source_document(user, &groups, None);
            let payload = match &transformation {
                Some(t) => t.apply(Entity::User, scope, &source, &mut rng),
                None => Ok(default_payload(app.name, user)),
            };
            let mut entry = Map::new();
            entry.insert("userId".into(), json!(user.id));
            entry.insert("login".into(), json!(user.login()));
            match payload {
                Err(e) => {
                    failing.push(json!(user.id));
                    entry.insert("result".into(), json!("MAPPING_ERROR"));
                    entry.insert(
                        "errors".into(),
                        json!([{ "location": format!("{}.mappings[{}].{}", e.entity, e.index, e.key), "errorSummary": e.to_string() }]),
                    );
                }
                Ok(mut payload) => {
                    let password = payload_password(app.name, &payload).map(str::to_owned);
                    let check = match (&password, &policy) {
                        (None, _) => json!({ "status": "NOT_SENT" }),
                        (Some(_), None) => json!({
                            "status": "UNKNOWN",
                            "reason": policy_source,
                        }),
                        (Some(p), Some(policy)) => password_check(policy, p, user),
                    };
                    let fails = check["status"] == "FAIL";
                    if fails {
                        failing.push(json!(user.id));
                    }
                    roster_transform::redact(&mut payload);
                    entry.insert(
                        "result".into(),
                        json!(if fails { "WOULD_FAIL" } else { "OK" }),
                    );
                    entry.insert("payload".into(), payload);
                    entry.insert("password".into(), check);
                }
            }
            entries.push(Value::Object(entry));
        }
        Ok(json!({
            "appId": app.id,
            "scope": match scope {
                Scope::Create => "createEntity",
                Scope::Patch => "patchEntity",
                Scope::Delete => "deleteEntity",
            },
            "transformation": if transformation.is_some() { "CUSTOM" } else { "DEFAULT" },
            "transformationSource": if document.is_some() { "REQUEST" } else { "SAVED" },
            "targetPasswordPolicy": policy.as_ref().map(PasswordPolicy::requirements_summary),
            "targetPasswordPolicySource": policy_source,
            "users": entries,
            "failing": failing,
        }))
    }

    async fn preview_users(&self, selection: PreviewSelection) -> Result<Vec<User>> {
        match selection {
            PreviewSelection::Users(ids) => {
                if ids.len() > PREVIEW_LIMIT {
                    return Err(ProvisioningError::invalid(
                        "userIds",
                        format!("a preview shows at most {PREVIEW_LIMIT} users"),
                        "preview fewer users at a time, or use a filter",
                    ));
                }
                let mut users = Vec::with_capacity(ids.len());
                for id in &ids {
                    users.push(self.inner.directory.get_user(id).await?);
                }
                Ok(users)
            }
            PreviewSelection::Filter(filter) => {
                let query = roster_directory::UserListQuery {
                    filter: Some(filter),
                    q: None,
                    after: None,
                    limit: PREVIEW_LIMIT as u32,
                };
                Ok(self.inner.directory.list_users(&query).await?.items)
            }
        }
    }

    /// The target's password policy: the one configured on the app
    /// (`settings.app.targetPasswordPolicy`), else, for Org2Org apps, the other org's default
    /// password policy read through its policy API. The text says where it came from.
    pub(crate) async fn target_password_policy(
        &self,
        app: &App,
    ) -> (Option<PasswordPolicy>, String) {
        if let Some(policy) = &app.target_password_policy {
            return (
                Some(policy.clone()),
                "configured on the app (settings.app.targetPasswordPolicy)".into(),
            );
        }
        if app.name != AppType::OktaOrg2Org {
            return (
                None,
                "this SCIM app has no settings.app.targetPasswordPolicy: set it to check passwords before they are sent".into(),
            );
        }
        // The preview is for before provisioning is turned on too: it needs only the connection.
        let Some(connection) = app.connection.as_ref() else {
            return (
                None,
                "the app has no provisioning connection to read the target's policy with".into(),
            );
        };
        let token = match self.inner.keys.key().and_then(|k| {
            k.open(
                &crate::engine::connection_purpose(&app.id),
                &connection.sealed_token,
            )
        }) {
            Ok(t) => t,
            Err(e) => return (None, format!("the connection token cannot be opened: {e}")),
        };
        let connector = self.inner.connectors.connector(app, token);
        match connector.password_policy().await {
            Ok(Some(policy)) => (
                Some(policy),
                format!("read from the target's policy API at {}", app.base_url),
            ),
            Ok(None) => (
                None,
                "the target's policy API returned no active password policy".into(),
            ),
            Err(e) => (
                None,
                format!("the target's policy API could not be read: {}", e.summary()),
            ),
        }
    }
}

/// The payload of an app type's built-in mapping (what the connectors send without a
/// transformation), for previews.
fn default_payload(app_type: AppType, user: &User) -> Value {
    let push = crate::connector::PushUser {
        login: user.login().to_owned(),
        profile: user.profile.clone(),
        payload: None,
    };
    match app_type {
        AppType::Scim2 => crate::scim::scim_user(&push),
        _ => json!({ "profile": push.profile }),
    }
}

fn password_check(policy: &PasswordPolicy, password: &str, user: &User) -> Value {
    let mut ctx = PasswordContext::new(user.login(), user.last_updated);
    ctx.first_name = user.profile.get("firstName").and_then(Value::as_str);
    ctx.last_name = user.profile.get("lastName").and_then(Value::as_str);
    match policy.check(password, &ctx) {
        Ok(()) => json!({ "status": "PASS" }),
        Err(rejection) => json!({
            "status": "FAIL",
            "unmet": rejection.unmet().iter().map(|r| r.describe()).collect::<Vec<_>>(),
            "requirements": rejection.requirements_text(policy),
        }),
    }
}
