//! What a configuration error says: the file, the line, the key path and
//! what is wrong; and the `key NAME` elements accepted without a `[[key]]`.

use std::fmt;
use std::path::PathBuf;

use wire::Name;

/// A configuration error: where, which key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, when the configuration came from one.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The key path, e.g. `zone[1].role`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self
            .file
            .as_deref()
            .map_or_else(|| "<config>".to_string(), |p| p.display().to_string());
        match self.line {
            Some(line) => write!(f, "{file}:{line}: ")?,
            None => write!(f, "{file}: ")?,
        }
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// A `key NAME` in a match list that names no `[[key]]`. Accepted: the key
/// may be made through the API (`/tsigkeys`) and kept in the store, and it
/// takes effect the moment it is. Until then the element matches nothing,
/// so the node warns at start about every one the store lacks too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnconfiguredKey {
    /// The key name.
    pub name: Name,
    /// Where it is written; the message says what is missing.
    pub place: ConfigError,
}
