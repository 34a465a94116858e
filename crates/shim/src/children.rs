//! The shim's children by pid and role. Every child is registered right after it is made (the
//! shim is single-threaded, so before its SIGCHLD can be handled), and `reap` tells each exit
//! with the role it had: the container's init, or a helper such as lxc-netsetup. No one else
//! waits for a child (no `std::process::Child::wait`), so no status is ever stolen.
use lxc_proto::ExitStatus;
use nix::errno::Errno;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::collections::HashMap;

/// What a helper process does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// `lxc-netsetup setup`: the container's interfaces.
    NetSetup,
    /// `lxc-netsetup teardown`: physical interfaces go back.
    NetTeardown,
}

impl Job {
    /// What the log calls it.
    pub fn name(self) -> &'static str {
        match self {
            Job::NetSetup => "network set-up",
            Job::NetTeardown => "network teardown",
        }
    }
}

/// A child's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The container's init (pid 1 inside).
    Init,
    /// A helper.
    Helper(Job),
    /// A `stop` or `post-stop` hook.
    Hook,
    /// `criu dump` (through its helper, `criu.rs`).
    Criu,
    /// A process `exec` started (lxc-attach).
    Exec,
}

/// A child that has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reaped {
    pub pid: Pid,
    /// `None` for a child the table did not know (none should exist).
    pub role: Option<Role>,
    pub status: ExitStatus,
}

/// The table.
#[derive(Default)]
pub struct Children {
    table: HashMap<Pid, Role>,
}

impl Children {
    /// Registers a child just made.
    pub fn register(&mut self, pid: Pid, role: Role) {
        self.table.insert(pid, role);
    }

    /// Reaps every child that has ended. SIGCHLDs coalesce, so this drains until nothing is
    /// left; an unexpected errno is logged and ends this round (the next SIGCHLD comes back).
    pub fn reap(&mut self) -> Vec<Reaped> {
        let mut out = Vec::new();
        loop {
            let (pid, status) = match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) => (pid, ExitStatus::exited(code)),
                Ok(WaitStatus::Signaled(pid, sig, _)) => (pid, ExitStatus::signaled(sig as i32)),
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => return out,
                Ok(_) | Err(Errno::EINTR) => continue,
                Err(e) => {
                    log::error!("waitpid: {}", e.desc());
                    return out;
                }
            };
            out.push(Reaped {
                pid,
                role: self.table.remove(&pid),
                status,
            });
        }
    }
}
