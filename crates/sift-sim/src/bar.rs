//! Compact candles for the live market: integer ticks and lots, 56 bytes instead of a
//! [`Candle`]'s 96, and the per-interval rings that hold them.

use std::collections::VecDeque;

use sift_core::{Candle, Interval};

use crate::Rng;
use crate::market::QUOTE_SCALE;

pub(crate) const MINUTE_MS: i64 = 60_000;

/// The units of one symbol: 10^decimals of its price tick and of its volume lot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scales {
    pub(crate) price: f64,
    pub(crate) volume: f64,
}

/// One candle in the integer units of its symbol: prices in ticks, base volumes in lots, quote
/// volumes in 1e-4. Sums of integers are exact, so an aggregated candle prints as a decimal
/// and equals, field by field, the sum of its 1m candles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bar {
    /// Open time in minutes since the epoch.
    pub(crate) minute: i32,
    pub(crate) open: u32,
    pub(crate) high: u32,
    pub(crate) low: u32,
    pub(crate) close: u32,
    pub(crate) trades: u32,
    pub(crate) volume: u64,
    pub(crate) taker_volume: u64,
    pub(crate) quote: u64,
    pub(crate) taker_quote: u64,
}

/// Minutes since the epoch of `ms`, rounded down (saturating far outside 1970 +- 4000 years).
pub(crate) fn minute_of(ms: i64) -> i32 {
    ms.div_euclid(MINUTE_MS)
        .clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// `x` in units of `1 / scale` (saturating casts: a price 4,000 times its first value would
/// stop rising, harmlessly).
fn units(x: f64, scale: f64) -> u64 {
    (x * scale).round() as u64
}

impl Bar {
    /// A 1m candle from the walk in integer units.
    pub(crate) fn from_candle(c: &Candle, scales: Scales) -> Self {
        let tick = |x: f64| (x * scales.price).round() as u32;
        Self {
            minute: minute_of(c.open_time),
            open: tick(c.open),
            high: tick(c.high),
            low: tick(c.low),
            close: tick(c.close),
            trades: u32::try_from(c.trades).unwrap_or(u32::MAX),
            volume: units(c.volume, scales.volume),
            taker_volume: units(c.taker_buy_volume, scales.volume),
            quote: units(c.quote_volume, QUOTE_SCALE),
            taker_quote: units(c.taker_buy_quote_volume, QUOTE_SCALE),
        }
    }

    pub(crate) fn open_ms(&self) -> i64 {
        i64::from(self.minute) * MINUTE_MS
    }

    /// Back to a [`Candle`] of `interval`: dividing integers by powers of ten gives the doubles
    /// nearest to the decimals, as the walk's own candles are.
    pub(crate) fn to_candle(self, interval: Interval, scales: Scales, closed: bool) -> Candle {
        let price = |ticks: u32| f64::from(ticks) / scales.price;
        let volume = |lots: u64| lots as f64 / scales.volume;
        let open_time = self.open_ms();
        Candle {
            open_time,
            close_time: interval.close_time(open_time),
            open: price(self.open),
            high: price(self.high),
            low: price(self.low),
            close: price(self.close),
            volume: volume(self.volume),
            quote_volume: self.quote as f64 / QUOTE_SCALE,
            trades: u64::from(self.trades),
            taker_buy_volume: volume(self.taker_volume),
            taker_buy_quote_volume: self.taker_quote as f64 / QUOTE_SCALE,
            closed,
        }
    }

    /// Extends this candle by the later candle `next`.
    pub(crate) fn merge(&mut self, next: &Bar) {
        self.high = self.high.max(next.high);
        self.low = self.low.min(next.low);
        self.close = next.close;
        self.trades = self.trades.saturating_add(next.trades);
        self.volume = self.volume.saturating_add(next.volume);
        self.taker_volume = self.taker_volume.saturating_add(next.taker_volume);
        self.quote = self.quote.saturating_add(next.quote);
        self.taker_quote = self.taker_quote.saturating_add(next.taker_quote);
    }

    /// This 1m candle as it stood `fraction` (0 to 1) of the way through its minute.
    ///
    /// The price follows a path drawn from `rng`: straight lines from the open through three
    /// intermediate prices and the high and the low (in random order, at random times) to the
    /// close. High and low so far are the extremes of the path so far; volumes and trades grow
    /// linearly, rounded down. At `fraction == 1` the result is the candle itself, so a forming
    /// candle never leaves the range of the closed one and converges to it.
    pub(crate) fn partial(&self, fraction: f64, mut rng: Rng) -> Bar {
        let f = fraction.clamp(0.0, 1.0);
        let (high, low) = (f64::from(self.high), f64::from(self.low));
        let a = rng.uniform(0.1, 0.45);
        let b = rng.uniform(0.55, 0.9);
        let (first, second) = if rng.chance(0.5) {
            (high, low)
        } else {
            (low, high)
        };
        // Whole ticks, so the running extremes never shrink by rounding.
        let knots = [
            (0.0, f64::from(self.open)),
            (rng.uniform(0.02, a - 0.02), rng.uniform(low, high).round()),
            (a, first),
            (
                rng.uniform(a + 0.02, b - 0.02),
                rng.uniform(low, high).round(),
            ),
            (b, second),
            (rng.uniform(b + 0.02, 0.98), rng.uniform(low, high).round()),
            (1.0, f64::from(self.close)),
        ];
        let (mut hi, mut lo) = (knots[0].1, knots[0].1);
        let mut price = knots[6].1;
        for pair in knots.windows(2) {
            let ((x0, p0), (x1, p1)) = (pair[0], pair[1]);
            if f >= x1 {
                hi = hi.max(p1);
                lo = lo.min(p1);
            } else {
                price = (p0 + (p1 - p0) * (f - x0) / (x1 - x0)).round();
                break;
            }
        }
        let part = |x: u64| (x as f64 * f).floor() as u64;
        Bar {
            minute: self.minute,
            open: self.open,
            high: hi.max(price) as u32,
            low: lo.min(price) as u32,
            close: price as u32,
            trades: (f64::from(self.trades) * f).floor() as u32,
            volume: part(self.volume),
            taker_volume: part(self.taker_volume),
            quote: part(self.quote),
            taker_quote: part(self.taker_quote),
        }
    }
}

/// The closed candles of one interval (the newest `capacity`) and the one being built from the
/// 1m candles of the current period.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) interval: Interval,
    capacity: usize,
    bars: VecDeque<Bar>,
    /// The candle of the current period so far, and the end of that period.
    building: Option<(Bar, i64)>,
}

impl Series {
    pub(crate) fn new(interval: Interval, capacity: usize) -> Self {
        Self {
            interval,
            capacity: capacity.max(1),
            bars: VecDeque::new(),
            building: None,
        }
    }

    /// Folds a closed 1m candle into the candle of its period.
    pub(crate) fn add(&mut self, bar: &Bar) {
        // Within the period being built (the common case), no calendar arithmetic is needed.
        match &mut self.building {
            Some((built, end)) if built.open_ms() <= bar.open_ms() && bar.open_ms() < *end => {
                built.merge(bar);
            }
            _ => {
                let open = self.interval.open_time(bar.open_ms());
                if let Some((built, _)) = self.building.take() {
                    self.push(built);
                }
                let start = Bar {
                    minute: minute_of(open),
                    ..*bar
                };
                self.building = Some((start, self.interval.next_open(open)));
            }
        }
    }

    /// Closes the candle being built if its period ended at or before `now_ms`.
    pub(crate) fn close_through(&mut self, now_ms: i64) {
        match self.building {
            Some((built, end)) if end <= now_ms => {
                self.building = None;
                self.push(built);
            }
            _ => {}
        }
    }

    /// Appends a closed candle, dropping the oldest beyond the capacity. The buffer grows by
    /// doubling but never past the capacity, so a full ring holds no slack.
    fn push(&mut self, bar: Bar) {
        if self.bars.len() == self.capacity {
            self.bars.pop_front();
        } else if self.bars.len() == self.bars.capacity() {
            let extra = self.bars.len().max(8).min(self.capacity - self.bars.len());
            self.bars.reserve_exact(extra);
        }
        self.bars.push_back(bar);
    }

    pub(crate) fn bars(&self) -> &VecDeque<Bar> {
        &self.bars
    }

    /// The candle being built, if the period has any 1m candle yet.
    pub(crate) fn building(&self) -> Option<&Bar> {
        self.building.as_ref().map(|(bar, _)| bar)
    }

    /// Closed candles opening in `[from_ms, to_ms)`, oldest first, at most `limit`.
    pub(crate) fn range(
        &self,
        from_ms: i64,
        to_ms: i64,
        limit: usize,
    ) -> impl Iterator<Item = &Bar> + '_ {
        let start = self.bars.partition_point(|b| b.open_ms() < from_ms);
        let end = self
            .bars
            .partition_point(|b| b.open_ms() < to_ms)
            .max(start);
        self.bars.range(start..end).take(limit)
    }

    /// The newest `limit` closed candles opening at or before `end_ms` (all when `None`),
    /// oldest first.
    pub(crate) fn latest(
        &self,
        end_ms: Option<i64>,
        limit: usize,
    ) -> impl Iterator<Item = &Bar> + '_ {
        let end = match end_ms {
            Some(end_ms) => self.bars.partition_point(|b| b.open_ms() <= end_ms),
            None => self.bars.len(),
        };
        self.bars.range(end.saturating_sub(limit)..end)
    }

    /// Bytes held by the ring's buffer.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.bars.capacity() * size_of::<Bar>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(minute: i32, open: u32, high: u32, low: u32, close: u32) -> Bar {
        Bar {
            minute,
            open,
            high,
            low,
            close,
            trades: 40,
            volume: 1_000,
            taker_volume: 400,
            quote: 123_456,
            taker_quote: 50_000,
        }
    }

    #[test]
    fn a_bar_is_compact() {
        assert_eq!(size_of::<Bar>(), 56);
    }

    #[test]
    fn partial_stays_inside_and_converges() {
        let full = bar(10, 1_000, 1_050, 990, 1_020);
        for seed in 0..50 {
            assert_eq!(full.partial(1.0, Rng::new(seed)), full);
            let mut last = full.partial(0.0, Rng::new(seed));
            assert_eq!(
                (last.open, last.high, last.low, last.close),
                (1_000, 1_000, 1_000, 1_000)
            );
            for step in 1..=100 {
                let p = full.partial(f64::from(step) / 100.0, Rng::new(seed));
                assert!(p.low >= full.low && p.high <= full.high, "{p:?}");
                assert!(p.low <= p.close && p.close <= p.high, "{p:?}");
                assert!(
                    p.high >= last.high && p.low <= last.low,
                    "extremes only widen"
                );
                assert!(p.volume >= last.volume && p.trades >= last.trades);
                last = p;
            }
            assert_eq!(last, full);
        }
    }

    #[test]
    fn series_builds_periods_and_keeps_the_newest() {
        let mut series = Series::new(Interval::M5, 3);
        for minute in 0..23 {
            let b = bar(minute, 100 + minute as u32, 200, 50, 101 + minute as u32);
            series.add(&b);
            series.close_through(b.open_ms() + MINUTE_MS);
        }
        let opens: Vec<i32> = series.bars().iter().map(|b| b.minute).collect();
        assert_eq!(opens, [5, 10, 15]);
        let last = series.bars()[2];
        assert_eq!(
            (last.open, last.close, last.volume, last.trades),
            (115, 120, 5_000, 200)
        );
        assert_eq!(
            series.building().map(|b| (b.minute, b.volume)),
            Some((20, 3_000))
        );
        assert!(series.memory_bytes() <= 3 * size_of::<Bar>());
        let in_range: Vec<i32> = series
            .range(6 * MINUTE_MS, 15 * MINUTE_MS, 10)
            .map(|b| b.minute)
            .collect();
        assert_eq!(in_range, [10]);
        let latest: Vec<i32> = series
            .latest(Some(14 * MINUTE_MS), 5)
            .map(|b| b.minute)
            .collect();
        assert_eq!(latest, [5, 10]);
    }
}
