//! One error type for the whole library. Messages say *where* (file, line, entry, field) and never
//! carry patient data (names, identifiers, values).

use std::fmt;

/// Where in an input a problem sits. Every part is optional; `Display` prints the known parts.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    /// File name or feed label (never a patient identifier).
    pub source: String,
    /// 1-based line (CSV, ndjson) when known.
    pub line: Option<usize>,
    /// Bundle entry index / message index when known.
    pub entry: Option<usize>,
    /// Field or JSON path, e.g. `Encounter.period.start` or `PID-7`.
    pub field: Option<String>,
}

impl Location {
    pub fn new(source: impl Into<String>) -> Self {
        Location {
            source: source.into(),
            ..Default::default()
        }
    }
    pub fn line(mut self, line: usize) -> Self {
        self.line = Some(line);
        self
    }
    pub fn entry(mut self, entry: usize) -> Self {
        self.entry = Some(entry);
        self
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if let Some(e) = self.entry {
            write!(f, " entry {e}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " field {field}")?;
        }
        Ok(())
    }
}

/// Every fallible public function returns this.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CinError {
    /// Input that could not be parsed at all (truncated JSON, not a Bundle, broken CSV header...).
    #[error("parse error at {location}: {message}")]
    Parse { location: Location, message: String },
    /// A caller-supplied argument is wrong (unknown enum name, bad date, mismatched lengths).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Reading a file or directory failed.
    #[error("i/o error on {path}: {message}")]
    Io { path: String, message: String },
    /// A knowledge base or rule file is malformed.
    #[error("knowledge base error at {location}: {message}")]
    KnowledgeBase { location: Location, message: String },
}

impl CinError {
    pub fn parse(location: Location, message: impl Into<String>) -> Self {
        CinError::Parse {
            location,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        CinError::InvalidInput(message.into())
    }
    pub fn io(path: impl fmt::Display, err: std::io::Error) -> Self {
        CinError::Io {
            path: path.to_string(),
            message: err.to_string(),
        }
    }
}

pub type Result<T> = std::result::Result<T, CinError>;
