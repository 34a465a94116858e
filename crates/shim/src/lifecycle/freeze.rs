//! Freezing and thawing: FREEZING until every process is frozen (cgroup2 wakes the shim
//! through `cgroup.events`; v1 is looked at again on a timer), answered then; a freeze that has
//! not taken by its deadline is undone and fails.
use super::state::{Effect, Lifecycle, PendingFreeze, Waiter};
use crate::cgroup::{CgroupError, Freezer};
use crate::timers::{TimerKind, Timers};
use lxc_proto::framing::{error_line, ok_line, ErrorCode, RpcError};
use lxc_proto::response::StateReply;
use lxc_proto::State;
use std::time::{Duration, Instant};

/// A freeze usually takes tens of microseconds: the first look comes soon, then less and less
/// often.
const FIRST_LOOK: Duration = Duration::from_micros(50);
const LOOK_V1_MAX: Duration = Duration::from_millis(10);
/// cgroup2 also notifies a taken freeze (`cgroup.events`), but through a kernel work queue that
/// can lag by milliseconds: the looks go on, further apart.
const LOOK_V2_MAX: Duration = Duration::from_millis(100);

fn internal(e: CgroupError) -> RpcError {
    RpcError::new(ErrorCode::Internal, e.to_string())
}

impl Lifecycle {
    /// Freezes every process; the waiter is answered once frozen (or when the freeze fails).
    pub fn freeze(
        &mut self,
        timeout: Duration,
        waiter: Waiter,
        timers: &mut Timers,
        fx: &mut Vec<Effect>,
    ) {
        let Some(freezer) = self.cgroup.freezer().cloned() else {
            let err = RpcError::new(ErrorCode::Internal, "no freezer cgroup on this host");
            let line = error_line(&waiter.id, &err);
            fx.push(Effect::Answer(waiter, line));
            return;
        };
        match self.state {
            State::Frozen => {
                let line = ok_line(
                    &waiter.id,
                    &StateReply {
                        state: State::Frozen,
                    },
                );
                fx.push(Effect::Answer(waiter, line));
                return;
            }
            State::Freezing => {}
            State::Running => {
                if let Err(e) = freezer.freeze() {
                    let line = error_line(&waiter.id, &internal(e));
                    fx.push(Effect::Answer(waiter, line));
                    return;
                }
                self.set_state(State::Freezing, fx);
                let now = Instant::now();
                let deadline = now
                    .checked_add(timeout)
                    .unwrap_or(now + Duration::from_secs(1 << 30));
                self.freeze = Some(PendingFreeze {
                    deadline,
                    timeout,
                    waiters: Vec::new(),
                    delay: FIRST_LOOK,
                });
                timers.arm(deadline, TimerKind::FreezeDeadline);
            }
            other => {
                let err =
                    RpcError::new(ErrorCode::InvalidState, format!("{} is {other}", self.name));
                let line = error_line(&waiter.id, &err);
                fx.push(Effect::Answer(waiter, line));
                return;
            }
        }
        if let Some(p) = &mut self.freeze {
            p.waiters.push(waiter);
        }
        self.check_freeze(timers, fx);
    }

    /// Looks at a freeze in progress: completes it, undoes it after its deadline, or looks
    /// again later. Called on the freezer's events, its timers and when it begins.
    pub fn check_freeze(&mut self, timers: &mut Timers, fx: &mut Vec<Effect>) {
        let (Some(p), Some(f)) = (&mut self.freeze, self.cgroup.freezer().cloned()) else {
            return;
        };
        // The v1 freezer tries each task once per request: one that was running then and has
        // since gone to sleep in a freezable wait is frozen only by another request. A vfork
        // parent does that (its child, frozen as it was born, never releases it), so the group
        // would stay FREEZING; each look asks again (as LXC, which writes FROZEN on each look).
        let frozen = f.is_frozen().and_then(|done| match f {
            Freezer::V1(_) if !done => f.freeze().map(|()| false),
            _ => Ok(done),
        });
        let result = match frozen {
            Ok(true) => Ok(()),
            Ok(false) if Instant::now() < p.deadline => {
                let max = match f {
                    Freezer::V1(_) => LOOK_V1_MAX,
                    Freezer::V2(_) => LOOK_V2_MAX,
                };
                let delay = p.delay;
                p.delay = (p.delay * 2).min(max);
                timers.arm(Instant::now() + delay, TimerKind::FreezeCheck);
                return;
            }
            Ok(false) => Err(format!(
                "freeze of {} did not complete within {} s; the container was thawed and runs",
                self.name,
                p.timeout.as_secs_f64()
            )),
            Err(e) => Err(format!("freeze: {e}; the container was thawed")),
        };
        let Some(p) = self.freeze.take() else { return };
        timers.cancel(TimerKind::FreezeCheck);
        timers.cancel(TimerKind::FreezeDeadline);
        let answer = match result {
            Ok(()) => {
                self.set_state(State::Frozen, fx);
                Ok(StateReply {
                    state: State::Frozen,
                })
            }
            Err(msg) => {
                let _ = f.thaw();
                log::error!("{msg}");
                self.set_state(State::Running, fx);
                Err(RpcError::new(ErrorCode::Timeout, msg))
            }
        };
        for w in p.waiters {
            let line = match &answer {
                Ok(r) => ok_line(&w.id, r),
                Err(e) => error_line(&w.id, e),
            };
            fx.push(Effect::Answer(w, line));
        }
    }

    /// `unfreeze`: thaws; thawing a running container changes nothing.
    pub fn unfreeze(
        &mut self,
        timers: &mut Timers,
        fx: &mut Vec<Effect>,
    ) -> Result<StateReply, RpcError> {
        match self.state {
            State::Running => Ok(StateReply {
                state: State::Running,
            }),
            State::Frozen | State::Freezing => {
                self.thaw(timers, fx).map_err(internal)?;
                Ok(StateReply {
                    state: State::Running,
                })
            }
            other => Err(RpcError::new(
                ErrorCode::InvalidState,
                format!("{} is {other}", self.name),
            )),
        }
    }

    /// Thaws and goes back to RUNNING; a freeze still in progress fails.
    pub(super) fn thaw(
        &mut self,
        timers: &mut Timers,
        fx: &mut Vec<Effect>,
    ) -> Result<(), CgroupError> {
        if let Some(f) = self.cgroup.freezer() {
            f.thaw()?;
        }
        if let Some(p) = self.freeze.take() {
            timers.cancel(TimerKind::FreezeCheck);
            timers.cancel(TimerKind::FreezeDeadline);
            let err = RpcError::new(
                ErrorCode::InvalidState,
                "thawed before the freeze completed",
            );
            for w in p.waiters {
                let line = error_line(&w.id, &err);
                fx.push(Effect::Answer(w, line));
            }
        }
        self.set_state(State::Running, fx);
        Ok(())
    }
}
