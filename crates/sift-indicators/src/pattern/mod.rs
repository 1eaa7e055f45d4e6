//! Candle patterns, one file each. Each is an indicator returning `bool` (written as 1.0 or
//! 0.0 in a registry row), judged on the shape of the last one to three candles only: a rule
//! adds the trend context a pattern needs (`hammer() and close < sma(50)`).
//!
//! Shared notation (`shape.rs`): body `|close - open|`, range `high - low`, upper shadow
//! `high - max(open, close)`, lower shadow `min(open, close) - low`; bullish `close > open`,
//! bearish `close < open`.

mod bearish_engulfing;
mod bullish_engulfing;
mod doji;
mod hammer;
mod shape;
mod shooting_star;
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
        "a bullish candle whose body covers the previous bearish candle's body",
        |_| Ok(boxed(BullishEngulfing::new())),
    ),
    pattern(
        "bearish_engulfing",
        "a bearish candle whose body covers the previous bullish candle's body",
        |_| Ok(boxed(BearishEngulfing::new())),
    ),
    pattern("doji", "a body at most 10% of the candle's range", |_| {
        Ok(boxed(Doji::new()))
    }),
    pattern(
        "hammer",
        "lower shadow at least twice the body, upper shadow at most 10% of the range",
        |_| Ok(boxed(Hammer::new())),
    ),
    pattern(
        "shooting_star",
        "upper shadow at least twice the body, lower shadow at most 10% of the range",
        |_| Ok(boxed(ShootingStar::new())),
    ),
    pattern(
        "three_white_soldiers",
        "three long bullish candles closing near their highs, each opening in the previous body",
        |_| Ok(boxed(ThreeWhiteSoldiers::new())),
    ),
    pattern(
        "three_black_crows",
        "three long bearish candles closing near their lows, each opening in the previous body",
        |_| Ok(boxed(ThreeBlackCrows::new())),
    ),
];

#[cfg(test)]
mod tests {
    use sift_core::Candle;

    use crate::{Error, Spec};

    #[test]
    fn patterns_build_by_name_and_write_booleans() {
        let doji = Candle::ohlcv(0, 10.0, 11.0, 9.0, 10.0, 1.0);
        let mut out = [f64::NAN];
        let mut built = Spec::parse("doji()").unwrap().build().unwrap();
        assert!(built.update(&doji, None, &mut out));
        assert_eq!(out[0], 1.0);
        let mut built = Spec::parse("three_black_crows").unwrap().build().unwrap();
        assert!(!built.update(&doji, None, &mut out));
        assert!(!built.update(&doji, None, &mut out));
        assert!(built.update(&doji, None, &mut out));
        assert_eq!(out[0], 0.0);
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
