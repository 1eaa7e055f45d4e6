//! Every built-in trader fires on crafted candles exactly where it should, and not on a close
//! variant of them.
//!
//! Each case builds a deterministic candle sequence on the trader's interval, runs it through
//! [`sift_engine::Engine`] as live closes (edge trigger and the trader's cooldown), and asserts
//! the exact bars (0-based indices into the sequence) that signal. A trader that reads longer
//! timeframes (`@ 5m`, `@ 15m`) gets those candles too, aggregated from its own and put in the
//! same [`CloseBatch`] as the base candle that closes at the same instant.

use std::sync::Arc;

use sift_core::{Candle, Interval, Symbol};
use sift_engine::{CloseBatch, Engine, EngineConfig, Trader, TraderId};
use sift_traders::{TraderDef, builtin};

/// 2025-01-01T00:00:00Z: a boundary of every interval used here.
const T0: i64 = 1_735_689_600_000;
/// Wick added above and below every crafted body, in price units.
const WICK: f64 = 0.02;
/// Volume of an ordinary crafted bar.
const VOLUME: f64 = 100.0;

/// A built-in trader by file name, as the engine runs it.
fn trader(file: &str) -> (TraderDef, Trader) {
    let index = builtin::FILES
        .iter()
        .position(|(name, _)| *name == file)
        .unwrap_or_else(|| panic!("no built-in {file}"));
    let def = builtin::all().expect("built-ins parse").swap_remove(index);
    let program = def.check_rule().expect("built-ins check");
    let trader = Trader::new(TraderId(1), def.name.clone(), Arc::new(program))
        .with_cooldown(def.cooldown_bars);
    (def, trader)
}

/// The bars (indices into `candles`, on the trader's interval) at which the built-in `file`
/// signals when `candles` close one by one, with every longer timeframe its rule reads.
fn fired(file: &str, candles: &[Candle]) -> Vec<usize> {
    let (def, trader) = trader(file);
    let longer: Vec<Interval> = trader
        .program
        .timeframes
        .iter()
        .copied()
        .filter(|tf| *tf > def.interval)
        .collect();
    let aggregates: Vec<(Interval, Vec<Candle>)> = longer
        .iter()
        .map(|&tf| (tf, aggregate(candles, tf)))
        .collect();
    let symbol = Symbol::new("TESTUSDT").expect("a valid symbol");
    let mut engine = Engine::new(EngineConfig::default());
    engine
        .set_traders(vec![trader])
        .expect("the engine takes the trader");
    let mut fired = Vec::new();
    for (i, candle) in candles.iter().enumerate() {
        let mut batch = CloseBatch::new().with(symbol.clone(), def.interval, *candle);
        for (tf, series) in &aggregates {
            if let Some(c) = series.iter().find(|c| c.close_time == candle.close_time) {
                batch.push(symbol.clone(), *tf, *c);
            }
        }
        let matches = engine.process(&batch);
        assert!(matches.len() <= 1);
        if let Some(m) = matches.first() {
            assert_eq!((m.open_time, m.close), (candle.open_time, candle.close));
            fired.push(i);
        }
    }
    fired
}

/// Candles of `interval` built from consecutive `candles` of a shorter interval, complete
/// spans only.
fn aggregate(candles: &[Candle], interval: Interval) -> Vec<Candle> {
    let span =
        |a: &Candle, b: &Candle| interval.open_time(a.open_time) == interval.open_time(b.open_time);
    candles
        .chunk_by(span)
        .filter(|part| {
            let (first, last) = (part[0], part[part.len() - 1]);
            interval.open_time(first.open_time) == first.open_time
                && last.close_time == interval.close_time(first.open_time)
        })
        .map(|part| {
            let mut c = part[0];
            c.close_time = part[part.len() - 1].close_time;
            c.close = part[part.len() - 1].close;
            c.high = part.iter().map(|p| p.high).fold(f64::MIN, f64::max);
            c.low = part.iter().map(|p| p.low).fold(f64::MAX, f64::min);
            c.volume = part.iter().map(|p| p.volume).sum();
            c
        })
        .collect()
}

/// A crafted price path: each bar opens at the previous close (unless told otherwise) and has
/// wicks of [`WICK`] beyond its body.
#[derive(Debug, Clone)]
struct Tape {
    /// `(open, close, volume)` per bar.
    bars: Vec<(f64, f64, f64)>,
    last: f64,
}

impl Tape {
    fn new(price: f64) -> Self {
        Self {
            bars: Vec::new(),
            last: price,
        }
    }

    /// One bar from the previous close to `close`.
    fn to(&mut self, close: f64, volume: f64) -> &mut Self {
        self.bar(self.last, close, volume)
    }

    /// One bar moving the close by `delta`.
    fn by(&mut self, delta: f64) -> &mut Self {
        self.to(self.last + delta, VOLUME)
    }

    /// Sets the volume of the last bar.
    fn volume(&mut self, volume: f64) -> &mut Self {
        if let Some(bar) = self.bars.last_mut() {
            bar.2 = volume;
        }
        self
    }

    /// One bar with its own open.
    fn bar(&mut self, open: f64, close: f64, volume: f64) -> &mut Self {
        self.bars.push((open, close, volume));
        self.last = close;
        self
    }

    /// `n` bars each moving the close by `step`.
    fn line(&mut self, n: usize, step: f64) -> &mut Self {
        for _ in 0..n {
            self.by(step);
        }
        self
    }

    /// `n` bars alternating `amp` above and below the current level, which they end at when
    /// `n` is even.
    fn zigzag(&mut self, n: usize, amp: f64) -> &mut Self {
        let level = self.last;
        for i in 0..n {
            let close = if i % 2 == 0 { level + amp } else { level };
            self.to(close, VOLUME);
        }
        self
    }

    /// The candles of `interval`, the first opening at [`T0`].
    fn candles(&self, interval: Interval) -> Vec<Candle> {
        let len = interval.fixed_duration_ms().expect("a fixed interval");
        self.bars
            .iter()
            .enumerate()
            .map(|(i, &(open, close, volume))| {
                let open_time = T0 + i as i64 * len;
                let mut c = Candle::ohlcv(
                    open_time,
                    open,
                    open.max(close) + WICK,
                    open.min(close) - WICK,
                    close,
                    volume,
                );
                c.close_time = interval.close_time(open_time);
                c
            })
            .collect()
    }
}

#[test]
fn rsi_oversold_bounce() {
    const FILE: &str = "rsi-oversold-bounce.toml";
    // Twenty falling bars take RSI(14) down to 6; a green bar of +8 lifts it to 44.6 (bar 60).
    let mut tape = Tape::new(100.0);
    tape.zigzag(40, 0.5).line(20, -1.0);
    let base = tape.clone();
    tape.to(tape.last + 8.0, VOLUME).zigzag(10, 0.5);
    assert_eq!(fired(FILE, &tape.candles(Interval::M1)), [60]);
    // The same close, but the candle opened above it: RSI crosses 30 on a red candle.
    let mut red = base;
    red.bar(red.last + 9.0, red.last + 8.0, VOLUME)
        .zigzag(10, 0.5);
    assert_eq!(fired(FILE, &red.candles(Interval::M1)), []);
}

#[test]
fn volume_spike() {
    const FILE: &str = "volume-spike.toml";
    // With 19 bars of volume 100, the spike must exceed 3 x (1900 + v) / 20, so v > 335.3.
    let spike = |volume: f64| {
        let mut tape = Tape::new(100.0);
        tape.zigzag(30, 0.2);
        tape.to(tape.last + 0.2, volume).zigzag(10, 0.2);
        tape.candles(Interval::M1)
    };
    assert_eq!(fired(FILE, &spike(340.0)), [30]);
    assert_eq!(fired(FILE, &spike(330.0)), []);
}

#[test]
fn golden_cross() {
    const FILE: &str = "golden-cross.toml";
    // 200 bars at 100, 50 at 90, then j bars at 110 (bars 250..): SMA(50) = 90 + 0.4 j and
    // SMA(200) = 97.5 + 0.05 j, so SMA(50) first exceeds SMA(200) at j = 22 (bar 271).
    let mut tape = Tape::new(100.0);
    tape.line(200, 0.0).to(90.0, VOLUME).line(49, 0.0);
    let base = tape.clone();
    tape.to(110.0, VOLUME).line(39, 0.0);
    assert_eq!(fired(FILE, &tape.candles(Interval::M15)), [271]);
    // The rally fades after 21 bars, with SMA(50) at 98.4 just under SMA(200) at 98.55.
    let mut faded = base;
    faded
        .to(110.0, VOLUME)
        .line(20, 0.0)
        .to(80.0, VOLUME)
        .line(39, 0.0);
    assert_eq!(fired(FILE, &faded.candles(Interval::M15)), []);
}

#[test]
fn macd_bullish_divergence() {
    const FILE: &str = "macd-bullish-divergence.toml";
    // An uptrend, a long decline to a low of 89.98 at bar 99 (MACD line -4.20), a rebound,
    // then a second decline that undercuts that low at bar 120 (low 88.98) with the MACD line
    // at -2.07: a higher low. The lows that follow stay divergent (no new signal).
    let mut tape = Tape::new(100.0);
    tape.line(80, 0.125)
        .line(20, -1.0)
        .line(10, 1.0)
        .line(9, -1.0);
    let base = tape.clone();
    tape.line(2, -1.0).line(3, -0.5).line(12, 0.5);
    assert_eq!(fired(FILE, &tape.candles(Interval::M5)), [120]);
    // The second decline stops at 90.5: a higher low in price too.
    let mut higher = base;
    higher.to(90.5, VOLUME).line(12, 0.5);
    assert_eq!(fired(FILE, &higher.candles(Interval::M5)), []);
}

#[test]
fn bollinger_squeeze_exit() {
    const FILE: &str = "bollinger-squeeze-exit.toml";
    // A tight range (width about 0.2%), then a breakout bar: a 7% jump widens the bands to
    // about 6%, beyond 5%, and closes above them.
    let breakout = |close: f64| {
        let mut tape = Tape::new(100.0);
        tape.zigzag(40, 0.1);
        tape.to(close, VOLUME);
        tape
    };
    let mut tape = breakout(107.0);
    tape.line(10, 0.0);
    assert_eq!(fired(FILE, &tape.candles(Interval::M5)), [40]);
    // A 5% spike that falls back: width 4.4% at the spike, under 5%.
    let mut spike = breakout(105.0);
    spike.to(100.0, VOLUME).zigzag(10, 0.1);
    assert_eq!(fired(FILE, &spike.candles(Interval::M5)), []);
}

#[test]
fn downside_break_scalp() {
    const FILE: &str = "downside-break-scalp.toml";
    // A quiet range, then a 4% crash bar: far under the lower band, RSI near 12; the volume
    // must exceed 2 x (1900 + v) / 20, so v > 211.1.
    let crash = |volume: f64| {
        let mut tape = Tape::new(100.0);
        tape.zigzag(40, 0.1);
        tape.to(96.0, volume).zigzag(10, 0.1);
        tape.candles(Interval::M1)
    };
    assert_eq!(fired(FILE, &crash(215.0)), [40]);
    assert_eq!(fired(FILE, &crash(205.0)), []);
}

#[test]
fn thirty_candle_breakout() {
    const FILE: &str = "thirty-candle-breakout.toml";
    // A range with highs at 100.52, then a close at 101; the volume must exceed
    // 1.5 x (2900 + v) / 30, so v > 152.6.
    let breakout = |volume: f64| {
        let mut tape = Tape::new(100.0);
        tape.zigzag(40, 0.5);
        tape.to(101.0, volume).line(5, 0.0).zigzag(10, 0.5);
        tape.candles(Interval::M5)
    };
    assert_eq!(fired(FILE, &breakout(155.0)), [40]);
    assert_eq!(fired(FILE, &breakout(150.0)), []);
}

#[test]
fn three_bar_drop_momentum() {
    const FILE: &str = "three-bar-drop-momentum.toml";
    // A range ending at 100 (bar 19), lower closes from bar 20, then a rebound.
    let drop = |closes: &[f64]| {
        let mut tape = Tape::new(100.0);
        tape.zigzag(20, 0.2);
        for &close in closes {
            tape.to(close, VOLUME);
        }
        tape.to(99.0, VOLUME).zigzag(10, 0.2);
        tape.candles(Interval::M1)
    };
    // Three lower closes ending 1.6% under 100, at bar 22.
    assert_eq!(fired(FILE, &drop(&[99.4, 98.9, 98.4])), [22]);
    // A fourth lower close keeps the rule true: still one signal.
    assert_eq!(fired(FILE, &drop(&[99.4, 98.9, 98.4, 97.5])), [22]);
    // Three lower closes ending 1.4% down.
    assert_eq!(fired(FILE, &drop(&[99.6, 99.1, 98.6])), []);
}

#[test]
fn bb_mean_reversion_scalp() {
    const FILE: &str = "bb-mean-reversion-scalp.toml";
    let rebound = |close: f64| {
        let mut tape = Tape::new(100.0);
        tape.zigzag(40, 0.1);
        tape.to(97.0, VOLUME).to(close, VOLUME).zigzag(10, 0.1);
        tape.candles(Interval::M5)
    };
    // A 3% drop closes under the lower band (bar 40, RSI 14.5); the rebound to 98.5 closes
    // back above it (98.36) with RSI at 37.8 (bar 41).
    assert_eq!(fired(FILE, &rebound(98.5)), [41]);
    // A stronger rebound, to 99, lifts RSI to 43: no longer oversold.
    assert_eq!(fired(FILE, &rebound(99.0)), []);
}

#[test]
fn three_red_candles() {
    const FILE: &str = "three-red-candles.toml";
    let reds = |middle_open: f64| {
        let mut tape = Tape::new(100.0);
        tape.zigzag(20, 0.2).to(100.1, VOLUME);
        tape.to(99.8, VOLUME)
            .bar(middle_open, 99.6, VOLUME)
            .to(99.4, VOLUME)
            .to(99.2, VOLUME)
            .zigzag(10, 0.2);
        tape.candles(Interval::M1)
    };
    // Red at bars 21, 22, 23 and 24: one signal, at the third.
    assert_eq!(fired(FILE, &reds(99.8)), [23]);
    // The middle candle is a doji (it opens where it closes).
    assert_eq!(fired(FILE, &reds(99.6)), []);
}

#[test]
fn multi_timeframe_momentum() {
    const FILE: &str = "multi-timeframe-momentum.toml";
    // Ten hours of decline, then a choppy rally of `pairs` (+0.5, -0.25) pairs from bar 600,
    // then a decline again. In the rally the 1m and 5m RSI and MACD histograms turn positive
    // within half an hour; the 15m RSI, dragged down by the long decline, passes 50 only at
    // the 15m close of bar 689, a down bar; the next bar is up (1m RSI rising) and signals.
    let rally = |pairs: usize| {
        let mut tape = Tape::new(200.0);
        tape.line(600, -0.0625);
        for _ in 0..pairs {
            tape.by(0.5).by(-0.25);
        }
        tape.line(30, -0.5);
        tape.candles(Interval::M1)
    };
    // The rule turns true on every up bar, so after the cooldown of 15 bars it signals again.
    assert_eq!(fired(FILE, &rally(60)), [690, 706]);
    // The rally ends at bar 687, before the 15m trend turns: 1m and 5m alone do not signal.
    assert_eq!(fired(FILE, &rally(44)), []);
}

#[test]
fn market_structure_break() {
    const FILE: &str = "market-structure-break.toml";
    // Waves of six bars up and four down by 1: higher swing highs and lows every ten bars.
    // The fifth up bar of each wave closes above the previous swing high (confirmed three
    // bars after it), so the rule holds there but for the volume surge; the sixth wave
    // (bars 50-59) has it, at bar 54.
    let waves = |surge: f64| {
        let mut tape = Tape::new(100.0);
        for wave in 0..8 {
            for up in 0..6 {
                tape.by(1.0);
                if wave == 5 && up == 4 {
                    tape.volume(surge);
                }
            }
            tape.line(4, -1.0);
        }
        tape.candles(Interval::M5)
    };
    assert_eq!(fired(FILE, &waves(200.0)), [54]);
    // 1.5 x (1900 + v) / 20 needs v > 152.6.
    assert_eq!(fired(FILE, &waves(150.0)), []);
    // An ascending triangle: lows rise but every swing high is 110, so a breakout on a surge
    // makes no higher high.
    let mut triangle = Tape::new(100.0);
    for wave in 0..6 {
        let trough = 100.0 + f64::from(wave);
        triangle.to(trough, VOLUME);
        for up in 1..=5 {
            triangle.to(trough + (110.0 - trough) * f64::from(up) / 5.0, VOLUME);
        }
        for down in 1..=4 {
            triangle.to(
                110.0 - (110.0 - trough - 1.0) * f64::from(down) / 4.0,
                VOLUME,
            );
        }
    }
    triangle.to(110.0, VOLUME).to(111.0, 200.0).line(5, 0.0);
    assert_eq!(fired(FILE, &triangle.candles(Interval::M5)), []);
}
