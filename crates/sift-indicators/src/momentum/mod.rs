//! Momentum indicators, one file each.

mod adx;
mod cci;
mod directional;
mod macd;
mod mfi;
mod mom;
mod roc;
mod rsi;
mod stoch;
mod stochrsi;
mod willr;

pub use adx::{Adx, AdxOutput};
pub use cci::Cci;
pub use macd::{Macd, MacdOutput};
pub use mfi::Mfi;
pub use mom::Mom;
pub use roc::Roc;
pub use rsi::Rsi;
pub use stoch::{Stoch, StochOutput};
pub use stochrsi::StochRsi;
pub use willr::Willr;

use crate::Outputs;
use crate::dynamic::{boxed, boxed_series};
use crate::registry::{Category, Def, Param};

/// TA-Lib's `TA_EPSILON`: the relative dead-zone of its scale-aware zero tests.
pub(crate) const TA_EPSILON: f64 = 1e-14;

/// TA-Lib's `TA_IS_ZERO_SCALED(v, scale)`: `v` is a difference of operands whose magnitudes sum
/// to `scale`, and is treated as zero within `TA_EPSILON` of that scale (about 90 ulps).
#[inline]
pub(crate) fn is_zero_scaled(v: f64, scale: f64) -> bool {
    v.abs() <= scale * TA_EPSILON
}

// Periods with a lower bound above 1 are checked by the crate-wide helper.
pub(crate) use crate::check_min_period;

/// This category's registry entries.
pub(crate) const DEFS: &[Def] = &[
    Def {
        name: "rsi",
        category: Category::Momentum,
        summary: "relative strength index (Wilder), 0 to 100",
        params: &[Param::period("n", 14.0, "number of changes averaged, at least 2").at_least(2.0)],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Rsi::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "macd",
        category: Category::Momentum,
        summary: "moving average convergence divergence: ema(fast) - ema(slow), its signal ema and histogram",
        params: &[
            Param::period("fast", 12.0, "fast EMA period, at least 2").at_least(2.0),
            Param::period("slow", 26.0, "slow EMA period, at least 2").at_least(2.0),
            Param::period("signal", 9.0, "signal EMA period"),
        ],
        fields: <MacdOutput as Outputs>::FIELDS,
        source: Some(crate::Source::Close),
        build: |a| {
            let macd = Macd::new(a.usize(0), a.usize(1), a.usize(2))?;
            Ok(boxed_series(macd.with_source(a.source())))
        },
    },
    Def {
        name: "stoch",
        category: Category::Momentum,
        summary: "slow stochastic oscillator: SMA-smoothed %K and its SMA %D, 0 to 100",
        params: &[
            Param::period("k", 14.0, "bars in the highest-high / lowest-low window"),
            Param::period("smooth_k", 3.0, "SMA period smoothing the raw %K"),
            Param::period("d", 3.0, "SMA period of %D over the smoothed %K"),
        ],
        fields: <StochOutput as Outputs>::FIELDS,
        source: None,
        build: |a| Ok(boxed(Stoch::new(a.usize(0), a.usize(1), a.usize(2))?)),
    },
    Def {
        name: "stochrsi",
        category: Category::Momentum,
        summary: "stochastic of the RSI (TradingView's Stoch RSI), 0 to 100",
        params: &[
            Param::period("rsi", 14.0, "RSI period, at least 2").at_least(2.0),
            Param::period("stoch", 14.0, "bars in the RSI's highest / lowest window"),
            Param::period("k", 3.0, "SMA period smoothing the raw %K"),
            Param::period("d", 3.0, "SMA period of %D over the smoothed %K"),
        ],
        fields: <StochOutput as Outputs>::FIELDS,
        source: Some(crate::Source::Close),
        build: |a| {
            let stochrsi = StochRsi::new(a.usize(0), a.usize(1), a.usize(2), a.usize(3))?;
            Ok(boxed_series(stochrsi.with_source(a.source())))
        },
    },
    Def {
        name: "cci",
        category: Category::Momentum,
        summary: "commodity channel index of the typical price",
        params: &[Param::period("n", 20.0, "number of bars, at least 2").at_least(2.0)],
        fields: &[],
        source: None,
        build: |a| Ok(boxed(Cci::new(a.usize(0))?)),
    },
    Def {
        name: "mfi",
        category: Category::Momentum,
        summary: "money flow index (volume-weighted RSI of the typical price), 0 to 100",
        params: &[Param::period("n", 14.0, "number of bars, at least 2").at_least(2.0)],
        fields: &[],
        source: None,
        build: |a| Ok(boxed(Mfi::new(a.usize(0))?)),
    },
    Def {
        name: "willr",
        category: Category::Momentum,
        summary: "Williams %R, -100 to 0",
        params: &[Param::period("n", 14.0, "number of bars, at least 2").at_least(2.0)],
        fields: &[],
        source: None,
        build: |a| Ok(boxed(Willr::new(a.usize(0))?)),
    },
    Def {
        name: "roc",
        category: Category::Momentum,
        summary: "rate of change in percent over n bars",
        params: &[Param::period("n", 10.0, "number of bars back")],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Roc::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "mom",
        category: Category::Momentum,
        summary: "momentum: the change over n bars",
        params: &[Param::period("n", 10.0, "number of bars back")],
        fields: &[],
        source: Some(crate::Source::Close),
        build: |a| Ok(boxed_series(Mom::new(a.usize(0))?.with_source(a.source()))),
    },
    Def {
        name: "adx",
        category: Category::Momentum,
        summary: "average directional index with the +DI and -DI lines (Wilder)",
        params: &[Param::period("n", 14.0, "number of bars, at least 2").at_least(2.0)],
        fields: <AdxOutput as Outputs>::FIELDS,
        source: None,
        build: |a| Ok(boxed(Adx::new(a.usize(0))?)),
    },
];

#[cfg(test)]
mod tests {
    use std::fmt::Debug;

    use sift_core::Candle;

    use super::*;
    use crate::{Indicator, batch};

    fn candles() -> Vec<Candle> {
        (0..150)
            .map(|i| {
                let close = 100.0 + ((i * 37) % 23) as f64 * 0.25;
                let high = close + ((i * 7) % 5) as f64 * 0.1;
                let low = close - ((i * 3) % 4) as f64 * 0.1;
                Candle::ohlcv(i, close, high, low, close, ((i * 11) % 7) as f64)
            })
            .collect()
    }

    fn batch_equals_incremental<I>(indicator: I)
    where
        I: Indicator + Clone,
        I::Output: PartialEq + Debug,
    {
        let data = candles();
        let mut fresh = indicator.clone();
        let mut batched = indicator;
        let incremental: Vec<_> = data.iter().map(|c| fresh.update(c)).collect();
        assert!(incremental.iter().any(Option::is_some));
        assert_eq!(batch(&mut batched, &data), incremental);
    }

    #[test]
    fn batch_equals_incremental_for_every_momentum_indicator() {
        batch_equals_incremental(Rsi::new(14).unwrap());
        batch_equals_incremental(Macd::new(12, 26, 9).unwrap());
        batch_equals_incremental(Stoch::new(14, 3, 3).unwrap());
        batch_equals_incremental(StochRsi::new(14, 14, 3, 3).unwrap());
        batch_equals_incremental(Cci::new(20).unwrap());
        batch_equals_incremental(Mfi::new(14).unwrap());
        batch_equals_incremental(Willr::new(14).unwrap());
        batch_equals_incremental(Roc::new(10).unwrap());
        batch_equals_incremental(Mom::new(10).unwrap());
        batch_equals_incremental(Adx::new(14).unwrap());
    }

    #[test]
    fn registry_specs_use_the_catalogue_names() {
        let specs = [
            ("rsi(14)", 0),
            ("macd(fast=12, slow=26, signal=9)", 3),
            ("stoch(k=14, smooth_k=3, d=3)", 2),
            ("stochrsi(rsi=14, stoch=14, k=3, d=3)", 2),
            ("cci(n=20)", 0),
            ("mfi(n=14)", 0),
            ("willr(n=14)", 0),
            ("roc(hlc3, 10)", 0),
            ("mom(volume, 10)", 0),
            ("adx(n=14)", 3),
        ];
        for (text, fields) in specs {
            let spec = crate::Spec::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(spec.build().unwrap().fields().len(), fields, "{text}");
        }
        for candle_only in ["stoch", "cci", "mfi", "willr", "adx"] {
            assert!(crate::Spec::parse(&format!("{candle_only}(hlc3)")).is_err());
        }
    }

    #[test]
    fn periods_below_the_minimum_or_above_the_maximum_are_rejected() {
        let err = check_min_period("rsi", "n", 1, 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "rsi: parameter n = 1 is invalid: expected a whole number from 2 to 100000; \
             usage: rsi(n=14)"
        );
        assert!(Cci::new(crate::MAX_PERIOD + 1).is_err());
        assert!(Mfi::new(usize::MAX).is_err());
        assert!(Willr::new(usize::MAX).is_err());
        assert!(Rsi::new(usize::MAX).is_err());
        assert!(Adx::new(usize::MAX).is_err());
        assert!(Macd::new(12, usize::MAX, 9).is_err());
        assert!(StochRsi::new(usize::MAX, 14, 3, 3).is_err());
    }
}
