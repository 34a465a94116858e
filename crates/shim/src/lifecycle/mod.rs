//! The container's life as the shim sees it: its state and the numbering of state changes, how
//! it ended, and the operations that change it (stop, kill, freeze). Nothing here touches a
//! client or a socket: every operation pushes the [`Effect`]s to apply (notify, answer a parked
//! request, tell the launcher) and arms timers; nothing here ever waits. States: STARTING ->
//! RUNNING -> STOPPING -> STOPPED, or STARTING -> ABORTING -> STOPPING -> STOPPED when the
//! set-up or the exec of COMMAND fails; RUNNING <-> FREEZING -> FROZEN.
mod freeze;
mod stop;

use crate::cgroup::ContainerCgroup;
use crate::init_channel::FromInit;
use crate::sys;
use crate::timers::{TimerKind, Timers};
use lxc_proto::framing::{error_line, ok_line, ErrorCode, RpcError};
use lxc_proto::launch::LaunchEvent;
use lxc_proto::monitor::StateEvent;
use lxc_proto::response::WaitReply;
use lxc_proto::{ExitStatus, State};
use mio::Token;
use nix::errno::Errno;
use nix::unistd::Pid;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A parked request: who to answer, and its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiter {
    pub token: Token,
    pub id: Value,
}

/// What the event loop must do after an operation.
#[derive(Debug)]
pub enum Effect {
    /// Tell monitors and subscribers.
    Notify(StateEvent),
    /// Answer a parked request with this line.
    Answer(Waiter, Vec<u8>),
    /// Tell the lxc-execute that started the container.
    Launch(LaunchEvent),
}

/// How the container ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The status reported to waiters: COMMAND's, or the init's when it never ran.
    pub status: ExitStatus,
    /// A set-up or exec failure: the exit code lxc-execute uses, and why.
    pub failure: Option<(i32, String)>,
}

/// Unexpected init messages logged before the rest are counted only.
const MAX_UNEXPECTED_LOGGED: u32 = 3;

/// The container's life.
pub struct Lifecycle {
    name: String,
    state: State,
    seq: u64,
    /// lxc-start: the init is COMMAND itself.
    system: bool,
    init: Pid,
    /// COMMAND's first word, for an exec failure's message.
    cmd0: String,
    shim_pid: i32,
    cgroup: ContainerCgroup,
    /// Sent to COMMAND (app) or pid 1 (system) by a graceful stop.
    halt_signal: i32,
    /// `lxc.signal.stop`: sent when the grace time is over, before the kill; None = kill.
    stop_signal: Option<i32>,
    stop_signal_sent: bool,
    /// A set-up or exec failure the init reported.
    failure: Option<(i32, String)>,
    /// The status the init reported for COMMAND (checked against its own at reap).
    reported: Option<ExitStatus>,
    running: bool,
    started: Option<u64>,
    ending: Option<Ending>,
    waits: Vec<Waiter>,
    freeze: Option<freeze::PendingFreeze>,
    kill: Option<stop::KillRounds>,
    unexpected: u32,
}

/// The settings a lifecycle starts from.
pub struct LifeSpec {
    pub name: String,
    pub system: bool,
    pub init: Pid,
    pub cmd0: String,
    pub cgroup: ContainerCgroup,
    pub halt_signal: i32,
    pub stop_signal: Option<i32>,
}

fn now_secs() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl Lifecycle {
    /// A container in STARTING, numbered 1 (the caller announces it).
    pub fn new(spec: LifeSpec) -> Lifecycle {
        Lifecycle {
            name: spec.name,
            state: State::Starting,
            seq: 1,
            system: spec.system,
            init: spec.init,
            cmd0: spec.cmd0,
            shim_pid: std::process::id() as i32,
            cgroup: spec.cgroup,
            halt_signal: spec.halt_signal,
            stop_signal: spec.stop_signal.filter(|&s| s != libc::SIGKILL),
            stop_signal_sent: false,
            failure: None,
            reported: None,
            running: false,
            started: None,
            ending: None,
            waits: Vec::new(),
            freeze: None,
            kill: None,
            unexpected: 0,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    pub fn seq(&self) -> u64 {
        self.seq
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn init(&self) -> Pid {
        self.init
    }

    pub fn started(&self) -> Option<u64> {
        self.started
    }

    pub fn ending(&self) -> Option<&Ending> {
        self.ending.as_ref()
    }

    pub fn cgroup(&self) -> &ContainerCgroup {
        &self.cgroup
    }

    /// The event of the current state (for announcing STARTING, or a subscriber).
    pub fn event(&self) -> StateEvent {
        StateEvent {
            name: self.name.clone(),
            state: self.state,
            seq: self.seq,
            time: now_secs().as_secs_f64(),
            exit: if self.state == State::Stopped {
                self.ending.as_ref().map(|e| e.status)
            } else {
                None
            },
            shim_pid: self.shim_pid,
        }
    }

    /// Moves to `state`: numbers the change and notifies.
    fn set_state(&mut self, state: State, fx: &mut Vec<Effect>) {
        if self.state == state {
            return;
        }
        log::info!("state {} -> {}", self.state, state);
        self.state = state;
        self.seq += 1;
        fx.push(Effect::Notify(self.event()));
    }

    /// Forwards a signal to COMMAND through our init (app containers) or to pid 1 (system).
    pub fn signal_init(&self, sig: i32) {
        let _ = sys::send_signal(self.init, sig);
    }

    /// A message on the init channel. Only the init holds its end, yet the shim trusts it only
    /// as far as the container's state allows: set-up reports only while starting, `running`
    /// once, and a reported exit status only if the init's own exit agrees with it.
    pub fn on_init_message(&mut self, msg: FromInit, fx: &mut Vec<Effect>) {
        log::debug!("init: {msg:?}");
        let starting = !self.running && self.state == State::Starting && self.failure.is_none();
        match msg {
            FromInit::Running { .. } if starting => self.on_running(fx),
            FromInit::ExecFailed { errno } if starting => {
                let e = Errno::from_raw(errno);
                let code = if e == Errno::ENOENT { 127 } else { 126 };
                let cmd = lxc_proto::shorten(&self.cmd0, 200);
                self.failure = Some((code, format!("failed to exec \"{cmd}\": {}", e.desc())));
                self.set_state(State::Aborting, fx);
            }
            FromInit::SetupFailed { step, errno } if starting => {
                let message = format!(
                    "{}: {}",
                    lxc_proto::shorten(&step, 1000),
                    Errno::from_raw(errno).desc()
                );
                self.failure = Some((125, message));
                self.set_state(State::Aborting, fx);
            }
            FromInit::Exited { status } if self.running && self.reported.is_none() => {
                self.reported = Some(status);
            }
            FromInit::Warning { text } if !self.running => {
                log::warn!("{}", printable(&lxc_proto::shorten(&text, 500)));
            }
            other => {
                self.unexpected += 1;
                if self.unexpected <= MAX_UNEXPECTED_LOGGED {
                    log::warn!("ignored an unexpected message from the init: {other:?}");
                }
            }
        }
    }
}

impl Lifecycle {
    fn on_running(&mut self, fx: &mut Vec<Effect>) {
        self.running = true;
        self.started = Some(now_secs().as_secs());
        self.set_state(State::Running, fx);
        fx.push(Effect::Launch(LaunchEvent::Ready {
            pid: self.init.as_raw(),
        }));
    }

    /// The init's end of its channel closed while it lives: a system container's pid 1 was
    /// executed (its channel is close-on-exec), so the container runs.
    pub fn on_init_closed(&mut self, fx: &mut Vec<Effect>) {
        if self.system && !self.running && self.state == State::Starting && self.failure.is_none() {
            self.on_running(fx);
        }
    }

    /// A failure found by the shim itself while starting (cgroups, network): the init is
    /// being killed. A failure the init reported first wins: it is the cause.
    pub fn fail_start(&mut self, message: String, fx: &mut Vec<Effect>) {
        if self.failure.is_none() {
            self.failure = Some((125, message));
        }
        self.set_state(State::Aborting, fx);
        self.signal_init(libc::SIGKILL);
    }

    /// The init has been reaped: everything of the container is gone with it (it was the pid
    /// namespace's init). Decides how the container ended; STOPPING until the shim has cleaned
    /// up (then [`Lifecycle::finish`]).
    pub fn on_init_reaped(
        &mut self,
        status: ExitStatus,
        timers: &mut Timers,
        fx: &mut Vec<Effect>,
    ) {
        // The init exits with COMMAND's shell code: its report only tells a code from a signal
        // (137 from SIGKILL). A report its own exit does not match is not believed.
        let status = match self.reported {
            Some(r) if !self.system && ExitStatus::exited(r.shell_code()) == status => r,
            _ => status,
        };
        if self.failure.is_some() {
            self.set_state(State::Aborting, fx);
        }
        self.set_state(State::Stopping, fx);
        for kind in [
            TimerKind::StopGrace,
            TimerKind::KillRound,
            TimerKind::FreezeCheck,
            TimerKind::FreezeDeadline,
        ] {
            timers.cancel(kind);
        }
        self.kill = None;
        if let Some(p) = self.freeze.take() {
            let err = RpcError::new(ErrorCode::InvalidState, format!("{} stopped", self.name));
            for w in p.take_waiters() {
                let line = error_line(&w.id, &err);
                fx.push(Effect::Answer(w, line));
            }
        }
        log::info!("init reaped: {status:?}");
        self.ending = Some(Ending {
            status,
            failure: self.failure.clone(),
        });
    }

    /// Everything is cleaned up: STOPPED, and everyone who waits is told.
    pub fn finish(&mut self, fx: &mut Vec<Effect>) {
        let Some(ending) = self.ending.clone() else {
            return;
        };
        self.set_state(State::Stopped, fx);
        log::info!("stopped: {:?}", ending.status);
        fx.push(Effect::Launch(match &ending.failure {
            Some((code, message)) => LaunchEvent::Failed {
                code: *code,
                message: message.clone(),
            },
            None => LaunchEvent::Exited {
                status: ending.status,
            },
        }));
        let reply = WaitReply {
            state: State::Stopped,
            exit: ending.status,
        };
        for w in std::mem::take(&mut self.waits) {
            let line = ok_line(&w.id, &reply);
            fx.push(Effect::Answer(w, line));
        }
    }

    /// Parks a `wait` (or a `stop`) until the container has stopped.
    pub fn park_wait(&mut self, waiter: Waiter) {
        self.waits.push(waiter);
    }
}

/// `text` with control characters escaped, for a log line.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}
