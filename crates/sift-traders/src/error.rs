//! Errors from reading and validating trader definitions.

use sift_rules::Diagnostic;

/// Why a trader definition was rejected.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{path}: cannot read: {error}")]
    Io { path: String, error: std::io::Error },
    /// The TOML is malformed or has a field of the wrong type, or an unknown field.
    #[error("{path}:{line}:{column}: {message}")]
    Toml {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A setting is out of range.
    #[error("{path}: {field}: {message}")]
    Invalid {
        path: String,
        field: &'static str,
        message: String,
    },
    /// The rule does not check; the diagnostics say why, with spans into `rule`.
    #[error("{path}: the rule has {} error(s)", .diagnostics.len())]
    Rule {
        path: String,
        rule: String,
        diagnostics: Vec<Diagnostic>,
    },
}
