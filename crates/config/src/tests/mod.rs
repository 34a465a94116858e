//! Tests of the public API, by theme: `good` (configs that parse, round trips), `bad`
//! (errors at their line), `set` (`Config::set`), `files` (files, includes, fstabs, hostile
//! files), `families` (keys known but not built, the key table), `typed` (what consumers
//! read). Shared fixtures here.

mod bad;
mod cost;
mod families;
mod files;
mod good;
mod props;
mod set;
mod typed;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::mount::{parse_mount_line, MountEntry};
use crate::*;

/// README §3.2 of lxc-0.1.0, verbatim.
pub(crate) const SPEC_EXAMPLE: &str = r"# the fstab mount file.
lxc.mount = ./fstab
# the hostname to be set into the container
lxc.utsname = virtnode
# the chroot if needed for the running application
# The network has several of kind of configuration:
#
# * veth : the network will use the veth virtual device, the
# specified link must be a bridge
# * macvlan : the network will use the macvlan device, the specified
# link should be an existing interface, usually it is
# eth0
# * phys : the network will use a physical network device, the
# specified link should be an existing interface
lxc.network.type = macvlan
# specify the flags to be used for the network, actually only <up> is
# allowed which mean the network should be set up when created. If the
# network is set up, the loopback is automatically set up too.
lxc.network.flags = up
# specify the physical network device which will communicate with the
# outside world
lxc.network.link = eth0
# NIC ethernet mac address
lxc.network.hwaddr = 4a:49:43:49:79:bd
# specify the ipv4 address of the container. Several lines are allowed
# and will mean several addresses will be assigned to the interface
lxc.network.ipv4 = 1.2.3.5/24
# specify the ipv6 address of the container. Several lines are allowed
# and will mean several addresses will be assigned to the interface
lxc.network.ipv6 = 2003:db8:1:0:214:1234:fe0b:3596
";

pub(crate) const MODERN: &str = "\
# LXC 5 application container
lxc.uts.name = web1
lxc.rootfs.path = dir:/var/lib/lxc/web1/rootfs
lxc.rootfs.options = ro
lxc.mount.auto = proc:mixed
lxc.mount.auto = sys:ro cgroup:mixed
lxc.mount.entry = /srv/data srv/data none bind,create=dir 0 0
lxc.autodev = 1
lxc.signal.halt = SIGPWR
lxc.signal.stop = SIGKILL
lxc.console.path = none
lxc.net.0.type = veth
lxc.net.0.link = lxcbr0
lxc.net.0.flags = up
lxc.net.0.hwaddr = 00:16:3E:xx:xx:xx
lxc.net.0.name = eth0
lxc.net.0.mtu = 1500
lxc.net.0.ipv4.address = 10.0.3.10/24
lxc.net.0.ipv4.gateway = auto
lxc.net.0.ipv6.address = fd00::10
lxc.net.0.ipv6.gateway = fd00::1
lxc.net.0.veth.pair = vethweb1
lxc.net.1.type = macvlan
lxc.net.1.macvlan.mode = bridge
lxc.net.1.link = eth1
";

pub(crate) fn v4(addr: &str, prefix: u8) -> IpCidr<Ipv4Addr> {
    IpCidr {
        addr: addr.parse().unwrap(),
        prefix,
    }
}

pub(crate) fn v6(addr: &str, prefix: u8) -> IpCidr<Ipv6Addr> {
    IpCidr {
        addr: addr.parse().unwrap(),
        prefix,
    }
}

pub(crate) fn net(index: u32, kind: NetType) -> Network {
    Network {
        index,
        kind,
        ..Network::default()
    }
}

pub(crate) fn some(text: &str) -> Option<String> {
    Some(text.to_owned())
}

pub(crate) fn at(source: &str, line: usize) -> Origin {
    Origin {
        source: source.to_owned(),
        line,
    }
}

/// `lxc.mount.entry = line` as written at `source:number`.
pub(crate) fn mount_entry(line: &str, source: &str, number: usize) -> MountEntry {
    parse_mount_line(line, at(source, number)).unwrap()
}

/// The settings without the origins (which name the text they came from), to compare a
/// round trip.
pub(crate) fn without_origins(mut s: Settings) -> Settings {
    if let Some(fstab) = &mut s.fstab {
        fstab.origin = Origin::default();
    }
    for m in &mut s.mount_entries {
        m.origin = Origin::default();
    }
    for c in &mut s.cgroups {
        c.origin = Origin::default();
    }
    if let Some(profile) = &mut s.seccomp_profile {
        profile.origin = Origin::default();
    }
    s
}

/// A directory of its own under the temp dir, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("lxc-config-test-{}-{n}-{tag}", std::process::id());
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir(&path).unwrap();
        TempDir(path)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` to `name` (directories made as needed) and returns its path.
    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
