//! From the configured interfaces to the operations, decided before any netlink call: names
//! (ethN by default, generated host-side names), MACs with LXC's `x` placeholders filled.
//! Pure apart from the random bytes it is given, so it is tested without root.
use lxc_config::{Gateway, MacvlanMode, NetType, Network};
use std::net::{Ipv4Addr, Ipv6Addr};

/// One interface to make (`empty` interfaces make none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfacePlan {
    pub kind: NetType,
    /// Its name inside the container.
    pub name: String,
    /// veth: the host end (`veth.pair`, or generated `vethXXXXXX`).
    pub host: Option<String>,
    /// Whether `host` was chosen by the user (`veth.pair`) rather than generated.
    pub host_named: bool,
    /// veth: the bridge; macvlan: the parent; phys: the interface moved in.
    pub link: Option<String>,
    pub hwaddr: Option<[u8; 6]>,
    pub mtu: Option<u32>,
    pub up: bool,
    pub ipv4: Vec<(Ipv4Addr, u8)>,
    pub ipv6: Vec<(Ipv6Addr, u8)>,
    pub gateway4: Option<Gateway<Ipv4Addr>>,
    pub gateway6: Option<Gateway<Ipv6Addr>>,
    pub macvlan_mode: MacvlanMode,
}

impl IfacePlan {
    /// `veth`, `macvlan`, `phys`.
    pub fn kind_str(&self) -> &'static str {
        self.kind.as_str()
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn random_name(prefix: &str, rand: &mut impl FnMut() -> u8) -> String {
    let mut s = prefix.to_string();
    while s.len() < 10 {
        s.push(HEX[usize::from(rand() & 15)] as char);
    }
    s
}

/// Fills LXC's `x` placeholders of a configured MAC (`00:16:3e:xx:xx:xx`) with random hex
/// digits; a random first octet is made unicast and locally administered.
pub fn fill_hwaddr(text: &str, rand: &mut impl FnMut() -> u8) -> Result<[u8; 6], String> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        return Err(format!("invalid MAC address {text:?}"));
    }
    let mut mac = [0u8; 6];
    for (i, p) in parts.iter().enumerate() {
        let filled: String = p
            .chars()
            .map(|c| {
                if c.eq_ignore_ascii_case(&'x') {
                    HEX[usize::from(rand() & 15)] as char
                } else {
                    c
                }
            })
            .collect();
        mac[i] =
            u8::from_str_radix(&filled, 16).map_err(|_| format!("invalid MAC address {text:?}"))?;
        if i == 0 && p.contains(['x', 'X']) {
            mac[0] = (mac[0] & !1) | 2;
        }
    }
    Ok(mac)
}

/// The operations for `nets`, in config order. Errors name the interface.
pub fn plan(nets: &[Network], rand: &mut impl FnMut() -> u8) -> Result<Vec<IfacePlan>, String> {
    let mut out: Vec<IfacePlan> = Vec::new();
    // `none` never reaches us (the shim sends `Settings::interfaces`); skip it as `empty` anyway.
    let made = |n: &&Network| !matches!(n.kind, NetType::Empty | NetType::None);
    for (i, n) in nets.iter().filter(made).enumerate() {
        let name = n.name.clone().unwrap_or_else(|| format!("eth{i}"));
        if out.iter().any(|p| p.name == name) {
            return Err(format!("{name}: two interfaces with this name"));
        }
        let needs_link = matches!(n.kind, NetType::Macvlan | NetType::Phys);
        if needs_link && n.link.is_none() {
            return Err(format!("{name}: {} needs lxc.net.N.link", n.kind));
        }
        if (n.ipv4_gateway.is_some() || n.ipv6_gateway.is_some()) && !n.up {
            return Err(format!("{name}: a gateway needs flags = up"));
        }
        let auto = matches!(n.ipv4_gateway, Some(Gateway::Auto))
            || matches!(n.ipv6_gateway, Some(Gateway::Auto));
        if auto && !(n.kind == NetType::Veth && n.link.is_some()) {
            let family = if matches!(n.ipv4_gateway, Some(Gateway::Auto)) {
                "ipv4"
            } else {
                "ipv6"
            };
            return Err(format!(
                "{name}: {family}.gateway = auto needs a bridge (a veth with lxc.net.N.link)"
            ));
        }
        let host = match n.kind {
            NetType::Veth => Some(
                n.veth_pair
                    .clone()
                    .unwrap_or_else(|| random_name("veth", rand)),
            ),
            _ => None,
        };
        let hwaddr = n
            .hwaddr
            .as_deref()
            .map(|h| fill_hwaddr(h, rand))
            .transpose()
            .map_err(|e| format!("{name}: {e}"))?;
        out.push(IfacePlan {
            kind: n.kind,
            name,
            host,
            host_named: n.veth_pair.is_some(),
            link: n.link.clone(),
            hwaddr,
            mtu: n.mtu,
            up: n.up,
            ipv4: n.ipv4.iter().map(|c| (c.addr, c.prefix)).collect(),
            ipv6: n.ipv6.iter().map(|c| (c.addr, c.prefix)).collect(),
            gateway4: n.ipv4_gateway,
            gateway6: n.ipv6_gateway,
            macvlan_mode: n.macvlan_mode.unwrap_or(MacvlanMode::Private),
        });
    }
    Ok(out)
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn format_mac(mac: &[u8]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter() -> impl FnMut() -> u8 {
        let mut n = 0u8;
        move || {
            n = n.wrapping_add(1);
            n
        }
    }

    fn net(kind: NetType) -> Network {
        Network {
            kind,
            up: true,
            ..Network::default()
        }
    }

    #[test]
    fn names_and_defaults() {
        let mut r = counter();
        let nets = vec![
            net(NetType::Empty),
            Network {
                link: Some("br0".into()),
                ..net(NetType::Veth)
            },
            Network {
                link: Some("ve1".into()),
                name: Some("lan".into()),
                ..net(NetType::Macvlan)
            },
        ];
        let p = plan(&nets, &mut r).unwrap();
        assert_eq!(p.len(), 2, "empty makes no interface");
        assert_eq!(p[0].name, "eth0");
        assert!(
            p[0].host.as_ref().unwrap().starts_with("veth")
                && p[0].host.as_ref().unwrap().len() == 10
        );
        assert!(!p[0].host_named);
        assert_eq!(p[1].name, "lan");
        assert_eq!(
            p[1].macvlan_mode,
            MacvlanMode::Private,
            "LXC's default mode"
        );
        let pair = Network {
            veth_pair: Some("vh0".into()),
            ..net(NetType::Veth)
        };
        assert_eq!(
            plan(&[pair], &mut r).unwrap()[0].host.as_deref(),
            Some("vh0")
        );
    }

    #[test]
    fn refusals() {
        let mut r = counter();
        assert!(plan(&[net(NetType::Phys)], &mut r)
            .unwrap_err()
            .contains("needs lxc.net.N.link"));
        let two = vec![
            Network {
                name: Some("a".into()),
                ..net(NetType::Veth)
            },
            Network {
                name: Some("a".into()),
                ..net(NetType::Veth)
            },
        ];
        assert!(plan(&two, &mut r).unwrap_err().contains("two interfaces"));
        let gw = Network {
            up: false,
            ipv4_gateway: Some(Gateway::Auto),
            ..net(NetType::Veth)
        };
        assert!(plan(&[gw], &mut r).unwrap_err().contains("flags = up"));
    }

    #[test]
    fn macs() {
        let mut r = counter();
        assert_eq!(
            fill_hwaddr("4a:49:43:49:79:bd", &mut r).unwrap(),
            [0x4a, 0x49, 0x43, 0x49, 0x79, 0xbd]
        );
        let m = fill_hwaddr("00:16:3e:xx:xx:xx", &mut r).unwrap();
        assert_eq!(&m[..3], &[0x00, 0x16, 0x3e]);
        let m = fill_hwaddr("xx:xx:xx:xx:xx:xx", &mut || 0xff).unwrap();
        assert_eq!(m[0] & 3, 2, "unicast, locally administered");
        assert_eq!(format_mac(&m), "fe:ff:ff:ff:ff:ff");
        assert!(fill_hwaddr("zz:00:00:00:00:00", &mut r).is_err());
    }
}
