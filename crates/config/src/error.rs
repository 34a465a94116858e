//! The one error type of the crate: which file (or `-s` option), which line, which key, and why.

use std::fmt;

/// A config line (or the whole file) that could not be accepted.
///
/// Displays on one line as `{source}:{line}: {key}: {message}`; `:{line}` is left out when
/// `line` is 0 (the whole file, e.g. a read error) and `{key}: ` when there is no key (a line
/// that is not `KEY = VALUE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// File name, or what stood in for one (e.g. `-s option`).
    pub source: String,
    /// 1-based line number; 0 means the whole file.
    pub line: usize,
    /// The key as written, when the line had one.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(
        source: &str,
        line: usize,
        key: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError {
            source: source.to_owned(),
            line,
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(key) = &self.key {
            write!(f, ": {key}")?;
        }
        write!(f, ": {}", self.message)
    }
}

// The io error of a failed read is already in `message` (fixed public fields, no room for a
// boxed source), so `source()` stays None and a `{:#}` chain does not print it twice.
impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let with_key = ConfigError::new(
            "/etc/lxc/a.conf",
            7,
            Some("lxc.network.hwaddr"),
            "invalid MAC address \"4a:49:zz:49:79:bd\"",
        );
        assert_eq!(
            with_key.to_string(),
            "/etc/lxc/a.conf:7: lxc.network.hwaddr: invalid MAC address \"4a:49:zz:49:79:bd\""
        );
        let syntax = ConfigError::new("a.conf", 3, None, "expected KEY = VALUE, got \"garbage\"");
        assert_eq!(
            syntax.to_string(),
            "a.conf:3: expected KEY = VALUE, got \"garbage\""
        );
        let read = ConfigError::new("a.conf", 0, None, "No such file or directory (os error 2)");
        assert_eq!(
            read.to_string(),
            "a.conf: No such file or directory (os error 2)"
        );
    }
}
