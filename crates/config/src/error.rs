//! The one error type of the crate: which file (or `-s` option), which line, which key, and why;
//! and `quoted`, through which every message quotes what it was given. Config text may be
//! hostile or simply huge: no message ever echoes more than a short prefix of a value or key.

use std::fmt;

/// How many characters of a value (or key) a message quotes before cutting it with `...`.
pub const MAX_QUOTED_CHARS: usize = 64;

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
    /// The key as written (cut to a short prefix if it was long), when the line had one.
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
            key: key.map(shorten),
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

/// `text` in double quotes with Rust escapes (control characters never reach a terminal raw),
/// cut after `MAX_QUOTED_CHARS` characters with `...` after the closing quote.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        None => format!("{text:?}"),
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
    }
}

/// A key as written, cut like `quoted` but without quotes: keys stand bare in messages.
fn shorten(key: &str) -> String {
    match key.char_indices().nth(MAX_QUOTED_CHARS) {
        None => key.escape_debug().to_string(),
        Some((cut, _)) => format!("{}...", key[..cut].escape_debug()),
    }
}

/// An io error as strerror(3) says it, without Rust's " (os error N)".
pub(crate) fn io_message(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(cut) => text[..cut].to_owned(),
        None => text,
    }
}

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
        let read = ConfigError::new("a.conf", 0, None, "No such file or directory");
        assert_eq!(read.to_string(), "a.conf: No such file or directory");
    }

    #[test]
    fn quotes_are_short() {
        assert_eq!(quoted("box"), "\"box\"");
        assert_eq!(quoted("a\tb\u{1b}"), "\"a\\tb\\u{1b}\"");
        let long = "é".repeat(10_000);
        let shown = quoted(&long);
        assert_eq!(shown, format!("{:?}...", "é".repeat(MAX_QUOTED_CHARS)));
        let exact = "x".repeat(MAX_QUOTED_CHARS);
        assert_eq!(quoted(&exact), format!("{exact:?}"));
        let key = format!("lxc.{}", "k".repeat(1_000_000));
        let err = ConfigError::new("a.conf", 1, Some(&key), "unknown key");
        assert!(err.to_string().len() < 200, "{err}");
        assert!(err.to_string().ends_with("k...: unknown key"), "{err}");
    }

    #[test]
    fn io_messages_drop_the_errno_suffix() {
        let err = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_message(&err), "No such file or directory");
    }
}
