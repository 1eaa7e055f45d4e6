//! Notifications: when a trader fires, tell its owner by webhook, Telegram or Discord.
//!
//! The close pipeline writes a pending delivery per (signal, channel) into the store's outbox
//! in the same transaction as the signal. The [`Dispatcher`] claims due deliveries with a
//! lease, sends each through its channel's worker (one queue per channel, so a slow or dead
//! endpoint delays only itself), paced by a per-channel rate limit and any `Retry-After`,
//! retries failures with exponential backoff and jitter up to `max_attempts`, and records
//! every attempt (status code, latency, error). Outgoing requests go through an SSRF guard
//! that checks the resolved addresses at connection time (see [`guard`]), follow no
//! redirects, and have a time budget and size limits.
//!
//! Webhooks are signed: `X-Sift-Timestamp` is the Unix time in seconds and
//! `X-Sift-Signature` is `sha256=` followed by the hex HMAC-SHA256, keyed with the channel's
//! secret, of `{timestamp}.{body}` (see [`payload::sign`] and [`payload::verify`]).
//!
//! Channel secrets (the webhook signing secret, bot tokens, webhook and Discord URLs) are
//! stored sealed with a [`SecretKey`] (see [`sealed`]); the dispatcher opens them when it
//! sends.
//!
//! # Layout
//! - [`config`]: [`NotifyConfig`], the `[notify]` settings.
//! - [`channel`]: each kind's configuration, checked ([`ChannelTarget::parse`]) and masked
//!   ([`masked`]); webhook secrets.
//! - [`guard`]: which addresses may be reached; the guarded DNS resolver.
//! - [`payload`]: the webhook body and signature, the Telegram text, the Discord embed.
//! - [`sealed`]: [`SecretKey`]; channel secrets encrypted at rest.
//! - [`dispatcher`]: [`Dispatcher`], the claim loop and the channel workers.
//! - `http`: the guarded HTTP client; `send`: one attempt and its verdict; `load`: a claimed
//!   delivery made ready to send; `pace`: backoff and the rate limit.
//! - [`error`]: [`NotifyError`], [`ChannelConfigError`], [`UnsealError`].

pub mod channel;
pub mod config;
pub mod dispatcher;
pub mod error;
pub mod guard;
mod http;
mod load;
mod pace;
pub mod payload;
pub mod sealed;
mod send;

pub use channel::{ChannelTarget, MASK, masked, new_webhook_secret};
pub use config::NotifyConfig;
pub use dispatcher::Dispatcher;
pub use error::{ChannelConfigError, NotifyError, UnsealError};
pub use sealed::SecretKey;
