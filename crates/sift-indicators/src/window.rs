//! Fixed-size windows over the most recent values.

/// A ring buffer of the last `capacity` values.
#[derive(Debug, Clone)]
pub struct Ring {
    buf: Vec<f64>,
    head: usize,
    len: usize,
}

impl Ring {
    /// # Panics
    /// If `capacity` is zero (constructors validate periods before building windows).
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "ring capacity must be positive");
        Self {
            buf: vec![0.0; capacity],
            head: 0,
            len: 0,
        }
    }

    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    /// Appends a value and returns the one it evicted once the window is full.
    #[inline]
    pub fn push(&mut self, value: f64) -> Option<f64> {
        let cap = self.buf.len();
        if self.len < cap {
            let idx = wrap(self.head + self.len, cap);
            self.buf[idx] = value;
            self.len += 1;
            None
        } else {
            let old = std::mem::replace(&mut self.buf[self.head], value);
            self.head = if self.head + 1 == cap {
                0
            } else {
                self.head + 1
            };
            Some(old)
        }
    }

    /// The value `ago` steps back: `get(0)` is the newest. `None` past the stored history.
    #[inline]
    pub fn get(&self, ago: usize) -> Option<f64> {
        if ago >= self.len {
            return None;
        }
        Some(self.buf[wrap(self.head + self.len - 1 - ago, self.buf.len())])
    }

    /// The oldest stored value.
    #[inline]
    pub fn oldest(&self) -> Option<f64> {
        (self.len > 0).then(|| self.buf[self.head])
    }

    /// Values from oldest to newest.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let cap = self.buf.len();
        (0..self.len).map(move |i| self.buf[wrap(self.head + i, cap)])
    }

    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
}

/// `index` reduced into `0..cap`, for an `index` below `2 * cap` (a head plus an offset, both
/// below `cap`): one compare instead of the integer division `%` costs on every ring access.
#[inline]
fn wrap(index: usize, cap: usize) -> usize {
    if index >= cap { index - cap } else { index }
}

/// Which end of the window a [`RollingExtreme`] tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extreme {
    Max,
    Min,
}

/// The maximum (or minimum) of the last `period` values, in amortized O(1) per push.
///
/// A monotonic deque keeps only the values that can still become the extreme: each push drops
/// the stored values it beats, so every value enters and leaves at most once. Among equal
/// extremes the most recent one is kept, which is what [`RollingExtreme::ago`] reports. Values
/// must not be NaN (a NaN never beats nor is beaten, so it would stay in the deque).
#[derive(Debug, Clone)]
pub struct RollingExtreme {
    period: usize,
    kind: Extreme,
    /// (sequence number, value); values strictly decrease (Max) or increase (Min) front to back.
    deque: std::collections::VecDeque<(u64, f64)>,
    /// Number of values pushed since the last clear.
    pushed: u64,
}

impl RollingExtreme {
    /// # Panics
    /// If `period` is zero (constructors validate periods before building windows).
    pub fn new(period: usize, kind: Extreme) -> Self {
        assert!(period > 0, "rolling window period must be positive");
        Self {
            period,
            kind,
            deque: std::collections::VecDeque::with_capacity(period),
            pushed: 0,
        }
    }

    /// The maximum of the last `period` values.
    pub fn max(period: usize) -> Self {
        Self::new(period, Extreme::Max)
    }

    /// The minimum of the last `period` values.
    pub fn min(period: usize) -> Self {
        Self::new(period, Extreme::Min)
    }

    pub fn period(&self) -> usize {
        self.period
    }

    /// Values currently in the window: `min(pushed, period)`.
    pub fn len(&self) -> usize {
        self.pushed.min(self.period as u64) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.pushed == 0
    }

    pub fn is_full(&self) -> bool {
        self.pushed >= self.period as u64
    }

    /// Appends a value and returns the extreme of the last `min(pushed, period)` values.
    #[inline]
    pub fn push(&mut self, value: f64) -> f64 {
        let beaten = |stored: f64| match self.kind {
            Extreme::Max => stored <= value,
            Extreme::Min => stored >= value,
        };
        while self.deque.back().is_some_and(|&(_, v)| beaten(v)) {
            self.deque.pop_back();
        }
        self.deque.push_back((self.pushed, value));
        self.pushed += 1;
        let oldest_kept = self.pushed.saturating_sub(self.period as u64);
        while self
            .deque
            .front()
            .is_some_and(|&(seq, _)| seq < oldest_kept)
        {
            self.deque.pop_front();
        }
        value_of(self.deque.front()).unwrap_or(value)
    }

    /// The current extreme; `None` before the first push.
    #[inline]
    pub fn value(&self) -> Option<f64> {
        value_of(self.deque.front())
    }

    /// How many pushes ago the current extreme arrived (0 = the newest value); the most recent
    /// one among equal extremes. `None` before the first push.
    #[inline]
    pub fn ago(&self) -> Option<usize> {
        self.deque
            .front()
            .map(|&(seq, _)| (self.pushed - 1 - seq) as usize)
    }

    pub fn clear(&mut self) {
        self.deque.clear();
        self.pushed = 0;
    }
}

fn value_of(entry: Option<&(u64, f64)>) -> Option<f64> {
    entry.map(|&(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_evicts_oldest_and_indexes_from_newest() {
        let mut r = Ring::new(3);
        assert_eq!(r.push(1.0), None);
        assert_eq!(r.push(2.0), None);
        assert_eq!(r.push(3.0), None);
        assert_eq!(r.push(4.0), Some(1.0));
        assert_eq!(r.get(0), Some(4.0));
        assert_eq!(r.get(2), Some(2.0));
        assert_eq!(r.get(3), None);
        assert_eq!(r.oldest(), Some(2.0));
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![2.0, 3.0, 4.0]);
        r.clear();
        assert!(r.is_empty());
    }

    #[test]
    fn ring_agrees_with_the_last_values_pushed() {
        for cap in 1..6 {
            let mut ring = Ring::new(cap);
            let mut all = Vec::new();
            for i in 0..4 * cap + 3 {
                let x = i as f64;
                let evicted = ring.push(x);
                all.push(x);
                let window = &all[all.len().saturating_sub(cap)..];
                assert_eq!(evicted, (all.len() > cap).then(|| all[all.len() - cap - 1]));
                assert_eq!(ring.iter().collect::<Vec<_>>(), window);
                assert_eq!(ring.len(), window.len());
                assert_eq!(ring.is_full(), all.len() >= cap);
                for ago in 0..=cap {
                    assert_eq!(ring.get(ago), window.iter().rev().nth(ago).copied());
                }
            }
        }
    }

    #[test]
    fn rolling_extremes_follow_the_window() {
        let mut hi = RollingExtreme::max(3);
        let mut lo = RollingExtreme::min(3);
        let xs = [5.0, 1.0, 3.0, 2.0, 2.0, 4.0, 0.0];
        let his: Vec<_> = xs.iter().map(|&x| hi.push(x)).collect();
        let los: Vec<_> = xs.iter().map(|&x| lo.push(x)).collect();
        assert_eq!(his, vec![5.0, 5.0, 5.0, 3.0, 3.0, 4.0, 4.0]);
        assert_eq!(los, vec![5.0, 1.0, 1.0, 1.0, 2.0, 2.0, 0.0]);
        assert_eq!(hi.ago(), Some(1));
        assert!(hi.is_full());
        hi.clear();
        assert_eq!(hi.value(), None);
        assert_eq!(hi.push(7.0), 7.0);
    }

    #[test]
    fn rolling_extreme_reports_the_most_recent_of_equal_values() {
        let mut lo = RollingExtreme::min(4);
        for x in [2.0, 1.0, 3.0, 1.0, 5.0] {
            lo.push(x);
        }
        assert_eq!((lo.value(), lo.ago()), (Some(1.0), Some(1)));
    }
}
