//! Decoding arbitrary text never panics: malformed frames are error values.

use proptest::prelude::*;
use sift_binance::{
    decode_exchange_info, decode_frame, decode_klines, decode_rest_error, decode_ticker_24hr,
};

const KLINE: &str = r#"{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1735689662013,"s":"BTCUSDT","k":{"t":1735689600000,"T":1735689659999,"s":"BTCUSDT","i":"1m","f":4337402141,"L":4337403457,"o":"93576.00000000","c":"93610.93000000","h":"93610.93000000","l":"93537.50000000","v":"8.21827000","n":1317,"x":false,"q":"768978.60271900","V":"4.32539000","Q":"404713.31430290","B":"0"}}}"#;

fn decode_everything(text: &str) {
    let _ = decode_frame(text);
    let _ = decode_klines(text, 0);
    let _ = decode_exchange_info(text);
    let _ = decode_ticker_24hr(text);
    let _ = decode_rest_error(text);
}

proptest! {
    #[test]
    fn arbitrary_text(text in "\\PC{0,200}") {
        decode_everything(&text);
    }

    #[test]
    fn json_like_text(text in r#"[\[\]{}":,.0-9a-zA-Z@_ -]{0,120}"#) {
        decode_everything(&text);
    }

    /// Single-byte edits of a real frame, mostly near-valid: the decoder's fast path and general
    /// path both see them.
    #[test]
    fn mutated_kline_frames(at in 0usize..400, byte in any::<u8>(), truncate in any::<bool>()) {
        let mut bytes = KLINE.as_bytes().to_vec();
        let at = at % bytes.len();
        if truncate { bytes.truncate(at); } else { bytes[at] = byte; }
        if let Ok(text) = String::from_utf8(bytes) {
            decode_everything(&text);
        }
    }
}

#[test]
fn every_prefix_of_a_frame_is_an_error_not_a_panic() {
    for end in 0..KLINE.len() {
        assert!(decode_frame(&KLINE[..end]).is_err(), "{end}");
    }
    assert!(decode_frame(KLINE).is_ok());
}
