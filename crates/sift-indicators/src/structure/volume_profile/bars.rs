//! The window of candles a volume profile is built from.

/// What the profile keeps of one candle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bar {
    pub(crate) low: f64,
    pub(crate) high: f64,
    pub(crate) volume: f64,
    /// `volume / (high - low)`: the volume per unit of price, so spreading the candle over a
    /// grid costs a multiplication per bin. 0 when `high <= low` (the volume then goes whole to
    /// one bin and this is never read).
    pub(crate) density: f64,
}

impl Bar {
    /// A candle whose high is below its low (or NaN) is kept as a point at its low, where the
    /// definition would put all its volume anyway; its high could otherwise lie below the
    /// window's lowest low, off the grid.
    pub(crate) fn new(low: f64, high: f64, volume: f64) -> Self {
        let high = if high >= low { high } else { low };
        let density = if high > low {
            volume / (high - low)
        } else {
            0.0
        };
        Self {
            low,
            high,
            volume,
            density,
        }
    }
}

/// The last `capacity` bars in one contiguous buffer, in no particular order, so a rebuild reads
/// them as a plain slice (the histogram is a sum: order only changes the rounding, and the
/// order is a function of the bars pushed since the last clear, so replays are bit-identical).
#[derive(Debug, Clone)]
pub(crate) struct Bars {
    bars: Vec<Bar>,
    capacity: usize,
    /// The slot the next push overwrites once full: the oldest bar.
    oldest: usize,
}

impl Bars {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            bars: Vec::with_capacity(capacity),
            capacity,
            oldest: 0,
        }
    }

    /// Appends a bar and returns the one it evicted once the window is full.
    #[inline]
    pub(crate) fn push(&mut self, bar: Bar) -> Option<Bar> {
        if self.bars.len() < self.capacity {
            self.bars.push(bar);
            return None;
        }
        let old = std::mem::replace(&mut self.bars[self.oldest], bar);
        self.oldest += 1;
        if self.oldest == self.capacity {
            self.oldest = 0;
        }
        Some(old)
    }

    pub(crate) fn is_full(&self) -> bool {
        self.bars.len() == self.capacity
    }

    pub(crate) fn as_slice(&self) -> &[Bar] {
        &self.bars
    }

    pub(crate) fn clear(&mut self) {
        self.bars.clear();
        self.oldest = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_is_volume_per_unit_of_price_and_zero_for_a_point_or_an_inverted_candle() {
        assert_eq!(Bar::new(10.0, 14.0, 40.0).density, 10.0);
        assert_eq!(Bar::new(5.0, 5.0, 3.0).density, 0.0);
        let inverted = Bar::new(5.0, 4.0, 3.0);
        assert_eq!((inverted.high, inverted.density), (5.0, 0.0));
    }

    #[test]
    fn evicts_the_oldest_bar_once_full() {
        let bar = |v| Bar::new(1.0, 2.0, v);
        let mut bars = Bars::new(2);
        assert_eq!(bars.push(bar(1.0)), None);
        assert!(!bars.is_full());
        assert_eq!(bars.push(bar(2.0)), None);
        assert!(bars.is_full());
        assert_eq!(bars.push(bar(3.0)), Some(bar(1.0)));
        assert_eq!(bars.push(bar(4.0)), Some(bar(2.0)));
        assert_eq!(bars.push(bar(5.0)), Some(bar(3.0)));
        let volumes: Vec<_> = bars.as_slice().iter().map(|b| b.volume).collect();
        assert_eq!(volumes, [5.0, 4.0]);
        bars.clear();
        assert_eq!(bars.as_slice(), &[]);
        assert_eq!(bars.push(bar(6.0)), None);
    }
}
