//! Stopping and killing: a graceful stop (the halt signal, then `lxc.signal.stop`, then the
//! kill), the kill of everything (cgroup2's `cgroup.kill`, or v1 rounds of freeze, SIGKILL every
//! member, thaw, on timers), and signals to every process.
use super::state::{Effect, KillRounds, Lifecycle, Waiter};
use crate::sys;
use crate::timers::{TimerKind, Timers};
use lxc_proto::framing::{ErrorCode, RpcError};
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
        self.park_wait(waiter);
        if matches!(self.state, State::Frozen | State::Freezing) {
            if let Err(e) = self.thaw(timers, fx) {
                log::error!("stop: thaw: {e}");
            }
        }
        if matches!(self.state, State::Running | State::Starting) {
            self.set_state(State::Stopping, fx);
        }
        let timeout = params.timeout.unwrap_or(StopParams::DEFAULT_TIMEOUT);
        if params.kill || timeout.is_zero() {
            self.kill_all(timers);
            return;
        }
        log::info!(
            "stop: signal {} to {}, kill in {} s",
            self.halt_signal,
            if self.system { "pid 1" } else { "COMMAND" },
            timeout.as_secs_f64()
        );
        self.signal_init(self.halt_signal);
        if let Some(at) = Instant::now().checked_add(timeout) {
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

    /// Kills every process of the container, however fast it forks: cgroup2's `cgroup.kill`
    /// where there is one, else v1 rounds on a timer. The init gets SIGKILL too, which ends the
    /// pid namespace and everything in it.
    pub fn kill_all(&mut self, timers: &mut Timers) {
        log::info!("stop: killing every process of the container");
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
