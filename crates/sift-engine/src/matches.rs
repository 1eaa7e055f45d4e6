//! The signals of one instant: found by each block, then put in order by the engine.

use sift_core::Candle;

/// The signals of one instant in a block: per signal the plan index of its trader and the
/// engine's index of its symbol, its kernel trader and lane, and its candle.
///
/// The [`Match`](crate::Match)es are built from these after every block is done, in their
/// final order (see [`Scratch::order`]), so that each thread building them takes a range of
/// traders, whose shared names no other thread is counting at the same time.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub(crate) keys: Vec<(u32, u32)>,
    pub(crate) hits: Vec<(u32, u32)>,
    /// The candle of each signal, parallel to `hits`.
    pub(crate) bars: Vec<Bar>,
}

impl Found {
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.hits.clear();
        self.bars.clear();
    }

    pub(crate) fn push(
        &mut self,
        (trader, symbol): (u32, u32),
        (kernel_trader, lane): (u32, u32),
        bar: Bar,
    ) {
        self.keys.push((trader, symbol));
        self.hits.push((kernel_trader, lane));
        self.bars.push(bar);
    }
}

/// What a match reports of the candle that closed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bar {
    pub(crate) open_time: i64,
    pub(crate) close_time: i64,
    pub(crate) close: f64,
}

impl From<&Candle> for Bar {
    fn from(candle: &Candle) -> Self {
        Bar {
            open_time: candle.open_time,
            close_time: candle.close_time,
            close: candle.close,
        }
    }
}

/// Buffers reused at every instant to order matches without allocating.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// `[trader, symbol rank, block, position in the block's matches]` per match.
    keys: Vec<[u32; 4]>,
    sorted: Vec<[u32; 4]>,
    counts: Vec<u32>,
}

impl Scratch {
    /// The matches of the blocks' `found`, ordered by plan trader (traders are ordered by id),
    /// then by symbol rank (`ranks`, by the engine's symbol index), as
    /// `[trader, rank, block, position]`. A radix sort, rank then trader: a trader signals at
    /// most once per symbol and instant, so the order is total.
    pub(crate) fn order<'a>(
        &mut self,
        found: impl Iterator<Item = &'a Found>,
        ranks: &[u32],
        traders: usize,
    ) -> &[[u32; 4]] {
        self.keys.clear();
        for (b, found) in found.enumerate() {
            for (at, &(trader, symbol)) in found.keys.iter().enumerate() {
                let rank = ranks[symbol as usize];
                self.keys.push([trader, rank, b as u32, at as u32]);
            }
        }
        counting_sort(
            &self.keys,
            &mut self.sorted,
            &mut self.counts,
            ranks.len(),
            1,
        );
        counting_sort(&self.sorted, &mut self.keys, &mut self.counts, traders, 0);
        &self.keys
    }
}

/// `from` stably sorted by `key[field]`, which is below `buckets`, into `to`.
fn counting_sort(
    from: &[[u32; 4]],
    to: &mut Vec<[u32; 4]>,
    counts: &mut Vec<u32>,
    buckets: usize,
    field: usize,
) {
    counts.clear();
    counts.resize(buckets + 1, 0);
    for key in from {
        counts[key[field] as usize + 1] += 1;
    }
    for b in 1..counts.len() {
        counts[b] += counts[b - 1];
    }
    to.clear();
    to.resize(from.len(), [0; 4]);
    for key in from {
        let slot = &mut counts[key[field] as usize];
        to[*slot as usize] = *key;
        *slot += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_ordered_by_trader_then_symbol_rank() {
        let found = |keys: &[(u32, u32)]| Found {
            keys: keys.to_vec(),
            ..Found::default()
        };
        let blocks = [
            found(&[(2, 0), (0, 1)]),
            found(&[]),
            found(&[(0, 3), (2, 2)]),
        ];
        // Symbols 0..4 rank 3, 0, 2, 1.
        let ranks = [3, 0, 2, 1];
        let mut scratch = Scratch::default();
        let order: Vec<[u32; 4]> = scratch.order(blocks.iter(), &ranks, 3).to_vec();
        assert_eq!(
            order,
            [[0, 0, 0, 1], [0, 1, 2, 0], [2, 2, 2, 1], [2, 3, 0, 0]]
        );
        assert!(scratch.order(std::iter::empty(), &ranks, 3).is_empty());
    }
}
