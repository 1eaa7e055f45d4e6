//! The recent values of one node, for `x[n]` and windows.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
