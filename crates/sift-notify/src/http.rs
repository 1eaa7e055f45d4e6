//! The outgoing HTTP client: SSRF-guarded resolver, no redirects, no proxy, a time budget per
//! request and a cap on the answer read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use url::Url;

use crate::config::NotifyConfig;
use crate::error::NotifyError;
use crate::guard::{GuardedResolver, RefusedTarget, check_url, find_refusal};

/// What the receiver answered.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// From a `Retry-After` header in seconds.
    pub(crate) retry_after: Option<Duration>,
    /// The start of the body, at most `max_response_bytes`.
    pub(crate) body: Vec<u8>,
    pub(crate) latency: Duration,
}

/// Why no answer came.
#[derive(Debug, Clone)]
pub(crate) enum SendError {
    /// The SSRF guard refused the target; retrying will not help.
    Refused(RefusedTarget),
    /// The body is larger than `max_payload_bytes`; retrying will not help.
    TooLarge(usize),
    /// No answer within the time budget.
    Timeout(Duration),
    /// Connection refused or reset, DNS failure, TLS error...: worth retrying. The text never
    /// holds the URL (which may carry tokens).
    Transport(String, Duration),
}

/// The guarded client.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    config: Arc<NotifyConfig>,
}

impl Http {
    pub(crate) fn new(config: Arc<NotifyConfig>) -> Result<Self, NotifyError> {
        install_crypto_provider();
        let timeout = config.request_timeout();
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver::new(config.allow_private_targets)))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .user_agent(concat!("Sift-Notify/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(NotifyError::Client)?;
        Ok(Self { client, config })
    }

    /// POSTs `body` as JSON to `url` with `headers`.
    pub(crate) async fn post_json(
        &self,
        url: &Url,
        body: Vec<u8>,
        headers: HeaderMap,
    ) -> Result<Reply, SendError> {
        if body.len() > self.config.max_payload_bytes {
            return Err(SendError::TooLarge(body.len()));
        }
        check_url(url, self.config.allow_private_targets).map_err(SendError::Refused)?;
        let timeout = self.config.request_timeout();
        let started = Instant::now();
        let request = self
            .client
            .post(url.clone())
            .headers(headers)
            .header(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )
            .body(body);
        let limit = self.config.max_response_bytes;
        let exchange = async {
            let mut response = request.send().await?;
            let status = response.status().as_u16();
            let retry_after = retry_after(response.headers());
            let mut body = Vec::new();
            while body.len() < limit {
                match response.chunk().await? {
                    Some(chunk) => {
                        let room = limit - body.len();
                        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                    }
                    None => break,
                }
            }
            Ok::<_, reqwest::Error>((status, retry_after, body))
        };
        match tokio::time::timeout(timeout, exchange).await {
            Err(_) => Err(SendError::Timeout(started.elapsed())),
            Ok(Ok((status, retry_after, body))) => Ok(Reply {
                status,
                retry_after,
                body,
                latency: started.elapsed(),
            }),
            Ok(Err(err)) => {
                let elapsed = started.elapsed();
                if let Some(refused) = find_refusal(&err) {
                    return Err(SendError::Refused(refused));
                }
                if err.is_timeout() {
                    return Err(SendError::Timeout(elapsed));
                }
                Err(SendError::Transport(describe(err), elapsed))
            }
        }
    }
}

/// `Retry-After` in seconds (an HTTP date is ignored: the backoff applies instead).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = text.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e6)))
}

/// The error and its causes, without the URL.
fn describe(err: reqwest::Error) -> String {
    let err = err.without_url();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Installs rustls' ring provider as the process default, once (if none is).
fn install_crypto_provider() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // Err means a provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(1500)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("-3"));
        assert_eq!(retry_after(&headers), None);
    }
}
