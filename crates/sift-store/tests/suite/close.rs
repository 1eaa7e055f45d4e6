//! Close processing: one transaction for signals, execution, outbox and progress.

use std::collections::HashSet;

use serde_json::json;
use sift_core::Interval;
use sift_store::{
    ChannelKind, CloseCommit, NewChannel, NewExecution, NewOutbox, NewSignal, NewTrader,
    ShardClose, SignalFilter, Store,
};

/// The wall clock in epoch ms (commit times are stamped from it).
fn wall_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap())
}

use super::harness::Harness;
use super::{def, signal, user};

fn execution(open_time: i64) -> NewExecution {
    NewExecution {
        interval: Interval::M1,
        open_time,
        traders_run: 12,
        symbols_checked: 500,
        symbols_matched: 3,
        duration_us: 1_234,
        errors: json!([{"trader_id": 1, "message": "warming up"}]),
        created_at: open_time + 60_100,
    }
}

fn outbox(s: &NewSignal, channel_id: i64) -> NewOutbox {
    NewOutbox {
        trader_id: s.trader_id,
        symbol: s.symbol.clone(),
        interval: s.interval,
        open_time: s.open_time,
        channel_id,
    }
}

async fn all_signals(store: &dyn Store) -> usize {
    store
        .list_signals(&SignalFilter {
            limit: 1000,
            ..SignalFilter::default()
        })
        .await
        .unwrap()
        .0
        .len()
}

/// A user's trader notifying one channel of theirs.
async fn trader_with_channel(store: &dyn Store) -> (i64, i64) {
    let u = user(store, "notify@example.com").await;
    let channel = store
        .create_channel(NewChannel {
            user_id: u.id,
            kind: ChannelKind::Webhook,
            name: "hook".to_owned(),
            config: json!({"url": "http://127.0.0.1:9/hook"}),
            secret: Some("s3cret".to_owned()),
            enabled: true,
        })
        .await
        .unwrap();
    let t = store
        .create_trader(NewTrader {
            owner_id: Some(u.id),
            def: def("notifying"),
            channels: vec![channel.id],
        })
        .await
        .unwrap();
    (t.id, channel.id)
}

pub(crate) async fn commit_close_writes_everything_once(h: &Harness) {
    let store = h.store();
    let (trader, channel) = trader_with_channel(store).await;
    let open = 1_700_000_040_000;
    let signals = vec![
        signal(trader, "BTCUSDT", open),
        signal(trader, "ETHUSDT", open),
    ];
    let commit = CloseCommit {
        execution: execution(open),
        outbox: signals.iter().map(|s| outbox(s, channel)).collect(),
        signals: signals.clone(),
    };
    assert_eq!(store.close_progress(Interval::M1).await.unwrap(), None);
    let inserted = store.commit_close(commit.clone()).await.unwrap();
    assert_eq!(inserted.len(), 2);
    assert_eq!(
        store.close_progress(Interval::M1).await.unwrap(),
        Some(open)
    );
    assert_eq!(store.close_progress(Interval::H1).await.unwrap(), None);

    let executions = store.list_executions(None, 10).await.unwrap();
    assert_eq!(executions.len(), 1);
    let e = &executions[0];
    assert_eq!(e.interval, Interval::M1);
    assert_eq!(e.open_time, open);
    assert_eq!(
        (e.traders_run, e.symbols_checked, e.symbols_matched),
        (12, 500, 3)
    );
    assert_eq!((e.signals, e.duration_us), (2, 1_234));
    assert_eq!(e.errors, json!([{"trader_id": 1, "message": "warming up"}]));
    assert_eq!(e.created_at, open + 60_100);

    let deliveries = store.list_deliveries(channel, 10).await.unwrap();
    assert_eq!(deliveries.len(), 2);
    let signal_ids: HashSet<i64> = inserted.iter().map(|s| s.id).collect();
    for d in &deliveries {
        assert!(signal_ids.contains(&d.signal_id.unwrap()));
        assert_eq!(d.next_attempt_at, open + 60_100, "due at the close");
        assert_eq!(d.attempts, 0);
    }

    // The same close again (a retry after a crash): no signal, no delivery twice.
    let again = store.commit_close(commit).await.unwrap();
    assert!(again.is_empty());
    assert_eq!(all_signals(store).await, 2);
    assert_eq!(store.list_deliveries(channel, 10).await.unwrap().len(), 2);
    let executions = store.list_executions(Some(Interval::M1), 10).await.unwrap();
    assert_eq!(executions.len(), 2);
    assert_eq!(
        executions[0].signals, 0,
        "newest first, counting only new signals"
    );
    assert!(
        store
            .list_executions(Some(Interval::H1), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Outbox entries for signals not in the commit, or for channels that are gone, disabled
    // or someone else's, queue nothing and fail nothing.
    let stranger = user(store, "stranger@example.com").await;
    let foreign = store
        .create_channel(NewChannel {
            user_id: stranger.id,
            kind: ChannelKind::Discord,
            name: "theirs".to_owned(),
            config: json!({}),
            secret: None,
            enabled: true,
        })
        .await
        .unwrap();
    let next = signal(trader, "BTCUSDT", open + 60_000);
    let inserted = store
        .commit_close(CloseCommit {
            execution: execution(open + 60_000),
            outbox: vec![
                outbox(&next, foreign.id),
                outbox(&next, 987_654),
                outbox(&signal(trader, "SOLUSDT", open + 60_000), channel),
            ],
            signals: vec![next],
        })
        .await
        .unwrap();
    assert_eq!(inserted.len(), 1);
    assert!(
        store
            .list_deliveries(foreign.id, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.list_deliveries(channel, 10).await.unwrap().len(), 2);
}

pub(crate) async fn commit_instant_tells_the_new_signals_once(h: &Harness) {
    let store = h.store();
    let (trader, channel) = trader_with_channel(store).await;
    let open = 1_700_000_100_000;
    let commit = |interval: Interval, symbols: &[&str]| {
        let signals: Vec<NewSignal> = symbols
            .iter()
            .map(|symbol| NewSignal {
                interval,
                ..signal(trader, symbol, open)
            })
            .collect();
        CloseCommit {
            execution: NewExecution {
                interval,
                ..execution(open)
            },
            outbox: signals.iter().map(|s| outbox(s, channel)).collect(),
            signals,
        }
    };
    let commits = vec![
        commit(Interval::M1, &["BTCUSDT", "ETHUSDT"]),
        commit(Interval::M5, &["BTCUSDT"]),
    ];
    let told = std::sync::Mutex::new(Vec::new());
    let tell = |signals: &[sift_store::Signal]| told.lock().unwrap().push(signals.to_vec());
    let inserted = store.commit_instant(commits.clone(), &tell).await.unwrap();
    assert_eq!(inserted.len(), 3);
    assert_eq!(
        told.lock().unwrap().as_slice(),
        std::slice::from_ref(&inserted)
    );
    for (interval, count) in [(Interval::M1, 2), (Interval::M5, 1)] {
        let executions = store.list_executions(Some(interval), 10).await.unwrap();
        assert_eq!(executions.len(), 1);
        assert_eq!(executions[0].signals, count);
        assert_eq!(store.close_progress(interval).await.unwrap(), Some(open));
    }
    assert_eq!(store.list_deliveries(channel, 10).await.unwrap().len(), 3);

    // Again: nothing new, nothing told.
    assert!(
        store
            .commit_instant(commits, &tell)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(told.lock().unwrap().len(), 1);
    assert_eq!(all_signals(store).await, 3);
    assert_eq!(store.list_deliveries(channel, 10).await.unwrap().len(), 3);
}

pub(crate) async fn commit_close_is_all_or_nothing(h: &Harness) {
    let store = h.store();
    let (trader, channel) = trader_with_channel(store).await;
    let s = signal(trader, "BTCUSDT", 60_000);
    let commit = CloseCommit {
        execution: execution(60_000),
        outbox: vec![outbox(&s, channel)],
        signals: vec![s],
    };
    // Break the last write of the transaction: everything before it must roll back.
    h.raw("ALTER TABLE close_progress RENAME TO close_progress_broken")
        .await;
    assert!(store.commit_close(commit.clone()).await.is_err());
    assert_eq!(all_signals(store).await, 0);
    assert!(store.list_executions(None, 10).await.unwrap().is_empty());
    assert!(store.list_deliveries(channel, 10).await.unwrap().is_empty());

    // Repaired, the retried close goes through completely.
    h.raw("ALTER TABLE close_progress_broken RENAME TO close_progress")
        .await;
    assert_eq!(store.commit_close(commit).await.unwrap().len(), 1);
    assert_eq!(
        store.close_progress(Interval::M1).await.unwrap(),
        Some(60_000)
    );
    assert_eq!(store.list_executions(None, 10).await.unwrap().len(), 1);
    assert_eq!(store.list_deliveries(channel, 10).await.unwrap().len(), 1);
}

/// Commits `commit` and, once its signals are inserted but before they commit, runs
/// `meanwhile` on another task, holding the commit back long enough for `meanwhile` to have
/// reached the database and, if it does not wait for the commit, to have finished. Returns the
/// commit's new signals and what `meanwhile` gave.
async fn while_committing<T: Send + 'static>(
    store: &dyn Store,
    commit: CloseCommit,
    meanwhile: impl Future<Output = T> + Send + 'static,
) -> (Vec<sift_store::Signal>, T) {
    let (started, start) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        start.await.unwrap();
        meanwhile.await
    });
    let started = std::sync::Mutex::new(Some(started));
    let hold = |_: &[sift_store::Signal]| {
        if let Some(started) = started.lock().unwrap().take() {
            started.send(()).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    };
    let inserted = store.commit_instant(vec![commit], &hold).await.unwrap();
    (inserted, task.await.unwrap())
}

/// A trader deleted while a commit stores its signals takes them along: the delete waits for
/// the commit (on PostgreSQL for the lock the commit holds on the trader, as signals keep no
/// foreign key there; on SQLite for the write lock) and then finds the signals to delete.
pub(crate) async fn a_trader_deleted_while_its_signals_commit_keeps_none(h: &Harness) {
    let store = h.store();
    let doomed = super::trader(store, None, "doomed").await.id;
    let kept = super::trader(store, None, "kept").await.id;
    let open = 1_700_000_160_000;
    let commit = CloseCommit {
        execution: execution(open),
        outbox: vec![],
        signals: vec![
            signal(doomed, "BTCUSDT", open),
            signal(doomed, "ETHUSDT", open),
            signal(kept, "BTCUSDT", open),
        ],
    };
    let deleter = std::sync::Arc::clone(&h.store);
    let (inserted, deleted) =
        while_committing(
            store,
            commit,
            async move { deleter.delete_trader(doomed).await },
        )
        .await;
    assert_eq!(inserted.len(), 3);
    deleted.unwrap();
    let left = store
        .list_signals(&SignalFilter {
            limit: 100,
            ..SignalFilter::default()
        })
        .await
        .unwrap()
        .0;
    assert_eq!(
        left.iter().map(|s| s.trader_id).collect::<Vec<_>>(),
        [kept],
        "no signal outlives its trader"
    );
}

/// The same close committed again while its first commit is still open (a redelivered close)
/// waits for it and then stores nothing: on PostgreSQL the plain insert meets the first
/// commit's keys and falls back to skipping them.
pub(crate) async fn a_close_committed_twice_at_once_is_stored_once(h: &Harness) {
    let store = h.store();
    let (trader, channel) = trader_with_channel(store).await;
    let open = 1_700_000_220_000;
    let signals: Vec<NewSignal> = ["BTCUSDT", "ETHUSDT"]
        .iter()
        .map(|symbol| signal(trader, symbol, open))
        .collect();
    let commit = CloseCommit {
        execution: execution(open),
        outbox: signals.iter().map(|s| outbox(s, channel)).collect(),
        signals,
    };
    let again = {
        let (store, commit) = (std::sync::Arc::clone(&h.store), commit.clone());
        async move { store.commit_close(commit).await }
    };
    let (first, second) = while_committing(store, commit, again).await;
    assert_eq!(first.len(), 2);
    assert!(
        second.unwrap().is_empty(),
        "the second commit stores nothing"
    );
    assert_eq!(all_signals(store).await, 2);
    assert_eq!(store.list_deliveries(channel, 10).await.unwrap().len(), 2);
}

pub(crate) async fn parallel_commits_of_one_close_never_duplicate(h: &Harness) {
    let store = h.store.clone();
    let (trader, channel) = trader_with_channel(store.as_ref()).await;
    let symbols = [
        "BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "ADAUSDT",
    ];
    let signals: Vec<NewSignal> = symbols
        .iter()
        .map(|symbol| signal(trader, symbol, 120_000))
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let store = store.clone();
        // Each worker sends the signals in its own order.
        let mut mine = signals.clone();
        mine.rotate_left(worker % symbols.len());
        let commit = CloseCommit {
            execution: execution(120_000),
            outbox: mine.iter().map(|s| outbox(s, channel)).collect(),
            signals: mine,
        };
        tasks.spawn(async move { store.commit_close(commit).await });
    }
    let mut ids = Vec::new();
    while let Some(result) = tasks.join_next().await {
        ids.extend(result.unwrap().unwrap().into_iter().map(|s| s.id));
    }
    assert_eq!(
        ids.len(),
        symbols.len(),
        "each signal returned to exactly one commit"
    );
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), symbols.len());
    assert_eq!(all_signals(store.as_ref()).await, symbols.len());
    assert_eq!(
        store.list_deliveries(channel, 100).await.unwrap().len(),
        symbols.len()
    );
    assert_eq!(store.list_executions(None, 100).await.unwrap().len(), 8);
}

pub(crate) async fn progress_never_goes_back(h: &Harness) {
    let store = h.store();
    for open in [300_000, 120_000, 600_000, 540_000] {
        let commit = CloseCommit {
            execution: execution(open),
            signals: vec![],
            outbox: vec![],
        };
        assert!(store.commit_close(commit).await.unwrap().is_empty());
    }
    assert_eq!(
        store.close_progress(Interval::M1).await.unwrap(),
        Some(600_000)
    );
    let mut hourly = execution(3_600_000);
    hourly.interval = Interval::H1;
    store
        .commit_close(CloseCommit {
            execution: hourly,
            signals: vec![],
            outbox: vec![],
        })
        .await
        .unwrap();
    assert_eq!(
        store.close_progress(Interval::H1).await.unwrap(),
        Some(3_600_000)
    );
    assert_eq!(
        store.close_progress(Interval::M1).await.unwrap(),
        Some(600_000)
    );
}

pub(crate) async fn shard_closes_are_recorded_with_the_commit(h: &Harness) {
    let store = h.store();
    let commit = |open: i64| CloseCommit {
        execution: execution(open),
        signals: vec![],
        outbox: vec![],
    };
    // A plain commit (serve) records no shard.
    store.commit_close(commit(60_000)).await.unwrap();
    let pairs = |rows: Vec<ShardClose>| -> Vec<(u32, i64)> {
        rows.iter().map(|r| (r.shard, r.open_time)).collect()
    };
    assert!(
        store
            .shard_closes(Interval::M1, 0)
            .await
            .unwrap()
            .is_empty()
    );
    let before = wall_ms();
    for (shard, open) in [(1, 120_000), (0, 120_000), (1, 60_000), (1, 120_000)] {
        store
            .commit_shard_closes(&[shard], &[commit(open)])
            .await
            .unwrap();
    }
    let rows = store.shard_closes(Interval::M1, 0).await.unwrap();
    assert!(rows.iter().all(|r| r.committed_at >= before));
    assert_eq!(
        pairs(rows),
        vec![(0, 120_000), (1, 60_000), (1, 120_000)],
        "once per shard and close, ordered"
    );
    assert_eq!(
        pairs(store.shard_closes(Interval::M1, 120_000).await.unwrap()),
        vec![(0, 120_000), (1, 120_000)]
    );
    assert!(
        store
            .shard_closes(Interval::H1, 0)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.close_progress(Interval::M1).await.unwrap(),
        Some(60_000),
        "the cluster's progress is its shard records"
    );
    let executions = store.list_executions(None, 100).await.unwrap().len();

    // The record is part of the commit's transaction.
    h.raw("ALTER TABLE shard_closes RENAME TO shard_closes_broken")
        .await;
    assert!(
        store
            .commit_shard_closes(&[2], &[commit(180_000)])
            .await
            .is_err()
    );
    h.raw("ALTER TABLE shard_closes_broken RENAME TO shard_closes")
        .await;
    assert_eq!(
        store.list_executions(None, 100).await.unwrap().len(),
        executions,
        "nothing of the failed commit stayed"
    );
    // Several shards and closes in one transaction.
    let mut hourly = commit(0);
    hourly.execution.interval = Interval::H1;
    store
        .commit_shard_closes(&[3, 4], &[commit(180_000), hourly])
        .await
        .unwrap();
    assert_eq!(
        pairs(store.shard_closes(Interval::M1, 180_000).await.unwrap()),
        vec![(3, 180_000), (4, 180_000)]
    );
    assert_eq!(
        pairs(store.shard_closes(Interval::H1, 0).await.unwrap()),
        vec![(3, 0), (4, 0)]
    );

    // Pruned by commit time: everything here was committed just now.
    assert_eq!(store.prune_shard_closes(0).await.unwrap(), 0);
    assert_eq!(store.prune_shard_closes(i64::MAX).await.unwrap(), 7);
    assert!(
        store
            .shard_closes(Interval::M1, 0)
            .await
            .unwrap()
            .is_empty()
    );
}
