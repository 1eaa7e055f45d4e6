//! What reading a candle file can reject.

use sift_core::{Interval, Symbol};

use crate::timestamp::display as time;

/// Why a candle file could not be read.
///
/// Every variant names the file (`path`: the path or name the caller gave); variants about one
/// row also carry its 1-based `line`. Each message is complete on its own (underlying IO,
/// CSV and zip errors are part of the text, not a separate `source`), so `{err:#}` does not
/// repeat them. Messages read `path:line: problem`, e.g.
/// `BTCUSDT-1m-2025-01.csv:17: high 1.2 is below low 1.5`. Times are shown in RFC 3339.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be opened or read.
    #[error("{path}: {error}")]
    Io { path: String, error: std::io::Error },
    /// Reading failed part-way (for example a corrupt zip entry) at `line`, the line the
    /// reader had reached (blank lines and line breaks inside quoted fields counted).
    #[error("{path}:{line}: {error}")]
    Read {
        path: String,
        line: u64,
        error: csv::Error,
    },
    /// The `.zip` file is not a readable zip archive.
    #[error("{path}: not a readable zip archive: {error}")]
    Zip {
        path: String,
        error: zip::result::ZipError,
    },
    /// The zip archive holds no `.csv` entry.
    #[error("{path}: zip archive holds no .csv file")]
    ZipWithoutCsv { path: String },
    /// The zip archive holds more than one `.csv` entry, so which to read is ambiguous.
    #[error("{path}: zip archive holds {count} .csv files, expected one")]
    ZipManyCsv { path: String, count: usize },
    /// The file holds no candle rows (nothing at all, or only a header).
    #[error("{path}: no candle rows")]
    Empty { path: String },
    /// A Binance kline file whose symbol is neither in its name nor given by the caller.
    #[error(
        "{path}: cannot tell the symbol: name the file like BTCUSDT-1m-2025-01.csv or pass one"
    )]
    MissingSymbol { path: String },
    /// A file without an `interval` column whose interval is neither in its name nor given.
    #[error(
        "{path}: cannot tell the interval: name the file like BTCUSDT-1m-2025-01.csv, \
         add an interval column or pass one"
    )]
    MissingInterval { path: String },
    /// The first row is neither data nor a header of a known format.
    #[error(
        "{path}:{line}: unrecognised header: expected a symbol column (long format) \
         or the 12 columns of a Binance kline file"
    )]
    UnknownHeader { path: String, line: u64 },
    /// The long-format header lacks a required column.
    #[error("{path}:{line}: header lacks the required column {column}")]
    MissingColumn {
        path: String,
        line: u64,
        column: &'static str,
    },
    /// The long-format header names a column the format does not know (often a misspelling,
    /// which would otherwise leave an optional column silently zero).
    #[error(
        "{path}:{line}: unknown column {column:?} in the header; accepted (any case): {}",
        crate::long::accepted_names()
    )]
    UnknownColumn {
        path: String,
        line: u64,
        /// The header name, shortened when long.
        column: String,
    },
    /// The long-format header names one column twice (synonyms count as the same column).
    #[error("{path}:{line}: column {column} appears twice in the header")]
    DuplicateColumn {
        path: String,
        line: u64,
        column: &'static str,
    },
    /// A row has a different number of fields than the format (or the header) has columns.
    #[error("{path}:{line}: expected {expected} columns, found {found}")]
    ColumnCount {
        path: String,
        line: u64,
        expected: usize,
        found: usize,
    },
    /// A field is not a number of the column's kind: a finite decimal, an integer for trade
    /// counts, and for times an integer of magnitude below 1e17 (milliseconds, or microseconds
    /// above 1e14; anything larger would be nanoseconds or junk).
    #[error("{path}:{line}: column {column}: {value:?} is not {expected}")]
    Number {
        path: String,
        line: u64,
        column: &'static str,
        /// The field's text, shortened when long.
        value: String,
        /// What the column holds, e.g. "an integer".
        expected: &'static str,
    },
    /// The symbol field is not a valid symbol.
    #[error("{path}:{line}: {error}")]
    Symbol {
        path: String,
        line: u64,
        error: sift_core::Error,
    },
    /// The interval field is not a Binance interval.
    #[error("{path}:{line}: {error}")]
    Interval {
        path: String,
        line: u64,
        error: sift_core::Error,
    },
    /// The high is below the low.
    #[error("{path}:{line}: high {high} is below low {low}")]
    HighBelowLow {
        path: String,
        line: u64,
        high: f64,
        low: f64,
    },
    /// The close time is before the open time or after the end of the `interval` candle that
    /// opens at the row's open time (usually a wrong interval).
    #[error(
        "{path}:{line}: close time {} is outside the {interval} candle opening at {}",
        time(*.close_time),
        time(*.open_time)
    )]
    CloseTime {
        path: String,
        line: u64,
        open_time: i64,
        close_time: i64,
        interval: Interval,
    },
    /// A row opens later than the previous one of its series but less than one interval
    /// after it, so inside the previous candle (usually a wrong interval). For `1M`: in the
    /// same calendar month.
    #[error(
        "{path}:{line}: {symbol} open time {} is inside the {interval} candle of line \
         {previous_line} ({}): is the interval right?",
        time(*.open_time),
        time(*.previous)
    )]
    SameCandle {
        path: String,
        line: u64,
        symbol: Symbol,
        interval: Interval,
        open_time: i64,
        previous: i64,
        previous_line: u64,
    },
    /// A candle opens before the previous candle of the same symbol and interval.
    #[error(
        "{path}:{line}: {symbol} {interval} open time {} goes back before {} \
         (line {previous_line})",
        time(*.open_time),
        time(*.previous)
    )]
    Backwards {
        path: String,
        line: u64,
        symbol: Symbol,
        interval: Interval,
        open_time: i64,
        previous: i64,
        previous_line: u64,
    },
    /// Two candles of the same symbol and interval share an open time.
    #[error(
        "{path}:{line}: {symbol} {interval} open time {} repeats line {previous_line}",
        time(*.open_time)
    )]
    Duplicate {
        path: String,
        line: u64,
        symbol: Symbol,
        interval: Interval,
        open_time: i64,
        previous_line: u64,
    },
}

impl Error {
    /// The path or name of the file, as the caller gave it.
    pub fn path(&self) -> &str {
        match self {
            Self::Io { path, .. }
            | Self::Read { path, .. }
            | Self::Zip { path, .. }
            | Self::ZipWithoutCsv { path }
            | Self::ZipManyCsv { path, .. }
            | Self::Empty { path }
            | Self::MissingSymbol { path }
            | Self::MissingInterval { path }
            | Self::UnknownHeader { path, .. }
            | Self::MissingColumn { path, .. }
            | Self::UnknownColumn { path, .. }
            | Self::DuplicateColumn { path, .. }
            | Self::ColumnCount { path, .. }
            | Self::Number { path, .. }
            | Self::Symbol { path, .. }
            | Self::Interval { path, .. }
            | Self::HighBelowLow { path, .. }
            | Self::CloseTime { path, .. }
            | Self::Backwards { path, .. }
            | Self::SameCandle { path, .. }
            | Self::Duplicate { path, .. } => path,
        }
    }

    /// The 1-based line of the offending row, or `None` for errors about the whole file.
    pub fn line(&self) -> Option<u64> {
        match self {
            Self::Io { .. }
            | Self::Zip { .. }
            | Self::ZipWithoutCsv { .. }
            | Self::ZipManyCsv { .. }
            | Self::Empty { .. }
            | Self::MissingSymbol { .. }
            | Self::MissingInterval { .. } => None,
            Self::Read { line, .. }
            | Self::UnknownHeader { line, .. }
            | Self::MissingColumn { line, .. }
            | Self::UnknownColumn { line, .. }
            | Self::DuplicateColumn { line, .. }
            | Self::ColumnCount { line, .. }
            | Self::Number { line, .. }
            | Self::Symbol { line, .. }
            | Self::Interval { line, .. }
            | Self::HighBelowLow { line, .. }
            | Self::CloseTime { line, .. }
            | Self::Backwards { line, .. }
            | Self::SameCandle { line, .. }
            | Self::Duplicate { line, .. } => Some(*line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_errors_lead_with_path_and_line() {
        let err = Error::HighBelowLow {
            path: "BTCUSDT-1m-2025-01.csv".into(),
            line: 17,
            high: 1.2,
            low: 1.5,
        };
        assert_eq!(
            err.to_string(),
            "BTCUSDT-1m-2025-01.csv:17: high 1.2 is below low 1.5"
        );
        assert_eq!(err.path(), "BTCUSDT-1m-2025-01.csv");
        assert_eq!(err.line(), Some(17));
    }

    #[test]
    fn times_are_shown_in_rfc3339() {
        let err = Error::Duplicate {
            path: "f.csv".into(),
            line: 3,
            symbol: "BTCUSDT".parse().unwrap(),
            interval: Interval::M1,
            open_time: 1_735_689_600_000,
            previous_line: 2,
        };
        assert_eq!(
            err.to_string(),
            "f.csv:3: BTCUSDT 1m open time 2025-01-01T00:00:00Z repeats line 2"
        );
    }

    #[test]
    fn file_errors_have_no_line() {
        let err = Error::Empty {
            path: "f.csv".into(),
        };
        assert_eq!(err.to_string(), "f.csv: no candle rows");
        assert_eq!(err.line(), None);
    }
}
