//! How a shim comes to be: `lxc-execute` (or `lxc-start`) forks it, detached, with the launch
//! spec in memory. An intermediate child calls setsid and forks the shim, then exits, so that
//! the shim is not the command's child, has a session of its own and, not being a session
//! leader, can never acquire a terminal.
use crate::event_loop::Shim;
use crate::rundir::RunDir;
use crate::spec::{null_stdio, LaunchOptions, LaunchSpec, LaunchStdio};
use crate::sys;
use lxc_proto::launch::LaunchEvent;
use lxc_proto::monitor::StateEvent;
use lxc_proto::paths::RunRoot;
use lxc_proto::State;
use nix::sys::wait::waitpid;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;

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
    // lxc-execute holds the signals it forwards across the fork (until its handlers exist):
    // the shim takes its own, so it starts with none blocked.
    let _ = nix::sys::signal::sigprocmask(
        nix::sys::signal::SigmaskHow::SIG_SETMASK,
        Some(&nix::sys::signal::SigSet::empty()),
        None,
    );
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
