//! The key table: every key of LXC 5's lxc.container.conf(5), each once, with its other
//! spellings (2008, LXC 2), value kind, status, how it sets `Settings` and how it is written
//! back. Adding a key is one `KeyDef` here (and its `Settings` field). Keys are
//! case-sensitive, as in LXC; exact names win over families (`lxc.cgroup.dir` is a key of
//! its own, not a controller). Files, each importing only those before it: `def.rs` (the
//! types), `set.rs` (setters the entries share), `basic.rs` `process.rs` `limits.rs`
//! `security.rs` (the entries), this file (the table of one parse: lookup, status,
//! suggestions).

mod basic;
pub(crate) mod def;
mod limits;
mod process;
mod security;
mod set;

use crate::netkeys::fields;
use crate::words;
use def::{Apply, KeyDef, SubCheck, SubError, Support};

/// Whether a key is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Implemented,
    /// Known (parsed and checked) but refused at start: `not supported yet`.
    NotYet,
}

/// A key resolved to its definition in the parse's table.
pub(crate) struct Resolved<'a> {
    pub(crate) def: &'a KeyDef,
    pub(crate) sub: &'a str,
    pub(crate) legacy: bool,
}

impl Resolved<'_> {
    /// The bare name of a family (`lxc.cgroup`), which only takes an empty value.
    pub(crate) fn is_bare_family(&self) -> bool {
        self.def.family.is_some() && self.sub.is_empty()
    }
}

/// Every definition, made by code when a parse (or a write, or a check) starts and dropped
/// when it ends: as a `static` the table would be pointers the loader relocates, pages
/// every command and every container's shim and init kept a private copy of (lib.rs).
pub(crate) struct Table {
    keys: Vec<KeyDef>,
    /// Every spelling of every key, in table order (a key's name, then its aliases): what
    /// a lookup scans, the aliases split once per table rather than once per lookup.
    spellings: Vec<Spelling>,
}

/// Room for every definition (99 today) without growing.
const KEYS_CAPACITY: usize = 128;

/// A spelling of `keys[key]`.
struct Spelling {
    name: &'static str,
    key: usize,
    /// An alias.
    legacy: bool,
    /// Of a family: whether a SUB is one (`Family::check`).
    check: Option<SubCheck>,
}

impl Table {
    pub(crate) fn new() -> Table {
        let mut keys = Vec::with_capacity(KEYS_CAPACITY);
        basic::add(&mut keys);
        process::add(&mut keys);
        limits::add(&mut keys);
        security::add(&mut keys);
        let mut all = Vec::with_capacity(keys.len() * 2);
        for (key, def) in keys.iter().enumerate() {
            let check = def.family.map(|family| family.check);
            let spelling = |name, legacy| Spelling {
                name,
                key,
                legacy,
                check,
            };
            all.push(spelling(def.name, false));
            all.extend(words::iter(def.aliases).map(|alias| spelling(alias, true)));
        }
        Table {
            keys,
            spellings: all,
        }
    }

    /// Every definition, in the order `to_config_string` writes them.
    pub(crate) fn all(&self) -> impl Iterator<Item = &KeyDef> {
        self.keys.iter()
    }

    /// Finds the definition of `key`; the error is the message for the key's line.
    pub(crate) fn resolve<'a>(&'a self, key: &'a str) -> Result<Resolved<'a>, String> {
        if let Some(exact) = self.spellings.iter().find(|s| s.name == key) {
            return Ok(Resolved {
                def: &self.keys[exact.key],
                sub: "",
                legacy: exact.legacy,
            });
        }
        for spelling in &self.spellings {
            let Some(check) = spelling.check else {
                continue;
            };
            let name = spelling.name;
            let Some(sub) = key.strip_prefix(name).and_then(|r| r.strip_prefix('.')) else {
                continue;
            };
            return match check(sub, spelling.legacy) {
                Ok(()) => Ok(Resolved {
                    def: &self.keys[spelling.key],
                    sub,
                    legacy: spelling.legacy,
                }),
                Err(SubError::Invalid(message)) => Err(message),
                Err(SubError::Unknown) => Err(self.unknown(key)),
            };
        }
        Err(self.unknown(key))
    }

    /// Whether `key = value` (accepted by the parser) is built. An empty value always is:
    /// it asks for the default, which is what runs.
    pub(crate) fn implemented(&self, key: &str, value: &str) -> bool {
        if value.is_empty() {
            return true;
        }
        match self.resolve(key) {
            Ok(r) => match r.def.support {
                Support::Yes => true,
                Support::No => false,
                Support::For(built) => built(r.sub, value, r.legacy),
            },
            // Only a hand-made entry can hold an unknown key; the parser judged it already.
            Err(_) => true,
        }
    }

    fn unknown(&self, key: &str) -> String {
        match self.suggest(key) {
            Some(known) => format!("unknown key (did you mean {known}?)"),
            None => "unknown key".to_owned(),
        }
    }

    /// The known key closest to `key` by edit distance, if close: at most 2 edits, and at
    /// most one per 5 characters, so that short strangers (`lxc.foo`) get no far-fetched
    /// guess.
    fn suggest(&self, key: &str) -> Option<String> {
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
        for def in self.all() {
            match (&def.apply, &def.family) {
                (Apply::Net, _) => fields::candidates(key).into_iter().for_each(&mut consider),
                (_, Some(family)) => {
                    for (name, _) in spellings(def) {
                        for sub in words::iter(family.known) {
                            consider(format!("{name}.{sub}"));
                        }
                    }
                }
                (_, None) => spellings(def).for_each(|(name, _)| consider(name.to_owned())),
            }
        }
        best.map(|(_, known)| known)
    }
}

/// The spellings of a definition: (spelling, is an alias).
fn spellings(def: &KeyDef) -> impl Iterator<Item = (&'static str, bool)> {
    let aliases = words::iter(def.aliases).map(|alias| (alias, true));
    std::iter::once((def.name, false)).chain(aliases)
}

/// The status of one key and value, or None for a key nobody knows.
pub fn key_status(key: &str, value: &str) -> Option<Status> {
    let table = Table::new();
    table.resolve(key).ok().map(|_| {
        if table.implemented(key, value) {
            Status::Implemented
        } else {
            Status::NotYet
        }
    })
}

/// One key of the table, for documentation and shell completion (`lxc.container.conf(5)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The modern spelling; a family ends in `.SUB` (`lxc.cgroup.SUB`).
    pub name: String,
    /// 2008 and LXC 2 spellings.
    pub aliases: Vec<String>,
    /// `Implemented` when every value is built, else `NotYet` (some values may be built:
    /// `lxc.console.path = none`).
    pub status: Status,
    /// Built for some values or SUBs only (the README says which).
    pub partly: bool,
    /// The SUBs of a family, where the set is fixed.
    pub subs: Vec<String>,
}

/// Every key, in table order (the network keys `lxc.net.N.*` are one family). Made when
/// asked: no table is kept.
pub fn known_keys() -> Vec<KeyInfo> {
    Table::new()
        .all()
        .map(|def| {
            let family = |n: &str| {
                if def.family.is_some() {
                    format!("{n}.SUB")
                } else {
                    n.to_string()
                }
            };
            KeyInfo {
                name: family(def.name),
                aliases: words::iter(def.aliases).map(family).collect(),
                status: if matches!(def.support, Support::Yes) {
                    Status::Implemented
                } else {
                    Status::NotYet
                },
                partly: matches!(def.support, Support::For(_)),
                subs: def
                    .family
                    .map(|f| words::iter(f.known).map(str::to_string).collect())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// Longest key compared for a suggestion: past it no typo of a real key is likely, and the
/// comparison cost grows with the length.
const MAX_SUGGEST_LEN: usize = 64;

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
