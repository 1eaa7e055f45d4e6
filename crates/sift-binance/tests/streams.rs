//! The stream client against a small in-test server: pings, silence, server close, rollover,
//! `serverShutdown`, spreading streams, control-message and connection-attempt limits,
//! malformed frames, refused subscriptions, shutdown.

mod ws_server;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sift_binance::{StreamConfig, StreamEvent, StreamHandle, spawn_streams};
use sift_test_support::wait_until;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use ws_server::{ServerCmd, WsServer, kline_frame};

const WAIT: Duration = Duration::from_secs(10);
const DATA_EVERY: Duration = Duration::from_millis(50);

/// Polls `condition` until it holds (10 s at most).
async fn eventually(condition: impl Fn() -> bool) -> bool {
    wait_until(WAIT, || {
        let holds = condition();
        async move { holds }
    })
    .await
}

fn config(server: &WsServer) -> StreamConfig {
    StreamConfig {
        base_url: server.url.clone(),
        silence_timeout: Duration::from_secs(5),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(100),
        connect_timeout: Duration::from_secs(2),
        ..StreamConfig::default()
    }
}

fn streams(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// A running client with every event it reported.
struct Client {
    handle: StreamHandle,
    events: Arc<Mutex<Vec<StreamEvent>>>,
    cancel: CancellationToken,
    task: JoinHandle<()>,
    collector: JoinHandle<()>,
}

impl Client {
    fn start(config: StreamConfig) -> Self {
        let cancel = CancellationToken::new();
        let (handle, mut rx, task) = spawn_streams(config, cancel.clone());
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        let collector = tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                sink.lock().expect("events lock").push(event);
            }
        });
        Self {
            handle,
            events,
            cancel,
            task,
            collector,
        }
    }

    fn events(&self) -> Vec<StreamEvent> {
        self.events.lock().expect("events lock").clone()
    }

    fn klines(&self) -> usize {
        self.count(|e| matches!(e, StreamEvent::Kline(_)))
    }

    fn count(&self, f: impl Fn(&StreamEvent) -> bool) -> usize {
        self.events
            .lock()
            .expect("events lock")
            .iter()
            .filter(|e| f(e))
            .count()
    }

    fn connected(&self) -> Vec<(u64, Vec<String>)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                StreamEvent::Connected {
                    connection,
                    streams,
                } => Some((connection, streams)),
                _ => None,
            })
            .collect()
    }

    fn disconnected(&self) -> Vec<(u64, Vec<String>, String)> {
        self.events()
            .into_iter()
            .filter_map(|e| match e {
                StreamEvent::Disconnected {
                    connection,
                    streams,
                    reason,
                } => Some((connection, streams, reason)),
                _ => None,
            })
            .collect()
    }

    async fn stop(self) {
        self.cancel.cancel();
        tokio::time::timeout(WAIT, self.task)
            .await
            .expect("the pool stops")
            .expect("the pool task ends cleanly");
        tokio::time::timeout(WAIT, self.collector)
            .await
            .expect("the event channel closes")
            .expect("the collector ends cleanly");
    }
}

#[tokio::test]
async fn pings_are_answered_with_the_same_payload() {
    let server = WsServer::start(None).await;
    let client = Client::start(config(&server));
    client
        .handle
        .subscribe(streams(&["btcusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.connected().len() == 1).await);
    server.command(0, ServerCmd::Send(Message::Ping(b"ping-1".to_vec().into())));
    server.command(0, ServerCmd::Send(Message::Ping(b"ping-2".to_vec().into())));
    assert!(eventually(|| server.with(|s| s.conns[0].pongs.len()) == 2).await);
    let pongs = server.with(|s| s.conns[0].pongs.clone());
    assert_eq!(pongs, [b"ping-1".to_vec(), b"ping-2".to_vec()]);
    assert_eq!(
        server.with(|s| s.conns[0].url_streams.clone()),
        ["btcusdt@kline_1m"]
    );
    client.stop().await;
    assert!(server.with(|s| s.conns[0].closed_by_client));
}

#[tokio::test]
async fn a_silent_connection_is_declared_dead_and_replaced() {
    let server = WsServer::start(Some(DATA_EVERY)).await;
    let client = Client::start(StreamConfig {
        silence_timeout: Duration::from_millis(300),
        ..config(&server)
    });
    let names = streams(&["btcusdt@kline_1m", "ethusdt@kline_1m"]);
    client.handle.subscribe(names.clone()).await.unwrap();
    assert!(eventually(|| client.klines() > 3).await);
    let started = Instant::now();
    server.command(0, ServerCmd::Silence);
    assert!(eventually(|| client.connected().len() == 2).await);
    let lost = client.disconnected();
    assert_eq!(lost.len(), 1);
    let (first, second) = (client.connected()[0].0, client.connected()[1].0);
    assert_eq!((lost[0].0, &lost[0].1), (first, &names));
    assert!(lost[0].2.contains("no message"), "{}", lost[0].2);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(client.connected()[1], (second, names.clone()));
    // Resubscribed through the new connection's URL; data flows again.
    assert_eq!(server.with(|s| s.conns[1].url_streams.clone()), names);
    let before = client.klines();
    assert!(eventually(|| client.klines() > before + 3).await);
    // Disconnected comes before the new Connected, and no data in between from anyone.
    let events = client.events();
    let lost_at = events
        .iter()
        .position(|e| matches!(e, StreamEvent::Disconnected { .. }))
        .unwrap();
    assert!(matches!(events[lost_at + 1], StreamEvent::Connected { .. }));
    assert_eq!(client.handle.stats().reconnects, 1);
    client.stop().await;
}

#[tokio::test]
async fn a_server_close_is_a_disconnect_then_a_reconnect() {
    let server = WsServer::start(Some(DATA_EVERY)).await;
    let client = Client::start(config(&server));
    let names = streams(&["btcusdt@kline_1m"]);
    client.handle.subscribe(names.clone()).await.unwrap();
    assert!(eventually(|| client.klines() > 0).await);
    server.command(0, ServerCmd::Close);
    assert!(eventually(|| client.connected().len() == 2).await);
    let lost = client.disconnected();
    assert_eq!(lost.len(), 1);
    assert!(lost[0].2.contains("closed by server"), "{}", lost[0].2);
    assert_eq!(server.with(|s| s.conns[1].url_streams.clone()), names);
    client.stop().await;
}

#[tokio::test]
async fn connections_are_replaced_before_their_age_limit_without_a_gap() {
    let server = WsServer::start(Some(DATA_EVERY)).await;
    let client = Client::start(StreamConfig {
        max_connection_age: Duration::from_millis(700),
        ..config(&server)
    });
    let names = streams(&["btcusdt@kline_1m", "ethusdt@kline_1m"]);
    client.handle.subscribe(names.clone()).await.unwrap();
    assert!(eventually(|| client.handle.stats().rollovers >= 2).await);
    assert!(eventually(|| server.conn_count() >= 3 && server.open_count() == 1).await);
    assert!(
        client.disconnected().is_empty(),
        "{:?}",
        client.disconnected()
    );
    let connected = client.connected();
    assert!(connected.len() >= 3);
    assert!(connected.iter().all(|(_, s)| *s == names));
    // The old connections were closed by the client, after their replacement delivered data.
    server.with(|s| {
        for conn in &s.conns[..2] {
            assert!(conn.closed_by_client && !conn.open);
        }
        assert!(s.conns[1].sent > 0);
    });
    let before = client.klines();
    assert!(eventually(|| client.klines() > before + 3).await);
    assert_eq!(client.handle.stats().reconnects, 0);
    client.stop().await;
}

#[tokio::test]
async fn server_shutdown_switches_to_a_new_connection_at_once() {
    let server = WsServer::start(Some(DATA_EVERY)).await;
    let client = Client::start(config(&server));
    client
        .handle
        .subscribe(streams(&["btcusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.klines() > 0).await);
    let shutdown = r#"{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":1}}"#;
    server.command(0, ServerCmd::Send(Message::text(shutdown)));
    assert!(eventually(|| client.handle.stats().rollovers == 1).await);
    assert!(eventually(|| server.with(|s| s.conns[0].closed_by_client)).await);
    assert_eq!(client.connected().len(), 2);
    assert!(client.disconnected().is_empty());
    assert_eq!(server.conn_count(), 2);
    client.stop().await;
}

#[tokio::test]
async fn streams_spread_over_connections_and_follow_subscriptions() {
    let server = WsServer::start(None).await;
    let client = Client::start(StreamConfig {
        max_streams_per_connection: 3,
        ..config(&server)
    });
    let names: Vec<String> = (0..7).map(|i| format!("sym{i}usdt@kline_1m")).collect();
    client.handle.subscribe(names.clone()).await.unwrap();
    assert!(eventually(|| client.connected().len() == 3).await);
    let mut sizes: Vec<usize> =
        server.with(|s| s.conns.iter().map(|c| c.url_streams.len()).collect());
    sizes.sort_unstable();
    assert_eq!(sizes, [1, 3, 3]);
    let union: BTreeSet<String> = server.with(|s| {
        s.conns
            .iter()
            .flat_map(|c| c.url_streams.iter().cloned())
            .collect()
    });
    assert_eq!(union, names.iter().cloned().collect());
    // Two more fill the connection with one stream, by SUBSCRIBE.
    let more = streams(&["moreausdt@kline_1m", "morebusdt@kline_1m"]);
    client.handle.subscribe(more.clone()).await.unwrap();
    assert!(eventually(|| client.connected().len() == 4).await);
    let small = server.with(|s| {
        s.conns
            .iter()
            .position(|c| c.url_streams.len() == 1)
            .unwrap()
    });
    let controls = server.with(|s| s.conns[small].controls.clone());
    assert_eq!(controls.len(), 1);
    assert_eq!(
        (controls[0].1.as_str(), &controls[0].2),
        ("SUBSCRIBE", &more)
    );
    assert_eq!(client.connected()[3].1, more);
    assert_eq!(server.conn_count(), 3);
    // Removing every stream of a connection closes it; removing one sends UNSUBSCRIBE.
    let full = server.with(|s| {
        s.conns
            .iter()
            .position(|c| c.url_streams.len() == 3)
            .unwrap()
    });
    let full_streams = server.with(|s| s.conns[full].url_streams.clone());
    client.handle.unsubscribe(full_streams).await.unwrap();
    assert!(eventually(|| server.with(|s| s.conns[full].closed_by_client)).await);
    client
        .handle
        .unsubscribe(streams(&["moreausdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| server.with(|s| s.conns[small].controls.len()) == 2).await);
    let last = server.with(|s| s.conns[small].controls[1].clone());
    assert_eq!(
        (last.1.as_str(), last.2),
        ("UNSUBSCRIBE", streams(&["moreausdt@kline_1m"]))
    );
    let stats = client.handle.stats();
    assert_eq!(stats.streams, 5);
    assert!(eventually(|| client.handle.stats().connections.len() == 2).await);
    assert!(client.disconnected().is_empty());
    client.stop().await;
}

#[tokio::test]
async fn subscribing_twice_is_harmless() {
    let server = WsServer::start(None).await;
    let client = Client::start(config(&server));
    let names = streams(&["btcusdt@kline_1m"]);
    client.handle.subscribe(names.clone()).await.unwrap();
    client.handle.subscribe(names.clone()).await.unwrap();
    assert!(eventually(|| client.connected().len() == 1).await);
    // A later stream proves the second subscribe did not send anything for the first.
    client
        .handle
        .subscribe(streams(&["btcusdt@kline_1m", "ethusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.connected().len() == 2).await);
    let controls = server.with(|s| s.conns[0].controls.clone());
    assert_eq!(controls.len(), 1);
    assert_eq!(controls[0].2, streams(&["ethusdt@kline_1m"]));
    assert_eq!(client.handle.stats().streams, 2);
    assert!(client.handle.subscribe(streams(&["a/b"])).await.is_err());
    client.stop().await;
}

#[tokio::test]
async fn control_messages_stay_under_five_per_second() {
    let server = WsServer::start(None).await;
    let client = Client::start(StreamConfig {
        max_streams_per_control_message: 1,
        ..config(&server)
    });
    client
        .handle
        .subscribe(streams(&["btcusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.connected().len() == 1).await);
    let more: Vec<String> = (0..9).map(|i| format!("sym{i}usdt@kline_1m")).collect();
    client.handle.subscribe(more).await.unwrap();
    // Pings while subscribing: their pongs count too.
    server.command(0, ServerCmd::Send(Message::Ping(b"p".to_vec().into())));
    assert!(eventually(|| server.with(|s| s.conns[0].controls.len()) == 9).await);
    let times: Vec<Instant> = server.with(|s| s.conns[0].controls.iter().map(|c| c.0).collect());
    for (i, start) in times.iter().enumerate() {
        let within_a_second = times[i..]
            .iter()
            .filter(|t| t.duration_since(*start) < Duration::from_secs(1))
            .count();
        assert!(
            within_a_second <= 5,
            "{within_a_second} messages within 1 s"
        );
    }
    // Sent at least 200 ms apart; arrival times may bunch up a little on a loaded machine.
    for pair in times.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(100),
            "{:?}",
            pair[1] - pair[0]
        );
    }
    assert!(eventually(|| client.connected().len() == 10).await);
    client.stop().await;
}

#[tokio::test]
async fn malformed_frames_are_counted_and_skipped() {
    let server = WsServer::start(None).await;
    let client = Client::start(config(&server));
    client
        .handle
        .subscribe(streams(&["btcusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.connected().len() == 1).await);
    for text in [
        "not json".to_owned(),
        r#"{"stream":"btcusdt@kline_1m","data":{}}"#.to_owned(),
        kline_frame("btcusdt@kline_1m").replace(r#""o":"1.0""#, r#""o":"x""#),
        kline_frame("btcusdt@kline_1m"),
    ] {
        server.command(0, ServerCmd::Send(Message::text(text)));
    }
    assert!(eventually(|| client.klines() == 1).await);
    let stats = client.handle.stats();
    assert_eq!((stats.malformed, stats.messages), (3, 4));
    assert!(client.disconnected().is_empty());
    assert_eq!(server.conn_count(), 1);
    client.stop().await;
}

#[tokio::test]
async fn connection_attempts_are_limited_per_window() {
    let server = WsServer::start(None).await;
    server.with(|s| s.refuse = true);
    let client = Client::start(StreamConfig {
        connection_attempts_per_5min: 3,
        connection_attempt_window: Duration::from_millis(500),
        backoff_min: Duration::from_millis(1),
        backoff_max: Duration::from_millis(2),
        ..config(&server)
    });
    client
        .handle
        .subscribe(streams(&["btcusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| server.with(|s| s.attempts.len()) >= 9).await);
    let attempts = server.with(|s| s.attempts.clone());
    for (i, start) in attempts.iter().enumerate() {
        let in_window = attempts[i..]
            .iter()
            .filter(|t| t.duration_since(*start) < Duration::from_millis(400))
            .count();
        assert!(in_window <= 3, "{in_window} attempts within 400 ms");
    }
    let stats = client.handle.stats();
    assert!(stats.connection_attempts >= 9);
    assert!(client.connected().is_empty() && client.disconnected().is_empty());
    // Once the server accepts again, the connection opens.
    server.with(|s| s.refuse = false);
    assert!(eventually(|| client.connected().len() == 1).await);
    client.stop().await;
}

#[tokio::test]
async fn a_refused_subscription_is_reported_once() {
    let server = WsServer::start(None).await;
    server.with(|s| {
        s.reject.insert("bad@kline_1m".to_owned());
    });
    let client = Client::start(config(&server));
    client
        .handle
        .subscribe(streams(&["btcusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.connected().len() == 1).await);
    client
        .handle
        .subscribe(streams(&["bad@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.disconnected().len() == 1).await);
    let (_, lost, reason) = client.disconnected().remove(0);
    assert_eq!(lost, streams(&["bad@kline_1m"]));
    assert!(reason.contains("subscribe refused"), "{reason}");
    // A later subscription goes through and the refused one was not asked for again.
    client
        .handle
        .subscribe(streams(&["ethusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.connected().len() == 2).await);
    let controls = server.with(|s| s.conns[0].controls.clone());
    assert_eq!(controls.len(), 2);
    assert_eq!(client.handle.stats().control_errors, 1);
    assert_eq!(server.conn_count(), 1);
    client.stop().await;
}

#[tokio::test]
async fn cancel_closes_every_connection_and_ends_the_task() {
    let server = WsServer::start(Some(DATA_EVERY)).await;
    let client = Client::start(StreamConfig {
        max_streams_per_connection: 1,
        ..config(&server)
    });
    client
        .handle
        .subscribe(streams(&["btcusdt@kline_1m", "ethusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| client.connected().len() == 2).await);
    let handle = client.handle.clone();
    client.stop().await;
    server.with(|s| assert!(s.conns.iter().all(|c| c.closed_by_client)));
    assert!(handle.stats().connections.is_empty());
    assert!(handle.subscribe(streams(&["x@kline_1m"])).await.is_err());
}

#[tokio::test]
async fn a_consumer_that_is_behind_does_not_block_subscribing() {
    let server = WsServer::start(None).await;
    let cancel = CancellationToken::new();
    let (handle, mut rx, task) = spawn_streams(config(&server), cancel.clone());
    handle
        .subscribe(streams(&["btcusdt@kline_1m"]))
        .await
        .unwrap();
    assert!(eventually(|| server.conn_count() == 1).await);
    // Far more than the event channel and the pool's queue hold, never read.
    let burst = sift_binance::client::ws::EVENT_CHANNEL_CAPACITY + 2_000;
    for _ in 0..burst {
        server.command(
            0,
            ServerCmd::Send(Message::text(kline_frame("btcusdt@kline_1m"))),
        );
    }
    let full = sift_binance::client::ws::EVENT_CHANNEL_CAPACITY as u64 + 500;
    assert!(eventually(|| handle.stats().messages >= full).await);
    let subscribing = handle.subscribe(streams(&["ethusdt@kline_1m"]));
    tokio::time::timeout(Duration::from_secs(2), subscribing)
        .await
        .expect("subscribe answers while the consumer is behind")
        .unwrap();
    // Once the consumer catches up, everything arrives, the new stream included.
    let mut klines = 0;
    let mut connected = Vec::new();
    while connected.len() < 2 || klines < burst {
        match tokio::time::timeout(WAIT, rx.recv())
            .await
            .unwrap()
            .unwrap()
        {
            StreamEvent::Kline(_) => klines += 1,
            StreamEvent::Connected { streams, .. } => connected.push(streams),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(connected[1], streams(&["ethusdt@kline_1m"]));
    cancel.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn streams_beyond_the_url_limit_are_subscribed_before_connected() {
    let server = WsServer::start(None).await;
    let client = Client::start(config(&server));
    // About 17 KB of names: the URL takes about half, SUBSCRIBE messages the rest.
    let names: Vec<String> = (0..700)
        .map(|i| format!("symbol{i:04}usdt@kline_1m"))
        .collect();
    client.handle.subscribe(names.clone()).await.unwrap();
    assert!(eventually(|| client.connected().len() == 1).await);
    let (in_url, controls) =
        server.with(|s| (s.conns[0].url_streams.clone(), s.conns[0].controls.clone()));
    assert!(in_url.len() > 200 && in_url.len() < 700, "{}", in_url.len());
    assert!(!controls.is_empty());
    let mut all: BTreeSet<String> = in_url.into_iter().collect();
    all.extend(controls.into_iter().flat_map(|c| c.2));
    assert_eq!(all, names.iter().cloned().collect());
    // One Connected with every stream, once all were confirmed.
    let mut connected = client.connected().remove(0).1;
    connected.sort();
    assert_eq!(connected, names);
    assert_eq!(server.conn_count(), 1);
    client.stop().await;
}
