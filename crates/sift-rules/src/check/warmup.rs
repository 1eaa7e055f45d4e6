//! Measuring an indicator's warm-up: build it from its spec and feed it a deterministic
//! synthetic candle stream until it reports a value.
//!
//! Every registry indicator becomes ready after a number of candles that depends on its
//! parameters only, not on the prices (its windows must fill), provided the candles are
//! ordinary: prices positive and moving, ranges non-empty, volumes positive. The stream is a
//! seeded random walk with those properties, one minute apart from 2024-01-01 00:00 UTC, so
//! the measurement is reproducible and exact. The stream is as long as the history limit
//! plus one; an indicator not ready by then needs more history than Sift keeps.

use sift_core::Candle;
use sift_indicators::Spec;

use super::Lowerer;

/// 2024-01-01T00:00:00Z in epoch milliseconds.
const START_MS: i64 = 1_704_067_200_000;
const MINUTE_MS: i64 = 60_000;

impl Lowerer<'_> {
    /// The 1-based index of the first synthetic candle at which `spec`'s indicator is ready,
    /// `u32::MAX` when it is not ready within `max_history + 1` candles, or the build error.
    pub(super) fn measure_warmup(&mut self, spec: &Spec) -> Result<u32, String> {
        let mut indicator = spec.build().map_err(|e| e.to_string())?;
        let len = self.options.max_history as usize + 1;
        if self.candles.len() < len {
            self.candles = random_walk(len);
        }
        let mut out = [0.0; 8];
        for (i, candle) in self.candles.iter().take(len).enumerate() {
            if indicator.update(candle, None, &mut out) {
                return Ok(i as u32 + 1);
            }
        }
        Ok(u32::MAX)
    }
}

/// `n` one-minute candles of a seeded random walk around 100: each close moves up to 1 % from
/// the previous (reflected to stay within 80 to 125), open is the previous close, high and low
/// extend the body by up to 0.5 %, volume is 100 to 1000.
///
/// The first candle spans 60 to 150, so the price range of any window that includes it does
/// not change while the window fills: range-based indicators (the volume profile re-bins on
/// every new extreme, O(bins)) stay cheap to measure, whatever their parameters.
pub(crate) fn random_walk(n: usize) -> Vec<Candle> {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut close: f64 = 100.0;
    (0..n)
        .map(|i| {
            let open = close;
            close = open * (1.0 + 0.01 * (2.0 * rng.unit() - 1.0));
            if !(80.0..=125.0).contains(&close) {
                close = 2.0 * open - close;
            }
            let (mut high, mut low) = (
                open.max(close) * (1.0 + 0.005 * rng.unit()),
                open.min(close) * (1.0 - 0.005 * rng.unit()),
            );
            if i == 0 {
                (high, low) = (150.0, 60.0);
            }
            let volume = 100.0 + 900.0 * rng.unit();
            let mut candle = Candle::ohlcv(
                START_MS + i as i64 * MINUTE_MS,
                open,
                high,
                low,
                close,
                volume,
            );
            candle.quote_volume = volume * close;
            candle.trades = 10 + (rng.unit() * 100.0) as u64;
            candle.taker_buy_volume = volume * rng.unit();
            candle.taker_buy_quote_volume = candle.taker_buy_volume * close;
            candle
        })
        .collect()
}

/// A small deterministic generator (xorshift64*), enough for synthetic prices.
struct XorShift(u64);

impl XorShift {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use sift_indicators::registry;

    use super::*;
    use crate::CheckOptions;
    use crate::ast::Rule;

    fn measure(text: &str) -> Result<u32, String> {
        let rule = Rule {
            lets: Vec::new(),
            expr: None,
        };
        let mut lowerer = Lowerer::new("", &CheckOptions::default(), &rule);
        lowerer.measure_warmup(&Spec::parse(text).map_err(|e| e.to_string())?)
    }

    #[rstest]
    #[case("sma(20)", 20)]
    #[case("ema(200)", 200)]
    #[case("rsi(14)", 15)]
    #[case("macd(12, 26, 9)", 34)]
    #[case("atr(14)", 15)]
    #[case("obv", 1)]
    #[case("highest(20)", 20)]
    #[case("doji", 11)]
    #[case("sma(1000)", 1000)]
    #[case("sma(1001)", 1001)]
    #[case("sma(1002)", u32::MAX)]
    fn measures_the_first_ready_candle(#[case] spec: &str, #[case] want: u32) {
        assert_eq!(measure(spec), Ok(want));
    }

    #[test]
    fn the_walk_is_ordinary_and_reproducible() {
        let a = random_walk(20_000);
        assert_eq!(a, random_walk(20_000));
        for c in &a {
            assert!((60.0..=150.0).contains(&c.low) && (60.0..=150.0).contains(&c.high));
            assert!(c.low > 0.0 && c.low < c.high, "{c:?}");
            assert!(c.low <= c.open.min(c.close) && c.high >= c.open.max(c.close));
            assert!(c.volume >= 100.0);
        }
    }

    /// Every registry indicator with its defaults becomes ready within the stream.
    #[test]
    fn every_registry_indicator_becomes_ready() {
        for def in registry::all() {
            let spec = Spec::default_for(def, 10.0).unwrap();
            let got = measure(&crate::program::spec_text(&spec));
            assert!(matches!(got, Ok(n) if n < 1000), "{}: {got:?}", def.name);
        }
    }
}
