//! Parsing the fields of one row, with errors that name the file, line and column.

use csv::ByteRecord;
use sift_core::{Candle, Interval};

use crate::Error;
use crate::timestamp::to_millis;

/// Longest field text quoted in an error message, in characters.
const MAX_QUOTED_CHARS: usize = 40;

/// Where a row is: the file (as the caller named it) and its 1-based line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    pub(crate) path: &'a str,
    pub(crate) line: u64,
}

impl<'a> Row<'a> {
    /// The row `record` of the file `path`.
    pub(crate) fn of(path: &'a str, record: &ByteRecord) -> Self {
        Self {
            path,
            line: record.position().map_or(0, csv::Position::line),
        }
    }

    pub(crate) fn path(&self) -> String {
        self.path.to_owned()
    }

    /// Fails unless `record` has exactly `expected` fields.
    pub(crate) fn expect_width(&self, record: &ByteRecord, expected: usize) -> Result<(), Error> {
        if record.len() == expected {
            Ok(())
        } else {
            Err(Error::ColumnCount {
                path: self.path(),
                line: self.line,
                expected,
                found: record.len(),
            })
        }
    }

    /// Field `index` as a finite decimal number.
    pub(crate) fn f64(
        &self,
        record: &ByteRecord,
        index: usize,
        column: &'static str,
    ) -> Result<f64, Error> {
        let bytes = field(record, index);
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse::<f64>().ok())
            .filter(|value| value.is_finite())
            .ok_or_else(|| self.number_error(bytes, column, "a finite number"))
    }

    /// Field `index` as a signed integer (timestamps).
    pub(crate) fn i64(
        &self,
        record: &ByteRecord,
        index: usize,
        column: &'static str,
    ) -> Result<i64, Error> {
        let bytes = field(record, index);
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse::<i64>().ok())
            .ok_or_else(|| self.number_error(bytes, column, "an integer"))
    }

    /// Field `index` as a millisecond or microsecond timestamp, in epoch milliseconds (see
    /// [`to_millis`]).
    pub(crate) fn timestamp(
        &self,
        record: &ByteRecord,
        index: usize,
        column: &'static str,
    ) -> Result<i64, Error> {
        let raw = self.i64(record, index, column)?;
        to_millis(raw).ok_or_else(|| {
            self.number_error(
                field(record, index),
                column,
                "a millisecond or microsecond timestamp",
            )
        })
    }

    /// Field `index` as an unsigned integer (trade counts).
    pub(crate) fn u64(
        &self,
        record: &ByteRecord,
        index: usize,
        column: &'static str,
    ) -> Result<u64, Error> {
        let bytes = field(record, index);
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|text| text.parse::<u64>().ok())
            .ok_or_else(|| self.number_error(bytes, column, "a non-negative integer"))
    }

    fn number_error(&self, bytes: &[u8], column: &'static str, expected: &'static str) -> Error {
        Error::Number {
            path: self.path(),
            line: self.line,
            column,
            value: quote(bytes),
            expected,
        }
    }

    /// The checks every candle row gets, whatever its format:
    /// - high must not be below low;
    /// - the close time must lie within the candle that opens at the row's own open time:
    ///   `open_time <= close_time <= latest_close_time(interval, open_time)`. A close time beyond
    ///   it usually means the file holds longer candles than `interval`; an earlier one is
    ///   accepted, since Binance truncates candles cut short by maintenance.
    ///
    /// Open times need not sit on the interval's boundaries: Binance's own history has shifted
    /// candles (after its February 2018 maintenance, hourly candles opened at HH:28:14.789 and
    /// closed an hour later), so the close time is measured from the open time, not from the
    /// boundary before it.
    ///
    /// Deliberately lenient on the rest: an open or close outside [low, high], negative values
    /// and zero volumes are accepted as they come, because exchanges do publish such rows.
    pub(crate) fn check(&self, candle: &Candle, interval: Interval) -> Result<(), Error> {
        if candle.high < candle.low {
            return Err(Error::HighBelowLow {
                path: self.path(),
                line: self.line,
                high: candle.high,
                low: candle.low,
            });
        }
        if candle.close_time < candle.open_time
            || candle.close_time > latest_close_time(interval, candle.open_time)
        {
            return Err(Error::CloseTime {
                path: self.path(),
                line: self.line,
                open_time: candle.open_time,
                close_time: candle.close_time,
                interval,
            });
        }
        Ok(())
    }
}

/// The latest close time of an `interval` candle opening at `open_time`: for fixed intervals
/// `open_time + length - 1`, wherever the candle opens; for `1M`, whose length depends on the
/// month, the close of the calendar month containing `open_time` (for an aligned candle both
/// are Binance's close time).
pub(crate) fn latest_close_time(interval: Interval, open_time: i64) -> i64 {
    match interval.fixed_duration_ms() {
        Some(length) => open_time.saturating_add(length - 1),
        None => interval.close_time(open_time),
    }
}

/// Field `index`, or empty when the row is shorter (callers check the width first).
pub(crate) fn field(record: &ByteRecord, index: usize) -> &[u8] {
    record.get(index).unwrap_or_default()
}

/// `bytes` as text for a message, cut to [`MAX_QUOTED_CHARS`] characters.
pub(crate) fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn record(fields: &[&str]) -> ByteRecord {
        ByteRecord::from(fields.to_vec())
    }

    const ROW: Row<'static> = Row {
        path: "f.csv",
        line: 7,
    };

    #[rstest]
    #[case("1.5", 1.5)]
    #[case("0.00000123", 0.000_001_23)]
    #[case("-2", -2.0)]
    #[case("1e3", 1_000.0)]
    fn parses_decimals(#[case] text: &str, #[case] value: f64) {
        assert_eq!(ROW.f64(&record(&[text]), 0, "high").unwrap(), value);
    }

    #[rstest]
    #[case("")]
    #[case("abc")]
    #[case("NaN")]
    #[case("inf")]
    #[case("1,5")]
    fn rejects_non_numbers(#[case] text: &str) {
        let err = ROW.f64(&record(&[text]), 0, "high").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("f.csv:7: column high: {text:?} is not a finite number")
        );
    }

    #[test]
    fn integers_and_counts() {
        let rec = record(&["-5", "1.0", "12"]);
        assert_eq!(ROW.i64(&rec, 0, "open_time").unwrap(), -5);
        assert!(ROW.i64(&rec, 1, "open_time").is_err());
        assert_eq!(ROW.u64(&rec, 2, "trades").unwrap(), 12);
        let err = ROW.u64(&rec, 0, "trades").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"f.csv:7: column trades: "-5" is not a non-negative integer"#
        );
    }

    #[test]
    fn quotes_long_fields_shortened() {
        let long = "x".repeat(100);
        assert_eq!(quote(long.as_bytes()), format!("{}...", "x".repeat(40)));
        assert_eq!(quote(b"\xff1"), "\u{fffd}1");
    }

    #[test]
    fn width() {
        let err = ROW.expect_width(&record(&["1", "2"]), 12).unwrap_err();
        assert_eq!(err.to_string(), "f.csv:7: expected 12 columns, found 2");
    }

    #[rstest]
    #[case::ok(60_000, 1.0, 2.0, 119_999, None)]
    #[case::truncated_close_time(60_000, 1.0, 2.0, 60_500, None)]
    #[case::open_outside_range_is_fine(60_000, 1.0, 1.0, 119_999, None)]
    #[case::high_below_low(60_000, 2.0, 1.0, 119_999, Some("f.csv:7: high 1 is below low 2"))]
    #[case::close_beyond_candle(
        60_000,
        1.0,
        2.0,
        3_659_999,
        Some(
            "f.csv:7: close time 1970-01-01T01:00:59.999Z is outside the 1m candle \
             opening at 1970-01-01T00:01:00Z"
        )
    )]
    #[case::shifted_open(88_000, 1.0, 2.0, 147_999, None)]
    #[case::shifted_truncated(88_000, 1.0, 2.0, 120_000, None)]
    #[case::shifted_close_beyond(
        88_000,
        1.0,
        2.0,
        148_000,
        Some(
            "f.csv:7: close time 1970-01-01T00:02:28Z is outside the 1m candle \
             opening at 1970-01-01T00:01:28Z"
        )
    )]
    #[case::close_before_open(
        60_000,
        1.0,
        2.0,
        59_999,
        Some(
            "f.csv:7: close time 1970-01-01T00:00:59.999Z is outside the 1m candle \
             opening at 1970-01-01T00:01:00Z"
        )
    )]
    fn checks(
        #[case] open_time: i64,
        #[case] low: f64,
        #[case] high: f64,
        #[case] close_time: i64,
        #[case] error: Option<&str>,
    ) {
        let mut candle = Candle::ohlcv(open_time, 5.0, high, low, 5.0, 1.0);
        candle.close_time = close_time;
        let got = ROW
            .check(&candle, Interval::M1)
            .err()
            .map(|e| e.to_string());
        assert_eq!(got.as_deref(), error);
    }

    #[rstest]
    #[case::aligned_minute(Interval::M1, 60_000, 119_999)]
    #[case::shifted_minute(Interval::M1, 88_000, 147_999)]
    // BTCUSDT-1h-2018-02 opens at 2018-02-09T09:28:14.789Z.
    #[case::shifted_hour(Interval::H1, 1_518_168_494_789, 1_518_172_094_788)]
    #[case::shifted_week(Interval::W1, 0, 604_799_999)]
    // 2024-02-01 and 2024-02-15 both close with February (a leap month).
    #[case::month(Interval::Month1, 1_706_745_600_000, 1_709_251_199_999)]
    #[case::shifted_month(Interval::Month1, 1_707_955_200_000, 1_709_251_199_999)]
    fn latest_close_times(#[case] interval: Interval, #[case] open: i64, #[case] close: i64) {
        assert_eq!(latest_close_time(interval, open), close);
    }

    #[test]
    fn timestamps_of_either_unit_or_an_error() {
        let rec = record(&[
            "1735689600000",
            "1735689600000000",
            "1735689600000000000",
            "x",
        ]);
        assert_eq!(
            ROW.timestamp(&rec, 0, "open_time").unwrap(),
            1_735_689_600_000
        );
        assert_eq!(
            ROW.timestamp(&rec, 1, "open_time").unwrap(),
            1_735_689_600_000
        );
        let err = ROW.timestamp(&rec, 2, "open_time").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"f.csv:7: column open_time: "1735689600000000000" is not a millisecond or microsecond timestamp"#
        );
        let err = ROW.timestamp(&rec, 3, "close_time").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"f.csv:7: column close_time: "x" is not an integer"#
        );
    }
}
