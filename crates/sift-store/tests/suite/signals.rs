//! Signals: dedup, filters, cursor pages, catch-up.

use std::collections::HashSet;

use sift_core::Interval;
use sift_store::{SignalCursor, SignalFilter, SignalOrder};

use super::harness::Harness;
use super::{signal, sym, trader, user};

pub(crate) async fn insert_skips_duplicates(h: &Harness) {
    let store = h.store();
    let t = trader(store, None, "t").await;
    let first = store
        .insert_signals(&[
            signal(t.id, "BTCUSDT", 60_000),
            signal(t.id, "ETHUSDT", 60_000),
        ])
        .await
        .unwrap();
    assert_eq!(first.len(), 2);
    assert!(first[0].id < first[1].id);
    let btc = &first[0];
    assert_eq!(btc.symbol, sym("BTCUSDT"));
    assert_eq!(btc.interval, Interval::M1);
    assert_eq!((btc.open_time, btc.close_time), (60_000, 119_999));
    assert_eq!(btc.price, 42_000.5);
    assert_eq!(
        btc.values,
        serde_json::json!({"rsi": 28.5, "close": 42_000.5})
    );
    assert_eq!(store.get_signal(btc.id).await.unwrap().as_ref(), Some(btc));
    assert!(store.get_signal(btc.id + 1000).await.unwrap().is_none());

    // The API's JSON shape.
    let json = serde_json::to_value(btc).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "close_time",
            "created_at",
            "id",
            "interval",
            "open_time",
            "price",
            "symbol",
            "trader_id",
            "values"
        ]
    );

    // A replay of the same close inserts nothing; an overlapping batch only the new rows,
    // and a batch repeating a key inside itself stores it once.
    assert!(
        store
            .insert_signals(&[signal(t.id, "BTCUSDT", 60_000)])
            .await
            .unwrap()
            .is_empty()
    );
    let mixed = store
        .insert_signals(&[
            signal(t.id, "BTCUSDT", 60_000),
            signal(t.id, "BTCUSDT", 120_000),
            signal(t.id, "BTCUSDT", 120_000),
        ])
        .await
        .unwrap();
    assert_eq!(mixed.len(), 1);
    assert_eq!(mixed[0].open_time, 120_000);
    // Same candle, other interval or trader: distinct signals.
    let t2 = trader(store, None, "t2").await;
    let mut hourly = signal(t.id, "BTCUSDT", 60_000);
    hourly.interval = Interval::H1;
    assert_eq!(
        store
            .insert_signals(&[hourly, signal(t2.id, "BTCUSDT", 60_000)])
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(store.insert_signals(&[]).await.unwrap().is_empty());

    // Deleting a trader deletes its signals; signals of a trader deleted meanwhile are
    // skipped, not an error.
    store.delete_trader(t2.id).await.unwrap();
    let (left, _) = store
        .list_signals(&SignalFilter {
            trader_ids: Some(vec![t2.id]),
            limit: 10,
            ..SignalFilter::default()
        })
        .await
        .unwrap();
    assert!(left.is_empty());
    let kept = store
        .insert_signals(&[
            signal(t2.id, "BTCUSDT", 180_000),
            signal(t.id, "BTCUSDT", 180_000),
        ])
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].trader_id, t.id);
}

pub(crate) async fn list_filters(h: &Harness) {
    let store = h.store();
    let u = user(store, "u@example.com").await;
    let a = trader(store, Some(u.id), "a").await;
    let b = trader(store, None, "b").await;
    let mut batch = Vec::new();
    for minute in 0..10 {
        batch.push(signal(a.id, "BTCUSDT", minute * 60_000));
        batch.push(signal(b.id, "ETHUSDT", minute * 60_000));
    }
    let mut hourly = signal(b.id, "BTCUSDT", 0);
    hourly.interval = Interval::H1;
    batch.push(hourly);
    store.insert_signals(&batch).await.unwrap();

    let count = |filter: SignalFilter| async move {
        let (page, next) = store.list_signals(&filter).await.unwrap();
        assert!(next.is_none());
        page
    };
    let base = SignalFilter {
        limit: 100,
        ..SignalFilter::default()
    };
    let all = count(base.clone()).await;
    assert_eq!(all.len(), 21);
    // Newest candle first, then newest id.
    for pair in all.windows(2) {
        assert!((pair[0].open_time, pair[0].id) > (pair[1].open_time, pair[1].id));
    }
    let only_a = count(SignalFilter {
        trader_ids: Some(vec![a.id]),
        ..base.clone()
    })
    .await;
    assert!(only_a.len() == 10 && only_a.iter().all(|s| s.trader_id == a.id));
    assert!(
        count(SignalFilter {
            trader_ids: Some(vec![]),
            ..base.clone()
        })
        .await
        .is_empty()
    );
    assert!(
        count(SignalFilter {
            trader_ids: Some(vec![b.id + 1000]),
            ..base.clone()
        })
        .await
        .is_empty()
    );
    let eth = count(SignalFilter {
        symbol: Some(sym("ETHUSDT")),
        ..base.clone()
    })
    .await;
    assert!(eth.len() == 10 && eth.iter().all(|s| s.symbol == sym("ETHUSDT")));
    let hourly = count(SignalFilter {
        interval: Some(Interval::H1),
        ..base.clone()
    })
    .await;
    assert_eq!(hourly.len(), 1);
    let window = count(SignalFilter {
        trader_ids: Some(vec![a.id, b.id]),
        symbol: Some(sym("BTCUSDT")),
        interval: Some(Interval::M1),
        since: Some(2 * 60_000),
        until: Some(5 * 60_000),
        ..base.clone()
    })
    .await;
    assert_eq!(
        window.iter().map(|s| s.open_time).collect::<Vec<_>>(),
        vec![240_000, 180_000, 120_000]
    );

    // Page size is clamped to at least one row.
    let (one, next) = store
        .list_signals(&SignalFilter {
            limit: 0,
            ..base.clone()
        })
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert!(next.is_some());
}

/// Pages through `filter` with `limit` and answers every row seen.
async fn page_through(store: &dyn sift_store::Store, filter: &SignalFilter) -> Vec<i64> {
    let mut seen = Vec::new();
    let mut filter = filter.clone();
    loop {
        let (page, next) = store.list_signals(&filter).await.unwrap();
        assert!(page.len() <= filter.limit as usize);
        seen.extend(page.iter().map(|s| s.id));
        match next {
            Some(cursor) => {
                // The cursor survives a round trip through a URL.
                let text = cursor.to_string();
                filter.cursor = Some(text.parse::<SignalCursor>().unwrap());
            }
            None => return seen,
        }
        assert!(seen.len() < 10_000, "paging does not end");
    }
}

pub(crate) async fn cursor_pages_have_no_gaps_or_duplicates(h: &Harness) {
    let store = h.store();
    let traders = [
        trader(store, None, "p1").await.id,
        trader(store, None, "p2").await.id,
        trader(store, None, "p3").await.id,
    ];
    // Many rows share an open time (ties broken by id), inserted out of time order.
    let mut batch = Vec::new();
    for (i, symbol) in ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT"]
        .iter()
        .enumerate()
    {
        for minute in (0..17).rev() {
            for &t in &traders {
                batch.push(signal(t, symbol, ((minute * 7 + i as i64) % 17) * 60_000));
            }
        }
    }
    let inserted = store.insert_signals(&batch).await.unwrap();
    assert_eq!(inserted.len(), 255);

    let mut expected: Vec<(i64, i64)> = inserted.iter().map(|s| (s.open_time, s.id)).collect();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    for limit in [1, 7, 50, 254, 255, 1000] {
        let filter = SignalFilter {
            limit,
            ..SignalFilter::default()
        };
        let seen = page_through(store, &filter).await;
        assert_eq!(
            seen,
            expected.iter().map(|(_, id)| *id).collect::<Vec<_>>(),
            "limit {limit}"
        );

        let by_id = page_through(
            store,
            &SignalFilter {
                order: SignalOrder::IdDesc,
                ..filter.clone()
            },
        )
        .await;
        let mut ids: Vec<i64> = inserted.iter().map(|s| s.id).collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(by_id, ids, "limit {limit}");
    }

    // With filters, and with rows arriving between pages: no duplicates, nothing older lost.
    let filter = SignalFilter {
        trader_ids: Some(vec![traders[0], traders[2]]),
        symbol: Some(sym("SOLUSDT")),
        limit: 4,
        ..SignalFilter::default()
    };
    let (first, next) = store.list_signals(&filter).await.unwrap();
    store
        .insert_signals(&[signal(traders[0], "SOLUSDT", 99 * 60_000)])
        .await
        .unwrap();
    let rest = page_through(
        store,
        &SignalFilter {
            cursor: next,
            ..filter.clone()
        },
    )
    .await;
    let all: Vec<i64> = first.iter().map(|s| s.id).chain(rest).collect();
    assert_eq!(all.len(), 34);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 34);
    assert!("12".parse::<SignalCursor>().is_err());
    assert!("a_1".parse::<SignalCursor>().is_err());
}

pub(crate) async fn catch_up_after_id(h: &Harness) {
    let store = h.store();
    let a = trader(store, None, "a").await;
    let b = trader(store, None, "b").await;
    let mut ids = Vec::new();
    for minute in 0..6 {
        let inserted = store
            .insert_signals(&[signal(
                if minute % 2 == 0 { a.id } else { b.id },
                "BTCUSDT",
                minute,
            )])
            .await
            .unwrap();
        ids.push(inserted[0].id);
    }
    let after = store.signals_after_id(None, ids[1], 100).await.unwrap();
    assert_eq!(
        after.iter().map(|s| s.id).collect::<Vec<_>>(),
        ids[2..].to_vec()
    );
    let only_a = store.signals_after_id(Some(&[a.id]), 0, 100).await.unwrap();
    assert_eq!(
        only_a.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![ids[0], ids[2], ids[4]]
    );
    let limited = store.signals_after_id(None, 0, 2).await.unwrap();
    assert_eq!(
        limited.iter().map(|s| s.id).collect::<Vec<_>>(),
        ids[..2].to_vec()
    );
    assert!(
        store
            .signals_after_id(Some(&[]), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .signals_after_id(None, ids[5], 10)
            .await
            .unwrap()
            .is_empty()
    );
}
