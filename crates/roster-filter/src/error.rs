//! [`FilterError`]: why a filter text was refused, where, and what to do about it.

/// Why [`crate::parse`] refused a filter.
///
/// The message is lowercase, has no trailing period and says what was expected and what was found,
/// e.g. `expected a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after
/// "profile.login" but found "equals"`. [`FilterError::position`] is the byte offset in the input
/// the message is about; [`FilterError::caret`] points at it for a human.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    kind: FilterErrorKind,
    position: usize,
    message: String,
}

/// The broad class of a [`FilterError`], each with its own stable [`FilterError::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FilterErrorKind {
    /// The text does not follow the filter grammar.
    Syntax,
    /// The text is longer than [`crate::MAX_FILTER_LEN`] bytes.
    TooLong,
    /// Parentheses, `not (...)` and value paths nest deeper than [`crate::MAX_NESTING_DEPTH`].
    TooDeep,
}

impl FilterError {
    pub(crate) fn new(kind: FilterErrorKind, position: usize, message: impl Into<String>) -> Self {
        FilterError {
            kind,
            position,
            message: message.into(),
        }
    }

    pub(crate) fn syntax(position: usize, message: impl Into<String>) -> Self {
        FilterError::new(FilterErrorKind::Syntax, position, message)
    }

    /// The class of the error.
    pub fn kind(&self) -> FilterErrorKind {
        self.kind
    }

    /// The byte offset into the input that the error is about (always on a char boundary, and at
    /// most the input's length).
    pub fn position(&self) -> usize {
        self.position
    }

    /// The human message (the same text as `Display`).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A stable, machine-readable code: `invalidFilter`, `filterTooLong` or `filterTooDeep`.
    ///
    /// SCIM front ends answer all of them with `scimType: invalidFilter`; the Management API
    /// reports them as a validation error and puts this code in the cause.
    pub fn code(&self) -> &'static str {
        match self.kind {
            FilterErrorKind::Syntax => "invalidFilter",
            FilterErrorKind::TooLong => "filterTooLong",
            FilterErrorKind::TooDeep => "filterTooDeep",
        }
    }

    /// What the caller can do about it, in one sentence for an API error's `remediation`.
    pub fn remediation(&self) -> &'static str {
        match self.kind {
            FilterErrorKind::Syntax => {
                "write the filter as attribute operator value, e.g. profile.lastName eq \"Smith\", \
                 joined with and / or, strings in double quotes"
            }
            FilterErrorKind::TooLong => {
                "split the query into several shorter filters, or filter on fewer values at once"
            }
            FilterErrorKind::TooDeep => "use fewer nested parentheses, not (...) and value paths",
        }
    }

    /// Renders `input` on one line with a `^` under [`FilterError::position`], for a terminal or
    /// a console message:
    ///
    /// ```text
    /// profile.login equals "x"
    ///               ^
    /// ```
    ///
    /// Control characters (newlines, tabs) are shown as spaces so the caret stays aligned; long
    /// inputs are cut to a window around the position, with `...` where text was left out. The
    /// caret column counts chars, so it is exact for single-width text.
    pub fn caret(&self, input: &str) -> String {
        const CONTEXT: usize = 60;
        let position = floor_char_boundary(input, self.position.min(input.len()));
        let before: Vec<char> = input[..position].chars().collect();
        let after: Vec<char> = input[position..].chars().collect();

        let mut line = String::new();
        let mut column = 0;
        let shown_before = if before.len() > CONTEXT {
            line.push_str("...");
            column += 3;
            &before[before.len() - CONTEXT..]
        } else {
            &before[..]
        };
        for &c in shown_before {
            line.push(printable(c));
            column += 1;
        }
        let cut_after = after.len() > CONTEXT;
        let shown_after = if cut_after {
            &after[..CONTEXT]
        } else {
            &after[..]
        };
        for &c in shown_after {
            line.push(printable(c));
        }
        if cut_after {
            line.push_str("...");
        }
        let line = line.trim_end().to_owned();
        format!("{line}\n{}^", " ".repeat(column))
    }
}

fn printable(c: char) -> char {
    if c.is_control() {
        ' '
    } else {
        c
    }
}

/// The largest char boundary of `s` that is `<= index` (`index <= s.len()`).
pub(crate) fn floor_char_boundary(s: &str, mut index: usize) -> usize {
    if index >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn caret_points_at_the_position() {
        let err = FilterError::syntax(14, "x");
        expect![[r#"
            profile.login equals "x"
                          ^"#]]
        .assert_eq(&err.caret(r#"profile.login equals "x""#));
    }

    #[test]
    fn caret_at_the_end_of_the_input() {
        let err = FilterError::syntax(9, "x");
        expect![[r#"
            title eq
                     ^"#]]
        .assert_eq(&err.caret("title eq "));
    }

    #[test]
    fn caret_keeps_alignment_with_tabs_newlines_and_multibyte_text() {
        // "é" is two bytes but one column.
        let input = "name\teq\n\"é\" x";
        let err = FilterError::syntax(input.find('x').unwrap(), "x");
        expect![[r#"
            name eq "é" x
                        ^"#]]
        .assert_eq(&err.caret(input));
    }

    #[test]
    fn caret_windows_long_inputs() {
        let input = format!("{} and x", "a pr and ".repeat(20).trim_end());
        let err = FilterError::syntax(input.len() - 1, "x");
        expect![[r#"
            ...d a pr and a pr and a pr and a pr and a pr and a pr and and x
                                                                           ^"#]]
        .assert_eq(&err.caret(&input));
    }

    #[test]
    fn caret_survives_positions_out_of_range_or_inside_a_char() {
        let err = FilterError::syntax(100, "x");
        assert_eq!(err.caret("ab"), "ab\n  ^");
        let err = FilterError::syntax(1, "x");
        assert_eq!(err.caret("é"), "é\n^");
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(FilterError::syntax(0, "x").code(), "invalidFilter");
        assert_eq!(
            FilterError::new(FilterErrorKind::TooLong, 0, "x").code(),
            "filterTooLong"
        );
        assert_eq!(
            FilterError::new(FilterErrorKind::TooDeep, 0, "x").code(),
            "filterTooDeep"
        );
    }
}
