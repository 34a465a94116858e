//! The container's OOM kills reach the loop (`cgroup/oom.rs` watches): logged, counted for
//! `info`, and told to subscribers (`oom` notification) and monitors (an `oom` datagram) at once.
use crate::event_loop::Shim;
use crate::timers::TimerKind;
use lxc_proto::framing::{line, Notification};
use lxc_proto::monitor::OomEvent;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

impl Shim {
    /// The OOM watch woke: look now, and again a little later (the kill may not be counted
    /// yet when the kernel notifies).
    pub(crate) fn on_oom(&mut self) {
        let Some(watch) = &mut self.oom else { return };
        let total = watch.on_event(self.life.cgroup());
        self.recheck_oom_later();
        if let Some(total) = total {
            self.oom_killed(total);
        }
    }

    /// The timer after a wake.
    pub(crate) fn on_oom_check(&mut self) {
        let Some(watch) = &mut self.oom else { return };
        let total = watch.check(self.life.cgroup());
        self.recheck_oom_later();
        if let Some(total) = total {
            self.oom_killed(total);
        }
    }

    fn recheck_oom_later(&mut self) {
        if let Some(delay) = self.oom.as_mut().and_then(|w| w.next_recheck()) {
            self.timers.arm(Instant::now() + delay, TimerKind::OomCheck);
        }
    }

    /// A kill is logged, counted for `info`, and told to subscribers and monitors at once.
    fn oom_killed(&mut self, total: u64) {
        self.facts.oom_kills = total;
        log::warn!("the OOM killer killed a process of the container ({total} so far)");
        let event = OomEvent {
            name: self.life.name().to_owned(),
            event: "oom".to_owned(),
            oom_kills: total,
            time: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            shim_pid: std::process::id() as i32,
        };
        if self.monitors.broadcast(&event) {
            self.timers.arm_no_later(
                Instant::now() + crate::monitor::RETRY,
                TimerKind::MonitorRetry,
            );
        }
        let line = line(&Notification::new("oom", &event));
        self.clients
            .notify(&line, self.poll.registry(), &mut self.sources);
    }
}
