//! Redis connections of the roles: a reconnecting multiplexed connection for commands, and
//! dedicated ones for blocking reads and pub/sub.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};

/// Longest wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Longest wait for a reply (blocking reads add their block time).
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A client for `url`; `rediss://` uses rustls with the ring provider.
///
/// # Errors
/// An invalid URL.
pub fn client(url: &str) -> redis::RedisResult<redis::Client> {
    if url.starts_with("rediss://") {
        // A no-op error when a provider is already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    redis::Client::open(url)
}

/// A multiplexed connection that reconnects by itself after Redis restarts.
///
/// # Errors
/// When Redis cannot be reached now.
pub async fn manager(client: &redis::Client) -> redis::RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(CONNECT_TIMEOUT)
        .set_response_timeout(RESPONSE_TIMEOUT)
        .set_number_of_retries(2);
    ConnectionManager::new_with_config(client.clone(), config).await
}

/// A connection of its own for blocking reads (`XREADGROUP ... BLOCK`), whose replies may
/// take `block` longer than usual.
///
/// # Errors
/// When Redis cannot be reached.
pub async fn blocking(
    client: &redis::Client,
    block: Duration,
) -> redis::RedisResult<MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_response_timeout(RESPONSE_TIMEOUT + block)
        .set_connection_timeout(CONNECT_TIMEOUT);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// Milliseconds as Redis takes them.
pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
