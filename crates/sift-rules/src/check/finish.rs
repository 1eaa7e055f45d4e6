//! The last step: keep only the nodes the rule reads, renumber them, and compute what the
//! program needs (timeframes, warm-up, history depths, references).

use std::collections::HashSet;

use sift_core::Interval;

use super::{Lowered, Lowerer};
use crate::diagnostic::Diagnostic;
use crate::program::{Node, NodeId, NodeKind, Program, Reference, WindowFunc};

/// Builds the program rooted at `root`, or returns every diagnostic when there is an error.
pub(super) fn finish(lowerer: Lowerer<'_>, root: Lowered) -> Result<Program, Vec<Diagnostic>> {
    let diagnostics = sorted(lowerer.diagnostics);
    let root = match root {
        Ok(root) if !diagnostics.iter().any(Diagnostic::is_error) => root,
        _ => return Err(diagnostics),
    };
    // Nodes only reference earlier ones, so one backward sweep marks what the root reads.
    let mut keep = vec![false; lowerer.nodes.len()];
    keep[root.index()] = true;
    for i in (0..lowerer.nodes.len()).rev() {
        if keep[i] {
            for input in lowerer.nodes[i].kind.inputs() {
                keep[input.index()] = true;
            }
        }
    }
    let mut renumber: Vec<Option<NodeId>> = vec![None; lowerer.nodes.len()];
    let mut nodes: Vec<Node> = Vec::new();
    let mut ready: Vec<u32> = Vec::new();
    for (i, node) in lowerer.nodes.into_iter().enumerate() {
        if keep[i] {
            renumber[i] = Some(NodeId(nodes.len() as u32));
            nodes.push(remap(node, &renumber));
            ready.push(lowerer.ready[i]);
        }
    }
    let map = |id: NodeId| renumber[id.index()];
    let interval = lowerer.options.interval;
    let mut bindings = Vec::new();
    for b in &lowerer.bindings {
        for (tf, lowered) in &b.lowered {
            if let Some(id) = lowered.ok().and_then(map) {
                let name = if *tf == interval {
                    b.name.to_owned()
                } else {
                    format!("{} @ {tf}", b.name)
                };
                bindings.push((name, id));
            }
        }
    }
    let mut seen = HashSet::new();
    let mut references = lowerer.references;
    references.sort_by_key(|r| r.span.start);
    let references: Vec<Reference> = references
        .into_iter()
        .filter_map(|r| {
            let node = map(r.node)?;
            seen.insert(r.text.clone())
                .then_some(Reference { node, ..r })
        })
        .collect();
    let mut timeframes: Vec<Interval> = nodes.iter().map(|n| n.timeframe).collect();
    timeframes.push(interval);
    timeframes.sort();
    timeframes.dedup();
    let warmup = timeframes
        .iter()
        .map(|tf| {
            let bars = nodes
                .iter()
                .zip(&ready)
                .filter(|(n, _)| n.timeframe == *tf)
                .map(|(_, r)| *r)
                .max()
                .unwrap_or(0);
            (*tf, bars.max(1))
        })
        .collect();
    let history = history_depths(&nodes);
    Ok(Program {
        source: lowerer.source.to_owned(),
        interval,
        root: map(root).unwrap_or(root),
        nodes,
        bindings,
        references,
        timeframes,
        warmup,
        history,
        warnings: diagnostics,
    })
}

/// Diagnostics by position, duplicates (from a binding lowered on several timeframes) removed.
fn sorted(mut diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics.sort_by(|a, b| {
        (a.span.start, a.span.end, a.code).cmp(&(b.span.start, b.span.end, b.code))
    });
    diagnostics.dedup();
    diagnostics
}

/// `node` with its inputs renumbered (they are all kept, since `node` is).
fn remap(mut node: Node, renumber: &[Option<NodeId>]) -> Node {
    let m = |id: &mut NodeId| {
        if let Some(new) = renumber[id.index()] {
            *id = new;
        }
    };
    match &mut node.kind {
        NodeKind::Number(_) | NodeKind::Bool(_) | NodeKind::Series(_) | NodeKind::Ticker(_) => {}
        NodeKind::Indicator { source, .. } => {
            if let Some(s) = source {
                m(s);
            }
        }
        NodeKind::History { of, .. }
        | NodeKind::Sample { of }
        | NodeKind::Unary(_, of)
        | NodeKind::Window { of, .. }
        | NodeKind::BarsSince { cond: of, .. } => m(of),
        NodeKind::Binary(_, a, b) => {
            m(a);
            m(b);
        }
        NodeKind::Divergence {
            price, oscillator, ..
        } => {
            m(price);
            m(oscillator);
        }
    }
    node
}

/// Past values each node must keep for its `History` and `Window` readers.
fn history_depths(nodes: &[Node]) -> Vec<u32> {
    let mut depth = vec![0u32; nodes.len()];
    for node in nodes {
        let (of, bars) = match node.kind {
            NodeKind::History { of, bars } => (of, bars),
            NodeKind::Window {
                func: WindowFunc::Sum | WindowFunc::Count,
                of,
                bars,
            } => (of, bars.saturating_sub(1)),
            _ => continue,
        };
        depth[of.index()] = depth[of.index()].max(bars);
    }
    depth
}
