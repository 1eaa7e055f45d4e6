//! Channel configurations: what each kind needs, checked when a channel is created, masked
//! whenever it is shown.
//!
//! | kind | `config` |
//! |---|---|
//! | `webhook` | `{"url": "https://..."}`; signed with a secret Sift generates |
//! | `telegram` | `{"bot_token": "123456:ABC...", "chat_id": "-100123" or "@channel"}` |
//! | `discord` | `{"url": "https://discord.com/api/webhooks/{id}/{token}"}` |

use rand::RngCore;
use serde_json::{Value, json};
use sift_store::ChannelKind;
use url::Url;

use crate::error::ChannelConfigError;

/// Longest URL accepted.
const MAX_URL: usize = 2048;
/// What replaces secrets in shown configurations.
pub const MASK: &str = "***";

/// A channel's checked configuration: where and how to send.
#[derive(Clone, PartialEq, Eq)]
pub enum ChannelTarget {
    Webhook { url: Url },
    Telegram { bot_token: String, chat_id: String },
    Discord { url: Url },
}

impl std::fmt::Debug for ChannelTarget {
    /// Never prints tokens or URLs (which may carry them).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Self::Webhook { .. } => "Webhook",
            Self::Telegram { .. } => "Telegram",
            Self::Discord { .. } => "Discord",
        };
        f.debug_struct(kind).finish_non_exhaustive()
    }
}

impl ChannelTarget {
    /// Checks `config` for `kind`.
    ///
    /// # Errors
    /// [`ChannelConfigError`] naming the field and what is wrong with it.
    pub fn parse(kind: ChannelKind, config: &Value) -> Result<Self, ChannelConfigError> {
        let Some(object) = config.as_object() else {
            return Err(ChannelConfigError::new("config", "must be an object"));
        };
        let allowed: &[&str] = match kind {
            ChannelKind::Webhook | ChannelKind::Discord => &["url"],
            ChannelKind::Telegram => &["bot_token", "chat_id"],
        };
        if let Some(unknown) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(ChannelConfigError::new(
                &format!("config.{unknown}"),
                format!("unknown field; expected {}", allowed.join(", ")),
            ));
        }
        match kind {
            ChannelKind::Webhook => Ok(Self::Webhook {
                url: http_url(object.get("url"))?,
            }),
            ChannelKind::Discord => {
                let url = http_url(object.get("url"))?;
                if !is_discord_webhook_path(url.path()) {
                    return Err(ChannelConfigError::new(
                        "config.url",
                        "must be a Discord webhook URL (.../api/webhooks/{id}/{token})",
                    ));
                }
                Ok(Self::Discord { url })
            }
            ChannelKind::Telegram => Ok(Self::Telegram {
                bot_token: bot_token(object.get("bot_token"))?,
                chat_id: chat_id(object.get("chat_id"))?,
            }),
        }
    }

    /// The normalised configuration to store.
    pub fn to_config(&self) -> Value {
        match self {
            Self::Webhook { url } | Self::Discord { url } => json!({ "url": url.as_str() }),
            Self::Telegram { bot_token, chat_id } => {
                json!({ "bot_token": bot_token, "chat_id": chat_id })
            }
        }
    }
}

/// `config` with its secrets masked, for every answer that shows a channel: a URL keeps its
/// scheme and host (a Discord URL also its webhook id), a bot token its bot id. Give it the
/// opened configuration: a value still sealed (see [`crate::sealed`]) shows as `***` only.
pub fn masked(kind: ChannelKind, config: &Value) -> Value {
    let text = |key: &str| config.get(key).and_then(Value::as_str).unwrap_or("");
    let sealed = |key: &str| crate::sealed::is_sealed(text(key));
    match kind {
        ChannelKind::Webhook | ChannelKind::Discord if sealed("url") => json!({ "url": MASK }),
        ChannelKind::Telegram if sealed("bot_token") => {
            json!({ "bot_token": MASK, "chat_id": config.get("chat_id") })
        }
        ChannelKind::Webhook | ChannelKind::Discord => {
            let shown = match Url::parse(text("url")) {
                Ok(url) => {
                    let mut base = url.origin().ascii_serialization();
                    if kind == ChannelKind::Discord {
                        let segments: Vec<&str> = url.path().split('/').collect();
                        if let [.., id, _token] = segments.as_slice() {
                            base.push_str(&format!("/api/webhooks/{id}"));
                        }
                    }
                    format!("{base}/{MASK}")
                }
                Err(_) => MASK.to_owned(),
            };
            json!({ "url": shown })
        }
        ChannelKind::Telegram => {
            let bot = text("bot_token").split(':').next().unwrap_or("");
            json!({ "bot_token": format!("{bot}:{MASK}"), "chat_id": config.get("chat_id") })
        }
    }
}

/// A new webhook signing secret: `whsec_` and 64 hex digits.
pub fn new_webhook_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

fn http_url(value: Option<&Value>) -> Result<Url, ChannelConfigError> {
    let field = "config.url";
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| ChannelConfigError::new(field, "required, a string"))?;
    if text.len() > MAX_URL {
        return Err(ChannelConfigError::new(
            field,
            format!("longer than {MAX_URL} characters"),
        ));
    }
    let url = Url::parse(text).map_err(|e| ChannelConfigError::new(field, e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ChannelConfigError::new(field, "must be http or https"));
    }
    if url.host().is_none() {
        return Err(ChannelConfigError::new(field, "needs a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ChannelConfigError::new(
            field,
            "must not carry a user name or password",
        ));
    }
    if url.fragment().is_some() {
        return Err(ChannelConfigError::new(field, "must not have a #fragment"));
    }
    // Refused whatever the server allows: fail now rather than at every delivery.
    crate::guard::check_url(&url, true)
        .map_err(|e| ChannelConfigError::new(field, e.to_string()))?;
    Ok(url)
}

/// `/api/webhooks/{id}/{token}` (optionally `/api/v10/webhooks/...`).
fn is_discord_webhook_path(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let rest = match segments.as_slice() {
        ["", "api", version, "webhooks", rest @ ..]
            if version.strip_prefix('v').is_some_and(all_digits) =>
        {
            rest
        }
        ["", "api", "webhooks", rest @ ..] => rest,
        _ => return false,
    };
    matches!(rest, [id, token] if all_digits(id) && is_token(token))
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.len() <= 24 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_token(s: &str) -> bool {
    (1..=200).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn bot_token(value: Option<&Value>) -> Result<String, ChannelConfigError> {
    let field = "config.bot_token";
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| ChannelConfigError::new(field, "required, a string"))?;
    match text.split_once(':') {
        Some((bot, secret)) if all_digits(bot) && secret.len() >= 20 && is_token(secret) => {
            Ok(text.to_owned())
        }
        _ => Err(ChannelConfigError::new(
            field,
            "must look like 123456789:AAE... (from @BotFather)",
        )),
    }
}

fn chat_id(value: Option<&Value>) -> Result<String, ChannelConfigError> {
    let field = "config.chat_id";
    let text = match value {
        Some(Value::Number(n)) if n.is_i64() => n.to_string(),
        Some(Value::String(s)) => s.trim().to_owned(),
        _ => {
            return Err(ChannelConfigError::new(
                field,
                "required, a number or a string",
            ));
        }
    };
    let numeric = text
        .strip_prefix('-')
        .unwrap_or(&text)
        .bytes()
        .all(|b| b.is_ascii_digit())
        && (2..=20).contains(&text.len());
    let username = text.strip_prefix('@').is_some_and(|name| {
        (5..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if numeric || username {
        Ok(text)
    } else {
        Err(ChannelConfigError::new(
            field,
            "must be a numeric chat id (such as -1001234567890) or @channelname",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123";

    #[test]
    fn good_configs_parse_and_normalise() {
        let hook = ChannelTarget::parse(
            ChannelKind::Webhook,
            &json!({"url": "https://hooks.example.com/in/abc?x=1"}),
        )
        .unwrap();
        assert_eq!(
            hook.to_config(),
            json!({"url": "https://hooks.example.com/in/abc?x=1"})
        );
        let telegram = ChannelTarget::parse(
            ChannelKind::Telegram,
            &json!({"bot_token": TOKEN, "chat_id": -1_001_234_567_890_i64}),
        )
        .unwrap();
        assert_eq!(
            telegram.to_config()["chat_id"],
            json!("-1001234567890"),
            "chat ids are stored as strings"
        );
        for url in [
            "https://discord.com/api/webhooks/1234567890/abc-DEF_123",
            "https://discord.com/api/v10/webhooks/1234567890/abc/",
        ] {
            ChannelTarget::parse(ChannelKind::Discord, &json!({ "url": url })).unwrap();
        }
        ChannelTarget::parse(
            ChannelKind::Telegram,
            &json!({"bot_token": TOKEN, "chat_id": "@my_channel"}),
        )
        .unwrap();
    }

    #[test]
    fn bad_configs_name_the_field() {
        let cases = [
            (ChannelKind::Webhook, json!([]), "config"),
            (ChannelKind::Webhook, json!({}), "config.url"),
            (
                ChannelKind::Webhook,
                json!({"url": "ftp://x.example"}),
                "config.url",
            ),
            (
                ChannelKind::Webhook,
                json!({"url": "not a url"}),
                "config.url",
            ),
            (
                ChannelKind::Webhook,
                json!({"url": "https://u:p@x.example/"}),
                "config.url",
            ),
            (
                ChannelKind::Webhook,
                json!({"url": "http://169.254.169.254/latest"}),
                "config.url",
            ),
            (
                ChannelKind::Webhook,
                json!({"url": "https://x.example", "secret": "s"}),
                "config.secret",
            ),
            (
                ChannelKind::Discord,
                json!({"url": "https://discord.com/api/other/1/x"}),
                "config.url",
            ),
            (
                ChannelKind::Discord,
                json!({"url": "https://discord.com/api/webhooks/abc/x"}),
                "config.url",
            ),
            (
                ChannelKind::Telegram,
                json!({"bot_token": "nope", "chat_id": "1"}),
                "config.bot_token",
            ),
            (
                ChannelKind::Telegram,
                json!({"bot_token": TOKEN, "chat_id": "x y"}),
                "config.chat_id",
            ),
            (
                ChannelKind::Telegram,
                json!({"bot_token": TOKEN, "chat_id": 1.5}),
                "config.chat_id",
            ),
        ];
        for (kind, config, field) in cases {
            let err = ChannelTarget::parse(kind, &config).unwrap_err();
            assert_eq!(err.field, field, "{config}: {err}");
        }
    }

    #[test]
    fn masking_hides_tokens_and_paths() {
        let shown = masked(
            ChannelKind::Webhook,
            &json!({"url": "https://hooks.example.com:8443/in/SECRET?k=SECRET"}),
        );
        assert_eq!(shown, json!({"url": "https://hooks.example.com:8443/***"}));
        let shown = masked(
            ChannelKind::Discord,
            &json!({"url": "https://discord.com/api/webhooks/42/SECRET"}),
        );
        assert_eq!(
            shown,
            json!({"url": "https://discord.com/api/webhooks/42/***"})
        );
        let shown = masked(
            ChannelKind::Telegram,
            &json!({"bot_token": TOKEN, "chat_id": "-100"}),
        );
        assert_eq!(
            shown,
            json!({"bot_token": "123456789:***", "chat_id": "-100"})
        );
        assert!(
            !format!(
                "{:?}",
                ChannelTarget::parse(
                    ChannelKind::Telegram,
                    &json!({"bot_token": TOKEN, "chat_id": "1234"})
                )
                .unwrap()
            )
            .contains("AAE")
        );
    }

    #[test]
    fn sealed_values_are_masked_whole() {
        let key = crate::SecretKey::generate();
        for (kind, config, shown) in [
            (
                ChannelKind::Discord,
                json!({"url": "https://discord.com/api/webhooks/42/SECRET"}),
                json!({"url": MASK}),
            ),
            (
                ChannelKind::Telegram,
                json!({"bot_token": TOKEN, "chat_id": "-100"}),
                json!({"bot_token": MASK, "chat_id": "-100"}),
            ),
        ] {
            assert_eq!(masked(kind, &key.seal_config(kind, &config)), shown);
        }
    }

    #[test]
    fn secrets_are_fresh() {
        let (a, b) = (new_webhook_secret(), new_webhook_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), 6 + 64);
    }
}
