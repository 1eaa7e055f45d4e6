//! The pruning job: executions and signals older than the configured ages.

use std::sync::Arc;
use std::time::Duration;

use sift_store::Store;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::settings::RetentionSettings;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Prunes at start and then every `interval_s` until `cancel`.
pub async fn run(
    store: Arc<dyn Store>,
    settings: RetentionSettings,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let every = Duration::from_secs(settings.interval_s.max(60));
    loop {
        let now = crate::now_ms();
        let executions = now - i64::from(settings.executions_days) * DAY_MS;
        let signals = now - i64::from(settings.signals_days) * DAY_MS;
        match store.prune(executions, signals).await {
            Ok((0, 0)) => {}
            Ok((executions, signals)) => info!(executions, signals, "pruned"),
            Err(err) => warn!(error = %err, "pruning failed"),
        }
        tokio::select! {
            () = cancel.cancelled() => return Ok(()),
            () = tokio::time::sleep(every) => {}
        }
    }
}
