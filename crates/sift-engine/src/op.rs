//! The operations the engine evaluates, with inputs as indices of earlier nodes.

use std::sync::Arc;

use sift_indicators::structure::DivergenceKind;
use sift_indicators::{Source, Spec};
use sift_rules::program::{BinaryOp, TickerField, UnaryOp};

/// One node's operation. Inputs are node indices (plan-wide in a `Plan`, local in a `Kernel`),
/// always smaller than the node's own.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// A constant (Bools as 1.0 and 0.0).
    Const(f64),
    Series(Source),
    Ticker(TickerField),
    /// An indicator instance. Its own value is 1.0 when it produced outputs at this bar, else
    /// undefined; [`Op::Field`] nodes read the outputs.
    Indicator {
        spec: Arc<Spec>,
        source: Option<u32>,
    },
    /// Output `field` of instance `instance`; Bool outputs (candle patterns) become 1.0/0.0.
    Field {
        instance: u32,
        field: u32,
        boolean: bool,
    },
    History {
        of: u32,
        bars: u32,
    },
    Sample {
        of: u32,
    },
    Unary(UnaryOp, u32),
    Binary(BinaryOp, u32, u32),
    Sum {
        of: u32,
        bars: u32,
    },
    Count {
        of: u32,
        bars: u32,
    },
    BarsSince {
        cond: u32,
        max: u32,
    },
    Divergence {
        kind: DivergenceKind,
        price: u32,
        oscillator: u32,
        lookback: u32,
        min_sep: u32,
    },
}

impl Op {
    /// The nodes this one reads.
    pub(crate) fn inputs(&self) -> impl Iterator<Item = u32> {
        let (a, b) = match *self {
            Op::Const(_) | Op::Series(_) | Op::Ticker(_) => (None, None),
            Op::Indicator { source, .. } => (source, None),
            Op::Field { instance: a, .. }
            | Op::History { of: a, .. }
            | Op::Sample { of: a }
            | Op::Unary(_, a)
            | Op::Sum { of: a, .. }
            | Op::Count { of: a, .. }
            | Op::BarsSince { cond: a, .. } => (Some(a), None),
            Op::Binary(_, a, b)
            | Op::Divergence {
                price: a,
                oscillator: b,
                ..
            } => (Some(a), Some(b)),
        };
        a.into_iter().chain(b)
    }

    /// The same operation with every input renumbered by `f`.
    pub(crate) fn map_inputs(&self, f: impl Fn(u32) -> u32) -> Op {
        match self {
            Op::Const(_) | Op::Series(_) | Op::Ticker(_) => self.clone(),
            Op::Indicator { spec, source } => Op::Indicator {
                spec: Arc::clone(spec),
                source: source.map(&f),
            },
            Op::Field {
                instance,
                field,
                boolean,
            } => Op::Field {
                instance: f(*instance),
                field: *field,
                boolean: *boolean,
            },
            Op::History { of, bars } => Op::History {
                of: f(*of),
                bars: *bars,
            },
            Op::Sample { of } => Op::Sample { of: f(*of) },
            Op::Unary(op, a) => Op::Unary(*op, f(*a)),
            Op::Binary(op, a, b) => Op::Binary(*op, f(*a), f(*b)),
            Op::Sum { of, bars } => Op::Sum {
                of: f(*of),
                bars: *bars,
            },
            Op::Count { of, bars } => Op::Count {
                of: f(*of),
                bars: *bars,
            },
            Op::BarsSince { cond, max } => Op::BarsSince {
                cond: f(*cond),
                max: *max,
            },
            Op::Divergence {
                kind,
                price,
                oscillator,
                lookback,
                min_sep,
            } => Op::Divergence {
                kind: *kind,
                price: f(*price),
                oscillator: f(*oscillator),
                lookback: *lookback,
                min_sep: *min_sep,
            },
        }
    }

    /// Whether the node keeps state between closes beyond its value.
    pub(crate) fn has_state(&self) -> bool {
        matches!(
            self,
            Op::Indicator { .. } | Op::BarsSince { .. } | Op::Divergence { .. }
        )
    }

    /// How many past values (besides the current one) this op reads of each input that needs
    /// history: `(input, bars)`.
    pub(crate) fn history_need(&self) -> Option<(u32, u32)> {
        match *self {
            Op::History { of, bars } => Some((of, bars)),
            Op::Sum { of, bars } | Op::Count { of, bars } => Some((of, bars.saturating_sub(1))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_and_renumbering() {
        let op = Op::Binary(BinaryOp::Add, 3, 5);
        assert_eq!(op.inputs().collect::<Vec<_>>(), [3, 5]);
        let moved = op.map_inputs(|i| i * 10);
        assert_eq!(moved.inputs().collect::<Vec<_>>(), [30, 50]);
        assert_eq!(Op::Const(1.0).inputs().count(), 0);
        let spec = Arc::new(Spec::parse("sma(20)").unwrap());
        let ind = Op::Indicator {
            spec,
            source: Some(2),
        };
        assert_eq!(ind.map_inputs(|i| i + 1).inputs().collect::<Vec<_>>(), [3]);
        assert_eq!(Op::Sum { of: 4, bars: 10 }.history_need(), Some((4, 9)));
        assert_eq!(Op::History { of: 4, bars: 2 }.history_need(), Some((4, 2)));
        assert_eq!(Op::Sample { of: 4 }.history_need(), None);
        assert!(ind.has_state() && !Op::Sample { of: 4 }.has_state());
    }
}
