//! The container's terminals, made by its init once it is inside its root (issue 12): a
//! private devpts instance (autodev's, or one mounted here), then the pseudo-terminals the
//! plan asks for, allocated from that instance: COMMAND's own terminal (lxc-execute at a
//! terminal), or a system container's console (its slave bound onto /dev/console) and its
//! `lxc.tty.max` ttys (/dev/tty1..N). Every master goes to the shim over the init channel,
//! with an `O_PATH` descriptor of the instance's ptmx from which the shim allocates the
//! terminals of `lxc-attach` later; the init keeps only the slave COMMAND gets.
use crate::init_channel::{FromInit, InitEnd};
use crate::sys;
use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

/// What terminals the init makes, decided before the clone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TermPlan {
    /// lxc-execute at a terminal: COMMAND gets a pty of its own (the shim's tty 0).
    pub command_tty: bool,
    /// lxc-start: a console pty (unless `lxc.console.path = none`), bound onto /dev/console.
    pub console: bool,
    /// With `console`: pid 1's stdio is the console (lxc-start -d, or -F at a terminal).
    pub console_stdio: bool,
    /// `lxc.tty.max`: /dev/tty1..N.
    pub ttys: u32,
    /// `lxc.pty.max`: the devpts instance's `max`.
    pub pty_max: Option<u32>,
    /// autodev mounted a private devpts already.
    pub have_devpts: bool,
    /// There is a rootfs (with none, nothing is bound over the host's /dev nodes: only the
    /// private mount namespace's /dev/pts and /dev/ptmx change).
    pub rootfs: bool,
}

impl TermPlan {
    /// Whether the init makes any terminal.
    pub fn wanted(&self) -> bool {
        self.command_tty || self.console
    }
}

type StepResult<T> = Result<T, (String, Errno)>;

fn step(what: &str) -> impl Fn(Errno) -> (String, Errno) + '_ {
    move |e| (what.to_string(), e)
}

/// Makes the terminals and hands the masters to the shim; returns the slave COMMAND (or pid 1)
/// takes as its stdio and controlling terminal, if it takes one.
pub fn set_up(plan: &TermPlan, chan: &InitEnd, stdin: RawFd) -> StepResult<Option<OwnedFd>> {
    if !plan.wanted() {
        return Ok(None);
    }
    if !plan.have_devpts {
        mount_devpts(plan.rootfs)?;
    }
    // The outer terminal's size for the first pty, so that COMMAND starts at the right size.
    let size = crate::sys_tty::window_size(sys::borrow_fd(stdin)).ok();
    let ptmx = open(
        "/dev/pts/ptmx",
        OFlag::O_PATH | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW,
        Mode::empty(),
    )
    .map_err(step("open /dev/pts/ptmx"))?;
    let mut masters: Vec<OwnedFd> = Vec::new();
    let mut slave_for_command = None;
    let first = new_pty(ptmx.as_fd(), size)?;
    if plan.command_tty {
        masters.push(first.0);
        slave_for_command = Some(first.1);
    } else {
        if plan.rootfs {
            bind_slave(first.1.as_fd(), "/dev/console")?;
        }
        masters.push(first.0);
        if plan.console_stdio {
            slave_for_command = Some(first.1);
        }
        for n in 1..=plan.ttys {
            let (master, slave) = new_pty(ptmx.as_fd(), None)?;
            if plan.rootfs {
                bind_slave(slave.as_fd(), &format!("/dev/tty{n}"))?;
            }
            masters.push(master);
        }
    }
    // `lxc.pty.max` limits what the container allocates itself, not its console and ttys
    // (LXC's come from the host's devpts): applied once they exist.
    if let Some(max) = plan.pty_max {
        mount(
            None::<&str>,
            "/dev/pts",
            None::<&str>,
            MsFlags::MS_REMOUNT,
            Some(format!("max={max}").as_str()),
        )
        .map_err(step("apply lxc.pty.max to /dev/pts"))?;
    }
    let mut fds: Vec<BorrowedFd> = vec![ptmx.as_fd()];
    fds.extend(masters.iter().map(AsFd::as_fd));
    chan.send_with_fds(
        &FromInit::Terminals {
            count: masters.len() as u32,
        },
        &fds,
    )
    .map_err(|e| {
        (
            "hand the terminals to the shim".to_string(),
            Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
        )
    })?;
    Ok(slave_for_command)
}

/// A private devpts instance on /dev/pts and its ptmx on /dev/ptmx (glibc's openpt uses
/// /dev/ptmx; the instance must be mounted at /dev/pts itself for it to work).
fn mount_devpts(rootfs: bool) -> StepResult<()> {
    if rootfs {
        // Inside the container's own root: a missing /dev/pts is made, as LXC does.
        match nix::unistd::mkdir("/dev/pts", Mode::from_bits_truncate(0o755)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(("create /dev/pts".into(), e)),
        }
    }
    mount(
        Some("devpts"),
        "/dev/pts",
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
    )
    .map_err(step("mount devpts on /dev/pts"))?;
    let ptmx_is_link = std::fs::symlink_metadata("/dev/ptmx").is_ok_and(|m| m.is_symlink());
    if !ptmx_is_link {
        if rootfs {
            touch("/dev/ptmx")?;
        }
        mount(
            Some("/dev/pts/ptmx"),
            "/dev/ptmx",
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(step("bind /dev/pts/ptmx onto /dev/ptmx"))?;
    }
    Ok(())
}

/// A new pty of the instance: (master, slave), unlocked, with `size` if given.
fn new_pty(ptmx: BorrowedFd<'_>, size: Option<(u16, u16)>) -> StepResult<(OwnedFd, OwnedFd)> {
    let path = format!("/proc/self/fd/{}", ptmx.as_raw_fd());
    let master = open(
        path.as_str(),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(step("open a pty"))?;
    crate::sys_tty::unlock_pty(master.as_fd()).map_err(step("unlock a pty"))?;
    if let Some((rows, cols)) = size {
        let _ = crate::sys_tty::set_window_size(master.as_fd(), rows, cols);
    }
    let slave = crate::sys_tty::pty_peer(master.as_fd()).map_err(step("open a pty's slave"))?;
    Ok((master, slave))
}

/// An empty file to bind a terminal onto (made when missing).
fn touch(path: &str) -> StepResult<()> {
    match open(
        path,
        OFlag::O_CREAT | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::from_bits_truncate(0o600),
    ) {
        Ok(_) => Ok(()),
        // A device node or a file that is there already: the bind covers it.
        Err(Errno::ENXIO) | Err(Errno::ENODEV) => Ok(()),
        Err(e) => Err((format!("create {path}"), e)),
    }
}

/// Binds a slave onto `path` (/dev/console, /dev/ttyN), as LXC does.
fn bind_slave(slave: BorrowedFd<'_>, path: &str) -> StepResult<()> {
    // A symlink there (a rootfs's /dev/console -> ...) is replaced by a file of our own.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
        std::fs::remove_file(path).map_err(|e| {
            (
                format!("remove the symlink {path}"),
                Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)),
            )
        })?;
    }
    touch(path)?;
    let from = format!("/proc/self/fd/{}", slave.as_raw_fd());
    mount(
        Some(from.as_str()),
        path,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| (format!("bind a pty onto {path}"), e))
}

/// In COMMAND (or pid 1) before exec: a session of its own with `tty` as stdio and, with
/// `ctty`, as controlling terminal. A system container's pid 1 does not take its console as
/// controlling terminal: its init gives it to the console's getty or shell, which could not
/// take it from pid 1's session.
pub fn take_terminal(tty: RawFd, ctty: bool) -> Result<(), Errno> {
    // The init leads its session already (CRIU dumps only trees whose sessions are led inside).
    match nix::unistd::setsid() {
        Ok(_) => {}
        Err(Errno::EPERM) if nix::unistd::getsid(None) == Ok(nix::unistd::getpid()) => {}
        Err(e) => return Err(e),
    }
    if ctty {
        crate::sys_tty::set_controlling_tty(tty)?;
    }
    for fd in 0..3 {
        sys::dup_onto(tty, fd)?;
    }
    Ok(())
}
