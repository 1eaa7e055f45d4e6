//! Stored traders as the engine and the stream see them.

use std::collections::HashMap;
use std::sync::Arc;

use sift_api::TraderVisibility;
use sift_core::{Interval, Symbol, Tier};
use sift_engine::{Trader, TraderId, rule_hash};
use sift_store::Trader as StoredTrader;
use sift_traders::Symbols;

/// Why a stored trader cannot run.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// Its rule no longer checks (the language changed, or the row was edited by hand).
    #[error("rule does not check: {0}")]
    Rule(String),
    #[error("trader id {0} is negative")]
    Id(i64),
}

/// The engine's trader for a stored one. `ranked` are the watched symbols by 24 h quote volume
/// (highest first), for `symbols = {top = N}`.
///
/// # Errors
/// When its rule does not check.
pub fn compile(stored: &StoredTrader, ranked: &[Symbol]) -> Result<Trader, CompileError> {
    let id = u64::try_from(stored.id).map_err(|_| CompileError::Id(stored.id))?;
    let program = stored.def.check_rule().map_err(|diagnostics| {
        CompileError::Rule(
            diagnostics
                .first()
                .map(|d| format!("{}: {}", d.code, d.message))
                .unwrap_or_default(),
        )
    })?;
    let mut trader = Trader::new(TraderId(id), stored.def.name.clone(), Arc::new(program));
    trader.interval = stored.def.interval;
    trader.rule_hash = rule_hash(&stored.def.rule);
    trader.symbols = stored.def.symbols.filter(ranked);
    trader.cooldown_bars = stored.def.cooldown_bars;
    trader.enabled = stored.def.enabled;
    Ok(trader)
}

/// `symbols` by 24 h quote volume (`volume`; no ticker counts as zero), highest first, ties
/// by name: the order that decides the members of `symbols = {top = N}` traders, in `serve`
/// and in the cluster's workers.
pub fn rank_by_volume(symbols: Vec<Symbol>, volume: impl Fn(&Symbol) -> f64) -> Vec<Symbol> {
    let mut ranked: Vec<(Symbol, f64)> = symbols
        .into_iter()
        .map(|symbol| {
            let v = volume(&symbol);
            (symbol, v)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.into_iter().map(|(symbol, _)| symbol).collect()
}

/// Who may see each running trader's signals, and where it notifies.
#[derive(Debug, Default)]
pub struct TraderBook {
    entries: HashMap<i64, Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    visibility: TraderVisibility,
    /// The close it runs on, when enabled.
    running: Option<Interval>,
    channels: Vec<i64>,
    /// N of `symbols = {top = N}`.
    top: Option<u32>,
}

impl TraderBook {
    /// Records (or replaces) a trader.
    pub fn insert(&mut self, stored: &StoredTrader) {
        let visibility = match stored.owner_id {
            Some(owner) => TraderVisibility::owned_by(owner),
            None => TraderVisibility::builtin(stored.def.access_tier.unwrap_or(Tier::Anonymous)),
        };
        self.entries.insert(
            stored.id,
            Entry {
                visibility,
                running: stored.def.enabled.then_some(stored.def.interval),
                channels: stored.channels.clone(),
                top: match stored.def.symbols {
                    Symbols::Top(n) => Some(n),
                    _ => None,
                },
            },
        );
    }

    pub fn remove(&mut self, id: i64) {
        self.entries.remove(&id);
    }

    pub fn visibility(&self, id: i64) -> Option<&TraderVisibility> {
        self.entries.get(&id).map(|e| &e.visibility)
    }

    /// How many enabled traders run on `interval` closes.
    pub fn running(&self, interval: Interval) -> usize {
        self.entries
            .values()
            .filter(|e| e.running == Some(interval))
            .count()
    }

    /// The `symbols = {top = N}` traders, with their N.
    pub fn top_n(&self) -> impl Iterator<Item = (i64, u32)> + '_ {
        self.entries
            .iter()
            .filter_map(|(&id, e)| Some((id, e.top?)))
    }

    /// The channels a trader notifies (none when unknown).
    pub fn channels(&self, id: i64) -> &[i64] {
        self.entries.get(&id).map_or(&[], |e| &e.channels)
    }
}
