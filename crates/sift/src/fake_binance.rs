//! `sift fake-binance`: the Binance-compatible fake server of `sift-test-support` on a
//! simulated market, for manual tests and demos (`sift serve --binance-rest-url ...`).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use anyhow::Context;
use clap::Args;
use sift_test_support::fake::{FakeBinance, FakeConfig};

/// Arguments of `sift fake-binance`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sift fake-binance --port 9443 --symbols 50 --speed 60\n  \
    sift serve --binance-rest-url http://127.0.0.1:9443 --binance-ws-url ws://127.0.0.1:9443\n  \
    curl -X POST localhost:9443/fake/faults -d '{\"disconnect_all\": true}'")]
pub(crate) struct FakeBinanceArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 9443)]
    pub(crate) port: u16,
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: IpAddr,
    /// Symbols of the simulated market.
    #[arg(long, default_value_t = 50)]
    pub(crate) symbols: usize,
    /// Market clock speed, times real time.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) speed: f64,
    /// Seed of the simulated market.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Days of history before the start (REST serves at most 1,500 candles per interval).
    #[arg(long, default_value_t = 30)]
    pub(crate) history_days: i64,
}

pub(crate) fn run(args: &FakeBinanceArgs) -> anyhow::Result<()> {
    if !(args.speed.is_finite() && args.speed > 0.0) {
        anyhow::bail!("--speed must be a positive number");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let config = FakeConfig {
            symbols: args.symbols,
            seed: args.seed,
            speed: args.speed,
            history_minutes: args.history_days.max(0) * 24 * 60,
            ..FakeConfig::default()
        };
        let addr = SocketAddr::new(args.host, args.port);
        let server = FakeBinance::start_on(config, addr)
            .await
            .with_context(|| format!("starting the fake Binance server on {addr}"))?;
        writeln!(
            std::io::stdout(),
            "fake Binance: REST {} WebSocket {} (faults: POST {}/fake/faults); Ctrl-C stops",
            server.rest_url(),
            server.ws_url(),
            server.rest_url()
        )?;
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        server.shutdown().await;
        Ok(())
    })
}
