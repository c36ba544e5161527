//! Mapping functions: parsed (and checked) from the `functions` array of a mapping, applied
//! in order to the mapping's value.
//!
//! String functions take strings, numbers and booleans (as their text) and apply to each
//! element of an array. Every function takes the common IPS arguments `condition` (evaluated
//! with `@` as the element), `applyOnElements`, `applyOnAttribute` (work on that key of each
//! object) and `assignToAttribute` (write the result to that key instead).

use rand::RngCore;
use regex::Regex;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use crate::codes;
use crate::condition::{is_singular, values_equal, Condition};
use crate::password::{PasswordSpec, DEFAULT_SPECIAL_SYMBOLS};

#[derive(Debug, Clone)]
pub(crate) struct Function {
    pub(crate) name: &'static str,
    kind: Kind,
    condition: Option<Condition>,
    apply_on_elements: bool,
    apply_on_attribute: Option<String>,
    assign_to_attribute: Option<String>,
}

#[derive(Debug, Clone)]
enum Kind {
    Concat {
        prefix: String,
        suffix: String,
    },
    Upper,
    Lower,
    Replace {
        target: String,
        replacement: String,
    },
    ReplaceFirst {
        regex: Box<Regex>,
        replacement: String,
    },
    ReplaceLast {
        regex: Box<Regex>,
        replacement: String,
    },
    ReplaceAll {
        regex: Box<Regex>,
        replacement: String,
    },
    Substring {
        begin: usize,
        end: Option<usize>,
    },
    Split {
        separator: String,
    },
    ElementAt {
        index: usize,
    },
    MatchRegex {
        regex: Box<Regex>,
    },
    GroupOf {
        regex: Box<Regex>,
        group: usize,
    },
    RandomPassword(PasswordSpec),
    Locale {
        bcp47: bool,
    },
    Timezone {
        iana: bool,
    },
    CompositeId {
        separator: String,
        sub_id: SubId,
    },
    PutIfAbsent {
        key: String,
        default: Value,
    },
    PutIfPresent {
        key: String,
        default: Value,
    },
    ToString,
}

#[derive(Debug, Clone)]
enum SubId {
    Literal(String),
    Path(Box<JsonPath>),
}

/// The known function names (for validation messages and the fuzzer).
pub const FUNCTION_NAMES: &[&str] = &[
    "concatString",
    "toUpperCaseString",
    "toLowerCaseString",
    "replaceString",
    "replaceFirstString",
    "replaceLastString",
    "replaceAllString",
    "substring",
    "splitStringToArray",
    "elementAt",
    "matchRegex",
    "getMatchedRegexGroup",
    "randomPassword",
    "convertLocaleCode",
    "convertTimezoneCode",
    "compositeId",
    "putIfAbsent",
    "putIfPresent",
    "toString",
];

const COMMON: &[&str] = &[
    "type",
    "function",
    "condition",
    "applyOnElements",
    "applyOnAttribute",
    "assignToAttribute",
];

/// What applying a function needs besides its input.
pub(crate) struct Env<'a> {
    pub(crate) source: &'a Value,
    pub(crate) rng: &'a mut dyn RngCore,
}

/// Reads the arguments of one function object; collects `(key, message)` problems.
struct Args<'a> {
    obj: &'a Map<String, Value>,
    problems: Vec<(String, String)>,
}

impl<'a> Args<'a> {
    fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push((key.to_string(), message.into()));
    }

    /// A string argument; numbers and booleans count as their text (IPS allows `"suffix": 123`).
    fn text(&mut self, key: &str, required: bool) -> Option<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.problem(key, "missing required argument");
                }
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
            Some(_) => {
                self.problem(key, "expected a string");
                None
            }
        }
    }

    fn index(&mut self, key: &str, required: bool) -> Option<usize> {
        match self.obj.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.problem(key, "missing required argument");
                }
                None
            }
            Some(v) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
                Some(n) => Some(n),
                None => {
                    self.problem(key, "expected a non-negative integer");
                    None
                }
            },
        }
    }

    fn regex(&mut self, key: &str, anchored: bool) -> Option<Regex> {
        let pattern = self.text(key, true)?;
        let full = if anchored {
            format!("^(?:{pattern})$")
        } else {
            pattern.clone()
        };
        match Regex::new(&full) {
            Ok(r) => Some(r),
            Err(e) => {
                self.problem(key, format!("bad regex {pattern:?}: {}", regex_error(&e)));
                None
            }
        }
    }

    fn flag(&mut self, key: &str) -> bool {
        match self.obj.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.problem(key, "expected true or false");
                false
            }
        }
    }

    fn value(&mut self, key: &str) -> Option<Value> {
        match self.obj.get(key) {
            None => {
                self.problem(key, "missing required argument");
                None
            }
            Some(v) => Some(v.clone()),
        }
    }

    fn unknown(&mut self, allowed: &[&str]) {
        for k in self.obj.keys() {
            if !allowed.contains(&k.as_str()) && !COMMON.contains(&k.as_str()) {
                self.problems
                    .push((k.clone(), "unknown argument for this function".to_string()));
            }
        }
    }
}

/// Java replacement text (`$1`, `\$`) to the regex crate's (`${1}`, `$$`).
fn java_replacement(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            '$' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(|d| d.is_ascii_digit()) {
                    digits.push(d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            '$' => out.push_str("$$"),
            other => out.push(other),
        }
    }
    out
}

impl Function {
    /// Parses one entry of `functions`; on failure returns `(key, message)` problems, the key
    /// relative to the function object (`type`, `regex`, ...).
    pub(crate) fn parse(value: &Value) -> Result<Function, Vec<(String, String)>> {
        let Some(obj) = value.as_object() else {
            return Err(vec![(String::new(), "expected an object".to_string())]);
        };
        let (type_key, name) = match (obj.get("function"), obj.get("type")) {
            (Some(Value::String(s)), _) => ("function", s.as_str()),
            (None, Some(Value::String(s))) => ("type", s.as_str()),
            (None, None) => {
                return Err(vec![(
                    "type".to_string(),
                    "missing: name the function in \"type\" (or \"function\")".to_string(),
                )])
            }
            (Some(_), _) => {
                return Err(vec![("function".into(), "expected a string".into())]);
            }
            (None, Some(_)) => return Err(vec![("type".into(), "expected a string".into())]),
        };
        let Some(name) = FUNCTION_NAMES.iter().copied().find(|n| *n == name) else {
            let message = if name == "isValidEmail" {
                "isValidEmail is a conditional function: use it in a condition".to_string()
            } else {
                format!("unknown function {name:?}")
            };
            return Err(vec![(type_key.to_string(), message)]);
        };
        let mut a = Args {
            obj,
            problems: Vec::new(),
        };
        let kind = match name {
            "concatString" => {
                a.unknown(&["prefix", "suffix"]);
                let prefix = a.text("prefix", false);
                let suffix = a.text("suffix", false);
                if prefix.is_none() && suffix.is_none() && a.problems.is_empty() {
                    a.problem("suffix", "give a prefix, a suffix or both");
                }
                Some(Kind::Concat {
                    prefix: prefix.unwrap_or_default(),
                    suffix: suffix.unwrap_or_default(),
                })
            }
            "toUpperCaseString" | "toLowerCaseString" => {
                a.unknown(&["locale"]);
                let _ = a.text("locale", false);
                Some(if name == "toUpperCaseString" {
                    Kind::Upper
                } else {
                    Kind::Lower
                })
            }
            "replaceString" => {
                a.unknown(&["target", "replacement"]);
                let target = a.text("target", true);
                let replacement = a.text("replacement", true);
                match (target, replacement) {
                    (Some(t), _) if t.is_empty() => {
                        a.problem("target", "must not be empty");
                        None
                    }
                    (Some(target), Some(replacement)) => Some(Kind::Replace {
                        target,
                        replacement,
                    }),
                    _ => None,
                }
            }
            "replaceFirstString" | "replaceLastString" | "replaceAllString" => {
                a.unknown(&["regex", "replacement"]);
                let regex = a.regex("regex", false);
                let replacement = a.text("replacement", true).map(|r| java_replacement(&r));
                match (regex, replacement) {
                    (Some(regex), Some(replacement)) => {
                        let regex = Box::new(regex);
                        Some(match name {
                            "replaceFirstString" => Kind::ReplaceFirst { regex, replacement },
                            "replaceLastString" => Kind::ReplaceLast { regex, replacement },
                            _ => Kind::ReplaceAll { regex, replacement },
                        })
                    }
                    _ => None,
                }
            }
            "substring" => {
                a.unknown(&["beginIndex", "endIndex"]);
                let begin = a.index("beginIndex", true);
                let end = a.index("endIndex", false);
                match (begin, end) {
                    (Some(b), Some(e)) if e < b => {
                        a.problem("endIndex", format!("{e} is before beginIndex {b}"));
                        None
                    }
                    (Some(begin), end) => Some(Kind::Substring { begin, end }),
                    _ => None,
                }
            }
            "splitStringToArray" => {
                a.unknown(&["separator"]);
                match a.text("separator", true) {
                    Some(s) if s.is_empty() => {
                        a.problem("separator", "must not be empty");
                        None
                    }
                    Some(separator) => Some(Kind::Split { separator }),
                    None => None,
                }
            }
            "elementAt" => {
                a.unknown(&["index"]);
                a.index("index", true)
                    .map(|index| Kind::ElementAt { index })
            }
            "matchRegex" => {
                a.unknown(&["regex"]);
                a.regex("regex", true)
                    .map(|r| Kind::MatchRegex { regex: Box::new(r) })
            }
            "getMatchedRegexGroup" => {
                a.unknown(&["regex", "groupIndex"]);
                let regex = a.regex("regex", false);
                let group = a.index("groupIndex", true);
                match (regex, group) {
                    (Some(r), Some(g)) if g >= r.captures_len() => {
                        a.problem(
                            "groupIndex",
                            format!(
                                "the regex has {} capture group(s), so there is no group {g}",
                                r.captures_len() - 1
                            ),
                        );
                        None
                    }
                    (Some(r), Some(group)) => Some(Kind::GroupOf {
                        regex: Box::new(r),
                        group,
                    }),
                    _ => None,
                }
            }
            "randomPassword" => {
                a.unknown(&[
                    "passwordLength",
                    "minimumNumberOfLowercaseLetters",
                    "minimumNumberOfUppercaseLetters",
                    "minimumNumberOfDigits",
                    "minimumNumberOfSpecialSymbols",
                    "specialSymbols",
                ]);
                let length = a.index("passwordLength", true);
                let lower = a.index("minimumNumberOfLowercaseLetters", true);
                let upper = a.index("minimumNumberOfUppercaseLetters", true);
                let digits = a.index("minimumNumberOfDigits", true);
                let special = a.index("minimumNumberOfSpecialSymbols", true);
                let symbols = a.text("specialSymbols", false);
                if symbols.as_deref() == Some("") {
                    a.problem("specialSymbols", "must not be empty");
                }
                if symbols.is_some() && special == Some(0) {
                    a.problem(
                        "minimumNumberOfSpecialSymbols",
                        "must be above 0 when specialSymbols is given",
                    );
                }
                match (length, lower, upper, digits, special) {
                    (Some(length), Some(l), Some(u), Some(d), Some(s)) => {
                        let spec = PasswordSpec {
                            length,
                            min_lowercase: l,
                            min_uppercase: u,
                            min_digits: d,
                            min_special: s,
                            special_symbols: symbols
                                .as_deref()
                                .unwrap_or(DEFAULT_SPECIAL_SYMBOLS)
                                .chars()
                                .collect(),
                        };
                        for p in spec.problems() {
                            a.problem("passwordLength", p);
                        }
                        Some(Kind::RandomPassword(spec))
                    }
                    _ => None,
                }
            }
            "convertLocaleCode" | "convertTimezoneCode" => {
                a.unknown(&["outputFormat"]);
                let allowed: &[&str] = if name == "convertLocaleCode" {
                    &["bcp47", "iso639"]
                } else {
                    &["iana", "sap"]
                };
                match a.text("outputFormat", true) {
                    Some(f) if allowed.contains(&f.as_str()) => {
                        Some(if name == "convertLocaleCode" {
                            Kind::Locale {
                                bcp47: f == "bcp47",
                            }
                        } else {
                            Kind::Timezone { iana: f == "iana" }
                        })
                    }
                    Some(f) => {
                        a.problem(
                            "outputFormat",
                            format!("{f:?} is not one of {}", allowed.join(", ")),
                        );
                        None
                    }
                    None => None,
                }
            }
            "compositeId" => {
                a.unknown(&["separator", "subId"]);
                let separator = a.text("separator", true);
                let sub = a.text("subId", true);
                let sub_id = match sub {
                    Some(s) if s.starts_with('$') => match JsonPath::parse(&s) {
                        Ok(p) if is_singular(&s) => Some(SubId::Path(Box::new(p))),
                        Ok(_) => {
                            a.problem("subId", format!("{s:?} can select many values"));
                            None
                        }
                        Err(e) => {
                            a.problem("subId", format!("bad JSONPath {s:?}: {e}"));
                            None
                        }
                    },
                    Some(s) => Some(SubId::Literal(s)),
                    None => None,
                };
                match (separator, sub_id) {
                    (Some(separator), Some(sub_id)) => {
                        Some(Kind::CompositeId { separator, sub_id })
                    }
                    _ => None,
                }
            }
            "putIfAbsent" | "putIfPresent" => {
                a.unknown(&["key", "defaultValue"]);
                let key = a.text("key", true);
                let default = a.value("defaultValue");
                match (key, default) {
                    (Some(key), Some(default)) if name == "putIfAbsent" => {
                        Some(Kind::PutIfAbsent { key, default })
                    }
                    (Some(key), Some(default)) => Some(Kind::PutIfPresent { key, default }),
                    _ => None,
                }
            }
            _ => {
                a.unknown(&[]);
                Some(Kind::ToString)
            }
        };
        let condition = match obj.get("condition") {
            None => None,
            Some(Value::String(text)) => match Condition::parse(text) {
                Ok(c) => Some(c),
                Err(e) => {
                    a.problem("condition", e);
                    None
                }
            },
            Some(_) => {
                a.problem("condition", "expected a string");
                None
            }
        };
        let apply_on_elements = a.flag("applyOnElements");
        let apply_on_attribute = a.text("applyOnAttribute", false);
        let assign_to_attribute = a.text("assignToAttribute", false);
        match kind {
            Some(kind) if a.problems.is_empty() => Ok(Function {
                name,
                kind,
                condition,
                apply_on_elements,
                apply_on_attribute,
                assign_to_attribute,
            }),
            _ => Err(a.problems),
        }
    }

    /// Whether this function makes a value out of nothing (so a mapping needs no source).
    pub(crate) fn generates(&self) -> bool {
        matches!(self.kind, Kind::RandomPassword(_))
    }

    /// Applies the function; `None` in or out means "no value".
    pub(crate) fn apply(
        &self,
        value: Option<Value>,
        env: &mut Env<'_>,
    ) -> Result<Option<Value>, String> {
        match &self.kind {
            Kind::RandomPassword(spec) => {
                if let Some(cond) = &self.condition {
                    if !cond.eval(env.source, value.as_ref()) {
                        return Ok(value);
                    }
                }
                return Ok(Some(Value::String(spec.generate(env.rng))));
            }
            Kind::ElementAt { index } if self.apply_on_attribute.is_none() => {
                return Ok(match value {
                    Some(Value::Array(items)) => items.into_iter().nth(*index),
                    Some(other) if *index == 0 => Some(other),
                    _ => None,
                });
            }
            _ => {}
        }
        let Some(value) = value else {
            return Ok(None);
        };
        let elementwise = self.apply_on_elements
            || self.apply_on_attribute.is_some()
            || !matches!(self.kind, Kind::ElementAt { .. });
        match value {
            Value::Array(items) if elementwise => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    match (&self.kind, self.apply_one(item, env)?) {
                        (Kind::Split { .. }, Some(Value::Array(parts))) => out.extend(parts),
                        (_, Some(r)) => out.push(r),
                        (_, None) => {}
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            other => self.apply_one(other, env),
        }
    }

    /// One value (or one element); `None` drops it (no regex match, index out of range).
    fn apply_one(&self, value: Value, env: &mut Env<'_>) -> Result<Option<Value>, String> {
        if let Some(cond) = &self.condition {
            if !cond.eval(env.source, Some(&value)) {
                return Ok(Some(value));
            }
        }
        if let Some(attr) = &self.apply_on_attribute {
            let Value::Object(mut obj) = value else {
                return Ok(Some(value));
            };
            if let Some(v) = obj.get(attr).cloned() {
                if let Some(r) = self.kind_apply(v, env)? {
                    let to = self.assign_to_attribute.as_ref().unwrap_or(attr);
                    obj.insert(to.clone(), r);
                }
            }
            return Ok(Some(Value::Object(obj)));
        }
        self.kind_apply(value, env)
    }

    fn text_of(&self, value: &Value) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
            Value::Null => Ok(String::new()),
            Value::Array(_) => Err("expects a string, got an array".to_string()),
            Value::Object(_) => Err("expects a string, got an object".to_string()),
        }
    }

    fn kind_apply(&self, value: Value, env: &mut Env<'_>) -> Result<Option<Value>, String> {
        let s = |v: String| Ok(Some(Value::String(v)));
        match &self.kind {
            Kind::Concat { prefix, suffix } => {
                s(format!("{prefix}{}{suffix}", self.text_of(&value)?))
            }
            Kind::Upper => s(self.text_of(&value)?.to_uppercase()),
            Kind::Lower => s(self.text_of(&value)?.to_lowercase()),
            Kind::Replace {
                target,
                replacement,
            } => s(self.text_of(&value)?.replace(target.as_str(), replacement)),
            Kind::ReplaceFirst { regex, replacement } => s(regex
                .replacen(&self.text_of(&value)?, 1, replacement.as_str())
                .into_owned()),
            Kind::ReplaceAll { regex, replacement } => s(regex
                .replace_all(&self.text_of(&value)?, replacement.as_str())
                .into_owned()),
            Kind::ReplaceLast { regex, replacement } => {
                let text = self.text_of(&value)?;
                let Some(caps) = regex.captures_iter(&text).last() else {
                    return s(text);
                };
                let Some(m) = caps.get(0) else {
                    return s(text);
                };
                let mut expanded = String::new();
                caps.expand(replacement, &mut expanded);
                s(format!(
                    "{}{expanded}{}",
                    &text[..m.start()],
                    &text[m.end()..]
                ))
            }
            Kind::Substring { begin, end } => {
                let text = self.text_of(&value)?;
                let len = text.chars().count();
                let end_at = end.unwrap_or(len);
                if *begin > len || end_at > len {
                    return Err(format!(
                        "{begin}..{end_at} is out of range for a value of {len} characters"
                    ));
                }
                s(text.chars().skip(*begin).take(end_at - begin).collect())
            }
            Kind::Split { separator } => Ok(Some(Value::Array(
                self.text_of(&value)?
                    .split(separator.as_str())
                    .map(|p| Value::String(p.to_string()))
                    .collect(),
            ))),
            Kind::ElementAt { index } => Ok(match value {
                Value::Array(items) => items.into_iter().nth(*index),
                other if *index == 0 => Some(other),
                _ => None,
            }),
            Kind::MatchRegex { regex } => {
                Ok(Some(Value::Bool(regex.is_match(&self.text_of(&value)?))))
            }
            Kind::GroupOf { regex, group } => {
                let text = self.text_of(&value)?;
                Ok(regex
                    .captures(&text)
                    .and_then(|c| c.get(*group))
                    .map(|m| Value::String(m.as_str().to_string())))
            }
            Kind::RandomPassword(spec) => s(spec.generate(env.rng)),
            Kind::Locale { bcp47 } => {
                let text = self.text_of(&value)?;
                s(if *bcp47 {
                    codes::to_bcp47(&text)
                } else {
                    codes::to_iso639(&text)
                })
            }
            Kind::Timezone { iana } => {
                let text = self.text_of(&value)?;
                s(if *iana {
                    codes::to_iana(&text)
                } else {
                    codes::to_sap(&text)
                })
            }
            Kind::CompositeId { separator, sub_id } => {
                let text = self.text_of(&value)?;
                let sub = match sub_id {
                    SubId::Literal(l) => l.clone(),
                    SubId::Path(p) => match p.query(env.source).first() {
                        Some(v) => self.text_of(v)?,
                        None => return Err("compositeId: subId selects no value".to_string()),
                    },
                };
                s(format!("{text}{separator}{sub}"))
            }
            Kind::PutIfAbsent { key, default } => match value {
                Value::Object(mut obj) => {
                    if obj.get(key).is_none_or(Value::is_null) {
                        obj.insert(key.clone(), default.clone());
                    }
                    Ok(Some(Value::Object(obj)))
                }
                other => Err(format!("expects an object, got {}", kind_name(&other))),
            },
            Kind::PutIfPresent { key, default } => match value {
                Value::Object(mut obj) => {
                    if let Some(v) = obj.get_mut(key) {
                        if !v.is_null() && !values_equal(v, default) {
                            *v = default.clone();
                        }
                    }
                    Ok(Some(Value::Object(obj)))
                }
                other => Err(format!("expects an object, got {}", kind_name(&other))),
            },
            Kind::ToString => match value {
                Value::String(text) => s(text),
                Value::Null => Ok(None),
                Value::Number(_) | Value::Bool(_) => s(value.to_string()),
                other => s(serde_json::to_string(&other).unwrap_or_default()),
            },
        }
    }
}

/// The regex crate's message without its multi-line picture: its last line.
pub(crate) fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    last.trim().trim_start_matches("error: ").to_string()
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
