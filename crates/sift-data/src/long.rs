//! The long format: a header, then one row per candle, many symbols (and intervals) per file.
//!
//! ```text
//! symbol,open_time,open,high,low,close,volume
//! BTCUSDT,1735689600000,93576.0,93610.93,93537.5,93610.93,8.21827
//! ETHUSDT,1735689600000,3337.78,3339.16,3334.0,3334.5,310.5
//! ```
//! The header decides which column is which; names are matched ignoring case, in any order.
//! Required: `symbol open_time open high low close volume`. Optional: `interval` (else the
//! file's interval applies to every row), `close_time` (else the latest close of the candle, see
//! [`latest_close_time`]), `quote_volume trades taker_buy_volume taker_buy_quote_volume` (else
//! zero). Binance's and other common synonyms are accepted (see [`NAMES`]), and `ignore` columns
//! are skipped; any other name is an error, so a misspelt optional column is not silently read
//! as zeros. Times may be milliseconds or microseconds, told apart by magnitude.

use csv::ByteRecord;
use sift_core::{Candle, Interval};

use crate::Error;
use crate::field::{Row, field, latest_close_time, quote};

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

/// Accepted header names, lower case, grouped by column; the first name of each column is its
/// canonical name, used in messages. The synonyms are Binance's documented names
/// (`count`, `taker_buy_base_asset_volume`, ...) and common spellings of other exports.
const NAMES: [(&str, Column); 22] = [
    ("symbol", Column::Symbol),
    ("interval", Column::Interval),
    ("open_time", Column::OpenTime),
    ("open_time_ms", Column::OpenTime),
    ("close_time", Column::CloseTime),
    ("close_time_ms", Column::CloseTime),
    ("open", Column::Open),
    ("high", Column::High),
    ("low", Column::Low),
    ("close", Column::Close),
    ("volume", Column::Volume),
    ("base_volume", Column::Volume),
    ("quote_volume", Column::QuoteVolume),
    ("quote_asset_volume", Column::QuoteVolume),
    ("trades", Column::Trades),
    ("count", Column::Trades),
    ("number_of_trades", Column::Trades),
    ("taker_buy_volume", Column::TakerBuyVolume),
    ("taker_buy_base_asset_volume", Column::TakerBuyVolume),
    ("taker_buy_base_volume", Column::TakerBuyVolume),
    ("taker_buy_quote_volume", Column::TakerBuyQuoteVolume),
    ("taker_buy_quote_asset_volume", Column::TakerBuyQuoteVolume),
];

/// A header name whose column is skipped, as in Binance's kline files.
const IGNORED: &str = "ignore";

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

/// The accepted header names for messages, synonyms joined by `|`:
/// `symbol, interval, open_time|open_time_ms, ..., ignore`.
pub(crate) fn accepted_names() -> String {
    let mut text = String::new();
    let mut previous = None;
    for (name, column) in NAMES {
        if previous.is_some() {
            text.push_str(if previous == Some(column) { "|" } else { ", " });
        }
        text.push_str(name);
        previous = Some(column);
    }
    text.push_str(", ");
    text.push_str(IGNORED);
    text
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
    /// Maps the header `record`; fails on an unknown name, a missing required column or a
    /// column named twice (synonyms count as the same column).
    pub(crate) fn from_header(row: Row<'_>, record: &ByteRecord) -> Result<Self, Error> {
        let mut index = [None; COLUMN_COUNT];
        for (position, name) in record.iter().enumerate() {
            if IGNORED.as_bytes().eq_ignore_ascii_case(name) {
                continue;
            }
            let Some(column) = Column::from_header(name) else {
                return Err(Error::UnknownColumn {
                    path: row.path(),
                    line: row.line,
                    column: quote(name),
                });
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
        let open_time = row.timestamp(record, open_time_index, "open_time")?;
        let close_time = match self.index[Column::CloseTime as usize] {
            Some(i) => row.timestamp(record, i, "close_time")?,
            None => latest_close_time(interval, open_time),
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
            assert_eq!(name, name.to_ascii_lowercase());
            assert_eq!(Column::from_header(name.as_bytes()), Some(column));
            assert_eq!(Column::from_header(column.name().as_bytes()), Some(column));
        }
        let mut canonical: Vec<&str> = NAMES.iter().map(|&(_, c)| c.name()).collect();
        canonical.dedup();
        assert_eq!(canonical.len(), COLUMN_COUNT, "synonyms must sit together");
    }

    #[test]
    fn lists_accepted_names() {
        assert_eq!(
            accepted_names(),
            "symbol, interval, open_time|open_time_ms, close_time|close_time_ms, open, high, \
             low, close, volume|base_volume, quote_volume|quote_asset_volume, \
             trades|count|number_of_trades, \
             taker_buy_volume|taker_buy_base_asset_volume|taker_buy_base_volume, \
             taker_buy_quote_volume|taker_buy_quote_asset_volume, ignore"
        );
    }

    #[test]
    fn minimal_header_in_any_order() {
        let header = record("Volume,CLOSE,low,high,open,open_time_ms,symbol,Ignore");
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
    fn binance_synonyms() {
        let header = record(
            "SYMBOL,open_time,open,high,low,close,base_volume,close_time_ms,quote_asset_volume,\
             number_of_trades,taker_buy_base_asset_volume,taker_buy_quote_asset_volume,ignore,\
             ignore",
        );
        let layout = Layout::from_header(ROW, &header).unwrap();
        let rec = record("BTCUSDT,0,1,2,0.5,1.5,10,59999,15,3,5,7,0,0");
        let candle = layout.parse_row(ROW, &rec, Interval::M1).unwrap();
        assert_eq!(
            (candle.volume, candle.close_time, candle.quote_volume),
            (10.0, 59_999, 15.0)
        );
        assert_eq!(
            (
                candle.trades,
                candle.taker_buy_volume,
                candle.taker_buy_quote_volume
            ),
            (3, 5.0, 7.0)
        );
        let count =
            record("symbol,open_time,open,high,low,close,volume,Count,taker_buy_base_volume");
        let layout = Layout::from_header(ROW, &count).unwrap();
        let candle = layout
            .parse_row(ROW, &record("BTCUSDT,0,1,2,0.5,1.5,10,4,6"), Interval::M1)
            .unwrap();
        assert_eq!((candle.trades, candle.taker_buy_volume), (4, 6.0));
    }

    #[test]
    fn shifted_open_without_close_time_closes_one_interval_later() {
        let layout =
            Layout::from_header(ROW, &record("symbol,open_time,open,high,low,close,volume"))
                .unwrap();
        // 2018-02-09T09:28:14.789Z, as in Binance's BTCUSDT-1h-2018-02.
        let rec = record("BTCUSDT,1518168494789,1,2,1,1,1");
        let candle = layout.parse_row(ROW, &rec, Interval::H1).unwrap();
        assert_eq!(candle.close_time, 1_518_168_494_789 + 3_600_000 - 1);
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
    #[case(
        "symbol,open_time,open,high,low,close,volume,trades,COUNT",
        "long.csv:1: column trades appears twice in the header"
    )]
    #[case(
        "symbol,open_time,open,high,low,close,volume,quote_vol",
        "long.csv:1: unknown column \"quote_vol\" in the header; accepted (any case): symbol, \
         interval, open_time|open_time_ms, close_time|close_time_ms, open, high, low, close, \
         volume|base_volume, quote_volume|quote_asset_volume, trades|count|number_of_trades, \
         taker_buy_volume|taker_buy_base_asset_volume|taker_buy_base_volume, \
         taker_buy_quote_volume|taker_buy_quote_asset_volume, ignore"
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

    #[rstest]
    #[case::misspelt("symbol,open_time,open,high,low,close,volume,quote_vol", "quote_vol")]
    #[case::comment("comment,symbol,open_time,open,high,low,close,volume", "comment")]
    #[case::empty("symbol,open_time,open,high,low,close,volume,", "")]
    fn unknown_columns_are_errors(#[case] header: &str, #[case] column: &str) {
        let err = Layout::from_header(ROW, &record(header)).unwrap_err();
        let prefix = format!("long.csv:1: unknown column {column:?} in the header; accepted");
        assert!(err.to_string().starts_with(&prefix), "{err}");
        assert_eq!(err.line(), Some(1));
    }

    #[test]
    fn rejects_nanosecond_times() {
        let layout = Layout::from_header(
            ROW,
            &record("symbol,open_time,close_time,open,high,low,close,volume"),
        )
        .unwrap();
        let rec = record("BTCUSDT,1735689600000,1735689659999999999,1,2,1,1,1");
        let err = layout.parse_row(ROW, &rec, Interval::M1).unwrap_err();
        assert_eq!(
            err.to_string(),
            "long.csv:1: column close_time: \"1735689659999999999\" is not a millisecond or \
             microsecond timestamp"
        );
    }

    #[test]
    fn data_is_not_a_header() {
        assert!(!is_header(&record("BTCUSDT,0,1,2,1,1,1")));
    }
}
