//! `sift backtest` as a user runs it: the real binary over candle and trader files written
//! to a temporary directory, with exact signal rows for crafted prices.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 2025-01-01T00:00:00Z.
const T0: i64 = 1_735_689_600_000;
const MINUTE: i64 = 60_000;

fn sift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(args)
        .output()
        .expect("the sift binary runs")
}

/// Standard output and error of a run that must succeed.
fn ok(args: &[&str]) -> (String, String) {
    let out = sift(args);
    let stderr = String::from_utf8(out.stderr).expect("utf-8 errors");
    assert!(out.status.success(), "sift failed: {stderr}");
    (String::from_utf8(out.stdout).expect("utf-8 output"), stderr)
}

/// Standard error of a run that must fail.
fn fails(args: &[&str]) -> String {
    let out = sift(args);
    assert!(!out.status.success(), "sift should have failed");
    String::from_utf8(out.stderr).expect("utf-8 errors")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// One candle's fields, integers so that sums are exact.
#[derive(Debug, Clone, Copy)]
struct Bar {
    open_time: i64,
    close_time: i64,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    trades: u64,
}

/// 1m bars from `T0` with these closes; each opens at the previous close.
fn minutes(closes: &[f64]) -> Vec<Bar> {
    closes
        .iter()
        .enumerate()
        .map(|(i, &close)| {
            let open = if i == 0 { close } else { closes[i - 1] };
            let open_time = T0 + i as i64 * MINUTE;
            Bar {
                open_time,
                close_time: open_time + MINUTE - 1,
                open,
                high: open.max(close) + 1.0,
                low: open.min(close) - 1.0,
                close,
                volume: 10.0 + (i % 4) as f64,
                trades: i as u64 + 1,
            }
        })
        .collect()
}

/// The 5m bars of complete spans of 1m `bars`, aggregated by hand.
fn five_minutes(bars: &[Bar]) -> Vec<Bar> {
    bars.chunks_exact(5)
        .map(|span| Bar {
            open_time: span[0].open_time,
            close_time: span[4].close_time,
            open: span[0].open,
            high: span.iter().map(|b| b.high).fold(f64::MIN, f64::max),
            low: span.iter().map(|b| b.low).fold(f64::MAX, f64::min),
            close: span[4].close,
            volume: span.iter().map(|b| b.volume).sum(),
            trades: span.iter().map(|b| b.trades).sum(),
        })
        .collect()
}

/// A Binance kline file (12 columns, no header).
fn binance(bars: &[Bar]) -> String {
    bars.iter()
        .map(|b| {
            format!(
                "{},{},{},{},{},{},{},{},{},{},{},0\n",
                b.open_time,
                b.open,
                b.high,
                b.low,
                b.close,
                b.volume,
                b.close_time,
                b.volume * 2.0,
                b.trades,
                b.volume / 2.0,
                b.volume
            )
        })
        .collect()
}

/// A long-format file with an interval column, several symbols.
fn long(series: &[(&str, &str, &[Bar])]) -> String {
    let mut text = "symbol,interval,open_time,open,high,low,close,volume,close_time,quote_volume,\
                    trades,taker_buy_volume,taker_buy_quote_volume\n"
        .to_owned();
    for (symbol, interval, bars) in series {
        for b in *bars {
            text.push_str(&format!(
                "{symbol},{interval},{},{},{},{},{},{},{},{},{},{},{}\n",
                b.open_time,
                b.open,
                b.high,
                b.low,
                b.close,
                b.volume,
                b.close_time,
                b.volume * 2.0,
                b.trades,
                b.volume / 2.0,
                b.volume
            ));
        }
    }
    text
}

const UPS: [f64; 10] = [10.0, 11.0, 12.0, 11.0, 12.0, 13.0, 14.0, 13.0, 12.0, 13.0];

#[test]
fn csv_rows_are_exact_and_the_summary_goes_to_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "BTCUSDT-1m-2025-01.csv",
        &binance(&minutes(&UPS)),
    );
    let args = [
        "backtest",
        "--rule",
        "close > open",
        "--candles",
        path(&file),
    ];
    let (out, err) = ok(&[&args[..], &["--forward", "1,2", "--format", "csv"]].concat());
    // Edge: the rule turns true at minutes 1, 4 and 9 (closes 11, 12, 13).
    assert_eq!(
        out,
        "trader,symbol,interval,open_time,close,fwd_1,fwd_2\n\
         rule1,BTCUSDT,1m,1735689660000,11,9.090909,0\n\
         rule1,BTCUSDT,1m,1735689840000,12,8.333333,16.666667\n\
         rule1,BTCUSDT,1m,1735690140000,13,,\n"
    );
    // Zero is not a hit; minute 9 has no forward return.
    assert_eq!(
        err,
        "trader  signals   hit_1  mean_1  hit_2  mean_2\n\
         rule1         3  100.0%  +8.71%  50.0%  +8.33%\n"
    );
    let (level, _) = ok(&[
        &args[..],
        &["--forward", "1", "--format", "csv", "--mode", "level"],
    ]
    .concat());
    let minutes: Vec<i64> = level
        .lines()
        .skip(1)
        .map(|l| (l.split(',').nth(3).unwrap().parse::<i64>().unwrap() - T0) / MINUTE)
        .collect();
    assert_eq!(minutes, [1, 2, 4, 5, 6, 9]);
}

#[test]
fn aggregated_candles_give_the_signals_of_given_ones() {
    let dir = tempfile::tempdir().unwrap();
    let closes: Vec<f64> = (0..120)
        .map(|i| 100.0 + ((i * 7) % 11) as f64 - ((i / 10) % 3) as f64)
        .collect();
    let fine = minutes(&closes);
    let one = write(dir.path(), "BTCUSDT-1m-2025-01.csv", &binance(&fine));
    let five = write(
        dir.path(),
        "given-5m.csv",
        &long(&[("BTCUSDT", "5m", &five_minutes(&fine))]),
    );
    let rules = [
        (
            "1m",
            "close > sma(3) @ 5m and close @ 5m > open @ 5m and volume @ 5m > 55",
        ),
        ("1m", "crossover(close, high @ 5m - 1) or trades @ 5m > 300"),
        ("5m", "close > sma(3) and volume > 55"),
    ];
    for (interval, rule) in rules {
        for mode in ["edge", "level"] {
            let run = |files: &[&str]| {
                let mut args = vec!["backtest", "--rule", rule, "--interval", interval];
                args.extend(["--mode", mode, "--format", "csv", "--candles"]);
                args.extend(files);
                ok(&args).0
            };
            let alone = run(&[path(&one)]);
            let given = run(&[path(&one), path(&five)]);
            assert!(
                alone.lines().count() > 3,
                "{rule} {mode}: too few signals:\n{alone}"
            );
            assert_eq!(alone, given, "{rule} {mode}");
        }
    }
}

#[test]
fn aggregated_candles_equal_given_ones_in_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let closes: Vec<f64> = (0..60).map(|i| 50.0 + ((i * 5) % 9) as f64).collect();
    let fine = minutes(&closes);
    let one = write(dir.path(), "BTCUSDT-1m-2025-01.csv", &binance(&fine));
    let five = write(
        dir.path(),
        "BTCUSDT-5m-2025-01.csv",
        &binance(&five_minutes(&fine)),
    );
    let fields = [
        "open",
        "high",
        "low",
        "close",
        "volume",
        "quote_volume",
        "trades",
        "taker_buy_volume",
        "taker_buy_quote_volume",
    ];
    // Always true once the first 5m candle closed; the JSON shows every referenced value.
    let rule: Vec<String> = fields.iter().map(|f| format!("{f} @ 5m > 0")).collect();
    let rule = rule.join(" and ");
    let run = |files: &[&str]| {
        let mut args = vec![
            "backtest", "-e", &rule, "--mode", "level", "--format", "json",
        ];
        args.extend(["--forward", "1", "--candles"]);
        args.extend(files);
        ok(&args).0
    };
    let alone = run(&[path(&one)]);
    assert_eq!(alone, run(&[path(&one), path(&five)]));
    let json: serde_json::Value = serde_json::from_str(&alone).unwrap();
    let signals = json["signals"].as_array().unwrap();
    // From minute 4, when the first 5m candle closes.
    assert_eq!(signals.len(), 56);
    assert_eq!(signals[0]["time"], "2025-01-01T00:04:00Z");
    assert_eq!(
        signals[0]["values"].as_object().unwrap().len(),
        fields.len()
    );
    // Minute 5 reads the 00:00 candle: volumes 10, 11, 12, 13, 10 and trades 1..=5.
    assert_eq!(signals[1]["values"]["volume @ 5m"], 56.0);
    assert_eq!(signals[1]["values"]["trades @ 5m"], 15.0);
}

#[test]
fn incomplete_spans_are_not_aggregated() {
    let dir = tempfile::tempdir().unwrap();
    // 00:01 to 00:21 without 00:07: the 00:05 span has a hole, the 00:00 and 00:20 spans are
    // cut by the ends of the file.
    let closes: Vec<f64> = (0..22).map(|i| 100.0 + f64::from(i)).collect();
    let mut bars = minutes(&closes);
    bars.retain(|b| ![0, 7].contains(&((b.open_time - T0) / MINUTE)));
    let file = write(dir.path(), "BTCUSDT-1m-2025-01.csv", &binance(&bars));
    let (out, err) = ok(&[
        "backtest",
        "--rule",
        "close > 0",
        "--interval",
        "5m",
        "--mode",
        "level",
        "--forward",
        "1,2",
        "--format",
        "csv",
        "--candles",
        path(&file),
    ]);
    // 00:10 closes at 114 and 00:15 at 119; the missing 00:05 candle does not stand in.
    assert_eq!(
        out,
        "trader,symbol,interval,open_time,close,fwd_1,fwd_2
\
         rule1,BTCUSDT,5m,1735690200000,114,4.385965,\n\
         rule1,BTCUSDT,5m,1735690500000,119,,\n"
    );
    let notes: Vec<&str> = err.lines().filter(|l| l.starts_with("note:")).collect();
    assert_eq!(
        notes,
        ["note: BTCUSDT 5m: 1 span(s) lack some 1m candles; no 5m candle was built for them"]
    );
    assert!(
        err.contains("warning: BTCUSDT 1m: 1 candle missing"),
        "{err}"
    );
}

#[test]
fn trader_directories_run_together_with_cooldown_and_skip_disabled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let zigzag = [10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0, 10.0, 11.0];
    let file = write(
        dir.path(),
        "BTCUSDT-1m-2025-01.csv",
        &binance(&minutes(&zigzag)),
    );
    let traders = dir.path().join("traders");
    std::fs::create_dir(&traders).unwrap();
    let trader = |name: &str, extra: &str| {
        format!("name = \"{name}\"\ninterval = \"1m\"\nrule = \"close > open\"\n{extra}")
    };
    write(
        &traders,
        "a.toml",
        &trader("Up, slowly", "cooldown_bars = 3\n"),
    );
    write(&traders, "b.toml", &trader("Up", ""));
    write(&traders, "c.toml", &trader("Off", "enabled = false\n"));
    let run = |mode: &str| {
        ok(&[
            "backtest",
            "--traders",
            path(&traders),
            "--candles",
            path(&file),
            "--mode",
            mode,
            "--forward",
            "1",
            "--format",
            "csv",
        ])
    };
    let rows = |out: &str| -> Vec<(String, i64)> {
        out.lines()
            .skip(1)
            .map(|l| {
                let (name, rest) = l.rsplit_once(",BTCUSDT,1m,").unwrap();
                let open: i64 = rest.split(',').next().unwrap().parse().unwrap();
                (name.to_owned(), (open - T0) / MINUTE)
            })
            .collect()
    };
    let (edge, err) = run("edge");
    assert!(err.contains("Off is disabled; skipped"), "{err}");
    let slow = "\"Up, slowly\"".to_owned();
    let want = |slow_minutes: &[i64]| {
        let mut want = Vec::new();
        for m in [1, 3, 5, 7, 9] {
            if slow_minutes.contains(&m) {
                want.push((slow.clone(), m));
            }
            want.push(("Up".to_owned(), m));
        }
        want
    };
    // Turns at 1, 3, 5, 7, 9; a cooldown of 3 bars keeps 1, 5, 9.
    assert_eq!(rows(&edge), want(&[1, 5, 9]));
    // Level ignores edges and cooldown.
    assert_eq!(rows(&run("level").0), want(&[1, 3, 5, 7, 9]));
}

#[test]
fn json_holds_signals_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "BTCUSDT-1m-2025-01.csv",
        &binance(&minutes(&UPS)),
    );
    let (out, _) = ok(&[
        "backtest",
        "-e",
        "close > open",
        "-e",
        "close < open",
        "--candles",
        path(&file),
        "--forward",
        "1",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(json["horizons"], serde_json::json!([1]));
    let signals = json["signals"].as_array().unwrap();
    assert_eq!(signals.len(), 5);
    assert_eq!(
        signals[0],
        serde_json::json!({
            "trader": "rule1", "symbol": "BTCUSDT", "interval": "1m",
            "open_time": 1_735_689_660_000_i64, "time": "2025-01-01T00:01:00Z", "close": 11.0,
            "fwd_1": 9.090909, "values": { "close": 11.0, "open": 10.0 },
        })
    );
    // rule2 turns true at minutes 3 and 7 (closes 11 and 13).
    let rule2: Vec<&serde_json::Value> =
        signals.iter().filter(|s| s["trader"] == "rule2").collect();
    assert_eq!(rule2.len(), 2);
    assert_eq!(rule2[0]["time"], "2025-01-01T00:03:00Z");
    let summary = &json["summary"];
    assert_eq!(summary[0]["trader"], "rule1");
    assert_eq!(summary[0]["signals"], 3);
    assert_eq!(summary[1]["horizons"][0]["count"], 2);
    assert_eq!(summary[1]["horizons"][0]["hit_rate"], 0.5);
}

#[test]
fn table_and_summary_formats() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "BTCUSDT-1m-2025-01.csv",
        &binance(&minutes(&UPS)),
    );
    let args = [
        "backtest",
        "--rule",
        "close > open",
        "--candles",
        path(&file),
        "--forward",
        "1",
    ];
    let (table, _) = ok(&args);
    assert_eq!(
        table,
        "trader  symbol   interval  open_time             close  fwd_1\n\
         rule1   BTCUSDT  1m        2025-01-01T00:01:00Z     11  +9.09\n\
         rule1   BTCUSDT  1m        2025-01-01T00:04:00Z     12  +8.33\n\
         rule1   BTCUSDT  1m        2025-01-01T00:09:00Z     13      -\n\
         \n\
         trader  signals   hit_1  mean_1\n\
         rule1         3  100.0%  +8.71%\n"
    );
    let (summary, _) = ok(&[&args[..], &["--format", "summary"]].concat());
    assert_eq!(
        summary,
        "trader  signals   hit_1  mean_1\n\
         rule1         3  100.0%  +8.71%\n"
    );
}

#[test]
fn symbols_and_the_time_window_select_signals() {
    let dir = tempfile::tempdir().unwrap();
    let bars = minutes(&UPS);
    let file = write(
        dir.path(),
        "universe.csv",
        &long(&[("BTCUSDT", "1m", &bars), ("ETHUSDT", "1m", &bars)]),
    );
    let base = [
        "backtest",
        "--rule",
        "close > open",
        "--candles",
        path(&file),
        "--format",
        "csv",
    ];
    let run = |extra: &[&str]| -> Vec<String> {
        let (out, _) = ok(&[&base[..], &["--mode", "level", "--forward", "1"], extra].concat());
        out.lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{} {}", f[1], (f[3].parse::<i64>().unwrap() - T0) / MINUTE)
            })
            .collect()
    };
    assert_eq!(run(&[]).len(), 12);
    // --from in RFC 3339 and --to in epoch ms, both inclusive.
    let to = (T0 + 5 * MINUTE).to_string();
    assert_eq!(
        run(&[
            "--symbols",
            "ETHUSDT",
            "--from",
            "2025-01-01T00:02:00Z",
            "--to",
            &to
        ]),
        ["ETHUSDT 2", "ETHUSDT 4", "ETHUSDT 5"]
    );
    let err = fails(&[&base[..], &["--symbols", "XRPUSDT"]].concat());
    assert!(err.contains("XRPUSDT: no candles"), "{err}");
    let err = fails(&[&base[..], &["--from", "2025-02-01", "--to", "2025-01-01"]].concat());
    assert!(err.contains("--from is after --to"), "{err}");
}

#[test]
fn errors_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let five = write(
        dir.path(),
        "BTCUSDT-5m-2025-01.csv",
        &binance(&five_minutes(&minutes(&[1.0; 10]))),
    );
    // Rule diagnostics are rendered and fail the command.
    let err = fails(&[
        "backtest",
        "-e",
        "close > 1",
        "-e",
        "rsx(14) < 30",
        "--candles",
        path(&five),
    ]);
    assert!(err.contains("error[E"), "{err}");
    assert!(err.contains("--> rule2:1:1"), "{err}");
    assert!(err.contains("the rule of rule2 does not check"), "{err}");
    // A missing file is named.
    let missing = dir.path().join("BTCUSDT-1m-2024-12.csv");
    let err = fails(&["backtest", "-e", "close > 1", "--candles", path(&missing)]);
    assert!(err.contains("BTCUSDT-1m-2024-12.csv"), "{err}");
    // An interval finer than any file.
    let err = fails(&["backtest", "-e", "close > 1", "--candles", path(&five)]);
    assert!(
        err.contains("rule1: BTCUSDT: 1m candles are needed, but the finest given is 5m"),
        "{err}"
    );
}

#[test]
fn directories_of_zip_and_csv_files_and_top_selections() {
    use std::io::Write;

    let dir = tempfile::tempdir().unwrap();
    let candles = dir.path().join("candles");
    std::fs::create_dir(&candles).unwrap();
    // BTCUSDT in a Binance zip; ETHUSDT, with twice the volume, in a long-format file.
    let mut zip =
        zip::ZipWriter::new(std::fs::File::create(candles.join("BTCUSDT-1m-2025-01.zip")).unwrap());
    zip.start_file(
        "BTCUSDT-1m-2025-01.csv",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(binance(&minutes(&UPS)).as_bytes()).unwrap();
    zip.finish().unwrap();
    let mut heavy = minutes(&UPS);
    heavy.iter_mut().for_each(|b| b.volume *= 2.0);
    write(&candles, "eth.csv", &long(&[("ETHUSDT", "1m", &heavy)]));
    write(&candles, "notes.txt", "not candles");
    let traders = dir.path().join("top.toml");
    let text =
        "name = \"Top\"\ninterval = \"1m\"\nrule = \"close > open\"\nsymbols = { top = 1 }\n";
    std::fs::write(&traders, text).unwrap();
    let run = |traders: &[&str]| {
        let mut args = vec!["backtest", "--candles", path(&candles), "--format", "csv"];
        args.extend(["--forward", "1"]);
        args.extend(traders);
        let (out, _) = ok(&args);
        let symbols: Vec<String> = out
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(1).unwrap().to_owned())
            .collect();
        symbols
    };
    assert_eq!(
        run(&["-e", "close > open"]),
        ["BTCUSDT", "ETHUSDT"].repeat(3)
    );
    // The top symbol by quote volume in the files.
    assert_eq!(run(&["--traders", path(&traders)]), ["ETHUSDT"; 3]);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let err = fails(&["backtest", "-e", "close > open", "--candles", path(&empty)]);
    assert!(err.contains("no .csv or .zip candle files"), "{err}");
}
