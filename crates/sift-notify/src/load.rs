//! A claimed delivery made ready to send: its channel (opened and checked), its signal and
//! trader, the message.

use sift_store::Delivery;

use crate::channel::ChannelTarget;
use crate::error::UnsealError;
use crate::payload::{Event, Notification, chart_url};
use crate::sealed::SecretKey;

/// What the dispatcher needs of its context here.
pub(crate) struct Sources<'a> {
    pub(crate) store: &'a dyn sift_store::Store,
    pub(crate) public_base: Option<&'a str>,
    /// Opens the channel's sealed secrets.
    pub(crate) key: &'a SecretKey,
}

/// What a delivery turns into once its channel and signal are loaded.
pub(crate) enum Prepared {
    /// The channel or signal was deleted (and the delivery with it).
    Gone,
    /// Cannot be sent (disabled channel, broken configuration).
    Fail(String),
    /// Cannot be sent now: the channel's secrets do not open with this key (fixing
    /// `notify.secret_key` before the attempts run out saves it).
    Retry(String),
    Send {
        target: ChannelTarget,
        secret: Option<String>,
        notification: Box<Notification>,
    },
}

pub(crate) async fn prepare(
    src: Sources<'_>,
    delivery: &Delivery,
) -> Result<Prepared, sift_store::StoreError> {
    let Some(channel) = src.store.get_channel(delivery.channel_id).await? else {
        return Ok(Prepared::Gone);
    };
    if !channel.enabled {
        return Ok(Prepared::Fail("channel disabled".to_owned()));
    }
    let opened = src
        .key
        .open_config(channel.kind, &channel.config)
        .and_then(|config| {
            let secret = channel.secret.as_deref().map(|s| src.key.open_secret(s));
            Ok((config, secret.transpose()?))
        });
    let (config, secret) = match opened {
        Ok(opened) => opened,
        Err(err @ UnsealError::WrongKey) => return Ok(Prepared::Retry(err.to_string())),
        Err(err @ UnsealError::Malformed) => return Ok(Prepared::Fail(err.to_string())),
    };
    let target = match ChannelTarget::parse(channel.kind, &config) {
        Ok(target) => target,
        Err(err) => return Ok(Prepared::Fail(format!("invalid channel config: {err}"))),
    };
    let event = match delivery.signal_id {
        None => Event::Test {
            channel_name: channel.name.clone(),
        },
        Some(id) => {
            let Some(signal) = src.store.get_signal(id).await? else {
                return Ok(Prepared::Gone);
            };
            let trader_name = match src.store.get_trader(signal.trader_id).await? {
                Some(trader) => trader.def.name,
                None => format!("trader {}", signal.trader_id),
            };
            Event::Signal {
                chart_url: src.public_base.map(|b| chart_url(b, &signal)),
                trader_id: signal.trader_id,
                trader_name,
                signal,
            }
        }
    };
    Ok(Prepared::Send {
        target,
        secret,
        notification: Box::new(Notification {
            delivery_id: delivery.id,
            idempotency_key: delivery.idempotency_key.clone(),
            event,
        }),
    })
}
