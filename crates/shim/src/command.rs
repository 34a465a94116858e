//! COMMAND's start, in the init: lxc-start's pid 1 becoming COMMAND (`exec_as_pid1`), and
//! lxc-execute's COMMAND forked and executed (`start_command`), its exec failure reported over
//! a close-on-exec pipe; becoming COMMAND's user, confined.
use crate::init_plan::{InitPlan, SYNC_FD};
use crate::sys;
use nix::errno::Errno;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use nix::sys::wait::waitpid;
use nix::unistd::{execvpe, pipe2, Pid};
use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};

/// lxc-start: this process becomes COMMAND. The init channel is closed by a successful exec,
/// which is how the shim learns that the container runs; returns only if it failed.
pub fn exec_as_pid1(plan: &InitPlan, tty: Option<RawFd>) -> Pid1Failure {
    if let Some(tty) = tty {
        if let Err(errno) = crate::pty_init::take_terminal(tty, false) {
            return Pid1Failure::Setup("take the console as controlling terminal".into(), errno);
        }
    }
    close_on_exec();
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    if let Err((step, errno)) = become_command(plan) {
        return Pid1Failure::Setup(step.into(), errno);
    }
    Pid1Failure::Exec(match plan.argv.first() {
        Some(prog) => match execvpe(prog, &plan.argv, &plan.env) {
            Err(e) => e,
            Ok(never) => match never {},
        },
        None => Errno::ENOENT,
    })
}

/// Why pid 1 did not become COMMAND.
pub enum Pid1Failure {
    /// A set-up step (125).
    Setup(String, Errno),
    /// The exec (126, or 127 for ENOENT).
    Exec(Errno),
}

/// Every descriptor above stdio is closed by the coming exec. A kernel without
/// CLOSE_RANGE_CLOEXEC (before 5.11): the init holds nothing above its channel but
/// close-on-exec descriptors, so marking the channel is enough.
fn close_on_exec() {
    if sys::cloexec_from(SYNC_FD).is_err() {
        let _ = sys::set_cloexec(SYNC_FD);
    }
}

/// Forks COMMAND and execs it; an exec failure comes back as its errno over a close-on-exec
/// pipe, so success is known without any delay.
pub fn start_command(plan: &InitPlan, tty: Option<RawFd>) -> Result<Pid, CommandError> {
    let (r, w) = pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(CommandError::Exec)?;
    match sys::fork().map_err(CommandError::Exec)? {
        sys::Forked::Child => {
            drop(r);
            // COMMAND leads a process group, which stands in for a terminal's foreground group;
            // at a terminal, it leads a session whose controlling terminal is its pty.
            if tty.is_none() {
                let _ = nix::unistd::setpgid(Pid::from_raw(0), Pid::from_raw(0));
            }
            if let Some(tty) = tty {
                if let Err(errno) = crate::pty_init::take_terminal(tty, true) {
                    let _ = sys::write_raw(
                        w.as_raw_fd(),
                        &failure_bytes(step_code(STEP_TERMINAL), errno),
                    );
                    sys::exit_now(125);
                }
            }
            let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
            // COMMAND gets stdio and nothing else: the init channel (fd 3) above all must not
            // reach it. The exec-error pipe is close-on-exec already. (Before the seccomp
            // filter, which may deny close_range.)
            close_on_exec();
            if let Err((step, errno)) = become_command(plan) {
                let _ = sys::write_raw(w.as_raw_fd(), &failure_bytes(step_code(step), errno));
                sys::exit_now(125);
            }
            let Some(prog) = plan.argv.first() else {
                sys::exit_now(127)
            };
            let err = match execvpe(prog, &plan.argv, &plan.env) {
                Err(e) => e,
                Ok(never) => match never {},
            };
            let _ = sys::write_raw(w.as_raw_fd(), &failure_bytes(EXEC, err));
            sys::exit_now(127);
        }
        sys::Forked::Parent(pid) => {
            // Also here, so that no signal can be forwarded before the group exists (a
            // session leader's group is made by its setsid; a setpgid here would race it).
            if tty.is_none() {
                let _ = nix::unistd::setpgid(pid, pid);
            }
            drop(w);
            let mut buf = [0u8; 5];
            let mut file = fs::File::from(r);
            let n = loop {
                match file.read(&mut buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => break 0,
                }
            };
            if n == buf.len() {
                let _ = waitpid(pid, None);
                let errno = Errno::from_raw(i32::from_ne_bytes([buf[1], buf[2], buf[3], buf[4]]));
                return Err(match buf[0] {
                    EXEC => CommandError::Exec(errno),
                    code => CommandError::Setup(step_name(code), errno),
                });
            }
            Ok(pid)
        }
    }
}

/// Why COMMAND did not start.
pub enum CommandError {
    /// Its exec failed (127: not found, 126: not executable).
    Exec(Errno),
    /// Becoming what it runs as failed (125).
    Setup(&'static str, Errno),
}

/// What COMMAND's child reports over the exec-error pipe: a step code, then an errno.
const EXEC: u8 = 0;
const STEP_TERMINAL: &str = "take the terminal";
const STEPS: [&str; 8] = [
    "exec",
    "change to the working directory",
    "set the groups",
    "switch user",
    crate::confine::STEP_CAPS,
    crate::confine::STEP_NO_NEW_PRIVS,
    crate::confine::STEP_SECCOMP,
    STEP_TERMINAL,
];

fn step_code(step: &str) -> u8 {
    STEPS.iter().position(|s| *s == step).unwrap_or(0) as u8
}

fn step_name(code: u8) -> &'static str {
    STEPS
        .get(usize::from(code))
        .copied()
        .unwrap_or("start the command")
}

fn failure_bytes(code: u8, errno: Errno) -> [u8; 5] {
    let e = (errno as i32).to_ne_bytes();
    [code, e[0], e[1], e[2], e[3]]
}

/// COMMAND's working directory, identity (`lxc.init.cwd`, `lxc.init.uid`/`gid`, `-u`/`-g`)
/// and confinement: the directory first (as root, which may enter it), then capabilities, the
/// groups, the user, and the seccomp filter last.
fn become_command(plan: &InitPlan) -> Result<(), (&'static str, Errno)> {
    if let Some(cwd) = &plan.cwd {
        nix::unistd::chdir(cwd.as_c_str()).map_err(|e| (STEPS[1], e))?;
    }
    // A listener goes to the shim over the init channel, still open until the exec.
    plan.confine
        .enter(Some(crate::sys::borrow_fd(SYNC_FD)), || switch_user(plan))
}

fn switch_user(plan: &InitPlan) -> Result<(), (&'static str, Errno)> {
    if plan.uid.is_some() || plan.gid.is_some() {
        let gid = plan.gid.map(nix::unistd::Gid::from_raw);
        let groups: Vec<nix::unistd::Gid> = gid.into_iter().collect();
        nix::unistd::setgroups(&groups).map_err(|e| (STEPS[2], e))?;
        if let Some(gid) = gid {
            nix::unistd::setgid(gid).map_err(|e| (STEPS[2], e))?;
        }
        if let Some(uid) = plan.uid {
            nix::unistd::setuid(nix::unistd::Uid::from_raw(uid)).map_err(|e| (STEPS[3], e))?;
        }
    }
    Ok(())
}
