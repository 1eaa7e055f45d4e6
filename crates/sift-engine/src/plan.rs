//! The shared plan: every enabled trader's program merged into one DAG of distinct nodes.
//!
//! Nodes are hash-consed by [`NodeKey`]: an indicator instance (timeframe, spec, source) or a
//! sub-expression used by many traders is one plan node. Nodes are per timeframe, not per
//! symbol; each symbol instantiates the part of the plan its traders use (a
//! [`Kernel`](crate::kernel::Kernel)).

use std::collections::HashMap;
use std::sync::Arc;

use sift_core::{Interval, Symbol};
use sift_indicators::structure::Divergence;
use sift_rules::program::{NodeId, NodeKind, Program, Type, WindowFunc, spec_text};

use crate::key::{Interner, KeyId, KeyKind, NodeKey, canonical_binary};
use crate::op::Op;
use crate::value::from_bool;
use crate::{Error, SymbolFilter, Trader, TraderId};

/// One distinct node.
#[derive(Debug, Clone)]
pub(crate) struct PlanNode {
    pub(crate) key: KeyId,
    pub(crate) interval: Interval,
    pub(crate) op: Op,
    /// Past values to keep besides the current one, for history and window readers.
    pub(crate) keep: u32,
}

/// What a match needs to know about its trader, shared by every kernel that runs it.
#[derive(Debug)]
pub(crate) struct TraderInfo {
    pub(crate) id: TraderId,
    pub(crate) interval: Interval,
    pub(crate) rule_hash: u64,
    pub(crate) cooldown_bars: u32,
    /// The text of every reference, for match values, shared by the trader's matches.
    pub(crate) names: Arc<[Arc<str>]>,
    /// The plan node of each reference, parallel to `names`.
    pub(crate) references: Vec<u32>,
}

impl TraderInfo {
    /// Signal state carries over a rebuild only to the same trader with the same rule.
    pub(crate) fn state_key(&self) -> (TraderId, u64, Interval) {
        (self.id, self.rule_hash, self.interval)
    }
}

/// One enabled trader compiled into the plan.
#[derive(Debug)]
pub(crate) struct PlanTrader {
    pub(crate) info: Arc<TraderInfo>,
    pub(crate) trader: Trader,
    pub(crate) root: u32,
    /// Every plan node the trader uses, ascending (closed under inputs).
    pub(crate) nodes: Vec<u32>,
}

/// Every enabled trader, compiled. Nodes are topological (inputs first); traders by id.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) nodes: Vec<PlanNode>,
    pub(crate) traders: Vec<PlanTrader>,
    /// The traders (indices, ascending) screening every symbol.
    pub(crate) everywhere: Vec<u32>,
    /// The traders (indices, ascending) screening a list of symbols, by listed symbol.
    pub(crate) listed: HashMap<Symbol, Vec<u32>>,
}

impl Plan {
    /// Compiles the enabled traders. Keys come from `interner`, which outlives plans so that
    /// unchanged nodes keep their keys.
    pub(crate) fn compile(traders: &[Trader], interner: &mut Interner) -> Result<Plan, Error> {
        let mut enabled: Vec<&Trader> = traders.iter().filter(|t| t.enabled).collect();
        enabled.sort_by_key(|t| t.id);
        let mut builder = Builder {
            nodes: Vec::new(),
            index: HashMap::new(),
            interner,
        };
        let traders = enabled
            .into_iter()
            .map(|t| builder.trader(t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut nodes = builder.nodes;
        for i in 0..nodes.len() {
            if let Some((of, bars)) = nodes[i].op.history_need() {
                let keep = &mut nodes[of as usize].keep;
                *keep = (*keep).max(bars);
            }
        }
        let mut everywhere = Vec::new();
        let mut listed: HashMap<Symbol, Vec<u32>> = HashMap::new();
        for (i, t) in traders.iter().enumerate() {
            match &t.trader.symbols {
                SymbolFilter::All => everywhere.push(i as u32),
                SymbolFilter::List(symbols) => {
                    for symbol in symbols {
                        let ids = listed.entry(symbol.clone()).or_default();
                        // A symbol listed twice is still screened once.
                        if ids.last() != Some(&(i as u32)) {
                            ids.push(i as u32);
                        }
                    }
                }
            }
        }
        Ok(Plan {
            nodes,
            traders,
            everywhere,
            listed,
        })
    }

    /// The traders (indices, ascending) that screen `symbol`.
    pub(crate) fn traders_of(&self, symbol: &Symbol) -> Vec<u32> {
        let listed = self.listed.get(symbol).map_or(&[][..], Vec::as_slice);
        let mut out = Vec::with_capacity(self.everywhere.len() + listed.len());
        let (mut a, mut b) = (self.everywhere.iter().peekable(), listed.iter().peekable());
        // Merge two ascending lists (a trader is in one of them only).
        while let (Some(&&x), Some(&&y)) = (a.peek(), b.peek()) {
            if x < y {
                out.push(x);
                a.next();
            } else {
                out.push(y);
                b.next();
            }
        }
        out.extend(a);
        out.extend(b);
        out
    }

    /// How many nodes are indicator instances.
    pub(crate) fn indicators(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.op, Op::Indicator { .. }))
            .count()
    }
}

struct Builder<'a> {
    nodes: Vec<PlanNode>,
    index: HashMap<KeyId, u32>,
    interner: &'a mut Interner,
}

impl Builder<'_> {
    /// The plan node for `kind` on `interval`, added when new; `op` computes it. Returns the
    /// node and whether it was new.
    fn add(&mut self, interval: Interval, kind: KeyKind, op: impl FnOnce() -> Op) -> (u32, bool) {
        let key = self.interner.intern(NodeKey { interval, kind });
        if let Some(&i) = self.index.get(&key) {
            return (i, false);
        }
        let i = self.nodes.len() as u32;
        self.nodes.push(PlanNode {
            key,
            interval,
            op: op(),
            keep: 0,
        });
        self.index.insert(key, i);
        (i, true)
    }

    fn key(&self, node: u32) -> KeyId {
        self.nodes[node as usize].key
    }

    /// Adds one trader's nodes.
    fn trader(&mut self, trader: &Trader) -> Result<PlanTrader, Error> {
        let program: &Program = &trader.program;
        if trader.interval != program.interval {
            return Err(Error::IntervalMismatch {
                trader: trader.id,
                trader_interval: trader.interval,
                rule_interval: program.interval,
            });
        }
        let malformed = |reason: String| Error::MalformedProgram {
            trader: trader.id,
            reason,
        };
        let mut map: Vec<u32> = Vec::with_capacity(program.nodes.len());
        let mut used: Vec<u32> = Vec::with_capacity(program.nodes.len() + 4);
        for (i, node) in program.nodes.iter().enumerate() {
            let input = |id: NodeId| {
                map.get(id.index()).copied().ok_or_else(|| {
                    malformed(format!("node {i} reads node {}, not an earlier one", id.0))
                })
            };
            let tf = node.timeframe;
            let (idx, _) = match &node.kind {
                NodeKind::Number(x) => self.add(tf, KeyKind::Const(x.to_bits()), || Op::Const(*x)),
                NodeKind::Bool(b) => {
                    let x = from_bool(*b);
                    self.add(tf, KeyKind::Const(x.to_bits()), || Op::Const(x))
                }
                NodeKind::Series(s) => self.add(tf, KeyKind::Series(*s), || Op::Series(*s)),
                NodeKind::Ticker(f) => self.add(tf, KeyKind::Ticker(*f), || Op::Ticker(*f)),
                NodeKind::Indicator {
                    spec,
                    field,
                    source,
                } => {
                    let source = source.map(input).transpose()?;
                    let width = spec.def().fields.len().max(1);
                    if *field >= width {
                        return Err(malformed(format!(
                            "node {i} reads output {field} of {}, which has {width}",
                            spec.def().name
                        )));
                    }
                    let kind = KeyKind::Instance {
                        spec: spec_text(spec),
                        source: source.map(|s| self.key(s)),
                    };
                    let (instance, new) = self.add(tf, kind, || Op::Indicator {
                        spec: Arc::new(spec.clone()),
                        source,
                    });
                    if new {
                        spec.build().map_err(|source| Error::Indicator {
                            trader: trader.id,
                            what: spec_text(spec),
                            source,
                        })?;
                    }
                    used.push(instance);
                    let field = *field as u32;
                    let kind = KeyKind::Field {
                        instance: self.key(instance),
                        field,
                    };
                    let boolean = node.ty == Type::Bool;
                    self.add(tf, kind, || Op::Field {
                        instance,
                        field,
                        boolean,
                    })
                }
                NodeKind::History { of, bars } => {
                    let of = input(*of)?;
                    let (kind, bars) = (
                        KeyKind::History {
                            of: self.key(of),
                            bars: *bars,
                        },
                        *bars,
                    );
                    self.add(tf, kind, || Op::History { of, bars })
                }
                NodeKind::Sample { of } => {
                    let of = input(*of)?;
                    let kind = KeyKind::Sample { of: self.key(of) };
                    self.add(tf, kind, || Op::Sample { of })
                }
                NodeKind::Unary(op, a) => {
                    let a = input(*a)?;
                    let kind = KeyKind::Unary(*op, self.key(a));
                    self.add(tf, kind, || Op::Unary(*op, a))
                }
                NodeKind::Binary(op, a, b) => {
                    let (a, b) = (input(*a)?, input(*b)?);
                    let (op, swap) = canonical_binary(*op, self.key(a), self.key(b));
                    let (a, b) = if swap { (b, a) } else { (a, b) };
                    let kind = KeyKind::Binary(op, self.key(a), self.key(b));
                    self.add(tf, kind, || Op::Binary(op, a, b))
                }
                NodeKind::Window { func, of, bars } => {
                    let of = input(*of)?;
                    let bars = (*bars).max(1);
                    let kind = KeyKind::Window(*func, self.key(of), bars);
                    self.add(tf, kind, || match func {
                        WindowFunc::Sum => Op::Sum { of, bars },
                        WindowFunc::Count => Op::Count { of, bars },
                    })
                }
                NodeKind::BarsSince { cond, max } => {
                    let cond = input(*cond)?;
                    let kind = KeyKind::BarsSince(self.key(cond), *max);
                    self.add(tf, kind, || Op::BarsSince { cond, max: *max })
                }
                NodeKind::Divergence {
                    kind,
                    price,
                    oscillator,
                    lookback,
                    min_sep,
                } => {
                    let (price, oscillator) = (input(*price)?, input(*oscillator)?);
                    let key = KeyKind::Divergence {
                        kind: *kind,
                        price: self.key(price),
                        oscillator: self.key(oscillator),
                        lookback: *lookback,
                        min_sep: *min_sep,
                    };
                    let (idx, new) = self.add(tf, key, || Op::Divergence {
                        kind: *kind,
                        price,
                        oscillator,
                        lookback: *lookback,
                        min_sep: *min_sep,
                    });
                    if new {
                        Divergence::new(*kind, *lookback as usize, *min_sep as usize).map_err(
                            |source| Error::Indicator {
                                trader: trader.id,
                                what: format!("divergence({}, ...)", kind.name()),
                                source,
                            },
                        )?;
                    }
                    (idx, new)
                }
            };
            map.push(idx);
            used.push(idx);
        }
        let root = map
            .get(program.root.index())
            .copied()
            .ok_or_else(|| malformed(format!("root {} is not a node", program.root.0)))?;
        if self.nodes[root as usize].interval != trader.interval {
            return Err(malformed(
                "the root is not on the rule's interval".to_owned(),
            ));
        }
        let references = program
            .references
            .iter()
            .map(|r| {
                map.get(r.node.index())
                    .copied()
                    .ok_or_else(|| malformed(format!("reference {:?} is not a node", r.text)))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let names = program
            .references
            .iter()
            .map(|r| Arc::from(r.text.as_str()))
            .collect();
        // The program's own history needs; the plan keeps the most any trader needs.
        for (&node, &bars) in map.iter().zip(&program.history) {
            let keep = &mut self.nodes[node as usize].keep;
            *keep = (*keep).max(bars);
        }
        used.sort_unstable();
        used.dedup();
        let info = Arc::new(TraderInfo {
            id: trader.id,
            interval: trader.interval,
            rule_hash: trader.rule_hash,
            cooldown_bars: trader.cooldown_bars,
            names,
            references,
        });
        Ok(PlanTrader {
            info,
            trader: trader.clone(),
            root,
            nodes: used,
        })
    }
}

#[cfg(test)]
mod tests {
    use sift_rules::{CheckOptions, check};

    use super::*;

    fn trader(id: u64, rule: &str) -> Trader {
        let program = check(rule, &CheckOptions::new(Interval::M1)).unwrap();
        Trader::new(TraderId(id), format!("t{id}"), Arc::new(program))
    }

    fn compile(traders: &[Trader]) -> Result<Plan, Error> {
        Plan::compile(traders, &mut Interner::default())
    }

    #[test]
    fn identical_nodes_of_different_traders_are_one() {
        let plan = compile(&[trader(2, "rsi(14) > 70"), trader(1, "rsi(14) < 30")]).unwrap();
        assert_eq!(plan.indicators(), 1);
        // instance, value, two constants, two comparisons
        assert_eq!(plan.nodes.len(), 6);
        let ids: Vec<u64> = plan.traders.iter().map(|t| t.info.id.0).collect();
        assert_eq!(ids, [1, 2]);
        for t in &plan.traders {
            assert!(t.nodes.windows(2).all(|w| w[0] < w[1]));
            assert!(t.nodes.contains(&t.root));
        }
        // Topological: every input precedes its reader.
        for (i, node) in plan.nodes.iter().enumerate() {
            assert!(node.op.inputs().all(|j| (j as usize) < i));
        }
    }

    #[test]
    fn history_readers_set_how_much_to_keep() {
        let plan = compile(&[trader(1, "close > close[3] and sum(volume, 5) > 10")]).unwrap();
        let keep_of = |source| {
            plan.nodes
                .iter()
                .find(|n| matches!(n.op, Op::Series(s) if s == source))
                .map(|n| n.keep)
        };
        assert_eq!(keep_of(sift_indicators::Source::Close), Some(3));
        assert_eq!(keep_of(sift_indicators::Source::Volume), Some(4));
    }

    #[test]
    fn the_traders_of_a_symbol_are_those_whose_filter_holds_it() {
        let names = ["AAAUSDT", "BBBUSDT", "CCCUSDT", "DDDUSDT"];
        let symbols: Vec<Symbol> = names.iter().map(|n| Symbol::new(n).unwrap()).collect();
        let list = |picks: &[usize]| {
            SymbolFilter::List(picks.iter().map(|&i| symbols[i].clone()).collect())
        };
        let filters = [
            SymbolFilter::All,
            list(&[1, 2]),
            list(&[]),
            SymbolFilter::All,
            list(&[2, 2, 0]),
            list(&[3]),
        ];
        let traders: Vec<Trader> = filters
            .iter()
            .enumerate()
            .map(|(i, f)| trader(i as u64, "close > 1").with_symbols(f.clone()))
            .collect();
        let plan = compile(&traders).unwrap();
        for symbol in symbols.iter().chain([&Symbol::new("EEEUSDT").unwrap()]) {
            let want: Vec<u32> = (0..traders.len() as u32)
                .filter(|&i| traders[i as usize].symbols.contains(symbol))
                .collect();
            assert_eq!(plan.traders_of(symbol), want, "{symbol:?}");
        }
    }

    #[test]
    fn disabled_traders_are_left_out_and_malformed_programs_rejected() {
        let plan = compile(&[trader(1, "close > 1").with_enabled(false)]).unwrap();
        assert!(plan.traders.is_empty() && plan.nodes.is_empty());

        let mut bad = trader(1, "close > 1");
        let mut program = (*bad.program).clone();
        program.root = NodeId(99);
        bad.program = Arc::new(program);
        assert!(matches!(
            compile(&[bad]),
            Err(Error::MalformedProgram { .. })
        ));

        let mut forward = trader(2, "close > 1");
        let mut program = (*forward.program).clone();
        program.nodes[0].kind = NodeKind::Unary(sift_rules::UnaryOp::Neg, NodeId(5));
        forward.program = Arc::new(program);
        let err = compile(&[forward]).unwrap_err();
        assert!(err.to_string().contains("not an earlier one"), "{err}");
    }
}
