//! Checks of `lxc.net.N.*` values. Each takes a trimmed, non-empty value and returns the
//! normalized value or a message that quotes (a short prefix of) the offending text; the
//! caller adds file, line and key.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::error::quoted;
use crate::network::{Gateway, IpCidr, MacvlanMode, NetType};
use crate::words;

/// IFNAMSIZ is 16 including the terminating NUL (netdevice(7)).
const MAX_IFNAME_LEN: usize = 15;
const MIN_MTU: u32 = 68;
const MAX_MTU: u32 = 65535;
const DEFAULT_IPV4_PREFIX: u8 = 24;
const DEFAULT_IPV6_PREFIX: u8 = 64;
/// The highest 802.1Q VLAN id (4095 is reserved).
const MAX_VLAN_ID: u16 = 4094;

/// The types we build, plus `none`. LXC's `vlan` and `ipvlan` are known but not built:
/// they are refused here, as `Network` has no place for them yet.
pub(crate) fn parse_net_type(value: &str) -> Result<NetType, String> {
    if let Some(kind) = NetType::ALL.into_iter().find(|t| t.as_str() == value) {
        return Ok(kind);
    }
    if matches!(value, "vlan" | "ipvlan") {
        return Err(format!("network type {value:?}: not supported yet"));
    }
    Err(format!(
        "unknown network type {} (expected none, empty, veth, macvlan or phys)",
        quoted(value)
    ))
}

pub(crate) fn parse_macvlan_mode(value: &str) -> Result<MacvlanMode, String> {
    MacvlanMode::ALL
        .into_iter()
        .find(|m| m.as_str() == value)
        .ok_or_else(|| {
            format!(
                "unknown macvlan mode {} (expected private, vepa, bridge or passthru)",
                quoted(value)
            )
        })
}

/// `flags`: LXC only ever defined `up`.
pub(crate) fn parse_flags(value: &str) -> Result<bool, String> {
    if value == "up" {
        Ok(true)
    } else {
        Err(format!(
            "invalid flags {} (only \"up\" is supported)",
            quoted(value)
        ))
    }
}

/// An interface name the kernel accepts (`dev_valid_name` in net/core/dev.c): 1..=15 bytes,
/// no '/', ':' or whitespace, not "." or "..".
pub(crate) fn parse_ifname(value: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("invalid interface name {}: {why}", quoted(value)));
    if value.is_empty() || value.len() > MAX_IFNAME_LEN {
        return bad("must be 1 to 15 bytes");
    }
    if value == "." || value == ".." {
        return bad("reserved name");
    }
    if let Some(c) = value
        .chars()
        .find(|c| matches!(c, '/' | ':') || c.is_whitespace())
    {
        return bad(&format!("character {c:?} not allowed"));
    }
    Ok(value.to_owned())
}

/// Six `:`-separated octets of two hex digits each; any digit may be `x`, which LXC replaces
/// with a random one. Returned in lowercase.
pub(crate) fn parse_hwaddr(value: &str) -> Result<String, String> {
    let octets: Vec<&str> = value.split(':').collect();
    let valid = octets.len() == 6
        && octets.iter().all(|octet| {
            octet.len() == 2
                && octet
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == 'x' || c == 'X')
        });
    if valid {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(format!("invalid MAC address {}", quoted(value)))
    }
}

pub(crate) fn parse_mtu(value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(mtu)
            if value.bytes().all(|b| b.is_ascii_digit()) && (MIN_MTU..=MAX_MTU).contains(&mtu) =>
        {
            Ok(mtu)
        }
        _ => Err(format!(
            "invalid MTU {} (expected a number from {MIN_MTU} to {MAX_MTU})",
            quoted(value)
        )),
    }
}

/// `addr[/prefix]`, prefix 24 by default. LXC 1.x also took a broadcast address after a
/// space (`10.0.0.2/24 10.0.0.255`); it is checked and dropped, as the kernel derives it.
pub(crate) fn parse_ipv4(value: &str) -> Result<IpCidr<Ipv4Addr>, String> {
    let mut words = value.split_whitespace();
    let cidr = words.next().unwrap_or_default();
    if let Some(broadcast) = words.next() {
        if broadcast.parse::<Ipv4Addr>().is_err() || words.next().is_some() {
            return Err(format!(
                "invalid IPv4 address {} (expected ADDR[/PREFIX] [BROADCAST])",
                quoted(value)
            ));
        }
    }
    parse_cidr(cidr, "IPv4", DEFAULT_IPV4_PREFIX, 32)
}

/// `addr[/prefix]`, prefix 64 by default.
pub(crate) fn parse_ipv6(value: &str) -> Result<IpCidr<Ipv6Addr>, String> {
    parse_cidr(value, "IPv6", DEFAULT_IPV6_PREFIX, 128)
}

fn parse_cidr<A: FromStr>(
    value: &str,
    family: &str,
    default_prefix: u8,
    max_prefix: u8,
) -> Result<IpCidr<A>, String> {
    let (addr_text, prefix_text) = match value.split_once('/') {
        Some((addr, prefix)) => (addr, Some(prefix)),
        None => (value, None),
    };
    let addr = addr_text.parse::<A>().map_err(|_| {
        format!(
            "invalid {family} address {} in {}",
            quoted(addr_text),
            quoted(value)
        )
    })?;
    let prefix = match prefix_text {
        None => default_prefix,
        Some(text) => match text.parse::<u8>() {
            Ok(p) if text.bytes().all(|b| b.is_ascii_digit()) && p <= max_prefix => p,
            _ => {
                return Err(format!(
                    "invalid {family} prefix {} in {} (expected 0 to {max_prefix})",
                    quoted(text),
                    quoted(value)
                ))
            }
        },
    };
    Ok(IpCidr { addr, prefix })
}

pub(crate) fn parse_gateway<A: FromStr>(value: &str, family: &str) -> Result<Gateway<A>, String> {
    if value == "auto" {
        return Ok(Gateway::Auto);
    }
    value.parse::<A>().map(Gateway::Addr).map_err(|_| {
        format!(
            "invalid {family} gateway {} (expected an address or \"auto\")",
            quoted(value)
        )
    })
}

/// `veth.vlan.id`, `vlan.id`, `veth.vlan.tagged.id`: 0..=4094 (`veth.vlan.id` also `none`).
pub(crate) fn parse_vlan_id(value: &str) -> Result<(), String> {
    match value.parse::<u16>() {
        Ok(id) if value.bytes().all(|b| b.is_ascii_digit()) && id <= MAX_VLAN_ID => Ok(()),
        _ if value == "none" => Ok(()),
        _ => Err(format!(
            "invalid VLAN id {} (expected a number from 0 to {MAX_VLAN_ID})",
            quoted(value)
        )),
    }
}

/// `veth.ipv4.route` / `veth.ipv6.route`: `ADDR/PREFIX` of either family.
pub(crate) fn parse_route(value: &str) -> Result<(), String> {
    if value.contains(':') {
        parse_cidr::<Ipv6Addr>(value, "IPv6", 128, 128).map(drop)
    } else {
        parse_cidr::<Ipv4Addr>(value, "IPv4", 32, 32).map(drop)
    }
}

/// One of a fixed set of words, `known` (a word list): `veth.mode`, `ipvlan.mode`, ...
pub(crate) fn parse_word(value: &str, known: &str) -> Result<(), String> {
    if words::contains(known, value) {
        Ok(())
    } else {
        let known: Vec<&str> = words::iter(known).collect();
        Err(format!(
            "invalid value {} (expected {})",
            quoted(value),
            known.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hwaddrs() {
        assert_eq!(
            parse_hwaddr("4A:49:43:49:79:BD").as_deref(),
            Ok("4a:49:43:49:79:bd")
        );
        assert_eq!(
            parse_hwaddr("00:16:3e:XX:xx:xX").as_deref(),
            Ok("00:16:3e:xx:xx:xx")
        );
        for bad in [
            "4a:49:zz:49:79:bd",
            "4a:49:43:49:79",
            "4a:49:43:49:79:bd:00",
            "4a-49-43-49-79-bd",
            "4:49:43:49:79:bdd",
        ] {
            assert_eq!(
                parse_hwaddr(bad),
                Err(format!("invalid MAC address {bad:?}"))
            );
        }
    }

    #[test]
    fn interface_names() {
        for good in ["eth0", "veth-web1", "a", "123456789012345", "br.100"] {
            assert_eq!(parse_ifname(good).as_deref(), Ok(good));
        }
        for bad in [
            "",
            "1234567890123456",
            ".",
            "..",
            "eth0/1",
            "eth0:1",
            "a b",
            "a\tb",
        ] {
            let err = parse_ifname(bad).unwrap_err();
            assert!(
                err.starts_with(&format!("invalid interface name {bad:?}")),
                "{err}"
            );
        }
    }

    #[test]
    fn addresses() {
        let v4 = |addr: &str, prefix| IpCidr {
            addr: addr.parse::<Ipv4Addr>().unwrap(),
            prefix,
        };
        assert_eq!(parse_ipv4("1.2.3.5/24"), Ok(v4("1.2.3.5", 24)));
        assert_eq!(parse_ipv4("1.2.3.5"), Ok(v4("1.2.3.5", 24)));
        assert_eq!(
            parse_ipv4("10.0.0.2/16 10.0.255.255"),
            Ok(v4("10.0.0.2", 16))
        );
        assert_eq!(parse_ipv4("0.0.0.0/0"), Ok(v4("0.0.0.0", 0)));
        for bad in [
            "1.2.3.256",
            "1.2.3.4/33",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "fd00::1",
            "1.2.3.4/24 x",
            "1.2.3.4 1.2.3.255 y",
        ] {
            let err = parse_ipv4(bad).unwrap_err();
            assert!(
                err.contains("IPv4") && err.contains(&format!("{bad:?}")),
                "{err}"
            );
        }
        let v6 = parse_ipv6("2003:db8:1:0:214:1234:fe0b:3596").unwrap();
        assert_eq!(v6.prefix, 64);
        assert_eq!(v6.to_string(), "2003:db8:1:0:214:1234:fe0b:3596/64");
        assert_eq!(parse_ipv6("fd00::1/128").unwrap().prefix, 128);
        for bad in ["2003::g", "fd00::1/129", "1.2.3.4", "fd00::1/64 fd00::ff"] {
            let err = parse_ipv6(bad).unwrap_err();
            assert!(
                err.contains("IPv6") && err.contains(&format!("{bad:?}")),
                "{err}"
            );
        }
        assert_eq!(parse_gateway::<Ipv4Addr>("auto", "IPv4"), Ok(Gateway::Auto));
        assert_eq!(
            parse_gateway::<Ipv6Addr>("fd00::1", "IPv6"),
            Ok(Gateway::Addr("fd00::1".parse().unwrap()))
        );
        assert!(parse_gateway::<Ipv4Addr>("1.2.3", "IPv4").is_err());
    }

    #[test]
    fn small_values() {
        assert_eq!(parse_mtu("1500"), Ok(1500));
        assert_eq!(parse_mtu("68"), Ok(68));
        assert_eq!(parse_mtu("65535"), Ok(65535));
        for bad in ["67", "65536", "abc", "+1500", "1500.0"] {
            assert!(parse_mtu(bad).unwrap_err().contains(&format!("{bad:?}")));
        }
        assert_eq!(parse_flags("up"), Ok(true));
        assert!(parse_flags("down").unwrap_err().contains("\"down\""));
        assert_eq!(parse_net_type("phys"), Ok(NetType::Phys));
        assert_eq!(parse_net_type("none"), Ok(NetType::None));
        assert!(parse_net_type("Veth").unwrap_err().contains("\"Veth\""));
        assert_eq!(
            parse_net_type("vlan"),
            Err("network type \"vlan\": not supported yet".to_owned())
        );
        assert_eq!(parse_macvlan_mode("passthru"), Ok(MacvlanMode::Passthru));
        assert!(parse_macvlan_mode("source").is_err());
        assert!(parse_vlan_id("4094").is_ok() && parse_vlan_id("none").is_ok());
        assert!(parse_vlan_id("4095").is_err() && parse_vlan_id("-1").is_err());
        assert!(parse_route("10.0.0.0/8").is_ok() && parse_route("fd00::/8").is_ok());
        assert!(parse_route("10.0.0.0/33").is_err());
        assert!(parse_word("l3s", "l2 l3 l3s").is_ok());
        assert!(parse_word("l4", "l2 l3 l3s")
            .unwrap_err()
            .contains("l2, l3, l3s"));
    }
}
