//! Traders added, changed and removed while running: untouched indicators keep their state,
//! new ones are warmed from the stored candles, and warming equals having run all along.

mod common;

use common::{Builder, MINUTE, candle, sym, trader};
use sift_core::{Candle, Interval};
use sift_engine::{CloseBatch, Engine, EngineConfig, Match, SignalMode, Trader, TraderId};
use sift_rules::program::BinaryOp;

/// A 1m trader that holds when `spec > level` and references the indicator as `name`.
fn above(id: u64, spec: &str, level: f64) -> Trader {
    let mut b = Builder::new(Interval::M1, &format!("{spec} > {level}"));
    let x = b.ind(Interval::M1, spec, 0, None);
    let lvl = b.num(level);
    let root = b.bin(BinaryOp::Gt, x, lvl);
    b.reference(spec, x);
    trader(id, b.build(root))
}

/// A wavy series with varying volume, so obv and averages move both ways.
fn candles(n: i64) -> Vec<Candle> {
    (0..n)
        .map(|i| {
            let close = 100.0 + 10.0 * ((i as f64) * 0.37).sin() + (i % 7) as f64;
            let volume = 1.0 + ((i * 13) % 5) as f64;
            candle(Interval::M1, i * MINUTE, close, volume)
        })
        .collect()
}

fn feed(engine: &mut Engine, candles: &[Candle]) -> Vec<Match> {
    let symbols = [sym("BTCUSDT"), sym("ETHUSDT")];
    let mut out = Vec::new();
    for c in candles {
        let mut batch = CloseBatch::new();
        for (k, s) in symbols.iter().enumerate() {
            let mut c = *c;
            c.close += k as f64;
            batch.push(s.clone(), Interval::M1, c);
        }
        out.extend(engine.process(&batch));
    }
    out
}

fn of(matches: &[Match], id: u64) -> Vec<Match> {
    matches
        .iter()
        .filter(|m| m.trader == TraderId(id))
        .cloned()
        .collect()
}

fn engine(mode: SignalMode, capacity: usize) -> Engine {
    Engine::new(EngineConfig {
        mode,
        candle_capacity: capacity,
        ..EngineConfig::default()
    })
}

#[test]
fn an_added_trader_evaluates_at_the_next_close_as_if_it_had_run_all_along() {
    let data = candles(120);
    let (before, after) = data.split_at(60);
    for mode in [SignalMode::Edge, SignalMode::Level] {
        let mut reference = engine(mode, 1000);
        reference
            .set_traders(vec![above(1, "sma(5)", 100.0), above(2, "ema(8)", 101.0)])
            .unwrap();
        feed(&mut reference, before);
        let want = feed(&mut reference, after);

        let mut live = engine(mode, 1000);
        live.set_traders(vec![above(1, "sma(5)", 100.0)]).unwrap();
        feed(&mut live, before);
        live.upsert_trader(above(2, "ema(8)", 101.0)).unwrap();
        let got = feed(&mut live, after);
        assert!(!of(&want, 2).is_empty());
        assert_eq!(got, want, "{mode:?}");
    }
}

#[test]
fn untouched_indicators_keep_their_state_and_new_ones_warm_from_the_ring() {
    // Only 10 candles are stored: an obv rebuilt from them would differ from the live one.
    let data = candles(80);
    let (before, after) = data.split_at(50);
    let mut reference = engine(SignalMode::Level, 10);
    reference.set_traders(vec![above(1, "obv", -1e9)]).unwrap();
    feed(&mut reference, before);
    let want_obv = feed(&mut reference, after);

    let mut live = engine(SignalMode::Level, 10);
    live.set_traders(vec![above(1, "obv", -1e9)]).unwrap();
    feed(&mut live, before);
    live.upsert_trader(above(2, "ema(4)", 0.0)).unwrap();
    let got = feed(&mut live, after);
    assert_eq!(of(&got, 1), want_obv);

    // The new ema saw exactly the 10 stored candles before going live, where an obv would
    // have started over (so the check above is not vacuous).
    let mut warmed = engine(SignalMode::Level, 10);
    warmed
        .set_traders(vec![above(1, "obv", -1e9), above(2, "ema(4)", 0.0)])
        .unwrap();
    for (k, s) in [sym("BTCUSDT"), sym("ETHUSDT")].iter().enumerate() {
        let tail: Vec<Candle> = before[40..]
            .iter()
            .map(|c| Candle {
                close: c.close + k as f64,
                ..*c
            })
            .collect();
        assert_eq!(warmed.warm(s, Interval::M1, &tail), 10);
    }
    let from_ring = feed(&mut warmed, after);
    assert_eq!(of(&got, 2), of(&from_ring, 2));
    assert_ne!(of(&from_ring, 1), want_obv);
}

#[test]
fn removing_and_changing_traders() {
    let data = candles(100);
    let mut live = engine(SignalMode::Level, 1000);
    live.set_traders(vec![above(1, "sma(5)", 100.0), above(2, "rsi(14)", 50.0)])
        .unwrap();
    feed(&mut live, &data[..40]);
    assert_eq!(live.stats().plan_indicators, 2);
    assert!(live.remove_trader(TraderId(1)).unwrap());
    assert!(!live.remove_trader(TraderId(1)).unwrap());
    let stats = live.stats();
    assert_eq!(
        (stats.traders, stats.plan_indicators, stats.indicators),
        (1, 1, 2)
    );
    feed(&mut live, &data[40..60]);
    // Trader 2 changes its rule: it now runs the new rule, warmed from the candles.
    live.upsert_trader(above(2, "wma(6)", 100.0)).unwrap();
    let got = feed(&mut live, &data[60..]);

    let mut reference = engine(SignalMode::Level, 1000);
    reference
        .set_traders(vec![above(2, "wma(6)", 100.0)])
        .unwrap();
    feed(&mut reference, &data[..60]);
    assert_eq!(got, feed(&mut reference, &data[60..]));
    assert_eq!(live.stats().plan_indicators, 1);
}

#[test]
fn a_longer_history_need_rewarms_a_shared_node() {
    // Trader 1 reads close; trader 2 adds close[3], which needs three past closes.
    let close_rule = |id: u64, bars: u32| {
        let mut b = Builder::new(Interval::M1, &format!("close > close[{bars}]"));
        let close = b.close();
        let past = b.hist(close, bars);
        let root = b.bin(BinaryOp::Gt, close, past);
        trader(id, b.build(root))
    };
    let data = candles(60);
    let mut reference = engine(SignalMode::Edge, 1000);
    reference
        .set_traders(vec![close_rule(1, 1), close_rule(2, 3)])
        .unwrap();
    feed(&mut reference, &data[..30]);
    let want = feed(&mut reference, &data[30..]);

    let mut live = engine(SignalMode::Edge, 1000);
    live.set_traders(vec![close_rule(1, 1)]).unwrap();
    feed(&mut live, &data[..30]);
    live.upsert_trader(close_rule(2, 3)).unwrap();
    assert_eq!(feed(&mut live, &data[30..]), want);
}

#[test]
fn warming_then_processing_equals_processing_everything() {
    let data = candles(100);
    let traders = || vec![above(1, "sma(5)", 100.0), above(2, "rsi(14)", 55.0)];
    let mut all = engine(SignalMode::Edge, 1000);
    all.set_traders(traders()).unwrap();
    let everything = feed(&mut all, &data);
    let cut = 70 * MINUTE;
    let want: Vec<Match> = everything
        .into_iter()
        .filter(|m| m.open_time >= cut)
        .collect();

    let mut warmed = engine(SignalMode::Edge, 1000);
    warmed.set_traders(traders()).unwrap();
    for (k, s) in [sym("BTCUSDT"), sym("ETHUSDT")].iter().enumerate() {
        let history: Vec<Candle> = data[..70]
            .iter()
            .map(|c| Candle {
                close: c.close + k as f64,
                ..*c
            })
            .collect();
        warmed.warm(s, Interval::M1, &history);
    }
    assert_eq!(feed(&mut warmed, &data[70..]), want);
}

#[test]
fn invalid_trader_sets_leave_the_engine_unchanged() {
    let mut live = engine(SignalMode::Edge, 1000);
    live.set_traders(vec![above(1, "sma(5)", 100.0)]).unwrap();
    let err = live
        .set_traders(vec![above(1, "sma(5)", 100.0), above(1, "ema(5)", 100.0)])
        .unwrap_err();
    assert_eq!(err, sift_engine::Error::DuplicateTrader(TraderId(1)));
    let mut wrong = above(2, "sma(5)", 100.0);
    wrong.interval = Interval::M5;
    assert!(matches!(
        live.upsert_trader(wrong),
        Err(sift_engine::Error::IntervalMismatch { .. })
    ));
    assert_eq!(live.traders().len(), 1);
    assert_eq!(live.stats().plan_indicators, 1);
}

/// 1m and 5m candles of one symbol: 1m closes wave, 5m closes are their 5-minute aggregates.
fn two_intervals(minutes: i64) -> Vec<CloseBatch> {
    let btc = sym("BTCUSDT");
    let ones = candles(minutes);
    ones.iter()
        .enumerate()
        .map(|(i, c)| {
            let mut batch = CloseBatch::new().with(btc.clone(), Interval::M1, *c);
            if (i + 1) % 5 == 0 {
                let five = &ones[i - 4..=i];
                let mut agg = candle(Interval::M5, five[0].open_time, c.close, 1.0);
                agg.volume = five.iter().map(|c| c.volume).sum();
                batch.push(btc.clone(), Interval::M5, agg);
            }
            batch
        })
        .collect()
}

/// A 1m rule over a 5m indicator: `ema(5) @ 5m < close`.
fn sampling(id: u64) -> Trader {
    let mut b = Builder::new(Interval::M1, "ema(5) @ 5m < close");
    let ema = b.ind(Interval::M5, "ema(5)", 0, None);
    let ema = b.sample(ema);
    let close = b.close();
    let root = b.bin(BinaryOp::Lt, ema, close);
    b.reference("ema(5) @ 5m", ema);
    trader(id, b.build(root))
}

#[test]
fn a_multi_timeframe_trader_added_or_warmed_matches_one_that_ran_all_along() {
    let batches = two_intervals(200);
    let (before, after) = batches.split_at(103);
    let run = |engine: &mut Engine, batches: &[CloseBatch]| -> Vec<Match> {
        batches.iter().flat_map(|b| engine.process(b)).collect()
    };
    let mut reference = engine(SignalMode::Level, 1000);
    reference
        .set_traders(vec![above(1, "sma(5)", 100.0), sampling(2)])
        .unwrap();
    run(&mut reference, before);
    let want = run(&mut reference, after);
    assert!(!of(&want, 2).is_empty());

    let mut live = engine(SignalMode::Level, 1000);
    live.set_traders(vec![above(1, "sma(5)", 100.0)]).unwrap();
    run(&mut live, before);
    live.upsert_trader(sampling(2)).unwrap();
    assert_eq!(run(&mut live, after), want);

    // Warming both intervals separately, then going live, replays them interleaved.
    let mut warmed = engine(SignalMode::Level, 1000);
    warmed
        .set_traders(vec![above(1, "sma(5)", 100.0), sampling(2)])
        .unwrap();
    let btc = sym("BTCUSDT");
    for interval in [Interval::M5, Interval::M1] {
        let history: Vec<Candle> = before
            .iter()
            .flat_map(|b| &b.candles)
            .filter(|(_, iv, _)| *iv == interval)
            .map(|(_, _, c)| *c)
            .collect();
        warmed.warm(&btc, interval, &history);
    }
    assert_eq!(run(&mut warmed, after), want);
}
