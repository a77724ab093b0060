//! The [`Checker`] every section is validated with: it turns spans into
//! lines for error messages and reads the value kinds the file shares
//! (names, addresses, integers in a range, durations, sizes, paths).

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use toml::Spanned;
use wire::Name;

use crate::error::{ConfigError, UnconfiguredKey};
use crate::spec;

/// Turns spans into lines and checks values.
pub(crate) struct Checker<'a> {
    pub(crate) text: &'a str,
    pub(crate) file: Option<PathBuf>,
    /// `key NAME` elements of match lists naming no `[[key]]`, collected
    /// as the lists are read.
    pub(crate) unconfigured_keys: std::cell::RefCell<Vec<UnconfiguredKey>>,
}

impl<'a> Checker<'a> {
    /// A checker of `text`, read from `path` (named in errors), and the
    /// file reading both the node configuration and the cluster file share.
    pub(crate) fn new(text: &'a str, path: Option<&Path>) -> Checker<'a> {
        Checker {
            text,
            file: path.map(Path::to_path_buf),
            unconfigured_keys: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Reads a configuration or cluster file; a failure names the file.
    pub(crate) fn read(path: &Path) -> Result<String, ConfigError> {
        std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: Some(path.to_path_buf()),
            line: None,
            key: String::new(),
            message: format!("cannot read: {e}"),
        })
    }
}

impl Checker<'_> {
    pub(crate) fn line_of(&self, offset: usize) -> usize {
        self.text.as_bytes()[..offset.min(self.text.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    pub(crate) fn error(
        &self,
        span: Option<std::ops::Range<usize>>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError {
            file: self.file.clone(),
            line: span.map(|s| self.line_of(s.start)),
            key: key.into(),
            message: message.into(),
        }
    }

    pub(crate) fn at<T>(
        &self,
        spanned: &Spanned<T>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> ConfigError {
        self.error(Some(spanned.span()), key, message)
    }

    pub(crate) fn toml_error(&self, e: toml::de::Error, key: String) -> ConfigError {
        let message = e.message().trim_end().to_string();
        self.error(e.span(), key, message)
    }

    /// Reads the whole text as the file type `T` (TOML through serde, with
    /// unknown keys rejected by `T`); an error names the line and the key
    /// path of the value serde stopped at.
    pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        let deserializer = toml::de::Deserializer::parse(self.text)
            .map_err(|e| self.toml_error(e, String::new()))?;
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            // Spans wrap values in a private struct whose field shows up
            // in the path; drop it so the key reads as written.
            let key = e
                .path()
                .to_string()
                .replace(".$__serde_spanned_private_value", "")
                .replace("$__serde_spanned_private_value", "");
            let key = if key == "." { String::new() } else { key };
            self.toml_error(e.into_inner(), key)
        })
    }

    pub(crate) fn path(&self, value: &str) -> PathBuf {
        let p = PathBuf::from(value);
        if p.is_absolute() {
            return p;
        }
        match self.file.as_deref().and_then(Path::parent) {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(p),
            _ => p,
        }
    }

    pub(crate) fn name(&self, value: &Spanned<String>, key: &str) -> Result<Name, ConfigError> {
        Name::from_text(value.get_ref(), Some(&Name::root())).map_err(|e| {
            self.at(
                value,
                key,
                format!("`{}` is not a domain name: {e}", value.get_ref()),
            )
        })
    }

    pub(crate) fn socket(
        &self,
        value: &Spanned<String>,
        key: &str,
        default_port: u16,
    ) -> Result<SocketAddr, ConfigError> {
        let text = value.get_ref();
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(addr);
        }
        if let Ok(ip) = text
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
        {
            return Ok(SocketAddr::new(ip, default_port));
        }
        Err(self.at(
            value,
            key,
            format!("`{text}` is not an address (expected 192.0.2.1:53 or [2001:db8::1]:53)"),
        ))
    }

    pub(crate) fn int<T: TryFrom<i64>>(
        &self,
        value: &Spanned<i64>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<T, ConfigError> {
        let v = *value.get_ref();
        if !range.contains(&v) {
            return Err(self.at(
                value,
                key,
                format!("{v} is out of range ({}..={})", range.start(), range.end()),
            ));
        }
        T::try_from(v).map_err(|_| self.at(value, key, format!("{v} is out of range")))
    }

    pub(crate) fn duration(
        &self,
        value: &Spanned<spec::Duration>,
        key: &str,
    ) -> Result<Duration, ConfigError> {
        let seconds = match value.get_ref() {
            spec::Duration::Seconds(s) if *s >= 0 => *s as u64,
            spec::Duration::Seconds(s) => return Err(self.at(value, key, format!("{s} is negative"))),
            spec::Duration::Text(t) => wire::Ttl::from_str(t)
                .map_err(|_| self.at(value, key, format!("`{t}` is not a duration (expected seconds or units such as 10s, 5m, 1h)")))?
                .0 as u64,
        };
        Ok(Duration::from_secs(seconds))
    }

    pub(crate) fn size(&self, value: &Spanned<spec::Size>, key: &str) -> Result<u64, ConfigError> {
        match value.get_ref() {
            spec::Size::Octets(n) if *n > 0 => Ok(*n as u64),
            spec::Size::Octets(n) => {
                Err(self.at(value, key, format!("{n} is not a positive size")))
            }
            spec::Size::Text(t) => parse_size(t).ok_or_else(|| {
                self.at(
                    value,
                    key,
                    format!("`{t}` is not a size (expected e.g. 2MiB, 500KiB, 1GiB)"),
                )
            }),
        }
    }
}

/// Parses `2MiB`, `500KiB`, `1GiB`, `10MB`, or a plain number of octets.
fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1_000_000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1024 * 1024 * 1024,
        _ => return None,
    };
    number.checked_mul(factor).filter(|&n| n > 0)
}
