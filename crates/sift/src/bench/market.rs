//! The benchmark's market: synthetic 1m candles written to a long-format CSV file, read back
//! as `sift backtest` reads files, and the longer intervals the traders need aggregated from
//! them as the backtest does.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use sift_core::{Candle, Interval, Symbol};
use sift_data::Overrides;
use sift_engine::CloseBatch;

/// Header of the long-format file: every column of a candle.
const HEADER: &str = "symbol,open_time,close_time,open,high,low,close,volume,quote_volume,\
                      trades,taker_buy_volume,taker_buy_quote_volume";

/// Writes `bars` 1m candles of every symbol of `market` to `path`; returns the file's size.
pub(crate) fn write_csv(
    market: &sift_sim::Market,
    bars: usize,
    path: &Path,
) -> anyhow::Result<u64> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "{HEADER}")?;
    for index in 0..market.symbols {
        let symbol = market.symbol(index);
        for c in market.walk(index).take(bars) {
            writeln!(
                out,
                "{symbol},{},{},{},{},{},{},{},{},{},{},{}",
                c.open_time,
                c.close_time,
                c.open,
                c.high,
                c.low,
                c.close,
                c.volume,
                c.quote_volume,
                c.trades,
                c.taker_buy_volume,
                c.taker_buy_quote_volume
            )?;
        }
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(std::fs::metadata(path)?.len())
}

/// The candles of one symbol: 1m as read, then each longer interval.
#[derive(Debug)]
pub(crate) struct SymbolCandles {
    pub(crate) symbol: Symbol,
    pub(crate) series: Vec<(Interval, Vec<Candle>)>,
}

/// Reads the file written by [`write_csv`] and adds the `longer` intervals, aggregated from 1m
/// on UTC boundaries (complete spans only).
pub(crate) fn read(path: &Path, longer: &[Interval]) -> anyhow::Result<Vec<SymbolCandles>> {
    let overrides = Overrides {
        interval: Some(Interval::M1),
        ..Overrides::default()
    };
    let file = sift_data::read_path(path, &overrides)
        .with_context(|| format!("reading {}", path.display()))?;
    file.series
        .into_iter()
        .map(|series| {
            let mut all = Vec::with_capacity(longer.len() + 1);
            for &interval in longer {
                let built =
                    sift_backtest::aggregate::aggregate(series.interval, &series.candles, interval)
                        .with_context(|| {
                            format!("{interval} cannot be built from {}", series.interval)
                        })?;
                all.push((interval, built.candles));
            }
            all.insert(0, (series.interval, series.candles));
            Ok(SymbolCandles {
                symbol: series.symbol,
                series: all,
            })
        })
        .collect()
}

/// The batches of a replay, one per 1m close, each with every candle (any symbol, any interval)
/// that closes at that instant, built one at a time.
#[derive(Debug)]
pub(crate) struct Replay<'a> {
    market: &'a [SymbolCandles],
    /// Next candle of each series, parallel to `market[i].series`.
    cursors: Vec<Vec<usize>>,
}

impl<'a> Replay<'a> {
    pub(crate) fn new(market: &'a [SymbolCandles]) -> Self {
        let cursors = market.iter().map(|s| vec![0; s.series.len()]).collect();
        Self { market, cursors }
    }

    /// The batch of the next 1m close (the earliest close among the first series' next
    /// candles), or `None` at the end.
    pub(crate) fn next_batch(&mut self) -> Option<CloseBatch> {
        let instant = self
            .market
            .iter()
            .zip(&self.cursors)
            .filter_map(|(s, cursor)| s.series.first()?.1.get(cursor[0]))
            .map(|c| c.close_time)
            .min()?;
        let mut batch = CloseBatch::new();
        for (s, cursor) in self.market.iter().zip(&mut self.cursors) {
            for ((interval, candles), next) in s.series.iter().zip(cursor.iter_mut()) {
                while let Some(c) = candles.get(*next).filter(|c| c.close_time <= instant) {
                    batch.push(s.symbol.clone(), *interval, *c);
                    *next += 1;
                }
            }
        }
        Some(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_candles_read_back_exactly_and_replay_by_instant() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("market.csv");
        let market = sift_sim::Market::new(4, 3);
        let bytes = write_csv(&market, 40, &path).unwrap();
        assert!(bytes > 0);
        let read = read(&path, &[Interval::M5, Interval::M15]).unwrap();
        assert_eq!(read.len(), 3);
        for (i, s) in read.iter().enumerate() {
            assert_eq!(s.symbol, market.symbol(i));
            assert_eq!(s.series[0].1, market.candles(i, 40));
            assert_eq!(s.series[1].1.len(), 8);
            assert_eq!(s.series[2].1.len(), 2);
        }
        let mut replay = Replay::new(&read);
        let batches: Vec<CloseBatch> = std::iter::from_fn(|| replay.next_batch()).collect();
        assert_eq!(batches.len(), 40);
        // 1m only, then 1m and 5m at minute 5, and all three at minute 15.
        assert_eq!(batches[0].candles.len(), 3);
        assert_eq!(batches[4].candles.len(), 6);
        assert_eq!(batches[14].candles.len(), 9);
        let total: usize = batches.iter().map(|b| b.candles.len()).sum();
        assert_eq!(total, 3 * (40 + 8 + 2));
        for b in &batches {
            let instant = b.candles[0].2.close_time;
            assert!(b.candles.iter().all(|(_, _, c)| c.close_time == instant));
        }
    }
}
