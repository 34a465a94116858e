//! The run directory `<run root>/NAME/` (mode 0700) that lets stateless commands find a
//! container's shim: `lock` (flock'd by the shim for its whole life), `control.sock` (0600) and
//! `state.json` (the record of what the shim made, so that anyone can clean up after a shim
//! that was killed). A held lock means a live shim; a free lock with files left means a dead
//! one. The layout is the contract's (`lxc_proto::paths`); the file work is here.
use crate::cgroup;
use crate::monitor::MonitorSender;
use lxc_proto::monitor::StateEvent;
use lxc_proto::paths::{ContainerPaths, RunRoot, LOCK, MONITOR_DIR, NETNS, RECORD, SOCKET};
use lxc_proto::record::Record;
use lxc_proto::State;
use std::fs::{self, DirBuilder, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The largest record read (a record is a few hundred bytes).
const MAX_RECORD: u64 = 1 << 20;
const RECORD_TMP: &str = ".state.json.tmp";

/// The run directory of one container.
#[derive(Debug, Clone)]
pub struct RunDir {
    root: PathBuf,
    paths: ContainerPaths,
}

impl RunDir {
    /// The run directory of `name` below `root` (the name must be valid already).
    pub fn new(root: &RunRoot, name: &str) -> RunDir {
        RunDir {
            root: root.path().to_path_buf(),
            paths: root.container(name),
        }
    }

    /// The run root it is in.
    pub fn run_root(&self) -> RunRoot {
        RunRoot::new(&self.root)
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        self.paths.dir()
    }

    /// Path of the control socket.
    pub fn socket(&self) -> PathBuf {
        self.paths.socket()
    }

    /// Where the shim bind-mounts a network namespace that must outlive the container.
    pub fn netns_path(&self) -> PathBuf {
        self.paths.netns()
    }

    /// Path of the record.
    pub fn record_path(&self) -> PathBuf {
        self.paths.record()
    }

    /// Takes the container's lock without waiting: `Ok(None)` when a live shim (or a starting
    /// lxc-execute) holds it. Creates the directory (0700) as needed; a run root or run
    /// directory that is not a real directory of ours (a planted symlink) is refused.
    pub fn try_lock(&self) -> io::Result<Option<File>> {
        let dir = self.paths.dir();
        for _ in 0..100 {
            DirBuilder::new()
                .recursive(true)
                .mode(0o755)
                .create(&self.root)?;
            match check_real_dir(&self.root) {
                Ok(()) => {}
                // The root of another lxcpath, removed by its last shim just then.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            match DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            match check_real_dir(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            }
            let path = dir.join(LOCK);
            let file = match OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW)
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
            match fs::symlink_metadata(&path) {
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
            dir.display()
        )))
    }

    /// Whether a lock file exists, i.e. the container runs or left a stale run directory.
    pub fn exists(&self) -> bool {
        fs::symlink_metadata(self.paths.lock()).is_ok()
    }

    /// Reads the record, if any.
    pub fn read_record(&self) -> io::Result<Option<Record>> {
        let file = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(self.record_path())
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut bytes = Vec::new();
        file.take(MAX_RECORD).read_to_end(&mut bytes)?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{RECORD}: {e}")))
    }

    /// Writes the record atomically (temp file, rename): a reader sees the old record or the new
    /// one, never half of one. No fsync: the run directory does not outlive a reboot.
    pub fn write_record(&self, record: &Record) -> io::Result<()> {
        let tmp = self.paths.dir().join(RECORD_TMP);
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        f.write_all(&serde_json::to_vec(record).map_err(io::Error::other)?)?;
        fs::rename(&tmp, self.record_path())
    }

    /// Under the container's lock, with no shim alive: removes what a dead shim left. Physical
    /// interfaces inside its kept network namespace go back to the host under their names,
    /// what is left in its cgroups is thawed and killed, the cgroups are removed, then its
    /// socket and record. The lock file and directory stay. The dead shim could not say
    /// STOPPED: it is said for it on the monitor channel (`seq` 0: its last number is unknown,
    /// and so is the exit status).
    pub fn clean_stale(&self) -> Result<(), String> {
        let record = self.read_record().map_err(|e| {
            format!(
                "{}: {}",
                self.record_path().display(),
                lxc_proto::strerror(&e)
            )
        })?;
        if let Some(record) = &record {
            if !record.net.is_empty() {
                crate::net::tear_down_now(&record.net)
                    .map_err(|e| format!("give back its network: {e}"))?;
            }
            cgroup::clean_stale(&record.cgroups).map_err(|e| e.to_string())?;
        }
        for f in [SOCKET, RECORD, RECORD_TMP, NETNS] {
            let _ = fs::remove_file(self.paths.dir().join(f));
        }
        if let (Some(record), Some(name)) = (&record, self.paths.dir().file_name()) {
            let mut monitors = MonitorSender::new(self.root.join(MONITOR_DIR));
            monitors.broadcast(&StateEvent {
                name: name.to_string_lossy().into_owned(),
                state: State::Stopped,
                seq: 0,
                time: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(0.0),
                exit: None,
                shim_pid: record.shim_pid,
            });
        }
        Ok(())
    }

    /// Removes the run directory's files, the lock last, then the directory. `lock` must be held.
    pub fn remove_files(&self, lock: File) {
        for f in [SOCKET, RECORD, RECORD_TMP, NETNS] {
            let _ = fs::remove_file(self.paths.dir().join(f));
        }
        let _ = fs::remove_file(self.paths.lock());
        // Fails harmlessly when a new lxc-execute has made its lock meanwhile.
        let _ = fs::remove_dir(self.paths.dir());
        drop(lock);
        self.run_root().remove_if_empty();
    }
}

/// `path` must be a directory itself (not a symlink to one) owned by us.
fn check_real_dir(path: &Path) -> io::Result<()> {
    let m = fs::symlink_metadata(path)?;
    if !m.file_type().is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a directory (a symlink?): refused",
            path.display()
        )));
    }
    if m.uid() != nix::unistd::geteuid().as_raw() {
        return Err(io::Error::other(format!(
            "{} belongs to uid {}, not to us: refused",
            path.display(),
            m.uid()
        )));
    }
    Ok(())
}
