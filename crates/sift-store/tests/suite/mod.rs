//! The store's behavioural suite: every function takes a [`harness::Harness`] and must pass
//! on both backends.

pub(crate) mod accounts;
pub(crate) mod close;
pub(crate) mod harness;
pub(crate) mod misc;
pub(crate) mod notify;
pub(crate) mod signals;
pub(crate) mod traders;

use serde_json::json;
use sift_core::{Interval, Symbol, Tier};
use sift_store::{NewSignal, NewTrader, NewUser, Store, Trader, User};
use sift_traders::{Symbols, TraderDef};

pub(crate) fn sym(name: &str) -> Symbol {
    name.parse().unwrap()
}

pub(crate) fn def(name: &str) -> TraderDef {
    TraderDef {
        name: name.to_owned(),
        description: format!("{name} description"),
        interval: Interval::M1,
        rule: "rsi(14) < 30".to_owned(),
        symbols: Symbols::All,
        cooldown_bars: 3,
        enabled: true,
        category: None,
        tags: vec![],
        access_tier: None,
    }
}

pub(crate) async fn user(store: &dyn Store, email: &str) -> User {
    store
        .create_user(NewUser {
            email: email.to_owned(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$fake".to_owned(),
            tier: Tier::Free,
            is_admin: false,
        })
        .await
        .unwrap()
}

pub(crate) async fn trader(store: &dyn Store, owner: Option<i64>, name: &str) -> Trader {
    store
        .create_trader(NewTrader {
            owner_id: owner,
            def: def(name),
            channels: vec![],
        })
        .await
        .unwrap()
}

pub(crate) fn signal(trader_id: i64, symbol: &str, open_time: i64) -> NewSignal {
    NewSignal {
        trader_id,
        symbol: sym(symbol),
        interval: Interval::M1,
        open_time,
        close_time: open_time + 59_999,
        price: 42_000.5,
        values: json!({"rsi": 28.5, "close": 42_000.5}),
        created_at: open_time + 60_000,
    }
}
