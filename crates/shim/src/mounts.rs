//! The container's filesystem, made by its init inside the new mount namespace (every mount
//! is private there, so nothing reaches the host or another container, and everything goes
//! when the namespace ends): the rootfs bound onto itself, /dev (autodev), /proc, /sys, the
//! fstab and `lxc.mount.entry` mounts, the container's own cgroups, then pivot_root into it
//! with the old root detached. `plan` is pure; `set_up` runs in the init only.
use lxc_config::mount::{Create, MountEntry};
use lxc_config::{Access, Settings};
use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use nix::unistd::{chdir, chroot, pivot_root};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

/// Everything the init mounts, decided before the clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsPlan {
    pub rootfs: Option<PathBuf>,
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

/// What `set_up` reports besides success: a reason it had to degrade (logged by the shim).
pub type Warning = Option<String>;

/// A failed step and its errno.
pub type StepError = (String, Errno);

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
        readonly_root: settings.rootfs_readonly,
        autodev: settings.autodev.unwrap_or(settings.rootfs.is_some()),
        proc: auto.proc,
        sys: auto.sys,
        cgroup: auto.cgroup,
        cgroup_dirs,
        mounts,
    }
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

fn step(what: impl Fn() -> String) -> impl Fn(Errno) -> StepError {
    move |e| (what(), e)
}

/// Path `p` (absolute or not) inside `root`.
fn inside(root: &Path, p: &str) -> PathBuf {
    root.join(p.trim_start_matches('/'))
}

/// Runs the plan. The caller has made every mount private already.
pub fn set_up(plan: &FsPlan) -> Result<Warning, StepError> {
    let root = plan.rootfs.clone().unwrap_or_else(|| PathBuf::from("/"));
    if let Some(r) = &plan.rootfs {
        match fs::metadata(r) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err((format!("rootfs {}", r.display()), Errno::ENOTDIR)),
            Err(e) => return Err((format!("rootfs {}", r.display()), errno_of(&e))),
        }
        // pivot_root needs a mount point; the bind also keeps later mounts below it.
        mount(
            Some(r),
            r,
            None::<&str>,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None::<&str>,
        )
        .map_err(step(|| format!("bind the rootfs {}", r.display())))?;
    }
    if plan.autodev {
        make_dev(&inside(&root, "dev"))?;
    }
    if let Some(mode) = plan.proc {
        mount_proc(&inside(&root, "proc"), mode)?;
    }
    if let Some(access) = plan.sys {
        let target = inside(&root, "sys");
        let mut flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
        if access != Access::Rw {
            flags |= MsFlags::MS_RDONLY;
        }
        mount(Some("sysfs"), &target, Some("sysfs"), flags, None::<&str>)
            .map_err(step(|| format!("mount sysfs on {}", target.display())))?;
    }
    for m in &plan.mounts {
        mount_entry(m, &root, plan.rootfs.is_some())?;
    }
    if let Some(access) = plan.cgroup {
        let rw = access != Access::Ro;
        mount_cgroups(&inside(&root, "sys/fs/cgroup"), &plan.cgroup_dirs, rw)?;
    }
    let mut warning = None;
    if let Some(r) = &plan.rootfs {
        warning = enter_rootfs(r)?;
    }
    if plan.readonly_root {
        mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REMOUNT | MsFlags::MS_BIND | MsFlags::MS_RDONLY,
            None::<&str>,
        )
        .map_err(step(|| "remount the rootfs read-only".to_string()))?;
    }
    Ok(warning)
}

fn mount_proc(target: &Path, mode: Access) -> Result<(), StepError> {
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(Some("proc"), target, Some("proc"), flags, None::<&str>)
        .map_err(step(|| format!("mount {}", target.display())))?;
    if mode != Access::Rw {
        // The container shares the host's kernel: its sysctls and sysrq stay read-only.
        for p in ["sys", "sysrq-trigger"] {
            let p = target.join(p);
            if p.exists() {
                bind_readonly(&p, &p)?;
            }
        }
    }
    Ok(())
}

/// A bind mount made read-only (a bind ignores MS_RDONLY: it takes a remount).
fn bind_readonly(src: &Path, target: &Path) -> Result<(), StepError> {
    mount(
        Some(src),
        target,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(step(|| {
        format!("bind {} on {}", src.display(), target.display())
    }))?;
    let ro = MsFlags::MS_BIND
        | MsFlags::MS_REMOUNT
        | MsFlags::MS_RDONLY
        | MsFlags::MS_NOSUID
        | MsFlags::MS_NODEV
        | MsFlags::MS_NOEXEC;
    mount(None::<&str>, target, None::<&str>, ro, None::<&str>)
        .map_err(step(|| format!("make {} read-only", target.display())))
}

/// A tmpfs /dev with the usual nodes, a private devpts, /dev/shm and the usual links.
fn make_dev(dev: &Path) -> Result<(), StepError> {
    fs::create_dir_all(dev).map_err(|e| (format!("create {}", dev.display()), errno_of(&e)))?;
    mount(
        Some("tmpfs"),
        dev,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("mode=755,size=500k"),
    )
    .map_err(step(|| format!("mount tmpfs on {}", dev.display())))?;
    for (name, major, minor) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ] {
        let p = dev.join(name);
        mknod(
            &p,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(major, minor),
        )
        .map_err(step(|| format!("create {}", p.display())))?;
        // mknod's mode is cut by the umask.
        fs::set_permissions(&p, fs::Permissions::from_mode(0o666))
            .map_err(|e| (format!("chmod {}", p.display()), errno_of(&e)))?;
    }
    for d in ["pts", "shm"] {
        fs::create_dir(dev.join(d))
            .map_err(|e| (format!("create {}/{d}", dev.display()), errno_of(&e)))?;
    }
    let pts = dev.join("pts");
    mount(
        Some("devpts"),
        &pts,
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(step(|| format!("mount devpts on {}", pts.display())))?;
    let shm = dev.join("shm");
    mount(
        Some("shm"),
        &shm,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=1777"),
    )
    .map_err(step(|| format!("mount tmpfs on {}", shm.display())))?;
    for (link, to) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        let p = dev.join(link);
        symlink(to, &p).map_err(|e| (format!("create {}", p.display()), errno_of(&e)))?;
    }
    Ok(())
}

fn mount_entry(m: &MountEntry, root: &Path, has_rootfs: bool) -> Result<(), StepError> {
    let target = inside(root, &m.target);
    let what = || format!("{}: mount {} on {}", m.origin, m.source, target.display());
    if m.is_bind() && !Path::new(&m.source).exists() {
        if m.optional {
            return Ok(());
        }
        return Err((
            format!("{}: bind source {}", m.origin, m.source),
            Errno::ENOENT,
        ));
    }
    match m.create {
        Some(Create::Dir) => fs::create_dir_all(&target).map_err(|e| {
            (
                format!("{}: create {}", m.origin, target.display()),
                errno_of(&e),
            )
        })?,
        Some(Create::File) => {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(|e| {
                    (
                        format!("{}: create {}", m.origin, parent.display()),
                        errno_of(&e),
                    )
                })?;
            }
            if !target.exists() {
                fs::File::create(&target).map_err(|e| {
                    (
                        format!("{}: create {}", m.origin, target.display()),
                        errno_of(&e),
                    )
                })?;
            }
        }
        None => {}
    }
    if !target.exists() {
        if m.optional {
            return Ok(());
        }
        return Err((
            format!("{}: mount target {}", m.origin, target.display()),
            Errno::ENOENT,
        ));
    }
    if has_rootfs {
        // A symlink in the rootfs must not lead a mount out of it onto the host.
        let real = fs::canonicalize(&target).map_err(|e| (what(), errno_of(&e)))?;
        let real_root = fs::canonicalize(root).map_err(|e| (what(), errno_of(&e)))?;
        if !real.starts_with(&real_root) {
            return Err((
                format!(
                    "{}: mount target {} leads out of the rootfs",
                    m.origin,
                    target.display()
                ),
                Errno::EXDEV,
            ));
        }
    }
    let flags = MsFlags::from_bits_truncate(m.flags as libc::c_ulong);
    let data = (!m.data.is_empty()).then_some(m.data.as_str());
    let result = if m.is_bind() {
        let bind = flags & (MsFlags::MS_BIND | MsFlags::MS_REC);
        mount(
            Some(m.source.as_str()),
            &target,
            None::<&str>,
            bind,
            None::<&str>,
        )
        .and_then(|_| {
            let rest = flags - (MsFlags::MS_BIND | MsFlags::MS_REC);
            if rest.is_empty() {
                Ok(())
            } else {
                // Per-mount flags of a bind (ro, nosuid, ...) only take with a remount.
                mount(
                    None::<&str>,
                    &target,
                    None::<&str>,
                    MsFlags::MS_BIND | MsFlags::MS_REMOUNT | rest,
                    None::<&str>,
                )
            }
        })
    } else {
        mount(
            Some(m.source.as_str()),
            &target,
            Some(m.fstype.as_str()),
            flags,
            data,
        )
    };
    match result {
        Ok(()) => Ok(()),
        Err(_) if m.optional => Ok(()),
        Err(e) => Err((what(), e)),
    }
}

/// The container's own groups, each bound on a directory named after its hierarchy's mount
/// (`unified`, `freezer`, `cpu,cpuacct`...), on a tmpfs at /sys/fs/cgroup.
fn mount_cgroups(at: &Path, dirs: &[(String, PathBuf)], rw: bool) -> Result<(), StepError> {
    fs::create_dir_all(at).map_err(|e| (format!("create {}", at.display()), errno_of(&e)))?;
    mount(
        Some("cgroup"),
        at,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=755,size=64k"),
    )
    .map_err(step(|| format!("mount tmpfs on {}", at.display())))?;
    for (name, host) in dirs {
        let t = at.join(name);
        fs::create_dir(&t).map_err(|e| (format!("create {}", t.display()), errno_of(&e)))?;
        if rw {
            mount(Some(host), &t, None::<&str>, MsFlags::MS_BIND, None::<&str>).map_err(step(
                || format!("bind {} on {}", host.display(), t.display()),
            ))?;
        } else {
            bind_readonly(host, &t)?;
        }
    }
    let ro = MsFlags::MS_REMOUNT
        | MsFlags::MS_RDONLY
        | MsFlags::MS_NOSUID
        | MsFlags::MS_NODEV
        | MsFlags::MS_NOEXEC;
    mount(
        None::<&str>,
        at,
        None::<&str>,
        ro,
        Some("mode=755,size=64k"),
    )
    .map_err(step(|| format!("make {} read-only", at.display())))
}

const RAMFS_MAGIC: i64 = 0x8584_58f6;
const TMPFS_MAGIC: i64 = 0x0102_1994;

/// pivot_root into the rootfs with the old root detached (a plain chroot can be escaped).
/// Where the current root is the initial ramfs pivot_root cannot work: move the rootfs over /
/// and chroot, and say so.
fn enter_rootfs(r: &Path) -> Result<Warning, StepError> {
    chdir(r).map_err(step(|| format!("chdir {}", r.display())))?;
    match pivot_root(".", ".") {
        Ok(()) => {
            // The old root is stacked below the new one at "/": detach it.
            umount2(".", MntFlags::MNT_DETACH)
                .map_err(step(|| "detach the old root".to_string()))?;
            chdir("/").map_err(step(|| "chdir /".to_string()))?;
            Ok(None)
        }
        Err(Errno::EINVAL) if on_initramfs() => {
            mount(Some("."), "/", None::<&str>, MsFlags::MS_MOVE, None::<&str>)
                .map_err(step(|| format!("move {} to /", r.display())))?;
            chroot(".").map_err(step(|| format!("chroot {}", r.display())))?;
            chdir("/").map_err(step(|| "chdir /".to_string()))?;
            Ok(Some(format!(
                "the host's root is the initial ramfs, where pivot_root(2) cannot work: entered {} with chroot",
                r.display()
            )))
        }
        Err(e) => Err((format!("pivot_root into {}", r.display()), e)),
    }
}

fn on_initramfs() -> bool {
    nix::sys::statfs::statfs("/")
        .map(|s| matches!(s.filesystem_type().0, RAMFS_MAGIC | TMPFS_MAGIC))
        .unwrap_or(false)
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

    #[test]
    fn targets_stay_inside_the_root() {
        assert_eq!(
            inside(Path::new("/srv/r"), "/mnt/x"),
            Path::new("/srv/r/mnt/x")
        );
        assert_eq!(
            inside(Path::new("/srv/r"), "mnt/x"),
            Path::new("/srv/r/mnt/x")
        );
        assert_eq!(inside(Path::new("/"), "/mnt/x"), Path::new("/mnt/x"));
    }
}
