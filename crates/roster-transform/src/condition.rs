//! IPS conditions: `==`, `!=`, `=~` (regex, whole value), `IN` / `NIN` (list literal),
//! `EMPTY true|false`, `empty(x)` / `not empty(x)`, `isValidEmail(path)`, `!`, `&&`, `||` and
//! parentheses, over JSONPaths (`$` is the source entity, `@` the element a function works
//! on) and literals (`'text'`, `"text"`, numbers, `true`, `false`, `null`, `[...]`).
//!
//! A path evaluates to its value; a path that can select many nodes (wildcard, filter, slice,
//! descendant) evaluates to the one node it found, or to the array of them (`[]` for none).
//! A singular path that finds nothing evaluates to `null`. A bare operand is true when it is
//! the boolean `true`.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;
use serde_json_path::JsonPath;

#[derive(Debug, Clone)]
pub(crate) enum Condition {
    Or(Box<Condition>, Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    Empty(Operand),
    ValidEmail(Operand),
    Equal(Operand, Operand),
    In(Operand, Operand),
    Matches(Operand, Box<Regex>),
    Truthy(Operand),
}

#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Path {
        path: Box<JsonPath>,
        current: bool,
        singular: bool,
    },
    Literal(Value),
}

/// Whether a JSONPath can select more than one node (a cheap look at its text).
pub(crate) fn is_singular(path: &str) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut prev = ' ';
    for c in path.chars() {
        if let Some(q) = quote {
            if c == q && prev != '\\' {
                quote = None;
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            '*' => return false,
            '.' if prev == '.' && depth == 0 => return false,
            '?' | ':' | ',' if depth > 0 => return false,
            _ => {}
        }
        prev = c;
    }
    true
}

impl Operand {
    fn eval(&self, source: &Value, current: Option<&Value>) -> Value {
        match self {
            Operand::Literal(v) => v.clone(),
            Operand::Path {
                path,
                current: at,
                singular,
            } => {
                let root = if *at {
                    current.unwrap_or(&Value::Null)
                } else {
                    source
                };
                let nodes = path.query(root);
                if *singular || nodes.len() == 1 {
                    nodes.first().cloned().unwrap_or(Value::Null)
                } else {
                    Value::Array(nodes.iter().map(|v| (*v).clone()).collect())
                }
            }
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

pub(crate) fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| values_equal(a, b))
        }
        _ => a == b,
    }
}

fn email_regex() -> Option<&'static Regex> {
    static EMAIL: OnceLock<Option<Regex>> = OnceLock::new();
    EMAIL
        .get_or_init(|| {
            let atom = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
            let label = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
            Regex::new(&format!(r"^{atom}(?:\.{atom})*@(?:{label}\.)+{label}$")).ok()
        })
        .as_ref()
}

pub(crate) fn is_valid_email(s: &str) -> bool {
    email_regex().is_some_and(|r| r.is_match(s))
}

impl Condition {
    pub(crate) fn eval(&self, source: &Value, current: Option<&Value>) -> bool {
        match self {
            Condition::Or(a, b) => a.eval(source, current) || b.eval(source, current),
            Condition::And(a, b) => a.eval(source, current) && b.eval(source, current),
            Condition::Not(c) => !c.eval(source, current),
            Condition::Empty(o) => is_empty(&o.eval(source, current)),
            Condition::ValidEmail(o) => match o.eval(source, current) {
                Value::String(s) => is_valid_email(&s),
                Value::Array(items) => {
                    !items.is_empty()
                        && items.iter().all(|v| v.as_str().is_some_and(is_valid_email))
                }
                _ => false,
            },
            Condition::Equal(a, b) => {
                values_equal(&a.eval(source, current), &b.eval(source, current))
            }
            Condition::In(a, list) => {
                let v = a.eval(source, current);
                match list.eval(source, current) {
                    Value::Array(items) => items.iter().any(|i| values_equal(&v, i)),
                    other => values_equal(&v, &other),
                }
            }
            Condition::Matches(a, re) => match a.eval(source, current) {
                Value::String(s) => re.is_match(&s),
                Value::Array(items) => items
                    .iter()
                    .any(|v| v.as_str().is_some_and(|s| re.is_match(s))),
                _ => false,
            },
            Condition::Truthy(o) => o.eval(source, current) == Value::Bool(true),
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Condition, String> {
        let mut p = Parser {
            chars: text.chars().collect(),
            pos: 0,
        };
        let c = p.or()?;
        p.ws();
        if p.pos < p.chars.len() {
            return Err(p.error("unexpected text"));
        }
        Ok(c)
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn error(&self, what: &str) -> String {
        let rest: String = self.chars.iter().skip(self.pos).take(20).collect();
        if rest.is_empty() {
            format!("{what} at the end of the condition")
        } else {
            format!("{what} at character {} ({rest:?})", self.pos + 1)
        }
    }

    fn ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn starts(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| self.chars.get(self.pos + k) == Some(&c))
    }

    fn eat(&mut self, s: &str) -> bool {
        self.ws();
        if self.starts(s) {
            self.pos += s.chars().count();
            true
        } else {
            false
        }
    }

    /// A keyword: `s` (case-insensitive) not followed by a name character.
    fn eat_word(&mut self, s: &str) -> bool {
        self.ws();
        let n = s.chars().count();
        let word: String = self.chars.iter().skip(self.pos).take(n).collect();
        let after = self.chars.get(self.pos + n).copied();
        if word.eq_ignore_ascii_case(s) && !after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut left = self.and()?;
        while self.eat("||") {
            let right = self.and()?;
            left = Condition::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            let right = self.unary()?;
            left = Condition::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Condition, String> {
        self.ws();
        if self.starts("!") && !self.starts("!=") {
            self.pos += 1;
            return Ok(Condition::Not(Box::new(self.unary()?)));
        }
        if self.eat_word("not") {
            if !self.eat_word("empty") {
                return Err(self.error("expected empty( after not"));
            }
            return Ok(Condition::Not(Box::new(Condition::Empty(self.call_arg()?))));
        }
        if self.eat_word("empty") {
            return Ok(Condition::Empty(self.call_arg()?));
        }
        if self.eat_word("isValidEmail") {
            return Ok(Condition::ValidEmail(self.call_arg()?));
        }
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(self.error("expected )"));
            }
            return Ok(inner);
        }
        self.comparison()
    }

    fn call_arg(&mut self) -> Result<Operand, String> {
        if !self.eat("(") {
            return Err(self.error("expected ("));
        }
        let o = self.operand()?;
        if !self.eat(")") {
            return Err(self.error("expected )"));
        }
        Ok(o)
    }

    fn comparison(&mut self) -> Result<Condition, String> {
        let left = self.operand()?;
        if self.eat("==") {
            return Ok(Condition::Equal(left, self.operand()?));
        }
        if self.eat("!=") {
            let right = self.operand()?;
            return Ok(Condition::Not(Box::new(Condition::Equal(left, right))));
        }
        if self.eat("=~") {
            self.ws();
            let at = self.pos;
            let pattern = match self.operand()? {
                Operand::Literal(Value::String(s)) => s,
                _ => {
                    self.pos = at;
                    return Err(self.error("=~ needs a string literal regex"));
                }
            };
            let re = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                format!(
                    "bad regex {pattern:?}: {}",
                    crate::function::regex_error(&e)
                )
            })?;
            return Ok(Condition::Matches(left, Box::new(re)));
        }
        if self.eat_word("NIN") {
            let right = self.operand()?;
            return Ok(Condition::Not(Box::new(Condition::In(left, right))));
        }
        if self.eat_word("IN") {
            return Ok(Condition::In(left, self.operand()?));
        }
        if self.eat_word("EMPTY") {
            if self.eat_word("true") {
                return Ok(Condition::Empty(left));
            }
            if self.eat_word("false") {
                return Ok(Condition::Not(Box::new(Condition::Empty(left))));
            }
            return Err(self.error("expected true or false after EMPTY"));
        }
        Ok(Condition::Truthy(left))
    }

    fn operand(&mut self) -> Result<Operand, String> {
        self.ws();
        match self.peek() {
            Some('$' | '@') => self.path(),
            Some(q @ ('\'' | '"')) => {
                self.pos += 1;
                Ok(Operand::Literal(Value::String(self.string(q)?)))
            }
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat("]") {
                    return Ok(Operand::Literal(Value::Array(items)));
                }
                loop {
                    match self.operand()? {
                        Operand::Literal(v) => items.push(v),
                        Operand::Path { .. } => {
                            return Err(self.error("a list holds literals only"))
                        }
                    }
                    if self.eat("]") {
                        return Ok(Operand::Literal(Value::Array(items)));
                    }
                    if !self.eat(",") {
                        return Err(self.error("expected , or ]"));
                    }
                }
            }
            Some(c) if c == '-' || c.is_ascii_digit() => {
                let start = self.pos;
                self.pos += 1;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
                {
                    self.pos += 1;
                }
                let text: String = self
                    .chars
                    .iter()
                    .skip(start)
                    .take(self.pos - start)
                    .collect();
                serde_json::from_str::<serde_json::Number>(&text)
                    .map(|n| Operand::Literal(Value::Number(n)))
                    .map_err(|_| format!("bad number {text:?}"))
            }
            _ => {
                for (word, v) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.eat_word(word) {
                        return Ok(Operand::Literal(v));
                    }
                }
                Err(self.error("expected a path, a literal or ("))
            }
        }
    }

    fn string(&mut self, q: char) -> Result<String, String> {
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(c) if c == q => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(c) => out.push(c),
                        None => return Err(self.error("unterminated string")),
                    }
                    self.pos += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// A JSONPath runs until whitespace, `)`, `=`, `!`, `&`, `|` or `,` outside brackets.
    fn path(&mut self) -> Result<Operand, String> {
        let start = self.pos;
        let current = self.peek() == Some('@');
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        while let Some(c) = self.peek() {
            if let Some(q) = quote {
                if c == '\\' {
                    self.pos += 1;
                } else if c == q {
                    quote = None;
                }
                self.pos += 1;
                continue;
            }
            match c {
                '\'' | '"' if depth > 0 => quote = Some(c),
                '[' | '(' if depth > 0 || c == '[' => depth += 1,
                ']' | ')' if depth > 0 => depth -= 1,
                c if depth == 0
                    && (c.is_whitespace()
                        || matches!(c, ')' | '=' | '!' | '&' | '|' | ',' | ']')) =>
                {
                    break
                }
                _ => {}
            }
            self.pos += 1;
        }
        let text: String = self
            .chars
            .iter()
            .skip(start)
            .take(self.pos - start)
            .collect();
        let rooted = if current {
            format!("${}", text.get(1..).unwrap_or(""))
        } else {
            text.clone()
        };
        let path = JsonPath::parse(&rooted).map_err(|e| format!("bad JSONPath {text:?}: {e}"))?;
        Ok(Operand::Path {
            path: Box::new(path),
            current,
            singular: is_singular(&rooted),
        })
    }
}
