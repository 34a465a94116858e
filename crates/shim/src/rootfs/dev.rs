//! autodev: a tmpfs /dev in the container with the usual nodes, a private devpts instance,
//! /dev/shm and the usual links.
use super::error::{step, StepError};
use super::inroot::Root;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::{makedev, mkdirat, mknodat, Mode, SFlag};
use nix::unistd::symlinkat;
use std::os::fd::AsFd;

/// A tmpfs /dev with the usual nodes, a private devpts, /dev/shm and the usual links.
pub(super) fn make_dev(root: &Root) -> Result<(), StepError> {
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
        match mknodat(
            devdir.as_fd(),
            name,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            makedev(major, minor),
        ) {
            Ok(()) => {}
            // In a user namespace no device node can be made: the host's is bound instead.
            Err(nix::errno::Errno::EPERM) => {
                bind_host_node(root, devdir, name)?;
                continue;
            }
            Err(e) => return Err((format!("create {}", shown(name)), e)),
        }
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

/// Binds the host's `/dev/NAME` on an empty file of that name in the container's /dev.
fn bind_host_node(root: &Root, devdir: &std::os::fd::OwnedFd, name: &str) -> Result<(), StepError> {
    let rel = format!("dev/{name}");
    let flags = nix::fcntl::OFlag::O_CREAT
        | nix::fcntl::OFlag::O_EXCL
        | nix::fcntl::OFlag::O_WRONLY
        | nix::fcntl::OFlag::O_CLOEXEC;
    let file = nix::fcntl::openat(devdir.as_fd(), name, flags, Mode::from_bits_truncate(0o666))
        .map_err(step(|| format!("create {}", root.show(&rel).display())))?;
    drop(file);
    let target = root.resolve(&rel)?;
    let host = format!("/dev/{name}");
    mount(
        Some(host.as_str()),
        target.proc_path().as_str(),
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(step(|| {
        format!("bind {host} on {}", target.shown.display())
    }))
}
