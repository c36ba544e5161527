//! The mapping engine: transformation documents in the shape of SAP Identity Provisioning's,
//! applied to user and group documents.
//!
//! A document maps each entity on its own:
//! `{"user": {"mappings": [...]}, "group": {"condition": "...", "mappings": [...]}}`.
//! [`Transformation::parse`] checks all of it at once (paths, regexes, functions and their
//! arguments, conditions) and returns every problem, each naming the entity, the mapping's
//! index and the key. [`Transformation::apply`] then builds the target document from an empty
//! object, mapping by mapping, in order.
//!
//! ```
//! use serde_json::json;
//! use roster_transform::{Entity, Scope, Transformation};
//!
//! let doc = json!({"user": {"mappings": [
//!     {"sourcePath": "$.profile.firstName", "targetPath": "$.password", "scope": "createEntity",
//!      "functions": [{"type": "concatString", "suffix": "7811!"}]},
//!     {"sourcePath": "$.profile.firstName", "targetPath": "$.name.givenName"}
//! ]}});
//! let t = Transformation::parse(&doc).unwrap();
//! let user = json!({"profile": {"firstName": "John"}});
//! let mut rng = rand::rngs::mock::StepRng::new(0, 1);
//! let out = t.apply(Entity::User, Scope::Create, &user, &mut rng).unwrap();
//! assert_eq!(out, json!({"password": "John7811!", "name": {"givenName": "John"}}));
//! ```
//!
//! Mapping keys: `sourcePath` (RFC 9535 JSONPath), `targetPath` (a writable path, see
//! `target.rs`), `constant`, `defaultValue`, `optional`, `ignore`, `condition`, `scope`
//! (`createEntity`, `patchEntity`, `deleteEntity`, or a list; absent means all), `type` (`set`,
//! `remove`, `rename`, `valueMapping`), `preserveArrayWithSingleElement`, `functions`; for
//! `valueMapping` also `sourcePaths` and `valueMappings: [{"key": [..], "mappedValue": ..}]`.
//!
//! The value of a mapping: a `constant`, else what `sourcePath` selects (a `null` counts as
//! missing; several nodes make an array; a one-element array is unwrapped unless
//! `preserveArrayWithSingleElement`). The functions run in order on it. If there is still no
//! value, `defaultValue` is written as given (functions do not run on it); else an `optional`
//! mapping writes nothing; else the entity fails with an [`ApplyError`].
//!
//! Where Roster differs from IPS, on purpose: regexes use the `regex` crate's syntax (no
//! lookaround, backreferences or atomic groups: such a document is refused when parsed; `$1`
//! in a replacement works as in Java); `matchRegex` and `=~` match the whole value,
//! `getMatchedRegexGroup` the first match anywhere; `splitStringToArray`'s separator is literal
//! text, not a regex; the `locale` of `toUpperCaseString` / `toLowerCaseString` is accepted and
//! ignored (Unicode's default case mapping); the time zone table is a subset of IPS's.
//! Not supported (refused when parsed): `sourceVariable`, `targetVariable`,
//! `correlationAttribute`, `%property%` placeholders (taken as literal text), and the
//! functions `encode`, `decode`, `manipulateDate`, `convertCountryCode`,
//! `convertCountryRegion`, `copyMapEntry`, `renameMapEntry`, `resolveEntityIds`.
//!
//! **Architecture Invariant:** the engine does no I/O and reads no clock; randomness comes in
//! as an argument (`randomPassword`), so every mapping is a testable function.

use std::fmt;

use rand::RngCore;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

mod codes;
mod condition;
mod function;
pub mod password;
mod redact;
mod target;

pub use function::FUNCTION_NAMES;
pub use redact::{redact, secret_leaves, REDACTED};

use condition::{is_singular, values_equal, Condition};
use function::{Env, Function};
use target::TargetPath;

/// Which entity of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    User,
    Group,
}

impl Entity {
    /// The document key: `user` or `group`.
    pub fn key(self) -> &'static str {
        match self {
            Entity::User => "user",
            Entity::Group => "group",
        }
    }
}

/// What the target is asked to do with the entity; a mapping's `scope` names the ones it
/// takes part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Create,
    Patch,
    Delete,
}

impl Scope {
    fn bit(self) -> u8 {
        match self {
            Scope::Create => 1,
            Scope::Patch => 2,
            Scope::Delete => 4,
        }
    }
}

/// A problem with the document itself, found by [`Transformation::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// `user`, `group`, or the unknown top-level key.
    pub entity: String,
    /// The mapping's index; `None` for a problem of the entity (or the document) itself.
    pub index: Option<usize>,
    /// The key inside the mapping, e.g. `functions[0].type`; may be empty.
    pub key: String,
    pub message: String,
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut at = self.entity.clone();
        if let Some(i) = self.index {
            at.push_str(&format!(".mappings[{i}]"));
        }
        if !self.key.is_empty() {
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(&self.key);
        }
        if at.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{at}: {}", self.message)
        }
    }
}

impl std::error::Error for DocumentError {}

/// Why one entity could not be mapped (the document was valid; this source was not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyError {
    pub entity: String,
    pub index: usize,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.mappings[{}].{}: {}",
            self.entity, self.index, self.key, self.message
        )
    }
}

impl std::error::Error for ApplyError {}

#[derive(Debug, Clone)]
struct SourcePath {
    text: String,
    path: JsonPath,
    singular: bool,
}

impl SourcePath {
    fn parse(text: &str) -> Result<SourcePath, String> {
        JsonPath::parse(text)
            .map(|path| SourcePath {
                text: text.to_string(),
                path,
                singular: is_singular(text),
            })
            .map_err(|e| format!("bad JSONPath {text:?}: {e}"))
    }

    fn read(&self, source: &Value, preserve: bool) -> Option<Value> {
        let nodes = self.path.query(source);
        let value = if self.singular || nodes.len() == 1 {
            let v = nodes.first()?;
            if v.is_null() {
                return None;
            }
            if !self.singular && preserve {
                Value::Array(vec![v.clone()])
            } else {
                v.clone()
            }
        } else {
            let items: Vec<Value> = nodes
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| (*v).clone())
                .collect();
            if items.is_empty() {
                return None;
            }
            Value::Array(items)
        };
        match value {
            Value::Array(mut items) if items.len() == 1 && !preserve => items.pop(),
            other => Some(other),
        }
    }
}

#[derive(Debug, Clone)]
enum Source {
    Path(SourcePath),
    Constant(Value),
    Nothing,
}

#[derive(Debug, Clone)]
enum Kind {
    Set {
        source: Source,
        target: TargetPath,
    },
    Remove {
        target: TargetPath,
    },
    Rename {
        from: TargetPath,
        to: TargetPath,
    },
    ValueMapping {
        sources: Vec<SourcePath>,
        table: Vec<(Vec<Value>, Value)>,
        target: TargetPath,
    },
}

#[derive(Debug, Clone)]
struct Mapping {
    ignore: bool,
    scopes: u8,
    condition: Option<Condition>,
    optional: bool,
    default: Option<Value>,
    preserve: bool,
    functions: Vec<Function>,
    kind: Kind,
}

#[derive(Debug, Clone)]
struct EntityMap {
    condition: Option<Condition>,
    mappings: Vec<Mapping>,
}

/// A parsed and validated transformation document.
#[derive(Debug, Clone)]
pub struct Transformation {
    document: Value,
    user: Option<EntityMap>,
    group: Option<EntityMap>,
}

const MAPPING_KEYS: &[&str] = &[
    "sourcePath",
    "sourcePaths",
    "targetPath",
    "constant",
    "defaultValue",
    "optional",
    "ignore",
    "condition",
    "scope",
    "type",
    "valueMappings",
    "preserveArrayWithSingleElement",
    "functions",
];

/// IPS keys Roster knows but does not implement: refused with a clear word, not "unknown".
const UNSUPPORTED_KEYS: &[&str] = &[
    "sourceVariable",
    "targetVariable",
    "correlationAttribute",
    "mapping",
];

/// Collects the problems of one mapping.
struct Problems<'a> {
    entity: &'a str,
    index: Option<usize>,
    errors: &'a mut Vec<DocumentError>,
}

impl Problems<'_> {
    fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(DocumentError {
            entity: self.entity.to_string(),
            index: self.index,
            key: key.into(),
            message: message.into(),
        });
    }

    fn flag(&mut self, obj: &Map<String, Value>, key: &str) -> bool {
        match obj.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.push(key, "expected true or false");
                false
            }
        }
    }

    fn condition(&mut self, obj: &Map<String, Value>) -> Option<Condition> {
        match obj.get("condition")? {
            Value::String(text) => match Condition::parse(text) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.push("condition", e);
                    None
                }
            },
            _ => {
                self.push("condition", "expected a string");
                None
            }
        }
    }

    fn target(&mut self, obj: &Map<String, Value>, key: &str) -> Option<TargetPath> {
        match obj.get(key) {
            None => {
                self.push(key, "missing");
                None
            }
            Some(Value::String(text)) => match TargetPath::parse(text) {
                Ok(t) => Some(t),
                Err(e) => {
                    self.push(key, e);
                    None
                }
            },
            Some(_) => {
                self.push(key, "expected a string");
                None
            }
        }
    }

    fn source(&mut self, key: &str, v: &Value) -> Option<SourcePath> {
        match v {
            Value::String(text) => match SourcePath::parse(text) {
                Ok(p) => Some(p),
                Err(e) => {
                    self.push(key, e);
                    None
                }
            },
            _ => {
                self.push(key, "expected a string");
                None
            }
        }
    }
}

fn parse_scopes(p: &mut Problems<'_>, v: Option<&Value>) -> u8 {
    let one = |s: &str| match s {
        "createEntity" => Some(Scope::Create.bit()),
        "patchEntity" => Some(Scope::Patch.bit()),
        "deleteEntity" => Some(Scope::Delete.bit()),
        _ => None,
    };
    let bad = "expected createEntity, patchEntity or deleteEntity (or a list of them)";
    match v {
        None | Some(Value::Null) => 7,
        Some(Value::String(s)) => one(s).unwrap_or_else(|| {
            p.push("scope", format!("unknown scope {s:?}: {bad}"));
            7
        }),
        Some(Value::Array(items)) => {
            let mut bits = 0;
            for (i, item) in items.iter().enumerate() {
                match item.as_str().and_then(one) {
                    Some(b) => bits |= b,
                    None => p.push(format!("scope[{i}]"), bad),
                }
            }
            bits
        }
        Some(_) => {
            p.push("scope", bad);
            7
        }
    }
}

fn parse_mapping(p: &mut Problems<'_>, v: &Value) -> Option<Mapping> {
    let Some(obj) = v.as_object() else {
        p.push("", "expected an object");
        return None;
    };
    for k in obj.keys() {
        if UNSUPPORTED_KEYS.contains(&k.as_str()) {
            p.push(k.as_str(), "not supported by Roster");
        } else if !MAPPING_KEYS.contains(&k.as_str()) {
            p.push(k.as_str(), "unknown key");
        }
    }
    let before = p.errors.len();
    let ignore = p.flag(obj, "ignore");
    let optional = p.flag(obj, "optional");
    let preserve = p.flag(obj, "preserveArrayWithSingleElement");
    let scopes = parse_scopes(p, obj.get("scope"));
    let condition = p.condition(obj);
    let default = obj.get("defaultValue").cloned();

    let mut functions = Vec::new();
    match obj.get("functions") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, f) in items.iter().enumerate() {
                match Function::parse(f) {
                    Ok(f) => functions.push(f),
                    Err(problems) => {
                        for (key, message) in problems {
                            let key = if key.is_empty() {
                                format!("functions[{i}]")
                            } else {
                                format!("functions[{i}].{key}")
                            };
                            p.push(key, message);
                        }
                    }
                }
            }
        }
        Some(_) => p.push("functions", "expected an array"),
    }

    let type_name = match obj.get("type") {
        None => "set",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => {
            p.push("type", "expected a string");
            "set"
        }
    };
    let kind = match type_name {
        "set" => {
            if obj.contains_key("valueMappings") || obj.contains_key("sourcePaths") {
                p.push(
                    "type",
                    "valueMappings and sourcePaths need \"type\": \"valueMapping\"",
                );
            }
            let source = match (obj.get("sourcePath"), obj.get("constant")) {
                (Some(_), Some(_)) => {
                    p.push("constant", "give either sourcePath or constant, not both");
                    None
                }
                (Some(sp), None) => p.source("sourcePath", sp).map(Source::Path),
                (None, Some(c)) => Some(Source::Constant(c.clone())),
                (None, None) => {
                    if !functions.iter().any(Function::generates) && default.is_none() {
                        p.push(
                            "sourcePath",
                            "missing: give sourcePath, constant, defaultValue or a function that makes a value (randomPassword)",
                        );
                    }
                    Some(Source::Nothing)
                }
            };
            let target = p.target(obj, "targetPath");
            match (source, target) {
                (Some(source), Some(target)) => Some(Kind::Set { source, target }),
                _ => None,
            }
        }
        "remove" => p
            .target(obj, "targetPath")
            .map(|target| Kind::Remove { target }),
        "rename" => {
            let from = p.target(obj, "sourcePath");
            let to = p.target(obj, "targetPath");
            match (from, to) {
                (Some(from), Some(to)) => Some(Kind::Rename { from, to }),
                _ => None,
            }
        }
        "valueMapping" => {
            let mut sources = Vec::new();
            match (obj.get("sourcePaths"), obj.get("sourcePath")) {
                (Some(Value::Array(items)), None) if !items.is_empty() => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(sp) = p.source(&format!("sourcePaths[{i}]"), item) {
                            sources.push(sp);
                        }
                    }
                }
                (None, Some(sp)) => sources.extend(p.source("sourcePath", sp)),
                (Some(_), None) => p.push("sourcePaths", "expected a non-empty array of JSONPaths"),
                (Some(_), Some(_)) => {
                    p.push("sourcePaths", "give sourcePaths or sourcePath, not both")
                }
                (None, None) => p.push("sourcePaths", "missing"),
            }
            let mut table = Vec::new();
            match obj.get("valueMappings") {
                Some(Value::Array(rows)) => {
                    for (i, row) in rows.iter().enumerate() {
                        let key = row.get("key");
                        let mapped = row.get("mappedValue");
                        match (key, mapped) {
                            (Some(k), Some(m)) => {
                                let k = match k {
                                    Value::Array(parts) => parts.clone(),
                                    other => vec![other.clone()],
                                };
                                if k.len()
                                    != obj
                                        .get("sourcePaths")
                                        .and_then(Value::as_array)
                                        .map_or(1, Vec::len)
                                {
                                    p.push(
                                        format!("valueMappings[{i}].key"),
                                        "needs one value per source path",
                                    );
                                }
                                table.push((k, m.clone()));
                            }
                            _ => p.push(
                                format!("valueMappings[{i}]"),
                                "expected {\"key\": [...], \"mappedValue\": ...}",
                            ),
                        }
                    }
                }
                Some(_) => p.push("valueMappings", "expected an array"),
                None => p.push("valueMappings", "missing"),
            }
            let target = p.target(obj, "targetPath");
            target.map(|target| Kind::ValueMapping {
                sources,
                table,
                target,
            })
        }
        other => {
            p.push(
                "type",
                format!("unknown type {other:?}: expected set, remove, rename or valueMapping"),
            );
            None
        }
    };
    if p.errors.len() > before {
        return None;
    }
    Some(Mapping {
        ignore,
        scopes,
        condition,
        optional,
        default,
        preserve,
        functions,
        kind: kind?,
    })
}

fn parse_entity(name: &str, v: &Value, errors: &mut Vec<DocumentError>) -> Option<EntityMap> {
    let mut p = Problems {
        entity: name,
        index: None,
        errors,
    };
    let Some(obj) = v.as_object() else {
        p.push("", "expected an object with \"mappings\"");
        return None;
    };
    for k in obj.keys() {
        if !["mappings", "condition"].contains(&k.as_str()) {
            p.push(k.as_str(), "unknown key");
        }
    }
    let condition = p.condition(obj);
    let mut mappings = Vec::new();
    match obj.get("mappings") {
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let mut mp = Problems {
                    entity: name,
                    index: Some(i),
                    errors: p.errors,
                };
                if let Some(m) = parse_mapping(&mut mp, item) {
                    mappings.push(m);
                }
            }
        }
        Some(_) => p.push("mappings", "expected an array"),
        None => p.push("mappings", "missing"),
    }
    Some(EntityMap {
        condition,
        mappings,
    })
}

impl Transformation {
    /// Parses and checks a document; returns every problem found, not the first.
    pub fn parse(doc: &Value) -> Result<Transformation, Vec<DocumentError>> {
        let mut errors = Vec::new();
        let Some(obj) = doc.as_object() else {
            return Err(vec![DocumentError {
                entity: String::new(),
                index: None,
                key: String::new(),
                message: "a transformation is an object with \"user\" and/or \"group\"".into(),
            }]);
        };
        let mut user = None;
        let mut group = None;
        for (k, v) in obj {
            match k.as_str() {
                "user" => user = parse_entity("user", v, &mut errors),
                "group" => group = parse_entity("group", v, &mut errors),
                other => errors.push(DocumentError {
                    entity: other.to_string(),
                    index: None,
                    key: String::new(),
                    message: "unknown entity: expected user or group".into(),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Transformation {
            document: doc.clone(),
            user,
            group,
        })
    }

    /// The document as given to [`Transformation::parse`].
    pub fn document(&self) -> &Value {
        &self.document
    }

    fn entity(&self, entity: Entity) -> Option<&EntityMap> {
        match entity {
            Entity::User => self.user.as_ref(),
            Entity::Group => self.group.as_ref(),
        }
    }

    /// Whether the document maps that entity at all.
    pub fn has_entity(&self, entity: Entity) -> bool {
        self.entity(entity).is_some()
    }

    /// Whether the entity-level `condition` (if any) selects this source; an entity the
    /// document does not map is not selected.
    pub fn selects(&self, entity: Entity, source: &Value) -> bool {
        match self.entity(entity) {
            None => false,
            Some(e) => e.condition.as_ref().is_none_or(|c| c.eval(source, None)),
        }
    }

    /// Builds the target document for `source`. The entity-level condition is not checked
    /// here (see [`Transformation::selects`] and [`Transformation::apply_selected`]); an entity
    /// the document does not map gives an empty object.
    pub fn apply(
        &self,
        entity: Entity,
        scope: Scope,
        source: &Value,
        rng: &mut dyn RngCore,
    ) -> Result<Value, ApplyError> {
        let mut target = Value::Object(Map::new());
        let Some(map) = self.entity(entity) else {
            return Ok(target);
        };
        for (index, m) in map.mappings.iter().enumerate() {
            apply_mapping(m, scope, source, &mut target, rng).map_err(|(key, message)| {
                ApplyError {
                    entity: entity.key().to_string(),
                    index,
                    key,
                    message,
                }
            })?;
        }
        Ok(target)
    }

    /// [`Transformation::apply`] when [`Transformation::selects`] the source, else `None`.
    pub fn apply_selected(
        &self,
        entity: Entity,
        scope: Scope,
        source: &Value,
        rng: &mut dyn RngCore,
    ) -> Result<Option<Value>, ApplyError> {
        if !self.selects(entity, source) {
            return Ok(None);
        }
        self.apply(entity, scope, source, rng).map(Some)
    }
}

fn missing(m: &Mapping, what: &str, key: &str) -> Result<Option<Value>, (String, String)> {
    if let Some(d) = &m.default {
        return Ok(Some(d.clone()));
    }
    if m.optional {
        return Ok(None);
    }
    Err((
        key.to_string(),
        format!("{what} (mark the mapping optional or give it a defaultValue)"),
    ))
}

fn apply_mapping(
    m: &Mapping,
    scope: Scope,
    source: &Value,
    target: &mut Value,
    rng: &mut dyn RngCore,
) -> Result<(), (String, String)> {
    if m.ignore || m.scopes & scope.bit() == 0 {
        return Ok(());
    }
    if let Some(c) = &m.condition {
        if !c.eval(source, None) {
            return Ok(());
        }
    }
    match &m.kind {
        Kind::Remove { target: t } => {
            t.remove(target);
            Ok(())
        }
        Kind::Rename { from, to } => {
            let Some(v) = from.remove(target) else {
                return match missing(
                    m,
                    &format!("nothing at {} to rename", from.text),
                    "sourcePath",
                )? {
                    Some(d) => to
                        .write(target, d)
                        .map_err(|e| ("targetPath".to_string(), e)),
                    None => Ok(()),
                };
            };
            to.write(target, v)
                .map_err(|e| ("targetPath".to_string(), e))
        }
        Kind::ValueMapping {
            sources,
            table,
            target: t,
        } => {
            let mut keys = Vec::with_capacity(sources.len());
            for sp in sources {
                match sp.read(source, m.preserve) {
                    Some(v) => keys.push(v),
                    None => {
                        return match missing(m, &format!("no value at {}", sp.text), "sourcePaths")?
                        {
                            Some(d) => t
                                .write(target, d)
                                .map_err(|e| ("targetPath".to_string(), e)),
                            None => Ok(()),
                        };
                    }
                }
            }
            let found = table.iter().find(|(k, _)| {
                k.len() == keys.len() && k.iter().zip(&keys).all(|(a, b)| values_equal(a, b))
            });
            let value = match found {
                Some((_, mapped)) => Some(mapped.clone()),
                None => m.default.clone(),
            };
            match value {
                Some(v) => t
                    .write(target, v)
                    .map_err(|e| ("targetPath".to_string(), e)),
                None => Ok(()),
            }
        }
        Kind::Set {
            source: src,
            target: t,
        } => {
            let (mut value, what) = match src {
                Source::Constant(c) => (Some(c.clone()), String::new()),
                Source::Path(sp) => (
                    sp.read(source, m.preserve),
                    format!("no value at {}", sp.text),
                ),
                Source::Nothing => (None, "no value".to_string()),
            };
            let mut env = Env { source, rng };
            for (i, f) in m.functions.iter().enumerate() {
                value = f
                    .apply(value, &mut env)
                    .map_err(|e| (format!("functions[{i}]"), format!("{}: {e}", f.name)))?;
            }
            let value = match value {
                Some(v) => Some(v),
                None => {
                    let what = if m.functions.is_empty() || what.is_empty() {
                        what
                    } else {
                        format!("{what} after the functions")
                    };
                    let key = if matches!(src, Source::Path(_)) {
                        "sourcePath"
                    } else {
                        "functions"
                    };
                    missing(m, &what, key)?
                }
            };
            match value {
                Some(v) => t
                    .write(target, v)
                    .map_err(|e| ("targetPath".to_string(), e)),
                None => Ok(()),
            }
        }
    }
}
