//! The user profile schema (`/api/v1/meta/schemas/user/default`), stored as one document. Until
//! an administrator changes it, Okta's default base schema applies.

use roster_core::profile::{ProfileSchema, SchemaError};
use roster_store::Document;
use serde_json::{Map, Value};

use crate::{Ctx, Directory, DirectoryError, Result};

const KIND: &str = "profile_schema";
const ID: &str = "default";

impl Directory {
    /// The schema profiles are validated against.
    pub async fn profile_schema(&self) -> Result<ProfileSchema> {
        Ok(self.profile_schema_with_version().await?.0)
    }

    async fn profile_schema_with_version(&self) -> Result<(ProfileSchema, i64)> {
        match self.store.get_document(KIND, ID).await? {
            None => Ok((ProfileSchema::okta_default(), 0)),
            Some(doc) => {
                let schema = ProfileSchema::from_okta_json(doc.body.clone()).map_err(|e| {
                    DirectoryError::Internal(format!("the stored profile schema is not valid: {e}"))
                })?;
                Ok((schema, doc.version))
            }
        }
    }

    /// Apply a partial update in Okta's shape: properties under `definitions.custom.properties`
    /// are added or replaced, a property set to `null` is removed; under
    /// `definitions.base.properties` only what Okta lets change (firstName/lastName `required`,
    /// the login `pattern`). Every change is validated before anything is stored.
    pub async fn update_profile_schema(&self, ctx: &Ctx, body: &Value) -> Result<ProfileSchema> {
        let (current, version) = self.profile_schema_with_version().await?;
        let mut merged =
            serde_json::to_value(&current).map_err(|e| DirectoryError::Internal(e.to_string()))?;
        for section in ["custom", "base"] {
            let Some(changes) = body.pointer(&format!("/definitions/{section}")) else {
                continue;
            };
            let Some(changes) = changes.as_object() else {
                return Err(DirectoryError::invalid(
                    &format!("definitions.{section}"),
                    "must be an object with properties and required",
                    "send {\"definitions\":{\"custom\":{\"properties\":{...},\"required\":[...]}}}",
                ));
            };
            merge_section(&mut merged, section, changes)?;
        }
        let schema = ProfileSchema::from_okta_json(merged.clone())
            .map_err(|e| DirectoryError::invalid(&schema_field(&e), e.cause(), e.remediation()))?;
        let stored =
            serde_json::to_value(&schema).map_err(|e| DirectoryError::Internal(e.to_string()))?;
        let doc = Document {
            kind: KIND.into(),
            id: ID.into(),
            priority: 0,
            body: stored,
            version: 0,
            updated: ctx.now,
        };
        let event = ctx
            .event("user.schema.update", "Update user profile schema")
            .with_target("default", "UserSchema", None, None);
        self.store
            .put_document(&doc, Some(version), &[event])
            .await?;
        Ok(schema)
    }
}

/// The field a refused schema change is about: `definitions.base.properties.NAME` or
/// `definitions.custom.properties.NAME`.
fn schema_field(err: &SchemaError) -> String {
    let name = match err {
        SchemaError::InvalidName { name }
        | SchemaError::ReservedName { name }
        | SchemaError::CollidesWithBase { name, .. }
        | SchemaError::AlreadyDefined { name, .. }
        | SchemaError::NotDefined { name }
        | SchemaError::BaseNotModifiable { name }
        | SchemaError::EmptyTitle { name }
        | SchemaError::ItemsMissing { name }
        | SchemaError::ItemsNotAllowed { name }
        | SchemaError::BadItemsType { name, .. }
        | SchemaError::NotApplicable { name, .. }
        | SchemaError::MinGreaterThanMax { name, .. }
        | SchemaError::BadPattern { name, .. }
        | SchemaError::BadEnum { name, .. }
        | SchemaError::Malformed { name, .. } => name,
    };
    if name == "definitions" {
        return name.clone();
    }
    let base = matches!(err, SchemaError::BaseNotModifiable { .. })
        || ProfileSchema::okta_default()
            .base_attributes()
            .any(|(n, _)| n == name);
    let section = if base { "base" } else { "custom" };
    format!("definitions.{section}.properties.{name}")
}

fn merge_section(merged: &mut Value, section: &str, changes: &Map<String, Value>) -> Result<()> {
    let Some(target) = merged
        .pointer_mut(&format!("/definitions/{section}"))
        .and_then(Value::as_object_mut)
    else {
        return Err(DirectoryError::Internal(format!(
            "serialised schema has no {section} section"
        )));
    };
    let mut required: Vec<String> = target
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let body_required: Vec<String> = changes
        .get("required")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if let Some(props) = changes.get("properties") {
        let Some(props) = props.as_object() else {
            return Err(DirectoryError::invalid(
                &format!("definitions.{section}.properties"),
                "must be an object of attribute definitions",
                "send each attribute as \"name\": {\"title\": ..., \"type\": ...}, or null to remove it",
            ));
        };
        let entry = target
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(existing) = entry.as_object_mut() else {
            return Err(DirectoryError::Internal(
                "serialised schema properties are not an object".into(),
            ));
        };
        for (name, def) in props {
            required.retain(|r| r != name);
            if def.is_null() {
                if section == "base" {
                    return Err(DirectoryError::invalid(
                        &format!("definitions.base.properties.{name}"),
                        format!("the base attribute {name} cannot be removed"),
                        "remove only custom attributes; base attributes are part of every profile",
                    ));
                }
                existing.remove(name);
            } else {
                if def.get("required").and_then(Value::as_bool) == Some(true) {
                    required.push(name.clone());
                }
                existing.insert(name.clone(), def.clone());
            }
        }
    }
    for r in body_required {
        if !required.contains(&r) {
            required.push(r);
        }
    }
    target.insert(
        "required".into(),
        Value::Array(required.into_iter().map(Value::String).collect()),
    );
    Ok(())
}
