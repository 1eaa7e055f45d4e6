//! Human-readable views of a [`Program`]: a short summary of what it needs (for `sift check`)
//! and a full listing of its nodes, one per line (for tests and debugging).

use std::fmt::{self, Write};

use sift_core::Interval;
use sift_indicators::Spec;

use crate::program::{BinaryOp, NodeId, NodeKind, Program, UnaryOp, WindowFunc, spec_text};

impl Program {
    /// What the rule needs: timeframes, warm-up per timeframe and indicator instances.
    ///
    /// ```text
    /// timeframes: 1m 1h
    /// warm-up: 1m 20 bars, 1h 200 bars
    /// indicators: rsi(close, 14) @ 1m, ema(close, 200) @ 1h
    /// ```
    pub fn summary(&self) -> String {
        let timeframes: Vec<String> = self.timeframes.iter().map(|t| t.to_string()).collect();
        let warmup: Vec<String> = self
            .warmup
            .iter()
            .map(|(tf, bars)| format!("{tf} {bars} bars"))
            .collect();
        let indicators: Vec<String> = self
            .indicator_labels()
            .into_iter()
            .map(|(tf, label)| format!("{label} @ {tf}"))
            .collect();
        let indicators = if indicators.is_empty() {
            "none".to_owned()
        } else {
            indicators.join(", ")
        };
        format!(
            "timeframes: {}\nwarm-up: {}\nindicators: {indicators}\n",
            timeframes.join(" "),
            warmup.join(", ")
        )
    }

    /// Every distinct indicator instance as `(timeframe, text)`, in node order: `sma(close,
    /// 20)`, or with a derived source as the rule wrote it where the rule referenced it
    /// (`highest(rsi(14), 5)`), else as its node id (`%3`).
    pub fn indicator_labels(&self) -> Vec<(Interval, String)> {
        self.indicators()
            .into_iter()
            .map(|(tf, spec, source)| {
                let source = source.map(|id| {
                    self.references
                        .iter()
                        .find(|r| r.node == id)
                        .map_or_else(|| id.to_string(), |r| r.text.clone())
                });
                (tf, indicator_text(spec, source))
            })
            .collect()
    }

    /// One node as an instruction: `sma(close, 20)`, `%3 > %5`, `%2[1]`, `%4 @ 1h`.
    pub fn describe(&self, id: NodeId) -> String {
        let node = self.node(id);
        match &node.kind {
            NodeKind::Number(x) => x.to_string(),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Series(s) => s.name().to_owned(),
            NodeKind::Ticker(t) => t.name().to_owned(),
            NodeKind::Indicator {
                spec,
                field,
                source,
            } => {
                let mut text = indicator_text(spec, source.map(|id| id.to_string()));
                if let Some(f) = spec.def().fields.get(*field) {
                    let _ = write!(text, ".{f}");
                }
                text
            }
            NodeKind::History { of, bars } => format!("{of}[{bars}]"),
            NodeKind::Sample { of } => format!("{of} @ {}", self.node(*of).timeframe),
            NodeKind::Unary(UnaryOp::Neg, x) => format!("-{x}"),
            NodeKind::Unary(UnaryOp::Abs, x) => format!("abs({x})"),
            NodeKind::Unary(UnaryOp::Not, x) => format!("not {x}"),
            NodeKind::Binary(op @ (BinaryOp::Min | BinaryOp::Max), a, b) => {
                format!("{}({a}, {b})", op.symbol())
            }
            NodeKind::Binary(op, a, b) => format!("{a} {} {b}", op.symbol()),
            NodeKind::Window { func, of, bars } => {
                let name = match func {
                    WindowFunc::Sum => "sum",
                    WindowFunc::Count => "count",
                };
                format!("{name}({of}, {bars})")
            }
            NodeKind::BarsSince { cond, max } => format!("bars_since({cond}, {max})"),
            NodeKind::Divergence {
                kind,
                price,
                oscillator,
                lookback,
                min_sep,
            } => format!(
                "divergence({}, {price}, {oscillator}, {lookback}, {min_sep})",
                kind.name()
            ),
        }
    }
}

/// `spec_text(spec)`, or for a derived source the spec with the node it reads in place of the
/// (unused) source series: `sma(%3, 20)`.
/// An indicator instance as text, with a derived source written as `source` gives it.
fn indicator_text(spec: &Spec, source: Option<String>) -> String {
    let Some(source) = source else {
        return spec_text(spec);
    };
    let def = spec.def();
    let mut args = vec![source];
    args.extend(
        def.params
            .iter()
            .zip(spec.args().values())
            .map(|(p, v)| p.display_value(*v)),
    );
    format!("{}({})", def.name, args.join(", "))
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "%{}", self.0)
    }
}

/// The summary, every node (`%i = ...  timeframe type`, with `keep n` when past values are
/// kept), the root, bindings and references.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())?;
        writeln!(f, "nodes:")?;
        for (i, node) in self.nodes.iter().enumerate() {
            let id = NodeId(i as u32);
            let mut line = format!("  {id} = {}", self.describe(id));
            let pad = 40usize.saturating_sub(line.chars().count()).max(1);
            let _ = write!(line, "{}{} {}", " ".repeat(pad), node.timeframe, node.ty);
            if let Some(keep) = self.history.get(i).filter(|k| **k > 0) {
                let _ = write!(line, " keep {keep}");
            }
            writeln!(f, "{line}")?;
        }
        writeln!(f, "root: {}", self.root)?;
        for (name, id) in &self.bindings {
            writeln!(f, "let {name} = {id}")?;
        }
        for r in &self.references {
            writeln!(f, "ref {:?} = {}", r.text, r.node)?;
        }
        Ok(())
    }
}
