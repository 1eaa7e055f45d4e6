//! Loads the synthetic golden markets written by `scripts/golden/generate.py`.
//!
//! Shared by `tests/golden.rs` and `tests/properties.rs`.

use std::fs;
use std::path::{Path, PathBuf};

use sift_core::Candle;

/// One synthetic market: its name (the file stem) and its candles in order.
#[derive(Debug, Clone)]
pub(crate) struct Market {
    pub(crate) name: String,
    pub(crate) candles: Vec<Candle>,
}

/// `crates/sift-indicators/tests/golden`.
pub(crate) fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("golden")
}

/// Every market under `candles/`, sorted by name so reports are stable.
pub(crate) fn markets() -> Vec<Market> {
    let dir = golden_dir().join("candles");
    let mut paths: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
                .path()
        })
        .filter(|p| p.extension().is_some_and(|ext| ext == "csv"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no candle files in {}", dir.display());
    paths
        .iter()
        .map(|path| Market {
            name: path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            candles: read_candles(path),
        })
        .collect()
}

/// Parses a Binance 12-column kline CSV (no header, millisecond times).
pub(crate) fn read_candles(path: &Path) -> Vec<Candle> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let mut candles = Vec::new();
    for (row, record) in reader.records().enumerate() {
        let record = record.unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), row + 1));
        assert_eq!(
            record.len(),
            12,
            "{}:{}: expected 12 columns",
            path.display(),
            row + 1
        );
        let field = |i: usize| &record[i];
        let real = |i: usize| -> f64 {
            field(i).parse().unwrap_or_else(|e| {
                panic!(
                    "{}:{} column {}: {:?}: {e}",
                    path.display(),
                    row + 1,
                    i + 1,
                    field(i)
                )
            })
        };
        let int = |i: usize| -> i64 {
            field(i).parse().unwrap_or_else(|e| {
                panic!(
                    "{}:{} column {}: {:?}: {e}",
                    path.display(),
                    row + 1,
                    i + 1,
                    field(i)
                )
            })
        };
        let candle = Candle {
            open_time: int(0),
            open: real(1),
            high: real(2),
            low: real(3),
            close: real(4),
            volume: real(5),
            close_time: int(6),
            quote_volume: real(7),
            trades: u64::try_from(int(8)).unwrap_or_else(|e| panic!("trades: {e}")),
            taker_buy_volume: real(9),
            taker_buy_quote_volume: real(10),
            closed: true,
        };
        assert!(
            candle.low <= candle.open.min(candle.close)
                && candle.open.max(candle.close) <= candle.high,
            "{}:{}: invalid candle {candle:?}",
            path.display(),
            row + 1
        );
        candles.push(candle);
    }
    candles
}
