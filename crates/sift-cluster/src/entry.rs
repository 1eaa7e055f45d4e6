//! What travels through Redis: close entries on the streams, signals and trader changes on
//! the pub/sub channels. All JSON (floats round-trip exactly with serde_json).

use serde::{Deserialize, Serialize};
use sift_api::TraderVisibility;
use sift_core::{Candle, Interval, Symbol, Tier};
use sift_market::CloseBurst;
use sift_store::Signal;

/// The closes of one instant for the symbols of one shard: one burst per interval that closed
/// then (a rule on 1m reads the 1h candle that closed at the same instant, so they travel
/// together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloseEntry {
    /// The instant the candles closed (their close time).
    pub close_time: i64,
    pub bursts: Vec<EntryBurst>,
}

impl CloseEntry {
    /// The entry as a stream field's JSON.
    ///
    /// # Errors
    /// When it cannot be encoded, as a Redis client error.
    pub fn to_json(&self) -> redis::RedisResult<String> {
        serde_json::to_string(self).map_err(|err| {
            redis::RedisError::from((
                redis::ErrorKind::ClientError,
                "encoding a close entry",
                err.to_string(),
            ))
        })
    }
}

/// One interval's closed candles of a [`CloseEntry`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryBurst {
    pub interval: Interval,
    pub open_time: i64,
    /// A repair or late close, published after its instant.
    #[serde(default)]
    pub late: bool,
    pub candles: Vec<(Symbol, Candle)>,
}

impl EntryBurst {
    /// The burst as the pipeline's type.
    pub fn to_burst(&self) -> CloseBurst {
        CloseBurst {
            interval: self.interval,
            open_time: self.open_time,
            candles: self.candles.clone(),
            late: self.late,
        }
    }
}

/// The shard of a symbol among `shards` (FNV-1a of its name): stable across processes and
/// releases, so every collector and worker agrees.
pub fn shard_of(symbol: &Symbol, shards: u32) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in symbol.as_str().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    u32::try_from(hash % u64::from(shards.max(1))).unwrap_or(0)
}

/// Splits the bursts of one close instant into one entry per shard that has candles, in shard
/// order.
pub fn split_by_shard(bursts: &[CloseBurst], shards: u32) -> Vec<(u32, CloseEntry)> {
    let close_time = bursts
        .iter()
        .find_map(|b| b.candles.first().map(|(_, c)| c.close_time))
        .unwrap_or_default();
    let mut out: Vec<(u32, CloseEntry)> = Vec::new();
    for burst in bursts {
        for (symbol, candle) in &burst.candles {
            let shard = shard_of(symbol, shards);
            let entry = match out.iter_mut().find(|(s, _)| *s == shard) {
                Some((_, entry)) => entry,
                None => {
                    out.push((
                        shard,
                        CloseEntry {
                            close_time,
                            bursts: Vec::new(),
                        },
                    ));
                    &mut out.last_mut().expect("just pushed").1
                }
            };
            let part = match entry
                .bursts
                .iter_mut()
                .find(|b| b.interval == burst.interval && b.open_time == burst.open_time)
            {
                Some(part) => part,
                None => {
                    entry.bursts.push(EntryBurst {
                        interval: burst.interval,
                        open_time: burst.open_time,
                        late: burst.late,
                        candles: Vec::new(),
                    });
                    entry.bursts.last_mut().expect("just pushed")
                }
            };
            part.candles.push((symbol.clone(), *candle));
        }
    }
    out.sort_by_key(|(shard, _)| *shard);
    out
}

/// A committed signal with who may see it, as the api instances receive it on `sift:signals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalMessage {
    pub id: i64,
    pub trader_id: i64,
    pub symbol: Symbol,
    pub interval: Interval,
    pub open_time: i64,
    pub close_time: i64,
    pub price: f64,
    pub values: serde_json::Value,
    pub created_at: i64,
    /// The owner of a custom trader; `None` for a built-in.
    pub owner_id: Option<i64>,
    /// For built-ins: the lowest tier that sees it.
    pub access_tier: Tier,
}

impl SignalMessage {
    /// A stored signal with its trader's visibility.
    pub fn new(signal: &Signal, visibility: &TraderVisibility) -> Self {
        Self {
            id: signal.id,
            trader_id: signal.trader_id,
            symbol: signal.symbol.clone(),
            interval: signal.interval,
            open_time: signal.open_time,
            close_time: signal.close_time,
            price: signal.price,
            values: signal.values.clone(),
            created_at: signal.created_at,
            owner_id: visibility.owner_id,
            access_tier: visibility.access_tier,
        }
    }

    /// The stored signal and its visibility again.
    pub fn into_parts(self) -> (Signal, TraderVisibility) {
        let visibility = TraderVisibility {
            owner_id: self.owner_id,
            access_tier: self.access_tier,
        };
        let signal = Signal {
            id: self.id,
            trader_id: self.trader_id,
            symbol: self.symbol,
            interval: self.interval,
            open_time: self.open_time,
            close_time: self.close_time,
            price: self.price,
            values: self.values,
            created_at: self.created_at,
        };
        (signal, visibility)
    }
}

/// A change every worker applies, published on `sift:traders` by the api's control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraderMessage {
    /// The trader was created or changed: reload it from the store.
    Changed { id: i64 },
    /// The trader was deleted.
    Removed { id: i64 },
    /// The execution switch changed: re-read it from the store.
    Paused { paused: bool },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candle(open: i64) -> Candle {
        let mut c = Candle::ohlcv(open, 1.0, 2.0, 0.5, 1.5, 10.0);
        c.close_time = open + 59_999;
        c
    }

    #[test]
    fn bursts_split_by_shard_and_round_trip() {
        let symbols: Vec<Symbol> = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let burst = CloseBurst {
            interval: Interval::M1,
            open_time: 60_000,
            candles: symbols
                .iter()
                .map(|s| (s.clone(), candle(60_000)))
                .collect(),
            late: false,
        };
        let entries = split_by_shard(std::slice::from_ref(&burst), 3);
        let total: usize = entries.iter().map(|(_, e)| e.bursts[0].candles.len()).sum();
        assert_eq!(total, 5);
        for (shard, entry) in &entries {
            assert_eq!(entry.close_time, 119_999);
            for (symbol, _) in &entry.bursts[0].candles {
                assert_eq!(shard_of(symbol, 3), *shard);
            }
            let json = serde_json::to_string(entry).unwrap();
            let back: CloseEntry = serde_json::from_str(&json).unwrap();
            assert_eq!(&back, entry);
        }
        assert_eq!(shard_of(&symbols[0], 1), 0);
    }

    #[test]
    fn trader_messages_are_tagged() {
        let json = serde_json::to_string(&TraderMessage::Changed { id: 7 }).unwrap();
        assert_eq!(json, r#"{"kind":"changed","id":7}"#);
        let back: TraderMessage =
            serde_json::from_str(r#"{"kind":"paused","paused":true}"#).unwrap();
        assert_eq!(back, TraderMessage::Paused { paused: true });
    }
}
