//! The signal table as CSV, one row per signal, streamed.

use std::borrow::Cow;
use std::io::{self, Write};

use super::{COLUMNS, decimal, forward_column};
use crate::Signal;

/// Writes the header on creation, then one row per [`CsvWriter::row`]: `open_time` in epoch
/// milliseconds, `close` as read, forward returns in percent (empty where the data ended).
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: W,
    /// Trader names, quoted once.
    names: Vec<String>,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header. `names` are the trader names by [`Signal::trader`].
    pub fn new(mut out: W, names: &[String], horizons: &[u32]) -> io::Result<Self> {
        let columns = COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .chain(horizons.iter().map(|&h| forward_column(h)));
        let header: Vec<String> = columns.collect();
        writeln!(out, "{}", header.join(","))?;
        let names = names.iter().map(|n| quote(n).into_owned()).collect();
        Ok(Self { out, names })
    }

    /// Writes one signal.
    pub fn row(&mut self, signal: &Signal) -> io::Result<()> {
        let name = self.names.get(signal.trader).map_or("", String::as_str);
        write!(
            self.out,
            "{name},{},{},{},{}",
            signal.symbol, signal.interval, signal.open_time, signal.close
        )?;
        for ret in &signal.forward {
            match ret {
                Some(ret) => write!(self.out, ",{}", decimal(*ret))?,
                None => self.out.write_all(b",")?,
            }
        }
        self.out.write_all(b"\n")
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A CSV field: quoted (with quotes doubled) when it holds a comma, quote or line break.
fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}

#[cfg(test)]
mod tests {
    use sift_core::Interval;
    use sift_engine::MatchValues;

    use super::*;

    #[test]
    fn rows_follow_the_header() {
        let names = ["rule1".to_owned(), "Buy, \"dip\"".to_owned()];
        let mut csv = CsvWriter::new(Vec::new(), &names, &[1, 5]).unwrap();
        let signal = |trader, forward: Vec<Option<f64>>| Signal {
            trader,
            symbol: "BTCUSDT".parse().unwrap(),
            interval: Interval::M5,
            open_time: 1_735_689_900_000,
            close: 101.5,
            forward,
            values: MatchValues::default(),
        };
        csv.row(&signal(0, vec![Some(10.000000000000009), None]))
            .unwrap();
        csv.row(&signal(1, vec![Some(-0.25), Some(1.0 / 3.0)]))
            .unwrap();
        let text = String::from_utf8(csv.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "trader,symbol,interval,open_time,close,fwd_1,fwd_5\n\
             rule1,BTCUSDT,5m,1735689900000,101.5,10,\n\
             \"Buy, \"\"dip\"\"\",BTCUSDT,5m,1735689900000,101.5,-0.25,0.333333\n"
        );
    }
}
