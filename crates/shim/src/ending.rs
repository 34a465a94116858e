//! The end of a shim, once the container's init has been reaped: physical interfaces go back
//! (through the helper, while the loop keeps answering), the cgroups are removed (retried on a
//! timer while the kernel still holds exiting tasks), the run directory goes (its lock last, so
//! that a new start can begin at once), and only then is the container STOPPED and everyone
//! who waits told.
use crate::children::{Job, Role};
use crate::event_loop::{Phase, Shim};
use crate::lifecycle::Effect;
use crate::net::HelperRun;
use crate::timers::TimerKind;
use lxc_proto::ExitStatus;
use nix::sys::wait::waitpid;
use std::time::{Duration, Instant};

/// How long the cgroups may stay busy after the init is gone.
const REMOVE_LIMIT: Duration = Duration::from_secs(2);
const REMOVE_RETRY: Duration = Duration::from_millis(2);

impl Shim {
    /// Takes the next step of the end, as far as it can go without waiting.
    pub(crate) fn advance_ending(&mut self, fx: &mut Vec<Effect>) {
        if self.phase != Phase::Ending || !self.helpers.is_empty() {
            // A helper still runs (set-up racing a dead init, or the teardown): it comes
            // back here when done.
            return;
        }
        if !self.teardown_started {
            self.teardown_started = true;
            if !self.record.net.phys.is_empty() {
                match self.start_teardown() {
                    Ok(()) => return,
                    Err(e) => log::error!("network teardown: {e}"),
                }
            }
        }
        crate::net::release_netns(&self.record.net);
        let deadline = *self
            .remove_deadline
            .get_or_insert_with(|| Instant::now() + REMOVE_LIMIT);
        match self.life.cgroup().try_remove() {
            Ok(true) => {}
            Ok(false) if Instant::now() < deadline => {
                self.timers
                    .arm(Instant::now() + REMOVE_RETRY, TimerKind::RemoveCgroups);
                return;
            }
            Ok(false) => log::error!(
                "remove cgroups: still busy after {} s",
                REMOVE_LIMIT.as_secs()
            ),
            Err(e) => log::error!("remove cgroups: {e}"),
        }
        if self.life.wants_restart() {
            match self.relaunch(fx) {
                Ok(()) => return,
                Err(e) => self.life.restart_failed(e),
            }
        }
        if let Some(lock) = self.lock.take() {
            self.rundir.remove_files(lock);
        }
        log::debug!("cleaned up");
        self.life.finish(fx);
        self.phase = Phase::Done;
    }

    fn start_teardown(&mut self) -> Result<(), String> {
        let input = serde_json::to_vec(&self.record.net).map_err(|e| e.to_string())?;
        let (pid, run) = HelperRun::spawn(
            Job::NetTeardown,
            &["teardown".into()],
            &input,
            self.poll.registry(),
            &mut self.sources,
        )?;
        self.children.register(pid, Role::Helper(Job::NetTeardown));
        self.helpers.insert(pid, run);
        Ok(())
    }

    /// The loop itself failed: without it nothing can be supervised. Kill the container, wait
    /// for its init and clean up without the loop.
    pub(crate) fn emergency_end(&mut self) {
        let mut fx = Vec::new();
        let init = self.life.init();
        self.life.signal_init(libc::SIGKILL);
        let _ = waitpid(init, None);
        self.life.on_init_reaped(
            ExitStatus::signaled(libc::SIGKILL),
            &mut self.timers,
            &mut fx,
        );
        self.helpers.clear();
        self.teardown_started = true;
        self.phase = Phase::Ending;
        self.remove_deadline = Some(Instant::now());
        self.advance_ending(&mut fx);
        self.apply(&mut fx);
        self.phase = Phase::Done;
    }
}
