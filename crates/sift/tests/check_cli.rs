//! `sift check` as a user runs it.

use std::process::{Command, Output};

fn sift(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(args)
        .output()
        .expect("the sift binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("utf-8 output")
}

#[test]
fn the_builtin_traders_check() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../traders/builtin");
    let out = sift(&["check", dir]);
    assert!(out.status.success(), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.matches("ok: ").count(), 12, "{stdout}");
    assert!(stdout.contains("sma(close, 200) @ 15m"), "{stdout}");
}

#[test]
fn a_bad_rule_is_rendered_with_a_caret_and_help() {
    let out = sift(&["check", "-e", "rsx(14) < 30"]);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("unknown function or indicator `rsx`"),
        "{stdout}"
    );
    assert!(stdout.contains("1 | rsx(14) < 30"), "{stdout}");
    assert!(stdout.contains("did you mean `rsi`?"), "{stdout}");
}

#[test]
fn json_reports_the_summary() {
    let out = sift(&[
        "check",
        "-e",
        "close @ 1h > ema(200) @ 1h",
        "--interval",
        "5m",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value[0]["ok"], true);
    assert_eq!(value[0]["interval"], "5m");
    assert!(
        value[0]["timeframes"]
            .as_array()
            .unwrap()
            .contains(&"1h".into())
    );
}

#[test]
fn a_broken_trader_file_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.toml");
    std::fs::write(
        &path,
        "name = \"t\"\ninterval = \"7m\"\nrule = \"close > open\"\n",
    )
    .unwrap();
    let out = sift(&["check", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("t.toml:2:"), "{stdout}");
}

#[test]
fn one_broken_file_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a-good.toml"),
        "name = \"good\"\ninterval = \"1m\"\nrule = \"close > open\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("b-bad.toml"),
        "name = \"bad\"\ninterval = \n",
    )
    .unwrap();
    let out = sift(&["check", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("ok: ") && stdout.contains("a-good.toml"),
        "{stdout}"
    );
    assert!(stdout.contains("b-bad.toml:2:"), "{stdout}");
    assert!(
        text(&out.stderr).contains("1 of 2 failed"),
        "{}",
        text(&out.stderr)
    );
}
