//! Stopping and killing: a graceful stop (the halt signal, then `lxc.signal.stop`, then the
//! kill), the kill of everything (cgroup2's `cgroup.kill`, or v1 rounds of freeze, SIGKILL every
//! member, thaw, on timers), and signals to every process.
use super::state::{Effect, KillRounds, Lifecycle, Waiter};
use crate::sys;
use crate::timers::{TimerKind, Timers};
use lxc_proto::framing::{error_line, ErrorCode, RpcError};
use lxc_proto::request::StopParams;
use lxc_proto::response::KillReply;
use lxc_proto::State;
use std::time::{Duration, Instant};

const KILL_ROUNDS: u32 = 50;
const KILL_FREEZE_LIMIT: Duration = Duration::from_millis(200);
const KILL_PAUSE: Duration = Duration::from_micros(500);
/// How long after `lxc.signal.stop` the kill comes.
const STOP_SIGNAL_GRACE: Duration = Duration::from_secs(1);

impl Lifecycle {
    /// Asks COMMAND to end (the halt signal, through the init for an app container) and kills
    /// the container once the grace time has passed; at once with `kill` or a zero timeout. A
    /// frozen container is thawed first: frozen tasks can neither handle a signal nor, on v1,
    /// die. The waiter is answered once STOPPED.
    pub fn stop(
        &mut self,
        params: &StopParams,
        waiter: Waiter,
        timers: &mut Timers,
        fx: &mut Vec<Effect>,
    ) {
        if self.ending.is_some() {
            // The init has ended (the end's hooks and clean-up run): nothing is left to signal.
            // A reboot under way is called off; the stop is answered at STOPPED.
            if self.restart {
                log::info!("stop: the restart after the reboot is called off");
                self.restart = false;
            }
            self.stop_asked = true;
            self.park_wait(waiter);
            return;
        }
        let timeout = params.timeout.unwrap_or(StopParams::DEFAULT_TIMEOUT);
        let deadline = Instant::now().checked_add(timeout);
        let kills = params.kill || (timeout.is_zero() && !params.nokill);
        if params.nokill && !kills && timeout.is_zero() {
            // Asked, not waited for (lxc-stop -W): the halt signal, and the container runs
            // on as far as anyone can tell until it ends.
            if matches!(self.state, State::Frozen | State::Freezing) {
                if let Err(e) = self.thaw(timers, fx) {
                    log::error!("stop: thaw: {e}");
                }
            }
            log::info!("stop: signal {}, not waited for", self.halt_signal);
            self.signal_init(self.halt_signal);
            let err = RpcError::new(
                ErrorCode::Timeout,
                format!("{} was asked to stop; not waited for", self.name),
            );
            let line = error_line(&waiter.id, &err);
            fx.push(Effect::Answer(waiter, line));
            return;
        }
        if params.nokill && !params.kill {
            self.nokill_waits.push(waiter, deadline);
            if let Some(at) = deadline {
                timers.arm_no_later(at, TimerKind::NoKillDeadline);
            }
        } else if kills {
            self.park_wait(waiter);
            self.stop_asked = true;
        } else {
            self.stop_waits.push(waiter);
            self.stop_asked = true;
        }
        if matches!(self.state, State::Frozen | State::Freezing) {
            if let Err(e) = self.thaw(timers, fx) {
                log::error!("stop: thaw: {e}");
            }
        }
        if matches!(self.state, State::Running | State::Starting) {
            self.set_state(State::Stopping, fx);
        }
        if kills {
            self.kill_all(timers);
            return;
        }
        log::info!(
            "stop: signal {} to {}, {} in {} s",
            self.halt_signal,
            if self.system { "pid 1" } else { "COMMAND" },
            if params.nokill { "give up" } else { "kill" },
            timeout.as_secs_f64()
        );
        self.signal_init(self.halt_signal);
        if let (false, Some(at)) = (params.nokill, deadline) {
            timers.arm_no_later(at, TimerKind::StopGrace);
        }
    }

    /// The grace time of a stop is over: `lxc.signal.stop` first when it is set, with one
    /// more second, then the kill.
    pub fn on_stop_grace(&mut self, timers: &mut Timers) {
        match self.stop_signal {
            Some(sig) if !self.stop_signal_sent => {
                log::info!("stop: grace time over, signal {sig} to every process");
                self.stop_signal_sent = true;
                if let Err(e) = self.signal_all(sig) {
                    log::error!("stop: {e}");
                }
                timers.arm(Instant::now() + STOP_SIGNAL_GRACE, TimerKind::StopGrace);
            }
            _ => self.kill_all(timers),
        }
    }

    /// A stop that must not kill has run out of time: it fails, and unless another stop is
    /// under way the container runs on (RUNNING again).
    pub fn on_nokill_deadline(&mut self, timers: &mut Timers, fx: &mut Vec<Effect>) {
        let now = Instant::now();
        let err = RpcError::new(
            ErrorCode::Timeout,
            format!(
                "{} did not stop in time; it was not killed and runs on",
                self.name
            ),
        );
        for w in self.nokill_waits.expired(now) {
            let line = error_line(&w.id, &err);
            fx.push(Effect::Answer(w, line));
        }
        if let Some(at) = self.nokill_waits.next() {
            timers.arm(at, TimerKind::NoKillDeadline);
        } else if !self.stop_asked && self.state == State::Stopping && self.ending.is_none() {
            self.set_state(State::Running, fx);
        }
    }

    /// Kills every process of the container, however fast it forks: cgroup2's `cgroup.kill`
    /// where there is one, else v1 rounds on a timer. The init gets SIGKILL too, which ends the
    /// pid namespace and everything in it.
    pub fn kill_all(&mut self, timers: &mut Timers) {
        log::info!("stop: killing every process of the container");
        self.killing = true;
        timers.cancel(TimerKind::StopGrace);
        let killed = self.cgroup.kill_v2().unwrap_or_else(|e| {
            log::warn!("{e}");
            false
        });
        if !killed && self.kill.is_none() {
            self.kill = Some(KillRounds {
                round: 0,
                freezing_until: None,
            });
            self.kill_round(timers);
        }
        self.signal_init(libc::SIGKILL);
    }

    /// A v1 kill round's timer: strike once frozen (or the freeze took too long), then pause
    /// and begin the next round while anything is left.
    pub fn on_kill_round(&mut self, timers: &mut Timers) {
        self.kill_round(timers);
    }

    fn kill_round(&mut self, timers: &mut Timers) {
        let Some(k) = &mut self.kill else { return };
        let now = Instant::now();
        let freezer = self.cgroup.freezer().cloned();
        match (k.freezing_until, &freezer) {
            (None, Some(f)) => {
                let _ = f.freeze();
                k.freezing_until = Some(now + KILL_FREEZE_LIMIT);
                timers.arm(now + KILL_PAUSE, TimerKind::KillRound);
                return;
            }
            (Some(until), Some(f)) if now < until && !f.is_frozen().unwrap_or(true) => {
                // Asked again: v1 tries each task once per request (see freeze.rs).
                let _ = f.freeze();
                timers.arm(now + KILL_PAUSE, TimerKind::KillRound);
                return;
            }
            _ => {}
        }
        let pids = match self.cgroup.procs() {
            Ok(p) => p,
            Err(e) => {
                log::error!("stop: {e}");
                Vec::new()
            }
        };
        for pid in &pids {
            let _ = sys::send_signal(*pid, libc::SIGKILL);
        }
        if let Some(f) = &freezer {
            let _ = f.thaw();
        }
        let Some(k) = &mut self.kill else { return };
        k.round += 1;
        k.freezing_until = None;
        if pids.is_empty() || k.round >= KILL_ROUNDS {
            if !pids.is_empty() {
                log::warn!("stop: processes left after {KILL_ROUNDS} kill rounds");
            }
            self.kill = None;
            return;
        }
        timers.arm(now + KILL_PAUSE, TimerKind::KillRound);
    }

    /// Sends `sig` to every member of the container's cgroups but our own init (an app
    /// container's init would only pass it on to COMMAND a second time). Returns how many.
    pub(super) fn signal_all(&self, sig: i32) -> Result<usize, RpcError> {
        let skip = (!self.system).then_some(self.init);
        let pids = self
            .cgroup
            .procs()
            .map_err(|e| RpcError::new(ErrorCode::Internal, e.to_string()))?;
        Ok(pids
            .into_iter()
            .filter(|&p| Some(p) != skip)
            .filter(|&p| sys::send_signal(p, sig).is_ok())
            .count())
    }

    /// `reboot`: the reboot signal to a system container's init; answered when it runs again
    /// (or with an error after `timeout`, the reboot going on).
    pub fn reboot(
        &mut self,
        timeout: Duration,
        waiter: Waiter,
        timers: &mut Timers,
        fx: &mut Vec<Effect>,
    ) {
        let refuse = |why: String| RpcError::new(ErrorCode::InvalidState, why);
        let err = if !self.system {
            Some(refuse(format!(
                "{} is an application container (lxc-execute): only a system container reboots",
                self.name
            )))
        } else if !matches!(self.state, State::Running | State::Frozen | State::Freezing) {
            Some(refuse(format!("{} is {}", self.name, self.state)))
        } else {
            None
        };
        if let Some(e) = err {
            let line = error_line(&waiter.id, &e);
            fx.push(Effect::Answer(waiter, line));
            return;
        }
        if matches!(self.state, State::Frozen | State::Freezing) {
            if let Err(e) = self.thaw(timers, fx) {
                log::error!("reboot: thaw: {e}");
            }
        }
        log::info!("reboot: signal {} to pid 1", self.reboot_signal);
        self.signal_init(self.reboot_signal);
        let deadline = Instant::now().checked_add(timeout);
        self.reboots.push(waiter, deadline);
        if let Some(at) = deadline {
            timers.arm_no_later(at, TimerKind::RebootDeadline);
        }
    }

    /// A reboot has not brought the container back in time: say so (it may still come).
    pub fn on_reboot_deadline(&mut self, timers: &mut Timers, fx: &mut Vec<Effect>) {
        let err = RpcError::new(
            ErrorCode::Timeout,
            format!("{} has not run again in time after its reboot", self.name),
        );
        for w in self.reboots.expired(Instant::now()) {
            let line = error_line(&w.id, &err);
            fx.push(Effect::Answer(w, line));
        }
        if let Some(at) = self.reboots.next() {
            timers.arm(at, TimerKind::RebootDeadline);
        }
    }

    /// `kill`: `signal` to every process of the container.
    pub fn kill(&self, signal: i32) -> Result<KillReply, RpcError> {
        if self.state == State::Starting {
            return Err(RpcError::new(
                ErrorCode::InvalidState,
                format!("{} is STARTING", self.name),
            ));
        }
        let processes = self.signal_all(signal)?;
        log::info!("kill: signal {signal} to {processes} processes");
        Ok(KillReply { signal, processes })
    }
}
