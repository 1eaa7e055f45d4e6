//! `sift collector`, `sift worker` and `sift api`: the cluster roles. The work is in
//! `sift-cluster`; this module parses, sets up logging and metrics, and owns the runtime.

use sift_cluster::flags::{ApiFlags, CollectorFlags, WorkerFlags};
use tokio_util::sync::CancellationToken;

use crate::serve::{environment, init_logging, runtime};

fn metrics() -> Option<metrics_exporter_prometheus::PrometheusHandle> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .ok()
}

pub(crate) fn collector(flags: &CollectorFlags) -> anyhow::Result<()> {
    let env = environment();
    let (settings, options) = flags.load(&env)?;
    init_logging(&settings);
    let metrics = metrics();
    runtime()?.block_on(async {
        let cancel = CancellationToken::new();
        tokio::spawn(sift_server::serve::shutdown_on_signals(cancel.clone()));
        sift_cluster::collector::run(settings, options, metrics, cancel, None).await
    })
}

pub(crate) fn worker(flags: &WorkerFlags) -> anyhow::Result<()> {
    let env = environment();
    let (settings, options) = flags.load(&env)?;
    init_logging(&settings);
    let metrics = metrics();
    runtime()?.block_on(async {
        let cancel = CancellationToken::new();
        tokio::spawn(sift_server::serve::shutdown_on_signals(cancel.clone()));
        sift_cluster::worker::run(settings, options, metrics, cancel, None).await
    })
}

pub(crate) fn api(flags: &ApiFlags) -> anyhow::Result<()> {
    let env = environment();
    let settings = flags.load(&env)?;
    init_logging(&settings);
    let metrics = metrics();
    runtime()?.block_on(async {
        let cancel = CancellationToken::new();
        tokio::spawn(sift_server::serve::shutdown_on_signals(cancel.clone()));
        sift_cluster::api::run(
            settings,
            flags.redis_prefix.clone(),
            &env,
            metrics,
            cancel,
            None,
        )
        .await
    })
}
