//! The vocabulary of the key table: a key's definition (`KeyDef`: spellings, value kind,
//! status, setter, writer) and what a setter gets (`Input`). One file because the types
//! refer to each other (`KeyDef` -> `Apply` -> `Input` -> `KeyDef`); a leaf below the
//! table's entries (`basic.rs`, ...), the network keys and the parser, which all use it.
//! Definitions are values made by code for each parse (`Table::new`), never statics: they
//! hold pointers (names, functions), see lib.rs.

use std::path::{Component, Path, PathBuf};

use crate::model::Settings;
use crate::types::Origin;
use crate::writer::Writer;

/// What a key's value is; for keys we only check (`set::raw`), also how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    /// Anything (a path, a command, a name).
    Text,
    /// `0` or `1`.
    Bool,
    /// A decimal number.
    Number,
    /// A signal name or number.
    Signal,
    /// `auto` or a byte size.
    Size,
    /// Space-separated words from a fixed set (capabilities, mount.auto tokens).
    Words,
    /// Space-separated namespace names (`net uts ...`).
    Namespaces,
    /// A line of fields with its own syntax (a mount entry, an id map, a limit).
    Record,
    /// `lxc.net.N.*`: per field.
    Network,
}

/// One key, or one family of keys `NAME.SUB`.
pub(crate) struct KeyDef {
    /// The modern spelling (of a family: the part before `.SUB`; the bare name itself,
    /// with an empty value, clears the whole family).
    pub(crate) name: &'static str,
    /// Older spellings that mean the same (2008, LXC 2): a word list (`words.rs`).
    pub(crate) aliases: &'static str,
    pub(crate) family: Option<Family>,
    pub(crate) kind: ValueKind,
    pub(crate) support: Support,
    pub(crate) apply: Apply,
    /// Writes the key's settings back in the modern spelling (`Writer` knows `name`).
    pub(crate) write: fn(&Settings, &mut Writer),
}

/// The sub-keys of a family.
#[derive(Clone, Copy)]
pub(crate) struct Family {
    pub(crate) check: SubCheck,
    /// The finite set of SUBs, where there is one, for "did you mean": a word list.
    pub(crate) known: &'static str,
}

/// Whether SUB (after `NAME.`) is one of a family's; `legacy` when an alias matched.
pub(crate) type SubCheck = fn(sub: &str, legacy: bool) -> Result<(), SubError>;

pub(crate) enum SubError {
    Unknown,
    /// A sub-key of the right shape that is still wrong (an interface index out of range).
    Invalid(String),
}

pub(crate) enum Support {
    Yes,
    No,
    /// Built for some sub-keys or values only: `(sub, value, legacy) -> built`.
    For(fn(&str, &str, bool) -> bool),
}

pub(crate) enum Apply {
    Set(fn(&mut Settings, &Input<'_>) -> Result<(), String>),
    /// `lxc.net.*`: needs the parser's network state (`netkeys`).
    Net,
    /// `lxc.include`: the parser reads the file.
    Include,
}

/// One key to apply, resolved: what a setter gets.
pub(crate) struct Input<'a> {
    /// As written.
    pub(crate) key: &'a str,
    /// In the table of the parse.
    pub(crate) def: &'a KeyDef,
    /// Of a family: the part after `NAME.` (empty for the bare name).
    pub(crate) sub: &'a str,
    /// An alias matched (`lxc.network.*` addresses the last 2008 interface).
    pub(crate) legacy: bool,
    /// Trimmed and unquoted; empty means reset.
    pub(crate) value: &'a str,
    pub(crate) source: &'a str,
    pub(crate) line: usize,
    /// The directory of the file being read; None for `-s` and text without a file.
    pub(crate) dir: Option<&'a Path>,
}

impl Input<'_> {
    pub(crate) fn origin(&self) -> Origin {
        Origin {
            source: self.source.to_owned(),
            line: self.line,
        }
    }

    /// The key in its modern spelling (`lxc.limit.nofile` -> `lxc.prlimit.nofile`).
    pub(crate) fn modern_key(&self) -> String {
        if self.sub.is_empty() {
            self.def.name.to_owned()
        } else {
            format!("{}.{}", self.def.name, self.sub)
        }
    }

    /// A path value: as written when absolute (or without a directory), else relative to
    /// the directory of the file that says it. Inner `.` components are dropped.
    pub(crate) fn resolve(&self, path: &str) -> PathBuf {
        let path = Path::new(path);
        match self.dir {
            Some(dir) if path.is_relative() => {
                let joined = dir.join(path);
                let normal = joined.components().filter(|c| *c != Component::CurDir);
                let cleaned: PathBuf = normal.collect();
                if cleaned.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    cleaned
                }
            }
            _ => path.to_path_buf(),
        }
    }
}
