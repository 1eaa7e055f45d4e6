//! Candle patterns, one file each, each equal to the TA-Lib function it is named after
//! (`CDLDOJI`, `CDLENGULFING`, `CDLHAMMER`, `CDLSHOOTINGSTAR`, `CDL3WHITESOLDIERS`,
//! `CDL3BLACKCROWS`). Each is an indicator returning `bool` (written as 1.0 or 0.0 in a
//! registry row): `true` where TA-Lib's output is non-zero with the pattern's sign, `None`
//! before TA-Lib's first output (its lookback). TA-Lib judges the shape of the last one to four
//! candles against averages of the candles before them, never the trend: a rule adds the trend
//! context a pattern needs (`hammer() and close < sma(50)`).
//!
//! Shared notation (`shape.rs`), as in TA-Lib: body `|close - open|`, range `high - low`; white
//! `close >= open` (an unchanged candle is white), black `close < open`; upper shadow
//! `high - (close if white else open)`, lower shadow `(open if white else close) - low`.
//!
//! "Short", "long", "very short", "near" and "far" are TA-Lib's candle settings with its
//! default periods and factors (`settings.rs`), each an average over the candles before the
//! one judged, kept as a running total that starts and slides exactly as TA-Lib's does
//! (`tape.rs`), so outputs agree with TA-Lib bit for bit.

/// Implements `Default`, `Indicator` (one step of the pattern's tape, judged by `$judge`) and
/// `Display` (`$label`) for a pattern struct with a `tape` field and a `new()` constructor.
/// Declared before the pattern modules so they can use it.
macro_rules! pattern_impls {
    ($ty:ident, $label:literal, $judge:expr) => {
        impl Default for $ty {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $crate::Indicator for $ty {
            type Output = bool;

            #[inline]
            fn update(&mut self, candle: &sift_core::Candle) -> Option<bool> {
                self.tape.step(candle, $judge)
            }

            fn reset(&mut self) {
                self.tape.reset();
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($label)
            }
        }
    };
}
use pattern_impls;

mod bearish_engulfing;
mod bullish_engulfing;
mod doji;
mod hammer;
mod recent;
mod settings;
mod shape;
mod shooting_star;
mod tape;
mod three_black_crows;
mod three_white_soldiers;

pub use bearish_engulfing::BearishEngulfing;
pub use bullish_engulfing::BullishEngulfing;
pub use doji::Doji;
pub use hammer::Hammer;
pub use shooting_star::ShootingStar;
pub use three_black_crows::ThreeBlackCrows;
pub use three_white_soldiers::ThreeWhiteSoldiers;

use crate::dynamic::boxed;
use crate::registry::{Category, Def};

/// A registry entry for a pattern: no parameters, no source, one unnamed `bool` output.
const fn pattern(name: &'static str, summary: &'static str, build: crate::registry::Build) -> Def {
    Def {
        name,
        category: Category::Pattern,
        summary,
        params: &[],
        fields: &[],
        source: None,
        build,
    }
}

/// This category's registry entries.
pub(crate) const DEFS: &[Def] = &[
    pattern(
        "bullish_engulfing",
        "a white body covering the previous black body (TA-Lib CDLENGULFING > 0)",
        |_| Ok(boxed(BullishEngulfing::new())),
    ),
    pattern(
        "bearish_engulfing",
        "a black body covering the previous white body (TA-Lib CDLENGULFING < 0)",
        |_| Ok(boxed(BearishEngulfing::new())),
    ),
    pattern(
        "doji",
        "a body at most 10% of the mean range of the 10 previous candles (TA-Lib CDLDOJI)",
        |_| Ok(boxed(Doji::new())),
    ),
    pattern(
        "hammer",
        "a short body atop a long lower shadow, near the previous low (TA-Lib CDLHAMMER)",
        |_| Ok(boxed(Hammer::new())),
    ),
    pattern(
        "shooting_star",
        "a short body gapping up with a long upper shadow (TA-Lib CDLSHOOTINGSTAR)",
        |_| Ok(boxed(ShootingStar::new())),
    ),
    pattern(
        "three_white_soldiers",
        "three advancing white candles with short upper shadows (TA-Lib CDL3WHITESOLDIERS)",
        |_| Ok(boxed(ThreeWhiteSoldiers::new())),
    ),
    pattern(
        "three_black_crows",
        "a white candle, then three declining black ones (TA-Lib CDL3BLACKCROWS)",
        |_| Ok(boxed(ThreeBlackCrows::new())),
    ),
];

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::{Error, Spec};

    /// Feeds `n` copies of `candle` to a pattern built by name and returns the readiness of
    /// each update and the last value written.
    fn feed(spec: &str, candle: &Candle, n: usize) -> (Vec<bool>, f64) {
        let mut built = Spec::parse(spec).unwrap().build().unwrap();
        let mut out = [f64::NAN];
        let ready = (0..n)
            .map(|_| built.update(candle, None, &mut out))
            .collect();
        (ready, out[0])
    }

    #[test]
    fn patterns_build_by_name_and_write_booleans_from_talib_lookback() {
        let unchanged = Candle::ohlcv(0, 10.0, 11.0, 9.0, 10.0, 1.0);
        for (spec, lookback, last) in [
            ("doji()", 10, 1.0),
            ("bullish_engulfing", 2, 0.0),
            ("bearish_engulfing", 2, 0.0),
            ("hammer", 11, 0.0),
            ("shooting_star", 11, 0.0),
            ("three_white_soldiers", 12, 0.0),
            ("three_black_crows", 13, 0.0),
        ] {
            let (ready, value) = feed(spec, &unchanged, lookback + 2);
            let first = ready.iter().position(|r| *r);
            assert_eq!(first, Some(lookback), "{spec}");
            assert!(ready[lookback..].iter().all(|r| *r), "{spec}");
            assert_eq!(value, last, "{spec}");
        }
    }

    #[test]
    fn patterns_take_no_arguments() {
        assert!(matches!(
            Spec::parse("hammer(3)"),
            Err(Error::TooManyArguments { .. })
        ));
        assert!(matches!(
            Spec::parse("doji(close)"),
            Err(Error::NoSource { .. })
        ));
    }
}
