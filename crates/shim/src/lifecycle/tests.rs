//! The lifecycle's unit tests: states, stops, reboots, as effects.
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

/// A stop that comes once the init has been reaped (its end's hooks run) signals nothing (the
/// pid is free), calls a reboot's restart off, and is answered at STOPPED.
#[test]
fn a_stop_during_the_end_calls_the_restart_off() {
    use lxc_proto::request::StopParams;
    let mut timers = Timers::default();
    let mut l = life(true);
    let mut fx = Vec::new();
    l.on_init_closed(&mut fx);
    l.on_init_reaped(ExitStatus::signaled(libc::SIGHUP), &mut timers, &mut fx);
    assert!(l.wants_restart());
    let kill = StopParams {
        kill: true,
        ..StopParams::default()
    };
    let mut fx = Vec::new();
    l.stop(&kill, waiter(1), &mut timers, &mut fx);
    assert!(!l.wants_restart(), "the stop wins over the reboot");
    assert!(!l.killing, "nothing left to kill");
    assert!(!timers.is_armed(TimerKind::StopGrace));
    assert!(fx.is_empty());
    let mut fx = Vec::new();
    l.finish(&mut fx);
    assert_eq!(answers(&fx).len(), 1);
    assert_eq!(states(&fx), [State::Stopped]);
}
