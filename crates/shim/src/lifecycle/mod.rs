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
        self.ending = Some(Ending {
            status,
            failure: self.failure.clone(),
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
            reboot_signal: libc::SIGINT,
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

    fn waiter(id: u64) -> Waiter {
        Waiter {
            token: Token(id as usize),
            id: serde_json::json!(id),
        }
    }

    fn answers(fx: &[Effect]) -> Vec<String> {
        fx.iter()
            .filter_map(|e| match e {
                Effect::Answer(_, line) => Some(String::from_utf8_lossy(line).into_owned()),
                _ => None,
            })
            .collect()
    }

    /// A stop that must not kill fails on its own time without shortening a stop that kills,
    /// and leaves the container RUNNING when it was the only one.
    #[test]
    fn a_nokill_stop_fails_in_its_own_time() {
        use lxc_proto::request::StopParams;
        use std::time::Duration;
        let mut timers = Timers::default();
        let mut l = life(true);
        let mut fx = Vec::new();
        l.on_init_closed(&mut fx);
        let nokill = |ms| StopParams {
            kill: false,
            timeout: Some(Duration::from_millis(ms)),
            nokill: true,
        };
        // Not waited for (-W): answered at once, and no state change.
        l.stop(&nokill(0), waiter(1), &mut timers, &mut fx);
        assert_eq!(answers(&fx).len(), 1);
        assert_eq!(states(&fx), [State::Running]);
        assert!(!timers.is_armed(TimerKind::NoKillDeadline));

        let mut fx = Vec::new();
        l.stop(&nokill(1), waiter(1), &mut timers, &mut fx);
        assert!(timers.is_armed(TimerKind::NoKillDeadline));
        assert!(
            !timers.is_armed(TimerKind::StopGrace),
            "a nokill stop never kills"
        );
        std::thread::sleep(Duration::from_millis(2));
        let mut fx = Vec::new();
        l.on_nokill_deadline(&mut timers, &mut fx);
        let a = answers(&fx);
        assert_eq!(a.len(), 1);
        assert!(a[0].contains("not killed and runs on"), "{}", a[0]);
        assert_eq!(states(&fx), [State::Running]);

        // Beside a stop that kills: the container stays STOPPING, the kill is not brought
        // forward, and the nokill waiter with time left waits on.
        l.stop(&nokill(1), waiter(2), &mut timers, &mut fx);
        l.stop(&nokill(3_600_000), waiter(3), &mut timers, &mut fx);
        l.stop(&StopParams::default(), waiter(4), &mut timers, &mut fx);
        std::thread::sleep(Duration::from_millis(2));
        let mut fx = Vec::new();
        l.on_nokill_deadline(&mut timers, &mut fx);
        assert_eq!(answers(&fx).len(), 1);
        assert_eq!(l.state(), State::Stopping);
        assert!(timers.is_armed(TimerKind::StopGrace));
        // The end answers both the killing stop and the waiting nokill one.
        l.on_init_reaped(ExitStatus::exited(0), &mut timers, &mut fx);
        let mut fx = Vec::new();
        l.finish(&mut fx);
        assert_eq!(answers(&fx).len(), 2);
        assert!(!l.wants_restart(), "a stop was asked for");
    }

    /// An init ended by reboot(2) (SIGHUP) starts again; a halt (SIGINT) is a clean end; an
    /// application container neither reboots nor restarts.
    #[test]
    fn a_reboot_restarts_a_system_container() {
        let mut timers = Timers::default();
        let mut l = life(true);
        let mut fx = Vec::new();
        l.on_init_closed(&mut fx);
        l.reboot(
            std::time::Duration::from_secs(60),
            waiter(1),
            &mut timers,
            &mut fx,
        );
        assert!(answers(&fx).is_empty(), "answered when it runs again");
        l.on_init_reaped(ExitStatus::signaled(libc::SIGHUP), &mut timers, &mut fx);
        assert!(l.wants_restart());
        let mut fx = Vec::new();
        l.restarted(Pid::from_raw(i32::MAX - 1), &mut fx);
        l.on_init_closed(&mut fx);
        assert_eq!(
            states(&fx),
            [State::Stopped, State::Starting, State::Running]
        );
        let a = answers(&fx);
        assert_eq!(a.len(), 1);
        assert!(a[0].contains(r#""result":{"state":"RUNNING"}"#), "{}", a[0]);

        let mut fx = Vec::new();
        l.on_init_reaped(ExitStatus::signaled(libc::SIGINT), &mut timers, &mut fx);
        assert!(!l.wants_restart());
        assert_eq!(l.ending().unwrap().status, ExitStatus::exited(0));

        let mut l = life(false);
        let mut fx = Vec::new();
        l.on_init_message(FromInit::Running { pid: 2 }, &mut fx);
        l.reboot(
            std::time::Duration::from_secs(60),
            waiter(1),
            &mut timers,
            &mut fx,
        );
        assert!(answers(&fx)[0].contains("application container"));
        l.on_init_reaped(ExitStatus::signaled(libc::SIGHUP), &mut timers, &mut fx);
        assert!(!l.wants_restart());
    }

    /// A graceful stop dies with its client: the kill is called off and the container is
    /// RUNNING again; a kill under way is never called off.
    #[test]
    fn a_stop_whose_client_left_does_not_kill() {
        use lxc_proto::request::StopParams;
        let mut timers = Timers::default();
        let mut l = life(true);
        let mut fx = Vec::new();
        l.on_init_closed(&mut fx);
        l.stop(&StopParams::default(), waiter(1), &mut timers, &mut fx);
        l.stop(&StopParams::default(), waiter(2), &mut timers, &mut fx);
        assert_eq!(l.state(), State::Stopping);
        let mut fx = Vec::new();
        l.forget(Token(1), &mut timers, &mut fx);
        assert_eq!(l.state(), State::Stopping, "another client still waits");
        l.forget(Token(2), &mut timers, &mut fx);
        assert_eq!(states(&fx), [State::Running]);
        assert!(!timers.is_armed(TimerKind::StopGrace));

        let kill = StopParams {
            kill: true,
            ..StopParams::default()
        };
        l.stop(&kill, waiter(3), &mut timers, &mut fx);
        let mut fx = Vec::new();
        l.forget(Token(3), &mut timers, &mut fx);
        assert_eq!(l.state(), State::Stopping);
        assert!(fx.is_empty());
    }
}
