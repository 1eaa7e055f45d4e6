//! `sift serve`: everything in one process.
//!
//! The server arrives with the market-data and `sift serve` issues. Until then this command says
//! what it will run and what the build offers today, and exits.

use std::io::Write;

use crate::cli::ServeArgs;

pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "sift serve will run the collector, engine, store, API and web UI on http://{}.\n\
         This build does not contain the server yet. Available today:\n  \
         sift indicators --candles FILE --indicator 'rsi(14)'   compute indicators over a candle file\n  \
         sift indicators --list                                 list every indicator\n  \
         sift check traders/builtin                             check trader files or a rule (-e)\n  \
         sift backtest --traders DIR --candles FILE             replay candle files through traders\n  \
         sift bench engine                                      measure the engine on a synthetic market",
        args.listen
    )?;
    Ok(())
}
