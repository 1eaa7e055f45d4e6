//! Reading candle files into per-(symbol, interval) series.
//!
//! Two CSV formats are read, plain or as the single `.csv` inside a `.zip`:
//! - **Binance kline files** as published on data.binance.vision: 12 positional columns
//!   (`open_time open high low close volume close_time quote_volume trades taker_buy_volume
//!   taker_buy_quote_volume ignore`), normally without a header (one is accepted and skipped).
//!   The symbol and interval come from the file name (`BTCUSDT-1m-2025-01.csv`,
//!   `BTCUSDT-1m-2025-01-15.zip`) or from [`Overrides`].
//! - **Long format**: a header naming the columns, one candle per row, many symbols per file.
//!   Header names are matched ignoring case, in any order; unknown columns are ignored.
//!   Required: `symbol`, `open_time` (or `open_time_ms`), `open high low close volume`.
//!   Optional: `interval` (lets one file hold several intervals; without it the file name or
//!   [`Overrides`] give the interval), `close_time` (or `close_time_ms`; default: the interval's
//!   close time), `quote_volume trades taker_buy_volume taker_buy_quote_volume` (default zero).
//!
//! The first row decides: an integer first field is Binance data; a header with a `symbol`
//! column is the long format; any other 12-column header is a Binance header.
//!
//! Timestamps may be milliseconds or microseconds (Binance's files since 2025); values above
//! 1e14 are taken as microseconds and converted. Every candle read is closed.
//!
//! Rows are streamed (one reused record, no per-row allocation), checked, and grouped in file
//! order. Gaps in time are reported in [`CandleFile::gaps`], not treated as errors. Anything
//! else wrong is an [`Error`] naming the file and the 1-based line, never a panic: a wrong
//! number of columns, a field that is not a number, an unknown symbol or interval, high below
//! low, an open time that does not start a candle of the interval, a close time outside the
//! candle, a time going backwards or repeated within a series, a missing header column, an empty
//! file, a zip without a csv, or a symbol or interval that cannot be determined.
//! Open or close outside [low, high], negative values and zero volumes are accepted as given.
//!
//! ```
//! use sift_data::{Overrides, read_reader};
//!
//! let csv = "symbol,open_time,open,high,low,close,volume\n\
//!            BTCUSDT,1735689600000,93576.0,93610.93,93537.5,93610.93,8.2\n\
//!            BTCUSDT,1735689720000,93610.93,93700.0,93600.0,93650.0,3.1\n";
//! let file = read_reader("universe-1m.csv", csv.as_bytes(), &Overrides::default())?;
//! assert_eq!(file.series[0].symbol.as_str(), "BTCUSDT");
//! assert_eq!(file.series[0].candles.len(), 2);
//! assert_eq!(file.gaps[0].missing, 1);
//! # Ok::<(), sift_data::Error>(())
//! ```
//!
//! # Layout
//! - [`reader`]: [`read_path`], [`read_reader`], [`read_zip`] and [`Overrides`]: opening files
//!   and archives, detecting the format, streaming rows.
//! - `binance`: the 12-column rows of Binance's kline files.
//! - `long`: the long format's header and rows.
//! - [`series`]: [`CandleFile`], [`CandleSeries`] and [`Gap`]; grouping rows, ordering checks and
//!   gap detection.
//! - `field`: parsing one field and the per-candle checks, with errors naming file, line, column.
//! - `name`: symbol and interval from a file name.
//! - `timestamp`: milliseconds versus microseconds.
//! - [`error`]: [`Error`], what reading can reject, naming the file and line.

mod binance;
pub mod error;
mod field;
mod long;
mod name;
pub mod reader;
pub mod series;
mod timestamp;

pub use error::Error;
pub use reader::{Overrides, read_path, read_reader, read_zip};
pub use series::{CandleFile, CandleSeries, Gap};
