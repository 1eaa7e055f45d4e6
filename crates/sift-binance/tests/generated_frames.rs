//! Generated kline frames in Binance's layout decode to exactly the values written, and the
//! decoder's fast path, serde path and general path agree on every one.

use proptest::prelude::*;
use sift_binance::{Frame, decode_frame};

/// A decimal as Binance formats it: integer part, then 0 to 8 fraction digits.
fn decimal() -> impl Strategy<Value = String> {
    (0u64..10_000_000_000, 0u64..100_000_000, 0usize..=8).prop_map(|(int, frac, places)| {
        if places == 0 {
            int.to_string()
        } else {
            let frac = format!("{frac:08}");
            format!("{int}.{}", &frac[..places])
        }
    })
}

/// The reference value of a generated decimal: the standard library's correctly rounded parse.
fn number(text: &str) -> f64 {
    text.parse().expect("generated decimals are valid")
}

#[derive(Debug, Clone)]
struct Values {
    open_time: i64,
    prices: [String; 4],
    volumes: [String; 4],
    trades: u64,
    closed: bool,
}

fn values() -> impl Strategy<Value = Values> {
    (
        0i64..4_000_000_000_000,
        proptest::array::uniform4(decimal()),
        proptest::array::uniform4(decimal()),
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(open_time, mut prices, volumes, trades, closed)| {
            // high = the largest price, low = the smallest, as any real candle.
            prices.sort_by(|a, b| number(a).total_cmp(&number(b)));
            Values {
                open_time,
                prices,
                volumes,
                trades,
                closed,
            }
        })
}

fn frame(v: &Values, separator: &str) -> String {
    let [low, open, close, high] = &v.prices;
    let [volume, quote, taker, taker_quote] = &v.volumes;
    format!(
        concat!(
            r#"{{{sep}"stream":"btcusdt@kline_5m","data":{{"e":"kline","E":{e},"s":"BTCUSDT","k":{{"#,
            r#""t":{t},"T":{tc},"s":"BTCUSDT","i":"5m","f":1,"L":2,"o":"{o}","c":"{c}","h":"{h}","#,
            r#""l":"{l}","v":"{v}","n":{n},"x":{x},"q":"{q}","V":"{tv}","Q":"{tq}","B":"0"}}}}}}"#
        ),
        sep = separator,
        e = v.open_time + 1,
        t = v.open_time,
        tc = v.open_time + 299_999,
        o = open,
        c = close,
        h = high,
        l = low,
        v = volume,
        n = v.trades,
        x = v.closed,
        q = quote,
        tv = taker,
        tq = taker_quote,
    )
}

proptest! {
    #[test]
    fn decodes_exactly_on_every_path(v in values()) {
        let fast = decode_frame(&frame(&v, "")).unwrap();
        let Frame::Kline(update) = &fast else { panic!("not a kline") };
        let c = update.candle;
        let parse = |s: &String| number(s);
        let [low, open, close, high] = &v.prices;
        prop_assert_eq!(
            [c.open, c.high, c.low, c.close].map(f64::to_bits),
            [parse(open), parse(high), parse(low), parse(close)].map(f64::to_bits)
        );
        prop_assert_eq!(
            [c.volume, c.quote_volume, c.taker_buy_volume, c.taker_buy_quote_volume]
                .map(f64::to_bits),
            v.volumes.each_ref().map(|s| parse(s).to_bits())
        );
        prop_assert_eq!((c.open_time, c.trades, c.closed), (v.open_time, v.trades, v.closed));
        // A trailing newline makes the scanner decline (the typed serde path); a space after
        // the opening brace hides the stream name and takes the general path.
        prop_assert_eq!(&decode_frame(&format!("{}\n", frame(&v, ""))).unwrap(), &fast);
        prop_assert_eq!(&decode_frame(&frame(&v, " ")).unwrap(), &fast);
    }
}
