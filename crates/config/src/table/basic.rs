//! The keys we build (hostname, rootfs, mounts, autodev, stop signals, console `none`,
//! network, include) and their close relatives that are known but not built yet.

use super::def::{Apply, Family, KeyDef, Support, ValueKind};
use super::set::{append, raw_key, scalar};
use crate::mount;
use crate::netkeys::fields;
use crate::types::Fstab;
use crate::value::{self, lists};

/// Adds the definitions of this file, made by code (see `Table`).
pub(crate) fn add(keys: &mut Vec<KeyDef>) {
    keys.extend([
        KeyDef {
            name: "lxc.uts.name",
            aliases: "lxc.utsname",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.utsname, i.value, value::parse_hostname)),
            write: |s, w| w.opt(&s.utsname),
        },
        KeyDef {
            name: "lxc.rootfs.path",
            aliases: "lxc.chroot lxc.rootfs",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                // `overlay:LOWER:UPPER` (LXC's overlay clones): the rootfs is LOWER with an
                // overlayfs of UPPER over it.
                let (rootfs, upper) = match value::parse_overlay(i.value)? {
                    Some((lower, upper)) => (lower, Some(upper)),
                    None => (i.value.to_owned(), None),
                };
                s.rootfs_overlay_upper = upper;
                scalar(&mut s.rootfs, &rootfs, value::parse_rootfs)
            }),
            write: |s, w| match (&s.rootfs, &s.rootfs_overlay_upper) {
                (Some(lower), Some(upper)) => w.opt(&Some(format!("overlay:{lower}:{upper}"))),
                _ => w.opt(&s.rootfs),
            },
        },
        KeyDef {
            name: "lxc.rootfs.options",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            // `ro` (and `rw`) are built; other mount options of the rootfs are not applied yet.
            support: Support::For(|_, value, _| {
                rootfs_options(value).all(|o| o == "ro" || o == "rw")
            }),
            apply: Apply::Set(|s, i| {
                // One string for the whole rootfs mount, as LXC: the last line wins.
                s.rootfs_readonly = false;
                s.rootfs_options.clear();
                for option in rootfs_options(i.value) {
                    match option {
                        "ro" => s.rootfs_readonly = true,
                        "rw" => s.rootfs_readonly = false,
                        other => s.rootfs_options.push(other.to_owned()),
                    }
                }
                Ok(())
            }),
            write: |s, w| {
                let ro = s.rootfs_readonly.then_some("ro");
                let all: Vec<&str> = ro
                    .into_iter()
                    .chain(s.rootfs_options.iter().map(String::as_str))
                    .collect();
                if !all.is_empty() {
                    w.put(&all.join(","));
                }
            },
        },
        raw_key("lxc.rootfs.mount", "", ValueKind::Text),
        raw_key("lxc.rootfs.managed", "", ValueKind::Bool),
        KeyDef {
            name: "lxc.mount.fstab",
            aliases: "lxc.mount",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                s.fstab = (!i.value.is_empty()).then(|| Fstab {
                    path: i.resolve(i.value),
                    written: i.value.to_owned(),
                    origin: i.origin(),
                });
                Ok(())
            }),
            write: |s, w| w.opt(&s.fstab.as_ref().map(|f| f.path.display())),
        },
        KeyDef {
            name: "lxc.mount.entry",
            aliases: "",
            family: None,
            kind: ValueKind::Record,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                append(&mut s.mount_entries, i.value, |v| {
                    mount::parse_mount_line(v, i.origin())
                })
            }),
            write: |s, w| w.each(&s.mount_entries),
        },
        KeyDef {
            name: "lxc.mount.auto",
            aliases: "",
            family: None,
            kind: ValueKind::Words,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                s.mount_auto = match i.value {
                    "" => None,
                    tokens => Some(lists::parse_mount_auto(
                        tokens,
                        s.mount_auto.unwrap_or_default(),
                    )?),
                };
                Ok(())
            }),
            write: |s, w| w.opt(&s.mount_auto),
        },
        KeyDef {
            name: "lxc.autodev",
            aliases: "",
            family: None,
            kind: ValueKind::Bool,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.autodev, i.value, value::parse_bool)),
            write: |s, w| w.flag(s.autodev),
        },
        raw_key("lxc.autodev.tmpfs.size", "", ValueKind::Number),
        KeyDef {
            name: "lxc.signal.halt",
            aliases: "lxc.haltsignal",
            family: None,
            kind: ValueKind::Signal,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.signal_halt, i.value, value::parse_signal)),
            write: |s, w| w.opt(&s.signal_halt),
        },
        KeyDef {
            name: "lxc.signal.stop",
            aliases: "lxc.stopsignal",
            family: None,
            kind: ValueKind::Signal,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.signal_stop, i.value, value::parse_signal)),
            write: |s, w| w.opt(&s.signal_stop),
        },
        KeyDef {
            name: "lxc.signal.reboot",
            aliases: "lxc.rebootsignal",
            family: None,
            kind: ValueKind::Signal,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.signal_reboot, i.value, value::parse_signal)),
            write: |s, w| w.opt(&s.signal_reboot),
        },
        KeyDef {
            name: "lxc.console.path",
            aliases: "lxc.console",
            family: None,
            kind: ValueKind::Text,
            // A console pty (unset) or none; a host device as the console is not built.
            support: Support::For(|_, value, _| value == "none"),
            apply: Apply::Set(|s, i| scalar(&mut s.console.path, i.value, value::parse_text)),
            write: |s, w| w.opt(&s.console.path),
        },
        KeyDef {
            name: "lxc.console.logfile",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.console.logfile, i.value, value::parse_text)),
            write: |s, w| w.opt(&s.console.logfile),
        },
        KeyDef {
            name: "lxc.console.buffer.size",
            aliases: "",
            family: None,
            kind: ValueKind::Size,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                scalar(&mut s.console.buffer_size, i.value, value::parse_size)
            }),
            write: |s, w| w.opt(&s.console.buffer_size),
        },
        KeyDef {
            name: "lxc.console.size",
            aliases: "",
            family: None,
            kind: ValueKind::Size,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.console.size, i.value, value::parse_size)),
            write: |s, w| w.opt(&s.console.size),
        },
        KeyDef {
            name: "lxc.console.rotate",
            aliases: "",
            family: None,
            kind: ValueKind::Bool,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.console.rotate, i.value, value::parse_bool)),
            write: |s, w| w.flag(s.console.rotate),
        },
        KeyDef {
            name: "lxc.net",
            aliases: "lxc.network",
            family: Some(Family {
                check: fields::check_sub,
                known: "",
            }),
            kind: ValueKind::Network,
            support: Support::For(fields::implemented),
            apply: Apply::Net,
            write: fields::write,
        },
        KeyDef {
            name: "lxc.include",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Include,
            // The included settings are written in place of the include.
            write: |_, _| {},
        },
    ]);
}

/// The options of an `lxc.rootfs.options` value.
fn rootfs_options(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').map(str::trim).filter(|o| !o.is_empty())
}
