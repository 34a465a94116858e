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
mod dev;
mod error;
mod inroot;

use crate::mounts::FsPlan;
use error::step;
pub use error::{SetupError, StepError, Warning};
use inroot::Root;
use lxc_config::mount::{Create, MountEntry};
use lxc_config::{Access, HookKind};
use nix::errno::Errno;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::unistd::{chdir, chroot, fchdir, pivot_root};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

/// Runs the plan, with the hooks of the mount namespace at their moments: `pre-mount` before
/// anything, `mount` once everything is mounted, `autodev` after it when /dev was made, all
/// before pivot_root. The caller has made every mount private already.
pub fn set_up(
    plan: &FsPlan,
    hook: &mut dyn FnMut(HookKind) -> Result<(), String>,
) -> Result<Warning, SetupError> {
    let root_path = plan.rootfs.clone().unwrap_or_else(|| PathBuf::from("/"));
    hook(HookKind::PreMount).map_err(SetupError::Hook)?;
    if let Some(r) = &plan.rootfs {
        match std::fs::metadata(r) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err((format!("rootfs {}", r.display()), Errno::ENOTDIR).into()),
            Err(e) => return Err((format!("rootfs {}", r.display()), errno_of(&e)).into()),
        }
        if let Some((upper, work)) = &plan.overlay {
            // An overlay clone: its delta over the original's rootfs, mounted on the lower
            // directory itself (in this mount namespace only) and so a mount point already.
            let data = format!(
                "lowerdir={},upperdir={},workdir={}",
                r.display(),
                upper.display(),
                work.display()
            );
            mount(
                Some("overlay"),
                r,
                Some("overlay"),
                MsFlags::empty(),
                Some(data.as_str()),
            )
            .map_err(step(|| {
                format!("mount the overlay rootfs on {}", r.display())
            }))?;
        } else {
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
    }
    // Opened after the bind, so that everything below lands in the mount pivot_root uses.
    let root = Root::open(&root_path)?;
    if plan.autodev {
        dev::make_dev(&root)?;
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
        match mount(
            Some("sysfs"),
            target.proc_path().as_str(),
            Some("sysfs"),
            flags,
            None::<&str>,
        ) {
            Ok(()) => {}
            // A user namespace sharing the host's network may not mount sysfs (it belongs to
            // the network namespace's owner): the host's /sys is bound instead.
            Err(Errno::EPERM) => bind_host_sys(&root, access)?,
            Err(e) => return Err((format!("mount sysfs on {}", target.shown.display()), e).into()),
        }
    }
    for m in &plan.mounts {
        mount_entry(m, &root)?;
    }
    if let Some(access) = plan.cgroup {
        mount_cgroups(&root, &plan.cgroup_dirs, access != Access::Ro)?;
    }
    hook(HookKind::Mount).map_err(SetupError::Hook)?;
    if plan.autodev {
        hook(HookKind::Autodev).map_err(SetupError::Hook)?;
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

/// The host's /sys with what is mounted below it, read-only unless `access` is `Rw`.
fn bind_host_sys(root: &Root, access: Access) -> Result<(), StepError> {
    let target = root.resolve("sys")?;
    mount(
        Some("/sys"),
        target.proc_path().as_str(),
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(step(|| format!("bind /sys on {}", target.shown.display())))?;
    if access == Access::Rw {
        return Ok(());
    }
    remount(
        root,
        "sys",
        MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
    )
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
