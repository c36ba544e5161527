//! A recursive-descent parser over [`crate::lexer`] tokens.
//!
//! ```text
//! filter    = or
//! or        = and *("or" and)                          ; left-associative
//! and       = unary *("and" unary)                     ; left-associative
//! unary     = "not" "(" or ")" / "(" or ")" / attrExp
//! attrExp   = path "pr" / path compareOp value / path "[" or "]"   ; no "[" inside "[...]"
//! path      = [urn ":"] name *("." name)               ; one word token
//! name      = ["$"] ALPHA *(ALPHA / DIGIT / "-" / "_")
//! value     = string / number / "true" / "false" / "null"
//! ```
//!
//! Keywords and operators are case-insensitive. Recursion only happens at `(`, `not (` and `[`,
//! each counted against [`MAX_NESTING_DEPTH`]; `and`/`or` chains are parsed by loops.

use crate::ast::{AttrPath, CompareOp, Filter, Span, Value};
use crate::error::{floor_char_boundary, FilterError, FilterErrorKind};
use crate::lexer::{describe_char, shorten, Lexer, Token, TokenKind};

/// The longest filter text [`parse`] accepts, in bytes.
pub const MAX_FILTER_LEN: usize = 8 * 1024;

/// How deep parentheses, `not (...)` and value paths may nest.
pub const MAX_NESTING_DEPTH: usize = 64;

const OPERATORS: &str = "eq, ne, co, sw, ew, gt, ge, lt, le, pr";

/// Parses a SCIM / Okta / System Log filter into a [`Filter`].
///
/// ```
/// let filter = roster_filter::parse(r#"profile.lastName eq "Smith" and status eq "ACTIVE""#)?;
/// assert_eq!(filter.to_string(), r#"profile.lastName eq "Smith" and status eq "ACTIVE""#);
/// # Ok::<(), roster_filter::FilterError>(())
/// ```
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(FilterError::new(
            FilterErrorKind::TooLong,
            floor_char_boundary(input, MAX_FILTER_LEN),
            format!(
                "expected a filter of at most {MAX_FILTER_LEN} bytes but found one of {} bytes",
                input.len()
            ),
        ));
    }
    let mut parser = Parser {
        input,
        lexer: Lexer::new(input),
        peeked: None,
        previous: None,
        depth: 0,
        value_path: None,
    };
    let filter = parser.or()?;
    parser.close(Closer::End)?;
    Ok(filter)
}

impl std::str::FromStr for Filter {
    type Err = FilterError;

    /// Same as [`parse`].
    fn from_str(input: &str) -> Result<Filter, FilterError> {
        parse(input)
    }
}

/// What ends the expression being parsed.
#[derive(Clone, Copy)]
enum Closer {
    End,
    /// `)` for the `(` at this position.
    Paren(Span),
    /// `]` for the value path with this attribute path span.
    Bracket(Span),
}

struct Parser<'a> {
    input: &'a str,
    lexer: Lexer<'a>,
    peeked: Option<Token>,
    /// The last token taken, for "after ..." in messages.
    previous: Option<Token>,
    depth: usize,
    /// The attribute path span of the value path we are inside, if any.
    value_path: Option<Span>,
}

impl<'a> Parser<'a> {
    fn peek(&mut self) -> Result<Token, FilterError> {
        if let Some(token) = &self.peeked {
            return Ok(token.clone());
        }
        let token = self.lexer.next_token()?;
        self.peeked = Some(token.clone());
        Ok(token)
    }

    fn next(&mut self) -> Result<Token, FilterError> {
        let token = match self.peeked.take() {
            Some(token) => token,
            None => self.lexer.next_token()?,
        };
        self.previous = Some(token.clone());
        Ok(token)
    }

    fn text(&self, span: Span) -> &'a str {
        self.input.get(span.start..span.end).unwrap_or("")
    }

    fn peek_is_keyword(&mut self, keyword: &str) -> Result<bool, FilterError> {
        let token = self.peek()?;
        Ok(token.kind == TokenKind::Word && self.text(token.span).eq_ignore_ascii_case(keyword))
    }

    /// `"x"` for a token in a message.
    fn describe(&self, token: &Token) -> String {
        match &token.kind {
            TokenKind::End => "the end of the filter".to_owned(),
            TokenKind::String(_) => {
                let text = self.text(token.span);
                let short = shorten(text);
                if short.ends_with("...") {
                    format!("{short}\"")
                } else {
                    short
                }
            }
            TokenKind::Unexpected(c) => format!("\"{}\"", describe_char(*c)),
            _ => format!("\"{}\"", shorten(self.text(token.span))),
        }
    }

    /// `after "x"`, or `at the start of the filter`.
    fn after(&self) -> String {
        match &self.previous {
            None => "at the start of the filter".to_owned(),
            Some(token) => format!("after {}", self.describe(token)),
        }
    }

    fn expected(&self, what: &str, found: &Token, hint: &str) -> FilterError {
        FilterError::syntax(
            found.span.start,
            format!(
                "expected {what} {} but found {}{hint}",
                self.after(),
                self.describe(found)
            ),
        )
    }

    fn enter(&mut self, at: &Token) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_NESTING_DEPTH {
            return Err(FilterError::new(
                FilterErrorKind::TooDeep,
                at.span.start,
                format!(
                    "expected at most {MAX_NESTING_DEPTH} levels of parentheses, not (...) and \
                     value paths but found {} here",
                    self.depth
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Consumes the token that ends the current expression, or explains what was expected.
    fn close(&mut self, closer: Closer) -> Result<Token, FilterError> {
        let token = self.next_without_previous()?;
        let (wanted, what, unclosed) = match closer {
            Closer::End => (
                TokenKind::End,
                "\"and\", \"or\" or the end of the filter",
                String::new(),
            ),
            Closer::Paren(open) => (
                TokenKind::RParen,
                "\"and\", \"or\" or \")\"",
                format!(" (the \"(\" at byte {} is not closed)", open.start),
            ),
            Closer::Bracket(path) => (
                TokenKind::RBracket,
                "\"and\", \"or\" or \"]\"",
                format!(" (\"{}[\" is not closed)", shorten(self.text(path))),
            ),
        };
        if token.kind == wanted {
            self.previous = Some(token.clone());
            return Ok(token);
        }
        let hint = match &token.kind {
            TokenKind::RParen => " without a matching \"(\"".to_owned(),
            TokenKind::RBracket => " without a matching \"[\"".to_owned(),
            _ => unclosed,
        };
        Err(self.expected(what, &token, &hint))
    }

    /// Like `next`, but keeps `previous` (so a message can still say what came before).
    fn next_without_previous(&mut self) -> Result<Token, FilterError> {
        match self.peeked.take() {
            Some(token) => Ok(token),
            None => self.lexer.next_token(),
        }
    }

    fn or(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        while self.peek_is_keyword("or")? {
            self.next()?;
            let right = self.and()?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        while self.peek_is_keyword("and")? {
            self.next()?;
            let right = self.unary()?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        let token = self.next_without_previous()?;
        match token.kind {
            TokenKind::LParen => {
                self.previous = Some(token.clone());
                self.enter(&token)?;
                let inner = self.or()?;
                self.close(Closer::Paren(token.span))?;
                self.leave();
                Ok(inner)
            }
            TokenKind::Word => {
                let text = self.text(token.span);
                let is_not = text.eq_ignore_ascii_case("not");
                if !is_not && !text.eq_ignore_ascii_case("and") && !text.eq_ignore_ascii_case("or")
                {
                    return self.attr_expr(token);
                }
                let next = self.peek()?;
                if is_not && next.kind == TokenKind::LParen {
                    self.previous = Some(token.clone());
                    self.next()?;
                    self.enter(&next)?;
                    let inner = self.or()?;
                    let close = self.close(Closer::Paren(next.span))?;
                    self.leave();
                    return Ok(Filter::Not(
                        Box::new(inner),
                        Span::new(token.span.start, close.span.end),
                    ));
                }
                // `not eq "x"`, `and pr`, `or[...]`: an attribute with a keyword's name.
                let attribute_follows = match next.kind {
                    TokenKind::LBracket => true,
                    TokenKind::Word => {
                        let next_text = self.text(next.span);
                        compare_op(next_text).is_some() || next_text.eq_ignore_ascii_case("pr")
                    }
                    _ => false,
                };
                if attribute_follows {
                    self.attr_expr(token)
                } else if is_not {
                    self.previous = Some(token);
                    Err(self.expected("\"(\"", &next, ""))
                } else {
                    Err(self.expected("an attribute path, \"not (\" or \"(\"", &token, ""))
                }
            }
            _ => {
                let hint = match token.kind {
                    TokenKind::String(_) | TokenKind::Number(_) => {
                        " (a filter starts with the attribute, e.g. userName eq \"bjensen\")"
                    }
                    _ => "",
                };
                Err(self.expected("an attribute path, \"not (\" or \"(\"", &token, hint))
            }
        }
    }

    /// `path pr`, `path op value` or `path[filter]`; `word` is the path token, already taken.
    fn attr_expr(&mut self, word: Token) -> Result<Filter, FilterError> {
        let path = parse_path(self.text(word.span), word.span.start)?;
        self.previous = Some(word);
        let token = self.next_without_previous()?;
        let op_text = self.text(token.span);
        let op = match token.kind {
            TokenKind::Word => compare_op(op_text),
            _ => None,
        };
        if let Some(op) = op {
            self.previous = Some(token);
            let (value, end) = self.value()?;
            let span = Span::new(path.span.start, end);
            return Ok(Filter::Compare {
                path,
                op,
                value,
                span,
            });
        }
        match &token.kind {
            TokenKind::Word if op_text.eq_ignore_ascii_case("pr") => {
                self.previous = Some(token.clone());
                let span = Span::new(path.span.start, token.span.end);
                Ok(Filter::Present { path, span })
            }
            TokenKind::LBracket => {
                if let Some(outer) = self.value_path {
                    let hint = format!(
                        " (value paths cannot be nested inside \"{}[...]\")",
                        shorten(self.text(outer))
                    );
                    return Err(self.expected(
                        &format!("a comparison operator ({OPERATORS})"),
                        &token,
                        &hint,
                    ));
                }
                self.previous = Some(token.clone());
                self.enter(&token)?;
                self.value_path = Some(path.span);
                let inner = self.or()?;
                let close = self.close(Closer::Bracket(path.span))?;
                self.value_path = None;
                self.leave();
                let span = Span::new(path.span.start, close.span.end);
                Ok(Filter::ValuePath {
                    path,
                    filter: Box::new(inner),
                    span,
                })
            }
            _ => Err(self.expected(&format!("a comparison operator ({OPERATORS})"), &token, "")),
        }
    }

    fn value(&mut self) -> Result<(Value, usize), FilterError> {
        let token = self.next_without_previous()?;
        let value = match &token.kind {
            TokenKind::String(s) => Value::String(s.clone()),
            TokenKind::Number(n) => Value::Number(n.clone()),
            TokenKind::Word => {
                let text = self.text(token.span);
                if text.eq_ignore_ascii_case("true") {
                    Value::Bool(true)
                } else if text.eq_ignore_ascii_case("false") {
                    Value::Bool(false)
                } else if text.eq_ignore_ascii_case("null") {
                    Value::Null
                } else {
                    return Err(self.expected(
                        "a value (a \"string\", a number, true, false or null)",
                        &token,
                        " (strings must be in double quotes)",
                    ));
                }
            }
            TokenKind::Unexpected('\'') => {
                return Err(self.expected(
                    "a value (a \"string\", a number, true, false or null)",
                    &token,
                    " (strings must be in double quotes)",
                ))
            }
            _ => {
                return Err(self.expected(
                    "a value (a \"string\", a number, true, false or null)",
                    &token,
                    "",
                ))
            }
        };
        self.previous = Some(token.clone());
        Ok((value, token.span.end))
    }
}

fn compare_op(word: &str) -> Option<CompareOp> {
    let ops = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Co,
    ];
    ops.into_iter()
        .find(|op| op.as_str().eq_ignore_ascii_case(word))
}

/// Splits a path word (`urn:...:User:name.givenName`) into schema and segments.
fn parse_path(word: &str, start: usize) -> Result<AttrPath, FilterError> {
    let span = Span::new(start, start + word.len());
    let (schema, rest, rest_start) = match word.rfind(':') {
        Some(colon) => {
            let schema = &word[..colon];
            if !schema
                .get(..4)
                .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
            {
                return Err(FilterError::syntax(
                    start,
                    format!(
                        "expected an attribute path or a schema URN starting with \"urn:\" \
                         but found \"{}\"",
                        shorten(word)
                    ),
                ));
            }
            (
                Some(schema.to_owned()),
                &word[colon + 1..],
                start + colon + 1,
            )
        }
        None => (None, word, start),
    };
    let mut segments = Vec::new();
    let mut offset = rest_start;
    for segment in rest.split('.') {
        if !is_attr_name(segment) {
            let found = if segment.is_empty() {
                "an empty name".to_owned()
            } else {
                format!("\"{}\"", shorten(segment))
            };
            return Err(FilterError::syntax(
                offset,
                format!(
                    "expected an attribute name (a letter, then letters, digits, \"-\" or \"_\") \
                     in \"{}\" but found {found}",
                    shorten(word)
                ),
            ));
        }
        segments.push(segment.to_owned());
        offset += segment.len() + 1;
    }
    Ok(AttrPath {
        schema,
        segments,
        span,
    })
}

/// RFC 7643 `ATTRNAME`, optionally prefixed by `$` (as in `$ref`).
pub(crate) fn is_attr_name(name: &str) -> bool {
    let name = name.strip_prefix('$').unwrap_or(name);
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests;
