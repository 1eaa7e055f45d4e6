//! The close bursts of one instant: the market hands each interval's burst on as it
//! completes, and the bursts of intervals that close together (1m, 5m and 1h at a full hour)
//! are evaluated together, so that a rule reads every candle that closed at its instant and
//! the instant's signals commit at once.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use sift_core::Interval;
use sift_market::{CloseBurst, MarketEvent};
use tokio::sync::mpsc;

/// Longest to wait, once a close instant's first burst arrived, for the bursts of the other
/// intervals that close at that instant.
pub const INSTANT_WAIT: Duration = Duration::from_millis(250);

/// The bursts of `first`'s close instant, `first` included: those already read ahead into
/// `deferred` or waiting in `events`, and for at most `wait` the ones still due, of the
/// `intervals` whose candles close at that instant (their bursts complete a moment apart).
/// Other events read meanwhile join `deferred`, in order.
pub async fn gather_bursts(
    first: CloseBurst,
    intervals: &[Interval],
    wait: Duration,
    events: &mut mpsc::Receiver<MarketEvent>,
    deferred: &mut VecDeque<MarketEvent>,
) -> Vec<CloseBurst> {
    let instant = instant_of(&first);
    let mut due: HashSet<Interval> = intervals
        .iter()
        .copied()
        .filter(|i| i.open_time(instant) == instant && *i != first.interval)
        .collect();
    let mut bursts = vec![first];
    // The event when it is not a burst of this instant.
    let mut take = |event: MarketEvent, due: &mut HashSet<Interval>| match event {
        MarketEvent::Closes(burst) if instant_of(&burst) == instant => {
            due.remove(&burst.interval);
            bursts.push(burst);
            None
        }
        other => Some(other),
    };
    let mut kept = VecDeque::with_capacity(deferred.len());
    for event in deferred.drain(..) {
        kept.extend(take(event, &mut due));
    }
    *deferred = kept;
    let deadline = tokio::time::Instant::now() + wait;
    while !due.is_empty() {
        let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.recv()).await else {
            break;
        };
        deferred.extend(take(event, &mut due));
    }
    bursts
}

/// When the candles of a burst closed, as Binance stamps it: the next open time minus 1 ms.
pub fn burst_close_time(burst: &CloseBurst) -> i64 {
    instant_of(burst) - 1
}

/// The instant a burst's candles closed at: the next candle's open time.
fn instant_of(burst: &CloseBurst) -> i64 {
    burst.interval.next_open(burst.open_time)
}

#[cfg(test)]
mod tests {
    use sift_core::{Candle, Symbol};

    use super::*;

    const MINUTE: i64 = 60_000;
    /// A full hour: 1m, 5m and 1h candles close at it.
    const HOUR: i64 = 1_700_002_800_000;
    const WAIT: Duration = Duration::from_millis(250);

    fn burst(interval: Interval, instant: i64) -> MarketEvent {
        let open_time = instant - interval.nominal_duration_ms();
        let candle = Candle::ohlcv(open_time, 1.0, 1.0, 1.0, 1.0, 1.0);
        MarketEvent::Closes(CloseBurst {
            interval,
            open_time,
            candles: vec![(Symbol::new("BTCUSDT").unwrap(), candle)],
            late: false,
        })
    }

    fn first(event: MarketEvent) -> CloseBurst {
        match event {
            MarketEvent::Closes(burst) => burst,
            other => panic!("not a burst: {other:?}"),
        }
    }

    fn intervals(bursts: &[CloseBurst]) -> Vec<Interval> {
        bursts.iter().map(|b| b.interval).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn the_bursts_of_an_instant_come_together_past_other_events() {
        let (tx, mut events) = mpsc::channel(16);
        let watched = [Interval::M1, Interval::M5, Interval::H1, Interval::H4];
        let tickers = MarketEvent::Tickers(Vec::new());
        // A burst of this instant read ahead earlier, one of the next minute, other events.
        let mut deferred = VecDeque::from([burst(Interval::H1, HOUR), tickers.clone()]);
        for event in [
            tickers.clone(),
            burst(Interval::M5, HOUR),
            burst(Interval::M1, HOUR + MINUTE),
        ] {
            tx.send(event).await.unwrap();
        }
        let started = tokio::time::Instant::now();
        let bursts = gather_bursts(
            first(burst(Interval::M1, HOUR)),
            &watched,
            WAIT,
            &mut events,
            &mut deferred,
        )
        .await;
        assert_eq!(
            intervals(&bursts),
            [Interval::M1, Interval::H1, Interval::M5]
        );
        // 4h does not close at this hour: nothing was awaited.
        assert_eq!(started.elapsed(), Duration::ZERO);
        assert_eq!(deferred.len(), 2, "{deferred:?}");
        // The next minute's burst stays queued, in order.
        assert_eq!(first(events.recv().await.unwrap()).open_time, HOUR);
        assert_eq!(burst_close_time(&bursts[0]), HOUR - 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_that_does_not_come_is_awaited_for_a_bounded_time() {
        let (tx, mut events) = mpsc::channel(16);
        let mut deferred = VecDeque::new();
        let started = tokio::time::Instant::now();
        let bursts = gather_bursts(
            first(burst(Interval::M1, HOUR)),
            &[Interval::M1, Interval::M5],
            WAIT,
            &mut events,
            &mut deferred,
        )
        .await;
        assert_eq!(intervals(&bursts), [Interval::M1]);
        assert_eq!(started.elapsed(), WAIT);
        drop(tx);
    }
}
