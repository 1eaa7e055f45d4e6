//! Multi-timeframe rules read the newest candle of another interval that closed at or before
//! the close being evaluated: the one closing at the same instant, never a later one.

mod common;

use common::{Builder, MINUTE, candle, sym, trader};
use sift_core::Interval;
use sift_engine::{CloseBatch, Engine, EngineConfig, Match, SignalMode};
use sift_indicators::Source;
use sift_rules::program::BinaryOp;

/// 1m closes are the minute index; 5m closes 1000 + the 5m index; 1h closes 100000 + the hour.
fn batch_at(minute: i64, reversed: bool) -> CloseBatch {
    let btc = sym("BTCUSDT");
    let mut candles = vec![(
        btc.clone(),
        Interval::M1,
        candle(Interval::M1, minute * MINUTE, minute as f64, 1.0),
    )];
    if (minute + 1) % 5 == 0 {
        let open = (minute - 4) * MINUTE;
        let close = 1000.0 + (minute / 5) as f64;
        candles.push((
            btc.clone(),
            Interval::M5,
            candle(Interval::M5, open, close, 1.0),
        ));
    }
    if (minute + 1) % 60 == 0 {
        let open = (minute - 59) * MINUTE;
        let close = 100_000.0 + (minute / 60) as f64;
        candles.push((
            btc.clone(),
            Interval::H1,
            candle(Interval::H1, open, close, 1.0),
        ));
    }
    // The engine must not depend on the order within a batch.
    if reversed {
        candles.reverse();
    }
    CloseBatch {
        candles,
        tickers: Vec::new(),
    }
}

/// A 1m trader that always holds (level mode) and references `close @ 5m` and `close @ 1h`.
fn sampling_trader() -> sift_engine::Trader {
    let mut b = Builder::new(Interval::M1, "close > -1 (refs close @ 5m, close @ 1h)");
    let close = b.close();
    let five = b.series(Interval::M5, Source::Close);
    let five = b.sample(five);
    let hour = b.series(Interval::H1, Source::Close);
    let hour = b.sample(hour);
    let floor = b.num(-1.0);
    let root = b.bin(BinaryOp::Gt, close, floor);
    b.reference("close @ 5m", five);
    b.reference("close @ 1h", hour);
    trader(1, b.build(root))
}

fn value(m: &Match, name: &str) -> Option<f64> {
    m.values.get(name)
}

fn level_engine() -> Engine {
    let config = EngineConfig {
        mode: SignalMode::Level,
        ..EngineConfig::default()
    };
    Engine::new(config)
}

#[test]
fn a_1m_rule_sees_higher_candles_closing_at_the_same_instant_and_no_later_one() {
    for reversed in [false, true] {
        let mut engine = level_engine();
        engine.set_traders(vec![sampling_trader()]).unwrap();
        for minute in 0..130 {
            let matches = engine.process(&batch_at(minute, reversed));
            assert_eq!(matches.len(), 1, "minute {minute}");
            let m = &matches[0];
            let five = (minute + 1) / 5 - 1;
            let want5 = (five >= 0).then_some(1000.0 + five as f64);
            assert_eq!(value(m, "close @ 5m"), want5, "minute {minute}");
            let hour = (minute + 1) / 60 - 1;
            let want1h = (hour >= 0).then_some(100_000.0 + hour as f64);
            assert_eq!(value(m, "close @ 1h"), want1h, "minute {minute}");
        }
    }
}

#[test]
fn a_higher_timeframe_condition_fires_at_the_instant_its_candle_closes() {
    // 1m rule: close @ 1h > 100000, true from the second hour's close (minute 119) on.
    let mut b = Builder::new(Interval::M1, "close @ 1h > 100000");
    let hour = b.series(Interval::H1, Source::Close);
    let hour = b.sample(hour);
    let level = b.num(100_000.0);
    let root = b.bin(BinaryOp::Gt, hour, level);
    let mut engine = Engine::new(EngineConfig::default());
    engine.set_traders(vec![trader(1, b.build(root))]).unwrap();
    let fired: Vec<i64> = (0..130)
        .filter(|&m| !engine.process(&batch_at(m, false)).is_empty())
        .collect();
    assert_eq!(fired, [119]);
}

#[test]
fn a_5m_rule_reading_1m_sees_the_1m_candle_of_the_same_instant() {
    let mut b = Builder::new(Interval::M5, "close > -1 (refs close @ 1m)");
    let close = b.close();
    let one = b.series(Interval::M1, Source::Close);
    let one = b.sample(one);
    let floor = b.num(-1.0);
    let root = b.bin(BinaryOp::Gt, close, floor);
    b.reference("close @ 1m", one);
    let mut engine = level_engine();
    engine.set_traders(vec![trader(1, b.build(root))]).unwrap();
    for minute in 0..30 {
        let matches = engine.process(&batch_at(minute, true));
        if (minute + 1) % 5 == 0 {
            assert_eq!(matches.len(), 1);
            assert_eq!(value(&matches[0], "close @ 1m"), Some(minute as f64));
        } else {
            assert!(matches.is_empty());
        }
    }
}

#[test]
fn a_batch_mixing_instants_is_processed_instant_by_instant() {
    let mut engine = level_engine();
    engine.set_traders(vec![sampling_trader()]).unwrap();
    let mut all = CloseBatch::new();
    for minute in 0..10 {
        all.candles.extend(batch_at(minute, true).candles);
    }
    all.candles.reverse();
    let matches = engine.process(&all);
    let seen: Vec<(i64, Option<f64>)> = matches
        .iter()
        .map(|m| (m.open_time / MINUTE, value(m, "close @ 5m")))
        .collect();
    let want: Vec<(i64, Option<f64>)> = (0..10)
        .map(|m| (m, (m >= 4).then(|| 1000.0 + ((m + 1) / 5 - 1) as f64)))
        .collect();
    assert_eq!(seen, want);
}
