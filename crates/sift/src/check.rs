//! `sift check`: diagnostics for trader files and rules, or a summary of what each rule needs.

use std::io::{self, Write};

use anyhow::{Context, bail};
use serde_json::json;
use sift_core::Interval;
use sift_rules::{CheckOptions, Diagnostic, Program};
use sift_traders::TraderDef;

use crate::cli::{CheckArgs, CheckFormat};

/// One thing checked: a trader file or the `-e` rule.
struct Subject {
    /// How errors name it: the file path, or `rule` for `-e`.
    name: String,
    outcome: Outcome,
}

enum Outcome {
    /// The file itself is unusable (TOML, settings).
    Invalid(String),
    /// The rule has errors.
    Rejected {
        rule: String,
        diagnostics: Vec<Diagnostic>,
    },
    Checked {
        rule: String,
        program: Box<Program>,
    },
}

pub(crate) fn run(args: &CheckArgs) -> anyhow::Result<()> {
    let subjects = match &args.rule {
        Some(rule) => {
            let interval: Interval = args.interval.parse().context("--interval")?;
            vec![subject("rule".to_owned(), rule, interval)]
        }
        None => {
            let mut subjects = Vec::new();
            for path in &args.files {
                // Each file on its own, so one broken file does not hide the others.
                let files = match sift_traders::toml_files(path) {
                    Ok(files) => files,
                    Err(err) => {
                        subjects.push(Subject {
                            name: path.display().to_string(),
                            outcome: Outcome::Invalid(err.to_string()),
                        });
                        continue;
                    }
                };
                for file in files {
                    let name = file.display().to_string();
                    subjects.push(match sift_traders::load_file(&file) {
                        Ok(TraderDef { rule, interval, .. }) => subject(name, &rule, interval),
                        Err(err) => Subject {
                            name,
                            outcome: Outcome::Invalid(err.to_string()),
                        },
                    });
                }
            }
            subjects
        }
    };
    let mut out = io::stdout().lock();
    match args.format {
        CheckFormat::Text => write_text(&mut out, &subjects)?,
        CheckFormat::Json => {
            let values: Vec<serde_json::Value> = subjects.iter().map(to_json).collect();
            serde_json::to_writer_pretty(&mut out, &values)?;
            writeln!(out)?;
        }
    }
    let failed = subjects
        .iter()
        .filter(|s| !matches!(s.outcome, Outcome::Checked { .. }))
        .count();
    if failed > 0 {
        bail!("{failed} of {} failed the check", subjects.len());
    }
    Ok(())
}

fn subject(name: String, rule: &str, interval: Interval) -> Subject {
    let outcome = match sift_rules::check(rule, &CheckOptions::new(interval)) {
        Ok(program) => Outcome::Checked {
            rule: rule.to_owned(),
            program: Box::new(program),
        },
        Err(diagnostics) => Outcome::Rejected {
            rule: rule.to_owned(),
            diagnostics,
        },
    };
    Subject { name, outcome }
}

fn write_text(out: &mut impl Write, subjects: &[Subject]) -> io::Result<()> {
    for s in subjects {
        match &s.outcome {
            Outcome::Invalid(message) => writeln!(out, "error: {message}\n")?,
            Outcome::Rejected { rule, diagnostics } => {
                for d in diagnostics {
                    writeln!(out, "{}", d.render(rule, &s.name))?;
                }
            }
            Outcome::Checked { rule, program } => {
                for w in &program.warnings {
                    writeln!(out, "{}", w.render(rule, &s.name))?;
                }
                writeln!(out, "ok: {} (runs on {})", s.name, program.interval)?;
                let warmup: Vec<String> = program
                    .warmup
                    .iter()
                    .map(|(tf, bars)| format!("{tf} {bars} bars"))
                    .collect();
                writeln!(out, "  warm-up:    {}", warmup.join(", "))?;
                let indicators: Vec<String> = program
                    .indicator_labels()
                    .iter()
                    .map(|(tf, label)| format!("{label} @ {tf}"))
                    .collect();
                if !indicators.is_empty() {
                    writeln!(out, "  indicators: {}", indicators.join(", "))?;
                }
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

fn to_json(s: &Subject) -> serde_json::Value {
    match &s.outcome {
        Outcome::Invalid(message) => json!({ "file": s.name, "ok": false, "error": message }),
        Outcome::Rejected { diagnostics, .. } => {
            json!({ "file": s.name, "ok": false, "diagnostics": diagnostics })
        }
        Outcome::Checked { program, .. } => json!({
            "file": s.name,
            "ok": true,
            "interval": program.interval.to_string(),
            "timeframes": program.timeframes.iter().map(Interval::to_string).collect::<Vec<_>>(),
            "warmup": program.warmup.iter()
                .map(|(tf, bars)| json!({ "interval": tf.to_string(), "bars": bars }))
                .collect::<Vec<_>>(),
            "indicators": program.indicator_labels().iter()
                .map(|(tf, label)| json!({ "spec": label, "interval": tf.to_string() }))
                .collect::<Vec<_>>(),
            "warnings": program.warnings,
        }),
    }
}
