//! The container's life as the shim sees it: its state and the numbering of state changes, how
//! it ended, and the operations that change it (stop, kill, freeze). Nothing here touches a
//! client or a socket: every operation pushes the [`Effect`]s to apply (notify, answer a parked
//! request, tell the launcher) and arms timers; nothing here ever waits. States: STARTING ->
//! RUNNING -> STOPPING -> STOPPED, or STARTING -> ABORTING -> STOPPING -> STOPPED when the
//! set-up or the exec of COMMAND fails; RUNNING <-> FREEZING -> FROZEN.
mod freeze;
mod state;
mod stop;

pub use state::{Effect, Ending, LifeSpec, Lifecycle, Waiter};

use crate::init_channel::FromInit;
use crate::timers::{TimerKind, Timers};
use lxc_proto::framing::{error_line, ok_line, ErrorCode, RpcError};
use lxc_proto::launch::LaunchEvent;
use lxc_proto::response::WaitReply;
use lxc_proto::{ExitStatus, State};
use mio::Token;
use nix::errno::Errno;
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
            FromInit::Exited { status } if self.running && self.reported.is_none() => {
                self.reported = Some(status);
            }
            FromInit::Warning { text } if !self.running => {
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
            for w in p.waiters {
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

    /// A client is gone: nothing it parked is kept (its ids would pile up otherwise).
    pub fn forget(&mut self, token: Token) {
        self.waits.retain(|w| w.token != token);
        if let Some(p) = &mut self.freeze {
            p.waiters.retain(|w| w.token != token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::{parse_hierarchies, ContainerCgroup};
    use nix::unistd::Pid;

    fn life(system: bool) -> Lifecycle {
        let h = parse_hierarchies("30 1 0:26 / /x rw - cgroup2 cgroup2 rw\n", "0::/\n");
        Lifecycle::new(LifeSpec {
            name: "t".into(),
            system,
            // No such process: signals to it go nowhere.
            init: Pid::from_raw(i32::MAX),
            cmd0: "true".into(),
            cgroup: ContainerCgroup::plan(&h, "t", None),
            halt_signal: libc::SIGTERM,
            stop_signal: None,
        })
    }

    fn states(fx: &[Effect]) -> Vec<State> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Notify(ev) => Some(ev.state),
                _ => None,
            })
            .collect()
    }

    /// What arrives on the init channel counts only where the container's state allows it,
    /// and a reported exit only if the init's own agrees.
    #[test]
    fn the_init_channel_is_believed_only_in_its_place() {
        let mut timers = Timers::default();
        let mut l = life(false);
        let mut fx = Vec::new();
        l.on_init_message(FromInit::Running { pid: 2 }, &mut fx);
        assert_eq!(states(&fx), [State::Running]);
        for forged in [
            FromInit::Running { pid: 3 },
            FromInit::ExecFailed { errno: 2 },
            FromInit::SetupFailed {
                step: "x".into(),
                errno: 1,
            },
            FromInit::NeedIdMap,
            FromInit::Warning { text: "x".into() },
        ] {
            let mut fx = Vec::new();
            l.on_init_message(forged, &mut fx);
            assert!(fx.is_empty(), "a running container took a set-up message");
        }
        assert_eq!(l.state(), State::Running);
        // A report that the init's own exit (code 0) contradicts is not believed.
        l.on_init_message(
            FromInit::Exited {
                status: ExitStatus::signaled(9),
            },
            &mut fx,
        );
        assert_eq!(l.state(), State::Running, "no state change before the reap");
        l.on_init_reaped(ExitStatus::exited(0), &mut timers, &mut fx);
        assert_eq!(l.ending().unwrap().status, ExitStatus::exited(0));

        // One that agrees tells a signal from a code (137 = SIGKILL).
        let mut l = life(false);
        let mut fx = Vec::new();
        l.on_init_message(FromInit::Running { pid: 2 }, &mut fx);
        let status = ExitStatus::signaled(9);
        l.on_init_message(FromInit::Exited { status }, &mut fx);
        l.on_init_reaped(ExitStatus::exited(137), &mut timers, &mut fx);
        assert_eq!(l.ending().unwrap().status, status);
        assert_eq!(l.state(), State::Stopping);
    }

    #[test]
    fn a_failed_start_aborts_and_reports_the_first_cause() {
        let mut timers = Timers::default();
        let mut l = life(false);
        let mut fx = Vec::new();
        l.on_init_message(
            FromInit::SetupFailed {
                step: "mount /proc".into(),
                errno: libc::EPERM,
            },
            &mut fx,
        );
        l.fail_start("a consequence".into(), &mut fx);
        l.on_init_reaped(ExitStatus::exited(125), &mut timers, &mut fx);
        l.finish(&mut fx);
        assert_eq!(
            states(&fx),
            [State::Aborting, State::Stopping, State::Stopped]
        );
        let failure = l.ending().unwrap().failure.clone().unwrap();
        assert_eq!(failure.0, 125);
        assert!(failure.1.starts_with("mount /proc: "), "{}", failure.1);
        // A system container runs once its pid 1 was executed (its channel closed).
        let mut l = life(true);
        let mut fx = Vec::new();
        l.on_init_closed(&mut fx);
        assert_eq!(states(&fx), [State::Running]);
    }
}
