//! The key table: every key of LXC 5's lxc.container.conf(5), each once, with its other
//! spellings (2008, LXC 2), value kind, status, how it sets `Settings` and how it is written
//! back. Adding a key is one `KeyDef` here (and its `Settings` field). Keys are
//! case-sensitive, as in LXC; exact names win over families (`lxc.cgroup.dir` is a key of
//! its own, not a controller).

mod basic;
mod limits;
mod process;
mod security;
pub(crate) mod set;

use std::path::{Component, Path, PathBuf};

use crate::model::Settings;
use crate::netkeys;
use crate::types::Origin;
use crate::write::Writer;

/// Whether a key is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Implemented,
    /// Known (parsed and checked) but refused at start: `not supported yet`.
    NotYet,
}

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
    /// Older spellings that mean the same (2008, LXC 2).
    pub(crate) aliases: &'static [&'static str],
    pub(crate) family: Option<Family>,
    pub(crate) kind: ValueKind,
    pub(crate) support: Support,
    pub(crate) apply: Apply,
    /// Writes the key's settings back in the modern spelling (`Writer` knows `name`).
    pub(crate) write: fn(&Settings, &mut Writer),
}

/// The sub-keys of a family.
pub(crate) struct Family {
    /// Whether SUB (after `NAME.`) is one; `legacy` when an alias matched.
    pub(crate) check: fn(sub: &str, legacy: bool) -> Result<(), SubError>,
    /// The finite set of SUBs, where there is one, for "did you mean".
    pub(crate) known: &'static [&'static str],
}

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
    pub(crate) def: &'static KeyDef,
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

/// A key resolved to its definition.
pub(crate) struct Resolved<'k> {
    pub(crate) def: &'static KeyDef,
    pub(crate) sub: &'k str,
    pub(crate) legacy: bool,
}

impl Resolved<'_> {
    /// The bare name of a family (`lxc.cgroup`), which only takes an empty value.
    pub(crate) fn is_bare_family(&self) -> bool {
        self.def.family.is_some() && self.sub.is_empty()
    }
}

/// Every definition, in the order `to_config_string` writes them.
pub(crate) fn all() -> impl Iterator<Item = &'static KeyDef> {
    [basic::KEYS, process::KEYS, limits::KEYS, security::KEYS]
        .into_iter()
        .flatten()
}

/// The spellings of a definition: (spelling, is an alias).
fn spellings(def: &'static KeyDef) -> impl Iterator<Item = (&'static str, bool)> {
    std::iter::once((def.name, false)).chain(def.aliases.iter().map(|a| (*a, true)))
}

/// Finds the definition of `key`; the error is the message for the key's line.
pub(crate) fn resolve(key: &str) -> Result<Resolved<'_>, String> {
    for def in all() {
        if let Some((_, legacy)) = spellings(def).find(|(name, _)| *name == key) {
            return Ok(Resolved {
                def,
                sub: "",
                legacy,
            });
        }
    }
    for def in all() {
        let Some(family) = &def.family else { continue };
        for (name, legacy) in spellings(def) {
            let Some(sub) = key.strip_prefix(name).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            return match (family.check)(sub, legacy) {
                Ok(()) => Ok(Resolved { def, sub, legacy }),
                Err(SubError::Invalid(message)) => Err(message),
                Err(SubError::Unknown) => Err(unknown(key)),
            };
        }
    }
    Err(unknown(key))
}

/// Whether `key = value` (accepted by the parser) is built. An empty value always is: it
/// asks for the default, which is what runs.
pub(crate) fn implemented(key: &str, value: &str) -> bool {
    if value.is_empty() {
        return true;
    }
    match resolve(key) {
        Ok(r) => match r.def.support {
            Support::Yes => true,
            Support::No => false,
            Support::For(built) => built(r.sub, value, r.legacy),
        },
        // Only a hand-made entry can hold an unknown key; the parser judged it already.
        Err(_) => true,
    }
}

/// The status of one key and value, or None for a key nobody knows.
pub fn key_status(key: &str, value: &str) -> Option<Status> {
    resolve(key).ok().map(|_| {
        if implemented(key, value) {
            Status::Implemented
        } else {
            Status::NotYet
        }
    })
}

fn unknown(key: &str) -> String {
    match suggest(key) {
        Some(known) => format!("unknown key (did you mean {known}?)"),
        None => "unknown key".to_owned(),
    }
}

/// Longest key compared for a suggestion: past it no typo of a real key is likely, and the
/// comparison cost grows with the length.
const MAX_SUGGEST_LEN: usize = 64;

/// The known key closest to `key` by edit distance, if close: at most 2 edits, and at most
/// one per 5 characters, so that short strangers (`lxc.foo`) get no far-fetched guess.
fn suggest(key: &str) -> Option<String> {
    if key.len() > MAX_SUGGEST_LEN {
        return None;
    }
    let mut best: Option<(usize, String)> = None;
    let mut consider = |candidate: String| {
        let d = distance(key.as_bytes(), candidate.as_bytes());
        if d <= 2 && d * 5 <= key.len() && best.as_ref().is_none_or(|(b, _)| d < *b) {
            best = Some((d, candidate));
        }
    };
    for def in all() {
        match (&def.apply, &def.family) {
            (Apply::Net, _) => netkeys::candidates(key).into_iter().for_each(&mut consider),
            (_, Some(family)) => {
                for (name, _) in spellings(def) {
                    for sub in family.known {
                        consider(format!("{name}.{sub}"));
                    }
                }
            }
            (_, None) => spellings(def).for_each(|(name, _)| consider(name.to_owned())),
        }
    }
    best.map(|(_, known)| known)
}

/// Levenshtein distance.
fn distance(a: &[u8], b: &[u8]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests;
