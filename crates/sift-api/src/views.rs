//! The JSON the API answers with, one struct per shape, documented for OpenAPI. Built from the
//! store's records so that a field added to the database is not published by accident.

use serde::Serialize;
use serde_json::Value;
use sift_core::{Candle, Interval, Symbol, Ticker, Tier};
use sift_store::{AuditEntry, Execution, Favourite, FavouriteTarget, Signal, Trader, User};
use sift_traders::Symbols;
use utoipa::ToSchema;

use crate::config::{Quota, TierLimits};

/// A signal, as listed, fetched and streamed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignalView {
    pub id: i64,
    pub trader_id: i64,
    #[schema(value_type = String, example = "BTCUSDT")]
    pub symbol: Symbol,
    #[schema(value_type = String, example = "1m")]
    pub interval: Interval,
    /// Open time of the candle whose close fired it (ms).
    pub open_time: i64,
    pub close_time: i64,
    /// Close price of that candle.
    pub price: f64,
    /// The values the rule referenced, by their text (`{"rsi(14)": 28.4}`).
    #[schema(value_type = Object)]
    pub values: Value,
    pub created_at: i64,
}

impl From<&Signal> for SignalView {
    fn from(s: &Signal) -> Self {
        Self {
            id: s.id,
            trader_id: s.trader_id,
            symbol: s.symbol.clone(),
            interval: s.interval,
            open_time: s.open_time,
            close_time: s.close_time,
            price: s.price,
            values: s.values.clone(),
            created_at: s.created_at,
        }
    }
}

/// A trader: a built-in (`builtin: true`, with its `access_tier`) or one of the caller's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TraderView {
    pub id: i64,
    pub name: String,
    pub description: String,
    #[schema(value_type = String, example = "5m")]
    pub interval: Interval,
    pub rule: String,
    /// `"all"`, a list of symbols, or `{"top": N}`.
    #[schema(value_type = Object)]
    pub symbols: Symbols,
    pub cooldown_bars: u32,
    pub enabled: bool,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub builtin: bool,
    /// The lowest tier that sees a built-in; null for custom traders.
    #[schema(value_type = Option<String>, example = "free")]
    pub access_tier: Option<Tier>,
    /// The owner of a custom trader; null for built-ins.
    pub owner_id: Option<i64>,
    /// Notification channel ids.
    pub channels: Vec<i64>,
    /// 1 on creation, incremented by every update.
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Trader> for TraderView {
    fn from(t: &Trader) -> Self {
        let def = &t.def;
        Self {
            id: t.id,
            name: def.name.clone(),
            description: def.description.clone(),
            interval: def.interval,
            rule: def.rule.clone(),
            symbols: def.symbols.clone(),
            cooldown_bars: def.cooldown_bars,
            enabled: def.enabled,
            category: def.category.clone(),
            tags: def.tags.clone(),
            builtin: t.is_builtin(),
            access_tier: t
                .is_builtin()
                .then(|| def.access_tier.unwrap_or(Tier::Anonymous)),
            owner_id: t.owner_id,
            channels: t.channels.clone(),
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// The caller (`GET /me`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeView {
    pub id: i64,
    pub email: String,
    #[schema(value_type = String, example = "free")]
    pub tier: Tier,
    pub is_admin: bool,
    /// What the caller's tier allows, as this server is configured.
    pub limits: LimitsView,
}

/// The caller's tier limits (admins have no quota and every feature).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LimitsView {
    /// Most own traders; null for unlimited.
    #[schema(example = 10)]
    pub custom_traders: Option<u32>,
    /// Whether the caller may list stored signals.
    pub history: bool,
    /// Whether the caller may create and test notification channels.
    pub notifications: bool,
    /// Whether the caller may draft traders with AI.
    pub ai: bool,
}

impl MeView {
    /// `user` with the limits of their tier under `tiers`.
    pub fn new(u: &User, tiers: &TierLimits) -> Self {
        let has = |from: Tier| u.is_admin || u.tier >= from;
        let custom_traders = match tiers.custom_traders.of(u.tier) {
            _ if u.is_admin => None,
            Quota::Limit(n) => Some(n),
            Quota::Unlimited => None,
        };
        Self {
            id: u.id,
            email: u.email.clone(),
            tier: u.tier,
            is_admin: u.is_admin,
            limits: LimitsView {
                custom_traders,
                history: has(tiers.history_from),
                notifications: has(tiers.notifications_from),
                ai: has(tiers.ai_from),
            },
        }
    }
}

/// A user as admins see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    #[schema(value_type = String, example = "pro")]
    pub tier: Tier,
    pub is_admin: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id,
            email: u.email.clone(),
            tier: u.tier,
            is_admin: u.is_admin,
            created_at: u.created_at,
            last_login_at: u.last_login_at,
        }
    }
}

/// One candle (klines, stream).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct CandleView {
    pub open_time: i64,
    pub close_time: i64,
    pub open: f64,
    pub high: f64,
    pub low: f64,
    pub close: f64,
    pub volume: f64,
    pub quote_volume: f64,
    pub trades: u64,
    /// False for the forming candle.
    pub closed: bool,
}

impl CandleView {
    pub fn new(c: &Candle, closed: bool) -> Self {
        Self {
            open_time: c.open_time,
            close_time: c.close_time,
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
            volume: c.volume,
            quote_volume: c.quote_volume,
            trades: c.trades,
            closed,
        }
    }
}

/// Rolling 24 h statistics of a symbol.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TickerView {
    #[schema(value_type = String, example = "BTCUSDT")]
    pub symbol: Symbol,
    pub event_time: i64,
    pub last_price: f64,
    pub open_price: f64,
    pub high_price: f64,
    pub low_price: f64,
    pub volume: f64,
    pub quote_volume: f64,
    /// Percent change over 24 h; null when the open price is zero.
    pub change_percent: Option<f64>,
}

impl From<&Ticker> for TickerView {
    fn from(t: &Ticker) -> Self {
        Self {
            symbol: t.symbol.clone(),
            event_time: t.event_time,
            last_price: t.last_price,
            open_price: t.open_price,
            high_price: t.high_price,
            low_price: t.low_price,
            volume: t.volume,
            quote_volume: t.quote_volume,
            change_percent: t.change_percent(),
        }
    }
}

/// One processed candle close.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExecutionView {
    pub id: i64,
    #[schema(value_type = String, example = "1m")]
    pub interval: Interval,
    pub open_time: i64,
    pub traders_run: i64,
    pub symbols_checked: i64,
    pub symbols_matched: i64,
    pub signals: i64,
    pub duration_us: i64,
    #[schema(value_type = Object)]
    pub errors: Value,
    pub created_at: i64,
}

impl From<&Execution> for ExecutionView {
    fn from(e: &Execution) -> Self {
        Self {
            id: e.id,
            interval: e.interval,
            open_time: e.open_time,
            traders_run: e.traders_run,
            symbols_checked: e.symbols_checked,
            symbols_matched: e.symbols_matched,
            signals: e.signals,
            duration_us: e.duration_us,
            errors: e.errors.clone(),
            created_at: e.created_at,
        }
    }
}

/// A favourite symbol or trader: exactly one of `symbol` and `trader_id` is set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FavouriteView {
    pub id: i64,
    #[schema(value_type = Option<String>, example = "BTCUSDT")]
    pub symbol: Option<Symbol>,
    pub trader_id: Option<i64>,
    pub created_at: i64,
}

impl From<&Favourite> for FavouriteView {
    fn from(f: &Favourite) -> Self {
        let (symbol, trader_id) = match &f.target {
            FavouriteTarget::Symbol(s) => (Some(s.clone()), None),
            FavouriteTarget::Trader(id) => (None, Some(*id)),
        };
        Self {
            id: f.id,
            symbol,
            trader_id,
            created_at: f.created_at,
        }
    }
}

/// An admin action.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub details: Value,
    pub created_at: i64,
}

impl From<&AuditEntry> for AuditView {
    fn from(a: &AuditEntry) -> Self {
        Self {
            id: a.id,
            actor_id: a.actor_id,
            action: a.action.clone(),
            target: a.target.clone(),
            details: a.details.clone(),
            created_at: a.created_at,
        }
    }
}
