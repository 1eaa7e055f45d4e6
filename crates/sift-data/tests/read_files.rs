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
