//! Stored traders, their filters and seeding outcomes.

use serde::Serialize;
use sift_core::{Interval, Tier};
use sift_traders::TraderDef;

/// A stored trader: its definition plus ownership and bookkeeping. Serializes flat
/// (`{"id", "name", "interval", ..., "owner_id", "version"}`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trader {
    pub id: i64,
    /// `None` for a built-in trader.
    pub owner_id: Option<i64>,
    /// The built-in's file name (`rsi-oversold-bounce.toml`) when seeded from the built-ins.
    pub builtin_key: Option<String>,
    #[serde(flatten)]
    pub def: TraderDef,
    /// Notification channel ids this trader notifies.
    pub channels: Vec<i64>,
    /// Set when an admin changed a built-in; reseeding then leaves it alone.
    pub edited_by_admin: bool,
    /// 1 on insert, incremented by every update.
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Trader {
    /// Whether this is a built-in trader (no owner).
    pub fn is_builtin(&self) -> bool {
        self.owner_id.is_none()
    }
}

/// A trader to create. `owner_id: None` creates a built-in (admins only; the API decides).
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrader {
    pub owner_id: Option<i64>,
    pub def: TraderDef,
    pub channels: Vec<i64>,
}

/// A full replacement of a trader's definition and channels.
#[derive(Debug, Clone, PartialEq)]
pub struct TraderUpdate {
    pub def: TraderDef,
    pub channels: Vec<i64>,
    /// When set, the update fails with [`crate::StoreError::Conflict`] (constraint
    /// `traders_version`) unless the stored version equals it (optimistic locking).
    pub expected_version: Option<i64>,
}

/// Whose traders a list returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraderScope {
    /// Every trader.
    #[default]
    All,
    /// Built-ins only.
    Builtin,
    /// The traders of one user.
    Owner(i64),
    /// The traders of one user plus the built-ins.
    OwnerAndBuiltin(i64),
}

/// Filters for [`crate::Store::list_traders`]; results are ordered by id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TraderFilter {
    pub scope: TraderScope,
    /// Built-ins only up to this access tier (built-ins without a tier count as anonymous);
    /// owned traders are not affected.
    pub max_access_tier: Option<Tier>,
    pub enabled: Option<bool>,
    pub interval: Option<Interval>,
    pub category: Option<String>,
}

/// What [`crate::Store::seed_builtin`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeedOutcome {
    Inserted,
    Updated,
    Unchanged,
    /// An admin edited it; the stored version was kept.
    KeptEdited,
}
