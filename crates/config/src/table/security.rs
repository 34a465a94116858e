//! Security keys: user namespace id maps, capabilities, LSM profiles (AppArmor, SELinux),
//! seccomp, no_new_privs, the session keyring.

use super::def::{Apply, KeyDef, Support, ValueKind};
use super::set::{append, raw_key, scalar};
use crate::types::ProfileFile;
use crate::value::{self, lists};

/// Adds the definitions of this file, made by code (see `Table`).
pub(crate) fn add(keys: &mut Vec<KeyDef>) {
    keys.extend([
        KeyDef {
            name: "lxc.idmap",
            aliases: "lxc.id_map",
            family: None,
            kind: ValueKind::Record,
            support: Support::Yes,
            apply: Apply::Set(|s, i| append(&mut s.idmaps, i.value, lists::parse_idmap)),
            write: |s, w| w.each(&s.idmaps),
        },
        KeyDef {
            name: "lxc.cap.drop",
            aliases: "",
            family: None,
            kind: ValueKind::Words,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                if i.value.is_empty() {
                    s.cap_drop.clear();
                } else {
                    s.cap_drop.extend(lists::parse_caps(i.value, false)?);
                }
                Ok(())
            }),
            write: |s, w| w.each(&s.cap_drop),
        },
        KeyDef {
            name: "lxc.cap.keep",
            aliases: "",
            family: None,
            kind: ValueKind::Words,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                if i.value.is_empty() {
                    s.cap_keep.clear();
                } else {
                    s.cap_keep.extend(lists::parse_caps(i.value, true)?);
                }
                Ok(())
            }),
            write: |s, w| w.each(&s.cap_keep),
        },
        KeyDef {
            name: "lxc.apparmor.profile",
            aliases: "lxc.aa_profile",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.apparmor.profile, i.value, value::parse_text)),
            write: |s, w| w.opt(&s.apparmor.profile),
        },
        KeyDef {
            name: "lxc.apparmor.allow_incomplete",
            aliases: "lxc.aa_allow_incomplete",
            family: None,
            kind: ValueKind::Bool,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                scalar(&mut s.apparmor.allow_incomplete, i.value, value::parse_bool)
            }),
            write: |s, w| w.flag(s.apparmor.allow_incomplete),
        },
        KeyDef {
            name: "lxc.apparmor.allow_nesting",
            aliases: "",
            family: None,
            kind: ValueKind::Bool,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                scalar(&mut s.apparmor.allow_nesting, i.value, value::parse_bool)
            }),
            write: |s, w| w.flag(s.apparmor.allow_nesting),
        },
        KeyDef {
            name: "lxc.apparmor.raw",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| append(&mut s.apparmor.raw, i.value, value::parse_text)),
            write: |s, w| w.each(&s.apparmor.raw),
        },
        KeyDef {
            name: "lxc.selinux.context",
            aliases: "lxc.se_context",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.selinux.context, i.value, value::parse_text)),
            write: |s, w| w.opt(&s.selinux.context),
        },
        KeyDef {
            name: "lxc.selinux.context.keyring",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                scalar(&mut s.selinux.context_keyring, i.value, value::parse_text)
            }),
            write: |s, w| w.opt(&s.selinux.context_keyring),
        },
        KeyDef {
            name: "lxc.seccomp.profile",
            aliases: "lxc.seccomp",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                value::parse_text(i.value)?;
                s.seccomp_profile = (!i.value.is_empty()).then(|| ProfileFile {
                    path: i.resolve(i.value),
                    written: i.value.to_owned(),
                    origin: i.origin(),
                });
                Ok(())
            }),
            write: |s, w| w.opt(&s.seccomp_profile.as_ref().map(|f| f.path.display())),
        },
        KeyDef {
            name: "lxc.seccomp.allow_nesting",
            aliases: "",
            family: None,
            kind: ValueKind::Bool,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                scalar(&mut s.seccomp_allow_nesting, i.value, value::parse_bool)
            }),
            write: |s, w| w.flag(s.seccomp_allow_nesting),
        },
        KeyDef {
            name: "lxc.seccomp.notify.proxy",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                scalar(&mut s.seccomp_notify_proxy, i.value, value::parse_proxy)
            }),
            write: |s, w| w.opt(&s.seccomp_notify_proxy),
        },
        KeyDef {
            name: "lxc.seccomp.notify.cookie",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                scalar(&mut s.seccomp_notify_cookie, i.value, value::parse_text)
            }),
            write: |s, w| w.opt(&s.seccomp_notify_cookie),
        },
        KeyDef {
            name: "lxc.no_new_privs",
            aliases: "",
            family: None,
            kind: ValueKind::Bool,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.no_new_privs, i.value, value::parse_bool)),
            write: |s, w| w.flag(s.no_new_privs),
        },
        raw_key("lxc.keyring.session", "", ValueKind::Bool),
    ]);
}
