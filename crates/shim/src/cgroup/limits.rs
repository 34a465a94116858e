//! The config's limits: every `lxc.cgroup.*` (v1) and `lxc.cgroup2.*` line, resolved to the
//! container's file when the start is planned (a key whose hierarchy this host lacks is
//! refused then, before anything is made) and written in config order once the groups exist,
//! before the init joins them. A write the kernel refuses names the line, the key, the file
//! and the kernel's reason.
use super::devices::Policy;
use super::files::{self, GroupView, Want};
use lxc_config::{CgroupSetting, CgroupVersion};
use std::path::PathBuf;

/// Everything the config asks of the container's groups.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    files: Vec<Limit>,
    /// `lxc.cgroup2.devices.*`: the device program's rules, the cgroup2 group it goes on, and
    /// the first line (for messages).
    devices: Option<(Policy, PathBuf, String)>,
}

/// One line of the config, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// `FILE:LINE: lxc.cgroup.memory.limit_in_bytes`, for messages.
    label: String,
    path: PathBuf,
    value: String,
    enable: Option<(String, PathBuf)>,
}

/// The limits of `settings` among `groups`, in config order.
pub fn plan(groups: &[GroupView<'_>], settings: &[CgroupSetting]) -> Result<Limits, String> {
    let mut out = Limits::default();
    for s in settings {
        let (prefix, want) = match s.version {
            CgroupVersion::V1 => ("lxc.cgroup", Want::V1),
            CgroupVersion::V2 => ("lxc.cgroup2", Want::V2),
        };
        let label = format!("{}: {prefix}.{}", s.origin, s.key);
        let refuse = |why: String| format!("{label}: {why}");
        if files::managed(&s.key) {
            return Err(refuse(
                "this file is the container manager's own, not a limit".into(),
            ));
        }
        if s.version == CgroupVersion::V2 && files::controller(&s.key) == "devices" {
            // cgroup2 has no devices files: a BPF device program instead (`devices.rs`).
            let allow = match s.key.as_str() {
                "devices.allow" => true,
                "devices.deny" => false,
                _ => {
                    return Err(refuse(
                        "cgroup2 takes devices.allow and devices.deny".into(),
                    ))
                }
            };
            let dir = groups
                .iter()
                .find(|g| g.unified)
                .map(|g| g.dir.to_path_buf())
                .ok_or_else(|| refuse("this host has no cgroup2 hierarchy".into()))?;
            let (policy, _, _) = out
                .devices
                .get_or_insert_with(|| (Policy::default(), dir, label.clone()));
            policy
                .add(allow, &s.value)
                .map_err(|e| refuse(e.to_string()))?;
            continue;
        }
        let found = files::locate(groups, want, &s.key).map_err(refuse)?;
        out.files.push(Limit {
            label,
            path: found.path,
            value: s.value.clone(),
            enable: found.enable,
        });
    }
    Ok(out)
}

/// Writes every limit, in order, then attaches the device program; the first refusal stops
/// the start.
pub fn apply(all: &Limits) -> Result<(), String> {
    for limit in &all.files {
        if let Some((controller, parent)) = &limit.enable {
            if !limit.path.exists() {
                files::enable_v2(controller, parent)
                    .map_err(|e| format!("{}: {e}", limit.label))?;
            }
        }
        files::write(&limit.path, &limit.value).map_err(|e| {
            format!(
                "{} = {:?}: {e}",
                limit.label,
                lxc_proto::shorten(&limit.value, 64)
            )
        })?;
        log::debug!("{} = {}", limit.label, limit.value);
    }
    if let Some((policy, dir, label)) = &all.devices {
        attach_devices(policy, dir).map_err(|e| {
            format!(
                "{label}: attach the device program to {}: {}",
                dir.display(),
                e.desc()
            )
        })?;
    }
    Ok(())
}

fn attach_devices(policy: &Policy, dir: &std::path::Path) -> nix::Result<()> {
    use nix::fcntl::{open, OFlag};
    use std::os::fd::AsFd;
    let group = open(
        dir,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    let prog = crate::sys_bpf::bpf_load_device_program(&policy.program())?;
    // The attachment holds the program: our descriptor may close.
    crate::sys_bpf::bpf_attach_device_program(group.as_fd(), prog.as_fd())
}

#[cfg(test)]
mod tests {
    use super::*;
    use lxc_config::Origin;
    use std::fs;
    use std::path::Path;

    fn setting(version: CgroupVersion, key: &str, value: &str, line: usize) -> CgroupSetting {
        CgroupSetting {
            version,
            key: key.into(),
            value: value.into(),
            origin: Origin {
                source: "c.conf".into(),
                line,
            },
        }
    }

    #[test]
    fn refused_before_anything_is_made() {
        let groups = [GroupView {
            dir: Path::new("/sys/fs/cgroup/lxc/c"),
            unified: true,
            controllers: 0,
        }];
        let plan_one = |s| plan(&groups, &[s]).unwrap_err();
        assert_eq!(
            plan_one(setting(CgroupVersion::V1, "memory.limit_in_bytes", "1", 3)),
            "c.conf:3: lxc.cgroup.memory.limit_in_bytes: this host has no cgroup v1 memory \
             hierarchy"
        );
        assert!(plan_one(setting(CgroupVersion::V2, "cgroup.procs", "1", 4))
            .starts_with("c.conf:4: lxc.cgroup2.cgroup.procs: this file is the container"));
        assert!(
            plan_one(setting(CgroupVersion::V2, "devices.deny", "x 1:3", 5))
                .contains("is no device rule")
        );
        assert!(plan_one(setting(CgroupVersion::V2, "devices.list", "a", 5))
            .contains("cgroup2 takes devices.allow and devices.deny"));
        let ok = plan(
            &groups,
            &[setting(CgroupVersion::V2, "devices.deny", "c 1:5 rwm", 5)],
        );
        assert!(ok.unwrap().devices.is_some());
        assert_eq!(
            plan(&[], &[setting(CgroupVersion::V2, "memory.max", "1", 6)]).unwrap_err(),
            "c.conf:6: lxc.cgroup2.memory.max: this host has no cgroup2 hierarchy"
        );
    }

    /// A pure cgroup2 host's group as files: the limits land in order, the controller is
    /// enabled in the parent first, and a refused write names line, key, file and reason.
    #[test]
    fn applied_in_order_on_a_cgroup2_fixture() {
        let base = std::env::temp_dir().join(format!("lxc-cglimits-{}", std::process::id()));
        let dir = base.join("c");
        fs::create_dir_all(&dir).unwrap();
        fs::write(base.join("cgroup.controllers"), "cpu memory pids\n").unwrap();
        fs::write(base.join("cgroup.subtree_control"), "").unwrap();
        fs::write(dir.join("pids.max"), "max\n").unwrap();
        fs::write(dir.join("cgroup.max.depth"), "max\n").unwrap();
        let groups = [GroupView {
            dir: &dir,
            unified: true,
            controllers: 0,
        }];
        let limits = plan(
            &groups,
            &[
                setting(CgroupVersion::V2, "pids.max", "20", 1),
                setting(CgroupVersion::V2, "cgroup.max.depth", "2", 2),
            ],
        )
        .unwrap();
        apply(&limits).unwrap();
        assert_eq!(fs::read_to_string(dir.join("pids.max")).unwrap(), "20");
        assert_eq!(
            fs::read_to_string(dir.join("cgroup.max.depth")).unwrap(),
            "2"
        );
        // memory.max is missing (the controller was not enabled): enabling it is tried first.
        let limits = plan(
            &groups,
            &[setting(CgroupVersion::V2, "memory.max", "1G", 7)],
        )
        .unwrap();
        let err = apply(&limits).unwrap_err();
        assert_eq!(
            fs::read_to_string(base.join("cgroup.subtree_control")).unwrap(),
            "+memory"
        );
        assert!(
            err.starts_with("c.conf:7: lxc.cgroup2.memory.max = \"1G\": write ")
                && err.ends_with("/c/memory.max: No such file or directory"),
            "{err}"
        );
        let limits = plan(&groups, &[setting(CgroupVersion::V2, "io.max", "x", 8)]).unwrap();
        assert!(apply(&limits)
            .unwrap_err()
            .contains("controller io is not available"));
        fs::remove_dir_all(&base).unwrap();
    }
}
