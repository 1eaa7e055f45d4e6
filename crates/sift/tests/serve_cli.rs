//! The server's tool commands as an operator runs them: `default-config`, `migrate`,
//! `user create`, and `serve` refusing a bad configuration with its location.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn sift(args: &[&str], dir: &std::path::Path, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(args)
        .current_dir(dir)
        .env_remove("SIFT_DATABASE__URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sift binary runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("stdin written");
    }
    drop(input);
    child.wait_with_output().expect("the sift binary ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn default_config_is_a_valid_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let out = sift(&["default-config"], dir.path(), None);
    assert!(out.status.success());
    let config = text(&out.stdout);
    assert!(config.contains("[market.binance]"), "{config}");
    std::fs::write(dir.path().join("sift.toml"), &config).unwrap();
    // The printed file loads as it is: migrate reads it and works.
    let out = sift(&["migrate", "--data-dir", "db"], dir.path(), None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("db/sift.db").exists());
}

#[test]
fn users_are_created_from_stdin_and_duplicates_refused() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "user",
        "create",
        "--email",
        "Ann@Example.com",
        "--tier",
        "pro",
        "--password-stdin",
        "--data-dir",
        "db",
    ];
    let out = sift(&args, dir.path(), Some("a long enough password\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("created"));

    let out = sift(&args, dir.path(), Some("a long enough password\n"));
    assert!(
        !out.status.success(),
        "a second account with the same email"
    );

    let admin = [
        "user",
        "create",
        "--email",
        "ann@example.com",
        "--admin",
        "--password-stdin",
        "--data-dir",
        "db",
    ];
    let out = sift(
        &admin,
        dir.path(),
        Some("ignored for an existing account\n"),
    );
    assert!(out.status.success(), "promoted: {}", text(&out.stderr));

    let short = [
        "user",
        "create",
        "--email",
        "bob@example.com",
        "--password-stdin",
        "--data-dir",
        "db",
    ];
    let out = sift(&short, dir.path(), Some("short\n"));
    assert!(!out.status.success(), "a too-short password is refused");
}

#[test]
fn a_bad_configuration_names_its_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sift.toml"), "[market]\ntopp = 3\n").unwrap();
    let out = sift(&["serve"], dir.path(), None);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("sift.toml") && stderr.contains("topp"),
        "{stderr}"
    );

    let out = sift(&["serve", "--intervals", "1m,2x"], dir.path(), None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("2x"));
}
