//! Reading candle files into per-(symbol, interval) series.
//!
//! Two CSV formats are read, plain or as the single `.csv` inside a `.zip`:
//! - **Binance kline files** as published on data.binance.vision: 12 positional columns
//!   (`open_time open high low close volume close_time quote_volume trades taker_buy_volume
//!   taker_buy_quote_volume ignore`), normally without a header (one is accepted and skipped).
//!   The symbol and interval come from the file name (`BTCUSDT-1m-2025-01.csv`,
//!   `BTCUSDT-1m-2025-01-15.zip`) or from [`Overrides`].
//! - **Long format**: a header naming the columns, one candle per row, many symbols per file.
//!   Header names are matched ignoring case, in any order.
//!   Required: `symbol`, `open_time` (or `open_time_ms`), `open high low close volume` (or
//!   `base_volume` for `volume`).
//!   Optional: `interval` (lets one file hold several intervals; without it the file name or
//!   [`Overrides`] give the interval), `close_time` (or `close_time_ms`; default: one interval
//!   after the open time, minus 1 ms), `quote_volume` (or `quote_asset_volume`), `trades` (or
//!   `count`, `number_of_trades`), `taker_buy_volume` (or `taker_buy_base_asset_volume`,
//!   `taker_buy_base_volume`), `taker_buy_quote_volume` (or `taker_buy_quote_asset_volume`),
//!   all defaulting to zero. Columns named `ignore` are skipped; any other name is an error, so
//!   that a misspelt optional column is not silently read as zeros.
//!
//! The first row decides: a row with any field that parses as a number (integer or decimal) is
//! Binance data, so a malformed first row is reported, not skipped; otherwise (no field is a
//! number) it is a header: of the long format if it has a `symbol` column, else of a Binance
//! file if it has 12 columns (Binance's own names or any others).
//!
//! Timestamps may be milliseconds or microseconds (Binance's files since 2025); values above
//! 1e14 are taken as microseconds and converted, and values of magnitude 1e17 or more
//! (nanoseconds, junk) are errors. Every candle read is closed.
//!
//! Open times need not sit on the interval's boundaries: Binance's own 2018 history has hourly
//! candles opening at HH:28. So a candle's close time is checked against its own open time: it
//! must lie in `open_time ..= open_time + interval - 1 ms` (for `1M`: up to the end of the
//! calendar month of the open time); earlier close times (candles cut short) are accepted. Each
//! row of a series must open at least one interval after the previous (for `1M`: in a later
//! month), except that a row opening exactly on an interval boundary may follow a shifted candle
//! sooner, which is how Binance's series return to the boundaries.
//!
//! Rows are streamed (one reused record, no per-row allocation), checked, and grouped in file
//! order. Gaps in time are reported in [`CandleFile::gaps`], not treated as errors; for fixed
//! intervals the missing candles are counted from the time between the two rows. Anything
//! else wrong is an [`Error`] naming the file and the 1-based line, never a panic: a wrong
//! number of columns, a field that is not a number, a timestamp out of range, an unknown
//! symbol, interval or long-format column, high below low, a close time outside the candle, a
//! time going backwards, repeated, or less than one interval after the previous within a
//! series, a missing header column, an empty file, a zip without a csv, or a symbol or interval
//! that cannot be determined.
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
mod parallel;
pub mod reader;
pub mod series;
mod timestamp;

pub use error::Error;
pub use reader::{Overrides, read_path, read_reader, read_zip};
pub use series::{CandleFile, CandleSeries, Gap};
