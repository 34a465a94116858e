//! The container's pid 1, like lxc-init: sets up the namespaces it was cloned into, waits for
//! the shim to have put it into the container's cgroups, enters a cgroup namespace rooted
//! there, starts COMMAND, forwards every signal it gets to COMMAND, reaps orphans, and once
//! COMMAND ends kills what remains and reports COMMAND's status to the shim. It runs in a
//! clone of the single-threaded shim; once COMMAND runs it executes lxc-init (`reaper.rs`),
//! which goes on the same way with a few pages of its own (`supervise` below is what happens
//! where it cannot). Every signal stays blocked and is taken synchronously, so no handler ever
//! runs here. Nothing of ours reaches
//! COMMAND: every descriptor above stdio is close-on-exec when it is executed.
use crate::hooks::Extra;
use crate::init_channel::{FromInit, InitEnd};
use crate::rootfs;
use crate::rootfs::SetupError;
use crate::sys;
use lxc_config::HookKind;
use lxc_proto::ExitStatus;
use nix::errno::Errno;
use nix::mount::{mount, MsFlags};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use std::ffi::CString;
use std::fs;
use std::os::fd::{AsFd, AsRawFd, RawFd};

use crate::command::{self, CommandError, Pid1Failure};
pub use crate::init_plan::InitPlan;
use crate::init_plan::{REAPER_FD, SYNC_FD};

fn channel() -> InitEnd {
    InitEnd::at(SYNC_FD)
}

/// Runs the init; never returns. `stdio`, `sync` and `reaper` (lxc-init's file, opened by the
/// shim) are descriptors numbered 10 or above.
pub fn run(plan: &InitPlan, stdio: [RawFd; 3], sync: RawFd, reaper: Option<RawFd>) -> ! {
    let have_reaper = reaper.is_some();
    if let Err((step, errno)) = arrange_fds(stdio, sync, reaper) {
        // The channel may be gone already; the shim then sees the init die with 125.
        InitEnd::at(sync).send(&FromInit::SetupFailed {
            step: step.into(),
            errno: errno as i32,
        });
        sys::exit_now(125);
    }
    let idmapped_root = match plan.wait_for_idmap {
        true => crate::idmap::enter(&channel()).unwrap_or_else(|(step, e)| fail(step, e)),
        false => None,
    };
    if let Err((step, errno)) = set_up(plan) {
        fail(step, errno);
    }
    if let Some(tree) = idmapped_root {
        let rootfs = plan.fs.rootfs.as_deref();
        crate::idmap::attach_rootfs(tree, rootfs).unwrap_or_else(|(step, e)| fail(step, e));
    }
    let sysctl_dir = plan
        .tunables
        .apply_early()
        .unwrap_or_else(|(step, errno)| fail(step, errno));
    // The shim moves us into the container's cgroups meanwhile; COMMAND must start inside.
    // When the container's own cgroups are to be mounted, they must exist first.
    let early_go = plan.fs.cgroup.is_some();
    if early_go && channel().wait_for_go().is_err() {
        sys::exit_now(125);
    }
    match rootfs::set_up(&plan.fs, &mut |kind| run_hooks(plan, kind, None)) {
        Ok(None) => {}
        Ok(Some(text)) => channel().send(&FromInit::Warning { text }),
        Err(SetupError::Step((step, errno))) => fail(step, errno),
        Err(SetupError::Hook(message)) => hook_failed(message),
    }
    // Inside the container's root now: its terminals, from its own devpts instance.
    let tty = match crate::pty_init::set_up(&plan.terminal, &channel(), 0) {
        Ok(tty) => tty,
        Err((step, errno)) => fail(step, errno),
    };
    let tty = tty.as_ref().map(|t| t.as_raw_fd());
    // The shim runs start-host hooks once the filesystem is ready, then says go.
    let start_host = plan.hooks.has(HookKind::StartHost);
    if start_host {
        channel().send(&FromInit::FsReady);
    }
    if (start_host || !early_go) && channel().wait_for_go().is_err() {
        sys::exit_now(125);
    }
    // Now in the container's cgroups: a cgroup namespace rooted here, so that whatever the
    // container mounts of cgroupfs shows its own subtree and nothing of its neighbours'.
    match nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWCGROUP) {
        Ok(()) => {}
        // A kernel without cgroup namespaces (before 4.6) has nothing to isolate them with.
        Err(Errno::EINVAL) => {}
        Err(e) => fail("enter a cgroup namespace".into(), e),
    }
    if let Err((step, errno)) = plan.tunables.apply_late(sysctl_dir.as_ref()) {
        fail(step, errno);
    }
    drop(sysctl_dir);
    if let Some(persona) = plan.personality {
        if let Err(e) = sys::set_personality(persona) {
            fail("set the personality of lxc.arch".into(), e);
        }
    }
    // Inside the container now (its root, its namespaces), with COMMAND's environment.
    if let Err(message) = run_hooks(plan, HookKind::Start, Some(&plan.env)) {
        hook_failed(message);
    }
    if plan.system {
        match command::exec_as_pid1(plan, tty) {
            Pid1Failure::Setup(step, errno) => fail(step, errno),
            Pid1Failure::Exec(errno) => {
                channel().send(&FromInit::ExecFailed {
                    errno: errno as i32,
                });
                sys::exit_now(if errno == Errno::ENOENT { 127 } else { 126 });
            }
        }
    }
    // Our init is not COMMAND's to inspect: no ptrace, no pidfd_getfd of its channel (what a
    // process of the container could otherwise use to speak in the init's name).
    let _ = nix::sys::prctl::set_dumpable(false);
    let cmd = match command::start_command(plan, tty) {
        Ok(pid) => pid,
        Err(CommandError::Exec(errno)) => {
            channel().send(&FromInit::ExecFailed {
                errno: errno as i32,
            });
            sys::exit_now(if errno == Errno::ENOENT { 127 } else { 126 });
        }
        Err(CommandError::Setup(step, errno)) => fail(step.into(), errno),
    };
    if let Err(e) = plan.confine.restrict_init() {
        fail(crate::confine::STEP_CAPS.into(), e);
    }
    release_stdio();
    channel().send(&FromInit::Running { pid: cmd.as_raw() });
    // What stays for the container's life is lxc-init's page or two, not this copy of the
    // shim; where it cannot be executed, this process goes on as it would.
    if have_reaper {
        let text = crate::reaper::become_reaper(sys::borrow_fd(REAPER_FD), cmd.as_raw(), SYNC_FD);
        channel().send(&FromInit::Warning { text });
    }
    sys::trim_heap();
    let status = supervise(cmd);
    channel().send(&FromInit::Exited { status });
    sys::exit_now(status.shell_code());
}

/// Runs the hooks of `kind` (none set: nothing), their output to the shim's log. `env`: start
/// from this environment rather than the shim's.
fn run_hooks(plan: &InitPlan, kind: HookKind, env: Option<&[CString]>) -> Result<(), String> {
    if !plan.hooks.has(kind) {
        return Ok(());
    }
    let extra = Extra {
        clear_env_to: env.map(|env| {
            env.iter()
                .filter_map(|kv| {
                    let kv = kv.to_str().ok()?;
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), v.to_string()))
                })
                .collect()
        }),
        ..Extra::default()
    };
    plan.hooks.run_now(kind, &extra, &mut |text| {
        channel().send(&FromInit::HookOutput { text })
    })
}

/// Reports a failed hook and ends the init.
fn hook_failed(message: String) -> ! {
    channel().send(&FromInit::HookFailed { message });
    sys::exit_now(125);
}

/// Reports a failed set-up step and ends the init.
fn fail(step: String, errno: Errno) -> ! {
    channel().send(&FromInit::SetupFailed {
        step,
        errno: errno as i32,
    });
    sys::exit_now(125);
}

/// stdio to 0, 1, 2, the sync channel to 3, lxc-init's file to 4 (close-on-exec), everything
/// else of the shim closed: the listener, the lock, the launch channel must not live on in the
/// container.
fn arrange_fds(
    stdio: [RawFd; 3],
    sync: RawFd,
    reaper: Option<RawFd>,
) -> Result<(), (&'static str, Errno)> {
    let step = "arrange file descriptors";
    for (i, fd) in stdio.into_iter().enumerate() {
        sys::dup_onto(fd, i as RawFd).map_err(|e| (step, e))?;
    }
    sys::dup_onto(sync, SYNC_FD).map_err(|e| (step, e))?;
    if let Some(fd) = reaper {
        sys::dup_onto(fd, REAPER_FD).map_err(|e| (step, e))?;
        sys::set_cloexec(REAPER_FD).map_err(|e| (step, e))?;
    }
    let first_closed = if reaper.is_some() { REAPER_FD } else { SYNC_FD } + 1;
    sys::close_fds_from(first_closed).map_err(|e| (step, e))
}

fn set_up(plan: &InitPlan) -> Result<(), (String, Errno)> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
        .map_err(step_error("set parent-death signal"))?;
    // The shim may have died before the line above took effect: its end of the channel tells.
    let sync = sys::borrow_fd(SYNC_FD);
    let mut fds = [PollFd::new(sync, PollFlags::empty())];
    if poll(&mut fds, PollTimeout::ZERO).is_ok()
        && fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLHUP))
    {
        sys::exit_now(1);
    }
    sys::reset_signal_handlers();
    // The container's processes form a session of their own, led by its pid 1 (CRIU dumps
    // only a tree whose sessions are led inside it). The shim has no terminal to lose.
    let _ = nix::unistd::setsid();
    let _ = nix::sys::prctl::set_name(c"lxc-init");
    sys::set_cmdline("lxc-init");
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(step_error("make the mounts private"))?;
    nix::unistd::sethostname(&plan.hostname).map_err(step_error("set the hostname"))?;
    Ok(())
}

/// The init keeps no terminal open once COMMAND has it.
fn release_stdio() {
    if let Ok(null) = fs::File::open("/dev/null") {
        for fd in 0..3 {
            let _ = sys::dup_onto(null.as_fd().as_raw_fd(), fd);
        }
    }
}

/// Forwards signals to COMMAND and reaps until COMMAND and everything else has ended.
fn supervise(cmd: Pid) -> ExitStatus {
    let mut status: Option<ExitStatus> = None;
    loop {
        let sig = match sys::wait_any_signal() {
            Ok(s) => s,
            Err(_) => continue,
        };
        if sig != libc::SIGCHLD {
            if status.is_none() {
                // What a terminal sends to its foreground group (Ctrl-C, Ctrl-\, a resize)
                // goes to COMMAND's group, so that `sleep` under an interactive shell is
                // interrupted as it would be at a terminal; everything else to COMMAND alone.
                let target = if matches!(sig, libc::SIGINT | libc::SIGQUIT | libc::SIGWINCH) {
                    Pid::from_raw(-cmd.as_raw())
                } else {
                    cmd
                };
                let _ = sys::send_signal(target, sig);
            }
            continue;
        }
        loop {
            match waitpid(None::<Pid>, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == cmd => {
                    status = Some(ExitStatus::exited(code));
                    kill_everything_else();
                }
                Ok(WaitStatus::Signaled(pid, s, _)) if pid == cmd => {
                    status = Some(ExitStatus::signaled(s as i32));
                    kill_everything_else();
                }
                Ok(WaitStatus::StillAlive) => break,
                Ok(_) => {}
                Err(Errno::EINTR) => {}
                Err(_) => {
                    // ECHILD: nothing left to reap.
                    if let Some(s) = status {
                        return s;
                    }
                    break;
                }
            }
        }
    }
}

/// kill(-1) from a pid namespace's init reaches every other process of the namespace.
fn kill_everything_else() {
    let _ = sys::send_signal(Pid::from_raw(-1), libc::SIGKILL);
}

fn step_error(step: &'static str) -> impl Fn(Errno) -> (String, Errno) {
    move |e| (step.to_string(), e)
}
