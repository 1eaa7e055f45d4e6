//! Fixture rules under `tests/fixtures/`: every `valid/*.sift` checks and its program listing
//! is snapshotted; every `invalid/*.sift` fails and its rendered diagnostics are snapshotted.
//!
//! A fixture may start with `# interval: 1h` to set the trader's interval (default 1m).
//! Review snapshot changes with `cargo insta review`.

use std::path::{Path, PathBuf};

use sift_core::Interval;
use sift_rules::{CheckOptions, Diagnostic, check};

fn fixtures(kind: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|e| e.expect("fixture entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "sift"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| (stem(p), std::fs::read_to_string(p).expect("fixture text")))
        .collect()
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("file name")
        .to_owned()
}

/// The options a fixture asks for in a leading `# interval: X` line.
fn options(source: &str) -> CheckOptions {
    let interval = source
        .lines()
        .find_map(|l| l.strip_prefix("# interval: "))
        .map(|i| i.trim().parse::<Interval>().expect("fixture interval"))
        .unwrap_or(Interval::M1);
    CheckOptions::new(interval)
}

fn rendered(diagnostics: &[Diagnostic], source: &str, name: &str) -> String {
    let file = format!("{name}.sift");
    diagnostics
        .iter()
        .map(|d| d.render(source, &file))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn valid_fixtures_check() {
    let all = fixtures("valid");
    assert!(all.len() >= 8);
    for (name, source) in all {
        let program = check(&source, &options(&source))
            .unwrap_or_else(|errors| panic!("{name}:\n{}", rendered(&errors, &source, &name)));
        let warnings = rendered(&program.warnings, &source, &name);
        insta::with_settings!({
            snapshot_path => "snapshots/valid",
            prepend_module_to_snapshot => false,
            description => source.clone(),
        }, {
            insta::assert_snapshot!(name, format!("{program}\n{warnings}"));
        });
    }
}

#[test]
fn invalid_fixtures_fail_with_these_diagnostics() {
    let all = fixtures("invalid");
    assert!(all.len() >= 20);
    for (name, source) in all {
        let Err(errors) = check(&source, &options(&source)) else {
            panic!("{name} checked");
        };
        assert!(errors.iter().any(Diagnostic::is_error), "{name}");
        insta::with_settings!({
            snapshot_path => "snapshots/invalid",
            prepend_module_to_snapshot => false,
            description => source.clone(),
        }, {
            let text = rendered(&errors, &source, &name);
            insta::assert_snapshot!(name, text);
        });
    }
}

#[test]
fn diagnostics_serialise_to_json() {
    let source = "rsx(14) < 30 and\n  macd() > 0";
    let errors = check(source, &CheckOptions::default()).unwrap_err();
    let json = serde_json::to_string_pretty(&errors).expect("json");
    insta::with_settings!({
        snapshot_path => "snapshots",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("diagnostics_json", json);
    });
}
