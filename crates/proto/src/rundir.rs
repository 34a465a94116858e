//! The run directory `/var/run/lxc/NAME/` (mode 0700) that lets stateless commands find a
//! container's shim: `lock` (flock'd by the shim for its whole life), `control.sock` (0600) and
//! `state.json` (the cgroup directories the shim made, so that anyone can clean up after a shim
//! that was killed). A held lock means a live shim; a free lock with files left means a stale one.
use serde::{Deserialize, Serialize};
use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// Where every container's run directory lives.
pub const RUN_ROOT: &str = "/var/run/lxc";
/// The control socket's file name.
pub const SOCKET: &str = "control.sock";
/// The lock file's name.
pub const LOCK: &str = "lock";
/// The record's file name.
pub const RECORD: &str = "state.json";

/// What the shim writes down as soon as it has made something that must be cleaned up.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Record {
    /// The shim's host pid.
    pub shim_pid: i32,
    /// The container's cgroup directories (absolute paths), one per hierarchy.
    pub cgroups: Vec<PathBuf>,
    /// The network to take down once the container has stopped (see `lxc-netsetup`).
    #[serde(default, skip_serializing_if = "crate::net::TeardownRequest::is_empty")]
    pub net: crate::net::TeardownRequest,
}

/// The run directory of one container.
#[derive(Debug, Clone)]
pub struct RunDir {
    dir: PathBuf,
}

impl RunDir {
    /// The run directory of `name` (the name must be valid already).
    pub fn new(name: &str) -> RunDir {
        RunDir {
            dir: Path::new(RUN_ROOT).join(name),
        }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Path of the control socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join(SOCKET)
    }

    /// Where the shim bind-mounts the container's network namespace when it must outlive the
    /// container (physical interfaces inside).
    pub fn netns_path(&self) -> PathBuf {
        self.dir.join("netns")
    }

    /// Path of the record.
    pub fn record_path(&self) -> PathBuf {
        self.dir.join(RECORD)
    }

    /// Takes the container's lock without waiting: `Ok(None)` when a live shim (or a starting
    /// lxc-execute) holds it. Creates the directory (0700) as needed.
    pub fn try_lock(&self) -> io::Result<Option<File>> {
        for _ in 0..100 {
            if let Some(root) = self.dir.parent() {
                DirBuilder::new().recursive(true).mode(0o755).create(root)?;
            }
            match DirBuilder::new().mode(0o700).create(&self.dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
            let path = self.dir.join(LOCK);
            let file = match OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&path)
            {
                Ok(f) => f,
                // The previous owner removed the directory under us: start again.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => return Ok(None),
                Err(TryLockError::Error(e)) => return Err(e),
            }
            // A shim that is leaving unlinks the lock file while holding it; if we locked such
            // an unlinked file, someone else may lock the new one: only the file that is still
            // at the path counts.
            let held = file.metadata()?;
            match fs::metadata(&path) {
                Ok(now) if now.ino() == held.ino() && now.dev() == held.dev() => {
                    return Ok(Some(file))
                }
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::other(format!(
            "{}: lock keeps changing",
            self.dir.display()
        )))
    }

    /// Whether a lock file exists, i.e. the container runs or left a stale run directory.
    pub fn exists(&self) -> bool {
        self.dir.join(LOCK).exists()
    }

    /// Reads the record, if any.
    pub fn read_record(&self) -> io::Result<Option<Record>> {
        match fs::read(self.record_path()) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", RECORD))
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes the record atomically (temp file, rename): a reader sees the old record or the new
    /// one, never half of one. No fsync: the run directory does not outlive a reboot.
    pub fn write_record(&self, record: &Record) -> io::Result<()> {
        let tmp = self.dir.join(".state.json.tmp");
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&serde_json::to_vec(record).map_err(io::Error::other)?)?;
        fs::rename(&tmp, self.record_path())
    }

    /// Removes what a dead shim left (its cgroups, socket and record) and then the directory.
    /// The caller holds `lock` (from [`RunDir::try_lock`]); the lock is released on return.
    pub fn remove(&self, lock: File) -> io::Result<()> {
        self.clear_stale(self.read_record()?.as_ref())?;
        self.remove_files(lock);
        Ok(())
    }

    /// Removes what a dead shim left (the cgroups of its `record`, its socket and record) but
    /// keeps the lock and the directory. The caller holds the lock.
    pub fn clear_stale(&self, record: Option<&Record>) -> io::Result<()> {
        if let Some(record) = record {
            remove_cgroups(&record.cgroups)?;
        }
        for f in [SOCKET, RECORD, ".state.json.tmp"] {
            let _ = fs::remove_file(self.dir.join(f));
        }
        Ok(())
    }

    /// Removes the run directory's files, the lock last, then the directory. `lock` must be held.
    pub fn remove_files(&self, lock: File) {
        for f in [SOCKET, RECORD, ".state.json.tmp", "netns"] {
            let _ = fs::remove_file(self.dir.join(f));
        }
        let _ = fs::remove_file(self.dir.join(LOCK));
        // Fails harmlessly when a new lxc-execute has made its lock meanwhile.
        let _ = fs::remove_dir(&self.dir);
        drop(lock);
    }
}

/// Removes cgroup directories (each a container's leaf), retrying while the kernel still holds
/// the last exiting tasks. The shared parent `lxc` directories stay.
pub fn remove_cgroups(paths: &[PathBuf]) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(2);
    for path in paths {
        loop {
            match fs::remove_dir(path) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                Err(e) if e.raw_os_error() == Some(16) && Instant::now() < deadline => {
                    // EBUSY: tasks are still leaving the group.
                    thread::sleep(Duration::from_millis(2));
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("remove {}: {e}", path.display()),
                    ))
                }
            }
        }
    }
    Ok(())
}

/// Names: 1 to 64 of `A-Z a-z 0-9 _ . -`, not starting with `.`.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("container name is empty".into());
    }
    if name.len() > 64 {
        return Err(format!(
            "container name \"{name}\" is longer than 64 characters"
        ));
    }
    if name.starts_with('.') {
        return Err(format!("container name \"{name}\" starts with '.'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_.-".contains(*c)))
    {
        return Err(format!(
            "container name \"{}\" contains {c:?}: only A-Z a-z 0-9 _ . - are allowed",
            name.escape_debug()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for good in ["a", "web1", "A_b.c-d", "x..y", &"n".repeat(64)] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "a/b",
            "a b",
            "é",
            "a\nb",
            &"n".repeat(65),
            "..",
            "x*",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn record_wire_form() {
        let mut r = Record {
            shim_pid: 7,
            cgroups: vec!["/sys/fs/cgroup/pids/lxc/a".into()],
            ..Record::default()
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"shim_pid":7,"cgroups":["/sys/fs/cgroup/pids/lxc/a"]}"#
        );
        r.net.netns = Some("/var/run/lxc/a/netns".into());
        r.net.phys.push(crate::net::PhysLink {
            name: "eth1".into(),
            original: "enp3s0".into(),
            was_up: true,
        });
        let text = serde_json::to_string(&r).unwrap();
        assert!(text.ends_with(
            r#""net":{"netns":"/var/run/lxc/a/netns","phys":[{"name":"eth1","original":"enp3s0","was_up":true}]}}"#
        ));
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), r);
    }
}
