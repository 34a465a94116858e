//! The shim's one loop: a table of event sources (listener, signals, the init's channel, the
//! launch channel, clients, helpers' output, the freezer's events) and a timer queue, polled
//! with mio. It dispatches each event, applies the lifecycle's effects, and ends once the
//! container has stopped and everything is cleaned up (`ending.rs`). Nothing in it blocks.
use crate::children::{Children, Role};
use crate::clients::Clients;
use crate::gate::GoGate;
use crate::hooks::{Extra, Hooks, Running};
use crate::init_channel::{FromInit, Received, ShimEnd};
use crate::launcher::Launcher;
use crate::lifecycle::{Effect, Lifecycle};
use crate::methods::Facts;
use crate::monitor::{MonitorSender, RETRY};
use crate::net::HelperRun;
use crate::payload::Relaunch;
use crate::rundir::RunDir;
use crate::sources::{Source, Sources};
use crate::timers::{TimerKind, Timers};
use lxc_config::Hook;
use lxc_proto::framing::{line, Notification};
use lxc_proto::record::Record;
use mio::net::UnixListener;
use mio::{Events, Poll, Token};
use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{Expiration, TimerFd, TimerSetTimeFlags};
use nix::unistd::Pid;
use signal_hook::consts::SIGCHLD;
use signal_hook_mio::v1_0::Signals;
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{self, Read, Seek};
use std::time::{Duration, Instant};

/// Where the shim is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The init waits for the network helper before `go`.
    Network,
    /// The init has been told to go (or is being killed after a failed start).
    Started,
    /// The init is reaped: tearing down.
    Ending,
    /// Everything is done.
    Done,
}

/// The shim.
pub struct Shim {
    pub(crate) poll: Poll,
    pub(crate) sources: Sources,
    pub(crate) timers: Timers,
    /// Wakes the loop when the earliest timer is due, to the nanosecond.
    pub(crate) timer_fd: TimerFd,
    /// What `timer_fd` is set to.
    pub(crate) timer_at: Option<Instant>,
    pub(crate) children: Children,
    pub(crate) clients: Clients,
    pub(crate) listener: UnixListener,
    pub(crate) signals: Signals,
    pub(crate) launcher: Option<(Token, Launcher)>,
    pub(crate) chan: ShimEnd,
    pub(crate) chan_token: Token,
    pub(crate) monitors: MonitorSender,
    pub(crate) life: Lifecycle,
    pub(crate) facts: Facts,
    pub(crate) rundir: RunDir,
    pub(crate) record: Record,
    pub(crate) lock: Option<File>,
    pub(crate) helpers: HashMap<Pid, HelperRun>,
    pub(crate) freezer_events: Option<(Token, File)>,
    /// OOM kills of the container, watched from the loop (`oom.rs`).
    pub(crate) oom: Option<crate::cgroup::oom::OomWatch>,
    pub(crate) phase: Phase,
    /// The listener's backlog was not emptied in the last round.
    pub(crate) accept_more: bool,
    /// When the cgroups must be gone at the latest (tasks still leaving before).
    pub(crate) remove_deadline: Option<Instant>,
    pub(crate) teardown_started: bool,
    /// What a system container takes to start again after a reboot.
    pub(crate) relaunch: Option<Relaunch>,
    /// `lxc.hook.*` of the shim's own: pre-start, start-host, stop, post-stop.
    pub(crate) hooks: Hooks,
    /// The end's hooks still to run, in order, and the one running.
    pub(crate) hook_queue: VecDeque<(Hook, Extra)>,
    pub(crate) hook_run: Option<Running>,
    /// The end's `stop` / `post-stop` hooks have been queued (once per end).
    pub(crate) stop_hooks_queued: bool,
    pub(crate) post_stop_queued: bool,
    /// A restart's pre-start hooks have been queued.
    pub(crate) pre_start_queued: bool,
    /// The container's namespaces, kept open for its `stop` hooks.
    pub(crate) kept_ns: Vec<(&'static str, File)>,
    /// When the init may go on.
    pub(crate) gate: GoGate,
    /// `lxc-start -p`'s file, removed at the end.
    pub(crate) pid_file: Option<std::path::PathBuf>,
    /// `lxc.ephemeral`: the container's directory, removed at the end.
    pub(crate) ephemeral_dir: Option<std::path::PathBuf>,
    /// A `checkpoint` in progress.
    pub(crate) dump: Option<crate::criu::Dump>,
    /// The terminals held (none for a container without any).
    pub(crate) terminals: Option<Box<crate::terminals::Terminals>>,
    /// The processes `exec` started (none until the first).
    pub(crate) execs: Option<Box<crate::exec::ExecTable>>,
    /// What terminals and attached processes take from the config.
    pub(crate) tty_conf: crate::terminals::TtyConf,
    /// The seccomp listeners and proxy (`lxc.seccomp.notify.proxy`), when used.
    pub(crate) notifier: Option<Box<crate::notifier::Notifier>>,
}

impl Shim {
    /// Runs until the container has stopped; returns the shim's exit code.
    pub fn run(mut self: Box<Self>) -> i32 {
        crate::sys::trim_heap();
        let mut events = Events::with_capacity(64);
        while self.phase != Phase::Done {
            self.set_timer_fd();
            let more_output = self.terminals_more();
            let more_calls = self.seccomp_more();
            let timeout = (self.accept_more || more_output || more_calls).then_some(Duration::ZERO);
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                log::error!("poll: {}", lxc_proto::strerror(&e));
                self.emergency_end();
                break;
            }
            for ev in events.iter() {
                self.dispatch(ev.token(), ev.is_readable(), ev.is_writable());
            }
            if more_output {
                self.pump_terminals();
            }
            if more_calls {
                self.seccomp_pump();
            }
            for kind in self.timers.expired(Instant::now()) {
                self.on_timer(kind);
            }
            if self.accept_more {
                self.accept_more =
                    self.clients
                        .accept(&self.listener, self.poll.registry(), &mut self.sources);
            }
            let dropped = self.clients.take_dropped();
            if !dropped.is_empty() {
                let mut fx = Vec::new();
                for token in dropped {
                    self.forget_exec_waits(token);
                    self.life.forget(token, &mut self.timers, &mut fx);
                }
                self.apply(&mut fx);
            }
        }
        self.clients
            .flush_all_until(Instant::now() + Duration::from_secs(1));
        // The last STOPPED may have found (and removed) a dead monitor's socket after the run
        // directory went: the run root of another lxcpath may be empty only now.
        self.rundir.run_root().remove_if_empty();
        0
    }

    /// Sets the timerfd to the earliest timer, when that changed.
    fn set_timer_fd(&mut self) {
        let next = self.timers.next_deadline();
        if next == self.timer_at {
            return;
        }
        let result = match next {
            Some(at) => {
                // A zero expiry would disarm it: at least a nanosecond.
                let left = at
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_nanos(1));
                self.timer_fd.set(
                    Expiration::OneShot(TimeSpec::from_duration(left)),
                    TimerSetTimeFlags::empty(),
                )
            }
            None => self.timer_fd.unset(),
        };
        match result {
            Ok(()) => self.timer_at = next,
            Err(e) => log::error!("set the timer: {}", e.desc()),
        }
    }

    fn dispatch(&mut self, token: Token, readable: bool, writable: bool) {
        let mut fx = Vec::new();
        match self.sources.get(token) {
            Some(Source::Listener) => {
                self.accept_more =
                    self.clients
                        .accept(&self.listener, self.poll.registry(), &mut self.sources)
            }
            Some(Source::Signals) => {
                let pending: Vec<i32> = self.signals.pending().collect();
                for sig in pending {
                    if sig == SIGCHLD {
                        self.reap(&mut fx);
                    } else {
                        // Termination signals sent to the shim go to COMMAND, through the init.
                        self.life.signal_init(sig);
                    }
                }
            }
            Some(Source::InitChannel) => self.read_init_channel(&mut fx),
            Some(Source::Launch) => self.read_launcher(),
            Some(Source::Client) => self.on_client(token, readable, writable, &mut fx),
            Some(Source::HelperOutput { pid, .. }) => {
                if let Some(h) = self.helpers.get_mut(&pid) {
                    h.on_output(token, self.poll.registry(), &mut self.sources);
                }
                self.complete_helper(pid, &mut fx);
            }
            Some(Source::Timer) => {
                // Expired timers are handled after the events; the expiry count only clears it.
                let _ = nix::unistd::read(&self.timer_fd, &mut [0u8; 8]);
                self.timer_at = None;
            }
            Some(Source::FreezerEvents) => {
                if let Some((_, f)) = &mut self.freezer_events {
                    // Reading it again re-arms the kernel's notification for this open file.
                    let mut buf = [0u8; 256];
                    let _ = f.rewind().and_then(|_| f.read(&mut buf));
                }
                self.life.check_freeze(&mut self.timers, &mut fx);
            }
            Some(Source::Terminal) => self.on_terminal_event(token, readable),
            Some(Source::Oom) => self.on_oom(),
            Some(Source::SeccompListener) => self.on_seccomp_ready(token),
            Some(Source::SeccompProxy) => self.on_seccomp_proxy(),
            Some(Source::SeccompHandoff) => self.on_seccomp_handoff(token),
            None => {}
        }
        self.apply(&mut fx);
    }

    fn on_timer(&mut self, kind: TimerKind) {
        let mut fx = Vec::new();
        match kind {
            TimerKind::StopGrace => self.life.on_stop_grace(&mut self.timers),
            TimerKind::NoKillDeadline => self.life.on_nokill_deadline(&mut self.timers, &mut fx),
            TimerKind::RebootDeadline => self.life.on_reboot_deadline(&mut self.timers, &mut fx),
            TimerKind::FreezeCheck | TimerKind::FreezeDeadline => {
                self.life.check_freeze(&mut self.timers, &mut fx)
            }
            TimerKind::KillRound => self.life.on_kill_round(&mut self.timers),
            TimerKind::MonitorRetry => {
                if self.monitors.retry() {
                    self.timers
                        .arm(Instant::now() + RETRY, TimerKind::MonitorRetry);
                }
            }
            TimerKind::RemoveCgroups => self.advance_ending(&mut fx),
            TimerKind::OomCheck => self.on_oom_check(),
            TimerKind::SeccompProxy => self.on_seccomp_timeout(),
        }
        self.apply(&mut fx);
    }

    /// Applies what the lifecycle asked for.
    pub(crate) fn apply(&mut self, fx: &mut Vec<Effect>) {
        for effect in fx.drain(..) {
            match effect {
                Effect::Notify(ev) => {
                    if self.monitors.broadcast(&ev) {
                        self.timers
                            .arm_no_later(Instant::now() + RETRY, TimerKind::MonitorRetry);
                    }
                    let line = line(&Notification::new("state", &ev));
                    self.clients
                        .notify(&line, self.poll.registry(), &mut self.sources);
                }
                Effect::Answer(w, line) => {
                    self.clients
                        .answer(w.token, &line, self.poll.registry(), &mut self.sources)
                }
                Effect::Launch(ev) => {
                    if let Some((_, l)) = &mut self.launcher {
                        if !l.send(&ev) {
                            self.drop_launcher();
                        }
                    }
                }
            }
        }
    }

    #[inline(never)]
    fn reap(&mut self, fx: &mut Vec<Effect>) {
        for r in self.children.reap() {
            match r.role {
                Some(Role::Init) => {
                    // The init's last datagrams may still be queued behind its SIGCHLD.
                    self.read_init_channel(fx);
                    self.end_terminals();
                    self.life.on_init_reaped(r.status, &mut self.timers, fx);
                    self.phase = Phase::Ending;
                    self.advance_ending(fx);
                }
                Some(Role::Hook) => self.on_hook_exit(r.pid, r.status, fx),
                Some(Role::Criu) => self.on_dump_end(r.pid, r.status, fx),
                Some(Role::Exec) => self.on_exec_reaped(r.pid, r.status, fx),
                Some(Role::Helper(job)) => {
                    log::debug!("helper {} ({}) ended: {}", r.pid, job.name(), r.status);
                    if let Some(h) = self.helpers.get_mut(&r.pid) {
                        h.on_exit(r.status);
                    }
                    self.complete_helper(r.pid, fx);
                }
                None => log::warn!("reaped an unknown child {}", r.pid),
            }
        }
    }

    pub(crate) fn read_init_channel(&mut self, fx: &mut Vec<Effect>) {
        loop {
            match self.chan.try_recv() {
                Ok(Received::Message(FromInit::Terminals { count }, fds)) => {
                    self.on_terminals(count, fds)
                }
                Ok(Received::Message(FromInit::SeccompListener, fds)) => {
                    self.on_seccomp_listener(fds)
                }
                Ok(Received::Message(FromInit::FsReady, fds)) => {
                    drop(fds);
                    let steps = self.gate.fs_ready();
                    self.take_steps(steps, fx);
                }
                Ok(Received::Message(msg, fds)) => {
                    drop(fds);
                    self.life.on_init_message(msg, fx);
                }
                Ok(Received::Malformed(bytes)) => {
                    log::warn!("malformed message from the init ({} bytes)", bytes.len())
                }
                Ok(Received::Closed) => {
                    self.life.on_init_closed(fx);
                    let fd = std::os::fd::AsRawFd::as_raw_fd(&self.chan);
                    let _ = self
                        .poll
                        .registry()
                        .deregister(&mut mio::unix::SourceFd(&fd));
                    return;
                }
                Ok(Received::Empty) => return,
                Err(e) => {
                    log::warn!("init channel: {}", lxc_proto::strerror(&e));
                    return;
                }
            }
        }
    }

    /// A start the shim must give up. A failure the init reported is the cause (a failed
    /// mount ends the init, and with it its namespace and channel, so the network helper's or
    /// our own error is only a consequence): its messages are read first.
    pub(crate) fn fail_start(&mut self, message: String, fx: &mut Vec<Effect>) {
        self.read_init_channel(fx);
        self.life.fail_start(message, fx);
    }
}
