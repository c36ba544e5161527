//! The filter AST: what every front end (SCIM `filter=`, Okta `filter=`/`search=`, System Log
//! `filter=`) parses into, what the store compiles to SQL and what [`crate::Filter::matches`]
//! evaluates in memory.

use serde::Serialize;

/// A byte range into the filter text that produced a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// An attribute path such as `profile.login`, `name.familyName`, `debugContext.debugData.ErrorCode`
/// or `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttrPath {
    /// A SCIM schema URN prefix when the path was fully qualified.
    pub schema: Option<String>,
    /// Dotted segments, as written (attribute names are compared case-insensitively).
    pub segments: Vec<String>,
    pub span: Span,
}

impl AttrPath {
    /// The dotted form without the schema URN, e.g. `profile.login`.
    pub fn dotted(&self) -> String {
        self.segments.join(".")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// starts with
    Sw,
    /// ends with
    Ew,
    /// contains
    Co,
}

impl CompareOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Co => "co",
        }
    }
}

/// A comparison value. Date-times stay strings: Roster writes every timestamp as
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, so they order correctly as text.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    String(String),
    Number(serde_json::Number),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Filter {
    /// `path op value`
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
        span: Span,
    },
    /// `path pr`
    Present {
        path: AttrPath,
        span: Span,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>, Span),
    /// `emails[type eq "work"]`: true when some element of the multi-valued attribute `path`
    /// matches `filter` (whose paths are relative to the element).
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
        span: Span,
    },
}

impl AttrPath {
    /// The same path with its span zeroed, for comparisons that ignore where text stood.
    pub fn without_spans(&self) -> AttrPath {
        AttrPath {
            schema: self.schema.clone(),
            segments: self.segments.clone(),
            span: Span::default(),
        }
    }
}

impl Filter {
    /// The byte range of the input this node was parsed from. `And`/`Or` have no span of their
    /// own: theirs runs from the start of the left operand to the end of the right one.
    /// Parentheses that only group are not part of any span.
    pub fn span(&self) -> Span {
        match self {
            Filter::Compare { span, .. }
            | Filter::Present { span, .. }
            | Filter::Not(_, span)
            | Filter::ValuePath { span, .. } => *span,
            Filter::And(left, right) | Filter::Or(left, right) => {
                Span::new(left.span().start, right.span().end)
            }
        }
    }

    /// The same filter with every span zeroed: two filters that say the same thing are equal
    /// after this, wherever their text stood (`parse(&f.to_string())?.without_spans() ==
    /// f.without_spans()`).
    pub fn without_spans(&self) -> Filter {
        match self {
            Filter::Compare {
                path, op, value, ..
            } => Filter::Compare {
                path: path.without_spans(),
                op: *op,
                value: value.clone(),
                span: Span::default(),
            },
            Filter::Present { path, .. } => Filter::Present {
                path: path.without_spans(),
                span: Span::default(),
            },
            Filter::And(left, right) => Filter::And(
                Box::new(left.without_spans()),
                Box::new(right.without_spans()),
            ),
            Filter::Or(left, right) => Filter::Or(
                Box::new(left.without_spans()),
                Box::new(right.without_spans()),
            ),
            Filter::Not(inner, _) => Filter::Not(Box::new(inner.without_spans()), Span::default()),
            Filter::ValuePath { path, filter, .. } => Filter::ValuePath {
                path: path.without_spans(),
                filter: Box::new(filter.without_spans()),
                span: Span::default(),
            },
        }
    }

    /// Whether `self` and `other` are the same filter, ignoring spans.
    pub fn same_as(&self, other: &Filter) -> bool {
        self.without_spans() == other.without_spans()
    }
}
