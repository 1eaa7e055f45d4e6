//! Reading real `.csv` and `.zip` files from disk, in every supported shape, and every error.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rstest::rstest;
use sift_core::Interval;
use sift_data::{CandleFile, Error, Overrides, read_path};
use tempfile::TempDir;
use zip::write::SimpleFileOptions;

const MINUTE: i64 = 60_000;
/// 2025-01-01T00:00:00Z.
const JAN_1: i64 = 1_735_689_600_000;

/// One Binance 12-column row of a 1m candle at `open` (ms), written in ms or µs.
fn kline_row(open: i64, micros: bool) -> String {
    let scale = if micros { 1_000 } else { 1 };
    let close = (open + MINUTE) * scale - 1;
    let price = 100.0 + ((open - JAN_1) / MINUTE % 7) as f64;
    format!(
        "{},{price},{},{},{},12.5,{close},1250.0,42,6.0,600.0,0\n",
        open * scale,
        price + 1.0,
        price - 1.0,
        price + 0.5
    )
}

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).expect("writing a temporary csv");
    path
}

fn write_zip(dir: &TempDir, name: &str, entries: &[(&str, &str)]) -> PathBuf {
    let path = dir.path().join(name);
    let file = fs::File::create(&path).expect("creating a temporary zip");
    let mut writer = zip::ZipWriter::new(file);
    for (entry, text) in entries {
        let options = SimpleFileOptions::default();
        writer
            .start_file(*entry, options)
            .expect("starting a zip entry");
        writer
            .write_all(text.as_bytes())
            .expect("writing a zip entry");
    }
    writer.finish().expect("finishing a zip");
    path
}

fn read(path: &Path) -> Result<CandleFile, Error> {
    read_path(path, &Overrides::default())
}

#[test]
fn monthly_microsecond_file_with_a_gap() {
    let dir = TempDir::new().unwrap();
    // 2025-01 in µs, minute 100 missing.
    let text: String = (0..1_440)
        .filter(|&m| m != 100)
        .map(|m| kline_row(JAN_1 + m * MINUTE, true))
        .collect();
    let path = write(&dir, "BTCUSDT-1m-2025-01.csv", &text);
    let file = read(&path).unwrap();

    assert_eq!(file.series.len(), 1);
    let series = &file.series[0];
    assert_eq!(
        (series.symbol.as_str(), series.interval),
        ("BTCUSDT", Interval::M1)
    );
    assert_eq!(series.candles.len(), 1_439);
    let first = series.candles[0];
    assert_eq!(
        (first.open_time, first.close_time),
        (JAN_1, JAN_1 + MINUTE - 1)
    );
    assert_eq!(
        (first.open, first.high, first.low, first.close),
        (100.0, 101.0, 99.0, 100.5)
    );
    assert_eq!(
        (first.volume, first.quote_volume, first.trades),
        (12.5, 1_250.0, 42)
    );
    assert_eq!(
        (first.taker_buy_volume, first.taker_buy_quote_volume),
        (6.0, 600.0)
    );
    assert!(series.candles.iter().all(|c| c.closed));

    assert_eq!(file.gaps.len(), 1);
    let gap = &file.gaps[0];
    assert_eq!(
        (gap.from, gap.to, gap.missing),
        (JAN_1 + 100 * MINUTE, JAN_1 + 100 * MINUTE, 1)
    );
    assert_eq!(gap.line, 101);
}

#[test]
fn daily_zip_with_millisecond_rows_and_header() {
    let dir = TempDir::new().unwrap();
    let header = "open_time,open,high,low,close,volume,close_time,quote_volume,count,\
                  taker_buy_base_asset_volume,taker_buy_quote_asset_volume,ignore\n";
    let rows: String = (0..3)
        .map(|m| kline_row(JAN_1 + m * MINUTE, false))
        .collect();
    let csv = format!("{header}{rows}");
    let path = write_zip(
        &dir,
        "ETHUSDT-1m-2025-01-01.zip",
        &[("ETHUSDT-1m-2025-01-01.csv", &csv)],
    );
    let file = read(&path).unwrap();
    assert_eq!(file.series[0].symbol.as_str(), "ETHUSDT");
    let opens: Vec<i64> = file.series[0].candles.iter().map(|c| c.open_time).collect();
    assert_eq!(opens, [JAN_1, JAN_1 + MINUTE, JAN_1 + 2 * MINUTE]);
}

#[test]
fn overrides_name_an_oddly_named_file() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "download.csv", &kline_row(JAN_1, true));
    let overrides = Overrides {
        symbol: Some("solusdt".parse().unwrap()),
        interval: Some(Interval::M1),
    };
    let file = read_path(&path, &overrides).unwrap();
    assert_eq!(file.series[0].symbol.as_str(), "SOLUSDT");
    assert_eq!(file.series[0].interval, Interval::M1);
}

#[test]
fn long_file_with_interval_column_in_any_order() {
    let dir = TempDir::new().unwrap();
    let text = format!(
        "close,volume,interval,Symbol,open_time_ms,open,high,low,trades\n\
         1.5,10,1h,BTCUSDT,{jan},1,2,1,7\n\
         2.5,20,1m,ETHUSDT,{jan_us},2,3,2,8\n\
         1.6,11,1h,BTCUSDT,{next},1.5,2,1.5,9\n",
        jan = JAN_1,
        jan_us = JAN_1 * 1_000,
        next = JAN_1 + 60 * MINUTE,
    );
    let file = read(&write(&dir, "mixed.csv", &text)).unwrap();
    let keys: Vec<String> = file
        .series
        .iter()
        .map(|s| format!("{} {} {}", s.symbol, s.interval, s.candles.len()))
        .collect();
    assert_eq!(keys, ["BTCUSDT 1h 2", "ETHUSDT 1m 1"]);
    let eth = file.series[1].candles[0];
    assert_eq!(
        (eth.open_time, eth.close_time, eth.trades),
        (JAN_1, JAN_1 + MINUTE - 1, 8)
    );
    assert_eq!(eth.quote_volume, 0.0);
    assert!(file.gaps.is_empty());
}

#[test]
fn long_file_of_500_symbols_by_1000_candles() {
    const SYMBOLS: usize = 500;
    const CANDLES: i64 = 1_000;
    let dir = TempDir::new().unwrap();
    let mut text = String::from("symbol,open_time,open,high,low,close,volume,quote_volume\n");
    for i in 0..CANDLES {
        for s in 0..SYMBOLS {
            let open = JAN_1 + i * 5 * MINUTE;
            writeln!(text, "S{s:03}USDT,{open},1.0,1.5,0.5,1.2,{i},{s}").unwrap();
        }
    }
    let file = read(&write(&dir, "universe-5m.csv", &text)).unwrap();
    assert_eq!(file.series.len(), SYMBOLS);
    assert_eq!(file.candle_count(), SYMBOLS * CANDLES as usize);
    assert!(file.gaps.is_empty());
    let last = &file.series[SYMBOLS - 1];
    assert_eq!(
        (last.symbol.as_str(), last.interval),
        ("S499USDT", Interval::M5)
    );
    assert_eq!(last.candles[999].open_time, JAN_1 + 999 * 5 * MINUTE);
    assert_eq!(last.candles[999].quote_volume, 499.0);
}

const HEADER: &str = "symbol,open_time,open,high,low,close,volume\n";

/// A Binance row at minute `m` of 2025-01-01 with its fields replaced as listed.
fn row_with(m: i64, replace: &[(usize, &str)]) -> String {
    let row = kline_row(JAN_1 + m * MINUTE, false);
    let mut fields: Vec<&str> = row.trim_end().split(',').collect();
    for &(index, value) in replace {
        fields[index] = value;
    }
    fields.join(",") + "\n"
}

/// 1-minute rows at minutes 0, 1, ... of 2025-01-01, concatenated.
fn rows(minutes: &[i64]) -> String {
    minutes.iter().map(|&m| row_with(m, &[])).collect()
}

const KLINES: &str = "BTCUSDT-1m-2025-01.csv";

#[rstest]
#[case::column_count(KLINES, rows(&[0]) + "1,2,3\n", Some(2), "expected 12 columns, found 3")]
#[case::number(
    KLINES,
    row_with(0, &[(4, "1.2.3")]),
    Some(1),
    r#"column close: "1.2.3" is not a finite number"#
)]
#[case::time_number(
    KLINES,
    rows(&[0]) + &row_with(1, &[(6, "soon")]),
    Some(2),
    r#"column close_time: "soon" is not an integer"#
)]
#[case::backwards(
    KLINES,
    rows(&[0, 2, 1]),
    Some(3),
    "BTCUSDT 1m open time 2025-01-01T00:01:00Z goes back before 2025-01-01T00:02:00Z (line 2)"
)]
#[case::duplicate(
    KLINES,
    rows(&[0, 0]),
    Some(2),
    "BTCUSDT 1m open time 2025-01-01T00:00:00Z repeats line 1"
)]
#[case::same_candle(
    "BTCUSDT-1h-2025-01.csv",
    rows(&[0, 1]),
    Some(2),
    "BTCUSDT open time 2025-01-01T00:01:00Z is inside the 1h candle of line 1 \
     (2025-01-01T00:00:00Z): is the interval right?"
)]
#[case::high_below_low(
    KLINES,
    row_with(0, &[(2, "1.2"), (3, "1.5")]),
    Some(1),
    "high 1.2 is below low 1.5"
)]
#[case::close_time(
    KLINES,
    row_with(0, &[(6, &(JAN_1 + 60 * MINUTE - 1).to_string())]),
    Some(1),
    "close time 2025-01-01T00:59:59.999Z is outside the 1m candle opening at 2025-01-01T00:00:00Z"
)]
#[case::unknown_symbol(
    "long-1m.csv",
    format!("{HEADER}BTC-USDT,{JAN_1},1,1,1,1,1\n"),
    Some(2),
    r#"invalid symbol "BTC-USDT": expected 2 to 20 characters A-Z or 0-9"#
)]
#[case::unknown_interval(
    "long.csv",
    format!("symbol,interval,open_time,open,high,low,close,volume\nBTCUSDT,1y,{JAN_1},1,1,1,1,1\n"),
    Some(2),
    r#"unknown interval "1y""#
)]
#[case::missing_column(
    "long-1m.csv",
    format!("symbol,open_time,open,high,close,volume\nBTCUSDT,{JAN_1},1,1,1,1\n"),
    Some(1),
    "header lacks the required column low"
)]
#[case::unknown_header(KLINES, "time,open,close\n".to_owned(), Some(1), "unrecognised header")]
#[case::empty(KLINES, String::new(), None, "no candle rows")]
#[case::missing_symbol("klines.csv", rows(&[0]), None, "cannot tell the symbol")]
#[case::missing_long_interval(
    "long.csv",
    format!("{HEADER}BTCUSDT,{JAN_1},1,1,1,1,1\n"),
    None,
    "cannot tell the interval"
)]
fn errors_name_file_and_line(
    #[case] name: &str,
    #[case] text: String,
    #[case] line: Option<u64>,
    #[case] message: &str,
) {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, name, &text);
    let err = read(&path).unwrap_err();
    let shown = path.display().to_string();
    assert_eq!(err.path(), shown);
    assert_eq!(err.line(), line);
    let prefix = match line {
        Some(line) => format!("{shown}:{line}: "),
        None => format!("{shown}: "),
    };
    let text = err.to_string();
    assert!(text.starts_with(&format!("{prefix}{message}")), "{text}");
}

/// One hourly Binance row opening at `open` and closing at `close` (ms).
fn hour_row(open: i64, close: i64) -> String {
    format!("{open},1,2,0.5,1.5,10,{close},15,3,5,7,0\n")
}

const HOUR: i64 = 60 * MINUTE;

#[rstest]
#[case::prefixed_first_row(
    KLINES,
    format!("x{}", rows(&[0, 1])),
    1,
    r#"column open_time: "x1735689600000" is not an integer"#
)]
#[case::decimal_first_row(
    KLINES,
    row_with(0, &[(0, "1735689600000.0")]) + &rows(&[1]),
    1,
    r#"column open_time: "1735689600000.0" is not an integer"#
)]
#[case::nanosecond_open_time(
    KLINES,
    rows(&[0]) + &row_with(1, &[(0, "1735689660000000000")]),
    2,
    r#"column open_time: "1735689660000000000" is not a millisecond or microsecond timestamp"#
)]
#[case::shifted_close_beyond_its_candle(
    "BTCUSDT-1h-2018-02.csv",
    hour_row(1_518_168_494_789, 1_518_168_494_789 + HOUR),
    1,
    "close time 2018-02-09T10:28:14.789Z is outside the 1h candle opening at \
     2018-02-09T09:28:14.789Z"
)]
#[case::shifted_same_candle(
    "BTCUSDT-1h-2018-02.csv",
    hour_row(1_518_168_494_789, 1_518_172_094_788)
        + &hour_row(1_518_170_000_000, 1_518_173_599_999),
    2,
    "BTCUSDT open time 2018-02-09T09:53:20Z is inside the 1h candle of line 1 \
     (2018-02-09T09:28:14.789Z): is the interval right?"
)]
#[case::long_unknown_column(
    "universe-1m.csv",
    format!("symbol,open_time,open,high,low,close,volume,quote_vol\nBTCUSDT,{JAN_1},1,1,1,1,1,9\n"),
    1,
    "unknown column \"quote_vol\" in the header; accepted (any case): symbol, interval, \
     open_time|open_time_ms, close_time|close_time_ms, open, high, low, close, \
     volume|base_volume, quote_volume|quote_asset_volume, trades|count|number_of_trades, \
     taker_buy_volume|taker_buy_base_asset_volume|taker_buy_base_volume, \
     taker_buy_quote_volume|taker_buy_quote_asset_volume, ignore"
)]
fn exact_messages(
    #[case] name: &str,
    #[case] text: String,
    #[case] line: u64,
    #[case] message: &str,
) {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, name, &text);
    let err = read(&path).unwrap_err();
    assert_eq!(err.line(), Some(line));
    assert_eq!(
        err.to_string(),
        format!("{}:{line}: {message}", path.display())
    );
}

/// Binance's BTCUSDT-1h-2018-02 around its maintenance: a candle cut short at 00:28:14.788,
/// 32 hours missing, hourly candles opening at HH:28:14.789, 39 more hours missing, one cut
/// short at 04:00:00.999 and the candles back on the hour.
#[test]
fn binance_shifted_hourly_history() {
    let dir = TempDir::new().unwrap();
    let shifted = 1_518_168_494_789; // 2018-02-09T09:28:14.789Z
    let mut text = hour_row(1_518_048_000_000, 1_518_049_694_788);
    for h in 0..3 {
        let open = shifted + h * HOUR;
        text += &hour_row(open, open + HOUR - 1);
    }
    text += &hour_row(1_518_319_694_789, 1_518_321_600_999);
    text += &hour_row(1_518_321_600_000, 1_518_325_199_999);
    text += &hour_row(1_518_325_200_000, 1_518_328_799_999);
    let file = read(&write(&dir, "BTCUSDT-1h-2018-02.csv", &text)).unwrap();
    assert_eq!(file.series[0].candles.len(), 7);
    let gaps: Vec<(i64, i64, u64, u64)> = file
        .gaps
        .iter()
        .map(|g| (g.from, g.to, g.missing, g.line))
        .collect();
    assert_eq!(
        gaps,
        [
            (
                1_518_048_000_000 + HOUR,
                1_518_048_000_000 + 32 * HOUR,
                32,
                2
            ),
            (shifted + 3 * HOUR, shifted + 41 * HOUR, 39, 5),
        ]
    );
    assert_eq!(
        file.gaps[1].to_string(),
        "BTCUSDT 1h: 39 candles missing from 2018-02-09T12:28:14.789Z to \
         2018-02-11T02:28:14.789Z (before line 5)"
    );
}

#[test]
fn long_file_with_binance_column_names() {
    let dir = TempDir::new().unwrap();
    let text = format!(
        "Symbol,Open_Time,Open,High,Low,Close,Volume,Close_Time,Quote_Asset_Volume,\
         Number_Of_Trades,Taker_Buy_Base_Asset_Volume,Taker_Buy_Quote_Asset_Volume,Ignore\n\
         BTCUSDT,{JAN_1},1,2,0.5,1.5,10,{close},15,3,5,7,0\n",
        close = JAN_1 + MINUTE - 1
    );
    let file = read(&write(&dir, "universe-1m.csv", &text)).unwrap();
    let candle = file.series[0].candles[0];
    assert_eq!(
        (candle.quote_volume, candle.trades, candle.taker_buy_volume),
        (15.0, 3, 5.0)
    );
    assert_eq!(candle.taker_buy_quote_volume, 7.0);
}

#[test]
fn corrupt_zip_entry_names_the_line_reached() {
    let dir = TempDir::new().unwrap();
    // Two rows, then blank lines: the corruption is found at the end of the entry, line 5.
    let csv = format!("{}\n\n", rows(&[0, 1]));
    let path = dir.path().join("BTCUSDT-1m-2025-01-03.zip");
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    writer
        .start_file("BTCUSDT-1m-2025-01-03.csv", stored)
        .expect("starting a zip entry");
    writer
        .write_all(csv.as_bytes())
        .expect("writing a zip entry");
    let mut bytes = writer.finish().expect("finishing a zip").into_inner();
    // Change one stored digit so the entry fails its checksum.
    let at = bytes
        .windows(4)
        .position(|w| w == b"12.5")
        .expect("the stored volume");
    bytes[at + 3] = b'6';
    fs::write(&path, bytes).expect("writing the corrupt zip");
    let err = read(&path).unwrap_err();
    assert!(matches!(err, Error::Read { line: 5, .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with(&format!("{}:5: ", path.display())),
        "{err}"
    );
}

#[test]
fn missing_interval_when_only_the_symbol_is_known() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "klines.csv", &rows(&[0]));
    let overrides = Overrides {
        symbol: Some("BTCUSDT".parse().unwrap()),
        interval: None,
    };
    let err = read_path(&path, &overrides).unwrap_err();
    assert_eq!(err.line(), None);
    let expected = format!("{}: cannot tell the interval", path.display());
    assert!(err.to_string().starts_with(&expected), "{err}");
}

#[test]
fn zip_errors_name_the_archive() {
    let dir = TempDir::new().unwrap();
    let path = write_zip(&dir, "BTCUSDT-1m-2025-01.zip", &[("notes.txt", "no data")]);
    let err = read(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: zip archive holds no .csv file", path.display())
    );

    let row = kline_row(JAN_1, false);
    let bad = format!("{row}{row}");
    let path = write_zip(
        &dir,
        "BTCUSDT-1m-2025-01-02.zip",
        &[("BTCUSDT-1m-2025-01-02.csv", &bad)],
    );
    let err = read(&path).unwrap_err();
    assert_eq!(err.line(), Some(2));
    assert!(
        err.to_string()
            .starts_with(&format!("{}:2: ", path.display())),
        "{err}"
    );

    let path = write(&dir, "broken.zip", "this is not a zip");
    let err = read(&path).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("{}: not a readable zip", path.display()))
    );
}

#[test]
fn missing_file_is_an_io_error() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("BTCUSDT-1m-2025-01.csv");
    let err = read(&path).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{}: ", path.display())),
        "{err}"
    );
}
