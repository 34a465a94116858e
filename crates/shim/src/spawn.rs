//! How a shim comes to be: `lxc-execute` (or `lxc-start`) forks it, detached, with the launch
//! spec in memory. An intermediate child calls setsid and forks the shim, then exits, so that
//! the shim is not the command's child, has a session of its own and, not being a session
//! leader, can never acquire a terminal.
use crate::cgroup;
use crate::event_loop::Shim;
use crate::rundir::RunDir;
use crate::sys;
use lxc_config::mount::MountEntry;
use lxc_config::Config;
use lxc_proto::launch::LaunchEvent;
use lxc_proto::monitor::StateEvent;
use lxc_proto::paths::RunRoot;
use lxc_proto::State;
use nix::sys::wait::waitpid;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

/// Everything the shim needs to start a container.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    /// The container's name (valid).
    pub name: String,
    /// The effective configuration (stored or `-f` or default, with `-s` applied).
    pub config: Config,
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

/// Forks the shim for `spec`, detached. Returns in the caller once the intermediate child has
/// been reaped; the shim reports on `launch` (see `lxc_proto::launch`). It holds `lock` for its
/// whole life. The caller must be single-threaded.
pub fn spawn(
    spec: &LaunchSpec,
    launch: UnixStream,
    lock: File,
    opts: &LaunchOptions,
) -> io::Result<()> {
    match sys::fork()? {
        sys::Forked::Parent(child) => {
            drop(launch);
            drop(lock);
            let _ = waitpid(child, None);
            Ok(())
        }
        sys::Forked::Child => {
            let _ = nix::unistd::setsid();
            match sys::fork() {
                Ok(sys::Forked::Parent(_)) => sys::exit_now(0),
                Ok(sys::Forked::Child) => {}
                Err(e) => {
                    let message = format!("fork the shim: {}", e.desc());
                    send_event(&launch, &LaunchEvent::Failed { code: 125, message });
                    sys::exit_now(1);
                }
            }
            // From here on this is the shim; it never returns into the command's code.
            sys::exit_now(run_shim(spec, launch, lock, opts))
        }
    }
}

fn run_shim(spec: &LaunchSpec, launch: UnixStream, lock: File, opts: &LaunchOptions) -> i32 {
    // Whatever the command's caller left open (a test harness's pipes, a terminal) is not
    // the shim's business; only the launch channel, the lock, the log and stdio stay.
    let mut keep = vec![launch.as_raw_fd(), lock.as_raw_fd()];
    keep.extend(&opts.keep_fds);
    let prepared = sys::close_fds_except(&keep)
        .map_err(io::Error::from)
        .and_then(|_| {
            if opts.stdio == LaunchStdio::Null {
                null_stdio()
            } else {
                Ok(())
            }
        });
    if let Err(e) = prepared {
        let message = format!("prepare the shim: {}", lxc_proto::strerror(&e));
        send_event(&launch, &LaunchEvent::Failed { code: 125, message });
        return 1;
    }
    sys::set_cmdline(&format!("[lxc-shim {}]", spec.name));
    // What the command allocated and freed before the fork need not stay resident here.
    sys::trim_heap();
    let rundir = RunDir::new(&spec.run_root, &spec.name);
    match Shim::start(spec, launch, lock, rundir) {
        Ok(shim) => shim.run(),
        Err(f) => {
            log::error!("{}", f.message);
            if let Err(e) = f.rundir.clean_stale() {
                log::error!("clean up: {e}");
            }
            f.rundir.remove_files(f.lock);
            announce_failed_start(&spec.run_root, &spec.name);
            send_event(
                &f.launch,
                &LaunchEvent::Failed {
                    code: 125,
                    message: f.message,
                },
            );
            1
        }
    }
}

/// A start that failed: what to give back, and why.
pub struct StartFailure {
    pub launch: UnixStream,
    pub lock: File,
    pub rundir: RunDir,
    pub message: String,
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

fn send_event(launch: &UnixStream, ev: &LaunchEvent) {
    // The command may be gone (killed, or -d): the container does not care.
    let _ = (&*launch).write_all(&lxc_proto::framing::line(ev));
}

/// A start that failed before the shim's loop existed still passes through ABORTING for
/// monitors.
fn announce_failed_start(root: &RunRoot, name: &str) {
    let mut monitors = crate::monitor::MonitorSender::new(root.monitor_dir());
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    for (seq, state) in [
        (1, State::Starting),
        (2, State::Aborting),
        (3, State::Stopped),
    ] {
        monitors.broadcast(&StateEvent {
            name: name.to_string(),
            state,
            seq,
            time,
            exit: None,
            shim_pid: std::process::id() as i32,
        });
    }
}
