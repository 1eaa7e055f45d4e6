//! Test harness: the router over a real store (a SQLite file, or a fresh Postgres database),
//! an in-process candle store filled with candles, a manual clock, and request helpers.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::Value;
use sift_api::config::RateLimits;
use sift_api::{ApiConfig, AppState, Hub, ManualClock, RecordingControl};
use sift_candles::{CandleStore, Capacities, MemoryCandleStore};
use sift_core::{Candle, Interval, Symbol, Ticker, Tier};
use sift_store::{NewSession, NewSignal, NewTrader, NewUser, Signal, Store, Trader, UserUpdate};
use sift_test_support::postgres::TestDatabase;
use sift_traders::{Symbols, TraderDef};
use tower::ServiceExt;

/// 2025-01-01T00:00:00Z.
pub(crate) const T0: i64 = 1_735_689_600_000;
pub(crate) const MINUTE: i64 = 60_000;
/// Closed 1m candles per symbol.
pub(crate) const CANDLES: i64 = 200;
/// "Now": half-way through the forming candle after the last closed one.
pub(crate) const NOW: i64 = T0 + CANDLES * MINUTE + 30_000;

/// Which database backs the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Keeps the database alive for the test.
#[allow(dead_code)]
enum Guard {
    Dir(tempfile::TempDir),
    Postgres(Box<TestDatabase>),
}

pub(crate) struct TestApp {
    pub(crate) router: Router,
    pub(crate) state: AppState,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) candles: Arc<MemoryCandleStore>,
    pub(crate) hub: Hub,
    pub(crate) control: Arc<RecordingControl>,
    pub(crate) clock: Arc<ManualClock>,
    guard: Option<Guard>,
}

/// Config for tests: plain-HTTP cookies, limits high enough not to interfere.
pub(crate) fn test_config() -> ApiConfig {
    let unlimited = RateLimits {
        anonymous: 100_000,
        free: 100_000,
        pro: 100_000,
        elite: 100_000,
    };
    ApiConfig {
        secure_cookies: false,
        rate_limits: unlimited,
        ..ApiConfig::default()
    }
}

/// The process-wide Prometheus recorder (installed once per test binary).
pub(crate) fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .expect("test data")
        })
        .clone()
}

impl TestApp {
    pub(crate) async fn new() -> Self {
        Self::with(Backend::Sqlite, test_config(), Hub::new()).await
    }

    pub(crate) async fn with_config(config: ApiConfig) -> Self {
        Self::with(Backend::Sqlite, config, Hub::new()).await
    }

    pub(crate) async fn with(backend: Backend, config: ApiConfig, hub: Hub) -> Self {
        let (store, guard) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("test data");
                let path = dir.path().join("sift.db");
                let store = sift_store::open(path.to_str().expect("test data"))
                    .await
                    .expect("test data");
                (store, Guard::Dir(dir))
            }
            Backend::Postgres => {
                let db = sift_test_support::postgres::test_database()
                    .await
                    .expect("test data");
                let store = sift_store::open(db.url()).await.expect("test data");
                (store, Guard::Postgres(Box::new(db)))
            }
        };
        let candles = Arc::new(MemoryCandleStore::new(
            Capacities::new(1_000).expect("test data"),
        ));
        fill_candles(candles.as_ref());
        let control = Arc::new(RecordingControl::new());
        let clock = Arc::new(ManualClock::new(NOW));
        let state = AppState::new(
            Arc::clone(&store),
            candles.clone(),
            hub.clone(),
            control.clone(),
            config,
        )
        .with_clock(clock.clone())
        .with_metrics(prometheus());
        Self {
            router: sift_api::router(state.clone()),
            state,
            store,
            candles,
            hub,
            control,
            clock,
            guard: Some(guard),
        }
    }

    /// Drops a Postgres database (SQLite files go with their directory).
    pub(crate) async fn finish(mut self) {
        self.store.close().await;
        if let Some(Guard::Postgres(db)) = self.guard.take() {
            db.cleanup().await.expect("test data");
        }
    }

    /// Sends a request as it comes from 127.0.0.1.
    pub(crate) async fn send(&self, mut request: Request<Body>) -> axum::response::Response {
        if request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .is_none()
        {
            let addr: SocketAddr = "127.0.0.1:40000".parse().expect("test data");
            request.extensions_mut().insert(ConnectInfo(addr));
        }
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("test data")
    }

    /// A JSON request with `auth`; the answer with its body parsed (Null when empty or not
    /// JSON).
    pub(crate) async fn call(
        &self,
        auth: &Auth,
        method: &str,
        uri: &str,
        body: Option<Value>,
    ) -> Reply {
        let request = auth
            .apply(Request::builder().method(method).uri(uri), method)
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("test data");
        Reply::read(self.send(request).await).await
    }

    pub(crate) async fn get(&self, auth: &Auth, uri: &str) -> Reply {
        self.call(auth, "GET", uri, None).await
    }

    pub(crate) async fn post(&self, auth: &Auth, uri: &str, body: Value) -> Reply {
        self.call(auth, "POST", uri, Some(body)).await
    }

    /// A user of `tier` with a cookie session, created directly in the store (no Argon2 in
    /// tests that do not test passwords).
    pub(crate) async fn account(&self, email: &str, tier: Tier, is_admin: bool) -> Account {
        let user = self
            .store
            .create_user(NewUser {
                email: email.to_owned(),
                password_hash: "unused".to_owned(),
                tier,
                is_admin,
            })
            .await
            .expect("test data");
        let token = sift_store::token::generate();
        let csrf = sift_store::token::generate();
        self.store
            .create_session(NewSession {
                token_hash: sift_store::token::hash(&token),
                user_id: user.id,
                csrf_token: csrf.clone(),
                expires_at: NOW + 86_400_000,
            })
            .await
            .expect("test data");
        Account {
            id: user.id,
            auth: Auth::Session { token, csrf },
        }
    }

    pub(crate) async fn set_tier(&self, user_id: i64, tier: Tier) {
        let update = UserUpdate {
            tier: Some(tier),
            is_admin: None,
        };
        self.store
            .update_user(user_id, update)
            .await
            .expect("test data");
        // Changed behind the API's back, as `sift user` would: drop what the API cached.
        self.state.store_changed();
    }

    /// A trader stored directly: built-in with `access_tier` when `owner` is None.
    pub(crate) async fn trader(
        &self,
        owner: Option<i64>,
        name: &str,
        access_tier: Option<Tier>,
    ) -> Trader {
        let def = TraderDef {
            name: name.to_owned(),
            description: String::new(),
            interval: Interval::M1,
            rule: "close > open".to_owned(),
            symbols: Symbols::All,
            cooldown_bars: 0,
            enabled: true,
            category: None,
            tags: Vec::new(),
            access_tier,
        };
        self.store
            .create_trader(NewTrader {
                owner_id: owner,
                def,
                channels: Vec::new(),
            })
            .await
            .expect("test data")
    }

    /// Stores one signal of `trader` on the candle opening at minute `minute`.
    pub(crate) async fn signal(&self, trader: i64, symbol: &str, minute: i64) -> Signal {
        let open_time = T0 + minute * MINUTE;
        let signal = NewSignal {
            trader_id: trader,
            symbol: symbol.parse().expect("test data"),
            interval: Interval::M1,
            open_time,
            close_time: open_time + MINUTE - 1,
            price: 100.0 + minute as f64,
            values: serde_json::json!({ "close": 100.0 + minute as f64 }),
            created_at: NOW,
        };
        let mut inserted = self
            .store
            .insert_signals(&[signal])
            .await
            .expect("test data");
        inserted.pop().expect("a new signal")
    }
}

/// How a request authenticates.
#[derive(Debug, Clone)]
pub(crate) enum Auth {
    Anonymous,
    /// Cookie session; state-changing requests send the CSRF header.
    Session {
        token: String,
        csrf: String,
    },
    /// Cookie session without the CSRF header.
    SessionNoCsrf {
        token: String,
    },
    Bearer(String),
}

impl Auth {
    fn apply(
        &self,
        builder: axum::http::request::Builder,
        method: &str,
    ) -> axum::http::request::Builder {
        match self {
            Auth::Anonymous => builder,
            Auth::Session { token, csrf } => {
                let builder = builder.header(header::COOKIE, format!("sift_session={token}"));
                if method == "GET" {
                    builder
                } else {
                    builder.header("x-csrf-token", csrf)
                }
            }
            Auth::SessionNoCsrf { token } => {
                builder.header(header::COOKIE, format!("sift_session={token}"))
            }
            Auth::Bearer(token) => builder.header(header::AUTHORIZATION, format!("Bearer {token}")),
        }
    }

    /// The same session without the CSRF header.
    pub(crate) fn without_csrf(&self) -> Auth {
        match self {
            Auth::Session { token, .. } => Auth::SessionNoCsrf {
                token: token.clone(),
            },
            other => other.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) id: i64,
    pub(crate) auth: Auth,
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) json: Value,
}

impl Reply {
    pub(crate) async fn read(response: axum::response::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        if headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "text/event-stream")
        {
            // A stream never ends: its body is not read here.
            return Self {
                status,
                headers,
                json: Value::Null,
            };
        }
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
            .await
            .expect("test data");
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            json,
        }
    }

    /// The error code of an error answer.
    pub(crate) fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    pub(crate) fn id(&self) -> i64 {
        self.json["id"].as_i64().expect("an id")
    }
}

/// 1m candles for BTCUSDT (last closed candle up) and ETHUSDT (last closed candle down),
/// a forming candle each, and fresh tickers.
pub(crate) fn fill_candles(store: &dyn CandleStore) {
    for (name, up_when_odd) in [("BTCUSDT", true), ("ETHUSDT", false)] {
        let symbol: Symbol = name.parse().expect("test data");
        let base = if up_when_odd { 100.0 } else { 50.0 };
        for i in 0..=CANDLES {
            let up = (i % 2 == 1) == up_when_odd;
            let open = base + (i % 7) as f64;
            let close = if up { open + 1.0 } else { open - 1.0 };
            let open_time = T0 + i * MINUTE;
            let mut candle = Candle::ohlcv(
                open_time,
                open,
                open.max(close) + 0.5,
                open.min(close) - 0.5,
                close,
                10.0,
            );
            candle.close_time = open_time + MINUTE - 1;
            candle.quote_volume = 1_000.0;
            if i < CANDLES {
                store
                    .put_closed(&symbol, Interval::M1, &candle)
                    .expect("test data");
            } else {
                candle.closed = false;
                store
                    .put_forming(&symbol, Interval::M1, &candle)
                    .expect("test data");
            }
        }
        store
            .put_ticker(&Ticker {
                symbol: symbol.clone(),
                event_time: NOW - 1_000,
                last_price: base,
                open_price: base - 1.0,
                high_price: base + 5.0,
                low_price: base - 5.0,
                volume: 1_000.0,
                quote_volume: if up_when_odd { 9e9 } else { 1e9 },
            })
            .expect("test data");
    }
}
