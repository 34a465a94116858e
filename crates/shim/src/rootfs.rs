//! The container's filesystem, made by its init inside the new mount namespace (every mount is
//! private there, so nothing reaches the host or another container, and everything goes when
//! the namespace ends): the rootfs bound onto itself, /dev (autodev), /proc, /sys, the fstab
//! and `lxc.mount.entry` mounts, the container's own cgroups, then pivot_root into it with the
//! old root detached.
//!
//! Every target inside the rootfs is resolved with `openat2(RESOLVE_IN_ROOT)`, as if the rootfs
//! were `/`, and mounted through the resulting descriptor (`/proc/self/fd/N`); missing
//! directories and files are created relative to descriptors resolved the same way. So a
//! symlink in the rootfs, even one swapped while the container starts, can never lead a mount
//! or a mkdir out of it.
use crate::mounts::FsPlan;
use lxc_config::mount::{Create, MountEntry};
use lxc_config::Access;
use nix::errno::Errno;
use nix::fcntl::{openat, openat2, OFlag, OpenHow, ResolveFlag};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::stat::{makedev, mkdirat, mknodat, Mode, SFlag};
use nix::unistd::{chdir, chroot, fchdir, pivot_root, symlinkat};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// What `set_up` reports besides success: a reason it had to degrade (logged by the shim).
pub type Warning = Option<String>;

/// A failed step and its errno.
pub type StepError = (String, Errno);

fn step(what: impl Fn() -> String) -> impl Fn(Errno) -> StepError {
    move |e| (what(), e)
}

/// The root every target is resolved in: the rootfs, or the host's `/`.
struct Root {
    path: PathBuf,
    fd: OwnedFd,
}

/// A resolved target: its descriptor (O_PATH) and how to name it in messages.
struct Target {
    fd: OwnedFd,
    shown: PathBuf,
}

impl Target {
    /// The path mount(2) follows to the resolved object.
    fn proc_path(&self) -> String {
        format!("/proc/self/fd/{}", self.fd.as_raw_fd())
    }
}

fn in_root() -> OpenHow {
    OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS)
}

impl Root {
    fn open(path: &Path) -> Result<Root, StepError> {
        let fd = nix::fcntl::open(
            path,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(step(|| format!("open the root {}", path.display())))?;
        Ok(Root {
            path: path.to_path_buf(),
            fd,
        })
    }

    /// `rel` as a user reads it: below the root's path.
    fn show(&self, rel: &str) -> PathBuf {
        self.path.join(rel.trim_start_matches('/'))
    }

    /// Resolves `rel` inside the root (as if the root were `/`).
    fn resolve(&self, rel: &str) -> Result<Target, StepError> {
        let clean = rel.trim_start_matches('/');
        let path = if clean.is_empty() { "." } else { clean };
        let fd = openat2(self.fd.as_fd(), path, in_root()).map_err(step(|| {
            format!("mount target {}", self.show(rel).display())
        }))?;
        Ok(Target {
            fd,
            shown: self.show(rel),
        })
    }

    /// Makes directory `rel` and its missing parents inside the root, like `mkdir -p` in a
    /// chroot: each missing component is made with mkdirat in its parent as resolved inside
    /// the root, so a symlink can redirect a component only to another place inside it.
    fn make_dirs(&self, rel: &str) -> Result<(), StepError> {
        let what = || format!("create {}", self.show(rel).display());
        let mut parent = self.resolve("/")?.fd;
        let mut so_far = String::new();
        for comp in rel.split('/').filter(|c| !c.is_empty() && *c != ".") {
            so_far.push('/');
            so_far.push_str(comp);
            let dir_how = in_root().flags(OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC);
            parent = match openat2(self.fd.as_fd(), so_far.as_str(), dir_how) {
                Ok(fd) => fd,
                Err(Errno::ENOENT) => {
                    match mkdirat(parent.as_fd(), comp, Mode::from_bits_truncate(0o755)) {
                        // EEXIST with ENOENT above: a dangling symlink. Creating its target
                        // would mean following it by hand; refuse instead.
                        Ok(()) | Err(Errno::EEXIST) => {}
                        Err(e) => return Err((what(), e)),
                    }
                    openat2(self.fd.as_fd(), so_far.as_str(), dir_how).map_err(step(what))?
                }
                Err(e) => return Err((what(), e)),
            };
        }
        Ok(())
    }

    /// Makes an empty file `rel` (and its directory) inside the root unless something is
    /// there already; never through a dangling symlink.
    fn make_file(&self, rel: &str) -> Result<(), StepError> {
        let clean = rel.trim_start_matches('/');
        if self.resolve(clean).is_ok() {
            return Ok(());
        }
        let (dir, name) = clean.rsplit_once('/').unwrap_or(("", clean));
        self.make_dirs(dir)?;
        // An O_PATH descriptor serves as the base of an *at call (openat(2)).
        let parent = self.resolve(dir)?;
        let flags =
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        openat(
            parent.fd.as_fd(),
            name,
            flags,
            Mode::from_bits_truncate(0o644),
        )
        .map(drop)
        .map_err(step(|| format!("create {}", self.show(rel).display())))
    }
}

/// Runs the plan. The caller has made every mount private already.
pub fn set_up(plan: &FsPlan) -> Result<Warning, StepError> {
    let root_path = plan.rootfs.clone().unwrap_or_else(|| PathBuf::from("/"));
    if let Some(r) = &plan.rootfs {
        match std::fs::metadata(r) {
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
    // Opened after the bind, so that everything below lands in the mount pivot_root uses.
    let root = Root::open(&root_path)?;
    if plan.autodev {
        make_dev(&root)?;
    }
    if let Some(mode) = plan.proc {
        mount_proc(&root, mode)?;
    }
    if let Some(access) = plan.sys {
        let target = root.resolve("sys")?;
        let mut flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
        if access != Access::Rw {
            flags |= MsFlags::MS_RDONLY;
        }
        mount(
            Some("sysfs"),
            target.proc_path().as_str(),
            Some("sysfs"),
            flags,
            None::<&str>,
        )
        .map_err(step(|| {
            format!("mount sysfs on {}", target.shown.display())
        }))?;
    }
    for m in &plan.mounts {
        mount_entry(m, &root)?;
    }
    if let Some(access) = plan.cgroup {
        mount_cgroups(&root, &plan.cgroup_dirs, access != Access::Ro)?;
    }
    let mut warning = None;
    if plan.rootfs.is_some() {
        warning = enter_rootfs(&root)?;
    }
    drop(root);
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

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

fn mount_proc(root: &Root, mode: Access) -> Result<(), StepError> {
    let target = root.resolve("proc")?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(
        Some("proc"),
        target.proc_path().as_str(),
        Some("proc"),
        flags,
        None::<&str>,
    )
    .map_err(step(|| format!("mount {}", target.shown.display())))?;
    if mode != Access::Rw {
        // The container shares the host's kernel: its sysctls and sysrq stay read-only.
        for p in ["proc/sys", "proc/sysrq-trigger"] {
            if let Ok(t) = root.resolve(p) {
                bind_readonly(root, &t.proc_path(), p)?;
            }
        }
    }
    Ok(())
}

/// Binds `src` on the target `rel` inside the root and makes the bind read-only (a bind
/// ignores MS_RDONLY: it takes a remount, of the new mount, so the target is resolved again).
fn bind_readonly(root: &Root, src: &str, rel: &str) -> Result<(), StepError> {
    let target = root.resolve(rel)?;
    mount(
        Some(src),
        target.proc_path().as_str(),
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(step(|| format!("bind {src} on {}", target.shown.display())))?;
    remount(
        root,
        rel,
        MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
    )
}

/// Remounts the bind mount at `rel` with `flags`.
fn remount(root: &Root, rel: &str, flags: MsFlags) -> Result<(), StepError> {
    let top = root.resolve(rel)?;
    mount(
        None::<&str>,
        top.proc_path().as_str(),
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | flags,
        None::<&str>,
    )
    .map_err(step(|| format!("remount {}", top.shown.display())))
}

/// A tmpfs /dev with the usual nodes, a private devpts, /dev/shm and the usual links.
fn make_dev(root: &Root) -> Result<(), StepError> {
    root.make_dirs("dev")?;
    let target = root.resolve("dev")?;
    mount(
        Some("tmpfs"),
        target.proc_path().as_str(),
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("mode=755,size=500k"),
    )
    .map_err(step(|| {
        format!("mount tmpfs on {}", target.shown.display())
    }))?;
    // The new, empty tmpfs (resolved again to get it rather than what it covers): nothing
    // in it can be a symlink yet.
    let dev = root.resolve("dev")?;
    let devdir = &dev.fd;
    let shown = |n: &str| dev.shown.join(n).display().to_string();
    for (name, major, minor) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ] {
        mknodat(
            devdir.as_fd(),
            name,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(major, minor),
        )
        .map_err(step(|| format!("create {}", shown(name))))?;
        // mknod's mode is cut by the umask.
        nix::sys::stat::fchmodat(
            devdir.as_fd(),
            name,
            Mode::from_bits_truncate(0o666),
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        )
        .map_err(step(|| format!("chmod {}", shown(name))))?;
    }
    for d in ["pts", "shm"] {
        mkdirat(devdir.as_fd(), d, Mode::from_bits_truncate(0o755))
            .map_err(step(|| format!("create {}", shown(d))))?;
    }
    let pts = root.resolve("dev/pts")?;
    mount(
        Some("devpts"),
        pts.proc_path().as_str(),
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(step(|| format!("mount devpts on {}", pts.shown.display())))?;
    let shm = root.resolve("dev/shm")?;
    mount(
        Some("shm"),
        shm.proc_path().as_str(),
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("mode=1777"),
    )
    .map_err(step(|| format!("mount tmpfs on {}", shm.shown.display())))?;
    for (link, to) in [
        ("ptmx", "pts/ptmx"),
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        symlinkat(to, devdir.as_fd(), link).map_err(step(|| format!("create {}", shown(link))))?;
    }
    Ok(())
}

fn mount_entry(m: &MountEntry, root: &Root) -> Result<(), StepError> {
    let shown = root.show(&m.target);
    let what = || format!("{}: mount {} on {}", m.origin, m.source, shown.display());
    if m.is_bind() && !Path::new(&m.source).exists() {
        if m.optional {
            return Ok(());
        }
        return Err((
            format!("{}: bind source {}", m.origin, m.source),
            Errno::ENOENT,
        ));
    }
    let created = match m.create {
        Some(Create::Dir) => root.make_dirs(&m.target),
        Some(Create::File) => root.make_file(&m.target),
        None => Ok(()),
    };
    if let Err((what, e)) = created {
        return Err((format!("{}: {what}", m.origin), e));
    }
    let target = match root.resolve(&m.target) {
        Ok(t) => t,
        Err(_) if m.optional => return Ok(()),
        Err((_, e)) => return Err((format!("{}: mount target {}", m.origin, shown.display()), e)),
    };
    let flags = MsFlags::from_bits_truncate(m.flags as libc::c_ulong);
    let data = (!m.data.is_empty()).then_some(m.data.as_str());
    let result = if m.is_bind() {
        let bind = flags & (MsFlags::MS_BIND | MsFlags::MS_REC);
        mount(
            Some(m.source.as_str()),
            target.proc_path().as_str(),
            None::<&str>,
            bind,
            None::<&str>,
        )
        .and_then(|_| {
            let rest = flags - (MsFlags::MS_BIND | MsFlags::MS_REC);
            if rest.is_empty() {
                return Ok(());
            }
            // Per-mount flags of a bind (ro, nosuid, ...) only take with a remount.
            remount(root, &m.target, rest).map_err(|(_, e)| e)
        })
    } else {
        mount(
            Some(m.source.as_str()),
            target.proc_path().as_str(),
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
fn mount_cgroups(root: &Root, dirs: &[(String, PathBuf)], rw: bool) -> Result<(), StepError> {
    let at = "sys/fs/cgroup";
    root.make_dirs(at)?;
    let target = root.resolve(at)?;
    let tmpfs_flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    mount(
        Some("cgroup"),
        target.proc_path().as_str(),
        Some("tmpfs"),
        tmpfs_flags,
        Some("mode=755,size=64k"),
    )
    .map_err(step(|| {
        format!("mount tmpfs on {}", target.shown.display())
    }))?;
    for (name, host) in dirs {
        let rel = format!("{at}/{name}");
        root.make_dirs(&rel)?;
        let host = host.display().to_string();
        if rw {
            let t = root.resolve(&rel)?;
            mount(
                Some(host.as_str()),
                t.proc_path().as_str(),
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(step(|| format!("bind {host} on {}", t.shown.display())))?;
        } else {
            bind_readonly(root, &host, &rel)?;
        }
    }
    let top = root.resolve(at)?;
    mount(
        None::<&str>,
        top.proc_path().as_str(),
        None::<&str>,
        MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | tmpfs_flags,
        Some("mode=755,size=64k"),
    )
    .map_err(step(|| format!("make {} read-only", top.shown.display())))
}

const RAMFS_MAGIC: i64 = 0x8584_58f6;
const TMPFS_MAGIC: i64 = 0x0102_1994;

/// pivot_root into the rootfs with the old root detached (a plain chroot can be escaped).
/// Where the current root is the initial ramfs pivot_root cannot work: move the rootfs over /
/// and chroot, and say so.
fn enter_rootfs(root: &Root) -> Result<Warning, StepError> {
    let r = &root.path;
    fchdir(root.fd.as_fd()).map_err(step(|| format!("chdir {}", r.display())))?;
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
