//! Signals and summary as one JSON object, streamed one signal per line.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::{forward_column, rounded};
use crate::{Signal, Summary};

/// Writes `{"horizons": [...], "signals": [...], "summary": [...]}`.
///
/// A signal is `{"trader", "symbol", "interval", "open_time" (epoch ms), "time" (RFC 3339),
/// "close", "fwd_<bars>"... (percent or null), "values": {reference: value}}`; a summary entry
/// is `{"trader", "signals", "horizons": [{"bars", "count", "hit_rate" (0 to 1), "mean"
/// (percent)}]}`, rates and means null without returns.
#[derive(Debug)]
pub struct JsonWriter<W: Write> {
    out: W,
    names: Vec<String>,
    horizons: Vec<u32>,
    rows: usize,
}

impl<W: Write> JsonWriter<W> {
    /// Writes the opening. `names` are the trader names by [`Signal::trader`].
    pub fn new(mut out: W, names: &[String], horizons: &[u32]) -> io::Result<Self> {
        write!(out, "{{\"horizons\":{},\"signals\":[", json!(horizons))?;
        Ok(Self {
            out,
            names: names.to_vec(),
            horizons: horizons.to_vec(),
            rows: 0,
        })
    }

    /// Writes one signal.
    pub fn row(&mut self, signal: &Signal) -> io::Result<()> {
        let mut object = Map::new();
        let name = self.names.get(signal.trader).cloned().unwrap_or_default();
        object.insert("trader".into(), name.into());
        object.insert("symbol".into(), signal.symbol.as_str().into());
        object.insert("interval".into(), signal.interval.as_str().into());
        object.insert("open_time".into(), signal.open_time.into());
        object.insert("time".into(), crate::format_time(signal.open_time).into());
        object.insert("close".into(), signal.close.into());
        for (bars, ret) in self.horizons.iter().zip(&signal.forward) {
            object.insert(forward_column(*bars), ret.map_or(Value::Null, rounded));
        }
        let values: Map<String, Value> = signal
            .values
            .iter()
            .map(|(name, value)| (name.to_string(), Value::from(value)))
            .collect();
        object.insert("values".into(), values.into());
        let separator = if self.rows == 0 { "\n" } else { ",\n" };
        self.out.write_all(separator.as_bytes())?;
        serde_json::to_writer(&mut self.out, &object)?;
        self.rows += 1;
        Ok(())
    }

    /// Writes the summary, closes the object and flushes; returns the writer.
    pub fn finish(mut self, summary: &Summary) -> io::Result<W> {
        let traders: Vec<Value> = summary
            .traders
            .iter()
            .map(|t| {
                let horizons: Vec<Value> = t
                    .horizons
                    .iter()
                    .map(|h| {
                        json!({
                            "bars": h.bars,
                            "count": h.count,
                            "hit_rate": h.hit_rate(),
                            "mean": h.mean().map(rounded),
                        })
                    })
                    .collect();
                json!({ "trader": t.name, "signals": t.signals, "horizons": horizons })
            })
            .collect();
        let newline = if self.rows == 0 { "" } else { "\n" };
        write!(self.out, "{newline}],\"summary\":")?;
        serde_json::to_writer_pretty(&mut self.out, &traders)?;
        writeln!(self.out, "}}")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {

    use sift_core::Interval;

    use super::*;

    #[test]
    fn one_object_with_signals_and_summary() {
        let names = ["rule1".to_owned()];
        let signal = Signal {
            trader: 0,
            symbol: "BTCUSDT".parse().unwrap(),
            interval: Interval::M1,
            open_time: 1_735_689_660_000,
            close: 11.0,
            forward: vec![Some(10.000000000000009), None],
            values: [("close", 11.0)].into_iter().collect(),
        };
        let mut summary = Summary::new(&names, &[1, 5]);
        summary.add(&signal);
        let mut writer = JsonWriter::new(Vec::new(), &names, &[1, 5]).unwrap();
        writer.row(&signal).unwrap();
        writer.row(&signal).unwrap();
        let text = String::from_utf8(writer.finish(&summary).unwrap()).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["horizons"], json!([1, 5]));
        assert_eq!(value["signals"].as_array().unwrap().len(), 2);
        assert_eq!(
            value["signals"][0],
            json!({
                "trader": "rule1", "symbol": "BTCUSDT", "interval": "1m",
                "open_time": 1_735_689_660_000_i64, "time": "2025-01-01T00:01:00Z", "close": 11.0,
                "fwd_1": 10.0, "fwd_5": null, "values": { "close": 11.0 },
            })
        );
        assert_eq!(
            value["summary"],
            json!([{ "trader": "rule1", "signals": 1, "horizons": [
                { "bars": 1, "count": 1, "hit_rate": 1.0, "mean": 10.0 },
                { "bars": 5, "count": 0, "hit_rate": null, "mean": null },
            ]}])
        );
    }

    #[test]
    fn no_signals_is_still_valid() {
        let summary = Summary::new(&[], &[1]);
        let writer = JsonWriter::new(Vec::new(), &[], &[1]).unwrap();
        let text = String::from_utf8(writer.finish(&summary).unwrap()).unwrap();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            json!({ "horizons": [1], "signals": [], "summary": [] })
        );
    }
}
