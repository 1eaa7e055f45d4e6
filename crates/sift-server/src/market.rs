//! The market settings as the collector's configuration.

use std::time::Duration;

use anyhow::{Context, bail};
use sift_binance::{RestConfig, StreamConfig};
use sift_core::Symbol;
use sift_market::{MarketConfig, SourceConfig, Universe};
use sift_sim::LiveConfig;

use crate::settings::{MarketSettings, MarketSource};

/// The collector's configuration and source for these settings.
///
/// # Errors
/// An invalid symbol, a replay without files, or a non-positive speed.
pub fn collector_config(market: &MarketSettings) -> anyhow::Result<(MarketConfig, SourceConfig)> {
    let universe = if market.symbols.is_empty() {
        Universe::Top(market.top)
    } else {
        let symbols = market
            .symbols
            .iter()
            .map(|text| {
                text.trim()
                    .to_ascii_uppercase()
                    .parse::<Symbol>()
                    .map_err(|_| anyhow::anyhow!("market.symbols: `{text}` is not a symbol"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Universe::List(symbols)
    };
    let mut config = MarketConfig::new(universe);
    config.intervals.clone_from(&market.intervals);
    config.history = market.history;
    config.universe_refresh = Duration::from_secs(market.universe_refresh_s.max(1));
    config.top_margin = market.top_margin;
    let config = config.validate().context("market settings")?;

    if !(market.speed.is_finite() && market.speed > 0.0) {
        bail!(
            "market.speed must be a positive number, not {}",
            market.speed
        );
    }
    let source = match market.source {
        MarketSource::Binance => SourceConfig::Binance {
            rest: RestConfig {
                base_url: market.binance.rest_url.clone(),
                ..RestConfig::default()
            },
            streams: StreamConfig {
                base_url: market.binance.ws_url.clone(),
                ..StreamConfig::default()
            },
        },
        MarketSource::Sim => SourceConfig::Sim {
            live: LiveConfig {
                seed: market.sim.seed,
                symbols: market.sim.symbols,
                ..LiveConfig::default()
            },
            speed: market.speed,
            start_ms: None,
        },
        MarketSource::Replay => {
            if market.candles.is_empty() {
                bail!("--market replay needs candle files: --candles PATH (or market.candles)");
            }
            SourceConfig::Replay {
                paths: market.candles.clone(),
                speed: market.speed,
            }
        }
    };
    Ok((config, source))
}
