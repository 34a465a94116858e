//! What the container's init mounts, decided before the clone from the config: the rootfs,
//! /dev (autodev), /proc, /sys, the fstab and `lxc.mount.entry` mounts and the container's own
//! cgroups. Pure; `rootfs::set_up` carries the plan out in the init.
use lxc_config::mount::MountEntry;
use lxc_config::Settings;
use std::path::PathBuf;

/// How /proc is mounted: `proc:rw`, or `proc`/`proc:mixed` with /proc/sys and
/// /proc/sysrq-trigger read-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcMode {
    Rw,
    Mixed,
}

/// Everything the init mounts, decided before the clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsPlan {
    pub rootfs: Option<PathBuf>,
    pub readonly_root: bool,
    pub autodev: bool,
    pub proc: Option<ProcMode>,
    /// `Some(rw)` to mount sysfs.
    pub sys: Option<bool>,
    /// `Some(rw)` to bind the container's own cgroups under /sys/fs/cgroup.
    pub cgroup: Option<bool>,
    /// (directory name under /sys/fs/cgroup, the container's group on the host).
    pub cgroup_dirs: Vec<(String, PathBuf)>,
    pub mounts: Vec<MountEntry>,
}

/// Decides the mounts from the config: `lxc.mount.auto` unset means `proc`; autodev is on by
/// default when there is a rootfs.
pub fn plan(
    settings: &Settings,
    mounts: Vec<MountEntry>,
    cgroup_dirs: Vec<(String, PathBuf)>,
) -> FsPlan {
    let tokens: Vec<&str> = if settings.mount_auto.is_empty() {
        vec!["proc"]
    } else {
        settings.mount_auto.iter().map(String::as_str).collect()
    };
    let mut p = FsPlan {
        rootfs: settings.rootfs.as_ref().map(PathBuf::from),
        readonly_root: settings
            .rootfs_options
            .as_deref()
            .is_some_and(|o| o.split(',').any(|x| x.trim() == "ro")),
        autodev: settings.autodev.unwrap_or(settings.rootfs.is_some()),
        proc: None,
        sys: None,
        cgroup: None,
        cgroup_dirs,
        mounts,
    };
    for t in tokens {
        match t {
            "proc" | "proc:mixed" => p.proc = Some(ProcMode::Mixed),
            "proc:rw" => p.proc = Some(ProcMode::Rw),
            "sys" | "sys:ro" | "sys:mixed" => p.sys = Some(false),
            "sys:rw" => p.sys = Some(true),
            "cgroup" | "cgroup:ro" => p.cgroup = Some(false),
            "cgroup:rw" | "cgroup:mixed" => p.cgroup = Some(true),
            _ => {}
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(f: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = Settings::default();
        f(&mut s);
        s
    }

    #[test]
    fn defaults() {
        let p = plan(&Settings::default(), vec![], vec![]);
        assert_eq!(p.proc, Some(ProcMode::Mixed));
        assert!(!p.autodev && p.rootfs.is_none() && p.sys.is_none() && !p.readonly_root);
        let p = plan(
            &settings(|s| s.rootfs = Some("/srv/r".into())),
            vec![],
            vec![],
        );
        assert!(p.autodev, "autodev is on by default with a rootfs");
        let p = plan(
            &settings(|s| {
                s.rootfs = Some("/srv/r".into());
                s.autodev = Some(false);
                s.rootfs_options = Some("ro,noatime".into());
                s.mount_auto = vec!["proc:rw".into(), "sys:rw".into(), "cgroup".into()];
            }),
            vec![],
            vec![],
        );
        assert!(!p.autodev && p.readonly_root);
        assert_eq!(
            (p.proc, p.sys, p.cgroup),
            (Some(ProcMode::Rw), Some(true), Some(false))
        );
        let p = plan(
            &settings(|s| s.mount_auto = vec!["sys".into()]),
            vec![],
            vec![],
        );
        assert_eq!(
            (p.proc, p.sys),
            (None, Some(false)),
            "an explicit list is exactly what is mounted"
        );
    }
}
