//! Starting the payload's parts that need the loop (the network helper, the freezer's events),
//! for the first start and again after a reboot: a system container whose init reboots is
//! started anew under the same shim, from what the shim kept (the init's plan, its stdio, its
//! interfaces), once the old one is cleaned up.
use crate::cgroup::ContainerCgroup;
use crate::children::{Children, Job, Role};
use crate::event_loop::{Phase, Shim};
use crate::gate::{GateStep, GoGate};
use crate::hooks::Extra;
use crate::init_channel::ToInit;
use crate::lifecycle::Effect;
use crate::net::HelperRun;
use crate::payload::{self, Payload};
use crate::rundir::RunDir;
use crate::sources::{Source, Sources};
use lxc_config::{HookKind, NetType, Network};
use lxc_proto::net::SetupRequest;
use lxc_proto::record::Record;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use nix::unistd::Pid;
use std::fs::File;
use std::os::fd::AsRawFd;

/// cgroup2 tells of a taken freeze by notifying `cgroup.events` (POLLPRI).
pub fn watch_freezer(
    cgroup: &ContainerCgroup,
    registry: &Registry,
    sources: &mut Sources,
) -> Option<(Token, File)> {
    let path = cgroup.freezer()?.events_file()?;
    let file = File::open(&path).ok()?;
    let token = sources.add(Source::FreezerEvents);
    match registry.register(&mut SourceFd(&file.as_raw_fd()), token, Interest::PRIORITY) {
        Ok(()) => Some((token, file)),
        Err(e) => {
            sources.remove(token);
            log::warn!("watch {}: {}", path.display(), lxc_proto::strerror(&e));
            None
        }
    }
}

/// Starts the network helper for the init; with a physical interface the container's network
/// namespace is kept first (and recorded), so that the interface can always be given back.
pub fn start_network(
    networks: &[Network],
    init: Pid,
    rundir: &RunDir,
    record: &mut Record,
    registry: &Registry,
    sources: &mut Sources,
    children: &mut Children,
) -> Result<(Pid, HelperRun), String> {
    if networks.iter().any(|n| n.kind == NetType::Phys) {
        let file = rundir.netns_path();
        crate::net::keep_netns(init, &file)?;
        record.net.netns = Some(file);
        rundir.write_record(record).map_err(|e| {
            format!(
                "write {}: {}",
                rundir.record_path().display(),
                lxc_proto::strerror(&e)
            )
        })?;
    }
    let input = serde_json::to_vec(&SetupRequest {
        networks: networks.to_vec(),
    })
    .map_err(|e| e.to_string())?;
    let (pid, run) = HelperRun::spawn(
        Job::NetSetup,
        &["setup".into(), init.to_string()],
        &input,
        registry,
        sources,
    )?;
    children.register(pid, Role::Helper(Job::NetSetup));
    Ok((pid, run))
}

impl Shim {
    /// The old container is cleaned up after a reboot: start the payload again. On failure
    /// the container ends here (the caller finishes it).
    pub(crate) fn relaunch(&mut self, fx: &mut Vec<Effect>) -> Result<(), String> {
        let Some(r) = &self.relaunch else {
            return Err("nothing to start again".into());
        };
        // Its pre-start hooks have run (the end queued them).
        let (guard, chan) = payload::start(&r.payload, r.flags, &r.stdio, self.life.cgroup_mut())?;
        let Some(init) = guard.pid() else {
            return Err("clone the container's init: no pid".into());
        };
        self.children.register(init, Role::Init);
        if self.hooks.has(HookKind::Stop) {
            self.kept_ns = crate::hooks::keep_namespaces(init);
        }
        self.stop_hooks_queued = false;
        self.post_stop_queued = false;
        self.pre_start_queued = false;
        let Payload::Clone(plan) = &r.payload;
        self.gate = GoGate::new(
            plan.fs.cgroup.is_some(),
            self.hooks.has(HookKind::StartHost),
        );
        let registry = self.poll.registry();
        let old = self.chan.as_raw_fd();
        let _ = registry.deregister(&mut SourceFd(&old));
        self.sources.remove(self.chan_token);
        self.chan = chan;
        self.chan_token = self.sources.add(Source::InitChannel);
        registry
            .register(
                &mut SourceFd(&self.chan.as_raw_fd()),
                self.chan_token,
                Interest::READABLE,
            )
            .map_err(|e| format!("watch the init channel: {}", lxc_proto::strerror(&e)))?;
        // The cgroups were made anew: so is their events file.
        if let Some((token, file)) = self.freezer_events.take() {
            let _ = registry.deregister(&mut SourceFd(&file.as_raw_fd()));
            self.sources.remove(token);
        }
        self.freezer_events = watch_freezer(self.life.cgroup(), registry, &mut self.sources);
        if let Some(old) = self.oom.take() {
            self.sources.remove(old.token);
        }
        self.oom = crate::cgroup::oom::watch(self.life.cgroup(), registry, &mut self.sources);
        self.facts.oom_kills = 0;
        self.life.restarted(init, fx);
        self.teardown_started = false;
        self.remove_deadline = None;
        self.facts.network = Default::default();
        let networks = r.networks.clone();
        guard.defuse();
        if networks.is_empty() {
            self.phase = Phase::Started;
            self.go(fx);
        } else {
            let (pid, run) = start_network(
                &networks,
                init,
                &self.rundir,
                &mut self.record,
                registry,
                &mut self.sources,
                &mut self.children,
            )?;
            self.helpers.insert(pid, run);
            self.phase = Phase::Network;
        }
        Ok(())
    }

    /// Network set-up done (or failed), or teardown done.
    pub(crate) fn complete_helper(&mut self, pid: Pid, fx: &mut Vec<Effect>) {
        if !self.helpers.get(&pid).is_some_and(HelperRun::is_done) {
            return;
        }
        let Some(h) = self.helpers.remove(&pid) else {
            return;
        };
        match h.job {
            Job::NetSetup => self.on_network_ready(h.result().map(<[u8]>::to_vec), fx),
            Job::NetTeardown => {
                if let Err(e) = h.result() {
                    log::error!("network teardown: {e}");
                }
            }
        }
        if self.phase == Phase::Ending {
            self.advance_ending(fx);
        }
    }

    fn on_network_ready(&mut self, result: Result<Vec<u8>, String>, fx: &mut Vec<Effect>) {
        if self.phase != Phase::Network {
            return;
        }
        self.phase = Phase::Started;
        let parsed = result.and_then(|out| crate::net::parse_setup(&out));
        match parsed {
            Ok(net) => {
                log::debug!("network set up: {net:?}");
                self.record.net.phys = net.phys.clone();
                self.record.net.host_links = net
                    .interfaces
                    .iter()
                    .filter_map(|i| i.host.clone())
                    .collect();
                if let Err(e) = self.rundir.write_record(&self.record) {
                    log::error!("write {}: {}", self.rundir.record_path().display(), e);
                }
                self.facts.network = net;
                self.go(fx);
            }
            Err(e) => self.fail_start(e, fx),
        }
    }

    /// The container's network is ready: the init may go on (see [`GoGate`]).
    pub(crate) fn go(&mut self, fx: &mut Vec<Effect>) {
        let steps = self.gate.network_ready();
        self.take_steps(steps, fx);
    }

    pub(crate) fn take_steps(&mut self, steps: Vec<GateStep>, fx: &mut Vec<Effect>) {
        for step in steps {
            match step {
                // On the host, waited for, as LXC's monitor does; `LXC_PID` is the init's pid.
                // On the host, run by the loop; the init goes on once they all succeeded.
                // `LXC_PID` is the init's pid.
                GateStep::StartHost => {
                    let extra = Extra {
                        env: vec![("LXC_PID".into(), self.life.init().to_string())],
                        ..Extra::default()
                    };
                    self.queue_hooks(HookKind::StartHost, extra);
                    self.start_host_next(fx);
                    // The `go` that follows is sent by `start_host_next` when the hooks are done.
                    return;
                }
                GateStep::Go => {
                    if let Err(e) = self.chan.send(ToInit::Go) {
                        self.fail_start(
                            format!("start the container: {}", lxc_proto::strerror(&e)),
                            fx,
                        );
                        return;
                    }
                }
            }
        }
    }

    /// The next start-host hook, or `go` once none is left (a hook that cannot start fails
    /// the start).
    pub(crate) fn start_host_next(&mut self, fx: &mut Vec<Effect>) {
        match self.next_hook() {
            Ok(true) => {}
            Ok(false) => self.take_steps(vec![GateStep::Go], fx),
            Err(e) => self.fail_start(e, fx),
        }
    }
}
