//! One attempt at one delivery: build the request for the channel's kind, send it, and judge
//! the answer (sent, worth retrying, or hopeless).

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;
use url::Url;

use crate::channel::ChannelTarget;
use crate::http::{Http, Reply, SendError};
use crate::payload::{
    IDEMPOTENCY_HEADER, Notification, SIGNATURE_HEADER, TIMESTAMP_HEADER, discord_body, sign,
    telegram_body, webhook_body,
};

/// Longest error text kept for an attempt.
const MAX_ERROR: usize = 300;

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Sent,
    /// Try again, not before `retry_after` when the receiver said so.
    Retry {
        retry_after: Option<Duration>,
    },
    /// Retrying cannot help (refused target, 4xx, oversized payload).
    Permanent,
}

/// An attempt's result, ready for the store.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    pub(crate) verdict: Verdict,
    pub(crate) status_code: Option<u16>,
    pub(crate) error: Option<String>,
    pub(crate) latency: Duration,
}

/// Sends `n` to `target`. `secret` signs webhooks; `telegram_api` is the Bot API base URL.
pub(crate) async fn attempt(
    http: &Http,
    target: &ChannelTarget,
    secret: Option<&str>,
    telegram_api: &str,
    n: &Notification,
    now_secs: i64,
) -> Attempt {
    let mut headers = HeaderMap::new();
    let (url, body) = match target {
        ChannelTarget::Webhook { url } => {
            let body = json_bytes(&webhook_body(n));
            insert(&mut headers, TIMESTAMP_HEADER, &now_secs.to_string());
            insert(&mut headers, IDEMPOTENCY_HEADER, &n.idempotency_key);
            if let Some(secret) = secret {
                insert(
                    &mut headers,
                    SIGNATURE_HEADER,
                    &sign(secret, now_secs, &body),
                );
            }
            (url.clone(), body)
        }
        ChannelTarget::Discord { url } => (url.clone(), json_bytes(&discord_body(n))),
        ChannelTarget::Telegram { bot_token, chat_id } => {
            let base = telegram_api.trim_end_matches('/');
            let Ok(url) = Url::parse(&format!("{base}/bot{bot_token}/sendMessage")) else {
                return failed("invalid Telegram API URL");
            };
            (url, json_bytes(&telegram_body(n, chat_id)))
        }
    };
    match http.post_json(&url, body, headers).await {
        Ok(reply) => judge(target, &reply),
        Err(SendError::Refused(refused)) => Attempt {
            verdict: Verdict::Permanent,
            status_code: None,
            error: Some(refused.to_string()),
            latency: Duration::ZERO,
        },
        Err(SendError::TooLarge(size)) => failed(&format!("payload of {size} bytes is too large")),
        Err(SendError::Timeout(latency)) => Attempt {
            verdict: Verdict::Retry { retry_after: None },
            status_code: None,
            error: Some("timed out".to_owned()),
            latency,
        },
        Err(SendError::Transport(text, latency)) => Attempt {
            verdict: Verdict::Retry { retry_after: None },
            status_code: None,
            error: Some(clip(&text)),
            latency,
        },
    }
}

fn failed(error: &str) -> Attempt {
    Attempt {
        verdict: Verdict::Permanent,
        status_code: None,
        error: Some(error.to_owned()),
        latency: Duration::ZERO,
    }
}

fn json_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn insert(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(lower(name)), value);
    }
}

/// Header names as `HeaderName::from_static` wants them (lower case).
fn lower(name: &'static str) -> &'static str {
    match name {
        SIGNATURE_HEADER => "x-sift-signature",
        TIMESTAMP_HEADER => "x-sift-timestamp",
        IDEMPOTENCY_HEADER => "idempotency-key",
        _ => "x-sift",
    }
}

/// Sent on 2xx; retry on 408, 425, 429 and 5xx (429 with the receiver's delay: the
/// `Retry-After` header, Telegram's `parameters.retry_after`, Discord's `retry_after`);
/// hopeless on other codes.
fn judge(target: &ChannelTarget, reply: &Reply) -> Attempt {
    let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
    let verdict = match reply.status {
        200..=299 => Verdict::Sent,
        429 => Verdict::Retry {
            retry_after: reply
                .retry_after
                .or_else(|| body_retry_after(body.as_ref())),
        },
        408 | 425 | 500..=599 => Verdict::Retry { retry_after: None },
        _ => Verdict::Permanent,
    };
    let error = (verdict != Verdict::Sent).then(|| {
        let detail = match target {
            ChannelTarget::Telegram { .. } => body
                .as_ref()
                .and_then(|b| b.get("description"))
                .and_then(Value::as_str),
            ChannelTarget::Discord { .. } => body
                .as_ref()
                .and_then(|b| b.get("message"))
                .and_then(Value::as_str),
            ChannelTarget::Webhook { .. } => None,
        };
        match detail {
            Some(detail) => clip(&format!("HTTP {}: {detail}", reply.status)),
            None => format!("HTTP {}", reply.status),
        }
    });
    Attempt {
        verdict,
        status_code: Some(reply.status),
        error,
        latency: reply.latency,
    }
}

/// Telegram's `{"parameters": {"retry_after": 5}}` or Discord's `{"retry_after": 1.5}`.
fn body_retry_after(body: Option<&Value>) -> Option<Duration> {
    let body = body?;
    let secs = body
        .pointer("/parameters/retry_after")
        .or_else(|| body.get("retry_after"))
        .and_then(Value::as_f64)?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e6)))
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(status: u16, body: Value, retry_after: Option<u64>) -> Reply {
        Reply {
            status,
            retry_after: retry_after.map(Duration::from_secs),
            body: serde_json::to_vec(&body).unwrap(),
            latency: Duration::from_millis(3),
        }
    }

    #[test]
    fn answers_are_judged() {
        let hook = ChannelTarget::Webhook {
            url: Url::parse("https://x.example").unwrap(),
        };
        let telegram = ChannelTarget::Telegram {
            bot_token: "1:x".to_owned(),
            chat_id: "1".to_owned(),
        };
        let discord = ChannelTarget::Discord {
            url: Url::parse("https://x.example").unwrap(),
        };
        assert_eq!(
            judge(&hook, &reply(204, json!(null), None)).verdict,
            Verdict::Sent
        );
        assert_eq!(
            judge(&hook, &reply(503, json!(null), None)).verdict,
            Verdict::Retry { retry_after: None }
        );
        assert_eq!(
            judge(&hook, &reply(404, json!(null), None)).verdict,
            Verdict::Permanent
        );
        assert_eq!(
            judge(&hook, &reply(429, json!(null), Some(3))).verdict,
            Verdict::Retry {
                retry_after: Some(Duration::from_secs(3))
            }
        );
        let limited = json!({"ok": false, "error_code": 429,
            "description": "Too Many Requests: retry after 5", "parameters": {"retry_after": 5}});
        let a = judge(&telegram, &reply(429, limited, None));
        assert_eq!(
            a.verdict,
            Verdict::Retry {
                retry_after: Some(Duration::from_secs(5))
            }
        );
        assert_eq!(
            a.error.as_deref(),
            Some("HTTP 429: Too Many Requests: retry after 5")
        );
        let a = judge(
            &discord,
            &reply(
                429,
                json!({"message": "You are being rate limited.", "retry_after": 0.25}),
                None,
            ),
        );
        assert_eq!(
            a.verdict,
            Verdict::Retry {
                retry_after: Some(Duration::from_millis(250))
            }
        );
        assert_eq!(clip(&"é".repeat(400)).chars().count(), MAX_ERROR + 1);
    }
}
