//! The recent values of one node, for `x[n]` and windows: of one symbol ([`History`]) or of
//! a block's lanes ([`HistoryRow`]).

use crate::value::UNDEFINED;

/// The last `capacity` values pushed, readable by age. Stored in a power-of-two buffer so an
/// access is a mask, not a division: it sits on the per-close hot path.
#[derive(Debug, Clone)]
pub(crate) struct History {
    buf: Box<[f64]>,
    capacity: usize,
    /// Values pushed so far (wrapping); the newest is at `(pushed - 1) & mask`.
    pushed: usize,
    len: usize,
}

impl History {
    /// Room for the last `capacity` values (at least 1).
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            buf: vec![0.0; capacity.next_power_of_two()].into_boxed_slice(),
            capacity,
            pushed: 0,
            len: 0,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many values are readable.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn push(&mut self, value: f64) {
        let mask = self.buf.len() - 1;
        self.buf[self.pushed & mask] = value;
        self.pushed = self.pushed.wrapping_add(1);
        if self.len < self.capacity {
            self.len += 1;
        }
    }

    /// The value pushed `ago` pushes before the newest (`get(0)` is the newest).
    #[inline]
    pub(crate) fn get(&self, ago: usize) -> Option<f64> {
        if ago >= self.len {
            return None;
        }
        let mask = self.buf.len() - 1;
        Some(self.buf[self.pushed.wrapping_sub(1 + ago) & mask])
    }
}

/// One node's histories over a block's lanes: per lane a ring of `size` values (a power of two
/// covering every lane's capacity), with that lane's own capacity, so a lane behaves exactly as
/// the [`History`] it was built from. Slot-major: lanes that pushed equally often (all, as a
/// rule) write and read one contiguous stretch.
#[derive(Debug)]
pub(crate) struct HistoryRow {
    size: usize,
    /// Lanes (at most [`LANES`](crate::block::LANES)): the block's width.
    width: usize,
    /// Slot `s` of lane `l` at `s * width + l`.
    buf: Vec<f64>,
    /// Values pushed per lane (wrapping); the newest is in slot `(pushed - 1) & (size - 1)`.
    pushed: Vec<u32>,
    len: Vec<u32>,
    capacity: Vec<u32>,
}

impl HistoryRow {
    /// Rings of `capacity` for `width` lanes.
    pub(crate) fn new(capacity: usize, width: usize) -> Self {
        let capacity = capacity.max(1);
        let size = capacity.next_power_of_two();
        Self {
            size,
            width,
            buf: vec![0.0; size * width],
            pushed: vec![0; width],
            len: vec![0; width],
            capacity: vec![capacity as u32; width],
        }
    }

    /// Replaces lane `lane` by `history`, growing every ring when it holds more.
    pub(crate) fn put(&mut self, lane: usize, history: &History) {
        let capacity = history.capacity();
        if capacity > self.size {
            self.relayout(capacity.next_power_of_two(), self.width);
        }
        let len = history.len();
        for ago in 0..len {
            let slot = (len - 1 - ago) & (self.size - 1);
            self.buf[slot * self.width + lane] = history.get(ago).unwrap_or(UNDEFINED);
        }
        self.pushed[lane] = len as u32;
        self.len[lane] = len as u32;
        self.capacity[lane] = capacity as u32;
    }

    /// Room for `width` lanes, keeping every lane's values; new lanes hold rings of
    /// `capacity`.
    pub(crate) fn widen(&mut self, width: usize, capacity: usize) {
        self.relayout(self.size, width);
        self.pushed.resize(width, 0);
        self.len.resize(width, 0);
        self.capacity.resize(width, capacity.max(1) as u32);
    }

    /// Rings of `size` for `width` lanes, keeping every lane's values.
    fn relayout(&mut self, size: usize, width: usize) {
        let mut buf = vec![0.0; size * width];
        for l in 0..self.width.min(width) {
            for ago in 0..self.len[l] as usize {
                let slot = self.pushed[l].wrapping_sub(1 + ago as u32) as usize & (size - 1);
                buf[slot * width + l] = self.read(l, ago);
            }
        }
        (self.size, self.width, self.buf) = (size, width, buf);
    }

    /// Lane `lane` as a [`History`].
    pub(crate) fn get(&self, lane: usize) -> History {
        let mut history = History::new(self.capacity[lane] as usize);
        for ago in (0..self.len[lane] as usize).rev() {
            history.push(self.read(lane, ago));
        }
        history
    }

    #[inline]
    fn read(&self, lane: usize, ago: usize) -> f64 {
        let slot = self.pushed[lane].wrapping_sub(1 + ago as u32) as usize & (self.size - 1);
        self.buf[slot * self.width + lane]
    }

    /// The value `ago` pushes before the newest of lane `lane`, when held.
    #[inline]
    pub(crate) fn get_at(&self, lane: usize, ago: usize) -> Option<f64> {
        (ago < self.len[lane] as usize).then(|| self.read(lane, ago))
    }

    /// How many values lane `lane` holds.
    #[inline]
    pub(crate) fn len(&self, lane: usize) -> usize {
        self.len[lane] as usize
    }

    /// Whether lanes `0..n` pushed equally often, as they do unless some missed a candle: their
    /// values of any age are then one contiguous stretch.
    #[inline]
    fn in_step(&self, n: usize) -> bool {
        let first = self.pushed[0];
        self.pushed[..n]
            .iter()
            .fold(true, |all, &p| all & (p == first))
    }

    /// Writes the value `ago` pushes before the newest of each of lanes `0..n` into `out`,
    /// when they are in step and all hold it; returns whether it did.
    #[inline]
    pub(crate) fn read_all(&self, n: usize, ago: usize, out: &mut [f64]) -> bool {
        let held = self.len[..n]
            .iter()
            .fold(true, |all, &len| all & (len as usize > ago));
        if !(held && self.in_step(n)) {
            return false;
        }
        let slot = self.pushed[0].wrapping_sub(1 + ago as u32) as usize & (self.size - 1);
        out[..n].copy_from_slice(&self.buf[slot * self.width..][..n]);
        true
    }

    /// Pushes `values[l]` onto each of lanes `0..n` when they are in step; returns whether it
    /// did.
    #[inline]
    pub(crate) fn push_all(&mut self, n: usize, values: &[f64]) -> bool {
        if !self.in_step(n) {
            return false;
        }
        let slot = self.pushed[0] as usize & (self.size - 1);
        self.buf[slot * self.width..][..n].copy_from_slice(&values[..n]);
        for p in &mut self.pushed[..n] {
            *p = p.wrapping_add(1);
        }
        for (len, &capacity) in self.len[..n].iter_mut().zip(&self.capacity[..n]) {
            *len = (*len + 1).min(capacity);
        }
        true
    }

    #[inline]
    pub(crate) fn push(&mut self, lane: usize, value: f64) {
        let slot = self.pushed[lane] as usize & (self.size - 1);
        self.buf[slot * self.width + lane] = value;
        self.pushed[lane] = self.pushed[lane].wrapping_add(1);
        if self.len[lane] < self.capacity[lane] {
            self.len[lane] += 1;
        }
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::LANES;

    #[test]
    fn reads_by_age_within_capacity() {
        let mut h = History::new(3);
        assert_eq!((h.len(), h.get(0)), (0, None));
        for x in 1..=5 {
            h.push(f64::from(x));
        }
        assert_eq!(h.capacity(), 3);
        assert_eq!(h.len(), 3);
        assert_eq!(
            [h.get(0), h.get(1), h.get(2)],
            [Some(5.0), Some(4.0), Some(3.0)]
        );
        // The buffer holds 4, but only 3 are promised.
        assert_eq!(h.get(3), None);
    }

    #[test]
    fn capacity_one_keeps_the_newest() {
        let mut h = History::new(0);
        h.push(1.0);
        h.push(2.0);
        assert_eq!((h.get(0), h.get(1)), (Some(2.0), None));
    }

    #[test]
    fn a_row_lane_behaves_as_the_history_it_was_given() {
        let mut history = History::new(3);
        for x in 1..=5 {
            history.push(f64::from(x));
        }
        let mut row = HistoryRow::new(2, 8);
        row.put(7, &history);
        // The row grew to hold capacity 3; other lanes keep their own capacity.
        assert_eq!(row.size, 4);
        assert_eq!(
            (row.len(7), row.get_at(7, 2), row.get_at(7, 3)),
            (3, Some(3.0), None)
        );
        let back = row.get(7);
        assert_eq!(
            (back.capacity(), back.len(), back.get(0)),
            (3, 3, Some(5.0))
        );
        for x in 0..4 {
            row.push(0, f64::from(x));
            row.push(7, 10.0 + f64::from(x));
        }
        assert_eq!(
            (row.len(0), row.get_at(0, 0), row.get_at(0, 2)),
            (2, Some(3.0), None)
        );
        assert_eq!((row.len(7), row.get_at(7, 2)), (3, Some(11.0)));
    }

    #[test]
    fn lanes_in_step_read_and_push_as_one() {
        let mut row = HistoryRow::new(3, 4);
        row.widen(LANES, 3);
        let values: Vec<f64> = (0..LANES).map(|l| l as f64).collect();
        assert!(row.push_all(5, &values));
        assert!(row.push_all(5, &values.iter().map(|x| x + 100.0).collect::<Vec<_>>()));
        let mut out = vec![0.0; LANES];
        assert!(row.read_all(5, 1, &mut out));
        assert_eq!(&out[..5], &values[..5]);
        assert!(!row.read_all(5, 2, &mut out), "only two values held");
        // A lane that missed a push is out of step: lanes are then read one by one.
        row.push(1, 7.0);
        assert!(!row.read_all(5, 0, &mut out));
        assert!(!row.push_all(5, &values));
        assert_eq!(
            (row.get_at(1, 0), row.get_at(2, 0)),
            (Some(7.0), Some(102.0))
        );
    }
}
