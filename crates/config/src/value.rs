//! Value checks, one function per kind of value. Each takes a trimmed, non-empty value and
//! returns the normalized value or a message that quotes the offending text; the caller adds
//! file, line and key.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::model::{Gateway, IpCidr, MacvlanMode, NetType};

/// The `lxc.mount.auto` tokens we implement (a subset of lxc.container.conf(5)).
pub(crate) const MOUNT_AUTO_TOKENS: [&str; 11] = [
    "proc",
    "proc:mixed",
    "proc:rw",
    "sys",
    "sys:ro",
    "sys:rw",
    "sys:mixed",
    "cgroup",
    "cgroup:ro",
    "cgroup:rw",
    "cgroup:mixed",
];

const MAX_HOSTNAME_LEN: usize = 64;
/// IFNAMSIZ is 16 including the terminating NUL (netdevice(7)).
const MAX_IFNAME_LEN: usize = 15;
const MIN_MTU: u32 = 68;
const MAX_MTU: u32 = 65535;
const DEFAULT_IPV4_PREFIX: u8 = 24;
const DEFAULT_IPV6_PREFIX: u8 = 64;
const MAX_SIGNAL: i32 = 64;
/// glibc's SIGRTMIN: the kernel's first real-time signal is 32, but NPTL keeps 32 and 33 for
/// itself, and LXC resolves `RTMIN` through glibc, so `SIGRTMIN` means 34 there too.
const SIGRTMIN: i32 = 34;
const SIGRTMAX: i32 = 64;

/// Signal numbers of the generic Linux ABI (x86, arm, arm64, riscv, s390; not alpha, mips,
/// sparc, parisc), see signal(7). Names without the `SIG` prefix.
const SIGNALS: [(&str, i32); 34] = [
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// A hostname as sethostname(2) will get it: 1..=64 of `[A-Za-z0-9.-]`, no '-' or '.' at
/// either end.
pub(crate) fn parse_hostname(value: &str) -> Result<String, String> {
    if value.is_empty() || value.len() > MAX_HOSTNAME_LEN {
        return Err(format!(
            "invalid hostname {value:?}: must be 1 to {MAX_HOSTNAME_LEN} characters"
        ));
    }
    if let Some(c) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.')))
    {
        return Err(format!(
            "invalid hostname {value:?}: character {c:?} not allowed \
             (only letters, digits, '-' and '.')"
        ));
    }
    let edge = |c: char| matches!(c, '-' | '.');
    if value.starts_with(edge) || value.ends_with(edge) {
        return Err(format!(
            "invalid hostname {value:?}: must not start or end with '-' or '.'"
        ));
    }
    Ok(value.to_owned())
}

/// `lxc.rootfs.path` / `lxc.chroot`: an absolute directory; LXC's `dir:` storage prefix is
/// accepted and dropped, other storage types (`overlay:`, `loop:`, ...) are not supported.
pub(crate) fn parse_rootfs(value: &str) -> Result<String, String> {
    let path = value.strip_prefix("dir:").unwrap_or(value);
    if !path.starts_with('/') {
        return Err(format!("rootfs path {value:?} is not an absolute path"));
    }
    Ok(path.to_owned())
}

/// An fstab(5) line: spec, file, vfstype, options, then optional dump and pass.
pub(crate) fn parse_mount_entry(value: &str) -> Result<String, String> {
    crate::mount::parse_mount_line(value, "")?;
    Ok(value.to_owned())
}

pub(crate) fn parse_mount_auto(value: &str) -> Result<Vec<String>, String> {
    value
        .split_whitespace()
        .map(|token| {
            if MOUNT_AUTO_TOKENS.contains(&token) {
                Ok(token.to_owned())
            } else {
                Err(format!(
                    "unknown mount.auto option {token:?} (expected some of: {})",
                    MOUNT_AUTO_TOKENS.join(" ")
                ))
            }
        })
        .collect()
}

pub(crate) fn parse_autodev(value: &str) -> Result<bool, String> {
    match value {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("invalid value {value:?} (expected 0 or 1)")),
    }
}

/// A signal name (`SIGPWR`, `PWR`, `pwr`, `SIGRTMIN+3`, `RTMAX-1`) or a number 1..=64.
pub fn parse_signal(value: &str) -> Result<i32, String> {
    let bad = || {
        format!("invalid signal {value:?} (expected a name like SIGPWR or a number from 1 to 64)")
    };
    if value.bytes().all(|b| b.is_ascii_digit()) {
        return match value.parse::<i32>() {
            Ok(n) if (1..=MAX_SIGNAL).contains(&n) => Ok(n),
            _ => Err(bad()),
        };
    }
    let upper = value.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(&(_, number)) = SIGNALS.iter().find(|(known, _)| *known == name) {
        return Ok(number);
    }
    let realtime = if name == "RTMIN" {
        Some(SIGRTMIN)
    } else if name == "RTMAX" {
        Some(SIGRTMAX)
    } else if let Some(offset) = name.strip_prefix("RTMIN+") {
        small_number(offset).map(|n| SIGRTMIN + n)
    } else if let Some(offset) = name.strip_prefix("RTMAX-") {
        small_number(offset).map(|n| SIGRTMAX - n)
    } else {
        None
    };
    match realtime {
        Some(n) if (SIGRTMIN..=SIGRTMAX).contains(&n) => Ok(n),
        _ => Err(bad()),
    }
}

fn small_number(text: &str) -> Option<i32> {
    if text.is_empty() || text.len() > 2 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

pub(crate) fn parse_net_type(value: &str) -> Result<NetType, String> {
    NetType::ALL
        .into_iter()
        .find(|t| t.as_str() == value)
        .ok_or_else(|| {
            format!("unknown network type {value:?} (expected empty, veth, macvlan or phys)")
        })
}

pub(crate) fn parse_macvlan_mode(value: &str) -> Result<MacvlanMode, String> {
    MacvlanMode::ALL
        .into_iter()
        .find(|m| m.as_str() == value)
        .ok_or_else(|| {
            format!("unknown macvlan mode {value:?} (expected private, vepa, bridge or passthru)")
        })
}

/// `flags`: LXC only ever defined `up`.
pub(crate) fn parse_flags(value: &str) -> Result<bool, String> {
    if value == "up" {
        Ok(true)
    } else {
        Err(format!(
            "invalid flags {value:?} (only \"up\" is supported)"
        ))
    }
}

/// An interface name the kernel accepts (`dev_valid_name` in net/core/dev.c): 1..=15 bytes,
/// no '/', ':' or whitespace, not "." or "..".
pub(crate) fn parse_ifname(value: &str) -> Result<String, String> {
    let bad = |why: &str| Err(format!("invalid interface name {value:?}: {why}"));
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
        Err(format!("invalid MAC address {value:?}"))
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
            "invalid MTU {value:?} (expected a number from {MIN_MTU} to {MAX_MTU})"
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
                "invalid IPv4 address {value:?} (expected ADDR[/PREFIX] [BROADCAST])"
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
    let addr = addr_text
        .parse::<A>()
        .map_err(|_| format!("invalid {family} address {addr_text:?} in {value:?}"))?;
    let prefix = match prefix_text {
        None => default_prefix,
        Some(text) => match text.parse::<u8>() {
            Ok(p) if text.bytes().all(|b| b.is_ascii_digit()) && p <= max_prefix => p,
            _ => {
                return Err(format!(
                    "invalid {family} prefix {text:?} in {value:?} (expected 0 to {max_prefix})"
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
        format!("invalid {family} gateway {value:?} (expected an address or \"auto\")")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames() {
        let long = "a".repeat(64);
        for good in ["virtnode", "a", "web-1.example.org", long.as_str(), "0"] {
            assert_eq!(parse_hostname(good).as_deref(), Ok(good));
        }
        let too_long = "a".repeat(65);
        for bad in [
            "",
            "-a",
            "a-",
            ".a",
            "a.",
            "a_b",
            "a b",
            "é",
            too_long.as_str(),
        ] {
            let err = parse_hostname(bad).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn signals() {
        let cases = [
            ("SIGPWR", 30),
            ("PWR", 30),
            ("pwr", 30),
            ("SigKill", 9),
            ("30", 30),
            ("1", 1),
            ("64", 64),
            ("SIGRTMIN", 34),
            ("RTMIN+3", 37),
            ("SIGRTMAX-2", 62),
            ("sigrtmax", 64),
        ];
        for (text, want) in cases {
            assert_eq!(parse_signal(text), Ok(want), "{text}");
        }
        for bad in [
            "0", "65", "-1", "+5", "SIGFOO", "SIG", "RTMIN+31", "RTMAX-31", "RTMIN+", "1.5",
        ] {
            let err = parse_signal(bad).unwrap_err();
            assert!(err.starts_with(&format!("invalid signal {bad:?}")), "{err}");
        }
    }

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
        assert_eq!(parse_autodev("1"), Ok(true));
        assert_eq!(parse_autodev("0"), Ok(false));
        assert!(parse_autodev("yes").is_err());
        assert_eq!(
            parse_rootfs("dir:/var/lib/lxc/a/rootfs").as_deref(),
            Ok("/var/lib/lxc/a/rootfs")
        );
        assert!(parse_rootfs("overlay:/a:/b").is_err());
        assert!(parse_rootfs("rootfs").is_err());
        assert_eq!(
            parse_mount_auto("proc:mixed  sys:ro").unwrap(),
            ["proc:mixed", "sys:ro"]
        );
        assert!(parse_mount_auto("proc proc:foo")
            .unwrap_err()
            .contains("\"proc:foo\""));
        assert!(parse_mount_entry("proc proc proc defaults").is_ok());
        assert!(parse_mount_entry("a b c d 0 0 x").is_err());
        assert_eq!(parse_flags("up"), Ok(true));
        assert!(parse_flags("down").unwrap_err().contains("\"down\""));
        assert_eq!(parse_net_type("phys"), Ok(NetType::Phys));
        assert!(parse_net_type("Veth").unwrap_err().contains("\"Veth\""));
        assert_eq!(parse_macvlan_mode("passthru"), Ok(MacvlanMode::Passthru));
        assert!(parse_macvlan_mode("source").is_err());
    }
}
