//! The browser tests' harness: a `sift serve --market sim` process, chromedriver with
//! headless Chromium, a cookie API client, waits with deadlines and screenshots.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use sift_test_support::wait_until;

pub(crate) const ADMIN: &str = "admin@example.com";
pub(crate) const PASSWORD: &str = "correct-horse-battery";
/// The user who registers in the UI (and is raised to pro).
pub(crate) const USER: (&str, &str) = ("trader@example.com", "a long enough password");
pub(crate) const CHROMIUM: &str = "/usr/bin/chromium";
pub(crate) const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long the UI gets to show something that the server produces within seconds.
pub(crate) const UI_WAIT: Duration = Duration::from_secs(60);

/// A free loopback port (bound, then released for the child to take).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `sift serve` over a fast simulated market, with an admin.
pub(crate) struct Sift {
    pub(crate) base: String,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl Sift {
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("sift.log")).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_sift"))
            .args([
                "serve",
                "--market",
                "sim",
                "--speed",
                "60",
                "--sim-symbols",
                "12",
            ])
            .args(["--intervals", "1m,5m", "--history", "300", "--seed", "7"])
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .env_remove("SIFT_DATABASE__URL")
            .env_remove("SIFT_REDIS__URL")
            .env("SIFT_ADMIN_EMAIL", ADMIN)
            .env("SIFT_ADMIN_PASSWORD", PASSWORD)
            // The notification test's webhook receiver listens on loopback.
            .env("SIFT_NOTIFY__ALLOW_PRIVATE_TARGETS", "true")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the sift binary runs");
        let process = Process(child);
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let health = format!("{base}/health");
        let up = wait_until(Duration::from_secs(120), || {
            let (http, health) = (&http, &health);
            async move { matches!(http.get(health).send().await, Ok(r) if r.status().is_success()) }
        })
        .await;
        assert!(
            up,
            "sift serve did not become healthy: {}",
            Self::log_of(dir.path())
        );
        Self {
            base,
            _process: process,
            _dir: dir,
        }
    }

    fn log_of(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("sift.log")).unwrap_or_default()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A cookie-session API client (the way the UI talks, CSRF included).
pub(crate) struct Api {
    http: reqwest::Client,
    base: String,
    csrf: String,
}

impl Api {
    pub(crate) async fn login(sift: &Sift, email: &str, password: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("http client");
        let base = format!("{}/api/v1", sift.base);
        let response = http
            .post(format!("{base}/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login answers");
        assert!(response.status().is_success(), "login of {email}");
        let body: Value = response.json().await.expect("login JSON");
        Self {
            http,
            base,
            csrf: body["csrf_token"].as_str().unwrap_or_default().to_owned(),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET answers");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("JSON")
    }

    pub(crate) async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .expect("request answers");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// How many of the latest 100 candle-close runs ran while paused (admins see why a
    /// run evaluated nothing in its `errors`).
    pub(crate) async fn paused_runs(&self) -> usize {
        let list = self.get("/executions?limit=100").await;
        list["executions"]
            .as_array()
            .map(|runs| {
                runs.iter()
                    .filter(|r| r["errors"] == json!(["paused"]))
                    .count()
            })
            .unwrap_or(0)
    }

    /// The id of the signal newest by id among those the caller sees (0 when none).
    pub(crate) async fn newest_signal_id(&self) -> i64 {
        let page = self.get("/signals?limit=500").await;
        page["signals"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|s| s["id"].as_i64())
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0)
    }
}

/// chromedriver driving headless Chromium; each session gets a fresh profile.
pub(crate) struct Driver {
    url: String,
    _process: Process,
    profiles: tempfile::TempDir,
}

impl Driver {
    pub(crate) async fn start() -> Self {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's `{package}` package \
                 (`./scripts/test` installs it through scripts/services.sh, or run \
                 `apt-get install -y chromium chromium-driver`)"
            );
        }
        let port = free_port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs");
        let process = Process(child);
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let status = format!("{url}/status");
        let up = wait_until(Duration::from_secs(30), || {
            let (http, status) = (&http, &status);
            async move { matches!(http.get(status).send().await, Ok(r) if r.status().is_success()) }
        })
        .await;
        assert!(up, "chromedriver did not answer on {url}");
        Self {
            url,
            _process: process,
            profiles: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A new browser (own profile, so own cookies) at `width` x `height`.
    pub(crate) async fn browser(&self, name: &str, width: u32, height: u32) -> Client {
        self.browser_with(name, width, height, &[]).await
    }

    /// [`Driver::browser`] with extra Chromium flags (`--force-dark-mode`).
    pub(crate) async fn browser_with(
        &self,
        name: &str,
        width: u32,
        height: u32,
        extra: &[&str],
    ) -> Client {
        let profile = self.profiles.path().join(name);
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": CHROMIUM, "args": args }),
        );
        // A cold first start of Chromium (font caches, profile) can fail once; retry.
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&self.url)
                .await
            {
                Ok(client) => break client,
                Err(e) if attempt < 3 => {
                    let _ = e;
                    continue;
                }
                Err(e) => panic!("no Chromium session after {attempt} attempts: {e}"),
            }
        };
        client
            .set_window_size(width, height)
            .await
            .expect("window size");
        client
    }
}

/// Where screenshots go: `<target dir>/screenshots/`.
pub(crate) fn screenshot_dir() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_sift"));
    let target = exe
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Saves a PNG of the browser's viewport as `<name>.png`.
pub(crate) async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("screenshot saved");
}

/// Waits until `css` matches an element; fails naming `what`, with the page's text and a
/// `failure.png` screenshot.
pub(crate) async fn wait_for(
    client: &Client,
    css: &str,
    what: &str,
) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(UI_WAIT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(element) => element,
        Err(e) => {
            let page = client
                .execute(
                    "return location.href + '\\n' + document.body.innerText",
                    vec![],
                )
                .await
                .unwrap_or_default();
            screenshot(client, "failure").await;
            panic!("{what}: no `{css}` within {UI_WAIT:?}: {e}\npage: {page}")
        }
    }
}

/// Runs `script` (a function body returning a value) until it returns `true`.
pub(crate) async fn wait_js(client: &Client, script: &str, what: &str) {
    let ok = wait_until(UI_WAIT, || async move {
        matches!(client.execute(script, vec![]).await, Ok(Value::Bool(true)))
    })
    .await;
    assert!(ok, "{what}: `{script}` never held");
}

/// The text of the first element matching `css`.
pub(crate) async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
        .text()
        .await
        .expect("text")
}

/// Navigates and waits for the page's main content to render.
pub(crate) async fn open(client: &Client, sift: &Sift, path: &str, ready_css: &str) {
    client.goto(&sift.url(path)).await.expect("navigation");
    wait_for(client, ready_css, &format!("page {path}")).await;
}

/// Signs `email` in through the login page and waits for the top bar to show them.
pub(crate) async fn sign_in(b: &Client, sift: &Sift, email: &str, password: &str) {
    open(b, sift, "/login", "form input[type=email]").await;
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
        b,
        &format!("return document.getElementById('who').textContent.includes('{email}')"),
        &format!("{email} signed in"),
    )
    .await;
}
