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
        Self { buf: vec![0.0; capacity], head: 0, len: 0 }
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
            let idx = (self.head + self.len) % cap;
            self.buf[idx] = value;
            self.len += 1;
            None
        } else {
            let old = std::mem::replace(&mut self.buf[self.head], value);
            self.head = (self.head + 1) % cap;
            Some(old)
        }
    }

    /// The value `ago` steps back: `get(0)` is the newest. `None` past the stored history.
    #[inline]
    pub fn get(&self, ago: usize) -> Option<f64> {
        if ago >= self.len {
            return None;
        }
        let cap = self.buf.len();
        Some(self.buf[(self.head + self.len - 1 - ago) % cap])
    }

    /// The oldest stored value.
    #[inline]
    pub fn oldest(&self) -> Option<f64> {
        (self.len > 0).then(|| self.buf[self.head])
    }

    /// Values from oldest to newest.
    pub fn iter(&self) -> impl Iterator<Item = f64> + '_ {
        let cap = self.buf.len();
        (0..self.len).map(move |i| self.buf[(self.head + i) % cap])
    }

    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }
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
}
