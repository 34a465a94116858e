//! `lxc-usernsexec`: a command as root in a new user namespace (and mount namespace), as LXC's.
//! The child unshares both and says so over a pipe; the parent writes its maps (root itself, a
//! regular user through newuidmap and newgidmap) and answers over another; the child becomes
//! root of its namespace and executes the command. The parent waits for it and gives back its
//! status. Without maps: the user's ranges of /etc/subuid and /etc/subgid from 0, as LXC's.
use crate::idmap::{become_root, write_maps};
use crate::sys;
use lxc_config::{IdKind, IdMap};
use nix::sched::{unshare, CloneFlags};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{execvp, pipe2, read, write};
use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// LXC's default maps: the user's ranges from 0.
pub fn default_maps() -> Result<Vec<IdMap>, String> {
    let ((u, un), (g, gn)) =
        crate::subid::own_ranges().ok_or("no range of this user in /etc/subuid and /etc/subgid")?;
    Ok(vec![
        IdMap {
            kind: IdKind::User,
            container: 0,
            host: u,
            range: un,
        },
        IdMap {
            kind: IdKind::Group,
            container: 0,
            host: g,
            range: gn,
        },
    ])
}

/// `-s`: the user's own uid and gid, each mapped to the id after the highest one mapped.
pub fn map_self(maps: &mut Vec<IdMap>) {
    for (kind, own) in [
        (IdKind::User, nix::unistd::getuid().as_raw()),
        (IdKind::Group, nix::unistd::getgid().as_raw()),
    ] {
        let next = maps
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.container.saturating_add(m.range))
            .max()
            .unwrap_or(0);
        maps.push(IdMap {
            kind,
            container: next,
            host: own,
            range: 1,
        });
    }
}

/// Runs `argv` as root in a new user and mount namespace with `maps`; returns its exit status
/// as a shell gives it (128 + signal). The caller must be single-threaded.
pub fn run(maps: &[IdMap], argv: &[CString]) -> Result<i32, String> {
    let prog = argv.first().ok_or("no command")?;
    let pipe = || pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {}", e.desc()));
    let (up_r, up_w) = pipe()?;
    let (down_r, down_w) = pipe()?;
    match sys::fork().map_err(|e| format!("fork: {}", e.desc()))? {
        sys::Forked::Child => {
            drop((up_r, down_w));
            if let Err(e) = unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS) {
                eprintln!(
                    "lxc-usernsexec: unshare the user and mount namespaces: {}",
                    e.desc()
                );
                sys::exit_now(1);
            }
            let _ = write(&up_w, b"1");
            if byte(&down_r) != Some(b'1') {
                sys::exit_now(1);
            }
            if let Err((step, e)) = become_root() {
                eprintln!("lxc-usernsexec: {step}: {}", e.desc());
                sys::exit_now(1);
            }
            let e = match execvp(prog, argv) {
                Err(e) => e,
                Ok(never) => match never {},
            };
            eprintln!(
                "lxc-usernsexec: exec {}: {}",
                prog.to_string_lossy(),
                e.desc()
            );
            sys::exit_now(if e == nix::errno::Errno::ENOENT {
                127
            } else {
                126
            });
        }
        sys::Forked::Parent(pid) => {
            drop((up_w, down_r));
            let mapped = match byte(&up_r) {
                Some(b'1') => write_maps(pid, maps),
                _ => Err(String::new()),
            };
            let answer: &[u8] = if mapped.is_ok() { b"1" } else { b"0" };
            let _ = write(&down_w, answer);
            drop(down_w);
            let status = loop {
                match waitpid(pid, None) {
                    Ok(WaitStatus::Exited(_, code)) => break code,
                    Ok(WaitStatus::Signaled(_, sig, _)) => break 128 + sig as i32,
                    Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
                    Err(e) => return Err(format!("wait for {pid}: {}", e.desc())),
                }
            };
            match mapped {
                Err(e) if !e.is_empty() => Err(e),
                _ => Ok(status),
            }
        }
    }
}

/// The maps of a user namespace where 0 is `owner` (one of the user's ranges) and 1 the user
/// itself: its root may give the user's files to `owner` and act on `owner`'s.
pub fn owner_maps(owner: (u32, u32)) -> [IdMap; 4] {
    let (me, my_group) = (
        nix::unistd::getuid().as_raw(),
        nix::unistd::getgid().as_raw(),
    );
    let map = |kind, container, host| IdMap {
        kind,
        container,
        host,
        range: 1,
    };
    [
        map(IdKind::User, 0, owner.0),
        map(IdKind::User, 1, me),
        map(IdKind::Group, 0, owner.1),
        map(IdKind::Group, 1, my_group),
    ]
}

/// A regular user's: removes the directories below `dir` (groups a container's root made in
/// its delegated cgroup, which the user may not remove), deepest first, as root of a user
/// namespace where `owner` is root.
pub fn remove_below_as(dir: &Path, owner: (u32, u32)) -> Result<(), String> {
    let mut below = Vec::new();
    collect_dirs(dir, &mut below);
    if below.is_empty() {
        return Ok(());
    }
    // Deepest first: a child's path is longer than its parent's.
    below.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
    let mut argv = vec![c"rmdir".to_owned()];
    for p in below {
        argv.push(CString::new(p.as_os_str().as_bytes()).map_err(|_| "a NUL byte in a path")?);
    }
    match run(&owner_maps(owner), &argv)? {
        0 => Ok(()),
        code => Err(format!("rmdir in a user namespace exited with {code}")),
    }
}

fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            let p = e.path();
            collect_dirs(&p, out);
            out.push(p);
        }
    }
}

/// One byte from `fd`, or none at its end.
fn byte(fd: &OwnedFd) -> Option<u8> {
    let mut b = [0u8; 1];
    loop {
        match read(fd.as_fd(), &mut b) {
            Ok(1) => return Some(b[0]),
            Err(nix::errno::Errno::EINTR) => continue,
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_goes_after_the_highest_mapped_id() {
        let mut maps = vec![
            IdMap {
                kind: IdKind::User,
                container: 0,
                host: 100000,
                range: 65536,
            },
            IdMap {
                kind: IdKind::Group,
                container: 0,
                host: 100000,
                range: 10,
            },
        ];
        map_self(&mut maps);
        assert_eq!(
            (maps[2].kind, maps[2].container, maps[2].range),
            (IdKind::User, 65536, 1)
        );
        assert_eq!((maps[3].kind, maps[3].container), (IdKind::Group, 10));
    }
}
