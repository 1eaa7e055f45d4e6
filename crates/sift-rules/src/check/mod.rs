//! The checker: a parsed [`Rule`](crate::ast::Rule) to a [`Program`], or every problem found.
//!
//! - [`lower`]: walks the syntax tree per timeframe, resolves names, checks types.
//! - [`nodes`]: creates nodes (shared when identical) and tracks their warm-up.
//! - [`call`] and [`indicator`]: arguments of builtins and of registry indicators.
//! - [`names`]: what a name means, and "did you mean" suggestions.
//! - [`warmup`]: measures indicator warm-up on a synthetic candle stream.
//! - [`finish`]: prunes unused nodes and computes what the program needs.
//!
//! # Warm-up
//! Each node has a *ready* count: the number of closed candles of its timeframe after which
//! its value can first be defined. Candle series and ticker values: 1. `x[n]`: ready(x) + n.
//! Arithmetic, comparisons, logic: the maximum of the operands. An indicator reading candles:
//! the 1-based index of the first candle at which it reports a value when built from its spec
//! and fed a deterministic random walk (see [`warmup`]), which is exact for every registry
//! indicator because readiness depends only on the count of candles, not their values. An
//! indicator on a derived series: ready(source) + its own - 1. `sum`/`count` over n bars:
//! ready(x) + n - 1. `bars_since(c, max)`: ready(c) + max. `divergence`: the later input's
//! ready + lookback. A sample `x @ tf`: 1 (its input's needs count on `tf`). A timeframe's
//! warm-up is the largest ready count of its nodes; more than
//! [`CheckOptions::max_history`] is error `E0019`.

mod call;
mod finish;
mod indicator;
mod lower;
mod names;
mod nodes;
mod warmup;

use sift_core::Interval;

pub(crate) use lower::Lowerer;

use crate::diagnostic::{Code, Diagnostic};
use crate::parser::parse;
use crate::program::{NodeId, Program};

/// Longest rule text accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 10_000;
/// Most nodes a rule may create while being checked (before unused ones are dropped).
pub const MAX_NODES: usize = 1_000;
/// Most distinct indicator instances (spec and source) in one rule.
pub const MAX_INDICATORS: usize = 64;
/// The default [`CheckOptions::max_history`]: bars Sift keeps per symbol and interval.
pub const DEFAULT_MAX_HISTORY: u32 = 1_000;

/// What a rule is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    /// The trader's interval: the rule is evaluated at each close of it.
    pub interval: Interval,
    /// The most closed candles of any one timeframe a rule may need (its warm-up); capped at
    /// `sift_indicators::MAX_PERIOD`.
    pub max_history: u32,
}

impl CheckOptions {
    /// Options for a trader on `interval` with the default history limit.
    pub fn new(interval: Interval) -> Self {
        Self {
            interval,
            max_history: DEFAULT_MAX_HISTORY,
        }
    }
}

impl Default for CheckOptions {
    /// A 1m trader with the default history limit.
    fn default() -> Self {
        Self::new(Interval::M1)
    }
}

/// A problem was reported as a diagnostic; the caller skips what depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reported;

/// The result of lowering an expression.
pub(crate) type Lowered = Result<NodeId, Reported>;

/// Checks `source` as a rule for a trader with `options`.
///
/// Returns the program with any warnings in [`Program::warnings`], or every error and warning
/// found, sorted by position. Never panics; the work done is bounded by the limits above.
pub fn check(source: &str, options: &CheckOptions) -> Result<Program, Vec<Diagnostic>> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(vec![
            Diagnostic::new(
                Code::SourceTooLong,
                MAX_SOURCE_BYTES..source.len(),
                format!(
                    "the rule is {} bytes long; the limit is {MAX_SOURCE_BYTES}",
                    source.len()
                ),
            )
            .with_help("split the idea into several traders"),
        ]);
    }
    let rule = parse(source).map_err(|d| vec![d])?;
    let mut lowerer = Lowerer::new(source, options, &rule);
    let root = lowerer.lower_rule();
    finish::finish(lowerer, root)
}

#[cfg(test)]
mod tests;
