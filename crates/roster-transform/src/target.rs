//! Writable paths: the subset of JSONPath that names one place to put a value.
//!
//! A target path is an RFC 9535 query (it must parse as one) made of these segments only:
//! `.name`, `['name']` / `["name"]`, `[n]` (a non-negative index) and, as the last segment,
//! `[?(@.name)]` / `[?@.name]`, which spreads an array over the elements of the target array
//! as `{"name": element}` objects (IPS's "multi-value" target). Wildcards, slices, negative
//! indices, unions and descendant segments select many places or none, so they are refused.

use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Name(String),
    Index(usize),
    /// `[?(@.name)]`: each element of the value goes to `{name: element}` in the target array.
    Each(String),
}

#[derive(Debug, Clone)]
pub(crate) struct TargetPath {
    pub(crate) text: String,
    pub(crate) segments: Vec<Segment>,
}

impl TargetPath {
    pub(crate) fn parse(text: &str) -> Result<TargetPath, String> {
        if let Err(e) = serde_json_path::JsonPath::parse(text) {
            return Err(format!("bad JSONPath {text:?}: {e}"));
        }
        let mut p = Scanner {
            chars: text.chars().collect(),
            pos: 0,
        };
        if !p.eat('$') {
            return Err(format!("bad JSONPath {text:?}: it must start with $"));
        }
        let mut segments = Vec::new();
        while p.pos < p.chars.len() {
            let seg = p
                .segment()
                .map_err(|m| format!("cannot write to {text:?}: {m}"))?;
            if matches!(segments.last(), Some(Segment::Each(_))) {
                return Err(format!(
                    "cannot write to {text:?}: [?(@.name)] must be the last segment"
                ));
            }
            segments.push(seg);
        }
        Ok(TargetPath {
            text: text.to_string(),
            segments,
        })
    }

    /// Puts `value` at this path inside `root`, creating the objects and array elements on
    /// the way (missing array elements before the index become `null`).
    pub(crate) fn write(&self, root: &mut Value, value: Value) -> Result<(), String> {
        write_at(root, &self.segments, value)
            .map_err(|m| format!("cannot write {}: {m}", self.text))
    }

    /// Removes what this path names from `root`; returns the removed value.
    pub(crate) fn remove(&self, root: &mut Value) -> Option<Value> {
        let (last, parents) = self.segments.split_last()?;
        let mut cur = root;
        for seg in parents {
            cur = match seg {
                Segment::Name(n) => cur.as_object_mut()?.get_mut(n)?,
                Segment::Index(i) => cur.as_array_mut()?.get_mut(*i)?,
                Segment::Each(_) => return None,
            };
        }
        match last {
            Segment::Name(n) => cur.as_object_mut()?.shift_remove(n),
            Segment::Index(i) => {
                let a = cur.as_array_mut()?;
                (*i < a.len()).then(|| a.remove(*i))
            }
            Segment::Each(n) => {
                let mut removed = Vec::new();
                for item in cur.as_array_mut()? {
                    if let Some(v) = item.as_object_mut().and_then(|m| m.shift_remove(n)) {
                        removed.push(v);
                    }
                }
                (!removed.is_empty()).then_some(Value::Array(removed))
            }
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn write_at(cur: &mut Value, segments: &[Segment], value: Value) -> Result<(), String> {
    let Some((seg, rest)) = segments.split_first() else {
        *cur = value;
        return Ok(());
    };
    match seg {
        Segment::Name(n) => {
            if cur.is_null() {
                *cur = Value::Object(Map::new());
            }
            let found = kind(cur);
            let Value::Object(m) = cur else {
                return Err(format!("{found} is where an object with {n:?} should be"));
            };
            let slot = m.entry(n.clone()).or_insert(Value::Null);
            write_at(slot, rest, value)
        }
        Segment::Index(i) => {
            if cur.is_null() {
                *cur = Value::Array(Vec::new());
            }
            let found = kind(cur);
            let Value::Array(a) = cur else {
                return Err(format!("{found} is where an array should be"));
            };
            while a.len() <= *i {
                a.push(Value::Null);
            }
            match a.get_mut(*i) {
                Some(slot) => write_at(slot, rest, value),
                None => Err(format!("index {i} is out of range")),
            }
        }
        Segment::Each(n) => {
            let items = match value {
                Value::Array(items) => items,
                other => vec![other],
            };
            if cur.is_null() {
                *cur = Value::Array(Vec::new());
            }
            let found = kind(cur);
            let Value::Array(a) = cur else {
                return Err(format!("{found} is where an array should be"));
            };
            for (k, item) in items.into_iter().enumerate() {
                if a.len() <= k {
                    a.push(Value::Object(Map::new()));
                }
                let Some(slot) = a.get_mut(k) else {
                    return Err(format!("index {k} is out of range"));
                };
                if slot.is_null() {
                    *slot = Value::Object(Map::new());
                }
                let found = kind(slot);
                let Value::Object(m) = slot else {
                    return Err(format!("element {k} is {found}, not an object"));
                };
                m.insert(n.clone(), item);
            }
            Ok(())
        }
    }
}

struct Scanner {
    chars: Vec<char>,
    pos: usize,
}

impl Scanner {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn segment(&mut self) -> Result<Segment, String> {
        if self.eat('.') {
            if self.peek() == Some('.') {
                return Err("a descendant segment (..) names no single place".into());
            }
            if self.peek() == Some('*') {
                return Err("a wildcard names no single place".into());
            }
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c.is_alphanumeric() || c == '_' || !c.is_ascii() {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if start == self.pos {
                return Err("a name is missing after '.'".into());
            }
            return Ok(Segment::Name(self.chars[start..self.pos].iter().collect()));
        }
        if !self.eat('[') {
            return Err(format!("unexpected {:?}", self.peek().unwrap_or(' ')));
        }
        let seg = match self.peek() {
            Some(q @ ('\'' | '"')) => {
                self.pos += 1;
                Segment::Name(self.quoted(q)?)
            }
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let digits: String = self.chars[start..self.pos].iter().collect();
                Segment::Index(
                    digits
                        .parse()
                        .map_err(|_| format!("index {digits} is too large"))?,
                )
            }
            Some('?') => {
                self.pos += 1;
                let paren = self.eat('(');
                if !(self.eat('@') && self.eat('.')) {
                    return Err("only [?(@.name)] filters can be written".into());
                }
                let start = self.pos;
                while self
                    .peek()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || !c.is_ascii())
                {
                    self.pos += 1;
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                if name.is_empty() || (paren && !self.eat(')')) {
                    return Err("only [?(@.name)] filters can be written".into());
                }
                Segment::Each(name)
            }
            Some('*') => return Err("a wildcard names no single place".into()),
            Some('-') => return Err("negative indices cannot be written".into()),
            _ => return Err("only names, indices and [?(@.name)] can be written".into()),
        };
        if !self.eat(']') {
            return Err("unions and slices cannot be written".into());
        }
        Ok(seg)
    }

    fn quoted(&mut self, q: char) -> Result<String, String> {
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated name".into()),
                Some(c) if c == q => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.pos += 1;
                    let Some(e) = self.peek() else {
                        return Err("unterminated escape".into());
                    };
                    self.pos += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'u' => {
                            let hex: String = self.chars.iter().skip(self.pos).take(4).collect();
                            let code = u32::from_str_radix(&hex, 16)
                                .map_err(|_| "bad \\u escape".to_string())?;
                            self.pos += 4;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        other => out.push(other),
                    }
                }
                Some(c) => {
                    self.pos += 1;
                    out.push(c);
                }
            }
        }
    }
}
