//! How keys set `Settings`, shared by the table's entries: a scalar (the last line wins, an
//! empty value resets it), a list (each line adds, an empty value clears), a keyed list
//! (one value per sub-key), and the raw store of keys we check but do not model.

use super::def::{Apply, Input, KeyDef, Support, ValueKind};
use crate::model::Settings;
use crate::types::RawSetting;
use crate::value::{self, lists};
use crate::writer::Writer;

/// A setting's checker: the trimmed, non-empty value to the stored one, or a message.
pub(crate) type Check<T> = fn(&str) -> Result<T, String>;

/// An empty value resets `slot`; any other is checked and stored.
pub(crate) fn scalar<T>(slot: &mut Option<T>, value: &str, check: Check<T>) -> Result<(), String> {
    *slot = if value.is_empty() {
        None
    } else {
        Some(check(value)?)
    };
    Ok(())
}

/// An empty value clears `list`; any other is checked and added.
pub(crate) fn append<T>(
    list: &mut Vec<T>,
    value: &str,
    check: impl FnOnce(&str) -> Result<T, String>,
) -> Result<(), String> {
    if value.is_empty() {
        list.clear();
    } else {
        list.push(check(value)?);
    }
    Ok(())
}

/// One item per key: the bare family name (empty `key`) clears the list, an empty value
/// removes `key`'s item, any other replaces it in place or adds it at the end.
pub(crate) fn keyed<T>(
    list: &mut Vec<T>,
    key_of: fn(&T) -> &str,
    key: &str,
    value: &str,
    make: impl FnOnce(&str) -> Result<T, String>,
) -> Result<(), String> {
    if key.is_empty() {
        list.clear();
    } else if value.is_empty() {
        list.retain(|item| key_of(item) != key);
    } else {
        let item = make(value)?;
        match list.iter_mut().find(|old| key_of(old) == key) {
            Some(old) => *old = item,
            None => list.push(item),
        }
    }
    Ok(())
}

/// A key we check but do not model: kept in `Settings::other` under its modern spelling,
/// one value per key, sorted by key (so that written and read back, in table order, the list
/// is the same); the bare name of a raw family clears the family.
pub(crate) fn raw(settings: &mut Settings, input: &Input<'_>) -> Result<(), String> {
    let key = input.modern_key();
    let other = &mut settings.other;
    if input.sub.is_empty() && input.def.family.is_some() {
        let prefix = format!("{key}.");
        other.retain(|r| !r.key.starts_with(&prefix));
        return Ok(());
    }
    let position = other.binary_search_by(|r| r.key.cmp(&key));
    match (position, input.value) {
        (Ok(i), "") => drop(other.remove(i)),
        (Err(_), "") => {}
        (position, value) => {
            check_kind(input.def.kind, value)?;
            let value = value.to_owned();
            match position {
                Ok(i) => other[i].value = value,
                Err(i) => other.insert(i, RawSetting { key, value }),
            }
        }
    }
    Ok(())
}

/// Writes the raw settings of the definition being written.
pub(crate) fn write_raw(settings: &Settings, w: &mut Writer) {
    let name = w.key();
    let prefix = format!("{name}.");
    for raw in &settings.other {
        // A family's items are `NAME.SUB`; an exact key only itself (`lxc.cgroup.dir` does
        // not write `lxc.cgroup.dir.container`, which has a definition of its own).
        if raw.key == name || (w.is_family() && raw.key.starts_with(&prefix)) {
            w.line(&raw.key, &raw.value);
        }
    }
}

/// The checks of `ValueKind`s for keys that have no setter of their own.
fn check_kind(kind: ValueKind, value: &str) -> Result<(), String> {
    match kind {
        ValueKind::Bool => value::parse_bool(value).map(drop),
        ValueKind::Number => value::parse_number::<u64>(value).map(drop),
        ValueKind::Signal => value::parse_signal(value).map(drop),
        ValueKind::Size => value::parse_size(value).map(drop),
        ValueKind::Namespaces => lists::check_namespaces(value),
        // The parser has refused control characters in every value already.
        ValueKind::Text | ValueKind::Words | ValueKind::Record | ValueKind::Network => Ok(()),
    }
}

/// A raw key: checked by kind, kept as written, not built.
pub(crate) fn raw_key(name: &'static str, aliases: &'static str, kind: ValueKind) -> KeyDef {
    KeyDef {
        name,
        aliases,
        family: None,
        kind,
        support: Support::No,
        apply: Apply::Set(raw),
        write: write_raw,
    }
}
