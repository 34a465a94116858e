//! LXC container config files: the 2008 keys (lxc-0.1.0 README §3.2) and today's LXC keys,
//! parsed and validated into `Settings`. Pure: the only I/O is `parse_file` reading the file.
//! Format: one `key = value` per line, split at the first '=', both sides trimmed; blank lines
//! and lines starting with '#' are skipped; an empty value resets the key to its default.

#![forbid(unsafe_code)]

mod error;
mod key;
mod model;
pub mod mount;
mod parse;
mod value;
mod write;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use error::ConfigError;
pub use model::{Gateway, IpCidr, MacvlanMode, NetType, Network, Settings};
pub use value::parse_signal;

use key::Key;
use parse::{Origin, State};

/// A parsed config: the resulting settings and every accepted line that led to them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    pub settings: Settings,
    pub entries: Vec<Entry>,
}

/// One accepted `key = value` line (or `-s` option), key as written, value trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub value: String,
    /// File name (or e.g. `-s option`) the line came from.
    pub source: String,
    /// 1-based line number (for `-s`, the position of the option).
    pub line: usize,
}

/// The capability a key configures; tells a runtime which parts of a config it must honour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    Uts,
    Rootfs,
    Mount,
    Network,
    Signal,
    Console,
}

impl Entry {
    /// Which capability the key belongs to. Entries made by this crate always hold a known
    /// key; for a hand-built entry with an unknown key this answers `Mount`, the one
    /// capability every container has anyway (it always gets a mount namespace).
    pub fn feature(&self) -> Feature {
        Key::parse(&self.key).map_or(Feature::Mount, Key::feature)
    }
}

/// Parses config text; `source` names it in errors and entries (usually the file name).
pub fn parse_str(text: &str, source: &str) -> Result<Config, ConfigError> {
    parse::parse_text(text, source)
}

/// Reads and parses a config file; errors name the file as it was given.
pub fn parse_file(path: &Path) -> Result<Config, ConfigError> {
    let source = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|err| ConfigError::new(&source, 0, None, err.to_string()))?;
    parse_str(&text, &source)
}

impl Config {
    /// Applies one `KEY=VALUE` on top, as `lxc-execute -s` does; `line` is the 1-based
    /// position of the option. `lxc.network.*` keys continue the last 2008 interface of the
    /// file. On error the config is left unchanged.
    pub fn set(&mut self, key_value: &str, source: &str, line: usize) -> Result<(), ConfigError> {
        let (key, value) = parse::split_key_value(key_value).ok_or_else(|| {
            ConfigError::new(
                source,
                line,
                None,
                format!("expected KEY=VALUE, got {:?}", key_value.trim()),
            )
        })?;
        let mut state = State::replay(&self.entries);
        let mut settings = self.settings.clone();
        state.apply(&mut settings, key, value, Origin { source, line })?;
        // No end-of-input comes after the last option to report an interface that never got a
        // type, so each option is checked as a complete input: `-s lxc.net.1.link=br0` needs
        // an earlier `lxc.net.1.type`.
        state.finish()?;
        self.settings = settings;
        self.entries.push(Entry {
            key: key.to_owned(),
            value: value.to_owned(),
            source: source.to_owned(),
            line,
        });
        Ok(())
    }

    /// The settings as config text in modern keys; `parse_str` reads it back to equal settings.
    pub fn to_config_string(&self) -> String {
        write::write_settings(&self.settings)
    }
}

#[cfg(test)]
mod tests;
