//! What a container is started from (the launch spec) and how its shim is forked: plain data,
//! shared by the fork (`spawn`), the shim's start and the payload's plan.
use crate::cgroup;
use crate::sys;
use lxc_config::mount::MountEntry;
use lxc_config::Config;
use lxc_proto::paths::RunRoot;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

/// Everything the shim needs to start a container.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    /// The container's name (valid).
    pub name: String,
    /// The effective configuration (stored or `-f` or default, with `-s` applied).
    pub config: Config,
    /// The file it was read from (`LXC_CONFIG_FILE` for hooks); `None` for the default.
    pub config_file: Option<std::path::PathBuf>,
    /// `lxc-start -p FILE`: the command writes the shim's pid there once RUNNING; the shim
    /// removes it when the container has stopped (if it still holds its pid).
    pub pid_file: Option<std::path::PathBuf>,
    /// COMMAND and its arguments (non-empty).
    pub command: Vec<String>,
    /// The mounts of the fstab then the `lxc.mount.entry` lines, in order.
    pub mounts: Vec<MountEntry>,
    /// lxc-start: COMMAND is the container's pid 1, without an init of ours.
    pub system: bool,
    /// Where the run directory goes.
    pub run_root: RunRoot,
    /// On a host with both cgroup versions, whose freezer and kill to use (`None`: cgroup2's).
    pub cgroup_prefer: Option<cgroup::Version>,
    /// `lxc-checkpoint -r`: restore the container from this checkpoint directory instead of
    /// starting COMMAND.
    pub restore: Option<std::path::PathBuf>,
    /// COMMAND's stdio is the container's terminal: a pty of its own for lxc-execute at a
    /// terminal; the console for lxc-start (-d, or -F at a terminal).
    pub tty_stdio: bool,
}

impl LaunchSpec {
    /// The name of the container's cgroups (below `<own>/lxc/`): its name for the default
    /// lxcpath, `NAME@HASH` for another (HASH as in its run root `.p-HASH`), so that one name
    /// in two lxcpaths is two containers here too ('@' is in no container name).
    pub fn cgroup_name(&self) -> String {
        if self.run_root == RunRoot::default() {
            return self.name.clone();
        }
        let root = self.run_root.path().file_name().unwrap_or_default();
        let hash = root.to_string_lossy();
        format!("{}@{}", self.name, hash.trim_start_matches(".p-"))
    }
}

/// How the shim's COMMAND gets its stdio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchStdio {
    /// The caller's own stdin, stdout and stderr.
    Inherit,
    /// /dev/null (a detached container must not hold its caller's pipes open).
    Null,
}

/// How to fork the shim.
#[derive(Debug, Clone)]
pub struct LaunchOptions {
    pub stdio: LaunchStdio,
    /// Descriptors of the caller's that the shim keeps (the log file); every other one it
    /// inherited is closed.
    pub keep_fds: Vec<RawFd>,
}

/// /dev/null onto 0, 1 and 2.
pub fn null_stdio() -> io::Result<()> {
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for fd in 0..3 {
        sys::dup_onto(null.as_raw_fd(), fd)?;
    }
    Ok(())
}
