//! A fixed-bucket latency histogram: small enough to keep one per client, exact enough for
//! percentiles (50 µs steps up to 100 ms, 1 ms steps up to 10 s).

/// Width of the fine buckets and where they end, in microseconds.
const FINE_US: i64 = 50;
const FINE_END_US: i64 = 100_000;
/// Width of the coarse buckets and where they end; later values share one overflow bucket.
const COARSE_US: i64 = 1_000;
const COARSE_END_US: i64 = 10_000_000;
const FINE_BUCKETS: usize = (FINE_END_US / FINE_US) as usize;
const BUCKETS: usize = FINE_BUCKETS + ((COARSE_END_US - FINE_END_US) / COARSE_US) as usize + 1;

/// Durations in microseconds. Negative values (clock readings a hair apart) count as zero.
#[derive(Debug, Clone)]
pub(super) struct Histogram {
    counts: Vec<u32>,
    total: u64,
    sum_us: i64,
    max_us: i64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            sum_us: 0,
            max_us: 0,
        }
    }
}

impl Histogram {
    pub(super) fn record(&mut self, us: i64) {
        let us = us.max(0);
        let slot = &mut self.counts[bucket(us)];
        *slot = slot.saturating_add(1);
        self.total += 1;
        self.sum_us = self.sum_us.saturating_add(us);
        self.max_us = self.max_us.max(us);
    }

    pub(super) fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine = mine.saturating_add(*theirs);
        }
        self.total += other.total;
        self.sum_us = self.sum_us.saturating_add(other.sum_us);
        self.max_us = self.max_us.max(other.max_us);
    }

    pub(super) fn count(&self) -> u64 {
        self.total
    }

    /// The nearest-rank quantile `q` (0 to 1) in milliseconds, as the upper edge of its
    /// bucket (never above the maximum); `None` when empty.
    pub(super) fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += u64::from(count);
            if seen >= rank {
                return Some(ms(upper_edge(index).min(self.max_us)));
            }
        }
        Some(ms(self.max_us))
    }

    pub(super) fn max_ms(&self) -> Option<f64> {
        (self.total > 0).then(|| ms(self.max_us))
    }

    pub(super) fn mean_ms(&self) -> Option<f64> {
        (self.total > 0).then(|| ms(self.sum_us / self.total as i64))
    }
}

fn bucket(us: i64) -> usize {
    if us < FINE_END_US {
        (us / FINE_US) as usize
    } else if us < COARSE_END_US {
        FINE_BUCKETS + ((us - FINE_END_US) / COARSE_US) as usize
    } else {
        BUCKETS - 1
    }
}

/// Where bucket `index` ends (exclusive), in microseconds (`i64::MAX` for the overflow bucket).
fn upper_edge(index: usize) -> i64 {
    if index < FINE_BUCKETS {
        (index as i64 + 1) * FINE_US
    } else if index < BUCKETS - 1 {
        FINE_END_US + (index - FINE_BUCKETS) as i64 * COARSE_US + COARSE_US
    } else {
        i64::MAX
    }
}

/// Microseconds as milliseconds with three decimals.
pub(super) fn ms(us: i64) -> f64 {
    us as f64 / 1e3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_land_in_the_right_bucket() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile_ms(0.5), None);
        for ms in 1..=100 {
            h.record(ms * 1_000);
        }
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile_ms(0.5), Some(50.05));
        assert_eq!(h.quantile_ms(0.99), Some(99.05));
        assert_eq!(h.max_ms(), Some(100.0));
        let mut other = Histogram::default();
        other.record(20_000_000);
        other.record(-5);
        h.merge(&other);
        assert_eq!(h.count(), 102);
        assert_eq!(h.quantile_ms(1.0), Some(20_000.0));
        assert_eq!(h.quantile_ms(0.0), Some(0.05));
    }

    #[test]
    fn buckets_are_contiguous() {
        for us in [
            0, 49, 50, 99_999, 100_000, 100_999, 101_000, 9_999_999, 10_000_000,
        ] {
            let b = bucket(us);
            assert!(us < upper_edge(b), "{us}");
            assert!(b == 0 || us >= upper_edge(b - 1), "{us}");
        }
    }
}
