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
