//! Sift's rule language: source text to a checked [`Program`].
//!
//! ```text
//! source ─ lexer ─▶ tokens ─ parser ─▶ ast::Rule ─ check ─▶ Program (typed node DAG)
//! ```
//!
//! - [`check()`] is the entry point: it returns the [`Program`] the engine runs, or every
//!   [`Diagnostic`] found (stable codes, byte spans, help), which [`Diagnostic::render`] writes
//!   like rustc and serde writes as JSON.
//! - [`program`] defines the IR and the value semantics (undefined values, timeframes).
//! - [`builtins`] holds the built-in functions, one file each; indicators and candle patterns
//!   come from `sift_indicators::registry`.
//! - [`reference_markdown`] generates `docs/rules.md` from both registries.
//! - [`explain()`] writes a checked program in plain English, one sentence per condition.
//!
//! Pure: no IO, no clock. Checking is bounded by [`MAX_SOURCE_BYTES`], the parser's
//! [`parser::MAX_DEPTH`], [`MAX_NODES`] and [`MAX_INDICATORS`].

pub mod ast;
pub mod builtins;
mod check;
pub mod diagnostic;
pub mod explain;
mod lexer;
mod listing;
pub mod parser;
pub mod program;
mod reference;

pub use check::{
    CheckOptions, DEFAULT_MAX_HISTORY, MAX_INDICATORS, MAX_NODES, MAX_SOURCE_BYTES, check,
};
pub use diagnostic::{Code, Diagnostic, Label, Severity};
pub use explain::{Combinator, Condition, Explanation, explain};
pub use program::{
    BinaryOp, Node, NodeId, NodeKind, Program, Reference, TickerField, Type, UnaryOp, WindowFunc,
    spec_text,
};
pub use reference::reference_markdown;
