-- A busy close inserts thousands of signals, and the foreign key to traders checked each row
-- with a query of its own: about 30% of the insert. The insert now locks the few hundred
-- traders it stores signals of once (FOR KEY SHARE, the lock the key took per row), stores
-- only those that still exist, and deleting a trader (or its owner) deletes its signals in the
-- same transaction, after the trader row, which waits for such locks: no signal outlives its
-- trader, as before (see postgres_signals.rs and ops/traders.rs).
ALTER TABLE signals DROP CONSTRAINT IF EXISTS signals_trader_id_fkey;
