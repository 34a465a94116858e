//! The clean-up after a dead shim (by whoever holds its lock next): what is left in the cgroups
//! it recorded is thawed, killed and waited for, then the cgroups go, bottom-up. Blocking with a
//! deadline: it runs in a command, not in a shim's loop.
use super::freezer::{CGROUP_FREEZE, FREEZER_STATE};
use super::tree::{procs_recursive, remove_tree, write_file, CgroupError, CGROUP_KILL};
use crate::sys;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long the clean-up after a dead shim waits for the last processes to leave.
const STALE_DEADLINE: Duration = Duration::from_secs(5);

/// After a dead shim (called by whoever holds its lock): thaws the groups it recorded (a v1
/// freezer keeps frozen tasks from dying, even of SIGKILL), kills everything still in them
/// and removes them bottom-up, together with the shim's leaf. Blocking, with a deadline.
pub fn clean_stale(dirs: &[PathBuf]) -> Result<(), CgroupError> {
    for d in dirs {
        for (file, value) in [(FREEZER_STATE, "THAWED"), (CGROUP_FREEZE, "0")] {
            let path = d.join(file);
            if path.exists() {
                write_file(&path, value)?;
            }
        }
    }
    let deadline = Instant::now() + STALE_DEADLINE;
    loop {
        let mut left = Vec::new();
        for d in dirs {
            left.extend(procs_recursive(d)?);
        }
        if left.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            let path = dirs.first().cloned().unwrap_or_default();
            return Err(CgroupError::Remove(
                path,
                io::Error::other(format!("{} processes would not die", left.len())),
            ));
        }
        for d in dirs {
            let kill = d.join(CGROUP_KILL);
            if kill.exists() {
                write_file(&kill, "1")?;
            }
        }
        for pid in left {
            let _ = sys::send_signal(pid, libc::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    for d in dirs {
        while !remove_as_owner(d)? {
            if Instant::now() >= deadline {
                return Err(CgroupError::Remove(
                    d.to_path_buf(),
                    io::Error::from_raw_os_error(libc::EBUSY),
                ));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    Ok(())
}

/// `remove_tree`; for a regular user whose container's root made groups in its delegated
/// group (which the user may not remove), those first, through a user namespace where the
/// group's owner (that root) is root.
fn remove_as_owner(d: &std::path::Path) -> Result<bool, CgroupError> {
    match remove_tree(d) {
        Err(CgroupError::Remove(_, e))
            if e.kind() == io::ErrorKind::PermissionDenied && !nix::unistd::geteuid().is_root() =>
        {
            use std::os::unix::fs::MetadataExt;
            let m = std::fs::metadata(d).map_err(|e| CgroupError::Remove(d.to_path_buf(), e))?;
            crate::usernsexec::remove_below_as(d, (m.uid(), m.gid()))
                .map_err(|e| CgroupError::Remove(d.to_path_buf(), io::Error::other(e)))?;
            remove_tree(d)
        }
        other => other,
    }
}
