//! Rows of Binance's public kline files: 12 positional columns, no header.
//!
//! ```text
//! 1735689600000,93576.0,93610.93,93537.5,93610.93,8.2,1735689659999,768978.6,1317,4.3,402413.3,0
//! ```
//! Files from 2025 on give both times in microseconds; they are converted to milliseconds.

use csv::ByteRecord;
use sift_core::{Candle, Interval};

use crate::Error;
use crate::field::Row;
use crate::timestamp::to_millis;

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

/// Whether the first row of a file is a data row: its first field is a number.
///
/// Any number counts, not just an integer timestamp, so that a malformed first row such as
/// `1735689600000.0,...` is reported as a bad `open_time` instead of being skipped as a header.
pub(crate) fn is_data_row(record: &ByteRecord) -> bool {
    record
        .get(0)
        .and_then(|field| std::str::from_utf8(field).ok())
        .is_some_and(|text| text.parse::<f64>().is_ok())
}

/// One closed candle of `interval` from a 12-column row, checked by [`Row::check`].
pub(crate) fn parse_row(
    row: Row<'_>,
    record: &ByteRecord,
    interval: Interval,
) -> Result<Candle, Error> {
    row.expect_width(record, COLUMNS.len())?;
    let candle = Candle {
        open_time: to_millis(row.i64(record, 0, COLUMNS[0])?),
        open: row.f64(record, 1, COLUMNS[1])?,
        high: row.f64(record, 2, COLUMNS[2])?,
        low: row.f64(record, 3, COLUMNS[3])?,
        close: row.f64(record, 4, COLUMNS[4])?,
        volume: row.f64(record, 5, COLUMNS[5])?,
        close_time: to_millis(row.i64(record, 6, COLUMNS[6])?),
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
        assert!(is_data_row(&rec));
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

    #[test]
    fn headers_are_not_data() {
        assert!(!is_data_row(&record(&COLUMNS.join(","))));
        assert!(!is_data_row(&ByteRecord::new()));
    }

    #[test]
    fn a_decimal_timestamp_is_bad_data_not_a_header() {
        let rec = record("1735689600000.0,1,2,0.5,1.5,10,1735689659999,15,3,5,7,0");
        assert!(is_data_row(&rec));
        let err = parse_row(ROW, &rec, Interval::M1).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"BTCUSDT-1m-2025-01.csv:3: column open_time: "1735689600000.0" is not an integer"#
        );
    }
}
