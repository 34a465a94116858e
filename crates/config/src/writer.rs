//! The `Writer` every key definition writes its settings through: one `key = value` line
//! at a time, knowing the key being written. A leaf (it imports only the line syntax) so
//! that the key table, the network keys and `write.rs`, which walks the table, can all
//! use it without a cycle.

use std::fmt::Display;

use crate::syntax::unquote;

/// Output for one definition at a time: knows the key being written.
pub(crate) struct Writer {
    out: String,
    key: &'static str,
    family: bool,
}

impl Writer {
    pub(crate) fn new() -> Writer {
        Writer {
            out: String::new(),
            key: "",
            family: false,
        }
    }

    /// Starts the lines of the definition named `key` (a family's name when `family`).
    pub(crate) fn start(&mut self, key: &'static str, family: bool) {
        self.key = key;
        self.family = family;
    }

    /// The text written so far.
    pub(crate) fn finish(self) -> String {
        self.out
    }

    /// The modern name of the definition being written.
    pub(crate) fn key(&self) -> &'static str {
        self.key
    }

    pub(crate) fn is_family(&self) -> bool {
        self.family
    }

    /// `KEY = value`.
    pub(crate) fn put(&mut self, value: &dyn Display) {
        self.line(self.key, value);
    }

    /// `KEY.sub = value`, for a family.
    pub(crate) fn sub(&mut self, sub: &dyn Display, value: &dyn Display) {
        let key = format!("{}.{sub}", self.key);
        self.line(&key, value);
    }

    pub(crate) fn opt<T: Display>(&mut self, value: &Option<T>) {
        if let Some(value) = value {
            self.put(value);
        }
    }

    /// A boolean key, as `0` or `1`.
    pub(crate) fn flag(&mut self, value: Option<bool>) {
        if let Some(value) = value {
            self.put(&u8::from(value));
        }
    }

    pub(crate) fn each<T: Display>(&mut self, values: &[T]) {
        for value in values {
            self.put(value);
        }
    }

    /// `key = value` with any key. A value the parser would change (edge spaces, or quotes
    /// at both ends, which it strips) is written inside double quotes, which it strips once.
    pub(crate) fn line(&mut self, key: &str, value: &dyn Display) {
        let value = value.to_string();
        self.out.push_str(key);
        self.out.push_str(" = ");
        if value.trim() != value || unquote(&value) != value {
            self.out.push('"');
            self.out.push_str(&value);
            self.out.push('"');
        } else {
            self.out.push_str(&value);
        }
        self.out.push('\n');
    }
}
