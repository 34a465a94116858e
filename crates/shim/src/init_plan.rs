//! What the init does, prepared by the shim before the clone (plain data), and where the
//! init finds its descriptors once it has arranged them.
use crate::hooks::Hooks;
use crate::mounts;
use std::ffi::CString;
use std::os::fd::RawFd;

/// Where the init finds its end of the init channel after arranging its descriptors.
pub const SYNC_FD: RawFd = 3;
/// Where it finds lxc-init's file (an `O_PATH` descriptor), when there is one.
pub const REAPER_FD: RawFd = 4;

/// Everything the init does, prepared by the shim before the clone.
pub struct InitPlan {
    pub hostname: String,
    pub argv: Vec<CString>,
    pub env: Vec<CString>,
    pub fs: mounts::FsPlan,
    /// lxc-start: COMMAND (/sbin/init) is pid 1 itself, with no init of ours.
    pub system: bool,
    /// Wait for the shim to write the uid/gid maps before setting anything up (a user
    /// namespace).
    pub wait_for_idmap: bool,
    /// `lxc.idmap`: the user namespace, for the shim's side of it.
    pub userns: Option<crate::idmap::UserNs>,
    /// `lxc.init.cwd`: COMMAND's working directory (default: the shim's, which is
    /// lxc-execute's, or `/` once inside a rootfs).
    pub cwd: Option<CString>,
    /// `lxc.init.uid` / `-u`: the user COMMAND runs as.
    pub uid: Option<u32>,
    /// `lxc.init.gid` / `-g`: its group (and its only supplementary group).
    pub gid: Option<u32>,
    /// `lxc.hook.*`: those of the mount namespace and `start` run here.
    pub hooks: Hooks,
    /// `lxc.arch`: the personality COMMAND runs with (a 32-bit machine for `i686`).
    pub personality: Option<libc::c_ulong>,
    /// lxc-init's file (`reaper.rs`): what the init executes once COMMAND runs; without it
    /// the init supervises in place.
    pub reaper: Option<std::path::PathBuf>,
    /// `lxc.cap.*`, `lxc.no_new_privs`, `lxc.seccomp.*`: applied by COMMAND's process.
    pub confine: std::rc::Rc<crate::confine::Confinement>,
    /// The container's terminals (none unless asked for).
    pub terminal: crate::pty_init::TermPlan,
    /// `lxc.proc.oom_score_adj`, `lxc.prlimit.*`, `lxc.sysctl.*`.
    pub tunables: crate::tunables::Tunables,
}
