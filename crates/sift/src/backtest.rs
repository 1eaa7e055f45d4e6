//! `sift backtest`: reads trader and candle files, replays them (`sift_backtest`) and writes
//! the signals and the summary.
//!
//! Standard output holds only the requested output; diagnostics, warnings about gaps in the
//! files, notes and (with `--format csv`) the summary go to standard error.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use sift_backtest::output::{CsvWriter, JsonWriter, write_signals, write_summary};
use sift_backtest::{Backtest, Market, Options, Origin, Signal};
use sift_core::{Interval, Symbol};
use sift_data::Overrides;
use sift_engine::{MatchValues, SignalMode, Trader, TraderId};
use sift_rules::{CheckOptions, Diagnostic, NodeKind, Program};
use sift_traders::Symbols;

use crate::cli::{BacktestArgs, BacktestFormat, BacktestMode};

/// How many gaps are listed on stderr before the rest are only counted.
const GAPS_SHOWN: usize = 10;

/// A trader to run, before its rule is checked.
struct Candidate {
    name: String,
    /// How diagnostics name it: the file, or `rule1`... for `--rule`.
    file: String,
    rule: String,
    interval: Interval,
    symbols: Symbols,
    cooldown_bars: u32,
}

/// A trader whose rule checked, before its symbol selection is resolved against the files.
struct Checked {
    name: String,
    program: Program,
    symbols: Symbols,
    cooldown_bars: u32,
}

pub(crate) fn run(args: &BacktestArgs) -> anyhow::Result<()> {
    let options = options(args)?;
    let mut err = io::stderr().lock();
    let checked = check(candidates(args, &mut err)?, &mut err)?;
    let market = load_market(args, &mut err)?;
    let traders = resolve(checked, &market);
    let backtest = Backtest::new(&market, traders, options)?;
    note_skipped_spans(&mut err, &backtest)?;
    drop(err);
    let names = backtest.traders().to_vec();
    let horizons = horizons(&args.forward);
    write(backtest, &names, &horizons, args.format)
}

/// Notes the aggregated series that lack candles inside the data (the partial first and last
/// spans of a file are expected and not noted).
fn note_skipped_spans(err: &mut impl Write, backtest: &Backtest<'_>) -> io::Result<()> {
    let skipped: Vec<String> = backtest
        .feeds()
        .iter()
        .filter_map(|feed| match feed.origin {
            Origin::Aggregated { from, incomplete } if incomplete > 0 => Some(format!(
                "note: {} {}: {incomplete} span(s) lack some {from} candles; no {} candle was \
                 built for them",
                feed.symbol, feed.interval, feed.interval
            )),
            _ => None,
        })
        .collect();
    for note in skipped.iter().take(GAPS_SHOWN) {
        writeln!(err, "{note}")?;
    }
    if skipped.len() > GAPS_SHOWN {
        let more = skipped.len() - GAPS_SHOWN;
        writeln!(err, "note: {more} more series with skipped spans")?;
    }
    Ok(())
}

/// The `--rule` rules, named `rule1`, `rule2`..., or the enabled traders of the `--traders`
/// files (disabled ones are noted on `err`).
fn candidates(args: &BacktestArgs, err: &mut impl Write) -> anyhow::Result<Vec<Candidate>> {
    let mut out = Vec::new();
    if args.traders.is_empty() {
        let interval: Interval = args.interval.parse().context("--interval")?;
        for (i, rule) in args.rules.iter().enumerate() {
            let name = format!("rule{}", i + 1);
            out.push(Candidate {
                file: name.clone(),
                name,
                rule: rule.clone(),
                interval,
                symbols: Symbols::All,
                cooldown_bars: 0,
            });
        }
    }
    for path in &args.traders {
        for (file, def) in sift_traders::load_dir(path)? {
            if !def.enabled {
                writeln!(err, "note: {file}: {} is disabled; skipped", def.name)?;
                continue;
            }
            out.push(Candidate {
                name: def.name,
                file,
                rule: def.rule,
                interval: def.interval,
                symbols: def.symbols,
                cooldown_bars: def.cooldown_bars,
            });
        }
    }
    Ok(out)
}

/// Checks every rule, rendering diagnostics to `err`; any error stops the command after all
/// are shown.
fn check(candidates: Vec<Candidate>, err: &mut impl Write) -> anyhow::Result<Vec<Checked>> {
    let mut checked = Vec::new();
    let mut failed = Vec::new();
    for c in candidates {
        match sift_rules::check(&c.rule, &CheckOptions::new(c.interval)) {
            Ok(program) => {
                report(err, &c.name, &c.file, &c.rule, &program)?;
                checked.push(Checked {
                    name: c.name,
                    program,
                    symbols: c.symbols,
                    cooldown_bars: c.cooldown_bars,
                });
            }
            Err(diagnostics) => {
                render(err, &c.file, &c.rule, &diagnostics)?;
                failed.push(c.file);
            }
        }
    }
    if !failed.is_empty() {
        bail!("the rule of {} does not check", failed.join(", "));
    }
    Ok(checked)
}

/// Writes a checked rule's warnings, and a note when it reads ticker values.
fn report(
    err: &mut impl Write,
    name: &str,
    file: &str,
    rule: &str,
    program: &Program,
) -> io::Result<()> {
    render(err, file, rule, &program.warnings)?;
    if program
        .nodes
        .iter()
        .any(|n| matches!(n.kind, NodeKind::Ticker(_)))
    {
        writeln!(
            err,
            "note: {name} reads 24 h ticker values, which candle files do not hold: they are \
             undefined in a backtest, so comparisons with them are false (and their negations, \
             such as `not (price > 5)`, true)"
        )?;
    }
    Ok(())
}

fn render(
    err: &mut impl Write,
    file: &str,
    rule: &str,
    diagnostics: &[Diagnostic],
) -> io::Result<()> {
    for d in diagnostics {
        writeln!(err, "{}", d.render(rule, file))?;
    }
    Ok(())
}

/// Reads every candle file, keeps the `--symbols`, and warns about gaps in what is kept.
fn load_market(args: &BacktestArgs, err: &mut impl Write) -> anyhow::Result<Market> {
    let mut market = Market::new();
    let mut gaps = Vec::new();
    for path in candle_files(&args.candles)? {
        let file = sift_data::read_path(&path, &Overrides::default())?;
        gaps.extend(file.gaps);
        for series in file.series {
            market.add(series)?;
        }
    }
    if !args.symbols.is_empty() {
        let symbols = args
            .symbols
            .iter()
            .map(|s| s.trim().parse::<Symbol>())
            .collect::<Result<Vec<_>, _>>()
            .context("--symbols")?;
        market.retain_symbols(&symbols)?;
    }
    let kept = market.symbols();
    gaps.retain(|gap| kept.contains(&gap.symbol));
    for gap in gaps.iter().take(GAPS_SHOWN) {
        writeln!(err, "warning: {gap}")?;
    }
    if gaps.len() > GAPS_SHOWN {
        writeln!(err, "warning: {} more gaps", gaps.len() - GAPS_SHOWN)?;
    }
    Ok(market)
}

/// The `--candles` paths with each directory replaced by its `.csv` and `.zip` files, sorted.
fn candle_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found = Vec::new();
        let entries = path
            .read_dir()
            .with_context(|| format!("{}: cannot read the directory", path.display()))?;
        for entry in entries {
            let file = entry
                .with_context(|| format!("{}: cannot read the directory", path.display()))?
                .path();
            if file.is_file() && is_candle_file(&file) {
                found.push(file);
            }
        }
        if found.is_empty() {
            bail!("{}: no .csv or .zip candle files", path.display());
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

fn is_candle_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("zip"))
}

/// Engine traders numbered in the order given; `{ top = N }` selects from the symbols ranked
/// by quote volume in the files.
fn resolve(checked: Vec<Checked>, market: &Market) -> Vec<Trader> {
    let ranked = if checked.iter().any(|c| matches!(c.symbols, Symbols::Top(_))) {
        // Candle files carry no 24 h ranking as of each bar; say so, since ranking on the whole
        // file uses data from after the signals.
        let _ = writeln!(
            io::stderr(),
            "note: {{ top = N }} picks the symbols with the most quote volume over the whole \
             files, which includes data from after each signal"
        );
        market.ranked_by_quote_volume()
    } else {
        Vec::new()
    };
    checked
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            Trader::new(TraderId(i as u64), c.name, Arc::new(c.program))
                .with_symbols(c.symbols.filter(&ranked))
                .with_cooldown(c.cooldown_bars)
        })
        .collect()
}

fn options(args: &BacktestArgs) -> anyhow::Result<Options> {
    let time = |text: &Option<String>, flag: &'static str| {
        text.as_deref()
            .map(sift_backtest::parse_time)
            .transpose()
            .context(flag)
    };
    let from = time(&args.from, "--from")?;
    let to = time(&args.to, "--to")?;
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        return Err(sift_backtest::Error::EmptyWindow.into());
    }
    let mode = match args.mode {
        BacktestMode::Edge => SignalMode::Edge,
        BacktestMode::Level => SignalMode::Level,
    };
    Ok(Options {
        mode,
        from,
        to,
        horizons: horizons(&args.forward),
    })
}

/// The `--forward` horizons without repeats, in the order given.
fn horizons(given: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(given.len());
    for &h in given {
        if !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

/// Replays and writes in the chosen format; CSV and JSON stream each signal as it comes.
fn write(
    backtest: Backtest<'_>,
    names: &[String],
    horizons: &[u32],
    format: BacktestFormat,
) -> anyhow::Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    match format {
        BacktestFormat::Csv => {
            let mut csv = CsvWriter::new(&mut out, names, horizons)?;
            let summary = backtest.run(|s| csv.row(s))?;
            csv.finish()?;
            write_summary(&mut io::stderr().lock(), &summary)?;
        }
        BacktestFormat::Json => {
            let mut json = JsonWriter::new(&mut out, names, horizons)?;
            let summary = backtest.run(|s| json.row(s))?;
            json.finish(&summary)?;
        }
        BacktestFormat::Table => {
            let mut signals = Vec::new();
            let summary = backtest.run(|s| {
                // The referenced values are not shown in the table.
                signals.push(Signal {
                    symbol: s.symbol.clone(),
                    forward: s.forward.clone(),
                    values: MatchValues::default(),
                    ..*s
                });
                io::Result::Ok(())
            })?;
            write_signals(&mut out, names, horizons, &signals)?;
            writeln!(out)?;
            write_summary(&mut out, &summary)?;
        }
        BacktestFormat::Summary => {
            let summary = backtest.run(|_| io::Result::Ok(()))?;
            write_summary(&mut out, &summary)?;
        }
    }
    out.flush()?;
    Ok(())
}
