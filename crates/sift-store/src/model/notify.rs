//! Notification channels, deliveries (the outbox) and delivery attempts.

use std::str::FromStr;

use serde::Serialize;
use serde_json::Value;

/// A notification channel kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    Webhook,
    Telegram,
    Discord,
}

impl ChannelKind {
    /// Every kind.
    pub const ALL: [ChannelKind; 3] = [Self::Webhook, Self::Telegram, Self::Discord];

    /// The lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Telegram => "telegram",
            Self::Discord => "discord",
        }
    }
}

impl FromStr for ChannelKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown channel kind {s:?}"))
    }
}

/// A user's notification channel. `config` is stored as given (the notifier refines what it
/// holds); `secret` (the webhook signing key) is never serialized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    pub id: i64,
    pub user_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub config: Value,
    #[serde(skip_serializing)]
    pub secret: Option<String>,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A channel to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewChannel {
    pub user_id: i64,
    pub kind: ChannelKind,
    pub name: String,
    pub config: Value,
    pub secret: Option<String>,
    pub enabled: bool,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Failed,
}

impl DeliveryStatus {
    /// The lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for DeliveryStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Pending, Self::Sent, Self::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown delivery status {s:?}"))
    }
}

/// One notification of one channel (an outbox row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub channel_id: i64,
    /// `None` for a test message.
    pub signal_id: Option<i64>,
    /// Unique; sent in every payload so receivers can drop repeats.
    pub idempotency_key: String,
    pub status: DeliveryStatus,
    pub attempts: i64,
    /// When a pending delivery is due (or its claim lease ends).
    pub next_attempt_at: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub latency_ms: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A delivery to queue outside a close commit (a channel test, a requeue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub channel_id: i64,
    pub signal_id: Option<i64>,
    pub idempotency_key: String,
    pub next_attempt_at: i64,
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The receiver acknowledged it.
    Sent,
    /// Try again at this time.
    Retry { next_attempt_at: i64 },
    /// Give up.
    Failed,
}

/// One delivery attempt to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub outcome: AttemptOutcome,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub at: i64,
}

/// A recorded attempt, for the owner's delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttemptRecord {
    pub id: i64,
    pub delivery_id: i64,
    /// 1 for the first attempt.
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub created_at: i64,
}
