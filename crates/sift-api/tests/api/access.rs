//! The route × role × tier matrix, quotas, and hidden ids answering 404; run on SQLite and
//! on Postgres.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sift_api::{ControlEvent, Hub};
use sift_core::Tier;

use crate::common::{Account, Auth, Backend, TestApp, test_config};

/// Roles in the order of the expected-status columns.
const ROLES: [&str; 5] = ["anonymous", "free", "pro (owner)", "elite", "admin"];

struct World {
    app: TestApp,
    /// Anonymous, free, pro (the owner), elite, admin (free tier).
    callers: Vec<Auth>,
    ids: Ids,
}

#[allow(dead_code)]
struct Ids {
    owner: i64,
    elite: i64,
    builtin: [i64; 4],
    own: i64,
    own_deletable: i64,
    builtin_deletable: i64,
    signal_builtin_pro: i64,
    signal_own: i64,
    elite_token: i64,
    elite_favourite: i64,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::with(backend, test_config(), Hub::new()).await;
    let free = app.account("free@example.com", Tier::Free, false).await;
    let pro = app.account("pro@example.com", Tier::Pro, false).await;
    let elite = app.account("elite@example.com", Tier::Elite, false).await;
    let admin = app.account("admin@example.com", Tier::Free, true).await;
    let mut builtin = [0; 4];
    for (i, tier) in Tier::ALL.into_iter().enumerate() {
        builtin[i] = app
            .trader(None, &format!("builtin {tier}"), Some(tier))
            .await
            .id;
    }
    let own = app.trader(Some(pro.id), "own", None).await.id;
    let own_deletable = app.trader(Some(pro.id), "own, to delete", None).await.id;
    let builtin_deletable = app
        .trader(None, "builtin to delete", Some(Tier::Free))
        .await
        .id;
    for (i, &id) in builtin.iter().enumerate() {
        app.signal(id, "BTCUSDT", i as i64).await;
    }
    let signal_builtin_pro = app.signal(builtin[2], "ETHUSDT", 10).await.id;
    let signal_own = app.signal(own, "BTCUSDT", 11).await.id;
    let token = app
        .post(
            &elite.auth,
            "/api/v1/auth/tokens",
            json!({ "name": "elite's" }),
        )
        .await;
    let favourite = app
        .post(
            &elite.auth,
            "/api/v1/favourites",
            json!({ "symbol": "BTCUSDT" }),
        )
        .await;
    let ids = Ids {
        owner: pro.id,
        elite: elite.id,
        builtin,
        own,
        own_deletable,
        builtin_deletable,
        signal_builtin_pro,
        signal_own,
        elite_token: token.id(),
        elite_favourite: favourite.id(),
    };
    let callers = [Auth::Anonymous]
        .into_iter()
        .chain([free, pro, elite, admin].map(|a: Account| a.auth))
        .collect();
    World { app, callers, ids }
}

fn trader_body(name: &str) -> Value {
    json!({ "name": name, "description": "", "interval": "1m", "rule": "close > open",
            "symbols": "all", "cooldown_bars": 0, "enabled": true })
}

/// (method, path, body, expected status per role).
type Row = (&'static str, String, Option<Value>, [u16; 5]);

fn rows(ids: &Ids) -> Vec<Row> {
    let [b_anon, b_free, b_pro, b_elite] = ids.builtin;
    let own = ids.own;
    let v1 = |p: &str| format!("/api/v1{p}");
    let builtin = json!({ "name": "new builtin", "interval": "5m", "rule": "close > open",
                          "builtin": true, "access_tier": "pro" });
    vec![
        ("GET", v1("/me"), None, [401, 200, 200, 200, 200]),
        ("GET", v1("/auth/tokens"), None, [401, 200, 200, 200, 200]),
        (
            "POST",
            v1("/auth/tokens"),
            Some(json!({"name": "t"})),
            [401, 201, 201, 201, 201],
        ),
        (
            "DELETE",
            v1(&format!("/auth/tokens/{}", ids.elite_token)),
            None,
            [401, 404, 404, 204, 404],
        ),
        ("GET", v1("/traders"), None, [200; 5]),
        (
            "POST",
            v1("/traders"),
            Some(trader_body("mine")),
            [401, 403, 201, 201, 201],
        ),
        (
            "POST",
            v1("/traders"),
            Some(builtin),
            [401, 403, 403, 403, 201],
        ),
        ("GET", v1(&format!("/traders/{b_anon}")), None, [200; 5]),
        (
            "GET",
            v1(&format!("/traders/{b_free}")),
            None,
            [404, 200, 200, 200, 200],
        ),
        (
            "GET",
            v1(&format!("/traders/{b_pro}")),
            None,
            [404, 404, 200, 200, 200],
        ),
        (
            "GET",
            v1(&format!("/traders/{b_elite}")),
            None,
            [404, 404, 404, 200, 200],
        ),
        (
            "GET",
            v1(&format!("/traders/{own}")),
            None,
            [404, 404, 200, 404, 404],
        ),
        ("GET", v1("/traders/999999"), None, [404; 5]),
        (
            "PATCH",
            v1(&format!("/traders/{own}")),
            Some(json!({"cooldown_bars": 3})),
            [401, 404, 200, 404, 404],
        ),
        (
            "PATCH",
            v1(&format!("/traders/{own}")),
            Some(json!({"access_tier": "anonymous"})),
            [401, 404, 403, 404, 404],
        ),
        (
            "PATCH",
            v1(&format!("/traders/{b_anon}")),
            Some(json!({"cooldown_bars": 2})),
            [401, 403, 403, 403, 200],
        ),
        (
            "PATCH",
            v1(&format!("/traders/{b_elite}")),
            Some(json!({"access_tier": "elite"})),
            [401, 404, 404, 403, 200],
        ),
        (
            "PUT",
            v1(&format!("/traders/{own}")),
            Some(trader_body("renamed")),
            [401, 404, 200, 404, 404],
        ),
        (
            "PUT",
            v1(&format!("/traders/{b_free}")),
            Some(trader_body("builtin renamed")),
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            v1(&format!("/traders/{own}/disable")),
            None,
            [401, 404, 200, 404, 404],
        ),
        (
            "POST",
            v1(&format!("/traders/{own}/enable")),
            None,
            [401, 404, 200, 404, 404],
        ),
        (
            "POST",
            v1(&format!("/traders/{b_free}/disable")),
            None,
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            v1(&format!("/traders/{b_free}/enable")),
            None,
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            v1("/traders/validate"),
            Some(json!({"rule": "close >", "interval": "1m"})),
            [200; 5],
        ),
        (
            "POST",
            v1("/traders/preview"),
            Some(json!({"rule": "close > open", "interval": "1m"})),
            [401, 403, 200, 200, 200],
        ),
        (
            "POST",
            v1(&format!("/traders/{b_anon}/preview")),
            None,
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            v1(&format!("/traders/{b_pro}/preview")),
            None,
            [401, 404, 200, 200, 200],
        ),
        (
            "POST",
            v1(&format!("/traders/{own}/preview")),
            None,
            [401, 404, 200, 404, 404],
        ),
        (
            "POST",
            v1(&format!("/traders/{b_free}/backtest")),
            Some(json!({})),
            [401, 200, 200, 200, 200],
        ),
        (
            "POST",
            v1(&format!("/traders/{own}/backtest")),
            Some(json!({})),
            [401, 404, 200, 404, 404],
        ),
        ("GET", v1("/signals"), None, [401, 200, 200, 200, 200]),
        (
            "GET",
            v1(&format!("/signals?trader_id={b_pro}")),
            None,
            [401, 404, 200, 200, 200],
        ),
        (
            "GET",
            v1(&format!("/signals?trader_id={own}")),
            None,
            [401, 404, 200, 404, 404],
        ),
        (
            "GET",
            v1(&format!("/signals/{}", ids.signal_builtin_pro)),
            None,
            [401, 404, 200, 200, 200],
        ),
        (
            "GET",
            v1(&format!("/signals/{}", ids.signal_own)),
            None,
            [401, 404, 200, 404, 404],
        ),
        (
            "GET",
            v1("/signals/999999"),
            None,
            [401, 404, 404, 404, 404],
        ),
        ("GET", v1("/market/symbols"), None, [200; 5]),
        ("GET", v1("/market/tickers"), None, [200; 5]),
        (
            "GET",
            v1("/market/klines/BTCUSDT/1m?limit=5"),
            None,
            [200; 5],
        ),
        ("GET", v1("/market/klines/XRPUSDT/1m"), None, [404; 5]),
        ("GET", v1("/stream?topics=signals"), None, [200; 5]),
        ("GET", v1("/executions"), None, [401, 200, 200, 200, 200]),
        ("GET", v1("/favourites"), None, [401, 200, 200, 200, 200]),
        (
            "POST",
            v1("/favourites"),
            Some(json!({"trader_id": b_pro})),
            [401, 404, 201, 201, 201],
        ),
        (
            "POST",
            v1("/favourites"),
            Some(json!({"trader_id": own})),
            [401, 404, 201, 404, 404],
        ),
        (
            "DELETE",
            v1(&format!("/favourites/{}", ids.elite_favourite)),
            None,
            [401, 404, 404, 204, 404],
        ),
        ("GET", v1("/admin/users"), None, [401, 403, 403, 403, 200]),
        (
            "PATCH",
            v1(&format!("/admin/users/{}", ids.elite)),
            Some(json!({"tier": "elite"})),
            [401, 403, 403, 403, 200],
        ),
        (
            "PATCH",
            v1("/admin/users/999999"),
            Some(json!({"tier": "pro"})),
            [401, 403, 403, 403, 404],
        ),
        (
            "GET",
            v1("/admin/execution"),
            None,
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            v1("/admin/execution/pause"),
            None,
            [401, 403, 403, 403, 200],
        ),
        (
            "POST",
            v1("/admin/execution/resume"),
            None,
            [401, 403, 403, 403, 200],
        ),
        ("GET", v1("/admin/audit"), None, [401, 403, 403, 403, 200]),
        (
            "DELETE",
            v1(&format!("/traders/{}", ids.builtin_deletable)),
            None,
            [401, 403, 403, 403, 204],
        ),
        (
            "DELETE",
            v1(&format!("/traders/{}", ids.own_deletable)),
            None,
            [401, 404, 204, 404, 404],
        ),
        ("GET", v1("/openapi.json"), None, [200; 5]),
        ("GET", "/health".to_owned(), None, [200; 5]),
        ("GET", "/metrics".to_owned(), None, [200; 5]),
        ("POST", v1("/auth/logout"), None, [204; 5]),
    ]
}

async fn walk(backend: Backend) {
    let World { app, callers, ids } = world(backend).await;
    let mut failures = Vec::new();
    for (method, path, body, expected) in rows(&ids) {
        for (role, (auth, want)) in callers.iter().zip(expected).enumerate() {
            let reply = app.call(auth, method, &path, body.clone()).await;
            if reply.status.as_u16() != want {
                failures.push(format!(
                    "{method} {path} as {}: {} (want {want}) {}",
                    ROLES[role], reply.status, reply.json
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every admin change was audited; owners' changes were not.
    let audit = app.store.list_audit(None, 100).await.expect("test data");
    let actions: Vec<&str> = audit.iter().rev().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "trader.create",
            "trader.update",
            "trader.update",
            "trader.update",
            "trader.disable",
            "trader.enable",
            "user.update",
            "execution.pause",
            "execution.resume",
            "trader.delete"
        ]
    );
    let events = app.control.events();
    assert!(events.contains(&ControlEvent::Changed(ids.own)));
    assert!(events.contains(&ControlEvent::Removed(ids.own_deletable)));
    assert!(events.contains(&ControlEvent::Paused(true)));
    assert!(!app.control.paused());
    app.finish().await;
}

#[tokio::test]
async fn route_role_tier_matrix_sqlite() {
    walk(Backend::Sqlite).await;
}

#[tokio::test]
async fn route_role_tier_matrix_postgres() {
    walk(Backend::Postgres).await;
}

#[tokio::test]
async fn lists_show_exactly_what_each_tier_may_see() {
    let World { app, callers, ids } = world(Backend::Sqlite).await;
    let [b_anon, b_free, b_pro, b_elite] = ids.builtin;
    let names = |reply: &Value| -> Vec<i64> {
        let mut ids: Vec<i64> = reply["traders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    let deletable = ids.builtin_deletable;
    let expected: [Vec<i64>; 5] = [
        vec![b_anon],
        vec![b_anon, b_free, deletable],
        vec![b_anon, b_free, b_pro, ids.own, ids.own_deletable, deletable],
        vec![b_anon, b_free, b_pro, b_elite, deletable],
        vec![b_anon, b_free, b_pro, b_elite, deletable],
    ];
    for (auth, want) in callers.iter().zip(expected) {
        let mut want = want;
        want.sort_unstable();
        assert_eq!(names(&app.get(auth, "/api/v1/traders").await.json), want);
    }
    // Signals: each caller lists the signals of exactly the traders it sees.
    let counts: Vec<usize> = {
        let mut counts = Vec::new();
        for auth in &callers[1..] {
            let reply = app.get(auth, "/api/v1/signals").await;
            counts.push(reply.json["signals"].as_array().unwrap().len());
        }
        counts
    };
    // free: anon+free builtins; pro: + pro (2) + own; elite: 4 builtins + 1; admin: same.
    assert_eq!(counts, [2, 5, 5, 5]);
    app.finish().await;
}

#[tokio::test]
async fn quotas_follow_the_tier() {
    let mut config = test_config();
    config.tiers.custom_traders.pro = sift_api::Quota::Limit(3);
    let app = TestApp::with(Backend::Sqlite, config, Hub::new()).await;
    let pro = app.account("p@example.com", Tier::Pro, false).await;
    let elite = app.account("e@example.com", Tier::Elite, false).await;
    let free = app.account("f@example.com", Tier::Free, false).await;
    for i in 0..3 {
        let reply = app
            .post(&pro.auth, "/api/v1/traders", trader_body(&format!("t{i}")))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json);
        assert_eq!(reply.json["builtin"], false);
        assert_eq!(reply.json["owner_id"], pro.id);
    }
    let reply = app
        .post(&pro.auth, "/api/v1/traders", trader_body("t3"))
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);
    assert_eq!(reply.code(), "quota_exceeded");
    assert_eq!(reply.json["error"]["message"], "3 of 3 custom traders used");
    let reply = app
        .post(&free.auth, "/api/v1/traders", trader_body("f"))
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    for i in 0..5 {
        let reply = app
            .post(
                &elite.auth,
                "/api/v1/traders",
                trader_body(&format!("e{i}")),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED);
    }
    // An upgrade raises the quota at once; a downgrade stops new ones but keeps the old.
    app.set_tier(pro.id, Tier::Elite).await;
    let reply = app
        .post(&pro.auth, "/api/v1/traders", trader_body("t3"))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    app.set_tier(pro.id, Tier::Free).await;
    assert_eq!(
        app.get(&pro.auth, "/api/v1/traders?builtin=false")
            .await
            .json["traders"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    app.finish().await;
}

#[tokio::test]
async fn owners_cannot_make_traders_builtin_or_tiered() {
    let app = TestApp::new().await;
    let pro = app.account("p@example.com", Tier::Pro, false).await;
    let mut body = trader_body("sneaky");
    body["access_tier"] = json!("anonymous");
    let reply = app.post(&pro.auth, "/api/v1/traders", body).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let mut body = trader_body("sneaky");
    body["builtin"] = json!(true);
    assert_eq!(
        app.post(&pro.auth, "/api/v1/traders", body).await.status,
        StatusCode::FORBIDDEN
    );
    let created = app
        .post(&pro.auth, "/api/v1/traders", trader_body("mine"))
        .await;
    let path = format!("/api/v1/traders/{}", created.id());
    let mut body = trader_body("mine");
    body["builtin"] = json!(true);
    let reply = app.call(&pro.auth, "PUT", &path, Some(body)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    let reply = app
        .call(&pro.auth, "PATCH", &path, Some(json!({"owner_id": null})))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused"
    );
    let stored = app.store.get_trader(created.id()).await.unwrap().unwrap();
    assert_eq!(stored.owner_id, Some(pro.id));
    assert_eq!(stored.def.access_tier, None);
    app.finish().await;
}

#[tokio::test]
async fn visible_traders_are_cached_briefly_and_dropped_on_change() {
    let app = TestApp::new().await;
    let pro = app.account("p@example.com", Tier::Pro, false).await;
    let count = |reply: crate::common::Reply| reply.json["signals"].as_array().map_or(0, Vec::len);
    assert_eq!(count(app.get(&pro.auth, "/api/v1/signals").await), 0);
    // Created through the API: visible at once.
    let created = app
        .post(&pro.auth, "/api/v1/traders", trader_body("mine"))
        .await;
    app.signal(created.id(), "BTCUSDT", 1).await;
    assert_eq!(count(app.get(&pro.auth, "/api/v1/signals").await), 1);
    // Created behind the API's back (another instance): visible within the TTL.
    let builtin = app.trader(None, "elsewhere", Some(Tier::Free)).await;
    app.signal(builtin.id, "BTCUSDT", 2).await;
    assert_eq!(count(app.get(&pro.auth, "/api/v1/signals").await), 1);
    app.clock.advance(sift_api::cache::TTL_MS);
    assert_eq!(count(app.get(&pro.auth, "/api/v1/signals").await), 2);
    // A tier change applies at once once the API knows of it.
    let elite = app.trader(None, "elite only", Some(Tier::Elite)).await;
    app.signal(elite.id, "BTCUSDT", 3).await;
    app.set_tier(pro.id, Tier::Elite).await;
    assert_eq!(count(app.get(&pro.auth, "/api/v1/signals").await), 3);
    app.set_tier(pro.id, Tier::Pro).await;
    assert_eq!(count(app.get(&pro.auth, "/api/v1/signals").await), 2);
    app.finish().await;
}

#[tokio::test]
async fn an_admin_tier_change_applies_to_the_next_request() {
    let app = TestApp::new().await;
    let admin = app.account("a@example.com", Tier::Free, true).await;
    let user = app.account("u@example.com", Tier::Pro, false).await;
    let pro_only = app.trader(None, "pro only", Some(Tier::Pro)).await;
    let path = format!("/api/v1/traders/{}", pro_only.id);
    assert_eq!(app.get(&user.auth, &path).await.status, StatusCode::OK);
    let patch = json!({ "tier": "free" });
    let reply = app
        .call(
            &admin.auth,
            "PATCH",
            &format!("/api/v1/admin/users/{}", user.id),
            Some(patch),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["tier"], "free");
    assert_eq!(
        app.get(&user.auth, &path).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&user.auth, "/api/v1/me").await.json["tier"], "free");
    app.finish().await;
}
