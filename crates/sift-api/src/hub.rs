//! The realtime hub: what the server publishes (signals, tickers, candles) fanned out to the
//! SSE connections, each of which keeps only what its caller may see and asked for.
//!
//! One bounded tokio broadcast channel carries every event, serialized to JSON once at
//! publish time. A connection that falls more than [`HUB_CAPACITY`] events behind gets a
//! `resync` event (see `stream`). Publishing never blocks and costs nothing without clients.

use std::sync::Arc;

use serde::Serialize;
use sift_core::{Candle, Interval, Symbol, Ticker, Tier};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::views::{CandleView, SignalView, TickerView};

/// Events buffered per client before it counts as lagging: a few seconds of the busiest
/// second (500 symbols closing 1m candles, tickers and a burst of signals) at once.
pub const HUB_CAPACITY: usize = 4_096;

/// Who may see a trader's signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraderVisibility {
    /// The owner of a custom trader; `None` for a built-in.
    pub owner_id: Option<i64>,
    /// For built-ins: the lowest tier that sees it (ignored for custom traders).
    pub access_tier: Tier,
}

impl TraderVisibility {
    /// A built-in trader seen from `access_tier` up.
    pub fn builtin(access_tier: Tier) -> Self {
        Self {
            owner_id: None,
            access_tier,
        }
    }

    /// A custom trader seen only by `owner_id`.
    pub fn owned_by(owner_id: i64) -> Self {
        Self {
            owner_id: Some(owner_id),
            access_tier: Tier::Elite,
        }
    }

    /// Who may see a stored trader and its signals.
    pub fn of(trader: &sift_store::Trader) -> Self {
        match trader.owner_id {
            Some(owner) => Self::owned_by(owner),
            None => Self::builtin(trader.def.access_tier.unwrap_or(Tier::Anonymous)),
        }
    }

    pub fn is_builtin(&self) -> bool {
        self.owner_id.is_none()
    }
}

/// One published event, serialized once for every client.
#[derive(Debug, Clone)]
pub(crate) enum HubEvent {
    Signal {
        id: i64,
        visibility: TraderVisibility,
        json: Arc<str>,
    },
    /// Each ticker of one update with its JSON.
    Tickers(Arc<[(Symbol, Arc<str>)]>),
    Candle {
        symbol: Symbol,
        interval: Interval,
        json: Arc<str>,
    },
}

/// The realtime fan-out. Cheap to clone; every clone publishes to the same clients.
#[derive(Debug, Clone)]
pub struct Hub {
    sender: broadcast::Sender<HubEvent>,
    shutdown: CancellationToken,
}

impl Default for Hub {
    fn default() -> Self {
        Self::new()
    }
}

impl Hub {
    /// A hub buffering [`HUB_CAPACITY`] events per client.
    pub fn new() -> Self {
        Self::with_capacity(HUB_CAPACITY)
    }

    /// A hub buffering `capacity` events per client (at least 1); tests use small ones to
    /// provoke lag.
    pub fn with_capacity(capacity: usize) -> Self {
        let (sender, _) = broadcast::channel(capacity.max(1));
        Self {
            sender,
            shutdown: CancellationToken::new(),
        }
    }

    /// Publishes a stored signal to the clients that may see it (the owner of a custom
    /// trader; for a built-in, callers of `visibility.access_tier` and up, and admins).
    pub fn publish_signal(&self, signal: &sift_store::Signal, visibility: &TraderVisibility) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let Some(json) = to_json(&SignalView::from(signal)) else {
            return;
        };
        let _ = self.sender.send(HubEvent::Signal {
            id: signal.id,
            visibility: *visibility,
            json,
        });
    }

    /// Publishes ticker updates (topic `tickers`, or `tickers:SYMBOL`).
    pub fn publish_tickers(&self, tickers: &[Ticker]) {
        if self.sender.receiver_count() == 0 || tickers.is_empty() {
            return;
        }
        let items: Vec<(Symbol, Arc<str>)> = tickers
            .iter()
            .filter_map(|t| Some((t.symbol.clone(), to_json(&TickerView::from(t))?)))
            .collect();
        let _ = self.sender.send(HubEvent::Tickers(items.into()));
    }

    /// Publishes a candle update (topic `candles:SYMBOL:INTERVAL`): the forming candle as it
    /// changes, or a candle that just `closed`.
    pub fn publish_candle(
        &self,
        symbol: &Symbol,
        interval: Interval,
        candle: &Candle,
        closed: bool,
    ) {
        if self.sender.receiver_count() == 0 {
            return;
        }
        let view = CandleEvent {
            symbol: symbol.as_str(),
            interval: interval.as_str(),
            candle: CandleView::new(candle, closed),
        };
        let Some(json) = to_json(&view) else {
            return;
        };
        let _ = self.sender.send(HubEvent::Candle {
            symbol: symbol.clone(),
            interval,
            json,
        });
    }

    /// Connected stream clients.
    pub fn client_count(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Ends every stream (on shutdown, so that open SSE connections do not hold the server).
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<HubEvent> {
        self.sender.subscribe()
    }

    pub(crate) fn shutdown_token(&self) -> &CancellationToken {
        &self.shutdown
    }
}

/// The `data:` of a `candle` event.
#[derive(Debug, Serialize)]
struct CandleEvent<'a> {
    symbol: &'a str,
    interval: &'a str,
    candle: CandleView,
}

fn to_json<T: Serialize>(value: &T) -> Option<Arc<str>> {
    match serde_json::to_string(value) {
        Ok(json) => Some(json.into()),
        Err(error) => {
            tracing::error!(error = %error, "cannot serialize a hub event");
            None
        }
    }
}
