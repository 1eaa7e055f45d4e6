//! A bounded, lazily allocated ring of packed closed candles.

use sift_core::Candle;

use crate::packed::PackedCandle;

/// The closed candles of one series, oldest first, at most `cap` of them.
///
/// Memory grows with the candles actually held (never beyond `cap` slots: growth uses
/// `reserve_exact`), so short histories cost little. Once full, each push overwrites the oldest
/// slot. The caller keeps open times strictly increasing, which makes lookups binary searches.
#[derive(Debug)]
pub(crate) struct Ring {
    buf: Vec<PackedCandle>,
    /// Physical index of the oldest candle; 0 until the ring is full.
    head: usize,
    cap: usize,
}

/// Smallest growth step, so that a backfill does not reallocate for every candle.
const MIN_GROWTH: usize = 16;

impl Ring {
    /// An empty ring holding at most `cap` candles; `cap` must be at least 1.
    pub(crate) fn new(cap: usize) -> Self {
        debug_assert!(cap >= 1, "ring capacity must be at least 1");
        Self {
            buf: Vec::new(),
            head: 0,
            cap: cap.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    /// The candles as two runs, each oldest first: the older run (from `head` to the end of the
    /// buffer) then the newer one (the start of the buffer, overwritten since the ring filled).
    fn runs(&self) -> (&[PackedCandle], &[PackedCandle]) {
        let (newer, older) = self.buf.split_at(self.head);
        (older, newer)
    }

    pub(crate) fn newest(&self) -> Option<&PackedCandle> {
        match self.head {
            0 => self.buf.last(),
            head => self.buf.get(head - 1),
        }
    }

    /// Appends `candle` as the newest, evicting the oldest when full.
    pub(crate) fn push(&mut self, candle: PackedCandle) {
        if self.buf.len() < self.cap {
            if self.buf.len() == self.buf.capacity() {
                let room = self.cap - self.buf.len();
                self.buf
                    .reserve_exact(self.buf.len().max(MIN_GROWTH).min(room));
            }
            self.buf.push(candle);
        } else {
            self.buf[self.head] = candle;
            self.head += 1;
            if self.head == self.cap {
                self.head = 0;
            }
        }
    }

    /// Whether a candle opening at `open_time` is held.
    pub(crate) fn contains(&self, open_time: i64) -> bool {
        let (older, newer) = self.runs();
        let run = match newer.first() {
            Some(first) if open_time >= first.open_time() => newer,
            _ => older,
        };
        run.binary_search_by_key(&open_time, PackedCandle::open_time)
            .is_ok()
    }

    /// Appends the newest `n` candles (fewer if fewer are held), oldest first, to `out`.
    pub(crate) fn extend_newest(&self, n: usize, out: &mut Vec<Candle>) {
        let (older, newer) = self.runs();
        let skip = self.buf.len() - n.min(self.buf.len());
        if skip < older.len() {
            out.extend(older[skip..].iter().map(PackedCandle::unpack));
            out.extend(newer.iter().map(PackedCandle::unpack));
        } else {
            out.extend(newer[skip - older.len()..].iter().map(PackedCandle::unpack));
        }
    }

    /// Bytes allocated for candle slots.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.buf.capacity() * std::mem::size_of::<PackedCandle>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packed(t: i64) -> PackedCandle {
        PackedCandle::pack(&Candle::ohlcv(t, 1.0, 1.0, 1.0, t as f64, 1.0))
    }

    fn open_times(ring: &Ring, n: usize) -> Vec<i64> {
        let mut out = Vec::new();
        ring.extend_newest(n, &mut out);
        out.iter().map(|c| c.open_time).collect()
    }

    #[test]
    fn evicts_the_oldest_and_keeps_order() {
        let mut ring = Ring::new(3);
        assert_eq!(ring.newest(), None);
        for t in 1..=5 {
            ring.push(packed(t));
        }
        assert_eq!(ring.len(), 3);
        assert_eq!(open_times(&ring, 10), [3, 4, 5]);
        assert_eq!(open_times(&ring, 2), [4, 5]);
        assert_eq!(open_times(&ring, 0), Vec::<i64>::new());
        assert_eq!(ring.newest().map(PackedCandle::open_time), Some(5));
        assert!(ring.contains(3) && ring.contains(5));
        assert!(!ring.contains(2) && !ring.contains(6));
    }

    #[test]
    fn matches_a_reference_deque_at_every_fill_and_wrap() {
        for cap in 1..=5 {
            let mut ring = Ring::new(cap);
            let mut reference = std::collections::VecDeque::new();
            for t in 0..13 {
                ring.push(packed(t * 10));
                reference.push_back(t * 10);
                if reference.len() > cap {
                    reference.pop_front();
                }
                for n in 0..=cap + 1 {
                    let skip = reference.len().saturating_sub(n);
                    let want: Vec<i64> = reference.iter().skip(skip).copied().collect();
                    assert_eq!(open_times(&ring, n), want, "cap {cap} t {t} n {n}");
                }
                for probe in -10..=t * 10 + 10 {
                    assert_eq!(ring.contains(probe), reference.contains(&probe));
                }
                assert_eq!(ring.newest().map(PackedCandle::open_time), Some(t * 10));
            }
        }
    }

    #[test]
    fn never_allocates_beyond_capacity() {
        let mut ring = Ring::new(1000);
        for t in 0..5000 {
            ring.push(packed(t * 10));
            assert!(ring.buf.capacity() <= 1000);
        }
        assert_eq!(ring.heap_bytes(), 1000 * 80);
        assert!((0..1000).all(|i| ring.contains((4000 + i) * 10)));
        assert!(!ring.contains(3999 * 10) && !ring.contains(40_005));
    }
}
