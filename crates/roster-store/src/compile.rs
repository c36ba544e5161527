//! The filter compiler: the only place where a [`roster_filter::Filter`] becomes SQL.
//!
//! Every value is bound as a parameter; attribute names become SQL only through the fixed
//! mappings below, and JSON attribute names (checked to be plain names) are bound as JSON
//! path parameters too. So no part of a filter's text ever reaches the SQL text.
//!
//! Semantics, the same on both dialects, and those of the in-memory evaluator
//! ([`roster_filter::eval`]) except where noted:
//! - attribute names of mapped columns match case-insensitively; names inside JSON documents
//!   (custom `profile.x`, event attributes) must be written as stored (**differs**: the
//!   evaluator also accepts other case). A schema URN prefix is ignored.
//! - a path reaches every value it can: arrays are opened at every step, so `target.id`
//!   compares the id of every target, and a comparison is true when any value matches.
//! - string comparisons are case-insensitive. Mapped profile columns (`login`, `email`,
//!   `firstName`, `lastName`, group `name`/`description`) hold Unicode-lowercased copies and
//!   compare with the Unicode-lowercased value; strings inside JSON fold ASCII letters only
//!   (SQLite's `lower()`; PostgreSQL's `lower()` under the "C" collation) (**differs** for
//!   non-ASCII letters). Ids and uuids compare exactly for `eq`/`ne`/`gt`/... (**differs**:
//!   the evaluator ignores case) and ASCII-case-insensitively for `sw`/`ew`/`co`. Strings
//!   order by code point (byte order: PostgreSQL columns use the "C" collation).
//! - enumerations (`status`, `type`, `severity`, `outcome.result`, `credentials.provider.type`)
//!   are stored upper-case and compared with the upper-cased value.
//! - timestamps are normalised to Roster's fixed-width form before comparing, so
//!   `lastUpdated gt "2026-01-01T00:00:00Z"` means what it says (the evaluator compares text).
//! - strings compare with strings, numbers with numbers, booleans with booleans (`eq`/`ne`);
//!   another pairing inside JSON is false. On a mapped text column it is an
//!   [`StoreError::InvalidFilter`], as are ordering or substring operators with `null` or
//!   booleans (the evaluator just says false).
//! - `pr`: some value is not null, not `""`, not `[]` and not `{}`. `eq null` is `not pr`.
//! - `a ne v` is exactly `not (a eq v)`: true when `a` is missing, and on a multi-valued
//!   attribute true when no value equals `v` (`target.id ne "x"`: no target has id `x`).
//! - a value-path filter `attr[...]` is true when some element of `attr` matches the inner
//!   filter, whose paths are relative to the element.

use roster_core::Timestamp;
use roster_filter::{AttrPath, CompareOp, Filter, Value};

use crate::error::StoreError;
use crate::sql::{Dialect, Sql, SqlParam};

/// Deepest nesting of `and`/`or`/`not`/`[...]` the compiler accepts.
const MAX_DEPTH: usize = 64;
/// Most bind parameters one compiled filter may need (well under both dialects' limits).
const MAX_PARAMS: usize = 4_000;
/// Longest JSON attribute name accepted.
const MAX_NAME_LEN: usize = 128;

/// What a filter selects from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entity {
    Users,
    Groups,
    Events,
}

impl Entity {
    /// The attributes a filter on this entity may name, for error messages.
    pub fn supported_attributes(self) -> &'static str {
        match self {
            Entity::Users => {
                "id, status, created, activated, statusChanged, lastUpdated, lastLogin, passwordChanged, \
                 credentials.provider.type, profile.login, profile.email, profile.firstName, profile.lastName, \
                 profile.<attribute>"
            }
            Entity::Groups => "id, type, name (profile.name), description (profile.description), created, lastUpdated, lastMembershipUpdated",
            Entity::Events => {
                "uuid, published, eventType, severity, outcome.result, actor.id, target.<attribute>, \
                 and any other attribute of the event such as debugContext.debugData.<key> or actor.alternateId"
            }
        }
    }
}

/// A compiled filter: a boolean SQL expression and the values bound to its placeholders
/// (`?` in SQLite, `$1`... in PostgreSQL).
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledFilter {
    pub sql: String,
    pub params: Vec<SqlParam>,
}

/// Compile `filter` on `entity` for `dialect`.
pub fn compile(
    filter: &Filter,
    entity: Entity,
    dialect: Dialect,
) -> Result<CompiledFilter, StoreError> {
    let mut sql = Sql::new(dialect);
    compile_into(&mut sql, filter, entity)?;
    Ok(CompiledFilter {
        sql: sql.text,
        params: sql.params,
    })
}

/// Append the compiled `filter` to a statement under construction.
pub(crate) fn compile_into(
    sql: &mut Sql,
    filter: &Filter,
    entity: Entity,
) -> Result<(), StoreError> {
    let first_param = sql.params.len();
    let mut compiler = Compiler {
        sql,
        entity,
        aliases: 0,
    };
    compiler.filter(filter, Scope::Entity, 0)?;
    if compiler.sql.params.len() - first_param > MAX_PARAMS {
        return Err(StoreError::invalid_filter(
            "filter",
            "the filter is too long; split it into several requests",
        ));
    }
    Ok(())
}

/// How a column's values are normalised before comparing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// Compared exactly (ids).
    Exact,
    /// Stored upper-case (enumerations).
    Upper,
    /// Stored Unicode-lowercased (`*_lower` columns).
    Lower,
    /// Roster's fixed-width timestamp text.
    Timestamp,
}

#[derive(Debug, Clone)]
enum Operand {
    Column {
        expr: &'static str,
        fold: Fold,
        nullable: bool,
    },
    /// The values reached by `path` inside the JSON document `doc` (a SQL expression holding
    /// JSON text in SQLite, jsonb in PostgreSQL), arrays opened at every step.
    Json { doc: String, path: Vec<String> },
}

#[derive(Debug, Clone, Copy)]
enum Scope<'a> {
    Entity,
    /// Inside `attr[...]`: paths are relative to the array element `doc`.
    Element(&'a str),
}

struct Compiler<'s> {
    sql: &'s mut Sql,
    entity: Entity,
    aliases: usize,
}

fn column(expr: &'static str, fold: Fold, nullable: bool) -> Option<Operand> {
    Some(Operand::Column {
        expr,
        fold,
        nullable,
    })
}

fn user_column(name: &str) -> Option<Operand> {
    match name {
        "id" => column("users.id", Fold::Exact, false),
        "status" => column("users.status", Fold::Upper, false),
        "created" => column("users.created", Fold::Timestamp, false),
        "activated" => column("users.activated", Fold::Timestamp, true),
        "statuschanged" => column("users.status_changed", Fold::Timestamp, true),
        "lastupdated" => column("users.last_updated", Fold::Timestamp, false),
        "lastlogin" => column("users.last_login", Fold::Timestamp, true),
        "passwordchanged" => column("users.password_changed", Fold::Timestamp, true),
        "credentials.provider.type" => column("users.provider_type", Fold::Upper, false),
        "profile.login" => column("users.login_lower", Fold::Lower, false),
        "profile.email" => column("users.email_lower", Fold::Lower, true),
        "profile.firstname" => column("users.first_name_lower", Fold::Lower, true),
        "profile.lastname" => column("users.last_name_lower", Fold::Lower, true),
        _ => None,
    }
}

fn group_column(name: &str) -> Option<Operand> {
    match name {
        "id" => column("groups.id", Fold::Exact, false),
        "type" => column("groups.kind", Fold::Upper, false),
        "name" | "profile.name" => column("groups.name_lower", Fold::Lower, false),
        "description" | "profile.description" => {
            column("groups.description_lower", Fold::Lower, true)
        }
        "created" => column("groups.created", Fold::Timestamp, false),
        "lastupdated" => column("groups.last_updated", Fold::Timestamp, false),
        "lastmembershipupdated" => column("groups.last_membership_updated", Fold::Timestamp, false),
        _ => None,
    }
}

fn event_column(name: &str) -> Option<Operand> {
    match name {
        "uuid" => column("log_events.uuid", Fold::Exact, false),
        "published" => column("log_events.published", Fold::Timestamp, false),
        "eventtype" => column("log_events.event_type", Fold::Lower, false),
        "severity" => column("log_events.severity", Fold::Upper, false),
        "outcome.result" => column("log_events.outcome_result", Fold::Upper, false),
        "actor.id" => column("log_events.actor_id", Fold::Exact, false),
        _ => None,
    }
}

/// Whether `name` may be used as a JSON object key in a path.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn like_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn comparison(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Sw | CompareOp::Ew | CompareOp::Co => "LIKE",
    }
}

/// The LIKE pattern for `sw`/`ew`/`co`.
fn like_pattern(op: CompareOp, value: &str) -> String {
    let escaped = like_escape(value);
    match op {
        CompareOp::Sw => format!("{escaped}%"),
        CompareOp::Ew => format!("%{escaped}"),
        _ => format!("%{escaped}%"),
    }
}

fn is_substring_op(op: CompareOp) -> bool {
    matches!(op, CompareOp::Sw | CompareOp::Ew | CompareOp::Co)
}

/// SQLite JSON path of one object key: `$."key"`.
fn sqlite_key_path(key: &str) -> String {
    format!("$.\"{key}\"")
}

/// PostgreSQL jsonpath reaching every value at `path`, arrays opened (lax mode).
fn postgres_json_path(path: &[String]) -> String {
    let mut out = String::from("$");
    for segment in path {
        out.push_str(".\"");
        out.push_str(segment);
        out.push('"');
    }
    out.push_str("[*]");
    out
}

/// One value reached by a JSON path, as a row of the `EXISTS` subquery.
struct JsonValue {
    alias: String,
}

impl Compiler<'_> {
    fn dialect(&self) -> Dialect {
        self.sql.dialect
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push(text);
        self
    }

    fn bind(&mut self, value: impl Into<SqlParam>) -> &mut Self {
        self.sql.bind(value);
        self
    }

    fn next_alias(&mut self) -> String {
        self.aliases += 1;
        format!("je{}", self.aliases)
    }

    fn filter(
        &mut self,
        filter: &Filter,
        scope: Scope<'_>,
        depth: usize,
    ) -> Result<(), StoreError> {
        if depth > MAX_DEPTH {
            return Err(StoreError::invalid_filter(
                "filter",
                format!("the filter is nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        match filter {
            Filter::Compare {
                path, op, value, ..
            } => {
                let operand = self.resolve(path, scope)?;
                self.compare(&operand, *op, value, &path.dotted())
            }
            Filter::Present { path, .. } => {
                let operand = self.resolve(path, scope)?;
                self.present(&operand);
                Ok(())
            }
            Filter::And(a, b) => {
                self.push("(");
                self.filter(a, scope, depth + 1)?;
                self.push(" AND ");
                self.filter(b, scope, depth + 1)?;
                self.push(")");
                Ok(())
            }
            Filter::Or(a, b) => {
                self.push("(");
                self.filter(a, scope, depth + 1)?;
                self.push(" OR ");
                self.filter(b, scope, depth + 1)?;
                self.push(")");
                Ok(())
            }
            Filter::Not(inner, _) => {
                // SQL's NULL would make NOT(unknown) unknown; a missing attribute is simply false.
                self.push("NOT COALESCE(");
                self.filter(inner, scope, depth + 1)?;
                self.push(", FALSE)");
                Ok(())
            }
            Filter::ValuePath { path, filter, .. } => {
                let Operand::Json {
                    doc,
                    path: json_path,
                } = self.resolve(path, scope)?
                else {
                    return Err(StoreError::invalid_filter(
                        path.dotted(),
                        "is not a multi-valued attribute; [...] filters apply to JSON arrays such as target",
                    ));
                };
                let value = self.open_values(&doc, &json_path);
                let element = self.value_as_json(&value);
                self.filter(filter, Scope::Element(&element), depth + 1)?;
                self.push(")");
                Ok(())
            }
        }
    }

    fn resolve(&self, path: &AttrPath, scope: Scope<'_>) -> Result<Operand, StoreError> {
        // Like the in-memory evaluator, a schema URN with no member of its own is ignored:
        // Roster's documents have no URN-named members.
        let dotted = path.dotted();
        let check_names = |segments: &[String]| -> Result<Vec<String>, StoreError> {
            match segments.iter().find(|s| !plain_name(s)) {
                Some(bad) => Err(StoreError::invalid_filter(
                    dotted.clone(),
                    format!("'{bad}' is not a plain attribute name (letters, digits, '_' and '-')"),
                )),
                None => Ok(segments.to_vec()),
            }
        };
        if let Scope::Element(doc) = scope {
            return Ok(Operand::Json {
                doc: doc.to_string(),
                path: check_names(&path.segments)?,
            });
        }
        let lower = dotted.to_ascii_lowercase();
        let mapped = match self.entity {
            Entity::Users => user_column(&lower),
            Entity::Groups => group_column(&lower),
            Entity::Events => event_column(&lower),
        };
        if let Some(operand) = mapped {
            return Ok(operand);
        }
        let first = path.segments.first().map(|s| s.to_ascii_lowercase());
        match (self.entity, first.as_deref()) {
            (Entity::Users, Some("profile")) if path.segments.len() > 1 => Ok(Operand::Json {
                doc: "users.profile".into(),
                path: check_names(&path.segments[1..])?,
            }),
            (Entity::Events, Some(_)) => Ok(Operand::Json {
                doc: "log_events.body".into(),
                path: check_names(&path.segments)?,
            }),
            _ => Err(StoreError::invalid_filter(
                dotted,
                format!(
                    "unknown attribute; supported attributes are {}",
                    self.entity.supported_attributes()
                ),
            )),
        }
    }

    // ---- JSON values --------------------------------------------------------------------

    /// Open `EXISTS (SELECT 1 FROM <every value at path in doc> WHERE ` and return the row that
    /// stands for one value. Arrays are opened at every step, as the in-memory evaluator does:
    /// `target.id` reaches the id of every target. The caller writes a condition on the value
    /// and the closing `)`.
    fn open_values(&mut self, doc: &str, path: &[String]) -> JsonValue {
        match self.dialect() {
            Dialect::Sqlite => {
                // One json_each per step; a non-array value is wrapped in a one-element array.
                self.push("EXISTS (SELECT 1 FROM ");
                let mut current = doc.to_string();
                let mut alias = String::new();
                for (i, segment) in path.iter().enumerate() {
                    alias = self.next_alias();
                    if i > 0 {
                        self.push(", ");
                    }
                    let key = sqlite_key_path(segment);
                    self.push("json_each(CASE WHEN json_type(")
                        .push(&current)
                        .push(", ");
                    self.bind(key.as_str());
                    self.push(") = 'array' THEN ").push(&current).push(" -> ");
                    self.bind(key.as_str());
                    self.push(" ELSE json_array(").push(&current).push(" -> ");
                    self.bind(key);
                    self.push(") END) AS ").push(&alias);
                    current = self.value_as_json(&JsonValue {
                        alias: alias.clone(),
                    });
                }
                self.push(" WHERE ");
                JsonValue { alias }
            }
            Dialect::Postgres => {
                let alias = self.next_alias();
                self.push("EXISTS (SELECT 1 FROM jsonb_path_query(")
                    .push(doc)
                    .push(", CAST(");
                self.bind(postgres_json_path(path));
                self.push(" AS jsonpath)) AS ")
                    .push(&alias)
                    .push("(value) WHERE ");
                JsonValue { alias }
            }
        }
    }

    /// A value as a JSON document, for paths relative to it.
    fn value_as_json(&self, value: &JsonValue) -> String {
        let a = &value.alias;
        match self.dialect() {
            // json_each gives SQL values: turn them back into JSON text.
            Dialect::Sqlite => format!(
                "(CASE {a}.type WHEN 'object' THEN {a}.value WHEN 'array' THEN {a}.value \
                 WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE json_quote({a}.value) END)"
            ),
            Dialect::Postgres => format!("{a}.value"),
        }
    }

    /// The value's JSON type (`text`/`string`, `integer`/`real`/`number`, ...).
    fn value_type(&self, value: &JsonValue) -> String {
        match self.dialect() {
            Dialect::Sqlite => format!("{}.type", value.alias),
            Dialect::Postgres => format!("jsonb_typeof({}.value)", value.alias),
        }
    }

    /// The value as SQL text (strings unquoted).
    fn value_text(&self, value: &JsonValue) -> String {
        match self.dialect() {
            Dialect::Sqlite => format!("{}.value", value.alias),
            Dialect::Postgres => format!("({}.value #>> '{{}}')", value.alias),
        }
    }

    fn string_type_name(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "'text'",
            Dialect::Postgres => "'string'",
        }
    }

    // ---- leaves -----------------------------------------------------------------------

    fn compare(
        &mut self,
        operand: &Operand,
        op: CompareOp,
        value: &Value,
        name: &str,
    ) -> Result<(), StoreError> {
        match operand {
            Operand::Column {
                expr,
                fold,
                nullable,
            } => self.compare_column(expr, *fold, *nullable, op, value, name),
            Operand::Json { doc, path } => {
                match (op, value) {
                    // `eq null` is "has no value"; `ne` is the negation of `eq`.
                    (CompareOp::Eq, Value::Null) => {
                        self.push("NOT ");
                        self.present_json(doc, path);
                        return Ok(());
                    }
                    (CompareOp::Ne, Value::Null) => {
                        self.present_json(doc, path);
                        return Ok(());
                    }
                    (_, Value::Null) => {
                        return Err(StoreError::invalid_filter(
                            name,
                            format!("{} cannot compare with null; use eq, ne or pr", op.as_str()),
                        ))
                    }
                    (
                        CompareOp::Sw | CompareOp::Ew | CompareOp::Co,
                        Value::Number(_) | Value::Bool(_),
                    ) => {
                        return Err(StoreError::invalid_filter(
                            name,
                            format!("{} needs a string value", op.as_str()),
                        ))
                    }
                    (CompareOp::Eq | CompareOp::Ne, Value::Bool(_)) => {}
                    (_, Value::Bool(_)) => {
                        return Err(StoreError::invalid_filter(
                            name,
                            format!(
                                "{} cannot compare with true or false; use eq or ne",
                                op.as_str()
                            ),
                        ))
                    }
                    _ => {}
                }
                let positive = if op == CompareOp::Ne {
                    self.push("NOT ");
                    CompareOp::Eq
                } else {
                    op
                };
                let json_value = self.open_values(doc, path);
                self.value_condition(&json_value, positive, value);
                self.push(")");
                Ok(())
            }
        }
    }

    fn compare_column(
        &mut self,
        expr: &str,
        fold: Fold,
        nullable: bool,
        op: CompareOp,
        value: &Value,
        name: &str,
    ) -> Result<(), StoreError> {
        let text = match value {
            Value::Null => {
                match op {
                    // `eq null` is "has no value", as for `pr`.
                    CompareOp::Eq => self
                        .push("(")
                        .push(expr)
                        .push(" IS NULL OR ")
                        .push(expr)
                        .push(" = '')"),
                    CompareOp::Ne => self
                        .push("(")
                        .push(expr)
                        .push(" IS NOT NULL AND ")
                        .push(expr)
                        .push(" <> '')"),
                    _ => {
                        return Err(StoreError::invalid_filter(
                            name,
                            format!("{} cannot compare with null; use eq, ne or pr", op.as_str()),
                        ))
                    }
                };
                return Ok(());
            }
            Value::String(s) => s,
            Value::Number(_) | Value::Bool(_) => {
                return Err(StoreError::invalid_filter(
                    name,
                    "is a text attribute; compare it with a quoted string",
                ));
            }
        };
        if is_substring_op(op) {
            let (target, pattern_value) = match fold {
                // Ids: substring matches fold ASCII case, identically on both dialects.
                Fold::Exact => (format!("lower({expr})"), text.to_ascii_lowercase()),
                Fold::Upper | Fold::Timestamp => (expr.to_string(), text.to_uppercase()),
                Fold::Lower => (expr.to_string(), text.to_lowercase()),
            };
            if op == CompareOp::Sw && fold != Fold::Exact {
                // A range keeps the prefix search on the column's index.
                let upper = format!("{pattern_value}\u{10FFFF}");
                self.push("(").push(&target).push(" >= ");
                self.bind(pattern_value);
                self.push(" AND ").push(&target).push(" < ");
                self.bind(upper);
                self.push(")");
            } else {
                self.push(&target).push(" LIKE ");
                self.bind(like_pattern(op, &pattern_value));
                self.push(" ESCAPE '\\'");
            }
            return Ok(());
        }
        let normalised = match fold {
            Fold::Exact => text.clone(),
            Fold::Upper => text.to_uppercase(),
            Fold::Lower => text.to_lowercase(),
            Fold::Timestamp => match Timestamp::parse(text) {
                Some(ts) => ts.to_string(),
                None => {
                    return Err(StoreError::invalid_filter(
                        name,
                        format!(
                            "'{text}' is not a timestamp; write it like 2026-01-31T12:00:00.000Z"
                        ),
                    ))
                }
            },
        };
        if op == CompareOp::Ne && nullable {
            self.push("(")
                .push(expr)
                .push(" IS NULL OR ")
                .push(expr)
                .push(" <> ");
            self.bind(normalised);
            self.push(")");
        } else {
            self.push(expr).push(" ").push(comparison(op)).push(" ");
            self.bind(normalised);
        }
        Ok(())
    }

    /// A positive comparison (never `ne`, never null) of one JSON value: false when the value
    /// is of another JSON type.
    fn value_condition(&mut self, json_value: &JsonValue, op: CompareOp, value: &Value) {
        let ty = self.value_type(json_value);
        let text = self.value_text(json_value);
        match value {
            Value::String(s) => {
                let folded = s.to_ascii_lowercase();
                let type_name = self.string_type_name();
                let folded_text = match self.dialect() {
                    Dialect::Sqlite => format!("lower({text})"),
                    Dialect::Postgres => format!("lower({text} COLLATE \"C\")"),
                };
                self.push("(")
                    .push(&ty)
                    .push(" = ")
                    .push(type_name)
                    .push(" AND ");
                self.push(&folded_text)
                    .push(" ")
                    .push(comparison(op))
                    .push(" ");
                if is_substring_op(op) {
                    self.bind(like_pattern(op, &folded));
                    self.push(" ESCAPE '\\'");
                } else {
                    self.bind(folded);
                }
                self.push(")");
            }
            Value::Number(n) => match self.dialect() {
                Dialect::Sqlite => {
                    self.push("(")
                        .push(&ty)
                        .push(" IN ('integer', 'real') AND ");
                    self.push(&text).push(" ").push(comparison(op)).push(" ");
                    match (n.as_i64(), n.as_f64()) {
                        (Some(i), _) => self.bind(i),
                        (None, Some(f)) => self.bind(SqlParam::Float(f)),
                        (None, None) => self.bind(n.to_string()),
                    };
                    self.push(")");
                }
                Dialect::Postgres => {
                    // CASE guarantees the cast only sees numbers.
                    self.push("(CASE WHEN ").push(&ty).push(" = 'number' THEN ");
                    self.push(&text)
                        .push("::numeric ")
                        .push(comparison(op))
                        .push(" CAST(");
                    self.bind(n.to_string());
                    self.push(" AS numeric) ELSE FALSE END)");
                }
            },
            Value::Bool(b) => {
                let literal = if *b { "true" } else { "false" };
                match self.dialect() {
                    Dialect::Sqlite => {
                        self.push(&ty).push(" = ");
                        self.bind(literal);
                    }
                    Dialect::Postgres => {
                        self.push("(").push(&ty).push(" = 'boolean' AND ");
                        self.push(&text).push(" = ");
                        self.bind(literal);
                        self.push(")");
                    }
                }
            }
            Value::Null => {
                self.push("FALSE");
            }
        }
    }

    fn present(&mut self, operand: &Operand) {
        match operand {
            Operand::Column { expr, .. } => {
                self.push("(")
                    .push(expr)
                    .push(" IS NOT NULL AND ")
                    .push(expr)
                    .push(" <> '')");
            }
            Operand::Json { doc, path } => self.present_json(doc, path),
        }
    }

    /// Some value at `path` has a value: not null, not `""`, not `[]`, not `{}`.
    fn present_json(&mut self, doc: &str, path: &[String]) {
        let json_value = self.open_values(doc, path);
        let ty = self.value_type(&json_value);
        let text = self.value_text(&json_value);
        let type_name = self.string_type_name();
        self.push("(")
            .push(&ty)
            .push(" <> 'null' AND NOT (")
            .push(&ty);
        self.push(" = ")
            .push(type_name)
            .push(" AND ")
            .push(&text)
            .push(" = '')");
        self.push(" AND NOT (")
            .push(&ty)
            .push(" IN ('array', 'object') AND ");
        self.push(&text).push(" IN ('[]', '{}')))");
        self.push(")");
    }
}

#[cfg(test)]
mod tests {
    use roster_filter::Span;

    use super::*;

    fn path(dotted: &str) -> AttrPath {
        AttrPath {
            schema: None,
            segments: dotted.split('.').map(String::from).collect(),
            span: Span::default(),
        }
    }

    fn cmp(dotted: &str, op: CompareOp, value: &str) -> Filter {
        Filter::Compare {
            path: path(dotted),
            op,
            value: Value::String(value.into()),
            span: Span::default(),
        }
    }

    #[test]
    fn mapped_columns_bind_normalised_values() {
        let f = Filter::And(
            Box::new(cmp("status", CompareOp::Eq, "active")),
            Box::new(cmp("profile.login", CompareOp::Sw, "Ann")),
        );
        let c = compile(&f, Entity::Users, Dialect::Postgres).unwrap();
        assert_eq!(
            c.sql,
            "(users.status = $1 AND (users.login_lower >= $2 AND users.login_lower < $3))"
        );
        assert_eq!(c.params[0], SqlParam::Text("ACTIVE".into()));
        assert_eq!(c.params[1], SqlParam::Text("ann".into()));
    }

    #[test]
    fn json_attributes_bind_their_path() {
        let f = cmp("profile.department", CompareOp::Co, "50%_off");
        let c = compile(&f, Entity::Users, Dialect::Sqlite).unwrap();
        assert!(
            c.sql.starts_with("EXISTS (SELECT 1 FROM json_each("),
            "{}",
            c.sql
        );
        assert!(c.sql.ends_with("LIKE ? ESCAPE '\\'))"), "{}", c.sql);
        assert_eq!(c.params[0], SqlParam::Text("$.\"department\"".into()));
        assert_eq!(c.params[3], SqlParam::Text("%50\\%\\_off%".into()));
        let c = compile(&f, Entity::Users, Dialect::Postgres).unwrap();
        assert_eq!(
            c.sql,
            "EXISTS (SELECT 1 FROM jsonb_path_query(users.profile, CAST($1 AS jsonpath)) AS je1(value) \
             WHERE (jsonb_typeof(je1.value) = 'string' AND lower((je1.value #>> '{}') COLLATE \"C\") LIKE $2 ESCAPE '\\'))"
        );
        assert_eq!(c.params[0], SqlParam::Text("$.\"department\"[*]".into()));
    }

    #[test]
    fn hostile_attribute_names_are_refused() {
        let f = cmp("profile.a\"b", CompareOp::Eq, "x");
        let err = compile(&f, Entity::Users, Dialect::Sqlite).unwrap_err();
        assert_eq!(err.code(), "invalid_filter");
    }

    #[test]
    fn unknown_attributes_name_the_supported_ones() {
        let err = compile(
            &cmp("nickname", CompareOp::Eq, "x"),
            Entity::Users,
            Dialect::Sqlite,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("nickname"), "{msg}");
        assert!(msg.contains("profile.login"), "{msg}");
    }

    #[test]
    fn timestamps_are_normalised_and_checked() {
        let c = compile(
            &cmp("lastUpdated", CompareOp::Gt, "2026-01-01T00:00:00Z"),
            Entity::Users,
            Dialect::Sqlite,
        )
        .unwrap();
        assert_eq!(
            c.params,
            vec![SqlParam::Text("2026-01-01T00:00:00.000Z".into())]
        );
        assert!(compile(
            &cmp("lastUpdated", CompareOp::Gt, "yesterday"),
            Entity::Users,
            Dialect::Sqlite
        )
        .is_err());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut f = cmp("id", CompareOp::Eq, "x");
        for _ in 0..100 {
            f = Filter::Not(Box::new(f), Span::default());
        }
        assert!(compile(&f, Entity::Users, Dialect::Sqlite).is_err());
    }
}
