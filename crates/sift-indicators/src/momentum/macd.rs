//! Moving average convergence divergence.

use std::fmt;

use sift_core::Candle;

use super::check_min_period;
use crate::{Error, Indicator, SeriesIndicator, Source, check_period, impl_outputs};

/// One MACD row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MacdOutput {
    /// `EMA(fast) - EMA(slow)`.
    pub line: f64,
    /// EMA of the line over `signal` bars.
    pub signal: f64,
    /// `line - signal`.
    pub hist: f64,
}

impl_outputs!(MacdOutput { line, signal, hist });

/// MACD(fast, slow, signal). Matches TA-Lib `MACD` (default compatibility), including its quirk
/// in seeding the fast EMA.
///
/// Both EMAs use `k = 2 / (period + 1)` and `ema = (x - ema) * k + ema` with a fused
/// multiply-add, as TA-Lib's FMA build does (see [`Ema`](crate::average::Ema)). The slow EMA is seeded
/// with the mean of the first `slow` values. TA-Lib makes both EMAs start at the same bar, so the
/// fast EMA is seeded with the mean of the last `fast` of those same values rather than the
/// first `fast` values: a plain `EMA(fast)` of the input differs from the fast EMA used here
/// until the difference decays. The line starts at index `slow - 1`; the signal EMA is seeded
/// with the mean of the first `signal` line values, so the first output appears at index
/// `slow + signal - 2` with all three fields.
///
/// As in TA-Lib, `fast` and `slow` are swapped when `slow < fast`, `fast` and `slow` must be at
/// least 2, and `signal = 1` still runs the EMA recursion with `k = 1`.
#[derive(Debug, Clone)]
pub struct Macd {
    fast: usize,
    slow: usize,
    signal: usize,
    source: Source,
    fast_k: f64,
    slow_k: f64,
    signal_k: f64,
    /// Inputs seen, counted up to `slow`.
    seen: usize,
    fast_ema: f64,
    slow_ema: f64,
    /// Line values seen, counted up to `signal`.
    lines: usize,
    signal_ema: f64,
}

impl Macd {
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, Error> {
        let fast = check_min_period("macd", "fast", fast, 2)?;
        let slow = check_min_period("macd", "slow", slow, 2)?;
        let signal = check_period("macd", "signal", signal)?;
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Ok(Self {
            fast,
            slow,
            signal,
            source: Source::Close,
            fast_k: 2.0 / (fast + 1) as f64,
            slow_k: 2.0 / (slow + 1) as f64,
            signal_k: 2.0 / (signal + 1) as f64,
            seen: 0,
            fast_ema: 0.0,
            slow_ema: 0.0,
            lines: 0,
            signal_ema: 0.0,
        })
    }

    /// Reads `source` instead of close.
    pub fn with_source(mut self, source: Source) -> Self {
        self.source = source;
        self
    }

    /// `(fast, slow, signal)` after TA-Lib's swap of fast and slow.
    pub fn periods(&self) -> (usize, usize, usize) {
        (self.fast, self.slow, self.signal)
    }

    /// Advances both EMAs and returns the MACD line once both are seeded.
    #[inline]
    fn line(&mut self, value: f64) -> Option<f64> {
        if self.seen < self.slow {
            // While seeding, the EMA fields hold running sums.
            self.seen += 1;
            self.slow_ema += value;
            if self.seen > self.slow - self.fast {
                self.fast_ema += value;
            }
            if self.seen < self.slow {
                return None;
            }
            self.slow_ema /= self.slow as f64;
            self.fast_ema /= self.fast as f64;
        } else {
            self.fast_ema = (value - self.fast_ema).mul_add(self.fast_k, self.fast_ema);
            self.slow_ema = (value - self.slow_ema).mul_add(self.slow_k, self.slow_ema);
        }
        Some(self.fast_ema - self.slow_ema)
    }
}

impl Indicator for Macd {
    type Output = MacdOutput;

    #[inline]
    fn update(&mut self, candle: &Candle) -> Option<MacdOutput> {
        self.next(self.source.of(candle))
    }

    fn reset(&mut self) {
        self.seen = 0;
        self.fast_ema = 0.0;
        self.slow_ema = 0.0;
        self.lines = 0;
        self.signal_ema = 0.0;
    }
}

impl SeriesIndicator for Macd {
    #[inline]
    fn next(&mut self, value: f64) -> Option<MacdOutput> {
        let line = self.line(value)?;
        if self.lines < self.signal {
            self.lines += 1;
            self.signal_ema += line;
            if self.lines < self.signal {
                return None;
            }
            self.signal_ema /= self.signal as f64;
        } else {
            self.signal_ema = (line - self.signal_ema).mul_add(self.signal_k, self.signal_ema);
        }
        Some(MacdOutput {
            line,
            signal: self.signal_ema,
            hist: line - self.signal_ema,
        })
    }
}

impl fmt::Display for Macd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MACD({}, {}, {})", self.fast, self.slow, self.signal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(macd: &mut Macd, xs: &[f64]) -> Vec<Option<MacdOutput>> {
        xs.iter().map(|&x| macd.next(x)).collect()
    }

    #[test]
    fn seeds_both_emas_on_the_same_bar() {
        // fast 2 (k = 2/3), slow 3 (k = 1/2), signal 2 (k = 2/3).
        let mut macd = Macd::new(2, 3, 2).unwrap();
        let out = run(&mut macd, &[1.0, 2.0, 6.0, 9.0]);
        assert_eq!(out[..3], [None, None, None]);
        // Index 2: slow = (1 + 2 + 6) / 3 = 3, fast = (2 + 6) / 2 = 4 (not (1 + 2) / 2): line 1.
        // Index 3: fast = (9 - 4) * 2/3 + 4, slow = (9 - 3) / 2 + 3 = 6.
        let fast = (9.0 - 4.0) * (2.0 / 3.0) + 4.0;
        let line = fast - 6.0;
        let signal = (1.0 + line) / 2.0;
        assert_eq!(
            out[3],
            Some(MacdOutput {
                line,
                signal,
                hist: line - signal
            })
        );
    }

    #[test]
    fn signal_of_one_outputs_from_the_first_line() {
        let mut macd = Macd::new(2, 3, 1).unwrap();
        let out = run(&mut macd, &[1.0, 2.0, 6.0]);
        assert_eq!(
            out[2],
            Some(MacdOutput {
                line: 1.0,
                signal: 1.0,
                hist: 0.0
            })
        );
    }

    #[test]
    fn fast_and_slow_are_swapped_like_talib() {
        let xs: Vec<f64> = (0..60)
            .map(|i| 100.0 + (i as f64 * 0.4).sin() * 5.0)
            .collect();
        let mut a = Macd::new(12, 26, 9).unwrap();
        let mut b = Macd::new(26, 12, 9).unwrap();
        assert_eq!(run(&mut a, &xs), run(&mut b, &xs));
        assert_eq!(b.to_string(), "MACD(12, 26, 9)");
        assert_eq!(b.periods(), (12, 26, 9));
    }

    #[test]
    fn first_output_at_slow_plus_signal_minus_two() {
        let xs: Vec<f64> = (0..40).map(|i| i as f64).collect();
        let mut macd = Macd::new(12, 26, 9).unwrap();
        let first = run(&mut macd, &xs).iter().position(Option::is_some);
        assert_eq!(first, Some(33));
    }

    #[test]
    fn invalid_periods_are_errors() {
        assert!(Macd::new(1, 26, 9).is_err());
        assert!(Macd::new(12, 1, 9).is_err());
        assert!(Macd::new(12, 26, 0).is_err());
    }

    #[test]
    fn reset_then_replay_gives_the_same_values() {
        let xs: Vec<f64> = (0..40).map(|i| 50.0 + ((i * 7) % 13) as f64).collect();
        let mut macd = Macd::new(3, 5, 4).unwrap();
        let first = run(&mut macd, &xs);
        macd.reset();
        assert_eq!(first, run(&mut macd, &xs));
    }
}
