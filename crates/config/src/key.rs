//! Key names: which setting a key (2008 or modern spelling) addresses, and its `Feature`.
//! Keys are case-sensitive, as in LXC.

use crate::Feature;

/// Highest N accepted in `lxc.net.N.*` (LXC has no limit; 1024 interfaces is plenty and
/// keeps an index typo like `lxc.net.100000.type` from passing silently).
pub(crate) const MAX_NET_INDEX: u32 = 1023;

const LEGACY_NET_PREFIX: &str = "lxc.network.";
const NET_PREFIX: &str = "lxc.net.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    UtsName,
    Rootfs,
    RootfsOptions,
    Fstab,
    MountEntry,
    MountAuto,
    Autodev,
    SignalHalt,
    SignalStop,
    ConsolePath,
    /// `lxc.net` / `lxc.network`: only an empty value, which removes every interface.
    NetClear,
    Net(NetSlot, NetField),
}

/// Which interface a network key addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetSlot {
    /// `lxc.network.*`: the interface the last `lxc.network.type` opened.
    Current,
    /// `lxc.net.N.*`.
    Index(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetField {
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
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyError {
    Unknown,
    /// `lxc.net.N.*` with N made of digits but above `MAX_NET_INDEX`.
    IndexOutOfRange(String),
}

impl Key {
    pub(crate) fn parse(key: &str) -> Result<Key, KeyError> {
        let simple = match key {
            "lxc.utsname" | "lxc.uts.name" => Some(Key::UtsName),
            "lxc.chroot" | "lxc.rootfs.path" => Some(Key::Rootfs),
            "lxc.rootfs.options" => Some(Key::RootfsOptions),
            "lxc.mount" | "lxc.mount.fstab" => Some(Key::Fstab),
            "lxc.mount.entry" => Some(Key::MountEntry),
            "lxc.mount.auto" => Some(Key::MountAuto),
            "lxc.autodev" => Some(Key::Autodev),
            "lxc.signal.halt" => Some(Key::SignalHalt),
            "lxc.signal.stop" => Some(Key::SignalStop),
            "lxc.console.path" => Some(Key::ConsolePath),
            "lxc.net" | "lxc.network" => Some(Key::NetClear),
            _ => None,
        };
        if let Some(simple) = simple {
            return Ok(simple);
        }
        if let Some(field) = key.strip_prefix(LEGACY_NET_PREFIX) {
            return legacy_field(field)
                .map(|f| Key::Net(NetSlot::Current, f))
                .ok_or(KeyError::Unknown);
        }
        if let Some(rest) = key.strip_prefix(NET_PREFIX) {
            let (index, field) = rest.split_once('.').ok_or(KeyError::Unknown)?;
            if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
                return Err(KeyError::Unknown);
            }
            let field = modern_field(field).ok_or(KeyError::Unknown)?;
            // Digits only, so a parse failure can only mean "too large".
            return match index.parse::<u32>() {
                Ok(n) if n <= MAX_NET_INDEX => Ok(Key::Net(NetSlot::Index(n), field)),
                _ => Err(KeyError::IndexOutOfRange(index.to_owned())),
            };
        }
        Err(KeyError::Unknown)
    }

    pub(crate) fn feature(self) -> Feature {
        match self {
            Key::UtsName => Feature::Uts,
            Key::Rootfs | Key::RootfsOptions => Feature::Rootfs,
            Key::Fstab | Key::MountEntry | Key::MountAuto | Key::Autodev => Feature::Mount,
            Key::SignalHalt | Key::SignalStop => Feature::Signal,
            Key::ConsolePath => Feature::Console,
            Key::NetClear | Key::Net(..) => Feature::Network,
        }
    }
}

/// `lxc.network.<field>`: the 2008 keys plus the LXC 1.x/2.x additions.
fn legacy_field(field: &str) -> Option<NetField> {
    match field {
        "ipv4" => Some(NetField::Ipv4),
        "ipv6" => Some(NetField::Ipv6),
        other => common_field(other),
    }
}

/// `lxc.net.N.<field>`: the LXC 3+ keys.
fn modern_field(field: &str) -> Option<NetField> {
    match field {
        "ipv4.address" => Some(NetField::Ipv4),
        "ipv6.address" => Some(NetField::Ipv6),
        other => common_field(other),
    }
}

fn common_field(field: &str) -> Option<NetField> {
    Some(match field {
        "type" => NetField::Type,
        "flags" => NetField::Flags,
        "link" => NetField::Link,
        "hwaddr" => NetField::Hwaddr,
        "name" => NetField::Name,
        "mtu" => NetField::Mtu,
        "ipv4.gateway" => NetField::Ipv4Gateway,
        "ipv6.gateway" => NetField::Ipv6Gateway,
        "veth.pair" => NetField::VethPair,
        "macvlan.mode" => NetField::MacvlanMode,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings() {
        let cases = [
            ("lxc.utsname", Key::UtsName),
            ("lxc.uts.name", Key::UtsName),
            ("lxc.chroot", Key::Rootfs),
            ("lxc.mount", Key::Fstab),
            ("lxc.network", Key::NetClear),
            ("lxc.net", Key::NetClear),
            (
                "lxc.network.ipv4",
                Key::Net(NetSlot::Current, NetField::Ipv4),
            ),
            (
                "lxc.network.ipv4.gateway",
                Key::Net(NetSlot::Current, NetField::Ipv4Gateway),
            ),
            (
                "lxc.net.0.ipv4.address",
                Key::Net(NetSlot::Index(0), NetField::Ipv4),
            ),
            (
                "lxc.net.1023.veth.pair",
                Key::Net(NetSlot::Index(1023), NetField::VethPair),
            ),
            (
                "lxc.net.007.type",
                Key::Net(NetSlot::Index(7), NetField::Type),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Key::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_unknown_and_out_of_range() {
        for text in [
            "lxc.foo",
            "LXC.UTSNAME",
            "lxc.net.0",
            "lxc.net.0.ipv4",
            "lxc.network.ipv4.address",
            "lxc.net.x.type",
            "lxc.net.+1.type",
            "lxc.net..type",
            "lxc.network.0.type",
            "lxc.net.0.type.x",
            "",
        ] {
            assert_eq!(Key::parse(text), Err(KeyError::Unknown), "{text:?}");
        }
        for index in ["1024", "99999999999999999999"] {
            let key = format!("lxc.net.{index}.type");
            assert_eq!(
                Key::parse(&key),
                Err(KeyError::IndexOutOfRange(index.to_owned()))
            );
        }
    }
}
