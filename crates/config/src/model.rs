//! The validated result of a parse: container-wide settings and the network interfaces.
//! Every value stored here has passed the checks in `value.rs`, so consumers need not re-check;
//! `networks` is kept sorted by `index` with no duplicates.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

/// Everything a config says, whichever spelling (2008 or modern) it used.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Settings {
    /// `lxc.utsname` (2008), `lxc.uts.name`.
    pub utsname: Option<String>,
    /// `lxc.chroot` (2008), `lxc.rootfs.path`; absolute, a leading `dir:` already stripped.
    pub rootfs: Option<String>,
    /// `lxc.rootfs.options`: comma-separated mount options for the rootfs, e.g. `ro`.
    pub rootfs_options: Option<String>,
    /// `lxc.mount` (2008), `lxc.mount.fstab`: path of an fstab file, as written.
    pub fstab: Option<String>,
    /// `lxc.mount.entry`, in order: fstab lines of 4 to 6 fields, as written.
    pub mount_entries: Vec<String>,
    /// `lxc.mount.auto` tokens (`proc:mixed`, `sys:ro`, ...), in order, without duplicates.
    pub mount_auto: Vec<String>,
    /// `lxc.autodev`.
    pub autodev: Option<bool>,
    /// `lxc.signal.halt` as a Linux signal number (1..=64).
    pub signal_halt: Option<i32>,
    /// `lxc.signal.stop` as a Linux signal number (1..=64).
    pub signal_stop: Option<i32>,
    /// `lxc.console.path`; LXC 5 application containers carry `none`.
    pub console_path: Option<String>,
    /// Network interfaces, sorted by `index`.
    pub networks: Vec<Network>,
}

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
}

impl NetType {
    pub const ALL: [NetType; 4] = [
        NetType::Empty,
        NetType::Veth,
        NetType::Macvlan,
        NetType::Phys,
    ];

    /// The word used in config files.
    pub fn as_str(self) -> &'static str {
        match self {
            NetType::Empty => "empty",
            NetType::Veth => "veth",
            NetType::Macvlan => "macvlan",
            NetType::Phys => "phys",
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
