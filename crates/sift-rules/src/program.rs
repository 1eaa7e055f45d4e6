//! The checked rule: a typed DAG of series nodes, the contract between the rule language and
//! the engine.
//!
//! # Model
//! Every node is a *series*: it has one value per closed candle of its [`Node::timeframe`].
//! The engine evaluates the nodes of one timeframe in index order at each close of that
//! timeframe; [`Program::nodes`] is topological (a node only references smaller ids), so one
//! forward pass suffices. The root ([`Program::root`]) lives on the trader's interval
//! ([`Program::interval`]) and is the rule.
//!
//! # Values
//! A node's value at a bar is either defined or **undefined**; NaN never leaks out of a node:
//! - Undefined arises from warm-up (an indicator not ready yet), not enough history (`x[5]`
//!   on the third bar), division by zero, a non-finite arithmetic result, a non-finite
//!   indicator output (the volume profile writes NaN where there is no node), and a missing
//!   ticker value.
//! - Arithmetic (`+ - * /`, negation, `abs`, `min`, `max`) with an undefined operand is
//!   undefined. A result that is not finite (overflow, `x / 0`) is undefined.
//! - Comparisons (`< <= > >= == !=`) with an undefined operand are **false**. `==` and `!=`
//!   compare exactly.
//! - **Bool values are never undefined**: where a Bool would be undefined (a candle pattern
//!   warming up, `c[1]` on the first bar, a sample before the first candle of its timeframe)
//!   it is false. So `and`, `or` and `not` are plain boolean logic, and the rule is true only
//!   when everything it compares is defined (`not (x > 1)` is true while `x` is undefined,
//!   exactly as `x <= 1` is false: write the comparison you mean).
//!
//! Booleans are Bool-typed nodes; the checker never mixes types (no arithmetic on Bool, no
//! `and` on Number), so an engine may store a Bool as `1.0`/`0.0` (candle patterns write
//! `1.0`/`0.0`; any non-zero output of a Bool indicator means true).
//!
//! # Timeframes
//! `x @ 1h` is a [`NodeKind::Sample`] node: a node of the context timeframe reading a node of
//! another timeframe. At each close of the context timeframe its value is the value of `of` at
//! the newest candle of `of`'s timeframe that closed at or before that close (so never a
//! forming candle: no look-ahead); undefined while no such candle exists. The checker never
//! emits a sample whose two timeframes are equal (`close @ 1m` in a 1m rule is just `close`).

use std::fmt;
use std::ops::Range;

use sift_core::Interval;
use sift_indicators::{Source, Spec};

use crate::diagnostic::Diagnostic;

/// Index of a node in [`Program::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The index into [`Program::nodes`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The type of a node's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    Number,
    Bool,
}

impl Type {
    pub fn name(self) -> &'static str {
        match self {
            Type::Number => "number",
            Type::Bool => "bool",
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A 24 h rolling ticker value of the symbol (`sift_core::Ticker`), read as of the close being
/// evaluated. It has no history of its own: `price[1]` is the value seen at the previous close
/// of the node's timeframe. Undefined when the engine has no ticker for the symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TickerField {
    /// `price`: the last trade price.
    Price,
    /// `change_pct_24h`: price change over 24 h in percent (undefined when the open price is 0).
    ChangePct24h,
    /// `high_24h`.
    High24h,
    /// `low_24h`.
    Low24h,
    /// `volume_24h`: base asset volume.
    Volume24h,
    /// `quote_volume_24h`: quote asset volume.
    QuoteVolume24h,
}

impl TickerField {
    /// Every field, in documentation order.
    pub const ALL: [TickerField; 6] = [
        TickerField::Price,
        TickerField::ChangePct24h,
        TickerField::High24h,
        TickerField::Low24h,
        TickerField::Volume24h,
        TickerField::QuoteVolume24h,
    ];

    /// The name the rule language uses.
    pub fn name(self) -> &'static str {
        match self {
            TickerField::Price => "price",
            TickerField::ChangePct24h => "change_pct_24h",
            TickerField::High24h => "high_24h",
            TickerField::Low24h => "low_24h",
            TickerField::Volume24h => "volume_24h",
            TickerField::QuoteVolume24h => "quote_volume_24h",
        }
    }

    /// The field with this rule-language name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A one-operand operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x` (Number).
    Neg,
    /// `abs(x)` (Number).
    Abs,
    /// `not c` (Bool).
    Not,
}

/// A two-operand operation. Operand and result types: arithmetic and `Min`/`Max` take and
/// give Number; comparisons take Numbers and give Bool; `And`/`Or` take and give Bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// Undefined when the divisor is 0 (or the quotient is not finite).
    Div,
    /// `min(a, b)`.
    Min,
    /// `max(a, b)`.
    Max,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinaryOp {
    /// The operator as written in rules (`min`/`max` as function names).
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Min => "min",
            BinaryOp::Max => "max",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }

    /// A comparison of two Numbers giving a Bool.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne
        )
    }
}

/// A function over the last `bars` values of a node, the current one included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowFunc {
    /// Sum of the last `bars` values (Number); undefined when any of them is undefined.
    Sum,
    /// How many of the last `bars` values (Bool) were true, as a Number (always defined; bars
    /// before the first count as false).
    Count,
}

/// What a node computes. Operands are [`NodeId`]s of earlier nodes.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A constant Number (always defined and finite).
    Number(f64),
    /// A constant Bool.
    Bool(bool),
    /// A candle series of the node's timeframe (`close`, `hl2`, ...).
    Series(Source),
    /// A 24 h ticker value.
    Ticker(TickerField),
    /// Output `field` (index into `spec.def().fields`, 0 for single-output indicators) of an
    /// indicator built with [`Spec::build`], fed each candle of the node's timeframe.
    ///
    /// `source: None`: the indicator reads candles (or `spec.args().source()`) itself.
    /// `source: Some(id)`: a derived series (`sma(obv(), 20)`, `highest(rsi(14), 10)`); the
    /// engine passes node `id`'s value as `DynIndicator::update`'s `source`, and passes NaN
    /// when that value is undefined, which the indicator skips as if the bar never happened
    /// (so the window then spans the last n *defined* values). `id` is a Number node of the
    /// same timeframe and the indicator reads one series (`spec.def().source` is `Some`).
    ///
    /// The indicator instance is shared by every node with the same `(spec, source,
    /// timeframe)`: nodes differing only in `field` read one instance. The node is Bool for
    /// candle patterns (category `Pattern`), Number otherwise; a non-finite output is
    /// undefined.
    Indicator {
        spec: Spec,
        field: usize,
        source: Option<NodeId>,
    },
    /// `of[bars]`: the value of `of` `bars` closes ago (of the same timeframe); `bars >= 1`.
    /// Undefined before that many bars exist.
    History {
        of: NodeId,
        bars: u32,
    },
    /// `x @ tf`: reads `of` (of another timeframe) in this node's timeframe; see the module
    /// doc. Same type as `of`.
    Sample {
        of: NodeId,
    },
    Unary(UnaryOp, NodeId),
    Binary(BinaryOp, NodeId, NodeId),
    /// A rolling function of the last `bars` (>= 1) values of `of`.
    Window {
        func: WindowFunc,
        of: NodeId,
        bars: u32,
    },
    /// Bars since `cond` (Bool) was last true: 0 when it is true now. Undefined when it has
    /// not been true within the last `max` bars (`max + 1` values including the current one),
    /// so the result never depends on history older than the warm-up.
    BarsSince {
        cond: NodeId,
        max: u32,
    },
    /// Regular divergence (Bool) computed by `sift_indicators::structure::Divergence` fed
    /// `(price, oscillator)` at each bar where both are defined; false while it warms up.
    Divergence {
        kind: sift_indicators::structure::DivergenceKind,
        price: NodeId,
        oscillator: NodeId,
        lookback: u32,
        min_sep: u32,
    },
}

impl NodeKind {
    /// The nodes this one reads, in a fixed order.
    pub fn inputs(&self) -> Vec<NodeId> {
        match *self {
            NodeKind::Number(_) | NodeKind::Bool(_) | NodeKind::Series(_) | NodeKind::Ticker(_) => {
                Vec::new()
            }
            NodeKind::Indicator { source, .. } => source.into_iter().collect(),
            NodeKind::History { of, .. }
            | NodeKind::Sample { of }
            | NodeKind::Unary(_, of)
            | NodeKind::Window { of, .. }
            | NodeKind::BarsSince { cond: of, .. } => vec![of],
            NodeKind::Binary(_, a, b) => vec![a, b],
            NodeKind::Divergence {
                price, oscillator, ..
            } => vec![price, oscillator],
        }
    }
}

/// One series of the rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    /// The candles this node has one value per. Equal to its inputs' timeframes, except for
    /// [`NodeKind::Sample`], whose input has another timeframe.
    pub timeframe: Interval,
    pub ty: Type,
}

/// Something the rule mentions that a signal snapshot should show: an indicator output, a
/// candle series or a ticker value, with the source text that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The text as written in the rule (whitespace runs collapsed to one space), including a
    /// directly following `.field` and `@ tf` (`rsi(14)`, `close @ 1h`,
    /// `macd(12, 26, 9).hist`). Inside a `let` evaluated on another timeframe (`trend @ 1h`)
    /// ` @ tf` is appended (`ema(200) @ 1h`). Distinct within a program; ordered by position.
    pub text: String,
    /// Byte range of the first occurrence in the source.
    pub span: Range<usize>,
    /// The node giving the value: for `x @ tf` the [`NodeKind::Sample`] on the context
    /// timeframe, otherwise the node itself (whose timeframe is the one the text was
    /// evaluated on). Its latest value is the value to show.
    pub node: NodeId,
}

/// A checked rule, ready for the engine.
#[derive(Debug, Clone)]
pub struct Program {
    /// The rule text it was checked from.
    pub source: String,
    /// The trader's interval: the root's timeframe.
    pub interval: Interval,
    /// Topologically ordered; identical sub-expressions share one node (same kind and
    /// timeframe), so there are no duplicates.
    pub nodes: Vec<Node>,
    /// The rule, a Bool node on [`Program::interval`].
    pub root: NodeId,
    /// `let` names and their nodes, in declaration order.
    pub bindings: Vec<(String, NodeId)>,
    /// Every indicator output, series and ticker value the rule referenced, first occurrence
    /// first.
    pub references: Vec<Reference>,
    /// Every timeframe a node lives on, shortest first; always includes `interval`.
    pub timeframes: Vec<Interval>,
    /// Per timeframe (same order as `timeframes`): closed candles that must have been fed
    /// before every node of that timeframe can be defined (at least 1). Feeding this many
    /// stored candles before going live gives the same values as a replay from the beginning
    /// (except for indicators with unbounded memory such as `obv`, EMAs, VWAP, whose values
    /// depend on where they start; these are ready after their structural warm-up).
    pub warmup: Vec<(Interval, u32)>,
    /// Per node (index = [`NodeId`]): how many past values, besides the current one, the
    /// engine must keep for [`NodeKind::History`] and [`NodeKind::Window`] readers (0 for most).
    pub history: Vec<u32>,
    /// Warnings found while checking (the program is still valid).
    pub warnings: Vec<Diagnostic>,
}

impl Program {
    /// The node with this id.
    ///
    /// # Panics
    /// When `id` does not belong to this program.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    /// The warm-up of `timeframe` in bars, 0 when the rule does not use it.
    pub fn warmup_of(&self, timeframe: Interval) -> u32 {
        self.warmup
            .iter()
            .find(|(tf, _)| *tf == timeframe)
            .map_or(0, |(_, bars)| *bars)
    }

    /// Every distinct indicator instance the rule needs: `(timeframe, spec, source)`, in node
    /// order (several outputs of one instance are listed once).
    pub fn indicators(&self) -> Vec<(Interval, &Spec, Option<NodeId>)> {
        let mut out: Vec<(Interval, &Spec, Option<NodeId>)> = Vec::new();
        for node in &self.nodes {
            if let NodeKind::Indicator { spec, source, .. } = &node.kind {
                let entry = (node.timeframe, spec, *source);
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
        }
        out
    }
}

/// The canonical text of an indicator spec, every parameter written out and the source series
/// first for indicators that read one: `sma(close, 20)`, `macd(close, 12, 26, 9)`, `obv()`,
/// `vwap(day)`. Two specs are equal exactly when their texts are, so it serves as a hash key.
pub fn spec_text(spec: &Spec) -> String {
    let def = spec.def();
    let mut parts: Vec<String> = Vec::new();
    if def.source.is_some() {
        parts.push(spec.args().source().name().to_owned());
    }
    for (param, value) in def.params.iter().zip(spec.args().values()) {
        parts.push(param.display_value(*value));
    }
    format!("{}({})", def.name, parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_text_writes_every_argument() {
        let text = |s: &str| spec_text(&Spec::parse(s).unwrap());
        assert_eq!(text("sma(volume, 20)"), "sma(volume, 20)");
        assert_eq!(text("macd"), "macd(close, 12, 26, 9)");
        assert_eq!(text("bb(20, mult=2.5)"), "bb(close, 20, 2.5)");
        assert_eq!(text("obv"), "obv()");
        assert_eq!(text("vwap(week)"), "vwap(week)");
    }

    #[test]
    fn ticker_fields_round_trip_their_names() {
        for field in TickerField::ALL {
            assert_eq!(TickerField::from_name(field.name()), Some(field));
        }
        assert_eq!(TickerField::from_name("close"), None);
    }
}
