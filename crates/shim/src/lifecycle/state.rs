//! The lifecycle's data: the container's state and numbering, how it ended, what waits on
//! it, and the operations in progress; with the few accessors every part of the lifecycle
//! uses. The rest of the lifecycle (`mod.rs`, `stop.rs`, `freeze.rs`) acts on it.
use crate::cgroup::ContainerCgroup;
use crate::sys;
use lxc_proto::launch::LaunchEvent;
use lxc_proto::monitor::StateEvent;
use lxc_proto::{ExitStatus, State};
use mio::Token;
use nix::unistd::Pid;
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A parked request: who to answer, and its id.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiter {
    pub token: Token,
    pub id: Value,
}

/// Parked requests that fail when their own time is up (`stop` with `nokill`, `reboot`).
#[derive(Debug, Default)]
pub struct Deadlines {
    waiting: Vec<(Waiter, Option<Instant>)>,
}

impl Deadlines {
    /// Parks `waiter` until `at` (forever with `None`).
    pub fn push(&mut self, waiter: Waiter, at: Option<Instant>) {
        self.waiting.push((waiter, at));
    }

    /// The waiters whose time is up at `now`, removed.
    pub fn expired(&mut self, now: Instant) -> Vec<Waiter> {
        let (gone, kept) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|(_, at)| at.is_some_and(|at| at <= now));
        self.waiting = kept;
        gone.into_iter().map(|(w, _)| w).collect()
    }

    /// The earliest time left, for the timer.
    pub fn next(&self) -> Option<Instant> {
        self.waiting.iter().filter_map(|(_, at)| *at).min()
    }

    /// Every waiter, removed.
    pub fn take(&mut self) -> Vec<Waiter> {
        std::mem::take(&mut self.waiting)
            .into_iter()
            .map(|(w, _)| w)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }

    /// A client is gone.
    pub fn forget(&mut self, token: Token) {
        self.waiting.retain(|(w, _)| w.token != token);
    }
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
    /// COMMAND died of SIGKILL while the container counted OOM kills: the OOM killer's doing.
    pub oom: bool,
}

/// The container's life.
pub struct Lifecycle {
    pub(super) name: String,
    pub(super) state: State,
    pub(super) seq: u64,
    /// lxc-start: the init is COMMAND itself.
    pub(super) system: bool,
    pub(super) init: Pid,
    /// COMMAND's first word, for an exec failure's message.
    pub(super) cmd0: String,
    pub(super) shim_pid: i32,
    pub(super) cgroup: ContainerCgroup,
    /// Sent to COMMAND (app) or pid 1 (system) by a graceful stop.
    pub(super) halt_signal: i32,
    /// `lxc.signal.stop`: sent when the grace time is over, before the kill; None = kill.
    pub(super) stop_signal: Option<i32>,
    pub(super) stop_signal_sent: bool,
    /// A set-up or exec failure the init reported.
    pub(super) failure: Option<(i32, String)>,
    /// The status the init reported for COMMAND (checked against its own at reap).
    pub(super) reported: Option<ExitStatus>,
    pub(super) running: bool,
    pub(super) started: Option<u64>,
    pub(super) ending: Option<Ending>,
    pub(super) waits: Vec<Waiter>,
    /// `stop` requests that must not kill (`nokill`): answered at STOPPED, or with an error
    /// when their time is up.
    pub(super) nokill_waits: Deadlines,
    /// A stop that ends the container (killing when its time is up) was asked for.
    pub(super) stop_asked: bool,
    /// Graceful stops that kill when their time is up, answered at STOPPED; the kill is called
    /// off when every one of their clients has gone.
    pub(super) stop_waits: Vec<Waiter>,
    /// The kill has begun: nothing calls it off.
    pub(super) killing: bool,
    /// `lxc.signal.reboot`, for `reboot`.
    pub(super) reboot_signal: i32,
    /// `reboot` requests, answered when the container runs again.
    pub(super) reboots: Deadlines,
    /// The init rebooted: start the container again once the old one is cleaned up.
    pub(super) restart: bool,
    pub(super) freeze: Option<PendingFreeze>,
    pub(super) kill: Option<KillRounds>,
    pub(super) unexpected: u32,
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
    pub reboot_signal: i32,
}

pub(super) fn now_secs() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// A freeze asked for and not complete yet.
pub(super) struct PendingFreeze {
    pub(super) deadline: Instant,
    pub(super) timeout: Duration,
    pub(super) waiters: Vec<Waiter>,
    /// The next look (v1 has no wakeup: looked at again, less and less often).
    pub(super) delay: Duration,
}

/// A v1 kill in progress.
pub(super) struct KillRounds {
    pub(super) round: u32,
    /// While freezing: when to strike anyway.
    pub(super) freezing_until: Option<Instant>,
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
            nokill_waits: Deadlines::default(),
            stop_asked: false,
            stop_waits: Vec::new(),
            killing: false,
            reboot_signal: spec.reboot_signal,
            reboots: Deadlines::default(),
            restart: false,
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

    pub fn cgroup_mut(&mut self) -> &mut ContainerCgroup {
        &mut self.cgroup
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
    pub(super) fn set_state(&mut self, state: State, fx: &mut Vec<Effect>) {
        if self.state == state {
            return;
        }
        log::info!("state {} -> {}", self.state, state);
        self.state = state;
        self.seq += 1;
        fx.push(Effect::Notify(self.event()));
    }

    /// Forwards a signal to COMMAND through our init (app containers) or to pid 1 (system).
    /// Once the init has been reaped its pid is free, and may be someone else's: nothing.
    pub fn signal_init(&self, sig: i32) {
        if self.ending.is_some() {
            return;
        }
        let _ = sys::send_signal(self.init, sig);
    }
}
