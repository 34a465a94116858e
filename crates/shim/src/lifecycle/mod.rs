//! The container's life as the shim sees it: its state and the numbering of state changes, how
//! it ended, and the operations that change it (stop, kill, freeze). Nothing here touches a
//! client or a socket: every operation pushes the [`Effect`]s to apply (notify, answer a parked
//! request, tell the launcher) and arms timers; nothing here ever waits. States: STARTING ->
//! RUNNING -> STOPPING -> STOPPED, or STARTING -> ABORTING -> STOPPING -> STOPPED when the
//! set-up or the exec of COMMAND fails; RUNNING <-> FREEZING -> FROZEN.
mod checkpoint;
mod freeze;
mod state;
mod stop;

pub use state::{Effect, Ending, LifeSpec, Lifecycle, Waiter};

use crate::init_channel::FromInit;
use crate::timers::{TimerKind, Timers};
use lxc_proto::framing::{error_line, ok_line, ErrorCode, RpcError};
use lxc_proto::launch::LaunchEvent;
use lxc_proto::response::{StateReply, WaitReply};
use lxc_proto::{ExitStatus, State};
use mio::Token;
use nix::errno::Errno;
use nix::unistd::Pid;
use state::now_secs;

/// Unexpected init messages logged before the rest are counted only.
const MAX_UNEXPECTED_LOGGED: u32 = 3;

impl Lifecycle {
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
            FromInit::HookFailed { message } if starting => {
                self.failure = Some((125, lxc_proto::shorten(&message, 1000)));
                self.set_state(State::Aborting, fx);
            }
            FromInit::HookOutput { text } if !self.running => {
                log::info!("{}", lxc_proto::printable(&lxc_proto::shorten(&text, 600)));
            }
            FromInit::Exited { status } if self.running && self.reported.is_none() => {
                self.reported = Some(status);
            }
            // Also once running: the init says so when it could not become lxc-init.
            FromInit::Warning { text } => {
                log::warn!("{}", lxc_proto::printable(&lxc_proto::shorten(&text, 500)));
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
        let reply = StateReply {
            state: State::Running,
        };
        for w in self.reboots.take() {
            let line = ok_line(&w.id, &reply);
            fx.push(Effect::Answer(w, line));
        }
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
        // reboot(2) in a pid namespace ends its init as if by SIGHUP (restart) or SIGINT (halt,
        // power off): a system container's init can die of neither otherwise (its namespace
        // ignores signals it has no handler for). A restart starts the container again unless
        // a stop was asked for; a halt is a clean end.
        let status = match status {
            ExitStatus::Signaled { signal } if self.system && signal == libc::SIGHUP => {
                self.restart = !self.stop_asked && self.nokill_waits.is_empty();
                status
            }
            ExitStatus::Signaled { signal } if self.system && signal == libc::SIGINT => {
                ExitStatus::exited(0)
            }
            other => other,
        };
        if self.failure.is_some() {
            self.set_state(State::Aborting, fx);
        }
        self.set_state(State::Stopping, fx);
        for kind in [
            TimerKind::StopGrace,
            TimerKind::NoKillDeadline,
            TimerKind::KillRound,
            TimerKind::FreezeCheck,
            TimerKind::FreezeDeadline,
        ] {
            timers.cancel(kind);
        }
        self.kill = None;
        if let Some(p) = self.freeze.take() {
            let err = RpcError::new(ErrorCode::InvalidState, format!("{} stopped", self.name));
            for w in p.waiters {
                let line = error_line(&w.id, &err);
                fx.push(Effect::Answer(w, line));
            }
        }
        log::info!("init reaped: {status:?}");
        // The kernel counts the kill before the signal is delivered: read now, while the
        // container's groups still exist.
        let oom = status == ExitStatus::signaled(libc::SIGKILL)
            && crate::cgroup::stats::oom_kills(&self.cgroup).unwrap_or(0) > 0;
        self.ending = Some(Ending {
            status,
            failure: self.failure.clone(),
            oom,
        });
    }

    /// The init rebooted and the old container is cleaned up: whether to start it again.
    pub fn wants_restart(&self) -> bool {
        self.restart
    }

    /// The container starts again with init `init` (a reboot): STOPPED, then STARTING, on the
    /// same numbering; a parked `wait` waits on for the final stop.
    pub fn restarted(&mut self, init: Pid, fx: &mut Vec<Effect>) {
        self.ending = None;
        self.set_state(State::Stopped, fx);
        self.restart = false;
        self.init = init;
        self.running = false;
        self.started = None;
        self.failure = None;
        self.reported = None;
        self.stop_signal_sent = false;
        self.killing = false;
        self.stop_asked = false;
        self.set_state(State::Starting, fx);
    }

    /// Starting again after a reboot failed: the container ends here.
    pub fn restart_failed(&mut self, message: String) {
        log::error!("restart after a reboot: {message}");
        self.restart = false;
        if let Some(e) = &mut self.ending {
            e.failure = Some((125, message));
        }
    }

    /// Everything is cleaned up: STOPPED, and everyone who waits is told.
    pub fn finish(&mut self, fx: &mut Vec<Effect>) {
        let Some(ending) = self.ending.clone() else {
            return;
        };
        self.set_state(State::Stopped, fx);
        log::info!("stopped: {}", ending.status);
        fx.push(Effect::Launch(match &ending.failure {
            Some((code, message)) => LaunchEvent::Failed {
                code: *code,
                message: message.clone(),
            },
            None => LaunchEvent::Exited {
                status: ending.status,
                oom: ending.oom,
            },
        }));
        let reply = WaitReply {
            state: State::Stopped,
            exit: ending.status,
        };
        for w in std::mem::take(&mut self.waits)
            .into_iter()
            .chain(std::mem::take(&mut self.stop_waits))
            .chain(self.nokill_waits.take())
        {
            let line = ok_line(&w.id, &reply);
            fx.push(Effect::Answer(w, line));
        }
        let err = RpcError::new(ErrorCode::InvalidState, format!("{} stopped", self.name));
        for w in self.reboots.take() {
            let line = error_line(&w.id, &err);
            fx.push(Effect::Answer(w, line));
        }
    }

    /// Parks a `wait` (or a `stop`) until the container has stopped.
    pub fn park_wait(&mut self, waiter: Waiter) {
        self.waits.push(waiter);
    }

    /// A client is gone: nothing it parked is kept (its ids would pile up otherwise). A stop
    /// dies with its client: once no client waits for a graceful stop, its kill is called
    /// off (the halt signal was sent; the container runs on unless it ends by itself).
    pub fn forget(&mut self, token: Token, timers: &mut Timers, fx: &mut Vec<Effect>) {
        self.waits.retain(|w| w.token != token);
        let stops = self.stop_waits.len();
        self.stop_waits.retain(|w| w.token != token);
        if stops > 0 && self.stop_waits.is_empty() && !self.killing && self.ending.is_none() {
            log::info!("stop: its client has gone; the kill is called off");
            timers.cancel(TimerKind::StopGrace);
            self.stop_asked = false;
            if self.state == State::Stopping && self.nokill_waits.is_empty() {
                self.set_state(State::Running, fx);
            }
        }
        self.nokill_waits.forget(token);
        self.reboots.forget(token);
        if let Some(p) = &mut self.freeze {
            p.waiters.retain(|w| w.token != token);
        }
    }
}

#[cfg(test)]
mod tests;
