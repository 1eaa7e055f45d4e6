//! The promise of the foundation issue, end to end: a Binance monthly kline archive (zip,
//! microsecond timestamps, as data.binance.vision publishes since 2025) run through
//! `sift indicators` gives TA-Lib's numbers. The reference values are the golden CSVs that
//! `scripts/golden/generate.py` computed with the TA-Lib Python package.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Same rule as the indicator crate's golden test: 1e-9 relative, or 1e-9 absolute near zero
/// for columns of order one (scaled down for columns that are tiny throughout).
const REL_TOL: f64 = 1e-9;
const ABS_TOL: f64 = 1e-9;

fn golden(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sift-indicators/tests/golden")
        .join(path)
}

/// The golden candles as a Binance archive: timestamps in microseconds, zipped.
fn binance_zip(market: &str, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(golden(&format!("candles/{market}.csv")))
        .expect("golden candles exist");
    let mut micros = String::new();
    for line in text.lines() {
        let mut fields: Vec<String> = line.split(',').map(str::to_owned).collect();
        for i in [0, 6] {
            fields[i] = format!("{}000", fields[i]);
        }
        micros += &fields.join(",");
        micros.push('\n');
    }
    let path = dir.join("BTCUSDT-1h-2025-01.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("create zip"));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("BTCUSDT-1h-2025-01.csv", options)
        .expect("start zip entry");
    zip.write_all(micros.as_bytes()).expect("write zip entry");
    zip.finish().expect("finish zip");
    path
}

fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("csv header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("csv row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[test]
fn a_binance_zip_through_the_cli_gives_ta_libs_numbers() {
    let dir = tempfile::tempdir().unwrap();
    for market in ["walk", "flat", "huge"] {
        let zip = binance_zip(market, dir.path());
        let reference = std::fs::read_to_string(golden(&format!("ref/{market}.csv"))).unwrap();
        let (ref_header, ref_rows) = read_csv(&reference);

        // Every spec of the reference file, once each, in order.
        let mut specs: Vec<String> = Vec::new();
        for column in &ref_header[1..] {
            let spec = match column.rsplit_once(").") {
                Some((spec, _field)) => format!("{spec})"),
                None => column.clone(),
            };
            if !specs.contains(&spec) {
                specs.push(spec);
            }
        }
        let mut args = vec!["indicators".to_owned(), "--candles".to_owned()];
        args.push(zip.to_str().unwrap().to_owned());
        for spec in &specs {
            args.extend(["--indicator".to_owned(), spec.clone()]);
        }
        let out = Command::new(env!("CARGO_BIN_EXE_sift"))
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (header, rows) = read_csv(&String::from_utf8(out.stdout).unwrap());

        assert_eq!(&header[3..], &ref_header[1..], "{market}: columns");
        assert_eq!(rows.len(), ref_rows.len(), "{market}: rows");
        for (col, name) in ref_header.iter().enumerate().skip(1) {
            let scale = ref_rows
                .iter()
                .filter_map(|r| r[col].parse::<f64>().ok())
                .fold(0.0f64, |m, v| m.max(v.abs()));
            for (i, (want, got)) in ref_rows.iter().zip(&rows).enumerate() {
                assert_eq!(
                    got[1],
                    format!("{}", want[0]),
                    "{market}: open time of row {i}"
                );
                let (want, got) = (&want[col], &got[col + 2]);
                match (want.parse::<f64>(), got.parse::<f64>()) {
                    (Ok(w), Ok(g)) => {
                        let diff = (w - g).abs();
                        assert!(
                            diff <= REL_TOL * w.abs().max(g.abs())
                                || diff <= ABS_TOL * scale.min(1.0),
                            "{market} {name} row {i}: TA-Lib {w}, sift {g}"
                        );
                    }
                    _ => assert_eq!(got, want, "{market} {name} row {i}: warm-up differs"),
                }
            }
        }
    }
}
