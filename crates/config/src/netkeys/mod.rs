//! The network keys: `lxc.net.N.<field>` (modern) and `lxc.network.<field>` (2008 and LXC 2,
//! where each `lxc.network.type` opens the next interface and later fields address it), and
//! the parse state they need. `networks` stays sorted by index. The table's `lxc.net` entry
//! uses only `fields.rs`; this file resolves keys through the table (`NetState::replay`),
//! so nothing below the parser imports it.

pub(crate) mod fields;

use crate::error::ConfigError;
use crate::model::{Entry, Settings};
use crate::network::{NetType, Network};
use crate::table::def::{Apply, Input};
use crate::table::Table;

use fields::{apply_field, parse_sub, Field, MAX_NET_INDEX};

/// What the parser remembers about interfaces between keys.
#[derive(Debug, Default)]
pub(crate) struct NetState {
    /// Index of the interface the last `lxc.network.type` opened; `lxc.network.*` apply to it.
    legacy: Option<u32>,
    /// Interfaces a `lxc.net.N.*` key created before any `lxc.net.N.type`, oldest first.
    untyped: Vec<Mention>,
    /// The key that gave each interface its type, oldest first.
    typed: Vec<Mention>,
}

/// A key that mentioned an interface, for an error reported later.
#[derive(Debug)]
struct Mention {
    index: u32,
    key: String,
    source: String,
    line: usize,
}

impl Mention {
    fn new(index: u32, i: &Input<'_>) -> Mention {
        Mention {
            index,
            key: i.key.to_owned(),
            source: i.source.to_owned(),
            line: i.line,
        }
    }
}

impl NetState {
    /// The state after `entries` were applied, so that `Config::set` continues where the file
    /// left off (which interface `lxc.network.*` addresses). Re-running the same code on
    /// scratch settings keeps the index allocation identical to the original parse.
    pub(crate) fn replay(table: &Table, entries: &[Entry]) -> NetState {
        let mut state = NetState::default();
        let mut scratch = Settings::default();
        for entry in entries {
            let Ok(r) = table.resolve(&entry.key) else {
                continue;
            };
            if !matches!(r.def.apply, Apply::Net) {
                continue;
            }
            let input = Input {
                key: &entry.key,
                def: r.def,
                sub: r.sub,
                legacy: r.legacy,
                value: &entry.value,
                source: &entry.source,
                line: entry.line,
                dir: None,
            };
            // Entries were accepted once; one that fails now was edited by hand and, like a
            // line that failed, changes nothing.
            let _ = state.apply(&mut scratch, &input);
        }
        state.untyped.clear();
        state
    }

    /// The interface `lxc.network.*` keys address now (the last `lxc.network.type` opened).
    pub(crate) fn legacy_index(&self) -> Option<u32> {
        self.legacy
    }

    /// Applies one network key; an empty value resets what it sets.
    pub(crate) fn apply(&mut self, s: &mut Settings, i: &Input<'_>) -> Result<(), String> {
        if i.sub.is_empty() {
            // LXC's clear-all idiom (`lxc.net =`), which also ends any 2008 interface.
            s.networks.clear();
            *self = NetState::default();
            return Ok(());
        }
        let (slot, field) = parse_sub(i.sub, i.legacy).map_err(|_| "unknown key".to_owned())?;
        let index = match slot {
            None if field == Field::Type && !i.value.is_empty() => {
                let index = match s.networks.last() {
                    None => 0,
                    Some(highest) if highest.index < MAX_NET_INDEX => highest.index + 1,
                    Some(_) => {
                        return Err(format!(
                            "no free interface index left (the highest is {MAX_NET_INDEX})"
                        ))
                    }
                };
                // The highest index so far is last, so this push keeps the order.
                s.networks.push(Network {
                    index,
                    ..Network::default()
                });
                self.legacy = Some(index);
                index
            }
            None => self
                .legacy
                .filter(|index| find(s, *index).is_some())
                .ok_or_else(|| "lxc.network.type must come first".to_owned())?,
            Some(index) => {
                if i.value.is_empty() && find(s, index).is_none() {
                    // Resetting a field of an interface that does not exist: nothing to do,
                    // and no reason to create an untyped interface.
                    return Ok(());
                }
                index
            }
        };
        let (network, created) = entry(s, index);
        apply_field(network, field, i.value)?;
        if field == Field::Type {
            self.untyped.retain(|u| u.index != index);
            self.typed.retain(|t| t.index != index);
            if !i.value.is_empty() {
                self.typed.push(Mention::new(index, i));
            }
        } else if created {
            self.untyped.push(Mention::new(index, i));
        }
        Ok(())
    }

    /// The end-of-input checks: every `lxc.net.N` got a type (reported at the first key that
    /// mentioned it), and `none` is not mixed with real interfaces (reported at the type that
    /// came last).
    pub(crate) fn finish(&self, s: &Settings) -> Result<(), ConfigError> {
        if let Some(u) = self.untyped.first() {
            let message = format!("lxc.net.{} has no type", u.index);
            return Err(ConfigError::new(&u.source, u.line, Some(&u.key), message));
        }
        let none = s.networks.iter().find(|n| n.kind == NetType::None);
        let other = s.networks.iter().find(|n| n.kind != NetType::None);
        let (Some(none), Some(other)) = (none, other) else {
            return Ok(());
        };
        let last = self
            .typed
            .iter()
            .rev()
            .find(|t| find_ref(s, t.index).is_some());
        let Some(last) = last else { return Ok(()) };
        let message = if last.index == none.index {
            format!(
                "type none (the host's network) must be the only interface, but lxc.net.{} is {}",
                other.index, other.kind
            )
        } else {
            format!(
                "lxc.net.{} is none (the host's network), which must be the only interface",
                none.index
            )
        };
        Err(ConfigError::new(
            &last.source,
            last.line,
            Some(&last.key),
            message,
        ))
    }
}

fn find(s: &mut Settings, index: u32) -> Option<&mut Network> {
    let position = s.networks.binary_search_by_key(&index, |n| n.index).ok()?;
    s.networks.get_mut(position)
}

fn find_ref(s: &Settings, index: u32) -> Option<&Network> {
    let position = s.networks.binary_search_by_key(&index, |n| n.index).ok()?;
    s.networks.get(position)
}

/// The interface with `index`, inserted in order if missing; the bool says it was created.
fn entry(s: &mut Settings, index: u32) -> (&mut Network, bool) {
    let networks = &mut s.networks;
    let (position, created) = match networks.binary_search_by_key(&index, |n| n.index) {
        Ok(position) => (position, false),
        Err(position) => {
            let network = Network {
                index,
                ..Network::default()
            };
            networks.insert(position, network);
            (position, true)
        }
    };
    (&mut networks[position], created)
}
