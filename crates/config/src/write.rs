//! `Settings` back to config text, modern keys only, one `key = value` per line, in the key
//! table's order: each definition writes its own settings through a `Writer`. Reading the
//! text back gives equal settings (origins aside) for anything the parser produced.

use std::fmt::Display;

use crate::model::Settings;
use crate::table;

pub(crate) fn write_settings(settings: &Settings) -> String {
    let mut w = Writer {
        out: String::new(),
        key: "",
        family: false,
    };
    for def in table::all() {
        w.key = def.name;
        w.family = def.family.is_some();
        (def.write)(settings, &mut w);
    }
    w.out
}

/// Output for one definition at a time: knows the key being written.
pub(crate) struct Writer {
    out: String,
    key: &'static str,
    family: bool,
}

impl Writer {
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
        if value.trim() != value || crate::parse::unquote(&value) != value {
            self.out.push('"');
            self.out.push_str(&value);
            self.out.push('"');
        } else {
            self.out.push_str(&value);
        }
        self.out.push('\n');
    }
}
