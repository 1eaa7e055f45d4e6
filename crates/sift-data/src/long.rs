//! The long format: a header, then one row per candle, many symbols (and intervals) per file.
//!
//! ```text
//! symbol,open_time,open,high,low,close,volume
//! BTCUSDT,1735689600000,93576.0,93610.93,93537.5,93610.93,8.21827
//! ETHUSDT,1735689600000,3337.78,3339.16,3334.0,3334.5,310.5
//! ```
//! The header decides which column is which; names are matched ignoring case, and columns with
//! other names are ignored. Required: `symbol open_time open high low close volume`. Optional:
//! `interval` (else the file's interval applies to every row), `close_time` (else
//! [`Interval::close_time`]), `quote_volume trades taker_buy_volume taker_buy_quote_volume`
//! (else zero). Times may be milliseconds or microseconds, told apart by magnitude.

use csv::ByteRecord;
use sift_core::{Candle, Interval};

use crate::Error;
use crate::field::{Row, field};
use crate::timestamp::to_millis;

/// A column the long format knows. The discriminant indexes [`Layout::index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Symbol,
    Interval,
    OpenTime,
    CloseTime,
    Open,
    High,
    Low,
    Close,
    Volume,
    QuoteVolume,
    Trades,
    TakerBuyVolume,
    TakerBuyQuoteVolume,
}

const COLUMN_COUNT: usize = 13;

/// Accepted header names, lower case; the first name of each column is its canonical name.
const NAMES: [(&str, Column); 15] = [
    ("symbol", Column::Symbol),
    ("interval", Column::Interval),
    ("open_time", Column::OpenTime),
    ("close_time", Column::CloseTime),
    ("open", Column::Open),
    ("high", Column::High),
    ("low", Column::Low),
    ("close", Column::Close),
    ("volume", Column::Volume),
    ("quote_volume", Column::QuoteVolume),
    ("trades", Column::Trades),
    ("taker_buy_volume", Column::TakerBuyVolume),
    ("taker_buy_quote_volume", Column::TakerBuyQuoteVolume),
    ("open_time_ms", Column::OpenTime),
    ("close_time_ms", Column::CloseTime),
];

const REQUIRED: [Column; 7] = [
    Column::Symbol,
    Column::OpenTime,
    Column::Open,
    Column::High,
    Column::Low,
    Column::Close,
    Column::Volume,
];

impl Column {
    fn from_header(name: &[u8]) -> Option<Self> {
        NAMES
            .iter()
            .find(|(known, _)| known.as_bytes().eq_ignore_ascii_case(name))
            .map(|&(_, column)| column)
    }

    fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|&&(_, column)| column == self)
            .map_or("?", |&(name, _)| name)
    }
}

/// Whether a first row is a long-format header: one of its fields is `symbol`.
pub(crate) fn is_header(record: &ByteRecord) -> bool {
    record
        .iter()
        .any(|name| Column::from_header(name) == Some(Column::Symbol))
}

/// Where each known column sits in a long-format file, read from its header.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    index: [Option<usize>; COLUMN_COUNT],
    width: usize,
}

impl Layout {
    /// Maps the header `record`; fails on a missing required column or a column named twice.
    pub(crate) fn from_header(row: Row<'_>, record: &ByteRecord) -> Result<Self, Error> {
        let mut index = [None; COLUMN_COUNT];
        for (position, name) in record.iter().enumerate() {
            let Some(column) = Column::from_header(name) else {
                continue;
            };
            let slot = &mut index[column as usize];
            if slot.is_some() {
                let column = column.name();
                return Err(Error::DuplicateColumn {
                    path: row.path(),
                    line: row.line,
                    column,
                });
            }
            *slot = Some(position);
        }
        if let Some(missing) = REQUIRED
            .iter()
            .find(|column| index[**column as usize].is_none())
        {
            let column = missing.name();
            return Err(Error::MissingColumn {
                path: row.path(),
                line: row.line,
                column,
            });
        }
        Ok(Self {
            index,
            width: record.len(),
        })
    }

    /// Number of fields every row must have: the header's.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    /// Whether rows carry their own interval.
    pub(crate) fn has_interval(&self) -> bool {
        self.index[Column::Interval as usize].is_some()
    }

    /// The raw symbol field of a row.
    pub(crate) fn symbol<'r>(&self, record: &'r ByteRecord) -> &'r [u8] {
        self.raw(record, Column::Symbol)
    }

    /// The raw interval field of a row; empty without an interval column.
    pub(crate) fn interval<'r>(&self, record: &'r ByteRecord) -> &'r [u8] {
        self.raw(record, Column::Interval)
    }

    fn raw<'r>(&self, record: &'r ByteRecord, column: Column) -> &'r [u8] {
        self.index[column as usize].map_or(&[], |i| field(record, i))
    }

    /// One closed candle of `interval` from a row, checked by [`Row::check`].
    pub(crate) fn parse_row(
        &self,
        row: Row<'_>,
        record: &ByteRecord,
        interval: Interval,
    ) -> Result<Candle, Error> {
        // Required columns are present (checked by `from_header`); optional ones default to 0.
        let decimal = |column: Column| match self.index[column as usize] {
            Some(i) => row.f64(record, i, column.name()),
            None => Ok(0.0),
        };
        let open_time_index = self.index[Column::OpenTime as usize].unwrap_or_default();
        let open_time = to_millis(row.i64(record, open_time_index, "open_time")?);
        let close_time = match self.index[Column::CloseTime as usize] {
            Some(i) => to_millis(row.i64(record, i, "close_time")?),
            None => interval.close_time(open_time),
        };
        let trades = match self.index[Column::Trades as usize] {
            Some(i) => row.u64(record, i, "trades")?,
            None => 0,
        };
        let candle = Candle {
            open_time,
            close_time,
            open: decimal(Column::Open)?,
            high: decimal(Column::High)?,
            low: decimal(Column::Low)?,
            close: decimal(Column::Close)?,
            volume: decimal(Column::Volume)?,
            quote_volume: decimal(Column::QuoteVolume)?,
            trades,
            taker_buy_volume: decimal(Column::TakerBuyVolume)?,
            taker_buy_quote_volume: decimal(Column::TakerBuyQuoteVolume)?,
            closed: true,
        };
        row.check(&candle, interval)?;
        Ok(candle)
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const ROW: Row<'static> = Row {
        path: "long.csv",
        line: 1,
    };

    fn record(line: &str) -> ByteRecord {
        ByteRecord::from(line.split(',').collect::<Vec<_>>())
    }

    #[test]
    fn names_round_trip() {
        for (name, column) in NAMES {
            assert_eq!(Column::from_header(name.as_bytes()), Some(column));
            assert_eq!(Column::from_header(column.name().as_bytes()), Some(column));
        }
        assert_eq!(
            NAMES.iter().filter(|(n, _)| !n.ends_with("_ms")).count(),
            COLUMN_COUNT
        );
    }

    #[test]
    fn minimal_header_in_any_order() {
        let header = record("Volume,CLOSE,low,high,open,open_time_ms,symbol,comment");
        assert!(is_header(&header));
        let layout = Layout::from_header(ROW, &header).unwrap();
        assert_eq!(layout.width(), 8);
        assert!(!layout.has_interval());
        let rec = record("10,1.5,1,2,1.2,60000,ethusdt,hi");
        assert_eq!(layout.symbol(&rec), b"ethusdt");
        assert_eq!(layout.interval(&rec), b"");
        let candle = layout.parse_row(ROW, &rec, Interval::M1).unwrap();
        let mut expected = Candle::ohlcv(60_000, 1.2, 2.0, 1.0, 1.5, 10.0);
        expected.close_time = 119_999;
        assert_eq!(candle, expected);
    }

    #[test]
    fn full_header_with_microseconds() {
        let header = record(
            "symbol,interval,open_time,close_time,open,high,low,close,volume,quote_volume,\
             trades,taker_buy_volume,taker_buy_quote_volume",
        );
        let layout = Layout::from_header(ROW, &header).unwrap();
        assert!(layout.has_interval());
        let rec = record("BTCUSDT,1h,3600000000000000,3600003599999000,1,2,0.5,1.5,10,15,3,5,7");
        assert_eq!(layout.interval(&rec), b"1h");
        let candle = layout.parse_row(ROW, &rec, Interval::H1).unwrap();
        assert_eq!(candle.open_time, 3_600_000_000_000);
        assert_eq!(candle.close_time, 3_600_003_599_999);
        assert_eq!(
            (candle.quote_volume, candle.trades, candle.taker_buy_volume),
            (15.0, 3, 5.0)
        );
        assert_eq!(candle.taker_buy_quote_volume, 7.0);
    }

    #[rstest]
    #[case(
        "symbol,open_time,open,high,low,close",
        "long.csv:1: header lacks the required column volume"
    )]
    #[case(
        "symbol,open,high,low,close,volume",
        "long.csv:1: header lacks the required column open_time"
    )]
    #[case(
        "symbol,open_time,open_time_ms,open,high,low,close,volume",
        "long.csv:1: column open_time appears twice in the header"
    )]
    fn rejects_headers(#[case] header: &str, #[case] message: &str) {
        let err = Layout::from_header(ROW, &record(header)).unwrap_err();
        assert_eq!(err.to_string(), message);
    }

    #[test]
    fn names_the_bad_column() {
        let layout = Layout::from_header(
            ROW,
            &record("symbol,open_time,open,high,low,close,volume,trades"),
        )
        .unwrap();
        let err = layout
            .parse_row(ROW, &record("BTCUSDT,0,1,2,1,1,1,many"), Interval::M1)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"long.csv:1: column trades: "many" is not a non-negative integer"#
        );
    }

    #[test]
    fn data_is_not_a_header() {
        assert!(!is_header(&record("BTCUSDT,0,1,2,1,1,1")));
    }
}
