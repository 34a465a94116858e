//! The fields of an interface: their names in both spellings (`lxc.net.N.ipv4.address`,
//! `lxc.network.ipv4`), which are built, how each sets a `Network` and how the interfaces
//! are written back. Below the key table, which names these in its `lxc.net` entry; the
//! parse state (`mod.rs`) sits above the table, as it resolves keys through it.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::model::Settings;
use crate::network::Network;
use crate::table::def::SubError;
use crate::types::RawSetting;
use crate::value::{self, net as v};
use crate::writer::Writer;

/// Highest N accepted in `lxc.net.N.*` (LXC has no limit; 1024 interfaces is plenty and
/// keeps an index typo like `lxc.net.100000.type` from passing silently).
pub(crate) const MAX_NET_INDEX: u32 = 1023;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Type,
    Flags,
    Link,
    Hwaddr,
    Name,
    Mtu,
    Ipv4,
    Ipv6,
    Ipv4Gateway,
    Ipv6Gateway,
    VethPair,
    MacvlanMode,
    /// A field of `unmodeled_fields`.
    Unmodeled(Unmodeled),
}

/// A field LXC has that we check and keep but do not build (`Network::unmodeled`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unmodeled {
    name: &'static str,
    check: fn(&str) -> Result<(), String>,
    /// Each line adds a value (routes, tagged VLANs) instead of replacing it.
    repeat: bool,
}

// By name: comparing the function pointers would say nothing reliable.
impl PartialEq for Unmodeled {
    fn eq(&self, other: &Unmodeled) -> bool {
        self.name == other.name
    }
}

impl Eq for Unmodeled {}

/// The unmodeled fields, made by code: a `static` of them would hold pointers (lib.rs).
fn unmodeled_fields() -> [Unmodeled; 11] {
    [
        Unmodeled {
            name: "l2proxy",
            check: |v| value::parse_bool(v).map(drop),
            repeat: false,
        },
        Unmodeled {
            name: "script.up",
            check: |_| Ok(()),
            repeat: false,
        },
        Unmodeled {
            name: "script.down",
            check: |_| Ok(()),
            repeat: false,
        },
        Unmodeled {
            name: "veth.mode",
            check: |v| v::parse_word(v, "bridge router"),
            repeat: false,
        },
        Unmodeled {
            name: "veth.ipv4.route",
            check: v::parse_route,
            repeat: true,
        },
        Unmodeled {
            name: "veth.ipv6.route",
            check: v::parse_route,
            repeat: true,
        },
        Unmodeled {
            name: "veth.vlan.id",
            check: v::parse_vlan_id,
            repeat: false,
        },
        Unmodeled {
            name: "veth.vlan.tagged.id",
            check: v::parse_vlan_id,
            repeat: true,
        },
        Unmodeled {
            name: "vlan.id",
            check: v::parse_vlan_id,
            repeat: false,
        },
        Unmodeled {
            name: "ipvlan.mode",
            check: |v| v::parse_word(v, "l2 l3 l3s"),
            repeat: false,
        },
        Unmodeled {
            name: "ipvlan.isolation",
            check: |v| v::parse_word(v, "bridge private vepa"),
            repeat: false,
        },
    ]
}

/// Field names both spellings share (the modern ones say `ipv4.address`, the old `ipv4`);
/// made by code, as `unmodeled_fields`.
fn common_fields() -> [(&'static str, Field); 10] {
    [
        ("type", Field::Type),
        ("flags", Field::Flags),
        ("link", Field::Link),
        ("hwaddr", Field::Hwaddr),
        ("name", Field::Name),
        ("mtu", Field::Mtu),
        ("ipv4.gateway", Field::Ipv4Gateway),
        ("ipv6.gateway", Field::Ipv6Gateway),
        ("veth.pair", Field::VethPair),
        ("macvlan.mode", Field::MacvlanMode),
    ]
}

fn field(name: &str, legacy: bool) -> Option<Field> {
    let own = match (name, legacy) {
        ("ipv4", true) | ("ipv4.address", false) => Some(Field::Ipv4),
        ("ipv6", true) | ("ipv6.address", false) => Some(Field::Ipv6),
        _ => None,
    };
    let common = || {
        let mut fields = common_fields().into_iter();
        fields.find(|(n, _)| *n == name).map(|(_, f)| f)
    };
    let unmodeled = || {
        let mut fields = unmodeled_fields().into_iter();
        fields.find(|u| u.name == name).map(Field::Unmodeled)
    };
    own.or_else(common).or_else(unmodeled)
}

/// Which interface a key addresses: the current 2008 one (None) or `lxc.net.N`.
pub(crate) fn parse_sub(sub: &str, legacy: bool) -> Result<(Option<u32>, Field), SubError> {
    if legacy {
        return field(sub, true).map(|f| (None, f)).ok_or(SubError::Unknown);
    }
    let (index, name) = sub.split_once('.').ok_or(SubError::Unknown)?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SubError::Unknown);
    }
    let field = field(name, false).ok_or(SubError::Unknown)?;
    // Digits only, so a parse failure can only mean "too large".
    match index.parse::<u32>() {
        Ok(n) if n <= MAX_NET_INDEX => Ok((Some(n), field)),
        _ => Err(SubError::Invalid(format!(
            "interface index {} out of range (0 to {MAX_NET_INDEX})",
            crate::error::quoted(index)
        ))),
    }
}

/// The modern field name (after `lxc.net.N.`) of a 2008 `lxc.network.SUB`: `ipv4` and `ipv6`
/// become `ipv4.address` and `ipv6.address`, the others keep their name.
pub(crate) fn modern_field(legacy_sub: &str) -> Option<&str> {
    match parse_sub(legacy_sub, true).ok()?.1 {
        Field::Ipv4 => Some("ipv4.address"),
        Field::Ipv6 => Some("ipv6.address"),
        _ => Some(legacy_sub),
    }
}

pub(crate) fn check_sub(sub: &str, legacy: bool) -> Result<(), SubError> {
    parse_sub(sub, legacy).map(drop)
}

/// Every field is built but the unmodeled ones.
pub(crate) fn implemented(sub: &str, _value: &str, legacy: bool) -> bool {
    !matches!(parse_sub(sub, legacy), Ok((_, Field::Unmodeled(_))))
}

/// Known keys near `key`, for "did you mean": the fields of its interface.
pub(crate) fn candidates(key: &str) -> Vec<String> {
    let names = common_fields()
        .into_iter()
        .map(|(n, _)| n)
        .chain(unmodeled_fields().into_iter().map(|u| u.name));
    if let Some(rest) = key.strip_prefix("lxc.net.") {
        let index = rest
            .split('.')
            .next()
            .filter(|i| i.bytes().all(|b| b.is_ascii_digit()));
        let index = index.unwrap_or("0");
        let modern = names.chain(["ipv4.address", "ipv6.address"]);
        return modern.map(|n| format!("lxc.net.{index}.{n}")).collect();
    }
    let legacy = names.chain(["ipv4", "ipv6"]);
    legacy.map(|n| format!("lxc.network.{n}")).collect()
}

/// None for an empty value (the reset), else the checked value.
fn opt<T>(value: &str, check: impl FnOnce(&str) -> Result<T, String>) -> Result<Option<T>, String> {
    if value.is_empty() {
        Ok(None)
    } else {
        check(value).map(Some)
    }
}

/// Sets (or, for an empty value, resets) one field of an interface.
pub(crate) fn apply_field(n: &mut Network, field: Field, value: &str) -> Result<(), String> {
    let empty = value.is_empty();
    match field {
        Field::Type => n.kind = opt(value, v::parse_net_type)?.unwrap_or_default(),
        Field::Flags => n.up = opt(value, v::parse_flags)?.unwrap_or(false),
        Field::Link => n.link = opt(value, v::parse_ifname)?,
        Field::Hwaddr => n.hwaddr = opt(value, v::parse_hwaddr)?,
        Field::Name => n.name = opt(value, v::parse_ifname)?,
        Field::Mtu => n.mtu = opt(value, v::parse_mtu)?,
        Field::Ipv4 if empty => n.ipv4.clear(),
        Field::Ipv4 => n.ipv4.push(v::parse_ipv4(value)?),
        Field::Ipv6 if empty => n.ipv6.clear(),
        Field::Ipv6 => n.ipv6.push(v::parse_ipv6(value)?),
        Field::Ipv4Gateway => {
            n.ipv4_gateway = opt(value, |x| v::parse_gateway::<Ipv4Addr>(x, "IPv4"))?
        }
        Field::Ipv6Gateway => {
            n.ipv6_gateway = opt(value, |x| v::parse_gateway::<Ipv6Addr>(x, "IPv6"))?
        }
        Field::VethPair => n.veth_pair = opt(value, v::parse_ifname)?,
        Field::MacvlanMode => n.macvlan_mode = opt(value, v::parse_macvlan_mode)?,
        Field::Unmodeled(u) if empty => n.unmodeled.retain(|r| r.key != u.name),
        Field::Unmodeled(u) => {
            (u.check)(value)?;
            if !u.repeat {
                n.unmodeled.retain(|r| r.key != u.name);
            }
            n.unmodeled.push(RawSetting {
                key: u.name.to_owned(),
                value: value.to_owned(),
            });
        }
    }
    Ok(())
}

/// Every interface in modern keys, type first: a later field of an untyped interface would
/// be an error on reading back.
pub(crate) fn write(s: &Settings, w: &mut Writer) {
    for n in &s.networks {
        let mut field = |name: &str, value: &dyn std::fmt::Display| {
            w.sub(&format_args!("{}.{name}", n.index), value);
        };
        field("type", &n.kind);
        if n.up {
            // Through a local: `&"up"` would be a static holding a pointer (lib.rs).
            let up = "up";
            field("flags", &up);
        }
        let texts = [("link", &n.link), ("hwaddr", &n.hwaddr), ("name", &n.name)];
        for (name, text) in texts {
            if let Some(text) = text {
                field(name, text);
            }
        }
        if let Some(mtu) = n.mtu {
            field("mtu", &mtu);
        }
        for address in &n.ipv4 {
            field("ipv4.address", address);
        }
        if let Some(gateway) = &n.ipv4_gateway {
            field("ipv4.gateway", gateway);
        }
        for address in &n.ipv6 {
            field("ipv6.address", address);
        }
        if let Some(gateway) = &n.ipv6_gateway {
            field("ipv6.gateway", gateway);
        }
        if let Some(pair) = &n.veth_pair {
            field("veth.pair", pair);
        }
        if let Some(mode) = n.macvlan_mode {
            field("macvlan.mode", &mode);
        }
        for raw in &n.unmodeled {
            field(&raw.key, &raw.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings() {
        let cases = [
            ("ipv4", true, None, Field::Ipv4),
            ("ipv4.gateway", true, None, Field::Ipv4Gateway),
            ("0.ipv4.address", false, Some(0), Field::Ipv4),
            ("1023.veth.pair", false, Some(1023), Field::VethPair),
            ("007.type", false, Some(7), Field::Type),
        ];
        for (sub, legacy, slot, want) in cases {
            let got = parse_sub(sub, legacy).ok();
            assert_eq!(got, Some((slot, want)), "{sub}");
        }
        assert!(matches!(
            parse_sub("2.vlan.id", false),
            Ok((Some(2), Field::Unmodeled(u))) if u.name == "vlan.id"
        ));
    }

    #[test]
    fn rejects_unknown_and_out_of_range() {
        for (sub, legacy) in [
            ("0", false),
            ("0.ipv4", false),
            ("ipv4.address", true),
            ("x.type", false),
            ("+1.type", false),
            (".type", false),
            ("0.type", true),
            ("0.type.x", false),
            ("", false),
        ] {
            assert!(
                matches!(parse_sub(sub, legacy), Err(SubError::Unknown)),
                "{sub:?}"
            );
        }
        for index in ["1024", "99999999999999999999"] {
            let Err(SubError::Invalid(message)) = parse_sub(&format!("{index}.type"), false) else {
                panic!("{index}");
            };
            assert!(
                message.contains(&format!("{index:?} out of range")),
                "{message}"
            );
        }
    }
}
