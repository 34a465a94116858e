//! Resource and kernel-interface keys: cgroup files (v1 and v2, built: the shim's
//! `cgroup/limits.rs`), `lxc.prlimit.*`, `lxc.sysctl.*` and `lxc.proc.oom_score_adj` (built:
//! the shim's `tunables.rs`), and cgroup placement, resource limits, sysctls, /proc files, namespaces, time offsets.

use super::def::{Apply, Family, Input, KeyDef, SubError, Support, ValueKind};
use super::set::{keyed, raw, raw_key, write_raw};
use crate::model::Settings;
use crate::types::{CgroupSetting, CgroupVersion, Prlimit, Sysctl};
use crate::value::lists::{self, NAMESPACES, PRLIMIT_RESOURCES};
use crate::words;
use crate::writer::Writer;

/// Adds the definitions of this file, made by code (see `Table`).
pub(crate) fn add(keys: &mut Vec<KeyDef>) {
    keys.extend([
        KeyDef {
            name: "lxc.cgroup",
            aliases: "",
            family: Some(Family {
                check: |sub, _| cgroup_file(sub),
                known: "",
            }),
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| set_cgroup(CgroupVersion::V1, s, i)),
            write: |s, w| write_cgroups(CgroupVersion::V1, s, w),
        },
        KeyDef {
            name: "lxc.cgroup2",
            aliases: "",
            family: Some(Family {
                check: |sub, _| cgroup_file(sub),
                known: "",
            }),
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| set_cgroup(CgroupVersion::V2, s, i)),
            write: |s, w| write_cgroups(CgroupVersion::V2, s, w),
        },
        raw_key("lxc.cgroup.dir", "", ValueKind::Text),
        raw_key("lxc.cgroup.dir.container", "", ValueKind::Text),
        raw_key("lxc.cgroup.dir.container.inner", "", ValueKind::Text),
        raw_key("lxc.cgroup.dir.monitor", "", ValueKind::Text),
        raw_key("lxc.cgroup.dir.monitor.pivot", "", ValueKind::Text),
        raw_key("lxc.cgroup.relative", "", ValueKind::Bool),
        KeyDef {
            name: "lxc.prlimit",
            aliases: "lxc.limit",
            family: Some(Family {
                check: |sub, _| known(words::contains(PRLIMIT_RESOURCES, sub)),
                known: PRLIMIT_RESOURCES,
            }),
            kind: ValueKind::Record,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                keyed(
                    &mut s.prlimits,
                    |p| &p.resource,
                    i.sub,
                    i.value,
                    |v| {
                        let (soft, hard) = lists::parse_prlimit(v)?;
                        Ok(Prlimit {
                            resource: i.sub.to_owned(),
                            soft,
                            hard,
                        })
                    },
                )
            }),
            write: |s, w| {
                for limit in &s.prlimits {
                    w.sub(&limit.resource, &limit.value());
                }
            },
        },
        KeyDef {
            name: "lxc.sysctl",
            aliases: "",
            family: Some(Family {
                check: |sub, _| known(lists::is_dotted_name(sub)),
                known: "",
            }),
            kind: ValueKind::Text,
            support: Support::Yes,
            apply: Apply::Set(|s, i| {
                keyed(
                    &mut s.sysctls,
                    |x| &x.key,
                    i.sub,
                    i.value,
                    |v| {
                        Ok(Sysctl {
                            key: i.sub.to_owned(),
                            value: v.to_owned(),
                        })
                    },
                )
            }),
            write: |s, w| {
                for sysctl in &s.sysctls {
                    w.sub(&sysctl.key, &sysctl.value);
                }
            },
        },
        KeyDef {
            name: "lxc.proc",
            aliases: "",
            family: Some(Family {
                check: |sub, _| known(lists::is_dotted_name(sub)),
                known: "",
            }),
            kind: ValueKind::Text,
            support: Support::For(|sub, _, _| sub == "oom_score_adj"),
            apply: Apply::Set(raw),
            write: write_raw,
        },
        raw_key("lxc.namespace.clone", "", ValueKind::Namespaces),
        raw_key("lxc.namespace.keep", "", ValueKind::Namespaces),
        KeyDef {
            name: "lxc.namespace.share",
            aliases: "",
            family: Some(Family {
                check: |sub, _| known(words::contains(NAMESPACES, sub)),
                known: NAMESPACES,
            }),
            kind: ValueKind::Text,
            support: Support::No,
            apply: Apply::Set(raw),
            write: write_raw,
        },
        raw_key("lxc.time.offset.boot", "", ValueKind::Text),
        raw_key("lxc.time.offset.monotonic", "", ValueKind::Text),
    ]);
}

fn known(is_known: bool) -> Result<(), SubError> {
    if is_known {
        Ok(())
    } else {
        Err(SubError::Unknown)
    }
}

/// `CONTROLLER.FILE`; anything else under `lxc.cgroup.` is no key (and may be a typo of
/// `lxc.cgroup.dir`, which "did you mean" then finds).
fn cgroup_file(sub: &str) -> Result<(), SubError> {
    known(lists::is_cgroup_file(sub))
}

/// The bare name clears every setting of its version; an empty value removes one file's
/// settings; any other line is added at the end (all are written, in order).
fn set_cgroup(version: CgroupVersion, s: &mut Settings, i: &Input<'_>) -> Result<(), String> {
    if i.sub.is_empty() {
        s.cgroups.retain(|c| c.version != version);
    } else if i.value.is_empty() {
        s.cgroups.retain(|c| c.version != version || c.key != i.sub);
    } else {
        s.cgroups.push(CgroupSetting {
            version,
            key: i.sub.to_owned(),
            value: i.value.to_owned(),
            origin: i.origin(),
        });
    }
    Ok(())
}

fn write_cgroups(version: CgroupVersion, s: &Settings, w: &mut Writer) {
    for setting in s.cgroups.iter().filter(|c| c.version == version) {
        w.sub(&setting.key, &setting.value);
    }
}
