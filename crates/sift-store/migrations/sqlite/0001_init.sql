-- Sift schema for SQLite. Times are epoch milliseconds, JSON is TEXT, booleans are 0/1.
-- AUTOINCREMENT keeps ids from ever being reused after pruning (SSE resumes by id).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    tier          TEXT    NOT NULL CHECK (tier IN ('anonymous', 'free', 'pro', 'elite')),
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE sessions (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE UNIQUE INDEX api_tokens_token_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE traders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_id        INTEGER REFERENCES users (id) ON DELETE CASCADE,
    builtin_key     TEXT,
    name            TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    interval        TEXT    NOT NULL,
    rule            TEXT    NOT NULL,
    symbols         TEXT    NOT NULL,
    cooldown_bars   INTEGER NOT NULL,
    enabled         BOOLEAN NOT NULL,
    category        TEXT,
    tags            TEXT    NOT NULL,
    access_tier     TEXT,
    channels        TEXT    NOT NULL,
    edited_by_admin BOOLEAN NOT NULL DEFAULT FALSE,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX traders_builtin_key ON traders (builtin_key);
CREATE INDEX traders_owner_id ON traders (owner_id);

CREATE TABLE signals (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    trader_id  INTEGER NOT NULL REFERENCES traders (id) ON DELETE CASCADE,
    symbol     TEXT    NOT NULL,
    interval   TEXT    NOT NULL,
    open_time  INTEGER NOT NULL,
    close_time INTEGER NOT NULL,
    price      REAL    NOT NULL,
    snapshot   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX signals_trader_id_symbol_interval_open_time
    ON signals (trader_id, symbol, interval, open_time);
CREATE INDEX signals_trader_id_open_time ON signals (trader_id, open_time, id);
CREATE INDEX signals_open_time ON signals (open_time, id);
CREATE INDEX signals_symbol_open_time ON signals (symbol, open_time, id);
CREATE INDEX signals_created_at ON signals (created_at);

CREATE TABLE executions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    interval        TEXT    NOT NULL,
    open_time       INTEGER NOT NULL,
    traders_run     INTEGER NOT NULL,
    symbols_checked INTEGER NOT NULL,
    symbols_matched INTEGER NOT NULL,
    signals         INTEGER NOT NULL,
    duration_us     INTEGER NOT NULL,
    errors          TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX executions_created_at ON executions (created_at);
CREATE INDEX executions_interval_id ON executions (interval, id);

CREATE TABLE close_progress (
    interval       TEXT    PRIMARY KEY,
    last_open_time INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);

CREATE TABLE favourites (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    symbol     TEXT,
    trader_id  INTEGER REFERENCES traders (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    CHECK ((symbol IS NULL) <> (trader_id IS NULL))
);
CREATE UNIQUE INDEX favourites_user_id_symbol ON favourites (user_id, symbol);
CREATE UNIQUE INDEX favourites_user_id_trader_id ON favourites (user_id, trader_id);
CREATE INDEX favourites_trader_id ON favourites (trader_id);

CREATE TABLE notification_channels (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('webhook', 'telegram', 'discord')),
    name       TEXT    NOT NULL,
    config     TEXT    NOT NULL,
    secret     TEXT,
    enabled    BOOLEAN NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX notification_channels_user_id ON notification_channels (user_id);

CREATE TABLE deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id       INTEGER NOT NULL REFERENCES notification_channels (id) ON DELETE CASCADE,
    signal_id        INTEGER REFERENCES signals (id) ON DELETE CASCADE,
    idempotency_key  TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    last_status_code INTEGER,
    last_error       TEXT,
    latency_ms       INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE UNIQUE INDEX deliveries_idempotency_key ON deliveries (idempotency_key);
CREATE INDEX deliveries_status_next_attempt_at ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_channel_id ON deliveries (channel_id, id);
CREATE INDEX deliveries_signal_id ON deliveries (signal_id);

CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    status_code INTEGER,
    error       TEXT,
    latency_ms  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX delivery_attempts_delivery_id ON delivery_attempts (delivery_id, id);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    details    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_actor_id ON audit_log (actor_id);

CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);
