//! Splits filter text into tokens. Words (attribute paths, operators, keywords and the literals
//! `true`/`false`/`null`) are left for the parser to classify, because which words are keywords
//! depends on where they stand: `not eq "x"` compares an attribute called `not`.

use crate::ast::Span;
use crate::error::FilterError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A run of name characters: letters, digits, `_`, `-`, `$`, `.` and `:`.
    Word,
    /// A double-quoted JSON string, already decoded.
    String(String),
    Number(serde_json::Number),
    LParen,
    RParen,
    LBracket,
    RBracket,
    /// A character that starts no token; the parser reports it in context.
    Unexpected(char),
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

pub(crate) struct Lexer<'a> {
    input: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(input: &'a str) -> Self {
        Lexer { input, pos: 0 }
    }

    fn peek_char(&self) -> Option<char> {
        self.input[self.pos..].chars().next()
    }

    pub fn next_token(&mut self) -> Result<Token, FilterError> {
        while let Some(c) = self.peek_char() {
            if c.is_ascii_whitespace() {
                self.pos += 1;
            } else {
                break;
            }
        }
        let start = self.pos;
        let Some(c) = self.peek_char() else {
            return Ok(Token {
                kind: TokenKind::End,
                span: Span::new(start, start),
            });
        };
        let single = |kind| Token {
            kind,
            span: Span::new(start, start + 1),
        };
        let token = match c {
            '(' => single(TokenKind::LParen),
            ')' => single(TokenKind::RParen),
            '[' => single(TokenKind::LBracket),
            ']' => single(TokenKind::RBracket),
            '"' => return self.string(start),
            '-' | '0'..='9' => return self.number(start),
            c if is_word_start(c) => {
                let end = self.scan_while(start, is_word_char);
                self.pos = end;
                return Ok(Token {
                    kind: TokenKind::Word,
                    span: Span::new(start, end),
                });
            }
            other => Token {
                kind: TokenKind::Unexpected(other),
                span: Span::new(start, start + other.len_utf8()),
            },
        };
        self.pos = token.span.end;
        Ok(token)
    }

    fn scan_while(&self, start: usize, pred: impl Fn(char) -> bool) -> usize {
        self.input[start..]
            .char_indices()
            .find(|&(_, c)| !pred(c))
            .map_or(self.input.len(), |(i, _)| start + i)
    }

    fn number(&mut self, start: usize) -> Result<Token, FilterError> {
        // Take everything that could belong to a number or is glued to it, so `12abc` is
        // reported as one bad number rather than a number followed by a word.
        let end = self.scan_while(start, |c| {
            c.is_alphanumeric() || matches!(c, '.' | '+' | '-' | '_' | '$' | ':')
        });
        self.pos = end;
        let text = &self.input[start..end];
        let number = parse_json_number(text).ok_or_else(|| {
            FilterError::syntax(
                start,
                format!(
                    "expected a number (like 42, -7, 3.14 or 1e-3) but found \"{}\"",
                    shorten(text)
                ),
            )
        })?;
        let number = number.ok_or_else(|| {
            FilterError::syntax(
                start,
                format!(
                    "expected a number that fits a 64-bit float but found \"{}\"",
                    shorten(text)
                ),
            )
        })?;
        Ok(Token {
            kind: TokenKind::Number(number),
            span: Span::new(start, end),
        })
    }

    fn string(&mut self, start: usize) -> Result<Token, FilterError> {
        let mut out = String::new();
        let mut chars = self.input[start + 1..].char_indices();
        loop {
            let Some((i, c)) = chars.next() else {
                return Err(FilterError::syntax(
                    start,
                    "expected a closing double quote (\") for the string that starts here \
                     but found the end of the filter",
                ));
            };
            let at = start + 1 + i;
            match c {
                '"' => {
                    self.pos = at + 1;
                    return Ok(Token {
                        kind: TokenKind::String(out),
                        span: Span::new(start, self.pos),
                    });
                }
                '\\' => {
                    let escaped = chars.next().map(|(_, c)| c);
                    match escaped {
                        Some('"') => out.push('"'),
                        Some('\\') => out.push('\\'),
                        Some('/') => out.push('/'),
                        Some('b') => out.push('\u{8}'),
                        Some('f') => out.push('\u{c}'),
                        Some('n') => out.push('\n'),
                        Some('r') => out.push('\r'),
                        Some('t') => out.push('\t'),
                        Some('u') => out.push(self.unicode_escape(at, &mut chars)?),
                        other => {
                            let found = match other {
                                None => "the end of the filter".to_owned(),
                                Some(c) => format!("\"\\{}\"", describe_char(c)),
                            };
                            return Err(FilterError::syntax(
                                at,
                                format!(
                                    "expected an escape sequence (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \
                                     or \\uXXXX) but found {found}"
                                ),
                            ));
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(FilterError::syntax(
                        at,
                        format!(
                            "expected an escape sequence (such as \\n, \\t or \\u{:04x}) for a \
                             control character in a string but found the raw character U+{:04X}",
                            c as u32, c as u32
                        ),
                    ));
                }
                c => out.push(c),
            }
        }
    }

    /// Decodes the `XXXX` of `\uXXXX` (the `\u` starts at `at`), joining surrogate pairs.
    fn unicode_escape(
        &self,
        at: usize,
        chars: &mut std::str::CharIndices<'_>,
    ) -> Result<char, FilterError> {
        let hex4 = |chars: &mut std::str::CharIndices<'_>, at: usize| {
            let mut value = 0u32;
            for _ in 0..4 {
                let digit = chars.next().and_then(|(_, c)| c.to_digit(16));
                match digit {
                    Some(d) => value = value * 16 + d,
                    None => {
                        return Err(FilterError::syntax(
                            at,
                            "expected four hexadecimal digits after \\u but found fewer",
                        ))
                    }
                }
            }
            Ok(value)
        };
        let first = hex4(chars, at)?;
        let lone = |at: usize, unit: u32| {
            FilterError::syntax(
                at,
                format!(
                    "expected a complete UTF-16 surrogate pair but found a lone surrogate \
                     \\u{unit:04x}"
                ),
            )
        };
        match first {
            0xD800..=0xDBFF => {
                let second_at = at + 6;
                let mut lookahead = chars.clone();
                let is_escape = matches!(lookahead.next(), Some((_, '\\')))
                    && matches!(lookahead.next(), Some((_, 'u')));
                if !is_escape {
                    return Err(lone(at, first));
                }
                *chars = lookahead;
                let second = hex4(chars, second_at)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(lone(at, first));
                }
                let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                char::from_u32(code).ok_or_else(|| lone(at, first))
            }
            0xDC00..=0xDFFF => Err(lone(at, first)),
            _ => char::from_u32(first).ok_or_else(|| lone(at, first)),
        }
    }
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '$' | '.' | ':')
}

/// Parses JSON number text. `None`: not a JSON number; `Some(None)`: a float out of range.
///
/// Integers stay integers when they fit `i64`/`u64` (as serde_json does); everything else goes
/// through `f64` parsing, which is correctly rounded, so `Display` of the result reads back equal.
fn parse_json_number(text: &str) -> Option<Option<serde_json::Number>> {
    let bytes = text.as_bytes();
    let mut i = 0;
    if bytes.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let int_start = i;
    let int_digits = digits(&mut i);
    if int_digits == 0 || (int_digits > 1 && bytes[int_start] == b'0') {
        return None;
    }
    let mut integral = true;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        integral = false;
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        integral = false;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != bytes.len() {
        return None;
    }
    if integral {
        if text.starts_with('-') {
            if let Ok(n) = text.parse::<i64>() {
                return Some(Some(n.into()));
            }
        } else if let Ok(n) = text.parse::<u64>() {
            return Some(Some(n.into()));
        }
    }
    let float: f64 = text.parse().ok()?;
    Some(serde_json::Number::from_f64(float).filter(|_| float.is_finite()))
}

/// Shows a char in a message: itself, or `U+XXXX` for control characters.
pub(crate) fn describe_char(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        c.to_string()
    }
}

/// Cuts long token text for messages.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.chars().map(describe_char).collect()
    } else {
        let mut out: String = text.chars().take(MAX - 3).map(describe_char).collect();
        out.push_str("...");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(input: &str) -> Vec<TokenKind> {
        let mut lexer = Lexer::new(input);
        let mut out = Vec::new();
        loop {
            let token = lexer.next_token().unwrap();
            if token.kind == TokenKind::End {
                return out;
            }
            out.push(token.kind);
        }
    }

    fn string(input: &str) -> String {
        match Lexer::new(input).next_token().unwrap().kind {
            TokenKind::String(s) => s,
            other => panic!("not a string: {other:?}"),
        }
    }

    fn number(input: &str) -> serde_json::Number {
        match Lexer::new(input).next_token().unwrap().kind {
            TokenKind::Number(n) => n,
            other => panic!("not a number: {other:?}"),
        }
    }

    #[test]
    fn words_include_dots_colons_and_dollars() {
        let mut lexer = Lexer::new("urn:a:b:2.0:User:name.given $ref");
        let t = lexer.next_token().unwrap();
        assert_eq!(t.kind, TokenKind::Word);
        assert_eq!(t.span, Span::new(0, 27));
        let t = lexer.next_token().unwrap();
        assert_eq!(t.span, Span::new(28, 32));
    }

    #[test]
    fn brackets_and_parens_split_words() {
        assert_eq!(
            tokens("emails[x](y)"),
            vec![
                TokenKind::Word,
                TokenKind::LBracket,
                TokenKind::Word,
                TokenKind::RBracket,
                TokenKind::LParen,
                TokenKind::Word,
                TokenKind::RParen,
            ]
        );
    }

    #[test]
    fn strings_decode_json_escapes() {
        assert_eq!(string(r#""a\"b\\c\/d""#), "a\"b\\c/d");
        assert_eq!(string(r#""\b\f\n\r\t""#), "\u{8}\u{c}\n\r\t");
        assert_eq!(string(r#""\u00e9\u00E9""#), "éé");
        assert_eq!(string(r#""\ud83d\ude00""#), "😀");
        assert_eq!(string(r#""raw é 😀""#), "raw é 😀");
    }

    #[test]
    fn bad_strings_are_errors() {
        for bad in [
            r#""abc"#,
            r#""\x""#,
            r#""\u12""#,
            r#""\ud83d""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            "\"a\nb\"",
            "\"\\",
        ] {
            assert!(Lexer::new(bad).next_token().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn numbers_follow_json() {
        assert_eq!(number("42"), serde_json::Number::from(42u64));
        assert_eq!(number("-7"), serde_json::Number::from(-7i64));
        assert_eq!(number("0"), serde_json::Number::from(0u64));
        assert_eq!(number("3.25").as_f64(), Some(3.25));
        assert_eq!(number("-1.5e3").as_f64(), Some(-1500.0));
        assert_eq!(number("1E+2").as_f64(), Some(100.0));
        assert_eq!(
            number("18446744073709551616").as_f64(),
            Some(1.8446744073709552e19)
        );
        for bad in [
            "01", "1.", "1e", "1e+", "--1", "-", "12abc", "1.2.3", "1e400",
        ] {
            assert!(Lexer::new(bad).next_token().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn unexpected_characters_become_tokens() {
        assert_eq!(
            tokens("'x' #"),
            vec![
                TokenKind::Unexpected('\''),
                TokenKind::Word,
                TokenKind::Unexpected('\''),
                TokenKind::Unexpected('#'),
            ]
        );
    }
}
