//! The line reader and the key-by-key state machine shared by `parse_str` and `Config::set`.
//! A failed key may leave `Settings` half-updated: callers drop them (parse_str returns the
//! error, `Config::set` works on a copy). `networks` stays sorted by index.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::key::{Key, KeyError, NetField, NetSlot, MAX_NET_INDEX};
use crate::model::{Network, Settings};
use crate::value;
use crate::{Config, ConfigError, Entry};

/// Where a key comes from, for error messages and `Entry`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin<'a> {
    pub(crate) source: &'a str,
    pub(crate) line: usize,
}

impl Origin<'_> {
    fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.source, self.line, Some(key), message)
    }
}

/// What the parser remembers between keys besides the settings themselves.
#[derive(Debug, Default)]
pub(crate) struct State {
    /// Index of the interface the last `lxc.network.type` opened; `lxc.network.*` apply to it.
    legacy: Option<u32>,
    /// Interfaces a `lxc.net.N.*` key created before any `lxc.net.N.type`, oldest first.
    untyped: Vec<Untyped>,
}

#[derive(Debug)]
struct Untyped {
    index: u32,
    key: String,
    source: String,
    line: usize,
}

/// Splits `KEY = VALUE` at the first '=' and trims both sides; None without '=' or key.
pub(crate) fn split_key_value(text: &str) -> Option<(&str, &str)> {
    let (key, value) = text.split_once('=')?;
    let key = key.trim();
    if key.is_empty() {
        return None;
    }
    Some((key, value.trim()))
}

pub(crate) fn parse_text(text: &str, source: &str) -> Result<Config, ConfigError> {
    // Editors on other systems may leave a byte-order mark; it is not part of the first key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut config = Config::default();
    let mut state = State::default();
    for (number, raw) in text.lines().enumerate() {
        let line = number + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (key, value) = split_key_value(trimmed).ok_or_else(|| {
            ConfigError::new(
                source,
                line,
                None,
                format!("expected KEY = VALUE, got {trimmed:?}"),
            )
        })?;
        state.apply(&mut config.settings, key, value, Origin { source, line })?;
        config.entries.push(Entry {
            key: key.to_owned(),
            value: value.to_owned(),
            source: source.to_owned(),
            line,
        });
    }
    state.finish()?;
    Ok(config)
}

impl State {
    /// Rebuilds the state after `entries` were applied, so that `Config::set` continues where
    /// the file left off (which interface `lxc.network.*` addresses). Re-running the same code
    /// on scratch settings keeps the index allocation identical to the original parse.
    pub(crate) fn replay(entries: &[Entry]) -> State {
        let mut state = State::default();
        let mut scratch = Settings::default();
        for entry in entries {
            let at = Origin {
                source: &entry.source,
                line: entry.line,
            };
            // Entries were accepted once; one that fails now was edited by hand and, like a
            // line that failed, changes nothing.
            let _ = state.apply(&mut scratch, &entry.key, &entry.value, at);
        }
        state.untyped.clear();
        state
    }

    /// Applies one trimmed `key = value`. An empty value resets what the key sets.
    pub(crate) fn apply(
        &mut self,
        settings: &mut Settings,
        key: &str,
        value: &str,
        at: Origin<'_>,
    ) -> Result<(), ConfigError> {
        let parsed = Key::parse(key).map_err(|err| match err {
            KeyError::Unknown => at.error(key, "unknown key"),
            KeyError::IndexOutOfRange(index) => at.error(
                key,
                format!("interface index {index:?} out of range (0 to {MAX_NET_INDEX})"),
            ),
        })?;
        let fail = |message: String| at.error(key, message);
        match parsed {
            Key::UtsName => {
                settings.utsname = optional(value, value::parse_hostname).map_err(fail)?
            }
            Key::Rootfs => settings.rootfs = optional(value, value::parse_rootfs).map_err(fail)?,
            Key::RootfsOptions => settings.rootfs_options = text(value),
            Key::Fstab => settings.fstab = text(value),
            Key::ConsolePath => settings.console_path = text(value),
            Key::Autodev => {
                settings.autodev = optional(value, value::parse_autodev).map_err(fail)?
            }
            Key::SignalHalt => {
                settings.signal_halt = optional(value, value::parse_signal).map_err(fail)?
            }
            Key::SignalStop => {
                settings.signal_stop = optional(value, value::parse_signal).map_err(fail)?
            }
            Key::MountEntry if value.is_empty() => settings.mount_entries.clear(),
            Key::MountEntry => settings
                .mount_entries
                .push(value::parse_mount_entry(value).map_err(fail)?),
            Key::MountAuto if value.is_empty() => settings.mount_auto.clear(),
            Key::MountAuto => {
                for token in value::parse_mount_auto(value).map_err(fail)? {
                    if !settings.mount_auto.contains(&token) {
                        settings.mount_auto.push(token);
                    }
                }
            }
            // LXC's clear-all idiom (`lxc.net =`), which also ends any 2008 interface.
            Key::NetClear if value.is_empty() => {
                settings.networks.clear();
                self.legacy = None;
                self.untyped.clear();
            }
            Key::NetClear => {
                return Err(fail(format!(
                    "only an empty value is allowed here (it removes all interfaces), got {value:?}"
                )))
            }
            Key::Net(NetSlot::Current, NetField::Type) if !value.is_empty() => {
                let kind = value::parse_net_type(value).map_err(fail)?;
                let index = match settings.networks.last() {
                    None => 0,
                    Some(highest) if highest.index < MAX_NET_INDEX => highest.index + 1,
                    Some(_) => {
                        return Err(fail(format!(
                            "no free interface index left (the highest is {MAX_NET_INDEX})"
                        )))
                    }
                };
                // The highest index so far is last, so this push keeps the order.
                settings.networks.push(Network {
                    index,
                    kind,
                    ..Network::default()
                });
                self.legacy = Some(index);
            }
            Key::Net(NetSlot::Current, field) => {
                let network = self
                    .legacy
                    .and_then(|index| find_network(settings, index))
                    .ok_or_else(|| fail("lxc.network.type must come first".to_owned()))?;
                apply_net_field(network, field, value).map_err(fail)?;
            }
            Key::Net(NetSlot::Index(index), field) => {
                if value.is_empty() && find_network(settings, index).is_none() {
                    // Resetting a field of an interface that does not exist: nothing to do,
                    // and no reason to create an untyped interface.
                    return Ok(());
                }
                let (network, created) = network_entry(settings, index);
                apply_net_field(network, field, value).map_err(fail)?;
                if field == NetField::Type {
                    self.untyped.retain(|u| u.index != index);
                } else if created {
                    self.untyped.push(Untyped {
                        index,
                        key: key.to_owned(),
                        source: at.source.to_owned(),
                        line: at.line,
                    });
                }
            }
        }
        Ok(())
    }

    /// The end-of-input check: every `lxc.net.N` must have got a type. Reported at the first
    /// key that mentioned the interface.
    pub(crate) fn finish(&self) -> Result<(), ConfigError> {
        match self.untyped.first() {
            None => Ok(()),
            Some(u) => Err(ConfigError::new(
                &u.source,
                u.line,
                Some(&u.key),
                format!("lxc.net.{} has no type", u.index),
            )),
        }
    }
}

/// A value taken as written; None for an empty value (the reset).
fn text(value: &str) -> Option<String> {
    Some(value.to_owned()).filter(|v| !v.is_empty())
}

/// None for an empty value (the reset), else the checked value.
fn optional<T>(
    value: &str,
    check: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if value.is_empty() {
        Ok(None)
    } else {
        check(value).map(Some)
    }
}

fn find_network(settings: &mut Settings, index: u32) -> Option<&mut Network> {
    let position = settings
        .networks
        .binary_search_by_key(&index, |n| n.index)
        .ok()?;
    settings.networks.get_mut(position)
}

/// The interface with `index`, inserted in order if missing; the bool says it was created.
fn network_entry(settings: &mut Settings, index: u32) -> (&mut Network, bool) {
    let networks = &mut settings.networks;
    let (position, created) = match networks.binary_search_by_key(&index, |n| n.index) {
        Ok(position) => (position, false),
        Err(position) => {
            networks.insert(
                position,
                Network {
                    index,
                    ..Network::default()
                },
            );
            (position, true)
        }
    };
    (&mut networks[position], created)
}

/// Sets (or, for an empty value, resets) one field of an interface.
fn apply_net_field(network: &mut Network, field: NetField, value: &str) -> Result<(), String> {
    let empty = value.is_empty();
    match field {
        NetField::Type => {
            network.kind = optional(value, value::parse_net_type)?.unwrap_or_default()
        }
        NetField::Flags => network.up = optional(value, value::parse_flags)?.unwrap_or(false),
        NetField::Link => network.link = optional(value, value::parse_ifname)?,
        NetField::Hwaddr => network.hwaddr = optional(value, value::parse_hwaddr)?,
        NetField::Name => network.name = optional(value, value::parse_ifname)?,
        NetField::Mtu => network.mtu = optional(value, value::parse_mtu)?,
        NetField::Ipv4 if empty => network.ipv4.clear(),
        NetField::Ipv4 => network.ipv4.push(value::parse_ipv4(value)?),
        NetField::Ipv6 if empty => network.ipv6.clear(),
        NetField::Ipv6 => network.ipv6.push(value::parse_ipv6(value)?),
        NetField::Ipv4Gateway => {
            network.ipv4_gateway = optional(value, |v| value::parse_gateway::<Ipv4Addr>(v, "IPv4"))?
        }
        NetField::Ipv6Gateway => {
            network.ipv6_gateway = optional(value, |v| value::parse_gateway::<Ipv6Addr>(v, "IPv6"))?
        }
        NetField::VethPair => network.veth_pair = optional(value, value::parse_ifname)?,
        NetField::MacvlanMode => network.macvlan_mode = optional(value, value::parse_macvlan_mode)?,
    }
    Ok(())
}
