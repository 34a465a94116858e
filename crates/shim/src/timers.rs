//! The event loop's timer queue: at most one timer per kind (arming again moves it), kept in a
//! min-heap; a moved or cancelled timer's old heap entry is skipped when it comes up. The loop
//! wakes for the earliest through a timerfd (poll(2)'s own timeout counts milliseconds, and
//! a freeze is looked at again after 50 µs).
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

/// What a timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    /// A graceful stop's grace time is over.
    StopGrace,
    /// Look at a freeze in progress again (v1: the kernel gives no wakeup).
    FreezeCheck,
    /// A freeze's time limit.
    FreezeDeadline,
    /// The next round of a v1 kill (freeze, SIGKILL every member, thaw).
    KillRound,
    /// Send the monitor datagrams that found a full queue.
    MonitorRetry,
    /// Try again to remove the cgroups (tasks still leaving).
    RemoveCgroups,
    /// A stop that must not kill has run out of time.
    NoKillDeadline,
    /// A reboot's time to run again is up.
    RebootDeadline,
    /// Look at the OOM kill count again (v1's eventfd fires before the kill is counted).
    OomCheck,
    /// The seccomp proxy's time to answer a call is up.
    SeccompProxy,
}

/// The queue.
#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64, TimerKind)>>,
    armed: HashMap<TimerKind, (Instant, u64)>,
    next: u64,
}

impl Timers {
    /// Arms `kind` to fire at `at`, replacing an earlier arming of it.
    pub fn arm(&mut self, at: Instant, kind: TimerKind) {
        self.next += 1;
        self.armed.insert(kind, (at, self.next));
        self.heap.push(Reverse((at, self.next, kind)));
    }

    /// Arms `kind` at `at` unless it is armed to fire earlier already.
    pub fn arm_no_later(&mut self, at: Instant, kind: TimerKind) {
        match self.armed.get(&kind) {
            Some((when, _)) if *when <= at => {}
            _ => self.arm(at, kind),
        }
    }

    /// Disarms `kind`.
    pub fn cancel(&mut self, kind: TimerKind) {
        self.armed.remove(&kind);
    }

    /// Whether `kind` is armed.
    #[cfg(test)]
    pub fn is_armed(&self, kind: TimerKind) -> bool {
        self.armed.contains_key(&kind)
    }

    /// When the next timer is due, `None` without one.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        self.skip_stale();
        self.heap.peek().map(|Reverse((at, _, _))| *at)
    }

    /// How long the loop may sleep: until the next timer, `None` without one.
    #[cfg(test)]
    pub fn timeout(&mut self, now: Instant) -> Option<std::time::Duration> {
        self.next_deadline()
            .map(|at| at.saturating_duration_since(now))
    }

    /// The timers due at `now`, disarmed, earliest first.
    pub fn expired(&mut self, now: Instant) -> Vec<TimerKind> {
        let mut out = Vec::new();
        loop {
            self.skip_stale();
            match self.heap.peek() {
                Some(Reverse((at, _, _))) if *at <= now => {}
                _ => return out,
            }
            if let Some(Reverse((_, _, kind))) = self.heap.pop() {
                self.armed.remove(&kind);
                out.push(kind);
            }
        }
    }

    fn skip_stale(&mut self) {
        while let Some(Reverse((_, seq, kind))) = self.heap.peek() {
            if self.armed.get(kind).is_some_and(|(_, s)| s == seq) {
                return;
            }
            self.heap.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn one_per_kind_in_order() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut t = Timers::default();
        t.arm(ms(30), TimerKind::StopGrace);
        t.arm(ms(10), TimerKind::FreezeCheck);
        t.arm(ms(20), TimerKind::FreezeCheck);
        t.arm_no_later(ms(40), TimerKind::StopGrace);
        t.arm(ms(5), TimerKind::KillRound);
        t.cancel(TimerKind::KillRound);
        assert_eq!(t.timeout(t0), Some(Duration::from_millis(20)));
        assert!(t.expired(ms(19)).is_empty());
        assert_eq!(
            t.expired(ms(35)),
            [TimerKind::FreezeCheck, TimerKind::StopGrace]
        );
        assert_eq!(t.timeout(ms(35)), None);
        assert!(!t.is_armed(TimerKind::StopGrace));
    }
}
