-- Which closes each cluster shard committed, written in the commit's own transaction: the
-- workers' fallback tick compares it with what the collectors published and evaluates again
-- the closes no worker committed (stream entries lost with Redis, trimmed before being read).
CREATE TABLE shard_closes (
    interval     TEXT    NOT NULL,
    shard        BIGINT  NOT NULL,
    open_time    BIGINT  NOT NULL,
    committed_at BIGINT  NOT NULL,
    PRIMARY KEY (interval, shard, open_time)
);
CREATE INDEX shard_closes_committed_at ON shard_closes (committed_at);
