//! PostgreSQL's insert of a close's signals: one statement over arrays, whatever the count.
//!
//! A busy close stores thousands of signals. As rows of a multi-row `VALUES` list they took
//! one statement per 200 rows, each with 1,600 parameters to bind and a new plan for the last,
//! shorter chunk; as eight array parameters `UNNEST`ed into rows they take one statement with
//! one plan, and the server reads each column as one value.

use std::collections::HashMap;

use sqlx::{Postgres, Row as _, Transaction};

use crate::model::{NewSignal, Signal};
use crate::ops::signals::to_signal;
use crate::{Result, StoreError};

/// Inserts `sorted` (each key once, in key order) with `ON CONFLICT DO NOTHING`, skipping
/// signals of traders deleted meanwhile: safe beside other writers. Rows go in key order, so
/// concurrent commits of overlapping signals lock index entries in the same order and ids
/// follow that order. Only ids and keys come back; the new signals, ordered by id.
pub(crate) async fn insert(
    tx: &mut Transaction<'static, Postgres>,
    sorted: &[&NewSignal],
) -> Result<Vec<Signal>> {
    if sorted.is_empty() {
        return Ok(Vec::new());
    }
    let n = sorted.len();
    let (mut traders, mut symbols, mut intervals) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut opens, mut closes, mut prices, mut snapshots, mut created) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for s in sorted {
        traders.push(s.trader_id);
        symbols.push(s.symbol.as_str());
        intervals.push(s.interval.as_str());
        opens.push(s.open_time);
        closes.push(s.close_time);
        prices.push(s.price);
        snapshots.push(serde_json::to_string(&s.values).map_err(StoreError::corrupt)?);
        created.push(s.created_at);
    }
    let rows = crate::sql::timed("postgres", async {
        sqlx::query(
            "INSERT INTO signals (trader_id, symbol, interval, open_time, close_time, price, \
                 snapshot, created_at) \
                 SELECT v.* FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], \
                 $5::BIGINT[], $6::DOUBLE PRECISION[], $7::TEXT[], $8::BIGINT[]) \
                 AS v (trader_id, symbol, interval, open_time, close_time, price, snapshot, \
                 created_at) \
                 WHERE EXISTS (SELECT 1 FROM traders t WHERE t.id = v.trader_id) \
                 ORDER BY v.trader_id, v.symbol, v.interval, v.open_time \
                 ON CONFLICT DO NOTHING \
                 RETURNING id, trader_id, symbol, interval, open_time",
        )
        .bind(&traders)
        .bind(&symbols)
        .bind(&intervals)
        .bind(&opens)
        .bind(&closes)
        .bind(&prices)
        .bind(&snapshots)
        .bind(&created)
        .fetch_all(&mut **tx)
        .await
        .map_err(StoreError::from)
    })
    .await?;
    let by_key: HashMap<(i64, &str, &str, i64), &NewSignal> = sorted
        .iter()
        .map(|s| {
            (
                (
                    s.trader_id,
                    s.symbol.as_str(),
                    s.interval.as_str(),
                    s.open_time,
                ),
                *s,
            )
        })
        .collect();
    let mut inserted = Vec::with_capacity(rows.len());
    for row in rows {
        let id: i64 = row.try_get("id").map_err(StoreError::from)?;
        let trader: i64 = row.try_get("trader_id").map_err(StoreError::from)?;
        let symbol: &str = row.try_get("symbol").map_err(StoreError::from)?;
        let interval: &str = row.try_get("interval").map_err(StoreError::from)?;
        let open_time: i64 = row.try_get("open_time").map_err(StoreError::from)?;
        let new = by_key
            .get(&(trader, symbol, interval, open_time))
            .ok_or_else(|| StoreError::corrupt("an inserted signal that was not sent"))?;
        inserted.push(to_signal(id, new));
    }
    inserted.sort_by_key(|s| s.id);
    Ok(inserted)
}
