//! The network part of `Settings`: one `Network` per `lxc.net.N` (or 2008 `lxc.network.type`),
//! with the value types of its fields. These types are also the network helper's input
//! (`lxc_proto::net::SetupRequest`): a field added here must keep that JSON unchanged when unset.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::types::RawSetting;

/// One network interface: `lxc.net.N.*`, or a `lxc.network.type` line and the keys after it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Network {
    /// N of `lxc.net.N`; a 2008 interface gets the next index after the highest one so far.
    pub index: u32,
    pub kind: NetType,
    /// `flags = up`: bring the interface up when the container starts.
    pub up: bool,
    /// Host-side interface: the bridge for veth, the lower device for macvlan and phys.
    pub link: Option<String>,
    /// Lowercase `xx:xx:xx:xx:xx:xx`; an `x` digit is a placeholder LXC fills at random.
    pub hwaddr: Option<String>,
    /// Interface name inside the container.
    pub name: Option<String>,
    /// 68..=65535.
    pub mtu: Option<u32>,
    pub ipv4: Vec<IpCidr<Ipv4Addr>>,
    pub ipv6: Vec<IpCidr<Ipv6Addr>>,
    pub ipv4_gateway: Option<Gateway<Ipv4Addr>>,
    pub ipv6_gateway: Option<Gateway<Ipv6Addr>>,
    /// Host-side name of a veth pair.
    pub veth_pair: Option<String>,
    pub macvlan_mode: Option<MacvlanMode>,
    /// Fields LXC has that we parse and check but do not build yet (`vlan.id`, `script.up`,
    /// ...), key without the `lxc.net.N.` prefix, in order; a config with any is refused at
    /// start (not supported yet), so the helper never sees them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmodeled: Vec<RawSetting>,
}

/// `lxc.net.N.type` / `lxc.network.type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetType {
    /// Only a loopback device in a new network namespace.
    #[default]
    Empty,
    Veth,
    Macvlan,
    Phys,
    /// No interface and no network namespace: the container shares the host's network. Only
    /// valid as the only type of a config (the parser refuses it mixed with others).
    None,
}

impl NetType {
    pub const ALL: [NetType; 5] = [
        NetType::Empty,
        NetType::Veth,
        NetType::Macvlan,
        NetType::Phys,
        NetType::None,
    ];

    /// The word used in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            NetType::Empty => "empty",
            NetType::Veth => "veth",
            NetType::Macvlan => "macvlan",
            NetType::Phys => "phys",
            NetType::None => "none",
        }
    }
}

impl fmt::Display for NetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `lxc.net.N.macvlan.mode`; the kernel's macvlan modes (ip-link(8) `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MacvlanMode {
    Private,
    Vepa,
    Bridge,
    Passthru,
}

impl MacvlanMode {
    pub const ALL: [MacvlanMode; 4] = [
        MacvlanMode::Private,
        MacvlanMode::Vepa,
        MacvlanMode::Bridge,
        MacvlanMode::Passthru,
    ];

    /// The word used in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            MacvlanMode::Private => "private",
            MacvlanMode::Vepa => "vepa",
            MacvlanMode::Bridge => "bridge",
            MacvlanMode::Passthru => "passthru",
        }
    }
}

impl fmt::Display for MacvlanMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An interface address with its prefix length; Display gives `addr/prefix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IpCidr<A> {
    pub addr: A,
    pub prefix: u8,
}

impl<A: fmt::Display> fmt::Display for IpCidr<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A default gateway: `auto` (LXC takes the address of the host-side bridge) or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gateway<A> {
    Auto,
    Addr(A),
}

impl<A: fmt::Display> fmt::Display for Gateway<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gateway::Auto => f.write_str("auto"),
            Gateway::Addr(addr) => addr.fmt(f),
        }
    }
}
