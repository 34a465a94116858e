//! `Settings` back to config text, modern keys only, one `key = value` per line.
//! Reading the text back gives equal settings for anything the parser produced (values are
//! trimmed single lines there; hand-built values with newlines or edge spaces do not survive).

use std::fmt::Display;

use crate::model::{Network, Settings};

pub(crate) fn write_settings(settings: &Settings) -> String {
    let mut out = String::new();
    let mut put = |key: &str, value: &dyn Display| {
        out.push_str(key);
        out.push_str(" = ");
        out.push_str(&value.to_string());
        out.push('\n');
    };
    if let Some(name) = &settings.utsname {
        put("lxc.uts.name", name);
    }
    if let Some(rootfs) = &settings.rootfs {
        put("lxc.rootfs.path", rootfs);
    }
    if let Some(options) = &settings.rootfs_options {
        put("lxc.rootfs.options", options);
    }
    if let Some(fstab) = &settings.fstab {
        put("lxc.mount.fstab", fstab);
    }
    for entry in &settings.mount_entries {
        put("lxc.mount.entry", entry);
    }
    if !settings.mount_auto.is_empty() {
        put("lxc.mount.auto", &settings.mount_auto.join(" "));
    }
    if let Some(autodev) = settings.autodev {
        put("lxc.autodev", &u8::from(autodev));
    }
    if let Some(signal) = settings.signal_halt {
        put("lxc.signal.halt", &signal);
    }
    if let Some(signal) = settings.signal_stop {
        put("lxc.signal.stop", &signal);
    }
    if let Some(path) = &settings.console_path {
        put("lxc.console.path", path);
    }
    for network in &settings.networks {
        write_network(network, &mut put);
    }
    out
}

fn write_network(network: &Network, put: &mut impl FnMut(&str, &dyn Display)) {
    let mut field = |name: &str, value: &dyn Display| {
        put(&format!("lxc.net.{}.{name}", network.index), value);
    };
    // Type first: a later field of an untyped interface would be an error on reading back.
    field("type", &network.kind);
    if network.up {
        field("flags", &"up");
    }
    if let Some(link) = &network.link {
        field("link", link);
    }
    if let Some(hwaddr) = &network.hwaddr {
        field("hwaddr", hwaddr);
    }
    if let Some(name) = &network.name {
        field("name", name);
    }
    if let Some(mtu) = network.mtu {
        field("mtu", &mtu);
    }
    for address in &network.ipv4 {
        field("ipv4.address", address);
    }
    if let Some(gateway) = &network.ipv4_gateway {
        field("ipv4.gateway", gateway);
    }
    for address in &network.ipv6 {
        field("ipv6.address", address);
    }
    if let Some(gateway) = &network.ipv6_gateway {
        field("ipv6.gateway", gateway);
    }
    if let Some(pair) = &network.veth_pair {
        field("veth.pair", pair);
    }
    if let Some(mode) = network.macvlan_mode {
        field("macvlan.mode", &mode);
    }
}
