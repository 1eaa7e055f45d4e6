//! Rows of Binance's public kline files: 12 positional columns, normally without a header.
//!
//! ```text
//! 1735689600000,93576.0,93610.93,93537.5,93610.93,8.2,1735689659999,768978.6,1317,4.3,402413.3,0
//! ```
//! Files from 2025 on give both times in microseconds; they are converted to milliseconds.

use csv::ByteRecord;
use sift_core::{Candle, Interval};

use crate::Error;
use crate::field::Row;

/// The columns in file order, named as in Binance's documentation (`trades` is its `count`).
pub(crate) const COLUMNS: [&str; 12] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "trades",
    "taker_buy_volume",
    "taker_buy_quote_volume",
    "ignore",
];

/// Whether the first row of a file is a header: none of its fields is a number.
///
/// Binance's own header (`open_time,open,high,...,ignore`) and any other all-text row qualify.
/// A row with even one number is data, so that a malformed first row such as
/// `x1735689600000,1,2,...` or `1735689600000.0,1,2,...` is reported field by field, naming
/// its line, instead of being skipped as a header. `NaN` and `inf` count as numbers here.
pub(crate) fn is_header(record: &ByteRecord) -> bool {
    !record
        .iter()
        .any(|field| std::str::from_utf8(field).is_ok_and(|text| text.parse::<f64>().is_ok()))
}

/// One closed candle of `interval` from a 12-column row, checked by [`Row::check`].
pub(crate) fn parse_row(
    row: Row<'_>,
    record: &ByteRecord,
    interval: Interval,
) -> Result<Candle, Error> {
    row.expect_width(record, COLUMNS.len())?;
    let candle = Candle {
        open_time: row.timestamp(record, 0, COLUMNS[0])?,
        open: row.f64(record, 1, COLUMNS[1])?,
        high: row.f64(record, 2, COLUMNS[2])?,
        low: row.f64(record, 3, COLUMNS[3])?,
        close: row.f64(record, 4, COLUMNS[4])?,
        volume: row.f64(record, 5, COLUMNS[5])?,
        close_time: row.timestamp(record, 6, COLUMNS[6])?,
        quote_volume: row.f64(record, 7, COLUMNS[7])?,
        trades: row.u64(record, 8, COLUMNS[8])?,
        taker_buy_volume: row.f64(record, 9, COLUMNS[9])?,
        taker_buy_quote_volume: row.f64(record, 10, COLUMNS[10])?,
        closed: true,
    };
    row.check(&candle, interval)?;
    Ok(candle)
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const ROW: Row<'static> = Row {
        path: "BTCUSDT-1m-2025-01.csv",
        line: 3,
    };

    fn record(line: &str) -> ByteRecord {
        ByteRecord::from(line.split(',').collect::<Vec<_>>())
    }

    #[test]
    fn parses_millisecond_rows() {
        let rec = record(
            "1735689600000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999,\
             768978.6,1317,4.3,402413.3,0",
        );
        assert!(!is_header(&rec));
        let candle = parse_row(ROW, &rec, Interval::M1).unwrap();
        assert_eq!(
            candle,
            Candle {
                open_time: 1_735_689_600_000,
                close_time: 1_735_689_659_999,
                open: 93_576.0,
                high: 93_610.93,
                low: 93_537.5,
                close: 93_610.93,
                volume: 8.21827,
                quote_volume: 768_978.6,
                trades: 1317,
                taker_buy_volume: 4.3,
                taker_buy_quote_volume: 402_413.3,
                closed: true,
            }
        );
    }

    #[test]
    fn converts_microsecond_rows() {
        let rec = record("1735689600000000,1,2,0.5,1.5,10,1735689659999999,15,3,5,7,0");
        let candle = parse_row(ROW, &rec, Interval::M1).unwrap();
        assert_eq!(candle.open_time, 1_735_689_600_000);
        assert_eq!(candle.close_time, 1_735_689_659_999);
    }

    #[test]
    fn names_the_bad_column() {
        let rec = record("1735689600000,1,2,x,1.5,10,1735689659999,15,3,5,7,0");
        let err = parse_row(ROW, &rec, Interval::M1).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"BTCUSDT-1m-2025-01.csv:3: column low: "x" is not a finite number"#
        );
    }

    #[test]
    fn rejects_short_rows() {
        let rec = record("1735689600000,1,2,0.5,1.5,10,1735689659999,15,3,5,7");
        let err = parse_row(ROW, &rec, Interval::M1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BTCUSDT-1m-2025-01.csv:3: expected 12 columns, found 11"
        );
    }

    #[rstest]
    #[case::binance(&COLUMNS.join(","))]
    #[case::binance_documented(
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,\
         taker_buy_quote_volume,ignore"
    )]
    #[case::other_text("Open Time,Open,High,Low,Close,Volume,Close Time,a,b,c,d,e")]
    #[case::empty_fields(",,,")]
    fn headers_are_all_text(#[case] line: &str) {
        assert!(is_header(&record(line)));
    }

    #[rstest]
    #[case::prefixed_time("x1735689600000,1,2,0.5,1.5,10,1735689659999,15,3,5,7,0")]
    #[case::decimal_time("1735689600000.0,1,2,0.5,1.5,10,1735689659999,15,3,5,7,0")]
    #[case::one_number("open_time,open,high,low,close,volume,close_time,a,b,c,d,0")]
    #[case::nan("NaN,a,b")]
    fn a_row_with_any_number_is_data(#[case] line: &str) {
        assert!(!is_header(&record(line)));
    }

    #[rstest]
    #[case::prefixed_time(
        "x1735689600000,1,2,0.5,1.5,10,1735689659999,15,3,5,7,0",
        r#"column open_time: "x1735689600000" is not an integer"#
    )]
    #[case::decimal_time(
        "1735689600000.0,1,2,0.5,1.5,10,1735689659999,15,3,5,7,0",
        r#"column open_time: "1735689600000.0" is not an integer"#
    )]
    #[case::nanosecond_time(
        "1735689600000000000,1,2,0.5,1.5,10,1735689659999999999,15,3,5,7,0",
        r#"column open_time: "1735689600000000000" is not a millisecond or microsecond timestamp"#
    )]
    #[case::junk_close_time(
        "1735689600000,1,2,0.5,1.5,10,-170000000000000000,15,3,5,7,0",
        r#"column close_time: "-170000000000000000" is not a millisecond or microsecond timestamp"#
    )]
    fn rejects_bad_times(#[case] line: &str, #[case] message: &str) {
        let err = parse_row(ROW, &record(line), Interval::M1).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("BTCUSDT-1m-2025-01.csv:3: {message}")
        );
    }

    #[test]
    fn accepts_binance_shifted_hourly_candles() {
        // BTCUSDT-1h-2018-02: opens at 2018-02-09T09:28:14.789Z, and a candle at
        // 2018-02-11T03:28:14.789Z cut short at 04:00:00.999.
        for line in [
            "1518168494789,1,2,0.5,1.5,10,1518172094788,15,3,5,7,0",
            "1518319694789,1,2,0.5,1.5,10,1518321600999,15,3,5,7,0",
        ] {
            let candle = parse_row(ROW, &record(line), Interval::H1).unwrap();
            assert_eq!(candle.open_time % 3_600_000, 1_694_789);
        }
    }
}
