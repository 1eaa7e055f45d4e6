//! Doji: open and close (nearly) equal, relative to recent ranges. TA-Lib `CDLDOJI`.

use super::recent::Recent;
use super::settings::{Average, BODY_DOJI, longest};
use super::tape::Tape;

/// TA-Lib's lookback: `BodyDoji`'s period.
const LOOKBACK: usize = longest(&[BODY_DOJI]);

/// DOJI: equals TA-Lib `CDLDOJI != 0`. The current candle's real body is at most `BodyDoji`:
///
/// `|close - open| <= 0.1 × (mean high-low range of the 10 previous candles)`
///
/// The comparison is against recent ranges, not the candle's own: a candle with a tiny range
/// is a doji when its body is tiny next to its neighbours' ranges. An unchanged candle
/// (`close == open`) is always a doji, even with no range at all, and so is any candle after
/// ten candles without range. Dragonfly and gravestone dojis are dojis too.
///
/// `None` for the first 10 candles; the first value is at the 11th (index 10).
#[derive(Debug, Clone)]
pub struct Doji {
    /// `BodyDoji` for the current candle.
    tape: Tape<1>,
}

impl Doji {
    pub fn new() -> Self {
        Self {
            tape: Tape::new(LOOKBACK, [(BODY_DOJI, 0)]),
        }
    }

    fn matches(recent: &Recent, [body_doji]: &[Average; 1]) -> bool {
        recent.ago(0).real_body() <= body_doji.value()
    }
}

super::pattern_impls!(Doji, "DOJI", Self::matches);

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::Indicator;
    use rstest::rstest;

    use super::super::shape::{background, candle};
    use super::*;

    /// Ten candles of range 2 make `BodyDoji` 0.2, then `last` is judged.
    fn judge(last: Candle) -> Vec<Option<bool>> {
        let mut candles = background(10);
        candles.push(last);
        crate::batch(&mut Doji::new(), &candles)
    }

    #[rstest]
    #[case::open_equals_close(candle(100.0, 103.0, 97.0, 100.0), true)]
    // 0.45 - 0.25 is exactly the double 0.2, which is what 0.1 × 2 rounds to.
    #[case::body_at_the_limit(candle(0.25, 0.5, 0.0, 0.25 + 0.2), true)]
    #[case::body_just_over(candle(0.25, 0.5, 0.0, 0.450_000_000_000_000_1), false)]
    #[case::bearish_small_body(candle(100.0, 100.5, 99.0, 99.9), true)]
    #[case::no_range(candle(100.0, 100.0, 100.0, 100.0), true)]
    #[case::tiny_range_but_not_small_next_to_neighbours(candle(100.0, 100.3, 100.0, 100.3), false)]
    #[case::ordinary(candle(100.0, 101.5, 99.5, 101.0), false)]
    fn judges_the_body_against_recent_ranges(#[case] last: Candle, #[case] expected: bool) {
        let out = judge(last);
        assert!(out[..10].iter().all(Option::is_none));
        assert_eq!(out[10], Some(expected));
    }

    #[test]
    fn flat_history_makes_only_unchanged_candles_dojis() {
        let flat = candle(5.0, 5.0, 5.0, 5.0);
        let mut candles = vec![flat; 12];
        candles.push(candle(5.0, 5.0 + 1e-12, 5.0, 5.0 + 1e-12));
        let out = crate::batch(&mut Doji::new(), &candles);
        assert_eq!(out[10..], [Some(true), Some(true), Some(false)]);
    }

    #[test]
    fn replays_after_reset() {
        let mut candles = background(10);
        candles.extend([
            candle(100.0, 103.0, 97.0, 100.0),
            candle(100.0, 101.0, 99.0, 101.0),
        ]);
        let mut p = Doji::new();
        let first = crate::batch(&mut p, &candles);
        assert_eq!(first[10..], [Some(true), Some(false)]);
        p.reset();
        assert_eq!(crate::batch(&mut p, &candles), first);
    }

    #[test]
    fn displays_its_name() {
        assert_eq!(Doji::new().to_string(), "DOJI");
    }
}
