//! System Log events in Okta's LogEvent shape.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub alternate_id: Option<String>,
    pub display_name: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            id: "system".into(),
            kind: "SystemPrincipal".into(),
            alternate_id: Some("system@roster".into()),
            display_name: Some("Roster".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Client {
    pub ip_address: Option<String>,
    pub user_agent: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// SUCCESS, FAILURE, SKIPPED, ALLOW, DENY, CHALLENGE, UNKNOWN
    pub result: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub alternate_id: Option<String>,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct DebugContext {
    pub debug_data: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

/// One System Log event. Events are append-only and written in the same database transaction
/// as the change they record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent {
    pub uuid: String,
    pub published: Timestamp,
    pub event_type: String,
    pub version: String,
    pub severity: Severity,
    pub display_message: String,
    pub actor: Actor,
    pub client: Client,
    pub outcome: Outcome,
    pub target: Vec<Target>,
    pub transaction: Transaction,
    pub debug_context: DebugContext,
}

impl LogEvent {
    /// A successful INFO event; adjust fields as needed.
    pub fn new(
        uuid: String,
        published: Timestamp,
        event_type: &str,
        display_message: &str,
        actor: Actor,
        transaction_id: &str,
    ) -> Self {
        LogEvent {
            uuid,
            published,
            event_type: event_type.into(),
            version: "0".into(),
            severity: Severity::Info,
            display_message: display_message.into(),
            actor,
            client: Client::default(),
            outcome: Outcome {
                result: "SUCCESS".into(),
                reason: None,
            },
            target: Vec::new(),
            transaction: Transaction {
                kind: "WEB".into(),
                id: transaction_id.into(),
            },
            debug_context: DebugContext::default(),
        }
    }

    pub fn failure(mut self, reason: impl Into<String>) -> Self {
        self.outcome = Outcome {
            result: "FAILURE".into(),
            reason: Some(reason.into()),
        };
        self.severity = Severity::Warn;
        self
    }

    pub fn with_target(
        mut self,
        id: &str,
        kind: &str,
        alternate_id: Option<&str>,
        display_name: Option<&str>,
    ) -> Self {
        self.target.push(Target {
            id: id.into(),
            kind: kind.into(),
            alternate_id: alternate_id.map(Into::into),
            display_name: display_name.map(Into::into),
        });
        self
    }

    pub fn with_debug(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.debug_context
            .debug_data
            .insert(key.into(), value.into());
        self
    }
}
