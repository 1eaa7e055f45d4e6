//! TA-Lib's candle settings: what "short body", "long shadow", "very short shadow", "near"
//! and "far" mean, as multiples of an average over the candles before the one judged.
//!
//! A setting has a measure (real body or high-low range), an averaging period and a factor
//! (TA-Lib's defaults, `TA_RestoreCandleDefaultSettings`; the ones Sift's patterns use):
//!
//! | setting           | measure  | period | factor |
//! |-------------------|----------|--------|--------|
//! | `BodyShort`       | body     | 10     | 1.0    |
//! | `BodyDoji`        | range    | 10     | 0.1    |
//! | `ShadowLong`      | body     | 0      | 1.0    |
//! | `ShadowVeryShort` | range    | 10     | 0.1    |
//! | `Near`            | range    | 5      | 0.2    |
//! | `Far`             | range    | 5      | 0.6    |
//!
//! Its value for candle `k` is `factor × (sum of the measure over the period candles before
//! k) / period`; candle `k` itself is excluded. A period of 0 means the candle's own measure
//! instead: `ShadowLong` for a candle is `1.0 × its own real body`. (TA-Lib also has a
//! "shadows" measure, halved, used only by settings none of these patterns use.)
//!
//! TA-Lib keeps each sum as a running total, and the exact bits of the total depend on where
//! it started, so [`Average`] starts and slides its total exactly as TA-Lib's batch function
//! does when called on the whole series: the first `period` measures are added one by one
//! into a total starting at zero, then after each judged candle the total gains
//! `(entering - leaving)`, the difference taken first. The thresholds, and so the patterns,
//! then agree with TA-Lib bit for bit, on flat candles and zero ranges too.

use super::recent::Recent;
use super::shape::Shape;

/// The quantity a setting averages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    /// `|close - open|`.
    RealBody,
    /// `high - low`.
    HighLow,
}

/// One candle setting: a measure, an averaging period (0: the candle's own measure) and a
/// factor.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Setting {
    measure: Measure,
    period: usize,
    factor: f64,
}

/// A real body shorter than the average body of the previous 10 candles is short.
pub(crate) const BODY_SHORT: Setting = Setting::new(Measure::RealBody, 10, 1.0);
/// A real body at most 10% of the average range of the previous 10 candles is a doji body.
pub(crate) const BODY_DOJI: Setting = Setting::new(Measure::HighLow, 10, 0.1);
/// A shadow longer than the candle's own real body is long.
pub(crate) const SHADOW_LONG: Setting = Setting::new(Measure::RealBody, 0, 1.0);
/// A shadow shorter than 10% of the average range of the previous 10 candles is very short.
pub(crate) const SHADOW_VERY_SHORT: Setting = Setting::new(Measure::HighLow, 10, 0.1);
/// Within 20% of the average range of the previous 5 candles is near.
pub(crate) const NEAR: Setting = Setting::new(Measure::HighLow, 5, 0.2);
/// 60% of the average range of the previous 5 candles is far.
pub(crate) const FAR: Setting = Setting::new(Measure::HighLow, 5, 0.6);

impl Setting {
    const fn new(measure: Measure, period: usize, factor: f64) -> Self {
        Self {
            measure,
            period,
            factor,
        }
    }

    /// The candle's measure (TA-Lib's `TA_CANDLERANGE`).
    #[inline]
    fn measure(&self, shape: &Shape) -> f64 {
        match self.measure {
            Measure::RealBody => shape.real_body(),
            Measure::HighLow => shape.high_low_range(),
        }
    }

    /// The value of a setting with period 0 for a candle: `factor × its own measure`.
    #[inline]
    pub(crate) fn of_own(&self, shape: &Shape) -> f64 {
        debug_assert_eq!(self.period, 0, "averaged settings need an Average");
        self.factor * self.measure(shape)
    }
}

/// The longest averaging period among `settings`: TA-Lib's lookbacks are this plus the number
/// of candles before the current one that the pattern compares.
pub(crate) const fn longest(settings: &[Setting]) -> usize {
    let mut longest = 0;
    let mut i = 0;
    while i < settings.len() {
        if settings[i].period > longest {
            longest = settings[i].period;
        }
        i += 1;
    }
    longest
}

/// A setting averaged for the candle `lag` candles before the current one, over the `period`
/// candles before that one, kept as TA-Lib's running total (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct Average {
    setting: Setting,
    lag: usize,
    /// The index of the first candle (counted from the first of the series) at which the
    /// total takes a measure in, while the pattern warms up.
    first: usize,
    total: f64,
}

impl Average {
    /// The average of `setting` for the candle `lag` back, in a pattern whose first output is
    /// at candle index `lookback`.
    ///
    /// # Panics
    /// If `setting` has period 0, or `lookback < period + lag` (a pattern's lookback covers
    /// its settings).
    pub(crate) fn new(setting: Setting, lag: usize, lookback: usize) -> Self {
        assert!(
            setting.period > 0 && lookback >= setting.period + lag,
            "an averaged setting within the pattern's lookback"
        );
        Self {
            setting,
            lag,
            first: lookback - setting.period,
            total: 0.0,
        }
    }

    /// Takes in the candle just pushed as candle `index` of the series, while the pattern is
    /// warming up (`index` below its lookback): the measures of the `period` candles before
    /// the first judged one are added in order.
    #[inline]
    pub(crate) fn warm_up(&mut self, recent: &Recent, index: usize) {
        if index >= self.first {
            self.total += self.setting.measure(recent.ago(self.lag));
        }
    }

    /// The setting's value for the candle `lag` back: `factor × (total / period)`.
    #[inline]
    pub(crate) fn value(&self) -> f64 {
        self.setting.factor * (self.total / self.setting.period as f64)
    }

    /// Slides the window one candle on, after the current candle has been judged: the candle
    /// `lag` back enters and the one `lag + period` back leaves.
    #[inline]
    pub(crate) fn roll(&mut self, recent: &Recent) {
        let entering = self.setting.measure(recent.ago(self.lag));
        let leaving = self
            .setting
            .measure(recent.ago(self.lag + self.setting.period));
        self.total += entering - leaving;
    }

    pub(crate) fn reset(&mut self) {
        self.total = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::super::shape::candle;
    use super::*;

    /// Pushes candles with ranges 1, 2, 3, ... and bodies 0.5, 1, 1.5, ..., warming up or
    /// rolling `average` as a pattern with first output at `lookback` would, and returns its
    /// value after each candle from `lookback` on.
    fn run(average: &mut Average, lookback: usize, n: usize) -> Vec<f64> {
        let mut recent = Recent::default();
        let mut values = Vec::new();
        for i in 0..n {
            let r = (i + 1) as f64;
            let index = recent.push(Shape::of(&candle(10.0, 10.0 + r, 10.0, 10.0 + r / 2.0)));
            if index < lookback {
                average.warm_up(&recent, index);
            } else {
                values.push(average.value());
                average.roll(&recent);
            }
        }
        values
    }

    #[test]
    fn averages_the_candles_before_the_judged_one() {
        // Near (range, 5, 0.2) for the current candle, first judged at index 5: the ranges of
        // candles 0..5 are 1..=5, mean 3; then 2..=6, mean 4.
        let values = run(&mut Average::new(NEAR, 0, 5), 5, 7);
        assert_eq!(values, vec![0.2 * 3.0, 0.2 * 4.0]);
    }

    #[test]
    fn a_lag_shifts_the_window_back() {
        // Far (range, 5, 0.6) for the previous candle, first judged at index 7: candle 6's
        // five predecessors are candles 1..=5 with ranges 2..=6, mean 4.
        let values = run(&mut Average::new(FAR, 1, 7), 7, 9);
        assert_eq!(values, vec![0.6 * 4.0, 0.6 * 5.0]);
    }

    #[test]
    fn bodies_and_own_measures() {
        // BodyShort (body, 10, 1.0) at index 10: bodies 0.5..=5.0, mean 2.75.
        let values = run(&mut Average::new(BODY_SHORT, 0, 10), 10, 11);
        assert_eq!(values, vec![2.75]);
        let shape = Shape::of(&candle(1.0, 4.0, 0.0, 3.0));
        assert_eq!(SHADOW_LONG.of_own(&shape), 2.0);
    }

    #[test]
    fn reset_forgets_the_total() {
        let mut average = Average::new(BODY_DOJI, 0, 10);
        let first = run(&mut average, 10, 30);
        average.reset();
        assert_eq!(run(&mut average, 10, 30), first);
    }

    #[test]
    fn longest_period() {
        assert_eq!(longest(&[NEAR, BODY_SHORT, SHADOW_LONG]), 10);
        assert_eq!(longest(&[]), 0);
    }
}
