//! What the container's init mounts, decided before the clone from the config: the rootfs,
//! /dev (autodev), /proc, /sys, the fstab and `lxc.mount.entry` mounts and the container's own
//! cgroups. Pure; `rootfs::set_up` carries the plan out in the init.
use lxc_config::mount::MountEntry;
use lxc_config::{Access, Settings};
use std::path::PathBuf;

/// Everything the init mounts, decided before the clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsPlan {
    pub rootfs: Option<PathBuf>,
    /// `(upper, work)` of an overlay rootfs: mounted over `rootfs`, its lower directory.
    pub overlay: Option<(PathBuf, PathBuf)>,
    pub readonly_root: bool,
    pub autodev: bool,
    /// /proc: `Rw`, or else /proc/sys and /proc/sysrq-trigger read-only.
    pub proc: Option<Access>,
    /// sysfs: writable only for `Rw`.
    pub sys: Option<Access>,
    /// The container's own cgroups under /sys/fs/cgroup: read-only for `Ro`, else writable
    /// (`mixed` is LXC's "own cgroup writable", and the own cgroup is all we bind).
    pub cgroup: Option<Access>,
    /// (directory name under /sys/fs/cgroup, the container's group on the host).
    pub cgroup_dirs: Vec<(String, PathBuf)>,
    pub mounts: Vec<MountEntry>,
}

/// Decides the mounts from the config: `lxc.mount.auto` as `Settings::mount_auto` gives it
/// (unset means `proc`); autodev is on by default when there is a rootfs.
pub fn plan(
    settings: &Settings,
    mounts: Vec<MountEntry>,
    cgroup_dirs: Vec<(String, PathBuf)>,
) -> FsPlan {
    let auto = settings.mount_auto();
    FsPlan {
        rootfs: settings.rootfs.as_ref().map(PathBuf::from),
        // LXC's layout: the work directory `olwork` beside the upper one.
        overlay: settings.rootfs_overlay_upper.as_ref().map(|u| {
            let upper = PathBuf::from(u);
            let work = upper.parent().unwrap_or(&upper).join("olwork");
            (upper, work)
        }),
        readonly_root: settings.rootfs_readonly,
        autodev: settings.autodev.unwrap_or(settings.rootfs.is_some()),
        proc: auto.proc,
        sys: auto.sys,
        cgroup: auto.cgroup,
        cgroup_dirs,
        mounts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lxc_config::MountAuto;

    fn settings(f: impl FnOnce(&mut Settings)) -> Settings {
        let mut s = Settings::default();
        f(&mut s);
        s
    }

    #[test]
    fn defaults() {
        let p = plan(&Settings::default(), vec![], vec![]);
        assert_eq!(p.proc, Some(Access::Mixed));
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
                s.rootfs_readonly = true;
                s.mount_auto = Some(MountAuto {
                    proc: Some(Access::Rw),
                    sys: Some(Access::Rw),
                    cgroup: Some(Access::Ro),
                });
            }),
            vec![],
            vec![],
        );
        assert!(!p.autodev && p.readonly_root);
        assert_eq!(
            (p.proc, p.sys, p.cgroup),
            (Some(Access::Rw), Some(Access::Rw), Some(Access::Ro))
        );
        let p = plan(
            &settings(|s| {
                s.mount_auto = Some(MountAuto {
                    sys: Some(Access::Mixed),
                    ..MountAuto::default()
                })
            }),
            vec![],
            vec![],
        );
        assert_eq!(
            (p.proc, p.sys),
            (None, Some(Access::Mixed)),
            "an explicit list is exactly what is mounted"
        );
    }
}
