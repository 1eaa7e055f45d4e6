//! The `sift` binary: parses the command line and hands each command to the crate that does the
//! work.

mod backtest;
mod bench;
mod check;
mod cli;
mod cluster;
mod fake_binance;
mod indicators;
mod serve;

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(flags) => serve::run(&flags),
        Command::Collector(flags) => cluster::collector(&flags),
        Command::Worker(flags) => cluster::worker(&flags),
        Command::Api(flags) => cluster::api(&flags),
        Command::Migrate(flags) => serve::migrate(&flags),
        Command::User(command) => serve::user(&command),
        Command::DefaultConfig => serve::default_config(),
        Command::FakeBinance(args) => fake_binance::run(&args),
        Command::Indicators(args) => indicators::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Backtest(args) => backtest::run(&args),
        Command::Bench(cli::BenchCommand::Engine(args)) => bench::engine(&args),
        Command::Bench(cli::BenchCommand::Serve(args)) => bench::serve(&args),
        Command::Bench(cli::BenchCommand::Cluster(args)) => bench::cluster(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Broken pipes (`sift indicators ... | head`) are not errors worth a message.
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// With glibc, a thread that finds the allocator busy gets an arena of its own (up to eight per
/// core), and memory freed in one arena is not reused by another: `sift serve`'s resident memory
/// varied from 380 to 670 MB between identical runs (threads allocate at once during the
/// backfill, in the engine's pool, in the store's connection threads). Two arenas kept it at the
/// low end, at no cost in speed that the benchmarks could show. glibc reads the limit only when a
/// process starts, so the process starts itself again with it (once: the variable is then set,
/// and a user's own setting is kept). Other C libraries ignore the variable.
fn limit_malloc_arenas() {
    const VAR: &str = "MALLOC_ARENA_MAX";
    if std::env::var_os(VAR).is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let mut command = std::process::Command::new(exe);
    if let Some(arg0) = args.next() {
        command.arg0(arg0);
    }
    // Returns only when the exec failed: then run with the default arenas.
    let _ = command.args(args).env(VAR, "2").exec();
}
