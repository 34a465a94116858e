//! Keys about the container's processes and life cycle, none built yet: architecture, what
//! runs as init and how, terminals, hooks, autostart, logging, environment.

use super::def::{Apply, Family, KeyDef, SubError, Support, ValueKind};
use super::set::{append, raw_key, scalar};
use crate::types::Hook;
use crate::value::{self, lists};

/// The words after `lxc.hook.`, for "did you mean" (`HookKind::as_str`): a word list.
const HOOK_KINDS: &str =
    "pre-start pre-mount mount autodev start-host start stop post-stop clone destroy";

/// Adds the definitions of this file, made by code (see `Table`).
pub(crate) fn add(keys: &mut Vec<KeyDef>) {
    keys.extend([
        KeyDef {
            name: "lxc.arch",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.arch, i.value, value::parse_arch)),
            write: |s, w| w.opt(&s.arch),
        },
        KeyDef {
            name: "lxc.execute.cmd",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.execute_cmd, i.value, value::parse_text)),
            write: |s, w| w.opt(&s.execute_cmd),
        },
        KeyDef {
            name: "lxc.init.cmd",
            aliases: "lxc.init_cmd",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.init.cmd, i.value, value::parse_text)),
            write: |s, w| w.opt(&s.init.cmd),
        },
        KeyDef {
            name: "lxc.init.cwd",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.init.cwd, i.value, value::parse_absolute)),
            write: |s, w| w.opt(&s.init.cwd),
        },
        KeyDef {
            name: "lxc.init.uid",
            aliases: "lxc.init_uid",
            family: None,
            kind: ValueKind::Number,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.init.uid, i.value, value::parse_number)),
            write: |s, w| w.opt(&s.init.uid),
        },
        KeyDef {
            name: "lxc.init.gid",
            aliases: "lxc.init_gid",
            family: None,
            kind: ValueKind::Number,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.init.gid, i.value, value::parse_number)),
            write: |s, w| w.opt(&s.init.gid),
        },
        raw_key("lxc.init.groups", "", ValueKind::Text),
        KeyDef {
            // The shim removes the container's directory when it has stopped.
            support: Support::Yes,
            ..raw_key("lxc.ephemeral", "", ValueKind::Bool)
        },
        raw_key("lxc.sched.core", "", ValueKind::Bool),
        KeyDef {
            name: "lxc.tty.max",
            aliases: "lxc.tty",
            family: None,
            kind: ValueKind::Number,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.tty_max, i.value, value::parse_number)),
            write: |s, w| w.opt(&s.tty_max),
        },
        raw_key("lxc.tty.dir", "lxc.devttydir", ValueKind::Text),
        KeyDef {
            name: "lxc.pty.max",
            aliases: "lxc.pts",
            family: None,
            kind: ValueKind::Number,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.pty_max, i.value, value::parse_number)),
            write: |s, w| w.opt(&s.pty_max),
        },
        KeyDef {
            name: "lxc.hook",
            aliases: "",
            family: Some(Family {
                check: |sub, _| lists::hook_kind(sub).map(drop).ok_or(SubError::Unknown),
                known: HOOK_KINDS,
            }),
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                match lists::hook_kind(i.sub) {
                    // The bare `lxc.hook`: every hook goes.
                    None => s.hooks.clear(),
                    Some(kind) if i.value.is_empty() => s.hooks.retain(|h| h.kind != kind),
                    Some(kind) => s.hooks.push(Hook {
                        kind,
                        command: i.value.to_owned(),
                    }),
                }
                Ok(())
            }),
            write: |s, w| {
                for hook in &s.hooks {
                    w.sub(&hook.kind.as_str(), &hook.command);
                }
            },
        },
        KeyDef {
            support: Support::Yes,
            ..raw_key("lxc.hook.version", "", ValueKind::Bool)
        },
        KeyDef {
            name: "lxc.start.auto",
            aliases: "",
            family: None,
            kind: ValueKind::Bool,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.start.auto, i.value, value::parse_bool)),
            write: |s, w| w.flag(s.start.auto),
        },
        KeyDef {
            name: "lxc.start.delay",
            aliases: "",
            family: None,
            kind: ValueKind::Number,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.start.delay, i.value, value::parse_number)),
            write: |s, w| w.opt(&s.start.delay),
        },
        KeyDef {
            name: "lxc.start.order",
            aliases: "",
            family: None,
            kind: ValueKind::Number,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.start.order, i.value, value::parse_number)),
            write: |s, w| w.opt(&s.start.order),
        },
        KeyDef {
            name: "lxc.group",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| append(&mut s.groups, i.value, value::parse_text)),
            write: |s, w| w.each(&s.groups),
        },
        raw_key("lxc.monitor.unshare", "", ValueKind::Bool),
        raw_key("lxc.monitor.signal.pdeath", "", ValueKind::Signal),
        KeyDef {
            name: "lxc.log.level",
            aliases: "lxc.loglevel",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.log.level, i.value, value::parse_log_level)),
            write: |s, w| w.opt(&s.log.level.map(|l| l.as_str())),
        },
        KeyDef {
            name: "lxc.log.file",
            aliases: "lxc.logfile",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| scalar(&mut s.log.file, i.value, value::parse_text)),
            write: |s, w| w.opt(&s.log.file),
        },
        KeyDef {
            name: "lxc.log.syslog",
            aliases: "lxc.syslog",
            family: None,
            kind: ValueKind::Text,
            support: Support::No,
            apply: Apply::Set(|s, i| scalar(&mut s.log.syslog, i.value, value::parse_facility)),
            write: |s, w| w.opt(&s.log.syslog),
        },
        KeyDef {
            name: "lxc.environment",
            aliases: "",
            family: None,
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| append(&mut s.environment, i.value, lists::parse_environment)),
            write: |s, w| w.each(&s.environment),
        },
    ]);
}
