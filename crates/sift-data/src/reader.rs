//! Opening files and zip archives, detecting the format and streaming rows into series.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use csv::{ByteRecord, ReaderBuilder};
use sift_core::{Interval, Symbol};
use zip::ZipArchive;

use crate::field::Row;
use crate::long::Layout;
use crate::name::NameHints;
use crate::series::{CandleFile, Grouper};
use crate::{Error, binance, long};

/// What the caller knows better than the file name.
///
/// For Binance kline files, each given part replaces what the file name says. Long-format
/// files take their symbols from their rows (so `symbol` is not used) and, when they have an
/// `interval` column, their intervals too; otherwise `interval` replaces the file name's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub symbol: Option<Symbol>,
    pub interval: Option<Interval>,
}

/// Reads the candle file at `path`: a `.zip` archive holding one `.csv`, or a CSV file under
/// any other name. See the crate documentation for the formats.
pub fn read_path(path: impl AsRef<Path>, overrides: &Overrides) -> Result<CandleFile, Error> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = File::open(path).map_err(|error| Error::Io {
        path: name.clone(),
        error,
    })?;
    if has_extension(&name, "zip") {
        read_zip(&name, BufReader::new(file), overrides)
    } else {
        crate::parallel::read_file(&name, path, file, NameHints::from_name(&name), overrides)
    }
}

/// Reads CSV text from `reader`. `name` stands for the file in errors and supplies the symbol
/// and interval the way a file name would (`BTCUSDT-1m-2025-01.csv`).
pub fn read_reader(
    name: &str,
    reader: impl Read,
    overrides: &Overrides,
) -> Result<CandleFile, Error> {
    read_csv(name, NameHints::from_name(name), reader, overrides)
}

/// Reads the single `.csv` entry of the zip archive in `reader`. `name` stands for the archive
/// in errors; the symbol and interval come from it, else from the entry's name.
pub fn read_zip(
    name: &str,
    reader: impl Read + Seek,
    overrides: &Overrides,
) -> Result<CandleFile, Error> {
    let zip_error = |error| Error::Zip {
        path: name.to_owned(),
        error,
    };
    let mut archive = ZipArchive::new(reader).map_err(zip_error)?;
    let csv_entries: Vec<usize> = (0..archive.len())
        .filter(|&i| {
            archive
                .name_for_index(i)
                .is_some_and(|entry| has_extension(entry, "csv"))
        })
        .collect();
    let index = match csv_entries[..] {
        [index] => index,
        [] => {
            return Err(Error::ZipWithoutCsv {
                path: name.to_owned(),
            });
        }
        _ => {
            return Err(Error::ZipManyCsv {
                path: name.to_owned(),
                count: csv_entries.len(),
            });
        }
    };
    let entry_name = archive.name_for_index(index).unwrap_or_default();
    let hints = NameHints::from_name(name).or(NameHints::from_name(entry_name));
    let entry = archive.by_index(index).map_err(zip_error)?;
    read_csv(name, hints, entry, overrides)
}

fn has_extension(name: &str, extension: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case(extension))
}

/// Detects the format from the first row and reads the rest accordingly.
pub(crate) fn read_csv(
    path: &str,
    hints: NameHints,
    reader: impl Read,
    overrides: &Overrides,
) -> Result<CandleFile, Error> {
    let mut rows = Rows::new(path, reader);
    let format = Format::detect(&mut rows, hints, overrides)?;
    let grouper = format.read(&mut rows, format.at_data())?;
    if grouper.is_empty() {
        return Err(Error::Empty {
            path: path.to_owned(),
        });
    }
    Ok(grouper.finish())
}

/// How a file's rows are read, as its first row tells.
#[derive(Debug, Clone)]
pub(crate) enum Format {
    /// Binance's 12-column rows, all of one symbol and interval; `header` when the first row
    /// is a header.
    Binance {
        symbol: Symbol,
        interval: Interval,
        header: bool,
    },
    /// Long-format rows after a header; `interval` when the file has no interval column.
    Long {
        layout: Layout,
        interval: Option<Interval>,
    },
}

impl Format {
    /// Reads the first row of `rows`, which stays the current row, and decides.
    pub(crate) fn detect<R: Read>(
        rows: &mut Rows<'_, R>,
        hints: NameHints,
        overrides: &Overrides,
    ) -> Result<Self, Error> {
        let path = rows.path;
        let hints = NameHints {
            symbol: overrides.symbol.clone(),
            interval: overrides.interval,
        }
        .or(hints);
        if !rows.advance()? {
            return Err(Error::Empty {
                path: path.to_owned(),
            });
        }
        // A row with any number in it is data, never a header, so that a malformed first row
        // is reported rather than skipped.
        let first = rows.record();
        let binance = |header: bool| {
            Ok(Format::Binance {
                symbol: hints.symbol.clone().ok_or_else(|| Error::MissingSymbol {
                    path: path.to_owned(),
                })?,
                interval: hints.interval.ok_or_else(|| Error::MissingInterval {
                    path: path.to_owned(),
                })?,
                header,
            })
        };
        if !binance::is_header(first) {
            binance(false)
        } else if long::is_header(first) {
            let layout = Layout::from_header(rows.row(), first)?;
            let interval = match (layout.has_interval(), hints.interval) {
                (true, _) => None,
                (false, Some(interval)) => Some(interval),
                (false, None) => {
                    return Err(Error::MissingInterval {
                        path: path.to_owned(),
                    });
                }
            };
            Ok(Format::Long { layout, interval })
        } else if first.len() == binance::COLUMNS.len() {
            binance(true)
        } else {
            Err(Error::UnknownHeader {
                path: path.to_owned(),
                line: rows.row().line,
            })
        }
    }

    /// Whether the row [`detect`](Self::detect) read is data.
    pub(crate) fn at_data(&self) -> bool {
        matches!(self, Format::Binance { header: false, .. })
    }

    /// Reads the rows of `rows` into series: the current row too when `at_data`, then every
    /// row after it.
    pub(crate) fn read<R: Read>(
        &self,
        rows: &mut Rows<'_, R>,
        at_data: bool,
    ) -> Result<Grouper, Error> {
        let mut grouper = Grouper::default();
        let mut more = at_data || rows.advance()?;
        match self {
            Format::Binance {
                symbol, interval, ..
            } => {
                let slot = grouper.slot(symbol.clone(), *interval);
                while more {
                    let row = rows.row();
                    let candle = binance::parse_row(row, rows.record(), *interval)?;
                    grouper.push(slot, candle, row)?;
                    more = rows.advance()?;
                }
            }
            Format::Long { layout, interval } => {
                // Raw "symbol\0interval" field bytes -> slot and interval, so that each row
                // costs one lookup and no allocation; symbols and intervals are parsed once
                // per series.
                let mut slots: HashMap<Vec<u8>, (usize, Interval)> = HashMap::new();
                let mut key = Vec::new();
                while more {
                    let (row, record) = (rows.row(), rows.record());
                    row.expect_width(record, layout.width())?;
                    key.clear();
                    key.extend_from_slice(layout.symbol(record));
                    key.push(0);
                    key.extend_from_slice(layout.interval(record));
                    let (slot, interval) = match slots.get(key.as_slice()) {
                        Some(&known) => known,
                        None => {
                            let symbol = parse_symbol(row, layout.symbol(record))?;
                            let interval = match interval {
                                Some(interval) => *interval,
                                None => parse_interval(row, layout.interval(record))?,
                            };
                            let known = (grouper.slot(symbol, interval), interval);
                            slots.insert(key.clone(), known);
                            known
                        }
                    };
                    let candle = layout.parse_row(row, record, interval)?;
                    grouper.push(slot, candle, row)?;
                    more = rows.advance()?;
                }
            }
        }
        Ok(grouper)
    }
}

fn parse_symbol(row: Row<'_>, raw: &[u8]) -> Result<Symbol, Error> {
    String::from_utf8_lossy(raw)
        .parse()
        .map_err(|error| Error::Symbol {
            path: row.path(),
            line: row.line,
            error,
        })
}

fn parse_interval(row: Row<'_>, raw: &[u8]) -> Result<Interval, Error> {
    String::from_utf8_lossy(raw)
        .parse()
        .map_err(|error| Error::Interval {
            path: row.path(),
            line: row.line,
            error,
        })
}

/// A CSV stream read one reused [`ByteRecord`] at a time. Fields are trimmed (see
/// [`read_trimmed`]); blank lines are skipped; rows may differ in width (the formats check
/// widths to name the line).
pub(crate) struct Rows<'a, R> {
    path: &'a str,
    reader: csv::Reader<R>,
    record: ByteRecord,
    started: bool,
}

impl<'a, R: Read> Rows<'a, R> {
    pub(crate) fn new(path: &'a str, reader: R) -> Self {
        let reader = ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        Self {
            path,
            reader,
            record: ByteRecord::new(),
            started: false,
        }
    }

    /// Moves to the next row; `false` at the end.
    ///
    /// A failure names the line from the CSV error when it has one, else the line the reader
    /// had reached when its input failed (an IO error, e.g. a corrupt zip entry).
    pub(crate) fn advance(&mut self) -> Result<bool, Error> {
        let more = match read_trimmed(&mut self.reader, &mut self.record) {
            Ok(more) => more,
            Err(error) => {
                let line = error
                    .position()
                    .unwrap_or_else(|| self.reader.position())
                    .line();
                return Err(Error::Read {
                    path: self.path.to_owned(),
                    line,
                    error,
                });
            }
        };
        if more && !self.started {
            strip_bom(&mut self.record);
        }
        self.started = true;
        Ok(more)
    }

    /// The reader the rows came from.
    pub(crate) fn into_inner(self) -> R {
        self.reader.into_inner()
    }

    fn record(&self) -> &ByteRecord {
        &self.record
    }

    fn row(&self) -> Row<'a> {
        Row::of(self.path, &self.record)
    }
}

/// Reads the next row of `reader` into `record`, its fields trimmed of ASCII whitespace;
/// `false` at the end.
///
/// What the csv crate's `Trim::All` does, but that copies every record into a new allocation,
/// whereas rows rarely have anything to trim: only those are trimmed (by the same method).
fn read_trimmed<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut ByteRecord,
) -> csv::Result<bool> {
    let more = reader.read_byte_record(record)?;
    let padded = |field: &[u8]| {
        field.first().is_some_and(u8::is_ascii_whitespace)
            || field.last().is_some_and(u8::is_ascii_whitespace)
    };
    if record.iter().any(padded) {
        record.trim();
    }
    Ok(more)
}

/// Removes a UTF-8 byte order mark from the first field, which spreadsheet exports add.
fn strip_bom(record: &mut ByteRecord) {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let Some(rest) = record.get(0).and_then(|first| first.strip_prefix(BOM)) else {
        return;
    };
    let mut stripped = ByteRecord::with_capacity(record.as_slice().len(), record.len());
    stripped.push_field(rest.trim_ascii());
    for field in record.iter().skip(1) {
        stripped.push_field(field);
    }
    stripped.set_position(record.position().cloned());
    *record = stripped;
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use rstest::rstest;
    use zip::write::SimpleFileOptions;

    use super::*;

    const NAME: &str = "BTCUSDT-1m-2025-01.csv";
    const ROW_0: &str = "1735689600000,1,2,0.5,1.5,10,1735689659999,15,3,5,7,0";
    const ROW_1: &str = "1735689660000,1.5,2,1,1.8,11,1735689719999,16,4,5,7,0";

    fn read(name: &str, text: &str) -> Result<CandleFile, Error> {
        read_reader(name, text.as_bytes(), &Overrides::default())
    }

    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in entries {
            writer
                .start_file(*name, SimpleFileOptions::default())
                .unwrap();
            writer.write_all(text.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[rstest]
    #[case::plain(format!("{ROW_0}\n{ROW_1}\n"))]
    #[case::header(format!("{}\n{ROW_0}\n{ROW_1}", binance::COLUMNS.join(",")))]
    #[case::bom_and_crlf(format!("\u{feff}{ROW_0}\r\n{ROW_1}\r\n"))]
    #[case::blank_lines_and_spaces(format!("\n{ROW_0}\n\n {}\n", ROW_1.replace(',', " , ")))]
    #[case::other_text_header(format!("Open time,Open,High,Low,Close,Volume,Close time,\
        Quote asset volume,Number of trades,Taker buy base,Taker buy quote,Ignore\n{ROW_0}\n{ROW_1}"))]
    fn reads_binance_rows(#[case] text: String) {
        let file = read(NAME, &text).unwrap();
        assert_eq!(file.series.len(), 1);
        let series = &file.series[0];
        assert_eq!(
            (series.symbol.as_str(), series.interval),
            ("BTCUSDT", Interval::M1)
        );
        let opens: Vec<i64> = series.candles.iter().map(|c| c.open_time).collect();
        assert_eq!(opens, [1_735_689_600_000, 1_735_689_660_000]);
        assert!(series.candles.iter().all(|c| c.closed));
        assert!(file.gaps.is_empty());
    }

    #[test]
    fn overrides_beat_the_name() {
        let text = "1735689600000,1,2,0.5,1.5,10,1735693199999,15,3,5,7,0\n";
        let overrides = Overrides {
            symbol: Some("ethbtc".parse().unwrap()),
            interval: Some(Interval::H1),
        };
        let file = read_reader(NAME, text.as_bytes(), &overrides).unwrap();
        assert_eq!(file.series[0].symbol.as_str(), "ETHBTC");
        assert_eq!(file.series[0].interval, Interval::H1);
        let named = read_reader("klines.csv", text.as_bytes(), &overrides).unwrap();
        assert_eq!(named, file);
    }

    #[test]
    fn reads_long_rows_grouped_with_gaps() {
        let text = "symbol,interval,open_time,open,high,low,close,volume\n\
                    BTCUSDT,1m,60000,1,2,1,1,1\n\
                    ethusdt,1m,60000,1,2,1,1,1\n\
                    BTCUSDT,1h,0,1,2,1,1,1\n\
                    BTCUSDT,1m,240000,1,2,1,1,1\n\
                    ETHUSDT,1m,120000,1,2,1,1,1\n";
        let file = read("long.csv", text).unwrap();
        let keys: Vec<String> = file
            .series
            .iter()
            .map(|s| format!("{} {} {}", s.symbol, s.interval, s.candles.len()))
            .collect();
        assert_eq!(keys, ["BTCUSDT 1m 2", "ETHUSDT 1m 2", "BTCUSDT 1h 1"]);
        assert_eq!(file.series[2].candles[0].close_time, 3_599_999);
        assert_eq!(file.gaps.len(), 1);
        assert_eq!(
            (file.gaps[0].from, file.gaps[0].to, file.gaps[0].missing),
            (120_000, 180_000, 2)
        );
        assert_eq!(file.gaps[0].line, 5);
    }

    #[test]
    fn long_interval_from_name_or_override() {
        let text = "symbol,open_time,open,high,low,close,volume\nBTCUSDT,3600000,1,2,1,1,1\n";
        let file = read("universe-1h.csv", text).unwrap();
        assert_eq!(file.series[0].interval, Interval::H1);
        let overrides = Overrides {
            symbol: None,
            interval: Some(Interval::D1),
        };
        let file = read_reader("universe-1h.csv", text.as_bytes(), &overrides).unwrap();
        assert_eq!(file.series[0].interval, Interval::D1);
        let err = read("universe.csv", text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "universe.csv: cannot tell the interval: name the file like BTCUSDT-1m-2025-01.csv, \
             add an interval column or pass one"
        );
    }

    #[rstest]
    #[case::empty(NAME, "", "BTCUSDT-1m-2025-01.csv: no candle rows")]
    #[case::blank(NAME, "\n\n", "BTCUSDT-1m-2025-01.csv: no candle rows")]
    #[case::header_only(
        NAME,
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,\
         taker_buy_quote_volume,ignore\n",
        "BTCUSDT-1m-2025-01.csv: no candle rows"
    )]
    #[case::long_header_only(
        "x-1m.csv",
        "symbol,open_time,open,high,low,close,volume\n",
        "x-1m.csv: no candle rows"
    )]
    #[case::unknown_header(
        NAME,
        "time,price\n1,2\n",
        "BTCUSDT-1m-2025-01.csv:1: unrecognised header: expected a symbol column (long format) \
         or the 12 columns of a Binance kline file"
    )]
    #[case::prefixed_first_row(
        NAME,
        &format!("x{ROW_0}\n{ROW_1}\n"),
        r#"BTCUSDT-1m-2025-01.csv:1: column open_time: "x1735689600000" is not an integer"#
    )]
    #[case::header_with_a_number(
        NAME,
        "open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,\
         taker_buy_quote_volume,0\n",
        r#"BTCUSDT-1m-2025-01.csv:1: column open_time: "open_time" is not an integer"#
    )]
    #[case::headerless_long(
        "BTCUSDT-1m.csv",
        "BTCUSDT,1735689600000,1,2,1,1,1\n",
        "BTCUSDT-1m.csv:1: expected 12 columns, found 7"
    )]
    #[case::no_symbol(
        "klines.csv",
        ROW_0,
        "klines.csv: cannot tell the symbol: name the file like BTCUSDT-1m-2025-01.csv or pass one"
    )]
    #[case::bad_symbol(
        "x-1m.csv",
        "symbol,open_time,open,high,low,close,volume\nBTC/USDT,0,1,1,1,1,1\n",
        r#"x-1m.csv:2: invalid symbol "BTC/USDT": expected 2 to 20 characters A-Z or 0-9"#
    )]
    #[case::bad_interval(
        "x.csv",
        "symbol,interval,open_time,open,high,low,close,volume\nBTCUSDT,1H,0,1,1,1,1,1\n",
        "x.csv:2: unknown interval \"1H\": \
         expected one of 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M"
    )]
    #[case::long_width(
        "x-1m.csv",
        "symbol,open_time,open,high,low,close,volume\nBTCUSDT,0,1,1,1,1\n",
        "x-1m.csv:2: expected 7 columns, found 6"
    )]
    fn rejects(#[case] name: &str, #[case] text: &str, #[case] message: &str) {
        let err = read(name, text).unwrap_err();
        assert_eq!(err.to_string(), message);
    }

    /// Yields its text, then fails as a corrupt archive entry would.
    struct FailsAfter<'a>(&'a [u8]);

    impl Read for FailsAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() {
                return Err(std::io::Error::other("corrupt entry"));
            }
            self.0.read(buf)
        }
    }

    #[rstest]
    #[case::at_once("x-1m.csv", "", "x-1m.csv:1: corrupt entry")]
    #[case::after_blank_lines(NAME, &format!("{ROW_0}\n\n\n"), "BTCUSDT-1m-2025-01.csv:4: corrupt entry")]
    #[case::after_a_quoted_line_break(
        "x-1m.csv",
        "symbol,open_time,open,high,low,close,volume\nBTCUSDT,0,1,2,1,1,\"1\n\"\n",
        "x-1m.csv:4: corrupt entry"
    )]
    #[case::mid_row(NAME, &format!("{ROW_0}\n\n173568966"), "BTCUSDT-1m-2025-01.csv:3: corrupt entry")]
    fn read_failures_name_the_line_reached(
        #[case] name: &str,
        #[case] text: &str,
        #[case] message: &str,
    ) {
        let reader = FailsAfter(text.as_bytes());
        let err = read_reader(name, reader, &Overrides::default()).unwrap_err();
        assert!(matches!(err, Error::Read { .. }), "{err}");
        assert_eq!(err.to_string(), message);
    }

    #[test]
    fn reads_zip_entries() {
        let bytes = zip_of(&[("readme.txt", "hi"), ("ETHUSDT-1m-2025-01.csv", ROW_0)]);
        let overrides = Overrides::default();
        let file = read_zip("download.zip", Cursor::new(&bytes), &overrides).unwrap();
        assert_eq!(file.series[0].symbol.as_str(), "ETHUSDT");
        let file = read_zip("BTCUSDT-1m-2025-01.zip", Cursor::new(&bytes), &overrides).unwrap();
        assert_eq!(file.series[0].symbol.as_str(), "BTCUSDT");
    }

    #[rstest]
    #[case::no_csv(zip_of(&[("readme.txt", "hi")]), "a.zip: zip archive holds no .csv file")]
    #[case::two_csv(
        zip_of(&[("a.csv", ROW_0), ("b.CSV", ROW_0)]),
        "a.zip: zip archive holds 2 .csv files, expected one"
    )]
    fn rejects_zips(#[case] bytes: Vec<u8>, #[case] message: &str) {
        let err = read_zip("a.zip", Cursor::new(bytes), &Overrides::default()).unwrap_err();
        assert_eq!(err.to_string(), message);
    }

    #[test]
    fn rejects_non_zips() {
        let err = read_zip("a.zip", Cursor::new(b"not a zip"), &Overrides::default()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("a.zip: not a readable zip archive: "),
            "{err}"
        );
    }
}
