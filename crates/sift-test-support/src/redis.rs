//! Redis for tests: a key prefix of its own per test on the shared server, or a private
//! server a test may stop and restart.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;

/// The shared test server: `SIFT_TEST_REDIS_URL`, or `redis://127.0.0.1:6379`.
pub fn redis_url() -> String {
    std::env::var("SIFT_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Longest wait for a Redis server to answer or go away.
const SERVER_WAIT: Duration = Duration::from_secs(10);
/// Timeout of every call the helpers make.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// A unique key prefix (`test:{16 hex digits}:`) on the shared server; its keys are deleted
/// when it is dropped (best effort: `SCAN` + `DEL` by prefix).
#[derive(Debug)]
pub struct TestRedis {
    prefix: String,
    url: String,
}

impl TestRedis {
    /// A fresh prefix on [`redis_url`].
    pub fn new() -> Self {
        Self::on(&redis_url())
    }

    /// A fresh prefix on the server at `url`.
    pub fn on(url: &str) -> Self {
        let id: u64 = rand::thread_rng().r#gen();
        Self {
            prefix: format!("test:{id:016x}:"),
            url: url.to_owned(),
        }
    }

    /// The prefix every key of this test starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The server's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client for the server.
    ///
    /// # Panics
    /// If the URL is invalid.
    pub fn client(&self) -> redis::Client {
        redis::Client::open(self.url.as_str()).expect("test redis url is valid")
    }

    /// A blocking connection to the server.
    ///
    /// # Panics
    /// If the server cannot be reached.
    pub fn connection(&self) -> redis::Connection {
        connect(&self.url).expect("test redis server is reachable")
    }

    /// The keys under this prefix, sorted.
    ///
    /// # Panics
    /// If the server cannot be reached.
    pub fn keys(&self) -> Vec<String> {
        let mut conn = self.connection();
        let mut keys = scan(&mut conn, &self.prefix).expect("scan test keys");
        keys.sort();
        keys
    }
}

impl Default for TestRedis {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let Ok(mut conn) = connect(&self.url) else {
            return;
        };
        if let Ok(keys) = scan(&mut conn, &self.prefix) {
            for chunk in keys.chunks(500) {
                let _ = redis::cmd("DEL").arg(chunk).query::<()>(&mut conn);
            }
        }
    }
}

fn connect(url: &str) -> redis::RedisResult<redis::Connection> {
    let conn = redis::Client::open(url)?.get_connection_with_timeout(CALL_TIMEOUT)?;
    conn.set_read_timeout(Some(CALL_TIMEOUT))?;
    conn.set_write_timeout(Some(CALL_TIMEOUT))?;
    Ok(conn)
}

/// Every key starting with `prefix` (which holds no glob characters).
fn scan(conn: &mut redis::Connection, prefix: &str) -> redis::RedisResult<Vec<String>> {
    let pattern = format!("{prefix}*");
    let mut cursor: u64 = 0;
    let mut keys = Vec::new();
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query(conn)?;
        keys.extend(batch);
        if next == 0 {
            return Ok(keys);
        }
        cursor = next;
    }
}

/// A private `redis-server` on a free loopback port, for tests that stop and restart Redis
/// without disturbing the shared server. Snapshots are off (`--save "" --appendonly no`), so a
/// [`kill`](Self::kill) loses the data; [`shutdown_saving`](Self::shutdown_saving) writes a
/// snapshot that the next [`start`](Self::start) loads (a kill loses only what was written
/// since). Killed and its directory removed on drop.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server and waits until it answers.
    ///
    /// # Panics
    /// If `redis-server` cannot be started or does not answer within 10 s.
    pub fn start_new() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let id: u32 = rand::thread_rng().r#gen();
        let dir = std::env::temp_dir().join(format!("sift-redis-{port}-{id:08x}"));
        std::fs::create_dir_all(&dir).expect("create the server's directory");
        let mut server = Self {
            port,
            dir,
            child: None,
        };
        server.start();
        server
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Whether the server process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Starts the server again on the same port and directory (after [`kill`](Self::kill) or
    /// [`shutdown_saving`](Self::shutdown_saving)) and waits until it answers.
    ///
    /// # Panics
    /// If it is running, cannot be started or does not answer within 10 s.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "redis-server is already running");
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        self.child = Some(child);
        let url = self.url();
        let ready = poll(|| {
            connect(&url)
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()
        });
        assert!(ready, "redis-server on port {} did not start", self.port);
    }

    /// Kills the server (SIGKILL): a crash, losing every key written since the last
    /// [`shutdown_saving`](Self::shutdown_saving) (all of them if there was none).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server after writing a snapshot, which the next start loads.
    ///
    /// # Panics
    /// If the server does not stop within 10 s.
    pub fn shutdown_saving(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(mut conn) = connect(&self.url()) {
            // The connection closes without a reply when the server exits.
            let _ = redis::cmd("SHUTDOWN").arg("SAVE").query::<()>(&mut conn);
        }
        let exited = poll(|| matches!(child.try_wait(), Ok(Some(_))));
        assert!(exited, "redis-server on port {} did not stop", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Polls `condition` every 10 ms until it holds or [`SERVER_WAIT`] passes (the synchronous
/// counterpart of [`wait_until`](crate::wait_until), for use outside a runtime).
fn poll(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + SERVER_WAIT;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique_and_cleaned_up() {
        let a = TestRedis::new();
        let b = TestRedis::new();
        assert_ne!(a.prefix(), b.prefix());
        let mut conn = a.connection();
        let key = format!("{}k", a.prefix());
        redis::cmd("SET")
            .arg(&key)
            .arg(1)
            .query::<()>(&mut conn)
            .unwrap();
        assert_eq!(a.keys(), std::slice::from_ref(&key));
        drop(a);
        let exists: bool = redis::cmd("EXISTS").arg(&key).query(&mut conn).unwrap();
        assert!(!exists);
    }

    #[test]
    fn private_server_restarts_with_or_without_its_data() {
        let mut server = RedisServer::start_new();
        let set = |url: &str, v: i64| {
            let mut c = connect(url).unwrap();
            redis::cmd("SET")
                .arg("k")
                .arg(v)
                .query::<()>(&mut c)
                .unwrap();
        };
        let get = |url: &str| -> Option<i64> {
            let mut c = connect(url).unwrap();
            redis::cmd("GET").arg("k").query(&mut c).unwrap()
        };
        set(&server.url(), 1);
        server.kill();
        server.start();
        assert_eq!(get(&server.url()), None);
        set(&server.url(), 2);
        server.shutdown_saving();
        assert!(!server.is_running());
        server.start();
        assert_eq!(get(&server.url()), Some(2));
        set(&server.url(), 3);
        server.kill();
        server.start();
        assert_eq!(get(&server.url()), Some(2));
    }
}
