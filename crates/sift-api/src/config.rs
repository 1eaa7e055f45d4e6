//! API settings: limits per tier, sessions, cookies, throttling. Embedded in the server's
//! `Settings` (section `[api]`), so every field has a default and unknown fields are errors.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use sift_core::Tier;

/// Everything the API can be tuned with. `Default` is the production configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Largest accepted request body; larger ones get 413 `payload_too_large`.
    pub body_limit_bytes: usize,
    /// Lifetime of a login session, in seconds.
    pub session_ttl_secs: u64,
    /// Mark session cookies `Secure` (required when served over TLS; turn off only for plain
    /// HTTP on localhost).
    pub secure_cookies: bool,
    /// Take the client address from the first `X-Forwarded-For` entry (only behind a proxy that
    /// sets it); otherwise from the TCP peer address.
    pub trust_forwarded_for: bool,
    /// Requests per minute per caller (per user, or per IP when anonymous).
    pub rate_limits: RateLimits,
    /// What each tier may have and use.
    pub tiers: TierLimits,
    /// Failed-login throttling.
    pub login_throttle: LoginThrottle,
    /// The SSE stream.
    pub stream: StreamConfig,
    /// Preview and backtest over stored candles.
    pub evaluation: EvaluationConfig,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            session_ttl_secs: 30 * 24 * 3600,
            secure_cookies: true,
            trust_forwarded_for: false,
            rate_limits: RateLimits::default(),
            tiers: TierLimits::default(),
            login_throttle: LoginThrottle::default(),
            stream: StreamConfig::default(),
            evaluation: EvaluationConfig::default(),
        }
    }
}

/// Requests per minute for each tier; admins get the elite limit. A caller may burst up to a
/// minute's worth at once, then is refilled continuously.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    pub anonymous: u32,
    pub free: u32,
    pub pro: u32,
    pub elite: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            anonymous: 120,
            free: 600,
            pro: 1_800,
            elite: 6_000,
        }
    }
}

impl RateLimits {
    /// The limit of `tier`, at least 1.
    pub fn per_minute(&self, tier: Tier) -> u32 {
        let limit = match tier {
            Tier::Anonymous => self.anonymous,
            Tier::Free => self.free,
            Tier::Pro => self.pro,
            Tier::Elite => self.elite,
        };
        limit.max(1)
    }
}

/// Tier limits (see PRODUCT.md): custom trader quotas and the lowest tier of each feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierLimits {
    /// Most custom (own) traders per tier.
    pub custom_traders: CustomTraderQuotas,
    /// Lowest tier with signal history (listing and fetching stored signals, stream replay).
    pub history_from: Tier,
    /// Lowest tier with favourites.
    pub favourites_from: Tier,
    /// Lowest tier with notifications.
    pub notifications_from: Tier,
    /// Lowest tier with AI drafting.
    pub ai_from: Tier,
}

impl Default for TierLimits {
    fn default() -> Self {
        Self {
            custom_traders: CustomTraderQuotas::default(),
            history_from: Tier::Free,
            favourites_from: Tier::Free,
            notifications_from: Tier::Pro,
            ai_from: Tier::Pro,
        }
    }
}

/// Custom trader quota per tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomTraderQuotas {
    pub anonymous: Quota,
    pub free: Quota,
    pub pro: Quota,
    pub elite: Quota,
}

impl Default for CustomTraderQuotas {
    fn default() -> Self {
        Self {
            anonymous: Quota::Limit(0),
            free: Quota::Limit(0),
            pro: Quota::Limit(10),
            elite: Quota::Unlimited,
        }
    }
}

impl CustomTraderQuotas {
    pub fn of(&self, tier: Tier) -> Quota {
        match tier {
            Tier::Anonymous => self.anonymous,
            Tier::Free => self.free,
            Tier::Pro => self.pro,
            Tier::Elite => self.elite,
        }
    }
}

/// A count limit: a number, or `"unlimited"` in files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Limit(u32),
    Unlimited,
}

impl Quota {
    /// Whether one more is allowed when `used` are in use.
    pub fn allows_one_more(self, used: u64) -> bool {
        match self {
            Quota::Limit(limit) => used < u64::from(limit),
            Quota::Unlimited => true,
        }
    }
}

impl fmt::Display for Quota {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Quota::Limit(n) => n.fmt(f),
            Quota::Unlimited => f.write_str("unlimited"),
        }
    }
}

impl Serialize for Quota {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Quota::Limit(n) => serializer.serialize_u32(*n),
            Quota::Unlimited => serializer.serialize_str("unlimited"),
        }
    }
}

impl<'de> Deserialize<'de> for Quota {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct QuotaVisitor;
        impl Visitor<'_> for QuotaVisitor {
            type Value = Quota;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a count or \"unlimited\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quota, E> {
                u32::try_from(v)
                    .map(Quota::Limit)
                    .map_err(|_| E::custom("quota too large"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quota, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("quota must not be negative"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quota, E> {
                match v {
                    "unlimited" => Ok(Quota::Unlimited),
                    _ => Err(E::custom("expected a count or \"unlimited\"")),
                }
            }
        }
        deserializer.deserialize_any(QuotaVisitor)
    }
}

/// After `max_failures` failed logins within `window_secs` for one email, or for one client
/// address, further attempts answer 429 until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginThrottle {
    pub max_failures: u32,
    pub window_secs: u64,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window_secs: 15 * 60,
        }
    }
}

/// The SSE stream's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StreamConfig {
    /// Seconds between keep-alive comments.
    pub keep_alive_secs: u64,
    /// Most signals replayed after `Last-Event-ID`; beyond it the client gets `resync`.
    pub replay_limit: u32,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            keep_alive_secs: 15,
            replay_limit: 1_000,
        }
    }
}

/// Bounds of preview and backtest requests, which run the engine over stored candles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvaluationConfig {
    /// Most stored candles read per (symbol, interval).
    pub max_candles: usize,
    /// Most signals a backtest answers with (the summary counts all of them).
    pub max_backtest_signals: usize,
    /// Time budget of one preview or backtest, in seconds; beyond it 503 `unavailable`.
    pub timeout_secs: u64,
}

impl Default for EvaluationConfig {
    fn default() -> Self {
        Self {
            max_candles: 1_000,
            max_backtest_signals: 1_000,
            timeout_secs: 30,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_product_tiers() {
        let config = ApiConfig::default();
        let quotas = config.tiers.custom_traders;
        assert_eq!(quotas.of(Tier::Free), Quota::Limit(0));
        assert_eq!(quotas.of(Tier::Pro), Quota::Limit(10));
        assert_eq!(quotas.of(Tier::Elite), Quota::Unlimited);
        let limits = config.rate_limits;
        assert!(limits.per_minute(Tier::Anonymous) < limits.per_minute(Tier::Free));
        assert!(limits.per_minute(Tier::Free) < limits.per_minute(Tier::Pro));
        assert!(limits.per_minute(Tier::Pro) < limits.per_minute(Tier::Elite));
        assert_eq!(config.body_limit_bytes, 1 << 20);
    }

    #[test]
    fn deserializes_partial_json_with_quotas() {
        let json = r#"{"secure_cookies": false,
            "tiers": {"custom_traders": {"pro": "unlimited", "elite": 3}},
            "rate_limits": {"free": 5}}"#;
        let config: ApiConfig = serde_json::from_str(json).unwrap();
        assert!(!config.secure_cookies);
        assert_eq!(config.tiers.custom_traders.pro, Quota::Unlimited);
        assert_eq!(config.tiers.custom_traders.elite, Quota::Limit(3));
        assert_eq!(config.rate_limits.free, 5);
        assert_eq!(config.rate_limits.pro, RateLimits::default().pro);
        let round = serde_json::to_string(&config).unwrap();
        assert_eq!(serde_json::from_str::<ApiConfig>(&round).unwrap(), config);
        assert!(serde_json::from_str::<ApiConfig>(r#"{"nope": 1}"#).is_err());
        assert!(serde_json::from_str::<Quota>(r#""lots""#).is_err());
        assert!(serde_json::from_str::<Quota>("-1").is_err());
    }

    #[test]
    fn quota_counts() {
        assert!(!Quota::Limit(0).allows_one_more(0));
        assert!(Quota::Limit(10).allows_one_more(9));
        assert!(!Quota::Limit(10).allows_one_more(10));
        assert!(Quota::Unlimited.allows_one_more(u64::MAX));
    }
}
