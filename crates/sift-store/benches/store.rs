//! Store speed on SQLite: one page of 50 signals from 100k with the API's filters, and one
//! close commit of 50 signals.
//!
//! `cargo bench -p sift-store --bench store -- --warm-up-time 1 --measurement-time 3`

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use sift_core::{Interval, Symbol};
use sift_store::{
    CloseCommit, NewExecution, NewSignal, NewTrader, SignalCursor, SignalFilter, SqliteStore, Store,
};
use sift_traders::{Symbols, TraderDef};
use tokio::runtime::Runtime;

const TRADERS: i64 = 20;
const SYMBOLS: i64 = 100;
const CLOSES: i64 = 50;
const MINUTE: i64 = 60_000;
const PAGE: u32 = 50;

fn symbol(i: i64) -> Symbol {
    format!("S{i:03}USDT").parse().expect("valid symbol")
}

fn new_signal(trader_id: i64, symbol: Symbol, open_time: i64) -> NewSignal {
    NewSignal {
        trader_id,
        symbol,
        interval: Interval::M1,
        open_time,
        close_time: open_time + MINUTE - 1,
        price: 101.25,
        values: json!({"rsi": 28.4, "ema_200": 99.8, "volume": 123_456.0}),
        created_at: open_time + MINUTE,
    }
}

/// A store in a temporary directory with TRADERS x SYMBOLS x CLOSES = 100k signals.
async fn populated(dir: &tempfile::TempDir) -> (Arc<dyn Store>, Vec<i64>) {
    let path = dir.path().join("bench.db");
    let store = SqliteStore::open(path.to_str().expect("utf-8 path"))
        .await
        .expect("open");
    store.migrate().await.expect("migrate");
    let mut traders = Vec::new();
    for i in 0..TRADERS {
        let def = TraderDef {
            name: format!("trader {i}"),
            description: String::new(),
            interval: Interval::M1,
            rule: "rsi(14) < 30".to_owned(),
            symbols: Symbols::All,
            cooldown_bars: 0,
            enabled: true,
            category: None,
            tags: vec![],
            access_tier: None,
        };
        let trader = store
            .create_trader(NewTrader {
                owner_id: None,
                def,
                channels: vec![],
            })
            .await
            .expect("trader");
        traders.push(trader.id);
    }
    for close in 0..CLOSES {
        let batch: Vec<NewSignal> = traders
            .iter()
            .flat_map(|&t| (0..SYMBOLS).map(move |s| new_signal(t, symbol(s), close * MINUTE)))
            .collect();
        store.insert_signals(&batch).await.expect("insert");
    }
    (Arc::new(store), traders)
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, traders) = rt.block_on(populated(&dir));
    let visible: Vec<i64> = traders.iter().copied().step_by(2).collect();

    let mut group = c.benchmark_group("list_signals_100k");
    let cases = [
        ("newest", SignalFilter::default()),
        (
            "visible_traders",
            SignalFilter {
                trader_ids: Some(visible.clone()),
                ..SignalFilter::default()
            },
        ),
        (
            "one_trader_since",
            SignalFilter {
                trader_ids: Some(vec![traders[3]]),
                since: Some(10 * MINUTE),
                ..SignalFilter::default()
            },
        ),
        (
            "visible_traders_symbol",
            SignalFilter {
                trader_ids: Some(visible.clone()),
                symbol: Some(symbol(42)),
                interval: Some(Interval::M1),
                ..SignalFilter::default()
            },
        ),
        (
            "deep_cursor",
            SignalFilter {
                trader_ids: Some(visible),
                cursor: Some(SignalCursor {
                    open_time: 25 * MINUTE,
                    id: 50_000,
                }),
                ..SignalFilter::default()
            },
        ),
    ];
    for (name, filter) in cases {
        let filter = SignalFilter {
            limit: PAGE,
            ..filter
        };
        group.bench_function(name, |b| {
            b.iter(|| {
                let (page, _) = rt.block_on(store.list_signals(&filter)).expect("list");
                assert_eq!(page.len(), PAGE as usize);
            });
        });
    }
    group.finish();

    // Each iteration commits a new close: 50 signals (5 traders x 10 symbols), and a busy one
    // of 2,000 (20 traders x 100 symbols).
    let next_close = AtomicI64::new(CLOSES);
    for (trader_count, symbol_count) in [(5_usize, 10_i64), (20, 100)] {
        let name = format!("commit_close_{}", trader_count as i64 * symbol_count);
        c.bench_function(&name, |b| {
            b.iter(|| {
                let open_time = next_close.fetch_add(1, Ordering::Relaxed) * MINUTE;
                let signals: Vec<NewSignal> = traders[..trader_count]
                    .iter()
                    .flat_map(|&t| {
                        (0..symbol_count).map(move |s| new_signal(t, symbol(s), open_time))
                    })
                    .collect();
                let expected = signals.len();
                let commit = CloseCommit {
                    execution: NewExecution {
                        interval: Interval::M1,
                        open_time,
                        traders_run: TRADERS,
                        symbols_checked: SYMBOLS,
                        symbols_matched: symbol_count,
                        duration_us: 900,
                        errors: json!([]),
                        created_at: open_time + MINUTE,
                    },
                    signals,
                    outbox: vec![],
                };
                let inserted = rt.block_on(store.commit_close(commit)).expect("commit");
                assert_eq!(inserted.len(), expected);
            });
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
