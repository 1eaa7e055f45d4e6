//! Reading trader definitions from TOML files.

use std::path::{Path, PathBuf};

use crate::{Error, TraderDef};

/// Parses and validates one definition. `path` names the file in errors.
pub fn parse_toml(path: &str, text: &str) -> Result<TraderDef, Error> {
    let def: TraderDef = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        Error::Toml {
            path: path.to_owned(),
            line,
            column,
            message: e.message().trim().to_owned(),
        }
    })?;
    def.validate_settings()
        .map_err(|(field, message)| Error::Invalid {
            path: path.to_owned(),
            field,
            message,
        })?;
    Ok(def)
}

/// Reads one `.toml` file, or every `.toml` file of a directory (sorted by name); fails at the
/// first file that cannot be read or parsed. [`toml_files`] and [`load_file`] let a caller
/// report every file on its own instead.
pub fn load_dir(path: &Path) -> Result<Vec<(String, TraderDef)>, Error> {
    toml_files(path)?
        .iter()
        .map(|file| Ok((file.display().to_string(), load_file(file)?)))
        .collect()
}

/// `path` itself, or the `.toml` files of the directory `path`, sorted by name.
pub fn toml_files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let io = |error| Error::Io {
        path: path.display().to_string(),
        error,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let file = entry.map_err(io)?.path();
        if file.extension().is_some_and(|e| e == "toml") {
            files.push(file);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads and parses one trader file.
pub fn load_file(file: &Path) -> Result<TraderDef, Error> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|error| Error::Io {
        path: name.clone(),
        error,
    })?;
    parse_toml(&name, &text)
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    // An offset inside a multi-byte character (never expected from the parser) counts the
    // whole text rather than panicking.
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_column() {
        let err = parse_toml(
            "t.toml",
            "name = \"t\"\ninterval = \"7m\"\nrule = \"true\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("t.toml:2:"), "{err}");
        assert!(err.contains("unknown interval"), "{err}");

        let err = parse_toml(
            "t.toml",
            "name = \"t\"\ninterval = \"1m\"\nrule = \"true\"\ncolour = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("t.toml:4:1:") && err.contains("colour"),
            "{err}"
        );

        let err = parse_toml("t.toml", "name = \"t\"\ninterval = \"1m\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rule"), "{err}");
    }

    #[test]
    fn settings_errors_name_the_field() {
        let err = parse_toml(
            "t.toml",
            "name = \"\"\ninterval = \"1m\"\nrule = \"true\"\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "t.toml: name: must have 1 to 100 characters");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_and_column("ab\ncdé f", 8), (2, 5));
        assert_eq!(line_and_column("x", 99), (1, 2));
    }
}
