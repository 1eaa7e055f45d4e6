//! The web UI in a real browser (headless Chromium through chromedriver) against
//! `sift serve --market sim` at 60x: a live signal reaches the table without a reload; a
//! user registers, writes a rule with a typo, sees the diagnostic, fixes it, saves it and
//! sees its first signal; the chart draws candles and indicator panes; an anonymous visitor
//! cannot see a pro trader; the admin's pause switch stops new signals; a pro user connects a
//! webhook and sees its test delivered (`browser/notify.rs`); a dropped stream reconnects.
//! Every page is saved as a screenshot under `<target dir>/screenshots/`.
//!
//! One server and one chromedriver serve all scenarios, run in order (each needs seconds
//! of simulated market, and the machine's cores are better spent on one server).

#[path = "browser/harness.rs"]
mod harness;
#[path = "browser/notify.rs"]
mod notify;

use fantoccini::{Client, Locator};
use harness::{
    ADMIN, Api, Driver, PASSWORD, Sift, USER, open, screenshot, screenshot_dir, sign_in, text,
    wait_for, wait_js,
};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_ui_works_in_a_real_browser() {
    let sift = Sift::start().await;
    let driver = Driver::start().await;
    let admin = Api::login(&sift, ADMIN, PASSWORD).await;

    anonymous_visitor(&sift, &driver, &admin).await;
    let user_trader = user_writes_a_rule(&sift, &driver, &admin).await;
    notify::channels_and_reconnect(&sift, &driver, USER, user_trader).await;
    chart_draws_candles_and_panes(&sift, &driver, &admin).await;
    admin_pause_stops_signals(&sift, &driver, &admin).await;
}

/// Live signals without a reload, the sign-in prompt, no pro trader anywhere, the page
/// weight, and the dashboard at phone width.
async fn anonymous_visitor(sift: &Sift, driver: &Driver, admin: &Api) {
    let b = driver.browser("anonymous", 1280, 720).await;
    open(&b, sift, "/", "table[aria-label=Signals]").await;
    wait_for(&b, ".notice a[href='/login']", "the sign-in prompt").await;
    wait_for(&b, "tbody tr[data-live='1']", "a live signal in the table").await;
    // Anonymous visitors have no history: every row arrived live.
    wait_js(
        &b,
        "return [...document.querySelectorAll('table[aria-label=Signals] tbody tr')].every(r => r.dataset.live === '1')",
        "only live rows",
    )
    .await;
    wait_js(
        &b,
        "return document.getElementById('st-conn').textContent === 'Live'",
        "the status bar says live",
    )
    .await;
    page_weight(&b).await;
    screenshot(&b, "dashboard-anonymous").await;
    // A row opens its symbol's chart at the signal.
    let row = b
        .find(Locator::Css("tbody tr[data-live='1']"))
        .await
        .expect("a live row");
    let symbol = row
        .attr("data-symbol")
        .await
        .expect("attr")
        .expect("symbol");
    row.click().await.expect("clicked");
    wait_js(
        &b,
        &format!("return location.pathname.startsWith('/chart/{symbol}/') && location.search.includes('at=')"),
        "the row opened the chart at the signal",
    )
    .await;
    wait_for(&b, ".chart-box canvas", "the chart").await;
    b.back().await.expect("back");
    wait_for(&b, "table[aria-label=Signals]", "the dashboard again").await;

    // Which traders the visitor may see (as the admin sees their access tiers).
    let all = admin.get("/traders").await;
    let all = all["traders"].as_array().expect("traders").clone();
    let pro: Vec<&Value> = all
        .iter()
        .filter(|t| t["builtin"] == true && t["access_tier"] == "pro")
        .collect();
    assert!(!pro.is_empty(), "the built-ins include pro traders");
    let visible: Vec<i64> = all
        .iter()
        .filter(|t| t["access_tier"] == "anonymous")
        .filter_map(|t| t["id"].as_i64())
        .collect();
    let options = text(&b, "select[aria-label='Filter by trader']").await;
    let row_traders: Value = b
        .execute(
            "return [...document.querySelectorAll('tbody tr[data-trader-id]')].map(r => Number(r.dataset.traderId))",
            vec![],
        )
        .await
        .expect("row traders");
    for id in row_traders.as_array().expect("ids") {
        let id = id.as_i64().expect("id");
        assert!(
            visible.contains(&id),
            "an anonymous visitor saw a signal of trader {id}"
        );
    }
    open(&b, sift, "/traders", "article.trader").await;
    let page = text(&b, "#main").await;
    for t in &pro {
        let name = t["name"].as_str().expect("name");
        assert!(
            !options.contains(name),
            "pro trader {name} offered in the filter"
        );
        assert!(
            !page.contains(name),
            "pro trader {name} listed for an anonymous visitor"
        );
    }
    screenshot(&b, "traders-anonymous").await;
    let pro_id = pro[0]["id"].as_i64().expect("id");
    open(&b, sift, &format!("/traders/{pro_id}"), ".empty").await;
    assert!(text(&b, ".empty").await.contains("not available"));

    open(
        &b,
        sift,
        "/market",
        "table[aria-label='Watched symbols'] tbody tr[data-symbol]",
    )
    .await;
    screenshot(&b, "market").await;
    open(&b, sift, "/login", "form input[type=email]").await;
    screenshot(&b, "login").await;

    b.set_window_size(390, 844).await.expect("phone size");
    open(&b, sift, "/", "tbody tr[data-live='1']").await;
    screenshot(&b, "dashboard-phone").await;
    b.close().await.expect("browser closes");
}

/// First paint and bytes transferred before charts have data, saved next to the
/// screenshots; the transfer must stay under 300 kB.
async fn page_weight(b: &Client) {
    let figures = b
        .execute(
            "const paint = performance.getEntriesByType('paint');
             const fcp = paint.find(e => e.name === 'first-contentful-paint');
             const nav = performance.getEntriesByType('navigation')[0];
             const res = performance.getEntriesByType('resource');
             const bytes = nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0);
             const body = nav.decodedBodySize + res.reduce((s, r) => s + r.decodedBodySize, 0);
             return { first_contentful_paint_ms: fcp ? fcp.startTime : null,
                      dom_content_loaded_ms: nav.domContentLoadedEventEnd,
                      transfer_bytes: bytes, decoded_bytes: body, requests: res.length + 1 };",
            vec![],
        )
        .await
        .expect("performance figures");
    std::fs::write(
        screenshot_dir().join("dashboard-performance.json"),
        serde_json::to_string_pretty(&figures).expect("JSON"),
    )
    .expect("figures saved");
    let bytes = figures["transfer_bytes"].as_f64().expect("transfer size");
    assert!(
        bytes > 0.0 && bytes < 300_000.0,
        "dashboard transfer {figures}"
    );
}

/// Register, get raised to pro by the admin, write a rule with a typo, see the diagnostic,
/// fix it, save, preview, backtest, and see the trader's first signal on the dashboard.
async fn user_writes_a_rule(sift: &Sift, driver: &Driver, admin: &Api) -> i64 {
    let b = driver.browser("user", 1280, 720).await;
    let (email, password) = USER;
    open(&b, sift, "/register", "form input[type=email]").await;
    b.find(Locator::Css("input[type=email]"))
        .await
        .expect("email")
        .send_keys(email)
        .await
        .expect("typed");
    b.find(Locator::Css("input[type=password]"))
        .await
        .expect("password")
        .send_keys(password)
        .await
        .expect("typed");
    b.find(Locator::Css("form button[type=submit]"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("clicked");
    wait_js(
        &b,
        &format!("return document.getElementById('who').textContent.includes('{email}')"),
        "signed in after registering",
    )
    .await;
    // A free user sees why there are no channels instead of the form.
    open(&b, sift, "/account", "#channels-upgrade").await;
    assert!(text(&b, "#channels-upgrade").await.contains("upgrade"));
    assert!(
        b.find(Locator::Css("#channel-form")).await.is_err(),
        "a free user got the channel form"
    );

    let users = admin.get("/admin/users").await;
    let id = users["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["email"] == email)
        .and_then(|u| u["id"].as_i64())
        .expect("the new user is listed");
    admin
        .send(
            Method::PATCH,
            &format!("/admin/users/{id}"),
            json!({ "tier": "pro" }),
        )
        .await;

    open(&b, sift, "/traders/new", "#rule").await;
    b.find(Locator::Css("#trader-name"))
        .await
        .expect("name")
        .send_keys("Green candle")
        .await
        .expect("typed");
    b.find(Locator::Css("#trader-interval"))
        .await
        .expect("interval")
        .select_by_value("1m")
        .await
        .expect("1m");
    b.execute(
        "document.querySelector('input[type=number]').value = '0'",
        vec![],
    )
    .await
    .expect("cooldown");
    let rule = b.find(Locator::Css("#rule")).await.expect("rule");
    rule.send_keys("close > opne").await.expect("typed");
    wait_for(&b, ".diag", "the checker's diagnostic").await;
    wait_for(&b, ".code .hl mark", "the typo underlined").await;
    let diag = text(&b, ".diag").await;
    assert!(
        diag.contains("opne") && diag.contains("open"),
        "diagnostic: {diag}"
    );
    b.execute(
        "document.querySelector('.diag').scrollIntoView({ block: 'end' })",
        vec![],
    )
    .await
    .expect("scrolled");
    screenshot(&b, "editor-diagnostic").await;

    rule.clear().await.expect("cleared");
    rule.send_keys("close > open").await.expect("typed");
    wait_for(&b, "#rule-status .ok-line", "the fixed rule checks").await;
    b.find(Locator::Css("#save"))
        .await
        .expect("save")
        .click()
        .await
        .expect("clicked");
    wait_js(
        &b,
        "return /^\\/traders\\/\\d+$/.test(location.pathname)",
        "the saved trader's page",
    )
    .await;
    let url = b.current_url().await.expect("url");
    let trader: i64 = url
        .path()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("trader id");

    b.find(Locator::Css("#preview-out")).await.expect("preview");
    b.execute("[...document.querySelectorAll('button')].find(x => x.textContent === 'Matches now').click()", vec![]).await.expect("preview");
    wait_js(
        &b,
        "return document.getElementById('preview-out').textContent.includes('symbols match now')",
        "the preview",
    )
    .await;
    b.execute("[...document.querySelectorAll('button')].find(x => x.textContent === 'Run backtest').click()", vec![]).await.expect("backtest");
    wait_for(&b, "#backtest-summary", "the backtest summary").await;
    screenshot(&b, "editor-saved").await;
    // The backtest's signals of one symbol on its chart.
    wait_for(&b, "#backtest-out a.pill", "backtest signals per symbol")
        .await
        .click()
        .await
        .expect("clicked");
    wait_js(
        &b,
        "return document.getElementById('chart-note')?.textContent.includes('backtest signals')",
        "the chart with the backtest's signals",
    )
    .await;
    screenshot(&b, "chart-backtest").await;

    open(&b, sift, "/traders", "article.trader").await;
    assert_eq!(text(&b, "#quota").await, "1 of 10 used");
    screenshot(&b, "traders-user").await;

    open(&b, sift, "/", "table[aria-label=Signals]").await;
    wait_for(
        &b,
        &format!("tbody tr[data-trader-id='{trader}']"),
        "the new trader's first signal",
    )
    .await;
    screenshot(&b, "dashboard-user").await;

    open(&b, sift, "/account", "#tokens form").await;
    b.find(Locator::Css("#tokens input"))
        .await
        .expect("token name")
        .send_keys("my script")
        .await
        .expect("typed");
    b.find(Locator::Css("#tokens button[type=submit]"))
        .await
        .expect("create")
        .click()
        .await
        .expect("clicked");
    let shown = wait_for(&b, "#token-created code", "the new token, shown once").await;
    assert!(shown.text().await.expect("token").starts_with("sift_"));
    screenshot(&b, "account").await;
    b.close().await.expect("browser closes");
    trader
}

/// A trader with overlays and three indicator panes on a chart: the canvas has content in
/// the price area and in the panes, and the legend names each indicator.
async fn chart_draws_candles_and_panes(sift: &Sift, driver: &Driver, admin: &Api) {
    let rule = "rsi(14) > 50 and macd(12, 26, 9).hist > 0 and stoch(14, 3, 3).k > 20 \
                and close > bb(20, 2).middle and close > ema(50)";
    let trader = admin
        .send(
            Method::POST,
            "/traders",
            json!({ "name": "Chart study", "interval": "1m", "rule": rule }),
        )
        .await;
    let id = trader["id"].as_i64().expect("trader id");
    let tickers = admin.get("/market/tickers").await;
    let symbol = tickers["tickers"][0]["symbol"]
        .as_str()
        .expect("a symbol")
        .to_owned();

    let b = driver.browser("chart", 1280, 720).await;
    login_in_browser(&b, sift).await;
    open(
        &b,
        sift,
        &format!("/chart/{symbol}/1m?trader={id}"),
        ".chart-box canvas",
    )
    .await;
    wait_js(
        &b,
        "const l = document.querySelector('.legend').textContent;
         return ['rsi(14)', 'macd(12, 26, 9)', 'stoch(14, 3, 3)', 'bb(20, 2)', 'ema(50)'].every(s => l.includes(s))",
        "the legend names every indicator",
    )
    .await;
    // Distinct colours in the price area and in the lowest pane: drawn, not blank.
    wait_js(
        &b,
        "const c = document.querySelector('.chart-box canvas');
         const g = c.getContext('2d');
         const colours = (y0, y1) => { const d = g.getImageData(0, y0, c.width - 80, y1 - y0).data;
           const s = new Set(); for (let i = 0; i < d.length; i += 4 * 7) s.add((d[i] << 16) | (d[i+1] << 8) | d[i+2]); return s.size; };
         return colours(0, c.height * 0.3) > 6 && colours(c.height * 0.8, c.height * 0.95) > 3;",
        "the canvas shows candles and indicator panes",
    )
    .await;
    screenshot(&b, "chart").await;
    b.close().await.expect("browser closes");

    // The same chart and the dashboard in the dark theme (following the system's).
    let dark = driver
        .browser_with("dark", 1280, 720, &["--force-dark-mode"])
        .await;
    login_in_browser(&dark, sift).await;
    open(
        &dark,
        sift,
        &format!("/chart/{symbol}/1m?trader={id}"),
        ".chart-box canvas",
    )
    .await;
    wait_js(
        &dark,
        "return document.querySelector('.legend').textContent.includes('rsi(14)')",
        "the dark chart's legend",
    )
    .await;
    screenshot(&dark, "chart-dark").await;
    open(&dark, sift, "/", "tbody tr").await;
    screenshot(&dark, "dashboard-dark").await;
    dark.close().await.expect("browser closes");
}

/// The admin pauses evaluation in the UI: no signal is stored while closes go on; resuming
/// brings signals back.
async fn admin_pause_stops_signals(sift: &Sift, driver: &Driver, admin: &Api) {
    let b = driver.browser("admin", 1280, 720).await;
    login_in_browser(&b, sift).await;
    open(&b, sift, "/admin", "#exec-state").await;
    wait_for(&b, "#executions tbody tr td.num", "recent executions").await;
    assert_eq!(text(&b, "#exec-state").await, "RUNNING");
    screenshot(&b, "admin").await;

    b.find(Locator::Css("#exec-toggle"))
        .await
        .expect("switch")
        .click()
        .await
        .expect("clicked");
    wait_for(&b, "dialog button[value=ok]", "the confirmation")
        .await
        .click()
        .await
        .expect("confirmed");
    wait_js(
        &b,
        "return document.getElementById('exec-state').textContent === 'PAUSED'",
        "paused",
    )
    .await;
    // Once the pipeline has committed a paused run, no later close may store a signal.
    wait_paused_runs(admin, 1).await;
    let newest = admin.newest_signal_id().await;
    wait_paused_runs(admin, 12).await;
    assert_eq!(
        admin.newest_signal_id().await,
        newest,
        "a signal was stored while paused"
    );
    screenshot(&b, "admin-paused").await;

    b.find(Locator::Css("#exec-toggle"))
        .await
        .expect("switch")
        .click()
        .await
        .expect("clicked");
    wait_js(
        &b,
        "return document.getElementById('exec-state').textContent === 'RUNNING'",
        "resumed",
    )
    .await;
    let resumed = sift_test_support::wait_until(harness::UI_WAIT, || async move {
        admin.newest_signal_id().await > newest
    })
    .await;
    assert!(resumed, "no signal after resuming");
    b.close().await.expect("browser closes");
}

async fn login_in_browser(b: &Client, sift: &Sift) {
    sign_in(b, sift, ADMIN, PASSWORD).await;
}

/// Waits until at least `n` of the latest runs were paused ones.
async fn wait_paused_runs(admin: &Api, n: usize) {
    let done = sift_test_support::wait_until(harness::UI_WAIT, || async move {
        admin.paused_runs().await >= n
    })
    .await;
    assert!(done, "fewer than {n} paused runs");
}
