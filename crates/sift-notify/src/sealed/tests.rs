use serde_json::json;

use super::*;

const TOKEN: &str = "123456789:AAEabcdefghijklmnopqrstuvwxyz0123";
const DISCORD: &str = "https://discord.com/api/webhooks/42/t0k3n";

fn key_text() -> String {
    STANDARD.encode([7u8; KEY_LEN])
}

#[test]
fn sealing_round_trips_with_a_fresh_nonce() {
    let key = SecretKey::generate();
    let a = key.seal("whsec_abc", "channel.secret");
    let b = key.seal("whsec_abc", "channel.secret");
    assert!(a.starts_with(SEALED_PREFIX) && is_sealed(&a), "{a}");
    assert!(!a.contains("whsec"), "{a}");
    assert_ne!(a, b, "each seal has its own nonce");
    assert_eq!(key.open(&a, "channel.secret").unwrap(), "whsec_abc");
    assert_eq!(key.open(&b, "channel.secret").unwrap(), "whsec_abc");
    assert_eq!(key.open_secret(&key.seal_secret("")).unwrap(), "");
}

#[test]
fn tampering_is_detected() {
    let key = SecretKey::generate();
    let sealed = key.seal("whsec_abc", "channel.secret");
    let mut raw = STANDARD.decode(&sealed[SEALED_PREFIX.len()..]).unwrap();
    for at in [0, NONCE_LEN, raw.len() - 1] {
        raw[at] ^= 1;
        let altered = format!("{SEALED_PREFIX}{}", STANDARD.encode(&raw));
        assert_eq!(
            key.open(&altered, "channel.secret"),
            Err(UnsealError::WrongKey),
            "byte {at}"
        );
        raw[at] ^= 1;
    }
    // Moved to another field: the associated data differs.
    assert_eq!(
        key.open(&sealed, "telegram.bot_token"),
        Err(UnsealError::WrongKey)
    );
    for malformed in ["v1:", "v1:not base64!", "v1:AAAA"] {
        assert_eq!(
            key.open(malformed, "channel.secret"),
            Err(UnsealError::Malformed),
            "{malformed}"
        );
    }
}

#[test]
fn a_wrong_key_gives_a_clear_error() {
    let sealed = SecretKey::generate().seal_secret("whsec_abc");
    let err = SecretKey::generate().open_secret(&sealed).unwrap_err();
    assert_eq!(err, UnsealError::WrongKey);
    assert_eq!(
        err.to_string(),
        "cannot decrypt channel secret: wrong notify.secret_key?"
    );
}

#[test]
fn plain_values_from_before_sealing_are_read_as_they_are() {
    let key = SecretKey::generate();
    assert_eq!(key.open_secret("whsec_legacy").unwrap(), "whsec_legacy");
    let config = json!({"bot_token": TOKEN, "chat_id": "-100"});
    assert_eq!(
        key.open_config(ChannelKind::Telegram, &config).unwrap(),
        config
    );
}

#[test]
fn configs_seal_their_secret_field_only() {
    let key = SecretKey::generate();
    for (kind, config, field) in [
        (ChannelKind::Discord, json!({ "url": DISCORD }), "url"),
        (
            ChannelKind::Webhook,
            json!({"url": "https://hooks.example.com/in/s3cr3t"}),
            "url",
        ),
        (
            ChannelKind::Telegram,
            json!({"bot_token": TOKEN, "chat_id": "-100"}),
            "bot_token",
        ),
    ] {
        let sealed = key.seal_config(kind, &config);
        let text = sealed[field].as_str().unwrap();
        assert!(is_sealed(text), "{sealed}");
        assert!(!sealed.to_string().contains("t0k3n") && !text.contains("AAE"));
        if kind == ChannelKind::Telegram {
            assert_eq!(sealed["chat_id"], "-100", "the chat id stays readable");
        }
        assert_eq!(
            key.seal_config(kind, &sealed),
            sealed,
            "sealing twice changes nothing"
        );
        assert_eq!(key.open_config(kind, &sealed).unwrap(), config);
    }
    // Sealed as a Discord URL, it does not open as a webhook URL.
    let sealed = key.seal_config(ChannelKind::Discord, &json!({ "url": DISCORD }));
    assert_eq!(
        key.open_config(ChannelKind::Webhook, &sealed),
        Err(UnsealError::WrongKey)
    );
}

#[test]
fn keys_parse_from_base64_and_never_show() {
    let key = SecretKey::from_base64(&format!(" {}\n", key_text())).unwrap();
    let again = SecretKey::from_base64(&key_text()).unwrap();
    assert_eq!(again.open_secret(&key.seal_secret("x")).unwrap(), "x");
    for bad in ["", "not base64", "c2hvcnQ=", &STANDARD.encode([1u8; 33])] {
        assert!(SecretKey::from_base64(bad).is_none(), "{bad}");
    }
    assert_eq!(format!("{key:?}"), "SecretKey(***)");
}

#[test]
fn the_key_file_is_created_once_private_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data").join(KEY_FILE);
    let first = SecretKey::load_or_create(&path).unwrap();
    let sealed = first.seal_secret("whsec_abc");
    let text = fs::read_to_string(&path).unwrap();
    assert!(SecretKey::from_base64(&text).is_some(), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let second = SecretKey::load_or_create(&path).unwrap();
    assert_eq!(second.open_secret(&sealed).unwrap(), "whsec_abc");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        text,
        "never overwritten"
    );

    fs::write(&path, "garbage").unwrap();
    let err = SecretKey::load_or_create(&path).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()), "{err}");
}

#[test]
fn the_setting_wins_over_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = NotifyConfig {
        secret_key: Some(key_text().into()),
        ..NotifyConfig::default()
    };
    let key = SecretKey::resolve(&config, dir.path()).unwrap();
    assert!(
        !dir.path().join(KEY_FILE).exists(),
        "no file when configured"
    );
    let expected = SecretKey::from_base64(&key_text()).unwrap();
    assert_eq!(expected.open_secret(&key.seal_secret("x")).unwrap(), "x");

    let from_file = SecretKey::resolve(&NotifyConfig::default(), dir.path()).unwrap();
    assert!(dir.path().join(KEY_FILE).exists());
    assert_eq!(
        from_file.open_secret(&key.seal_secret("x")),
        Err(UnsealError::WrongKey)
    );

    let bad = NotifyConfig {
        secret_key: Some("c2hvcnQ=".into()),
        ..NotifyConfig::default()
    };
    let err = SecretKey::resolve(&bad, dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("notify.secret_key:") && !err.contains("c2hvcnQ"),
        "{err}"
    );
}
