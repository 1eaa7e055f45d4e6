//! Grouping rows into per-(symbol, interval) series, checking their order and finding gaps.

use std::collections::HashMap;
use std::fmt;

use sift_core::{Candle, Interval, Symbol};

use crate::Error;
use crate::field::Row;
use crate::timestamp::display as time;

/// The candles of one symbol and interval, oldest first, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct CandleSeries {
    pub symbol: Symbol,
    pub interval: Interval,
    /// Open times in increasing order, each at least one interval after the one before (for
    /// `1M`: in a later calendar month), except that a row opening exactly on an interval
    /// boundary may follow a shifted candle sooner; all closed. Open times need not sit on
    /// interval boundaries (see the crate documentation).
    pub candles: Vec<Candle>,
}

/// Candles missing between two consecutive rows of one series. Gaps are reported, not errors:
/// exchanges have outages and symbols pause trading.
///
/// For fixed intervals the count comes from the time between the two open times
/// (`elapsed / length - 1`, rounded down) and the missing candles are placed one interval apart
/// from the earlier row, so a series of shifted candles gets the right gaps. For `1M` it is the
/// number of calendar months in between.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub symbol: Symbol,
    pub interval: Interval,
    /// Open time of the first missing candle.
    pub from: i64,
    /// Open time of the last missing candle (inclusive).
    pub to: i64,
    /// How many candles are missing, at least 1.
    pub missing: u64,
    /// Line of the row right after the gap.
    pub line: u64,
}

/// Reads e.g. `BTCUSDT 1m: 3 candles missing from 2025-01-01T00:01:00Z to
/// 2025-01-01T00:03:00Z (before line 5)`.
impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            symbol,
            interval,
            missing,
            line,
            ..
        } = self;
        if *missing == 1 {
            let at = time(self.from);
            write!(
                f,
                "{symbol} {interval}: 1 candle missing at {at} (before line {line})"
            )
        } else {
            let (from, to) = (time(self.from), time(self.to));
            write!(
                f,
                "{symbol} {interval}: {missing} candles missing from {from} to {to} \
                 (before line {line})"
            )
        }
    }
}

/// Everything read from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct CandleFile {
    /// One series per (symbol, interval), in order of first appearance in the file.
    pub series: Vec<CandleSeries>,
    /// Gaps in file order.
    pub gaps: Vec<Gap>,
}

impl CandleFile {
    /// Total number of candles over all series.
    pub fn candle_count(&self) -> usize {
        self.series.iter().map(|s| s.candles.len()).sum()
    }
}

/// Builds a [`CandleFile`] row by row.
#[derive(Debug, Default)]
pub(crate) struct Grouper {
    slots: HashMap<(Symbol, Interval), usize>,
    series: Vec<CandleSeries>,
    /// Line of the first and of the last row of each series, parallel to `series`.
    first_lines: Vec<u64>,
    last_lines: Vec<u64>,
    gaps: Vec<Gap>,
}

impl Grouper {
    /// The slot of the series of `symbol` and `interval`, created on first use.
    pub(crate) fn slot(&mut self, symbol: Symbol, interval: Interval) -> usize {
        let next = self.series.len();
        let slot = *self.slots.entry((symbol.clone(), interval)).or_insert(next);
        if slot == next {
            self.series.push(CandleSeries {
                symbol,
                interval,
                candles: Vec::new(),
            });
            self.first_lines.push(0);
            self.last_lines.push(0);
        }
        slot
    }

    /// Appends `candle` (from `row`) to the series in `slot`, recording a gap if candles are
    /// missing before it. Fails if it does not open a later candle than the series' previous
    /// one (see [`step`]).
    ///
    /// # Panics
    /// If `slot` did not come from [`Grouper::slot`].
    pub(crate) fn push(&mut self, slot: usize, candle: Candle, row: Row<'_>) -> Result<(), Error> {
        let series = &mut self.series[slot];
        let previous_line = self.last_lines[slot];
        if let Some(previous) = series.candles.last() {
            let (interval, previous) = (series.interval, previous.open_time);
            let Some(missing) = step(interval, previous, candle.open_time) else {
                let (symbol, path, line, open_time) = (
                    series.symbol.clone(),
                    row.path(),
                    row.line,
                    candle.open_time,
                );
                return Err(if open_time == previous {
                    Error::Duplicate {
                        path,
                        line,
                        symbol,
                        interval,
                        open_time,
                        previous_line,
                    }
                } else if open_time > previous {
                    Error::SameCandle {
                        path,
                        line,
                        symbol,
                        interval,
                        open_time,
                        previous,
                        previous_line,
                    }
                } else {
                    Error::Backwards {
                        path,
                        line,
                        symbol,
                        interval,
                        open_time,
                        previous,
                        previous_line,
                    }
                });
            };
            if missing > 0 {
                let (from, to) = match interval.fixed_duration_ms() {
                    Some(length) => {
                        let span = i64::try_from(missing).unwrap_or(i64::MAX);
                        (previous + length, previous + span.saturating_mul(length))
                    }
                    None => (
                        interval.next_open(previous),
                        interval.open_time(candle.open_time - 1),
                    ),
                };
                self.gaps.push(Gap {
                    symbol: series.symbol.clone(),
                    interval,
                    from,
                    to,
                    missing,
                    line: row.line,
                });
            }
        }
        if series.candles.is_empty() {
            self.first_lines[slot] = row.line;
        }
        series.candles.push(candle);
        self.last_lines[slot] = row.line;
        Ok(())
    }

    /// Moves every line down by `lines`: for the rows of a piece of a file that starts after
    /// that many lines, read on their own.
    pub(crate) fn shift_lines(&mut self, lines: u64) {
        for line in self.first_lines.iter_mut().chain(&mut self.last_lines) {
            *line += lines;
        }
        for gap in &mut self.gaps {
            gap.line += lines;
        }
    }

    /// Takes in the series of `later`, which read the rows after this one's rows of the file
    /// `path` (lines shifted to match), as if they had been pushed here one by one: the same
    /// series, candles, gaps and failures.
    pub(crate) fn append(&mut self, later: Grouper, path: &str) -> Result<(), Error> {
        let gaps_before = self.gaps.len();
        let lines = later.first_lines.into_iter().zip(later.last_lines);
        for (series, (first_line, last_line)) in later.series.into_iter().zip(lines) {
            let mut candles = series.candles.into_iter();
            let Some(first) = candles.next() else {
                continue;
            };
            let slot = self.slot(series.symbol, series.interval);
            let row = Row {
                path,
                line: first_line,
            };
            self.push(slot, first, row)?;
            self.series[slot].candles.extend(candles);
            self.last_lines[slot] = last_line;
        }
        // The gaps where the two meet, then those of `later`: in file order, by line (a row
        // follows one gap at most).
        self.gaps.extend(later.gaps);
        self.gaps[gaps_before..].sort_by_key(|gap| gap.line);
        Ok(())
    }

    /// Whether no candle has been pushed.
    pub(crate) fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.candles.is_empty())
    }

    pub(crate) fn finish(self) -> CandleFile {
        CandleFile {
            series: self.series,
            gaps: self.gaps,
        }
    }
}

/// How many candles are missing between consecutive rows of a series opening at `previous`
/// and `next`, or `None` when `next` does not open a later candle.
///
/// For fixed intervals `next` must open at least one interval after `previous`, wherever
/// `previous` sits relative to the interval's boundaries. One exception lets a series return to
/// the boundaries: a row opening exactly on a boundary may follow a shifted candle sooner, as in
/// Binance's BTCUSDT-1h-2018-02, where a candle opening at 03:28:14.789 is cut short and the next
/// opens at 04:00. For `1M`, `next` must fall in a later calendar month.
fn step(interval: Interval, previous: i64, next: i64) -> Option<u64> {
    let Some(length) = interval.fixed_duration_ms() else {
        let months = interval.periods_between(previous, next);
        return (months > 0).then(|| months.unsigned_abs() - 1);
    };
    let elapsed = next.saturating_sub(previous);
    if elapsed >= length {
        Some((elapsed / length - 1).unsigned_abs())
    } else if elapsed > 0 && interval.open_time(next) == next {
        Some(0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    fn row(line: u64) -> Row<'static> {
        Row {
            path: "f.csv",
            line,
        }
    }

    fn candle(open_time: i64) -> Candle {
        Candle::ohlcv(open_time, 1.0, 1.0, 1.0, 1.0, 1.0)
    }

    fn symbol(name: &str) -> Symbol {
        name.parse().unwrap()
    }

    #[test]
    fn groups_in_order_of_first_appearance() {
        let mut grouper = Grouper::default();
        assert!(grouper.is_empty());
        let eth = grouper.slot(symbol("ETHUSDT"), Interval::M1);
        let btc = grouper.slot(symbol("BTCUSDT"), Interval::M1);
        let eth_hour = grouper.slot(symbol("ETHUSDT"), Interval::H1);
        assert_eq!(grouper.slot(symbol("ETHUSDT"), Interval::M1), eth);
        grouper.push(btc, candle(0), row(2)).unwrap();
        grouper.push(eth, candle(0), row(3)).unwrap();
        grouper.push(eth, candle(MINUTE), row(4)).unwrap();
        grouper.push(eth_hour, candle(0), row(5)).unwrap();
        let file = grouper.finish();
        let keys: Vec<(&str, Interval, usize)> = file
            .series
            .iter()
            .map(|s| (s.symbol.as_str(), s.interval, s.candles.len()))
            .collect();
        assert_eq!(
            keys,
            [
                ("ETHUSDT", Interval::M1, 2),
                ("BTCUSDT", Interval::M1, 1),
                ("ETHUSDT", Interval::H1, 1)
            ]
        );
        assert_eq!(file.candle_count(), 4);
        assert!(file.gaps.is_empty());
    }

    #[test]
    fn reports_gaps() {
        let mut grouper = Grouper::default();
        let slot = grouper.slot(symbol("BTCUSDT"), Interval::M1);
        grouper.push(slot, candle(0), row(1)).unwrap();
        grouper.push(slot, candle(4 * MINUTE), row(2)).unwrap();
        grouper.push(slot, candle(5 * MINUTE), row(3)).unwrap();
        let month = grouper.slot(symbol("BTCUSDT"), Interval::Month1);
        // 2024-01-01 then 2024-04-01: February and March are missing.
        grouper
            .push(month, candle(1_704_067_200_000), row(4))
            .unwrap();
        grouper
            .push(month, candle(1_711_929_600_000), row(5))
            .unwrap();
        let gaps = grouper.finish().gaps;
        assert_eq!(
            gaps,
            [
                Gap {
                    symbol: symbol("BTCUSDT"),
                    interval: Interval::M1,
                    from: MINUTE,
                    to: 3 * MINUTE,
                    missing: 3,
                    line: 2,
                },
                Gap {
                    symbol: symbol("BTCUSDT"),
                    interval: Interval::Month1,
                    from: 1_706_745_600_000, // 2024-02-01
                    to: 1_709_251_200_000,   // 2024-03-01
                    missing: 2,
                    line: 5,
                },
            ]
        );
        assert_eq!(
            gaps[0].to_string(),
            "BTCUSDT 1m: 3 candles missing from 1970-01-01T00:01:00Z to 1970-01-01T00:03:00Z \
             (before line 2)"
        );
        let one = Gap {
            missing: 1,
            to: gaps[0].from,
            ..gaps[0].clone()
        };
        assert_eq!(
            one.to_string(),
            "BTCUSDT 1m: 1 candle missing at 1970-01-01T00:01:00Z (before line 2)"
        );
    }

    #[test]
    fn rejects_duplicates_and_going_back() {
        let mut grouper = Grouper::default();
        let slot = grouper.slot(symbol("BTCUSDT"), Interval::M1);
        grouper.push(slot, candle(MINUTE), row(2)).unwrap();
        let err = grouper.push(slot, candle(MINUTE), row(3)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.csv:3: BTCUSDT 1m open time 1970-01-01T00:01:00Z repeats line 2"
        );
        let err = grouper.push(slot, candle(0), row(4)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "f.csv:4: BTCUSDT 1m open time 1970-01-01T00:00:00Z goes back before \
             1970-01-01T00:01:00Z (line 2)"
        );
    }

    const HOUR: i64 = 60 * MINUTE;

    /// Open times of consecutive rows, pushed into one 1h series from line 1; the gaps as
    /// (from, to, missing, line), or the error.
    fn hourly(opens: &[i64]) -> Result<Vec<(i64, i64, u64, u64)>, String> {
        let mut grouper = Grouper::default();
        let slot = grouper.slot(symbol("BTCUSDT"), Interval::H1);
        for (line, &open) in (1..).zip(opens) {
            grouper
                .push(slot, candle(open), row(line))
                .map_err(|e| e.to_string())?;
        }
        let gaps = grouper.finish().gaps;
        Ok(gaps
            .iter()
            .map(|g| (g.from, g.to, g.missing, g.line))
            .collect())
    }

    #[test]
    fn shifted_candles_one_interval_apart() {
        let at = |h: i64, m: i64| h * HOUR + m * MINUTE;
        assert_eq!(hourly(&[at(0, 28), at(1, 28), at(2, 28)]), Ok(vec![]));
        // From an aligned candle to a shifted one and on.
        assert_eq!(hourly(&[at(0, 0), at(1, 28), at(2, 28)]), Ok(vec![]));
    }

    #[test]
    fn gaps_in_shifted_series_count_from_the_time_between() {
        let at = |h: i64, m: i64| h * HOUR + m * MINUTE;
        assert_eq!(
            hourly(&[at(0, 28), at(3, 28)]),
            Ok(vec![(at(1, 28), at(2, 28), 2, 2)])
        );
        // 2h 2min after: one whole candle fits in between.
        assert_eq!(
            hourly(&[at(0, 28), at(2, 30)]),
            Ok(vec![(at(1, 28), at(1, 28), 1, 2)])
        );
        // Back on the hour after a gap.
        assert_eq!(
            hourly(&[at(0, 28), at(3, 0)]),
            Ok(vec![(at(1, 28), at(1, 28), 1, 2)])
        );
    }

    #[test]
    fn back_on_the_boundary_after_a_shifted_candle() {
        // BTCUSDT-1h-2018-02: a candle opening at 2018-02-11T03:28:14.789Z, cut short, is
        // followed by one at 04:00, 31m45.211s later, then hourly candles.
        let opens = [1_518_319_694_789, 1_518_321_600_000, 1_518_325_200_000];
        assert_eq!(hourly(&opens), Ok(vec![]));
    }

    #[test]
    fn less_than_an_interval_after_is_the_same_candle() {
        let at = |h: i64, m: i64| h * HOUR + m * MINUTE;
        assert_eq!(
            hourly(&[at(0, 28), at(1, 10)]),
            Err(
                "f.csv:2: BTCUSDT open time 1970-01-01T01:10:00Z is inside the 1h candle of \
                 line 1 (1970-01-01T00:28:00Z): is the interval right?"
                    .to_owned()
            )
        );
        // A 1m file read as 1h.
        assert_eq!(
            hourly(&[at(0, 0), at(0, 1)]),
            Err(
                "f.csv:2: BTCUSDT open time 1970-01-01T00:01:00Z is inside the 1h candle of \
                 line 1 (1970-01-01T00:00:00Z): is the interval right?"
                    .to_owned()
            )
        );
        // Shifted 1m rows read as 1h.
        let err = hourly(&[at(0, 28), at(0, 29)]).unwrap_err();
        assert!(err.contains("is inside the 1h candle of line 1"), "{err}");
    }

    #[test]
    fn months_are_calendar_months_wherever_they_open() {
        let mut grouper = Grouper::default();
        let slot = grouper.slot(symbol("BTCUSDT"), Interval::Month1);
        // 2024-01-15, then 2024-02-15: consecutive months.
        grouper
            .push(slot, candle(1_705_276_800_000), row(1))
            .unwrap();
        grouper
            .push(slot, candle(1_707_955_200_000), row(2))
            .unwrap();
        // 2024-02-20: still February.
        let err = grouper
            .push(slot, candle(1_708_387_200_000), row(3))
            .unwrap_err();
        assert!(matches!(err, Error::SameCandle { line: 3, .. }), "{err}");
        assert!(grouper.finish().gaps.is_empty());
    }
}
