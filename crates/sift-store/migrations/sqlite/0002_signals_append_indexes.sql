-- A busy close inserts thousands of signals of one candle time. Led by the candle time, the
-- unique key takes them at its end instead of at a place per trader, and retention prunes
-- by the candle time through signals_open_time, so the created_at index goes.
DROP INDEX signals_created_at;
DROP INDEX signals_trader_id_symbol_interval_open_time;
CREATE UNIQUE INDEX signals_open_time_interval_trader_id_symbol
    ON signals (open_time, interval, trader_id, symbol);
