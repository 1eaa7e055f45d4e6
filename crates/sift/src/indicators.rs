//! `sift indicators`: indicators over a candle file, one row per candle.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, bail};
use sift_core::{Candle, Interval, Symbol};
use sift_data::{CandleSeries, Overrides};
use sift_indicators::{DynIndicator, Spec, registry};

use crate::cli::{Format, IndicatorsArgs};

/// How many gaps are listed on stderr before the rest are only counted.
const GAPS_SHOWN: usize = 10;

pub(crate) fn run(args: &IndicatorsArgs) -> anyhow::Result<()> {
    if args.list {
        return list(&mut io::stdout().lock());
    }
    let specs = parse_specs(&args.indicators)?;
    let series = load(args)?;
    let out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(File::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => Box::new(io::stdout().lock()),
    };
    let mut table = Table::new(BufWriter::new(out), args.format, &specs)?;
    for s in &series {
        // Every spec built once in `parse_specs`, so building again cannot fail here.
        let mut built = specs
            .iter()
            .map(|(_, spec)| spec.build())
            .collect::<Result<Vec<_>, _>>()?;
        for candle in &s.candles {
            table.row(&s.symbol, candle, &mut built)?;
        }
    }
    table.finish()
}

/// Parses and builds every `--indicator` before any output is written, keeping the text as
/// written (trimmed) for the column names.
fn parse_specs(texts: &[String]) -> anyhow::Result<Vec<(String, Spec)>> {
    texts
        .iter()
        .map(|text| {
            let text = text.trim().to_owned();
            let spec = Spec::parse(&text)
                .and_then(|spec| spec.build().map(|_| spec))
                .with_context(|| format!("--indicator {text:?}"))?;
            Ok((text, spec))
        })
        .collect()
}

/// Reads the candle file and keeps the series the flags select.
fn load(args: &IndicatorsArgs) -> anyhow::Result<Vec<CandleSeries>> {
    let Some(path) = &args.candles else {
        bail!("--candles is required")
    };
    let symbol = args
        .symbol
        .as_deref()
        .map(str::parse::<Symbol>)
        .transpose()
        .context("--symbol")?;
    let interval = args
        .interval
        .as_deref()
        .map(str::parse::<Interval>)
        .transpose()
        .context("--interval")?;
    let overrides = Overrides {
        symbol: symbol.clone(),
        interval,
    };
    let file = sift_data::read_path(path, &overrides)?;
    report_gaps(&file.gaps)?;

    let series: Vec<CandleSeries> = file
        .series
        .into_iter()
        .filter(|s| symbol.as_ref().is_none_or(|want| &s.symbol == want))
        .filter(|s| interval.is_none_or(|want| s.interval == want))
        .collect();
    if series.is_empty() {
        bail!(
            "{}: no candles for the selected symbol and interval",
            path.display()
        );
    }
    let mut intervals: Vec<Interval> = Vec::new();
    for s in &series {
        if !intervals.contains(&s.interval) {
            intervals.push(s.interval);
        }
    }
    if intervals.len() > 1 {
        let list: Vec<String> = intervals.iter().map(Interval::to_string).collect();
        bail!(
            "{}: the file holds several intervals ({}); choose one with --interval",
            path.display(),
            list.join(", ")
        );
    }
    Ok(series)
}

fn report_gaps(gaps: &[sift_data::Gap]) -> io::Result<()> {
    let mut err = io::stderr().lock();
    for gap in gaps.iter().take(GAPS_SHOWN) {
        writeln!(err, "warning: {gap}")?;
    }
    if gaps.len() > GAPS_SHOWN {
        writeln!(err, "warning: {} more gaps", gaps.len() - GAPS_SHOWN)?;
    }
    Ok(())
}

fn list(out: &mut impl Write) -> anyhow::Result<()> {
    let mut category = None;
    for def in registry::all() {
        if category != Some(def.category) {
            category = Some(def.category);
            writeln!(out, "\n{}:", def.category.name())?;
        }
        let fields = if def.fields.is_empty() {
            String::new()
        } else {
            format!(" -> {}", def.fields.join(", "))
        };
        writeln!(out, "  {:<40} {}{}", def.signature(), def.summary, fields)?;
    }
    Ok(())
}

/// Writes rows as CSV or as a JSON array of objects, with the same column names.
struct Table<W: Write> {
    out: W,
    format: Format,
    columns: Vec<String>,
    /// Output values of one indicator, reused across rows.
    scratch: Vec<f64>,
    /// The indicator cells of the current row, reused across rows.
    cells: Vec<Option<f64>>,
    rows: usize,
}

impl<W: Write> Table<W> {
    fn new(mut out: W, format: Format, specs: &[(String, Spec)]) -> anyhow::Result<Self> {
        let mut columns = vec![
            "symbol".to_owned(),
            "open_time".to_owned(),
            "close".to_owned(),
        ];
        for (text, spec) in specs {
            if spec.def().fields.is_empty() {
                columns.push(text.clone());
            } else {
                columns.extend(spec.def().fields.iter().map(|f| format!("{text}.{f}")));
            }
        }
        match format {
            Format::Csv => write_csv_line(&mut out, columns.iter().map(String::as_str))?,
            Format::Json => out.write_all(b"[")?,
        }
        Ok(Self {
            out,
            format,
            columns,
            scratch: vec![0.0; 8],
            cells: Vec::new(),
            rows: 0,
        })
    }

    fn row(
        &mut self,
        symbol: &Symbol,
        candle: &Candle,
        indicators: &mut [Box<dyn DynIndicator>],
    ) -> anyhow::Result<()> {
        self.cells.clear();
        for ind in indicators.iter_mut() {
            let width = ind.fields().len().max(1);
            if self.scratch.len() < width {
                self.scratch.resize(width, 0.0);
            }
            let ready = ind.update(candle, None, &mut self.scratch[..width]);
            self.cells.extend(
                self.scratch[..width]
                    .iter()
                    .map(|&v| (ready && v.is_finite()).then_some(v)),
            );
        }
        match self.format {
            Format::Csv => {
                // Rust prints f64 as the shortest string that reads back to the same value.
                write!(self.out, "{},{},{}", symbol, candle.open_time, candle.close)?;
                for cell in &self.cells {
                    match cell {
                        Some(v) => write!(self.out, ",{v}")?,
                        None => self.out.write_all(b",")?,
                    }
                }
                self.out.write_all(b"\n")?;
            }
            Format::Json => {
                let mut object = serde_json::Map::new();
                object.insert("symbol".into(), symbol.as_str().into());
                object.insert("open_time".into(), candle.open_time.into());
                object.insert("close".into(), candle.close.into());
                for (name, cell) in self.columns[3..].iter().zip(&self.cells) {
                    object.insert(
                        name.clone(),
                        cell.map_or(serde_json::Value::Null, Into::into),
                    );
                }
                self.out
                    .write_all(if self.rows == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut self.out, &object)?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self) -> anyhow::Result<()> {
        if self.format == Format::Json {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()?;
        Ok(())
    }
}

/// One CSV line; fields holding a comma or a quote (column names like `macd(12, 26, 9).hist`)
/// are quoted.
fn write_csv_line<'a>(
    out: &mut impl Write,
    fields: impl Iterator<Item = &'a str>,
) -> io::Result<()> {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        if field.contains([',', '"', '\n']) {
            write!(out, "\"{}\"", field.replace('"', "\"\""))?;
        } else {
            out.write_all(field.as_bytes())?;
        }
    }
    out.write_all(b"\n")
}
