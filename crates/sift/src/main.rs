//! The `sift` binary: parses the command line and hands each command to the crate that does the
//! work.

mod alloc;
mod backtest;
mod bench;
mod check;
mod cli;
mod cluster;
mod fake_binance;
mod indicators;
mod serve;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    alloc::tune();
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
