//! Cgroup delegation of a user-namespace container: its groups are given to its mapped root,
//! so that it manages its own subtree. Root chowns them; a regular user cannot give a file to
//! another uid, so it runs chown as root of a user namespace of its own that maps both itself
//! and the container's root (LXC's way: newuidmap allows the user's own id and its ranges).
use crate::idmap::UserNs;
use nix::errno::Errno;
use nix::unistd::{Gid, Uid};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// What makes a cgroup the container's own to manage: the directory, its members, its
/// children's controllers (the limits the host set stay root's). Not every hierarchy has
/// every file (tasks: v1 only; subtree_control, threads: v2 only). One string, not an array
/// of `&str` (no relocations: docs/CONVENTIONS.md).
const DELEGATED: &str = "cgroup.procs tasks cgroup.subtree_control cgroup.threads";

/// The directory itself (""), then `DELEGATED`.
fn delegated() -> impl Iterator<Item = &'static str> {
    std::iter::once("").chain(DELEGATED.split(' '))
}

/// Whether the shim can make the container's groups below `own` (root can; a regular user
/// where the host delegated `own`, or the containers' parent in it, to it).
pub fn may_make_cgroups(own: &Path) -> bool {
    use nix::unistd::{access, AccessFlags};
    let parent = own.join(crate::cgroup::CONTAINERS);
    let can = |d: &Path| access(d, AccessFlags::W_OK | AccessFlags::X_OK).is_ok();
    nix::unistd::geteuid().is_root() || can(&parent) || (!parent.exists() && can(own))
}

/// Gives the container's cgroups to its root (delegation, as LXC does): the directory and `DELEGATED`.
// Not inlined: its frame would deepen payload::start's, where every init is cloned.
#[inline(never)]
pub fn delegate(dirs: &[PathBuf], ns: &UserNs) -> Result<(), String> {
    if !nix::unistd::geteuid().is_root() {
        return delegate_as_user(dirs, ns);
    }
    let (uid, gid) = (Uid::from_raw(ns.root_uid), Gid::from_raw(ns.root_gid));
    for dir in dirs {
        for name in delegated() {
            let path = dir.join(name);
            match nix::unistd::chown(&path, Some(uid), Some(gid)) {
                Ok(()) => {}
                Err(Errno::ENOENT) if !name.is_empty() => {}
                Err(e) => {
                    return Err(format!(
                        "give {} to the container's root: {}",
                        path.display(),
                        e.desc()
                    ))
                }
            }
        }
    }
    Ok(())
}

/// A regular user's: `chown 0:0` of the groups' files in a user namespace where 0 is the
/// container's root and 1 the user, whose files they are.
fn delegate_as_user(dirs: &[PathBuf], ns: &UserNs) -> Result<(), String> {
    let maps = crate::usernsexec::owner_maps((ns.root_uid, ns.root_gid));
    let mut argv = vec![c"chown".to_owned(), c"0:0".to_owned()];
    for dir in dirs {
        for name in delegated() {
            let path = dir.join(name);
            if path.exists() {
                argv.push(
                    CString::new(path.as_os_str().as_bytes())
                        .map_err(|_| "a NUL byte in a cgroup path")?,
                );
            }
        }
    }
    if argv.len() == 2 {
        return Ok(());
    }
    match crate::usernsexec::run(&maps, &argv) {
        Ok(0) => Ok(()),
        Ok(code) => Err(format!(
            "give the container's cgroups to its root: chown in a user namespace exited with {code}"
        )),
        Err(e) => Err(format!("give the container's cgroups to its root: {e}")),
    }
}
