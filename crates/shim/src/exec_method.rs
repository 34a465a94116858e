//! The `exec` method (lxc-attach): the attached process is forked by the shim, from inside the
//! container's pid namespace, so that it is the shim's child; at a terminal it gets a pty of
//! the container's own devpts instance, held like every other terminal (`terminals.rs`).
use crate::attach::{self, AttachPlan};
use crate::children::Role;
use crate::console::{err, internal, new_viewer, ok_fds, Reply};
use crate::event_loop::Shim;
use crate::sources::Source;
use crate::sys;
use crate::terminals::{Terminals, TtyId};
use lxc_proto::terminal::{ExecParams, ExecReply, WinSize};
use lxc_proto::{ErrorCode, RpcError};
use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::Pid;
use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// Processes started by `exec` running at once.
const MAX_EXECS: usize = 256;

impl Shim {
    pub(crate) fn exec(&mut self, p: &ExecParams, fds: Vec<OwnedFd>) -> Result<Reply, RpcError> {
        self.running_or_refuse("exec")?;
        if self
            .execs
            .as_ref()
            .is_some_and(|t| t.running().len() >= MAX_EXECS)
        {
            return Err(err(
                ErrorCode::InvalidState,
                format!("{MAX_EXECS} processes started by exec run already"),
            ));
        }
        if !p.pty && fds.len() != 3 {
            return Err(err(
                ErrorCode::InvalidParams,
                "exec without pty takes 3 descriptors (stdin, stdout, stderr)",
            ));
        }
        if let Some(ns) = &p.namespaces {
            const KNOWN: &str = "mnt pid uts ipc net user cgroup";
            if let Some(bad) = ns
                .iter()
                .find(|n| !KNOWN.split(' ').any(|k| k == n.as_str()))
            {
                return Err(err(
                    ErrorCode::InvalidParams,
                    format!(
                        "unknown namespace \"{}\" (of {KNOWN})",
                        lxc_proto::shorten(bad, 20)
                    ),
                ));
            }
        }
        let cstrings = |v: &[String], what: &str| {
            v.iter()
                .map(|a| CString::new(a.as_bytes()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    err(
                        ErrorCode::InvalidParams,
                        format!("{what} contains a NUL byte"),
                    )
                })
        };
        let argv = cstrings(&p.argv, "argv")?;
        let env = cstrings(&p.env, "env")?;
        let init = self.life.init();
        let namespaces = attach::open_namespaces(init, p.namespaces.as_deref())
            .map_err(|e| err(ErrorCode::Internal, e))?;
        let pid_ns = p
            .namespaces
            .as_ref()
            .is_none_or(|n| n.iter().any(|k| k == "pid"));
        let cgroup_procs = if p.elevated {
            Vec::new()
        } else {
            self.life
                .cgroup()
                .dirs()
                .into_iter()
                .map(|d| {
                    // v1: the child (one thread) moves itself through `tasks`, which takes no
                    // global lock for the writer itself (cgroup.procs waits for an RCU grace
                    // period per hierarchy: about 0.3 ms each).
                    let tasks = d.join("tasks");
                    if tasks.exists() {
                        tasks
                    } else {
                        d.join("cgroup.procs")
                    }
                })
                .collect()
        };
        // The terminal, from the container's devpts instance.
        let mut pty = None;
        if p.pty {
            let (master, slave) = self.exec_pty(init, p.size)?;
            pty = Some((master, slave));
        }
        // The filter's listener comes back over this (when calls are forwarded to a proxy).
        let handoff = if p.elevated {
            None
        } else {
            self.seccomp_handoff()
                .map_err(|e| internal("make the seccomp hand-off socket", e.desc()))?
        };
        let stdio_fds: [i32; 3] = match &pty {
            Some((_, slave)) => [slave.as_raw_fd(); 3],
            None => [fds[0].as_raw_fd(), fds[1].as_raw_fd(), fds[2].as_raw_fd()],
        };
        let plan = AttachPlan {
            name: self.life.name().to_string(),
            argv,
            env,
            uid: p.uid.unwrap_or(0),
            gid: p.gid.unwrap_or(0),
            namespaces,
            cgroup_procs,
            stdio: stdio_fds,
            pty: p.pty,
            personality: self.tty_conf.personality,
            confine: if p.elevated {
                // LXC's -e: its capabilities and no filter (no_new_privs stays).
                std::rc::Rc::new(crate::confine::Confinement {
                    no_new_privs: self.tty_conf.confine.no_new_privs,
                    ..Default::default()
                })
            } else {
                self.tty_conf.confine.clone()
            },
            listener_to: handoff.as_ref().map(|theirs| theirs.as_raw_fd()),
        };
        let forked = fork_into(init, pid_ns, &plan);
        drop(handoff); // the child's end: ours waits in the loop
        let pid = forked?;
        self.children.register(pid, Role::Exec);
        self.execs.get_or_insert_with(Box::default).started(pid);
        log::info!("exec: started {pid}");
        let Some((master, slave)) = pty else {
            return ok_fds(ExecReply { pid: pid.as_raw() }, Vec::new());
        };
        drop(slave);
        let token = self.sources.add(Source::Terminal);
        let terms = self
            .terminals
            .get_or_insert_with(|| Box::new(Terminals::new(&self.tty_conf.console)));
        let copy = master
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| internal("duplicate the master", e))?;
        let registry = self.poll.registry();
        terms
            .add(TtyId::Exec(pid), master, token, false, registry)
            .map_err(|e| internal("watch the pty", e))?;
        let (viewer, theirs) = new_viewer(&mut self.sources, fds)?;
        let i = terms.find(TtyId::Exec(pid)).unwrap_or(0);
        terms
            .attach(i, viewer, registry)
            .map_err(|e| internal("attach", e))?;
        ok_fds(ExecReply { pid: pid.as_raw() }, vec![copy, theirs])
    }

    /// A new pty of the container's: from its devpts instance's ptmx (the init's, or the one
    /// its /dev/pts shows, checked to be a devpts ptmx before it is opened).
    fn exec_pty(
        &mut self,
        init: Pid,
        size: Option<WinSize>,
    ) -> Result<(OwnedFd, OwnedFd), RpcError> {
        let path_fd = match self.terminals.as_ref().and_then(|t| t.ptmx.as_ref()) {
            Some(fd) => fd.try_clone().map_err(|e| internal("duplicate ptmx", e))?,
            None => container_ptmx(init)?,
        };
        let path = format!("/proc/self/fd/{}", path_fd.as_raw_fd());
        let master = open(
            path.as_str(),
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| internal("open a pty", e.desc()))?;
        crate::sys_tty::unlock_pty(master.as_fd())
            .map_err(|e| internal("unlock a pty", e.desc()))?;
        if let Some(s) = size {
            let _ = crate::sys_tty::set_window_size(master.as_fd(), s.rows, s.cols);
        }
        let slave = crate::sys_tty::pty_peer(master.as_fd())
            .map_err(|e| internal("open a pty's slave", e.desc()))?;
        Ok((master, slave))
    }
}

/// The container's /dev/pts/ptmx as an `O_PATH` descriptor, resolved inside its root without
/// following any symlink, and only if it is a devpts instance's ptmx (nothing is opened for
/// reading or writing before that is known: a FIFO or another device there does nothing).
fn container_ptmx(init: Pid) -> Result<OwnedFd, RpcError> {
    use nix::fcntl::{openat2, OpenHow, ResolveFlag};
    use nix::sys::stat::{fstat, major, minor};
    const DEVPTS_SUPER_MAGIC: i64 = 0x1cd1;
    let root = open(
        format!("/proc/{init}/root").as_str(),
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| internal("open the container's root", e.desc()))?;
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_SYMLINKS);
    let fd = openat2(root.as_fd(), "dev/pts/ptmx", how).map_err(|e| {
        err(
            ErrorCode::InvalidState,
            format!("the container has no /dev/pts/ptmx: {}", e.desc()),
        )
    })?;
    let st = fstat(&fd).map_err(|e| internal("stat /dev/pts/ptmx", e.desc()))?;
    let fs =
        nix::sys::statfs::fstatfs(&fd).map_err(|e| internal("statfs /dev/pts/ptmx", e.desc()))?;
    let is_char = st.st_mode & libc::S_IFMT == libc::S_IFCHR;
    if !is_char
        || major(st.st_rdev) != 5
        || minor(st.st_rdev) != 2
        || fs.filesystem_type().0 as i64 != DEVPTS_SUPER_MAGIC
    {
        return Err(err(
            ErrorCode::InvalidState,
            "the container's /dev/pts/ptmx is no devpts ptmx",
        ));
    }
    Ok(fd)
}

/// Forks the attached process as our child: inside the container's pid namespace when asked
/// (setns on our own pid_for_children, then back), so that it is ours to reap.
fn fork_into(init: Pid, pid_ns: bool, plan: &AttachPlan) -> Result<Pid, RpcError> {
    let ours = if pid_ns {
        let theirs = std::fs::File::open(format!("/proc/{init}/ns/pid")).map_err(|e| {
            internal(
                "open the container's pid namespace",
                lxc_proto::strerror(&e),
            )
        })?;
        let ours = std::fs::File::open("/proc/self/ns/pid_for_children")
            .map_err(|e| internal("open our pid namespace", lxc_proto::strerror(&e)))?;
        nix::sched::setns(&theirs, nix::sched::CloneFlags::CLONE_NEWPID)
            .map_err(|e| internal("enter the container's pid namespace", e.desc()))?;
        Some(ours)
    } else {
        None
    };
    let forked = sys::fork();
    if let Ok(sys::Forked::Child) = forked {
        attach::run(plan);
    }
    if let Some(ours) = ours {
        if let Err(e) = nix::sched::setns(&ours, nix::sched::CloneFlags::CLONE_NEWPID) {
            log::error!("return to our pid namespace: {}", e.desc());
        }
    }
    match forked {
        Ok(sys::Forked::Parent(pid)) => Ok(pid),
        Ok(sys::Forked::Child) => sys::exit_now(125),
        Err(e) => Err(internal("fork", e.desc())),
    }
}
