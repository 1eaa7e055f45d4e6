//! Aligned text tables for people: the signals, then the summary.

use std::io::{self, Write};

use super::{COLUMNS, forward_column};
use crate::{Signal, Summary};

/// Writes one line per signal under a header: times in RFC 3339, forward returns in percent
/// with two decimals and a sign, `-` where the data ended. Writes `no signals` when there are
/// none.
pub fn write_signals(
    out: &mut impl Write,
    names: &[String],
    horizons: &[u32],
    signals: &[Signal],
) -> io::Result<()> {
    if signals.is_empty() {
        return writeln!(out, "no signals");
    }
    let mut header: Vec<String> = COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    header.extend(horizons.iter().map(|&h| forward_column(h)));
    let mut grid = Grid::new(header, COLUMNS.len() - 1);
    for s in signals {
        let mut row = vec![
            names.get(s.trader).cloned().unwrap_or_default(),
            s.symbol.to_string(),
            s.interval.to_string(),
            crate::format_time(s.open_time),
            s.close.to_string(),
        ];
        row.extend(
            s.forward
                .iter()
                .map(|r| r.map_or("-".to_owned(), |r| format!("{r:+.2}"))),
        );
        grid.push(row);
    }
    grid.write(out)
}

/// Writes one line per trader: signals, then hit rate (share of positive returns) and mean
/// return per horizon, `-` without returns.
pub fn write_summary(out: &mut impl Write, summary: &Summary) -> io::Result<()> {
    let mut header = vec!["trader".to_owned(), "signals".to_owned()];
    for h in &summary.horizons {
        header.push(format!("hit_{h}"));
        header.push(format!("mean_{h}"));
    }
    let mut grid = Grid::new(header, 1);
    for t in &summary.traders {
        let mut row = vec![t.name.clone(), t.signals.to_string()];
        for h in &t.horizons {
            row.push(
                h.hit_rate()
                    .map_or("-".to_owned(), |r| format!("{:.1}%", r * 100.0)),
            );
            row.push(h.mean().map_or("-".to_owned(), |m| format!("{m:+.2}%")));
        }
        grid.push(row);
    }
    grid.write(out)
}

/// Rows of cells padded to their column's width, two spaces apart; the first `left` columns
/// aligned left (text), the others right (numbers).
struct Grid {
    rows: Vec<Vec<String>>,
    left: usize,
}

impl Grid {
    fn new(header: Vec<String>, left: usize) -> Self {
        Self {
            rows: vec![header],
            left,
        }
    }

    fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                let cells = self.rows.iter().filter_map(|r| r.get(i));
                cells.map(|c| c.chars().count()).max().unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(i, (cell, &width))| {
                    if i < self.left {
                        format!("{cell:<width$}")
                    } else {
                        format!("{cell:>width$}")
                    }
                })
                .collect();
            writeln!(out, "{}", cells.join("  ").trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sift_core::Interval;
    use sift_engine::MatchValues;

    use super::*;

    fn text(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn signals_line_up() {
        let names = ["rule1".to_owned(), "Volume Spike".to_owned()];
        let signal = |trader, close, forward| Signal {
            trader,
            symbol: "BTCUSDT".parse().unwrap(),
            interval: Interval::M1,
            open_time: 1_735_689_660_000,
            close,
            forward,
            values: MatchValues::default(),
        };
        let signals = [
            signal(0, 11.0, vec![Some(9.0909), None]),
            signal(1, 1234.5, vec![Some(-0.5), Some(12.0)]),
        ];
        let got = text(|out| write_signals(out, &names, &[1, 20], &signals));
        assert_eq!(
            got,
            "trader        symbol   interval  open_time              close  fwd_1  fwd_20\n\
             rule1         BTCUSDT  1m        2025-01-01T00:01:00Z      11  +9.09       -\n\
             Volume Spike  BTCUSDT  1m        2025-01-01T00:01:00Z  1234.5  -0.50  +12.00\n"
        );
        assert_eq!(
            text(|out| write_signals(out, &names, &[1], &[])),
            "no signals\n"
        );
    }

    #[test]
    fn summary_lines_up() {
        let names = ["rule1".to_owned(), "rule2".to_owned()];
        let mut summary = Summary::new(&names, &[1]);
        let mut signal = Signal {
            trader: 0,
            symbol: "BTCUSDT".parse().unwrap(),
            interval: Interval::M1,
            open_time: 0,
            close: 1.0,
            forward: vec![Some(1.5)],
            values: MatchValues::default(),
        };
        summary.add(&signal);
        signal.forward = vec![Some(-0.5)];
        summary.add(&signal);
        summary.add(&signal);
        let got = text(|out| write_summary(out, &summary));
        assert_eq!(
            got,
            "trader  signals  hit_1  mean_1\n\
             rule1         3  33.3%  +0.17%\n\
             rule2         0      -       -\n"
        );
    }
}
