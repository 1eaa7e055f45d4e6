//! Signals, their pages and cursors, executions and close commits.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;
use sift_core::{Interval, Symbol};

/// A stored signal: a trader matched a symbol at a candle close.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub id: i64,
    pub trader_id: i64,
    pub symbol: Symbol,
    pub interval: Interval,
    /// Open time of the candle whose close fired the signal.
    pub open_time: i64,
    pub close_time: i64,
    pub price: f64,
    /// Snapshot of the values the rule referenced.
    pub values: Value,
    pub created_at: i64,
}

/// A signal to insert; (trader_id, symbol, interval, open_time) is its unique key.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSignal {
    pub trader_id: i64,
    pub symbol: Symbol,
    pub interval: Interval,
    pub open_time: i64,
    pub close_time: i64,
    pub price: f64,
    pub values: Value,
    pub created_at: i64,
}

/// Signal list order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignalOrder {
    /// Newest candle first: `(open_time desc, id desc)`.
    #[default]
    OpenTimeDesc,
    /// Newest row first: `id desc`.
    IdDesc,
}

/// Where the next page starts: the last row of the previous page.
///
/// Written as `"{open_time}_{id}"` in URLs (see [`fmt::Display`] and [`FromStr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalCursor {
    pub open_time: i64,
    pub id: i64,
}

impl fmt::Display for SignalCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.open_time, self.id)
    }
}

/// A cursor string that is not `"{open_time}_{id}"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed cursor")]
pub struct BadCursor;

impl FromStr for SignalCursor {
    type Err = BadCursor;

    fn from_str(s: &str) -> Result<Self, BadCursor> {
        let (open_time, id) = s.split_once('_').ok_or(BadCursor)?;
        Ok(Self {
            open_time: open_time.parse().map_err(|_| BadCursor)?,
            id: id.parse().map_err(|_| BadCursor)?,
        })
    }
}

/// Filters for [`crate::Store::list_signals`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignalFilter {
    /// Only these traders (the ones the caller may see); `None` = all, `Some(empty)` = none.
    pub trader_ids: Option<Vec<i64>>,
    pub symbol: Option<Symbol>,
    pub interval: Option<Interval>,
    /// `open_time >= since`.
    pub since: Option<i64>,
    /// `open_time < until`.
    pub until: Option<i64>,
    /// Continue after this row (from the previous page's `next_cursor`).
    pub cursor: Option<SignalCursor>,
    pub order: SignalOrder,
    /// Page size, clamped to `1..=MAX_PAGE`.
    pub limit: u32,
}

/// One processed candle close (or one worker's share of it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Execution {
    pub id: i64,
    pub interval: Interval,
    /// Open time of the closed candle.
    pub open_time: i64,
    pub traders_run: i64,
    pub symbols_checked: i64,
    pub symbols_matched: i64,
    /// Signals newly stored by this close (duplicates not counted).
    pub signals: i64,
    pub duration_us: i64,
    /// JSON (for example a list of `{trader_id, message}`); `[]` when none.
    pub errors: Value,
    pub created_at: i64,
}

/// An execution row to insert; `signals` is filled in by [`crate::Store::commit_close`].
#[derive(Debug, Clone, PartialEq)]
pub struct NewExecution {
    pub interval: Interval,
    pub open_time: i64,
    pub traders_run: i64,
    pub symbols_checked: i64,
    pub symbols_matched: i64,
    pub duration_us: i64,
    pub errors: Value,
    pub created_at: i64,
}

/// A notification to queue for one signal of the same commit, identified by its unique key.
/// Queued only when that signal is newly inserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutbox {
    pub trader_id: i64,
    pub symbol: Symbol,
    pub interval: Interval,
    pub open_time: i64,
    pub channel_id: i64,
}

/// A close a cluster shard committed ([`Store::commit_shard_closes`](crate::Store::commit_shard_closes)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardClose {
    pub shard: u32,
    pub open_time: i64,
    /// When its commit's transaction wrote it, epoch ms.
    pub committed_at: i64,
}

/// Everything one processed close writes, in one transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct CloseCommit {
    pub execution: NewExecution,
    pub signals: Vec<NewSignal>,
    pub outbox: Vec<NewOutbox>,
}

/// Told the new signals of a commit as soon as they have their ids, before the transaction
/// commits (see [`Store::commit_instant`](crate::Store::commit_instant)).
pub type Assigned<'a> = &'a (dyn Fn(&[Signal]) + Send + Sync);
