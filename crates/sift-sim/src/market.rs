//! The generator: seeded random-walk 1m candles with volatility regimes and volume.

use sift_core::{Candle, Interval, Symbol};

use crate::Rng;

/// 2025-01-01T00:00:00Z, where markets start by default.
const DEFAULT_START_MS: i64 = 1_735_689_600_000;
/// Chance per bar that the volatility regime changes: regimes last four hours on average.
const SWITCH_PROBABILITY: f64 = 1.0 / 240.0;
/// Chance per bar of a jump, a move [`JUMP_SCALE`] times the usual size (fat tails).
const JUMP_PROBABILITY: f64 = 0.002;
const JUMP_SCALE: f64 = 6.0;
/// Chance per bar of a volume spike of 3 to 8 times the usual volume.
const SPIKE_PROBABILITY: f64 = 0.004;
/// Trend per bar of a regime, as a multiple of its volatility times a standard normal draw.
const DRIFT_SCALE: f64 = 0.1;
/// Significant digits of the price tick and of the volume lot at the first candle.
const PRICE_DIGITS: i32 = 6;
const LOT_DIGITS: i32 = 4;
/// Quote volumes are rounded to 1e-4.
pub(crate) const QUOTE_SCALE: f64 = 1e4;

/// A synthetic market: `symbols` symbols, each an independent [`Walk`] determined by the seed
/// and the symbol's index alone (adding symbols does not change the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Market {
    pub seed: u64,
    pub symbols: usize,
    /// Open time of every symbol's first candle, on a minute boundary.
    pub start_ms: i64,
}

impl Market {
    /// `symbols` symbols from `seed`, starting on 2025-01-01T00:00:00Z.
    pub fn new(seed: u64, symbols: usize) -> Self {
        Self {
            seed,
            symbols,
            start_ms: DEFAULT_START_MS,
        }
    }

    /// The name of symbol `index`: `SIM00000USDT`, `SIM00001USDT`, ...
    ///
    /// # Panics
    /// If `index` has more than 13 digits (the name would exceed 20 characters).
    pub fn symbol(&self, index: usize) -> Symbol {
        Symbol::new(&format!("SIM{index:05}USDT")).expect("a valid symbol name")
    }

    /// Every symbol's name, by index.
    pub fn symbol_names(&self) -> Vec<Symbol> {
        (0..self.symbols).map(|i| self.symbol(i)).collect()
    }

    /// The endless 1m candles of symbol `index`.
    pub fn walk(&self, index: usize) -> Walk {
        Walk::new(Rng::stream(self.seed, index as u64), self.start_ms)
    }

    /// The first `bars` 1m candles of symbol `index`.
    pub fn candles(&self, index: usize, bars: usize) -> Vec<Candle> {
        self.walk(index).take(bars).collect()
    }
}

/// How much a symbol moves and trades per minute; regimes switch at random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Regime {
    Calm,
    Normal,
    Volatile,
}

impl Regime {
    const ALL: [Regime; 3] = [Regime::Calm, Regime::Normal, Regime::Volatile];

    /// Standard deviation of the log return per minute.
    pub fn sigma(self) -> f64 {
        match self {
            Regime::Calm => 0.000_5,
            Regime::Normal => 0.001_5,
            Regime::Volatile => 0.004,
        }
    }

    /// Volume relative to the symbol's usual volume.
    pub fn volume_factor(self) -> f64 {
        match self {
            Regime::Calm => 0.5,
            Regime::Normal => 1.0,
            Regime::Volatile => 2.5,
        }
    }
}

/// The 1m candles of one symbol, generated one at a time (an endless iterator).
///
/// Each bar: the regime switches with a small probability (drawing a new trend); the log return
/// is the trend plus the regime's volatility times a standard normal draw, rarely a jump; open
/// is the previous close; the wicks reach beyond the body by half a volatility times a
/// half-normal draw; volume is the usual volume times the regime's factor, larger for larger
/// moves, log-normally noisy, rarely spiking. Taker-buy volume leans with the move. Prices are
/// rounded to a tick of six significant digits of the first price, volumes to a lot of four
/// significant digits of the usual volume (quote volumes to 1e-4), so `to_string` prints them
/// exactly as they are.
#[derive(Debug, Clone)]
pub struct Walk {
    rng: Rng,
    regime: Regime,
    /// Log-return trend per bar of the current regime.
    drift: f64,
    /// The previous close, where the next candle opens.
    price: f64,
    open_time: i64,
    /// 10^decimals of the price tick and of the volume lot.
    tick_scale: f64,
    lot_scale: f64,
    /// Usual volume per minute, in base units.
    base_volume: f64,
    /// Multiplier of every regime's volatility and trend (1 for [`Market`]'s walks).
    volatility: f64,
}

/// What makes one symbol's walk: its first price, its usual trading per minute and how much more
/// or less than usual it moves. [`Market`] draws the first two at random; a caller naming its
/// symbols (`BTCUSDT` near 65,000, a stablecoin near 1) sets them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// Price of the first candle's open (rounded to the tick, six significant digits of it).
    pub price: f64,
    /// Usual quote volume per minute.
    pub quote_per_minute: f64,
    /// Multiplier of the regimes' volatility: 1 as usual, 0.01 for a stablecoin, 3 for a
    /// leveraged token.
    pub volatility: f64,
}

impl Walk {
    pub(crate) fn new(mut rng: Rng, start_ms: i64) -> Self {
        let price = 10f64.powf(rng.uniform(-2.0, 4.5));
        let quote_per_minute = 10f64.powf(rng.uniform(3.0, 6.0));
        let profile = Profile {
            price,
            quote_per_minute,
            volatility: 1.0,
        };
        Self::with_profile(rng, start_ms, profile)
    }

    /// A walk drawn from `rng` whose first candle opens at `start_ms` (rounded down to the
    /// minute) at `profile.price`.
    pub fn with_profile(mut rng: Rng, start_ms: i64, profile: Profile) -> Self {
        let first = profile.price;
        let base_volume = profile.quote_per_minute / first;
        let tick_scale = decimal_scale(first, PRICE_DIGITS);
        let regime = *rng.pick(&Regime::ALL);
        let drift = DRIFT_SCALE * regime.sigma() * rng.normal() * profile.volatility;
        Self {
            price: round_to(first, tick_scale),
            rng,
            regime,
            drift,
            open_time: Interval::M1.open_time(start_ms),
            tick_scale,
            lot_scale: decimal_scale(base_volume, LOT_DIGITS),
            base_volume,
            volatility: profile.volatility,
        }
    }

    /// 10^decimals of the price tick: every price times this is an integer.
    pub fn price_scale(&self) -> f64 {
        self.tick_scale
    }

    /// 10^decimals of the volume lot: every base volume times this is an integer.
    pub fn volume_scale(&self) -> f64 {
        self.lot_scale
    }

    /// The regime of the last candle generated.
    pub fn regime(&self) -> Regime {
        self.regime
    }

    fn switch_regime(&mut self) {
        let others: Vec<Regime> = Regime::ALL
            .into_iter()
            .filter(|r| *r != self.regime)
            .collect();
        self.regime = *self.rng.pick(&others);
        self.drift = DRIFT_SCALE * self.regime.sigma() * self.rng.normal() * self.volatility;
    }
}

impl Iterator for Walk {
    type Item = Candle;

    fn next(&mut self) -> Option<Candle> {
        if self.rng.chance(SWITCH_PROBABILITY) {
            self.switch_regime();
        }
        let sigma = self.regime.sigma() * self.volatility;
        let tick = 1.0 / self.tick_scale;
        let lot = 1.0 / self.lot_scale;
        let rng = &mut self.rng;

        let mut shock = rng.normal();
        if rng.chance(JUMP_PROBABILITY) {
            shock *= JUMP_SCALE;
        }
        let open = self.price;
        let close = round_to(open * (self.drift + sigma * shock).exp(), self.tick_scale).max(tick);
        let up_wick = (0.5 * sigma * rng.normal().abs()).exp();
        let down_wick = (-0.5 * sigma * rng.normal().abs()).exp();
        let high = round_to(open.max(close) * up_wick, self.tick_scale);
        let low = round_to(open.min(close) * down_wick, self.tick_scale).max(tick.min(close));

        let spike = if rng.chance(SPIKE_PROBABILITY) {
            rng.uniform(3.0, 8.0)
        } else {
            1.0
        };
        let size = 0.5 + 0.5 * shock.abs();
        let noise = (0.3 * rng.normal()).exp();
        let raw = self.base_volume * self.regime.volume_factor() * size * noise * spike;
        let volume = round_to(raw, self.lot_scale).max(lot);
        let taker_share = (0.5 + 0.15 * shock).clamp(0.05, 0.95);
        let taker_buy_volume = round_to(volume * taker_share, self.lot_scale);
        let typical = (high + low + close) / 3.0;

        let candle = Candle {
            open_time: self.open_time,
            close_time: Interval::M1.close_time(self.open_time),
            open,
            high,
            low,
            close,
            volume,
            quote_volume: round_to(volume * typical, QUOTE_SCALE),
            trades: (volume / self.base_volume * 40.0).round().max(1.0) as u64,
            taker_buy_volume,
            taker_buy_quote_volume: round_to(taker_buy_volume * typical, QUOTE_SCALE),
            closed: true,
        };
        self.price = close;
        self.open_time = Interval::M1.next_open(self.open_time);
        Some(candle)
    }
}

/// 10^d, with `d` the decimals that give `digits` significant digits of `x` (0 to 8 decimals).
fn decimal_scale(x: f64, digits: i32) -> f64 {
    let decimals = (digits - 1 - x.log10().floor() as i32).clamp(0, 8);
    10f64.powi(decimals)
}

/// `x` rounded to a multiple of `1 / scale`, `scale` a power of ten: dividing the integer by
/// the exact power of ten gives the double nearest to the decimal, which prints as written.
fn round_to(x: f64, scale: f64) -> f64 {
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_market() {
        let a = Market::new(1, 3);
        assert_eq!(a.candles(2, 500), Market::new(1, 3).candles(2, 500));
        // A symbol's series does not depend on how many symbols there are.
        assert_eq!(a.candles(2, 500), Market::new(1, 9).candles(2, 500));
        assert_ne!(a.candles(2, 50), a.candles(1, 50));
        assert_ne!(a.candles(2, 50), Market::new(2, 3).candles(2, 50));
        assert_eq!(a.symbol(7).as_str(), "SIM00007USDT");
        assert_eq!(a.symbol_names().len(), 3);
    }

    #[test]
    fn candles_are_consistent_and_contiguous() {
        let market = Market::new(11, 20);
        for index in 0..market.symbols {
            let candles = market.candles(index, 2_000);
            assert_eq!(candles[0].open_time, DEFAULT_START_MS);
            for pair in candles.windows(2) {
                assert_eq!(pair[1].open_time, pair[0].open_time + 60_000);
                assert_eq!(pair[1].open, pair[0].close);
            }
            for c in &candles {
                assert!(c.closed && c.close_time == c.open_time + 59_999);
                assert!(c.low > 0.0 && c.low <= c.open.min(c.close), "{c:?}");
                assert!(c.high >= c.open.max(c.close), "{c:?}");
                assert!(c.volume > 0.0 && c.taker_buy_volume <= c.volume && c.trades >= 1);
                for x in [c.open, c.high, c.low, c.close, c.volume, c.quote_volume] {
                    assert_eq!(x.to_string().parse::<f64>().unwrap(), x);
                    assert!(x.to_string().len() <= 16, "{x} prints long");
                }
            }
        }
    }

    #[test]
    fn volatile_regimes_move_and_trade_more_than_calm_ones() {
        // (sum of |log return|, sum of volume, bars) per regime over a long walk.
        let mut walk = Market::new(5, 1).walk(0);
        let mut sums = [(0.0, 0.0, 0usize); 3];
        for _ in 0..100_000 {
            let Some(c) = walk.next() else { break };
            let i = Regime::ALL
                .iter()
                .position(|r| *r == walk.regime())
                .unwrap();
            sums[i].0 += (c.close / c.open).ln().abs();
            sums[i].1 += c.volume;
            sums[i].2 += 1;
        }
        let means: Vec<(f64, f64)> = sums
            .iter()
            .map(|(moves, volume, n)| (moves / *n as f64, volume / *n as f64))
            .collect();
        assert!(
            sums.iter().all(|s| s.2 > 10_000),
            "every regime occurs: {sums:?}"
        );
        assert!(
            means[0].0 < means[1].0 && means[1].0 < means[2].0,
            "{means:?}"
        );
        assert!(
            means[0].1 < means[1].1 && means[1].1 < means[2].1,
            "{means:?}"
        );
    }
}
