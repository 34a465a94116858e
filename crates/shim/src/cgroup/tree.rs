//! The cgroup filesystem as a tree: reading and writing a group's files with errors that name
//! them, the processes of a group and every group below it, and removal deepest first.
use nix::unistd::Pid;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The file that lists a group's processes, in both versions.
pub const CGROUP_PROCS: &str = "cgroup.procs";
/// cgroup2's kill-everything file (kernel 5.14+).
pub const CGROUP_KILL: &str = "cgroup.kill";

/// A cgroup operation that failed, with the file or directory it failed on.
#[derive(Debug)]
pub enum CgroupError {
    Create(PathBuf, io::Error),
    Join(PathBuf, io::Error),
    Write(PathBuf, io::Error),
    Read(PathBuf, io::Error),
    Remove(PathBuf, io::Error),
}

impl fmt::Display for CgroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (what, path, e) = match self {
            CgroupError::Create(p, e) => ("create", p, e),
            CgroupError::Join(p, e) => ("join", p, e),
            CgroupError::Write(p, e) => ("write", p, e),
            CgroupError::Read(p, e) => ("read", p, e),
            CgroupError::Remove(p, e) => ("remove", p, e),
        };
        write!(f, "{what} {}: {}", path.display(), lxc_proto::strerror(e))
    }
}

impl std::error::Error for CgroupError {}

pub fn write_file(path: &Path, value: &str) -> Result<(), CgroupError> {
    fs::write(path, value).map_err(|e| CgroupError::Write(path.to_path_buf(), e))
}

pub fn read_file(path: &Path) -> Result<String, CgroupError> {
    fs::read_to_string(path).map_err(|e| CgroupError::Read(path.to_path_buf(), e))
}

/// Pids in `dir` and every group below it; a group that vanishes meanwhile is empty.
pub fn procs_recursive(dir: &Path) -> Result<Vec<Pid>, CgroupError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let file = d.join(CGROUP_PROCS);
        match fs::read_to_string(&file) {
            Ok(s) => out.extend(
                s.lines()
                    .filter_map(|l| l.trim().parse().ok())
                    .map(Pid::from_raw),
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound && d != dir => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(CgroupError::Read(file, e)),
        }
        stack.extend(subgroups(&d)?);
    }
    Ok(out)
}

fn subgroups(dir: &Path) -> Result<Vec<PathBuf>, CgroupError> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(CgroupError::Read(dir.to_path_buf(), e)),
    };
    Ok(rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect())
}

/// Removes `dir` and every group below it, deepest first. `Ok(false)`: busy, try again.
pub fn remove_tree(dir: &Path) -> Result<bool, CgroupError> {
    // Usually the group has no children: one rmdir. EBUSY means children or tasks.
    if let Some(done) = remove_one(dir)? {
        return Ok(done);
    }
    let subs = subgroups(dir)?;
    if subs.is_empty() {
        return Ok(false);
    }
    for sub in subs {
        if !remove_tree(&sub)? {
            return Ok(false);
        }
    }
    Ok(remove_one(dir)?.unwrap_or(false))
}

/// rmdir: `Some(true)` done (or gone already), `None` busy.
fn remove_one(dir: &Path) -> Result<Option<bool>, CgroupError> {
    match fs::remove_dir(dir) {
        Ok(()) => Ok(Some(true)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Some(true)),
        // cgroupfs says EBUSY for children or tasks; ENOTEMPTY is any other filesystem's word.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::ENOTEMPTY)) => Ok(None),
        Err(e) => Err(CgroupError::Remove(dir.to_path_buf(), e)),
    }
}
