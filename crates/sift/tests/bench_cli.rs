//! `sift bench engine` on a tiny market: one JSON object with every figure.

use std::process::Command;

use serde_json::Value;

fn bench(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["bench", "engine"])
        .args(args)
        .output()
        .expect("the sift binary runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).expect("one JSON object")
}

#[test]
fn a_small_run_reports_every_figure() {
    let args = [
        "--symbols",
        "5",
        "--traders",
        "10",
        "--candles",
        "200",
        "--threads",
        "2",
        "--seed",
        "3",
    ];
    let report = bench(&args);
    let int = |key: &str| {
        report[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {report}"))
    };
    let float = |key: &str| {
        report[key]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {report}"))
    };
    assert_eq!(int("symbols"), 5);
    assert_eq!(int("traders"), 10);
    assert_eq!(int("threads"), 2);
    assert_eq!(int("seed"), 3);
    assert_eq!(int("candles_per_symbol"), 200);
    assert_eq!(int("closes"), 200);
    assert_eq!(int("evaluations"), 10 * 5 * 200);
    // 200 1m candles per symbol, plus any 5m (40) and 15m (13) candles the rules read.
    let candles = int("candles");
    assert!([1_000, 1_200, 1_065, 1_265].contains(&candles), "{candles}");
    assert!(int("indicator_instances") >= int("plan_indicators"));
    assert!(int("plan_nodes") > 0 && int("file_bytes") > 0);
    let wall = float("wall_seconds");
    let parts = float("read_seconds") + float("compile_seconds") + float("replay_seconds");
    assert!(wall > 0.0 && (wall - parts).abs() < 1e-3, "{report}");
    assert!(float("process_seconds") <= float("replay_seconds"));
    assert!(float("evaluations_per_second") > 0.0);
    let (p50, p99) = (float("close_latency_p50_ms"), float("close_latency_p99_ms"));
    assert!(0.0 < p50 && p50 <= p99 && p99 <= float("close_latency_max_ms"));
    if cfg!(target_os = "linux") {
        assert!(float("peak_memory_mb") > 0.0);
    }
    // The market, the traders and so the signals depend on the seed alone.
    let again = bench(&args);
    for key in [
        "signals",
        "indicator_instances",
        "plan_nodes",
        "candles",
        "file_bytes",
    ] {
        assert_eq!(again[key], report[key], "{key}");
    }
}

#[test]
fn zero_symbols_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["bench", "engine", "--symbols", "0"])
        .output()
        .expect("the sift binary runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1"));
}

/// `sift bench serve` on a tiny market: the server, its clients and the exchange's child
/// process start, measure and stop; the report has every section.
#[test]
fn a_small_serve_run_reports_latency_throughput_and_memory() {
    let out = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(["bench", "serve", "--symbols", "5", "--traders", "10"])
        .args(["--clients", "2", "--closes", "2", "--history", "200"])
        .args([
            "--history-days",
            "1",
            "--speed",
            "120",
            "--api-seconds",
            "0.5",
        ])
        .output()
        .expect("the sift binary runs");
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(report["symbols"], 5);
    assert_eq!(report["traders"], 10);
    assert_eq!(report["clients"], 2);
    let latency = &report["latency"];
    assert_eq!(latency["closes"], 2);
    for key in [
        "p50_ms",
        "p99_ms",
        "max_ms",
        "deliveries",
        "missed",
        "resyncs",
    ] {
        assert!(latency.get(key).is_some(), "latency.{key}: {report}");
    }
    assert_eq!(latency["client_errors"], 0, "{report}");
    // Every stored signal of the measured closes reached the clients that may see it.
    assert_eq!(
        latency["deliveries"], latency["deliveries_expected"],
        "{report}"
    );
    assert_eq!(report["per_close"].as_array().map(Vec::len), Some(2));
    for stage in ["gather", "evaluate", "commit", "publish"] {
        assert!(
            report["stages_ms"].get(stage).is_some(),
            "{stage}: {report}"
        );
    }
    for phase in ["api", "api_admin", "api_paused"] {
        let api = &report[phase];
        assert!(
            api["requests"].as_u64().is_some_and(|n| n > 0),
            "{phase}: {report}"
        );
        assert!(api["requests_per_second"].as_f64().is_some_and(|r| r > 0.0));
        assert!(api["p99_ms"].as_f64().is_some());
    }
    let memory = &report["memory"];
    // 5 symbols x 200 1m candles, plus the closes since the backfill within the store's margin
    // for the engine (`sift_server::store_history::WARM_MARGIN`); the longer intervals hold
    // what one day of history gives.
    let held = memory["candles_held"]["1m"].as_u64().unwrap_or_default();
    let margin = 5 * sift_server::store_history::WARM_MARGIN as u64;
    assert!((1_000..=1_000 + margin).contains(&held), "{report}");
    assert!(memory["candles_held_total"].as_u64() <= memory["candles_full"].as_u64());
    if cfg!(target_os = "linux") {
        assert!(memory["peak_mb"].as_f64().is_some_and(|mb| mb > 0.0));
    }
}
