//! The key table: every key of LXC 5's lxc.container.conf(5), each once, with its other
//! spellings (2008, LXC 2), value kind, status, how it sets `Settings` and how it is written
//! back. Adding a key is one `KeyDef` here (and its `Settings` field). Keys are
//! case-sensitive, as in LXC; exact names win over families (`lxc.cgroup.dir` is a key of
//! its own, not a controller). Files, each importing only those before it: `def.rs` (the
//! types), `set.rs` (setters the entries share), `basic.rs` `process.rs` `limits.rs`
//! `security.rs` (the entries), this file (lookup, status, suggestions).

mod basic;
pub(crate) mod def;
mod limits;
mod process;
mod security;
mod set;

use crate::netkeys::fields;
use def::{Apply, KeyDef, SubError, Support};

/// Whether a key is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Implemented,
    /// Known (parsed and checked) but refused at start: `not supported yet`.
    NotYet,
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

/// The modern spelling of a known key (`lxc.utsname` -> `lxc.uts.name`, a modern key
/// itself). The error says why there is none: a key nobody knows (with the known key it
/// probably meant), or a 2008 `lxc.network.*` key, whose modern `lxc.net.N.*` name depends on
/// the interfaces before it in its file.
pub fn modern_key(key: &str) -> Result<String, String> {
    let r = resolve(key)?;
    if !r.legacy {
        return Ok(key.to_owned());
    }
    if matches!(r.def.apply, Apply::Net) {
        return Err("a 2008 interface key: ask for its lxc.net.N.* name".to_owned());
    }
    Ok(if r.sub.is_empty() {
        r.def.name.to_owned()
    } else {
        format!("{}.{}", r.def.name, r.sub)
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
            (Apply::Net, _) => fields::candidates(key).into_iter().for_each(&mut consider),
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
