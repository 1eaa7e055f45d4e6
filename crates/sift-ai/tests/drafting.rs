//! The drafting loop against a local fake chat-completions server.

use std::time::Duration;

use secrecy::SecretString;
use serde_json::{Value, json};
use sift_ai::fake::{FakeChat, Reply};
use sift_ai::{AiConfig, DraftError, Drafter, Rejection};
use sift_core::Interval;
use sift_rules::Code;

fn config(server: &FakeChat) -> AiConfig {
    AiConfig {
        base_url: server.base_url(),
        model: "fake-model".to_owned(),
        api_key: Some(SecretString::from("sk-test-key")),
        timeout_ms: 5_000,
        ..AiConfig::default()
    }
}

fn answer(rule: &str) -> Reply {
    Reply::answer(json!({
        "name": "Oversold",
        "description": "RSI below 30.",
        "interval": "1h",
        "rule": rule,
    }))
}

/// The text of every message of a recorded request.
fn messages(body: &Value) -> Vec<(String, String)> {
    body["messages"]
        .as_array()
        .expect("test data")
        .iter()
        .map(|m| {
            (
                m["role"].as_str().expect("test data").to_owned(),
                m["content"].as_str().expect("test data").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_good_answer_becomes_a_draft() {
    let server = FakeChat::start(vec![answer("rsi(14) < 30")]).await;
    let drafter = Drafter::new(config(&server)).unwrap();
    let draft = drafter.draft("rsi oversold", None).await.unwrap();
    assert_eq!(draft.rule, "rsi(14) < 30");
    assert_eq!(draft.interval, Interval::H1);
    assert_eq!(draft.rounds, 1);
    assert_eq!(
        draft.explanation[0].meaning,
        "RSI(14) on the 1h candles is below 30"
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let body = &requests[0].body;
    assert_eq!(body["model"], "fake-model");
    assert_eq!(body["response_format"]["type"], "json_object");
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some("Bearer sk-test-key")
    );
    let sent = messages(body);
    assert_eq!(sent[0].0, "system");
    assert!(
        sent[0].1.contains("## Indicators"),
        "the reference is in the prompt"
    );
    assert_eq!(
        sent[1],
        (
            "user".to_owned(),
            "Request: rsi oversold\nInterval: choose the one that fits the request best".to_owned()
        )
    );
}

#[tokio::test]
async fn an_unknown_function_is_repaired_with_the_diagnostics() {
    let server = FakeChat::start(vec![
        Reply::Content(
            "```json\n{\"name\": \"x\", \"description\": \"\", \"interval\": \"1h\", \
             \"rule\": \"rsx(14) < 30\"}\n```"
                .to_owned(),
        ),
        answer("rsi(14) < 30"),
    ])
    .await;
    let drafter = Drafter::new(config(&server)).unwrap();
    let draft = drafter
        .draft("rsi oversold", Some(Interval::M15))
        .await
        .unwrap();
    assert_eq!(draft.rounds, 2);
    assert_eq!(draft.interval, Interval::M15, "the user's interval wins");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let second = messages(&requests[1].body);
    assert_eq!(
        second.len(),
        4,
        "system, user, the bad answer, the diagnostics"
    );
    assert_eq!(second[2].0, "assistant");
    assert!(second[2].1.contains("rsx(14)"));
    let feedback = &second[3].1;
    assert_eq!(second[3].0, "user");
    assert!(
        feedback.contains("error[E0008]: unknown function or indicator `rsx`"),
        "{feedback}"
    );
    assert!(feedback.contains("--> rule:1:1"), "{feedback}");
    assert!(feedback.contains("help: did you mean `rsi`?"), "{feedback}");
}

#[tokio::test]
async fn three_bad_answers_give_the_last_diagnostics() {
    let server = FakeChat::start(vec![
        answer("rsx(14) < 30"),
        answer("rsi(14) <"),
        answer("macd() > 0"),
        answer("rsi(14) < 30"),
    ])
    .await;
    let drafter = Drafter::new(config(&server)).unwrap();
    let err = drafter.draft("rsi oversold", None).await.unwrap_err();
    let DraftError::Unchecked { rounds, last } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*rounds, 3);
    let Rejection::Rule {
        rule, diagnostics, ..
    } = last
    else {
        panic!("{last:?}")
    };
    assert_eq!(rule, "macd() > 0");
    assert_eq!(diagnostics[0].code, Code::MissingField);
    assert_eq!(
        server.requests().len(),
        3,
        "never more than max_rounds calls"
    );
    assert!(!err.is_transient());
}

#[tokio::test]
async fn malformed_json_counts_as_a_failed_round() {
    let server = FakeChat::start(vec![
        Reply::Content("Sure! Here is your rule: rsi(14) < 30".to_owned()),
        answer("rsi(14) < 30"),
    ])
    .await;
    let drafter = Drafter::new(config(&server)).unwrap();
    let draft = drafter.draft("rsi oversold", None).await.unwrap();
    assert_eq!(draft.rounds, 2);
    let second = messages(&server.requests()[1].body);
    assert!(
        second[3].1.contains("answer was not valid JSON"),
        "{}",
        second[3].1
    );

    let server = FakeChat::start(vec![Reply::Content("{\"rule\": ".to_owned()); 3]).await;
    let drafter = Drafter::new(config(&server)).unwrap();
    let err = drafter.draft("rsi oversold", None).await.unwrap_err();
    assert!(
        matches!(
            &err,
            DraftError::Unchecked {
                last: Rejection::NotJson { .. },
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_response_that_is_not_a_completion_is_a_bad_response() {
    let server = FakeChat::start(vec![Reply::Raw("<html>oops</html>".to_owned())]).await;
    let drafter = Drafter::new(config(&server)).unwrap();
    let err = drafter.draft("x", None).await.unwrap_err();
    assert!(matches!(err, DraftError::BadResponse(_)), "{err:?}");
}

#[tokio::test]
async fn a_slow_model_times_out() {
    let server = FakeChat::start(vec![Reply::Delayed(
        Duration::from_secs(30),
        Box::new(answer("rsi(14) < 30")),
    )])
    .await;
    let drafter = Drafter::new(AiConfig {
        timeout_ms: 200,
        ..config(&server)
    })
    .unwrap();
    let err = drafter.draft("x", None).await.unwrap_err();
    assert!(matches!(err, DraftError::Timeout), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn rate_limits_and_server_errors_end_the_draft() {
    let server = FakeChat::start(vec![Reply::Status(429, Some(17))]).await;
    let drafter = Drafter::new(config(&server)).unwrap();
    let err = drafter.draft("x", None).await.unwrap_err();
    assert!(
        matches!(
            err,
            DraftError::RateLimited {
                retry_after_secs: Some(17)
            }
        ),
        "{err:?}"
    );

    let server = FakeChat::start(vec![Reply::Status(500, None)]).await;
    let drafter = Drafter::new(config(&server)).unwrap();
    let err = drafter.draft("x", None).await.unwrap_err();
    assert!(
        matches!(err, DraftError::Upstream { status: 500 }),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1, "no repair round after a 500");
}

#[tokio::test]
async fn an_unreachable_endpoint_and_no_configuration() {
    assert!(matches!(
        Drafter::new(AiConfig::default()),
        Err(DraftError::NotConfigured)
    ));
    let server = FakeChat::start(vec![]).await;
    let mut config = config(&server);
    drop(server);
    config.response_format = sift_ai::ResponseFormat::JsonSchema;
    let drafter = Drafter::new(config).unwrap();
    let err = drafter.draft("x", None).await.unwrap_err();
    assert!(
        matches!(err, DraftError::Unreachable(_) | DraftError::Timeout),
        "{err:?}"
    );
}
