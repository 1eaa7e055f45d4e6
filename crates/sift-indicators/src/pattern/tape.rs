//! The state every pattern keeps: recent candles and its averaged candle settings, advanced
//! the way TA-Lib's pattern functions advance.

use sift_core::Candle;

use super::recent::Recent;
use super::settings::{Average, Setting};
use super::shape::Shape;

/// Recent candles and `N` averaged settings, for a pattern whose first output is at candle
/// index `lookback` (TA-Lib's lookback).
///
/// Each candle: while warming up, the averages take their initial measures in; from
/// `lookback` on, the pattern is judged with the averages as they stand (over the candles
/// before), then every average slides one candle on. That is the order of TA-Lib's loop.
#[derive(Debug, Clone)]
pub(crate) struct Tape<const N: usize> {
    recent: Recent,
    averages: [Average; N],
    lookback: usize,
}

impl<const N: usize> Tape<N> {
    /// `averages` lists each setting with its lag: how many candles before the current one
    /// the candle it is averaged for lies.
    ///
    /// # Panics
    /// If an averaged setting does not fit in `lookback` (see [`Average::new`]).
    pub(crate) fn new(lookback: usize, averages: [(Setting, usize); N]) -> Self {
        Self {
            recent: Recent::default(),
            averages: averages.map(|(setting, lag)| Average::new(setting, lag, lookback)),
            lookback,
        }
    }

    /// Feeds the next candle; from the lookback on, returns what `judge` says of the recent
    /// candles and the averages (in the order given to [`new`](Self::new)).
    #[inline]
    pub(crate) fn step(
        &mut self,
        candle: &Candle,
        judge: impl FnOnce(&Recent, &[Average; N]) -> bool,
    ) -> Option<bool> {
        let index = self.recent.push(Shape::of(candle));
        if index < self.lookback {
            for average in &mut self.averages {
                average.warm_up(&self.recent, index);
            }
            return None;
        }
        let hit = judge(&self.recent, &self.averages);
        for average in &mut self.averages {
            average.roll(&self.recent);
        }
        Some(hit)
    }

    pub(crate) fn reset(&mut self) {
        self.recent.clear();
        for average in &mut self.averages {
            average.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::settings::NEAR;
    use super::super::shape::candle;
    use super::*;

    #[test]
    fn judges_from_the_lookback_with_the_averages_before_the_candle() {
        let mut tape = Tape::new(6, [(NEAR, 1)]);
        let mut seen = Vec::new();
        for range in 1..=8 {
            let r = f64::from(range);
            let out = tape.step(&candle(0.0, r, 0.0, 0.0), |recent, [near]| {
                seen.push((recent.ago(0).high, near.value()));
                true
            });
            assert_eq!(out.is_some(), range > 6);
        }
        // At the 7th candle, Near is averaged for the 6th over the 1st to 5th: mean range 3.
        assert_eq!(seen, vec![(7.0, 0.2 * 3.0), (8.0, 0.2 * 4.0)]);
        tape.reset();
        assert_eq!(tape.step(&candle(0.0, 1.0, 0.0, 0.0), |_, _| true), None);
    }
}
