//! `sift indicators` as a user runs it: a real binary over real files.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(args)
        .output()
        .expect("the sift binary runs")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "sift failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8 output")
}

fn stderr(out: &Output) -> String {
    assert!(!out.status.success(), "sift should have failed");
    String::from_utf8(out.stderr.clone()).expect("utf-8 errors")
}

/// A Binance kline file: 12 columns, no header; closes 1..=n, one candle a minute.
fn binance_rows(n: usize, time_scale: i64) -> String {
    (1..=n)
        .map(|i| {
            let t = 1_735_689_600_000 + (i as i64 - 1) * 60_000;
            let c = i as f64;
            format!(
                "{},{c},{},{},{c},10,{},{},5,4,{},0\n",
                t * time_scale,
                c + 1.0,
                c - 0.5,
                (t + 59_999) * time_scale,
                c * 10.0,
                c * 4.0
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

#[test]
fn binance_csv_gives_one_row_per_candle_with_warmup_blanks() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "BTCUSDT-1m-2025-01.csv", &binance_rows(5, 1));
    let out = stdout(&sift(&[
        "indicators",
        "--candles",
        path.to_str().unwrap(),
        "--indicator",
        "sma(3)",
        "--indicator",
        " ema(3) ",
    ]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "symbol,open_time,close,sma(3),ema(3)");
    assert_eq!(lines[1], "BTCUSDT,1735689600000,1,,");
    assert_eq!(lines[3], "BTCUSDT,1735689720000,3,2,2");
    assert_eq!(lines[5], "BTCUSDT,1735689840000,5,4,4");
    assert_eq!(lines.len(), 6);
}

#[test]
fn multi_output_columns_are_named_by_field_and_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "ETHUSDT-1m-2025-01.csv", &binance_rows(60, 1));
    let out = stdout(&sift(&[
        "indicators",
        "--candles",
        path.to_str().unwrap(),
        "--indicator",
        "macd(12, 26, 9)",
    ]));
    let header = out.lines().next().unwrap();
    assert_eq!(
        header,
        r#"symbol,open_time,close,"macd(12, 26, 9).line","macd(12, 26, 9).signal","macd(12, 26, 9).hist""#
    );
    // TA-Lib's MACD(12, 26, 9) has its first value at the 34th candle.
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert!(rows[32].ends_with(",,,"), "{}", rows[32]);
    assert!(!rows[33].ends_with(','), "{}", rows[33]);
}

#[test]
fn microsecond_zip_reads_like_the_millisecond_csv() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "BTCUSDT-1m-2025-02.csv", &binance_rows(30, 1));
    let zip_path = dir.path().join("BTCUSDT-1m-2025-02.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    zip.start_file(
        "BTCUSDT-1m-2025-02.csv",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(binance_rows(30, 1000).as_bytes()).unwrap();
    zip.finish().unwrap();

    let args = |p: &Path| {
        stdout(&sift(&[
            "indicators",
            "--candles",
            p.to_str().unwrap(),
            "-i",
            "rsi(14)",
            "-i",
            "bb(20, mult=2.5)",
        ]))
    };
    assert_eq!(args(&csv), args(&zip_path));
}

#[test]
fn long_format_is_processed_per_symbol_and_json_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("symbol,open_time,open,high,low,close,volume\n");
    for symbol in ["AAAUSDT", "BBBUSDT"] {
        for i in 0..4 {
            let c = if symbol == "AAAUSDT" {
                10.0 + i as f64
            } else {
                100.0
            };
            text += &format!(
                "{symbol},{},{c},{c},{c},{c},1\n",
                1_735_689_600_000i64 + i * 300_000
            );
        }
    }
    let path = write(dir.path(), "universe.csv", &text);
    let p = path.to_str().unwrap();
    let csv = stdout(&sift(&[
        "indicators",
        "--candles",
        p,
        "--interval",
        "5m",
        "-i",
        "sma(2)",
    ]));
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 9);
    // Each symbol warms up on its own: no value leaks from AAAUSDT into BBBUSDT.
    assert_eq!(rows[5], "BBBUSDT,1735689600000,100,");
    assert_eq!(rows[6], "BBBUSDT,1735689900000,100,100");

    let json = stdout(&sift(&[
        "indicators",
        "--candles",
        p,
        "--interval",
        "5m",
        "--symbol",
        "AAAUSDT",
        "-i",
        "sma(2)",
        "--format",
        "json",
    ]));
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rows = value.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["sma(2)"], serde_json::Value::Null);
    assert_eq!(rows[1]["sma(2)"], 10.5);
    assert_eq!(rows[1]["symbol"], "AAAUSDT");
}

#[test]
fn unknown_indicator_lists_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "BTCUSDT-1m-2025-01.csv", &binance_rows(3, 1));
    let err = stderr(&sift(&[
        "indicators",
        "--candles",
        path.to_str().unwrap(),
        "-i",
        "rsx(14)",
    ]));
    assert!(err.contains("unknown indicator \"rsx\""), "{err}");
    assert!(err.contains("rsi") && err.contains("macd"), "{err}");

    let err = stderr(&sift(&[
        "indicators",
        "--candles",
        path.to_str().unwrap(),
        "-i",
        "rsi(0)",
    ]));
    assert!(
        err.contains("rsi") && err.contains("from 2 to 100000"),
        "{err}"
    );
}

#[test]
fn a_spec_that_fails_to_build_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "BTCUSDT-1m-2025-01.csv", &binance_rows(3, 1));
    let output = dir.path().join("out.csv");
    std::fs::write(&output, "keep me").unwrap();
    let out = sift(&[
        "indicators",
        "--candles",
        path.to_str().unwrap(),
        "-i",
        "sma(2)",
        "-i",
        "rsi(1)",
        "-o",
        output.to_str().unwrap(),
    ]);
    let err = stderr(&out);
    assert!(err.contains(r#"--indicator "rsi(1)""#), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "keep me");
}

#[test]
fn bad_flags_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "BTCUSDT-1m-2025-01.csv", &binance_rows(3, 1));
    let p = path.to_str().unwrap();
    let err = stderr(&sift(&[
        "indicators",
        "--candles",
        p,
        "--interval",
        "7m",
        "-i",
        "rsi",
    ]));
    assert!(
        err.contains("--interval") && err.contains("unknown interval \"7m\""),
        "{err}"
    );
    let err = stderr(&sift(&[
        "indicators",
        "--candles",
        p,
        "--symbol",
        "BTC-USDT",
        "-i",
        "rsi",
    ]));
    assert!(
        err.contains("--symbol") && err.contains("invalid symbol"),
        "{err}"
    );
}

#[test]
fn bad_rows_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = binance_rows(3, 1);
    text += "1735689780000,1,2,3\n";
    let path = write(dir.path(), "BTCUSDT-1m-2025-01.csv", &text);
    let err = stderr(&sift(&[
        "indicators",
        "--candles",
        path.to_str().unwrap(),
        "-i",
        "sma(2)",
    ]));
    assert!(err.contains("BTCUSDT-1m-2025-01.csv:4"), "{err}");
}

#[test]
fn list_shows_every_category() {
    let out = stdout(&sift(&["indicators", "--list"]));
    for word in [
        "averages:",
        "momentum:",
        "sma(n)",
        "rsi(n=14)",
        "macd(fast=12, slow=26, signal=9)",
    ] {
        assert!(out.contains(word), "missing {word} in\n{out}");
    }
}
