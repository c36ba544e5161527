//! Roster's one filter language.
//!
//! SCIM `filter=` (RFC 7644 section 3.4.2.2), Okta's Management API `filter=`/`search=` and the
//! System Log's `filter=` all parse into the same [`Filter`] AST. The store compiles that AST to
//! SQL; the same AST can be evaluated in memory against a JSON document with [`Filter::matches`].
//!
//! # Design
//!
//! - **One grammar.** The three front ends differ only in which attributes they expose, so there
//!   is one parser: `attribute op value` comparisons (`eq ne gt ge lt le sw ew co`), `attribute
//!   pr`, `and` / `or` / `not (...)` with precedence `not` > `and` > `or`, parentheses, and SCIM
//!   value paths such as `emails[type eq "work"]`. Keywords and operators are case-insensitive.
//!   Attribute paths are dotted to any depth (`debugContext.debugData.ErrorCode`) and may carry a
//!   schema URN prefix (`urn:ietf:params:scim:schemas:core:2.0:User:userName`), which goes into
//!   [`AttrPath::schema`]. Values are JSON: strings, numbers, `true`, `false`, `null`.
//! - **Spans everywhere.** Every node records the bytes it came from, so a front end can point at
//!   the part of a filter it cannot serve ("`profile.secret` cannot be searched").
//! - **Errors a person can act on.** [`FilterError`] says what was expected and what was found,
//!   carries a byte position, renders a caret line ([`FilterError::caret`]) and has a stable
//!   [`FilterError::code`].
//! - **Safe on hostile input.** Input is capped at [`MAX_FILTER_LEN`] bytes and nesting at
//!   [`MAX_NESTING_DEPTH`] levels; `and`/`or` chains are parsed by loops. Parsing never panics
//!   (property-tested and fuzzed, see `fuzz/`). Within these limits a tree is at most a few
//!   thousand levels deep, so recursive walkers are fine on ordinary thread stacks.
//! - **Canonical text.** `Display` prints lowercase keywords, JSON-escaped strings and only the
//!   parentheses the tree needs; the text parses back to an equal tree ([`Filter::same_as`]).
//! - **In-memory evaluation** follows SCIM semantics: case-insensitive names, any-element
//!   matching on arrays, case-insensitive strings unless [`MatchOptions::case_exact`]. The exact
//!   rules (absent attributes, `ne`, `null`, mismatched types) are listed in [`eval`]; a SQL
//!   compilation of the AST has to follow the same ones.
//! - **Pure.** No I/O, no clock: this crate knows nothing about HTTP, SQL or the store.
//!
//! # Example
//!
//! ```
//! use roster_filter::parse;
//! use serde_json::json;
//!
//! let filter = parse(r#"profile.lastName eq "smith" and (status eq "ACTIVE" or status eq "RECOVERY")"#)?;
//! let user = json!({"status": "ACTIVE", "profile": {"lastName": "Smith", "login": "js@example.com"}});
//! assert!(filter.matches(&user));
//!
//! // The canonical text parses back to the same tree.
//! let again = parse(&filter.to_string())?;
//! assert!(again.same_as(&filter));
//!
//! // Errors say where and why.
//! let input = r#"profile.login equals "x""#;
//! let err = parse(input).unwrap_err();
//! assert_eq!(err.code(), "invalidFilter");
//! assert_eq!(err.position(), 14);
//! assert_eq!(
//!     err.to_string(),
//!     r#"expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after "profile.login" but found "equals""#
//! );
//! assert_eq!(err.caret(input), "profile.login equals \"x\"\n              ^");
//! # Ok::<(), roster_filter::FilterError>(())
//! ```

pub mod ast;
mod display;
mod error;
pub mod eval;
mod lexer;
mod parser;

pub use ast::{AttrPath, CompareOp, Filter, Span, Value};
pub use error::{FilterError, FilterErrorKind};
pub use eval::MatchOptions;
pub use parser::{parse, MAX_FILTER_LEN, MAX_NESTING_DEPTH};
