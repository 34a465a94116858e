//! LXC container config files: the 2008 keys (lxc-0.1.0 README §3.2), LXC 2's and today's
//! (lxc.container.conf(5) of LXC 5), parsed and validated into typed `Settings`, and
//! rewritten in today's keys (`update_text`); and LXC's system config, `lxc.conf`
//! (`SystemConfig`). This crate owns every key (the table in `table/`) and every parse:
//! consumers never look at key strings or re-parse values. The only I/O is reading config
//! files, included files and fstabs, through one bounded reader (`read_file`).
//!
//! Format: one `key = value` per line, split at the first '=', both sides trimmed, a value in
//! matching quotes unquoted; blank lines and lines starting with '#' are skipped; an empty
//! value resets the key to its default; `lxc.include` reads a file or a directory in place.
//!
//! No static data of this crate is made of pointers (arrays or slices of `&str`, `fn`s,
//! references): the release executables are static-pie, so each such pointer is relocated
//! at start, which dirties its page, and the shim and init that `lxc-execute` forks for a
//! container keep their own copy of that page for as long as the container runs. So the key
//! table is made by code for each parse and dropped after it (`table::Table`), and lists of
//! names are strings of words (`words.rs`). A `const` that is one `&str` is fine: each use
//! computes its address in code.

#![forbid(unsafe_code)]

// Layers: each file imports only from files earlier in this order, never back (checked by
// scripts/import-cycles.py), so any part can be read and tested without what builds on it:
// `error` `types` `syntax` `words` -> `network` `mount` `read` `writer` `system` `seccomp` ->
// `model` ->
// `value/` -> `table/def` -> `table/set` `netkeys/fields` -> the table's entries ->
// `table/mod` -> `netkeys/mod` -> `parse` `write` -> `config` `update` -> this file.
mod config;
mod error;
#[doc(hidden)]
pub mod fuzzgen;
mod model;
pub mod mount;
mod netkeys;
mod network;
mod parse;
mod read;
pub mod seccomp;
mod syntax;
mod system;
mod table;
mod types;
mod update;
mod value;
mod words;
mod write;
mod writer;

use std::path::Path;

pub use error::{ConfigError, MAX_QUOTED_CHARS};
pub use model::{Config, Entry, Settings};
pub use network::{Gateway, IpCidr, MacvlanMode, NetType, Network};
pub use parse::MAX_INCLUDE_DEPTH;
pub use read::{read_file, MAX_FILE_SIZE};
pub use system::{SystemConfig, SYSTEM_KEYS};
pub use table::{key_status, known_keys, KeyInfo, Status};
pub use types::{
    Access, Apparmor, CgroupSetting, CgroupVersion, Console, Fstab, Hook, HookKind, IdKind, IdMap,
    Init, Limit, Log, LogLevel, MountAuto, Origin, Prlimit, ProfileFile, RawSetting, Selinux, Size,
    Start, Sysctl,
};
pub use update::{modern_spelling, update_text};
pub use value::{capability_number, parse_signal};

use parse::Parser;

/// The capabilities the built-in default config drops (no stored config, no `-f`): those
/// LXC's common config drops for privileged containers.
pub const BUILTIN_CAP_DROP: &str = "mac_admin mac_override sys_time sys_module sys_rawio";

/// The built-in default config: `lxc.cap.drop = BUILTIN_CAP_DROP`. Made without the parser,
/// whose key table would leave every shim forked after it a few more dirty heap pages.
pub fn builtin_default() -> Config {
    let mut config = Config::default();
    config.settings.cap_drop = BUILTIN_CAP_DROP
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    config
}

/// Parses config text; `source` names it in errors and entries. Relative paths in it
/// (`lxc.mount.fstab`, `lxc.include`) are relative to the current directory.
pub fn parse_str(text: &str, source: &str) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    let mut parser = Parser::new(&mut config);
    parser.text(text, source, None)?;
    parser.finish()?;
    Ok(config)
}

/// Reads (with `read_file`) and parses a config file; errors name the file as it was given,
/// relative paths in it are relative to its directory.
pub fn parse_file(path: &Path) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    let mut parser = Parser::new(&mut config);
    parser.file(path, None)?;
    parser.finish()?;
    Ok(config)
}

/// Parses `text`, already read from the file at `path` (so that a caller that stores the
/// text validates exactly what it stores): as `parse_file` without the read.
pub fn parse_file_text(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let mut config = Config::default();
    let mut parser = Parser::new(&mut config);
    parser.text_of_file(text, path)?;
    parser.finish()?;
    Ok(config)
}

#[cfg(test)]
mod tests;
