//! Reading a large CSV file on every core: cut into pieces at line ends, each piece read into
//! series of its own, the pieces joined in file order.
//!
//! The result is the one the sequential reader gives, line numbers of gaps included: a piece
//! counts its lines as it is read, and its series and gaps move down by the lines before it.
//! Whatever the parallel read cannot vouch for goes back to the sequential reader, which
//! then gives the result or the first error in file order:
//! - a piece that fails (its error might not be the file's first),
//! - a series that goes backwards or repeats a candle where two pieces meet,
//! - a file with a quote character anywhere, since a quoted field may hold a line end (no
//!   candle file quotes its numbers; a quoted header is read sequentially).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use rayon::prelude::*;

use crate::Error;
use crate::name::NameHints;
use crate::reader::{Format, Overrides, Rows, read_csv};
use crate::series::{CandleFile, Grouper};

/// Files smaller than this are read sequentially: a piece costs a file handle, a thread hop
/// and a join, worth it only for tens of thousands of rows.
const MIN_BYTES: u64 = 4 << 20;

/// Pieces per thread, so that a thread held up elsewhere delays less than its share.
const PIECES_PER_THREAD: u64 = 2;

/// Reads the CSV file `file` at `path` (named `name` in errors), in parallel when it is large
/// and the pool has several threads.
pub(crate) fn read_file(
    name: &str,
    path: &Path,
    file: File,
    hints: NameHints,
    overrides: &Overrides,
) -> Result<CandleFile, Error> {
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let threads = rayon::current_num_threads() as u64;
    if len >= MIN_BYTES && threads > 1 {
        if let Ok(Some(read)) = read_pieces(
            name,
            path,
            len,
            threads * PIECES_PER_THREAD,
            hints.clone(),
            overrides,
        ) {
            return Ok(read);
        }
    }
    read_csv(name, hints, file, overrides)
}

/// The file read in `pieces` pieces, or `None` when the sequential reader must decide (see
/// the module documentation); an IO error also sends it there, to be reported.
fn read_pieces(
    name: &str,
    path: &Path,
    len: u64,
    pieces: u64,
    hints: NameHints,
    overrides: &Overrides,
) -> io::Result<Option<CandleFile>> {
    let bounds = piece_bounds(path, len, pieces)?;
    // The format, from the first row.
    let format = {
        let mut rows = Rows::new(name, File::open(path)?);
        match Format::detect(&mut rows, hints, overrides) {
            Ok(format) => format,
            Err(_) => return Ok(None),
        }
    };
    let read: Vec<Option<(Grouper, u64)>> = bounds
        .par_windows(2)
        .enumerate()
        .map(|(i, range)| read_piece(name, path, &format, i == 0, range[0], range[1]))
        .collect::<io::Result<_>>()?;
    let mut pieces = read.into_iter();
    let Some(Some((mut file, mut lines))) = pieces.next() else {
        return Ok(None);
    };
    for piece in pieces {
        let Some((mut grouper, newlines)) = piece else {
            return Ok(None);
        };
        grouper.shift_lines(lines);
        if file.append(grouper, name).is_err() {
            return Ok(None);
        }
        lines += newlines;
    }
    Ok((!file.is_empty()).then(|| file.finish()))
}

/// The series of the bytes `start..end` of the file, which begin a line, and the number of
/// line ends among them; `None` when they fail to read or hold a quote. The first piece holds
/// the first row, which [`Format::detect`] read.
fn read_piece(
    name: &str,
    path: &Path,
    format: &Format,
    first: bool,
    start: u64,
    end: u64,
) -> io::Result<Option<(Grouper, u64)>> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let mut rows = Rows::new(name, Scan::new(file.take(end - start)));
    let grouper = if first {
        rows.advance()
            .and_then(|_| format.read(&mut rows, format.at_data()))
    } else {
        format.read(&mut rows, false)
    };
    let scan = rows.into_inner();
    if scan.quoted {
        return Ok(None);
    }
    Ok(grouper.ok().map(|g| (g, scan.newlines)))
}

/// `pieces + 1` offsets from 0 to `len`, each but the ends just after a line end: where the
/// pieces start and end. Fewer when lines are longer than pieces.
fn piece_bounds(path: &Path, len: u64, pieces: u64) -> io::Result<Vec<u64>> {
    let mut bounds = vec![0];
    let mut reader = BufReader::new(File::open(path)?);
    let mut skipped = Vec::new();
    for i in 1..pieces {
        // The first line end at or after the byte before the target.
        let from = (len * i / pieces).saturating_sub(1);
        reader.seek(SeekFrom::Start(from))?;
        skipped.clear();
        let bound = from + reader.read_until(b'\n', &mut skipped)? as u64;
        if bound < len && bound > *bounds.last().unwrap_or(&0) {
            bounds.push(bound);
        }
    }
    bounds.push(len);
    Ok(bounds)
}

/// A reader that counts the line ends it passes on and notes a quote character.
#[derive(Debug)]
struct Scan<R> {
    inner: R,
    newlines: u64,
    quoted: bool,
}

impl<R> Scan<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            newlines: 0,
            quoted: false,
        }
    }
}

impl<R: Read> Read for Scan<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = &buf[..n];
        self.newlines += read.iter().filter(|&&b| b == b'\n').count() as u64;
        self.quoted |= read.contains(&b'"');
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    const MINUTE: i64 = 60_000;

    /// A long-format file of `symbols` symbols x `bars` 1m candles, rows interleaved by time,
    /// without the bars in `missing` (symbol index, bar).
    fn long_file(symbols: usize, bars: i64, missing: &[(usize, i64)]) -> String {
        let mut text = String::from("symbol,interval,open_time,open,high,low,close,volume\n");
        for bar in 0..bars {
            for s in 0..symbols {
                if !missing.contains(&(s, bar)) {
                    let t = 1_735_689_600_000 + bar * MINUTE;
                    writeln!(text, "S{s}USDT,1m,{t},1,2,0.5,1.5,{bar}").unwrap();
                }
            }
        }
        text
    }

    fn binance_file(bars: i64, header: bool) -> String {
        let mut text = String::new();
        if header {
            text.push_str(
                "open_time,open,high,low,close,volume,close_time,quote_volume,count,\
                           taker_buy_volume,taker_buy_quote_volume,ignore\n",
            );
        }
        for bar in (0..bars).filter(|b| b % 7 != 3) {
            let t = 1_735_689_600_000 + bar * MINUTE;
            let close = t + MINUTE - 1;
            writeln!(text, "{t},1,2,0.5,1.5,10,{close},15,3,5,7,0").unwrap();
        }
        text
    }

    /// The file `text` named `name`, read sequentially and in `pieces` pieces.
    fn both(
        name: &str,
        text: &str,
        pieces: u64,
    ) -> (Result<CandleFile, Error>, Option<CandleFile>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let hints = NameHints::from_name(name);
        let overrides = Overrides::default();
        let sequential = read_csv(name, hints.clone(), text.as_bytes(), &overrides);
        let len = text.len() as u64;
        let parallel = read_pieces(name, &path, len, pieces, hints, &overrides).unwrap();
        (sequential, parallel)
    }

    #[test]
    fn pieces_read_what_the_sequential_reader_reads() {
        let missing = [(0, 3), (2, 40), (2, 41), (1, 79), (0, 99)];
        let cases = [
            ("long.csv", long_file(3, 100, &missing)),
            ("BTCUSDT-1m-2025-01.csv", binance_file(200, true)),
            ("BTCUSDT-1m-2025-01.csv", binance_file(200, false)),
        ];
        for (name, text) in &cases {
            for pieces in [1, 2, 3, 7, 64] {
                let (sequential, parallel) = both(name, text, pieces);
                let sequential = sequential.unwrap();
                assert!(!sequential.gaps.is_empty());
                assert_eq!(parallel.as_ref(), Some(&sequential), "{name} in {pieces}");
            }
        }
    }

    #[test]
    fn what_pieces_cannot_vouch_for_goes_back_to_the_sequential_reader() {
        let good = long_file(2, 50, &[]);
        let lines: Vec<&str> = good.lines().collect();
        // A candle repeated at the end, a bad number late in the file, a quote.
        let repeated = format!("{}\n{}\n", lines.join("\n"), lines[1]);
        let bad = good.replacen(
            "S1USDT,1m,1735692540000,1,",
            "S1USDT,1m,1735692540000,x,",
            1,
        );
        let quoted = good.replacen("S0USDT,1m,1735689600000", "\"S0USDT\",1m,1735689600000", 1);
        for text in [&repeated, &bad] {
            let (sequential, parallel) = both("long.csv", text, 4);
            assert!(sequential.is_err());
            assert_eq!(parallel, None);
        }
        // Three rows of one length, the last a repeat, in three pieces of a row each.
        let row = |t: i64| format!("{t},1,2,0.5,1.5,10,{},15,3,5,7,0\n", t + MINUTE - 1);
        let t = 1_735_689_600_000;
        let text = [row(t), row(t + MINUTE), row(t + MINUTE)].concat();
        let (sequential, parallel) = both("BTCUSDT-1m-2025-01.csv", &text, 3);
        assert!(matches!(sequential, Err(Error::Duplicate { line: 3, .. })));
        assert_eq!(parallel, None);
        let (sequential, parallel) = both("long.csv", &quoted, 4);
        assert!(sequential.is_ok());
        assert_eq!(parallel, None);
    }

    #[test]
    fn piece_bounds_follow_line_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        // Lines end at 4, 7, 18 and 20; the pieces would start at 5, 10 and 15.
        std::fs::write(&path, "aaaa\nbb\ncccccccccc\nd\n").unwrap();
        assert_eq!(piece_bounds(&path, 21, 4).unwrap(), [0, 5, 19, 21]);
        assert_eq!(piece_bounds(&path, 21, 1).unwrap(), [0, 21]);
        std::fs::write(&path, "one long line without an end").unwrap();
        assert_eq!(piece_bounds(&path, 28, 3).unwrap(), [0, 28]);
    }
}
