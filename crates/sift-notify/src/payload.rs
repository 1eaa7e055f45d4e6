//! What is sent: the webhook JSON body and its signature, the Telegram text and the Discord
//! embed, for a signal or a test message.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use sift_store::Signal;

/// The header carrying the signature, `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Sift-Signature";
/// The header carrying the signing time, Unix seconds.
pub const TIMESTAMP_HEADER: &str = "X-Sift-Timestamp";
/// The header repeating the body's `idempotency_key`.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// One message to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub delivery_id: i64,
    /// Unique per delivery; receivers drop repeats by it.
    pub idempotency_key: String,
    pub event: Event,
}

/// What the message is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A trader matched.
    Signal {
        signal: Signal,
        trader_id: i64,
        trader_name: String,
        /// `{public_url}/chart/{symbol}?interval=..&signal=..`, when a public URL is set.
        chart_url: Option<String>,
    },
    /// "Send test" from the UI or the API.
    Test { channel_name: String },
}

/// The chart page of a signal under `public_base`.
pub fn chart_url(public_base: &str, signal: &Signal) -> String {
    format!(
        "{public_base}/chart/{}?interval={}&signal={}",
        signal.symbol, signal.interval, signal.id
    )
}

/// `ms` as RFC 3339 UTC (`2025-01-01T00:15:00Z`).
fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(
        || ms.to_string(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

/// The webhook's JSON body.
///
/// A signal: `{"event": "signal", "idempotency_key", "delivery_id", "signal_id", "trader":
/// {"id", "name"}, "symbol", "interval", "price", "time" (RFC 3339, the candle's close),
/// "open_time" and "close_time" (epoch ms), "values" (the snapshot the rule referenced),
/// "chart_url" (or null)}. A test: `{"event": "test", "test": true, "idempotency_key",
/// "delivery_id", "channel", "message"}`.
pub fn webhook_body(n: &Notification) -> Value {
    match &n.event {
        Event::Signal {
            signal,
            trader_id,
            trader_name,
            chart_url,
        } => json!({
            "event": "signal",
            "idempotency_key": n.idempotency_key,
            "delivery_id": n.delivery_id,
            "signal_id": signal.id,
            "trader": { "id": trader_id, "name": trader_name },
            "symbol": signal.symbol.as_str(),
            "interval": signal.interval.as_str(),
            "price": signal.price,
            "time": rfc3339(signal.close_time + 1),
            "open_time": signal.open_time,
            "close_time": signal.close_time,
            "values": signal.values,
            "chart_url": chart_url,
        }),
        Event::Test { channel_name } => json!({
            "event": "test",
            "test": true,
            "idempotency_key": n.idempotency_key,
            "delivery_id": n.delivery_id,
            "channel": channel_name,
            "message": "Test notification from Sift: this channel works.",
        }),
    }
}

/// The signature of a webhook body: `sha256=` and the hex HMAC-SHA256, keyed with the
/// channel's secret, of the timestamp (decimal Unix seconds, as in `X-Sift-Timestamp`), a
/// `.`, and the exact body bytes.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `signature` (`sha256=<hex>`) is right for `timestamp` and `body`, compared in
/// constant time: what a receiver does (it should also refuse old timestamps).
pub fn verify(secret: &str, timestamp: i64, body: &[u8], signature: &str) -> bool {
    let Some(hex_sig) = signature.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(bytes) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

/// The values snapshot as `name: value` pairs (numbers rounded for reading), at most `max`.
fn value_lines(values: &Value, max: usize) -> Vec<(String, String)> {
    let Some(map) = values.as_object() else {
        return Vec::new();
    };
    map.iter()
        .take(max)
        .map(|(k, v)| {
            let shown = match v.as_f64() {
                Some(x) => format!("{}", (x * 1e6).round() / 1e6),
                None => v.to_string(),
            };
            (k.clone(), shown)
        })
        .collect()
}

/// The Telegram message (plain text: no markup to escape).
pub fn telegram_text(n: &Notification) -> String {
    match &n.event {
        Event::Signal {
            signal,
            trader_name,
            chart_url,
            ..
        } => {
            let mut text = format!(
                "🔔 {trader_name}\n{} · {} at {}\n{}",
                signal.symbol,
                signal.interval,
                signal.price,
                rfc3339(signal.close_time + 1)
            );
            for (k, v) in value_lines(&signal.values, 12) {
                text.push_str(&format!("\n{k}: {v}"));
            }
            if let Some(url) = chart_url {
                text.push_str(&format!("\nChart: {url}"));
            }
            text
        }
        Event::Test { channel_name } => {
            format!("✅ Test notification from Sift: channel \"{channel_name}\" works.")
        }
    }
}

/// The Telegram `sendMessage` body.
pub fn telegram_body(n: &Notification, chat_id: &str) -> Value {
    json!({
        "chat_id": chat_id,
        "text": telegram_text(n),
        "disable_web_page_preview": true,
    })
}

/// The Discord webhook body: one embed, mentions disabled.
pub fn discord_body(n: &Notification) -> Value {
    let embed = match &n.event {
        Event::Signal {
            signal,
            trader_name,
            chart_url,
            ..
        } => {
            let mut fields = vec![
                json!({"name": "Price", "value": signal.price.to_string(), "inline": true}),
                json!({"name": "Interval", "value": signal.interval.as_str(), "inline": true}),
            ];
            for (k, v) in value_lines(&signal.values, 20) {
                fields.push(json!({"name": k, "value": v, "inline": true}));
            }
            let mut embed = Map::new();
            embed.insert(
                "title".into(),
                json!(format!("{trader_name}: {}", signal.symbol)),
            );
            embed.insert("color".into(), json!(0x2f_80_ed));
            embed.insert("fields".into(), Value::Array(fields));
            embed.insert("timestamp".into(), json!(rfc3339(signal.close_time + 1)));
            embed.insert("footer".into(), json!({"text": n.idempotency_key}));
            if let Some(url) = chart_url {
                embed.insert("url".into(), json!(url));
            }
            Value::Object(embed)
        }
        Event::Test { channel_name } => json!({
            "title": "Test notification from Sift",
            "description": format!("Channel \"{channel_name}\" works."),
            "color": 0x27_ae_60,
            "footer": {"text": n.idempotency_key},
        }),
    };
    json!({
        "username": "Sift",
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal() -> Signal {
        Signal {
            id: 7,
            trader_id: 3,
            symbol: "BTCUSDT".parse().unwrap(),
            interval: "15m".parse().unwrap(),
            open_time: 1_735_689_600_000,
            close_time: 1_735_690_499_999,
            price: 42_000.5,
            values: json!({"rsi": 28.123456789, "close": 42_000.5}),
            created_at: 0,
        }
    }

    fn notification() -> Notification {
        Notification {
            delivery_id: 1,
            idempotency_key: "signal:7:channel:2".to_owned(),
            event: Event::Signal {
                signal: signal(),
                trader_id: 3,
                trader_name: "RSI dip".to_owned(),
                chart_url: Some(chart_url("https://sift.example", &signal())),
            },
        }
    }

    #[test]
    fn webhook_body_carries_everything() {
        let body = webhook_body(&notification());
        assert_eq!(body["event"], "signal");
        assert_eq!(body["idempotency_key"], "signal:7:channel:2");
        assert_eq!(body["trader"]["name"], "RSI dip");
        assert_eq!(body["symbol"], "BTCUSDT");
        assert_eq!(body["interval"], "15m");
        assert_eq!(body["price"], 42_000.5);
        assert_eq!(body["time"], "2025-01-01T00:15:00Z");
        assert_eq!(body["values"]["close"], 42_000.5);
        assert_eq!(
            body["chart_url"],
            "https://sift.example/chart/BTCUSDT?interval=15m&signal=7"
        );
    }

    #[test]
    fn signatures_verify_and_cover_the_timestamp() {
        let body = br#"{"event":"test"}"#;
        let sig = sign("whsec_k", 1_700_000_000, body);
        // The README's Python verifier computes the same (HMAC of "{timestamp}.{body}").
        assert_eq!(
            sig,
            "sha256=45ef8df7def4cc658e44707edebab68395a591501af1dc5c8eeb490f113a7e62"
        );
        assert!(verify("whsec_k", 1_700_000_000, body, &sig));
        assert!(!verify("whsec_k", 1_700_000_001, body, &sig));
        assert!(!verify("whsec_other", 1_700_000_000, body, &sig));
        assert!(!verify(
            "whsec_k",
            1_700_000_000,
            br#"{"event":"tesT"}"#,
            &sig
        ));
        assert!(!verify("whsec_k", 1_700_000_000, body, "sha256=zz"));
    }

    #[test]
    fn messages_read_well() {
        let text = telegram_text(&notification());
        assert!(text.contains("RSI dip") && text.contains("BTCUSDT · 15m at 42000.5"));
        assert!(text.contains("rsi: 28.123457"), "{text}");
        assert!(text.ends_with("Chart: https://sift.example/chart/BTCUSDT?interval=15m&signal=7"));
        let discord = discord_body(&notification());
        assert_eq!(discord["embeds"][0]["title"], "RSI dip: BTCUSDT");
        assert_eq!(discord["allowed_mentions"]["parse"], json!([]));
        let test = Notification {
            event: Event::Test {
                channel_name: "ops".to_owned(),
            },
            ..notification()
        };
        assert_eq!(webhook_body(&test)["test"], true);
        assert!(telegram_text(&test).contains("Test notification"));
        assert!(
            discord_body(&test)["embeds"][0]["title"]
                .as_str()
                .unwrap()
                .contains("Test")
        );
    }
}
