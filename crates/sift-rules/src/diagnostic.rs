//! Diagnostics: what is wrong with a rule, where, and how to fix it.
//!
//! Every diagnostic has a stable [`Code`] (`E0001`.. for errors, `W0001`.. for warnings) that
//! the documentation and API clients may rely on, a byte span into the rule text, a message,
//! optional help and optional secondary labels. [`Diagnostic::render`] writes it like rustc;
//! serde serialises it as JSON for the API.

use std::fmt;
use std::ops::Range;

use serde::{Serialize, Serializer};

/// Whether a diagnostic rejects the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

macro_rules! codes {
    ($($variant:ident = $text:literal, $summary:literal,)*) => {
        /// A stable diagnostic code. Codes are never renumbered or reused.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(#[doc = $summary] $variant,)*
        }

        impl Code {
            /// Every code, in numeric order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as shown: `E0001`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// What the code means, for the reference documentation.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Code::$variant => $summary,)*
                }
            }
        }
    };
}

codes! {
    SourceTooLong = "E0001",
        "The rule text is longer than the limit (10 kB).",
    UnexpectedChar = "E0002",
        "A character that starts no token.",
    InvalidNumber = "E0003",
        "A malformed number (`1e`, `2x`, too large).",
    UnexpectedToken = "E0004",
        "The parser expected something else here.",
    ChainedComparison = "E0005",
        "`a < b < c`: comparisons do not chain.",
    TooDeep = "E0006",
        "Expressions nest deeper than the limit.",
    TooComplex = "E0007",
        "The rule has more nodes than the limit.",
    UnknownName = "E0008",
        "A name that is neither a series, a ticker value, a `let` binding, an indicator nor a function.",
    NotCallable = "E0009",
        "A call of something that is not a function or indicator (`close(3)`), or a function used without a call.",
    Arity = "E0010",
        "Too many or too few arguments.",
    BadNamedArgument = "E0011",
        "A named argument the function does not have, or one given twice.",
    InvalidArgument = "E0012",
        "An argument value out of its range or of the wrong form.",
    TypeMismatch = "E0013",
        "A Number where a Bool is needed or the reverse.",
    RuleNotBool = "E0014",
        "The last expression, the rule, is not a Bool.",
    MissingField = "E0015",
        "A multi-output indicator used without `.field`.",
    UnknownField = "E0016",
        "`.field` that the indicator does not have (or a field on a single value).",
    InvalidHistory = "E0017",
        "`x[n]` where `n` is not a non-negative whole number literal.",
    UnknownInterval = "E0018",
        "`x @ tf` where `tf` is not an interval.",
    HistoryTooLong = "E0019",
        "The rule needs more history than Sift keeps.",
    DuplicateName = "E0020",
        "A `let` name used twice or equal to a built-in name.",
    MissingRule = "E0021",
        "No rule expression (empty text, or only `let` lines).",
    SourceNotAllowed = "E0022",
        "An indicator that reads whole candles given a source series or expression.",
    UnusedBinding = "W0001",
        "A `let` binding that the rule never uses.",
    FinerTimeframe = "W0002",
        "`x @ tf` with `tf` shorter than the trader's interval: only the last candle of `tf` before each close is seen.",
}

impl Code {
    /// Errors start with `E`, warnings with `W`.
    pub fn severity(self) -> Severity {
        if self.as_str().starts_with('W') {
            Severity::Warning
        } else {
            Severity::Error
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A secondary location with a note, e.g. where a name was first defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    pub span: Range<usize>,
    pub message: String,
}

/// One problem in a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{severity_name}[{code}]: {message}", severity_name = severity_name(self.severity))]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Byte range in the rule text; empty at the end of the text for "expected more".
    pub span: Range<usize>,
    /// A suggestion: "did you mean `ema`?", the indicator's signature, the fields.
    pub help: Option<String>,
    pub labels: Vec<Label>,
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

impl Diagnostic {
    /// A diagnostic with `code`'s severity.
    pub fn new(code: Code, span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity(),
            message: message.into(),
            span,
            help: None,
            labels: Vec::new(),
        }
    }

    /// Adds help text.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Range<usize>, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// 1-based line and column (in characters) of the span's start in `source`. A span past
    /// the end or inside a character is clamped to a valid position.
    pub fn line_col(&self, source: &str) -> (usize, usize) {
        line_col(source, self.span.start)
    }

    /// The diagnostic as rustc writes one:
    ///
    /// ```text
    /// error[E0008]: unknown name `rsx`
    ///  --> rule:1:1
    ///   |
    /// 1 | rsx(14) < 30
    ///   | ^^^
    ///   |
    ///   = help: did you mean `rsi`?
    /// ```
    pub fn render(&self, source: &str, file_name: &str) -> String {
        let (line, col) = self.line_col(source);
        let mut spans: Vec<(&Range<usize>, &str, char)> = vec![(&self.span, "", '^')];
        spans.extend(
            self.labels
                .iter()
                .map(|l| (&l.span, l.message.as_str(), '-')),
        );
        let width = spans
            .iter()
            .map(|(span, _, _)| line_col(source, span.start).0.to_string().len())
            .max()
            .unwrap_or(1);
        let pad = " ".repeat(width);
        let mut out = format!("{self}\n{pad}--> {file_name}:{line}:{col}\n{pad} |\n");
        // In line order, the primary span first on its line; a line is shown once.
        spans.sort_by_key(|(span, _, mark)| (line_col(source, span.start).0, *mark != '^'));
        let mut shown = 0;
        for (span, note, mark) in spans {
            let (line, col) = line_col(source, span.start);
            let text = source.lines().nth(line - 1).unwrap_or("");
            let underline = underline_width(text, col, source, span);
            if line != shown {
                if shown != 0 && line > shown + 1 {
                    out.push_str("...\n");
                }
                out.push_str(&format!("{line:>width$} | {text}\n"));
                shown = line;
            }
            let mut marks = format!(
                "{pad} | {}{}",
                " ".repeat(col - 1),
                mark.to_string().repeat(underline)
            );
            if !note.is_empty() {
                marks.push(' ');
                marks.push_str(note);
            }
            out.push_str(marks.trim_end());
            out.push('\n');
        }
        if let Some(help) = &self.help {
            out.push_str(&format!("{pad} |\n{pad} = help: {help}\n"));
        }
        out
    }
}

/// How many carets underline `span` starting at 1-based character column `col` of `text`:
/// the span's characters on that line, at least one.
fn underline_width(text: &str, col: usize, source: &str, span: &Range<usize>) -> usize {
    let start = floor_char(source, span.start);
    let end = floor_char(source, span.end.max(span.start));
    let chars = source[start..end]
        .chars()
        .take_while(|c| *c != '\n')
        .count();
    let rest = text.chars().count().saturating_sub(col - 1);
    chars.min(rest).max(1)
}

/// The largest char boundary of `source` at or before `at` (clamped to its length).
fn floor_char(source: &str, at: usize) -> usize {
    let mut at = at.min(source.len());
    while !source.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// 1-based line and character column of byte offset `at`.
fn line_col(source: &str, at: usize) -> (usize, usize) {
    let at = floor_char(source, at);
    let before = &source[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, source[line_start..at].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_numbered_in_order() {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let errors: Vec<&&str> = names.iter().filter(|n| n.starts_with('E')).collect();
        for (i, name) in errors.iter().enumerate() {
            assert_eq!(**name, format!("E{:04}", i + 1));
        }
        let warnings: Vec<&&str> = names.iter().filter(|n| n.starts_with('W')).collect();
        for (i, name) in warnings.iter().enumerate() {
            assert_eq!(**name, format!("W{:04}", i + 1));
        }
    }

    #[test]
    fn renders_like_rustc() {
        let source = "let a = 1\nrsx(14) < 30\n";
        let d = Diagnostic::new(Code::UnknownName, 10..13, "unknown name `rsx`")
            .with_help("did you mean `rsi`?");
        let want = "error[E0008]: unknown name `rsx`\n --> rule:2:1\n  |\n2 | rsx(14) < 30\n  \
                    | ^^^\n  |\n  = help: did you mean `rsi`?\n";
        assert_eq!(d.render(source, "rule"), want);
    }

    #[test]
    fn renders_spans_at_the_end_and_labels() {
        let source = "close >";
        let d = Diagnostic::new(Code::UnexpectedToken, 7..7, "expected an expression")
            .with_label(0..5, "left operand");
        let text = d.render(source, "r");
        assert!(text.contains("1 | close >\n  |        ^\n"), "{text}");
        assert!(text.contains("  | ----- left operand\n"), "{text}");
    }

    #[test]
    fn positions_count_characters_and_clamp() {
        let source = "é < 1\nx";
        assert_eq!(line_col(source, 2), (1, 2));
        assert_eq!(line_col(source, 3), (1, 3));
        assert_eq!(line_col(source, 1), (1, 1));
        assert_eq!(line_col(source, 100), (2, 2));
    }

    #[test]
    fn serialises_code_severity_and_span() {
        let d = Diagnostic::new(Code::UnusedBinding, 4..5, "unused");
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["code"], "W0001");
        assert_eq!(json["severity"], "warning");
        assert_eq!(json["span"]["start"], 4);
        assert_eq!(json["span"]["end"], 5);
    }
}
