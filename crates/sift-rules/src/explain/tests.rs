use rstest::rstest;
use sift_core::Interval;
use sift_indicators::registry::{self, Category};

use super::*;
use crate::builtins;
use crate::{CheckOptions, check};

fn explained(rule: &str, interval: &str) -> Explanation {
    let interval: Interval = interval.parse().unwrap();
    let program = check(rule, &CheckOptions::new(interval)).unwrap();
    explain(&program)
}

fn meanings(rule: &str, interval: &str) -> Vec<String> {
    explained(rule, interval)
        .conditions
        .into_iter()
        .map(|c| c.meaning)
        .collect()
}

#[rstest]
#[case("rsi(14) < 30", "15m", &["RSI(14) on the 15m candles is below 30"])]
#[case("close @ 1h > ema(200) @ 1h", "15m",
    &["the 1h close is above EMA(200) on the 1h candles"])]
#[case("crossover(ema(9), ema(21))", "5m",
    &["EMA(9) on the 5m candles crosses above EMA(21) on the 5m candles"])]
#[case("crossunder(rsi(14), 70)", "1h", &["RSI(14) on the 1h candles crosses below 70"])]
#[case("close > close[1]", "1m", &["the 1m close is above the previous 1m close"])]
#[case("rsi(14) > rsi(14)[1]", "1m",
    &["RSI(14) on the 1m candles is above the previous bar's RSI(14) on the 1m candles"])]
#[case("close[3] <= low", "1d", &["the 1d close 3 bars ago is at or below the 1d low"])]
#[case("macd().hist @ 4h > 0", "1h", &["the histogram of MACD(12, 26, 9) on the 4h candles is above 0"])]
#[case("bb(20, mult=2.5).lower >= close", "5m",
    &["the lower band of BB(20, 2.5) on the 5m candles is at or above the 5m close"])]
#[case("volume > 2 * sma(volume, 20)", "15m",
    &["the 15m volume is above 2 times SMA(20) of volume on the 15m candles"])]
#[case("(close - open) / (high - low) > 0.5", "1m",
    &["(the 1m close minus the 1m open) divided by (the 1m high minus the 1m low) is above 0.5"])]
#[case("sma(obv(), 20) < obv()", "1h", &["SMA(20) of OBV on the 1h candles is below OBV on the 1h candles"])]
#[case("close >= highest(20)[1]", "1h",
    &["the 1h close is at or above the highest high of the last 20 bars on the 1h candles as of the previous bar"])]
#[case("highest(rsi(14), 10) > 70", "1h",
    &["the highest RSI(14) of the last 10 bars on the 1h candles is above 70"])]
#[case("price > high_24h * 0.98", "1m", &["the last price is above the 24h high times 0.98"])]
#[case("between(rsi(14), 40, 60)", "1m", &["RSI(14) on the 1m candles is between 40 and 60 (inclusive)"])]
#[case("rising(close, 3)", "1m", &["the 1m close is above each of its previous 3 values"])]
#[case("falling(close, 1)", "1m", &["the 1m close is below its previous value"])]
#[case("hammer() and close < sma(50)", "1h",
    &["the 1h candles form a hammer pattern", "the 1h close is below SMA(50) on the 1h candles"])]
#[case("divergence(bullish, low, rsi(14))", "4h",
    &["a regular bullish divergence between the 4h low and RSI(14) on the 4h candles (previous swing 5 to 30 bars back)"])]
#[case("count(close > open, 5) >= 4", "1m",
    &["the number of the last 5 bars where the 1m close is above the 1m open is at or above 4"])]
#[case("bars_since(crossover(ema(9), ema(21))) <= 3", "1m",
    &["the number of bars since EMA(9) on the 1m candles crosses above EMA(21) on the 1m candles (looking back at most 100 bars) is at or below 3"])]
#[case("change_pct(close, 4) > 5", "1h", &["the percent change in the 1h close over 4 bars is above 5"])]
#[case("close > poc()", "1h", &["the 1h close is above the point of control of the volume profile of the last 200 bars on the 1h candles"])]
#[case("near_hvn(1)", "1h", &["the 1h close is within 1% of a high-volume node of the volume profile of the last 200 bars"])]
#[case("(close > open) @ 1h", "5m", &["the 1h close is above the 1h open"])]
#[case("not (close > open)", "5m", &["it is not the case that the 5m close is above the 5m open"])]
#[case("true", "5m", &["always"])]
#[case("close > pivot_high(3, 3)", "1h", &["the 1h close is above PIVOT HIGH(3, 3) on the 1h candles"])]
fn explains_each_condition(#[case] rule: &str, #[case] interval: &str, #[case] want: &[&str]) {
    assert_eq!(meanings(rule, interval), want, "{rule}");
}

#[test]
fn splits_the_top_level_chain_and_inlines_bindings() {
    let rule = "# RSI bounce in an uptrend\nlet uptrend = close @ 1h > ema(200) @ 1h\n\
                let fast = ema(9)\nrsi(14) < 30\n  and uptrend\n  and crossover(fast, ema(21))";
    let e = explained(rule, "15m");
    assert_eq!(e.combinator, Combinator::All);
    let got: Vec<(&str, &str)> = e
        .conditions
        .iter()
        .map(|c| (c.condition.as_str(), c.meaning.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("rsi(14) < 30", "RSI(14) on the 15m candles is below 30"),
            (
                "uptrend",
                "the 1h close is above EMA(200) on the 1h candles"
            ),
            (
                "crossover(fast, ema(21))",
                "EMA(9) on the 15m candles crosses above EMA(21) on the 15m candles"
            ),
        ]
    );
    assert_eq!(&rule[e.conditions[0].span.clone()], "rsi(14) < 30");
}

#[test]
fn a_let_used_on_another_timeframe_is_explained_there() {
    let rule = "let up = close > ema(50)\nup @ 4h and up";
    assert_eq!(
        meanings(rule, "1h"),
        [
            "the 4h close is above EMA(50) on the 4h candles",
            "the 1h close is above EMA(50) on the 1h candles"
        ]
    );
}

#[test]
fn a_top_level_or_is_any_and_nested_logic_is_bracketed() {
    let e = explained("rsi(14) < 30 or (close > open and volume > 0)", "1m");
    assert_eq!(e.combinator, Combinator::Any);
    assert_eq!(
        e.conditions[1].meaning,
        "the 1m close is above the 1m open and the 1m volume is above 0"
    );
    let e = explained("rsi(14) < 30 and (close > open or volume > 0)", "1m");
    assert_eq!(
        e.conditions[1].meaning,
        "either the 1m close is above the 1m open or the 1m volume is above 0"
    );
    assert_eq!(
        e.summary(Interval::M1),
        "On each 1m close, match when all of these hold: RSI(14) on the 1m candles is below 30; \
         either the 1m close is above the 1m open or the 1m volume is above 0."
    );
}

/// Every builtin example and every registry indicator gets an explanation that quotes no raw
/// rule text (no phrase is missing from the phrasebook).
#[test]
fn every_builtin_and_indicator_has_words() {
    let mut rules: Vec<String> = builtins::all()
        .iter()
        .flat_map(|b| b.examples.iter().map(|e| e.rule.to_owned()))
        .collect();
    for def in registry::all() {
        let call = match def.params.iter().any(|p| p.default.is_none()) {
            true => format!("{}(10)", def.name),
            false => format!("{}()", def.name),
        };
        rules.push(match (def.category, def.fields.first()) {
            (Category::Pattern, _) => call,
            (_, Some(field)) => format!("{call}.{field} > 0"),
            (_, None) => format!("{call} > 0"),
        });
    }
    for rule in rules {
        let program = check(&rule, &CheckOptions::new(Interval::H1)).unwrap();
        for c in explain(&program).conditions {
            assert!(!c.meaning.contains('`'), "{rule}: {}", c.meaning);
            assert!(!c.meaning.is_empty(), "{rule}");
        }
    }
}
