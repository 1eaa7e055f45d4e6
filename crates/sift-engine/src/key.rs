//! Canonical node keys: what makes two nodes of any traders the same computation.
//!
//! A key names a node by its operation, its timeframe and the *keys* of its inputs, so equal
//! sub-expressions of different traders get equal keys however their programs number them.
//! Keys are interned to small [`KeyId`]s that stay the same across plan rebuilds for as long
//! as some trader uses the node, which is how per-symbol state survives a rebuild.

use std::collections::{HashMap, HashSet};

use sift_core::Interval;
use sift_indicators::Source;
use sift_indicators::structure::DivergenceKind;
use sift_rules::program::{BinaryOp, TickerField, UnaryOp, WindowFunc};

/// An interned [`NodeKey`]. Never reused for another key, even after the key is dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct KeyId(u64);

/// A node's identity: timeframe plus operation over input keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct NodeKey {
    pub(crate) interval: Interval,
    pub(crate) kind: KeyKind,
}

/// The operation part of a [`NodeKey`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum KeyKind {
    /// A constant, by its bits (Bools as 1.0 and 0.0, which behave identically).
    Const(u64),
    Series(Source),
    Ticker(TickerField),
    /// An indicator instance: the canonical spec text (`sift_rules::spec_text`) and the
    /// derived source series, if any.
    Instance {
        spec: String,
        source: Option<KeyId>,
    },
    /// One output of an instance.
    Field {
        instance: KeyId,
        field: u32,
    },
    History {
        of: KeyId,
        bars: u32,
    },
    Sample {
        of: KeyId,
    },
    Unary(UnaryOp, KeyId),
    Binary(BinaryOp, KeyId, KeyId),
    Window(WindowFunc, KeyId, u32),
    BarsSince(KeyId, u32),
    Divergence {
        kind: DivergenceKind,
        price: KeyId,
        oscillator: KeyId,
        lookback: u32,
        min_sep: u32,
    },
}

/// The canonical form of `a op b`: `a > b` is `b < a`, `a >= b` is `b <= a`, and the
/// operands of `+ * == != and or` are ordered, so each pair computes bit-identical values and
/// shares one node. `min` and `max` keep their order (they differ on `0.0` versus `-0.0`).
pub(crate) fn canonical_binary(op: BinaryOp, a: KeyId, b: KeyId) -> (BinaryOp, bool) {
    match op {
        BinaryOp::Gt => (BinaryOp::Lt, true),
        BinaryOp::Ge => (BinaryOp::Le, true),
        BinaryOp::Add
        | BinaryOp::Mul
        | BinaryOp::Eq
        | BinaryOp::Ne
        | BinaryOp::And
        | BinaryOp::Or => (op, b < a),
        _ => (op, false),
    }
}

/// Assigns [`KeyId`]s to keys.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<NodeKey, KeyId>,
    next: u64,
}

impl Interner {
    /// The id of `key`, new or existing.
    pub(crate) fn intern(&mut self, key: NodeKey) -> KeyId {
        let next = &mut self.next;
        *self.ids.entry(key).or_insert_with(|| {
            *next += 1;
            KeyId(*next)
        })
    }

    /// Forgets every key not in `live`, so memory follows the current traders.
    pub(crate) fn retain(&mut self, live: &HashSet<KeyId>) {
        self.ids.retain(|_, id| live.contains(id));
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: KeyKind) -> NodeKey {
        NodeKey {
            interval: Interval::M1,
            kind,
        }
    }

    #[test]
    fn equal_keys_share_an_id_and_ids_are_never_reused() {
        let mut interner = Interner::default();
        let close = interner.intern(key(KeyKind::Series(Source::Close)));
        let open = interner.intern(key(KeyKind::Series(Source::Open)));
        assert_eq!(interner.intern(key(KeyKind::Series(Source::Close))), close);
        assert_ne!(close, open);
        let other_tf = NodeKey {
            interval: Interval::H1,
            kind: KeyKind::Series(Source::Close),
        };
        assert_ne!(interner.intern(other_tf), close);

        interner.retain(&HashSet::from([close]));
        assert_eq!(interner.len(), 1);
        let open_again = interner.intern(key(KeyKind::Series(Source::Open)));
        assert!(open_again != open && open_again != close);
    }

    #[test]
    fn comparisons_and_commutative_operations_are_canonical() {
        let (a, b) = (KeyId(1), KeyId(2));
        assert_eq!(canonical_binary(BinaryOp::Gt, a, b), (BinaryOp::Lt, true));
        assert_eq!(canonical_binary(BinaryOp::Ge, a, b), (BinaryOp::Le, true));
        assert_eq!(canonical_binary(BinaryOp::Add, b, a), (BinaryOp::Add, true));
        assert_eq!(
            canonical_binary(BinaryOp::Add, a, b),
            (BinaryOp::Add, false)
        );
        assert_eq!(
            canonical_binary(BinaryOp::Sub, b, a),
            (BinaryOp::Sub, false)
        );
        assert_eq!(
            canonical_binary(BinaryOp::Min, b, a),
            (BinaryOp::Min, false)
        );
    }
}
