//! Trader changes and the execution switch reaching every worker: loaded from the store at
//! start, then applied as the api instances announce them on `sift:traders` (within a
//! second); after a lost subscription everything is reloaded, so no change is missed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use parking_lot::Mutex;
use sift_server::Evaluator;
use sift_server::traders::compile;
use sift_store::Store;
use sift_traders::Symbols;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::entry::TraderMessage;
use crate::keys::ClusterKeys;
use crate::process::Traders;

/// Wait before subscribing again after a failure.
const RESUBSCRIBE: Duration = Duration::from_millis(500);

/// What the change listener updates.
#[derive(Debug, Clone)]
pub struct Shared {
    pub store: Arc<dyn Store>,
    pub evaluator: Evaluator,
    pub traders: Arc<Mutex<Traders>>,
    pub paused: Arc<AtomicBool>,
}

impl Shared {
    /// Loads every stored trader into the engine and reads the switch; how many run.
    ///
    /// # Errors
    /// When the store or the engine fails.
    pub async fn load_all(&self) -> anyhow::Result<usize> {
        let stored = self
            .store
            .list_traders(&sift_store::TraderFilter::default())
            .await?;
        let mut compiled = Vec::with_capacity(stored.len());
        let mut traders = Traders {
            ranked: self.traders.lock().ranked.clone(),
            ..Traders::default()
        };
        for trader in &stored {
            match compile(trader, &traders.ranked) {
                Ok(engine) => {
                    traders.book.insert(trader);
                    traders.compiled.insert(trader.id, engine.clone());
                    if matches!(trader.def.symbols, Symbols::Top(_)) {
                        traders.top.insert(trader.id, trader.clone());
                    }
                    compiled.push(engine);
                }
                Err(err) => warn!(trader = trader.id, error = %err, "trader skipped"),
            }
        }
        let running = compiled.iter().filter(|t| t.enabled).count();
        self.evaluator.set_traders(compiled).await??;
        *self.traders.lock() = traders;
        let paused = sift_server::bootstrap::paused(self.store.as_ref()).await?;
        self.paused.store(paused, Ordering::SeqCst);
        Ok(running)
    }

    /// Applies one announced change.
    ///
    /// # Errors
    /// When the store or the engine fails.
    pub async fn apply(&self, message: TraderMessage) -> anyhow::Result<()> {
        match message {
            TraderMessage::Paused { .. } => {
                let paused = sift_server::bootstrap::paused(self.store.as_ref()).await?;
                self.paused.store(paused, Ordering::SeqCst);
                info!(paused, "execution switch");
            }
            TraderMessage::Removed { id } => self.remove(id).await?,
            TraderMessage::Changed { id } => match self.store.get_trader(id).await? {
                None => self.remove(id).await?,
                Some(stored) => {
                    let engine = {
                        let mut traders = self.traders.lock();
                        let engine = compile(&stored, &traders.ranked)?;
                        traders.book.insert(&stored);
                        traders.compiled.insert(id, engine.clone());
                        if matches!(stored.def.symbols, Symbols::Top(_)) {
                            traders.top.insert(id, stored);
                        } else {
                            traders.top.remove(&id);
                        }
                        engine
                    };
                    self.evaluator.upsert(engine).await??;
                }
            },
        }
        Ok(())
    }

    async fn remove(&self, id: i64) -> anyhow::Result<()> {
        {
            let mut traders = self.traders.lock();
            traders.book.remove(id);
            traders.compiled.remove(&id);
            traders.top.remove(&id);
        }
        self.evaluator
            .remove(sift_engine::TraderId(u64::try_from(id)?))
            .await??;
        Ok(())
    }
}

/// Listens on `sift:traders` until `cancel`; after every (re)subscription everything is
/// reloaded, since changes made while unsubscribed were not heard.
pub async fn listen(
    client: redis::Client,
    keys: ClusterKeys,
    shared: Shared,
    cancel: CancellationToken,
) {
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            pubsub.subscribe(keys.traders()).await?;
            redis::RedisResult::Ok(pubsub)
        }
        .await;
        match subscribed {
            Ok(mut pubsub) => {
                match shared.load_all().await {
                    Ok(n) => info!(traders = n, "traders loaded"),
                    Err(err) => warn!(error = %format!("{err:#}"), "trader reload failed"),
                }
                let mut messages = pubsub.on_message();
                loop {
                    let message = tokio::select! {
                        () = cancel.cancelled() => return,
                        message = messages.next() => message,
                    };
                    let Some(message) = message else { break };
                    let payload: String = message.get_payload().unwrap_or_default();
                    match serde_json::from_str::<TraderMessage>(&payload) {
                        Ok(change) => {
                            if let Err(err) = shared.apply(change).await {
                                warn!(?change, error = %format!("{err:#}"), "trader change not applied");
                            }
                        }
                        Err(err) => warn!(error = %err, "malformed trader message"),
                    }
                }
                warn!("trader change subscription lost");
            }
            Err(err) => {
                warn!(error = %err, "subscribing to trader changes failed");
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(RESUBSCRIBE) => {}
        }
    }
}
