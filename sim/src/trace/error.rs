//! Errors of the trace pipeline: each names the file, the line or field, what was expected and
//! what was found, so a user can fix the input without reading our code.

use std::path::PathBuf;

/// Why a trace could not be read, written or generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// The file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A record could not be parsed.
    #[error("{path}:{line}: field `{field}`: expected {expected}, found {found:?}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line (or record) number.
        line: u64,
        /// The field or column.
        field: String,
        /// What the field should hold.
        expected: String,
        /// What it held (shortened to 80 characters).
        found: String,
    },
    /// The file as a whole is not what the format expects (missing header, missing column).
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong and what to do about it.
        message: String,
    },
    /// A Parquet or Arrow operation failed.
    #[error("{path}: parquet: {message}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The library's message.
        message: String,
    },
    /// An option given by the user (column mapping, preset name, …) is invalid.
    #[error("{0}")]
    Usage(String),
}

impl TraceError {
    /// A parse error, with `found` shortened so that a binary file does not flood the terminal.
    pub fn parse(
        path: impl Into<PathBuf>,
        line: u64,
        field: impl Into<String>,
        expected: impl Into<String>,
        found: &str,
    ) -> TraceError {
        let found: String = found.chars().take(80).collect();
        TraceError::Parse {
            path: path.into(),
            line,
            field: field.into(),
            expected: expected.into(),
            found,
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> TraceError {
        TraceError::Io { path: path.into(), source }
    }
}
