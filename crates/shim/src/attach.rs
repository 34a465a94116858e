//! The process `exec` starts (lxc-attach), from its fork until its exec: a child of the shim
//! already in the container's pid namespace (the shim forked it from there), it joins the
//! container's cgroups (unless elevated), enters the other namespaces, takes its terminal or
//! the caller's stdio, becomes its user and runs COMMAND, by default the user's shell from the
//! container's /etc/passwd. The container's security settings are applied in
//! [`before_exec`], the same step the init takes before executing COMMAND.
use crate::sys;
use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::sys::signal::{sigprocmask, SigSet, SigmaskHow};
use nix::unistd::{execvpe, Gid, Uid};
use std::ffi::CString;
use std::os::fd::{OwnedFd, RawFd};
use std::path::PathBuf;

/// Everything the child needs, prepared by the shim before the fork.
pub struct AttachPlan {
    /// The container's name, for messages.
    pub name: String,
    /// COMMAND; empty: the user's shell.
    pub argv: Vec<CString>,
    pub env: Vec<CString>,
    pub uid: u32,
    pub gid: u32,
    /// The namespaces to enter (the user namespace first), opened from the container's init.
    pub namespaces: Vec<(OwnedFd, CloneFlags)>,
    /// The `cgroup.procs` (v2) or `tasks` (v1) files to join (none when elevated).
    pub cgroup_procs: Vec<PathBuf>,
    /// stdin, stdout, stderr: the caller's, or the pty's slave three times.
    pub stdio: [RawFd; 3],
    /// The slave is the controlling terminal.
    pub pty: bool,
    /// `lxc.arch`.
    pub personality: Option<libc::c_ulong>,
    /// The container's capabilities, no_new_privs and seccomp filter (`-e`: none of the first
    /// and last).
    pub confine: std::rc::Rc<crate::confine::Confinement>,
    /// Where the seccomp listener goes (the child's end of the shim's hand-off socket), when
    /// the filter has one.
    pub listener_to: Option<RawFd>,
}

/// Runs in the forked child; never returns.
pub fn run(plan: &AttachPlan) -> ! {
    sys::reset_signal_handlers();
    let _ = sigprocmask(SigmaskHow::SIG_SETMASK, Some(&SigSet::empty()), None);
    for (i, fd) in plan.stdio.iter().enumerate() {
        if sys::dup_onto(*fd, i as RawFd).is_err() {
            sys::exit_now(125);
        }
    }
    if let Err((step, errno)) = enter(plan) {
        say(plan, &format!("{step}: {}", errno.desc()));
        sys::exit_now(125);
    }
    let argv = if plan.argv.is_empty() {
        vec![login_shell(plan.uid)]
    } else {
        plan.argv.clone()
    };
    if let Err(e) = before_exec(plan) {
        say(plan, &e);
        sys::exit_now(125);
    }
    // Nothing of the shim's reaches COMMAND: the listener, clients, masters are all closed
    // (before the filter, which may deny close_range).
    if sys::cloexec_from(3).is_err() {
        sys::exit_now(125);
    }
    // As COMMAND: capabilities, the user, no_new_privs, the filter last before the exec.
    let listener_to = plan.listener_to.map(sys::borrow_fd);
    if let Err((step, errno)) = plan.confine.enter(listener_to, || switch_user(plan)) {
        say(plan, &format!("{step}: {}", errno.desc()));
        sys::exit_now(125);
    }
    let err = match execvpe(&argv[0], &argv, &plan.env) {
        Err(e) => e,
        Ok(never) => match never {},
    };
    let cmd = argv[0].to_string_lossy();
    say(
        plan,
        &format!(
            "failed to exec \"{}\": {}",
            lxc_proto::printable(&lxc_proto::shorten(&cmd, 200)),
            err.desc()
        ),
    );
    sys::exit_now(if err == Errno::ENOENT { 127 } else { 126 });
}

fn enter(plan: &AttachPlan) -> Result<(), (&'static str, Errno)> {
    for procs in &plan.cgroup_procs {
        // "0": the writer itself, whatever its pid is called in this namespace.
        std::fs::write(procs, "0").map_err(|e| ("join the container's cgroups", io_errno(&e)))?;
    }
    for (fd, kind) in &plan.namespaces {
        nix::sched::setns(fd, *kind).map_err(|e| ("enter a namespace of the container", e))?;
    }
    nix::unistd::chdir("/").map_err(|e| ("change to /", e))?;
    nix::unistd::setsid().map_err(|e| ("start a session", e))?;
    if plan.pty {
        crate::sys_tty::set_controlling_tty(0).map_err(|e| ("take the terminal", e))?;
    }
    Ok(())
}

/// The attached process's groups, group and user.
fn switch_user(plan: &AttachPlan) -> Result<(), (&'static str, Errno)> {
    let gid = Gid::from_raw(plan.gid);
    nix::unistd::setgroups(&[gid]).map_err(|e| ("set the groups", e))?;
    nix::unistd::setgid(gid).map_err(|e| ("set the group", e))?;
    nix::unistd::setuid(Uid::from_raw(plan.uid)).map_err(|e| ("switch user", e))?;
    Ok(())
}

/// The container's settings that hold for every process of it, applied before the exec as
/// the init applies them to COMMAND: `lxc.arch`'s personality (the confinement follows).
fn before_exec(plan: &AttachPlan) -> Result<(), String> {
    if let Some(persona) = plan.personality {
        sys::set_personality(persona)
            .map_err(|e| format!("set the personality of lxc.arch: {}", e.desc()))?;
    }
    Ok(())
}

/// The shell of `uid` in the container's /etc/passwd, else /bin/sh.
fn login_shell(uid: u32) -> CString {
    let shell = std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|line| {
                let f: Vec<&str> = line.split(':').collect();
                (f.len() >= 7 && f[2].parse() == Ok(uid) && !f[6].is_empty())
                    .then(|| f[6].to_string())
            })
        });
    shell
        .and_then(|s| CString::new(s).ok())
        .unwrap_or_else(|| c"/bin/sh".to_owned())
}

/// One line on the process's stderr (the caller's, or its terminal).
fn say(plan: &AttachPlan, what: &str) {
    let line = format!("lxc-attach: {}: {what}\n", plan.name);
    let _ = sys::write_raw(2, line.as_bytes());
}

fn io_errno(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// The namespaces of the container's init to enter: those of `only` (LXC's names), or all, in
/// the order setns needs (user first), leaving out those the shim shares with it.
pub fn open_namespaces(
    init: nix::unistd::Pid,
    only: Option<&[String]>,
) -> Result<Vec<(OwnedFd, CloneFlags)>, String> {
    use std::os::unix::fs::MetadataExt;
    let kinds = [
        ("user", CloneFlags::CLONE_NEWUSER),
        ("mnt", CloneFlags::CLONE_NEWNS),
        ("uts", CloneFlags::CLONE_NEWUTS),
        ("ipc", CloneFlags::CLONE_NEWIPC),
        ("net", CloneFlags::CLONE_NEWNET),
        ("cgroup", CloneFlags::CLONE_NEWCGROUP),
    ];
    let mut out = Vec::new();
    for (name, flag) in kinds {
        if only.is_some_and(|o| !o.iter().any(|n| n == name)) {
            continue;
        }
        let theirs = format!("/proc/{init}/ns/{name}");
        let ours = format!("/proc/self/ns/{name}");
        let (Ok(a), Ok(b)) = (std::fs::metadata(&theirs), std::fs::metadata(&ours)) else {
            continue;
        };
        if a.ino() == b.ino() && a.dev() == b.dev() {
            continue;
        }
        let f = std::fs::File::open(&theirs)
            .map_err(|e| format!("open {theirs}: {}", lxc_proto::strerror(&e)))?;
        out.push((OwnedFd::from(f), flag));
    }
    Ok(out)
}
