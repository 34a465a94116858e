//! The end of a shim, once the container's init has been reaped: the `stop` hooks run (given
//! the container's namespaces, kept open for them), physical interfaces go back (through the
//! helper), the cgroups are removed (retried on a timer while the kernel still holds exiting
//! tasks), the `post-stop` hooks run, the run directory goes (its lock last, so that a new
//! start can begin at once), and only then is the container STOPPED and everyone who waits
//! told. Hooks and helpers run while the loop keeps answering.
use crate::children::{Job, Role};
use crate::event_loop::{Phase, Shim};
use crate::hooks::Extra;
use crate::lifecycle::Effect;
use crate::net::HelperRun;
use crate::timers::TimerKind;
use lxc_config::HookKind;
use lxc_proto::ExitStatus;
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use std::time::{Duration, Instant};

/// How long the cgroups may stay busy after the init is gone.
const REMOVE_LIMIT: Duration = Duration::from_secs(2);
const REMOVE_RETRY: Duration = Duration::from_millis(2);

impl Shim {
    /// Takes the next step of the end, as far as it can go without waiting.
    pub(crate) fn advance_ending(&mut self, fx: &mut Vec<Effect>) {
        if self.phase != Phase::Ending
            || !self.helpers.is_empty()
            || self.hook_run.is_some()
            || self.dump.is_some()
        {
            // A helper (set-up racing a dead init, or the teardown), a hook or a dump (`-s`:
            // CRIU kills the tree before it ends) still runs: it comes back here when done.
            return;
        }
        if !self.stop_hooks_queued {
            self.stop_hooks_queued = true;
            let (args, mut env) = crate::hooks::namespace_args(&self.kept_ns);
            env.push(("LXC_TARGET".into(), self.target().into()));
            self.queue_hooks(
                HookKind::Stop,
                Extra {
                    args,
                    env,
                    ..Extra::default()
                },
            );
        }
        if self.next_end_hook() {
            return;
        }
        // The namespaces were kept for the stop hooks only.
        self.kept_ns.clear();
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
        if !self.post_stop_queued {
            self.post_stop_queued = true;
            let env = vec![("LXC_TARGET".into(), self.target().into())];
            self.queue_hooks(
                HookKind::PostStop,
                Extra {
                    env,
                    ..Extra::default()
                },
            );
        }
        if self.next_end_hook() {
            return;
        }
        if self.life.wants_restart() && !self.pre_start_queued {
            // The next start's pre-start hooks, run by the loop like the end's (the shim keeps
            // answering; a stop meanwhile calls the restart off).
            self.pre_start_queued = true;
            self.queue_hooks(HookKind::PreStart, Extra::default());
        }
        if self.life.wants_restart() {
            match self.next_hook() {
                Ok(true) => return,
                Ok(false) => {}
                Err(e) => self.life.restart_failed(e),
            }
        }
        if self.life.wants_restart() {
            match self.relaunch(fx) {
                Ok(()) => return,
                Err(e) => self.life.restart_failed(e),
            }
        }
        // Its last act while it still holds the lock: nobody starts the container meanwhile.
        if let Some(dir) = self.ephemeral_dir.take() {
            crate::ephemeral::remove(&dir);
        }
        if let Some(lock) = self.lock.take() {
            self.rundir.remove_files(lock);
        }
        if let Some(path) = self.pid_file.take() {
            remove_pid_file(&path);
        }
        log::debug!("cleaned up");
        self.life.finish(fx);
        self.phase = Phase::Done;
    }

    /// `LXC_TARGET`: whether the container comes back.
    fn target(&self) -> &'static str {
        if self.life.wants_restart() {
            "reboot"
        } else {
            "stop"
        }
    }

    pub(crate) fn queue_hooks(&mut self, kind: HookKind, extra: Extra) {
        for hook in self.hooks.of_kind(kind) {
            self.hook_queue.push_back((hook, extra.clone()));
        }
    }

    /// Starts the next queued hook: `Ok(false)` when none is left. One that cannot start is
    /// logged and skipped, except a pre-start or start-host hook, whose start it fails
    /// (`Err`, the rest of the queue dropped).
    pub(crate) fn next_hook(&mut self) -> Result<bool, String> {
        while let Some((hook, extra)) = self.hook_queue.pop_front() {
            match self.hooks.spawn(&hook, &extra) {
                Ok(run) => {
                    self.children.register(run.pid, Role::Hook);
                    self.hook_run = Some(run);
                    return Ok(true);
                }
                Err(e) if matches!(hook.kind, HookKind::PreStart | HookKind::StartHost) => {
                    self.hook_queue.clear();
                    return Err(e);
                }
                Err(e) => log::error!("{e}"),
            }
        }
        Ok(false)
    }

    /// The end's next hook (stop and post-stop hooks never fail it); true when one runs.
    fn next_end_hook(&mut self) -> bool {
        self.next_hook().unwrap_or_else(|e| {
            log::error!("{e}");
            false
        })
    }

    /// A hook run by the loop has exited: its output logged; a start-host hook's start, or
    /// the end, goes on.
    pub(crate) fn on_hook_exit(&mut self, pid: Pid, status: ExitStatus, fx: &mut Vec<Effect>) {
        if self.hook_run.as_ref().is_none_or(|r| r.pid != pid) {
            return;
        }
        let Some(run) = self.hook_run.take() else {
            return;
        };
        let kind = run.kind;
        let (lines, result) = run.finish(status);
        lines.iter().for_each(|l| log::info!("{l}"));
        match (kind, result) {
            (HookKind::StartHost, Err(e)) => {
                self.hook_queue.clear();
                self.fail_start(e, fx);
            }
            (HookKind::StartHost, Ok(())) => self.start_host_next(fx),
            // A failing pre-start hook ends a restart, as it aborts a start.
            (HookKind::PreStart, Err(e)) => {
                self.hook_queue.clear();
                self.life.restart_failed(e);
                self.advance_ending(fx);
            }
            (_, Err(e)) => {
                log::error!("{e}");
                self.advance_ending(fx);
            }
            (_, Ok(())) => self.advance_ending(fx),
        }
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
        // No hooks in an emergency: nothing would wait for them.
        self.hook_queue.clear();
        self.hook_run = None;
        self.stop_hooks_queued = true;
        self.post_stop_queued = true;
        self.pre_start_queued = true;
        self.phase = Phase::Ending;
        self.remove_deadline = Some(Instant::now());
        self.advance_ending(&mut fx);
        self.apply(&mut fx);
        self.phase = Phase::Done;
    }
}

/// Removes `lxc-start -p`'s file if it still holds this shim's pid (one a later start wrote,
/// or anything else put there, stays).
fn remove_pid_file(path: &std::path::Path) {
    let ours = std::process::id().to_string();
    match crate::sys::read_small(path) {
        Some(text) if text.trim() == ours => {
            let _ = std::fs::remove_file(path);
        }
        _ => {}
    }
}
