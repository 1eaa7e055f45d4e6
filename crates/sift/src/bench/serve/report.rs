//! The benchmark's JSON report: the figures gathered by the phases, and the targets
//! next to them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use sift_candles::CandleStore;
use sift_engine::EngineStats;

use super::INTERVALS;
use super::clients::{ClientReport, Delivery, Measured, Reference};
use super::histogram::{Histogram, ms};
use super::load::LoadReport;
use super::profile::Profile;
use super::setup::Readiness;
use crate::cli::{BenchAudience, BenchServeArgs};

/// The targets of the issue (section 8, Speed).
const LATENCY_P99_TARGET_MS: f64 = 50.0;
const LISTING_TARGET_PER_SECOND: f64 = 2_000.0;
const MEMORY_TARGET_MB: f64 = 500.0;
/// The stages of a close, in order, as `per_close` names them (`<stage>_ms`); `commit`
/// overlaps `fan_out` (signals are published once they have ids, while they are written).
const STAGES: [&str; 8] = [
    "frame_delay",
    "gather",
    "prepare",
    "evaluate",
    "assign",
    "publish",
    "fan_out",
    "commit",
];

/// The process's memory and the candles held.
#[derive(Debug)]
pub(super) struct Memory {
    pub(super) peak_mb: Option<f64>,
    pub(super) rss_mb: Option<f64>,
    pub(super) ready_rss_mb: Option<f64>,
    /// Closed candles in the candle store per interval, over every symbol.
    pub(super) held: BTreeMap<&'static str, usize>,
}

/// Everything the report is made of.
#[derive(Debug)]
pub(super) struct Figures<'a> {
    pub(super) args: &'a BenchServeArgs,
    pub(super) symbols: usize,
    pub(super) traders: usize,
    pub(super) start_seconds: Duration,
    pub(super) ready: Readiness,
    pub(super) reports: &'a [ClientReport],
    pub(super) window: &'a Measured,
    pub(super) reference: &'a Reference,
    pub(super) profile: &'a Profile,
    pub(super) api: &'a LoadReport,
    pub(super) api_admin: &'a LoadReport,
    pub(super) api_paused: &'a LoadReport,
    pub(super) memory: Memory,
    pub(super) engine: Option<EngineStats>,
}

pub(super) fn build(f: &Figures<'_>) -> Value {
    let args = f.args;
    let engine = f.engine.as_ref();
    let rows = per_close(f.reports, f.window, f.reference, f.profile);
    json!({
        "symbols": f.symbols,
        "intervals": INTERVALS.iter().map(|i| i.as_str()).collect::<Vec<_>>(),
        "traders": f.traders,
        "traders_running": engine.map(|e| e.traders),
        "clients": args.clients,
        "audience": match args.audience {
            BenchAudience::Owners => "owners",
            BenchAudience::Everyone => "everyone",
        },
        "seed": args.seed,
        "speed": args.speed,
        "history": args.history,
        "history_days": args.history_days,
        "setup": {
            "server_start_seconds": secs(f.start_seconds),
            "backfill_seconds": secs(f.ready.backfilled),
            "ready_seconds": secs(f.ready.caught_up),
        },
        "latency": latency(f.reports, f.window),
        "stages_ms": stages(&rows),
        "per_close": rows,
        "api": listing(f.api, args.api_clients),
        "api_admin": listing(f.api_admin, args.api_clients),
        "api_paused": listing(f.api_paused, args.api_clients),
        "memory": {
            "peak_mb": f.memory.peak_mb,
            "rss_mb": f.memory.rss_mb,
            "ready_rss_mb": f.memory.ready_rss_mb,
            "candles_held": f.memory.held,
            "candles_held_total": f.memory.held.values().sum::<usize>(),
            "candles_full": f.symbols * INTERVALS.len() * args.history,
            "engine_stored_candles": engine.map(|e| e.stored_candles),
            "indicator_instances": engine.map(|e| e.indicators),
            "target_mb": MEMORY_TARGET_MB,
        },
    })
}

/// The signal listing figures.
fn listing(load: &LoadReport, clients: usize) -> Value {
    let failed: BTreeMap<String, u64> = load
        .failed
        .iter()
        .map(|(status, n)| (status.to_string(), *n))
        .collect();
    json!({
        "clients": clients,
        "seconds": secs(Duration::from_secs_f64(load.seconds)),
        "requests": load.ok,
        "failed": failed,
        "requests_per_second": (load.ok as f64 / load.seconds).round(),
        "p50_ms": load.latency.quantile_ms(0.50),
        "p99_ms": load.latency.quantile_ms(0.99),
        "max_ms": load.latency.max_ms(),
        "target_per_second": LISTING_TARGET_PER_SECOND,
    })
}

/// The latency percentiles over every client, and what the clients counted.
fn latency(reports: &[ClientReport], window: &Measured) -> Value {
    let mut all = Histogram::default();
    for r in reports {
        all.merge(&r.latency);
    }
    let errors: Vec<&str> = reports.iter().filter_map(|r| r.error.as_deref()).collect();
    json!({
        "closes": window.instants().count(),
        "deliveries": all.count(),
        "p50_ms": all.quantile_ms(0.50),
        "p99_ms": all.quantile_ms(0.99),
        "max_ms": all.max_ms(),
        "mean_ms": all.mean_ms(),
        "target_p99_ms": LATENCY_P99_TARGET_MS,
        "signal_events": reports.iter().map(|r| r.signals).sum::<u64>(),
        "resyncs": reports.iter().map(|r| r.resyncs).sum::<u64>(),
        "unwitnessed": reports.iter().map(|r| r.unwitnessed).sum::<u64>(),
        "client_errors": errors.len(),
        "first_client_error": errors.first(),
    })
}

/// One row per measured close: where its time went.
fn per_close(
    reports: &[ClientReport],
    window: &Measured,
    reference: &Reference,
    profile: &Profile,
) -> Vec<Value> {
    window
        .instants()
        .map(|instant| {
            let mut delivery = Delivery::default();
            for r in reports {
                if let Some(d) = r.per_close.get(&instant) {
                    delivery.merge(d);
                }
            }
            let (received, _) = reference.received_us(instant);
            let frame_delay = received - reference.clock.wall_us(instant);
            let timing = profile.close(instant);
            let delivered = (delivery.count > 0).then_some(delivery);
            json!({
                "close": instant,
                "signals": timing.map(|t| t.signals),
                "passes": timing.map(|t| t.passes),
                "frame_delay_ms": ms(frame_delay),
                "gather_ms": timing.map(|t| ms(t.started_us - received)),
                "prepare_ms": timing.map(|t| ms(t.prepare_us)),
                "evaluate_ms": timing.map(|t| ms(t.evaluate_us)),
                "assign_ms": timing.map(|t| ms(t.assign_us)),
                "publish_ms": timing.map(|t| ms(t.publish_us)),
                "fan_out_ms": timing.zip(delivered)
                    .map(|(t, d)| ms(received + d.max_us - t.published_us())),
                "commit_ms": timing.map(|t| ms(t.commit_us)),
                "delivered": delivery.count,
                "latency_mean_ms": delivered.map(|d| ms(d.sum_us / d.count as i64)),
                "latency_max_ms": delivered.map(|d| ms(d.max_us)),
            })
        })
        .collect()
}

/// The median and the largest of each stage over the closes.
fn stages(rows: &[Value]) -> Value {
    let mut out = serde_json::Map::new();
    for stage in STAGES {
        let mut values: Vec<f64> = rows
            .iter()
            .filter_map(|r| r[format!("{stage}_ms")].as_f64())
            .collect();
        values.sort_by(f64::total_cmp);
        let median = values.get(values.len().saturating_sub(1) / 2).copied();
        out.insert(
            stage.to_owned(),
            json!({"p50": median, "max": values.last()}),
        );
    }
    Value::Object(out)
}

/// Closed candles held per interval, over every symbol.
pub(super) fn candles_held(
    store: &dyn CandleStore,
) -> anyhow::Result<BTreeMap<&'static str, usize>> {
    let mut held = BTreeMap::new();
    for symbol in store.symbols()? {
        for interval in INTERVALS {
            *held.entry(interval.as_str()).or_default() += store.len(&symbol, interval)?;
        }
    }
    Ok(held)
}

/// Seconds with millisecond precision.
pub(super) fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e3).round() / 1e3
}
