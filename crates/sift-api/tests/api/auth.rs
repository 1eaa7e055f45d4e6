//! Accounts: register, login, logout, me, API tokens, CSRF, login throttling, rate limits,
//! the first admin.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use sift_api::{AdminOutcome, ensure_admin};
use sift_core::Tier;

use crate::common::{Auth, Reply, TestApp, test_config};

/// The session cookie token and CSRF token of a login or register answer.
fn session_of(reply: &Reply) -> Auth {
    let cookies: Vec<&str> = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("test data"))
        .collect();
    let session = cookies
        .iter()
        .find(|c| c.starts_with("sift_session="))
        .expect("a session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(attr), "{session}");
    }
    let token = session
        .trim_start_matches("sift_session=")
        .split(';')
        .next()
        .expect("test data")
        .to_owned();
    let csrf = reply.json["csrf_token"]
        .as_str()
        .expect("test data")
        .to_owned();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with(&format!("sift_csrf={csrf};")))
    );
    Auth::Session { token, csrf }
}

#[tokio::test]
async fn register_login_me_logout() {
    let app = TestApp::new().await;
    let body = json!({ "email": "Ann@Example.com", "password": "correct horse" });
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/auth/register", body)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.json);
    assert_eq!(reply.json["user"]["email"], "ann@example.com");
    assert_eq!(reply.json["user"]["tier"], "free");
    assert_eq!(reply.json["user"]["is_admin"], false);
    let registered = session_of(&reply);

    let me = app.get(&registered, "/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);
    let keys: Vec<&String> = me.json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["id", "email", "tier", "is_admin", "limits"]);
    // A free user: no own traders and no notifications by default, history yes.
    assert_eq!(
        me.json["limits"],
        json!({ "custom_traders": 0, "history": true, "notifications": false, "ai": false })
    );

    // The same email again, in other case: conflict.
    let again = json!({ "email": "ann@example.COM", "password": "another one" });
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/auth/register", again)
        .await;
    assert_eq!(reply.status, StatusCode::CONFLICT);

    // Login with the password.
    let login = json!({ "email": "ann@example.com", "password": "correct horse" });
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/auth/login", login)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    let session = session_of(&reply);
    assert_eq!(app.get(&session, "/api/v1/me").await.status, StatusCode::OK);

    // Logout ends only that session and clears its cookies.
    let reply = app
        .call(&session, "POST", "/api/v1/auth/logout", None)
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let cleared = reply.headers.get_all(header::SET_COOKIE).iter().count();
    assert_eq!(cleared, 2);
    assert_eq!(
        app.get(&session, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&registered, "/api/v1/me").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&Auth::Anonymous, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    app.finish().await;
}

#[tokio::test]
async fn registration_checks_email_and_password() {
    let app = TestApp::new().await;
    for (email, password) in [
        ("not-an-email", "long enough"),
        ("a@b.co", "short"),
        ("a@b.co", &"x".repeat(1_025)),
    ] {
        let body = json!({ "email": email, "password": password });
        let reply = app
            .post(&Auth::Anonymous, "/api/v1/auth/register", body)
            .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{email}");
        assert_eq!(reply.code(), "validation");
    }
    assert!(app.store.list_users().await.unwrap().is_empty());
    app.finish().await;
}

#[tokio::test]
async fn login_failures_look_alike_and_are_throttled() {
    let mut config = test_config();
    config.login_throttle.max_failures = 2;
    config.login_throttle.window_secs = 60;
    let app = TestApp::with_config(config).await;
    let body = json!({ "email": "bob@example.com", "password": "bob's password" });
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/auth/register", body)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);

    let wrong_password = json!({ "email": "bob@example.com", "password": "not his password" });
    let no_such_user = json!({ "email": "eve@example.com", "password": "bob's password" });
    let a = app
        .post(&Auth::Anonymous, "/api/v1/auth/login", wrong_password)
        .await;
    let b = app
        .post(&Auth::Anonymous, "/api/v1/auth/login", no_such_user.clone())
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (a.status, &a.json),
        (b.status, &b.json),
        "no hint whether the email exists"
    );

    // Two failures from this address: the right password is refused for a while too.
    let right = json!({ "email": "bob@example.com", "password": "bob's password" });
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/auth/login", right.clone())
        .await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.code(), "rate_limited");
    let retry: u64 = reply.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));

    // Per email too: from another address, the throttled email is still refused.
    let other_ip = |body: serde_json::Value| {
        let mut request = Request::post("/api/v1/auth/login")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let addr: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(addr));
        request
    };
    let wrong = json!({ "email": "bob@example.com", "password": "guess 1" });
    let reply = Reply::read(app.send(other_ip(wrong)).await).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let reply = Reply::read(app.send(other_ip(right.clone())).await).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);

    app.clock.advance(61_000);
    let reply = app
        .post(&Auth::Anonymous, "/api/v1/auth/login", right)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
    app.finish().await;
}

#[tokio::test]
async fn csrf_is_required_for_cookie_writes_only() {
    let app = TestApp::new().await;
    let user = app.account("carol@example.com", Tier::Pro, false).await;
    let body = json!({ "name": "script" });

    let reply = app
        .post(
            &user.auth.without_csrf(),
            "/api/v1/auth/tokens",
            body.clone(),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::FORBIDDEN, "csrf")
    );
    let Auth::Session { token, .. } = &user.auth else {
        unreachable!()
    };
    let wrong = Auth::Session {
        token: token.clone(),
        csrf: "forged".to_owned(),
    };
    let reply = app.post(&wrong, "/api/v1/auth/tokens", body.clone()).await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::FORBIDDEN, "csrf")
    );
    assert!(app.store.list_api_tokens(user.id).await.unwrap().is_empty());

    // Reads need no CSRF header.
    assert_eq!(
        app.get(&user.auth.without_csrf(), "/api/v1/me")
            .await
            .status,
        StatusCode::OK
    );

    let reply = app.post(&user.auth, "/api/v1/auth/tokens", body).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let api_token = reply.json["token"].as_str().unwrap().to_owned();
    let bearer = Auth::Bearer(api_token.clone());

    // Bearer requests need no CSRF header.
    let created = app
        .post(
            &bearer,
            "/api/v1/favourites",
            json!({ "symbol": "BTCUSDT" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json);
    app.finish().await;
}

#[tokio::test]
async fn api_tokens_are_shown_once_listed_and_revoked() {
    let app = TestApp::new().await;
    let user = app.account("dan@example.com", Tier::Free, false).await;
    let other = app.account("erin@example.com", Tier::Free, false).await;
    let reply = app
        .post(&user.auth, "/api/v1/auth/tokens", json!({ "name": "cron" }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let id = reply.id();
    let token = reply.json["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("sift_"));
    let stored = app.store.list_api_tokens(user.id).await.unwrap();
    assert_ne!(stored[0].token_hash, token, "only a hash is stored");

    let bearer = Auth::Bearer(token.clone());
    let me = app.get(&bearer, "/api/v1/me").await;
    assert_eq!(me.json["id"], user.id);
    let list = app.get(&user.auth, "/api/v1/auth/tokens").await;
    assert_eq!(list.json["tokens"][0]["name"], "cron");
    assert!(!list.json.to_string().contains(&token));
    assert!(list.json["tokens"][0]["last_used_at"].is_i64());

    // Another user cannot revoke it.
    let path = format!("/api/v1/auth/tokens/{id}");
    let reply = app.call(&other.auth, "DELETE", &path, None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = app.call(&user.auth, "DELETE", &path, None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let reply = app.get(&bearer, "/api/v1/me").await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
    let reply = app
        .get(
            &Auth::Bearer("sift_nonsense".into()),
            "/api/v1/market/symbols",
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "a bad token is never anonymous"
    );

    let long_name = json!({ "name": "x".repeat(101) });
    let reply = app.post(&user.auth, "/api/v1/auth/tokens", long_name).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    app.finish().await;
}

#[tokio::test]
async fn expired_sessions_are_anonymous() {
    let app = TestApp::new().await;
    let user = app.account("fay@example.com", Tier::Free, false).await;
    assert_eq!(
        app.get(&user.auth, "/api/v1/me").await.status,
        StatusCode::OK
    );
    app.clock.advance(2 * 86_400_000);
    assert_eq!(
        app.get(&user.auth, "/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
    app.finish().await;
}

#[tokio::test]
async fn rate_limits_grow_with_the_tier() {
    let mut config = test_config();
    config.rate_limits.anonymous = 2;
    config.rate_limits.free = 3;
    config.rate_limits.pro = 5;
    let app = TestApp::with_config(config).await;
    let free = app.account("gus@example.com", Tier::Free, false).await;
    let pro = app.account("hal@example.com", Tier::Pro, false).await;
    let count_ok = |auth: Auth| {
        let app = &app;
        async move {
            let mut ok = 0;
            for _ in 0..8 {
                let reply = app.get(&auth, "/api/v1/market/symbols").await;
                if reply.status == StatusCode::OK {
                    ok += 1;
                } else {
                    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
                    assert_eq!(reply.code(), "rate_limited");
                    assert!(reply.headers.contains_key(header::RETRY_AFTER));
                }
            }
            ok
        }
    };
    assert_eq!(count_ok(Auth::Anonymous).await, 2);
    assert_eq!(count_ok(free.auth.clone()).await, 3);
    assert_eq!(count_ok(pro.auth.clone()).await, 5);

    // Anonymous callers are counted per address; X-Forwarded-For is ignored unless trusted.
    let from = |ip: &str, forwarded: Option<&str>| {
        let mut builder = Request::get("/api/v1/market/symbols");
        if let Some(f) = forwarded {
            builder = builder.header("x-forwarded-for", f);
        }
        let mut request = builder.body(Body::empty()).unwrap();
        let addr: SocketAddr = format!("{ip}:1234").parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(addr));
        request
    };
    let status = app.send(from("10.1.1.1", None)).await.status();
    assert_eq!(status, StatusCode::OK, "another address has its own budget");
    let status = app.send(from("127.0.0.1", Some("10.9.9.9"))).await.status();
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "spoofed header ignored"
    );

    // A minute later the budget is back.
    app.clock.advance(60_000);
    assert_eq!(count_ok(free.auth).await, 3);
    app.finish().await;
}

#[tokio::test]
async fn ensure_admin_creates_then_promotes() {
    let app = TestApp::new().await;
    let store = app.store.as_ref();
    let outcome = ensure_admin(store, "root@example.com", "root password")
        .await
        .unwrap();
    assert_eq!(outcome, AdminOutcome::Created);
    let again = ensure_admin(store, "ROOT@example.com", "ignored")
        .await
        .unwrap();
    assert_eq!(again, AdminOutcome::Unchanged);
    let user = store
        .get_user_by_email("root@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(user.is_admin);
    assert!(sift_store::password::verify(
        "root password",
        &user.password_hash
    ));

    app.account("ivy@example.com", Tier::Free, false).await;
    let promoted = ensure_admin(store, "ivy@example.com", "whatever")
        .await
        .unwrap();
    assert_eq!(promoted, AdminOutcome::Promoted);
    assert!(ensure_admin(store, "bad", "long enough").await.is_err());
    assert!(
        ensure_admin(store, "new@example.com", "short")
            .await
            .is_err()
    );
    app.finish().await;
}
