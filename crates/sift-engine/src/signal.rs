//! Signals: when a rule that holds becomes a [`Match`] (edge trigger and cooldown).

use sift_core::{Interval, Symbol};

use crate::TraderId;
use crate::block::Mask;
use crate::match_values::MatchValues;

/// One signal: a trader's rule turned true for a symbol at a candle close.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub trader: TraderId,
    pub symbol: Symbol,
    /// The trader's interval.
    pub interval: Interval,
    /// Open time of the candle that closed, UTC epoch milliseconds.
    pub open_time: i64,
    /// Close time of that candle.
    pub close_time: i64,
    /// Close price of that candle.
    pub close: f64,
    /// [`rule_hash`](crate::rule_hash) of the rule text.
    pub rule_hash: u64,
    /// The value of every indicator, series and ticker value the rule referenced, at this bar.
    pub values: MatchValues,
}

/// Which closes where a rule holds are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignalMode {
    /// Live behaviour: only when the rule turns true (it was false or undefined at the previous
    /// bar), and not within the trader's cooldown after its previous signal.
    #[default]
    Edge,
    /// Every close where the rule holds, ignoring edge and cooldown (backtest `--mode level`).
    Level,
}

/// Whether a rule that held (`prev`) at the previous bar and holds (`now`) at this one is a
/// candidate signal. The edge is a property of the rule's root node, so traders sharing a rule
/// share it: the engine checks it once per rule, then the cooldown of each trader.
#[inline]
pub(crate) fn candidate(mode: SignalMode, prev: bool, now: bool) -> bool {
    match mode {
        SignalMode::Edge => now && !prev,
        SignalMode::Level => now,
    }
}

/// [`candidate`] for many symbols at once: bit `i` of the result says whether the symbol
/// whose rule held (`now`) and held at the bar before (`before`) by bit `i` is a candidate.
#[inline]
pub(crate) fn candidates(mode: SignalMode, now: Mask, before: Mask) -> Mask {
    match mode {
        SignalMode::Edge => now & !before,
        SignalMode::Level => now,
    }
}

/// Open time of the last signal of every trader of a kernel on one symbol: the cooldown state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cooldowns {
    /// [`NEVER`] for none: 8 bytes a trader instead of 16 keeps the state of a symbol's
    /// traders dense.
    last_signal: Vec<i64>,
}

/// No signal yet.
pub(crate) const NEVER: i64 = i64::MIN;

impl Cooldowns {
    /// `n` traders without a signal.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            last_signal: vec![NEVER; n],
        }
    }

    pub(crate) fn get(&self, i: usize) -> Option<i64> {
        let t = self.last_signal[i];
        (t != NEVER).then_some(t)
    }

    pub(crate) fn set(&mut self, i: usize, last_signal: Option<i64>) {
        self.last_signal[i] = last_signal.unwrap_or(NEVER);
    }

    /// Whether trader `i`, a candidate at the bar opening at `open_time`, signals; records the
    /// signal. In edge mode not within `cooldown_bars` bars of `interval` after the previous
    /// signal, counted by open time, so missing candles count as bars and a replay from stored
    /// candles agrees with live evaluation. Level mode has no cooldown.
    #[inline]
    pub(crate) fn admit(
        &mut self,
        i: usize,
        mode: SignalMode,
        interval: Interval,
        open_time: i64,
        cooldown_bars: u32,
    ) -> bool {
        admit(
            &mut self.last_signal[i],
            mode,
            interval,
            open_time,
            cooldown_bars,
        )
    }
}

/// [`Cooldowns::admit`] on one trader's open time of its last signal ([`NEVER`] for none).
#[inline]
pub(crate) fn admit(
    last: &mut i64,
    mode: SignalMode,
    interval: Interval,
    open_time: i64,
    cooldown_bars: u32,
) -> bool {
    let ok = mode == SignalMode::Level
        || cooldown_bars == 0
        || *last == NEVER
        || more_bars_than(interval, *last, open_time, cooldown_bars);
    if ok {
        *last = open_time;
    }
    ok
}

/// `interval.periods_between(from, to) > bars`, without its divisions when the two times are
/// clearly further apart: a time lies less than one bar after its bar's open time, so for a
/// fixed interval, times at least `bars + 2` bar lengths apart (within the range where open
/// times are not clamped) are more than `bars` bars apart.
#[inline]
fn more_bars_than(interval: Interval, from: i64, to: i64, bars: u32) -> bool {
    let range = Interval::MIN_TIME_MS..=Interval::MAX_TIME_MS;
    if let Some(length) = interval.fixed_duration_ms()
        && range.contains(&from)
        && range.contains(&to)
        && to - from >= (i64::from(bars) + 2) * length
    {
        return true;
    }
    interval.periods_between(from, to) > i64::from(bars)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    /// Bars (0-based) at which a series of truth values signals.
    fn fired(mode: SignalMode, cooldown: u32, holds: &[bool]) -> Vec<usize> {
        let mut cooldowns = Cooldowns::new(1);
        let mut prev = false;
        holds
            .iter()
            .enumerate()
            .filter(|&(i, &now)| {
                let fire = candidate(mode, prev, now)
                    && cooldowns.admit(0, mode, Interval::M1, i as i64 * MINUTE, cooldown);
                prev = now;
                fire
            })
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn candidates_agree_with_candidate() {
        for mode in [SignalMode::Edge, SignalMode::Level] {
            // Bit i of `now` and `before` is the pair (i & 1, i >> 1).
            let got = candidates(mode, 0b1010, 0b1100);
            for i in 0..4 {
                let want = candidate(mode, i >> 1 != 0, i & 1 != 0);
                assert_eq!(got >> i & 1 != 0, want, "{mode:?} {i}");
            }
        }
    }

    #[test]
    fn edge_fires_when_the_rule_turns_true() {
        let holds = [true, true, false, true, true, false, false, true];
        assert_eq!(fired(SignalMode::Edge, 0, &holds), [0, 3, 7]);
        assert_eq!(fired(SignalMode::Level, 0, &holds), [0, 1, 3, 4, 7]);
        assert_eq!(fired(SignalMode::Level, 9, &holds), [0, 1, 3, 4, 7]);
    }

    #[test]
    fn cooldown_suppresses_edges_within_n_bars() {
        // Edges at 0, 2, 4, 6, 8.
        let holds = [true, false, true, false, true, false, true, false, true];
        assert_eq!(fired(SignalMode::Edge, 1, &holds), [0, 2, 4, 6, 8]);
        assert_eq!(fired(SignalMode::Edge, 2, &holds), [0, 4, 8]);
        assert_eq!(fired(SignalMode::Edge, 3, &holds), [0, 4, 8]);
        assert_eq!(fired(SignalMode::Edge, 4, &holds), [0, 6]);
    }

    #[test]
    fn a_suppressed_edge_does_not_fire_later_while_the_rule_stays_true() {
        let holds = [true, false, true, true, true, true];
        assert_eq!(fired(SignalMode::Edge, 2, &holds), [0]);
    }

    #[test]
    fn the_shortcut_agrees_with_periods_between() {
        let times = [
            -3 * MINUTE - 7,
            0,
            59_999,
            MINUTE,
            5 * MINUTE + 1,
            7 * MINUTE - 1,
            60 * MINUTE + 30_000,
            Interval::MAX_TIME_MS - 1,
            Interval::MAX_TIME_MS + 5 * MINUTE,
        ];
        for interval in [Interval::M1, Interval::M5, Interval::W1, Interval::Month1] {
            for &from in &times {
                for &to in &times {
                    for bars in [0, 1, 2, 3, 5, 60] {
                        let want = interval.periods_between(from, to) > i64::from(bars);
                        let got = more_bars_than(interval, from, to, bars);
                        assert_eq!(got, want, "{interval} {from} {to} {bars}");
                    }
                }
            }
        }
    }

    #[test]
    fn cooldown_counts_missing_bars() {
        let mut cooldowns = Cooldowns::new(2);
        assert!(cooldowns.admit(1, SignalMode::Edge, Interval::M1, 0, 3));
        assert!(!cooldowns.admit(1, SignalMode::Edge, Interval::M1, 2 * MINUTE, 3));
        // Three bars missing: four bars after the signal, beyond the cooldown.
        assert!(cooldowns.admit(1, SignalMode::Edge, Interval::M1, 4 * MINUTE, 3));
        assert_eq!(cooldowns.get(1), Some(4 * MINUTE));
        assert_eq!(cooldowns.get(0), None);
        cooldowns.set(0, Some(7));
        assert_eq!(cooldowns.get(0), Some(7));
    }
}
